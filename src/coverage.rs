//! `scimitar coverage`: which requirements of the catalogue the loaded suites check, by area,
//! level and basis, and why the others are not.

pub mod proof;

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use crate::plan::Planned;
use crate::requirements::{self, Basis, Requirement};
use crate::suite::Level;

const LEVELS: [Level; 3] = [Level::Must, Level::Should, Level::May];

/// Each requirement of the catalogue, with whether some planned case cites it.
pub struct Coverage {
    rows: Vec<(&'static Requirement, bool)>,
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
                let (c, t) = self.testable(rfcs, level);
                if t > 0 {
                    let _ = writeln!(
                        out,
                        "testable {level} covered{label}: {c}/{t} ({:.1}%)",
                        percent(c, t)
                    );
                }
            }
        }
        let uncovered: Vec<_> = self.rows.iter().filter(|(_, c)| !c).collect();
        if !uncovered.is_empty() {
            let _ = writeln!(out, "\nuncovered ({}):", uncovered.len());
            for (r, _) in uncovered {
                let why = match (r.basis.binds_server(), r.testable_over_http.as_str()) {
                    (false, _) => "advice only (binds no server)",
                    (_, "no") => "not testable over HTTP",
                    (_, "partial") => "only partly testable over HTTP; not yet written",
                    _ => "not yet written",
                };
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

pub fn percent(covered: usize, total: usize) -> f64 {
    if total == 0 {
        100.0
    } else {
        covered as f64 * 100.0 / total as f64
    }
}
