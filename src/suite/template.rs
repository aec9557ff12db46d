//! `{{name}}` templating of requests and expected values.
//!
//! A string that is exactly `{{name}}` becomes the variable's JSON value (a captured number
//! stays a number); anywhere else the variable is interpolated as text. A filter after `|`
//! transforms the value first (`{{user_id | flip_case}}`).

use std::collections::HashMap;

use serde_json::Value;

/// Variables of one case run: built-ins (`unique`, `run_id`, `base_url`, `hour_ago_east`: an
/// hour before the case began, at offset +14:00) and captures.
pub type Vars = HashMap<String, Value>;

/// Built-in variables every case may use: the run's, and how Entra spells PATCH ops and
/// booleans in the chosen behaviour (see `idp::Behaviour::variables`).
pub const BUILTINS: [&str; 9] = [
    "unique",
    "run_id",
    "base_url",
    "hour_ago_east",
    "entra_add",
    "entra_replace",
    "entra_remove",
    "entra_true",
    "entra_false",
];

/// Variables derived from the limits the target advertises in its ServiceProviderConfig; a
/// case using one is skipped when the target does not state that limit.
pub const LIMITS: [&str; 5] = [
    "max_results",
    "count_above_max",
    "bulk_max_operations",
    "bulk_excess_operations",
    "bulk_oversized_operations",
];

/// What a filter does to a variable's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    /// Every ASCII letter in the other case (`a1B` → `A1b`): the same id written in another
    /// case, to show ids are case-exact. ASCII only, so that a case can tell from the value
    /// alone (`^[^A-Za-z]*$`) that flipping changed nothing.
    FlipCase,
}

/// The filters a reference may apply, by name.
const FILTERS: [(&str, Filter); 1] = [("flip_case", Filter::FlipCase)];

/// The names of the filters, for an error that lists them.
pub fn filter_names() -> impl Iterator<Item = &'static str> {
    FILTERS.iter().map(|(name, _)| *name)
}

impl Filter {
    fn named(name: &str) -> Option<Self> {
        FILTERS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    /// Strings are transformed; other values pass unchanged.
    fn apply(self, v: Value) -> Value {
        match (self, v) {
            (Self::FlipCase, Value::String(s)) => Value::String(
                s.chars()
                    .map(|c| match c {
                        'a'..='z' => c.to_ascii_uppercase(),
                        'A'..='Z' => c.to_ascii_lowercase(),
                        _ => c,
                    })
                    .collect(),
            ),
            (_, other) => other,
        }
    }
}

/// A reference's variable name and filters (`id | flip_case`), or None when it names a filter
/// that does not exist.
fn parse(reference: &str) -> Option<(&str, Vec<Filter>)> {
    let mut parts = reference.split('|').map(str::trim);
    let name = parts.next()?;
    let filters = parts.map(Filter::named).collect::<Option<_>>()?;
    Some((name, filters))
}

/// The value a reference stands for, its filters applied.
fn resolve(reference: &str, vars: &Vars) -> Result<Value, Missing> {
    let missing = || Missing(reference.to_string());
    let (name, filters) = parse(reference).ok_or_else(missing)?;
    let value = vars.get(name).cloned().ok_or_else(missing)?;
    Ok(filters.into_iter().fold(value, |v, f| f.apply(v)))
}

/// The variable names a string refers to, in order. A reference naming an unknown filter is
/// given whole (`id | nope`): no variable has that name, and the loader reports the filter.
pub fn names(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        loop {
            let start = rest.find("{{")?;
            let after = &rest[start + 2..];
            let end = after.find("}}")?;
            let reference = after[..end].trim();
            rest = &after[end + 2..];
            if !reference.is_empty() {
                return Some(parse(reference).map_or(reference, |(name, _)| name));
            }
        }
    })
}

/// Every variable name used anywhere in a JSON value's strings.
pub fn names_in_value(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.extend(names(s).map(str::to_string)),
        Value::Array(items) => items.iter().for_each(|i| names_in_value(i, out)),
        Value::Object(obj) => obj.iter().for_each(|(k, v)| {
            out.extend(names(k).map(str::to_string));
            names_in_value(v, out);
        }),
        _ => {}
    }
}

/// A variable the template needs but the run does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing(pub String);

/// Renders a string, interpolating every `{{name}}`.
pub fn render_str(s: &str, vars: &Vars) -> Result<String, Missing> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let value = resolve(after[..end].trim(), vars)?;
        out.push_str(&rest[..start]);
        match value {
            Value::String(s) => out.push_str(&s),
            other => out.push_str(&other.to_string()),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Renders every string of a JSON value (keys too).
pub fn render_value(v: &Value, vars: &Vars) -> Result<Value, Missing> {
    Ok(match v {
        Value::String(s) => {
            let trimmed = s.trim();
            if let Some(reference) = trimmed
                .strip_prefix("{{")
                .and_then(|r| r.strip_suffix("}}"))
                && !reference.contains("{{")
            {
                return resolve(reference.trim(), vars);
            }
            Value::String(render_str(s, vars)?)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| render_value(i, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(obj) => Value::Object(
            obj.iter()
                .map(|(k, v)| Ok((render_str(k, vars)?, render_value(v, vars)?)))
                .collect::<Result<_, Missing>>()?,
        ),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars() -> Vars {
        [
            ("id".to_string(), json!("abc")),
            ("n".to_string(), json!(3)),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn interpolates_and_keeps_types_of_whole_values() {
        let v = render_value(
            &json!({"path": "/Users/{{id}}", "count": "{{ n }}", "x": "n={{n}}"}),
            &vars(),
        )
        .unwrap();
        assert_eq!(v, json!({"path": "/Users/abc", "count": 3, "x": "n=3"}));
    }

    #[test]
    fn reports_the_missing_name() {
        assert_eq!(
            render_str("/Users/{{nope}}", &vars()),
            Err(Missing("nope".into()))
        );
        let names: Vec<_> = names("a {{x}} b {{ y }} {{").collect();
        assert_eq!(names, ["x", "y"]);
    }

    #[test]
    fn a_filter_transforms_the_value_and_an_unknown_one_is_no_variable() {
        let vars: Vars = [
            ("id".to_string(), json!("2819c223-7F76-Ä")),
            ("n".to_string(), json!(3)),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            render_str("/Users/{{ id | flip_case }}", &vars).unwrap(),
            "/Users/2819C223-7f76-Ä"
        );
        assert_eq!(
            render_value(&json!(["{{id|flip_case}}", "{{n | flip_case}}"]), &vars).unwrap(),
            json!(["2819C223-7f76-Ä", 3])
        );
        assert_eq!(
            names("{{id | flip_case}} {{id | nope}}").collect::<Vec<_>>(),
            ["id", "id | nope"]
        );
        assert_eq!(
            render_str("{{id | nope}}", &vars),
            Err(Missing("id | nope".into()))
        );
    }
}
