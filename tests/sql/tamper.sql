-- Integrity of history: each applied revision's checksum is recorded.
-- When someone bypasses the triggers and changes or deletes an applied
-- revision, migrate.verify() reports it and runs refuse until it is fixed.
CREATE DATABASE tamper;
\c tamper
CREATE EXTENSION migrate_ext;
SELECT migrate.revision('one', '[{"op": "execute", "sql": "CREATE TABLE one (id int)"}]',
                        '[{"op": "execute", "sql": "DROP TABLE one"}]', id => 'r1');
SELECT migrate.revision('two', '[{"op": "execute", "sql": "CREATE TABLE two (id int)"}]',
                        '[{"op": "execute", "sql": "DROP TABLE two"}]', id => 'r2');
SELECT migrate.revision('three', id => 'r3');
SELECT migrate.upgrade('r2');
SELECT revision, length(checksum) AS sha256_hex FROM migrate.applied ORDER BY revision;
SELECT * FROM migrate.verify();

-- unapplied revisions stay editable
UPDATE migrate.revisions SET message = 'three, renamed', upgrade = '[{"op": "execute", "sql": "SELECT 1"}]', downgrade = '[]'
 WHERE id = 'r3';
SELECT * FROM migrate.verify();

-- bypass the triggers and rewrite an applied revision
SET session_replication_role = replica;
UPDATE migrate.revisions SET upgrade = '[{"op": "execute", "sql": "CREATE TABLE uno (id int)"}]' WHERE id = 'r1';
SET session_replication_role = origin;
SELECT * FROM migrate.verify();
SELECT migrate.upgrade('head');
SELECT migrate.downgrade('base');

-- put it back as it was: history is whole again
SET session_replication_role = replica;
UPDATE migrate.revisions SET upgrade = '[{"op": "execute", "sql": "CREATE TABLE one (id int)"}]' WHERE id = 'r1';
SET session_replication_role = origin;
SELECT * FROM migrate.verify();

-- a deleted applied revision (with its unapplied child)
SET session_replication_role = replica;
DELETE FROM migrate.revisions WHERE id IN ('r2', 'r3');
SET session_replication_role = origin;
SELECT * FROM migrate.verify() ORDER BY 1, 2;
SELECT migrate.upgrade();
INSERT INTO migrate.revisions (id, down_revision, message, upgrade, downgrade)
VALUES ('r2', '{r1}', 'two', '[{"op": "execute", "sql": "CREATE TABLE two (id int)"}]', '[{"op": "execute", "sql": "DROP TABLE two"}]'),
       ('r3', '{r2}', 'three', '[]', NULL);
SELECT * FROM migrate.verify();

-- a version row edited by hand
UPDATE migrate.version SET version_num = 'r3';
SELECT * FROM migrate.verify();
SELECT migrate.upgrade();
-- stamp accepts the revisions as they are stored now
SELECT migrate.stamp('r2');
SELECT * FROM migrate.verify();
SELECT migrate.upgrade();

-- at head, upgrade('head') compares stored checksums and a digest of the
-- graph instead of loading it; tampering is caught there just the same
SELECT migrate.upgrade('head');
SELECT migrate.upgrade('head');
SELECT checksum = migrate._checksum(r) AS stored_checksum_is_current FROM migrate.revisions r WHERE id = 'r1';
-- a changed body, behind the triggers' back: the stored checksum follows
SET session_replication_role = replica;
UPDATE migrate.revisions SET upgrade = '[{"op": "execute", "sql": "CREATE TABLE uno (id int)"}]' WHERE id = 'r1';
SET session_replication_role = origin;
SELECT migrate.upgrade('head');
SELECT * FROM migrate.verify();
SET session_replication_role = replica;
UPDATE migrate.revisions SET upgrade = '[{"op": "execute", "sql": "CREATE TABLE one (id int)"}]' WHERE id = 'r1';
SET session_replication_role = origin;
SELECT migrate.upgrade('head');
-- a changed parent of an applied revision, and a deleted applied revision
SET session_replication_role = replica;
UPDATE migrate.revisions SET down_revision = '{}' WHERE id = 'r3';
SET session_replication_role = origin;
SELECT migrate.upgrade('heads');
SET session_replication_role = replica;
UPDATE migrate.revisions SET down_revision = '{r2}' WHERE id = 'r3';
DELETE FROM migrate.revisions WHERE id = 'r3';
SET session_replication_role = origin;
SELECT migrate.upgrade('head');
SELECT * FROM migrate.verify();
-- even the checksum column cannot be written: PostgreSQL computes it
UPDATE migrate.revisions SET checksum = 'x' WHERE id = 'r1';
