//! `scimitar fuzz`: model-based stateful testing. Random sequences of creates, reads, list
//! queries, replaces, patches and deletes over users and groups go to the target and to a
//! fresh reference model (the bundled server's own semantics, in process); after every
//! request the answers are compared. A divergence is shrunk to the shortest sequence that
//! still diverges and handed back as a curl script.
//!
//! Sequences are plain proptest `Vec`s of operations whose references to resources are
//! symbolic (the N-th user created so far) and resolved when sent, so every sequence, and
//! every shrunk subsequence, is valid: proptest's own Vec shrinking (drop operations, then
//! simplify each) is the shrinker, and no preconditions are needed as they would be with
//! proptest-state-machine.

mod compare;
mod execute;
pub mod finding;
mod op;
mod script;
pub mod targets;
mod trace;
mod transport;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::capabilities::Capabilities;
use crate::check::declared::Declared;
use crate::client::http::Policy;
use crate::client::ledger::Ledger;
use crate::client::{Auth, Client};
use crate::r#gen::{FilterSpace, Vocabulary};
use crate::plan::fit::Fit;
use crate::profile::Profile;
use crate::run::{ConfigError, Verdict, connect};
use crate::server::Defect;
use compare::Divergence;
use execute::Engine;
use finding::Finding;
use op::Op;
use trace::Trace;
use transport::Transport;

/// When to stop looking.
#[derive(Debug, Clone, Copy)]
pub enum Budget {
    Cases(u64),
    Time(Duration),
}

pub struct FuzzOptions {
    pub target: Option<String>,
    pub auth: Auth,
    pub seed: Option<u64>,
    pub budget: Budget,
    /// What the model (and the bundled server) behave as.
    pub profile: Profile,
    pub defects: Vec<Defect>,
    pub timeout: Duration,
    pub policy: Policy,
    /// How the target is reached (CA certificates, client certificate, proxy).
    pub network: crate::client::Network,
    /// The ledger file of what the run creates.
    pub ledger: Option<PathBuf>,
    /// The longest sequence drawn.
    pub max_ops: usize,
    /// Where to write the reproduction script of the first divergence.
    pub repro: Option<PathBuf>,
    /// Where to write one reproduction script per distinct divergence.
    pub repro_dir: Option<PathBuf>,
    /// Stop once this many distinct divergences are found.
    pub max_findings: Option<usize>,
    /// Where to write the findings as JSON (what `baseline` reads).
    pub report: Option<PathBuf>,
    /// An earlier JSON report: the signatures it lists count, but do not fail the run.
    pub baseline: Option<PathBuf>,
    /// A send the target left unanswered fails the run, as a failing finding does.
    pub strict_transport: bool,
}

/// How long shrinking may go on after a divergence is found: dropping requests comes first
/// and is quick; what is left simplifies values, which is cosmetic.
const SHRINK_TIME: Duration = Duration::from_secs(10);
const SHRINK_TRIES: u32 = 4096;

/// Sequences run at once: each is isolated by its own prefix, and the target and the
/// model overlap their work.
const IN_FLIGHT: usize = 4;

/// Sequences drawn ahead of the one judged next: those behind a slow one (a retry waiting
/// out its backoff) run meanwhile, up to `IN_FLIGHT` at once.
const AHEAD: usize = 4 * IN_FLIGHT;

pub fn fuzz(mut opts: FuzzOptions) -> Result<Verdict, ConfigError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ConfigError(format!("cannot start the runtime: {e}")))?;
    let (base_url, auth) = connect(
        &runtime,
        opts.target.clone(),
        opts.auth,
        &opts.profile,
        &opts.defects,
    )?;
    let seed = opts.seed.unwrap_or_else(rand_seed);
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let ledger = Ledger::new(&run_id, opts.ledger.as_deref())
        .map_err(|e| ConfigError(format!("cannot open the --ledger file: {e}")))?;
    let network = std::mem::take(&mut opts.network);
    let client = Client::over(&base_url, auth, opts.timeout, network)
        .map_err(|e| ConfigError(format!("cannot build the HTTP client: {e}")))?
        .with_policy(opts.policy.clone())
        .with_ledger(Arc::new(ledger));
    // The model declares what the target declares, and the generated bodies hold no more.
    let (caps, declared) = runtime.block_on(async {
        tokio::join!(Capabilities::discover(&client), Declared::discover(&client))
    });
    // Every answer is also held to the response invariants, by the target's own types.
    let held = crate::check::invariants::Vocabulary::new(declared.as_ref().ok());
    let (mut model, fit) = match declared {
        Ok(declared) => {
            let shapes = declared.shapes();
            (
                opts.profile.declaring(&shapes),
                Some(Arc::new(Fit::new(shapes))),
            )
        }
        Err(why) => {
            eprintln!(
                "warning: cannot read the target's own schemas ({why}); the model keeps every attribute of the RFC core"
            );
            (opts.profile.clone(), None)
        }
    };
    // ... and does what the target advertises of sort and ETags.
    if let Capabilities::Advertised(spc) = &caps {
        let supported = |f: &str| spc[f]["supported"].as_bool();
        let e = &mut model.emulation;
        e.sort = supported("sort").unwrap_or(e.sort);
        e.etag = supported("etag").unwrap_or(e.etag);
        e.bulk.supported = supported("bulk").unwrap_or(e.bulk.supported);
        // Cursor paging is walked where the target advertises it (RFC 9865 §4).
        e.pagination = match spc["pagination"]["cursor"].as_bool() {
            Some(true) => crate::profile::Pagination {
                cursor: Some(crate::profile::CursorPaging {
                    timeout: spc["pagination"]["cursorTimeout"].as_u64().unwrap_or(600),
                }),
                default: match spc["pagination"]["defaultPaginationMethod"].as_str() {
                    Some("cursor") => crate::profile::PagingMethod::Cursor,
                    _ => crate::profile::PagingMethod::Index,
                },
            },
            _ => crate::profile::Pagination::default(),
        };
    }
    // Filters, PATCH paths, sorts and projections name only what the target declares.
    let vocabulary = match &fit {
        Some(fit) => {
            let fit = fit.clone();
            Vocabulary::declared(move |endpoint, path| fit.declares(endpoint, path))
        }
        None => Vocabulary::rfc(),
    };
    let strategy = op::sequence(
        &FilterSpace::new(&model.emulation.filter).within(vocabulary),
        &model.fill,
        op::Offered {
            etag: model.emulation.etag,
            bulk: model.emulation.bulk.supported,
            cursor: model.emulation.pagination.cursor.is_some(),
        },
        opts.max_ops,
    );
    let engine = Engine::new(client, model, (fit, held), run_id);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    eprintln!(
        "fuzzing {base_url} against the {} model, seed {seed}",
        opts.profile.name
    );
    let progress = progress(opts.budget);
    let started = Instant::now();
    let mut cases = 0u64;
    let mut inconclusive = 0u64;
    let engine = Arc::new(engine);
    let on_signal = engine.clone();
    runtime.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\ninterrupted: deleting what this run created");
            on_signal.stop().await;
            std::process::exit(130);
        }
    });
    let known: Vec<String> = match &opts.baseline {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError(format!("--baseline {}: {e}", path.display())))?;
            let report: finding::Report = serde_json::from_str(&text).map_err(|e| {
                ConfigError(format!(
                    "--baseline {}: not a scimitar fuzz report: {e}",
                    path.display()
                ))
            })?;
            report.findings.into_iter().map(|f| f.signature).collect()
        }
        None => Vec::new(),
    };
    let enough = |found: &[Finding]| opts.max_findings.is_some_and(|m| found.len() >= m);
    let findings = runtime.block_on(async {
        let mut findings: Vec<Finding> = Vec::new();
        // Sequences run `IN_FLIGHT` at a time, in the order drawn, `AHEAD` drawn at most, so
        // that one slowed down holds up no other. They are judged in the order they were
        // drawn, so that a seed finds the same divergences however the requests interleave.
        let lanes = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
        let mut running = std::collections::VecDeque::new();
        let mut drawn = 0u64;
        loop {
            while running.len() < AHEAD && !enough(&findings) && more(opts.budget, drawn, started) {
                let tree = strategy
                    .new_tree(&mut runner)
                    .map_err(|e| ConfigError(format!("cannot draw a sequence: {e}")))?;
                let (engine, ops, lanes) = (engine.clone(), tree.current(), lanes.clone());
                running.push_back((
                    tree,
                    tokio::spawn(async move {
                        let _lane = lanes.acquire().await.expect("never closed");
                        engine.execute(&ops).await
                    }),
                ));
                drawn += 1;
            }
            let Some((tree, handle)) = running.pop_front() else {
                break;
            };
            let trace = handle
                .await
                .map_err(|e| ConfigError(format!("a sequence panicked: {e}")))?
                .map_err(ConfigError)?;
            if enough(&findings) {
                // What is still running cleans up after itself; it is not judged.
                continue;
            }
            cases += 1;
            inconclusive += u64::from(trace.inconclusive.is_some());
            progress.set_position(match opts.budget {
                Budget::Cases(_) => cases,
                Budget::Time(_) => started.elapsed().as_secs(),
            });
            progress.set_message(format!(
                "{} requests, {} distinct divergences",
                engine.requests(),
                findings.len()
            ));
            // Known kinds are counted; the first new one is shrunk and kept.
            let mut new = None;
            for (at, d) in &trace.divergences {
                let signature = finding::signature(&trace.steps[*at], d);
                match findings.iter_mut().find(|f| f.signature == signature) {
                    Some(f) => f.hits += 1,
                    None if new.is_none() => new = Some(signature),
                    None => {}
                }
            }
            let Some(signature) = new else {
                continue;
            };
            let drawn = trace.steps.len();
            // Alone: the sequences drawn ahead run before it (the lanes are taken in turn) and
            // wait until it is done.
            let all = lanes
                .acquire_many(IN_FLIGHT as u32)
                .await
                .expect("never closed");
            let (trace, divergence, tries) =
                shrink(&engine, tree, trace, &signature, &progress).await?;
            drop(all);
            findings.push(Finding {
                judgement: finding::judge(&trace.steps, &divergence),
                known: known.contains(&signature),
                signature,
                hits: 1,
                drawn,
                trace,
                divergence,
                tries,
                script: None,
            });
        }
        Ok::<_, ConfigError>(findings)
    })?;
    progress.finish_and_clear();
    let mut findings = findings;
    let secs = started.elapsed().as_secs_f64();
    let requests = engine.requests();
    // What each sequence did not delete (the ledger's), and what carries the run's marker.
    let left = runtime.block_on(engine.sweep());
    for l in &left {
        eprintln!("could not delete (see `scimitar sweep`): {l}");
    }
    // Taken after the sweep, whose sends met the same trouble.
    let transport = Transport::new(&engine.transport(), engine.client_load(), inconclusive);
    let left = format!(
        "left on the target: {} {}",
        left.len(),
        if left.len() == 1 {
            "resource"
        } else {
            "resources"
        }
    );
    let mut summary = format!(
        "{cases} sequences, {requests} requests in {secs:.1} s ({:.0} requests/s)",
        requests as f64 / secs.max(1e-9)
    );
    if inconclusive > 0 {
        summary.push_str(&format!(", {inconclusive} inconclusive"));
    }
    // Transport trouble fails the run only when asked to.
    let transport_fails = opts.strict_transport && transport.troubled();
    let counts = (seed, cases, requests);
    if findings.is_empty() {
        print!("{}", transport.table());
        println!(
            "{summary}: no divergence from the {} model",
            opts.profile.name
        );
        println!("{left}");
        write_report(opts.report.as_deref(), counts, &findings, transport)?;
        return Ok(if transport_fails {
            Verdict::Failed
        } else {
            Verdict::Passed
        });
    }
    let scripts: Vec<String> = findings
        .iter()
        .map(|f| {
            script::script(
                &f.trace.steps,
                &f.divergence.detail,
                seed,
                engine.base_url(),
            )
        })
        .collect();
    let written = |path: &std::path::Path, text: &str| {
        std::fs::write(path, text)
            .map_err(|e| ConfigError(format!("cannot write {}: {e}", path.display())))
    };
    if let Some(dir) = &opts.repro_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| ConfigError(format!("cannot create {}: {e}", dir.display())))?;
        for (i, (f, text)) in findings.iter_mut().zip(&scripts).enumerate() {
            let path = dir.join(format!("finding-{}.sh", i + 1));
            written(&path, text)?;
            f.script = Some(path);
        }
    }
    if let Some(path) = &opts.repro {
        written(path, &scripts[0])?;
    }
    print!("{}", finding::table(&findings));
    if opts.repro_dir.is_none() {
        for (i, text) in scripts.iter().enumerate() {
            println!("\nreproduction of {}:\n\n{text}", i + 1);
        }
    }
    print!("{}", transport.table());
    write_report(opts.report.as_deref(), counts, &findings, transport)?;
    let failing = findings.iter().filter(|f| f.fails()).count();
    println!(
        "\n{summary}; {} distinct {}, {failing} failing (replay with --seed {seed})",
        findings.len(),
        if findings.len() == 1 {
            "divergence"
        } else {
            "divergences"
        }
    );
    println!("{left}");
    Ok(if failing > 0 || transport_fails {
        Verdict::Failed
    } else {
        Verdict::Passed
    })
}

/// Writes the JSON report of a run: its seed, sequences and requests, its findings and its
/// transport trouble.
fn write_report(
    path: Option<&std::path::Path>,
    counts: (u64, u64, u64),
    findings: &[Finding],
    transport: Transport,
) -> Result<(), ConfigError> {
    let Some(path) = path else {
        return Ok(());
    };
    let report = finding::Report::new(counts, findings, transport);
    let text = serde_json::to_string_pretty(&report).expect("a report serialises");
    std::fs::write(path, text)
        .map_err(|e| ConfigError(format!("cannot write {}: {e}", path.display())))
}

fn rand_seed() -> u64 {
    u64::from_le_bytes(
        uuid::Uuid::new_v4().as_bytes()[..8]
            .try_into()
            .expect("8 bytes"),
    )
}

/// Whether another sequence is drawn, `drawn` being drawn already.
fn more(budget: Budget, drawn: u64, started: Instant) -> bool {
    match budget {
        Budget::Cases(n) => drawn < n,
        Budget::Time(t) => started.elapsed() < t,
    }
}

fn progress(budget: Budget) -> ProgressBar {
    let (len, unit) = match budget {
        Budget::Cases(n) => (n, "sequences"),
        Budget::Time(t) => (t.as_secs().max(1), "s"),
    };
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {unit} · {{msg}} · {{per_sec}}"
        ))
        .expect("a valid template"),
    );
    bar
}

/// Shrinks a diverging sequence the way proptest's runner does: simplify while it still
/// diverges the same way (`signature`), step back (complicate) when it stops or diverges
/// otherwise, so that shrinking never turns one finding into another. The result ends at
/// the request that diverged.
async fn shrink(
    engine: &Engine,
    mut tree: impl ValueTree<Value = Vec<Op>>,
    first: Trace,
    signature: &str,
    progress: &ProgressBar,
) -> Result<(Trace, Divergence, u32), ConfigError> {
    let started = Instant::now();
    let mut steps = 0;
    let shows = |step: &trace::Step, d: &Divergence| finding::signature(step, d) == signature;
    let mut best = first
        .until(shows)
        .expect("the trace shows the signature it is shrunk for");
    progress.set_message("shrinking");
    if !tree.simplify() {
        return Ok((best.0, best.1, steps));
    }
    while started.elapsed() < SHRINK_TIME && steps < SHRINK_TRIES {
        steps += 1;
        let trace = engine.execute(&tree.current()).await.map_err(ConfigError)?;
        progress.set_message(format!(
            "shrinking: {} requests after {steps} tries",
            best.0.steps.len()
        ));
        let moved = match trace.until(shows) {
            Some(cut) => {
                if cut.0.steps.len() <= best.0.steps.len() {
                    best = cut;
                }
                tree.simplify()
            }
            None => tree.complicate(),
        };
        if !moved {
            break;
        }
    }
    Ok((best.0, best.1, steps))
}
