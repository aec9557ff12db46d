//! A cursor walk (RFC 9865) in a fuzzed sequence: the model walks its own cursors, then the
//! target walks its own, a step per page, and the two walks are compared as wholes.

use serde_json::Value;

use super::{Execution, Side, Step, with_query};
use crate::client::Outcome;
use crate::fuzz::compare::{self, Divergence, Kind};
use crate::fuzz::op::{Op, Purpose};
use crate::server::Reference;

/// Pages followed before a walk is taken to be endless.
const MAX_PAGES: usize = 40;

/// The `nextCursor` of an answer's body.
fn next_cursor(body: &str) -> Option<String> {
    serde_json::from_str::<Value>(body)
        .ok()?
        .get("nextCursor")?
        .as_str()
        .map(str::to_string)
}

impl Execution<'_> {
    /// Walks `op` (a first-page request) on both sides; with `tamper`, sends a changed
    /// cursor after the first page instead. The steps, and the first divergence with the
    /// index of its step.
    pub(super) async fn walk(
        &mut self,
        op: &Op,
        count: usize,
        tamper: bool,
        reference: &Reference,
    ) -> (Vec<Step>, Option<(usize, Divergence)>) {
        let model = self.model_walk(op, reference).await;
        let mut steps = Vec::new();
        let mut pages = Vec::new();
        let mut cursor = String::new();
        loop {
            let n = steps.len();
            // The model's cursor to the same page (where its walk has one), changed as the
            // target's is.
            let shown = match model.get(n.wrapping_sub(1)).and_then(|(_, c)| c.as_deref()) {
                Some(c) if tamper => format!("{c}Zz"),
                Some(c) => c.to_string(),
                // The target has a next page where the model has none: the model has no
                // cursor to change, and its first page is no answer to a changed cursor.
                // Whether that page should be there is the untampered walk's to judge.
                None if tamper && n > 0 => return (steps, None),
                None => String::new(),
            };
            let mut step = self.send(op, reference, Some((&shown, &cursor))).await;
            let answer = match &step.actual {
                Outcome::Response(r) if !step.unjudged() => r,
                // No verdict (no answer, or still busy after the client's retries) on the walk,
                // which only reads, so the sequence goes on.
                _ => {
                    steps.push(step);
                    return (steps, None);
                }
            };
            // Each page answers as the model's does; an error answer is compared as any is
            // (a tampered cursor: 400 and a SCIM error body).
            let judged = if step.expected.status == 200 {
                status_only(step.expected.status, answer.status)
            } else {
                let original = std::mem::replace(&mut step.op.purpose, Purpose::Other);
                let judged = self.judge(&mut step);
                step.op.purpose = original;
                judged
            };
            if let Err(d) = judged {
                steps.push(step);
                return (steps, Some((n, d)));
            }
            if tamper && n > 0 {
                steps.push(step);
                return (steps, None);
            }
            let Outcome::Response(actual) = &step.actual else {
                unreachable!("a missing answer ended the walk above")
            };
            if actual.status != 200 {
                steps.push(step);
                return (steps, None);
            }
            let body = serde_json::from_str::<Value>(&actual.body).unwrap_or(Value::Null);
            let next = next_cursor(&actual.body);
            pages.push(body);
            steps.push(step);
            match next {
                Some(_) if steps.len() >= MAX_PAGES => {
                    return (
                        steps,
                        Some((
                            MAX_PAGES - 1,
                            Divergence::new(
                                Kind::Cursor,
                                "endless",
                                format!(
                                    "the walk did not end: page {MAX_PAGES} still carries a nextCursor"
                                ),
                            ),
                        )),
                    );
                }
                Some(c) if tamper => cursor = format!("{c}Zz"),
                Some(c) => cursor = c,
                None => break,
            }
        }
        let model_pages: Vec<Value> = model.into_iter().map(|(p, _)| p).collect();
        let verdict = compare::walk(
            &model_pages,
            &pages,
            count,
            (&self.model, &self.target),
            &self.sent,
        );
        (steps, verdict.err())
    }

    /// The model's walk of `op`: each page's body and its nextCursor.
    async fn model_walk(&self, op: &Op, reference: &Reference) -> Vec<(Value, Option<String>)> {
        let mut rendered = op.render(&|k| self.fill(k, Side::Model));
        let mut pages = Vec::new();
        while pages.len() < MAX_PAGES {
            let answer = reference
                .send(
                    rendered.method.as_str(),
                    &with_query(&rendered.path, &rendered.query),
                    &rendered.headers,
                    op.anonymous,
                    None,
                )
                .await;
            let next = next_cursor(&answer.body);
            pages.push((
                serde_json::from_str(&answer.body).unwrap_or(Value::Null),
                next.clone(),
            ));
            let Some(c) = next else { break };
            for (k, v) in &mut rendered.query {
                if k == "cursor" {
                    *v = c.clone();
                }
            }
        }
        pages
    }
}

/// Whether the target answered with the model's status.
fn status_only(expected: u16, actual: u16) -> Result<(), Divergence> {
    if actual == expected {
        return Ok(());
    }
    Err(Divergence::new(
        Kind::Status,
        format!("{expected}→{actual}"),
        format!("status: expected {expected}, got {actual}"),
    ))
}
