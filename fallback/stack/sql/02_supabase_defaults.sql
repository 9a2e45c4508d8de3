-- Supabase's defaults for what a project's migrations create, as its database image sets them up
-- (supabase/postgres, migrations/db/init-scripts/00000000000000-initial-schema.sql and
-- 00000000000003-post-setup.sql): the API roles get every privilege on the tables, functions and
-- sequences later created in `public` (row-level security decides which rows), so a migration written
-- for Supabase needs no GRANT of its own; extensions live in schema `extensions`, with uuid-ossp and
-- pgcrypto installed there from the start, and `extensions` is on the search path, so unqualified
-- uuid_generate_v4() or crypt() resolve as they do on Supabase. Idempotent: applied on every `stack up`.
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;

CREATE SCHEMA IF NOT EXISTS extensions;
GRANT USAGE ON SCHEMA extensions TO anon, authenticated, service_role;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions;

-- The gateway logs in as authenticator: its sessions resolve names as a migration's did.
ALTER ROLE postgres SET search_path TO "$user", public, extensions;
ALTER ROLE authenticator SET search_path TO "$user", public, extensions;
