//! Invalid create payloads, each with what RFC 7644 §3.3 expects of the server.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

/// The answer the RFC expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// Refused with this status (P-create-07, and RFC 7644 §3.12 `invalidValue`).
    Refused(u16),
    /// Created with the offending part ignored (readOnly attributes, P-create-06).
    Ignored,
    /// Either answer: a server may ignore what it does not know or refuse it (P-create-09).
    EitherWay,
}

impl Expected {
    /// Whether `status` is an answer the RFC allows.
    pub fn allows(self, status: u16) -> bool {
        match self {
            Expected::Refused(s) => status == s,
            Expected::Ignored => status == 201,
            Expected::EitherWay => status == 201 || status == 400,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Invalid {
    pub body: Value,
    /// What is wrong with it, for a reader of a failure.
    pub why: &'static str,
    pub expected: Expected,
}

fn wrong_type() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i32>().prop_map(Value::from),
        Just(json!(["a", "b"])),
        Just(json!({"value": "a"})),
    ]
}

/// A user made invalid in one way.
pub fn invalid_user() -> impl Strategy<Value = Invalid> {
    let cases = prop_oneof![
        wrong_type().prop_map(|v| (
            "userName",
            v,
            "userName of the wrong type",
            Expected::Refused(400)
        )),
        Just((
            "userName",
            Value::Null,
            "userName null (required)",
            Expected::Refused(400)
        )),
        Just((
            "active",
            json!("maybe"),
            "active not a boolean",
            Expected::Refused(400)
        )),
        Just((
            "emails",
            json!([{"value": 42}]),
            "an email value not a string",
            Expected::Refused(400)
        )),
        Just((
            "id",
            json!("chosen-by-the-client"),
            "id sent (readOnly)",
            Expected::Ignored
        )),
        Just((
            "meta",
            json!({"resourceType": "Group", "version": "W/\"1\""}),
            "meta sent (readOnly)",
            Expected::Ignored
        )),
        Just((
            "groups",
            json!([{"value": "nobody"}]),
            "groups sent (readOnly)",
            Expected::Ignored
        )),
        Just((
            "urn:example:params:scim:unknown:2.0:User",
            json!({"x": 1}),
            "an unknown extension",
            Expected::EitherWay
        )),
        Just((
            "favouriteColour",
            json!("teal"),
            "an unknown attribute",
            Expected::EitherWay
        )),
    ];
    (user(), cases, any::<bool>()).prop_map(|(mut body, (key, value, why, expected), drop_name)| {
        // A missing userName replaces the defect half of the time.
        if drop_name && expected == Expected::Refused(400) && key == "userName" {
            body.as_object_mut().map(|o| o.remove("userName"));
            return Invalid {
                body,
                why: "userName missing (required)",
                expected,
            };
        }
        body[key] = value;
        Invalid {
            body,
            why,
            expected,
        }
    })
}
