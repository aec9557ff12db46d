//! The `gen` strategies hold what they promise, judged by the reference model: valid users
//! and groups are created, invalid payloads get the answer the RFC expects, generated
//! filters are accepted in the dialect they were drawn for, malformed ones are refused.

use proptest::prelude::*;
use scimitar::r#gen::{self, FilterSpace};
use scimitar::profile::Profile;
use scimitar::server::Reference;
use scimitar::target::RecordedResponse;
use serde_json::Value;

/// Sends one request to a fresh reference holding one user, with placeholders filled in.
fn send(profile: &Profile, method: &str, path: &str, body: Option<&Value>) -> RecordedResponse {
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
        reference
            .send(
                method,
                &fill(path),
                &[],
                false,
                body.map(|b| fill(&b.to_string())),
            )
            .await
    })
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
    fn generated_patches_apply_or_fail_with_a_client_error(patch in r#gen::user_patch()) {
        let id_path = "/Users/{{user:0}}";
        let r = send(&Profile::rfc(), "PATCH", id_path, Some(&patch));
        prop_assert!(matches!(r.status, 200 | 204 | 400 | 409), "{} {}", r.status, r.body);
    }

    #[test]
    fn generated_filters_are_accepted(filter in FilterSpace::new(&Default::default()).users()) {
        prop_assert_eq!(list(&Profile::rfc(), &filter), 200, "{}", filter);
    }

    #[test]
    fn filters_drawn_for_new_relic_stay_in_its_dialect(
        filter in FilterSpace::new(&Profile::find("newrelic").unwrap().emulation.filter).users()
    ) {
        let newrelic = Profile::find("newrelic").unwrap();
        prop_assert_eq!(list(&newrelic, &filter), 200, "{}", filter);
    }

    #[test]
    fn malformed_filters_are_refused(filter in r#gen::invalid_filter()) {
        prop_assert_eq!(list(&Profile::rfc(), &filter), 400, "{}", filter);
    }
}
