//! What the interop profile changes in a run under `--profile interop`:
//!
//! - its server rows raise the RFC rows they name (`rfc_rows`) to their own level, and a
//!   case's result cites them;
//! - its three conflicts override the RFC rows they contradict ([`CONFLICTS`]): the RFC's
//!   cases for those are not run, the profile's own case judges, with one line naming the
//!   RFC rule it overrides;
//! - its client rows bind scimitar: a case whose requests break one is not sent
//!   ([`unsent`]), unless the step breaking it expects the server to refuse it;
//! - a server that claims `interopProfileConformant` fails on every broken profile MUST; one
//!   that does not gets them as readiness gaps, and the run's verdict follows the RFC
//!   ([`judge`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::catalogue::{self, Rule};
use crate::capabilities::Capabilities;
use crate::plan::Planned;
use crate::report::{CaseResult, Status};
use crate::requirements;
use crate::scim::schema::{AttrType, Registry};
use crate::suite::{Case, Level, Loaded, Method, Request, Step, Suite};

/// The rules that contradict the RFCs rather than narrow them (`../shared/interop-profile.md`),
/// each with the RFC rows it overrides under the profile.
pub const CONFLICTS: [(&str, &[&str]); 3] = [
    ("I-patch-06", &["P-patch-10", "P-patch-22", "P-patch-16"]),
    ("I-patch-11", &["P-patch-26"]),
    ("I-transport-05", &["P-security-01"]),
];

/// The client rows scimitar's requests are held to under the profile (what [`unsent`] looks
/// for; a test checks every request of a run against them). I-media-05 (a User-Agent on
/// every request) is the client's own doing, and a step may not send an empty one.
/// I-patch-18 and I-patch-19 are one check: a filtered path ends in a sub-attribute; so are
/// I-patch-02 and I-patch-03: an update is a PATCH, never a PUT.
pub const HELD_TO: [&str; 17] = [
    "I-patch-02",
    "I-patch-03",
    "I-etag-01",
    "I-media-04",
    "I-media-02",
    "I-media-05",
    "I-filter-05",
    "I-filter-04",
    "I-patch-04",
    "I-patch-05",
    "I-patch-10",
    "I-patch-12",
    "I-patch-14",
    "I-patch-16",
    "I-patch-18",
    "I-patch-19",
    "I-patch-07",
];

/// The headers I-etag-01 keeps a client from sending.
const CONDITIONAL: [&str; 4] = [
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "If-Unmodified-Since",
];

/// Filter operators other than `eq` and `and`, which I-filter-04 keeps a client from using.
const OTHER_OPERATORS: [&str; 11] = [
    "or", "not", "ne", "co", "sw", "ew", "pr", "gt", "ge", "lt", "le",
];

/// Whether the server claims the profile (draft §4: `interopProfileConformant: true`, a JSON
/// boolean, in its ServiceProviderConfig).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Claim {
    Claimed,
    NotClaimed,
}

impl Claim {
    pub fn of(caps: &Capabilities) -> Claim {
        match caps {
            Capabilities::Advertised(spc)
                if spc["interopProfileConformant"] == Value::Bool(true) =>
            {
                Claim::Claimed
            }
            _ => Claim::NotClaimed,
        }
    }
}

/// What the profile made of one case: the profile's server MUST rows it checks (those it
/// cites, and, where it broke them, those raising an RFC row it cites above the case's level)
/// and whether it held them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bearing {
    pub rows: Vec<String>,
    pub held: Held,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Held {
    Held,
    Broken,
    /// Skipped or blocked: nothing was checked.
    Unchecked,
}

/// The line a conflict row's result carries: which RFC rows it overrides.
pub fn overrides(id: &str) -> Option<String> {
    let (_, rows) = CONFLICTS.iter().find(|(c, _)| *c == id)?;
    let rule = &catalogue::find(id)?.requirement;
    let rfc: Vec<String> = rows
        .iter()
        .filter_map(|r| requirements::find(r))
        .map(|r| format!("{} ({}: {})", r.id, r.citation(), r.summary))
        .collect();
    Some(format!(
        "conflict: under the interop profile {id} ({}) overrides {}",
        rule.citation(),
        rfc.join("; ")
    ))
}

/// The conflict row that overrides one of `requirements`.
fn overridden_by(requirements: &[String]) -> Option<&'static str> {
    CONFLICTS
        .iter()
        .find(|(_, rows)| rows.iter().any(|r| requirements.iter().any(|q| q == r)))
        .map(|(id, _)| *id)
}

/// Why scimitar does not send a case under the profile: it checks an RFC rule a conflict
/// overrides, or one of its requests (its suite's setup and teardown included) breaks a
/// client row where the step does not expect a refusal (I-patch-06's case sends a path-less
/// PATCH to see it refused).
pub fn unsent(suite: &Suite, case: &Case) -> Option<String> {
    let cited: Vec<String> = suite
        .requirements
        .iter()
        .chain(&case.requirements)
        .map(|r| r.value.clone())
        .collect();
    if let Some(id) = overridden_by(&cited) {
        return Some(format!(
            "{}; the profile's own case judges it",
            overrides(id).unwrap_or_default()
        ));
    }
    suite
        .setup
        .iter()
        .chain(&case.steps)
        .chain(&case.teardown)
        .chain(&suite.teardown)
        .filter(|s| !expects_a_refusal(&s.value))
        .find_map(|s| breaks(&s.value.request))
        .map(|(id, what)| {
            let citation = requirements::find(id).map(|r| r.citation()).unwrap_or_default();
            format!(
                "not sent under the interop profile: it sends {what}, which {id} ({citation}) forbids a client"
            )
        })
}

/// Marks each case of `suites` that scimitar does not send under the profile ([`unsent`])
/// as skipped with the reason, where nothing else skips it already.
pub fn hold_back(suites: &[Loaded], skips: &mut [Vec<Option<String>>]) {
    for (l, skips) in suites.iter().zip(skips) {
        for (case, skip) in l.suite.cases.iter().zip(skips) {
            if skip.is_none() {
                *skip = unsent(&l.suite, &case.value);
            }
        }
    }
}

/// Whether a step expects only 400: it tests the server's refusal of the request's form,
/// which a client row does not keep it from sending. (A PUT expecting 409 tests uniqueness,
/// not the PUT: it is held back.)
fn expects_a_refusal(step: &Step) -> bool {
    step.expect
        .status
        .as_ref()
        .is_some_and(|set| set.0.iter().all(|&code| code == 400))
}

/// The client row a request breaks, and what it sends that breaks it.
fn breaks(r: &Request) -> Option<(&'static str, &'static str)> {
    if r.method == Method::Put {
        return Some(("I-patch-03", "a PUT"));
    }
    if r.headers
        .keys()
        .any(|h| CONDITIONAL.iter().any(|c| c.eq_ignore_ascii_case(h)))
    {
        return Some(("I-etag-01", "a conditional header"));
    }
    let header = |name: &str| {
        r.headers
            .iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    };
    if header("User-Agent").is_some_and(str::is_empty) {
        return Some(("I-media-05", "an empty User-Agent"));
    }
    let has_body = r.body.is_some() || r.raw_body.is_some();
    let labelled = header("Content-Type").map(|v| v.split(';').next().unwrap_or_default().trim());
    if has_body && labelled.is_some_and(|t| !t.eq_ignore_ascii_case("application/scim+json")) {
        return Some((
            "I-media-04",
            "a body labelled other than application/scim+json",
        ));
    }
    if r.raw_body
        .as_deref()
        .is_some_and(|b| serde_json::from_str::<Value>(b).is_err())
    {
        return Some(("I-media-02", "a body that is not JSON"));
    }
    if r.method != Method::Get && r.query.contains_key("filter") {
        return Some((
            "I-filter-05",
            "a filter in the URI of a request other than GET",
        ));
    }
    let body_filter = r.body.as_ref().and_then(|b| b["filter"].as_str());
    if r.query
        .get("filter")
        .map(String::as_str)
        .into_iter()
        .chain(body_filter)
        .any(|f| !eq_and_only(f))
    {
        return Some(("I-filter-04", "a filter operator other than eq and and"));
    }
    if r.method == Method::Patch {
        return patch_breaks(&r.path, r.body.as_ref()?);
    }
    None
}

/// The client row a PatchOp body sent to `path` breaks (draft §6.5.1, §6.5.2).
fn patch_breaks(path: &str, body: &Value) -> Option<(&'static str, &'static str)> {
    let ops = body["Operations"].as_array()?;
    if let Some(broken) = ops.iter().find_map(|op| value_breaks(path, op)) {
        return Some(broken);
    }
    if ops.iter().any(crate::scim::patch::pathless) {
        return Some(("I-patch-04", "a PATCH operation without a path"));
    }
    let paths: Vec<&str> = ops.iter().filter_map(|op| op["path"].as_str()).collect();
    if paths.iter().any(|p| whole_element(p)) {
        return Some(("I-patch-19", "a filtered path addressing a whole element"));
    }
    let mut seen: Vec<String> = Vec::new();
    for p in paths {
        let p = p.to_ascii_lowercase();
        if seen.contains(&p) {
            return Some(("I-patch-07", "two operations on one attribute path"));
        }
        seen.push(p);
    }
    None
}

/// Whether a filtered PATCH path addresses a whole element (`emails[type eq "work"]`) rather
/// than one of its sub-attributes (draft §6.5.2.2).
pub fn whole_element(path: &str) -> bool {
    path.trim_end().ends_with(']')
}

/// The client row an operation's value breaks by its shape, where its path names a whole
/// attribute of the resource type `path` addresses (draft §6.5.2): an `add` or `replace` on a
/// singular complex attribute carries an object (I-patch-12, I-patch-10, whose "every
/// sub-attribute to keep" is the client's intent, not a shape); an `add` or `replace` on a
/// multi-valued one, an array (I-patch-16, I-patch-14). A value that is a whole template is
/// not known until sent.
pub fn value_breaks(path: &str, op: &Value) -> Option<(&'static str, &'static str)> {
    let (target, value) = (op["path"].as_str()?, &op["value"]);
    if value.as_str().is_some_and(|v| v.trim().starts_with("{{")) {
        return None;
    }
    // The segment before the id: `/Users/{{id}}` in a suite, `http://host/scim/v2/Users/42`
    // as sent.
    let endpoint = path.trim_end_matches('/').rsplit('/').nth(1)?;
    let rfc = Registry::rfc();
    let rt = rfc.by_endpoint(endpoint)?;
    let (_, attr) = rfc.resolve(rt, target.trim())?;
    let op = op["op"].as_str()?.to_ascii_lowercase();
    match (op.as_str(), attr.multi_valued, attr.kind) {
        ("add", false, AttrType::Complex) if !value.is_object() => Some((
            "I-patch-12",
            "an add on a whole complex attribute whose value is no object",
        )),
        ("replace", false, AttrType::Complex) if !value.is_object() => Some((
            "I-patch-10",
            "a replace of a whole complex attribute whose value is no object",
        )),
        ("add", true, _) if !value.is_array() => Some((
            "I-patch-16",
            "an add on a whole multi-valued attribute whose value is no array",
        )),
        ("replace", true, _) if !value.is_array() => Some((
            "I-patch-14",
            "a replace of a whole multi-valued attribute whose value is no array",
        )),
        _ => None,
    }
}

/// Whether a filter uses no operator but `eq` and `and` (words inside quoted values do not
/// count).
pub fn eq_and_only(filter: &str) -> bool {
    let mut outside = String::new();
    let (mut quoted, mut escaped) = (false, false);
    for ch in filter.chars() {
        match (quoted, escaped, ch) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => quoted = false,
            (true, false, _) => {}
            (false, _, '"') => {
                quoted = true;
                outside.push(' ');
            }
            (false, _, c) => outside.push(c),
        }
    }
    !outside
        .split(|c: char| c.is_whitespace() || "()[]".contains(c))
        .any(|w| OTHER_OPERATORS.iter().any(|o| w.eq_ignore_ascii_case(o)))
}

/// The profile's server MUST rows a planned case checks: those it cites, and those that
/// raise an RFC row it cites above the case's level (a conflict overrides, it does not
/// raise).
fn bearing_rows(p: &Planned) -> (Vec<&'static Rule>, Vec<&'static Rule>) {
    let musts = || catalogue::server_musts();
    let cited = musts()
        .filter(|r| p.requirements.contains(&r.requirement.id))
        .collect();
    let raised = musts()
        .filter(|r| !p.requirements.contains(&r.requirement.id))
        .filter(|r| !CONFLICTS.iter().any(|(c, _)| *c == r.requirement.id))
        .filter(|r| r.requirement.level.strictness() > p.level.strictness())
        .filter(|r| r.rfc_rows.iter().any(|q| p.requirements.contains(q)))
        .collect();
    (cited, raised)
}

/// Judges a case's result by the profile (see the module's head). `failed`: the case's
/// checks failed (not skipped, blocked or unadvertised).
pub fn judge(p: &Planned, failed: bool, claim: Claim, done: &mut CaseResult) {
    let (cited, raised) = bearing_rows(p);
    let mut lines: Vec<String> = p
        .requirements
        .iter()
        .filter_map(|id| overrides(id))
        .collect();
    if cited.is_empty() && raised.is_empty() {
        prepend(done, &lines);
        return;
    }
    for r in &raised {
        done.requirements.push(r.requirement.id.clone());
    }
    let own = cited.len();
    let rows: Vec<&Rule> = cited.into_iter().chain(raised).collect();
    let held = match done.status {
        Status::Skipped
        | Status::Blocked
        | Status::Documented
        | Status::Inconclusive
        | Status::Interrupted => Held::Unchecked,
        _ if failed => Held::Broken,
        Status::Passed | Status::Warning => Held::Held,
        Status::Failed | Status::Undocumented => Held::Broken,
    };
    let named: Vec<String> = rows
        .iter()
        .map(|r| {
            let q = &r.requirement;
            format!("{} ({}, {}): {}", q.id, q.citation(), q.url(), q.summary)
        })
        .collect();
    match (held, claim) {
        (Held::Broken, Claim::Claimed) => {
            done.status = Status::Failed;
            done.level = Level::Must;
            lines.push(format!(
                "the server claims interopProfileConformant, so a broken profile MUST fails: {}",
                named.join("; ")
            ));
        }
        (Held::Broken, Claim::NotClaimed) => {
            // The RFC alone judges the run: the profile's own cases cannot fail it.
            if p.vendor && done.status == Status::Failed {
                done.status = Status::Warning;
            }
            lines.push(format!(
                "readiness gap (the server does not claim interopProfileConformant; the exit code follows the RFC): {}",
                named.join("; ")
            ));
        }
        (Held::Unchecked, Claim::NotClaimed) if p.vendor && done.status == Status::Blocked => {
            done.status = Status::Skipped;
            lines.push("not judged: readiness only, and the case's setup failed".into());
        }
        _ => {}
    }
    prepend(done, &lines);
    // An RFC case that passes shows its own rule, which only narrows into the profile's:
    // it breaks a raised row by failing, but it does not show that row holds.
    let shown = if held == Held::Broken {
        &rows[..]
    } else {
        &rows[..own]
    };
    if !shown.is_empty() {
        done.interop = Some(Bearing {
            rows: shown.iter().map(|r| r.requirement.id.clone()).collect(),
            held,
        });
    }
}

/// Puts `lines` before the case's message.
fn prepend(done: &mut CaseResult, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let mut m = lines.join("\n");
    if let Some(old) = done.message.take() {
        m.push('\n');
        m.push_str(&old);
    }
    done.message = Some(m);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(level: Level, requirements: &[&str], vendor: bool) -> Planned {
        Planned {
            suite: 0,
            case: 0,
            name: "s::c".into(),
            level,
            requirements: requirements.iter().map(|r| r.to_string()).collect(),
            requires: vec![],
            limits: vec![],
            vendor,
        }
    }

    fn result(p: &Planned, status: Status) -> CaseResult {
        let mut c: CaseResult = serde_json::from_value(serde_json::json!({
            "name": p.name, "suite": "s", "case": "c", "file": "f.yaml",
            "level": p.level, "requirements": p.requirements, "status": "passed",
            "duration_ms": 0.0, "steps": []
        }))
        .expect("a case");
        c.status = status;
        c
    }

    /// A profile case that fails: a failure when the server claims the profile, a readiness
    /// gap (which fails no run) when it does not; a passing one holds its row.
    #[test]
    fn a_broken_profile_must_fails_only_a_server_claiming_the_profile() {
        let p = planned(Level::Must, &["I-schema-02"], true);
        let mut claimed = result(&p, Status::Failed);
        judge(&p, true, Claim::Claimed, &mut claimed);
        assert_eq!(claimed.status, Status::Failed);
        assert!(
            claimed
                .message
                .unwrap()
                .contains("claims interopProfileConformant")
        );
        let mut ready = result(&p, Status::Failed);
        judge(&p, true, Claim::NotClaimed, &mut ready);
        assert_eq!(ready.status, Status::Warning);
        assert!(!ready.status.fails_run(ready.level));
        assert_eq!(ready.interop.unwrap().held, Held::Broken);
        let mut held = result(&p, Status::Passed);
        judge(&p, false, Claim::NotClaimed, &mut held);
        assert_eq!(held.interop.unwrap().held, Held::Held);
    }

    /// An RFC MAY case citing a row the profile raises (P-filter-03 by I-filter-01) cites the
    /// profile's row; it fails the run only where the server claims the profile. An RFC
    /// MUST failure fails the run either way.
    #[test]
    fn raised_rfc_rows_fail_a_claiming_server_and_rfc_musts_fail_any() {
        let p = planned(Level::May, &["P-filter-03"], false);
        let mut claimed = result(&p, Status::Warning);
        judge(&p, true, Claim::Claimed, &mut claimed);
        assert!(claimed.requirements.contains(&"I-filter-01".to_string()));
        assert_eq!(
            (claimed.status, claimed.level),
            (Status::Failed, Level::Must)
        );
        let mut ready = result(&p, Status::Warning);
        judge(&p, true, Claim::NotClaimed, &mut ready);
        assert_eq!((ready.status, ready.level), (Status::Warning, Level::May));
        let p = planned(Level::Must, &["P-create-05"], false);
        let mut rfc = result(&p, Status::Failed);
        judge(&p, true, Claim::NotClaimed, &mut rfc);
        assert_eq!(rfc.status, Status::Failed);
    }

    #[test]
    fn a_conflict_rows_result_names_the_rfc_rule_it_overrides() {
        let p = planned(Level::Must, &["I-patch-11"], true);
        let mut done = result(&p, Status::Passed);
        judge(&p, false, Claim::NotClaimed, &mut done);
        let m = done.message.unwrap();
        assert_eq!(m.lines().count(), 1, "{m}");
        assert!(
            m.starts_with("conflict: under the interop profile I-patch-11"),
            "{m}"
        );
        assert!(
            m.contains("P-patch-26 (RFC 7644 §3.5.2.3 lines 2378-2382"),
            "{m}"
        );
    }

    #[test]
    fn only_eq_and_and_pass_outside_quoted_values() {
        assert!(eq_and_only(r#"userName eq "a or b" and externalId eq "x""#));
        assert!(eq_and_only(r#"emails[type eq "work"]"#));
        assert!(!eq_and_only(r#"userName sw "a""#));
        assert!(!eq_and_only(r#"(userName eq "a") OR (userName eq "b")"#));
        assert!(!eq_and_only("title pr"));
        assert!(!eq_and_only(r#"not (userName eq "a")"#));
    }

    #[test]
    fn each_conflict_names_the_rfc_rows_it_overrides() {
        let line = overrides("I-patch-06").unwrap();
        assert!(line.contains("P-patch-10 (RFC 7644 §3.5.2.1"), "{line}");
        assert!(
            line.contains("P-patch-22") && line.contains("P-patch-16"),
            "{line}"
        );
        assert!(overrides("I-patch-11").unwrap().contains("P-patch-26"));
        assert!(
            overrides("I-transport-05")
                .unwrap()
                .contains("P-security-01")
        );
        assert!(overrides("I-patch-01").is_none());
        for (id, rows) in CONFLICTS {
            let rule = catalogue::find(id).unwrap();
            assert!(
                rows.iter().all(|r| rule.rfc_rows.iter().any(|q| q == r)),
                "{id}"
            );
        }
    }

    #[test]
    fn client_rows_keep_requests_from_being_sent() {
        let req = |yaml: &str| -> Request { serde_saphyr::from_str(yaml).unwrap() };
        let id = |yaml: &str| breaks(&req(yaml)).map(|(id, _)| id);
        assert_eq!(id("{method: PUT, path: /Users/1}"), Some("I-patch-03"));
        assert_eq!(
            id("{method: GET, path: /Users/1, headers: {if-none-match: 'W/\"1\"'}}"),
            Some("I-etag-01")
        );
        assert_eq!(
            id("{method: POST, path: /Users, headers: {Content-Type: application/json}, body: {}}"),
            Some("I-media-04")
        );
        assert_eq!(
            id("{method: POST, path: /Users, raw_body: '{not json'}"),
            Some("I-media-02")
        );
        assert_eq!(
            id("{method: GET, path: /Users, query: {filter: 'userName co \"a\"'}}"),
            Some("I-filter-04")
        );
        assert_eq!(
            id(
                "{method: PATCH, path: /Users/1, body: {Operations: [{op: replace, value: {active: false}}]}}"
            ),
            Some("I-patch-04")
        );
        assert_eq!(
            id(
                "{method: PATCH, path: /Groups/1, body: {Operations: [{op: remove, path: 'members[value eq \"x\"]'}]}}"
            ),
            Some("I-patch-19")
        );
        assert_eq!(
            id(
                "{method: PATCH, path: /Users/1, body: {Operations: [{op: replace, path: title, value: a}, {op: replace, path: Title, value: b}]}}"
            ),
            Some("I-patch-07")
        );
        assert_eq!(
            id(
                "{method: PATCH, path: /Users/1, body: {Operations: [{op: replace, path: 'emails[type eq \"work\"].value', value: a}]}}"
            ),
            None
        );
        assert_eq!(
            id(
                "{method: GET, path: /Users, query: {filter: 'userName eq \"a\" and active eq true'}}"
            ),
            None
        );
        assert_eq!(
            id("{method: GET, path: /Users, headers: {user-agent: ''}}"),
            Some("I-media-05")
        );
        let op = |endpoint: &str, op: &str| {
            id(&format!(
                "{{method: PATCH, path: {endpoint}, body: {{Operations: [{op}]}}}}"
            ))
        };
        let manager = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";
        assert_eq!(
            op(
                "/Users/1",
                &format!("{{op: Add, path: '{manager}', value: m-1}}")
            ),
            Some("I-patch-12")
        );
        assert_eq!(
            op("/Users/1", "{op: replace, path: name, value: Ada}"),
            Some("I-patch-10")
        );
        assert_eq!(
            op("/Groups/1", "{op: add, path: members, value: {value: u-1}}"),
            Some("I-patch-16")
        );
        assert_eq!(
            op(
                "/Users/1",
                "{op: replace, path: emails, value: {value: a@b.example}}"
            ),
            Some("I-patch-14")
        );
        for fine in [
            format!("{{op: add, path: '{manager}', value: {{value: m-1}}}}"),
            "{op: add, path: members, value: [{value: u-1}]}".to_string(),
            "{op: replace, path: name, value: {givenName: A}}".to_string(),
            "{op: replace, path: name.givenName, value: A}".to_string(),
            "{op: add, path: members, value: '{{members}}'}".to_string(),
            "{op: remove, path: emails}".to_string(),
        ] {
            assert_eq!(op("/Users/1", &fine), None, "{fine}");
        }
        assert_eq!(
            op(
                "/Groups/1",
                "{op: add, path: members, value: [{value: u-1}]}"
            ),
            None
        );
    }
}
