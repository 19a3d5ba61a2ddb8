#!/bin/sh
# One image, several roles:  worker | location --location <name> | bridge | cli <args> |
# temporal-init | sandbox | <any command>.  The config is $FAILOVER_CONFIG, else
# /config/sites.yaml (mount your sites file there), else the sandbox's /sandbox/sites.yaml (the
# compose `sandbox` profile writes it; waited for, since the sandbox may still be starting).
set -eu
cd /app
WORKER=worker/main.ts
LOCATION=worker/location.ts
BRIDGE=starters/bridge/main.ts
CLI=starters/cli/main.ts

config() {
  if [ -n "${FAILOVER_CONFIG:-}" ]; then echo "$FAILOVER_CONFIG"; return; fi
  if [ -f /config/sites.yaml ]; then echo /config/sites.yaml; return; fi
  if [ -d /sandbox ]; then
    i=0
    while [ ! -f /sandbox/sites.yaml ] && [ $i -lt 120 ]; do sleep 1; i=$((i + 1)); done
    if [ -f /sandbox/sites.yaml ]; then echo /sandbox/sites.yaml; return; fi
  fi
  echo "no config: mount your sites file at /config/sites.yaml or set FAILOVER_CONFIG" >&2
  exit 64
}
# The sandbox's simulated Cloudflare token (not a real secret), its Pub/Sub emulator and metadata server, for a
# process on the sandbox's config; a production config never reads these.
sandbox_env() {
  case "$1" in
    /sandbox/*)
      if [ -z "${CLOUDFLARE_API_TOKEN:-}" ] && [ -f /sandbox/cloudflare-token ]; then CLOUDFLARE_API_TOKEN=$(cat /sandbox/cloudflare-token); export CLOUDFLARE_API_TOKEN; fi
      if [ -z "${PUBSUB_EMULATOR_HOST:-}" ] && [ -f /sandbox/pubsub-emulator-host ]; then PUBSUB_EMULATOR_HOST=$(cat /sandbox/pubsub-emulator-host); export PUBSUB_EMULATOR_HOST; fi
      if [ -z "${GCE_METADATA_HOST:-}" ] && [ -f /sandbox/gce-metadata-host ]; then GCE_METADATA_HOST=$(cat /sandbox/gce-metadata-host); export GCE_METADATA_HOST; fi
      ;;
  esac
  return 0
}

role=${1:-worker}
[ $# -gt 0 ] && shift
case "$role" in
  worker)   c=$(config); sandbox_env "$c"; exec node "$WORKER" "$c" "$@" ;;
  location) c=$(config); sandbox_env "$c"; exec node "$LOCATION" "$c" "$@" ;;
  bridge)   c=$(config); sandbox_env "$c"; exec node "$BRIDGE" "$c" "$@" ;;
  cli)      FAILOVER_CONFIG=$(config); export FAILOVER_CONFIG; sandbox_env "$FAILOVER_CONFIG"; exec node "$CLI" "$@" ;;
  temporal-init) exec node scripts/temporal-namespace.ts "$@" ;;
  sandbox)  exec node sandbox/main.ts "$@" ;;
  *)        exec "$role" "$@" ;;
esac
