//! Why a TLS handshake or the server's certificate is refused, in words: what is wrong and,
//! where scimitar's user can do something about it, what. rustls and webpki print many of
//! their errors as the Rust value (`Other(OtherError(CaUsedAsEndEntity))`); none of that
//! reaches the user.

use rustls::CertificateError as C;

/// What is wrong, and what to do about it when scimitar is the client.
pub struct Reason {
    pub what: String,
    pub todo: Option<&'static str>,
    /// The certificate is not trusted, rather than unfit.
    pub untrusted: bool,
}

impl Reason {
    fn new(what: impl Into<String>, todo: Option<&'static str>) -> Reason {
        Reason {
            what: what.into(),
            todo,
            untrusted: false,
        }
    }

    fn untrusted(what: impl Into<String>, todo: &'static str) -> Reason {
        Reason {
            untrusted: true,
            ..Reason::new(what, Some(todo))
        }
    }
}

const RENEW: Option<&str> = Some("the server needs a renewed certificate");
const CLOCK: Option<&str> = Some("check the clocks of the server and of this machine");
const NAME: Option<&str> = Some(
    "connect with a host name the certificate is for, or give the server a certificate for this one",
);
const REISSUE: Option<&str> = Some("the server needs a certificate issued afresh");

/// `e` in words: what is wrong (the handshake's or the certificate's), without the advice.
pub fn describe(e: &rustls::Error) -> String {
    reason(e).what
}

pub fn reason(e: &rustls::Error) -> Reason {
    use rustls::Error as E;
    match e {
        E::InvalidCertificate(c) => certificate(c),
        E::Other(o) => match o.0.downcast_ref::<webpki::Error>() {
            Some(w) => verifier(w),
            None => Reason::new(o.to_string(), None),
        },
        E::AlertReceived(a) => Reason::new(
            format!("the server answered with an alert: {}", spaced(a)),
            None,
        ),
        E::PeerIncompatible(why) => Reason::new(
            format!(
                "the server's TLS is incompatible with scimitar's: {}",
                spaced(why)
            ),
            None,
        ),
        E::PeerMisbehaved(why) => Reason::new(
            format!("the server broke the TLS protocol: {}", spaced(why)),
            None,
        ),
        E::InappropriateMessage { got_type, .. } => Reason::new(
            format!("the server sent an unexpected {} message", spaced(got_type)),
            None,
        ),
        E::InappropriateHandshakeMessage { got_type, .. } => Reason::new(
            format!(
                "the server sent an unexpected {} handshake message",
                spaced(got_type)
            ),
            None,
        ),
        E::InvalidMessage(m) => Reason::new(
            format!("the server sent a malformed message: {}", spaced(m)),
            None,
        ),
        E::InvalidCertRevocationList(why) => Reason::new(
            format!("a certificate revocation list is unusable: {}", spaced(why)),
            None,
        ),
        E::InvalidEncryptedClientHello(why) => Reason::new(
            format!("encrypted ClientHello failed: {}", spaced(why)),
            None,
        ),
        E::InconsistentKeys(why) => Reason::new(
            format!(
                "the client certificate and its key do not go together: {}",
                spaced(why)
            ),
            Some("pass the key that belongs to --client-cert with --client-key"),
        ),
        other => Reason::new(other.to_string(), None),
    }
}

/// What rustls says of the certificate.
fn certificate(c: &C) -> Reason {
    match c {
        C::UnknownIssuer => Reason::untrusted(
            "its issuer is in neither the platform store nor --ca-cert (a private CA, or a self-signed certificate)",
            "pass the CA's certificate, or the self-signed certificate itself, with --ca-cert FILE (PEM)",
        ),
        C::BadEncoding => Reason::new("it is not a well-formed X.509 certificate", REISSUE),
        C::Expired => Reason::new("it has expired", RENEW),
        C::ExpiredContext { time, not_after } => Reason::new(
            format!(
                "it expired on {} ({} days ago)",
                super::certificate::date(not_after.as_secs() as i64),
                time.as_secs().saturating_sub(not_after.as_secs()) / 86_400
            ),
            RENEW,
        ),
        C::NotValidYet => Reason::new("it is not valid yet", CLOCK),
        C::NotValidYetContext { not_before, .. } => Reason::new(
            format!(
                "it is not valid before {}",
                super::certificate::date(not_before.as_secs() as i64)
            ),
            CLOCK,
        ),
        C::Revoked => Reason::new("its issuer has revoked it", REISSUE),
        C::UnhandledCriticalExtension => Reason::new(
            "it has an extension marked critical that cannot be processed",
            REISSUE,
        ),
        C::UnknownRevocationStatus => {
            Reason::new("whether it has been revoked cannot be told", None)
        }
        C::ExpiredRevocationList | C::ExpiredRevocationListContext { .. } => {
            Reason::new("the revocation list to check it against has expired", None)
        }
        C::BadSignature => Reason::untrusted(
            "its signature does not verify with its issuer's key",
            "the server must present the chain that issued its certificate",
        ),
        #[allow(deprecated)]
        C::UnsupportedSignatureAlgorithm
        | C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => Reason::new(
            "it is signed with an algorithm scimitar does not verify",
            Some("the server needs a certificate signed with RSA, ECDSA or Ed25519 over SHA-2"),
        ),
        C::NotValidForName => Reason::new("it is not valid for this host name", NAME),
        C::NotValidForNameContext {
            expected,
            presented,
        } => Reason::new(
            match presented.as_slice() {
                [] => format!(
                    "it is not valid for {}: it names no host (no subjectAltName)",
                    expected.to_str()
                ),
                names => format!(
                    "it is not valid for {}, only for {}",
                    expected.to_str(),
                    names.iter().map(|n| bare(n)).collect::<Vec<_>>().join(", ")
                ),
            },
            NAME,
        ),
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => Reason::new(
            "it is not for server authentication (its extended key usage lacks serverAuth)",
            Some("the server needs a certificate whose extended key usage includes serverAuth"),
        ),
        C::InvalidOcspResponse => Reason::new("the OCSP response stapled to it is invalid", None),
        C::ApplicationVerificationFailure => Reason::new("it failed a check of the verifier", None),
        C::Other(o) => match o.0.downcast_ref::<webpki::Error>() {
            Some(w) => verifier(w),
            None => Reason::new(format!("the verifier refused it: {o}"), None),
        },
        other => Reason::new(format!("the verifier refused it: {}", spaced(other)), None),
    }
}

/// What webpki says of the certificate when rustls passes it on as it is.
fn verifier(e: &webpki::Error) -> Reason {
    use webpki::Error as W;
    match e {
        W::CaUsedAsEndEntity => Reason::untrusted(
            "it is marked as a CA (CA:TRUE, as `openssl req -x509` makes it by default) yet presented as the server's own",
            "give that very certificate with --ca-cert FILE (PEM) to pin it, or give the server one that is not a CA",
        ),
        W::EndEntityUsedAsCa => Reason::untrusted(
            "its chain has a certificate that is not a CA (CA:FALSE) issuing another",
            "the server's chain must be issued by CA certificates",
        ),
        W::CertDistrusted => Reason::untrusted(
            "its CA is distrusted",
            "the server needs a certificate from another CA",
        ),
        W::NameConstraintViolation | W::InvalidNetworkMaskConstraint => Reason::untrusted(
            "it names a host its CA may not certify (name constraints)",
            "the server needs a certificate from a CA allowed to certify this host",
        ),
        W::PathLenConstraintViolated | W::MaximumPathDepthExceeded => Reason::untrusted(
            "its chain is longer than its CAs allow",
            "the server must present a shorter chain",
        ),
        W::MaximumPathBuildCallsExceeded
        | W::MaximumSignatureChecksExceeded
        | W::MaximumNameConstraintComparisonsExceeded => Reason::untrusted(
            "its chain is too complex to verify",
            "the server must present a simpler chain",
        ),
        W::UnsupportedCriticalExtension => certificate(&C::UnhandledCriticalExtension),
        W::UnsupportedNameType => {
            Reason::new("it names the host in a form that cannot be checked", NAME)
        }
        W::BadDer
        | W::BadDerTime
        | W::TrailingData(_)
        | W::MalformedExtensions
        | W::MalformedDnsIdentifier
        | W::MalformedNameConstraint
        | W::ExtensionValueInvalid
        | W::EmptyEkuExtension
        | W::InvalidSerialNumber
        | W::InvalidCertValidity
        | W::UnsupportedCertVersion
        | W::SignatureAlgorithmMismatch => {
            Reason::new(format!("it is malformed: {}", spaced(e)), REISSUE)
        }
        W::CrlExpired { .. }
        | W::InvalidCrlNumber
        | W::InvalidCrlSignatureForPublicKey
        | W::IssuerNotCrlSigner
        | W::UnsupportedCrlIssuingDistributionPoint
        | W::UnsupportedCrlVersion
        | W::UnsupportedDeltaCrl
        | W::UnsupportedIndirectCrl
        | W::UnsupportedRevocationReason
        | W::UnsupportedRevocationReasonsPartitioning => Reason::new(
            format!(
                "a revocation list to check it against cannot be used: {}",
                spaced(e)
            ),
            None,
        ),
        other => Reason::new(format!("the verifier refused it: {}", spaced(other)), None),
    }
}

/// A name webpki presents, `DnsName("a.example")` or `IpAddress(192.0.2.1)`, as `a.example`
/// or `192.0.2.1`.
fn bare(presented: &str) -> &str {
    presented
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .map_or(presented, |n| n.trim_matches('"'))
}

/// A Rust value's name in words: `CaUsedAsEndEntity` as `ca used as end entity`, `UnknownCA`
/// as `unknown CA`; its fields, if any, left out.
fn spaced(value: &dyn std::fmt::Debug) -> String {
    let debug = format!("{value:?}");
    let name: Vec<char> = debug
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let mut words: Vec<String> = Vec::new();
    for (i, &c) in name.iter().enumerate() {
        let starts = i == 0
            || c.is_ascii_uppercase()
                && (name[i - 1].is_ascii_lowercase()
                    || name.get(i + 1).is_some_and(|n| n.is_ascii_lowercase()));
        if starts {
            words.push(String::new());
        }
        if let Some(w) = words.last_mut() {
            w.push(c);
        }
    }
    words
        .iter()
        .map(|w| {
            if w.len() > 1 && w.chars().all(|c| !c.is_ascii_lowercase()) {
                w.clone()
            } else {
                w.to_ascii_lowercase()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn other(e: webpki::Error) -> rustls::Error {
        C::Other(rustls::OtherError(Arc::new(e))).into()
    }

    /// No Rust value shows through.
    fn words(s: &str) -> bool {
        !["{", "Other", "Error", "::"].iter().any(|v| s.contains(v))
    }

    #[test]
    fn a_ca_used_as_the_servers_own_certificate_says_to_pin_it() {
        let r = reason(&other(webpki::Error::CaUsedAsEndEntity));
        assert!(r.untrusted);
        assert!(r.what.contains("marked as a CA"), "{}", r.what);
        assert!(
            r.todo.is_some_and(|t| t.contains("--ca-cert")),
            "{:?}",
            r.todo
        );
        assert!(!r.what.contains("CaUsedAsEndEntity") && !r.what.contains("OtherError"));
    }

    #[test]
    fn errors_without_a_sentence_of_their_own_are_still_words() {
        for e in [
            other(webpki::Error::UnsupportedDeltaCrl),
            other(webpki::Error::MalformedExtensions),
            C::Other(rustls::OtherError(Arc::new(std::io::Error::other(
                "certificate had invalid extensions",
            ))))
            .into(),
            rustls::Error::AlertReceived(rustls::AlertDescription::UnknownCA),
            rustls::Error::PeerIncompatible(rustls::PeerIncompatible::NoCipherSuitesInCommon),
        ] {
            let what = describe(&e);
            assert!(words(&what), "{what}");
        }
        assert_eq!(
            describe(&other(webpki::Error::UnsupportedDeltaCrl)),
            "a revocation list to check it against cannot be used: unsupported delta crl"
        );
        assert_eq!(
            describe(&rustls::Error::AlertReceived(
                rustls::AlertDescription::UnknownCA
            )),
            "the server answered with an alert: unknown CA"
        );
    }

    #[test]
    fn names_are_split_into_words() {
        assert_eq!(
            spaced(&webpki::Error::CaUsedAsEndEntity),
            "ca used as end entity"
        );
        assert_eq!(spaced(&rustls::AlertDescription::UnknownCA), "unknown CA");
        assert_eq!(
            spaced(&C::ExpiredRevocationListContext {
                time: rustls::pki_types::UnixTime::since_unix_epoch(Default::default()),
                next_update: rustls::pki_types::UnixTime::since_unix_epoch(Default::default()),
            }),
            "expired revocation list context"
        );
    }

    #[test]
    fn a_name_mismatch_names_both_sides() {
        let e: rustls::Error = C::NotValidForNameContext {
            expected: rustls::pki_types::ServerName::try_from("localhost").unwrap(),
            presented: vec![
                r#"DnsName("other.example")"#.into(),
                "IpAddress(192.0.2.1)".into(),
            ],
        }
        .into();
        let r = reason(&e);
        assert_eq!(
            r.what,
            "it is not valid for localhost, only for other.example, 192.0.2.1"
        );
        assert!(!r.untrusted && r.todo.is_some());
    }
}
