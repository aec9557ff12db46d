use serde_json::json;

use super::*;
use crate::scim::schema::{ENTERPRISE_USER, GROUP, USER};
use crate::suite::Method;

/// A target declaring, of User, only userName, name.givenName, emails.value and active, no
/// extension; and Group as the RFC has it.
fn narrow() -> Fit {
    let mut shapes = Shape::of_registry(&Registry::core());
    let user = shapes.iter_mut().find(|s| s.core == USER).unwrap();
    user.extensions.clear();
    user.attributes.retain(|a| {
        [
            "id",
            "externalId",
            "meta",
            "userName",
            "name",
            "emails",
            "active",
        ]
        .contains(&a.name.as_str())
    });
    for a in &mut user.attributes {
        match a.name.as_str() {
            "name" => a.sub_attributes.retain(|s| s.name == "givenName"),
            "emails" => a.sub_attributes.retain(|s| s.name == "value"),
            _ => {}
        }
    }
    Fit::new(shapes)
}

fn suite(yaml: &str) -> Suite {
    serde_saphyr::from_str(yaml).unwrap()
}

const SUITE: &str = r#"
name: s
setup:
  - request:
      method: POST
      path: /Users
      body:
        schemas: [urn:ietf:params:scim:schemas:core:2.0:User, urn:ietf:params:scim:schemas:extension:enterprise:2.0:User]
        userName: "{{unique}}"
        nickName: nick
        name: {givenName: Ann, formatted: Ann X}
        emails: [{value: a@example.com, type: work}]
        urn:ietf:params:scim:schemas:extension:enterprise:2.0:User: {employeeNumber: "1"}
        x-vendor: kept
    expect:
      status: 201
      json:
        /title: {absent: true}
        /userName: "{{unique}}"
        /emails: {contains: {value: a@example.com, type: work}}
    capture: {id: /id}
cases:
  - name: about_user_name
    level: MUST
    steps:
      - request: {method: GET, path: /Users, query: {filter: 'userName eq "{{unique}}"'}}
        expect: {json: {/totalResults: 1, /Resources/0/userName: "{{unique}}"}}
  - name: about_nick_name
    level: MUST
    steps:
      - request:
          method: PATCH
          path: "/Users/{{id}}"
          body:
            schemas: [urn:ietf:params:scim:api:messages:2.0:PatchOp]
            Operations: [{op: replace, path: nickName, value: x}]
  - name: about_email_type
    level: MUST
    steps:
      - request: {method: GET, path: /Users, query: {filter: 'emails[type eq "work"]'}}
  - name: about_the_extension
    level: MUST
    steps:
      - request: {method: GET, path: "/Users/{{id}}"}
        expect: {json: {/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User/employeeNumber: "1"}}
  - name: about_group_display_name
    level: MUST
    steps:
      - request: {method: GET, path: /Groups, query: {attributes: displayName}}
"#;

/// The plan reads bodies and leaves them whole: they are fitted when sent, after what is
/// added to them (`exec::shape`).
#[test]
fn bodies_are_cut_to_what_the_target_declares_when_sent() {
    let mut s = suite(SUITE);
    let fit = narrow();
    fit.suite(&mut s);
    let mut body = s.setup[0].value.request.body.clone().unwrap();
    assert_eq!(
        Some(&body),
        suite(SUITE).setup[0].value.request.body.as_ref()
    );
    fit.body(Method::Post, "/Users", &mut body);
    assert_eq!(
        body,
        json!({
            "schemas": [USER],
            "userName": "{{unique}}",
            "name": {"givenName": "Ann"},
            "emails": [{"value": "a@example.com"}],
            "x-vendor": "kept"
        })
    );
}

#[test]
fn setup_expectations_on_undeclared_attributes_are_dropped_and_values_cut() {
    let mut s = suite(SUITE);
    narrow().suite(&mut s);
    let json = &s.setup[0].value.expect.json;
    assert!(!json.contains_key("/title"));
    assert!(json.contains_key("/userName"));
    match &json["/emails"] {
        Assertion::Contains(v) => assert_eq!(v, &json!({"value": "a@example.com"})),
        other => panic!("{other:?}"),
    }
}

#[test]
fn cases_about_undeclared_attributes_are_skipped_with_the_reason() {
    let mut s = suite(SUITE);
    let skips = narrow().suite(&mut s);
    assert_eq!(
        skips,
        vec![
            None,
            Some("not declared by the target: nickName".to_string()),
            Some("not declared by the target: emails.type".to_string()),
            Some(format!(
                "not declared by the target: {ENTERPRISE_USER}:employeeNumber"
            )),
            None,
        ]
    );
}

#[test]
fn a_target_declaring_the_rfc_core_changes_nothing() {
    let mut s = suite(SUITE);
    let before = format!("{:?}", s.setup[0].value);
    let skips = Fit::new(Shape::of_registry(&Registry::core())).suite(&mut s);
    assert!(skips.iter().all(Option::is_none), "{skips:?}");
    assert_eq!(format!("{:?}", s.setup[0].value), before);
}

#[test]
fn a_resource_type_the_target_lacks_makes_its_attributes_undeclared() {
    let mut shapes = Shape::of_registry(&Registry::core());
    shapes.retain(|s| s.core != GROUP);
    let mut s = suite(SUITE);
    let skips = Fit::new(shapes).suite(&mut s);
    assert_eq!(
        skips[4].as_deref(),
        Some("not declared by the target: the Groups resource type")
    );
}

/// RFC 7643 requires userName of a User (§4.1), displayName of a Group (§4.2) and the core
/// schema URN in `schemas` (§3): a declaration lacking them neither cuts them from what is
/// sent nor skips a case about them, and says so once.
#[test]
fn what_the_rfc_requires_is_never_cut_nor_a_reason_to_skip() {
    let mut shapes = Shape::of_registry(&Registry::core());
    for s in &mut shapes {
        s.attributes
            .retain(|a| a.name != "userName" && a.name != "displayName");
    }
    let fit = Fit::new(shapes);
    assert_eq!(
        fit.lacking_required(),
        ["userName of Users", "displayName of Groups"]
    );
    let mut body = json!({"schemas": [USER], "userName": "u", "displayName": "d"});
    fit.body(Method::Post, "/Users", &mut body);
    assert_eq!(body, json!({"schemas": [USER], "userName": "u"}));
    let mut group = json!({"schemas": [GROUP], "displayName": "g"});
    fit.body(Method::Post, "/Groups", &mut group);
    assert_eq!(group, json!({"schemas": [GROUP], "displayName": "g"}));
    let mut s = suite(SUITE);
    let skips = fit.suite(&mut s);
    assert_eq!(skips[0], None);
    assert_eq!(skips[4], None);
    assert!(narrow().lacking_required().is_empty());
}
