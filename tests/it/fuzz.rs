//! `scimitar fuzz` against the bundled server: no divergence from a correct server over
//! 10,000 requests, and defects found, shrunk, and reproduced by the curl script printed.

use crate::common;

use std::process::Command;

use common::{TempDir, scimitar, serve, temp_dir, text};

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

/// The findings of a `fuzz --report json=` file.
fn findings(report: &std::path::Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(report).expect("report written");
    let json: serde_json::Value = serde_json::from_str(&text).expect("report is JSON");
    json["findings"].as_array().expect("findings").clone()
}

/// Fuzzes the bundled server with `defect` on until `max` findings; checks that one is the
/// defect's (its rule, and `about` in its signature: the request, and the field or status
/// it breaks), shrunk to at most 5 requests, failing exactly when the rule is a MUST.
/// Returns the output and the directory holding the first finding's script, `repro.sh`.
fn found(defect: &str, rule: &str, about: &str, must: bool) -> (String, TempDir) {
    found_among(defect, rule, about, must, 1)
}

fn found_among(defect: &str, rule: &str, about: &str, must: bool, max: u8) -> (String, TempDir) {
    let dir = temp_dir(&format!("fuzz-{defect}"));
    let repro = dir.join("repro.sh");
    let report = dir.join("fuzz.json");
    let out = scimitar()
        .args([
            "fuzz", "--seed", "1", "--time", "60s", "--defect", defect, "--repro",
        ])
        .arg(&repro)
        .arg("--max-findings")
        .arg(max.to_string())
        .arg("--report")
        .arg(format!("json={}", report.display()))
        .output()
        .expect("runs");
    let t = text(&out);
    let all = findings(&report);
    let f = all
        .iter()
        .find(|f| {
            let signature = f["signature"].as_str().unwrap();
            // `about` may be pieces joined by `…`, each in the signature.
            f["rule"] == rule && about.split('…').all(|piece| signature.contains(piece))
        })
        .unwrap_or_else(|| panic!("{defect} was not found as {rule} about {about}:\n{t}"));
    // Shrinking is bounded in time, and the tests share two cores: one request of slack.
    assert!(f["shrunk"].as_u64().unwrap() <= 6, "{defect}: {f}\n{t}");
    assert_eq!(f["fails"], must, "{defect}: {f}");
    let failing = all.iter().any(|f| f["fails"] == true);
    assert_eq!(out.status.code(), Some(if failing { 1 } else { 0 }), "{t}");
    (t, dir)
}

macro_rules! found {
    ($($name:ident: $defect:literal => $rule:literal $about:literal $must:literal,)*) => {$(
        #[test]
        fn $name() {
            found($defect, $rule, $about, $must);
        }
    )*};
}

/// A list query and a cursor walk both show these; the plain list is among the first three
/// findings.
#[test]
fn finds_filter_case_sensitive() {
    found_among(
        "filter-case-sensitive",
        "P-list-02",
        "(list) · totalResults",
        true,
        3,
    );
}

#[test]
fn finds_count_ignored() {
    found_among(
        "count-ignored",
        "P-paging-03",
        "(list) · Resources count",
        true,
        3,
    );
}

/// As with `filter-case-sensitive`, a cursor walk may show it before a plain list does.
#[test]
fn finds_co_as_eq() {
    found_among("co-as-eq", "P-list-02", "(list) · totalResults", true, 3);
}

/// A create's 200 shows inside a Bulk request first: the plain create is among the first
/// three findings.
#[test]
fn finds_create_200() {
    found_among("create-200", "P-create-01", "status 201→200", true, 3);
}

found! {
    finds_no_location_header: "no-location-header" => "P-create-03" "Location missing" true,
    finds_meta_location_wrong: "meta-location-wrong" => "P-create-04" "attribute .meta" true,
    finds_client_id_accepted: "client-id-accepted" => "P-create-06" "client id kept" true,
    finds_json_content_type: "json-content-type" => "P-media-01" "Content-Type" true,
    finds_sort_ignored: "sort-ignored" => "P-sort-02" "(list) · order" true,
    finds_excluded_attributes_ignored: "excluded-attributes-ignored" => "P-attributes-02" "GET /…· attribute ." true,
    finds_password_returned: "password-returned" => "C-user-03" "attribute .password" true,
    finds_user_groups_missing: "user-groups-missing" => "C-user-07" "attribute .groups" false,
    finds_put_keeps_omitted: "put-keeps-omitted" => "P-put-03" "PUT /Users/{id} · attribute" false,
    finds_patch_remove_ignored: "patch-remove-ignored" => "P-patch-17" "PATCH /…{id} · attribute ." true,
    finds_etag_unchanged: "etag-unchanged" => "P-etag-05" "meta.version" false,
    finds_auth_ignored: "auth-ignored" => "P-errors-05" "without credentials · status 401→" false,
    finds_if_match_ignored: "if-match-ignored" => "P-etag-03" "with If-Match · status 412→" false,
    finds_bulk_id_unresolved: "bulk-id-unresolved" => "P-bulk-03" "POST /Bulk · status" true,
    finds_understated_features: "understated-features" => "C-discovery-05" "works though not advertised" false,
    finds_next_cursor_on_last_page: "next-cursor-on-last-page" => "P-cursor-05" "(cursor walk) · cursor walk last page" false,
    finds_cursor_walk_repeats: "cursor-walk-repeats" => "P-cursor-12" "(cursor walk) · cursor walk repeat" true,
    finds_previous_cursor_on_first_page: "previous-cursor-on-first-page" => "P-cursor-06" "(cursor walk…· cursor walk first page" true,
    finds_invalid_cursor_500: "invalid-cursor-500" => "P-cursor-08" "tampered cursor) · status 400→500" false,
    // The model has no Content-Location to compare with: the response invariant finds it.
    finds_content_location_wrong: "content-location-wrong" => "C-schema-11" "invariant C-schema-11" true,
}

/// A baseline of known findings: they are counted and listed as known, and only a new kind
/// of divergence fails the run.
#[test]
fn a_baseline_keeps_known_findings_from_failing() {
    let dir = temp_dir("fuzz-baseline");
    let (before, after) = (dir.join("before.json"), dir.join("after.json"));
    let fuzz = |report: &std::path::Path, baseline: Option<&std::path::Path>| {
        let mut c = scimitar();
        c.args([
            "fuzz",
            "--seed",
            "1",
            "--cases",
            "40",
            "--defect",
            "no-location-header",
        ])
        .arg("--report")
        .arg(format!("json={}", report.display()));
        if let Some(b) = baseline {
            c.arg("--baseline").arg(b);
        }
        c.output().expect("runs")
    };
    let first = fuzz(&before, None);
    assert_eq!(first.status.code(), Some(1), "{}", text(&first));
    let second = fuzz(&after, Some(&before));
    let t = text(&second);
    assert_eq!(second.status.code(), Some(0), "{t}");
    assert!(t.contains("(known)") && t.contains("0 failing"), "{t}");
    let known: Vec<_> = findings(&after)
        .iter()
        .map(|f| f["fails"].clone())
        .collect();
    assert!(
        !known.is_empty() && known.iter().all(|f| f == false),
        "{known:?}"
    );
}

/// Two defects at once are two findings of one run, each shrunk on its own and each with a
/// script that replays it.
#[test]
fn two_defects_are_two_findings_each_with_its_script() {
    let dir = temp_dir("fuzz-two");
    let report = dir.join("fuzz.json");
    let scripts = dir.join("repro");
    let out = scimitar()
        .args([
            "fuzz",
            "--seed",
            "1",
            "--time",
            "60s",
            "--max-findings",
            "3",
            "--defect",
            "no-location-header",
            "--defect",
            "sort-ignored",
            "--repro-dir",
        ])
        .arg(&scripts)
        .arg("--report")
        .arg(format!("json={}", report.display()))
        .output()
        .expect("runs");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    let all = findings(&report);
    let of = |rule: &str| {
        all.iter()
            .find(|f| f["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule} finding:\n{t}"))
            .clone()
    };
    let (location, order) = (of("P-create-03"), of("P-sort-02"));
    let broken = serve(
        "t0k3n",
        &["--defect", "no-location-header", "--defect", "sort-ignored"],
    );
    let correct = serve("t0k3n", &[]);
    for f in [&location, &order] {
        assert!(f["shrunk"].as_u64().unwrap() <= 5, "{f}");
        let script = std::path::PathBuf::from(f["script"].as_str().expect("a script"));
        assert!(t.contains(&script.display().to_string()), "{t}");
        let last = |base: &str| last_response(&script, base, "t0k3n");
        let (bad, good) = (last(&broken.base_url), last(&correct.base_url));
        if f == &location {
            // The create answered alike, but only the correct server says where it is.
            assert!(!bad.to_lowercase().contains("\nlocation:"), "{bad}");
            assert!(good.to_lowercase().contains("\nlocation:"), "{good}");
        } else {
            assert!(
                std::fs::read_to_string(&script).unwrap().contains("sortBy"),
                "{f}"
            );
            assert_ne!(body_of(&bad), body_of(&good), "{bad}\n{good}");
        }
    }
}

/// The headers and body of the last response `sh script` prints.
fn last_response(script: &std::path::Path, base_url: &str, token: &str) -> String {
    let out = Command::new("sh")
        .arg(script)
        .env("SCIM_BASE_URL", base_url)
        .env("SCIM_TOKEN", token)
        .output()
        .expect("sh runs");
    let t = text(&out);
    assert!(out.status.success(), "the script failed:\n{t}");
    let start = t.rfind("HTTP/1.1 ").expect("a response");
    t[start..].to_string()
}

/// A response's body with its ids and run-specific names left in: only their order counts.
fn body_of(response: &str) -> Vec<String> {
    let body = response
        .split("\r\n\r\n")
        .nth(1)
        .or_else(|| response.split("\n\n").nth(1));
    let json: serde_json::Value =
        serde_json::from_str(body.unwrap_or("{}").trim()).unwrap_or_default();
    json["Resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let name = r["userName"]
                .as_str()
                .or(r["displayName"].as_str())
                .unwrap_or("");
            // The script's names carry a run of its own; keep what follows it.
            name.rsplit('-').next().unwrap_or("").to_lowercase()
        })
        .collect()
}

/// A server declaring less, fuzzed with the full RFC model: the model takes the target's
/// declarations and the generated bodies are cut to them, so nothing diverges.
#[test]
fn a_server_that_declares_less_does_not_diverge() {
    let minimal = serve("t0k3n", &["--emulate", "minimal"]);
    let out = scimitar()
        .args([
            "fuzz",
            "--seed",
            "5",
            "--cases",
            "2000",
            "--target",
            &minimal.base_url,
        ])
        .env("SCIM_TOKEN", "t0k3n")
        .output()
        .expect("runs");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("2000 sequences") && t.contains("no divergence"),
        "{t}"
    );
}

/// The status of the last response `sh script` prints (curl -i).
fn replay(script: &std::path::Path, base_url: &str, token: &str) -> u16 {
    let last = last_response(script, base_url, token);
    last.get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no final status in:\n{last}"))
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
fn reproduces(defect: &str, rule: &str, about: &str) {
    let (_, dir) = found(defect, rule, about, true);
    replays(defect, &dir.join("repro.sh"));
}

/// The script reproduces the divergence against a fresh server with the defect, and shows
/// the reference's answer against a correct one.
fn replays(defect: &str, path: &std::path::Path) {
    let script = std::fs::read_to_string(path).expect("script written");
    assert!(
        script.contains("$SCIM_TOKEN") && !script.contains("Bearer ey"),
        "{script}"
    );
    let (expected, actual) = statuses(&script);
    assert_ne!(expected, actual, "{script}");
    let broken = serve("t0k3n", &["--defect", defect]);
    assert_eq!(replay(path, &broken.base_url, "t0k3n"), actual, "{script}");
    let correct = serve("t0k3n", &[]);
    assert_eq!(
        replay(path, &correct.base_url, "t0k3n"),
        expected,
        "{script}"
    );
}

#[test]
fn the_script_reproduces_a_duplicate_user_name() {
    reproduces(
        "duplicate-user-name",
        "P-create-05",
        "POST /Users · status 409→201",
    );
}

#[test]
fn the_script_reproduces_a_deleted_resource_that_stays() {
    // Its first divergences are what the kept user causes (a group member the model refuses,
    // a userName taken): the GET that finds the deleted user is among the first four.
    let (_, dir) = found_among(
        "delete-keeps-resource",
        "P-delete-02",
        "· status 404→200",
        true,
        4,
    );
    let script = std::fs::read_to_string(dir.join("repro.sh")).unwrap();
    assert!(script.contains("curl "), "{script}");
}

#[test]
fn the_script_reproduces_a_delete_answering_200() {
    reproduces(
        "delete-200",
        "P-delete-01",
        "DELETE /Users/{id} · status 204→200",
    );
}

#[test]
fn the_script_reproduces_a_500_for_a_bad_filter() {
    reproduces(
        "bad-filter-500",
        "P-filter-18",
        "GET /Users · status 400→500",
    );
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

/// A target that keeps group members naming no resource (RFC 7643 §2.3.7 makes referential
/// integrity a MAY): the model refuses such a group, the target creates it, and the run
/// deletes it all the same. A user and a group that are not the run's stay.
#[test]
fn what_the_model_refuses_and_the_target_creates_is_deleted() {
    let dir = temp_dir("fuzz-unknown-members");
    let profile = dir.join("keeps-unknown-members.yaml");
    let rfc = std::fs::read_to_string(common::root().join("fixtures/profiles/rfc.yaml")).unwrap();
    std::fs::write(&profile, format!("{rfc}  unknown_members: kept\n")).unwrap();
    let profile = scimitar::profile::Profile::find(profile.to_str().unwrap()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime
        .block_on(scimitar::server::start(
            ([127, 0, 0, 1], 0).into(),
            "t0k3n".into(),
            &profile,
            Default::default(),
        ))
        .unwrap();
    let base = server.base_url.clone();
    scimitar::client::install_crypto_provider();
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str, body: Option<serde_json::Value>| {
        let mut req = http
            .request(method, format!("{base}{path}"))
            .bearer_auth("t0k3n");
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/scim+json")
                .body(b.to_string());
        }
        runtime.block_on(async {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (
                status,
                resp.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        })
    };
    let count = |endpoint: &str| {
        let (status, list) = call(reqwest::Method::GET, &format!("{endpoint}?count=0"), None);
        assert_eq!(status, 200, "{list}");
        list["totalResults"].as_u64().unwrap()
    };
    // Someone else's user, and a group with a member nobody has: the switch is on.
    let (status, _) = call(
        reqwest::Method::POST,
        "/Users",
        Some(serde_json::json!({"schemas": [scimitar::scim::schema::USER], "userName": "someone"})),
    );
    assert_eq!(status, 201);
    let (status, group) = call(
        reqwest::Method::POST,
        "/Groups",
        Some(
            serde_json::json!({"schemas": [scimitar::scim::schema::GROUP],
            "displayName": "someone's", "members": [{"value": "nobody"}]}),
        ),
    );
    assert_eq!(status, 201, "{group}");
    let before = (count("/Users"), count("/Groups"));
    assert_eq!(before, (1, 1));
    let report = dir.join("fuzz.json");
    let out = scimitar()
        .args(["fuzz", "--seed", "3", "--cases", "500", "--target", &base])
        .arg("--report")
        .arg(format!("json={}", report.display()))
        .env("SCIM_TOKEN", "t0k3n")
        .output()
        .expect("runs");
    let t = text(&out);
    // The target kept a group the model refused: allowed, so the run passes.
    let all = findings(&report);
    assert!(
        all.iter()
            .any(|f| f["rule"] == "C-group-03" && f["fails"] == false),
        "{t}"
    );
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("500 sequences"), "{t}");
    assert!(t.contains("left on the target: 0 resources"), "{t}");
    assert_eq!((count("/Users"), count("/Groups")), before, "{t}");
}

/// Servers declaring a subset of the RFC schema, fuzzed with the RFC model as a target found
/// on the network is: filters, PATCH paths and sorts name only what they declare (their
/// /Schemas), so no seed finds a failing divergence, and nothing is left; `strict` refuses
/// what it does not declare (400 invalidSyntax), `minimal` drops it.
#[test]
fn a_server_declaring_a_subset_fails_no_seed() {
    for (subset, seed) in ["strict", "minimal"]
        .into_iter()
        .flat_map(|p| ["11", "12", "13"].map(|seed| (p, seed)))
    {
        let served = serve("t0k3n", &["--emulate", subset]);
        let out = scimitar()
            .args(["fuzz", "--seed", seed, "--cases", "500", "--target"])
            .arg(&served.base_url)
            .env("SCIM_TOKEN", "t0k3n")
            .output()
            .expect("runs");
        let t = text(&out);
        assert_eq!(out.status.code(), Some(0), "{subset} seed {seed}: {t}");
        assert!(t.contains("500 sequences"), "seed {seed}: {t}");
        assert!(
            t.contains("no divergence") || t.contains(", 0 failing"),
            "seed {seed}: {t}"
        );
        assert!(
            t.contains("left on the target: 0 resources"),
            "seed {seed}: {t}"
        );
    }
}
