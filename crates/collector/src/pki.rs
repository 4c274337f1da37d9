//! The collector's own small certificate authority: the CA that agents' client
//! certificates and the collector's server certificate come from, and the
//! register of what was issued and revoked.
//!
//! Agents authenticate to `serve` with a client certificate from this CA
//! (`enroll`) that is in the register of issued certificates; the server
//! refuses any other (even one signed with the CA key), and revoked ones, at
//! the TLS handshake and on every request. The files live in `DATA/pki/`:
//!
//! | file | what |
//! |---|---|
//! | `ca-key.pem` | the CA's private key (ECDSA P-256, PKCS#8, mode 0600); absent when `ca init --offline-key FILE` put it elsewhere |
//! | `ca.pem` | the CA certificate agents trust |
//! | `server-key.pem`, `server.pem` | the collector's TLS identity, issued by the CA |
//!
//! The register (every certificate issued, and its revocation) is a table of
//! the store, and each issue and revocation is a history entry, so the
//! hash-chained history shows who was allowed in and when.
//!
//! - [`authority`]: creating and loading the CA, issuing certificates;
//! - [`register`]: the store's record of issued and revoked certificates.

pub mod authority;
pub mod register;

pub use authority::{Authority, CaOptions, CertRequest, CertRole, IssuedCert, PeerIdentity};
pub use register::{CertRecord, ClientRegister, Refusal};

use std::path::PathBuf;

/// The folder of the PKI files inside the data directory.
pub const PKI_DIR: &str = "pki";
/// The CA's private key.
pub const CA_KEY_FILE: &str = "ca-key.pem";
/// The CA certificate.
pub const CA_CERT_FILE: &str = "ca.pem";
/// The server's private key.
pub const SERVER_KEY_FILE: &str = "server-key.pem";
/// The server certificate.
pub const SERVER_CERT_FILE: &str = "server.pem";

/// Why a PKI operation failed. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// `ca init` on a data directory that already has a CA.
    #[error(
        "a CA already exists in {dir}; it signed every enrolled agent's certificate, so it is never replaced. Use `ca server-cert` for a new server certificate"
    )]
    AlreadyExists {
        /// The PKI directory.
        dir: PathBuf,
    },
    /// The CA key is kept offline and was not given.
    #[error(
        "the CA key is kept offline (not in {dir}); give it with --ca-key FILE to issue a certificate"
    )]
    KeyOffline {
        /// The PKI directory.
        dir: PathBuf,
    },
    /// No CA yet.
    #[error("no CA in {dir}; create it with `selfcheck-collector ca init`")]
    NoCa {
        /// The PKI directory.
        dir: PathBuf,
    },
    /// A file operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A key file is unsafe to use.
    #[error("refusing key {path}: {problem}")]
    UnsafeKey {
        /// The file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// A PEM file holds no usable key or certificate.
    #[error("{path} is unusable: {problem}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// The problem.
        problem: String,
    },
    /// Making a key or certificate failed.
    #[error("cannot make the certificate: {0}")]
    Issue(String),
    /// A host or server name cannot go into a certificate.
    #[error("cannot issue a certificate for {name:?}: {problem}")]
    BadName {
        /// The name.
        name: String,
        /// What is wrong with it.
        problem: String,
    },
    /// An output file exists already.
    #[error(
        "{path} already exists; enrollment never overwrites a key or certificate, choose an empty --out directory or move the old files aside"
    )]
    OutputExists {
        /// The file.
        path: PathBuf,
    },
    /// `ca init --offline-key FILE` where FILE exists.
    #[error(
        "{path} already exists; `ca init` never overwrites a key: name a new file for the offline CA key"
    )]
    KeyFileExists {
        /// The file.
        path: PathBuf,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] selfcheck_ledger::store::StoreError),
}
