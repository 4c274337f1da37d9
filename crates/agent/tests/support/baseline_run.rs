//! Running the configuration-baseline audit in tests: at the fixed audit
//! time, with the embedded or an edited catalog, and reading outcomes.

use chrono::{DateTime, FixedOffset};
use selfcheck_agent::areas::baseline::audit;
use selfcheck_agent::audit::AuditOutput;
use selfcheck_catalog::{Catalog, CatalogSource};
use selfcheck_hostfs::root::HostRoot;
use selfcheck_report::CheckOutcome;
use std::fs;
use std::path::Path;

pub fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-26T10:00:00+08:00").unwrap()
}

pub fn run_with(root: &Path, catalog: &Catalog) -> AuditOutput {
    audit(&HostRoot::at(root).unwrap(), catalog, "asset", now())
}

pub fn run(root: &Path) -> AuditOutput {
    run_with(root, &Catalog::embedded().unwrap())
}

pub fn outcome(out: &AuditOutput, id: &str) -> CheckOutcome {
    out.checks
        .iter()
        .find(|c| c.check_id.as_str() == id)
        .unwrap_or_else(|| panic!("{id} did not run"))
        .outcome
        .clone()
}

pub fn evidence(out: &AuditOutput, id: &str) -> Vec<String> {
    out.findings
        .iter()
        .filter(|f| f.check_id.as_str() == id)
        .flat_map(|f| f.evidence.clone())
        .collect()
}

/// The embedded catalog with `baseline.toml`'s text changed by `edit`.
pub fn catalog_with(edit: impl Fn(String) -> String) -> Catalog {
    let files = ["baseline.toml", "baseline-sshd.toml"].map(|n| {
        let text =
            fs::read_to_string(format!("{}/../../checks/{n}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let text = if n == "baseline.toml" {
            edit(text)
        } else {
            text
        };
        (format!("checks/{n}"), text)
    });
    Catalog::from_files(files, CatalogSource::Embedded).unwrap()
}
