//! File integrity monitoring (FIM): the scan engine.
//!
//! [`scope`] reads what to watch from the catalog check `fim.unexplained-change`
//! (`checks/fim.toml`), [`scan`] walks it below a [`crate::root::HostRoot`]
//! without following links and hashes file contents in parallel, and [`entry`]
//! holds the results compactly (one byte arena for all paths). Baselines and
//! comparison build on [`ScanResult`].

pub mod entry;
pub mod scan;
pub mod scope;

pub use entry::{DigestAlg, Entries, Entry, EntryRef, Kind};
pub use scan::{ScanOptions, ScanResult, ScanStats, scan};
pub use scope::{Attrs, CHECK_ID, Pattern, Rule, Scope};
