//! Creating and loading the collector's CA, and issuing the certificates it
//! signs: one client certificate per agent host (CN = the host name, EKU
//! clientAuth) and the collector's server certificate (SANs = the names agents
//! reach it by, EKU serverAuth). Keys are ECDSA P-256, files are PEM.

use super::{CA_CERT_FILE, CA_KEY_FILE, PKI_DIR, PkiError, SERVER_CERT_FILE, SERVER_KEY_FILE};
use chrono::{DateTime, Duration, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SanType, SerialNumber,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use selfcheck_report::keyfile;
use sha2::{Digest, Sha256};
use std::fs;
use std::net::IpAddr;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// What `ca init` makes.
#[derive(Debug, Clone)]
pub struct CaOptions {
    /// The CA's common name, e.g. "某某局 selfcheck CA".
    pub name: String,
    /// Names and addresses agents reach the collector by (server certificate
    /// SANs); `localhost`, `127.0.0.1` and `::1` are always added.
    pub server_names: Vec<String>,
    /// Validity of the CA certificate, in days.
    pub ca_days: u32,
    /// Validity of the server certificate, in days.
    pub server_days: u32,
    /// Keep the CA key offline: write it to this new file instead of
    /// `DATA/pki/ca-key.pem`; `enroll` and `ca server-cert` then need it
    /// given explicitly (`--ca-key FILE`).
    pub offline_key: Option<PathBuf>,
}

/// Which side of the TLS connection a certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CertRole {
    /// An agent (clientAuth); its CN is the host name.
    Client,
    /// The collector (serverAuth).
    Server,
}

impl CertRole {
    /// The name stored in the register.
    pub fn as_str(self) -> &'static str {
        match self {
            CertRole::Client => "client",
            CertRole::Server => "server",
        }
    }
}

/// One certificate to issue.
#[derive(Debug, Clone)]
pub struct CertRequest {
    /// Client or server.
    pub role: CertRole,
    /// The subject's common name: the agent's host name, or the collector's name.
    pub name: String,
    /// Server certificates: DNS names and IP addresses (SANs).
    pub alt_names: Vec<String>,
    /// Valid from.
    pub not_before: DateTime<Utc>,
    /// Valid until.
    pub not_after: DateTime<Utc>,
}

impl CertRequest {
    /// A client certificate for `host`, valid from an hour ago (clock skew) for `days`.
    pub fn client(host: &str, days: u32) -> CertRequest {
        let now = Utc::now();
        CertRequest {
            role: CertRole::Client,
            name: host.to_string(),
            alt_names: Vec::new(),
            not_before: now - Duration::hours(1),
            not_after: now + Duration::days(i64::from(days)),
        }
    }

    /// A server certificate for `names` (plus the loopback names), valid for `days`.
    pub fn server(names: &[String], days: u32) -> CertRequest {
        let now = Utc::now();
        let mut alt_names: Vec<String> = ["localhost", "127.0.0.1", "::1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for n in names {
            if !alt_names.contains(n) {
                alt_names.push(n.clone());
            }
        }
        CertRequest {
            role: CertRole::Server,
            name: "selfcheck-collector".to_string(),
            alt_names,
            not_before: now - Duration::hours(1),
            not_after: now + Duration::days(i64::from(days)),
        }
    }
}

/// A certificate just issued, with its new key.
#[derive(Debug, Clone)]
pub struct IssuedCert {
    /// Client or server.
    pub role: CertRole,
    /// The subject's common name.
    pub name: String,
    /// Server certificates: the DNS names and addresses it is valid for.
    pub alt_names: Vec<String>,
    /// The serial number, lowercase hex.
    pub serial: String,
    /// SHA-256 of the certificate's DER, lowercase hex (what `openssl x509 -fingerprint -sha256` shows).
    pub sha256: String,
    /// Valid from.
    pub not_before: DateTime<Utc>,
    /// Valid until.
    pub not_after: DateTime<Utc>,
    /// The certificate, PEM.
    pub cert_pem: String,
    /// Its private key, PKCS#8 PEM.
    pub key_pem: String,
}

/// Who is on the other end of a TLS connection, from the client certificate
/// the handshake verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIdentity {
    /// The certificate's common name: the agent's host name.
    pub host: String,
    /// The serial number, lowercase hex.
    pub serial: String,
    /// SHA-256 of the certificate's DER, lowercase hex.
    pub sha256: String,
}

impl PeerIdentity {
    /// Read the identity from a certificate (DER).
    pub fn from_der(der: &[u8]) -> Result<PeerIdentity, String> {
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| format!("not an X.509 certificate: {e}"))?;
        let host = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .ok_or("the certificate has no common name")?
            .to_string();
        Ok(PeerIdentity {
            host,
            serial: serial_hex(cert.raw_serial()),
            sha256: hex::encode(Sha256::digest(der)),
        })
    }
}

/// A serial number as the register writes it: lowercase hex, no leading zero bytes.
pub fn serial_hex(raw: &[u8]) -> String {
    let start = raw.iter().position(|b| *b != 0).unwrap_or(raw.len());
    let hex = hex::encode(&raw[start..]);
    if hex.is_empty() { "00".into() } else { hex }
}

/// The collector's CA, loaded from `DATA/pki/`. Its key is there too, or
/// kept offline and given by path when a certificate is issued; `serve`
/// needs only the certificate.
pub struct Authority {
    dir: PathBuf,
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    key: Option<KeyPair>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field("dir", &self.dir)
            .field("ca", &self.ca_fingerprint())
            .finish_non_exhaustive()
    }
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> PkiError {
    let path = path.to_path_buf();
    move |source| PkiError::Io {
        action,
        path,
        source,
    }
}

fn issue_err(e: rcgen::Error) -> PkiError {
    PkiError::Issue(e.to_string())
}

impl Authority {
    /// The PKI folder of a data directory.
    pub fn pki_dir(data_dir: &Path) -> PathBuf {
        data_dir.join(PKI_DIR)
    }

    /// Create the CA and the first server certificate in `data_dir/pki`.
    /// Refuses when a CA is there already.
    pub fn init(data_dir: &Path, options: &CaOptions) -> Result<(Authority, IssuedCert), PkiError> {
        let dir = Self::pki_dir(data_dir);
        if dir.join(CA_KEY_FILE).exists() || dir.join(CA_CERT_FILE).exists() {
            return Err(PkiError::AlreadyExists { dir });
        }
        check_name(&options.name)?;
        if let Some(path) = &options.offline_key
            && fs::symlink_metadata(path).is_ok()
        {
            return Err(PkiError::KeyFileExists { path: path.clone() });
        }
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(io("cannot create", &dir))?;
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(issue_err)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, options.name.as_str());
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let now = Utc::now();
        params.not_before = to_time(now - Duration::hours(1))?;
        params.not_after = to_time(now + Duration::days(i64::from(options.ca_days)))?;
        params.serial_number = Some(new_serial()?);
        let cert = params.self_signed(&key).map_err(issue_err)?;
        let key_path = options
            .offline_key
            .clone()
            .unwrap_or_else(|| dir.join(CA_KEY_FILE));
        write_private(&key_path, key.serialize_pem().as_bytes())?;
        write_public(&dir.join(CA_CERT_FILE), cert.pem().as_bytes())?;
        let authority = Authority::open_with_key(data_dir, options.offline_key.as_deref())?;
        let server = authority.issue(&CertRequest::server(
            &options.server_names,
            options.server_days,
        ))?;
        authority.install_server_cert(&server)?;
        Ok((authority, server))
    }

    /// Load the CA of `data_dir`, with its key when the key is in
    /// `DATA/pki/` (the key file must be private to this user).
    pub fn open(data_dir: &Path) -> Result<Authority, PkiError> {
        Self::open_with_key(data_dir, None)
    }

    /// Load the CA of `data_dir` with its key from `key_file` (a CA key kept
    /// offline), or from `DATA/pki/ca-key.pem` when `None` and it is there.
    pub fn open_with_key(data_dir: &Path, key_file: Option<&Path>) -> Result<Authority, PkiError> {
        let dir = Self::pki_dir(data_dir);
        let cert_path = dir.join(CA_CERT_FILE);
        if !cert_path.exists() {
            return Err(PkiError::NoCa { dir });
        }
        let ca_pem = fs::read_to_string(&cert_path).map_err(io("cannot read", &cert_path))?;
        let ca_der = first_cert(&ca_pem).map_err(|problem| PkiError::BadFile {
            path: cert_path.clone(),
            problem,
        })?;
        let in_dir = dir.join(CA_KEY_FILE);
        let key_path = match key_file {
            Some(p) => Some(p.to_path_buf()),
            None => in_dir.exists().then_some(in_dir),
        };
        let key = match key_path {
            None => None,
            Some(key_path) => {
                let key = KeyPair::from_pem(&read_private(&key_path)?).map_err(|e| {
                    PkiError::BadFile {
                        path: key_path.clone(),
                        problem: format!("not a PKCS#8 private key: {e}"),
                    }
                })?;
                // The key must be the certificate's.
                let (_, parsed) = x509_parser::parse_x509_certificate(&ca_der).map_err(|e| {
                    PkiError::BadFile {
                        path: cert_path.clone(),
                        problem: e.to_string(),
                    }
                })?;
                if parsed.public_key().subject_public_key.data.as_ref() != key.public_key_raw() {
                    return Err(PkiError::BadFile {
                        path: key_path,
                        problem: format!(
                            "it is not the key of the CA certificate {}",
                            cert_path.display()
                        ),
                    });
                }
                Some(key)
            }
        };
        Ok(Authority {
            dir,
            ca_pem,
            ca_der,
            key,
        })
    }

    /// Whether the CA key is at hand (in `DATA/pki/` or given by path);
    /// without it the CA can be trusted but issues nothing.
    pub fn has_key(&self) -> bool {
        self.key.is_some()
    }

    /// The PKI folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The CA certificate, PEM (what agents trust).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The CA certificate, DER.
    pub fn ca_der(&self) -> &CertificateDer<'static> {
        &self.ca_der
    }

    /// `sha256:` + hex SHA-256 of the CA certificate's DER.
    pub fn ca_fingerprint(&self) -> String {
        format!("sha256:{}", hex::encode(Sha256::digest(&self.ca_der)))
    }

    /// Issue a certificate with a new key.
    pub fn issue(&self, request: &CertRequest) -> Result<IssuedCert, PkiError> {
        check_name(&request.name)?;
        let ca_key = self.key.as_ref().ok_or_else(|| PkiError::KeyOffline {
            dir: self.dir.clone(),
        })?;
        let issuer = Issuer::from_ca_cert_der(&self.ca_der, ca_key).map_err(issue_err)?;
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(issue_err)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, request.name.as_str());
        params.not_before = to_time(request.not_before)?;
        params.not_after = to_time(request.not_after)?;
        let serial = new_serial()?;
        params.serial_number = Some(serial.clone());
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        match request.role {
            CertRole::Client => {
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            }
            CertRole::Server => {
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
                for name in &request.alt_names {
                    params.subject_alt_names.push(san(name)?);
                }
            }
        }
        let cert = params.signed_by(&key, &issuer).map_err(issue_err)?;
        Ok(IssuedCert {
            role: request.role,
            name: request.name.clone(),
            alt_names: request.alt_names.clone(),
            serial: serial_hex(&serial.to_bytes()),
            sha256: hex::encode(Sha256::digest(cert.der())),
            not_before: request.not_before,
            not_after: request.not_after,
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// Make `cert` the collector's TLS identity (`server.pem`, `server-key.pem`).
    pub fn install_server_cert(&self, cert: &IssuedCert) -> Result<(), PkiError> {
        write_private(&self.dir.join(SERVER_KEY_FILE), cert.key_pem.as_bytes())?;
        write_public(&self.dir.join(SERVER_CERT_FILE), cert.cert_pem.as_bytes())
    }

    /// The collector's TLS identity: the server certificate and the CA (the
    /// chain to present), and the server key.
    pub fn server_identity(
        &self,
    ) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), PkiError> {
        let cert_path = self.dir.join(SERVER_CERT_FILE);
        let key_path = self.dir.join(SERVER_KEY_FILE);
        let pem = fs::read_to_string(&cert_path).map_err(io("cannot read", &cert_path))?;
        let cert = first_cert(&pem).map_err(|problem| PkiError::BadFile {
            path: cert_path,
            problem,
        })?;
        let key = KeyPair::from_pem(&read_private(&key_path)?).map_err(|e| PkiError::BadFile {
            path: key_path,
            problem: format!("not a PKCS#8 private key: {e}"),
        })?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        Ok((vec![cert, self.ca_der.clone()], key))
    }
}

/// A certificate's subject: printable, not empty, not absurdly long.
fn check_name(name: &str) -> Result<(), PkiError> {
    let bad = |problem: &str| PkiError::BadName {
        name: name.to_string(),
        problem: problem.to_string(),
    };
    if name.trim().is_empty() {
        return Err(bad("the name is empty"));
    }
    if name.chars().count() > 64 {
        return Err(bad("a common name holds at most 64 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("the name contains control characters"));
    }
    Ok(())
}

fn san(name: &str) -> Result<SanType, PkiError> {
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !valid {
        return Err(PkiError::BadName {
            name: name.to_string(),
            problem: "a server name must be a DNS name (letters, digits, -, dots) or an IP address"
                .into(),
        });
    }
    let dns = name
        .to_string()
        .try_into()
        .map_err(|e: rcgen::Error| PkiError::BadName {
            name: name.to_string(),
            problem: e.to_string(),
        })?;
    Ok(SanType::DnsName(dns))
}

/// 16 random bytes, top bit clear (a positive serial, as RFC 5280 wants).
fn new_serial() -> Result<SerialNumber, PkiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| PkiError::Issue(format!("no random bytes from the operating system: {e}")))?;
    bytes[0] = (bytes[0] & 0x7f) | 0x10;
    Ok(SerialNumber::from_slice(&bytes))
}

fn to_time(at: DateTime<Utc>) -> Result<time::OffsetDateTime, PkiError> {
    time::OffsetDateTime::from_unix_timestamp(at.timestamp())
        .map_err(|e| PkiError::Issue(format!("date {at} out of range: {e}")))
}

/// The first `CERTIFICATE` of a PEM text.
fn first_cert(pem: &str) -> Result<CertificateDer<'static>, String> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()
        .ok_or_else(|| "holds no PEM certificate".to_string())?
        .map_err(|e| format!("not a PEM certificate: {e}"))
}

/// Read a private key file after checking it is private to this user.
fn read_private(path: &Path) -> Result<String, PkiError> {
    let meta = fs::symlink_metadata(path).map_err(io("cannot read", path))?;
    let euid = nix::unistd::geteuid().as_raw();
    if let Some(problem) =
        keyfile::key_file_problem(path, &meta, euid, "collector", "data directory")
    {
        return Err(PkiError::UnsafeKey {
            path: path.to_path_buf(),
            problem,
        });
    }
    fs::read_to_string(path).map_err(io("cannot read", path))
}

/// Write a key: a new file, mode 0600, through a temporary file and a rename.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), PkiError> {
    write_file(path, bytes, 0o600)
}

/// Write a certificate: mode 0644, through a temporary file and a rename.
pub(crate) fn write_public(path: &Path, bytes: &[u8]) -> Result<(), PkiError> {
    write_file(path, bytes, 0o644)
}

fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), PkiError> {
    keyfile::write_atomically(path, bytes, mode).map_err(|(step, e)| match step {
        keyfile::WriteStep::Create(tmp) => io("cannot create", &tmp)(e),
        keyfile::WriteStep::Write => io("cannot write", path)(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn options() -> CaOptions {
        CaOptions {
            name: "测试单位 selfcheck CA".into(),
            server_names: vec!["collector.unit.local".into(), "10.0.0.5".into()],
            ca_days: 3650,
            server_days: 825,
            offline_key: None,
        }
    }

    #[test]
    fn ca_is_created_private_loaded_and_issues_verifiable_certs() {
        let tmp = tempfile::tempdir().unwrap();
        let (ca, server) = Authority::init(tmp.path(), &options()).unwrap();
        let key_mode = fs::metadata(ca.dir().join(CA_KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(key_mode & 0o777, 0o600);
        assert_eq!(server.role, CertRole::Server);
        assert!(matches!(
            Authority::init(tmp.path(), &options()),
            Err(PkiError::AlreadyExists { .. })
        ));
        let again = Authority::open(tmp.path()).unwrap();
        assert_eq!(again.ca_fingerprint(), ca.ca_fingerprint());

        let client = again.issue(&CertRequest::client("web-01", 30)).unwrap();
        let der = first_cert(&client.cert_pem).unwrap();
        let peer = PeerIdentity::from_der(&der).unwrap();
        assert_eq!(peer.host, "web-01");
        assert_eq!(peer.serial, client.serial);
        assert_eq!(peer.sha256, client.sha256);
        let (chain, _) = again.server_identity().unwrap();
        assert_eq!(chain.len(), 2);
    }

    #[test]
    fn a_world_readable_ca_key_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        Authority::init(tmp.path(), &options()).unwrap();
        let key = Authority::pki_dir(tmp.path()).join(CA_KEY_FILE);
        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
        let err = Authority::open(tmp.path()).unwrap_err();
        assert!(matches!(err, PkiError::UnsafeKey { .. }), "{err}");
    }

    #[test]
    fn bad_names_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let mut opts = options();
        opts.server_names = vec!["bad name!".into()];
        assert!(matches!(
            Authority::init(tmp.path(), &opts),
            Err(PkiError::BadName { .. })
        ));
        let tmp = tempfile::tempdir().unwrap();
        let (ca, _) = Authority::init(tmp.path(), &options()).unwrap();
        assert!(ca.issue(&CertRequest::client("", 30)).is_err());
        assert!(ca.issue(&CertRequest::client("a\nb", 30)).is_err());
    }

    #[test]
    fn an_offline_key_stays_out_of_the_data_directory_and_is_needed_to_issue() {
        let tmp = tempfile::tempdir().unwrap();
        let offline = tmp.path().join("usb/ca-key.pem");
        fs::create_dir_all(offline.parent().unwrap()).unwrap();
        let mut opts = options();
        opts.offline_key = Some(offline.clone());
        let data = tmp.path().join("data");
        Authority::init(&data, &opts).unwrap();
        assert!(offline.exists());
        assert!(!Authority::pki_dir(&data).join(CA_KEY_FILE).exists());
        let ca = Authority::open(&data).unwrap();
        assert!(!ca.has_key());
        // The server identity is usable without the CA key.
        ca.server_identity().unwrap();
        let err = ca.issue(&CertRequest::client("web-01", 30)).unwrap_err();
        assert!(matches!(err, PkiError::KeyOffline { .. }), "{err}");
        assert!(err.to_string().contains("--ca-key"), "{err}");
        let ca = Authority::open_with_key(&data, Some(&offline)).unwrap();
        ca.issue(&CertRequest::client("web-01", 30)).unwrap();
        // Another CA's key is refused.
        let other = tempfile::tempdir().unwrap();
        Authority::init(other.path(), &options()).unwrap();
        let wrong = Authority::pki_dir(other.path()).join(CA_KEY_FILE);
        let err = Authority::open_with_key(&data, Some(&wrong)).unwrap_err();
        assert!(err.to_string().contains("not the key"), "{err}");
        // An existing file is never overwritten.
        let again = tmp.path().join("again");
        let err = Authority::init(&again, &opts).unwrap_err();
        assert!(matches!(err, PkiError::KeyFileExists { .. }), "{err}");
    }

    #[test]
    fn serial_hex_drops_leading_zero_bytes() {
        assert_eq!(serial_hex(&[0, 0x1f, 0x02]), "1f02");
        assert_eq!(serial_hex(&[0]), "00");
    }
}
