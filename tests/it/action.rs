//! The GitHub Action (`action.yml`), its shell steps run with bash as the runner runs them.
//!
//! How the inputs get in: a composite action's steps see no `INPUT_*` variables of their own;
//! the runner substitutes `${{ … }}` expressions in each step's `env:`, `with:`, `if:` and
//! `name:` before it runs it. The action's scripts read the inputs only from the `env:` their
//! step maps them to, so this test does what the runner does: it substitutes the expressions
//! (inputs with their defaults, earlier steps' outputs, `runner.*`), evaluates `if:`, and runs
//! each `run:` script with `bash --noprofile --norc -eo pipefail`, the runner's bash. The two
//! steps that use other actions are stood in for: `actions/cache` as a cache hit holding the
//! binary under test (so the install step is skipped, as with a warm cache; `.ci/run`
//! installs with `cargo install --path` itself), and `actions/upload-artifact` by checking the
//! path it would upload. No `--target`: the action runs against the bundled server.

use crate::common;
use common::*;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// What a run of the action did.
struct Ran {
    /// Each step's id (or name), and whether it ran and passed (None: skipped).
    steps: Vec<(String, Option<bool>)>,
    outputs: HashMap<String, HashMap<String, String>>,
    /// Everything the steps wrote to the job summary.
    summary: String,
    /// The artifact upload-artifact was given: its name and path.
    artifact: Option<(String, PathBuf)>,
    /// stdout and stderr of every step.
    log: String,
    /// RUNNER_TEMP, which holds the artifact: removed only with the run.
    _runner_temp: TempDir,
}

impl Ran {
    fn step(&self, id: &str) -> Option<bool> {
        self.steps
            .iter()
            .find(|(s, _)| s == id)
            .unwrap_or_else(|| panic!("no step {id}"))
            .1
    }
}

struct Context<'a> {
    inputs: HashMap<String, String>,
    outputs: &'a HashMap<String, HashMap<String, String>>,
    runner_temp: &'a Path,
}

impl Context<'_> {
    /// The value of one expression: a context value, a string literal, or a comparison.
    fn eval(&self, expr: &str) -> String {
        let expr = expr.trim();
        for op in ["!=", "=="] {
            if let Some((a, b)) = expr.split_once(op) {
                let equal = self.eval(a) == self.eval(b);
                return ((op == "==") == equal).to_string();
            }
        }
        if let Some(lit) = expr.strip_prefix('\'').and_then(|e| e.strip_suffix('\'')) {
            return lit.to_string();
        }
        if let Some(name) = expr.strip_prefix("inputs.") {
            return self.inputs.get(name).cloned().unwrap_or_default();
        }
        if let Some(rest) = expr.strip_prefix("steps.") {
            let (id, key) = rest.split_once(".outputs.").expect("steps.ID.outputs.KEY");
            return self
                .outputs
                .get(id)
                .and_then(|o| o.get(key))
                .cloned()
                .unwrap_or_default();
        }
        match expr {
            "runner.temp" => self.runner_temp.display().to_string(),
            "runner.os" => "Linux".into(),
            "github.action_path" => root().display().to_string(),
            _ => panic!("the test runner does not know the expression `{expr}`"),
        }
    }

    /// A string with every `${{ … }}` replaced by its value.
    fn substitute(&self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("a closed expression") + start;
            out.push_str(&self.eval(&rest[start + 3..end]));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// Whether a step runs: its `if:` (bare or in `${{ }}`), after `failed` earlier steps.
    fn runs(&self, condition: Option<&str>, failed: bool) -> bool {
        let Some(c) = condition else {
            return !failed;
        };
        let c = c.trim();
        let c = c
            .strip_prefix("${{")
            .and_then(|c| c.strip_suffix("}}"))
            .unwrap_or(c)
            .trim();
        match c {
            "always()" => true,
            "success()" => !failed,
            "failure()" => failed,
            _ => !failed && self.eval(c) == "true",
        }
    }
}

/// Runs the action with `with` as the workflow's `with:`, from the workspace `workspace`.
fn run_action(with: &[(&str, &str)], workspace: &Path, name: &str) -> Ran {
    let action: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(root().join("action.yml")).unwrap())
            .expect("action.yml is YAML");
    assert_eq!(action["runs"]["using"], "composite");
    let mut inputs: HashMap<String, String> = action["inputs"]
        .as_object()
        .expect("inputs")
        .iter()
        .map(|(k, v)| (k.clone(), v["default"].as_str().unwrap_or("").to_string()))
        .collect();
    for (k, v) in with {
        assert!(inputs.contains_key(*k), "action.yml has no input `{k}`");
        inputs.insert(k.to_string(), v.to_string());
    }
    let temp = temp_dir(&format!("action-runner-{name}"));
    let runner_temp = temp.to_path_buf();
    let summary = runner_temp.join("step-summary.md");
    let mut ran = Ran {
        steps: vec![],
        outputs: HashMap::new(),
        summary: String::new(),
        artifact: None,
        log: String::new(),
        _runner_temp: temp,
    };
    let mut failed = false;
    for (i, step) in action["runs"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .enumerate()
    {
        let id = step["id"]
            .as_str()
            .or(step["name"].as_str())
            .map_or(format!("step-{i}"), str::to_string);
        let ctx = Context {
            inputs: inputs.clone(),
            outputs: &ran.outputs,
            runner_temp: &runner_temp,
        };
        if !ctx.runs(step["if"].as_str(), failed) {
            ran.steps.push((id, None));
            continue;
        }
        let with: HashMap<String, String> = step["with"]
            .as_object()
            .map(|w| {
                w.iter()
                    .map(|(k, v)| (k.clone(), ctx.substitute(v.as_str().expect("a string"))))
                    .collect()
            })
            .unwrap_or_default();
        let mut outputs = HashMap::new();
        let passed = if let Some(uses) = step["uses"].as_str() {
            match uses.split('@').next().unwrap() {
                "actions/cache" => {
                    // A cache hit: the key's binary is there.
                    let bin = Path::new(&with["path"]).join("bin");
                    std::fs::create_dir_all(&bin).unwrap();
                    std::fs::copy(env!("CARGO_BIN_EXE_scimitar"), bin.join("scimitar")).unwrap();
                    assert!(with["key"].starts_with("scimitar-Linux-"), "{:?}", with);
                    outputs.insert("cache-hit".to_string(), "true".to_string());
                }
                "actions/upload-artifact" => {
                    ran.artifact = Some((with["name"].clone(), PathBuf::from(&with["path"])));
                }
                other => panic!("the test runner does not stand in for {other}"),
            }
            true
        } else {
            let script = runner_temp.join(format!("step-{i}.sh"));
            std::fs::write(&script, step["run"].as_str().expect("a run script")).unwrap();
            assert_eq!(step["shell"], "bash", "{id} runs in bash");
            let output_file = runner_temp.join(format!("output-{i}"));
            std::fs::write(&output_file, "").unwrap();
            let mut cmd = Command::new("bash");
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&script)
                .current_dir(workspace)
                .env_remove("SCIM_TOKEN")
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_ACTION_PATH", root())
                .env("GITHUB_WORKSPACE", workspace)
                .env("GITHUB_OUTPUT", &output_file)
                .env("GITHUB_STEP_SUMMARY", &summary)
                .env("RUNNER_TEMP", &runner_temp)
                .env("RUNNER_OS", "Linux");
            if let Some(env) = step["env"].as_object() {
                for (k, v) in env {
                    cmd.env(k, ctx.substitute(v.as_str().expect("a string")));
                }
            }
            let out = cmd.output().expect("bash runs");
            ran.log.push_str(&format!("--- {id}\n{}", text(&out)));
            for line in std::fs::read_to_string(&output_file).unwrap().lines() {
                let (k, v) = line.split_once('=').expect("key=value outputs");
                outputs.insert(k.to_string(), v.to_string());
            }
            out.status.success()
        };
        failed |= !passed;
        ran.outputs.insert(id.clone(), outputs);
        ran.steps.push((id, Some(passed)));
    }
    ran.summary = std::fs::read_to_string(&summary).unwrap_or_default();
    ran
}

fn json_report(ran: &Ran) -> Value {
    let dir = &ran.artifact.as_ref().expect("an artifact").1;
    serde_json::from_str(&std::fs::read_to_string(dir.join("scimitar.json")).unwrap()).unwrap()
}

#[test]
fn with_its_defaults_the_action_passes_against_the_bundled_server() {
    let workspace = temp_dir("action-ws-defaults");
    let ran = run_action(&[], &workspace, "defaults");
    assert_eq!(ran.step("prepare"), Some(true), "{}", ran.log);
    assert_eq!(ran.step("cache"), Some(true));
    assert_eq!(
        ran.step("Install scimitar ${{ steps.prepare.outputs.version }}"),
        None,
        "a cache hit skips the install"
    );
    assert_eq!(ran.step("run"), Some(true), "{}", ran.log);
    assert_eq!(ran.outputs["run"]["exit-code"], "0");
    assert_eq!(
        ran.outputs["prepare"]["version"],
        env!("CARGO_PKG_VERSION"),
        "the cache key carries the version"
    );
    assert!(ran.log.contains("test result: ok."), "{}", ran.log);

    let (name, dir) = ran.artifact.clone().expect("the reports are uploaded");
    assert_eq!(name, "scimitar");
    let report = json_report(&ran);
    assert_eq!(report["failed"], 0, "{report}");
    assert!(report["passed"].as_u64().unwrap() > 100, "{report}");
    let junit = std::fs::read_to_string(dir.join("scimitar.xml")).unwrap();
    let doc = roxmltree::Document::parse(&junit).unwrap();
    let testcases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(testcases, names(&report).len());

    // scimitar's own job summary, under GITHUB_ACTIONS=true.
    assert!(
        ran.summary.contains("## scimitar: http://127.0.0.1:"),
        "{}",
        ran.summary
    );
    assert!(
        ran.summary.contains("| passed | failed |"),
        "{}",
        ran.summary
    );
}

#[test]
fn every_input_reaches_scimitar() {
    let workspace = temp_dir("action-ws-inputs");
    let ran = run_action(
        &[
            (
                "suites",
                "suites/rfc7644/users.yaml\nsuites/rfc7644/disc*.yaml",
            ),
            ("profile", "newrelic"),
            ("partition", "count:1/2"),
            (
                "args",
                "--emulate newrelic -- --skip 'users::get_unknown_id_is_404_with_error_body'",
            ),
        ],
        &workspace,
        "inputs",
    );
    assert_eq!(ran.step("run"), Some(true), "{}", ran.log);
    let report = json_report(&ran);
    let cases = names(&report);
    assert_eq!(report["profile"], "newrelic");
    assert!(
        cases.iter().all(|c| c.starts_with("users::")
            || c.starts_with("discovery::")
            || c.starts_with("newrelic::")),
        "{cases:?}"
    );
    assert!(
        cases.iter().any(|c| c.starts_with("discovery::")),
        "{cases:?}"
    );
    assert!(
        !cases.contains(&"users::get_unknown_id_is_404_with_error_body".to_string()),
        "the quoted libtest argument got through: {cases:?}"
    );
    let listed = run(&[
        "list",
        "--suite",
        "suites/rfc7644/users.yaml",
        "--suite",
        "suites/rfc7644/disc*.yaml",
    ]);
    let all = String::from_utf8_lossy(&listed.stdout).lines().count();
    assert!(cases.len() < all, "one share of {all} cases: {cases:?}");
    assert_eq!(ran.artifact.unwrap().0, "scimitar-count-1-2");
}

#[test]
fn snapshots_are_checked_against_the_workspace() {
    // No approved snapshots in the workspace: the check fails.
    let empty = temp_dir("action-ws-no-snapshots");
    let ran = run_action(&[("snapshots", "check")], &empty, "no-snapshots");
    assert_eq!(ran.step("run"), Some(false), "{}", ran.log);
    assert!(
        ran.log.contains("has no approved version yet"),
        "{}",
        ran.log
    );
    // The bundled server's approved snapshots, in the workspace as in a user's repository.
    let workspace = temp_dir("action-ws-snapshots");
    let snaps = workspace.join("snapshots/bundled");
    std::fs::create_dir_all(&snaps).unwrap();
    for f in std::fs::read_dir(root().join("snapshots/bundled")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, snaps.join(f.file_name().unwrap())).unwrap();
    }
    let ran = run_action(&[("snapshots", "check")], &workspace, "snapshots");
    assert_eq!(ran.step("run"), Some(true), "{}", ran.log);
}

#[test]
fn a_failure_fails_the_step_and_the_reports_are_still_uploaded() {
    let workspace = temp_dir("action-ws-failure");
    let first = run_action(&[], &workspace, "baseline");
    let baseline = first.artifact.unwrap().1.join("scimitar.json");
    let kept = workspace.join("baseline.json");
    std::fs::copy(&baseline, &kept).unwrap();

    let ran = run_action(&[("args", "--defect create-200")], &workspace, "failure");
    assert_eq!(ran.step("run"), Some(false), "{}", ran.log);
    assert_eq!(ran.outputs["run"]["exit-code"], "1");
    assert!(ran.artifact.is_some(), "upload-artifact runs always()");
    assert!(json_report(&ran)["failed"].as_u64().unwrap() > 0);
    assert!(ran.summary.contains("| case | level |"), "{}", ran.summary);

    // Against the baseline the same failures are regressions.
    let ran = run_action(
        &[
            ("baseline", &kept.display().to_string()),
            ("args", "--defect create-200"),
        ],
        &workspace,
        "regression",
    );
    assert_eq!(ran.step("run"), Some(false), "{}", ran.log);
    assert!(ran.log.contains("regressed:"), "{}", ran.log);

    // A configuration error says so in the summary, as scimitar ran no case.
    let ran = run_action(&[("args", "--no-such-option")], &workspace, "usage");
    assert_eq!(ran.outputs["run"]["exit-code"], "2", "{}", ran.log);
    assert!(
        ran.summary.contains("usage or configuration error"),
        "{}",
        ran.summary
    );
}
