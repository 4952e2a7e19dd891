#!/usr/bin/env bash
# FerretDB 1.24.2 (MongoDB wire protocol) on the local PostgreSQL, for tests and the demo on
# machines without MongoDB.
#
#   scripts/ferretdb.sh install   build the binary once into the cache
#   scripts/ferretdb.sh start     install if needed, start, print MONGODB_URI=... on stdout
#                                 (and FERRETDB_STARTED=1 when this call started it)
#   scripts/ferretdb.sh stop      stop the instance started by `start`
#   scripts/ferretdb.sh gin       only apply scripts/ferretdb-gin.sql to FERRETDB_PG_URL's
#                                 database FERRETDB_PG_DB (a superuser): GIN twins so that
#                                 FerretDB's equality filters read through indexes
#
# `start` applies ferretdb-gin.sql too, every time (also to an instance already running), and
# only warns when that fails: FerretDB works without the twins, only slower.
#
# Why not plain `go install …/cmd/ferretdb@v1.24.2`: the module as served lacks the generated
# build/version/version.txt, and the binary it builds panics at start-up ("Invalid
# build/version/version.txt"). We build the same module version with that file written,
# which is what FerretDB's own `task gen-version` does.
set -euo pipefail

VERSION=v1.24.2
CACHE=${WARDEN_CACHE_DIR:-$HOME/.cache/wecom-warden}
BIN=$CACHE/ferretdb-$VERSION/ferretdb
RUN=${FERRETDB_RUN_DIR:-$CACHE/run}
PORT=${FERRETDB_PORT:-27027}
PG_URL_BASE=${FERRETDB_PG_URL:-postgres://postgres@127.0.0.1:5432}
PG_DB=${FERRETDB_PG_DB:-wecom_warden}
DB_NAME=${FERRETDB_DB_NAME:-wecom_warden}
GIN_SQL=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/ferretdb-gin.sql

log() { printf 'ferretdb: %s\n' "$*" >&2; }

install_ferretdb() {
  local have=""
  [ -x "$BIN" ] && have=$("$BIN" --version 2>/dev/null || true)
  case "$have" in *"version: $VERSION"*) return 0 ;; esac
  command -v go >/dev/null || { log "Go is required to build FerretDB"; exit 1; }
  log "building FerretDB $VERSION (once, about a minute)"
  local src dir
  src=$(go mod download -json "github.com/FerretDB/FerretDB@$VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || { log "go mod download did not yield a source folder"; exit 1; }
  dir=$(mktemp -d)
  cp -r "$src/." "$dir/"
  chmod -R u+w "$dir"
  echo "$VERSION" > "$dir/build/version/version.txt"
  mkdir -p "$(dirname "$BIN")"
  (cd "$dir" && go build -buildvcs=false -trimpath -o "$BIN.tmp" ./cmd/ferretdb)
  mv "$BIN.tmp" "$BIN"
  rm -rf "$dir"
  log "built $BIN"
}

wait_for_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# Applies ferretdb-gin.sql, printing nothing unless it fails (then psql's messages, on stderr).
apply_gin() {
  local out
  mkdir -p "$RUN"
  # One run at a time on this machine: parallel first runs race on CREATE SCHEMA and deadlock
  # in the concurrent index builds (test runners start this script side by side).
  if out=$(
    exec 9>"$RUN/gin.lock"
    flock -w 900 9 || { echo "waited 15 minutes for another ferretdb-gin run" >&2; exit 1; }
    PGOPTIONS='-c client_min_messages=warning' \
      psql "$PG_URL_BASE/$PG_DB" -X -q -v ON_ERROR_STOP=1 -f "$GIN_SQL" 2>&1 >/dev/null
  ); then
    return 0
  fi
  printf '%s\n' "$out" >&2
  return 1
}

gin_only() {
  apply_gin || { log "GIN twins not applied to PostgreSQL database $PG_DB"; exit 1; }
  log "GIN twins in place in PostgreSQL database $PG_DB"
}

start_ferretdb() {
  install_ferretdb
  mkdir -p "$RUN/state-$PORT"
  if [ -f "$RUN/ferretdb-$PORT.pid" ] && kill -0 "$(cat "$RUN/ferretdb-$PORT.pid")" 2>/dev/null; then
    log "already running on 127.0.0.1:$PORT"
    apply_gin || log "GIN twins not applied; FerretDB will scan instead of reading indexes"
  else
    if ! psql "$PG_URL_BASE/postgres" -tAc "select 1 from pg_database where datname='$PG_DB'" |
      grep -q 1; then
      psql "$PG_URL_BASE/postgres" -qc "create database \"$PG_DB\"" >/dev/null
    fi
    # Before FerretDB starts, so that its first collections get their twins from the trigger.
    apply_gin || log "GIN twins not applied; FerretDB will scan instead of reading indexes"
    # A larger GC target: FerretDB 1.x spends a third of its reading time collecting garbage
    # (measured: ~45 % more documents/s at 800 than at Go's default 100).
    GOGC=${FERRETDB_GOGC:-800} "$BIN" --handler=postgresql --postgresql-url="$PG_URL_BASE/$PG_DB" \
      --listen-addr="127.0.0.1:$PORT" --debug-addr=- --telemetry=disable \
      --state-dir="$RUN/state-$PORT" --log-level=WARN >"$RUN/ferretdb-$PORT.log" 2>&1 &
    echo $! >"$RUN/ferretdb-$PORT.pid"
    wait_for_port || { log "did not start; see $RUN/ferretdb-$PORT.log"; exit 1; }
    log "started on 127.0.0.1:$PORT (PostgreSQL database $PG_DB)"
    echo "FERRETDB_STARTED=1"
  fi
  echo "MONGODB_URI=mongodb://127.0.0.1:$PORT/$DB_NAME"
}

stop_ferretdb() {
  local pidfile=$RUN/ferretdb-$PORT.pid
  [ -f "$pidfile" ] || return 0
  kill "$(cat "$pidfile")" 2>/dev/null || true
  rm -f "$pidfile"
  log "stopped"
}

case "${1:-start}" in
  install) install_ferretdb ;;
  start) start_ferretdb ;;
  stop) stop_ferretdb ;;
  gin) gin_only ;;
  *) log "usage: $0 install|start|stop|gin"; exit 2 ;;
esac
