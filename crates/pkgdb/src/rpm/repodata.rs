//! A cached rpm-md repository: `repomd.xml` (which metadata files there are),
//! opening a metadata file through its decompressor, and the packages of
//! `primary.xml` (namespace `http://linux.duke.edu/metadata/common`).
//!
//! Everything is read as a stream with quick-xml; from `primary.xml` only the
//! `<package>` elements of wanted (installed) names are kept, and only their
//! `<name>`, `<arch>` and `<version epoch= ver= rel=>`: the rest of a package
//! (its `<format>` with the dependency lists, the bulk of the file) is skipped
//! as soon as its name is known not to be wanted. A document that ends before
//! its root element is closed (a truncated download) is an error, like bad XML.

use super::repos::{CacheDir, Layout};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::QName;
use selfcheck_hostfs::root::{
    BoundedReader, HostRoot, MAX_TABLE_BYTES, MAX_TEXT_BYTES, open_regular_path,
};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// What `repomd.xml` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoMd {
    /// `<revision>`.
    pub revision: Option<String>,
    /// The `<data>` entries.
    pub data: Vec<MdData>,
}

/// One `<data type="...">` entry of `repomd.xml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MdData {
    /// `type` (`primary`, `primary_db`, `updateinfo`, `modules`, ...).
    pub kind: String,
    /// `<location href>`.
    pub href: String,
    /// `<timestamp>` (seconds since the epoch).
    pub timestamp: Option<i64>,
}

impl RepoMd {
    /// When the repository was generated: the newest `<timestamp>`, or the
    /// `<revision>` when it is a plausible Unix time (createrepo_c writes the
    /// generation time there by default).
    pub fn generated_at(&self) -> Option<i64> {
        let revision = self
            .revision
            .as_deref()
            .and_then(|r| r.trim().parse::<i64>().ok())
            .filter(|&t| t >= 1_000_000_000);
        self.data
            .iter()
            .filter_map(|d| d.timestamp)
            .chain(revision)
            .max()
    }

    /// The entry of a metadata type.
    pub fn entry(&self, kind: &str) -> Option<&MdData> {
        self.data.iter().find(|d| d.kind == kind)
    }
}

/// Read `repomd.xml`.
pub fn read_repomd(path: &Path) -> Result<RepoMd, String> {
    let file = open_regular_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let reader = BufReader::new(BoundedReader::new(
        file,
        MAX_TEXT_BYTES,
        path.display().to_string(),
    ));
    let mut xml = Reader::from_reader(reader);
    let mut buf = Vec::new();
    let mut md = RepoMd::default();
    let mut doc = Doc::new("repomd");
    let mut text: Option<String> = None;
    let mut current: Option<MdData> = None;
    loop {
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(&xml, e))?;
        doc.track(&event)?;
        match event {
            Event::Start(e) | Event::Empty(e) => match local(&e) {
                "data" => {
                    current = Some(MdData {
                        kind: attr(&e, "type")?.unwrap_or_default(),
                        ..MdData::default()
                    })
                }
                "location" => {
                    if let Some(d) = current.as_mut() {
                        d.href = attr(&e, "href")?.unwrap_or_default();
                    }
                }
                "revision" | "timestamp" => text = Some(String::new()),
                _ => {}
            },
            Event::Text(t) => {
                if let Some(s) = text.as_mut() {
                    s.push_str(&t);
                }
            }
            Event::End(e) => match e.local_name().into_inner() {
                "revision" if current.is_none() => md.revision = text.take(),
                "timestamp" => {
                    if let (Some(d), Some(s)) = (current.as_mut(), text.take()) {
                        d.timestamp = s.trim().parse::<f64>().ok().map(|f| f as i64);
                    }
                }
                "data" => md.data.extend(current.take()),
                _ => text = None,
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    doc.finish()?;
    Ok(md)
}

/// Where a metadata file of a cached repository is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located {
    /// A file this module can read.
    Found(PathBuf),
    /// Only forms that cannot be read here (SQLite, bzip2, zchunk), named.
    Unsupported(Vec<PathBuf>),
    /// Nothing of that type in the cache.
    Missing,
}

/// Find the cached file of metadata type `kind` (`primary`, `updateinfo`):
/// through `repomd.xml`'s `<location href>` first, else by its name
/// (`*-primary.xml.gz`, `primary.xml.gz`, ...), the newest if several. Paths
/// are resolved inside the root.
pub fn locate(root: &HostRoot, cache: &CacheDir, md: &RepoMd, kind: &str) -> Located {
    let mut listed = Vec::new();
    for k in [
        kind.to_string(),
        format!("{kind}_zck"),
        format!("{kind}_db"),
    ] {
        if let Some(entry) = md.entry(&k) {
            listed.extend(
                href_paths(cache, &entry.href)
                    .into_iter()
                    .find(|h| root.is_file(h))
                    .and_then(|h| root.resolve(h).ok()),
            );
        }
    }
    if let Some(p) = listed.iter().find(|p| readable(p)) {
        return Located::Found(p.clone());
    }
    // By name, in the metadata directory.
    let dir = match cache.layout {
        Layout::Dnf => cache.host.join("repodata"),
        Layout::Yum => cache.host.clone(),
    };
    let mut by_name: Vec<PathBuf> = root
        .read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| {
            let base = name.rsplit_once('-').map_or(name.as_str(), |(_, b)| b);
            base.starts_with(&format!("{kind}.")) || base.starts_with(&format!("{kind}_db."))
        })
        .filter(|name| root.is_file(dir.join(name)))
        .filter_map(|name| root.resolve(dir.join(name)).ok())
        .collect();
    by_name
        .sort_by_key(|p| std::cmp::Reverse(std::fs::metadata(p).and_then(|m| m.modified()).ok()));
    if let Some(p) = by_name.iter().find(|p| readable(p)) {
        return Located::Found(p.clone());
    }
    for p in by_name {
        if !listed.contains(&p) {
            listed.push(p);
        }
    }
    if listed.is_empty() {
        Located::Missing
    } else {
        Located::Unsupported(listed)
    }
}

/// The host paths an `href` may have been cached at.
fn href_paths(cache: &CacheDir, href: &str) -> Vec<PathBuf> {
    let href = href.trim_start_matches('/');
    if href.is_empty() || href.split('/').any(|c| c == "..") {
        return Vec::new();
    }
    let base = href.rsplit('/').next().unwrap_or(href);
    let dir = &cache.host;
    match cache.layout {
        Layout::Dnf => vec![dir.join(href), dir.join("repodata").join(base)],
        Layout::Yum => vec![dir.join(base), dir.join(href)],
    }
}

/// Whether a metadata file is in a form [`open`] reads (XML, plain or
/// gzip, zstd or xz compressed).
fn readable(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    [".xml", ".xml.gz", ".xml.zst", ".xml.xz"]
        .iter()
        .any(|s| name.ends_with(s))
}

/// Open a metadata file through the decompressor its name asks for.
pub fn open(path: &Path) -> std::io::Result<Box<dyn BufRead>> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let shown = path.display().to_string();
    let file = BoundedReader::new(open_regular_path(path)?, MAX_TABLE_BYTES, shown.clone());
    let file = BufReader::with_capacity(1 << 16, file);
    let inner: Box<dyn Read> = if name.ends_with(".gz") {
        Box::new(flate2::bufread::MultiGzDecoder::new(file))
    } else if name.ends_with(".zst") {
        Box::new(
            ruzstd::decoding::StreamingDecoder::new(file)
                .map_err(|e| std::io::Error::other(format!("not a zstd file: {e}")))?,
        )
    } else if name.ends_with(".xz") {
        Box::new(lzma_rust2::XzReader::new(file, true))
    } else if name.ends_with(".xml") {
        return Ok(Box::new(file));
    } else {
        return Err(std::io::Error::other(unsupported_form(name)));
    };
    // Streamed, so only a bound against a decompression bomb: the largest
    // real metadata (Fedora's primary.xml) decompresses to well under this.
    let inner = BoundedReader::new(
        inner,
        MAX_DECOMPRESSED_BYTES,
        format!("{shown} (decompressed)"),
    );
    Ok(Box::new(BufReader::with_capacity(1 << 16, inner)))
}

/// The most a compressed metadata file may decompress to.
pub const MAX_DECOMPRESSED_BYTES: u64 = 8 * MAX_TABLE_BYTES;

/// Why a metadata file's form cannot be read.
pub fn unsupported_form(name: &str) -> String {
    if name.contains(".sqlite") {
        "only the SQLite form of this metadata is cached (yum's primary_db), which is not read here; \
         the XML form is needed (set mddownloadpolicy=xml for yum, or use dnf)"
            .to_string()
    } else if name.ends_with(".bz2") {
        "bzip2-compressed metadata is not supported".to_string()
    } else if name.ends_with(".zck") {
        "zchunk-compressed metadata is not supported (set zchunk=False in dnf.conf and run `dnf makecache`)"
            .to_string()
    } else {
        "unknown metadata file form".to_string()
    }
}

/// One package of `primary.xml` whose name is wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryPackage {
    /// Index of the name in the wanted map.
    pub name: u32,
    /// `<arch>`.
    pub arch: String,
    /// `epoch` (`0` when absent).
    pub epoch: String,
    /// `ver`.
    pub version: String,
    /// `rel`.
    pub release: String,
}

impl PrimaryPackage {
    /// `[epoch:]version-release`, the epoch left out when it is 0.
    pub fn evr(&self) -> String {
        format_evr(&self.epoch, &self.version, &self.release)
    }
}

/// `[epoch:]version[-release]`, the epoch left out when it is 0 or empty.
pub fn format_evr(epoch: &str, version: &str, release: &str) -> String {
    let mut s = String::with_capacity(epoch.len() + version.len() + release.len() + 2);
    if !epoch.trim_start_matches('0').is_empty() {
        s.push_str(epoch);
        s.push(':');
    }
    s.push_str(version);
    if !release.is_empty() {
        s.push('-');
        s.push_str(release);
    }
    s
}

/// Read the `type="rpm"` packages of wanted names from a `primary.xml`
/// stream (source packages, arch `src` and `nosrc`, are left out).
pub fn read_primary(
    input: impl BufRead,
    wanted: &HashMap<String, u32>,
) -> Result<Vec<PrimaryPackage>, String> {
    let mut xml = Reader::from_reader(input);
    let (mut buf, mut skip) = (Vec::new(), Vec::new());
    let mut doc = Doc::new("metadata");
    let mut out = Vec::new();
    // The package being read, and its element's qualified name.
    let mut pkg: Option<Pkg> = None;
    let mut pkg_tag = String::from("package");
    let mut field: Option<Field> = None;
    let mut text = String::new();
    loop {
        let event = xml
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(&xml, e))?;
        doc.track(&event)?;
        // An element to skip to its end (its start was just read).
        let mut skip_to: Option<String> = None;
        match &event {
            // <package> sits at depth 2 (the root is 1), its fields at 3.
            Event::Start(e) if doc.depth == 2 && local(e) == "package" => {
                pkg_tag = e.name().into_inner().to_string();
                if attr(e, "type")?.is_some_and(|t| t != "rpm") {
                    skip_to = Some(pkg_tag.clone());
                } else {
                    pkg = Some(Pkg::default());
                }
            }
            Event::Start(e) if doc.depth == 3 && pkg.is_some() => match local(e) {
                "name" => field = Some(Field::Name),
                "arch" => field = Some(Field::Arch),
                "version" => read_version(e, &mut pkg)?,
                "format" | "description" | "summary" | "changelog" => {
                    skip_to = Some(e.name().into_inner().to_string())
                }
                _ => {}
            },
            Event::Empty(e) if doc.depth == 2 && pkg.is_some() && local(e) == "version" => {
                read_version(e, &mut pkg)?
            }
            Event::Text(t) if field.is_some() => text.push_str(t),
            Event::GeneralRef(r) if field.is_some() => push_entity(&mut text, r)?,
            Event::End(_) if doc.depth == 2 && field.is_some() => {
                let value = std::mem::take(&mut text);
                if let (Some(p), Some(f)) = (pkg.as_mut(), field.take()) {
                    match f {
                        Field::Name => match wanted.get(value.trim()) {
                            Some(&id) => p.name = Some(id),
                            // Not installed: skip the rest of the package.
                            None => skip_to = Some(pkg_tag.clone()),
                        },
                        Field::Arch => p.arch = value.trim().to_string(),
                    }
                }
            }
            Event::End(_) if doc.depth == 1 => {
                if let Some(Pkg {
                    name: Some(name),
                    arch,
                    evr: [epoch, version, release],
                }) = pkg.take()
                    && arch != "src"
                    && arch != "nosrc"
                    && !version.is_empty()
                {
                    out.push(PrimaryPackage {
                        name,
                        arch,
                        epoch,
                        version,
                        release,
                    });
                }
            }
            Event::Eof => break,
            _ => {}
        }
        if let Some(tag) = skip_to {
            if tag == pkg_tag {
                pkg = None;
                field = None;
                text.clear();
            }
            xml.read_to_end_into(QName(&tag), &mut skip)
                .map_err(|e| xml_error(&xml, e))?;
            doc.depth -= 1;
            skip.clear();
        }
        buf.clear();
    }
    doc.finish()?;
    Ok(out)
}

/// A package of `primary.xml` being read.
#[derive(Debug, Default)]
struct Pkg {
    name: Option<u32>,
    arch: String,
    evr: [String; 3],
}

#[derive(Debug, Clone, Copy)]
enum Field {
    Name,
    Arch,
}

/// Read `<version epoch= ver= rel=>` into the current package.
fn read_version(e: &BytesStart<'_>, pkg: &mut Option<Pkg>) -> Result<(), String> {
    if let Some(p) = pkg.as_mut() {
        p.evr = [
            attr(e, "epoch")?.unwrap_or_else(|| "0".to_string()),
            attr(e, "ver")?.unwrap_or_default(),
            attr(e, "rel")?.unwrap_or_default(),
        ];
    }
    Ok(())
}

/// Depth and root tracking for a streamed document: the root element must
/// be `root` and must be closed before the end of the input.
pub(crate) struct Doc {
    root: &'static str,
    /// Open elements.
    pub depth: usize,
    seen_root: bool,
    closed: bool,
}

impl Doc {
    pub(crate) fn new(root: &'static str) -> Doc {
        Doc {
            root,
            depth: 0,
            seen_root: false,
            closed: false,
        }
    }

    /// Account for an event; an error when the root is not the expected one.
    pub(crate) fn track(&mut self, event: &Event<'_>) -> Result<(), String> {
        match event {
            Event::Start(e) | Event::Empty(e) => {
                if self.depth == 0 {
                    if self.seen_root {
                        return Err("content after the root element".to_string());
                    }
                    let name = e.name().into_inner();
                    if local(e) != self.root {
                        return Err(format!("the root element is <{name}>, not <{}>", self.root));
                    }
                    self.seen_root = true;
                    self.closed = matches!(event, Event::Empty(_));
                }
                if matches!(event, Event::Start(_)) {
                    self.depth += 1;
                }
            }
            Event::End(_) => {
                self.depth = self.depth.saturating_sub(1);
                if self.depth == 0 {
                    self.closed = true;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// At the end of the input: the root must have been closed.
    pub(crate) fn finish(&self) -> Result<(), String> {
        if !self.seen_root {
            return Err(format!(
                "no <{}> element: not the expected XML file",
                self.root
            ));
        }
        if !self.closed {
            return Err(format!(
                "the document ends inside <{}> (truncated)",
                self.root
            ));
        }
        Ok(())
    }
}

/// An element's local name.
pub(crate) fn local<'a>(e: &'a BytesStart<'_>) -> &'a str {
    e.local_name().into_inner()
}

/// An attribute's value, entities resolved.
pub(crate) fn attr(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, String> {
    match e.try_get_attribute(name) {
        Ok(Some(a)) => a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map(|v| Some(v.into_owned()))
            .map_err(|err| format!("attribute {name}: {err}")),
        Ok(None) => Ok(None),
        Err(err) => Err(format!("bad attribute: {err}")),
    }
}

/// Append a character or predefined entity reference (`&amp;`, `&#38;`).
pub(crate) fn push_entity(
    text: &mut String,
    r: &quick_xml::events::BytesRef<'_>,
) -> Result<(), String> {
    if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
        text.push(c);
    } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(r) {
        text.push_str(s);
    } else {
        return Err(format!("unknown entity &{};", &**r));
    }
    Ok(())
}

/// An XML error with the byte position where it happened.
pub(crate) fn xml_error<R>(xml: &Reader<R>, e: quick_xml::Error) -> String {
    match e {
        quick_xml::Error::Io(io) => format!("cannot read: {io}"),
        e => format!("bad XML at byte {}: {e}", xml.error_position()),
    }
}
