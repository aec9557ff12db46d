//! `scimitar run`: load → plan → execute (libtest-mimic trials over one tokio runtime) →
//! report. Configuration mistakes are [`ConfigError`]s (exit 2); failed checks exit 1.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Completion, Failed, Trial};

use crate::capabilities::Capabilities;
use crate::check::Schemas;
use crate::check::declared::Declared;
use crate::exec::Runner;
use crate::plan::{Planned, plan};
use crate::profile::Profile;
use crate::report::{self, CaseResult, ReportSpec, RunReport, Status};
use crate::server::{self, Defect, Defects};
use crate::suite::template::Vars;
use crate::suite::{self, Level, Loaded};
use crate::target::{Client, Secret};

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
    pub token: Option<Secret>,
    pub suites: Vec<String>,
    pub tags: Vec<String>,
    pub reports: Vec<ReportSpec>,
    /// Defects to switch on in the bundled server.
    pub defects: Vec<Defect>,
    /// What the bundled server emulates.
    pub emulate: Profile,
    pub fixtures: PathBuf,
    pub timeout: Duration,
    /// Arguments for the libtest-style runner (`--list`, filters, `--test-threads`, ...).
    pub libtest: Vec<String>,
}

/// What `run` found, for the exit code.
pub enum Verdict {
    Passed,
    Failed,
}

/// Loads the suites and the JSON Schemas they name.
pub fn load(patterns: &[String], fixtures: &Path) -> Result<(Vec<Loaded>, Schemas), ConfigError> {
    let schemas = Schemas::load(&fixtures.join("schemas")).map_err(ConfigError)?;
    let names: HashSet<String> = schemas.names();
    let suites = suite::load(patterns, &names).map_err(|e| ConfigError(e.to_string()))?;
    Ok((suites, schemas))
}

pub fn run(opts: RunOptions) -> Result<Verdict, ConfigError> {
    let (suites, schemas) = load(&opts.suites, &opts.fixtures)?;
    if opts.target.is_some() && !opts.defects.is_empty() {
        return Err(ConfigError(
            "--defect switches the bundled server; it cannot be used with --target".into(),
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(config("cannot start the runtime"))?;
    let (base_url, token) = match &opts.target {
        Some(url) => {
            let parsed = reqwest::Url::parse(url).map_err(config("--target is not a URL"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(ConfigError(format!(
                    "--target must be an http or https URL, got {url}"
                )));
            }
            (url.clone(), opts.token.clone())
        }
        None => {
            let token = Secret::new(uuid::Uuid::new_v4().simple().to_string());
            let running = runtime
                .block_on(server::start(
                    ([127, 0, 0, 1], 0).into(),
                    token.expose().to_string(),
                    &opts.emulate,
                    Defects::new(opts.defects.clone()),
                ))
                .map_err(config("cannot start the bundled server"))?;
            (running.base_url, Some(token))
        }
    };
    let client = Client::new(&base_url, token, opts.timeout)
        .map_err(config("cannot build the HTTP client"))?;
    let (caps, declared) = runtime.block_on(async {
        tokio::join!(Capabilities::discover(&client), Declared::discover(&client))
    });
    if let Capabilities::Unknown(why) = &caps {
        eprintln!(
            "warning: cannot read /ServiceProviderConfig ({why}); running every case as if all features were advertised"
        );
    }
    if let Err(why) = &declared {
        eprintln!(
            "warning: cannot read the target's own schemas ({why}); resources are checked against fixtures/schemas only"
        );
    }
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let runner = Arc::new(Runner::new(client, schemas, declared.ok(), run_id.clone()));
    let planned = plan(&suites, &opts.tags);
    let suites = Arc::new(suites);
    let results: Arc<Mutex<Vec<CaseResult>>> = Arc::new(Mutex::new(Vec::new()));
    let mut args = Arguments::from_iter(
        std::iter::once("scimitar".to_string()).chain(opts.libtest.iter().cloned()),
    );
    let trials = planned
        .into_iter()
        .map(|p| {
            let unadvertised = caps.missing(&p.requires);
            let limits = caps.limits(&p.limits, &run_id);
            trial(
                p,
                unadvertised,
                limits,
                &suites,
                &runner,
                &results,
                runtime.handle().clone(),
            )
        })
        .collect();
    // Cases wait on the network, not the CPU: run more at once than there are cores.
    args.test_threads.get_or_insert(16);
    let started = Instant::now();
    let conclusion = libtest_mimic::run(&args, trials);
    let mut cases = std::mem::take(&mut *results.lock().unwrap_or_else(|e| e.into_inner()));
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    let report = RunReport {
        tool: "scimitar",
        version: env!("CARGO_PKG_VERSION"),
        target: base_url,
        run_id,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        passed: count(&cases, Status::Passed),
        failed: count(&cases, Status::Failed),
        warnings: count(&cases, Status::Warning),
        skipped: count(&cases, Status::Skipped),
        cases,
    };
    print!("{}", report::summary(&report));
    for spec in &opts.reports {
        report::write(spec, &report, |t| runner.client.scrub(t))
            .map_err(config(&format!("cannot write {}", spec.path.display())))?;
    }
    Ok(if conclusion.has_failed() {
        Verdict::Failed
    } else {
        Verdict::Passed
    })
}

fn count(cases: &[CaseResult], status: Status) -> usize {
    cases.iter().filter(|c| c.status == status).count()
}

/// The result of one planned case, naming it as its suite file does.
fn result(p: &Planned, loaded: &Loaded, status: Status, message: Option<String>) -> CaseResult {
    CaseResult {
        name: p.name.clone(),
        suite: loaded.suite.name.clone(),
        case: loaded.suite.cases[p.case].value.name.clone(),
        file: loaded.path.clone(),
        level: p.level,
        requirements: p.requirements.clone(),
        status,
        duration_ms: 0.0,
        message,
        reproduction: None,
        steps: vec![],
    }
}

/// One case as a libtest trial. A case needing a feature the target does not advertise
/// still runs, as a probe: if it fails it is skipped with the reason; if it works the target
/// half-supports what it disowns, a warning (C-discovery-05).
fn trial(
    p: Planned,
    unadvertised: Option<String>,
    limits: Result<Vars, String>,
    suites: &Arc<Vec<Loaded>>,
    runner: &Arc<Runner>,
    results: &Arc<Mutex<Vec<CaseResult>>>,
    handle: tokio::runtime::Handle,
) -> Trial {
    let (suites, runner, results) = (suites.clone(), runner.clone(), results.clone());
    let name = p.name.clone();
    let kind = p.level.to_string();
    Trial::ignorable_test(name, move || {
        let loaded = &suites[p.suite];
        let case = &loaded.suite.cases[p.case].value;
        let limits = match limits {
            Ok(l) => l,
            Err(why) => {
                let skipped = result(&p, loaded, Status::Skipped, Some(format!("skipped: {why}")));
                results.lock().unwrap_or_else(|e| e.into_inner()).push(skipped);
                return Ok(Completion::ignored_with(why));
            }
        };
        let started = Instant::now();
        let record = handle.block_on(runner.run_case(&loaded.path, &loaded.suite, case, limits));
        let (status, message) = match (record.failure, unadvertised, p.level) {
            (Some(_), Some(why), _) => (Status::Skipped, Some(format!("skipped: {why}"))),
            (Some(m), None, Level::Must) => (Status::Failed, Some(m)),
            (Some(m), None, _) => (Status::Warning, Some(m)),
            (None, Some(why), _) => (
                Status::Warning,
                Some(format!(
                    "works, although the target does not advertise it ({why}); a feature advertised as unsupported should not be half-supported (C-discovery-05)"
                )),
            ),
            (None, None, _) => match record.warning {
                Some(w) => (Status::Warning, Some(w)),
                None => (Status::Passed, None),
            },
        };
        let done = CaseResult {
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            reproduction: matches!(status, Status::Failed | Status::Warning).then_some(record.reproduction),
            steps: record.steps,
            ..result(&p, loaded, status, message.clone())
        };
        results.lock().unwrap_or_else(|e| e.into_inner()).push(done);
        // Only MUST failures fail the trial; warnings are listed in the summary after
        // libtest's own.
        match (status, message) {
            (Status::Failed, Some(m)) => Err(Failed::from(m)),
            (Status::Skipped, m) => Ok(Completion::ignored_with(
                m.unwrap_or_default().trim_start_matches("skipped: "),
            )),
            _ => Ok(Completion::Completed),
        }
    })
    .with_kind(kind)
}
