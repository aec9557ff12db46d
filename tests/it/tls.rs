//! Real networks, on loopback: the bundled server over TLS with certificates made here, the
//! connection check's Entra findings, private CAs, mutual TLS and a CONNECT proxy.

use std::path::Path;

use crate::common;

use common::tls::{Ca, Proxy, TlsServer, self_signed, self_signed_ca, server_config};
use common::{scimitar, serve, temp_dir, text};

const TOKEN: &str = "tls-token-5d1e";

/// `scimitar tls` against `url`, trusting `ca` as the platform store would (SSL_CERT_FILE).
fn check(url: &str, ca: &Ca) -> (Option<i32>, String) {
    let out = scimitar()
        .args(["tls", "--target", url])
        .env("SSL_CERT_FILE", &ca.pem_path)
        .output()
        .expect("runs");
    (out.status.code(), text(&out))
}

#[test]
fn a_self_signed_server_stops_the_run_with_one_error_until_its_certificate_is_trusted() {
    let dir = temp_dir("tls-self-signed");
    let (cert, key) = self_signed(&dir);
    let served = serve_tls(&cert, &key);
    assert!(
        served.base_url.starts_with("https://127.0.0.1:"),
        "{}",
        served.base_url
    );
    let out = scimitar()
        .args(["run", "--target", &served.base_url])
        .env("SCIM_TOKEN", TOKEN)
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("the server's certificate is not trusted"), "{t}");
    assert!(t.contains("--ca-cert FILE"), "{t}");
    assert!(!t.contains("test result"), "no case ran:\n{t}");
    assert_eq!(t.matches("cannot connect to").count(), 1, "one error:\n{t}");

    let out = scimitar()
        .args(["run", "--target", &served.base_url, "--ca-cert"])
        .arg(&cert)
        .env("SCIM_TOKEN", TOKEN)
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("test result: ok."), "{t}");
    // The connection check is information for `run`: what Entra would refuse, not a failure.
    assert!(t.contains("connection check of 127.0.0.1:"), "{t}");
    assert!(t.contains("trusted through --ca-cert only"), "{t}");
}

/// The bundled server over TLS with the certificate in `cert`.
fn serve_tls(cert: &Path, key: &Path) -> common::Served {
    serve(
        TOKEN,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    )
}

/// `scimitar run` of one suite against `url` with `--ca-cert` of each of `pins`.
fn run(url: &str, pins: &[&Path]) -> (Option<i32>, String) {
    let mut c = scimitar();
    c.args(["run", "--target", url]);
    for p in pins {
        c.arg("--ca-cert").arg(p);
    }
    let out = c
        .args(["--", "users::"])
        .env("SCIM_TOKEN", TOKEN)
        .output()
        .unwrap();
    (out.status.code(), text(&out))
}

/// `tls`, a `scimitar tls` with `--ca-cert`, fails on the one finding that Entra would not
/// trust a chain scimitar trusts only through `--ca-cert`.
fn assert_entra_refuses_ca_cert_trust(tls: &mut std::process::Command) {
    let out = tls.output().unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("Entra will refuse to connect: the chain is trusted only through --ca-cert"),
        "{t}"
    );
}

/// The line of `t` that says why the target cannot be reached, which must be words.
fn refusal(t: &str) -> &str {
    let line = t
        .lines()
        .find(|l| l.contains("cannot connect to"))
        .unwrap_or_else(|| panic!("no `cannot connect to` in:\n{t}"));
    for rust in ["Other(", "OtherError", "{", "CaUsedAsEndEntity"] {
        assert!(!line.contains(rust), "`{rust}` in: {line}");
    }
    line
}

#[test]
fn a_self_signed_certificate_marked_as_a_ca_is_pinned_by_ca_cert() {
    let dir = temp_dir("tls-pinned");
    let (cert, key) = self_signed_ca(&dir, &["localhost", "127.0.0.1"]);
    let served = serve_tls(&cert, &key);
    let url = served.base_url.replace("127.0.0.1", "localhost");
    let (code, t) = run(&url, &[]);
    assert_eq!(code, Some(2), "{t}");
    let why = refusal(&t);
    assert!(
        why.contains("the server's certificate is not trusted"),
        "{why}"
    );
    assert!(why.contains("marked as a CA"), "{why}");
    assert!(why.contains("--ca-cert FILE"), "{why}");
    assert!(!t.contains("test result"), "no case ran:\n{t}");

    let (code, t) = run(&url, &[&cert]);
    assert_eq!(code, Some(0), "{t}");
    assert!(t.contains("test result: ok."), "{t}");
    // Pinning is scimitar's trust, not Entra's: the connection check still says so.
    assert!(t.contains("trusted through --ca-cert only"), "{t}");
    assert_entra_refuses_ca_cert_trust(
        scimitar()
            .args(["tls", "--target", &url, "--ca-cert"])
            .arg(&cert),
    );
}

#[test]
fn a_pinned_certificate_for_another_host_is_refused() {
    let dir = temp_dir("tls-pinned-other-host");
    let (cert, key) = self_signed_ca(&dir, &["other.example"]);
    let served = serve_tls(&cert, &key);
    let url = served.base_url.replace("127.0.0.1", "localhost");
    let (code, t) = run(&url, &[&cert]);
    assert_eq!(code, Some(2), "{t}");
    let why = refusal(&t);
    assert!(
        why.contains("the server's certificate is refused: it is not valid for localhost, only for other.example"),
        "{why}"
    );
    assert!(!t.contains("test result"), "no case ran:\n{t}");
}

#[test]
fn a_p256_certificate_with_tls_1_3_gives_no_finding() {
    let dir = temp_dir("tls-p256");
    let ca = Ca::new(&dir);
    let leaf = ca.leaf(&dir, "p256", 365);
    let server = TlsServer::start(TOKEN, server_config(&leaf, rustls::ALL_VERSIONS, &[], None));
    let (code, t) = check(&server.base_url, &ca);
    assert_eq!(code, Some(0), "{t}");
    assert!(
        t.contains("nothing Entra's connection requirements refuse"),
        "{t}"
    );
    for line in [
        "TLS 1.3      accepted",
        "TLS 1.2      accepted",
        "key          ECDSA P-256 (256 bits)",
        "trusted by the platform store; valid for 127.0.0.1",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256  accepted",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384  accepted",
    ] {
        assert!(t.contains(line), "no `{line}` in:\n{t}");
    }
    // Whole days, rounded down: a second after it was made, the certificate has 364 left.
    assert!(
        t.contains("(365 days left)") || t.contains("(364 days left)"),
        "no `(365 days left)` in:\n{t}"
    );
    // rustls speaks neither TLS 1.0 nor 1.1, nor CBC: the minimal ClientHello is refused.
    for refused in [
        "TLS 1.1      refused",
        "TLS 1.0      refused",
        "AES_128_CBC_SHA256  refused",
    ] {
        assert!(t.contains(refused), "no `{refused}` in:\n{t}");
    }
    // Trusted only through --ca-cert, the chain is one Entra would not trust.
    assert_entra_refuses_ca_cert_trust(
        scimitar()
            .args(["tls", "--target", &server.base_url, "--ca-cert"])
            .arg(&ca.pem_path)
            .env("SSL_CERT_FILE", leaf.cert_path.as_os_str()),
    );
}

#[test]
fn a_1024_bit_rsa_key_is_the_finding_entra_refuses() {
    let dir = temp_dir("tls-rsa-1024");
    let ca = Ca::new(&dir);
    let leaf = ca.rsa_1024(&dir);
    let server = TlsServer::start(TOKEN, server_config(&leaf, rustls::ALL_VERSIONS, &[], None));
    let (code, t) = check(&server.base_url, &ca);
    assert_eq!(code, Some(1), "{t}");
    assert!(t.contains("key          RSA 1,024 bits"), "{t}");
    assert!(
        t.contains(
            "✗ Entra will refuse to connect: RSA key of 1,024 bits (Entra needs at least 2,048)"
        ),
        "{t}"
    );
    assert_eq!(t.matches('✗').count(), 1, "only the key is amiss:\n{t}");
}

#[test]
fn tls_1_2_with_only_a_suite_off_entras_bar_is_the_finding() {
    let dir = temp_dir("tls-chacha");
    let ca = Ca::new(&dir);
    let leaf = ca.leaf(&dir, "chacha", 365);
    let only = rustls::crypto::ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256;
    let server = TlsServer::start(
        TOKEN,
        server_config(&leaf, &[&rustls::version::TLS12], &[only], None),
    );
    let (code, t) = check(&server.base_url, &ca);
    assert_eq!(code, Some(1), "{t}");
    assert!(t.contains("TLS 1.3      refused"), "{t}");
    assert!(t.contains("TLS 1.2      accepted"), "{t}");
    assert!(
        t.contains("✗ Entra will refuse to connect: the server accepts none of Entra's TLS 1.2 cipher suites, and not TLS 1.3"),
        "{t}"
    );
}

#[test]
fn an_expired_certificate_is_the_finding_entra_refuses() {
    let dir = temp_dir("tls-expired");
    let ca = Ca::new(&dir);
    let leaf = ca.leaf(&dir, "expired", -3);
    let server = TlsServer::start(TOKEN, server_config(&leaf, rustls::ALL_VERSIONS, &[], None));
    let (code, t) = check(&server.base_url, &ca);
    assert_eq!(code, Some(1), "{t}");
    assert!(
        t.contains("✗ Entra will refuse to connect: the certificate expired on"),
        "{t}"
    );
    assert!(t.contains("(3 days ago)"), "{t}");
    assert_eq!(t.matches('✗').count(), 1, "only the expiry is amiss:\n{t}");
}

#[test]
fn entra_refuses_insecure_and_finds_plain_http() {
    let out = scimitar()
        .args([
            "entra",
            "--target",
            "https://127.0.0.1:9/scim/v2",
            "--insecure",
        ])
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("--insecure cannot be used with scimitar entra"),
        "{t}"
    );
    assert!(t.contains("warning: --insecure"), "{t}");

    let served = serve(TOKEN, &[]);
    let out = scimitar()
        .args(["entra", "--target", &served.base_url])
        .env("SCIM_TOKEN", TOKEN)
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("✗ Entra will refuse to connect: the target is plain http://"),
        "{t}"
    );
    assert!(
        t.contains("test result: ok."),
        "the suites still ran and passed:\n{t}"
    );
}

#[test]
fn mutual_tls_is_refused_without_a_client_certificate_and_passes_with_one() {
    let dir = temp_dir("tls-mutual");
    let ca = Ca::new(&dir);
    let leaf = ca.leaf(&dir, "server", 365);
    let client = ca.leaf(&dir, "client", 365);
    let server = TlsServer::start(
        TOKEN,
        server_config(&leaf, rustls::ALL_VERSIONS, &[], Some(&ca)),
    );
    let run = |extra: &[&std::ffi::OsStr]| {
        let out = scimitar()
            .args(["run", "--target", &server.base_url, "--ca-cert"])
            .arg(&ca.pem_path)
            .args(extra)
            .args(["--", "users::"])
            .env("SCIM_TOKEN", TOKEN)
            .output()
            .unwrap();
        (out.status.code(), text(&out))
    };
    let (code, t) = run(&[]);
    assert_eq!(code, Some(2), "{t}");
    assert!(
        t.contains("pass --client-cert FILE --client-key FILE"),
        "{t}"
    );
    assert!(!t.contains("test result"), "{t}");
    let (code, t) = run(&[
        "--client-cert".as_ref(),
        client.cert_path.as_os_str(),
        "--client-key".as_ref(),
        client.key_path.as_os_str(),
    ]);
    assert_eq!(code, Some(0), "{t}");
    assert!(t.contains("test result: ok."), "{t}");
}

#[test]
fn a_connect_proxy_carries_the_run_unless_no_proxy_names_the_host() {
    let dir = temp_dir("tls-proxy");
    let ca = Ca::new(&dir);
    let leaf = ca.leaf(&dir, "proxied", 365);
    let server = TlsServer::start(TOKEN, server_config(&leaf, rustls::ALL_VERSIONS, &[], None));
    let proxy = Proxy::start("proxy-user-8c2", "proxy-pass-4f7");
    let port = server.base_url.trim_start_matches("https://127.0.0.1:");
    let port = &port[..port.find('/').unwrap()];
    let run = |no_proxy: Option<&str>| {
        let mut c = scimitar();
        c.args(["run", "--target", &server.base_url, "--ca-cert"])
            .arg(&ca.pem_path)
            .args(["--", "users::"])
            .env("SCIM_TOKEN", TOKEN)
            .env("HTTPS_PROXY", &proxy.url)
            .env_remove("no_proxy")
            .env_remove("NO_PROXY");
        if let Some(n) = no_proxy {
            c.env("NO_PROXY", n);
        }
        let out = c.output().unwrap();
        (out.status.code(), text(&out))
    };
    let (code, t) = run(None);
    assert_eq!(code, Some(0), "{t}");
    let seen = proxy.seen();
    let tunnels = seen
        .iter()
        .filter(|s| s.ends_with(&format!(":{port}")))
        .count();
    // The connection check's probes, then the run's requests, all through the proxy.
    assert!(tunnels > 8, "{seen:?}");
    assert!(t.contains("through the proxy http://127.0.0.1:"), "{t}");
    for secret in ["proxy-user-8c2", "proxy-pass-4f7"] {
        assert!(!t.contains(secret), "the output holds {secret}:\n{t}");
    }

    let (code, t) = run(Some("127.0.0.1"));
    assert_eq!(code, Some(0), "{t}");
    assert_eq!(
        proxy.seen().len(),
        seen.len(),
        "NO_PROXY names the host:\n{t}"
    );
    assert!(!t.contains("through the proxy"), "{t}");

    // --proxy names one instead of the environment.
    let out = scimitar()
        .args(["tls", "--target", &server.base_url, "--ca-cert"])
        .arg(&ca.pem_path)
        .args(["--proxy", &proxy.url])
        .env_remove("NO_PROXY")
        .output()
        .unwrap();
    let t = text(&out);
    assert!(proxy.seen().len() > seen.len(), "{t}");
    assert!(
        !t.contains("proxy-pass-4f7") && !t.contains("proxy-user-8c2"),
        "{t}"
    );
}
