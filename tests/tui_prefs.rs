//! The operator's preferences from config.toml: `[keys]` remaps keys (and `?` help and the hints follow),
//! `theme` picks the palette (`mono`, like `NO_COLOR`, draws no colour at all), `mouse` turns the wheel and
//! clicks on. Driven through the pure `update` and drawn on a `TestBackend`.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use crossterm::event::{KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use serde_json::json;
use std::sync::LazyLock;
use support::fake::{self, from, header, render};
use support::fixtures::{Browse, Drive, drafts, inbox, mailbox, sent_items};
use vex::api::VersionChoice;
use vex::api::models::RestoreSession;
use vex::app::panes::login::{LoginDialog, LoginTarget};
use vex::app::prefs::ThemeName;
use vex::app::{Action, DisplayZone, Effect, Level, Msg, Overlay, State, UiPrefs, update};
use vex::config::Config;

fn sessions() -> Vec<RestoreSession> {
    from(json!([
        {"id": "s-1", "organization": "Contoso Ltd", "type": "Vex", "creationTime": "2024-03-01T14:00:00Z",
         "state": "Working", "result": "Success", "initiatedBy": "CONTOSO\\backup-op"},
        {"id": "s-2", "organization": "Fabrikam S.A.", "type": "Vex", "creationTime": "2024-02-27T09:30:00Z",
         "endTime": "2024-02-27T11:02:00Z", "state": "Stopped", "result": "Success", "initiatedBy": "FABRIKAM\\op"},
        {"id": "s-3", "organization": "Northwind", "type": "Vex", "creationTime": "2024-02-20T23:59:00Z",
         "endTime": "2024-02-21T00:10:00Z", "state": "Stopped", "result": "Warning", "initiatedBy": "NW\\op"}
    ]))
}

/// The fake server: the lists, 30 messages in every folder, any message by id, the restore dialog's
/// target folders.
static SERVER: LazyLock<Browse> = LazyLock::new(|| Browse {
    items_by_id: true,
    ..Browse::new(
        sessions(),
        vec![
            mailbox("mb-1", "Anna Müller", "anna.mueller@contoso.com"),
            mailbox("mb-2", "Bob Smith", "bob@contoso.com"),
        ],
        vec![inbox(), sent_items(), drafts()],
        30,
    )
});

fn settle(s: &mut State, fx: Vec<Effect>) {
    fake::settle(&*SERVER, s, fx);
}

fn key_mod(s: &mut State, code: KeyCode, mods: KeyModifiers) {
    SERVER.key_mod(s, code, mods);
}

fn key(s: &mut State, code: KeyCode) {
    SERVER.key(s, code);
}

/// The preferences of a config.toml text, read the way vex reads the file.
fn prefs(text: &str) -> Result<UiPrefs, String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).expect("write config");
    let cfg = Config::load(&path).map_err(|e| e.to_string())?;
    UiPrefs::from_config(&cfg)
}

/// The browser started with `prefs`, sessions loaded.
fn started(prefs: UiPrefs) -> State {
    let mut s = State::new(header());
    prefs.apply(&mut s);
    s.zone = DisplayZone::UTC;
    s.size = (80, 24);
    let fx = update(&mut s, Msg::Start);
    settle(&mut s, fx);
    assert_eq!(s.sessions.list.len(), 3);
    s
}

fn text(t: &Terminal<TestBackend>) -> String {
    t.backend().to_string()
}

/// The drawn line that contains `needle`.
fn line_with(screen: &str, needle: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?}:\n{screen}"))
        .to_string()
}

const REMAP: &str = "\
[keys]
quit = \"ctrl-q\"
down = [\"n\", \"Down\"]
new_session = \"N\"
";

// ------------------------------------------------------------------------------------------------
// [keys]
// ------------------------------------------------------------------------------------------------

#[test]
fn a_remapped_key_works_and_the_old_one_does_not() {
    let mut s = started(prefs(REMAP).expect("config is valid"));
    assert_eq!(s.sessions.list.cursor, 0);
    key(&mut s, KeyCode::Char('n'));
    assert_eq!(s.sessions.list.cursor, 1, "n moves down");
    key(&mut s, KeyCode::Down);
    assert_eq!(s.sessions.list.cursor, 2, "Down still does (listed too)");
    key(&mut s, KeyCode::Char('k'));
    key(&mut s, KeyCode::Char('j'));
    assert_eq!(s.sessions.list.cursor, 1, "j no longer moves down (k still moves up)");
    assert!(s.overlay.is_none(), "n no longer opens the new-session dialog");
    key_mod(&mut s, KeyCode::Char('N'), KeyModifiers::SHIFT);
    assert!(matches!(s.overlay, Some(Overlay::NewSession(_))), "N does now");
    key(&mut s, KeyCode::Esc);
    assert!(s.overlay.is_none());
    key(&mut s, KeyCode::Char('q'));
    assert!(!s.quit, "q no longer quits");
    key_mod(&mut s, KeyCode::Char('q'), KeyModifiers::CONTROL);
    assert!(s.quit, "ctrl-q quits");
}

#[test]
fn help_and_hints_show_the_remapped_keys() {
    let mut s = started(prefs(REMAP).expect("config is valid"));
    let hints = text(&render(&s, 80, 24));
    let status = hints.lines().nth(23).unwrap_or_default().to_string();
    assert!(status.contains("^q quit"), "{status}");
    assert!(!status.contains(" q quit"), "{status}");
    key(&mut s, KeyCode::Char('?'));
    assert!(matches!(s.overlay, Some(Overlay::Help(_))));
    let t = render(&s, 80, 40);
    let screen = text(&t);
    let down = line_with(&screen, "move down");
    assert!(down.contains("n ↓") && !down.contains(" j "), "{down}");
    let quit = line_with(&screen, "  quit");
    assert!(quit.contains("^q") && !quit.contains(" q "), "{quit}");
    let new = line_with(&screen, "new restore session");
    assert!(new.contains(" N ") && !new.contains(" n "), "{new}");
    insta::assert_snapshot!("help_remapped_80x40", t.backend());
    // Too tall for 24 rows: the footer says how to scroll, with the keys in effect.
    let short = text(&render(&s, 80, 24));
    assert!(short.contains(" n/k scroll · Esc close "), "{short}");
    // The help scrolls and closes with the remapped keys too.
    key_mod(&mut s, KeyCode::Char('q'), KeyModifiers::CONTROL);
    assert!(s.overlay.is_none(), "the quit key closes the help");
}

#[test]
fn key_config_errors_are_clear() {
    let e = prefs("[keys]\nquti = \"q\"\n").unwrap_err();
    assert!(e.starts_with("[keys] quti: no such action (known: up, down,"), "{e}");
    let e = prefs("[keys]\ndown = \"ctlr-n\"\n").unwrap_err();
    assert!(e.starts_with("[keys] down: cannot read key \"ctlr-n\""), "{e}");
    let e = prefs("[keys]\ndown = true\n").unwrap_err();
    assert!(
        e.contains("[keys] down: expected a key (\"j\") or a list of keys"),
        "{e}"
    );
    // `n` is the only key of new_session: taking it needs a new key for new_session too.
    let e = prefs("[keys]\ndown = \"n\"\n").unwrap_err();
    assert!(e.contains("[keys] down: n is the only key of new_session"), "{e}");
    let e = prefs("[keys]\ndown = \"x\"\nup = \"x\"\n").unwrap_err();
    assert!(e.contains("x is bound to both down and up"), "{e}");
    let e = prefs("theme = \"solarized\"\n").unwrap_err();
    assert_eq!(e, "theme: no theme named \"solarized\" (known: default, light, mono)");
    let e = prefs("mouse = \"yes\"\n").unwrap_err();
    assert!(e.contains("mouse"), "{e}");
    // A key stolen from an action that has others: that action keeps them.
    let p = prefs("[keys]\nfilter = \"f\"\nrefresh = \"g\"\n").expect("valid");
    assert_eq!(p.keymap.keys_for(Action::First), vec!["Home".to_string()]);
    assert_eq!(p.keymap.keys_for(Action::Refresh), vec!["g".to_string()]);
}

// ------------------------------------------------------------------------------------------------
// theme / NO_COLOR
// ------------------------------------------------------------------------------------------------

/// The screens to check: the items pane, its help, the restore dialog, the login screen.
fn screens(prefs: UiPrefs, color: bool) -> Vec<(&'static str, State)> {
    let mut s = started(prefs);
    s.color = color;
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Items);
    key(&mut s, KeyCode::Char(' '));
    let browser = s.clone();
    let mut help = s.clone();
    key(&mut help, KeyCode::Char('?'));
    assert!(matches!(help.overlay, Some(Overlay::Help(_))));
    let mut restore = s.clone();
    key(&mut restore, KeyCode::Char('r'));
    assert!(matches!(restore.overlay, Some(Overlay::Restore(_))));
    let login = s.with_login(LoginDialog::start(
        LoginTarget {
            server: "https://vb365.example.com:4443".into(),
            api: VersionChoice::Auto,
        },
        "vex",
    ));
    vec![
        ("browser", browser),
        ("help", help),
        ("restore", restore),
        ("login", login),
    ]
}

fn assert_no_colour(name: &str, t: &Terminal<TestBackend>) {
    for (i, c) in t.backend().buffer().content().iter().enumerate() {
        assert_eq!((c.fg, c.bg), (Color::Reset, Color::Reset), "{name}: cell {i} {c:?}");
    }
}

#[test]
fn mono_theme_and_no_color_draw_no_colour_anywhere() {
    let mono = prefs("theme = \"mono\"\n").expect("valid");
    assert_eq!(mono.theme, ThemeName::Mono);
    for (name, s) in screens(mono, true) {
        for (w, h) in [(80, 24), (160, 40)] {
            assert_no_colour(name, &render(&s, w, h));
        }
    }
    // NO_COLOR (state.color false) wins over a colour theme.
    for theme in ["default", "light"] {
        let p = prefs(&format!("theme = \"{theme}\"\n")).expect("valid");
        for (name, s) in screens(p, false) {
            assert_no_colour(name, &render(&s, 80, 24));
        }
    }
    let browser = screens(prefs("theme = \"mono\"\n").expect("valid"), true).remove(0).1;
    insta::assert_snapshot!("mono_browser_80x24", render(&browser, 80, 24).backend());
}

#[test]
fn colour_themes_use_the_basic_colours_and_light_avoids_pale_ones() {
    for (theme, pale) in [("default", vec![]), ("light", vec![Color::Cyan, Color::Yellow])] {
        let p = prefs(&format!("theme = \"{theme}\"\n")).expect("valid");
        for (name, s) in screens(p, true) {
            let t = render(&s, 160, 40);
            let mut coloured = false;
            for c in t.backend().buffer().content() {
                for col in [c.fg, c.bg] {
                    assert!(
                        !matches!(col, Color::Rgb(..) | Color::Indexed(_)),
                        "{theme} {name}: {col:?}"
                    );
                    assert!(!pale.contains(&col), "{theme} {name}: {col:?}");
                    coloured |= col != Color::Reset;
                }
            }
            assert!(coloured, "{theme} {name} has colour");
        }
    }
}

// ------------------------------------------------------------------------------------------------
// mouse
// ------------------------------------------------------------------------------------------------

fn mouse(s: &mut State, kind: MouseEventKind, column: u16, row: u16) {
    let fx = update(
        s,
        Msg::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        }),
    );
    settle(s, fx);
}

#[test]
fn the_wheel_moves_the_cursor_and_a_click_selects_only_with_mouse_on() {
    let mut off = started(prefs("").expect("valid"));
    mouse(&mut off, MouseEventKind::ScrollDown, 10, 5);
    assert_eq!(off.sessions.list.cursor, 0, "mouse off: ignored");

    let mut s = started(prefs("mouse = true\n").expect("valid"));
    assert!(s.mouse);
    // 80x24: header, breadcrumb, then the sessions pane (border, column header, rows from line 4).
    mouse(&mut s, MouseEventKind::ScrollDown, 10, 5);
    assert_eq!(s.sessions.list.cursor, 2, "three rows a notch (two rows to the end)");
    mouse(&mut s, MouseEventKind::ScrollUp, 10, 5);
    assert_eq!(s.sessions.list.cursor, 0);
    mouse(&mut s, MouseEventKind::Down(MouseButton::Left), 10, 5);
    assert_eq!(s.sessions.list.cursor, 1, "the second row is on line 5");
    mouse(&mut s, MouseEventKind::Down(MouseButton::Left), 10, 20);
    assert_eq!(s.sessions.list.cursor, 1, "below the rows: nothing");
    // A click on the selected row of the focused pane opens it (like Enter); then back.
    mouse(&mut s, MouseEventKind::Down(MouseButton::Left), 10, 5);
    assert_eq!(s.focus, Level::Mailboxes, "the second click opened the session");
    assert_eq!(
        s.mailboxes.as_ref().map(|m| m.session.id.clone()),
        s.sessions.selected().map(|x| x.id.clone())
    );
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.focus, Level::Sessions);
    mouse(&mut s, MouseEventKind::Down(MouseButton::Left), 10, 4);
    assert_eq!(
        (s.focus, s.sessions.list.cursor),
        (Level::Sessions, 0),
        "another row: selected only"
    );
    // Two panes at 120 columns: a click in the sessions pane focuses it back.
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Mailboxes);
    s.size = (120, 30);
    let areas = vex::app::layout::pane_areas(&s);
    assert_eq!(areas.len(), 2, "{areas:?}");
    let (_, sessions_area) = areas[0];
    let (_, mailboxes_area) = areas[1];
    mouse(&mut s, MouseEventKind::Down(MouseButton::Left), mailboxes_area.x + 3, 5);
    assert_eq!(s.mailboxes.as_ref().map(|m| m.list.cursor), Some(1));
    // The wheel over the sessions pane moves its cursor and leaves the focus where it is.
    mouse(&mut s, MouseEventKind::ScrollDown, sessions_area.x + 3, 5);
    assert_eq!((s.focus, s.sessions.list.cursor), (Level::Mailboxes, 2));
    mouse(&mut s, MouseEventKind::Down(MouseButton::Left), sessions_area.x + 3, 4);
    assert_eq!((s.focus, s.sessions.list.cursor), (Level::Sessions, 0));
    // The help scrolls with the wheel; other dialogs ignore the mouse.
    key(&mut s, KeyCode::Char('?'));
    mouse(&mut s, MouseEventKind::ScrollDown, 10, 10);
    match &s.overlay {
        Some(Overlay::Help(h)) => assert!(h.scroll > 0, "the help scrolled"),
        other => panic!("no help: {other:?}"),
    }
}

// ------------------------------------------------------------------------------------------------
// The real binary
// ------------------------------------------------------------------------------------------------

#[test]
fn a_bad_entry_stops_vex_before_the_terminal_with_the_file_and_the_entry() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = dir.path().join("config.toml");
    for (text, entry) in [
        ("[keys]\nquti = \"q\"\n", "[keys] quti: no such action"),
        ("[keys]\ndown = \"ctlr-n\"\n", "[keys] down: cannot read key \"ctlr-n\""),
        ("theme = \"solarized\"\n", "theme: no theme named \"solarized\""),
    ] {
        std::fs::write(&cfg, text).expect("write config");
        for args in [&["demo"][..], &["--server", "https://127.0.0.1:9", "--user", "op"][..]] {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_vex"))
                .args(args)
                .env("VEX_CONFIG_DIR", dir.path())
                .env("VEX_STATE_DIR", dir.path().join("state"))
                .env("VEX_DATA_DIR", dir.path().join("data"))
                .env_remove("VEX_PROFILE")
                .env_remove("VEX_PASSWORD")
                .stdin(std::process::Stdio::null())
                .output()
                .expect("run vex");
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?} {text}: {err}");
            assert!(
                err.contains(&format!("vex: {}: {entry}", cfg.display())),
                "{args:?} {text}: {err}"
            );
        }
    }
}
