//! The discovery endpoints (RFC 7644 §4), generated from the schema registry and the profile
//! so that what the server advertises is what it does.

use serde_json::{Value, json};

use super::app::{App, LIST_RESPONSE, Params, Reply};
use super::defect::Defect;
use crate::profile::EndpointForm;
use crate::scim::error::ScimError;
use crate::scim::schema::ResourceType;

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
        Ok(Self::discovery_list(docs))
    }

    /// A ResourceType document, its `endpoint` written as the profile says.
    fn resource_type_document(&self, rt: &ResourceType) -> Value {
        let mut doc = self.registry.resource_type_document(rt, &self.base_url);
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
        let docs = self
            .registry
            .schemas
            .iter()
            .map(|s| self.registry.schema_document(s, &self.base_url))
            .collect();
        Ok(Self::discovery_list(docs))
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
}
