//! What a case's outcome means under a vendor profile: pass, fail, warning, skipped,
//! documented deviation (declared and observed) or undocumented deviation (observed, not
//! declared); and, over the whole run, which declarations were observed and which are stale.

use crate::plan::Planned;
use crate::profile::Profile;
use crate::report::{CaseResult, Declaration, Standing, Status};
use crate::requirements;
use crate::suite::Level;

/// How a case ran, before any profile is consulted.
pub enum Outcome {
    Passed,
    /// Passed, with remarks that deserve a warning.
    Noted(String),
    Failed(String),
    /// A step of the suite's setup failed (`setup` names it): the case never reached what it
    /// is about.
    Blocked {
        setup: String,
        message: String,
    },
    /// Needs a feature the target does not advertise and did not work: why it is missing.
    Unsupported(String),
    /// The case leaned on something the target has a fault in (`fault`, a sentence), which
    /// is reported once on its own: blocked.
    Leaning {
        fault: String,
        message: String,
    },
    /// Needs a feature the target does not advertise, yet worked: why it is missing.
    WorksUnadvertised(String),
}

/// A case's status, its message, the declared deviation it bears on, and the setup step
/// that blocked it.
pub struct Classified {
    pub status: Status,
    pub message: Option<String>,
    pub deviation: Option<String>,
    pub blocked_by: Option<String>,
}

pub fn classify(
    p: &Planned,
    shows: Option<&str>,
    outcome: Outcome,
    profile: &Profile,
) -> Classified {
    let bears_on = match shows {
        Some(id) => profile.deviation(id),
        None if p.vendor => None,
        None => profile.explains(&p.requirements),
    };
    let deviation = bears_on.map(|d| d.id.clone());
    let documented = |m: String| match bears_on {
        Some(d) => (
            Status::Documented,
            Some(format!(
                "documented deviation `{}`: {}\n{m}",
                d.id, d.summary
            )),
        ),
        None => (Status::Skipped, Some(m)),
    };
    let mut blocked_by = None;
    let (status, message) = match (outcome, shows) {
        (Outcome::Blocked { setup, message }, _) => {
            let m = format!("blocked: the suite's setup step {setup} failed\n{message}");
            blocked_by = Some(setup);
            (Status::Blocked, Some(m))
        }
        (Outcome::Leaning { fault, message }, _) => (
            Status::Blocked,
            Some(format!("blocked: {fault}\n{message}")),
        ),
        (Outcome::Unsupported(why), _) => documented(format!("skipped: {why}")),
        (Outcome::WorksUnadvertised(why), _) => (
            Status::Warning,
            Some(format!(
                "works, although the target does not advertise it ({why}); a feature advertised as unsupported should not be half-supported (C-discovery-05)"
            )),
        ),
        // A vendor case showing a deviation: passing is observing it.
        (Outcome::Passed | Outcome::Noted(_), Some(_)) => documented("observed".into()),
        (Outcome::Failed(m), Some(id)) => (
            Status::Passed,
            Some(format!(
                "the server complies: declared deviation `{id}` not observed\n{m}"
            )),
        ),
        (Outcome::Passed, None) => (Status::Passed, None),
        (Outcome::Noted(w), None) => (Status::Warning, Some(w)),
        (Outcome::Failed(m), None) => {
            let rules: Vec<String> = requirements::binding(&p.requirements, p.level)
                .iter()
                .map(|r| format!("  {} ({})", r.basis_line(), r.url()))
                .collect();
            let m = if rules.is_empty() {
                m
            } else {
                format!("the rule it checks:\n{}\n{m}", rules.join("\n"))
            };
            match bears_on {
                Some(_) => documented(m),
                None if requirements::advice_only(&p.requirements) => (
                    Status::Warning,
                    Some(format!(
                        "advice only: the rows this case cites bind no server (basis client or absent)\n{m}"
                    )),
                ),
                None if !p.vendor && !profile.deviations.is_empty() => {
                    (Status::Undocumented, Some(m))
                }
                None if p.level == Level::Must => (Status::Failed, Some(m)),
                None => (Status::Warning, Some(m)),
            }
        }
    };
    Classified {
        status,
        message,
        deviation,
        blocked_by,
    }
}

/// Whether the case fails the run: a broken MUST, an undocumented MUST deviation, or a case
/// its setup blocked.
pub fn fails_run(status: Status, level: Level) -> bool {
    match status {
        // Nothing was checked: the run cannot pass on it.
        Status::Failed | Status::Blocked => true,
        Status::Undocumented => level == Level::Must,
        _ => false,
    }
}

/// Every declared deviation with what the run made of it.
pub fn declarations(profile: &Profile, cases: &[CaseResult]) -> Vec<Declaration> {
    profile
        .deviations
        .iter()
        .map(|d| {
            let bearing = || {
                cases
                    .iter()
                    .filter(|c| c.deviation.as_deref() == Some(d.id.as_str()))
            };
            let observed: Vec<String> = bearing()
                .filter(|c| c.status == Status::Documented)
                .map(|c| c.name.clone())
                .collect();
            let complied: Vec<String> = bearing()
                .filter(|c| matches!(c.status, Status::Passed | Status::Warning))
                .map(|c| c.name.clone())
                .collect();
            let (standing, evidence) = if !observed.is_empty() {
                (Standing::Documented, observed)
            } else if !d.observable {
                (Standing::Unobservable, vec![])
            } else if !complied.is_empty() {
                (Standing::Stale, complied)
            } else {
                (Standing::Unchecked, vec![])
            };
            Declaration {
                deviation: d.clone(),
                standing,
                evidence,
            }
        })
        .collect()
}
