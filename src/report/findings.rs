//! What a run found, counted as a server owner reads it: distinct requirement rows broken
//! (each with its cases and one piece of evidence), and setup failures (each with the cases
//! it blocked), rather than one line per case repeating the same cause.

use super::{CaseResult, FillPath, Status};
use crate::requirements::{self, Requirement};

/// One fault the run found: the same failing check on the same endpoint, in one or more
/// cases (a refused create fails every case that creates; it is one finding).
pub struct Finding<'a> {
    /// `POST /Users status`: the request and what of its answer failed.
    pub symptom: String,
    /// The rows every case of it cites (the rule it breaks, when there is one).
    pub rows: Vec<&'static Requirement>,
    pub status: Status,
    /// The cases that show it; the first one's exchange is the evidence.
    pub cases: Vec<&'a CaseResult>,
}

impl Finding<'_> {
    /// Its name: the one row its cases share, else its symptom.
    pub fn title(&self) -> String {
        match self.rows.as_slice() {
            [row] => format!("{}: {}", row.id, self.symptom),
            _ => self.symptom.clone(),
        }
    }
}

/// One way the suites' setup steps failed (the same check on the same endpoint), with the
/// steps that failed so and the cases they kept from running.
pub struct SetupFailure<'a> {
    /// `POST /Users status`.
    pub symptom: String,
    /// The setup steps (`file:line` and name) that failed so.
    pub steps: Vec<&'a str>,
    /// The cases it blocked; the first one's message is the evidence.
    pub cases: Vec<&'a CaseResult>,
}

/// The findings among `cases` with `status`, in the order their first case comes.
pub fn findings(cases: &[CaseResult], status: Status) -> Vec<Finding<'_>> {
    let mut out: Vec<Finding> = Vec::new();
    for c in cases.iter().filter(|c| c.status == status) {
        let symptom = symptom(c);
        match out.iter_mut().find(|f| f.symptom == symptom) {
            Some(f) => {
                f.rows.retain(|r| c.requirements.contains(&r.id));
                f.cases.push(c);
            }
            None => out.push(Finding {
                symptom,
                rows: requirements::rows(&c.requirements).collect(),
                status,
                cases: vec![c],
            }),
        }
    }
    out
}

/// What failed first in a case: the method and endpoint of the step, and the part of the
/// answer its first failed check is about (`status`, `/meta/location`, `header location`);
/// a vendor case, which cites no row, stands alone.
fn symptom(c: &CaseResult) -> String {
    let Some(step) = c.steps.iter().find(|s| !s.failures.is_empty()) else {
        return c.name.clone();
    };
    let what = step.failures[0]
        .split_once(": ")
        .map_or(step.failures[0].as_str(), |(w, _)| w);
    let request = step.exchange.as_ref().map(|x| {
        let path = url::Url::parse(&x.request.url)
            .map(|u| u.path().to_string())
            .unwrap_or_default();
        // The endpoint: the segment after the base path (`/scim/v2/Users/123` → `/Users`).
        let endpoint = path
            .split('/')
            .filter(|s| !s.is_empty())
            .find(|s| s.starts_with(|ch: char| ch.is_ascii_uppercase() || ch == '.'))
            .unwrap_or_default();
        format!("{} /{endpoint} ", x.request.method.as_str())
    });
    let own = if c.requirements.is_empty() {
        format!(" ({})", c.name)
    } else {
        String::new()
    };
    format!("{}{what}{own}", request.unwrap_or_default())
}

/// The setup failures behind the blocked cases.
pub fn setup_failures(cases: &[CaseResult]) -> Vec<SetupFailure<'_>> {
    let mut out: Vec<SetupFailure> = Vec::new();
    for c in cases {
        let Some(step) = c.blocked_by.as_deref() else {
            continue;
        };
        let symptom = symptom(c);
        let f = match out.iter_mut().position(|f| f.symptom == symptom) {
            Some(i) => &mut out[i],
            None => {
                out.push(SetupFailure {
                    symptom,
                    steps: vec![],
                    cases: vec![],
                });
                out.last_mut().expect("just pushed")
            }
        };
        if !f.steps.contains(&step) {
            f.steps.push(step);
        }
        f.cases.push(c);
    }
    out
}

/// A create the server refused with 400: its own words, and the attribute they name.
pub struct RefusedCreate {
    pub detail: String,
    /// The endpoint it was sent to, without the slash: `Users`.
    pub endpoint: String,
    pub named: Option<String>,
}

impl SetupFailure<'_> {
    /// The create its first case's failed step sent, when the server refused it with 400.
    pub fn refused_create(&self) -> Option<RefusedCreate> {
        let step = self.cases[0]
            .steps
            .iter()
            .find(|s| !s.failures.is_empty())?;
        let x = step.exchange.as_ref()?;
        let crate::client::Outcome::Response(r) = &x.outcome else {
            return None;
        };
        if r.status != 400 || x.request.method != crate::suite::Method::Post {
            return None;
        }
        let body: serde_json::Value = serde_json::from_str(&r.body).ok()?;
        let detail = body.get("detail").and_then(serde_json::Value::as_str)?;
        let endpoint = url::Url::parse(&x.request.url)
            .ok()?
            .path_segments()?
            .rfind(|s| !s.is_empty())?
            .to_string();
        Some(RefusedCreate {
            named: named_attribute(detail).map(str::to_string),
            detail: detail.to_string(),
            endpoint,
        })
    }

    /// Where a create was refused with 400: the server's own words, and how to give it what
    /// it asks for (a service provider may require more than the schema, RFC 7644 §3.3), the
    /// attribute placed by `paths` (`formatted` → `name.formatted`).
    pub fn refusal(&self, paths: &[FillPath]) -> Option<String> {
        let r = self.refused_create()?;
        let attr = r.named.as_deref().map_or("ATTR", |named| {
            paths
                .iter()
                .find(|p| p.endpoint == r.endpoint && p.named == named)
                .map_or(named, |p| p.path.as_str())
        });
        let endpoint = if r.endpoint == "Users" {
            String::new()
        } else {
            format!("/{}:", r.endpoint)
        };
        Some(format!(
            "the server said: \"{}\"\n        if it requires a value the suites do not send, supply it: --fill '{endpoint}{attr}={{{{fill_id}}}}' (repeatable), or a profile's `fill`",
            r.detail
        ))
    }
}

/// The attribute a server's error detail names: a word in quotes or backticks, else a
/// word that is an RFC 7643 attribute name.
fn named_attribute(detail: &str) -> Option<&str> {
    let quoted = detail
        .split(['`', '"', '\''])
        .skip(1)
        .step_by(2)
        .find(|w| !w.is_empty() && !w.contains(' '));
    quoted.or_else(|| {
        let core = crate::scim::schema::Registry::rfc();
        detail
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == ':'))
            .find(|w| {
                core.schemas
                    .iter()
                    .flat_map(|s| &s.attributes)
                    .any(|a| a.name.eq_ignore_ascii_case(w.trim_end_matches('.')))
            })
    })
}

/// `9 findings in 23 failed cases; 12 cases blocked by 1 setup failure`, or None when
/// nothing failed.
pub fn headline(cases: &[CaseResult]) -> Option<String> {
    let failed = cases.iter().filter(|c| c.status == Status::Failed).count();
    let blocked = cases.iter().filter(|c| c.status == Status::Blocked).count();
    let mut parts = Vec::new();
    if failed > 0 {
        let n = findings(cases, Status::Failed).len();
        parts.push(format!(
            "{n} {} in {failed} failed {}",
            plural(n, "finding"),
            plural(failed, "case")
        ));
    }
    let by_faults = cases.iter().filter(|c| c.fault.is_some()).count();
    if blocked > by_faults {
        let n = setup_failures(cases).len();
        parts.push(format!(
            "{} {} blocked by {n} setup {}",
            blocked - by_faults,
            plural(blocked - by_faults, "case"),
            plural(n, "failure")
        ));
    }
    if by_faults > 0 {
        let mut rules: Vec<&str> = cases.iter().filter_map(|c| c.fault.as_deref()).collect();
        rules.sort();
        rules.dedup();
        parts.push(format!(
            "{by_faults} {} blocked by {} {} in what {} ({})",
            plural(by_faults, "case"),
            rules.len(),
            plural(rules.len(), "fault"),
            if by_faults == 1 {
                "it leans on"
            } else {
                "they lean on"
            },
            rules.join(", ")
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}
