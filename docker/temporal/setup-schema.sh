#!/bin/sh
# The compose file's one-shot in temporalio/admin-tools: Temporal's two PostgreSQL databases, each
# created, versioned and migrated to the schema the image ships (the server's release). Safe on
# every `docker compose up`: in temporal-sql-tool 1.29 create-database ignores an existing
# database, setup-schema -v 0.0 only creates the version tables when missing, and update-schema
# applies only the versions the database does not have yet. The connection comes from the
# variables the tool reads (SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD).
set -eu
schemas=/etc/temporal/schema/postgresql/v12
for pair in temporal:temporal temporal_visibility:visibility; do
  db=${pair%%:*} dir=${pair#*:}
  temporal-sql-tool --database "$db" create-database
  temporal-sql-tool --database "$db" setup-schema -v 0.0
  temporal-sql-tool --database "$db" update-schema -d "$schemas/$dir/versioned"
  echo "temporal-schema: $db is at the schema of $schemas/$dir"
done
