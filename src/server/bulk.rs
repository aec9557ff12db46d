//! Bulk (RFC 7644 §3.7): many operations in one request, with `bulkId` cross-references,
//! `failOnErrors` and the advertised limits. Each operation goes through the same code as
//! its single-request form.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::app::{App, Params, Preconditions, Reply};
use super::defect::Defect;
use crate::scim::error::{ScimError, ScimType};

const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

/// One operation of a BulkRequest, as sent.
struct Operation {
    method: String,
    bulk_id: Option<String>,
    path: String,
    data: Option<Value>,
    version: Option<String>,
}

/// How one operation ended.
enum Outcome {
    Done(Value),
    /// Waits for the POST that defines a bulkId it references.
    Waiting,
}

impl App {
    /// Runs a BulkRequest; `size` is the request body's length in bytes.
    pub fn bulk(&self, body: &Value, size: usize) -> Result<Reply, ScimError> {
        let limits = self.emulation.bulk;
        if !limits.supported {
            return Err(ScimError::new(501, None, "bulk is not supported"));
        }
        let enforced = !self.defects.has(Defect::BulkLimitsIgnored);
        if enforced && size > limits.max_payload_size {
            return Err(ScimError::new(
                413,
                None,
                format!(
                    "the request is {size} bytes; maxPayloadSize is {}",
                    limits.max_payload_size
                ),
            ));
        }
        let ops = parse(body)?;
        if enforced && ops.len() > limits.max_operations {
            return Err(ScimError::new(
                413,
                None,
                format!(
                    "the request has {} operations; maxOperations is {}",
                    ops.len(),
                    limits.max_operations
                ),
            ));
        }
        let fail_on_errors = match body.get("failOnErrors") {
            None | Some(Value::Null) if self.defects.has(Defect::BulkStopsAtFirstError) => Some(1),
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().filter(|n| *n > 0).ok_or_else(|| {
                ScimError::bad(
                    ScimType::InvalidValue,
                    "failOnErrors must be a positive integer",
                )
            })?),
        };
        let defined: HashMap<&str, usize> = ops
            .iter()
            .enumerate()
            .filter(|(_, o)| o.method.eq_ignore_ascii_case("POST"))
            .filter_map(|(i, o)| o.bulk_id.as_deref().map(|b| (b, i)))
            .collect();
        // Operations run in order, except that one referencing a later POST's bulkId waits
        // for it (RFC 7644 §3.7.2); what still waits when nothing moves is a cycle.
        let mut results: Vec<Option<Value>> = vec![None; ops.len()];
        let mut created: HashMap<String, Result<String, ()>> = HashMap::new();
        let mut errors = 0u64;
        'passes: loop {
            let mut progressed = false;
            for (i, op) in ops.iter().enumerate() {
                if results[i].is_some() {
                    continue;
                }
                let outcome = self.run_one(op, &defined, &created);
                let Outcome::Done(result) = outcome else {
                    continue;
                };
                progressed = true;
                let status = result["status"].as_str().unwrap_or("500");
                let ok = status.starts_with('2');
                if let Some(b) = &op.bulk_id {
                    let id = result["location"]
                        .as_str()
                        .and_then(|l| l.rsplit('/').next())
                        .map(str::to_string);
                    created.insert(b.clone(), id.filter(|_| ok).ok_or(()));
                }
                results[i] = Some(result);
                if !ok {
                    errors += 1;
                    if fail_on_errors.is_some_and(|n| errors >= n) {
                        break 'passes;
                    }
                }
            }
            if !progressed {
                for (i, op) in ops.iter().enumerate() {
                    if results[i].is_none() {
                        results[i] = Some(failed(
                            op,
                            None,
                            &ScimError::new(
                                409,
                                Some(ScimType::InvalidValue),
                                "circular bulkId references",
                            ),
                        ));
                    }
                }
            }
            if results.iter().all(Option::is_some) {
                break;
            }
        }
        let mut results: Vec<Value> = results.into_iter().flatten().collect();
        if self.defects.has(Defect::BulkResultsWithoutLocation) {
            results
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(|r| {
                    r.remove("location");
                });
        }
        let schema = if self.defects.has(Defect::BulkResponseEchoesRequest) {
            BULK_REQUEST
        } else {
            BULK_RESPONSE
        };
        Ok(Reply::json(
            200,
            json!({"schemas": [schema], "Operations": results}),
        ))
    }

    fn run_one(
        &self,
        op: &Operation,
        defined: &HashMap<&str, usize>,
        created: &HashMap<String, Result<String, ()>>,
    ) -> Outcome {
        let mut data = op.data.clone();
        let mut path = op.path.clone();
        if !self.defects.has(Defect::BulkIdUnresolved) {
            let mut refs = Vec::new();
            references(&Value::String(path.clone()), &mut refs);
            if let Some(d) = &data {
                references(d, &mut refs);
            }
            for r in &refs {
                match (created.get(r), defined.contains_key(r.as_str())) {
                    (Some(Ok(_)), _) => {}
                    (None, true) => return Outcome::Waiting,
                    _ => {
                        return Outcome::Done(failed(
                            op,
                            None,
                            &ScimError::new(
                                409,
                                Some(ScimType::InvalidValue),
                                format!("bulkId {r} does not name a created resource"),
                            ),
                        ));
                    }
                }
            }
            let ids: HashMap<&str, &str> = created
                .iter()
                .filter_map(|(k, v)| v.as_ref().ok().map(|id| (k.as_str(), id.as_str())))
                .collect();
            if let Some(d) = &mut data {
                substitute(d, &ids);
            }
            for (b, id) in &ids {
                path = path.replace(&format!("bulkId:{b}"), id);
            }
        }
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let pre = Preconditions {
            if_match: op.version.clone(),
            if_none_match: None,
        };
        let params = Params::default();
        let body = data.unwrap_or(Value::Null);
        let answer = match (op.method.to_ascii_uppercase().as_str(), segments.as_slice()) {
            ("POST", [ep]) if op.bulk_id.is_some() => {
                self.create_as(ep, &body, &params, op.bulk_id.as_deref())
            }
            ("POST", [_]) => Err(ScimError::bad(
                ScimType::InvalidValue,
                "a POST operation needs a bulkId",
            )),
            ("PUT", [ep, id]) => self.replace(ep, id, &body, &params, &pre),
            ("PATCH", [ep, id]) => self.patch(ep, id, &body, &params, &pre),
            ("DELETE", [ep, id]) => self.delete(ep, id, &pre),
            _ => Err(ScimError::bad(
                ScimType::InvalidValue,
                format!("`{} {}` is not a bulk operation", op.method, op.path),
            )),
        };
        let location = |ep: &str, id: &str| format!("{}/{ep}/{id}", self.base_url);
        Outcome::Done(match answer {
            Ok(reply) => {
                let mut out = Map::new();
                out.insert(
                    "method".into(),
                    Value::String(op.method.to_ascii_uppercase()),
                );
                if let Some(b) = &op.bulk_id {
                    out.insert("bulkId".into(), Value::String(b.clone()));
                }
                let id = reply
                    .body
                    .as_ref()
                    .and_then(|b| b["id"].as_str())
                    .or(segments.get(1).copied());
                if let Some(id) = id {
                    out.insert("location".into(), Value::String(location(segments[0], id)));
                }
                if let Some(v) = reply.etag {
                    out.insert("version".into(), Value::String(v));
                }
                out.insert("status".into(), Value::String(reply.status.to_string()));
                Value::Object(out)
            }
            Err(e) => {
                let loc = segments.get(1).map(|id| location(segments[0], id));
                failed(op, loc, &e)
            }
        })
    }
}

fn failed(op: &Operation, location: Option<String>, e: &ScimError) -> Value {
    let mut out = json!({"method": op.method.to_ascii_uppercase(), "status": e.status.to_string(), "response": e.body()});
    if let Some(b) = &op.bulk_id {
        out["bulkId"] = Value::String(b.clone());
    }
    if let Some(l) = location {
        out["location"] = Value::String(l);
    }
    out
}

fn parse(body: &Value) -> Result<Vec<Operation>, ScimError> {
    let syntax = |m: &str| ScimError::bad(ScimType::InvalidSyntax, m.to_string());
    let listed = body
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|u| u == BULK_REQUEST));
    if !listed {
        return Err(syntax(&format!(
            "a bulk request must list {BULK_REQUEST} in schemas"
        )));
    }
    let Some(Value::Array(items)) = body.get("Operations") else {
        return Err(syntax("a bulk request needs an Operations array"));
    };
    items
        .iter()
        .map(|item| {
            let text = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_string);
            Ok(Operation {
                method: text("method").ok_or_else(|| syntax("each operation needs a method"))?,
                path: text("path").ok_or_else(|| syntax("each operation needs a path"))?,
                bulk_id: text("bulkId"),
                data: item.get("data").cloned(),
                version: text("version"),
            })
        })
        .collect()
}

/// The bulkIds a value references (`"bulkId:qwerty"` strings, anywhere in it).
fn references(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            if let Some(i) = s.find("bulkId:") {
                let id = s[i + 7..].split('/').next().unwrap_or_default();
                out.push(id.to_string());
            }
        }
        Value::Array(items) => items.iter().for_each(|i| references(i, out)),
        Value::Object(obj) => obj.values().for_each(|i| references(i, out)),
        _ => {}
    }
}

fn substitute(v: &mut Value, ids: &HashMap<&str, &str>) {
    match v {
        Value::String(s) => {
            if let Some(b) = s.strip_prefix("bulkId:")
                && let Some(id) = ids.get(b)
            {
                *s = id.to_string();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| substitute(i, ids)),
        Value::Object(obj) => obj.values_mut().for_each(|i| substitute(i, ids)),
        _ => {}
    }
}
