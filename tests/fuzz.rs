//! `scimitar fuzz` against the bundled server: no divergence from a correct server over
//! 10,000 requests, and defects found, shrunk, and reproduced by the curl script printed.

mod common;

use std::process::Command;

use common::{scimitar, serve, temp_dir, text};

/// The number in `… N requests in …` of the summary line.
fn requests(out: &str) -> u64 {
    out.lines()
        .find_map(|l| {
            let (_, rest) = l.split_once(" sequences, ")?;
            rest.split_once(" requests in ")?.0.parse().ok()
        })
        .unwrap_or_else(|| panic!("no summary line in:\n{out}"))
}

#[test]
fn ten_thousand_requests_against_the_bundled_server_do_not_diverge() {
    let out = scimitar()
        .args(["fuzz", "--seed", "7", "--cases", "900"])
        .output()
        .expect("runs");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("no divergence from the rfc model"), "{t}");
    assert!(requests(&t) >= 10_000, "{t}");
}

/// Fuzzes the bundled server with `defect` on; returns the output and the script path.
fn found(defect: &str) -> (String, std::path::PathBuf) {
    let dir = temp_dir(&format!("fuzz-{defect}"));
    let repro = dir.join("repro.sh");
    let out = scimitar()
        .args([
            "fuzz", "--seed", "1", "--time", "60s", "--defect", defect, "--repro",
        ])
        .arg(&repro)
        .output()
        .expect("runs");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{defect} was not found:\n{t}");
    let shrunk: usize = t
        .split_once("shrunk from ")
        .and_then(|(_, r)| r.split_once(" to "))
        .and_then(|(_, r)| r.split_once(" requests")?.0.parse().ok())
        .unwrap_or_else(|| panic!("no shrink line:\n{t}"));
    assert!(shrunk <= 5, "{defect}: {shrunk} requests\n{t}");
    (t, repro)
}

macro_rules! found {
    ($($name:ident: $defect:literal,)*) => {$(
        #[test]
        fn $name() {
            found($defect);
        }
    )*};
}

found! {
    finds_create_200: "create-200",
    finds_no_location_header: "no-location-header",
    finds_meta_location_wrong: "meta-location-wrong",
    finds_client_id_accepted: "client-id-accepted",
    finds_json_content_type: "json-content-type",
    finds_co_as_eq: "co-as-eq",
    finds_filter_case_sensitive: "filter-case-sensitive",
    finds_sort_ignored: "sort-ignored",
    finds_count_ignored: "count-ignored",
    finds_excluded_attributes_ignored: "excluded-attributes-ignored",
    finds_password_returned: "password-returned",
    finds_user_groups_missing: "user-groups-missing",
    finds_put_keeps_omitted: "put-keeps-omitted",
    finds_patch_remove_ignored: "patch-remove-ignored",
    finds_etag_unchanged: "etag-unchanged",
}

/// The status of the last response `sh script` prints (curl -i).
fn replay(script: &std::path::Path, base_url: &str, token: &str) -> u16 {
    let out = Command::new("sh")
        .arg(script)
        .env("SCIM_BASE_URL", base_url)
        .env("SCIM_TOKEN", token)
        .output()
        .expect("sh runs");
    let t = text(&out);
    assert!(out.status.success(), "the script failed:\n{t}");
    t.lines()
        .rev()
        .find_map(|l| l.strip_prefix("HTTP/1.1 "))
        .and_then(|s| s.get(..3)?.parse().ok())
        .unwrap_or_else(|| panic!("no final response in:\n{t}"))
}

/// The reference's and the target's status at the last request, from its comment.
fn statuses(script: &str) -> (u16, u16) {
    let last = script
        .lines()
        .rev()
        .find(|l| l.contains("(reference: "))
        .expect("a step comment");
    let num = |key: &str| -> u16 {
        last.split_once(key).expect(key).1[..3]
            .parse()
            .expect("a status")
    };
    (num("reference: "), num("target: "))
}

/// The printed script reproduces the divergence against a fresh server with the defect,
/// and shows the reference's answer against a correct one.
fn reproduces(defect: &str) {
    let (_, path) = found(defect);
    let script = std::fs::read_to_string(&path).expect("script written");
    assert!(
        script.contains("$SCIM_TOKEN") && !script.contains("Bearer ey"),
        "{script}"
    );
    let (expected, actual) = statuses(&script);
    assert_ne!(expected, actual, "{script}");
    let broken = serve("t0k3n", &["--defect", defect]);
    assert_eq!(replay(&path, &broken.base_url, "t0k3n"), actual, "{script}");
    let correct = serve("t0k3n", &[]);
    assert_eq!(
        replay(&path, &correct.base_url, "t0k3n"),
        expected,
        "{script}"
    );
}

#[test]
fn the_script_reproduces_a_duplicate_user_name() {
    reproduces("duplicate-user-name");
}

#[test]
fn the_script_reproduces_a_deleted_resource_that_stays() {
    reproduces("delete-keeps-resource");
}

#[test]
fn the_script_reproduces_a_delete_answering_200() {
    reproduces("delete-200");
}

#[test]
fn the_script_reproduces_a_500_for_a_bad_filter() {
    reproduces("bad-filter-500");
}

#[test]
fn a_seed_draws_the_same_sequences() {
    let run = || {
        let out = scimitar()
            .args(["fuzz", "--seed", "3", "--cases", "20"])
            .output()
            .expect("runs");
        requests(&text(&out))
    };
    assert_eq!(run(), run());
}

#[test]
fn a_bad_duration_is_a_usage_error() {
    let out = scimitar()
        .args(["fuzz", "--time", "soon"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("not a duration"), "{}", text(&out));
}
