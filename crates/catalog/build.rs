//! Embeds every `checks/*.toml` file of the repository as the default catalog, and
//! writes a typed constant for every check id in it (`selfcheck_catalog::checks`).

use std::fmt::Write as _;
use std::path::PathBuf;

/// The `Area` variant of an area name; `None` for a name the catalog refuses
/// when it loads (that error, with its place, is the one people should see).
fn area_variant(area: &str) -> Option<&'static str> {
    Some(match area {
        "ports" => "Ports",
        "patches" => "Patches",
        "fim" => "Fim",
        "baseline" => "Baseline",
        "collector" => "Collector",
        _ => return None,
    })
}

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
    let mut ids: Vec<(String, &'static str)> = Vec::new();
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
                if let (Some(toml::Value::String(id)), Some(area)) = (
                    check.get("id"),
                    check
                        .get("area")
                        .and_then(|a| a.as_str())
                        .and_then(area_variant),
                ) {
                    ids.push((id.clone(), area));
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
    for (id, area) in &ids {
        let name = const_name(id);
        writeln!(
            known,
            "/// The check `{id}`.\npub const {name}: KnownCheck = KnownCheck::new({id:?}, Area::{area});"
        )
        .ok();
    }
    known.push_str("/// Every check of the repository's catalog, ordered by id.\npub const ALL: &[KnownCheck] = &[\n");
    for (id, _) in &ids {
        let name = const_name(id);
        writeln!(known, "    {name},").ok();
    }
    known.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("known_checks.rs");
    std::fs::write(dest, known).expect("write known_checks.rs");
}
