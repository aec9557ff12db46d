//! The connection check: the TLS a target offers, held to what Microsoft Entra's
//! provisioning service requires of it (`../shared/entra.md`, "What Entra requires of the
//! connection"): TLS 1.2 or 1.3 only, an RSA key of 2,048 bits or an ECC key of 256 bits on
//! an approved curve, a trusted chain for the host that has not expired, and one of Entra's
//! TLS 1.2 cipher suites. Each miss is a finding that says what Entra will do.
//!
//! It goes where the run's requests go (the same proxy, `--ca-cert`, client certificate),
//! and inspects the certificate even when verification would refuse it.

mod certificate;
mod dial;
mod hello;
mod probe;
mod reason;
mod verify;

use std::time::Duration;

use rustls::pki_types::ServerName;

use crate::client::Network;
use certificate::{Leaf, Trust};
use reason::describe;
pub use verify::ServerTrust;

/// What the server said to one offer.
pub enum Answer {
    Accepted,
    Refused(String),
    /// The offer could not be made; the reason says why.
    NotProbed(String),
}

impl Answer {
    fn accepted(&self) -> bool {
        matches!(self, Answer::Accepted)
    }
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Accepted => f.write_str("accepted"),
            Answer::Refused(why) => write!(f, "refused ({why})"),
            Answer::NotProbed(why) => write!(f, "not probed ({why})"),
        }
    }
}

/// Entra's TLS 1.2 suites, the minimum bar, in its order, with their IANA numbers.
const ENTRA_SUITES: [(&str, u16); 8] = [
    ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xc02b),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xc02c),
    ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xc02f),
    ("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xc030),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 0xc023),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", 0xc024),
    ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 0xc027),
    ("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 0xc028),
];

const REFUSE: &str = "Entra will refuse to connect";

/// The check's result.
pub struct Report {
    /// `host:port`, and the proxy connections went through.
    pub server: String,
    pub via: Option<String>,
    /// TLS 1.3, 1.2, 1.1 and 1.0, in that order.
    pub versions: Vec<(&'static str, Answer)>,
    pub leaf: Result<Leaf, String>,
    pub suites: Vec<(&'static str, Answer)>,
    /// Each miss against Entra's requirements, saying what Entra will do.
    pub findings: Vec<String>,
    host: String,
}

impl Report {
    /// Whether the server completed a handshake at `version` (`TLS 1.3`).
    pub fn accepts(&self, version: &str) -> bool {
        self.versions
            .iter()
            .any(|(l, a)| *l == version && a.accepted())
    }
}

/// Checks the TLS of `url` (an https URL) as reached through `network`. An error is a
/// target that cannot be reached at all.
pub async fn check(url: &str, network: &Network, timeout: Duration) -> Result<Report, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{url} is not a URL: {e}"))?;
    let host = match parsed.host() {
        Some(url::Host::Domain(d)) => d.to_string(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return Err(format!("{url} names no host")),
    };
    let port = parsed.port_or_known_default().unwrap_or(443);
    let server = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    match parsed.scheme() {
        "https" => {}
        "http" => {
            return Ok(Report {
                server,
                via: None,
                versions: Vec::new(),
                leaf: Err("the target is plain http: there is no TLS".into()),
                suites: Vec::new(),
                findings: vec![format!(
                    "{REFUSE}: the target is plain http://; Entra provisions over HTTPS only"
                )],
                host,
            });
        }
        other => return Err(format!("{url}: {other} is neither https nor http")),
    }
    let name = ServerName::try_from(host.clone()).map_err(|e| format!("{host}: {e}"))?;
    let dialer = dial::Dialer::new(&host, port, network.proxy.as_deref(), timeout);
    drop(
        dialer
            .dial()
            .await
            .map_err(|e| network.scrub(&format!("{server}: {e}")))?,
    );
    let identity = network.identity.as_ref();
    let mut agreed = None;
    let mut versions = Vec::new();
    for (label, version) in [
        ("TLS 1.3", &rustls::version::TLS13),
        ("TLS 1.2", &rustls::version::TLS12),
    ] {
        let answer = match probe::handshake(&dialer, &name, version, None, identity).await {
            Ok(a) => {
                agreed.get_or_insert(a);
                Answer::Accepted
            }
            Err(why) => Answer::Refused(why),
        };
        versions.push((label, answer));
    }
    for (label, version) in [("TLS 1.1", 0x0302), ("TLS 1.0", 0x0301)] {
        versions.push((label, hello::offer(&dialer, &host, version, &[]).await));
    }
    let leaf = match &agreed {
        Some(chain) => Leaf::read(chain, &name, &network.ca_certs),
        None => Err("no TLS 1.2 or 1.3 handshake completed".into()),
    };
    let mut suites = Vec::new();
    for (suite, id) in ENTRA_SUITES {
        let answer = if !versions[1].1.accepted() {
            Answer::NotProbed("the server does not accept TLS 1.2".into())
        } else if let Some(s) = probe::suite(id) {
            match probe::handshake(&dialer, &name, &rustls::version::TLS12, Some(s), identity).await
            {
                Ok(_) => Answer::Accepted,
                Err(why) => Answer::Refused(why),
            }
        } else {
            hello::offer(&dialer, &host, 0x0303, &[id]).await
        };
        suites.push((suite, answer));
    }
    let mut report = Report {
        server,
        via: dialer.via(),
        versions,
        leaf,
        suites,
        findings: Vec::new(),
        host,
    };
    report.findings = findings(&report, time::OffsetDateTime::now_utc().unix_timestamp());
    Ok(report)
}

/// What Entra will make of what the check saw, one finding a miss.
fn findings(r: &Report, now: i64) -> Vec<String> {
    let mut out = Vec::new();
    let (tls13, tls12) = (r.accepts("TLS 1.3"), r.accepts("TLS 1.2"));
    if !tls13 && !tls12 {
        let why = r
            .versions
            .iter()
            .find(|(l, _)| *l == "TLS 1.2")
            .map_or_else(String::new, |(_, a)| a.to_string());
        out.push(format!(
            "{REFUSE}: the server completes no TLS 1.2 or TLS 1.3 handshake (TLS 1.2 {why})"
        ));
    }
    for old in ["TLS 1.1", "TLS 1.0"] {
        if r.accepts(old) {
            out.push(format!(
                "Outside Entra's security requirements: the server still accepts {old} (Microsoft requires TLS 1.2 or 1.3 only; Entra itself will connect with 1.2 or 1.3)"
            ));
        }
    }
    match &r.leaf {
        Ok(leaf) => out.extend(certificate_findings(leaf, &r.host, now)),
        Err(why) if tls12 || tls13 => out.push(format!("{REFUSE}: {why}")),
        Err(_) => {}
    }
    if tls12 {
        let bar = r.suites.iter().filter(|(_, a)| a.accepted()).count();
        let unprobed = r
            .suites
            .iter()
            .filter(|(_, a)| matches!(a, Answer::NotProbed(_)))
            .count();
        let none = if unprobed == 0 {
            "none of Entra's TLS 1.2 cipher suites".to_string()
        } else {
            format!(
                "none of the {} of Entra's TLS 1.2 cipher suites probed",
                r.suites.len() - unprobed
            )
        };
        if bar == 0 && tls13 {
            out.push(format!(
                "Outside Entra's security requirements: the server accepts {none} (Entra will connect only over TLS 1.3)"
            ));
        } else if bar == 0 {
            out.push(format!(
                "{REFUSE}: the server accepts {none}, and not TLS 1.3"
            ));
        }
    }
    out
}

fn certificate_findings(leaf: &Leaf, host: &str, now: i64) -> Vec<String> {
    let mut out = Vec::new();
    let key = &leaf.key;
    match (key.kind, key.curve) {
        ("RSA", _) if key.bits < 2048 => out.push(format!(
            "{REFUSE}: RSA key of {} bits (Entra needs at least 2,048)",
            thousands(key.bits)
        )),
        ("RSA", _) => {}
        ("ECDSA", Some("P-256" | "P-384" | "P-521")) => {}
        ("ECDSA", _) => out.push(format!(
            "{REFUSE}: ECC key {key} (Entra needs at least 256 bits on an approved curve)"
        )),
        _ => out.push(format!(
            "{REFUSE}: the key is {key}; Entra needs RSA of 2,048 bits or ECC of 256 bits"
        )),
    }
    if now > leaf.not_after {
        out.push(format!(
            "{REFUSE}: the certificate expired on {} ({} days ago)",
            certificate::date(leaf.not_after),
            thousands(leaf.days_expired(now).unsigned_abs() as usize)
        ));
    } else if now < leaf.not_before {
        out.push(format!(
            "{REFUSE}: the certificate is not valid before {}",
            certificate::date(leaf.not_before)
        ));
    }
    if let Err(why) = &leaf.name {
        out.push(format!(
            "{REFUSE}: the certificate is not valid for {host} ({why})"
        ));
    }
    match &leaf.trust {
        Trust::Platform => {}
        Trust::CaCert => out.push(format!(
            "{REFUSE}: the chain is trusted only through --ca-cert, not by the platform store (Entra trusts public CAs only)"
        )),
        Trust::Untrusted(why) => out.push(format!(
            "{REFUSE}: the chain is not trusted{} ({why})",
            if leaf.self_signed {
                ": the certificate is self-signed"
            } else {
                ""
            }
        )),
    }
    out
}

impl Report {
    /// The report as printed, ending with the findings or the word that there are none.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let via = self
            .via
            .as_ref()
            .map_or_else(String::new, |p| format!(" through the proxy {p}"));
        let _ = writeln!(
            s,
            "connection check of {}{via}, as Microsoft Entra will see it:",
            self.server
        );
        for (label, answer) in &self.versions {
            let _ = writeln!(s, "  {label:<12} {answer}");
        }
        match &self.leaf {
            Ok(leaf) => {
                let now = time::OffsetDateTime::now_utc().unix_timestamp();
                let trust = match &leaf.trust {
                    Trust::Platform => "trusted by the platform store".to_string(),
                    Trust::CaCert => "trusted through --ca-cert only".to_string(),
                    Trust::Untrusted(why) => format!("not trusted: {why}"),
                };
                let name = match &leaf.name {
                    Ok(()) => format!("valid for {}", self.host),
                    Err(why) => format!("not valid for {} ({why})", self.host),
                };
                let _ = writeln!(
                    s,
                    "  certificate  {}, issued by {}",
                    leaf.subject, leaf.issuer
                );
                let _ = writeln!(s, "               {trust}; {name}");
                let days = leaf.days_left(now);
                let left = if days < 0 {
                    format!(
                        "expired {} days ago",
                        thousands(leaf.days_expired(now).unsigned_abs() as usize)
                    )
                } else {
                    format!("{} days left", thousands(days as usize))
                };
                let _ = writeln!(
                    s,
                    "               expires {} ({left})",
                    certificate::date(leaf.not_after)
                );
                let _ = writeln!(s, "  key          {}", leaf.key);
            }
            Err(why) => {
                let _ = writeln!(s, "  certificate  not seen: {why}");
            }
        }
        if !self.suites.is_empty() {
            let _ = writeln!(s, "  Entra's TLS 1.2 cipher suites:");
        }
        for (suite, answer) in &self.suites {
            let _ = writeln!(s, "    {suite:<40} {answer}");
        }
        if self.findings.is_empty() {
            let _ = writeln!(s, "  ✓ nothing Entra's connection requirements refuse");
        }
        for f in &self.findings {
            let _ = writeln!(s, "  ✗ {f}");
        }
        s
    }
}

/// `1024` as `1,024`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An I/O error of a TLS stream in words: the rustls error inside, if there is one.
fn words(e: &std::io::Error) -> String {
    rustls_error(e).map_or_else(|| e.to_string(), describe)
}

/// The rustls error an error comes from, through sources and I/O errors wrapping others.
fn rustls_error<'a>(mut err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    loop {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        err = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => inner,
            None => err.source()?,
        };
    }
}

/// Why a request could not get through TLS, with what to do, when that is why it failed:
/// an untrusted or unfit server certificate, or a client certificate the server wants.
pub fn refusal(e: &reqwest::Error, has_identity: bool) -> Option<String> {
    let tls = rustls_error(e)?;
    let why = reason::reason(tls);
    let todo = why.todo.map_or_else(String::new, |t| format!("; {t}"));
    Some(match tls {
        rustls::Error::InvalidCertificate(_) => format!(
            "the server's certificate is {}: {}{todo}",
            if why.untrusted {
                "not trusted"
            } else {
                "refused"
            },
            why.what
        ),
        rustls::Error::AlertReceived(_) if !has_identity => format!(
            "the server ended the TLS handshake ({}); if it requires a client certificate, pass --client-cert FILE --client-key FILE",
            why.what
        ),
        rustls::Error::AlertReceived(_) => format!(
            "the server refused the TLS handshake with the client certificate ({})",
            why.what
        ),
        _ => format!("the TLS handshake failed: {}{todo}", why.what),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(1024), "1,024");
        assert_eq!(thousands(256), "256");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
