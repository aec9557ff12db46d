//! TCP connections for the probes, through the proxy the run's requests take (a CONNECT
//! tunnel, hyper-util's, with the same environment rules reqwest follows), so that the check
//! sees the server from where the run does.

use std::time::Duration;

use axum::http::Uri;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tower::ServiceExt;

/// A byte stream to the server.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub struct Dialer {
    host: String,
    port: u16,
    proxy: Matcher,
    timeout: Duration,
}

impl Dialer {
    /// Connections to `host:port`, through `proxy` (or the environment's) unless `NO_PROXY`
    /// names the host.
    pub fn new(host: &str, port: u16, proxy: Option<&str>, timeout: Duration) -> Dialer {
        let proxy = match proxy {
            Some(p) => Matcher::builder()
                .all(p.to_string())
                .no(std::env::var("NO_PROXY")
                    .or_else(|_| std::env::var("no_proxy"))
                    .unwrap_or_default())
                .build(),
            None => Matcher::from_env(),
        };
        Dialer {
            host: host.to_string(),
            port,
            proxy,
            timeout,
        }
    }

    /// The proxy connections go through, if any, without its credentials.
    pub fn via(&self) -> Option<String> {
        self.proxy.intercept(&self.uri().ok()?).map(|i| {
            let u = i.uri();
            format!(
                "{}://{}",
                u.scheme_str().unwrap_or("http"),
                u.authority()
                    .map_or("", |a| a.as_str().rsplit('@').next().unwrap_or(""))
            )
        })
    }

    /// How long a connection or an answer may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn uri(&self) -> Result<Uri, String> {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("https://{host}:{}", self.port)
            .parse()
            .map_err(|e| format!("{host}: {e}"))
    }

    /// A new connection, within the timeout.
    pub async fn dial(&self) -> Result<Box<dyn Io>, String> {
        tokio::time::timeout(self.timeout, self.open())
            .await
            .map_err(|_| format!("no connection within {:?}", self.timeout))?
    }

    async fn open(&self) -> Result<Box<dyn Io>, String> {
        let dst = self.uri()?;
        match self.proxy.intercept(&dst) {
            None => {
                let s = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                    .await
                    .map_err(|e| format!("cannot connect: {e}"))?;
                Ok(Box::new(s))
            }
            Some(via) => {
                let mut tunnel = Tunnel::new(via.uri().clone(), HttpConnector::new());
                if let Some(auth) = via.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                let s = tunnel
                    .oneshot(dst)
                    .await
                    .map_err(|e| format!("the proxy's CONNECT failed: {e}"))?;
                Ok(Box::new(TokioIo::new(s)))
            }
        }
    }
}
