//! The scripting subcommands, run as the real binary against the emulator: table and JSON outputs, and
//! each documented exit code. Also: the password reaches no log line and no argv.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use std::process::Command;
use support::cli::{BIN, Env, code, json, stdout};

/// The emulator with quick v8 restores; every run logs at trace level.
async fn env() -> Env {
    support::cli::start(support::cli::quick_restores())
        .await
        .var("VEX_LOG", "trace")
}

/// A new restore session and its first mailbox: (session id, mailbox id).
fn new_session_first_mailbox(e: &Env, api: &str) -> (String, String) {
    let sid = json(&e.vex_api(api, &["sessions", "new", "--json"]))[0]["id"]
        .as_str()
        .expect("session id")
        .to_string();
    let mb = json(&e.vex_api(api, &["mailboxes", "--session", &sid, "--json"]))[0]["id"]
        .as_str()
        .expect("mailbox id")
        .to_string();
    (sid, mb)
}

/// The id of the mailbox's Inbox.
fn inbox_of(e: &Env, api: &str, sid: &str, mb: &str) -> String {
    let folders = json(&e.vex_api(api, &["folders", "--session", sid, "--mailbox", mb, "--json"]));
    folders
        .as_array()
        .and_then(|a| a.iter().find(|f| f["name"] == "Inbox"))
        .and_then(|f| f["id"].as_str())
        .expect("Inbox")
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_subcommand_in_table_and_json() {
    let e = env().await;
    for api in ["v6", "v8"] {
        // Organizations and sessions.
        let orgs = json(&e.vex_api(api, &["organizations", "--json"]));
        assert!(orgs.as_array().is_some_and(|a| a.len() >= 2), "{api}: {orgs}");
        let table = stdout(&e.vex_api(api, &["sessions", "list"]));
        assert!(table.starts_with("ID"), "{api}: a table with a header: {table}");
        assert!(table.contains("Working") && table.contains("Stopped"));
        let new = json(&e.vex_api(api, &["sessions", "new", "--show-deleted", "--json"]));
        let sid = new[0]["id"].as_str().expect("session id").to_string();
        assert_eq!(new[0]["state"], "Working");

        // Mailboxes (JSON lines), folders, items, item.
        let out = e.vex_api(api, &["mailboxes", "--session", &sid, "--jsonl"]);
        assert!(out.status.success());
        let lines: Vec<serde_json::Value> = stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        assert!(lines.len() >= 50, "{api}: {} mailboxes", lines.len());
        let mb = lines[0]["id"].as_str().expect("mailbox id").to_string();
        let target = lines[5]["email"].as_str().expect("email").to_string();
        let inbox = inbox_of(&e, api, &sid, &mb);
        let items = json(&e.vex_api(
            api,
            &[
                "items",
                "--session",
                &sid,
                "--mailbox",
                &mb,
                "--folder",
                &inbox,
                "--limit",
                "4",
                "--json",
            ],
        ));
        let ids: Vec<String> = items
            .as_array()
            .expect("array")
            .iter()
            .map(|i| i["id"].as_str().expect("id").to_string())
            .collect();
        assert_eq!(ids.len(), 4);
        let item = json(&e.vex_api(api, &["item", "--session", &sid, "--mailbox", &mb, &ids[0], "--json"]));
        assert_eq!(item[0]["id"], ids[0].as_str());
        let t = stdout(&e.vex_api(api, &["item", "--session", &sid, "--mailbox", &mb, &ids[0]]));
        assert!(t.contains("itemClass"), "{t}");
        let found = json(&e.vex_api(
            api,
            &[
                "items",
                "--session",
                &sid,
                "--mailbox",
                &mb,
                "--query",
                "subject:a",
                "--json",
            ],
        ));
        assert!(found.is_array());

        // Restore: dry run shows no secret; then created; then skipped.
        let folder = format!("cli-{api}");
        let list = ids[..2].join(",");
        let base = [
            "restore",
            "--session",
            &sid,
            "--mailbox",
            &mb,
            "--items",
            &list,
            "--to",
            &target,
            "--to-folder",
            &folder,
            "--restore-user",
            "admin@target.example",
        ];
        let mut dry: Vec<&str> = base.to_vec();
        dry.push("--dry-run");
        let out = Command::new(BIN)
            .args(["--server", e.server.base_url(), "--user", &e.cfg.user, "--api", api])
            .args(&dry)
            .env("VEX_PASSWORD", &e.cfg.password)
            .env("VEX_RESTORE_PASSWORD", "Exchange-Secret-42")
            .env("VEX_STATE_DIR", e.dir.path().join("state"))
            .output()
            .expect("dry run");
        let text = stdout(&out);
        assert!(out.status.success(), "{text}");
        assert!(text.contains("Restore 2 items"), "{text}");
        assert!(
            !text.contains("Exchange-Secret-42") && text.contains("[REDACTED]"),
            "{text}"
        );
        assert!(
            e.server
                .store()
                .restores()
                .iter()
                .all(|r| r.target_folder.as_deref() != Some(folder.as_str()))
        );

        let mut real: Vec<&str> = base.to_vec();
        real.extend(["--yes", "--json"]);
        let run = |args: &[&str]| {
            Command::new(BIN)
                .args(["--server", e.server.base_url(), "--user", &e.cfg.user, "--api", api])
                .args(args)
                .env("VEX_PASSWORD", &e.cfg.password)
                .env("VEX_RESTORE_PASSWORD", "Exchange-Secret-42")
                .env("VEX_STATE_DIR", e.dir.path().join("state"))
                .output()
                .expect("restore")
        };
        let o = json(&run(&real));
        assert_eq!(
            (o[0]["created"].as_i64(), o[0]["skipped"].as_i64()),
            (Some(2), Some(0)),
            "{api}: {o}"
        );
        let o = json(&run(&real));
        assert_eq!(
            (o[0]["created"].as_i64(), o[0]["skipped"].as_i64()),
            (Some(0), Some(2)),
            "{api}: {o}"
        );

        // Each restore left an audit line with its counts and no secret.
        let audit = std::fs::read_to_string(e.dir.path().join("state/audit.jsonl")).expect("audit log");
        assert!(!audit.contains("Exchange-Secret-42"), "no secret in the audit log");
        let last: serde_json::Value = serde_json::from_str(audit.lines().last().expect("a line")).expect("JSON");
        assert_eq!(
            (last["action"].as_str(), last["skipped"].as_i64()),
            (Some("restore"), Some(2)),
            "{last}"
        );

        // Exit 5: some items failed.
        let mut bad: Vec<&str> = base.to_vec();
        bad[6] = "AAAA/unknown+id=";
        bad.extend(["--yes", "--json"]);
        assert_eq!(code(&run(&bad)), 5, "{api}: partial failure");

        // Export writes a PST.
        let pst = e.dir.path().join(format!("{api}.pst"));
        let out = e.vex_api(
            api,
            &[
                "export",
                "--session",
                &sid,
                "--mailbox",
                &mb,
                "--items",
                &list,
                "--out",
                &pst.to_string_lossy(),
            ],
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(std::fs::read(&pst).expect("pst").starts_with(b"!BDN"));

        // Events and stop.
        let ev = json(&e.vex_api(api, &["events", &sid, "--json"]));
        assert!(
            ev.as_array().is_some_and(|a| !a.is_empty()),
            "{api}: restores left events"
        );
        assert!(e.vex_api(api, &["sessions", "stop", &sid]).status.success());
    }
    e.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn documented_exit_codes() {
    let e = env().await;
    // 2: usage.
    assert_eq!(
        code(&e.vex_api("v8", &["items", "--session", "x", "--mailbox", "y"])),
        2
    );
    assert_eq!(code(&Command::new(BIN).arg("--no-such-flag").output().expect("run")), 2);
    // 3: authentication.
    let o = e
        .cmd_at(e.server.base_url(), "v8", &["organizations"])
        .env("VEX_PASSWORD", "wrong-password-XYZ")
        .output()
        .expect("run vex");
    assert_eq!(code(&o), 3, "{}", String::from_utf8_lossy(&o.stderr));
    let all = format!("{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
    assert!(
        !all.contains("wrong-password-XYZ"),
        "the refused password is not echoed: {all}"
    );
    // 4: not found.
    let (sid, mb) = new_session_first_mailbox(&e, "v8");
    assert_eq!(
        code(&e.vex_api("v8", &["item", "--session", &sid, "--mailbox", &mb, "AAAA/none="])),
        4
    );
    // 6: network (nothing listens there).
    let o = Command::new(BIN)
        .args([
            "--server",
            "http://127.0.0.1:9",
            "--user",
            "u",
            "--api",
            "v8",
            "organizations",
        ])
        .env("VEX_PASSWORD", "x")
        .env("VEX_STATE_DIR", e.dir.path().join("state"))
        .output()
        .expect("run");
    assert_eq!(code(&o), 6, "{}", String::from_utf8_lossy(&o.stderr));
    // 7: refused in read-only mode, and nothing was restored.
    let before = e.server.store().restores().len();
    let o = e.vex_api(
        "v8",
        &[
            "--read-only",
            "restore",
            "--session",
            &sid,
            "--mailbox",
            &mb,
            "--items",
            "a",
            "--to",
            "x@y.com",
            "--restore-user",
            "u",
            "--yes",
        ],
    );
    assert_eq!(code(&o), 7, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(e.server.store().restores().len(), before);
    e.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_password_reaches_no_log_and_no_argv() {
    let e = env().await;
    let out = e.vex_api("v7", &["sessions", "list"]);
    assert!(out.status.success());
    let log_path = e.dir.path().join("state/vex.log");
    let log = std::fs::read_to_string(&log_path).expect("a log was written");
    assert!(log.contains("vex starting"), "the log has content: {log}");
    assert!(!log.contains(&e.cfg.password), "the password is not in the log");
    assert!(!log.to_lowercase().contains("bearer "), "no bearer token in the log");
    assert!(!log.contains("access_token"), "no token response in the log");
    // The CLI has no flag that takes the password: it is refused as an argument.
    let o = Command::new(BIN)
        .args(["--password", "x", "organizations"])
        .output()
        .expect("run");
    assert_eq!(code(&o), 2);
    e.server.shutdown().await;
}

/// `vex items ... | head`: the reader closes the pipe early; vex stops quietly with 0 (no "Broken pipe"
/// message, no panic).
#[tokio::test(flavor = "multi_thread")]
async fn a_closed_pipe_ends_quietly() {
    use std::io::Read;
    let e = env().await;
    let (sid, mb) = new_session_first_mailbox(&e, "v7");
    let inbox = inbox_of(&e, "v7", &sid, &mb);
    let mut child = Command::new(BIN)
        .args(["--server", e.server.base_url(), "--user", &e.cfg.user, "--api", "v7"])
        .args([
            "items",
            "--session",
            &sid,
            "--mailbox",
            &mb,
            "--folder",
            &inbox,
            "--limit",
            "3000",
            "--jsonl",
        ])
        .env("VEX_PASSWORD", &e.cfg.password)
        .env("VEX_CONFIG_DIR", e.dir.path().join("config"))
        .env("VEX_DATA_DIR", e.dir.path().join("data"))
        .env("VEX_STATE_DIR", e.dir.path().join("state"))
        .env_remove("VEX_PROFILE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run vex");
    let mut head = [0u8; 100];
    let mut out = child.stdout.take().expect("stdout");
    out.read_exact(&mut head).expect("the first bytes");
    drop(out);
    let done = child.wait_with_output().expect("vex ends");
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(head.starts_with(b"{"), "{}", String::from_utf8_lossy(&head));
    assert_eq!(done.status.code(), Some(0), "{stderr}");
    // The emulator answers plain http, which is always warned about; nothing else is said.
    let said: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("WARNING: plain http"))
        .collect();
    assert!(
        said.is_empty(),
        "nothing on stderr but the plain-http warning: {stderr}"
    );
}

/// Every listing subcommand in both forms: the JSON parses, and each of its ids (or codes) appears in
/// the table, which starts with a header row.
#[tokio::test(flavor = "multi_thread")]
async fn each_listing_subcommand_table_agrees_with_its_json() {
    let e = env().await;
    for api in ["v7", "v8"] {
        let (sid, mb) = new_session_first_mailbox(&e, api);
        let inbox = inbox_of(&e, api, &sid, &mb);
        let first_item = json(&e.vex_api(
            api,
            &[
                "items",
                "--session",
                &sid,
                "--mailbox",
                &mb,
                "--folder",
                &inbox,
                "--limit",
                "1",
                "--json",
            ],
        ))[0]["id"]
            .as_str()
            .expect("item id")
            .to_string();
        let cases: Vec<(Vec<&str>, &str, &str)> = vec![
            (vec!["organizations"], "id", "ID"),
            (vec!["sessions", "list"], "id", "ID"),
            (vec!["mailboxes", "--session", &sid], "id", "ID"),
            (vec!["folders", "--session", &sid, "--mailbox", &mb], "id", "ID"),
            (
                vec![
                    "items",
                    "--session",
                    &sid,
                    "--mailbox",
                    &mb,
                    "--folder",
                    &inbox,
                    "--limit",
                    "25",
                ],
                "id",
                "ID",
            ),
            (
                vec![
                    "items",
                    "--session",
                    &sid,
                    "--mailbox",
                    &mb,
                    "--query",
                    "subject:invoice",
                    "--limit",
                    "25",
                ],
                "id",
                "ID",
            ),
            (vec!["events", &sid], "id", ""),
            // A new code each time: compare the URL.
            (vec!["device-code", "--session", &sid], "verificationUrl", "CODE"),
        ];
        for (args, key, header) in cases {
            let mut with_json = args.clone();
            with_json.push("--json");
            let o = e.vex_api(api, &with_json);
            assert_eq!(code(&o), 0, "{api} {args:?}: {}", String::from_utf8_lossy(&o.stderr));
            let rows = json(&o);
            let rows = rows.as_array().unwrap_or_else(|| panic!("{api} {args:?}: an array"));
            let table = e.vex_api(api, &args);
            assert_eq!(code(&table), 0, "{api} {args:?}");
            let table = stdout(&table);
            if !header.is_empty() {
                assert!(table.starts_with(header), "{api} {args:?}: a header row:\n{table}");
            }
            for r in rows {
                let v = r[key]
                    .as_str()
                    .unwrap_or_else(|| panic!("{api} {args:?}: {key} in {r}"));
                assert!(!v.is_empty(), "{api} {args:?}");
                assert!(table.contains(v), "{api} {args:?}: {v} not in the table:\n{table}");
            }
            if args[0] != "events" && args[0] != "items" {
                assert!(!rows.is_empty(), "{api} {args:?}: something listed");
            }
        }
        // One item, every field: the table lists the JSON's fields.
        let one = json(&e.vex_api(
            api,
            &["item", "--session", &sid, "--mailbox", &mb, &first_item, "--json"],
        ));
        let table = stdout(&e.vex_api(api, &["item", "--session", &sid, "--mailbox", &mb, &first_item]));
        assert_eq!(one[0]["id"], first_item.as_str());
        for field in ["id", "itemClass"] {
            assert!(table.contains(field), "{api}: {field}:\n{table}");
        }
    }
    e.server.shutdown().await;
}

/// Exit 1: an error that is none of the others (the server keeps failing with 500).
#[tokio::test(flavor = "multi_thread")]
async fn exit_one_for_a_server_that_keeps_failing() {
    let e = env().await;
    e.server.set_faults(vex::sim::Faults {
        routes: vec!["Organizations".into()],
        fault_rate: 1.0,
        ..Default::default()
    });
    let o = e.vex_api("v7", &["organizations", "--json"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 1, "{stderr}");
    assert!(
        stderr.contains("500") || stderr.to_lowercase().contains("server"),
        "{stderr}"
    );
    assert!(o.stdout.is_empty(), "no half output");
}

/// `vex paths` lists every file and directory, under the directories the environment names.
#[test]
fn paths_lists_where_everything_lives() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = Command::new(BIN)
        .arg("paths")
        .env("VEX_CONFIG_DIR", dir.path().join("config"))
        .env("VEX_DATA_DIR", dir.path().join("data"))
        .env("VEX_STATE_DIR", dir.path().join("state"))
        .env_remove("VEX_PROFILE")
        .output()
        .expect("run vex");
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let text = stdout(&o);
    let root = dir.path().to_string_lossy().into_owned();
    for (what, under) in [
        ("config.toml", "config"),
        ("known_servers", "data"),
        ("audit", "state"),
        ("session_points.json", "state"),
        ("vex.log", "state"),
    ] {
        let line = text
            .lines()
            .find(|l| l.contains(what))
            .unwrap_or_else(|| panic!("{what} listed:\n{text}"));
        assert!(
            line.contains(&format!("{root}/{under}")),
            "{what} under {under}: {line}"
        );
    }
}

/// `vex items --all` streams every page: the same items as one big page, in every output form.
#[tokio::test(flavor = "multi_thread")]
async fn items_all_streams_every_page() {
    let e = env().await;
    for api in ["v7", "v8"] {
        let (sid, mb) = new_session_first_mailbox(&e, api);
        let inbox = inbox_of(&e, api, &sid, &mb);
        let at = ["items", "--session", &sid, "--mailbox", &mb, "--folder", &inbox];
        let with = |more: &[&'static str]| -> Vec<String> { at.iter().chain(more).map(|s| s.to_string()).collect() };
        let e = &e;
        let vex = |args: Vec<String>| e.vex_api(api, &args.iter().map(String::as_str).collect::<Vec<_>>());
        let one_page = json(&vex(with(&["--limit", "10000", "--json"])));
        let ids: Vec<&str> = one_page
            .as_array()
            .expect("array")
            .iter()
            .map(|i| i["id"].as_str().expect("id"))
            .collect();
        assert!(ids.len() > 1000, "{api}: a big Inbox ({})", ids.len());

        let lines = stdout(&vex(with(&["--all", "--limit", "700", "--jsonl"])));
        let streamed: Vec<String> = lines
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON line")["id"].to_string())
            .map(|s| s.trim_matches('"').to_string())
            .collect();
        assert_eq!(
            streamed, ids,
            "{api}: the same items in the same order, page after page"
        );

        let array = json(&vex(with(&["--all", "--limit", "999", "--json"])));
        assert_eq!(array.as_array().map(Vec::len), Some(ids.len()), "{api}: one JSON array");
        assert_eq!(array[0]["id"], ids[0]);

        let table = stdout(&vex(with(&["--all", "--limit", "500"])));
        assert!(table.starts_with("ID"), "{api}: {}", &table[..200.min(table.len())]);
        assert_eq!(table.lines().count(), ids.len() + 1, "{api}: a header and a row each");

        let tail = json(&vex(with(&["--all", "--offset", "1000", "--limit", "300", "--json"])));
        assert_eq!(
            tail.as_array().map(Vec::len),
            Some(ids.len() - 1000),
            "{api}: from --offset on"
        );
        assert_eq!(tail[0]["id"], ids[1000]);
    }
    // Nothing found is still valid output.
    let (sid, mb) = new_session_first_mailbox(&e, "v8");
    let none = e.vex_api(
        "v8",
        &[
            "items",
            "--session",
            &sid,
            "--mailbox",
            &mb,
            "--query",
            "subject:zzqqxxnothing",
            "--all",
            "--json",
        ],
    );
    assert_eq!(code(&none), 0, "{}", String::from_utf8_lossy(&none.stderr));
    assert_eq!(json(&none), serde_json::json!([]));
}
