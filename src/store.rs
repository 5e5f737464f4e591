//! Reads and writes of the extension's own tables: `migrate.revisions`,
//! `migrate.version` and `migrate.log`, and the lock that serializes runs.

use crate::error::{MigrateError, Result};
use crate::graph::{Graph, Node};
use crate::shell::{read, read_one, write};
use serde_json::Value;

/// The advisory lock every run and every `migrate.revision()` takes for the
/// rest of its transaction ("migrate\0" as a 64-bit key).
pub const LOCK_KEY: i64 = 0x6d69_6772_6174_6500;

/// Take the run lock: the advisory lock, then the row of `migrate.state`.
///
/// Under READ COMMITTED, every later query of the run sees what an earlier
/// run committed. Under REPEATABLE READ or SERIALIZABLE, a snapshot taken
/// before another run committed cannot see that run's work; updating the
/// state row then fails with PostgreSQL's own serialization error (40001),
/// instead of running revisions twice.
pub fn lock() -> Result<()> {
    write(
        "SELECT pg_catalog.pg_advisory_xact_lock($1)",
        &[LOCK_KEY.into()],
    )?;
    let touched = crate::shell::write_returning(
        "WITH u AS (UPDATE migrate.state SET runs = runs + 1 RETURNING 1) SELECT count(*) FROM u",
        &[],
        |rows| rows.first().get::<i64>(1),
    )?;
    if touched != Some(1) {
        write(
            "INSERT INTO migrate.state (runs) VALUES (1) ON CONFLICT DO NOTHING",
            &[],
        )?;
    }
    Ok(())
}

/// The whole revision graph (ids, edges and labels; not ops or messages),
/// in load order (created_at, then id). The server hands it over as one
/// text, a row per revision, fields and list items split by ASCII
/// separators that ids and labels cannot hold; the rows are sorted here,
/// not by the server, whose sort under the database's collation costs more
/// than the read. A row that does not split into its five fields is an
/// error, never a guess.
pub fn load_graph() -> Result<Graph> {
    let text = read_one::<String>(
        "SELECT pg_catalog.string_agg(pg_catalog.concat_ws(E'\\x1f', id, \
                    pg_catalog.array_to_string(down_revision, E'\\x1e'), \
                    pg_catalog.array_to_string(depends_on, E'\\x1e'), \
                    pg_catalog.array_to_string(branch_labels, E'\\x1e'), \
                    ((EXTRACT(epoch FROM created_at) * 1000000)::pg_catalog.int8)::pg_catalog.text), \
                E'\\x1d') \
           FROM migrate.revisions",
        &[],
    )?
    .unwrap_or_default();
    // Split first, sort (created_at, id) keys that borrow from the text,
    // then build the nodes once, in order: no node is moved by the sort.
    let mut rows: Vec<(i64, &str, [&str; 3])> =
        Vec::with_capacity(text.bytes().filter(|&b| b == 0x1d).count() + 1);
    for row in text.split('\x1d').filter(|r| !r.is_empty()) {
        let mut fields = row.split('\x1f');
        let (Some(id), Some(parents), Some(deps), Some(labels), Some(created), None) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return Err(MigrateError::new(
                crate::error::code::INTERNAL,
                format!("the revision graph could not be read: a stored row has {} fields", row.split('\x1f').count()),
            )
            .with_hint("An id or branch label holds a control character: was a row written behind the triggers' back?"));
        };
        rows.push((
            created.parse::<i64>().unwrap_or(0),
            id,
            [parents, deps, labels],
        ));
    }
    // ids are unique, so the order is total and an unstable sort is exact
    rows.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let list = |s: &str| -> Vec<String> {
        s.split('\x1e')
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    };
    Graph::new(
        rows.into_iter()
            .map(|(_, id, [parents, deps, labels])| Node {
                id: id.to_string(),
                parents: list(parents),
                depends_on: list(deps),
                labels: list(labels),
                message: None,
            })
            .collect(),
    )
}

/// The digest of the checksums in `table` (`migrate.revisions` or
/// `migrate.applied`) as a one-row subquery: their count `n` and the sum
/// `h` of their 64-bit hashes (0 for none). The fast paths compare it with
/// the digest a run or `migrate.revision()` recorded.
fn digest_of(table: &str) -> String {
    format!(
        "(SELECT pg_catalog.count(*) AS n, \
                 COALESCE(pg_catalog.sum(pg_catalog.hashtextextended(checksum, 0)), 0) AS h \
            FROM {table})"
    )
}

/// At head with nothing changed since the last run or stamp: the heads it
/// left (in graph order), when every stored revision is applied with the
/// checksum it was applied with and the graph digest is the one that run
/// recorded; None when any of that is not so (then the caller plans from
/// the whole graph, which also reports any drift). Two scans that compare
/// stored values, instead of loading and checking the graph.
pub fn unchanged_heads() -> Result<Option<Vec<String>>> {
    let row = read(
        &format!(
            "SELECT s.heads, \
                    ARRAY(SELECT v.version_num FROM migrate.version v), \
                    s.graph_count = r.n AND s.graph_sum = r.h AND r.n = a.n AND r.h = a.h \
               FROM migrate.state s, {} r, {} a",
            digest_of("migrate.revisions"),
            digest_of("migrate.applied")
        ),
        &[],
        |rows| {
            if rows.is_empty() {
                return Ok(None);
            }
            let row = rows.first();
            Ok(Some((
                row.get::<Vec<Option<String>>>(1)?,
                row.get::<Vec<Option<String>>>(2)?,
                row.get::<bool>(3)?,
            )))
        },
    )?;
    let Some((Some(heads), Some(versions), Some(true))) = row else {
        return Ok(None);
    };
    let heads: Vec<String> = heads.into_iter().flatten().collect();
    let mut sorted = heads.clone();
    sorted.sort();
    let mut versions: Vec<String> = versions.into_iter().flatten().collect();
    versions.sort();
    Ok((!heads.is_empty() && sorted == versions).then_some(heads))
}

/// What `migrate.revision()` knows about the stored graph without loading
/// it: the heads it recorded after its last insert, still valid when the
/// digest of `migrate.revisions` (count and sum of the checksums' 64-bit
/// hashes, [`digest_of`]) is the one recorded then. Any
/// other write (a direct INSERT, a merge, a delete, an edit behind the
/// triggers' back) changes the digest, and the heads are read from the
/// graph again. One scan of the checksum column.
pub struct StoredHeads {
    /// the recorded heads, when still valid
    pub heads: Option<Vec<String>>,
    /// the digest now, as text (count, sum)
    pub count: i64,
    pub sum: String,
}

pub fn stored_heads() -> Result<StoredHeads> {
    let row = read(
        &format!(
            "SELECT s.stored_heads, s.stored_count = r.n AND s.stored_sum = r.h, r.n, r.h::pg_catalog.text \
               FROM migrate.state s, {} r",
            digest_of("migrate.revisions")
        ),
        &[],
        |rows| {
            if rows.is_empty() {
                return Ok(None);
            }
            let row = rows.first();
            Ok(Some((
                row.get::<Vec<Option<String>>>(1)?,
                row.get::<bool>(2)?,
                row.get::<i64>(3)?,
                row.get::<String>(4)?,
            )))
        },
    )?;
    let Some((heads, valid, Some(count), Some(sum))) = row else {
        return Ok(StoredHeads {
            heads: None,
            count: 0,
            sum: "0".into(),
        });
    };
    Ok(StoredHeads {
        heads: (valid == Some(true))
            .then(|| heads.map(|h| h.into_iter().flatten().collect()))
            .flatten(),
        count,
        sum,
    })
}

/// After `migrate.revision()` stored `id`: record the heads now (None when
/// unknown) and the digest, the one before plus the new row.
pub fn remember_heads(before: &StoredHeads, heads: Option<Vec<String>>, id: &str) -> Result<()> {
    write(
        "UPDATE migrate.state SET stored_heads = $1, stored_count = $2 + 1, \
                stored_sum = $3::pg_catalog.numeric + (SELECT pg_catalog.hashtextextended(checksum, 0) \
                                                          FROM migrate.revisions WHERE id = $4)",
        &[
            heads.into(),
            before.count.into(),
            before.sum.as_str().into(),
            id.into(),
        ],
    )
}

/// Whether a revision with this exact id is stored.
pub fn is_stored(id: &str) -> Result<bool> {
    Ok(read_one::<bool>(
        "SELECT EXISTS (SELECT FROM migrate.revisions WHERE id = $1)",
        &[id.into()],
    )?
    .unwrap_or(false))
}

/// The stored parents of revision `id`, None when it is not stored.
pub fn parents_of(id: &str) -> Result<Option<Vec<String>>> {
    read(
        "SELECT down_revision FROM migrate.revisions WHERE id = $1",
        &[id.into()],
        |rows| {
            if rows.is_empty() {
                return Ok(None);
            }
            Ok(rows
                .first()
                .get::<Vec<Option<String>>>(1)?
                .map(|p| p.into_iter().flatten().collect()))
        },
    )
}

/// The revision that carries branch label `label`, or whose id it is.
pub fn label_owner(label: &str) -> Result<Option<String>> {
    read_one::<String>(
        "SELECT id FROM migrate.revisions \
          WHERE branch_labels @> ARRAY[$1]::pg_catalog.text[] OR id = $1 \
          ORDER BY id = $1 LIMIT 1",
        &[label.into()],
    )
}

/// The rows of `migrate.version`.
pub fn versions() -> Result<Vec<String>> {
    read(
        "SELECT version_num FROM migrate.version ORDER BY version_num",
        &[],
        |rows| {
            let mut out = Vec::new();
            for row in rows {
                if let Some(v) = row.get::<String>(1)? {
                    out.push(v);
                }
            }
            Ok(out)
        },
    )
}

/// A stored revision's ops (JSON text) and message, with the downgrade its
/// upgrade recorded when it ran.
pub struct StoredOps {
    pub id: String,
    pub upgrade: String,
    pub downgrade: Option<String>,
    pub message: Option<String>,
    /// `migrate.applied.downgrade`
    pub recorded: Option<String>,
    /// whether `migrate.applied` has a row for it (run or stamped)
    pub applied: bool,
}

/// The stored ops and messages of the given revisions.
pub fn ops_of(ids: &[String]) -> Result<Vec<StoredOps>> {
    read(
        "SELECT r.id, r.upgrade::text, r.downgrade::text, r.message, a.downgrade::text, \
                a.revision IS NOT NULL \
           FROM migrate.revisions r LEFT JOIN migrate.applied a ON a.revision = r.id \
          WHERE r.id = ANY($1)",
        &[ids.to_vec().into()],
        |rows| {
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(StoredOps {
                    id: row.get::<String>(1)?.unwrap_or_default(),
                    upgrade: row.get::<String>(2)?.unwrap_or_else(|| "null".into()),
                    downgrade: row.get(3)?,
                    message: row.get(4)?,
                    recorded: row.get(5)?,
                    applied: row.get(6)?.unwrap_or(false),
                });
            }
            Ok(out)
        },
    )
}

/// A fresh 12-hex-digit id.
pub fn new_id() -> Result<String> {
    read_one::<String>(
        "SELECT pg_catalog.substr(pg_catalog.md5(pg_catalog.gen_random_uuid()::text), 1, 12)",
        &[],
    )?
    .ok_or_else(|| MigrateError::new(crate::error::code::INTERNAL, "no id generated"))
}

pub struct NewRevision<'a> {
    pub id: &'a str,
    pub parents: Vec<String>,
    pub depends_on: Vec<String>,
    pub labels: Vec<String>,
    pub message: Option<&'a str>,
    /// JSON text, as the caller gave it
    pub upgrade: &'a str,
    pub downgrade: Option<&'a str>,
    /// NULL: now()
    pub created_at: Option<pgrx::datum::TimestampWithTimeZone>,
}

pub fn insert_revision(r: NewRevision) -> Result<()> {
    write(
        "INSERT INTO migrate.revisions \
                (id, down_revision, depends_on, branch_labels, message, upgrade, downgrade, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, COALESCE($8, pg_catalog.now()))",
        &[
            r.id.into(),
            r.parents.into(),
            r.depends_on.into(),
            r.labels.into(),
            r.message.into(),
            r.upgrade.into(),
            r.downgrade.into(),
            r.created_at.into(),
        ],
    )
}

/// Whether the stored revision `id` has exactly this content (parents
/// aside, which the caller compares).
pub fn same_revision(
    id: &str,
    message: Option<&str>,
    upgrade: &str,
    downgrade: Option<&str>,
    depends_on: &[String],
    labels: &[String],
) -> Result<bool> {
    Ok(read_one::<bool>(
        "SELECT upgrade = $2::jsonb AND downgrade IS NOT DISTINCT FROM $3::jsonb \
                AND message IS NOT DISTINCT FROM $4 AND depends_on = $5 AND branch_labels = $6 \
           FROM migrate.revisions WHERE id = $1",
        &[
            id.into(),
            upgrade.into(),
            downgrade.into(),
            message.into(),
            depends_on.to_vec().into(),
            labels.to_vec().into(),
        ],
    )?
    .unwrap_or(false))
}

/// One step of a run, as `migrate.log` records it.
pub struct LogEntry {
    pub revision: String,
    pub direction: &'static str,
    pub started: f64,
    pub finished: f64,
    pub statements: Vec<String>,
    /// An upgrade's recorded downgrade: one entry per upgrade op, null or
    /// the ops that undo it (stored in `migrate.applied.downgrade`).
    pub recorded: Option<Value>,
}

/// Record a finished run: the steps in `migrate.log`, the new heads in
/// `migrate.version`, and the checksums of what was applied (`up`) or
/// reverted (`down`) in `migrate.applied`, in one statement. With
/// `digest`, the graph digest of the fast path at head is recorded too;
/// without it (a step of `CALL migrate.run` before the last) it is
/// cleared, so the fast path is not taken until a run records it again.
/// An applied revision keeps the recorded downgrade of its last step, found
/// by one join over the steps (a lookup per revision made a first upgrade
/// of 10,000 revisions take minutes).
pub fn record(
    entries: &[LogEntry],
    heads: &[String],
    up: &[String],
    down: &[String],
    digest: bool,
) -> Result<()> {
    let log: Value = entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "revision": e.revision,
                "direction": e.direction,
                "started": e.started,
                "finished": e.finished,
                "statements": e.statements,
                "recorded": e.recorded,
            })
        })
        .collect();
    write(
        &format!("WITH steps AS ( \
             SELECT ord, s FROM pg_catalog.jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(s, ord)), \
         logged AS ( \
             INSERT INTO migrate.log (revision, direction, started_at, finished_at, role, statements) \
             SELECT s->>'revision', s->>'direction', \
                    pg_catalog.to_timestamp((s->>'started')::float8), \
                    pg_catalog.to_timestamp((s->>'finished')::float8), \
                    current_user, \
                    ARRAY(SELECT pg_catalog.jsonb_array_elements_text(s->'statements')) \
               FROM steps ORDER BY ord), \
         unapplied AS (DELETE FROM migrate.applied WHERE revision = ANY($4)), \
         applied AS ( \
             INSERT INTO migrate.applied (revision, checksum, downgrade) \
             SELECT r.id, r.checksum, d.recorded \
               FROM migrate.revisions r \
               LEFT JOIN (SELECT DISTINCT ON (s->>'revision') s->>'revision' AS revision, \
                                 s->'recorded' AS recorded \
                            FROM steps WHERE pg_catalog.jsonb_typeof(s->'recorded') = 'array' \
                           ORDER BY s->>'revision', ord DESC) d ON d.revision = r.id \
              WHERE r.id = ANY($3) \
             ON CONFLICT (revision) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now(), \
                    downgrade = EXCLUDED.downgrade), \
         cleared AS (DELETE FROM migrate.version WHERE version_num <> ALL($2)), \
         digest AS (UPDATE migrate.state SET heads = $2, \
                    (graph_count, graph_sum) = (SELECT d.n, d.h FROM {} d WHERE $5)) \
         INSERT INTO migrate.version (version_num) SELECT pg_catalog.unnest($2) \
         ON CONFLICT (version_num) DO NOTHING",
            digest_of("migrate.revisions")
        ),
        &[
            log.to_string().into(),
            heads.to_vec().into(),
            up.to_vec().into(),
            down.to_vec().into(),
            digest.into(),
        ],
    )
}

/// After a stamp: `migrate.applied` holds exactly `applied`, with the
/// checksums of the revisions as stored now.
pub fn restamp(applied: &[String]) -> Result<()> {
    write(
        "WITH gone AS (DELETE FROM migrate.applied WHERE revision <> ALL($1)) \
         INSERT INTO migrate.applied (revision, checksum) \
         SELECT r.id, r.checksum FROM migrate.revisions r WHERE r.id = ANY($1) \
         ON CONFLICT (revision) DO UPDATE SET checksum = EXCLUDED.checksum \
         WHERE migrate.applied.checksum <> EXCLUDED.checksum",
        &[applied.to_vec().into()],
    )
}

/// What `migrate.verify()` compares, from stored values only: how many
/// recorded checksums name a stored revision, and the recorded revisions
/// that are gone (`true`) or whose stored checksum differs from the
/// recorded one (`false`).
pub struct Recorded {
    pub of_stored: usize,
    pub differ: Vec<(String, bool)>,
}

pub fn recorded() -> Result<Recorded> {
    let text = read_one::<String>(
        "SELECT pg_catalog.json_build_array( \
                (SELECT pg_catalog.count(*) FROM migrate.applied a \
                   JOIN migrate.revisions r ON r.id = a.revision), \
                (SELECT pg_catalog.json_agg(pg_catalog.json_build_array(a.revision, r.id IS NULL) \
                                          ORDER BY a.revision) \
                   FROM migrate.applied a LEFT JOIN migrate.revisions r ON r.id = a.revision \
                  WHERE r.checksum IS DISTINCT FROM a.checksum))::pg_catalog.text",
        &[],
    )?
    .unwrap_or_default();
    type Pair = (usize, Option<Vec<(String, bool)>>);
    let (of_stored, differ): Pair = serde_json::from_str(&text).map_err(|e| {
        MigrateError::new(
            crate::error::code::INTERNAL,
            format!("the recorded checksums could not be read: {e}"),
        )
    })?;
    Ok(Recorded {
        of_stored,
        differ: differ.unwrap_or_default(),
    })
}

/// The revisions with a recorded checksum.
pub fn recorded_ids() -> Result<Vec<String>> {
    let text = read_one::<String>(
        "SELECT pg_catalog.json_agg(a.revision)::pg_catalog.text FROM migrate.applied a",
        &[],
    )?;
    Ok(match text {
        Some(t) => serde_json::from_str::<Vec<String>>(&t).map_err(|e| {
            MigrateError::new(
                crate::error::code::INTERNAL,
                format!("the recorded checksums could not be read: {e}"),
            )
        })?,
        None => Vec::new(),
    })
}

/// One stored revision, for `migrate.show()`.
pub struct StoredRevision {
    pub message: Option<String>,
    pub created_at: Option<String>,
    pub upgrade: String,
    pub downgrade: Option<String>,
    pub checksum: Option<String>,
    pub applied_checksum: Option<String>,
    /// the downgrade its upgrade recorded (`migrate.applied.downgrade`)
    pub recorded: Option<String>,
}

pub fn load_revision(id: &str) -> Result<Option<StoredRevision>> {
    read(
        "SELECT r.message, r.created_at::text, r.upgrade::text, r.downgrade::text, \
                r.checksum, a.checksum, a.downgrade::text \
           FROM migrate.revisions r LEFT JOIN migrate.applied a ON a.revision = r.id \
          WHERE r.id = $1",
        &[id.into()],
        |rows| {
            if rows.is_empty() {
                return Ok(None);
            }
            let row = rows.first();
            Ok(Some(StoredRevision {
                message: row.get(1)?,
                created_at: row.get(2)?,
                upgrade: row.get::<String>(3)?.unwrap_or_else(|| "null".into()),
                downgrade: row.get(4)?,
                checksum: row.get(5)?,
                applied_checksum: row.get(6)?,
                recorded: row.get(7)?,
            }))
        },
    )
}
