#!/bin/sh
# Starts the local RabbitMQ with a file-descriptor limit that fits the bus and, when the bus's PKI
# has a server certificate (certs/generated/server.crt from `edoc-bus pki init`), an AMQPS listener
# on 127.0.0.1:5671 that verifies client certificates and lets an endpoint log in by its
# certificate (EXTERNAL, rabbitmq_auth_mechanism_ssl, the user named by the certificate's subject).
#
# Debian's start script (`rabbitmq-server -detached` via `su rabbitmq`) leaves the soft limit at
# 1024; every quorum queue keeps ~3 descriptors open, so the 190 inboxes of the 95 endpoints take
# ~600 of them and the broker then stops accepting connections after a few dozen — silently:
# handshakes just hang.
#
# Settings: EDOC_PKI_DIR (default certs/generated), AMQP_TLS_LISTENER=off (no AMQPS),
# AMQP_TLS_LISTEN (default 127.0.0.1:5671), AMQP_PLAINTEXT_LISTENER=off (AMQPS only: no 5672).
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
pki=${EDOC_PKI_DIR:-$root/certs/generated}
confd=/etc/rabbitmq/conf.d

if [ "$(id -u)" = 0 ] && [ -d /etc/rabbitmq ]; then
  # The bus reads queue depths and node health from the management API; a stock Debian broker
  # has no plugin enabled, so the restart that fixes its descriptor limit enables it too.
  rabbitmq-plugins enable --offline rabbitmq_management >/dev/null
  if [ "${AMQP_TLS_LISTENER:-on}" != off ] && [ -f "$pki/server.crt" ] && [ -f "$pki/server.key" ]; then
    # The broker runs as rabbitmq: it gets its own copy of the certificate, key and roots.
    tls=/var/lib/rabbitmq/edoc-tls
    mkdir -p "$tls" "$confd"
    cat "$pki/trust-anchors.pem" "$pki/intermediates.pem" >"$tls/ca.pem"
    cp "$pki/server.crt" "$tls/server.crt"
    cp "$pki/server.key" "$tls/server.key"
    chown -R rabbitmq:rabbitmq "$tls"
    chmod 700 "$tls"
    chmod 600 "$tls/server.key"
    {
      echo "# written by edoc-bus scripts/start-rabbitmq.sh: AMQPS with client certificates"
      echo "listeners.ssl.local = ${AMQP_TLS_LISTEN:-127.0.0.1:5671}"
      [ "${AMQP_PLAINTEXT_LISTENER:-on}" = off ] && echo "listeners.tcp = none"
      sh "$root/scripts/rabbitmq-tls-conf.sh" "$tls/ca.pem" "$tls/server.crt" "$tls/server.key"
    } >"$confd/10-edoc-bus-tls.conf"
    rabbitmq-plugins enable --offline rabbitmq_auth_mechanism_ssl >/dev/null
  else
    rm -f "$confd/10-edoc-bus-tls.conf"
  fi
fi

limit=$(ulimit -Hn)
[ "$limit" = unlimited ] && limit=65536
[ "$limit" -gt 65536 ] && limit=65536
if [ "$(id -u)" = 0 ] && id -u rabbitmq >/dev/null 2>&1 && [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
  exec su rabbitmq -s /bin/sh -c "ulimit -n $limit; cd /var/lib/rabbitmq && exec /usr/lib/rabbitmq/bin/rabbitmq-server -detached"
fi
ulimit -n "$limit"
exec rabbitmq-server -detached
