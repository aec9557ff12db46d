//! Full TLS handshakes with rustls, one version or one cipher suite offered at a time. The
//! verifier records the certificate chain and accepts it, so that a chain the client would
//! refuse (expired, untrusted, a 1,024-bit key) can still be inspected: nothing is sent over
//! these connections, and trust is judged apart (see [`super::certificate`]).

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::ring;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    DigitallySignedStruct, SignatureScheme, SupportedCipherSuite, SupportedProtocolVersion,
};

use super::dial::Dialer;
use crate::client::network::Identity;

/// Keeps what the server presented; accepts it and every signature.
#[derive(Debug)]
struct Recorder {
    chain: Mutex<Vec<CertificateDer<'static>>>,
    schemes: Vec<SignatureScheme>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut chain = self.chain.lock().unwrap_or_else(|e| e.into_inner());
        *chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

/// A handshake offering only `version` and, if given, only `suite`; the chain the server
/// presented when it completed.
pub async fn handshake(
    dialer: &Dialer,
    name: &ServerName<'static>,
    version: &'static SupportedProtocolVersion,
    suite: Option<SupportedCipherSuite>,
    identity: Option<&Identity>,
) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut provider = ring::default_provider();
    provider.cipher_suites = match suite {
        Some(s) => vec![s],
        // Every suite rustls has, ChaCha20 too, so that the version is what is asked.
        None => ring::ALL_CIPHER_SUITES.to_vec(),
    };
    let recorder = Arc::new(Recorder {
        chain: Mutex::new(Vec::new()),
        schemes: provider
            .signature_verification_algorithms
            .supported_schemes(),
    });
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[version])
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone());
    let config = match identity {
        Some(id) => builder
            .with_client_auth_cert(id.chain.clone(), id.key.clone_key())
            .map_err(|e| format!("--client-key: {e}"))?,
        None => builder.with_no_client_auth(),
    };
    let stream = dialer.dial().await?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tls = tokio::time::timeout(dialer.timeout(), connector.connect(name.clone(), stream))
        .await
        .map_err(|_| "no answer to the handshake".to_string())?
        .map_err(|e| super::words(&e))?;
    drop(tls);
    let chain = recorder.chain.lock().unwrap_or_else(|e| e.into_inner());
    Ok(chain.clone())
}

/// The suite numbered `id`, if rustls can offer it (of Entra's, the GCM ones).
pub fn suite(id: u16) -> Option<SupportedCipherSuite> {
    ring::ALL_CIPHER_SUITES
        .iter()
        .copied()
        .find(|s| u16::from(s.suite()) == id)
}
