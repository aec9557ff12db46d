//! The JSON report: every case, its result and its exchanges (secrets removed).

use super::{Reporter, RunReport};

pub struct Json;

impl Reporter for Json {
    fn render(&self, report: &RunReport) -> String {
        serde_json::to_string_pretty(report).expect("the report serialises")
    }
}
