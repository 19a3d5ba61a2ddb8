#!/bin/sh
# What temporalio/server's entrypoint does before the server starts: the address to listen on
# (BIND_ON_IP, else the container's own), the address other members reach it by when it listens
# on every interface (TEMPORAL_BROADCAST_ADDRESS), the config rendered from the environment, then
# every service (or those in SERVICES, colon- or comma-separated) in this one process.
set -eu
own_ip() { getent hosts "$(hostname)" | awk '{ print $1; exit }'; }
: "${BIND_ON_IP:=$(own_ip)}"
export BIND_ON_IP
case "$BIND_ON_IP" in
  0.0.0.0 | ::0 | ::) : "${TEMPORAL_BROADCAST_ADDRESS:=$(own_ip)}"; export TEMPORAL_BROADCAST_ADDRESS ;;
esac
render-config /etc/temporal/config/config_template.yaml /etc/temporal/config/docker.yaml
set --
for service in $(echo "${SERVICES:-}" | tr ':,' '  '); do set -- "$@" --service="$service"; done
exec temporal-server --env docker start "$@"
