//! Safe against a real tenant: an interrupted run deletes what it created, a crashed one
//! can be swept, and the token appears in no artifact.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::{hostile, scimitar, serve, temp_dir, text};
use serde_json::Value;

/// A request straight to a server (`host:port`), bypassing scimitar; the JSON it answers.
fn http(host: &str, method: &str, path: &str, token: &str, body: Option<&str>) -> Value {
    let mut s = TcpStream::connect(host).expect("connects");
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("writes");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("reads");
    let (_, json) = answer.split_once("\r\n\r\n").expect("a head and a body");
    serde_json::from_str(json).unwrap_or(Value::Null)
}

fn host(base_url: &str) -> String {
    base_url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("a host")
        .to_string()
}

fn total(host: &str, endpoint: &str, token: &str) -> u64 {
    http(host, "GET", &format!("/scim/v2/{endpoint}"), token, None)["totalResults"]
        .as_u64()
        .expect("a list answer")
}

#[test]
fn an_interrupted_run_leaves_nothing_it_created() {
    let token = "sigint-token";
    let upstream = serve(token, &[]);
    let up = host(&upstream.base_url);
    let slow = hostile::start(Some(&up));
    let dir = temp_dir("sigint");
    let ledger = dir.join("ledger.jsonl");
    let child = scimitar()
        .args([
            "run",
            "--target",
            &format!("{}/slow/scim/v2", slow.base),
            "--ledger",
        ])
        .arg(&ledger)
        .env("SCIM_TOKEN", token)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    common::await_creates(&ledger, 5);
    assert!(
        total(&up, "Users", token) + total(&up, "Groups", token) > 0,
        "mid-suite, resources exist"
    );
    common::interrupt(&child);
    let out = child.wait_with_output().expect("exits");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(130), "{t}");
    assert!(
        t.contains("interrupted: deleting what this run created"),
        "{t}"
    );
    assert!(
        t.contains("ignored (interrupted)"),
        "the run was stopped mid-suite:\n{t}"
    );
    assert_eq!(total(&up, "Users", token), 0, "users left behind:\n{t}");
    assert_eq!(total(&up, "Groups", token), 0, "groups left behind:\n{t}");
    assert!(!ledger.exists(), "a fully swept ledger is removed");
}

/// A case that fails after creating a user still runs its teardown, which deletes the user
/// (not only the end-of-run sweep).
#[test]
fn a_failed_case_still_runs_its_teardown() {
    let dir = temp_dir("teardown-after-failure");
    let suite = ["--suite", "tests/data/teardown-after-failure.yaml"];
    let (out, report) = common::run_with_defects(&[], &suite, &dir);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let case = common::case(&report, "teardown-after-failure::fails_after_creating");
    assert_eq!(case["status"], "failed", "{case}");
    let last = case["steps"].as_array().unwrap().last().unwrap();
    assert_eq!(last["teardown"], true, "no teardown ran: {case}");
    assert_eq!(last["exchange"]["request"]["method"], "DELETE", "{case}");
    assert_eq!(last["exchange"]["response"]["status"], 204, "{case}");
}

#[test]
fn sweep_deletes_what_a_ledger_lists() {
    let token = "sweep-token";
    let upstream = serve(token, &[]);
    let up = host(&upstream.base_url);
    let dir = temp_dir("sweep");
    let ledger = dir.join("ledger.jsonl");
    let mut lines = String::new();
    for name in ["left-1", "left-2"] {
        let body = format!(
            r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"{name}"}}"#
        );
        let created = http(&up, "POST", "/scim/v2/Users", token, Some(&body));
        let url = format!(
            "{}/Users/{}",
            upstream.base_url,
            created["id"].as_str().expect("an id")
        );
        lines.push_str(&format!("{}\n", serde_json::json!({"created": url})));
    }
    std::fs::write(&ledger, lines).unwrap();
    assert_eq!(total(&up, "Users", token), 2);
    let out = scimitar()
        .args(["sweep", "--target", &upstream.base_url, "--ledger"])
        .arg(&ledger)
        .env("SCIM_TOKEN", token)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(total(&up, "Users", token), 0);
    assert!(!ledger.exists());
}

/// Every file under `dir`, as text.
fn files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("a folder").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            let bytes = std::fs::read(&p).expect("readable");
            out.push((
                p.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    out
}

/// `--report` arguments writing each of `formats` to `dir`, as run.json, run.xml, run.md,
/// run.html.
fn report_args(dir: &Path, formats: &[&str]) -> Vec<String> {
    let file = |f: &str| match f {
        "junit" => "run.xml",
        "markdown" => "run.md",
        "html" => "run.html",
        _ => "run.json",
    };
    formats
        .iter()
        .flat_map(|f| {
            [
                "--report".to_string(),
                format!("{f}={}", dir.join(file(f)).display()),
            ]
        })
        .collect()
}

/// The content of the one of `artifacts` whose name ends with `suffix`.
fn artifact<'a>(artifacts: &'a [(String, String)], suffix: &str) -> &'a str {
    &artifacts
        .iter()
        .find(|(n, _)| n.ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix} among {artifacts:?}"))
        .1
}

/// Fails where one of `artifacts` or `outputs` (the console) holds one of `secrets`.
fn assert_none_holds(artifacts: &[(String, String)], outputs: &[String], secrets: &[&str]) {
    let console = outputs.iter().map(|o| ("console", o.as_str()));
    for (name, content) in artifacts
        .iter()
        .map(|(n, c)| (n.as_str(), c.as_str()))
        .chain(console)
    {
        for secret in secrets {
            assert!(
                !content.contains(secret),
                "{name} holds {secret}:\n{content}"
            );
        }
    }
}

#[test]
fn the_token_appears_in_no_artifact() {
    let token = "tok-7f3a9c-do-not-leak";
    let served = serve(token, &["--defect", "meta-location-wrong"]);
    let dir = temp_dir("token");
    let d = |f: &str| dir.join(f).display().to_string();
    let mut outputs = Vec::new();
    let mut go = |args: Vec<String>| {
        let out = scimitar()
            .args(&args)
            .env("SCIM_TOKEN", token)
            .output()
            .expect("runs");
        outputs.push(text(&out));
    };
    go([
        ["run", "--target", &served.base_url]
            .map(String::from)
            .to_vec(),
        report_args(&dir, &["json", "junit", "markdown", "html"]),
        ["--snapshots", "check", "--snapshot-dir", &d("snapshots")]
            .map(String::from)
            .to_vec(),
    ]
    .concat());
    go([
        "fuzz",
        "--target",
        &served.base_url,
        "--seed",
        "1",
        "--time",
        "60s",
        "--repro",
        &d("repro.sh"),
    ]
    .map(String::from)
    .to_vec());
    let echo = hostile::start(None);
    go([
        "run",
        "--suite",
        "tests/data/hostile-suite.yaml",
        "--target",
        &format!("{}/echo", echo.base),
        "--report",
        &format!("json={}", d("echo.json")),
    ]
    .map(String::from)
    .to_vec());

    let artifacts = files(&dir);
    let names: Vec<&str> = artifacts.iter().map(|(n, _)| n.as_str()).collect();
    for wanted in [
        "run.json",
        "run.xml",
        "run.md",
        "run.html",
        "repro.sh",
        "echo.json",
        ".snap.new",
    ] {
        assert!(
            names.iter().any(|n| n.ends_with(wanted)),
            "no {wanted} among {names:?}"
        );
    }
    let echoed = artifact(&artifacts, "echo.json");
    assert!(
        echoed.contains("you sent Bearer [REDACTED]"),
        "the echo came back, scrubbed:\n{echoed}"
    );
    assert_none_holds(&artifacts, &outputs, &[token]);
}

/// The bundled server, started in this process, and a plain HTTP client for it.
struct Bundled {
    base: String,
    http: reqwest::Client,
    _task: tokio::task::JoinHandle<std::io::Result<()>>,
}

const RUN: &str = "1a2b3c4d";
const BUNDLED_TOKEN: &str = "marker-token";

impl Bundled {
    async fn start(defects: &[scimitar::server::Defect]) -> Self {
        let profile = scimitar::profile::Profile::find("rfc").unwrap();
        let running = scimitar::server::start(
            ([127, 0, 0, 1], 0).into(),
            BUNDLED_TOKEN.into(),
            &profile,
            scimitar::server::Defects::new(defects.iter().copied()),
        )
        .await
        .unwrap();
        Bundled {
            base: running.base_url,
            http: {
                scimitar::client::install_crypto_provider();
                reqwest::Client::new()
            },
            _task: running.task,
        }
    }

    /// Creates a user or a group behind scimitar's back; none is in its ledger.
    async fn create(&self, endpoint: &str, name: &str) {
        let body = if endpoint == "Users" {
            serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name})
        } else {
            serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name})
        };
        let r = self
            .http
            .post(format!("{}/{endpoint}", self.base))
            .bearer_auth(BUNDLED_TOKEN)
            .header("Content-Type", "application/scim+json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{name}");
    }

    /// The names on `endpoint`, sorted.
    async fn names(&self, endpoint: &str) -> Vec<String> {
        let attr = if endpoint == "Users" {
            "userName"
        } else {
            "displayName"
        };
        let list: Value = self
            .http
            .get(format!("{}/{endpoint}?count=1000", self.base))
            .bearer_auth(BUNDLED_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut names: Vec<String> = list["Resources"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| r[attr].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    }

    /// A user and a group of this run that its ledger does not list, and strangers: a
    /// user of another run, one of nobody's runs, and a group whose name only resembles.
    async fn populate(&self) {
        self.create("Users", &format!("scimitar-{RUN}-7")).await;
        self.create("Groups", &format!("group-scimitar-{RUN}-8"))
            .await;
        self.create("Users", "scimitar-99999999-7").await;
        self.create("Users", "bjensen").await;
        self.create("Groups", &format!("scimitar-{RUN}")).await;
    }

    async fn assert_only_strangers_are_left(&self) {
        assert_eq!(
            self.names("Users").await,
            ["bjensen", "scimitar-99999999-7"]
        );
        assert_eq!(self.names("Groups").await, [format!("scimitar-{RUN}")]);
    }
}

/// A client of run [`RUN`] for `base` whose one create was refused: its ledger lists
/// nothing, but the run may have left something.
async fn client_of_the_run(base: &str) -> scimitar::client::Client {
    use scimitar::client::{Auth, Body, Client, Credentials, Outcome, Outgoing, Secret};
    let ledger = scimitar::client::ledger::Ledger::new(RUN, None).unwrap();
    let client = Client::new(
        base,
        Auth::Bearer(Secret::new(BUNDLED_TOKEN)),
        Duration::from_secs(10),
    )
    .unwrap()
    .with_ledger(std::sync::Arc::new(ledger));
    let refused = client
        .send(Outgoing {
            method: scimitar::suite::Method::Post,
            path: "/Users",
            query: &[],
            headers: &[],
            body: Some(&Body::Json(serde_json::json!({"userName": 7}))),
            credentials: Credentials::Target,
        })
        .await;
    assert!(
        matches!(&refused.outcome, Outcome::Response(r) if r.status == 400),
        "{:?}",
        refused.outcome
    );
    client
}

#[tokio::test]
async fn the_sweep_deletes_what_carries_the_run_marker_and_nothing_else() {
    let server = Bundled::start(&[]).await;
    server.populate().await;
    let left = client_of_the_run(&server.base).await.sweep().await;
    assert!(left.is_empty(), "{left:?}");
    server.assert_only_strangers_are_left().await;
}

#[tokio::test]
async fn a_stop_checks_each_name_itself_when_the_server_ignores_the_filter() {
    use scimitar::server::Defect;
    let server = Bundled::start(&[Defect::ListIgnoresFilter]).await;
    server.populate().await;
    let left = client_of_the_run(&server.base).await.stop().await;
    assert!(left.is_empty(), "{left:?}");
    server.assert_only_strangers_are_left().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_are_walked_when_the_server_refuses_the_filter() {
    let server = Bundled::start(&[]).await;
    // More than a page of strangers, so that what is the run's is found on the second.
    for n in 0..120 {
        server.create("Users", &format!("stranger-{n:03}")).await;
    }
    server.populate().await;
    let filterless = hostile::start(Some(&host(&server.base)));
    let client = client_of_the_run(&format!("{}/filterless/scim/v2", filterless.base)).await;
    let left = client.sweep().await;
    assert!(left.is_empty(), "{left:?}");
    let users = server.names("Users").await;
    assert_eq!(users.len(), 122, "{users:?}");
    assert!(!users.iter().any(|u| u.contains(RUN)), "{users:?}");
    assert_eq!(server.names("Groups").await, [format!("scimitar-{RUN}")]);
}

#[test]
fn over_tls_and_through_a_proxy_neither_the_token_nor_the_proxy_credentials_leak() {
    use common::tls::{Ca, Proxy, TlsServer, server_config};
    let token = "tok-tls-91ab-do-not-leak";
    let dir = temp_dir("token-tls");
    let ca = Ca::new(&dir);
    let leaf = ca.leaf(&dir, "server", 365);
    let client = ca.leaf(&dir, "client", 365);
    let mutual = TlsServer::start(
        token,
        server_config(&leaf, rustls::ALL_VERSIONS, &[], Some(&ca)),
    );
    let proxy = Proxy::start("leaky-user-3e", "leaky-pass-7d");
    let d = |f: &str| dir.join("out").join(f).display().to_string();
    std::fs::create_dir_all(dir.join("out")).unwrap();
    let mut outputs = Vec::new();
    let mut go = |args: &[&str]| {
        let out = scimitar()
            .args(args)
            .env("SCIM_TOKEN", token)
            .env("HTTPS_PROXY", &proxy.url)
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .output()
            .expect("runs");
        outputs.push(text(&out));
        out.status.code()
    };
    let (ca_pem, cert, key) = (
        ca.pem_path.display().to_string(),
        client.cert_path.display().to_string(),
        client.key_path.display().to_string(),
    );
    let target = mutual.base_url.as_str();
    let reports = [
        format!("json={}", d("run.json")),
        format!("junit={}", d("run.xml")),
        format!("markdown={}", d("run.md")),
        format!("html={}", d("run.html")),
    ];
    let code = go(&[
        "run",
        "--target",
        target,
        "--ca-cert",
        &ca_pem,
        "--client-cert",
        &cert,
        "--client-key",
        &key,
        "--report",
        &reports[0],
        "--report",
        &reports[1],
        "--report",
        &reports[2],
        "--report",
        &reports[3],
        "--",
        "users::",
    ]);
    assert_eq!(code, Some(0), "{}", outputs.last().unwrap());
    // The failing paths: no client certificate, no CA, the check alone.
    assert_eq!(
        go(&["run", "--target", target, "--ca-cert", &ca_pem]),
        Some(2)
    );
    assert_eq!(go(&["run", "--target", target]), Some(2));
    go(&["tls", "--target", target, "--ca-cert", &ca_pem]);
    go(&[
        "entra",
        "--target",
        target,
        "--ca-cert",
        &ca_pem,
        "--client-cert",
        &cert,
        "--client-key",
        &key,
        "--report",
        &format!("json={}", d("entra.json")),
    ]);
    assert!(proxy.seen().len() > 10, "the runs went through the proxy");
    let artifacts = files(&dir.join("out"));
    assert_eq!(artifacts.len(), 5, "{artifacts:?}");
    use base64::Engine;
    let pair = base64::engine::general_purpose::STANDARD.encode("leaky-user-3e:leaky-pass-7d");
    assert_none_holds(
        &artifacts,
        &outputs,
        &[token, "leaky-user-3e", "leaky-pass-7d", pair.as_str()],
    );
}

/// A forward proxy that gives everything away: it answers every request 500 with a SCIM
/// error whose detail holds the request line, the Proxy-Authorization header it got and
/// the credentials it was set up with, as written in the proxy URL and decoded. Returns
/// its port.
fn echoing_proxy(written: &'static str, decoded: &'static str) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut client in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && client.read(&mut byte).is_ok_and(|n| n == 1) {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let line = head.lines().next().unwrap_or_default();
                let authorization = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("proxy-authorization")
                            .then(|| v.trim())
                    })
                    .unwrap_or("none");
                let detail = format!(
                    "proxy saw {line}; Proxy-Authorization: {authorization}; credentials {written} ({decoded})"
                );
                let body = serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                    "status": "500",
                    "detail": detail,
                })
                .to_string();
                let _ = write!(
                    client,
                    "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/scim+json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    port
}

/// Credentials in `--proxy` are secrets: through a proxy that echoes them back in every
/// answer, neither their form in the URL (percent-encoded), nor the decoded one, nor the
/// Basic pair of the Proxy-Authorization header reaches a report or the console.
#[test]
fn proxy_credentials_echoed_back_reach_no_report_and_no_console() {
    use base64::Engine;
    let (user, written, decoded) = ("leaky-user-5b", "p%40ss-w0rd", "p@ss-w0rd");
    let port = echoing_proxy("leaky-user-5b:p%40ss-w0rd", "leaky-user-5b:p@ss-w0rd");
    let dir = temp_dir("proxy-echo");
    let out = scimitar()
        .args([
            "run",
            "--target",
            "http://127.0.0.1:9/scim/v2",
            "--proxy",
            &format!("http://{user}:{written}@127.0.0.1:{port}"),
        ])
        .args(report_args(&dir, &["json", "junit", "markdown"]))
        .args(["--", "users::"])
        .env("SCIM_TOKEN", "tok-proxy-echo-2c8d")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .expect("runs");
    let console = text(&out);
    assert_eq!(out.status.code(), Some(1), "{console}");
    let artifacts = files(&dir);
    assert_eq!(artifacts.len(), 3, "{artifacts:?}");
    let as_written = format!("{user}:{written}");
    let pair = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{decoded}"));
    assert_none_holds(
        &artifacts,
        std::slice::from_ref(&console),
        &[as_written.as_str(), written, decoded, pair.as_str()],
    );
    // The echo did come back: what was scrubbed was there to scrub.
    let json = artifact(&artifacts, "run.json");
    assert!(
        json.contains("Proxy-Authorization: Basic [REDACTED]"),
        "the proxy's echo came back, scrubbed:\n{json}"
    );
    assert!(console.contains("proxy saw"), "{console}");
}
