//! `selfcheck demo` fills a fresh store with the demo unit's year, made by the
//! real agent and collector: the test checks the year's story in the store's
//! own ledgers (telnet closed and reopened, a risk accepted, a setuid program,
//! late patches closed, a desktop that stops reporting), that the store proves
//! its ledger and its history is intact, and that one seed tells one year.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn selfcheck() -> Command {
    let mut c = Command::cargo_bin("selfcheck").unwrap();
    for v in [
        "SELFCHECK_STATE_DIR",
        "SELFCHECK_DATA",
        "SELFCHECK_AGENT_CONFIG",
        "SELFCHECK_COLLECTOR_CONFIG",
    ] {
        c.env_remove(v);
    }
    c
}

fn demo(dir: &Path) -> String {
    let out = selfcheck()
        .args(["demo", "--seed", "3", "--lang", "en", "--data"])
        .arg(dir)
        .assert()
        .success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

fn ledger(data: &Path, month: &str) -> Value {
    let out = selfcheck()
        .args(["collector", "--data"])
        .arg(data)
        .args(["ledger", "--month", month, "--format", "json"])
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

fn status(ledger: &Value, host: &str, check: &str) -> Option<String> {
    ledger["rows"].as_array().unwrap().iter().find_map(|r| {
        (r["hostname"] == host && r["check_id"] == check)
            .then(|| r["state"]["status"].as_str().unwrap().to_string())
    })
}

#[test]
fn the_demo_year_tells_its_story_and_the_store_proves_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let text = demo(&dir);
    let data = dir.join("collector");
    for month in ["2025-12", "2026-06", "2026-11"] {
        assert!(text.contains(month), "{month}:\n{text}");
    }
    assert!(text.contains("ledger --month 2026-11"), "{text}");

    // Every month has its reports: 30 hosts, 29 once pc-18 stops after July.
    let nov = ledger(&data, "2026-11");
    assert_eq!(nov["summary"]["assets_expected"], 30);
    assert_eq!(nov["summary"]["assets_inspected"], 29);
    assert_eq!(
        status(&nov, "pc-18", "collector.not-inspected").as_deref(),
        Some("open")
    );
    let jul = ledger(&data, "2026-07");
    assert_eq!(jul["summary"]["assets_inspected"], 30);

    // Telnet on web-02: reported fixed in March, closed by April's report, back in July.
    let mar = ledger(&data, "2026-03");
    assert_eq!(
        status(&mar, "web-02", "ports.telnet").as_deref(),
        Some("fixed_pending_recheck")
    );
    let apr = ledger(&data, "2026-04");
    assert_eq!(
        status(&apr, "web-02", "ports.telnet").as_deref(),
        Some("closed")
    );
    assert_eq!(
        status(&jul, "web-02", "ports.telnet").as_deref(),
        Some("reopened")
    );
    // Redis on db-01 accepted as a risk until the end of June.
    assert_eq!(
        status(&mar, "db-01", "ports.redis").as_deref(),
        Some("risk_accepted")
    );
    // A setuid program on app-02 in May, gone in July.
    let may = ledger(&data, "2026-05");
    assert!(status(&may, "app-02", "fim.new-setuid").is_some(), "{may}");
    assert_eq!(
        status(&jul, "app-02", "fim.new-setuid").as_deref(),
        Some("closed")
    );
    // Six desktops fell behind on openssl from February; their updates were installed in June.
    let feb = ledger(&data, "2026-02");
    let late: Vec<&Value> = feb["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["check_id"] == "patches.security-updates")
        .collect();
    assert_eq!(
        late.len(),
        12,
        "openssl and libssl3 on pc-01..pc-06: {late:?}"
    );
    let jun = ledger(&data, "2026-06");
    assert!(
        jun["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["check_id"] == "patches.security-updates")
            .all(|r| r["state"]["status"] == "closed"),
        "{jun}"
    );
    // The first month's reports each took their file-integrity baseline.
    let dec = ledger(&data, "2025-12");
    let baselines = dec["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["check_id"] == "fim.baseline-created")
        .count();
    assert_eq!(baselines, 30);

    // On an 80-column terminal the month stays readable: the checks that could not
    // run on 29 hosts are one line per reason, not one per host.
    let out = selfcheck()
        .env("COLUMNS", "80")
        .args(["collector", "--data"])
        .arg(&data)
        .args(["ledger", "--month", "2026-11"])
        .assert()
        .success();
    let screen = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(screen.lines().count() < 150, "{screen}");
    assert!(screen.contains("等 29 台"), "{screen}");

    // The store proves its ledger from the signed reports, and the history is intact.
    selfcheck()
        .args(["collector", "--data"])
        .arg(&data)
        .args(["store", "verify"])
        .assert()
        .success();
    selfcheck()
        .args(["collector", "--data"])
        .arg(&data)
        .args(["history", "verify"])
        .assert()
        .success();

    // A demo never overwrites: the same directory again is refused.
    let out = selfcheck()
        .args(["demo", "--data"])
        .arg(&dir)
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("not empty"));

    // One seed, one year: the figures of a second demo are the same.
    let again = demo(&tmp.path().join("again"));
    let table = |t: &str| {
        t.lines()
            .filter(|l| l.starts_with('│'))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(table(&again), table(&text));
}
