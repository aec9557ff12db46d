//! The requirement catalogue (`fixtures/rfc-requirements.csv`): one row per server rule of
//! RFC 7643/7644 (and RFC 9865), each checked against the RFC text, with the stable id that
//! suites, defects and reports share, the lines of its sentence, the keyword as written and
//! the basis its level rests on. The interop profile's rows (`I-…`) are found here too.

use std::fmt;

use serde::Deserialize;

use crate::suite::Level;

#[derive(Debug, Clone, Deserialize)]
pub struct Requirement {
    pub id: String,
    pub rfc: String,
    pub section: String,
    /// The line range of the sentence in the RFC's plain text (`1990-1992`), where known.
    pub lines: String,
    /// The BCP 14 keyword as the sentence writes it, or `none`/`lowercase …`.
    pub keyword: String,
    pub basis: Basis,
    pub level: Level,
    pub subject: String,
    pub testable_over_http: String,
    pub area: String,
    pub summary: String,
    /// Why the level is what it is, and what else a server may do.
    pub note: String,
}

/// Where a row's level comes from (see `../shared/README.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// A BCP 14 keyword in the sentence binds the server.
    Keyword,
    /// A plain statement of what the protocol does.
    Defined,
    /// A status code from RFC 7644 §3.12's tables, introduced with a SHOULD.
    Table,
    /// Shown only in an example.
    Example,
    /// Not stated in the RFCs at all: interoperability advice only.
    Absent,
    /// The sentence binds the client; a server may accept or refuse such a request.
    Client,
}

impl Basis {
    pub const ALL: [Basis; 6] = [
        Basis::Keyword,
        Basis::Defined,
        Basis::Table,
        Basis::Example,
        Basis::Absent,
        Basis::Client,
    ];

    /// Whether a server can break a row of this basis at all: `client` and `absent` rows
    /// are advice, never a failure.
    pub fn binds_server(self) -> bool {
        !matches!(self, Basis::Absent | Basis::Client)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Keyword => "keyword",
            Basis::Defined => "defined",
            Basis::Table => "table",
            Basis::Example => "example",
            Basis::Absent => "absent",
            Basis::Client => "client",
        }
    }
}

impl fmt::Display for Basis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Requirement {
    /// `RFC 7644 §3.5.2.1 lines 1990-1992`.
    pub fn citation(&self) -> String {
        let lines = if self.lines.is_empty() {
            String::new()
        } else {
            format!(" lines {}", self.lines)
        };
        format!("{} §{}{lines}", self.rfc, self.section)
    }

    /// `MUST, RFC 7644 §3.5.2.1 lines 1990-1992, defined: add appends …`: what a failure
    /// message says of the rule it breaks.
    pub fn basis_line(&self) -> String {
        format!(
            "{}, {}, {}: {}",
            self.level,
            self.citation(),
            self.basis,
            self.summary
        )
    }

    /// The section on the RFC Editor's site, or on the IETF datatracker for a draft's row.
    pub fn url(&self) -> String {
        if self.rfc.starts_with("draft-") {
            return format!(
                "https://datatracker.ietf.org/doc/html/{}#section-{}",
                self.rfc, self.section
            );
        }
        let number: String = self.rfc.chars().filter(char::is_ascii_digit).collect();
        format!(
            "https://www.rfc-editor.org/rfc/rfc{number}#section-{}",
            self.section
        )
    }
}

/// The catalogue, embedded at build time.
pub fn all() -> &'static [Requirement] {
    static ALL: std::sync::OnceLock<Vec<Requirement>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        csv::Reader::from_reader(crate::builtin::expect("fixtures/rfc-requirements.csv").as_bytes())
            .deserialize()
            .collect::<Result<_, _>>()
            .expect("the embedded requirements catalogue parses")
    })
}

/// A row of the RFC catalogue, or of the interop profile's (`I-…`, [`crate::interop`]).
pub fn find(id: &str) -> Option<&'static Requirement> {
    all()
        .iter()
        .find(|r| r.id == id)
        .or_else(|| crate::interop::catalogue::find(id).map(|rule| &rule.requirement))
}

/// The rows `ids` name that exist.
pub fn rows<'a>(ids: &'a [String]) -> impl Iterator<Item = &'static Requirement> + 'a {
    ids.iter().filter_map(|id| find(id))
}

/// The highest level among the rows, None when no row is cited.
pub fn highest(ids: &[String]) -> Option<Level> {
    rows(ids).map(|r| r.level).max_by_key(|l| l.strictness())
}

/// Whether a case citing `ids` rests only on rows no server can break (`client`, `absent`):
/// then its failure is advice.
pub fn advice_only(ids: &[String]) -> bool {
    let mut cited = rows(ids).peekable();
    cited.peek().is_some() && cited.all(|r| !r.basis.binds_server())
}

/// The rows a case at `level` citing `ids` holds a server to: those at its level that bind
/// the server, else every row it cites.
pub fn binding(ids: &[String], level: Level) -> Vec<&'static Requirement> {
    let at: Vec<_> = rows(ids)
        .filter(|r| r.level == level && r.basis.binds_server())
        .collect();
    if at.is_empty() {
        rows(ids).collect()
    } else {
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_parses_with_unique_ids_lines_and_bases() {
        let all = super::all();
        assert!(all.len() > 150);
        let mut ids: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
        let row = find("P-create-01").unwrap();
        assert_eq!(row.level, Level::Must);
        assert_eq!(row.basis, Basis::Keyword);
        assert_eq!(row.citation(), "RFC 7644 §3.3 lines 601-602");
        assert_eq!(
            row.url(),
            "https://www.rfc-editor.org/rfc/rfc7644#section-3.3"
        );
        assert!(
            row.basis_line()
                .starts_with("MUST, RFC 7644 §3.3 lines 601-602, keyword: ")
        );
    }

    #[test]
    fn client_and_absent_rows_are_advice_and_others_are_not() {
        let client = all().iter().find(|r| r.basis == Basis::Client).unwrap();
        let absent = all().iter().find(|r| r.basis == Basis::Absent).unwrap();
        let keyword = find("P-create-01").unwrap();
        assert!(advice_only(&[client.id.clone(), absent.id.clone()]));
        assert!(!advice_only(&[client.id.clone(), keyword.id.clone()]));
        assert!(!advice_only(&[]));
        assert_eq!(
            highest(&[client.id.clone(), keyword.id.clone()]),
            Some(Level::Must)
        );
        let held: Vec<&str> = binding(&[client.id.clone(), keyword.id.clone()], Level::Must)
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(held, [keyword.id.as_str()]);
    }
}
