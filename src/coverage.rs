//! `scimitar coverage`: which requirements of the catalogue the loaded suites check, by area,
//! level and basis, and why the others are not.

pub mod proof;

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use crate::interop::catalogue::{self, Rule};
use crate::interop::overlay::HELD_TO;
use crate::interop::readiness::FROM_THE_CONNECTION;
use crate::plan::Planned;
use crate::requirements::{self, Basis, Requirement};
use crate::suite::Level;

const LEVELS: [Level; 3] = [Level::Must, Level::Should, Level::May];

/// Each requirement of the catalogue, with whether some planned case cites it; the interop
/// profile's rows apart, a client row counted as covered where scimitar's own requests are
/// held to it ([`HELD_TO`]), and the transport rows judged from the connection
/// ([`FROM_THE_CONNECTION`]).
pub struct Coverage {
    rows: Vec<(&'static Requirement, bool)>,
    interop: Vec<(&'static Rule, bool)>,
}

/// (covered, total) per level.
type Cells = [(usize, usize); 3];

impl Coverage {
    pub fn of(planned: &[Planned]) -> Self {
        let cited: HashSet<&str> = planned
            .iter()
            .flat_map(|p| p.requirements.iter().map(String::as_str))
            .collect();
        Coverage {
            rows: requirements::all()
                .iter()
                .map(|r| (r, cited.contains(r.id.as_str())))
                .collect(),
            interop: catalogue::all()
                .iter()
                .map(|r| {
                    let id = r.requirement.id.as_str();
                    let covered = if r.binds_server() {
                        cited.contains(id) || FROM_THE_CONNECTION.contains(&id)
                    } else {
                        HELD_TO.contains(&id)
                    };
                    (r, covered)
                })
                .collect(),
        }
    }

    /// (covered, total) of the rows of `rfc` testable over HTTP (fully or partly) at `level`
    /// that a server can break (a `client` or `absent` row is advice).
    pub fn testable(&self, rfcs: &[&str], level: Level) -> (usize, usize) {
        self.rows
            .iter()
            .filter(|(r, _)| {
                rfcs.contains(&r.rfc.as_str())
                    && r.level == level
                    && r.testable_over_http != "no"
                    && r.basis.binds_server()
            })
            .fold((0, 0), |(c, t), (_, covered)| {
                (c + usize::from(*covered), t + 1)
            })
    }

    /// The matrices (area × level, basis × level, document × level), the headline figures and the uncovered
    /// ids with the reason.
    pub fn render(&self) -> String {
        let mut by_area: BTreeMap<&str, Cells> = BTreeMap::new();
        let mut by_basis: BTreeMap<Basis, Cells> = BTreeMap::new();
        let mut by_rfc: BTreeMap<&str, Cells> = BTreeMap::new();
        for (r, c) in &self.rows {
            let i = LEVELS
                .iter()
                .position(|l| *l == r.level)
                .expect("three levels");
            for cell in [
                &mut by_area.entry(r.area.as_str()).or_default()[i],
                &mut by_basis.entry(r.basis).or_default()[i],
                &mut by_rfc.entry(r.rfc.as_str()).or_default()[i],
            ] {
                cell.0 += usize::from(*c);
                cell.1 += 1;
            }
        }
        let mut out = matrix("area", by_area.iter().map(|(a, c)| (a.to_string(), c)));
        out.push('\n');
        out.push_str(&matrix(
            "basis",
            by_basis.iter().map(|(b, c)| (b.to_string(), c)),
        ));
        out.push('\n');
        // RFC 9865 (cursor paging) updates the other two and is counted on its own.
        out.push_str(&matrix(
            "document",
            by_rfc.iter().map(|(d, c)| (d.to_string(), c)),
        ));
        out.push('\n');
        for (label, rfcs) in [
            ("", &["RFC 7643", "RFC 7644"][..]),
            (" (RFC 9865)", &["RFC 9865"][..]),
        ] {
            for level in LEVELS {
                figure(
                    &mut out,
                    &format!("testable {level} covered{label}"),
                    self.testable(rfcs, level),
                );
            }
        }
        let uncovered: Vec<_> = self.rows.iter().filter(|(_, c)| !c).collect();
        if !uncovered.is_empty() {
            let _ = writeln!(out, "\nuncovered ({}):", uncovered.len());
            for (r, _) in uncovered {
                let why = why_uncovered(
                    r.basis.binds_server(),
                    &r.testable_over_http,
                    "advice only (binds no server)",
                );
                let _ = writeln!(
                    out,
                    "  {:<16} {:<6} {:<8} {why}: {}",
                    r.id,
                    r.level.to_string(),
                    r.basis.as_str(),
                    r.summary
                );
            }
        }
        out.push_str(&self.render_interop());
        out
    }

    /// (covered, total) of the interop rows testable over HTTP (fully or partly) binding
    /// the server at `level`.
    pub fn interop_testable(&self, level: Level) -> (usize, usize) {
        self.interop
            .iter()
            .filter(|(r, _)| r.binds_server() && r.testable() && r.requirement.level == level)
            .fold((0, 0), |(c, t), (_, covered)| {
                (c + usize::from(*covered), t + 1)
            })
    }

    /// The interop profile's rows, counted apart: subject × level, the testable server
    /// figures and the uncovered rows with the reason.
    fn render_interop(&self) -> String {
        let mut cells: BTreeMap<&str, Cells> = BTreeMap::new();
        for (r, c) in &self.interop {
            let i = LEVELS
                .iter()
                .position(|l| *l == r.requirement.level)
                .expect("three levels");
            let cell = &mut cells.entry(r.requirement.subject.as_str()).or_default()[i];
            cell.0 += usize::from(*c);
            cell.1 += 1;
        }
        let mut out = format!(
            "\ninterop profile ({}), counted apart; a client row is covered where scimitar's own requests are held to it, a transport row by the connection check:\n",
            catalogue::DRAFT
        );
        out.push_str(&matrix(
            "subject",
            cells.iter().map(|(s, c)| (s.to_string(), c)),
        ));
        for level in LEVELS {
            figure(
                &mut out,
                &format!("testable server {level} covered (interop)"),
                self.interop_testable(level),
            );
        }
        let uncovered: Vec<_> = self.interop.iter().filter(|(_, c)| !c).collect();
        if !uncovered.is_empty() {
            let _ = writeln!(out, "\nuncovered interop rows ({}):", uncovered.len());
            for (r, _) in uncovered {
                let q = &r.requirement;
                let why = why_uncovered(
                    r.binds_server(),
                    &q.testable_over_http,
                    "binds the client; scimitar's requests are not checked for it",
                );
                let _ = writeln!(
                    out,
                    "  {:<16} {:<6} {:<6} {why}: {}",
                    q.id,
                    q.level.to_string(),
                    q.subject,
                    q.summary
                );
            }
        }
        out
    }
}

fn matrix<'a>(head: &str, rows: impl Iterator<Item = (String, &'a Cells)>) -> String {
    let mut out = format!("{head:<12} {:>8} {:>8} {:>8}\n", "MUST", "SHOULD", "MAY");
    let cell = |(c, t): (usize, usize)| {
        if t == 0 {
            "-".to_string()
        } else {
            format!("{c}/{t}")
        }
    };
    for (name, cells) in rows {
        let _ = writeln!(
            out,
            "{name:<12} {:>8} {:>8} {:>8}",
            cell(cells[0]),
            cell(cells[1]),
            cell(cells[2])
        );
    }
    out
}

/// Why a row has no case: `unbound` for a row binding no server.
fn why_uncovered(
    binds_server: bool,
    testable_over_http: &str,
    unbound: &'static str,
) -> &'static str {
    match (binds_server, testable_over_http) {
        (false, _) => unbound,
        (_, "no") => "not testable over HTTP",
        (_, "partial") => "only partly testable over HTTP; not yet written",
        _ => "not yet written",
    }
}

/// `what: covered/total (share%)`, where there is anything to count.
fn figure(out: &mut String, what: &str, (c, t): (usize, usize)) {
    if t > 0 {
        let _ = writeln!(out, "{what}: {c}/{t} ({:.1}%)", percent(c, t));
    }
}

pub fn percent(covered: usize, total: usize) -> f64 {
    if total == 0 {
        100.0
    } else {
        covered as f64 * 100.0 / total as f64
    }
}
