//! `selfcheck-collector evidence` and `verify` through the binary and the
//! command functions: the package carries the ledger documents, verifies
//! anywhere, and a flipped byte fails. With an SM2 key the manifest is also
//! SM2-signed, and openssl and this verifier accept each other's signatures;
//! every SM2 tampering is named.

mod common;

use assert_cmd::Command;
use common::{DB, Sample, WEB, t};
use selfcheck_catalog::Catalog;
use selfcheck_collector::evidence::manifest::Manifest;
use selfcheck_collector::evidence::{
    ProblemKind, Sm2Key, VerifyOptions, VerifyReport, build_package, load_or_create_collector_key,
    verify_package, verify_package_with,
};
use selfcheck_collector::import::{ImportOptions, ImportOutcome, import_bytes};
use selfcheck_collector::store::Store;
use selfcheck_report::{AgentKey, Severity};
use std::io::{Cursor, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use zip::write::SimpleFileOptions;

type Members = Vec<(String, Vec<u8>)>;

fn collector(data: &Path) -> Command {
    let mut cmd = Command::cargo_bin("selfcheck-collector").unwrap();
    cmd.env_remove("SELFCHECK_DATA")
        .env_remove("SELFCHECK_COLLECTOR_CONFIG")
        .arg("--data")
        .arg(data);
    cmd
}

#[test]
fn evidence_package_holds_the_documents_and_verifies_offline() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let usb = tmp.path().join("usb");
    std::fs::create_dir(&usb).unwrap();
    Sample::new(WEB, "2026-11", 1)
        .findings(&[("ports.telnet", "tcp/23", Severity::High)])
        .write(&usb, "web-01.json");
    collector(&data).arg("import").arg(&usb).assert().success();
    let zip_path = tmp.path().join("evidence.zip");
    collector(&data)
        .args(["evidence", "--month", "2026-11", "--out"])
        .arg(&zip_path)
        .assert()
        .success();

    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let names: Vec<String> = (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().name().unwrap().to_string())
        .collect();
    for wanted in [
        "manifest.json",
        "manifest.sig",
        "collector-public-key.pem",
        "ledger/检查整改台账-2026-11.xlsx",
        "ledger/检查整改台账-2026-11-整改台账.csv",
        "report/月度网络安全自查报告-2026-11.html",
    ] {
        assert!(
            names.iter().any(|n| n == wanted),
            "{wanted} not in {names:?}"
        );
    }
    assert!(
        names.iter().any(|n| n.starts_with("reports/web-01/")),
        "{names:?}"
    );

    // Verified by someone with no store at all.
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("package.zip");
    std::fs::copy(&zip_path, &copy).unwrap();
    let out = Command::cargo_bin("selfcheck-collector")
        .unwrap()
        .env_remove("SELFCHECK_DATA")
        .arg("verify")
        .arg(&copy)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    // Without a key to check the signer against, it never says intact.
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("signature valid, signer not checked"),
        "{text}"
    );
    assert!(!text.contains("intact:"), "{text}");
    let key = load_or_create_collector_key(&data).unwrap();
    let out = Command::cargo_bin("selfcheck-collector")
        .unwrap()
        .env_remove("SELFCHECK_DATA")
        .args(["verify", "--expect-key", &key.fingerprint()])
        .arg(&copy)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("intact: signed by the expected collector key"),
        "{text}"
    );

    // One changed byte in the ledger csv: named, exit status 1.
    let tampered = elsewhere.path().join("tampered.zip");
    {
        let mut writer = zip::ZipWriter::new(std::fs::File::create(&tampered).unwrap());
        for i in 0..archive.len() {
            let mut f = archive.by_index(i).unwrap();
            let name = f.name().unwrap().to_string();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).unwrap();
            if name.ends_with("整改台账.csv") {
                let last = bytes.len() - 3;
                bytes[last] ^= 1;
            }
            writer
                .start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            writer.write_all(&bytes).unwrap();
        }
        writer.finish().unwrap();
    }
    let out = Command::cargo_bin("selfcheck-collector")
        .unwrap()
        .arg("verify")
        .arg(&tampered)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("整改台账.csv"), "{text}");
}

fn read_zip(bytes: &[u8]) -> Members {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().unwrap().to_string(), data)
        })
        .collect()
}

fn rewrite(bytes: &[u8], edit: impl FnOnce(&mut Members)) -> Vec<u8> {
    let mut members = read_zip(bytes);
    edit(&mut members);
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in &members {
        zip.start_file(name.as_str(), SimpleFileOptions::default())
            .unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn member<'a>(members: &'a mut Members, name: &str) -> &'a mut Vec<u8> {
    &mut members
        .iter_mut()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no member {name}"))
        .1
}

fn lines(report: &VerifyReport) -> String {
    report
        .problems
        .iter()
        .map(|p| format!("  {:?} {p}\n", p.kind))
        .collect()
}

fn assert_named(report: &VerifyReport, kind: ProblemKind, member: &str) {
    assert!(
        report.has(kind, Some(member)),
        "expected {kind:?} on {member}, got:\n{}",
        lines(report)
    );
}

/// A data directory holding two November reports.
fn data_with_reports(root: &Path) -> PathBuf {
    let dir = root.join("data");
    let mut store = Store::open(&dir).unwrap();
    let catalog = Catalog::embedded().unwrap();
    for sample in [
        Sample::new(WEB, "2026-11", 1),
        Sample::new(DB, "2026-11", 2),
    ] {
        let outcome = import_bytes(
            &mut store,
            &sample.bytes(),
            "sample.json",
            &catalog,
            ImportOptions::default(),
        );
        assert!(
            matches!(outcome, ImportOutcome::Stored { .. }),
            "{outcome:?}"
        );
    }
    dir
}

/// An SM2 key made here (no openssl needed), as the PEM openssl would read.
fn sm2_pem(seed: u8) -> String {
    let secret = ::sm2::SecretKey::from_slice(&[seed; 32]).unwrap();
    let pem = ::sm2::pkcs8::EncodePrivateKey::to_pkcs8_pem(&secret, Default::default()).unwrap();
    pem.to_string()
}

/// A package of 2026-11 signed with the collector key and, when given, an SM2 key.
fn package(sm2_key: Option<&Sm2Key>) -> Vec<u8> {
    let tmp = tempfile::tempdir().unwrap();
    let dir = data_with_reports(tmp.path());
    let store = Store::open(&dir).unwrap();
    let key = load_or_create_collector_key(&dir).unwrap();
    let signers = selfcheck_collector::evidence::Signers {
        collector: &key,
        sm2: sm2_key,
    };
    build_package(
        &store,
        "2026-11".parse().unwrap(),
        vec![selfcheck_collector::evidence::Member::bytes(
            "ledger/a.csv",
            "序号\n",
        )],
        signers,
        t("2026-12-01T09:00:00+08:00"),
    )
    .unwrap()
}

/// The openssl command, or `None` (with a note) when it is not installed.
fn openssl() -> Option<&'static str> {
    let found = std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("note: openssl is not installed; the openssl half of this test is skipped");
    }
    found.then_some("openssl")
}

/// Run openssl in `dir` with the arguments of `line` (split at spaces, no
/// shell), as a person would type it.
fn openssl_in(openssl: &str, dir: &Path, line: &str) -> std::process::Output {
    let out = std::process::Command::new(openssl)
        .current_dir(dir)
        .args(line.split_whitespace())
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl {line}: {out:?}");
    out
}

#[test]
fn an_sm2_signed_package_verifies_with_openssl_and_openssl_signatures_verify_here() {
    let Some(openssl) = openssl() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = data_with_reports(tmp.path());
    let key_path = tmp.path().join("sm2.pem");
    openssl_in(openssl, tmp.path(), "genpkey -algorithm SM2 -out sm2.pem");
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let zip_path = tmp.path().join("evidence.zip");
    let made = collector(&data)
        .args(["evidence", "--month", "2026-11", "--out"])
        .arg(&zip_path)
        .arg("--sm2")
        .arg(&key_path)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&made.stdout).to_string();
    assert!(
        made.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let fingerprint = Sm2Key::load(&key_path).unwrap().fingerprint().to_string();
    assert!(
        said.contains(&format!("and SM2 key {fingerprint}")),
        "{said}"
    );

    // The office's check with openssl alone, on the unzipped members.
    let bytes = std::fs::read(&zip_path).unwrap();
    let unzipped = tmp.path().join("unzipped");
    std::fs::create_dir(&unzipped).unwrap();
    let members = read_zip(&bytes);
    for name in [
        "manifest.json",
        "manifest.sm2.sig",
        "collector-sm2-public-key.pem",
    ] {
        let data = &members.iter().find(|(n, _)| n == name).unwrap().1;
        std::fs::write(unzipped.join(name), data).unwrap();
    }
    let manifest: Manifest =
        serde_json::from_slice(&std::fs::read(unzipped.join("manifest.json")).unwrap()).unwrap();
    let info = manifest
        .collector_sm2
        .expect("the manifest names the SM2 key");
    assert_eq!(info.key_fingerprint, fingerprint);
    assert_eq!(
        (info.algorithm.as_str(), info.distid.as_str()),
        ("sm2-sm3", "1234567812345678")
    );
    let listed: Vec<&str> = manifest.members.iter().map(|m| m.name.as_str()).collect();
    assert!(
        listed.contains(&"collector-sm2-public-key.pem"),
        "{listed:?}"
    );
    assert!(!listed.contains(&"manifest.sm2.sig"), "{listed:?}");
    // The command docs/evidence-package.md gives the office.
    let checked = openssl_in(
        openssl,
        &unzipped,
        "pkeyutl -verify -in manifest.json -rawin -digest sm3 -pubin -inkey collector-sm2-public-key.pem -sigfile manifest.sm2.sig -pkeyopt distid:1234567812345678",
    );
    let text = String::from_utf8_lossy(&checked.stdout).to_string();
    assert!(text.contains("Signature Verified Successfully"), "{text}");

    // Our verifier: intact, both signatures, and both keys can be pinned.
    let verified = Command::cargo_bin("selfcheck-collector")
        .unwrap()
        .arg("verify")
        .arg(&zip_path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&verified.stdout).to_string();
    assert_eq!(verified.status.code(), Some(3), "{text}");
    assert!(text.contains("signer not checked"), "{text}");
    assert!(
        text.contains(&format!("and SM2 key {fingerprint}")),
        "{text}"
    );
    assert!(
        text.contains("Ed25519 and SM2 signatures verified"),
        "{text}"
    );
    let collector_fp = load_or_create_collector_key(&data).unwrap().fingerprint();
    let pinned = |sm2_pin: &std::ffi::OsStr| {
        Command::cargo_bin("selfcheck-collector")
            .unwrap()
            .args([
                "verify",
                "--json",
                "--expect-key",
                &collector_fp,
                "--expect-key",
            ])
            .arg(sm2_pin)
            .arg(&zip_path)
            .output()
            .unwrap()
    };
    let good = pinned(unzipped.join("collector-sm2-public-key.pem").as_os_str());
    assert_eq!(good.status.code(), Some(0), "{good:?}");
    let json: serde_json::Value = serde_json::from_slice(&good.stdout).unwrap();
    assert_eq!(json["sm2_signature_valid"], true);
    assert_eq!(json["sm2_key_fingerprint"], fingerprint.as_str());
    let other = format!("sm3:{}", "0".repeat(64));
    let bad = pinned(other.as_ref());
    assert_eq!(bad.status.code(), Some(1), "{bad:?}");
    assert!(String::from_utf8_lossy(&bad.stdout).contains("unexpected_key"));

    // A signature openssl makes (randomised, so not ours) verifies here too.
    openssl_in(
        openssl,
        tmp.path(),
        "pkeyutl -sign -in unzipped/manifest.json -rawin -digest sm3 -inkey sm2.pem -pkeyopt distid:1234567812345678 -out openssl.sig",
    );
    let openssl_sig = std::fs::read(tmp.path().join("openssl.sig")).unwrap();
    assert_ne!(
        openssl_sig,
        std::fs::read(unzipped.join("manifest.sm2.sig")).unwrap()
    );
    let swapped = rewrite(&bytes, |m| *member(m, "manifest.sm2.sig") = openssl_sig);
    let report = verify_package(&swapped);
    assert!(report.is_intact(), "{}", lines(&report));
    assert!(report.sm2_signature_valid && report.signature_valid);
}

#[test]
fn sm2_tampering_is_named_member_by_member() {
    let key = Sm2Key::from_pem(&sm2_pem(5)).unwrap();
    let bytes = package(Some(&key));
    let clean = verify_package(&bytes);
    assert!(clean.is_intact(), "{}", lines(&clean));
    assert!(clean.sm2_signature_valid);
    assert_eq!(
        clean.sm2_key_fingerprint.as_deref(),
        Some(key.fingerprint())
    );
    let names: Vec<String> = read_zip(&bytes).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        &names[names.len() - 3..],
        ["manifest.json", "manifest.sig", "manifest.sm2.sig"]
    );

    // SM2 signature bytes changed: the Ed25519 signature still holds, so
    // the SM2 signature itself was changed.
    let changed = rewrite(&bytes, |m| {
        let sig = member(m, "manifest.sm2.sig");
        let last = sig.len() - 1;
        sig[last] ^= 1;
    });
    let report = verify_package(&changed);
    assert_named(&report, ProblemKind::Signature, "manifest.sm2.sig");
    assert!(!report.sm2_signature_valid && report.signature_valid);
    assert!(
        report.problems[0]
            .message
            .contains("SM2 signature was changed"),
        "{}",
        lines(&report)
    );
    assert_eq!(report.problems.len(), 1, "{}", lines(&report));

    // SM2 signature removed.
    let removed = rewrite(&bytes, |m| m.retain(|(n, _)| n != "manifest.sm2.sig"));
    let report = verify_package(&removed);
    assert_named(&report, ProblemKind::Missing, "manifest.sm2.sig");
    assert!(
        report.problems[0].message.contains("removed"),
        "{}",
        lines(&report)
    );
    assert_eq!(report.problems.len(), 1, "{}", lines(&report));

    // SM2 public key swapped for another key's.
    let other = Sm2Key::from_pem(&sm2_pem(6)).unwrap();
    let swapped = rewrite(&bytes, |m| {
        *member(m, "collector-sm2-public-key.pem") = other.public_key_pem().unwrap().into_bytes();
    });
    let report = verify_package(&swapped);
    assert_named(
        &report,
        ProblemKind::KeyMismatch,
        "collector-sm2-public-key.pem",
    );
    assert_named(&report, ProblemKind::Digest, "collector-sm2-public-key.pem");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.message.contains("swapped")),
        "{}",
        lines(&report)
    );

    // The manifest edited: both signatures fail, each naming manifest.json.
    let edited = rewrite(&bytes, |m| {
        let manifest = member(m, "manifest.json");
        let at = manifest.windows(8).position(|w| w == b"2026-12-").unwrap();
        manifest[at + 6] = b'1';
    });
    let report = verify_package(&edited);
    assert!(
        report
            .problems
            .iter()
            .filter(|p| p.kind == ProblemKind::Signature
                && p.member.as_deref() == Some("manifest.json"))
            .count()
            == 2,
        "{}",
        lines(&report)
    );

    // A pinned SM2 key: this one passes, another one fails.
    let pin = |fp: &str| {
        verify_package_with(
            &bytes,
            &VerifyOptions {
                expect_sm2_key: Some(fp.to_string()),
                ..Default::default()
            },
        )
    };
    assert!(pin(key.fingerprint()).is_intact());
    assert_named(
        &pin(other.fingerprint()),
        ProblemKind::UnexpectedKey,
        "manifest.sm2.sig",
    );
}

#[test]
fn an_sm2_signature_where_the_manifest_names_no_sm2_key_is_extra() {
    let bytes = package(None);
    let report = verify_package(&bytes);
    assert!(report.is_intact(), "{}", lines(&report));
    assert!(!report.sm2_signature_valid && report.sm2_key_fingerprint.is_none());
    let key = Sm2Key::from_pem(&sm2_pem(5)).unwrap();
    let added = rewrite(&bytes, |m| {
        let sig = key.sign(member(m, "manifest.json"));
        m.push(("manifest.sm2.sig".into(), sig));
    });
    let report = verify_package(&added);
    assert_named(&report, ProblemKind::Extra, "manifest.sm2.sig");
    assert!(
        report.problems[0].message.contains("names no SM2 key"),
        "{}",
        lines(&report)
    );
    assert_eq!(report.problems.len(), 1, "{}", lines(&report));
}

#[test]
fn an_sm2_key_file_others_can_read_is_refused_and_the_config_names_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_with_reports(tmp.path());
    let key_path = data.join("sm2.pem");
    std::fs::write(&key_path, sm2_pem(7)).unwrap();
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let zip_path = tmp.path().join("evidence.zip");
    let refused = collector(&data)
        .args(["evidence", "--month", "2026-11", "--out"])
        .arg(&zip_path)
        .arg("--sm2")
        .arg(&key_path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&refused.stderr).to_string();
    assert!(!refused.status.success(), "{err}");
    assert!(err.contains(&key_path.display().to_string()), "{err}");
    assert!(err.contains("0644") && err.contains("chmod 600"), "{err}");
    assert!(!zip_path.exists());

    // `[evidence] sm2_key` (relative to collector.toml); `--sm2` wins over it.
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(
        data.join("collector.toml"),
        "[evidence]\nsm2_key = \"sm2.pem\"\n",
    )
    .unwrap();
    collector(&data)
        .args(["evidence", "--month", "2026-11", "--out"])
        .arg(&zip_path)
        .assert()
        .success();
    let report = verify_package(&std::fs::read(&zip_path).unwrap());
    assert!(
        report.is_intact() && report.sm2_signature_valid,
        "{}",
        lines(&report)
    );
    let configured = Sm2Key::from_pem(&sm2_pem(7)).unwrap();
    assert_eq!(
        report.sm2_key_fingerprint.as_deref(),
        Some(configured.fingerprint())
    );

    let other = tmp.path().join("other-sm2.pem");
    std::fs::write(&other, sm2_pem(8)).unwrap();
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o600)).unwrap();
    collector(&data)
        .args(["evidence", "--month", "2026-11", "--out"])
        .arg(&zip_path)
        .arg("--sm2")
        .arg(&other)
        .assert()
        .success();
    let report = verify_package(&std::fs::read(&zip_path).unwrap());
    let wins = Sm2Key::from_pem(&sm2_pem(8)).unwrap();
    assert_eq!(
        report.sm2_key_fingerprint.as_deref(),
        Some(wins.fingerprint())
    );
}

#[test]
fn evidence_and_verify_commands_write_and_check_a_package() {
    use selfcheck_collector::cli::args::{
        EvidenceArgs, GlobalArgs, ListFormat, ListFormatArg, MonthArg, VerifyArgs,
    };
    use selfcheck_collector::cli::evidence::{run_evidence, run_verify};
    use std::process::ExitCode;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let mut store = Store::open(&dir).unwrap();
    let outcome = import_bytes(
        &mut store,
        &Sample::new(WEB, "2026-11", 1).bytes(),
        "web.json",
        &Catalog::embedded().unwrap(),
        ImportOptions::default(),
    );
    assert!(matches!(outcome, ImportOutcome::Stored { .. }));
    drop(store);
    let global = GlobalArgs::for_data(dir.clone());
    let out = tmp.path().join("evidence-2026-11.zip");
    let args = EvidenceArgs {
        month: MonthArg {
            month: Some("2026-11".parse().unwrap()),
        },
        out: out.clone(),
        sm2: None,
    };
    assert_eq!(run_evidence(&global, &args).unwrap(), ExitCode::SUCCESS);
    // Only the package is left next to it: no temporary file or directory.
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    let key = load_or_create_collector_key(&dir).unwrap();
    let verify = |expect_key: Vec<String>| {
        run_verify(&VerifyArgs {
            file: out.clone(),
            expect_key,
            previous: None,
            expect_head: None,
            format: ListFormatArg {
                format: ListFormat::Table,
                json: false,
            },
        })
        .unwrap()
    };
    assert_eq!(verify(vec![key.fingerprint()]), ExitCode::SUCCESS);
    assert_eq!(
        verify(vec![AgentKey::from_secret_bytes([0xa7; 32]).fingerprint()]),
        ExitCode::from(1)
    );
    let xlsx = "ledger/检查整改台账-2026-11.xlsx";
    let tampered = rewrite(&std::fs::read(&out).unwrap(), |m| member(m, xlsx)[0] ^= 1);
    std::fs::write(&out, tampered).unwrap();
    assert_eq!(verify(vec![]), ExitCode::from(1));
}
