//! The selfcheck collector: stores signed agent reports and turns them into the
//! monthly inspection and rectification ledger (检查整改台账).
//!
//! The core (store, import, engine, ledger) is `selfcheck-ledger`, every
//! document is rendered by `selfcheck-documents`; this crate holds what runs
//! around them, each usable alone (the umbrella `selfcheck` binary embeds them):
//! - [`evidence`]: the signed evidence package for the cyber office;
//! - [`serve`]: reports over HTTPS with mutual TLS;
//! - [`pki`]: the collector's certificate authority;
//! - [`app`]: the use cases (import, the month's ledger and documents, the
//!   evidence package, findings, assets, the CA, the server);
//! - [`cli`]: the `selfcheck-collector` command line, which parses flags,
//!   calls [`app`] and renders what it returns.

pub mod app;
pub mod cli;
pub mod evidence;
pub mod pki;
pub mod serve;

pub use cli::{CollectorCli, default_data_dir, run};
pub use selfcheck_documents::present::{Format, render};
pub use selfcheck_documents::{self as documents, present};
pub use selfcheck_ledger::{ImportError, ImportOptions, ImportOutcome, import_bytes, import_paths};
pub use selfcheck_ledger::{
    Ledger, LedgerRow, MonthDocuments, Store, StoreError, assets, calendar, config, deadlines,
    engine, history, import, ledger, month_documents, store,
};
