//! dpkg's record of installed files, below `var/lib/dpkg/`: `info/PKG.list`
//! (every path a package owns), `info/PKG.md5sums` (`<md5>  <path>` lines),
//! the `Conffiles:` field of `status` (configuration files and their md5) and
//! `diversions` (a diverted file lives elsewhere). Only packages the status
//! file lists as present (any state but `config-files`) count; `PKG` is
//! `name:arch` for Multi-Arch: same packages, else `name`.

use super::{Builder, PackageFiles, PkgDigestAlg, decode_hex};
use crate::backend::DPKG_STATUS;
use crate::debian::control::paragraphs;
use crate::debian::status::parse_status;
use selfcheck_hostfs::root::{HostRoot, MAX_TABLE_BYTES, MAX_TEXT_BYTES};
use selfcheck_report::PackageState;
use std::collections::{HashMap, HashSet};
use std::os::unix::ffi::OsStrExt;

/// Where dpkg's package files live below the root.
pub const INFO_DIR: &str = "var/lib/dpkg/info";
/// dpkg-divert's database below the root.
pub const DIVERSIONS: &str = "var/lib/dpkg/diversions";

/// Read dpkg's file database below the root.
pub fn load(root: &HostRoot) -> Result<PackageFiles, String> {
    let shown = format!("/{DPKG_STATUS}");
    let bytes = root
        .read_bytes(DPKG_STATUS, MAX_TABLE_BYTES)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    let text = String::from_utf8_lossy(&bytes);
    let status = parse_status(&text, &shown).map_err(|e| e.to_string())?;
    let conffiles = conffiles_by_package(&text);
    let mut b = Builder::new(
        "dpkg",
        format!("/{INFO_DIR}/*.list, *.md5sums, conffiles in {shown}, /{DIVERSIONS}"),
    );
    let info: HashSet<Vec<u8>> = match root.read_dir(INFO_DIR) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().as_bytes().to_vec())
            .collect(),
        Err(e) => {
            b.warn(format!(
                "cannot list /{INFO_DIR}: {e}; no package owns any file"
            ));
            HashSet::new()
        }
    };
    let diversions = read_diversions(root, &mut b);
    for p in &status.packages {
        if p.state == PackageState::ConfigFiles {
            continue;
        }
        let qualified = format!("{}:{}", p.name, p.arch);
        let has = |stem: &str, ext: &str| info.contains(format!("{stem}.{ext}").as_bytes());
        let stem = if has(&qualified, "list") || has(&qualified, "md5sums") {
            qualified
        } else {
            p.name.clone()
        };
        let pkg = b.package(&stem);
        let divert = |path: &[u8]| -> Vec<u8> {
            match diversions.get(path) {
                Some((to, by)) if by.as_slice() != p.name.as_bytes() => to.clone(),
                _ => path.to_vec(),
            }
        };
        let list = if has(&stem, "list") {
            read_info(root, &stem, "list", &mut b)
        } else {
            b.warn(format!(
                "/{INFO_DIR}/{stem}.list does not exist: the files of {stem} are unknown"
            ));
            None
        };
        let sums = if has(&stem, "md5sums") {
            read_info(root, &stem, "md5sums", &mut b)
                .map(|t| parse_md5sums(&t, &format!("/{INFO_DIR}/{stem}.md5sums"), &mut b))
                .unwrap_or_default()
        } else {
            HashMap::new()
        };
        let conf = conffiles
            .get(&(p.name.as_str(), p.arch.as_str()))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let conf_of = |path: &[u8]| conf.iter().find(|c| c.0 == path);
        let digest_of = |path: &[u8]| -> Option<Vec<u8>> {
            sums.get(path)
                .cloned()
                .or_else(|| conf_of(path).and_then(|c| c.1.clone()))
        };
        let mut listed: HashSet<&[u8]> = HashSet::new();
        if let Some(list) = &list {
            for line in list.split(|&c| c == b'\n') {
                let path = match line {
                    b"" => continue,
                    b"/." => &b"/"[..],
                    l => l,
                };
                listed.insert(path);
                let d = digest_of(path);
                let digest = d.as_deref().map(|d| (PkgDigestAlg::Md5, d));
                b.push(pkg, &divert(path), digest, conf_of(path).is_some(), false);
            }
        }
        for (path, d) in &sums {
            if !listed.contains(path.as_slice()) {
                let config = conf_of(path).is_some();
                b.push(
                    pkg,
                    &divert(path),
                    Some((PkgDigestAlg::Md5, d)),
                    config,
                    false,
                );
            }
        }
        if list.is_none() {
            for (path, d) in conf {
                if !sums.contains_key(path) {
                    let digest = d.as_deref().map(|d| (PkgDigestAlg::Md5, d));
                    b.push(pkg, &divert(path), digest, true, false);
                }
            }
        }
    }
    Ok(b.finish())
}

/// Read `info/STEM.EXT`; a warning naming the file when it cannot be read.
fn read_info(root: &HostRoot, stem: &str, ext: &str, b: &mut Builder) -> Option<Vec<u8>> {
    match root.read_bytes(format!("{INFO_DIR}/{stem}.{ext}"), MAX_TABLE_BYTES) {
        Ok(t) => Some(t),
        Err(e) => {
            b.warn(format!(
                "cannot read /{INFO_DIR}/{stem}.{ext}: {e}; its files are not checked"
            ));
            None
        }
    }
}

/// `<32 hex>  <path without leading slash>` lines, keyed by the absolute
/// path; a malformed line is a warning naming the file and line.
fn parse_md5sums(text: &[u8], shown: &str, b: &mut Builder) -> HashMap<Vec<u8>, Vec<u8>> {
    let mut out = HashMap::new();
    for (i, line) in text.split(|&c| c == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let parsed = line
            .get(..32)
            .and_then(|h| decode_hex(h, PkgDigestAlg::Md5))
            .filter(|_| line.get(32..34) == Some(b"  "))
            .and_then(|d| {
                let mut rel = &line[34..];
                if let Some(r) = rel.strip_suffix(b"/") {
                    rel = r;
                }
                let rel = rel.strip_prefix(b"/").unwrap_or(rel);
                (!rel.is_empty()).then(|| ([b"/", rel].concat(), d))
            });
        match parsed {
            Some((path, d)) => {
                out.insert(path, d);
            }
            None => b.warn(format!(
                "{shown} line {}: not `<md5>  <path>`: {:?}; skipped",
                i + 1,
                String::from_utf8_lossy(&line[..line.len().min(80)])
            )),
        }
    }
    out
}

/// A conffile: its path and md5 (`None` for `newconffile`, never configured).
type Conffile = (Vec<u8>, Option<Vec<u8>>);

/// The `Conffiles:` of every paragraph, by (package, architecture); obsolete
/// conffiles (no longer shipped) are left out.
fn conffiles_by_package(text: &str) -> HashMap<(&str, &str), Vec<Conffile>> {
    let mut out: HashMap<(&str, &str), Vec<Conffile>> = HashMap::new();
    // The status file already parsed, so this cannot fail.
    let Ok(paras) = paragraphs(text) else {
        return out;
    };
    for p in paras {
        let (Some(name), Some(conf)) = (p.get("Package"), p.get("Conffiles")) else {
            continue;
        };
        let arch = p.get("Architecture").unwrap_or("");
        let list = out.entry((name, arch)).or_default();
        for line in conf.lines() {
            let mut words: Vec<&str> = line.split_whitespace().collect();
            let mut obsolete = false;
            while let Some(&w) = words.last() {
                match w {
                    "obsolete" => obsolete = true,
                    "remove-on-upgrade" => {}
                    _ => break,
                }
                words.pop();
            }
            let Some(hash) = words.pop() else { continue };
            if obsolete || words.is_empty() {
                continue;
            }
            // A path with spaces: the words between the first and the hash.
            let start = line.find('/').unwrap_or(0);
            let end = line.rfind(hash).unwrap_or(line.len());
            let path = line[start..end].trim_end();
            list.push((
                path.as_bytes().to_vec(),
                decode_hex(hash.as_bytes(), PkgDigestAlg::Md5),
            ));
        }
    }
    out
}

/// `diversions`: triples of lines (from, to, package; `:` for a local
/// diversion), by `from`.
fn read_diversions(root: &HostRoot, b: &mut Builder) -> HashMap<Vec<u8>, (Vec<u8>, Vec<u8>)> {
    let mut out = HashMap::new();
    let text = match root.read_bytes(DIVERSIONS, MAX_TEXT_BYTES) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return out,
        Err(e) => {
            b.warn(format!(
                "cannot read /{DIVERSIONS}: {e}; diverted files are checked at their original names"
            ));
            return out;
        }
    };
    let mut lines: Vec<&[u8]> = text.split(|&c| c == b'\n').collect();
    if lines.last() == Some(&&b""[..]) {
        lines.pop();
    }
    if !lines.len().is_multiple_of(3) {
        b.warn(format!(
            "/{DIVERSIONS} has {} lines, not triples of (from, to, package); the last is ignored",
            lines.len()
        ));
    }
    for t in lines.chunks_exact(3) {
        out.insert(t[0].to_vec(), (t[1].to_vec(), t[2].to_vec()));
    }
    out
}
