//! The JSON Schemas a step's `expect.schema` names, compiled once per run: the built-in ones
//! (`fixtures/schemas/`), and those of a `--fixtures` folder, which add to them or replace
//! those of the same file name.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::Value;

pub struct Schemas(HashMap<String, jsonschema::Validator>);

impl Schemas {
    /// The schemas built into the binary, keyed by file name (`user.json`).
    pub fn builtin() -> Result<Self, String> {
        let mut out = Schemas(HashMap::new());
        for (path, text) in crate::builtin::folder("fixtures/schemas", "json") {
            out.add(&path, text)?;
        }
        Ok(out)
    }

    /// Compiles every `*.json` file of `dir` alone, keyed by file name.
    pub fn load(dir: &Path) -> Result<Self, String> {
        Schemas(HashMap::new()).with_dir(dir)
    }

    /// Adds every `*.json` file of `dir`, replacing a schema of the same file name.
    pub fn with_dir(mut self, dir: &Path) -> Result<Self, String> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read the schema folder {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            self.add(&path, &text)?;
        }
        Ok(self)
    }

    fn add(&mut self, path: &Path, text: &str) -> Result<(), String> {
        let schema: Value =
            serde_json::from_str(text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
        let validator = jsonschema::validator_for(&schema)
            .map_err(|e| format!("{}: not a valid JSON Schema: {e}", path.display()))?;
        let name = path
            .file_name()
            .expect("a file has a name")
            .to_string_lossy()
            .into_owned();
        self.0.insert(name, validator);
        Ok(())
    }
    pub fn names(&self) -> HashSet<String> {
        self.0.keys().cloned().collect()
    }

    /// Every violation, each with the place in the instance where it occurs.
    pub fn validate(&self, name: &str, instance: &Value) -> Vec<String> {
        match self.0.get(name) {
            None => vec![format!("no schema named `{name}`")],
            Some(v) => v
                .iter_errors(instance)
                .map(|e| {
                    let at = e.instance_path().to_string();
                    format!(
                        "{} {e}",
                        if at.is_empty() {
                            "(root)".to_string()
                        } else {
                            at
                        }
                    )
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `--fixtures` folder adds its `*.json` schemas and replaces those of the same name;
    /// its other files are not schemas.
    #[test]
    fn a_folder_adds_and_replaces_json_files_only() {
        let dir = std::env::temp_dir().join(format!("scimitar-schemas-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("mine.json"), r#"{"type": "object"}"#).unwrap();
        std::fs::write(dir.join("user.json"), r#"{"type": "string"}"#).unwrap();
        std::fs::write(dir.join("notes.txt"), "not a schema").unwrap();
        let builtin = Schemas::builtin().unwrap();
        assert!(builtin.names().contains("user.json"));
        let all = Schemas::builtin().unwrap().with_dir(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        let all = all.unwrap();
        let mut added: Vec<String> = all.names().difference(&builtin.names()).cloned().collect();
        added.sort();
        assert_eq!(added, ["mine.json"]);
        // user.json is now the folder's: a string, so a user object fails it.
        assert_eq!(all.validate("user.json", &serde_json::json!({})).len(), 1);
        assert_eq!(
            all.validate("mine.json", &serde_json::json!({})),
            Vec::<String>::new()
        );
    }
}
