-- The tables the preference/mutation conformance cases need (prefs.yaml), ported from PostgREST's spec
-- fixtures at v12.2.12: test/spec/fixtures/schema.sql (https://github.com/PostgREST/postgrest, MIT licence).
-- Adapted: only what the ported cases use; Supabase's roles (anon, authenticated, service_role) instead of
-- postgrest_test_*; the rows live in prefs_data.sql, which is loaded again before every case that writes.
DROP SCHEMA IF EXISTS test CASCADE;
CREATE SCHEMA test;
SET search_path = test, pg_catalog;

CREATE TYPE enum_menagerie_type AS ENUM ('foo', 'bar');
CREATE TABLE items (id bigserial PRIMARY KEY);
CREATE TABLE complex_items (
    id bigint NOT NULL,
    name text,
    settings json,
    arr_data integer[],
    "field-with_sep" integer default 1 not null
);
CREATE TABLE clients (id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE projects (id integer PRIMARY KEY, name text NOT NULL, client_id integer REFERENCES clients(id));
CREATE TABLE tasks (id integer PRIMARY KEY, name text NOT NULL, project_id integer REFERENCES projects(id));
CREATE TABLE articles (id integer PRIMARY KEY, body text, owner name NOT NULL DEFAULT 'anon');
CREATE TABLE no_pk (a character varying, b character varying);
CREATE TABLE only_pk (id integer PRIMARY KEY);
CREATE TABLE simple_pk (k character varying PRIMARY KEY, extra character varying NOT NULL);
CREATE TABLE addresses (id int NOT NULL UNIQUE, address text NOT NULL);
CREATE TABLE employees (
  first_name text,
  last_name text,
  salary money,
  company text,
  occupation text,
  PRIMARY KEY (first_name, last_name)
);
CREATE TABLE tiobe_pls (name text PRIMARY KEY, rank smallint);
CREATE TABLE single_unique (unique_key integer UNIQUE NOT NULL, value text);
CREATE TABLE compound_unique (key1 integer NOT NULL, key2 integer NOT NULL, value text, UNIQUE (key1, key2));
CREATE TABLE app_users (id integer PRIMARY KEY, email text UNIQUE NOT NULL, password text NOT NULL);
CREATE TABLE menagerie (
    "integer" integer NOT NULL PRIMARY KEY,
    double double precision NOT NULL,
    "varchar" character varying NOT NULL,
    "boolean" boolean NOT NULL,
    date date NOT NULL,
    money money NOT NULL,
    enum enum_menagerie_type NOT NULL
);
-- InsertSpec's `missing=default` tables
CREATE TABLE datarep_todos (
  id bigint PRIMARY KEY,
  name text,
  label_color int DEFAULT 0,
  due_at timestamptz DEFAULT '2018-01-01'::date
);
CREATE TABLE test_null_pk_competitors_sponsors (id int, sponsor_id int, PRIMARY KEY (id, sponsor_id));
CREATE TABLE tbl_w_json (id int PRIMARY KEY, data json);
CREATE TABLE compound_pk (k1 integer NOT NULL, k2 text NOT NULL, extra integer, PRIMARY KEY (k1, k2));
CREATE TABLE auto_incrementing_pk (
  id serial PRIMARY KEY,
  nullable_string character varying,
  non_nullable_string character varying NOT NULL,
  inserted_at timestamp with time zone DEFAULT now()
);

-- LimitedMutationSpec's tables
CREATE TABLE limited_update_items (id int PRIMARY KEY, name text);
CREATE TABLE limited_delete_items (id int PRIMARY KEY, name text);
CREATE TABLE limited_delete_items_no_pk (id int, name text);
-- NullsStripSpec's table (its manager_id references managers there; a plain column here)
CREATE TABLE organizations (
  id integer PRIMARY KEY,
  name text,
  referee integer REFERENCES organizations(id),
  auditor integer REFERENCES organizations(id),
  manager_id integer
);
CREATE TABLE "UnitTest" ("idUnitTest" integer PRIMARY KEY, "nameUnitTest" text);

-- preferences.rst's max-affected example on RPC
CREATE FUNCTION delete_items() RETURNS SETOF items AS $$
  DELETE FROM test.items WHERE id < 15 RETURNING *;
$$ LANGUAGE sql;

GRANT USAGE ON SCHEMA test TO anon, authenticated, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA test TO anon, authenticated, service_role;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA test TO anon, authenticated, service_role;
-- TimezoneSpec (schema.sql, data.sql): read-only, so its rows live here
CREATE TABLE test.timestamps (t timestamp with time zone);
INSERT INTO test.timestamps VALUES ('2023-10-18 12:37:59.611000+0000'), ('2023-10-18 14:37:59.611000+0000'),
  ('2023-10-18 16:37:59.611000+0000');
GRANT SELECT ON test.timestamps TO anon, authenticated, service_role;

-- app_users: its password is write-only, as in PostgREST's fixture
REVOKE ALL ON app_users FROM anon, authenticated, service_role;
GRANT INSERT, UPDATE, DELETE ON app_users TO anon, authenticated, service_role;
GRANT SELECT (id, email) ON app_users TO anon, authenticated, service_role;
