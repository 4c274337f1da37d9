//! The selfcheck collector: stores signed agent reports and turns them into the
//! monthly inspection and rectification ledger (检查整改台账).
//!
//! The core (store, import, engine, ledger) is `selfcheck-ledger`, every
//! document is rendered by `selfcheck-documents`; this crate holds what runs
//! around them, each usable alone (the umbrella `selfcheck` binary embeds them):
//! - [`evidence`]: the signed evidence package for the cyber office;
//! - [`serve`]: reports over HTTPS with mutual TLS;
//! - [`pki`]: the collector's certificate authority;
//! - [`cli`]: the `selfcheck-collector` command line.

pub mod assets_cli;
pub mod cli;
pub mod evidence;
pub mod evidence_cli;
pub mod finding_cli;
pub mod pki;
pub mod pki_cli;
pub mod serve;
pub mod serve_cli;

pub use cli::{CollectorCli, default_data_dir, run};
pub use selfcheck_documents::present::{Format, render};
pub use selfcheck_documents::{self as documents, present};
pub use selfcheck_ledger::{ImportError, ImportOptions, ImportOutcome, import_bytes, import_paths};
pub use selfcheck_ledger::{
    Ledger, LedgerRow, Store, StoreError, assets, calendar, config, deadlines, engine, history,
    import, ledger, store,
};
