//! RPM version ordering proved against rpm itself.
//!
//! The oracle is rpm's library through its Python bindings (Debian's
//! `python3-rpm`, rpm 4.18): `rpm.labelCompare((e, v, r), (e, v, r))`, which is
//! `rpmverCmp` on the three parts (a missing epoch is `0`, a missing release
//! sorts before any release), and `rpm.ver(evr)`, whose comparison operators
//! are the same `rpmverCmp` on rpm's own split of an `[epoch:]version[-release]`
//! string. `labelCompare((None, a, None), (None, b, None))` is `rpmvercmp(a, b)`.
//!
//! One Python process serves every test: it reads queries from its stdin, a
//! line each, and writes an answer a line each, flushing at the end of a batch.
//!
//! The pairs: all of rpm's published test vectors (`tests/rpmvercmp.at`, the
//! disabled "oddities" too), every pair of a table of edge cases, over 5,000
//! fixed-seed generated pairs (both orders; each also compared on versions and
//! releases alone), generated sorted lists, and loose strings with `:` and `-`
//! anywhere (rpm's EVR parser against [`split_evr`]). Property tests check that
//! [`compare_evr`] is an order.
//!
//! The machine must have `/usr/bin/python3` with the `rpm` module (CI installs
//! `python3-rpm`): these tests fail without it.

use proptest::prelude::*;
use selfcheck_pkgdb::rpm::version::{compare_evr, rpmvercmp, split_evr};
use std::cmp::Ordering;
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Instant;

// ---------------------------------------------------------------------------
// rpm as the oracle

/// The system interpreter: the one Debian's `python3-rpm` installs the module for.
const PYTHON: &str = "/usr/bin/python3";

/// Queries, a line each, fields separated by tabs; a field of `labelCompare`'s
/// tuples is `N` for `None` or `S` and the string. `F` flushes the answers.
const ORACLE_PY: &str = r#"
import sys
try:
    import rpm
except Exception as e:
    sys.stdout.write("NO-RPM %r\n" % (e,))
    sys.stdout.flush()
    sys.exit(3)
out = sys.stdout
out.write("READY %s\n" % rpm.__version__)
out.flush()

def field(s):
    return None if s == "N" else s[1:]

for raw in sys.stdin.buffer:
    f = raw.decode("utf-8").rstrip("\n").split("\t")
    if f[0] == "F":
        out.flush()
        continue
    try:
        if f[0] == "L":
            r = rpm.labelCompare(tuple(map(field, f[1:4])), tuple(map(field, f[4:7])))
        elif f[0] == "E":
            a, b = rpm.ver(f[1]), rpm.ver(f[2])
            r = (a > b) - (a < b)
        else:
            raise ValueError("unknown query %r" % (f[0],))
        out.write("%d\n" % ((r > 0) - (r < 0)))
    except Exception as e:
        out.write("! %r\n" % (e,))
"#;

/// `[epoch:]version[-release]` in parts; `None` is absent (not empty).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Evr {
    e: Option<String>,
    v: String,
    r: Option<String>,
}

impl Evr {
    fn text(&self) -> String {
        let mut s = String::new();
        if let Some(e) = &self.e {
            s.push_str(e);
            s.push(':');
        }
        s.push_str(&self.v);
        if let Some(r) = &self.r {
            s.push('-');
            s.push_str(r);
        }
        s
    }

    /// Just a version: `rpmvercmp` on it alone.
    fn bare(v: &str) -> Evr {
        Evr {
            e: None,
            v: v.to_owned(),
            r: None,
        }
    }
}

enum Query {
    /// `rpm.labelCompare` on two `(epoch, version, release)` tuples.
    Label(Evr, Evr),
    /// `rpm.ver(a)` against `rpm.ver(b)`: rpm's own parsing of EVR strings.
    Parsed(String, String),
}

/// rpm's answer, or why it refused the query.
type Answer = Result<Ordering, String>;

struct Oracle {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    version: String,
}

fn encode_field(out: &mut String, f: Option<&str>) {
    out.push('\t');
    match f {
        None => out.push('N'),
        Some(s) => {
            out.push('S');
            out.push_str(s);
        }
    }
}

fn check_encodable(s: &str) {
    assert!(
        !s.contains(['\t', '\n', '\r', '\0']),
        "the oracle protocol cannot carry {s:?}"
    );
}

impl Oracle {
    fn start() -> Oracle {
        assert!(
            Path::new(PYTHON).exists(),
            "{PYTHON} is missing: these tests compare the RPM version ordering with rpm's own \
             through its Python bindings; install `python3-rpm` (CI does)"
        );
        let mut child = Command::new(PYTHON)
            .args(["-I", "-c", ORACLE_PY])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("running {PYTHON}: {e}"));
        let stdin = child.stdin.take().expect("piped stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut first = String::new();
        stdout
            .read_line(&mut first)
            .unwrap_or_else(|e| panic!("reading from {PYTHON}: {e}"));
        let version = match first.trim_end().strip_prefix("READY ") {
            Some(v) => v.to_owned(),
            None => panic!(
                "{PYTHON} cannot import the rpm module ({}): these tests compare the RPM \
                 version ordering with rpm's own; install `python3-rpm` (CI does)",
                first.trim_end()
            ),
        };
        Oracle {
            _child: child,
            stdin,
            stdout,
            version,
        }
    }

    /// Answers to a batch, in order: written from a second thread while this
    /// one reads, so that neither pipe can fill up and stall the other side.
    fn ask(&mut self, queries: &[Query]) -> Vec<Answer> {
        let mut text = String::new();
        for q in queries {
            match q {
                Query::Label(a, b) => {
                    text.push('L');
                    for x in [a, b] {
                        for f in [x.e.as_deref(), Some(x.v.as_str()), x.r.as_deref()] {
                            if let Some(s) = f {
                                check_encodable(s);
                            }
                            encode_field(&mut text, f);
                        }
                    }
                }
                Query::Parsed(a, b) => {
                    check_encodable(a);
                    check_encodable(b);
                    text.push_str(&format!("E\t{a}\t{b}"));
                }
            }
            text.push('\n');
        }
        text.push_str("F\n");
        let (stdin, stdout) = (&mut self.stdin, &mut self.stdout);
        std::thread::scope(|s| {
            s.spawn(move || {
                stdin
                    .write_all(text.as_bytes())
                    .and_then(|()| stdin.flush())
                    .expect("writing to the rpm oracle");
            });
            let mut answers = Vec::with_capacity(queries.len());
            let mut line = String::new();
            for _ in queries {
                line.clear();
                let n = stdout
                    .read_line(&mut line)
                    .expect("reading from the rpm oracle");
                assert!(n > 0, "the rpm oracle exited early");
                answers.push(match line.trim_end() {
                    "-1" => Ok(Ordering::Less),
                    "0" => Ok(Ordering::Equal),
                    "1" => Ok(Ordering::Greater),
                    other => Err(other.to_owned()),
                });
            }
            answers
        })
    }
}

/// The one oracle process, shared by the tests (which run on several threads).
fn oracle() -> MutexGuard<'static, Oracle> {
    static ORACLE: OnceLock<Mutex<Oracle>> = OnceLock::new();
    ORACLE
        .get_or_init(|| Mutex::new(Oracle::start()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn ord(n: i8) -> Ordering {
    n.cmp(&0)
}

/// Disagreements of a check, all printed, and how many comparisons agreed.
#[derive(Default)]
struct Outcome {
    agreed: usize,
    refused: Vec<String>,
    disagreements: Vec<String>,
}

impl Outcome {
    fn check(&mut self, what: &str, ours: Ordering, rpm: &Answer) {
        match rpm {
            Ok(o) if *o == ours => self.agreed += 1,
            Ok(o) => self
                .disagreements
                .push(format!("{what}: ours {ours:?}, rpm {o:?}")),
            Err(e) => self.refused.push(format!("{what}: rpm refused: {e}")),
        }
    }

    fn assert_agreement(&self, name: &str) {
        for d in &self.disagreements {
            eprintln!("DISAGREEMENT {name}: {d}");
        }
        assert!(
            self.disagreements.is_empty(),
            "{name}: {} comparison(s) where we and rpm disagree (all printed above); first \
             ones:\n{}",
            self.disagreements.len(),
            self.disagreements[..self.disagreements.len().min(40)].join("\n")
        );
    }

    fn assert_none_refused(&self, name: &str) {
        assert!(
            self.refused.is_empty(),
            "{name}: rpm refused {} quer(ies):\n{}",
            self.refused.len(),
            self.refused.join("\n")
        );
    }
}

/// Every check of one EVR pair, in both orders: `compare_evr` on the strings
/// against `labelCompare` on the parts and against `rpm.ver` on the strings,
/// and `rpmvercmp` on the versions (and on the releases, when both have one)
/// against `labelCompare` on those alone.
struct PairChecks<'a> {
    pairs: &'a [(Evr, Evr)],
}

impl PairChecks<'_> {
    fn run(&self, outcome: &mut Outcome) -> usize {
        let mut queries = Vec::new();
        let mut expect: Vec<(String, Ordering)> = Vec::new();
        for (a, b) in self.pairs {
            let (ta, tb) = (a.text(), b.text());
            for (x, y, tx, ty) in [(a, b, &ta, &tb), (b, a, &tb, &ta)] {
                let ours = compare_evr(tx, ty);
                queries.push(Query::Label(x.clone(), y.clone()));
                expect.push((format!("compare_evr({tx:?}, {ty:?}) vs labelCompare"), ours));
                queries.push(Query::Parsed(tx.clone(), ty.clone()));
                expect.push((format!("compare_evr({tx:?}, {ty:?}) vs rpm.ver"), ours));
                queries.push(Query::Label(Evr::bare(&x.v), Evr::bare(&y.v)));
                expect.push((
                    format!("rpmvercmp({:?}, {:?})", x.v, y.v),
                    rpmvercmp(&x.v, &y.v),
                ));
                if let (Some(rx), Some(ry)) = (&x.r, &y.r)
                    && !rx.is_empty()
                    && !ry.is_empty()
                {
                    queries.push(Query::Label(Evr::bare(rx), Evr::bare(ry)));
                    expect.push((format!("rpmvercmp({rx:?}, {ry:?})"), rpmvercmp(rx, ry)));
                }
            }
        }
        let answers = oracle().ask(&queries);
        for ((what, ours), rpm) in expect.iter().zip(&answers) {
            outcome.check(what, *ours, rpm);
        }
        queries.len()
    }
}

// ---------------------------------------------------------------------------
// rpm's published test vectors

/// Every `RPMVERCMP(a, b, result)` of rpm's `tests/rpmvercmp.at`, in its order.
const RPMVERCMP_AT: &[(&str, &str, i8)] = &[
    ("1.0", "1.0", 0),
    ("1.0", "2.0", -1),
    ("2.0", "1.0", 1),
    ("2.0.1", "2.0.1", 0),
    ("2.0", "2.0.1", -1),
    ("2.0.1", "2.0", 1),
    ("2.0.1a", "2.0.1a", 0),
    ("2.0.1a", "2.0.1", 1),
    ("2.0.1", "2.0.1a", -1),
    ("5.5p1", "5.5p1", 0),
    ("5.5p1", "5.5p2", -1),
    ("5.5p2", "5.5p1", 1),
    ("5.5p10", "5.5p10", 0),
    ("5.5p1", "5.5p10", -1),
    ("5.5p10", "5.5p1", 1),
    ("10xyz", "10.1xyz", -1),
    ("10.1xyz", "10xyz", 1),
    ("xyz10", "xyz10", 0),
    ("xyz10", "xyz10.1", -1),
    ("xyz10.1", "xyz10", 1),
    ("xyz.4", "xyz.4", 0),
    ("xyz.4", "8", -1),
    ("8", "xyz.4", 1),
    ("xyz.4", "2", -1),
    ("2", "xyz.4", 1),
    ("5.5p2", "5.6p1", -1),
    ("5.6p1", "5.5p2", 1),
    ("5.6p1", "6.5p1", -1),
    ("6.5p1", "5.6p1", 1),
    ("6.0.rc1", "6.0", 1),
    ("6.0", "6.0.rc1", -1),
    ("10b2", "10a1", 1),
    ("10a2", "10b2", -1),
    ("1.0aa", "1.0aa", 0),
    ("1.0a", "1.0aa", -1),
    ("1.0aa", "1.0a", 1),
    ("10.0001", "10.0001", 0),
    ("10.0001", "10.1", 0),
    ("10.1", "10.0001", 0),
    ("10.0001", "10.0039", -1),
    ("10.0039", "10.0001", 1),
    ("4.999.9", "5.0", -1),
    ("5.0", "4.999.9", 1),
    ("20101121", "20101121", 0),
    ("20101121", "20101122", -1),
    ("20101122", "20101121", 1),
    ("2_0", "2_0", 0),
    ("2.0", "2_0", 0),
    ("2_0", "2.0", 0),
    // RhBug:178798 case
    ("a", "a", 0),
    ("a+", "a+", 0),
    ("a+", "a_", 0),
    ("a_", "a+", 0),
    ("+a", "+a", 0),
    ("+a", "_a", 0),
    ("_a", "+a", 0),
    ("+_", "+_", 0),
    ("_+", "+_", 0),
    ("_+", "_+", 0),
    ("+", "_", 0),
    ("_", "+", 0),
    // Basic testcases for tilde sorting
    ("1.0~rc1", "1.0~rc1", 0),
    ("1.0~rc1", "1.0", -1),
    ("1.0", "1.0~rc1", 1),
    ("1.0~rc1", "1.0~rc2", -1),
    ("1.0~rc2", "1.0~rc1", 1),
    ("1.0~rc1~git123", "1.0~rc1~git123", 0),
    ("1.0~rc1~git123", "1.0~rc1", -1),
    ("1.0~rc1", "1.0~rc1~git123", 1),
    // Basic testcases for caret sorting
    ("1.0^", "1.0^", 0),
    ("1.0^", "1.0", 1),
    ("1.0", "1.0^", -1),
    ("1.0^git1", "1.0^git1", 0),
    ("1.0^git1", "1.0", 1),
    ("1.0", "1.0^git1", -1),
    ("1.0^git1", "1.0^git2", -1),
    ("1.0^git2", "1.0^git1", 1),
    ("1.0^git1", "1.01", -1),
    ("1.01", "1.0^git1", 1),
    ("1.0^20160101", "1.0^20160101", 0),
    ("1.0^20160101", "1.0.1", -1),
    ("1.0.1", "1.0^20160101", 1),
    ("1.0^20160101^git1", "1.0^20160101^git1", 0),
    ("1.0^20160102", "1.0^20160101^git1", 1),
    ("1.0^20160101^git1", "1.0^20160102", -1),
    // Basic testcases for tilde and caret sorting
    ("1.0~rc1^git1", "1.0~rc1^git1", 0),
    ("1.0~rc1^git1", "1.0~rc1", 1),
    ("1.0~rc1", "1.0~rc1^git1", -1),
    ("1.0^git1~pre", "1.0^git1~pre", 0),
    ("1.0^git1", "1.0^git1~pre", 1),
    ("1.0^git1~pre", "1.0^git1", -1),
];

/// The cases `tests/rpmvercmp.at` keeps commented out ("current, arguably buggy
/// behaviors"): RhBug:811992, and non-ASCII characters, which are separators.
const RPMVERCMP_AT_ODDITIES: &[(&str, &str, i8)] = &[
    ("1b.fc17", "1b.fc17", 0),
    ("1b.fc17", "1.fc17", -1),
    ("1.fc17", "1b.fc17", 1),
    ("1g.fc17", "1g.fc17", 0),
    ("1g.fc17", "1.fc17", 1),
    ("1.fc17", "1g.fc17", -1),
    ("1.1.α", "1.1.α", 0),
    ("1.1.α", "1.1.β", 0),
    ("1.1.β", "1.1.α", 0),
    ("1.1.αα", "1.1.α", 0),
    ("1.1.α", "1.1.ββ", 0),
    ("1.1.ββ", "1.1.αα", 0),
];

#[test]
fn rpm_test_vectors_hold_for_us_and_for_rpm() {
    let started = Instant::now();
    let all: Vec<_> = RPMVERCMP_AT
        .iter()
        .chain(RPMVERCMP_AT_ODDITIES)
        .copied()
        .collect();
    let mut failures = Vec::new();
    for &(a, b, want) in &all {
        let want = ord(want);
        // No `:` or `-`: each is a whole EVR too, so compare_evr must agree.
        assert!(!a.contains([':', '-']) && !b.contains([':', '-']));
        for (what, got) in [
            (format!("rpmvercmp({a:?}, {b:?})"), rpmvercmp(a, b)),
            (
                format!("rpmvercmp({b:?}, {a:?})"),
                rpmvercmp(b, a).reverse(),
            ),
            (format!("compare_evr({a:?}, {b:?})"), compare_evr(a, b)),
        ] {
            if got != want {
                failures.push(format!("{what} = {got:?}, rpmvercmp.at says {want:?}"));
            }
        }
    }
    let queries: Vec<Query> = all
        .iter()
        .map(|&(a, b, _)| Query::Label(Evr::bare(a), Evr::bare(b)))
        .collect();
    let answers = oracle().ask(&queries);
    for (&(a, b, want), rpm) in all.iter().zip(&answers) {
        if *rpm != Ok(ord(want)) {
            failures.push(format!(
                "this machine's rpm says {rpm:?} for {a:?} vs {b:?}, rpmvercmp.at says {want}"
            ));
        }
    }
    eprintln!(
        "rpmvercmp.at: {} vectors (+{} disabled oddities) checked against us and rpm {}; \
         {} failure(s); {:.1?}",
        RPMVERCMP_AT.len(),
        RPMVERCMP_AT_ODDITIES.len(),
        oracle().version,
        failures.len(),
        started.elapsed()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------
// Edge cases

/// EVR strings whose every pair is put to `rpm.ver`.
const EDGE: &[&str] = &[
    // Epochs: missing, zero, leading zeros, large, empty, colons elsewhere.
    "1.0",
    "0:1.0",
    "00:1.0",
    "1:1.0",
    "01:1.0",
    "1:0.1",
    "2:0.1",
    "10:1.0",
    "4294967296:1.0",
    "18446744073709551616:1.0",
    ":1.0",
    "1:",
    "a:1.0",
    "1:2:3",
    "1.0:1",
    "1:1.0-1",
    "1-2:3",
    // Releases: missing, empty, zero, leading zeros, more hyphens.
    "1.0-",
    "1.0-0",
    "1.0-00",
    "1.0-1",
    "1.0-01",
    "1.0-1.1",
    "1.0-10",
    "1.0-a",
    "1.0-~",
    "1.0-^",
    "1.0-1-1",
    "1-2-3",
    "1.0--1",
    "-1",
    "-",
    // Tilde and caret.
    "~",
    "~~",
    "^",
    "^^",
    "~1",
    "^1",
    "1~",
    "1^",
    "1.0~rc1",
    "1.0~rc1-1",
    "1.0~~rc1",
    "1.0^git1",
    "1.0^git1-1",
    "1.0^^",
    "1.0~^",
    "1.0^~",
    "1.0.~1",
    "1.0.^1",
    // Separators and letters.
    "1.0.",
    "1..0",
    "1.0.0",
    "1_0",
    "1+0",
    "1.0a",
    "1.0A",
    "1.0Z",
    "1.0aa",
    "1a",
    "a",
    "A",
    "Z",
    ".",
    "+",
    "_",
    "1.0%",
    "1.0!1",
    // Digit runs longer than u64.
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999",
    "000000000000000000000000001",
    "1.18446744073709551617",
    "1.000000000000000000000000000000000000000001",
    // Distribution releases.
    "5.10.0-60.18.0.50.oe2203",
    "5.10.0-136.12.0.86.oe2203sp1",
    "5.10.0-153.12.0.92.oe2203sp2",
    "3.0.7-16.oe2203sp1",
    "3.0.7-16.oe2203sp2",
    "1.1.1f-2.ky10",
    "1.1.1f-3.ky10",
    "8.32-4.an8",
    "8.32-4.an8_6",
    "2.28-211.el9_2",
    "2.28-225.el9_3",
    "2.28-211.el9",
    "1:3.0.7-24.el9",
    "1:3.0.7-25.el9_3",
    "4.19.90-2107.6.0.0100.oe1.uel20",
    "4.19.90-2107.6.0.0101.oe1.uel20",
    "8.0-1.module+el8.6.0+15000+0123abcd",
    "8.0-1.module+el8.7.0+16000+0123abcd",
];

#[test]
fn edge_cases_agree_with_rpm() {
    let started = Instant::now();
    let mut pairs = Vec::new();
    for (i, a) in EDGE.iter().enumerate() {
        for b in &EDGE[i..] {
            pairs.push((a.to_string(), b.to_string()));
            pairs.push((b.to_string(), a.to_string()));
        }
    }
    let queries: Vec<Query> = pairs
        .iter()
        .map(|(a, b)| Query::Parsed(a.clone(), b.clone()))
        .collect();
    let answers = oracle().ask(&queries);
    let mut outcome = Outcome::default();
    for ((a, b), rpm) in pairs.iter().zip(&answers) {
        outcome.check(
            &format!("compare_evr({a:?}, {b:?})"),
            compare_evr(a, b),
            rpm,
        );
    }
    eprintln!(
        "edge cases: {} ordered pairs of {} EVRs; {} agreed with rpm.ver, {} disagreed, \
         {} refused; {:.1?}",
        pairs.len(),
        EDGE.len(),
        outcome.agreed,
        outcome.disagreements.len(),
        outcome.refused.len(),
        started.elapsed()
    );
    outcome.assert_agreement("edge cases");
    outcome.assert_none_refused("edge cases");
}

// ---------------------------------------------------------------------------
// Generated pairs

/// A fixed-seed SplitMix64: the same pairs on every run.
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

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

const GENERATED_PAIRS: usize = 6_000;

/// A digit run: short, zero, with leading zeros, date-like, or past u64.
fn digit_run(rng: &mut SplitMix64) -> String {
    let digits = |rng: &mut SplitMix64, n: usize| -> String {
        (0..n)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect()
    };
    match rng.below(20) {
        0..=8 => {
            let n = 1 + rng.below(3);
            digits(rng, n)
        }
        9..=10 => "0".to_owned(),
        11..=13 => {
            let zeros = "0".repeat(1 + rng.below(3));
            let n = rng.below(3);
            zeros + &digits(rng, n)
        }
        14..=15 => {
            let n = 4 + rng.below(5);
            digits(rng, n)
        }
        16 => rng
            .pick(&["18446744073709551615", "18446744073709551616", "4294967296"])
            .to_owned(),
        _ => {
            let first = char::from(b'1' + rng.below(9) as u8).to_string();
            let n = 18 + rng.below(12);
            first + &digits(rng, n)
        }
    }
}

/// A letter run: a word seen in versions, or random letters of either case.
fn letter_run(rng: &mut SplitMix64) -> String {
    if rng.chance(50) {
        rng.pick(&[
            "rc",
            "beta",
            "alpha",
            "git",
            "p",
            "pre",
            "post",
            "dev",
            "svn",
            "a",
            "b",
            "z",
            "el",
            "fc",
            "oe",
            "sp",
            "ky",
            "an",
            "uel",
            "module",
            "gitabcdef",
            "RC",
            "Final",
        ])
        .to_owned()
    } else {
        let n = 1 + rng.below(3);
        (0..n)
            .map(|_| {
                if rng.chance(80) {
                    char::from(b'a' + rng.below(26) as u8)
                } else {
                    char::from(b'A' + rng.below(26) as u8)
                }
            })
            .collect()
    }
}

/// What rpm treats as a separator, or a tilde or caret; never `-` or `:`
/// (those would change how the assembled EVR string splits).
fn separator(rng: &mut SplitMix64) -> &'static str {
    rng.pick(&[
        ".", ".", ".", ".", "_", "+", "~", "~", "^", "^", "..", "~~", "^^", "~^", "%", "@",
    ])
}

/// Digit, letter and separator runs, directly next to each other at times
/// (`5.5p10`, `1a2b`) and at times with nothing but separators.
fn runs(rng: &mut SplitMix64, max_pieces: usize) -> String {
    let mut s = match rng.below(10) {
        0..=7 => digit_run(rng),
        8 => letter_run(rng),
        _ => separator(rng).to_owned(),
    };
    for _ in 0..rng.below(max_pieces + 1) {
        match rng.below(10) {
            0..=3 => s.push_str(separator(rng)),
            4..=6 => s.push_str(&digit_run(rng)),
            _ => s.push_str(&letter_run(rng)),
        }
    }
    s
}

/// A release as distributions write them.
fn distro_release(rng: &mut SplitMix64) -> String {
    let build = match rng.below(6) {
        0..=2 => (1 + rng.below(30)).to_string(),
        3 => format!("{}.{}", rng.below(300), rng.below(20)),
        4 => format!("0.{}.rc{}", 1 + rng.below(3), 1 + rng.below(3)),
        _ => format!("{}.{}.0.{}", rng.below(300), rng.below(20), rng.below(200)),
    };
    let dist = rng.pick(&[
        "oe2203sp1",
        "oe2203sp2",
        "oe2203sp3",
        "oe2203",
        "oe2003sp4",
        "oe1",
        "el9_2",
        "el9_3",
        "el9",
        "el8_6.1",
        "el8",
        "el7_9",
        "ky10",
        "ky10.1",
        "an8",
        "an8_6",
        "an23",
        "uel20",
        "oe1.uel20",
        "fc38",
        "amzn2",
        "amzn2023.0.1",
        "module+el8.6.0+15000+0123abcd",
    ]);
    let mut r = format!("{build}.{dist}");
    if rng.chance(10) {
        r.push_str(rng.pick(&[".1", ".2", "_1", ".rc1", "~bootstrap", "^20230101git1"]));
    }
    r
}

fn epoch(rng: &mut SplitMix64) -> Option<String> {
    match rng.below(20) {
        0..=8 => None,
        9..=12 => Some("0".to_owned()),
        13..=16 => Some((1 + rng.below(3)).to_string()),
        17 => Some(
            rng.pick(&["00", "01", "001", "0000000000000000000002"])
                .to_owned(),
        ),
        _ => Some(
            rng.pick(&[
                "10",
                "4294967296",
                "18446744073709551616",
                "99999999999999999999",
            ])
            .to_owned(),
        ),
    }
}

fn random_evr(rng: &mut SplitMix64) -> Evr {
    let v = runs(rng, 6);
    let r = match rng.below(10) {
        0..=1 => None,
        2 => Some(String::new()),
        3..=6 => Some(distro_release(rng)),
        _ => Some(runs(rng, 4)),
    };
    Evr {
        e: epoch(rng),
        v,
        r,
    }
}

/// A digit or letter run, by its byte range, chosen at random.
fn some_run(rng: &mut SplitMix64, s: &str) -> Option<(usize, usize)> {
    let b = s.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_alphanumeric() {
            let digit = b[i].is_ascii_digit();
            let start = i;
            while i < b.len() && b[i].is_ascii_alphanumeric() && b[i].is_ascii_digit() == digit {
                i += 1;
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    (!spans.is_empty()).then(|| spans[rng.below(spans.len())])
}

/// A small change to a string: bump, zero-pad or retype a run, change a
/// separator, append or cut.
fn mutate_string(rng: &mut SplitMix64, s: &str) -> String {
    let mut s = s.to_owned();
    match rng.below(9) {
        0 | 1 => {
            if let Some((a, b)) = some_run(rng, &s) {
                let run = &s[a..b];
                let new = if run.as_bytes()[0].is_ascii_digit() {
                    // Bump the last digit, or change it.
                    let mut d = run.as_bytes().to_vec();
                    let last = d.len() - 1;
                    d[last] = b'0' + ((d[last] - b'0' + 1 + rng.below(2) as u8) % 10);
                    String::from_utf8(d).expect("digits")
                } else {
                    letter_run(rng)
                };
                s.replace_range(a..b, &new);
            }
        }
        2 => {
            if let Some((a, b)) = some_run(rng, &s)
                && s.as_bytes()[a].is_ascii_digit()
            {
                if rng.chance(50) {
                    s.insert_str(a, &"0".repeat(1 + rng.below(3)));
                } else {
                    let trimmed = s[a..b].trim_start_matches('0');
                    let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
                    let trimmed = trimmed.to_owned();
                    s.replace_range(a..b, &trimmed);
                }
            }
        }
        3 => {
            // Swap one separator for another (or for nothing).
            let seps: Vec<usize> = s
                .bytes()
                .enumerate()
                .filter(|(_, c)| !c.is_ascii_alphanumeric())
                .map(|(i, _)| i)
                .collect();
            if !seps.is_empty() {
                let i = seps[rng.below(seps.len())];
                let with = if rng.chance(20) { "" } else { separator(rng) };
                s.replace_range(i..i + 1, with);
            }
        }
        4 | 5 => s.push_str(rng.pick(&[
            "~rc1",
            "~",
            "^",
            "^git1",
            "^20230101",
            ".1",
            ".0",
            "a",
            "p1",
            "_1",
            "+",
            ".",
            "1",
            "~~",
            "^git1~pre",
        ])),
        6 => {
            if let Some((a, b)) = some_run(rng, &s) {
                // Letters next to digits (or the other way round).
                let with = if s.as_bytes()[a].is_ascii_digit() {
                    letter_run(rng)
                } else {
                    digit_run(rng)
                };
                s.insert_str(if rng.chance(50) { a } else { b }, &with);
            }
        }
        7 => {
            if s.len() > 1 {
                let cut = 1 + rng.below(s.len() - 1);
                s.truncate(cut);
            }
        }
        _ => {
            // Change the case of the letters.
            s = if rng.chance(50) {
                s.to_ascii_uppercase()
            } else {
                s.to_ascii_lowercase()
            };
        }
    }
    s
}

/// A nearby EVR: the comparisons that go deep happen between near neighbours.
fn mutate(rng: &mut SplitMix64, x: &Evr) -> Evr {
    let mut y = x.clone();
    for _ in 0..1 + rng.below(2) {
        match rng.below(10) {
            0..=3 => y.v = mutate_string(rng, &y.v),
            4..=5 => {
                y.r = Some(match &y.r {
                    Some(r) if !r.is_empty() => mutate_string(rng, r),
                    _ => distro_release(rng),
                })
            }
            6 => {
                // Absent, empty or present release.
                y.r = match rng.below(3) {
                    0 => None,
                    1 => Some(String::new()),
                    _ => x.r.clone().or_else(|| Some(distro_release(rng))),
                }
            }
            7 => {
                // Absent epoch against `0`, or another epoch.
                y.e = match &y.e {
                    None => Some(rng.pick(&["0", "00", "1"]).to_owned()),
                    Some(e) if e.trim_start_matches('0').is_empty() => None,
                    Some(_) => epoch(rng),
                }
            }
            8 => {
                // A release of the same dist, one build up or down.
                y.r = Some(distro_release(rng));
            }
            _ => y.v = runs(rng, 6),
        }
    }
    if y.v.is_empty() {
        y.v = "0".to_owned();
    }
    y
}

/// Distinct generated pairs: a third independent, the rest near neighbours.
fn generated_pairs(n: usize, seed: u64) -> Vec<(Evr, Evr)> {
    let mut rng = SplitMix64(seed);
    let mut seen = HashSet::new();
    let mut pairs = Vec::new();
    while pairs.len() < n {
        let a = random_evr(&mut rng);
        let b = if rng.chance(33) {
            random_evr(&mut rng)
        } else {
            mutate(&mut rng, &a)
        };
        if seen.insert((a.text(), b.text())) {
            pairs.push((a, b));
        }
    }
    pairs
}

#[test]
fn generated_pairs_agree_with_rpm() {
    let started = Instant::now();
    let pairs = generated_pairs(GENERATED_PAIRS, 0x0005_e1fc_4ec4_0123);
    let kinds = (
        pairs
            .iter()
            .filter(|(a, b)| compare_evr(&a.text(), &b.text()) == Ordering::Equal)
            .count(),
        pairs
            .iter()
            .filter(|(a, b)| a.e.is_none() != b.e.is_none())
            .count(),
        pairs
            .iter()
            .filter(|(a, b)| a.r.is_none() != b.r.is_none())
            .count(),
    );
    let mut outcome = Outcome::default();
    let queries = PairChecks { pairs: &pairs }.run(&mut outcome);
    eprintln!(
        "generated: {} pairs ({} equal, {} with one epoch absent, {} with one release absent), \
         both orders, {} comparisons with rpm {}; {} agreed, {} disagreed, {} refused; {:.1?}",
        pairs.len(),
        kinds.0,
        kinds.1,
        kinds.2,
        queries,
        oracle().version,
        outcome.agreed,
        outcome.disagreements.len(),
        outcome.refused.len(),
        started.elapsed()
    );
    assert!(pairs.len() >= 5_000);
    outcome.assert_agreement("generated pairs");
    outcome.assert_none_refused("generated pairs");
}

/// Lists sorted with `compare_evr`: rpm must find every neighbour in order.
#[test]
fn sorted_lists_are_sorted_for_rpm() {
    let started = Instant::now();
    let mut rng = SplitMix64(0x50f7_ed11_57ab_c0de);
    let mut pairs = Vec::new();
    for _ in 0..10 {
        // One base and its mutations, so that the list holds near neighbours.
        let base = random_evr(&mut rng);
        let mut list = vec![base.clone()];
        while list.len() < 60 {
            let from = list[rng.below(list.len())].clone();
            list.push(mutate(&mut rng, &from));
        }
        list.sort_by(|a, b| compare_evr(&a.text(), &b.text()));
        for w in list.windows(2) {
            pairs.push((w[0].text(), w[1].text()));
        }
    }
    let queries: Vec<Query> = pairs
        .iter()
        .map(|(a, b)| Query::Parsed(a.clone(), b.clone()))
        .collect();
    let answers = oracle().ask(&queries);
    let mut bad = Vec::new();
    for ((a, b), rpm) in pairs.iter().zip(&answers) {
        if !matches!(rpm, Ok(Ordering::Less | Ordering::Equal)) {
            bad.push(format!("{a:?} sorted before {b:?}, rpm says {rpm:?}"));
        }
    }
    eprintln!(
        "sorted lists: {} neighbours in 10 lists of 60; {} out of order for rpm; {:.1?}",
        pairs.len(),
        bad.len(),
        started.elapsed()
    );
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Strings with `:` and `-` anywhere, so that rpm's EVR parser meets
/// [`split_evr`]: pairs share a prefix, so that they differ late.
#[test]
fn loose_strings_agree_with_rpm() {
    let started = Instant::now();
    let mut rng = SplitMix64(0x1005_e577_1265_0042);
    let alphabet = [
        "0", "1", "2", "9", "00", "a", "b", "Z", ".", "_", "+", "~", "^", ":", "-", "%", "é", "",
    ];
    let piece = |rng: &mut SplitMix64, n: usize| -> String {
        (0..n).map(|_| rng.pick(&alphabet)).collect()
    };
    let mut pairs = Vec::new();
    while pairs.len() < 2_000 {
        let n = rng.below(4);
        let prefix = piece(&mut rng, n);
        let (na, nb) = (rng.below(5), rng.below(5));
        let a = prefix.clone() + &piece(&mut rng, na);
        let b = prefix + &piece(&mut rng, nb);
        // rpm.ver refuses the empty string.
        if !a.is_empty() && !b.is_empty() {
            pairs.push((a, b));
        }
    }
    let queries: Vec<Query> = pairs
        .iter()
        .map(|(a, b)| Query::Parsed(a.clone(), b.clone()))
        .collect();
    let answers = oracle().ask(&queries);
    let mut outcome = Outcome::default();
    for ((a, b), rpm) in pairs.iter().zip(&answers) {
        outcome.check(
            &format!(
                "compare_evr({a:?}, {b:?}) [split {:?} / {:?}]",
                split_evr(a),
                split_evr(b)
            ),
            compare_evr(a, b),
            rpm,
        );
    }
    eprintln!(
        "loose strings: {} pairs; {} agreed with rpm.ver, {} disagreed, {} refused; {:.1?}",
        pairs.len(),
        outcome.agreed,
        outcome.disagreements.len(),
        outcome.refused.len(),
        started.elapsed()
    );
    outcome.assert_agreement("loose strings");
    outcome.assert_none_refused("loose strings");
}

// ---------------------------------------------------------------------------
// Properties

/// Short EVRs from a few pieces, so that equal and nearly equal ones (and so
/// interesting triples) come up often: absent and `0` epochs, absent, empty
/// and present releases.
fn small_evr() -> impl Strategy<Value = String> {
    let bit = prop::sample::select(
        &[
            "0", "00", "1", "01", "2", "a", "b", "A", "~", "^", ".", "_", "+",
        ][..],
    );
    (
        prop::sample::select(&["", "", "0:", "00:", "1:", "01:", "2:"][..]),
        prop::sample::select(&["0", "1", "01", "2", "a"][..]),
        prop::collection::vec(bit.clone(), 0..4),
        prop::option::of(prop::collection::vec(bit, 0..3)),
    )
        .prop_map(|(epoch, first, rest, release)| {
            let mut v = format!("{epoch}{first}{}", rest.concat());
            if let Some(r) = release {
                v.push('-');
                v.push_str(&r.concat());
            }
            v
        })
}

/// Any string of version characters, `:` and `-` included.
fn loose_evr() -> impl Strategy<Value = String> {
    "[0-9a-zA-Z._+~^:\\-]{0,12}"
}

fn either_evr() -> impl Strategy<Value = String> {
    prop_oneof![small_evr(), loose_evr()]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn reflexive(a in either_evr()) {
        prop_assert_eq!(compare_evr(&a, &a), Ordering::Equal);
    }

    #[test]
    fn antisymmetric(a in either_evr(), b in either_evr()) {
        prop_assert_eq!(compare_evr(&a, &b), compare_evr(&b, &a).reverse(), "{:?} vs {:?}", a, b);
        prop_assert_eq!(rpmvercmp(&a, &b), rpmvercmp(&b, &a).reverse(), "{:?} vs {:?}", a, b);
    }

    #[test]
    fn transitive(a in small_evr(), b in small_evr(), c in small_evr()) {
        let t = [&a, &b, &c];
        for &(x, y, z) in &[(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)] {
            let (x, y, z) = (t[x], t[y], t[z]);
            let (xy, yz, xz) = (compare_evr(x, y), compare_evr(y, z), compare_evr(x, z));
            if xy != Ordering::Greater && yz != Ordering::Greater {
                prop_assert_ne!(xz, Ordering::Greater, "{:?} <= {:?} <= {:?}", x, y, z);
                if xy == Ordering::Less || yz == Ordering::Less {
                    prop_assert_eq!(xz, Ordering::Less, "{:?} <= {:?} <= {:?}", x, y, z);
                }
            }
        }
    }

    #[test]
    fn sorting_is_consistent(mut v in prop::collection::vec(either_evr(), 0..12)) {
        v.sort_by(|x, y| compare_evr(x, y));
        for i in 0..v.len() {
            for j in i + 1..v.len() {
                prop_assert_ne!(compare_evr(&v[i], &v[j]), Ordering::Greater, "{:?}", v);
            }
        }
    }
}
