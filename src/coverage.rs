//! `scimitar coverage`: which requirements of the catalogue the loaded suites check, by area
//! and level, and why the others are not.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use crate::plan::Planned;
use crate::requirements::{self, Requirement};

/// Each requirement of the catalogue, with whether some planned case cites it.
pub struct Coverage {
    rows: Vec<(&'static Requirement, bool)>,
}

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

    /// (covered, total) of the rows testable over HTTP (fully or partly) at `level`.
    pub fn testable(&self, level: &str) -> (usize, usize) {
        let rows = self
            .rows
            .iter()
            .filter(|(r, _)| r.level == level && r.testable_over_http != "no");
        let (mut covered, mut total) = (0, 0);
        for (_, c) in rows {
            total += 1;
            covered += usize::from(*c);
        }
        (covered, total)
    }

    /// The matrix, the headline figures and the uncovered ids with the reason.
    pub fn render(&self) -> String {
        const LEVELS: [&str; 3] = ["MUST", "SHOULD", "MAY"];
        let mut by_area: BTreeMap<&str, [(usize, usize); 3]> = BTreeMap::new();
        for (r, c) in &self.rows {
            let Some(i) = LEVELS.iter().position(|l| *l == r.level) else {
                continue;
            };
            let cell = &mut by_area.entry(r.area.as_str()).or_default()[i];
            cell.0 += usize::from(*c);
            cell.1 += 1;
        }
        let mut out = format!(
            "{:<12} {:>8} {:>8} {:>8}\n",
            "area", "MUST", "SHOULD", "MAY"
        );
        for (area, cells) in &by_area {
            let cell = |(c, t): (usize, usize)| {
                if t == 0 {
                    "-".to_string()
                } else {
                    format!("{c}/{t}")
                }
            };
            let _ = writeln!(
                out,
                "{area:<12} {:>8} {:>8} {:>8}",
                cell(cells[0]),
                cell(cells[1]),
                cell(cells[2])
            );
        }
        out.push('\n');
        for level in LEVELS {
            let (c, t) = self.testable(level);
            let _ = writeln!(
                out,
                "testable {level} covered: {c}/{t} ({:.1}%)",
                percent(c, t)
            );
        }
        let uncovered: Vec<_> = self.rows.iter().filter(|(_, c)| !c).collect();
        if !uncovered.is_empty() {
            let _ = writeln!(out, "\nuncovered ({}):", uncovered.len());
            for (r, _) in uncovered {
                let why = match r.testable_over_http.as_str() {
                    "no" => "not testable over HTTP",
                    "partial" => "only partly testable over HTTP; not yet written",
                    _ => "not yet written",
                };
                let _ = writeln!(out, "  {:<16} {:<6} {why}: {}", r.id, r.level, r.summary);
            }
        }
        out
    }
}

pub fn percent(covered: usize, total: usize) -> f64 {
    if total == 0 {
        100.0
    } else {
        covered as f64 * 100.0 / total as f64
    }
}
