//! The optional features table: every optional feature the run's cases bear on, with whether
//! the target offers it and the cases that show so. An optional feature is one a
//! ServiceProviderConfig advertises (RFC 7643 §5: patch, bulk, filter, sort, etag,
//! changePassword, RFC 9865's cursor), or a behaviour the RFC lets a server leave out that a
//! case names as `optional` (nested groups, `.search`). Not offering one is no warning: it is
//! a row of this table. A warning is for an offered feature that misbehaves.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::CaseResult;

/// What the target does with an optional feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Offer {
    /// The cases about it worked.
    Offered,
    /// Not advertised and not working, or answered as a server without it answers.
    NotOffered,
    /// Offered, but a case about it failed; or advertised as unsupported, yet working.
    Broken,
}

impl Offer {
    pub fn as_str(self) -> &'static str {
        match self {
            Offer::Offered => "offered",
            Offer::NotOffered => "not offered",
            Offer::Broken => "offered and broken",
        }
    }
}

/// What one case showed of one feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    pub feature: String,
    /// For a ServiceProviderConfig feature, whether the target advertises it.
    pub advertised: Option<bool>,
    pub offer: Offer,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionalFeature {
    /// The ServiceProviderConfig member (`bulk`, `pagination.cursor`) or the name a case gives.
    pub feature: String,
    /// For a ServiceProviderConfig feature, whether the target advertises it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advertised: Option<bool>,
    pub status: Offer,
    /// The cases that show the status: the broken ones for `broken`, else those that
    /// worked (`offered`) or found it missing (`not_offered`).
    pub cases: Vec<String>,
}

/// The rows, by feature name: broken where any case found it broken, else offered where any
/// case found it working (or it is advertised), else not offered.
pub fn table(cases: &[CaseResult]) -> Vec<OptionalFeature> {
    let mut by: BTreeMap<&str, Vec<(&Use, &str)>> = BTreeMap::new();
    for c in cases {
        for u in &c.features {
            by.entry(u.feature.as_str())
                .or_default()
                .push((u, c.name.as_str()));
        }
    }
    by.into_iter()
        .map(|(feature, uses)| {
            let advertised = uses.iter().find_map(|(u, _)| u.advertised);
            let worst = uses.iter().map(|(u, _)| u.offer).max();
            let status = match worst {
                Some(Offer::Broken) => Offer::Broken,
                _ if uses.iter().any(|(u, _)| u.offer == Offer::Offered) => Offer::Offered,
                _ => Offer::NotOffered,
            };
            let mut cases: Vec<String> = uses
                .iter()
                .filter(|(u, _)| u.offer == status)
                .map(|(_, name)| name.to_string())
                .collect();
            cases.dedup();
            OptionalFeature {
                feature: feature.to_string(),
                advertised,
                status,
                cases,
            }
        })
        .collect()
}

/// The table for the terminal, empty when no case bears on an optional feature.
pub fn render(rows: &[OptionalFeature]) -> String {
    let mut out = String::new();
    if rows.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "optional features (a target may leave them out: one not offered is no warning):"
    );
    let width = rows.iter().map(|r| r.feature.chars().count()).max();
    for r in rows {
        let _ = writeln!(
            out,
            "    {:<width$}  {:<19}  {}",
            r.feature,
            status(r),
            shown(r),
            width = width.unwrap_or_default()
        );
    }
    out.push('\n');
    out
}

/// `offered`, `not offered`, `offered and broken`; a feature that works though advertised
/// as unsupported is broken in what it advertises (C-discovery-05).
pub fn status(r: &OptionalFeature) -> &'static str {
    match (r.status, r.advertised) {
        (Offer::Broken, Some(false)) => "works, unadvertised",
        (s, _) => s.as_str(),
    }
}

/// The cases behind a row: every one that found it broken; the others by number when more
/// than a few (the skipped list names those that found it missing).
fn shown(r: &OptionalFeature) -> String {
    match r.cases.len() {
        n if n > 3 && r.status != Offer::Broken => format!("{n} cases"),
        _ => r.cases.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    fn case(name: &str, uses: &[(&str, Option<bool>, Offer)]) -> CaseResult {
        let mut c: CaseResult = serde_json::from_value(serde_json::json!({
            "name": name, "suite": "s", "case": name, "file": "f.yaml",
            "level": "MAY", "requirements": [], "status": "passed",
            "duration_ms": 0.0, "steps": []
        }))
        .expect("a case");
        c.status = Status::Passed;
        c.features = uses
            .iter()
            .map(|(f, advertised, offer)| Use {
                feature: f.to_string(),
                advertised: *advertised,
                offer: *offer,
            })
            .collect();
        c
    }

    /// One row per feature; broken wins over offered, offered over not offered; the cases
    /// listed are those behind the status.
    #[test]
    fn rows_take_the_worst_verdict_and_its_cases() {
        let cases = [
            case("a", &[("bulk", Some(false), Offer::NotOffered)]),
            case("b", &[("bulk", Some(false), Offer::NotOffered)]),
            case(
                "c",
                &[
                    ("patch", Some(true), Offer::Offered),
                    ("nested groups", None, Offer::NotOffered),
                ],
            ),
            case("d", &[("patch", Some(true), Offer::Broken)]),
            case("e", &[(".search", None, Offer::Offered)]),
            case("f", &[(".search", None, Offer::NotOffered)]),
            case("g", &[]),
        ];
        let rows = table(&cases);
        let got: Vec<(&str, Offer, Vec<&str>)> = rows
            .iter()
            .map(|r| {
                (
                    r.feature.as_str(),
                    r.status,
                    r.cases.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (".search", Offer::Offered, vec!["e"]),
                ("bulk", Offer::NotOffered, vec!["a", "b"]),
                ("nested groups", Offer::NotOffered, vec!["c"]),
                ("patch", Offer::Broken, vec!["d"]),
            ]
        );
        assert_eq!(rows[1].advertised, Some(false));
        let shown = render(&rows);
        assert!(shown.contains("nested groups"), "{shown}");
        assert!(shown.contains("offered and broken"), "{shown}");
        assert_eq!(render(&[]), "");
    }
}
