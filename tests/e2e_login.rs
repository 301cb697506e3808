//! End to end in tmux: `vex --server URL --user NAME` without a password source opens the TUI's login
//! screen (no terminal prompt); a refused password shows the server's message and a retry gets in;
//! quitting offers to stop the restore session vex started, stops it, and logs out. `--insecure
//! --read-only` shows the banner and refuses writing actions.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use secrecy::SecretString;
use std::time::Duration;
use support::tmux::Tmux;
use vex::api::models::SessionState;
use vex::api::{Client, ClientConfig, SessionOrder};
use vex::sim::{SimConfig, SimServer};

const BIN: &str = env!("CARGO_BIN_EXE_vex");
const WAIT: Duration = Duration::from_secs(20);
const PASSWORD: &str = "vex-demo-password";

async fn session_ids(c: &Client) -> Vec<(String, SessionState)> {
    c.restore_sessions(0, 1000, Some((SessionOrder::CreationTime, false)))
        .await
        .expect("sessions")
        .results
        .into_iter()
        .map(|s| (s.id, s.state))
        .collect()
}

async fn emulator() -> SimServer {
    vex::install_crypto_provider();
    vex::sim::start(SimConfig {
        tls: false,
        ..Default::default()
    })
    .await
    .expect("emulator")
}

/// `vex <args>` against `url` in tmux with no password source, or None (skipping) under `VEX_SKIP_TMUX=1`.
fn vex(tag: &str, dir: &std::path::Path, url: &str, args: &str) -> Option<Tmux> {
    let cmd = format!(
        "env -u VEX_PASSWORD -u VEX_PROFILE VEX_STATE_DIR={d}/state VEX_CONFIG_DIR={d}/config \
         VEX_DATA_DIR={d}/data {BIN} --log-file {d}/vex.log --log-level debug --server {url} --user vex {args}",
        d = dir.display()
    );
    Tmux::start_or_skip(tag, &cmd, 100, 30, "the end-to-end test")
}

#[tokio::test(flavor = "multi_thread")]
async fn login_screen_retry_then_quit_stops_the_new_session_and_logs_out() {
    let server = emulator().await;
    let url = server.base_url().to_string();
    let c = Client::new(ClientConfig::new(url.clone())).expect("client");
    c.login("vex", &SecretString::from(PASSWORD)).await.expect("login");
    let before = session_ids(&c).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(t) = vex("login", dir.path(), &url, "") else {
        return;
    };
    let screen = t.wait_for("Password", WAIT);
    assert!(screen.contains("Log in"), "{screen}");
    assert!(screen.contains(&url), "the server is shown: {screen}");

    t.text("wrong-password");
    t.keys(&["Enter"]);
    let screen = t.wait_for("The user name or password is incorrect.", WAIT);
    assert!(!screen.contains("wrong-password"), "{screen}");

    t.text(PASSWORD);
    t.keys(&["Enter"]);
    t.wait_for("Restore sessions", WAIT);
    t.wait_until("the sessions", WAIT, |s| s.contains("Working"));

    // A new restore session (n, Enter: the first organization, its latest backup).
    t.keys(&["n"]);
    t.wait_for("New restore session", WAIT);
    t.wait_until("the organizations", WAIT, |s| {
        s.contains("backups ") && s.contains("restore points ·")
    });
    t.keys(&["Enter"]);
    t.wait_for("restore session started", WAIT);

    // Quitting asks about it; stop it.
    t.keys(&["q"]);
    let screen = t.wait_for("Stop and quit", WAIT);
    assert!(screen.contains("Leave running"), "{screen}");
    t.keys(&["Tab", "Enter"]);
    t.wait_until("vex to exit", WAIT, |_| t.exited());

    // The session vex started is stopped on the server, and vex logged out.
    let after = session_ids(&c).await;
    let new: Vec<_> = after
        .iter()
        .filter(|(id, _)| !before.iter().any(|(b, _)| b == id))
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0].1, SessionState::Stopped, "{new:?}");
    let log = std::fs::read_to_string(dir.path().join("vex.log")).unwrap_or_default();
    assert!(log.contains("logged out"), "{log}");
    assert!(!log.contains(PASSWORD) && !log.contains("wrong-password"));
}

#[tokio::test(flavor = "multi_thread")]
async fn insecure_and_read_only_say_so_and_refuse_writes() {
    let server = emulator().await;
    let url = server.base_url().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(t) = vex("insecure", dir.path(), &url, "--insecure --read-only") else {
        return;
    };
    t.wait_for("Password", WAIT);
    t.text(PASSWORD);
    t.keys(&["Enter"]);
    let screen = t.wait_until("the sessions", WAIT, |s| s.contains("Working"));
    let header = screen.lines().next().unwrap_or_default().to_string();
    assert!(header.contains("INSECURE: certificate not verified"), "{header}");
    assert!(header.contains("READ-ONLY"), "{header}");
    // The emulator answers plain http: said as loudly.
    assert!(header.contains("UNENCRYPTED: plain http"), "{header}");
    assert!(!screen.contains("x stop"), "no stop hint: {screen}");
    t.keys(&["x"]);
    t.wait_for("read-only: stopping sessions is disabled", WAIT);
    t.keys(&["q"]);
    t.wait_until("vex to exit", WAIT, |_| t.exited());
}
