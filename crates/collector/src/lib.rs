//! The selfcheck collector: stores signed agent reports and turns them into the
//! monthly inspection and rectification ledger (检查整改台账).
//!
//! The pieces, each usable alone (the umbrella `selfcheck` binary embeds them):
//! - [`store`]: the SQLite store; one transaction per report, so a failed
//!   import leaves nothing behind;
//! - [`import`]: reading report files safely, verifying them and storing them
//!   once each, with per-host agent key pinning;
//! - [`ledger`]: the month's ledger rows, built by pure logic from stored data;
//! - [`present`]: table, CSV and JSON output of a ledger, in Chinese or English;
//! - [`cli`]: the `selfcheck-collector` command line.

pub mod assets;
pub mod assets_cli;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod deadlines;
pub mod documents;
pub mod engine;
pub mod evidence;
pub mod evidence_cli;
pub mod finding_cli;
pub mod history;
pub mod import;
pub mod ledger;
pub mod pki;
pub mod pki_cli;
pub mod present;
pub mod serve;
pub mod serve_cli;
pub mod store;

pub use cli::{CollectorCli, default_data_dir, run};
pub use import::{ImportError, ImportOptions, ImportOutcome, import_bytes, import_paths};
pub use ledger::{Ledger, LedgerRow};
pub use present::{Format, render};
pub use store::{Store, StoreError};
