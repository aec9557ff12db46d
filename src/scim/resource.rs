//! Turning a client's JSON into a stored resource: canonical attribute names, declared
//! types, mutability (RFC 7643 §2, §7) and required attributes.

use serde_json::{Map, Value};

use super::error::{ScimError, ScimType};
use super::schema::{AttrType, Attribute, Mutability, Registry, ResourceType, Schema};
use super::value::is_unassigned;

/// The view of one resource type that every SCIM rule needs.
#[derive(Clone, Copy)]
pub struct Kind<'a> {
    pub registry: &'a Registry,
    pub rt: &'a ResourceType,
}

impl<'a> Kind<'a> {
    pub fn base(&self) -> &'a Schema {
        self.registry
            .schema(&self.rt.schema)
            .expect("resource type names a known schema")
    }

    /// The extension schema addressed by `urn`, if this resource type has it.
    pub fn extension(&self, urn: &str) -> Option<&'a Schema> {
        self.rt
            .schema_extensions
            .iter()
            .find(|e| e.schema.eq_ignore_ascii_case(urn))
            .and_then(|e| self.registry.schema(&e.schema))
    }
}

impl super::filter::Attributes for Kind<'_> {
    fn top(&self, urn: Option<&str>, attr: &str) -> Option<&Attribute> {
        let name = match urn {
            Some(u) => format!("{u}:{attr}"),
            None => attr.to_string(),
        };
        self.registry.resolve(self.rt, &name).map(|(_, a)| a)
    }
}

/// Coerces and checks one value against its definition. Booleans sent as the strings
/// "True"/"False" are accepted, because Microsoft Entra sends them that way.
pub fn coerce(def: &Attribute, v: Value) -> Result<Value, ScimError> {
    if v.is_null() {
        return Ok(v);
    }
    if def.multi_valued {
        let items = match v {
            Value::Array(items) => items,
            single => vec![single],
        };
        let single = Attribute {
            multi_valued: false,
            ..def.clone()
        };
        return items
            .into_iter()
            .map(|i| coerce(&single, i))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    let wrong = |v: &Value| {
        ScimError::bad(
            ScimType::InvalidValue,
            format!("`{}` must be {:?}, got {v}", def.name, def.kind).to_lowercase(),
        )
    };
    match (def.kind, v) {
        (AttrType::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("true") => {
            Ok(Value::Bool(true))
        }
        (AttrType::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("false") => {
            Ok(Value::Bool(false))
        }
        (AttrType::Boolean, v @ Value::Bool(_)) => Ok(v),
        (AttrType::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Value::Number(n)),
        (AttrType::Decimal, v @ Value::Number(_)) => Ok(v),
        (AttrType::DateTime, Value::String(s)) => match super::value::parse_datetime(&s) {
            Some(_) => Ok(Value::String(s)),
            None => Err(wrong(&Value::String(s))),
        },
        (AttrType::String | AttrType::Reference | AttrType::Binary, v @ Value::String(_)) => Ok(v),
        // Entra sends a reference such as the enterprise `manager` as the bare id.
        (AttrType::Complex, Value::String(s)) if def.sub("value").is_some() => {
            Ok(serde_json::json!({ "value": s }))
        }
        (AttrType::Complex, Value::Object(obj)) => {
            let mut out = Map::new();
            for (k, v) in obj {
                // Unknown sub-attributes are ignored (RFC 7644 §3.3 lets a server do so).
                if let Some(sub) = def.sub(&k) {
                    let v = coerce(sub, v)?;
                    if !v.is_null() {
                        out.insert(sub.name.clone(), v);
                    }
                }
            }
            Ok(Value::Object(out))
        }
        (_, v) => Err(wrong(&v)),
    }
}

/// Strips the parts of a value the client may not set (readOnly sub-attributes).
fn strip_read_only(def: &Attribute, v: &mut Value) {
    let subs: Vec<&Attribute> = def
        .sub_attributes
        .iter()
        .filter(|s| s.mutability == Mutability::ReadOnly)
        .collect();
    if subs.is_empty() {
        return;
    }
    let strip = |item: &mut Value| {
        if let Some(obj) = item.as_object_mut() {
            for s in &subs {
                obj.remove(&s.name);
            }
        }
    };
    match v {
        Value::Array(items) => items.iter_mut().for_each(strip),
        item => strip(item),
    }
}

/// Builds the stored form of a resource from a create or replace body: known attributes
/// under their canonical names, values coerced to their types, readOnly ones dropped.
/// Common attributes (`id`, `meta`) are left to the caller.
pub fn from_request(kind: Kind, body: &Value) -> Result<Map<String, Value>, ScimError> {
    let Some(obj) = body.as_object() else {
        return Err(ScimError::bad(
            ScimType::InvalidSyntax,
            "the request body must be a JSON object",
        ));
    };
    let mut out = Map::new();
    let base = kind.base();
    for (key, v) in obj {
        if key.eq_ignore_ascii_case("externalId") {
            match v {
                Value::String(_) => {
                    out.insert("externalId".into(), v.clone());
                }
                Value::Null => {}
                _ => {
                    return Err(ScimError::bad(
                        ScimType::InvalidValue,
                        "externalId must be a string",
                    ));
                }
            }
            continue;
        }
        if let Some(ext) = kind.extension(key) {
            let Some(ext_obj) = v.as_object() else {
                if v.is_null() {
                    continue;
                }
                return Err(ScimError::bad(
                    ScimType::InvalidSyntax,
                    format!("`{}` must be an object", ext.id),
                ));
            };
            let mut stored = Map::new();
            for (k, v) in ext_obj {
                if let Some(def) = ext.attribute(k) {
                    put(def, v, &mut stored)?;
                }
            }
            if !stored.is_empty() {
                out.insert(ext.id.clone(), Value::Object(stored));
            }
            continue;
        }
        if let Some(def) = base.attribute(key) {
            put(def, v, &mut out)?;
        }
    }
    for def in base.attributes.iter().filter(|a| a.required) {
        if out.get(&def.name).is_none_or(is_unassigned) {
            return Err(ScimError::bad(
                ScimType::InvalidValue,
                format!("`{}` is required", def.name),
            ));
        }
    }
    // A required sub-attribute of a single-valued complex one (a vendor's `name.formatted`)
    // must be there, and so its parent: the RFC core declares none.
    for def in base.attributes.iter().filter(|a| !a.multi_valued) {
        for sub in def.sub_attributes.iter().filter(|s| s.required) {
            let value = out.get(&def.name).and_then(|v| v.get(&sub.name));
            if value.is_none_or(is_unassigned) {
                return Err(ScimError::bad(
                    ScimType::InvalidValue,
                    format!("`{}` is required in `{}`", sub.name, def.name),
                ));
            }
        }
    }
    let mut schemas = vec![Value::String(base.id.clone())];
    for e in &kind.rt.schema_extensions {
        if out.contains_key(&e.schema) {
            schemas.push(Value::String(e.schema.clone()));
        }
    }
    out.insert("schemas".into(), Value::Array(schemas));
    Ok(out)
}

fn put(def: &Attribute, v: &Value, out: &mut Map<String, Value>) -> Result<(), ScimError> {
    if def.mutability == Mutability::ReadOnly {
        return Ok(());
    }
    let mut v = coerce(def, v.clone())?;
    strip_read_only(def, &mut v);
    if !is_unassigned(&v) {
        out.insert(def.name.clone(), v);
    }
    Ok(())
}

/// Checks that a replace does not change an immutable attribute that already has a value
/// (RFC 7644 §3.5.1).
pub fn check_immutable(
    kind: Kind,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) -> Result<(), ScimError> {
    for def in kind
        .registry
        .schemas_of(kind.rt)
        .flat_map(|s| s.attributes.iter())
    {
        if def.mutability == Mutability::Immutable
            && let Some(before) = old.get(&def.name).filter(|v| !is_unassigned(v))
            && new.get(&def.name) != Some(before)
        {
            return Err(ScimError::bad(
                ScimType::Mutability,
                format!("`{}` is immutable", def.name),
            ));
        }
    }
    Ok(())
}
