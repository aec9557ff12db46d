//! How scimitar authenticates to a target: a bearer token, HTTP basic, a custom header, or
//! OAuth2 client credentials (token fetched from the token endpoint, refreshed before it
//! expires). Every secret, fetched access tokens included, is scrubbed from what is recorded.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::secret::{REDACTED, Secret};

pub enum Auth {
    None,
    Bearer(Secret),
    Basic {
        user: String,
        password: Secret,
    },
    /// A header such as `X-API-Key: <secret>`.
    Header {
        name: String,
        value: Secret,
    },
    OAuth(OAuth),
}

/// OAuth2 client credentials (RFC 6749 §4.4).
pub struct OAuth {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub scope: Option<String>,
    cached: tokio::sync::Mutex<Option<(Secret, Instant)>>,
    /// Every access token handed out in this run, to scrub from the records.
    issued: Mutex<Vec<Secret>>,
}

/// A token this close to its expiry is renewed first.
const EARLY: Duration = Duration::from_secs(30);

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl OAuth {
    pub fn new(
        token_url: String,
        client_id: String,
        client_secret: Secret,
        scope: Option<String>,
    ) -> Self {
        OAuth {
            token_url,
            client_id,
            client_secret,
            scope,
            cached: tokio::sync::Mutex::new(None),
            issued: Mutex::new(Vec::new()),
        }
    }

    /// A valid access token, from the cache or fetched anew.
    async fn token(&self, http: &reqwest::Client) -> Result<Secret, String> {
        let mut cached = self.cached.lock().await;
        if let Some((t, until)) = cached.as_ref()
            && Instant::now() + EARLY < *until
        {
            return Ok(t.clone());
        }
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose()),
        ];
        if let Some(s) = &self.scope {
            form.push(("scope", s));
        }
        let resp = http
            .post(&self.token_url)
            .form(&form)
            .send()
            .await
            .map_err(|e| format!("the token endpoint {} failed: {e}", self.token_url))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(format!(
                "the token endpoint {} answered {status}: {}",
                self.token_url,
                self.client_secret.scrub(&crate::check::cut(&text, 300))
            ));
        }
        let parsed: TokenResponse = serde_json::from_str(&text)
            .map_err(|e| format!("the token endpoint's answer has no access_token: {e}"))?;
        let token = Secret::new(parsed.access_token);
        self.issued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(token.clone());
        // Without expires_in, an hour, as many servers grant.
        let life = Duration::from_secs(parsed.expires_in.unwrap_or(3600));
        *cached = Some((token.clone(), Instant::now() + life));
        Ok(token)
    }

    /// Forgets the cached token, after the target refused it.
    pub async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }
}

impl Auth {
    /// The request with credentials added, and the header as recorded (secret redacted).
    pub async fn apply(
        &self,
        req: reqwest::RequestBuilder,
        http: &reqwest::Client,
    ) -> Result<(reqwest::RequestBuilder, Option<(String, String)>), String> {
        Ok(match self {
            Auth::None => (req, None),
            Auth::Bearer(t) => (
                req.bearer_auth(t.expose()),
                Some(("Authorization".into(), format!("Bearer {REDACTED}"))),
            ),
            Auth::Basic { user, password } => (
                req.basic_auth(user, Some(password.expose())),
                Some(("Authorization".into(), format!("Basic {REDACTED}"))),
            ),
            Auth::Header { name, value } => (
                req.header(name.as_str(), value.expose()),
                Some((name.clone(), REDACTED.into())),
            ),
            Auth::OAuth(o) => {
                let t = o.token(http).await?;
                (
                    req.bearer_auth(t.expose()),
                    Some(("Authorization".into(), format!("Bearer {REDACTED}"))),
                )
            }
        })
    }

    /// `text` with every secret of this authentication removed.
    pub fn scrub(&self, text: &str) -> String {
        match self {
            Auth::None => text.to_string(),
            Auth::Bearer(t) => t.scrub(text),
            Auth::Basic { user, password } => {
                // The encoded pair appears in a raw Authorization header.
                use base64::Engine;
                let pair = base64::engine::general_purpose::STANDARD
                    .encode(format!("{user}:{}", password.expose()));
                Secret::new(pair).scrub(&password.scrub(text))
            }
            Auth::Header { value, .. } => value.scrub(text),
            Auth::OAuth(o) => {
                let issued = o.issued.lock().unwrap_or_else(|e| e.into_inner());
                issued
                    .iter()
                    .fold(o.client_secret.scrub(text), |t, s| s.scrub(&t))
            }
        }
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Auth::None)
    }
}

/// Warnings about a set-up that exposes the secret: plain http to a host that is not this
/// machine, or credentials written into a URL.
pub fn insecure(urls: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for url in urls {
        let Ok(u) = reqwest::Url::parse(url) else {
            continue;
        };
        let loopback = match u.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        if u.scheme() == "http" && !loopback {
            out.push(format!(
                "{} is plain http to another machine: the credential crosses the network unencrypted",
                redact_url(&u)
            ));
        }
        if u.password().is_some() || !u.username().is_empty() {
            out.push(format!(
                "{} carries credentials in the URL, where logs and proxies keep them",
                redact_url(&u)
            ));
        }
        let secretive = [
            "token",
            "access_token",
            "api_key",
            "apikey",
            "key",
            "secret",
            "password",
            "code",
            "sig",
        ];
        if let Some((k, _)) = u
            .query_pairs()
            .find(|(k, _)| secretive.contains(&k.to_ascii_lowercase().as_str()))
        {
            out.push(format!(
                "{} carries `{k}` in its query string, where logs and proxies keep it",
                redact_url(&u)
            ));
        }
    }
    out
}

fn redact_url(u: &reqwest::Url) -> String {
    let mut u = u.clone();
    let _ = u.set_password(None);
    let _ = u.set_username("");
    u.set_query(None);
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insecure_set_ups_are_named_and_safe_ones_are_not() {
        assert!(
            insecure(&["http://127.0.0.1:8080/scim/v2", "https://example.com/scim"]).is_empty()
        );
        assert!(insecure(&["http://localhost/scim"]).is_empty());
        let w = insecure(&["http://scim.example.com/v2"]);
        assert!(w[0].contains("plain http"), "{w:?}");
        let w = insecure(&["https://u:p@example.com/scim?token=abc"]);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w.iter().all(|m| !m.contains("abc") && !m.contains(":p@")),
            "{w:?}"
        );
    }

    /// A token endpoint granting `tok-N` (N counting from 1) for `expires_in` seconds, or
    /// answering `status` with the secret echoed; returns its URL and the count of grants.
    async fn token_endpoint(
        expires_in: u64,
        status: u16,
    ) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let grants = std::sync::Arc::new(AtomicUsize::new(0));
        let counted = grants.clone();
        let app = axum::Router::new().route(
            "/token",
            axum::routing::post(move |body: String| {
                let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    let status = axum::http::StatusCode::from_u16(status).unwrap();
                    let json = if status.is_success() {
                        format!(r#"{{"access_token":"tok-{n}","expires_in":{expires_in}}}"#)
                    } else {
                        format!(r#"{{"error":"invalid_client","got":"{body}"}}"#)
                    };
                    (status, json)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/token", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, grants)
    }

    fn http() -> reqwest::Client {
        crate::client::install_crypto_provider();
        reqwest::Client::new()
    }

    fn oauth(url: String) -> OAuth {
        OAuth::new(
            url,
            "app".into(),
            Secret::new("client-secret-0123456789"),
            None,
        )
    }

    fn count(grants: &std::sync::atomic::AtomicUsize) -> usize {
        grants.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// A token is fetched once and used until 30 s before it expires; one the target refused
    /// is fetched anew.
    #[tokio::test]
    async fn an_access_token_is_cached_until_shortly_before_it_expires() {
        let http = http();
        let (url, grants) = token_endpoint(3600, 200).await;
        let o = oauth(url);
        assert_eq!(o.token(&http).await.unwrap().expose(), "tok-1");
        assert_eq!(o.token(&http).await.unwrap().expose(), "tok-1");
        assert_eq!(count(&grants), 1);
        o.invalidate().await;
        assert_eq!(o.token(&http).await.unwrap().expose(), "tok-2");
        assert_eq!(count(&grants), 2);
        // Granted for 20 s: within the 30 s of early renewal from the start.
        let (url, grants) = token_endpoint(20, 200).await;
        let o = oauth(url);
        o.token(&http).await.unwrap();
        assert_eq!(o.token(&http).await.unwrap().expose(), "tok-2");
        assert_eq!(count(&grants), 2);
    }

    /// A refusal of the token endpoint is an error naming its status, without the secret.
    #[tokio::test]
    async fn a_refused_token_request_is_an_error_without_the_secret() {
        let (url, _) = token_endpoint(3600, 401).await;
        let err = oauth(url).token(&http()).await.unwrap_err();
        assert!(err.contains("answered 401"), "{err}");
        assert!(!err.contains("client-secret-0123456789"), "{err}");
    }

    /// Without credentials, scimitar warns before sending anything (main.rs).
    #[test]
    fn only_no_credentials_is_none() {
        assert!(Auth::None.is_none());
        assert!(!Auth::Bearer(Secret::new("a-bearer-token-0123")).is_none());
    }

    #[test]
    fn basic_credentials_are_scrubbed_raw_and_encoded() {
        let a = Auth::Basic {
            user: "ann".into(),
            password: Secret::new("pw-123"),
        };
        // base64("ann:pw-123")
        let t = a.scrub("pw-123 YW5uOnB3LTEyMw==");
        assert_eq!(t, "[REDACTED] [REDACTED]");
    }
}
