//! The one HTTP client every request goes through: base URL, credentials, timeouts, a cap on
//! response size, and a record of each exchange with the secret already removed.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::auth::Auth;
use crate::suite::Method;

/// Responses larger than this are cut, so a hostile server cannot exhaust memory.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
}

/// A request body: JSON, or bytes sent as they are.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Body {
    Json(Value),
    Raw(String),
}

impl Body {
    pub fn text(&self) -> String {
        match self {
            Body::Json(v) => v.to_string(),
            Body::Raw(s) => s.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// True when the body was longer than [`MAX_BODY`] and was cut.
    pub truncated: bool,
}

impl RecordedResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request and what came back (or why nothing did).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exchange {
    pub request: RecordedRequest,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub elapsed_ms: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Response(RecordedResponse),
    /// The transport failed: connection refused, timeout, reset.
    Error(String),
}

/// What to send: a rendered request.
pub struct Outgoing<'a> {
    pub method: Method,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub headers: &'a [(String, String)],
    pub body: Option<&'a Body>,
    /// Credentials: the target's, none, or a replacement bearer token.
    pub credentials: Credentials<'a>,
}

#[derive(Clone, Copy)]
pub enum Credentials<'a> {
    Target,
    Anonymous,
    Bearer(&'a str),
}

pub struct Client {
    http: reqwest::Client,
    base_url: String,
    auth: Auth,
}

impl Client {
    pub fn new(base_url: &str, auth: Auth, timeout: Duration) -> reqwest::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            // A redirect must not carry credentials to another origin; scimitar reports
            // redirects rather than following them.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Client {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            auth,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Removes every secret from text that may echo it.
    pub fn scrub(&self, text: &str) -> String {
        self.auth.scrub(text)
    }

    pub async fn send(&self, out: Outgoing<'_>) -> Exchange {
        // A path may also be an absolute URL under the base, such as a captured location.
        let url = if out.path.starts_with(&self.base_url) {
            out.path.to_string()
        } else {
            format!("{}{}", self.base_url, out.path)
        };
        let method =
            reqwest::Method::from_bytes(out.method.as_str().as_bytes()).expect("known method");
        let mut req = self.http.request(method, &url).query(out.query);
        let mut recorded_headers: Vec<(String, String)> = Vec::new();
        let has = |name: &str| {
            out.headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case(name))
        };
        if !has("accept") {
            recorded_headers.push(("Accept".into(), "application/scim+json".into()));
        }
        if out.body.is_some() && !has("content-type") {
            recorded_headers.push(("Content-Type".into(), "application/scim+json".into()));
        }
        recorded_headers.extend(out.headers.iter().cloned());
        for (k, v) in &recorded_headers {
            req = req.header(k, v);
        }
        let mut auth_failed = None;
        match out.credentials {
            Credentials::Target => match self.auth.apply(req, &self.http).await {
                Ok((r, shown)) => {
                    req = r;
                    recorded_headers.extend(shown);
                }
                Err(e) => {
                    auth_failed = Some(self.scrub(&e));
                    req = self.http.get(&url);
                }
            },
            Credentials::Anonymous => {}
            Credentials::Bearer(t) => {
                req = req.bearer_auth(t);
                recorded_headers
                    .push(("Authorization".into(), format!("Bearer {}", self.scrub(t))));
            }
        }
        if let Some(b) = out.body {
            req = req.body(b.text());
        }
        let full_url = req
            .try_clone()
            .and_then(|r| r.build().ok())
            .map(|r| r.url().to_string())
            .unwrap_or_else(|| url.clone());
        let request = RecordedRequest {
            method: out.method,
            url: self.scrub(&full_url),
            headers: recorded_headers,
            body: out.body.cloned(),
        };
        let started = Instant::now();
        let outcome = match auth_failed {
            Some(e) => Outcome::Error(e),
            None => match req.send().await {
                Ok(resp) => {
                    if resp.status() == reqwest::StatusCode::UNAUTHORIZED
                        && matches!(out.credentials, Credentials::Target)
                        && let Auth::OAuth(o) = &self.auth
                    {
                        // Refused: the next request fetches a fresh token.
                        o.invalidate().await;
                    }
                    self.read(resp).await
                }
                Err(e) => Outcome::Error(self.scrub(&describe(&e))),
            },
        };
        Exchange {
            request,
            outcome,
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        }
    }

    async fn read(&self, mut resp: reqwest::Response) -> Outcome {
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    self.scrub(&String::from_utf8_lossy(v.as_bytes())),
                )
            })
            .collect();
        let mut body = Vec::new();
        let mut truncated = false;
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    let room = MAX_BODY - body.len();
                    if chunk.len() > room {
                        body.extend_from_slice(&chunk[..room]);
                        truncated = true;
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Outcome::Error(format!(
                        "reading the response body failed after {} bytes: {}",
                        body.len(),
                        describe(&e)
                    ));
                }
            }
        }
        Outcome::Response(RecordedResponse {
            status,
            headers,
            body: self.scrub(&String::from_utf8_lossy(&body)),
            truncated,
        })
    }
}

/// A transport error with its causes, which reqwest keeps in the source chain.
fn describe(e: &reqwest::Error) -> String {
    let mut msg = if e.is_timeout() {
        "timed out".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}
