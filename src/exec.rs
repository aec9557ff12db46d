//! Executing one case: its steps in order over HTTP, captures between them, teardown always.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_saphyr::Spanned;

use crate::check::declared::Declared;
use crate::check::invariants::{self, Breach, Seen, Vocabulary};
use crate::check::snapshot::{self, Snapshots};
use crate::check::{self, Schemas, cut};
use crate::client::{Body, Client, Credentials, Exchange, Outcome, Outgoing, curl};
use crate::suite::template::{self, Vars};
use crate::suite::{Case, Method, Step, Suite};
pub use declined::{FILTER_RULE, Refusal};
pub use fixture::Fixture;
use shape::Additions;
pub use shape::Shaping;

mod declined;
mod fixture;
mod kept;
mod path_forms;
mod realistic;
mod shape;
mod walk;

/// How much of a response body a failure message shows.
const SHOWN_BODY: usize = 2000;

/// What a run shares between its cases.
pub struct Runner {
    pub client: Arc<Client>,
    pub schemas: Schemas,
    /// The target's own schema declarations; None when it serves none that can be read.
    pub declared: Option<Declared>,
    /// The resource types every answer is held to (`check::invariants`).
    vocabulary: Vocabulary,
    /// What shapes the bodies sent (`shape`).
    shaping: Shaping,
    /// Variables with one value for the whole run (the `entra_*` spellings).
    constants: Vars,
    pub run_id: String,
    counter: AtomicU64,
    /// Where approved snapshots are, when they are checked or written.
    snapshots: Option<Snapshots>,
    /// What the run learnt of the filters the target declines.
    pub probes: declined::Probes,
    /// What the run learnt of the PATCH path forms the target declines.
    path_forms: path_forms::PathForms,
}

/// Where a step is: its suite file and its case, `suite::case`, and whether the suite's
/// created users are completed as an identity provider sends them.
struct Site<'a> {
    file: &'a Path,
    case: String,
    complete_users: bool,
}

/// One step as it ran.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepRecord {
    pub label: String,
    pub teardown: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<Exchange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
    /// What the step showed that deserves a warning but breaks no MUST.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Why the step did not run (a teardown step whose variables were never captured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// What a create's answer shows the target did not keep of the case's own data (`kept`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unkept: Option<kept::Lost>,
    /// The response invariants its answer broke, whatever the step expected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaches: Vec<Breach>,
}

/// The first step of a case that failed.
#[derive(Debug, Clone)]
pub struct Failure {
    /// What failed, what was sent, what came back.
    pub message: String,
    /// When the step was one of the suite's setup steps: which (`file:line` and its name).
    /// The case then never reached what it is about: it is blocked, not failed.
    pub setup: Option<String>,
    /// When the step was one of the case's own: its number among them, from 1 (what a
    /// case's `optional` and `skip_if` answers name).
    pub step: Option<usize>,
}

/// What a case has done so far: its variables (captures included), its steps as they ran,
/// the first failure and what the creates' answers showed.
#[derive(Debug, Clone)]
struct Progress {
    vars: Vars,
    steps: Vec<StepRecord>,
    failure: Option<Failure>,
    declined: Option<Refusal>,
    unkept: Option<kept::Lost>,
    /// What an earlier create's answer showed the target did not keep.
    lost: Option<kept::Lost>,
}

impl Progress {
    fn new(vars: Vars) -> Self {
        Progress {
            vars,
            steps: Vec::new(),
            failure: None,
            declined: None,
            unkept: None,
            lost: None,
        }
    }
}

/// A case as it ran; `failure` holds the first failing step, `warning` the notes of every
/// step.
#[derive(Debug)]
pub struct CaseRecord {
    pub steps: Vec<StepRecord>,
    pub failure: Option<Failure>,
    /// Where the failure was a filter or a PATCH path refused with 400: whether the target
    /// declines parts or forms of it (RFC 7644 Table 9: the case is unsupported, not failed)
    /// or answers a filter by the data stored (a fault of its own that blocks the case).
    pub declined: Option<Refusal>,
    /// Where the failing step is about what an earlier create's answer shows the target did
    /// not keep: what it lost. The case is then unsupported, not failed.
    pub unkept: Option<kept::Lost>,
    pub warning: Option<String>,
    /// A script of the case's requests up to the failure (all of them when none failed), to
    /// reproduce what it showed by hand.
    pub reproduction: String,
}

impl CaseRecord {
    /// Whether the step that failed got no answer at all (see [`Exchange::unanswered`]), or
    /// one only after a send that got none ([`Exchange::dropped`]), which may be to what that
    /// send did: the case showed nothing sure of the target's conformance.
    pub fn unanswered(&self) -> bool {
        self.failing_exchange()
            .is_some_and(|e| e.unanswered || e.dropped > 0)
    }

    /// Whether the step that failed got no answer of any kind: none came, or scimitar held
    /// the request back (as a stopping run does what would create or change).
    pub fn no_answer(&self) -> bool {
        self.failing_exchange()
            .is_some_and(|e| matches!(e.outcome, Outcome::Error(_)))
    }

    /// What the step that failed sent, if it sent anything.
    fn failing_exchange(&self) -> Option<&Exchange> {
        self.failure.as_ref()?;
        let step = self.steps.iter().find(|s| !s.failures.is_empty())?;
        step.exchange.as_ref()
    }

    /// How many of its sends got no answer, and how many times the client sent one again.
    pub fn drops_and_retries(&self) -> (u32, u32) {
        let exchanges = || self.steps.iter().filter_map(|s| s.exchange.as_ref());
        (
            exchanges().map(|e| e.dropped).sum(),
            exchanges().map(|e| e.retries).sum(),
        )
    }
}

impl Runner {
    pub fn new(
        client: Arc<Client>,
        schemas: Schemas,
        declared: Option<Declared>,
        shaping: Shaping,
        constants: Vars,
        run_id: String,
    ) -> Self {
        Runner {
            client,
            schemas,
            vocabulary: Vocabulary::new(declared.as_ref()),
            declared,
            shaping,
            constants,
            run_id,
            counter: AtomicU64::new(0),
            snapshots: None,
            probes: declined::Probes::default(),
            path_forms: path_forms::PathForms::default(),
        }
    }

    /// Checks (or writes) the steps' snapshots in `snapshots`.
    pub fn with_snapshots(mut self, snapshots: Option<Snapshots>) -> Self {
        self.snapshots = snapshots;
        self
    }

    fn vars(&self) -> Vars {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        [
            (
                "unique",
                Value::String(format!("scimitar-{}-{n}", self.run_id)),
            ),
            ("run_id", Value::String(self.run_id.clone())),
            (
                "hour_ago_east",
                Value::String(crate::scim::value::hour_ago_east()),
            ),
            (
                "base_url",
                Value::String(self.client.base_url().to_string()),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain(self.constants.clone())
        .collect()
    }

    /// Runs a case with the run's variables and `limits` (see `Capabilities::limits`);
    /// `fill` adds the profile's members to its creates. With `fixture`, the case shares
    /// the suite's setup, run once for all its read-only cases, and its captures (`unique`
    /// included); the suite's teardown is then [`Runner::release`]'s.
    pub async fn run_case(
        &self,
        file: &Path,
        suite: &Suite,
        case: &Case,
        limits: Vars,
        fill: bool,
        fixture: Option<&Fixture>,
    ) -> CaseRecord {
        let at = Site {
            file,
            case: format!("{}::{}", suite.name, case.name),
            complete_users: suite.complete_users,
        };
        let main: Vec<&Spanned<Step>> = suite.setup.iter().chain(&case.steps).collect();
        let setup = suite.setup.len();
        let mut progress = match fixture {
            Some(f) => {
                let shared = f.set_up(|| self.set_up(&main, setup, fill, &at)).await;
                let mut p = shared.for_case(self, file, &suite.setup, main.len());
                p.vars.extend(limits);
                p
            }
            None => {
                let mut vars = self.vars();
                vars.extend(limits);
                let mut p = Progress::new(vars);
                self.advance(&main, 0..setup, setup, &mut p, fill, &at)
                    .await;
                p
            }
        };
        if progress.failure.is_none() {
            self.advance(&main, setup..main.len(), setup, &mut progress, fill, &at)
                .await;
        }
        // A shared setup's teardown waits for the last case that shares it.
        let suite_teardown = if fixture.is_some() {
            &[][..]
        } else {
            &suite.teardown[..]
        };
        let teardown: Vec<&Spanned<Step>> = case.teardown.iter().chain(suite_teardown).collect();
        self.tear_down(&teardown, &mut progress, fill, &at).await;
        self.conclude(progress)
    }

    /// The suite's setup, run once for the read-only cases that share it: the first steps of
    /// `main`, labelled as the first case to ask has them.
    async fn set_up(
        &self,
        main: &[&Spanned<Step>],
        setup: usize,
        fill: bool,
        at: &Site<'_>,
    ) -> fixture::SetUp {
        let mut progress = Progress::new(self.vars());
        self.advance(main, 0..setup, setup, &mut progress, fill, at)
            .await;
        fixture::SetUp::new(progress, main.len(), fill)
    }

    /// Runs `main[range]` in turn (the first `setup` of `main` are the suite's), stopping at
    /// the first step that fails.
    async fn advance(
        &self,
        main: &[&Spanned<Step>],
        range: std::ops::Range<usize>,
        setup: usize,
        p: &mut Progress,
        fill: bool,
        at: &Site<'_>,
    ) {
        let file = at.file;
        let total = main.len();
        for i in range {
            let step = main[i];
            let label = label(file, step, i + 1, total, false);
            let mut record = self
                .run_step(step, &mut p.vars, label.clone(), false, fill, at, None)
                .await;
            let mut records = vec![];
            if let Some(w) = step
                .value
                .walk
                .as_ref()
                .filter(|_| record.failures.is_empty())
            {
                records = self
                    .walk(step, w, &mut record, &mut p.vars, &label, fill, at)
                    .await;
            }
            records.insert(0, record);
            let failed = records.iter().find(|r| !r.failures.is_empty());
            if let Some(r) = failed {
                p.unkept = p
                    .lost
                    .take()
                    .filter(|l: &kept::Lost| leans_on(l, &step.value, r));
            }
            p.lost = p
                .lost
                .take()
                .or_else(|| records.iter().find_map(|r| r.unkept.clone()));
            if let Some(r) = failed {
                let refusable = step
                    .value
                    .expect
                    .status
                    .as_ref()
                    .is_none_or(|s| !s.contains(400));
                if refusable {
                    p.declined = self.probes.declined(&self.client, r).await;
                }
                let expects_success = step
                    .value
                    .expect
                    .status
                    .as_ref()
                    .is_none_or(|s| s.0.iter().all(|c| *c < 300));
                if p.declined.is_none() && expects_success {
                    p.declined = self.probes.broken(&self.client, r);
                }
                // Also where a 400 was expected: one for the path form, not for what the
                // case is about (`noTarget`), says nothing of it.
                if p.declined.is_none() {
                    p.declined = self
                        .path_forms
                        .declined(&self.client, r)
                        .await
                        .map(Refusal::PathForms);
                }
                p.failure = Some(Failure {
                    message: would_fail(&step.value, r) + &self.message(r, &r.failures),
                    setup: (i < setup).then(|| setup_name(file, step)),
                    step: (i >= setup).then(|| i + 1 - setup),
                });
            }
            let stop = failed.is_some();
            p.steps.extend(records);
            if stop {
                break;
            }
        }
    }

    /// Runs `teardown` in turn, whatever fails; the first failure fails the case if nothing
    /// did before.
    async fn tear_down(
        &self,
        teardown: &[&Spanned<Step>],
        p: &mut Progress,
        fill: bool,
        at: &Site<'_>,
    ) {
        let total = teardown.len();
        for (i, step) in teardown.iter().enumerate() {
            let label = label(at.file, step, i + 1, total, true);
            let record = self
                .run_step(step, &mut p.vars, label, true, fill, at, None)
                .await;
            if p.failure.is_none() && !record.failures.is_empty() {
                p.failure = Some(Failure {
                    message: self.message(&record, &record.failures),
                    setup: None,
                    step: None,
                });
            }
            p.steps.push(record);
        }
    }

    /// The case's record from its steps: the reproduction script and the warnings.
    fn conclude(&self, p: Progress) -> CaseRecord {
        let steps = p.steps;
        let reproduction = curl::script(
            steps
                .iter()
                .filter(|s| !s.teardown || !s.failures.is_empty())
                .filter_map(|s| s.exchange.as_ref())
                .map(|e| &e.request),
        );
        // A warning shows what was sent and what came back, as a failure does.
        let notes: Vec<String> = steps
            .iter()
            .filter(|s| !s.notes.is_empty())
            .map(|s| self.message(s, &s.notes))
            .collect();
        CaseRecord {
            steps,
            failure: p.failure,
            declined: p.declined,
            unkept: p.unkept,
            warning: (!notes.is_empty()).then(|| notes.join("\n")),
            reproduction,
        }
    }

    /// Runs one step; `cursor`, where given, replaces the request's (a page of a walk).
    #[allow(clippy::too_many_arguments)]
    async fn run_step(
        &self,
        step: &Spanned<Step>,
        vars: &mut Vars,
        label: String,
        teardown: bool,
        fill: bool,
        at: &Site<'_>,
        cursor: Option<&str>,
    ) -> StepRecord {
        let s = &step.value;
        let pause = s.pause(vars);
        if pause > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
        }
        let mut record = StepRecord {
            label,
            teardown,
            exchange: None,
            failures: vec![],
            notes: vec![],
            skipped: None,
            unkept: None,
            breaches: vec![],
        };
        let rendered = (|| -> Result<_, template::Missing> {
            let path = template::render_str(&s.request.path, vars)?;
            let query = s
                .request
                .query
                .iter()
                .map(|(k, v)| Ok((k.clone(), template::render_str(v, vars)?)))
                .collect::<Result<Vec<_>, _>>()?;
            let headers = s
                .request
                .headers
                .iter()
                .map(|(k, v)| Ok((k.clone(), template::render_str(v, vars)?)))
                .collect::<Result<Vec<_>, _>>()?;
            let body = match (&s.request.body, &s.request.raw_body) {
                (Some(b), _) => Some(Body::Json(template::render_value(b, vars)?)),
                (None, Some(raw)) => Some(Body::Raw(template::render_str(raw, vars)?)),
                (None, None) => None,
            };
            let bearer = s
                .request
                .bearer
                .as_ref()
                .map(|b| template::render_str(b, vars))
                .transpose()?;
            Ok((path, query, headers, body, bearer))
        })();
        let (path, mut query, headers, mut body, bearer) = match rendered {
            Ok(r) => r,
            Err(m) => {
                // Only teardown can get here: the loader proves every other use is captured first.
                record.skipped = Some(format!(
                    "`{}` was never captured (an earlier step failed)",
                    m.0
                ));
                return record;
            }
        };
        if let Some(c) = cursor {
            match &mut body {
                Some(Body::Json(Value::Object(obj))) => {
                    obj.insert("cursor".into(), Value::String(c.to_string()));
                }
                _ => {
                    query.retain(|(k, _)| k != "cursor");
                    query.push(("cursor".into(), c.to_string()));
                }
            }
        }
        // The case's own data as sent: what a create's answer is read back against (what
        // shaping added is no data the case leans on).
        let mut own = match &body {
            Some(Body::Json(json)) if s.request.method == Method::Post => Some(json.clone()),
            _ => None,
        };
        if let Some(own) = &mut own {
            self.shaping.fit.body(s.request.method, &path, own);
        }
        if let Some(Body::Json(json)) = &mut body {
            let additions = Additions {
                fill,
                complete_users: at.complete_users && !s.as_sent,
            };
            self.shape(s.request.method, &path, json, additions, vars);
        }
        let credentials = match (&bearer, s.request.auth) {
            (Some(b), _) => Credentials::Bearer(b),
            (None, true) => Credentials::Target,
            (None, false) => Credentials::Anonymous,
        };
        let exchange = self
            .client
            .send(Outgoing {
                method: s.request.method,
                path: &path,
                query: &query,
                headers: &headers,
                body: body.as_ref(),
                credentials,
            })
            .await;
        self.probes.saw(&self.client, &exchange);
        match &exchange.outcome {
            Outcome::Error(e) => record.failures.push(format!("no response: {e}")),
            Outcome::Response(resp) => {
                // Parsed once for the expectations, the declared schemas and the captures.
                let body: Result<Value, serde_json::Error> = serde_json::from_str(&resp.body);
                record.failures = check::check(&s.expect, resp, &body, vars, &self.schemas);
                // A step may name an absolute URL under the base (a Location it captured).
                let base = self.client.base_url().trim_end_matches('/');
                let relative = path.strip_prefix(base).unwrap_or(&path);
                let seen = Seen::new(
                    &exchange.request,
                    (relative, &query),
                    resp,
                    body.as_ref().ok(),
                );
                record.breaches = invariants::check(&seen, &self.vocabulary);
                // What an answer echoed may hold a secret, as any message may.
                for b in &mut record.breaches {
                    b.detail = self.client.scrub(&b.detail);
                }
                if let Some(declared) = &self.declared {
                    // C-discovery-04 is a SHOULD: a resource at odds with its declaration
                    // is a warning, not a failure.
                    let found = declared.check(&exchange.request, resp.status, body.as_ref().ok());
                    record.notes = found.violations.into_iter().chain(found.notes).collect();
                }
                if let (Some(name), Some(snapshots)) = (&s.snapshot, &self.snapshots) {
                    let content = snapshot::render(
                        resp.status,
                        &resp.body,
                        self.client.base_url(),
                        &self.run_id,
                    );
                    let source = at.file.display().to_string();
                    if let Err(e) = snapshots.assert(&at.case, name, &source, &content) {
                        record.failures.push(e);
                    }
                }
                if resp.truncated {
                    record.failures.push(format!(
                        "the response body is larger than {} bytes",
                        crate::client::http::MAX_BODY
                    ));
                }
                // Captured even from a failed step, so that teardown can remove what an
                // unexpected success created; a value missing fails only a passing step
                // answered with success (an error answer has nothing to capture).
                let passed = record.failures.is_empty() && (200..300).contains(&resp.status);
                if s.request.method == Method::Post
                    && passed
                    && let (Some(own), Ok(got)) = (&own, &body)
                {
                    record.unkept = kept::shortfall(own, got);
                }
                for (name, pointer) in &s.capture {
                    match body.as_ref().ok().and_then(|b| b.pointer(&pointer.value)) {
                        Some(v) => {
                            vars.insert(name.clone(), v.clone());
                        }
                        None if passed => record.failures.push(format!(
                            "capture {name}: nothing at {} in the response body",
                            pointer.value
                        )),
                        None => {}
                    }
                }
            }
        }
        record.exchange = Some(exchange);
        record
    }

    /// The message shown for a step: what failed (or deserves a warning, `marked`), what was
    /// sent, what came back.
    fn message(&self, step: &StepRecord, marked: &[String]) -> String {
        let mut m = format!("{}:\n", step.label);
        for f in marked {
            m.push_str(&format!("  ✗ {f}\n"));
        }
        if let Some(x) = &step.exchange {
            let r = &x.request;
            m.push_str(&format!("\n  request:  {} {}\n", r.method.as_str(), r.url));
            if let Some(b) = &r.body {
                m.push_str(&indent(&cut(&pretty(&b.text()), SHOWN_BODY), 12));
                m.push('\n');
            }
            match &x.outcome {
                Outcome::Response(resp) => {
                    m.push_str(&format!(
                        "  response: {} ({:.1} ms)\n",
                        resp.status, x.elapsed_ms
                    ));
                    for (k, v) in &resp.headers {
                        m.push_str(&format!("            {k}: {v}\n"));
                    }
                    if !resp.body.is_empty() {
                        m.push_str(&indent(&cut(&pretty(&resp.body), SHOWN_BODY), 12));
                        m.push('\n');
                    }
                }
                Outcome::Error(e) => m.push_str(&format!("  response: none ({e})\n")),
            }
            m.push_str(&format!(
                "\n  reproduce:\n    {}\n",
                curl::command(r).replace('\n', "\n    ")
            ));
        }
        self.client.scrub(&m)
    }
}

/// `Okta's Deactivate user would fail: PATCH answered 400`, the line before the message of a
/// failed step that names the identity provider's operation it belongs to.
fn would_fail(step: &Step, record: &StepRecord) -> String {
    let Some(op) = &step.operation else {
        return String::new();
    };
    let what = match &record.exchange {
        Some(x) => match &x.outcome {
            Outcome::Response(r) => format!("{} answered {}", x.request.method.as_str(), r.status),
            Outcome::Error(e) => format!("{} got no answer ({e})", x.request.method.as_str()),
        },
        None => "its request was not sent".into(),
    };
    format!("{op} would fail: {what}\n")
}

/// JSON pretty-printed; anything else as it is.
fn pretty(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_string())
}

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A suite setup step as every case of the suite shares it: `file:line` and its name.
fn setup_name(file: &Path, step: &Spanned<Step>) -> String {
    format!(
        "{}:{}{}",
        file.display(),
        step.referenced.line(),
        step_name(step)
    )
}

/// Whether the failed step `r` of `step` leans on what `lost` says the target did not keep.
fn leans_on(lost: &kept::Lost, step: &Step, r: &StepRecord) -> bool {
    let request = r.exchange.as_ref().map_or(String::new(), |x| {
        let url = percent_decoded(&x.request.url);
        let body = x.request.body.as_ref().map(Body::text).unwrap_or_default();
        format!("{url} {body}")
    });
    let pointers: Vec<&str> = step.expect.json.keys().map(String::as_str).collect();
    lost.bears_on(&request, &pointers)
}

/// A URL with its query's escapes undone (`emails.value+eq` reads `emails.value eq`).
fn percent_decoded(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => {
            let query: Vec<String> = u.query_pairs().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{} {}", u.path(), query.join("&"))
        }
        Err(_) => url.to_string(),
    }
}

/// `` `name` `` with a leading space, or nothing for an unnamed step.
fn step_name(step: &Spanned<Step>) -> String {
    step.value
        .name
        .as_deref()
        .map(|n| format!(" `{n}`"))
        .unwrap_or_default()
}

fn label(file: &Path, step: &Spanned<Step>, n: usize, total: usize, teardown: bool) -> String {
    let kind = if teardown { "teardown step" } else { "step" };
    let name = step_name(step);
    format!(
        "{kind} {n}/{total}{name} ({}:{})",
        file.display(),
        step.referenced.line()
    )
}
