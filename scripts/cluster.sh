#!/usr/bin/env bash
# The throwaway PostgreSQL cluster of the demo and the tests.
#
#   scripts/cluster.sh start      initdb (once) and start; idempotent
#   scripts/cluster.sh stop       stop if running
#   scripts/cluster.sh psql ...   psql on the cluster's sales_kpi database
#   scripts/cluster.sh env        print the PG* variables to reach it
#   scripts/cluster.sh regress    run pg_regress (make installcheck) against it
#   scripts/cluster.sh pgtap      run the pgTAP suites with pg_prove
#   scripts/cluster.sh destroy    stop and delete the cluster
#
# The data directory and the unix socket live in .cluster/ in the checkout;
# nothing listens on TCP.  PostgreSQL refuses to run as root, so as root the
# server runs as the 'postgres' system user (created by the Debian package);
# if that user cannot reach the checkout (a clone under /root, say), the
# cluster lives in a directory under /tmp named after the checkout instead.
#
# The integration tests run further throwaway clusters beside it, named by
# SALES_KPI_CLUSTER (in .cluster/<name>/), each on its own port
# (SALES_KPI_PORT), listening on TCP only where SALES_KPI_LISTEN says so
# (loopback addresses only).  The main cluster's port, 54329, is not
# PostgreSQL's default, so that a system cluster on 5432 never collides.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dir="$top/.cluster"
if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$top" 2>/dev/null; then
  dir="/tmp/sales_kpi-cluster-$(printf %s "$top" | md5sum | cut -c1-12)"
fi
name=${SALES_KPI_CLUSTER:-}
if [ -n "$name" ]; then
  dir="$dir/$name"
fi
data="$dir/data"
sock="$dir"
port=${SALES_KPI_PORT:-54329}
listen=${SALES_KPI_LISTEN:-}
case ",$listen," in
  ,,|,127.0.0.1,|,localhost,|,::1,|,127.0.0.1\,::1,) ;;
  *) echo "SALES_KPI_LISTEN may only name loopback addresses, not '$listen'." >&2; exit 2 ;;
esac
bindir=$(/usr/lib/postgresql/15/bin/pg_config --bindir 2>/dev/null || pg_config --bindir)
dbname=sales_kpi

export PGHOST="$sock" PGPORT="$port" PGUSER=postgres PGDATABASE="$dbname"

as_server() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

running() {
  [ -f "$data/postmaster.pid" ] && as_server "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

start() {
  if [ ${#sock} -gt 90 ]; then
    echo "The checkout path is too long for a unix socket ($sock); clone it somewhere shorter." >&2
    exit 1
  fi
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    [ -z "$name" ] || chown postgres: "$(dirname "$dir")"
    chown postgres: "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      echo "The postgres user cannot write to $dir." >&2
      exit 1
    fi
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    as_server "$bindir/initdb" -D "$data" -U postgres --auth=trust \
      --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    echo "include 'sales_kpi.conf'" >>"$data/postgresql.conf"
  fi
  # The cluster's own settings, rewritten at every start; a change restarts.
  conf=$(cat <<EOF
# sales_kpi throwaway cluster (written by scripts/cluster.sh)
listen_addresses = '$listen'
unix_socket_directories = '$sock'
port = $port
shared_preload_libraries = 'pg_cron'
cron.database_name = '$dbname'
cron.use_background_workers = on
max_worker_processes = 24
max_parallel_workers = 8
max_parallel_workers_per_gather = 2
shared_buffers = ${SALES_KPI_SHARED_BUFFERS:-512MB}
work_mem = 64MB
maintenance_work_mem = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
timezone = 'UTC'
EOF
)
  if [ "$(cat "$data/sales_kpi.conf" 2>/dev/null)" != "$conf" ]; then
    printf '%s\n' "$conf" >"$data/sales_kpi.conf"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$data/sales_kpi.conf"; fi
    if running; then
      as_server "$bindir/pg_ctl" -D "$data" -m fast -w restart -l "$dir/server.log" >/dev/null
    fi
  fi
  if ! running; then
    as_server "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
      { tail -20 "$dir/server.log" >&2; exit 1; }
  fi
  if [ -n "$listen" ] && ! psql -h 127.0.0.1 -d postgres -XtAc "SELECT 1" >/dev/null 2>&1; then
    echo "The cluster in $dir does not answer on 127.0.0.1:$port (is the port taken?)." >&2
    tail -5 "$dir/server.log" >&2
    exit 1
  fi
  if ! psql -d postgres -XtAc "SELECT 1 FROM pg_database WHERE datname = '$dbname'" | grep -q 1; then
    psql -d postgres -XqAc "CREATE DATABASE $dbname"
  fi
  echo "cluster running: psql -h $sock -p $port -U postgres $dbname"
}

stop() {
  if [ -f "$data/PG_VERSION" ] && running; then
    as_server "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  destroy)
    # the main cluster's directory holds the named ones: stop them first
    if [ -z "$name" ]; then
      for sub in "$dir"/*/data; do
        [ -f "$sub/postmaster.pid" ] && as_server "$bindir/pg_ctl" -D "$sub" -m immediate -w stop >/dev/null 2>&1 || true
      done
    fi
    stop; rm -rf "$dir" ;;
  psql) shift; exec psql -X "$@" ;;
  env) echo "export PGHOST='$sock' PGPORT=$port PGUSER=postgres PGDATABASE=$dbname" ;;
  regress)
    cd "$top"
    if ! make --no-print-directory installcheck; then
      [ -f regression.diffs ] && cat regression.diffs
      exit 1
    fi
    ;;
  pgtap)
    cd "$top"
    PGOPTIONS="-c client_min_messages=warning" psql -d postgres -XqAc "DROP DATABASE IF EXISTS sales_kpi_tap" -c "CREATE DATABASE sales_kpi_tap"
    psql -d sales_kpi_tap -XqAc "CREATE EXTENSION pgtap" -c "CREATE EXTENSION sales_kpi"
    PGDATABASE=sales_kpi_tap pg_prove --ext .sql -r test/pgtap
    ;;
  *) echo "usage: $0 start|stop|destroy|psql|env|regress|pgtap" >&2; exit 2 ;;
esac
