//! PATCH path forms a server declines. RFC 7644 Table 9 lets a server answer a path it
//! cannot act on with 400 `invalidPath`, and the value filter (`emails[type eq "work"]`) and
//! the value filter with a sub-attribute (`emails[type eq "work"].value`) are forms many
//! servers do not offer. A case whose PATCH was refused so is probed the way declined filters
//! are: each form it used is tried alone, on the attribute it named, on the case's own
//! resource, with a change that changes nothing (a value replaced by itself). A form refused
//! alone is declined: the case is unsupported. A form accepted alone leaves the failure
//! standing.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{Value, json};

use super::StepRecord;
use super::declined::lock;
use crate::scim::filter::{self, AttrPath};
use crate::suite::Method;
use crate::target::client::{Body, Client, Credentials, Outcome, Outgoing};

/// The form of a PATCH path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Form {
    /// `emails`, `name.givenName`.
    Plain,
    /// `emails[value eq "…"]`.
    ValueFilter,
    /// `emails[value eq "…"].value`.
    ValueFilterSub,
}

impl Form {
    fn describe(self, attr: &str) -> String {
        match self {
            Form::Plain => format!("the plain path ({attr})"),
            Form::ValueFilter => format!("the value filter ({attr}[…])"),
            Form::ValueFilterSub => {
                format!("the value filter with a sub-attribute ({attr}[…].sub)")
            }
        }
    }
}

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
        let refusing = ["invalidPath", "invalidFilter", "noTarget"];
        if scim_type.is_some_and(|t| !refusing.contains(&t.as_str())) {
            return None;
        }
        let Some(Body::Json(body)) = &x.request.body else {
            return None;
        };
        let path = resource_path(client, &x.request.url)?;
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
            Outcome::Response(r) if r.status == 400 => false,
            _ => return None,
        };
        lock(&self.0).insert(key, ok);
        Some(ok)
    }
}

/// The forms a PatchOp body's paths use, each with the attribute it names (without the
/// sub-attribute).
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
            (None, _) => Form::Plain,
            (Some(_), None) => Form::ValueFilter,
            (Some(_), Some(_)) => Form::ValueFilterSub,
        };
        let attr = AttrPath {
            sub: if form == Form::Plain {
                p.path.sub
            } else {
                None
            },
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
    let value = obj
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&attr.attr))
        .map(|(_, v)| v)?;
    if form == Form::Plain {
        let value = match &attr.sub {
            Some(s) => value
                .as_object()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(s))
                .map(|(_, v)| v)?,
            None => value,
        };
        let path = match &attr.sub {
            Some(s) => format!("{name}.{s}"),
            None => name,
        };
        // A multi-valued attribute gets its values added again: RFC 7644 lines 2001-2003,
        // a value the target already contains makes no change.
        let op = if value.is_array() { "add" } else { "replace" };
        return Some(json!({"op": op, "path": path, "value": value}));
    }
    let element = value.as_array()?.iter().find_map(Value::as_object)?;
    let (key, v) = ["value", "type", "display"]
        .iter()
        .find_map(|k| Some((*k, element.get(*k)?.as_str()?)))?;
    let quoted = serde_json::to_string(v).ok()?;
    Some(match form {
        Form::ValueFilter => json!({
            "op": "replace",
            "path": format!("{name}[{key} eq {quoted}]"),
            "value": {key: v},
        }),
        _ => json!({
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

/// The path of `url` below the base URL: `/Users/{id}`.
fn resource_path(client: &Client, url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    let base = url::Url::parse(client.base_url()).ok()?;
    let path = url.path().strip_prefix(base.path().trim_end_matches('/'))?;
    path.starts_with('/').then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_body_names_its_forms_once_each() {
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
                (Form::Plain, "name.givenName".to_string()),
            ]
        );
    }

    /// Each probe puts back what is there.
    #[test]
    fn probes_replace_a_value_by_itself() {
        let user = json!({"id": "1", "name": {"givenName": "Ada"},
            "emails": [{"value": "a@example.com", "type": "work"}]});
        let emails = AttrPath {
            urn: None,
            attr: "emails".into(),
            sub: None,
        };
        assert_eq!(
            probe(Form::ValueFilter, &emails, &user),
            Some(
                json!({"op": "replace", "path": "emails[value eq \"a@example.com\"]",
                "value": {"value": "a@example.com"}})
            )
        );
        assert_eq!(
            probe(Form::ValueFilterSub, &emails, &user),
            Some(
                json!({"op": "replace", "path": "emails[value eq \"a@example.com\"].value",
                "value": "a@example.com"})
            )
        );
        let given = AttrPath {
            urn: None,
            attr: "name".into(),
            sub: Some("givenName".into()),
        };
        assert_eq!(
            probe(Form::Plain, &given, &user),
            Some(json!({"op": "replace", "path": "name.givenName", "value": "Ada"}))
        );
        let absent = AttrPath {
            urn: None,
            attr: "phoneNumbers".into(),
            sub: None,
        };
        assert_eq!(probe(Form::ValueFilter, &absent, &user), None);
    }
}
