#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on 127.0.0.1 for the PostgreSQL test tier.
# Prints the URL to use as AIIVR_TEST_PG_URL. Idempotent: reuses a running cluster.
# initdb refuses to run as root, so the cluster belongs to the postgres user.
set -euo pipefail

PGPORT="${AIIVR_PG_PORT:-54329}"
PGDATA="${AIIVR_PG_DATA:-/tmp/aiivr-pg}"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    rm -rf "$PGDATA"; mkdir -p "$PGDATA"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDATA"
    as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGDATA -c fsync=off -c max_connections=200" start >/dev/null
fi
echo "postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres"
