#!/usr/bin/env bash
# Benchmark: `selfcheck-agent fim init` against `aide --init` on the same tree, in the same run,
# with the same attributes (type, size, mode, uid, gid, inode, link count, mtime, ctime, link
# target, capabilities, SHA-256), AIDE's worker count set to the core count, warm cache.
# Also prints the machine's hashing limit (bytes / (cores x single-core SHA-256 speed from
# `openssl speed -evp sha256`)) and `fim check` with nothing changed.
#
# Usage: crates/agent/benches/fim_vs_aide.sh [TREE]     (default /usr; needs aide, openssl, GNU time)
set -euo pipefail
tree=${1:-/usr}
cores=$(nproc)
top=$(cd "$(dirname "$0")/../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for tool in aide openssl /usr/bin/time python3; do
  command -v "$tool" >/dev/null || { echo "fim_vs_aide: $tool is missing (apt-get install aide openssl time)"; exit 1; }
done
cd "$top"
cargo build -q --release -p selfcheck-agent
agent="$top/target/release/selfcheck-agent"

# A catalog whose fim scope is just $tree with every attribute (AIDE's rule below).
mkdir -p "$work/checks"
cp checks/*.toml "$work/checks/"
python3 - "$work/checks/fim.toml" "$tree" <<'PY'
import sys
path, tree = sys.argv[1], sys.argv[2]
text = open(path).read()
start = text.index("[[check.params.rules]]")
end = text.index("[[check]]", start)
rule = f'[[check.params.rules]]\npath = "{tree}"\nattrs = "full"\nrecurse = true\n\n'
open(path, "w").write(text[:start] + rule + text[end:])
PY
cat > "$work/aide.conf" <<CONF
database_out=file:$work/aide.db
gzip_dbout=no
num_workers=$cores
report_url=stdout
SC = p+u+g+s+m+c+i+n+l+caps+sha256
$tree SC
CONF

measure() { # label, command...: prints "label seconds kib"
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
  read -r secs kib < "$work/time"
  echo "$label $secs $kib"
}

echo "fim_vs_aide: tree $tree, $cores cores"
# Warm the cache with one untimed run of each.
aide --init --config "$work/aide.conf" >/dev/null 2>&1 || true
"$agent" --checks "$work/checks" --state-dir "$work/warm" fim init >/dev/null
rm -f "$work/aide.db"

read -r _ aide_s aide_kib < <(measure aide aide --init --config "$work/aide.conf")
read -r _ sc_s sc_kib < <(measure selfcheck "$agent" --checks "$work/checks" --state-dir "$work/state" fim init)
read -r _ chk_s chk_kib < <(measure check "$agent" --checks "$work/checks" --state-dir "$work/state" fim check)
# What reading the bytes alone costs here (same system calls, no hashing).
cargo build -q --release -p selfcheck-agent --bench read_floor
floor_bin=$(ls -t target/release/deps/read_floor-* | grep -v '\.d$' | head -1)
"$floor_bin" "$tree" "$cores" >/dev/null
read -r _ floor_s _ < <(measure floor "$floor_bin" "$tree" "$cores")

bytes=$(python3 - "$tree" <<'PY'
import os, stat, sys
total, seen = 0, set()
dev = os.lstat(sys.argv[1]).st_dev
for d, dirs, files in os.walk(sys.argv[1]):
    dirs[:] = [x for x in dirs if os.lstat(os.path.join(d, x)).st_dev == dev]
    for f in files:
        try:
            st = os.lstat(os.path.join(d, f))
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            total += st.st_size
print(total)
PY
)
speed=$(openssl speed -evp sha256 -seconds 1 -bytes 16384 2>/dev/null | awk '/^sha256/ {print $NF}' | tr -d k)
python3 - "$aide_s" "$aide_kib" "$sc_s" "$sc_kib" "$chk_s" "$chk_kib" "$bytes" "$speed" "$cores" "$floor_s" <<'PY'
import sys
aide_s, aide_kib, sc_s, sc_kib, chk_s, chk_kib, nbytes, speed_k, cores, floor_s = sys.argv[1:]
aide_s, sc_s, chk_s = float(aide_s), float(sc_s), float(chk_s)
limit = int(nbytes) / (int(cores) * float(speed_k) * 1000)
print(f"content hashed: {int(nbytes)/1e9:.2f} GB; single-core SHA-256 {float(speed_k)/1e6:.2f} GB/s; hashing limit {limit:.2f} s")
print(f"aide --init:          {aide_s:7.2f} s, peak {int(aide_kib)/1024:7.1f} MB")
print(f"selfcheck fim init:   {sc_s:7.2f} s, peak {int(sc_kib)/1024:7.1f} MB")
print(f"selfcheck fim check:  {chk_s:7.2f} s, peak {int(chk_kib)/1024:7.1f} MB (nothing changed)")
print(f"read floor (no hash): {float(floor_s):7.2f} s: reading the bytes alone, same system calls, {cores} threads")
speedup, vs_limit = aide_s / sc_s, sc_s / limit
ok = speedup >= 2 and vs_limit <= 1.3 and int(sc_kib) < int(aide_kib)
print(f"selfcheck is {speedup:.1f}x faster than aide (target >= 2x); {vs_limit:.2f}x the hashing limit (target <= 1.3x); memory {'below' if int(sc_kib) < int(aide_kib) else 'NOT below'} aide's")
floor = float(floor_s)
print(f"selfcheck is {sc_s / (limit + floor):.2f}x (hashing limit + read floor = {limit + floor:.2f} s), the least any content scan can take here")
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
PY
