#!/usr/bin/env bash
# Creates, in one database, a schema and a login role per service; each role owns its own
# schema and has no rights on the others'. Idempotent. Runs as a superuser (the local
# stack's `postgres`); in production a DBA runs the same statements (docs/operations.md).
#
#   scripts/provision-db.sh [DATABASE]        (default: styrbord)
# Connection: STYRBORD_ADMIN_URL (default: the local stack's postgres user).
set -euo pipefail
DATABASE="${1:-styrbord}"
PG_PORT="${STYRBORD_PG_PORT:-55432}"
ADMIN_URL="${STYRBORD_ADMIN_URL:-postgresql://postgres@127.0.0.1:$PG_PORT}"
SERVICES=(intake analysis prioritisation benefits notifications)

psql_admin() { PGOPTIONS="-c client_min_messages=warning" psql -v ON_ERROR_STOP=1 -q -X "$@"; }

if ! psql_admin "$ADMIN_URL/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'" | grep -q 1; then
  psql_admin "$ADMIN_URL/postgres" -c "CREATE DATABASE \"$DATABASE\""
fi
for service in "${SERVICES[@]}"; do
  role="styrbord_$service"
  psql_admin "$ADMIN_URL/$DATABASE" <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$role') THEN
    CREATE ROLE $role LOGIN;
  END IF;
EXCEPTION
  -- Roles are cluster-wide: another provisioning (a test suite's database) created it
  -- between the check and the CREATE.
  WHEN duplicate_object OR unique_violation THEN NULL;
END
\$\$;
GRANT CONNECT ON DATABASE "$DATABASE" TO $role;
CREATE SCHEMA IF NOT EXISTS $service AUTHORIZATION $role;
ALTER SCHEMA $service OWNER TO $role;
REVOKE ALL ON SCHEMA $service FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
done
# Trigram similarity for analysis's reuse search; creating an extension needs this
# superuser step, the services only call public.similarity().
psql_admin "$ADMIN_URL/$DATABASE" -c "CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public"
echo "[provision] database $DATABASE: schemas and roles for ${SERVICES[*]}"
