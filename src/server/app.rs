//! The reference server's behaviour, without HTTP: each operation takes parsed input and
//! answers a [`Reply`] or a [`ScimError`]. The axum layer in `http.rs` only translates.

use std::sync::RwLock;

use serde_json::{Map, Value, json};

use super::cursor::{self, Binding, Cursors, Direction, Position};
use super::defect::{self, Defect, Defects};
use super::input;
use super::store::Store;
use super::update_defects;
use super::{undefined_filter, whole_replace};
use crate::profile::{
    DiscoveryFilter, Emulation, IdForm, PagingMethod, PatchUndeclared, Profile, PutMode,
};
use crate::scim::error::{ScimError, ScimType};
use crate::scim::filter::{self, Dialect};
use crate::scim::list::{self, Query, SortOrder};
use crate::scim::patch;
use crate::scim::projection::{Projection, project};
use crate::scim::resource::{self, Kind};
use crate::scim::schema::{ENTERPRISE_USER, GROUP, Registry, ResourceType, USER};
use crate::scim::value::{self, get_ci_map, remove_ci};

pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// What an operation answers; the HTTP layer adds the media type.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub location: Option<String>,
    pub etag: Option<String>,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Reply {
            status,
            body: Some(body),
            location: None,
            etag: None,
        }
    }

    pub fn empty(status: u16) -> Self {
        Reply {
            status,
            body: None,
            location: None,
            etag: None,
        }
    }

    fn resource(status: u16, body: Map<String, Value>) -> Self {
        let etag = body
            .get("meta")
            .and_then(|m| m.get("version"))
            .and_then(Value::as_str)
            .map(str::to_string);
        Reply {
            status,
            body: Some(Value::Object(body)),
            location: None,
            etag,
        }
    }
}

/// Query parameters of a list request and of single-resource reads.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub sort_order: Option<String>,
    pub start_index: Option<String>,
    pub count: Option<String>,
    /// RFC 9865 §2: empty or absent asks for the first page of a cursor walk.
    pub cursor: Option<String>,
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

impl Params {
    /// The parameters of a SearchRequest body (RFC 7644 §3.4.3), which carries the same
    /// names as the query string with JSON types.
    fn from_search(body: &Value) -> Result<Self, ScimError> {
        let listed = body
            .get("schemas")
            .and_then(Value::as_array)
            .is_some_and(|s| s.iter().any(|u| u == SEARCH_REQUEST));
        if !listed {
            return Err(ScimError::bad(
                ScimType::InvalidSyntax,
                format!("a search request must list {SEARCH_REQUEST} in schemas"),
            ));
        }
        let text = |key: &str| -> Result<Option<String>, ScimError> {
            match body.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Number(n)) => Ok(Some(n.to_string())),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .map(|v| Some(v.join(",")))
                    .ok_or_else(|| bad_member(key)),
                Some(_) => Err(bad_member(key)),
            }
        };
        Ok(Params {
            filter: text("filter")?,
            sort_by: text("sortBy")?,
            sort_order: text("sortOrder")?,
            start_index: text("startIndex")?,
            count: text("count")?,
            cursor: text("cursor")?,
            attributes: text("attributes")?,
            excluded_attributes: text("excludedAttributes")?,
        })
    }

    fn projection(&self, defects: &Defects) -> Projection {
        let excluded = if defects.has(Defect::ExcludedAttributesIgnored) {
            None
        } else {
            self.excluded_attributes.as_deref()
        };
        let attributes = if defects.has(Defect::AttributesIgnored) {
            None
        } else {
            self.attributes.as_deref()
        };
        let mut p = Projection::from_params(attributes, excluded);
        if defects.has(Defect::SubAttributesSelectParent) {
            p.attributes = p.attributes.iter().map(|a| defect::parent(a)).collect();
        }
        p
    }

    /// The projection of a POST, PUT or PATCH response.
    fn write_projection(&self, defects: &Defects) -> Projection {
        if defects.has(Defect::WriteProjectionIgnored) {
            Projection::default()
        } else {
            self.projection(defects)
        }
    }

    /// The parsed query; without `sort` support, `sortBy` and `sortOrder` are not read at
    /// all (RFC 7644 §3.4.2: a server "SHOULD ignore any query parameters they do not
    /// recognize instead of rejecting the query").
    fn query(&self, dialect: &Dialect, defects: &Defects, sort: bool) -> Result<Query, ScimError> {
        let int = |name: &str, v: &Option<String>| -> Result<Option<i64>, ScimError> {
            v.as_deref()
                .map(|s| {
                    s.trim().parse::<i64>().map_err(|_| {
                        ScimError::bad(ScimType::InvalidValue, format!("{name} must be an integer"))
                    })
                })
                .transpose()
        };
        let filter = self
            .filter
            .as_deref()
            .map(|f| {
                filter::parse_faulty(f, dialect.faults)
                    .and_then(|parsed| dialect.check(&parsed).map(|()| parsed))
                    .map_err(|e| {
                        if defects.has(Defect::BadFilter500) {
                            ScimError::new(500, None, "internal error")
                        } else {
                            ScimError::bad(ScimType::InvalidFilter, e.to_string())
                        }
                    })
            })
            .transpose()?;
        let sort_order = match self
            .sort_order
            .as_deref()
            .filter(|_| sort)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("ascending") => SortOrder::Ascending,
            Some("descending") => SortOrder::Descending,
            Some(o) => {
                return Err(ScimError::bad(
                    ScimType::InvalidValue,
                    format!("sortOrder `{o}` is not ascending or descending"),
                ));
            }
        };
        Ok(Query {
            filter,
            sort_by: self.sort_by.clone().filter(|_| sort),
            sort_order,
            start_index: int("startIndex", &self.start_index)?.unwrap_or(1),
            count: int("count", &self.count)?,
            sort_faults: Vec::new(),
        })
    }
}

fn bad_member(key: &str) -> ScimError {
    ScimError::bad(
        ScimType::InvalidValue,
        format!("`{key}` has the wrong type"),
    )
}

/// `If-Match` and `If-None-Match` of a request (RFC 7644 §3.14).
#[derive(Debug, Default)]
pub struct Preconditions {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
}

/// Whether an `If-Match`/`If-None-Match` list names `version`. Tags compare without their
/// weakness marker, since SCIM clients send back the weak tags servers hand out.
fn etag_listed(list: &str, version: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    list.split(',')
        .any(|t| t.trim() == "*" || opaque(t) == opaque(version))
}

/// [`Preconditions`] as the server acts on them.
#[derive(Default)]
struct PreconditionRefs<'p> {
    if_match: Option<&'p str>,
    if_none_match: Option<&'p str>,
}

fn version_of(r: &Map<String, Value>) -> &str {
    r["meta"]["version"].as_str().unwrap_or_default()
}

pub struct App {
    pub registry: Registry,
    pub emulation: Emulation,
    pub defects: Defects,
    /// The absolute base URL (`http://127.0.0.1:PORT/scim/v2`), for `meta.location`.
    pub base_url: String,
    store: RwLock<Store>,
    /// Present where the profile offers cursor paging.
    cursors: Option<Cursors>,
}

impl App {
    pub fn new(profile: &Profile, defects: Defects, base_url: String) -> Result<Self, String> {
        Ok(App {
            registry: profile.registry()?,
            emulation: profile.emulation.clone(),
            defects,
            base_url,
            store: RwLock::new(Store::default()),
            cursors: profile
                .emulation
                .pagination
                .cursor
                .map(|c| Cursors::new(std::time::Duration::from_secs(c.timeout))),
        })
    }

    /// The filter dialect in force: the profile's, with the defects that bend it.
    fn dialect(&self) -> Dialect {
        let mut d = self.emulation.filter.clone();
        d.case_exact_values |= self.defects.has(Defect::FilterCaseSensitive);
        d.case_exact_names |= self.defects.has(Defect::FilterNamesCaseSensitive);
        for (defect, fault) in defect::FILTER_FAULTS {
            if self.defects.has(defect) {
                d.faults = d.faults.with(fault);
            }
        }
        d
    }

    fn kind(&self, endpoint: &str) -> Result<Kind<'_>, ScimError> {
        let rt = self.registry.by_endpoint(endpoint).ok_or_else(|| {
            ScimError::not_found(format!("no resource type is served at /{endpoint}"))
        })?;
        Ok(Kind {
            registry: &self.registry,
            rt,
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|e| e.into_inner())
    }

    /// `/Me`: the bundled server's tokens belong to no SCIM user.
    pub fn me(&self) -> Result<Reply, ScimError> {
        Err(ScimError::new(
            self.emulation.me.status(),
            None,
            "/Me is not supported: the token names no SCIM resource",
        ))
    }

    pub fn list(&self, endpoint: &str, params: &Params) -> Result<Reply, ScimError> {
        let kind = self.kind(endpoint)?;
        undefined_filter::refuse(&self.emulation, kind, params.filter.as_deref())?;
        self.query(&[kind], params)
    }

    /// POST `.search` on a resource type, or at the root (`endpoint` None) across all types.
    pub fn search(&self, endpoint: Option<&str>, body: &Value) -> Result<Reply, ScimError> {
        if !self.emulation.search {
            return Err(ScimError::new(501, None, "POST .search is not supported"));
        }
        let mut params = Params::from_search(body)?;
        if self.defects.has(Defect::SearchIgnoresAttributes) {
            params.attributes = None;
            params.excluded_attributes = None;
        }
        if self.defects.has(Defect::SearchIgnoresCursor) {
            params.cursor = None;
        }
        match endpoint {
            Some(ep) => {
                let kind = self.kind(ep)?;
                undefined_filter::refuse(&self.emulation, kind, params.filter.as_deref())?;
                self.query(&[kind], &params)
            }
            None => {
                let kinds: Vec<Kind> = self
                    .registry
                    .resource_types
                    .iter()
                    .map(|rt| Kind {
                        registry: &self.registry,
                        rt,
                    })
                    .collect();
                self.query(&kinds, &params)
            }
        }
    }

    /// A query over the resources of `kinds`, answered as a ListResponse, paged by index or
    /// by cursor as the request asks (RFC 9865 §2.4: one naming neither gets the default).
    fn query(&self, kinds: &[Kind], params: &Params) -> Result<Reply, ScimError> {
        let dialect = self.dialect();
        let mut query = params.query(&dialect, &self.defects, self.emulation.sort)?;
        if self.defects.has(Defect::StartIndexBelowOneRefused)
            && params.start_index.is_some()
            && query.start_index < 1
        {
            return Err(ScimError::bad(
                ScimType::InvalidValue,
                "startIndex must be 1 or more",
            ));
        }
        let requested_start = query.start_index.max(1);
        self.bend_query(&mut query, params.start_index.is_some());
        let store = self.read();
        if self.defects.has(Defect::SubAttributeFilter500)
            && query
                .filter
                .as_ref()
                .is_some_and(defect::names_sub_attribute)
        {
            return Err(ScimError::new(500, None, "internal error"));
        }
        if self.defects.has(Defect::FilterFailsOnMissing)
            && let Some(f) = &query.filter
        {
            for kind in kinds {
                defect::refuse_if_any_lacks(f, kind, store.all(&kind.rt.name), &dialect)?;
            }
        }
        let sources = kinds.iter().map(|k| (*k, store.listed(&k.rt.name)));
        let hits = list::select(sources, &query, &dialect)?;
        let max = if self.defects.has(Defect::MaxResultsIgnored) {
            usize::MAX
        } else {
            self.emulation.max_results
        };
        let by_cursor = self
            .cursors
            .as_ref()
            .filter(|_| self.paging(params) == PagingMethod::Cursor);
        let size = list::page_size(self.bend_count(query.count, by_cursor.is_some())?, max);
        let projection = params.projection(&self.defects);
        let render = |page: &[list::Hit]| -> Vec<Value> {
            page.iter()
                .map(|(k, r)| Value::Object(self.render(kinds[*k], &store, r, &projection)))
                .collect()
        };
        let (total, resources, cursors) = match by_cursor {
            Some(issuer) => {
                let binding = Binding::new(
                    &[
                        Some(
                            &kinds
                                .iter()
                                .map(|k| k.rt.name.as_str())
                                .collect::<Vec<_>>()
                                .join(","),
                        ),
                        params.filter.as_deref(),
                        params.sort_by.as_deref(),
                        params.sort_order.as_deref(),
                    ],
                    query.count,
                );
                let at = match params.cursor.as_deref().filter(|c| !c.is_empty()) {
                    None => None,
                    Some(c) => Some(issuer.read(c, binding).map_err(|e| {
                        if self.defects.has(Defect::InvalidCursor500) {
                            ScimError::new(500, None, "internal error")
                        } else {
                            e
                        }
                    })?),
                };
                let snapshot = at.map_or(store.high_water(), |p| p.snapshot);
                let seq = |(k, r): &list::Hit| {
                    let id = r.get("id").and_then(Value::as_str).unwrap_or_default();
                    store.seq(&kinds[*k].rt.name, id).unwrap_or(u64::MAX)
                };
                let walk: Vec<_> = hits.into_iter().filter(|h| seq(h) <= snapshot).collect();
                let seqs: Vec<u64> = walk.iter().map(seq).collect();
                let slice =
                    self.bend_slice(cursor::slice(&seqs, snapshot, at, size), &seqs, snapshot);
                let links = [
                    ("previousCursor", slice.previous),
                    ("nextCursor", slice.next),
                ]
                .into_iter()
                .filter_map(|(name, p)| Some((name, issuer.issue(p?, binding))))
                .collect();
                (walk.len(), render(&walk[slice.range]), links)
            }
            None => {
                let page = list::index_page(&hits, query.start_index, size);
                (hits.len(), render(&page), Vec::new())
            }
        };
        let total = if self.defects.has(Defect::TotalResultsPageSize) {
            resources.len()
        } else {
            total
        };
        if self.defects.has(Defect::NoMatch404) && query.filter.is_some() && total == 0 {
            return Err(ScimError::not_found("no resource matches the filter"));
        }
        let mut body = json!({
            "schemas": [LIST_RESPONSE],
            "totalResults": total,
            "itemsPerPage": resources.len(),
        });
        if by_cursor.is_none() {
            body["startIndex"] = json!(requested_start);
        }
        if !resources.is_empty() {
            body["Resources"] = Value::Array(resources);
        }
        for (name, c) in cursors {
            body[name] = Value::String(c);
        }
        if let Some(members) = body.as_object_mut() {
            self.bend_list_response(members, &query);
        }
        Ok(Reply::json(200, body))
    }

    /// How a list request is paged: by cursor where it sends `cursor` (even empty) and the
    /// server offers cursors, by index where it sends `startIndex`, else by the default. A
    /// server without cursors ignores the parameter (RFC 7644 §3.4.2: unrecognised query
    /// parameters are ignored).
    fn paging(&self, params: &Params) -> PagingMethod {
        let offered = self.emulation.pagination.cursor.is_some();
        if params.cursor.is_some() && offered {
            PagingMethod::Cursor
        } else if params.start_index.is_some() || !offered {
            PagingMethod::Index
        } else if self.defects.has(Defect::DefaultPagingSwapped) {
            match self.emulation.pagination.default {
                PagingMethod::Index => PagingMethod::Cursor,
                PagingMethod::Cursor => PagingMethod::Index,
            }
        } else {
            self.emulation.pagination.default
        }
    }

    /// The defects that act on `count`, by paging method.
    fn bend_count(&self, count: Option<i64>, by_cursor: bool) -> Result<Option<i64>, ScimError> {
        let has = |d| self.defects.has(d);
        Ok(match count {
            Some(c) if c < 0 && !by_cursor && has(Defect::NegativeCountRefused) => {
                return Err(ScimError::bad(
                    ScimType::InvalidValue,
                    "count must not be negative",
                ));
            }
            Some(c) if c < 0 && by_cursor && has(Defect::CursorNegativeCountIgnored) => None,
            Some(0)
                if has(if by_cursor {
                    Defect::CursorCountZeroIgnored
                } else {
                    Defect::CountZeroIgnored
                }) =>
            {
                None
            }
            Some(c) if c > 0 && by_cursor && has(Defect::CursorPageOverCount) => Some(c + 1),
            c => c,
        })
    }

    /// The defects that act on the members of a ListResponse.
    fn bend_list_response(&self, members: &mut Map<String, Value>, query: &Query) {
        if self.defects.has(Defect::ItemsPerPageRequested)
            && let Some(count) = query.count
        {
            members.insert("itemsPerPage".into(), json!(count));
        }
        if self.defects.has(Defect::ListSchemasMissing) {
            members.remove("schemas");
        }
        if self.defects.has(Defect::StartIndexMissing) {
            members.remove("startIndex");
        }
        if self.defects.has(Defect::FilteredResourcesMissing) && query.filter.is_some() {
            members.remove("Resources");
        }
    }

    /// The defects that act on a cursor page.
    fn bend_slice(&self, mut s: cursor::Slice, walk: &[u64], snapshot: u64) -> cursor::Slice {
        let (first, last) = (s.range.start, s.range.end);
        if self.defects.has(Defect::CursorWalkRepeats)
            && let Some(next) = &mut s.next
            && last - first >= 2
        {
            // The next page begins with the last resource of this one.
            next.anchor = walk[last - 2];
            next.offset = last - 2;
        }
        if self.defects.has(Defect::NextCursorOnLastPage) && s.next.is_none() && last > first {
            s.next = Some(Position {
                snapshot,
                anchor: walk[last - 1],
                offset: last - 1,
                direction: Direction::Next,
            });
        }
        if self.defects.has(Defect::PreviousCursorOnFirstPage) && first == 0 && last > 0 {
            s.previous = Some(Position {
                snapshot,
                anchor: walk[0],
                offset: 0,
                direction: Direction::Previous,
            });
        }
        s
    }

    /// The defects that act on a parsed query.
    fn bend_query(&self, q: &mut Query, start_given: bool) {
        if self.defects.has(Defect::ListIgnoresFilter) {
            q.filter = None;
        }
        if self.defects.has(Defect::CoAsEq)
            && let Some(f) = &mut q.filter
        {
            super::defect::co_as_eq(f);
        }
        if self.defects.has(Defect::UrnNamesMatchNothing)
            && let Some(f) = &mut q.filter
        {
            defect::urn_names_whole(f);
        }
        if self.defects.has(Defect::SortIgnored) {
            q.sort_by = None;
        }
        if self.defects.has(Defect::SortOrderIgnored) {
            q.sort_order = SortOrder::Ascending;
        }
        for (defect, fault) in defect::SORT_FAULTS {
            if self.defects.has(defect) {
                q.sort_faults.push(fault);
            }
        }
        if self.defects.has(Defect::CountIgnored) {
            q.count = None;
        }
        if self.defects.has(Defect::StartIndexZeroBased) && start_given {
            // A given startIndex is read as an offset: 0 is the first result, 1 the second.
            q.start_index = q.start_index.max(0) + 1;
        }
    }

    pub fn get(
        &self,
        endpoint: &str,
        id: &str,
        params: &Params,
        pre: &Preconditions,
    ) -> Result<Reply, ScimError> {
        let kind = self.kind(endpoint)?;
        let store = self.read();
        let r = store
            .get(&kind.rt.name, id)
            .or_else(|| {
                self.defects
                    .has(Defect::IdIgnoresCase)
                    .then(|| defect::find_ignoring_case(&store, &kind.rt.name, id))
                    .flatten()
            })
            .ok_or_else(|| not_found(kind.rt, id))?;
        if let Some(list) = self.preconditions(pre).if_none_match
            && etag_listed(list, version_of(r))
        {
            let mut reply = Reply::empty(304);
            reply.etag = Some(version_of(r).to_string());
            return Ok(reply);
        }
        let mut reply = Reply::resource(
            200,
            self.render(kind, &store, r, &params.projection(&self.defects)),
        );
        if self.defects.has(Defect::GetAsList) {
            reply.body = reply.body.map(|r| {
                json!({"schemas": [LIST_RESPONSE], "totalResults": 1, "itemsPerPage": 1,
                    "startIndex": 1, "Resources": [r]})
            });
        }
        Ok(reply)
    }

    /// The preconditions acted upon: none where the server has no ETags (RFC 7644 §3.14
    /// makes them optional; a server without versions has nothing to compare a tag with).
    fn preconditions<'p>(&self, pre: &'p Preconditions) -> PreconditionRefs<'p> {
        if !self.emulation.etag {
            return PreconditionRefs::default();
        }
        PreconditionRefs {
            if_match: pre.if_match.as_deref(),
            if_none_match: pre.if_none_match.as_deref(),
        }
    }

    /// The resource that `pre` allows a change of, or 404/412.
    fn current<'s>(
        &self,
        kind: Kind,
        store: &'s Store,
        id: &str,
        pre: &Preconditions,
    ) -> Result<&'s Map<String, Value>, ScimError> {
        let r = store
            .get(&kind.rt.name, id)
            .ok_or_else(|| not_found(kind.rt, id))?;
        if let Some(list) = self.preconditions(pre).if_match
            && !etag_listed(list, version_of(r))
            && !self.defects.has(Defect::IfMatchIgnored)
        {
            return Err(ScimError::new(
                412,
                None,
                format!("{} {id} is at version {}", kind.rt.name, version_of(r)),
            ));
        }
        Ok(r)
    }

    pub fn create(
        &self,
        endpoint: &str,
        body: &Value,
        params: &Params,
    ) -> Result<Reply, ScimError> {
        self.create_as(endpoint, body, params, None)
    }

    /// A create; `bulk_id` is the one of the Bulk operation that asks it.
    pub fn create_as(
        &self,
        endpoint: &str,
        body: &Value,
        params: &Params,
        bulk_id: Option<&str>,
    ) -> Result<Reply, ScimError> {
        let kind = self.kind(endpoint)?;
        self.check_input(kind, body)?;
        let body = &self.bend_create_body(kind, body);
        let mut r = self.read_create_body(kind, body)?;
        if self.defects.has(Defect::UndeclaredExtensionEchoed) {
            defect::echo_schemas(body, &mut r);
        }
        input::keep_emails(&self.emulation, kind, &mut r);
        self.alter_case(&mut r);
        self.check_email_identity(kind, &r)?;
        let mut store = self.write();
        let keys = self.unique_keys(kind, &r);
        self.check_unique(kind, &store, &keys, None)?;
        self.link_members(kind, &store, &mut r)?;
        let client_id = body.get("id").and_then(Value::as_str);
        let named = ["userName", "displayName"]
            .iter()
            .find_map(|a| r.get(*a).and_then(Value::as_str));
        let id = match (client_id, named, bulk_id) {
            (Some(id), _, _) if self.defects.has(Defect::ClientIdAccepted) => id.to_string(),
            (_, Some(name), _) if self.defects.has(Defect::IdsFromNames) => name.to_string(),
            (_, _, Some(b)) if self.defects.has(Defect::BulkIdInId) => {
                format!("bulkId-{b}-{}", uuid::Uuid::new_v4())
            }
            _ => match self.emulation.ids {
                IdForm::Uuid => uuid::Uuid::new_v4().to_string(),
                IdForm::Serial => (store.high_water() + 1).to_string(),
            },
        };
        let endpoint = kind.rt.endpoint.trim_start_matches('/');
        let location = format!("{}/{endpoint}/{id}", self.base_url);
        let mut meta = self.new_meta(kind, &mut store);
        if self.emulation.meta_location {
            meta["location"] = Value::String(if self.defects.has(Defect::MetaLocationWrong) {
                format!("{}/{id}", self.base_url)
            } else {
                location.clone()
            });
        }
        let mut out = Map::new();
        out.insert("id".into(), Value::String(id.clone()));
        out.extend(r);
        out.insert("meta".into(), meta);
        store.put(&kind.rt.name, id.clone(), out.clone(), keys);
        if self.defects.has(Defect::UserGroupsWritable) && kind.rt.schema == USER {
            defect::join_groups(&mut store, body, &id);
        }
        let status = if self.defects.has(Defect::Create200) {
            200
        } else {
            201
        };
        let mut reply = Reply::resource(
            status,
            self.render(kind, &store, &out, &params.write_projection(&self.defects)),
        );
        if self.defects.has(Defect::CreateWithoutId)
            && let Some(Value::Object(body)) = &mut reply.body
        {
            body.remove("id");
        }
        if self.defects.has(Defect::EmptyCreateBody) {
            reply.body = None;
        }
        if !self.defects.has(Defect::NoLocationHeader) {
            reply.location = Some(location);
        }
        Ok(reply)
    }

    pub fn replace(
        &self,
        endpoint: &str,
        id: &str,
        body: &Value,
        params: &Params,
        pre: &Preconditions,
    ) -> Result<Reply, ScimError> {
        let kind = self.kind(endpoint)?;
        self.check_input(kind, body)?;
        let mut store = self.write();
        let mut old = self.current(kind, &store, id, pre)?.clone();
        if let Some(sent) = update_defects::put_id(&self.defects, body, id) {
            store.remove(&kind.rt.name, id);
            old.insert("id".into(), Value::String(sent.to_string()));
        }
        let partial =
            self.emulation.put == PutMode::Partial || self.defects.has(Defect::PutKeepsOmitted);
        let mut new = if partial {
            // Only the attributes sent change: the request is laid over the stored resource.
            let mut merged = old.clone();
            if let Some(obj) = body.as_object() {
                for (k, v) in obj {
                    remove_ci(&mut merged, k);
                    merged.insert(k.clone(), v.clone());
                }
            }
            resource::from_request(kind, &Value::Object(merged))?
        } else {
            let mut new = resource::from_request(kind, body)?;
            if self.emulation.put == PutMode::Default {
                put_defaults(kind, &mut new);
            }
            new
        };
        update_defects::put(&self.defects, body, &mut old, &mut new);
        self.finish_update(kind, &mut store, old, new, params)
    }

    pub fn patch(
        &self,
        endpoint: &str,
        id: &str,
        body: &Value,
        params: &Params,
        pre: &Preconditions,
    ) -> Result<Reply, ScimError> {
        let kind = self.kind(endpoint)?;
        let bent = update_defects::patch_body(&self.defects, body);
        let body = bent.as_ref().unwrap_or(body);
        self.entra_strictness(body)?;
        self.okta_strictness(body)?;
        if self.defects.has(Defect::NullValueRefused)
            && body["Operations"]
                .as_array()
                .is_some_and(|ops| ops.iter().any(|o| o.get("value") == Some(&Value::Null)))
        {
            return Err(ScimError::bad(
                ScimType::InvalidValue,
                "a value must not be null",
            ));
        }
        input::refuse_pathless(&self.emulation, body)?;
        let mut ops = patch::parse(body)?;
        input::refuse_undeclared_paths(&self.emulation, kind, &ops)?;
        input::refuse_undeclared_in_patch(&self.emulation, kind, &ops)?;
        input::refuse_value_filters(&self.emulation, &ops)?;
        for op in &ops {
            let named_emails = op
                .path
                .as_ref()
                .is_some_and(|p| p.path.attr.eq_ignore_ascii_case("emails"));
            match &op.value {
                Some(v) if op.path.is_none() => {
                    input::refuse_undeclared_schemas(&self.emulation, kind, v)?;
                    input::check_email_syntax(&self.emulation, v)?
                }
                Some(v) if named_emails => {
                    input::check_email_syntax(&self.emulation, &json!({"emails": v}))?
                }
                _ => {}
            }
        }
        if self.defects.has(Defect::PatchRemoveIgnored) {
            ops.retain(|o| o.op != patch::Op::Remove);
        }
        if self.defects.has(Defect::EmptyArrayIgnored) {
            // An empty array is taken as nothing to do.
            ops.retain(|o| !(o.op == patch::Op::Replace && o.value == Some(json!([]))));
        }
        if self.defects.has(Defect::PatchFilteredRemoveWidens) {
            // `emails[type eq "work"].display` loses its filter: every email loses display.
            let removes = ops.iter_mut().filter(|o| o.op == patch::Op::Remove);
            for path in removes.filter_map(|o| o.path.as_mut()) {
                if path.path.sub.is_some() {
                    path.filter = None;
                }
            }
        }
        if self.defects.has(Defect::PatchFilteredReplaceMerges) {
            // `replace emails[type eq "home"]` with an object sets its members one by one,
            // keeping the matching values' other sub-attributes.
            ops = ops.into_iter().flat_map(merged_replace).collect();
        }
        if self.defects.has(Defect::PatchFilteredReplaceWidens) {
            // `replace emails[type eq "home"]` loses its filter: every email is replaced.
            let replaces = ops.iter_mut().filter(|o| o.op == patch::Op::Replace);
            for op in replaces.filter(|o| o.path.as_ref().is_some_and(|p| p.path.sub.is_none())) {
                if op.path.as_mut().and_then(|p| p.filter.take()).is_some() {
                    op.value = op.value.take().map(|v| Value::Array(vec![v]));
                }
            }
        }
        let parsed = ops.clone();
        let ops = whole_replace::rewrite(&self.emulation, kind, ops);
        let mut ops = update_defects::rewrite(&self.defects, kind, ops)?;
        let ignore = self.emulation.patch_undeclared == PatchUndeclared::Ignored;
        let mut store = self.write();
        let old = self.current(kind, &store, id, pre)?.clone();
        ops = update_defects::against(&self.defects, kind, &old, ops, ignore)?;
        if self.defects.has(Defect::PatchNotAtomic) {
            // Each operation is committed on its own, so a failure leaves the earlier ones.
            let mut cur = old;
            for op in &ops {
                let new = patch::apply_with(kind, &cur, std::slice::from_ref(op), ignore)?;
                self.finish_update(kind, &mut store, cur, new, params)?;
                cur = store
                    .get(&kind.rt.name, id)
                    .cloned()
                    .expect("the resource was just stored");
            }
            return Ok(Reply::resource(
                200,
                self.render(kind, &store, &cur, &params.write_projection(&self.defects)),
            ));
        }
        let mut new = patch::apply_with(kind, &old, &ops, ignore)?;
        update_defects::outcome(&self.defects, kind, &old, &parsed, &mut new);
        if self.defects.has(Defect::PrimaryNotReset) {
            defect::keep_primaries(&old, &mut new);
        }
        let mut reply = self.finish_update(kind, &mut store, old, new, params)?;
        if self.defects.has(Defect::PatchTouchesUnchanged)
            && let Some(meta) = store
                .get_mut(&kind.rt.name, id)
                .and_then(|r| r.get_mut("meta"))
        {
            // An add that changes nothing SHALL NOT change lastModified (lines 2003-2005).
            meta["lastModified"] = Value::String(value::now());
        }
        if self.defects.has(Defect::PatchAnswersNoBody) {
            // 200 carries the resource; without one the answer is 204 (lines 1939-1944).
            reply.body = None;
        }
        Ok(reply)
    }

    /// Common tail of PUT and PATCH: immutability, uniqueness, members, meta, store.
    fn finish_update(
        &self,
        kind: Kind,
        store: &mut Store,
        old: Map<String, Value>,
        mut new: Map<String, Value>,
        params: &Params,
    ) -> Result<Reply, ScimError> {
        let id = old["id"]
            .as_str()
            .expect("stored resources have an id")
            .to_string();
        new.insert("id".into(), Value::String(id.clone()));
        new.insert("meta".into(), old["meta"].clone());
        resource::check_immutable(kind, &old, &new)?;
        input::keep_emails(&self.emulation, kind, &mut new);
        self.alter_case(&mut new);
        self.check_email_identity(kind, &new)?;
        let keys = self.unique_keys(kind, &new);
        self.check_unique(kind, store, &keys, Some(&id))?;
        self.link_members(kind, store, &mut new)?;
        if new != old {
            let meta = new["meta"].as_object_mut().expect("meta is an object");
            if !self.defects.has(Defect::LastModifiedFrozen) {
                meta.insert("lastModified".into(), Value::String(value::now()));
            }
            if self.emulation.etag && !self.defects.has(Defect::EtagUnchanged) {
                meta.insert("version".into(), Value::String(store.next_version()));
            }
        }
        let id = self.bend_update(kind, store, id, &mut new);
        store.put(&kind.rt.name, id, new.clone(), keys);
        Ok(Reply::resource(
            200,
            self.render(kind, store, &new, &params.write_projection(&self.defects)),
        ))
    }

    pub fn delete(
        &self,
        endpoint: &str,
        id: &str,
        pre: &Preconditions,
    ) -> Result<Reply, ScimError> {
        let kind = self.kind(endpoint)?;
        let mut store = self.write();
        self.current(kind, &store, id, pre)?;
        if !self.defects.has(Defect::DeleteKeepsResource) {
            if self.defects.has(Defect::DeletedStillListed) {
                store.remove_softly(&kind.rt.name, id);
            } else {
                store.remove(&kind.rt.name, id);
            }
            // A deleted user or group leaves the groups it was a member of (RFC 7644 §3.6).
            let group_ids: Vec<String> = store
                .all("Group")
                .filter_map(|g| g["id"].as_str().map(str::to_string))
                .collect();
            for gid in group_ids {
                if let Some(Value::Array(members)) = store
                    .get_mut("Group", &gid)
                    .and_then(|g| g.get_mut("members"))
                {
                    members.retain(|m| m.get("value").and_then(Value::as_str) != Some(id));
                }
            }
        }
        Ok(Reply::empty(if self.defects.has(Defect::Delete200) {
            200
        } else {
            204
        }))
    }

    /// The unique keys a resource holds: `attr\0value`, with the value folded to lower
    /// case where the attribute is not caseExact, so that equal keys mean a clash; the
    /// externalId too where the profile keeps it unique.
    fn unique_keys(&self, kind: Kind, r: &Map<String, Value>) -> Vec<String> {
        let mut keys: Vec<String> = kind
            .base()
            .attributes
            .iter()
            .filter(|a| a.uniqueness != crate::scim::schema::Uniqueness::None)
            .filter_map(|def| {
                let v = r.get(&def.name)?;
                let exact = def.case_exact
                    || (def.name == "userName"
                        && self.defects.has(Defect::UserNameUniqueCaseSensitive));
                let text = match v {
                    Value::String(s) if !exact => s.to_lowercase(),
                    v => v.to_string(),
                };
                Some(format!("{}\0{text}", def.name))
            })
            .collect();
        if self.emulation.unique_external_id
            && let Some(e) = r.get("externalId").and_then(Value::as_str)
        {
            keys.push(format!("externalId\0{e}"));
        }
        keys
    }

    /// What a stricter server refuses of a resource body before reading it (`input`).
    fn check_input(&self, kind: Kind, body: &Value) -> Result<(), ScimError> {
        input::refuse_undeclared(&self.emulation, kind, body)?;
        input::refuse_undeclared_schemas(&self.emulation, kind, body)?;
        input::check_email_syntax(&self.emulation, body)
    }

    /// `upper_case_user_names`: a userName is kept in upper case.
    fn alter_case(&self, r: &mut Map<String, Value>) {
        if self.emulation.upper_case_user_names
            && let Some(Value::String(name)) = r.get_mut("userName")
        {
            *name = name.to_uppercase();
        }
        if self.defects.has(Defect::ExternalIdLowerCased)
            && let Some(Value::String(e)) = r.get_mut("externalId")
        {
            *e = e.to_lowercase();
        }
    }

    /// Where the profile asks it, a User needs an email address: in `emails`, or as its
    /// userName (a service provider may require more than the schema, RFC 7644 §3.3).
    fn check_email_identity(&self, kind: Kind, r: &Map<String, Value>) -> Result<(), ScimError> {
        if !self.emulation.email_identity || kind.rt.name != "User" {
            return Ok(());
        }
        let email_user_name = r
            .get("userName")
            .and_then(Value::as_str)
            .is_some_and(|u| u.contains('@'));
        let emails = r
            .get("emails")
            .and_then(Value::as_array)
            .is_some_and(|e| !e.is_empty());
        if email_user_name || emails {
            Ok(())
        } else {
            Err(ScimError::bad(
                ScimType::InvalidValue,
                "emails is required when userName is not an email address",
            ))
        }
    }

    fn check_unique(
        &self,
        kind: Kind,
        store: &Store,
        keys: &[String],
        own_id: Option<&str>,
    ) -> Result<(), ScimError> {
        if self.defects.has(Defect::DuplicateUserName) {
            return Ok(());
        }
        for key in keys {
            if store
                .owner(&kind.rt.name, key)
                .is_some_and(|owner| Some(owner) != own_id)
            {
                let (attr, value) = key.split_once('\0').unwrap_or((key, ""));
                let detail = format!("{attr} {value} is already taken");
                if self.defects.has(Defect::UniquenessAs400) {
                    return Err(ScimError::new(400, Some(ScimType::Uniqueness), detail));
                }
                return Err(ScimError::bad(ScimType::Uniqueness, detail));
            }
        }
        Ok(())
    }

    /// Checks that every group member exists, and fills in its `type`, `$ref` and `display`.
    fn link_members(
        &self,
        kind: Kind,
        store: &Store,
        r: &mut Map<String, Value>,
    ) -> Result<(), ScimError> {
        if kind.rt.schema != GROUP {
            return Ok(());
        }
        let members_def = kind.base().attribute("members");
        let Some(Value::Array(members)) = r.get_mut("members") else {
            return Ok(());
        };
        for m in members.iter_mut() {
            let Some(obj) = m.as_object_mut() else {
                return Err(ScimError::bad(
                    ScimType::InvalidValue,
                    "each member must be an object",
                ));
            };
            let Some(id) = obj.get("value").and_then(Value::as_str).map(str::to_string) else {
                return Err(ScimError::bad(
                    ScimType::InvalidValue,
                    "each member needs a value (the member's id)",
                ));
            };
            let Some((rt, found)) = ["User", "Group"]
                .iter()
                .find_map(|rt| store.get(rt, &id).map(|f| (*rt, f)))
            else {
                if self.emulation.unknown_members == crate::profile::UnknownMembers::Kept {
                    continue;
                }
                return Err(ScimError::bad(
                    ScimType::InvalidValue,
                    format!("member {id} does not exist"),
                ));
            };
            let display = get_ci_map(found, "displayName")
                .or_else(|| get_ci_map(found, "userName"))
                .cloned();
            let endpoint = if rt == "User" { "Users" } else { "Groups" };
            obj.insert("type".into(), Value::String(rt.into()));
            obj.insert(
                "$ref".into(),
                Value::String(format!("{}/{endpoint}/{id}", self.base_url)),
            );
            match display {
                Some(d) => obj.insert("display".into(), d),
                None => obj.remove("display"),
            };
            // What the schema does not declare is not filled in (a server may keep a subset).
            if let Some(def) = members_def {
                obj.retain(|k, _| def.sub(k).is_some());
            }
        }
        Ok(())
    }

    /// The representation of a stored resource: computed attributes added, projection applied.
    fn render(
        &self,
        kind: Kind,
        store: &Store,
        r: &Map<String, Value>,
        projection: &Projection,
    ) -> Map<String, Value> {
        let mut full = r.clone();
        if kind.rt.schema == USER && !self.defects.has(Defect::UserGroupsMissing) {
            let id = r.get("id").and_then(Value::as_str);
            let groups: Vec<Value> = store
                .all("Group")
                .filter(|g| {
                    g.get("members")
                        .and_then(Value::as_array)
                        .is_some_and(|ms| ms.iter().any(|m| m.get("value").and_then(Value::as_str) == id))
                })
                .map(|g| {
                    json!({"value": g["id"], "display": g.get("displayName"), "type": "direct",
                        "$ref": format!("{}/Groups/{}", self.base_url, g["id"].as_str().unwrap_or_default())})
                })
                .collect();
            if !groups.is_empty() {
                full.insert("groups".into(), Value::Array(groups));
            }
        }
        let mut out = project(kind, &full, projection);
        if self.defects.has(Defect::PasswordReturned)
            && let Some(p) = r.get("password")
        {
            out.insert("password".into(), p.clone());
        }
        if self.defects.has(Defect::ActiveAsString)
            && let Some(Value::Bool(b)) = out.get("active")
        {
            let text = if *b { "True" } else { "False" };
            out.insert("active".into(), Value::String(text.into()));
        }
        self.bend_render(kind, r, projection, &mut out);
        out
    }

    /// The defects that act on a rendered resource.
    fn bend_render(
        &self,
        kind: Kind,
        stored: &Map<String, Value>,
        projection: &Projection,
        out: &mut Map<String, Value>,
    ) {
        let named = |attr: &str| {
            projection
                .attributes
                .iter()
                .any(|a| a.eq_ignore_ascii_case(attr))
        };
        if self.defects.has(Defect::AttributesDropId)
            && !projection.attributes.is_empty()
            && !named("id")
        {
            out.remove("id");
        }
        if self.defects.has(Defect::PasswordReturnedOnRequest)
            && named("password")
            && let Some(p) = stored.get("password")
        {
            out.insert("password".into(), p.clone());
        }
        if self.defects.has(Defect::SchemasOmitExtension) {
            out.insert("schemas".into(), json!([kind.rt.schema]));
        }
        if self.defects.has(Defect::ExtensionFlattened) {
            for e in &kind.rt.schema_extensions {
                if let Some(Value::Object(ext)) = out.remove(&e.schema) {
                    out.extend(ext);
                }
            }
        }
        if let Some(Value::Object(meta)) = out.get_mut("meta") {
            if self.defects.has(Defect::LastModifiedEpoch)
                && let Some(t) = meta
                    .get("lastModified")
                    .and_then(Value::as_str)
                    .and_then(value::parse_datetime)
            {
                let millis = t.unix_timestamp_nanos() / 1_000_000;
                meta.insert("lastModified".into(), json!(millis as i64));
            }
            if self.defects.has(Defect::CreatedWithoutTime)
                && let Some(Value::String(created)) = meta.get_mut("created")
            {
                created.truncate(10);
            }
        }
        if self.defects.has(Defect::MemberValueMissing)
            && let Some(Value::Array(members)) = out.get_mut("members")
        {
            for m in members.iter_mut().filter_map(Value::as_object_mut) {
                m.remove("value");
            }
        }
    }

    /// Rejects a filter on a discovery endpoint where the profile says so (RFC 7644 §4: 403).
    pub fn discovery_filter(&self, params: &Params) -> Result<(), ScimError> {
        match (&params.filter, self.emulation.discovery_filter) {
            (Some(_), DiscoveryFilter::Forbidden) => Err(ScimError::new(
                403,
                None,
                "discovery endpoints do not support filtering",
            )),
            _ => Ok(()),
        }
    }
}

/// The `patch-filtered-replace-merges` defect: a filtered replace of whole values becomes one
/// replace per member of the new value, so the values' other sub-attributes stay.
fn merged_replace(op: patch::Operation) -> Vec<patch::Operation> {
    match op {
        patch::Operation {
            op: patch::Op::Replace,
            path: Some(path),
            value: Some(Value::Object(members)),
        } if path.filter.is_some() && path.path.sub.is_none() => members
            .into_iter()
            .map(|(k, v)| {
                let mut sub = path.clone();
                sub.path.sub = Some(k);
                patch::Operation {
                    op: patch::Op::Replace,
                    path: Some(sub),
                    value: Some(v),
                }
            })
            .collect(),
        op => vec![op],
    }
}

fn not_found(rt: &ResourceType, id: &str) -> ScimError {
    ScimError::not_found(format!("{} {id} not found", rt.name))
}

impl App {
    /// The defects that act on an updated resource before it is stored: a new id, a wrong
    /// meta.location. Answers the id to store it under.
    fn bend_update(
        &self,
        kind: Kind,
        store: &mut Store,
        id: String,
        new: &mut Map<String, Value>,
    ) -> String {
        if self.defects.has(Defect::MetaLocationSingular)
            && let Some(meta) = new.get_mut("meta").and_then(Value::as_object_mut)
            && meta.contains_key("location")
        {
            let location = format!("{}/{}/{id}", self.base_url, kind.rt.name);
            meta.insert("location".into(), Value::String(location));
        }
        if !self.defects.has(Defect::IdChangesOnUpdate) {
            return id;
        }
        store.remove(&kind.rt.name, &id);
        let fresh = uuid::Uuid::new_v4().to_string();
        new.insert("id".into(), Value::String(fresh.clone()));
        fresh
    }

    /// meta of a new resource: its type, the time, a version where the profile has ETags.
    fn new_meta(&self, kind: Kind, store: &mut Store) -> Value {
        let now = value::now();
        let created = if self.defects.has(Defect::DateTimeWithSpace) {
            now.replacen('T', " ", 1)
        } else {
            now
        };
        let last_modified = if self.defects.has(Defect::LastModifiedLater) {
            defect::a_millisecond_later(&created)
        } else {
            created.clone()
        };
        let resource_type = if self.defects.has(Defect::ResourceTypeIsEndpoint) {
            kind.rt.endpoint.trim_start_matches('/')
        } else {
            kind.rt.name.as_str()
        };
        let mut meta = json!({"resourceType": resource_type, "created": created,
            "lastModified": last_modified});
        if self.emulation.etag {
            meta["version"] = Value::String(store.next_version());
        }
        meta
    }

    /// The defects that act on a create's body before it is read: names matched with their
    /// case, a client's manager.displayName kept.
    fn bend_create_body(&self, kind: Kind, body: &Value) -> Value {
        let mut body = body.clone();
        if self.defects.has(Defect::AttributeNamesCaseSensitive)
            && let Some(obj) = body.as_object_mut()
        {
            obj.retain(|k, _| defect::exactly_named(kind, k));
        }
        body
    }

    /// The stored form of a create's body, with the defects that let a required attribute
    /// be empty or missing: a stand-in passes the check, then is taken back.
    fn read_create_body(&self, kind: Kind, body: &Value) -> Result<Map<String, Value>, ScimError> {
        let lax = match kind.rt.schema.as_str() {
            USER if self.defects.has(Defect::UserNameOptional) => Some("userName"),
            GROUP if self.defects.has(Defect::GroupDisplayNameOptional) => Some("displayName"),
            _ => None,
        };
        let sent = lax.and_then(|a| value::get_ci(body, a)).cloned();
        let mut r = match lax {
            Some(attr) => {
                let mut b = body.clone();
                if let Some(obj) = b.as_object_mut() {
                    remove_ci(obj, attr);
                    obj.insert(attr.into(), Value::String("stand-in".into()));
                }
                let mut r = resource::from_request(kind, &b)?;
                r.remove(attr);
                if let Some(v @ Value::String(_)) = sent {
                    r.insert(attr.into(), v);
                }
                r
            }
            None => resource::from_request(kind, body)?,
        };
        if self.defects.has(Defect::ManagerDisplayNameTaken)
            && let Some(name) = body.pointer(&format!("/{ENTERPRISE_USER}/manager/displayName"))
            && let Some(Value::Object(manager)) = r
                .get_mut(ENTERPRISE_USER)
                .and_then(|e| e.get_mut("manager"))
        {
            manager.insert("displayName".into(), name.clone());
        }
        Ok(r)
    }

    /// The defects that refuse what Entra sends: a capitalised `op`, a boolean as a string.
    fn entra_strictness(&self, body: &Value) -> Result<(), ScimError> {
        let ops = body["Operations"].as_array().map_or(&[][..], Vec::as_slice);
        for op in ops {
            if self.defects.has(Defect::PatchOpCaseSensitive)
                && let Some(name) = op["op"].as_str()
                && name != name.to_ascii_lowercase()
            {
                return Err(ScimError::bad(
                    ScimType::InvalidSyntax,
                    format!("unknown op `{name}`"),
                ));
            }
            if self.defects.has(Defect::StringBooleansRejected)
                && let Some(s) = op["value"].as_str()
                && (s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false"))
            {
                return Err(ScimError::bad(
                    ScimType::InvalidValue,
                    format!("`{s}` is a string, not a boolean"),
                ));
            }
        }
        Ok(())
    }

    /// The defects that refuse what Okta sends: a no-path replace, `id` in a value.
    fn okta_strictness(&self, body: &Value) -> Result<(), ScimError> {
        let ops = body["Operations"].as_array().map_or(&[][..], Vec::as_slice);
        for op in ops {
            if self.defects.has(Defect::PathlessReplaceRefused)
                && op.get("path").is_none()
                && op["op"]
                    .as_str()
                    .is_some_and(|o| o.eq_ignore_ascii_case("replace"))
            {
                return Err(ScimError::bad(
                    ScimType::NoTarget,
                    "an operation needs a path",
                ));
            }
            if self.defects.has(Defect::ReadonlyIdInValueRefused)
                && op["value"]
                    .as_object()
                    .is_some_and(|v| v.keys().any(|k| k.eq_ignore_ascii_case("id")))
            {
                return Err(ScimError::bad(ScimType::Mutability, "`id` is readOnly"));
            }
        }
        Ok(())
    }
}

/// `put: default`: a User's names a PUT omits get defaults made of its userName.
fn put_defaults(kind: Kind, r: &mut Map<String, Value>) {
    if kind.rt.schema != USER {
        return;
    }
    let Some(user_name) = r.get("userName").cloned() else {
        return;
    };
    r.entry("displayName").or_insert(user_name.clone());
    r.entry("name")
        .or_insert_with(|| json!({ "formatted": user_name }));
}
