//! The real browser loop headless: `App` (update + effects as tokio tasks + drawing) on a `TestBackend`,
//! keys injected through its event channel, the emulator as the server.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::SecretString;
use std::time::Duration;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use vex::api::tls::sha256;
use vex::api::{ApiVersion, Client, ClientConfig, RetryPolicy, Trust, VersionChoice};
use vex::app::panes::job_dialog::JobPhase;
use vex::app::panes::restore_dialog::{CredMode, RestoreDialog, RestoreField};
use vex::app::{DisplayZone, HeaderInfo, Level, Overlay, State};
use vex::runtime::App;
use vex::sim::{Faults, SimConfig, SimServer};

/// The shortest window in which [`AppHarness::stays`] watches the emulator's record.
pub const QUIET: Duration = Duration::from_secs(1);

/// How an [`AppHarness`] starts.
pub struct Setup {
    /// The emulator (default: plain HTTP on loopback). With `tls`, the client pins its certificate.
    pub sim: SimConfig,
    pub api: VersionChoice,
    /// Log the client in as `vex` before the loop starts (otherwise it starts logged out: a login screen is
    /// for `prepare` to open).
    pub log_in: bool,
    /// Set on the emulator after the login (the login itself runs clean).
    pub faults: Option<Faults>,
    /// The client's retries (default: the client's own policy).
    pub retry: RetryPolicy,
    /// The terminal's columns and rows.
    pub size: (u16, u16),
    /// How long [`AppHarness::until`] waits.
    pub wait: Duration,
    /// How long [`AppHarness::settle`] lets the loop run.
    pub settle: Duration,
    /// Put before a timeout's message (e.g. `"[v8] "`).
    pub tag: String,
}

impl Default for Setup {
    /// Plain HTTP, v8, logged in, 120x30, 30 s per wait, 100 ms to settle.
    fn default() -> Setup {
        Setup {
            sim: SimConfig {
                tls: false,
                ..Default::default()
            },
            api: VersionChoice::Fixed(ApiVersion::V8),
            log_in: true,
            faults: None,
            retry: RetryPolicy::default(),
            size: (120, 30),
            wait: Duration::from_secs(30),
            settle: Duration::from_millis(100),
            tag: String::new(),
        }
    }
}

/// The loop, its event channel and the emulator; `X` is what a test file keeps beside them (its fields
/// read as the harness's own, through `Deref`).
pub struct AppHarness<X = ()> {
    pub app: App<TestBackend>,
    pub tx: UnboundedSender<Event>,
    pub rx: UnboundedReceiver<Event>,
    pub server: SimServer,
    pub wait: Duration,
    pub settle: Duration,
    pub tag: String,
    pub extra: X,
}

impl<X> std::ops::Deref for AppHarness<X> {
    type Target = X;
    fn deref(&self) -> &X {
        &self.extra
    }
}

impl<X> std::ops::DerefMut for AppHarness<X> {
    fn deref_mut(&mut self) -> &mut X {
        &mut self.extra
    }
}

impl AppHarness {
    pub async fn launch(setup: Setup) -> AppHarness {
        AppHarness::launch_with(setup, |s| s).await
    }

    /// Starts the emulator and the loop; `prepare` adjusts the first state (UTC, no colour, the header
    /// filled in with the server, `vex` and the client's API version, if known).
    pub async fn launch_with(setup: Setup, prepare: impl FnOnce(State) -> State) -> AppHarness {
        vex::install_crypto_provider();
        let tls = setup.sim.tls;
        let server = vex::sim::start(setup.sim).await.expect("emulator starts");
        let url = server.base_url().to_string();
        let mut config = ClientConfig::new(url.clone());
        config.version = setup.api;
        config.retry = setup.retry;
        if tls {
            assert!(url.starts_with("https://"), "{url}");
            let der = server.cert_der().expect("the emulator serves HTTPS");
            config.trust = Trust::Pin(sha256(der));
        }
        let client = Client::new(config).expect("client");
        if setup.log_in {
            client
                .login("vex", &SecretString::from("vex-demo-password"))
                .await
                .expect("login");
        }
        if let Some(f) = setup.faults {
            server.set_faults(f);
        }
        let mut state = State::new(HeaderInfo {
            server: url,
            user: "vex".into(),
            api_version: client.version().map(|v| v.to_string()).unwrap_or_default(),
            read_only: false,
            insecure: false,
            plain_http: false,
        });
        state.zone = DisplayZone::UTC;
        state.color = false;
        let state = prepare(state);
        let (w, h) = setup.size;
        let terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        let app = App::new(terminal, client, state);
        let (tx, rx) = mpsc::unbounded_channel();
        AppHarness {
            app,
            tx,
            rx,
            server,
            wait: setup.wait,
            settle: setup.settle,
            tag: setup.tag,
            extra: (),
        }
    }
}

impl<X> AppHarness<X> {
    /// The same harness keeping `extra` beside the loop.
    pub fn with<Y>(self, extra: Y) -> AppHarness<Y> {
        AppHarness {
            app: self.app,
            tx: self.tx,
            rx: self.rx,
            server: self.server,
            wait: self.wait,
            settle: self.settle,
            tag: self.tag,
            extra,
        }
    }

    pub fn state(&self) -> &State {
        self.app.state()
    }

    /// The loop's current state drawn afresh on a `w`x`h` terminal.
    pub fn screen_terminal(&self, w: u16, h: u16) -> Terminal<TestBackend> {
        let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        t.draw(|f| vex::ui::draw(f, self.app.state())).expect("draw");
        t
    }

    /// The screen for the loop's current state. Drawn afresh: `TestBackend` keeps cells hidden behind a
    /// wide character from older frames (a terminal clears them when the wide character is overwritten;
    /// ratatui's diff relies on that), which can leave stray glyphs in the loop's own buffer.
    pub fn screen(&self) -> String {
        let area = self.app.terminal().backend().buffer().area;
        self.screen_terminal(area.width, area.height).backend().to_string()
    }

    pub fn send(&self, code: KeyCode, mods: KeyModifiers) {
        self.tx
            .send(Event::Key(KeyEvent::new(code, mods)))
            .expect("loop listens");
    }

    pub fn key(&self, code: KeyCode) {
        self.send(code, KeyModifiers::NONE);
    }

    pub fn keys(&self, code: KeyCode, n: usize) {
        for _ in 0..n {
            self.key(code);
        }
    }

    pub fn ctrl(&self, c: char) {
        self.send(KeyCode::Char(c), KeyModifiers::CONTROL);
    }

    pub fn typed(&self, s: &str) {
        for c in s.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    /// Clears the focused input (^U) and types `s`.
    pub fn retype(&self, s: &str) {
        self.ctrl('u');
        self.typed(s);
    }

    /// Runs the real loop until `pred` holds for a drawn state (true), or for `timeout` (false).
    pub async fn run_until(&mut self, pred: impl FnMut(&State) -> bool, timeout: Duration) -> bool {
        self.app
            .run_until(&mut self.rx, pred, Some(timeout))
            .await
            .expect("the loop runs (no panic)")
    }

    /// Runs the real loop until `pred` holds for a drawn state; fails the test after the harness's wait.
    pub async fn until(&mut self, what: &str, pred: impl FnMut(&State) -> bool) {
        let ok = self.run_until(pred, self.wait).await;
        assert!(
            ok,
            "{}timed out waiting for {what}; status {:?}\n{}",
            self.tag,
            self.app.state().status,
            self.screen()
        );
    }

    /// Lets the loop run (take the keys sent so far, answers, ticks, token refreshes) for `d`.
    pub async fn idle(&mut self, d: Duration) {
        let _ = self.run_until(|_| false, d).await;
    }

    /// Lets the loop take every key sent so far (runs it for the harness's settle time).
    pub async fn settle(&mut self) {
        self.idle(self.settle).await;
    }

    /// "Nothing was sent again": runs the loop for [`QUIET`] (ten times the settle time, so a resend the
    /// loop started reaches the emulator even on a loaded machine), reading `count` from the emulator's
    /// record every few milliseconds; fails the moment it is not `expected`, or when the window ends.
    pub async fn stays(&mut self, what: &str, expected: usize, count: impl Fn(&SimServer) -> usize) {
        let window = QUIET.max(self.settle * 10);
        let end = std::time::Instant::now() + window;
        loop {
            let _ = self.run_until(|_| false, Duration::from_millis(20)).await;
            let n = count(&self.server);
            assert_eq!(
                n, expected,
                "{}{what}: the emulator's record changed while the loop ran",
                self.tag
            );
            if std::time::Instant::now() >= end {
                break;
            }
        }
    }

    /// Where the sessions list has the first Working session of Contoso.
    pub fn working_contoso_session(&self) -> usize {
        self.state()
            .sessions
            .list
            .rows
            .iter()
            .position(|s| {
                s.state.as_str() == "Working" && s.organization.as_deref().is_some_and(|o| o.contains("contoso"))
            })
            .expect("a working contoso session")
    }

    // --- Browsing the emulator's data.

    /// From the sessions list (once loaded): the working Contoso session → its mailboxes (more than ten).
    pub async fn open_working_contoso(&mut self) {
        self.until("the sessions", |s| s.sessions.list.len() >= 2 && !s.is_loading())
            .await;
        let pos = self.working_contoso_session();
        self.keys(KeyCode::Down, pos);
        self.key(KeyCode::Enter);
        self.until("the mailboxes", |s| {
            s.focus == Level::Mailboxes && s.mailboxes.as_ref().is_some_and(|m| m.list.len() > 10)
        })
        .await;
    }

    /// From the mailboxes: Enter → the selected mailbox's folders (more than five).
    pub async fn open_mailbox(&mut self) {
        self.key(KeyCode::Enter);
        self.until("the folders", |s| {
            s.focus == Level::Folders && s.folders.as_ref().is_some_and(|f| f.rows().len() > 5)
        })
        .await;
    }

    /// From the folders: the folder filter finds `name` (`/name`, Enter), Enter opens it → its items, one
    /// selected.
    pub async fn open_folder_named(&mut self, name: &str) {
        self.key(KeyCode::Char('/'));
        self.typed(name);
        self.key(KeyCode::Enter);
        self.key(KeyCode::Enter);
        self.until(&format!("the items of {name}"), |s| {
            s.focus == Level::Items && s.items.as_ref().is_some_and(|i| i.selected().is_some())
        })
        .await;
    }

    // --- The restore dialog.

    pub fn dialog(&self) -> &RestoreDialog {
        match &self.state().overlay {
            Some(Overlay::Restore(d)) => d,
            other => panic!("{}no restore dialog: {other:?}\n{}", self.tag, self.screen()),
        }
    }

    /// `r`, and the dialog's form.
    pub async fn open_restore(&mut self) {
        self.key(KeyCode::Char('r'));
        self.until(
            "the restore dialog",
            |s| matches!(&s.overlay, Some(Overlay::Restore(d)) if d.phase == JobPhase::Form),
        )
        .await;
    }

    /// Moves the focus to `f` with Tab.
    pub async fn focus(&mut self, f: RestoreField) {
        self.settle().await;
        let fields = self.dialog().fields();
        let from = fields
            .iter()
            .position(|x| *x == self.dialog().field)
            .expect("focused field");
        let to = fields.iter().position(|x| *x == f).expect("field shown");
        self.keys(KeyCode::Tab, (to + fields.len() - from) % fields.len());
        self.settle().await;
        assert_eq!(self.dialog().field, f);
    }

    /// Switches the credential mode (the dialog remembers the last one).
    pub async fn set_mode(&mut self, mode: CredMode) {
        self.focus(RestoreField::Mode).await;
        for _ in 0..3 {
            if self.dialog().mode == mode {
                return;
            }
            self.key(KeyCode::Right);
            self.settle().await;
        }
        assert_eq!(self.dialog().mode, mode);
    }

    /// Fills a form (from the target mailbox, wherever the dialog opened): `target`, `folder`, and an
    /// account with `password`.
    pub async fn fill_password_form(&mut self, target: &str, folder: &str, password: &str) {
        self.focus(RestoreField::TargetMailbox).await;
        self.retype(target);
        self.key(KeyCode::Tab);
        self.retype(folder);
        self.set_mode(CredMode::Password).await;
        self.focus(RestoreField::User).await;
        self.retype("restore-admin@contoso.com");
        self.key(KeyCode::Tab);
        self.typed(password);
    }

    /// Enter on the form (checks it), and waits for the confirmation.
    pub async fn confirm(&mut self) {
        self.key(KeyCode::Enter);
        self.until(
            "the confirmation",
            |s| matches!(&s.overlay, Some(Overlay::Restore(d)) if matches!(d.phase, JobPhase::Confirm { .. })),
        )
        .await;
    }

    /// Tab + Enter on the confirmation: sends; waits for the end (a result, or the form back with the
    /// server's refusal).
    pub async fn send_confirmed(&mut self) {
        self.key(KeyCode::Tab);
        self.key(KeyCode::Enter);
        self.until("the restore's end", |s| match &s.overlay {
            Some(Overlay::Restore(d)) => {
                matches!(d.phase, JobPhase::Done { .. }) || (d.phase == JobPhase::Form && d.server_error.is_some())
            }
            _ => false,
        })
        .await;
    }
}
