-- A read-only PostgreSQL role for the tooltrack dashboard (and anything else that only reads).
--
-- Run it as the owner of the tooltrack tables (the role that runs the migrations), connected to
-- the tooltrack database, AFTER `tooltrack db upgrade`:
--
--   psql "postgresql://owner@host/tooltrack" \
--        -v ro_role=tooltrack_readonly -v ro_password='a long random password' \
--        -f scripts/readonly-role.sql
--
-- Then point the dashboard at it:
--   TOOLTRACK_DATABASE_URL=postgresql+psycopg://tooltrack_readonly:PASSWORD@host/tooltrack
--
-- What the role can do: connect, and SELECT from every table in schema public (task_logs, the
-- rollup tables, alembic_version). What it cannot: INSERT, UPDATE, DELETE, TRUNCATE, create or
-- change tables, or use sequences. Two layers enforce it: no write privilege is granted, and
-- every session of the role starts read-only (default_transaction_read_only), so even a later
-- careless GRANT does not make the dashboard able to write.
--
-- The script is idempotent: run it again after each migration that adds tables (the default
-- privileges below already cover tables the owner creates later, but running it again is cheap).

\set ON_ERROR_STOP on
\if :{?ro_role}
\else
  \set ro_role tooltrack_readonly
\endif
\if :{?ro_password}
\else
  \echo 'set a password: -v ro_password=...'
  \quit
\endif

-- The role: it can log in and nothing else.
SELECT format('CREATE ROLE %I LOGIN', :'ro_role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'ro_role') \gexec
ALTER ROLE :"ro_role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION
    PASSWORD :'ro_password';

-- Every session of the role is read-only, whatever it is granted.
ALTER ROLE :"ro_role" SET default_transaction_read_only = on;
-- A runaway dashboard query cannot hold the database for ever.
ALTER ROLE :"ro_role" SET statement_timeout = '60s';

-- Connect to this database and read the tables in schema public.
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'ro_role') \gexec
GRANT USAGE ON SCHEMA public TO :"ro_role";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"ro_role";
-- Tables that later migrations create (rollups, ...) as the current (owner) role: readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO :"ro_role";

-- Nothing else: PostgreSQL before 15 lets every role create tables in schema public.
REVOKE CREATE ON SCHEMA public FROM :"ro_role";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
