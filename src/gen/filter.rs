//! Filters (RFC 7644 §3.4.2.2): random well-typed expressions over the User and Group
//! schemas with and/or/not and value filters, in the dialect the target speaks and over the
//! attributes it declares, and malformed ones.

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;

use super::*;
use crate::scim::filter::{CompareOp, Dialect, Operator, Structural};

/// What filters may use: all of RFC 7644, or a vendor's dialect; all of RFC 7643, or the
/// attributes the target declares.
#[derive(Debug, Clone)]
pub struct FilterSpace {
    dialect: Dialect,
    vocabulary: Vocabulary,
}

/// A string attribute and the pool its values come from.
struct Attr {
    name: &'static str,
    values: &'static [&'static str],
    /// Its values carry the run's prefix.
    prefixed: bool,
}

static USER_ATTRS: &[Attr] = &[
    Attr {
        name: "userName",
        values: NAMES,
        prefixed: true,
    },
    Attr {
        name: "displayName",
        values: WORDS,
        prefixed: false,
    },
    Attr {
        name: "name.givenName",
        values: WORDS,
        prefixed: false,
    },
    Attr {
        name: "name.familyName",
        values: WORDS,
        prefixed: false,
    },
    Attr {
        name: "title",
        values: WORDS,
        prefixed: false,
    },
    Attr {
        name: "externalId",
        values: EXTERNAL_IDS,
        prefixed: false,
    },
    Attr {
        name: "emails.value",
        values: EMAILS,
        prefixed: false,
    },
    Attr {
        name: "emails.type",
        values: EMAIL_TYPES,
        prefixed: false,
    },
];

static GROUP_ATTRS: &[Attr] = &[Attr {
    name: "displayName",
    values: WORDS,
    prefixed: true,
}];

const STRING_OPS: [CompareOp; 9] = [
    CompareOp::Eq,
    CompareOp::Ne,
    CompareOp::Co,
    CompareOp::Sw,
    CompareOp::Ew,
    CompareOp::Gt,
    CompareOp::Ge,
    CompareOp::Lt,
    CompareOp::Le,
];

fn quoted(s: &str) -> String {
    Value::from(s).to_string()
}

/// A comparison value for `op` drawn from `attr`'s pool: whole for eq and the orderings,
/// a piece for co/sw/ew.
fn operand(attr: &'static Attr, op: CompareOp) -> impl Strategy<Value = String> {
    (
        case_variant(attr.values),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
    )
        .prop_map(move |(v, a, b)| {
            let chars: Vec<char> = v.chars().collect();
            let (i, j) = (a.index(chars.len() + 1), b.index(chars.len() + 1));
            let (lo, hi) = (i.min(j), i.max(j));
            let piece = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
            let prefix = if attr.prefixed { PREFIX } else { "" };
            match op {
                CompareOp::Co => piece(lo, hi.max(lo + 1).min(chars.len())),
                CompareOp::Sw => format!("{prefix}{}", piece(0, hi)),
                CompareOp::Ew => piece(lo, chars.len()),
                _ => format!("{prefix}{v}"),
            }
        })
}

impl FilterSpace {
    pub fn new(dialect: &Dialect) -> Self {
        FilterSpace {
            dialect: dialect.clone(),
            vocabulary: Vocabulary::rfc(),
        }
    }

    /// The space narrowed to the attributes `vocabulary` declares.
    pub fn within(self, vocabulary: Vocabulary) -> Self {
        FilterSpace { vocabulary, ..self }
    }

    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    pub fn allows(&self, op: Operator) -> bool {
        self.dialect
            .operators
            .as_ref()
            .is_none_or(|o| o.contains(&op))
    }

    fn compares(&self) -> Vec<CompareOp> {
        STRING_OPS
            .into_iter()
            .filter(|op| self.allows(Operator::Compare(*op)))
            .collect()
    }

    /// An attribute name as a client may spell it: any case unless the dialect is
    /// case-sensitive, sometimes schema-qualified.
    fn spelled(&self, name: &'static str, schema: &'static str) -> BoxedStrategy<String> {
        let exact = self.dialect.case_exact_names;
        let urn = self.dialect.urn_names;
        (
            proptest::collection::vec(any::<bool>(), name.len()),
            any::<bool>(),
        )
            .prop_map(move |(flips, qualify)| {
                let mut n: String = if exact {
                    name.to_string()
                } else {
                    name.chars()
                        .zip(flips)
                        .map(|(c, f)| {
                            if f && c != '.' {
                                c.to_ascii_uppercase()
                            } else {
                                c
                            }
                        })
                        .collect()
                };
                if urn && qualify {
                    n = format!("{schema}:{n}");
                }
                n
            })
            .boxed()
    }

    fn leaves(
        &self,
        attrs: &'static [Attr],
        endpoint: &str,
        schema: &'static str,
    ) -> Vec<BoxedStrategy<String>> {
        let mut leaves = Vec::new();
        for attr in attrs
            .iter()
            .filter(|a| self.vocabulary.has(endpoint, a.name))
        {
            for op in self.compares() {
                leaves.push(
                    (self.spelled(attr.name, schema), operand(attr, op))
                        .prop_map(move |(n, v)| format!("{n} {} {}", op.as_str(), quoted(&v)))
                        .boxed(),
                );
            }
            if self.allows(Operator::Other(Structural::Pr)) {
                leaves.push(
                    self.spelled(attr.name, schema)
                        .prop_map(|n| format!("{n} pr"))
                        .boxed(),
                );
            }
        }
        leaves
    }

    /// User filters: comparisons, presence, `active`, value filters on emails, combined;
    /// none when the target declares nothing they could name.
    pub fn users(&self) -> Option<BoxedStrategy<String>> {
        let declares = |path| self.vocabulary.has("Users", path);
        let mut leaves = self.leaves(USER_ATTRS, "Users", USER_SCHEMA);
        if self.allows(Operator::Compare(CompareOp::Eq)) && declares("active") {
            leaves.push(any::<bool>().prop_map(|b| format!("active eq {b}")).boxed());
        }
        if self.allows(Operator::Other(Structural::ValueFilter))
            && self.allows(Operator::Other(Structural::And))
            && self.allows(Operator::Compare(CompareOp::Eq))
            && self.allows(Operator::Compare(CompareOp::Co))
            && declares("emails.type")
            && declares("emails.value")
        {
            leaves.push(
                (pool(EMAIL_TYPES), operand(&USER_ATTRS[6], CompareOp::Co))
                    .prop_map(|(t, v)| {
                        format!("emails[type eq {} and value co {}]", quoted(&t), quoted(&v))
                    })
                    .boxed(),
            );
        }
        self.combined(leaves)
    }

    pub fn groups(&self) -> Option<BoxedStrategy<String>> {
        self.combined(self.leaves(GROUP_ATTRS, "Groups", GROUP_SCHEMA))
    }

    fn combined(&self, leaves: Vec<BoxedStrategy<String>>) -> Option<BoxedStrategy<String>> {
        if leaves.is_empty() {
            return None;
        }
        let leaf = proptest::strategy::Union::new(leaves).boxed();
        let words: Vec<&'static str> = [
            (Structural::And, "and"),
            (Structural::Or, "or"),
            (Structural::Not, "not"),
        ]
        .into_iter()
        .filter(|(s, _)| self.allows(Operator::Other(*s)))
        .map(|(_, w)| w)
        .collect();
        if words.is_empty() {
            return Some(leaf);
        }
        Some(
            leaf.prop_recursive(3, 8, 2, move |inner| {
                (select(words.clone()), inner.clone(), inner).prop_map(|(w, a, b)| match w {
                    "not" => format!("not ({a})"),
                    w => format!("({a}) {w} ({b})"),
                })
            })
            .boxed(),
        )
    }

    /// `filter` narrowed to the resources whose `attr` starts with the run's prefix, when
    /// the dialect can say so.
    pub fn scoped(&self, attr: &str, filter: &str) -> Option<String> {
        (self.allows(Operator::Compare(CompareOp::Sw))
            && self.allows(Operator::Other(Structural::And)))
        .then(|| format!("{attr} sw \"{PREFIX}\" and ({filter})"))
    }
}

/// Filters no server may accept: RFC 7644 §3.4.2.2 asks for 400 `invalidFilter`.
pub fn invalid_filter() -> impl Strategy<Value = String> {
    select(
        &[
            "userName eq",
            "(userName eq \"a\"",
            "userName zz \"a\"",
            "userName eq \"unterminated",
            "and userName eq \"a\"",
            "emails[type eq \"work\"",
            "userName eq \"a\" or",
            "not userName eq \"a\"",
        ][..],
    )
    .prop_map(str::to_string)
}

/// `userName eq` a name under the run's prefix: the one list filter that stays within a
/// run in a dialect with neither `sw` nor `and`.
pub fn user_name_filter() -> impl Strategy<Value = String> {
    super::resource::user_name().prop_map(|n| format!("userName eq {}", quoted(&n)))
}
