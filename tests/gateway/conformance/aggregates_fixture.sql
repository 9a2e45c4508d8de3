-- Tables and rows for the aggregate cases (aggregates.yaml: AggregateFunctionsSpec.hs), loaded after
-- query_fixture.sql (clients, projects, entities come from there), extracted from PostgREST v12.2.9's
-- test/spec/fixtures/schema.sql and data.sql (https://github.com/PostgREST/postgrest, MIT licence), their
-- statements verbatim; the roles are Supabase's.
SET search_path = test, public, pg_catalog;

create table project_invoices (
  id int primary key
, invoice_total numeric
, project_id integer references projects(id)
);

create table budget_categories (
  id int primary key
, category_name text
, budget_owner text
, budget_amount numeric
);

create table budget_expenses (
  id int primary key
, expense_amount numeric
, budget_category_id integer references budget_categories(id)
);

create table test.trash(
  id int primary key
);

create table test.trash_details(
  id int primary key references test.trash(id),
  jsonb_col jsonb
);

CREATE FUNCTION getallprojects() RETURNS SETOF projects
    LANGUAGE sql
    AS $_$
    SELECT * FROM test.projects;
$_$ ROWS 2019;

INSERT INTO project_invoices VALUES (1, 100, 1);
INSERT INTO project_invoices VALUES (2, 200, 1);
INSERT INTO project_invoices VALUES (3, 500, 2);
INSERT INTO project_invoices VALUES (4, 700, 2);
INSERT INTO project_invoices VALUES (5, 1200, 3);
INSERT INTO project_invoices VALUES (6, 2000, 3);
INSERT INTO project_invoices VALUES (7, 100, 4);
INSERT INTO project_invoices VALUES (8, 4000, 4);

INSERT INTO budget_categories VALUES (1, 'Beanie Babies', 'Brian Smith', 1000.31);
INSERT INTO budget_categories VALUES (2, 'DVDs', 'Jane Clarkson', 2000.12);
INSERT INTO budget_categories VALUES (3, 'Pizza', 'Brian Smith', 1000.11);
INSERT INTO budget_categories VALUES (4, 'Opera Tickets', 'Jane Clarkson', 7000.41);
INSERT INTO budget_categories VALUES (5, 'Nuclear Fusion Research', 'Sally Hughes', 500.23);
INSERT INTO budget_categories VALUES (6, 'T-5hirts', 'Dana de Groot', 500.33);

INSERT INTO budget_expenses VALUES (1, 200.26, 1);
INSERT INTO budget_expenses VALUES (2, 400.26, 3);
INSERT INTO budget_expenses VALUES (3, 100.22, 4);
INSERT INTO budget_expenses VALUES (5, 900.27, 5);

INSERT INTO trash(id) VALUES (1), (2), (3);
INSERT INTO trash_details(id,jsonb_col) VALUES (1,'{"key": 10}'), (2,'{"key": 6}'), (3,'{"key": 8}');

GRANT ALL ON ALL TABLES IN SCHEMA test TO anon, authenticated, service_role;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA test TO anon, authenticated, service_role;
