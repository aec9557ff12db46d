//! How far a server stands from the profile, over a whole run: "n of N profile MUST rules
//! hold", by area, each gap citing its `I-…` row. Draft §4: only the MUST rows addressed to
//! servers count towards conformance; a server claiming it must meet every one.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::catalogue;
use super::clash::{self, Clash};
use super::overlay::{Claim, Held};
use crate::report::CaseResult;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Readiness {
    pub claim: Claim,
    /// The server MUST rows that hold: checked by some case, broken by none.
    pub hold: usize,
    /// Every server MUST row of the profile.
    pub total: usize,
    pub areas: Vec<Area>,
    /// Under a replay: the identity provider, and what it sends that the profile refuses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replayed: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clashes: Vec<Clash>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Area {
    pub area: String,
    pub hold: usize,
    pub total: usize,
    /// The rows some case broke.
    pub gaps: Vec<Gap>,
    /// The rows no case checked (skipped, blocked, or no case written).
    pub unchecked: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Gap {
    pub id: String,
    pub citation: String,
    pub url: String,
    pub summary: String,
    /// The cases that broke it.
    pub cases: Vec<String>,
}

impl Readiness {
    /// The readiness of a run's `cases`; `replayed`, the identity provider a replay sends as.
    pub fn of(claim: Claim, cases: &[CaseResult], replayed: Option<&str>) -> Readiness {
        let mut areas: BTreeMap<&str, Area> = BTreeMap::new();
        for rule in catalogue::server_musts() {
            let r = &rule.requirement;
            let bearing = || {
                cases.iter().filter_map(|c| {
                    c.interop
                        .as_ref()
                        .filter(|b| b.rows.contains(&r.id))
                        .map(|b| (c, b.held))
                })
            };
            let broken: Vec<String> = bearing()
                .filter(|(_, h)| *h == Held::Broken)
                .map(|(c, _)| c.name.clone())
                .collect();
            let held = bearing().any(|(_, h)| h == Held::Held);
            let area = areas.entry(r.area.as_str()).or_insert_with(|| Area {
                area: r.area.clone(),
                hold: 0,
                total: 0,
                gaps: Vec::new(),
                unchecked: Vec::new(),
            });
            area.total += 1;
            if !broken.is_empty() {
                area.gaps.push(Gap {
                    id: r.id.clone(),
                    citation: r.citation(),
                    url: r.url(),
                    summary: r.summary.clone(),
                    cases: broken,
                });
            } else if held {
                area.hold += 1;
            } else {
                area.unchecked.push(r.id.clone());
            }
        }
        let areas: Vec<Area> = areas.into_values().collect();
        Readiness {
            claim,
            hold: areas.iter().map(|a| a.hold).sum(),
            total: areas.iter().map(|a| a.total).sum(),
            areas,
            replayed: replayed.map(str::to_string),
            clashes: replayed.map(|_| clash::clashes(cases)).unwrap_or_default(),
        }
    }

    /// The section of the run's summary.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let gaps: usize = self.areas.iter().map(|a| a.gaps.len()).sum();
        let unchecked: usize = self.areas.iter().map(|a| a.unchecked.len()).sum();
        let _ = match self.claim {
            Claim::Claimed => writeln!(
                out,
                "interop profile: the server claims interopProfileConformant; {} of {} profile MUST rules hold ({gaps} broken, {unchecked} not checked){}",
                self.hold,
                self.total,
                if gaps > 0 {
                    ": the claim is false (I-discovery-02), and each broken rule failed the run"
                } else {
                    ""
                }
            ),
            Claim::NotClaimed => writeln!(
                out,
                "interop readiness: {} of {} profile MUST rules hold ({gaps} broken, {unchecked} not checked); the server does not claim interopProfileConformant, so the exit code follows the RFC profile only",
                self.hold, self.total
            ),
        };
        for a in &self.areas {
            let _ = writeln!(out, "    {:<10} {}/{}", a.area, a.hold, a.total);
            for g in &a.gaps {
                let _ = writeln!(
                    out,
                    "        gap {} ({}): {} <{}>; {}",
                    g.id,
                    g.citation,
                    g.summary,
                    g.url,
                    g.cases.join(", ")
                );
            }
            if !a.unchecked.is_empty() {
                let _ = writeln!(out, "        not checked: {}", a.unchecked.join(", "));
            }
        }
        if let Some(idp) = &self.replayed {
            out.push_str(&clash::render(idp, &self.clashes));
        }
        out.push('\n');
        out
    }
}
