//! Suites: the declarative test format, its loader and its templating.

pub mod load;
pub mod model;
pub mod template;

pub use load::{LoadError, Loaded, load};
pub use model::*;
