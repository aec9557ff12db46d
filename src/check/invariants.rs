//! Response invariants: what every answer must show, whichever case got it. A case checks the
//! rule it is about; a server that breaks a rule somewhere else would pass it. So every
//! exchange of every case is also held to these, each under its own catalogue row and that
//! row's level, and the run reports each break once per signature (`GET /Users ·
//! itemsPerPage`), not once per case.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::declared::{Declared, TypeSchema};
use crate::client::{Body, RecordedRequest, RecordedResponse};
use crate::scim::schema::{AttrType, Attribute, Mutability, Registry, Returned, common_attributes};
use crate::suite::Method;

const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// One break of an invariant by one answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breach {
    /// The catalogue row it breaks.
    pub rule: String,
    /// The request's form and what of the answer broke (`GET /Users · itemsPerPage`): the
    /// same fault met by many cases is one finding.
    pub signature: String,
    /// What the answer showed.
    pub detail: String,
}

/// The resource types of the target: as it declares them, else RFC 7643's.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    types: Vec<TypeSchema>,
}

impl Vocabulary {
    pub fn new(declared: Option<&Declared>) -> Self {
        let types = match declared {
            Some(d) => d.type_schemas(),
            None => rfc_types(),
        };
        Vocabulary { types }
    }

    fn by_endpoint(&self, endpoint: &str) -> Option<&TypeSchema> {
        self.types.iter().find(|t| t.endpoint == endpoint)
    }

    fn by_name(&self, name: &str) -> Option<&TypeSchema> {
        self.types.iter().find(|t| t.name == name)
    }
}

fn rfc_types() -> Vec<TypeSchema> {
    let rfc = Registry::rfc();
    rfc.resource_types
        .iter()
        .filter_map(|rt| {
            let mut schemas = rfc.schemas_of(rt);
            let core = schemas.next()?;
            Some(TypeSchema {
                name: rt.name.clone(),
                endpoint: rt.endpoint.trim_start_matches('/').to_string(),
                core: core.id.clone(),
                // Common attributes (RFC 7643 §3.1) first, as a target's declaration reads.
                attributes: common_attributes()
                    .into_iter()
                    .chain(core.attributes.iter().cloned())
                    .collect(),
                extensions: schemas
                    .map(|s| (s.id.clone(), s.attributes.clone()))
                    .collect(),
                declared: false,
            })
        })
        .collect()
}

/// One exchange as the invariants see it.
pub struct Seen<'a> {
    pub method: Method,
    /// Relative to the base URL: `/Users/2819c223`.
    pub path: &'a str,
    /// As sent, absolute: what a relative `Location` resolves against.
    pub url: &'a str,
    pub query: &'a [(String, String)],
    /// The JSON body sent, if any.
    pub sent: Option<&'a Value>,
    /// The request's `Accept` header.
    pub accept: Option<&'a str>,
    pub response: &'a RecordedResponse,
    /// The answer's body, when it is JSON.
    pub body: Option<&'a Value>,
}

impl<'a> Seen<'a> {
    /// What `request` sent and `response` answered; `path` and `query` as the request
    /// named them, relative to the base URL.
    pub fn new(
        request: &'a RecordedRequest,
        (path, query): (&'a str, &'a [(String, String)]),
        response: &'a RecordedResponse,
        body: Option<&'a Value>,
    ) -> Self {
        Seen {
            method: request.method,
            path,
            url: &request.url,
            query,
            sent: match &request.body {
                Some(Body::Json(v)) => Some(v),
                _ => None,
            },
            accept: request
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("accept"))
                .map(|(_, v)| v.as_str()),
            response,
            body,
        }
    }
}

/// Where a request went.
enum Place<'a> {
    /// `/Users` or `/Users/.search`, or `/.search` (any type).
    List(Option<&'a TypeSchema>),
    /// `/Users` answering a create.
    Collection(&'a TypeSchema),
    /// `/Users/{id}`.
    Resource(&'a TypeSchema),
    Elsewhere,
}

impl<'a> Place<'a> {
    fn of(path: &str, method: Method, vocabulary: &'a Vocabulary) -> Self {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        match segments.as_slice() {
            [".search"] => Place::List(None),
            [endpoint, rest @ ..] => match (vocabulary.by_endpoint(endpoint), rest) {
                (Some(t), []) if method == Method::Post => Place::Collection(t),
                (Some(t), []) => Place::List(Some(t)),
                (Some(t), [".search"]) => Place::List(Some(t)),
                (Some(t), [_id]) => Place::Resource(t),
                _ => Place::Elsewhere,
            },
            [] => Place::Elsewhere,
        }
    }

    /// `/Users/{id}` and the like: what the signature names.
    fn form(&self, path: &str) -> String {
        match self {
            Place::Resource(t) => format!("/{}/{{id}}", t.endpoint),
            _ => path.split('?').next().unwrap_or_default().to_string(),
        }
    }
}

/// What broke of one answer. A signature names what a fault is about as narrowly as it
/// varies: a media type is the server's, an error's shape its status code's, a resource's
/// its type's, a list's its endpoint's, and what only one request shows that request's.
struct Found<'a> {
    /// `GET /Users/{id}`.
    request: String,
    out: &'a mut Vec<Breach>,
}

impl Found<'_> {
    fn breach(&mut self, rule: &str, about: &str, what: &str, detail: String) {
        self.out.push(Breach {
            rule: rule.into(),
            signature: format!("{about} · {what}"),
            detail,
        });
    }
}

/// Every invariant the exchange breaks.
pub fn check(seen: &Seen, vocabulary: &Vocabulary) -> Vec<Breach> {
    let place = Place::of(seen.path, seen.method, vocabulary);
    let mut out = Vec::new();
    let mut found = Found {
        request: format!("{} {}", seen.method.as_str(), place.form(seen.path)),
        out: &mut out,
    };
    let r = seen.response;
    // A 5xx is the server's trouble, which the case meeting it fails on, and often a
    // gateway's page or load shedding, which the run reports as load: not held here.
    if r.status >= 500 {
        return out;
    }
    media_type(seen, &mut found);
    if r.status >= 400 {
        let creates = matches!(place, Place::Collection(_));
        error(seen, creates, &mut found);
        return out;
    }
    let (true, Some(body)) = ((200..300).contains(&r.status), seen.body) else {
        return out;
    };
    let projected = ["attributes", "excludedAttributes"]
        .iter()
        .any(|p| asked_text(seen, p).is_some());
    match place {
        Place::List(t) if matches!(seen.method, Method::Get | Method::Post) => {
            list(seen, body, &mut found);
            let resources = member(body, "Resources").and_then(Value::as_array);
            for v in resources.into_iter().flatten() {
                let t = t.or_else(|| {
                    v.pointer("/meta/resourceType")
                        .and_then(Value::as_str)
                        .and_then(|n| vocabulary.by_name(n))
                });
                if let Some(t) = t {
                    resource(v, t, projected, &mut found);
                }
            }
        }
        Place::Collection(t) if r.status == 201 => {
            resource(body, t, projected, &mut found);
            single(seen, body, t, true, &mut found);
        }
        Place::Resource(t) if seen.method != Method::Delete => {
            resource(body, t, projected, &mut found);
            single(seen, body, t, false, &mut found);
        }
        _ => {}
    }
    out
}

/// A query parameter, or the same member of a `.search` body, as text.
fn asked_text(seen: &Seen, name: &str) -> Option<String> {
    if let Some((_, v)) = seen.query.iter().find(|(k, _)| k == name) {
        return Some(v.clone());
    }
    let v = seen
        .sent
        .filter(|_| seen.method == Method::Post)
        .and_then(|b| b.get(name))
        .filter(|v| !v.is_null())?;
    Some(match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// Every answer with a body is `application/scim+json` (RFC 7644 §8.1, lines 3551-3555),
/// parameters allowed, unless the request asked for something else.
fn media_type(seen: &Seen, found: &mut Found) {
    let r = seen.response;
    if r.body.trim().is_empty() {
        return;
    }
    // The types the request accepts (q above 0); scim+json is owed where it names no other.
    let accepted: Vec<&str> = seen
        .accept
        .map(|a| {
            a.split(',')
                .filter(|m| {
                    !m.split(';')
                        .skip(1)
                        .any(|p| p.trim().replace(' ', "") == "q=0")
                })
                .map(|m| m.split(';').next().unwrap_or_default().trim())
                .filter(|m| !m.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let other = |m: &&str| !m.eq_ignore_ascii_case("application/scim+json") && !m.ends_with("/*");
    let named_other: Vec<&str> = accepted.iter().copied().filter(other).collect();
    let got = r.header("content-type").unwrap_or_default();
    let media = got.split(';').next().unwrap_or_default().trim();
    let chosen = |m: &&str| m.eq_ignore_ascii_case(media);
    if !media.eq_ignore_ascii_case("application/scim+json") && !named_other.iter().any(chosen) {
        let got = if got.is_empty() { "none" } else { got };
        found.breach(
            "P-media-01",
            "answers",
            "content-type",
            format!("the answer is typed {got}, not application/scim+json"),
        );
    }
}

/// Errors come as a JSON SCIM error body (RFC 7644 §3.12, lines 3706-3716) whose `status` is
/// the HTTP status as a string; a 409 says `uniqueness` (lines 623-627).
fn error(seen: &Seen, creates: bool, found: &mut Found) {
    let r = seen.response;
    let about = format!("{} answers", r.status);
    let Some(body) = seen.body.filter(|b| b.is_object()) else {
        let what = if r.body.trim().is_empty() {
            "it has no body".to_string()
        } else {
            format!("its body is not JSON: {}", super::cut(r.body.trim(), 80))
        };
        found.breach(
            "P-errors-01",
            &about,
            "error body",
            format!("a {} answer is no SCIM error: {what}", r.status),
        );
        return;
    };
    let schemas = member(body, "schemas").and_then(Value::as_array);
    if !schemas.is_some_and(|s| s.iter().any(|u| is_urn(u, ERROR))) {
        found.breach(
            "P-errors-01",
            &about,
            "error schemas",
            format!(
                "a {} answer's body does not list {ERROR} in schemas",
                r.status
            ),
        );
    }
    let code = r.status.to_string();
    match member(body, "status") {
        Some(Value::String(s)) if *s == code => {}
        Some(other) => found.breach(
            "P-errors-02",
            &about,
            "error status",
            format!(
                "a {} answer gives status {other}, not the string \"{code}\"",
                r.status
            ),
        ),
        None => found.breach(
            "P-errors-02",
            &about,
            "error status",
            format!("a {} answer's error body has no status", r.status),
        ),
    }
    // A 409 may also be a version mismatch or a Bulk cycle (RFC 7644 lines 3772-3776,
    // 2814-2816): only a create's is a conflict with existing resources.
    let scim_type = member(body, "scimType");
    if r.status == 409 && creates && scim_type.and_then(Value::as_str) != Some("uniqueness") {
        let got = scim_type.map_or("none".to_string(), Value::to_string);
        found.breach(
            "P-create-05",
            &about,
            "409 scimType",
            format!("a 409 carries scimType {got}, not \"uniqueness\""),
        );
    }
}

/// A ListResponse (RFC 7644 §3.4.2, lines 817-838; §3.4.2.4, lines 1356-1384).
fn list(seen: &Seen, body: &Value, found: &mut Found) {
    let about = format!(
        "lists at {}",
        seen.path.split('?').next().unwrap_or_default()
    );
    let schemas = member(body, "schemas").and_then(Value::as_array);
    if !schemas.is_some_and(|s| s.iter().any(|u| is_urn(u, LIST_RESPONSE))) {
        found.breach(
            "P-list-01",
            &about,
            "ListResponse schemas",
            format!("the list answer does not list {LIST_RESPONSE} in schemas"),
        );
    }
    let returned = member(body, "Resources")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    // Cursor pages have no index, and may leave totalResults out (RFC 9865 §2).
    let cursor = asked_text(seen, "cursor").is_some()
        || ["nextCursor", "previousCursor"]
            .iter()
            .any(|m| member(body, m).is_some());
    match member(body, "totalResults").and_then(Value::as_u64) {
        None if cursor => {}
        None => found.breach(
            "P-list-02",
            &about,
            "totalResults",
            "the list answer has no totalResults (a non-negative integer)".into(),
        ),
        Some(total) if (total as usize) < returned => found.breach(
            "P-list-02",
            &about,
            "totalResults",
            format!("totalResults is {total}, yet the answer returns {returned} resources"),
        ),
        Some(_) => {}
    }
    if let Some(n) = member(body, "itemsPerPage")
        && n.as_u64() != Some(returned as u64)
    {
        found.breach(
            "P-paging-07",
            &about,
            "itemsPerPage",
            format!("itemsPerPage is {n}, yet the answer returns {returned} resources"),
        );
    }
    // An empty page has no first result to index (RFC 7644 lines 832, 1389).
    if cursor || returned == 0 {
        return;
    }
    if let Some(got) = member(body, "startIndex") {
        let asked = asked_text(seen, "startIndex").and_then(|s| s.trim().parse::<i64>().ok());
        let (want, rule) = match asked {
            Some(n) if n < 1 => (1, "P-paging-02"),
            Some(n) => (n, "P-paging-01"),
            None => (1, "P-paging-01"),
        };
        if got.as_i64() != Some(want) {
            let asked = asked.map_or("none".to_string(), |n| n.to_string());
            found.breach(
                rule,
                &about,
                "startIndex",
                format!("startIndex is {got} for a request asking {asked}: it must be {want}"),
            );
        }
    }
}

/// Whatever a resource shows wherever it comes (RFC 7643 §3, §3.1, §7).
fn resource(v: &Value, t: &TypeSchema, projected: bool, found: &mut Found) {
    let about = format!("{} resources", t.name);
    if v.get("id")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        found.breach(
            "C-schema-02",
            &about,
            "id",
            format!(
                "a {} has id {}, not a non-empty string",
                t.name,
                show(v.get("id"))
            ),
        );
    }
    schemas(v, t, found);
    returned_never(v, t, found);
    if projected {
        return;
    }
    let Some(meta) = v.get("meta").filter(|m| m.is_object()) else {
        return;
    };
    match meta.get("resourceType").and_then(Value::as_str) {
        Some(n) if n == t.name => {}
        other => found.breach(
            "C-schema-07",
            &about,
            "meta.resourceType",
            format!(
                "a resource of {} has meta.resourceType {}",
                t.name,
                show(other.map(|s| Value::String(s.into())).as_ref())
            ),
        ),
    }
    let at = |k: &str| {
        meta.get(k)
            .and_then(Value::as_str)
            .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
    };
    if let (Some(created), Some(modified)) = (at("created"), at("lastModified"))
        && modified < created
    {
        found.breach(
            "C-schema-09",
            &about,
            "meta.lastModified",
            format!("meta.lastModified ({modified}) is before meta.created ({created})"),
        );
    }
}

/// `schemas` lists the core schema and only the type's own (RFC 7643 lines 700-713).
fn schemas(v: &Value, t: &TypeSchema, found: &mut Found) {
    let about = format!("{} resources", t.name);
    let Some(listed) = v.get("schemas").and_then(Value::as_array) else {
        found.breach(
            "C-schema-01",
            &about,
            "schemas",
            format!("a {} has no schemas array", t.name),
        );
        return;
    };
    let urns: Vec<&str> = listed.iter().filter_map(Value::as_str).collect();
    if !urns.iter().any(|u| u.eq_ignore_ascii_case(&t.core)) {
        found.breach(
            "C-schema-01",
            &about,
            "schemas",
            format!(
                "a {}'s schemas {urns:?} lack its core schema {}",
                t.name, t.core
            ),
        );
    }
    for u in urns.into_iter().filter(|_| t.declared) {
        let own = u.eq_ignore_ascii_case(&t.core)
            || t.extensions.iter().any(|(e, _)| e.eq_ignore_ascii_case(u));
        if !own {
            found.breach(
                "C-schema-01",
                &about,
                "schemas",
                format!(
                    "a {}'s schemas list {u}, which its resource type does not declare",
                    t.name
                ),
            );
        }
    }
}

/// Attributes declared `returned: never` (a password) are never in an answer (RFC 7643
/// lines 1768-1770).
fn returned_never(v: &Value, t: &TypeSchema, found: &mut Found) {
    let about = format!("{} resources", t.name);
    let never = |attrs: &[Attribute], obj: &Value, prefix: &str, found: &mut Found| {
        // MUST for what is written only (a password); other never-returned ones only MAY.
        let never =
            |a: &&Attribute| a.returned == Returned::Never && a.mutability == Mutability::WriteOnly;
        for a in attrs.iter().filter(never) {
            if member(obj, &a.name).is_some_and(|x| !x.is_null()) {
                found.breach(
                    "C-attributes-02",
                    &about,
                    &format!("{prefix}{} returned", a.name),
                    format!(
                        "a {} carries {prefix}{}, which is returned never",
                        t.name, a.name
                    ),
                );
            }
        }
    };
    never(&t.attributes, v, "", found);
    for (urn, attrs) in &t.extensions {
        if let Some(ext) = member(v, urn) {
            never(attrs, ext, &format!("{urn}:"), found);
        }
    }
}

/// The answer about one resource: its location agrees with the headers (RFC 7643 lines
/// 927-929; RFC 7644 lines 604-607), a new one was never modified (RFC 7643 lines 923-925),
/// and caseExact values come back as sent (RFC 7643 lines 1748-1750).
fn single(seen: &Seen, v: &Value, t: &TypeSchema, created: bool, found: &mut Found) {
    let request = found.request.clone();
    let location = v.pointer("/meta/location").and_then(Value::as_str);
    // A header may hold a relative reference (RFC 7231 §7.1.2); both are compared as the
    // URLs they resolve to, so that case of host and default ports do not count.
    let base = url::Url::parse(seen.url).ok();
    let resolve = |s: &str| match &base {
        Some(b) => b
            .join(s)
            .map(String::from)
            .unwrap_or_else(|_| s.to_string()),
        None => s.to_string(),
    };
    let same =
        |a: &str, b: &str| resolve(a).trim_end_matches('/') == resolve(b).trim_end_matches('/');
    if let (Some(loc), Some(header)) = (location, seen.response.header("content-location"))
        && !same(loc, header)
    {
        found.breach(
            "C-schema-11",
            &request,
            "meta.location",
            format!("meta.location {loc} differs from the Content-Location header {header}"),
        );
    }
    if created {
        if let (Some(loc), Some(header)) = (location, seen.response.header("location"))
            && !same(loc, header)
        {
            found.breach(
                "P-create-04",
                &request,
                "meta.location",
                format!("meta.location {loc} differs from the Location header {header}"),
            );
        }
        let meta = |k: &str| v.pointer(&format!("/meta/{k}")).and_then(Value::as_str);
        let at = |s: &str| OffsetDateTime::parse(s, &Rfc3339).ok();
        if let (Some(c), Some(m)) = (
            meta("created").and_then(at),
            meta("lastModified").and_then(at),
        ) && c != m
        {
            found.breach(
                "C-schema-09",
                &request,
                "meta.lastModified",
                format!("a new resource has meta.lastModified {m}, not its meta.created {c}"),
            );
        }
    }
    let writes = matches!(seen.method, Method::Post | Method::Put);
    if let (true, Some(sent)) = (writes, seen.sent) {
        for a in t.attributes.iter().filter(|a| preserves_case(a)) {
            let (Some(Value::String(s)), Some(Value::String(got))) =
                (member(sent, &a.name), member(v, &a.name))
            else {
                continue;
            };
            if s != got && s.eq_ignore_ascii_case(got) {
                found.breach(
                    "C-schema-06",
                    &request,
                    &format!("{} case", a.name),
                    format!(
                        "{} was sent as {s:?} and came back as {got:?}: it is caseExact",
                        a.name
                    ),
                );
            }
        }
    }
}

/// A string a client writes whose case the server must keep.
fn preserves_case(a: &Attribute) -> bool {
    a.case_exact
        && matches!(a.kind, AttrType::String)
        && !matches!(a.mutability, Mutability::ReadOnly | Mutability::WriteOnly)
        && a.returned != Returned::Never
}

/// Whether `v` is the URN `urn`, whose every facet is case-insensitive (RFC 7644 lines
/// 3663-3665).
fn is_urn(v: &Value, urn: &str) -> bool {
    v.as_str().is_some_and(|u| u.eq_ignore_ascii_case(urn))
}

/// A member by case-insensitive name (RFC 7643 §2.1).
fn member<'a>(obj: &'a Value, name: &str) -> Option<&'a Value> {
    obj.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn show(v: Option<&Value>) -> String {
    v.map_or("none".into(), Value::to_string)
}

#[cfg(test)]
mod tests;
