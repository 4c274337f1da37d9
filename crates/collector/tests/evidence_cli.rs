//! `selfcheck-collector evidence` and `verify` through the binary: the package
//! carries the ledger documents, verifies anywhere, and a flipped byte fails.

mod common;

use assert_cmd::Command;
use common::{Sample, WEB};
use selfcheck_report::Severity;
use std::io::{Read, Write};
use std::path::Path;

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
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("intact"), "{text}");

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
