//! The target: where requests go and with which credentials.

pub mod auth;
pub mod client;
pub mod curl;
pub mod ledger;
pub mod limit;
pub mod secret;
pub mod sweep;

pub use auth::Auth;
pub use client::{
    Body, Client, Credentials, Exchange, Outcome, Outgoing, RecordedRequest, RecordedResponse,
};
pub use limit::LoadStats;
pub use secret::Secret;
