#!/usr/bin/env bash
# Remake the example output in reports/examples/ from the fixture host
# tests/fixtures/hosts/kylin-v10 (a Kylin V10 server with telnet, SNMP and Redis exposed).
# Uses a throw-away state and data directory; nothing on this machine is changed.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sc() { cargo run -q --bin selfcheck -- "$@"; }
out=reports/examples
sc agent run --root tests/fixtures/hosts/kylin-v10 --state-dir "$work/state" --config /dev/null \
  --period 2026-11 --fail-on none --out "$out/kylin-app-01-2026-11.report.json" --lang zh > "$out/agent-run-summary.zh.txt"
sc collector --data "$work/data" import "$out/kylin-app-01-2026-11.report.json" > /dev/null
sc collector --data "$work/data" ledger --month 2026-11 --format csv --lang zh --out "$out/ledger-2026-11.zh.csv"
sc collector --data "$work/data" ledger --month 2026-11 --format json --out "$out/ledger-2026-11.json"
COLUMNS=200 sc collector --data "$work/data" ledger --month 2026-11 --format table --lang en > "$out/ledger-2026-11.en.txt"
sed -i "s|$work|/var/lib/selfcheck/agent|g" "$out/agent-run-summary.zh.txt"
echo "examples written to $out/"
