//! The process around the scripting subcommands, as the real binary against the emulator: a restore
//! interrupted by a signal (reported, audited, 128 + the signal), the secrets gone from the process's
//! environment, the trust question only on a terminal, plain http, the modes of the files vex writes, the
//! audit log's local user, usage errors found before anything is sent, and raw control characters kept
//! out of JSON and tables.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::cli::{Env, code, folder_named, json, str_at, text};
use vex::sim::{Faults, SimConfig};

const WAIT: Duration = Duration::from_secs(60);
const RESTORE_PASSWORD: &str = "Exchange-Secret-77";
const TARGET: &str = "francois.lefevre@contoso.com";

/// The emulator with `cfg`, `--api v7`, a restore password in the environment and a null stdin.
async fn env_with(cfg: SimConfig) -> Env {
    support::cli::start(cfg)
        .await
        .api("v7")
        .var("VEX_RESTORE_PASSWORD", RESTORE_PASSWORD)
        .stdin_null()
}

async fn env() -> Env {
    env_with(support::cli::plain()).await
}

/// A new restore session, the first mailbox and two items of its Inbox.
fn session_mailbox_items(e: &Env) -> (String, String, Vec<String>) {
    let sid = str_at(&json(&e.vex(&["sessions", "new", "--json"])), 0, "id");
    let mb = str_at(&json(&e.vex(&["mailboxes", "--session", &sid, "--json"])), 0, "id");
    let inbox = folder_named(e, &sid, &mb, "Inbox");
    let items = json(&e.vex(&[
        "items",
        "--session",
        &sid,
        "--mailbox",
        &mb,
        "--folder",
        &inbox,
        "--limit",
        "2",
        "--json",
    ]));
    let ids = (0..2).map(|i| str_at(&items, i, "id")).collect();
    (sid, mb, ids)
}

fn requests(e: &Env) -> u64 {
    e.server.fault_stats().requests
}

fn audit_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("audit line not JSON ({e}): {l}")))
        .collect()
}

/// Waits (generously) until `cond` holds.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + WAIT;
    while !cond() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for a child to exit (generously), killing it if it does not.
fn wait_output(mut child: Child) -> Output {
    let end = Instant::now() + WAIT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let mut out = Vec::new();
                let mut err = Vec::new();
                if let Some(mut s) = child.stdout.take() {
                    let _ = s.read_to_end(&mut out);
                }
                if let Some(mut s) = child.stderr.take() {
                    let _ = s.read_to_end(&mut err);
                }
                return Output {
                    status,
                    stdout: out,
                    stderr: err,
                };
            }
            Ok(None) if Instant::now() < end => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                panic!("vex did not exit");
            }
        }
    }
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Point 2 (and 12): `vex restore` stopped by SIGINT, SIGTERM, SIGHUP or SIGQUIT while the restore is in
/// flight (the emulator delays it) says the outcome is unknown and where to look, completes the audit
/// record, and exits 128 + the signal. Meanwhile the running process's environment holds no password.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_signal_during_a_restore_is_reported_and_audited() {
    let e = env().await;
    let (sid, mb, ids) = session_mailbox_items(&e);
    e.server.set_faults(Faults {
        routes: vec!["POST restoreTo".into()],
        latency: Some(Duration::from_secs(300)),
        ..Faults::none()
    });
    let list = ids.join(",");
    for (i, (sig, name, exit)) in [
        (libc::SIGINT, "SIGINT", 130),
        (libc::SIGTERM, "SIGTERM", 143),
        (libc::SIGHUP, "SIGHUP", 129),
        (libc::SIGQUIT, "SIGQUIT", 131),
    ]
    .into_iter()
    .enumerate()
    {
        let state = e.dir.path().join(format!("state-{name}"));
        let child = e
            .cmd(&[
                "restore",
                "--session",
                &sid,
                "--mailbox",
                &mb,
                "--items",
                &list,
                "--to",
                TARGET,
                "--to-folder",
                name,
                "--restore-user",
                "restore-admin",
                "--yes",
            ])
            .env("VEX_STATE_DIR", &state)
            // Set in the environment on purpose: the audit log takes the OS account, not this.
            .env("USER", "mallory-not-me")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn vex");
        let pid = child.id();
        let audit = state.join("audit.jsonl");
        // The `sent` line is written before the request goes out; the emulator holds the request.
        wait_until("the audit log's sent line", || {
            audit_lines(&audit).first().is_some_and(|l| l["outcome"] == "sent")
        });
        let before = requests(&e);
        wait_until("the restore request to reach the emulator", || {
            e.server.fault_stats().delayed > i as u64 || requests(&e) > before
        });
        if i == 0 {
            // /proc/PID/environ of the running vex: the environment block is readable (as root, or
            // when not hardened) and holds neither password; or it is not readable at all by anyone
            // but root, because vex made itself non-dumpable.
            match std::fs::read(format!("/proc/{pid}/environ")) {
                Ok(environ) => {
                    let env = text(&environ);
                    assert!(env.contains("VEX_STATE_DIR="), "the environment was read: {env:?}");
                    assert!(
                        !env.contains(&e.cfg.password),
                        "VEX_PASSWORD is still in /proc/PID/environ"
                    );
                    assert!(!env.contains(RESTORE_PASSWORD), "VEX_RESTORE_PASSWORD is still there");
                }
                Err(err) => assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied, "{err}"),
            }
            // Not dumpable: /proc/PID/* belongs to root (prctl PR_SET_DUMPABLE 0).
            use std::os::unix::fs::MetadataExt;
            let owner = std::fs::metadata(format!("/proc/{pid}/environ")).map(|m| m.uid());
            assert_eq!(owner.ok(), Some(0), "vex is not dumpable");
            let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap_or_default();
            let core = limits.lines().find(|l| l.starts_with("Max core file size"));
            assert!(
                core.is_some_and(|l| l.split_whitespace().filter(|w| *w == "0").count() == 2),
                "core dumps are off: {core:?}"
            );
        }
        // SAFETY: a plain kill(2) of the child we spawned.
        assert_eq!(unsafe { libc::kill(pid as libc::pid_t, sig) }, 0, "kill -{name}");
        let out = wait_output(child);
        let err = text(&out.stderr);
        assert_eq!(code(&out), exit, "{name}: {err}");
        assert!(err.contains(name) && err.contains("UNKNOWN"), "{name}: {err}");
        assert!(
            err.contains(&format!("vex events {sid}")),
            "{name}: says where to look: {err}"
        );
        assert!(err.contains("audit.jsonl"), "{name}: names the audit log: {err}");
        let lines = audit_lines(&audit);
        assert_eq!(lines.len(), 2, "{name}: sent, then its completion: {lines:?}");
        assert_eq!(
            (lines[0]["outcome"].as_str(), lines[1]["outcome"].as_str()),
            (Some("sent"), Some("unknown"))
        );
        assert_eq!(lines[0]["id"], lines[1]["id"], "{name}: one restore");
        assert!(
            lines[1]["message"].as_str().is_some_and(|m| m.contains(name)),
            "{lines:?}"
        );
        assert_eq!(lines[1]["restore_session"].as_str(), Some(sid.as_str()));
        // The local user is the OS account, not $USER.
        let me = Command::new("id").arg("-un").output().expect("id -un");
        assert_eq!(lines[0]["local_user"].as_str(), Some(text(&me.stdout).trim()));
        let all = std::fs::read_to_string(&audit).unwrap_or_default();
        assert!(
            !all.contains("mallory-not-me") && !all.contains(RESTORE_PASSWORD),
            "{all}"
        );
        // Files: the audit log 0600 in a 0700 state directory.
        assert_eq!(mode(&audit), 0o600, "{name}: audit log mode");
        assert_eq!(mode(&state), 0o700, "{name}: state dir mode");
    }
    e.server.shutdown().await;
}

/// Point 2: a restore that completes leaves its `sent` line and its outcome with the counts; `--json`
/// prints camelCase keys like the API (point 13).
#[tokio::test(flavor = "multi_thread")]
async fn a_restore_is_audited_before_and_after_and_prints_camel_case() {
    let e = env().await;
    let (sid, mb, ids) = session_mailbox_items(&e);
    let list = ids.join(",");
    let out = e.vex(&[
        "restore",
        "--session",
        &sid,
        "--mailbox",
        &mb,
        "--items",
        &list,
        "--to",
        TARGET,
        "--to-folder",
        "camel",
        "--restore-user",
        "restore-admin",
        "--yes",
        "--json",
    ]);
    let v = json(&out);
    let keys: Vec<&String> = v[0].as_object().expect("an object").keys().collect();
    assert!(keys.iter().any(|k| *k == "created"), "{v}");
    assert!(keys.iter().any(|k| *k == "cannotContinueError"), "{v}");
    assert!(keys.iter().all(|k| !k.contains('_')), "camelCase keys: {keys:?}");
    let lines = audit_lines(&e.dir.path().join("state/audit.jsonl"));
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["outcome"], "sent");
    assert_eq!(lines[0]["created"], serde_json::Value::Null);
    assert_eq!(
        (lines[1]["outcome"].as_str(), lines[1]["created"].as_i64()),
        (Some("ok"), Some(2))
    );
    assert_eq!(lines[0]["id"], lines[1]["id"]);
    e.server.shutdown().await;
}

/// Point 13: usage errors found while connecting, and ids and limits that make no sense, exit 2 before
/// anything is sent.
#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_2_before_anything_is_sent() {
    let e = env().await;
    let (sid, mb, _) = session_mailbox_items(&e);
    let base = |server: &str| -> Command { e.cmd_at(server, "v7", &[]) };
    let url = e.server.base_url().to_string();
    let https = url.replacen("http://", "https://", 1);
    let cases: Vec<(&str, Command)> = vec![
        ("--pin zz", {
            let mut c = base(&https);
            c.args(["--pin", "zz", "organizations"]);
            c
        }),
        ("ftp://", {
            let mut c = base("ftp://127.0.0.1:21");
            c.arg("organizations");
            c
        }),
        ("no scheme", {
            let mut c = base("vb365.example.com:4443");
            c.arg("organizations");
            c
        }),
        ("unreadable --ca-file", {
            let mut c = base(&https);
            c.args(["--ca-file", "/nonexistent/ca.pem", "organizations"]);
            c
        }),
        ("--pin with http://", {
            let mut c = base(&url);
            c.args(["--pin", &"ab".repeat(32), "organizations"]);
            c
        }),
        ("plain http to another host", {
            let mut c = base("http://vb365.example.com:4443");
            c.arg("organizations");
            c
        }),
    ];
    for (what, mut c) in cases {
        let before = requests(&e);
        let o = c.output().expect("run vex");
        assert_eq!(code(&o), 2, "{what}: {}", text(&o.stderr));
        assert!(!text(&o.stderr).trim().is_empty(), "{what}: a message");
        assert_eq!(requests(&e), before, "{what}: nothing sent");
    }
    let o = base("http://vb365.example.com:4443")
        .arg("organizations")
        .output()
        .expect("run");
    assert!(text(&o.stderr).contains("--allow-plain-http"), "{}", text(&o.stderr));

    let long = "A".repeat(5000);
    for (what, args) in [
        ("empty item id", vec!["item", "--session", &sid, "--mailbox", &mb, ""]),
        ("5 KB item id", vec!["item", "--session", &sid, "--mailbox", &mb, &long]),
        (
            "blank --items",
            vec![
                "restore",
                "--session",
                &sid,
                "--mailbox",
                &mb,
                "--items",
                " ",
                "--to",
                TARGET,
                "--restore-user",
                "u",
                "--yes",
            ],
        ),
        ("5 KB --session", vec!["events", &long]),
        (
            "--limit 0",
            vec![
                "items",
                "--session",
                &sid,
                "--mailbox",
                &mb,
                "--folder",
                "f",
                "--limit",
                "0",
            ],
        ),
        (
            "--limit 10001",
            vec![
                "items",
                "--session",
                &sid,
                "--mailbox",
                &mb,
                "--folder",
                "f",
                "--limit",
                "10001",
            ],
        ),
        ("sessions --limit 0", vec!["sessions", "list", "--limit", "0"]),
        // Found in a QA pass: these were told only after logging in (and a restore user's password was
        // asked for first); against a server that is down they exited 6, a network error.
        (
            "items without --folder or --query",
            vec!["items", "--session", &sid, "--mailbox", &mb],
        ),
        (
            "sessions new --at yesterday",
            vec!["sessions", "new", "--at", "yesterday"],
        ),
        (
            "export without --items or --folder",
            vec!["export", "--session", &sid, "--mailbox", &mb, "--out", "x.pst"],
        ),
        (
            "restore to no address",
            vec![
                "restore",
                "--session",
                &sid,
                "--mailbox",
                &mb,
                "--items",
                "a",
                "--to",
                "not an address",
                "--restore-user",
                "u",
                "--yes",
            ],
        ),
        (
            "restore without credentials",
            vec![
                "restore",
                "--session",
                &sid,
                "--mailbox",
                &mb,
                "--items",
                "a",
                "--to",
                TARGET,
                "--yes",
            ],
        ),
    ] {
        let before = requests(&e);
        let o = e.vex(&args);
        assert_eq!(code(&o), 2, "{what}: {}", text(&o.stderr));
        assert_eq!(requests(&e), before, "{what}: nothing sent");
    }
    e.server.shutdown().await;
}

/// `vex batch status` before any batch (no journal) answers a script as it would with a journal: `[]` for
/// `--json`, no line for `--jsonl`; and `vex batch` without a plan is a usage error told before
/// connecting. Found in a QA pass: both JSON forms printed "no batches (no journal at ...)", and a plain
/// `vex batch` logged in first.
#[tokio::test(flavor = "multi_thread")]
async fn batch_status_without_a_journal_is_an_empty_list_and_batch_alone_sends_nothing() {
    let e = env().await;
    let o = e.vex(&["batch", "status", "--json"]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert_eq!(json(&o), serde_json::json!([]));
    let o = e.vex(&["batch", "status", "--jsonl"]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "");
    let o = e.vex(&["batch", "status"]);
    assert!(text(&o.stdout).starts_with("no batches"), "{}", text(&o.stdout));
    let before = requests(&e);
    let o = e.vex(&["batch"]);
    assert_eq!(code(&o), 2, "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("vex batch PLAN.toml"), "{}", text(&o.stderr));
    assert_eq!(requests(&e), before, "nothing sent");
    e.server.shutdown().await;
}

/// Point 11: plain http to this machine (the emulator) works, with a warning as loud as --insecure's.
#[tokio::test(flavor = "multi_thread")]
async fn plain_http_to_loopback_works_with_a_warning() {
    let e = env().await;
    let o = e.vex(&["organizations", "--json"]);
    assert!(json(&o).is_array());
    let err = text(&o.stderr);
    assert!(
        err.contains("WARNING: plain http") && err.contains("NOTHING is encrypted"),
        "{err}"
    );
    e.server.shutdown().await;
}

/// Point 10: the trust question is never answered from standard input. Without a terminal (the child
/// runs in a new session, so it has no controlling terminal), `echo y | vex` refuses, says how to pin,
/// stores nothing and sends nothing but the probe.
#[tokio::test(flavor = "multi_thread")]
async fn the_trust_question_is_not_answered_from_stdin() {
    let e = env_with(SimConfig::default()).await;
    assert!(e.server.base_url().starts_with("https://"));
    let mut c = e.cmd(&["organizations"]);
    c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    use std::os::unix::process::CommandExt;
    // SAFETY: setsid(2) is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        c.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = c.spawn().expect("spawn vex");
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        let _ = stdin.write_all(b"y\ny\nyes\n");
    }
    let o = wait_output(child);
    let err = text(&o.stderr);
    assert_ne!(code(&o), 0, "not trusted: {err}");
    assert!(
        err.contains("--pin") && err.contains("no terminal"),
        "says how to pin: {err}"
    );
    let fp = e.server.fingerprint_sha256().expect("TLS");
    let hex: String = fp
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .collect::<String>()
        .to_ascii_lowercase();
    let shown: String = err
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .collect::<String>()
        .to_ascii_lowercase();
    assert!(shown.contains(&hex), "the fingerprint is shown: {err}");
    let known = e.dir.path().join("data/known_servers");
    assert!(!known.exists(), "nothing stored");
    e.server.shutdown().await;
}

/// Point 12: an export written by the real binary is 0600, as are the log and the audit log.
#[tokio::test(flavor = "multi_thread")]
async fn files_vex_writes_are_private() {
    let e = env().await;
    let (sid, mb, ids) = session_mailbox_items(&e);
    let out: PathBuf = e.dir.path().join("exports/mail.pst");
    std::fs::create_dir_all(e.dir.path().join("exports")).expect("dir");
    let o = e.vex(&[
        "export",
        "--session",
        &sid,
        "--mailbox",
        &mb,
        "--items",
        &ids[0],
        "--out",
        &out.display().to_string(),
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert_eq!(mode(&out), 0o600, "export");
    assert_eq!(mode(&e.dir.path().join("state/vex.log")), 0o600, "log");
    assert_eq!(mode(&e.dir.path().join("state")), 0o700, "state dir");
    e.server.shutdown().await;
}

/// Point 8: hostile strings (C1 controls, bidi overrides, separators) reach JSON output only as `\u`
/// escapes and tables only in a visible escaped form; the parsed JSON still holds the real text.
#[tokio::test(flavor = "multi_thread")]
async fn json_and_tables_escape_raw_control_characters() {
    let e = env().await;
    let sid = str_at(&json(&e.vex(&["sessions", "new", "--json"])), 0, "id");
    let mailboxes = e.vex(&["mailboxes", "--session", &sid, "--json"]);
    let list = json(&mailboxes);
    let find = |email: &str| -> String {
        list.as_array()
            .and_then(|a| {
                a.iter()
                    .find(|m| m["email"].as_str().is_some_and(|x| x.starts_with(email)))
            })
            .and_then(|m| m["id"].as_str())
            .unwrap_or_else(|| panic!("no mailbox {email}"))
            .to_string()
    };
    let raw_unsafe = |s: &str| s.chars().filter(|&c| vex::text::is_unsafe(c) && c != '\n').count();
    let named = text(&mailboxes.stdout);
    assert_eq!(raw_unsafe(&named), 0, "mailboxes --json: {named:?}");
    assert!(named.contains("\\u202e"), "the override is escaped: {named}");
    assert!(
        list.as_array()
            .is_some_and(|a| a.iter().any(|m| m["name"] == vex::sim::hostile::HOSTILE_NAMED_NAME)),
        "the parsed name is the real one"
    );
    let mb = find(vex::sim::hostile::HOSTILE_LOCAL);
    let inbox = folder_named(&e, &sid, &mb, "Inbox");
    let mut seen = String::new();
    for fmt in ["--json", "--jsonl", "--table"] {
        let mut args = vec![
            "items",
            "--session",
            &sid,
            "--mailbox",
            &mb,
            "--folder",
            &inbox,
            "--limit",
            "40",
        ];
        if fmt != "--table" {
            args.push(fmt);
        }
        let o = e.vex(&args);
        assert_eq!(code(&o), 0, "{fmt}: {}", text(&o.stderr));
        let out = text(&o.stdout);
        assert_eq!(raw_unsafe(&out), 0, "{fmt}: raw control characters in {out:?}");
        if fmt == "--table" {
            assert!(
                out.contains("\\u{202e}") || out.contains("\\u{009b}"),
                "{fmt}: shown visibly"
            );
        } else {
            for esc in ["\\u009b", "\\u0085", "\\u202e"] {
                assert!(out.contains(esc), "{fmt}: {esc} escaped");
            }
            for line in out.lines().filter(|_| fmt == "--jsonl") {
                let _: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
            }
        }
        seen.push_str(&out);
    }
    let parsed = json(&e.vex(&[
        "items",
        "--session",
        &sid,
        "--mailbox",
        &mb,
        "--folder",
        &inbox,
        "--limit",
        "40",
        "--json",
    ]));
    assert!(
        parsed.to_string().chars().any(|c| c == '\u{202e}'),
        "the values keep the real characters"
    );
    e.server.shutdown().await;
}
