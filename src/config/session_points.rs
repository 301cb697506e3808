//! The point in time of the restore sessions vex starts. A restore session resource has no point in time
//! (the spec's `RESTRestoreSession` carries none), so vex writes down what it asked for when it opened the
//! session (`explore`'s `dateTime`, and the restore point it was picked from) and shows it later: in the
//! sessions list, the breadcrumb, the restore confirmation and the audit record. Sessions started
//! elsewhere are "not known".
//!
//! The file (`session_points.json` in the state directory) is private (0600, directory 0700): it tells
//! which organization was browsed at which time. It keeps the newest [`MAX_ENTRIES`] sessions; a damaged
//! file is read as empty (and replaced at the next write), never a reason to fail.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Sessions remembered at most (oldest dropped first).
pub const MAX_ENTRIES: usize = 1_000;
/// The largest file read (a bigger one is ignored).
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// What vex knows of one session it started.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionPoint {
    /// The server's base URL (sessions of different servers never mix).
    pub server: String,
    pub session_id: String,
    /// The point in time asked for, as sent (`dateTime`, ISO 8601 UTC); none: "the latest" (the server
    /// chose).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_in_time: Option<String>,
    /// The restore point picked, when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_point_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(default)]
    pub show_deleted: bool,
    #[serde(default)]
    pub show_all_versions: bool,
}

#[derive(Default, Serialize, Deserialize)]
struct File {
    sessions: Vec<SessionPoint>,
}

/// The store: a file path; every call reads or rewrites the file (it is small and rarely written).
#[derive(Clone, Debug)]
pub struct SessionPoints {
    path: PathBuf,
}

impl SessionPoints {
    pub fn new(path: PathBuf) -> Self {
        SessionPoints { path }
    }

    pub fn at(paths: &super::Paths) -> Self {
        Self::new(paths.session_points_file())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> File {
        let Ok(meta) = std::fs::metadata(&self.path) else {
            return File::default();
        };
        if meta.len() > MAX_FILE_BYTES {
            return File::default();
        }
        std::fs::read(&self.path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Every remembered session of `server`.
    pub fn all(&self, server: &str) -> Vec<SessionPoint> {
        self.read()
            .sessions
            .into_iter()
            .filter(|s| s.server == server)
            .collect()
    }

    /// The remembered session `session_id` of `server`.
    pub fn get(&self, server: &str, session_id: &str) -> Option<SessionPoint> {
        self.read()
            .sessions
            .into_iter()
            .rev()
            .find(|s| s.server == server && s.session_id == session_id)
    }

    /// Remembers a session (replacing an entry of the same server and id). Written to a temporary file
    /// (0600) and renamed over the old one, so a crash leaves the old or the new file, never half of one.
    pub fn remember(&self, point: SessionPoint) -> Result<(), String> {
        let mut f = self.read();
        f.sessions
            .retain(|s| !(s.server == point.server && s.session_id == point.session_id));
        f.sessions.push(point);
        if f.sessions.len() > MAX_ENTRIES {
            let extra = f.sessions.len() - MAX_ENTRIES;
            f.sessions.drain(..extra);
        }
        if let Some(dir) = self.path.parent() {
            super::paths::ensure_own_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let text = serde_json::to_vec_pretty(&f).map_err(|e| e.to_string())?;
        let tmp = self.path.with_extension("tmp");
        let _ = std::fs::remove_file(&tmp);
        let write = || -> std::io::Result<()> {
            let mut file = super::paths::create_private_file(&tmp)?;
            file.write_all(&text)?;
            file.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("cannot write {}: {e}", self.path.display())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(server: &str, id: &str, at: &str) -> SessionPoint {
        SessionPoint {
            server: server.into(),
            session_id: id.into(),
            point_in_time: Some(at.into()),
            ..Default::default()
        }
    }

    #[test]
    fn remembers_per_server_replaces_and_survives_damage() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionPoints::new(dir.path().join("state").join("session_points.json"));
        assert_eq!(store.get("https://a", "s1"), None);
        store
            .remember(point("https://a", "s1", "2025-11-19T02:00:00Z"))
            .unwrap();
        store
            .remember(point("https://b", "s1", "2025-01-01T00:00:00Z"))
            .unwrap();
        store
            .remember(point("https://a", "s1", "2025-11-18T02:00:00Z"))
            .unwrap();
        assert_eq!(
            store.get("https://a", "s1").and_then(|p| p.point_in_time).as_deref(),
            Some("2025-11-18T02:00:00Z")
        );
        assert_eq!(store.all("https://a").len(), 1);
        assert_eq!(store.all("https://b").len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let dmode = std::fs::metadata(store.path().parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(dmode, 0o700);
        }
        std::fs::write(store.path(), b"{not json").unwrap();
        assert_eq!(store.get("https://a", "s1"), None, "a damaged file reads as empty");
        store
            .remember(point("https://a", "s2", "2025-11-17T02:00:00Z"))
            .unwrap();
        assert_eq!(store.all("https://a").len(), 1);
    }

    #[test]
    fn keeps_the_newest_entries() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionPoints::new(dir.path().join("p.json"));
        let mut f = File::default();
        for i in 0..MAX_ENTRIES {
            f.sessions.push(point("s", &format!("old{i}"), "2020-01-01T00:00:00Z"));
        }
        std::fs::write(store.path(), serde_json::to_vec(&f).unwrap()).unwrap();
        store.remember(point("s", "new", "2025-01-01T00:00:00Z")).unwrap();
        let all = store.all("s");
        assert_eq!(all.len(), MAX_ENTRIES);
        assert!(store.get("s", "old0").is_none() && store.get("s", "new").is_some());
    }
}
