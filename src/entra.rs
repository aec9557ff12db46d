//! Entra attribute mappings (`fixtures/entra/*.yaml`) turned into round-trip cases: each
//! mapped attribute is set on create, changed with the PATCH Entra sends in the chosen
//! behaviour, read back, and found by filter where it is a matching attribute. The cases are
//! written as a suite document and loaded like any suite file.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::suite::{self, LoadError, Loaded};

/// Entra's two PATCH behaviours (see `suites/entra/users.yaml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Behaviour {
    /// Capitalised ops, booleans as "True"/"False", one operation per attribute.
    Default,
    /// The `aadOptscim062020` flag: lower-case ops, JSON booleans, keyed no-path replace.
    Compliant,
}

impl Behaviour {
    /// The tag of the suite cases that only this behaviour sends.
    pub fn tag(self) -> &'static str {
        match self {
            Behaviour::Default => "entra-default",
            Behaviour::Compliant => "entra-compliant",
        }
    }

    /// How this behaviour spells PATCH ops and booleans, as the `entra_*` suite variables.
    pub fn variables(self) -> crate::suite::template::Vars {
        let (add, replace, remove, t, f) = match self {
            Behaviour::Default => ("Add", "Replace", "Remove", json!("True"), json!("False")),
            Behaviour::Compliant => ("add", "replace", "remove", json!(true), json!(false)),
        };
        [
            ("entra_add", json!(add)),
            ("entra_replace", json!(replace)),
            ("entra_remove", json!(remove)),
            ("entra_true", t),
            ("entra_false", f),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    pub fn other(self) -> Self {
        match self {
            Behaviour::Default => Behaviour::Compliant,
            Behaviour::Compliant => Behaviour::Default,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub app: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub users: Vec<Row>,
    #[serde(default)]
    pub groups: Vec<Row>,
}

/// One row of an Entra mapping table: the SCIM target attribute and its type.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    pub target: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    /// Entra matches resources on it, so the app must filter by it with `eq`.
    #[serde(default)]
    pub matching: bool,
    #[serde(default)]
    pub multi_valued: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Kind {
    String,
    Boolean,
    /// `manager` for users (the manager's id), `members` for groups.
    Reference,
}

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Reads a mapping (a file on disk, or a built-in one at that path:
/// `fixtures/entra/new-relic-by-organization.yaml`) and loads its cases as a suite named
/// after the file.
pub fn load(
    path: &Path,
    behaviour: Behaviour,
    schemas: &std::collections::HashSet<String>,
) -> Result<Loaded, LoadError> {
    let text = crate::builtin::read(path).map_err(|e| LoadError(format!("error: {e}")))?;
    let mapping: Mapping = serde_saphyr::from_str(&text)
        .map_err(|e| LoadError(format!("{}: error: {e}", path.display())))?;
    let stem = path
        .file_stem()
        .map_or("mapping".into(), |s| s.to_string_lossy().into_owned());
    let doc = suite_document(&stem, &mapping, behaviour)
        .map_err(|e| LoadError(format!("{}: error: {e}", path.display())))?;
    let generated = PathBuf::from(format!("{} (generated)", path.display()));
    let text = serde_json::to_string_pretty(&doc).expect("a JSON value serialises");
    let suite = suite::load::parse(&generated, &text, schemas)?;
    Ok(Loaded {
        path: generated,
        suite,
    })
}

/// The suite document: one case per mapped attribute.
pub fn suite_document(name: &str, m: &Mapping, behaviour: Behaviour) -> Result<Value, String> {
    let mut cases = Vec::new();
    for row in &m.users {
        cases.push(user_case(row, behaviour)?);
    }
    for row in &m.groups {
        cases.push(group_case(row, behaviour)?);
    }
    Ok(json!({
        "name": format!("entra-mapping-{name}"),
        "description": format!("Round trips of the Entra attribute mapping of {}", m.app),
        "tags": ["entra", "mapping"],
        "requires": ["patch", "filter"],
        "cases": cases,
    }))
}

/// Where a mapping target lives: an optional extension URN, the attribute, an optional value
/// filter selecting one element of a multi-valued attribute, and an optional sub-attribute.
#[derive(Debug, PartialEq)]
struct Target<'a> {
    urn: Option<&'a str>,
    attr: &'a str,
    filter: Option<(&'a str, &'a str)>,
    sub: Option<&'a str>,
}

fn parse_target(t: &str) -> Result<Target<'_>, String> {
    let (urn, rest) = match t.rfind(':') {
        Some(i) if t.starts_with("urn:") => (Some(&t[..i]), &t[i + 1..]),
        _ => (None, t),
    };
    let (head, sub) = match rest.rsplit_once('.') {
        Some((h, s)) if !s.contains(']') || h.ends_with(']') => (h, Some(s)),
        _ => (rest, None),
    };
    let (attr, filter) = match head.split_once('[') {
        None => (head, None),
        Some((a, f)) => {
            let f = f
                .strip_suffix(']')
                .ok_or_else(|| format!("`{t}`: unclosed `[`"))?;
            let (field, value) = f
                .split_once(" eq ")
                .ok_or_else(|| format!("`{t}`: only `[x eq \"v\"]` filters are mapped"))?;
            let value = value.trim().trim_matches('"');
            (a, Some((field.trim(), value)))
        }
    };
    Ok(Target {
        urn,
        attr,
        filter,
        sub,
    })
}

/// A filter literal as the JSON value it stands for ("True" on `primary` is a boolean).
fn literal(v: &str) -> Value {
    match v {
        v if v.eq_ignore_ascii_case("true") => Value::Bool(true),
        v if v.eq_ignore_ascii_case("false") => Value::Bool(false),
        v => Value::String(v.into()),
    }
}

impl Target<'_> {
    /// `value` placed where the target says, in a resource body.
    fn place(&self, body: &mut Map<String, Value>, value: Value) {
        let holder = match self.urn {
            Some(urn) if urn != USER => body
                .entry(urn.to_string())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("an extension is an object"),
            _ => body,
        };
        let inner = match (self.filter, self.sub) {
            (Some((field, v)), Some(sub)) => json!([{ field: literal(v), sub: value }]),
            (None, Some(sub)) => json!({ sub: value }),
            (_, None) => value,
        };
        holder.insert(self.attr.to_string(), inner);
    }

    /// The JSON pointer and assertion that read `value` back.
    fn expect(&self, value: &Value) -> (String, Value) {
        let base = match self.urn {
            Some(urn) if urn != USER => format!("/{urn}/{}", self.attr),
            _ => format!("/{}", self.attr),
        };
        match (self.filter, self.sub) {
            (Some((field, v)), Some(sub)) => {
                (base, json!({"contains": { field: literal(v), sub: value }}))
            }
            (None, Some(sub)) => (format!("{base}/{sub}"), value.clone()),
            (_, None) => (base, value.clone()),
        }
    }
}

fn slug(s: &str) -> String {
    let s = s.rsplit(':').next().unwrap_or(s);
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

fn delete(what: &str, var: &str) -> Value {
    json!({"request": {"method": "DELETE", "path": format!("/{what}/{{{{{var}}}}}")},
        "expect": {"status": [204, 404]}})
}

fn create(endpoint: &str, body: Value, var: &str) -> Value {
    json!({"request": {"method": "POST", "path": endpoint, "body": body},
        "expect": {"status": 201}, "capture": {var: "/id"}})
}

/// The PATCH Entra sends to set `target` to `value`.
impl Target<'_> {
    /// The rule the PATCH of [`patch_op`] rests on, which the read-back shows: replace with
    /// no path (P-patch-22), of a filtered sub-attribute (P-patch-28), of a sub-attribute of a
    /// complex attribute (P-patch-26), of a single value (P-patch-23).
    fn replace_row(&self, behaviour: Behaviour) -> &'static str {
        match (behaviour, &self.filter, self.sub) {
            (Behaviour::Compliant, _, _) => "P-patch-22",
            (Behaviour::Default, Some(_), _) => "P-patch-28",
            (Behaviour::Default, None, Some(_)) => "P-patch-26",
            (Behaviour::Default, None, None) => "P-patch-23",
        }
    }
}

fn patch_op(target: &str, value: Value, behaviour: Behaviour) -> Value {
    match behaviour {
        Behaviour::Default => json!({"op": "Replace", "path": target, "value": value}),
        Behaviour::Compliant => json!({"op": "replace", "value": { target: value }}),
    }
}

fn user_case(row: &Row, behaviour: Behaviour) -> Result<Value, String> {
    let t = parse_target(&row.target)?;
    let name = format!("user_{}", slug(&row.target));
    let mut body = Map::new();
    let mut schemas = vec![Value::String(USER.into())];
    if let Some(urn) = t.urn.filter(|u| *u != USER) {
        schemas.push(Value::String(urn.into()));
    }
    body.insert("schemas".into(), Value::Array(schemas));
    body.insert("userName".into(), json!("{{unique}}@contoso.example"));
    body.insert("active".into(), json!(true));
    let mut steps = Vec::new();
    let mut teardown = vec![delete("Users", "user_id")];
    let (first, second, sent): (Value, Value, Value) = match row.kind {
        Kind::Boolean => {
            let sent = match behaviour {
                Behaviour::Default => json!("False"),
                Behaviour::Compliant => json!(false),
            };
            (json!(true), json!(false), sent)
        }
        Kind::String => {
            let v = |n: u8| match t.attr {
                "userName" => json!(format!("{{{{unique}}}}-{n}@contoso.example")),
                _ => json!(format!("{{{{unique}}}} {} {n}", slug(&row.target))),
            };
            let (a, b) = if row.multi_valued {
                (json!([v(1)]), json!([v(2)]))
            } else {
                (v(1), v(2))
            };
            (a, b.clone(), b)
        }
        Kind::Reference => {
            for (n, var) in [(1, "first_manager"), (2, "second_manager")] {
                steps.push(create(
                    "/Users",
                    json!({"schemas": [USER], "userName": format!("{{{{unique}}}}-manager-{n}@contoso.example"), "active": true}),
                    var,
                ));
                teardown.push(delete("Users", var));
            }
            // Entra sends the manager as the bare id of the manager's resource.
            (
                json!({"value": "{{first_manager}}"}),
                json!({"value": "{{second_manager}}"}),
                json!("{{second_manager}}"),
            )
        }
    };
    t.place(&mut body, first.clone());
    steps.push(create("/Users", Value::Object(body), "user_id"));
    let read_back = |v: &Value| match (row.kind, row.multi_valued) {
        (Kind::Reference, _) => (t.expect(v).0 + "/value", v["value"].clone()),
        (_, true) => (t.expect(v).0, json!({"contains": v[0]})),
        _ => t.expect(v),
    };
    let matching = row.matching && row.kind == Kind::String && !row.multi_valued;
    steps.extend(round_trip(
        &Resource::USERS,
        read_back,
        row,
        [&first, &second, &sent],
        behaviour,
        matching,
    ));
    Ok(case(name, t.replace_row(behaviour), steps, teardown))
}

fn group_case(row: &Row, behaviour: Behaviour) -> Result<Value, String> {
    let t = parse_target(&row.target)?;
    let name = format!("group_{}", slug(&row.target));
    let mut steps = Vec::new();
    let mut teardown = vec![delete("Groups", "group_id")];
    let mut body = json!({"schemas": [GROUP], "displayName": "{{unique}} group"});
    let (first, second, sent) = match row.kind {
        Kind::Reference => {
            for (n, var) in [(1, "first_member"), (2, "second_member")] {
                steps.push(create(
                    "/Users",
                    json!({"schemas": [USER], "userName": format!("{{{{unique}}}}-member-{n}@contoso.example"), "active": true}),
                    var,
                ));
                teardown.push(delete("Users", var));
            }
            body["members"] = json!([{"value": "{{first_member}}"}]);
            steps.push(create("/Groups", body, "group_id"));
            let op = match behaviour {
                Behaviour::Default => {
                    json!({"op": "Add", "path": "members", "value": [{"$ref": null, "value": "{{second_member}}"}]})
                }
                Behaviour::Compliant => {
                    json!({"op": "add", "path": "members", "value": [{"value": "{{second_member}}"}]})
                }
            };
            steps.push(json!({
                "name": "the PATCH Entra sends to add a member",
                "request": {"method": "PATCH", "path": "/Groups/{{group_id}}",
                    "body": {"schemas": [PATCH_OP], "Operations": [op]}},
                "expect": {"status": [200, 204]}
            }));
            steps.push(
                json!({"request": {"method": "GET", "path": "/Groups/{{group_id}}"},
                "expect": {"status": 200, "json": {"/members": {"length": 2}}}}),
            );
            // Adding to a multi-valued attribute appends (P-patch-11).
            return Ok(case(name, "P-patch-11", steps, teardown));
        }
        Kind::String => {
            let v = |n: u8| json!(format!("{{{{unique}}}} {} {n}", slug(&row.target)));
            (v(1), v(2), v(2))
        }
        Kind::Boolean => (json!(true), json!(false), json!(false)),
    };
    t.place(body.as_object_mut().expect("object"), first.clone());
    steps.push(create("/Groups", body, "group_id"));
    let matching = row.matching && row.kind == Kind::String;
    steps.extend(round_trip(
        &Resource::GROUPS,
        |v| t.expect(v),
        row,
        [&first, &second, &sent],
        behaviour,
        matching,
    ));
    Ok(case(name, t.replace_row(behaviour), steps, teardown))
}

/// Where a round trip reads: the endpoint, the variable holding the resource's id, and the
/// query every read carries (Entra reads groups without their members).
struct Resource {
    endpoint: &'static str,
    var: &'static str,
    read_query: &'static [(&'static str, &'static str)],
}

impl Resource {
    const USERS: Resource = Resource {
        endpoint: "/Users",
        var: "user_id",
        read_query: &[],
    };
    const GROUPS: Resource = Resource {
        endpoint: "/Groups",
        var: "group_id",
        read_query: &[("excludedAttributes", "members")],
    };
}

/// The steps after a create: read the first value back, the PATCH Entra sends with `sent`,
/// read the second value back, and, for a matching attribute, Entra's match query on it.
/// `read_back` gives the JSON pointer and assertion that find a value.
fn round_trip(
    res: &Resource,
    read_back: impl Fn(&Value) -> (String, Value),
    row: &Row,
    [first, second, sent]: [&Value; 3],
    behaviour: Behaviour,
    matching: bool,
) -> Vec<Value> {
    let path = format!("{}/{{{{{}}}}}", res.endpoint, res.var);
    let query: Map<String, Value> = res
        .read_query
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let read = |v: &Value| {
        let (pointer, assertion) = read_back(v);
        json!({"request": {"method": "GET", "path": path, "query": query},
            "expect": {"status": 200, "json": { pointer: assertion }}})
    };
    let mut steps = vec![
        read(first),
        json!({
            "name": "the PATCH Entra sends for a change",
            "request": {"method": "PATCH", "path": path,
                "body": {"schemas": [PATCH_OP], "Operations": [patch_op(&row.target, sent.clone(), behaviour)]}},
            "expect": {"status": [200, 204]}
        }),
        read(second),
    ];
    if matching {
        let mut query = query.clone();
        let filter = format!(
            "{} eq \"{}\"",
            row.target,
            second.as_str().unwrap_or_default()
        );
        query.insert("filter".into(), json!(filter));
        steps.push(json!({
            "name": "Entra's match query on the changed value",
            "request": {"method": "GET", "path": res.endpoint, "query": query},
            "expect": {"status": 200, "json": {"/totalResults": 1, "/Resources/0/id": format!("{{{{{}}}}}", res.var)}}
        }));
    }
    steps
}

/// A case document.
fn case(name: String, requirement: &str, steps: Vec<Value>, teardown: Vec<Value>) -> Value {
    json!({"name": name, "level": "MUST", "requirements": [requirement],
        "steps": steps, "teardown": teardown})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_into_their_parts() {
        let t = parse_target(r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(
            t,
            Target {
                urn: None,
                attr: "emails",
                filter: Some(("type", "work")),
                sub: Some("value")
            }
        );
        let t = parse_target("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager")
            .unwrap();
        assert_eq!(
            t.urn,
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        assert_eq!((t.attr, t.sub), ("manager", None));
        let t = parse_target("name.givenName").unwrap();
        assert_eq!((t.attr, t.sub, t.filter), ("name", Some("givenName"), None));
    }

    #[test]
    fn values_are_placed_and_read_back_where_the_target_says() {
        let t = parse_target(r#"roles[primary eq "True"].display"#).unwrap();
        let mut body = Map::new();
        t.place(&mut body, json!("x"));
        assert_eq!(
            Value::Object(body),
            json!({"roles": [{"primary": true, "display": "x"}]})
        );
        assert_eq!(
            t.expect(&json!("x")),
            (
                "/roles".to_string(),
                json!({"contains": {"primary": true, "display": "x"}})
            )
        );
    }
}
