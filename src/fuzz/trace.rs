//! What one sequence did: each request as both sides answered it, and where they differed.
//! The executor writes it and findings read it, so it sits below both.

use super::compare::Divergence;
use super::op::{Op, Rendered};
use crate::client::{Outcome, RecordedRequest, RecordedResponse};

/// One request as both sides answered it.
pub struct Step {
    pub op: Op,
    /// As sent to the target (credentials redacted).
    pub request: RecordedRequest,
    /// As the reproduction script sends it, with shell variables.
    pub script: Rendered,
    pub expected: RecordedResponse,
    pub actual: Outcome,
    /// Its sends that got no answer before `actual` (an idempotent request is sent again
    /// after a dropped connection): the target may have acted on one of them.
    pub dropped: u32,
    /// The script variable taking the id this step created.
    pub creates: Option<String>,
    /// The script variables taking the ids a Bulk request created (`U3`, `G2`).
    pub bulk_creates: Vec<String>,
}

impl Step {
    /// Whether the target gave no verdict on the request, even after the client's retries:
    /// no answer at all, or still a 429 or a 503, which say the request was not handled
    /// (RFC 6585 §4, RFC 7231 §6.6.4).
    pub fn unjudged(&self) -> bool {
        match &self.actual {
            Outcome::Error(_) => true,
            Outcome::Response(r) => matches!(r.status, 429 | 503),
        }
    }
}

pub struct Trace {
    pub steps: Vec<Step>,
    /// Each step that differed (its index in `steps`) and how; the last one may have ended
    /// the sequence.
    pub divergences: Vec<(usize, Divergence)>,
    /// The step that changes something and got no verdict ([`Step::unjudged`]), where one
    /// did: the sequence stopped there, as the model cannot know whether the target applied
    /// it.
    pub inconclusive: Option<usize>,
}

impl Trace {
    /// The trace up to the first step whose divergence `is` picks, and that divergence.
    pub fn until(mut self, is: impl Fn(&Step, &Divergence) -> bool) -> Option<(Trace, Divergence)> {
        let i = self
            .divergences
            .iter()
            .position(|(at, d)| is(&self.steps[*at], d))?;
        let (at, d) = self.divergences[i].clone();
        self.steps.truncate(at + 1);
        self.divergences.truncate(i + 1);
        // The step left unanswered ended the sequence, after every divergence.
        self.inconclusive = None;
        Some((self, d))
    }
}
