#!/bin/sh
# What temporalio/auto-setup does for PostgreSQL: wait for the database, create and migrate
# both schemas (idempotent), start the server, register DEFAULT_NAMESPACE.
set -eu
: "${DB:=postgres12}" "${DB_PORT:=5432}" "${DBNAME:=temporal}" "${VISIBILITY_DBNAME:=temporal_visibility}"
: "${DEFAULT_NAMESPACE:=default}" "${DEFAULT_NAMESPACE_RETENTION:=24h}"
: "${BIND_ON_IP:=$(hostname -i | awk '{print $1}')}"
export BIND_ON_IP TEMPORAL_BROADCAST_ADDRESS="${TEMPORAL_BROADCAST_ADDRESS:-$BIND_ON_IP}"
export SQL_PASSWORD="${POSTGRES_PWD:-}"
migrate() {
  for pair in "$DBNAME:temporal" "$VISIBILITY_DBNAME:visibility"; do
    db=${pair%%:*}; dir=${pair#*:}
    t="temporal-sql-tool --plugin $DB --ep $POSTGRES_SEEDS -u $POSTGRES_USER -p $DB_PORT --db $db"
    $t create-database >/dev/null 2>&1 || true   # exists already after the first start
    $t setup-schema -v 0.0 >/dev/null 2>&1 || true
    $t update-schema -d "/etc/temporal/schema/postgresql/v12/$dir/versioned" || return 1
  done
}
if [ "${SKIP_SCHEMA_SETUP:-false}" != true ]; then
  tries=0
  until migrate; do   # the database may still be starting
    tries=$((tries + 1)); [ $tries -lt 60 ] || { echo "schema setup failed" >&2; exit 1; }
    sleep 1
  done
fi
temporal-server --root /etc/temporal --env docker --allow-no-auth start &
server=$!
trap 'kill -TERM $server; wait $server' TERM INT
if [ "${SKIP_DEFAULT_NAMESPACE_CREATION:-false}" != true ]; then
  until temporal operator cluster health --address "$BIND_ON_IP:7233" >/dev/null 2>&1; do sleep 1; done
  temporal operator namespace describe -n "$DEFAULT_NAMESPACE" --address "$BIND_ON_IP:7233" >/dev/null 2>&1 \
    || temporal operator namespace create -n "$DEFAULT_NAMESPACE" --retention "$DEFAULT_NAMESPACE_RETENTION" --address "$BIND_ON_IP:7233"
fi
wait $server
