//! Reports: one result model, one reporter per format, each behind [`Reporter`].

pub mod baseline;
pub mod deviation;
pub mod findings;
pub mod github;
mod json;
mod junit;
pub mod optional;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::exec::StepRecord;
use crate::suite::Level;

/// Everything a run found, in the form every reporter reads (and `scimitar report` reads
/// back from JSON).
#[derive(Debug, Serialize, Deserialize)]
pub struct RunReport {
    pub tool: String,
    pub version: String,
    pub target: String,
    /// The vendor profile the results are classified by (`rfc`: no declared deviations).
    pub profile: String,
    #[serde(default)]
    pub profile_title: String,
    pub run_id: String,
    pub duration_ms: f64,
    pub passed: usize,
    pub failed: usize,
    pub warnings: usize,
    pub skipped: usize,
    #[serde(default)]
    pub documented: usize,
    #[serde(default)]
    pub undocumented: usize,
    #[serde(default)]
    pub blocked: usize,
    #[serde(default)]
    pub inconclusive: usize,
    #[serde(default)]
    pub interrupted: usize,
    /// Why the run stopped before its end, if it did; its cases cut short or never started
    /// are interrupted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<Stopped>,
    /// Cases whose requests got no answer beside others and that passed run again alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unanswered: Option<UnansweredFinding>,
    /// Cases that failed beside others and passed alone: the target's trouble under load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<LoadFinding>,
    /// The in-flight limit the run settled at, and the requests it sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<Concurrency>,
    /// The filter comparisons and operators (400 `invalidFilter`) and the PATCH path forms
    /// (`PATCH path …`) the target declined.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub declined: Vec<String>,
    /// Faults in what cases lean on without being about it (the filter scoping their own
    /// resources), each reported once; the cases leaning on one are blocked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<Fault>,
    pub cases: Vec<CaseResult>,
    /// Each deviation the profile declares, and what the run made of it.
    #[serde(default)]
    pub declarations: Vec<Declaration>,
    /// What the connection check found against Entra's requirements (see [`crate::tls`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connection: Vec<String>,
    /// What the target's discovery documents show once for the run, not case by case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discovery: Vec<crate::check::declared::DiscoveryFinding>,
    /// The response invariants broken anywhere in the run, once per rule and signature.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invariants: Vec<InvariantFinding>,
    /// Where the attributes that refused creates named sit in the target's schemas, for the
    /// `--fill` hint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fill_paths: Vec<FillPath>,
    /// Each optional feature the cases bear on: offered, not offered, or offered and broken.
    #[serde(default)]
    pub optional_features: Vec<optional::OptionalFeature>,
    /// Under the interop profile: how many of its MUST rules hold, by area.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interop: Option<crate::interop::readiness::Readiness>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    /// A MUST case failed, or a vendor's own promise was broken.
    Failed,
    /// A SHOULD or MAY case failed, a feature works though unadvertised, or a value departs
    /// from what the RFC only suggests: reported, but the run still passes.
    Warning,
    /// The case needs a feature the target does not advertise; the message says which.
    Skipped,
    /// The case failed because of a deviation the profile declares.
    Documented,
    /// The case failed under a vendor profile that declares no deviation explaining it.
    Undocumented,
    /// A step of the suite's setup failed, so the case checked nothing.
    Blocked,
    /// A request of the case got no answer, beside other cases and again alone (a dropped
    /// connection, a timeout): the case showed nothing either way.
    Inconclusive,
    /// The run was stopped (Ctrl-C, `--run-timeout`) before the case ended, or began.
    Interrupted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Warning => "warning",
            Status::Skipped => "skipped",
            Status::Documented => "documented deviation",
            Status::Undocumented => "undocumented deviation",
            Status::Blocked => "blocked",
            Status::Inconclusive => "inconclusive",
            Status::Interrupted => "interrupted",
        }
    }

    /// Whether a case of `level` ending so fails the run: a broken MUST, an undocumented
    /// MUST deviation, or a case its setup blocked; never one without an answer or cut
    /// short, which showed nothing of the target's conformance. The classifier and every
    /// reporter ask it here, below both.
    pub fn fails_run(self, level: Level) -> bool {
        match self {
            // Nothing was checked: the run cannot pass on it.
            Status::Failed | Status::Blocked => true,
            Status::Undocumented => level == Level::Must,
            _ => false,
        }
    }
}

/// A response invariant (see [`crate::check::invariants`]) some answers broke: one finding
/// for its rule and signature, at the rule's level, whichever cases met it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvariantFinding {
    pub rule: String,
    pub level: Level,
    /// `GET /Users · itemsPerPage`.
    pub signature: String,
    /// What the first answer showed.
    pub detail: String,
    /// The cases whose answers broke it.
    pub cases: Vec<String>,
    /// The deviation of the profile that declares it, which it then documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documented: Option<String>,
}

impl InvariantFinding {
    /// Whether it fails the run: a broken MUST does, whatever the level of the cases that
    /// met it.
    pub fn fails_run(&self) -> bool {
        self.level == Level::Must && self.documented.is_none()
    }

    /// The findings of `cases`, grouped by rule and signature, in the order first met; one
    /// whose rule a deviation of `profile` names is documented by it.
    pub fn of(cases: &[CaseResult], profile: &crate::profile::Profile) -> Vec<InvariantFinding> {
        let mut out: Vec<InvariantFinding> = Vec::new();
        for c in cases {
            for b in c.steps.iter().flat_map(|s| &s.breaches) {
                let same =
                    |f: &&mut InvariantFinding| f.rule == b.rule && f.signature == b.signature;
                match out.iter_mut().find(same) {
                    Some(f) if !f.cases.contains(&c.name) => f.cases.push(c.name.clone()),
                    Some(_) => {}
                    None => out.push(InvariantFinding {
                        rule: b.rule.clone(),
                        level: crate::requirements::find(&b.rule).map_or(Level::Must, |r| r.level),
                        signature: b.signature.clone(),
                        detail: b.detail.clone(),
                        cases: vec![c.name.clone()],
                        documented: profile
                            .deviations
                            .iter()
                            .find(|d| d.requirements.contains(&b.rule))
                            .map(|d| d.id.clone()),
                    }),
                }
            }
        }
        out
    }
}

impl fmt::Display for InvariantFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// The cases named; the JSON report lists them all.
        const NAMED: usize = 5;
        let n = self.cases.len();
        let more = match n.checked_sub(NAMED) {
            Some(more) if more > 0 => format!(" and {more} more"),
            _ => String::new(),
        };
        let level = match &self.documented {
            Some(d) => format!("{}, documented deviation `{d}`", self.level),
            None => self.level.to_string(),
        };
        write!(
            f,
            "{} [{level}] {}: {}\n    met by {n} {}: {}{more}",
            self.rule,
            self.signature,
            self.detail,
            if n == 1 { "case" } else { "cases" },
            self.cases[..n.min(NAMED)].join(", ")
        )
    }
}

/// An attribute a refused create named (`formatted`) and its `--fill` path (`name.formatted`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FillPath {
    /// The endpoint of the create, without the slash: `Users`.
    pub endpoint: String,
    pub named: String,
    pub path: String,
}

/// A fault in what cases lean on, reported once under the rule it breaks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fault {
    /// The requirement id it breaks.
    pub rule: String,
    pub level: Level,
    /// What the target did, in a sentence.
    pub summary: String,
    /// What it did it with (the filter parts answered one way and then the other).
    pub parts: Vec<String>,
    /// The cases it blocked.
    pub cases: Vec<String>,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}] {}: {}; blocking {}: {}",
            self.rule,
            self.level,
            self.summary,
            self.parts.join(", "),
            self.cases.len(),
            self.cases.join(", ")
        )
    }
}

/// Failures that were the target's load, not its conformance: reported once for the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadFinding {
    /// The cases that failed beside others and passed alone.
    pub cases: Vec<String>,
    /// The most requests the run let be in flight at once (`--concurrency`).
    pub in_flight: usize,
    /// The lowest the in-flight limit fell to as the target showed trouble.
    pub lowest_limit: usize,
    /// 5xx answers, retries included.
    pub server_errors: u64,
    /// Requests that got no whole answer (refused, reset, timed out).
    pub connection_failures: u64,
}

impl fmt::Display for LoadFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.cases.len();
        if n > 0 {
            let cases = if n == 1 { "case" } else { "cases" };
            write!(
                f,
                "{n} {cases} failed under up to {} requests in flight and passed alone; ",
                self.in_flight
            )?;
        }
        write!(
            f,
            "the server answered 5xx to {} requests and dropped {} connections; requests in flight were cut to {}",
            self.server_errors, self.connection_failures, self.lowest_limit
        )?;
        if n > 0 {
            write!(f, "\n    passed alone: {}", self.cases.join(", "))?;
        }
        Ok(())
    }
}

/// Why a run stopped before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stopped {
    /// Ctrl-C (SIGINT).
    Interrupted,
    /// `--run-timeout` passed.
    TimedOut,
}

impl Stopped {
    /// What stopped it, in words.
    pub fn cause(self) -> &'static str {
        match self {
            Stopped::Interrupted => "interrupted (Ctrl-C)",
            Stopped::TimedOut => "stopped at --run-timeout",
        }
    }
}

/// Cases whose requests got no answer beside other cases and that passed when run again
/// alone: the transport's trouble or the target's, not its conformance.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UnansweredFinding {
    pub cases: Vec<String>,
    /// Their sends that got no answer.
    pub drops: u32,
    /// Their requests the client sent again (429, 503, an idempotent one unanswered).
    pub retries: u32,
}

impl fmt::Display for UnansweredFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.cases.len();
        write!(
            f,
            "{n} {} got no answer to {} {} beside other cases ({} sent again) and passed run again alone: {}",
            if n == 1 { "case" } else { "cases" },
            self.drops,
            if self.drops == 1 { "send" } else { "sends" },
            self.retries,
            self.cases.join(", ")
        )
    }
}

/// How far the in-flight limit followed the target, and what the run sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Concurrency {
    /// The limit most requests were sent under.
    pub settled: usize,
    /// `--concurrency`.
    pub ceiling: usize,
    /// The lowest the limit fell to.
    pub lowest: usize,
    /// Requests sent, each retry included.
    pub requests: u64,
}

impl fmt::Display for Concurrency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "settled at {} (ceiling {}, lowest {}) · {} requests sent",
            self.settled, self.ceiling, self.lowest, self.requests
        )
    }
}

/// What a run made of one declared deviation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Declared and observed.
    Documented,
    /// Declared, but every case that could show it found the server complying.
    Stale,
    /// Declared, and no request can show it (a token's lifetime).
    Unobservable,
    /// Declared, but no case that could show it ran (filtered out).
    Unchecked,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Declaration {
    #[serde(flatten)]
    pub deviation: crate::profile::Deviation,
    pub standing: Standing,
    /// The cases that showed it (documented) or that found the server complying (stale).
    pub evidence: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CaseResult {
    /// `suite::case`, as the runner names it.
    pub name: String,
    pub suite: String,
    pub case: String,
    pub file: PathBuf,
    /// The line of the case in `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub level: Level,
    pub requirements: Vec<String>,
    pub status: Status,
    /// The declared deviation the case bears on: by its requirement ids, or the one a vendor
    /// case `shows`. The status says whether it was observed (documented) or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deviation: Option<String>,
    /// The suite setup step that failed, for a blocked case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_by: Option<String>,
    /// The rule of the fault (see [`Fault`]) that blocked the case instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    pub duration_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reproduction: Option<String>,
    pub steps: Vec<StepRecord>,
    /// What the case showed of the optional features it bears on (the report's table).
    #[serde(skip)]
    pub features: Vec<optional::Use>,
    /// Under the interop profile: the profile's MUST rows the case checks, and whether it held
    /// them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interop: Option<crate::interop::overlay::Bearing>,
}

/// A format that can be written to a file.
pub trait Reporter {
    fn render(&self, report: &RunReport) -> String;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Junit,
    Markdown,
    Html,
}

impl Format {
    fn reporter(self) -> &'static dyn Reporter {
        match self {
            Format::Json => &json::Json,
            Format::Junit => &junit::Junit,
            Format::Markdown => &deviation::Markdown,
            Format::Html => &deviation::Html,
        }
    }
}

/// `--report FORMAT=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSpec {
    pub format: Format,
    pub path: PathBuf,
}

impl FromStr for ReportSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (fmt, path) = s
            .split_once('=')
            .ok_or("expected FORMAT=PATH, e.g. junit=results.xml")?;
        let format = match fmt {
            "json" => Format::Json,
            "junit" => Format::Junit,
            "markdown" | "md" => Format::Markdown,
            "html" => Format::Html,
            other => {
                return Err(format!(
                    "unknown report format `{other}` (known: json, junit, markdown, html)"
                ));
            }
        };
        if path.is_empty() {
            return Err("the report path is empty".into());
        }
        Ok(ReportSpec {
            format,
            path: PathBuf::from(path),
        })
    }
}

impl fmt::Display for ReportSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}={}", self.format, self.path.display())
    }
}

/// Writes one report; `scrub` removes any secret the text may still carry.
pub fn write(
    spec: &ReportSpec,
    report: &RunReport,
    scrub: impl Fn(&str) -> String,
) -> std::io::Result<()> {
    let text = scrub(&spec.format.reporter().render(report));
    if let Some(dir) = spec.path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&spec.path, text)
}

/// What libtest's summary cannot say: warnings, skipped cases, deviations and the standing
/// of each declared one, each with its reason.
pub fn summary(report: &RunReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let listed = |out: &mut String, status: Status, head: &str| {
        let cases: Vec<&CaseResult> = report.cases.iter().filter(|c| c.status == status).collect();
        if cases.is_empty() {
            return;
        }
        let _ = writeln!(out, "{head} ({}):", cases.len());
        for c in cases {
            let first = c.message.as_deref().and_then(first_failure);
            let _ = writeln!(
                out,
                "    {} [{} {}] {}",
                c.name,
                c.level,
                c.requirements.join(" "),
                first.unwrap_or_default().trim()
            );
        }
        out.push('\n');
    };
    listed(
        &mut out,
        Status::Warning,
        "warnings: failed SHOULD cases, offered optional features that misbehave, unadvertised features that work, values the RFC only suggests; the run still passes",
    );
    skipped(&mut out, &report.cases);
    listed(
        &mut out,
        Status::Undocumented,
        &format!(
            "undocumented deviations: failures profile {} does not declare",
            report.profile
        ),
    );
    listed(
        &mut out,
        Status::Documented,
        &format!(
            "documented deviations: failures profile {} declares",
            report.profile
        ),
    );
    if !report.faults.is_empty() {
        let _ = writeln!(
            out,
            "faults in what cases lean on, each reported once (the cases leaning on one are blocked, not failed under their own rules):"
        );
        for fault in &report.faults {
            let _ = writeln!(out, "    {fault}");
        }
        out.push('\n');
    }
    let setups = findings::setup_failures(&report.cases);
    if !setups.is_empty() {
        let _ = writeln!(
            out,
            "blocked: a step of the suite's setup failed, so these cases checked nothing ({}):",
            setups.iter().map(|f| f.cases.len()).sum::<usize>()
        );
        for f in &setups {
            let names: Vec<&str> = f.cases.iter().map(|c| c.name.as_str()).collect();
            let _ = writeln!(
                out,
                "    {} failed in {} setup {} ({}), blocking {}: {}",
                f.symptom,
                f.steps.len(),
                if f.steps.len() == 1 { "step" } else { "steps" },
                f.steps.join("; "),
                names.len(),
                names.join(", ")
            );
            if let Some(first) = f.cases[0].message.as_deref().and_then(first_failure) {
                let _ = writeln!(out, "        {}", first.trim());
            }
            if let Some(refusal) = f.refusal(&report.fill_paths) {
                let _ = writeln!(out, "        {refusal}");
            }
        }
        out.push('\n');
    }
    if !report.invariants.is_empty() {
        let failing = report.invariants.iter().filter(|i| i.fails_run()).count();
        let _ = writeln!(
            out,
            "invariants: what every answer must show, whichever case got it ({} findings, {failing} failing the run):",
            report.invariants.len()
        );
        for i in &report.invariants {
            let _ = writeln!(out, "  {i}");
        }
        out.push('\n');
    }
    for d in &report.discovery {
        let _ = writeln!(
            out,
            "warning: discovery ({} {}): {}\n",
            d.level, d.requirement, d.message
        );
    }
    out.push_str(&optional::render(&report.optional_features));
    if let Some(load) = &report.load {
        let _ = writeln!(out, "warning: load, not conformance: {load}\n");
    }
    if let Some(unanswered) = &report.unanswered {
        let _ = writeln!(out, "warning: transport, not conformance: {unanswered}\n");
    }
    if let Some(c) = &report.concurrency {
        let _ = writeln!(out, "concurrency: {c}\n");
    }
    if !report.declined.is_empty() {
        let _ = writeln!(
            out,
            "filter operators and PATCH path forms declined (the cases using them are skipped): {}\n",
            report.declined.join(", ")
        );
    }
    if !report.declarations.is_empty() {
        let _ = writeln!(out, "declared deviations of profile {}:", report.profile);
        for d in &report.declarations {
            let standing = match d.standing {
                Standing::Documented => "documented",
                Standing::Stale => "STALE (the server complies)",
                Standing::Unobservable => "documented, not observable over HTTP",
                Standing::Unchecked => "unchecked (no case ran)",
            };
            let _ = writeln!(
                out,
                "    {:<28} {standing}: {}",
                d.deviation.id, d.deviation.summary
            );
        }
        out.push('\n');
    }
    listed(
        &mut out,
        Status::Inconclusive,
        "inconclusive: a request got no answer, beside other cases and again alone (a dropped connection, a timeout); these cases showed nothing either way",
    );
    if let Some(stopped) = report.stopped {
        let _ = writeln!(
            out,
            "{}: {} cases cut short or not run (interrupted, not failed)\n",
            stopped.cause(),
            report.interrupted
        );
    }
    if let Some(readiness) = &report.interop {
        out.push_str(&readiness.render());
    }
    if let Some(line) = findings::headline(&report.cases) {
        let _ = writeln!(out, "{line}\n");
    }
    out
}

/// What the file reports say of the cases that showed nothing: the run stopped before its
/// end, cases that got no answer; None when neither.
pub fn unfinished(report: &RunReport) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(stopped) = report.stopped {
        parts.push(format!(
            "The run was {}: {} cases interrupted.",
            stopped.cause(),
            report.interrupted
        ));
    }
    if report.inconclusive > 0 {
        parts.push(format!(
            "{} cases inconclusive: a request got no answer, even run again alone.",
            report.inconclusive
        ));
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// The skipped cases grouped by reason, most first: how many, then each reason's cases.
fn skipped(out: &mut String, cases: &[CaseResult]) {
    use std::fmt::Write;
    let mut by_reason: Vec<(&str, Vec<&str>)> = Vec::new();
    for c in cases.iter().filter(|c| c.status == Status::Skipped) {
        // The reason is the first line; what follows is the evidence (an answer, a step).
        let why = c.message.as_deref().unwrap_or("no reason given");
        let why = why.lines().next().unwrap_or_default();
        let why = why.trim_start_matches("skipped: ").trim();
        match by_reason.iter_mut().find(|(r, _)| *r == why) {
            Some((_, names)) => names.push(&c.name),
            None => by_reason.push((why, vec![&c.name])),
        }
    }
    if by_reason.is_empty() {
        return;
    }
    by_reason.sort_by_key(|(_, names)| std::cmp::Reverse(names.len()));
    let total: usize = by_reason.iter().map(|(_, n)| n.len()).sum();
    let counts: Vec<String> = by_reason
        .iter()
        .map(|(why, names)| format!("{} {why}", names.len()))
        .collect();
    let _ = writeln!(out, "skipped {total}: {}", counts.join("; "));
    for (why, names) in &by_reason {
        let _ = writeln!(out, "    {why}: {}", names.join(", "));
    }
    out.push('\n');
}

/// The first `✗` line of a case's message, else its first line.
fn first_failure(m: &str) -> Option<&str> {
    m.lines()
        .find(|l| l.trim_start().starts_with('✗'))
        .or_else(|| m.lines().next())
}
