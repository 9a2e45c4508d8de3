-- Tables and rows for the filter/operator conformance cases (query.yaml: QuerySpec.hs's filter, order and
-- quantifier parts, AndOrParamsSpec.hs, JsonOperatorSpec.hs), extracted from PostgREST v12.2.12's
-- test/spec/fixtures/schema.sql and data.sql (https://github.com/PostgREST/postgrest, MIT licence):
-- only the tables those cases read, their statements verbatim. Adapted: test.articles is a plain table
-- here (a view over private.articles there); the roles are Supabase's (anon, authenticated,
-- service_role) instead of postgrest_test_*; loaded into schema `test` of its own source; the type named in
-- returns_complex's body is schema-qualified (PostgREST's test database puts `test` on the search_path).
DROP SCHEMA IF EXISTS test CASCADE;
CREATE SCHEMA test;
SET search_path = test, public, pg_catalog;

CREATE TABLE articles (id integer PRIMARY KEY, body text, owner name NOT NULL);
INSERT INTO articles VALUES (1, 'No… It''s a thing; it''s like a plan, but with more greatness.', 'diogo');
INSERT INTO articles VALUES (2, 'Stop talking, brain thinking. Hush.', 'diogo');
INSERT INTO articles VALUES (3, 'It''s a fez. I wear a fez now. Fezes are cool.', 'diogo');

CREATE TABLE items (
    id bigserial primary key
);

CREATE TABLE clients (
    id integer primary key,
    name text NOT NULL
);

CREATE TABLE complex_items (
    id bigint NOT NULL,
    name text,
    settings json,
    arr_data integer[],
		"field-with_sep" integer default 1 not null
);

CREATE TABLE json_table (
    data json
);

CREATE TABLE no_pk (
    a character varying,
    b character varying
);

CREATE TABLE nullable_integer (
    a integer
);

CREATE TABLE projects (
    id integer primary key,
    name text NOT NULL,
    client_id integer REFERENCES clients(id)
);

alter table projects rename constraint projects_client_id_fkey to client;

CREATE TABLE simple_pk (
    PRIMARY KEY (k),
    k character varying NOT NULL,
    extra character varying NOT NULL
);

CREATE TABLE tsearch (
    text_search_vector tsvector
);

CREATE TABLE "Escap3e;" (
		"so6meIdColumn" integer primary key
);

CREATE TABLE "ghostBusters" (
		"escapeId" integer not null references "Escap3e;"("so6meIdColumn")
);

ALTER TABLE ONLY complex_items
    ADD CONSTRAINT complex_items_pkey PRIMARY KEY (id);

create table w_or_wo_comma_names ( name text );

create table items_with_different_col_types (
  int_data integer,
  text_data text,
  bool_data bool,
  bin_data bytea,
  char_data character varying,
  date_data date,
  real_data real,
  time_data time
);

create table entities (
  id integer primary key,
  name text,
  arr integer[],
  text_search_vector tsvector
);

create table child_entities (
  id integer primary key,
  name text,
  parent_id integer references entities(id)
);

create table grandchild_entities (
  id integer primary key,
  name text,
  parent_id integer references child_entities(id),
  or_starting_col text,
  and_starting_col text,
  jsonb_col jsonb
);

create table ranges (
    id integer primary key,
    range numrange
);

create table json_arr(
  id integer primary key,
  data json
);

create table jsonb_test(
  id integer primary key,
  data jsonb
);

create table "Server Today"(
  "cHostname" text,
  "Just A Server Model" text
);

create table test.pgrst_reserved_chars (
  "*id*" integer,
  ":arr->ow::cast" text,
  "(inside,parens)" text,
  "a.dotted.column" text,
  "  col  w  space  " text
);

CREATE TABLE chores (
  id int primary key
, name text
, done bool
);

CREATE TYPE complex AS (
 r double precision,
 i double precision
);

CREATE TABLE test.fav_numbers (
 num    complex,
 person text
);

create table test.arrays (
  id int primary key,
  numbers int[],
  numbers_mult int[][]
);

CREATE TABLE do$llar$s (
  a$num$ numeric
);

create or replace function test.returns_complex()
returns table(id int, val complex) as $$
  select 1, row(0.1, 0.5)::test.complex as val
  union
  select 2, row(0.2, 0.6)::test.complex as val
  union
  select 3, row(0.3, 0.7)::test.complex as val;
$$ language sql;

create table empty_string as select 1 as id, ''::text as string;

INSERT INTO clients VALUES (1, 'Microsoft');

INSERT INTO clients VALUES (2, 'Apple');

INSERT INTO projects VALUES (1, 'Windows 7', 1);

INSERT INTO projects VALUES (2, 'Windows 10', 1);

INSERT INTO projects VALUES (3, 'IOS', 2);

INSERT INTO projects VALUES (4, 'OSX', 2);

INSERT INTO projects VALUES (5, 'Orphan', NULL);

INSERT INTO complex_items VALUES (1, 'One', '{"foo":{"int":1,"bar":"baz"}}', '{1}');

INSERT INTO complex_items VALUES (2, 'Two', '{"foo":{"int":1,"bar":"baz"}}', '{1,2}');

INSERT INTO complex_items VALUES (3, 'Three', '{"foo":{"int":1,"bar":"baz"}}', '{1,2,3}', 3);

INSERT INTO simple_pk VALUES ('xyyx', 'u');

INSERT INTO simple_pk VALUES ('xYYx', 'v');

INSERT INTO items VALUES (1);

INSERT INTO items VALUES (2);

INSERT INTO items VALUES (3);

INSERT INTO items VALUES (4);

INSERT INTO items VALUES (5);

INSERT INTO items VALUES (6);

INSERT INTO items VALUES (7);

INSERT INTO items VALUES (8);

INSERT INTO items VALUES (9);

INSERT INTO items VALUES (10);

INSERT INTO items VALUES (11);

INSERT INTO items VALUES (12);

INSERT INTO items VALUES (13);

INSERT INTO items VALUES (14);

INSERT INTO items VALUES (15);

INSERT INTO json_table VALUES ('{"foo":{"bar":"baz"},"id":1}');

INSERT INTO json_table VALUES ('{"id":3}');

INSERT INTO json_table VALUES ('{"id":0}');

INSERT INTO no_pk VALUES (NULL, NULL);

INSERT INTO no_pk VALUES ('1', '0');

INSERT INTO no_pk VALUES ('2', '0');

INSERT INTO nullable_integer VALUES (NULL);

INSERT INTO tsearch VALUES (to_tsvector('It''s kind of fun to do the impossible'));

INSERT INTO tsearch VALUES (to_tsvector('But also fun to do what is possible'));

INSERT INTO tsearch VALUES (to_tsvector('Fat cats ate rats'));

INSERT INTO tsearch VALUES (to_tsvector('french', 'C''est un peu amusant de faire l''impossible'));

INSERT INTO tsearch VALUES (to_tsvector('german', 'Es ist eine Art Spaß, das Unmögliche zu machen'));

INSERT INTO "Escap3e;" VALUES (1), (2), (3), (4), (5);

INSERT INTO "ghostBusters" VALUES (1), (3), (5);

INSERT INTO w_or_wo_comma_names VALUES ('Hebdon, John');

INSERT INTO w_or_wo_comma_names VALUES ('Williams, Mary');

INSERT INTO w_or_wo_comma_names VALUES ('Smith, Joseph');

INSERT INTO w_or_wo_comma_names VALUES ('David White');

INSERT INTO w_or_wo_comma_names VALUES ('Larry Thompson');

INSERT INTO w_or_wo_comma_names VALUES ('Double O Seven(007)');

INSERT INTO w_or_wo_comma_names VALUES ('"');

INSERT INTO w_or_wo_comma_names VALUES ('Double"Quote"McGraw"');

INSERT INTO w_or_wo_comma_names VALUES ('\');

INSERT INTO w_or_wo_comma_names VALUES ('/\Slash/\Beast/\');

INSERT INTO items_with_different_col_types VALUES (1, null, null, null, null, null, null, null);

INSERT INTO entities VALUES (1, 'entity 1', '{1}', '''bar'':2 ''foo'':1');

INSERT INTO entities VALUES (2, 'entity 2', '{1,2}', '''baz'':1 ''qux'':2');

INSERT INTO entities VALUES (3, 'entity 3', '{1,2,3}', null);

INSERT INTO entities VALUES (4, null, null, null);

INSERT INTO child_entities VALUES (1, 'child entity 1', 1);

INSERT INTO child_entities VALUES (2, 'child entity 2', 1);

INSERT INTO child_entities VALUES (3, 'child entity 3', 2);

INSERT INTO child_entities VALUES (4, 'child entity 4', 1);

INSERT INTO child_entities VALUES (5, 'child entity 5', 1);

INSERT INTO child_entities VALUES (6, 'child entity 6', 2);

INSERT INTO grandchild_entities VALUES (1, 'grandchild entity 1', 1, null, null, null);

INSERT INTO grandchild_entities VALUES (2, 'grandchild entity 2', 1, null, null, null);

INSERT INTO grandchild_entities VALUES (3, 'grandchild entity 3', 2, null, null, null);

INSERT INTO grandchild_entities VALUES (4, '(grandchild,entity,4)', 2, null, null, '{"a": {"b":"foo"}}');

INSERT INTO grandchild_entities VALUES (5, '(grandchild,entity,5)', 2, null, null, '{"b":"bar"}');

INSERT INTO ranges VALUES (1, '[1,3]');

INSERT INTO ranges VALUES (2, '[3,6]');

INSERT INTO ranges VALUES (3, '[6,9]');

INSERT INTO ranges VALUES (4, '[9,12]');

INSERT INTO ranges VALUES (5, null);

INSERT INTO json_arr VALUES (1, '[1, 2, 3]');

INSERT INTO json_arr VALUES (2, '[4, 5, 6]');

INSERT INTO json_arr VALUES (3, '[[9, 8, 7], [11, 12, 13]]');

INSERT INTO json_arr VALUES (4, '[[[5, 6], 7, 8]]');

INSERT INTO json_arr VALUES (5, '[{"a": "A"}, {"b": "B"}]');

INSERT INTO json_arr VALUES (6, '[{"a": [1,2,3]}, {"b": [4,5]}]');

INSERT INTO json_arr VALUES (7, '{"c": [1,2,3], "d": [4,5]}');

INSERT INTO json_arr VALUES (8, '{"c": [{"d": [4,5,6,7,8]}]}');

INSERT INTO json_arr VALUES (9, '[{"0xy1": [1,{"23-xy-45": [2, {"xy-6": [3]}]}]}]');

INSERT INTO json_arr VALUES (10, '{"!@#$%^&*_a": [{"!@#$%^&*_b": 1}, {"!@#$%^&*_c": [2]}], "!@#$%^&*_d": {"!@#$%^&*_e": 3}}');

INSERT INTO jsonb_test VALUES (1, '{ "a": {"b": 2} }');

INSERT INTO jsonb_test VALUES (2, '{ "c": [1,2,3] }');

INSERT INTO jsonb_test VALUES (3, '[{ "d": "test" }]');

INSERT INTO jsonb_test VALUES (4, '{ "e": 1 }');

INSERT INTO test.chores (id, name, done) values (1, 'take out the garbage', true), (2, 'do the laundry', false), (3, 'wash the dishes', null);

INSERT INTO test.fav_numbers VALUES (ROW(0.5, 0.5), 'A'),  (ROW(0.6, 0.6), 'B');

INSERT INTO test.arrays VALUES (0, '{1,2,3}', '{{1,2,3},{4,5,6},{7,8,9}}'), (1, '{11,12,13}', '{{11,12,13},{14,15,16},{17,18,19}}');

INSERT INTO do$llar$s (a$num$) VALUES (100), (200), (300);

CREATE FUNCTION always_true(test.items) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT true $$;
CREATE FUNCTION anti_id(test.items) RETURNS bigint
    LANGUAGE sql IMMUTABLE
    AS $_$ SELECT $1.id * -1 $_$;
CREATE TABLE users (
    id integer primary key,
    name text NOT NULL
);
CREATE TABLE tasks (
    id integer primary key,
    name text NOT NULL,
    project_id integer REFERENCES projects(id)
);
alter table tasks rename constraint tasks_project_id_fkey to project;
CREATE TABLE users_tasks (
  user_id integer NOT NULL REFERENCES users(id),
  task_id integer NOT NULL REFERENCES tasks(id),
  primary key (task_id, user_id)
);
INSERT INTO users VALUES (1, 'Angela Martin');
INSERT INTO users VALUES (2, 'Michael Scott');
INSERT INTO users VALUES (3, 'Dwight Schrute');
INSERT INTO tasks VALUES (1, 'Design w7', 1);
INSERT INTO tasks VALUES (2, 'Code w7', 1);
INSERT INTO tasks VALUES (3, 'Design w10', 2);
INSERT INTO tasks VALUES (4, 'Code w10', 2);
INSERT INTO tasks VALUES (5, 'Design IOS', 3);
INSERT INTO tasks VALUES (6, 'Code IOS', 3);
INSERT INTO tasks VALUES (7, 'Design OSX', 4);
INSERT INTO tasks VALUES (8, 'Code OSX', 4);
INSERT INTO users_tasks VALUES (1, 1);
INSERT INTO users_tasks VALUES (1, 2);
INSERT INTO users_tasks VALUES (1, 3);
INSERT INTO users_tasks VALUES (1, 4);
INSERT INTO users_tasks VALUES (2, 5);
INSERT INTO users_tasks VALUES (2, 6);
INSERT INTO users_tasks VALUES (2, 7);
INSERT INTO users_tasks VALUES (3, 1);
INSERT INTO users_tasks VALUES (3, 5);

CREATE TABLE oid_test(
  id int,
  oid_col oid,
  oid_array_col oid[]);
INSERT INTO oid_test(id, oid_col, oid_array_col) VALUES (1, '12345', '{1,2,3,4,5}'::oid[]);

-- data.sql loads these two with COPY ... FROM STDIN; the same rows as INSERTs
INSERT INTO "Server Today" ("cHostname", "Just A Server Model") VALUES
  ('argnim1    ', ' IBM,9113-550 (P5-550)'), ('argnim2    ', ' IBM,9113-550 (P5-550)'),
  ('daaa2nim71 ', ' IBM,9131-52A (P5-52A)'), ('daah3nim71 ', ' IBM,8406-71Y (P7-PS701)'),
  ('hbnim1     ', ' IBM,9133-55A (P5-55A)');
INSERT INTO pgrst_reserved_chars ("*id*", ":arr->ow::cast", "(inside,parens)", "a.dotted.column", "  col  w  space  ")
VALUES (1, ' arrow-1 ', ' parens-1 ', ' dotted-1 ', ' space-1'), (2, ' arrow-2 ', ' parens-2 ', ' dotted-2 ', ' space-2'),
  (3, ' arrow-3 ', ' parens-3 ', ' dotted-3 ', ' space-3');

GRANT USAGE ON SCHEMA test TO anon, authenticated, service_role;
GRANT ALL ON ALL TABLES IN SCHEMA test TO anon, authenticated, service_role;
GRANT ALL ON ALL SEQUENCES IN SCHEMA test TO anon, authenticated, service_role;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA test TO anon, authenticated, service_role;
