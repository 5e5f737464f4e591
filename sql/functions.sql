-- SQL-level functions and triggers; they call the Rust functions defined
-- by the extension (migrate._revision, migrate._graph, migrate._check_*).

-- JSON reaches Rust as text, so numbers keep every digit.
-- down_revisions and branch_labels name every parent (in order) and every
-- label, as a merge or an exported file needs; created_at keeps the time
-- an exported revision was first written (it orders revisions that are
-- otherwise unordered, e.g. the branches of a history).
CREATE FUNCTION migrate.revision(message text,
                                 upgrade jsonb DEFAULT '[]',
                                 downgrade jsonb DEFAULT NULL,
                                 id text DEFAULT NULL,
                                 down_revision text DEFAULT NULL,
                                 branch_label text DEFAULT NULL,
                                 depends_on text[] DEFAULT '{}',
                                 down_revisions text[] DEFAULT NULL,
                                 branch_labels text[] DEFAULT NULL,
                                 created_at timestamptz DEFAULT NULL)
RETURNS text
LANGUAGE sql VOLATILE
AS $$
    -- fully qualified, so that it stays inlinable and nothing on the
    -- caller's search_path can stand in for it
    SELECT migrate._revision(message, upgrade::pg_catalog.text, downgrade::pg_catalog.text, id,
                             down_revision, branch_label, depends_on,
                             down_revisions, branch_labels, created_at)
$$;
COMMENT ON FUNCTION migrate.revision(text, jsonb, jsonb, text, text, text, text[], text[], text[], timestamptz) IS
    'Store a revision (alembic revision -m) and return its id.';

CREATE FUNCTION migrate.history(range text)
RETURNS TABLE (id text, down_revision text[], message text,
               applied boolean, is_head boolean, applied_at timestamptz)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT g.id, r.down_revision, r.message, g.applied, g.is_head,
           CASE WHEN g.applied THEN a.applied_at END
      FROM migrate._graph(range) g
      JOIN migrate.revisions r ON r.id = g.id
      LEFT JOIN migrate.applied a ON a.revision = g.id
     ORDER BY g.ord
$$;
-- _graph is one row per revision: planned as such, the joins above are hash
-- joins, not one index probe per revision; the sort by ord stays in memory
ALTER FUNCTION migrate._graph(text) ROWS 10000;
ALTER FUNCTION migrate.history(text) SET work_mem = '32MB';
COMMENT ON FUNCTION migrate.history(text) IS
    'Stored revisions in an Alembic range (start:end), newest first.';

CREATE FUNCTION migrate.history()
RETURNS TABLE (id text, down_revision text[], message text,
               applied boolean, is_head boolean, applied_at timestamptz)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM migrate.history(NULL) $$;
COMMENT ON FUNCTION migrate.history() IS
    'Every stored revision, newest first: id, parents, message, applied, is_head, applied_at.';

-- Branch points: revisions with more than one child.
CREATE FUNCTION migrate.branches()
RETURNS TABLE (id text, message text, children text[], branch_labels text[])
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH kids AS (
        SELECT p.parent, c.id, c.branch_labels
          FROM migrate.revisions c, unnest(c.down_revision) AS p(parent))
    SELECT r.id, r.message,
           array_agg(k.id ORDER BY k.id),
           ARRAY(SELECT DISTINCT l FROM kids k2, unnest(k2.branch_labels) l
                  WHERE k2.parent = r.id ORDER BY l)
      FROM kids k JOIN migrate.revisions r ON r.id = k.parent
     GROUP BY r.id, r.message, r.created_at
    HAVING count(*) > 1
     ORDER BY r.created_at, r.id
$$;
COMMENT ON FUNCTION migrate.branches() IS
    'Branch points (alembic branches): each revision with several children.';

-- Each row: a valid id, valid ops, and a downgrade (explicit or derived).
CREATE FUNCTION migrate._revisions_check_row() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF (NEW.id, NEW.down_revision, NEW.depends_on, NEW.upgrade, NEW.downgrade)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.down_revision, OLD.depends_on, OLD.upgrade, OLD.downgrade) THEN
            -- message, labels, created_at: free to change
            PERFORM migrate._check_revision(NEW.id, NEW.down_revision, NEW.depends_on,
                                            NEW.branch_labels, NEW.upgrade::text, NEW.downgrade::text);
            RETURN NEW;
        END IF;
        IF cardinality(migrate._applied(ARRAY[OLD.id])) > 0 THEN
            RAISE EXCEPTION 'revision % is applied and cannot be changed', OLD.id
                USING ERRCODE = '23000',
                      HINT = 'Downgrade below it first, or add a new revision.';
        END IF;
    END IF;
    PERFORM migrate._check_revision(NEW.id, NEW.down_revision, NEW.depends_on,
                                    NEW.branch_labels, NEW.upgrade::text, NEW.downgrade::text);
    RETURN NEW;
END
$$;

-- Each statement: every parent and dependency is stored, no cycle.
CREATE FUNCTION migrate._revisions_check_insert() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.id, x.kind, x.ref INTO bad
      FROM new_rows n
     CROSS JOIN LATERAL (
           SELECT 'parent' AS kind, p AS ref FROM unnest(n.down_revision) p
           UNION ALL
           SELECT 'dependency', d FROM unnest(n.depends_on) d) x
     WHERE NOT EXISTS (SELECT 1 FROM migrate.revisions r WHERE r.id = x.ref)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'revision %: unknown % %', bad.id, bad.kind, bad.ref
            USING ERRCODE = '23503',
                  HINT = 'Store that revision first, or fix down_revision / depends_on.';
    END IF;
    -- index lookups (the primary key, the labels' GIN index), so that
    -- storing revisions stays linear in their number
    SELECT n.id, l.label INTO bad
      FROM new_rows n CROSS JOIN LATERAL unnest(n.branch_labels) AS l(label)
     WHERE EXISTS (SELECT 1 FROM migrate.revisions r WHERE r.id = l.label)
        OR EXISTS (SELECT 1 FROM migrate.revisions r
                    WHERE r.branch_labels @> ARRAY[l.label] AND r.id <> n.id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'revision %: branch label % is already used', bad.id, bad.label
            USING ERRCODE = '23505',
                  HINT = 'A branch label names one revision and is not a revision id.';
    END IF;
    SELECT n.id INTO bad FROM new_rows n
     WHERE EXISTS (SELECT 1 FROM migrate.revisions r WHERE r.branch_labels @> ARRAY[n.id])
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'revision id % is already used as a branch label', bad.id
            USING ERRCODE = '23505';
    END IF;
    PERFORM migrate._check_new_revisions(
        (SELECT jsonb_agg(jsonb_build_object('id', id, 'down_revision', down_revision,
                                             'depends_on', depends_on,
                                             'branch_labels', branch_labels))::text
           FROM new_rows));
    RETURN NULL;
END
$$;

CREATE FUNCTION migrate._revisions_check_graph() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM migrate._check_graph();
    RETURN NULL;
END
$$;

-- Deleting: nothing stored may still name a deleted revision, and no
-- deleted revision may be current (together: none was applied).
CREATE FUNCTION migrate._revisions_check_delete() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    bad record;
BEGIN
    SELECT o.id INTO bad FROM old_rows o
     WHERE EXISTS (SELECT 1 FROM migrate.version v WHERE v.version_num = o.id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'revision % is applied and cannot be deleted', bad.id
            USING ERRCODE = '23000',
                  HINT = 'Downgrade below it first.';
    END IF;
    SELECT o.id, r.id AS child INTO bad FROM old_rows o
      JOIN migrate.revisions r ON o.id = ANY (r.down_revision) OR o.id = ANY (r.depends_on)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'revision % cannot be deleted: revision % builds on it', bad.id, bad.child
            USING ERRCODE = '23503';
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION migrate._revisions_check_truncate() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM migrate.version) THEN
        RAISE EXCEPTION 'migrate.revisions cannot be truncated while revisions are applied'
            USING ERRCODE = '23000',
                  HINT = 'Downgrade to base first.';
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION migrate._append_only() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'migrate.log is append-only'
        USING ERRCODE = '55000',
              HINT = 'The log records every step run; it is not edited.';
END
$$;

CREATE TRIGGER check_row BEFORE INSERT OR UPDATE ON migrate.revisions
    FOR EACH ROW EXECUTE FUNCTION migrate._revisions_check_row();
CREATE TRIGGER check_insert AFTER INSERT ON migrate.revisions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION migrate._revisions_check_insert();
CREATE TRIGGER check_graph AFTER UPDATE OF id, down_revision, depends_on, branch_labels ON migrate.revisions
    FOR EACH STATEMENT EXECUTE FUNCTION migrate._revisions_check_graph();
CREATE TRIGGER check_delete AFTER DELETE ON migrate.revisions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION migrate._revisions_check_delete();
CREATE TRIGGER check_truncate BEFORE TRUNCATE ON migrate.revisions
    FOR EACH STATEMENT EXECUTE FUNCTION migrate._revisions_check_truncate();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON migrate.log
    FOR EACH ROW EXECUTE FUNCTION migrate._append_only();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON migrate.log
    FOR EACH STATEMENT EXECUTE FUNCTION migrate._append_only();

-- Roles: read, author or run. Sets exactly that access (revoking more);
-- DDL always runs with the caller's own rights (no SECURITY DEFINER).
-- Runs that commit after each revision (src/procedure.rs). A procedure
-- that commits can have no SET clause; the engine sets its search_path in
-- each transaction it runs, as every other function does.
CREATE PROCEDURE migrate.run(target text DEFAULT 'head')
LANGUAGE c AS 'MODULE_PATHNAME', 'run_procedure_wrapper';
COMMENT ON PROCEDURE migrate.run(text) IS
    'Upgrade to target (default head), one transaction per revision, committed as it goes.';
CREATE PROCEDURE migrate.run_down(target text)
LANGUAGE c AS 'MODULE_PATHNAME', 'run_down_procedure_wrapper';
COMMENT ON PROCEDURE migrate.run_down(text) IS
    'Downgrade to target, one transaction per revision, committed as it goes.';

CREATE FUNCTION migrate.grant_usage(role name, access text DEFAULT 'run')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF role IS NULL OR access IS NULL THEN
        RAISE EXCEPTION 'migrate.grant_usage: role and access must not be NULL'
            USING ERRCODE = '22004';
    END IF;
    IF access NOT IN ('read', 'author', 'run') THEN
        RAISE EXCEPTION 'migrate.grant_usage: unknown access "%"', access
            USING ERRCODE = '22023',
                  HINT = 'Access is read (history only), author (also store revisions) or run (also upgrade, downgrade, stamp, autogenerate).';
    END IF;
    PERFORM migrate.revoke_usage(role);
    EXECUTE format('GRANT USAGE ON SCHEMA migrate TO %I', role);
    EXECUTE format('GRANT SELECT ON migrate.revisions, migrate.version, migrate.log, migrate.applied, migrate.state TO %I', role);
    IF access IN ('author', 'run') THEN
        EXECUTE format('GRANT INSERT, UPDATE, DELETE ON migrate.revisions TO %I', role);
        EXECUTE format('GRANT INSERT, UPDATE ON migrate.state TO %I', role);
    END IF;
    IF access = 'run' THEN
        EXECUTE format('GRANT INSERT, UPDATE, DELETE ON migrate.version, migrate.applied TO %I', role);
        EXECUTE format('GRANT INSERT ON migrate.log TO %I', role);
        EXECUTE format('GRANT USAGE ON SEQUENCE migrate.log_id_seq TO %I', role);
    END IF;
END
$$;
COMMENT ON FUNCTION migrate.grant_usage(name, text) IS
    'Give a role read, author or run access to migrations (exactly that access).';

CREATE FUNCTION migrate.revoke_usage(role name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF role IS NULL THEN
        RAISE EXCEPTION 'migrate.revoke_usage: role must not be NULL' USING ERRCODE = '22004';
    END IF;
    EXECUTE format('REVOKE ALL ON migrate.revisions, migrate.version, migrate.log, migrate.applied, migrate.state FROM %I', role);
    EXECUTE format('REVOKE ALL ON SEQUENCE migrate.log_id_seq FROM %I', role);
    EXECUTE format('REVOKE ALL ON SCHEMA migrate FROM %I', role);
END
$$;
COMMENT ON FUNCTION migrate.revoke_usage(name) IS
    'Take back every access migrate.grant_usage gave a role.';

-- The role that created the extension (a database owner, for a trusted
-- install) gets every right on the extension's storage, with grant option,
-- so that it can run migrations and hand out access with grant_usage.
-- The objects themselves stay the installing superuser's.
DO $$
DECLARE
    owner regrole := (SELECT e.extowner::regrole FROM pg_catalog.pg_extension e
                       WHERE e.extname = 'migrate_ext');
BEGIN
    IF owner IS NOT NULL AND owner::oid <> (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) THEN
        EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA migrate TO %s WITH GRANT OPTION', owner);
        EXECUTE pg_catalog.format('GRANT ALL ON ALL TABLES IN SCHEMA migrate TO %s WITH GRANT OPTION', owner);
        EXECUTE pg_catalog.format('GRANT ALL ON ALL SEQUENCES IN SCHEMA migrate TO %s WITH GRANT OPTION', owner);
    END IF;
END
$$;
