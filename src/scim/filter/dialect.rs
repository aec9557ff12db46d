//! The filter rules a server follows: RFC 7644 §3.4.2.2 in full by default, or a vendor's
//! narrower dialect, declared in a profile (New Relic: only `eq`, case-sensitive names and
//! values, no schema-qualified names).

use serde::Deserialize;

use super::{CompareOp, Faults, Filter, FilterError};

/// The operators a dialect may leave out: the comparisons, and the rest of the grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Operator {
    Compare(CompareOp),
    Other(Structural),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Structural {
    Pr,
    And,
    Or,
    Not,
    /// Complex attribute value filters, `emails[type eq "work"]`.
    #[serde(rename = "[]")]
    ValueFilter,
}

impl Operator {
    fn word(self) -> &'static str {
        match self {
            Operator::Compare(op) => op.as_str(),
            Operator::Other(Structural::Pr) => "pr",
            Operator::Other(Structural::And) => "and",
            Operator::Other(Structural::Or) => "or",
            Operator::Other(Structural::Not) => "not",
            Operator::Other(Structural::ValueFilter) => "[...] (a value filter)",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dialect {
    /// The operators understood; absent means all of them.
    #[serde(default)]
    pub operators: Option<Vec<Operator>>,
    /// Attribute names match only in their schema's spelling (RFC: case-insensitive).
    #[serde(default)]
    pub case_exact_names: bool,
    /// Strings compare case-sensitively even where the schema says caseExact false.
    #[serde(default)]
    pub case_exact_values: bool,
    /// Whether names may carry their schema URN (`urn:...:User:userName`).
    #[serde(default = "yes")]
    pub urn_names: bool,
    /// The attributes a filter may compare (`emails.value`); absent means all of them.
    /// RFC 7644 Table 9 lets a server refuse "the specified attribute and filter comparison
    /// combination" it does not support.
    #[serde(default)]
    pub attributes: Option<Vec<String>>,
    /// How a faulty server misreads filters: set by the bundled server's defect switches,
    /// never by a profile.
    #[serde(skip)]
    pub faults: Faults,
}

fn yes() -> bool {
    true
}

impl Default for Dialect {
    /// RFC 7644 in full.
    fn default() -> Self {
        Dialect {
            operators: None,
            case_exact_names: false,
            case_exact_values: false,
            urn_names: true,
            attributes: None,
            faults: Faults::default(),
        }
    }
}

impl Dialect {
    /// Rejects what this dialect does not understand, as the server answers it: 400
    /// `invalidFilter`.
    pub fn check(&self, f: &Filter) -> Result<(), FilterError> {
        let (op, path) = match f {
            Filter::Compare { path, op, .. } => (Operator::Compare(*op), Some(path)),
            Filter::Present(path) => (Operator::Other(Structural::Pr), Some(path)),
            Filter::And(a, b) | Filter::Or(a, b) => {
                self.check(a)?;
                self.check(b)?;
                (
                    if matches!(f, Filter::And(..)) {
                        Operator::Other(Structural::And)
                    } else {
                        Operator::Other(Structural::Or)
                    },
                    None,
                )
            }
            Filter::Not(a) => {
                self.check(a)?;
                (Operator::Other(Structural::Not), None)
            }
            Filter::ValuePath { path, filter } => {
                self.check(filter)?;
                (Operator::Other(Structural::ValueFilter), Some(path))
            }
        };
        if let Some(allowed) = &self.operators
            && !allowed.contains(&op)
        {
            return Err(FilterError {
                message: format!("the operator `{}` is not supported", op.word()),
                at: 0,
            });
        }
        if let (Some(allowed), Some(p)) = (&self.attributes, path) {
            let name = match &p.sub {
                Some(sub) => format!("{}.{sub}", p.attr),
                None => p.attr.clone(),
            };
            if !allowed.iter().any(|a| a.eq_ignore_ascii_case(&name)) {
                return Err(FilterError {
                    message: format!("filtering on `{name}` is not supported"),
                    at: 0,
                });
            }
        }
        if !self.urn_names
            && let Some(urn) = path.and_then(|p| p.urn.as_ref())
        {
            return Err(FilterError {
                message: format!("schema-qualified attribute names ({urn}:...) are not supported"),
                at: 0,
            });
        }
        Ok(())
    }
}
