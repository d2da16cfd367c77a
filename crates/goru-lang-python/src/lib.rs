//! goru-lang-python
