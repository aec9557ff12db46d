//! What an identity provider sends with every user it provisions (Entra ID and Okta alike,
//! `shared/entra.md`, `shared/okta.md`): a userName that is an email address, that address as
//! the primary work email, a given and a family name, a display name, `active`, and an
//! externalId of its own. Servers built for them may require any of it (RFC 7644 §3.3 lets a
//! service provider refuse a create it finds incomplete), so the suites' users carry it all,
//! added where a create's body lacks the member, so that a case's own data always wins.

use serde_json::{Map, Value, json};

/// Adds to a User create what it lacks of an identity provider's users; `external_id` is
/// unique to this create.
pub fn complete_user(obj: &mut Map<String, Value>, external_id: &str) {
    let has =
        |obj: &Map<String, Value>, k: &str| obj.keys().any(|have| have.eq_ignore_ascii_case(k));
    let user_name = obj
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("userName"))
        .and_then(|(_, v)| v.as_str())
        .unwrap_or(external_id)
        .to_string();
    let email = if user_name.contains('@') {
        user_name
    } else {
        format!("{user_name}@example.com")
    };
    let defaults = [
        (
            "emails",
            json!([{"value": email, "type": "work", "primary": true}]),
        ),
        (
            "name",
            json!({"givenName": "Ada", "familyName": "Lovelace"}),
        ),
        ("displayName", json!("Ada Lovelace")),
        ("active", json!(true)),
        ("externalId", json!(external_id)),
    ];
    for (k, v) in defaults {
        if !has(obj, k) {
            obj.insert(k.to_string(), v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_gets_what_an_identity_provider_sends_and_keeps_its_own() {
        let mut u = json!({"userName": "ada@example.com", "Name": {"familyName": "Byron"}});
        complete_user(u.as_object_mut().unwrap(), "x-1");
        assert_eq!(
            u["emails"],
            json!([{"value": "ada@example.com", "type": "work", "primary": true}])
        );
        assert_eq!(u["Name"], json!({"familyName": "Byron"}));
        assert!(u.get("name").is_none());
        assert_eq!(
            (&u["active"], &u["externalId"]),
            (&json!(true), &json!("x-1"))
        );
        let mut plain = json!({"userName": "grace"});
        complete_user(plain.as_object_mut().unwrap(), "x-2");
        assert_eq!(plain["emails"][0]["value"], "grace@example.com");
    }
}
