-- The rows of prefs_fixture.sql's tables (PostgREST's test/spec/fixtures/data.sql, v12.2.12, MIT licence),
-- loaded before every case that writes, as PostgREST's spec runs each case in a rolled-back transaction.
SET search_path = test, pg_catalog;
TRUNCATE items, complex_items, tasks, projects, clients, articles, no_pk, only_pk, simple_pk, addresses,
  employees, tiobe_pls, single_unique, compound_unique, app_users, menagerie, datarep_todos,
  test_null_pk_competitors_sponsors, tbl_w_json, compound_pk, auto_incrementing_pk,
  limited_update_items, limited_delete_items, limited_delete_items_no_pk, "UnitTest", organizations RESTART IDENTITY CASCADE;
INSERT INTO items SELECT generate_series(1, 15);
SELECT setval('items_id_seq', 15);
INSERT INTO complex_items VALUES (1, 'One', '{"foo":{"int":1,"bar":"baz"}}', '{1}');
INSERT INTO complex_items VALUES (2, 'Two', '{"foo":{"int":1,"bar":"baz"}}', '{1,2}');
INSERT INTO complex_items VALUES (3, 'Three', '{"foo":{"int":1,"bar":"baz"}}', '{1,2,3}', 3);
INSERT INTO clients VALUES (1, 'Microsoft'), (2, 'Apple');
INSERT INTO projects VALUES (1, 'Windows 7', 1), (2, 'Windows 10', 1), (3, 'IOS', 2), (4, 'OSX', 2), (5, 'Orphan', NULL);
INSERT INTO tasks VALUES (1, 'Design w7', 1), (2, 'Code w7', 1), (3, 'Design w10', 2), (4, 'Code w10', 2),
  (5, 'Design IOS', 3), (6, 'Code IOS', 3), (7, 'Design OSX', 4), (8, 'Code OSX', 4);
INSERT INTO articles VALUES (1, 'No… It''s a thing; it''s like a plan, but with more greatness.', 'diogo');
INSERT INTO articles VALUES (2, 'Stop talking, brain thinking. Hush.', 'diogo');
INSERT INTO articles VALUES (3, 'It''s a fez. I wear a fez now. Fezes are cool.', 'diogo');
INSERT INTO no_pk VALUES (NULL, NULL), ('1', '0'), ('2', '0');
INSERT INTO only_pk VALUES (1), (2);
INSERT INTO simple_pk VALUES ('xyyx', 'u'), ('xYYx', 'v');
INSERT INTO addresses VALUES (1, 'address 1'), (2, 'address 2'), (3, 'address 3'), (4, 'address 4');
INSERT INTO employees VALUES
  ('Frances M.', 'Roe', '24000', 'One-Up Realty', 'Author'),
  ('Daniel B.', 'Lyon', '36000', 'Dubrow''s Cafeteria', 'Packer'),
  ('Edwin S.', 'Smith', '48000', 'Pro Garden Management', 'Marine biologist');
INSERT INTO tiobe_pls VALUES ('Java', 1), ('C', 2), ('Python', 4);
INSERT INTO single_unique (unique_key, value) VALUES (1, 'A');
INSERT INTO compound_unique (key1, key2, value) VALUES (1, 1, 'A');
INSERT INTO app_users (id, email, "password") VALUES (1, 'test@123.com', 'pass'), (2, 'abc@123.com', 'pass'),
  (3, 'def@123.com', 'pass');
INSERT INTO datarep_todos VALUES (1, 'Report', 0, '2018-01-02'), (2, 'Essay', 0, '2018-01-03');
SELECT setval('auto_incrementing_pk_id_seq', 1, false);
INSERT INTO limited_update_items VALUES (1, 'item-1'), (2, 'item-2'), (3, 'item-3');
INSERT INTO limited_delete_items VALUES (1, 'item-1'), (2, 'item-2'), (3, 'item-3');
INSERT INTO limited_delete_items_no_pk VALUES (1, 'item-1'), (2, 'item-2'), (3, 'item-3');
INSERT INTO organizations VALUES (1, 'Referee Org', NULL, NULL, 1), (2, 'Auditor Org', NULL, NULL, 2),
  (3, 'Acme', 1, 2, 3), (4, 'Umbrella', 1, 2, 4), (5, 'Cyberdyne', 3, 4, 5), (6, 'Oscorp', 3, 4, 6);
ANALYZE;
