//! Evaluating a parsed filter against resources, under a [`Dialect`]'s case rules.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::{AttrPath, CompareOp, Dialect, Fault, Faults, Filter, FilterError};
use crate::scim::schema::{AttrType, Attribute};
use crate::scim::value::{self, get_ci_map};

/// What evaluation needs to know of the attributes a filter names.
pub trait Attributes {
    /// The definition of a top-level attribute (URN-qualified or not).
    fn top(&self, urn: Option<&str>, attr: &str) -> Option<&Attribute>;
}

/// Evaluates filters for one resource type. Errors are `invalidFilter` conditions that depend
/// on the schema (an ordering operator on a boolean, a value filter on a simple attribute).
#[derive(Clone, Copy)]
pub struct Matcher<'a> {
    attrs: &'a dyn Attributes,
    /// Attribute names must match the stored (canonical) names exactly.
    exact_names: bool,
    /// Strings compare case-sensitively whatever the attribute's caseExact says.
    exact_values: bool,
    faults: Faults,
}

impl<'a> Matcher<'a> {
    pub fn new(attrs: &'a dyn Attributes, dialect: &Dialect) -> Self {
        Matcher {
            attrs,
            exact_names: dialect.case_exact_names,
            exact_values: dialect.case_exact_values,
            faults: dialect.faults,
        }
    }

    pub fn matches(&self, f: &Filter, resource: &Map<String, Value>) -> Result<bool, FilterError> {
        Ok(match f {
            Filter::And(a, b) => self.matches(a, resource)? && self.matches(b, resource)?,
            Filter::Or(a, b) => self.matches(a, resource)? || self.matches(b, resource)?,
            Filter::Not(a) => !self.matches(a, resource)?,
            Filter::Present(_) if self.faults.has(Fault::PresentAlways) => true,
            Filter::Present(path) => self
                .select(path, resource)
                .1
                .iter()
                .any(|v| !value::is_unassigned(v)),
            Filter::Compare { path, op, value } => {
                let (def, values) = self.select(path, resource);
                self.compare_any(def, &values, *op, value)?
            }
            Filter::ValuePath { path, filter } => {
                let Some(def) = self.attrs.top(path.urn.as_deref(), &path.attr) else {
                    return Ok(false);
                };
                if def.kind != AttrType::Complex {
                    return Err(FilterError {
                        message: format!(
                            "`{}` is not complex: a value filter needs sub-attributes",
                            path.attr
                        ),
                        at: 0,
                    });
                }
                let elements =
                    match container(path, resource).and_then(|c| self.field(c, &path.attr)) {
                        Some(Value::Array(items)) => items.iter().collect(),
                        Some(v @ Value::Object(_)) => vec![v],
                        _ => vec![],
                    };
                let mut any = false;
                for element in elements {
                    if self.matches_element(filter, element, def)? {
                        any = true;
                    }
                }
                any
            }
        })
    }

    /// Evaluates a value filter's inner expression against one value of a complex attribute.
    pub fn matches_element(
        &self,
        f: &Filter,
        element: &Value,
        parent: &Attribute,
    ) -> Result<bool, FilterError> {
        Ok(match f {
            Filter::And(a, b) => {
                self.matches_element(a, element, parent)?
                    && self.matches_element(b, element, parent)?
            }
            Filter::Or(a, b) => {
                self.matches_element(a, element, parent)?
                    || self.matches_element(b, element, parent)?
            }
            Filter::Not(a) => !self.matches_element(a, element, parent)?,
            Filter::Present(_) if self.faults.has(Fault::PresentAlways) => true,
            Filter::Present(path) => self
                .sub_field(element, &path.attr)
                .is_some_and(|v| !value::is_unassigned(v)),
            Filter::Compare { path, op, value } => {
                let def = parent.sub(&path.attr);
                let values: Vec<&Value> = self.sub_field(element, &path.attr).into_iter().collect();
                self.compare_any(def, &values, *op, value)?
            }
            Filter::ValuePath { .. } => {
                return Err(FilterError {
                    message: "value filters cannot be nested".into(),
                    at: 0,
                });
            }
        })
    }

    fn field<'v>(&self, obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
        // Stored names are canonical, so the exact lookup usually hits at once.
        match obj.get(key) {
            Some(v) => Some(v),
            None if !self.exact_names => get_ci_map(obj, key),
            None => None,
        }
    }

    fn sub_field<'v>(&self, v: &'v Value, key: &str) -> Option<&'v Value> {
        v.as_object().and_then(|o| self.field(o, key))
    }

    /// The definition and the leaf values a path selects in a resource. A complex attribute
    /// named without a sub-attribute stands for its `value` sub-attribute, as RFC 7644
    /// §3.4.2.2 allows (`emails co "example.com"`).
    fn select<'v>(
        &self,
        path: &AttrPath,
        resource: &'v Map<String, Value>,
    ) -> (Option<&'a Attribute>, Vec<&'v Value>) {
        let top_def = self.attrs.top(path.urn.as_deref(), &path.attr);
        let top = container(path, resource).and_then(|c| self.field(c, &path.attr));
        let sub = path.sub.as_deref().or_else(|| {
            top_def
                .filter(|d| d.kind == AttrType::Complex && d.multi_valued)
                .map(|_| "value")
        });
        let def = match sub {
            Some(s) => top_def.and_then(|d| d.sub(s)),
            None => top_def,
        };
        let Some(top) = top else {
            return (def, vec![]);
        };
        let mut out = Vec::new();
        let mut push = |v: &'v Value| match v {
            Value::Array(items) => out.extend(items.iter()),
            v => out.push(v),
        };
        match sub {
            None => push(top),
            Some(sub) => match top {
                Value::Array(items) => items
                    .iter()
                    .filter_map(|i| self.sub_field(i, sub))
                    .for_each(&mut push),
                v => self.sub_field(v, sub).into_iter().for_each(&mut push),
            },
        }
        (def, out)
    }

    fn compare_any(
        &self,
        def: Option<&Attribute>,
        values: &[&Value],
        op: CompareOp,
        operand: &Value,
    ) -> Result<bool, FilterError> {
        let kind = def.map(|d| d.kind);
        let op = if op == CompareOp::Gt && self.faults.has(Fault::GtAsGe) {
            CompareOp::Ge
        } else {
            op
        };
        let values = if self.faults.has(Fault::FirstValueOnly) {
            &values[..values.len().min(1)]
        } else {
            values
        };
        if op.is_ordering()
            && matches!(kind, Some(AttrType::Boolean | AttrType::Binary))
            && !self.faults.has(Fault::OrderingBooleans)
        {
            return Err(FilterError {
                message: format!(
                    "`{}` cannot be used on a boolean or binary attribute",
                    op.as_str()
                ),
                at: 0,
            });
        }
        let exact_by_fault = match op {
            CompareOp::Ne => Some(Fault::NeCaseExact),
            CompareOp::Sw => Some(Fault::SwCaseExact),
            CompareOp::Ew => Some(Fault::EwCaseExact),
            _ => None,
        }
        .is_some_and(|f| self.faults.has(f));
        let id_folded = self.faults.has(Fault::IdFolded) && def.is_some_and(|d| d.name == "id");
        let case_exact =
            self.exact_values || def.is_some_and(|d| d.case_exact) && !id_folded || exact_by_fault;
        let date = (kind == Some(AttrType::DateTime)).then_some(
            if self.faults.has(Fault::OffsetsIgnored) {
                Dates::Local
            } else {
                Dates::Instants
            },
        );
        if op == CompareOp::Ne {
            // `ne` holds when no value equals the operand (an absent attribute is not equal).
            return Ok(!values
                .iter()
                .any(|v| compare(v, CompareOp::Eq, operand, case_exact, date)));
        }
        if operand.is_null() && op == CompareOp::Eq {
            return Ok(values.iter().all(|v| value::is_unassigned(v)));
        }
        Ok(values
            .iter()
            .any(|v| compare(v, op, operand, case_exact, date)))
    }
}

/// The object holding a path's top-level attribute: the resource, or its extension object.
/// A URN that names the base schema (`urn:...:core:2.0:User:userName`) means the resource.
fn container<'v>(
    path: &AttrPath,
    resource: &'v Map<String, Value>,
) -> Option<&'v Map<String, Value>> {
    match &path.urn {
        Some(urn) => match get_ci_map(resource, urn) {
            Some(ext) => ext.as_object(),
            None => Some(resource),
        },
        None => Some(resource),
    }
}

/// How dateTime values compare: as points in time (RFC 7644 Table 3, "chronologically"), or,
/// by fault, by the date and time they read, whatever their offsets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dates {
    Instants,
    Local,
}

fn compare(
    v: &Value,
    op: CompareOp,
    operand: &Value,
    case_exact: bool,
    date: Option<Dates>,
) -> bool {
    use std::cmp::Ordering;
    let ordering: Option<Ordering> = match (v, operand) {
        (Value::String(a), Value::String(b)) => {
            if let Some(dates) = date
                && let (Some(x), Some(y)) = (value::parse_datetime(a), value::parse_datetime(b))
            {
                Some(match dates {
                    Dates::Instants => x.cmp(&y),
                    Dates::Local => (x.date(), x.time()).cmp(&(y.date(), y.time())),
                })
            } else if op == CompareOp::Eq && !case_exact && a.is_ascii() && b.is_ascii() {
                // The common case of a list filter, without allocating.
                return a.eq_ignore_ascii_case(b);
            } else {
                let (a, b) = fold(a, b, case_exact);
                match op {
                    CompareOp::Co => return a.contains(&*b),
                    CompareOp::Sw => return a.starts_with(&*b),
                    CompareOp::Ew => return a.ends_with(&*b),
                    _ => Some(a.cmp(&b)),
                }
            }
        }
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::Bool(a), Value::Bool(b)) if matches!(op, CompareOp::Eq) => return a == b,
        // Entra writes booleans as strings in its filters (`roles[primary eq "True"]`).
        (Value::Bool(a), Value::String(b)) if matches!(op, CompareOp::Eq) => {
            return b.eq_ignore_ascii_case(if *a { "true" } else { "false" });
        }
        _ => None,
    };
    let Some(ord) = ordering else { return false };
    match op {
        CompareOp::Eq => ord.is_eq(),
        CompareOp::Gt => ord.is_gt(),
        CompareOp::Ge => ord.is_ge(),
        CompareOp::Lt => ord.is_lt(),
        CompareOp::Le => ord.is_le(),
        // `co`/`sw`/`ew` hold only on strings; `ne` is handled by the caller.
        CompareOp::Ne | CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

fn fold<'s>(a: &'s str, b: &'s str, case_exact: bool) -> (Cow<'s, str>, Cow<'s, str>) {
    if case_exact {
        (a.into(), b.into())
    } else {
        (a.to_lowercase().into(), b.to_lowercase().into())
    }
}
