//! The `gen` strategies hold what they promise, judged by the reference model: valid users
//! and groups are created, invalid payloads get the answer the RFC expects, generated
//! filters are accepted in the dialect they were drawn for, malformed ones are refused.

use proptest::prelude::*;
use scimitar::client::RecordedResponse;
use scimitar::r#gen::{self, FilterSpace};
use scimitar::profile::Profile;
use scimitar::server::Reference;
use serde_json::Value;

/// Sends one request to a fresh reference holding one user, with placeholders filled in.
fn send(profile: &Profile, method: &str, path: &str, body: Option<&Value>) -> RecordedResponse {
    session(profile, &[(method, path, body)]).remove(0)
}

/// A request: method, path and body, with `{{user:N}}` and `{{prefix}}` placeholders.
type Request<'a> = (&'a str, &'a str, Option<&'a Value>);

/// Sends the requests in turn to one fresh reference holding one user; their answers.
fn session(profile: &Profile, requests: &[Request]) -> Vec<RecordedResponse> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let reference = Reference::new(profile, "http://reference").expect("reference");
        let seed = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"p-seed",
            "active":true,"emails":[{"value":"seed@example.com"}]}"#;
        let created = reference
            .send("POST", "/Users", &[], false, Some(seed.into()))
            .await;
        let id: Value = serde_json::from_str(&created.body).expect("JSON");
        let id = id["id"].as_str().expect("an id").to_string();
        let fill = |s: &str| {
            regex::Regex::new(r"\{\{user:\d+\}\}")
                .expect("regex")
                .replace_all(&s.replace("{{prefix}}", "p-"), id.as_str())
                .into_owned()
        };
        let mut answers = Vec::new();
        for (method, path, body) in requests {
            let body = body.map(|b| fill(&b.to_string()));
            answers.push(reference.send(method, &fill(path), &[], false, body).await);
        }
        answers
    })
}

/// The operations `gen`'s `failing()` draws: each fails, and with it the whole PATCH.
fn must_fail(op: &Value) -> bool {
    let path = op["path"].as_str();
    path.is_none()
        && op["op"]
            .as_str()
            .is_some_and(|o| o.eq_ignore_ascii_case("remove"))
        || matches!(path, Some("emails[type eq]" | "id"))
}

fn list(profile: &Profile, filter: &str) -> u16 {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("filter", filter)
        .finish();
    send(profile, "GET", &format!("/Users?{query}"), None).status
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn generated_users_are_created(user in r#gen::user()) {
        let r = send(&Profile::rfc(), "POST", "/Users", Some(&user));
        prop_assert_eq!(r.status, 201, "{}", r.body);
    }

    #[test]
    fn generated_groups_are_created(group in r#gen::group()) {
        let r = send(&Profile::rfc(), "POST", "/Groups", Some(&group));
        prop_assert_eq!(r.status, 201, "{}", r.body);
    }

    #[test]
    fn invalid_users_get_the_answer_the_rfc_expects(invalid in r#gen::invalid_user()) {
        let r = send(&Profile::rfc(), "POST", "/Users", Some(&invalid.body));
        prop_assert!(invalid.expected.allows(r.status), "{}: {} {}", invalid.why, r.status, r.body);
    }

    #[test]
    /// A PATCH with an operation that must fail is refused whole, the user unchanged; any
    /// other applies, unless it replaces the work email the seed user lacks (noTarget).
    fn generated_patches_apply_or_fail_whole(patch in r#gen::user_patch(&r#gen::Vocabulary::rfc())) {
        let id_path = "/Users/{{user:0}}";
        let answers = session(&Profile::rfc(), &[
            ("GET", id_path, None),
            ("PATCH", id_path, Some(&patch)),
            ("GET", id_path, None),
        ]);
        let (before, r, after) = (&answers[0], &answers[1], &answers[2]);
        let ops = patch["Operations"].as_array().unwrap();
        if ops.iter().any(must_fail) {
            prop_assert_eq!(r.status, 400, "{}", r.body);
            prop_assert_eq!(&before.body, &after.body, "a refused PATCH changed the user");
        } else if r.status == 400 {
            let error: Value = serde_json::from_str(&r.body).unwrap();
            let work_email = patch.to_string().contains(r#"emails[type eq \"work\"].value"#);
            prop_assert!(error["scimType"] == "noTarget" && work_email, "{}", r.body);
        } else {
            prop_assert!(matches!(r.status, 200 | 204), "{} {}", r.status, r.body);
        }
    }

    #[test]
    fn generated_filters_are_accepted(filter in FilterSpace::new(&Default::default()).users().unwrap()) {
        prop_assert_eq!(list(&Profile::rfc(), &filter), 200, "{}", filter);
    }

    #[test]
    fn filters_drawn_for_new_relic_stay_in_its_dialect(
        filter in FilterSpace::new(&Profile::find("newrelic").unwrap().emulation.filter).users().unwrap()
    ) {
        let newrelic = Profile::find("newrelic").unwrap();
        prop_assert_eq!(list(&newrelic, &filter), 200, "{}", filter);
    }

    #[test]
    fn malformed_filters_are_refused(filter in r#gen::invalid_filter()) {
        prop_assert_eq!(list(&Profile::rfc(), &filter), 400, "{}", filter);
    }
}
