//! What a run found, counted as a server owner reads it: distinct requirement rows broken
//! (each with its cases and one piece of evidence), and setup failures (each with the cases
//! it blocked), rather than one line per case repeating the same cause.

use super::{CaseResult, Status};
use crate::requirements::{self, Requirement};

/// One requirement row the run found broken (or, for a vendor's own promise, one case).
pub struct Finding<'a> {
    /// None for a vendor case, which cites no row.
    pub requirement: Option<&'static Requirement>,
    pub status: Status,
    /// The cases that show it; the first one's exchange is the evidence.
    pub cases: Vec<&'a CaseResult>,
}

/// One suite setup step that failed, with the cases it kept from running.
pub struct SetupFailure<'a> {
    /// `file:line` and the step's name.
    pub step: &'a str,
    /// The cases it blocked; the first one's message is the evidence.
    pub cases: Vec<&'a CaseResult>,
}

/// The findings among `cases` with `status`, in the order their first case comes.
pub fn findings(cases: &[CaseResult], status: Status) -> Vec<Finding<'_>> {
    let mut out: Vec<Finding> = Vec::new();
    for c in cases.iter().filter(|c| c.status == status) {
        let row = requirements::broken(&c.requirements, c.level);
        let same = |f: &&mut Finding| match (f.requirement, row) {
            (Some(a), Some(b)) => a.id == b.id,
            _ => false,
        };
        match out.iter_mut().find(same) {
            Some(f) => f.cases.push(c),
            None => out.push(Finding {
                requirement: row,
                status,
                cases: vec![c],
            }),
        }
    }
    out
}

/// The setup failures behind the blocked cases.
pub fn setup_failures(cases: &[CaseResult]) -> Vec<SetupFailure<'_>> {
    let mut out: Vec<SetupFailure> = Vec::new();
    for c in cases {
        let Some(step) = c.blocked_by.as_deref() else {
            continue;
        };
        match out.iter_mut().find(|f| f.step == step) {
            Some(f) => f.cases.push(c),
            None => out.push(SetupFailure {
                step,
                cases: vec![c],
            }),
        }
    }
    out
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
    if blocked > 0 {
        let n = setup_failures(cases).len();
        parts.push(format!(
            "{blocked} {} blocked by {n} setup {}",
            plural(blocked, "case"),
            plural(n, "failure")
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
