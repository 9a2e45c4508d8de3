-- Tables, functions and rows for the computed-relationship cases (computed.yaml: ComputedRelsSpec.hs), loaded
-- after query_fixture.sql (clients, projects, items come from there), extracted from PostgREST v12.2.9's
-- test/spec/fixtures/schema.sql and data.sql (https://github.com/PostgREST/postgrest, MIT licence), their
-- statements verbatim but for: designers.name is text (a `titlecasetext` domain with a data representation
-- there; data representations are not part of this gateway), the roles are Supabase's, and the tables named
-- in the bodies of jsbaz, computed_rel_overload, search and search2 are schema-qualified (PostgREST's test
-- database puts `test` on the search_path).
SET search_path = test, public, pg_catalog;

CREATE TABLE items2 (
    id bigserial primary key
);

CREATE FUNCTION search(id BIGINT) RETURNS SETOF items
    LANGUAGE plpgsql
    STABLE
    AS $$BEGIN
        RETURN QUERY SELECT items.id FROM test.items WHERE items.id=search.id;
    END$$;

CREATE TABLE web_content (
  id integer,
  name text,
  p_web_id integer references web_content(id),
  primary key (id)
);

CREATE TABLE designers (
  id int primary key
, name text
);

CREATE TABLE videogames (
  id int primary key
, name text
, designer_id int references designers(id)
);

-- computed relationships
CREATE FUNCTION test.computed_designers(test.videogames) RETURNS SETOF test.designers AS $$
  SELECT * FROM test.designers WHERE id = $1.designer_id;
$$ LANGUAGE sql STABLE ROWS 1;

CREATE FUNCTION test.computed_designers_noset(test.videogames) RETURNS test.designers AS $$
  SELECT * FROM test.designers WHERE id = $1.designer_id;
$$ LANGUAGE sql STABLE;

CREATE FUNCTION test.computed_videogames(test.designers) RETURNS SETOF test.videogames AS $$
  SELECT * FROM test.videogames WHERE designer_id = $1.id;
$$ LANGUAGE sql STABLE;

CREATE FUNCTION test.getallvideogames() RETURNS SETOF test.videogames AS $$
  SELECT * FROM test.videogames;
$$ LANGUAGE sql STABLE;

CREATE FUNCTION test.getalldesigners() RETURNS SETOF test.designers AS $$
  SELECT * FROM test.designers;
$$ LANGUAGE sql STABLE;

-- self join for computed relationships
CREATE FUNCTION test.child_web_content(test.web_content) RETURNS SETOF test.web_content AS $$
  SELECT * FROM test.web_content WHERE $1.id = p_web_id;
$$ LANGUAGE sql STABLE;

CREATE FUNCTION test.parent_web_content(test.web_content) RETURNS SETOF test.web_content AS $$
  SELECT * FROM test.web_content WHERE $1.p_web_id = id;
$$ LANGUAGE sql STABLE ROWS 1;

-- overriding computed rels that empty the results
CREATE FUNCTION test.designers(test.videogames) RETURNS SETOF test.designers AS $$
  SELECT * FROM test.designers WHERE FALSE;
$$ LANGUAGE sql STABLE ROWS 1;

CREATE FUNCTION test.videogames(test.designers) RETURNS SETOF test.videogames AS $$
  SELECT * FROM test.videogames WHERE FALSE;
$$ LANGUAGE sql STABLE;

create table test.second (
  id int primary key,
  name text
);

create table test.second_1 (
  id int primary key,
  name text
);

create table test.first_1 (
  id int primary key,
  name text,
  second_id_1 int references test.second unique,
  second_id_2 int references test.second unique
);

CREATE FUNCTION test.second_1(test.first_1) RETURNS SETOF test.second_1 AS $$
  SELECT * FROM test.second_1 WHERE id = $1.second_id_1;
$$ LANGUAGE sql STABLE ROWS 1;

CREATE FUNCTION test.first_1(test.second_1) RETURNS SETOF test.first_1 AS $$
  SELECT * FROM test.first_1 WHERE second_id_1 = $1.id;
$$ LANGUAGE sql STABLE ROWS 1;

create table fee (
  fee_id int primary key
);
create table baz (
  baz_id int primary key
);

create table janedoe (
  janedoe_id int primary key,
  baz_id int references baz(baz_id)
);

create table johnsmith (
  johnsmith_id int primary key,
  fee_id int references fee(fee_id),
  baz_id int references baz(baz_id)
);

create or replace function jsbaz(fee) returns setof baz as $$
    select b.*
    from test.baz b
    join test.johnsmith js on js.baz_id = b.baz_id
    where js.fee_id = $1.fee_id
$$ stable language sql;

CREATE FUNCTION test.computed_clients(test.projects) RETURNS SETOF test.clients ROWS 1 AS $$
  SELECT * FROM test.clients WHERE id = $1.client_id;
$$ LANGUAGE sql STABLE;

CREATE FUNCTION test.computed_projects(test.clients) RETURNS SETOF test.projects ROWS 1 AS $$
  SELECT * FROM test.projects WHERE client_id = $1.id;
$$ LANGUAGE sql STABLE;

create function computed_rel_overload(items) returns setof items2 as $$
  select * from test.items2 limit 1
$$ language sql;

create function computed_rel_overload(items2) returns setof items2 as $$
  select * from test.items2 limit 2
$$ language sql;

create function search2(id bigint) returns setof items2
language plpgsql
stable
as $$ begin
  return query select items2.id from test.items2 where items2.id=search2.id;
end$$;

INSERT INTO items2 VALUES (1), (2), (3);
INSERT INTO web_content VALUES (5, 'wat', null);
INSERT INTO web_content VALUES (0, 'tardis', 5);
INSERT INTO web_content VALUES (1, 'fezz', 0);
INSERT INTO web_content VALUES (2, 'foo', 0);
INSERT INTO web_content VALUES (3, 'bar', 0);
INSERT INTO web_content VALUES (4, 'wut', 1);
INSERT INTO designers(id, name) VALUES (1, 'Sid Meier'), (2, 'Hironobu Sakaguchi');
INSERT INTO videogames(id, name, designer_id) VALUES (1, 'Civilization I', 1), (2, 'Civilization II', 1), (3, 'Final Fantasy I', 2), (4, 'Final Fantasy II', 2);

GRANT ALL ON ALL TABLES IN SCHEMA test TO anon, authenticated, service_role;
GRANT ALL ON ALL SEQUENCES IN SCHEMA test TO anon, authenticated, service_role;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA test TO anon, authenticated, service_role;
