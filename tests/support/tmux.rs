//! A real pseudo-terminal for end-to-end tests: the binary runs inside a detached tmux session; keys go in
//! with `send-keys`, the screen comes out with `capture-pane`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// What a test says when it cannot run tmux: the tmux tests are part of the suite, not optional extras.
pub const MISSING: &str = "tmux is required by the terminal tests and could not start a session: install \
     tmux (.ci/run does), or set VEX_SKIP_TMUX=1 to skip these tests explicitly";

/// Whether a tmux test runs: true when tmux answers `tmux -V`; false (the caller returns, having
/// skipped `what`) only when `VEX_SKIP_TMUX` is set to something other than `0` or empty; otherwise the
/// test fails with [`MISSING`]. A test that passes without running is never silent.
pub fn tmux_required(what: &str) -> bool {
    let skip = std::env::var("VEX_SKIP_TMUX").is_ok_and(|v| !v.is_empty() && v != "0");
    if skip {
        eprintln!("VEX_SKIP_TMUX is set: skipping {what}");
        return false;
    }
    assert!(
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success()),
        "{MISSING}"
    );
    true
}

pub struct Tmux {
    pub name: String,
    socket: String,
}

impl Tmux {
    /// Starts `cmd` (a shell command line) in a new detached session of the given size. Returns None when
    /// tmux is not installed (the caller decides whether that is a failure; .ci/run installs it).
    pub fn start(tag: &str, cmd: &str, width: u16, height: u16) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            return None;
        }
        let name = format!("vex-{tag}-{}", std::process::id());
        let socket = format!("vex-test-{}-{tag}", std::process::id());
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d", "-s", &name])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg(cmd)
            .env("TERM", "xterm-256color")
            .status()
            .ok()?;
        if !status.success() {
            return None;
        }
        let t = Tmux { name, socket };
        // Keep the pane after the program exits so its last screen and exit can be read.
        let _ = t.tmux(&["set-option", "-t", &t.name, "remain-on-exit", "on"]);
        Some(t)
    }

    /// Like [`Tmux::start`], but tmux that is missing or cannot start a session fails the test with a
    /// clear message; only `VEX_SKIP_TMUX=1` (an explicit choice) skips `what`, returning None.
    pub fn start_or_skip(tag: &str, cmd: &str, width: u16, height: u16, what: &str) -> Option<Tmux> {
        if !tmux_required(what) {
            return None;
        }
        match Tmux::start(tag, cmd, width, height) {
            Some(t) => Some(t),
            None => panic!("{MISSING}"),
        }
    }

    /// Starts `vex demo` with its state, config and data under `dir` (`env` first: more `env` arguments,
    /// such as `-u NO_COLOR `), or returns None (skipping `what`) only under `VEX_SKIP_TMUX=1`.
    pub fn demo(tag: &str, dir: &Path, env: &str, width: u16, height: u16, what: &str) -> Option<Tmux> {
        let cmd = format!(
            "env {env}VEX_STATE_DIR={d}/state VEX_CONFIG_DIR={d}/config VEX_DATA_DIR={d}/data {bin} demo",
            d = dir.display(),
            bin = env!("CARGO_BIN_EXE_vex"),
        );
        Tmux::start_or_skip(tag, &cmd, width, height, what)
    }

    /// In `vex demo`, from the sessions: the newest contoso session → Zoë Müller → the Inbox's items.
    pub fn open_demo_inbox(&self, timeout: Duration) {
        self.wait_for("contoso.onmicrosoft.com", timeout);
        self.text("/contoso");
        self.keys(&["Enter", "Enter"]);
        self.wait_for("Zoë Müller", timeout);
        self.keys(&["Enter"]);
        self.wait_for("Inbox", timeout);
        self.keys(&["Enter"]);
        // The first rows, not just the column header (a key sent before them would act on an empty list).
        self.wait_until("the Inbox's first rows", timeout, |s| {
            s.contains("Received") && s.contains("Inbox · 1/")
        });
    }

    fn tmux(&self, args: &[&str]) -> std::io::Result<std::process::Output> {
        Command::new("tmux").arg("-L").arg(&self.socket).args(args).output()
    }

    /// Sends tmux key names (`Enter`, `Down`, `Escape`, `C-c`) or literal text.
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            let _ = self.tmux(&["send-keys", "-t", &self.name, k]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// Sends one tmux key name `n` times at once (`send-keys -N`: tmux writes them in one go).
    pub fn send_repeated(&self, key: &str, n: u32) {
        let _ = self.tmux(&["send-keys", "-t", &self.name, "-N", &n.to_string(), key]);
    }

    /// Sends literal text (not interpreted as key names).
    pub fn text(&self, s: &str) {
        let _ = self.tmux(&["send-keys", "-t", &self.name, "-l", s]);
        std::thread::sleep(Duration::from_millis(60));
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", &self.name])
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    /// The screen with its attributes as escape sequences (`capture-pane -e`).
    pub fn screen_with_attributes(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-e", "-t", &self.name])
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    /// Waits until the screen contains `needle`; returns the screen, or panics with it after `timeout`.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            if start.elapsed() > timeout {
                panic!("timed out after {timeout:?} waiting for {needle:?}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until `pred(screen)` holds.
    pub fn wait_until(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if start.elapsed() > timeout {
                panic!("timed out after {timeout:?} waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The pid of the program in the pane.
    pub fn pane_pid(&self) -> Option<u32> {
        self.tmux(&["display-message", "-p", "-t", &self.name, "#{pane_pid}"])
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
    }

    /// Sends `sig` to the pane's process (kill(2) itself: no external `kill` binary needed).
    pub fn signal(&self, sig: libc::c_int) {
        let pid = self.pane_pid().expect("the pane's pid");
        let pid = libc::pid_t::try_from(pid).expect("pid fits pid_t");
        // SAFETY: a plain kill(2) of the process this harness started in its own tmux server.
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill({pid}, {sig})");
    }

    /// Whether the pane is in the alternate screen (a full-screen program owns it).
    pub fn alternate_on(&self) -> bool {
        self.tmux(&["display-message", "-p", "-t", &self.name, "#{alternate_on}"])
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "1")
            .unwrap_or(false)
    }

    /// Whether the pane's terminal has mouse reporting on (the program captured the mouse); tmux keeps
    /// the mode after the program exits, so this also tells whether it was released.
    pub fn mouse_on(&self) -> bool {
        self.tmux(&[
            "display-message",
            "-p",
            "-t",
            &self.name,
            "#{mouse_standard_flag}#{mouse_button_flag}#{mouse_any_flag}",
        ])
        .map(|o| String::from_utf8_lossy(&o.stdout).contains('1'))
        .unwrap_or(false)
    }

    /// Copies everything the program writes to the terminal into `path` (raw bytes).
    pub fn record_output(&self, path: &std::path::Path) {
        let _ = self.tmux(&[
            "pipe-pane",
            "-t",
            &self.name,
            "-o",
            &format!("cat >> '{}'", path.display()),
        ]);
    }

    /// True once the program in the pane has exited.
    pub fn exited(&self) -> bool {
        self.tmux(&["display-message", "-p", "-t", &self.name, "#{pane_dead}"])
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "1")
            .unwrap_or(true)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}
