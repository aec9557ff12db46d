//! What the run makes of the target's refusals once the cases have met them: the filter
//! parts and PATCH path forms it declines (the cases using them are skipped), and a filter
//! answered by the data stored, a fault reported once under its rule (the cases leaning on it
//! are blocked). Kept apart from the trials, which only hand each refusal in.

use super::{Shared, lock};
use crate::classify::Outcome;
use crate::exec::{INCONSISTENT_RULE, Refusal};
use crate::report::{self, Status};

/// What a case blocked by a filter answered by the data stored leaned on.
pub(super) const INCONSISTENT: &str = "its filter, which the target refuses at one time and accepts at another (its answers depend on the data stored, not on the filter): a fault reported once under P-filter-03";

impl Shared {
    /// Remembers how the target refused a case's filter or PATCH path, where the case's
    /// outcome rests on it: skipped for what it declines, blocked by a fault.
    pub(super) fn note_refusal(&self, case: &str, refusal: &Refusal, outcome: &Outcome) {
        match (refusal, outcome) {
            (Refusal::Declined { endpoint, parts }, Outcome::Unsupported(_)) => {
                lock(&self.declined).extend(parts.iter().cloned());
                lock(&self.declining).push((case.into(), endpoint.clone(), parts.clone()));
            }
            (Refusal::Inconsistent(parts), Outcome::Leaning { .. }) => {
                lock(&self.inconsistent).push((case.into(), parts.clone()));
            }
            (Refusal::PathForms(forms), Outcome::Unsupported(_)) => {
                lock(&self.declined).extend(forms.iter().map(|f| format!("PATCH path {f}")));
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
            done.fault = Some(INCONSISTENT_RULE.to_string());
            done.message = Some(format!(
                "blocked: {INCONSISTENT}\n{} refused here, accepted elsewhere in the run",
                accepted.join(", ")
            ));
            lock(&self.declined).retain(|d| !accepted.contains(d));
            lock(&self.inconsistent).push((case.clone(), accepted));
        }
    }

    /// The filter fault, if the run met it.
    pub(super) fn faults(&self) -> Vec<report::Fault> {
        let seen = lock(&self.inconsistent);
        if seen.is_empty() {
            return Vec::new();
        }
        let mut parts: Vec<String> = seen.iter().flat_map(|(_, p)| p.clone()).collect();
        parts.sort();
        parts.dedup();
        let mut cases: Vec<String> = seen.iter().map(|(c, _)| c.clone()).collect();
        cases.sort();
        vec![report::Fault {
            rule: INCONSISTENT_RULE.into(),
            level: crate::suite::Level::Must,
            summary: "filters answered 400 at one time and with their matches at another, by the data stored (RFC 7644 lines 931-932: the resources matching SHALL be returned)".into(),
            parts,
            cases,
        }]
    }
}
