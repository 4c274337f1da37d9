//! Listening ports: sockets from /proc/net and their owning processes, judged against the catalog port policy.
//!
//! [`collect_listening_sockets`] is the inventory: every listening TCP socket
//! and every bound, unconnected UDP socket of the audited host, read from the
//! kernel's tables `/proc/net/{tcp,tcp6,udp,udp6}` (see [`procnet`]) and tied to
//! the processes holding them through `/proc/PID/fd` (see [`owners`]): the
//! same facts `ss -tulpn` shows. [`audit`] runs the catalog's `ports` checks
//! over that inventory (see [`policy`]).
//!
//! Everything is read below a [`HostRoot`], never written, and no program is
//! run. An offline image (`--root DIR` without a running kernel's `proc/`) has
//! no sockets to read: its ports checks say so as "could not run".

pub mod cfg;
mod owners;
mod policy;
mod procnet;

use crate::audit::{Area, AreaOutput, AuditCtx, AuditOutput};
use cfg::PortsConfig;
use chrono::{DateTime, FixedOffset};
use selfcheck_catalog::{Catalog, CatalogError};
use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::{CheckOutcome, CheckRun, Inventory, ListeningSocket};
use std::fmt;
use std::path::PathBuf;

/// The catalog area whose checks [`audit`] runs.
pub const AREA: selfcheck_catalog::Area = selfcheck_catalog::Area::Ports;

/// A file of the audited host, named as the host knows it (`/proc/net/tcp6`),
/// with the `--root` directory it was read below when that is not `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFile {
    /// The path on the audited host, e.g. `/proc/net/tcp6`.
    pub path: String,
    /// The root directory given with `--root`, when the audit is not live.
    pub root: Option<PathBuf>,
}

impl HostFile {
    fn new(root: &HostRoot, host_path: &str) -> HostFile {
        HostFile {
            path: host_path.to_string(),
            root: (!root.is_live()).then(|| root.dir().to_path_buf()),
        }
    }
}

impl fmt::Display for HostFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        if let Some(root) = &self.root {
            write!(f, " (under root {})", root.display())?;
        }
        Ok(())
    }
}

/// Why the sockets could not be read (file and line named; a message an operator can act on).
#[derive(Debug, thiserror::Error)]
pub enum PortsError {
    /// `/proc/net/tcp` does not exist: there is no running kernel's `/proc` to read.
    #[error("{file} does not exist: {hint}")]
    NoSocketTable {
        /// The missing table.
        file: HostFile,
        /// What to do, depending on whether the root is live.
        hint: &'static str,
    },
    /// A socket table or `/proc` itself exists but could not be read.
    #[error(
        "cannot read {file}: {source}; run the agent as root on the audited host with /proc mounted"
    )]
    Read {
        /// The file or directory.
        file: HostFile,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A socket table (or `/proc`) is there but is not what the kernel
    /// gives: a FIFO, a device, a link loop or one leading out of the root,
    /// or a line longer than any the kernel writes.
    #[error(
        "{file} cannot be used: {source}; this is not the kernel's own /proc: audit the live host without --root, or remove it from the image"
    )]
    NotKernelTable {
        /// The file or directory.
        file: HostFile,
        /// What is wrong with it.
        source: std::io::Error,
    },
    /// More sockets in one table than the agent keeps.
    #[error(
        "{file} holds more than {cap} listening sockets (passed at line {line}); the agent stops there rather than read on, so this audit of listening ports cannot vouch for the host: find out what opens so many sockets"
    )]
    TooManySockets {
        /// The table.
        file: HostFile,
        /// The cap, [`procnet::MAX_KEPT_SOCKETS`].
        cap: usize,
        /// The line at which it was passed.
        line: usize,
    },
    /// A line of a socket table is not in the kernel's format.
    #[error(
        "{file} line {line}: {problem} (the line is {text:?}); this is not the kernel's socket-table \
         format, and rather than leave sockets out the agent reads none: give it the kernel's own /proc, \
         or report the line to the selfcheck maintainers if it is the kernel's"
    )]
    Malformed {
        /// The table.
        file: HostFile,
        /// Line number, from 1 (the header is line 1).
        line: usize,
        /// What is wrong with it.
        problem: String,
        /// The line as read (lossy UTF-8, at most 200 characters).
        text: String,
    },
}

/// Hint for a missing `/proc/net/tcp` under a root that is not `/`.
const OFFLINE_HINT: &str = "this root is an offline image, which has no running sockets to read; \
     audit listening ports on the live host by running the agent there without --root";
/// Hint for a missing `/proc/net/tcp` on the live host.
const LIVE_HINT: &str = "/proc is not mounted (or this kernel has no IPv4), so there are no sockets \
     to read; mount it (mount -t proc proc /proc) and run the agent again";

/// All listening TCP sockets (state LISTEN, 0A) and unconnected bound UDP sockets (state 07, what `ss -ul` lists as UNCONN) under the root, with owning processes where /proc/*/fd is readable. Sorted by (protocol, port, address, inode).
pub fn collect_listening_sockets(root: &HostRoot) -> Result<Vec<ListeningSocket>, PortsError> {
    // Each read of a TCP table makes the kernel walk its whole connection hash,
    // which dominates the cost on a large host: the four tables are read side
    // by side. Errors are reported in table order, whichever thread saw them.
    let per_table: Vec<Result<Vec<ListeningSocket>, PortsError>> = std::thread::scope(|scope| {
        let pending: Vec<_> = procnet::TABLES
            .iter()
            .map(|table| {
                let thread = std::thread::Builder::new().name("read-proc-net".into());
                (
                    table,
                    thread.spawn_scoped(scope, move || read_and_parse(root, table)),
                )
            })
            .collect();
        pending
            .into_iter()
            .map(|(table, spawned)| match spawned {
                Ok(handle) => handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                // No thread to spare (a process or memory limit): read it here.
                Err(_) => read_and_parse(root, table),
            })
            .collect()
    });
    let mut sockets = Vec::new();
    for table in per_table {
        sockets.extend(table?);
    }
    owners::attach_owners(root, &mut sockets)
        .map_err(|source| read_error(root, "/proc", source))?;
    sockets.sort_unstable_by(|a, b| {
        (a.protocol, a.port, a.address, a.inode).cmp(&(b.protocol, b.port, b.address, b.inode))
    });
    Ok(sockets)
}

/// The kept sockets of one table (no owners yet); none when an optional table is missing.
fn read_and_parse(
    root: &HostRoot,
    table: &procnet::Table,
) -> Result<Vec<ListeningSocket>, PortsError> {
    let file = HostFile::new(root, table.host_path);
    let mut reader = match root.open_stream(table.host_path, u64::MAX, procnet::READ_BYTES) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !table.required => {
            // No tcp6/udp6: IPv6 is disabled on this host.
            return Ok(Vec::new());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let hint = if root.is_live() {
                LIVE_HINT
            } else {
                OFFLINE_HINT
            };
            return Err(PortsError::NoSocketTable { file, hint });
        }
        Err(source) => return Err(read_error(root, table.host_path, source)),
    };
    let mut sockets = Vec::new();
    let shown = reader.get_ref().shown().to_string();
    procnet::parse_table(table, &mut reader, &shown, &mut sockets).map_err(|e| match e {
        procnet::TableError::Bad(bad) => PortsError::Malformed {
            file,
            line: bad.line,
            problem: bad.problem,
            text: bad.text,
        },
        procnet::TableError::Read(source) => read_error(root, table.host_path, source),
        procnet::TableError::TooMany { line } => PortsError::TooManySockets {
            file,
            cap: procnet::MAX_KEPT_SOCKETS,
            line,
        },
    })?;
    Ok(sockets)
}

/// A read error of a host file: what the kernel would never give (a FIFO, a
/// device, a link loop, a line past the cap) is named as such; anything else
/// is a plain read failure (permissions, a missing mount).
fn read_error(root: &HostRoot, host_path: &str, source: std::io::Error) -> PortsError {
    let file = HostFile::new(root, host_path);
    match source.kind() {
        std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData => {
            PortsError::NotKernelTable { file, source }
        }
        _ => PortsError::Read { file, source },
    }
}

/// The listening-ports area behind the [`Area`] trait, with its `[ports]`
/// section of the agent configuration.
#[derive(Debug, Clone, Copy)]
pub struct PortsArea<'a> {
    /// The `[ports]` section: the allowlist.
    pub config: &'a PortsConfig,
}

impl Area for PortsArea<'_> {
    fn id(&self) -> selfcheck_catalog::Area {
        AREA
    }

    fn audit(&self, ctx: &AuditCtx<'_>) -> Result<AreaOutput, CatalogError> {
        let (output, sockets) = audit(
            ctx.root,
            ctx.catalog,
            self.config,
            ctx.asset_key,
            ctx.clock.now(),
        )?;
        Ok(AreaOutput {
            output,
            inventory: Inventory {
                listening_sockets: sockets,
                ..Inventory::default()
            },
        })
    }
}

/// Runs every catalog check of area "ports". If the sockets cannot be read, every ports check gets CheckOutcome::CouldNotRun{reason} and the inventory is None. Catalog param errors (bad `ports`, unknown `exposure`, ...) are returned as Err (CatalogError via CheckDef::param_error, naming file, check and key).
///
/// On success the output holds one [`CheckRun`] per ports check (in id order),
/// the findings ordered by check id, then protocol and port, and the findings
/// the allowlist in `config` suppressed; the second value is the socket
/// inventory the checks were judged on.
pub fn audit(
    root: &HostRoot,
    catalog: &Catalog,
    config: &PortsConfig,
    asset_key: &str,
    now: DateTime<FixedOffset>,
) -> Result<(AuditOutput, Option<Vec<ListeningSocket>>), CatalogError> {
    let rules = catalog
        .area(AREA)
        .map(policy::PortRule::from_check)
        .collect::<Result<Vec<_>, _>>()?;
    match collect_listening_sockets(root) {
        Ok(sockets) => {
            let ctx = policy::Context {
                allow: &config.allow,
                asset_key,
                now,
            };
            let output = policy::evaluate(&rules, &sockets, &ctx);
            Ok((output, Some(sockets)))
        }
        Err(e) => {
            let reason = e.to_string();
            let checks = rules
                .iter()
                .map(|r| CheckRun {
                    check_id: r.check_id().clone(),
                    outcome: CheckOutcome::CouldNotRun {
                        reason: reason.clone(),
                    },
                })
                .collect();
            Ok((
                AuditOutput {
                    checks,
                    ..AuditOutput::default()
                },
                None,
            ))
        }
    }
}
