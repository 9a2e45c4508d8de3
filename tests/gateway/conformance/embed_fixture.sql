-- Tables and rows for the embedding conformance cases (embed.json), ported from PostgREST's
-- test/spec/fixtures/schema.sql and data.sql (PostgREST, MIT licence): only the tables and views the
-- ported cases touch, in schema `test` (the gateway under test exposes it). Views over views are left out
-- (this gateway follows views over tables only). `rls_notes` shows embedding under the request's role.
CREATE SCHEMA test;
SET search_path = test;

CREATE TABLE clients (id integer primary key, name text NOT NULL);
CREATE TABLE projects (id integer primary key, name text NOT NULL, client_id integer REFERENCES clients(id));
ALTER TABLE projects RENAME CONSTRAINT projects_client_id_fkey TO client;
CREATE TABLE users (id integer primary key, name text NOT NULL);
CREATE TABLE tasks (id integer primary key, name text NOT NULL, project_id integer REFERENCES projects(id));
ALTER TABLE tasks RENAME CONSTRAINT tasks_project_id_fkey TO project;
CREATE TABLE users_tasks (
  user_id integer NOT NULL REFERENCES users(id),
  task_id integer NOT NULL REFERENCES tasks(id),
  primary key (task_id, user_id)
);
CREATE TABLE comments (
  id integer primary key, commenter_id integer NOT NULL, user_id integer NOT NULL, task_id integer NOT NULL,
  content text NOT NULL
);
ALTER TABLE ONLY comments
  ADD CONSTRAINT "user" FOREIGN KEY (commenter_id) REFERENCES users(id),
  ADD CONSTRAINT comments_task_id_fkey FOREIGN KEY (task_id, user_id) REFERENCES users_tasks(task_id, user_id);
CREATE TABLE files (project_id integer NOT NULL, filename text NOT NULL, content text NOT NULL,
  PRIMARY KEY (project_id, filename));
CREATE TABLE touched_files (
  user_id integer NOT NULL, task_id integer NOT NULL, project_id integer NOT NULL, filename text NOT NULL,
  constraint fk_users_tasks foreign key (user_id, task_id) references users_tasks (user_id, task_id),
  constraint fk_upload foreign key (project_id, filename) references files (project_id, filename),
  primary key (user_id, task_id, project_id, filename)
);
CREATE TABLE addresses (id int not null unique, address text not null);
CREATE TABLE orders (
  id int not null unique, name text not null,
  billing_address_id int references addresses(id), shipping_address_id int references addresses(id)
);
ALTER TABLE orders RENAME CONSTRAINT orders_billing_address_id_fkey TO billing;
ALTER TABLE orders RENAME CONSTRAINT orders_shipping_address_id_fkey TO shipping;
CREATE TABLE entities (id integer primary key, name text);
CREATE TABLE child_entities (id integer primary key, name text, parent_id integer references entities(id));
CREATE TABLE grandchild_entities (id integer primary key, name text, parent_id integer references child_entities(id));
CREATE TABLE being (being int primary key not null);
CREATE TABLE descendant (descendant int primary key not null, being int references being(being));
CREATE TABLE part (part int primary key not null);
CREATE TABLE being_part (
  being int not null references being(being), part int not null references part(part), primary key (being, part)
);
CREATE TABLE family_tree (id text not null primary key, name text not null, parent text);
ALTER TABLE ONLY family_tree ADD CONSTRAINT pptr FOREIGN KEY (parent) REFERENCES family_tree(id);
CREATE TABLE managers (id integer primary key, name text);
CREATE TABLE organizations (
  id integer primary key, name text,
  referee integer references organizations(id), auditor integer references organizations(id),
  manager_id integer references managers(id)
);
ALTER TABLE ONLY organizations RENAME CONSTRAINT organizations_manager_id_fkey TO manager;
CREATE TABLE person (id integer primary key, name character varying not null);
CREATE TABLE message (
  id integer primary key, body text not null default '',
  sender bigint not null references person(id), recipient bigint not null references person(id)
);
CREATE TABLE big_projects (big_project_id serial primary key, name text);
CREATE TABLE sites (site_id serial primary key, name text, main_project_id int null references big_projects (big_project_id));
ALTER TABLE sites RENAME CONSTRAINT sites_main_project_id_fkey TO main_project;
CREATE TABLE jobs (
  job_id uuid, name text,
  site_id int not null references sites (site_id), big_project_id int not null references big_projects (big_project_id),
  primary key (job_id, site_id, big_project_id)
);
CREATE TABLE whatev_projects (id serial primary key, name text);
CREATE TABLE whatev_sites (id serial primary key, name text);
CREATE TABLE whatev_jobs (
  job_id uuid, name text,
  site_id_1 int not null references whatev_sites (id), project_id_1 int not null references whatev_projects (id),
  site_id_2 int not null references whatev_sites (id), project_id_2 int not null references whatev_projects (id),
  primary key (job_id, site_id_1, project_id_1, site_id_2, project_id_2)
);
CREATE TABLE agents (id int primary key, name text, department_id int);
CREATE TABLE departments (id int primary key, name text, head_id int references agents(id));
ALTER TABLE agents ADD CONSTRAINT agents_department_id_fkey FOREIGN KEY (department_id) REFERENCES departments(id);
CREATE TABLE second (id int primary key, name text);
CREATE TABLE first (
  id int primary key, name text,
  second_id_1 int references second unique, second_id_2 int references second unique
);
CREATE TABLE students (id int primary key, name text);
CREATE TABLE students_info (id int primary key references students(id), address text);
CREATE TABLE country (id int primary key, name text);
CREATE TABLE capital (id int primary key, name text, country_id int unique references country(id));
CREATE TABLE posters (id int primary key, name text);
CREATE TABLE subscriptions (
  subscriber int references posters(id), subscribed int references posters(id), primary key (subscriber, subscribed)
);
CREATE TABLE space (id integer primary key, name text);
CREATE TABLE zone (id integer primary key, name text, zone_type_id integer, space_id integer references space(id));
-- Not from PostgREST: row-level security on an embedded table (only the owner's notes are visible).
CREATE TABLE rls_notes (
  id integer primary key, project_id integer references projects(id), owner uuid, body text
);
ALTER TABLE rls_notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY rls_notes_owner ON rls_notes USING (owner = auth.uid());

CREATE VIEW projects_view AS SELECT * FROM projects;
CREATE VIEW projects_view_v2 AS SELECT * FROM projects_view;
CREATE VIEW main_jobs AS SELECT * FROM jobs
  WHERE site_id IN (SELECT site_id FROM sites WHERE main_project_id IS NOT NULL);
CREATE VIEW person_detail AS
  SELECT p.id, p.name, s.count AS sent, r.count AS received
  FROM person p
  JOIN LATERAL (SELECT message.sender, count(message.id) AS count FROM message GROUP BY message.sender) s ON s.sender = p.id
  JOIN LATERAL (SELECT message.recipient, count(message.id) AS count FROM message GROUP BY message.recipient) r
    ON r.recipient = p.id;
-- Not from PostgREST: a table for mutations that embed in their representation (no other case reads it).
CREATE TABLE notes_m (id integer primary key, project_id integer references projects(id), body text);

GRANT USAGE ON SCHEMA test TO anon, authenticated, service_role;
GRANT INSERT, UPDATE, DELETE ON notes_m TO service_role;
GRANT SELECT ON ALL TABLES IN SCHEMA test TO anon, authenticated, service_role;

INSERT INTO users VALUES (1, 'Angela Martin'), (2, 'Michael Scott'), (3, 'Dwight Schrute');
INSERT INTO clients VALUES (1, 'Microsoft'), (2, 'Apple');
INSERT INTO projects VALUES (1, 'Windows 7', 1), (2, 'Windows 10', 1), (3, 'IOS', 2), (4, 'OSX', 2), (5, 'Orphan', NULL);
INSERT INTO tasks VALUES (1, 'Design w7', 1), (2, 'Code w7', 1), (3, 'Design w10', 2), (4, 'Code w10', 2),
  (5, 'Design IOS', 3), (6, 'Code IOS', 3), (7, 'Design OSX', 4), (8, 'Code OSX', 4);
INSERT INTO users_tasks VALUES (1, 1), (1, 2), (1, 3), (1, 4), (2, 5), (2, 6), (2, 7), (3, 1), (3, 5);
INSERT INTO comments VALUES (1, 1, 2, 6, 'Needs to be delivered ASAP');
INSERT INTO files VALUES (1, 'command.com', '#include <unix.h>'), (1, 'autoexec.bat', '@ECHO OFF'), (1, 'io.sys', 'TODO'),
  (2, 'README.md', '# make $$$!'), (2, 'marketing.key', '$-$');
INSERT INTO touched_files VALUES (1, 1, 1, 'command.com'), (1, 1, 1, 'autoexec.bat'), (1, 1, 2, 'README.md'),
  (3, 1, 1, 'autoexec.bat');
INSERT INTO addresses VALUES (1, 'address 1'), (2, 'address 2'), (3, 'address 3'), (4, 'address 4');
INSERT INTO orders VALUES (1, 'order 1', 1, 2), (2, 'order 2', 3, 4);
INSERT INTO entities VALUES (1, 'entity 1'), (2, 'entity 2'), (3, 'entity 3'), (4, null);
INSERT INTO child_entities VALUES (1, 'child entity 1', 1), (2, 'child entity 2', 1), (3, 'child entity 3', 2),
  (4, 'child entity 4', 1), (5, 'child entity 5', 1), (6, 'child entity 6', 2);
INSERT INTO grandchild_entities VALUES (1, 'grandchild entity 1', 1), (2, 'grandchild entity 2', 1),
  (3, 'grandchild entity 3', 2), (4, '(grandchild,entity,4)', 2), (5, '(grandchild,entity,5)', 2);
INSERT INTO being VALUES (1), (2), (3), (4);
INSERT INTO descendant VALUES (1,1), (2,1), (3,1), (4,2);
INSERT INTO part VALUES (1), (2), (3), (4);
INSERT INTO being_part VALUES (1,1), (2,1), (3,2), (4,3);
INSERT INTO family_tree VALUES ('1', 'Parental Unit', NULL), ('2', 'Kid One', '1'), ('3', 'Kid Two', '1'),
  ('4', 'Grandkid One', '2'), ('5', 'Grandkid Two', '3');
INSERT INTO managers VALUES (1, 'Referee Manager'), (2, 'Auditor Manager'), (3, 'Acme Manager'),
  (4, 'Umbrella Manager'), (5, 'Cyberdyne Manager'), (6, 'Oscorp Manager');
INSERT INTO organizations VALUES (1, 'Referee Org', null, null, 1), (2, 'Auditor Org', null, null, 2),
  (3, 'Acme', 1, 2, 3), (4, 'Umbrella', 1, 2, 4), (5, 'Cyberdyne', 3, 4, 5), (6, 'Oscorp', 3, 4, 6);
INSERT INTO person VALUES (1, 'John'), (2, 'Jane'), (3, 'Jake'), (4, 'Julie');
INSERT INTO message VALUES (1, 'Hello Jane', 1, 2), (2, 'Hi John', 2, 1), (3, 'How are you doing?', 1, 2),
  (4, 'Hey Julie', 3, 4), (5, 'What''s up Jake', 4, 3);
INSERT INTO big_projects (big_project_id, name) VALUES (1, 'big project 1'), (2, 'big project 2');
INSERT INTO sites (site_id, name, main_project_id) VALUES (1, 'site 1', 1), (2, 'site 2', null), (3, 'site 3', 2),
  (4, 'site 4', null);
INSERT INTO jobs (job_id, name, site_id, big_project_id) VALUES
  ('bc5d5362-b881-438f-b9f5-7417e08704ed', 'job 1-1', 1, 1),
  ('3bd52697-033b-4edd-8a28-46a9c04b7c1e', 'job 2-1', 2, 1),
  ('e6e67e4e-19b1-11e9-ab14-d663bd873d93', 'job 2-2', 2, 2);
INSERT INTO agents (id, name) VALUES (1, 'agent 1'), (2, 'agent 2'), (3, 'agent 3'), (4, 'agent 4');
INSERT INTO departments (id, name, head_id) VALUES (1, 'dep 1', 1), (2, 'dep 3', 3);
UPDATE agents SET department_id = 1 WHERE id in (1, 2);
UPDATE agents SET department_id = 2 WHERE id in (3, 4);
INSERT INTO students VALUES (1, 'John Doe'), (2, 'Jane Doe');
INSERT INTO students_info VALUES (1, 'Street 1'), (2, 'Street 2');
INSERT INTO country VALUES (1, 'Afghanistan'), (2, 'Algeria');
INSERT INTO capital VALUES (1, 'Kabul', 1), (2, 'Algiers', 2);
INSERT INTO posters VALUES (1, 'Mark'), (2, 'Elon'), (3, 'Bill'), (4, 'Jeff');
INSERT INTO subscriptions VALUES (3, 1), (4, 1), (1, 2);
INSERT INTO space VALUES (1, 'space 1');
INSERT INTO zone VALUES (1, 'zone 1', 2, 1), (2, 'zone 2', 2, 1), (3, 'store 3', 3, 1), (4, 'store 4', 3, 1);
INSERT INTO notes_m VALUES (1, 1, 'a'), (2, 3, 'b');
INSERT INTO rls_notes VALUES
  (1, 1, '11111111-1111-1111-1111-111111111111', 'alice on w7'),
  (2, 1, '22222222-2222-2222-2222-222222222222', 'bob on w7'),
  (3, 2, '22222222-2222-2222-2222-222222222222', 'bob on w10');
