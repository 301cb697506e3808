//! Every file vex uses, under the XDG base directories, each overridable by an environment variable.

use std::path::PathBuf;

/// The directories vex reads and writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    /// `config.toml` (profiles, keys, theme). `VEX_CONFIG_DIR` or `$XDG_CONFIG_HOME/vex`.
    pub config_dir: PathBuf,
    /// `known_servers` (trusted certificates). `VEX_DATA_DIR` or `$XDG_DATA_HOME/vex`.
    pub data_dir: PathBuf,
    /// Logs and the audit log. `VEX_STATE_DIR` or `$XDG_STATE_HOME/vex`.
    pub state_dir: PathBuf,
}

impl Paths {
    /// Resolves the directories from the environment (nothing is created).
    pub fn from_env() -> Paths {
        use etcetera::BaseStrategy;
        let base = etcetera::choose_base_strategy().ok();
        let home_fallback = || {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("."))
        };
        let pick = |var: &str, f: &dyn Fn() -> Option<PathBuf>, fallback: &str| -> PathBuf {
            if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
                return PathBuf::from(v);
            }
            f().map(|p| p.join("vex"))
                .unwrap_or_else(|| home_fallback().join(fallback).join("vex"))
        };
        Paths {
            config_dir: pick("VEX_CONFIG_DIR", &|| base.as_ref().map(|b| b.config_dir()), ".config"),
            data_dir: pick("VEX_DATA_DIR", &|| base.as_ref().map(|b| b.data_dir()), ".local/share"),
            state_dir: pick(
                "VEX_STATE_DIR",
                &|| {
                    base.as_ref()
                        .and_then(|b| b.state_dir())
                        .or_else(|| base.as_ref().map(|b| b.data_dir()))
                },
                ".local/state",
            ),
        }
    }

    /// All paths under one directory (tests, `--isolated` runs).
    pub fn under(root: &std::path::Path) -> Paths {
        Paths {
            config_dir: root.join("config"),
            data_dir: root.join("data"),
            state_dir: root.join("state"),
        }
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    pub fn known_servers_file(&self) -> PathBuf {
        self.data_dir.join("known_servers")
    }

    pub fn audit_log(&self) -> PathBuf {
        self.state_dir.join("audit.jsonl")
    }

    /// The point in time of the restore sessions vex started (see [`super::session_points`]).
    pub fn session_points_file(&self) -> PathBuf {
        self.state_dir.join("session_points.json")
    }

    pub fn log_file(&self) -> PathBuf {
        self.state_dir.join("vex.log")
    }

    /// `(what, path)` for `vex paths`.
    pub fn describe(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("config", self.config_file()),
            ("known servers", self.known_servers_file()),
            ("audit log", self.audit_log()),
            ("session points", self.session_points_file()),
            ("log", self.log_file()),
        ]
    }
}

/// Creates a directory (and any missing parents) readable only by the user: mode 0700. A directory that
/// exists already is left as it is (it may be one the operator chose, like the parent of `--log-file`).
pub fn ensure_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// [`ensure_private_dir`] for a directory of vex's own (the state or data directory, where the audit log
/// and known_servers live): one that exists already is made private too (mode 0700).
pub fn ensure_own_dir(dir: &std::path::Path) -> std::io::Result<()> {
    ensure_private_dir(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if std::fs::metadata(dir)?.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    Ok(())
}

/// Creates (or truncates) a file readable and writable only by the user (mode 0600 on Unix): for
/// everything vex writes that holds trust or mailbox data.
pub fn create_private_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}
