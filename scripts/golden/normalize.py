"""Normalise one side's outputs so that only behaviour is compared.

Replaced (everything else must match exactly):
  - the temporary work directory, the bin dir, the repo   -> <WORK> (...)
  - random report ids (32 hex) and the sha256 of each report file, in full
    or as a prefix of 8+ digits                           -> <REPORT-ID cmd>, <REPORT-SHA256 cmd>
    where cmd is the output file of the command that wrote the report, so
    the same name on both sides (scenario.Runner.new_reports)
  - the sha256 of the file-integrity baseline files        -> <FIM-SHA256 host/file by cmd>
  - Ed25519 signature values (128 hex)                     -> <SIG>
  - history hash-chain values (sm3:64 hex; they hash timestamps) -> sm3:<CHAIN>
  - times of day in RFC 3339 / 'YYYY-MM-DD HH:MM[:SS]' (the date is kept) -> DATE T<TIME>
  - JSON numbers of timing/resource/inode fields (scan_millis, peak_rss_kib,
    ctime, inode, *_ms, ...)                               -> 0
  - durations after 'in'/'took'/'用时' ('in 0.0 s')        -> <DURATION>
  - uuids                                                  -> <UUID>
  - in evidence outputs: byte counts and member digests    -> <SIZE>, <DIGEST>
The agent and collector keys are fixed by the scenario, so public keys and
key fingerprints are compared as they are; finding fingerprints are
deterministic and compared too.
"""

import os
import re

TIME_RE = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2}|\s?UTC|\s?CST)?(?![\d])")
HEX_RE = re.compile(r"(?<![0-9a-f])[0-9a-f]{8,64}(?![0-9a-f])")
SM3_RE = re.compile(r"sm3:[0-9a-f]{64}")
SIG_RE = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{128}(?![0-9a-fA-F])")
UUID_RE = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
# "in 0.12 s", "took 12ms", "用时 0.3 秒", "(1.2s)"
DURATION_CTX_RE = re.compile(
    r"((?:in|took|elapsed|duration|用时|耗时)\s*[:：]?\s*)\d+(?:\.\d+)?\s?(?:ms|µs|us|ns|s|秒|毫秒)")
JSON_NUM_FIELD_RE = re.compile(
    r'("(?:ctime|ctime_ns|inode|ino|elapsed|duration|[a-z_]*_(?:millis|ms|us|nanos|ns|secs|seconds|kib|kb|bytes_rss)|'
    r'peak_rss[a-z_]*|rss[a-z_]*)"\s*:\s*)-?\d+(?:\.\d+)?')
BYTES_RE = re.compile(r"\b\d+( bytes?| 字节)\b")
DIGEST_FIELD_RE = re.compile(r'("(?:sha256|digest|sha256_hex|sm3)"\s*:\s*")[0-9a-f]{64}(")')


class Normalizer:
    def __init__(self, work, tokens, extra_paths=()):
        """tokens: {random hex value (report id, report digest): placeholder}."""
        self.paths = sorted({p for p in [work, os.path.realpath(work), *extra_paths] if p}, key=len, reverse=True)
        self.tokens = dict(tokens)
        self.prefix = {}
        for tok in self.tokens:
            self.prefix.setdefault(tok[:8], []).append(tok)

    def _hex(self, m):
        s = m.group(0)
        for tok in self.prefix.get(s[:8], ()):
            if tok == s:
                return self.tokens[tok]
            if tok.startswith(s):
                return self.tokens[tok] + "[:" + str(len(s)) + "]"
        return s

    def text(self, t, rel=""):
        for p in self.paths:
            t = t.replace(p, "<WORK>")
        if self.tokens:
            # a known random value, or a prefix of 8 or more of its digits
            t = HEX_RE.sub(self._hex, t)
        t = SM3_RE.sub("sm3:<CHAIN>", t)
        t = UUID_RE.sub("<UUID>", t)
        t = SIG_RE.sub("<SIG>", t)
        t = TIME_RE.sub(lambda m: f"{m.group(1)}T<TIME>", t)
        t = JSON_NUM_FIELD_RE.sub(lambda m: m.group(1) + "0", t)
        t = DURATION_CTX_RE.sub(lambda m: m.group(1) + "<DURATION>", t)
        t = BYTES_RE.sub(lambda m: "<SIZE>" + m.group(1), t) if "evidence" in rel else t
        if "/evidence" in rel or "verify" in rel or "manifest" in rel:
            t = DIGEST_FIELD_RE.sub(lambda m: m.group(1) + "<DIGEST>" + m.group(2), t)
        return t

    def tree(self, src, dst):
        """Normalise every file below src into dst (same relative paths)."""
        n = 0
        for dirpath, _, files in os.walk(src):
            for fn in files:
                s = os.path.join(dirpath, fn)
                rel = os.path.relpath(s, src)
                d = os.path.join(dst, rel)
                os.makedirs(os.path.dirname(d), exist_ok=True)
                with open(s, encoding="utf-8", errors="replace") as f:
                    t = f.read()
                with open(d, "w", encoding="utf-8") as f:
                    f.write(self.text(t, rel))
                n += 1
        return n
