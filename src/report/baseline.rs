//! Baseline mode: a run judged against an earlier JSON report, failing only on what got
//! worse, so a server that is not compliant yet can still be gated on not regressing.

use std::collections::HashMap;
use std::fmt::Write;

use super::{RunReport, Status};

/// A case whose standing changed between the baseline and this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub name: String,
    /// None: the case is new.
    pub before: Option<Status>,
    pub after: Status,
}

#[derive(Debug, Default)]
pub struct Comparison {
    /// Passed (or new) → failed, or a new undocumented deviation.
    pub regressions: Vec<Change>,
    /// Failed or undocumented → anything else.
    pub improvements: Vec<Change>,
    /// Failures and undocumented deviations the baseline already had.
    pub known: usize,
    /// Cases of the baseline this run did not have.
    pub gone: Vec<String>,
}

/// What the gate holds against a server: failures, deviations it does not document, and
/// cases its setup blocked.
fn bad(s: Status) -> bool {
    matches!(s, Status::Failed | Status::Undocumented | Status::Blocked)
}

pub fn compare(baseline: &RunReport, now: &RunReport) -> Comparison {
    let before: HashMap<&str, Status> = baseline
        .cases
        .iter()
        .map(|c| (c.name.as_str(), c.status))
        .collect();
    let mut out = Comparison::default();
    // A case that showed nothing (no answer, cut short) neither regressed nor improved.
    let showed =
        |c: &&super::CaseResult| !matches!(c.status, Status::Inconclusive | Status::Interrupted);
    for c in now.cases.iter().filter(showed) {
        let was = before.get(c.name.as_str()).copied();
        let change = Change {
            name: c.name.clone(),
            before: was,
            after: c.status,
        };
        match (was.is_some_and(bad), bad(c.status)) {
            (false, true) => out.regressions.push(change),
            (true, false) => out.improvements.push(change),
            (true, true) => out.known += 1,
            (false, false) => {}
        }
    }
    let current: std::collections::HashSet<&str> =
        now.cases.iter().map(|c| c.name.as_str()).collect();
    out.gone = baseline
        .cases
        .iter()
        .filter(|c| !current.contains(c.name.as_str()))
        .map(|c| c.name.clone())
        .collect();
    out
}

impl Comparison {
    pub fn render(&self, path: &std::path::Path) -> String {
        let mut out = format!(
            "\nbaseline {}: {} regressions, {} improvements, {} failures already known\n",
            path.display(),
            self.regressions.len(),
            self.improvements.len(),
            self.known
        );
        let line = |out: &mut String, head: &str, c: &Change| {
            let before = c.before.map_or("new", Status::as_str);
            let _ = writeln!(out, "  {head} {} ({before} → {})", c.name, c.after.as_str());
        };
        for c in &self.regressions {
            line(&mut out, "regressed:", c);
        }
        for c in &self.improvements {
            line(&mut out, "improved: ", c);
        }
        for name in &self.gone {
            let _ = writeln!(out, "  not run:   {name}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::CaseResult;

    fn report(cases: &[(&str, Status)]) -> RunReport {
        let mut r: RunReport = serde_json::from_value(serde_json::json!({
            "tool": "scimitar", "version": "0", "target": "t", "profile": "rfc",
            "profile_title": "", "run_id": "r", "duration_ms": 0.0, "passed": 0, "failed": 0,
            "warnings": 0, "skipped": 0, "documented": 0, "undocumented": 0,
            "cases": [], "declarations": []
        }))
        .expect("a report");
        r.cases = cases
            .iter()
            .map(|(name, status)| {
                let mut c: CaseResult = serde_json::from_value(serde_json::json!({
                    "name": name, "suite": "s", "case": name, "file": "f.yaml",
                    "level": "MUST", "requirements": [], "status": "passed",
                    "duration_ms": 0.0, "steps": []
                }))
                .expect("a case");
                c.status = *status;
                c
            })
            .collect();
        r
    }

    #[test]
    fn only_what_got_worse_regresses() {
        use Status::*;
        let before = report(&[
            ("a", Passed),
            ("b", Failed),
            ("c", Failed),
            ("d", Documented),
            ("e", Passed),
        ]);
        let now = report(&[
            ("a", Failed),
            ("b", Failed),
            ("c", Passed),
            ("d", Undocumented),
            ("f", Failed),
        ]);
        let cmp = compare(&before, &now);
        let names = |cs: &[Change]| cs.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&cmp.regressions), ["a", "d", "f"]);
        assert_eq!(names(&cmp.improvements), ["c"]);
        assert_eq!(cmp.known, 1);
        assert_eq!(cmp.gone, ["e"]);
    }
}
