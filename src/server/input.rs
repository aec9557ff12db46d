//! What a stricter server does with a create, PUT or PATCH value before its schema reads it:
//! the variations real servers show within RFC 7644 §3.3 ("the server is free to alter and/or
//! ignore POSTed content") that the suites must live with. Each is an emulation switch
//! (`Emulation::undeclared`, `undeclared_schemas`, `undeclared_path`, `pathless_patch`,
//! `email_syntax`, `emails_kept`, `patch_paths`), none is a defect.

use serde_json::{Map, Value};

use crate::profile::{
    EmailSyntax, Emulation, PatchPaths, PathlessPatch, Undeclared, UndeclaredPath,
};
use crate::scim::error::{ScimError, ScimType};
use crate::scim::patch::{self, Operation};
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

/// Refuses a resource body (a create, a PUT, a path-less PATCH value) naming a schema URI
/// the resource type does not have, in `schemas` or as an extension member, where the
/// emulation says so (interop profile §5.3: a request with "schema URIs that are not defined
/// in the Service Provider's ResourceType or Schema definitions" MUST be refused with 400
/// `invalidSyntax`).
pub fn refuse_undeclared_schemas(
    emulation: &Emulation,
    kind: Kind,
    body: &Value,
) -> Result<(), ScimError> {
    if emulation.undeclared_schemas != Undeclared::Refused {
        return Ok(());
    }
    let Some(obj) = body.as_object() else {
        return Ok(());
    };
    let listed = obj
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("schemas"))
        .filter_map(|(_, v)| v.as_array())
        .flatten()
        .filter_map(Value::as_str);
    let members = obj
        .keys()
        .map(String::as_str)
        .filter(|k| k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")));
    let known =
        |urn: &str| urn.eq_ignore_ascii_case(&kind.rt.schema) || kind.extension(urn).is_some();
    match listed.chain(members).find(|urn| !known(urn)) {
        Some(urn) => Err(ScimError::bad(
            ScimType::InvalidSyntax,
            format!("`{urn}` is not a schema of {}", kind.rt.name),
        )),
        None => Ok(()),
    }
}

/// Refuses a PATCH in which an operation has no `path`, where the emulation says so
/// (interop profile §6.5.1.1: servers "MUST reject PATCH requests containing operations
/// that lack a path attribute with an HTTP 400 Bad Request and a scimType error of
/// invalidSyntax"). It reads the request as sent, before a path-less `remove` gets RFC 7644
/// §3.5.2.2's `noTarget`.
pub fn refuse_pathless(emulation: &Emulation, body: &Value) -> Result<(), ScimError> {
    if emulation.pathless_patch != PathlessPatch::Refused {
        return Ok(());
    }
    let ops = body
        .get("Operations")
        .or_else(|| body.get("operations"))
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    match ops.iter().position(crate::scim::patch::pathless) {
        Some(i) => Err(ScimError::bad(
            ScimType::InvalidSyntax,
            format!("operation {} has no path: every operation needs one", i + 1),
        )),
        None => Ok(()),
    }
}

/// Answers a PATCH path naming no declared attribute (or sub-attribute) with
/// `invalidSyntax`, where the emulation says so (interop profile §5.3, which names PATCH);
/// otherwise the PATCH itself answers `invalidPath` (RFC 7644 Table 9).
pub fn refuse_undeclared_paths(
    emulation: &Emulation,
    kind: Kind,
    ops: &[Operation],
) -> Result<(), ScimError> {
    if emulation.undeclared_path != UndeclaredPath::InvalidSyntax {
        return Ok(());
    }
    match ops
        .iter()
        .filter_map(|o| o.path.as_ref())
        .find(|p| !patch::declared(kind, p))
    {
        Some(p) => Err(ScimError::bad(
            ScimType::InvalidSyntax,
            format!("`{p}` is not an attribute of {}", kind.rt.name),
        )),
        None => Ok(()),
    }
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
