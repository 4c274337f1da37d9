#!/usr/bin/env bash
# Remake the example output in reports/examples/ from the fixture host
# tests/fixtures/hosts/kylin-v10 (a Kylin V10 server with telnet, SNMP and Redis exposed),
# inspected for 2026-11. Uses a throw-away state and data directory; nothing on this machine
# is changed.
#
#   reports/make-examples.sh            # into reports/examples/
#   reports/make-examples.sh OUT_DIR    # elsewhere (the test tests/examples_reproduce.rs does)
#
# SELFCHECK=/path/to/selfcheck uses that binary instead of `cargo run`. Report ids, times,
# dates, digests and signatures differ on every run; everything else is reproduced exactly.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-reports/examples}
mkdir -p "$out"
# A work directory of a fixed length, renamed below to a path of the same length, so tables
# that show paths keep their shape wherever the repository and the temporary directory are.
work=$(mktemp -d /tmp/sc-examples.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -a tests/fixtures/hosts/kylin-v10 "$work/root"
sc() {
  if [ -n "${SELFCHECK:-}" ]; then "$SELFCHECK" "$@"; else cargo run -q --bin selfcheck -- "$@"; fi
}
export NO_COLOR=1
unset SELFCHECK_STATE_DIR SELFCHECK_DATA SELFCHECK_AGENT_CONFIG SELFCHECK_COLLECTOR_CONFIG
agent=(agent --root "$work/root" --state-dir "$work/state" --config /dev/null)
# The summary a run ends with, at 80 columns; then the same audit with --details in English.
COLUMNS=80 sc "${agent[@]}" run --period 2026-11 --out "$out/kylin-app-01-2026-11.report.json" \
  > "$out/agent-run-summary.zh.txt"
COLUMNS=160 sc "${agent[@]}" run --period 2026-11 --details --lang en > "$out/agent-run-details.en.txt"
sc collector --data "$work/data" import "$out/kylin-app-01-2026-11.report.json" > /dev/null 2>&1
ledger=(collector --data "$work/data" ledger --month 2026-11)
sc "${ledger[@]}" --format csv > "$out/ledger-2026-11.zh.csv"
sc "${ledger[@]}" --format json > "$out/ledger-2026-11.json"
COLUMNS=80 sc "${ledger[@]}" > "$out/ledger-2026-11.zh.80.txt"
COLUMNS=160 sc "${ledger[@]}" --lang en > "$out/ledger-2026-11.en.160.txt"
sed -i "s|$work|/var/tmp/selfcheck-demo|g" "$out"/*.txt "$out"/*.json "$out"/*.csv
echo "examples written to $out/"
