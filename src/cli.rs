//! The command line (clap).

pub mod reference;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::profile::Profile;
use crate::report::ReportSpec;
use crate::server::Defect;

#[derive(Debug, Parser)]
#[command(
    name = "scimitar",
    version,
    about = "Finds where a SCIM 2.0 server breaks RFC 7643/7644, with a curl reproduction for every failure."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run suites against a target (the bundled server when no --target is given).
    Run(Box<RunArgs>),
    /// Replay what Microsoft Entra ID's provisioning service sends: `replay --idp entra`.
    Entra(Box<IdpArgs>),
    /// Replay what an identity provider's provisioning sends (fixtures/idp/: entra, okta),
    /// and with --mapping one round-trip case per attribute of its attribute mapping.
    Replay(Box<ReplayArgs>),
    /// List suites and their cases.
    List(SuiteArgs),
    /// The requirement matrix: which rows of the catalogue the suites check.
    Coverage(CoverageArgs),
    /// Write the vendor deviation report (Markdown, HTML) from a JSON report of `run`.
    Report(ReportArgs),
    /// Model-based fuzzing: random sequences of requests, each answer compared with the
    /// reference model's; a divergence is shrunk to a curl script.
    Fuzz(Box<FuzzArgs>),
    /// Delete what an interrupted or crashed run left behind, from its --ledger file.
    Sweep(Box<SweepArgs>),
    /// Run the bundled reference SCIM server.
    Serve(Box<ServeArgs>),
    /// Check the connection as Microsoft Entra will see it: the TLS versions and Entra's
    /// TLS 1.2 cipher suites the server accepts, its certificate chain, host name, expiry and
    /// key (`entra` runs this first).
    Tls(TlsArgs),
    /// The suites and fixtures built into scimitar.
    Suites(SuitesArgs),
    /// Print a shell completion script, e.g. `source <(scimitar completions bash)`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page scimitar(1) as roff, or write one page per command into a folder.
    Man {
        /// Write scimitar.1, scimitar-run.1, ... here instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct SuitesArgs {
    #[command(subcommand)]
    pub command: SuitesCommand,
}

#[derive(Debug, Subcommand)]
pub enum SuitesCommand {
    /// Write the built-in suites and fixtures under DIR (DIR/suites/, DIR/fixtures/), the
    /// starting point of your own: run from DIR, a file there replaces the built-in one at
    /// its path, and a new file matching the suite globs is added.
    Export {
        /// The folder to write into (created if missing).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// Overwrite files that exist already.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Args)]
pub struct SuiteArgs {
    /// Suite files to load (glob; repeatable) [default: the RFC suites, suites/rfc*/*.yaml;
    /// for `replay`, the provider's, e.g. suites/okta/*.yaml]. A glob matches the built-in suites and files on
    /// disk; a file on disk at a built-in suite's path replaces it.
    #[arg(long = "suite", value_name = "GLOB")]
    pub suites: Vec<String>,
    /// Only cases carrying this tag (on the suite or the case; repeatable: all must match).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// A fixtures folder whose schemas/*.json add to the built-in JSON Schemas (a file named
    /// as a built-in one replaces it) [default: the built-in schemas alone].
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,
    /// Only this share of the cases: count:K/N (round-robin) or hash:K/N (by name), so
    /// that N CI machines split a run.
    #[arg(long, value_name = "count:K/N|hash:K/N")]
    pub partition: Option<crate::plan::Partition>,
}

/// What `coverage` shows.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    #[command(flatten)]
    pub suites: SuiteArgs,
    /// Per testable MUST row: its cases, the bundled-server switch that breaks it and whether
    /// a case caught it, or why no switch can; then the share of rows proven.
    #[arg(long)]
    pub proof: bool,
}

/// Which server to test and how to reach it.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The SCIM base URL, e.g. https://example.com/scim/v2. Secrets come from the
    /// environment or --token-file, never from the command line.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// How to authenticate: a bearer token (SCIM_TOKEN), HTTP basic (--user, SCIM_PASSWORD),
    /// a custom header (--auth-header, SCIM_TOKEN) or OAuth2 client credentials
    /// (--token-url, --client-id, SCIM_CLIENT_SECRET).
    #[arg(long, value_enum, default_value = "bearer")]
    pub auth: AuthKind,
    /// A file holding the secret, instead of its environment variable.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// The user name for --auth basic.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// The header carrying the secret for --auth header, e.g. X-API-Key.
    #[arg(long, value_name = "NAME")]
    pub auth_header: Option<String>,
    /// The OAuth2 token endpoint for --auth oauth.
    #[arg(long, value_name = "URL")]
    pub token_url: Option<String>,
    /// The OAuth2 client id for --auth oauth.
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// The OAuth2 scope to ask for, if the token endpoint needs one.
    #[arg(long, value_name = "SCOPE")]
    pub scope: Option<String>,
    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,
    /// Stop the whole run after this long (60s, 5m), deleting what it created.
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub run_timeout: Option<std::time::Duration>,
    /// At most this many requests a second, e.g. 10 or 10/s.
    #[arg(long, value_name = "N/s", value_parser = rate)]
    pub rate: Option<f64>,
    /// At most this many requests at once.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    /// Sends again after a 429 or 503 (honouring Retry-After, else backing off
    /// exponentially with jitter) and after a reset connection of an idempotent request.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub retries: u32,
    /// Also record what the run creates in this file, so that `scimitar sweep` can delete it
    /// after a crash (the file is removed when the run cleaned up everything).
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    #[command(flatten)]
    pub network: NetworkArgs,
}

/// How the target is reached: CA certificates, a client certificate, a proxy.
#[derive(Debug, Args)]
pub struct NetworkArgs {
    /// Trust the CA certificates in this PEM file (one or more; repeatable) beside the
    /// platform's: a private CA, or a self-signed server's own certificate.
    /// A certificate here that is the server's own is pinned: trusted even if marked as a CA.
    #[arg(long = "ca-cert", value_name = "FILE")]
    pub ca_certs: Vec<PathBuf>,
    /// Present this certificate chain (PEM) when the server asks for one (mutual TLS).
    #[arg(long, value_name = "FILE", requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// The private key (PEM) of --client-cert.
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// Do not verify the server's certificate (warned about on every run; refused by `entra`
    /// and `tls`, whose connection check is about that certificate).
    #[arg(long)]
    pub insecure: bool,
    /// Send through this proxy instead of HTTPS_PROXY/HTTP_PROXY's (NO_PROXY still applies);
    /// credentials in it are scrubbed from all output like every secret.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
}

#[derive(Debug, Args)]
pub struct TlsArgs {
    /// The server's URL, e.g. https://example.com/scim/v2.
    #[arg(long, value_name = "URL")]
    pub target: String,
    /// Per-connection timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub timeout: f64,
    #[command(flatten)]
    pub network: NetworkArgs,
}

/// `10`, `10/s` or `600/m` requests.
fn rate(s: &str) -> Result<f64, String> {
    let (n, per) = s.split_once('/').unwrap_or((s, "s"));
    let n: f64 = n
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a rate such as 10/s"))?;
    let per = match per.trim() {
        "s" => 1.0,
        "m" => 60.0,
        _ => return Err(format!("`{s}`: the unit is /s or /m")),
    };
    (n > 0.0 && n.is_finite())
        .then_some(n / per)
        .ok_or_else(|| format!("`{s}`: a rate is positive"))
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub conn: TargetArgs,
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Write a report: json=PATH, junit=PATH, markdown=PATH or html=PATH (repeatable).
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    pub reports: Vec<ReportSpec>,
    /// Only cases that change nothing on the target (every request a GET or a search).
    #[arg(long)]
    pub read_only: bool,
    /// Check the steps' `snapshot`s against the approved ones (a change fails, with a diff),
    /// or write them.
    #[arg(long, value_enum, value_name = "check|update")]
    pub snapshots: Option<crate::check::snapshot::Mode>,
    /// Where approved snapshots are kept, one folder per target.
    #[arg(long, value_name = "DIR", default_value = "snapshots")]
    pub snapshot_dir: PathBuf,
    /// The target's name for its snapshot folder [default: `bundled`, or the target URL's
    /// host and port].
    #[arg(long, value_name = "NAME")]
    pub target_name: Option<String>,
    /// Judge the run against an earlier JSON report: fail only on regressions (a case that
    /// passed now fails, a new undocumented deviation), listing improvements apart.
    #[arg(long, value_name = "RESULTS.json")]
    pub baseline: Option<PathBuf>,
    /// Switch a defect on in the bundled server (repeatable; see `serve --list-defects`).
    #[arg(long = "defect", value_name = "NAME")]
    pub defects: Vec<Defect>,
    /// The profile the bundled server emulates: rfc, newrelic, or a profile file.
    #[arg(long, value_name = "PROFILE", default_value = "rfc", value_parser = Profile::find)]
    pub emulate: Profile,
    /// The vendor profile the target is judged by: its declared deviations classify the
    /// results (documented, undocumented, stale) and its own promises run as extra cases.
    #[arg(long, value_name = "PROFILE", default_value = "rfc", value_parser = Profile::find)]
    pub profile: Profile,
    /// Add an attribute the target requires to the suites' creates where they lack it:
    /// `[/Endpoint:]ATTR=TEMPLATE` (endpoint /Users unless given; `a.b` nests; the value is
    /// JSON where it parses as JSON, else a string; `{{unique}}`, `{{fill_id}}` templates).
    /// Repeatable; added to the profile's `fill`.
    #[arg(long = "fill", value_name = "ATTR=TEMPLATE", value_parser = parse_fill)]
    pub fills: Vec<FillArg>,
    /// Arguments for the test runner, as for `cargo test`: a name filter, --exact, --skip,
    /// --list, --test-threads N, --format pretty|terse|json.
    #[arg(last = true, value_name = "LIBTEST ARGS")]
    pub libtest: Vec<String>,
}

impl SuiteArgs {
    /// The patterns given, or `default` when none was.
    pub fn patterns(&self, default: &str) -> Vec<String> {
        if self.suites.is_empty() {
            vec![default.to_string()]
        } else {
            self.suites.clone()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthKind {
    Bearer,
    Basic,
    Header,
    #[value(name = "oauth")]
    OAuth,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A JSON report written by `run --report json=PATH`.
    #[arg(value_name = "RESULTS.json")]
    pub input: PathBuf,
    /// Write the report: markdown=PATH or html=PATH (repeatable).
    #[arg(long = "to", value_name = "FORMAT=PATH", required = true)]
    pub outputs: Vec<ReportSpec>,
}

#[derive(Debug, Args)]
pub struct IdpArgs {
    /// The provider's behaviour: Entra's `default` or `compliant` (the `aadOptscim062020`
    /// flag), Okta's `put-updates` or `patch-updates` [default: the provider's first].
    #[arg(long, value_name = "BEHAVIOUR")]
    pub behaviour: Option<String>,
    /// An attribute mapping (e.g. fixtures/entra/new-relic-by-organization.yaml,
    /// fixtures/okta/scim-2-0-test-app.yaml): one round-trip case per mapped attribute, run
    /// with the provider's suites.
    #[arg(long, value_name = "FILE")]
    pub mapping: Vec<PathBuf>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The identity provider: entra or okta (fixtures/idp/NAME.yaml).
    #[arg(long, value_name = "NAME", value_parser = crate::idp::Idp::find)]
    pub idp: crate::idp::Idp,
    #[command(flatten)]
    pub replay: IdpArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// The bearer token clients must send (default: SCIM_TOKEN, else a random one, printed).
    #[arg(long, env = "SCIM_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Switch a defect on (repeatable).
    #[arg(long = "defect", value_name = "NAME")]
    pub defects: Vec<Defect>,
    /// The behaviour to emulate: rfc (strict), newrelic, globalrelay, minimal, or a profile file.
    #[arg(long, value_name = "PROFILE", default_value = "rfc", value_parser = Profile::find)]
    pub emulate: Profile,
    /// Print the defect switches with the requirement each breaks, and exit.
    #[arg(long)]
    pub list_defects: bool,
    /// Serve over TLS with this certificate chain (PEM), at https://ADDR:PORT/scim/v2.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FuzzArgs {
    #[command(flatten)]
    pub conn: TargetArgs,
    /// The seed: the same seed draws the same sequences [default: a random one, printed].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Stop after this many sequences.
    #[arg(long, value_name = "N", conflicts_with = "time")]
    pub cases: Option<u64>,
    /// Stop after this long: 60s, 5m, or seconds [default: 60s when --cases is not given].
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub time: Option<std::time::Duration>,
    /// The behaviour the model expects (and the bundled server emulates): rfc, newrelic, or
    /// a profile file.
    #[arg(long, value_name = "PROFILE", default_value = "rfc", value_parser = Profile::find)]
    pub profile: Profile,
    /// Switch a defect on in the bundled server (repeatable; see `serve --list-defects`).
    #[arg(long = "defect", value_name = "NAME")]
    pub defects: Vec<Defect>,
    /// The longest sequence of requests drawn.
    #[arg(long, value_name = "N", default_value_t = 24, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_ops: u16,
    /// Write the reproduction script of the first divergence to this file.
    #[arg(long, value_name = "PATH")]
    pub repro: Option<PathBuf>,
    /// Write one reproduction script per distinct divergence into this directory.
    #[arg(long, value_name = "DIR")]
    pub repro_dir: Option<PathBuf>,
    /// Stop once this many distinct divergences are found.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub max_findings: Option<u16>,
    /// Write the findings as JSON: `json=PATH` (what --baseline reads).
    #[arg(long, value_name = "json=PATH", value_parser = json_report)]
    pub report: Option<PathBuf>,
    /// An earlier `--report json=` file: the divergences it lists are counted but do not fail
    /// the run, so that only a new kind of divergence does.
    #[arg(long, value_name = "RESULTS.json")]
    pub baseline: Option<PathBuf>,
    /// Fail the run (exit 1) when the target left a request unanswered (a connection
    /// dropped, refused or timed out), even one answered when sent again, or still answered
    /// 429 or 503 after its retries: by default such trouble has its own table and does not
    /// set the exit code.
    #[arg(long)]
    pub strict_transport: bool,
}

/// `json=PATH`: the fuzzer writes one format.
fn json_report(s: &str) -> Result<PathBuf, String> {
    match s.split_once('=') {
        Some(("json", path)) if !path.is_empty() => Ok(PathBuf::from(path)),
        _ => Err(format!("`{s}`: the fuzzer writes json=PATH")),
    }
}

/// `60s`, `5m`, `1h` or a number of seconds.
fn duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let (number, unit) = match s.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a duration such as 60s or 5m"))?;
    let scale = match unit {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("`{unit}` is not a unit: use s, m or h")),
    };
    std::time::Duration::try_from_secs_f64(n * scale)
        .map_err(|_| format!("`{s}` is not a duration such as 60s or 5m"))
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub conn: TargetArgs,
}

/// One `--fill`: the endpoint, the member to add and its value.
#[derive(Debug, Clone)]
pub struct FillArg {
    pub endpoint: String,
    pub member: String,
    pub value: serde_json::Value,
}

fn parse_fill(s: &str) -> Result<FillArg, String> {
    let (attr, template) = s
        .split_once('=')
        .ok_or("give ATTR=TEMPLATE, e.g. --fill 'nickName={{unique}}'")?;
    let (endpoint, attr) = match attr.strip_prefix('/').and_then(|a| a.split_once(':')) {
        Some((ep, a)) => (format!("/{ep}"), a),
        None => ("/Users".to_string(), attr),
    };
    if attr.split(['.', ':']).any(str::is_empty) {
        return Err(format!("`{attr}` is not an attribute name"));
    }
    let leaf = serde_json::from_str(template)
        .unwrap_or_else(|_| serde_json::Value::String(template.into()));
    // `urn:…:User:costCenter=x` fills the extension's object; `name.middleName=x` nests.
    let (member, value) = match attr.rsplit_once(':') {
        Some((urn, a)) => (urn.to_string(), serde_json::json!({ a: leaf })),
        None => {
            let mut names = attr.split('.');
            let member = names.next().unwrap_or(attr).to_string();
            let rest: Vec<&str> = names.collect();
            let value = rest
                .iter()
                .rev()
                .fold(leaf, |v, n| serde_json::json!({ *n: v }));
            (member, value)
        }
    };
    Ok(FillArg {
        endpoint,
        member,
        value,
    })
}
