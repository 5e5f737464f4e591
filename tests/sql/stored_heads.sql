-- migrate.revision() without down_revision stacks the new revision on the
-- single head. It does not load the whole graph for that: it keeps the
-- heads it left, with a digest of migrate.revisions, and uses them only
-- while the digest still matches. Any other write -- a direct INSERT, a
-- merge, a deleted head, a row written with the triggers off -- changes
-- the digest, and the heads are read from the graph again.
CREATE DATABASE stored_heads;
\c stored_heads
CREATE EXTENSION migrate_ext;
SELECT migrate.revision('one', id => 'r1');
SELECT migrate.revision('two', id => 'r2');
SELECT migrate.revision('three', id => 'r3');
SELECT id, down_revision FROM migrate.revisions ORDER BY id;
SELECT stored_heads FROM migrate.state;

-- a direct INSERT moves the head: the next revision stacks on it
INSERT INTO migrate.revisions (id, down_revision, upgrade) VALUES ('r4', '{r3}', '[]');
SELECT migrate.revision('five', id => 'r5');
SELECT down_revision FROM migrate.revisions WHERE id = 'r5';

-- a head written with the triggers off is seen too
SET session_replication_role = replica;
INSERT INTO migrate.revisions (id, down_revision, upgrade) VALUES ('r6', '{r5}', '[]');
RESET session_replication_role;
SELECT migrate.revision('seven', id => 'r7');
SELECT down_revision FROM migrate.revisions WHERE id = 'r7';

-- a deleted (unapplied) head: the one below is the head again
DELETE FROM migrate.revisions WHERE id = 'r7';
SELECT migrate.revision('seven again', id => 'r7b');
SELECT down_revision FROM migrate.revisions WHERE id = 'r7b';

-- a second head stored directly: no single head any more
INSERT INTO migrate.revisions (id, down_revision, upgrade) VALUES ('side', '{r5}', '[]');
SELECT migrate.revision('eight');
-- merged, it has one again; the next stacks on the merge
SELECT migrate.merge(id => 'm1');
SELECT migrate.revision('nine', id => 'r9');
SELECT down_revision FROM migrate.revisions WHERE id = 'r9';
SELECT string_agg(h, ',' ORDER BY h) AS heads FROM migrate.heads() h;

-- a parent named by prefix or label still resolves through the graph
SELECT migrate.revision('ten', id => 'r10', down_revision => 'r9', branch_label => 'tip');
SELECT migrate.revision('eleven', id => 'r11', down_revision => 'tip');
SELECT migrate.revision('twelve', id => 'r12', down_revision => 'r11-1');
SELECT id, down_revision FROM migrate.revisions WHERE id IN ('r11', 'r12') ORDER BY id;
-- and the label cannot be taken twice, nor be an id
SELECT migrate.revision('again', down_revision => 'r12', branch_label => 'tip');
SELECT migrate.revision('again', down_revision => 'r12', branch_label => 'r1');
