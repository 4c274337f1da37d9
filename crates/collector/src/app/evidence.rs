//! The month's evidence package: render the documents, sign and write the
//! zip; and the offline check of a package, with the keys the office pins.

use super::month;
use crate::evidence::verify::MAX_TOTAL_BYTES;
use crate::evidence::{
    ExpectedHead, Member, Signers, Sm2Key, VerifyOptions, VerifyReport, key,
    load_or_create_collector_key, sm2, verify_file, write_package,
};
use anyhow::{Context, Result, bail};
use selfcheck_catalog::{Catalog, Lang};
use selfcheck_documents::sheets::{self, LedgerLayout};
use selfcheck_documents::{Documents, csv, html, xlsx};
use selfcheck_ledger::config::CollectorConfig;
use selfcheck_ledger::store::Store;
use selfcheck_report::Period;
use std::path::Path;

/// What [`export`] wrote, for the line the command prints.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The month.
    pub period: Period,
    /// Agent reports in the package.
    pub reports: usize,
    /// The package's size in bytes.
    pub size: u64,
    /// The fingerprint of the collector key that signed it.
    pub key_fingerprint: String,
    /// The fingerprint of the SM2 key that also signed it, if any.
    pub sm2_fingerprint: Option<String>,
    /// The history head it carries: entries and the head's digest (what the
    /// office keeps to check next month's package with).
    pub history_head: (u64, String),
}

/// Write the month's evidence package to `out`, signed with the collector key
/// (`DATA/collector-key.pem`, created on first use) and, with `sm2` or
/// `[evidence] sm2_key`, the SM2 key.
pub fn export(
    dir: &Path,
    config: &CollectorConfig,
    catalog: &Catalog,
    period: Period,
    out: &Path,
    sm2: Option<&Path>,
) -> Result<Exported> {
    // A data directory without a store has nothing to package: refused
    // before a collector key is made there.
    if !dir.join(selfcheck_ledger::store::DB_FILE).is_file() {
        return Err(selfcheck_ledger::store::StoreError::Missing {
            path: dir.join(selfcheck_ledger::store::DB_FILE),
        }
        .into());
    }
    // The keys first: a refused key stops the command before the long part.
    let key = load_or_create_collector_key(dir)?;
    let sm2 = sm2_key(sm2, config)?;
    // A store made before sealing is bound here; then the store must prove
    // its ledger before anything is signed.
    let mut store = super::store::open_sealed(dir)?;
    super::store::refuse_unless_consistent(&store, &key)?;
    let out_dir = match out.parent() {
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
    let documents = month_documents(&mut store, period, catalog, config, Lang::Zh, parts.path())?;
    let created_at = chrono::Local::now().fixed_offset();
    let signers = Signers {
        collector: &key,
        sm2: sm2.as_ref(),
    };
    let summary =
        write_package(&store, period, documents, signers, created_at, out).with_context(|| {
            format!(
                "cannot write the evidence package of {period} to {}",
                out.display()
            )
        })?;
    drop(parts);
    // The next month's package starts its history at this head.
    store
        .record_evidence_signed(
            period,
            summary.history_count,
            &summary.history_head,
            &key.fingerprint(),
            chrono::Local::now().fixed_offset(),
        )
        .with_context(|| {
            format!(
                "the package {} is written, but recording it in the history failed",
                out.display()
            )
        })?;
    Ok(Exported {
        period,
        reports: summary.reports,
        size: std::fs::metadata(out).map_or(0, |m| m.len()),
        key_fingerprint: key.fingerprint(),
        sm2_fingerprint: sm2.as_ref().map(|k| k.fingerprint().to_string()),
        history_head: (summary.history_count, summary.history_head),
    })
}

/// The month's documents as evidence-package members: the xlsx workbook, one
/// csv per sheet and the printable html report. Each is rendered into a file
/// in `dir` (a temporary directory the caller removes), so the package copies
/// them a piece at a time and the ledger is out of memory by then.
pub fn month_documents(
    store: &mut Store,
    period: Period,
    catalog: &Catalog,
    config: &CollectorConfig,
    lang: Lang,
    dir: &Path,
) -> Result<Vec<Member>> {
    let layout = LedgerLayout::from_config(&config.ledger, None)?;
    // The html report first, with last month's ledger (nothing else needs
    // it), then the sheets: the two ledgers and the sheets are never in memory
    // at once. The JSON (hundreds of MB for a large unit) is left out: the
    // xlsx and csv are the ledger people hand over, and the raw reports are
    // in the package.
    let selfcheck_ledger::MonthDocuments {
        ledger,
        trend,
        previous,
    } = month::documents(store, period, catalog, config, None)?;
    let docs = Documents {
        ledger: &ledger,
        trend,
        previous: previous.as_ref(),
    };
    let html = html_member(&docs, period, lang, dir)?;
    let docs = Documents {
        ledger: &ledger,
        trend: docs.trend,
        previous: None,
    };
    drop(previous);
    let base = match lang {
        Lang::Zh => format!("检查整改台账-{period}"),
        Lang::En => format!("ledger-{period}"),
    };
    let sheets = sheets::sheets(&docs, lang, &layout);
    let xlsx_path = dir.join("ledger.xlsx");
    let xlsx_bytes = xlsx::write_xlsx(&sheets).context("cannot lay out the xlsx workbook")?;
    std::fs::write(&xlsx_path, xlsx_bytes)
        .with_context(|| format!("cannot write {}", xlsx_path.display()))?;
    let mut members = vec![html, Member::file(format!("ledger/{base}.xlsx"), xlsx_path)];
    for (i, sheet) in sheets.iter().enumerate() {
        let suffix = match lang {
            Lang::Zh => sheet.title.clone(),
            Lang::En => sheet.key.to_string(),
        };
        let path = dir.join(format!("sheet-{i}.csv"));
        std::fs::File::create(&path)
            .and_then(|f| csv::write_sheet_csv(sheet, std::io::BufWriter::new(f)))
            .with_context(|| format!("cannot write {}", path.display()))?;
        members.push(Member::file(format!("ledger/{base}-{suffix}.csv"), path));
    }
    Ok(members)
}

/// The printable monthly report as a package member, rendered into `dir`.
fn html_member(docs: &Documents<'_>, period: Period, lang: Lang, dir: &Path) -> Result<Member> {
    let name = match lang {
        Lang::Zh => format!("report/月度网络安全自查报告-{period}.html"),
        Lang::En => format!("report/monthly-self-inspection-{period}.html"),
    };
    let path = dir.join("report.html");
    let html = html::monthly_report_html(docs, lang, &html::ReportInfo::default());
    std::fs::write(&path, html).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Member::file(name, path))
}

/// The SM2 key: `explicit` (`--sm2`), else `[evidence] sm2_key`, else none.
fn sm2_key(explicit: Option<&Path>, config: &CollectorConfig) -> Result<Option<Sm2Key>> {
    if let Some(path) = explicit {
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

/// What `verify` checks a package against, besides the package itself.
#[derive(Debug, Clone, Default)]
pub struct Anchors<'a> {
    /// `--expect-key`: fingerprints or PEM public key files.
    pub expect_keys: &'a [String],
    /// `--previous`: last month's package. Its collector key is the expected
    /// key unless `--expect-key` names one; its history head must be extended.
    pub previous: Option<&'a Path>,
    /// `--expect-head SEQ:DIGEST`: a history head the office kept.
    pub expect_head: Option<&'a str>,
}

/// Check the evidence package in `file` offline, against the keys and the
/// earlier head in `anchors`.
pub fn verify(file: &Path, anchors: &Anchors<'_>) -> Result<VerifyReport> {
    let mut options = expected_keys(anchors.expect_keys)?;
    if let Some(previous) = anchors.previous {
        let before = verify_previous(previous)?;
        if options.expect_key.is_none() {
            options.expect_key = before.key_fingerprint.clone();
        }
        options.expect_head = Some(ExpectedHead {
            seq: before.history_count.unwrap_or(0),
            digest: before.history_head.clone().unwrap_or_default(),
            sealed: before.history_sealed,
        });
    }
    if let Some(head) = anchors.expect_head {
        let (seq, digest) = super::store::parse_head(head)?;
        options.expect_head = Some(ExpectedHead {
            seq,
            digest,
            sealed: false,
        });
    }
    check_size(file)?;
    verify_file(file, &options).with_context(|| format!("cannot read {}", file.display()))
}

/// The head (entries, digest) of the evidence package `previous`, once it
/// verifies intact under its own key: what this store must still hold.
pub fn head_of_package(previous: &Path) -> Result<(u64, String)> {
    let report = verify_previous(previous)?;
    match (report.history_count, report.history_head) {
        (Some(count), Some(head)) => Ok((count, head)),
        _ => bail!(
            "{} names no history head; it cannot anchor this check",
            previous.display()
        ),
    }
}

/// Check last month's package (`--previous`) on its own: it must be intact
/// under its own key, or it anchors nothing.
pub fn verify_previous(previous: &Path) -> Result<VerifyReport> {
    check_size(previous)?;
    let report = verify_file(previous, &VerifyOptions::default())
        .with_context(|| format!("cannot read {}", previous.display()))?;
    if !report.is_intact() {
        let problems: Vec<String> = report
            .problems
            .iter()
            .take(3)
            .map(|p| format!("  {p}"))
            .collect();
        bail!(
            "the previous package {} is not intact ({} problem(s)), so it cannot anchor this check:\n{}\nverify it on its own with `selfcheck-collector verify --expect-key KEY {}`",
            previous.display(),
            report.problems.len(),
            problems.join("\n"),
            previous.display()
        );
    }
    Ok(report)
}

fn check_size(file: &Path) -> Result<()> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    if size > MAX_TOTAL_BYTES {
        bail!(
            "{} is {size} bytes, more than the {MAX_TOTAL_BYTES}-byte limit of an evidence package",
            file.display()
        );
    }
    Ok(())
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
