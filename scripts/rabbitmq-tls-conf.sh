#!/bin/sh
# Prints the RabbitMQ configuration lines of an AMQPS listener that verifies client certificates
# and lets an endpoint log in by its certificate (EXTERNAL, the user named by the certificate's
# subject); PLAIN stays for the bus's own user. Shared by start-rabbitmq.sh and rabbitmq-node.sh.
#   rabbitmq-tls-conf.sh <ca.pem> <server.crt> <server.key>
set -eu
echo "ssl_options.cacertfile = $1"
echo "ssl_options.certfile = $2"
echo "ssl_options.keyfile = $3"
echo "ssl_options.verify = verify_peer"
echo "ssl_options.fail_if_no_peer_cert = false"
echo "ssl_options.versions.1 = tlsv1.3"
echo "ssl_options.versions.2 = tlsv1.2"
echo "auth_mechanisms.1 = EXTERNAL"
echo "auth_mechanisms.2 = PLAIN"
echo "auth_mechanisms.3 = AMQPLAIN"
echo "ssl_cert_login_from = distinguished_name"
