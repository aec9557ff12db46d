//! The binary carries its suites and fixtures: it runs from a folder that has none, files on
//! disk add to or replace the built-in ones, and `suites export` writes them out.

use crate::common;
use common::*;

use std::path::Path;
use std::process::{Command, Output};

/// The binary run from `dir`, which is not the repository root.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scimitar"))
        .current_dir(dir)
        .env_remove("SCIM_TOKEN")
        .args(args)
        .output()
        .expect("scimitar runs")
}

/// The number in `N passed;` of a libtest summary line.
fn passed(t: &str) -> usize {
    let line = t
        .lines()
        .find(|l| l.starts_with("test result: "))
        .unwrap_or_else(|| panic!("no summary line: {t}"));
    let (before, _) = line.split_once(" passed;").expect("a passed count");
    before.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn every_case_passes_from_a_folder_without_suites_or_fixtures() {
    let dir = temp_dir("anywhere-run");
    assert!(!dir.join("suites").exists() && !dir.join("fixtures").exists());
    let out = run_in(&dir, &["run"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    // The one case skipped asks for cursor paging by default, which the bundled server
    // does not choose (it pages by index unless asked).
    assert!(t.contains(" 0 failed; 1 ignored;"), "{t}");
    assert!(
        t.contains("cursor::default_method_cursor_is_used")
            && t.contains("ignored (the target's ServiceProviderConfig has /pagination/"),
        "{t}"
    );
    let from_root = run(&["list"]);
    assert_eq!(
        passed(&t) + 1,
        String::from_utf8_lossy(&from_root.stdout).lines().count(),
        "the same cases as from the repository root"
    );

    let out = run_in(&dir, &["entra"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains(" 0 failed;"), "{t}");
}

#[test]
fn built_in_paths_name_the_built_in_files() {
    let dir = temp_dir("anywhere-paths");
    // A mapping, a profile file and a suite by the path they have in the repository.
    let out = run_in(
        &dir,
        &[
            "entra",
            "--mapping",
            "fixtures/entra/new-relic-by-organization.yaml",
        ],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("new-relic-by-organization::"),
        "the mapping's cases ran: {t}"
    );
    let out = run_in(
        &dir,
        &[
            "run",
            "--emulate",
            "fixtures/profiles/newrelic.yaml",
            "--profile",
            "fixtures/profiles/newrelic.yaml",
            "--suite",
            "./suites/rfc7644/users.yaml",
        ],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("newrelic::"),
        "the profile's own suite (a glob in the built-in profile) ran: {t}"
    );
    let out = run_in(&dir, &["run", "--suite", "suites/nosuch/*.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("no suite file matches `suites/nosuch/*.yaml`"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_failure_in_a_built_in_suite_points_at_its_path_and_line() {
    let dir = temp_dir("anywhere-failure");
    let out = run_in(
        &dir,
        &[
            "run",
            "--defect",
            "create-200",
            "--suite",
            "suites/rfc7644/users-create.yaml",
        ],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    let at = regex::Regex::new(r"\(suites/rfc7644/users-create\.yaml:\d+\)").unwrap();
    assert!(at.is_match(&t), "{t}");
}

#[test]
fn a_suite_on_disk_uses_the_built_in_schemas_and_adds_to_the_built_in_suites() {
    let dir = temp_dir("anywhere-own-suite");
    std::fs::create_dir_all(dir.join("mine")).unwrap();
    std::fs::write(
        dir.join("mine/own.yaml"),
        r#"name: own
cases:
  - name: service_provider_config_is_valid
    level: MUST
    requirements: [C-discovery-01]
    steps:
      - request: {method: GET, path: /ServiceProviderConfig}
        expect:
          status: 200
          schema: service-provider-config.json
"#,
    )
    .unwrap();
    let out = run_in(&dir, &["run", "--suite", "mine/*.yaml"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("own::service_provider_config_is_valid"), "{t}");
    assert_eq!(passed(&t), 1, "{t}");

    let out = run_in(
        &dir,
        &[
            "run",
            "--suite",
            "mine/*.yaml",
            "--suite",
            "suites/rfc7644/*.yaml",
        ],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("own::") && t.contains("users::get_by_id"), "{t}");

    // A schema the folder adds is known with --fixtures, and an unknown one is an error.
    let own = std::fs::read_to_string(dir.join("mine/own.yaml")).unwrap();
    std::fs::write(
        dir.join("mine/own.yaml"),
        own.replace("service-provider-config.json", "own.json"),
    )
    .unwrap();
    let out = run_in(&dir, &["list", "--suite", "mine/*.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("unknown schema `own.json`"),
        "{}",
        text(&out)
    );
    std::fs::create_dir_all(dir.join("extra/schemas")).unwrap();
    std::fs::write(dir.join("extra/schemas/own.json"), r#"{"type": "object"}"#).unwrap();
    let out = run_in(
        &dir,
        &["run", "--suite", "mine/*.yaml", "--fixtures", "extra"],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert_eq!(passed(&t), 1, "{t}");
}

#[test]
fn exported_suites_on_disk_replace_the_built_in_ones_at_their_path() {
    let dir = temp_dir("anywhere-export");
    let out = run_in(&dir, &["suites", "export", "."]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    for path in [
        "suites/rfc7644/users.yaml",
        "suites/entra/users.yaml",
        "suites/vendors/newrelic.yaml",
        "fixtures/schemas/user.json",
        "fixtures/profiles/newrelic.yaml",
        "fixtures/entra/global-relay-identity-sync.yaml",
        "fixtures/rfc-requirements.csv",
    ] {
        assert_eq!(
            std::fs::read_to_string(dir.join(path)).unwrap(),
            std::fs::read_to_string(root().join(path)).unwrap(),
            "{path}"
        );
    }
    // A second export refuses to overwrite what is there.
    let out = run_in(&dir, &["suites", "export", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("--force overwrites them"),
        "{}",
        text(&out)
    );

    // The edited copy runs in place of the built-in suite; a new file is added.
    let users = dir.join("suites/rfc7644/users.yaml");
    let text_before = std::fs::read_to_string(&users).unwrap();
    assert!(text_before.contains("- name: get_by_id\n"));
    std::fs::write(
        &users,
        text_before.replace("- name: get_by_id\n", "- name: get_by_id_edited\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("suites/rfc7644/extra.yaml"),
        "name: extra\ncases:\n  - name: me\n    level: MAY\n    requirements: [P-me-01]\n    steps:\n      - request: {method: GET, path: /Me}\n        expect: {status: [200, 401, 403, 404, 501]}\n",
    )
    .unwrap();
    let out = run_in(&dir, &["list"]);
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(listed.contains("users::get_by_id_edited "), "{listed}");
    assert!(!listed.contains("users::get_by_id "), "{listed}");
    assert!(listed.contains("extra::me "), "{listed}");
}
