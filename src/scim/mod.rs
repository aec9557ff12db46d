//! The SCIM semantics library: plain code with no HTTP in it, shared by the bundled server,
//! the checks and (later) the fuzz model and generators.

pub mod error;
pub mod filter;
pub mod list;
pub mod locate;
pub mod patch;
pub mod projection;
pub mod resource;
pub mod schema;
pub mod value;
