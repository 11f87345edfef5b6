#!/bin/sh
# Starts or stops one extra RabbitMQ node on this machine, beside any other: its own node name,
# ports and data folder, Debian's rabbitmq-server. Used by the tests that need a broker configured
# differently from the machine's (AMQPS with client certificates) and documented for deployments.
#
#   rabbitmq-node.sh start <name> <dir> <amqp-port> <dist-port> <management-port> [<amqps-port> <ca> <cert> <key>]
#   rabbitmq-node.sh stop <name> <dir>
#
# With the TLS arguments the node also listens for AMQPS, verifies client certificates against
# <ca>, and lets a client log in with EXTERNAL as the user named by its certificate's subject
# (rabbitmq_auth_mechanism_ssl, ssl_cert_login_from = distinguished_name); PLAIN stays for the
# bus's own user. Bounded: start gives up after 60 s.
set -eu
action=$1
name=$2
dir=$3
node="$name@localhost"
bin=/usr/lib/rabbitmq/bin
[ -x "$bin/rabbitmq-server" ] || bin=$(dirname "$(command -v rabbitmq-server)")

if [ "$action" = stop ]; then
  RABBITMQ_NODENAME=$node "$bin/rabbitmqctl" -n "$node" stop >/dev/null 2>&1 || true
  exit 0
fi

amqp=$4
dist=$5
mgmt=$6
mkdir -p "$dir"
{
  echo "listeners.tcp.default = $amqp"
  echo "management.tcp.port = $mgmt"
  echo "management.tcp.ip = 127.0.0.1"
  echo "loopback_users = none"
  if [ $# -ge 10 ]; then
    echo "listeners.ssl.default = $7"
    ca=$8
    cert=$9
    shift 9
    sh "$(dirname "$0")/rabbitmq-tls-conf.sh" "$ca" "$cert" "$1"
  fi
} >"$dir/rabbitmq.conf"
echo '[rabbitmq_management,rabbitmq_auth_mechanism_ssl].' >"$dir/enabled_plugins"

# Only this node's files: not the machine's /etc/rabbitmq/conf.d (the local broker's own TLS).
mkdir -p "$dir/conf.d"
export RABBITMQ_NODENAME=$node RABBITMQ_DIST_PORT=$dist RABBITMQ_MNESIA_BASE="$dir/mnesia" \
  RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_CONFIG_FILES="$dir/conf.d" \
  RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" RABBITMQ_PID_FILE="$dir/pid"
# Quorum queues keep files open: the node gets the machine's hard limit, not Debian's 1024.
limit=$(ulimit -Hn)
[ "$limit" = unlimited ] && limit=65536
[ "$limit" -gt 65536 ] && limit=65536
ulimit -n "$limit"
"$bin/rabbitmq-server" -detached
# -detached returns before the node answers: wait until it does, then until it has booted.
for _ in $(seq 1 120); do
  "$bin/rabbitmqctl" -n "$node" -q ping >/dev/null 2>&1 && break
  sleep 0.5
done
timeout 60 "$bin/rabbitmqctl" -n "$node" await_startup >/dev/null
