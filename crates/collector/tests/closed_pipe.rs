//! A printing command whose reader has gone (`selfcheck-collector enroll |
//! head`) ends quietly, like standard Unix tools, instead of panicking with
//! exit status 101; what it did before printing stands.

#[path = "support/mtls.rs"]
mod mtls;

use mtls::*;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

/// Run the collector with standard output into a pipe whose reading end is
/// already closed.
fn into_closed_pipe(data: &std::path::Path, args: &[&str]) -> (std::process::ExitStatus, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(collector_bin())
        .arg("--data")
        .arg(data)
        .args(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn printing_commands_end_quietly_when_the_reader_is_gone() {
    let tmp = tempfile::tempdir().unwrap();
    let data = data_with_ca(tmp.path());
    let out = tmp.path().join("enroll/web-01");
    let runs: [&[&str]; 4] = [
        &["enroll", "--host", "web-01", "--out", out.to_str().unwrap()],
        &["certs", "list"],
        &["ca", "show"],
        &["reports"],
    ];
    for args in runs {
        let (status, stderr) = into_closed_pipe(&data, args);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(status.code(), Some(101), "{args:?}: {stderr}");
        assert!(
            status.success() || status.signal() == Some(13),
            "{args:?}: {status:?} {stderr}"
        );
    }
    // The enrollment was done before its lines were printed.
    assert!(out.join("client.pem").exists());
    let list = collector(&data, &["certs", "list", "--format", "json"]);
    assert!(list.contains("web-01"), "{list}");
}
