use serde_json::{Map, Value, json};

use super::*;
use crate::scim::schema::{ENTERPRISE_USER, Registry};

fn user() -> Map<String, Value> {
    json!({
        "id": "u1",
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "bjensen",
        "nickName": "Babs",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "active": true,
        "emails": [
            {"value": "b@work.example", "type": "work", "primary": true},
            {"value": "b@home.example", "type": "home"}
        ]
    })
    .as_object()
    .unwrap()
    .clone()
}

fn patch(ops: Value) -> Result<Map<String, Value>, ScimError> {
    let reg = Registry::core();
    let kind = Kind {
        registry: &reg,
        rt: reg.resource_type("User").unwrap(),
    };
    let ops = parse(&json!({"schemas": [PATCH_OP], "Operations": ops}))?;
    apply(kind, &user(), &ops)
}

fn err(ops: Value) -> ScimType {
    patch(ops).unwrap_err().scim_type.expect("a scimType")
}

#[test]
fn entra_default_shapes_apply() {
    let r = patch(json!([
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@work.example"},
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Add", "path": "title", "value": "Guide"},
        {"op": "Replace", "path": format!("{ENTERPRISE_USER}:department"), "value": "Tours"}
    ]))
    .unwrap();
    assert_eq!(r["emails"][0]["value"], "new@work.example");
    assert_eq!(r["emails"][1]["value"], "b@home.example");
    assert_eq!(r["active"], false);
    assert_eq!(r["title"], "Guide");
    assert_eq!(r[ENTERPRISE_USER]["department"], "Tours");
    assert!(
        r["schemas"]
            .as_array()
            .unwrap()
            .contains(&json!(ENTERPRISE_USER))
    );
}

#[test]
fn entra_rfc_mode_no_path_replace_with_path_keys() {
    let r = patch(json!([{"op": "replace", "value": {
        "name.givenName": "Babs",
        "emails[type eq \"work\"].value": "x@work.example",
        "nickName": "B"
    }}]))
    .unwrap();
    assert_eq!(r["name"]["givenName"], "Babs");
    assert_eq!(
        r["name"]["familyName"], "Jensen",
        "replace of a sub-attribute leaves its siblings"
    );
    assert_eq!(r["emails"][0]["value"], "x@work.example");
    assert_eq!(r["nickName"], "B");
}

#[test]
fn remove_forms() {
    let r = patch(json!([{"op": "remove", "path": "nickName"}])).unwrap();
    assert!(!r.contains_key("nickName"));
    let r = patch(json!([{"op": "remove", "path": "emails[type eq \"home\"]"}])).unwrap();
    assert_eq!(r["emails"].as_array().unwrap().len(), 1);
    let r = patch(json!([{"op": "remove", "path": "emails"}])).unwrap();
    assert!(!r.contains_key("emails"));
    let r = patch(json!([{"op": "remove", "path": "name.givenName"}])).unwrap();
    assert_eq!(r["name"], json!({"familyName": "Jensen"}));
}

#[test]
fn add_to_multi_valued_appends_and_dedups() {
    let r = patch(json!([{"op": "add", "path": "emails", "value": [
        {"value": "b@home.example", "type": "home"},
        {"value": "b@other.example", "type": "other"}
    ]}]))
    .unwrap();
    assert_eq!(r["emails"].as_array().unwrap().len(), 3);
}

#[test]
fn a_new_primary_demotes_the_old_one() {
    let r = patch(
        json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]),
    )
    .unwrap();
    assert_eq!(r["emails"][0]["primary"], false);
    assert_eq!(r["emails"][1]["primary"], true);
}

#[test]
fn errors_carry_the_rfc_scim_types() {
    assert_eq!(err(json!([{"op": "remove"}])), ScimType::NoTarget);
    assert_eq!(
        err(json!([{"op": "replace", "path": "nosuch", "value": 1}])),
        ScimType::InvalidPath
    );
    assert_eq!(
        err(json!([{"op": "replace", "path": "id", "value": "x"}])),
        ScimType::Mutability
    );
    assert_eq!(
        err(json!([{"op": "replace", "path": "groups", "value": []}])),
        ScimType::Mutability
    );
    assert_eq!(
        err(json!([{"op": "replace", "path": "active", "value": 3}])),
        ScimType::InvalidValue
    );
    assert_eq!(
        err(json!([{"op": "replace", "path": "emails[type eq \"fax\"].value", "value": "x"}])),
        ScimType::NoTarget
    );
    assert_eq!(
        err(json!([{"op": "remove", "path": "userName"}])),
        ScimType::Mutability
    );
    assert_eq!(
        err(json!([{"op": "frobnicate", "path": "title"}])),
        ScimType::InvalidSyntax
    );
    let e = parse(&json!({"schemas": ["urn:wrong"], "Operations": []})).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
}

#[test]
fn a_later_failing_operation_fails_the_whole_patch() {
    // The first operation applies; the second's error is the answer, and no half-patched
    // resource comes back for the store to keep.
    let e = patch(json!([
        {"op": "replace", "path": "nickName", "value": "Changed"},
        {"op": "replace", "path": "nosuch", "value": 1}
    ]))
    .unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
}

#[test]
fn replace_of_a_filtered_value_replaces_it_whole() {
    let r = patch(json!([{"op": "replace", "path": "emails[type eq \"work\"]",
        "value": {"value": "new@work.example", "type": "work"}}]))
    .unwrap();
    assert_eq!(
        r["emails"][0],
        json!({"value": "new@work.example", "type": "work"}),
        "replaced, not merged: `primary` is gone"
    );
    assert_eq!(r["emails"][1]["value"], "b@home.example");
}

#[test]
fn remove_of_a_sub_attribute_of_filtered_values_spares_the_others() {
    let r = patch(json!([
        {"op": "replace", "path": "emails", "value": [
            {"value": "b@work.example", "type": "work", "display": "Work"},
            {"value": "b@home.example", "type": "home", "display": "Home"}
        ]},
        {"op": "remove", "path": "emails[type eq \"work\"].display"}
    ]))
    .unwrap();
    let emails = r["emails"].as_array().unwrap();
    let work = emails.iter().find(|e| e["type"] == "work").unwrap();
    let home = emails.iter().find(|e| e["type"] == "home").unwrap();
    assert!(work.get("display").is_none(), "{r:?}");
    assert_eq!(home["display"], "Home", "{r:?}");
}

#[test]
fn okta_rename_with_the_own_id_in_the_value_ignores_the_id() {
    let r = patch(json!([{"op": "replace", "value": {"id": "u1", "nickName": "B"}}])).unwrap();
    assert_eq!(
        (r["id"].as_str(), r["nickName"].as_str()),
        (Some("u1"), Some("B"))
    );
    // Another id would change a readOnly attribute: refused.
    assert_eq!(
        err(json!([{"op": "replace", "value": {"id": "u2", "nickName": "B"}}])),
        ScimType::Mutability
    );
}

#[test]
fn an_operation_without_a_path_or_with_a_null_one_is_pathless() {
    assert!(pathless(
        &json!({"op": "replace", "value": {"active": false}})
    ));
    assert!(pathless(
        &json!({"op": "replace", "path": null, "value": {}})
    ));
    assert!(!pathless(
        &json!({"op": "replace", "path": "active", "value": false})
    ));
}
