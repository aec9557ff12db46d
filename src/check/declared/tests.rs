use serde_json::{Value, json};

use super::*;
use crate::client::Body;
use crate::scim::schema::Registry;

fn declared() -> Declared {
    let (schemas, types) = documents();
    Declared::from_documents(&schemas, &types, "http://x").unwrap()
}

/// The core registry's /Schemas and /ResourceTypes documents, as a server serves them.
fn documents() -> (Vec<Value>, Vec<Value>) {
    let reg = Registry::core();
    let schemas = reg
        .schemas
        .iter()
        .map(|s| reg.schema_document(s, "http://x"))
        .collect();
    let types = reg
        .resource_types
        .iter()
        .map(|t| reg.resource_type_document(t, "http://x"))
        .collect();
    (schemas, types)
}

fn get(url: &str) -> RecordedRequest {
    RecordedRequest {
        method: Method::Get,
        url: url.into(),
        headers: vec![],
        body: None,
    }
}

fn user(extra: Value) -> Value {
    let mut u = json!({
        "schemas": [schema::USER],
        "id": "1",
        "userName": "ann",
        "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z"}
    });
    u.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    u
}

#[test]
fn a_resource_as_declared_passes_with_any_name_case_and_nulls() {
    let d = declared();
    let body = user(json!({
        "NAME": {"GivenName": "Ann", "familyName": null},
        "emails": [{"value": "a@x", "type": "WORK", "primary": true}],
        "phoneNumbers": [],
        "active": true,
    }));
    assert_eq!(
        d.check(&get("http://x/Users/1"), 200, Some(&body)),
        Findings::default()
    );
}

#[test]
fn wrong_types_and_multi_valuedness_are_violations() {
    let d = declared();
    let body = user(json!({"active": "true", "emails": {"value": "a@x"}}));
    let f = d.check(&get("http://x/Users/1"), 200, Some(&body));
    assert_eq!(f.violations.len(), 2, "{:?}", f.violations);
    assert!(f.violations.iter().any(|v| v.contains("/active")));
    assert!(f.violations.iter().any(|v| v.contains("/emails")));
}

#[test]
fn required_attributes_are_needed_unless_the_request_projected() {
    let d = declared();
    let mut body = user(json!({}));
    body.as_object_mut().unwrap().remove("userName");
    let f = d.check(&get("http://x/Users/1"), 200, Some(&body));
    assert!(f.violations[0].contains("userName"), "{:?}", f.violations);
    let f = d.check(&get("http://x/Users/1?attributes=name"), 200, Some(&body));
    assert!(f.violations.is_empty(), "{:?}", f.violations);
}

#[test]
fn list_members_are_checked_each_at_its_place() {
    let d = declared();
    let list = json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": 2,
        "Resources": [user(json!({})), user(json!({"password": "secret"}))]
    });
    let f = d.check(&get("http://x/Users"), 200, Some(&list));
    assert_eq!(f.violations.len(), 1, "{:?}", f.violations);
    assert!(f.violations[0].contains("/Resources/1/password"));
    assert!(f.violations[0].contains("returned: never"));
}

#[test]
fn values_outside_canonical_ones_are_notes_not_violations() {
    let d = declared();
    let body = user(json!({"emails": [{"value": "a@x", "type": "internal"}]}));
    let f = d.check(&get("http://x/Users/1"), 200, Some(&body));
    assert!(f.violations.is_empty());
    assert!(f.notes[0].contains("/emails/0/type"), "{:?}", f.notes);
}

#[test]
fn read_only_values_kept_from_a_create_are_violations() {
    let d = declared();
    let post = |body: Value| RecordedRequest {
        method: Method::Post,
        url: "http://x/Users".into(),
        headers: vec![],
        body: Some(Body::Json(body)),
    };
    let manager =
        json!({(schema::ENTERPRISE_USER): {"manager": {"value": "9", "displayName": "Boss"}}});
    let sent = user(json!({"id": "chosen", "meta": {"resourceType": "User"}}));
    let mut sent = sent;
    sent.as_object_mut()
        .unwrap()
        .extend(manager.as_object().unwrap().clone());
    sent["schemas"] = json!([schema::USER, schema::ENTERPRISE_USER]);
    // A server that kept the client's id and the manager's displayName.
    let mut kept = sent.clone();
    kept["meta"] = json!({"resourceType": "User", "created": "2024-01-01T00:00:00Z"});
    let f = d.check(&post(sent.clone()), 201, Some(&kept));
    let names: Vec<&str> = f
        .violations
        .iter()
        .map(|v| v.split(" is readOnly").next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "declared schema (P-create-06): id",
            &format!(
                "declared schema (P-create-06): {}:manager.displayName",
                schema::ENTERPRISE_USER
            )
        ]
    );
    // The same create answered as the RFC asks: meta.resourceType may match.
    let mut fine = user(json!({"id": "s1"}));
    fine[schema::ENTERPRISE_USER] = json!({"manager": {"value": "9"}});
    fine["schemas"] = json!([schema::USER, schema::ENTERPRISE_USER]);
    assert_eq!(d.check(&post(sent), 201, Some(&fine)), Findings::default());
}

#[test]
fn unknown_members_of_discovery_documents_are_ignored_but_broken_ones_are_errors() {
    let reg = Registry::core();
    let mut schema = reg.schema_document(&reg.schemas[0], "http://x");
    schema["x-vendor"] = json!(true);
    schema["attributes"][0]["x-vendor"] = json!(1);
    let types: Vec<Value> = vec![reg.resource_type_document(&reg.resource_types[0], "http://x")];
    let mut all: Vec<Value> = reg
        .schemas
        .iter()
        .map(|s| reg.schema_document(s, "http://x"))
        .collect();
    all[0] = schema;
    assert!(Declared::from_documents(&all, &types, "http://x").is_ok());
    all[0]["attributes"][0]["type"] = json!("text");
    let e = Declared::from_documents(&all, &types, "http://x")
        .err()
        .unwrap();
    assert!(e.contains("cannot be read"), "{e}");
}

/// Discovery reads a ListResponse (with or without `totalResults`, as `list` has it) or a
/// bare array of documents; any other answer is an error that says what came back.
#[tokio::test]
async fn discovery_reads_list_responses_and_bare_arrays_only() {
    let (schemas, types) = documents();
    let docs = |path: &str| -> Vec<Value> {
        if path == "Schemas" {
            schemas.clone()
        } else {
            types.clone()
        }
    };
    let answers: std::collections::HashMap<String, (u16, String)> = ["Schemas", "ResourceTypes"]
        .into_iter()
        .flat_map(|p| {
            let list = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "Resources": docs(p)});
            [
                (format!("list/{p}"), (200, list.to_string())),
                (format!("bare/{p}"), (200, Value::Array(docs(p)).to_string())),
                (format!("gone/{p}"), (404, json!({"status": "404"}).to_string())),
                (format!("odd/{p}"), (200, json!({"Resources": 5}).to_string())),
                (format!("scalar/{p}"), (200, "5".to_string())),
                // Nothing listed: `Resources` may be left out (RFC 7644 §3.4.2).
                (format!("empty/{p}"), (200, json!({"totalResults": 0}).to_string())),
            ]
        })
        .collect();
    let app = axum::Router::new().route(
        "/{kind}/{doc}",
        axum::routing::get(
            move |axum::extract::Path((kind, doc)): axum::extract::Path<(String, String)>| {
                let (status, body) = answers[&format!("{kind}/{doc}")].clone();
                async move { (axum::http::StatusCode::from_u16(status).unwrap(), body) }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let discover = async |kind: &str| {
        let client = Client::new(
            &format!("http://{addr}/{kind}"),
            crate::client::Auth::None,
            std::time::Duration::from_secs(5),
        )
        .unwrap();
        Declared::discover(&client).await
    };
    for kind in ["list", "bare"] {
        let d = discover(kind).await.unwrap();
        let endpoints: Vec<String> = d.shapes().into_iter().map(|s| s.endpoint).collect();
        assert_eq!(endpoints, ["Users", "Groups"], "{kind}");
    }
    for (kind, why) in [
        ("gone", "GET /Schemas answered 404"),
        ("odd", "no Resources array"),
        ("scalar", "not a list"),
        ("empty", "/ResourceTypes lists no resource type"),
    ] {
        let e = discover(kind).await.err().unwrap();
        assert!(e.contains(why), "{kind}: {e}");
    }
}

/// Sub-attributes are found in any case (RFC 7643 §2.1), so their types are checked too;
/// a single-valued attribute sent as an array is a violation, and its items are not taken
/// for canonical values.
#[test]
fn sub_attributes_in_any_case_are_checked_and_arrays_are_not_single_values() {
    let d = declared();
    let body = user(json!({"name": {"GIVENNAME": 5}}));
    let f = d.check(&get("http://x/Users/1"), 200, Some(&body));
    assert_eq!(f.violations.len(), 1, "{f:?}");
    let body = user(json!({"emails": [{"value": "a@x", "type": ["bogus"]}]}));
    let f = d.check(&get("http://x/Users/1"), 200, Some(&body));
    assert_eq!(f.violations.len(), 1, "{f:?}");
    assert_eq!(f.notes, Vec::<String>::new());
}

/// A caseExact attribute's canonical values match only in their own case.
#[test]
fn case_exact_canonical_values_match_in_their_case_only() {
    let (mut schemas, types) = documents();
    let emails = schemas[0]["attributes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["name"] == "emails")
        .unwrap();
    let kind = emails["subAttributes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["name"] == "type")
        .unwrap();
    kind["caseExact"] = json!(true);
    let d = Declared::from_documents(&schemas, &types, "http://x").unwrap();
    let with = |t: &str| user(json!({"emails": [{"value": "a@x", "type": t}]}));
    let notes = |t| d.check(&get("http://x/Users/1"), 200, Some(&with(t))).notes;
    assert_eq!(notes("work"), Vec::<String>::new());
    assert_eq!(notes("WORK").len(), 1);
}

/// A vendor's own member of a schemaExtensions entry is ignored, as elsewhere.
#[test]
fn unknown_members_of_schema_extensions_are_ignored() {
    let (schemas, mut types) = documents();
    types[0]["schemaExtensions"] =
        json!([{"schema": schema::ENTERPRISE_USER, "required": false, "x-vendor": 1}]);
    if let Err(e) = Declared::from_documents(&schemas, &types, "http://x") {
        panic!("{e}");
    }
}

/// Only meta.resourceType naming the resource's own type may be kept from a create.
#[test]
fn a_kept_resource_type_of_another_type_is_a_violation() {
    let d = declared();
    let post = RecordedRequest {
        method: Method::Post,
        url: "http://x/Users".into(),
        headers: vec![],
        body: Some(Body::Json(user(json!({"meta": {"resourceType": "Group"}})))),
    };
    let kept = user(json!({"meta": {"resourceType": "Group", "created": "2024-01-01T00:00:00Z"}}));
    let f = d.check(&post, 201, Some(&kept));
    assert!(
        f.violations
            .iter()
            .any(|v| v.contains("meta.resourceType is readOnly")),
        "{f:?}"
    );
}

/// The core registry's documents with each resource type's `endpoint` rewritten.
fn with_endpoints(endpoint: impl Fn(&str) -> String) -> (Vec<Value>, Vec<Value>) {
    let (schemas, mut types) = documents();
    for t in &mut types {
        t["endpoint"] = json!(endpoint(t["endpoint"].as_str().unwrap()));
    }
    (schemas, types)
}

fn endpoints(d: &Declared) -> Vec<String> {
    d.shapes().into_iter().map(|s| s.endpoint).collect()
}

#[test]
fn endpoints_are_placed_relative_to_the_base_url_in_any_form() {
    let base = "http://127.0.0.1:8080/scim/v2";
    type Rewrite = fn(&str) -> String;
    let forms: [(&str, Rewrite); 4] = [
        ("relative", |e| e.to_string()),
        ("without slash", |e| e.trim_start_matches('/').to_string()),
        ("base path", |e| format!("/scim/v2{e}")),
        ("absolute", |e| format!("http://127.0.0.1:8080/scim/v2{e}")),
    ];
    for (form, endpoint) in forms {
        let (schemas, types) = with_endpoints(endpoint);
        let d = Declared::from_documents(&schemas, &types, base).unwrap();
        assert_eq!(endpoints(&d), ["Users", "Groups"], "{form}");
        let findings = d.findings();
        if form == "relative" || form == "without slash" {
            assert_eq!(findings, [], "{form}");
            continue;
        }
        // One finding for the run, naming every resource type as written.
        assert_eq!(findings.len(), 1, "{form}: {findings:?}");
        let f = &findings[0];
        assert_eq!(
            (f.requirement.as_str(), f.level),
            ("C-discovery-02", Level::Should)
        );
        for written in types.iter().map(|t| t["endpoint"].as_str().unwrap()) {
            assert!(f.message.contains(written), "{form}: {}", f.message);
        }
    }
}

#[test]
fn endpoints_nowhere_under_the_base_url_fall_back_to_the_schema_then_the_name() {
    let (schemas, mut types) = with_endpoints(|e| format!("https://elsewhere/api/v1{e}"));
    // A User type under another name: its core schema URN alone places it.
    types[0]["name"] = json!("Person");
    let d = Declared::from_documents(&schemas, &types, "https://h/scim/v2").unwrap();
    assert_eq!(endpoints(&d), ["Users", "Groups"]);
    assert_eq!(d.findings().len(), 1);
}

/// A declaration without userName or displayName still plans them as there (RFC 7643
/// §4.1.1, §4.2 require them), and the plan says once that it lacks them.
#[test]
fn the_rfc_required_attributes_are_kept_by_the_plan() {
    let (mut schemas, types) = documents();
    for s in &mut schemas {
        s["attributes"]
            .as_array_mut()
            .unwrap()
            .retain(|a| a["name"] != "userName" && a["name"] != "displayName");
    }
    let d = Declared::from_documents(&schemas, &types, "http://x").unwrap();
    let fit = crate::plan::fit::Fit::new(d.shapes());
    assert_eq!(
        fit.lacking_required(),
        ["userName of Users", "displayName of Groups"]
    );
    let mut user = json!({"schemas": [schema::USER], "userName": "u", "id": "1"});
    fit.body(crate::suite::Method::Post, "/Users", &mut user);
    assert_eq!(user["userName"], "u");
}

#[test]
fn complex_attributes_without_sub_attributes_have_the_rfcs() {
    let (mut schemas, types) = documents();
    let attrs = schemas[0]["attributes"].as_array_mut().unwrap();
    for a in attrs.iter_mut() {
        if let Value::Object(a) = a {
            a.remove("subAttributes");
        }
    }
    // A vendor's complex attribute without them keeps none: any members are accepted.
    attrs.push(json!({"name": "badge", "type": "complex", "multiValued": false}));
    let d = Declared::from_documents(&schemas, &types, "http://x").unwrap();
    let user = d
        .shapes()
        .into_iter()
        .find(|s| s.core == schema::USER)
        .unwrap();
    let attr = |n: &str| user.attributes.iter().find(|a| a.name == n).unwrap();
    assert!(attr("emails").sub("type").is_some());
    assert!(attr("name").sub("givenName").is_some());
    assert!(attr("badge").sub_attributes.is_empty());
    // The RFC's sub-attributes are held to their types, a vendor's are not.
    let body = self::user(json!({
        "emails": [{"value": "a@x", "type": "work"}],
        "badge": {"anything": 1},
    }));
    assert_eq!(
        d.check(&get("http://x/Users/1"), 200, Some(&body)),
        Findings::default()
    );
    let body = self::user(json!({"emails": [{"value": 5}]}));
    assert_eq!(
        d.check(&get("http://x/Users/1"), 200, Some(&body))
            .violations
            .len(),
        1
    );
}

/// What RFC 7643 makes optional may be left out: a Schema's `name` (§7), a ResourceType's
/// `id` (§6); a schemaExtensions entry without `required` is read as not required.
#[test]
fn optional_members_of_discovery_documents_may_be_left_out() {
    let (mut schemas, mut types) = documents();
    for s in &mut schemas {
        s.as_object_mut().unwrap().remove("name");
    }
    for t in &mut types {
        t.as_object_mut().unwrap().remove("id");
    }
    types[0]["schemaExtensions"] = json!([{"schema": schema::ENTERPRISE_USER}]);
    let d = Declared::from_documents(&schemas, &types, "http://x").unwrap();
    assert_eq!(endpoints(&d), ["Users", "Groups"]);
    let user = d
        .shapes()
        .into_iter()
        .find(|s| s.core == schema::USER)
        .unwrap();
    assert_eq!(user.extensions.len(), 1);
}

#[test]
fn no_resource_type_is_an_error_not_an_empty_plan() {
    let (schemas, _) = documents();
    let e = Declared::from_documents(&schemas, &[], "http://x")
        .err()
        .unwrap();
    assert!(e.contains("lists no resource type"), "{e}");
}

/// A vendor's own complex attribute places its sub-attribute where the RFC's schemas know
/// nothing of it; on another endpoint, or unknown, it is not placed.
#[test]
fn fill_paths_come_from_the_declared_schemas() {
    let (mut schemas, types) = documents();
    schemas[0]["attributes"]
        .as_array_mut()
        .unwrap()
        .push(json!({
            "name": "badge", "type": "complex", "multiValued": false,
            "subAttributes": [{"name": "number", "type": "string", "required": true}]
        }));
    let d = Declared::from_documents(&schemas, &types, "http://x").unwrap();
    let detail = "`number` is required in `badge`";
    assert_eq!(
        d.fill_path("Users", "number", detail).as_deref(),
        Some("badge.number")
    );
    assert_eq!(d.fill_path("Groups", "number", detail), None);
    assert_eq!(d.fill_path("Users", "nothing", detail), None);
}
