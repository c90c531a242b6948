#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on a unix socket in a temporary folder; as root, the cluster runs as `postgres`
# (initdb refuses root). Shared by the tests and the benchmarks:
#   source scripts/pg.sh; pg_start DB [-c name=value ...]   sets PGTMP (the folder) and PG_URL (SQLAlchemy URL)
#   pg_stop [DIR]                                          stops the cluster and removes the folder
#   scripts/pg.sh start DB [-c name=value ...]             prints the folder, then the URL (for Python callers)
#   scripts/pg.sh stop DIR

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

pg_as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_user() { if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi; }

pg_start() {
  local db="$1" user
  shift
  user=$(pg_user)
  PGTMP=$(mktemp -d /tmp/azukari-pg.XXXXXX)
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PGTMP"; fi
  pg_as_owner "$PGBIN/initdb" -D "$PGTMP/data" -U "$user" -A trust -E UTF8 --no-sync >/dev/null \
    || { echo "initdb failed" >&2; return 1; }
  # No TCP listener: only this machine's processes reach it, through the socket in the folder.
  pg_as_owner "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -o "-k $PGTMP -c listen_addresses='' $*" \
    start >/dev/null || { cat "$PGTMP/server.log" >&2; return 1; }
  pg_as_owner "$PGBIN/createdb" -h "$PGTMP" -U "$user" "$db" || return 1
  PG_URL="postgresql+psycopg://${user}@/${db}?host=${PGTMP}"
}

pg_stop() {
  local dir="${1:-${PGTMP:-}}"
  [ -n "$dir" ] || return 0
  pg_as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$dir"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -uo pipefail
  case "${1:-}" in
    start) shift; pg_start "$@" || { pg_stop; exit 1; }; echo "$PGTMP"; echo "$PG_URL" ;;
    stop) pg_stop "${2:?the folder pg.sh start printed}" ;;
    *) echo "usage: scripts/pg.sh start DB [-c name=value ...] | stop DIR" >&2; exit 2 ;;
  esac
fi
