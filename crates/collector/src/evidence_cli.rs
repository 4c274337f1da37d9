//! The `evidence` and `verify` subcommands: make the month's signed evidence
//! package, and check one offline (no store needed, as the cyber office does).

use crate::cli::GlobalArgs;
use crate::evidence::verify::MAX_TOTAL_BYTES;
use crate::evidence::{
    Signers, Sm2Key, VerifyOptions, VerifyReport, key, load_or_create_collector_key, sm2,
    verify_file, write_package,
};
use anyhow::{Context, Result, bail};
use clap::Args;
use selfcheck_catalog::Lang;
use selfcheck_ledger::config::CollectorConfig;
use selfcheck_ledger::store::Store;
use selfcheck_report::Period;
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
check packages with `verify --expect-key`.\n\nWith an SM2 key (--sm2 FILE, or sm2_key in the \
[evidence] section of collector.toml), the manifest is also signed with SM2 (GB/T 32918, SM3, \
distinguishing identifier 1234567812345678): manifest.sm2.sig, verifiable with openssl alone, \
and the SM2 public key as collector-sm2-public-key.pem. Make the key with `openssl genpkey \
-algorithm SM2 -out sm2.pem` and `chmod 600 sm2.pem`; the collector never makes one.\n\nThe \
package is written through a temporary file next to FILE.zip and renamed when complete. The \
layout is described in docs/evidence-package.md.",
    after_help = "Examples:\n  selfcheck-collector evidence --month 2026-11 --out 佐证材料-2026-11.zip\n  selfcheck-collector evidence --month 2026-11 --out 佐证材料-2026-11.zip --sm2 /etc/selfcheck/sm2.pem\n  selfcheck-collector verify 佐证材料-2026-11.zip"
)]
pub struct EvidenceArgs {
    /// The inspection month [default: the current month].
    #[arg(long, value_name = "YYYY-MM")]
    pub month: Option<Period>,
    /// Where to write the zip.
    #[arg(long, value_name = "FILE.zip")]
    pub out: PathBuf,
    /// Also sign the manifest with this SM2 private key (PEM, PKCS#8 or SEC1,
    /// mode 0600) [default: sm2_key in the [evidence] section of collector.toml].
    #[arg(long, value_name = "KEY.pem")]
    pub sm2: Option<PathBuf>,
}

/// Options of `verify`.
#[derive(Debug, Clone, Args)]
#[command(
    long_about = "Check an evidence package offline; no collector store is needed.\n\nChecked: \
the zip itself (no absolute or `..` names, no duplicate names, size and compression limits), \
the manifest's Ed25519 signature against the collector key in the package (and against the key \
you expect, with --expect-key), its SM2 signature when the manifest names an SM2 key, every \
member's size, SHA-256 and SM3 against the manifest, missing and extra members, every agent \
report's own Ed25519 signature and content rules, and the history run's hash chain. The zip is \
read a member at a time.\n\nOne line per problem, naming the member. Exit status: 0 when the \
package is intact, 1 when anything is wrong, 2 when the file cannot be read.",
    after_help = "Examples:\n  selfcheck-collector verify 佐证材料-2026-11.zip\n  selfcheck-collector verify --expect-key sha256:3f1c…  佐证材料-2026-11.zip\n  selfcheck-collector verify --expect-key sha256:3f1c… --expect-key sm3:9a0b… 佐证材料-2026-11.zip\n  selfcheck-collector verify --expect-key unit-collector.pub.pem --json 佐证材料-2026-11.zip\n\nThe SM2 signature with openssl alone (OpenSSL 3), after unzipping:\n  openssl pkeyutl -verify -in manifest.json -rawin -digest sm3 -pubin -inkey collector-sm2-public-key.pem -sigfile manifest.sm2.sig -pkeyopt distid:1234567812345678"
)]
pub struct VerifyArgs {
    /// The evidence package.
    #[arg(value_name = "FILE.zip")]
    pub file: PathBuf,
    /// A key the package must be signed with: the collector key's fingerprint
    /// (sha256:HEX, as `evidence` prints it), the SM2 key's (sm3:HEX), or a
    /// PEM public key file of either. Give it twice to pin both keys.
    #[arg(long, value_name = "FINGERPRINT|FILE")]
    pub expect_key: Vec<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Run `evidence`: render the month's documents and write its package to
/// `--out`, signed with the collector key and, where configured, the SM2 key.
pub fn run_evidence(global: &GlobalArgs, args: &EvidenceArgs) -> Result<ExitCode> {
    let dir = global.data_dir()?;
    let config = CollectorConfig::load(global.config.as_deref(), &dir)?;
    let catalog = global.catalog()?;
    let mut store = Store::open_existing(&dir)?;
    // The keys first: a refused key stops the command before the long part.
    let key = load_or_create_collector_key(&dir)?;
    let sm2 = sm2_key(args, &config)?;
    let period = args
        .month
        .unwrap_or_else(|| Period::of(&chrono::Local::now()));
    let out_dir = match args.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // Large documents go through files next to the package, not memory.
    let parts = tempfile::Builder::new()
        .prefix(".evidence-documents-")
        .tempdir_in(out_dir)
        .with_context(|| {
            format!(
                "cannot create a temporary directory in {} for the documents",
                out_dir.display()
            )
        })?;
    let documents = crate::cli::month_documents(
        &mut store,
        period,
        &catalog,
        &config,
        Lang::Zh,
        parts.path(),
    )?;
    let created_at = chrono::Local::now().fixed_offset();
    let signers = Signers {
        collector: &key,
        sm2: sm2.as_ref(),
    };
    let summary = write_package(&store, period, documents, signers, created_at, &args.out)
        .with_context(|| {
            format!(
                "cannot write the evidence package of {period} to {}",
                args.out.display()
            )
        })?;
    drop(parts);
    let size = std::fs::metadata(&args.out).map_or(0, |m| m.len());
    let sm2_part = sm2
        .as_ref()
        .map(|k| format!(" and SM2 key {}", k.fingerprint()))
        .unwrap_or_default();
    println!(
        "evidence package {period}: {} agent report(s), {size} bytes, signed by collector key {}{sm2_part}, written to {}",
        summary.reports,
        key.fingerprint(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The SM2 key: `--sm2`, else `[evidence] sm2_key`, else none.
fn sm2_key(args: &EvidenceArgs, config: &CollectorConfig) -> Result<Option<Sm2Key>> {
    if let Some(path) = &args.sm2 {
        return Ok(Some(Sm2Key::load(path)?));
    }
    match &config.evidence.sm2_key {
        None => Ok(None),
        Some(path) => {
            let source = config
                .source
                .as_ref()
                .map_or_else(|| "collector.toml".to_string(), |p| p.display().to_string());
            Sm2Key::load(path)
                .map(Some)
                .with_context(|| format!("[evidence] sm2_key in {source}"))
        }
    }
}

/// Run `verify`: exit 0 when intact, 1 with one line per problem.
pub fn run_verify(args: &VerifyArgs) -> Result<ExitCode> {
    let options = expected_keys(&args.expect_key)?;
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?
        .len();
    if size > MAX_TOTAL_BYTES {
        bail!(
            "{} is {size} bytes, more than the {MAX_TOTAL_BYTES}-byte limit of an evidence package",
            args.file.display()
        );
    }
    let report = verify_file(&args.file, &options)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
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
    let sm2_part = report
        .sm2_key_fingerprint
        .as_ref()
        .map(|fp| format!(" and SM2 key {fp}"))
        .unwrap_or_default();
    out.push_str(&format!(
        "{}: evidence package {}, made {}, signed by collector key {}{sm2_part}\n",
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
        let signatures = if report.sm2_signature_valid {
            "Ed25519 and SM2 signatures verified"
        } else {
            "Ed25519 signature verified (no SM2 signature)"
        };
        out.push_str(&format!(
            "intact: {} member(s), {signatures}, {} agent report(s) verified, {} history entr(y/ies) verified; history head at packaging {} ({} entries)\n",
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

/// A key `--expect-key` pins, by its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expected {
    /// The collector's Ed25519 key (`sha256:HEX`).
    Collector(String),
    /// The SM2 key (`sm3:HEX`).
    Sm2(String),
}

/// Every `--expect-key`, at most one of each kind of key.
fn expected_keys(values: &[String]) -> Result<VerifyOptions> {
    let mut options = VerifyOptions::default();
    for value in values {
        let (slot, fp, kind) = match expected_key(value)? {
            Expected::Collector(fp) => (&mut options.expect_key, fp, "collector (Ed25519)"),
            Expected::Sm2(fp) => (&mut options.expect_sm2_key, fp, "SM2"),
        };
        match slot {
            Some(old) if *old != fp => bail!(
                "--expect-key names two {kind} keys ({old} and {fp}); a package is signed by one key of each kind"
            ),
            _ => *slot = Some(fp),
        }
    }
    Ok(options)
}

/// One `--expect-key`: a `sha256:HEX` or `sm3:HEX` fingerprint, or a PEM
/// public key file (Ed25519 or SM2).
fn expected_key(value: &str) -> Result<Expected> {
    let hex64 = |h: &str| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(hex_part) = value.strip_prefix("sha256:") {
        if hex64(hex_part) {
            return Ok(Expected::Collector(value.to_ascii_lowercase()));
        }
        bail!("--expect-key {value:?} is not a key fingerprint (sha256: and 64 hex digits)");
    }
    if let Some(hex_part) = value.strip_prefix("sm3:") {
        if hex64(hex_part) {
            return Ok(Expected::Sm2(value.to_ascii_lowercase()));
        }
        bail!("--expect-key {value:?} is not an SM2 key fingerprint (sm3: and 64 hex digits)");
    }
    let path = Path::new(value);
    let pem = std::fs::read_to_string(path).with_context(|| {
        format!(
            "--expect-key {value:?} is neither a sha256: or sm3: fingerprint nor a readable key file"
        )
    })?;
    let ed25519 = match key::parse_public_key_pem(&pem) {
        Ok(k) => return Ok(Expected::Collector(key::fingerprint_of(&k))),
        Err(e) => e,
    };
    match sm2::parse_public_key_pem(&pem) {
        Ok(k) => Ok(Expected::Sm2(sm2::fingerprint_of(&k))),
        Err(e) => bail!(
            "--expect-key {}: neither an Ed25519 nor an SM2 public key in PEM form ({ed25519}; {e})",
            path.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_key_takes_a_fingerprint_or_a_pem_file() {
        let fp = format!("sha256:{}", "AB".repeat(32));
        assert_eq!(
            expected_key(&fp).unwrap(),
            Expected::Collector(fp.to_ascii_lowercase())
        );
        assert!(expected_key("sha256:abc").is_err());
        let sm3 = format!("sm3:{}", "cd".repeat(32));
        assert_eq!(expected_key(&sm3).unwrap(), Expected::Sm2(sm3.clone()));
        assert!(expected_key("sm3:abc").is_err());
        let tmp = tempfile::tempdir().unwrap();
        let key = selfcheck_report::AgentKey::from_secret_bytes([7; 32]);
        let path = tmp.path().join("k.pem");
        std::fs::write(&path, crate::evidence::key::public_key_pem(&key).unwrap()).unwrap();
        assert_eq!(
            expected_key(path.to_str().unwrap()).unwrap(),
            Expected::Collector(key.fingerprint())
        );
        let secret = ::sm2::SecretKey::from_slice(&[7u8; 32]).unwrap();
        let pem = ::sm2::pkcs8::EncodePrivateKey::to_pkcs8_pem(&secret, Default::default());
        let sm2_key = Sm2Key::from_pem(&pem.unwrap()).unwrap();
        let sm2_path = tmp.path().join("sm2.pub.pem");
        std::fs::write(&sm2_path, sm2_key.public_key_pem().unwrap()).unwrap();
        assert_eq!(
            expected_key(sm2_path.to_str().unwrap()).unwrap(),
            Expected::Sm2(sm2_key.fingerprint().to_string())
        );
        assert!(expected_key("/nonexistent/key.pem").is_err());

        let both = expected_keys(&[fp.clone(), sm3.clone(), fp.clone()]).unwrap();
        assert_eq!(both.expect_key, Some(fp.to_ascii_lowercase()));
        assert_eq!(both.expect_sm2_key, Some(sm3));
        let err = expected_keys(&[fp, key.fingerprint()]).unwrap_err();
        assert!(err.to_string().contains("two collector"), "{err}");
    }
}
