#!/bin/sh
# Backups of the primary made by postgres-pair.sh, with Debian's pgBackRest: a repository in
# <dir>/backups, every WAL segment archived to it (archive_command), full backups, and a restore
# to a point in time into a new data folder served on another port. Used by the restore drill
# (test/integration/backup-restore.test.ts); the README's "Backups" shows the same commands for a
# real deployment, where the repository is on another machine or an object store.
#
#   postgres-backup.sh enable <dir> [<port>]                      archive WAL to the repository (restarts the primary)
#   postgres-backup.sh full <dir>                                 a full backup
#   postgres-backup.sh restore <dir> <time> <target-dir> <port>   restore to <time> (ISO 8601) and start a server on <port>
#   postgres-backup.sh stop <target-dir>                          stop a restored server
#
# Bounded: pg_ctl waits at most 60 s; backup and restore at most 10 min (timeout).
set -eu
action=$1
dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
command -v pgbackrest >/dev/null || { echo "pgbackrest is not installed (apt-get install pgbackrest)" >&2; exit 1; }

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}
conf="$dir/pgbackrest.conf"
backrest() { as_postgres timeout 600 pgbackrest --config="$conf" --stanza=edoc "$@"; }

case "$action" in
  enable)
    port=${3:-5441}
    mkdir -p "$dir/backups" "$dir/backrest-log" "$dir/backrest-lock"
    chown postgres:postgres "$dir/backups" "$dir/backrest-log" "$dir/backrest-lock"
    cat >"$conf" <<CONF
[global]
repo1-path=$dir/backups
repo1-retention-full=2
start-fast=y
archive-async=n
compress-type=lz4
log-path=$dir/backrest-log
lock-path=$dir/backrest-lock
log-level-console=warn
log-level-file=info

[edoc]
pg1-path=$dir/primary
pg1-port=$port
pg1-socket-path=$dir
CONF
    chown postgres:postgres "$conf"
    cat >>"$dir/primary/postgresql.conf" <<CONF
# edoc-bus: every WAL segment to the pgBackRest repository (scripts/cluster/postgres-backup.sh)
archive_mode = on
archive_command = 'pgbackrest --config=$conf --stanza=edoc archive-push %p'
CONF
    as_postgres "$bin/pg_ctl" -t 60 -w restart -D "$dir/primary" -m fast -l "$dir/primary.log" >/dev/null
    backrest stanza-create >/dev/null
    backrest check >/dev/null
    ;;
  full)
    backrest --type=full backup >/dev/null
    ;;
  restore)
    target=$3
    into=$4
    port=$5
    rm -rf "$into"
    mkdir -p "$into"
    chown postgres:postgres "$into"
    chmod 700 "$into"
    # Replays the archive up to <time>, then opens for writes (a recovered primary of its own).
    backrest --pg1-path="$into" --type=time --target="$target" --target-action=promote restore >/dev/null
    {
      echo "port = $port"
      echo "unix_socket_directories = '$into'"
      # The restored server archives nothing and waits for no standby: it is a copy to inspect.
      echo "archive_mode = off"
      echo "synchronous_standby_names = ''"
    } >>"$into/postgresql.auto.conf"
    as_postgres "$bin/pg_ctl" -t 60 -w start -D "$into" -l "$into.log" >/dev/null
    # Recovery runs after the start: wait until the server accepts writes (it has promoted).
    for _ in $(seq 1 120); do
      [ "$(as_postgres "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -Atc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && exit 0
      sleep 0.5
    done
    echo "the restored server did not finish recovery" >&2
    exit 1
    ;;
  stop)
    as_postgres "$bin/pg_ctl" -t 60 -w stop -D "$dir" -m fast >/dev/null || true
    ;;
  *)
    echo "usage: $0 enable|full|restore|stop <dir> ..." >&2
    exit 2
    ;;
esac
