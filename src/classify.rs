//! What a case's outcome means under a vendor profile: pass, fail, warning, skipped,
//! documented deviation (declared and observed) or undocumented deviation (observed, not
//! declared); and, over the whole run, which declarations were observed and which are stale.

use crate::check::{self, Schemas};
use crate::client::Outcome as Answer;
use crate::exec::StepRecord;
use crate::plan::Planned;
use crate::profile::Profile;
use crate::report::optional::{Offer, Use};
use crate::report::{CaseResult, Declaration, Standing, Status};
use crate::requirements;
use crate::suite::template::Vars;
use crate::suite::{Case, Expect, Feature, Level};

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
    /// Failed where a target without the case's optional feature fails: the feature, and the
    /// failure that shows it.
    NotOffered {
        feature: String,
        message: String,
    },
    /// Failed with an answer that leaves the case nothing to judge: why, and the failure.
    Inapplicable {
        because: String,
        message: String,
    },
    /// A request got no answer, beside other cases and again alone: the failure.
    Unanswered(String),
    /// The run was stopped before the case ended, or began: what it had come to.
    Interrupted(String),
}

/// A failed case's outcome, read from the answer of the step that failed (`own`: its number
/// among the case's own steps, None for a setup or teardown step): the case's optional
/// feature not offered (an `optional.unoffered` answer), nothing to judge (a `skip_if`),
/// else a failure.
pub fn failed(
    case: &Case,
    own: Option<usize>,
    steps: &[StepRecord],
    schemas: &Schemas,
    message: String,
) -> Outcome {
    let Some(record) = steps.iter().find(|s| !s.teardown && !s.failures.is_empty()) else {
        return Outcome::Failed(message);
    };
    let meets = |step: usize, want: &Expect| match record.exchange.as_ref().map(|x| &x.outcome) {
        Some(Answer::Response(r)) if own == Some(step) => {
            let body = serde_json::from_str(&r.body);
            check::check(want, r, &body, &Vars::new(), schemas).is_empty()
        }
        _ => false,
    };
    if let Some(o) = case
        .optional
        .as_ref()
        .filter(|o| o.unoffered.iter().any(|a| meets(a.step, &a.answer)))
    {
        return Outcome::NotOffered {
            feature: o.feature.clone(),
            message,
        };
    }
    match case.skip_if.iter().find(|s| meets(s.step, &s.answer)) {
        Some(s) => Outcome::Inapplicable {
            because: s.because.clone(),
            message,
        },
        None => Outcome::Failed(message),
    }
}

/// Whether a case's own steps expect an error answer. Run as a probe of a feature the target
/// does not advertise, such a case proves nothing by passing: a target without the feature
/// may answer the same error for another reason (a filter it declines answers 400).
pub fn expects_an_error(case: &Case) -> bool {
    case.steps.iter().any(|s| {
        s.value
            .expect
            .status
            .as_ref()
            .is_some_and(|set| set.0.iter().all(|&code| code >= 400))
    })
}

/// What a case showed of the optional features it bears on: the ServiceProviderConfig
/// features it requires (`unadvertised` names those the target does not advertise) and the
/// feature it names `optional`. A vendor's own case shows its promises, not these.
pub fn uses(p: &Planned, case: &Case, unadvertised: Option<&str>, outcome: &Outcome) -> Vec<Use> {
    if p.vendor {
        return Vec::new();
    }
    let advertised = |f: Feature| !unadvertised.is_some_and(|why| why.contains(&advertises(f)));
    let spc = |offer: &dyn Fn(bool) -> Option<Offer>| -> Vec<Use> {
        p.requires
            .iter()
            .filter_map(|&f| {
                let ad = advertised(f);
                offer(ad).map(|offer| Use {
                    feature: name(f),
                    advertised: Some(ad),
                    offer,
                })
            })
            .collect()
    };
    let named = |offer: Offer| {
        case.optional.iter().map(move |o| Use {
            feature: o.feature.clone(),
            advertised: None,
            offer,
        })
    };
    match outcome {
        Outcome::Passed | Outcome::Noted(_) => spc(&|_| Some(Offer::Offered))
            .into_iter()
            .chain(named(Offer::Offered))
            .collect(),
        Outcome::WorksUnadvertised(_) => {
            spc(&|ad| Some(if ad { Offer::Offered } else { Offer::Broken }))
                .into_iter()
                .chain(named(Offer::Offered))
                .collect()
        }
        Outcome::Unsupported(_) => spc(&|ad| (!ad).then_some(Offer::NotOffered)),
        Outcome::NotOffered { .. } => named(Offer::NotOffered).collect(),
        Outcome::Failed(_) => spc(&|_| Some(Offer::Broken))
            .into_iter()
            .chain(named(Offer::Broken))
            .collect(),
        Outcome::Blocked { .. }
        | Outcome::Leaning { .. }
        | Outcome::Inapplicable { .. }
        | Outcome::Unanswered(_)
        | Outcome::Interrupted(_) => Vec::new(),
    }
}

/// The ServiceProviderConfig member that advertises a feature, as `Capabilities::missing`
/// names it (`bulk.supported`, `pagination.cursor`).
fn advertises(f: Feature) -> String {
    format!("{}.{}", f.key(), f.flag())
}

/// A feature's row in the optional features table: `bulk`, `pagination.cursor`.
fn name(f: Feature) -> String {
    match f.flag() {
        "supported" => f.key().to_string(),
        _ => advertises(f),
    }
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
        (Outcome::Unanswered(m), _) => (
            Status::Inconclusive,
            Some(format!(
                "inconclusive: no answer, beside other cases and again alone\n{m}"
            )),
        ),
        (Outcome::Interrupted(m), _) => (Status::Interrupted, Some(format!("interrupted: {m}"))),
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
        (Outcome::NotOffered { feature, message }, _) => documented(format!(
            "skipped: not offered: {feature}, an optional feature (it is answered as a server without it answers)\n{message}"
        )),
        (Outcome::Inapplicable { because, message }, _) => {
            documented(format!("skipped: {because}\n{message}"))
        }
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
