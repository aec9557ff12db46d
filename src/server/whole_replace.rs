//! `complex_replace: whole`: a `replace` of a whole singular complex attribute (`path:
//! name`) sets the attribute to its value, clearing the sub-attributes the value leaves out
//! (interop profile §6.5.2.1: the server "MUST replace the entire complex attribute with the
//! provided object"), where RFC 7644 §3.5.2.3 (lines 2378-2382) keeps them.

use serde_json::Value;

use crate::profile::{ComplexReplace, Emulation};
use crate::scim::patch::{Op, Operation};
use crate::scim::resource::Kind;
use crate::scim::schema::AttrType;

/// The operations as the emulation applies them: each such replace preceded by one that
/// unassigns the attribute (a replace with null, RFC 7643 §2.5), so that the RFC's merge
/// starts from nothing. A replace of a sub-attribute, of a filtered path or of a
/// multi-valued attribute is kept as it is.
pub fn rewrite(emulation: &Emulation, kind: Kind, ops: Vec<Operation>) -> Vec<Operation> {
    if emulation.complex_replace != ComplexReplace::Whole {
        return ops;
    }
    ops.into_iter()
        .flat_map(|op| {
            let whole = op.op == Op::Replace
                && matches!(op.value, Some(Value::Object(_)))
                && op.path.as_ref().is_some_and(|p| {
                    p.filter.is_none()
                        && p.path.sub.is_none()
                        && singular_complex(kind, &p.path.to_string())
                });
            let clear = whole.then(|| Operation {
                op: Op::Replace,
                path: op.path.clone(),
                value: Some(Value::Null),
            });
            clear.into_iter().chain([op])
        })
        .collect()
}

/// Whether `name` (`name`, or `urn:…:manager`) is a singular complex attribute.
fn singular_complex(kind: Kind, name: &str) -> bool {
    kind.registry
        .resolve(kind.rt, name)
        .is_some_and(|(_, def)| def.kind == AttrType::Complex && !def.multi_valued)
}
