//! The bundled server under each profile: strict RFC by default, New Relic's documented
//! behaviour under `newrelic`. Requests go over HTTP to a server started in-process.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use scimitar::profile::Profile;
use scimitar::server::{self, Defects};

const TOKEN: &str = "emulation-token";
const NR_EXT: &str = "urn:ietf:params:scim:schemas:extension:newrelic:2.0:User";

struct Target {
    base: String,
    http: reqwest::Client,
}

impl Target {
    async fn start(profile: &str) -> Self {
        let profile = Profile::find(profile).unwrap();
        let running = server::start(
            ([127, 0, 0, 1], 0).into(),
            TOKEN.into(),
            &profile,
            Defects::default(),
        )
        .await
        .unwrap();
        Target {
            base: running.base_url,
            http: reqwest::Client::new(),
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(TOKEN);
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/scim+json")
                .body(b.to_string());
        }
        let resp = req.send().await.unwrap();
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
    let (_, after) = t
        .call(
            Method::PUT,
            &format!("/Users/{id}"),
            Some(json!({"userName": "put"})),
        )
        .await;
    assert!(after.get("nickName").is_none(), "{after}");
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
