//! Connecting safely through the real loop (update + effects as tokio tasks + drawing) against the
//! emulator over HTTP: the login screen and its retry, sessions that outlive many token refreshes and
//! come back after an expiry exactly where they were, read-only mode, and the emulator's hostile mailbox
//! drawn in the list and in the details.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Duration;
use support::app::{AppHarness, Setup};
use vex::api::VersionChoice;
use vex::app::panes::login::{LoginDialog, LoginTarget};
use vex::app::{Conn, Level, State};
use vex::sim::SimConfig;

const WAIT: Duration = Duration::from_secs(30);
const PASSWORD: &str = "vex-demo-password";

/// How the harness starts.
#[derive(Default)]
struct Opts {
    token_ttl: Option<Duration>,
    /// Start on the login screen (the client is not logged in).
    login_screen: bool,
    read_only: bool,
}

/// The loop on a 120x30 terminal, its client on `auto` (the emulator's newest version once logged in).
async fn start(o: Opts) -> AppHarness {
    let setup = Setup {
        sim: SimConfig {
            tls: false,
            token_ttl: o.token_ttl.unwrap_or(Duration::from_secs(3600)),
            v8_restore_duration: Duration::from_millis(50),
            ..Default::default()
        },
        api: VersionChoice::Auto,
        log_in: !o.login_screen,
        size: (120, 30),
        wait: WAIT,
        ..Setup::default()
    };
    AppHarness::launch_with(setup, |mut state| {
        state.header.read_only = o.read_only;
        if !o.login_screen {
            return state;
        }
        let target = LoginTarget {
            server: state.header.server.clone(),
            api: VersionChoice::Auto,
        };
        state.with_login(LoginDialog::start(target, "vex"))
    })
    .await
}

impl AppHarness {
    /// Sessions (filtered to Contoso) → its newest Working session → the mailboxes.
    async fn open_contoso_mailboxes(&mut self) {
        self.until("the sessions", |s| s.sessions.list.len() >= 2 && !s.is_loading())
            .await;
        self.key(KeyCode::Char('/'));
        self.typed("contoso");
        self.key(KeyCode::Enter);
        self.until("the filter", |s| {
            s.sessions.list.filter.is_active() && !s.sessions.list.filter.editing
        })
        .await;
        self.key(KeyCode::Enter);
        self.until("the mailboxes", |s| {
            s.focus == Level::Mailboxes && s.mailboxes.as_ref().is_some_and(|m| m.list.len() > 10)
        })
        .await;
    }
}

fn login_error(s: &State) -> Option<String> {
    s.login.as_ref().and_then(|l| l.error.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_screen_shows_the_servers_refusal_and_a_retry_gets_in() {
    let mut h = start(Opts {
        login_screen: true,
        ..Default::default()
    })
    .await;
    h.until("the login screen", |s| s.login.is_some()).await;
    assert!(h.screen().contains("Log in"), "{}", h.screen());
    assert!(h.state().sessions.list.is_empty(), "nothing is loaded before the login");
    // Waiting for the operator costs nothing: no ticks, no frames.
    let frames = h.app.frames;
    h.idle(Duration::from_millis(300)).await;
    assert_eq!(h.app.frames, frames);

    h.typed("not-the-password");
    h.key(KeyCode::Enter);
    h.until("the refusal", |s| {
        s.login
            .as_ref()
            .is_some_and(|l| l.submitting.is_none() && l.error.is_some())
    })
    .await;
    let err = login_error(h.state()).unwrap_or_default();
    assert!(err.contains("The user name or password is incorrect."), "{err}");
    assert!(
        h.screen().contains("The user name or password is incorrect."),
        "{}",
        h.screen()
    );
    assert!(!h.screen().contains("not-the-password"));

    // Retry without restarting.
    h.typed(PASSWORD);
    h.key(KeyCode::Enter);
    h.until("the sessions after the login", |s| {
        s.login.is_none() && s.sessions.list.len() >= 2 && !s.is_loading()
    })
    .await;
    assert_eq!(h.state().header.api_version, "v8");
    assert_eq!(h.state().conn, Conn::Online);
    assert!(h.app.client().is_logged_in().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsing_outlives_token_refreshes_and_an_expiry_returns_exactly_there() {
    let mut h = start(Opts {
        token_ttl: Some(Duration::from_secs(2)),
        ..Default::default()
    })
    .await;
    h.open_contoso_mailboxes().await;
    // Several 2-second tokens go by while browsing: refreshes are invisible.
    for i in 0..4 {
        h.idle(Duration::from_millis(1300)).await;
        h.key(KeyCode::Down);
        h.send(KeyCode::Char('r'), KeyModifiers::CONTROL);
        // Let the keys in (the reload starts), then wait for its answer.
        h.idle(Duration::from_millis(50)).await;
        h.until("the reload", |s| {
            s.mailboxes.as_ref().is_some_and(|m| m.list.len() > 10) && !s.is_loading()
        })
        .await;
        assert!(h.state().login.is_none(), "round {i}: {:?}", h.state().status);
        assert_eq!(h.state().conn, Conn::Online, "round {i}");
    }
    // A filter and a selection to come back to.
    h.key(KeyCode::Char('/'));
    h.typed("a");
    h.key(KeyCode::Enter);
    h.key(KeyCode::Down);
    h.idle(Duration::from_millis(50)).await;
    h.until("the filtered mailboxes", |s| {
        s.mailboxes
            .as_ref()
            .is_some_and(|m| m.list.filter.is_active() && !m.list.filter.editing)
    })
    .await;
    let before = h.state().mailboxes.clone().expect("mailboxes");
    let selected = before.selected().map(|m| m.id.clone()).expect("a selection");
    assert!(before.list.cursor > 0, "the cursor moved");
    assert!(h.state().sessions.list.filter.is_active());

    // The server forgets every token: the next action (opening the selected mailbox) brings the login
    // screen over the view.
    h.server.store().revoke_refresh_tokens();
    h.server.store().expire_access_tokens();
    h.key(KeyCode::Enter);
    h.until("the login screen", |s| s.login.is_some()).await;
    let screen = h.screen();
    assert!(screen.contains("Session expired"), "{screen}");
    assert!(screen.contains("Mailboxes"), "the view stays behind:\n{screen}");
    assert_eq!(h.state().focus, Level::Folders, "the folders wait for the login");
    assert!(!h.state().held_for_login().is_empty());

    h.typed(PASSWORD);
    h.key(KeyCode::Enter);
    h.idle(Duration::from_millis(50)).await;
    h.until("the folders after the login", |s| {
        s.login.is_none() && !s.is_loading() && s.folders.as_ref().is_some_and(|f| f.rows().len() > 3)
    })
    .await;
    // The request that failed was sent again: the folders of the selected mailbox are there.
    let s = h.state();
    assert_eq!(s.focus, Level::Folders);
    assert_eq!(s.folders.as_ref().map(|f| f.mailbox.id.clone()), Some(selected.clone()));
    assert_eq!(s.conn, Conn::Online);
    assert_eq!(s.header.user, "vex");
    // Back one pane: the mailboxes as they were (session, filter, selection), the sessions' filter too.
    h.key(KeyCode::Esc);
    h.idle(Duration::from_millis(50)).await;
    h.until("the mailboxes", |s| s.focus == Level::Mailboxes).await;
    let s = h.state();
    let after = s.mailboxes.as_ref().expect("mailboxes");
    assert_eq!(after.session.id, before.session.id);
    assert_eq!(after.list.filter.query(), "a");
    assert_eq!(after.list.cursor, before.list.cursor);
    assert_eq!(after.selected().map(|m| m.id.clone()), Some(selected));
    assert!(s.sessions.list.filter.is_active() && s.sessions.list.filter.query() == "contoso");
    // And browsing goes on across more refreshes.
    h.idle(Duration::from_millis(2500)).await;
    h.send(KeyCode::Char('r'), KeyModifiers::CONTROL);
    h.idle(Duration::from_millis(50)).await;
    h.until("the reload", |s| {
        s.mailboxes.as_ref().is_some_and(|m| m.list.len() > 1) && !s.is_loading()
    })
    .await;
    assert!(h.state().login.is_none());
    assert_eq!(h.state().conn, Conn::Online);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_cannot_start_a_restore() {
    let mut h = start(Opts {
        read_only: true,
        ..Default::default()
    })
    .await;
    h.open_contoso_mailboxes().await;
    h.key(KeyCode::Enter);
    h.until("the folders", |s| {
        s.focus == Level::Folders && s.folders.as_ref().is_some_and(|f| f.rows().len() > 3)
    })
    .await;
    h.key(KeyCode::Enter);
    h.until("the items", |s| {
        s.focus == Level::Items && s.items.as_ref().is_some_and(|i| i.selected().is_some())
    })
    .await;
    h.key(KeyCode::Char(' '));
    h.until("a mark", |s| s.items.as_ref().is_some_and(|i| !i.marks.is_empty()))
        .await;
    // The hints (the last line; the preview beside the items may name the item's restore actions).
    let screen = h.screen();
    let hints = screen.lines().last().unwrap_or_default();
    assert!(!hints.contains("restore"), "no restore hint:\n{screen}");
    assert!(h.screen().contains("READ-ONLY"));
    h.key(KeyCode::Char('r'));
    h.until("the refusal", |s| {
        s.status.as_ref().is_some_and(|st| st.text.starts_with("read-only"))
    })
    .await;
    assert!(h.state().overlay.is_none(), "nothing opens");
    h.idle(Duration::from_millis(500)).await;
    assert!(
        h.server.store().restores().is_empty(),
        "the emulator recorded no restore"
    );
}

/// Cells that must never hold what they hold.
fn assert_clean(t: &Terminal<TestBackend>, what: &str) {
    for (i, cell) in t.backend().buffer().content().iter().enumerate() {
        let sym = cell.symbol();
        assert!(
            !sym.chars().any(|c| c.is_control()
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
                || c == '\u{2028}'
                || c == '\u{2029}'),
            "{what}: cell {i} holds {sym:?}\n{}",
            t.backend()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hostile_mailbox_is_drawn_harmlessly_in_the_list_and_the_details() {
    let mut h = start(Opts::default()).await;
    h.open_contoso_mailboxes().await;
    // Load every mailbox (the hostile ones come last), then find "Hostile Data".
    for _ in 0..20 {
        if h.state().mailboxes.as_ref().is_some_and(|m| m.list.is_complete()) {
            break;
        }
        h.key(KeyCode::Char('G'));
        h.idle(Duration::from_millis(200)).await;
    }
    h.key(KeyCode::Char('/'));
    h.typed("hostile");
    h.key(KeyCode::Enter);
    h.until("the hostile mailboxes", |s| {
        s.mailboxes
            .as_ref()
            .is_some_and(|m| m.list.len() >= 2 && !m.list.filter.editing)
    })
    .await;
    // Both mailboxes (one with a hostile display name) are drawn clean.
    assert_clean(&h.screen_terminal(120, 30), "mailboxes");
    h.key(KeyCode::Down);
    h.key(KeyCode::Enter);
    h.until("the folders", |s| {
        s.focus == Level::Folders && s.folders.as_ref().is_some_and(|f| f.rows().len() > 3)
    })
    .await;
    // Expand the Inbox (its children have hostile names) and look at the tree and the crumbs.
    h.key(KeyCode::Char(' '));
    h.idle(Duration::from_millis(300)).await;
    for (w, hh) in [(80, 24), (120, 30), (200, 50)] {
        assert_clean(&h.screen_terminal(w, hh), "folders");
    }
    h.key(KeyCode::Char('g'));
    h.key(KeyCode::Enter);
    h.until("the hostile Inbox", |s| {
        s.focus == Level::Items
            && s.items
                .as_ref()
                .is_some_and(|i| i.selected().is_some() && !i.is_loading())
    })
    .await;
    let n = h.state().items.as_ref().map(|i| i.known_len()).unwrap_or(0);
    assert!(n >= 20, "{n} items");
    for (w, hh) in [(80, 24), (200, 50)] {
        assert_clean(&h.screen_terminal(w, hh), "hostile items");
    }
    let shown = h.screen_terminal(200, 50).backend().to_string();
    assert!(shown.contains("\\x1b[2J"), "escapes are shown escaped:\n{shown}");
    // Every item's details (scrolled), at two sizes.
    for i in 0..n {
        h.key(KeyCode::Enter);
        h.until("the details", |s| {
            s.focus == Level::Details && s.details.as_ref().is_some_and(|d| d.loading.is_none())
        })
        .await;
        for page in 0..3 {
            for (w, hh) in [(80, 24), (160, 40)] {
                assert_clean(&h.screen_terminal(w, hh), &format!("details of item {i}, page {page}"));
            }
            h.key(KeyCode::PageDown);
            h.idle(Duration::from_millis(20)).await;
        }
        h.key(KeyCode::Esc);
        h.key(KeyCode::Down);
        h.until("the list", |s| s.focus == Level::Items).await;
    }
}
