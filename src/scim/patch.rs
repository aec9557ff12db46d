//! PATCH (RFC 7644 §3.5.2): operations applied in order to a copy of the resource, so a
//! failing operation leaves the stored resource untouched.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::error::{ScimError, ScimType};
use super::filter::{self, PatchPath};
use super::resource::{Kind, coerce};
use super::schema::{AttrType, Attribute, Mutability};
use super::value::{get_ci_mut, is_unassigned, key_ci, remove_ci};

pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Remove,
    Replace,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub op: Op,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// Whether a PatchOp operation (as sent) has no `path`: absent or null alike.
pub fn pathless(op: &Value) -> bool {
    op.get("path").is_none_or(Value::is_null)
}

/// Parses a PatchOp body. `op` is matched case-insensitively (Entra sends `Replace`).
pub fn parse(body: &Value) -> Result<Vec<Operation>, ScimError> {
    #[derive(Deserialize)]
    struct Raw {
        schemas: Vec<String>,
        #[serde(rename = "Operations", alias = "operations")]
        operations: Vec<RawOp>,
    }
    #[derive(Deserialize)]
    struct RawOp {
        op: String,
        path: Option<String>,
        value: Option<Value>,
    }
    let syntax = |m: String| ScimError::bad(ScimType::InvalidSyntax, m);
    let raw: Raw =
        serde_json::from_value(body.clone()).map_err(|e| syntax(format!("not a PatchOp: {e}")))?;
    if !raw.schemas.iter().any(|s| s == PATCH_OP) {
        return Err(syntax(format!("schemas must contain {PATCH_OP}")));
    }
    raw.operations
        .into_iter()
        .map(|o| {
            let op = match o.op.to_ascii_lowercase().as_str() {
                "add" => Op::Add,
                "remove" => Op::Remove,
                "replace" => Op::Replace,
                other => return Err(syntax(format!("unknown op `{other}`"))),
            };
            let path = o
                .path
                .map(|p| {
                    filter::parse_patch_path(&p)
                        .map_err(|e| ScimError::bad(ScimType::InvalidPath, e.to_string()))
                })
                .transpose()?;
            if op == Op::Add && o.value.is_none() {
                return Err(syntax("add requires a value".into()));
            }
            if op == Op::Remove && path.is_none() {
                return Err(ScimError::bad(ScimType::NoTarget, "remove requires a path"));
            }
            Ok(Operation {
                op,
                path,
                value: o.value,
            })
        })
        .collect()
}

/// Applies operations to a resource. Returns the new resource; the input is not changed.
/// A path-less value member naming no attribute of the resource type is refused.
pub fn apply(
    kind: Kind,
    resource: &Map<String, Value>,
    ops: &[Operation],
) -> Result<Map<String, Value>, ScimError> {
    apply_with(kind, resource, ops, false)
}

/// [`apply`], where `ignore_undeclared` drops the members of a path-less value that name no
/// attribute (or extension) of the resource type instead of refusing them, as a create
/// drops them. An explicit `path` naming no attribute is refused either way.
pub fn apply_with(
    kind: Kind,
    resource: &Map<String, Value>,
    ops: &[Operation],
    ignore_undeclared: bool,
) -> Result<Map<String, Value>, ScimError> {
    let mut out = resource.clone();
    for op in ops {
        match &op.path {
            Some(path) => apply_path(kind, &mut out, op.op, path, op.value.as_ref())?,
            None => {
                let Some(Value::Object(value)) = &op.value else {
                    return Err(ScimError::bad(
                        ScimType::InvalidValue,
                        "an operation without path needs an object value",
                    ));
                };
                for (key, v) in value {
                    // The resource's own id changes nothing: Okta's group rename sends it.
                    if key.eq_ignore_ascii_case("id") && out.get("id") == Some(v) {
                        continue;
                    }
                    if let Some(ext) = kind.extension(key) {
                        let Value::Object(inner) = v else {
                            return Err(ScimError::bad(
                                ScimType::InvalidValue,
                                format!("`{}` must be an object", ext.id),
                            ));
                        };
                        for (k, v) in inner {
                            let path = filter::parse_patch_path(&format!("{}:{k}", ext.id))
                                .map_err(|e| {
                                    ScimError::bad(ScimType::InvalidPath, e.to_string())
                                })?;
                            if ignore_undeclared && !declared(kind, &path) {
                                continue;
                            }
                            apply_path(kind, &mut out, op.op, &path, Some(v))?;
                        }
                        continue;
                    }
                    // Keys may be paths themselves (`name.givenName`, `emails[type eq "work"].value`),
                    // as Entra sends them.
                    let path = filter::parse_patch_path(key)
                        .map_err(|e| ScimError::bad(ScimType::InvalidPath, e.to_string()))?;
                    if ignore_undeclared && !declared(kind, &path) {
                        continue;
                    }
                    apply_path(kind, &mut out, op.op, &path, Some(v))?;
                }
            }
        }
    }
    fix_schemas(kind, &mut out);
    Ok(out)
}

/// Keeps `schemas` in step with the extension objects present.
fn fix_schemas(kind: Kind, out: &mut Map<String, Value>) {
    let mut schemas = vec![Value::String(kind.rt.schema.clone())];
    for e in &kind.rt.schema_extensions {
        match out.get(&e.schema) {
            Some(v) if !is_unassigned(v) => schemas.push(Value::String(e.schema.clone())),
            Some(_) => {
                out.remove(&e.schema);
            }
            None => {}
        }
    }
    out.insert("schemas".into(), Value::Array(schemas));
}

/// Whether a path names an attribute (and sub-attribute) the resource type declares; an
/// extension URN alone, or one the resource type lacks, names none.
pub fn declared(kind: Kind, p: &PatchPath) -> bool {
    let full = match &p.path.urn {
        Some(u) => format!("{u}:{}", p.path.attr),
        None => p.path.attr.clone(),
    };
    kind.registry
        .resolve(kind.rt, &full)
        .is_some_and(|(_, def)| p.path.sub.as_ref().is_none_or(|s| def.sub(s).is_some()))
}

fn invalid_path(p: &PatchPath) -> ScimError {
    ScimError::bad(
        ScimType::InvalidPath,
        format!("`{p}` does not name an attribute of this resource"),
    )
}

fn apply_path(
    kind: Kind,
    res: &mut Map<String, Value>,
    op: Op,
    path: &PatchPath,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let full = match &path.path.urn {
        Some(u) => format!("{u}:{}", path.path.attr),
        None => path.path.attr.clone(),
    };
    let Some((schema, def)) = kind.registry.resolve(kind.rt, &full) else {
        return Err(invalid_path(path));
    };
    let sub_def = match &path.path.sub {
        Some(s) => Some(def.sub(s).ok_or_else(|| invalid_path(path))?),
        None => None,
    };
    let target_def = sub_def.unwrap_or(def);
    if def.mutability == Mutability::ReadOnly || target_def.mutability == Mutability::ReadOnly {
        return Err(ScimError::bad(
            ScimType::Mutability,
            format!("`{path}` is readOnly"),
        ));
    }
    if op == Op::Remove && def.required && sub_def.is_none() && path.filter.is_none() {
        return Err(ScimError::bad(
            ScimType::Mutability,
            format!("`{path}` is required and cannot be removed"),
        ));
    }
    if matches!(def.name.as_str(), "id" | "meta") {
        return Err(ScimError::bad(
            ScimType::Mutability,
            format!("`{path}` is readOnly"),
        ));
    }
    // The object holding the attribute: the resource itself, or its extension object.
    let is_ext = schema.id != kind.rt.schema;
    if is_ext && !res.contains_key(&schema.id) {
        if op == Op::Remove {
            return Ok(());
        }
        res.insert(schema.id.clone(), Value::Object(Map::new()));
    }
    let holder = if is_ext {
        res.get_mut(&schema.id)
            .and_then(Value::as_object_mut)
            .expect("extension object inserted above")
    } else {
        res
    };
    // A value-filter path without a sub-attribute targets single values of the attribute.
    let element = Attribute {
        multi_valued: false,
        ..def.clone()
    };
    let value_def = match (&path.filter, sub_def) {
        (_, Some(sub)) => sub,
        (Some(_), None) => &element,
        (None, None) => def,
    };
    let value = value
        .filter(|v| !(op == Op::Replace && v.is_null()))
        .map(|v| coerce(value_def, v.clone()))
        .transpose()?;
    if def.mutability == Mutability::Immutable
        && holder.get(&def.name).is_some_and(|v| !is_unassigned(v))
    {
        return Err(ScimError::bad(
            ScimType::Mutability,
            format!("`{path}` is immutable and already set"),
        ));
    }
    let before_primary = primaries(holder.get(&def.name));
    match &path.filter {
        Some(f) => apply_filtered(kind, def, holder, op, f, path, value)?,
        None => apply_plain(def, sub_def, holder, op, path, value)?,
    }
    enforce_single_primary(def, holder, &before_primary);
    if holder.get(&def.name).is_some_and(is_unassigned) {
        holder.remove(&def.name);
    }
    Ok(())
}

fn apply_plain(
    def: &Attribute,
    sub_def: Option<&Attribute>,
    holder: &mut Map<String, Value>,
    op: Op,
    path: &PatchPath,
    value: Option<Value>,
) -> Result<(), ScimError> {
    let name = def.name.clone();
    if let Some(k) = key_ci(holder, &name).filter(|k| *k != name) {
        let v = holder.remove(&k).expect("key found");
        holder.insert(name.clone(), v);
    }
    if let Some(sub) = sub_def {
        if def.multi_valued {
            // `emails.value` names a sub-attribute of every value: only remove is meaningful.
            if op != Op::Remove {
                return Err(ScimError::bad(
                    ScimType::InvalidPath,
                    format!("`{path}` needs a value filter"),
                ));
            }
            if let Some(Value::Array(items)) = holder.get_mut(&name) {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    remove_ci(item, &sub.name);
                }
            }
            return Ok(());
        }
        let entry = holder
            .entry(name)
            .or_insert_with(|| Value::Object(Map::new()));
        let obj = entry.as_object_mut().ok_or_else(|| invalid_path(path))?;
        match op {
            Op::Remove => {
                remove_ci(obj, &sub.name);
            }
            Op::Add | Op::Replace => {
                remove_ci(obj, &sub.name);
                // Replacing with null unassigns the sub-attribute.
                let Some(v) = value else {
                    return Ok(());
                };
                if !v.is_null() {
                    obj.insert(sub.name.clone(), v);
                }
            }
        }
        return Ok(());
    }
    match op {
        Op::Remove => match value {
            // Entra removes members as `{"op":"Remove","path":"members","value":[{"value":"id"}]}`.
            Some(Value::Array(gone)) if def.multi_valued => {
                if let Some(Value::Array(items)) = holder.get_mut(&name) {
                    items.retain(|item| !gone.iter().any(|g| same_value(def, item, g)));
                }
            }
            _ => {
                holder.remove(&name);
            }
        },
        Op::Add => {
            let v = value.expect("add carries a value (checked when parsed)");
            match (holder.get_mut(&name), v) {
                (Some(Value::Array(items)), Value::Array(new)) if def.multi_valued => {
                    // A value already there is not added again (P-patch-14), also when the
                    // server has filled in sub-attributes of its own (a member's `type`).
                    for n in new {
                        if !items.iter().any(|i| holds(i, &n)) {
                            items.push(n);
                        }
                    }
                }
                (Some(Value::Object(obj)), Value::Object(new)) if def.kind == AttrType::Complex => {
                    for (k, v) in new {
                        obj.insert(k, v);
                    }
                }
                (_, v) => {
                    holder.insert(name, v);
                }
            }
        }
        Op::Replace => {
            // Replacing with null (or no value) unassigns (RFC 7643 §2.5).
            let Some(v) = value else {
                holder.remove(&name);
                return Ok(());
            };
            match (holder.get_mut(&name), v) {
                (Some(Value::Object(obj)), Value::Object(new)) if !def.multi_valued => {
                    for (k, v) in new {
                        obj.insert(k, v);
                    }
                }
                (_, v) => {
                    holder.insert(name, v);
                }
            }
        }
    }
    Ok(())
}

fn apply_filtered(
    kind: Kind,
    def: &Attribute,
    holder: &mut Map<String, Value>,
    op: Op,
    f: &filter::Filter,
    path: &PatchPath,
    value: Option<Value>,
) -> Result<(), ScimError> {
    if !def.multi_valued || def.kind != AttrType::Complex {
        return Err(ScimError::bad(
            ScimType::InvalidPath,
            format!("`{path}`: value filters apply to multi-valued complex attributes"),
        ));
    }
    let name = def.name.clone();
    let items: Vec<Value> = match remove_ci(holder, &name) {
        Some(Value::Array(items)) => items,
        Some(other) => vec![other],
        None => vec![],
    };
    let matcher = filter::Matcher::new(&kind, &filter::Dialect::default());
    let mut hits = Vec::with_capacity(items.len());
    for item in &items {
        hits.push(
            matcher
                .matches_element(f, item, def)
                .map_err(|e| ScimError::bad(ScimType::InvalidFilter, e.to_string()))?,
        );
    }
    let matched = hits.iter().any(|h| *h);
    let sub = path
        .path
        .sub
        .as_deref()
        .and_then(|s| def.sub(s))
        .map(|s| s.name.clone());
    let mut items = items;
    match op {
        Op::Remove => {
            if let Some(sub) = &sub {
                for (item, _) in items.iter_mut().zip(&hits).filter(|(_, h)| **h) {
                    if let Some(obj) = item.as_object_mut() {
                        remove_ci(obj, sub);
                    }
                }
            } else {
                let mut it = hits.iter();
                items.retain(|_| !*it.next().expect("one hit per item"));
            }
        }
        Op::Add | Op::Replace if matched => {
            let v = value
                .ok_or_else(|| ScimError::bad(ScimType::InvalidValue, "a value is required"))?;
            for (item, _) in items.iter_mut().zip(&hits).filter(|(_, h)| **h) {
                match (&sub, item.as_object_mut(), &v) {
                    (Some(sub), Some(obj), v) => {
                        obj.insert(sub.clone(), v.clone());
                    }
                    (None, Some(obj), Value::Object(new)) => {
                        if op == Op::Replace {
                            obj.clear();
                        }
                        obj.extend(new.clone());
                    }
                    _ => {
                        return Err(ScimError::bad(
                            ScimType::InvalidValue,
                            format!("`{path}` needs an object value"),
                        ));
                    }
                }
            }
        }
        Op::Replace => {
            return Err(ScimError::bad(
                ScimType::NoTarget,
                format!("`{path}` matches no value"),
            ));
        }
        Op::Add => {
            // Nothing matches: create the value the filter describes (`emails[type eq "work"].value`
            // adds a work email), when the filter is a conjunction of `eq` tests.
            let mut new = Map::new();
            if !eq_fields(f, &mut new) {
                return Err(ScimError::bad(
                    ScimType::NoTarget,
                    format!("`{path}` matches no value"),
                ));
            }
            let v = value.expect("add carries a value (checked when parsed)");
            match (&sub, v) {
                (Some(sub), v) => {
                    new.insert(sub.clone(), v);
                }
                (None, Value::Object(extra)) => new.extend(extra),
                _ => {
                    return Err(ScimError::bad(
                        ScimType::InvalidValue,
                        format!("`{path}` needs an object value"),
                    ));
                }
            }
            items.push(Value::Object(new));
        }
    }
    if !items.is_empty() {
        holder.insert(name, Value::Array(items));
    }
    Ok(())
}

/// Collects `a eq v and b eq w` into an object; false for any other shape.
fn eq_fields(f: &filter::Filter, out: &mut Map<String, Value>) -> bool {
    match f {
        filter::Filter::And(a, b) => eq_fields(a, out) && eq_fields(b, out),
        filter::Filter::Compare {
            path,
            op: filter::CompareOp::Eq,
            value,
        } if path.sub.is_none() => {
            out.insert(path.attr.clone(), value.clone());
            true
        }
        _ => false,
    }
}

/// Whether a stored value matches one named for removal: by `value` for complex values.
/// Whether `item` is `new`, or holds every sub-attribute `new` gives with the same value.
fn holds(item: &Value, new: &Value) -> bool {
    match (item, new) {
        (Value::Object(i), Value::Object(n)) => n.iter().all(|(k, v)| i.get(k) == Some(v)),
        _ => item == new,
    }
}

fn same_value(def: &Attribute, item: &Value, gone: &Value) -> bool {
    if def.kind == AttrType::Complex
        && let (Some(a), Some(b)) = (item.get("value"), gone.get("value"))
    {
        return a == b;
    }
    item == gone
}

fn primaries(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter(|i| i.get("primary") == Some(&Value::Bool(true)))
            .cloned()
            .collect(),
        _ => vec![],
    }
}

/// At most one value may be primary (RFC 7643 §2.4): the one just made primary wins.
fn enforce_single_primary(def: &Attribute, holder: &mut Map<String, Value>, before: &[Value]) {
    if !def.multi_valued || def.sub("primary").is_none() {
        return;
    }
    let Some(Value::Array(items)) = get_ci_mut(holder, &def.name) else {
        return;
    };
    let count = items
        .iter()
        .filter(|i| i.get("primary") == Some(&Value::Bool(true)))
        .count();
    if count <= 1 {
        return;
    }
    let mut kept = false;
    // Walk from the end so that, among values that were already primary, the last survives
    // only when no new primary exists.
    for item in items.iter_mut().rev() {
        if item.get("primary") != Some(&Value::Bool(true)) {
            continue;
        }
        let was_primary = before.contains(item);
        if kept || was_primary {
            if let Some(obj) = item.as_object_mut() {
                obj.insert("primary".into(), Value::Bool(false));
            }
        } else {
            kept = true;
        }
    }
    if !kept && let Some(last) = items.iter_mut().rev().find(|i| i.get("primary").is_some()) {
        last["primary"] = Value::Bool(true);
    }
}

#[cfg(test)]
mod tests;
