//! `undefined_filter: refused`: a filter on a resource-type endpoint that names an attribute
//! none of the type's schemas defines answers 400 `invalidFilter` (interop profile §6.3),
//! where RFC 7644 has it match nothing (lines 919-922, said of the root endpoint).

use crate::profile::{Emulation, UndefinedFilter};
use crate::scim::error::{ScimError, ScimType};
use crate::scim::filter::{self, AttrPath, Filter};
use crate::scim::resource::Kind;
use crate::scim::schema::Attribute;

/// Refuses `text` (a filter sent to `kind`'s endpoint) where it names an undefined
/// attribute or sub-attribute. A filter that does not parse is left to the query, which
/// answers it itself.
pub fn refuse(emulation: &Emulation, kind: Kind, text: Option<&str>) -> Result<(), ScimError> {
    if emulation.undefined_filter != UndefinedFilter::Refused {
        return Ok(());
    }
    let Some(f) = text.and_then(|t| filter::parse(t).ok()) else {
        return Ok(());
    };
    match undefined(kind, None, &f) {
        Some(name) => Err(ScimError::bad(
            ScimType::InvalidFilter,
            format!("`{name}` is not an attribute of {}", kind.rt.name),
        )),
        None => Ok(()),
    }
}

/// The first attribute path in `f` that names nothing defined: at the top level of the
/// resource, or inside `within` (the attribute of an enclosing value filter).
fn undefined(kind: Kind, within: Option<&Attribute>, f: &Filter) -> Option<String> {
    match f {
        Filter::Compare { path, .. } | Filter::Present(path) => resolve(kind, within, path)
            .is_none()
            .then(|| path.to_string()),
        Filter::And(a, b) | Filter::Or(a, b) => {
            undefined(kind, within, a).or_else(|| undefined(kind, within, b))
        }
        Filter::Not(a) => undefined(kind, within, a),
        Filter::ValuePath { path, filter } => match resolve(kind, within, path) {
            Some(def) => undefined(kind, Some(def), filter).map(|inner| format!("{path}.{inner}")),
            None => Some(path.to_string()),
        },
    }
}

/// The definition `path` names, with its sub-attribute if it has one.
fn resolve<'k>(
    kind: Kind<'k>,
    within: Option<&'k Attribute>,
    path: &AttrPath,
) -> Option<&'k Attribute> {
    let top = match within {
        Some(parent) => parent.sub(&path.attr)?,
        None => {
            let name = AttrPath {
                sub: None,
                ..path.clone()
            };
            kind.registry.resolve(kind.rt, &name.to_string())?.1
        }
    };
    match &path.sub {
        Some(s) => top.sub(s),
        None => Some(top),
    }
}
