//! The client side of every exchange: where requests go, with which credentials and limits.

pub mod auth;
pub mod curl;
mod documents;
pub mod http;
pub mod ledger;
pub mod limit;
pub mod network;
pub mod record;
pub mod secret;
pub mod sweep;

pub use auth::Auth;
pub use http::{Client, Credentials, Outgoing};
pub use limit::LoadStats;
pub use network::Network;
pub use record::{Body, Exchange, Outcome, RecordedRequest, RecordedResponse};
pub use secret::Secret;

/// Installs ring as rustls' crypto provider for HTTPS. reqwest is built without a provider
/// of its own (its default, aws-lc-rs, is a long C build that dominated `cargo install`), so
/// a `reqwest::Client` built before this panics. Calling it again does nothing.
pub fn install_crypto_provider() {
    // An error means a provider is installed already, which is all that is needed.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
