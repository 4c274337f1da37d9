//! The JSON Schema of the report file, generated from the types in this crate.
//!
//! `docs/report-v2.schema.json` is this output; a test fails when they differ.
//! To refresh the file after changing the types: `SELFCHECK_BLESS=1 cargo test -p selfcheck-report schema`.

use crate::signing::SignedReport;

/// The JSON Schema of a signed report file, pretty-printed, with a final newline.
pub fn report_schema_json() -> String {
    let schema = schemars::schema_for!(SignedReport);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
