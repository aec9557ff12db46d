//! scimitar's integration tests, in one binary (one link of the crate instead of one per
//! file): one module per area, the helpers in `common`.

mod common;

mod action;
mod anywhere;
mod auth;
mod bundled;
mod ci;
mod completions;
mod coverage;
mod cursor;
mod defects;
mod discovery;
mod docs;
mod emulation;
mod entra;
mod faults;
mod fuzz;
mod fuzz_corpus;
mod fuzz_faults;
mod r#gen;
mod hostile;
mod independent;
mod interop;
mod interop_server;
mod invariants;
mod okta;
mod planning;
mod profiles;
mod realistic;
mod reports;
mod request_schemas;
mod safety;
mod scaffolding;
mod suite_errors;
mod switches;
mod tls;
mod trust;
mod verdicts;
