//! scimitar: a conformance tester for SCIM 2.0 servers (RFC 7643/7644).
//!
//! The pipeline, one module a stage: [`suite`] loads declarative suites, [`plan`] turns them
//! into trials, [`exec`] runs them over HTTP with [`client`], [`check`] judges each
//! response and [`report`] writes the results. [`scim`] is the SCIM semantics library and
//! [`server`] the bundled reference server built on it; [`tls`] checks the connection as
//! Microsoft Entra will see it.

pub mod builtin;
pub mod capabilities;
pub mod check;
pub mod classify;
pub mod cli;
pub mod client;
pub mod coverage;
pub mod exec;
pub mod fuzz;
pub mod r#gen;
pub mod idp;
pub mod interop;
pub mod plan;
pub mod profile;
pub mod report;
pub mod requirements;
pub mod run;
pub mod scim;
pub mod server;
pub mod suite;
pub mod tls;
