#!/bin/sh
# Starts the local RabbitMQ with a file-descriptor limit that fits the bus. Debian's start script
# (`rabbitmq-server -detached` via `su rabbitmq`) leaves the soft limit at 1024; every quorum queue
# keeps ~3 descriptors open, so the 190 inboxes of the 95 endpoints take ~600 of them and the broker
# then stops accepting connections after a few dozen — silently: handshakes just hang.
set -e
limit=$(ulimit -Hn)
[ "$limit" = unlimited ] && limit=65536
[ "$limit" -gt 65536 ] && limit=65536
if [ "$(id -u)" = 0 ] && id -u rabbitmq >/dev/null 2>&1 && [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
  exec su rabbitmq -s /bin/sh -c "ulimit -n $limit; cd /var/lib/rabbitmq && exec /usr/lib/rabbitmq/bin/rabbitmq-server -detached"
fi
ulimit -n "$limit"
exec rabbitmq-server -detached
