//! Trust on first use: `known_servers` under the data dir, one `host:port sha256-hex` per line, like
//! SSH's known_hosts. A changed certificate for a known server is refused, naming both fingerprints.

use crate::api::tls::{fingerprint_hex, parse_fingerprint};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What the file says about a presented certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustDecision {
    /// The same certificate as stored.
    Known,
    /// Never seen: ask the operator.
    Unknown,
    /// A different certificate than stored: refuse, show both.
    Changed { stored: [u8; 32], presented: [u8; 32] },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KnownServers {
    path: PathBuf,
    entries: BTreeMap<String, [u8; 32]>,
}

/// `host:port` of a URL (default port by scheme), lower-cased.
pub fn server_key(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let host = u.host_str()?.to_ascii_lowercase();
    let port = u.port_or_known_default()?;
    Some(format!("{host}:{port}"))
}

impl KnownServers {
    /// Loads the file (missing = empty). Malformed lines are reported, not silently dropped.
    pub fn load(path: &Path) -> Result<KnownServers, String> {
        let mut ks = KnownServers {
            path: path.into(),
            entries: BTreeMap::new(),
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ks),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let (Some(key), Some(fp)) = (parts.next(), parts.next()) else {
                return Err(format!("{}:{}: expected `host:port sha256`", path.display(), n + 1));
            };
            let fp = parse_fingerprint(fp).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
            ks.entries.insert(key.to_ascii_lowercase(), fp);
        }
        Ok(ks)
    }

    pub fn check(&self, key: &str, presented: &[u8; 32]) -> TrustDecision {
        match self.entries.get(&key.to_ascii_lowercase()) {
            None => TrustDecision::Unknown,
            Some(s) if s == presented => TrustDecision::Known,
            Some(s) => TrustDecision::Changed {
                stored: *s,
                presented: *presented,
            },
        }
    }

    pub fn get(&self, key: &str) -> Option<[u8; 32]> {
        self.entries.get(&key.to_ascii_lowercase()).copied()
    }

    /// Records (or replaces) a server's certificate and writes the file atomically.
    pub fn remember(&mut self, key: &str, fp: [u8; 32]) -> Result<(), String> {
        self.entries.insert(key.to_ascii_lowercase(), fp);
        self.save()
    }

    fn save(&self) -> Result<(), String> {
        if let Some(dir) = self.path.parent() {
            super::paths::ensure_own_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let mut text = String::from("# vex known servers: host:port SHA-256 of the end-entity certificate\n");
        for (k, fp) in &self.entries {
            text.push_str(&format!("{k} {}\n", fingerprint_hex(fp)));
        }
        let tmp = self.path.with_extension("tmp");
        // 0600: the file says which certificates this user trusts. A stale temporary file from another
        // writer is replaced, not reused with its mode.
        let _ = std::fs::remove_file(&tmp);
        super::paths::create_private_file(&tmp)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
            .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| format!("cannot write {}: {e}", self.path.display()))
    }
}

/// The message shown when a known server presents another certificate.
pub fn changed_message(key: &str, stored: &[u8; 32], presented: &[u8; 32]) -> String {
    format!(
        "WARNING: the certificate of {key} has CHANGED. This may be an attack (or a renewed certificate).\n  \
         stored:    {}\n  presented: {}\nThe connection was refused. If the change is expected, remove the line for \
         {key} from the known_servers file (see `vex paths`) and connect again.",
        fingerprint_hex(stored),
        fingerprint_hex(presented)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remember_check_and_detect_changes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("data/known_servers");
        let mut ks = KnownServers::load(&p).unwrap();
        let key = server_key("https://VB365.example.com:4443/v8").unwrap();
        assert_eq!(key, "vb365.example.com:4443");
        assert_eq!(server_key("https://h").unwrap(), "h:443");
        assert_eq!(ks.check(&key, &[1; 32]), TrustDecision::Unknown);
        ks.remember(&key, [1; 32]).unwrap();
        let ks = KnownServers::load(&p).unwrap();
        assert_eq!(ks.check(&key, &[1; 32]), TrustDecision::Known);
        assert_eq!(
            ks.check(&key, &[2; 32]),
            TrustDecision::Changed {
                stored: [1; 32],
                presented: [2; 32]
            }
        );
        let m = changed_message(&key, &[1; 32], &[2; 32]);
        assert!(m.contains("01:01:01") && m.contains("02:02:02"));
        std::fs::write(&p, "garbage\n").unwrap();
        assert!(KnownServers::load(&p).unwrap_err().contains(":1:"));
    }
}
