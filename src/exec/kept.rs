//! What a create's answer shows the target kept of what was sent. RFC 7644 §3.3 lets a
//! server "alter and/or ignore POSTed content", so a case whose later steps lean on data the
//! target visibly did not keep (a second email, a sub-attribute) cannot run there: it is
//! skipped with what was lost, not failed.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a create's answer shows the target did not keep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lost {
    /// The attribute (`emails`): only a later step about it leans on what was lost.
    pub attribute: String,
    /// `the target kept 1 of 2 emails`.
    pub message: String,
}

impl Lost {
    /// Whether a step leans on the attribute: its request (URL or body) or an
    /// expectation's pointer names it.
    pub fn bears_on(&self, request: &str, pointers: &[&str]) -> bool {
        let attribute = self.attribute.to_ascii_lowercase();
        request.to_ascii_lowercase().contains(&attribute)
            || pointers.iter().any(|p| {
                p.split('/')
                    .any(|token| token.eq_ignore_ascii_case(&self.attribute))
            })
    }
}

/// What of the multi-valued attributes of `sent` the created resource `got` lacks: fewer
/// values (`the target kept 1 of 2 emails`), or a sub-attribute of a value it kept. An
/// attribute the answer leaves out altogether proves nothing (it may not be returned by
/// default), nor does a `false` or null sub-attribute (unassigned values may be omitted).
pub fn shortfall(sent: &Value, got: &Value) -> Option<Lost> {
    let (Value::Object(sent), Value::Object(got)) = (sent, got) else {
        return None;
    };
    sent.iter().find_map(|(name, values)| {
        let Value::Array(values) = values else {
            return None;
        };
        let Some(Value::Array(kept)) = member(got, name) else {
            return None;
        };
        if name.eq_ignore_ascii_case("schemas") {
            return None;
        }
        let lost = |message: String| Lost {
            attribute: name.clone(),
            message,
        };
        if kept.len() < values.len() {
            return Some(lost(format!(
                "the target kept {} of {} {name}",
                kept.len(),
                values.len()
            )));
        }
        values.iter().filter_map(Value::as_object).find_map(|one| {
            let same = kept.iter().filter_map(Value::as_object).find(|k| {
                one.get("value")
                    .is_some_and(|v| same_value(v, k.get("value")))
            })?;
            one.iter()
                .filter(|(_, v)| !matches!(v, Value::Null | Value::Bool(false)))
                .find(|(sub, _)| member(same, sub).is_none_or(Value::is_null))
                .map(|(sub, _)| lost(format!("the target did not keep {name}.{sub}")))
        })
    })
}

/// A member by case-insensitive name (RFC 7643 §2.1).
fn member<'v>(obj: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Values of `value` sub-attributes compare without case: emails and the like are
/// caseExact false (RFC 7643 §4.1.2), and a server may alter their case.
fn same_value(a: &Value, b: Option<&Value>) -> bool {
    match (a, b) {
        (Value::String(a), Some(Value::String(b))) => a.eq_ignore_ascii_case(b),
        (a, Some(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn two_emails() -> Value {
        json!({"userName": "a", "emails": [
            {"value": "a@example.com", "type": "work", "primary": true},
            {"value": "team@example.com", "type": "other", "primary": false}
        ]})
    }

    #[test]
    fn fewer_values_than_sent_are_a_shortfall() {
        let got = json!({"id": "1", "emails": [{"value": "a@example.com", "type": "work", "primary": true}]});
        let lost = shortfall(&two_emails(), &got).unwrap();
        assert_eq!(lost.message, "the target kept 1 of 2 emails");
        assert!(lost.bears_on("GET /Users?filter=EMAILS.value eq \"x\"", &[]));
        assert!(lost.bears_on("GET /Users/1", &["/Resources/0/emails/1/value"]));
        assert!(!lost.bears_on("GET /Users?filter=userName eq \"x\"", &["/name"]));
    }

    #[test]
    fn a_lost_sub_attribute_of_a_kept_value_is_a_shortfall() {
        let got = json!({"id": "1", "Emails": [
            {"value": "A@example.com", "primary": true},
            {"value": "team@example.com"}
        ]});
        assert_eq!(
            shortfall(&two_emails(), &got).map(|l| l.message).as_deref(),
            Some("the target did not keep emails.type")
        );
    }

    /// Any order, other case, false and null left out, an attribute not returned at all:
    /// nothing is proved lost.
    #[test]
    fn what_a_server_may_answer_otherwise_is_no_shortfall() {
        let got = json!({"id": "1", "emails": [
            {"value": "TEAM@example.com", "type": "other"},
            {"value": "a@example.com", "type": "work", "primary": true}
        ]});
        assert_eq!(shortfall(&two_emails(), &got), None);
        assert_eq!(shortfall(&two_emails(), &json!({"id": "1"})), None);
        let sent = json!({"schemas": ["a", "b"]});
        assert_eq!(shortfall(&sent, &json!({"schemas": ["a"]})), None);
    }
}
