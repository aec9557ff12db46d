//! The suite file format (`suites/**/*.yaml`). Every struct rejects unknown fields so that a
//! typo is an error pointing at its line, not a silently skipped expectation.

use std::fmt;

use indexmap::IndexMap;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_saphyr::Spanned;

use super::template;

/// A suite: a named group of cases sharing setup and teardown.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Optional features every case needs; see [`Feature`].
    #[serde(default)]
    pub requires: Vec<Feature>,
    /// Requirement ids (`rfc-requirements.csv`) the suite as a whole covers.
    #[serde(default)]
    pub requirements: Vec<Spanned<String>>,
    /// Whether the users its steps create get what an identity provider sends with every
    /// user, where the body lacks it (see `exec::realistic`); a step with `as_sent` opts out.
    #[serde(default)]
    pub complete_users: bool,
    /// Steps run before each case's own steps.
    #[serde(default)]
    pub setup: Vec<Spanned<Step>>,
    /// Steps run after each case, whether it passed or not.
    #[serde(default)]
    pub teardown: Vec<Spanned<Step>>,
    pub cases: Vec<Spanned<Case>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    pub level: Level,
    #[serde(default)]
    pub requirements: Vec<Spanned<String>>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Optional features this case needs, beyond the suite's.
    #[serde(default)]
    pub requires: Vec<Feature>,
    /// What the target's ServiceProviderConfig must say for the case to apply (JSON pointer
    /// → value): a case about a choice the RFC leaves to the server (which paging method is
    /// the default) runs only where the server made that choice, and is skipped elsewhere.
    #[serde(default)]
    pub when: IndexMap<String, Value>,
    /// In a vendor profile's suite: the declared deviation this case demonstrates when it
    /// passes (when it fails, the server complies and the declaration is stale).
    #[serde(default)]
    pub shows: Option<String>,
    /// For a case about an optional feature (one the RFC lets a server leave out): the
    /// feature, and how a server that does not offer it answers.
    #[serde(default)]
    pub optional: Option<Optional>,
    /// Answers that leave the case nothing to judge, each with why it is then skipped.
    #[serde(default)]
    pub skip_if: Vec<SkipIf>,
    pub steps: Vec<Spanned<Step>>,
    /// Steps run after this case's steps, before the suite teardown, always.
    #[serde(default)]
    pub teardown: Vec<Spanned<Step>>,
}

/// The pause left of `pause_ms` against a target that keeps time finer than a second.
pub const FINE_PAUSE_MS: u64 = 20;

/// Whether an RFC 3339 timestamp shows a fraction of a second that is not zero
/// (`2026-12-07T00:50:01.25Z`); `.000` is whole seconds written longer.
pub fn finer_than_seconds(timestamp: &str) -> bool {
    let Some((_, time)) = timestamp.split_once('T') else {
        return false;
    };
    let Some((_, fraction)) = time.split_once('.') else {
        return false;
    };
    fraction
        .chars()
        .take_while(char::is_ascii_digit)
        .any(|c| c != '0')
}

impl Step {
    /// How long to wait before sending, with `vars` to read the timestamp that may cut it.
    pub fn pause(&self, vars: &template::Vars) -> u64 {
        let finer = self
            .pause_unless_finer
            .as_deref()
            .is_some_and(|t| template::render_str(t, vars).is_ok_and(|t| finer_than_seconds(&t)));
        if finer {
            self.pause_ms.min(FINE_PAUSE_MS)
        } else {
            self.pause_ms
        }
    }
}

impl Case {
    /// How long the case waits on purpose (`pause_ms` of its steps and teardown): the run
    /// starts such cases first, so that their waits overlap the other cases' requests.
    pub fn paused_ms(&self) -> u64 {
        self.steps
            .iter()
            .chain(&self.teardown)
            .map(|s| s.value.pause_ms)
            .sum()
    }
}

/// An optional feature a case is about. Where the step that fails is answered as one of
/// `unoffered` says, the target does not offer the feature: the case is skipped and the run's
/// optional features table says so. Any other failure is the offered feature misbehaving.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Optional {
    /// Its name in the optional features table (`nested groups`).
    pub feature: String,
    /// The answers of a server without it.
    pub unoffered: Vec<Answer>,
}

/// What one of the case's own steps may answer. It is judged after the case, against the
/// answer of the step that failed, so it uses no variables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// Which of the case's steps, 1 for its first.
    pub step: usize,
    pub answer: Expect,
}

/// An answer of the step that fails after which the case has nothing to judge (`/Me` for a
/// token whose subject has no User): the case is skipped with `because`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkipIf {
    /// Which of the case's steps, 1 for its first.
    pub step: usize,
    /// No variables, as an [`Answer`]'s.
    pub answer: Expect,
    pub because: String,
}

/// An optional feature a server advertises in its ServiceProviderConfig (RFC 7643 §5); a case
/// that needs one the target does not advertise is skipped, not failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Feature {
    #[serde(rename = "patch")]
    Patch,
    #[serde(rename = "bulk")]
    Bulk,
    #[serde(rename = "filter")]
    Filter,
    #[serde(rename = "sort")]
    Sort,
    #[serde(rename = "etag")]
    Etag,
    #[serde(rename = "changePassword")]
    ChangePassword,
    /// Cursor paging (RFC 9865), advertised as `pagination.cursor`.
    #[serde(rename = "cursor")]
    Cursor,
}

impl Feature {
    /// Its member in the ServiceProviderConfig.
    pub fn key(self) -> &'static str {
        match self {
            Feature::Patch => "patch",
            Feature::Bulk => "bulk",
            Feature::Filter => "filter",
            Feature::Sort => "sort",
            Feature::Etag => "etag",
            Feature::ChangePassword => "changePassword",
            Feature::Cursor => "pagination",
        }
    }

    /// The member of the ServiceProviderConfig that advertises it.
    pub fn flag(self) -> &'static str {
        match self {
            Feature::Cursor => "cursor",
            _ => "supported",
        }
    }
}

/// RFC 2119 level of the requirement a case checks; it sets the severity of a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Level {
    #[serde(rename = "MUST")]
    Must,
    #[serde(rename = "SHOULD")]
    Should,
    #[serde(rename = "MAY")]
    May,
}

impl Level {
    /// Orders levels by how much they bind: MUST above SHOULD above MAY.
    pub fn strictness(self) -> u8 {
        match self {
            Level::Must => 3,
            Level::Should => 2,
            Level::May => 1,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    #[serde(default)]
    pub name: Option<String>,
    pub request: Request,
    #[serde(default)]
    pub expect: Expect,
    /// Variables to capture from the response body: name → JSON pointer.
    #[serde(default)]
    pub capture: IndexMap<String, Spanned<String>>,
    /// Send the body as written: no identity-provider completion of a created user.
    #[serde(default)]
    pub as_sent: bool,
    /// Milliseconds to wait before sending, for rules about time: a server whose timestamps
    /// have whole seconds shows a change as later only a second on.
    #[serde(default)]
    pub pause_ms: u64,
    /// With `pause_ms`: a timestamp the target wrote (a template, such as `{{created}}`). When
    /// it has a fraction of a second that is not zero, the target keeps time finer than whole
    /// seconds, a change shows at once, and the pause is cut to [`FINE_PAUSE_MS`].
    #[serde(default)]
    pub pause_unless_finer: Option<String>,
    /// Follow the answer's cursors page by page and check the walk as a whole.
    #[serde(default)]
    pub walk: Option<Walk>,
    /// Keep the normalised response as an approved snapshot under this name (letters,
    /// digits, `-` and `_`), checked with `run --snapshots check`.
    #[serde(default)]
    pub snapshot: Option<String>,
    /// The identity provider's operation the request belongs to (`Okta's Deactivate user`),
    /// so that a failure says what would fail in the customer's tenant.
    #[serde(default)]
    pub operation: Option<String>,
}

/// A cursor walk (RFC 9865 §2): the step's request asks for the first page; each page's
/// `nextCursor` is sent back as `cursor` (in the query, or in a SearchRequest body) until a
/// page carries none. Every page must meet the step's `expect`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Walk {
    /// The ids the walk must visit, each exactly once, and no others.
    pub visits: Vec<String>,
    /// Also follow each page's `previousCursor` (optional for a server to send) and check
    /// that it leads to resources before that page, ending with the one just before it.
    #[serde(default)]
    pub back: bool,
}

impl Step {
    /// Every `{{variable}}` the step refers to, in its request and its expectations.
    pub fn variables(&self) -> Vec<String> {
        let r = &self.request;
        let mut used: Vec<String> = Vec::new();
        let texts = std::iter::once(&r.path)
            .chain(r.query.values())
            .chain(r.headers.values())
            .chain(r.bearer.iter())
            .chain(r.raw_body.iter());
        for t in texts {
            used.extend(template::names(t).map(str::to_string));
        }
        if let Some(b) = &r.body {
            template::names_in_value(b, &mut used);
        }
        for v in self.walk.iter().flat_map(|w| &w.visits) {
            used.extend(template::names(v).map(str::to_string));
        }
        used.extend(self.expect.variables());
        used
    }
}

impl Expect {
    /// Every `{{variable}}` its assertions refer to.
    pub fn variables(&self) -> Vec<String> {
        let mut used = Vec::new();
        for a in self.json.values().chain(self.headers.values()) {
            match a {
                Assertion::Equals(v)
                | Assertion::Contains(v)
                | Assertion::AtMost(v)
                | Assertion::NotEquals(v)
                | Assertion::Excludes(v) => template::names_in_value(v, &mut used),
                Assertion::OneOf(vs) => vs
                    .iter()
                    .for_each(|v| template::names_in_value(v, &mut used)),
                _ => {}
            }
        }
        used
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Whether sending it twice does what sending it once does, so that a request that got
    /// no answer may be sent again. RFC 7231 §4.2.2 names PUT, DELETE and the safe methods
    /// (GET) idempotent: the intended effect on the server, not the answer (a DELETE sent
    /// again may be answered 404). PATCH is not (RFC 5789 §2): in SCIM an `add` to a
    /// multi-valued attribute adds a new value (RFC 7644 lines 1990-1991), so twice may add
    /// twice; nor is POST, which creates a second resource.
    pub fn idempotent(self) -> bool {
        matches!(self, Method::Get | Method::Put | Method::Delete)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub method: Method,
    /// Relative to the target's base URL (`/Users/{{user_id}}`), or an absolute URL under it
    /// (a captured `location`).
    pub path: String,
    #[serde(default)]
    pub query: IndexMap<String, String>,
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    #[serde(default)]
    pub body: Option<Value>,
    /// A body sent byte for byte, to test what a server does with malformed input.
    #[serde(default)]
    pub raw_body: Option<String>,
    /// Send the target's credentials (default); `false` to test what an anonymous client gets.
    #[serde(default = "yes")]
    pub auth: bool,
    /// A credential to send instead of the target's, to test a wrong one.
    #[serde(default)]
    pub bearer: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub status: Option<StatusSet>,
    #[serde(default)]
    pub headers: IndexMap<String, Assertion>,
    /// JSON pointer → assertion on the response body.
    #[serde(default)]
    pub json: IndexMap<String, Assertion>,
    /// A JSON Schema under `fixtures/schemas/` the body must satisfy.
    #[serde(default)]
    pub schema: Option<Spanned<String>>,
}

/// One status code or a set of acceptable ones (`status: 201` or `status: [200, 204]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSet(pub Vec<u16>);

impl StatusSet {
    pub fn contains(&self, s: u16) -> bool {
        self.0.contains(&s)
    }
}

impl fmt::Display for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u16::to_string).collect();
        f.write_str(&parts.join(" or "))
    }
}

impl<'de> Deserialize<'de> for StatusSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StatusSet;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an HTTP status code (100-599) or a list of them")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StatusSet, E> {
                status(v).map(|s| StatusSet(vec![s])).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StatusSet, E> {
                self.visit_u64(
                    u64::try_from(v).map_err(|_| E::custom("a status code is positive"))?,
                )
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusSet, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element::<u64>()? {
                    out.push(status(v).map_err(de::Error::custom)?);
                }
                if out.is_empty() {
                    return Err(de::Error::custom("the list of status codes is empty"));
                }
                Ok(StatusSet(out))
            }
        }
        d.deserialize_any(V)
    }
}

fn status(v: u64) -> Result<u16, String> {
    match u16::try_from(v) {
        Ok(s) if (100..600).contains(&s) => Ok(s),
        _ => Err(format!("{v} is not an HTTP status code (100-599)")),
    }
}

/// One assertion on a value: a scalar or a list is shorthand for `equals`; otherwise exactly one
/// operator, e.g. `{regex: "^2"}`.
#[derive(Debug, Clone)]
pub enum Assertion {
    Equals(Value),
    Exists(bool),
    Absent(bool),
    Regex(Pattern),
    Type(JsonType),
    Length(usize),
    Contains(Value),
    OneOf(Vec<Value>),
    /// A number no greater than the value, or an array no longer (`at_most: "{{max_results}}"`).
    AtMost(Value),
    /// Anything but this value, absence included.
    NotEquals(Value),
    /// An array with no item that `contains` would match.
    Excludes(Value),
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Operator {
    Equals(Value),
    Exists(bool),
    Absent(bool),
    Regex(Pattern),
    Type(JsonType),
    Length(usize),
    Contains(Value),
    OneOf(Vec<Value>),
    AtMost(Value),
    NotEquals(Value),
    Excludes(Value),
}

impl<'de> Deserialize<'de> for Assertion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Assertion;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar or list to compare with, or one operator: equals, exists, absent, regex, type, length, contains, one_of, at_most, not_equals, excludes")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Assertion, E> {
                Ok(Assertion::Equals(Value::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Assertion, E> {
                Ok(Assertion::Equals(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Assertion, E> {
                Ok(Assertion::Equals(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Assertion, E> {
                Ok(Assertion::Equals(v.into()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Assertion, E> {
                Ok(Assertion::Equals(Value::String(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Assertion, E> {
                Ok(Assertion::Equals(Value::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Assertion, A::Error> {
                Value::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(Assertion::Equals)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Assertion, A::Error> {
                Ok(
                    match Operator::deserialize(de::value::MapAccessDeserializer::new(map))? {
                        Operator::Equals(v) => Assertion::Equals(v),
                        Operator::Exists(b) => Assertion::Exists(b),
                        Operator::Absent(b) => Assertion::Absent(b),
                        Operator::Regex(p) => Assertion::Regex(p),
                        Operator::Type(t) => Assertion::Type(t),
                        Operator::Length(n) => Assertion::Length(n),
                        Operator::Contains(v) => Assertion::Contains(v),
                        Operator::OneOf(v) => Assertion::OneOf(v),
                        Operator::AtMost(v) => Assertion::AtMost(v),
                        Operator::NotEquals(v) => Assertion::NotEquals(v),
                        Operator::Excludes(v) => Assertion::Excludes(v),
                    },
                )
            }
        }
        d.deserialize_any(V)
    }
}

/// A regular expression, compiled when the suite is loaded.
#[derive(Debug, Clone)]
pub struct Pattern(pub regex::Regex);

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        regex::Regex::new(&s)
            .map(Pattern)
            .map_err(|e| de::Error::custom(format!("invalid regex: {e}")))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Array,
    Object,
    Null,
}

impl JsonType {
    pub fn of(v: &Value) -> &'static [JsonType] {
        match v {
            Value::String(_) => &[JsonType::String],
            Value::Number(n) if n.is_i64() || n.is_u64() => &[JsonType::Number, JsonType::Integer],
            Value::Number(_) => &[JsonType::Number],
            Value::Bool(_) => &[JsonType::Boolean],
            Value::Array(_) => &[JsonType::Array],
            Value::Object(_) => &[JsonType::Object],
            Value::Null => &[JsonType::Null],
        }
    }
}

impl fmt::Display for JsonType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsonType::String => "string",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::Boolean => "boolean",
            JsonType::Array => "array",
            JsonType::Object => "object",
            JsonType::Null => "null",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::template::Vars;

    #[test]
    fn only_a_fraction_that_is_not_zero_is_finer_than_seconds() {
        assert!(finer_than_seconds("2026-12-07T00:50:01.25Z"));
        assert!(finer_than_seconds("2026-12-07T00:50:01.000001+01:00"));
        assert!(!finer_than_seconds("2026-12-07T00:50:01.000Z"));
        assert!(!finer_than_seconds("2026-12-07T00:50:01Z"));
        assert!(!finer_than_seconds("2026-12-07T00:50:01+01:00"));
        assert!(!finer_than_seconds("not a time.5"));
    }

    /// The pause is cut only where the timestamp shows finer time, and never lengthened.
    #[test]
    fn the_pause_is_cut_by_a_finer_timestamp() {
        let step = |pause_ms, unless: Option<&str>| Step {
            pause_ms,
            pause_unless_finer: unless.map(String::from),
            ..serde_saphyr::from_str("request: {method: GET, path: /Users}").unwrap()
        };
        let vars = |t: &str| Vars::from([("created".to_string(), Value::from(t))]);
        let fine = vars("2026-12-07T00:50:01.25Z");
        let whole = vars("2026-12-07T00:50:01Z");
        assert_eq!(step(1100, Some("{{created}}")).pause(&fine), FINE_PAUSE_MS);
        assert_eq!(step(1100, Some("{{created}}")).pause(&whole), 1100);
        assert_eq!(step(1100, None).pause(&fine), 1100);
        assert_eq!(step(1100, Some("{{missing}}")).pause(&fine), 1100);
        assert_eq!(step(5, Some("{{created}}")).pause(&fine), 5);
    }
}
