//! The Rust examples of the README and the guides in `docs/`, compiled and run as
//! doctests so they stay true. They live here rather than in the `goru` crate because they
//! include files from outside a crate's directory, which `cargo package` cannot carry.

/// The examples: each Rust block of these files is one doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
#[doc = include_str!("../../../docs/embedding.md")]
#[doc = include_str!("../../../docs/packages.md")]
struct DocumentedExamples;
