//! The collector's core: the SQLite store (which owns every SQL statement),
//! report import, the asset registry, the hash-chained history, deadlines and
//! the holiday calendar, and the ledger engine that turns stored facts into
//! the month's inspection and rectification ledger (检查整改台账).
//!
//! - [`store`]: the SQLite store; one transaction per report, so a failed
//!   import leaves nothing behind;
//! - [`import`]: reading report files safely, verifying them and storing them
//!   once each, with per-host agent key pinning;
//! - [`engine`]: pure logic from stored facts to the month, no store, no clock;
//! - [`ledger`]: the month's ledger rows with the catalog's texts;
//! - [`month_documents`]: everything a month's documents are rendered from,
//!   read from the store once.

pub mod assets;
pub mod calendar;
pub mod columns;
pub mod config;
pub mod deadlines;
pub mod engine;
mod file_kind;
pub mod history;
pub mod import;
pub mod ledger;
pub mod month_documents;
pub mod store;

pub use import::{ImportError, ImportOptions, ImportOutcome, import_bytes, import_paths};
pub use ledger::{Ledger, LedgerRow};
pub use month_documents::{MonthDocuments, TrendPoint};
pub use store::{Store, StoreError};
