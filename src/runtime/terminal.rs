//! The terminal, in one room: setting it up (raw mode, the alternate screen, the mouse), giving it back on
//! every way out (quitting, an error, a panic, a signal), the signals that stop vex, the panic hook, and
//! the backend that writes frames to it ([`compact`]) with the bytes that are not frames (synchronized
//! updates, OSC 52 clipboard sequences).

pub mod clipboard;
pub mod compact;
pub mod signals;

pub use compact::{CompactBackend, copy_frame, draw_frame};
pub use signals::{StopSignal, StopSignals};

use super::App;
use crate::api::Client;
use crate::app::panes::login::{LoginDialog, LoginTarget};
use crate::app::{self, DisplayZone, HeaderInfo, Msg, State};
use crossterm::event::Event;
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc::{self, UnboundedSender};

/// Set by the panic hook: the terminal is restored already, the loop must stop drawing and leave.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// Whether a panic happened (the hook restored the terminal; nothing may draw any more).
pub(super) fn panicked() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

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
    state.jobs.memory = crate::app::panes::restore_dialog::Remembered::from_tenant(&opts.tenant);
    state.color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    state.zone = DisplayZone::Local;
    let paths = crate::config::Paths::from_env();
    state.audit_log = Some(paths.audit_log());
    // The points in time of the sessions vex started earlier (a session resource carries none).
    let points = crate::config::session_points::SessionPoints::new(paths.session_points_file());
    crate::app::point::known(&mut state, points.all(client.base_url()));
    state.points_file = Some(points.path().to_path_buf());
    // The batch journal (`vex batch`'s): the batch view lists it and a batch started here writes it.
    state.batches.journal = Some(crate::batch::journal::Journal::path_in(&paths.state_dir));
    // Read before raw mode: whether `y` copies (OSC 52) can reach the clipboard from this terminal.
    state.clipboard = clipboard::TerminalFacts::read().reach();
    // ratatui installs a panic hook that restores the terminal; ours (outermost) also shows the cursor
    // and tells the loop to stop.
    // Raw mode, the alternate screen and ratatui's panic hook; then the same terminal through the
    // backend that sends fewer bytes per frame.
    drop(ratatui::try_init().map_err(|e| format!("cannot set up the terminal: {e}"))?);
    let backend = CompactBackend::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()));
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
    app.compact_frames();
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

impl<W: std::io::Write> App<CompactBackend<W>> {
    /// Draws each frame into the terminal's buffer and has the backend write it whole
    /// ([`compact::draw_frame`]): the same bytes as `Terminal::draw`, in less time (the backend compares
    /// frames by keys and moves scrolled rows).
    pub fn compact_frames(&mut self) {
        self.present = Some(|t, state| draw_frame(t, |buf, area| crate::ui::draw_into(buf, area, state)));
    }
}

impl<B: Backend> App<B> {
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
    pub(super) fn copy(&mut self, text: &str) {
        let bytes = crate::text::osc52::sequences(text, crate::text::osc52::OSC52_MAX_BASE64, self.tmux);
        if let Some(write) = self.clipboard
            && let Err(e) = write(self.terminal.backend_mut(), &bytes)
        {
            tracing::warn!(error = %e, "cannot write the clipboard sequence");
        }
        self.last_clipboard = Some(bytes);
    }

    /// Wraps every frame in synchronized-update sequences (`CSI ? 2026 h` ... `l`), so the terminal shows
    /// it whole (no tearing); terminals without the mode ignore them. For backends that write bytes.
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
}
