//! Trouble on the way to the target: requests sent again after a 429, a 503 or a dropped
//! connection, and requests left with no answer. None of it is an RFC finding (a dropped
//! connection breaks no requirement of RFC 7644, and one that happens once is the network's
//! doing as much as the server's), so it has a table of its own, apart from the
//! divergences, and fails the run only under `--strict-transport`.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::client::{Exchange, LoadStats, Outcome};
use crate::suite::Method;

/// The requests of one kind (`POST /Users`) the fuzzer sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub request: String,
    pub sent: u64,
    /// Sends after the first: after a 429 or a 503, and after a dropped connection of an
    /// idempotent request.
    pub retried: u64,
    /// Left with no answer after every retry.
    pub unanswered: u64,
    /// Still answered 429 or 503 after every retry.
    pub busy: u64,
}

/// Counts, by kind of request, what the fuzzer sent (sequences and their clean-up).
#[derive(Default)]
pub struct Tally(BTreeMap<String, Row>);

impl Tally {
    /// Counts one exchange of `method` on `path` (ids as `{id}`).
    pub fn count(&mut self, method: Method, path: &str, exchange: &Exchange) {
        let request = format!("{} {path}", method.as_str());
        let row = self.0.entry(request.clone()).or_insert_with(|| Row {
            request,
            ..Row::default()
        });
        row.sent += 1;
        row.retried += u64::from(exchange.retries);
        // A request scimitar held back is no transport trouble: only one sent and unanswered.
        match &exchange.outcome {
            Outcome::Error(_) if exchange.unanswered => row.unanswered += 1,
            Outcome::Response(r) if matches!(r.status, 429 | 503) => row.busy += 1,
            Outcome::Error(_) | Outcome::Response(_) => {}
        }
    }
}

/// The transport section of a fuzz run, in the terminal and in the JSON report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transport {
    /// The kinds of request that were retried or left unanswered.
    pub requests: Vec<Row>,
    /// Sends of the whole run (discovery and sweep too) whose connection failed: refused,
    /// dropped, timed out.
    pub connection_failures: u64,
    /// Answers with a 5xx status, retried ones included.
    pub server_errors: u64,
    /// Sequences stopped without a verdict: a request that changes something got no answer.
    pub inconclusive: u64,
}

impl Transport {
    pub fn new(tally: &Tally, load: LoadStats, inconclusive: u64) -> Self {
        Transport {
            requests: tally
                .0
                .values()
                .filter(|r| r.retried + r.unanswered + r.busy > 0)
                .cloned()
                .collect(),
            connection_failures: load.connection_failures,
            server_errors: load.server_errors,
            inconclusive,
        }
    }

    /// Whether the target left a send unanswered, even one answered when sent again, or a
    /// request still busy after its retries: what `--strict-transport` fails on.
    pub fn troubled(&self) -> bool {
        self.connection_failures > 0 || self.requests.iter().any(|r| r.unanswered + r.busy > 0)
    }

    /// The table, or nothing when the run met no trouble on the way.
    pub fn table(&self) -> String {
        let mut out = String::new();
        if self.requests.is_empty() && !self.troubled() && self.server_errors == 0 {
            return out;
        }
        let _ = writeln!(
            out,
            "\ntransport (not RFC findings; --strict-transport fails the run on a send left unanswered)"
        );
        let _ = writeln!(
            out,
            "{:<32} {:>7} {:>8} {:>10} {:>6}",
            "request", "sent", "retried", "no answer", "busy"
        );
        for r in &self.requests {
            let _ = writeln!(
                out,
                "{:<32} {:>7} {:>8} {:>10} {:>6}",
                r.request, r.sent, r.retried, r.unanswered, r.busy
            );
        }
        let _ = writeln!(
            out,
            "connections failed: {} · answers 5xx: {} · sequences inconclusive: {} (a request that changes something got no answer, or was still busy: whether the target applied it is unknown, and what it created is swept by name)",
            self.connection_failures, self.server_errors, self.inconclusive
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{RecordedRequest, RecordedResponse};

    fn exchange(outcome: Outcome, retries: u32) -> Exchange {
        let unanswered = matches!(outcome, Outcome::Error(_));
        Exchange {
            request: RecordedRequest {
                method: Method::Post,
                url: "http://h/Users".into(),
                headers: vec![],
                body: None,
            },
            outcome,
            elapsed_ms: 1.0,
            retries,
            unanswered,
            dropped: 0,
        }
    }

    fn load(connection_failures: u64) -> LoadStats {
        LoadStats {
            server_errors: 0,
            connection_failures,
            lowest_limit: 1,
            max_limit: 64,
            settled_limit: 4,
            requests: 100,
        }
    }

    /// Rows count sends, retries, requests left unanswered and those still busy by kind; a
    /// kind that met no trouble is left out, and a run that met none prints no table.
    #[test]
    fn rows_count_the_trouble_of_each_kind_of_request() {
        let status = |status| {
            Outcome::Response(RecordedResponse {
                status,
                headers: vec![],
                body: String::new(),
                truncated: false,
            })
        };
        let answered = status(201);
        let mut tally = Tally::default();
        tally.count(Method::Post, "/Users", &exchange(answered.clone(), 2));
        tally.count(
            Method::Post,
            "/Users",
            &exchange(Outcome::Error("reset".into()), 0),
        );
        tally.count(Method::Post, "/Users", &exchange(status(503), 5));
        tally.count(Method::Get, "/Users/{id}", &exchange(answered.clone(), 0));
        let t = Transport::new(&tally, load(1), 1);
        assert_eq!(
            t.requests,
            vec![Row {
                request: "POST /Users".into(),
                sent: 3,
                retried: 7,
                unanswered: 1,
                busy: 1
            }]
        );
        assert!(t.troubled());
        let table = t.table();
        assert!(table.contains("POST /Users"), "{table}");
        assert!(!table.contains("GET"), "{table}");
        assert!(table.contains("connections failed: 1 "), "{table}");
        assert!(table.contains("sequences inconclusive: 1 "), "{table}");

        let mut calm = Tally::default();
        calm.count(Method::Get, "/Users/{id}", &exchange(answered, 0));
        let t = Transport::new(&calm, load(0), 0);
        assert!(!t.troubled());
        assert_eq!(t.table(), "");
    }
}
