"""The fixed scenario golden-compare runs against one set of binaries.

run_scenario(bins, work, out, repo) runs every command in a fresh tree below
`work` (which must not exist) and writes one file per output below `out`:

  agent/HOST/...      agent outputs per fixture host (reports, tables, json)
  agent/_catalog/...  checks list / show (host independent)
  collector/...       the two-month collector scenario (2026-10, 2026-11)
  help/...            --help of every (sub)command; compared as its own group

A command's file holds the command line, its exit status, stdout and stderr.
Binary outputs (xlsx, html, zip) are turned into text by extract.py.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import extract  # noqa: E402
import roots as fixture  # noqa: E402

# Fixed clock for each step (when faketime is installed); see README.
OCT_AUDIT = "2026-10-28 10:00:00"
OCT_ASSETS = "2026-10-27 09:00:00"
OCT_IMPORT = "2026-10-29 09:00:00"
OCT_LEDGER = "2026-10-31 17:00:00"
NOV_AUDIT = "2026-11-26 10:00:00"
NOV_IMPORT = "2026-11-27 09:00:00"
NOV_SET = "2026-11-27 11:00:00"
NOV_LEDGER = "2026-11-30 17:00:00"

AGENT_CONFIG = """\
[[ports.allow]]
port = 5432
address = "10.2.0.5"
reason = "PostgreSQL for the application VLAN only (ticket 2026-114)"

[[baseline.exception]]
check = "baseline.sysctl-ip-forward"
reason = "Host routes the backup VLAN (change 2026-088)"
approver = "王敏 (信息中心主任)"
expires = 2027-06-30
"""

REGISTRY_CSV = (
    "\ufeff资产名称,主机名,机器ID,IP地址,单位/部门,资产类型,操作系统,等保级别,责任单位,整改责任人,联系方式\n"
    "门户网站服务器,deb12-web-01,,10.1.2.3,办公室,服务器,Debian 12,三级,信息中心,张三,010-12345678\n"
    "业务数据库服务器,oe-db-01,,10.2.0.5,综合科,数据库服务器,openEuler 22.03 LTS,二级,信息中心,李四,13800000000\n"
    "应用服务器,kylin-app-01,a1b2c3d4e5f60718293a4b5c6d7e8f90,10.20.30.40,业务科,服务器,银河麒麟 V10,三级,信息中心,王五,13900000000\n"
    "文件服务器,file-srv-01,,10.3.0.9,办公室,服务器,Windows Server 2019,二级,信息中心,赵六,13700000000\n"
)

TIMEOUT = 180


class Runner:
    def __init__(self, bins, work, out, faketime):
        self.bins = bins
        self.work = work
        self.out = out
        self.faketime = faketime
        self.count = 0
        # Report files seen so far, and the placeholder of each random report id
        # and report digest: named after the output of the command that made it.
        self.seen = set()
        self.tokens = {}
        home = os.path.join(work, "home")
        os.makedirs(home, exist_ok=True)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "USER": "golden",
            "LOGNAME": "golden",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TZ": "Asia/Shanghai",
            "COLUMNS": "200",
            "NO_COLOR": "1",
            "TERM": "dumb",
            "XDG_DATA_HOME": os.path.join(home, ".local/share"),
            "XDG_STATE_HOME": os.path.join(home, ".local/state"),
        }
        if faketime:
            # Only the wall clock is faked; timeouts and Instants stay real.
            self.env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"

    def run(self, rel, binary, args, at=None, cwd=None, stdin=None):
        """Run BIN ARGS, write `rel` (command, exit status, stdout, stderr)."""
        cmd = [os.path.join(self.bins, binary)] + [str(a) for a in args]
        full = cmd
        if at and self.faketime:
            full = [self.faketime, at] + cmd
        try:
            p = subprocess.run(full, env=self.env, cwd=cwd or self.work, capture_output=True,
                               timeout=TIMEOUT, stdin=subprocess.DEVNULL)
            rc, so, se = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            rc, so, se = "timeout", e.stdout or b"", e.stderr or b""
        shown = [binary] + [str(a) for a in args]
        text = ("$ " + " ".join(shown) + "\n" + f"--- exit {rc}\n" + "--- stdout\n"
                + so.decode("utf-8", "replace") + "\n--- stderr\n" + se.decode("utf-8", "replace"))
        self.save(rel, text)
        self.new_reports(rel)
        return rc, so

    def new_reports(self, rel):
        """Name the reports the last command wrote (state dirs, --out files)."""
        ids = {}
        # File-integrity baselines: their digest names them in reports.
        for top in ("state", "state-umbrella"):
            for dirpath, _, files in os.walk(os.path.join(self.work, top)):
                if "/fim" not in dirpath:
                    continue
                for fn in sorted(files):
                    p = os.path.join(dirpath, fn)
                    st = os.stat(p)
                    key = (p, st.st_size, st.st_mtime_ns)
                    if key in self.seen:
                        continue
                    self.seen.add(key)
                    with open(p, "rb") as f:
                        digest = hashlib.sha256(f.read()).hexdigest()
                    host = os.path.relpath(p, os.path.join(self.work, top)).split(os.sep)[0]
                    self.tokens.setdefault(digest, f"<FIM-SHA256 {host}/{fn} by {rel}>")
        for top in ("state", "state-umbrella", "reports"):
            for dirpath, _, files in os.walk(os.path.join(self.work, top)):
                for fn in sorted(files):
                    p = os.path.join(dirpath, fn)
                    if not fn.endswith(".json") or p in self.seen or "/fim" in p or "/spool" in p:
                        continue
                    self.seen.add(p)
                    try:
                        with open(p, "rb") as f:
                            data = f.read()
                        rid = json.loads(data)["report"]["report_id"]
                    except (OSError, ValueError, KeyError, TypeError):
                        continue
                    n = ids.setdefault(rid, len(ids) + 1)
                    name = rel if n == 1 else f"{rel}#{n}"
                    self.tokens.setdefault(rid, f"<REPORT-ID {name}>")
                    self.tokens.setdefault(hashlib.sha256(data).hexdigest(), f"<REPORT-SHA256 {name}>")

    def save(self, rel, text):
        p = os.path.join(self.out, rel)
        if os.path.exists(p):
            raise RuntimeError(f"two outputs named {rel}")
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        self.count += 1

    def save_file_text(self, rel, path):
        """A produced file, as text: xlsx cells, html visible text, zip member list, or as is."""
        if not os.path.exists(path):
            self.save(rel, f"(missing: {path})\n")
            return
        self.save(rel, extract.as_text(path))


def agent_outputs(r, host, root, state, cfg, osv, vuln):
    """Every per-host agent output after the November changes (clock: November audit)."""
    a = "selfcheck-agent"
    base = ["--root", root, "--state-dir", state, "--config", cfg]
    at = NOV_AUDIT
    d = f"agent/{host}"
    feed = ["--vuln-db", osv] if vuln else []
    r.run(f"{d}/run.txt", a, base + ["run", "--period", "2026-11", "--fail-on", "none"] + feed, at)
    r.run(f"{d}/run.en.txt", a, base + ["run", "--period", "2026-11", "--lang", "en"] + feed, at)
    r.run(f"{d}/run.level2.txt", a, base + ["run", "--period", "2026-11", "--fail-on", "medium", "--level", "2", "--lang", "en"] + feed, at)
    for fmt in ["table", "json"]:
        for lang in ["zh", "en"]:
            if fmt == "json" and lang == "en":
                continue
            suffix = ("" if lang == "zh" else ".en") + (".json" if fmt == "json" else ".txt")
            r.run(f"{d}/ports{suffix}", a, base + ["ports", "--format", fmt, "--lang", lang], at)
            r.run(f"{d}/packages{suffix}", a, base + ["packages", "--format", fmt, "--lang", lang], at)
            r.run(f"{d}/baseline{suffix}", a, base + ["baseline", "--format", fmt, "--lang", lang], at)
    for level in ["2", "3"]:
        r.run(f"{d}/baseline.level{level}.txt", a, base + ["baseline", "--level", level], at)
        r.run(f"{d}/baseline.level{level}.en.txt", a, base + ["baseline", "--level", level, "--lang", "en"], at)
        r.run(f"{d}/baseline.level{level}.json", a, base + ["baseline", "--level", level, "--format", "json"], at)
    r.run(f"{d}/fim-check.txt", a, base + ["fim", "check", "--threads", "1"], at)
    r.run(f"{d}/fim-check.json", a, base + ["fim", "check", "--threads", "1", "--format", "json"], at)
    if host == "deb12-web-01":
        r.run(f"{d}/fim-accept.txt", a, base + ["fim", "accept", "/etc/nginx/nginx.conf", "--reason", "CR-42 nginx user", "--threads", "1"], at)
        r.run(f"{d}/fim-check-after-accept.txt", a, base + ["fim", "check", "--threads", "1"], at)
    r.run(f"{d}/fim-verify-packages.txt", a, base + ["fim", "verify-packages"], at)
    r.run(f"{d}/submit-list.txt", a, base + ["submit", "--list"], at)


def catalog_outputs(r, cfg):
    a = "selfcheck-agent"
    base = ["--config", cfg]
    d = "agent/_catalog"
    r.run(f"{d}/checks-list.txt", a, base + ["checks", "list"])
    r.run(f"{d}/checks-list.en.txt", a, base + ["checks", "list", "--lang", "en"])
    r.run(f"{d}/checks-list.json", a, base + ["checks", "list", "--format", "json"])
    r.run(f"{d}/checks-list.ports.txt", a, base + ["checks", "list", "--area", "ports", "--lang", "en"])
    for cid in ["ports.telnet", "patches.security-updates", "baseline.pass-max-days", "fim.unexplained-change"]:
        r.run(f"{d}/checks-show.{cid}.txt", a, base + ["checks", "show", cid])
        r.run(f"{d}/checks-show.{cid}.en.txt", a, base + ["checks", "show", cid, "--lang", "en"])
        r.run(f"{d}/checks-show.{cid}.json", a, base + ["checks", "show", cid, "--format", "json"])
    r.run(f"{d}/checks-show.unknown.txt", a, base + ["checks", "show", "ports.nope"])


def subcommands(help_text):
    """Names under 'Commands:' in clap's help."""
    names, on = [], False
    for line in help_text.splitlines():
        if line.strip() in ("Commands:", "Subcommands:"):
            on = True
            continue
        if on:
            if not line.startswith("  "):
                if line.strip():
                    on = False
                continue
            w = line.split()
            if w and w[0] != "help" and not line.startswith("   " * 3):
                names.append(w[0])
    return names


def help_outputs(r):
    for binary in ["selfcheck", "selfcheck-agent", "selfcheck-collector"]:
        def walk(path, depth):
            name = " ".join(path) if path else "_top"
            _, so = r.run(f"help/{binary}/{name}.txt", binary, path + ["--help"])
            if depth < 2:
                for sub in subcommands(so.decode("utf-8", "replace")):
                    walk(path + [sub], depth + 1)
        walk([], 0)
        r.run(f"help/{binary}/_version.txt", binary, ["--version"])


def collector_month(r, data, cfg, month, as_of, at, tmp):
    c = "selfcheck-collector"
    base = ["--data", data, "--config", cfg]
    d = f"collector/{month}"
    led = base + ["ledger", "--month", month, "--as-of", as_of]
    r.run(f"{d}/ledger.txt", c, led, at)
    r.run(f"{d}/ledger.en.txt", c, led + ["--lang", "en"], at)
    r.run(f"{d}/ledger.json", c, led + ["--format", "json"], at)
    r.run(f"{d}/ledger.en.json", c, led + ["--format", "json", "--lang", "en"], at)
    r.run(f"{d}/ledger.csv", c, led + ["--format", "csv"], at)
    r.run(f"{d}/ledger.en.csv", c, led + ["--format", "csv", "--lang", "en"], at)
    r.run(f"{d}/ledger.short.csv", c, led + ["--format", "csv", "--preset", "short"], at)
    for lang in ["zh", "en"]:
        sheets = os.path.join(tmp, f"csv-{month}-{lang}")
        os.makedirs(sheets)
        r.run(f"{d}/ledger-out-csv.{lang}.txt", c, led + ["--format", "csv", "--lang", lang, "--out", os.path.join(sheets, "ledger.csv")], at)
        for f in sorted(os.listdir(sheets)):
            r.save_file_text(f"{d}/csv-files.{lang}/{f}", os.path.join(sheets, f))
        xlsx = os.path.join(tmp, f"ledger-{month}-{lang}.xlsx")
        r.run(f"{d}/ledger-xlsx.{lang}.txt", c, led + ["--format", "xlsx", "--lang", lang, "--out", xlsx], at)
        r.save_file_text(f"{d}/ledger.{lang}.xlsx.txt", xlsx)
        html = os.path.join(tmp, f"report-{month}-{lang}.html")
        r.run(f"{d}/ledger-html.{lang}.txt", c, led + ["--format", "html", "--lang", lang, "--out", html], at)
        r.save_file_text(f"{d}/report.{lang}.html.txt", html)
    r.run(f"{d}/reports.txt", c, base + ["reports", "--month", month], at)
    r.run(f"{d}/reports.en.txt", c, base + ["reports", "--month", month, "--lang", "en"], at)
    r.run(f"{d}/reports.json", c, base + ["reports", "--month", month, "--format", "json"], at)
    pkg = os.path.join(tmp, f"evidence-{month}.zip")
    r.run(f"{d}/evidence.txt", c, base + ["evidence", "--month", month, "--out", pkg], at)
    r.save_file_text(f"{d}/evidence.members.txt", pkg)
    r.run(f"{d}/verify.txt", c, ["verify", pkg], at)
    r.run(f"{d}/verify.json", c, ["verify", pkg, "--json"], at)
    # The package's own ledger documents, as text.
    inner = os.path.join(tmp, f"evidence-{month}")
    extract.unzip(pkg, inner)
    for rel in extract.members(pkg):
        if rel.endswith((".xlsx", ".html", ".csv")):
            r.save_file_text(f"{d}/evidence/{rel}.txt", os.path.join(inner, rel))


def run_scenario(bins, work, out, repo, faketime):
    os.makedirs(work)
    os.makedirs(out, exist_ok=True)
    r = Runner(bins, work, out, faketime)
    tmp = os.path.join(work, "files")
    os.makedirs(tmp)

    cfg = os.path.join(work, "agent.toml")
    with open(cfg, "w") as f:
        f.write(AGENT_CONFIG)
    osv = os.path.join(work, "osv")
    fixture.write_osv(osv)
    hosts = fixture.build(os.path.join(work, "roots"), repo)
    states = {h: os.path.join(work, "state", h) for h in hosts}
    for h, s in states.items():
        fixture.write_key(os.path.join(s, "agent-key.pem"), h)
    reports = {m: os.path.join(work, "reports", m) for m in ["2026-10", "2026-11"]}
    for p in reports.values():
        os.makedirs(p)
    a = "selfcheck-agent"

    def base(h):
        return ["--root", hosts[h], "--state-dir", states[h], "--config", cfg]

    def vuln(h):
        return ["--vuln-db", osv] if h == "deb12-web-01" else []

    # October: file-integrity baseline on every host, then the month's report.
    for h in hosts:
        r.run(f"agent/{h}/2026-10/fim-init.txt", a, base(h) + ["fim", "init", "--threads", "1"], OCT_AUDIT)
        r.run(f"agent/{h}/2026-10/run.json", a, base(h) + [
            "run", "--period", "2026-10", "--format", "json", "--fail-on", "none",
            "--out", os.path.join(reports["2026-10"], h + ".json")] + vuln(h), OCT_AUDIT)
        r.run(f"agent/{h}/2026-10/fim-check.txt", a, base(h) + ["fim", "check", "--threads", "1"], OCT_AUDIT)

    # November: the hosts changed (roots.november), the month's report, then every other output.
    fixture.november(hosts)
    for h in hosts:
        r.run(f"agent/{h}/run.json", a, base(h) + [
            "run", "--period", "2026-11", "--format", "json", "--fail-on", "none",
            "--out", os.path.join(reports["2026-11"], h + ".json")] + vuln(h), NOV_AUDIT)
        agent_outputs(r, h, hosts[h], states[h], cfg, osv, bool(vuln(h)))
    catalog_outputs(r, cfg)

    # Collector: the registry, October's reports, the ledger; November's, a status change, the ledger.
    c = "selfcheck-collector"
    data = os.path.join(work, "data")
    os.makedirs(data)
    ccfg = os.path.join(work, "collector.toml")
    shutil.copy(os.path.join(repo, "reports/holidays-2026.toml"), os.path.join(work, "holidays-2026.toml"))
    with open(ccfg, "w") as f:
        f.write('[deadlines]\nholidays = "holidays-2026.toml"\n')
    key = os.path.join(data, "collector-key.pem")
    with open(key, "w") as f:
        f.write(fixture.agent_key_pem("collector"))
    os.chmod(key, 0o600)
    cb = ["--data", data, "--config", ccfg]
    reg = os.path.join(work, "资产台账.csv")
    with open(reg, "w", encoding="utf-8") as f:
        f.write(REGISTRY_CSV)
    r.run("collector/assets-import.txt", c, cb + ["assets", "import", reg, "--by", "golden"], OCT_ASSETS)
    r.run("collector/assets-list.txt", c, cb + ["assets", "list"], OCT_ASSETS)
    r.run("collector/assets-list.en.txt", c, cb + ["assets", "list", "--lang", "en"], OCT_ASSETS)
    r.run("collector/assets-list.json", c, cb + ["assets", "list", "--format", "json"], OCT_ASSETS)
    r.run("collector/assets-list.csv", c, cb + ["assets", "list", "--format", "csv"], OCT_ASSETS)
    r.run("collector/2026-10/import.txt", c, cb + ["import", reports["2026-10"]], OCT_IMPORT)
    r.run("collector/2026-10/import-again.txt", c, cb + ["import", os.path.join(reports["2026-10"], "kylin-app-01.json")], OCT_IMPORT)
    collector_month(r, data, ccfg, "2026-10", "2026-10-31", OCT_LEDGER, tmp)
    r.run("collector/2026-11/import.txt", c, cb + ["import", reports["2026-11"]], NOV_IMPORT)
    r.run("collector/2026-11/finding-set.txt", c, cb + [
        "finding", "set", "--asset", "deb12-web-01", "--check", "patches.security-updates",
        "--status", "in_progress", "--by", "张工", "--reason", "周五窗口期",
        "--measure", "升级 openssl", "--owner", "张工"], NOV_SET)
    r.run("collector/2026-11/finding-set-fp.txt", c, cb + [
        "finding", "set", "--asset", "oe-db-01", "--check", "ports.rpcbind-nfs",
        "--status", "false_positive", "--by", "李四", "--reason", "rpcbind only answers the backup VLAN"], NOV_SET)
    collector_month(r, data, ccfg, "2026-11", "2026-11-30", NOV_LEDGER, tmp)
    r.run("collector/history-verify.txt", c, cb + ["history", "verify"], NOV_LEDGER)
    r.run("collector/history-verify.json", c, cb + ["history", "verify", "--json"], NOV_LEDGER)
    r.run("collector/history-list.json", c, cb + ["history", "list", "--json"], NOV_LEDGER)
    r.run("collector/history-list.txt", c, cb + ["history", "list"], NOV_LEDGER)

    # Finding details: every finding number of November's ledger.
    try:
        rc, so = r.run("collector/2026-11/ledger-for-numbers.json", c, cb + ["ledger", "--month", "2026-11", "--as-of", "2026-11-30", "--format", "json"], NOV_LEDGER)
        nos = sorted({row.get("finding_no") for row in json.loads(so).get("rows", []) if row.get("finding_no")})
    except (ValueError, AttributeError):
        nos = []
    for no in nos[:12]:
        r.run(f"collector/2026-11/finding-show/{no}.txt", c, cb + ["finding", "show", no], NOV_LEDGER)
        r.run(f"collector/2026-11/finding-show/{no}.json", c, cb + ["finding", "show", no, "--json"], NOV_LEDGER)

    # The umbrella binary: the same audit and ledger in one step.
    r.run("umbrella/run.en.txt", "selfcheck", [
        "run", "--period", "2026-11", "--lang", "en", "--config", cfg, "--fail-on", "none",
        "--root", hosts["kylin-app-01"], "--state-dir", os.path.join(work, "state-umbrella"),
        "--data", os.path.join(work, "data-umbrella")], NOV_AUDIT)
    r.run("umbrella/agent-ports.txt", "selfcheck", ["agent", "--root", hosts["oe-db-01"], "--state-dir",
          os.path.join(work, "state-umbrella"), "--config", cfg, "ports", "--lang", "en"], NOV_AUDIT)
    r.run("umbrella/collector-reports.txt", "selfcheck", ["collector", "--data", data, "--config", ccfg,
          "reports", "--lang", "en"], NOV_LEDGER)

    help_outputs(r)

    return r.count, r.tokens
