use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::*;
use crate::scim::schema::{ENTERPRISE_USER, Registry};

fn user() -> Map<String, Value> {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER],
        "id": "42",
        "userName": "ada",
        "password": "hashed",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": "ada@example.com", "type": "work"}],
        "title": "Countess",
        ENTERPRISE_USER: {"department": "Analytical Engines", "costCenter": "1815"},
        "meta": {"resourceType": "User", "version": "W/\"1\""}
    })
    .as_object()
    .unwrap()
    .clone()
}

fn projected(attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let reg = Registry::core();
    let kind = Kind {
        registry: &reg,
        rt: reg.resource_type("User").unwrap(),
    };
    Value::Object(project(
        kind,
        &user(),
        &Projection::from_params(attributes, excluded),
    ))
}

#[test]
fn default_view_drops_returned_never_and_keeps_the_rest() {
    let v = projected(None, None);
    assert!(v.get("password").is_none());
    for key in [
        "id",
        "userName",
        "name",
        "emails",
        "title",
        "meta",
        ENTERPRISE_USER,
    ] {
        assert!(v.get(key).is_some(), "{key} missing from {v}");
    }
}

#[test]
fn attributes_keep_only_the_named_and_the_always_returned() {
    let v = projected(Some("userName"), None);
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["id", "schemas", "userName"]);
}

#[test]
fn sub_attributes_and_urn_qualified_names_select_parts() {
    let v = projected(Some("name.givenName,USERNAME"), None);
    assert_eq!(v["name"], json!({"givenName": "Ada"}));
    assert_eq!(v["userName"], "ada", "names are case-insensitive");
    let v = projected(Some(&format!("{ENTERPRISE_USER}:department")), None);
    assert_eq!(
        v[ENTERPRISE_USER],
        json!({"department": "Analytical Engines"})
    );
    assert!(v.get("userName").is_none());
}

#[test]
fn excluded_attributes_remove_but_never_the_always_returned() {
    let v = projected(None, Some("emails,id,name.familyName"));
    assert!(v.get("emails").is_none());
    assert_eq!(v["id"], "42", "id is returned always");
    assert_eq!(v["name"], json!({"givenName": "Ada"}));
    let v = projected(None, Some(ENTERPRISE_USER.to_string().as_str()));
    assert!(
        v.get(ENTERPRISE_USER).is_some(),
        "a URN alone names no attribute"
    );
}

#[test]
fn password_is_not_returned_even_when_asked_for() {
    assert!(projected(Some("password"), None).get("password").is_none());
}

const NAMES: [&str; 7] = [
    "userName", "name", "emails", "title", "meta", "password", "id",
];

proptest! {
    #[test]
    fn attributes_never_widen_and_exclusions_never_leak(
        picked in proptest::sample::subsequence(NAMES.to_vec(), 1..NAMES.len()),
    ) {
        let list = picked.join(",");
        let kept = projected(Some(&list), None);
        for key in kept.as_object().unwrap().keys() {
            prop_assert!(
                picked.iter().any(|p| p.eq_ignore_ascii_case(key)) || key == "id" || key == "schemas",
                "{key} returned for attributes={list}"
            );
        }
        let rest = projected(None, Some(&list));
        for p in &picked {
            prop_assert!(*p == "id" || rest.get(*p).is_none(), "{p} returned despite exclusion");
        }
        prop_assert!(rest.get("id").is_some());
    }
}
