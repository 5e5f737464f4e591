-- Upgrade migrate_ext from 0.1.0 to 0.2.0 (ALTER EXTENSION migrate_ext UPDATE).
--
-- Runs inside the extension's update, as its owner. Everything 0.2.0
-- changes in the storage tables, the SQL functions, their signatures,
-- attributes, comments or privileges is repeated here, so that an updated
-- database equals a fresh CREATE EXTENSION of 0.2.0 (tests/upgrade.sh
-- compares the two catalog by catalog) and keeps its migration history.
-- The Rust functions need nothing: their SQL names the library, which the
-- new build replaced.
\echo Use "ALTER EXTENSION migrate_ext UPDATE" to load this file. \quit
