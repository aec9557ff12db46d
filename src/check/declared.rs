//! What the target says about its own resources: its `/Schemas` and `/ResourceTypes`, read
//! once per run and compiled into JSON Schemas, so that every resource it returns is held to
//! its own declaration (C-discovery-04) — types, multiValued, required, `returned: never`,
//! readOnly values not taken from a create — whatever case happened to fetch it.

mod endpoint;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::client::{Client, Outcome, Outgoing, RecordedRequest};
use crate::plan::fit::Shape;
use crate::scim::locate;
use crate::scim::schema::{
    self, AttrType, Attribute, Mutability, Registry, ResourceType, Returned, Schema,
};
use crate::suite::{Level, Method};

const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// A departure the discovery documents show: one finding for the run, at its requirement's
/// level, which no case fails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscoveryFinding {
    pub requirement: String,
    pub level: Level,
    pub message: String,
}

/// One resource type as declared, as the response invariants read it.
#[derive(Debug, Clone)]
pub struct TypeSchema {
    /// `User`, as `meta.resourceType` names it.
    pub name: String,
    /// `Users`, without the slash.
    pub endpoint: String,
    pub core: String,
    pub attributes: Vec<Attribute>,
    pub extensions: Vec<(String, Vec<Attribute>)>,
    /// Whether the target declared it; RFC 7643's stand-in knows no vendor extension, so an
    /// unknown URN in `schemas` proves nothing against it.
    pub declared: bool,
}

/// The compiled declarations of one target.
pub struct Declared {
    types: Vec<Declaration>,
    /// The resource types whose `endpoint` is not relative to the base URL: (name, as written).
    not_relative: Vec<(String, String)>,
}

/// One resource type as the target declares it.
struct Declaration {
    name: String,
    /// Where it is served, without the slash: `Users`.
    endpoint: String,
    /// The core schema URN a resource of this type lists in `schemas`.
    core: String,
    /// Common attributes (RFC 7643 §3.1) followed by the core schema's.
    attributes: Vec<Attribute>,
    extensions: Vec<(String, Vec<Attribute>)>,
    /// For whole resources: required attributes must be there.
    full: jsonschema::Validator,
    /// For answers cut down by `attributes`/`excludedAttributes`, where required ones may go.
    projected: jsonschema::Validator,
}

/// What one response shows against the declarations.
#[derive(Debug, Default, PartialEq)]
pub struct Findings {
    /// Departures from the declaration itself (C-discovery-04, SHOULD).
    pub violations: Vec<String>,
    /// Departures from what RFC 7643 only suggests (canonicalValues): a warning.
    pub notes: Vec<String>,
}

impl Declared {
    /// Reads `/Schemas` and `/ResourceTypes`; an error says why nothing can be checked.
    pub async fn discover(client: &Client) -> Result<Self, String> {
        let schemas = fetch(client, "/Schemas").await?;
        let types = fetch(client, "/ResourceTypes").await?;
        Self::from_documents(&schemas, &types, client.base_url())
    }

    /// Compiles discovery documents as the server at `base_url` serves them.
    pub fn from_documents(
        schemas: &[Value],
        types: &[Value],
        base_url: &str,
    ) -> Result<Self, String> {
        if types.is_empty() {
            return Err("/ResourceTypes lists no resource type".into());
        }
        let rfc = Registry::rfc();
        let schemas: Vec<Schema> = schemas
            .iter()
            .map(|s| {
                serde_json::from_value(or_member(known_members(s, SCHEMA_MEMBERS), "name", "id"))
                    .map(|s| with_rfc_sub_attributes(s, rfc))
                    .map_err(|e| format!("a /Schemas entry ({}) cannot be read: {e}", s["id"]))
            })
            .collect::<Result<_, _>>()?;
        let find = |urn: &str| schemas.iter().find(|s| s.id.eq_ignore_ascii_case(urn));
        let base = reqwest::Url::parse(base_url).ok();
        let mut out = Vec::new();
        let mut not_relative = Vec::new();
        for t in types {
            let rt: ResourceType =
                serde_json::from_value(or_member(known_members(t, TYPE_MEMBERS), "id", "name"))
                    .map_err(|e| {
                        format!("a /ResourceTypes entry ({}) cannot be read: {e}", t["id"])
                    })?;
            let placed = endpoint::place(&rt.endpoint, base.as_ref());
            if !matches!(placed, endpoint::Placement::Relative(_)) {
                not_relative.push((rt.name.clone(), rt.endpoint.clone()));
            }
            let endpoint = endpoint::resolve(placed, &rt);
            let Some(core) = find(&rt.schema) else {
                return Err(format!(
                    "resource type {} names schema {}, which /Schemas does not list",
                    rt.name, rt.schema
                ));
            };
            let mut attributes = schema::common_attributes();
            attributes.retain(|c| core.attribute(&c.name).is_none());
            attributes.extend(core.attributes.iter().cloned());
            let extensions: Vec<(String, Vec<Attribute>)> = rt
                .schema_extensions
                .iter()
                .filter_map(|e| find(&e.schema))
                .map(|s| (s.id.clone(), s.attributes.clone()))
                .collect();
            let compile = |required: bool| {
                let schema = object(&attributes, &extensions, required);
                jsonschema::validator_for(&schema)
                    .map_err(|e| format!("resource type {}: {e}", rt.name))
            };
            out.push(Declaration {
                full: compile(true)?,
                projected: compile(false)?,
                name: rt.name,
                endpoint,
                core: core.id.clone(),
                attributes,
                extensions,
            });
        }
        Ok(Declared {
            types: out,
            not_relative,
        })
    }

    /// The resource types as the response invariants read them.
    pub fn type_schemas(&self) -> Vec<TypeSchema> {
        self.types
            .iter()
            .map(|d| TypeSchema {
                name: d.name.clone(),
                endpoint: d.endpoint.clone(),
                core: d.core.clone(),
                attributes: d.attributes.clone(),
                extensions: d.extensions.clone(),
                declared: true,
            })
            .collect()
    }

    /// Where an attribute a refusal from `endpoint` (`Users`) names sits in what the target
    /// declares, as `--fill` takes it (see [`locate::fill_path`]).
    pub fn fill_path(&self, endpoint: &str, named: &str, detail: &str) -> Option<String> {
        let d = self.types.iter().find(|d| d.endpoint == endpoint)?;
        locate::fill_path(named, detail, &d.attributes, &d.extensions)
    }

    /// The resource types as the plan stage fits the suites to them (which keeps what RFC
    /// 7643 requires of them even where they lack it: `Fit::lacking_required`).
    pub fn shapes(&self) -> Vec<Shape> {
        self.types
            .iter()
            .map(|d| Shape {
                endpoint: d.endpoint.clone(),
                core: d.core.clone(),
                attributes: d.attributes.clone(),
                extensions: d.extensions.clone(),
            })
            .collect()
    }

    /// What the documents show once for the whole run: resource type endpoints that are not
    /// relative to the base URL. RFC 7643 §6 (lines 1635-1636, and the `endpoint` attribute
    /// of §8.7.2, lines 4492-4493) defines `endpoint` as "relative to the Base URL of the
    /// service provider, e.g., "Users"". It is a definition without a BCP 14 keyword, so by
    /// the catalogue's rule for such rows (basis `defined`) a SHOULD; C-discovery-02 is the
    /// row of the `endpoint` attribute, whose MUST is about its presence only. The run goes on
    /// with each endpoint resolved against the base URL.
    pub fn findings(&self) -> Vec<DiscoveryFinding> {
        if self.not_relative.is_empty() {
            return Vec::new();
        }
        let written: Vec<String> = self
            .not_relative
            .iter()
            .map(|(name, endpoint)| format!("{name}: {endpoint:?}"))
            .collect();
        vec![DiscoveryFinding {
            requirement: "C-discovery-02".into(),
            level: Level::Should,
            message: format!(
                "/ResourceTypes gives endpoints that are not relative to the base URL ({}); RFC 7643 §6 defines `endpoint` relative to it, e.g. \"Users\". Resolved against the base URL for this run",
                written.join(", ")
            ),
        }]
    }

    /// Checks every resource in a successful response (`body`, when it is JSON), a list's
    /// members included.
    pub fn check(&self, request: &RecordedRequest, status: u16, body: Option<&Value>) -> Findings {
        let mut findings = Findings::default();
        let Some(body) = body.filter(|_| (200..300).contains(&status)) else {
            return findings;
        };
        let projected = is_projected(request);
        if lists(body, LIST_RESPONSE) {
            let resources = body
                .get("Resources")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice);
            for (i, r) in resources.iter().enumerate() {
                self.resource(r, projected, &format!("/Resources/{i}"), &mut findings);
            }
            return findings;
        }
        let Some(decl) = self.resource(body, projected, "", &mut findings) else {
            return findings;
        };
        if request.method == Method::Post
            && status == 201
            && let Some(sent) = request.body.as_ref().and_then(json_body)
            && sent.is_object()
            && let Value::Object(got) = normalised(body, decl)
        {
            let sent = normalised(&sent, decl);
            taken_read_only(
                decl,
                &decl.attributes,
                sent.as_object(),
                &got,
                "",
                &mut findings,
            );
            for (urn, attrs) in &decl.extensions {
                if let (Some(Value::Object(s)), Some(Value::Object(g))) =
                    (sent.get(urn), got.get(urn))
                {
                    taken_read_only(decl, attrs, Some(s), g, &format!("{urn}:"), &mut findings);
                }
            }
        }
        findings
    }

    fn resource(
        &self,
        body: &Value,
        projected: bool,
        at: &str,
        findings: &mut Findings,
    ) -> Option<&Declaration> {
        let decl = self.types.iter().find(|d| lists(body, &d.core))?;
        let body = normalised(body, decl);
        let validator = if projected {
            &decl.projected
        } else {
            &decl.full
        };
        for e in validator.iter_errors(&body) {
            let path = format!("{at}{}", e.instance_path());
            let path = if path.is_empty() {
                "(root)".into()
            } else {
                path
            };
            findings.violations.push(format!(
                "declared schema (C-discovery-04, SHOULD): {} {path}: {e}",
                decl.name
            ));
        }
        let mut walk = |attrs: &[Attribute], obj: &Map<String, Value>, prefix: &str| {
            characteristics(attrs, obj, &format!("{at}/{prefix}"), findings);
        };
        if let Value::Object(obj) = &body {
            walk(&decl.attributes, obj, "");
            for (urn, attrs) in &decl.extensions {
                if let Some(Value::Object(ext)) = obj.get(urn) {
                    walk(attrs, ext, &format!("{urn}/"));
                }
            }
        }
        Some(decl)
    }
}

/// The members serde reads; servers add others (`schemas`, `meta`, vendor keys).
const SCHEMA_MEMBERS: &[&str] = &["id", "name", "description", "attributes"];
const TYPE_MEMBERS: &[&str] = &[
    "id",
    "name",
    "endpoint",
    "description",
    "schema",
    "schemaExtensions",
];
const ATTRIBUTE_MEMBERS: &[&str] = &[
    "name",
    "type",
    "multiValued",
    "description",
    "required",
    "caseExact",
    "mutability",
    "returned",
    "uniqueness",
    "canonicalValues",
    "referenceTypes",
    "subAttributes",
];

/// A schema whose complex attributes without `subAttributes` take the ones RFC 7643 gives the
/// attribute of that name, when the schema is one of the RFC's. RFC 7643 §7 (lines
/// 1717-1719) only says there SHOULD be `subAttributes` for a complex attribute, so leaving
/// them out is no statement that the server lacks any; for an attribute the RFC defines, its
/// sub-attributes are those of §4 (and `meta`'s those of §3.1). Any other complex attribute
/// stays without a list: its values are not held to one, and the plan judges no attribute
/// the RFC does not define.
fn with_rfc_sub_attributes(mut s: Schema, rfc: &Registry) -> Schema {
    let common = schema::common_attributes();
    let own = rfc
        .schema(&s.id)
        .map_or(&[][..], |r| r.attributes.as_slice());
    for a in &mut s.attributes {
        if a.kind != AttrType::Complex || !a.sub_attributes.is_empty() {
            continue;
        }
        if let Some(r) = own
            .iter()
            .chain(&common)
            .find(|r| r.name.eq_ignore_ascii_case(&a.name))
        {
            a.sub_attributes = r.sub_attributes.clone();
        }
    }
    s
}

/// A member RFC 7643 makes optional and serde needs, filled in from another: a Schema's
/// `name` from its `id` (§7: "OPTIONAL"), a ResourceType's `id` from its `name` (§6:
/// "OPTIONAL", "often the same value as the "name" attribute").
fn or_member(mut doc: Value, missing: &str, from: &str) -> Value {
    if let Value::Object(obj) = &mut doc
        && !obj.contains_key(missing)
        && let Some(v) = obj.get(from).cloned()
    {
        obj.insert(missing.into(), v);
    }
    doc
}

/// A discovery document with only the members scimitar reads, attributes recursively.
fn known_members(doc: &Value, members: &[&str]) -> Value {
    let Value::Object(obj) = doc else {
        return doc.clone();
    };
    let mut out = Map::new();
    for (k, v) in obj {
        if !members.contains(&k.as_str()) || v.is_null() {
            continue;
        }
        let v = match (k.as_str(), v) {
            ("attributes" | "subAttributes", Value::Array(attrs)) => Value::Array(
                attrs
                    .iter()
                    .map(|a| known_members(a, ATTRIBUTE_MEMBERS))
                    .collect(),
            ),
            ("schemaExtensions", Value::Array(exts)) => Value::Array(
                exts.iter()
                    // `required` left out (RFC 7643 §6, lines 1653-1658, makes it REQUIRED):
                    // read as false, the weaker claim, so resources are not held to more than
                    // the server said.
                    .map(|e| {
                        let mut e = known_members(e, &["schema", "required"]);
                        if let Value::Object(o) = &mut e {
                            o.entry("required").or_insert(Value::Bool(false));
                        }
                        e
                    })
                    .collect(),
            ),
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    Value::Object(out)
}

async fn fetch(client: &Client, path: &str) -> Result<Vec<Value>, String> {
    let exchange = client.send(Outgoing::get(path)).await;
    let r = match exchange.outcome {
        Outcome::Response(r) if r.status == 200 => r,
        Outcome::Response(r) => return Err(format!("GET {path} answered {}", r.status)),
        Outcome::Error(e) => return Err(format!("GET {path}: {e}")),
    };
    match serde_json::from_str(&r.body) {
        // RFC 7644 §4 serves a ListResponse; some servers answer a bare array, some leave out
        // `totalResults`. Without any resource `Resources` may be absent (RFC 7644 §3.4.2:
        // "REQUIRED if "totalResults" is non-zero").
        Ok(Value::Object(mut o)) => match o.remove("Resources") {
            Some(Value::Array(items)) => Ok(items),
            None if o.get("totalResults").and_then(Value::as_u64) == Some(0) => Ok(vec![]),
            _ => Err(format!("GET {path}: the answer has no Resources array")),
        },
        Ok(Value::Array(items)) => Ok(items),
        Ok(_) => Err(format!("GET {path}: the answer is not a list")),
        Err(e) => Err(format!("GET {path}: the body is not JSON: {e}")),
    }
}

/// Whether `body.schemas` lists `urn`.
fn lists(body: &Value, urn: &str) -> bool {
    body.get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter()
                .any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(urn)))
        })
}

/// A request body as JSON, borrowed when it was sent as JSON.
fn json_body(body: &crate::client::Body) -> Option<Cow<'_, Value>> {
    match body {
        crate::client::Body::Json(v) => Some(Cow::Borrowed(v)),
        crate::client::Body::Raw(s) => serde_json::from_str(s).ok().map(Cow::Owned),
    }
}

/// Whether the request asked for a subset of attributes, so required ones may be missing.
fn is_projected(request: &RecordedRequest) -> bool {
    let named = |k: &str| {
        k.eq_ignore_ascii_case("attributes") || k.eq_ignore_ascii_case("excludedAttributes")
    };
    let in_query =
        reqwest::Url::parse(&request.url).is_ok_and(|u| u.query_pairs().any(|(k, _)| named(&k)));
    let in_body = request
        .body
        .as_ref()
        .and_then(json_body)
        .and_then(|b| b.as_object().map(|o| o.keys().any(|k| named(k))))
        .unwrap_or(false);
    in_query || in_body
}

/// A resource with its attribute names spelt as declared: names are case-insensitive
/// (RFC 7643 §2.1), JSON Schema property names are not.
fn normalised(body: &Value, decl: &Declaration) -> Value {
    let Value::Object(obj) = body else {
        return body.clone();
    };
    let mut out = rename(&decl.attributes, obj);
    for (urn, attrs) in &decl.extensions {
        if let Some(key) = out.keys().find(|k| k.eq_ignore_ascii_case(urn)).cloned()
            && let Some(Value::Object(ext)) = out.remove(&key)
        {
            out.insert(urn.clone(), Value::Object(rename(attrs, &ext)));
        }
    }
    Value::Object(out)
}

fn rename(attrs: &[Attribute], obj: &Map<String, Value>) -> Map<String, Value> {
    obj.iter()
        .map(
            |(k, v)| match attrs.iter().find(|a| a.name.eq_ignore_ascii_case(k)) {
                None => (k.clone(), v.clone()),
                Some(a) => {
                    let sub = |v: &Value| match v {
                        Value::Object(o) => Value::Object(rename(&a.sub_attributes, o)),
                        other => other.clone(),
                    };
                    let v = match v {
                        Value::Array(items) => Value::Array(items.iter().map(sub).collect()),
                        other => sub(other),
                    };
                    (a.name.clone(), v)
                }
            },
        )
        .collect()
}

/// The JSON Schema of an object holding `attrs` (and, at the top, the extensions).
fn object(attrs: &[Attribute], extensions: &[(String, Vec<Attribute>)], required: bool) -> Value {
    let mut properties: Map<String, Value> = attrs
        .iter()
        .map(|a| (a.name.clone(), attribute(a, required)))
        .collect();
    for (urn, ext) in extensions {
        properties.insert(urn.clone(), nullable(object(ext, &[], required)));
    }
    let mut schema = json!({"type": "object", "properties": properties});
    let names: Vec<&str> = attrs
        .iter()
        .filter(|a| a.required && a.returned != Returned::Never)
        .map(|a| a.name.as_str())
        .collect();
    if required && !names.is_empty() {
        schema["required"] = json!(names);
    }
    schema
}

fn attribute(a: &Attribute, required: bool) -> Value {
    let one = match a.kind {
        AttrType::String | AttrType::DateTime | AttrType::Reference | AttrType::Binary => {
            json!({"type": "string"})
        }
        AttrType::Boolean => json!({"type": "boolean"}),
        AttrType::Decimal => json!({"type": "number"}),
        AttrType::Integer => json!({"type": "integer"}),
        AttrType::Complex => object(&a.sub_attributes, &[], required),
    };
    // Unassigned attributes may be null (RFC 7643 §2.5), a multi-valued one an empty array.
    nullable(if a.multi_valued {
        json!({"type": "array", "items": one})
    } else {
        one
    })
}

fn nullable(mut schema: Value) -> Value {
    let t = schema["type"].take();
    schema["type"] = json!([t, "null"]);
    schema
}

/// The characteristics JSON Schema does not say well: `returned: never` and canonicalValues.
fn characteristics(attrs: &[Attribute], obj: &Map<String, Value>, at: &str, f: &mut Findings) {
    for a in attrs {
        let Some(v) = obj.get(&a.name).filter(|v| !v.is_null()) else {
            continue;
        };
        let path = format!("{at}{}", a.name);
        if a.returned == Returned::Never {
            f.violations.push(format!(
                "declared schema (C-attributes-02): {path} is declared `returned: never`, yet the response carries it"
            ));
            continue;
        }
        let values: Vec<&Value> = match v {
            Value::Array(items) if a.multi_valued => items.iter().collect(),
            other => vec![other],
        };
        for (i, v) in values.iter().enumerate() {
            let here = if a.multi_valued {
                format!("{path}/{i}")
            } else {
                path.clone()
            };
            if let (false, Value::String(s)) = (a.canonical_values.is_empty(), v) {
                let known = a.canonical_values.iter().any(|c| {
                    if a.case_exact {
                        c == s
                    } else {
                        c.eq_ignore_ascii_case(s)
                    }
                });
                if !known {
                    f.notes.push(format!(
                        "{here}: {s:?} is not one of the declared canonicalValues {:?} (C-schema-17)",
                        a.canonical_values
                    ));
                }
            }
            if let Value::Object(sub) = v {
                characteristics(&a.sub_attributes, sub, &format!("{here}/"), f);
            }
        }
    }
}

/// ReadOnly values a create sent and the server kept (P-create-06, C-enterprise-02): the
/// server must set them itself or leave them out.
fn taken_read_only(
    decl: &Declaration,
    attrs: &[Attribute],
    sent: Option<&Map<String, Value>>,
    got: &Map<String, Value>,
    prefix: &str,
    f: &mut Findings,
) {
    let Some(sent) = sent else { return };
    for a in attrs {
        let (Some(s), Some(g)) = (sent.get(&a.name), got.get(&a.name)) else {
            continue;
        };
        if s.is_null() {
            continue;
        }
        let name = format!("{prefix}{}", a.name);
        if a.mutability == Mutability::ReadOnly && s == g {
            // meta.resourceType has one right value, which a client may well send.
            let inevitable = name == "meta.resourceType" && s.as_str() == Some(decl.name.as_str());
            if !inevitable {
                f.violations.push(format!(
                    "declared schema (P-create-06): {name} is readOnly, yet the server kept the value the create sent: {s}"
                ));
            }
        } else if let (Some(s), Some(g)) = (s.as_object(), g.as_object()) {
            // A single-valued complex value: its sub-attributes in turn.
            taken_read_only(decl, &a.sub_attributes, Some(s), g, &format!("{name}."), f);
        }
    }
}

#[cfg(test)]
mod tests;
