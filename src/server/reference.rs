//! The reference model: the bundled server's own router, answered in process without a
//! socket, so that the fuzzer compares a target with exactly the semantics the server has.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use tower::ServiceExt;

use super::{BASE_PATH, Defects, app, http};
use crate::client::RecordedResponse;
use crate::profile::Profile;

/// The token the reference expects; it never leaves the process.
const TOKEN: &str = "reference";

/// A fresh, empty reference server.
pub struct Reference {
    router: Router,
    base_url: String,
}

impl Reference {
    /// A server behaving as `profile` describes, with no defects, whose URLs start with
    /// `origin` (`http://reference`, say) and [`BASE_PATH`].
    pub fn new(profile: &Profile, origin: &str) -> Result<Self, String> {
        let base_url = format!("{origin}{BASE_PATH}");
        let app = app::App::new(profile, Defects::new(Vec::new()), base_url.clone())?;
        let shared = Arc::new(http::Shared {
            app,
            token: TOKEN.into(),
        });
        Ok(Reference {
            router: http::router(shared, BASE_PATH),
            base_url,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Answers a request for `path_and_query` (below the base URL), with `headers`, with
    /// the reference's credentials unless `anonymous`.
    pub async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(String, String)],
        anonymous: bool,
        body: Option<String>,
    ) -> RecordedResponse {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{BASE_PATH}{path_and_query}"))
            .header(header::ACCEPT, http::SCIM_JSON);
        if !anonymous {
            req = req.header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
        }
        for (k, v) in headers {
            req = req.header(k.as_str(), v.as_str());
        }
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, http::SCIM_JSON);
        }
        let req = req
            .body(body.map_or_else(Body::empty, Body::from))
            .expect("a rendered request is valid");
        let resp = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("the router is infallible");
        let (parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("an in-memory body reads");
        RecordedResponse {
            status: parts.status.as_u16(),
            headers: parts
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
                .collect(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
            truncated: false,
        }
    }
}
