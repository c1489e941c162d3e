#!/usr/bin/env bash
# Runs a command with a throw-away PostgreSQL cluster:
#
#   server/scripts/with-postgres.sh COMMAND [ARGS...]
#
# - finds PostgreSQL's binaries (GRANTLINE_PG_BIN, else the newest /usr/lib/postgresql/*/bin),
#   installing Debian's `postgresql` package when there are none;
# - creates a cluster in a fresh temporary directory (trust authentication, superuser
#   `postgres`), starts it on a free loopback port, listening on 127.0.0.1 only;
# - runs COMMAND with GRANTLINE_TEST_POSTGRES=postgres://postgres@127.0.0.1:PORT/postgres (an
#   admin URL: grantline-server creates the databases it is pointed at) and
#   GRANTLINE_TEST_POSTGRES_PID (the postmaster, for CPU accounting);
# - stops the cluster and deletes it when COMMAND ends, and also if this script is killed (a
#   watchdog process waits for it), so no server outlives the run.
#
# PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` user.
set -euo pipefail

log() { echo "with-postgres: $*" >&2; }

find_bin() {
  if [ -n "${GRANTLINE_PG_BIN:-}" ]; then
    echo "$GRANTLINE_PG_BIN"
    return
  fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

PG_BIN="$(find_bin)"
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  log "PostgreSQL not found: installing Debian's postgresql package"
  if [ "$(id -u)" = 0 ]; then SUDO=(); else SUDO=(sudo -n); fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  # The package starts a cluster of its own on 5432; ours does not need it.
  "${SUDO[@]}" service postgresql stop >/dev/null 2>&1 || true
  PG_BIN="$(find_bin)"
fi
[ -x "$PG_BIN/initdb" ] || { log "no initdb in $PG_BIN"; exit 2; }

DIR="$(mktemp -d "${TMPDIR:-/tmp}/grantline-pg.XXXXXX")"
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir "$DIR" postgres
  chown postgres "$DIR"
  AS=(runuser -u postgres --)
else
  AS=()
fi

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

"${AS[@]}" "$PG_BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --no-locale \
  >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; rm -rf "$DIR"; exit 2; }

stop_cluster() {
  "${AS[@]}" "$PG_BIN/pg_ctl" -D "$DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
    "${AS[@]}" "$PG_BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}

# Settings: loopback only, enough connections for parallel tests, durable commits (fsync and
# synchronous_commit stay on: what the tests and the benchmark claim holds for a real server).
"${AS[@]}" "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-p $PORT -k $DIR -h 127.0.0.1 -c max_connections=300 -c shared_buffers=512MB -c max_wal_size=4GB" \
  start >/dev/null || { cat "$DIR/server.log" >&2; stop_cluster; exit 2; }
PID="$(head -n 1 "$DIR/data/postmaster.pid")"
log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT ($DIR)"

# The watchdog: stops the cluster when this script goes away, however it goes.
(
  trap '' INT TERM HUP
  while kill -0 $$ 2>/dev/null; do sleep 1; done
  [ -d "$DIR" ] && stop_cluster
) </dev/null >/dev/null 2>&1 &
disown

trap stop_cluster EXIT
export GRANTLINE_TEST_POSTGRES="postgres://postgres@127.0.0.1:$PORT/postgres"
export GRANTLINE_TEST_POSTGRES_PID="$PID"
set +e
"$@"
status=$?
set -e
exit "$status"
