//! The ledger of what scimitar created on the target: every resource a create answered
//! with, kept in memory and, with `--ledger FILE`, appended to a file as it happens, so that
//! the end of a run, an interrupted run and `scimitar sweep` after a crash can delete it all.
//! It also guards the target: a PUT, PATCH or DELETE of an id this run did not create (or
//! make up, with the run id in it) is refused before it is sent.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use indexmap::IndexSet;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::record::{RecordedRequest, RecordedResponse};
use crate::suite::Method;

/// One line of a ledger file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Line {
    Created(String),
    Deleted(String),
}

pub struct Ledger {
    run_id: String,
    /// URLs of resources created and not yet deleted, in creation order.
    live: Mutex<IndexSet<String>>,
    /// Every URL the run created, deleted since or not: its own to change.
    known: Mutex<std::collections::HashSet<String>>,
    file: Option<(PathBuf, Mutex<std::fs::File>)>,
    closing: AtomicBool,
    /// Whether a create (a POST to /Users, /Groups or /Bulk) was sent, answered or not.
    creates_sent: AtomicBool,
}

/// Endpoints whose second path segment is not a resource id.
const NOT_RESOURCES: &[&str] = &[
    "ServiceProviderConfig",
    "ResourceTypes",
    "Schemas",
    "Me",
    "Bulk",
];

impl Ledger {
    pub fn new(run_id: &str, file: Option<&Path>) -> std::io::Result<Self> {
        let file = file
            .map(|p| {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)?;
                Ok::<_, std::io::Error>((p.to_path_buf(), Mutex::new(f)))
            })
            .transpose()?;
        Ok(Ledger {
            run_id: run_id.to_string(),
            live: Mutex::new(IndexSet::new()),
            known: Mutex::default(),
            file,
            closing: AtomicBool::new(false),
            creates_sent: AtomicBool::new(false),
        })
    }

    fn write(&self, line: &Line) {
        if let Some((_, f)) = &self.file {
            let mut f = f.lock().unwrap_or_else(|e| e.into_inner());
            let _ = writeln!(
                f,
                "{}",
                serde_json::to_string(line).expect("a line serialises")
            );
        }
    }

    fn created(&self, url: String) {
        self.write(&Line::Created(url.clone()));
        self.known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(url.clone());
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(url);
    }

    fn deleted(&self, url: &str) {
        if self
            .live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .shift_remove(url)
        {
            self.write(&Line::Deleted(url.to_string()));
        }
    }

    /// From now on, nothing new is created: the run is being stopped.
    pub fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
    }

    pub fn closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    /// What is still there, newest first (groups made of users go before them).
    pub fn remaining(&self) -> Vec<String> {
        let live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.iter().rev().cloned().collect()
    }

    /// Removes the ledger file once nothing is left.
    pub fn finish(&self) {
        if let Some((path, _)) = &self.file
            && self.remaining().is_empty()
        {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Why a request may not be sent, if it may not: it changes a resource this run did
    /// not create.
    pub fn refuses(
        &self,
        base_url: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Option<String> {
        let mut targets = Vec::new();
        if matches!(method, Method::Put | Method::Patch | Method::Delete) {
            targets.push(path.to_string());
        }
        if method == Method::Post && endpoint(base_url, path).as_deref() == Some("/Bulk") {
            for op in body
                .and_then(|b| b.get("Operations"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let m = op.get("method").and_then(Value::as_str).unwrap_or_default();
                if !m.eq_ignore_ascii_case("POST") {
                    targets.extend(op.get("path").and_then(Value::as_str).map(str::to_string));
                }
            }
        }
        targets.into_iter().find_map(|t| self.foreign(base_url, &t))
    }

    /// Why changing `path` would touch someone else's resource, if it would.
    fn foreign(&self, base_url: &str, path: &str) -> Option<String> {
        let rel = endpoint(base_url, path)?;
        let mut segments = rel.trim_start_matches('/').split('/');
        let (Some(kind), Some(id)) = (segments.next(), segments.next()) else {
            return None;
        };
        if NOT_RESOURCES.contains(&kind) || id.starts_with("bulkId:") || id.contains(&self.run_id) {
            return None;
        }
        let url = format!("{}/{kind}/{id}", base_url.trim_end_matches('/'));
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        (!known.contains(&url)).then(|| {
            format!("refused: {kind}/{id} was not created by this run, and scimitar changes nothing it did not create")
        })
    }

    /// Notes a request about to be sent: a create may leave a resource behind even when it
    /// is answered with an error, or not at all.
    pub fn sending(&self, base_url: &str, method: Method, path: &str) {
        if method == Method::Post
            && endpoint(base_url, strip_query(path))
                .is_some_and(|e| matches!(e.as_str(), "/Users" | "/Groups" | "/Bulk"))
        {
            self.creates_sent.store(true, Ordering::SeqCst);
        }
    }

    /// Whether the run sent a create: if not, nothing can carry its marker.
    pub fn may_have_created(&self) -> bool {
        self.creates_sent.load(Ordering::SeqCst)
    }

    /// The mark every value this run creates carries (`scimitar-<run id>-`), none for a
    /// ledger resumed from a file, which has no run id.
    pub fn marker(&self) -> Option<String> {
        (!self.run_id.is_empty()).then(|| format!("scimitar-{}-", self.run_id))
    }

    /// Takes `resource`, as listed on `endpoint` (`/Users`), for one this run created when
    /// its `attribute` carries the run's marker: from then on it is the run's to delete, and
    /// it is swept like what a create recorded. The check is made here, on the resource
    /// itself, whatever filter the server was asked to apply. Returns the resource's URL
    /// when it was taken, and `None` when it is not the run's or already listed.
    pub fn claim(
        &self,
        base_url: &str,
        endpoint: &str,
        attribute: &str,
        resource: &Value,
    ) -> Option<String> {
        let marker = self.marker()?;
        let object = resource.as_object()?;
        // Attribute names are case-insensitive (RFC 7643 section 2.1).
        let value = object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(attribute))?
            .1
            .as_str()?;
        if !value
            .to_ascii_lowercase()
            .contains(&marker.to_ascii_lowercase())
        {
            return None;
        }
        let id = object.get("id")?.as_str()?;
        // One path segment, sent as it is: nothing that could name another resource.
        if id.is_empty()
            || id == "."
            || id == ".."
            || id.contains(['/', '\\', '?', '#', '%'])
            || id.chars().any(char::is_whitespace)
        {
            return None;
        }
        let url = format!("{}{endpoint}/{id}", base_url.trim_end_matches('/'));
        let listed = self
            .live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&url);
        if listed {
            return None;
        }
        self.created(url.clone());
        Some(url)
    }

    /// Notes what an exchange created or deleted.
    pub fn observe(&self, base_url: &str, req: &RecordedRequest, resp: &RecordedResponse) {
        let Some(rel) = endpoint(base_url, strip_query(&req.url)) else {
            return;
        };
        let base = base_url.trim_end_matches('/');
        match req.method {
            // A create answered 200 (wrongly) still created something.
            Method::Post
                if (200..300).contains(&resp.status)
                    && rel.matches('/').count() == 1
                    && rel != "/Bulk" =>
            {
                let id = serde_json::from_str::<Value>(&resp.body)
                    .ok()
                    .and_then(|b| b.get("id")?.as_str().map(str::to_string));
                if let Some(id) = id {
                    self.created(format!("{base}{rel}/{id}"));
                }
            }
            Method::Post if rel == "/Bulk" => {
                let body = serde_json::from_str::<Value>(&resp.body).unwrap_or_default();
                for op in body
                    .get("Operations")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let created = op
                        .get("method")
                        .and_then(Value::as_str)
                        .is_some_and(|m| m.eq_ignore_ascii_case("POST"))
                        && op.get("status").is_some_and(|s| s == "201" || s == 201);
                    if let (true, Some(location)) =
                        (created, op.get("location").and_then(Value::as_str))
                    {
                        self.created(location.to_string());
                    }
                }
            }
            Method::Delete if matches!(resp.status, 200 | 204 | 404) => {
                self.deleted(&format!("{base}{rel}"));
            }
            _ => {}
        }
    }
}

fn strip_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// `path` relative to the base URL (`/Users/2819c223`), from a relative path or an absolute
/// URL under the base.
fn endpoint(base_url: &str, path: &str) -> Option<String> {
    let base = base_url.trim_end_matches('/');
    let rel = path.strip_prefix(base).unwrap_or(path);
    rel.starts_with('/')
        .then(|| rel.trim_end_matches('/').to_string())
}

impl Ledger {
    /// The ledger a file holds, to sweep what it still lists; deletions are appended to it.
    /// It has no run id, so it guards nothing: a sweep only deletes what the file lists.
    pub fn resume(path: &Path) -> Result<Self, String> {
        let urls = read(path)?;
        let ledger = Ledger::new("", Some(path))
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let mut live = ledger.live.lock().unwrap_or_else(|e| e.into_inner());
        live.extend(urls.into_iter().rev());
        drop(live);
        Ok(ledger)
    }
}

/// The URLs a ledger file still lists: created and not deleted, newest first.
fn read(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut live = IndexSet::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        match serde_json::from_str::<Line>(line) {
            Ok(Line::Created(u)) => {
                live.insert(u);
            }
            Ok(Line::Deleted(u)) => {
                live.shift_remove(&u);
            }
            Err(e) => {
                return Err(format!(
                    "{}:{}: not a ledger line: {e}",
                    path.display(),
                    n + 1
                ));
            }
        }
    }
    Ok(live.into_iter().rev().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::record::RecordedRequest;

    fn req(method: Method, url: &str) -> RecordedRequest {
        RecordedRequest {
            method,
            url: url.into(),
            headers: vec![],
            body: None,
        }
    }

    fn resp(status: u16, body: &str) -> RecordedResponse {
        RecordedResponse {
            status,
            headers: vec![],
            body: body.into(),
            truncated: false,
        }
    }

    #[test]
    fn only_what_the_run_created_may_change_and_all_of_it_is_swept() {
        let base = "http://h/v2";
        let l = Ledger::new("run1", None).unwrap();
        assert!(
            l.refuses(base, Method::Delete, "/Users/abc", None)
                .is_some()
        );
        assert!(
            l.refuses(
                base,
                Method::Delete,
                "/Users/no-such-user-scimitar-run1-3",
                None
            )
            .is_none()
        );
        assert!(l.refuses(base, Method::Get, "/Users/abc", None).is_none());
        l.observe(
            base,
            &req(Method::Post, "http://h/v2/Users"),
            &resp(201, r#"{"id":"abc"}"#),
        );
        assert!(
            l.refuses(base, Method::Patch, "http://h/v2/Users/abc", None)
                .is_none()
        );
        let bulk =
            serde_json::json!({"Operations": [{"method": "DELETE", "path": "/Groups/theirs"}]});
        assert!(
            l.refuses(base, Method::Post, "/Bulk", Some(&bulk))
                .is_some()
        );
        assert_eq!(l.remaining(), ["http://h/v2/Users/abc"]);
        l.observe(
            base,
            &req(Method::Delete, "http://h/v2/Users/abc"),
            &resp(204, ""),
        );
        assert!(l.remaining().is_empty());
        assert!(
            l.refuses(base, Method::Delete, "/Users/abc", None)
                .is_none(),
            "still its own"
        );
    }

    /// Only a Bulk request is read for the operations it carries, and only a Bulk answer
    /// for what they created; discovery endpoints, bulkIds and the run's own ids are never
    /// someone else's; a create that failed created nothing.
    #[test]
    fn bulk_requests_and_answers_are_read_as_bulk_only() {
        let base = "http://h/v2";
        let l = Ledger::new("run1", None).unwrap();
        let ops =
            serde_json::json!({"Operations": [{"method": "DELETE", "path": "/Users/theirs"}]});
        assert!(
            l.refuses(base, Method::Post, "/Users", Some(&ops))
                .is_none()
        );
        assert!(l.refuses(base, Method::Put, "/Bulk", Some(&ops)).is_none());
        assert!(l.refuses(base, Method::Post, "/Bulk", Some(&ops)).is_some());
        for own in ["/Schemas/urn:x", "/Users/bulkId:q1", "/Users/u-run1-2"] {
            assert!(l.refuses(base, Method::Patch, own, None).is_none(), "{own}");
        }
        assert!(
            l.refuses(base, Method::Patch, "/Users/u-run2-2", None)
                .is_some()
        );
        let created = r#"{"Operations": [{"method": "POST", "status": "201", "location": "http://h/v2/Users/b1"}]}"#;
        l.observe(
            base,
            &req(Method::Post, "http://h/v2/Users"),
            &resp(400, created),
        );
        l.observe(
            base,
            &req(Method::Post, "http://h/v2/Users"),
            &resp(409, r#"{"id": "c1"}"#),
        );
        assert_eq!(l.remaining(), Vec::<String>::new());
        l.observe(
            base,
            &req(Method::Post, "http://h/v2/Bulk"),
            &resp(200, created),
        );
        assert_eq!(l.remaining(), ["http://h/v2/Users/b1"]);
    }

    /// The file outlives a clean-up that left something behind, for `scimitar sweep`, and
    /// goes once nothing is left.
    #[test]
    fn the_ledger_file_is_kept_until_everything_is_deleted() {
        let dir = std::env::temp_dir().join(format!("scimitar-ledger-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ledger.jsonl");
        let (base, user) = ("http://h/v2", "http://h/v2/Users/abc");
        let l = Ledger::new("run1", Some(&path)).unwrap();
        l.observe(
            base,
            &req(Method::Post, "http://h/v2/Users"),
            &resp(201, r#"{"id":"abc"}"#),
        );
        l.observe(base, &req(Method::Delete, user), &resp(500, ""));
        l.finish();
        assert_eq!(Ledger::resume(&path).unwrap().remaining(), [user]);
        l.observe(base, &req(Method::Delete, user), &resp(204, ""));
        l.finish();
        assert!(!path.exists(), "a ledger with nothing left is removed");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_resource_is_claimed_only_when_its_own_attribute_carries_the_marker() {
        let base = "http://h/v2/";
        let l = Ledger::new("1a2b3c4d", None).unwrap();
        let claim = |attr: &str, r: Value| l.claim(base, "/Users", attr, &r);
        use serde_json::json;
        assert_eq!(
            claim(
                "userName",
                json!({"id": "u1", "userName": "scimitar-1a2b3c4d-7"})
            ),
            Some("http://h/v2/Users/u1".into())
        );
        assert!(
            l.refuses(base, Method::Delete, "/Users/u1", None).is_none(),
            "claimed: the run's to delete"
        );
        assert_eq!(l.remaining(), ["http://h/v2/Users/u1"]);
        assert_eq!(
            claim(
                "userName",
                json!({"id": "u1", "userName": "scimitar-1a2b3c4d-7"})
            ),
            None,
            "listed already"
        );
        assert_eq!(
            claim(
                "displayName",
                json!({"id": "g1", "DisplayName": "group-SCIMITAR-1a2b3c4d-8"})
            ),
            Some("http://h/v2/Users/g1".into()),
            "names and values are compared without case"
        );
        for (attr, stranger) in [
            (
                "userName",
                json!({"id": "u2", "userName": "scimitar-99999999-7"}),
            ),
            ("userName", json!({"id": "u3", "userName": "bjensen"})),
            (
                "userName",
                json!({"id": "u4", "userName": "x", "displayName": "scimitar-1a2b3c4d-1"}),
            ),
            (
                "userName",
                json!({"id": "u5", "userName": "scimitar-1a2b3c4d"}),
            ),
            (
                "userName",
                json!({"id": "u6", "userName": ["scimitar-1a2b3c4d-1"]}),
            ),
            ("userName", json!({"userName": "scimitar-1a2b3c4d-1"})),
            (
                "userName",
                json!({"id": "../Groups/g9", "userName": "scimitar-1a2b3c4d-1"}),
            ),
            (
                "userName",
                json!({"id": "a%2Fb", "userName": "scimitar-1a2b3c4d-1"}),
            ),
            (
                "userName",
                json!({"id": "", "userName": "scimitar-1a2b3c4d-1"}),
            ),
            (
                "userName",
                json!({"id": ".", "userName": "scimitar-1a2b3c4d-1"}),
            ),
            (
                "userName",
                json!({"id": "..", "userName": "scimitar-1a2b3c4d-1"}),
            ),
            (
                "userName",
                json!({"id": "a b", "userName": "scimitar-1a2b3c4d-1"}),
            ),
        ] {
            assert_eq!(claim(attr, stranger.clone()), None, "{stranger}");
        }
        assert!(l.refuses(base, Method::Delete, "/Users/u2", None).is_some());
        assert!(!l.may_have_created());
        l.sending(base, Method::Get, "/Users");
        l.sending(base, Method::Post, "/Users/.search");
        assert!(!l.may_have_created(), "no create sent");
        l.sending(base, Method::Post, "http://h/v2/Groups");
        assert!(l.may_have_created());
        let resumed = Ledger::new("", None).unwrap();
        assert_eq!(resumed.marker(), None);
        assert_eq!(
            resumed.claim(
                base,
                "/Users",
                "userName",
                &json!({"id": "u", "userName": "scimitar--1"})
            ),
            None,
            "a ledger without a run id claims nothing"
        );
    }
}
