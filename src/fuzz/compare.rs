//! Judges a target's answer by the reference model's. Only what the RFC fixes is compared:
//! ids, timestamps and versions differ by nature, multi-valued attributes have no order,
//! unassigned attributes may be null or absent, and a server may add attributes of its own
//! (defaults, extensions) as long as they are not ones the client set or removed.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::op::{Op, Purpose};
use crate::client::RecordedResponse;
use crate::suite::Method;

/// What kind of difference a divergence is, for its signature and the rule it breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Status,
    ContentType,
    Location,
    ErrorSchemas,
    ErrorStatus,
    NotJson,
    /// An attribute of a resource differs.
    Attribute,
    TotalResults,
    /// A list holds other resources, or another number of them.
    Members,
    Order,
    Version,
    KeptId,
    /// A feature the target says it does not offer, at work in its answer.
    Unadvertised,
    /// A cursor walk that repeats, misses or strays, or cursors where there should be none.
    Cursor,
    /// A response invariant the answer breaks (`check::invariants`), whatever the model
    /// answered; its field is the rule.
    Invariant,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Status => "status",
            Kind::ContentType => "Content-Type",
            Kind::Location => "Location",
            Kind::ErrorSchemas => "error schemas",
            Kind::ErrorStatus => "error status",
            Kind::NotJson => "body not JSON",
            Kind::Attribute => "attribute",
            Kind::TotalResults => "totalResults",
            Kind::Members => "Resources",
            Kind::Order => "order",
            Kind::Version => "meta.version",
            Kind::KeptId => "client id kept",
            Kind::Unadvertised => "works though not advertised",
            Kind::Cursor => "cursor walk",
            Kind::Invariant => "invariant",
        }
    }
}

/// How a target's answer differs from the model's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    pub kind: Kind,
    /// What of it differs, stable across runs: the attribute (`.emails`), the statuses
    /// (`201→200`); empty when the kind says it all.
    pub field: String,
    /// The difference in full, for a reader.
    pub detail: String,
}

impl Divergence {
    pub fn new(kind: Kind, field: impl Into<String>, detail: impl Into<String>) -> Self {
        Divergence {
            kind,
            field: field.into(),
            detail: detail.into(),
        }
    }
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

/// One side's view: its base URL and its ids, each standing for a placeholder shared by
/// both sides (`<user 1>`).
#[derive(Debug, Default)]
pub struct Names {
    pub base_url: String,
    pub ids: HashMap<String, String>,
}

impl Names {
    /// A string as the comparison sees it: ids and URLs under the base replaced.
    fn string(&self, s: &str) -> Value {
        if let Some(p) = self.ids.get(s) {
            return Value::String(p.clone());
        }
        if let Some(rest) = s.strip_prefix(&self.base_url) {
            let rest: Vec<&str> = rest
                .split('/')
                .map(|seg| self.ids.get(seg).map_or(seg, String::as_str))
                .collect();
            return Value::String(format!("<base>{}", rest.join("/")));
        }
        Value::String(s.to_string())
    }

    /// Lower-case keys, nulls and empty values dropped, `meta` kept to what is fixed,
    /// multi-valued attributes in a canonical order.
    pub fn normalise(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => self.string(s),
            Value::Array(items) => {
                let mut items: Vec<Value> = items
                    .iter()
                    .map(|i| self.normalise(i))
                    .filter(|i| !unassigned(i))
                    .collect();
                items.sort_by_cached_key(Value::to_string);
                Value::Array(items)
            }
            Value::Object(obj) => {
                let mut members: Vec<(String, Value)> = obj
                    .iter()
                    .map(|(k, v)| {
                        let k = k.to_lowercase();
                        let v = match k.as_str() {
                            "meta" => self.meta(v),
                            "members" | "groups" => self.references(v),
                            // A list's order is its answer to sortBy: kept as it came.
                            "resources" => match v.as_array() {
                                Some(rs) => rs.iter().map(|r| self.normalise(r)).collect(),
                                None => self.normalise(v),
                            },
                            _ => self.normalise(v),
                        };
                        (k, v)
                    })
                    .filter(|(_, v)| !unassigned(v))
                    .collect();
                // One key order on both sides, so that values print, and so sort, alike.
                members.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Object(members.into_iter().collect())
            }
            other => other.clone(),
        }
    }

    /// Group members and a user's groups, by `value` alone: `$ref`, `type` and `display`
    /// are the server's to fill in or leave out (RFC 7643 §4.2, §4.1.2).
    fn references(&self, v: &Value) -> Value {
        let Some(items) = v.as_array() else {
            return self.normalise(v);
        };
        let kept: Vec<Value> = items
            .iter()
            .map(|i| match i.get("value") {
                Some(id) => serde_json::json!({ "value": id }),
                None => i.clone(),
            })
            .collect();
        self.normalise(&Value::Array(kept))
    }

    fn meta(&self, v: &Value) -> Value {
        let Some(obj) = v.as_object() else {
            return self.normalise(v);
        };
        let kept: Map<String, Value> = obj
            .iter()
            .filter(|(k, _)| {
                k.eq_ignore_ascii_case("resourceType") || k.eq_ignore_ascii_case("location")
            })
            .map(|(k, v)| (k.to_lowercase(), self.normalise(v)))
            .collect();
        Value::Object(kept)
    }
}

fn unassigned(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn media_type(r: &RecordedResponse) -> Option<String> {
    r.header("content-type").map(|c| {
        c.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    })
}

/// What the client has set so far: top-level attribute names (lower case) of request
/// bodies and PATCH paths. A target may add attributes of its own, but not keep these
/// where the model dropped them.
#[derive(Debug, Default)]
pub struct Sent(HashSet<String>);

impl Sent {
    pub fn record(&mut self, body: &Value) {
        let Some(obj) = body.as_object() else { return };
        for (k, v) in obj {
            if k == "Operations" {
                for o in v.as_array().into_iter().flatten() {
                    match o.get("path").and_then(Value::as_str) {
                        Some(p) => self.add_path(p),
                        None => o.get("value").iter().for_each(|v| self.record(v)),
                    }
                }
            } else {
                self.add_path(k);
            }
        }
    }

    fn add_path(&mut self, path: &str) {
        if path.starts_with("urn:") {
            // `urn:...:User:employeeNumber` belongs to the extension object `urn:...:User`;
            // a schema URN alone is the object itself.
            self.0.insert(path.to_lowercase());
            if let Some(i) = path.rfind(':') {
                self.0.insert(path[..i].to_lowercase());
            }
        } else {
            let head = path.split(['.', '[']).next().unwrap_or(path);
            self.0.insert(head.to_lowercase());
        }
    }

    fn contains(&self, key: &str) -> bool {
        self.0.contains(key) || key == "password"
    }
}

/// Compares normalised resources: what the model has, the target must have equally; what
/// only the target has is allowed unless the client set it (or it is the password).
/// `schemas` names the schemas of the attributes the answer holds (RFC 7643 §3): only the
/// core schema is required of it, and an extension's URN where the extension is present.
fn resource(expected: &Value, actual: &Value, sent: &Sent, at: &str) -> Result<(), Divergence> {
    let (Some(e), Some(a)) = (expected.as_object(), actual.as_object()) else {
        return same(expected, actual, at);
    };
    for (k, ev) in e {
        if k == "schemas" {
            continue;
        }
        match a.get(k) {
            Some(av) => same(ev, av, &format!("{at}.{k}"))?,
            None => {
                return Err(attribute(
                    &format!("{at}.{k}"),
                    format!("expected {ev}, but it is missing"),
                ));
            }
        }
    }
    for (k, av) in a {
        if !e.contains_key(k) && sent.contains(k) {
            return Err(attribute(
                &format!("{at}.{k}"),
                format!("expected no value, got {av}"),
            ));
        }
    }
    schemas(e, a, at)
}

/// The target's `schemas` lists the model's core schema (the first) and the URN of every
/// extension its answer holds.
fn schemas(e: &Map<String, Value>, a: &Map<String, Value>, at: &str) -> Result<(), Divergence> {
    let listed: Vec<&str> = a
        .get("schemas")
        .and_then(Value::as_array)
        .map(|s| s.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let has = |urn: &str| listed.iter().any(|l| l.eq_ignore_ascii_case(urn));
    // The model's core schema (its answers name User and Group by their core URNs).
    let core = e
        .get("schemas")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|u| u.contains(":schemas:core:"));
    let extensions = a
        .keys()
        .map(String::as_str)
        .filter(|k| k.starts_with("urn:"));
    match core.chain(extensions).find(|u| !has(u)) {
        Some(missing) => Err(attribute(
            &format!("{at}.schemas"),
            format!("lists {listed:?}, without {missing}"),
        )),
        None => Ok(()),
    }
}

/// An attribute difference at `at` (`Resources[<U1>].emails` is about `.emails`).
fn attribute(at: &str, what: String) -> Divergence {
    let field = at.rsplit_once(']').map_or(at, |(_, rest)| rest);
    Divergence::new(Kind::Attribute, field, format!("{at}: {what}"))
}

fn same(expected: &Value, actual: &Value, at: &str) -> Result<(), Divergence> {
    if expected == actual {
        Ok(())
    } else {
        Err(attribute(at, format!("expected {expected}, got {actual}")))
    }
}

fn same_as(kind: Kind, expected: &Value, actual: &Value, at: &str) -> Result<(), Divergence> {
    if expected == actual {
        Ok(())
    } else {
        Err(Divergence::new(
            kind,
            "",
            format!("{at}: expected {expected}, got {actual}"),
        ))
    }
}

/// Both answers to one request, with each side's names.
pub struct Answers<'a> {
    pub op: &'a Op,
    pub expected: &'a RecordedResponse,
    pub actual: &'a RecordedResponse,
    /// Their bodies, parsed once for every check of the step.
    pub expected_json: &'a Result<Value, serde_json::Error>,
    pub actual_json: &'a Result<Value, serde_json::Error>,
    pub model: &'a Names,
    pub target: &'a Names,
    pub sent: &'a Sent,
    /// Whether the target sorts (it advertises sort): else `sortBy` orders nothing.
    pub sorts: bool,
    /// Whether the target advertises ETags.
    pub etags: bool,
}

impl Answers<'_> {
    /// The first way the target's answer differs from the model's, if any.
    pub fn compare(&self) -> Result<(), Divergence> {
        let (e, a) = (self.expected, self.actual);
        let patch_ok = |s: u16| self.op.method == Method::Patch && (s == 200 || s == 204);
        // A PATCH with no operation is one a client may not send (RFC 7644 §3.5.2, lines
        // 1808-1810: "one or more PATCH operations") and no answer is fixed for it
        // (P-patch-01): refusing it and applying nothing are both right.
        let refused_or_applied = |s: u16| patch_ok(s) || s == 400;
        if e.status != a.status
            && no_operations(self.op)
            && refused_or_applied(e.status)
            && refused_or_applied(a.status)
        {
            return Ok(());
        }
        if e.status != a.status && !(patch_ok(e.status) && patch_ok(a.status)) {
            return Err(Divergence::new(
                Kind::Status,
                format!("{}→{}", e.status, a.status),
                format!("status: expected {}, got {}", e.status, a.status),
            ));
        }
        if !self.etags && a.header("etag").is_some() {
            return Err(Divergence::new(
                Kind::Unadvertised,
                "ETag",
                "ETag: the target sends one although its ServiceProviderConfig says etag is not supported",
            ));
        }
        if e.body.is_empty() || a.status == 204 {
            return Ok(());
        }
        if media_type(e) != media_type(a) {
            return Err(Divergence::new(
                Kind::ContentType,
                "",
                format!(
                    "Content-Type: expected {}, got {}",
                    media_type(e).unwrap_or_default(),
                    media_type(a).unwrap_or_else(|| "none".into())
                ),
            ));
        }
        if let Some(l) = e.header("location") {
            let want = self.model.string(l);
            match a.header("location") {
                None => {
                    return Err(Divergence::new(
                        Kind::Location,
                        "missing",
                        format!("Location: expected {want}, but there is none"),
                    ));
                }
                Some(got) => same_as(Kind::Location, &want, &self.target.string(got), "Location")?,
            }
        }
        if self.op.purpose == Purpose::Discovery && e.status < 400 {
            // What a server offers is its own: the status and the type are what is fixed.
            return Ok(());
        }
        let ev = (self.expected_json.as_ref())
            .map_err(|x| Divergence::new(Kind::NotJson, "reference", format!("reference: {x}")))?;
        let av = (self.actual_json.as_ref()).map_err(|x| {
            Divergence::new(Kind::NotJson, "", format!("the body is not JSON ({x})"))
        })?;
        let (ev, av) = (self.model.normalise(ev), self.target.normalise(av));
        if e.status >= 400 {
            let fields =
                |v: &Value| ["schemas", "status"].map(|k| v.get(k).cloned().unwrap_or(Value::Null));
            let (ef, af) = (fields(&ev), fields(&av));
            same_as(Kind::ErrorSchemas, &ef[0], &af[0], "error schemas")?;
            return same_as(Kind::ErrorStatus, &ef[1], &af[1], "error status");
        }
        match &self.op.purpose {
            Purpose::Bulk => bulk(&ev, &av),
            Purpose::List { sort_by, paged } => {
                let sort_by = sort_by.as_deref().filter(|_| self.sorts);
                self.list(&ev, &av, sort_by, *paged)
            }
            _ => resource(&ev, &av, self.sent, ""),
        }
    }

    fn list(
        &self,
        e: &Value,
        a: &Value,
        sort_by: Option<&str>,
        paged: bool,
    ) -> Result<(), Divergence> {
        same_as(
            Kind::TotalResults,
            &e["totalresults"],
            &a["totalresults"],
            "totalResults",
        )?;
        let empty = Vec::new();
        let members = |v: &Value| v["resources"].as_array().unwrap_or(&empty).clone();
        let (er, ar) = (members(e), members(a));
        if er.len() != ar.len() {
            return Err(Divergence::new(
                Kind::Members,
                "count",
                format!(
                    "Resources: expected {} resources, got {}",
                    er.len(),
                    ar.len()
                ),
            ));
        }
        // Ties may come in any order: compare the keys, in order; where the model's answer
        // holds no key (it was projected away), the order cannot be seen.
        let keys =
            |rs: &[Value], by: &str| -> Vec<Value> { rs.iter().map(|r| sort_key(r, by)).collect() };
        if let Some(by) = sort_by.filter(|by| keys(&er, by).iter().any(|k| !k.is_null())) {
            let keys = |rs: &[Value]| keys(rs, by);
            same_as(
                Kind::Order,
                &Value::Array(keys(&er)),
                &Value::Array(keys(&ar)),
                &format!("order by {by}"),
            )?;
        }
        if paged {
            // Which resources fill a page is only fixed up to ties.
            return Ok(());
        }
        let by_id = |rs: Vec<Value>| -> HashMap<String, Value> {
            rs.into_iter().map(|r| (r["id"].to_string(), r)).collect()
        };
        let actual = by_id(ar);
        for (id, ev) in by_id(er) {
            let av = actual.get(&id).ok_or_else(|| {
                Divergence::new(
                    Kind::Members,
                    "missing",
                    format!("Resources: expected {id}, which is missing"),
                )
            })?;
            resource(&ev, av, self.sent, &format!("Resources[{id}]"))?;
        }
        Ok(())
    }
}

/// A cursor walk, page by page: the target's pages (`target`) against the model's whole
/// walk (`model`), each as parsed bodies; the index of the target page where it first
/// differs, and how. Pages may be shorter than `count` (RFC 9865 §2: a server "MAY return
/// fewer"), and resources may come in any order, but every match comes once.
pub fn walk(
    model: &[Value],
    target: &[Value],
    count: usize,
    names: (&Names, &Names),
    sent: &Sent,
) -> Result<(), (usize, Divergence)> {
    let (model, target): (Vec<Value>, Vec<Value>) = (
        model.iter().map(|p| names.0.normalise(p)).collect(),
        target.iter().map(|p| names.1.normalise(p)).collect(),
    );
    let empty = Vec::new();
    let resources = |v: &Value| v["resources"].as_array().unwrap_or(&empty).clone();
    let mut expected: HashMap<String, Value> = HashMap::new();
    for page in &model {
        for r in resources(page) {
            expected.insert(r["id"].to_string(), r);
        }
    }
    let total = model.first().map(|p| p["totalresults"].clone());
    let mut seen: Vec<String> = Vec::new();
    for (i, page) in target.iter().enumerate() {
        let at = |d: Divergence| (i, d);
        let rs = resources(page);
        if rs.len() > count {
            return Err(at(Divergence::new(
                Kind::Cursor,
                "count",
                format!(
                    "page {} holds {} resources, more than the count of {count}",
                    i + 1,
                    rs.len()
                ),
            )));
        }
        if i == 0 && page.get("previouscursor").is_some() {
            return Err(at(Divergence::new(
                Kind::Cursor,
                "first page",
                "the first page carries a previousCursor (RFC 9865 §2: it MUST not)",
            )));
        }
        if let (Some(t), Some(want)) = (page.get("totalresults"), &total)
            && t != want
        {
            return Err(at(Divergence::new(
                Kind::TotalResults,
                "",
                format!("totalResults: expected {want}, got {t} on page {}", i + 1),
            )));
        }
        for r in rs {
            let id = r["id"].to_string();
            if seen.contains(&id) {
                return Err(at(Divergence::new(
                    Kind::Cursor,
                    "repeat",
                    format!("page {} repeats {id}, which an earlier page held", i + 1),
                )));
            }
            let Some(e) = expected.get(&id) else {
                return Err(at(Divergence::new(
                    Kind::Cursor,
                    "extra",
                    format!("page {} holds {id}, which the query does not match", i + 1),
                )));
            };
            resource(e, &r, sent, &format!("Resources[{id}]")).map_err(at)?;
            seen.push(id);
        }
    }
    let last = target.len().saturating_sub(1);
    if let Some(missing) = expected.keys().find(|id| !seen.contains(id)) {
        return Err((
            last,
            Divergence::new(
                Kind::Cursor,
                "missing",
                format!("the walk never reached {missing}, which the query matches"),
            ),
        ));
    }
    if let [.., before, end] = &target[..]
        && resources(end).is_empty()
        && !resources(before).is_empty()
    {
        return Err((
            last - 1,
            Divergence::new(
                Kind::Cursor,
                "last page",
                format!(
                    "page {last} carries a nextCursor, but the page it leads to is empty (RFC 9865 §2: it is omitted to say there are no more result pages)"
                ),
            ),
        ));
    }
    Ok(())
}

/// A BulkResponse: each operation's result, matched by bulkId (their order is not fixed),
/// with its status and, for a create, where the resource is.
fn bulk(e: &Value, a: &Value) -> Result<(), Divergence> {
    let empty = Vec::new();
    let ops = |v: &Value| v["operations"].as_array().unwrap_or(&empty).clone();
    let theirs = ops(a);
    for mine in ops(e) {
        let id = &mine["bulkid"];
        let other = theirs.iter().find(|o| &o["bulkid"] == id).ok_or_else(|| {
            Divergence::new(
                Kind::Members,
                "operation",
                format!("Operations: no result for bulkId {id}"),
            )
        })?;
        let at = format!("Operations[{id}]");
        let status = |o: &Value| {
            o["status"]["code"]
                .as_str()
                .map_or(o["status"].clone(), Value::from)
        };
        if status(&mine) != status(other) {
            return Err(Divergence::new(
                Kind::Status,
                format!("{}→{} in a Bulk operation", status(&mine), status(other)),
                format!(
                    "{at}.status: expected {}, got {}",
                    status(&mine),
                    status(other)
                ),
            ));
        }
        same_as(
            Kind::Location,
            &mine["location"],
            &other["location"],
            &format!("{at}.location"),
        )?;
    }
    Ok(())
}

/// The value a list is sorted by, as the comparison orders it (caseExact false).
/// Whether `op` is a PATCH whose `Operations` is an empty array.
fn no_operations(op: &Op) -> bool {
    op.method == Method::Patch
        && op
            .body
            .as_ref()
            .and_then(|b| b.get("Operations"))
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty)
}

fn sort_key(r: &Value, by: &str) -> Value {
    let mut v = r;
    for part in by.split('.') {
        v = &v[part.to_lowercase().as_str()];
    }
    match v {
        Value::String(s) => Value::String(s.to_lowercase()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(base: &str, ids: &[(&str, &str)]) -> Names {
        Names {
            base_url: base.into(),
            ids: ids
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn ids_urls_nulls_and_order_do_not_count() {
        let m = names("http://m/v2", &[("1", "<user 1>")]);
        let t = names("https://t/scim", &[("abc", "<user 1>")]);
        let e = json!({"id": "1", "nickName": null, "emails": [{"value": "b"}, {"value": "a"}],
            "meta": {"location": "http://m/v2/Users/1", "created": "x", "resourceType": "User"}});
        let a = json!({"id": "abc", "Emails": [{"value": "a"}, {"value": "b"}], "phoneNumbers": [],
            "meta": {"location": "https://t/scim/Users/abc", "version": "W/\"9\"", "resourceType": "User"}});
        assert_eq!(m.normalise(&e), t.normalise(&a));
    }

    #[test]
    fn extra_attributes_count_only_when_the_client_set_them() {
        let mut sent = Sent::default();
        sent.record(&json!({"Operations": [{"op": "remove", "path": "name.givenName"}]}));
        let e = json!({"id": "<user 1>"});
        assert!(resource(&e, &json!({"id": "<user 1>", "active": true}), &sent, "").is_ok());
        let kept = json!({"id": "<user 1>", "name": {"givenname": "x"}});
        assert_eq!(resource(&e, &kept, &sent, "").unwrap_err().field, ".name");
        let password = json!({"id": "<user 1>", "password": "p"});
        assert!(resource(&e, &password, &sent, "").is_err());
    }

    #[test]
    fn extension_paths_count_as_the_extension() {
        let mut sent = Sent::default();
        sent.record(&json!({"Operations": [{"op": "remove",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"}]}));
        assert!(sent.contains("urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"));
    }

    const SCIM: &str = "application/scim+json";

    /// An answer: status, headers and body.
    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> RecordedResponse {
        RecordedResponse {
            status,
            headers: (headers.iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.into(),
            truncated: false,
        }
    }

    fn json_answer(status: u16, body: Value) -> RecordedResponse {
        answer(status, &[("Content-Type", SCIM)], &body.to_string())
    }

    /// How the target's answer to `method` with `purpose` differs from the model's, as the
    /// divergence's kind and field; the target advertises sort but not ETags.
    fn diverges(
        method: Method,
        purpose: Purpose,
        expected: &RecordedResponse,
        actual: &RecordedResponse,
    ) -> Option<(Kind, String)> {
        let op = Op {
            method,
            path: "/Users".into(),
            query: vec![],
            headers: vec![],
            body: None,
            anonymous: false,
            purpose,
        };
        diverges_on(&op, expected, actual)
    }

    /// How the target's answer to `op` differs from the model's, as in [`diverges`].
    fn diverges_on(
        op: &Op,
        expected: &RecordedResponse,
        actual: &RecordedResponse,
    ) -> Option<(Kind, String)> {
        let parse = |r: &RecordedResponse| serde_json::from_str(&r.body);
        let (m, t) = (
            names("http://m", &[("1", "<a>"), ("2", "<b>")]),
            names("http://t", &[("x", "<a>"), ("y", "<b>")]),
        );
        let answers = Answers {
            op,
            expected,
            actual,
            expected_json: &parse(expected),
            actual_json: &parse(actual),
            model: &m,
            target: &t,
            sent: &Sent::default(),
            sorts: true,
            etags: false,
        };
        answers.compare().err().map(|d| (d.kind, d.field))
    }

    /// RFC 7644 §3.5.2 asks the client for one or more operations and fixes no answer to
    /// none: a refusal and a PATCH done are both right, whichever the model gave.
    #[test]
    fn a_patch_without_operations_may_be_refused_or_done() {
        let patch = |operations: Value| Op {
            method: Method::Patch,
            path: "/Users/{{user:0}}".into(),
            query: vec![],
            headers: vec![],
            body: Some(json!({"schemas": [crate::r#gen::PATCH_OP], "Operations": operations})),
            anonymous: false,
            purpose: Purpose::Other,
        };
        let done = json_answer(200, json!({"id": "1", "userName": "u"}));
        let done_t = json_answer(200, json!({"id": "x", "userName": "u"}));
        let refused = json_answer(
            400,
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "400"}),
        );
        let empty = patch(json!([]));
        assert_eq!(diverges_on(&empty, &done, &refused), None);
        assert_eq!(diverges_on(&empty, &refused, &done_t), None);
        assert_eq!(diverges_on(&empty, &done, &answer(204, &[], "")), None);
        assert_eq!(diverges_on(&empty, &done, &done_t), None);
        assert_eq!(
            diverges_on(&empty, &done, &json_answer(500, json!({}))).map(|d| d.0),
            Some(Kind::Status),
            "a server error is no answer the RFC allows"
        );
        // With an operation, the status is the model's.
        let one = patch(json!([{"op": "replace", "path": "displayName", "value": "x"}]));
        assert_eq!(
            diverges_on(&one, &done, &refused),
            Some((Kind::Status, "200→400".into()))
        );
    }

    #[test]
    fn statuses_types_locations_and_error_bodies_are_compared() {
        let user = |id: &str| json_answer(200, json!({"id": id, "userName": "u"}));
        let get = |e: &RecordedResponse, a: &RecordedResponse| {
            diverges(Method::Get, Purpose::Other, e, a)
        };
        assert_eq!(get(&user("1"), &user("x")), None);
        assert_eq!(
            get(
                &user("1"),
                &json_answer(201, json!({"id": "x", "userName": "u"}))
            ),
            Some((Kind::Status, "200→201".into()))
        );
        let patched = |s: u16| {
            diverges(
                Method::Patch,
                Purpose::Other,
                &json_answer(s, json!({})),
                &answer(204, &[], ""),
            )
        };
        assert_eq!(patched(200), None, "200 and 204 are both a PATCH done");
        assert_eq!(patched(400).map(|d| d.0), Some(Kind::Status));
        let tagged = answer(204, &[("ETag", "W/\"1\"")], "");
        assert_eq!(
            get(&answer(204, &[], ""), &tagged).map(|d| d.0),
            Some(Kind::Unadvertised)
        );
        let untyped = answer(
            200,
            &[("Content-Type", "text/plain")],
            r#"{"id": "x", "userName": "u"}"#,
        );
        assert_eq!(
            get(&user("1"), &untyped).map(|d| d.0),
            Some(Kind::ContentType)
        );
        assert_eq!(
            get(&user("1"), &answer(200, &[("Content-Type", SCIM)], "{")).map(|d| d.0),
            Some(Kind::NotJson)
        );
        assert_eq!(
            get(
                &user("1"),
                &json_answer(200, json!({"id": "x", "userName": "v"}))
            )
            .map(|d| d.0),
            Some(Kind::Attribute)
        );
        let discovery = |e: &RecordedResponse, a: &RecordedResponse| {
            diverges(Method::Get, Purpose::Discovery, e, a)
        };
        assert_eq!(
            discovery(&user("1"), &json_answer(200, json!({"other": 1}))),
            None,
            "a server's offer is its own"
        );

        let created = |id: &str, at: Option<&str>| {
            let mut headers = vec![("Content-Type", SCIM)];
            headers.extend(at.map(|l| ("Location", l)));
            answer(
                201,
                &headers,
                &json!({"id": id, "userName": "u"}).to_string(),
            )
        };
        let model = created("1", Some("http://m/Users/1"));
        let post = |a: &RecordedResponse| diverges(Method::Post, Purpose::Other, &model, a);
        assert_eq!(post(&created("x", Some("http://t/Users/x"))), None);
        assert_eq!(
            post(&created("x", None)),
            Some((Kind::Location, "missing".into()))
        );
        assert_eq!(
            post(&created("x", Some("http://t/Users/y"))).map(|d| d.0),
            Some(Kind::Location)
        );

        let error = |schemas: &str, status: &str| {
            json_answer(400, json!({"schemas": [schemas], "status": status}))
        };
        let e = error("urn:ietf:params:scim:api:messages:2.0:Error", "400");
        assert_eq!(get(&e, &e), None);
        assert_eq!(
            get(
                &e,
                &error("urn:ietf:params:scim:api:messages:2.0:Error", "409")
            )
            .map(|d| d.0),
            Some(Kind::ErrorStatus)
        );
        assert_eq!(
            get(&e, &error("urn:other", "400")).map(|d| d.0),
            Some(Kind::ErrorSchemas)
        );
    }

    #[test]
    fn lists_are_compared_by_total_members_and_order() {
        let list = |total: u64, names: &[&str]| {
            let rs: Vec<Value> = names
                .iter()
                .map(|n| json!({"id": n, "userName": n}))
                .collect();
            json_answer(200, json!({"totalResults": total, "Resources": rs}))
        };
        let sorted = |e: &RecordedResponse, a: &RecordedResponse| {
            diverges(
                Method::Get,
                Purpose::List {
                    sort_by: Some("id".into()),
                    paged: false,
                },
                e,
                a,
            )
        };
        let (model, users) = (list(2, &["1", "2"]), |ids: &[&str]| list(2, ids));
        assert_eq!(sorted(&model, &users(&["x", "y"])), None);
        assert_eq!(
            sorted(&model, &list(3, &["x", "y"])).map(|d| d.0),
            Some(Kind::TotalResults)
        );
        assert_eq!(
            sorted(&model, &users(&["x"])),
            Some((Kind::Members, "count".into()))
        );
        assert_eq!(
            sorted(&model, &users(&["y", "x"])).map(|d| d.0),
            Some(Kind::Order)
        );
        let paged = |e: &RecordedResponse, a: &RecordedResponse| {
            diverges(
                Method::Get,
                Purpose::List {
                    sort_by: None,
                    paged: true,
                },
                e,
                a,
            )
        };
        assert_eq!(
            paged(&model, &users(&["y", "x"])),
            None,
            "unsorted, order is free"
        );
        assert_eq!(
            paged(&model, &list(1, &["y", "x"])).map(|d| d.0),
            Some(Kind::TotalResults)
        );
        let whole = |e: &RecordedResponse, a: &RecordedResponse| {
            diverges(
                Method::Get,
                Purpose::List {
                    sort_by: None,
                    paged: false,
                },
                e,
                a,
            )
        };
        let stranger = json_answer(
            200,
            json!({"totalResults": 2, "Resources": [{"id": "x", "userName": "x"}, {"id": "z", "userName": "z"}]}),
        );
        assert_eq!(
            whole(&model, &stranger),
            Some((Kind::Members, "missing".into()))
        );
    }

    /// A page of users by id, with a nextCursor when `more`.
    fn page(ids: &[&str], more: bool) -> Value {
        let mut p = json!({"totalResults": 3, "Resources": ids.iter().map(|i| json!({"id": i})).collect::<Vec<_>>()});
        if more {
            p["nextCursor"] = json!("c");
        }
        p
    }

    fn walked(target: &[Value]) -> Result<(), (usize, String)> {
        let m = names("http://m", &[("1", "<a>"), ("2", "<b>"), ("3", "<c>")]);
        let t = names("http://t", &[("x", "<a>"), ("y", "<b>"), ("z", "<c>")]);
        let model = [page(&["1", "2", "3"], false)];
        walk(&model, target, 2, (&m, &t), &Sent::default()).map_err(|(i, d)| (i, d.field))
    }

    #[test]
    fn a_walk_is_judged_as_a_whole() {
        assert_eq!(
            walked(&[page(&["z", "x"], true), page(&["y"], false)]),
            Ok(())
        );
        // Fewer than count is allowed, even none on the way.
        assert_eq!(
            walked(&[
                page(&["x"], true),
                page(&[], true),
                page(&["y", "z"], false)
            ]),
            Ok(())
        );
        let fail = |pages: &[Value]| walked(pages).unwrap_err();
        assert_eq!(
            fail(&[page(&["x", "y"], true), page(&["y", "z"], false)]),
            (1, "repeat".into())
        );
        assert_eq!(fail(&[page(&["x", "y"], false)]), (0, "missing".into()));
        assert_eq!(fail(&[page(&["x", "y", "z"], false)]), (0, "count".into()));
        assert_eq!(
            fail(&[
                page(&["x", "y"], true),
                page(&["z"], true),
                page(&[], false)
            ]),
            (1, "last page".into())
        );
        let mut first = page(&["x", "y"], true);
        first["previousCursor"] = json!("p");
        assert_eq!(
            fail(&[first, page(&["z"], false)]),
            (0, "first page".into())
        );
        let stranger = json!({"Resources": [{"id": "w"}]});
        assert_eq!(
            fail(&[page(&["x", "y"], true), stranger]),
            (1, "extra".into())
        );
    }

    #[test]
    fn members_and_meta_are_compared_by_what_is_fixed() {
        let m = names("http://m/v2", &[("1", "<user 1>"), ("2", "<user 2>")]);
        let t = names("https://t/scim", &[("x", "<user 1>"), ("y", "<user 2>")]);
        let group = |n: &Names, member: &str, meta: Value| {
            n.normalise(&json!({"displayName": "g", "name": {}, "members": [{"value": member}], "meta": meta}))
        };
        let meta = |base: &str, id: &str, rt: &str| json!({"location": format!("{base}/Groups/{id}"), "resourceType": rt});
        let model = group(&m, "1", meta("http://m/v2", "1", "Group"));
        // `$ref`, `display` and `type` of a member, meta's timestamps and an empty object are
        // the server's own.
        let mut same = json!({"displayName": "g", "members": [{"value": "x", "display": "X", "$ref": "u"}],
            "meta": meta("https://t/scim", "x", "Group")});
        same["meta"]["created"] = json!("2026-01-01T00:00:00Z");
        assert_eq!(model, t.normalise(&same));
        assert_ne!(
            model,
            group(&t, "y", meta("https://t/scim", "x", "Group")),
            "another member"
        );
        assert_ne!(
            model,
            group(&t, "x", meta("https://t/scim", "y", "Group")),
            "another location"
        );
        assert_ne!(
            model,
            group(&t, "x", meta("https://t/scim", "x", "User")),
            "another type"
        );
    }

    /// A user that differs only in `active`, either way and in a read or a list, diverges on
    /// `.active`: false is a value (RFC 7643 §2.3.2), not an unassigned attribute.
    #[test]
    fn a_user_differing_only_in_active_diverges_on_active() {
        let user = |id: &str, active: bool| {
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": id,
                "userName": "ada", "active": active})
        };
        let list = |u: Value| {
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": 1, "Resources": [u]})
        };
        let listed = Purpose::List {
            sort_by: None,
            paged: false,
        };
        for (model, target) in [(true, false), (false, true)] {
            let (e, a) = (user("1", model), user("x", target));
            assert_eq!(
                diverges(
                    Method::Get,
                    Purpose::Other,
                    &json_answer(200, e.clone()),
                    &json_answer(200, a.clone())
                ),
                Some((Kind::Attribute, ".active".into())),
                "a read, model {model}, target {target}"
            );
            assert_eq!(
                diverges(
                    Method::Get,
                    listed.clone(),
                    &json_answer(200, list(e)),
                    &json_answer(200, list(a))
                ),
                Some((Kind::Attribute, ".active".into())),
                "a list, model {model}, target {target}"
            );
        }
        let same = json_answer(200, user("1", false));
        assert_eq!(
            diverges(
                Method::Get,
                Purpose::Other,
                &same,
                &json_answer(200, user("x", false))
            ),
            None
        );
    }

    #[test]
    fn a_divergence_reads_as_its_detail_and_each_kind_has_its_own_name() {
        let d = Divergence::new(Kind::Status, "200→201", "status: expected 200, got 201");
        assert_eq!(d.to_string(), "status: expected 200, got 201");
        let kinds = [
            Kind::Status,
            Kind::ContentType,
            Kind::Location,
            Kind::ErrorSchemas,
            Kind::ErrorStatus,
            Kind::NotJson,
            Kind::Attribute,
            Kind::TotalResults,
            Kind::Members,
            Kind::Order,
            Kind::Version,
            Kind::KeptId,
            Kind::Unadvertised,
            Kind::Cursor,
        ];
        let names: HashSet<&str> = kinds.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), kinds.len(), "{names:?}");
        assert!(!names.contains(""));
    }

    #[test]
    fn schemas_name_the_core_schema_and_every_extension_present() {
        let (core, ext) = (
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        );
        let e = json!({"schemas": [core], "username": "u"});
        let judged = |a: Value| resource(&e, &a, &Sent::default(), "").map_err(|d| d.field);
        assert_eq!(judged(json!({"schemas": [core], "username": "u"})), Ok(()));
        assert_eq!(
            judged(json!({"schemas": [], "username": "u"})),
            Err(".schemas".into())
        );
        let extended = |schemas: Value| {
            let mut a = json!({"schemas": schemas, "username": "u"});
            a[ext.to_lowercase()] = json!({"department": "d"});
            a
        };
        assert_eq!(judged(extended(json!([core, ext]))), Ok(()));
        assert_eq!(judged(extended(json!([core]))), Err(".schemas".into()));
    }

    #[test]
    fn a_refused_discovery_request_is_compared_as_an_error() {
        let error = |status: &str| {
            json_answer(
                400,
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": status}),
            )
        };
        let judged =
            |a: &RecordedResponse| diverges(Method::Get, Purpose::Discovery, &error("400"), a);
        assert_eq!(judged(&error("400")), None);
        assert_eq!(judged(&error("409")).map(|d| d.0), Some(Kind::ErrorStatus));
    }

    #[test]
    fn bulk_results_are_matched_by_bulk_id_with_their_status_and_location() {
        // The ids are those of `diverges`: 1 and x are <a>, 2 and y are <b>.
        let op = |base: &str, bulk_id: &str, status: Value, id: &str| json!({"bulkId": bulk_id, "status": status, "location": format!("{base}/Users/{id}")});
        let response = |ops: Vec<Value>| {
            json_answer(
                200,
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkResponse"], "Operations": ops}),
            )
        };
        let model = response(vec![
            op("http://m", "u1", json!("201"), "1"),
            op("http://m", "u2", json!("201"), "2"),
        ]);
        let judged = |ops: Vec<Value>| {
            diverges(Method::Post, Purpose::Bulk, &model, &response(ops)).map(|d| (d.0, d.1))
        };
        // In any order, the status as a string or as RFC 7644's {"code": ...}.
        let swapped = vec![
            op("http://t", "u2", json!("201"), "y"),
            op("http://t", "u1", json!({"code": "201"}), "x"),
        ];
        assert_eq!(judged(swapped), None);
        let one = vec![op("http://t", "u1", json!("201"), "x")];
        assert_eq!(judged(one), Some((Kind::Members, "operation".into())));
        let refused = vec![
            op("http://t", "u1", json!("201"), "x"),
            op("http://t", "u2", json!("200"), "y"),
        ];
        assert_eq!(judged(refused).map(|d| d.0), Some(Kind::Status));
        let elsewhere = vec![
            op("http://t", "u1", json!("201"), "y"),
            op("http://t", "u2", json!("201"), "y"),
        ];
        assert_eq!(judged(elsewhere).map(|d| d.0), Some(Kind::Location));
    }
}
