//! Checks: each expectation of a step judged against a response, with a message that says
//! what was expected and what came back.

pub mod declared;
pub mod invariants;
pub mod schemas;
pub mod snapshot;

use std::sync::LazyLock;

use serde_json::Value;

pub use schemas::Schemas;

use crate::client::RecordedResponse;
use crate::scim::schema::{AttrType, Attribute, Registry, common_attributes};
use crate::suite::template::{self, Vars};
use crate::suite::{Assertion, Expect};

/// Judges a response, whose body the caller parsed once; returns one line per failed
/// expectation (empty when all hold).
pub fn check(
    expect: &Expect,
    resp: &RecordedResponse,
    body: &Result<Value, serde_json::Error>,
    vars: &Vars,
    schemas: &Schemas,
) -> Vec<String> {
    let mut failures = Vec::new();
    if let Some(want) = &expect.status
        && !want.contains(resp.status)
    {
        failures.push(format!("status: expected {want}, got {}", resp.status));
    }
    for (name, a) in &expect.headers {
        if let Err(why) = header(a, resp.header(name), vars) {
            failures.push(format!("header {name}: {why}"));
        }
    }
    let needs_body = !expect.json.is_empty() || expect.schema.is_some();
    if !needs_body {
        return failures;
    }
    let body = match body {
        Ok(v) => v,
        Err(e) => {
            let what = if resp.body.trim().is_empty() {
                "the body is empty".to_string()
            } else {
                format!("the body is not JSON ({e})")
            };
            failures.push(format!(
                "body: {what}, so its JSON expectations cannot hold"
            ));
            return failures;
        }
    };
    for (pointer, a) in &expect.json {
        if let Err(why) = json(a, body.pointer(pointer), vars, attribute_at(pointer)) {
            let at = if pointer.is_empty() { "body" } else { pointer };
            failures.push(format!("{at}: {why}"));
        }
    }
    if let Some(name) = &expect.schema {
        for e in schemas.validate(&name.value, body) {
            failures.push(format!("schema {}: {e}", name.value));
        }
    }
    failures
}

fn render(v: &Value, vars: &Vars) -> Result<Value, String> {
    template::render_value(v, vars).map_err(|m| format!("variable `{}` has no value", m.0))
}

/// The common attributes (RFC 7643 §3.1), which with the core schemas of [`Registry::rfc`]
/// say by their characteristics how values compare.
static COMMON: LazyLock<Vec<Attribute>> = LazyLock::new(common_attributes);

/// The core attribute a JSON pointer into a SCIM body names (`/Resources/0/emails/1/value`
/// is `emails.value`): the longest tail of its names, indices left out, that is a top-level
/// attribute (by name or after its schema's URN) and then its sub-attributes. None for what
/// is no attribute (`/totalResults`, `/schemas/0`, a whole resource).
fn attribute_at(pointer: &str) -> Option<&'static Attribute> {
    let names: Vec<String> = pointer
        .split('/')
        .skip(1)
        .filter(|t| t.parse::<usize>().is_err())
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let (registry, common) = (Registry::rfc(), &*COMMON);
    let top = |urn: Option<&str>, name: &str| -> Option<&'static Attribute> {
        let schemas = registry.schemas.iter();
        let mut found = schemas
            .filter(|s| urn.is_none_or(|u| s.id.eq_ignore_ascii_case(u)))
            .filter_map(|s| s.attribute(name));
        let common = || common.iter().find(|a| a.name.eq_ignore_ascii_case(name));
        found.next().or_else(common)
    };
    (0..names.len()).find_map(|start| {
        let mut rest = names[start..].iter();
        let first = rest.next()?;
        let mut at = match registry.schema(first) {
            Some(schema) => top(Some(&schema.id), rest.next()?)?,
            None => top(None, first)?,
        };
        for name in rest {
            at = at.sub(name)?;
        }
        Some(at)
    })
}

/// Whether strings of this attribute compare without case: a string attribute whose
/// caseExact is false (the default of RFC 7643 §2.2), which "the server MAY alter case for"
/// (RFC 7643 lines 1748-1752). `id` and caseExact values compare exactly.
fn folds(at: Option<&Attribute>) -> bool {
    at.is_some_and(|a| a.kind == AttrType::String && !a.case_exact)
}

fn json(
    a: &Assertion,
    got: Option<&Value>,
    vars: &Vars,
    at: Option<&Attribute>,
) -> Result<(), String> {
    let show = |v: Option<&Value>| v.map_or("nothing (absent)".to_string(), short);
    let unassigned = got.is_none_or(|v| v.is_null() || v.as_array().is_some_and(Vec::is_empty));
    match a {
        Assertion::Exists(want) | Assertion::Absent(want) => {
            let want_present = matches!(a, Assertion::Exists(_)) == *want;
            match (want_present, unassigned) {
                (true, true) => Err(format!("expected a value, got {}", show(got))),
                (false, false) => Err(format!(
                    "expected no value (absent, null or []), got {}",
                    show(got)
                )),
                _ => Ok(()),
            }
        }
        Assertion::Equals(want) => {
            let want = render(want, vars)?;
            match got {
                Some(v) if same(v, &want, at) => Ok(()),
                _ => Err(format!("expected {}, got {}", short(&want), show(got))),
            }
        }
        Assertion::OneOf(options) => {
            let options = options
                .iter()
                .map(|o| render(o, vars))
                .collect::<Result<Vec<_>, _>>()?;
            match got {
                Some(v) if options.iter().any(|o| same(v, o, at)) => Ok(()),
                _ => Err(format!(
                    "expected one of {}, got {}",
                    short(&Value::Array(options)),
                    show(got)
                )),
            }
        }
        Assertion::Contains(want) => {
            let want = render(want, vars)?;
            let ok = match (got, &want) {
                (Some(Value::Array(items)), w) => items.iter().any(|i| includes(i, w, at)),
                (Some(Value::String(s)), Value::String(w)) if folds(at) => {
                    s.to_lowercase().contains(&w.to_lowercase())
                }
                (Some(Value::String(s)), Value::String(w)) => s.contains(w.as_str()),
                _ => false,
            };
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "expected to contain {}, got {}",
                    short(&want),
                    show(got)
                ))
            }
        }
        Assertion::Regex(p) => match got {
            Some(Value::String(s)) if p.0.is_match(s) => Ok(()),
            _ => Err(format!(
                "expected a string matching /{}/, got {}",
                p.0,
                show(got)
            )),
        },
        Assertion::Type(t) => match got {
            Some(v) if crate::suite::JsonType::of(v).contains(t) => Ok(()),
            _ => Err(format!("expected a JSON {t}, got {}", show(got))),
        },
        Assertion::Excludes(unwanted) => {
            let unwanted = render(unwanted, vars)?;
            match got {
                Some(Value::Array(items)) => {
                    match items.iter().find(|i| includes(i, &unwanted, at)) {
                        Some(i) => Err(format!(
                            "expected no item like {}, got {}",
                            short(&unwanted),
                            short(i)
                        )),
                        None => Ok(()),
                    }
                }
                None | Some(Value::Null) => Ok(()),
                Some(other) => Err(format!("expected an array, got {}", short(other))),
            }
        }
        Assertion::NotEquals(unwanted) => {
            let unwanted = render(unwanted, vars)?;
            match got {
                Some(v) if same(v, &unwanted, at) => {
                    Err(format!("expected anything but {}", short(v)))
                }
                _ => Ok(()),
            }
        }
        Assertion::AtMost(max) => {
            let max = render(max, vars)?;
            let Some(limit) = max.as_f64() else {
                return Err(format!("`at_most` needs a number, got {}", short(&max)));
            };
            let got_n = match got {
                Some(Value::Number(n)) => n.as_f64(),
                Some(Value::Array(a)) => Some(a.len() as f64),
                _ => None,
            };
            match got_n {
                Some(n) if n <= limit => Ok(()),
                Some(_) => Err(format!(
                    "expected at most {}, got {}",
                    short(&max),
                    show(got)
                )),
                None => Err(format!(
                    "expected a number or an array of at most {}, got {}",
                    short(&max),
                    show(got)
                )),
            }
        }
        Assertion::Length(n) => {
            let len = match got {
                Some(Value::Array(a)) => Some(a.len()),
                Some(Value::String(s)) => Some(s.chars().count()),
                Some(Value::Object(o)) => Some(o.len()),
                _ => None,
            };
            if len == Some(*n) {
                Ok(())
            } else {
                Err(format!("expected length {n}, got {}", show(got)))
            }
        }
    }
}

fn header(a: &Assertion, got: Option<&str>, vars: &Vars) -> Result<(), String> {
    let show = |v: Option<&str>| v.map_or("no such header".to_string(), |v| format!("{v:?}"));
    let text = |v: &Value| -> Result<String, String> {
        match render(v, vars)? {
            Value::String(s) => Ok(s),
            other => Ok(other.to_string()),
        }
    };
    // A media type matches with or without parameters (`application/scim+json; charset=utf-8`).
    let equal = |got: &str, want: &str| {
        got == want
            || got
                .split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case(want))
    };
    match a {
        Assertion::Exists(want) | Assertion::Absent(want) => {
            let want_present = matches!(a, Assertion::Exists(_)) == *want;
            if want_present == got.is_some() {
                Ok(())
            } else if want_present {
                Err("expected the header, but it is missing".into())
            } else {
                Err(format!("expected no such header, got {}", show(got)))
            }
        }
        Assertion::Equals(v) => {
            let want = text(v)?;
            if got.is_some_and(|g| equal(g, &want)) {
                Ok(())
            } else {
                Err(format!("expected {want:?}, got {}", show(got)))
            }
        }
        Assertion::OneOf(vs) => {
            let wants = vs.iter().map(text).collect::<Result<Vec<_>, _>>()?;
            if got.is_some_and(|g| wants.iter().any(|w| equal(g, w))) {
                Ok(())
            } else {
                Err(format!("expected one of {wants:?}, got {}", show(got)))
            }
        }
        Assertion::Contains(v) => {
            let want = text(v)?;
            if got.is_some_and(|g| g.contains(&want)) {
                Ok(())
            } else {
                Err(format!("expected to contain {want:?}, got {}", show(got)))
            }
        }
        Assertion::Regex(p) => {
            if got.is_some_and(|g| p.0.is_match(g)) {
                Ok(())
            } else {
                Err(format!("expected to match /{}/, got {}", p.0, show(got)))
            }
        }
        Assertion::NotEquals(v) => {
            let unwanted = text(v)?;
            match got {
                Some(g) if equal(g, &unwanted) => Err(format!("expected anything but {g:?}")),
                _ => Ok(()),
            }
        }
        Assertion::Type(_)
        | Assertion::Length(_)
        | Assertion::AtMost(_)
        | Assertion::Excludes(_) => Err(
            "`type`, `length`, `at_most` and `excludes` apply to JSON values, not headers".into(),
        ),
    }
}

/// JSON equality where 1 and 1.0 are the same number, and strings of the attribute `at`
/// (the values of a multi-valued one, members by their sub-attribute) compare without case
/// where it [`folds`].
fn same(a: &Value, b: &Value, at: Option<&Attribute>) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) if folds(at) => x.to_lowercase() == y.to_lowercase(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b, at))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same(v, w, sub(at, k))))
        }
        _ => a == b,
    }
}

/// Whether `item` includes `want`: every member `want` names, recursively; scalars equal.
fn includes(item: &Value, want: &Value, at: Option<&Attribute>) -> bool {
    match (item, want) {
        (Value::Object(i), Value::Object(w)) => w
            .iter()
            .all(|(k, v)| i.get(k).is_some_and(|iv| includes(iv, v, sub(at, k)))),
        _ => same(item, want, at),
    }
}

fn sub<'a>(at: Option<&'a Attribute>, name: &str) -> Option<&'a Attribute> {
    at.and_then(|a| a.sub(name))
}

/// A JSON value cut to a readable length for a one-line message.
pub fn short(v: &Value) -> String {
    cut(&v.to_string(), 200)
}

/// Text cut to `max` characters, saying how much was left out.
pub fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((i, _)) => format!("{}… ({} more bytes)", &s[..i], s.len() - i),
    }
}

#[cfg(test)]
mod tests;
