//! Where an identity provider's replayed traffic and the profile cannot both be satisfied:
//! what the provider sends today that the profile makes a conformant server refuse. Said
//! once for the run, with the cases that sent it (`../shared/interop-profile.md`, "Clash with
//! today's Entra and Okta traffic").

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::record::Body;
use crate::report::CaseResult;
use crate::suite::Method;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clash {
    /// What the provider sends.
    pub sends: String,
    /// The profile's rule that refuses it.
    pub rule: String,
    pub cases: Vec<String>,
}

/// A kind of PATCH operation the profile refuses: what it is, the rule, and how to spot it.
struct Refused {
    sends: &'static str,
    rule: &'static str,
    breaks: fn(&Value) -> bool,
}

const REFUSED: [Refused; 2] = [
    Refused {
        sends: "PATCH operations without a path",
        rule: "I-patch-06 (draft §6.5.1.1: refused with 400 invalidSyntax)",
        breaks: crate::scim::patch::pathless,
    },
    Refused {
        sends: "`active` as the string \"True\"/\"False\"",
        rule: "I-schema-01 (draft §5.3: attributes handled strictly; active is a Boolean)",
        breaks: |op| {
            let by_path = op["path"]
                .as_str()
                .is_some_and(|p| p.eq_ignore_ascii_case("active"))
                && op["value"].is_string();
            by_path || op["value"]["active"].is_string()
        },
    },
];

/// The kinds of request the profile refuses, found in what a replay sent.
pub fn clashes(cases: &[CaseResult]) -> Vec<Clash> {
    REFUSED
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
                cases,
            })
        })
        .collect()
}

/// Whether a step sent a PATCH with an operation `breaks` picks.
fn sent(step: &crate::exec::StepRecord, breaks: fn(&Value) -> bool) -> bool {
    let Some(x) = &step.exchange else {
        return false;
    };
    let Some(Body::Json(body)) = &x.request.body else {
        return false;
    };
    x.request.method == Method::Patch
        && body["Operations"]
            .as_array()
            .is_some_and(|ops| ops.iter().any(breaks))
}

/// The report's lines: one per clash.
pub fn render(idp: &str, clashes: &[Clash]) -> String {
    clashes
        .iter()
        .map(|c| {
            format!(
                "clash: {idp} sends {}, which {} makes a conformant server refuse: a server cannot satisfy both the profile and {idp}'s traffic as it is today (sent by {})\n",
                c.sends,
                c.rule,
                c.cases.join(", ")
            )
        })
        .collect()
}
