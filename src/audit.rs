//! A local audit log of every restore, export and send: JSON lines under the state dir. Who, when,
//! which server, source, target, flags, outcome and counts. Never a secret: the record type has no
//! field that could hold one.

use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct AuditRecord {
    /// RFC 3339 UTC.
    pub time: String,
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
    pub item_count: Option<u64>,
    pub target_mailbox: Option<String>,
    pub target_folder: Option<String>,
    /// The flags that were set (names as in the API).
    pub flags: Vec<String>,
    /// `password`, `device-code`, `application` (the mode, never the values).
    pub credential_mode: Option<String>,
    /// `ok`, `partial`, `failed`, `unknown`.
    pub outcome: String,
    pub created: Option<i64>,
    pub merged: Option<i64>,
    pub skipped: Option<i64>,
    pub failed: Option<i64>,
    pub message: Option<String>,
}

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
    pub fn append(&self, rec: &AuditRecord) -> Result<(), String> {
        if let Some(dir) = self.path.parent() {
            crate::config::paths::ensure_private_dir(dir).map_err(|e| format!("audit log: {e}"))?;
        }
        let mut line = serde_json::to_string(rec).map_err(|e| format!("audit log: {e}"))?;
        line.push('\n');
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(&self.path)
            .map_err(|e| format!("audit log {}: {e}", self.path.display()))?;
        f.write_all(line.as_bytes())
            .map_err(|e| format!("audit log {}: {e}", self.path.display()))
    }
}

/// Now, as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The local OS user.
pub fn local_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into())
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
    }
}
