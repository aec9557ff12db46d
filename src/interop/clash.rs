//! Where an identity provider's replayed traffic and the profile cannot both be satisfied:
//! what the provider sends today that the profile makes a conformant server refuse. Said
//! once for the run, with the cases that sent it (`../shared/interop-profile.md`, "Clash with
//! today's Entra and Okta traffic").

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::overlay;
use crate::client::record::Body;
use crate::report::CaseResult;
use crate::suite::Method;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clash {
    /// What the provider sends.
    pub sends: String,
    /// The profile's rule that refuses it.
    pub rule: String,
    /// Whether a conformant server must refuse it or only may.
    #[serde(default)]
    pub refusal: Refusal,
    pub cases: Vec<String>,
}

/// What the profile has a conformant server do with what the provider sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// Refuse it: the profile and the provider's traffic cannot both be met.
    #[default]
    Required,
    /// A client row forbids it, and §6.5.3 (I-patch-20) lets the server refuse it with 400:
    /// a server that accepts it meets both.
    Allowed,
}

/// A kind of PATCH operation the profile stands against: what it is, the rule, whether a
/// server must refuse it, and how to spot it (from the request's URL path and the operation).
struct Kind {
    sends: &'static str,
    rule: &'static str,
    refusal: Refusal,
    breaks: fn(&str, &Value) -> bool,
}

const KINDS: [Kind; 4] = [
    Kind {
        sends: "PATCH operations without a path",
        rule: "I-patch-06 (draft §6.5.1.1: refused with 400 invalidSyntax)",
        refusal: Refusal::Required,
        breaks: |_, op| crate::scim::patch::pathless(op),
    },
    Kind {
        sends: "`active` as the string \"True\"/\"False\"",
        rule: "I-schema-01 (draft §5.3: attributes handled strictly; active is a Boolean)",
        refusal: Refusal::Required,
        breaks: |_, op| {
            let by_path = op["path"]
                .as_str()
                .is_some_and(|p| p.eq_ignore_ascii_case("active"))
                && op["value"].is_string();
            by_path || op["value"]["active"].is_string()
        },
    },
    Kind {
        sends: "filtered paths addressing a whole element (`members[value eq \"…\"]`)",
        rule: "I-patch-19 (draft §6.5.2.2: a filtered path ends in a sub-attribute)",
        refusal: Refusal::Allowed,
        breaks: |_, op| op["path"].as_str().is_some_and(overlay::whole_element),
    },
    Kind {
        sends: "values whose shape does not fit the whole attribute their path names",
        rule: "I-patch-10, I-patch-12, I-patch-14, I-patch-16 (draft §6.5.2: a complex attribute takes an object, a multi-valued one an array)",
        refusal: Refusal::Allowed,
        breaks: |path, op| overlay::value_breaks(path, op).is_some(),
    },
];

/// The kinds of request the profile stands against, found in what a replay sent.
pub fn clashes(cases: &[CaseResult]) -> Vec<Clash> {
    KINDS
        .iter()
        .filter_map(|kind| {
            // The profile's own cases send what it refuses on purpose; they are not the
            // provider's.
            let cases: Vec<String> = cases
                .iter()
                .filter(|c| !c.file.starts_with("suites/interop"))
                .filter(|c| c.steps.iter().any(|s| sent(s, kind.breaks)))
                .map(|c| c.name.clone())
                .collect();
            (!cases.is_empty()).then(|| Clash {
                sends: kind.sends.to_string(),
                rule: kind.rule.to_string(),
                refusal: kind.refusal,
                cases,
            })
        })
        .collect()
}

/// Whether a step sent a PATCH with an operation `breaks` picks.
fn sent(step: &crate::exec::StepRecord, breaks: fn(&str, &Value) -> bool) -> bool {
    let Some(x) = &step.exchange else {
        return false;
    };
    let Some(Body::Json(body)) = &x.request.body else {
        return false;
    };
    let path = x.request.url.split('?').next().unwrap_or_default();
    x.request.method == Method::Patch
        && body["Operations"]
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| breaks(path, op)))
}

/// The report's lines: one per clash.
pub fn render(idp: &str, clashes: &[Clash]) -> String {
    clashes
        .iter()
        .map(|c| match c.refusal {
            Refusal::Required => format!(
                "clash: {idp} sends {}, which {} makes a conformant server refuse: a server cannot satisfy both the profile and {idp}'s traffic as it is today (sent by {})\n",
                c.sends,
                c.rule,
                c.cases.join(", ")
            ),
            Refusal::Allowed => format!(
                "clash: {idp} sends {}, which a client may not send under {}, and which a conformant server may refuse with 400 (I-patch-20, draft §6.5.3): a server serves both the profile and {idp}'s traffic only by accepting it (sent by {})\n",
                c.sends,
                c.rule,
                c.cases.join(", ")
            ),
        })
        .collect()
}
