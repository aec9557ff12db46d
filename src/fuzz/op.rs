//! The operations of a fuzzed sequence: requests with placeholders for what only exists
//! when they are sent (see [`crate::r#gen`]), and the strategy that draws them.

use std::collections::HashMap;
use std::fmt;

use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;

use crate::r#gen::{self, FilterSpace, PREFIX, Vocabulary, group_ref, user_ref};
use crate::profile::{Fill, fill_missing};
use crate::suite::Method;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    User,
    Group,
}

impl Resource {
    pub fn endpoint(self) -> &'static str {
        match self {
            Resource::User => "/Users",
            Resource::Group => "/Groups",
        }
    }

    /// The placeholder of the `n`-th resource of this type.
    fn placeholder(self, n: usize) -> String {
        match self {
            Resource::User => user_ref(n),
            Resource::Group => group_ref(n),
        }
    }
}

/// What the comparison needs to know of an operation beyond its request.
#[derive(Debug, Clone, PartialEq)]
pub enum Purpose {
    Create(Resource),
    /// A create of an invalid payload, what is wrong with it, and the answers the RFC
    /// allows. The model answers one of them (`tests/it/gen.rs` holds it to
    /// [`crate::r#gen::Expected`]), or as the profile documents.
    Invalid {
        why: &'static str,
        expected: crate::r#gen::Expected,
    },
    /// A list query; `sort_by` orders it, `paged` narrows it to a page.
    List {
        sort_by: Option<String>,
        paged: bool,
    },
    /// A cursor walk (RFC 9865) of a list query with `count` per page, each side following
    /// its own cursors; `tamper` sends a changed cursor after the first page instead.
    Walk {
        count: usize,
        tamper: bool,
    },
    /// A read of `/ServiceProviderConfig`, `/Schemas` or `/ResourceTypes`: their contents are
    /// the server's own, so only the answer's status and type are compared.
    Discovery,
    /// A Bulk request: a user and a group referring to it by bulkId.
    Bulk,
    Other,
}

#[derive(Debug, Clone)]
pub struct Op {
    pub method: Method,
    /// Below the base URL, e.g. `/Users/{{user:3}}`.
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Extra request headers (`If-Match`).
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
    /// Sent without credentials.
    pub anonymous: bool,
    pub purpose: Purpose,
}

/// An operation with its placeholders filled in.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl Op {
    /// The path with each id as `{id}`: `/Users/{id}`.
    pub fn path_shape(&self) -> String {
        let mut path = String::new();
        for seg in self.path.split('/').filter(|s| !s.is_empty()) {
            path.push('/');
            path.push_str(if seg.contains("{{") { "{id}" } else { seg });
        }
        path
    }

    /// Fills every placeholder (`{{prefix}}`, `{{user:N}}`, `{{group:N}}`) with `fill`.
    pub fn render(&self, fill: &dyn Fn(&str) -> String) -> Rendered {
        Rendered {
            method: self.method,
            path: fill_text(&self.path, fill),
            query: self
                .query
                .iter()
                .map(|(k, v)| (k.clone(), fill_text(v, fill)))
                .collect(),
            headers: self.headers.clone(),
            body: self.body.as_ref().map(|b| fill_value(b, fill)),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method.as_str(), self.path)?;
        for (i, (k, v)) in self.query.iter().enumerate() {
            write!(f, "{}{k}={v}", if i == 0 { '?' } else { '&' })?;
        }
        if let Purpose::Invalid { why, .. } = &self.purpose {
            write!(f, " ({why})")?;
        }
        for (k, v) in &self.headers {
            write!(f, " [{k}: {v}]")?;
        }
        if self.anonymous {
            f.write_str(" [no credentials]")?;
        }
        Ok(())
    }
}

fn fill_text(s: &str, fill: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str(&fill(&rest[start + 2..start + 2 + len]));
        rest = &rest[start + 4 + len..];
    }
    out.push_str(rest);
    out
}

fn fill_value(v: &Value, fill: &dyn Fn(&str) -> String) -> Value {
    match v {
        Value::String(s) if s.contains("{{") => Value::String(fill_text(s, fill)),
        Value::Array(items) => Value::Array(items.iter().map(|i| fill_value(i, fill)).collect()),
        Value::Object(obj) => Value::Object(
            obj.iter()
                .map(|(k, v)| (k.clone(), fill_value(v, fill)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn resource() -> impl Strategy<Value = Resource> {
    prop_oneof![3 => Just(Resource::User), 1 => Just(Resource::Group)]
}

/// `attributes` or `excludedAttributes` naming an attribute `resource` declares, sometimes.
fn projection(vocabulary: &Vocabulary, resource: Resource) -> BoxedStrategy<Vec<(String, String)>> {
    let declared = declared(
        vocabulary,
        resource,
        match resource {
            Resource::User => &[
                "displayName",
                "emails",
                "name.givenName",
                "userName",
                "groups",
            ],
            Resource::Group => &["displayName", "members"],
        },
    );
    // `id`, a common attribute (RFC 7643 §3.1), where the resource declares none of them.
    let names = select(if declared.is_empty() {
        vec!["id"]
    } else {
        declared
    });
    option::of((any::<bool>(), names))
        .prop_map(|p| match p {
            Some((true, n)) => vec![("attributes".into(), n.into())],
            Some((false, n)) => vec![("excludedAttributes".into(), n.into())],
            None => Vec::new(),
        })
        .boxed()
}

fn op(
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<Value>,
    purpose: Purpose,
) -> Op {
    Op {
        method,
        path,
        query,
        headers: Vec::new(),
        body,
        anonymous: false,
        purpose,
    }
}

fn at(resource: Resource, n: usize) -> String {
    format!("{}/{}", resource.endpoint(), resource.placeholder(n))
}

/// Those of `names` that `resource` declares.
fn declared(
    vocabulary: &Vocabulary,
    resource: Resource,
    names: &[&'static str],
) -> Vec<&'static str> {
    let endpoint = resource.endpoint().trim_start_matches('/');
    (names.iter().copied())
        .filter(|n| vocabulary.has(endpoint, n))
        .collect()
}

/// A filter kept to this run's resources of `resource`, and the declared names it sorts by.
fn scoped_filter(
    space: &FilterSpace,
    resource: Resource,
) -> Option<(BoxedStrategy<String>, Vec<&'static str>)> {
    let (attr, filters, sorts): (_, _, &[&'static str]) = match resource {
        Resource::User => (
            "userName",
            space.users(),
            &["userName", "name.familyName", "displayName"],
        ),
        Resource::Group => ("displayName", space.groups(), &["displayName"]),
    };
    let sorts = declared(space.vocabulary(), resource, sorts);
    if declared(space.vocabulary(), resource, &[attr]).is_empty() {
        // What would keep a list to this run's resources is not declared.
        return None;
    }
    // Without `sw` and `and`, only an exact userName keeps a list to this run.
    let filter = if let Some(filters) = filters
        && space.scoped(attr, "").is_some()
    {
        let space = space.clone();
        filters
            .prop_filter_map("the dialect cannot keep a filter to this run", move |f| {
                space.scoped(attr, &f)
            })
            .boxed()
    } else if resource == Resource::User
        && space.allows(crate::scim::filter::Operator::Compare(
            crate::scim::filter::CompareOp::Eq,
        ))
    {
        r#gen::user_name_filter().boxed()
    } else {
        return None;
    };
    Some((filter, sorts))
}

/// A cursor walk of a list query over `resource`, one time in four with a tampered cursor.
fn walk(space: &FilterSpace, resource: Resource) -> Option<BoxedStrategy<Op>> {
    let (filter, _) = scoped_filter(space, resource)?;
    Some(
        (filter, 1..4usize, proptest::bool::weighted(0.25))
            .prop_map(move |(filter, count, tamper)| {
                let query = vec![
                    ("filter".into(), filter),
                    ("cursor".into(), String::new()),
                    ("count".into(), count.to_string()),
                ];
                op(
                    Method::Get,
                    resource.endpoint().into(),
                    query,
                    None,
                    Purpose::Walk { count, tamper },
                )
            })
            .boxed(),
    )
}

/// A list query over `resource`: a filter kept to this run's resources, sorting, paging.
fn list(space: &FilterSpace, resource: Resource) -> Option<BoxedStrategy<Op>> {
    let (filter, sorts) = scoped_filter(space, resource)?;
    let sort = if sorts.is_empty() {
        Just(None).boxed()
    } else {
        option::of((
            select(sorts),
            option::of(select(&["ascending", "descending"][..])),
        ))
        .boxed()
    };
    let paging = option::of((option::of(1..4u8), option::of(0..4u8)));
    Some(
        (
            filter,
            sort,
            paging,
            projection(space.vocabulary(), resource),
        )
            .prop_map(move |(filter, sort, paging, mut query)| {
                query.push(("filter".into(), filter));
                let sort_by = sort.map(|(by, order)| {
                    query.push(("sortBy".into(), by.into()));
                    if let Some(o) = order {
                        query.push(("sortOrder".into(), o.into()));
                    }
                    by.to_string()
                });
                let paged = paging.is_some();
                if let Some((start, count)) = paging {
                    if let Some(s) = start {
                        query.push(("startIndex".into(), s.to_string()));
                    }
                    if let Some(c) = count {
                        query.push(("count".into(), c.to_string()));
                    }
                }
                op(
                    Method::Get,
                    resource.endpoint().into(),
                    query,
                    None,
                    Purpose::List { sort_by, paged },
                )
            })
            .boxed(),
    )
}

/// `body` with the attributes `fill` names for `endpoint` added where it has none, so that a
/// vendor's extra required attributes do not refuse every create.
fn filled(mut body: Value, endpoint: &str, fill: &Fill) -> Value {
    let (Some(obj), Some(members)) = (body.as_object_mut(), fill.get(endpoint)) else {
        return body;
    };
    let vars = HashMap::from([("fill_id".to_string(), Value::from(format!("{PREFIX}fill")))]);
    fill_missing(obj, members, &vars);
    body
}

/// What the target advertises that the sequences may use.
#[derive(Debug, Clone, Copy)]
pub struct Offered {
    /// ETags: writes with a stale `If-Match`.
    pub etag: bool,
    /// Bulk: a user and a group created in one request (RFC 7644 §3.7).
    pub bulk: bool,
    /// Cursor paging (RFC 9865): list queries walked by cursor.
    pub cursor: bool,
}

/// A Bulk request creating a user and a group whose member it is, by its bulkId: the group
/// must hold the user's id (RFC 7644 §3.7.2).
fn bulk() -> impl Strategy<Value = Op> {
    select(&["ada", "grace", "alan"][..]).prop_map(|name| {
        let body = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "user",
                    "data": {"schemas": [crate::scim::schema::USER], "userName": format!("{PREFIX}bulk-{name}")}},
                {"method": "POST", "path": "/Groups", "bulkId": "group",
                    "data": {"schemas": [crate::scim::schema::GROUP], "displayName": format!("{PREFIX}bulk-{name}"),
                        "members": [{"value": "bulkId:user"}]}}
            ]
        });
        op(Method::Post, "/Bulk".into(), Vec::new(), Some(body), Purpose::Bulk)
    })
}

/// A write of the `n`-th resource with a version it never had: refused with 412 where ETags
/// are offered (RFC 7644 §3.14).
fn stale(method: Method) -> impl Strategy<Value = Op> {
    (resource(), 0..8usize).prop_map(move |(r, i)| {
        let body = match (method, r) {
            (Method::Patch, _) => Some(serde_json::json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "externalId", "value": format!("{PREFIX}stale")}]
            })),
            (Method::Put, Resource::User) => Some(serde_json::json!({
                "schemas": [crate::scim::schema::USER], "userName": format!("{PREFIX}stale")
            })),
            (Method::Put, Resource::Group) => Some(serde_json::json!({
                "schemas": [crate::scim::schema::GROUP], "displayName": format!("{PREFIX}stale")
            })),
            _ => None,
        };
        let mut o = op(method, at(r, i), Vec::new(), body, Purpose::Other);
        o.headers
            .push(("If-Match".into(), "W/\"scimitar-stale\"".into()));
        o
    })
}

/// The discovery endpoints, sometimes with a filter, which they do not take (RFC 7644 §4).
fn discovery() -> impl Strategy<Value = Op> {
    let endpoints = select(&["/ServiceProviderConfig", "/Schemas", "/ResourceTypes"][..]);
    (endpoints, any::<bool>()).prop_map(|(e, filtered)| {
        let query = if filtered {
            vec![("filter".to_string(), "id eq \"User\"".to_string())]
        } else {
            Vec::new()
        };
        op(Method::Get, e.into(), query, None, Purpose::Discovery)
    })
}

/// A read without credentials: refused with 401 (RFC 7644 §3.12).
fn anonymous() -> impl Strategy<Value = Op> {
    (resource(), 0..8usize, any::<bool>()).prop_map(|(r, i, one)| {
        let path = if one {
            at(r, i)
        } else {
            r.endpoint().to_string()
        };
        let mut o = op(Method::Get, path, Vec::new(), None, Purpose::Other);
        o.anonymous = true;
        o
    })
}

/// One operation of a sequence, over users and groups, in the filter dialect of `space`,
/// with bodies completed by `fill`, using what the target `offers`.
pub fn operation(space: &FilterSpace, fill: &Fill, offers: Offered) -> BoxedStrategy<Op> {
    let n = || 0..8usize;
    let vocabulary = space.vocabulary().clone();
    let write = |method: Method, resource: Resource, body: BoxedStrategy<Value>| {
        let fill = fill.clone();
        let to_one = method != Method::Post;
        (n(), body)
            .prop_map(move |(i, b)| {
                let path = if to_one {
                    at(resource, i)
                } else {
                    resource.endpoint().to_string()
                };
                let purpose = match method {
                    Method::Post => Purpose::Create(resource),
                    _ => Purpose::Other,
                };
                let body = if method == Method::Patch {
                    b
                } else {
                    filled(b, resource.endpoint(), &fill)
                };
                op(method, path, Vec::new(), Some(body), purpose)
            })
            .boxed()
    };
    let invalid = {
        let fill = fill.clone();
        r#gen::invalid_user().prop_map(move |i| {
            let body = filled(i.body, "/Users", &fill);
            op(
                Method::Post,
                "/Users".into(),
                Vec::new(),
                Some(body),
                Purpose::Invalid {
                    why: i.why,
                    expected: i.expected,
                },
            )
        })
    };
    let mut choices: Vec<(u32, BoxedStrategy<Op>)> = vec![
        (
            5,
            write(Method::Post, Resource::User, r#gen::user().boxed()),
        ),
        (
            2,
            write(Method::Post, Resource::Group, r#gen::group().boxed()),
        ),
        (1, invalid.boxed()),
        (
            3,
            resource()
                .prop_flat_map(move |r| (Just(r), n(), projection(&vocabulary, r)))
                .prop_map(|(r, i, q)| op(Method::Get, at(r, i), q, None, Purpose::Other))
                .boxed(),
        ),
        (1, write(Method::Put, Resource::User, r#gen::user().boxed())),
        (
            1,
            write(Method::Put, Resource::Group, r#gen::group().boxed()),
        ),
        (
            3,
            write(
                Method::Patch,
                Resource::User,
                r#gen::user_patch(space.vocabulary()).boxed(),
            ),
        ),
        (
            2,
            write(
                Method::Patch,
                Resource::Group,
                r#gen::group_patch(space.vocabulary()).boxed(),
            ),
        ),
        (
            1,
            (resource(), n())
                .prop_map(|(r, i)| {
                    let body = Some(r#gen::empty_patch());
                    op(Method::Patch, at(r, i), Vec::new(), body, Purpose::Other)
                })
                .boxed(),
        ),
        (
            1,
            (resource(), n())
                .prop_map(|(r, i)| op(Method::Delete, at(r, i), Vec::new(), None, Purpose::Other))
                .boxed(),
        ),
        (
            1,
            r#gen::invalid_filter()
                .prop_map(|f| {
                    op(
                        Method::Get,
                        "/Users".into(),
                        vec![("filter".into(), f)],
                        None,
                        Purpose::Other,
                    )
                })
                .boxed(),
        ),
    ];
    choices.push((1, discovery().boxed()));
    choices.push((1, anonymous().boxed()));
    if offers.etag {
        for m in [Method::Put, Method::Patch, Method::Delete] {
            choices.push((1, stale(m).boxed()));
        }
    }
    if offers.bulk {
        choices.push((1, bulk().boxed()));
    }
    if let Some(users) = list(space, Resource::User) {
        choices.push((3, users));
    }
    if let Some(groups) = list(space, Resource::Group) {
        choices.push((1, groups));
    }
    if offers.cursor {
        choices.extend(walk(space, Resource::User).map(|w| (2, w)));
        choices.extend(walk(space, Resource::Group).map(|w| (1, w)));
    }
    proptest::strategy::Union::new_weighted(choices).boxed()
}

/// A sequence of up to `max` operations.
pub fn sequence(
    space: &FilterSpace,
    fill: &Fill,
    offers: Offered,
    max: usize,
) -> BoxedStrategy<Vec<Op>> {
    proptest::collection::vec(operation(space, fill, offers), 1..=max).boxed()
}

/// The run's prefix on userNames and displayNames, for `n`-th execution of run `run_id`.
pub fn prefix(run_id: &str, n: u64) -> String {
    format!("scimitar-{run_id}-{n}-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::fit::{Fit, Shape};
    use crate::profile::Profile;
    use crate::scim::filter::{self, AttrPath, Filter};
    use crate::scim::schema::{GROUP, USER};
    use proptest::test_runner::TestRunner;

    /// What the `minimal` profile declares (fixtures/profiles/minimal.yaml) with the common
    /// attributes, by endpoint, as `attr` or `attr.sub` in lower case.
    const MINIMAL: &[(&str, &[&str])] = &[
        (
            "Users",
            &[
                "id",
                "externalid",
                "meta",
                "username",
                "name",
                "name.givenname",
                "name.familyname",
                "emails",
                "emails.value",
                "emails.primary",
                "active",
            ],
        ),
        (
            "Groups",
            &[
                "id",
                "externalid",
                "meta",
                "displayname",
                "members",
                "members.value",
            ],
        ),
    ];

    fn name(p: &AttrPath, parent: Option<&AttrPath>) -> String {
        let core = |u: &String| u.eq_ignore_ascii_case(USER) || u.eq_ignore_ascii_case(GROUP);
        let p = match parent {
            Some(parent) => AttrPath {
                urn: parent.urn.clone(),
                attr: parent.attr.clone(),
                sub: Some(p.attr.clone()),
            },
            None => p.clone(),
        };
        let mut n = match p.urn.filter(|u| !core(u)) {
            Some(u) => format!("{u}:{}", p.attr),
            None => p.attr,
        };
        if let Some(s) = p.sub {
            n = format!("{n}.{s}");
        }
        n.to_ascii_lowercase()
    }

    fn filter_names(f: &Filter, parent: Option<&AttrPath>, out: &mut Vec<String>) {
        match f {
            Filter::Compare { path, .. } | Filter::Present(path) => out.push(name(path, parent)),
            Filter::And(a, b) | Filter::Or(a, b) => {
                filter_names(a, parent, out);
                filter_names(b, parent, out);
            }
            Filter::Not(a) => filter_names(a, parent, out),
            Filter::ValuePath { path, filter } => {
                out.push(name(path, parent));
                filter_names(filter, Some(path), out);
            }
        }
    }

    fn path_names(path: &str, out: &mut Vec<String>) {
        if let Ok(p) = filter::parse_patch_path(path) {
            out.push(name(&p.path, None));
            if let Some(f) = &p.filter {
                filter_names(f, Some(&p.path), out);
            }
        }
    }

    /// The attributes a request to /Users or /Groups names in its filter, sort, projection
    /// and PATCH paths (and path-less PATCH values), with its endpoint; how many of each.
    fn named(o: &Op, out: &mut Vec<(String, String)>, seen: &mut [usize; 3]) {
        let endpoint = o
            .path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        if !matches!(endpoint, "Users" | "Groups") {
            return;
        }
        let mut names = Vec::new();
        for (k, v) in &o.query {
            match k.as_str() {
                "filter" => {
                    if let Ok(f) = filter::parse(v) {
                        filter_names(&f, None, &mut names);
                        seen[0] += 1;
                    }
                }
                "sortBy" | "attributes" | "excludedAttributes" => {
                    path_names(v, &mut names);
                    seen[1] += 1;
                }
                _ => {}
            }
        }
        if o.method == Method::Patch {
            for op in o.body.as_ref().unwrap()["Operations"].as_array().unwrap() {
                match (&op["path"], &op["value"]) {
                    (Value::String(p), _) => path_names(p, &mut names),
                    (_, Value::Object(v)) => v.keys().for_each(|k| path_names(k, &mut names)),
                    _ => continue,
                }
                seen[2] += 1;
            }
        }
        out.extend(names.into_iter().map(|n| (endpoint.to_string(), n)));
    }

    /// The attributes named by 3,000 operations drawn over `vocabulary`, that `minimal`
    /// does not declare.
    fn undeclared(vocabulary: Vocabulary) -> Vec<(String, String)> {
        let space = FilterSpace::new(&Default::default()).within(vocabulary);
        let offers = Offered {
            etag: true,
            bulk: true,
            cursor: true,
        };
        let strategy = operation(&space, &Fill::default(), offers);
        let mut runner = TestRunner::deterministic();
        let (mut names, mut seen) = (Vec::new(), [0; 3]);
        for _ in 0..3000 {
            let o = strategy.new_tree(&mut runner).unwrap().current();
            named(&o, &mut names, &mut seen);
        }
        // Filters, sorts and projections, PATCH paths: each drawn often enough to count.
        assert!(seen.iter().all(|n| *n > 100), "{seen:?}");
        names.retain(|(endpoint, n)| {
            !MINIMAL
                .iter()
                .any(|(e, declared)| e == endpoint && declared.contains(&n.as_str()))
        });
        names.sort();
        names.dedup();
        names
    }

    #[test]
    fn filters_paths_and_sorts_name_only_declared_attributes() {
        let minimal = Profile::find("minimal").unwrap().registry().unwrap();
        let fit = Fit::new(Shape::of_registry(&minimal));
        let vocabulary = Vocabulary::declared(move |e, p| fit.declares(e, p));
        assert_eq!(undeclared(vocabulary), Vec::<(String, String)>::new());
        // Over the whole RFC the same draws name what `minimal` lacks: the check sees it.
        let all = undeclared(Vocabulary::rfc());
        for lacking in ["title", "emails.type", "displayname", "nickname"] {
            assert!(
                all.contains(&("Users".to_string(), lacking.to_string())),
                "{lacking} not drawn: {all:?}"
            );
        }
    }

    #[test]
    fn placeholders_are_filled_everywhere() {
        let o = op(
            Method::Patch,
            format!("/Groups/{}", group_ref(1)),
            vec![("filter".into(), format!("userName eq \"{PREFIX}a\""))],
            Some(
                serde_json::json!({"Operations": [{"path": format!("members[value eq \"{}\"]", user_ref(2))}]}),
            ),
            Purpose::Other,
        );
        let r = o.render(&|k| format!("<{k}>"));
        assert_eq!(r.path, "/Groups/<group:1>");
        assert_eq!(r.query[0].1, "userName eq \"<prefix>a\"");
        assert_eq!(
            r.body.unwrap()["Operations"][0]["path"],
            "members[value eq \"<user:2>\"]"
        );
    }
}
