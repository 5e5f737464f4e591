-- alembic revision -m "..." with nothing in it: an empty revision is
-- applied and reverted like any other, and moves the version.
CREATE DATABASE empty_revision;
\c empty_revision
CREATE EXTENSION migrate_ext;

SELECT migrate.revision('nothing yet', id => 'e00001');
SELECT upgrade, downgrade FROM migrate.revisions;
SELECT migrate.upgrade();
SELECT revision, direction, statements FROM migrate.log;
SELECT migrate.revision('also nothing', '[]', '[]', id => 'e00002');
SELECT down_revision FROM migrate.revisions WHERE id = 'e00002';
SELECT migrate.upgrade();
SELECT migrate.downgrade(-1);
SELECT migrate.downgrade(-1);
SELECT count(*) FROM migrate.version;
-- a generated id is 12 hex digits
SELECT migrate.revision('generated id') ~ '^[0-9a-f]{12}$' AS twelve_hex;
