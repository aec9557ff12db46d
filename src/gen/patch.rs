//! PatchOp bodies (RFC 7644 §3.5.2): every operation, with and without a path, value-filter
//! paths, and the shapes Microsoft Entra sends (capitalised `op`, "True"/"False" strings,
//! no-path values keyed by attribute paths, member removal by value list).

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

use super::*;

/// `op` as the RFC writes it, or capitalised as Entra's default behaviour sends it.
fn op(word: &'static str) -> impl Strategy<Value = String> {
    any::<bool>().prop_map(move |capital| {
        if capital {
            let mut c = word.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        } else {
            word.to_string()
        }
    })
}

/// A boolean as JSON, or as the string Entra sends.
fn boolean() -> impl Strategy<Value = Value> {
    (any::<bool>(), any::<bool>()).prop_map(|(b, entra)| {
        if entra {
            Value::String(if b { "True" } else { "False" }.into())
        } else {
            Value::Bool(b)
        }
    })
}

const WORK_EMAIL: &str = "emails[type eq \"work\"].value";
const EMPLOYEE_NUMBER: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber";

/// A path and a value to set at it.
fn user_assignment() -> impl Strategy<Value = (String, Value)> {
    let text_at = |path: &'static str| text().prop_map(move |t| (path.to_string(), Value::from(t)));
    prop_oneof![
        text_at("displayName"),
        text_at("nickName"),
        text_at("title"),
        text_at("name.givenName"),
        text_at("name.familyName"),
        boolean().prop_map(|b| ("active".to_string(), b)),
        pool(EMAILS).prop_map(|e| (WORK_EMAIL.to_string(), Value::from(e))),
        pool(EMAILS).prop_map(|e| ("emails".to_string(), json!([{"value": e, "type": "home"}]))),
        "[0-9]{1,6}".prop_map(|n| (EMPLOYEE_NUMBER.to_string(), Value::from(n))),
        resource::user_name().prop_map(|n| ("userName".to_string(), Value::from(n))),
        pool(EXTERNAL_IDS).prop_map(|e| ("externalId".to_string(), Value::from(e))),
    ]
}

const USER_REMOVABLE: &[&str] = &[
    "nickName",
    "title",
    "name.givenName",
    "emails",
    "emails[type eq \"work\"]",
    "phoneNumbers[type eq \"mobile\"]",
    EMPLOYEE_NUMBER,
];

/// Operations that must fail, so that atomicity shows: no target, a path that is no
/// attribute, a malformed path.
fn failing() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"op": "remove"})),
        Just(json!({"op": "replace", "path": "emails[type eq]", "value": "x"})),
        Just(json!({"op": "replace", "path": "id", "value": "mine"})),
    ]
}

fn user_operation() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => (op("replace"), user_assignment())
            .prop_map(|(op, (path, value))| json!({"op": op, "path": path, "value": value})),
        2 => (op("add"), user_assignment())
            .prop_map(|(op, (path, value))| json!({"op": op, "path": path, "value": value})),
        2 => (op("replace"), vec(user_assignment(), 1..=3)).prop_map(|(op, pairs)| {
            // Entra's compliant shape: one operation, its value keyed by attribute paths.
            let value: serde_json::Map<String, Value> = pairs.into_iter().collect();
            json!({"op": op, "value": value})
        }),
        2 => (op("remove"), select(USER_REMOVABLE))
            .prop_map(|(op, path)| json!({"op": op, "path": path})),
        1 => failing(),
    ]
}

fn body(ops: Vec<Value>) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

/// A PatchOp for a User: one to three operations.
pub fn user_patch() -> impl Strategy<Value = Value> {
    vec(user_operation(), 1..=3).prop_map(body)
}

fn members(refs: Vec<usize>) -> Value {
    Value::Array(
        refs.into_iter()
            .map(|r| json!({"value": user_ref(r)}))
            .collect(),
    )
}

fn group_operation() -> impl Strategy<Value = Value> {
    let refs = || vec(0..8usize, 1..=2);
    prop_oneof![
        2 => (op("replace"), text()).prop_map(|(op, name)| {
            json!({"op": op, "path": "displayName", "value": format!("{PREFIX}{name}")})
        }),
        3 => (op("add"), refs())
            .prop_map(|(op, r)| json!({"op": op, "path": "members", "value": members(r)})),
        2 => (op("remove"), 0..8usize).prop_map(|(op, r)| {
            json!({"op": op, "path": format!("members[value eq \"{}\"]", user_ref(r))})
        }),
        // Entra's default: the members to remove as the value of a remove on `members`.
        2 => (op("remove"), refs())
            .prop_map(|(op, r)| json!({"op": op, "path": "members", "value": members(r)})),
        1 => (op("replace"), refs())
            .prop_map(|(op, r)| json!({"op": op, "path": "members", "value": members(r)})),
        1 => op("remove").prop_map(|op| json!({"op": op, "path": "members"})),
    ]
}

/// A PatchOp for a Group: renames and membership changes.
pub fn group_patch() -> impl Strategy<Value = Value> {
    vec(group_operation(), 1..=3).prop_map(body)
}
