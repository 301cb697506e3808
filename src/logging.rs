//! Logs go to a file (never to the terminal the TUI owns): `--log-file PATH` or `<state dir>/vex.log`,
//! level from `--log-level` or `VEX_LOG` (e.g. `debug`, `vex=trace`). Nothing that vex logs carries a
//! secret: passwords, tokens and certificates are never passed to `tracing`.

use std::path::Path;
use tracing_subscriber::EnvFilter;

/// Starts logging to `path` at `level` (an EnvFilter directive). Returns an error message when the file
/// cannot be opened; the caller decides whether that stops the program.
pub fn init(path: &Path, level: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        crate::config::paths::ensure_private_dir(dir).map_err(|e| format!("log directory {}: {e}", dir.display()))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts
        .open(path)
        .map_err(|e| format!("log file {}: {e}", path.display()))?;
    let filter = EnvFilter::try_new(level).map_err(|e| format!("log level {level:?}: {e}"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .try_init()
        .map_err(|e| format!("logging: {e}"))
}
