-- Mounted into each supabase/postgres container as an init script (runs once, on an empty volume).
-- The image creates Supabase's roles; this sets the passwords the harness and PostgREST log in with
-- to that source's POSTGRES_PASSWORD (from docker/compose.env), as Supabase's own roles.sql does.
\set pgpass `echo "$PGPASSWORD"`

ALTER USER supabase_admin WITH PASSWORD :'pgpass';
ALTER USER authenticator WITH PASSWORD :'pgpass';
