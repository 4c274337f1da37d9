//! Which apt sources are active, and the names of the list files apt keeps
//! for them in `var/lib/apt/lists`.
//!
//! apt 2.6 reads `etc/apt/sources.list` (one-line format), then the files of
//! `etc/apt/sources.list.d` in byte order whose names end in `.list` (one-line)
//! or `.sources` (deb822) and consist of letters, digits, `_`, `-`, `:` and `.`
//! only (`GetListOfFilesInDir`); anything else (`*.list.disabled`,
//! `*.disabled-by-farm`, `x~y.list`) is ignored. Only `deb` entries matter here.
//!
//! A list file is named by apt's `URItoFileName` of its URI: scheme, user and
//! password dropped, unsafe characters quoted as lowercase `%xx`, `/` made `_`.
//! All of this was checked against `apt-get update --print-uris`.

use super::lists;
use selfcheck_hostfs::root::{HostRoot, MAX_TEXT_BYTES, read_regular_path};
use std::path::PathBuf;

/// A sources file apt cannot read; apt refuses to work then, and so do we.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} {where_}: {problem}")]
pub struct SourcesError {
    /// The file.
    pub file: String,
    /// `line N` or `stanza N`.
    pub where_: String,
    /// What apt would complain about.
    pub problem: String,
}

/// One `deb` source: a URI and suite with its components, as one line or
/// one deb822 stanza gives it (one per URI and suite).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceEntry {
    /// The URI as apt normalises it, ending in `/`.
    pub uri: String,
    /// The suite (`bookworm`, `bookworm-security`); ending in `/` for a flat
    /// repository (`./`).
    pub suite: String,
    /// Components (empty for a flat repository).
    pub components: Vec<String>,
    /// Architectures whose `binary-ARCH` lists apt reads, `all` included
    /// unless the entry removes it.
    pub archs: Vec<String>,
    /// `file:line` or `file:stanza` of the entry, for messages.
    pub place: String,
}

impl SourceEntry {
    /// Whether the suite names a flat repository (no `dists/`).
    pub fn is_flat(&self) -> bool {
        self.suite.ends_with('/')
    }

    /// The list-file name (below the lists directory) of the suite's
    /// `InRelease` or `Release` file.
    pub fn release_file_name(&self, kind: &str) -> String {
        lists::uri_to_file_name(&format!("{}{kind}", self.base_uri()))
    }

    /// The list-file names (without a compression suffix) of the `Packages`
    /// files of this entry, in apt's order, each with its component and
    /// architecture (both empty for a flat repository).
    pub fn packages_file_names(&self) -> Vec<(String, String, String)> {
        let base = self.base_uri();
        if self.is_flat() {
            return vec![(
                lists::uri_to_file_name(&format!("{base}Packages")),
                String::new(),
                String::new(),
            )];
        }
        let mut out = Vec::new();
        for component in &self.components {
            for arch in &self.archs {
                let uri = format!("{base}{component}/binary-{arch}/Packages");
                out.push((
                    lists::uri_to_file_name(&uri),
                    component.clone(),
                    arch.clone(),
                ));
            }
        }
        out
    }

    /// The directory URI the release and index files are below (apt's
    /// `constructMetaIndexURI` without the file name).
    fn base_uri(&self) -> String {
        if self.suite == "/" {
            self.uri.clone()
        } else if self.is_flat() {
            format!("{}{}", self.uri, self.suite)
        } else {
            format!("{}dists/{}/", self.uri, self.suite)
        }
    }

    /// The host of the URI: what `Pin: origin` matches.
    pub fn site(&self) -> String {
        lists::Uri::parse(&self.uri).host
    }
}

/// The active `deb` sources of a root, in apt's order.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Entries in file order (`sources.list` first).
    pub entries: Vec<SourceEntry>,
    /// The files that were read.
    pub files: Vec<PathBuf>,
}

/// Read `etc/apt/sources.list` and `etc/apt/sources.list.d/*.{list,sources}`
/// of `root`. `archs` are the architectures apt is configured for (native
/// first); they are the default of entries without `arch=`.
pub fn read_sources(root: &HostRoot, archs: &[String]) -> Result<Sources, SourcesError> {
    let mut sources = Sources::default();
    let mut files = Vec::new();
    if root.is_file("etc/apt/sources.list") {
        files.extend(root.resolve("etc/apt/sources.list").ok());
    }
    files.extend(config_dir_files(
        root,
        "etc/apt/sources.list.d",
        &["list", "sources"],
        false,
    ));
    for file in files {
        let text = read_regular_path(&file, MAX_TEXT_BYTES).map_err(|e| SourcesError {
            file: file.display().to_string(),
            where_: "".into(),
            problem: format!("cannot be read: {e}"),
        })?;
        let text = String::from_utf8_lossy(&text);
        let name = file.display().to_string();
        if file.extension().is_some_and(|e| e == "sources") {
            parse_deb822(&text, &name, archs, &mut sources.entries)?;
        } else {
            parse_one_line(&text, &name, archs, &mut sources.entries)?;
        }
        sources.files.push(file);
    }
    Ok(sources)
}

/// The files of an apt configuration directory (a host path) that apt reads,
/// in its order, resolved inside the root: apt's `GetListOfFilesInDir`. A name
/// must not start with `.`, must have one of `exts` as its extension (or none,
/// when `allow_no_ext`), may hold only ASCII letters, digits, `_`, `-`, `:`
/// and `.`, must not end in `.`, and must be (a link to) a regular file.
pub fn config_dir_files(
    root: &HostRoot,
    host_dir: &str,
    exts: &[&str],
    allow_no_ext: bool,
) -> Vec<PathBuf> {
    let Ok(read) = root.read_dir(host_dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = read
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| valid_config_name(name, exts, allow_no_ext))
        .collect();
    names.sort();
    names
        .into_iter()
        .filter(|name| root.is_file(format!("{host_dir}/{name}")))
        .filter_map(|name| root.resolve(format!("{host_dir}/{name}")).ok())
        .collect()
}

fn valid_config_name(name: &str, exts: &[&str], allow_no_ext: bool) -> bool {
    if name.starts_with('.') || name.ends_with('.') {
        return false;
    }
    let ext_ok = match name.rfind('.') {
        None => allow_no_ext,
        Some(i) => exts.contains(&&name[i + 1..]),
    };
    ext_ok
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b':' | b'.'))
}

/// Parse one-line-format text (`deb [ opts ] uri suite comp...`).
fn parse_one_line(
    text: &str,
    file: &str,
    archs: &[String],
    out: &mut Vec<SourceEntry>,
) -> Result<(), SourcesError> {
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let err = |problem: &str| SourcesError {
            file: file.to_string(),
            where_: format!("line {line_no}"),
            problem: format!("malformed entry ({problem})"),
        };
        let line = strip_comment(raw).trim_matches([' ', '\t', '\r']);
        if line.is_empty() {
            continue;
        }
        let type_end = line.find([' ', '\t', '\u{b}']).ok_or_else(|| err("type"))?;
        let kind = &line[..type_end];
        if kind != "deb" && kind != "deb-src" {
            return Err(SourcesError {
                file: file.to_string(),
                where_: format!("line {line_no}"),
                problem: format!("type '{kind}' is not known"),
            });
        }
        let mut rest = line[type_end..].trim_start();
        let mut options = Options::default();
        if let Some(after) = rest.strip_prefix('[') {
            let close = after.find(']').ok_or_else(|| err("[option] unparsable"))?;
            for option in after[..close].split_whitespace() {
                let (key, value) = option
                    .split_once('=')
                    .ok_or_else(|| err("[option] not assignment"))?;
                if key.is_empty() || value.is_empty() {
                    return Err(err("[option] no key or value"));
                }
                options.set(key, value);
            }
            rest = after[close + 1..].trim_start();
        }
        let words: Vec<String> = quote_words(rest).ok_or_else(|| err("unbalanced quotes"))?;
        let uri = words.first().ok_or_else(|| err("URI"))?;
        let suite = words.get(1).ok_or_else(|| err("Suite"))?;
        let uri = fixup_uri(uri, archs).ok_or_else(|| err("URI parse"))?;
        let components: Vec<String> = words[2..].to_vec();
        if suite.ends_with('/') {
            if !components.is_empty() {
                return Err(err("absolute Suite Component"));
            }
        } else if components.is_empty() {
            return Err(err("Component"));
        }
        if kind == "deb" {
            out.push(SourceEntry {
                uri,
                suite: suite.replace("$(ARCH)", native(archs)),
                components,
                archs: options.archs(archs),
                place: format!("{file}:{line_no}"),
            });
        }
    }
    Ok(())
}

/// A `#` ends the line unless it is inside `[ ]` options.
fn strip_comment(line: &str) -> &str {
    let mut depth = 0i32;
    for (i, c) in line.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '#' if depth <= 0 => return &line[..i],
            _ => {}
        }
    }
    line
}

/// Split like apt's `ParseQuoteWord`: words end at white space, `"..."` may
/// hold spaces and is unquoted, `%xx` is decoded.
fn quote_words(mut s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return Some(out);
        }
        let bytes = s.as_bytes();
        let mut end = 0;
        while end < bytes.len() && !bytes[end].is_ascii_whitespace() {
            if bytes[end] == b'"' {
                end += 1 + s[end + 1..].find('"')?;
            }
            end += 1;
        }
        let word: Vec<u8> = lists::percent_decode(&bytes[..end])
            .into_iter()
            .filter(|&c| c != b'"')
            .collect();
        out.push(String::from_utf8_lossy(&word).into_owned());
        s = &s[end..];
    }
}

/// Parse deb822 `.sources` text.
fn parse_deb822(
    text: &str,
    file: &str,
    archs: &[String],
    out: &mut Vec<SourceEntry>,
) -> Result<(), SourcesError> {
    let paragraphs = super::control::paragraphs(text).map_err(|e| SourcesError {
        file: file.to_string(),
        where_: format!("line {}", e.line),
        problem: e.problem,
    })?;
    for (index, p) in paragraphs.iter().enumerate() {
        let stanza = index + 1;
        let err = |problem: &str| SourcesError {
            file: file.to_string(),
            where_: format!("stanza {stanza} (line {})", p.line),
            problem: format!("malformed stanza ({problem})"),
        };
        let multi = |name: &str| -> Vec<String> {
            field(p, name)
                .map(|v| v.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default()
        };
        let types = multi("Types");
        if p.get("Types").is_none() {
            return Err(err("type"));
        }
        if let Some(bad) = types.iter().find(|t| *t != "deb" && *t != "deb-src") {
            return Err(SourcesError {
                file: file.to_string(),
                where_: format!("stanza {stanza}"),
                problem: format!("type '{bad}' is not known"),
            });
        }
        if field(p, "Enabled").is_some_and(|v| string_to_bool(&v) == Some(false)) {
            continue;
        }
        let uris = multi("URIs");
        let suites: Vec<String> = multi("Suites")
            .into_iter()
            .map(|s| s.replace("$(ARCH)", native(archs)))
            .collect();
        let components = multi("Components");
        if uris.is_empty() {
            return Err(err("URI"));
        }
        if suites.is_empty() {
            return Err(err("Suite"));
        }
        let mut options = Options::default();
        for (field, key) in [
            ("Architectures", "arch"),
            ("Architectures-Add", "arch+"),
            ("Architectures-Remove", "arch-"),
        ] {
            if p.get(field).is_some() {
                options.set(key, &multi(field).join(","));
            }
        }
        for uri in &uris {
            let uri = fixup_uri(uri, archs).ok_or_else(|| err("URI parse"))?;
            for suite in &suites {
                if suite.ends_with('/') && !components.is_empty() {
                    return Err(err("absolute Suite Component"));
                }
                if !suite.ends_with('/') && components.is_empty() {
                    return Err(err("Component"));
                }
                if types.iter().any(|t| t == "deb") {
                    out.push(SourceEntry {
                        uri: uri.clone(),
                        suite: suite.clone(),
                        components: if suite.ends_with('/') {
                            Vec::new()
                        } else {
                            components.clone()
                        },
                        archs: options.archs(archs),
                        place: format!("{file}:{stanza}"),
                    });
                }
            }
        }
    }
    Ok(())
}

/// A field's value without the comment lines that `control::paragraphs`
/// leaves inside it when they stand between two fields.
pub(crate) fn field(p: &super::control::Paragraph<'_>, name: &str) -> Option<String> {
    let v = p.get(name)?;
    if !v.contains("\n#") {
        return Some(v.to_string());
    }
    let kept: Vec<&str> = v.lines().filter(|l| !l.starts_with('#')).collect();
    Some(kept.join("\n").trim_end().to_string())
}

fn native(archs: &[String]) -> &str {
    archs.first().map(String::as_str).unwrap_or("")
}

/// apt's `StringToBool`: `Some(true)`/`Some(false)` for the words and 0/1 it
/// knows, `None` otherwise.
pub fn string_to_bool(text: &str) -> Option<bool> {
    let t = text.trim();
    match t.parse::<i64>() {
        Ok(0) => return Some(false),
        Ok(1) => return Some(true),
        _ => {}
    }
    const YES: [&str; 5] = ["yes", "true", "with", "on", "enable"];
    const NO: [&str; 5] = ["no", "false", "without", "off", "disable"];
    if YES.iter().any(|w| w.eq_ignore_ascii_case(t)) {
        Some(true)
    } else if NO.iter().any(|w| w.eq_ignore_ascii_case(t)) {
        Some(false)
    } else {
        None
    }
}

/// The architecture options of one entry.
#[derive(Debug, Default)]
struct Options {
    arch: Option<String>,
    plus: Option<String>,
    minus: Option<String>,
}

impl Options {
    fn set(&mut self, key: &str, value: &str) {
        match key {
            "arch" => self.arch = Some(value.to_string()),
            "arch+" => self.plus = Some(value.to_string()),
            "arch-" => self.minus = Some(value.to_string()),
            _ => {}
        }
    }

    /// apt's `parsePlusMinusArchOptions`: `arch=` or the configured
    /// architectures, plus `arch+=`, minus `arch-=`, and `all` unless the
    /// entry lists or removes it.
    fn archs(&self, configured: &[String]) -> Vec<String> {
        let split = |v: &str| v.split(',').map(str::to_string).collect::<Vec<_>>();
        let mut values = match &self.arch {
            Some(v) => split(v),
            None => configured.to_vec(),
        };
        if let Some(plus) = &self.plus {
            for v in split(plus) {
                if !values.contains(&v) {
                    values.push(v);
                }
            }
        }
        let mut all_removed = false;
        if let Some(minus) = &self.minus {
            let minus = split(minus);
            all_removed = minus.iter().any(|m| m == "all");
            values.retain(|v| !minus.contains(v));
        }
        if !all_removed && !values.iter().any(|v| v == "all") {
            values.push("all".into());
        }
        values
    }
}

/// apt's `FixupURI`: substitute `$(ARCH)`, normalise through its URI parser
/// and make it end in `/`. `None` when it has no scheme.
fn fixup_uri(uri: &str, archs: &[String]) -> Option<String> {
    if uri.is_empty() || !uri.contains(':') {
        return None;
    }
    let mut s = lists::Uri::parse(&uri.replace("$(ARCH)", native(archs))).to_string();
    if !s.ends_with('/') {
        s.push('/');
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archs() -> Vec<String> {
        vec!["amd64".into(), "i386".into()]
    }

    // Every expected name below is what `apt-get update --print-uris` printed.
    #[test]
    fn list_file_names_match_apt() {
        let mut entries = Vec::new();
        let text = "deb http://user:pw@h1.example:8080/de~b_ian/ stable main contrib # c\n\
                    deb [arch=amd64] http://h2.example/flat ./\n\
                    deb [ arch=i386,amd64 trusted=yes ] http://h2.example/flat2 sub/dir/\n\
                    deb-src http://h3.example/debian stable main\n\
                    deb http://[::1]:81/x%5fy stable main\n\
                    deb file:/srv/repo stable main\n\
                    deb file:///srv/repo2 ./\n\
                    deb https://deb.nodesource.com/node_20.x nodistro main\n";
        parse_one_line(text, "sources.list", &archs(), &mut entries).unwrap();
        let names: Vec<String> = entries
            .iter()
            .flat_map(|e| {
                let mut v = vec![e.release_file_name("InRelease")];
                v.extend(e.packages_file_names().into_iter().map(|t| t.0));
                v
            })
            .collect();
        let want = [
            "h1.example:8080_de%7eb%5fian_dists_stable_InRelease",
            "h1.example:8080_de%7eb%5fian_dists_stable_main_binary-amd64_Packages",
            "h1.example:8080_de%7eb%5fian_dists_stable_main_binary-i386_Packages",
            "h1.example:8080_de%7eb%5fian_dists_stable_main_binary-all_Packages",
            "h1.example:8080_de%7eb%5fian_dists_stable_contrib_binary-amd64_Packages",
            "h1.example:8080_de%7eb%5fian_dists_stable_contrib_binary-i386_Packages",
            "h1.example:8080_de%7eb%5fian_dists_stable_contrib_binary-all_Packages",
            "h2.example_flat_._InRelease",
            "h2.example_flat_._Packages",
            "h2.example_flat2_sub_dir_InRelease",
            "h2.example_flat2_sub_dir_Packages",
            "::1:81_x%5fy_dists_stable_InRelease",
            "::1:81_x%5fy_dists_stable_main_binary-amd64_Packages",
            "::1:81_x%5fy_dists_stable_main_binary-i386_Packages",
            "::1:81_x%5fy_dists_stable_main_binary-all_Packages",
            "_srv_repo_dists_stable_InRelease",
            "_srv_repo_dists_stable_main_binary-amd64_Packages",
            "_srv_repo_dists_stable_main_binary-i386_Packages",
            "_srv_repo_dists_stable_main_binary-all_Packages",
            "_srv_repo2_._InRelease",
            "_srv_repo2_._Packages",
            "deb.nodesource.com_node%5f20.x_dists_nodistro_InRelease",
            "deb.nodesource.com_node%5f20.x_dists_nodistro_main_binary-amd64_Packages",
            "deb.nodesource.com_node%5f20.x_dists_nodistro_main_binary-i386_Packages",
            "deb.nodesource.com_node%5f20.x_dists_nodistro_main_binary-all_Packages",
        ];
        assert_eq!(names, want);
        assert_eq!(entries[0].site(), "h1.example");
        assert_eq!(entries[3].site(), "::1");
        assert_eq!(entries[4].site(), "");
    }

    #[test]
    fn deb822_stanzas_options_and_enabled() {
        let text = "Types: deb deb-src\n# comment\nURIs: http://h4.example/debian\nSuites: s1\n s2\n\
                    Components: main\nArchitectures: i386\n\n\
                    # a comment\nTypes: deb\nURIs: http://h5.example/debian\nSuites: s1\n\
                    Components: main\nEnabled: no\n\n\
                    Types: deb\nURIs: http://h6.example/debian\nSuites: s1\n\
                    Components: main\nArchitectures-Remove: all\n";
        let mut entries = Vec::new();
        parse_deb822(text, "a.sources", &archs(), &mut entries).unwrap();
        let got: Vec<_> = entries
            .iter()
            .map(|e| (e.uri.as_str(), e.suite.as_str(), e.archs.join(",")))
            .collect();
        assert_eq!(
            got,
            [
                ("http://h4.example/debian/", "s1", "i386,all".to_string()),
                ("http://h4.example/debian/", "s2", "i386,all".to_string()),
                ("http://h6.example/debian/", "s1", "amd64,i386".to_string()),
            ]
        );
    }

    #[test]
    fn malformed_entries_are_errors_naming_the_line() {
        let mut entries = Vec::new();
        let e =
            parse_one_line("deb http://x/ stable\n", "f.list", &archs(), &mut entries).unwrap_err();
        assert_eq!(e.where_, "line 1");
        assert!(e.problem.contains("Component"), "{e}");
        let e =
            parse_one_line("rpm http://x/ a b\n", "f.list", &archs(), &mut entries).unwrap_err();
        assert!(e.problem.contains("'rpm'"), "{e}");
        let e = parse_deb822(
            "Types: deb\nSuites: a\n",
            "f.sources",
            &archs(),
            &mut entries,
        )
        .unwrap_err();
        assert!(e.problem.contains("URI"), "{e}");
    }

    #[test]
    fn config_file_names_follow_apt() {
        let ok = |n: &str| valid_config_name(n, &["list", "sources"], false);
        assert!(ok("debian.sources") && ok("x.y.list") && ok("a_b-c:d.list"));
        assert!(!ok("google.list.disabled-by-farm") && !ok("x.list.disabled"));
        assert!(!ok("x~y.list") && !ok(".hidden.list") && !ok("nolist"));
        let pref = |n: &str| valid_config_name(n, &["pref"], true);
        assert!(pref("nodejs") && pref("a.pref") && !pref("a.conf") && !pref("a b"));
    }
}
