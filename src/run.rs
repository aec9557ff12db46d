//! `scimitar run`: load → plan → execute (libtest-mimic trials over one tokio runtime) →
//! report. Configuration mistakes are [`ConfigError`]s (exit 2); failed checks exit 1.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};

use crate::capabilities::Capabilities;
use crate::check::Schemas;
use crate::exec::Runner;
use crate::plan::{Planned, plan};
use crate::profile::Profile;
use crate::report::{self, CaseResult, ReportSpec, RunReport, Status};
use crate::server::{self, Defect, Defects};
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
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let runner = Arc::new(Runner::new(client, schemas, run_id.clone()));
    let planned = plan(&suites, &opts.tags);
    let suites = Arc::new(suites);
    let results: Arc<Mutex<Vec<CaseResult>>> = Arc::new(Mutex::new(Vec::new()));
    let mut args = Arguments::from_iter(
        std::iter::once("scimitar".to_string()).chain(opts.libtest.iter().cloned()),
    );
    let caps = runtime.block_on(Capabilities::discover(&runner.client));
    if let Capabilities::Unknown(why) = &caps {
        eprintln!(
            "warning: cannot read /ServiceProviderConfig ({why}); running every case as if all features were advertised"
        );
    }
    let forced = args.ignored || args.include_ignored;
    let trials = planned
        .into_iter()
        .map(|p| {
            let skip = caps.missing(&p.requires).filter(|_| !forced);
            if let Some(reason) = &skip
                && selected(&args, &p.name)
            {
                results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(result(
                        &p,
                        &suites[p.suite],
                        Status::Skipped,
                        Some(format!("skipped: {reason}")),
                    ));
            }
            trial(p, &suites, &runner, &results, runtime.handle().clone())
                .with_ignored_flag(skip.is_some())
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

/// Whether libtest's name filters select a case, as libtest-mimic decides.
fn selected(args: &Arguments, name: &str) -> bool {
    let matches = |pattern: &str| {
        if args.exact {
            name == pattern
        } else {
            name.contains(pattern)
        }
    };
    args.filter.as_deref().is_none_or(matches) && !args.skip.iter().any(|s| matches(s))
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

fn trial(
    p: Planned,
    suites: &Arc<Vec<Loaded>>,
    runner: &Arc<Runner>,
    results: &Arc<Mutex<Vec<CaseResult>>>,
    handle: tokio::runtime::Handle,
) -> Trial {
    let (suites, runner, results) = (suites.clone(), runner.clone(), results.clone());
    let name = p.name.clone();
    let kind = p.level.to_string();
    Trial::test(name, move || {
        let loaded = &suites[p.suite];
        let case = &loaded.suite.cases[p.case].value;
        let started = Instant::now();
        let record = handle.block_on(runner.run_case(&loaded.path, &loaded.suite, case));
        let failure = record.failure.clone();
        let status = match (&failure, p.level) {
            (None, _) => Status::Passed,
            (Some(_), Level::Must) => Status::Failed,
            (Some(_), _) => Status::Warning,
        };
        let done = CaseResult {
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            reproduction: record.reproduction,
            steps: record.steps,
            ..result(&p, loaded, status, failure.clone())
        };
        results.lock().unwrap_or_else(|e| e.into_inner()).push(done);
        // Only MUST failures fail the trial; SHOULD and MAY ones are warnings, listed in
        // the summary after libtest's own.
        match failure {
            Some(m) if p.level == Level::Must => Err(Failed::from(m)),
            _ => Ok(()),
        }
    })
    .with_kind(kind)
}
