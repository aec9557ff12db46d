//! Users and Groups as a client would create them.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::*;

/// A userName under the run's prefix, in a random case.
pub fn user_name() -> impl Strategy<Value = String> {
    case_variant(NAMES).prop_map(|n| format!("{PREFIX}{n}"))
}

/// Multi-valued emails or phone numbers: typed, at most one primary; sometimes empty.
fn typed_values(
    values: impl Strategy<Value = String>,
    types: &'static [&'static str],
) -> impl Strategy<Value = Value> {
    (vec((values, pool(types)), 0..=3), option::of(0..3usize)).prop_map(|(items, primary)| {
        Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, (value, kind))| {
                    let mut v = json!({"value": value, "type": kind});
                    if primary == Some(i) {
                        v["primary"] = true.into();
                    }
                    v
                })
                .collect(),
        )
    })
}

fn addresses() -> impl Strategy<Value = Value> {
    vec(
        (pool(PHONE_TYPES), text(), "[0-9]{5}", select(&["US", "DE", "JP"][..])),
        0..=2,
    )
    .prop_map(|items| {
        Value::Array(
            items
                .into_iter()
                .map(|(kind, street, code, country)| {
                    json!({"type": kind, "streetAddress": street, "postalCode": code, "country": country})
                })
                .collect(),
        )
    })
}

fn name() -> impl Strategy<Value = Value> {
    (option::of(text()), option::of(text()))
        .prop_map(|(given, family)| json!({"givenName": given, "familyName": family}))
}

fn enterprise() -> impl Strategy<Value = Value> {
    ("[0-9]{1,6}", pool(WORDS)).prop_map(
        |(number, department)| json!({"employeeNumber": number, "department": department}),
    )
}

/// A User: every optional attribute omitted, null or set, multi-valued ones possibly empty,
/// the enterprise extension sometimes.
pub fn user() -> impl Strategy<Value = Value> {
    let single = (
        user_name(),
        maybe(name()),
        maybe(text().prop_map(Value::String)),
        maybe(text().prop_map(Value::String)),
        maybe(text().prop_map(Value::String)),
        maybe(any::<bool>().prop_map(Value::Bool)),
        maybe(pool(EXTERNAL_IDS).prop_map(Value::String)),
    );
    let multi = (
        maybe(typed_values(pool(EMAILS), EMAIL_TYPES)),
        maybe(typed_values("\\+1 555 [0-9]{4}", PHONE_TYPES)),
        maybe(addresses()),
        option::of("[a-zA-Z0-9!]{8,16}"),
        option::of(enterprise()),
    );
    (single, multi).prop_map(
        |(
            (user_name, name, display, nick, title, active, external),
            (emails, phones, addresses, password, ext),
        )| {
            let mut schemas = vec![Value::from(USER_SCHEMA)];
            let mut u = Map::new();
            u.insert("userName".into(), user_name.into());
            put(&mut u, "name", name);
            put(&mut u, "displayName", display);
            put(&mut u, "nickName", nick);
            put(&mut u, "title", title);
            put(&mut u, "active", active);
            put(&mut u, "externalId", external);
            put(&mut u, "emails", emails);
            put(&mut u, "phoneNumbers", phones);
            put(&mut u, "addresses", addresses);
            put(&mut u, "password", password.map(Value::String));
            if let Some(ext) = ext {
                schemas.push(ENTERPRISE.into());
                u.insert(ENTERPRISE.into(), ext);
            }
            u.insert("schemas".into(), Value::Array(schemas));
            Value::Object(u)
        },
    )
}

/// A Group under the run's prefix whose members are users created earlier.
pub fn group() -> impl Strategy<Value = Value> {
    (text(), vec(0..8usize, 0..=3)).prop_map(|(name, members)| {
        let members: Vec<Value> = members
            .into_iter()
            .map(|m| json!({"value": user_ref(m)}))
            .collect();
        json!({"schemas": [GROUP_SCHEMA], "displayName": format!("{PREFIX}{name}"), "members": members})
    })
}
