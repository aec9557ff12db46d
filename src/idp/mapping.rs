//! Attribute mappings (`fixtures/entra/*.yaml`, `fixtures/okta/*.yaml`) turned into
//! round-trip cases: each mapped attribute is set on create, changed with the request the
//! provider sends in the chosen behaviour ([`Shapes`]), read back, and found by filter where
//! it is a matching attribute. The cases are written as a suite document and loaded like any
//! suite file.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Behaviour, Idp};
use crate::suite::{self, LoadError, Loaded};

/// How one behaviour's mapping cases send a change, spell ops and booleans, and name
/// references.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shapes {
    /// How a user's attribute is changed.
    pub users: Update,
    /// How a group's attribute is changed.
    pub groups: Update,
    pub ops: Ops,
    pub booleans: Booleans,
    /// How a change names the enterprise `manager`.
    pub manager: Manager,
    /// What each member added to a group carries beside its `value`.
    #[serde(default)]
    pub member: Map<String, Value>,
}

/// The request that changes one attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Update {
    /// PATCH `{op: replace, path: TARGET, value}` (Entra's default).
    Path,
    /// PATCH `{op: replace, value: {TARGET: value}}`, the key an attribute path (Entra's
    /// compliant behaviour).
    Keyed,
    /// PATCH `{op: replace, value: {...}}`, the value placed in a resource body (Okta).
    Nested,
    /// PUT of the whole resource with the new value (Okta's profile updates).
    Put,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ops {
    pub add: String,
    pub replace: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Booleans {
    /// The strings "True"/"False".
    Strings,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Manager {
    /// The manager's id alone (Entra).
    Bare,
    /// `{"value": id}`, as the enterprise schema defines it.
    Object,
}

/// What every behaviour's mapping cases share.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Common {
    /// The domain of the user names the cases make up.
    pub domain: String,
    /// The query of every read of a group.
    #[serde(default)]
    pub group_reads: IndexMap<String, String>,
    /// What the provider's match query carries beside the filter.
    #[serde(default)]
    pub match_query: IndexMap<String, String>,
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

/// One row of a mapping table: the SCIM target attribute (Entra's "target attribute", Okta's
/// "external name") and its type.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    #[serde(alias = "external_name")]
    pub target: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    /// The provider matches resources on it, so the app must filter by it with `eq`.
    #[serde(default)]
    pub matching: bool,
    #[serde(default)]
    pub multi_valued: bool,
}

/// Entra's type names, or Okta's profile editor's (lower case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Kind {
    #[serde(alias = "string")]
    String,
    #[serde(alias = "boolean")]
    Boolean,
    /// `manager` for users (the manager's id), `members` for groups.
    #[serde(alias = "reference")]
    Reference,
}

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Reads a mapping (a file on disk, or a built-in one at that path:
/// `fixtures/entra/new-relic-by-organization.yaml`) and loads its cases as a suite named
/// after the provider and the file.
pub fn load(
    path: &Path,
    idp: &Idp,
    behaviour: &Behaviour,
    schemas: &std::collections::HashSet<String>,
) -> Result<Loaded, LoadError> {
    let text = crate::builtin::read(path).map_err(|e| LoadError(format!("error: {e}")))?;
    let mapping: Mapping = serde_saphyr::from_str(&text)
        .map_err(|e| LoadError(format!("{}: error: {e}", path.display())))?;
    let stem = path
        .file_stem()
        .map_or("mapping".into(), |s| s.to_string_lossy().into_owned());
    let doc = suite_document(&stem, &mapping, &Expansion::new(idp, behaviour))
        .map_err(|e| LoadError(format!("{}: error: {e}", path.display())))?;
    let generated = PathBuf::from(format!("{} (generated)", path.display()));
    let text = serde_json::to_string_pretty(&doc).expect("a JSON value serialises");
    let suite = suite::load::parse(&generated, &text, schemas)?;
    Ok(Loaded {
        path: generated,
        suite,
    })
}

/// What one expansion needs: the provider's name and common settings, and the shapes of the
/// chosen behaviour.
pub struct Expansion<'a> {
    idp: &'a str,
    common: &'a Common,
    shapes: &'a Shapes,
}

impl<'a> Expansion<'a> {
    pub fn new(idp: &'a Idp, behaviour: &'a Behaviour) -> Self {
        Expansion {
            idp: &idp.name,
            common: &idp.mapping,
            shapes: &behaviour.mapping,
        }
    }

    /// The provider as the step names call it.
    fn who(&self) -> String {
        let mut c = self.idp.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default()
    }
}

/// The suite document: one case per mapped attribute.
pub fn suite_document(name: &str, m: &Mapping, x: &Expansion) -> Result<Value, String> {
    let mut cases = Vec::new();
    for row in &m.users {
        cases.push(user_case(row, x)?);
    }
    for row in &m.groups {
        cases.push(group_case(row, x)?);
    }
    Ok(json!({
        "name": format!("{}-mapping-{name}", x.idp),
        "description": format!("Round trips of the {} attribute mapping of {}", x.who(), m.app),
        "tags": [x.idp, "mapping"],
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

/// A filter literal as the JSON value it stands for ("True" or Okta's bare `true` on
/// `primary` is a boolean).
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

    /// The rule the change rests on, which the read-back shows: replace with no path
    /// (P-patch-22), of a filtered sub-attribute (P-patch-28), of a sub-attribute of a
    /// complex attribute (P-patch-26), of a single value (P-patch-23); a PUT replaces the
    /// values given (P-put-02).
    fn replace_row(&self, update: Update) -> &'static str {
        match (update, &self.filter, self.sub) {
            (Update::Keyed | Update::Nested, _, _) => "P-patch-22",
            (Update::Put, _, _) => "P-put-02",
            (Update::Path, Some(_), _) => "P-patch-28",
            (Update::Path, None, Some(_)) => "P-patch-26",
            (Update::Path, None, None) => "P-patch-23",
        }
    }

    /// The request that sets the target to `sent`; `whole` is the resource as created, for
    /// a PUT, and `var` the variable holding its id.
    fn change(
        &self,
        row: &Row,
        sent: &Value,
        update: Update,
        (whole, var): (&Map<String, Value>, &str),
        x: &Expansion,
    ) -> (&'static str, Value) {
        let op = |value| json!({"schemas": [PATCH_OP], "Operations": [value]});
        let replace = &x.shapes.ops.replace;
        match update {
            Update::Path => (
                "PATCH",
                op(json!({"op": replace, "path": row.target, "value": sent})),
            ),
            Update::Keyed => (
                "PATCH",
                op(json!({"op": replace, "value": { row.target.clone(): sent }})),
            ),
            Update::Nested => {
                let mut value = Map::new();
                self.place(&mut value, sent.clone());
                ("PATCH", op(json!({"op": replace, "value": value})))
            }
            Update::Put => {
                let mut body = whole.clone();
                self.place(&mut body, sent.clone());
                body.insert("id".into(), json!(format!("{{{{{var}}}}}")));
                ("PUT", Value::Object(body))
            }
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

fn user_case(row: &Row, x: &Expansion) -> Result<Value, String> {
    let t = parse_target(&row.target)?;
    let domain = &x.common.domain;
    let name = format!("user_{}", slug(&row.target));
    let mut body = Map::new();
    let mut schemas = vec![Value::String(USER.into())];
    if let Some(urn) = t.urn.filter(|u| *u != USER) {
        schemas.push(Value::String(urn.into()));
    }
    body.insert("schemas".into(), Value::Array(schemas));
    body.insert("userName".into(), json!(format!("{{{{unique}}}}@{domain}")));
    body.insert("active".into(), json!(true));
    let mut steps = Vec::new();
    let mut teardown = vec![delete("Users", "user_id")];
    let (first, second, sent): (Value, Value, Value) = match row.kind {
        Kind::Boolean => {
            let sent = match x.shapes.booleans {
                Booleans::Strings => json!("False"),
                Booleans::Json => json!(false),
            };
            (json!(true), json!(false), sent)
        }
        Kind::String => {
            let v = |n: u8| match t.attr {
                "userName" => json!(format!("{{{{unique}}}}-{n}@{domain}")),
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
                    json!({"schemas": [USER], "userName": format!("{{{{unique}}}}-manager-{n}@{domain}"), "active": true}),
                    var,
                ));
                teardown.push(delete("Users", var));
            }
            let second = json!({"value": "{{second_manager}}"});
            let sent = match x.shapes.manager {
                Manager::Bare => json!("{{second_manager}}"),
                Manager::Object => second.clone(),
            };
            (json!({"value": "{{first_manager}}"}), second, sent)
        }
    };
    t.place(&mut body, first.clone());
    steps.push(create("/Users", Value::Object(body.clone()), "user_id"));
    let read_back = |v: &Value| match (row.kind, row.multi_valued) {
        (Kind::Reference, _) => (t.expect(v).0 + "/value", v["value"].clone()),
        (_, true) => (t.expect(v).0, json!({"contains": v[0]})),
        _ => t.expect(v),
    };
    let matching = row.matching && row.kind == Kind::String && !row.multi_valued;
    let update = x.shapes.users;
    let change = t.change(row, &sent, update, (&body, "user_id"), x);
    steps.extend(round_trip(
        &Resource::USERS,
        read_back,
        row,
        [&first, &second],
        change,
        x,
        matching,
    ));
    Ok(case(name, t.replace_row(update), steps, teardown))
}

fn group_case(row: &Row, x: &Expansion) -> Result<Value, String> {
    let t = parse_target(&row.target)?;
    let domain = &x.common.domain;
    let name = format!("group_{}", slug(&row.target));
    let mut steps = Vec::new();
    let mut teardown = vec![delete("Groups", "group_id")];
    let mut body = json!({"schemas": [GROUP], "displayName": "{{unique}} group"});
    let (first, second) = match row.kind {
        Kind::Reference => {
            for (n, var) in [(1, "first_member"), (2, "second_member")] {
                steps.push(create(
                    "/Users",
                    json!({"schemas": [USER], "userName": format!("{{{{unique}}}}-member-{n}@{domain}"), "active": true}),
                    var,
                ));
                teardown.push(delete("Users", var));
            }
            body["members"] = json!([{"value": "{{first_member}}"}]);
            steps.push(create("/Groups", body, "group_id"));
            let mut member = x.shapes.member.clone();
            member.insert("value".into(), json!("{{second_member}}"));
            let op = json!({"op": x.shapes.ops.add, "path": "members", "value": [member]});
            steps.push(json!({
                "name": format!("the PATCH {} sends to add a member", x.who()),
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
            (v(1), v(2))
        }
        Kind::Boolean => (json!(true), json!(false)),
    };
    let body = body.as_object_mut().expect("object");
    t.place(body, first.clone());
    steps.push(create("/Groups", Value::Object(body.clone()), "group_id"));
    let matching = row.matching && row.kind == Kind::String;
    let update = x.shapes.groups;
    let change = t.change(row, &second, update, (body, "group_id"), x);
    steps.extend(round_trip(
        &Resource::GROUPS,
        |v| t.expect(v),
        row,
        [&first, &second],
        change,
        x,
        matching,
    ));
    Ok(case(name, t.replace_row(update), steps, teardown))
}

/// Where a round trip reads: the endpoint and the variable holding the resource's id.
struct Resource {
    endpoint: &'static str,
    var: &'static str,
}

impl Resource {
    const USERS: Resource = Resource {
        endpoint: "/Users",
        var: "user_id",
    };
    const GROUPS: Resource = Resource {
        endpoint: "/Groups",
        var: "group_id",
    };
}

/// The steps after a create: read the first value back, the provider's change (`method` and
/// body), read the second value back, and, for a matching
/// attribute, the provider's match query on it. `read_back` gives the JSON pointer and
/// assertion that find a value.
fn round_trip(
    res: &Resource,
    read_back: impl Fn(&Value) -> (String, Value),
    row: &Row,
    [first, second]: [&Value; 2],
    (method, body): (&str, Value),
    x: &Expansion,
    matching: bool,
) -> Vec<Value> {
    let path = format!("{}/{{{{{}}}}}", res.endpoint, res.var);
    let reads = if res.endpoint == "/Groups" {
        &x.common.group_reads
    } else {
        &IndexMap::new()
    };
    let query: Map<String, Value> = reads.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let read = |v: &Value| {
        let (pointer, assertion) = read_back(v);
        json!({"request": {"method": "GET", "path": path, "query": query},
            "expect": {"status": 200, "json": { pointer: assertion }}})
    };
    let mut steps = vec![
        read(first),
        json!({
            "name": format!("the {method} {} sends for a change", x.who()),
            "request": {"method": method, "path": path, "body": body},
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
        for (k, v) in &x.common.match_query {
            query.insert(k.clone(), json!(v));
        }
        steps.push(json!({
            "name": format!("{}'s match query on the changed value", x.who()),
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
        // Okta's profile editor writes the boolean bare.
        let t = parse_target("emails[primary eq true].value").unwrap();
        assert_eq!(t.filter, Some(("primary", "true")));
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

    #[test]
    fn each_update_shape_sends_its_request() {
        let okta = Idp::find("okta").unwrap();
        let entra = Idp::find("entra").unwrap();
        let row = Row {
            target: "name.givenName".into(),
            kind: Kind::String,
            matching: false,
            multi_valued: false,
        };
        let t = parse_target(&row.target).unwrap();
        let whole: Map<String, Value> = serde_json::from_value(json!({"userName": "u"})).unwrap();
        let sent = json!("v");
        let change = |idp: &Idp, b: &str, update| {
            let x = Expansion::new(idp, idp.behaviour(Some(b)).unwrap());
            t.change(&row, &sent, update, (&whole, "user_id"), &x)
        };
        let ops = |v: Value| json!({"schemas": [PATCH_OP], "Operations": [v]});
        assert_eq!(
            change(&entra, "default", Update::Path),
            (
                "PATCH",
                ops(json!({"op": "Replace", "path": "name.givenName", "value": "v"}))
            )
        );
        assert_eq!(
            change(&entra, "compliant", Update::Keyed),
            (
                "PATCH",
                ops(json!({"op": "replace", "value": {"name.givenName": "v"}}))
            )
        );
        assert_eq!(
            change(&okta, "patch-updates", Update::Nested),
            (
                "PATCH",
                ops(json!({"op": "replace", "value": {"name": {"givenName": "v"}}}))
            )
        );
        assert_eq!(
            change(&okta, "put-updates", Update::Put),
            (
                "PUT",
                json!({"userName": "u", "id": "{{user_id}}", "name": {"givenName": "v"}})
            )
        );
    }
}
