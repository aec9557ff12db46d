//! The reference server's behaviour, without HTTP: each operation takes parsed input and
//! answers a [`Reply`] or a [`ScimError`]. The axum layer in `http.rs` only translates.

use std::sync::RwLock;

use serde_json::{Map, Value, json};

use super::defect::{Defect, Defects};
use super::store::Store;
use crate::scim::error::{ScimError, ScimType};
use crate::scim::list::{self, Query, SortOrder};
use crate::scim::projection::{Projection, project};
use crate::scim::resource::{self, Kind, same_unique};
use crate::scim::schema::{GROUP, Registry, ResourceType, USER};
use crate::scim::value::{self, get_ci_map};
use crate::scim::{filter, patch};

pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// What an operation answers; the HTTP layer adds the media type.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub location: Option<String>,
    pub etag: Option<String>,
}

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Reply {
            status,
            body: Some(body),
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
    pub attributes: Option<String>,
    pub excluded_attributes: Option<String>,
}

impl Params {
    fn projection(&self) -> Projection {
        Projection::from_params(
            self.attributes.as_deref(),
            self.excluded_attributes.as_deref(),
        )
    }

    fn query(&self) -> Result<Query, ScimError> {
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
                filter::parse(f).map_err(|e| ScimError::bad(ScimType::InvalidFilter, e.to_string()))
            })
            .transpose()?;
        let sort_order = match self
            .sort_order
            .as_deref()
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
            sort_by: self.sort_by.clone(),
            sort_order,
            start_index: int("startIndex", &self.start_index)?.unwrap_or(1),
            count: int("count", &self.count)?,
        })
    }
}

pub struct App {
    pub registry: Registry,
    pub defects: Defects,
    /// The absolute base URL (`http://127.0.0.1:PORT/scim/v2`), for `meta.location`.
    pub base_url: String,
    pub max_results: usize,
    store: RwLock<Store>,
}

impl App {
    pub fn new(registry: Registry, defects: Defects, base_url: String) -> Self {
        App {
            registry,
            defects,
            base_url,
            max_results: 200,
            store: RwLock::new(Store::default()),
        }
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

    pub fn service_provider_config(&self) -> Reply {
        Reply::json(
            200,
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
                "documentationUri": "https://github.com/scimitar/scimitar",
                "patch": {"supported": true},
                "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
                "filter": {"supported": true, "maxResults": self.max_results},
                "changePassword": {"supported": false},
                "sort": {"supported": true},
                "etag": {"supported": true},
                "authenticationSchemes": [{
                    "type": "oauthbearertoken",
                    "name": "OAuth Bearer Token",
                    "description": "Authentication with a bearer token in the Authorization header",
                    "primary": true
                }],
                "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{}/ServiceProviderConfig", self.base_url)}
            }),
        )
    }

    fn discovery_list(&self, docs: Vec<Value>) -> Reply {
        Reply::json(
            200,
            json!({"schemas": [LIST_RESPONSE], "totalResults": docs.len(), "itemsPerPage": docs.len(), "startIndex": 1, "Resources": docs}),
        )
    }

    pub fn resource_types(&self) -> Reply {
        let docs = self
            .registry
            .resource_types
            .iter()
            .map(|rt| self.registry.resource_type_document(rt, &self.base_url))
            .collect();
        self.discovery_list(docs)
    }

    pub fn resource_type(&self, name: &str) -> Result<Reply, ScimError> {
        let rt = self
            .registry
            .resource_type(name)
            .ok_or_else(|| ScimError::not_found(format!("no resource type `{name}`")))?;
        Ok(Reply::json(
            200,
            self.registry.resource_type_document(rt, &self.base_url),
        ))
    }

    pub fn schemas(&self) -> Reply {
        let docs = self
            .registry
            .schemas
            .iter()
            .map(|s| self.registry.schema_document(s, &self.base_url))
            .collect();
        self.discovery_list(docs)
    }

    pub fn schema(&self, urn: &str) -> Result<Reply, ScimError> {
        let s = self
            .registry
            .schema(urn)
            .ok_or_else(|| ScimError::not_found(format!("no schema `{urn}`")))?;
        Ok(Reply::json(
            200,
            self.registry.schema_document(s, &self.base_url),
        ))
    }

    pub fn list(&self, endpoint: &str, params: &Params) -> Result<Reply, ScimError> {
        let kind = self.kind(endpoint)?;
        let mut query = params.query()?;
        if self.defects.has(Defect::ListIgnoresFilter) {
            query.filter = None;
        }
        let store = self.read();
        let page = list::run(kind, store.all(&kind.rt.name), &query, self.max_results)?;
        let projection = params.projection();
        let resources: Vec<Value> = page
            .resources
            .iter()
            .map(|r| Value::Object(self.render(kind, &store, r, &projection)))
            .collect();
        let mut body = json!({
            "schemas": [LIST_RESPONSE],
            "totalResults": page.total,
            "itemsPerPage": resources.len(),
            "startIndex": page.start_index,
        });
        if !resources.is_empty() {
            body["Resources"] = Value::Array(resources);
        }
        Ok(Reply::json(200, body))
    }

    pub fn get(&self, endpoint: &str, id: &str, params: &Params) -> Result<Reply, ScimError> {
        let kind = self.kind(endpoint)?;
        let store = self.read();
        let r = store
            .get(&kind.rt.name, id)
            .ok_or_else(|| not_found(kind.rt, id))?;
        Ok(Reply::resource(
            200,
            self.render(kind, &store, r, &params.projection()),
        ))
    }

    pub fn create(
        &self,
        endpoint: &str,
        body: &Value,
        params: &Params,
    ) -> Result<Reply, ScimError> {
        let kind = self.kind(endpoint)?;
        let mut r = resource::from_request(kind, body)?;
        let mut store = self.write();
        self.check_unique(kind, &store, &r, None)?;
        self.link_members(kind, &store, &mut r)?;
        let id = uuid::Uuid::new_v4().to_string();
        let now = value::now();
        let location = format!(
            "{}/{}/{id}",
            self.base_url,
            kind.rt.endpoint.trim_start_matches('/')
        );
        let mut out = Map::new();
        out.insert("id".into(), Value::String(id.clone()));
        out.extend(r);
        out.insert(
            "meta".into(),
            json!({"resourceType": kind.rt.name, "created": now, "lastModified": now, "location": location, "version": store.next_version()}),
        );
        store.put(&kind.rt.name, id, out.clone());
        let mut reply = Reply::resource(
            if self.defects.has(Defect::Create200) {
                200
            } else {
                201
            },
            self.render(kind, &store, &out, &params.projection()),
        );
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
    ) -> Result<Reply, ScimError> {
        let kind = self.kind(endpoint)?;
        let mut store = self.write();
        let old = store
            .get(&kind.rt.name, id)
            .ok_or_else(|| not_found(kind.rt, id))?
            .clone();
        let new = resource::from_request(kind, body)?;
        self.finish_update(kind, &mut store, old, new, params)
    }

    pub fn patch(
        &self,
        endpoint: &str,
        id: &str,
        body: &Value,
        params: &Params,
    ) -> Result<Reply, ScimError> {
        let kind = self.kind(endpoint)?;
        let mut ops = patch::parse(body)?;
        if self.defects.has(Defect::PatchRemoveIgnored) {
            ops.retain(|o| o.op != patch::Op::Remove);
        }
        let mut store = self.write();
        let old = store
            .get(&kind.rt.name, id)
            .ok_or_else(|| not_found(kind.rt, id))?
            .clone();
        let new = patch::apply(kind, &old, &ops)?;
        self.finish_update(kind, &mut store, old, new, params)
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
        self.check_unique(kind, store, &new, Some(&id))?;
        self.link_members(kind, store, &mut new)?;
        if new != old {
            let meta = new["meta"].as_object_mut().expect("meta is an object");
            meta.insert("lastModified".into(), Value::String(value::now()));
            meta.insert("version".into(), Value::String(store.next_version()));
        }
        store.put(&kind.rt.name, id, new.clone());
        Ok(Reply::resource(
            200,
            self.render(kind, store, &new, &params.projection()),
        ))
    }

    pub fn delete(&self, endpoint: &str, id: &str) -> Result<Reply, ScimError> {
        let kind = self.kind(endpoint)?;
        let mut store = self.write();
        if self.defects.has(Defect::DeleteKeepsResource) {
            store
                .get(&kind.rt.name, id)
                .ok_or_else(|| not_found(kind.rt, id))?;
        } else {
            store
                .remove(&kind.rt.name, id)
                .ok_or_else(|| not_found(kind.rt, id))?;
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
        let status = if self.defects.has(Defect::Delete200) {
            200
        } else {
            204
        };
        Ok(Reply {
            status,
            body: None,
            location: None,
            etag: None,
        })
    }

    fn check_unique(
        &self,
        kind: Kind,
        store: &Store,
        r: &Map<String, Value>,
        own_id: Option<&str>,
    ) -> Result<(), ScimError> {
        if self.defects.has(Defect::DuplicateUserName) {
            return Ok(());
        }
        let base = kind.base();
        for def in base
            .attributes
            .iter()
            .filter(|a| a.uniqueness != crate::scim::schema::Uniqueness::None)
        {
            let Some(mine) = r.get(&def.name) else {
                continue;
            };
            let clash = store
                .all(&kind.rt.name)
                .filter(|o| o.get("id").and_then(Value::as_str) != own_id)
                .any(|o| {
                    o.get(&def.name)
                        .is_some_and(|theirs| same_unique(def, mine, theirs))
                });
            if clash {
                return Err(ScimError::bad(
                    ScimType::Uniqueness,
                    format!("{} {mine} is already taken", def.name),
                ));
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
            let (rt, found) = ["User", "Group"]
                .iter()
                .find_map(|rt| store.get(rt, &id).map(|f| (*rt, f)))
                .ok_or_else(|| {
                    ScimError::bad(
                        ScimType::InvalidValue,
                        format!("member {id} does not exist"),
                    )
                })?;
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
        if kind.rt.schema == USER {
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
        out
    }
}

fn not_found(rt: &ResourceType, id: &str) -> ScimError {
    ScimError::not_found(format!("{} {id} not found", rt.name))
}
