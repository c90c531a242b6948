#!/usr/bin/env bash
# make bench: every bench/bench_*.py prints its figures and a ratio against its named peer.
set -euo pipefail
cd "$(dirname "$0")/.."
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
