#!/bin/sh
# A PostgreSQL primary and a streaming standby on one machine, from Debian's PostgreSQL binaries:
# the primary on <port>, the standby on <port>+1, data folders <dir>/primary and <dir>/standby,
# both owned by the postgres user, trust authentication on 127.0.0.1 only. Used by the failover
# test and the chaos suite; a real deployment runs the same two servers on two machines
# (README, "Running a cluster").
#
# The standby is synchronous (synchronous_standby_names on the primary, synchronous_commit = on):
# a commit the bus has acknowledged is on both servers, so promoting the standby loses none.
#
#   postgres-pair.sh start <dir> [<port>]          initdb, start the primary, pg_basebackup -R the standby, start it
#   postgres-pair.sh stop <dir>                    stop both (fast)
#   postgres-pair.sh kill-primary <dir>            stop the primary at once (-m immediate), as a crash would
#   postgres-pair.sh promote <dir>                 promote the standby; it stops waiting for a synchronous peer
#   postgres-pair.sh urls <dir> [<port>] [<db>]    the DATABASE_URL naming both hosts
#
# Bounded: every pg_ctl call waits at most 60 s.
set -eu
action=$1
dir=$2
port=${3:-5441}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/pg_ctl" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}
ctl() { as_postgres "$bin/pg_ctl" -t 60 -w "$@"; }
running() { [ -f "$1/postmaster.pid" ] && as_postgres "$bin/pg_ctl" status -D "$1" >/dev/null 2>&1; }

case "$action" in
  start)
    standby_port=$((port + 1))
    # Servers of an interrupted run in this folder go first.
    for node in standby primary; do
      running "$dir/$node" && ctl stop -D "$dir/$node" -m immediate >/dev/null || true
    done
    rm -rf "$dir/primary" "$dir/standby"
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    as_postgres "$bin/initdb" -D "$dir/primary" --auth=trust --username=postgres --encoding=UTF8 >"$dir/initdb.log"
    cat >>"$dir/primary/postgresql.conf" <<CONF
# edoc-bus primary (scripts/cluster/postgres-pair.sh)
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
wal_level = replica
max_wal_senders = 5
wal_keep_size = '256MB'
synchronous_commit = on
synchronous_standby_names = 'edoc_standby'
CONF
    ctl start -D "$dir/primary" -l "$dir/primary.log" >/dev/null
    as_postgres "$bin/pg_basebackup" -h 127.0.0.1 -p "$port" -U postgres -D "$dir/standby" -R -X stream >/dev/null
    {
      echo "port = $standby_port"
      # The name the primary's synchronous_standby_names waits for.
      echo "primary_conninfo = 'host=127.0.0.1 port=$port user=postgres application_name=edoc_standby'"
    } >>"$dir/standby/postgresql.auto.conf"
    ctl start -D "$dir/standby" -l "$dir/standby.log" >/dev/null
    # The standby counts as synchronous once it streams.
    for _ in $(seq 1 120); do
      state=$(as_postgres "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -Atc \
        "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'edoc_standby'" 2>/dev/null || true)
      [ "$state" = sync ] && break
      sleep 0.5
    done
    [ "$state" = sync ] || { echo "the standby did not become synchronous" >&2; exit 1; }
    echo "primary on $port, synchronous standby on $standby_port"
    ;;
  stop)
    for node in standby primary; do
      running "$dir/$node" && ctl stop -D "$dir/$node" -m fast >/dev/null || true
    done
    ;;
  kill-primary)
    ctl stop -D "$dir/primary" -m immediate >/dev/null
    ;;
  promote)
    ctl promote -D "$dir/standby" >/dev/null
    standby_port=$(sed -n "s/^port = //p" "$dir/standby/postgresql.auto.conf" | tail -1)
    # Alone now: no synchronous peer to wait for, or every commit would hang until a new standby
    # is attached (README: the trade-off, and how to attach one).
    as_postgres "$bin/psql" -h 127.0.0.1 -p "$standby_port" -U postgres -Atqc "ALTER SYSTEM SET synchronous_standby_names = ''" -c "SELECT pg_reload_conf()" >/dev/null
    ;;
  urls)
    echo "postgres://postgres@127.0.0.1:$port,127.0.0.1:$((port + 1))/${4:-edoc}"
    ;;
  *)
    echo "usage: $0 start|stop|kill-primary|promote|urls <dir> [<port>]" >&2
    exit 2
    ;;
esac
