//! apt's list files: their names (apt's `URItoFileName`: scheme, user and
//! password dropped, unsafe characters quoted as lowercase `%xx`, `/` made
//! `_`), and reading the `Packages` lists fast: only the paragraphs of
//! installed package names are looked at.
//!
//! Each list is decompressed as a stream and scanned chunk by chunk for
//! `Package:` lines (memchr's SIMD search); the name is looked up in the set of
//! installed names, and only for those is the paragraph's `Version`,
//! `Architecture` and `Source` read. Nothing is allocated for the other
//! paragraphs. Lists are scanned in parallel, one thread per CPU.
//!
//! Like apt (which reads gzip through zlib), a truncated or corrupt
//! compressed list is used up to the point where it breaks; the break is
//! reported as a problem of that file.

use memchr::memmem;
use selfcheck_hostfs::root::{BoundedReader, HostRoot, MAX_TABLE_BYTES, open_regular_path};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// How a list file is compressed, from its name's suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain text.
    None,
    /// `.xz`
    Xz,
    /// `.bz2` (not supported: reported as a problem).
    Bzip2,
    /// `.lzma`
    Lzma,
    /// `.gz`
    Gzip,
    /// `.lz4`
    Lz4,
    /// `.zst`
    Zstd,
}

/// The suffixes apt 2.6 tries, in its order (`IndexFileName`: the plain file,
/// then `Acquire::CompressionTypes` order); the first that exists is read.
const SUFFIXES: [(&str, Compression); 7] = [
    ("", Compression::None),
    (".xz", Compression::Xz),
    (".bz2", Compression::Bzip2),
    (".lzma", Compression::Lzma),
    (".gz", Compression::Gzip),
    (".lz4", Compression::Lz4),
    (".zst", Compression::Zstd),
];

/// The list file apt would read for `base` (a name without suffix) in the
/// lists directory `lists` (a host path), resolved inside the root (a name
/// whose links loop counts as absent).
pub fn find_list_file(root: &HostRoot, lists: &str, base: &str) -> Option<(PathBuf, Compression)> {
    SUFFIXES.iter().find_map(|(suffix, c)| {
        let path = root.resolve(format!("{lists}/{base}{suffix}")).ok()?;
        path.exists().then_some((path, *c))
    })
}

/// One paragraph of a list for an installed package name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// Index of the name in the `wanted` map given to [`scan`].
    pub name: u32,
    /// `Architecture:` as written (`amd64`, `all`), `none` when absent.
    pub arch: String,
    /// `Version:`.
    pub version: String,
    /// The source package name (`Source:` without its version), if given.
    pub source: Option<String>,
}

/// What one list gave.
#[derive(Debug, Default)]
pub struct Scan {
    /// Paragraphs of wanted names with a version, in file order.
    pub offers: Vec<Offer>,
    /// Why the file could not be read (wholly or from some point on).
    pub problem: Option<String>,
}

/// A list file as read: buffered, bounded.
type ListFile = BufReader<BoundedReader<std::fs::File>>;

/// Bytes decompressed per step.
const CHUNK: u64 = 4 << 20;

/// Scan one list for the paragraphs of `wanted` names (name → index).
pub fn scan(path: &Path, compression: Compression, wanted: &HashMap<&[u8], u32>) -> Scan {
    let mut out = Scan::default();
    let mut reader = match open(path, compression) {
        Ok(r) => r,
        Err(e) => {
            out.problem = Some(format!("{}: {e}", path.display()));
            return out;
        }
    };
    let package = memmem::Finder::new(b"Package:");
    let mut buf: Vec<u8> = Vec::with_capacity(2 * CHUNK as usize);
    let mut total = 0u64;
    loop {
        let before = buf.len();
        let read = reader.by_ref().take(CHUNK).read_to_end(&mut buf);
        total += (buf.len() - before) as u64;
        let done = match read {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => false,
            Err(e) => {
                out.problem = Some(format!(
                    "{}: unreadable after {total} bytes ({e}); the part before was used, as apt does",
                    path.display()
                ));
                true
            }
        };
        let cut = if done {
            buf.len()
        } else {
            match memmem::rfind(&buf, b"\n\n") {
                Some(i) => i + 2,
                None => continue, // one paragraph longer than a chunk: read on
            }
        };
        scan_paragraphs(&buf[..cut], &package, wanted, &mut out.offers);
        buf.drain(..cut);
        if done {
            return out;
        }
    }
}

/// Open a list (a path resolved inside the root) through its decompressor:
/// non-blocking and a regular file only, and neither the file nor what it
/// decompresses to may pass [`MAX_TABLE_BYTES`].
fn open(path: &Path, compression: Compression) -> std::io::Result<Box<dyn Read>> {
    let shown = path.display().to_string();
    let file = BoundedReader::new(open_regular_path(path)?, MAX_TABLE_BYTES, shown.clone());
    let file = BufReader::with_capacity(1 << 16, file);
    let decoded = open_decoder(file, compression)?;
    Ok(Box::new(BoundedReader::new(
        decoded,
        MAX_TABLE_BYTES,
        format!("{shown} (decompressed)"),
    )))
}

/// The reader of a list's content through its decompressor.
fn open_decoder(file: ListFile, compression: Compression) -> std::io::Result<Box<dyn Read>> {
    Ok(match compression {
        Compression::None => Box::new(file),
        Compression::Gzip => gzip(file)?,
        Compression::Xz => Box::new(lzma_rust2::XzReader::new(file, true)),
        Compression::Lzma => Box::new(
            lzma_rust2::LzmaReader::new_mem_limit(file, u32::MAX, None)
                .map_err(|e| std::io::Error::other(format!("not an lzma file: {e}")))?,
        ),
        Compression::Lz4 => Box::new(lz4_flex::frame::FrameDecoder::new(file)),
        Compression::Zstd => Box::new(
            ruzstd::decoding::StreamingDecoder::new(file)
                .map_err(|e| std::io::Error::other(format!("not a zstd file: {e}")))?,
        ),
        Compression::Bzip2 => {
            return Err(std::io::Error::other(
                "bzip2-compressed lists are not supported",
            ));
        }
    })
}

/// zlib's `gzread`, which apt uses, reads a file without the gzip magic as
/// plain text; so do we.
fn gzip(mut file: ListFile) -> std::io::Result<Box<dyn Read>> {
    let head = file.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(flate2::bufread::MultiGzDecoder::new(file)))
    } else {
        Ok(Box::new(file))
    }
}

/// Find the `Package:` lines of `text` (whole paragraphs) and read the
/// paragraphs of wanted names.
fn scan_paragraphs(
    text: &[u8],
    package: &memmem::Finder<'_>,
    wanted: &HashMap<&[u8], u32>,
    offers: &mut Vec<Offer>,
) {
    let mut pos = 0;
    while let Some(found) = package.find(&text[pos..]) {
        let at = pos + found;
        let value_start = at + b"Package:".len();
        let line_end =
            memchr::memchr(b'\n', &text[value_start..]).map_or(text.len(), |e| value_start + e);
        pos = line_end;
        if at > 0 && text[at - 1] != b'\n' {
            continue; // inside another field's line
        }
        let Some(&name) = wanted.get(trim(&text[value_start..line_end])) else {
            continue;
        };
        let start = memmem::rfind(&text[..at], b"\n\n").map_or(0, |s| s + 2);
        let end = memmem::find(&text[line_end..], b"\n\n").map_or(text.len(), |e| line_end + e);
        if let Some(offer) = read_paragraph(&text[start..end], name) {
            offers.push(offer);
        }
        pos = end;
    }
}

/// Version, Architecture and Source of one paragraph; `None` without a version.
fn read_paragraph(paragraph: &[u8], name: u32) -> Option<Offer> {
    let (mut version, mut arch, mut source) = (None, None, None);
    for line in paragraph.split(|&c| c == b'\n') {
        if line.first().is_none_or(|c| *c == b' ' || *c == b'\t') {
            continue;
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            continue;
        };
        let field = &line[..colon];
        let value = trim(&line[colon + 1..]);
        if field.eq_ignore_ascii_case(b"Version") {
            version = Some(value);
        } else if field.eq_ignore_ascii_case(b"Architecture") {
            arch = Some(value);
        } else if field.eq_ignore_ascii_case(b"Source") {
            source = value.split(|c| *c == b' ' || *c == b'(').next();
        }
    }
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let version = version.filter(|v| !v.is_empty())?;
    Some(Offer {
        name,
        arch: arch
            .filter(|a| !a.is_empty())
            .map_or_else(|| "none".into(), text),
        version: text(version),
        source: source.filter(|s| !s.is_empty()).map(text),
    })
}

fn trim(s: &[u8]) -> &[u8] {
    s.trim_ascii()
}

/// Scan several lists in parallel (largest first, one worker per CPU);
/// results in the order of `files`.
pub fn scan_all(files: &[(PathBuf, Compression)], wanted: &HashMap<&[u8], u32>) -> Vec<Scan> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len());
    if workers <= 1 {
        return files.iter().map(|(p, c)| scan(p, *c, wanted)).collect();
    }
    let mut order: Vec<usize> = (0..files.len()).collect();
    let size = |i: usize| std::fs::metadata(&files[i].0).map_or(0, |m| m.len());
    order.sort_by_key(|&i| std::cmp::Reverse(size(i)));
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<Scan>> = (0..files.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&i) = order.get(k) else {
                            return done;
                        };
                        done.push((i, scan(&files[i].0, files[i].1, wanted)));
                    }
                })
            })
            .collect();
        for handle in handles {
            match handle.join() {
                Ok(done) => {
                    for (i, scan) in done {
                        results[i] = Some(scan);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    results.into_iter().map(Option::unwrap_or_default).collect()
}

// ---- list file names ----

/// apt's `URItoFileName`: the name of a URI's file in the lists directory.
pub fn uri_to_file_name(uri: &str) -> String {
    let mut u = Uri::parse(uri);
    u.user.clear();
    u.password.clear();
    u.access.clear();
    quote_string(&u.to_string(), "\\|{}[]<>\"^~_=!@#$%^&*").replace('/', "_")
}

/// apt's `QuoteString`: bad characters, `%`, and bytes outside 0x21..0x7e as `%xx`.
fn quote_string(s: &str, bad: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c <= 0x20 || c >= 0x7f || c == b'%' || bad.as_bytes().contains(&c) {
            out.push_str(&format!("%{c:02x}"));
        } else {
            out.push(c as char);
        }
    }
    out
}

/// apt's `URI` class: its parse (`CopyFrom`) and its string form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Uri {
    access: String,
    user: String,
    password: String,
    /// The host (what `Pin: origin` matches), without brackets or port.
    pub(crate) host: String,
    port: u32,
    path: String,
}

impl Uri {
    pub(crate) fn parse(u: &str) -> Uri {
        let b = u.as_bytes();
        let first_colon = b.iter().position(|&c| c == b':').unwrap_or(b.len());
        let mut single_slash = first_colon;
        if first_colon + 3 < b.len() && b[first_colon + 1] == b'/' && b[first_colon + 2] == b'/' {
            single_slash += 3;
        }
        let mut in_bracket = false;
        while single_slash < b.len() && (b[single_slash] != b'/' || in_bracket) {
            match b[single_slash] {
                b'[' => in_bracket = true,
                b']' if in_bracket => in_bracket = false,
                _ => {}
            }
            single_slash += 1;
        }
        let mut uri = Uri {
            access: u[..first_colon].to_string(),
            path: u[single_slash.min(b.len())..].to_string(),
            ..Uri::default()
        };
        if uri.path.is_empty() {
            uri.path = "/".into();
        }
        let mut host_start = if first_colon + 2 < b.len()
            && b[first_colon + 1] == b'/'
            && b[first_colon + 2] == b'/'
        {
            first_colon + 3
        } else {
            first_colon + 1
        };
        if host_start >= b.len() {
            return uri;
        }
        host_start = host_start.min(single_slash);
        let userinfo_from = (host_start + 1).min(single_slash);
        let at = u[userinfo_from..single_slash]
            .rfind('@')
            .map(|i| i + userinfo_from);
        let mut host = match at {
            None => u[host_start..single_slash].to_string(),
            Some(at) => {
                let info = &u[host_start..at];
                let (user, password) = info.split_once(':').unwrap_or((info, ""));
                uri.user = String::from_utf8_lossy(&percent_decode(user.as_bytes())).into();
                uri.password = String::from_utf8_lossy(&percent_decode(password.as_bytes())).into();
                u[at + 1..single_slash].to_string()
            }
        };
        // RFC 2732 [v6] hosts: drop the brackets, remember where they closed.
        let mut port_end = 0;
        let mut bracket = false;
        let mut plain = String::with_capacity(host.len());
        for c in host.chars() {
            match c {
                '[' => bracket = true,
                ']' if bracket => {
                    bracket = false;
                    port_end = plain.len();
                }
                c => plain.push(c),
            }
        }
        if bracket {
            return uri;
        }
        host = plain;
        if let Some(pos) = host.rfind(':').filter(|&p| p >= port_end) {
            let digits: String = host[pos + 1..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            uri.port = digits.parse().unwrap_or(0);
            host.truncate(pos);
        }
        uri.host = host;
        uri
    }
}

impl std::fmt::Display for Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.access.is_empty() {
            write!(f, "{}:", self.access)?;
        }
        if !self.host.is_empty() {
            if !self.access.is_empty() {
                f.write_str("//")?;
            }
            if !self.user.is_empty() {
                f.write_str(&quote_string(&self.user, ":/?#[]@"))?;
                if !self.password.is_empty() {
                    write!(f, ":{}", quote_string(&self.password, ":/?#[]@"))?;
                }
                f.write_str("@")?;
            }
            if !self.access.is_empty() && self.host.contains([':', '/']) {
                write!(f, "[{}]", self.host)?;
            } else {
                f.write_str(&self.host)?;
            }
            if self.port != 0 {
                write!(f, ":{}", self.port)?;
            }
        }
        if !self.path.is_empty() {
            if !self.path.starts_with('/') {
                f.write_str("/")?;
            }
            f.write_str(&self.path)?;
        }
        Ok(())
    }
}

/// Decode `%xx` escapes (apt's `DeQuoteString`).
pub(crate) fn percent_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let digits = (s[i] == b'%' && i + 2 < s.len()).then(|| (hex(s[i + 1]), hex(s[i + 2])));
        if let Some((Some(h), Some(l))) = digits {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted() -> HashMap<&'static [u8], u32> {
        HashMap::from([(&b"bash"[..], 0), (&b"libc6"[..], 1)])
    }

    const TEXT: &str = "Package: zsh\nVersion: 5\nArchitecture: amd64\nDescription: x\n Package: bash\n\n\
                        Version: 5.2-2\nPackage: bash\nSource: bash (5.2-1)\nArchitecture: amd64\n\n\
                        Package: libc6\nArchitecture: all\nDepends: x\n\n\
                        Package:  libc6 \r\nVersion: 2.36-9\nArchitecture: i386\n";

    #[test]
    fn only_wanted_paragraphs_with_versions_are_read() {
        let mut offers = Vec::new();
        scan_paragraphs(
            TEXT.as_bytes(),
            &memmem::Finder::new(b"Package:"),
            &wanted(),
            &mut offers,
        );
        let got: Vec<_> = offers
            .iter()
            .map(|o| {
                (
                    o.name,
                    o.arch.as_str(),
                    o.version.as_str(),
                    o.source.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (0, "amd64", "5.2-2", Some("bash")),
                (1, "i386", "2.36-9", None)
            ]
        );
    }

    #[test]
    fn compressed_and_truncated_lists() {
        let dir = tempfile::tempdir().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, TEXT.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        std::fs::write(dir.path().join("a_Packages.gz"), &gz).unwrap();
        let root = HostRoot::at(dir.path()).unwrap();
        let (path, c) = find_list_file(&root, "/", "a_Packages").unwrap();
        assert_eq!(c, Compression::Gzip);
        let scan_ = scan(&path, c, &wanted());
        assert_eq!((scan_.offers.len(), scan_.problem), (2, None));

        std::fs::write(dir.path().join("b_Packages.gz"), &gz[..gz.len() / 2]).unwrap();
        let scan_ = scan(
            &dir.path().join("b_Packages.gz"),
            Compression::Gzip,
            &wanted(),
        );
        let problem = scan_.problem.unwrap();
        assert!(problem.contains("b_Packages.gz"), "{problem}");

        let mut lz = lz4_flex::frame::FrameEncoder::new(Vec::new());
        std::io::Write::write_all(&mut lz, TEXT.as_bytes()).unwrap();
        std::fs::write(dir.path().join("c_Packages.lz4"), lz.finish().unwrap()).unwrap();
        // A plain file wins over a compressed one, as in apt.
        std::fs::write(dir.path().join("c_Packages"), "Package: bash\nVersion: 9\n").unwrap();
        let (path, c) = find_list_file(&root, "/", "c_Packages").unwrap();
        assert_eq!(c, Compression::None);
        assert_eq!(scan(&path, c, &wanted()).offers[0].version, "9");
        let lz4 = scan(
            &dir.path().join("c_Packages.lz4"),
            Compression::Lz4,
            &wanted(),
        );
        assert_eq!(lz4.offers.len(), 2);
    }
}
