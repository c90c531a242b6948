#!/usr/bin/env bash
# make bench: every bench/bench_*.py prints its figures and a ratio against its named peer; then bench/lighthouse.py
# (Lighthouse scores, first-load JS + CSS, installability) against the issue's goals.
# make bench-lighthouse (scripts/bench.sh lighthouse): only the Lighthouse run.
# bench/faults.py (the fault drills under load: PostgreSQL restarted, the worker killed mid-transfer, peers down, ~8 min)
# runs after bench/load.py; make bench-faults (scripts/bench.sh faults [ARGS]) runs it alone.
# bench/load.py (the Locust load test: 20, 50, 100 users × 2 min on 50,000 residents, ~10 min) runs after the
# bench_*.py; make bench-load (scripts/bench.sh load [ARGS]) runs it alone, ARGS passed on (e.g. --residents 5000).
set -euo pipefail
cd "$(dirname "$0")/.."
only="${1:-}"
# wrk (the load generator), PostgreSQL (a throwaway cluster) and Chromium (Lighthouse's browser) from Debian, when missing.
missing=()
if [ "$only" = load ] || [ "$only" = faults ]; then
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
elif [ "$only" != lighthouse ]; then
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
fi
[ "$only" = load ] || [ "$only" = faults ] || command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then echo "missing system packages: ${missing[*]} (run as root, or install them)"; exit 1; fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$only" = lighthouse ]; then
  echo "=== bench/lighthouse.py"
  exec .venv/bin/python bench/lighthouse.py
fi
if [ "$only" = load ]; then
  shift
  echo "=== bench/load.py"
  exec .venv/bin/python bench/load.py "$@"
fi
if [ "$only" = faults ]; then
  shift
  echo "=== bench/faults.py"
  exec .venv/bin/python bench/faults.py "$@"
fi
shopt -s nullglob
benches=(bench/bench_*.py)
if ((${#benches[@]} == 0)); then
  echo "no benchmarks yet (bench/README.md says what goes there)"
fi
for bench in "${benches[@]}"; do
  echo "=== ${bench}"
  .venv/bin/python "$bench"
done
echo "=== bench/load.py"
.venv/bin/python bench/load.py
echo "=== bench/faults.py"
.venv/bin/python bench/faults.py
echo "=== bench/lighthouse.py"
.venv/bin/python bench/lighthouse.py
