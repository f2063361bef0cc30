#!/usr/bin/env bash
# Compose's database init step: in the database $PGDATABASE, one schema and one login role
# per service, each role owning only its own schema — the statements of
# scripts/provision-db.sh, plus each role's password from <SERVICE>_DB_PASSWORD.
# Idempotent: it runs on every `docker compose up` and sets the passwords again, which is
# also how a changed password in compose/.env reaches the database.
# Connection: libpq's PG* variables (PGHOST, PGUSER, PGPASSWORD, PGDATABASE).
set -euo pipefail
SERVICES=(intake analysis prioritisation benefits notifications)

for service in "${SERVICES[@]}"; do
  role="styrbord_$service"
  password_variable="${service^^}_DB_PASSWORD"
  role_secret="${!password_variable:?$password_variable is not set}"
  # The password travels as a psql variable (:'role_secret' quotes it as a literal), never
  # inside the SQL text or on a command line.
  PGOPTIONS="-c client_min_messages=warning" psql -v ON_ERROR_STOP=1 -q -X \
    -v role="$role" -v schema="$service" -v role_secret="$role_secret" -v database="$PGDATABASE" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'role', :'role_secret') \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', :'database', :'role') \gexec
SELECT format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', :'schema', :'role') \gexec
SELECT format('ALTER SCHEMA %I OWNER TO %I', :'schema', :'role') \gexec
SELECT format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', :'schema') \gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
done
echo "[db-init] database $PGDATABASE: schemas and roles for ${SERVICES[*]}"
