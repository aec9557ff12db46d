//! The axum layer: routes, bearer authentication, JSON parsing and SCIM media types. Every
//! decision about SCIM itself is made in `app.rs`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get, post};
use serde_json::Value;
use tokio::sync::Semaphore;

use super::answer_defects;
use super::app::{App, Params, Preconditions, Reply};
use super::defect::Defect;
use crate::scim::error::{ScimError, ScimType};

pub const SCIM_JSON: &str = "application/scim+json";

pub struct Shared {
    pub app: App,
    pub token: String,
}

type St = State<Arc<Shared>>;

type Id = Path<(String, String)>;
type Q = Query<Params>;

pub fn router(shared: Arc<Shared>, base_path: &str) -> Router {
    let api = Router::new()
        .route("/ServiceProviderConfig", get(|State(s): St, Query(p): Q| async move { answer(&s, s.app.service_provider_config(&p)) }))
        .route("/ResourceTypes", get(|State(s): St, Query(p): Q| async move { answer(&s, s.app.resource_types(&p)) }))
        .route("/ResourceTypes/{name}", get(|State(s): St, Path(n): Path<String>| async move { answer(&s, s.app.resource_type(&n)) }))
        .route("/Schemas", get(|State(s): St, Query(p): Q| async move { answer(&s, s.app.schemas(&p)) }))
        .route("/Schemas/{urn}", get(|State(s): St, Path(u): Path<String>| async move { answer(&s, s.app.schema(&u)) }))
        .route("/Me", any(|State(s): St| async move { answer(&s, s.app.me()) }))
        .route("/Me/{*rest}", any(|State(s): St| async move { answer(&s, s.app.me()) }))
        .route("/Bulk", post(|State(s): St, body: Bytes| async move {
            answer(&s, json_body(&s, &body).and_then(|b| s.app.bulk(&b, body.len())))
        }))
        .route("/.search", post(|State(s): St, body: Bytes| async move {
            answer(&s, json_body(&s, &body).and_then(|b| s.app.search(None, &b)))
        }))
        .route(
            "/{endpoint}",
            get(|State(s): St, Path(ep): Path<String>, Query(p): Q| async move { answer(&s, s.app.list(&ep, &p)) })
                .post(|State(s): St, Path(ep): Path<String>, Query(p): Q, body: Bytes| async move {
                    answer(&s, json_body(&s, &body).and_then(|b| s.app.create(&ep, &b, &p)))
                }),
        )
        .route(
            "/{endpoint}/{id}",
            get(|State(s): St, Path((ep, id)): Id, Query(p): Q, h: HeaderMap| async move {
                answer(&s, s.app.get(&ep, &id, &p, &preconditions(&h)))
            })
            .post(|State(s): St, Path((ep, id)): Id, body: Bytes| async move {
                let r = match id.as_str() {
                    ".search" => json_body(&s, &body).and_then(|b| s.app.search(Some(&ep), &b)),
                    _ => Err(ScimError::new(405, None, "POST goes to a resource type endpoint")),
                };
                answer(&s, r)
            })
            .put(|State(s): St, Path((ep, id)): Id, Query(p): Q, h: HeaderMap, body: Bytes| async move {
                answer(&s, json_body(&s, &body).and_then(|b| s.app.replace(&ep, &id, &b, &p, &preconditions(&h))))
            })
            .patch(|State(s): St, Path((ep, id)): Id, Query(p): Q, h: HeaderMap, body: Bytes| async move {
                answer(&s, json_body(&s, &body).and_then(|b| s.app.patch(&ep, &id, &b, &p, &preconditions(&h))))
            })
            .delete(|State(s): St, Path((ep, id)): Id, h: HeaderMap| async move {
                answer(&s, s.app.delete(&ep, &id, &preconditions(&h)))
            }),
        )
        .fallback(|State(s): St| async move { answer(&s, Err(ScimError::not_found("no such endpoint"))) })
        .layer(middleware::from_fn_with_state(shared.clone(), authenticate))
        // Bodies up to this size reach the handlers, so Bulk can answer its own 413 with
        // the limit it advertises.
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared.clone());
    let api = if shared.app.defects.has(Defect::ScimJsonRequestRefused) {
        api.layer(middleware::from_fn_with_state(
            shared.clone(),
            refuse_scim_json,
        ))
    } else {
        api
    };
    let overloaded = shared.app.defects.has(Defect::Overload);
    let router = Router::new().nest(base_path, api).fallback(move || {
        let s = shared.clone();
        async move { answer(&s, Err(ScimError::not_found("no such endpoint"))) }
    });
    if overloaded {
        // Outermost, so that every request counts, whatever it asks and however it ends.
        let slots = Arc::new(Semaphore::new(OVERLOAD_LIMIT));
        router.layer(middleware::from_fn_with_state(slots, overload))
    } else {
        router
    }
}

/// `overload`: how many requests are served at once.
pub const OVERLOAD_LIMIT: usize = 4;

/// `overload`: how long a served request holds its place at least. The bundled server's
/// answers are computed in memory within microseconds, so without a service time no two
/// requests would ever overlap and the limit could not be reached; a loaded server is slow.
const OVERLOAD_SERVICE_TIME: Duration = Duration::from_millis(25);

/// What a front end or a framework's error page answers when the service is overloaded.
const OVERLOAD_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>\n\
    <body><h1>Internal Server Error</h1><p>The server is overloaded; try again later.</p></body></html>\n";

/// The `overload` defect: serves at most [`OVERLOAD_LIMIT`] requests at once and answers any
/// request beyond them 500 with an HTML page, at once. The in-flight count is the
/// semaphore's: a served request holds a permit, which is released when this future ends,
/// however it ends (an answer, an error answer, or the future dropped because the client
/// went away), so no path can leak or double-count a place.
async fn overload(State(slots): State<Arc<Semaphore>>, req: Request, next: Next) -> Response {
    let Ok(_permit) = slots.try_acquire() else {
        return Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .header(header::CONTENT_TYPE, "text/html")
            .body(Body::from(OVERLOAD_PAGE))
            .expect("status and headers are valid");
    };
    tokio::time::sleep(OVERLOAD_SERVICE_TIME).await;
    next.run(req).await
}

const MAX_BODY: usize = 16 << 20;

fn preconditions(h: &HeaderMap) -> Preconditions {
    let text = |name| {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    Preconditions {
        if_match: text(header::IF_MATCH),
        if_none_match: text(header::IF_NONE_MATCH),
    }
}

fn json_body(s: &Shared, body: &Bytes) -> Result<Value, ScimError> {
    if s.app.defects.has(Defect::NonAsciiRefused) && !body.is_ascii() {
        return Err(ScimError::bad(
            ScimType::InvalidSyntax,
            "the body is not valid JSON: unexpected byte",
        ));
    }
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

/// The `scim-json-request-refused` defect: a server that takes only `application/json`
/// bodies answers one typed `application/scim+json` 415.
async fn refuse_scim_json(State(s): St, req: Request, next: Next) -> Response {
    let typed_scim = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(SCIM_JSON));
    if typed_scim {
        return answer(
            &s,
            Err(ScimError::new(
                415,
                None,
                "Content-Type must be application/json",
            )),
        );
    }
    next.run(req).await
}

/// Compares secrets without an early exit that would leak their common prefix length.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Turns a reply or an error into an HTTP response, with the defects that act on the wire.
fn answer(s: &Shared, r: Result<Reply, ScimError>) -> Response {
    let reply = r.unwrap_or_else(|e| {
        let mut reply = Reply::empty(e.status);
        if !(e.status == 404 && s.app.defects.has(Defect::NotFoundWithoutBody)) {
            let mut body = e.body();
            if s.app.defects.has(Defect::ErrorStatusNumber) {
                body["status"] = e.status.into();
            }
            if s.app.defects.has(Defect::ErrorWithoutSchemas)
                && let Some(o) = body.as_object_mut()
            {
                o.remove("schemas");
            }
            answer_defects::error(&s.app.defects, e.status, &mut body);
            reply.body = Some(body);
        }
        reply
    });
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    if let Some(l) = &reply.location {
        builder = builder.header(header::LOCATION, l);
    }
    if let Some(e) = &reply.etag {
        // The ETag header equals meta.version (RFC 7643 lines 931-933).
        let e = match e.strip_prefix("W/") {
            Some(strong) if s.app.defects.has(Defect::EtagHeaderStrong) => strong,
            _ => e,
        };
        builder = builder.header(header::ETAG, e);
    }
    let body = match reply.body {
        Some(mut b) => {
            if (200..300).contains(&reply.status) {
                answer_defects::success(&s.app.defects, &mut b);
                if let Some(l) = answer_defects::content_location(&s.app.defects, &b) {
                    builder = builder.header(header::CONTENT_LOCATION, l);
                }
            }
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
