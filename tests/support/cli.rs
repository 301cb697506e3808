//! The harness of the CLI tests: the real `vex` binary run against the emulator, every file it writes under
//! a temporary directory, and helpers to read what it printed.

use std::process::{Command, Output, Stdio};
use std::time::Duration;
use vex::sim::{SimConfig, SimServer};

pub const BIN: &str = env!("CARGO_BIN_EXE_vex");

/// An emulator, its configuration and a temporary home for the binary's config, data and state.
pub struct Env {
    pub server: SimServer,
    pub cfg: SimConfig,
    pub dir: tempfile::TempDir,
    /// The `--api` of [`Env::cmd`] and [`Env::vex`].
    api: &'static str,
    /// Set on every command, after the common ones.
    vars: Vec<(&'static str, String)>,
    /// Every command gets a null stdin (otherwise it inherits the test's).
    stdin_null: bool,
    /// Put after `--api` in every command (e.g. `--pin FP`).
    args: Vec<String>,
}

/// Plain HTTP on loopback (the CLI tests do not test trust).
pub fn plain() -> SimConfig {
    SimConfig {
        tls: false,
        ..Default::default()
    }
}

/// [`plain`] with v8 restores that finish in a tenth of a second.
pub fn quick_restores() -> SimConfig {
    SimConfig {
        v8_restore_duration: Duration::from_millis(100),
        ..plain()
    }
}

/// Starts the emulator with `cfg`; commands use `--api v8` until [`Env::api`] says otherwise.
pub async fn start(cfg: SimConfig) -> Env {
    vex::install_crypto_provider();
    let server = vex::sim::start(cfg.clone()).await.expect("emulator");
    Env {
        server,
        cfg,
        dir: tempfile::tempdir().expect("tempdir"),
        api: "v8",
        vars: Vec::new(),
        stdin_null: false,
        args: Vec::new(),
    }
}

impl Env {
    /// The `--api` of [`Env::cmd`] and [`Env::vex`].
    pub fn api(mut self, api: &'static str) -> Self {
        self.api = api;
        self
    }

    /// One more environment variable for every command.
    pub fn var(mut self, key: &'static str, value: &str) -> Self {
        self.vars.push((key, value.to_string()));
        self
    }

    /// Every command runs with a null stdin.
    pub fn stdin_null(mut self) -> Self {
        self.stdin_null = true;
        self
    }

    /// Every command pins the emulator's certificate (`--pin FP`; an HTTPS emulator).
    pub fn pinned(mut self) -> Self {
        let fp = self
            .server
            .fingerprint_sha256()
            .expect("a TLS emulator has a fingerprint");
        self.args.extend(["--pin".to_string(), fp]);
        self
    }

    /// The binary with no arguments: the password in the environment, every file under the temporary
    /// directory, no `VEX_PROFILE`, and what [`Env::var`] and [`Env::stdin_null`] added.
    pub fn command(&self) -> Command {
        let mut c = Command::new(BIN);
        c.env("VEX_PASSWORD", &self.cfg.password)
            .env("VEX_CONFIG_DIR", self.dir.path().join("config"))
            .env("VEX_DATA_DIR", self.dir.path().join("data"))
            .env("VEX_STATE_DIR", self.dir.path().join("state"))
            .env_remove("VEX_PROFILE");
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        if self.stdin_null {
            c.stdin(Stdio::null());
        }
        c
    }

    /// `vex --server SERVER --user … --api API [what Env::pinned adds] ARGS`.
    pub fn cmd_at(&self, server: &str, api: &str, args: &[&str]) -> Command {
        let mut c = self.command();
        c.args(["--server", server, "--user", &self.cfg.user, "--api", api])
            .args(&self.args)
            .args(args);
        c
    }

    /// `vex --server … --user … --api … ARGS` against this emulator.
    pub fn cmd(&self, args: &[&str]) -> Command {
        self.cmd_at(self.server.base_url(), self.api, args)
    }

    /// Runs [`Env::cmd`].
    pub fn vex(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run vex")
    }

    /// Runs [`Env::cmd`] with another `--api`.
    pub fn vex_api(&self, api: &str, args: &[&str]) -> Output {
        self.cmd_at(self.server.base_url(), api, args)
            .output()
            .expect("run vex")
    }

    /// Runs `vex --profile NAME ARGS` (the profile names the server), or [`Env::vex`] without one.
    pub fn vex_profile(&self, profile: Option<&str>, args: &[&str]) -> Output {
        match profile {
            Some(p) => {
                let mut c = self.command();
                c.args(["--profile", p]).args(args);
                c.output().expect("run vex")
            }
            None => self.vex(args),
        }
    }

    /// Writes `config.toml` in the config directory.
    pub fn write_config(&self, text: &str) {
        std::fs::create_dir_all(self.dir.path().join("config")).expect("config dir");
        std::fs::write(self.dir.path().join("config/config.toml"), text).expect("config.toml");
    }
}

/// The id of the folder `name` of a mailbox.
pub fn folder_named(e: &Env, sid: &str, mb: &str, name: &str) -> String {
    let folders = json(&e.vex(&["folders", "--session", sid, "--mailbox", mb, "--json"]));
    folders
        .as_array()
        .and_then(|a| a.iter().find(|f| f["name"] == name))
        .and_then(|f| f["id"].as_str())
        .unwrap_or_else(|| panic!("no folder {name}: {folders}"))
        .to_string()
}

/// The string `key` of the `i`th element.
pub fn str_at(v: &serde_json::Value, i: usize, key: &str) -> String {
    v[i][key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} at {i}: {v}"))
        .to_string()
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn stdout(o: &Output) -> String {
    text(&o.stdout)
}

/// Stdout and stderr.
pub fn out(o: &Output) -> String {
    format!("{}\n{}", text(&o.stdout), text(&o.stderr))
}

/// Stdout as JSON, of a run that succeeded.
pub fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "vex failed: {}", out(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", out(o)))
}

/// The exit code (-1 for a signal).
pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}
