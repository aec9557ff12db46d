//! The interop catalogue (`fixtures/interop-requirements.csv`): one row per normative
//! sentence of the draft, server and client rows apart, each naming the RFC rows it
//! narrows (`rfc_rows`). Its rows are requirements like the RFC's ([`Requirement`]), so
//! that `I-…` ids are valid wherever requirement ids are.

use serde::Deserialize;

use crate::requirements::{Basis, Requirement};
use crate::suite::Level;

/// The draft the rows come from, as citations name it.
pub const DRAFT: &str = "draft-zollner-scim-interop-profile-01";

/// One row of the interop catalogue.
#[derive(Debug, Clone)]
pub struct Rule {
    pub requirement: Requirement,
    /// The RFC rows the rule narrows or, for a conflict, overrides.
    pub rfc_rows: Vec<String>,
}

impl Rule {
    /// Whether the row binds the server (the others bind the client, here scimitar).
    pub fn binds_server(&self) -> bool {
        self.requirement.basis == Basis::Keyword
    }

    /// Whether a black box can check it (fully or in part).
    pub fn testable(&self) -> bool {
        self.requirement.testable_over_http != "no"
    }
}

/// A row as the CSV writes it.
#[derive(Deserialize)]
struct Row {
    id: String,
    section: String,
    keyword: String,
    level: Level,
    subject: String,
    testable_over_http: String,
    area: String,
    summary: String,
    rfc_rows: String,
    note: String,
}

impl From<Row> for Rule {
    fn from(r: Row) -> Self {
        let basis = if r.subject == "client" {
            Basis::Client
        } else {
            Basis::Keyword
        };
        Rule {
            rfc_rows: r
                .rfc_rows
                .split(';')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            requirement: Requirement {
                id: r.id,
                rfc: DRAFT.to_string(),
                section: r.section,
                lines: String::new(),
                keyword: r.keyword,
                basis,
                level: r.level,
                subject: r.subject,
                testable_over_http: r.testable_over_http,
                area: r.area,
                summary: r.summary,
                note: r.note,
            },
        }
    }
}

/// The catalogue, embedded at build time.
pub fn all() -> &'static [Rule] {
    static ALL: std::sync::OnceLock<Vec<Rule>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        csv::Reader::from_reader(
            crate::builtin::expect("fixtures/interop-requirements.csv").as_bytes(),
        )
        .deserialize::<Row>()
        .map(|r| r.map(Rule::from))
        .collect::<Result<_, _>>()
        .expect("the embedded interop catalogue parses")
    })
}

pub fn find(id: &str) -> Option<&'static Rule> {
    all().iter().find(|r| r.requirement.id == id)
}

/// The server MUST rows: those a claim of conformance stands on (draft §4).
pub fn server_musts() -> impl Iterator<Item = &'static Rule> {
    all()
        .iter()
        .filter(|r| r.binds_server() && r.requirement.level == Level::Must)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_the_drafts_86_rows_with_unique_ids() {
        let all = all();
        assert_eq!(all.len(), 86);
        let mut ids: Vec<&str> = all.iter().map(|r| r.requirement.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 86);
        assert_eq!(all.iter().filter(|r| r.binds_server()).count(), 61);
        assert_eq!(server_musts().count(), 52);
        assert!(all.iter().all(|r| r.requirement.id.starts_with("I-")));
    }

    #[test]
    fn rows_cite_the_drafts_section_with_a_link_and_name_real_rfc_rows() {
        let r = &find("I-patch-06").unwrap().requirement;
        assert_eq!(r.citation(), format!("{DRAFT} §6.5.1.1"));
        assert_eq!(
            r.url(),
            "https://datatracker.ietf.org/doc/html/draft-zollner-scim-interop-profile-01#section-6.5.1.1"
        );
        assert_eq!(
            crate::requirements::find("I-patch-06").unwrap().id,
            "I-patch-06"
        );
        assert_eq!(find("I-media-04").unwrap().requirement.basis, Basis::Client);
        for rule in all() {
            for id in &rule.rfc_rows {
                assert!(
                    id.starts_with("P-") || id.starts_with("C-"),
                    "{}: {id}",
                    rule.requirement.id
                );
                assert!(
                    crate::requirements::find(id).is_some(),
                    "{} names {id}",
                    rule.requirement.id
                );
            }
        }
    }
}
