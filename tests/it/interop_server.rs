//! The bundled server under `--emulate interop` (draft-zollner-scim-interop-profile-01), over
//! HTTP: each server rule of the profile is kept, and the default `rfc` server keeps RFC
//! 7644's answer where the two differ.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use scimitar::profile::Profile;
use scimitar::server::{self, Defects};

const TOKEN: &str = "interop-token";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// One answer: status, media type and body (Null when empty or not JSON).
struct Answer {
    status: StatusCode,
    media: Option<String>,
    body: Value,
}

impl Answer {
    /// The status and the scimType of an error answer.
    fn error(&self) -> (u16, &str) {
        (
            self.status.as_u16(),
            self.body["scimType"].as_str().unwrap_or_default(),
        )
    }
}

/// A bundled server under one profile, started in-process.
struct Server {
    base: String,
    http: reqwest::Client,
}

impl Server {
    async fn new(profile: &str) -> Self {
        scimitar::client::install_crypto_provider();
        let p = Profile::find(profile).unwrap();
        let addr = ([127, 0, 0, 1], 0).into();
        let running = server::start(addr, TOKEN.into(), &p, Defects::default())
            .await
            .unwrap();
        Server {
            base: running.base_url,
            http: reqwest::Client::new(),
        }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let url = format!("{}{path}", self.base);
        let resp = crate::common::scim_request(&self.http, TOKEN, method, url, body).await;
        let status = resp.status();
        let media = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = serde_json::from_str(&resp.text().await.unwrap()).unwrap_or(Value::Null);
        Answer {
            status,
            media,
            body,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    /// POSTs a User made of `members` (schemas added).
    async fn create(&self, members: Value) -> Answer {
        let mut body = json!({"schemas": [USER]});
        body.as_object_mut()
            .unwrap()
            .extend(members.as_object().unwrap().clone());
        self.send(Method::POST, "/Users", Some(body)).await
    }

    /// Creates a User from `members`, expecting 201; answers its id.
    async fn user(&self, members: Value) -> String {
        let a = self.create(members).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        a.body["id"].as_str().unwrap().to_string()
    }

    async fn patch(&self, id: &str, operations: Value) -> Answer {
        let body = json!({"schemas": [PATCH_OP], "Operations": operations});
        self.send(Method::PATCH, &format!("/Users/{id}"), Some(body))
            .await
    }

    async fn filter(&self, f: &str) -> Answer {
        let q: String = f
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        self.get(&format!("/Users?filter={q}")).await
    }
}

/// §4: a server claiming the profile says so in /ServiceProviderConfig; the default server,
/// which claims nothing, leaves the attribute out (one of the two answers §4 allows it).
#[tokio::test]
async fn interop_claims_conformance_and_rfc_does_not() {
    let interop = Server::new("interop").await;
    let spc = interop.get("/ServiceProviderConfig").await.body;
    assert_eq!(spc["interopProfileConformant"], json!(true));
    let rfc = Server::new("rfc").await;
    let spc = rfc.get("/ServiceProviderConfig").await.body;
    assert!(spc.get("interopProfileConformant").is_none(), "{spc}");
}

/// §5.1: every ResourceType id equals its name; §5.4: every `type` of a multi-valued
/// complex attribute in /Schemas has canonicalValues. RFC 7643 gives roles, entitlements and
/// x509Certificates a `type` without any, as the default server shows.
#[tokio::test]
async fn interop_discovery_names_resource_types_by_id_and_lists_every_type_value() {
    let interop = Server::new("interop").await;
    let types = interop.get("/ResourceTypes").await.body;
    let types = types["Resources"].as_array().unwrap();
    assert_eq!(types.len(), 2);
    for rt in types {
        assert_eq!(rt["id"], rt["name"], "{rt}");
    }
    let uncatalogued = |schemas: &Value| -> Vec<String> {
        let mut out = Vec::new();
        for s in schemas["Resources"].as_array().unwrap() {
            for a in s["attributes"].as_array().unwrap() {
                let typed = a["subAttributes"]
                    .as_array()
                    .is_some_and(|subs| subs.iter().any(|x| x["name"] == "type"));
                let listed = a["subAttributes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|x| x["name"] == "type")
                    .all(|x| {
                        x["canonicalValues"]
                            .as_array()
                            .is_some_and(|v| !v.is_empty())
                    });
                if a["multiValued"] == true && typed && !listed {
                    out.push(a["name"].as_str().unwrap().to_string());
                }
            }
        }
        out
    };
    assert!(uncatalogued(&interop.get("/Schemas").await.body).is_empty());
    let rfc = Server::new("rfc").await;
    assert_eq!(
        uncatalogued(&rfc.get("/Schemas").await.body),
        ["entitlements", "roles", "x509Certificates"]
    );
    // What /Schemas leaves out is not taken: a role's `type` is refused (§5.3), where the
    // default server keeps it.
    let role = json!({"userName": "r", "roles": [{"value": "x", "type": "y"}]});
    let a = interop.create(role.clone()).await;
    assert_eq!(a.error(), (400, "invalidSyntax"), "{}", a.body);
    let a = rfc.create(role).await;
    assert_eq!(a.body["roles"][0]["type"], "y", "{}", a.body);
}

/// §5.3: an undefined attribute or schema URI is refused with 400 invalidSyntax, in a create
/// and as a PATCH path; the common attributes (RFC 7643 §3.1) count as defined. The default
/// server ignores what it does not define (RFC 7644 §3.3, P-create-09) and answers an
/// undefined PATCH path with Table 9's invalidPath.
#[tokio::test]
async fn interop_refuses_undefined_attributes_and_schema_uris() {
    let unknown_attribute = json!({"schemas": [USER], "userName": "u1", "zzColour": "red"});
    let unknown_schema = json!({
        "schemas": [USER, "urn:example:undefined:2.0:User"],
        "userName": "u2",
        "urn:example:undefined:2.0:User": {"shoeSize": 9}
    });
    let listed_only =
        json!({"schemas": [USER, "urn:example:undefined:2.0:User"], "userName": "u3"});
    let interop = Server::new("interop").await;
    for body in [&unknown_attribute, &unknown_schema, &listed_only] {
        let a = interop
            .send(Method::POST, "/Users", Some(body.clone()))
            .await;
        assert_eq!(a.error(), (400, "invalidSyntax"), "{body}: {}", a.body);
    }
    let unknown_path = json!([{"op": "add", "path": "zzColour", "value": "red"}]);
    let unknown_sub = json!([{"op": "add", "path": "name.zz", "value": "x"}]);
    let id = interop
        .user(json!({"userName": "u4", "id": "mine", "externalId": "e4", "meta": {"resourceType": "User"}}))
        .await;
    for ops in [&unknown_path, &unknown_sub] {
        let a = interop.patch(&id, ops.clone()).await;
        assert_eq!(a.error(), (400, "invalidSyntax"), "{ops}: {}", a.body);
    }

    let rfc = Server::new("rfc").await;
    for body in [&unknown_attribute, &unknown_schema, &listed_only] {
        let a = rfc.send(Method::POST, "/Users", Some(body.clone())).await;
        assert_eq!(a.status, StatusCode::CREATED, "{body}: {}", a.body);
        assert!(a.body.get("zzColour").is_none(), "{}", a.body);
    }
    let id = rfc.user(json!({"userName": "u4"})).await;
    for ops in [&unknown_path, &unknown_sub] {
        let a = rfc.patch(&id, ops.clone()).await;
        assert_eq!(a.error(), (400, "invalidPath"), "{ops}: {}", a.body);
    }
}

/// §6.5.1.1: a PATCH with an operation lacking `path` is refused with 400 invalidSyntax and
/// changes nothing, a path-less remove included. RFC 7644 applies a path-less add or replace
/// (§3.5.2.1, §3.5.2.3: P-patch-10, P-patch-22) and answers a path-less remove noTarget
/// (§3.5.2.2: P-patch-16).
#[tokio::test]
async fn interop_refuses_pathless_patch_where_rfc_applies_it() {
    let pathless = json!([
        {"op": "replace", "path": "title", "value": "Boss"},
        {"op": "replace", "value": {"displayName": "Renamed"}}
    ]);
    let interop = Server::new("interop").await;
    let id = interop
        .user(json!({"userName": "p1", "displayName": "Before"}))
        .await;
    let a = interop.patch(&id, pathless.clone()).await;
    assert_eq!(a.error(), (400, "invalidSyntax"), "{}", a.body);
    let a = interop.patch(&id, json!([{"op": "remove"}])).await;
    assert_eq!(a.error(), (400, "invalidSyntax"), "{}", a.body);
    let now = interop.get(&format!("/Users/{id}")).await.body;
    assert_eq!(
        (&now["displayName"], now.get("title")),
        (&json!("Before"), None)
    );

    let rfc = Server::new("rfc").await;
    let id = rfc
        .user(json!({"userName": "p1", "displayName": "Before"}))
        .await;
    let a = rfc.patch(&id, pathless).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(
        (&a.body["displayName"], &a.body["title"]),
        (&json!("Renamed"), &json!("Boss"))
    );
    let a = rfc.patch(&id, json!([{"op": "remove"}])).await;
    assert_eq!(a.error(), (400, "noTarget"), "{}", a.body);
}

/// §6.5.2.1: a replace of the whole `name` replaces the entire object, where RFC 7644
/// §3.5.2.3 (lines 2378-2382, P-patch-26) keeps the sub-attributes not given; an add of the
/// whole `name` merges under both (I-patch-13, P-patch-13).
#[tokio::test]
async fn interop_replaces_a_whole_complex_attribute_where_rfc_merges() {
    let name = json!({"givenName": "Grace", "familyName": "Hopper", "middleName": "B"});
    let replace = json!([{"op": "replace", "path": "name", "value": {"givenName": "Ada"}}]);
    let add = json!([{"op": "add", "path": "name", "value": {"honorificPrefix": "Dr."}}]);
    for (profile, after_replace) in [
        ("interop", json!({"givenName": "Ada"})),
        (
            "rfc",
            json!({"givenName": "Ada", "familyName": "Hopper", "middleName": "B"}),
        ),
    ] {
        let s = Server::new(profile).await;
        let id = s.user(json!({"userName": "c1", "name": name})).await;
        let a = s.patch(&id, replace.clone()).await;
        assert_eq!(a.status, StatusCode::OK, "{profile}: {}", a.body);
        let stored = s.get(&format!("/Users/{id}")).await.body;
        assert_eq!(stored["name"], after_replace, "{profile}");
        s.patch(&id, add.clone()).await;
        let stored = s.get(&format!("/Users/{id}")).await.body;
        let mut merged = after_replace.clone();
        merged["honorificPrefix"] = json!("Dr.");
        assert_eq!(stored["name"], merged, "{profile}");
    }
}

/// §6.3: a filter on /Users naming an attribute (or sub-attribute) User does not define is
/// 400 invalidFilter; the root endpoint is not concerned. The default server lets such a
/// comparison match nothing (RFC 7644 lines 919-922).
#[tokio::test]
async fn interop_refuses_a_filter_on_an_undefined_attribute() {
    let undefined = [
        r#"zzColour eq "red""#,
        r#"name.zz eq "x""#,
        r#"emails[zz eq "x"]"#,
        r#"userName eq "f1" and zzColour pr"#,
    ];
    let interop = Server::new("interop").await;
    interop.user(json!({"userName": "f1"})).await;
    for f in undefined {
        let a = interop.filter(f).await;
        assert_eq!(a.error(), (400, "invalidFilter"), "{f}: {}", a.body);
    }
    let defined = r#"userName eq "F1" and meta.created pr and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr"#;
    let a = interop.filter(defined).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": r#"zzColour eq "red""#});
    let a = interop
        .send(Method::POST, "/.search", Some(search.clone()))
        .await;
    assert_eq!(
        (a.status, &a.body["totalResults"]),
        (StatusCode::OK, &json!(0))
    );
    let a = interop
        .send(Method::POST, "/Users/.search", Some(search))
        .await;
    assert_eq!(a.error(), (400, "invalidFilter"), "{}", a.body);

    let rfc = Server::new("rfc").await;
    rfc.user(json!({"userName": "f1"})).await;
    for f in undefined {
        let a = rfc.filter(f).await;
        assert_eq!(
            (a.status, &a.body["totalResults"]),
            (StatusCode::OK, &json!(0)),
            "{f}"
        );
    }
}

/// §6.4: 250 users, more than the server's maximum page (filter.maxResults 200): without
/// count a page holds at least 100 (SHOULD), count=100 gives 100, and a count above the
/// maximum gives a page of the maximum, not an error (RFC 7644 would also allow 400
/// tooMany). The default server pages the same way (its choices already meet the profile).
#[tokio::test]
async fn interop_pages_by_one_hundred_and_shortens_a_large_count() {
    for profile in ["interop", "rfc"] {
        let s = Server::new(profile).await;
        for i in 0..250 {
            s.user(json!({"userName": format!("page-{i}")})).await;
        }
        let spc = s.get("/ServiceProviderConfig").await.body;
        assert_eq!(spc["filter"]["maxResults"], 200, "{profile}");
        let items = |a: Answer| (a.status, a.body["itemsPerPage"].as_u64().unwrap_or(0));
        let (status, n) = items(s.get("/Users").await);
        assert!(status == StatusCode::OK && n >= 100, "{profile}: {n}");
        assert_eq!(
            items(s.get("/Users?count=100").await),
            (StatusCode::OK, 100),
            "{profile}"
        );
        let large = s.get("/Users?count=100000").await;
        assert_eq!(large.body["totalResults"], 250, "{profile}");
        assert_eq!(items(large), (StatusCode::OK, 200), "{profile}");
    }
}

/// §5.2 and §6.9.1: userName ignores case in filters and in uniqueness alike; a PATCH that
/// takes another user's userName, in another case too, is 409 uniqueness (RFC 7644 lists
/// uniqueness under 400 for PATCH in Table 9; this server answers 409 under both profiles).
/// §6.6: a DELETE deletes, and frees the userName at once.
#[tokio::test]
async fn interop_uniqueness_case_and_delete_agree() {
    for profile in ["interop", "rfc"] {
        let s = Server::new(profile).await;
        let a = s.user(json!({"userName": "JSmith"})).await;
        let b = s.user(json!({"userName": "other"})).await;
        let found = s.filter(r#"userName eq "jsmith""#).await;
        assert_eq!(found.body["totalResults"], 1, "{profile}");
        let dup = s.create(json!({"userName": "jsmith"})).await;
        assert_eq!(dup.error(), (409, "uniqueness"), "{profile}");
        for taken in ["JSmith", "jsmith"] {
            let r = s
                .patch(
                    &b,
                    json!([{"op": "replace", "path": "userName", "value": taken}]),
                )
                .await;
            assert_eq!(r.error(), (409, "uniqueness"), "{profile} {taken}");
        }
        let gone = s.send(Method::DELETE, &format!("/Users/{a}"), None).await;
        assert_eq!(gone.status, StatusCode::NO_CONTENT, "{profile}");
        assert_eq!(
            s.get(&format!("/Users/{a}")).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            s.filter(r#"userName eq "jsmith""#).await.body["totalResults"],
            0
        );
        let r = s
            .patch(
                &b,
                json!([{"op": "replace", "path": "userName", "value": "jsmith"}]),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{profile}: the freed userName is taken at once"
        );
        let dup = s.create(json!({"userName": "JSMITH"})).await;
        assert_eq!(
            dup.error(),
            (409, "uniqueness"),
            "{profile}: now b holds it"
        );
    }
}

/// §6.2: every answer with a SCIM body, errors included, is application/scim+json.
#[tokio::test]
async fn interop_labels_every_scim_body_as_scim_json() {
    let s = Server::new("interop").await;
    let id = s.user(json!({"userName": "m1"})).await;
    let answers = [
        s.get("/ServiceProviderConfig").await,
        s.get("/Schemas").await,
        s.get("/ResourceTypes").await,
        s.get(&format!("/Users/{id}")).await,
        s.get("/Users").await,
        s.get("/Users/nosuch").await,
        s.filter(r#"zz eq "x""#).await,
        s.patch(&id, json!([{"op": "remove"}])).await,
        s.create(json!({"userName": "m1"})).await,
    ];
    for a in answers {
        assert!(a.body.is_object(), "{}", a.status);
        assert_eq!(
            a.media.as_deref(),
            Some("application/scim+json"),
            "{}",
            a.body
        );
    }
}
