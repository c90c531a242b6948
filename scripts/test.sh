#!/usr/bin/env bash
# make test: system packages if missing, the venv, a throwaway PostgreSQL, then the test layers.
#   scripts/test.sh          unit + functional on PostgreSQL, a smoke subset on SQLite, e2e in Chromium
#   scripts/test.sh --slow   the tests marked slow
set -uo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-}"
started=$(date +%s)

# --- system packages ----------------------------------------------------------------------------------
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then echo "missing system packages: ${missing[*]} (run as root, or install them)"; exit 1; fi
  echo "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || exit 1
fi

make --no-print-directory install || exit 1

# --- a throwaway PostgreSQL on a unix socket, stopped on any exit -------------------------------------
source scripts/pg.sh
trap pg_stop EXIT
pg_start azukari_test -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 || exit 1
export TEST_DATABASE_URL="$PG_URL"
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on ${PGTMP}"

# --- the layers ---------------------------------------------------------------------------------------
failed=()
layer() {
  local name="$1"; shift
  local t0=$(date +%s)
  echo "=== ${name}"
  "$@"
  local rc=$?
  echo "=== ${name}: $(( $(date +%s) - t0 )) s, $([ $rc -eq 0 ] && echo passed || echo FAILED)"
  [ $rc -eq 0 ] || failed+=("$name")
}
PYTEST=(.venv/bin/python -m pytest -p no:cacheprovider)
if [ "$MODE" = "--slow" ]; then
  layer "slow (PostgreSQL)" "${PYTEST[@]}" tests -m slow
  layer "slow e2e (Chromium)" "${PYTEST[@]}" e2e -m slow
else
  layer "lint (ruff)" .venv/bin/ruff check --quiet .
  layer "unit + functional (PostgreSQL)" "${PYTEST[@]}" tests -m "not slow"
  layer "smoke (SQLite)" env -u TEST_DATABASE_URL "${PYTEST[@]}" tests -m "smoke and not slow"
  layer "e2e (Chromium, PostgreSQL)" "${PYTEST[@]}" e2e -m "not slow"
fi

echo "=== total: $(( $(date +%s) - started )) s"
if ((${#failed[@]})); then echo "FAILED: ${failed[*]}"; exit 1; fi
echo "all layers passed"
