#!/bin/sh
# A three-node RabbitMQ cluster on one machine, from Debian's rabbitmq-server: nodes
# edoc-<base>-1..3@localhost (two clusters on one machine differ by their base port), AMQP on
# <base>, <base>+1, <base>+2 (default 5701-5703), Erlang
# distribution on 20000 above each, management on 10000 above each (15701-15703), data folders
# under <dir>/node-N. Used by the chaos suite and the cluster bench; a real deployment runs the
# same three `rabbitmq-server` nodes on three machines with the same join sequence (README,
# "Running a cluster").
#
#   rabbitmq-cluster.sh start <dir> [<base-port>]   a new cluster (empty nodes): start three, join 2 and 3 to 1
#   rabbitmq-cluster.sh stop <dir> [<base-port>]    stop all three
#   rabbitmq-cluster.sh stop-node <dir> <n> [<base-port>]    stop node n (1-3), as a failure would
#   rabbitmq-cluster.sh start-node <dir> <n> [<base-port>]   start node n again; it rejoins by itself
#   rabbitmq-cluster.sh rebalance <dir> [<base-port>]        spread quorum-queue leaders again
#
# Bounded: each node gives up after 60 s of start-up (scripts/rabbitmq-node.sh).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
action=$1
dir=$2
# The base port is the last argument of every action but start-node/stop-node's node number.
case "$action" in
  stop-node | start-node) base=${4:-5701} ;;
  *) base=${3:-5701} ;;
esac
bin=/usr/lib/rabbitmq/bin
[ -x "$bin/rabbitmqctl" ] || bin=$(dirname "$(command -v rabbitmqctl)")

node_name() { echo "edoc-$base-$1"; }
ctl() { n=$1; shift; "$bin/rabbitmqctl" -n "$(node_name "$n")@localhost" "$@"; }

start_node() {
  n=$1
  base=$2
  amqp=$((base + n - 1))
  sh "$here/../rabbitmq-node.sh" start "$(node_name "$n")" "$dir/node-$n" "$amqp" $((amqp + 20000)) $((amqp + 10000))
}

case "$action" in
  start)
    mkdir -p "$dir"
    # Nodes of this name left running by an interrupted run (another data folder) go first.
    for n in 1 2 3; do sh "$here/../rabbitmq-node.sh" stop "$(node_name "$n")" "$dir/node-$n"; done
    # Every start is a new cluster: three nodes booting side by side on an earlier run's data
    # race to sync their feature flags, and RabbitMQ 3.10 crashes one of them
    # (incompatible_feature_flags, badmap; seen when the chaos suite ran twice in a row).
    rm -rf "$dir/node-1" "$dir/node-2" "$dir/node-3" "$dir/join.log"
    # The three boot side by side: each waits only for itself.
    pids=""
    for n in 1 2 3; do
      start_node "$n" "$base" &
      pids="$pids $!"
    done
    for pid in $pids; do wait "$pid"; done
    for n in 2 3; do
      # (Guarded all the same: a node that somehow is a member already is left as it is.)
      if ! ctl "$n" -q cluster_status --formatter json | grep -q "$(node_name 1)@localhost"; then
        # The joining node logs harmless "tracked connection table" errors meanwhile: kept in a file.
        {
          ctl "$n" -q stop_app
          ctl "$n" -q reset
          ctl "$n" -q join_cluster "$(node_name 1)@localhost"
          ctl "$n" -q start_app
        } >>"$dir/join.log" 2>&1 || { cat "$dir/join.log" >&2; exit 1; }
      fi
    done
    timeout 60 "$bin/rabbitmqctl" -n "$(node_name 1)@localhost" -q await_online_nodes 3
    # Up means usable: each node's management API answers too (slow right after the join).
    for n in 1 2 3; do
      for _ in $(seq 1 120); do
        curl -sf -m 10 -u guest:guest "http://127.0.0.1:$((base + n - 1 + 10000))/api/overview" >/dev/null && break
        sleep 0.5
      done
    done
    echo "cluster up: amqp://guest:guest@127.0.0.1:$base,amqp://guest:guest@127.0.0.1:$((base + 1)),amqp://guest:guest@127.0.0.1:$((base + 2))"
    ;;
  stop)
    for n in 3 2 1; do sh "$here/../rabbitmq-node.sh" stop "$(node_name "$n")" "$dir/node-$n"; done
    ;;
  stop-node)
    sh "$here/../rabbitmq-node.sh" stop "$(node_name "$3")" "$dir/node-$3"
    ;;
  start-node)
    start_node "$3" "$base"
    ;;
  rebalance)
    "$bin/rabbitmq-queues" -n "$(node_name 1)@localhost" -q rebalance quorum >/dev/null
    ;;
  *)
    echo "usage: $0 start|stop|stop-node|start-node|rebalance <dir> ..." >&2
    exit 2
    ;;
esac
