//! File integrity monitoring (FIM): the scan engine.
//!
//! [`scope`] reads what to watch from the catalog check `fim.unexplained-change`
//! (`checks/fim.toml`), [`scan`] walks it below a [`selfcheck_hostfs::root::HostRoot`]
//! without following links and hashes file contents in parallel, and [`entry`]
//! holds the results compactly (one byte arena for all paths). [`baseline`]
//! stores a scan's entries as a signed, chained baseline in the state
//! directory, and [`diff`] compares a scan with it and builds the baseline that
//! accepts changes.

pub mod audit;
pub mod baseline;
pub mod cfg;
pub mod diff;
pub mod entry;
pub mod explain;
pub mod scan;
pub mod scope;
pub mod verify;

pub use baseline::{
    Acceptance, BaselineError, BaselineInfo, Manifest, load_baseline, write_baseline,
};
pub use diff::{Change, ChangeKind, apply_accepted, compare};
pub use entry::{DigestAlg, Entries, Entry, EntryRef, Kind};
pub use scan::{ScanOptions, ScanResult, ScanStats, scan};
pub use scope::{Attrs, CHECK_ID, Pattern, Rule, Scope};
