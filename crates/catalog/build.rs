//! Embeds every `checks/*.toml` file of the repository as the default catalog, and
//! writes a typed constant for every check id in it (`selfcheck_catalog::checks`).

use std::fmt::Write as _;
use std::path::PathBuf;

/// `baseline.pass-max-days` → `BASELINE_PASS_MAX_DAYS`.
fn const_name(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let checks = manifest.join("../../checks");
    println!("cargo:rerun-if-changed={}", checks.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&checks)
        .expect("the repository's checks/ directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut ids: Vec<String> = Vec::new();
    let mut out = String::from(
        "/// The repository's `checks/*.toml` files: (file name, contents).\npub static EMBEDDED: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 file name in checks/");
        let abs = f.canonicalize().expect("readable checks file");
        let text = std::fs::read_to_string(&abs).expect("readable checks file");
        // A file that is not valid TOML is reported, with its place, when the catalog loads.
        if let Ok(doc) = text.parse::<toml::Table>()
            && let Some(toml::Value::Array(list)) = doc.get("check")
        {
            for check in list {
                if let Some(toml::Value::String(id)) = check.get("id") {
                    ids.push(id.clone());
                }
            }
        }
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .ok();
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded.rs");
    std::fs::write(dest, out).expect("write embedded.rs");

    ids.sort();
    ids.dedup();
    let mut known = String::new();
    for id in &ids {
        let name = const_name(id);
        writeln!(
            known,
            "/// The check `{id}`.\npub const {name}: KnownCheck = KnownCheck::new({id:?});"
        )
        .ok();
    }
    known.push_str("/// Every check of the repository's catalog, ordered by id.\npub const ALL: &[KnownCheck] = &[\n");
    for id in &ids {
        let name = const_name(id);
        writeln!(known, "    {name},").ok();
    }
    known.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("known_checks.rs");
    std::fs::write(dest, known).expect("write known_checks.rs");
}
