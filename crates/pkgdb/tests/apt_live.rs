//! On this machine: what the agent computes apt would upgrade equals what
//! `apt list --upgradable` prints, package by package (name, architecture,
//! installed and candidate version) and suite by suite.
//!
//! Skipped, with a message, where apt or dpkg's status file is missing.

use selfcheck_hostfs::root::HostRoot;
use selfcheck_pkgdb::debian::{apt, status};
use std::collections::BTreeSet;
use std::process::Command;

/// (name, arch, installed, candidate)
type Row = (String, String, String, String);

/// Parse `name/suite1,suite2 candidate arch [upgradable from: installed]` lines.
fn parse_apt_list(stdout: &str) -> Vec<(Row, Vec<String>)> {
    let mut rows = Vec::new();
    for line in stdout.lines() {
        let Some((left, installed)) = line.split_once(" [upgradable from: ") else {
            continue;
        };
        let installed = installed.trim_end().trim_end_matches(']');
        let words: Vec<&str> = left.split_whitespace().collect();
        let [name_suites, candidate, arch] = words[..] else {
            panic!("unexpected apt list line {line:?}");
        };
        let (name, suites) = name_suites.split_once('/').expect("name/suite");
        let mut suite_list: Vec<String> = Vec::new();
        for s in suites.split(',') {
            if !suite_list.iter().any(|x| x == s) {
                suite_list.push(s.to_string());
            }
        }
        rows.push((
            (name.into(), arch.into(), installed.into(), candidate.into()),
            suite_list,
        ));
    }
    rows
}

#[test]
fn upgradable_equals_apt_list_upgradable_on_this_machine() {
    let root = HostRoot::live();
    let Ok(Some(text)) = root.read_optional("var/lib/dpkg/status") else {
        eprintln!("SKIP: no /var/lib/dpkg/status on this machine (not a dpkg-based system)");
        return;
    };
    let output = match Command::new("apt")
        .args(["list", "--upgradable"])
        .env("LC_ALL", "C")
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            eprintln!("SKIP: apt cannot be run here ({e}); install apt to compare with it");
            return;
        }
    };
    assert!(
        output.status.success(),
        "apt list --upgradable failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs = parse_apt_list(&String::from_utf8_lossy(&output.stdout));

    let status = status::parse_status(&text, "/var/lib/dpkg/status").unwrap();
    let view = match apt::upgradable(&root, &status) {
        Ok(v) => v,
        Err(
            e @ (apt::AptError::NoSources(_)
            | apt::AptError::ListsMissing(_)
            | apt::AptError::NoLists(..)),
        ) => {
            assert!(
                theirs.is_empty(),
                "apt lists upgrades but we see no lists: {e}"
            );
            eprintln!("SKIP: {e}");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let ours: BTreeSet<Row> = view
        .upgradable
        .iter()
        .map(|u| {
            (
                u.name.clone(),
                u.arch.clone(),
                u.installed.clone(),
                u.candidate.clone(),
            )
        })
        .collect();
    let apts: BTreeSet<Row> = theirs.iter().map(|(r, _)| r.clone()).collect();
    assert_eq!(
        ours,
        apts,
        "only ours: {:?}\nonly apt's: {:?}\nwarnings: {:?}",
        ours.difference(&apts).collect::<Vec<_>>(),
        apts.difference(&ours).collect::<Vec<_>>(),
        view.warnings
    );
    // apt prints the Release `Suite:` of each file offering the candidate.
    for (row, suites) in &theirs {
        if suites.iter().any(|s| s == "unknown") {
            continue;
        }
        let ours = view
            .upgradable
            .iter()
            .find(|u| u.name == row.0 && u.arch == row.1)
            .unwrap();
        assert_eq!(&ours.suites, suites, "suites of {}", row.0);
    }
    eprintln!(
        "{} upgradable, as apt says; {} sources, {} package lists, lists of {:?}; warnings: {:?}",
        view.upgradable.len(),
        view.sources,
        view.package_files,
        view.lists_updated_at,
        view.warnings
    );
}
