//! Running `selfcheck-agent run --format json` in tests and reading back the
//! verified report.

use assert_cmd::Command;
use selfcheck_report::{Report, SignedReport};
use std::path::Path;

/// `selfcheck-agent run` on `root` (the live host when `None`) with a fresh
/// state directory, no agent config and `--fail-on none`, plus `extra`
/// arguments; the report it printed, after verifying its signature.
pub fn run_json(root: Option<&Path>, extra: &[&str]) -> Report {
    let state = tempfile::tempdir().unwrap();
    let mut c = Command::cargo_bin("selfcheck-agent").unwrap();
    c.env_remove("SELFCHECK_STATE_DIR")
        .env_remove("SELFCHECK_AGENT_CONFIG")
        .args([
            "run",
            "--format",
            "json",
            "--fail-on",
            "none",
            "--config",
            "/dev/null",
            "--state-dir",
        ])
        .arg(state.path())
        .args(extra);
    if let Some(r) = root {
        c.arg("--root").arg(r);
    }
    let out = c.assert().success().get_output().stdout.clone();
    // The printed form is pretty JSON; verification accepts any spelling of the same value.
    SignedReport::verify_bytes(&out)
        .expect("the printed report verifies")
        .signed
        .report
}
