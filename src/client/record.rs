//! What went over the wire, as recorded: each request with the secret already removed, and
//! what came back or why nothing did. The client writes it; the ledger, reproductions and
//! reports read it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::suite::Method;

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
    /// True when the body was longer than [`super::http::MAX_BODY`] and was cut.
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
    /// How often it was sent again (429, 503, a reset connection) before this answer.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: u32,
    /// The request went out and the connection ended before an answer came (refused, reset,
    /// closed, timed out): the transport's doing or the target's, a thing sending again may
    /// not meet. Not so for a request scimitar held back, nor for an answer cut short.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unanswered: bool,
    /// How many of its sends got no answer, the last one included: an answer after one may
    /// be to what the unanswered send already did (a DELETE sent again finds the resource
    /// gone).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropped: u32,
}

impl Exchange {
    /// Whether this answers a DELETE with the resource gone: 200, 204, or 404 for one that
    /// was gone already.
    pub(super) fn deleted(&self) -> bool {
        matches!(&self.outcome, Outcome::Response(r) if matches!(r.status, 200 | 204 | 404))
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Response(RecordedResponse),
    /// The transport failed: connection refused, timeout, reset.
    Error(String),
}
