//! Listing (RFC 7644 §3.4.2): filter, sort and page a set of resources.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::error::{ScimError, ScimType};
use super::filter::{self, Dialect, Filter, Matcher};
use super::resource::Kind;
use super::schema::AttrType;
use super::value::{get_ci, get_ci_map, parse_datetime};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Ascending,
    Descending,
}

/// A query: everything but the projection, which applies to each resource afterwards.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub filter: Option<Filter>,
    pub sort_by: Option<String>,
    pub sort_order: SortOrder,
    /// 1-based; values below 1 are taken as 1 (RFC 7644 §3.4.2.4).
    pub start_index: i64,
    /// None: as many as the server allows; negative counts are taken as 0.
    pub count: Option<i64>,
    /// How a faulty server sorts: set by the bundled server's defect switches.
    pub sort_faults: Vec<SortFault>,
}

/// One way of getting RFC 7644 §3.4.2.3 sorting wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortFault {
    /// Strings sort case-sensitively whatever caseExact says (RFC: by caseExact, 1319-1326).
    CaseSensitive,
    /// A multi-valued attribute sorts by its first value, primary or not (1305-1309).
    FirstValue,
    /// Resources without a value sort first in ascending order (RFC: last, 1312-1314).
    MissingFirst,
}

/// A match: the index of its kind in the query's sources, and the resource.
pub type Hit<'r> = (usize, &'r Map<String, Value>);

/// The page of `hits` that begins at the 1-based `start_index` (values below 1 are taken as
/// 1, RFC 7644 §3.4.2.4) and holds at most `size` resources.
pub fn index_page<'r>(hits: &[Hit<'r>], start_index: i64, size: usize) -> Vec<Hit<'r>> {
    let start = start_index.max(1) as usize;
    hits.iter().skip(start - 1).take(size).copied().collect()
}

/// How many resources a page holds: `count` (negative taken as 0), at most `max_results`.
pub fn page_size(count: Option<i64>, max_results: usize) -> usize {
    count.map_or(max_results, |c| (c.max(0) as usize).min(max_results))
}

/// The matches of a query in the order it asks for (creation order unless sorted), each
/// with the index of its kind in the query's sources.
pub fn select<'r, 'k, I>(
    sources: impl IntoIterator<Item = (Kind<'k>, I)>,
    q: &Query,
    dialect: &Dialect,
) -> Result<Vec<Hit<'r>>, ScimError>
where
    I: IntoIterator<Item = &'r Map<String, Value>>,
{
    let mut keys = Vec::new();
    let mut hits = Vec::new();
    for (k, (kind, all)) in sources.into_iter().enumerate() {
        let matcher = Matcher::new(&kind, dialect);
        for r in all {
            let keep = match &q.filter {
                None => true,
                Some(f) => matcher
                    .matches(f, r)
                    .map_err(|e| ScimError::bad(ScimType::InvalidFilter, e.to_string()))?,
            };
            if keep {
                hits.push((k, r));
            }
        }
        if let Some(by) = &q.sort_by {
            keys.push(SortKey::new(kind, by, &q.sort_faults)?);
        }
    }
    if !keys.is_empty() {
        hits.sort_by(|(ka, a), (kb, b)| {
            let ord = SortKey::compare(&keys[*ka], a, &keys[*kb], b);
            if q.sort_order == SortOrder::Descending {
                ord.reverse()
            } else {
                ord
            }
        });
    }
    Ok(hits)
}

struct SortKey {
    urn: Option<String>,
    attr: String,
    sub: Option<String>,
    case_exact: bool,
    date: bool,
    /// Whether a multi-valued attribute sorts by its primary value (else by its first).
    by_primary: bool,
    /// Where resources without a value go in ascending order.
    missing: Ordering,
}

impl SortKey {
    fn new(kind: Kind, by: &str, faults: &[SortFault]) -> Result<Self, ScimError> {
        let path = filter::parse_patch_path(by)
            .ok()
            .filter(|p| p.filter.is_none())
            .ok_or_else(|| {
                ScimError::bad(
                    ScimType::InvalidValue,
                    format!("sortBy `{by}` is not an attribute path"),
                )
            })?;
        let p = path.path;
        let top = <Kind as filter::Attributes>::top(&kind, p.urn.as_deref(), &p.attr);
        let sub = p.sub.clone().or_else(|| {
            top.filter(|d| d.multi_valued && d.kind == AttrType::Complex)
                .map(|_| "value".into())
        });
        let def = match (&sub, top) {
            (Some(s), Some(t)) => t.sub(s),
            (None, t) => t,
            _ => None,
        };
        Ok(SortKey {
            urn: p.urn,
            attr: p.attr,
            sub,
            case_exact: def.is_some_and(|d| d.case_exact)
                || faults.contains(&SortFault::CaseSensitive),
            date: def.is_some_and(|d| d.kind == AttrType::DateTime),
            by_primary: !faults.contains(&SortFault::FirstValue),
            missing: if faults.contains(&SortFault::MissingFirst) {
                Ordering::Less
            } else {
                Ordering::Greater
            },
        })
    }

    /// The value a resource sorts by: for multi-valued attributes the primary value, else the
    /// first (RFC 7644 §3.4.2.3).
    fn value<'v>(&self, r: &'v Map<String, Value>) -> Option<&'v Value> {
        let holder = match &self.urn {
            Some(u) => get_ci_map(r, u)?.as_object()?,
            None => r,
        };
        let top = get_ci_map(holder, &self.attr)?;
        let item = match top {
            Value::Array(items) => items
                .iter()
                .find(|i| self.by_primary && i.get("primary") == Some(&Value::Bool(true)))
                .or_else(|| items.first())?,
            v => v,
        };
        match &self.sub {
            Some(s) => get_ci(item, s),
            None => Some(item),
        }
        .filter(|v| !v.is_null())
    }

    /// Orders two resources, each by its own kind's key (the kinds differ at the root).
    fn compare(
        ka: &SortKey,
        a: &Map<String, Value>,
        kb: &SortKey,
        b: &Map<String, Value>,
    ) -> Ordering {
        match (ka.value(a), kb.value(b)) {
            // Resources without a value sort last in ascending order.
            (None, None) => Ordering::Equal,
            (None, Some(_)) => ka.missing,
            (Some(_), None) => kb.missing.reverse(),
            (Some(x), Some(y)) => ka.compare_values(x, y),
        }
    }

    fn compare_values(&self, x: &Value, y: &Value) -> Ordering {
        match (x, y) {
            (Value::String(a), Value::String(b)) => {
                if self.date
                    && let (Some(a), Some(b)) = (parse_datetime(a), parse_datetime(b))
                {
                    return a.cmp(&b);
                }
                if self.case_exact {
                    a.cmp(b)
                } else {
                    a.to_lowercase().cmp(&b.to_lowercase())
                }
            }
            (Value::Number(a), Value::Number(b)) => a
                .as_f64()
                .partial_cmp(&b.as_f64())
                .unwrap_or(Ordering::Equal),
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            _ => Ordering::Equal,
        }
    }
}

#[cfg(test)]
mod tests;
