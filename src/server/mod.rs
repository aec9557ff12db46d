//! The bundled reference SCIM server: strict RFC 7644 by default, a vendor's behaviour under
//! a profile, with defect switches.
//! It is scimitar's embedded target and the oracle of its own tests.

mod answer_defects;
mod app;
mod bulk;
mod cursor;
pub mod defect;
mod discovery;
mod http;
mod input;
mod reference;
mod store;
pub mod tls;
mod undefined_filter;
mod update_defects;
mod whole_replace;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::profile::Profile;
pub use defect::{Defect, Defects};
pub use reference::Reference;

/// Where the API is mounted, so that clients are tested with a path prefix as real servers have.
pub const BASE_PATH: &str = "/scim/v2";

/// A server that is listening.
pub struct Running {
    /// The SCIM base URL, e.g. `http://127.0.0.1:41234/scim/v2`.
    pub base_url: String,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Binds `addr` (port 0 for an ephemeral port) and serves until the task is dropped,
/// behaving as `profile` describes, with `defects` switched on.
pub async fn start(
    addr: SocketAddr,
    token: String,
    profile: &Profile,
    defects: Defects,
) -> std::io::Result<Running> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let (base_url, router) = router(
        format!("http://{local}{BASE_PATH}"),
        token,
        profile,
        defects,
    )?;
    let task = tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(Running { base_url, task })
}

/// [`start`] over TLS: every connection is handshaken under `tls` (see [`tls::config`] for
/// the one `scimitar serve --tls-cert` uses; tests pass their own).
pub async fn start_tls(
    addr: SocketAddr,
    token: String,
    profile: &Profile,
    defects: Defects,
    tls: Arc<rustls::ServerConfig>,
) -> std::io::Result<Running> {
    let listener = tls::TlsListener::new(TcpListener::bind(addr).await?, tls)?;
    let local = axum::serve::Listener::local_addr(&listener)?;
    let (base_url, router) = router(
        format!("https://{local}{BASE_PATH}"),
        token,
        profile,
        defects,
    )?;
    let task = tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(Running { base_url, task })
}

fn router(
    base_url: String,
    token: String,
    profile: &Profile,
    defects: Defects,
) -> std::io::Result<(String, axum::Router)> {
    let app = app::App::new(profile, defects, base_url.clone()).map_err(std::io::Error::other)?;
    let shared = Arc::new(http::Shared { app, token });
    Ok((base_url, http::router(shared, BASE_PATH)))
}
