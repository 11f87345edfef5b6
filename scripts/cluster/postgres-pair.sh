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
#   postgres-pair.sh rejoin <dir>                  rebuild the server that is not the primary as its synchronous standby
#   postgres-pair.sh switchover <dir>              planned: stop the primary cleanly, promote the standby, the old
#                                                  primary follows the new one (roles swapped, nothing lost)
#   postgres-pair.sh urls <dir> [<port>] [<db>]    the DATABASE_URL naming both hosts
#
# The folders keep their names (primary, standby) and ports whatever role they serve in now.
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
# The port a folder's server listens on (postgresql.auto.conf is read last, so its line wins;
# ALTER SYSTEM writes it quoted).
port_of() { cat "$1/postgresql.conf" "$1/postgresql.auto.conf" | sed -n "s/^port = '\{0,1\}\([0-9]*\)'\{0,1\}.*/\1/p" | tail -1; }
sql() { as_postgres "$bin/psql" -h 127.0.0.1 -p "$1" -U postgres -Atqc "$2"; }
# Whether the folder's server runs and accepts writes.
is_primary() { running "$1" && [ "$(sql "$(port_of "$1")" 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ]; }
current_primary() { for node in primary standby; do is_primary "$dir/$node" && { echo "$node"; return; }; done; }
other() { [ "$1" = primary ] && echo standby || echo primary; }
# Makes `follower` a synchronous standby of `leader`'s server and waits until it streams as such.
follow() {
  leader=$1
  follower=$2
  {
    echo "port = $(port_of "$dir/$follower")"
    echo "primary_conninfo = 'host=127.0.0.1 port=$(port_of "$dir/$leader") user=postgres application_name=edoc_standby'"
    echo "synchronous_standby_names = ''"
  } >>"$dir/$follower/postgresql.auto.conf"
  as_postgres touch "$dir/$follower/standby.signal"
  ctl start -D "$dir/$follower" -l "$dir/$follower.log" >/dev/null
  sql "$(port_of "$dir/$leader")" "ALTER SYSTEM SET synchronous_standby_names = 'edoc_standby'"
  sql "$(port_of "$dir/$leader")" 'SELECT pg_reload_conf()' >/dev/null
  wait_sync "$(port_of "$dir/$leader")"
}
wait_sync() {
  state=
  for _ in $(seq 1 120); do
    state=$(sql "$1" "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'edoc_standby'" 2>/dev/null || true)
    [ "$state" = sync ] && return 0
    sleep 0.5
  done
  echo "the standby did not become synchronous" >&2
  exit 1
}
# Promotes `node` and lets it serve alone: no synchronous peer to wait for, or every commit would
# hang until a new standby is attached (README: the trade-off, and how to attach one).
promote() {
  ctl promote -D "$dir/$1" >/dev/null
  sql "$(port_of "$dir/$1")" "ALTER SYSTEM SET synchronous_standby_names = ''"
  sql "$(port_of "$dir/$1")" 'SELECT pg_reload_conf()' >/dev/null
}

case "$action" in
  start)
    standby_port=$((port + 1))
    # Servers of an interrupted run go first: in this folder, or on these ports from a folder that
    # is gone (a test's temporary folder removed while its server ran). Never the machine's own.
    for node in standby primary; do
      running "$dir/$node" && ctl stop -D "$dir/$node" -m immediate >/dev/null || true
    done
    for p in "$port" "$standby_port"; do
      for pid in $(ss -ltnpH "sport = :$p" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | sort -u); do
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'postgres -D /tmp/'; then kill -QUIT "$pid"; fi
      done
    done
    sleep 0.5
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
    as_postgres "$bin/pg_basebackup" --checkpoint=fast -h 127.0.0.1 -p "$port" -U postgres -D "$dir/standby" -R -X stream >/dev/null
    {
      echo "port = $standby_port"
      # The name the primary's synchronous_standby_names waits for.
      echo "primary_conninfo = 'host=127.0.0.1 port=$port user=postgres application_name=edoc_standby'"
    } >>"$dir/standby/postgresql.auto.conf"
    ctl start -D "$dir/standby" -l "$dir/standby.log" >/dev/null
    # The standby counts as synchronous once it streams.
    wait_sync "$port"
    echo "primary on $port, synchronous standby on $standby_port"
    ;;
  stop)
    for node in standby primary; do
      running "$dir/$node" && ctl stop -D "$dir/$node" -m fast >/dev/null || true
    done
    ;;
  kill-primary)
    ctl stop -D "$dir/$(current_primary)" -m immediate >/dev/null
    ;;
  promote)
    for node in standby primary; do
      running "$dir/$node" && ! is_primary "$dir/$node" && { promote "$node"; exit 0; }
    done
    echo "no running standby to promote" >&2
    exit 1
    ;;
  rejoin)
    # A fresh base backup of the primary: after a crash the old primary may hold WAL the standby
    # never received, and pg_rewind would need wal_log_hints or data checksums.
    leader=$(current_primary)
    [ -n "$leader" ] || { echo "no primary running" >&2; exit 1; }
    follower=$(other "$leader")
    follower_port=$(port_of "$dir/$follower")
    running "$dir/$follower" && ctl stop -D "$dir/$follower" -m immediate >/dev/null
    rm -rf "${dir:?}/$follower"
    as_postgres "$bin/pg_basebackup" --checkpoint=fast -h 127.0.0.1 -p "$(port_of "$dir/$leader")" -U postgres -D "$dir/$follower" -X stream >/dev/null
    echo "port = $follower_port" >>"$dir/$follower/postgresql.auto.conf"
    follow "$leader" "$follower"
    ;;
  switchover)
    # A clean stop sends everything the primary wrote to the standby before it exits, so the old
    # primary can follow the promoted standby from where it stopped, without a copy.
    old=$(current_primary)
    [ -n "$old" ] || { echo "no primary running" >&2; exit 1; }
    new=$(other "$old")
    wait_sync "$(port_of "$dir/$old")"
    ctl stop -D "$dir/$old" -m fast >/dev/null
    promote "$new"
    follow "$new" "$old"
    ;;
  urls)
    echo "postgres://postgres@127.0.0.1:$port,127.0.0.1:$((port + 1))/${4:-edoc}"
    ;;
  *)
    echo "usage: $0 start|stop|kill-primary|promote|urls <dir> [<port>]" >&2
    exit 2
    ;;
esac
