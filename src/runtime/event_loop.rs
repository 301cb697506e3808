//! The event loop: terminal events and the answers of effects become messages, `app::update` applies
//! them, the effects it asks for are handed to the effect runner ([`super::effects`]), and the screen is
//! drawn when the state changed.
//!
//! The loop never awaits the network: terminal events arrive on a channel (fed by a crossterm
//! `EventStream` task in [`super::run_tui`], by the test otherwise), effects run as tokio tasks holding a
//! clone of the client, and their answers come back as messages on another channel. The screen is drawn
//! only when the state changed, at most [`MAX_FPS`] times a second; ticks run only while something loads
//! or a message waits to clear.

use super::terminal::{Connector, panicked};
use crate::api::Client;
use crate::app::{self, Msg, RequestId, State};
use crate::ui;
use crossterm::event::{Event, KeyEventKind, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// Frames per second, at most.
pub const MAX_FPS: u32 = 100;
const FRAME: Duration = Duration::from_millis(1000 / MAX_FPS as u64);
const TICK: Duration = Duration::from_millis(1000 / app::TICKS_PER_SEC as u64);

/// The browser's loop around any ratatui backend (the real terminal, or a `TestBackend`).
pub struct App<B: Backend> {
    pub(super) terminal: Terminal<B>,
    pub(super) client: Client,
    pub(super) state: State,
    pub(super) tx: UnboundedSender<Msg>,
    rx: UnboundedReceiver<Msg>,
    /// Reads in flight by request id (aborted once the state no longer waits for them).
    pub(super) tasks: HashMap<RequestId, AbortHandle>,
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
    pub(super) new_client: super::effects::NewClient,
    /// Writes the synchronized-update sequences around a frame (see [`App::sync_updates`]).
    pub(super) sync: Option<SyncFn<B>>,
    /// Draws a frame instead of ratatui's `Terminal::draw` (see [`App::compact_frames`]).
    pub(super) present: Option<PresentFn<B>>,
    /// Writes clipboard sequences to the terminal (see [`App::clipboard_writes`]).
    pub(super) clipboard: Option<WriteFn<B>>,
    /// Inside tmux: clipboard sequences are also sent in tmux's passthrough form.
    pub(super) tmux: bool,
    /// The bytes of the last clipboard request (written when the backend can take them; for tests).
    pub last_clipboard: Option<Vec<u8>>,
}

/// Writes bytes to a backend (and flushes them).
pub(super) type WriteFn<B> = fn(&mut B, &[u8]) -> std::io::Result<()>;

/// Draws the state on the terminal (a frame).
pub(super) type PresentFn<B> = fn(&mut Terminal<B>, &State) -> std::io::Result<()>;

/// Queues `BeginSynchronizedUpdate` (true) or `EndSynchronizedUpdate` (false) on a backend.
pub(super) type SyncFn<B> = fn(&mut B, bool) -> std::io::Result<()>;

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
            present: None,
            clipboard: None,
            tmux: false,
            last_clipboard: None,
        }
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
        self.adopt_client(&msg);
        self.forget_answered(&msg);
        let fx = app::update_at(&mut self.state, msg, time::OffsetDateTime::now_utc());
        for e in fx {
            self.spawn(e);
        }
        self.cancel_unawaited();
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
        if panicked() {
            return Err("vex stopped after an internal error (see above)".into());
        }
        self.state.dirty = false;
        let state = &self.state;
        if let Some(sync) = self.sync {
            sync(self.terminal.backend_mut(), true).map_err(|e| format!("cannot draw: {e}"))?;
        }
        let drawn = match self.present {
            Some(present) => present(&mut self.terminal, state).map_err(|e| e.to_string()),
            None => self
                .terminal
                .draw(|f| ui::draw(f, state))
                .map(drop)
                .map_err(|e| e.to_string()),
        };
        if let Some(sync) = self.sync {
            // Ended even when drawing failed: a terminal must not stay in the mode.
            sync(self.terminal.backend_mut(), false).map_err(|e| format!("cannot draw: {e}"))?;
        }
        drawn.map_err(|e| format!("cannot draw: {e}"))?;
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
            if panicked() {
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
