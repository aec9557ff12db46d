//! Helpers for tests that drive the built `scimitar` binary.
#![allow(dead_code)] // each test file uses its own subset

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

pub mod fault_proxy;
pub mod hostile;
pub mod tls;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary, run from the repository root so the default suites and fixtures are found.
pub fn scimitar() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scimitar"));
    c.current_dir(root()).env_remove("SCIM_TOKEN");
    c
}

pub fn run(args: &[&str]) -> Output {
    scimitar().args(args).output().expect("scimitar runs")
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A `scimitar serve` child on an ephemeral port, killed when dropped.
pub struct Served {
    pub child: Child,
    pub base_url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn serve(token: &str, extra: &[&str]) -> Served {
    let mut child = scimitar()
        .args(["serve", "--port", "0"])
        .args(extra)
        .env("SCIM_TOKEN", token)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("serve prints its address");
    let base_url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("a `listening on URL` line")
        .to_string();
    Served { child, base_url }
}

/// A fresh temporary directory under target/, unique to the test, removed when dropped
/// unless the test is failing (its files are then left for a look).
pub fn temp_dir(name: &str) -> TempDir {
    let dir = root()
        .join("target")
        .join("test-tmp")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    TempDir(dir)
}

/// See [`temp_dir`]: the action tests alone leave a 265 MB install each, run after run.
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Runs the suites against the bundled server with defects on; returns the JSON report.
/// A run of the bundled server with `defects` on, and `extra` arguments.
pub fn run_with_defects(
    defects: &[&str],
    extra: &[&str],
    dir: &std::path::Path,
) -> (Output, Value) {
    let report = dir.join("report.json");
    let mut args = vec![
        "run".to_string(),
        "--report".into(),
        format!("json={}", report.display()),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    for d in defects {
        args.push("--defect".into());
        args.push(d.to_string());
    }
    let out = scimitar().args(&args).output().expect("scimitar runs");
    let json = serde_json::from_str(&std::fs::read_to_string(&report).expect("report written"))
        .expect("report is JSON");
    (out, json)
}

/// The report, as JSON, of a run of the RFC suites against a bundled server of its own with
/// `switch` on (none: `""`), in this process: many side by side cost no process each.
pub fn run_switched(switch: &str) -> Value {
    use clap::ValueEnum;
    use scimitar::server::defect::Defect;
    let rfc = scimitar::profile::Profile::find("rfc").expect("the rfc profile");
    let defects = match switch {
        "" => vec![],
        name => vec![Defect::from_str(name, false).expect("a defect switch")],
    };
    let opts = scimitar::run::RunOptions {
        target: None,
        auth: scimitar::client::Auth::None,
        suites: vec!["suites/rfc*/*.yaml".into()],
        replay: None,
        tags: vec![],
        reports: vec![],
        snapshots: None,
        baseline: None,
        defects,
        emulate: rfc.clone(),
        profile: rfc,
        fixtures: None,
        partition: None,
        read_only: false,
        timeout: std::time::Duration::from_secs(30),
        run_timeout: None,
        policy: scimitar::client::http::Policy::default(),
        network: scimitar::client::Network::default(),
        ledger: None,
        // Its runner's lines would interleave with the other runs' on this process's stdout.
        libtest: vec!["--quiet".into(), "--logfile".into(), "/dev/null".into()],
    };
    let report = scimitar::run::report(opts).expect("the run");
    serde_json::to_value(report).expect("a report is JSON")
}

/// Runs `each` on every item, a few at once: each run mostly waits on its own server.
pub fn in_parallel<T: Sync, R: Send>(items: &[T], each: impl Fn(&T) -> R + Sync) -> Vec<R> {
    const AT_ONCE: usize = 4;
    let queue = std::sync::Mutex::new(items.iter().enumerate());
    let done = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..AT_ONCE {
            s.spawn(|| {
                loop {
                    let Some((i, item)) = queue.lock().unwrap().next() else {
                        break;
                    };
                    let r = each(item);
                    done.lock().unwrap().push((i, r));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap();
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Names of every case a JSON report lists.
pub fn names(report: &Value) -> Vec<String> {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| c["name"].as_str().expect("name").to_string())
        .collect()
}

/// Runs scimitar with `args` and a JSON report in a fresh directory named after `name`;
/// returns the output and the report.
pub fn with_report(args: &[&str], name: &str) -> (Output, Value) {
    let dir = temp_dir(name);
    let report = dir.join("report.json");
    let out = scimitar()
        .args(args)
        .arg("--report")
        .arg(format!("json={}", report.display()))
        .output()
        .expect("scimitar runs");
    let json = serde_json::from_str(&std::fs::read_to_string(&report).expect("report written"))
        .expect("report is JSON");
    (out, json)
}

/// Names of the cases a JSON report lists with `status`.
pub fn with_status(report: &Value, status: &str) -> Vec<String> {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["status"] == status)
        .map(|c| c["name"].as_str().expect("name").to_string())
        .collect()
}

/// Names of the MUST cases that failed.
pub fn failed(report: &Value) -> Vec<String> {
    with_status(report, "failed")
}

/// Names of the SHOULD and MAY cases that failed.
pub fn warned(report: &Value) -> Vec<String> {
    with_status(report, "warning")
}

/// The reason of each skipped case (its message without `skipped: `), by name.
pub fn skips(report: &Value) -> Vec<(String, String)> {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["status"] == "skipped")
        .map(|c| {
            let why = c["message"].as_str().unwrap_or_default();
            let why = why.trim_start_matches("skipped: ").trim().to_string();
            (c["name"].as_str().expect("name").to_string(), why)
        })
        .collect()
}

/// The case of a JSON report with this full name.
pub fn case<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name} in the report"))
}
