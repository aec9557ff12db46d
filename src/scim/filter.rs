//! SCIM filter expressions (RFC 7644 §3.4.2.2): parse, print and evaluate.
//!
//! One grammar serves list filters and PATCH paths (`emails[type eq "work"].value`), so the
//! server, the fuzz model and the generators agree on every corner of it.

use std::fmt;

use serde_json::Value;

use super::schema::split_urn;

mod dialect;
mod eval;
mod fault;

pub use dialect::{Dialect, Operator, Structural};
pub use eval::{Attributes, Matcher};
pub use fault::{Fault, Faults};

/// An attribute path: `[urn:]attr[.sub]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub attr: String,
    pub sub: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    const ALL: [(CompareOp, &'static str); 9] = [
        (CompareOp::Eq, "eq"),
        (CompareOp::Ne, "ne"),
        (CompareOp::Co, "co"),
        (CompareOp::Sw, "sw"),
        (CompareOp::Ew, "ew"),
        (CompareOp::Gt, "gt"),
        (CompareOp::Ge, "ge"),
        (CompareOp::Lt, "lt"),
        (CompareOp::Le, "le"),
    ];

    fn from_word(word: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, w)| w.eq_ignore_ascii_case(word))
            .map(|(op, _)| *op)
    }

    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(op, _)| *op == self).unwrap().1
    }

    fn is_ordering(self) -> bool {
        matches!(
            self,
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: Value,
    },
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `attr[filter]`: matches when one value of `attr` satisfies the inner filter, whose
    /// paths are relative to that value.
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
    },
}

/// A PATCH operation path (RFC 7644 §3.5.2): `attrPath` or `valuePath[.subAttr]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// For a plain path, the attribute and its optional sub-attribute; with a value filter,
    /// `path.sub` is the sub-attribute after the closing bracket.
    pub path: AttrPath,
    pub filter: Option<Filter>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub message: String,
    /// Byte offset in the expression where the problem was found.
    pub at: usize,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at offset {})", self.message, self.at)
    }
}

impl std::error::Error for FilterError {}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    LBracket,
    RBracket,
    Word(String),
    Str(String),
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    peeked: Option<(Tok, usize)>,
    /// Open groups (`(` and `not (`), bounded so that no filter exhausts the stack.
    depth: usize,
    /// How a faulty server misreads the filter; none by default.
    faults: Faults,
}

/// The deepest nesting of groups a filter may have; real filters stay far below it.
const MAX_NESTING: usize = 32;

impl<'a> Lexer<'a> {
    fn new(src: &'a str, faults: Faults) -> Self {
        Lexer {
            src,
            pos: 0,
            peeked: None,
            depth: 0,
            faults,
        }
    }

    /// Whether `word` is the keyword `kw` (in any case, unless lower case is all it knows).
    fn is_keyword(&self, word: &str, kw: &str) -> bool {
        if self.faults.has(Fault::LowerCaseOperators) {
            word == kw
        } else {
            word.eq_ignore_ascii_case(kw)
        }
    }

    fn err<T>(&self, at: usize, message: impl Into<String>) -> Result<T, FilterError> {
        Err(FilterError {
            message: message.into(),
            at,
        })
    }

    fn peek(&mut self) -> Result<Option<&(Tok, usize)>, FilterError> {
        if self.peeked.is_none() {
            self.peeked = self.lex()?;
        }
        Ok(self.peeked.as_ref())
    }

    fn next(&mut self) -> Result<Option<(Tok, usize)>, FilterError> {
        match self.peeked.take() {
            Some(t) => Ok(Some(t)),
            None => self.lex(),
        }
    }

    fn lex(&mut self) -> Result<Option<(Tok, usize)>, FilterError> {
        let rest = &self.src[self.pos..];
        let trimmed = if self.faults.has(Fault::GroupsIgnored) {
            rest.trim_start_matches(|c: char| c.is_whitespace() || c == '(' || c == ')')
        } else {
            rest.trim_start()
        };
        self.pos += rest.len() - trimmed.len();
        let start = self.pos;
        let Some(c) = trimmed.chars().next() else {
            return Ok(None);
        };
        let tok = match c {
            '(' => Tok::Open,
            ')' => Tok::Close,
            '[' => Tok::LBracket,
            ']' => Tok::RBracket,
            '"' => {
                let mut de = serde_json::Deserializer::from_str(trimmed).into_iter::<String>();
                match de.next() {
                    Some(Ok(s)) => {
                        self.pos += de.byte_offset();
                        return Ok(Some((Tok::Str(s), start)));
                    }
                    _ => return self.err(start, "unterminated or invalid string literal"),
                }
            }
            _ => {
                let len = trimmed
                    .find(|c: char| c.is_whitespace() || "()[]\"".contains(c))
                    .unwrap_or(trimmed.len());
                self.pos += len;
                return Ok(Some((Tok::Word(trimmed[..len].to_string()), start)));
            }
        };
        self.pos += 1;
        Ok(Some((tok, start)))
    }
}

/// Parses a filter expression.
pub fn parse(src: &str) -> Result<Filter, FilterError> {
    parse_faulty(src, Faults::default())
}

/// Parses a filter expression as a server with `faults` reads it.
pub fn parse_faulty(src: &str, faults: Faults) -> Result<Filter, FilterError> {
    let mut lx = Lexer::new(src, faults);
    let f = parse_or(&mut lx, false)?;
    match lx.next()? {
        None => Ok(f),
        Some((t, at)) => lx.err(
            at,
            format!("unexpected {} after a complete filter", describe(&t)),
        ),
    }
}

/// Parses a PATCH path such as `members[value eq "2819c223"]` or `name.familyName`.
pub fn parse_patch_path(src: &str) -> Result<PatchPath, FilterError> {
    let mut lx = Lexer::new(src, Faults::default());
    let (word, at) = match lx.next()? {
        Some((Tok::Word(w), at)) => (w, at),
        Some((t, at)) => {
            return lx.err(
                at,
                format!("expected an attribute path, found {}", describe(&t)),
            );
        }
        None => return lx.err(0, "empty path"),
    };
    let mut path = parse_attr_path(&word, at)?;
    let mut filter = None;
    if let Some((Tok::LBracket, _)) = lx.peek()? {
        lx.next()?;
        if path.sub.is_some() {
            return lx.err(
                at,
                "a value filter applies to an attribute, not a sub-attribute",
            );
        }
        filter = Some(parse_or(&mut lx, true)?);
        expect(&mut lx, Tok::RBracket)?;
        if let Some((tok, at)) = lx.next()? {
            match tok {
                Tok::Word(w) if w.len() > 1 && w.starts_with('.') && valid_name(&w[1..]) => {
                    path.sub = Some(w[1..].to_string());
                }
                t => {
                    return lx.err(
                        at,
                        format!("expected `.subAttribute` after `]`, found {}", describe(&t)),
                    );
                }
            }
        }
    }
    match lx.next()? {
        None => Ok(PatchPath { path, filter }),
        Some((t, at)) => lx.err(at, format!("unexpected {} in path", describe(&t))),
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Open => "`(`".into(),
        Tok::Close => "`)`".into(),
        Tok::LBracket => "`[`".into(),
        Tok::RBracket => "`]`".into(),
        Tok::Word(w) => format!("`{w}`"),
        Tok::Str(s) => format!("string {s:?}"),
    }
}

fn expect(lx: &mut Lexer, want: Tok) -> Result<(), FilterError> {
    match lx.next()? {
        Some((t, _)) if t == want => Ok(()),
        Some((t, at)) => lx.err(
            at,
            format!("expected {}, found {}", describe(&want), describe(&t)),
        ),
        None => lx.err(
            lx.src.len(),
            format!("expected {}, found the end", describe(&want)),
        ),
    }
}

fn peek_keyword(lx: &mut Lexer, kw: &str) -> Result<bool, FilterError> {
    let word = match lx.peek()? {
        Some((Tok::Word(w), _)) => w.clone(),
        _ => return Ok(false),
    };
    Ok(lx.is_keyword(&word, kw))
}

fn parse_or(lx: &mut Lexer, inner: bool) -> Result<Filter, FilterError> {
    if lx.faults.has(Fault::LeftToRight) {
        return parse_left_to_right(lx, inner);
    }
    let mut left = parse_and(lx, inner)?;
    while peek_keyword(lx, "or")? {
        lx.next()?;
        let right = parse_and(lx, inner)?;
        left = Filter::Or(Box::new(left), Box::new(right));
    }
    Ok(left)
}

/// `and` and `or` at one precedence, grouped from the left (fault [`Fault::LeftToRight`]).
fn parse_left_to_right(lx: &mut Lexer, inner: bool) -> Result<Filter, FilterError> {
    let mut left = parse_unary(lx, inner)?;
    loop {
        let and = peek_keyword(lx, "and")?;
        if !and && !peek_keyword(lx, "or")? {
            return Ok(left);
        }
        lx.next()?;
        let right = Box::new(parse_unary(lx, inner)?);
        left = if and {
            Filter::And(Box::new(left), right)
        } else {
            Filter::Or(Box::new(left), right)
        };
    }
}

fn parse_and(lx: &mut Lexer, inner: bool) -> Result<Filter, FilterError> {
    let mut left = parse_unary(lx, inner)?;
    while peek_keyword(lx, "and")? {
        lx.next()?;
        let right = parse_unary(lx, inner)?;
        left = Filter::And(Box::new(left), Box::new(right));
    }
    Ok(left)
}

/// The filter inside a group whose `(` was just read, and its `)`.
fn group(lx: &mut Lexer, inner: bool, at: usize) -> Result<Filter, FilterError> {
    if lx.depth == MAX_NESTING {
        return lx.err(at, format!("groups nest deeper than {MAX_NESTING}"));
    }
    lx.depth += 1;
    let f = parse_or(lx, inner)?;
    expect(lx, Tok::Close)?;
    lx.depth -= 1;
    Ok(f)
}

fn parse_unary(lx: &mut Lexer, inner: bool) -> Result<Filter, FilterError> {
    let Some((tok, at)) = lx.next()? else {
        return lx.err(lx.src.len(), "expected a filter, found the end");
    };
    match tok {
        Tok::Open => group(lx, inner, at),
        Tok::Word(w) if lx.is_keyword(&w, "not") => {
            if lx.faults.has(Fault::GroupsIgnored) {
                return Ok(Filter::Not(Box::new(parse_unary(lx, inner)?)));
            }
            // `not (` with or without a space (RFC errata 7319).
            expect(lx, Tok::Open)?;
            Ok(Filter::Not(Box::new(group(lx, inner, at)?)))
        }
        Tok::Word(w) => {
            let path = parse_attr_path(&w, at)?;
            if let Some((Tok::LBracket, at)) = lx.peek()? {
                let at = *at;
                if inner {
                    return lx.err(at, "value filters cannot be nested");
                }
                if path.sub.is_some() {
                    return lx.err(
                        at,
                        "a value filter applies to an attribute, not a sub-attribute",
                    );
                }
                lx.next()?;
                let filter = parse_or(lx, true)?;
                expect(lx, Tok::RBracket)?;
                return Ok(Filter::ValuePath {
                    path,
                    filter: Box::new(filter),
                });
            }
            let (op_word, op_at) = match lx.next()? {
                Some((Tok::Word(op), at)) => (op, at),
                Some((t, at)) => {
                    return lx.err(
                        at,
                        format!("expected an operator after `{w}`, found {}", describe(&t)),
                    );
                }
                None => return lx.err(lx.src.len(), format!("expected an operator after `{w}`")),
            };
            if lx.is_keyword(&op_word, "pr") {
                return Ok(Filter::Present(path));
            }
            let Some(op) =
                CompareOp::from_word(&op_word).filter(|op| lx.is_keyword(&op_word, op.as_str()))
            else {
                return lx.err(op_at, format!("unknown operator `{op_word}`"));
            };
            let value = match lx.next()? {
                Some((Tok::Str(s), _)) => Value::String(s),
                Some((Tok::Word(v), at)) => parse_literal(&v).ok_or(FilterError {
                    message: format!("`{v}` is not a value: expected a quoted string, true, false, null or a number"),
                    at,
                })?,
                Some((t, at)) => return lx.err(at, format!("expected a value, found {}", describe(&t))),
                None => return lx.err(lx.src.len(), format!("expected a value after `{op_word}`")),
            };
            Ok(Filter::Compare { path, op, value })
        }
        t => lx.err(at, format!("expected a filter, found {}", describe(&t))),
    }
}

fn parse_literal(word: &str) -> Option<Value> {
    match word {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        "null" => Some(Value::Null),
        _ => serde_json::from_str::<serde_json::Number>(word)
            .ok()
            .map(Value::Number),
    }
}

fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn parse_attr_path(word: &str, at: usize) -> Result<AttrPath, FilterError> {
    let (urn, rest) = split_urn(word);
    let (attr, sub) = match rest.split_once('.') {
        Some((a, s)) => (a, Some(s)),
        None => (rest, None),
    };
    let bad = |what: &str| FilterError {
        message: format!("`{word}` is not a valid {what}"),
        at,
    };
    if !valid_name(attr) {
        return Err(bad("attribute name"));
    }
    if let Some(s) = sub
        && !valid_name(s)
    {
        return Err(bad("sub-attribute name"));
    }
    Ok(AttrPath {
        urn: urn.map(str::to_string),
        attr: attr.to_string(),
        sub: sub.map(str::to_string),
    })
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        write!(f, "{}", self.attr)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Parenthesise a child that binds looser than its parent, and a right child of the
        // same operator, since the parser groups `a and b and c` from the left.
        let child = |f: &mut fmt::Formatter<'_>, c: &Filter, parens: bool| {
            if parens {
                write!(f, "({c})")
            } else {
                write!(f, "{c}")
            }
        };
        match self {
            Filter::Compare { path, op, value } => write!(f, "{path} {} {value}", op.as_str()),
            Filter::Present(path) => write!(f, "{path} pr"),
            Filter::And(a, b) => {
                child(f, a, matches!(**a, Filter::Or(..)))?;
                write!(f, " and ")?;
                child(f, b, matches!(**b, Filter::Or(..) | Filter::And(..)))
            }
            Filter::Or(a, b) => {
                child(f, a, false)?;
                write!(f, " or ")?;
                child(f, b, matches!(**b, Filter::Or(..)))
            }
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::ValuePath { path, filter } => write!(f, "{path}[{filter}]"),
        }
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.filter {
            None => write!(f, "{}", self.path),
            Some(filter) => {
                let base = AttrPath {
                    sub: None,
                    ..self.path.clone()
                };
                write!(f, "{base}[{filter}]")?;
                if let Some(sub) = &self.path.sub {
                    write!(f, ".{sub}")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests;
