//! The discovery documents (RFC 7644 §4: `/ServiceProviderConfig`, `/ResourceTypes`,
//! `/Schemas` and what lies under them) are fetched once per run: the run's own discovery
//! and the cases that read the same document again share the first answer, the exchange as
//! recorded (its request for the reproduction, its response for the checks). They describe
//! the server, not its data, so nothing a run does changes them. A request that differs in
//! anything (a filter, an Accept header, no credentials) is a document of its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::{Credentials, Exchange, Outcome, Outgoing};
use crate::suite::Method;

/// The endpoints RFC 7644 §4 names for discovery.
const DISCOVERY: [&str; 3] = ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"];

/// The answers so far, by everything the request says.
#[derive(Default)]
pub struct Documents {
    answers: Mutex<HashMap<String, Arc<OnceCell<Exchange>>>>,
}

impl Documents {
    /// What tells `out` apart from every other request, when it fetches a discovery
    /// document under `base_url`; None for any other request.
    pub fn key(base_url: &str, out: &Outgoing<'_>) -> Option<String> {
        let path = out.path.strip_prefix(base_url).unwrap_or(out.path);
        let discovery = DISCOVERY.iter().any(|d| {
            path.strip_prefix(d)
                .is_some_and(|r| r.is_empty() || r.starts_with('/'))
        });
        if out.method != Method::Get || out.body.is_some() || !discovery {
            return None;
        }
        let credentials = match out.credentials {
            Credentials::Target => "target".to_string(),
            Credentials::Anonymous => "anonymous".to_string(),
            Credentials::Bearer(t) => format!("bearer {t}"),
        };
        Some(format!(
            "{path} {:?} {:?} {credentials}",
            out.query, out.headers
        ))
    }

    /// The first answer to the request `key` names; `send` sends it when there is none yet
    /// (one caller at a time: the others wait for its answer). An answer that may differ
    /// next time (no answer, 429, a 5xx) is not kept.
    pub async fn fetch<F: Future<Output = Exchange>>(
        &self,
        key: String,
        send: impl FnOnce() -> F,
    ) -> Exchange {
        let cell = self
            .answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_default()
            .clone();
        let mut sent = false;
        let answer = cell
            .get_or_try_init(|| async {
                sent = true;
                let x = send().await;
                match &x.outcome {
                    // A 401 may end with the next token (OAuth): asked again, not kept.
                    Outcome::Response(r) if r.status < 500 && !matches!(r.status, 401 | 429) => {
                        Ok(x)
                    }
                    _ => Err(x),
                }
            })
            .await;
        match answer {
            Ok(x) if sent => x.clone(),
            // Handed again, nothing was sent: no retry nor drop is this caller's to count.
            Ok(x) => Exchange {
                retries: 0,
                dropped: 0,
                ..x.clone()
            },
            Err(x) => x,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{RecordedRequest, RecordedResponse};
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn get<'a>(path: &'a str, query: &'a [(String, String)]) -> Outgoing<'a> {
        Outgoing {
            query,
            ..Outgoing::get(path)
        }
    }

    fn answer(status: u16) -> Exchange {
        Exchange {
            request: RecordedRequest {
                method: Method::Get,
                url: "http://x/ServiceProviderConfig".into(),
                headers: vec![],
                body: None,
            },
            outcome: Outcome::Response(RecordedResponse {
                status,
                headers: vec![],
                body: "{}".into(),
                truncated: false,
            }),
            elapsed_ms: 1.0,
            retries: 0,
            unanswered: false,
            dropped: 0,
        }
    }

    /// Only GETs of the discovery endpoints, told apart by query, headers and credentials.
    #[test]
    fn only_discovery_documents_have_a_key() {
        let base = "http://x/v2";
        let plain = Documents::key(base, &get("/ServiceProviderConfig", &[])).unwrap();
        let absolute = Documents::key(base, &get("http://x/v2/ServiceProviderConfig", &[]));
        assert_eq!(absolute.as_deref(), Some(plain.as_str()));
        assert!(Documents::key(base, &get("/Schemas/urn:x", &[])).is_some());
        assert!(Documents::key(base, &get("/ResourceTypes/User", &[])).is_some());
        assert_eq!(Documents::key(base, &get("/SchemasX", &[])), None);
        assert_eq!(Documents::key(base, &get("/Users", &[])), None);
        let filter = [("filter".to_string(), "id eq \"x\"".to_string())];
        let filtered = Documents::key(base, &get("/ServiceProviderConfig", &filter));
        assert_ne!(filtered.as_deref(), Some(plain.as_str()));
        let anonymous = Outgoing {
            credentials: Credentials::Anonymous,
            ..get("/ServiceProviderConfig", &[])
        };
        assert_ne!(Documents::key(base, &anonymous).unwrap(), plain);
        let accept = [("Accept".to_string(), "text/plain".to_string())];
        let odd = Outgoing {
            headers: &accept,
            ..get("/ServiceProviderConfig", &[])
        };
        assert_ne!(Documents::key(base, &odd).unwrap(), plain);
        let post = Outgoing {
            method: Method::Post,
            ..get("/Schemas", &[])
        };
        assert_eq!(Documents::key(base, &post), None);
    }

    /// The first settled answer is sent once and shared; an answer of a server in trouble
    /// is not kept, so the next caller sends again.
    #[tokio::test]
    async fn a_document_is_fetched_once() {
        let documents = Documents::default();
        let sent = AtomicUsize::new(0);
        let sent = &sent;
        let fetch = |status| {
            documents.fetch("k".into(), move || async move {
                sent.fetch_add(1, Ordering::SeqCst);
                answer(status)
            })
        };
        assert!(matches!(fetch(503).await.outcome, Outcome::Response(r) if r.status == 503));
        assert!(matches!(fetch(401).await.outcome, Outcome::Response(r) if r.status == 401));
        let (a, b) = tokio::join!(fetch(200), fetch(200));
        for x in [a, b, fetch(404).await] {
            assert!(matches!(x.outcome, Outcome::Response(r) if r.status == 200));
        }
        assert_eq!(sent.load(Ordering::SeqCst), 3);
    }

    /// The retries of the send belong to the caller that sent it, not to those handed the
    /// answer after (a fuzz run's transport table counts them once).
    #[tokio::test]
    async fn an_answer_handed_again_brings_no_retries() {
        let documents = Documents::default();
        let fetch = || {
            documents.fetch("k".into(), || async {
                Exchange {
                    retries: 2,
                    dropped: 1,
                    ..answer(200)
                }
            })
        };
        let first = fetch().await;
        assert_eq!((first.retries, first.dropped), (2, 1));
        let again = fetch().await;
        assert_eq!((again.retries, again.dropped), (0, 0));
        assert!(matches!(again.outcome, Outcome::Response(r) if r.status == 200));
    }
}
