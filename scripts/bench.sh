#!/usr/bin/env bash
# make bench: every bench/bench_*.py prints its figures and a ratio against its named peer; then bench/lighthouse.py
# (Lighthouse scores, first-load JS + CSS, installability) against the issue's goals.
# make bench-lighthouse (scripts/bench.sh lighthouse): only the Lighthouse run.
set -euo pipefail
cd "$(dirname "$0")/.."
only="${1:-}"
# wrk (the load generator), PostgreSQL (a throwaway cluster) and Chromium (Lighthouse's browser) from Debian, when missing.
missing=()
if [ "$only" != lighthouse ]; then
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
fi
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then echo "missing system packages: ${missing[*]} (run as root, or install them)"; exit 1; fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$only" = lighthouse ]; then
  echo "=== bench/lighthouse.py"
  exec .venv/bin/python bench/lighthouse.py
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
echo "=== bench/lighthouse.py"
.venv/bin/python bench/lighthouse.py
