//! What the fuzzer found, as a server owner reads it: every distinct divergence once, with a
//! signature (the kind of request, the kind of difference and the field it is about), how
//! often it was hit, and the rule of the catalogue it breaks. Only what the RFC fixes fails:
//! a difference where the rule is a SHOULD or a MAY, or where the RFC allows more than one
//! answer, is a warning row.

use std::fmt::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::compare::{Divergence, Kind};
use super::op::{Op, Purpose};
use super::trace::{Step, Trace};
use super::transport::Transport;
use crate::client::{Body, Outcome};
use crate::requirements::{self, Requirement};
use crate::suite::{Level, Method};

/// How the catalogue judges one divergence.
#[derive(Debug, Clone)]
pub struct Judgement {
    /// The rule it breaks; None where none is named (a body that is no JSON).
    pub row: Option<&'static Requirement>,
    /// Why the RFC allows the target's answer too, when it does.
    pub allowed: Option<&'static str>,
}

impl Judgement {
    /// A failing finding: a MUST that binds the server, with no other answer allowed. An
    /// answer no rule names (a body that is no JSON) fails too. A request with no answer is
    /// no finding at all, but transport trouble (`super::transport`).
    pub fn fails(&self) -> bool {
        self.allowed.is_none()
            && self
                .row
                .is_none_or(|r| r.level == Level::Must && r.basis.binds_server())
    }

    /// `MUST`, `SHOULD`, `MAY`, or `allowed` where the RFC permits the answer.
    pub fn level(&self) -> String {
        match (self.allowed, self.row) {
            (Some(_), _) => "allowed".into(),
            (None, Some(r)) if !r.basis.binds_server() => "advice".into(),
            (None, Some(r)) => r.level.to_string(),
            (None, None) => "MUST".into(),
        }
    }
}

/// The kind of request: method, path with its ids as `{id}`, and what it was for. What is
/// wrong with an invalid payload tells findings apart only where the model refuses it: a
/// Location missing from its 201, or a 200 for it, is the one of every create.
fn request_kind(step: &Step, kind: Kind) -> String {
    let refused = kind == Kind::Status && step.expected.status >= 400;
    let op = &step.op;
    let path = op.path_shape();
    let what = match &op.purpose {
        Purpose::Invalid { why, .. } if refused => format!(" (invalid: {why})"),
        Purpose::Invalid { .. } => String::new(),
        Purpose::List { .. } => " (list)".into(),
        Purpose::Walk { tamper: true, .. } => " (cursor walk, tampered cursor)".into(),
        Purpose::Walk { .. } => " (cursor walk)".into(),
        Purpose::Create(_) | Purpose::Discovery | Purpose::Bulk | Purpose::Other => String::new(),
    };
    let mut how = String::new();
    if op.anonymous {
        how.push_str(" without credentials");
    }
    for (k, _) in &op.headers {
        how.push_str(&format!(" with {k}"));
    }
    let filtered = if op.purpose == Purpose::Discovery && !op.query.is_empty() {
        "?filter"
    } else {
        ""
    };
    format!("{} {path}{filtered}{what}{how}", op.method.as_str())
}

/// `POST /Users · Location missing`.
pub fn signature(step: &Step, d: &Divergence) -> String {
    let field = if d.field.is_empty() {
        String::new()
    } else {
        format!(" {}", d.field)
    };
    format!(
        "{} · {}{field}",
        request_kind(step, d.kind),
        d.kind.as_str()
    )
}

/// Judges the divergence of the last of `steps` (the earlier ones are its history).
pub fn judge(steps: &[Step], d: &Divergence) -> Judgement {
    let step = steps.last().expect("a divergence has a step");
    let deleted_a_user = steps
        .iter()
        .any(|s| s.op.method == Method::Delete && s.op.path.starts_with("/Users"));
    let deleted_this = steps[..steps.len() - 1].iter().any(|s| {
        s.op.method == Method::Delete
            && s.request.url == step.request.url
            && matches!(&s.actual, Outcome::Response(r) if (200..300).contains(&r.status))
    });
    let bulk = steps.iter().any(|s| s.op.purpose == Purpose::Bulk);
    let adds_members = |steps: &[Step]| {
        steps.iter().any(|s| {
            patches(&s.op, |o| {
                op_is(o, "add")
                    && o["path"]
                        .as_str()
                        .is_some_and(|p| p.eq_ignore_ascii_case("members"))
            })
        })
    };
    let (row, allowed) = match d.kind {
        // Whether deleting a user takes it out of its groups is left to the server
        // (RFC 7643 §4.2, P-delete-05).
        Kind::Attribute if d.field == ".members" && deleted_a_user => (Some("P-delete-05"), None),
        // A member a Bulk request named by bulkId and the target kept unresolved (RFC 7644
        // §3.7.2).
        Kind::Attribute if d.field == ".members" && bulk && d.detail.contains("bulkId:") => {
            (Some("P-bulk-04"), None)
        }
        // A member added again, kept twice: adding a value already there should change
        // nothing (P-patch-14, SHOULD).
        Kind::Attribute if d.field == ".members" && adds_members(steps) && more_kept(&d.detail) => {
            (Some("P-patch-14"), None)
        }
        Kind::Status if step.op.purpose == Purpose::Bulk && d.field.contains("Bulk operation") => {
            (Some("P-bulk-03"), None)
        }
        Kind::Status | Kind::Location if step.op.purpose == Purpose::Bulk => {
            (Some("P-bulk-02"), None)
        }
        // A resource the target said it deleted, found again.
        Kind::Status if deleted_this && step.expected.status == 404 => (Some("P-delete-02"), None),
        _ => rule(step, d),
    };
    Judgement {
        row: row.map(|id| requirements::find(id).expect("the fuzzer cites rows that exist")),
        allowed,
    }
}

/// The id of the rule a divergence breaks, and why the RFC allows it where it does.
fn rule(step: &Step, d: &Divergence) -> (Option<&'static str>, Option<&'static str>) {
    let op = &step.op;
    let expected = step.expected.status;
    let actual = match &step.actual {
        Outcome::Response(r) => r.status,
        Outcome::Error(_) => 0,
    };
    let one = op.path.contains("{{");
    let excluded = op.query.iter().any(|(k, _)| k == "excludedAttributes");
    let projected = excluded || op.query.iter().any(|(k, _)| k == "attributes");
    let errors = |s: u16| (400..500).contains(&s);
    let id = match d.kind {
        Kind::NotJson => None,
        Kind::Invariant => requirements::find(&d.field).map(|r| r.id.as_str()),
        // RFC 9865 §2 has nextCursor omitted "only to indicate that there are no more result
        // pages"; it does not oblige a server that cannot yet tell to omit it, so a nextCursor
        // leading to an empty page is allowed (it costs the client one request).
        Kind::Cursor if d.field == "last page" => {
            return (
                Some("P-cursor-05"),
                Some(
                    "a nextCursor may lead to an empty last page: its absence marks the end, its presence does not promise more",
                ),
            );
        }
        Kind::Cursor => Some(match d.field.as_str() {
            "count" => "P-cursor-02",
            "first page" => "P-cursor-06",
            "endless" => "P-cursor-05",
            _ => "P-cursor-12",
        }),
        // A cursor page answers as the first did; a changed cursor is refused (§2.1).
        Kind::Status
            if matches!(op.purpose, Purpose::Walk { tamper: true, .. }) && expected == 400 =>
        {
            Some("P-cursor-08")
        }
        Kind::Status if matches!(op.purpose, Purpose::Walk { .. }) => Some("P-cursor-05"),
        Kind::KeptId => Some("P-create-06"),
        // Credentials are checked before anything else is known of a request.
        Kind::Status if errors(expected) && errors(actual) && expected != 401 => {
            return (
                status_rule(op.method, &op.path, one, expected),
                Some(
                    "which error answers a request with more than one fault is not fixed by the RFC",
                ),
            );
        }
        Kind::Status if matches!(op.purpose, Purpose::Invalid { expected: e, .. } if e.allows(actual)) =>
        {
            return (
                Some("P-create-09"),
                Some("a server may ignore what it does not know, or refuse it (RFC 7644 §3.3)"),
            );
        }
        // The model refuses members nobody has (any more); checking references is a MAY
        // (RFC 7643 §2.3.7), so the target may accept them.
        Kind::Status
            if expected == 400
                && (200..300).contains(&actual)
                && op.path.starts_with("/Groups")
                && names_members(step) =>
        {
            Some("C-group-03")
        }
        // An add through a value filter that matches nothing: the add section has the
        // value added (RFC 7644 §3.5.2.1), Table 9 has it refused with noTarget.
        // The model takes the forms Entra sends that RFC 7644 does not define (capitalised
        // ops, a remove carrying a value, attribute paths as the keys of a path-less value,
        // "True" for a boolean); a server may refuse them.
        Kind::Status if expected < 300 && actual == 400 && entra_form(&step.op) => {
            return (
                Some("P-patch-02"),
                Some(
                    "the PATCH uses a form Entra sends that RFC 7644 does not define, which a server may refuse",
                ),
            );
        }
        Kind::Status if adds_through_a_filter(step) => {
            return (
                Some("P-patch-11"),
                Some(
                    "an add through a value filter that matches nothing may add the value or be refused with noTarget",
                ),
            );
        }
        Kind::Status => status_rule(op.method, &op.path, one, expected),
        Kind::ContentType => Some("P-media-01"),
        Kind::Location => Some("P-create-03"),
        Kind::ErrorSchemas => Some("P-errors-01"),
        Kind::ErrorStatus => Some("P-errors-02"),
        Kind::TotalResults => Some("P-list-02"),
        Kind::Members if matches!(op.purpose, Purpose::List { paged: true, .. }) => {
            Some("P-paging-03")
        }
        Kind::Members => Some("P-filter-03"),
        Kind::Order => Some("P-sort-02"),
        Kind::Version => Some("P-etag-05"),
        Kind::Unadvertised => Some("C-discovery-05"),
        Kind::Attribute => match d.field.as_str() {
            ".password" => Some("C-user-03"),
            ".groups" => Some("C-user-07"),
            ".meta.location" | ".meta" => Some("P-create-04"),
            _ if projected && excluded => Some("P-attributes-02"),
            _ if projected => Some("P-attributes-01"),
            _ => match (op.method, &op.purpose) {
                (_, Purpose::List { .. }) => Some("P-filter-03"),
                (Method::Post, _) => Some("P-create-02"),
                (Method::Get, _) => Some("P-get-01"),
                (Method::Put, _) if d.detail.contains("expected no value") => Some("P-put-03"),
                (Method::Put, _) => Some("P-put-02"),
                (Method::Patch, _) => patch_rule(step),
                (Method::Delete, _) => None,
            },
        },
    };
    (id, None)
}

/// The rule behind the status the model answered.
fn status_rule(method: Method, path: &str, one: bool, expected: u16) -> Option<&'static str> {
    Some(match (expected, method) {
        (401, _) => "P-errors-05",
        (412, _) => "P-etag-03",
        (403, Method::Get) => "P-discovery-04",
        (200, Method::Get) if path == "/ServiceProviderConfig" => "P-discovery-01",
        (200, Method::Get) if path == "/ResourceTypes" => "P-discovery-02",
        (200, Method::Get) if path == "/Schemas" => "P-discovery-03",
        (201, _) => "P-create-01",
        (204, Method::Delete) => "P-delete-01",
        (404, Method::Get) => "P-get-02",
        (404, Method::Put) => "P-put-06",
        (404, Method::Patch) => "P-patch-33",
        (404, Method::Delete) => "P-delete-04",
        (409, _) => "P-create-05",
        (400, Method::Get) => "P-filter-18",
        (400, Method::Post) => "P-create-07",
        (400, Method::Patch) => "P-patch-07",
        (200, Method::Get) if one => "P-get-01",
        (200, Method::Get) => "P-filter-03",
        (200, Method::Put) => "P-put-01",
        (200, Method::Patch) => "P-patch-05",
        _ => return None,
    })
}

/// The rule of a PATCH's first operation.
fn patch_rule(step: &Step) -> Option<&'static str> {
    let body = step.op.body.as_ref()?;
    let first = body["Operations"].get(0)?;
    let op = first["op"].as_str()?.to_ascii_lowercase();
    Some(match (op.as_str(), first.get("path").is_some()) {
        ("remove", _) => "P-patch-17",
        ("add", true) => "P-patch-11",
        ("add", false) => "P-patch-10",
        ("replace", true) => "P-patch-23",
        _ => "P-patch-22",
    })
}

/// Whether an attribute divergence (`expected [...], got [...]`) shows the target keeping
/// more values than the model.
fn more_kept(detail: &str) -> bool {
    let Some((expected, got)) = detail.split_once(", got ") else {
        return false;
    };
    got.matches("\"value\"").count() > expected.matches("\"value\"").count()
}

/// Whether the request sets group members.
fn names_members(step: &Step) -> bool {
    match &step.request.body {
        Some(Body::Json(v)) => v.to_string().contains("\"members"),
        Some(Body::Raw(r)) => r.contains("\"members"),
        None => false,
    }
}

/// Whether the request is a PATCH with a form only Entra's leniency takes.
fn entra_form(op: &Op) -> bool {
    patches(op, |o| {
        let op = o["op"].as_str().unwrap_or_default();
        // Keys that are paths, not attribute names: `emails[type eq "work"].value`,
        // `name.givenName`, `urn:…:User:employeeNumber` (an extension's attributes go in an
        // object under its URN, RFC 7643 §3 lines 981-983).
        let path_keys = o["value"].as_object().is_some_and(|v| {
            v.iter().any(|(k, value)| {
                let urn = k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
                k.contains('[') || (!urn && k.contains('.')) || (urn && !value.is_object())
            })
        });
        let string_boolean = o["value"]
            .as_str()
            .is_some_and(|v| v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false"));
        op.chars().any(|c| c.is_ascii_uppercase())
            || (op_is(o, "remove") && o.get("value").is_some())
            || (o.get("path").is_none() && path_keys)
            || string_boolean
    })
}

/// Whether the request is a PATCH adding through a value filter (`emails[type eq "work"]`).
fn adds_through_a_filter(step: &Step) -> bool {
    patches(&step.op, |o| {
        op_is(o, "add") && o["path"].as_str().is_some_and(|p| p.contains('['))
    })
}

/// Whether `step` is a PATCH one of whose operations is as `pred` wants.
fn patches(op: &Op, pred: impl Fn(&serde_json::Value) -> bool) -> bool {
    op.method == Method::Patch
        && op
            .body
            .as_ref()
            .is_some_and(|b| b["Operations"].as_array().into_iter().flatten().any(&pred))
}

/// Whether an operation's `op` is `name`, in any case.
fn op_is(o: &serde_json::Value, name: &str) -> bool {
    o["op"]
        .as_str()
        .is_some_and(|op| op.eq_ignore_ascii_case(name))
}

/// One distinct divergence of a run.
pub struct Finding {
    pub signature: String,
    pub judgement: Judgement,
    /// Sequences that ended on it.
    pub hits: u64,
    /// The first sequence that hit it, and how long it had been drawn.
    pub drawn: usize,
    /// That sequence, shrunk, ending at the request that diverged.
    pub trace: Trace,
    pub divergence: Divergence,
    pub tries: u32,
    /// In the baseline: counted, never failing.
    pub known: bool,
    /// Where its reproduction script was written.
    pub script: Option<PathBuf>,
}

impl Finding {
    pub fn fails(&self) -> bool {
        !self.known && self.judgement.fails()
    }
}

/// The findings as a table, one row per distinct divergence, then each one's steps.
pub fn table(findings: &[Finding]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<3} {:<12} {:<16} {:>6} {:>7}  signature",
        "#", "level", "rule", "hits", "shrunk"
    );
    for (i, f) in findings.iter().enumerate() {
        let rule = f.judgement.row.map_or("-", |r| r.id.as_str());
        let level = if f.known {
            format!("{} (known)", f.judgement.level())
        } else {
            f.judgement.level()
        };
        let _ = writeln!(
            out,
            "{:<3} {:<12} {:<16} {:>6} {:>7}  {}{}",
            i + 1,
            level,
            rule,
            f.hits,
            f.trace.steps.len(),
            f.signature,
            f.script
                .as_ref()
                .map(|p| format!("  [{}]", p.display()))
                .unwrap_or_default()
        );
    }
    for (i, f) in findings.iter().enumerate() {
        let _ = writeln!(out, "\n{}. {}", i + 1, f.signature);
        match (f.judgement.row, f.judgement.allowed) {
            (Some(r), allowed) => {
                let _ = writeln!(out, "   rule: {} ({})", r.basis_line(), r.url());
                if let Some(why) = allowed {
                    let _ = writeln!(out, "   allowed: {why}");
                }
            }
            (None, _) => {
                let _ = writeln!(out, "   the target gave no usable answer");
            }
        }
        let _ = writeln!(
            out,
            "   shrunk from {} to {} requests in {} tries: {}",
            f.drawn,
            f.trace.steps.len(),
            f.tries,
            &f.divergence
        );
        for (n, s) in f.trace.steps.iter().enumerate() {
            let _ = writeln!(out, "   {}. {}", n + 1, s.op);
        }
    }
    out
}

/// A finding as the JSON report keeps it, and as `--baseline` reads it back.
#[derive(Debug, Serialize, Deserialize)]
pub struct Reported {
    pub signature: String,
    pub kind: Kind,
    pub rule: Option<String>,
    pub level: String,
    pub fails: bool,
    pub hits: u64,
    pub shrunk: usize,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script: Option<PathBuf>,
}

/// `fuzz --report json=FILE`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Report {
    pub seed: u64,
    pub sequences: u64,
    pub requests: u64,
    pub findings: Vec<Reported>,
    /// Retries, requests left unanswered and sequences left inconclusive: no findings.
    #[serde(default)]
    pub transport: Transport,
}

impl Report {
    pub fn new(
        (seed, sequences, requests): (u64, u64, u64),
        findings: &[Finding],
        transport: Transport,
    ) -> Self {
        Report {
            seed,
            sequences,
            requests,
            transport,
            findings: findings
                .iter()
                .map(|f| Reported {
                    signature: f.signature.clone(),
                    kind: f.divergence.kind,
                    rule: f.judgement.row.map(|r| r.id.clone()),
                    level: f.judgement.level(),
                    fails: f.fails(),
                    hits: f.hits,
                    shrunk: f.trace.steps.len(),
                    detail: f.divergence.detail.clone(),
                    script: f.script.clone(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_paths_as_the_keys_of_a_path_less_value_are_entra_s_form() {
        let patch = |value: serde_json::Value| Op {
            method: Method::Patch,
            path: "/Users/{{user:0}}".into(),
            query: vec![],
            headers: vec![],
            body: Some(serde_json::json!({"Operations": [{"op": "replace", "value": value}]})),
            anonymous: false,
            purpose: Purpose::Other,
        };
        let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        for entra in [
            serde_json::json!({"name.givenName": "Ada"}),
            serde_json::json!({format!("{enterprise}:employeeNumber"): "0"}),
            serde_json::json!({"emails[type eq \"work\"].value": "a@example.com"}),
        ] {
            assert!(entra_form(&patch(entra.clone())), "{entra}");
        }
        for rfc in [
            serde_json::json!({"name": {"givenName": "Ada"}}),
            serde_json::json!({enterprise: {"employeeNumber": "0"}}),
            serde_json::json!({"displayName": "Ada"}),
        ] {
            assert!(!entra_form(&patch(rfc.clone())), "{rfc}");
        }
    }

    #[test]
    fn every_rule_the_fuzzer_cites_exists() {
        let source = include_str!("finding.rs");
        let cited: Vec<&str> = source
            .split('"')
            .filter(|s| {
                (s.starts_with("P-") || s.starts_with("C-")) && s.len() < 20 && s[2..].contains('-')
            })
            .collect();
        assert!(cited.len() > 25, "{cited:?}");
        for id in cited {
            assert!(crate::requirements::find(id).is_some(), "{id}");
        }
    }
}
