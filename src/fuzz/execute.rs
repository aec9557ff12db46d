//! Runs one sequence against the target and a fresh reference model side by side, goes on
//! past a divergence that leaves both sides' resources alike (a read, a header, an error
//! body) and stops at one that does not, and deletes what it created on the target, the
//! model's refusals among it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::compare::{Answers, Divergence, Kind, Names, Sent};
use super::op::{self, Op, Purpose, Resource};
use super::trace::{Step, Trace};
use super::transport::Tally;
use crate::check::invariants::{self, Seen, Vocabulary};
use crate::client::{Body, Client, Credentials, Outcome, Outgoing};
use crate::plan::fit::Fit;
use crate::profile::Profile;
use crate::server::Reference;
use crate::suite::Method;

mod walk;

/// Marks a shell variable inside a rendered string of the reproduction script.
pub const VAR: char = '\u{1}';

/// A resource created on both sides.
struct Slot {
    model: String,
    target: String,
    /// The shell variable holding its id in the reproduction script.
    var: String,
}

/// Whether both sides' resources are still alike after `step` diverged as `d`: a read
/// changes nothing, and a write whose answer differs only in a header or its error body
/// did what the model did. Anything else ends the sequence, so one fault is not reported
/// again as the differences it causes later.
fn goes_on(step: &Step, d: &Divergence) -> bool {
    step.op.method == Method::Get
        || matches!(
            d.kind,
            Kind::Location
                | Kind::ContentType
                | Kind::ErrorSchemas
                | Kind::ErrorStatus
                | Kind::Unadvertised
                | Kind::Invariant
        )
}

#[derive(Clone, Copy)]
enum Side {
    Model,
    Target,
    Script,
}

/// Runs sequences; counts what it sends.
pub struct Engine {
    client: Client,
    profile: Profile,
    /// What the target declares: generated bodies are cut to it.
    fit: Option<Arc<Fit>>,
    /// The resource types every answer is held to (`check::invariants`).
    vocabulary: Vocabulary,
    run_id: String,
    executions: AtomicU64,
    requests: AtomicU64,
    /// What was retried or left unanswered, by kind of request.
    transport: Mutex<Tally>,
}

/// The per-execution state.
struct Execution<'a> {
    prefix: String,
    users: Vec<Slot>,
    groups: Vec<Slot>,
    /// What the target created and the model did not (a group with unknown members the
    /// model refuses, RFC 7643 §2.3.7): no placeholder stands for it, but it is deleted.
    strays: Vec<(Resource, String)>,
    model: Names,
    target: Names,
    sent: Sent,
    /// Placeholder → the last (model version, target version, model resource) seen.
    versions: HashMap<String, (String, String, Value)>,
    engine: &'a Engine,
}

impl Engine {
    /// The first response invariant the target's answer breaks, where the comparison with
    /// the model found nothing: what every answer must show holds here too.
    fn invariant(&self, step: &Step) -> Option<Divergence> {
        let Outcome::Response(r) = &step.actual else {
            return None;
        };
        let url = reqwest::Url::parse(&step.request.url).ok()?;
        let base = self.client.base_url().trim_end_matches('/');
        let path = step.request.url.strip_prefix(base)?.split('?').next()?;
        let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let body = serde_json::from_str::<Value>(&r.body).ok();
        let seen = Seen::new(&step.request, (path, &query), r, body.as_ref());
        let breach = invariants::check(&seen, &self.vocabulary)
            .into_iter()
            .next()?;
        let detail = self.client.scrub(&breach.detail);
        Some(Divergence::new(Kind::Invariant, breach.rule, detail))
    }

    pub fn new(
        client: Client,
        profile: Profile,
        (fit, vocabulary): (Option<Arc<Fit>>, Vocabulary),
        run_id: String,
    ) -> Self {
        Engine {
            client,
            profile,
            fit,
            vocabulary,
            run_id,
            executions: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            transport: Mutex::default(),
        }
    }

    /// Requests sent to the target so far, clean-up excluded.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn base_url(&self) -> &str {
        self.client.base_url()
    }

    /// What was retried or left unanswered so far, by kind of request.
    pub fn transport(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.transport.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The trouble the client met so far over the whole run: 5xx answers, failed
    /// connections.
    pub fn client_load(&self) -> crate::client::LoadStats {
        self.client.load()
    }

    /// Stops sending and deletes what the run created.
    pub async fn stop(&self) {
        for url in self.client.stop().await {
            eprintln!("could not delete {url}");
        }
    }

    /// Deletes what the ledger still lists, then what carries the run's marker; returns
    /// what is left on the target (and each search that failed).
    pub async fn sweep(&self) -> Vec<String> {
        self.client.sweep().await
    }

    pub async fn execute(&self, ops: &[Op]) -> Result<Trace, String> {
        let reference = Reference::new(&self.profile, "http://reference")?;
        let n = self.executions.fetch_add(1, Ordering::Relaxed);
        let mut ex = Execution {
            prefix: op::prefix(&self.run_id, n),
            users: Vec::new(),
            groups: Vec::new(),
            strays: Vec::new(),
            model: Names {
                base_url: reference.base_url().to_string(),
                ids: HashMap::new(),
            },
            target: Names {
                base_url: self.client.base_url().to_string(),
                ids: HashMap::new(),
            },
            sent: Sent::default(),
            versions: HashMap::new(),
            engine: self,
        };
        let mut trace = Trace {
            steps: Vec::new(),
            divergences: Vec::new(),
            inconclusive: None,
        };
        for op in ops {
            if let Purpose::Walk { count, tamper } = op.purpose {
                // A walk only reads: it goes on past what it finds.
                let (steps, divergence) = ex.walk(op, count, tamper, &reference).await;
                let first = trace.steps.len();
                trace.steps.extend(steps);
                trace
                    .divergences
                    .extend(divergence.map(|(i, d)| (first + i, d)));
                continue;
            }
            let (step, divergence) = ex.step(op, &reference).await;
            trace.steps.push(step);
            if trace.steps.last().is_some_and(Step::unjudged) {
                // No answer (the client sent an idempotent request again within its retry
                // budget), or still busy: no verdict. A read changed nothing, so the sequence
                // goes on; anything else may or may not have been applied, which the model
                // cannot follow, so it ends here (a resource it created is swept by name).
                if op.method == Method::Get {
                    continue;
                }
                trace.inconclusive = Some(trace.steps.len() - 1);
                break;
            }
            if let Some(d) = divergence {
                let at = trace.steps.len() - 1;
                let more = goes_on(&trace.steps[at], &d);
                trace.divergences.push((at, d));
                if !more {
                    break;
                }
            }
        }
        ex.clean_up().await;
        Ok(trace)
    }
}

impl Execution<'_> {
    fn fill(&self, key: &str, side: Side) -> String {
        if key == "prefix" {
            return match side {
                Side::Script => format!("scimitar-{VAR}RUN{VAR}-"),
                _ => self.prefix.clone(),
            };
        }
        let (slots, n) = match key.split_once(':') {
            Some(("user", n)) => (&self.users, n),
            Some(("group", n)) => (&self.groups, n),
            _ => return String::new(),
        };
        let n: usize = n.parse().unwrap_or(0);
        if slots.is_empty() {
            // No resource of its type exists yet: an id nobody has, marked as this run's.
            return format!("scimitar-{}-nobody", self.engine.run_id);
        }
        let slot = &slots[n % slots.len()];
        match side {
            Side::Model => slot.model.clone(),
            Side::Target => slot.target.clone(),
            Side::Script => format!("{VAR}{}{VAR}", slot.var),
        }
    }

    /// Sends `op` to both sides; `cursors` (the model's, the target's) replace its `cursor`,
    /// each side getting back the cursor it handed out.
    async fn send(
        &mut self,
        op: &Op,
        reference: &Reference,
        cursors: Option<(&str, &str)>,
    ) -> Step {
        let mut model = op.render(&|k| self.fill(k, Side::Model));
        let mut target = op.render(&|k| self.fill(k, Side::Target));
        let mut script = op.render(&|k| self.fill(k, Side::Script));
        if let Some((m, t)) = cursors {
            for (r, c) in [(&mut model, m), (&mut target, t), (&mut script, t)] {
                for (k, v) in &mut r.query {
                    if k == "cursor" {
                        *v = c.to_string();
                    }
                }
            }
        }
        if let Some(fit) = &self.engine.fit {
            for r in [&mut model, &mut target, &mut script] {
                if let Some(b) = &mut r.body {
                    fit.body(r.method, &r.path, b);
                }
            }
        }
        let client = &self.engine.client;
        let body = target.body.clone().map(Body::Json);
        let path_and_query = with_query(&model.path, &model.query);
        let (expected, exchange) = tokio::join!(
            reference.send(
                model.method.as_str(),
                &path_and_query,
                &model.headers,
                op.anonymous,
                model.body.as_ref().map(Value::to_string)
            ),
            client.send(Outgoing {
                method: target.method,
                path: &target.path,
                query: &target.query,
                headers: &target.headers,
                body: body.as_ref(),
                credentials: if op.anonymous {
                    Credentials::Anonymous
                } else {
                    Credentials::Target
                },
            })
        );
        self.engine.requests.fetch_add(1, Ordering::Relaxed);
        self.engine
            .transport()
            .count(op.method, &op.path_shape(), &exchange);
        if let Some(b) = &target.body {
            self.sent.record(b);
        }
        Step {
            op: op.clone(),
            request: exchange.request,
            script,
            expected,
            actual: exchange.outcome,
            dropped: exchange.dropped,
            creates: None,
            bulk_creates: Vec::new(),
        }
    }

    async fn step(&mut self, op: &Op, reference: &Reference) -> (Step, Option<Divergence>) {
        let mut step = self.send(op, reference, None).await;
        if step.unjudged() {
            return (step, None);
        }
        let divergence = self
            .judge(&mut step)
            .err()
            .or_else(|| self.engine.invariant(&step));
        (step, divergence)
    }

    fn judge(&mut self, step: &mut Step) -> Result<(), Divergence> {
        // No answer is no verdict on the target: the executor takes it as transport trouble.
        let Outcome::Response(actual) = &step.actual else {
            unreachable!("an unanswered step is not judged")
        };
        // A DELETE sent again after its connection dropped may find the resource gone by
        // the first send: idempotence is about the effect, not the answer (RFC 7231 §4.2.2).
        // Not after a 429 or 503: those say the first send was not acted on.
        if step.op.method == Method::Delete
            && step.dropped > 0
            && actual.status == 404
            && (200..300).contains(&step.expected.status)
        {
            return Ok(());
        }
        // Parsed once for the ids, the comparison and the versions.
        let expected_json = serde_json::from_str::<Value>(&step.expected.body);
        let actual_json = serde_json::from_str::<Value>(&actual.body);
        let created = match step.op.purpose {
            Purpose::Create(r) => Some(r),
            Purpose::Invalid { .. } => Some(Resource::User),
            _ => None,
        };
        let id = |body: &Result<Value, serde_json::Error>| -> Option<String> {
            body.as_ref().ok()?.get("id")?.as_str().map(str::to_string)
        };
        if let Some(resource) = created
            && (200..300).contains(&actual.status)
            && !(step.expected.status == 201 && actual.status == 201)
        {
            // Created on the target only (or answered as if): deleted at the end all the same.
            self.strays.extend(id(&actual_json).map(|t| (resource, t)));
        }
        if let Some(resource) = created
            && step.expected.status == 201
            && actual.status == 201
        {
            let model = id(&expected_json).ok_or_else(|| {
                Divergence::new(Kind::Attribute, ".id", "the reference created no id")
            })?;
            let target = id(&actual_json).ok_or_else(|| {
                Divergence::new(Kind::Attribute, ".id", "the created resource has no id")
            })?;
            let sent_id = step.request.body.as_ref().and_then(|b| match b {
                Body::Json(v) => v.get("id").and_then(Value::as_str).map(str::to_string),
                Body::Raw(_) => None,
            });
            if sent_id.as_deref() == Some(target.as_str()) {
                self.strays.push((resource, target.clone()));
                return Err(Divergence::new(
                    Kind::KeptId,
                    "",
                    format!("id: the target kept the id the client sent ({target})"),
                ));
            }
            step.creates = Some(self.adopt(resource, model, target));
        }
        if step.op.purpose == Purpose::Bulk {
            step.bulk_creates = self.bulk_created(&expected_json, &actual_json);
        }
        Answers {
            op: &step.op,
            expected: &step.expected,
            actual,
            expected_json: &expected_json,
            actual_json: &actual_json,
            model: &self.model,
            target: &self.target,
            sent: &self.sent,
            sorts: self.engine.profile.emulation.sort,
            etags: self.engine.profile.emulation.etag,
        }
        .compare()?;
        if (200..300).contains(&actual.status)
            && step.expected.status != 204
            && actual.status != 204
            && let (Ok(e), Ok(a)) = (&expected_json, &actual_json)
        {
            self.versions(e, a)?;
        }
        Ok(())
    }

    /// Takes the resources both sides created in a Bulk request as the sequence's own, so
    /// that later requests can read them and their ids compare as placeholders; returns
    /// their script variables.
    fn bulk_created(
        &mut self,
        e: &Result<Value, serde_json::Error>,
        a: &Result<Value, serde_json::Error>,
    ) -> Vec<String> {
        let mut vars = Vec::new();
        let (Ok(e), Ok(a)) = (e, a) else {
            return vars;
        };
        let ops = |v: &Value| v["Operations"].as_array().cloned().unwrap_or_default();
        let id = |o: &Value| -> Option<String> {
            let created = o["status"].as_str() == Some("201")
                || o["status"].as_u64() == Some(201)
                || o["status"]["code"].as_str() == Some("201");
            created
                .then(|| {
                    o["location"]
                        .as_str()?
                        .rsplit('/')
                        .next()
                        .map(str::to_string)
                })
                .flatten()
        };
        let theirs = ops(a);
        // What the target created of what the model did not.
        for other in &theirs {
            let created_by_model = ops(e)
                .iter()
                .any(|mine| mine["bulkId"] == other["bulkId"] && id(mine).is_some());
            if let (Some(target), false) = (id(other), created_by_model) {
                self.strays.push((bulk_resource(other), target));
            }
        }
        for mine in ops(e) {
            let Some(other) = theirs.iter().find(|o| o["bulkId"] == mine["bulkId"]) else {
                continue;
            };
            let (Some(model), Some(target)) = (id(&mine), id(other)) else {
                continue;
            };
            vars.push(self.adopt(bulk_resource(&mine), model, target));
        }
        vars
    }

    /// Takes a resource both sides created as the sequence's own: its ids stand for one
    /// placeholder, and the script keeps its id in the variable returned.
    fn adopt(&mut self, resource: Resource, model: String, target: String) -> String {
        let slots = match resource {
            Resource::User => &mut self.users,
            Resource::Group => &mut self.groups,
        };
        let var = format!(
            "{}{}",
            if resource == Resource::User { 'U' } else { 'G' },
            slots.len() + 1
        );
        let placeholder = format!("<{var}>");
        self.model.ids.insert(model.clone(), placeholder.clone());
        self.target.ids.insert(target.clone(), placeholder);
        slots.push(Slot {
            model,
            target,
            var: var.clone(),
        });
        var
    }

    /// A resource whose content changed must change its version (RFC 7644 §3.14).
    fn versions(&mut self, e: &Value, a: &Value) -> Result<(), Divergence> {
        let version = |v: &Value| v["meta"]["version"].as_str().map(str::to_string);
        let (Some(ev), Some(av), Some(id)) = (version(e), version(a), e["id"].as_str()) else {
            return Ok(());
        };
        let Some(key) = self.model.ids.get(id).cloned() else {
            return Ok(());
        };
        let mut content = self.model.normalise(e);
        content.as_object_mut().map(|o| o.remove("meta"));
        if let Some((last_e, last_a, last_content)) = self.versions.get(&key)
            && *last_e != ev
            && *last_a == av
            && *last_content != content
        {
            return Err(Divergence::new(
                Kind::Version,
                "",
                format!(
                    "meta.version: still {av} although the resource changed (the reference moved from {last_e} to {ev})"
                ),
            ));
        }
        self.versions.insert(key, (ev, av, content));
        Ok(())
    }

    /// Deletes, on the target, everything this execution created, groups first.
    async fn clean_up(&self) {
        let slots = |resource, slots: &[Slot]| -> Vec<(Resource, String)> {
            slots.iter().map(|s| (resource, s.target.clone())).collect()
        };
        let mut created = slots(Resource::Group, &self.groups);
        created.extend(slots(Resource::User, &self.users));
        created.extend(self.strays.iter().cloned());
        created.sort_by_key(|(r, _)| *r != Resource::Group);
        for (resource, id) in created {
            let path = format!("{}/{id}", resource.endpoint());
            let exchange = self.engine.client.delete(&path).await;
            let shape = format!("{}/{{id}}", resource.endpoint());
            self.engine
                .transport()
                .count(Method::Delete, &shape, &exchange);
        }
    }
}

/// The type of resource a Bulk operation's answer has created, by its location.
fn bulk_resource(answer: &Value) -> Resource {
    if answer["location"]
        .as_str()
        .is_some_and(|l| l.contains("/Groups/"))
    {
        Resource::Group
    } else {
        Resource::User
    }
}

/// `path?k=v&...`, percent-encoded.
pub fn with_query(path: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return path.to_string();
    }
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    format!("{path}?{encoded}")
}
