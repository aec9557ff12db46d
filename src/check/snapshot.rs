//! Approved snapshots of responses, kept as insta `.snap` files (pending ones as
//! `.snap.new`, so `cargo insta review` conventions apply). A response is normalised
//! first, so that only behaviour shows in a diff: ids, timestamps, versions, the base URL
//! and the run's generated values become stable placeholders, and keys are sorted.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

/// What `run --snapshots` does with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// A snapshot that differs from the approved one (or has none) fails its step; the new
    /// one is written as `.snap.new`.
    Check,
    /// Write every snapshot as approved.
    Update,
}

/// The snapshots of one target.
#[derive(Debug, Clone)]
pub struct Snapshots {
    /// `<snapshot dir>/<target name>`.
    pub dir: PathBuf,
    pub mode: Mode,
}

static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
        .expect("a valid regex")
});

/// What varies from run to run in a response, and its placeholders.
struct Normaliser<'a> {
    base_url: &'a str,
    /// The run's generated values: `scimitar-<run id>-<n>` and `<run id>-<n>`.
    generated: Regex,
    ids: HashMap<String, String>,
}

impl Normaliser<'_> {
    /// Collects ids (values of `id` keys) in document order, keys sorted.
    fn collect(&mut self, v: &Value) {
        match v {
            Value::Object(obj) => {
                let mut keys: Vec<&String> = obj.keys().collect();
                keys.sort();
                for k in keys {
                    if k == "id"
                        && let Some(id) = obj[k].as_str()
                        && !self.ids.contains_key(id)
                    {
                        let n = self.ids.len() + 1;
                        self.ids.insert(id.to_string(), format!("[id-{n}]"));
                    }
                    self.collect(&obj[k]);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| self.collect(i)),
            _ => {}
        }
    }

    fn string(&self, key: &str, s: &str) -> String {
        if key == "version" || s.starts_with("W/\"") {
            return "[version]".into();
        }
        if TIMESTAMP.is_match(s) {
            return "[timestamp]".into();
        }
        let mut out = s.replace(self.base_url, "[base]");
        for (id, placeholder) in &self.ids {
            out = out.replace(id.as_str(), placeholder);
        }
        self.generated.replace_all(&out, "[generated]").into_owned()
    }

    fn value(&self, key: &str, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.string(key, s)),
            Value::Array(items) => Value::Array(items.iter().map(|i| self.value(key, i)).collect()),
            Value::Object(obj) => {
                let mut keys: Vec<&String> = obj.keys().collect();
                keys.sort();
                let sorted: Map<String, Value> = keys
                    .into_iter()
                    .map(|k| (k.clone(), self.value(k, &obj[k])))
                    .collect();
                Value::Object(sorted)
            }
            other => other.clone(),
        }
    }
}

/// The snapshot text of a response: its status and its body, normalised.
pub fn render(status: u16, body: &str, base_url: &str, run_id: &str) -> String {
    let body = match serde_json::from_str::<Value>(body) {
        Ok(v) => {
            let mut n = Normaliser {
                base_url,
                generated: Regex::new(&format!(r"(scimitar-)?{}-\d+", regex::escape(run_id)))
                    .expect("a valid regex"),
                ids: HashMap::new(),
            };
            n.collect(&v);
            serde_json::to_string_pretty(&n.value("", &v)).expect("JSON serialises")
        }
        Err(_) => body.to_string(),
    };
    format!("status: {status}\n{body}\n")
}

impl Snapshots {
    /// Checks (or, in update mode, writes) the snapshot `name` of a case: `Err` holds why
    /// the step fails, with a diff.
    pub fn assert(
        &self,
        case: &str,
        name: &str,
        source: &str,
        content: &str,
    ) -> Result<(), String> {
        let file = self
            .dir
            .join(format!("{}__{name}.snap", case.replace("::", "__")));
        let pending = file.with_extension("snap.new");
        let text = format!("---\nsource: {source}\nexpression: {case} {name}\n---\n{content}");
        let write = |path: &PathBuf| {
            std::fs::create_dir_all(&self.dir)
                .and_then(|()| std::fs::write(path, &text))
                .map_err(|e| format!("snapshot {name}: cannot write {}: {e}", path.display()))
        };
        if self.mode == Mode::Update {
            let _ = std::fs::remove_file(&pending);
            return write(&file);
        }
        let approved = std::fs::read_to_string(&file).ok();
        let old = approved
            .as_deref()
            .and_then(|t| t.splitn(3, "---\n").nth(2));
        match old {
            Some(old) if old == content => {
                let _ = std::fs::remove_file(&pending);
                Ok(())
            }
            Some(old) => {
                write(&pending)?;
                let diff = similar::TextDiff::from_lines(old, content)
                    .unified_diff()
                    .context_radius(3)
                    .header("approved", "this run")
                    .to_string();
                Err(format!(
                    "snapshot {name} changed (approve with --snapshots update or cargo insta review; pending in {}):\n{diff}",
                    pending.display()
                ))
            }
            None => {
                write(&pending)?;
                Err(format!(
                    "snapshot {name} has no approved version yet (pending in {}; approve with --snapshots update)",
                    pending.display()
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_varies_becomes_placeholders_and_keys_are_sorted() {
        let body = r#"{"meta": {"version": "W/\"7\"", "created": "2026-11-23T10:00:00Z",
            "location": "http://h:1/v2/Users/abc"}, "id": "abc",
            "userName": "scimitar-r1-42", "groups": [{"value": "g9"}], "displayName": "x"}"#;
        let text = render(200, body, "http://h:1/v2", "r1");
        let expected = r#"status: 200
{
  "displayName": "x",
  "groups": [
    {
      "value": "g9"
    }
  ],
  "id": "[id-1]",
  "meta": {
    "created": "[timestamp]",
    "location": "[base]/Users/[id-1]",
    "version": "[version]"
  },
  "userName": "[generated]"
}
"#;
        assert_eq!(text, expected);
    }

    /// Ids inside lists are found too, and an ETag is a version under any key.
    #[test]
    fn ids_in_lists_and_etags_anywhere_are_placeholders() {
        let body = r#"{"Resources": [{"id": "u7"}], "see": "u7", "etag": "W/\"3\""}"#;
        let text = render(200, body, "http://h", "r1");
        assert!(text.contains(r#""see": "[id-1]""#), "{text}");
        assert!(text.contains(r#""etag": "[version]""#), "{text}");
        assert!(!render(200, r#"{"v": "3"}"#, "http://h", "r1").contains("[version]"));
    }

    /// Approved, the same content passes and leaves nothing pending; a change or a missing
    /// approval fails with the reason and leaves the new one pending beside it.
    #[test]
    fn a_snapshot_passes_only_as_approved() {
        let dir = std::env::temp_dir().join(format!("scimitar-snap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let snaps = |mode| Snapshots {
            dir: dir.clone(),
            mode,
        };
        let approved = dir.join("users__get__read.snap");
        let pending = dir.join("users__get__read.snap.new");
        let check =
            |content: &str| snaps(Mode::Check).assert("users::get", "read", "s.yaml", content);
        let e = check("status: 200\n").unwrap_err();
        assert!(e.contains("no approved version"), "{e}");
        assert!(pending.exists() && !approved.exists());
        snaps(Mode::Update)
            .assert("users::get", "read", "s.yaml", "status: 200\n")
            .unwrap();
        assert!(approved.exists() && !pending.exists());
        check("status: 200\n").unwrap();
        assert!(!pending.exists());
        let e = check("status: 404\n").unwrap_err();
        assert!(
            e.contains("-status: 200") && e.contains("+status: 404"),
            "{e}"
        );
        assert!(pending.exists());
        check("status: 200\n").unwrap();
        assert!(!pending.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
