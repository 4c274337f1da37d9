//! Inventory sections of a report: what the host has, whether or not it is a problem.

use crate::packages::{PackageInventory, VulnerabilityFeed};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Everything the agent inventoried. A section is `null` when it was not
/// collected (the matching check then says why in its outcome).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Inventory {
    /// Listening TCP sockets and bound, unconnected UDP sockets (what `ss -tulpn` shows).
    pub listening_sockets: Option<Vec<ListeningSocket>>,
    /// Installed packages and pending updates (`null` when not collected).
    #[serde(default)]
    pub packages: Option<PackageInventory>,
    /// The vulnerability feed packages were matched against (`null` when none was given).
    #[serde(default)]
    pub vulnerability_feed: Option<VulnerabilityFeed>,
    /// The file-integrity comparison (`null` when there was no usable baseline).
    #[serde(default)]
    pub file_integrity: Option<FileIntegrity>,
}

/// Transport protocol of a socket.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum TransportProtocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl TransportProtocol {
    /// `tcp` or `udp`.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportProtocol::Tcp => "tcp",
            TransportProtocol::Udp => "udp",
        }
    }
}

/// Socket state as `ss` names it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum SocketState {
    /// A TCP socket accepting connections.
    Listen,
    /// A bound UDP socket without a peer (receives from anyone).
    Unconn,
}

impl SocketState {
    /// `LISTEN` or `UNCONN`.
    pub fn as_str(self) -> &'static str {
        match self {
            SocketState::Listen => "LISTEN",
            SocketState::Unconn => "UNCONN",
        }
    }
}

/// One listening socket, from `/proc/net/{tcp,tcp6,udp,udp6}` and `/proc/*/fd`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ListeningSocket {
    /// `tcp` or `udp`.
    pub protocol: TransportProtocol,
    /// Local address; `0.0.0.0` or `::` for all addresses. IPv4-mapped IPv6
    /// addresses (`::ffff:a.b.c.d`) are kept as written by the kernel.
    pub address: IpAddr,
    /// Local port.
    pub port: u16,
    /// `LISTEN` (TCP) or `UNCONN` (UDP).
    pub state: SocketState,
    /// Owner uid of the socket.
    pub uid: u32,
    /// Socket inode, which ties it to the processes holding it.
    pub inode: u64,
    /// Processes that hold the socket open; empty when none could be seen
    /// (not root, or another PID namespace).
    pub processes: Vec<SocketProcess>,
}

impl ListeningSocket {
    /// Whether the socket accepts traffic only from this host (127.0.0.0/8, ::1,
    /// or ::ffff:127.x.y.z).
    pub fn is_loopback_only(&self) -> bool {
        match self.address {
            IpAddr::V4(a) => a.is_loopback(),
            IpAddr::V6(a) => {
                a.is_loopback() || a.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
        }
    }

    /// `ADDRESS:PORT` as `ss` writes it: `0.0.0.0:22`, `[::1]:22`.
    pub fn endpoint(&self) -> String {
        match self.address {
            IpAddr::V4(a) => format!("{a}:{}", self.port),
            IpAddr::V6(a) => format!("[{a}]:{}", self.port),
        }
    }
}

/// A process holding a socket.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct SocketProcess {
    /// Process id.
    pub pid: u32,
    /// Command name (`/proc/PID/comm`).
    pub name: String,
    /// File descriptor number of the socket in that process.
    pub fd: u32,
}

/// What the file-integrity check compared, and every difference it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FileIntegrity {
    /// When the accepted baseline was written (RFC 3339).
    pub baseline_created_at: String,
    /// `sha256:` and the SHA-256 of the baseline body compared against.
    pub baseline_digest: String,
    /// Files scanned now.
    pub files: u64,
    /// Directories scanned now.
    pub dirs: u64,
    /// Bytes of file content hashed.
    pub bytes_hashed: u64,
    /// How long the scan took, in milliseconds.
    pub scan_millis: u64,
    /// Peak resident memory of the agent after the scan, in KiB (`VmHWM`).
    pub peak_rss_kib: Option<u64>,
    /// Content digest of the comparison: `sha256` or `sm3`.
    #[serde(default = "default_digest")]
    pub digest: String,
    /// Changes a package update explains that this run took into a new
    /// baseline (listed in `changes` with `explained_by`).
    #[serde(default)]
    pub accepted_automatically: u64,
    /// The package manager records changes were checked against (`dpkg: …`),
    /// or why none were used; absent when nothing changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_records: Option<String>,
    /// Every path that differs from the baseline, or, past the agent's cap,
    /// the first ones of each kind (see `summarised`).
    pub changes: Vec<FileChange>,
    /// Present when more paths changed than the report lists, so a host whose
    /// file integrity fired on hundreds of thousands of files still gets a
    /// report the collector accepts: how many changed of each kind, and the
    /// digest and place of the full list the agent kept in its state directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summarised: Option<ChangeSummary>,
}

/// How many changes a file-integrity comparison found, when they were more
/// than the report lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChangeSummary {
    /// Changes found, of every kind.
    pub total: u64,
    /// Changes found per kind (`added`, `removed`, `changed`, `type-changed`).
    pub by_kind: std::collections::BTreeMap<String, u64>,
    /// The most changes of one kind listed in `changes` (the first by path).
    pub listed_per_kind: u64,
    /// `sha256:` and the SHA-256 of the full list file.
    pub full_list_sha256: String,
    /// The full list on the audited host: a file in the agent's state
    /// directory, one line per change (kind, tab, path, tab, what changed).
    pub full_list_file: String,
}

fn default_digest() -> String {
    "sha256".into()
}

/// One path that differs from the file-integrity baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FileChange {
    /// The path as text (bytes that are not UTF-8 replaced by U+FFFD).
    pub path: String,
    /// The exact path bytes in hex, when the path is not UTF-8.
    pub path_hex: Option<String>,
    /// `added`, `removed`, `changed` or `type-changed`.
    pub change: String,
    /// For `changed`: the attributes that differ (`digest`, `mode`, `uid`, ...);
    /// for `type-changed`: `from` and `to` kinds, e.g. `file -> fifo`.
    pub details: Vec<String>,
    /// A regular file that became setuid (or is new and setuid).
    pub new_setuid: bool,
    /// A regular file that became setgid (or is new and setgid).
    pub new_setgid: bool,
    /// A file capability that is new or different.
    pub new_caps: bool,
    /// When a package update explains the change: the package manager and
    /// package whose recorded digest the new content matches (`dpkg: openssl`),
    /// or that no installed package owns the removed path any more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explained_by: Option<String>,
}
