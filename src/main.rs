use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser, ValueEnum};

use scimitar::check::snapshot::Snapshots;
use scimitar::cli::{
    AuthKind, Cli, Command, CoverageArgs, FuzzArgs, IdpArgs, NetworkArgs, ReportArgs, RunArgs,
    ServeArgs, SuiteArgs, SuitesArgs, SuitesCommand, SweepArgs, TargetArgs, TlsArgs,
};
use scimitar::client::auth::OAuth;
use scimitar::client::http::Policy;
use scimitar::client::ledger::Ledger;
use scimitar::client::{Auth, Network, Secret};
use scimitar::fuzz::{Budget, FuzzOptions};
use scimitar::idp::Idp;
use scimitar::report::Stopped;
use scimitar::run::{self, ConfigError, Replay, RunOptions, Verdict};
use scimitar::server::{self, Defect, Defects};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run_command(*args, &["suites/rfc*/*.yaml".into()], None),
        Command::Entra(args) => Idp::find("entra")
            .map_err(ConfigError)
            .and_then(|idp| replay(idp, *args)),
        Command::Replay(args) => replay(args.idp, args.replay),
        Command::List(args) => list(args),
        Command::Coverage(args) => coverage(args),
        Command::Report(args) => report(args),
        Command::Fuzz(args) => fuzz(*args),
        Command::Sweep(args) => sweep(*args),
        Command::Serve(args) => serve(args),
        Command::Tls(args) => tls(args),
        Command::Suites(args) => suites(args),
        Command::Completions { shell } => completions(shell),
        Command::Man { dir } => man(dir),
    };
    match result {
        Ok(Verdict::Passed) => ExitCode::SUCCESS,
        Ok(Verdict::Failed) => ExitCode::from(1),
        Ok(Verdict::Inconclusive) => ExitCode::from(3),
        Ok(Verdict::Stopped(Stopped::Interrupted)) => ExitCode::from(130),
        Ok(Verdict::Stopped(Stopped::TimedOut)) => ExitCode::from(124),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

/// `replay`: the provider's suites, in the chosen behaviour, with its mappings' cases.
fn replay(idp: Idp, args: IdpArgs) -> Result<Verdict, ConfigError> {
    let behaviour = idp
        .behaviour(args.behaviour.as_deref())
        .map_err(ConfigError)?
        .clone();
    let suites = idp.suites.clone();
    let replay = Replay {
        idp,
        behaviour,
        mappings: args.mapping,
    };
    run_command(args.run, &suites, Some(replay))
}

fn run_command(
    args: RunArgs,
    default_suites: &[String],
    replay: Option<Replay>,
) -> Result<Verdict, ConfigError> {
    let (auth, timeout, policy, network) = connection(&args.conn)?;
    let snapshots = args.snapshots.map(|mode| {
        let name =
            (args.target_name.clone()).unwrap_or_else(|| target_name(args.conn.target.as_deref()));
        Snapshots {
            dir: args.snapshot_dir.join(name),
            mode,
        }
    });
    run::run(RunOptions {
        target: args.conn.target,
        auth,
        suites: if args.suite.suites.is_empty() {
            default_suites.to_vec()
        } else {
            args.suite.suites
        },
        tags: args.suite.tags,
        replay,
        reports: args.reports,
        baseline: args.baseline,
        snapshots,
        defects: args.defects,
        emulate: args.emulate,
        profile: with_fills(args.profile, args.fills),
        fixtures: args.suite.fixtures,
        partition: args.suite.partition,
        read_only: args.read_only,
        timeout,
        run_timeout: args.conn.run_timeout,
        policy,
        network,
        ledger: args.conn.ledger,
        libtest: args.libtest,
    })
}

/// The folder name of a target's snapshots: `bundled`, or the URL's host and port.
fn target_name(target: Option<&str>) -> String {
    let Some(url) = target.and_then(|t| url::Url::parse(t).ok()) else {
        return "bundled".into();
    };
    let host = url.host_str().unwrap_or("target");
    let name = match url.port() {
        Some(p) => format!("{host}_{p}"),
        None => host.to_string(),
    };
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn fuzz(args: FuzzArgs) -> Result<Verdict, ConfigError> {
    let (auth, timeout, policy, network) = connection(&args.conn)?;
    let budget = match (args.cases, args.time) {
        (Some(n), _) => Budget::Cases(n),
        (None, t) => Budget::Time(t.unwrap_or(Duration::from_secs(60))),
    };
    scimitar::fuzz::fuzz(FuzzOptions {
        target: args.conn.target,
        auth,
        seed: args.seed,
        budget,
        profile: args.profile,
        defects: args.defects,
        timeout,
        policy,
        network,
        ledger: args.conn.ledger,
        max_ops: args.max_ops.into(),
        repro: args.repro,
        repro_dir: args.repro_dir,
        max_findings: args.max_findings.map(usize::from),
        report: args.report,
        baseline: args.baseline,
        strict_transport: args.strict_transport,
    })
}

/// The credentials, timeout, client policy and network of the target options, with warnings.
fn connection(args: &TargetArgs) -> Result<(Auth, Duration, Policy, Network), ConfigError> {
    let auth = credentials(args)?;
    let network = network(&args.network)?;
    if let Some(target) = &args.target {
        if auth.is_none() {
            eprintln!("warning: no credentials (see --auth): requests are sent without them");
        }
        let mut urls = vec![target.as_str()];
        urls.extend(args.token_url.as_deref());
        for w in scimitar::client::auth::insecure(&urls) {
            eprintln!("warning: {w}");
        }
    }
    let policy = Policy {
        retries: args.retries,
        rate: args.rate,
        concurrency: args.concurrency.into(),
        ..Policy::default()
    };
    Ok((auth, seconds(args.timeout)?, policy, network))
}

/// `--timeout`, which must be a positive number of seconds.
fn seconds(timeout: f64) -> Result<Duration, ConfigError> {
    if !(timeout.is_finite() && timeout > 0.0) {
        return Err(ConfigError(
            "--timeout must be a positive number of seconds".into(),
        ));
    }
    Ok(Duration::from_secs_f64(timeout))
}

/// The CA certificates, client certificate and proxy of the options; `--insecure` is
/// warned about every time.
fn network(args: &NetworkArgs) -> Result<Network, ConfigError> {
    let client = args.client_cert.as_deref().zip(args.client_key.as_deref());
    let network = Network::load(&args.ca_certs, client, args.insecure, args.proxy.clone())
        .map_err(ConfigError)?;
    if args.insecure {
        eprintln!(
            "warning: --insecure: the server's certificate is not verified, so anyone on the way can pose as the server and take the credentials"
        );
    }
    Ok(network)
}

/// `scimitar tls`: the connection check alone; its findings fail it.
fn tls(args: TlsArgs) -> Result<Verdict, ConfigError> {
    if args.network.insecure {
        return Err(ConfigError(
            "--insecure cannot be used with the connection check, which is about the certificate it would skip".into(),
        ));
    }
    let network = network(&args.network)?;
    let timeout = seconds(args.timeout)?;
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| ConfigError(format!("cannot start the runtime: {e}")))?;
    let report = runtime
        .block_on(scimitar::tls::check(&args.target, &network, timeout))
        .map_err(|e| ConfigError(format!("connection check: {e}")))?;
    print!("{}", network.scrub(&report.render()));
    Ok(if report.findings.is_empty() {
        Verdict::Passed
    } else {
        Verdict::Failed
    })
}

fn sweep(args: SweepArgs) -> Result<Verdict, ConfigError> {
    let (auth, timeout, policy, network) = connection(&args.conn)?;
    let (Some(target), Some(path)) = (&args.conn.target, &args.conn.ledger) else {
        return Err(ConfigError("sweep needs --target and --ledger".into()));
    };
    let ledger = Ledger::resume(path).map_err(ConfigError)?;
    let urls = ledger.remaining();
    let base = target.trim_end_matches('/');
    if let Some(foreign) = urls.iter().find(|u| !u.starts_with(base)) {
        return Err(ConfigError(format!(
            "{}: {foreign} is not under --target {target}; nothing was deleted",
            path.display()
        )));
    }
    let client = scimitar::client::Client::over(target, auth, timeout, network)
        .map_err(|e| ConfigError(format!("cannot build the HTTP client: {e}")))?
        .with_policy(policy)
        .with_ledger(std::sync::Arc::new(ledger));
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| ConfigError(format!("cannot start the runtime: {e}")))?;
    let left = runtime.block_on(client.sweep());
    println!(
        "deleted {} of the {} resources the ledger listed",
        urls.len() - left.len(),
        urls.len()
    );
    for url in &left {
        println!("  left: {url}");
    }
    Ok(if left.is_empty() {
        Verdict::Passed
    } else {
        Verdict::Failed
    })
}

fn secret(args: &TargetArgs, env: &str) -> Result<Option<Secret>, ConfigError> {
    match (&args.token_file, std::env::var(env)) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                ConfigError(format!("cannot read --token-file {}: {e}", path.display()))
            })?;
            Ok(Some(Secret::new(text.trim())))
        }
        (None, Ok(t)) if !t.is_empty() => Ok(Some(Secret::new(t))),
        _ => Ok(None),
    }
}

/// The authentication the options describe; what it needs and lacks is an error.
fn credentials(args: &TargetArgs) -> Result<Auth, ConfigError> {
    let need = |what: Option<&String>, flag: &str| {
        what.cloned().ok_or_else(|| {
            ConfigError(format!("--auth {:?} needs {flag}", args.auth).to_lowercase())
        })
    };
    let must = |env: &str| {
        secret(args, env)?.ok_or_else(|| {
            ConfigError(
                format!(
                    "--auth {:?} needs the secret in {env} or --token-file",
                    args.auth
                )
                .to_lowercase(),
            )
        })
    };
    Ok(match args.auth {
        AuthKind::Bearer => secret(args, "SCIM_TOKEN")?.map_or(Auth::None, Auth::Bearer),
        AuthKind::Basic => Auth::Basic {
            user: need(args.user.as_ref(), "--user")?,
            password: must("SCIM_PASSWORD")?,
        },
        AuthKind::Header => Auth::Header {
            name: need(args.auth_header.as_ref(), "--auth-header")?,
            value: must("SCIM_TOKEN")?,
        },
        AuthKind::OAuth => Auth::OAuth(OAuth::new(
            need(args.token_url.as_ref(), "--token-url")?,
            need(args.client_id.as_ref(), "--client-id")?,
            must("SCIM_CLIENT_SECRET")?,
            args.scope.clone(),
        )),
    })
}

fn report(args: ReportArgs) -> Result<Verdict, ConfigError> {
    let results = scimitar::report::deviation::read(&args.input).map_err(ConfigError)?;
    for spec in &args.outputs {
        scimitar::report::write(spec, &results, str::to_string)
            .map_err(|e| ConfigError(format!("cannot write {}: {e}", spec.path.display())))?;
    }
    Ok(Verdict::Passed)
}

fn list(args: SuiteArgs) -> Result<Verdict, ConfigError> {
    let (suites, _) = run::load(
        &args.patterns("suites/rfc*/*.yaml"),
        args.fixtures.as_deref(),
    )?;
    let mut planned = scimitar::plan::plan(&suites, &args.tags, &[], suites.len());
    if let Some(share) = &args.partition {
        planned = share.select(planned);
    }
    for p in planned {
        println!("{} [{}] {}", p.name, p.level, p.requirements.join(" "));
    }
    Ok(Verdict::Passed)
}

fn coverage(args: CoverageArgs) -> Result<Verdict, ConfigError> {
    let suite_args = &args.suites;
    let mut patterns = suite_args.patterns("suites/rfc*/*.yaml");
    if suite_args.suites.is_empty() {
        // The interop profile's own cases, for its rows counted apart.
        patterns.extend(
            scimitar::profile::Profile::find("interop")
                .map_err(ConfigError)?
                .suites,
        );
    }
    let (suites, _) = run::load(&patterns, suite_args.fixtures.as_deref())?;
    let planned = scimitar::plan::plan(&suites, &suite_args.tags, &[], suites.len());
    if args.proof {
        print!(
            "{}",
            scimitar::coverage::proof::render(&planned).map_err(ConfigError)?
        );
    } else {
        print!("{}", scimitar::coverage::Coverage::of(&planned).render());
    }
    Ok(Verdict::Passed)
}

/// The completion script, generated from the clap definitions.
fn completions(shell: clap_complete::Shell) -> Result<Verdict, ConfigError> {
    use std::io::Write;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "scimitar", &mut script);
    std::io::stdout()
        .write_all(&script)
        .map_err(|e| ConfigError(format!("cannot write the completion script: {e}")))?;
    Ok(Verdict::Passed)
}

/// The manual page(s), generated from the same clap definitions as `--help`.
fn man(dir: Option<std::path::PathBuf>) -> Result<Verdict, ConfigError> {
    let cmd = Cli::command();
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .and_then(|()| clap_mangen::generate_to(cmd, &dir))
                .map_err(|e| ConfigError(format!("cannot write under {}: {e}", dir.display())))?;
        }
        None => clap_mangen::Man::new(cmd)
            .render(&mut std::io::stdout())
            .map_err(|e| ConfigError(format!("cannot write the manual page: {e}")))?,
    }
    Ok(Verdict::Passed)
}

fn suites(args: SuitesArgs) -> Result<Verdict, ConfigError> {
    match args.command {
        SuitesCommand::Export { dir, force } => {
            let n = scimitar::builtin::export(&dir, force).map_err(ConfigError)?;
            println!(
                "wrote {n} files under {} (suites/, fixtures/)",
                dir.display()
            );
        }
    }
    Ok(Verdict::Passed)
}

fn serve(args: Box<ServeArgs>) -> Result<Verdict, ConfigError> {
    if args.list_defects {
        for d in Defect::value_variants() {
            let (req, what) = d.describe();
            println!("{:<24} {:<14} {what}", d.name(), req);
        }
        return Ok(Verdict::Passed);
    }
    let token = args.token.clone().unwrap_or_else(|| {
        let t = uuid::Uuid::new_v4().simple().to_string();
        eprintln!("no --token or SCIM_TOKEN given; clients must send: Bearer {t}");
        t
    });
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| ConfigError(format!("cannot start the runtime: {e}")))?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(std::sync::Arc::new(
            server::tls::config(cert, key).map_err(ConfigError)?,
        )),
        _ => None,
    };
    runtime.block_on(async {
        let addr = (args.bind, args.port).into();
        let defects = Defects::new(args.defects);
        let running = match tls {
            Some(tls) => server::start_tls(addr, token, &args.emulate, defects, tls).await,
            None => server::start(addr, token, &args.emulate, defects).await,
        }
        .map_err(|e| ConfigError(format!("cannot listen on {}:{}: {e}", args.bind, args.port)))?;
        println!("listening on {}", running.base_url);
        tokio::select! {
            r = running.task => r.map_err(|e| ConfigError(e.to_string()))?.map_err(|e| ConfigError(e.to_string()))?,
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(Verdict::Passed)
    })
}

/// `profile` with the `--fill`s added to its `fill`.
fn with_fills(
    mut profile: scimitar::profile::Profile,
    fills: Vec<scimitar::cli::FillArg>,
) -> scimitar::profile::Profile {
    for f in fills {
        let members = profile.fill.entry(f.endpoint).or_default();
        // Two fills of one complex member (`name.givenName`, `name.middleName`) merge.
        match (members.get_mut(&f.member), f.value) {
            (Some(serde_json::Value::Object(have)), serde_json::Value::Object(more)) => {
                have.extend(more)
            }
            (_, value) => {
                members.insert(f.member, value);
            }
        }
    }
    profile
}
