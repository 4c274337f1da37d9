//! Debian version ordering proved against dpkg itself.
//!
//! `dpkg --compare-versions` is the oracle. Each pair is put to it with the one
//! relation our [`compare`] predicts (`lt`, `eq` or `gt`): exit status 0 proves
//! agreement, 1 a disagreement (then dpkg is asked again for its own answer), 2
//! that dpkg refuses one of the versions (bad syntax: nothing to agree with).
//!
//! The pairs: the `Version:` values of this machine's apt lists and dpkg status
//! (versions of one package side by side, neighbours in sorted order and
//! fixed-seed random pairs), every pair of a table of edge cases, and versions
//! generated from the syntax of Debian Policy §5.6.12, plus looser strings with
//! characters Policy forbids but dpkg still orders (with a warning).
//!
//! The machine must have dpkg: these tests fail without it.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use selfcheck_pkgdb::debian::version::{DebVersion, compare};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::time::Instant;

// ---------------------------------------------------------------------------
// dpkg as the oracle

/// Fail clearly when dpkg cannot be run.
fn require_dpkg() {
    let ok = Command::new("dpkg")
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "dpkg is not installed (or does not run): these tests check the Debian version \
         ordering against `dpkg --compare-versions` and need a Debian-family machine"
    );
}

fn relation(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "lt",
        Ordering::Equal => "eq",
        Ordering::Greater => "gt",
    }
}

/// `dpkg --compare-versions -- A REL B`: whether it holds, or `None` when dpkg
/// refuses a version. `--` lets versions start with `-`.
fn dpkg_holds(a: &str, rel: &str, b: &str) -> Option<bool> {
    let status = Command::new("dpkg")
        .args(["--compare-versions", "--", a, rel, b])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("running dpkg --compare-versions");
    match status.code() {
        Some(0) => Some(true),
        Some(1) => Some(false),
        _ => None,
    }
}

/// dpkg's own answer, two questions at most.
fn dpkg_ordering(a: &str, b: &str) -> Option<Ordering> {
    if dpkg_holds(a, "lt", b)? {
        Some(Ordering::Less)
    } else if dpkg_holds(a, "eq", b)? {
        Some(Ordering::Equal)
    } else {
        Some(Ordering::Greater)
    }
}

#[derive(Default)]
struct Outcome {
    agreed: usize,
    rejected: Vec<(String, String)>,
    disagreements: Vec<String>,
}

impl Outcome {
    fn merge(&mut self, other: Outcome) {
        self.agreed += other.agreed;
        self.rejected.extend(other.rejected);
        self.disagreements.extend(other.disagreements);
    }

    fn assert_agreement(&self, what: &str) {
        assert!(
            self.disagreements.is_empty(),
            "{what}: {} pair(s) where compare() and dpkg disagree:\n{}",
            self.disagreements.len(),
            self.disagreements.join("\n")
        );
    }
}

/// One pair against dpkg, with one dpkg run when we agree.
fn check_pair(a: &str, b: &str, out: &mut Outcome) {
    let ours = compare(a, b);
    // Cheap internal checks first: the reverse and the newtype.
    let mut problems = Vec::new();
    if compare(b, a) != ours.reverse() {
        problems.push(format!("compare({b:?}, {a:?}) is not the reverse"));
    }
    if DebVersion(a.to_owned()).cmp(&DebVersion(b.to_owned())) != ours {
        problems.push("DebVersion::cmp differs from compare".to_owned());
    }
    match dpkg_holds(a, relation(ours), b) {
        Some(true) if problems.is_empty() => out.agreed += 1,
        Some(true) => out
            .disagreements
            .push(format!("{a:?} vs {b:?}: {}", problems.join("; "))),
        Some(false) => {
            let dpkg = dpkg_ordering(a, b);
            out.disagreements.push(format!(
                "{a:?} vs {b:?}: ours {ours:?}, dpkg {dpkg:?} {}",
                problems.join("; ")
            ));
        }
        None => out.rejected.push((a.to_owned(), b.to_owned())),
    }
}

/// Every pair against dpkg, over 2 to 4 threads.
fn check_all(pairs: &[(String, String)]) -> Outcome {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 4);
    let next = AtomicUsize::new(0);
    let mut total = Outcome::default();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Outcome::default();
                    while let Some((a, b)) = pairs.get(next.fetch_add(1, AtomicOrdering::Relaxed)) {
                        check_pair(a, b, &mut out);
                    }
                    out
                })
            })
            .collect();
        for w in workers {
            total.merge(w.join().expect("oracle thread panicked"));
        }
    });
    total
}

// ---------------------------------------------------------------------------
// The machine's own versions

/// The text of an apt list or status file, decompressed by its suffix; `None`
/// for compressions not handled here.
fn read_index(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let file = File::open(path).ok()?;
    let mut bytes = Vec::new();
    let read = if name.ends_with(".lz4") {
        lz4_flex::frame::FrameDecoder::new(file).read_to_end(&mut bytes)
    } else if name.ends_with(".gz") {
        flate2::read::MultiGzDecoder::new(file).read_to_end(&mut bytes)
    } else if name.ends_with("_Packages") || name == "status" {
        let mut file = file;
        file.read_to_end(&mut bytes)
    } else {
        return None;
    };
    read.ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Package name → its distinct versions, from a deb822 index.
fn collect_versions(text: &str, into: &mut BTreeMap<String, BTreeSet<String>>) {
    let mut package = String::new();
    for line in text.lines() {
        if line.is_empty() {
            package.clear();
        } else if let Some(p) = line.strip_prefix("Package:") {
            p.trim().clone_into(&mut package);
        } else if let Some(v) = line.strip_prefix("Version:") {
            into.entry(package.clone())
                .or_default()
                .insert(v.trim().to_owned());
        }
    }
}

/// Every package's versions in `/var/lib/apt/lists/*_Packages*` and
/// `/var/lib/dpkg/status`, with the files read.
fn machine_versions() -> (BTreeMap<String, BTreeSet<String>>, Vec<String>) {
    let mut by_package = BTreeMap::new();
    let mut files = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir("/var/lib/apt/lists")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains("_Packages"))
        })
        .collect();
    paths.sort();
    paths.push("/var/lib/dpkg/status".into());
    for path in paths {
        if let Some(text) = read_index(&path) {
            collect_versions(&text, &mut by_package);
            files.push(path.display().to_string());
        }
    }
    (by_package, files)
}

/// A fixed-seed SplitMix64: the same pairs on every run of one machine.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Distinct unordered pairs, in the order they were first offered.
#[derive(Default)]
struct PairSet {
    seen: HashSet<(String, String)>,
    pairs: Vec<(String, String)>,
}

impl PairSet {
    fn offer(&mut self, a: &str, b: &str) {
        if a == b {
            return;
        }
        let key = if a < b { (a, b) } else { (b, a) };
        if self.seen.insert((key.0.to_owned(), key.1.to_owned())) {
            // Alternate which side is first, so both directions are asked.
            let pair = if self.pairs.len().is_multiple_of(2) {
                (a, b)
            } else {
                (b, a)
            };
            self.pairs.push((pair.0.to_owned(), pair.1.to_owned()));
        }
    }

    fn len(&self) -> usize {
        self.pairs.len()
    }
}

const SAME_PACKAGE_PAIRS: usize = 4_000;
const NEIGHBOUR_PAIRS: usize = 4_000;
const REAL_PAIRS: usize = 12_000;

/// Counts of the pairs by source, for the report.
struct PairSources {
    distinct_versions: usize,
    same_package: usize,
    neighbours: usize,
    random: usize,
    derived_pool: usize,
}

/// Deterministic pairs of real versions: two versions of one package (first
/// those next to each other, then those 2, 3, … apart, round-robin over the
/// packages, so each package with several versions is represented), neighbours in the sorted list of all versions (near-equal
/// strings), then fixed-seed random pairs up to [`REAL_PAIRS`].
fn real_pairs(
    by_package: &BTreeMap<String, BTreeSet<String>>,
) -> (Vec<(String, String)>, PairSources) {
    let mut set = PairSet::default();

    let lists: Vec<Vec<&str>> = by_package
        .values()
        .filter(|v| v.len() > 1)
        .map(|v| v.iter().map(String::as_str).collect())
        .collect();
    let longest = lists.iter().map(Vec::len).max().unwrap_or(0);
    'pairs: for distance in 1..longest {
        for round in 0..longest - distance {
            for list in &lists {
                if let (Some(a), Some(b)) = (list.get(round), list.get(round + distance)) {
                    set.offer(a, b);
                    if set.len() >= SAME_PACKAGE_PAIRS {
                        break 'pairs;
                    }
                }
            }
        }
    }
    let same_package = set.len();

    let mut all: Vec<String> = by_package.values().flatten().cloned().collect();
    all.sort();
    all.dedup();
    let distinct_versions = all.len();
    let stride = (all.len() / NEIGHBOUR_PAIRS).max(1);
    for i in (0..all.len().saturating_sub(1)).step_by(stride) {
        set.offer(&all[i], &all[i + 1]);
        if set.len() >= same_package + NEIGHBOUR_PAIRS {
            break;
        }
    }
    let neighbours = set.len() - same_package;

    // Random pairs. A machine with few versions (no apt lists) also gets
    // versions derived from its real ones, so there are still enough pairs.
    let mut pool = all.clone();
    let mut derived_pool = 0;
    if pool.len() < 500 {
        for v in &all {
            for d in [
                format!("{v}~"),
                format!("{v}+b1"),
                format!("{v}.1"),
                format!("{v}~rc1"),
            ] {
                pool.push(d);
                derived_pool += 1;
            }
        }
    }
    let mut rng = SplitMix64(0x5e1f_c4ec_deb1_a2ed);
    let mut attempts = 0;
    while set.len() < REAL_PAIRS && pool.len() > 1 && attempts < REAL_PAIRS * 50 {
        attempts += 1;
        let a = rng.below(pool.len());
        let b = rng.below(pool.len());
        set.offer(&pool[a], &pool[b]);
    }
    let random = set.len() - same_package - neighbours;
    let sources = PairSources {
        distinct_versions,
        same_package,
        neighbours,
        random,
        derived_pool,
    };
    (set.pairs, sources)
}

#[test]
fn real_versions_agree_with_dpkg() {
    require_dpkg();
    let started = Instant::now();
    let (by_package, files) = machine_versions();
    let (pairs, sources) = real_pairs(&by_package);
    assert!(
        pairs.len() >= 10_000,
        "only {} pairs from {files:?}: run `apt-get update` for apt lists",
        pairs.len()
    );
    let outcome = check_all(&pairs);
    eprintln!(
        "real versions: {} distinct from {} file(s) {files:?}; {} pairs \
         ({} same-package, {} sorted neighbours, {} random{}); \
         {} agreed with dpkg, {} disagreed, {} refused by dpkg; {:.1?}",
        sources.distinct_versions,
        files.len(),
        pairs.len(),
        sources.same_package,
        sources.neighbours,
        sources.random,
        if sources.derived_pool > 0 {
            format!(
                ", from a pool with {} derived versions",
                sources.derived_pool
            )
        } else {
            String::new()
        },
        outcome.agreed,
        outcome.disagreements.len(),
        outcome.rejected.len(),
        started.elapsed()
    );
    outcome.assert_agreement("real versions");
    assert!(
        outcome.rejected.is_empty(),
        "dpkg refused real versions: {:?}",
        outcome.rejected
    );
}

// ---------------------------------------------------------------------------
// Edge cases

/// Versions dpkg orders: every pair of them is checked, each against itself too.
const EDGE: &[&str] = &[
    // Epochs: missing, zero, leading zeros, large, colons in the upstream part.
    "1.0",
    "0:1.0",
    "1:1.0",
    "01:1.0",
    "00001:1.0",
    "0000000000000000000000000001:1.0",
    "1:0.1",
    "2:0.1",
    "9:1.0",
    "10:1.0",
    "2147483647:1.0",
    "2147483646:9",
    "1:1.0-1",
    "1:2:3",
    "1:2:3-4",
    "1:2:3:4",
    "+1:1.0",
    // Tilde everywhere.
    "~",
    "~~",
    "~1",
    "~~1",
    "1~",
    "1~~",
    "1.0~",
    "1.0~~",
    "1.0~~a",
    "1.0~a",
    "1.0~rc1",
    "1.0~rc1-1",
    "1.0~rc1~1",
    "1.0~rc2",
    "1.0~beta1",
    "1.0~~rc1",
    "1.0-1~",
    "1.0-~",
    "1.0-~~",
    "1.0-1~bpo11+1",
    "1.0-1~deb12u1",
    // Plus, binNMUs, repacks.
    "1.0+",
    "1.0+b1",
    "1.0-1+b1",
    "1.0-1+b2",
    "1.0-1+b10",
    "1.0+dfsg-1",
    "1.0+dfsg1-1",
    "1.0+really0.9-1",
    "1.0-1+deb12u1",
    "1.0-1+deb12u10",
    "1.0-1+deb12u1+b1",
    // Dots.
    "1.0.",
    "1.0.0",
    "1..0",
    "1.",
    "1.00",
    "1.0.0.0.0",
    // Letters against non-letters.
    "1.0a",
    "1.0A",
    "1.0z",
    "1.0Z",
    "1.0aa",
    "1.0a1",
    "1.0a.",
    "1.0+a",
    "1a",
    "1A",
    "a",
    "A",
    "z",
    "Z",
    "+",
    ".",
    "1:1.0:",
    "1:1.0:1",
    // Digit runs longer than u64.
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999",
    "000000000000000000000000001",
    "1.18446744073709551617",
    "1.18446744073709551616a",
    "1.000000000000000000000000000000000000000001",
    // Revisions: empty against -0, leading zeros, hyphens in the upstream part.
    "1.0-0",
    "1.0-00",
    "1.0-0.0",
    "1.0-1",
    "1.0-01",
    "1.0-10",
    "1.0-1.1",
    "1.0-a",
    "1.0-1-1",
    "1.0-1-2",
    "1-2-3",
    "1.0--1",
    // Ubuntu and backports.
    "2.0-1ubuntu1",
    "2.0-1ubuntu1~22.04.1",
    "2.0-1ubuntu1~20.04",
    "2.0-1ubuntu0.22.04.1",
    "2.0-1ubuntu0.1~22.04",
    "2.0-1build1",
    "2.0-1",
    "1:2.0-1ubuntu1~22.04.1",
    "2.0-1~bpo12+1",
    // No version (`dpkg --compare-versions` takes both for "none"), zeros.
    "",
    "<unknown>",
    "0",
    "00",
    "0.0",
    "0-0",
    // Outside Policy but still ordered by dpkg (with a warning): blanks around,
    // other white space, other punctuation and control characters, non-ASCII.
    " 1.0",
    "1.0 ",
    "\t1.0\t",
    "1.0\n",
    "\n1.0",
    "\n1:1.0",
    "1.0\r",
    "1.0\u{b}",
    "1.0\u{c}",
    "1.0_1",
    "1.0!",
    "1.0\u{1}",
    "1.0\u{7f}",
    "1.0é",
    "1.0ü",
    "1.0€",
    "1.0-é",
    "1.0\u{10348}",
];

/// Versions dpkg refuses outright (exit status 2): only pairs with one of these
/// may go unanswered.
const INVALID: &[&str] = &[
    ":1.0",
    "a:1.0",
    "1.0:",
    "1:",
    "1.0-",
    "-1",
    "1:-1",
    "-1:1.0",
    "2147483648:1.0",
    "99999999999999999999:1.0",
    "1 0",
    "1.0 -1",
];

#[test]
fn edge_cases_agree_with_dpkg() {
    require_dpkg();
    let started = Instant::now();
    let mut pairs = Vec::new();
    for (i, a) in EDGE.iter().enumerate() {
        pairs.push((a.to_string(), a.to_string()));
        for (j, b) in EDGE.iter().enumerate().skip(i + 1) {
            let (a, b) = if (i + j).is_multiple_of(2) {
                (a, b)
            } else {
                (b, a)
            };
            pairs.push((a.to_string(), b.to_string()));
        }
    }
    for bad in INVALID {
        for good in ["1.0", "0", "1:1.0"] {
            pairs.push((bad.to_string(), good.to_string()));
        }
    }
    let outcome = check_all(&pairs);
    eprintln!(
        "edge cases: {} pairs from {} versions (+{} invalid); {} agreed, {} disagreed, \
         {} refused by dpkg; {:.1?}",
        pairs.len(),
        EDGE.len(),
        INVALID.len(),
        outcome.agreed,
        outcome.disagreements.len(),
        outcome.rejected.len(),
        started.elapsed()
    );
    outcome.assert_agreement("edge cases");
    let unexpected: Vec<_> = outcome
        .rejected
        .iter()
        .filter(|(a, b)| !INVALID.contains(&a.as_str()) && !INVALID.contains(&b.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "dpkg refused pairs of versions the table says it orders: {unexpected:?}"
    );
    assert_eq!(
        outcome.rejected.len(),
        INVALID.len() * 3,
        "dpkg accepted a version the table says it refuses"
    );
}

// ---------------------------------------------------------------------------
// Generated versions

/// A digit run: short, with leading zeros, or longer than u64.
fn digit_run() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[0-9]{1,3}",
        2 => "0{1,3}[0-9]{0,2}",
        1 => "[1-9][0-9]{19,24}",
    ]
}

/// One piece of an upstream version or revision.
fn piece(separators: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => digit_run(),
        2 => "[a-zA-Z]{1,3}",
        3 => prop::sample::select(separators).prop_map(str::to_owned),
    ]
}

const UPSTREAM_SEPARATORS: &[&str] = &[".", "+", "~", "~~", "."];
const UPSTREAM_WITH_HYPHEN: &[&str] = &[".", "+", "~", "~~", "-"];
const UPSTREAM_WITH_COLON: &[&str] = &[".", "+", "~", "~~", ":"];
const UPSTREAM_WITH_BOTH: &[&str] = &[".", "+", "~", "-", ":"];
const REVISION_SEPARATORS: &[&str] = &[".", "+", "~", "~~", "+b"];

/// `[epoch:]upstream[-revision]` per Debian Policy §5.6.12: the upstream part
/// starts with a digit and holds `[0-9A-Za-z.+~]`, plus `-` only when there is
/// a revision and `:` only when there is an epoch; the revision holds
/// `[0-9A-Za-z.+~]`.
fn version() -> impl Strategy<Value = String> {
    let epoch = prop_oneof![
        4 => Just(None),
        3 => (0u32..4).prop_map(|e| Some(e.to_string())),
        1 => "0{1,3}[0-9]".prop_map(Some),
        1 => (0u32..=2_147_483_647).prop_map(|e| Some(e.to_string())),
    ];
    let revision = prop_oneof![
        2 => Just(None),
        3 => (piece(REVISION_SEPARATORS), prop::collection::vec(piece(REVISION_SEPARATORS), 0..4))
            .prop_map(|(first, rest)| Some(first + &rest.concat())),
    ];
    (epoch, revision).prop_flat_map(|(epoch, revision)| {
        let separators = match (epoch.is_some(), revision.is_some()) {
            (false, false) => UPSTREAM_SEPARATORS,
            (false, true) => UPSTREAM_WITH_HYPHEN,
            (true, false) => UPSTREAM_WITH_COLON,
            (true, true) => UPSTREAM_WITH_BOTH,
        };
        (digit_run(), prop::collection::vec(piece(separators), 0..7)).prop_map(
            move |(first, rest)| {
                let mut v = String::new();
                if let Some(e) = &epoch {
                    v.push_str(e);
                    v.push(':');
                }
                v.push_str(&first);
                v.push_str(&rest.concat());
                if let Some(r) = &revision {
                    v.push('-');
                    v.push_str(r);
                }
                v
            },
        )
    })
}

/// Short versions from a few pieces, so that equal and nearly equal versions
/// (and so interesting triples) come up often.
fn small_version() -> impl Strategy<Value = String> {
    let bit = prop::sample::select(&["0", "00", "1", "01", "2", "a", "b", "~", ".", "+"][..]);
    (
        prop::sample::select(&["", "", "0:", "1:", "01:"][..]),
        prop::sample::select(&["0", "1", "01", "2"][..]),
        prop::collection::vec(bit.clone(), 0..4),
        prop::option::of(prop::collection::vec(bit, 1..3)),
    )
        .prop_map(|(epoch, first, rest, revision)| {
            let mut v = format!("{epoch}{first}{}", rest.concat());
            if let Some(r) = revision {
                v.push('-');
                v.push_str(&r.concat());
            }
            v
        })
}

/// Either kind.
fn any_version() -> impl Strategy<Value = String> {
    prop_oneof![version(), small_version()]
}

/// An equal spelling dpkg would not tell apart: leading zeros on digit runs, an
/// explicit zero epoch, `-0` for no revision, a `0` after a trailing non-digit.
fn respell(v: &str, zeros: &[bool]) -> String {
    let mut out = String::new();
    let mut k = 0;
    let mut prev_digit = false;
    for c in v.chars() {
        if c.is_ascii_digit() && !prev_digit {
            if zeros.get(k).copied().unwrap_or(false) {
                out.push('0');
            }
            k += 1;
        }
        prev_digit = c.is_ascii_digit();
        out.push(c);
    }
    if zeros.get(2).copied().unwrap_or(false) && !out.ends_with(|c: char| c.is_ascii_digit()) {
        out.push('0');
    }
    if !out.contains('-') && zeros.get(1).copied().unwrap_or(false) {
        out.push_str("-0");
    }
    if !out.contains(':') && zeros.first().copied().unwrap_or(false) {
        out.insert_str(0, "0:");
    }
    out
}

fn hash_of(v: &DebVersion) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

proptest! {
    #![proptest_config(Config { cases: 2_000, failure_persistence: None, ..Config::default() })]

    #[test]
    fn reflexive(a in any_version()) {
        prop_assert_eq!(compare(&a, &a), Ordering::Equal);
    }

    #[test]
    fn antisymmetric(a in any_version(), b in any_version()) {
        prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
    }

    #[test]
    fn transitive(a in small_version(), b in small_version(), c in small_version()) {
        let t = [&a, &b, &c];
        for &(x, y, z) in &[(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)] {
            let (x, y, z) = (t[x], t[y], t[z]);
            let (xy, yz, xz) = (compare(x, y), compare(y, z), compare(x, z));
            if xy != Ordering::Greater && yz != Ordering::Greater {
                prop_assert_ne!(xz, Ordering::Greater, "{:?} <= {:?} <= {:?}", x, y, z);
                if xy == Ordering::Less || yz == Ordering::Less {
                    prop_assert_eq!(xz, Ordering::Less, "{:?} <= {:?} <= {:?}", x, y, z);
                }
            }
        }
    }

    #[test]
    fn transitive_on_policy_versions(a in version(), b in version(), c in version()) {
        let mut v = [a, b, c];
        v.sort_by(|x, y| compare(x, y));
        prop_assert_ne!(compare(&v[0], &v[2]), Ordering::Greater);
        prop_assert_ne!(compare(&v[0], &v[1]), Ordering::Greater);
        prop_assert_ne!(compare(&v[1], &v[2]), Ordering::Greater);
    }

    #[test]
    fn deb_version_orders_like_compare(a in any_version(), b in any_version()) {
        let (x, y) = (DebVersion(a.clone()), DebVersion(b.clone()));
        let want = compare(&a, &b);
        prop_assert_eq!(x.cmp(&y), want);
        prop_assert_eq!(x.partial_cmp(&y), Some(want));
        prop_assert_eq!(x == y, want == Ordering::Equal);
        prop_assert_eq!(&x.clone().max(y.clone()), if want == Ordering::Greater { &x } else { &y });
        if x == y {
            prop_assert_eq!(hash_of(&x), hash_of(&y));
        }
    }

    #[test]
    fn respelling_is_equal(a in any_version(), zeros in prop::collection::vec(any::<bool>(), 0..8)) {
        let b = respell(&a, &zeros);
        prop_assert_eq!(compare(&a, &b), Ordering::Equal, "{:?} vs {:?}", a, b);
        let (x, y) = (DebVersion(a), DebVersion(b));
        prop_assert_eq!(&x, &y);
        prop_assert_eq!(hash_of(&x), hash_of(&y));
    }
}

/// `n` values of `strategy` from a fixed seed.
fn sample<S: Strategy>(strategy: &S, n: usize, seed: u8) -> Vec<S::Value> {
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]);
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, rng);
    (0..n)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .expect("generating a version")
                .current()
        })
        .collect()
}

/// Generated versions against dpkg: 200 pairs, and lists sorted with
/// `DebVersion`, whose neighbours dpkg must find in order (or equal).
#[test]
fn generated_versions_agree_with_dpkg() {
    require_dpkg();
    let started = Instant::now();
    let mut pairs: Vec<(String, String)> = sample(&(version(), version()), 100, 1);
    pairs.extend(sample(&(small_version(), small_version()), 100, 2));

    let mut sorted_neighbours = 0;
    for (i, mut list) in sample(&prop::collection::vec(any_version(), 40), 5, 3)
        .into_iter()
        .enumerate()
    {
        let mut by_compare = list.clone();
        by_compare.sort_by(|a, b| compare(a, b));
        let mut as_deb: Vec<DebVersion> = list.drain(..).map(DebVersion).collect();
        as_deb.sort();
        let as_deb: Vec<String> = as_deb.into_iter().map(|v| v.0).collect();
        assert_eq!(as_deb, by_compare, "list {i}: DebVersion sorts differently");
        for w in by_compare.windows(2) {
            pairs.push((w[0].clone(), w[1].clone()));
            sorted_neighbours += 1;
        }
    }
    let outcome = check_all(&pairs);
    eprintln!(
        "generated: {} pairs ({} of them neighbours in 5 sorted lists); {} agreed, \
         {} disagreed, {} refused; {:.1?}",
        pairs.len(),
        sorted_neighbours,
        outcome.agreed,
        outcome.disagreements.len(),
        outcome.rejected.len(),
        started.elapsed()
    );
    outcome.assert_agreement("generated versions");
    assert!(
        outcome.rejected.is_empty(),
        "dpkg refused Policy-shaped versions: {:?}",
        outcome.rejected
    );
}

/// Strings Policy forbids but dpkg still orders: blanks around, other white
/// space, punctuation, control and non-ASCII characters. Pairs share a prefix
/// so that they differ late. Pairs dpkg refuses are skipped.
#[test]
fn loose_strings_agree_with_dpkg() {
    require_dpkg();
    let started = Instant::now();
    let tail = "[0-9a-zA-Z.+~:_!<>\\-\\n\\r\u{b}\u{7f}\u{1}éü€\u{10348}]{0,4}";
    let strategy = (
        "[ \\t]{0,1}",
        "[0-9]{0,2}[0-9a-z.+~:\\-é]{0,4}",
        tail,
        tail,
        "[ \\t]{0,1}",
    );
    let pairs: Vec<(String, String)> = sample(&strategy, 400, 4)
        .into_iter()
        .map(|(lead, prefix, a, b, trail)| {
            (format!("{lead}{prefix}{a}{trail}"), format!("{prefix}{b}"))
        })
        .collect();
    let outcome = check_all(&pairs);
    eprintln!(
        "loose strings: {} pairs; {} agreed, {} disagreed, {} refused by dpkg (skipped); {:.1?}",
        pairs.len(),
        outcome.agreed,
        outcome.disagreements.len(),
        outcome.rejected.len(),
        started.elapsed()
    );
    outcome.assert_agreement("loose strings");
    assert!(
        outcome.agreed >= pairs.len() / 4,
        "dpkg refused too many of the loose strings to prove anything"
    );
}
