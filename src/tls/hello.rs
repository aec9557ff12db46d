//! What rustls cannot offer, asked with a minimal ClientHello built and answered through
//! tls-parser: whether the server still accepts TLS 1.0 or 1.1, and which of Entra's CBC
//! suites it accepts under TLS 1.2. The server's ServerHello (or its alert) is the answer;
//! the handshake goes no further.

use tls_parser::{
    NamedGroup, SNIType, TlsCipherSuiteID, TlsClientHelloContents, TlsCompressionID, TlsExtension,
    TlsMessage, TlsMessageHandshake, TlsPlaintext, TlsRecordHeader, TlsRecordType, TlsVersion,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::Answer;
use super::dial::Dialer;

/// Suites a TLS 1.0/1.1 server would pick from: ECDHE and plain RSA with AES-CBC-SHA, 3DES.
const LEGACY_SUITES: [u16; 7] = [0xc013, 0xc014, 0xc009, 0xc00a, 0x002f, 0x0035, 0x000a];

/// The signature schemes offered under TLS 1.2: ECDSA P-256/P-384, RSA-PSS, RSA PKCS#1.
const SIGNATURE_SCHEMES: [u16; 7] = [0x0403, 0x0503, 0x0804, 0x0805, 0x0401, 0x0501, 0x0201];

/// Offers `version` (0x0301 TLS 1.0, 0x0302 TLS 1.1, 0x0303 TLS 1.2) with `suites` (the
/// legacy ones when empty): accepted when the server answers a ServerHello of that version
/// with one of them.
pub async fn offer(dialer: &Dialer, host: &str, version: u16, suites: &[u16]) -> Answer {
    let suites = if suites.is_empty() {
        &LEGACY_SUITES[..]
    } else {
        suites
    };
    let hello = match client_hello(host, version, suites) {
        Ok(h) => h,
        Err(e) => return Answer::NotProbed(format!("the ClientHello cannot be built: {e}")),
    };
    let mut stream = match dialer.dial().await {
        Ok(s) => s,
        Err(e) => return Answer::NotProbed(e),
    };
    let answer = async {
        stream.write_all(&hello).await?;
        let mut buf = Vec::new();
        // A record header, then as much as it announces (one record is all that is read).
        loop {
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.len() >= 5 && buf.len() >= 5 + usize::from(u16::from_be_bytes([buf[3], buf[4]]))
            {
                break;
            }
        }
        Ok::<_, std::io::Error>(buf)
    };
    match tokio::time::timeout(dialer.timeout(), answer).await {
        Err(_) => Answer::Refused("no answer".into()),
        // A reset is how some servers refuse.
        Ok(Err(e)) => Answer::Refused(format!("the connection failed: {e}")),
        Ok(Ok(bytes)) => judge(&bytes, version, suites),
    }
}

/// The ClientHello record: the version, the suites, no compression, and the extensions a
/// server needs to answer ECDHE suites (SNI, groups, point formats, signature schemes).
fn client_hello(host: &str, version: u16, suites: &[u16]) -> Result<Vec<u8>, String> {
    use tls_parser::Serialize;
    let mut ext = Vec::new();
    let mut known = vec![TlsExtension::EllipticCurves(vec![
        NamedGroup::EcdhX25519,
        NamedGroup::Secp256r1,
        NamedGroup::Secp384r1,
    ])];
    // SNI names a host, never an address (RFC 6066 §3).
    if host.parse::<std::net::IpAddr>().is_err() {
        known.insert(
            0,
            TlsExtension::SNI(vec![(SNIType::HostName, host.as_bytes())]),
        );
    }
    for e in &known {
        let bytes = cookie_factory::gen_simple(tls_parser::gen_tls_extension(e), Vec::new())
            .map_err(|e| e.to_string())?;
        ext.extend(bytes);
    }
    // tls-parser does not write these two: point formats (uncompressed only) and the
    // signature schemes, each a type, a length and the body.
    let mut raw = |kind: u16, body: &[u8]| {
        ext.extend(kind.to_be_bytes());
        ext.extend((body.len() as u16).to_be_bytes());
        ext.extend(body);
    };
    raw(0x000b, &[1, 0]);
    let schemes: Vec<u8> = SIGNATURE_SCHEMES
        .iter()
        .flat_map(|s| s.to_be_bytes())
        .collect();
    let mut list = (schemes.len() as u16).to_be_bytes().to_vec();
    list.extend(schemes);
    if version >= 0x0303 {
        raw(0x000d, &list);
    }
    let random: Vec<u8> = uuid::Uuid::new_v4()
        .into_bytes()
        .into_iter()
        .chain(uuid::Uuid::new_v4().into_bytes())
        .collect();
    let hello = TlsClientHelloContents::new(
        version,
        &random,
        None,
        suites.iter().map(|&s| TlsCipherSuiteID(s)).collect(),
        vec![TlsCompressionID(0)],
        Some(&ext),
    );
    let record = TlsPlaintext {
        hdr: TlsRecordHeader {
            record_type: TlsRecordType::Handshake,
            // The record layer says TLS 1.0, as clients do for compatibility.
            version: TlsVersion(0x0301),
            len: 0,
        },
        msg: vec![TlsMessage::Handshake(TlsMessageHandshake::ClientHello(
            hello,
        ))],
    };
    record.serialize().map_err(|e| e.to_string())
}

/// The first record the server sent, read by tls-parser: a ServerHello of the version and a
/// suite offered is acceptance; an alert, another version or nothing is refusal.
fn judge(bytes: &[u8], version: u16, suites: &[u16]) -> Answer {
    if bytes.is_empty() {
        return Answer::Refused("the server closed the connection".into());
    }
    let Ok((_, record)) = tls_parser::parse_tls_raw_record(bytes) else {
        return Answer::Refused("the server answered something other than TLS".into());
    };
    let message = match record.hdr.record_type {
        TlsRecordType::Handshake => tls_parser::parse_tls_message_handshake(record.data),
        TlsRecordType::Alert => tls_parser::parse_tls_message_alert(record.data),
        other => return Answer::Refused(format!("the server answered a {other:?} record")),
    };
    match message {
        Ok((_, TlsMessage::Handshake(TlsMessageHandshake::ServerHello(sh)))) => {
            if sh.version.0 != version {
                Answer::Refused(format!(
                    "the server answered with version {:#06x}",
                    sh.version
                ))
            } else if !suites.contains(&sh.cipher.0) {
                Answer::Refused(format!(
                    "the server chose a suite not offered: {:?}",
                    sh.cipher
                ))
            } else {
                Answer::Accepted
            }
        }
        Ok((_, TlsMessage::Alert(a))) => Answer::Refused(super::describe(
            &rustls::Error::AlertReceived(rustls::AlertDescription::from(a.code.0)),
        )),
        Ok(_) => Answer::Refused("the server answered without a ServerHello".into()),
        Err(_) => Answer::Refused("the server's answer is not a TLS message".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tls_parser::{Serialize, TlsServerHelloContents};

    fn server_hello(version: u16, cipher: u16) -> Vec<u8> {
        let random = [7u8; 32];
        TlsPlaintext {
            hdr: TlsRecordHeader {
                record_type: TlsRecordType::Handshake,
                version: TlsVersion(version),
                len: 0,
            },
            msg: vec![TlsMessage::Handshake(TlsMessageHandshake::ServerHello(
                TlsServerHelloContents {
                    version: TlsVersion(version),
                    random: &random,
                    session_id: None,
                    cipher: TlsCipherSuiteID(cipher),
                    compression: TlsCompressionID(0),
                    ext: None,
                },
            ))],
        }
        .serialize()
        .unwrap()
    }

    #[test]
    fn a_server_hello_of_the_version_and_a_suite_offered_is_acceptance() {
        assert!(matches!(
            judge(&server_hello(0x0301, 0xc013), 0x0301, &LEGACY_SUITES),
            Answer::Accepted
        ));
        // A TLS 1.1 ClientHello answered with TLS 1.0 is not TLS 1.1 accepted.
        assert!(matches!(
            judge(&server_hello(0x0301, 0xc013), 0x0302, &LEGACY_SUITES),
            Answer::Refused(_)
        ));
        assert!(matches!(
            judge(&server_hello(0x0303, 0xc02f), 0x0303, &[0xc027]),
            Answer::Refused(_)
        ));
        // handshake_failure, fatal
        let alert = [21, 3, 3, 0, 2, 2, 40];
        assert!(
            matches!(judge(&alert, 0x0302, &LEGACY_SUITES), Answer::Refused(w) if w.contains("alert: handshake failure"))
        );
        assert!(matches!(
            judge(b"HTTP/1.1 400", 0x0301, &LEGACY_SUITES),
            Answer::Refused(_)
        ));
    }

    #[test]
    fn the_client_hello_parses_back_with_what_was_offered() {
        let bytes = client_hello("scim.example.com", 0x0302, &LEGACY_SUITES).unwrap();
        let (_, record) = tls_parser::parse_tls_plaintext(&bytes).unwrap();
        let Some(TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch))) = record.msg.first()
        else {
            panic!("not a ClientHello: {record:?}");
        };
        assert_eq!(ch.version, TlsVersion(0x0302));
        assert_eq!(ch.ciphers.len(), LEGACY_SUITES.len());
        let (_, ext) = tls_parser::parse_tls_extensions(ch.ext.unwrap()).unwrap();
        assert!(
            ext.iter().any(|e| matches!(e, TlsExtension::SNI(_))),
            "{ext:?}"
        );
        assert!(
            ext.iter()
                .any(|e| matches!(e, TlsExtension::EcPointFormats(_))),
            "{ext:?}"
        );
    }
}
