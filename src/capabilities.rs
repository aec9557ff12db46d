//! What the target advertises in its ServiceProviderConfig, read once before planning, so
//! that a case needing an optional feature the server does not offer is skipped with the
//! reason instead of failing.

use serde_json::{Value, json};

use crate::client::{Client, Credentials, Outcome, Outgoing};
use crate::suite::template::Vars;
use crate::suite::{Feature, Method};

/// The advertised features, or why they could not be read (then every case runs).
pub enum Capabilities {
    Advertised(Value),
    Unknown(String),
}

impl Capabilities {
    pub async fn discover(client: &Client) -> Self {
        let exchange = client
            .send(Outgoing {
                method: Method::Get,
                path: "/ServiceProviderConfig",
                query: &[],
                headers: &[],
                body: None,
                credentials: Credentials::Target,
            })
            .await;
        match exchange.outcome {
            Outcome::Response(r) if r.status == 200 => match serde_json::from_str(&r.body) {
                Ok(v) => Capabilities::Advertised(v),
                Err(e) => Capabilities::Unknown(format!("its body is not JSON: {e}")),
            },
            Outcome::Response(r) => Capabilities::Unknown(format!("it answered {}", r.status)),
            Outcome::Error(e) => Capabilities::Unknown(e),
        }
    }

    /// Why a case needing `features` cannot run here, if it cannot.
    pub fn missing(&self, features: &[Feature]) -> Option<String> {
        let Capabilities::Advertised(spc) = self else {
            return None;
        };
        let absent: Vec<String> = features
            .iter()
            .filter(|f| spc[f.key()][f.flag()] != Value::Bool(true))
            .map(|f| format!("{}.{}", f.key(), f.flag()))
            .collect();
        (!absent.is_empty()).then(|| format!("not advertised: {}", absent.join(", ")))
    }

    /// Why a case whose `when` the target's ServiceProviderConfig does not meet cannot run.
    pub fn unmet(&self, when: &indexmap::IndexMap<String, Value>) -> Option<String> {
        if when.is_empty() {
            return None;
        }
        let Capabilities::Advertised(spc) = self else {
            return Some("it depends on a ServiceProviderConfig the target does not give".into());
        };
        when.iter().find_map(|(pointer, want)| {
            let got = lookup(spc, pointer);
            (!got.is_some_and(|g| same(g, want))).then(|| {
                format!(
                    "the target's ServiceProviderConfig has {pointer} {}, not {want}",
                    got.map_or("absent".to_string(), Value::to_string)
                )
            })
        })
    }

    /// The values of the limit variables a case uses (`template::LIMITS`), or why the target
    /// does not state them. `tag` makes the ids of the probing operations this run's own.
    pub fn limits(&self, names: &[String], tag: &str) -> Result<Vars, String> {
        if names.is_empty() {
            return Ok(Vars::new());
        }
        let Capabilities::Advertised(spc) = self else {
            return Err("the target's limits are unknown (no ServiceProviderConfig)".into());
        };
        let number = |feature: &str, limit: &str| {
            spc[feature][limit]
                .as_u64()
                .ok_or_else(|| format!("not advertised: {feature}.{limit}"))
        };
        names
            .iter()
            .map(|name| {
                let value = match name.as_str() {
                    "max_results" => json!(number("filter", "maxResults")?),
                    "count_above_max" => json!(number("filter", "maxResults")? + 1),
                    "bulk_max_operations" => json!(number("bulk", "maxOperations")?),
                    "bulk_excess_operations" => {
                        let max = number("bulk", "maxOperations")?;
                        if max >= PROBE_CEILING as u64 {
                            return Err(format!(
                                "bulk.maxOperations is {max}: too many to probe"
                            ));
                        }
                        // Deletes of ids nobody has: harmless if the limit is not enforced.
                        (0..=max)
                            .map(|i| json!({"method": "DELETE", "path": format!("/Users/scimitar-{tag}-absent-{i}")}))
                            .collect()
                    }
                    "bulk_oversized_operations" => {
                        let max = number("bulk", "maxPayloadSize")?;
                        if max >= PROBE_CEILING as u64 {
                            return Err(format!(
                                "bulk.maxPayloadSize is {max} bytes: too large to probe"
                            ));
                        }
                        // One PATCH of an id nobody has, padded past the limit.
                        json!([{
                            "method": "PATCH",
                            "path": format!("/Users/scimitar-{tag}-absent"),
                            "data": {
                                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                "Operations": [{"op": "replace", "path": "displayName",
                                    "value": "x".repeat(max as usize + 1)}]
                            }
                        }])
                    }
                    other => unreachable!("`{other}` is not a limit variable"),
                };
                Ok((name.clone(), value))
            })
            .collect()
    }
}

/// Limits above this are not probed: the request proving them would be unreasonably big.
const PROBE_CEILING: usize = 16 * 1024 * 1024;

/// The value at a JSON pointer, its member names matched without case: attribute names are
/// case-insensitive (RFC 7643 §2.1), `Pagination` is `pagination`.
fn lookup<'a>(v: &'a Value, pointer: &str) -> Option<&'a Value> {
    pointer.split('/').skip(1).try_fold(v, |v, token| {
        let token = token.replace("~1", "/").replace("~0", "~");
        match v {
            Value::Object(o) => o
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&token))
                .map(|(_, v)| v),
            Value::Array(items) => items.get(token.parse::<usize>().ok()?),
            _ => None,
        }
    })
}

/// Strings compare without case, as attributes whose caseExact is false (the default of
/// RFC 7643 §2.2) do: `"Cursor"` is the method `cursor`.
fn same(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::String(g), Value::String(w)) => g.eq_ignore_ascii_case(w),
        _ => got == want,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A case's `when` holds whatever the case of the names and of string values, and
    /// through arrays; anything else, or nothing there, does not hold.
    #[test]
    fn when_matches_names_and_strings_without_case() {
        let spc = Capabilities::Advertised(json!({
            "Pagination": {"cursor": true, "defaultPaginationMethod": "Cursor"},
            "authenticationSchemes": [{"type": "oauthbearertoken"}],
            "a/b": {"c~d": 1}
        }));
        let when = |pairs: &[(&str, Value)]| -> indexmap::IndexMap<String, Value> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect()
        };
        for holds in [
            when(&[]),
            when(&[("/pagination/defaultPaginationMethod", json!("cursor"))]),
            when(&[("/pagination/cursor", json!(true))]),
            when(&[("/authenticationSchemes/0/type", json!("OAuthBearerToken"))]),
            when(&[("/a~1b/c~0d", json!(1))]),
        ] {
            assert_eq!(spc.unmet(&holds), None, "{holds:?}");
        }
        for fails in [
            when(&[("/pagination/cursor", json!(false))]),
            when(&[("/pagination/defaultPaginationMethod", json!("index"))]),
            when(&[("/pagination/cursor", json!("true"))]),
            when(&[("/authenticationSchemes/1/type", json!("oauthbearertoken"))]),
            when(&[("/authenticationSchemes/x", json!(1))]),
            when(&[("/pagination/cursor/deeper", json!(true))]),
            when(&[("/etag/supported", json!(true))]),
        ] {
            let why = spc.unmet(&fails).unwrap_or_default();
            assert!(
                why.contains("ServiceProviderConfig has"),
                "{fails:?}: {why}"
            );
        }
    }
}
