//! Attribute projection (RFC 7644 §3.4.2.5, RFC 7643 §7 `returned`): which attributes a
//! response carries given `attributes` and `excludedAttributes`.

use serde_json::{Map, Value};

use super::resource::Kind;
use super::schema::{Attribute, Returned, split_urn};

/// A requested projection; names are resolved against the resource type when applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    pub attributes: Vec<String>,
    pub excluded: Vec<String>,
}

impl Projection {
    /// From the comma-separated query parameters.
    pub fn from_params(attributes: Option<&str>, excluded: Option<&str>) -> Self {
        let split = |s: Option<&str>| -> Vec<String> {
            s.map(|s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
        };
        Projection {
            attributes: split(attributes),
            excluded: split(excluded),
        }
    }
}

/// A name from a projection list, resolved: (schema URN, attribute, optional sub-attribute).
struct Named {
    urn: String,
    attr: String,
    sub: Option<String>,
}

fn resolve(kind: Kind, name: &str) -> Option<Named> {
    let (urn, rest) = split_urn(name);
    // `urn:...:User:name.givenName` splits at the last colon, which precedes `name.givenName`.
    let (attr, sub) = match rest.split_once('.') {
        Some((a, s)) => (a, Some(s)),
        None => (rest, None),
    };
    let qualified = match urn {
        Some(u) => format!("{u}:{attr}"),
        None => attr.to_string(),
    };
    let (schema, def) = kind.registry.resolve(kind.rt, &qualified)?;
    let sub = match sub {
        Some(s) => Some(def.sub(s)?.name.clone()),
        None => None,
    };
    Some(Named {
        urn: schema.id.clone(),
        attr: def.name.clone(),
        sub,
    })
}

/// Applies `returned` characteristics and the requested projection to a stored resource.
/// Names the resource type does not declare select nothing; `attributes` naming only such
/// names still overrides the default set, leaving the minimum (`returned: always`) set: RFC
/// 7644 §3.9, "When specified, the default list of attributes SHALL be overridden, and each
/// resource returned MUST contain the minimum set of resource attributes and any attributes
/// or sub-attributes explicitly requested", and an undeclared attribute has no value to
/// return (§3.4.2.1: it is treated "as if there is no attribute value").
pub fn project(kind: Kind, resource: &Map<String, Value>, p: &Projection) -> Map<String, Value> {
    let wanted: Option<Vec<Named>> = (!p.attributes.is_empty()).then(|| {
        p.attributes
            .iter()
            .filter_map(|n| resolve(kind, n))
            .collect()
    });
    let wanted = wanted.as_deref();
    let excluded: Vec<Named> = p.excluded.iter().filter_map(|n| resolve(kind, n)).collect();
    let base = kind.rt.schema.as_str();
    let mut out = Map::new();
    for (key, value) in resource {
        if key == "schemas" {
            out.insert(key.clone(), value.clone());
            continue;
        }
        if let Some(ext) = kind.extension(key) {
            let Some(obj) = value.as_object() else {
                continue;
            };
            let mut kept = Map::new();
            for (k, v) in obj {
                if let Some(def) = ext.attribute(k)
                    && let Some(v) = keep(def, &ext.id, v, wanted, &excluded)
                {
                    kept.insert(k.clone(), v);
                }
            }
            if !kept.is_empty() {
                out.insert(key.clone(), Value::Object(kept));
            }
            continue;
        }
        let Some((schema, def)) = kind.registry.resolve(kind.rt, key) else {
            continue;
        };
        debug_assert_eq!(schema.id, base);
        if let Some(v) = keep(def, base, value, wanted, &excluded) {
            out.insert(key.clone(), v);
        }
    }
    out
}

fn keep(
    def: &Attribute,
    urn: &str,
    value: &Value,
    wanted: Option<&[Named]>,
    excluded: &[Named],
) -> Option<Value> {
    let hits = |list: &[Named]| -> Vec<Option<String>> {
        list.iter()
            .filter(|n| n.urn == urn && n.attr == def.name)
            .map(|n| n.sub.clone())
            .collect()
    };
    match def.returned {
        Returned::Never => return None,
        Returned::Always => return Some(value.clone()),
        _ => {}
    }
    if let Some(wanted) = wanted {
        let subs = hits(wanted);
        if subs.is_empty() {
            return None;
        }
        if subs.iter().any(Option::is_none) {
            return Some(strip_subs(def, value, |_| true));
        }
        return Some(strip_subs(def, value, |s| {
            subs.iter().flatten().any(|w| w == &s.name)
        }));
    }
    if def.returned == Returned::Request {
        return None;
    }
    let subs = hits(excluded);
    if subs.iter().any(Option::is_none) {
        return None;
    }
    Some(strip_subs(def, value, |s| {
        !subs.iter().flatten().any(|w| w == &s.name)
    }))
}

/// Keeps the sub-attributes that `returned` and `pick` allow.
fn strip_subs(def: &Attribute, value: &Value, pick: impl Fn(&Attribute) -> bool) -> Value {
    if def.sub_attributes.is_empty() {
        return value.clone();
    }
    let one = |item: &Value| -> Value {
        let Some(obj) = item.as_object() else {
            return item.clone();
        };
        Value::Object(
            obj.iter()
                .filter(|(k, _)| {
                    def.sub(k).is_none_or(|s| match s.returned {
                        Returned::Never => false,
                        Returned::Always => true,
                        _ => pick(s),
                    })
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    };
    match value {
        Value::Array(items) => Value::Array(items.iter().map(one).collect()),
        v => one(v),
    }
}

#[cfg(test)]
mod tests;
