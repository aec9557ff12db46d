//! The requests scimitar sends that a server should accept are well-formed by the PatchOp and
//! BulkRequest schemas of `fixtures/schemas/`, and those schemas reject what RFC 7644 rejects.

use std::path::Path;

use scimitar::capabilities::Capabilities;
use scimitar::check::Schemas;
use scimitar::idp::Idp;
use scimitar::suite::{Assertion, Method, load, template};
use serde_json::{Value, json};

fn schemas() -> Schemas {
    Schemas::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/schemas")).unwrap()
}

/// Whether an assertion on a bulk operation's status expects a client error.
fn fails(a: &Assertion) -> bool {
    match a {
        Assertion::Regex(p) => p.0.as_str().starts_with("^4"),
        Assertion::Equals(Value::String(s)) => s.starts_with('4'),
        _ => false,
    }
}

#[test]
fn every_accepted_patch_and_bulk_body_of_the_suites_is_schema_valid() {
    let schemas = schemas();
    let root = env!("CARGO_MANIFEST_DIR");
    let suites = load(&[format!("{root}/suites/**/*.yaml")], &schemas.names()).unwrap();
    let mut checked = 0;
    for l in &suites {
        let s = &l.suite;
        let cases = s
            .cases
            .iter()
            .flat_map(|c| c.value.steps.iter().chain(&c.value.teardown));
        for step in s.setup.iter().chain(cases) {
            let r = &step.value.request;
            let expect = &step.value.expect;
            // A 2xx answer, and no bulk operation expected to fail on its own.
            let accepted = expect
                .status
                .as_ref()
                .is_some_and(|st| st.0.iter().all(|code| (200..300).contains(code)))
                && !expect
                    .json
                    .iter()
                    .any(|(k, a)| k.ends_with("/status") && fails(a));
            let schema = match (r.method, r.path.as_str()) {
                (Method::Patch, _) => "patch-op.json",
                (Method::Post, "/Bulk") => "bulk-request.json",
                _ => continue,
            };
            let Some(body) = r.body.as_ref().filter(|_| accepted) else {
                continue;
            };
            // Rendered as each Entra behaviour spells it; other variables as plain text.
            for behaviour in &Idp::find("entra").unwrap().behaviours {
                let mut vars: template::Vars = step
                    .value
                    .variables()
                    .into_iter()
                    .map(|n| (n, json!("x")))
                    .collect();
                vars.extend(behaviour.variables());
                let body = template::render_value(body, &vars).unwrap();
                let errors = schemas.validate(schema, &body);
                assert!(
                    errors.is_empty(),
                    "{}:{}: {errors:?}",
                    l.path.display(),
                    step.referenced.line()
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} bodies checked");
}

#[test]
fn the_patch_schema_rejects_what_the_rfc_rejects() {
    let schemas = schemas();
    let patch = |ops: Value| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
    let ok = [
        patch(json!([{"op": "Replace", "path": "active", "value": "False"}])),
        patch(json!([{"op": "add", "value": {"displayName": "x"}}])),
        patch(json!([{"op": "remove", "path": "members[value eq \"1\"]"}])),
    ];
    for body in ok {
        assert_eq!(
            schemas.validate("patch-op.json", &body),
            Vec::<String>::new(),
            "{body}"
        );
    }
    let bad = [
        patch(json!([{"op": "move", "path": "a", "value": 1}])),
        patch(json!([{"op": "remove"}])),
        patch(json!([{"op": "replace", "path": "active"}])),
        patch(json!([])),
        json!({"Operations": [{"op": "add", "value": {}}]}),
    ];
    for body in bad {
        assert!(
            !schemas.validate("patch-op.json", &body).is_empty(),
            "{body}"
        );
    }
}

#[test]
fn limit_probing_bulk_requests_are_well_formed() {
    let schemas = schemas();
    let caps = Capabilities::Advertised(
        json!({"bulk": {"supported": true, "maxOperations": 3, "maxPayloadSize": 100}}),
    );
    let names = [
        "bulk_excess_operations".to_string(),
        "bulk_oversized_operations".to_string(),
    ];
    let vars = caps.limits(&names, "t").unwrap();
    let ops = &vars["bulk_excess_operations"];
    assert_eq!(ops.as_array().unwrap().len(), 4);
    let big = &vars["bulk_oversized_operations"];
    for operations in [ops, big] {
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": operations});
        assert_eq!(
            schemas.validate("bulk-request.json", &body),
            Vec::<String>::new()
        );
    }
    assert!(big.to_string().len() > 100);
    let bad = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [{"method": "POST", "path": "/Users", "data": {}}]});
    assert!(
        !schemas.validate("bulk-request.json", &bad).is_empty(),
        "POST without bulkId"
    );
    let unstated = Capabilities::Advertised(json!({"bulk": {"supported": true}}));
    let why = unstated.limits(&names, "t").unwrap_err();
    assert_eq!(why, "not advertised: bulk.maxOperations");
}
