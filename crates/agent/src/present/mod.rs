//! Everything the agent prints: run summaries, socket lists, the catalog, the
//! baseline, file integrity and delivery. Output goes to strings or writers so
//! the CLI and tests share it; JSON documents are the serde view structs here.

pub mod baseline;
pub mod catalog;
pub mod fim;
pub mod inventory;
pub mod report;
pub mod submit;

pub use baseline::{baseline_table, clause_table};
pub use catalog::{check_details, checks_list};
pub use inventory::{sockets_table, upgradable_table};
pub use report::{exit_status, not_applicable_table, run_details, run_summary};

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use selfcheck_catalog::Lang;
use selfcheck_report::Severity;

/// How results are printed (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Tables for people.
    Table,
    /// JSON for programs.
    Json,
}

/// A view as the pretty JSON document the agent prints. The document goes
/// through [`serde_json::Value`], whose objects keep their keys sorted, so
/// every document has its keys in the same (alphabetical) order, nested
/// report types included, whatever order a view declares its fields in.
pub fn json_document<T: serde::Serialize>(view: &T) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&serde_json::to_value(view)?)
}

/// A table in the agent's style, wrapped to the terminal (or COLUMNS, or 160 columns).
pub(crate) fn table(header: Vec<&str>) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header)
        .set_width(selfcheck_term::width::output_width());
    t
}

/// A risk level in the chosen language.
pub fn risk_label(risk: Severity, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => risk.zh(),
        Lang::En => risk.as_str(),
    }
}
