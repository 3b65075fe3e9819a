#!/usr/bin/env bash
# A throw-away PostgreSQL primary and a streaming read replica of it, on this machine, for trying
# civic311's read replica (docs/running-in-production.md, "A read replica") and for its test
# (tests/test_read_replica.py runs this same script).
#
#   deploy/local-replica.sh start    initdb a primary, pg_basebackup -R a hot standby from it, start both,
#                                    wait until the standby is in recovery, print the two URLs
#   deploy/local-replica.sh env      print DATABASE_URL and DATABASE_REPLICA_URL (for `eval`)
#   deploy/local-replica.sh status   each server's port and pg_is_in_recovery()
#   deploy/local-replica.sh stop     stop both (the replica first) and delete every file of both
#   deploy/local-replica.sh bindir   print the PostgreSQL server binaries' folder; fails when there are none
#
# Environment: REPLICA_DIR (default ./var/local-replica: data, logs and sockets of both servers),
# PRIMARY_PORT (55432), REPLICA_PORT (55433), REPLICA_DB (civic311), PG_BIN (default: the newest
# /usr/lib/postgresql/*/bin, else `pg_config --bindir`). Both servers listen on 127.0.0.1 only and trust
# every local connection, and the primary runs with fsync off: for a laptop or CI, never for data.
# Run as root, the servers run as the `postgres` user (PostgreSQL refuses to run as root).
#
# A developer's session:
#   deploy/local-replica.sh start && eval "$(deploy/local-replica.sh env)"
#   .venv/bin/python manage.py migrate && .venv/bin/python manage.py runserver
#   deploy/local-replica.sh stop
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${REPLICA_DIR:-${CIVIC311_VAR_DIR:-$ROOT/var}/local-replica}"
PRIMARY_PORT="${PRIMARY_PORT:-55432}"
REPLICA_PORT="${REPLICA_PORT:-55433}"
DB="${REPLICA_DB:-civic311}"
SLOT="civic311_local_replica"
say() { echo "local-replica: $*" >&2; }
die() { say "$*"; exit 1; }

bindir() {
    if [[ -n "${PG_BIN:-}" ]]; then
        [[ -x "$PG_BIN/initdb" ]] || return 1
        echo "$PG_BIN"; return 0
    fi
    local found
    found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -z "$found" ]] && command -v pg_config >/dev/null; then
        found="$(pg_config --bindir)"
    fi
    [[ -n "$found" && -x "$found/initdb" && -x "$found/pg_basebackup" ]] || return 1
    echo "$found"
}

# Server programs must not run as root: as root, run them as `postgres`.
as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

sql() {  # sql PORT QUERY: one value, over TCP as the postgres superuser
    "$BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$1" -U postgres -d postgres -c "$2"
}

url() { echo "postgres://postgres@127.0.0.1:$1/$DB"; }

start() {
    [[ -e "$DIR/primary" || -e "$DIR/replica" ]] && die "$DIR already holds servers: run '$0 stop' first"
    mkdir -p "$DIR"
    if [[ "$(id -u)" == 0 ]]; then chown postgres: "$DIR"; fi
    chmod 0700 "$DIR"

    say "initdb the primary in $DIR/primary (PostgreSQL binaries in $BIN)"
    as_owner "$BIN/initdb" --pgdata="$DIR/primary" --username=postgres --auth=trust --encoding=UTF8 \
        --locale=C.UTF-8 --no-sync >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
    as_owner tee -a "$DIR/primary/postgresql.conf" >/dev/null <<CONF
# local-replica.sh
listen_addresses = '127.0.0.1'
port = $PRIMARY_PORT
unix_socket_directories = '$DIR'
wal_level = replica
max_wal_senders = 4
max_replication_slots = 4
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
    # Trust, from this machine only: ordinary connections and the replica's replication connection.
    as_owner tee "$DIR/primary/pg_hba.conf" >/dev/null <<HBA
local all         all                trust
host  all         all  127.0.0.1/32  trust
host  replication all  127.0.0.1/32  trust
HBA
    as_owner "$BIN/pg_ctl" --pgdata="$DIR/primary" --log="$DIR/primary.log" --wait --timeout=30 start >/dev/null \
        || { cat "$DIR/primary.log" >&2; die "the primary did not start"; }
    sql "$PRIMARY_PORT" "CREATE DATABASE $DB" >/dev/null

    say "pg_basebackup -R the replica into $DIR/replica"
    # -R writes primary_conninfo and standby.signal; -C -S keeps WAL on the primary until the replica has it.
    as_owner "$BIN/pg_basebackup" --host=127.0.0.1 --port="$PRIMARY_PORT" --username=postgres \
        --pgdata="$DIR/replica" --write-recovery-conf --create-slot --slot="$SLOT" --wal-method=stream \
        --checkpoint=fast --no-sync
    as_owner tee -a "$DIR/replica/postgresql.conf" >/dev/null <<CONF
# local-replica.sh: the replica
port = $REPLICA_PORT
hot_standby = on
hot_standby_feedback = on
CONF
    as_owner "$BIN/pg_ctl" --pgdata="$DIR/replica" --log="$DIR/replica.log" --wait --timeout=30 start >/dev/null \
        || { cat "$DIR/replica.log" >&2; die "the replica did not start"; }

    local tries=0
    until [[ "$(sql "$REPLICA_PORT" "SELECT pg_is_in_recovery()" 2>/dev/null || true)" == "t" ]]; do
        (( ++tries > 60 )) && die "the replica is not in recovery after 30 s (see $DIR/replica.log)"
        sleep 0.5
    done
    until [[ "$(sql "$PRIMARY_PORT" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" == "1" ]]; do
        (( ++tries > 60 )) && die "the replica is not streaming after 30 s (see $DIR/replica.log)"
        sleep 0.5
    done
    say "primary on port $PRIMARY_PORT, streaming replica (hot standby) on port $REPLICA_PORT"
    env_lines
}

env_lines() {
    echo "export DATABASE_URL=$(url "$PRIMARY_PORT")"
    echo "export DATABASE_REPLICA_URL=$(url "$REPLICA_PORT")"
}

status() {
    local port
    for port in "$PRIMARY_PORT" "$REPLICA_PORT"; do
        echo "port $port: in recovery: $(sql "$port" "SELECT pg_is_in_recovery()" 2>/dev/null || echo 'not running')"
    done
}

stop() {
    local data
    for data in "$DIR/replica" "$DIR/primary"; do
        if [[ -f "$data/postmaster.pid" ]]; then
            as_owner "$BIN/pg_ctl" --pgdata="$data" --mode=immediate --wait --timeout=30 stop >/dev/null 2>&1 \
                || say "could not stop the server in $data"
        fi
    done
    rm -rf "$DIR"
    say "stopped; removed $DIR"
}

case "${1:-}" in
    bindir) bindir || die "no PostgreSQL server binaries (initdb, pg_basebackup); set PG_BIN" ;;
    start|stop|status|env)
        BIN="$(bindir)" || die "no PostgreSQL server binaries (initdb, pg_basebackup); set PG_BIN"
        case "$1" in
            start) start ;;
            stop) stop ;;
            status) status ;;
            env) env_lines ;;
        esac ;;
    *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
