//! PatchOp bodies (RFC 7644 §3.5.2): every operation, with and without a path, value-filter
//! paths, and the shapes Microsoft Entra sends (capitalised `op`, "True"/"False" strings,
//! no-path values keyed by attribute paths, member removal by value list), over the
//! attributes a [`Vocabulary`] declares.

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

/// A path declared on `endpoint` and a value to set at it; externalId, a common attribute
/// (RFC 7643 §3.1), is declared everywhere.
fn assignment(
    vocabulary: &Vocabulary,
    endpoint: &str,
    values: Vec<(&'static str, BoxedStrategy<Value>)>,
) -> BoxedStrategy<(String, Value)> {
    let declared: Vec<BoxedStrategy<(String, Value)>> = values
        .into_iter()
        .filter(|(path, _)| vocabulary.has(endpoint, path))
        .map(|(path, v)| v.prop_map(move |v| (path.to_string(), v)).boxed())
        .collect();
    if declared.is_empty() {
        return pool(EXTERNAL_IDS)
            .prop_map(|e| ("externalId".to_string(), Value::from(e)))
            .boxed();
    }
    proptest::strategy::Union::new(declared).boxed()
}

fn user_assignment(vocabulary: &Vocabulary) -> BoxedStrategy<(String, Value)> {
    let text = || text().prop_map(Value::from).boxed();
    assignment(
        vocabulary,
        "Users",
        vec![
            ("displayName", text()),
            ("nickName", text()),
            ("title", text()),
            ("name.givenName", text()),
            ("name.familyName", text()),
            ("active", boolean().boxed()),
            (WORK_EMAIL, pool(EMAILS).prop_map(Value::from).boxed()),
            (
                "emails",
                pool(EMAILS)
                    .prop_map(|e| json!([{"value": e, "type": "home"}]))
                    .boxed(),
            ),
            (EMPLOYEE_NUMBER, "[0-9]{1,6}".prop_map(Value::from).boxed()),
            (
                "userName",
                resource::user_name().prop_map(Value::from).boxed(),
            ),
            (
                "externalId",
                pool(EXTERNAL_IDS).prop_map(Value::from).boxed(),
            ),
        ],
    )
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

fn user_operation(vocabulary: &Vocabulary) -> BoxedStrategy<Value> {
    let mut ops = vec![
        (
            4,
            (op("replace"), user_assignment(vocabulary))
                .prop_map(|(op, (path, value))| json!({"op": op, "path": path, "value": value}))
                .boxed(),
        ),
        (
            2,
            (op("add"), user_assignment(vocabulary))
                .prop_map(|(op, (path, value))| json!({"op": op, "path": path, "value": value}))
                .boxed(),
        ),
        (
            2,
            (op("replace"), vec(user_assignment(vocabulary), 1..=3))
                .prop_map(|(op, pairs)| {
                    // Entra's compliant shape: one operation, its value keyed by attribute paths.
                    let value: serde_json::Map<String, Value> = pairs.into_iter().collect();
                    json!({"op": op, "value": value})
                })
                .boxed(),
        ),
        (1, failing().boxed()),
    ];
    let removable: Vec<&'static str> = (USER_REMOVABLE.iter().copied())
        .filter(|path| vocabulary.has("Users", path))
        .collect();
    if !removable.is_empty() {
        ops.push((
            2,
            (op("remove"), select(removable))
                .prop_map(|(op, path)| json!({"op": op, "path": path}))
                .boxed(),
        ));
    }
    proptest::strategy::Union::new_weighted(ops).boxed()
}

fn body(ops: Vec<Value>) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

/// A PatchOp for a User: one to three operations.
pub fn user_patch(vocabulary: &Vocabulary) -> BoxedStrategy<Value> {
    vec(user_operation(vocabulary), 1..=3)
        .prop_map(body)
        .boxed()
}

/// A PatchOp with no operation, which RFC 7644 §3.5.2 does not let a client send (lines
/// 1808-1810: "an array of one or more PATCH operations"); no answer is fixed for it, so a
/// server may refuse it or apply nothing (P-patch-01).
pub fn empty_patch() -> Value {
    body(Vec::new())
}

fn members(refs: Vec<usize>) -> Value {
    Value::Array(
        refs.into_iter()
            .map(|r| json!({"value": user_ref(r)}))
            .collect(),
    )
}

fn group_operation(vocabulary: &Vocabulary) -> BoxedStrategy<Value> {
    let refs = || vec(0..8usize, 1..=2);
    let declares = |path| vocabulary.has("Groups", path);
    let mut ops = vec![(
        1,
        (op("replace"), pool(EXTERNAL_IDS))
            .prop_map(|(op, e)| json!({"op": op, "path": "externalId", "value": e}))
            .boxed(),
    )];
    if declares("displayName") {
        ops.push((
            2,
            (op("replace"), text())
                .prop_map(|(op, name)| {
                    json!({"op": op, "path": "displayName", "value": format!("{PREFIX}{name}")})
                })
                .boxed(),
        ));
    }
    if declares("members.value") {
        ops.extend([
            (
                3,
                (op("add"), refs())
                    .prop_map(|(op, r)| json!({"op": op, "path": "members", "value": members(r)}))
                    .boxed(),
            ),
            (
                2,
                (op("remove"), 0..8usize)
                    .prop_map(|(op, r)| {
                        json!({"op": op, "path": format!("members[value eq \"{}\"]", user_ref(r))})
                    })
                    .boxed(),
            ),
            // Entra's default: the members to remove as the value of a remove on `members`.
            (
                2,
                (op("remove"), refs())
                    .prop_map(|(op, r)| json!({"op": op, "path": "members", "value": members(r)}))
                    .boxed(),
            ),
            (
                1,
                (op("replace"), refs())
                    .prop_map(|(op, r)| json!({"op": op, "path": "members", "value": members(r)}))
                    .boxed(),
            ),
            (
                1,
                op("remove")
                    .prop_map(|op| json!({"op": op, "path": "members"}))
                    .boxed(),
            ),
        ]);
    }
    proptest::strategy::Union::new_weighted(ops).boxed()
}

/// A PatchOp for a Group: renames and membership changes.
pub fn group_patch(vocabulary: &Vocabulary) -> BoxedStrategy<Value> {
    vec(group_operation(vocabulary), 1..=3)
        .prop_map(body)
        .boxed()
}
