//! Certificates made when the tests run (rcgen on ring; a 1,024-bit RSA key from the rsa
//! crate, which ring will neither make nor sign with), TLS set-ups of the bundled server
//! that scimitar must judge, and a CONNECT proxy that records what goes through it.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, PublicKeyData,
    SignatureAlgorithm,
};
use rustls::ServerConfig;
use rustls::crypto::ring;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::{CertifiedKey, SigningKey};

/// The names every test certificate is for.
pub const NAMES: [&str; 2] = ["127.0.0.1", "localhost"];

/// A test CA (P-256), its certificate written to `ca.pem` in the test's folder.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pub der: CertificateDer<'static>,
    pub pem_path: PathBuf,
}

/// A certificate for [`NAMES`] and its key, as rustls takes them and as PEM files.
pub struct Leaf {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: Arc<dyn SigningKey>,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
}

impl Ca {
    pub fn new(dir: &Path) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "scimitar test CA");
        let cert = params.self_signed(&key).unwrap();
        let pem_path = dir.join("ca.pem");
        std::fs::write(&pem_path, cert.pem()).unwrap();
        Ca {
            issuer: Issuer::new(params, key),
            der: cert.der().clone(),
            pem_path,
        }
    }

    /// A P-256 certificate signed by this CA, valid from a year ago for `days` more days
    /// (negative: expired).
    pub fn leaf(&self, dir: &Path, name: &str, days: i64) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let cert = params(name, days).signed_by(&key, &self.issuer).unwrap();
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let signing = ring::sign::any_supported_type(&der).unwrap();
        write_leaf(dir, name, cert, key.serialize_pem(), signing)
    }

    /// A certificate for a 1,024-bit RSA key, signed by this CA.
    pub fn rsa_1024(&self, dir: &Path) -> Leaf {
        use rsa::pkcs1::EncodeRsaPublicKey;
        use rsa::pkcs8::{EncodePrivateKey, LineEnding};
        let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).unwrap();
        let public = RsaPublic(
            private
                .to_public_key()
                .to_pkcs1_der()
                .unwrap()
                .as_bytes()
                .to_vec(),
        );
        let cert = params("rsa-1024", 365)
            .signed_by(&public, &self.issuer)
            .unwrap();
        let pem = private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
        write_leaf(dir, "rsa-1024", cert, pem, Arc::new(Rsa(Arc::new(private))))
    }
}

fn params(name: &str, days: i64) -> CertificateParams {
    let mut p = CertificateParams::new(NAMES.map(String::from).to_vec()).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    let now = time::OffsetDateTime::now_utc();
    p.not_before = now - time::Duration::days(365);
    p.not_after = now + time::Duration::days(days);
    p
}

fn write_leaf(
    dir: &Path,
    name: &str,
    cert: rcgen::Certificate,
    key_pem: String,
    key: Arc<dyn SigningKey>,
) -> Leaf {
    let cert_path = dir.join(format!("{name}.pem"));
    let key_path = dir.join(format!("{name}.key"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key_pem).unwrap();
    Leaf {
        chain: vec![cert.der().clone()],
        key,
        cert_path,
        key_path,
    }
}

/// A self-signed P-256 certificate for [`NAMES`], as PEM files in `dir`.
pub fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let c = rcgen::generate_simple_self_signed(NAMES.map(String::from).to_vec()).unwrap();
    write_pair(
        dir,
        "self-signed",
        c.cert.pem(),
        c.signing_key.serialize_pem(),
    )
}

/// A self-signed P-256 certificate for `names` marked as a CA (CA:TRUE), as `openssl req
/// -x509` makes it by default, as PEM files in `dir`.
pub fn self_signed_ca(dir: &Path, names: &[&str]) -> (PathBuf, PathBuf) {
    let key = KeyPair::generate().unwrap();
    let mut p =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, names[0]);
    let cert = p.self_signed(&key).unwrap();
    write_pair(dir, "self-signed-ca", cert.pem(), key.serialize_pem())
}

fn write_pair(dir: &Path, stem: &str, cert_pem: String, key_pem: String) -> (PathBuf, PathBuf) {
    let (cert, key) = (
        dir.join(format!("{stem}.pem")),
        dir.join(format!("{stem}.key")),
    );
    std::fs::write(&cert, cert_pem).unwrap();
    std::fs::write(&key, key_pem).unwrap();
    (cert, key)
}

/// The server's TLS: `leaf`, these versions and suites (all of ring's when empty), and, with
/// `clients`, a client certificate from that CA required.
pub fn server_config(
    leaf: &Leaf,
    versions: &[&'static rustls::SupportedProtocolVersion],
    suites: &[rustls::SupportedCipherSuite],
    clients: Option<&Ca>,
) -> Arc<ServerConfig> {
    let mut provider = ring::default_provider();
    if !suites.is_empty() {
        provider.cipher_suites = suites.to_vec();
    }
    let provider = Arc::new(provider);
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .unwrap();
    let builder = match clients {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(ca.der.clone()).unwrap();
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let certified = CertifiedKey::new(leaf.chain.clone(), leaf.key.clone());
    let mut config =
        builder.with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(certified)));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// The bundled server over `tls`, on a runtime of its own that lives as long as this.
pub struct TlsServer {
    pub base_url: String,
    _runtime: tokio::runtime::Runtime,
}

impl TlsServer {
    pub fn start(token: &str, tls: Arc<ServerConfig>) -> TlsServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let profile = scimitar::profile::Profile::find("rfc").unwrap();
        let running = runtime
            .block_on(scimitar::server::start_tls(
                ([127, 0, 0, 1], 0).into(),
                token.into(),
                &profile,
                scimitar::server::Defects::new([]),
                tls,
            ))
            .unwrap();
        TlsServer {
            base_url: running.base_url,
            _runtime: runtime,
        }
    }
}

/// The public half of the 1,024-bit key, for rcgen to certify (PKCS#1 `RSAPublicKey`).
struct RsaPublic(Vec<u8>);

impl PublicKeyData for RsaPublic {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

/// The 1,024-bit key signing the server's handshakes, RSA-PSS or PKCS#1 v1.5 with SHA-256.
#[derive(Debug)]
struct Rsa(Arc<rsa::RsaPrivateKey>);

#[derive(Debug)]
struct RsaSigner(Arc<rsa::RsaPrivateKey>, rustls::SignatureScheme);

impl SigningKey for Rsa {
    fn choose_scheme(
        &self,
        offered: &[rustls::SignatureScheme],
    ) -> Option<Box<dyn rustls::sign::Signer>> {
        use rustls::SignatureScheme::{RSA_PKCS1_SHA256, RSA_PSS_SHA256};
        [RSA_PSS_SHA256, RSA_PKCS1_SHA256]
            .into_iter()
            .find(|s| offered.contains(s))
            .map(|s| Box::new(RsaSigner(self.0.clone(), s)) as Box<dyn rustls::sign::Signer>)
    }

    fn algorithm(&self) -> rustls::SignatureAlgorithm {
        rustls::SignatureAlgorithm::RSA
    }
}

impl rustls::sign::Signer for RsaSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        use rsa::sha2::{Digest, Sha256};
        let digest = Sha256::digest(message);
        let signed = if self.1 == rustls::SignatureScheme::RSA_PSS_SHA256 {
            self.0.sign_with_rng(
                &mut rsa::rand_core::OsRng,
                rsa::Pss::new::<Sha256>(),
                &digest,
            )
        } else {
            self.0.sign(rsa::Pkcs1v15Sign::new::<Sha256>(), &digest)
        };
        signed.map_err(|e| rustls::Error::General(e.to_string()))
    }

    fn scheme(&self) -> rustls::SignatureScheme {
        self.1
    }
}

/// A CONNECT proxy on loopback that wants `user:password` (Basic) and records the target of
/// every tunnel it opens.
pub struct Proxy {
    pub url: String,
    pub port: u16,
    pub tunnels: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    pub fn start(user: &str, password: &str) -> Proxy {
        use base64::Engine;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let tunnels = Arc::new(Mutex::new(Vec::new()));
        let wanted = format!(
            "basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        let seen = tunnels.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (seen, wanted) = (seen.clone(), wanted.clone());
                std::thread::spawn(move || tunnel(client, &seen, &wanted));
            }
        });
        Proxy {
            url: format!("http://{user}:{password}@127.0.0.1:{port}"),
            port,
            tunnels,
        }
    }

    pub fn seen(&self) -> Vec<String> {
        self.tunnels.lock().unwrap().clone()
    }
}

/// One CONNECT: the head read, the credentials checked, then bytes copied both ways.
fn tunnel(mut client: TcpStream, seen: &Mutex<Vec<String>>, wanted: &str) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    let mut authorized = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            authorized |= k.eq_ignore_ascii_case("proxy-authorization")
                && v.trim().eq_ignore_ascii_case(wanted);
        }
    }
    let Some(target) = first
        .strip_prefix("CONNECT ")
        .and_then(|r| r.split_whitespace().next())
        .map(str::to_string)
    else {
        let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n");
        return;
    };
    if !authorized {
        let _ = client.write_all(
            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n",
        );
        return;
    }
    let Ok(upstream) = TcpStream::connect(&target) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
        return;
    };
    seen.lock().unwrap().push(target);
    let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    let (mut up_read, mut up_write) = (upstream.try_clone().unwrap(), upstream);
    let mut down_write = client;
    // The reader hands on what it buffered past the head first.
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut reader, &mut up_write);
        let _ = up_write.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut up_read, &mut down_write);
    let _ = down_write.shutdown(std::net::Shutdown::Write);
}
