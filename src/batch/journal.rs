//! The batch journal: SQLite (rusqlite, bundled) in the state directory, `batches.sqlite` (mode 0600).
//!
//! Every restore of a batch is a row, written before its POST (state `sending`) and after its answer
//! (`done`, `failed`, `unknown`, or back to `planned` when the server refused it before doing anything).
//! The database runs in WAL mode with `synchronous=FULL`: a committed row is on disk before the call that
//! wrote it returns, so a `kill -9` or a power loss right after never loses it, and a restore is never
//! sent without its `sending` row being committed first.
//!
//! A batch is identified by the hash of its resolved content (server, session, every restore with its
//! source, target and flags): the same plan run again against the same server finds its rows and
//! resumes.

use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};

/// The states of a restore.
pub const PLANNED: &str = "planned";
/// Its row is committed, its request may be on its way, but not all of it: the last byte of its body is
/// held back until the row says [`SENT`] (see [`crate::api::BodyGate`]), so the server holds no
/// complete request of a restore in this state.
pub const SENDING: &str = "sending";
/// The whole request may have reached the server; its answer is not in yet (or was lost).
pub const SENT: &str = "sent";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";
pub const UNKNOWN: &str = "unknown";

/// One restore of a batch as the journal keeps it.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UnitRow {
    pub seq: i64,
    /// Index of the plan's source (0-based) and its line.
    pub source: i64,
    pub source_line: i64,
    /// `mailbox`, `folder`, `items`.
    pub kind: String,
    pub mailbox_id: String,
    pub mailbox: String,
    pub folder_id: Option<String>,
    pub folder_path: Option<String>,
    pub item_ids: Vec<String>,
    /// `None`: the original location.
    pub target_mailbox: Option<String>,
    pub target_folder: Option<String>,
    /// What the session's Restore event is expected to name (see `runner::signature`).
    pub signature: String,
    pub state: String,
    pub attempts: i64,
    pub sent_at: Option<String>,
    pub created: Option<i64>,
    pub merged: Option<i64>,
    pub skipped: Option<i64>,
    pub failed: Option<i64>,
    /// `answer`, `events` (reconciled from the session's events) or `session` (from the restore's own
    /// session, v8).
    pub how: Option<String>,
    pub message: Option<String>,
    /// v8: the restore's own session (`sessionId` of the answer), once the server has answered it.
    pub restore_session: Option<String>,
}

/// A batch's header.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct BatchRow {
    pub id: String,
    pub plan_path: String,
    pub server: String,
    pub session: String,
    pub created: String,
    /// Restore events already in the session when the batch was created, by signature (JSON object).
    pub baseline: String,
}

pub struct Journal {
    conn: Connection,
    path: PathBuf,
}

// Every query once, prepared once per connection (`prepare_cached`).
const SELECT_BATCH: &str = "SELECT id, plan_path, server, session, created, baseline FROM batches WHERE id = ?1";
const SELECT_BATCHES: &str = "SELECT id, plan_path, server, session, created, baseline FROM batches ORDER BY created";
const INSERT_BATCH: &str =
    "INSERT INTO batches (id, plan_path, server, session, created, baseline) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
const INSERT_UNIT: &str = "INSERT INTO units (batch, seq, source, source_line, kind, mailbox_id, mailbox, folder_id,
    folder_path, item_ids, target_mailbox, target_folder, signature, state, attempts)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 0)";
const SELECT_UNITS: &str =
    "SELECT seq, source, source_line, kind, mailbox_id, mailbox, folder_id, folder_path, item_ids,
    target_mailbox, target_folder, signature, state, attempts, sent_at, created, merged, skipped, failed, how, message,
    restore_session FROM units WHERE batch = ?1 ORDER BY seq";
const UPDATE_SENDING: &str = "UPDATE units SET state = ?3, sent_at = ?4, attempts = attempts + 1, message = NULL,
    restore_session = NULL WHERE batch = ?1 AND seq = ?2";
const UPDATE_SENT: &str = "UPDATE units SET state = ?3 WHERE batch = ?1 AND seq = ?2 AND state IN (?4, ?3)";
const UPDATE_ACCEPTED: &str = "UPDATE units SET restore_session = ?3 WHERE batch = ?1 AND seq = ?2";
const UPDATE_MESSAGE: &str = "UPDATE units SET message = ?3 WHERE batch = ?1 AND seq = ?2";
const UPDATE_DONE: &str = "UPDATE units SET state = ?3, created = ?4, merged = ?5, skipped = ?6, failed = ?7, how = ?8,
    message = ?9 WHERE batch = ?1 AND seq = ?2";
const SOURCE_COUNTS: &str = "SELECT state, COUNT(*), COALESCE(SUM(created), 0), COALESCE(SUM(merged), 0),
    COALESCE(SUM(skipped), 0), COALESCE(SUM(failed), 0) FROM units WHERE batch = ?1 AND source = ?2 GROUP BY state";
const UPDATE_STATE: &str = "UPDATE units SET state = ?3, message = ?4 WHERE batch = ?1 AND seq = ?2";

fn batch_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BatchRow> {
    Ok(BatchRow {
        id: r.get(0)?,
        plan_path: r.get(1)?,
        server: r.get(2)?,
        session: r.get(3)?,
        created: r.get(4)?,
        baseline: r.get(5)?,
    })
}

/// A row of [`SELECT_UNITS`].
fn unit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UnitRow> {
    let ids: String = r.get(8)?;
    Ok(UnitRow {
        seq: r.get(0)?,
        source: r.get(1)?,
        source_line: r.get(2)?,
        kind: r.get(3)?,
        mailbox_id: r.get(4)?,
        mailbox: r.get(5)?,
        folder_id: r.get(6)?,
        folder_path: r.get(7)?,
        item_ids: serde_json::from_str(&ids).unwrap_or_default(),
        target_mailbox: r.get(9)?,
        target_folder: r.get(10)?,
        signature: r.get(11)?,
        state: r.get(12)?,
        attempts: r.get(13)?,
        sent_at: r.get(14)?,
        created: r.get(15)?,
        merged: r.get(16)?,
        skipped: r.get(17)?,
        failed: r.get(18)?,
        how: r.get(19)?,
        message: r.get(20)?,
        restore_session: r.get(21)?,
    })
}

/// One statement that must change exactly one row.
fn one_row(c: &Connection, sql: &'static str, p: impl rusqlite::Params) -> Result<(), String> {
    let n = c.prepare_cached(sql).and_then(|mut st| st.execute(p)).map_err(db_err)?;
    if n != 1 {
        return Err(format!("batch journal: {n} rows changed where 1 was expected"));
    }
    Ok(())
}

fn db_err(e: rusqlite::Error) -> String {
    format!("batch journal: {e}")
}

impl Journal {
    /// The journal file in `state_dir`.
    pub fn path_in(state_dir: &Path) -> PathBuf {
        state_dir.join("batches.sqlite")
    }

    /// Opens (creating) the journal: the directory 0700, the file 0600 before SQLite writes a byte to it.
    pub fn open(path: &Path) -> Result<Journal, String> {
        if let Some(dir) = path.parent() {
            crate::config::paths::ensure_own_dir(dir).map_err(|e| format!("batch journal {}: {e}", dir.display()))?;
        }
        if !path.exists() {
            crate::config::paths::create_private_file(path)
                .map_err(|e| format!("batch journal {}: {e}", path.display()))?;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        let conn = Connection::open(path).map_err(db_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(db_err)?;
        // WAL + FULL: every commit is fsynced before it returns (a kill -9 loses nothing committed).
        conn.pragma_update(None, "journal_mode", "WAL").map_err(db_err)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(db_err)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS batches (
                id TEXT PRIMARY KEY,
                plan_path TEXT NOT NULL,
                server TEXT NOT NULL,
                session TEXT NOT NULL,
                created TEXT NOT NULL,
                baseline TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS units (
                batch TEXT NOT NULL,
                seq INTEGER NOT NULL,
                source INTEGER NOT NULL,
                source_line INTEGER NOT NULL,
                kind TEXT NOT NULL,
                mailbox_id TEXT NOT NULL,
                mailbox TEXT NOT NULL,
                folder_id TEXT,
                folder_path TEXT,
                item_ids TEXT NOT NULL,
                target_mailbox TEXT,
                target_folder TEXT,
                signature TEXT NOT NULL,
                state TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                sent_at TEXT,
                created INTEGER, merged INTEGER, skipped INTEGER, failed INTEGER,
                how TEXT,
                message TEXT,
                restore_session TEXT,
                PRIMARY KEY (batch, seq)
            );",
        )
        .map_err(db_err)?;
        // Journals written before the column existed.
        let has_session = conn
            .prepare("SELECT 1 FROM pragma_table_info('units') WHERE name = 'restore_session'")
            .and_then(|mut st| st.exists([]))
            .map_err(db_err)?;
        if !has_session {
            conn.execute_batch("ALTER TABLE units ADD COLUMN restore_session TEXT")
                .map_err(db_err)?;
        }
        Ok(Journal {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn batch(&self, id: &str) -> Result<Option<BatchRow>, String> {
        let mut st = self.conn.prepare_cached(SELECT_BATCH).map_err(db_err)?;
        st.query_row(params![id], batch_row).optional().map_err(db_err)
    }

    pub fn batches(&self) -> Result<Vec<BatchRow>, String> {
        let mut st = self.conn.prepare_cached(SELECT_BATCHES).map_err(db_err)?;
        let rows = st.query_map([], batch_row).map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
    }

    /// Writes a new batch and all its restores (state `planned`) in one transaction.
    pub fn create(&mut self, b: &BatchRow, units: &[UnitRow]) -> Result<(), String> {
        let tx = self.conn.transaction().map_err(db_err)?;
        tx.prepare_cached(INSERT_BATCH)
            .and_then(|mut st| st.execute(params![b.id, b.plan_path, b.server, b.session, b.created, b.baseline]))
            .map_err(db_err)?;
        {
            // One statement, prepared once, for every restore.
            let mut st = tx.prepare_cached(INSERT_UNIT).map_err(db_err)?;
            for u in units {
                st.execute(params![
                    b.id,
                    u.seq,
                    u.source,
                    u.source_line,
                    u.kind,
                    u.mailbox_id,
                    u.mailbox,
                    u.folder_id,
                    u.folder_path,
                    serde_json::to_string(&u.item_ids).unwrap_or_else(|_| "[]".into()),
                    u.target_mailbox,
                    u.target_folder,
                    u.signature,
                    PLANNED,
                ])
                .map_err(db_err)?;
            }
        }
        tx.commit().map_err(db_err)
    }

    pub fn units(&self, batch: &str) -> Result<Vec<UnitRow>, String> {
        let mut st = self.conn.prepare_cached(SELECT_UNITS).map_err(db_err)?;
        let rows = st.query_map(params![batch], unit_row).map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
    }

    /// One source's restores by state: (state, restores, created, merged, skipped, failed).
    pub fn source_counts(&self, batch: &str, source: i64) -> Result<Vec<(String, i64, [i64; 4])>, String> {
        let mut st = self.conn.prepare_cached(SOURCE_COUNTS).map_err(db_err)?;
        let rows = st
            .query_map(params![batch, source], |r| {
                Ok((r.get(0)?, r.get(1)?, [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?]))
            })
            .map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
    }

    /// Before the POST: `sending`, with the time, one more attempt. Committed (and fsynced) on return.
    pub fn sending(&self, batch: &str, seq: i64, at: &str) -> Result<(), String> {
        self.set(UPDATE_SENDING, params![batch, seq, SENDING, at])
    }

    /// Right before the last byte of the request leaves: the server may hold all of it from now on.
    pub fn sent(&self, batch: &str, seq: i64) -> Result<(), String> {
        self.set(UPDATE_SENT, params![batch, seq, SENT, SENDING])
    }

    /// v8: the server answered the restore's own session id.
    pub fn accepted(&self, batch: &str, seq: i64, restore_session: &str) -> Result<(), String> {
        self.set(UPDATE_ACCEPTED, params![batch, seq, restore_session])
    }

    /// Why, without changing the state.
    pub fn message(&self, batch: &str, seq: i64, message: &str) -> Result<(), String> {
        self.set(UPDATE_MESSAGE, params![batch, seq, message])
    }

    /// After an answer with counts (or counts read from the session's events: `how` = `events`).
    #[allow(clippy::too_many_arguments)]
    pub fn done(
        &self,
        batch: &str,
        seq: i64,
        counts: [i64; 4],
        how: &str,
        message: Option<&str>,
    ) -> Result<(), String> {
        self.set(
            UPDATE_DONE,
            params![
                batch, seq, DONE, counts[0], counts[1], counts[2], counts[3], how, message
            ],
        )
    }

    /// A new state (`planned`, `failed`, `unknown`) and why.
    pub fn state(&self, batch: &str, seq: i64, state: &str, message: Option<&str>) -> Result<(), String> {
        self.set(UPDATE_STATE, params![batch, seq, state, message])
    }

    /// [`Journal::sending`] for the restores of one bulk request, in one transaction: all or none.
    pub fn sending_many(&mut self, batch: &str, seqs: &[i64], at: &str) -> Result<(), String> {
        let tx = self.conn.transaction().map_err(db_err)?;
        for seq in seqs {
            one_row(&tx, UPDATE_SENDING, params![batch, seq, SENDING, at])?;
        }
        tx.commit().map_err(db_err)
    }

    /// [`Journal::sent`] for the restores of one bulk request, in one transaction.
    pub fn sent_many(&mut self, batch: &str, seqs: &[i64]) -> Result<(), String> {
        let tx = self.conn.transaction().map_err(db_err)?;
        for seq in seqs {
            one_row(&tx, UPDATE_SENT, params![batch, seq, SENT, SENDING])?;
        }
        tx.commit().map_err(db_err)
    }

    /// [`Journal::accepted`] for the restores of one bulk request (one session for all), in one transaction.
    pub fn accepted_many(&mut self, batch: &str, seqs: &[i64], restore_session: &str) -> Result<(), String> {
        let tx = self.conn.transaction().map_err(db_err)?;
        for seq in seqs {
            one_row(&tx, UPDATE_ACCEPTED, params![batch, seq, restore_session])?;
        }
        tx.commit().map_err(db_err)
    }

    fn set(&self, sql: &'static str, p: impl rusqlite::Params) -> Result<(), String> {
        let n = self
            .conn
            .prepare_cached(sql)
            .and_then(|mut st| st.execute(p))
            .map_err(db_err)?;
        if n != 1 {
            return Err(format!("batch journal: {n} rows changed where 1 was expected"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(seq: i64) -> UnitRow {
        UnitRow {
            seq,
            kind: "folder".into(),
            mailbox_id: "m".into(),
            mailbox: "a@b.c".into(),
            folder_id: Some("f".into()),
            folder_path: Some("Inbox".into()),
            item_ids: vec!["x".into()],
            signature: "a@b.c/Inbox -> a@b.c/Inbox".into(),
            ..Default::default()
        }
    }

    #[test]
    fn rows_survive_reopening_and_the_file_is_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = Journal::path_in(&dir.path().join("state"));
        let b = BatchRow {
            id: "b1".into(),
            plan_path: "plan.toml".into(),
            server: "http://x".into(),
            session: "s".into(),
            created: "now".into(),
            baseline: "{}".into(),
        };
        {
            let mut j = Journal::open(&path).expect("open");
            j.create(&b, &[unit(0), unit(1)]).expect("create");
            j.sending("b1", 0, "t0").expect("sending");
            j.done("b1", 0, [3, 0, 1, 0], "answer", None).expect("done");
            j.sending("b1", 1, "t1").expect("sending");
        }
        let j = Journal::open(&path).expect("reopen");
        assert_eq!(j.batch("b1").expect("read").as_ref(), Some(&b));
        let u = j.units("b1").expect("units");
        assert_eq!((u[0].state.as_str(), u[0].created, u[0].attempts), (DONE, Some(3), 1));
        assert_eq!((u[1].state.as_str(), u[1].sent_at.as_deref()), (SENDING, Some("t1")));
        assert_eq!(u[1].item_ids, vec!["x".to_string()]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let mode: String = j
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("pragma");
        assert_eq!(mode.to_lowercase(), "wal");
    }
}
