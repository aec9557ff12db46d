//! The server's certificate as Entra judges it: who it is for and from, its key, how long it
//! is valid, and whether its chain is trusted by the platform store or only by `--ca-cert`.
//! Each question is answered apart (trust at a moment inside the validity period, the host
//! name on its own), so that one fault does not hide another.

use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use x509_parser::oid_registry;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

/// The leaf's key: its kind, size in bits and, for ECC, the curve.
pub struct Key {
    pub kind: &'static str,
    pub bits: usize,
    pub curve: Option<&'static str>,
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.curve {
            Some(c) => write!(f, "{} {c} ({} bits)", self.kind, self.bits),
            None => write!(f, "{} {} bits", self.kind, super::thousands(self.bits)),
        }
    }
}

/// Whose word the chain rests on.
pub enum Trust {
    Platform,
    /// Trusted through `--ca-cert`, not by the platform store.
    CaCert,
    Untrusted(String),
}

pub struct Leaf {
    pub subject: String,
    pub issuer: String,
    pub self_signed: bool,
    pub key: Key,
    pub not_before: i64,
    pub not_after: i64,
    /// Whether it is valid for the host the target names, and if not why.
    pub name: Result<(), String>,
    pub trust: Trust,
}

impl Leaf {
    /// Reads the chain the server presented (leaf first) for `name`.
    pub fn read(
        chain: &[CertificateDer<'static>],
        name: &ServerName<'static>,
        ca_certs: &[CertificateDer<'static>],
    ) -> Result<Leaf, String> {
        let leaf = chain.first().ok_or("the server presented no certificate")?;
        let (_, x509) = X509Certificate::from_der(leaf)
            .map_err(|e| format!("the server's certificate cannot be read: {e}"))?;
        let validity = x509.validity();
        let (not_before, not_after) = (
            validity.not_before.timestamp(),
            validity.not_after.timestamp(),
        );
        let name_ok = rustls::server::ParsedCertificate::try_from(leaf)
            .and_then(|p| rustls::client::verify_server_name(&p, name))
            .map_err(|e| super::describe(&e));
        Ok(Leaf {
            subject: x509.subject().to_string(),
            issuer: x509.issuer().to_string(),
            self_signed: x509.subject().as_raw() == x509.issuer().as_raw(),
            key: key(&x509),
            not_before,
            not_after,
            name: name_ok,
            trust: trust(chain, name, ca_certs, not_before, not_after),
        })
    }

    /// Whole days until it expires (negative once it has).
    pub fn days_left(&self, now: i64) -> i64 {
        (self.not_after - now).div_euclid(86_400)
    }

    /// Whole days since it expired, rounded down as [`Self::days_left`] is: three days and a
    /// second ago is three days ago.
    pub fn days_expired(&self, now: i64) -> i64 {
        (now - self.not_after).div_euclid(86_400)
    }
}

/// `YYYY-MM-DD` of a Unix time.
pub fn date(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .map_or_else(|_| t.to_string(), |d| d.date().to_string())
}

fn key(x509: &X509Certificate<'_>) -> Key {
    let spki = x509.public_key();
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let modulus: &[u8] = {
                let start = rsa
                    .modulus
                    .iter()
                    .position(|&b| b != 0)
                    .unwrap_or(rsa.modulus.len());
                &rsa.modulus[start..]
            };
            let bits = modulus
                .first()
                .map_or(0, |&b| 8 * modulus.len() - b.leading_zeros() as usize);
            Key {
                kind: "RSA",
                bits,
                curve: None,
            }
        }
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            let (curve, bits) = match curve {
                Some(c) if c == oid_registry::OID_EC_P256 => ("P-256", 256),
                Some(c) if c == oid_registry::OID_NIST_EC_P384 => ("P-384", 384),
                Some(c) if c == oid_registry::OID_NIST_EC_P521 => ("P-521", 521),
                _ => (
                    "on an unknown curve",
                    spki.parsed().map_or(0, |k| k.key_size()),
                ),
            };
            Key {
                kind: "ECDSA",
                bits,
                curve: Some(curve),
            }
        }
        Ok(other) => Key {
            kind: if spki.algorithm.algorithm == oid_registry::OID_SIG_ED25519 {
                "Ed25519"
            } else {
                "an unknown key type"
            },
            bits: other.key_size(),
            curve: None,
        },
        Err(_) => Key {
            kind: "an unreadable key",
            bits: 0,
            curve: None,
        },
    }
}

/// Whether the platform store, else `--ca-cert`, vouches for the chain, asked at a moment
/// inside its validity so that expiry is judged apart; a name mismatch is judged apart too.
fn trust(
    chain: &[CertificateDer<'static>],
    name: &ServerName<'static>,
    ca_certs: &[CertificateDer<'static>],
    not_before: i64,
    not_after: i64,
) -> Trust {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let at = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        now.clamp(not_before, not_after).max(0) as u64,
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verify = |v: &dyn ServerCertVerifier| match v.verify_server_cert(
        &chain[0],
        &chain[1..],
        name,
        &[],
        at,
    ) {
        Ok(_)
        | Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::NotValidForName
            | rustls::CertificateError::NotValidForNameContext { .. },
        )) => Ok(()),
        Err(e) => Err(super::describe(&e)),
    };
    let platform = rustls_platform_verifier::Verifier::new(provider.clone())
        .map_err(|e| format!("the platform store cannot be read: {e}"))
        .and_then(|v| verify(&v));
    let Err(why) = platform else {
        return Trust::Platform;
    };
    if ca_certs.is_empty() {
        return Trust::Untrusted(why);
    }
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(ca_certs.iter().cloned());
    // The run trusts a --ca-cert certificate the server presents as its own (pinned); it is
    // still scimitar's word, not the platform's.
    match rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .map_err(|e| e.to_string())
    .and_then(|v| verify(&super::ServerTrust::pinning(v, ca_certs, provider)))
    {
        Ok(()) => Trust::CaCert,
        Err(e) => Trust::Untrusted(format!("{why}; nor by --ca-cert: {e}")),
    }
}
