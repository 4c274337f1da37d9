#!/usr/bin/env python3
"""Compare selfcheck's configuration baseline with Lynis on this host.

Runs `lynis audit system --quick` (or reads a lynis-report.dat and lynis.log
you give it) and `selfcheck-agent baseline --format json` (or reads its JSON),
then prints a Markdown table of the checks both make, as listed in
scripts/lynis-map.toml: our check | Lynis test | selfcheck | Lynis | agree? |
explanation, followed by the counts.

Verdicts:
  selfcheck  passed | findings (n): first subject | could not run: reason |
             not in catalog (the agent did not run that id)
  Lynis      pass | fail (warning/suggestion text or the value it read) |
             skipped: reason (a test whose prerequisites were not met) |
             no verdict (the test ran but said nothing about this item) |
             not run (the test is neither in tests_executed nor tests_skipped)
  agree?     yes (same pass/fail) | NO (opposite) | one side (only one of the two
             judged the item) | neither (both could not judge) | not in catalog

Usage examples (as root, from the repository root):
  python3 scripts/lynis-compare.py
      run both (Lynis writes its report and log into a temporary directory)
  python3 scripts/lynis-compare.py --lynis-report /var/log/lynis-report.dat \\
          --lynis-log /var/log/lynis.log --agent-json baseline.json
      compare results you already have
  python3 scripts/lynis-compare.py --agent target/release/selfcheck-agent --keep out/
      choose the agent binary; keep Lynis's report/log and the agent JSON in out/

Only the Python standard library is used (tomllib: Python 3.11 or later).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    sys.exit("lynis-compare: needs Python 3.11 or later (tomllib)")

HERE = Path(__file__).resolve().parent
DEFAULT_MAP = HERE / "lynis-map.toml"


class Fatal(Exception):
    """An error to report in one line, without a traceback."""


# --------------------------------------------------------------------------- running


@dataclass
class RunStats:
    wall: float
    max_rss_kib: int
    rc: int


def run_measured(argv: list[str], stdout, stderr, env=None) -> RunStats:
    """Run a command; return its wall time, max RSS and exit code.

    With GNU time (/usr/bin/time) the command runs under `time -f '%e %M'`, so the
    figures are the ones `/usr/bin/time -v` prints. Without it, os.wait4's ru_maxrss
    is used, which also counts the Python process the child was forked from (an
    upper bound, ~15-20 MiB, for a small program)."""
    gnu_time = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
    tfile = None
    if gnu_time:
        fd, tfile = tempfile.mkstemp(prefix="lynis-compare-time-")
        os.close(fd)
        argv = [gnu_time, "-f", "%e %M", "-o", tfile] + argv
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, env=env
        )
    except OSError as e:
        raise Fatal(f"cannot start {argv[0]}: {e}") from e
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall, rss = time.monotonic() - start, usage.ru_maxrss
    if tfile:
        try:
            last = Path(tfile).read_text().strip().splitlines()[-1].split()
            wall, rss = float(last[0]), int(last[1])
        except (OSError, IndexError, ValueError):
            pass  # keep the wait4 figures
        finally:
            os.unlink(tfile)
    return RunStats(wall, rss, proc.returncode)


def find_lynis(explicit: str | None) -> str:
    if explicit:
        if not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
            raise Fatal(f"--lynis {explicit}: not an executable file")
        return explicit
    for cand in (shutil.which("lynis"), "/usr/sbin/lynis", "/usr/bin/lynis"):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    raise Fatal(
        "lynis not found (looked in PATH, /usr/sbin, /usr/bin). Install Debian's package "
        "(`apt-get install lynis`), pass --lynis PATH, or give an existing report with "
        "--lynis-report FILE --lynis-log FILE."
    )


def run_lynis(lynis: str, outdir: Path, quick: bool) -> tuple[Path, Path, RunStats]:
    if os.geteuid() != 0:
        raise Fatal(
            "Lynis must run as root for these tests (many are root-only and it "
            "cannot read /etc/shadow otherwise); run this script as root, or pass "
            "--lynis-report/--lynis-log from a root run"
        )
    report = outdir / "lynis-report.dat"
    log = outdir / "lynis.log"
    for f in (report, log):
        f.unlink(missing_ok=True)
    argv = [lynis, "audit", "system", "--no-colors", "--logfile", str(log),
            "--report-file", str(report)]
    if quick:
        argv.insert(3, "--quick")
    print(f"running {' '.join(argv)} (takes minutes)…", file=sys.stderr)
    # Lynis calls sysctl, pgrep, ss ... by name in places (KRNL-6000 reads keys with
    # plain `sysctl -n`): without the sbin directories in PATH (cron, sudo's
    # secure_path, a minimal shell) those tests silently find nothing.
    env = dict(os.environ)
    dirs = env.get("PATH", "").split(":")
    for d in ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        if d not in dirs:
            dirs.append(d)
    env["PATH"] = ":".join(x for x in dirs if x)
    with open(outdir / "lynis-stdout.txt", "wb") as out:
        stats = run_measured(argv, out, subprocess.STDOUT, env=env)
    if stats.rc != 0 or not report.is_file() or not log.is_file():
        raise Fatal(
            f"lynis exited {stats.rc} and/or wrote no report/log; see "
            f"{outdir / 'lynis-stdout.txt'}"
        )
    return report, log, stats


def find_agent(explicit: str | None) -> str:
    if explicit:
        if not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
            raise Fatal(f"--agent {explicit}: not an executable file")
        return explicit
    cands = []
    if os.environ.get("CARGO_TARGET_DIR"):
        cands.append(Path(os.environ["CARGO_TARGET_DIR"]) / "release" / "selfcheck-agent")
    cands.append(HERE.parent / "target" / "release" / "selfcheck-agent")
    which = shutil.which("selfcheck-agent")
    if which:
        cands.append(Path(which))
    for c in cands:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    raise Fatal(
        "selfcheck-agent not found ($CARGO_TARGET_DIR/release, target/release, PATH); "
        "build it with `cargo build --release -p selfcheck-agent` or pass --agent PATH "
        "or --agent-json FILE"
    )


def run_agent(agent: str, checks: str | None, root: str | None, outdir: Path):
    argv = [agent, "--config", "/dev/null"]
    if checks:
        argv += ["--checks", checks]
    if root:
        argv += ["--root", root]
    argv += ["baseline", "--format", "json"]
    out_path = outdir / "selfcheck-baseline.json"
    err_path = outdir / "selfcheck-baseline.stderr"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        stats = run_measured(argv, out, err)
    if stats.rc != 0:
        msg = err_path.read_text(errors="replace").strip()
        raise Fatal(f"{' '.join(argv)} exited {stats.rc}: {msg[-500:]}")
    return out_path, stats


# --------------------------------------------------------------------------- Lynis data


@dataclass
class LynisData:
    kv: dict[str, list[str]]
    warnings: list[tuple[str, str, str]]  # (test id, text, details)
    suggestions: list[tuple[str, str, str]]
    details: list[tuple[str, str, dict[str, str]]]  # (test id, service, fields)
    executed: set[str]
    skipped: set[str]
    blocks: dict[str, list[str]]  # test id -> its log lines (messages, no timestamp)
    skip_reason: dict[str, str]


LOG_TS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ")


def parse_report(path: Path) -> tuple[dict, list, list, list]:
    kv: dict[str, list[str]] = {}
    warnings, suggestions, details = [], [], []
    for line in path.read_text(errors="replace").splitlines():
        if "=" not in line or line.startswith("#"):
            continue
        key, value = line.split("=", 1)
        kv.setdefault(key, []).append(value)
        parts = value.split("|")
        if key in ("warning[]", "suggestion[]"):
            test = parts[0]
            text = parts[1] if len(parts) > 1 else ""
            det = parts[2] if len(parts) > 2 else ""
            (warnings if key == "warning[]" else suggestions).append((test, text, det))
        elif key == "details[]" and len(parts) >= 3:
            fields = {}
            for item in parts[2].split(";"):
                if ":" in item:
                    k, v = item.split(":", 1)
                    fields[k] = v
            details.append((parts[0], parts[1], fields))
    return kv, warnings, suggestions, details


def parse_log(path: Path) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Split lynis.log into per-test blocks: from 'Performing test ID X' or
    'Skipped test X' up to the next '====' separator."""
    blocks: dict[str, list[str]] = {}
    reasons: dict[str, str] = {}
    current = None
    start = re.compile(r"^(?:Performing test ID|Skipped test) ([A-Z]+-\d+)\b")
    for raw in path.read_text(errors="replace").splitlines():
        msg = LOG_TS.sub("", raw)
        if msg.startswith("===="):
            current = None
            continue
        m = start.match(msg)
        if m:
            current = m.group(1)
            blocks.setdefault(current, [])
            continue
        if current is not None:
            blocks[current].append(msg)
            if msg.startswith("Reason to skip: "):
                reasons[current] = msg[len("Reason to skip: "):]
    return blocks, reasons


def load_lynis(report: Path, log: Path) -> LynisData:
    for p, flag in ((report, "--lynis-report"), (log, "--lynis-log")):
        if not p.is_file():
            raise Fatal(f"{flag} {p}: no such file")
        if not os.access(p, os.R_OK):
            raise Fatal(f"{flag} {p}: not readable (Lynis writes it root-only; run as root)")
    kv, warnings, suggestions, details = parse_report(report)
    if "lynis_version" not in kv:
        raise Fatal(f"{report}: does not look like a lynis-report.dat (no lynis_version=)")
    blocks, reasons = parse_log(log)

    def ids(key):
        return {t for v in kv.get(key, []) for t in v.split("|") if t}

    return LynisData(kv, warnings, suggestions, details, ids("tests_executed"),
                     ids("tests_skipped"), blocks, reasons)


# --------------------------------------------------------------------------- verdicts

PASS, FAIL, NOVERDICT, SKIPPED, NOTRUN = "pass", "fail", "no verdict", "skipped", "not run"


@dataclass
class Verdict:
    state: str  # pass | fail | no verdict | skipped | not run | passed | findings | ...
    text: str

    @property
    def judged(self) -> bool:
        return self.state in (PASS, FAIL, "passed", "findings")


def short(s: str, n: int = 110) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


def lynis_verdict(p: dict, ly: LynisData) -> Verdict:
    test = p["lynis"]
    if test not in ly.executed:
        if test in ly.skipped:
            reason = ly.skip_reason.get(test, "prerequisites not met")
            if reason.startswith("Prerequisites not met"):
                reason = "prerequisites not met"
                if p.get("skipped_because"):
                    reason += f" ({p['skipped_because']})"
            return Verdict(SKIPPED, f"skipped: {reason}")
        return Verdict(NOTRUN, "not run (test absent from this Lynis run)")
    block = ly.blocks.get(test, [])
    read = p.get("read", "findings")

    def log_has(rx):
        r = re.compile(rx)
        return next((line for line in block if r.search(line)), None)

    if read == "findings":
        rx = re.compile(p["match"], re.I) if p.get("match") else None
        for kind, items in (("warning", ly.warnings), ("suggestion", ly.suggestions)):
            hits = [(t, d) for (tid, t, d) in items
                    if tid == test and (rx is None or rx.search(t + " " + d))]
            if hits:
                t, d = hits[0]
                extra = f" [{d}]" if d not in ("", "-") else ""
                return Verdict(FAIL, f"{kind}: {short(t + extra)}")
        if p.get("neutral_log"):
            line = log_has(p["neutral_log"])
            if line:
                return Verdict(NOVERDICT, f"no verdict: {short(line)}")
        return Verdict(PASS, f"pass (no warning or suggestion{' on this item' if rx else ''})")

    if read == "sysctl":
        key = p["key"]
        for tid, _svc, f in ly.details:
            if tid == test and f.get("field") == key:
                return Verdict(FAIL, f"suggestion: {key} = {f.get('value')} (profile wants {f.get('prefval')})")
        if log_has(rf"sysctl key {re.escape(key)} contains equal expected"):
            m = re.search(r"\((.*)\)$", log_has(rf"sysctl key {re.escape(key)} contains") or "")
            return Verdict(PASS, f"pass ({key} = {m.group(1) if m else 'expected'})")
        if log_has(rf"key {re.escape(key)} does not exist"):
            return Verdict(NOVERDICT, f"no verdict: {key} does not exist here")
        return Verdict(NOVERDICT, f"no verdict: {key} not in the scan profile")

    if read == "sshd":
        opt = p["option"]
        for tid, t, d in ly.suggestions:
            if tid == test and d.startswith(opt + " "):
                return Verdict(FAIL, f"suggestion: {short(d)}")
        if log_has(rf"OpenSSH option {re.escape(opt)} is configured very well"):
            val = log_has(rf"Option {re.escape(opt)} value is ")
            return Verdict(PASS, f"pass ({opt} {val.split(' value is ')[-1] if val else 'ok'})")
        return Verdict(NOVERDICT, f"no verdict: {opt} not found in `sshd -T` output")

    if read == "file":
        path = p["path"]
        inside = False
        for line in block:
            if line.startswith("Test: checking file/directory "):
                inside = line == f"Test: checking file/directory {path}"
                continue
            if not inside:
                continue
            if line.startswith("Outcome: correct permissions"):
                return Verdict(PASS, f"pass ({path} {line.split('(')[-1].rstrip(')')})")
            if "not matching expected value" in line:
                m = re.search(r"\(([^)]*)\)\s*$", line)
                return Verdict(FAIL, f"suggestion: {path} mode {m.group(1) if m else 'differs'}")
            if line.startswith("Skipping file/directory"):
                return Verdict(NOVERDICT, f"no verdict: {path} does not exist")
        return Verdict(NOVERDICT, f"no verdict: {path} not in the permissions profile")

    if read == "report":
        key = p["key"]
        values = ly.kv.get(key, [])
        passes, fails = p.get("pass_values", []), p.get("fail_values", [])
        if values:
            shown = ", ".join(values)
            if "*" in passes or any(v in passes for v in values):
                return Verdict(PASS, f"pass ({key.rstrip('[]')}={shown})")
            if "*" in fails or any(v in fails for v in values):
                return Verdict(FAIL, f"fail ({key.rstrip('[]')}={shown}; no suggestion)"
                               if not any(s[0] == test for s in ly.suggestions)
                               else f"suggestion ({key.rstrip('[]')}={shown}): "
                               + short(next(s[1] for s in ly.suggestions if s[0] == test)))
            return Verdict(NOVERDICT, f"no verdict ({key}={shown})")
        if "*" in passes:
            return Verdict(FAIL, f"fail (no {key.rstrip('[]')} reported; no suggestion)")
        return Verdict(NOVERDICT, f"no verdict ({key} not reported)")

    if read == "log":
        for state, field_ in ((FAIL, "fail_log"), (PASS, "pass_log"), (NOVERDICT, "neutral_log")):
            if p.get(field_):
                line = log_has(p[field_])
                if line:
                    label = {FAIL: "fail (log, no suggestion)", PASS: "pass (log)",
                             NOVERDICT: "no verdict"}[state]
                    return Verdict(state, f"{label}: {short(line)}")
        return Verdict(NOVERDICT, "no verdict (nothing in its log)")

    raise Fatal(f"map: unknown read = {read!r} for {p['check']} / {test}")


def our_verdict(p: dict, runs: dict, findings: dict) -> Verdict:
    cid = p["check"]
    run = runs.get(cid)
    if run is None:
        return Verdict("absent", "not in catalog")
    oc = run.get("outcome", {})
    st = oc.get("status")
    if st == "could_not_run":
        return Verdict("could_not_run", f"could not run: {short(oc.get('reason', ''))}")
    fs = findings.get(cid, [])
    if p.get("subject"):
        rx = re.compile(p["subject"], re.I)
        part = [f for f in fs if rx.search(f.get("subject", ""))]
        if st == "findings" and not part:
            return Verdict("passed", f"passed for this part ({len(fs)} other finding(s))")
        fs = part
    if st == "passed" or (st == "findings" and not fs):
        return Verdict("passed", "passed")
    if st == "findings":
        f = fs[0]
        ev = f.get("evidence") or []
        more = f" (+{len(fs) - 1} more)" if len(fs) > 1 else ""
        text = f"findings ({len(fs)}): {f.get('subject', '')}"
        if ev:
            text += " — " + "; ".join(ev[:3])
        return Verdict("findings", short(text, 220) + more)
    return Verdict("could_not_run", f"unknown status {st!r}")


def compare(ours: Verdict, lyn: Verdict) -> str:
    if ours.state == "absent":
        return "not in catalog"
    if ours.judged and lyn.judged:
        same = (ours.state == "passed") == (lyn.state == PASS)
        return "yes" if same else "NO"
    if ours.judged or lyn.judged:
        return "one side"
    return "neither"


# --------------------------------------------------------------------------- output


def md(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="lynis-compare.py",
        description=__doc__.split("\n\n")[0] + "\n\n" + __doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--map", default=str(DEFAULT_MAP), help="mapping file (default: %(default)s)")
    g = ap.add_argument_group("Lynis side")
    g.add_argument("--lynis", help="lynis executable (default: from PATH, /usr/sbin/lynis)")
    g.add_argument("--lynis-report", help="read this lynis-report.dat instead of running Lynis")
    g.add_argument("--lynis-log", help="the lynis.log of the same run (needed with --lynis-report)")
    g.add_argument("--full", action="store_true", help="run Lynis without --quick")
    g = ap.add_argument_group("selfcheck side")
    g.add_argument("--agent", help="selfcheck-agent binary (default: $CARGO_TARGET_DIR/release, "
                   "target/release, PATH)")
    g.add_argument("--agent-json", help="read this `selfcheck-agent baseline --format json` "
                   "output instead of running the agent")
    g.add_argument("--checks", help="pass --checks DIR to the agent (catalog directory)")
    g.add_argument("--root", help="pass --root DIR to the agent (Lynis always audits /)")
    g = ap.add_argument_group("output")
    g.add_argument("--keep", help="directory to keep Lynis's report/log/stdout and the agent's "
                   "JSON in (default: a temporary directory, removed)")
    g.add_argument("--all-notes", action="store_true",
                   help="print the map's note on every row, not only where they differ")
    args = ap.parse_args(argv)

    try:
        try:
            mapping = tomllib.loads(Path(args.map).read_text())
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise Fatal(f"--map {args.map}: {e}") from e
        pairs = mapping.get("pair", [])
        if not pairs:
            raise Fatal(f"{args.map}: no [[pair]] entries")
        for p in pairs:
            for k in ("check", "lynis", "note"):
                if k not in p:
                    raise Fatal(f"{args.map}: a [[pair]] without {k!r}: {p}")

        if bool(args.lynis_report) != bool(args.lynis_log):
            raise Fatal("--lynis-report and --lynis-log go together (the log says which tests "
                        "were skipped and what some tests found)")

        tmp = None
        if args.keep:
            outdir = Path(args.keep)
            outdir.mkdir(parents=True, exist_ok=True)
        else:
            tmp = tempfile.TemporaryDirectory(prefix="lynis-compare-")
            outdir = Path(tmp.name)

        timings = []
        # Our agent first: it is quick, and a broken build fails before the Lynis minutes.
        if args.agent_json:
            agent_json = Path(args.agent_json)
            if not agent_json.is_file():
                raise Fatal(f"--agent-json {agent_json}: no such file")
        else:
            agent = find_agent(args.agent)
            agent_json, st = run_agent(agent, args.checks, args.root, outdir)
            timings.append(("selfcheck-agent baseline", st))
        try:
            data = json.loads(agent_json.read_text())
            runs = {c["check_id"]: c for c in data["checks"]}
        except (ValueError, KeyError, TypeError) as e:
            raise Fatal(f"{agent_json}: not `baseline --format json` output ({e})") from e
        findings: dict[str, list] = {}
        for f in data.get("findings", []):
            findings.setdefault(f.get("check_id"), []).append(f)

        if args.lynis_report:
            report, log = Path(args.lynis_report), Path(args.lynis_log)
        else:
            lynis = find_lynis(args.lynis)
            report, log, st = run_lynis(lynis, outdir, quick=not args.full)
            timings.append((f"lynis audit system{'' if args.full else ' --quick'}", st))
        ly = load_lynis(report, log)
    except Fatal as e:
        print(f"lynis-compare: {e}", file=sys.stderr)
        return 2

    rows = []
    counts: dict[str, int] = {}
    for p in pairs:
        ours = our_verdict(p, runs, findings)
        lyn = lynis_verdict(p, ly)
        agree = compare(ours, lyn)
        counts[agree] = counts.get(agree, 0) + 1
        test = p["lynis"] + (f" {p['item']}" if p.get("item") else "")
        if p.get("partial"):
            test += " (partial overlap)"
        show = args.all_notes or p.get("show_note") or agree in ("NO", "one side")
        rows.append((p["check"], test, ours.text, lyn.text, agree, p["note"] if show else ""))

    kv = ly.kv
    first = lambda k: (kv.get(k) or ["?"])[0]  # noqa: E731
    print(f"Lynis {first('lynis_version')} ({first('report_datetime_start')}) vs "
          f"selfcheck baseline on {first('hostname')}, {first('os_fullname')}\n")
    print("| our check | Lynis test (item) | selfcheck on this host | Lynis on this host | agree? | explanation |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(md(c) for c in r) + " |")

    print()
    order = ["yes", "NO", "one side", "neither", "not in catalog"]
    labels = {"yes": "agree", "NO": "disagree", "one side": "one side only",
              "neither": "neither judged", "not in catalog": "not in catalog"}
    print("Rows: " + ", ".join(f"{labels[k]} {counts.get(k, 0)}" for k in order)
          + f" (of {len(rows)} rows, {len({p['check'] for p in pairs})} of our check ids)")

    mapped = {p["check"] for p in pairs}
    unmapped = sorted(c for c in runs if c.startswith("baseline.") and c not in mapped)
    if unmapped:
        print("\nOur baseline checks with no Lynis counterpart (Lynis 3.0.8 has no test for them): "
              + ", ".join(unmapped))
    if timings:
        print()
        for name, st in timings:
            print(f"- {name}: wall {st.wall:.2f} s, max RSS {st.max_rss_kib / 1024:.1f} MiB")
        if len(timings) == 2:
            a, b = timings[0][1], timings[1][1]
            print(f"- Lynis/selfcheck: wall ×{b.wall / max(a.wall, 0.01):.0f}"
                  f"{' (selfcheck under the 10 ms resolution)' if a.wall < 0.01 else ''}, "
                  f"max RSS ×{b.max_rss_kib / max(a.max_rss_kib, 1):.1f}")
    if args.keep:
        print(f"\nLynis report/log and agent JSON kept in {outdir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
