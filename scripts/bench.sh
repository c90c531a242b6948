#!/usr/bin/env bash
# make bench: every bench/bench_*.py prints its figures and a ratio against its named peer.
set -euo pipefail
cd "$(dirname "$0")/.."
# wrk (the load generator) and PostgreSQL (a throwaway cluster) from Debian, when missing.
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then echo "missing system packages: ${missing[*]} (run as root, or install them)"; exit 1; fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
shopt -s nullglob
benches=(bench/bench_*.py)
if ((${#benches[@]} == 0)); then
  echo "no benchmarks yet (bench/README.md says what goes there)"
  exit 0
fi
for bench in "${benches[@]}"; do
  echo "=== ${bench}"
  .venv/bin/python "$bench"
done
