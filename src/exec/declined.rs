//! Filters a server declines. RFC 7644 lets a server refuse "the specified attribute and
//! filter comparison combination" it does not support (Table 9, `invalidFilter`): a case
//! whose filter is refused so is unsupported there, not failed. Which part was declined is
//! found by probing each comparison alone, then each logical operator over an accepted
//! comparison; a refusal whose every part is accepted alone stays a failure.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;

use super::StepRecord;
use crate::scim::filter::{self, AttrPath, Filter};
use crate::scim::schema::{GROUP, Registry, USER};
use crate::suite::Method;
use crate::target::client::{Body, Client, Credentials, Outcome, Outgoing};

/// What the run has learnt of the target's filters: a probe's text → accepted.
#[derive(Default)]
pub struct Probes(Mutex<HashMap<String, bool>>);

impl Probes {
    /// The parts of the filter `step` sent that the target declines, where it refused the
    /// filter with 400 `invalidFilter` (or a 400 without a scimType) though `step` expected
    /// success; None when that is not what happened or when no part is declined alone.
    pub async fn declined(&self, client: &Client, step: &StepRecord) -> Option<Vec<String>> {
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
        let mut leaves = Vec::new();
        let mut logic = Vec::new();
        parts(&parsed, &mut leaves, &mut logic);
        let mut declined = Vec::new();
        let mut accepted = None;
        for (label, leaf) in &leaves {
            if self.accepts(client, &endpoint, leaf).await {
                accepted.get_or_insert_with(|| leaf.clone());
            } else if !declined.contains(label) {
                declined.push(label.clone());
            }
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
        (!declined.is_empty()).then_some(declined)
    }

    /// Whether the target answers `filter` alone at `endpoint` with success.
    async fn accepts(&self, client: &Client, endpoint: &str, filter: &str) -> bool {
        let key = format!("{endpoint} {filter}");
        if let Some(known) = lock(&self.0).get(&key) {
            return *known;
        }
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
        // Only a 400 declines: a 5xx is the server's fault, whatever it was asked.
        let ok = !matches!(&x.outcome, Outcome::Response(r) if r.status == 400);
        lock(&self.0).insert(key, ok);
        ok
    }
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
    let core = Registry::core();
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
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
