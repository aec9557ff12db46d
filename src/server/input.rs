//! What a stricter server does with a create, PUT or PATCH value before its schema reads it:
//! the variations real servers show within RFC 7644 §3.3 ("the server is free to alter and/or
//! ignore POSTed content") that the suites must live with. Each is an emulation switch
//! (`Emulation::undeclared`, `email_syntax`, `emails_kept`, `patch_paths`), none is a defect.

use serde_json::{Map, Value};

use crate::profile::{EmailSyntax, Emulation, PatchPaths, Undeclared};
use crate::scim::error::{ScimError, ScimType};
use crate::scim::patch::Operation;
use crate::scim::resource::Kind;
use crate::scim::schema::{AttrType, Attribute};

/// Members of any resource that no schema lists as an attribute of its own.
const ALWAYS: [&str; 4] = ["schemas", "id", "externalId", "meta"];

/// Refuses a resource body (a create, a PUT, a path-less PATCH value) that names what the
/// server does not declare, where the emulation says so, as a pydantic model with
/// `extra="forbid"` does: 400 invalidSyntax naming the first extra member.
pub fn refuse_undeclared(emulation: &Emulation, kind: Kind, body: &Value) -> Result<(), ScimError> {
    if emulation.undeclared != Undeclared::Refused {
        return Ok(());
    }
    let Some(obj) = body.as_object() else {
        return Ok(());
    };
    match extra_in_resource(kind, obj) {
        Some(member) => Err(extra(&member)),
        None => Ok(()),
    }
}

/// The same for each PATCH operation's value: whole resources for a path-less operation,
/// the value of the attribute a plain path names otherwise.
pub fn refuse_undeclared_in_patch(
    emulation: &Emulation,
    kind: Kind,
    ops: &[Operation],
) -> Result<(), ScimError> {
    if emulation.undeclared != Undeclared::Refused {
        return Ok(());
    }
    for op in ops {
        let Some(value) = &op.value else { continue };
        let found = match &op.path {
            None => value
                .as_object()
                .and_then(|obj| extra_in_resource(kind, obj)),
            Some(p) if p.path.sub.is_none() => {
                let name = match &p.path.urn {
                    Some(u) => format!("{u}:{}", p.path.attr),
                    None => p.path.attr.clone(),
                };
                kind.registry
                    .resolve(kind.rt, &name)
                    .and_then(|(_, def)| extra_in_value(def, value, &p.path.attr))
            }
            Some(_) => None,
        };
        if let Some(member) = found {
            return Err(extra(&member));
        }
    }
    Ok(())
}

/// Refuses a PATCH path with a value filter, where the emulation takes plain paths only.
pub fn refuse_value_filters(emulation: &Emulation, ops: &[Operation]) -> Result<(), ScimError> {
    if emulation.patch_paths != PatchPaths::Plain {
        return Ok(());
    }
    match ops
        .iter()
        .find_map(|o| o.path.as_ref().filter(|p| p.filter.is_some()))
    {
        Some(p) => Err(ScimError::bad(
            ScimType::InvalidPath,
            format!("value filters in PATCH paths are not supported: {p}"),
        )),
        None => Ok(()),
    }
}

fn extra(member: &str) -> ScimError {
    ScimError::bad(
        ScimType::InvalidSyntax,
        format!("Extra inputs are not permitted: {member}"),
    )
}

/// The first member of `obj` the resource type does not declare, as `emails[0].type`.
fn extra_in_resource(kind: Kind, obj: &Map<String, Value>) -> Option<String> {
    let base = kind.base();
    for (key, v) in obj {
        if ALWAYS.iter().any(|a| a.eq_ignore_ascii_case(key)) {
            continue;
        }
        if let Some(ext) = kind.extension(key) {
            let Some(inner) = v.as_object() else { continue };
            for (k, v) in inner {
                match ext.attribute(k) {
                    Some(def) => {
                        if let Some(m) = extra_in_value(def, v, k) {
                            return Some(format!("{key}.{m}"));
                        }
                    }
                    None => return Some(format!("{key}.{k}")),
                }
            }
            continue;
        }
        match base.attribute(key) {
            Some(def) => {
                if let Some(m) = extra_in_value(def, v, key) {
                    return Some(m);
                }
            }
            None => return Some(key.clone()),
        }
    }
    None
}

/// The first sub-attribute of `v` (the value of `def`, named `name`) that `def` does not
/// declare.
fn extra_in_value(def: &Attribute, v: &Value, name: &str) -> Option<String> {
    if def.kind != AttrType::Complex {
        return None;
    }
    let undeclared = |o: &Map<String, Value>| o.keys().find(|k| def.sub(k).is_none()).cloned();
    match v {
        Value::Object(o) => undeclared(o).map(|k| format!("{name}.{k}")),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            item.as_object()
                .and_then(undeclared)
                .map(|k| format!("{name}[{i}].{k}"))
        }),
        _ => None,
    }
}

/// Refuses an email address whose local part has more than letters, digits, dots and
/// hyphens, where the emulation validates so (a valid RFC 5322 address such as
/// `a-~@example.com` included: RFC 7643 §4.1.2 only says the value SHOULD be canonicalised,
/// and §3.3 of RFC 7644 lets a server refuse what it will not store).
pub fn check_email_syntax(emulation: &Emulation, body: &Value) -> Result<(), ScimError> {
    if emulation.email_syntax != EmailSyntax::Plain {
        return Ok(());
    }
    let emails = body
        .as_object()
        .into_iter()
        .flat_map(|o| o.iter())
        .filter(|(k, _)| k.eq_ignore_ascii_case("emails"))
        .filter_map(|(_, v)| v.as_array())
        .flatten()
        .filter_map(|e| e.get("value").and_then(Value::as_str));
    for address in emails {
        if !plain_address(address) {
            return Err(ScimError::bad(
                ScimType::InvalidValue,
                format!("`{address}` is not a valid email address"),
            ));
        }
    }
    Ok(())
}

/// `local@domain` with a local part of letters, digits, dots and hyphens, as a strict
/// validator takes it.
fn plain_address(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    };
    plain(local) && plain(domain) && domain.contains('.')
}

/// Keeps the first `emails_kept` emails of a stored User, where the emulation keeps fewer
/// than a client sends (RFC 7644 §3.3: the server may ignore POSTed content).
pub fn keep_emails(emulation: &Emulation, kind: Kind, r: &mut Map<String, Value>) {
    let Some(kept) = emulation.emails_kept else {
        return;
    };
    if kind.rt.name != "User" {
        return;
    }
    if let Some(Value::Array(emails)) = r.get_mut("emails") {
        emails.truncate(kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_address_has_letters_digits_dots_and_hyphens() {
        for ok in ["ada@example.com", "a.b-c9@x-y.example.com"] {
            assert!(plain_address(ok), "{ok}");
        }
        for refused in [
            "a-~@example.com",
            "a+b@example.com",
            "@example.com",
            "ada@",
            "ada@localhost",
            "ada",
        ] {
            assert!(!plain_address(refused), "{refused}");
        }
    }
}
