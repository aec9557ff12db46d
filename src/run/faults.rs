//! What the run makes of the target's refusals once the cases have met them: the filter
//! parts and PATCH path forms it declines (the cases using them are skipped), and faults in
//! the filter a case scopes its resources with, each reported once under its rule (the cases
//! leaning on one are blocked). Kept apart from the trials, which only hand each refusal in.

use super::{Shared, lock};
use crate::classify::Outcome;
use crate::exec::{FILTER_RULE, Refusal};
use crate::report::{self, Status};

/// A fault in a filter a case leans on: its answer is not the resources it matches (RFC 7644
/// lines 931-932).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum FilterFault {
    /// Refused at one time and accepted at another: answered by the data stored.
    ByData,
    /// Answered with a server error, or with a body that is no JSON.
    ServerError,
}

impl FilterFault {
    /// The fault a refusal shows, with the filter parts it showed it on.
    pub(super) fn of(refusal: &Refusal) -> Option<(Self, &[String])> {
        match refusal {
            Refusal::Inconsistent(parts) => Some((FilterFault::ByData, parts)),
            Refusal::ServerError(parts) => Some((FilterFault::ServerError, parts)),
            Refusal::Declined { .. } | Refusal::PathForms(_) => None,
        }
    }

    /// What a case blocked by it leaned on.
    pub(super) fn leaned_on(self) -> &'static str {
        match self {
            FilterFault::ByData => {
                "its filter, which the target refuses at one time and accepts at another (its answers depend on the data stored, not on the filter): a fault reported once under P-filter-03"
            }
            FilterFault::ServerError => {
                "its filter, which the target answers with a server error or a body that is no JSON: a fault reported once under P-filter-03"
            }
        }
    }

    fn summary(self) -> &'static str {
        match self {
            FilterFault::ByData => {
                "filters answered 400 at one time and with their matches at another, by the data stored (RFC 7644 lines 931-932: the resources matching SHALL be returned)"
            }
            FilterFault::ServerError => {
                "filters answered with a server error or a body that is no JSON (RFC 7644 lines 931-932: the resources matching SHALL be returned)"
            }
        }
    }
}

impl Shared {
    /// Remembers how the target refused a case's filter or PATCH path, where the case's
    /// outcome rests on it: skipped for what it declines, blocked by a fault.
    pub(super) fn note_refusal(&self, case: &str, refusal: &Refusal, outcome: &Outcome) {
        match (refusal, outcome) {
            (Refusal::Declined { endpoint, parts }, Outcome::Unsupported(_)) => {
                lock(&self.declined).extend(parts.iter().cloned());
                lock(&self.declining).push((case.into(), endpoint.clone(), parts.clone()));
            }
            (Refusal::PathForms(forms), Outcome::Unsupported(_)) => {
                lock(&self.declined).extend(forms.iter().map(|f| format!("PATCH path {f}")));
            }
            (_, Outcome::Leaning { .. }) => {
                if let Some((fault, parts)) = FilterFault::of(refusal) {
                    lock(&self.leaning).push((fault, case.into(), parts.to_vec()));
                }
            }
            _ => {}
        }
    }

    /// After the run: a case skipped for a part the target "declined" that it accepted
    /// later in the run was blocked by a filter answered by the data stored.
    pub(super) fn reconcile_declined(&self) {
        let probes = &self.runner.probes;
        let mut results = lock(&self.results);
        for (case, endpoint, parts) in lock(&self.declining).iter() {
            let accepted: Vec<String> = parts
                .iter()
                .filter(|part| probes.was_accepted(&format!("{endpoint} {part}")))
                .cloned()
                .collect();
            if accepted.is_empty() {
                continue;
            }
            let Some(done) = results.iter_mut().find(|r| r.name == *case) else {
                continue;
            };
            done.status = Status::Blocked;
            done.fault = Some(FILTER_RULE.to_string());
            done.message = Some(format!(
                "blocked: {}\n{} refused here, accepted elsewhere in the run",
                FilterFault::ByData.leaned_on(),
                accepted.join(", ")
            ));
            lock(&self.declined).retain(|d| !accepted.contains(d));
            lock(&self.leaning).push((FilterFault::ByData, case.clone(), accepted));
        }
    }

    /// The filter faults the run met, one each, with their parts and the cases they blocked.
    pub(super) fn faults(&self) -> Vec<report::Fault> {
        let mut seen = lock(&self.leaning).clone();
        seen.sort();
        let mut faults: Vec<report::Fault> = Vec::new();
        for (fault, case, parts) in seen {
            let at = match faults.last_mut() {
                Some(f) if f.summary == fault.summary() => f,
                _ => {
                    faults.push(report::Fault {
                        rule: FILTER_RULE.into(),
                        level: crate::suite::Level::Must,
                        summary: fault.summary().into(),
                        parts: Vec::new(),
                        cases: Vec::new(),
                    });
                    faults.last_mut().expect("just pushed")
                }
            };
            at.parts.extend(parts);
            at.parts.sort();
            at.parts.dedup();
            if !at.cases.contains(&case) {
                at.cases.push(case);
            }
        }
        faults
    }
}
