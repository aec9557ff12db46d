//! The bundled server under each profile: strict RFC by default, New Relic's documented
//! behaviour under `newrelic`. Requests go over HTTP to a server started in-process.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use scimitar::profile::Profile;
use scimitar::server::{self, Defect, Defects};

const TOKEN: &str = "emulation-token";
const NR_EXT: &str = "urn:ietf:params:scim:schemas:extension:newrelic:2.0:User";

struct Target {
    base: String,
    http: reqwest::Client,
}

impl Target {
    async fn start(profile: &str) -> Self {
        Self::start_with(profile, Defects::default()).await
    }

    async fn start_with(profile: &str, defects: Defects) -> Self {
        let profile = Profile::find(profile).unwrap();
        let running = server::start(([127, 0, 0, 1], 0).into(), TOKEN.into(), &profile, defects)
            .await
            .unwrap();
        Target {
            base: running.base_url,
            http: {
                scimitar::client::install_crypto_provider();
                reqwest::Client::new()
            },
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.base);
        let resp = crate::common::scim_request(&self.http, TOKEN, method, url, body).await;
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    async fn filter(&self, f: &str) -> (StatusCode, Value) {
        let q: String = url_encode(f);
        self.get(&format!("/Users?filter={q}")).await
    }

    async fn create_user(&self, body: Value) -> Value {
        let (status, created) = self.call(Method::POST, "/Users", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        created
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn nr_user(name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", NR_EXT],
        "userName": name,
        "displayName": "Jo Benson",
        "nickName": "Jo",
        "emails": [{"value": format!("{name}@example.com"), "primary": true}],
        "active": true,
        NR_EXT: {"nrUserType": "Basic User"}
    })
}

#[tokio::test]
async fn newrelic_filters_only_eq_with_case_sensitive_names_and_values() {
    let t = Target::start("newrelic").await;
    t.create_user(nr_user("jbenson@example.com")).await;

    let (s, body) = t.filter(r#"userName eq "jbenson@example.com""#).await;
    assert_eq!((s, &body["totalResults"]), (StatusCode::OK, &json!(1)));
    let (_, body) = t.filter(r#"userName eq "JBenson@example.com""#).await;
    assert_eq!(
        body["totalResults"], 0,
        "string values compare case-sensitively"
    );
    let (_, body) = t.filter(r#"USERNAME eq "jbenson@example.com""#).await;
    assert_eq!(
        body["totalResults"], 0,
        "attribute names are case-sensitive"
    );

    for unsupported in [
        r#"userName co "jbenson""#,
        r#"userName eq "a" or userName eq "b""#,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "jbenson@example.com""#,
        "title pr",
    ] {
        let (s, body) = t.filter(unsupported).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{unsupported}");
        assert_eq!(body["scimType"], "invalidFilter", "{unsupported}");
    }
}

#[tokio::test]
async fn rfc_filters_are_case_insensitive_and_complete() {
    let t = Target::start("rfc").await;
    t.create_user(json!({"userName": "JBenson", "title": "x"}))
        .await;
    for f in [
        r#"USERNAME eq "jbenson""#,
        r#"userName co "BENS""#,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "jbenson""#,
        "title pr and not (userName eq \"other\")",
    ] {
        let (s, body) = t.filter(f).await;
        assert_eq!(
            (s, &body["totalResults"]),
            (StatusCode::OK, &json!(1)),
            "{f}"
        );
    }
}

#[tokio::test]
async fn newrelic_me_bulk_search_and_discovery() {
    let nr = Target::start("newrelic").await;
    assert_eq!(nr.get("/Me").await.0, StatusCode::NOT_FOUND);
    let (s, spc) = nr.get("/ServiceProviderConfig?filter=x%20eq%201").await;
    assert_eq!(s, StatusCode::OK, "discovery ignores filters");
    assert_eq!(spc["bulk"]["supported"], false);
    let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]});
    let (s, _) = nr
        .call(Method::POST, "/Users/.search", Some(search.clone()))
        .await;
    assert_eq!(s, StatusCode::NOT_IMPLEMENTED);
    let bulk =
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": []});
    let (s, _) = nr.call(Method::POST, "/Bulk", Some(bulk.clone())).await;
    assert_eq!(s, StatusCode::NOT_IMPLEMENTED);
    let (_, schema) = nr.get(&format!("/Schemas/{NR_EXT}")).await;
    assert_eq!(schema["attributes"][0]["name"], "nrUserType");

    let rfc = Target::start("rfc").await;
    assert_eq!(rfc.get("/Me").await.0, StatusCode::NOT_IMPLEMENTED);
    let (s, _) = rfc.get("/ServiceProviderConfig?filter=x%20eq%201").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = rfc.call(Method::POST, "/Users/.search", Some(search)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, resp) = rfc.call(Method::POST, "/Bulk", Some(bulk)).await;
    assert_eq!((s, &resp["Operations"]), (StatusCode::OK, &json!([])));
}

#[tokio::test]
async fn newrelic_put_is_partial_meta_location_unset_and_extension_round_trips() {
    let t = Target::start("newrelic").await;
    let created = t.create_user(nr_user("put@example.com")).await;
    assert!(created["meta"].get("location").is_none(), "{created}");
    assert_eq!(created[NR_EXT]["nrUserType"], "Basic User");
    let id = created["id"].as_str().unwrap();

    let put = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", NR_EXT],
        NR_EXT: {"nrUserType": "Full User"}});
    let (s, after) = t
        .call(Method::PUT, &format!("/Users/{id}"), Some(put))
        .await;
    assert_eq!(s, StatusCode::OK, "{after}");
    assert_eq!(after["nickName"], "Jo", "omitted fields are kept");
    assert_eq!(after[NR_EXT]["nrUserType"], "Full User");

    let (s, err) = t
        .call(
            Method::POST,
            "/Users",
            Some(json!({"userName": "no-email@example.com", "active": true})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "emails is required: {err}");
}

#[tokio::test]
async fn rfc_put_replaces_and_sets_meta_location() {
    let t = Target::start("rfc").await;
    let created = t
        .create_user(json!({"userName": "put", "nickName": "Jo"}))
        .await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        created["meta"]["location"],
        format!("{}/Users/{id}", t.base)
    );
    let (status, after) = t
        .call(
            Method::PUT,
            &format!("/Users/{id}"),
            Some(json!({"userName": "put", "title": "Ms"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["title"], "Ms", "{after}");
    assert!(after.get("nickName").is_none(), "{after}");
    let (_, stored) = t.get(&format!("/Users/{id}")).await;
    assert_eq!(
        (&stored["title"], stored.get("nickName")),
        (&json!("Ms"), None),
        "{stored}"
    );
    assert_eq!(stored["meta"]["location"], created["meta"]["location"]);
}

#[tokio::test]
async fn etag_preconditions() {
    let t = Target::start("rfc").await;
    let created = t.create_user(json!({"userName": "etag"})).await;
    let id = created["id"].as_str().unwrap();
    let v1 = created["meta"]["version"].as_str().unwrap().to_string();
    let url = format!("{}/Users/{id}", t.base);
    let send = |m: Method, tag: (&'static str, String), body: Option<Value>| {
        let mut r = t
            .http
            .request(m, &url)
            .bearer_auth(TOKEN)
            .header(tag.0, tag.1);
        if let Some(b) = body {
            r = r.body(b.to_string());
        }
        r.send()
    };
    let strong = v1.trim_start_matches("W/").to_string();
    let r = send(Method::GET, ("If-None-Match", strong), None)
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "weak comparison");
    let r = send(Method::GET, ("If-None-Match", "W/\"other\"".into()), None)
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = send(Method::DELETE, ("If-Match", "W/\"other\"".into()), None)
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let r = send(Method::DELETE, ("If-Match", "*".into()), None)
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn bulk_limits_answer_413() {
    let t = Target::start("rfc").await;
    let op = json!({"method": "DELETE", "path": "/Users/x"});
    let too_many = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": vec![op; 101]});
    let (s, body) = t.call(Method::POST, "/Bulk", Some(too_many)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let big = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [{"method": "POST", "path": "/Users", "bulkId": "a",
            "data": {"userName": "x".repeat(1 << 20)}}]});
    let (s, body) = t.call(Method::POST, "/Bulk", Some(big)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["status"], "413");
}

const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The names of a schema document's attributes, each with its sub-attributes.
fn attribute_names(schema: &Value) -> Vec<String> {
    schema["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let subs: Vec<&str> = a["subAttributes"]
                .as_array()
                .map(|s| s.iter().map(|s| s["name"].as_str().unwrap()).collect())
                .unwrap_or_default();
            format!("{}({})", a["name"].as_str().unwrap(), subs.join(","))
        })
        .collect()
}

/// The keys of an object, sorted.
fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort();
    k
}

/// A create carrying much that `minimal` does not declare.
fn rich_user(name: &str) -> Value {
    json!({
        "schemas": [USER_URN, ENTERPRISE],
        "userName": name,
        "externalId": format!("ext-{name}"),
        "title": "Countess",
        "nickName": "Ada",
        "name": {"givenName": "Ada", "familyName": "Lovelace", "middleName": "King"},
        "emails": [{"value": format!("{name}@example.com"), "type": "work", "primary": true,
            "display": "work mail"}],
        "active": true,
        ENTERPRISE: {"employeeNumber": "1815", "department": "Engines"}
    })
}

#[tokio::test]
async fn minimal_discovery_shows_exactly_the_declared_attributes_and_no_extension() {
    let t = Target::start("minimal").await;
    let (s, schemas) = t.get("/Schemas").await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<&str> = schemas["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [USER_URN, "urn:ietf:params:scim:schemas:core:2.0:Group"]
    );
    assert_eq!(
        attribute_names(&schemas["Resources"][0]),
        [
            "userName()",
            "name(familyName,givenName)",
            "active()",
            "emails(value,primary)"
        ]
    );
    assert_eq!(
        attribute_names(&schemas["Resources"][1]),
        ["displayName()", "members(value,$ref,display,type)"]
    );
    let (s, _) = t.get(&format!("/Schemas/{ENTERPRISE}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (_, rts) = t.get("/ResourceTypes").await;
    for rt in rts["Resources"].as_array().unwrap() {
        let exts = rt.get("schemaExtensions").cloned().unwrap_or(json!([]));
        assert_eq!(exts, json!([]), "{rt}");
    }
    let (_, user) = t.get("/ResourceTypes/User").await;
    assert_eq!(user["schemaExtensions"], json!([]));

    // The rfc profile still declares the whole schema and the enterprise extension.
    let rfc = Target::start("rfc").await;
    let (_, schemas) = rfc.get("/Schemas").await;
    assert_eq!(schemas["totalResults"], 3);
    assert_eq!(
        schemas["Resources"][0]["attributes"]
            .as_array()
            .unwrap()
            .len(),
        21
    );
    let (_, user) = rfc.get("/ResourceTypes/User").await;
    assert_eq!(user["schemaExtensions"][0]["schema"], ENTERPRISE);
}

#[tokio::test]
async fn minimal_drops_undeclared_attributes_on_create_put_and_patch() {
    let t = Target::start("minimal").await;
    let created = t.create_user(rich_user("ada")).await;
    let want_keys = [
        "active",
        "emails",
        "externalId",
        "id",
        "meta",
        "name",
        "schemas",
        "userName",
    ];
    assert_eq!(keys(&created), want_keys, "{created}");
    assert_eq!(created["schemas"], json!([USER_URN]));
    assert_eq!(
        created["name"],
        json!({"givenName": "Ada", "familyName": "Lovelace"})
    );
    assert_eq!(
        created["emails"],
        json!([{"value": "ada@example.com", "primary": true}])
    );
    let id = created["id"].as_str().unwrap();
    let url = format!("/Users/{id}");
    let (s, got) = t.get(&url).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(got, created, "a GET returns what the create answered");

    // PUT: undeclared members are dropped, declared ones replace.
    let mut put = rich_user("ada");
    put["name"]["givenName"] = json!("Augusta");
    let (s, after) = t.call(Method::PUT, &url, Some(put)).await;
    assert_eq!(s, StatusCode::OK, "{after}");
    assert_eq!(keys(&after), want_keys, "{after}");
    assert_eq!(after["name"]["givenName"], "Augusta");

    // PATCH without a path: the value's undeclared members (and the extension) are dropped,
    // the declared ones applied.
    let patch = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {
        "title": "Engineer", "nickName": "A", "name.middleName": "B", "name.givenName": "Ada",
        ENTERPRISE: {"department": "Maths"},
        format!("{ENTERPRISE}:costCenter"): "7", "active": false}}]});
    let (s, after) = t.call(Method::PATCH, &url, Some(patch)).await;
    assert_eq!(s, StatusCode::OK, "{after}");
    assert_eq!(keys(&after), want_keys, "{after}");
    assert_eq!(
        (&after["name"]["givenName"], &after["active"]),
        (&json!("Ada"), &json!(false))
    );

    // PATCH with a path on declared attributes works as under rfc.
    let patch = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "name.familyName", "value": "Byron"},
        {"op": "add", "path": "emails", "value": [{"value": "second@example.com", "type": "home"}]},
        {"op": "replace", "path": "emails[value eq \"ada@example.com\"].primary", "value": false}]});
    let (s, after) = t.call(Method::PATCH, &url, Some(patch)).await;
    assert_eq!(s, StatusCode::OK, "{after}");
    assert_eq!(after["name"]["familyName"], "Byron");
    assert_eq!(
        after["emails"],
        json!([{"value": "ada@example.com", "primary": false}, {"value": "second@example.com"}])
    );
    let (_, got) = t.get(&url).await;
    assert_eq!(got, after);

    // A path naming an undeclared attribute is refused, and the PATCH stays atomic.
    for path in [
        "title",
        "name.middleName",
        &format!("{ENTERPRISE}:department"),
    ] {
        let patch = json!({"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "path": "active", "value": true},
            {"op": "replace", "path": path, "value": "x"}]});
        let (s, err) = t.call(Method::PATCH, &url, Some(patch)).await;
        assert_eq!(
            (s, &err["scimType"]),
            (StatusCode::BAD_REQUEST, &json!("invalidPath")),
            "{path}"
        );
    }
    assert_eq!(t.get(&url).await.1["active"], false);
}

#[tokio::test]
async fn minimal_reads_undeclared_names_as_attributes_without_value() {
    let t = Target::start("minimal").await;
    let id = t.create_user(rich_user("ada")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Filters: an undeclared attribute has no value (RFC 7644 §3.4.2.1).
    for (f, n) in [
        ("title pr", 0),
        (r#"title eq "Countess""#, 0),
        (r#"emails[type eq "work"]"#, 0),
        ("not (title pr)", 1),
        (r#"name.givenName eq "ada""#, 1),
        (r#"emails.value sw "ADA@""#, 1),
    ] {
        let (s, body) = t.filter(f).await;
        assert_eq!(
            (s, &body["totalResults"]),
            (StatusCode::OK, &json!(n)),
            "{f}"
        );
    }
    // attributes= naming only undeclared ones still overrides the default set (RFC 7644 §3.9).
    let (_, got) = t.get(&format!("/Users/{id}?attributes=title")).await;
    assert_eq!(keys(&got), ["id", "schemas"], "{got}");
    let (_, got) = t
        .get(&format!(
            "/Users/{id}?attributes=title,userName,name.middleName"
        ))
        .await;
    assert_eq!(keys(&got), ["id", "schemas", "userName"], "{got}");
    let (_, got) = t
        .get(&format!("/Users/{id}?excludedAttributes=title,name"))
        .await;
    assert!(
        got.get("name").is_none() && got.get("userName").is_some(),
        "{got}"
    );
}

#[tokio::test]
async fn minimal_answers_sort_etag_and_bulk_as_unsupported() {
    let t = Target::start("minimal").await;
    let (_, spc) = t.get("/ServiceProviderConfig").await;
    for feature in ["bulk", "sort", "etag"] {
        assert_eq!(spc[feature]["supported"], false, "{feature}: {spc}");
    }
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["filter"]["supported"], true);

    for name in ["bravo", "alpha", "charlie"] {
        t.create_user(json!({"userName": name})).await;
    }
    // sortBy and sortOrder are ignored, even invalid ones: the server's own order stays.
    for q in [
        "sortBy=userName&sortOrder=descending",
        "sortBy=userName",
        "sortBy=title&sortOrder=sideways",
    ] {
        let (s, list) = t.get(&format!("/Users?{q}")).await;
        assert_eq!(s, StatusCode::OK, "{q}: {list}");
        let names: Vec<&str> = list["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["userName"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["bravo", "alpha", "charlie"], "{q}");
    }
    let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "sortBy": "userName", "count": 2});
    let (s, list) = t.call(Method::POST, "/Users/.search", Some(search)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["Resources"][0]["userName"], "bravo");
    assert_eq!(
        (&list["totalResults"], &list["itemsPerPage"]),
        (&json!(3), &json!(2))
    );

    // No versions: no meta.version, no ETag header, preconditions not acted upon.
    let resp = t
        .http
        .post(format!("{}/Users", t.base))
        .bearer_auth(TOKEN)
        .header("Content-Type", "application/scim+json")
        .body(json!({"userName": "etag"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(resp.headers().get("etag").is_none());
    let created: Value = resp.json().await.unwrap();
    assert!(created["meta"].get("version").is_none(), "{created}");
    let url = format!("{}/Users/{}", t.base, created["id"].as_str().unwrap());
    let r = t
        .http
        .get(&url)
        .bearer_auth(TOKEN)
        .header("If-None-Match", "*")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("etag").is_none());
    let r = t
        .http
        .patch(&url)
        .bearer_auth(TOKEN)
        .header("If-Match", "W/\"stale\"")
        .body(
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": true}]})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("etag").is_none());
    let r = t
        .http
        .delete(&url)
        .bearer_auth(TOKEN)
        .header("If-Match", "W/\"stale\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    let bulk =
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": []});
    let (s, _) = t.call(Method::POST, "/Bulk", Some(bulk)).await;
    assert_eq!(s, StatusCode::NOT_IMPLEMENTED);
}

#[tokio::test]
async fn minimal_groups_keep_display_name_and_members() {
    let t = Target::start("minimal").await;
    let uid = t.create_user(json!({"userName": "member"})).await["id"].clone();
    let (s, group) = t
        .call(
            Method::POST,
            "/Groups",
            Some(json!({"displayName": "Engineers", "externalId": "g1",
                "members": [{"value": uid, "display": "ignored"}]})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{group}");
    assert_eq!(
        keys(&group),
        [
            "displayName",
            "externalId",
            "id",
            "members",
            "meta",
            "schemas"
        ]
    );
    let member = &group["members"][0];
    assert_eq!(keys(member), ["$ref", "display", "type", "value"]);
    assert_eq!(
        (&member["display"], &member["type"]),
        (&json!("member"), &json!("User"))
    );
    // A user's groups attribute is not declared, so not returned.
    let (_, user) = t.get(&format!("/Users/{}", uid.as_str().unwrap())).await;
    assert!(user.get("groups").is_none(), "{user}");
}

/// Sends `n` GETs at once; answers (status, Content-Type, body).
async fn burst(t: &Target, n: usize) -> Vec<(u16, String, String)> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let req = t
            .http
            .get(format!("{}/ServiceProviderConfig", t.base))
            .bearer_auth(TOKEN);
        set.spawn(async move {
            let r = req.send().await.unwrap();
            let ct = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            (r.status().as_u16(), ct, r.text().await.unwrap())
        });
    }
    set.join_all().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_answers_html_500_beyond_four_requests_in_flight() {
    let t = Target::start_with("rfc", Defects::new([Defect::Overload])).await;
    let answers = burst(&t, 20).await;
    let ok = answers.iter().filter(|a| a.0 == 200).count();
    let html_500: Vec<_> = answers
        .iter()
        .filter(|a| a.0 == 500 && a.1.starts_with("text/html"))
        .collect();
    assert!(!html_500.is_empty(), "no 500 among {answers:?}");
    assert!(ok >= 4, "only {ok} served: {answers:?}");
    assert_eq!(ok + html_500.len(), 20, "{answers:?}");
    assert!(html_500[0].2.contains("<html>"), "{}", html_500[0].2);

    // Requests that end early (401, 404, 400) or that the client abandons give back their
    // place: afterwards one at a time, and then four at once, are all served.
    let abandoned = t.http.get(format!("{}/Users", t.base)).bearer_auth(TOKEN);
    let _ = abandoned
        .timeout(std::time::Duration::from_millis(2))
        .send()
        .await;
    for _ in 0..3 {
        assert_eq!(
            t.http
                .get(format!("{}/Users", t.base))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(t.get("/Nowhere").await.0, StatusCode::NOT_FOUND);
        let bad = t
            .http
            .post(format!("{}/Users", t.base))
            .bearer_auth(TOKEN)
            .body("{");
        assert_eq!(bad.send().await.unwrap().status(), StatusCode::BAD_REQUEST);
        assert_eq!(t.get("/Users").await.0, StatusCode::OK);
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let four = burst(&t, 4).await;
    assert!(four.iter().all(|a| a.0 == 200), "{four:?}");

    // Without the defect nothing is refused.
    let fine = Target::start("rfc").await;
    let answers = burst(&fine, 20).await;
    assert!(answers.iter().all(|a| a.0 == 200), "{answers:?}");
}

/// `strict` refuses what it does not declare, anywhere in a body, with 400 invalidSyntax
/// naming the member (as a model forbidding extra members does), and email addresses
/// beyond letters, digits, dots and hyphens; it takes what it declares.
#[tokio::test]
async fn strict_refuses_undeclared_members_and_unusual_addresses() {
    let t = Target::start("strict").await;
    let user = |email: &str, extra: Value| {
        let mut u = json!({"schemas": [USER_URN], "userName": email,
            "emails": [{"value": email, "primary": true}]});
        u.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        u
    };
    let (s, created) = t
        .call(
            Method::POST,
            "/Users",
            Some(user("ada@example.com", json!({}))),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let refused = [
        (
            user(
                "b@example.com",
                json!({"emails": [{"value": "b@example.com", "type": "work"}]}),
            ),
            "emails[0].type",
        ),
        (
            user("c@example.com", json!({"ims": [{"value": "c"}]})),
            "ims",
        ),
        (user("d-~@example.com", json!({})), "d-~@example.com"),
    ];
    for (body, named) in refused {
        let (s, e) = t.call(Method::POST, "/Users", Some(body)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert!(e["detail"].as_str().unwrap().contains(named), "{e}");
    }
    let id = created["id"].as_str().unwrap();
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "emails", "value": [{"value": "e@example.com", "display": "x"}]}]});
    let (s, e) = t
        .call(Method::PATCH, &format!("/Users/{id}"), Some(patch))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["scimType"], "invalidSyntax", "{e}");
}
