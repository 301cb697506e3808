//! A local audit log of every restore, export and send: JSON lines under the state dir. Who, when,
//! which server, source, target, flags, outcome and counts. Never a secret: the record type has no
//! field that could hold one.
//!
//! A restore leaves two lines with the same `id`: one with outcome `sent`, written *before* the request
//! goes out (so a restore the server may have applied is never missing from the log, whatever happens to
//! vex afterwards), and its completion: `ok`, `partial`, `failed`, or `unknown` when the answer was lost
//! or vex was stopped (a signal, a quit) before it came. [`begin`] writes the first and keeps the record
//! as pending until [`Pending::complete`]; [`interrupt_pending`] completes every pending one as `unknown`
//! on the way out.

use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct AuditRecord {
    /// RFC 3339 UTC.
    pub time: String,
    /// Shared by a restore's `sent` line and its completion (empty for one-line records).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// The local OS user running vex.
    pub local_user: String,
    /// The VB365 user logged in.
    pub api_user: String,
    pub server: String,
    /// `restore`, `restore-original`, `export`, `save`, `send`.
    pub action: String,
    pub restore_session: String,
    pub source_mailbox: String,
    pub source_folder: Option<String>,
    /// The point in time the restore read, as vex knows it, with where that knowledge comes from ("the
    /// backup as of 2025-11-20 02:00 UTC (chosen when vex started this session)", or "not known to vex").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point_in_time: Option<String>,
    pub item_count: Option<u64>,
    pub target_mailbox: Option<String>,
    pub target_folder: Option<String>,
    /// The flags that were set (names as in the API).
    pub flags: Vec<String>,
    /// `password`, `device-code`, `application` (the mode, never the values).
    pub credential_mode: Option<String>,
    /// `sent` (before the request goes out), then `ok`, `partial`, `failed`, `unknown`.
    pub outcome: String,
    pub created: Option<i64>,
    pub merged: Option<i64>,
    pub skipped: Option<i64>,
    pub failed: Option<i64>,
    pub message: Option<String>,
}

/// Why an audit record could not be written. A write whose `sent` line fails is not sent.
#[derive(Debug)]
pub enum AuditError {
    /// The log's directory cannot be made private (0700).
    Directory(std::io::Error),
    /// The record cannot be encoded.
    Encode(serde_json::Error),
    /// The log cannot be opened or written.
    Write { path: PathBuf, error: std::io::Error },
    /// The task writing it stopped before it was done (it panicked or was cancelled).
    Stopped(String),
}

impl std::fmt::Display for AuditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditError::Directory(e) => write!(f, "audit log: {e}"),
            AuditError::Encode(e) => write!(f, "audit log: {e}"),
            AuditError::Write { path, error } => write!(f, "audit log {}: {error}", path.display()),
            AuditError::Stopped(e) => write!(f, "audit log: {e}"),
        }
    }
}

impl std::error::Error for AuditError {}

pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        AuditLog { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record (creating the file 0600 and its directory 0700).
    pub fn append(&self, rec: &AuditRecord) -> Result<(), AuditError> {
        if let Some(dir) = self.path.parent() {
            crate::config::paths::ensure_own_dir(dir).map_err(AuditError::Directory)?;
        }
        // Messages can quote the server: no raw C1 or bidi controls for whoever `cat`s the log.
        let json = serde_json::to_string(rec).map_err(AuditError::Encode)?;
        let mut line = crate::text::escape_for_json(&json).into_owned();
        line.push('\n');
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let failed = |error| AuditError::Write {
            path: self.path.clone(),
            error,
        };
        let mut f = opts.open(&self.path).map_err(failed)?;
        f.write_all(line.as_bytes()).map_err(failed)
    }
}

/// Now, as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The local OS account running vex: the name of the process's real user id in the user database
/// (`getuid` → `getpwuid_r`), not `$USER` (which anyone can set); `uid N` when the id has no name.
pub fn local_user() -> String {
    #[cfg(unix)]
    {
        // SAFETY: getuid cannot fail.
        let uid = unsafe { libc::getuid() };
        account_name(uid).unwrap_or_else(|| format!("uid {uid}"))
    }
    #[cfg(not(unix))]
    {
        std::env::var("USERNAME").unwrap_or_else(|_| "unknown".into())
    }
}

/// The user database's name for `uid`.
#[cfg(unix)]
fn account_name(uid: libc::uid_t) -> Option<String> {
    let mut size = 1024usize;
    loop {
        let mut buf = vec![0 as libc::c_char; size];
        // SAFETY: a zeroed `passwd` is a valid out-parameter (plain integers and null pointers).
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call and `buf.len()` is the buffer's size; on success the
        // strings in `pwd` point into `buf`, which outlives their use below.
        let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut found) };
        if rc == libc::ERANGE && size < 1 << 20 {
            size *= 4;
            continue;
        }
        if rc != 0 || found.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        // SAFETY: getpwuid_r succeeded: pw_name is a NUL-terminated string inside `buf`.
        let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) }
            .to_string_lossy()
            .into_owned();
        return (!name.is_empty()).then_some(name);
    }
}

/// Restores written as `sent` and not completed yet: (id, log path, record).
static PENDING: std::sync::Mutex<Vec<(String, PathBuf, AuditRecord)>> = std::sync::Mutex::new(Vec::new());

fn pending_list() -> std::sync::MutexGuard<'static, Vec<(String, PathBuf, AuditRecord)>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// A restore whose `sent` line is written; complete it with its outcome.
#[derive(Debug)]
#[must_use = "a sent restore is completed with its outcome"]
pub struct Pending {
    id: String,
    path: PathBuf,
    record: AuditRecord,
}

/// Writes the `sent` line of an action about to be sent (a new id, the time and the local user are
/// filled in) and keeps it pending. An error means nothing may be sent: the action would go unrecorded.
pub fn begin(path: PathBuf, mut record: AuditRecord) -> Result<Pending, AuditError> {
    record.id = uuid::Uuid::new_v4().to_string();
    record.time = now_rfc3339();
    record.local_user = local_user();
    record.outcome = "sent".into();
    AuditLog::new(path.clone()).append(&record)?;
    pending_list().push((record.id.clone(), path.clone(), record.clone()));
    Ok(Pending {
        id: record.id.clone(),
        path,
        record,
    })
}

impl Pending {
    pub fn record(&self) -> &AuditRecord {
        &self.record
    }

    /// Writes the completion line: the record with a new time and what `fill` sets (outcome, counts,
    /// message). Written even when [`interrupt_pending`] already wrote `unknown` for it: the real outcome
    /// that arrived after all is worth a line.
    pub fn complete(self, fill: impl FnOnce(&mut AuditRecord)) -> Result<(), AuditError> {
        pending_list().retain(|(id, _, _)| *id != self.id);
        let mut rec = self.record;
        rec.time = now_rfc3339();
        rec.message = None;
        fill(&mut rec);
        AuditLog::new(self.path).append(&rec)
    }
}

/// Completes every pending restore as `unknown` with `message` (vex is stopping before their answers
/// came) and returns those records, so the caller can say which restore sessions to look at.
pub fn interrupt_pending(message: &str) -> Vec<AuditRecord> {
    let taken: Vec<_> = std::mem::take(&mut *pending_list());
    taken
        .into_iter()
        .map(|(_, path, mut rec)| {
            rec.time = now_rfc3339();
            rec.outcome = "unknown".into();
            rec.message = Some(message.to_string());
            if let Err(e) = AuditLog::new(path).append(&rec) {
                tracing::error!(error = %e, "cannot complete an audit record");
            }
            rec
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path().join("state/audit.jsonl"));
        let rec = AuditRecord {
            action: "restore".into(),
            created: Some(3),
            outcome: "ok".into(),
            ..Default::default()
        };
        log.append(&rec).unwrap();
        log.append(&rec).unwrap();
        let text = std::fs::read_to_string(log.path()).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["created"], 3);
        // A server's message with controls in it: escaped on disk, the same text when read back.
        let hostile = AuditRecord {
            message: Some("\u{9b}2J \u{202e}gnp.exe".into()),
            ..rec
        };
        log.append(&hostile).unwrap();
        let text = std::fs::read_to_string(log.path()).unwrap();
        assert!(
            !text.chars().any(|c| crate::text::is_unsafe(c) && c != '\n'),
            "{text:?}"
        );
        let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(last["message"], "\u{9b}2J \u{202e}gnp.exe");
    }

    #[test]
    fn a_sent_line_before_and_its_completion_after() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/audit.jsonl");
        let rec = AuditRecord {
            action: "restore".into(),
            restore_session: "s-1".into(),
            ..Default::default()
        };
        let p = begin(path.clone(), rec.clone()).unwrap();
        let read = || -> Vec<serde_json::Value> {
            std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        };
        let lines = read();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["outcome"], "sent");
        assert!(!lines[0]["id"].as_str().unwrap().is_empty());
        assert_eq!(lines[0]["local_user"], local_user().as_str());
        p.complete(|r| {
            r.outcome = "ok".into();
            r.created = Some(2);
        })
        .unwrap();
        let lines = read();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            (lines[1]["outcome"].as_str(), lines[1]["created"].as_i64()),
            (Some("ok"), Some(2))
        );
        assert_eq!(lines[0]["id"], lines[1]["id"]);
        // Completed: nothing left for an interruption.
        let other = begin(path.clone(), rec).unwrap();
        let id = other.record().id.clone();
        let interrupted = interrupt_pending("stopped");
        assert!(interrupted.iter().any(|r| r.id == id && r.outcome == "unknown"));
        let lines = read();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            (lines[3]["outcome"].as_str(), lines[3]["id"].as_str()),
            (Some("unknown"), Some(id.as_str()))
        );
        drop(other);
    }

    #[cfg(unix)]
    #[test]
    fn the_local_user_is_the_os_account_not_the_environment() {
        // SAFETY: getuid cannot fail.
        let uid = unsafe { libc::getuid() };
        let name = local_user();
        assert!(!name.is_empty());
        if let Some(n) = account_name(uid) {
            assert_eq!(name, n);
        }
        let id = std::process::Command::new("id").arg("-un").output();
        if let Some(o) = id.ok().filter(|o| o.status.success()) {
            assert_eq!(name, String::from_utf8_lossy(&o.stdout).trim());
        }
    }
}
