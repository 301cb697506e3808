//! End to end in a real terminal (issue 18): the real `vex` in tmux against the emulator, the batch view
//! (`B`) started from a plan file (`p`): the plan's dry run on screen with nothing sent, **Run**, and the
//! per-source counts the view shows at the end compared with what the emulator recorded and with what
//! `vex batch status` reads from the journal.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use secrecy::SecretString;
use std::time::Duration;
use support::tmux::Tmux;
use vex::api::{ApiVersion, Client, ClientConfig, VersionChoice};

const BIN: &str = env!("CARGO_BIN_EXE_vex");
const WAIT: Duration = Duration::from_secs(60);

/// The last `n` whitespace-separated words of the screen's line that contains `needle`.
fn row_numbers(screen: &str, needle: &str, n: usize) -> Vec<String> {
    let line = screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} on the screen:\n{screen}"));
    let words: Vec<&str> = line.split_whitespace().filter(|w| *w != "║" && *w != "│").collect();
    assert!(words.len() >= n, "{line}");
    words[words.len() - n..].iter().map(|w| w.to_string()).collect()
}

#[test]
fn a_plan_file_run_from_the_batch_view_shows_the_counts_the_emulator_recorded() {
    if !support::tmux::tmux_required("the batch view end-to-end test") {
        return;
    }
    // The emulator in this process (plain HTTP on 127.0.0.1: the test reads its record), v8 restores
    // taking a moment so the run is seen running.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    vex::install_crypto_provider();
    let cfg = vex::sim::SimConfig {
        tls: false,
        v8_restore_duration: Duration::from_millis(300),
        ..Default::default()
    };
    let server = rt.block_on(vex::sim::start(cfg.clone())).expect("emulator");
    let url = server.base_url().to_string();
    let (session, emails) = rt.block_on(async {
        let c = Client::new(ClientConfig {
            version: VersionChoice::Fixed(ApiVersion::V8),
            ..ClientConfig::new(&url)
        })
        .expect("client");
        c.login(&cfg.user, &SecretString::from(cfg.password.clone()))
            .await
            .expect("login");
        let sessions = c.restore_sessions(0, 100, None).await.expect("sessions").results;
        let s = sessions
            .into_iter()
            .find(|s| s.state.as_str() == "Working" && s.organization.as_deref().is_some_and(|o| o.contains("contoso")))
            .expect("a working contoso session");
        let emails: Vec<String> = c
            .all_mailboxes(&s.id)
            .await
            .expect("mailboxes")
            .into_iter()
            .filter(|m| !m.is_archive && !m.is_public)
            .filter_map(|m| m.email)
            .filter(|e| e.is_ascii())
            .take(2)
            .collect();
        (s.id, emails)
    });
    assert_eq!(emails.len(), 2);

    let dir = tempfile::tempdir().expect("temp dir");
    let pw = dir.path().join("exchange-password");
    std::fs::write(&pw, "Exchange-Secret-e2e\n").expect("password file");
    // Two sources (lines 3 and 7), each one mailbox's Inbox, to Francois's mailbox.
    let plan_text = format!(
        "session = \"{session}\"\n\n[[source]]\nmailboxes = [\"{}\"]\nfolders = [\"Inbox\"]\n\n\
         [[source]]\nmailboxes = [\"{}\"]\nfolders = [\"Inbox\"]\n\n\
         [target]\nmailbox = \"francois.lefevre@contoso.com\"\nfolder = \"Restored/{{mailbox}}/{{folder}}\"\n\n\
         [credentials]\nuser = \"restore-admin@contoso.com\"\npassword_command = \"cat '{}'\"\n",
        emails[0],
        emails[1],
        pw.display()
    );
    let plan = dir.path().join("incident.toml");
    std::fs::write(&plan, &plan_text).expect("plan");

    let d = dir.path().display();
    let cmd = format!(
        "exec env -u VEX_PROFILE VEX_PASSWORD={pw} VEX_STATE_DIR={d}/state VEX_CONFIG_DIR={d}/config \
         VEX_DATA_DIR={d}/data {BIN} --server {url} --user {user} --api v8",
        pw = cfg.password,
        user = cfg.user,
    );
    let Some(t) = Tmux::start_or_skip("batchview", &cmd, 140, 44, "the batch view end-to-end test") else {
        return;
    };
    t.wait_for("contoso.onmicrosoft.com", WAIT);

    // B: the view; p: the plan file's path; Enter: read, checked and resolved (reads only).
    t.keys(&["B"]);
    t.wait_for("Batches", WAIT);
    t.keys(&["p"]);
    t.text(&plan.display().to_string());
    t.keys(&["Enter"]);
    let dry = t.wait_until("the dry run", WAIT, |s| {
        s.contains("[ Run ]") && s.contains("[ Cancel ]")
    });
    for e in &emails {
        assert!(dry.contains(e.as_str()), "the dry run names {e}:\n{dry}");
    }
    assert!(dry.contains("francois.lefevre@contoso.com"), "{dry}");
    assert!(
        server.store().restores().is_empty(),
        "nothing is sent before Run:\n{dry}"
    );

    // Run (Cancel is the default: → then Enter), then the end.
    t.keys(&["Right", "Enter"]);
    let done = t.wait_for("2 of 2 restores ended", WAIT);

    // The emulator's record: one restore per source, applied once.
    let record: Vec<vex::sim::RestoreRecord> = server
        .store()
        .restores()
        .into_iter()
        .filter(|r| r.restore_session_id == session)
        .collect();
    assert_eq!(record.len(), 2, "{record:?}");
    let mailbox_ids = rt.block_on(async {
        let c = Client::new(ClientConfig {
            version: VersionChoice::Fixed(ApiVersion::V8),
            ..ClientConfig::new(&url)
        })
        .expect("client");
        c.login(&cfg.user, &SecretString::from(cfg.password.clone()))
            .await
            .expect("login");
        c.all_mailboxes(&session).await.expect("mailboxes")
    });
    let mut sums = [0i64; 4];
    for (email, line) in emails.iter().zip(["3", "7"]) {
        let id = &mailbox_ids
            .iter()
            .find(|m| m.email.as_deref() == Some(email.as_str()) && !m.is_archive)
            .expect("the mailbox")
            .id;
        let recs: Vec<&vex::sim::RestoreRecord> = record.iter().filter(|r| &r.source_mailbox_id == id).collect();
        assert_eq!(recs.len(), 1, "{email}: applied {} times", recs.len());
        let st = recs[0].outcome.as_ref().expect("finished");
        let want = [
            st.created_items_count,
            st.merged_items_count,
            st.skipped_items_count,
            st.failed_items_count,
        ];
        for (s, w) in sums.iter_mut().zip(want) {
            *s += w;
        }
        // The source's row: Line, Ended, Created, Merged, Skipped, Failed, Refused, Unknown, Not sent.
        let cells = row_numbers(&done, &format!("{email} / Inbox"), 9);
        let th = |v: i64| vex::text::thousands(v.max(0) as u64);
        assert_eq!(
            cells,
            [
                line.to_string(),
                "1/1".into(),
                th(want[0]),
                th(want[1]),
                th(want[2]),
                th(want[3]),
                "0".into(),
                "0".into(),
                "0".into()
            ],
            "{email}'s row against the record {want:?}:\n{done}"
        );
    }
    assert!(sums[0] > 0, "the Inboxes had items to restore: {sums:?}");
    let th = |v: i64| vex::text::thousands(v.max(0) as u64);
    let total = format!(
        "items created {} · merged {} · skipped {} · failed {}",
        th(sums[0]),
        th(sums[1]),
        th(sums[2]),
        th(sums[3])
    );
    assert!(done.contains(&total), "{total}\n{done}");

    // The journal (`vex batch status`) says the same.
    let out = std::process::Command::new(BIN)
        .args(["batch", "status", "--json"])
        .env("VEX_STATE_DIR", dir.path().join("state"))
        .env("VEX_CONFIG_DIR", dir.path().join("config"))
        .env("VEX_DATA_DIR", dir.path().join("data"))
        .env_remove("VEX_PROFILE")
        .output()
        .expect("vex batch status");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    let batches: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let b = &batches.as_array().expect("an array")[0];
    assert_eq!(b["plan"], plan.display().to_string());
    let restores = b["restores"].as_array().expect("restores");
    assert_eq!(restores.len(), 2);
    let mut journal = [0i64; 4];
    for r in restores {
        assert_eq!(r["state"], "done", "{r}");
        for (j, k) in journal.iter_mut().zip(["created", "merged", "skipped", "failed"]) {
            *j += r[k].as_i64().unwrap_or_default();
        }
    }
    assert_eq!(journal, sums, "the journal's counts are the record's");

    t.keys(&["Escape", "q"]);
    rt.block_on(server.shutdown());
}

/// The lines of the box whose top-left corner is `top_left` (its sides `side`, its bottom-left corner
/// `bottom_left`): each has a side in the box's first and last columns, counted as the terminal counts
/// them (a wide character two columns; `capture-pane` writes it once).
fn assert_box_whole(screen: &str, top_left: char, side: char, bottom_left: char) {
    let lines: Vec<&str> = screen.lines().collect();
    let top = lines
        .iter()
        .position(|l| l.trim_start().starts_with(top_left))
        .unwrap_or_else(|| panic!("no box {top_left} on the screen:\n{screen}"));
    let bottom = lines[top..]
        .iter()
        .position(|l| l.trim_start().starts_with(bottom_left))
        .map(|b| top + b)
        .unwrap_or_else(|| panic!("no bottom {bottom_left} on the screen:\n{screen}"));
    let columns = |l: &str| -> (usize, usize) {
        let left = vex::text::width(&l[..l.find(|c: char| c != ' ').unwrap_or(0)]);
        (left, vex::text::width(l.trim_end()) - 1)
    };
    let (left, right) = columns(lines[top]);
    for (i, l) in lines.iter().enumerate().take(bottom + 1).skip(top + 1) {
        let (l_left, l_right) = columns(l);
        let last = l.trim_end().chars().last();
        assert!(
            (l_left, l_right) == (left, right)
                && (i == bottom || (l.trim_start().starts_with(side) && last == Some(side))),
            "line {i} of the box has its sides in columns {l_left} and {l_right}, not {left} and {right}:\n{screen}"
        );
    }
}

/// The batch view opened over a list with wide characters (the demo's Inbox: 📎 and 🎉, CJK subjects):
/// every line of its box has its sides in the box's first and last columns in tmux's screen. The
/// terminal backend erased blank runs (`CSI n X`) that ended on an emoji's left part; tmux erases that
/// part only, and those lines showed their right side a column to the left.
#[test]
fn the_batch_view_over_wide_characters_has_its_sides_in_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(t) = Tmux::demo(
        "batchwide",
        dir.path(),
        "",
        120,
        32,
        "the batch view over wide characters",
    ) else {
        return;
    };
    t.open_demo_inbox(WAIT);
    let inbox = t.screen();
    assert!(inbox.contains('📎'), "the Inbox shows wide characters:\n{inbox}");
    t.keys(&["B"]);
    let screen = t.wait_for("no batches yet", WAIT);
    assert_box_whole(&screen, '╔', '║', '╚');
    t.keys(&["Escape", "q"]);
}
