//! `vex save` without `-o FILE`: the MSG or ZIP bytes go to stdout when it is a file or a pipe (the same
//! bytes `-o FILE` writes, and nothing else), and on a terminal (a real one: tmux) vex refuses before it
//! connects, so nothing is sent and no binary reaches the operator's screen; `-o FILE` still works there.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use std::time::Duration;
use support::cli::{self, BIN, Env, code, json, out};
use support::tmux::Tmux;

const WAIT: Duration = Duration::from_secs(30);

/// A session, Zoë Müller's mailbox and three of her Inbox item ids.
fn three_items(e: &Env) -> (String, String, Vec<String>) {
    let sid = json(&e.vex(&["sessions", "new", "--json"]))[0]["id"]
        .as_str()
        .expect("session")
        .to_string();
    let mbs = json(&e.vex(&["mailboxes", "--session", &sid, "--json"]));
    let mb = mbs
        .as_array()
        .and_then(|a| a.iter().find(|m| m["name"] == "Zoë Müller"))
        .and_then(|m| m["id"].as_str())
        .expect("Zoë's mailbox")
        .to_string();
    let inbox = cli::folder_named(e, &sid, &mb, "Inbox");
    let items = json(&e.vex(&[
        "items",
        "--session",
        &sid,
        "--mailbox",
        &mb,
        "--folder",
        &inbox,
        "--limit",
        "3",
        "--json",
    ]));
    let ids = items
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["id"].as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    (sid, mb, ids)
}

/// What an MSG file (or each MSG file of a ZIP, with its name) holds, as vex reads it.
fn messages(bytes: &[u8]) -> Vec<(String, vex::msg::Preview)> {
    let parse = |b: &[u8]| vex::msg::parse(b, &vex::msg::Limits::default()).expect("an MSG file");
    if !bytes.starts_with(b"PK") {
        return vec![(String::new(), parse(bytes))];
    }
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP archive");
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).expect("an entry");
            let mut b = Vec::new();
            std::io::Read::read_to_end(&mut f, &mut b).expect("the entry reads");
            (f.name().expect("an entry name").to_string(), parse(&b))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_writes_the_bytes_to_a_pipe_the_same_as_to_a_file() {
    let e = cli::start(cli::plain()).await.stdin_null();
    let (sid, mb, ids) = three_items(&e);
    assert_eq!(ids.len(), 3);
    for (what, items, magic) in [
        ("one item", ids[0].clone(), &b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"[..]),
        ("three items", ids.join(","), &b"PK\x03\x04"[..]),
    ] {
        let file = e.dir.path().join("saved");
        let file_arg = file.to_str().expect("utf-8");
        let base = ["save", "--session", &sid, "--mailbox", &mb, "--items", &items];
        let to_file = e.vex(&[&base[..], &["-o", file_arg]].concat());
        assert_eq!(code(&to_file), 0, "{what}: {}", out(&to_file));
        let written = std::fs::read(&file).expect("the saved file");
        assert!(written.starts_with(magic), "{what}: an MSG or ZIP file");
        // Stdout is a pipe here (Command::output): the bytes, and only them.
        for extra in [&[][..], &["-o", "-"][..]] {
            let piped = e.vex(&[&base[..], extra].concat());
            assert_eq!(code(&piped), 0, "{what} {extra:?}: {}", out(&piped));
            // The same file (its compound-file timestamps aside: each save writes a new one).
            assert!(
                piped.stdout.starts_with(magic),
                "{what} {extra:?}: nothing before the file"
            );
            assert_eq!(
                messages(&piped.stdout),
                messages(&written),
                "{what} {extra:?}: stdout holds what -o FILE writes"
            );
            let said = cli::text(&piped.stderr);
            assert!(!said.contains("wrote"), "{what} {extra:?}: no summary: {said}");
        }
    }
    // The download went through the state directory and left nothing there.
    let left: Vec<_> = std::fs::read_dir(e.dir.path().join("state"))
        .map(|d| d.flatten().map(|f| f.file_name()).collect())
        .unwrap_or_default();
    assert!(!left.iter().any(|n| n.to_string_lossy().contains("save-")), "{left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_refuses_a_terminal_before_connecting_and_o_file_still_works() {
    if !support::tmux::tmux_required("the terminal test of vex save") {
        return;
    }
    let e = cli::start(cli::plain()).await;
    let (sid, mb, ids) = three_items(&e);
    let file = e.dir.path().join("from-the-terminal.msg");
    let d = e.dir.path().display();
    let vex = format!(
        "env -u VEX_PROFILE VEX_PASSWORD={pw} VEX_CONFIG_DIR={d}/config VEX_DATA_DIR={d}/data \
         VEX_STATE_DIR={d}/state {BIN} --server {url} --user {user} --api v8 save --session {sid} \
         --mailbox {mb} --items {id}",
        pw = e.cfg.password,
        url = e.server.base_url(),
        user = e.cfg.user,
        id = ids[0],
    );
    let before = e.server.fault_stats().requests;
    let refused = format!("{vex}; echo EXIT1=$?; {vex} -o -; echo EXIT2=$?; sleep 60");
    let Some(t) = Tmux::start_or_skip("save-tty", &refused, 200, 40, "the terminal test of vex save") else {
        return;
    };
    let screen = t.wait_for("EXIT2=", WAIT);
    assert!(screen.contains("EXIT1=2") && screen.contains("EXIT2=2"), "{screen}");
    assert_eq!(
        screen
            .matches("use -o FILE, or redirect stdout to a file or a pipe")
            .count(),
        2,
        "{screen}"
    );
    assert_eq!(
        e.server.fault_stats().requests,
        before,
        "a refused save sends nothing (not even a login)"
    );
    drop(t);
    // The same terminal with -o FILE: the file, and the line that says so.
    let to_file = format!("{vex} -o {f}; echo EXIT3=$?; sleep 60", f = file.display());
    let Some(t) = Tmux::start_or_skip("save-tty-o", &to_file, 200, 40, "the terminal test of vex save") else {
        return;
    };
    let screen = t.wait_for("EXIT3=", WAIT);
    assert!(screen.contains("EXIT3=0") && screen.contains("wrote "), "{screen}");
    let saved = std::fs::read(&file).expect("-o FILE wrote the file");
    assert!(saved.starts_with(b"\xD0\xCF\x11\xE0"), "an MSG file");
}
