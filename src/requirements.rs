//! The requirement catalogue (`fixtures/rfc-requirements.csv`): one row per normative server
//! rule of RFC 7643/7644, with the stable id that suites, defects and reports share.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Requirement {
    pub id: String,
    pub rfc: String,
    pub section: String,
    pub level: String,
    pub subject: String,
    pub testable_over_http: String,
    pub area: String,
    pub summary: String,
}

/// The catalogue, embedded at build time.
pub fn all() -> &'static [Requirement] {
    static ALL: std::sync::OnceLock<Vec<Requirement>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        csv::Reader::from_reader(include_str!("../fixtures/rfc-requirements.csv").as_bytes())
            .deserialize()
            .collect::<Result<_, _>>()
            .expect("the embedded requirements catalogue parses")
    })
}

pub fn find(id: &str) -> Option<&'static Requirement> {
    all().iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn catalogue_parses_with_unique_ids() {
        let all = super::all();
        assert!(all.len() > 150);
        let mut ids: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
        assert_eq!(super::find("P-create-01").unwrap().level, "MUST");
    }
}
