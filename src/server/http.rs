//! The axum layer: routes, bearer authentication, JSON parsing and SCIM media types. Every
//! decision about SCIM itself is made in `app.rs`.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use serde_json::Value;

use super::app::{App, Params, Reply};
use super::defect::Defect;
use crate::scim::error::{ScimError, ScimType};

pub const SCIM_JSON: &str = "application/scim+json";

pub struct Shared {
    pub app: App,
    pub token: String,
}

type St = State<Arc<Shared>>;

pub fn router(shared: Arc<Shared>, base_path: &str) -> Router {
    let api = Router::new()
        .route("/ServiceProviderConfig", get(|State(s): St| async move { answer(&s, Ok(s.app.service_provider_config())) }))
        .route("/ResourceTypes", get(|State(s): St| async move { answer(&s, Ok(s.app.resource_types())) }))
        .route("/ResourceTypes/{name}", get(|State(s): St, Path(n): Path<String>| async move { answer(&s, s.app.resource_type(&n)) }))
        .route("/Schemas", get(|State(s): St| async move { answer(&s, Ok(s.app.schemas())) }))
        .route("/Schemas/{urn}", get(|State(s): St, Path(u): Path<String>| async move { answer(&s, s.app.schema(&u)) }))
        .route(
            "/{endpoint}",
            get(|State(s): St, Path(ep): Path<String>, Query(p): Query<Params>| async move { answer(&s, s.app.list(&ep, &p)) })
                .post(|State(s): St, Path(ep): Path<String>, Query(p): Query<Params>, body: Bytes| async move {
                    answer(&s, json_body(&body).and_then(|b| s.app.create(&ep, &b, &p)))
                }),
        )
        .route(
            "/{endpoint}/{id}",
            get(|State(s): St, Path((ep, id)): Path<(String, String)>, Query(p): Query<Params>| async move {
                answer(&s, s.app.get(&ep, &id, &p))
            })
            .put(|State(s): St, Path((ep, id)): Path<(String, String)>, Query(p): Query<Params>, body: Bytes| async move {
                answer(&s, json_body(&body).and_then(|b| s.app.replace(&ep, &id, &b, &p)))
            })
            .patch(|State(s): St, Path((ep, id)): Path<(String, String)>, Query(p): Query<Params>, body: Bytes| async move {
                answer(&s, json_body(&body).and_then(|b| s.app.patch(&ep, &id, &b, &p)))
            })
            .delete(|State(s): St, Path((ep, id)): Path<(String, String)>| async move { answer(&s, s.app.delete(&ep, &id)) }),
        )
        .fallback(|State(s): St| async move { answer(&s, Err(ScimError::not_found("no such endpoint"))) })
        .layer(middleware::from_fn_with_state(shared.clone(), authenticate))
        .with_state(shared.clone());
    Router::new().nest(base_path, api).fallback(move || {
        let s = shared.clone();
        async move { answer(&s, Err(ScimError::not_found("no such endpoint"))) }
    })
}

fn json_body(body: &Bytes) -> Result<Value, ScimError> {
    serde_json::from_slice(body).map_err(|e| {
        ScimError::bad(
            ScimType::InvalidSyntax,
            format!("the body is not valid JSON: {e}"),
        )
    })
}

async fn authenticate(State(s): St, req: Request, next: Next) -> Response {
    if s.app.defects.has(Defect::AuthIgnored) {
        return next.run(req).await;
    }
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    if presented.is_some_and(|t| constant_time_eq(t.as_bytes(), s.token.as_bytes())) {
        return next.run(req).await;
    }
    let mut resp = answer(
        &s,
        Err(ScimError::new(
            401,
            None,
            "a valid bearer token is required",
        )),
    );
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"scimitar\""),
    );
    resp
}

/// Compares secrets without an early exit that would leak their common prefix length.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Turns a reply or an error into an HTTP response, with the defects that act on the wire.
fn answer(s: &Shared, r: Result<Reply, ScimError>) -> Response {
    let reply = r.unwrap_or_else(|e| {
        let body = (!(e.status == 404 && s.app.defects.has(Defect::NotFoundWithoutBody)))
            .then(|| e.body());
        Reply {
            status: e.status,
            body,
            location: None,
            etag: None,
        }
    });
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    if let Some(l) = &reply.location {
        builder = builder.header(header::LOCATION, l);
    }
    if let Some(e) = &reply.etag {
        builder = builder.header(header::ETAG, e);
    }
    let body = match reply.body {
        Some(b) => {
            let media = if s.app.defects.has(Defect::JsonContentType) {
                "application/json"
            } else {
                SCIM_JSON
            };
            builder = builder.header(header::CONTENT_TYPE, media);
            Body::from(serde_json::to_vec(&b).expect("JSON values serialise"))
        }
        None => Body::empty(),
    };
    builder.body(body).expect("status and headers are valid")
}
