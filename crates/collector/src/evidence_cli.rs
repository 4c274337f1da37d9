//! The `evidence` and `verify` subcommands: make the month's signed evidence
//! package, and check one offline (no store needed, as the cyber office does).

use crate::cli::GlobalArgs;
use crate::evidence::key::{fingerprint_of, parse_public_key_pem};
use crate::evidence::verify::MAX_TOTAL_BYTES;
use crate::evidence::{
    Member, VerifyOptions, VerifyReport, build_package, load_or_create_collector_key,
    verify_package_with,
};
use crate::store::Store;
use anyhow::{Context, Result, bail};
use clap::Args;
use selfcheck_report::Period;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Options of `evidence`.
#[derive(Debug, Clone, Args)]
#[command(
    long_about = "Write the month's evidence package (佐证材料包): one zip holding the ledger \
documents, every raw signed agent report of the month exactly as imported, the month's run of \
the hash-chained history, the collector's public key (collector-public-key.pem) and \
manifest.json, which lists every member with its size, SHA-256 and SM3 digest and is signed \
with the collector's Ed25519 key (manifest.sig).\n\nThe collector key is DATA/collector-key.pem, \
created (mode 0600) on first use. Give the office its fingerprint, printed here, so they can \
check packages with `verify --expect-key`. The layout is described in docs/evidence-package.md.",
    after_help = "Examples:\n  selfcheck-collector evidence --month 2026-11 --out 佐证材料-2026-11.zip\n  selfcheck-collector verify 佐证材料-2026-11.zip"
)]
pub struct EvidenceArgs {
    /// The inspection month [default: the current month].
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<Period>,
    /// Where to write the zip.
    #[arg(long, value_name = "FILE.zip")]
    pub out: PathBuf,
}

/// Options of `verify`.
#[derive(Debug, Clone, Args)]
#[command(
    long_about = "Check an evidence package offline; no collector store is needed.\n\nChecked: \
the zip itself (no absolute or `..` names, no duplicate names, size and compression limits), \
the manifest's signature against the collector key in the package (and against the key you \
expect, with --expect-key), every member's size, SHA-256 and SM3 against the manifest, missing \
and extra members, every agent report's own Ed25519 signature and content rules, and the \
history run's hash chain.\n\nOne line per problem, naming the member. Exit status: 0 when the \
package is intact, 1 when anything is wrong, 2 when the file cannot be read.",
    after_help = "Examples:\n  selfcheck-collector verify 佐证材料-2026-11.zip\n  selfcheck-collector verify --expect-key sha256:3f1c…  佐证材料-2026-11.zip\n  selfcheck-collector verify --expect-key unit-collector.pub.pem --json 佐证材料-2026-11.zip"
)]
pub struct VerifyArgs {
    /// The evidence package.
    #[arg(value_name = "FILE.zip")]
    pub file: PathBuf,
    /// The collector key the package must be signed with: its fingerprint
    /// (sha256:HEX, as `evidence` prints it) or a PEM public key file.
    #[arg(long, value_name = "FINGERPRINT|FILE")]
    pub expect_key: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Run `evidence`: build the month's package with `documents` (the ledger
/// files the caller rendered) and write it to `--out`.
pub fn run_evidence(
    global: &GlobalArgs,
    args: &EvidenceArgs,
    documents: Vec<Member>,
) -> Result<ExitCode> {
    let dir = global.data_dir()?;
    let store = Store::open_existing(&dir)?;
    let key = load_or_create_collector_key(&dir)?;
    let period = args
        .month
        .unwrap_or_else(|| Period::of(&chrono::Local::now()));
    let reports = store.reports(Some(period))?.len();
    let created_at = chrono::Local::now().fixed_offset();
    let bytes = build_package(&store, period, documents, &key, created_at)
        .with_context(|| format!("cannot build the evidence package of {period}"))?;
    write_new_file(&args.out, &bytes).with_context(|| {
        format!(
            "cannot write the evidence package to {}",
            args.out.display()
        )
    })?;
    println!(
        "evidence package {period}: {reports} agent report(s), {} bytes, signed by collector key {}, written to {}",
        bytes.len(),
        key.fingerprint(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Write through a temporary file in the same directory and a rename, so a
/// half-written package never carries the final name.
fn write_new_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(&tmp)?;
    let written = f.write_all(bytes).and_then(|_| f.sync_all());
    drop(f);
    if let Err(e) = written.and_then(|_| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}

/// Run `verify`: exit 0 when intact, 1 with one line per problem.
pub fn run_verify(args: &VerifyArgs) -> Result<ExitCode> {
    let expect_key = args.expect_key.as_deref().map(expected_key).transpose()?;
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?
        .len();
    if size > MAX_TOTAL_BYTES {
        bail!(
            "{} is {size} bytes, more than the {MAX_TOTAL_BYTES}-byte limit of an evidence package",
            args.file.display()
        );
    }
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let report = verify_package_with(&bytes, &VerifyOptions { expect_key });
    if args.json {
        let mut value = serde_json::to_value(&report)?;
        value["intact"] = report.is_intact().into();
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", verify_text(&args.file, &report));
    }
    Ok(if report.is_intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The text `verify` prints: a header, then one line per problem or `intact`.
pub fn verify_text(file: &Path, report: &VerifyReport) -> String {
    let mut out = String::new();
    let or_unknown = |s: Option<String>| s.unwrap_or_else(|| "?".to_string());
    out.push_str(&format!(
        "{}: evidence package {}, made {}, signed by collector key {}\n",
        file.display(),
        or_unknown(report.period.map(|p| p.to_string())),
        or_unknown(report.created_at.clone()),
        or_unknown(report.key_fingerprint.clone()),
    ));
    for p in &report.problems {
        let line: String = p
            .to_string()
            .chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        out.push_str(&format!("problem: {line}\n"));
    }
    if report.is_intact() {
        out.push_str(&format!(
            "intact: {} member(s), {} agent report(s) verified, {} history entr(y/ies) verified; history head at packaging {} ({} entries)\n",
            report.members,
            report.reports_verified,
            report.history_entries,
            or_unknown(report.history_head.clone()),
            or_unknown(report.history_count.map(|c| c.to_string())),
        ));
    } else {
        out.push_str(&format!(
            "NOT INTACT: {} problem(s)\n",
            report.problems.len()
        ));
    }
    out
}

/// `--expect-key`: a `sha256:HEX` fingerprint, or a PEM public key file.
fn expected_key(value: &str) -> Result<String> {
    if let Some(hex_part) = value.strip_prefix("sha256:") {
        if hex_part.len() == 64 && hex_part.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(value.to_ascii_lowercase());
        }
        bail!("--expect-key {value:?} is not a key fingerprint (sha256: and 64 hex digits)");
    }
    let path = Path::new(value);
    let pem = std::fs::read_to_string(path).with_context(|| {
        format!("--expect-key {value:?} is neither a sha256: fingerprint nor a readable key file")
    })?;
    let key = parse_public_key_pem(&pem)
        .map_err(|e| anyhow::anyhow!("--expect-key {}: {e}", path.display()))?;
    Ok(fingerprint_of(&key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_key_takes_a_fingerprint_or_a_pem_file() {
        let fp = format!("sha256:{}", "AB".repeat(32));
        assert_eq!(expected_key(&fp).unwrap(), fp.to_ascii_lowercase());
        assert!(expected_key("sha256:abc").is_err());
        let tmp = tempfile::tempdir().unwrap();
        let key = selfcheck_report::AgentKey::from_secret_bytes([7; 32]);
        let path = tmp.path().join("k.pem");
        std::fs::write(&path, crate::evidence::key::public_key_pem(&key).unwrap()).unwrap();
        assert_eq!(
            expected_key(path.to_str().unwrap()).unwrap(),
            key.fingerprint()
        );
        assert!(expected_key("/nonexistent/key.pem").is_err());
    }
}
