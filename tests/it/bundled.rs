//! The README's run command against the bundled server, and a separately served target.

use crate::common;
use common::*;

#[test]
fn every_case_passes_against_the_bundled_server() {
    let out = run(&["run"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("test result: ok."), "{t}");
    assert!(t.contains(" 0 failed;"), "{t}");
    assert!(t.contains("finished in "), "{t}");
    assert!(
        t.contains("test [MUST]   users::get_by_id"),
        "libtest-style lines with the level: {t}"
    );
}

#[test]
fn runs_against_a_separately_served_target_with_the_token_from_the_environment() {
    let token = "tok-separate-7f3a";
    let server = serve(token, &[]);
    let out = scimitar()
        .args(["run", "--target", &server.base_url])
        .env("SCIM_TOKEN", token)
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains(" 0 failed;"), "{t}");
    assert!(!t.contains(token), "the token was printed: {t}");

    // A wrong token fails the run (every authenticated step gets 401).
    let out = scimitar()
        .args(["run", "--target", &server.base_url])
        .env("SCIM_TOKEN", "wrong")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn token_file_is_read_and_missing_file_is_a_usage_error() {
    let token = "tok-file-91c2";
    let server = serve(token, &[]);
    let dir = temp_dir("token-file");
    let file = dir.join("token");
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let out = run(&[
        "run",
        "--target",
        &server.base_url,
        "--token-file",
        file.to_str().unwrap(),
        "--",
        "discovery::",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = run(&[
        "run",
        "--target",
        &server.base_url,
        "--token-file",
        "/nonexistent/token",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn libtest_arguments_list_filter_and_skip() {
    let out = run(&["run", "--", "--list"]);
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(
        t.contains("users::get_by_id: MUST") || t.contains("users::get_by_id: test"),
        "{t}"
    );
    let out = run(&["run", "--", "users::get_by_id", "--exact"]);
    assert!(
        text(&out).contains("1 passed; 0 failed; 0 ignored; 0 measured;"),
        "{}",
        text(&out)
    );
    let out = run(&["run", "--", "discovery::", "--skip", "schema"]);
    let t = text(&out);
    assert!(t.contains("discovery::service_provider_config"), "{t}");
    assert!(!t.contains("discovery::schema_by_urn"), "{t}");
}

#[test]
fn unknown_target_is_inconclusive_not_a_crash() {
    // A port nothing listens on: no case gets an answer, even alone, so each is inconclusive
    // (exit 3), with a clear transport message.
    let out = run(&[
        "run",
        "--target",
        "http://127.0.0.1:9/scim/v2",
        "--timeout",
        "2",
        "--",
        "discovery::service_provider_config",
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(t.contains("no response:"), "{t}");
    assert!(t.contains("ignored (inconclusive: no answer)"), "{t}");
}

#[test]
fn bad_arguments_exit_2() {
    assert_eq!(run(&["run", "--report", "yaml=x"]).status.code(), Some(2));
    assert_eq!(
        run(&["run", "--target", "not a url"]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&["run", "--suite", "suites/none/*.yaml"]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&[
            "run",
            "--target",
            "http://127.0.0.1:9",
            "--defect",
            "create-200"
        ])
        .status
        .code(),
        Some(2)
    );
}
