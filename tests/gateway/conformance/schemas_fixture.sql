-- The schemas the multiple-schema conformance cases need (tests/gateway/conformance/schemas.yaml), ported
-- from PostgREST's spec fixtures at v12.2.12: test/spec/fixtures/schema.sql and data.sql
-- (https://github.com/PostgREST/postgrest, MIT licence). Adapted: only what MultipleSchemaSpec.hs uses;
-- the roles are Supabase's (anon, authenticated, service_role) instead of postgrest_test_*.
DROP SCHEMA IF EXISTS v1 CASCADE;
DROP SCHEMA IF EXISTS v2 CASCADE;
DROP SCHEMA IF EXISTS "SPECIAL ""@/\#~_-" CASCADE;
CREATE SCHEMA v1;
CREATE SCHEMA v2;
CREATE SCHEMA "SPECIAL ""@/\#~_-";

CREATE TABLE v1.parents (id int PRIMARY KEY, name text);
CREATE TABLE v1.children (
  id int PRIMARY KEY, name text, parent_id int,
  CONSTRAINT parent FOREIGN KEY (parent_id) REFERENCES v1.parents(id)
);
CREATE FUNCTION v1.get_parents_below(id int) RETURNS SETOF v1.parents AS $$
  SELECT * FROM v1.parents WHERE id < $1;
$$ LANGUAGE sql;

CREATE TABLE v2.parents (id int PRIMARY KEY, name text);
CREATE TABLE v2.children (
  id int PRIMARY KEY, name text, parent_id int,
  CONSTRAINT parent FOREIGN KEY (parent_id) REFERENCES v2.parents(id)
);
CREATE TABLE v2.another_table (id int PRIMARY KEY, another_value text);
CREATE FUNCTION v2.get_parents_below(id int) RETURNS SETOF v2.parents AS $$
  SELECT * FROM v2.parents WHERE id < $1;
$$ LANGUAGE sql;

CREATE TABLE "SPECIAL ""@/\#~_-".languages (id int PRIMARY KEY, name text);
CREATE TABLE "SPECIAL ""@/\#~_-".names (
  id int PRIMARY KEY, name text, language_id int REFERENCES "SPECIAL ""@/\#~_-".languages(id)
);
CREATE FUNCTION "SPECIAL ""@/\#~_-".computed_languages("SPECIAL ""@/\#~_-".names)
RETURNS SETOF "SPECIAL ""@/\#~_-".languages ROWS 1 AS $$
  SELECT * FROM "SPECIAL ""@/\#~_-".languages WHERE id = $1.language_id;
$$ LANGUAGE sql;

INSERT INTO v1.parents VALUES (1, 'parent v1-1'), (2, 'parent v1-2');
INSERT INTO v1.children VALUES (1, 'child v1-1', 1), (2, 'child v1-2', 2);
INSERT INTO v2.parents VALUES (3, 'parent v2-3'), (4, 'parent v2-4');
INSERT INTO v2.children VALUES (1, 'child v2-3', 3);
INSERT INTO v2.another_table VALUES (5, 'value 5'), (6, 'value 6');
INSERT INTO "SPECIAL ""@/\#~_-".languages (id, name) VALUES (1, 'English'), (2, 'Spanish');
INSERT INTO "SPECIAL ""@/\#~_-".names (id, name, language_id) VALUES (1, 'John', 1), (2, 'Mary', 1), (3, 'José', 2);

GRANT USAGE ON SCHEMA v1, v2, "SPECIAL ""@/\#~_-" TO anon, authenticated, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA v1, v2, "SPECIAL ""@/\#~_-"
  TO anon, authenticated, service_role;
