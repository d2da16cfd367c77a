//! goru
