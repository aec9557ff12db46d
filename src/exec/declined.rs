//! Filters a server declines. RFC 7644 lets a server refuse "the specified attribute and
//! filter comparison combination" it does not support (Table 9, `invalidFilter`): a case
//! whose filter is refused so is unsupported there, not failed. Which part was declined is
//! found by probing each comparison alone, then each logical operator over an accepted
//! comparison; a refusal whose every part is accepted alone stays a failure.
//!
//! A refusal is no choice, though, when the same filter is accepted when asked again, or a
//! part of it was accepted elsewhere in the run: the answer then depends on the data stored,
//! not on the filter. That breaks the filter rule itself (RFC 7644 lines 931-932: the
//! resources matching SHALL be returned), and the case only leaned on the filter to scope
//! its own resources: the fault is reported once, under that rule, and the case is blocked.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use serde_json::Value;

use super::StepRecord;
use crate::client::{Body, Client, Credentials, Exchange, Outcome, Outgoing};
use crate::scim::filter::{self, AttrPath, Filter};
use crate::scim::schema::{GROUP, Registry, USER};
use crate::suite::Method;

/// The rule a filter answered otherwise than by the resources it matches breaks (by the data
/// stored, or with a server error): RFC 7644 lines 931-932.
pub const FILTER_RULE: &str = "P-filter-03";

/// What the run has learnt of the target's filters.
#[derive(Default)]
pub struct Probes {
    /// A probe's endpoint and text → accepted.
    answers: Mutex<HashMap<String, bool>>,
    /// The parts (`/Users externalId eq`) of every filter the target answered with success.
    accepted: Mutex<HashSet<String>>,
}

/// Why the target refused a filter a case sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// The parts it declines at `endpoint`, each refused alone (Table 9): the case is
    /// unsupported, unless the run sees a part accepted later.
    Declined {
        endpoint: String,
        parts: Vec<String>,
    },
    /// The filter or parts of it that it accepted at another time: its filters answer by
    /// the data stored ([`FILTER_RULE`]); the case is blocked by that fault.
    Inconsistent(Vec<String>),
    /// The parts of a filter it answered with a server error, or with a body that is no
    /// JSON, where the case asked for its matches ([`FILTER_RULE`]); the case is blocked by
    /// that fault.
    ServerError(Vec<String>),
    /// The PATCH path forms it declines, each refused alone (`path_forms`): the case is
    /// unsupported.
    PathForms(Vec<String>),
}

impl Probes {
    /// Remembers the parts of the filter `x` sent, where the target answered with success.
    pub fn saw(&self, client: &Client, x: &Exchange) {
        let Outcome::Response(r) = &x.outcome else {
            return;
        };
        if !(200..300).contains(&r.status) {
            return;
        }
        let Some((endpoint, _, parsed)) = sent_filter(client, x) else {
            return;
        };
        let (mut leaves, mut logic) = (Vec::new(), Vec::new());
        parts(&parsed, &mut leaves, &mut logic);
        let mut accepted = lock(&self.accepted);
        // A value filter's label (`emails[...]`) says nothing of what is inside it.
        for (label, _) in leaves.into_iter().filter(|(l, _)| !l.ends_with("[...]")) {
            accepted.insert(format!("{endpoint} {label}"));
        }
    }

    /// Whether a part of a filter at `endpoint` was answered with success in this run.
    pub fn was_accepted(&self, endpoint_and_label: &str) -> bool {
        lock(&self.accepted).contains(endpoint_and_label)
    }

    /// Where the target answered the filter `step` sent, which expected success, with a 5xx
    /// other than 501 or a body that is no JSON: the filter's parts. A valid filter's answer is its matches
    /// (RFC 7644 lines 931-932), whatever else the case is about.
    pub fn broken(&self, client: &Client, step: &StepRecord) -> Option<Refusal> {
        let x = step.exchange.as_ref()?;
        let Outcome::Response(r) = &x.outcome else {
            return None;
        };
        let garbled =
            (200..300).contains(&r.status) && serde_json::from_str::<Value>(&r.body).is_err();
        // 501 is how a server says it does not implement what was asked (`.search`, RFC 7644
        // line 3790): no fault of the filter.
        if (r.status < 500 || r.status == 501) && !garbled {
            return None;
        }
        let (_, _, parsed) = sent_filter(client, x)?;
        let (mut leaves, mut logic) = (Vec::new(), Vec::new());
        parts(&parsed, &mut leaves, &mut logic);
        let mut labels: Vec<String> = leaves.into_iter().map(|(label, _)| label).collect();
        labels.dedup();
        Some(Refusal::ServerError(labels))
    }

    /// Why the target refused the filter `step` sent with 400 `invalidFilter` (or a 400
    /// without a scimType) though `step` expected success; None when that is not what
    /// happened or when no part is refused alone.
    pub async fn declined(&self, client: &Client, step: &StepRecord) -> Option<Refusal> {
        let x = step.exchange.as_ref()?;
        let Outcome::Response(r) = &x.outcome else {
            return None;
        };
        let scim_type = serde_json::from_str::<Value>(&r.body).ok().and_then(|b| {
            b.get("scimType")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        if r.status != 400 || scim_type.as_deref().is_some_and(|t| t != "invalidFilter") {
            return None;
        }
        let (endpoint, text, parsed) = sent_filter(client, x)?;
        let mut leaves = Vec::new();
        let mut logic = Vec::new();
        parts(&parsed, &mut leaves, &mut logic);
        // Only a GET of the endpoint itself is asked again as it was: a `.search` may be
        // refused for being a `.search` (RFC 7644 lines 1465-1469 make it optional).
        let again = x.request.method == Method::Get
            && relative_path(client, &x.request.url).as_deref() == Some(endpoint.as_str());
        // Asked again, as it was: a filter refused once and accepted now is no choice.
        if again && self.answers_again(client, x).await {
            let mut labels: Vec<String> = leaves.into_iter().map(|(label, _)| label).collect();
            labels.dedup();
            return Some(Refusal::Inconsistent(labels));
        }
        // A server refusing even the plainest filter has no filter support to decline parts
        // of: nothing is excused.
        let plain = if endpoint == "/Groups" {
            "displayName"
        } else {
            "userName"
        };
        let baseline = format!("{plain} eq \"scimitar-probe\"");
        if !self.accepts(client, &endpoint, &baseline).await {
            return None;
        }
        let mut declined = Vec::new();
        let mut inconsistent = Vec::new();
        let mut accepted = None;
        for (label, leaf) in &leaves {
            if self.accepts(client, &endpoint, leaf).await {
                accepted.get_or_insert_with(|| leaf.clone());
            } else if again && self.was_accepted(&format!("{endpoint} {label}")) {
                if !inconsistent.contains(label) {
                    inconsistent.push(label.clone());
                }
            } else if !declined.contains(label) {
                declined.push(label.clone());
            }
        }
        // The very filter sent, refused here and accepted when probed before: by another
        // time's data. (A probe spelt otherwise, without a URN, proves nothing of it.)
        if again
            && declined.is_empty()
            && logic.is_empty()
            && leaves.iter().any(|(_, p)| *p == text)
        {
            inconsistent.extend(leaves.into_iter().map(|(label, _)| label));
        }
        if !inconsistent.is_empty() {
            return Some(Refusal::Inconsistent(inconsistent));
        }
        if let Some(x) = accepted {
            for op in logic {
                // `x` is one comparison: only `not` needs the grammar's parentheses.
                let probe = match op {
                    "not" => format!("not ({x})"),
                    _ => format!("{x} {op} {x}"),
                };
                if !self.accepts(client, &endpoint, &probe).await {
                    declined.push(op.to_string());
                }
            }
        }
        (!declined.is_empty()).then_some(Refusal::Declined {
            endpoint,
            parts: declined,
        })
    }

    /// Whether the target answers `filter` alone at `endpoint` with success, as it did
    /// when first asked.
    async fn accepts(&self, client: &Client, endpoint: &str, filter: &str) -> bool {
        let key = format!("{endpoint} {filter}");
        if let Some(known) = lock(&self.answers).get(&key) {
            return *known;
        }
        // Only a 400 declines: a 5xx is the server's fault, whatever it was asked.
        let ok = self.answers_now(client, endpoint, filter).await != Some(400);
        lock(&self.answers).insert(key, ok);
        ok
    }

    /// Whether the target answers the GET `x` sent with success when it is sent again.
    async fn answers_again(&self, client: &Client, x: &Exchange) -> bool {
        let Ok(url) = url::Url::parse(&x.request.url) else {
            return false;
        };
        let Some(path) = relative_path(client, &x.request.url) else {
            return false;
        };
        let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let again = client
            .send(Outgoing {
                query: &query,
                ..Outgoing::get(&path)
            })
            .await;
        matches!(&again.outcome, Outcome::Response(r) if (200..300).contains(&r.status))
    }

    /// The status the target answers `filter` alone at `endpoint` with now, if it answers.
    async fn answers_now(&self, client: &Client, endpoint: &str, filter: &str) -> Option<u16> {
        let query = [
            ("filter".to_string(), filter.to_string()),
            ("count".to_string(), "1".to_string()),
        ];
        let x = client
            .send(Outgoing {
                method: Method::Get,
                path: endpoint,
                query: &query,
                headers: &[],
                body: None,
                credentials: Credentials::Target,
            })
            .await;
        match &x.outcome {
            Outcome::Response(r) => Some(r.status),
            Outcome::Error(_) => None,
        }
    }
}

/// The path of `url` below the base URL: `/Users/{id}`.
pub(super) fn relative_path(client: &Client, url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    let base = url::Url::parse(client.base_url()).ok()?;
    let path = url.path().strip_prefix(base.path().trim_end_matches('/'))?;
    path.starts_with('/').then(|| path.to_string())
}

/// The endpoint (`/Users`), the text and the parse of the filter an exchange sent, in its
/// query or in a `.search` body.
fn sent_filter(client: &Client, x: &Exchange) -> Option<(String, String, Filter)> {
    let url = url::Url::parse(&x.request.url).ok()?;
    let in_query = url
        .query_pairs()
        .find(|(k, _)| k == "filter")
        .map(|(_, v)| v.into_owned());
    let text = in_query.or_else(|| match &x.request.body {
        Some(Body::Json(b)) => b.get("filter")?.as_str().map(str::to_string),
        _ => None,
    })?;
    let parsed = filter::parse(&text).ok()?;
    // Probed where the case asked: the resource type's endpoint, by GET.
    let endpoint = url
        .path()
        .trim_end_matches("/.search")
        .strip_prefix(url::Url::parse(client.base_url()).ok()?.path())?
        .to_string();
    let endpoint = if endpoint.is_empty() {
        "/Users".to_string()
    } else {
        endpoint
    };
    Some((endpoint, text, parsed))
}

/// The comparisons (and value filters) of `f`, each as a label (`name.familyName co`) and
/// as the filter that probes it alone, and the logical operators it uses.
fn parts(f: &Filter, leaves: &mut Vec<(String, String)>, logic: &mut Vec<&'static str>) {
    let add = |op: &'static str, logic: &mut Vec<&'static str>| {
        if !logic.contains(&op) {
            logic.push(op);
        }
    };
    match f {
        Filter::And(a, b) | Filter::Or(a, b) => {
            add(
                if matches!(f, Filter::And(..)) {
                    "and"
                } else {
                    "or"
                },
                logic,
            );
            parts(a, leaves, logic);
            parts(b, leaves, logic);
        }
        Filter::Not(a) => {
            add("not", logic);
            parts(a, leaves, logic);
        }
        leaf => {
            let leaf = canonical(leaf);
            let label = match &leaf {
                Filter::Compare { path, op, .. } => format!("{path} {}", op.as_str()),
                Filter::Present(path) => format!("{path} pr"),
                Filter::ValuePath { path, .. } => format!("{path}[...]"),
                other => other.to_string(),
            };
            let probe = leaf.to_string();
            if !leaves.iter().any(|(_, p)| *p == probe) {
                leaves.push((label, probe));
            }
        }
    }
}

/// `f` with its names as RFC 7643 spells them and core schema URNs dropped, so that a
/// probe asks about the comparison, not about how its names are written (case-insensitive
/// and URN-qualified names are the server's duty, not its choice).
fn canonical(f: &Filter) -> Filter {
    let core = Registry::rfc();
    fn spelled<'a>(name: &str, mut known: impl Iterator<Item = &'a str>) -> String {
        known
            .find(|k| k.eq_ignore_ascii_case(name))
            .map_or_else(|| name.to_string(), str::to_string)
    }
    let path = |p: &AttrPath| {
        let urn = p
            .urn
            .clone()
            .filter(|u| !u.eq_ignore_ascii_case(USER) && !u.eq_ignore_ascii_case(GROUP));
        let attrs = || core.schemas.iter().flat_map(|s| &s.attributes);
        let common = ["id", "externalId", "meta"];
        let attr = spelled(&p.attr, attrs().map(|a| a.name.as_str()).chain(common));
        let sub = p.sub.as_ref().map(|s| {
            let subs = attrs()
                .flat_map(|a| &a.sub_attributes)
                .map(|a| a.name.as_str());
            spelled(
                s,
                subs.chain([
                    "created",
                    "lastModified",
                    "resourceType",
                    "version",
                    "location",
                ]),
            )
        });
        AttrPath { urn, attr, sub }
    };
    match f {
        Filter::Compare { path: p, op, value } => Filter::Compare {
            path: path(p),
            op: *op,
            value: value.clone(),
        },
        Filter::Present(p) => Filter::Present(path(p)),
        Filter::And(a, b) => Filter::And(Box::new(canonical(a)), Box::new(canonical(b))),
        Filter::Or(a, b) => Filter::Or(Box::new(canonical(a)), Box::new(canonical(b))),
        Filter::Not(a) => Filter::Not(Box::new(canonical(a))),
        Filter::ValuePath { path: p, filter } => Filter::ValuePath {
            path: path(p),
            filter: Box::new(canonical(filter)),
        },
    }
}

/// A lock whose holder may have panicked: the data is still what it was.
pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_splits_into_comparisons_and_logic() {
        let f = filter::parse(
            r#"(userName eq "a" or userName eq "b") and not (name.familyName co "x") and emails[type eq "work"]"#,
        )
        .unwrap();
        let (mut leaves, mut logic) = (Vec::new(), Vec::new());
        parts(&f, &mut leaves, &mut logic);
        assert_eq!(logic, ["and", "or", "not"]);
        let labels: Vec<&str> = leaves.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "userName eq",
                "userName eq",
                "name.familyName co",
                "emails[...]"
            ]
        );
        assert_eq!(leaves[2].1, r#"name.familyName co "x""#);
    }

    /// A target whose `/scim/v2/Users` answers by the filter: 400 invalidFilter for one
    /// naming `title` with `and`, 500 for `title` alone, 200 otherwise.
    async fn title_breaks_alone() -> Client {
        use axum::extract::Query;
        use axum::http::StatusCode;
        let users = async |Query(q): Query<HashMap<String, String>>| {
            let f = q.get("filter").cloned().unwrap_or_default();
            let (status, body) = match (f.contains("title"), f.contains(" and ")) {
                (true, true) => (
                    StatusCode::BAD_REQUEST,
                    r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "400", "scimType": "invalidFilter"}"#,
                ),
                (true, false) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
                _ => (
                    StatusCode::OK,
                    r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0}"#,
                ),
            };
            (status, body)
        };
        let app = axum::Router::new().route("/scim/v2/Users", axum::routing::get(users));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/scim/v2", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Client::new(
            &base,
            crate::client::Auth::None,
            std::time::Duration::from_secs(10),
        )
        .unwrap()
    }

    /// A filter refused 400 whose part, probed alone, answers 500: the 500 is the server's
    /// fault, not a refusal (only a 400 declines), so nothing is declined and the case stays
    /// failed; the part accepted alone and `and` over it are not declined either.
    #[tokio::test]
    async fn a_part_answered_with_a_server_error_is_not_declined() {
        let client = title_breaks_alone().await;
        let query = [(
            "filter".to_string(),
            r#"userName eq "ada" and title eq "Tour Guide""#.to_string(),
        )];
        let x = client
            .send(Outgoing {
                query: &query,
                ..Outgoing::get("/Users")
            })
            .await;
        let step = StepRecord {
            label: "step 1/1".into(),
            teardown: false,
            exchange: Some(x),
            failures: vec!["expected 200, got 400".into()],
            notes: vec![],
            skipped: None,
            unkept: None,
            breaches: vec![],
        };
        let probes = Probes::default();
        assert_eq!(
            probes.broken(&client, &step),
            None,
            "a 400 is no server error"
        );
        assert_eq!(probes.declined(&client, &step).await, None);
        // The probes were sent and answered as scripted: the part alone got its 500.
        assert_eq!(
            probes
                .answers_now(&client, "/Users", r#"title eq "Tour Guide""#)
                .await,
            Some(500)
        );
    }

    #[test]
    fn probes_ask_in_the_rfc_spelling() {
        let f = filter::parse(
            r#"urn:ietf:params:scim:schemas:core:2.0:User:USERNAME Eq "a" and NAME.FAMILYNAME pr"#,
        )
        .unwrap();
        let (mut leaves, mut logic) = (Vec::new(), Vec::new());
        parts(&f, &mut leaves, &mut logic);
        let probes: Vec<&str> = leaves.iter().map(|(_, p)| p.as_str()).collect();
        assert_eq!(probes, [r#"userName eq "a""#, "name.familyName pr"]);
    }
}
