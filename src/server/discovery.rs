//! The discovery endpoints (RFC 7644 §4), generated from the schema registry and the profile
//! so that what the server advertises is what it does.

use serde_json::{Value, json};

use super::app::{App, LIST_RESPONSE, Params, Reply};
use super::defect::Defect;
use crate::profile::EndpointForm;
use crate::scim::error::ScimError;
use crate::scim::schema::{ResourceType, Schema};

impl App {
    pub fn service_provider_config(&self, params: &Params) -> Result<Reply, ScimError> {
        self.discovery_filter(params)?;
        let e = &self.emulation;
        let understated = self.defects.has(Defect::UnderstatedFeatures);
        let mut spc = json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
                "documentationUri": "https://github.com/scimitar/scimitar",
                "patch": {"supported": true},
                "bulk": {"supported": e.bulk.supported && !understated, "maxOperations": e.bulk.max_operations,
                    "maxPayloadSize": e.bulk.max_payload_size},
                "filter": {"supported": true, "maxResults": e.max_results},
                "changePassword": {"supported": true},
                "sort": {"supported": e.sort && !understated},
                "etag": {"supported": e.etag && !understated},
                "authenticationSchemes": [{
                    "type": "oauthbearertoken",
                    "name": "OAuth Bearer Token",
                    "description": "Authentication with a bearer token in the Authorization header",
                    "primary": true
                }],
                "meta": {"resourceType": "ServiceProviderConfig",
                    "location": format!("{}/ServiceProviderConfig", self.base_url)}
        });
        if self.defects.has(Defect::ServiceProviderConfigWithoutEtag)
            && let Some(o) = spc.as_object_mut()
        {
            o.remove("etag");
        }
        // RFC 9865 §4: a server with cursor paging SHOULD publish how it pages.
        if let Some(c) = e.pagination.cursor {
            spc["pagination"] = json!({
                "cursor": true,
                "index": true,
                "defaultPaginationMethod": e.pagination.default.as_str(),
                "defaultPageSize": e.max_results,
                "maxPageSize": e.max_results,
                "cursorTimeout": c.timeout,
            });
        }
        // draft-zollner-scim-interop-profile-01 §4: a server claiming the profile "MUST
        // include an interopProfileConformant attribute with a value of true".
        if e.interop_profile_conformant {
            spc["interopProfileConformant"] = json!(true);
        }
        if self.defects.has(Defect::ServiceProviderConfigAsList) {
            return Ok(Self::discovery_list(vec![spc]));
        }
        Ok(Reply::json(200, spc))
    }

    fn discovery_list(docs: Vec<Value>) -> Reply {
        Reply::json(
            200,
            json!({"schemas": [LIST_RESPONSE], "totalResults": docs.len(),
                "itemsPerPage": docs.len(), "startIndex": 1, "Resources": docs}),
        )
    }

    pub fn resource_types(&self, params: &Params) -> Result<Reply, ScimError> {
        self.discovery_filter(params)?;
        let docs = self
            .registry
            .resource_types
            .iter()
            .map(|rt| self.resource_type_document(rt))
            .collect();
        if self.defects.has(Defect::ResourceTypesAsArray) {
            return Ok(Reply::json(200, Value::Array(docs)));
        }
        Ok(Self::discovery_list(docs))
    }

    /// A ResourceType document, its `endpoint` written as the profile says.
    fn resource_type_document(&self, rt: &ResourceType) -> Value {
        let mut doc = self.registry.resource_type_document(rt, &self.base_url);
        if self.defects.has(Defect::SchemaExtensionsWithoutRequired)
            && let Some(Value::Array(exts)) = doc.get_mut("schemaExtensions")
        {
            exts.iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(|e| {
                    e.remove("required");
                });
        }
        let base = self.base_url.trim_end_matches('/');
        let prefix = match self.emulation.resource_type_endpoints {
            EndpointForm::Relative => return doc,
            EndpointForm::BasePath => reqwest::Url::parse(base)
                .map(|u| u.path().trim_end_matches('/').to_string())
                .unwrap_or_default(),
            EndpointForm::Absolute => base.to_string(),
        };
        doc["endpoint"] = json!(format!("{prefix}{}", rt.endpoint));
        doc
    }

    pub fn resource_type(&self, name: &str) -> Result<Reply, ScimError> {
        let rt = self
            .registry
            .resource_type(name)
            .ok_or_else(|| ScimError::not_found(format!("no resource type `{name}`")))?;
        Ok(Reply::json(200, self.resource_type_document(rt)))
    }

    pub fn schemas(&self, params: &Params) -> Result<Reply, ScimError> {
        self.discovery_filter(params)?;
        let mut docs: Vec<Value> = self
            .registry
            .schemas
            .iter()
            .map(|s| self.schema_document(s))
            .collect();
        if self.defects.has(Defect::SchemasListOffByOne) && !docs.is_empty() {
            docs.remove(0);
        }
        Ok(Self::discovery_list(docs))
    }

    pub fn schema(&self, urn: &str) -> Result<Reply, ScimError> {
        let s = self
            .registry
            .schema(urn)
            .ok_or_else(|| ScimError::not_found(format!("no schema `{urn}`")))?;
        Ok(Reply::json(200, self.schema_document(s)))
    }

    /// A Schema document, with `schema-attributes-without-multi-valued` applied.
    fn schema_document(&self, s: &Schema) -> Value {
        let mut doc = self.registry.schema_document(s, &self.base_url);
        if self.defects.has(Defect::SchemaAttributesWithoutMultiValued) {
            drop_false_multi_valued(&mut doc["attributes"]);
        }
        doc
    }
}

/// `schema-attributes-without-multi-valued`: removes `multiValued: false` from attribute
/// definitions and their sub-attributes.
fn drop_false_multi_valued(attributes: &mut Value) {
    for a in attributes
        .as_array_mut()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
    {
        if a.get("multiValued") == Some(&Value::Bool(false)) {
            a.remove("multiValued");
        }
        if let Some(subs) = a.get_mut("subAttributes") {
            drop_false_multi_valued(subs);
        }
    }
}
