//! A stand-in collector for the submit tests: a private CA made with rcgen, and
//! a loopback HTTPS server (rustls, client certificate required) that records
//! each request and answers from a script.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A CA that signs server and client certificates.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate and its key.
pub struct Leaf {
    /// The certificate, DER.
    pub cert: CertificateDer<'static>,
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The key, PKCS#8 PEM.
    pub key_pem: String,
    key_der: Vec<u8>,
}

impl Ca {
    /// A new self-signed ECDSA P-256 CA.
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Ca { issuer }
    }

    /// The CA certificate, PEM.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// The CA certificate, DER.
    pub fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    fn leaf(&self, cn: &str, sans: Vec<String>, eku: ExtendedKeyUsagePurpose) -> Leaf {
        let mut params = CertificateParams::new(sans).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![eku];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert: cert.der().clone(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            key_der: key.serialize_der(),
        }
    }

    /// A server certificate for 127.0.0.1 and localhost.
    pub fn server(&self) -> Leaf {
        self.server_for(&["127.0.0.1", "localhost"])
    }

    /// A server certificate for these names (DNS names or IP addresses).
    pub fn server_for(&self, names: &[&str]) -> Leaf {
        let sans = names.iter().map(|n| n.to_string()).collect();
        self.leaf("collector", sans, ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate with CN = `host`.
    pub fn client(&self, host: &str) -> Leaf {
        self.leaf(host, vec![], ExtendedKeyUsagePurpose::ClientAuth)
    }
}

/// Write `DIR/ca.pem`, `DIR/client.pem`, `DIR/client-key.pem` (0600) as enrolment does.
pub fn write_enrolled(dir: &Path, ca: &Ca, client: &Leaf) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("client.pem"), &client.cert_pem).unwrap();
    let key = dir.join("client-key.pem");
    std::fs::write(&key, &client.key_pem).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// One scripted answer: HTTP status, the `status` word, Retry-After.
#[derive(Clone, Debug)]
pub struct Reply(pub u16, pub &'static str, pub Option<u64>);

/// One request as received.
#[derive(Clone, Debug)]
pub struct Request {
    /// Method and path, e.g. `POST /api/v1/reports`.
    pub line: String,
    /// The Content-Type header.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
}

/// A running stand-in collector.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// What it received, in order.
    pub requests: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The bodies of the report posts, in order.
    pub fn bodies(&self) -> Vec<Vec<u8>> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.line.starts_with("POST "))
            .map(|r| r.body.clone())
            .collect()
    }
}

/// Serve HTTPS on `listener` with `server` (its cert), requiring client certs
/// from `client_ca`; report posts are answered by `script` in order (201 after it).
pub fn serve(listener: TcpListener, server: &Leaf, client_ca: &Ca, script: Vec<Reply>) -> Server {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(client_ca.der()).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server.key_der.clone()));
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![server.cert.clone()], key)
        .unwrap();
    let config = Arc::new(config);
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    std::thread::spawn(move || {
        let mut script = script.into_iter();
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { continue };
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let Some(req) = read_request(&mut tls) else {
                // Send the alert of a failed handshake (a bad client certificate),
                // then take what the client still sends so it gets to read the alert.
                let _ = tls.conn.write_tls(&mut tls.sock);
                let _ = tls
                    .sock
                    .set_read_timeout(Some(std::time::Duration::from_secs(2)));
                let _ = std::io::copy(&mut tls.sock, &mut std::io::sink());
                continue;
            };
            let (status, body, retry_after) = if req.line.starts_with("GET /api/v1/health") {
                (200, r#"{"status":"ok","version":"test"}"#.to_string(), None)
            } else {
                let Reply(status, word, retry_after) =
                    script.next().unwrap_or(Reply(201, "stored", None));
                let id = serde_json::from_slice::<serde_json::Value>(&req.body)
                    .ok()
                    .and_then(|v| {
                        v.pointer("/report/report_id")
                            .and_then(|s| s.as_str())
                            .map(str::to_string)
                    })
                    .unwrap_or_default();
                let body = serde_json::json!({"status": word, "report_id": id, "message": format!("scripted {status}")});
                (status, body.to_string(), retry_after)
            };
            seen.lock().unwrap().push(req);
            let extra = retry_after
                .map(|s| format!("Retry-After: {s}\r\n"))
                .unwrap_or_default();
            let response = format!(
                "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.write_all(response.as_bytes());
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    Server { addr, requests }
}

fn read_request(tls: &mut impl Read) -> Option<Request> {
    let mut reader = BufReader::new(tls);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let line = line.trim_end().rsplit_once(' ')?.0.to_string();
    let (mut length, mut content_type) = (0usize, String::new());
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':')?;
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "content-type" => content_type = value.trim().to_string(),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        line,
        content_type,
        body,
    })
}
