//! goru-lang-js
