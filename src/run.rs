//! `scimitar run`: load → connect → discover → plan → execute (libtest-mimic trials over one
//! tokio runtime, each outcome classified by the profile) → report → judge, one function per
//! stage, called in turn by [`run`]. Configuration mistakes are [`ConfigError`]s (exit 2);
//! failed checks exit 1.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Completion, Conclusion, Failed, Trial};

mod faults;

use crate::capabilities::Capabilities;
use crate::check::Schemas;
use crate::check::declared::Declared;
use crate::classify::{self, Classified, Outcome};
use crate::client::http::Policy;
use crate::client::ledger::Ledger;
use crate::client::{Auth, Client, Network, Secret};
use crate::exec::{FILTER_RULE, Failure, Fixture, Refusal, Runner, Shaping};
use crate::interop::overlay::Claim;
use crate::interop::readiness::Tls;
use crate::plan::fit::{self, Fit, Shape};
use crate::plan::{Planned, plan};
use crate::profile::{Levels, Profile};
use crate::report::{self, CaseResult, ReportSpec, RunReport, Status, Stopped};
use crate::scim::locate::fill_path_in_rfc;
use crate::server::{self, Defect, Defects};
use crate::suite::template::Vars;
use crate::suite::{self, Loaded};
use faults::FilterFault;

/// A mistake in how scimitar was invoked or configured.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

fn config<E: std::fmt::Display>(context: &str) -> impl FnOnce(E) -> ConfigError + '_ {
    move |e| ConfigError(format!("{context}: {e}"))
}

pub struct RunOptions {
    /// None: start the bundled server and test it.
    pub target: Option<String>,
    /// How to authenticate to `target` (the bundled server gets a bearer token of its own).
    pub auth: Auth,
    pub suites: Vec<String>,
    /// Set by `scimitar replay`: the provider and behaviour to replay, the mappings to expand.
    pub replay: Option<Replay>,
    pub tags: Vec<String>,
    pub reports: Vec<ReportSpec>,
    /// The target's snapshots, when checked or written.
    pub snapshots: Option<crate::check::snapshot::Snapshots>,
    /// An earlier JSON report: only regressions from it fail the run.
    pub baseline: Option<PathBuf>,
    /// Defects to switch on in the bundled server.
    pub defects: Vec<Defect>,
    /// What the bundled server emulates.
    pub emulate: Profile,
    /// What the results are classified by.
    pub profile: Profile,
    /// A folder whose `schemas/*.json` add to the built-in JSON Schemas.
    pub fixtures: Option<PathBuf>,
    /// The share of the cases this machine runs.
    pub partition: Option<crate::plan::Partition>,
    /// Only cases that change nothing on the target.
    pub read_only: bool,
    pub timeout: Duration,
    /// Stop the whole run after this long.
    pub run_timeout: Option<Duration>,
    pub policy: Policy,
    /// How the target is reached (CA certificates, client certificate, proxy).
    pub network: Network,
    /// The ledger file of what the run creates.
    pub ledger: Option<PathBuf>,
    /// Arguments for the libtest-style runner (`--list`, filters, `--test-threads`, ...).
    pub libtest: Vec<String>,
}

/// What `scimitar replay` adds to a run.
pub struct Replay {
    pub idp: crate::idp::Idp,
    pub behaviour: crate::idp::Behaviour,
    pub mappings: Vec<PathBuf>,
}

/// What `run` found, for the exit code.
pub enum Verdict {
    Passed,
    Failed,
    /// Nothing failed, but cases got no answer, beside others and again alone: they showed
    /// nothing either way.
    Inconclusive,
    /// The run ended early, its cases cut short interrupted; its reports were written.
    Stopped(Stopped),
}

/// How long the cases in flight have, once the run is stopped, to end on their own (the
/// requests they would send next are held back) before they are cut short.
const GRACE: Duration = Duration::from_secs(5);

/// The base URL and credentials to test: `target`'s, or those of the bundled server, started
/// on a loopback port with a fresh token, emulating `emulate` with `defects` switched on.
pub fn connect(
    runtime: &tokio::runtime::Runtime,
    target: Option<String>,
    auth: Auth,
    emulate: &Profile,
    defects: &[Defect],
) -> Result<(String, Auth), ConfigError> {
    match target {
        Some(_) if !defects.is_empty() => Err(ConfigError(
            "--defect switches the bundled server; it cannot be used with --target".into(),
        )),
        Some(url) => {
            let parsed = reqwest::Url::parse(&url).map_err(config("--target is not a URL"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(ConfigError(format!(
                    "--target must be an http or https URL, got {url}"
                )));
            }
            Ok((url, auth))
        }
        None => {
            let token = Secret::new(uuid::Uuid::new_v4().simple().to_string());
            let running = runtime
                .block_on(server::start(
                    ([127, 0, 0, 1], 0).into(),
                    token.expose().to_string(),
                    emulate,
                    Defects::new(defects.to_vec()),
                ))
                .map_err(config("cannot start the bundled server"))?;
            Ok((running.base_url, Auth::Bearer(token)))
        }
    }
}

/// Loads the suites and the JSON Schemas they name: the built-in schemas, and those under
/// `schemas/` of a `--fixtures` folder.
pub fn load(
    patterns: &[String],
    fixtures: Option<&Path>,
) -> Result<(Vec<Loaded>, Schemas), ConfigError> {
    let mut schemas = Schemas::builtin().map_err(ConfigError)?;
    if let Some(dir) = fixtures {
        schemas = schemas
            .with_dir(&dir.join("schemas"))
            .map_err(ConfigError)?;
    }
    let names: HashSet<String> = schemas.names();
    let suites = suite::load(patterns, &names).map_err(|e| ConfigError(e.to_string()))?;
    Ok((suites, schemas))
}

/// The pipeline: load, connect, discover, plan, execute, report, judge.
pub fn run(opts: RunOptions) -> Result<Verdict, ConfigError> {
    let baseline = read_baseline(opts.baseline.as_deref())?;
    let (shared, report, conclusion) = conduct(opts)?;
    publish(&shared, &report)?;
    let verdict = judge(&shared.opts, baseline, &report, &conclusion);
    if let Some(stopped) = report.stopped {
        return Ok(Verdict::Stopped(stopped));
    }
    // Under `scimitar entra`, what Entra would refuse of the connection fails the run too.
    if replays_entra(&shared.opts) && !report.connection.is_empty() {
        println!(
            "connection: {} findings against Entra's connection requirements (see the connection check above)",
            report.connection.len()
        );
        return Ok(Verdict::Failed);
    }
    Ok(verdict)
}

/// What a run found, with nothing written or judged: for a caller in the same process, such
/// as the tests that run the suites once per defect switch, side by side.
pub fn report(opts: RunOptions) -> Result<RunReport, ConfigError> {
    conduct(opts).map(|(_, report, _)| report)
}

/// Load, connect, discover, plan, execute and collect.
fn conduct(mut opts: RunOptions) -> Result<(Arc<Shared>, RunReport, Conclusion), ConfigError> {
    let mut suites = load_suites(&opts)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(config("cannot start the runtime"))?;
    let (connection, tls) = check_connection(&runtime, &opts)?;
    // The credentials go to the client; nothing else reads them.
    let auth = std::mem::replace(&mut opts.auth, Auth::None);
    let network = std::mem::take(&mut opts.network);
    let session = open_session(&runtime, &opts, auth, network)?;
    let target = discover(&runtime, &session.client, &session.stop);
    let fit = Fit::new(target.shapes.clone());
    let lacking = fit.lacking_required();
    if !lacking.is_empty() {
        eprintln!(
            "warning: the target's /Schemas does not declare {} (RFC 7643 §4 requires it): sent all the same",
            lacking.join(", ")
        );
    }
    let planned = plan_cases(&opts, &mut suites, &fit);
    let shaping = Shaping {
        fill: opts.profile.fill.clone(),
        fit,
    };
    let (shared, conclusion, took) =
        execute(&runtime, opts, suites, session, (target, shaping), planned);
    let mut report = collect(&shared, took);
    report.connection = connection;
    if let Some(readiness) = report.interop.as_mut() {
        readiness.judge_transport(&report.target, tls);
    }
    Ok((shared, report, conclusion))
}

/// Whether the run replays Entra ID, whose connection requirements the check holds to.
fn replays_entra(opts: &RunOptions) -> bool {
    opts.replay.as_ref().is_some_and(|r| r.idp.name == "entra")
}

/// The connection check (see [`crate::tls`]), printed before the run: information for an
/// https target of `run`; for `scimitar entra` the first check, a plain http target
/// included. Returns its findings (none when it did not run) and the TLS versions the target
/// took, where it ran.
fn check_connection(
    runtime: &tokio::runtime::Runtime,
    opts: &RunOptions,
) -> Result<(Vec<String>, Option<Tls>), ConfigError> {
    let Some(target) = &opts.target else {
        return Ok((Vec::new(), None));
    };
    let entra = replays_entra(opts);
    if entra && opts.network.insecure {
        return Err(ConfigError(
            "--insecure cannot be used with scimitar entra: its connection check verifies the certificate as Entra will (--ca-cert trusts a private CA)".into(),
        ));
    }
    if !(entra || target.starts_with("https://")) {
        return Ok((Vec::new(), None));
    }
    let timeout = opts.timeout.min(Duration::from_secs(10));
    match runtime.block_on(crate::tls::check(target, &opts.network, timeout)) {
        Ok(report) => {
            eprint!("{}", opts.network.scrub(&report.render()));
            let tls = target.starts_with("https://").then(|| Tls {
                v1_3: report.accepts("TLS 1.3"),
                v1_2: report.accepts("TLS 1.2"),
            });
            Ok((report.findings, tls))
        }
        Err(why) => {
            eprintln!("connection check: {}", opts.network.scrub(&why));
            Ok((Vec::new(), None))
        }
    }
}

/// An earlier JSON report to judge the run against, with its path.
fn read_baseline(path: Option<&Path>) -> Result<Option<(PathBuf, RunReport)>, ConfigError> {
    path.map(|p| report::deviation::read(p).map(|r| (p.to_path_buf(), r)))
        .transpose()
        .map_err(|e| ConfigError(format!("--baseline {e}")))
}

/// What the load stage hands on.
struct Suites {
    loaded: Vec<Loaded>,
    schemas: Schemas,
    /// Tags whose cases stay out (those only the provider's other behaviours send).
    exclude: Vec<String>,
    /// The index of the first of the profile's own suites.
    vendor_from: usize,
}

/// The suites, the mappings' generated suites and the profile's own promises, with the
/// schemas they use; a case showing a deviation the profile does not declare is an error.
fn load_suites(opts: &RunOptions) -> Result<Suites, ConfigError> {
    let (mut suites, schemas) = load(&opts.suites, opts.fixtures.as_deref())?;
    let schema_names = schemas.names();
    // Cases that only the provider's other behaviours send stay out.
    let mut exclude = Vec::new();
    if let Some(r) = &opts.replay {
        exclude = r.idp.excluded_tags(&r.behaviour);
        for m in &r.mappings {
            suites.push(
                crate::idp::mapping::load(m, &r.idp, &r.behaviour, &schema_names)
                    .map_err(|e| ConfigError(e.to_string()))?,
            );
        }
    }
    // The profile's own promises run after the RFC suites, without its fill.
    let vendor_from = suites.len();
    if !opts.profile.suites.is_empty() {
        let more = suite::load(&opts.profile.suites, &schema_names)
            .map_err(|e| ConfigError(e.to_string()))?;
        let new: Vec<Loaded> = more
            .into_iter()
            .filter(|l| !suites.iter().any(|s| s.path == l.path))
            .collect();
        suites.extend(new);
    }
    for l in &suites {
        for c in &l.suite.cases {
            if let Some(id) = &c.value.shows
                && opts.profile.deviation(id).is_none()
            {
                return Err(ConfigError(format!(
                    "{}: case `{}` shows `{id}`, which profile {} does not declare",
                    l.path.display(),
                    c.value.name,
                    opts.profile.name
                )));
            }
        }
    }
    Ok(Suites {
        loaded: suites,
        schemas,
        exclude,
        vendor_from,
    })
}

/// The target reached: its base URL, the run's id and the client every case sends with.
struct Session {
    base_url: String,
    run_id: String,
    client: Arc<Client>,
    /// Set once, when Ctrl-C or `--run-timeout` stops the run.
    stop: tokio::sync::watch::Receiver<Option<Stopped>>,
}

/// Connects to the target (or starts the bundled server), opens the ledger, and guards the
/// run against Ctrl-C and `--run-timeout`.
fn open_session(
    runtime: &tokio::runtime::Runtime,
    opts: &RunOptions,
    auth: Auth,
    network: Network,
) -> Result<Session, ConfigError> {
    let (base_url, auth) = connect(
        runtime,
        opts.target.clone(),
        auth,
        &opts.emulate,
        &opts.defects,
    )?;
    let client = Client::over(&base_url, auth, opts.timeout, network)
        .map_err(config("cannot build the HTTP client"))?
        .with_policy(opts.policy.clone());
    // A handshake that fails would fail every case the same way: one error instead.
    if base_url.starts_with("https://") {
        runtime.block_on(client.reach()).map_err(ConfigError)?;
    }
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let ledger = Arc::new(
        Ledger::new(&run_id, opts.ledger.as_deref())
            .map_err(config("cannot open the --ledger file"))?,
    );
    let client = client.with_ledger(ledger.clone());
    let client = Arc::new(client);
    let stop = stop_on_signal_or_timeout(runtime, &client, opts.run_timeout);
    Ok(Session {
        base_url,
        run_id,
        client,
        stop,
    })
}

/// What the target says of itself.
struct Target {
    caps: Capabilities,
    declared: Option<Declared>,
    /// What the cases are fitted to: the target's schemas, or the RFC's core.
    shapes: Vec<Shape>,
}

/// Reads `/ServiceProviderConfig`, `/Schemas` and `/ResourceTypes`, warning about what cannot
/// be read; a stop cuts it short, as no case will run.
fn discover(
    runtime: &tokio::runtime::Runtime,
    client: &Arc<Client>,
    stop: &tokio::sync::watch::Receiver<Option<Stopped>>,
) -> Target {
    let found = runtime.block_on(async {
        tokio::select! {
            found = async {
                tokio::join!(Capabilities::discover(client), Declared::discover(client))
            } => Some(found),
            () = stopped(stop.clone()) => None,
        }
    });
    let Some((caps, declared)) = found else {
        return Target {
            caps: Capabilities::Unknown("the run was stopped".into()),
            declared: None,
            shapes: Shape::of_registry(&crate::scim::schema::Registry::core()),
        };
    };
    if let Capabilities::Unknown(why) = &caps {
        eprintln!(
            "warning: cannot read /ServiceProviderConfig ({why}); running every case as if all features were advertised"
        );
    }
    let shapes = match &declared {
        Ok(d) => d.shapes(),
        Err(why) => {
            eprintln!(
                "warning: cannot read the target's own schemas ({why}); the cases are fitted to the RFC's core schemas, and resources checked against scimitar's own JSON Schemas only"
            );
            Shape::of_registry(&crate::scim::schema::Registry::core())
        }
    };
    Target {
        caps,
        declared: declared.ok(),
        shapes,
    }
}

/// The plan stage: every case cut to what the target declares (why a case cannot run, by
/// suite and case), then selected by tag, partition and `--read-only`.
fn plan_cases(
    opts: &RunOptions,
    suites: &mut Suites,
    fit: &Fit,
) -> (Vec<Planned>, Vec<Vec<Option<String>>>) {
    let mut skips = fit::suites(fit, &mut suites.loaded);
    // A replay sends what the provider sends: only scimitar's own requests are held back.
    if opts.profile.levels == Levels::Interop && opts.replay.is_none() {
        crate::interop::overlay::hold_back(&suites.loaded, &mut skips);
    }
    let mut planned = plan(
        &suites.loaded,
        &opts.tags,
        &suites.exclude,
        suites.vendor_from,
    );
    if let Some(share) = &opts.partition {
        planned = share.select(planned);
    }
    if opts.read_only {
        planned.retain(|p| crate::plan::changes_nothing(&suites.loaded[p.suite].suite, p.case));
    }
    (planned, skips)
}

/// The spellings the suites get as variables: Entra's default ones, overlaid with the
/// replayed behaviour's.
fn replay_variables(replay: Option<&Replay>) -> Vars {
    let mut vars = crate::idp::default_variables();
    vars.extend(replay.map(|r| r.behaviour.variables()).unwrap_or_default());
    vars
}

/// Runs the planned cases as libtest trials, then deletes what the run created and the
/// teardowns missed. Returns what the trials share (their results), libtest's conclusion and
/// how long the cases took.
fn execute(
    runtime: &tokio::runtime::Runtime,
    opts: RunOptions,
    suites: Suites,
    session: Session,
    (target, shaping): (Target, Shaping),
    (mut planned, skips): (Vec<Planned>, Vec<Vec<Option<String>>>),
) -> (Arc<Shared>, Conclusion, Duration) {
    let runner = Runner::new(
        session.client,
        suites.schemas,
        target.declared,
        shaping,
        replay_variables(opts.replay.as_ref()),
        session.run_id.clone(),
    )
    .with_snapshots(opts.snapshots.clone());
    let mut args = Arguments::from_iter(
        std::iter::once("scimitar".to_string()).chain(opts.libtest.iter().cloned()),
    );
    // Cases wait on the network, not the CPU: run more at once than there are cores.
    let threads = *args.test_threads.get_or_insert(16);
    let confirm = threads > 1 && planned.len() > 1;
    let fixtures = suites.loaded.iter().map(|_| Fixture::default()).collect();
    let shared = Arc::new(Shared {
        fixtures,
        sharing: Mutex::new(Vec::new()),
        suites: suites.loaded,
        runner,
        results: Mutex::new(Vec::new()),
        alone: RwLock::new(()),
        confirm,
        under_load: Mutex::new(Vec::new()),
        unanswered: Mutex::new(Default::default()),
        lost_alone: AtomicUsize::new(0),
        declined: Mutex::new(Default::default()),
        declining: Mutex::new(Vec::new()),
        leaning: Mutex::new(Vec::new()),
        handle: runtime.handle().clone(),
        interop: (opts.profile.levels == Levels::Interop).then(|| Claim::of(&target.caps)),
        base_url: session.base_url,
        run_id: session.run_id,
        stop: session.stop,
        opts,
    });
    // A case that waits on purpose starts first: its wait then overlaps the others' requests
    // instead of adding to the run's end (libtest runs trials in the order given).
    planned.sort_by_key(|p| {
        std::cmp::Reverse(shared.suites[p.suite].suite.cases[p.case].value.paused_ms())
    });
    let caps = &target.caps;
    let trials = planned
        .into_iter()
        .map(|p| {
            let unadvertised = caps.missing(&p.requires);
            let when = &shared.suites[p.suite].suite.cases[p.case].value.when;
            let limits = match skips[p.suite][p.case].clone().or_else(|| caps.unmet(when)) {
                Some(why) => Err(why),
                None => caps.limits(&p.limits, &shared.run_id),
            };
            let shares =
                limits.is_ok() && crate::plan::shares_setup(&shared.suites[p.suite].suite, p.case);
            if shares {
                shared.fixtures[p.suite].expect();
            }
            trial(p, unadvertised, limits, shares, &shared)
        })
        .collect();
    let started = Instant::now();
    let conclusion = libtest_mimic::run(&args, trials);
    let took = started.elapsed();
    shared.reconcile_declined();
    // Stopped: the clean-up below deletes what the run created, shared setups with it.
    if shared.stopped().is_none() {
        for (l, f) in shared.suites.iter().zip(&shared.fixtures) {
            runtime.block_on(shared.runner.abandon(&l.path, &l.suite, f));
        }
        shared.reconcile_teardowns();
    }
    let client = &shared.runner.client;
    // Stopped: what was in flight gets a moment to answer with an id to delete.
    let left = match shared.stopped() {
        Some(_) => runtime.block_on(client.stop()),
        None => runtime.block_on(client.sweep()),
    };
    if !left.is_empty() {
        eprintln!(
            "warning: {} resources this run created could not be deleted:\n  {}",
            left.len(),
            left.join("\n  ")
        );
    }
    (shared, conclusion, took)
}

/// The classify stage's results gathered into the run's report: the cases by name, the
/// counts, the load finding and each declaration's standing.
fn collect(shared: &Shared, took: Duration) -> RunReport {
    let mut cases = std::mem::take(&mut *lock(&shared.results));
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    let profile = &shared.opts.profile;
    // What the in-flight limit saw, read once for both the load finding and the summary.
    let seen = shared.runner.client.load();
    RunReport {
        tool: "scimitar".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        target: shared.base_url.clone(),
        profile: profile.name.clone(),
        profile_title: profile.title.clone(),
        run_id: shared.run_id.clone(),
        duration_ms: took.as_secs_f64() * 1000.0,
        passed: count(&cases, Status::Passed),
        failed: count(&cases, Status::Failed),
        warnings: count(&cases, Status::Warning),
        skipped: count(&cases, Status::Skipped),
        documented: count(&cases, Status::Documented),
        undocumented: count(&cases, Status::Undocumented),
        blocked: count(&cases, Status::Blocked),
        inconclusive: count(&cases, Status::Inconclusive),
        interrupted: count(&cases, Status::Interrupted),
        stopped: shared.stopped(),
        unanswered: Some(std::mem::take(&mut *lock(&shared.unanswered)))
            .filter(|u| !u.cases.is_empty()),
        load: {
            let cases = std::mem::take(&mut *lock(&shared.under_load));
            let trouble = seen.server_errors + seen.connection_failures > 0;
            (!cases.is_empty() || trouble).then_some(report::LoadFinding {
                cases,
                in_flight: seen.max_limit,
                lowest_limit: seen.lowest_limit,
                server_errors: seen.server_errors,
                connection_failures: seen.connection_failures,
            })
        },
        concurrency: Some(report::Concurrency {
            settled: seen.settled_limit,
            ceiling: seen.max_limit,
            lowest: seen.lowest_limit,
            requests: seen.requests,
        }),
        declarations: classify::declarations(profile, &cases),
        declined: lock(&shared.declined).iter().cloned().collect(),
        faults: shared.faults(),
        connection: Vec::new(),
        discovery: shared
            .runner
            .declared
            .as_ref()
            .map(Declared::findings)
            .unwrap_or_default(),
        optional_features: report::optional::table(&cases),
        fill_paths: fill_paths(shared.runner.declared.as_ref(), &cases),
        invariants: report::InvariantFinding::of(&cases, profile),
        interop: shared.interop.map(|claim| {
            let idp = shared.opts.replay.as_ref().map(|r| r.idp.name.as_str());
            crate::interop::readiness::Readiness::of(claim, &cases, idp)
        }),
        cases,
    }
}

/// Where the attributes that refused creates named sit: in what the target declares, else
/// in RFC 7643's schemas.
fn fill_paths(declared: Option<&Declared>, cases: &[CaseResult]) -> Vec<report::FillPath> {
    report::findings::setup_failures(cases)
        .iter()
        .filter_map(report::findings::SetupFailure::refused_create)
        .filter_map(|r| {
            let named = r.named?;
            let path = declared
                .and_then(|d| d.fill_path(&r.endpoint, &named, &r.detail))
                .or_else(|| fill_path_in_rfc(&named, &r.detail, &r.endpoint))?;
            Some(report::FillPath {
                endpoint: r.endpoint,
                named,
                path,
            })
        })
        .collect()
}

/// The summary on stdout, the `--report` files and, under GitHub Actions, the annotations
/// and the job summary; every one scrubbed of the run's secrets.
fn publish(shared: &Shared, report: &RunReport) -> Result<(), ConfigError> {
    print!("{}", report::summary(report));
    let scrub = |t: &str| shared.runner.client.scrub(t);
    for spec in &shared.opts.reports {
        report::write(spec, report, scrub)
            .map_err(config(&format!("cannot write {}", spec.path.display())))?;
    }
    if std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true") {
        github(report, scrub)?;
    }
    Ok(())
}

/// Failed when a case failed the run, or, against a baseline, when something regressed.
fn judge(
    opts: &RunOptions,
    baseline: Option<(PathBuf, RunReport)>,
    report: &RunReport,
    conclusion: &Conclusion,
) -> Verdict {
    let failed = match baseline {
        Some((path, before)) => {
            let mut cmp = report::baseline::compare(&before, report);
            if opts.partition.is_some() {
                // The other shards run the rest.
                cmp.gone.clear();
            }
            print!("{}", cmp.render(&path));
            // A MUST invariant the baseline did not break is a regression too.
            let new: Vec<&report::InvariantFinding> = report
                .invariants
                .iter()
                .filter(|i| i.fails_run())
                .filter(|i| {
                    !before
                        .invariants
                        .iter()
                        .any(|b| b.rule == i.rule && b.signature == i.signature)
                })
                .collect();
            for i in &new {
                println!("regressed: invariant {} {}", i.rule, i.signature);
            }
            !cmp.regressions.is_empty() || !new.is_empty()
        }
        // A case found blocked after the trials (`reconcile_declined`) fails the run too.
        None => {
            conclusion.has_failed()
                || report
                    .interop
                    .as_ref()
                    .is_some_and(crate::interop::readiness::Readiness::fails_run)
                || report.cases.iter().any(|c| c.status.fails_run(c.level))
                || report
                    .invariants
                    .iter()
                    .any(report::InvariantFinding::fails_run)
        }
    };
    if failed {
        Verdict::Failed
    } else if report.inconclusive > 0 {
        Verdict::Inconclusive
    } else {
        Verdict::Passed
    }
}

/// On Ctrl-C, or when the whole run has taken `limit`: the client sends nothing more that
/// would create or change, and the stop is set for the runner, whose cases end interrupted
/// and which then deletes what the run created and writes its reports. A second Ctrl-C
/// ends the process at once, with what the run created left to `scimitar sweep`.
fn stop_on_signal_or_timeout(
    runtime: &tokio::runtime::Runtime,
    client: &Arc<Client>,
    limit: Option<Duration>,
) -> tokio::sync::watch::Receiver<Option<Stopped>> {
    let (stop, stopped) = tokio::sync::watch::channel(None);
    let client = client.clone();
    runtime.spawn(async move {
        let timed_out = async {
            match limit {
                Some(l) => tokio::time::sleep(l).await,
                None => std::future::pending().await,
            }
        };
        let why = tokio::select! {
            r = tokio::signal::ctrl_c() => {
                if r.is_err() {
                    // No signal handling here: the run goes on unguarded by it.
                    return;
                }
                eprintln!("\ninterrupted: deleting what this run created");
                Stopped::Interrupted
            }
            () = timed_out => {
                eprintln!("\nthe run took longer than --run-timeout: stopping, deleting what it created");
                Stopped::TimedOut
            }
        };
        client.halt();
        let _ = stop.send(Some(why));
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "interrupted again: exiting without deleting what the run created (`scimitar sweep --ledger` deletes it)"
            );
            std::process::exit(130);
        }
    });
    stopped
}

/// Annotations on stdout, where the runner reads them, and the job summary appended to the
/// file GitHub names.
fn github(report: &RunReport, scrub: impl Fn(&str) -> String) -> Result<(), ConfigError> {
    print!("{}", scrub(&report::github::annotations(report)));
    if let Ok(path) = std::env::var("GITHUB_STEP_SUMMARY") {
        use std::io::Write;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(scrub(&report::github::job_summary(report)).as_bytes()))
            .map_err(config(&format!("cannot write the job summary {path}")))?;
    }
    Ok(())
}

/// How often a case that got no answer is sent alone before it is called inconclusive: at
/// one request in five lost, a case of a few requests gets through alone within three.
const ALONE_ATTEMPTS: usize = 3;

/// After this many cases got no answer alone, the target is taken as down rather than the
/// path as lossy, and later such cases are sent alone once only.
const LOST_ALONE_CAP: usize = 3;

/// What every trial of a run reads.
struct Shared {
    suites: Vec<Loaded>,
    /// Each suite's setup as its read-only cases share it.
    fixtures: Vec<Fixture>,
    /// The cases that shared a setup and failed nothing of their own, with what the target
    /// does not advertise of what they need: a failed shared teardown fails them after all.
    sharing: Mutex<Vec<(Planned, Option<String>)>>,
    runner: Runner,
    results: Mutex<Vec<CaseResult>>,
    /// Cases hold it shared while they run; a case confirming a failure holds it alone, so
    /// that nothing else runs meanwhile.
    alone: RwLock<()>,
    /// Whether cases run beside each other, so that a failure is confirmed alone.
    confirm: bool,
    /// The cases that failed beside others and passed alone.
    under_load: Mutex<Vec<String>>,
    /// The cases that got no answer beside others and passed alone.
    unanswered: Mutex<report::UnansweredFinding>,
    /// The cases that got no answer alone either, however often sent.
    lost_alone: AtomicUsize,
    /// The filter parts the target declined, for the run's summary.
    declined: Mutex<std::collections::BTreeSet<String>>,
    /// The cases skipped for declined filter parts: their names, the endpoint and the parts.
    declining: Mutex<Vec<(String, String, Vec<String>)>>,
    /// The cases blocked by a fault in their filter: the fault, the case and the parts.
    leaning: Mutex<Vec<(FilterFault, String, Vec<String>)>>,
    handle: tokio::runtime::Handle,
    /// Under the interop profile: whether the target claims it.
    interop: Option<Claim>,
    base_url: String,
    run_id: String,
    stop: tokio::sync::watch::Receiver<Option<Stopped>>,
    opts: RunOptions,
}

impl Shared {
    /// Why the run was stopped, once it was.
    fn stopped(&self) -> Option<Stopped> {
        *self.stop.borrow()
    }

    /// Ends once the run was stopped and the cases in flight had [`GRACE`] to end.
    async fn cut_short(&self) {
        stopped(self.stop.clone()).await;
        tokio::time::sleep(GRACE).await;
    }

    /// Each case that shared a setup whose teardown failed, and failed nothing else, is
    /// judged as that failure, as it was when each case ran the teardown itself.
    fn reconcile_teardowns(&self) {
        let mut results = lock(&self.results);
        for (p, unadvertised) in lock(&self.sharing).iter() {
            let Some(message) = self.fixtures[p.suite].teardown_failure() else {
                continue;
            };
            let Some(done) = results.iter_mut().find(|r| r.name == p.name) else {
                continue;
            };
            let case = &self.suites[p.suite].suite.cases[p.case].value;
            let outcome = match unadvertised {
                Some(why) => Outcome::Unsupported(why.clone()),
                None => Outcome::Failed(message),
            };
            let failed = matches!(outcome, Outcome::Failed(_));
            done.features = classify::uses(p, case, unadvertised.as_deref(), &outcome);
            let c = classify::classify(p, case.shows.as_deref(), outcome, &self.opts.profile);
            (done.status, done.deviation, done.blocked_by, done.message) =
                (c.status, c.deviation, c.blocked_by, c.message);
            // Judged again under the profile, as the case was when it ran.
            if let Some(claim) = self.interop {
                (done.requirements, done.interop) = (p.requirements.clone(), None);
                crate::interop::overlay::judge(p, failed, claim, done);
            }
        }
    }
}

/// Ends once the run is stopped.
async fn stopped(mut stop: tokio::sync::watch::Receiver<Option<Stopped>>) {
    if stop.wait_for(Option::is_some).await.is_err() {
        // No stop can come any more.
        std::future::pending::<()>().await;
    }
}

/// A lock whose holder may have panicked: the data is still what it was.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn count(cases: &[CaseResult], status: Status) -> usize {
    cases.iter().filter(|c| c.status == status).count()
}

/// The result of one planned case, naming it as its suite file does.
fn result(p: &Planned, loaded: &Loaded, c: Classified) -> CaseResult {
    CaseResult {
        name: p.name.clone(),
        suite: loaded.suite.name.clone(),
        case: loaded.suite.cases[p.case].value.name.clone(),
        file: loaded.path.clone(),
        line: Some(loaded.suite.cases[p.case].referenced.line()),
        level: p.level,
        requirements: p.requirements.clone(),
        status: c.status,
        deviation: c.deviation,
        blocked_by: c.blocked_by,
        fault: None,
        duration_ms: 0.0,
        message: c.message,
        reproduction: None,
        steps: vec![],
        features: vec![],
        interop: None,
    }
}

/// One case as a libtest trial. A case needing a feature the target does not advertise
/// still runs, as a probe: if it fails it is skipped with the reason; if it works the target
/// half-supports what it disowns, a warning (C-discovery-05), unless its steps expect an
/// error, which proves nothing. A failure answered as the case's `optional` or `skip_if`
/// says is skipped. The profile then classifies the outcome (see [`classify`]); what it
/// showed of the optional features goes to the run's table.
fn trial(
    p: Planned,
    unadvertised: Option<String>,
    limits: Result<Vars, String>,
    shares: bool,
    shared: &Arc<Shared>,
) -> Trial {
    let shared = shared.clone();
    let name = p.name.clone();
    let kind = p.level.to_string();
    Trial::ignorable_test(name, move || {
        let loaded = &shared.suites[p.suite];
        let case = &loaded.suite.cases[p.case].value;
        let interrupted = |what: &str| {
            let outcome = Outcome::Interrupted(what.to_string());
            let c = classify::classify(&p, case.shows.as_deref(), outcome, &shared.opts.profile);
            lock(&shared.results).push(result(&p, loaded, c));
            Ok(Completion::ignored_with("interrupted"))
        };
        if shared.stopped().is_some() {
            return interrupted("not run, the run was stopped first");
        }
        let mut failed = false;
        let mut done = match limits {
            Err(why) => {
                let outcome = Outcome::Unsupported(why);
                let features = classify::uses(&p, case, unadvertised.as_deref(), &outcome);
                let c = classify::classify(&p, case.shows.as_deref(), outcome, &shared.opts.profile);
                CaseResult {
                    features,
                    ..result(&p, loaded, c)
                }
            }
            Ok(limits) => {
                let started = Instant::now();
                let fixture = shares.then(|| &shared.fixtures[p.suite]);
                // None: cut short by a stop.
                let run = |limits: Vars, fixture: Option<&Fixture>| {
                    shared.handle.block_on(async {
                        tokio::select! {
                            record = shared.runner.run_case(
                                &loaded.path,
                                &loaded.suite,
                                case,
                                limits,
                                !p.vendor,
                                fixture,
                            ) => Some(record),
                            () = shared.cut_short() => None,
                        }
                    })
                };
                let first = {
                    let _beside_others = shared.alone.read().unwrap_or_else(|e| e.into_inner());
                    run(limits.clone(), fixture)
                };
                let Some(mut record) = first else {
                    return interrupted("cut short, the run was stopped");
                };
                // A failure while other cases ran is confirmed alone before it is reported,
                // and a request without an answer is sent again alone, with fresh names.
                let mut under_load = None;
                let mut unanswered = None;
                // A filter answered by the data stored fails whatever runs beside it.
                let inconsistent = matches!(record.declined, Some(Refusal::Inconsistent(_)));
                if (shared.confirm || record.unanswered())
                    && record.failure.is_some()
                    && !inconsistent
                    && shared.stopped().is_none()
                {
                    let _alone = shared.alone.write().unwrap_or_else(|e| e.into_inner());
                    // Alone on the target, as before sharing: no shared setup stays, and the
                    // case runs one of its own (a shared one may have failed under the load
                    // the confirmation is about).
                    for (l, f) in shared.suites.iter().zip(&shared.fixtures) {
                        shared
                            .handle
                            .block_on(shared.runner.set_aside(&l.path, &l.suite, f));
                    }
                    let lost = record.unanswered();
                    let Some(mut again) = run(limits.clone(), None) else {
                        return interrupted("cut short, the run was stopped");
                    };
                    // A flaky network may lose a request sent alone too: such a case is sent
                    // alone up to `ALONE_ATTEMPTS` times, until cases keep getting no answer
                    // even so (a target that is down, not a lossy path: no more waits).
                    let mut attempts = 1;
                    while lost
                        && again.failure.is_some()
                        && again.unanswered()
                        && attempts < ALONE_ATTEMPTS
                        && shared.lost_alone.load(Ordering::Relaxed) < LOST_ALONE_CAP
                    {
                        let Some(next) = run(limits.clone(), None) else {
                            return interrupted("cut short, the run was stopped");
                        };
                        again = next;
                        attempts += 1;
                    }
                    if lost && again.failure.is_some() && again.unanswered() {
                        shared.lost_alone.fetch_add(1, Ordering::Relaxed);
                    }
                    if again.failure.is_none() {
                        if record.unanswered() {
                            unanswered = Some(record.drops_and_retries());
                        } else {
                            under_load = record.failure.map(|f| f.message);
                        }
                    }
                    record = again;
                }
                // The shared setup stays until the last case sharing it is done, confirmed.
                if let Some(f) = fixture {
                    let _beside_others = shared.alone.read().unwrap_or_else(|e| e.into_inner());
                    record = shared.handle.block_on(shared.runner.release(
                        &loaded.path,
                        &loaded.suite,
                        f,
                        record,
                    ));
                }
                if shares && record.failure.is_none() {
                    lock(&shared.sharing).push((p.clone(), unadvertised.clone()));
                }
                // Stopped meanwhile: a step held back, or whose request was cut, says
                // nothing of the target.
                if shared.stopped().is_some() && record.no_answer() {
                    return interrupted("cut short, the run was stopped");
                }
                let no_answer = record.unanswered();
                let refusal = record.declined.take();
                let fault = refusal.as_ref().and_then(FilterFault::of).map(|(f, _)| f);
                let (declined, forms) = match &refusal {
                    Some(Refusal::Declined { parts, .. }) => (Some(parts.join(", ")), None),
                    Some(Refusal::PathForms(forms)) => (None, Some(forms.join(", "))),
                    _ => (None, None),
                };
                // In order: what the target does not advertise, then what it did not keep,
                // then a fault in what the case leans on, then what it declines; only then
                // the case's own setup and steps.
                let outcome = match (record.failure, unadvertised.clone(), record.warning) {
                    (Some(f), _, _) if no_answer => Outcome::Unanswered(f.message),
                    (Some(_), Some(why), _) => Outcome::Unsupported(why),
                    (Some(_), None, _) if record.unkept.is_some() => Outcome::Unsupported(
                        record.unkept.map(|l| l.message).unwrap_or_default(),
                    ),
                    (Some(f), None, _) if fault.is_some() => Outcome::Leaning {
                        fault: fault.map_or("", FilterFault::leaned_on).to_string(),
                        message: f.message,
                    },
                    (Some(_), None, _) if forms.is_some() => Outcome::Unsupported(format!(
                        "the target declines the PATCH path forms {} (400: RFC 7644 Table 9 lets a server refuse a path it cannot act on)",
                        forms.unwrap_or_default()
                    )),
                    (Some(_), None, _) if declined.is_some() => Outcome::Unsupported(format!(
                        "the target declines the filter operators {} (400 invalidFilter: RFC 7644 Table 9 lets a server refuse an attribute and operator it does not support)",
                        declined.unwrap_or_default()
                    )),
                    (
                        Some(Failure {
                            setup: Some(setup),
                            message,
                            ..
                        }),
                        None,
                        _,
                    ) => Outcome::Blocked { setup, message },
                    (Some(f), None, _) => {
                        classify::failed(case, f.step, &record.steps, &shared.runner.schemas, f.message)
                    }
                    (None, Some(why), _) if classify::expects_an_error(case) => Outcome::Unsupported(format!(
                        "{why}; its steps expect an error, which a target without the feature may answer for another reason (a filter it declines: 400): passing proves nothing"
                    )),
                    (None, Some(why), _) => Outcome::WorksUnadvertised(why),
                    (None, None, Some(w)) => Outcome::Noted(w),
                    (None, None, None) => Outcome::Passed,
                };
                let leaning = matches!(outcome, Outcome::Leaning { .. });
                if let Some(r) = &refusal {
                    shared.note_refusal(&p.name, r, &outcome);
                }
                let features = classify::uses(&p, case, unadvertised.as_deref(), &outcome);
                failed = matches!(outcome, Outcome::Failed(_));
                let c = classify::classify(&p, case.shows.as_deref(), outcome, &shared.opts.profile);
                let kept = !matches!(c.status, Status::Passed | Status::Skipped);
                let mut done = CaseResult {
                    fault: leaning.then(|| FILTER_RULE.to_string()),
                    duration_ms: started.elapsed().as_secs_f64() * 1000.0,
                    reproduction: kept.then_some(record.reproduction),
                    steps: record.steps,
                    features,
                    ..result(&p, loaded, c)
                };
                if let Some(m) = under_load {
                    done.message = Some(format!(
                        "failed while other cases ran, passed alone: a load finding, not a conformance failure\n{m}"
                    ));
                    lock(&shared.under_load).push(done.name.clone());
                }
                if let Some((drops, retries)) = unanswered {
                    let mut seen = lock(&shared.unanswered);
                    seen.cases.push(done.name.clone());
                    seen.drops += drops;
                    seen.retries += retries;
                }
                done
            }
        };
        if let Some(claim) = shared.interop {
            crate::interop::overlay::judge(&p, failed, claim, &mut done);
        }
        let verdict = match done.status {
            s if s.fails_run(p.level) => {
                Err(Failed::from(done.message.clone().unwrap_or_default()))
            }
            Status::Skipped => Ok(Completion::ignored_with(
                done.message
                    .as_deref()
                    .unwrap_or_default()
                    .trim_start_matches("skipped: "),
            )),
            Status::Inconclusive => Ok(Completion::ignored_with("inconclusive: no answer")),
            Status::Documented => Ok(Completion::ignored_with(format!(
                "documented deviation: {}",
                done.deviation.as_deref().unwrap_or_default()
            ))),
            _ => Ok(Completion::Completed),
        };
        lock(&shared.results).push(done);
        verdict
    })
    .with_kind(kind)
}
