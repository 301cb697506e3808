//! Terminal lifecycle and the event loop of the browser.
//!
//! The loop never awaits the network: terminal events arrive on a channel (fed by a crossterm
//! `EventStream` task in [`run_tui`], by the test otherwise), effects run as tokio tasks holding a clone
//! of the client, and their answers come back as messages on another channel. The screen is drawn only
//! when the state changed, at most [`MAX_FPS`] times a second; ticks run only while something loads or
//! a message waits to clear.

pub use crate::app::HeaderInfo;

mod jobs;
pub mod signals;

pub use signals::{StopSignal, StopSignals};

use crate::api::models::Page;
use crate::api::{ApiError, Client, FolderParent, SessionOrder, paging};
use crate::app::panes::login::{LoggedIn, LoginDialog, LoginTarget};
use crate::app::{self, DisplayZone, Effect, Gen, Loaded, Msg, Slot, State};
use crate::ui;
use crossterm::event::{Event, KeyEventKind, MouseEventKind};
use futures_util::{FutureExt, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::buffer::Buffer;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// Frames per second, at most.
pub const MAX_FPS: u32 = 100;
const FRAME: Duration = Duration::from_millis(1000 / MAX_FPS as u64);
const TICK: Duration = Duration::from_millis(1000 / app::TICKS_PER_SEC as u64);

/// Set by the panic hook: the terminal is restored already, the loop must stop drawing and leave.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// Makes a client for another server or API version (chosen on the first login screen): trust is
/// resolved without asking (known servers, pins, the system store), since the TUI owns the terminal.
pub type Connector =
    Arc<dyn Fn(LoginTarget) -> futures_util::future::BoxFuture<'static, Result<Client, String>> + Send + Sync>;

/// How the browser starts besides the client and the header.
#[derive(Default)]
pub struct TuiOptions {
    /// Start with the login screen (no password was supplied; the client is not logged in).
    pub login: Option<LoginDialog>,
    /// For a login to another server or API version; without one, such a client trusts the system store.
    pub connector: Option<Connector>,
    /// Keys, theme and mouse from config.toml.
    pub prefs: app::UiPrefs,
    /// The profile's restore and device-code defaults: the first restore dialog starts with them.
    pub tenant: crate::restore_plan::TenantOptions,
}

/// How long logging out on the way out may take.
const LOGOUT_WAIT: Duration = Duration::from_secs(5);

/// Runs the browser on the real terminal until the operator quits (or SIGTERM/SIGHUP/SIGINT).
/// The terminal is restored on every way out: quitting, an error, a panic, a signal.
pub async fn run_tui(client: Client, header: HeaderInfo) -> Result<(), String> {
    run_tui_with(client, header, TuiOptions::default()).await
}

/// [`run_tui`] with a login screen first and/or a connector; logs out on the way out.
pub async fn run_tui_with(client: Client, header: HeaderInfo, opts: TuiOptions) -> Result<(), String> {
    let mut state = State::new(header);
    if let Some(login) = opts.login {
        state = state.with_login(login);
    }
    opts.prefs.apply(&mut state);
    state.jobs.memory = crate::app::panes::restore::Remembered::from_tenant(&opts.tenant);
    state.color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    state.zone = DisplayZone::Local;
    state.audit_log = Some(crate::config::Paths::from_env().audit_log());
    // ratatui installs a panic hook that restores the terminal; ours (outermost) also shows the cursor
    // and tells the loop to stop.
    // Raw mode, the alternate screen and ratatui's panic hook; then the same terminal through the
    // backend that sends fewer bytes per frame.
    drop(ratatui::try_init().map_err(|e| format!("cannot set up the terminal: {e}"))?);
    let backend = ui::output::CompactBackend::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()));
    let mut terminal = Terminal::new(backend).map_err(|e| {
        let _ = ratatui::try_restore();
        format!("cannot set up the terminal: {e}")
    })?;
    install_panic_hook();
    if state.mouse {
        capture_mouse();
    }
    if let Ok(size) = terminal.size() {
        state.size = (size.width, size.height);
    }
    let _ = terminal.hide_cursor();
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
    let reader = tokio::spawn(read_terminal(ev_tx));
    let mut app = App::new(terminal, client, state);
    app.sync_updates();
    app.clipboard_writes();
    app.on_frame(|backend, frame| backend.frame_drawn(frame));
    app.connector = opts.connector;
    let signals = spawn_signals(app.sender());
    let result = app.run(&mut ev_rx).await;
    reader.abort();
    signals.abort();
    app.abort_all();
    let client = app.client().clone();
    let mut terminal = app.into_terminal();
    restore(&mut terminal);
    report_interrupted_restores();
    logout(&client).await;
    result
}

/// The signal that stopped the browser (0: none).
static STOPPED_BY: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// The signal that made the browser quit, if one did (`vex` then exits with 128 + its number).
pub fn stopped_by() -> Option<StopSignal> {
    [StopSignal::INT, StopSignal::TERM, StopSignal::HUP, StopSignal::QUIT]
        .into_iter()
        .find(|s| s.number == STOPPED_BY.load(Ordering::SeqCst))
}

/// Restores still running when the browser stopped (a signal, or `q` twice): their audit records are
/// completed as `unknown`, and the operator is told where to look (the terminal is restored by now).
fn report_interrupted_restores() {
    let why = match stopped_by() {
        Some(s) => format!("vex was stopped by {} before the restore's answer came", s.name),
        None => "vex quit before the restore's answer came".to_string(),
    };
    for rec in crate::audit::interrupt_pending(&format!("{why}: the outcome is unknown")) {
        eprintln!(
            "vex: {why}: its outcome is UNKNOWN (the server may have applied it). Before restoring again, look \
             at the events of restore session {s} (`vex events {s}`, or `e` in vex). Audit log: {}",
            crate::config::Paths::from_env().audit_log().display(),
            s = rec.restore_session,
        );
    }
}

/// Ends the login on the server (best effort, bounded: the operator is leaving).
pub async fn logout(client: &Client) {
    match tokio::time::timeout(LOGOUT_WAIT, client.logout()).await {
        Ok(Ok(())) => tracing::info!("logged out"),
        Ok(Err(e)) => tracing::warn!(error = %e, "logout failed"),
        Err(_) => tracing::warn!("logout timed out"),
    }
}

/// Leaves raw mode and the alternate screen and shows the cursor (best effort: after an SSH drop
/// there is no terminal left to write to).
fn restore<B: Backend>(terminal: &mut Terminal<B>) {
    release_mouse();
    let _ = terminal.show_cursor();
    let _ = ratatui::try_restore();
    let _ = crossterm::execute!(std::io::stdout(), crossterm::cursor::Show);
}

/// Set while the mouse is captured (`mouse = true`): every way out releases it.
static MOUSE_CAPTURED: AtomicBool = AtomicBool::new(false);

fn capture_mouse() {
    if crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture).is_ok() {
        MOUSE_CAPTURED.store(true, Ordering::SeqCst);
    }
}

/// Gives the mouse back to the terminal (its text selection), if it was captured.
fn release_mouse() {
    if MOUSE_CAPTURED.swap(false, Ordering::SeqCst) {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    }
}

fn install_panic_hook() {
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICKED.store(true, Ordering::SeqCst);
        release_mouse();
        let _ = crossterm::execute!(std::io::stdout(), crossterm::cursor::Show);
        // ratatui's hook (inside `prev`) restores raw mode and the screen, then prints the panic.
        prev(info);
    }));
}

/// Feeds terminal events into the channel until the terminal goes away.
async fn read_terminal(tx: UnboundedSender<Event>) {
    let mut stream = crossterm::event::EventStream::new();
    while let Some(ev) = stream.next().await {
        match ev {
            Ok(ev) => {
                if tx.send(ev).is_err() {
                    break;
                }
            }
            // The terminal is gone (SSH dropped): dropping the sender makes the loop quit.
            Err(_) => break,
        }
    }
}

/// SIGTERM, SIGHUP (SSH dropped), SIGINT and SIGQUIT make the loop quit (and so restore the terminal;
/// SIGQUIT's default action would leave it raw and dump core). The handlers are registered before this
/// returns, so a signal that arrives right after the first frame is not lost to the default action.
fn spawn_signals(tx: UnboundedSender<Msg>) -> tokio::task::JoinHandle<()> {
    let handlers = StopSignals::new();
    tokio::spawn(async move {
        let Ok(mut signals) = handlers else {
            tracing::warn!("cannot handle signals");
            return;
        };
        let sig = signals.recv().await;
        tracing::info!(signal = sig.name, "stopping");
        STOPPED_BY.store(sig.number, Ordering::SeqCst);
        let _ = tx.send(Msg::Quit);
    })
}

/// The browser's loop around any ratatui backend (the real terminal, or a `TestBackend`).
pub struct App<B: Backend> {
    terminal: Terminal<B>,
    client: Client,
    state: State,
    tx: UnboundedSender<Msg>,
    rx: UnboundedReceiver<Msg>,
    /// Reads in flight by slot, with the generation the state waits for.
    tasks: HashMap<Slot, (Option<Gen>, AbortHandle)>,
    /// Reads aborted because nobody waited for them any more (for tests and the benchmark).
    pub cancelled: u64,
    started: bool,
    last_draw: Option<Instant>,
    next_tick: Option<Instant>,
    /// Frames drawn (for tests and curiosity).
    pub frames: u64,
    /// Makes the client for a login to another server or API version.
    pub connector: Option<Connector>,
    /// A client made for a login, handed over when its `LoggedIn` answer is dispatched.
    new_client: Arc<Mutex<Option<(Gen, Client)>>>,
    /// Writes the synchronized-update sequences around a frame (see [`App::sync_updates`]).
    sync: Option<SyncFn<B>>,
    /// Given each frame drawn (see [`App::on_frame`]).
    on_frame: Option<fn(&mut B, Buffer)>,
    /// Writes clipboard sequences to the terminal (see [`App::clipboard_writes`]).
    clipboard: Option<WriteFn<B>>,
    /// Inside tmux: clipboard sequences are also sent in tmux's passthrough form.
    tmux: bool,
    /// The bytes of the last clipboard request (written when the backend can take them; for tests).
    pub last_clipboard: Option<Vec<u8>>,
}

/// Writes bytes to a backend (and flushes them).
type WriteFn<B> = fn(&mut B, &[u8]) -> std::io::Result<()>;

/// Queues `BeginSynchronizedUpdate` (true) or `EndSynchronizedUpdate` (false) on a backend.
type SyncFn<B> = fn(&mut B, bool) -> std::io::Result<()>;

impl<B: Backend> App<B> {
    pub fn new(terminal: Terminal<B>, client: Client, state: State) -> App<B> {
        let (tx, rx) = mpsc::unbounded_channel();
        App {
            terminal,
            client,
            state,
            tx,
            rx,
            tasks: HashMap::new(),
            cancelled: 0,
            started: false,
            last_draw: None,
            next_tick: None,
            frames: 0,
            connector: None,
            new_client: Arc::new(Mutex::new(None)),
            sync: None,
            on_frame: None,
            clipboard: None,
            tmux: false,
            last_clipboard: None,
        }
    }

    /// Wraps every frame in synchronized-update sequences (`CSI ? 2026 h` ... `l`), so the terminal shows
    /// it whole (no tearing); terminals without the mode ignore them. For backends that write bytes.
    /// Hands the backend each frame once drawn (the compact backend moves scrolled rows with it).
    pub fn on_frame(&mut self, f: fn(&mut B, Buffer)) {
        self.on_frame = Some(f);
    }

    /// Writes `y` / `Y` copies to the terminal as OSC 52 (see [`crate::text::osc52`]: capped, cleaned); with
    /// `$TMUX` set also wrapped in tmux's DCS passthrough. For backends that write bytes.
    pub fn clipboard_writes(&mut self)
    where
        B: std::io::Write,
    {
        self.tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
        self.clipboard = Some(|b: &mut B, bytes: &[u8]| {
            std::io::Write::write_all(b, bytes)?;
            std::io::Write::flush(b)
        });
    }

    /// Puts `text` on the clipboard through the terminal.
    fn copy(&mut self, text: &str) {
        let bytes = crate::text::osc52::sequences(text, crate::text::osc52::OSC52_MAX_BASE64, self.tmux);
        if let Some(write) = self.clipboard
            && let Err(e) = write(self.terminal.backend_mut(), &bytes)
        {
            tracing::warn!(error = %e, "cannot write the clipboard sequence");
        }
        self.last_clipboard = Some(bytes);
    }

    pub fn sync_updates(&mut self)
    where
        B: std::io::Write,
    {
        self.sync = Some(|b: &mut B, begin: bool| {
            if begin {
                crossterm::queue!(b, crossterm::terminal::BeginSynchronizedUpdate)
            } else {
                crossterm::execute!(b, crossterm::terminal::EndSynchronizedUpdate)
            }
        });
    }

    /// The client requests go through (a login to another server replaces it).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Where loader results (and signals) enter the loop.
    pub fn sender(&self) -> UnboundedSender<Msg> {
        self.tx.clone()
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn terminal(&self) -> &Terminal<B> {
        &self.terminal
    }

    pub fn terminal_mut(&mut self) -> &mut Terminal<B> {
        &mut self.terminal
    }

    pub fn into_terminal(self) -> Terminal<B> {
        self.terminal
    }

    /// Applies a message and starts the effects it asks for.
    pub fn dispatch(&mut self, msg: Msg) {
        if let Msg::Loaded(Loaded::LoggedIn {
            generation,
            result: Ok(_),
        }) = &msg
            && let Ok(mut slot) = self.new_client.lock()
            && slot.as_ref().is_some_and(|(g, _)| g == generation)
            && let Some((_, c)) = slot.take()
        {
            self.client = c;
        }
        let fx = app::update(&mut self.state, msg);
        for e in fx {
            self.spawn(e);
        }
        self.cancel_unawaited();
    }

    /// Aborts the reads the state no longer waits for (the operator navigated away and nothing
    /// replaced them in their slot).
    fn cancel_unawaited(&mut self) {
        let state = &self.state;
        let mut cancelled = 0;
        self.tasks.retain(|slot, (generation, h)| {
            if h.is_finished() {
                return false;
            }
            let keep = generation.is_none_or(|g| state.awaits(slot, g));
            if !keep {
                h.abort();
                cancelled += 1;
            }
            keep
        });
        self.cancelled += cancelled;
    }

    /// Aborts every read in flight.
    pub fn abort_all(&mut self) {
        for (_, (_, h)) in self.tasks.drain() {
            h.abort();
        }
    }

    /// Number of read tasks still running.
    pub fn running_tasks(&self) -> usize {
        self.tasks.values().filter(|(_, h)| !h.is_finished()).count()
    }

    fn spawn(&mut self, e: Effect) {
        if let Effect::Clipboard(text) = &e {
            return self.copy(text);
        }
        if matches!(e, Effect::Quit) {
            self.abort_all();
            return;
        }
        if let Effect::Job(job) = e {
            return jobs::spawn(self, *job);
        }
        if let Effect::Login {
            generation,
            user,
            password,
            reconnect,
        } = e
        {
            let current = self.client.clone();
            let connector = self.connector.clone();
            let new_client = self.new_client.clone();
            let tx = self.tx.clone();
            tokio::spawn(async move {
                let work = login(current, connector, new_client, generation, user, password, reconnect);
                let result = AssertUnwindSafe(work)
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|_| Err(ApiError::Config("internal error while logging in (see the log)".into())));
                let _ = tx.send(Msg::Loaded(Loaded::LoggedIn { generation, result }));
            });
            return;
        }
        let slot = e.slot();
        let generation = e.read_generation();
        let client = self.client.clone();
        let tx = self.tx.clone();
        let handle = tokio::spawn(async move {
            let fallback = e.clone();
            let msg = match AssertUnwindSafe(run_effect(client.clone(), e)).catch_unwind().await {
                Ok(m) => m,
                Err(_) => failed(
                    &fallback,
                    ApiError::Config("internal error while loading (see the log)".into()),
                ),
            };
            // The client drops its tokens only when the server refused to renew them: the session is
            // gone, whatever this request's own error says. It is sent again after a new login.
            if !client.is_logged_in().await {
                let _ = tx.send(Msg::SessionExpired(fallback));
                return;
            }
            if let Some(m) = msg {
                let _ = tx.send(m);
            }
        });
        if let Some(slot) = slot {
            self.tasks.retain(|_, (_, h)| !h.is_finished());
            if let Some((_, old)) = self.tasks.insert(slot, (generation, handle.abort_handle())) {
                // Superseded: its answer would be stale anyway.
                old.abort();
            }
        }
    }

    fn on_event(&mut self, ev: Event) {
        match ev {
            Event::Key(k) if k.kind != KeyEventKind::Release => self.dispatch(Msg::Key(k)),
            Event::Resize(w, h) => self.dispatch(Msg::Resize(w, h)),
            // Only arrives when captured (`mouse = true`); motion is dropped here, before a redraw.
            Event::Mouse(m) if !matches!(m.kind, MouseEventKind::Moved | MouseEventKind::Drag(_)) => {
                self.dispatch(Msg::Mouse(m))
            }
            _ => {}
        }
    }

    /// Draws the state now (clears the dirty flag).
    pub fn draw(&mut self) -> Result<(), String> {
        if PANICKED.load(Ordering::SeqCst) {
            return Err("vex stopped after an internal error (see above)".into());
        }
        self.state.dirty = false;
        let state = &self.state;
        if let Some(sync) = self.sync {
            sync(self.terminal.backend_mut(), true).map_err(|e| format!("cannot draw: {e}"))?;
        }
        let hook = self.on_frame;
        let drawn = self
            .terminal
            .draw(|f| ui::draw(f, state))
            .map(|done| hook.map(|_| done.buffer.clone()));
        if let Some(sync) = self.sync {
            // Ended even when drawing failed: a terminal must not stay in the mode.
            sync(self.terminal.backend_mut(), false).map_err(|e| format!("cannot draw: {e}"))?;
        }
        let drawn = drawn.map_err(|e| format!("cannot draw: {e}"))?;
        if let (Some(hook), Some(frame)) = (hook, drawn) {
            hook(self.terminal.backend_mut(), frame);
        }
        self.last_draw = Some(Instant::now());
        self.frames += 1;
        Ok(())
    }

    /// Runs until the operator quits (or the event channel closes).
    pub async fn run(&mut self, events: &mut UnboundedReceiver<Event>) -> Result<(), String> {
        self.run_until(events, |_| false, None).await.map(|_| ())
    }

    /// Runs the loop until `until` holds for a drawn state (`Ok(true)`), the operator quits or the
    /// event channel closes (`Ok(false)`), or `timeout` passes (`Ok(false)`). Tests drive the real
    /// loop with it: send keys on the channel, run until the screen shows what they wait for.
    pub async fn run_until(
        &mut self,
        events: &mut UnboundedReceiver<Event>,
        mut until: impl FnMut(&State) -> bool,
        timeout: Option<Duration>,
    ) -> Result<bool, String> {
        if !self.started {
            self.started = true;
            if let Ok(size) = self.terminal.size() {
                self.dispatch(Msg::Resize(size.width, size.height));
            }
            self.dispatch(Msg::Start);
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if PANICKED.load(Ordering::SeqCst) {
                self.abort_all();
                return Err("vex stopped after an internal error (see above)".into());
            }
            if self.state.quit {
                self.abort_all();
                return Ok(false);
            }
            let now = Instant::now();
            if self.state.dirty && self.last_draw.is_none_or(|t| now >= t + FRAME) {
                self.draw()?;
            }
            if !self.state.dirty && until(&self.state) {
                return Ok(true);
            }
            self.next_tick = match (self.state.wants_tick(), self.next_tick) {
                (false, _) => None,
                (true, Some(t)) => Some(t),
                (true, None) => Some(now + TICK),
            };
            let draw_at = if self.state.dirty {
                self.last_draw.map(|t| t + FRAME)
            } else {
                None
            };
            let tick_at = self.next_tick;
            tokio::select! {
                ev = events.recv() => match ev {
                    Some(ev) => self.on_event(ev),
                    None => self.dispatch(Msg::Quit),
                },
                Some(msg) = self.rx.recv() => self.dispatch(msg),
                _ = sleep_opt(tick_at) => {
                    self.next_tick = Some(Instant::now() + TICK);
                    self.dispatch(Msg::Tick);
                }
                _ = sleep_opt(draw_at) => {}
                _ = sleep_opt(deadline) => return Ok(false),
            }
            // Take whatever else is ready before drawing once.
            while let Ok(msg) = self.rx.try_recv() {
                self.dispatch(msg);
            }
            while let Ok(ev) = events.try_recv() {
                self.on_event(ev);
            }
        }
    }
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// Logs in, first making a new client when the operator chose another server or API version (it is
/// left in `new_client` for the loop to take with the answer).
async fn login(
    current: Client,
    connector: Option<Connector>,
    new_client: Arc<Mutex<Option<(Gen, Client)>>>,
    generation: Gen,
    user: String,
    password: secrecy::SecretString,
    reconnect: Option<LoginTarget>,
) -> Result<LoggedIn, ApiError> {
    let (client, fresh) = match reconnect {
        None => (current, false),
        Some(t) => {
            let made = match connector {
                Some(c) => c(t).await,
                None => Client::new(crate::api::ClientConfig {
                    version: t.api,
                    ..crate::api::ClientConfig::new(t.server)
                })
                .map_err(|e| e.to_string()),
            };
            (made.map_err(ApiError::Config)?, true)
        }
    };
    client.login(&user, &password).await?;
    drop(password);
    let info = LoggedIn {
        user,
        server: client.base_url().to_string(),
        api_version: client.version().map(|v| v.to_string()).unwrap_or_default(),
    };
    if fresh && let Ok(mut slot) = new_client.lock() {
        *slot = Some((generation, client));
    }
    Ok(info)
}

/// Runs one effect against the server and wraps the answer.
async fn run_effect(client: Client, e: Effect) -> Option<Msg> {
    let loaded = match e {
        Effect::LoadSessions {
            generation,
            offset,
            limit,
        } => Loaded::Sessions {
            generation,
            offset,
            // Every page is filled (following a server that serves fewer rows than asked while it says
            // there are more): the panes take a short page as the end of the list.
            result: paging::fill_page(offset, limit, |o, l| {
                client.restore_sessions(o, l, Some((SessionOrder::CreationTime, false)))
            })
            .await
            .map(results),
        },
        Effect::LoadMailboxes {
            generation,
            session_id,
            offset,
            limit,
        } => Loaded::Mailboxes {
            generation,
            offset,
            result: paging::fill_page(offset, limit, |o, l| client.mailboxes(&session_id, o, l))
                .await
                .map(results),
        },
        Effect::LoadFolders {
            generation,
            session_id,
            mailbox_id,
            parent,
        } => {
            let p = match &parent {
                None => FolderParent::Root,
                Some(id) => FolderParent::Folder(id),
            };
            let result = client.all_folders(&session_id, &mailbox_id, p).await;
            Loaded::Folders {
                generation,
                parent,
                result,
            }
        }
        Effect::LoadItemsPage {
            generation,
            session_id,
            mailbox_id,
            folder_id,
            offset,
            limit,
        } => Loaded::ItemsPage {
            generation,
            offset,
            result: paging::fill_page(offset, limit, |o, l| {
                client.items(&session_id, &mailbox_id, &folder_id, o, l)
            })
            .await,
        },
        Effect::CountItems {
            generation,
            session_id,
            mailbox_id,
            folder_id,
        } => Loaded::ItemCount {
            generation,
            result: client.count_items(&session_id, &mailbox_id, &folder_id).await,
        },
        Effect::LoadItem {
            generation,
            session_id,
            mailbox_id,
            item_id,
        } => Loaded::Item {
            generation,
            result: client.item(&session_id, &mailbox_id, &item_id).await,
        },
        Effect::LoadOrganizations { generation } => Loaded::Organizations {
            generation,
            result: client.organizations().await,
        },
        Effect::Explore {
            generation,
            organization_id,
            options,
        } => Loaded::Explored {
            generation,
            result: client.explore(&organization_id, &options).await,
        },
        Effect::StopSession { generation, session_id } => {
            let result = client.stop_session(&session_id).await;
            Loaded::Stopped {
                generation,
                session_id,
                result,
            }
        }
        // Logins run in `App::spawn` (they may replace the client); jobs in `jobs::spawn`.
        Effect::Search {
            generation,
            session_id,
            target,
            query,
            offset,
            limit,
        } => Loaded::ItemsPage {
            generation,
            offset,
            result: paging::fill_page(offset, limit, |o, l| {
                client.search(&session_id, target.as_scope(), &query, o, l)
            })
            .await,
        },
        Effect::LoadMailboxNames { generation, session_id } => Loaded::MailboxNames {
            generation,
            result: client.all_mailboxes(&session_id).await,
        },
        Effect::Login { .. } | Effect::Job(_) | Effect::Clipboard(_) | Effect::Quit => return None,
    };
    Some(Msg::Loaded(loaded))
}

fn results<T>(p: Page<T>) -> Vec<T> {
    p.results
}

/// The answer an effect gets when its task failed without one.
fn failed(e: &Effect, err: ApiError) -> Option<Msg> {
    let l = match e.clone() {
        Effect::LoadSessions { generation, offset, .. } => Loaded::Sessions {
            generation,
            offset,
            result: Err(err),
        },
        Effect::LoadMailboxes { generation, offset, .. } => Loaded::Mailboxes {
            generation,
            offset,
            result: Err(err),
        },
        Effect::LoadFolders { generation, parent, .. } => Loaded::Folders {
            generation,
            parent,
            result: Err(err),
        },
        Effect::LoadItemsPage { generation, offset, .. } | Effect::Search { generation, offset, .. } => {
            Loaded::ItemsPage {
                generation,
                offset,
                result: Err(err),
            }
        }
        Effect::CountItems { generation, .. } => Loaded::ItemCount {
            generation,
            result: Err(err),
        },
        Effect::LoadMailboxNames { generation, .. } => Loaded::MailboxNames {
            generation,
            result: Err(err),
        },
        Effect::LoadItem { generation, .. } => Loaded::Item {
            generation,
            result: Err(err),
        },
        Effect::LoadOrganizations { generation } => Loaded::Organizations {
            generation,
            result: Err(err),
        },
        Effect::Explore { generation, .. } => Loaded::Explored {
            generation,
            result: Err(err),
        },
        Effect::StopSession { generation, session_id } => Loaded::Stopped {
            generation,
            session_id,
            result: Err(err),
        },
        Effect::Login { generation, .. } => Loaded::LoggedIn {
            generation,
            result: Err(err),
        },
        Effect::Job(j) => Loaded::Job(crate::app::jobs::JobLoaded::failed(&j, err)),
        Effect::Clipboard(_) | Effect::Quit => return None,
    };
    Some(Msg::Loaded(l))
}
