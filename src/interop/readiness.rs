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
    /// Whether the server also takes TLS 1.2, where the connection was checked: I-transport-05
    /// makes it a MAY, overriding P-security-01's MUST.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_1_2: Option<bool>,
}

/// The server rows a run judges from its connection rather than by a case
/// ([`Readiness::judge_transport`]).
pub const FROM_THE_CONNECTION: [&str; 2] = ["I-transport-01", "I-transport-03"];

/// The TLS versions an https target took in the connection check.
#[derive(Debug, Clone, Copy)]
pub struct Tls {
    pub v1_3: bool,
    pub v1_2: bool,
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
    /// The cases that broke it (for a transport row, what the connection check saw).
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
            tls_1_2: None,
        }
    }

    /// Judges the transport rows, which no case sees, from the target's URL and the TLS
    /// versions the connection check saw (draft §7.1). A plain-http loopback server (the
    /// bundled one) is outside conformance: not checked.
    pub fn judge_transport(&mut self, target: &str, tls: Option<Tls>) {
        let https = target.starts_with("https://");
        let loopback = url::Url::parse(target)
            .is_ok_and(|u| matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")));
        let tls_only = match (https, loopback) {
            (true, _) => Some(Held::Held),
            (false, true) => None,
            (false, false) => Some(Held::Broken),
        };
        self.settle(
            "I-transport-01",
            tls_only,
            "the target is reached over plain http",
        );
        let v1_3 = tls.map(|t| if t.v1_3 { Held::Held } else { Held::Broken });
        self.settle("I-transport-03", v1_3, "no TLS 1.3 handshake completed");
        self.tls_1_2 = tls.map(|t| t.v1_2);
    }

    /// Moves an unchecked row to the rows that hold or to the gaps.
    fn settle(&mut self, id: &str, held: Option<Held>, evidence: &str) {
        let (Some(held), Some(rule)) = (held, catalogue::find(id)) else {
            return;
        };
        let r = &rule.requirement;
        let Some(area) = self.areas.iter_mut().find(|a| a.unchecked.contains(&r.id)) else {
            return;
        };
        area.unchecked.retain(|u| u != id);
        if held == Held::Held {
            area.hold += 1;
            self.hold += 1;
        } else {
            area.gaps.push(Gap {
                id: r.id.clone(),
                citation: r.citation(),
                url: r.url(),
                summary: r.summary.clone(),
                cases: vec![evidence.to_string()],
            });
        }
    }

    /// Whether the server claims the profile and breaks one of its MUST rules.
    pub fn fails_run(&self) -> bool {
        self.claim == Claim::Claimed && self.areas.iter().any(|a| !a.gaps.is_empty())
    }

    /// The line that opens the section: the figure, and what it means for the run.
    pub fn headline(&self) -> String {
        let gaps: usize = self.areas.iter().map(|a| a.gaps.len()).sum();
        let unchecked: usize = self.areas.iter().map(|a| a.unchecked.len()).sum();
        match self.claim {
            Claim::Claimed => format!(
                "interop profile: the server claims interopProfileConformant; {} of {} profile MUST rules hold ({gaps} broken, {unchecked} not checked){}",
                self.hold,
                self.total,
                if gaps > 0 {
                    ": the claim is false (I-discovery-02), and each broken rule failed the run"
                } else {
                    ""
                }
            ),
            Claim::NotClaimed => format!(
                "interop readiness: {} of {} profile MUST rules hold ({gaps} broken, {unchecked} not checked); the server does not claim interopProfileConformant, so the exit code follows the RFC profile only",
                self.hold, self.total
            ),
        }
    }

    /// Whether TLS 1.2 was also taken, where the connection was checked: the conflict the
    /// profile resolves by its own rule.
    fn tls_1_2_line(&self) -> Option<String> {
        self.tls_1_2.map(|v1_2| {
            format!(
                "TLS 1.2 {}: a permission under the profile (I-transport-05, MAY), where RFC 7644 §7.2 makes it a MUST (P-security-01); the profile's rule is applied",
                if v1_2 { "also taken" } else { "not taken" }
            )
        })
    }

    /// What the replayed identity provider sends that the profile refuses, a line each.
    fn clash_lines(&self) -> String {
        self.replayed
            .as_deref()
            .map(|idp| clash::render(idp, &self.clashes))
            .unwrap_or_default()
    }

    /// What follows the areas in a report: the TLS 1.2 line and the clashes.
    pub fn notes(&self) -> Vec<String> {
        let clashes = self.clash_lines();
        self.tls_1_2_line()
            .into_iter()
            .chain(clashes.lines().map(str::to_string))
            .collect()
    }

    /// The section of the run's summary.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.headline());
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
        if let Some(line) = self.tls_1_2_line() {
            let _ = writeln!(out, "    {line}");
        }
        out.push_str(&self.clash_lines());
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(r: &Readiness) -> &Area {
        r.areas.iter().find(|a| a.area == "transport").unwrap()
    }

    /// Over plain http a loopback server is not judged, another one breaks I-transport-01;
    /// over https the TLS 1.3 handshake decides I-transport-03, and a claiming server with a
    /// gap fails the run.
    #[test]
    fn transport_rows_are_judged_from_the_connection() {
        let mut r = Readiness::of(Claim::NotClaimed, &[], None);
        let unchecked = r.areas.iter().map(|a| a.unchecked.len()).sum::<usize>();
        assert_eq!((r.hold, r.total, unchecked), (0, 52, 52));
        r.judge_transport("http://127.0.0.1:8080/scim/v2", None);
        assert_eq!(transport(&r).unchecked.len(), 2);
        r.judge_transport("http://scim.example.com/v2", None);
        assert_eq!(transport(&r).gaps[0].id, "I-transport-01");

        let mut r = Readiness::of(Claim::Claimed, &[], None);
        let tls = Tls {
            v1_3: false,
            v1_2: true,
        };
        r.judge_transport("https://scim.example.com/v2", Some(tls));
        assert_eq!((transport(&r).hold, r.hold), (1, 1));
        assert_eq!(transport(&r).gaps[0].id, "I-transport-03");
        assert_eq!(r.tls_1_2, Some(true));
        assert!(r.fails_run());
        assert!(
            r.render().contains(
                "TLS 1.2 also taken: a permission under the profile (I-transport-05, MAY)"
            )
        );
    }
}
