//! `config.toml`: named profiles (server, user, API version, pin/CA, password command, read-only).
//!
//! A config file that holds a secret (a `password`) must not be readable by others: such a file is
//! refused with a message saying how to fix it.

pub mod known_servers;
pub mod paths;
pub mod session_points;

pub use paths::Paths;

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One named way to connect.
#[derive(Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub server: Option<String>,
    pub user: Option<String>,
    /// auto, v6, v7, v8
    pub api: Option<String>,
    /// SHA-256 of the server certificate.
    pub pin: Option<String>,
    pub ca_file: Option<PathBuf>,
    /// A command whose first line of output is the password (e.g. `pass show vb365`).
    pub password_command: Option<String>,
    /// Discouraged; only accepted when the file is private (mode 600).
    pub password: Option<String>,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default)]
    pub insecure: bool,
    /// Restores go to this Microsoft 365 region (`officeRegion`: Worldwide, Germany, China, USDefence,
    /// USGovernment).
    pub office_region: Option<String>,
    /// Restores go to this organization (`officeOrganizationName`).
    pub office_organization_name: Option<String>,
    /// Device codes are asked for this application (`targetApplicationId`, a GUID).
    pub target_application_id: Option<String>,
    /// Device codes are asked for this region (`targetRegion`, values as `office_region`).
    pub target_region: Option<String>,
    /// Device codes are asked for this organization (`targetOrganizationName`).
    pub target_organization_name: Option<String>,
    /// Seconds without progress (no answer started, no new bytes) before a call fails; default 60.
    pub stall_timeout: Option<u64>,
    /// The largest JSON answer accepted, in MiB; default 64.
    pub max_body_mb: Option<u64>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("server", &self.server)
            .field("user", &self.user)
            .field("api", &self.api)
            .field("pin", &self.pin)
            .field("ca_file", &self.ca_file)
            .field("password_command", &self.password_command.as_ref().map(|_| "[set]"))
            .field("password", &self.password.as_ref().map(|_| "[REDACTED]"))
            .field("read_only", &self.read_only)
            .field("office_region", &self.office_region)
            .field("office_organization_name", &self.office_organization_name)
            .field("target_application_id", &self.target_application_id)
            .field("target_region", &self.target_region)
            .field("target_organization_name", &self.target_organization_name)
            .field("stall_timeout", &self.stall_timeout)
            .field("max_body_mb", &self.max_body_mb)
            .finish()
    }
}

/// The whole file.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// Action name → key(s), e.g. `quit = "ctrl-q"` (read by the keymap).
    #[serde(default)]
    pub keys: BTreeMap<String, toml::Value>,
    /// `default`, `mono`.
    pub theme: Option<String>,
    #[serde(default)]
    pub mouse: bool,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("cannot read {path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error(
        "{path} holds a password but is readable by other users (mode {mode:o}); run `chmod 600 {path}` or use password_command"
    )]
    Exposed { path: PathBuf, mode: u32 },
    #[error("no profile named {name:?} in {path} (known: {known})")]
    NoSuchProfile { name: String, path: PathBuf, known: String },
}

impl Config {
    /// Loads the file; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => {
                return Err(ConfigError::Io {
                    path: path.into(),
                    message: e.to_string(),
                });
            }
        };
        let cfg: Config = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.into(),
            message: e.to_string(),
        })?;
        if cfg.profiles.values().any(|p| p.password.is_some())
            && let Some(mode) = exposed_mode(path)
        {
            return Err(ConfigError::Exposed {
                path: path.into(),
                mode,
            });
        }
        Ok(cfg)
    }

    /// The named profile, or the default one, or none.
    pub fn profile(&self, name: Option<&str>, path: &Path) -> Result<Option<Profile>, ConfigError> {
        let Some(name) = name.or(self.default_profile.as_deref()) else {
            return Ok(None);
        };
        match self.profiles.get(name) {
            Some(p) => Ok(Some(p.clone())),
            None => Err(ConfigError::NoSuchProfile {
                name: name.into(),
                path: path.into(),
                known: if self.profiles.is_empty() {
                    "none".into()
                } else {
                    self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
                },
            }),
        }
    }
}

/// The file mode when group or others can read it (Unix), else None.
fn exposed_mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Some(mode);
        }
    }
    let _ = path;
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_load_and_errors_are_clear() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        assert_eq!(
            Config::load(&p).unwrap(),
            Config::default(),
            "missing file = empty config"
        );
        std::fs::write(
            &p,
            "default_profile = \"prod\"\n[profiles.prod]\nserver = \"https://vb:4443\"\nuser = \"op\"\nread_only = true\n",
        )
        .unwrap();
        let c = Config::load(&p).unwrap();
        let prod = c.profile(None, &p).unwrap().unwrap();
        assert_eq!(prod.server.as_deref(), Some("https://vb:4443"));
        assert!(prod.read_only);
        let e = c.profile(Some("lab"), &p).unwrap_err();
        assert!(e.to_string().contains("known: prod"), "{e}");
        std::fs::write(&p, "[profiles.x]\nsrever = \"typo\"\n").unwrap();
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains("srever"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_readable_file_with_a_password_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        std::fs::write(&p, "[profiles.x]\npassword = \"s3cret-value\"\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = Config::load(&p).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("chmod 600"), "{msg}");
        assert!(!msg.contains("s3cret-value"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        let c = Config::load(&p).unwrap();
        assert!(!format!("{c:?}").contains("s3cret-value"), "Debug redacts the password");
    }
}
