//! End to end in a real pseudo-terminal: the real binary (`vex demo`) inside tmux, driven with
//! send-keys and read with capture-pane, as an operator would use it.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use secrecy::SecretString;
use std::time::Duration;
use support::tmux::Tmux;
use vex::api::models::{Folder, ItemData};
use vex::api::{ApiVersion, Client, ClientConfig, FolderParent, VersionChoice};

const BIN: &str = env!("CARGO_BIN_EXE_vex");
const WAIT: Duration = Duration::from_secs(20);

/// Starts `vex demo` in tmux, or returns None (skipping) under `VEX_SKIP_TMUX=1`; a missing tmux fails.
fn demo(tag: &str, dir: &std::path::Path, width: u16, height: u16) -> Option<Tmux> {
    Tmux::demo(tag, dir, "", width, height, "the end-to-end test")
}

/// An emulator with the demo's seed (plain HTTP) and a v8 client logged in to it: what the demo shows,
/// asked through the client, so that the tests do not hard-code generated data.
struct DemoClient {
    server: vex::sim::SimServer,
    c: Client,
}

impl DemoClient {
    async fn start() -> DemoClient {
        vex::install_crypto_provider();
        let cfg = vex::sim::SimConfig {
            tls: false,
            ..Default::default()
        };
        let server = vex::sim::start(cfg.clone()).await.expect("emulator");
        let c = Client::new(ClientConfig {
            version: VersionChoice::Fixed(ApiVersion::V8),
            ..ClientConfig::new(server.base_url())
        })
        .expect("client");
        c.login(&cfg.user, &SecretString::from(cfg.password.clone()))
            .await
            .expect("login");
        DemoClient { server, c }
    }

    /// The root folder `name` of a mailbox.
    async fn root_folder(&self, session: &str, mailbox: &str, name: &str) -> Folder {
        self.c
            .all_folders(session, mailbox, FolderParent::Root)
            .await
            .expect("folders")
            .into_iter()
            .find(|f| f.name.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("no folder {name}"))
    }
}

/// What the demo's first Calendar appointment of the first mailbox is.
async fn expected_appointment() -> (String, String, String) {
    let d = DemoClient::start().await;
    let c = &d.c;
    let org = c.organizations().await.expect("orgs")[0].id.clone().expect("id");
    let s = c.explore(&org, &Default::default()).await.expect("explore");
    let mb = c.mailboxes(&s.id, 0, 1).await.expect("mailboxes").results[0].id.clone();
    let cal = d.root_folder(&s.id, &mb, "Calendar").await;
    let first = c
        .items(&s.id, &mb, &cal.id, 0, 1)
        .await
        .expect("items")
        .results
        .remove(0);
    d.server.shutdown().await;
    match first.data {
        ItemData::Appointment(a) => (
            a.organizer.expect("organizer"),
            a.location.expect("location"),
            a.attendees.expect("attendees"),
        ),
        other => panic!("not an appointment: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_browse_to_an_appointment_and_to_the_end_of_a_million_items() {
    let (organizer, location, attendees) = expected_appointment().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(t) = demo("browse", dir.path(), 120, 36) else {
        return;
    };

    // The sessions pane with data, quickly.
    t.wait_for("Restore sessions", WAIT);
    // The organization column is cut at 100 columns (the point in time has a column of its own).
    t.wait_for("contoso.onmicro", WAIT);
    // Filter to the contoso sessions; the newest (Working) one is first. Open it.
    t.text("/contoso");
    t.keys(&["Enter", "Enter"]);
    t.wait_for("Mailboxes", WAIT);
    t.wait_for("Zoë Müller", WAIT);
    // First mailbox → folders → Calendar → first appointment.
    t.keys(&["Enter"]);
    t.wait_for("Calendar", WAIT);
    t.text("/Calendar");
    t.keys(&["Enter", "Enter"]);
    // The first appointment, not just the column header (Enter on an empty list opens nothing).
    t.wait_until("the first appointment", WAIT, |s| {
        s.contains("Location") && s.contains("Calendar · 1/")
    });
    t.keys(&["Enter"]);
    let screen = t.wait_for("Organizer", WAIT);
    assert!(
        screen.contains(&organizer),
        "organizer {organizer} on screen:\n{screen}"
    );
    assert!(screen.contains(&location), "location {location} on screen:\n{screen}");
    let first_attendee = attendees.split(';').next().unwrap_or("").trim().to_string();
    assert!(
        screen.contains(&first_attendee),
        "attendee {first_attendee} on screen:\n{screen}"
    );

    // Back to the mailboxes (h, not Esc: tmux turns a quick Esc + key into Alt+key).
    for _ in 0..8 {
        if t.screen().contains("Mailboxes ·") && !t.screen().contains("Folders ·") {
            break;
        }
        t.keys(&["h"]);
        std::thread::sleep(Duration::from_millis(300));
    }
    t.wait_for("François Lefèvre", WAIT);
    t.keys(&["j", "Enter"]);
    t.wait_for("Inbox", WAIT);
    // Expand Inbox, filter to the million-item folder, open it, jump to the end.
    t.keys(&["Space"]);
    t.wait_for("Archive 1M", WAIT);
    t.text("/Archive");
    t.keys(&["Enter", "Enter"]);
    t.wait_for("Received", WAIT);
    t.keys(&["G"]);
    let screen = t.wait_for("1,000,000/1,000,000", WAIT);
    assert!(screen.contains("Archive 1M"), "{screen}");

    // Quit restores the terminal: the program exits and the alternate screen is gone.
    t.keys(&["q"]);
    t.wait_until("vex to exit", WAIT, |_| t.exited());
    let after = t.screen();
    assert!(!after.contains("Restore sessions"), "the TUI left the screen:\n{after}");
}

/// SIGTERM, SIGHUP (an SSH drop) and SIGQUIT (Ctrl-\\, whose default action would leave the terminal raw
/// and dump core) end vex with the terminal restored: alternate screen left, cursor shown.
#[test]
fn signals_restore_the_terminal() {
    for (tag, sig, signo) in [
        ("term", "TERM", libc::SIGTERM),
        ("hup", "HUP", libc::SIGHUP),
        ("quit", "QUIT", libc::SIGQUIT),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        // `exec` so the pane's pid is vex itself.
        let cmd = format!(
            "exec env VEX_STATE_DIR={d}/state VEX_CONFIG_DIR={d}/config VEX_DATA_DIR={d}/data {BIN} demo",
            d = dir.path().display()
        );
        let Some(t) = Tmux::start_or_skip(tag, &cmd, 100, 30, "the signal test") else {
            return;
        };
        let out = dir.path().join("terminal-output");
        t.record_output(&out);
        t.wait_for("Restore sessions", WAIT);
        assert!(t.alternate_on(), "the TUI owns the alternate screen");
        t.signal(signo);
        t.wait_until("vex to exit", WAIT, |_| t.exited());
        assert!(!t.alternate_on(), "SIG{sig}: the alternate screen was left");
        // What vex wrote last: the cursor shown after it was last hidden, the alternate screen left. The
        // recording (tmux pipe-pane) may lag behind the pane's end: read it until it says so, or time out.
        let restored = |bytes: &[u8]| {
            let last = |pat: &[u8]| bytes.windows(pat.len()).rposition(|w| w == pat);
            (
                last(b"\x1b[?25h") > last(b"\x1b[?25l"),
                last(b"\x1b[?1049l") > last(b"\x1b[?1049h"),
            )
        };
        let deadline = std::time::Instant::now() + WAIT;
        let (shown, left) = loop {
            let r = restored(&std::fs::read(&out).unwrap_or_default());
            if r == (true, true) || std::time::Instant::now() > deadline {
                break r;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(shown, "SIG{sig}: the cursor is shown at the end");
        assert!(left, "SIG{sig}: the alternate screen is left at the end");
    }
}

// The guided restore in the real binary (v6 and v8, marks cleared, the confirmation's point in time and
// target folder): tests/e2e_trust.rs.

/// `[keys]` and `mouse` from config.toml in the real binary: `n` moves down (new_session moved to `N`),
/// `?` lists it, the mouse is captured while vex runs and released on the way out; without `mouse` it
/// is never captured (the terminal's text selection keeps working).
#[test]
fn config_keys_and_mouse_in_the_real_terminal() {
    const CAPTURE_ON: &[u8] = b"\x1b[?1000h";
    const CAPTURE_OFF: &[u8] = b"\x1b[?1000l";
    let last = |bytes: &[u8], pat: &[u8]| bytes.windows(pat.len()).rposition(|w| w == pat);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("config")).expect("config dir");
    std::fs::write(
        dir.path().join("config/config.toml"),
        "mouse = true\n[keys]\ndown = \"n\"\nnew_session = \"N\"\n",
    )
    .expect("config.toml");
    let Some(t) = demo("prefs", dir.path(), 100, 30) else {
        return;
    };
    let out = dir.path().join("terminal-output");
    t.record_output(&out);
    // The organization column is cut at 100 columns (the point in time has a column of its own).
    t.wait_for("contoso.onmicro", WAIT);
    assert!(t.mouse_on(), "mouse = true captures the mouse");
    // 100 columns: one pane; its rows start on line 4 (header, breadcrumb, border, column header).
    let screen = t.screen();
    let second_row = screen.lines().nth(5).unwrap_or_default().to_string();
    t.keys(&["n", "Enter"]);
    let opened = t.wait_for("Mailboxes", WAIT);
    let crumb = opened.lines().nth(1).unwrap_or_default();
    // The breadcrumb names the opened session's organization; the second row is another one's than
    // the first (the demo's sessions alternate fabrikam / contoso).
    let first_row = screen.lines().nth(4).unwrap_or_default();
    let org = crumb
        .split(" › ")
        .nth(1)
        .and_then(|p| p.split(" · ").next())
        .unwrap_or_default()
        .trim();
    let head: String = org.chars().take(12).collect();
    assert!(
        head.len() == 12 && second_row.contains(&head) && !first_row.contains(&head),
        "n moved to the second session ({first_row:?} / {second_row:?}); opened: {crumb:?}"
    );
    t.keys(&["?"]);
    let help = t.wait_for("move down", WAIT);
    let down = help.lines().find(|l| l.contains("move down")).unwrap_or_default();
    assert!(down.contains(" n ") && !down.contains(" j "), "{down}");
    t.keys(&["q", "q"]);
    t.wait_until("vex to exit", WAIT, |_| t.exited());
    let bytes = std::fs::read(&out).unwrap_or_default();
    // The recording may start after the capture was switched on (pipe-pane attaches late): the pane's
    // mode says it all.
    assert!(!t.mouse_on(), "the mouse is released on the way out");
    assert!(
        last(&bytes, CAPTURE_OFF) > last(&bytes, CAPTURE_ON),
        "the release is the last mouse sequence written"
    );
    drop(t);

    // Without `mouse`, no capture at all.
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(t) = demo("nomouse", dir.path(), 100, 30) else {
        return;
    };
    let out = dir.path().join("terminal-output");
    t.record_output(&out);
    // The organization column is cut at 100 columns (the point in time has a column of its own).
    t.wait_for("contoso.onmicro", WAIT);
    assert!(!t.mouse_on(), "mouse off: never captured");
    t.keys(&["q"]);
    t.wait_until("vex to exit", WAIT, |_| t.exited());
    let bytes = std::fs::read(&out).unwrap_or_default();
    assert!(!bytes.is_empty(), "the output was recorded");
    assert!(last(&bytes, CAPTURE_ON).is_none(), "mouse off: never captured");
}

/// The SGR parameters of every escape sequence in `screen` (`capture-pane -e` output).
fn sgr_params(screen: &str) -> Vec<Vec<u16>> {
    let mut out = Vec::new();
    let mut rest = screen;
    while let Some(at) = rest.find("\x1b[") {
        rest = &rest[at + 2..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(rest.len());
        if rest[end..].starts_with('m') {
            out.push(rest[..end].split(';').filter_map(|p| p.parse().ok()).collect());
        }
        rest = &rest[end..];
    }
    out
}

/// Whether SGR parameters set a colour (foreground or background, basic, bright, 256 or RGB).
fn sets_colour(params: &[u16]) -> bool {
    params
        .iter()
        .any(|&p| matches!(p, 30..=37 | 38 | 40..=47 | 48 | 90..=97 | 100..=107))
}

/// `NO_COLOR` in the real binary: the terminal gets no colour at all (bold, reverse, underline only), on
/// the browser and in help; without it, colours are drawn.
#[test]
fn no_color_in_the_real_terminal_means_no_colour_attributes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(t) = Tmux::demo("nocolor", dir.path(), "NO_COLOR=1 ", 120, 32, "the NO_COLOR test") else {
        return;
    };
    t.open_demo_inbox(WAIT);
    let mut screens = vec![t.screen_with_attributes()];
    t.keys(&["?"]);
    t.wait_for("Everywhere", WAIT);
    screens.push(t.screen_with_attributes());
    for screen in &screens {
        let sgr = sgr_params(screen);
        assert!(!sgr.is_empty(), "attributes were captured:\n{screen}");
        assert!(sgr.iter().any(|p| p.contains(&7)), "reverse video marks the selection");
        let coloured: Vec<_> = sgr.iter().filter(|p| sets_colour(p)).collect();
        assert!(coloured.is_empty(), "colour with NO_COLOR: {coloured:?}");
    }
    t.keys(&["Escape", "q"]);
    drop(t);

    let dir = tempfile::tempdir().expect("tempdir");
    let Some(t) = Tmux::demo("color", dir.path(), "-u NO_COLOR ", 120, 32, "the NO_COLOR test") else {
        return;
    };
    t.open_demo_inbox(WAIT);
    let sgr = sgr_params(&t.screen_with_attributes());
    assert!(sgr.iter().any(|p| sets_colour(p)), "colours without NO_COLOR");
}

/// The subject and the first line of the body of the third message of Zoë Müller's Inbox (where `j j`
/// puts the cursor), asked of an emulator with the demo's seed: the subject through the client, the
/// body line from the emulator's own generator (not from vex's MSG parser).
async fn expected_third_inbox_message() -> (String, String) {
    let d = DemoClient::start().await;
    let c = &d.c;
    let org = c
        .organizations()
        .await
        .expect("orgs")
        .into_iter()
        .find(|o| o.name.as_deref().is_some_and(|n| n.contains("contoso")))
        .and_then(|o| o.id)
        .expect("contoso");
    let s = c.explore(&org, &Default::default()).await.expect("explore");
    let mb = c
        .all_mailboxes(&s.id)
        .await
        .expect("mailboxes")
        .into_iter()
        .find(|m| m.name.as_deref() == Some("Zoë Müller"))
        .expect("Zoë Müller")
        .id;
    let inbox = d.root_folder(&s.id, &mb, "Inbox").await;
    let third = c
        .items(&s.id, &mb, &inbox.id, 0, 3)
        .await
        .expect("items")
        .results
        .remove(2);
    let data = d.server.store().data();
    let key = data.parse_item(&third.id).expect("an emulator item id");
    let line = vex::sim::msgfile::first_body_line(data, key).expect("a body");
    d.server.shutdown().await;
    (third.title().expect("a subject").to_string(), line)
}

/// Issue 16: at 120 columns the items and the reading pane stand side by side; the cursor resting on a
/// message shows the body of its MSG file beside the list, and Enter (the message opened) keeps it.
#[tokio::test(flavor = "multi_thread")]
async fn demo_reading_pane_shows_a_line_of_the_body() {
    let (subject, line) = expected_third_inbox_message().await;
    // The start of the line, cut at a word: it fits on one row of the pane however the rest wraps.
    let mut needle = String::new();
    for w in line.split(' ') {
        if needle.chars().count() + w.chars().count() + 1 > 40 && !needle.is_empty() {
            break;
        }
        if !needle.is_empty() {
            needle.push(' ');
        }
        needle.push_str(w);
    }
    assert!(needle.chars().count() >= 8, "a line worth reading: {line:?}");
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(t) = demo("reading", dir.path(), 120, 32) else {
        return;
    };
    t.open_demo_inbox(WAIT);
    t.keys(&["j", "j"]);
    let screen = t.wait_for(&needle, WAIT);
    assert!(screen.contains(&subject), "the preview is the message's:\n{screen}");
    // Side by side: the list's column header and the body on the same screen rows' halves.
    let row = screen.lines().find(|l| l.contains(&needle)).expect("the body's row");
    assert!(
        row.find(&needle).expect("on the row") > 50,
        "the body is in the right-hand pane:\n{screen}"
    );
    t.keys(&["Enter"]);
    let screen = t.wait_for("Esc back", WAIT);
    assert!(screen.contains(&needle), "the opened message shows its body:\n{screen}");
    assert!(screen.contains(&subject), "{screen}");
    t.keys(&["q"]);
}

/// Keys that arrive faster than vex reads them are all read: 500 × Down sent at once (1,500 bytes of
/// input, more than one 1,024-byte read) move the cursor 500 rows. crossterm's default input source
/// (edge-triggered) read the first 1,024 bytes and left the rest in the kernel until another key came:
/// the cursor stopped on row 342.
#[test]
fn a_burst_of_keys_is_read_whole() {
    const _: () = assert!(vex::sim::data::BIG_INBOX > 500, "the test needs more than 500 items");
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(t) = demo("burst", dir.path(), 120, 36) else {
        return;
    };
    t.open_demo_inbox(WAIT);
    t.send_repeated("Down", 500);
    t.wait_for("Inbox · 501/", WAIT);
}
