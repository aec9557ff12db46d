//! The target: where requests go and with which credentials.

pub mod auth;
pub mod client;
pub mod curl;
pub mod ledger;
pub mod limit;
pub mod network;
pub mod secret;
pub mod sweep;

pub use auth::Auth;
pub use client::{
    Body, Client, Credentials, Exchange, Outcome, Outgoing, RecordedRequest, RecordedResponse,
};
pub use limit::LoadStats;
pub use network::Network;
pub use secret::Secret;

/// Installs ring as rustls' crypto provider for HTTPS. reqwest is built without a provider
/// of its own (its default, aws-lc-rs, is a long C build that dominated `cargo install`), so
/// a `reqwest::Client` built before this panics. Calling it again does nothing.
pub fn install_crypto_provider() {
    // An error means a provider is installed already, which is all that is needed.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
