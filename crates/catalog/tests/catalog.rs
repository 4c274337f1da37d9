//! The embedded catalog loads, and every kind of fault in a catalog file is named.

use selfcheck_catalog::{Area, Catalog, CatalogSource, KnownCheck, Lang, checks};
use selfcheck_report::Severity;

const GOOD: &str = r#"
[[check]]
id = "demo.one"
area = "ports"
risk = "high"
title = { zh = "标题", en = "Title" }
description = { zh = "检查什么", en = "What" }
why = { zh = "为什么", en = "Why" }
remediation = { zh = "怎么改", en = "Fix" }
references = ["GB/T 22239-2019 8.1.4.4 b)"]
params = { ports = [1] }
"#;

fn load(text: &str) -> Result<Catalog, selfcheck_catalog::CatalogError> {
    Catalog::from_files(
        [("x.toml".to_string(), text.to_string())],
        CatalogSource::Embedded,
    )
}

#[test]
fn embedded_catalog_has_every_port_check_with_both_languages() {
    let c = Catalog::embedded().expect("the repository catalog is valid");
    let ports: Vec<_> = c.area(Area::Ports).collect();
    assert!(ports.len() >= 18, "{}", ports.len());
    let telnet = c.get_str("ports.telnet").unwrap();
    assert_eq!(telnet.risk, Severity::High);
    assert!(telnet.title.get(Lang::Zh).contains("Telnet"));
    assert!(
        telnet
            .references
            .iter()
            .any(|r| r.starts_with("GB/T 22239-2019"))
    );
}

#[test]
fn a_good_file_loads() {
    let c = load(GOOD).unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c.get_str("demo.one").unwrap().title.en, "Title");
}

fn expect_error(text: &str, check: Option<&str>, key: Option<&str>, message_part: &str) {
    let e = load(text).expect_err("should be refused");
    assert_eq!(e.file, "x.toml");
    assert_eq!(e.check.as_deref(), check, "{e}");
    assert_eq!(e.key.as_deref(), key, "{e}");
    assert!(e.to_string().contains(message_part), "{e}");
}

#[test]
fn malformed_toml_names_the_file_and_line() {
    expect_error("[[check]\nid=1", None, None, "line");
}

#[test]
fn a_bad_risk_names_check_and_key() {
    expect_error(
        &GOOD.replace("\"high\"", "\"hihg\""),
        Some("demo.one"),
        Some("risk"),
        "critical, high",
    );
}

#[test]
fn a_missing_language_names_the_subkey() {
    expect_error(
        &GOOD.replace(
            "why = { zh = \"为什么\", en = \"Why\" }",
            "why = { zh = \"为什么\" }",
        ),
        Some("demo.one"),
        Some("why.en"),
        "both zh and en",
    );
}

#[test]
fn an_unknown_key_is_refused() {
    expect_error(
        &GOOD.replace("area =", "areas = \"x\"\narea ="),
        Some("demo.one"),
        Some("areas"),
        "unknown key",
    );
}

#[test]
fn a_bad_id_is_refused() {
    expect_error(
        &GOOD.replace("demo.one", "Demo One"),
        Some("Demo One"),
        Some("id"),
        "check id",
    );
}

#[test]
fn a_missing_field_is_named() {
    expect_error(
        &GOOD.replace("area = \"ports\"\n", ""),
        Some("demo.one"),
        Some("area"),
        "missing",
    );
}

#[test]
fn duplicate_ids_across_files_name_both() {
    let e = Catalog::from_files(
        [
            ("a.toml".to_string(), GOOD.to_string()),
            ("b.toml".to_string(), GOOD.to_string()),
        ],
        CatalogSource::Embedded,
    )
    .unwrap_err();
    assert_eq!(e.file, "b.toml");
    assert!(e.to_string().contains("already defined in a.toml"), "{e}");
}

#[test]
fn load_dir_reads_toml_files_and_refuses_an_empty_dir() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        Catalog::load_dir(dir.path())
            .unwrap_err()
            .to_string()
            .contains("no *.toml")
    );
    std::fs::write(dir.path().join("demo.toml"), GOOD).unwrap();
    std::fs::write(dir.path().join("README.md"), "not a catalog").unwrap();
    assert_eq!(Catalog::load_dir(dir.path()).unwrap().len(), 1);
    assert!(Catalog::load_dir(&dir.path().join("missing")).is_err());
}

#[test]
fn an_unknown_area_is_refused_with_the_known_ones() {
    expect_error(
        &GOOD.replace("area = \"ports\"", "area = \"port\""),
        Some("demo.one"),
        Some("area"),
        "use one of ports, patches, fim, baseline, collector",
    );
}

#[test]
fn every_generated_constant_is_a_check_of_the_embedded_catalog_and_back() {
    let c = Catalog::embedded().unwrap();
    let constants: Vec<&str> = checks::ALL.iter().map(|k| k.as_str()).collect();
    let catalog: Vec<&str> = c.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(constants, catalog);
    assert!(checks::ALL.iter().all(|k| c.get_known(*k).is_some()));
    assert!(
        checks::ALL
            .iter()
            .all(|k| c.get_known(*k).unwrap().area == k.area())
    );
    let telnet: KnownCheck = checks::PORTS_TELNET;
    assert_eq!(telnet.id().as_str(), "ports.telnet");
    assert_eq!(c.get_known(telnet).unwrap().area, Area::Ports);
}

#[test]
fn every_area_of_the_embedded_catalog_has_checks() {
    let c = Catalog::embedded().unwrap();
    for area in Area::ALL {
        assert!(c.area(area).count() > 0, "{area} has no checks");
    }
    assert_eq!(c.area(Area::Baseline).count(), 54);
}

const BASELINE: &str = r#"
[[check]]
id = "baseline.demo"
area = "baseline"
risk = "medium"
title = { zh = "标题", en = "Title" }
description = { zh = "检查什么", en = "What" }
why = { zh = "为什么", en = "Why" }
remediation = { zh = "怎么改", en = "Fix" }
references = ["sshd_config(5) MaxAuthTries"]
clauses = ["8.1.4.1 b)", "7.1.4.1 b)"]
levels = [2, 3]

[check.rule]
kind = "sysctl"
key = "kernel.randomize_va_space"
expect = { equals = "2" }
"#;

#[test]
fn clauses_are_written_once_and_lead_the_references() {
    let c = load(BASELINE).unwrap();
    assert_eq!(
        c.get_str("baseline.demo").unwrap().references,
        [
            "GB/T 22239-2019 8.1.4.1 b)",
            "GB/T 22239-2019 7.1.4.1 b)",
            "sshd_config(5) MaxAuthTries"
        ]
    );
    let embedded = Catalog::embedded().unwrap();
    let sshd = embedded.get_str("baseline.sshd-weak-kex").unwrap();
    assert_eq!(
        sshd.references,
        [
            "GB/T 22239-2019 8.1.4.1 c)",
            "GB/T 22239-2019 7.1.4.1 c)",
            "CVE-2015-4000 (Logjam)",
            "sshd_config(5) KexAlgorithms"
        ]
    );
}

#[test]
fn a_clause_repeated_as_a_reference_is_refused() {
    expect_error(
        &BASELINE.replace(
            "references = [\"sshd_config(5) MaxAuthTries\"]",
            "references = [\"GB/T 22239-2019 7.1.4.1 b)\"]",
        ),
        Some("baseline.demo"),
        Some("references"),
        "repeats one of the clauses",
    );
}
