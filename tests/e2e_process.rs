//! End to end in a real pseudo-terminal, for the process around the TUI: a restore from the dialog
//! interrupted by a signal (audited, reported, terminal restored), the running TUI's environment without the
//! password, and the trust question answered on the terminal (known_servers private). Its own test binary, so
//! these run beside each other and not beside the tests of `e2e_tmux.rs` on a loaded 2-core machine.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use std::time::Duration;
use support::tmux::Tmux;

const BIN: &str = env!("CARGO_BIN_EXE_vex");
const WAIT: Duration = Duration::from_secs(30);

/// `vex sim` (a child of the test, killed however the test ends) with `args`, and its URL.
struct SimChild(std::process::Child, String);

impl Drop for SimChild {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sim_child(args: &[&str]) -> SimChild {
    use std::io::BufRead;
    let mut child = std::process::Command::new(BIN)
        .args(["sim", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("vex sim starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    // Reads the emulator's output to its end (a closed pipe would make its next line fail).
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // Killed however the test ends, also while waiting for its URL.
    let mut sim = SimChild(child, String::new());
    sim.1 = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("vex sim prints where it listens");
        if let Some(u) = line.split("listening on ").nth(1) {
            break u.trim().to_string();
        }
    };
    sim
}

fn audit_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The TUI's restore dialog against `vex sim` holding restores: the audit log has the `sent` line while
/// the restore is in flight; the running TUI's /proc/PID/environ has no password; SIGTERM then ends vex
/// with the terminal restored, the record completed as `unknown`, and a message saying where to look.
#[test]
fn a_signal_during_a_tui_restore_is_audited_and_reported() {
    if !support::tmux::tmux_required("this test") {
        return;
    }
    // Restores (to another mailbox, or to the original one) are held for 5 minutes.
    let sim = sim_child(&[
        "--plain",
        "--latency-ms",
        "300000",
        "--fault-route",
        "POST restoreTo",
        "--fault-route",
        "POST /restore$",
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    const PASSWORD: &str = "vex-demo-password";
    let cmd = format!(
        "exec env -u VEX_PROFILE VEX_PASSWORD={PASSWORD} VEX_STATE_DIR={d}/state VEX_CONFIG_DIR={d}/config \
         VEX_DATA_DIR={d}/data {BIN} --server {url} --user vex",
        d = dir.path().display(),
        url = sim.1,
    );
    let Some(t) = Tmux::start_or_skip("tuirestore", &cmd, 120, 40, "the TUI restore signal test") else {
        return;
    };
    let out = dir.path().join("terminal-output");
    t.record_output(&out);
    t.open_demo_inbox(WAIT);
    t.keys(&["Space"]);
    t.wait_for("1 marked", WAIT);
    t.keys(&["r"]);
    t.wait_for("Sign in", WAIT);
    t.keys(&["C-u"]);
    t.text("francois.lefevre@contoso.com");
    t.keys(&["Tab", "C-u"]);
    t.text("Interrupted by e2e");
    // CAS, Region, Org name, Sign in, then User.
    t.keys(&["Tab", "Tab", "Tab", "Tab", "Tab", "C-u"]);
    t.text("restore-admin");
    t.keys(&["Tab", "C-u"]);
    t.text("Exchange-Secret-e2e");
    t.keys(&["Enter"]);
    t.wait_for("Confirm restore", WAIT);
    t.keys(&["Tab", "Enter"]);
    let audit = dir.path().join("state/audit.jsonl");
    let deadline = std::time::Instant::now() + WAIT;
    while !audit_lines(&audit).first().is_some_and(|l| l["outcome"] == "sent") {
        assert!(std::time::Instant::now() < deadline, "no sent line:\n{}", t.screen());
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = t.pane_pid().expect("pid");
    let early = audit_lines(&audit);
    assert_eq!(
        early.len(),
        1,
        "the restore is still in flight: {early:?}\n{}",
        t.screen()
    );
    match std::fs::read(format!("/proc/{pid}/environ")) {
        Ok(env) => {
            let env = String::from_utf8_lossy(&env);
            assert!(env.contains("VEX_STATE_DIR="), "the environment was read");
            assert!(
                !env.contains(PASSWORD),
                "VEX_PASSWORD is still in /proc/PID/environ of the TUI"
            );
        }
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied, "{e}"),
    }
    t.signal(libc::SIGTERM);
    t.wait_until("vex to exit", WAIT, |_| t.exited());
    assert!(!t.alternate_on(), "the alternate screen was left");
    // The recording (tmux pipe-pane) may lag behind the pane's end: read it until the cursor is shown.
    let deadline = std::time::Instant::now() + WAIT;
    let shown = loop {
        let bytes = std::fs::read(&out).unwrap_or_default();
        let last = |pat: &[u8]| bytes.windows(pat.len()).rposition(|w| w == pat);
        let shown = last(b"\x1b[?25h") > last(b"\x1b[?25l");
        if shown || std::time::Instant::now() > deadline {
            break shown;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(shown, "the cursor is shown at the end");
    let lines = audit_lines(&audit);
    assert_eq!(lines.len(), 2, "sent, then unknown: {lines:?}");
    assert_eq!(
        (lines[0]["outcome"].as_str(), lines[1]["outcome"].as_str()),
        (Some("sent"), Some("unknown")),
        "{lines:?}"
    );
    assert_eq!(lines[0]["id"], lines[1]["id"]);
    assert!(
        lines[1]["message"].as_str().is_some_and(|m| m.contains("SIGTERM")),
        "{lines:?}"
    );
    let session = lines[0]["restore_session"].as_str().unwrap_or_default().to_string();
    let screen = t.wait_until("the message", WAIT, |s| s.contains("UNKNOWN"));
    assert!(screen.contains("UNKNOWN") && screen.contains("vex events"), "{screen}");
    assert!(!session.is_empty());
    let all = std::fs::read_to_string(&audit).unwrap_or_default();
    assert!(!all.contains("Exchange-Secret-e2e"), "no secret in the audit log");
}

/// Trust on first use on a real terminal: the question is asked on the tty and answered there; the
/// certificate is remembered in known_servers, created 0600 in a 0700 directory.
#[test]
fn trust_asked_on_the_terminal_and_known_servers_is_private() {
    use std::os::unix::fs::PermissionsExt;
    if !support::tmux::tmux_required("this test") {
        return;
    }
    let sim = sim_child(&[]);
    assert!(sim.1.starts_with("https://"), "{}", sim.1);
    let dir = tempfile::tempdir().expect("tempdir");
    let cmd = format!(
        "env -u VEX_PROFILE VEX_PASSWORD=vex-demo-password VEX_STATE_DIR={d}/state VEX_CONFIG_DIR={d}/config \
         VEX_DATA_DIR={d}/data {BIN} --server {url} --user vex organizations; echo EXIT=$?; sleep 60",
        d = dir.path().display(),
        url = sim.1,
    );
    let Some(t) = Tmux::start_or_skip("tofu", &cmd, 160, 40, "the trust question test") else {
        return;
    };
    t.wait_for("[y/N]", WAIT);
    t.keys(&["y", "Enter"]);
    let screen = t.wait_for("EXIT=", WAIT);
    assert!(screen.contains("EXIT=0") && screen.contains("contoso"), "{screen}");
    let known = dir.path().join("data/known_servers");
    let mode = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777).ok();
    assert_eq!(mode(&known), Some(0o600), "known_servers");
    assert_eq!(mode(&dir.path().join("data")), Some(0o700), "data dir");
}
