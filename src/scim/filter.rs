//! SCIM filter expressions (RFC 7644 §3.4.2.2): parse, print and evaluate.
//!
//! One grammar serves list filters and PATCH paths (`emails[type eq "work"].value`), so the
//! server, the fuzz model and the generators agree on every corner of it.

use std::fmt;

use serde_json::{Map, Value};

use super::schema::{AttrType, Attribute, split_urn};
use super::value::{self, get_ci, get_ci_map};

/// An attribute path: `[urn:]attr[.sub]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub attr: String,
    pub sub: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Lexer {
            src,
            pos: 0,
            peeked: None,
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
        let trimmed = rest.trim_start();
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
    let mut lx = Lexer::new(src);
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
    let mut lx = Lexer::new(src);
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
    Ok(matches!(lx.peek()?, Some((Tok::Word(w), _)) if w.eq_ignore_ascii_case(kw)))
}

fn parse_or(lx: &mut Lexer, inner: bool) -> Result<Filter, FilterError> {
    let mut left = parse_and(lx, inner)?;
    while peek_keyword(lx, "or")? {
        lx.next()?;
        let right = parse_and(lx, inner)?;
        left = Filter::Or(Box::new(left), Box::new(right));
    }
    Ok(left)
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

fn parse_unary(lx: &mut Lexer, inner: bool) -> Result<Filter, FilterError> {
    let Some((tok, at)) = lx.next()? else {
        return lx.err(lx.src.len(), "expected a filter, found the end");
    };
    match tok {
        Tok::Open => {
            let f = parse_or(lx, inner)?;
            expect(lx, Tok::Close)?;
            Ok(f)
        }
        Tok::Word(w) if w.eq_ignore_ascii_case("not") => {
            // `not (` with or without a space (RFC errata 7319).
            expect(lx, Tok::Open)?;
            let f = parse_or(lx, inner)?;
            expect(lx, Tok::Close)?;
            Ok(Filter::Not(Box::new(f)))
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
            if op_word.eq_ignore_ascii_case("pr") {
                return Ok(Filter::Present(path));
            }
            let Some(op) = CompareOp::from_word(&op_word) else {
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

/// What evaluation needs to know of the attributes a filter names.
pub trait Attributes {
    /// The definition of a top-level attribute (URN-qualified or not).
    fn top(&self, urn: Option<&str>, attr: &str) -> Option<&Attribute>;
}

/// Evaluates a filter against one resource. Errors are `invalidFilter` conditions that depend
/// on the schema (an ordering operator on a boolean, a value filter on a simple attribute).
pub fn matches(
    f: &Filter,
    resource: &Map<String, Value>,
    attrs: &dyn Attributes,
) -> Result<bool, FilterError> {
    Ok(match f {
        Filter::And(a, b) => matches(a, resource, attrs)? && matches(b, resource, attrs)?,
        Filter::Or(a, b) => matches(a, resource, attrs)? || matches(b, resource, attrs)?,
        Filter::Not(a) => !matches(a, resource, attrs)?,
        Filter::Present(path) => select(path, resource, attrs)
            .1
            .iter()
            .any(|v| !value::is_unassigned(v)),
        Filter::Compare { path, op, value } => {
            let (def, values) = select(path, resource, attrs);
            compare_any(def, &values, *op, value)?
        }
        Filter::ValuePath { path, filter } => {
            let Some(def) = attrs.top(path.urn.as_deref(), &path.attr) else {
                return Ok(false);
            };
            if def.kind != AttrType::Complex {
                return Err(FilterError {
                    message: format!(
                        "`{}` is not complex: a value filter needs sub-attributes",
                        path.attr
                    ),
                    at: 0,
                });
            }
            let elements = match container(path, resource).and_then(|c| get_ci_map(c, &path.attr)) {
                Some(Value::Array(items)) => items.iter().collect(),
                Some(v @ Value::Object(_)) => vec![v],
                _ => vec![],
            };
            let mut any = false;
            for element in elements {
                if matches_element(filter, element, def)? {
                    any = true;
                }
            }
            any
        }
    })
}

/// Evaluates a value filter's inner expression against one value of a complex attribute.
pub fn matches_element(
    f: &Filter,
    element: &Value,
    parent: &Attribute,
) -> Result<bool, FilterError> {
    Ok(match f {
        Filter::And(a, b) => {
            matches_element(a, element, parent)? && matches_element(b, element, parent)?
        }
        Filter::Or(a, b) => {
            matches_element(a, element, parent)? || matches_element(b, element, parent)?
        }
        Filter::Not(a) => !matches_element(a, element, parent)?,
        Filter::Present(path) => {
            get_ci(element, &path.attr).is_some_and(|v| !value::is_unassigned(v))
        }
        Filter::Compare { path, op, value } => {
            let def = parent.sub(&path.attr);
            let values: Vec<&Value> = get_ci(element, &path.attr).into_iter().collect();
            compare_any(def, &values, *op, value)?
        }
        Filter::ValuePath { .. } => {
            return Err(FilterError {
                message: "value filters cannot be nested".into(),
                at: 0,
            });
        }
    })
}

/// The object holding a path's top-level attribute: the resource, or its extension object.
/// A URN that names the base schema (`urn:...:core:2.0:User:userName`) means the resource.
fn container<'v>(
    path: &AttrPath,
    resource: &'v Map<String, Value>,
) -> Option<&'v Map<String, Value>> {
    match &path.urn {
        Some(urn) => match get_ci_map(resource, urn) {
            Some(ext) => ext.as_object(),
            None => Some(resource),
        },
        None => Some(resource),
    }
}

/// The definition and the leaf values a path selects in a resource. A complex attribute named
/// without a sub-attribute stands for its `value` sub-attribute, as RFC 7644 §3.4.2.2 allows
/// (`emails co "example.com"`).
fn select<'v, 'a>(
    path: &AttrPath,
    resource: &'v Map<String, Value>,
    attrs: &'a dyn Attributes,
) -> (Option<&'a Attribute>, Vec<&'v Value>) {
    let top_def = attrs.top(path.urn.as_deref(), &path.attr);
    let top = container(path, resource).and_then(|c| get_ci_map(c, &path.attr));
    let sub = path.sub.as_deref().or_else(|| {
        top_def
            .filter(|d| d.kind == AttrType::Complex && d.multi_valued)
            .map(|_| "value")
    });
    let Some(top) = top else {
        return (
            top_def.and_then(|d| sub.map_or(Some(d), |s| d.sub(s))),
            vec![],
        );
    };
    let mut out = Vec::new();
    let mut push = |v: &'v Value| match v {
        Value::Array(items) => out.extend(items.iter()),
        v => out.push(v),
    };
    match sub {
        None => push(top),
        Some(sub) => match top {
            Value::Array(items) => items
                .iter()
                .filter_map(|i| get_ci(i, sub))
                .for_each(&mut push),
            v => get_ci(v, sub).into_iter().for_each(&mut push),
        },
    }
    let def = match sub {
        Some(s) => top_def.and_then(|d| d.sub(s)),
        None => top_def,
    };
    (def, out)
}

fn compare_any(
    def: Option<&Attribute>,
    values: &[&Value],
    op: CompareOp,
    operand: &Value,
) -> Result<bool, FilterError> {
    let kind = def.map(|d| d.kind);
    if op.is_ordering() && matches!(kind, Some(AttrType::Boolean | AttrType::Binary)) {
        return Err(FilterError {
            message: format!(
                "`{}` cannot be used on a boolean or binary attribute",
                op.as_str()
            ),
            at: 0,
        });
    }
    let case_exact = def.is_some_and(|d| d.case_exact);
    let date = kind == Some(AttrType::DateTime);
    if op == CompareOp::Ne {
        // `ne` holds when no value equals the operand (an absent attribute is not equal).
        return Ok(!values
            .iter()
            .any(|v| compare(v, CompareOp::Eq, operand, case_exact, date)));
    }
    if operand.is_null() && op == CompareOp::Eq {
        return Ok(values.iter().all(|v| value::is_unassigned(v)));
    }
    Ok(values
        .iter()
        .any(|v| compare(v, op, operand, case_exact, date)))
}

fn compare(v: &Value, op: CompareOp, operand: &Value, case_exact: bool, date: bool) -> bool {
    use std::cmp::Ordering;
    let ordering: Option<Ordering> = match (v, operand) {
        (Value::String(a), Value::String(b)) => {
            if date && let (Some(x), Some(y)) = (value::parse_datetime(a), value::parse_datetime(b))
            {
                Some(x.cmp(&y))
            } else {
                let (a, b) = fold(a, b, case_exact);
                match op {
                    CompareOp::Co => return a.contains(b.as_str()),
                    CompareOp::Sw => return a.starts_with(b.as_str()),
                    CompareOp::Ew => return a.ends_with(b.as_str()),
                    _ => Some(a.cmp(&b)),
                }
            }
        }
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::Bool(a), Value::Bool(b)) if matches!(op, CompareOp::Eq) => return a == b,
        _ => None,
    };
    let Some(ord) = ordering else { return false };
    match op {
        CompareOp::Eq => ord.is_eq(),
        CompareOp::Gt => ord.is_gt(),
        CompareOp::Ge => ord.is_ge(),
        CompareOp::Lt => ord.is_lt(),
        CompareOp::Le => ord.is_le(),
        // `co`/`sw`/`ew` hold only on strings; `ne` is handled by the caller.
        CompareOp::Ne | CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

fn fold(a: &str, b: &str, case_exact: bool) -> (String, String) {
    if case_exact {
        (a.to_string(), b.to_string())
    } else {
        (a.to_lowercase(), b.to_lowercase())
    }
}

#[cfg(test)]
mod tests;
