//! Identity providers as data (`fixtures/idp/*.yaml`): the suites replaying what a provider
//! sends, its behaviours (the tag of the cases only that behaviour sends, the spellings its
//! suites use as variables, the request shapes of its mapping cases), and how a row of its
//! attribute mapping becomes requests ([`mapping`]). `scimitar replay --idp NAME` runs one.

pub mod mapping;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;

use crate::suite::template::{BUILTINS, Vars};

/// One identity provider, as its file describes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Idp {
    pub name: String,
    pub title: String,
    /// The globs of the suites replaying what it sends.
    pub suites: Vec<String>,
    /// The first is the one used when none is chosen.
    pub behaviours: Vec<Behaviour>,
    /// What its mapping cases share across behaviours.
    pub mapping: mapping::Common,
}

/// One way the provider sends its requests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Behaviour {
    pub name: String,
    /// The tag of the suite cases only this behaviour sends; the other behaviours' are left out.
    pub tag: String,
    /// How its suites spell what differs between behaviours (the `entra_*` variables).
    #[serde(default)]
    pub variables: IndexMap<String, Value>,
    /// The shapes of its mapping cases' requests.
    pub mapping: mapping::Shapes,
}

impl Behaviour {
    pub fn variables(&self) -> Vars {
        self.variables
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// The folder of the built-in providers.
const FOLDER: &str = "fixtures/idp";

/// The names of the built-in providers.
pub fn names() -> Vec<String> {
    crate::builtin::folder(FOLDER, "yaml")
        .iter()
        .filter_map(|(p, _)| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect()
}

impl Idp {
    /// The provider `fixtures/idp/NAME.yaml` (a file on disk at that path replaces the
    /// built-in one).
    pub fn find(name: &str) -> Result<Self, String> {
        if !names().iter().any(|n| n == name) {
            return Err(format!(
                "no identity provider `{name}`: give one of {}",
                names().join(", ")
            ));
        }
        let path = std::path::PathBuf::from(format!("{FOLDER}/{name}.yaml"));
        let text = crate::builtin::read(&path)?;
        Self::parse(&path.display().to_string(), &text)
    }

    fn parse(file: &str, text: &str) -> Result<Self, String> {
        let idp: Idp = serde_saphyr::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        if idp.behaviours.is_empty() {
            return Err(format!("{file}: an identity provider needs a behaviour"));
        }
        for b in &idp.behaviours {
            if let Some(v) = b.variables.keys().find(|v| !BUILTINS.contains(&v.as_str())) {
                return Err(format!(
                    "{file}: behaviour `{}` sets `{v}`, which is not one of the built-in variables ({})",
                    b.name,
                    BUILTINS.join(", ")
                ));
            }
        }
        Ok(idp)
    }

    /// The behaviour named, or the first when none is.
    pub fn behaviour(&self, name: Option<&str>) -> Result<&Behaviour, String> {
        match name {
            None => Ok(&self.behaviours[0]),
            Some(n) => self.behaviours.iter().find(|b| b.name == n).ok_or_else(|| {
                let known: Vec<&str> = self.behaviours.iter().map(|b| b.name.as_str()).collect();
                format!(
                    "{} has no behaviour `{n}`: give one of {}",
                    self.title,
                    known.join(", ")
                )
            }),
        }
    }

    /// The tags of the cases the chosen behaviour does not send.
    pub fn excluded_tags(&self, chosen: &Behaviour) -> Vec<String> {
        self.behaviours
            .iter()
            .filter(|b| b.name != chosen.name)
            .map(|b| b.tag.clone())
            .collect()
    }
}

/// The variables a run without `--idp` gives its suites: Entra's default spellings, so that
/// `run --suite 'suites/entra/*.yaml'` replays Entra's default behaviour.
pub fn default_variables() -> Vars {
    let idp = Idp::parse(
        "fixtures/idp/entra.yaml",
        crate::builtin::expect("fixtures/idp/entra.yaml"),
    )
    .expect("the built-in Entra profile parses");
    idp.behaviours[0].variables()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_provider_parses_and_names_its_behaviours() {
        for name in names() {
            let idp = Idp::find(&name).unwrap();
            assert_eq!(idp.name, name);
            let first = idp.behaviour(None).unwrap();
            assert_eq!(first.name, idp.behaviours[0].name);
            assert_eq!(idp.excluded_tags(first).len(), idp.behaviours.len() - 1);
        }
        assert_eq!(names(), ["entra", "okta"]);
        let err = Idp::find("okta")
            .unwrap()
            .behaviour(Some("nope"))
            .unwrap_err();
        assert!(err.contains("put-updates, patch-updates"), "{err}");
        assert!(Idp::find("ping").unwrap_err().contains("entra, okta"));
    }

    #[test]
    fn a_variable_that_is_not_built_in_is_refused() {
        let text = crate::builtin::expect("fixtures/idp/entra.yaml")
            .replace("entra_true: \"True\"", "entra_yes: \"True\"");
        let err = Idp::parse("x.yaml", &text).unwrap_err();
        assert!(
            err.contains("x.yaml") && err.contains("`entra_yes`"),
            "{err}"
        );
    }
}
