-- Upgrade migrate_ext from 0.4.0 to 0.5.0 (ALTER EXTENSION migrate_ext UPDATE).
--
-- Runs inside the extension's update, as its owner. Everything 0.5.0 adds
-- or changes in the SQL objects is repeated here, so that an updated
-- database equals a fresh CREATE EXTENSION of 0.5.0 (tests/upgrade.sh
-- compares the two catalog by catalog) and keeps its migration history.
\echo Use "ALTER EXTENSION migrate_ext UPDATE" to load this file. \quit
