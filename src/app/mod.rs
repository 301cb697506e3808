//! State and pure update logic of the TUI browser: `update(&mut State, Msg) -> Vec<Effect>`. No I/O, no
//! drawing: the runtime turns effects into requests and their answers back into messages; the `ui`
//! module draws the state.
//!
//! Requests are data ([`request`]): every request has an id, the state keeps one map from the ids in
//! flight to whoever asked, and an answer whose id is no longer in it (the operator moved on) is dropped.
//!
//! How an answer travels (issue 15): a pane or dialog asks with `requests.ask(To::…, Call::…)`; the
//! runtime runs the call (`runtime::effects::Runner::run`) and sends back `Msg::Answer`;
//! `request::on_answer` looks the id up in the map (the one staleness check: the panes compare no
//! generations) and `answered` hands it to the asker the map names: a pane ([`panes::Pane::on_answer`],
//! reached through [`State::pane_mut`]), the dialog on top ([`Overlay::on_answer`]), a job
//! (`jobs::on_answer`), the preview cache, the login screen, or the session start/stop handlers here.
//! The asker returns a [`panes::Heard`]: what the status line and the header make of it. Whether an
//! asker still waits for an id is its own `waits` ([`panes::Pane::waits`], [`Overlay::waits`]); after
//! every update the map keeps only those ids and the runtime aborts reads nobody waits for.
//!
//! Dialogs take their own keys ([`dialogs::Dialog::on_key`], dispatched by [`Overlay::on_key`]) and
//! reply in one shape ([`DialogReply`]); what only the switchboard can do comes back as an [`Intent`]
//! (quit, start or stop a restore session) and is applied here. [`dialogs`] is the one module that names
//! every dialog; `ui::dialogs::draw` is its drawing twin.
//!
//! How a key travels to a pane: `on_action` handles the actions every pane shares (quit, help, the
//! dialogs, search, copy, `Tab`, and `/` and `Back` on an active filter through the pane's
//! [`panes::Pane::filter_mut`]) and gives the rest to the focused pane ([`panes::Pane::on_action`];
//! `Refresh` to [`panes::Pane::refresh`]). The pane does what is its own (moves, marks, its status
//! words, the confirmation to stop a session) and answers a [`panes::PaneReply`] for what crosses
//! panes (open a session, mailbox, folder or item; back to a level; leave search results), which
//! `apply_pane` does here. The help (`?`) and the status line's hints are the focused pane's
//! [`panes::Pane::help`]. Each pane also says whether it is busy ([`panes::Pane::busy`], the spinner),
//! asks for what it needs after every update ([`panes::Pane::ask_ahead`], the next pages) and names
//! its selection's id (`y`, [`panes::Pane::selected_id`]).
//!
//! Still central: matches over `state.focus` that read several panes at once: what `r`/`E`/`m`/`S`
//! apply to (`jobs::source`), where a search runs (`search::context`), what `Y` copies
//! (`copy::summary_text`), which preview is wanted (`preview::wanted`); and the
//! per-level arms in `layout` and `mouse` (areas, rows, clicks).
//!
//! Errors outside the client carry their exit code by kind: [`crate::commands::CmdError::exit_code`],
//! with `restore_plan::PlanError` and `audit::AuditError` below it.

pub mod copy;
pub mod dialogs;
pub mod fields;
pub mod folder_paths;
pub mod jobs;
pub mod keymap;
pub mod layout;
pub mod list;
pub mod mouse;
pub mod panes;
pub mod point;
pub mod prefs;
pub mod recall;
pub mod request;
pub mod search;
pub mod zone;

pub use dialogs::{DialogReply, Intent, Overlay};
pub use keymap::{Action, Keymap};
pub use prefs::UiPrefs;
pub use request::{Answer, Call, DialogAsk, PaneAsk, Request, RequestId, Requests, Response, SessionAsk, To};
pub use zone::DisplayZone;

use crate::api::ApiError;
use crate::api::models::{ApiDate, Mailbox, RestoreSession, SessionState};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use list::{Filter, FilterKey, filter_key};
use panes::confirm::{ConfirmDialog, Confirmed};
use panes::details::DetailsPane;
use panes::folders::FoldersPane;
use panes::help::HelpDialog;
use panes::items::{ItemsPane, ListKey};
use panes::login::{LoggedIn, LoginDialog, LoginReply, LoginTarget};
use panes::mailboxes::MailboxesPane;
use panes::new_session::NewSessionDialog;
use panes::sessions::SessionsPane;
use panes::{Ctx, Heard, Pane, PaneReply};
use std::collections::{BTreeSet, HashMap};

/// What the header shows about the connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderInfo {
    /// The server, as the operator knows it (`vb365.example.com:4443`, `demo`).
    pub server: String,
    pub user: String,
    /// `v8`, ...
    pub api_version: String,
    /// Writing actions (stopping sessions, restores) are refused.
    pub read_only: bool,
    /// The server certificate is not verified (`--insecure`): a banner says so for the whole session.
    pub insecure: bool,
    /// Plain `http://`: nothing is encrypted; a banner as loud as the insecure one says so.
    pub plain_http: bool,
}

/// The panes, left to right.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Sessions,
    Mailboxes,
    Folders,
    Items,
    Details,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Sessions => "Restore sessions",
            Level::Mailboxes => "Mailboxes",
            Level::Folders => "Folders",
            Level::Items => "Items",
            Level::Details => "Details",
        }
    }
}

/// The connection as the header shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conn {
    Online,
    /// The last request failed for a reason that is about the connection (network, TLS, login).
    Failing(String),
}

/// A transient message in the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
    /// Ticks until it clears itself.
    pub ticks_left: u32,
}

/// Ticks per second (the runtime ticks only while something loads or a message is shown).
pub const TICKS_PER_SEC: u32 = 10;
const INFO_TICKS: u32 = 4 * TICKS_PER_SEC;
const ERROR_TICKS: u32 = 8 * TICKS_PER_SEC;

/// Stopping the sessions vex started, then quitting.
#[derive(Clone, Debug)]
struct Quitting {
    /// The stops in flight.
    waiting: BTreeSet<RequestId>,
    /// Ticks left to wait for them.
    ticks_left: u32,
    failed: bool,
}

/// Everything the browser shows.
#[derive(Clone, Debug)]
pub struct State {
    pub header: HeaderInfo,
    pub conn: Conn,
    /// Where dates are shown.
    pub zone: DisplayZone,
    /// False with `NO_COLOR`: bold and reverse only, whatever the theme.
    pub color: bool,
    /// The configured theme (`theme` in config.toml); `ui::theme::Theme::for_state` applies `color`.
    pub theme: prefs::ThemeName,
    /// Mouse events are used (`mouse = true` in config.toml; the runtime captures the mouse then).
    pub mouse: bool,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// The layout at `size` (pane areas, rows of the lists), computed by [`layout::reflow`] around every
    /// update: drawing, mouse clicks and the page keys read it.
    pub layout: layout::ScreenLayout,
    pub keymap: Keymap,
    pub focus: Level,
    pub sessions: SessionsPane,
    pub mailboxes: Option<MailboxesPane>,
    pub folders: Option<FoldersPane>,
    pub items: Option<ItemsPane>,
    pub details: Option<DetailsPane>,
    /// The previews (MSG bodies) of this run and the one in flight.
    pub previews: panes::preview::Previews,
    /// The folder paths of items found in this run and the walk in flight.
    pub folder_paths: folder_paths::FolderPaths,
    pub overlay: Option<Overlay>,
    pub status: Option<Status>,
    /// Counts ticks (the spinner's frame).
    pub tick: u64,
    /// The wall clock (UTC) when the message being applied arrived, as the runtime read it (see
    /// [`update_at`]); `None` when nobody said (tests that do not care). The update reads no clock itself.
    pub clock: Option<time::OffsetDateTime>,
    /// Set by `update` when something visible changed; the runtime draws and clears it.
    pub dirty: bool,
    pub quit: bool,
    pub requests: Requests,
    /// Marks of items lists that are not open (kept when one browses elsewhere and comes back).
    pub marks: HashMap<ListKey, BTreeSet<String>>,
    /// Folders marked whole (`*`) that are not open (kept like the marks).
    pub all_marked: std::collections::HashSet<ListKey>,
    pending_stop: Option<(RequestId, String)>,
    pending_explore: Option<RequestId>,
    /// The point in time asked for by the session start in flight (`None`: the latest backup).
    explore_at: Option<ApiDate>,
    /// The points in time of the sessions this vex started, by session id (`None`: the latest backup).
    /// The server does not say a session's point in time; the restore confirmation states it.
    pub explored: HashMap<String, Option<ApiDate>>,
    /// The login screen, over everything (also over a half-filled dialog, which it leaves alone).
    pub login: Option<LoginDialog>,
    /// Where the client logs in (the expiry login screen shows it).
    pub target: Option<LoginTarget>,
    /// Requests held while the login screen is up (they failed because the session expired, or were
    /// asked for meanwhile): sent again, with their ids, once logged in.
    after_login: Vec<Request>,
    /// Restore sessions this vex started (`n`) and did not stop, with how to name them: quitting offers
    /// to stop them.
    pub created_sessions: Vec<(String, String)>,
    /// Quitting after stopping sessions.
    quitting: Option<Quitting>,
    /// Restores, exports and sends of this run (the results list) and the last restore's form.
    pub jobs: jobs::Jobs,
    /// Where restores, exports and sends are recorded (`None`: not recorded).
    pub audit_log: Option<std::path::PathBuf>,
    /// Whether `y` / `Y` copies can reach the clipboard (the runtime tells, from the terminal).
    pub clipboard: copy::ClipboardReach,
    /// Where the points in time of the sessions vex starts are written down (`None`: not written).
    pub points_file: Option<std::path::PathBuf>,
    /// Where the cursor was in the lists and folder trees left (re-entering puts it back).
    pub recall: recall::Recall,
    /// Batches: the one running, those started this run, the journal's place (`B`).
    pub batches: panes::batch::Batches,
}

impl State {
    pub fn new(header: HeaderInfo) -> State {
        State {
            header,
            conn: Conn::Online,
            zone: DisplayZone::Local,
            color: true,
            theme: Default::default(),
            mouse: false,
            size: (80, 24),
            layout: layout::ScreenLayout::default(),
            keymap: Keymap::default(),
            focus: Level::Sessions,
            sessions: SessionsPane::default(),
            mailboxes: None,
            folders: None,
            items: None,
            details: None,
            previews: Default::default(),
            folder_paths: Default::default(),
            overlay: None,
            status: None,
            tick: 0,
            clock: None,
            dirty: true,
            quit: false,
            requests: Requests::default(),
            marks: HashMap::new(),
            all_marked: Default::default(),
            pending_stop: None,
            pending_explore: None,
            explore_at: None,
            explored: HashMap::new(),
            login: None,
            target: None,
            after_login: Vec::new(),
            created_sessions: Vec::new(),
            quitting: None,
            jobs: jobs::Jobs::default(),
            audit_log: None,
            clipboard: Default::default(),
            points_file: None,
            recall: Default::default(),
            batches: Default::default(),
        }
    }

    /// Starts with the login screen (no password was supplied): nothing loads until the login succeeds.
    pub fn with_login(mut self, login: LoginDialog) -> State {
        self.target = Some(login.current.clone());
        self.login = Some(login);
        self.conn = Conn::Failing("not logged in".into());
        self
    }

    /// Requests waiting for the login screen (tests and curiosity).
    pub fn held_for_login(&self) -> &[Request] {
        &self.after_login
    }

    /// The pane at `level`, if it is open.
    pub fn pane(&self, level: Level) -> Option<&dyn Pane> {
        match level {
            Level::Sessions => Some(&self.sessions),
            Level::Mailboxes => self.mailboxes.as_ref().map(|p| p as &dyn Pane),
            Level::Folders => self.folders.as_ref().map(|p| p as &dyn Pane),
            Level::Items => self.items.as_ref().map(|p| p as &dyn Pane),
            Level::Details => self.details.as_ref().map(|p| p as &dyn Pane),
        }
    }

    /// The pane at `level`, if it is open.
    pub fn pane_mut(&mut self, level: Level) -> Option<&mut dyn Pane> {
        match level {
            Level::Sessions => Some(&mut self.sessions),
            Level::Mailboxes => self.mailboxes.as_mut().map(|p| p as &mut dyn Pane),
            Level::Folders => self.folders.as_mut().map(|p| p as &mut dyn Pane),
            Level::Items => self.items.as_mut().map(|p| p as &mut dyn Pane),
            Level::Details => self.details.as_mut().map(|p| p as &mut dyn Pane),
        }
    }

    /// The panes that exist, left to right.
    pub fn open_levels(&self) -> Vec<Level> {
        let mut v = vec![Level::Sessions];
        if self.mailboxes.is_some() {
            v.push(Level::Mailboxes);
        }
        if self.folders.is_some() {
            v.push(Level::Folders);
        }
        if self.items.is_some() {
            v.push(Level::Items);
        }
        if self.details.is_some() {
            v.push(Level::Details);
        }
        v
    }

    /// True while any request the operator waits for is in flight.
    pub fn is_loading(&self) -> bool {
        self.open_levels()
            .into_iter()
            .any(|l| self.pane(l).is_some_and(|p| p.busy()))
            || self.previews.busy()
            || self.folder_paths.loading.is_some()
            || self.pending_stop.is_some()
            || self.pending_explore.is_some()
            || self.quitting.is_some()
            || self.login.as_ref().is_some_and(|l| l.submitting.is_some())
            || self.overlay.as_ref().is_some_and(Overlay::busy)
            || jobs::busy(self)
            || panes::batch::busy(self)
    }

    /// True while a restore session that the new-session dialog asked for is being started.
    pub fn starting_session(&self) -> bool {
        self.pending_explore.is_some()
    }

    /// True when the runtime should send ticks (spinner, a message to clear).
    pub fn wants_tick(&self) -> bool {
        // The login screen waiting for the operator: the panes behind wait too, nothing moves.
        if self.login.as_ref().is_some_and(|l| l.submitting.is_none()) {
            return self.status.is_some();
        }
        self.is_loading() || self.status.is_some() || jobs::counting_down(self)
    }

    /// Rows a page key moves in the focused pane: the rows its list shows (see [`layout`]).
    pub fn page_rows(&self) -> u64 {
        self.layout.rows_of(self.focus).max(1)
    }

    /// Rows a page key moves in the open dialog's list: the rows it shows.
    pub fn dialog_page_rows(&self) -> u64 {
        self.layout.dialog_rows.unwrap_or(1).max(1)
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: false,
            ticks_left: INFO_TICKS,
        });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: true,
            ticks_left: ERROR_TICKS,
        });
    }

    /// Returns and clears the dirty flag.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// The focused pane's help lines (the help dialog and the hints in the status line).
    pub fn focused_help(&self) -> panes::Help {
        self.pane(self.focus).map_or(&[], |p| p.help())
    }

    /// The filter of the focused pane.
    pub fn focused_filter(&self) -> Option<&Filter> {
        self.pane(self.focus)?.filter()
    }

    fn focused_filter_mut(&mut self) -> Option<&mut Filter> {
        self.pane_mut(self.focus)?.filter_mut()
    }

    /// Applies the focused pane's filter again.
    fn refilter_focused(&mut self) {
        if let Some(p) = self.pane_mut(self.focus) {
            p.refilter();
        }
    }

    /// Gives the focused pane to `f`, with what it needs of the rest of the state; `None` when the
    /// focused pane is not open.
    fn with_focused<R>(&mut self, fx: &mut Vec<Effect>, f: impl FnOnce(&mut dyn Pane, &mut Ctx) -> R) -> Option<R> {
        let page = self.page_rows();
        let State {
            focus,
            sessions,
            mailboxes,
            folders,
            items,
            details,
            requests,
            keymap,
            zone,
            header,
            ..
        } = self;
        let pane: &mut dyn Pane = match focus {
            Level::Sessions => sessions,
            Level::Mailboxes => mailboxes.as_mut()?,
            Level::Folders => folders.as_mut()?,
            Level::Items => items.as_mut()?,
            Level::Details => details.as_mut()?,
        };
        let mut ctx = Ctx {
            requests,
            fx,
            page,
            keymap,
            zone,
            read_only: header.read_only,
        };
        Some(f(pane, &mut ctx))
    }

    /// Keeps the open items list's marks for when the operator comes back to it.
    fn stash_marks(&mut self) {
        // Where the list is, for a batch made of marks in several mailboxes.
        panes::batch::note_place(self);
        // Search results keep no marks (their cursor is kept); the folder they were started from does.
        if let Some(i) = self.items.as_ref() {
            self.recall.leave_search(i);
        }
        let items = match self.items.as_ref() {
            Some(i) if i.search.is_some() => i.search.as_ref().and_then(|s| s.back.items.as_deref()),
            other => other,
        };
        if let Some(items) = items {
            self.recall.leave_items(items);
            if items.marks.is_empty() {
                self.marks.remove(&items.key);
            } else {
                self.marks.insert(items.key.clone(), items.marks.clone());
            }
            if items.all_marked {
                self.all_marked.insert(items.key.clone());
            } else {
                self.all_marked.remove(&items.key);
            }
        }
    }
}

/// Input to `update`.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "a message is moved once, from the channel into update"
)]
pub enum Msg {
    /// The browser starts: load the first page of sessions.
    Start,
    /// A key press (dialogs and filters want raw keys; everything else goes through the keymap).
    Key(KeyEvent),
    /// An action, as if its key was pressed.
    Action(Action),
    /// Wheel and clicks (only used with `state.mouse`).
    Mouse(crossterm::event::MouseEvent),
    Resize(u16, u16),
    /// Spinner frame / message expiry.
    Tick,
    /// Leave now (a signal).
    Quit,
    /// The answer to a request.
    Answer(Answer),
    /// A request failed because the session is gone (the server refused to renew it): the login screen
    /// comes back over the view and the request is sent again after the login.
    SessionExpired(Request),
}

/// What `update` asks the runtime to do.
#[derive(Clone, Debug)]
pub enum Effect {
    /// Run a request (see [`request`]) and send its answer back as [`Msg::Answer`].
    Request(Request),
    /// Puts the text on the terminal's clipboard (OSC 52). The text is clean (no control characters)
    /// and within [`crate::text::osc52::OSC52_MAX_BASE64`] already.
    Clipboard(String),
    Quit,
}

impl Effect {
    /// The call of a request.
    pub fn call(&self) -> Option<&Call> {
        match self {
            Effect::Request(r) => Some(&r.call),
            _ => None,
        }
    }

    /// The request, if this is one.
    pub fn request(&self) -> Option<&Request> {
        match self {
            Effect::Request(r) => Some(r),
            _ => None,
        }
    }
}

impl From<Request> for Effect {
    fn from(r: Request) -> Effect {
        Effect::Request(r)
    }
}

/// [`update`] at wall-clock time `now` (UTC): the runtime calls this with the time it read; tests pass a
/// fixed one. What happened when (a restore's start and end in `R`) is stamped with it.
pub fn update_at(state: &mut State, msg: Msg, now: time::OffsetDateTime) -> Vec<Effect> {
    state.clock = Some(now);
    update(state, msg)
}

/// The one update function: applies a message to the state and returns the requests to run.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    // The message is applied to the layout the operator sees (a test may have changed the state).
    layout::reflow(state);
    let tick = matches!(msg, Msg::Tick);
    let changed = match msg {
        Msg::Start => {
            let e = state.sessions.reload(&mut state.requests);
            fx.push(e);
            true
        }
        Msg::Key(ev) => {
            on_key(state, ev, &mut fx);
            true
        }
        Msg::Action(a) => {
            on_action(state, a, &mut fx);
            true
        }
        Msg::Mouse(m) => mouse::on_mouse(state, m, &mut fx),
        Msg::Resize(w, h) => {
            state.size = (w, h);
            true
        }
        Msg::Tick => on_tick(state),
        Msg::Quit => {
            quit(state, &mut fx);
            true
        }
        Msg::Answer(a) => request::on_answer(state, a, &mut fx),
        Msg::SessionExpired(r) => {
            session_expired(state, r);
            true
        }
    };
    if !state.quit {
        prefetch(state, &mut fx);
        panes::preview::step(state, tick, &mut fx);
        folder_paths::step(state, &mut fx);
    }
    if state.login.is_some() {
        hold_for_login(state, &mut fx);
    }
    state.forget_unawaited();
    if changed || !fx.is_empty() {
        state.dirty = true;
    }
    layout::reflow(state);
    fx
}

fn quit(state: &mut State, fx: &mut Vec<Effect>) {
    state.quit = true;
    fx.push(Effect::Quit);
}

fn on_tick(state: &mut State) -> bool {
    state.tick = state.tick.wrapping_add(1);
    if let Some(q) = &mut state.quitting {
        q.ticks_left = q.ticks_left.saturating_sub(1);
        if q.ticks_left == 0 {
            // The server is slow to answer the stops: leave anyway (they were sent).
            state.quit = true;
            return true;
        }
    }
    let mut changed = state.is_loading();
    if let Some(s) = &mut state.status {
        s.ticks_left = s.ticks_left.saturating_sub(1);
        if s.ticks_left == 0 {
            state.status = None;
            changed = true;
        }
    }
    changed
}

/// Requests the panes need now: next pages near the end of a list, the items page under the cursor.
fn prefetch(state: &mut State, fx: &mut Vec<Effect>) {
    let State {
        sessions,
        mailboxes,
        folders,
        items,
        details,
        requests,
        ..
    } = state;
    let panes: [Option<&mut dyn Pane>; 5] = [
        Some(sessions),
        mailboxes.as_mut().map(|p| p as &mut dyn Pane),
        folders.as_mut().map(|p| p as &mut dyn Pane),
        items.as_mut().map(|p| p as &mut dyn Pane),
        details.as_mut().map(|p| p as &mut dyn Pane),
    ];
    for pane in panes.into_iter().flatten() {
        pane.ask_ahead(requests, fx);
    }
}

fn on_key(state: &mut State, ev: KeyEvent, fx: &mut Vec<Effect>) {
    if ev.kind == KeyEventKind::Release {
        return;
    }
    if ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL) {
        return quit(state, fx);
    }
    if let Some(mut login) = state.login.take() {
        match login.on_key(&ev, &mut state.requests) {
            LoginReply::Keep => state.login = Some(login),
            LoginReply::Quit => quit(state, fx),
            LoginReply::Submit(e) => {
                fx.push(e);
                state.login = Some(login);
            }
        }
        return;
    }
    if let Some(overlay) = state.overlay.take() {
        let (next, intent) = overlay.on_key(state, &ev, fx);
        state.overlay = next;
        if let Some(i) = intent {
            apply(state, i, fx);
        }
        return;
    }
    if let Some(f) = state.focused_filter_mut()
        && f.editing
    {
        if filter_key(f, &ev) != FilterKey::Nothing {
            state.refilter_focused();
        }
        return;
    }
    if let Some(a) = state.keymap.lookup(&ev) {
        on_action(state, a, fx);
    }
}

/// Does what a dialog asked of the browser.
fn apply(state: &mut State, intent: Intent, fx: &mut Vec<Effect>) {
    match intent {
        Intent::Quit => quit(state, fx),
        Intent::StartSession(mut e) => {
            if let Effect::Request(Request {
                id,
                call: Call::Explore { options, .. },
            }) = &mut e
            {
                state.pending_explore = Some(*id);
                state.explore_at = options.date_time.clone();
            }
            fx.push(e);
        }
        Intent::StopSession { session_id } => {
            let to = To::Session(SessionAsk::Stop {
                session_id: session_id.clone(),
            });
            let r = state.requests.ask(
                to,
                Call::StopSession {
                    session_id: session_id.clone(),
                },
            );
            state.pending_stop = Some((r.id, session_id));
            state.info("stopping the session…");
            fx.push(Effect::Request(r));
        }
        Intent::StopThenQuit { session_ids } => stop_then_quit(state, session_ids, fx),
    }
}

fn on_action(state: &mut State, a: Action, fx: &mut Vec<Effect>) {
    if state.login.is_some() {
        // Only the login screen takes keys; an action replayed meanwhile can only quit.
        if a == Action::Quit {
            quit(state, fx);
        }
        return;
    }
    if state.header.read_only && a.is_write() {
        return refuse_write(state, a);
    }
    match a {
        Action::Quit => {
            if jobs::hold_quit(state) || panes::batch::hold_quit(state) {
                return;
            }
            return offer_quit(state, fx);
        }
        Action::Help => {
            state.overlay = Some(Overlay::Help(HelpDialog::new(state.focus, state.focused_help())));
            return;
        }
        Action::NewSession => {
            let (d, e) = NewSessionDialog::new(&mut state.requests);
            state.overlay = Some(Overlay::NewSession(d));
            fx.push(e);
            return;
        }
        Action::MarkAll
        | Action::Restore
        | Action::ExportPst
        | Action::SaveMsg
        | Action::Send
        | Action::Results
        | Action::Events => {
            jobs::on_action(state, a, fx);
            return;
        }
        Action::Search => return search::open_prompt(state),
        Action::Batches => return panes::batch::open(state, fx),
        Action::CopyId => return copy::copy(state, false, fx),
        Action::CopySummary => return copy::copy(state, true, fx),
        Action::NextPane => return cycle_focus(state, true, fx),
        Action::PrevPane => return cycle_focus(state, false, fx),
        Action::Refresh => return refresh(state, fx),
        Action::Filter => {
            match state.focused_filter_mut() {
                Some(f) => f.start(),
                None => state.info("nothing to filter here"),
            }
            return;
        }
        Action::Back => {
            if let Some(f) = state.focused_filter_mut()
                && f.is_active()
            {
                f.clear();
                state.refilter_focused();
                return;
            }
        }
        _ => {}
    }
    if let Some(reply) = state.with_focused(fx, |pane, ctx| pane.on_action(a, ctx)) {
        apply_pane(state, reply, fx);
    }
}

/// Does what a pane's action or reload asked for beyond the pane.
fn apply_pane(state: &mut State, reply: PaneReply, fx: &mut Vec<Effect>) {
    match reply {
        PaneReply::Done => {}
        PaneReply::Info(m) => state.info(m),
        PaneReply::Error(m) => state.error(m),
        PaneReply::OpenSession(s) => open_session(state, s, fx),
        PaneReply::OpenMailbox { session_id, mailbox } => open_mailbox(state, session_id, mailbox, fx),
        PaneReply::OpenFolder { key, folder, path } => open_folder(state, key, folder, path),
        PaneReply::OpenItem { key, item } => open_item(state, key, item, fx),
        PaneReply::Focus(level) => state.focus = level,
        PaneReply::LeaveSearch => search::leave(state, fx),
        PaneReply::Confirm(c) => state.overlay = Some(Overlay::Confirm(c)),
        PaneReply::Preview(key) => state.previews.forget(&key),
    }
}

fn cycle_focus(state: &mut State, forward: bool, fx: &mut Vec<Effect>) {
    let selected = state.items.as_ref().is_some_and(|i| i.selected().is_some());
    // The reading layout shows the items and the details side by side: both keys move between them.
    let reading = layout::reading(state, state.size.0);
    if (forward || reading) && state.focus == Level::Items && selected {
        if let Some(reply) = state.items.as_ref().map(ItemsPane::open_selected) {
            apply_pane(state, reply, fx);
        }
        return;
    }
    // From the details (the last pane) back to the items, not round to the sessions.
    if (forward || reading) && state.focus == Level::Details && state.items.is_some() {
        state.focus = Level::Items;
        return;
    }
    let open = state.open_levels();
    let n = open.len();
    let i = open.iter().position(|l| *l == state.focus).unwrap_or(0);
    state.focus = if forward {
        open[(i + 1) % n]
    } else {
        open[(i + n - 1) % n]
    };
}

fn refresh(state: &mut State, fx: &mut Vec<Effect>) {
    if let Some(reply) = state.with_focused(fx, |pane, ctx| pane.refresh(ctx)) {
        apply_pane(state, reply, fx);
    }
}

fn open_session(state: &mut State, s: RestoreSession, fx: &mut Vec<Effect>) {
    if state.mailboxes.as_ref().is_some_and(|m| m.session.id == s.id) {
        state.focus = Level::Mailboxes;
        return;
    }
    state.stash_marks();
    if let Some(tree) = state.folders.take() {
        state.recall.leave_tree(tree);
    }
    state.items = None;
    state.details = None;
    if let Some(old) = &state.mailboxes {
        state.recall.leave_mailboxes(old);
    }
    let (mut p, e) = MailboxesPane::new(s, &mut state.requests);
    state.recall.enter_mailboxes(&mut p);
    state.mailboxes = Some(p);
    fx.push(e);
    state.focus = Level::Mailboxes;
}

fn open_mailbox(state: &mut State, session_id: String, mb: Mailbox, fx: &mut Vec<Effect>) {
    if state
        .folders
        .as_ref()
        .is_some_and(|f| f.session_id == session_id && f.mailbox.id == mb.id)
    {
        state.focus = Level::Folders;
        return;
    }
    state.stash_marks();
    if let Some(tree) = state.folders.take() {
        state.recall.leave_tree(tree);
    }
    state.items = None;
    state.details = None;
    // The tree as it was left, else a new one (its roots asked for).
    let p = match state.recall.enter_tree(&session_id, &mb.id) {
        Some(p) => p,
        None => {
            let (p, e) = FoldersPane::new(session_id, mb, &mut state.requests);
            fx.push(e);
            p
        }
    };
    state.folders = Some(p);
    state.focus = Level::Folders;
}

fn open_folder(state: &mut State, key: ListKey, folder: crate::api::models::Folder, path: String) {
    if state.items.as_ref().is_some_and(|i| i.key == key) {
        state.focus = Level::Items;
        return;
    }
    state.stash_marks();
    state.details = None;
    let marks = state.marks.get(&key).cloned().unwrap_or_default();
    let all_marked = state.all_marked.contains(&key);
    let mut pane = ItemsPane::new(key, folder, path, marks);
    pane.all_marked = all_marked;
    state.recall.enter_items(&mut pane);
    state.items = Some(pane);
    state.focus = Level::Items;
}

fn open_item(state: &mut State, key: ListKey, item: crate::api::models::Item, fx: &mut Vec<Effect>) {
    if state
        .details
        .as_ref()
        .is_some_and(|d| d.item.id == item.id && d.key == key)
    {
        state.focus = Level::Details;
        return;
    }
    let mut d = DetailsPane::new(key, item);
    fx.push(d.reload(&mut state.requests));
    state.details = Some(d);
    state.focus = Level::Details;
}

/// An answer's error: its text, and whether it is about the connection.
fn describe(e: &ApiError) -> (String, bool) {
    let conn = matches!(
        e,
        ApiError::Network(_) | ApiError::Timeout(_) | ApiError::Tls(_) | ApiError::Auth(_)
    );
    (e.to_string(), conn)
}

/// Notes the outcome of an accepted answer: errors go to the status line (and the header when they
/// are about the connection); a success clears a connection problem.
fn note<T>(state: &mut State, what: &str, result: &Result<T, ApiError>) {
    match result {
        Ok(_) => state.conn = Conn::Online,
        Err(e) => {
            let (text, conn) = describe(e);
            if conn {
                state.conn = Conn::Failing(text.clone());
            }
            state.error(format!("{what}: {}", crate::text::shorten_guids(&text)));
        }
    }
}

/// An answer for `to`, who still waits for it (see `request::on_answer`): handed to that asker;
/// false when nothing changed.
fn answered(
    state: &mut State,
    id: RequestId,
    to: To,
    result: Result<Response, ApiError>,
    fx: &mut Vec<Effect>,
) -> bool {
    let heard = match to {
        To::Pane(ask) => match state.pane_mut(ask.level()) {
            Some(pane) => pane.on_answer(ask, result),
            None => Heard::Nothing,
        },
        To::Dialog(ask) => {
            let events = ask == DialogAsk::Events;
            let (zone, tick) = (state.zone, state.tick);
            let heard = match &mut state.overlay {
                Some(o) => o.on_answer(ask, result, &zone, tick, &mut state.requests, fx),
                None => Heard::Nothing,
            };
            if events && !matches!(heard, Heard::Nothing) {
                jobs::after_events(state);
            }
            heard
        }
        To::Job => return jobs::on_answer(state, id, result),
        To::Login => return login_answered(state, request::take(result), fx),
        To::Preview => return panes::preview::on_answer(state, result),
        To::FolderPath => return folder_paths::on_answer(state, result),
        To::Session(ask) => return session_answered(state, id, ask, result, fx),
        To::Batch => return panes::batch::on_run_answer(state, id, result),
    };
    heard_by(state, heard)
}

/// What the status line and the header say about an answer its asker took; false when nothing changed.
fn heard_by(state: &mut State, heard: Heard) -> bool {
    match heard {
        Heard::Nothing => return false,
        Heard::Taken => {}
        Heard::Noted(what, err) => note_err(state, what, err),
        Heard::Info(m) => state.info(m),
        Heard::Error(m) => state.error(m),
        Heard::SearchPage(offset, err) => search::after_page(state, offset, err),
    }
    true
}

/// The login's answer.
fn login_answered(state: &mut State, result: Result<LoggedIn, ApiError>, fx: &mut Vec<Effect>) -> bool {
    let Some(login) = &mut state.login else { return false };
    match result {
        Ok(info) => logged_in(state, info, fx),
        Err(e) => {
            let text = match &e {
                ApiError::Auth(m) => format!("login refused: {m}"),
                other => other.to_string(),
            };
            login.on_refused(text, matches!(e, ApiError::Auth(_)));
        }
    }
    true
}

/// The answer to starting or stopping a restore session.
fn session_answered(
    state: &mut State,
    id: RequestId,
    ask: SessionAsk,
    result: Result<Response, ApiError>,
    fx: &mut Vec<Effect>,
) -> bool {
    use request::take;
    match ask {
        SessionAsk::Explore => {
            let result: Result<RestoreSession, ApiError> = take(result);
            state.pending_explore = None;
            let told = result.as_ref().map(|_| ()).map_err(ToString::to_string);
            let dialog_open = state.overlay.as_mut().is_some_and(|o| o.on_session_started(id, told));
            note(state, "starting the session", &result);
            // A refusal: the new-session dialog shows it (told above).
            if let Ok(session) = result {
                if dialog_open {
                    state.overlay = None;
                }
                let org = session.organization.clone().unwrap_or_default();
                let when = session
                    .creation_time
                    .as_ref()
                    .map(|d| format!(" · {}", state.zone.short(d)))
                    .unwrap_or_default();
                state
                    .created_sessions
                    .push((session.id.clone(), format!("{org}{when}")));
                state.explored.insert(session.id.clone(), state.explore_at.take());
                state.info(format!("restore session started for {org}"));
                state.sessions.select_id = Some(session.id.clone());
                fx.push(state.sessions.reload(&mut state.requests));
                open_session(state, session, fx);
            }
        }
        SessionAsk::StopOnQuit { session_id } => {
            stopped_on_quit(state, id, &session_id, take(result), fx);
        }
        SessionAsk::Stop { session_id } => {
            let result: Result<(), ApiError> = take(result);
            state.pending_stop = None;
            note(state, "stopping the session", &result);
            if result.is_ok() {
                state.created_sessions.retain(|(id, _)| *id != session_id);
                state.info("restore session stopped");
                state.sessions.mark_stopped(&session_id);
                // The panes it left open say so (and refuse restores) whatever the list says next.
                if let Some(m) = state.mailboxes.as_mut().filter(|m| m.session.id == session_id) {
                    m.session.state = SessionState::Stopped;
                }
                state.sessions.select_id = Some(session_id);
                fx.push(state.sessions.reload(&mut state.requests));
            }
        }
    }
    true
}

fn note_err(state: &mut State, what: &str, err: Option<ApiError>) {
    match err {
        None => note::<()>(state, what, &Ok(())),
        Some(e) => note::<()>(state, what, &Err(e)),
    }
}

/// The message for a writing action refused in read-only mode.
fn refuse_write(state: &mut State, a: Action) {
    let what = match a {
        Action::Restore => "restores are disabled",
        Action::StopSession => "stopping sessions is disabled",
        // Starting one writes on the server too (the CLI refuses `explore` in read-only mode as well).
        Action::NewSession => "starting restore sessions is disabled",
        _ => "writing actions are disabled",
    };
    state.error(format!("read-only: {what}"));
}

/// The session is gone: the login screen comes over the view (leaving it, its dialogs and filters as
/// they are) and the request waits to be sent again.
fn session_expired(state: &mut State, r: Request) {
    if state.login.is_none() {
        let target = state.target.clone().unwrap_or_else(|| LoginTarget {
            server: state.header.server.clone(),
            api: state.header.api_version.parse().unwrap_or_default(),
        });
        state.login = Some(LoginDialog::expired(target, &state.header.user));
        state.conn = Conn::Failing("session expired: log in again".into());
    }
    hold(state, r);
}

/// Holds a request for after the login; a newer read of the same slot replaces an older one. The
/// writes that are sent once (restores, exports, sends, device codes) and logins are not held.
fn hold(state: &mut State, r: Request) {
    let class = r.call.class();
    match &class {
        request::Class::Once | request::Class::Login => return,
        request::Class::Read(_) => state.after_login.retain(|x| x.call.class() != class),
        request::Class::Write => {}
    }
    state.after_login.push(r);
}

/// While the login screen is up nothing but the login goes to the server (and the writes sent once,
/// which are never held: without a login they fail at once, before anything is sent, and say so).
fn hold_for_login(state: &mut State, fx: &mut Vec<Effect>) {
    for e in std::mem::take(fx) {
        match e {
            Effect::Request(r) if matches!(r.call.class(), request::Class::Read(_) | request::Class::Write) => {
                hold(state, r)
            }
            e => fx.push(e),
        }
    }
}

/// The login succeeded: the screen goes, the header names the login, and the held requests go out
/// with their generations (the panes still wait for exactly those).
fn logged_in(state: &mut State, info: LoggedIn, fx: &mut Vec<Effect>) {
    let was_expired = state.login.as_ref().is_some_and(|l| !l.can_change_server());
    let new_target = state.login.as_ref().map(|l| LoginTarget {
        server: info.server.clone(),
        api: l.api,
    });
    state.login = None;
    if let Some(t) = new_target {
        if state.target.as_ref().is_none_or(|old| old.server != t.server) {
            state.header.server = t.server.clone();
        }
        state.target = Some(t);
    }
    state.header.user = info.user;
    if !info.api_version.is_empty() {
        state.header.api_version = info.api_version;
    }
    state.conn = Conn::Online;
    state.info(if was_expired {
        "logged in again: carrying on"
    } else {
        "logged in"
    });
    fx.extend(state.after_login.drain(..).map(Effect::Request));
}

/// `q`: sessions this vex started and left running are offered to be stopped first (default: leave
/// them); otherwise vex quits at once.
fn offer_quit(state: &mut State, fx: &mut Vec<Effect>) {
    let running: Vec<(String, String)> = state
        .created_sessions
        .iter()
        .filter(|(id, _)| {
            !state
                .sessions
                .list
                .rows
                .iter()
                .any(|s| s.id == *id && s.state == SessionState::Stopped)
        })
        .cloned()
        .collect();
    if running.is_empty() || state.header.read_only {
        return quit(state, fx);
    }
    let n = running.len();
    let mut msg = vec![format!(
        "vex started {n} restore session{} that {} still running:",
        if n == 1 { "" } else { "s" },
        if n == 1 { "is" } else { "are" }
    )];
    msg.extend(running.iter().take(4).map(|(_, label)| format!("  {label}")));
    if n > 4 {
        msg.push(format!("  and {} more", n - 4));
    }
    msg.push(String::new());
    msg.push(format!(
        "Stop {} before quitting? (Esc: stay)",
        if n == 1 { "it" } else { "them" }
    ));
    let mut c = ConfirmDialog::new(
        "Quit vex",
        msg,
        "Stop and quit",
        Confirmed::StopOnQuit {
            session_ids: running.into_iter().map(|(id, _)| id).collect(),
        },
    );
    c.cancel_label = "Leave running".into();
    state.overlay = Some(Overlay::Confirm(c));
}

/// Ticks to wait for the stops before leaving anyway.
const QUIT_WAIT_TICKS: u32 = 10 * TICKS_PER_SEC;

fn stop_then_quit(state: &mut State, ids: Vec<String>, fx: &mut Vec<Effect>) {
    let mut waiting = BTreeSet::new();
    for session_id in ids {
        let r = state.requests.ask(
            To::Session(SessionAsk::StopOnQuit {
                session_id: session_id.clone(),
            }),
            Call::StopSession { session_id },
        );
        waiting.insert(r.id);
        fx.push(Effect::Request(r));
    }
    if waiting.is_empty() {
        return quit(state, fx);
    }
    state.info(format!(
        "stopping {} restore session{}…",
        waiting.len(),
        if waiting.len() == 1 { "" } else { "s" }
    ));
    state.quitting = Some(Quitting {
        waiting,
        ticks_left: QUIT_WAIT_TICKS,
        failed: false,
    });
}

/// A stop asked for on quitting answered: leave when all did; stay and say so when one failed.
fn stopped_on_quit(
    state: &mut State,
    generation: RequestId,
    session_id: &str,
    result: Result<(), ApiError>,
    fx: &mut Vec<Effect>,
) {
    let ok = result.is_ok();
    match result {
        Ok(()) => {
            state.created_sessions.retain(|(id, _)| id != session_id);
            state.sessions.mark_stopped(session_id);
        }
        Err(e) => state.error(format!("could not stop a restore session: {e} (q again to quit)")),
    }
    let Some(q) = &mut state.quitting else { return };
    q.waiting.remove(&generation);
    q.failed |= !ok;
    if q.waiting.is_empty() {
        let failed = q.failed;
        state.quitting = None;
        if !failed {
            quit(state, fx);
        }
    }
}
