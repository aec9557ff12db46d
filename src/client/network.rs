//! How a target is reached on a real network: CA certificates trusted beside the platform's
//! (a private CA, a self-signed staging server), a client certificate for mutual TLS,
//! verification switched off when asked, and the proxy: `--proxy`, else `HTTPS_PROXY`,
//! `HTTP_PROXY` and `ALL_PROXY` with `NO_PROXY`, as reqwest reads them. Credentials in a proxy
//! URL are secrets like the token, scrubbed from everything scimitar writes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::secret::Secret;
use crate::tls::ServerTrust;

/// The environment variables a proxy may come from (reqwest's and curl's names).
const PROXY_VARIABLES: [&str; 6] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
];

#[derive(Default)]
pub struct Network {
    /// Trusted beside the platform store.
    pub ca_certs: Vec<CertificateDer<'static>>,
    /// Presented when the server asks for a client certificate.
    pub identity: Option<Identity>,
    /// The server's certificate is not verified.
    pub insecure: bool,
    /// Used instead of the environment's proxy; `NO_PROXY` still applies.
    pub proxy: Option<String>,
    /// The proxies' credentials, to scrub.
    secrets: Vec<Secret>,
}

/// A client certificate chain and its private key.
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Identity {
    /// The chain in `cert` and the key in `key` (PEM files).
    pub fn load(cert: &Path, key: &Path) -> Result<Identity, String> {
        let cert_pem = read(cert, "--client-cert")?;
        let chain = certificates(&cert_pem, cert, "--client-cert")?;
        let key_pem = read(key, "--client-key")?;
        let key_der = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
            format!(
                "--client-key {}: no PEM private key in it ({e})",
                key.display()
            )
        })?;
        Ok(Identity {
            chain,
            key: key_der,
        })
    }
}

impl Network {
    /// The options as given on the command line; files that cannot be read or hold no PEM
    /// certificate or key are errors.
    pub fn load(
        ca_certs: &[PathBuf],
        client: Option<(&Path, &Path)>,
        insecure: bool,
        proxy: Option<String>,
    ) -> Result<Network, String> {
        let mut certs = Vec::new();
        for path in ca_certs {
            certs.extend(certificates(&read(path, "--ca-cert")?, path, "--ca-cert")?);
        }
        let identity = client
            .map(|(cert, key)| Identity::load(cert, key))
            .transpose()?;
        let mut network = Network {
            ca_certs: certs,
            identity,
            insecure,
            proxy,
            secrets: Vec::new(),
        };
        network.secrets = network.proxy_secrets();
        if let Some(p) = &network.proxy {
            reqwest::Proxy::all(p)
                .map_err(|e| network.scrub(&format!("--proxy {p} is not a proxy URL: {e}")))?;
        }
        Ok(network)
    }

    /// The proxy URLs this run may use: `--proxy`, or those in the environment.
    fn proxy_urls(&self) -> Vec<String> {
        match &self.proxy {
            Some(p) => vec![p.clone()],
            None => PROXY_VARIABLES
                .iter()
                .filter_map(|v| std::env::var(v).ok())
                .collect(),
        }
    }

    /// The credentials written into the proxy URLs, as written, decoded and as the Basic
    /// pair a `Proxy-Authorization` header carries.
    fn proxy_secrets(&self) -> Vec<Secret> {
        use base64::Engine;
        let mut out = Vec::new();
        for raw in self.proxy_urls() {
            // A bare `user:password@host:port` is a proxy URL to reqwest too.
            let full = if raw.contains("://") {
                raw.clone()
            } else {
                format!("http://{raw}")
            };
            let Ok(u) = url::Url::parse(&full) else {
                continue;
            };
            let Some(password) = u.password() else {
                continue;
            };
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map_or_else(|| s.to_string(), |(_, v)| v.into_owned())
            };
            let (user, plain) = (decode(u.username()), decode(password));
            let pair = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{plain}"));
            out.extend(
                [
                    format!("{}:{password}", u.username()),
                    password.to_string(),
                    plain,
                    pair,
                ]
                .into_iter()
                .map(Secret::new),
            );
        }
        out
    }

    /// `text` without the proxies' credentials.
    pub fn scrub(&self, text: &str) -> String {
        self.secrets
            .iter()
            .fold(text.to_string(), |t, s| s.scrub(&t))
    }

    /// `builder` set up with [`Network::tls`], and `--proxy` (reqwest reads the
    /// environment's itself).
    pub fn apply(&self, builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, String> {
        let mut b = builder.tls_backend_preconfigured(self.tls()?);
        if let Some(p) = &self.proxy {
            b = b.proxy(
                reqwest::Proxy::all(p)
                    .map_err(|e| self.scrub(&e.to_string()))?
                    .no_proxy(reqwest::NoProxy::from_env()),
            );
        }
        Ok(b)
    }

    /// The TLS of the run's requests, built here rather than by reqwest so that a
    /// `--ca-cert` certificate the server presents as its own is pinned (see
    /// [`ServerTrust`]): the platform store and the CA certificates, the client certificate,
    /// no verification if asked; TLS 1.2 and 1.3, HTTP/1.1, as reqwest would.
    fn tls(&self) -> Result<rustls::ClientConfig, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let trust = ServerTrust::run(&self.ca_certs, self.insecure, provider.clone())?;
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(trust));
        let mut config = match &self.identity {
            Some(id) => builder
                .with_client_auth_cert(id.chain.clone(), id.key.clone_key())
                .map_err(|e| format!("--client-cert/--client-key: {e}"))?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

fn read(path: &Path, flag: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {flag} {}: {e}", path.display()))
}

/// Every certificate of a PEM file; none is an error.
fn certificates(
    pem: &[u8],
    path: &Path,
    flag: &str,
) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{flag} {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{flag} {}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it",
            path.display()
        ));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_credentials_are_scrubbed_as_written_decoded_and_encoded() {
        let n = Network {
            proxy: Some("http://ann:p%40ss-1@proxy.example:3128".into()),
            ..Network::default()
        };
        let n = Network {
            secrets: n.proxy_secrets(),
            ..n
        };
        // base64("ann:p@ss-1")
        let t = n.scrub("ann:p%40ss-1@proxy p@ss-1 YW5uOnBAc3MtMQ==");
        assert_eq!(t, "[REDACTED]@proxy [REDACTED] [REDACTED]");
        assert_eq!(
            n.scrub("http://ann:p%40ss-1@proxy.example:3128"),
            "http://[REDACTED]@proxy.example:3128"
        );
        let bare = Network {
            proxy: Some("bob:hunter-2@10.0.0.1:8080".into()),
            ..Network::default()
        };
        assert_eq!(bare.proxy_secrets()[1].scrub("hunter-2"), "[REDACTED]");
    }

    #[test]
    fn a_file_without_a_certificate_is_named() {
        let e = certificates(b"not pem", Path::new("ca.pem"), "--ca-cert").unwrap_err();
        assert!(
            e.contains("--ca-cert ca.pem") && e.contains("no PEM certificate"),
            "{e}"
        );
    }
}
