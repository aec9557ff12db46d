//! How scimitar's own requests judge the server's certificate: by a store of roots (the
//! platform's, with `--ca-cert`'s beside it), except that a `--ca-cert` certificate that is
//! the very one the server presents is pinned, as curl does: it is trusted as it stands,
//! whether or not it is marked as a CA (`openssl req -x509` marks it so by default), and
//! only its host names and validity period are checked. `--insecure` trusts anything.
//! Handshake signatures are verified either way, with the crypto provider's algorithms.

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use x509_parser::prelude::{FromDer, X509Certificate};

#[derive(Debug)]
pub struct ServerTrust {
    provider: Arc<CryptoProvider>,
    judge: Judge,
}

#[derive(Debug)]
enum Judge {
    /// `--insecure`.
    Anything,
    /// The store's word, or, for a certificate in `pins`, the certificate's own.
    Store {
        store: Arc<dyn ServerCertVerifier>,
        pins: Vec<CertificateDer<'static>>,
    },
}

impl ServerTrust {
    /// What the run's requests trust: the platform store with `ca_certs` as further roots,
    /// and `ca_certs` pinned; with `insecure`, anything.
    pub fn run(
        ca_certs: &[CertificateDer<'static>],
        insecure: bool,
        provider: Arc<CryptoProvider>,
    ) -> Result<ServerTrust, String> {
        if insecure {
            return Ok(ServerTrust {
                provider,
                judge: Judge::Anything,
            });
        }
        let store = rustls_platform_verifier::Verifier::new_with_extra_roots(
            ca_certs.iter().cloned(),
            provider.clone(),
        )
        .map_err(|e| format!("the platform's trust store cannot be read: {e}"))?;
        Ok(ServerTrust::pinning(Arc::new(store), ca_certs, provider))
    }

    /// `store`'s judgement, with `pins` trusted as they stand.
    pub fn pinning(
        store: Arc<dyn ServerCertVerifier>,
        pins: &[CertificateDer<'static>],
        provider: Arc<CryptoProvider>,
    ) -> ServerTrust {
        ServerTrust {
            provider,
            judge: Judge::Store {
                store,
                pins: pins.to_vec(),
            },
        }
    }
}

impl ServerCertVerifier for ServerTrust {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.judge {
            Judge::Anything => Ok(ServerCertVerified::assertion()),
            Judge::Store { pins, .. } if pins.iter().any(|p| p[..] == end_entity[..]) => {
                pinned(end_entity, server_name, now)
            }
            Judge::Store { store, .. } => {
                store.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A pinned certificate holds if it names the host and is valid `now`.
fn pinned(
    cert: &CertificateDer<'_>,
    name: &ServerName<'_>,
    now: UnixTime,
) -> Result<ServerCertVerified, rustls::Error> {
    let parsed = rustls::server::ParsedCertificate::try_from(cert)?;
    rustls::client::verify_server_name(&parsed, name)?;
    let (_, x509) = X509Certificate::from_der(cert).map_err(|_| CertificateError::BadEncoding)?;
    let validity = x509.validity();
    let at = |t: i64| UnixTime::since_unix_epoch(Duration::from_secs(t.max(0) as u64));
    let (not_before, not_after) = (
        validity.not_before.timestamp(),
        validity.not_after.timestamp(),
    );
    let time = now.as_secs() as i64;
    if time > not_after {
        return Err(CertificateError::ExpiredContext {
            time: now,
            not_after: at(not_after),
        }
        .into());
    }
    if time < not_before {
        return Err(CertificateError::NotValidYetContext {
            time: now,
            not_before: at(not_before),
        }
        .into());
    }
    Ok(ServerCertVerified::assertion())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};

    /// A self-signed certificate for localhost marked as a CA, as `openssl req -x509` makes.
    fn ca_marked(days: i64) -> CertificateDer<'static> {
        let mut p = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let now = time::OffsetDateTime::now_utc();
        p.not_before = now - time::Duration::days(30);
        p.not_after = now + time::Duration::days(days);
        p.self_signed(&KeyPair::generate().unwrap())
            .unwrap()
            .der()
            .clone()
    }

    /// The run's trust with `cert` given as --ca-cert, and with `pins`.
    fn trust(cert: &CertificateDer<'static>, pins: &[CertificateDer<'static>]) -> ServerTrust {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert.clone()).unwrap();
        let store = rustls::client::WebPkiServerVerifier::builder_with_provider(
            roots.into(),
            provider.clone(),
        )
        .build()
        .unwrap();
        ServerTrust::pinning(store, pins, provider)
    }

    fn verify(t: &ServerTrust, cert: &CertificateDer<'_>, host: &str) -> Result<(), String> {
        let name = ServerName::try_from(host.to_string()).unwrap();
        t.verify_server_cert(cert, &[], &name, &[], UnixTime::now())
            .map(|_| ())
            .map_err(|e| super::super::describe(&e))
    }

    #[test]
    fn the_servers_own_certificate_is_pinned_whatever_its_ca_flag() {
        let cert = ca_marked(2);
        let unpinned = verify(&trust(&cert, &[]), &cert, "localhost").unwrap_err();
        assert!(unpinned.contains("marked as a CA"), "{unpinned}");
        let pinned = trust(&cert, std::slice::from_ref(&cert));
        assert_eq!(verify(&pinned, &cert, "localhost"), Ok(()));
        assert_eq!(verify(&pinned, &cert, "127.0.0.1"), Ok(()));
    }

    #[test]
    fn a_pinned_certificate_must_still_name_the_host_and_be_valid() {
        let cert = ca_marked(2);
        let pinned = trust(&cert, std::slice::from_ref(&cert));
        let e = verify(&pinned, &cert, "other.example").unwrap_err();
        assert_eq!(
            e,
            "it is not valid for other.example, only for localhost, 127.0.0.1"
        );
        let expired = ca_marked(-3);
        let e = verify(
            &trust(&expired, std::slice::from_ref(&expired)),
            &expired,
            "localhost",
        )
        .unwrap_err();
        assert!(
            e.starts_with("it expired on ") && e.ends_with("(3 days ago)"),
            "{e}"
        );
    }

    #[test]
    fn only_the_very_certificate_is_pinned() {
        let (cert, other) = (ca_marked(2), ca_marked(2));
        let e = verify(
            &trust(&other, std::slice::from_ref(&other)),
            &cert,
            "localhost",
        )
        .unwrap_err();
        assert!(e.contains("marked as a CA"), "{e}");
    }
}
