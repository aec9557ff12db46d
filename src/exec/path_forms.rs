//! PATCH path forms a server declines. RFC 7644 Table 9 lets a server answer a path it
//! cannot act on with 400 `invalidPath`, and the value filter (`emails[type eq "work"]`) and
//! the value filter with a sub-attribute (`emails[type eq "work"].value`) are forms many
//! servers do not offer (a valid plain path is no form to decline: it is neither invalid nor
//! malformed). A case whose PATCH was refused so is probed the way declined filters are: each
//! value-filter form it used is tried alone, on the attribute it named, on the case's own
//! resource, with a change that changes nothing (a value replaced by itself). A form refused
//! alone with 400 `invalidPath`, `invalidFilter` or no scimType is declined: the case is
//! unsupported. A form accepted alone, or refused for another reason, leaves the failure
//! standing.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{Value, json};

use super::StepRecord;
use super::declined::{lock, relative_path};
use crate::client::{Body, Client, Credentials, Outcome, Outgoing};
use crate::scim::filter::{self, AttrPath};
use crate::suite::Method;

/// A PATCH path form a server may decline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Form {
    /// `emails[value eq "…"]`.
    ValueFilter,
    /// `emails[value eq "…"].value`.
    ValueFilterSub,
}

impl Form {
    fn describe(self, attr: &str) -> String {
        match self {
            Form::ValueFilter => format!("the value filter ({attr}[…])"),
            Form::ValueFilterSub => {
                format!("the value filter with a sub-attribute ({attr}[…].sub)")
            }
        }
    }
}

/// The scimTypes of a 400 that declines a path (none given included).
const DECLINING: [&str; 2] = ["invalidPath", "invalidFilter"];

/// What the run learnt of the path forms the target takes: form and attribute → accepted.
#[derive(Default)]
pub struct PathForms(Mutex<HashMap<String, bool>>);

impl PathForms {
    /// The forms of the PATCH `step` sent that the target declines, where it refused the
    /// PATCH with 400 `invalidPath`, `invalidFilter`, `noTarget` or no scimType though
    /// `step` expected success; None when that is not what happened or no form is declined
    /// alone.
    pub async fn declined(&self, client: &Client, step: &StepRecord) -> Option<Vec<String>> {
        let x = step.exchange.as_ref()?;
        let Outcome::Response(r) = &x.outcome else {
            return None;
        };
        if r.status != 400 || x.request.method != Method::Patch {
            return None;
        }
        let scim_type = serde_json::from_str::<Value>(&r.body)
            .ok()
            .and_then(|b| b.get("scimType")?.as_str().map(str::to_string));
        // `noTarget` too: a server without value filters may find nothing they select.
        let refusing = [DECLINING[0], DECLINING[1], "noTarget"];
        if scim_type.is_some_and(|t| !refusing.contains(&t.as_str())) {
            return None;
        }
        let Some(Body::Json(body)) = &x.request.body else {
            return None;
        };
        // Only the resources of an endpoint: `/Me` is the token's own, which scimitar did
        // not create.
        let path = relative_path(client, &x.request.url).filter(|p| !p.starts_with("/Me"))?;
        let mut declined = Vec::new();
        for (form, attr) in forms(body) {
            if self.accepts(client, &path, form, &attr).await == Some(false) {
                let d = form.describe(&attr.to_string());
                if !declined.contains(&d) {
                    declined.push(d);
                }
            }
        }
        (!declined.is_empty()).then_some(declined)
    }

    /// Whether the target takes `form` on `attr` of the resource at `path`; None when no
    /// probe can be built (the attribute has no value to replace by itself) or it got no
    /// 2xx nor 400.
    async fn accepts(
        &self,
        client: &Client,
        path: &str,
        form: Form,
        attr: &AttrPath,
    ) -> Option<bool> {
        let endpoint = path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default();
        let key = format!("{endpoint} {form:?} {attr}");
        if let Some(known) = lock(&self.0).get(&key) {
            return Some(*known);
        }
        let current = get(client, path).await?;
        let op = probe(form, attr, &current)?;
        let body = Body::Json(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [op],
        }));
        let x = client
            .send(Outgoing {
                method: Method::Patch,
                path,
                query: &[],
                headers: &[],
                body: Some(&body),
                credentials: Credentials::Target,
            })
            .await;
        let ok = match &x.outcome {
            Outcome::Response(r) if (200..300).contains(&r.status) => true,
            Outcome::Response(r) if r.status == 400 && declines(&r.body) => false,
            _ => return None,
        };
        lock(&self.0).insert(key, ok);
        Some(ok)
    }
}

/// Whether a 400's body declines a path: `invalidPath`, `invalidFilter` or no scimType.
fn declines(body: &str) -> bool {
    let scim_type = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|b| b.get("scimType")?.as_str().map(str::to_string));
    scim_type.is_none_or(|t| DECLINING.contains(&t.as_str()))
}

/// The value-filter forms a PatchOp body's paths use, each with the attribute it names
/// (without the sub-attribute).
fn forms(body: &Value) -> Vec<(Form, AttrPath)> {
    let ops = body.get("Operations").and_then(Value::as_array);
    let mut out: Vec<(Form, AttrPath)> = Vec::new();
    for op in ops.into_iter().flatten() {
        let Some(path) = op.get("path").and_then(Value::as_str) else {
            continue;
        };
        let Ok(p) = filter::parse_patch_path(path) else {
            continue;
        };
        let form = match (&p.filter, &p.path.sub) {
            (None, _) => continue,
            (Some(_), None) => Form::ValueFilter,
            (Some(_), Some(_)) => Form::ValueFilterSub,
        };
        let attr = AttrPath {
            sub: None,
            ..p.path
        };
        if !out.iter().any(|(f, a)| *f == form && *a == attr) {
            out.push((form, attr));
        }
    }
    out
}

/// An operation of `form` on `attr` that changes nothing on `resource`: a value replaced by
/// itself, picked by a string sub-attribute it has.
fn probe(form: Form, attr: &AttrPath, resource: &Value) -> Option<Value> {
    let name = match &attr.urn {
        Some(u) => format!("{u}:{}", attr.attr),
        None => attr.attr.clone(),
    };
    let obj = match &attr.urn {
        Some(u) => resource.get(u)?.as_object()?,
        None => resource.as_object()?,
    };
    let values = obj
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&attr.attr))
        .map(|(_, v)| v)?;
    let element = values.as_array()?.iter().find_map(Value::as_object)?;
    let (key, v) = ["value", "type", "display"]
        .iter()
        .find_map(|k| Some((*k, element.get(*k)?.as_str()?)))?;
    let quoted = serde_json::to_string(v).ok()?;
    Some(match form {
        // The whole record for itself: RFC 7644 lines 2384-2386 replace what matches.
        Form::ValueFilter => json!({
            "op": "replace",
            "path": format!("{name}[{key} eq {quoted}]"),
            "value": element,
        }),
        Form::ValueFilterSub => json!({
            "op": "replace",
            "path": format!("{name}[{key} eq {quoted}].{key}"),
            "value": v,
        }),
    })
}

/// The resource as the target has it now.
async fn get(client: &Client, path: &str) -> Option<Value> {
    let x = client.send(Outgoing::get(path)).await;
    match &x.outcome {
        Outcome::Response(r) if r.status == 200 => serde_json::from_str(&r.body).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_body_names_its_value_filter_forms_once_each() {
        let body = json!({"Operations": [
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "x"},
            {"op": "replace", "path": "emails[type eq \"home\"].value", "value": "y"},
            {"op": "remove", "path": "emails[type eq \"work\"]"},
            {"op": "replace", "path": "name.givenName", "value": "z"},
            {"op": "replace", "value": {"active": false}}
        ]});
        let got: Vec<(Form, String)> = forms(&body)
            .into_iter()
            .map(|(f, a)| (f, a.to_string()))
            .collect();
        assert_eq!(
            got,
            [
                (Form::ValueFilterSub, "emails".to_string()),
                (Form::ValueFilter, "emails".to_string()),
            ]
        );
    }

    /// Each probe puts back what is there.
    #[test]
    fn probes_replace_a_value_by_itself() {
        let user = json!({"id": "1", "name": {"givenName": "Ada"},
            "emails": [{"value": "a@example.com", "type": "work", "primary": true}]});
        let emails = AttrPath {
            urn: None,
            attr: "emails".into(),
            sub: None,
        };
        assert_eq!(
            probe(Form::ValueFilter, &emails, &user),
            Some(
                json!({"op": "replace", "path": "emails[value eq \"a@example.com\"]",
                "value": {"value": "a@example.com", "type": "work", "primary": true}})
            )
        );
        assert_eq!(
            probe(Form::ValueFilterSub, &emails, &user),
            Some(
                json!({"op": "replace", "path": "emails[value eq \"a@example.com\"].value",
                "value": "a@example.com"})
            )
        );
        let absent = AttrPath {
            urn: None,
            attr: "phoneNumbers".into(),
            sub: None,
        };
        assert_eq!(probe(Form::ValueFilter, &absent, &user), None);
    }

    /// A 400 for a mutability or a value says nothing of the path form.
    #[test]
    fn only_a_path_refusal_declines() {
        assert!(declines(r#"{"scimType": "invalidPath"}"#));
        assert!(declines(r#"{"status": "400"}"#));
        assert!(declines("not json"));
        assert!(!declines(r#"{"scimType": "mutability"}"#));
        assert!(!declines(r#"{"scimType": "invalidValue"}"#));
    }
}
