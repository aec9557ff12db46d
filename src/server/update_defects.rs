//! The defect switches of PUT and PATCH (RFC 7644 §3.5.1, §3.5.2): each bends the request,
//! its operations or their outcome the way a lax server does, to break exactly one rule.
//! Most bend core and common attributes only: one attribute is enough to show a rule broken.

use serde_json::{Map, Value};

use super::defect::{Defect, Defects};
use crate::scim::error::{ScimError, ScimType};
use crate::scim::filter::PatchPath;
use crate::scim::patch::{self, Op, Operation};
use crate::scim::resource::Kind;
use crate::scim::schema::{AttrType, Attribute, Mutability};
use crate::scim::value::{get_ci_map, get_ci_mut, is_unassigned, remove_ci};

/// `put-keeps-set-values`, `put-takes-meta`: bends a PUT's new resource and the stored one it
/// replaces. `put-takes-id` is the caller's, as it moves the resource in the store.
pub fn put(
    defects: &Defects,
    body: &Value,
    old: &mut Map<String, Value>,
    new: &mut Map<String, Value>,
) {
    if defects.has(Defect::PutKeepsSetValues) {
        // Attributes already set keep their value, where the values sent SHALL replace it
        // (RFC 7644 lines 1644-1645).
        for (k, v) in new.iter_mut().filter(|(k, _)| *k != "schemas") {
            if let Some(stored) = get_ci_map(old, k) {
                *v = stored.clone();
            }
        }
    }
    if defects.has(Defect::PutTakesMeta)
        && let (Some(Value::Object(sent)), Some(Value::Object(meta))) =
            (body.get("meta"), old.get_mut("meta"))
    {
        // readOnly meta sent SHALL be ignored (line 1665).
        meta.extend(sent.clone());
    }
}

/// `put-takes-id`: the id a PUT sends, where it differs from the stored one (line 1665).
pub fn put_id<'b>(defects: &Defects, body: &'b Value, id: &str) -> Option<&'b str> {
    body.get("id")
        .and_then(Value::as_str)
        .filter(|sent| defects.has(Defect::PutTakesId) && *sent != id)
}

/// `patch-pathless-remove-ignored`: the body without its path-less removes, which a conformant
/// server fails with 400 noTarget (lines 2142-2143); `None` when the switch is off.
pub fn patch_body(defects: &Defects, body: &Value) -> Option<Value> {
    if !defects.has(Defect::PatchPathlessRemoveIgnored) {
        return None;
    }
    let mut body = body.clone();
    if let Some(Value::Array(ops)) = body.get_mut("Operations") {
        ops.retain(|o| {
            let remove = o["op"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case("remove"));
            !(remove && o.get("path").is_none())
        });
    }
    Some(body)
}

/// The switches that bend the parsed operations whatever the resource holds.
pub fn rewrite(
    defects: &Defects,
    kind: Kind,
    mut ops: Vec<Operation>,
) -> Result<Vec<Operation>, ScimError> {
    if defects.has(Defect::PatchOpsReversed) {
        // Operations are applied in order (lines 1919-1922).
        ops.reverse();
    }
    if defects.has(Defect::PatchPathlessAddIgnored) {
        // A path-less add merges its value into the resource (lines 1980-1982).
        ops.retain(|o| !(o.op == Op::Add && o.path.is_none()));
    }
    if defects.has(Defect::PatchReadOnlyIgnored) {
        // A readOnly target SHALL fail (lines 1891-1894).
        ops.retain(|o| !o.path.as_ref().is_some_and(|p| read_only(kind, p)));
    }
    if defects.has(Defect::PatchUnknownPathIgnored) {
        // A path naming no attribute SHALL fail (lines 1891-1894).
        ops.retain(|o| o.path.as_ref().is_none_or(|p| target(kind, p).is_some()));
    }
    for o in &mut ops {
        let Some(p) = &mut o.path else { continue };
        let whole = p.filter.is_none() && p.path.sub.is_none();
        let multi = core(kind, p).is_some_and(|a| a.multi_valued);
        let non_empty = o.value.as_ref().is_some_and(|v| !is_unassigned(v));
        if defects.has(Defect::PatchAddReplacesValues) && o.op == Op::Add && whole && multi {
            // An add to a multi-valued attribute appends (lines 1990-1991).
            o.op = Op::Replace;
        } else if defects.has(Defect::PatchReplaceAppends)
            && o.op == Op::Replace
            && whole
            && multi
            && non_empty
        {
            // A replace without filter replaces all values (lines 2372-2373).
            o.op = Op::Add;
        } else if defects.has(Defect::PatchFilteredRemoveAll)
            && o.op == Op::Remove
            && p.path.sub.is_none()
        {
            // A filtered remove removes only the matching values (lines 2153-2155).
            p.filter = None;
        }
    }
    if defects.has(Defect::PatchExtensionPathRefused)
        && let Some(p) = ops.iter().filter_map(|o| o.path.as_ref()).find(|p| {
            p.path
                .urn
                .as_ref()
                .is_some_and(|u| !u.eq_ignore_ascii_case(&kind.rt.schema))
        })
    {
        // Paths may be URN-qualified (lines 1896-1897).
        return Err(ScimError::bad(
            ScimType::InvalidPath,
            format!("`{p}`: paths name core attributes"),
        ));
    }
    Ok(ops)
}

/// The switches that bend the operations by what the stored resource `old` holds.
pub fn against(
    defects: &Defects,
    kind: Kind,
    old: &Map<String, Value>,
    mut ops: Vec<Operation>,
    ignore_undeclared: bool,
) -> Result<Vec<Operation>, ScimError> {
    let skipped = |code| skip_failing(kind, old, &ops, ignore_undeclared, code);
    if defects.has(Defect::PatchInvalidValueIgnored) {
        // A value of the wrong type SHALL fail (lines 1891-1894).
        ops = skipped(ScimType::InvalidValue);
    } else if defects.has(Defect::PatchNoTargetIgnored) {
        // A filter matching nothing SHALL fail with noTarget (lines 2394-2398).
        ops = skipped(ScimType::NoTarget);
    }
    // A scalar sent over a scalar set.
    let set_simple = |o: &Operation, op: Op| {
        o.op == op
            && o.value
                .as_ref()
                .is_some_and(|v| v.is_string() || v.is_number() || v.is_boolean())
            && o.path.as_ref().is_some_and(|p| {
                p.filter.is_none()
                    && p.path.sub.is_none()
                    && core(kind, p).is_some_and(|a| {
                        !a.multi_valued
                            && a.kind != AttrType::Complex
                            && a.mutability != Mutability::ReadOnly
                            && get_ci_map(old, &a.name).is_some_and(|v| !is_unassigned(v))
                    })
            })
    };
    if defects.has(Defect::PatchAddKeepsSetValue) {
        // An add to a set single value replaces it (lines 1993-1994).
        ops.retain(|o| !set_simple(o, Op::Add));
    }
    if defects.has(Defect::PatchReplaceKeepsSetValue) {
        // A replace of a single value replaces it (lines 2369-2370).
        ops.retain(|o| !set_simple(o, Op::Replace));
    }
    if defects.has(Defect::PatchReplaceMissingNoTarget)
        && let Some(p) = ops.iter().find_map(|o| {
            let p = o.path.as_ref().filter(|_| o.op == Op::Replace)?;
            let a = core(kind, p).filter(|_| p.filter.is_none())?;
            get_ci_map(old, &a.name).is_none().then_some(p)
        })
    {
        // A replace of a missing attribute SHALL act as an add (lines 2375-2376).
        return Err(ScimError::bad(
            ScimType::NoTarget,
            format!("`{p}` has no value to replace"),
        ));
    }
    if defects.has(Defect::PatchRemovesRequired) {
        // Done in `outcome`, past the check that refuses it (lines 2166-2170).
        ops.retain(|o| required_removal(kind, o).is_none());
    }
    Ok(ops)
}

/// The switches that bend the patched resource `new`; `ops` are the operations as parsed.
pub fn outcome(
    defects: &Defects,
    kind: Kind,
    old: &Map<String, Value>,
    ops: &[Operation],
    new: &mut Map<String, Value>,
) {
    for o in ops {
        let path = o.path.as_ref();
        let attr = path.and_then(|p| core(kind, p));
        let whole = path.is_some_and(|p| p.filter.is_none() && p.path.sub.is_none());
        match (o.op, attr, &o.value) {
            // An add sets the given sub-attributes of a complex attribute (lines 1987-1988);
            // a path-less add names the attributes in its value.
            (Op::Add, _, Some(sent @ Value::Object(value)))
                if defects.has(Defect::PatchAddReplacesComplex) =>
            {
                let given: Vec<(&Attribute, &Value)> = match (path, attr) {
                    (None, _) => value
                        .iter()
                        .filter_map(|(k, v)| Some((kind.base().attribute(k)?, v)))
                        .collect(),
                    (Some(_), Some(a)) if whole => vec![(a, sent)],
                    (Some(_), _) => vec![],
                };
                for (a, v) in given {
                    if a.kind == AttrType::Complex && !a.multi_valued {
                        remove_ci(new, &a.name);
                        new.insert(a.name.clone(), v.clone());
                    }
                }
            }
            // A replace of a complex attribute leaves the sub-attributes not given (2378-2382).
            (Op::Replace, Some(a), Some(v @ Value::Object(_)))
                if defects.has(Defect::PatchReplaceComplexWhole)
                    && whole
                    && a.kind == AttrType::Complex
                    && !a.multi_valued =>
            {
                remove_ci(new, &a.name);
                new.insert(a.name.clone(), v.clone());
            }
            // A remove without filter removes all values (lines 2149-2151).
            (Op::Remove, Some(a), None)
                if defects.has(Defect::PatchRemoveKeepsValues) && whole && a.multi_valued =>
            {
                if let Some(Value::Array(items)) = get_ci_map(old, &a.name)
                    && items.len() > 1
                {
                    new.insert(a.name.clone(), Value::Array(items[1..].to_vec()));
                }
            }
            // A replace of `attr[filter].sub` changes the matching values only (2389-2392).
            (Op::Replace, Some(a), Some(v))
                if defects.has(Defect::PatchFilteredSubReplaceWidens) =>
            {
                let sub = path
                    .filter(|p| p.filter.is_some())
                    .and_then(|p| p.path.sub.as_deref());
                if let Some(sub) = sub
                    && let Some(Value::Array(items)) = get_ci_mut(new, &a.name)
                {
                    for item in items.iter_mut().filter_map(Value::as_object_mut) {
                        remove_ci(item, sub);
                        item.insert(sub.to_string(), v.clone());
                    }
                }
            }
            _ => {}
        }
        if defects.has(Defect::PatchRemovesRequired)
            && let Some(a) = required_removal(kind, o)
        {
            remove_ci(new, &a.name);
        }
    }
    if defects.has(Defect::PatchPrimaryNotExclusive) {
        keep_old_primaries(kind, old, new);
    }
}

/// `patch-primary-not-exclusive`: a value primary before stays primary, though a PATCH made
/// another one primary (lines 1926-1929).
fn keep_old_primaries(kind: Kind, old: &Map<String, Value>, new: &mut Map<String, Value>) {
    let with_primary = kind.base().attributes.iter();
    for a in with_primary.filter(|a| a.multi_valued && a.sub("primary").is_some()) {
        let Some(Value::Array(before)) = get_ci_map(old, &a.name) else {
            continue;
        };
        let was_primary: Vec<&Value> = before
            .iter()
            .filter(|i| i.get("primary") == Some(&Value::Bool(true)))
            .filter_map(|i| i.get("value"))
            .collect();
        if let Some(Value::Array(items)) = get_ci_mut(new, &a.name) {
            for item in items.iter_mut().filter_map(Value::as_object_mut) {
                if item.get("value").is_some_and(|v| was_primary.contains(&v)) {
                    item.insert("primary".into(), Value::Bool(true));
                }
            }
        }
    }
}

/// The operations of `ops` but those that fail on their own with `code`.
fn skip_failing(
    kind: Kind,
    old: &Map<String, Value>,
    ops: &[Operation],
    ignore_undeclared: bool,
    code: ScimType,
) -> Vec<Operation> {
    let mut cur = old.clone();
    let mut kept = Vec::with_capacity(ops.len());
    for op in ops {
        match patch::apply_with(kind, &cur, std::slice::from_ref(op), ignore_undeclared) {
            Ok(next) => cur = next,
            Err(e) if e.scim_type == Some(code) => continue,
            Err(_) => {}
        }
        kept.push(op.clone());
    }
    kept
}

/// The required attribute a remove of it as a whole names.
fn required_removal<'k>(kind: Kind<'k>, o: &Operation) -> Option<&'k Attribute> {
    let p = o.path.as_ref().filter(|_| o.op == Op::Remove)?;
    core(kind, p).filter(|a| a.required && p.filter.is_none() && p.path.sub.is_none())
}

/// The core or common attribute a path names (its sub-attribute aside), by name or
/// URN-qualified.
fn core<'k>(kind: Kind<'k>, p: &PatchPath) -> Option<&'k Attribute> {
    match &p.path.urn {
        Some(u) if !u.eq_ignore_ascii_case(&kind.rt.schema) => None,
        _ => kind.registry.resolve(kind.rt, &p.path.attr).map(|(_, a)| a),
    }
}

/// The attribute, or sub-attribute, a path names in any schema of the resource type.
fn target<'k>(kind: Kind<'k>, p: &PatchPath) -> Option<&'k Attribute> {
    let full = match &p.path.urn {
        Some(u) => format!("{u}:{}", p.path.attr),
        None => p.path.attr.clone(),
    };
    let (_, def) = kind.registry.resolve(kind.rt, &full)?;
    match &p.path.sub {
        Some(s) => def.sub(s),
        None => Some(def),
    }
}

/// Whether a path names `id`, `meta` or another readOnly attribute or sub-attribute.
fn read_only(kind: Kind, p: &PatchPath) -> bool {
    ["id", "meta"]
        .iter()
        .any(|n| p.path.attr.eq_ignore_ascii_case(n))
        || target(kind, p).is_some_and(|a| a.mutability == Mutability::ReadOnly)
}
