//! The one HTTP client every request goes through: base URL, credentials, timeouts, a cap on
//! response size, and a record of each exchange with the secret already removed.

use std::time::{Duration, Instant};

use std::sync::Arc;

use super::auth::Auth;
use super::documents::Documents;
use super::ledger::Ledger;
use super::limit::{Limiter, LoadStats, Signal};
use super::network::Network;
use super::record::{Body, Exchange, Outcome, RecordedRequest, RecordedResponse};
use crate::suite::Method;

/// Responses larger than this are cut, so a hostile server cannot exhaust memory.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// How the client treats a busy or flaky server.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Sends after the first, on 429 and 503, and for idempotent requests on a connection
    /// that failed before an answer.
    pub retries: u32,
    /// The first wait without Retry-After, doubled each time, with up to as much again of
    /// jitter.
    pub backoff: Duration,
    /// The longest single wait, Retry-After included.
    pub max_wait: Duration,
    /// At most this many requests a second.
    pub rate: Option<f64>,
    /// At most this many requests at once: the ceiling of a limit that follows the target
    /// (see [`super::limit`]).
    pub concurrency: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            retries: 5,
            backoff: Duration::from_millis(100),
            max_wait: Duration::from_secs(30),
            rate: None,
            concurrency: 64,
        }
    }
}

/// The wait a 429 or 503 asks for: `Retry-After` in seconds or as an HTTP-date.
pub fn retry_after(value: &str, now: time::OffsetDateTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc2822).ok()?;
    Some(Duration::try_from(at - now).unwrap_or(Duration::ZERO))
}

/// Up to `base` more, drawn from the clock: enough to keep clients from retrying in step.
fn jitter(base: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    base.mul_f64(f64::from(nanos % 1000) / 1000.0)
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

impl<'a> Outgoing<'a> {
    /// A GET of `path` with the target's credentials and nothing else.
    pub fn get(path: &'a str) -> Self {
        Outgoing {
            method: Method::Get,
            path,
            query: &[],
            headers: &[],
            body: None,
            credentials: Credentials::Target,
        }
    }
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
    policy: Policy,
    slots: Limiter,
    /// When the next request may start, under `policy.rate`.
    next_start: tokio::sync::Mutex<Instant>,
    ledger: Option<Arc<Ledger>>,
    network: Network,
    /// The discovery documents fetched so far, so that none is fetched twice.
    documents: Documents,
}

impl Client {
    pub fn new(base_url: &str, auth: Auth, timeout: Duration) -> Result<Self, String> {
        Self::over(base_url, auth, timeout, Network::default())
    }

    /// A client that reaches the target as `network` says: CA certificates, client
    /// certificate, proxy.
    pub fn over(
        base_url: &str,
        auth: Auth,
        timeout: Duration,
        network: Network,
    ) -> Result<Self, String> {
        super::install_crypto_provider();
        let builder = reqwest::Client::builder()
            // Every request names its client (the interop profile's I-media-05 asks it).
            .user_agent(concat!("scimitar/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            // A redirect must not carry credentials to another origin; scimitar reports
            // redirects rather than following them.
            .redirect(reqwest::redirect::Policy::none());
        let http = network
            .apply(builder)?
            .build()
            .map_err(|e| network.scrub(&e.to_string()))?;
        Ok(Client {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            auth,
            network,
            slots: Limiter::new(Policy::default().concurrency),
            policy: Policy::default(),
            next_start: tokio::sync::Mutex::new(Instant::now()),
            ledger: None,
            documents: Documents::default(),
        })
    }

    /// Records what the client creates in `ledger`, and refuses to change what it did not.
    pub fn with_ledger(mut self, ledger: Arc<Ledger>) -> Self {
        self.ledger = Some(ledger);
        self
    }

    /// Stops the run: nothing new is created, the requests in flight finish, and what the
    /// ledger still lists is deleted. Returns the URLs that could not be deleted.
    pub async fn stop(&self) -> Vec<String> {
        self.halt();
        // A create in flight may still answer with an id to delete; a server that hangs
        // does not hold the stop up for longer than this.
        let grace = self.policy.max_wait.min(Duration::from_secs(5));
        if tokio::time::timeout(grace, self.slots.idle())
            .await
            .is_err()
        {
            eprintln!(
                "warning: requests still in flight after {grace:?}; sweeping without their answers"
            );
        }
        self.sweep().await
    }

    /// The first half of [`Client::stop`]: from now on nothing is sent that would create or
    /// change (a DELETE still goes), so that what is in flight ends soon.
    pub fn halt(&self) {
        if let Some(l) = &self.ledger {
            l.close();
        }
    }

    /// The trouble the target showed so far (5xx answers, failed connections) and the lowest
    /// in-flight limit it brought the client down to.
    pub fn load(&self) -> LoadStats {
        self.slots.stats()
    }

    /// Whether [`Client::stop`] was called.
    pub fn stopping(&self) -> bool {
        self.ledger.as_ref().is_some_and(|l| l.closing())
    }

    /// A DELETE of `path` (below the base URL, or an absolute URL under it) with the
    /// target's credentials.
    pub async fn delete(&self, path: &str) -> Exchange {
        self.send(Outgoing {
            method: Method::Delete,
            path,
            query: &[],
            headers: &[],
            body: None,
            credentials: Credentials::Target,
        })
        .await
    }

    /// Deletes what the ledger still lists, then what carries the run's marker on /Groups
    /// and /Users without being listed (see [`super::sweep`]); returns what could not be
    /// deleted, and the searches that failed.
    pub async fn sweep(&self) -> Vec<String> {
        let Some(ledger) = &self.ledger else {
            return Vec::new();
        };
        let mut left = Vec::new();
        for url in ledger.remaining() {
            if !self.delete(&url).await.deleted() {
                left.push(url);
            }
        }
        left.extend(self.sweep_marked(ledger).await);
        ledger.finish();
        left
    }

    /// The client under `policy` instead of the default one.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.slots = Limiter::new(policy.concurrency);
        self.policy = policy;
        self
    }

    /// Waits for a slot under the rate limit.
    async fn pace(&self) {
        let Some(rate) = self.policy.rate else { return };
        let start = {
            let mut next = self.next_start.lock().await;
            let start = (*next).max(Instant::now());
            *next = start + Duration::from_secs_f64(1.0 / rate);
            start
        };
        tokio::time::sleep_until(start.into()).await;
    }

    /// How long to wait before sending again after `outcome`, if at all.
    fn retry_wait(&self, method: Method, outcome: &Outcome, attempt: u32) -> Option<Duration> {
        if attempt >= self.policy.retries {
            return None;
        }
        let backoff = self.policy.backoff * 2u32.saturating_pow(attempt);
        let wait = match outcome {
            Outcome::Response(r) if r.status == 429 || r.status == 503 => r
                .header("retry-after")
                .and_then(|v| retry_after(v, time::OffsetDateTime::now_utc()))
                .unwrap_or_else(|| backoff + jitter(backoff)),
            // Sent again only when it cannot do twice what it should do once.
            Outcome::Error(e) if method.idempotent() && !e.starts_with("timed out") => {
                backoff + jitter(backoff)
            }
            _ => return None,
        };
        Some(wait.min(self.policy.max_wait))
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Removes every secret from text that may echo it: the credentials, and the proxy's.
    pub fn scrub(&self, text: &str) -> String {
        self.network.scrub(&self.auth.scrub(text))
    }

    /// Whether the target can be reached over TLS at all: a GET of /ServiceProviderConfig
    /// whose TLS handshake fails (an untrusted certificate, a client certificate the server
    /// wants) is the one error that would fail every case, named with what to do.
    pub async fn reach(&self) -> Result<(), String> {
        // No credentials: the handshake is the question, and a 401 answers it.
        // Under TLS 1.3 a server refusing the client's certificate says so after the client
        // has finished its handshake, so the first request may see only the connection
        // closing; a few more tries see the alert itself.
        const TRIES: usize = 3;
        let url = format!("{}/ServiceProviderConfig", self.base_url);
        for _ in 0..TRIES {
            match self.http.get(&url).send().await {
                Ok(_) => return Ok(()),
                Err(e) => {
                    if let Some(why) = crate::tls::refusal(&e, self.network.identity.is_some()) {
                        let message = format!("cannot connect to {}: {why}", self.base_url);
                        return Err(self.scrub(&message));
                    }
                }
            }
        }
        // Not a TLS refusal: the cases say what the target does.
        Ok(())
    }

    pub async fn send(&self, out: Outgoing<'_>) -> Exchange {
        match Documents::key(&self.base_url, &out) {
            Some(key) => {
                self.documents
                    .fetch(key, || self.exchange(out, false))
                    .await
            }
            None => self.exchange(out, false).await,
        }
    }

    /// A GET of `path` with the target's credentials that is sent even while the run is
    /// stopping: the sweep's search for what the run left.
    pub(super) async fn search(&self, path: &str, query: &[(String, String)]) -> Exchange {
        let out = Outgoing {
            method: Method::Get,
            path,
            query,
            headers: &[],
            body: None,
            credentials: Credentials::Target,
        };
        self.exchange(out, true).await
    }

    async fn exchange(&self, out: Outgoing<'_>, sweeping: bool) -> Exchange {
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
        if let Some(ledger) = &self.ledger {
            let json = match out.body {
                Some(Body::Json(v)) => Some(v),
                _ => None,
            };
            let refused = if ledger.closing() && out.method != Method::Delete && !sweeping {
                Some("not sent: the run is stopping".to_string())
            } else {
                ledger.refuses(&self.base_url, out.method, out.path, json)
            };
            if let Some(why) = refused {
                return Exchange {
                    request,
                    outcome: Outcome::Error(why),
                    elapsed_ms: 0.0,
                    retries: 0,
                    unanswered: false,
                    dropped: 0,
                };
            }
            ledger.sending(&self.base_url, out.method, out.path);
        }
        let mut slot = self.slots.acquire().await;
        let started = Instant::now();
        let mut retries = 0;
        let mut dropped = 0;
        let mut unanswered;
        let outcome = loop {
            self.pace().await;
            unanswered = false;
            let outcome = match (&auth_failed, req.try_clone()) {
                (Some(e), _) => Outcome::Error(e.clone()),
                (None, None) => Outcome::Error("the request cannot be sent twice".into()),
                (None, Some(attempt)) => {
                    let sent = Instant::now();
                    let outcome = match attempt.send().await {
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
                        // A TLS refusal in words rather than rustls' own print of it: an
                        // answer of a kind; anything else is none.
                        Err(e) => {
                            let refusal = crate::tls::refusal(&e, self.network.identity.is_some());
                            unanswered = refusal.is_none();
                            dropped += u32::from(unanswered);
                            Outcome::Error(self.scrub(&refusal.unwrap_or_else(|| describe(&e))))
                        }
                    };
                    // 501 (and 505) answer the request itself, as /Me without a user does:
                    // not a sign of load.
                    let signal = match &outcome {
                        Outcome::Response(r)
                            if r.status >= 500 && !matches!(r.status, 501 | 505) =>
                        {
                            Signal::ServerError
                        }
                        Outcome::Response(_) => Signal::Success,
                        Outcome::Error(_) => Signal::ConnectionFailure,
                    };
                    slot.record(signal, sent.elapsed());
                    outcome
                }
            };
            match self.retry_wait(out.method, &outcome, retries) {
                Some(wait) => {
                    retries += 1;
                    slot.release();
                    tokio::time::sleep(wait).await;
                    slot.reacquire().await;
                }
                None => break outcome,
            }
        };
        if let (Some(ledger), Outcome::Response(r)) = (&self.ledger, &outcome) {
            ledger.observe(&self.base_url, &request, r);
        }
        Exchange {
            request,
            outcome,
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
            retries,
            unanswered,
            dropped,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_seconds_or_an_http_date() {
        let now = time::macros::datetime!(2026-11-23 12:00:00 UTC);
        assert_eq!(retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after("Mon, 23 Nov 2026 12:00:03 GMT", now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after("Mon, 23 Nov 2026 11:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
    }

    fn exchange(outcome: Outcome, retries: u32) -> Exchange {
        Exchange {
            request: RecordedRequest {
                method: Method::Delete,
                url: "http://h/Users/1".into(),
                headers: vec![],
                body: None,
            },
            outcome,
            elapsed_ms: 1.0,
            retries,
            unanswered: false,
            dropped: 0,
        }
    }

    fn answered(status: u16) -> Outcome {
        Outcome::Response(RecordedResponse {
            status,
            headers: vec![("Retry-After".into(), "2".into())],
            body: String::new(),
            truncated: false,
        })
    }

    /// A body of up to 8 MiB is read whole; a longer one is cut there and marked so. The
    /// header lookup ignores case, as HTTP does.
    #[tokio::test]
    async fn bodies_are_kept_up_to_8_mib() {
        let app = axum::Router::new().route(
            "/{size}",
            axum::routing::get(
                |axum::extract::Path(size): axum::extract::Path<usize>| async move {
                    ([("X-Size", size.to_string())], "x".repeat(size))
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = Client::new(&base, Auth::None, Duration::from_secs(30)).unwrap();
        for (size, kept, truncated) in [
            (5 << 20, 5 << 20, false),
            (MAX_BODY, MAX_BODY, false),
            (9 << 20, 8 << 20, true),
        ] {
            let path = format!("/{size}");
            let out = Outgoing {
                method: Method::Get,
                path: &path,
                query: &[],
                headers: &[],
                body: None,
                credentials: Credentials::Target,
            };
            let Outcome::Response(r) = client.send(out).await.outcome else {
                panic!("no answer for {size} bytes");
            };
            assert_eq!(
                (r.body.len(), r.truncated),
                (kept, truncated),
                "{size} bytes"
            );
            assert_eq!(r.header("X-SIZE"), Some(size.to_string().as_str()));
        }
    }

    /// A scripted target: `/flaky/{n}` answers 503 (without Retry-After) n times, then 200;
    /// `/status/{code}` always that; `/slow` after 50 ms; `/echo` the request's headers;
    /// `/token` grants `granted-<n>`, and `/grants` says how many it granted.
    async fn scripted() -> String {
        use axum::extract::{Path, State};
        use axum::http::{HeaderMap, StatusCode};
        type Seen = Arc<std::sync::Mutex<std::collections::HashMap<String, u32>>>;
        let flaky = async |State(seen): State<Seen>, Path(n): Path<u32>| {
            let mut seen = seen.lock().unwrap();
            let sent = seen.entry(n.to_string()).or_default();
            *sent += 1;
            if *sent <= n {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::OK
            }
        };
        let token = async |State(seen): State<Seen>| {
            let mut seen = seen.lock().unwrap();
            let n = seen.entry("token".into()).or_default();
            *n += 1;
            format!(r#"{{"access_token": "granted-{n}", "expires_in": 3600}}"#)
        };
        let app = axum::Router::new()
            .route("/flaky/{n}", axum::routing::get(flaky))
            .route("/token", axum::routing::post(token))
            .route(
                "/grants",
                axum::routing::get(async |State(seen): State<Seen>| {
                    seen.lock()
                        .unwrap()
                        .get("token")
                        .copied()
                        .unwrap_or(0)
                        .to_string()
                }),
            )
            .route(
                "/status/{code}",
                axum::routing::get(async |Path(code): Path<u16>| {
                    StatusCode::from_u16(code).unwrap()
                }),
            )
            .route(
                "/slow",
                axum::routing::get(async || {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    "{}"
                }),
            )
            .route(
                "/echo",
                axum::routing::any(async |headers: HeaderMap| {
                    let seen: serde_json::Map<String, serde_json::Value> = headers
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().into()))
                        .collect();
                    serde_json::Value::Object(seen).to_string()
                }),
            )
            .with_state(Seen::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        base
    }

    fn get(path: &str) -> Outgoing<'_> {
        Outgoing::get(path)
    }

    fn quick(base: &str, policy: Policy) -> Client {
        Client::new(base, Auth::None, Duration::from_secs(10))
            .unwrap()
            .with_policy(policy)
    }

    /// 429 and 503 are sent again, waiting the backoff doubled each time; other statuses
    /// are answers. Only 5xx other than 501 and 505 count as trouble.
    #[tokio::test]
    async fn busy_answers_are_retried_with_a_doubling_backoff() {
        let base = scripted().await;
        let policy = Policy {
            retries: 3,
            backoff: Duration::from_millis(20),
            ..Policy::default()
        };
        let client = quick(&base, policy);
        let started = Instant::now();
        let e = client.send(get("/flaky/2")).await;
        let waited = started.elapsed();
        assert!(
            matches!(&e.outcome, Outcome::Response(r) if r.status == 200),
            "{e:?}"
        );
        assert_eq!((e.retries, e.unanswered, e.dropped), (2, false, 0));
        // 20 ms, then 40 ms, each with up to as much again of jitter.
        assert!(waited >= Duration::from_millis(60), "{waited:?}");
        for (status, retries) in [(429, 3), (500, 0), (501, 0), (400, 0)] {
            let e = client.send(get(&format!("/status/{status}"))).await;
            assert_eq!(e.retries, retries, "{status}");
        }
        // The two 503s, four 429s and the 500: not the 501.
        assert_eq!(client.load().server_errors, 3);
    }

    /// A connection that fails is tried again after the same doubling backoff.
    #[tokio::test]
    async fn a_failed_connection_waits_the_backoff_before_it_is_tried_again() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let policy = Policy {
            retries: 2,
            backoff: Duration::from_millis(20),
            ..Policy::default()
        };
        let started = Instant::now();
        let e = quick(&base, policy).send(get("/Users")).await;
        assert!(started.elapsed() >= Duration::from_millis(60));
        assert_eq!(e.retries, 2);
        let Outcome::Error(why) = &e.outcome else {
            panic!("{e:?}");
        };
        assert!(why.contains("error sending request"), "{why}");
        // Nothing came back, from any of the three sends.
        assert_eq!((e.unanswered, e.dropped), (true, 3));
    }

    /// A DELETE whose first send is read and closed without an answer is sent again; the
    /// answer to the second (404: the first may have deleted it) is an answer, and the
    /// exchange says a send before it got none.
    #[tokio::test]
    async fn an_answer_after_a_dropped_send_says_so() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().flatten().take(2).enumerate() {
                let mut stream = stream;
                let mut head = [0u8; 1024];
                let _ = stream.read(&mut head);
                if n == 1 {
                    let _ = stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                }
            }
        });
        let policy = Policy {
            backoff: Duration::from_millis(10),
            ..Policy::default()
        };
        let e = quick(&base, policy).delete("/Users/1").await;
        assert!(
            matches!(&e.outcome, Outcome::Response(r) if r.status == 404),
            "{e:?}"
        );
        assert_eq!((e.retries, e.unanswered, e.dropped), (1, false, 1));
    }

    /// An OAuth token is used until the target refuses it with 401; then a new one is
    /// fetched.
    #[tokio::test]
    async fn a_refused_access_token_is_replaced() {
        let base = scripted().await;
        let oauth = super::super::auth::OAuth::new(
            format!("{base}/token"),
            "app".into(),
            super::super::Secret::new("client-secret-0123456789"),
            None,
        );
        let client = Client::new(&base, Auth::OAuth(oauth), Duration::from_secs(10)).unwrap();
        let grants_after = async |path: &str| {
            client.send(get(path)).await;
            let e = client.send(get("/grants")).await;
            let Outcome::Response(r) = e.outcome else {
                panic!("{e:?}");
            };
            r.body
        };
        assert_eq!(grants_after("/status/200").await, "1");
        assert_eq!(grants_after("/status/200").await, "1");
        // The 401 drops the token: the request for /grants fetches the second.
        assert_eq!(grants_after("/status/401").await, "2");
        assert_eq!(grants_after("/status/200").await, "2");
    }

    /// `--rate` spaces requests out: four at 20 a second take three intervals of 50 ms.
    #[tokio::test]
    async fn requests_are_paced_by_the_rate() {
        let base = scripted().await;
        let policy = Policy {
            rate: Some(20.0),
            ..Policy::default()
        };
        let client = quick(&base, policy);
        let started = Instant::now();
        for _ in 0..4 {
            client.send(get("/status/200")).await;
        }
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(150), "{took:?}");
        assert!(took < Duration::from_millis(2500), "{took:?}");
    }

    /// The time an exchange took is in milliseconds.
    #[tokio::test]
    async fn elapsed_time_is_in_milliseconds() {
        let base = scripted().await;
        let e = quick(&base, Policy::default()).send(get("/slow")).await;
        assert!((50.0..1000.0).contains(&e.elapsed_ms), "{}", e.elapsed_ms);
    }

    /// SCIM's media type is sent as Accept, and as Content-Type with a body, unless the
    /// step sets its own; every request names scimitar as its User-Agent (the interop
    /// profile's I-media-05); the base URL is kept without its trailing slash.
    #[tokio::test]
    async fn scim_media_types_are_sent_unless_the_step_sets_them() {
        let base = scripted().await;
        let client = quick(&format!("{base}/"), Policy::default());
        assert_eq!(client.base_url(), base);
        let seen = async |method, headers: &[(String, String)], body| {
            let e = client
                .send(Outgoing {
                    method,
                    path: "/echo",
                    query: &[],
                    headers,
                    body,
                    credentials: Credentials::Target,
                })
                .await;
            let Outcome::Response(r) = e.outcome else {
                panic!("{e:?}");
            };
            serde_json::from_str::<serde_json::Value>(&r.body).unwrap()
        };
        let scim = "application/scim+json";
        let got = seen(Method::Get, &[], None).await;
        assert_eq!(
            (got["accept"].as_str(), got.get("content-type")),
            (Some(scim), None)
        );
        assert_eq!(
            got["user-agent"],
            concat!("scimitar/", env!("CARGO_PKG_VERSION"))
        );
        let json = Body::Json(serde_json::json!({}));
        let got = seen(Method::Post, &[], Some(&json)).await;
        assert_eq!(
            (got["accept"].as_str(), got["content-type"].as_str()),
            (Some(scim), Some(scim))
        );
        let own = [
            ("accept".to_string(), "application/json".to_string()),
            ("Content-Type".to_string(), "application/json".to_string()),
        ];
        let got = seen(Method::Post, &own, Some(&json)).await;
        assert_eq!(got["accept"], "application/json");
        assert_eq!(got["content-type"], "application/json");
    }

    /// With a ledger: what the run created is deleted when it stops, and once stopping only
    /// deletes and the sweep's searches are sent; a Bulk request that would change another's
    /// resource is refused unsent; what cannot be deleted is returned.
    #[tokio::test]
    async fn a_stopped_run_deletes_what_it_created_and_creates_nothing() {
        let token = "ledger-test-token-0123456789";
        let server = crate::server::start(
            ([127, 0, 0, 1], 0).into(),
            token.into(),
            &crate::profile::Profile::rfc(),
            crate::server::Defects::new(vec![]),
        )
        .await
        .unwrap();
        let ledger = Arc::new(crate::client::ledger::Ledger::new("run7", None).unwrap());
        let client = Client::new(
            &server.base_url,
            Auth::Bearer(super::super::Secret::new(token)),
            Duration::from_secs(10),
        )
        .unwrap()
        .with_ledger(ledger);
        let post = async |path, body: serde_json::Value| {
            let body = Body::Json(body);
            client
                .send(Outgoing {
                    method: Method::Post,
                    path,
                    query: &[],
                    headers: &[],
                    body: Some(&body),
                    credentials: Credentials::Target,
                })
                .await
                .outcome
        };
        let user = |name: &str| {
            serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": format!("scimitar-run7-{name}")
            })
        };
        let Outcome::Response(created) = post("/Users", user("1")).await else {
            panic!("not created");
        };
        assert_eq!(created.status, 201);
        let id = serde_json::from_str::<serde_json::Value>(&created.body).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let bulk = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [{"method": "DELETE", "path": "/Users/someone-else"}]
        });
        let refused = post("/Bulk", bulk).await;
        assert!(
            matches!(&refused, Outcome::Error(e) if e.starts_with("refused")),
            "{refused:?}"
        );
        assert!(!client.stopping());
        assert_eq!(client.stop().await, Vec::<String>::new());
        assert!(client.stopping());
        let gone = client.send(get(&format!("/Users/{id}"))).await;
        assert!(
            matches!(&gone.outcome, Outcome::Error(e) if e.contains("stopping")),
            "{gone:?}"
        );
        let searched = client.search("/Users", &[]).await;
        assert!(matches!(&searched.outcome, Outcome::Response(r) if r.status == 200));
        let after = post("/Users", user("2")).await;
        assert!(
            matches!(&after, Outcome::Error(e) if e.contains("stopping")),
            "{after:?}"
        );
        assert!(
            matches!(client.delete(&format!("/Users/{id}")).await.outcome,
            Outcome::Response(r) if r.status == 404)
        );
        // A second run whose server is gone when it stops: its user is left, and said so.
        let ledger = Arc::new(crate::client::ledger::Ledger::new("run8", None).unwrap());
        let client = Client::new(
            &server.base_url,
            Auth::Bearer(super::super::Secret::new(token)),
            Duration::from_secs(10),
        )
        .unwrap()
        .with_policy(Policy {
            retries: 0,
            ..Policy::default()
        })
        .with_ledger(ledger);
        let body = Body::Json(serde_json::json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "scimitar-run8-1"
        }));
        let created = client
            .send(Outgoing {
                method: Method::Post,
                path: "/Users",
                query: &[],
                headers: &[],
                body: Some(&body),
                credentials: Credentials::Target,
            })
            .await;
        assert!(matches!(&created.outcome, Outcome::Response(r) if r.status == 201));
        server.task.abort();
        let _ = server.task.await;
        // The user it could not delete, then the searches for what it may have left.
        let left = client.stop().await;
        assert!(
            left[0].starts_with(&format!("{}/Users/", server.base_url)),
            "{left:?}"
        );
        assert!(
            left[1..].iter().all(|l| l.contains("not searched")),
            "{left:?}"
        );
    }

    /// The sweep counts a resource as gone on 200, 204 and 404, and on nothing else.
    #[test]
    fn a_delete_succeeded_on_200_204_and_404_only() {
        for (status, gone) in [
            (200, true),
            (204, true),
            (404, true),
            (409, false),
            (500, false),
        ] {
            assert_eq!(exchange(answered(status), 0).deleted(), gone, "{status}");
        }
        assert!(!exchange(Outcome::Error("reset".into()), 0).deleted());
    }

    /// Reports mention retries only where there were some.
    #[test]
    fn retries_are_reported_when_there_were_any() {
        let json = |retries| serde_json::to_value(exchange(answered(204), retries)).unwrap();
        assert_eq!(json(0).get("retries"), None, "{}", json(0));
        assert_eq!(json(3)["retries"], 3, "{}", json(3));
    }

    /// Jitter adds up to the base, and not always nothing: clients do not retry in step.
    #[test]
    fn jitter_is_at_most_the_base_and_not_always_zero() {
        let base = Duration::from_millis(100);
        let draws: Vec<Duration> = (0..50)
            .map(|_| {
                std::thread::sleep(Duration::from_micros(7));
                jitter(base)
            })
            .collect();
        assert!(draws.iter().all(|d| *d <= base), "{draws:?}");
        assert!(draws.iter().any(|d| *d > Duration::ZERO), "{draws:?}");
    }

    /// A connection dropped before any answer is tried again for GET, PUT and DELETE, and
    /// never for POST or PATCH, which might then happen twice.
    #[tokio::test]
    async fn only_idempotent_requests_are_sent_again_after_a_connection_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = accepted.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                drop(conn);
            }
        });
        let policy = Policy {
            retries: 2,
            backoff: Duration::from_millis(1),
            ..Policy::default()
        };
        let client = Client::new(&base, Auth::None, Duration::from_secs(5))
            .unwrap()
            .with_policy(policy);
        let body = Body::Json(serde_json::json!({}));
        for (method, sent) in [
            (Method::Post, 1),
            (Method::Patch, 1),
            (Method::Get, 3),
            (Method::Put, 3),
            (Method::Delete, 3),
        ] {
            let before = accepted.load(std::sync::atomic::Ordering::SeqCst);
            let out = Outgoing {
                method,
                path: "/Users/x",
                query: &[],
                headers: &[],
                body: matches!(method, Method::Post | Method::Patch | Method::Put).then_some(&body),
                credentials: Credentials::Target,
            };
            let exchange = client.send(out).await;
            assert!(
                matches!(exchange.outcome, Outcome::Error(_)),
                "{method:?} got an answer"
            );
            let after = accepted.load(std::sync::atomic::Ordering::SeqCst);
            assert_eq!(
                after - before,
                sent,
                "{method:?} was sent {} times",
                after - before
            );
        }
    }
}
