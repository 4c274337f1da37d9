//! A running `selfcheck-collector serve` on loopback for tests, enrolled
//! clients, and two HTTP clients: curl (a client no one here wrote) and a
//! small rustls client for what curl cannot do (half-sent bodies, many
//! connections at once).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// The collector binary.
pub fn collector_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_selfcheck-collector"))
}

/// Run a collector command on `data`; panics with its output when it fails.
pub fn collector(data: &Path, args: &[&str]) -> String {
    let out = Command::new(collector_bin())
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "collector {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A data directory with a CA.
pub fn data_with_ca(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    collector(&data, &["ca", "init", "--name", "测试 CA"]);
    data
}

/// Enroll `host`; the folder with ca.pem, client.pem, client-key.pem.
pub fn enroll(data: &Path, host: &str) -> PathBuf {
    let out = data.parent().unwrap().join("enroll").join(host);
    collector(
        data,
        &["enroll", "--host", host, "--out", out.to_str().unwrap()],
    );
    out
}

/// A `serve` child process.
pub struct Serving {
    pub child: Child,
    pub port: u16,
    pub stderr: PathBuf,
}

impl Serving {
    /// Start `serve --listen 127.0.0.1:0` with `extra` flags and wait for it to listen.
    pub fn start(data: &Path, extra: &[&str]) -> Serving {
        let stderr = data
            .parent()
            .unwrap()
            .join(format!("serve-{}.log", std::process::id()));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&stderr)
            .unwrap();
        let mut child = Command::new(collector_bin())
            .arg("--data")
            .arg(data)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("serve did not start listening");
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        Serving {
            child,
            port,
            stderr,
        }
    }

    /// The reports URL.
    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// SIGTERM, then wait; the exit code.
    pub fn terminate(mut self) -> Option<i32> {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status.code()
    }

    /// SIGKILL, then wait.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::forget(self);
    }

    /// What it logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What curl got: the HTTP status (0 when no response) and the body, or curl's error.
#[derive(Debug)]
pub struct CurlResult {
    pub exit: i32,
    pub status: u16,
    pub body: String,
    pub stderr: String,
}

/// POST `body_file` with curl and the enrolled files of `client` (None: no client certificate).
pub fn curl_post(
    serving: &Serving,
    client: Option<&Path>,
    body_file: &Path,
    content_type: &str,
) -> CurlResult {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--max-time", "60", "-X", "POST"])
        .arg("-H")
        .arg(format!("Content-Type: {content_type}"))
        .arg("--data-binary")
        .arg(format!("@{}", body_file.display()))
        .args(["-w", "\n%{http_code}"]);
    curl_identity(&mut cmd, serving, client);
    cmd.arg(serving.url("/api/v1/reports"));
    curl_run(cmd)
}

/// GET the health endpoint with curl.
pub fn curl_health(serving: &Serving, client: Option<&Path>) -> CurlResult {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--max-time", "30", "-w", "\n%{http_code}"]);
    curl_identity(&mut cmd, serving, client);
    cmd.arg(serving.url("/api/v1/health"));
    curl_run(cmd)
}

fn curl_identity(cmd: &mut Command, serving: &Serving, client: Option<&Path>) {
    let ca = serving_ca(serving);
    cmd.arg("--cacert").arg(ca);
    if let Some(dir) = client {
        cmd.arg("--cert")
            .arg(dir.join("client.pem"))
            .arg("--key")
            .arg(dir.join("client-key.pem"));
    }
}

fn serving_ca(serving: &Serving) -> PathBuf {
    // The data directory is the parent of the log file's folder + /data.
    serving.stderr.parent().unwrap().join("data/pki/ca.pem")
}

fn curl_run(mut cmd: Command) -> CurlResult {
    let out = cmd.output().expect("run curl");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = stdout.rsplit_once('\n').unwrap_or(("", stdout.as_str()));
    CurlResult {
        exit: out.status.code().unwrap_or(-1),
        status: code.trim().parse().unwrap_or(0),
        body: body.to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A rustls client configuration from an enrolled folder.
pub fn tls_config(client: &Path) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(client.join("ca.pem")).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(client.join("client.pem"))
            .unwrap()
            .map(|c| c.unwrap())
            .collect();
    let key = PrivateKeyDer::from_pem_file(client.join("client-key.pem")).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(certs, key)
        .unwrap();
    Arc::new(config)
}

/// A TLS connection to the server (handshake done).
pub fn tls_connect(
    config: &Arc<rustls::ClientConfig>,
    port: u16,
) -> std::io::Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>> {
    let tcp = TcpStream::connect(("127.0.0.1", port))?;
    tcp.set_read_timeout(Some(Duration::from_secs(60)))?;
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let conn =
        rustls::ClientConnection::new(config.clone(), name).map_err(std::io::Error::other)?;
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    while stream.conn.is_handshaking() {
        stream.conn.complete_io(&mut stream.sock)?;
    }
    Ok(stream)
}

/// The head of a POST of `len` bytes.
pub fn post_head(len: usize) -> String {
    format!(
        "POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    )
}

/// Read a whole `Connection: close` response: status and body.
pub fn read_response(stream: &mut impl Read) -> std::io::Result<(u16, String)> {
    let mut raw = Vec::new();
    match stream.read_to_end(&mut raw) {
        Ok(_) => {}
        // A peer that closes without close_notify after the response.
        Err(e) if !raw.is_empty() && e.kind() == std::io::ErrorKind::UnexpectedEof => {}
        Err(e) => return Err(e),
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// POST `body` over a new connection; status and body.
pub fn post(
    config: &Arc<rustls::ClientConfig>,
    port: u16,
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut stream = tls_connect(config, port)?;
    stream.write_all(post_head(body.len()).as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;
    read_response(&mut stream)
}

/// POST `body` on an open keep-alive connection; status and body. The
/// connection stays open for the next request.
pub fn post_on(
    stream: &mut rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let head = format!(
        "POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;
    // The response head, byte by byte up to the blank line (it is small).
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut answer = vec![0u8; length];
    stream.read_exact(&mut answer)?;
    Ok((status, String::from_utf8_lossy(&answer).into_owned()))
}
