use serde_json::json;

use super::*;

fn response(status: u16, content_type: &str, body: &Value) -> RecordedResponse {
    RecordedResponse {
        status,
        headers: vec![("content-type".into(), content_type.into())],
        body: body.to_string(),
        truncated: false,
    }
}

fn rules_of(seen: &Seen) -> Vec<String> {
    check(seen, &Vocabulary::new(None))
        .into_iter()
        .map(|b| format!("{} {}", b.rule, b.signature))
        .collect()
}

fn breaches(
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    status: u16,
    body: Value,
) -> Vec<String> {
    let query: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let r = response(status, "application/scim+json; charset=utf-8", &body);
    rules_of(&Seen {
        method,
        path,
        url: "https://h/v2/Users",
        query: &query,
        sent: None,
        accept: Some("application/scim+json"),
        response: &r,
        body: Some(&body),
    })
}

fn user(id: &str) -> Value {
    json!({
        "schemas": [crate::scim::schema::USER], "id": id, "userName": "a",
        "meta": {"resourceType": "User", "created": "2026-01-01T00:00:00Z",
                 "lastModified": "2026-01-02T00:00:00Z"}
    })
}

fn list(resources: Vec<Value>, total: u64, start: i64, per_page: u64) -> Value {
    json!({"schemas": [LIST_RESPONSE], "totalResults": total, "startIndex": start,
           "itemsPerPage": per_page, "Resources": resources})
}

#[test]
fn a_correct_list_breaks_nothing() {
    let body = list(vec![user("1"), user("2")], 5, 3, 2);
    assert_eq!(
        breaches(Method::Get, "/Users", &[("startIndex", "3")], 200, body),
        Vec::<String>::new()
    );
}

#[test]
fn list_counts_and_index_are_held_to_what_was_returned_and_asked() {
    let body = list(vec![user("1"), user("2")], 1, 1, 3);
    assert_eq!(
        breaches(Method::Get, "/Users", &[], 200, body),
        [
            "P-list-02 lists at /Users · totalResults",
            "P-paging-07 lists at /Users · itemsPerPage"
        ]
    );
    let body = list(vec![user("1")], 1, 0, 1);
    assert_eq!(
        breaches(Method::Get, "/Users", &[("startIndex", "-4")], 200, body),
        ["P-paging-02 lists at /Users · startIndex"]
    );
    let body = list(vec![user("1")], 4, 1, 1);
    assert_eq!(
        breaches(Method::Get, "/Users", &[("startIndex", "2")], 200, body),
        ["P-paging-01 lists at /Users · startIndex"]
    );
    let body = json!({"totalResults": 0, "Resources": []});
    assert_eq!(
        breaches(Method::Get, "/Groups", &[], 200, body),
        ["P-list-01 lists at /Groups · ListResponse schemas"]
    );
}

#[test]
fn resources_show_their_id_schemas_type_and_order_of_dates() {
    let mut u = user("1");
    u["schemas"] = json!(["urn:example:other"]);
    u["meta"]["resourceType"] = json!("Group");
    u["meta"]["lastModified"] = json!("2025-01-01T00:00:00Z");
    u["id"] = json!(7);
    u["password"] = json!("secret");
    assert_eq!(
        breaches(Method::Get, "/Users/1", &[], 200, u.clone()),
        [
            "C-schema-02 User resources · id",
            // Only its core schema lacking: with no declaration, another URN proves nothing.
            "C-schema-01 User resources · schemas",
            "C-attributes-02 User resources · password returned",
            "C-schema-07 User resources · meta.resourceType",
            "C-schema-09 User resources · meta.lastModified",
        ]
    );
    // Projected, meta may be left out, and is not judged.
    let got = breaches(
        Method::Get,
        "/Users/1",
        &[("attributes", "userName")],
        200,
        u,
    );
    assert!(!got.iter().any(|b| b.contains("meta")), "{got:?}");
}

#[test]
fn errors_are_scim_errors_with_a_string_status_and_409_says_uniqueness() {
    let ok = json!({"schemas": [ERROR], "status": "404"});
    assert_eq!(
        breaches(Method::Get, "/Users/x", &[], 404, ok),
        Vec::<String>::new()
    );
    let conflict = json!({"schemas": [ERROR], "status": 409});
    assert_eq!(
        breaches(Method::Post, "/Users", &[], 409, conflict),
        [
            "P-errors-02 409 answers · error status",
            "P-create-05 409 answers · 409 scimType"
        ]
    );
    let r = RecordedResponse {
        status: 401,
        headers: vec![("content-type".into(), "text/plain".into())],
        body: "Unauthorized".into(),
        truncated: false,
    };
    let seen = Seen {
        method: Method::Get,
        path: "/Users",
        url: "https://h/v2/Users",
        query: &[],
        sent: None,
        accept: None,
        response: &r,
        body: None,
    };
    assert_eq!(
        rules_of(&seen),
        [
            "P-media-01 answers · content-type",
            "P-errors-01 401 answers · error body"
        ]
    );
}

#[test]
fn a_server_error_is_not_held_to_the_invariants() {
    let r = RecordedResponse {
        status: 503,
        headers: vec![("content-type".into(), "text/html".into())],
        body: "<html>busy</html>".into(),
        truncated: false,
    };
    let seen = Seen {
        method: Method::Get,
        path: "/Users",
        url: "https://h/v2/Users",
        query: &[],
        sent: None,
        accept: None,
        response: &r,
        body: None,
    };
    assert_eq!(rules_of(&seen), Vec::<String>::new());
}

#[test]
fn a_create_answers_where_it_is_new_and_as_sent() {
    let mut u = user("1");
    u["meta"]["location"] = json!("https://h/v2/Users/1");
    u["externalId"] = json!("abc");
    let sent =
        json!({"schemas": [crate::scim::schema::USER], "userName": "a", "externalId": "ABC"});
    let mut r = response(201, "application/scim+json", &u);
    r.headers
        .push(("location".into(), "https://h/v2/Users/2".into()));
    let seen = Seen {
        method: Method::Post,
        path: "/Users",
        url: "https://h/v2/Users",
        query: &[],
        sent: Some(&sent),
        accept: None,
        response: &r,
        body: Some(&u),
    };
    assert_eq!(
        rules_of(&seen),
        [
            "P-create-04 POST /Users · meta.location",
            "C-schema-09 POST /Users · meta.lastModified",
            "C-schema-06 POST /Users · externalId case",
        ]
    );
}

#[test]
fn what_the_rfcs_allow_breaks_nothing() {
    // A 409 to a PUT (a version mismatch may be one), a cursor page without totalResults,
    // members and URNs in another case, an empty page with any startIndex.
    let conflict = json!({"schemas": [ERROR], "status": "409"});
    assert_eq!(
        breaches(Method::Put, "/Users/1", &[], 409, conflict),
        Vec::<String>::new()
    );
    let cursor_page = json!({"schemas": [LIST_RESPONSE], "nextCursor": "x", "itemsPerPage": 1,
                             "Resources": [user("1")]});
    assert_eq!(
        breaches(Method::Get, "/Users", &[("cursor", "")], 200, cursor_page),
        Vec::<String>::new()
    );
    let shouting = json!({"SCHEMAS": [LIST_RESPONSE.to_uppercase()], "TotalResults": 3,
                          "itemsperpage": 1, "startIndex": 2, "resources": [user("1")]});
    assert_eq!(
        breaches(Method::Get, "/Users", &[("startIndex", "2")], 200, shouting),
        Vec::<String>::new()
    );
    let empty = list(vec![], 2, 1, 0);
    assert_eq!(
        breaches(Method::Get, "/Users", &[("startIndex", "9")], 200, empty),
        Vec::<String>::new()
    );
}

#[test]
fn a_relative_or_differently_written_location_is_the_same_uri() {
    let mut u = user("1");
    u["meta"]["location"] = json!("https://h/v2/Users/1");
    let mut r = response(200, "application/scim+json", &u);
    r.headers
        .push(("content-location".into(), "/v2/Users/1".into()));
    fn seen<'a>(r: &'a RecordedResponse, u: &'a Value) -> Seen<'a> {
        Seen {
            method: Method::Get,
            path: "/Users/1",
            url: "https://H:443/v2/Users/1",
            query: &[],
            sent: None,
            accept: None,
            response: r,
            body: Some(u),
        }
    }
    assert_eq!(rules_of(&seen(&r, &u)), Vec::<String>::new());
    r.headers[1].1 = "/v2/Users".into();
    assert_eq!(
        rules_of(&seen(&r, &u)),
        ["C-schema-11 GET /Users/{id} · meta.location"]
    );
}

#[test]
fn plain_json_is_fine_where_the_request_names_it() {
    let body = user("1");
    let r = response(200, "application/json", &body);
    let seen = |accept| Seen {
        method: Method::Get,
        path: "/Users/1",
        url: "https://h/v2/Users/1",
        query: &[],
        sent: None,
        accept,
        response: &r,
        body: Some(&body),
    };
    assert_eq!(
        rules_of(&seen(Some("application/json"))),
        Vec::<String>::new()
    );
    assert_eq!(
        rules_of(&seen(Some("application/scim+json"))),
        ["P-media-01 answers · content-type"]
    );
    assert_eq!(
        rules_of(&seen(Some("application/json, application/scim+json"))),
        Vec::<String>::new()
    );
    assert_eq!(
        rules_of(&seen(Some("application/json;q=0, application/scim+json"))),
        ["P-media-01 answers · content-type"]
    );
    assert_eq!(
        rules_of(&seen(Some("*/*"))),
        ["P-media-01 answers · content-type"]
    );
}
