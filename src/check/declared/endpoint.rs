//! Where a resource type is served, relative to the base URL, however `/ResourceTypes` wrote
//! it. RFC 7643 §6 (lines 1635-1636) defines `endpoint` as "relative to the Base URL of the
//! service provider, e.g., "Users""; servers also write it with the base path
//! (`/scim/v2/Users`) or as an absolute URL (`https://host/scim/v2/Users`).

use reqwest::Url;

use crate::scim::schema::{self, ResourceType};

/// How an `endpoint` stands to the base URL.
#[derive(Debug, PartialEq, Eq)]
pub enum Placement {
    /// Relative, as RFC 7643 §6 defines it: `/Users`, `Users`.
    Relative(String),
    /// Under the base URL, though written with its path or as an absolute URL.
    Resolved(String),
    /// Not under the base URL: absolute elsewhere, or empty.
    Unplaced,
}

/// Places `written` against `base` (no base: every path is taken as relative). The base
/// path and host are compared without case: servers and proxies differ in both.
pub fn place(written: &str, base: Option<&Url>) -> Placement {
    let written = written.trim();
    let base_path = base.map_or("", |b| b.path().trim_matches('/'));
    let absolute = Url::parse(written).ok().filter(Url::has_host);
    let path = absolute.as_ref().map_or(written, |u| u.path());
    let under_base = if base_path.is_empty() {
        // At the root, an absolute URL is under it when it has the base's origin.
        absolute
            .as_ref()
            .filter(|u| base.is_some_and(|b| same_origin(b, u)))
            .map(|_| segments(path))
    } else {
        // Any origin with the base path (`/scim/v2/Users`, `https://proxy/scim/v2/Users`):
        // behind a proxy, a server's name for itself is not the client's, its path is.
        strip_prefix_ignore_case(path.trim_start_matches('/'), base_path)
            .filter(|rest| rest.starts_with('/'))
            .map(segments)
    };
    match (under_base, absolute) {
        (Some(rest), _) if !rest.is_empty() => Placement::Resolved(rest),
        (Some(_), _) | (None, Some(_)) => Placement::Unplaced,
        (None, None) => match segments(written) {
            rest if rest.is_empty() => Placement::Unplaced,
            rest => Placement::Relative(rest),
        },
    }
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str()
            .zip(b.host_str())
            .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The endpoint a resource type is fitted under, without the slash: where it was placed,
/// else where the RFC serves its schema or name (User → `Users`, Group → `Groups`), else the
/// last segment of what was written.
pub fn resolve(placed: Placement, rt: &ResourceType) -> String {
    match placed {
        Placement::Relative(e) | Placement::Resolved(e) => e,
        Placement::Unplaced => by_schema_or_name(rt).map_or_else(
            || {
                rt.endpoint
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_string()
            },
            str::to_string,
        ),
    }
}

/// The RFC's endpoint of a core resource type, known by its schema URN or its name.
fn by_schema_or_name(rt: &ResourceType) -> Option<&'static str> {
    [
        (schema::USER, "User", "Users"),
        (schema::GROUP, "Group", "Groups"),
    ]
    .into_iter()
    .find(|(urn, name, _)| {
        rt.schema.eq_ignore_ascii_case(urn) || rt.name.eq_ignore_ascii_case(name)
    })
    .map(|(_, _, endpoint)| endpoint)
}

/// A path without its leading and trailing slashes, query or fragment.
fn segments(path: &str) -> String {
    path.split(['?', '#'])
        .next()
        .unwrap_or_default()
        .trim_matches('/')
        .to_string()
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("http://127.0.0.1:8080/scim/v2").unwrap()
    }

    fn rt(name: &str, schema: &str, endpoint: &str) -> ResourceType {
        ResourceType {
            id: name.into(),
            name: name.into(),
            endpoint: endpoint.into(),
            description: String::new(),
            schema: schema.into(),
            schema_extensions: vec![],
        }
    }

    #[test]
    fn relative_endpoints_are_relative_with_or_without_the_slash() {
        for written in ["/Users", "Users", "/Users/"] {
            assert_eq!(
                place(written, Some(&base())),
                Placement::Relative("Users".into()),
                "{written}"
            );
        }
        assert_eq!(place("/Users", None), Placement::Relative("Users".into()));
    }

    #[test]
    fn the_base_path_form_is_resolved() {
        for written in ["/scim/v2/Users", "/SCIM/v2/Users/", "scim/v2/Users"] {
            assert_eq!(
                place(written, Some(&base())),
                Placement::Resolved("Users".into()),
                "{written}"
            );
        }
        // Only whole segments of the base path count.
        assert_eq!(
            place("/scim/v2Users", Some(&base())),
            Placement::Relative("scim/v2Users".into())
        );
        // A base URL with a trailing slash has the same path.
        let slashed = Url::parse("http://h/scim/v2/").unwrap();
        assert_eq!(
            place("/scim/v2/Groups", Some(&slashed)),
            Placement::Resolved("Groups".into())
        );
    }

    #[test]
    fn absolute_urls_are_resolved_against_the_base_url() {
        for written in [
            "http://127.0.0.1:8080/scim/v2/Users",
            "HTTP://127.0.0.1:8080/scim/v2/Users",
            // The server's own name for itself, behind a proxy: the path still places it.
            "https://scim.example.com/scim/v2/Users",
        ] {
            assert_eq!(
                place(written, Some(&base())),
                Placement::Resolved("Users".into()),
                "{written}"
            );
        }
        let root = Url::parse("https://h").unwrap();
        assert_eq!(
            place("https://h/Users", Some(&root)),
            Placement::Resolved("Users".into())
        );
        assert_eq!(
            place("https://other/Users", Some(&root)),
            Placement::Unplaced
        );
        assert_eq!(
            place("https://other/api/Users", Some(&base())),
            Placement::Unplaced
        );
        assert_eq!(
            place("http://127.0.0.1:8080/scim/v2", Some(&base())),
            Placement::Unplaced
        );
        assert_eq!(place("", Some(&base())), Placement::Unplaced);
    }

    #[test]
    fn unplaced_endpoints_fall_back_to_the_schema_urn_then_the_name() {
        let elsewhere = "https://other/api/people";
        assert_eq!(
            resolve(Placement::Unplaced, &rt("Person", schema::USER, elsewhere)),
            "Users"
        );
        assert_eq!(
            resolve(Placement::Unplaced, &rt("user", "urn:x:Person", elsewhere)),
            "Users"
        );
        assert_eq!(
            resolve(
                Placement::Unplaced,
                &rt("Group", "urn:x:Team", "https://other/api/teams")
            ),
            "Groups"
        );
        // Neither: the last segment of what was written.
        assert_eq!(
            resolve(
                Placement::Unplaced,
                &rt("Device", "urn:x:Device", "https://other/api/Devices/")
            ),
            "Devices"
        );
        // Placed endpoints are kept as placed.
        assert_eq!(
            resolve(
                Placement::Resolved("Accounts".into()),
                &rt("User", schema::USER, "/scim/v2/Accounts")
            ),
            "Accounts"
        );
    }
}
