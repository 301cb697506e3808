//! One module per pane or dialog: its state, the actions it handles and its help lines.

pub mod batch;
pub mod confirm;
pub mod details;
pub mod events;
pub mod folders;
pub mod help;
pub mod items;
pub mod job_dialog;
pub mod login;
pub mod mailboxes;
pub mod new_session;
pub mod preview;
pub mod restore_dialog;
pub mod results;
pub mod search_prompt;
pub mod sessions;
pub mod transfer_dialog;

use super::Action;

/// A pane's help: the actions it handles, a one-word hint for the status line, and what they do there.
pub type Help = &'static [(Action, &'static str, &'static str)];

/// Actions every pane shares (help lists them after the pane's own).
pub const GLOBAL_HELP: Help = &[
    (Action::Up, "up", "move up"),
    (Action::Down, "down", "move down"),
    (Action::PageUp, "page up", "page up"),
    (Action::PageDown, "page down", "page down"),
    (Action::First, "first", "first row"),
    (Action::Last, "last", "last row"),
    (Action::NextPane, "next pane", "next pane"),
    (Action::PrevPane, "prev pane", "previous pane"),
    (Action::Refresh, "reload", "reload this pane"),
    (Action::NewSession, "new session", "new restore session"),
    (Action::Search, "search", "search on the server (Tab: scope)"),
    (Action::CopyId, "copy id", "copy the selected id (OSC 52)"),
    (Action::CopySummary, "copy", "copy a one-line summary (OSC 52)"),
    (
        Action::Batches,
        "batches",
        "batches: progress, outcomes; p plan file, M marks",
    ),
    (Action::Help, "help", "this help"),
    (Action::Quit, "quit", "quit"),
];

use super::list::Filter;
use super::request::{PaneAsk, RequestId, Response, take};
use super::{DisplayZone, Effect, Keymap, Level, Requests};
use crate::api::ApiError;
use crate::api::models::{Folder, Item, Mailbox, RestoreSession};
use confirm::ConfirmDialog;
use items::ListKey;

/// A pane of the browser: its keys, its reload, its filter and its help; what it waits for and what it
/// does with the answers to its requests.
pub trait Pane {
    /// Whether the pane still waits for the answer `id` to `ask` (the request map keeps only those, so
    /// [`Pane::on_answer`] gets no stale answer).
    fn waits(&self, ask: &PaneAsk, id: RequestId) -> bool;

    /// The answer to a request the pane made and still waits for.
    fn on_answer(&mut self, ask: PaneAsk, result: Result<Response, ApiError>) -> Heard;

    /// An action while the pane has the focus (after the actions every pane shares: quit, help, the
    /// dialogs, search, copy, focus, reload, and `/` and `Back` on an active filter). The pane does what
    /// is its own (moves, marks, its status words) and says what crosses panes.
    fn on_action(&mut self, a: Action, ctx: &mut Ctx) -> PaneReply;

    /// `Refresh`: load what the pane shows again.
    fn refresh(&mut self, ctx: &mut Ctx) -> PaneReply;

    /// The actions the pane answers and what they do there (the help and the hints in the status line).
    fn help(&self) -> Help;

    /// The pane's filter (`/`), if it has one.
    fn filter(&self) -> Option<&Filter> {
        None
    }

    fn filter_mut(&mut self) -> Option<&mut Filter> {
        None
    }

    /// Applies the filter again (after it changed).
    fn refilter(&mut self) {}

    /// True while a request the operator waits for is in flight (the spinner runs).
    fn busy(&self) -> bool;

    /// Asks for what the pane needs now, after every update (next pages near the end of a list, the
    /// page under the cursor).
    fn ask_ahead(&mut self, _requests: &mut Requests, _fx: &mut Vec<Effect>) {}

    /// The id of what is selected (`y` copies it).
    fn selected_id(&self) -> Option<String>;
}

/// What a pane needs from the rest of the state to handle an action.
pub struct Ctx<'a> {
    pub requests: &'a mut Requests,
    /// Where the requests the pane makes go.
    pub fx: &'a mut Vec<Effect>,
    /// Rows a page key moves: the rows the pane shows (see [`crate::app::layout`]).
    pub page: u64,
    pub keymap: &'a Keymap,
    pub zone: &'a DisplayZone,
    pub read_only: bool,
}

/// What a pane's action asks of the switchboard (`app::on_action`): what crosses panes or reaches
/// beyond the pane.
#[derive(Debug)]
pub enum PaneReply {
    /// Done (or nothing to do).
    Done,
    /// The status line says this.
    Info(String),
    /// The status line says this as an error.
    Error(String),
    /// Browse this session's mailboxes.
    OpenSession(RestoreSession),
    /// Browse this mailbox's folders.
    OpenMailbox { session_id: String, mailbox: Mailbox },
    /// Show this folder's items (`path`: `Inbox / Projects`).
    OpenFolder { key: ListKey, folder: Folder, path: String },
    /// Show this item's details (`key`: the list of the mailbox it is in).
    OpenItem { key: ListKey, item: Item },
    /// Give the focus to the pane at this level.
    Focus(Level),
    /// Leave search results for what was shown before the search.
    LeaveSearch,
    /// Ask the operator first (the dialog's answer does the rest).
    Confirm(ConfirmDialog),
    /// Ask for this item's preview again (the details were reloaded).
    Preview(preview::PreviewKey),
}

/// What an asker made of its answer: what the status line and the header say about it.
#[derive(Debug)]
pub enum Heard {
    /// The answer changed nothing.
    Nothing,
    /// Taken; nothing to say.
    Taken,
    /// `what` loaded (`None`) or failed: the error goes to the status line, and to the header when it
    /// is about the connection; a success clears a connection problem.
    Noted(&'static str, Option<ApiError>),
    /// Taken; the status line says this.
    Info(String),
    /// Taken; the status line says this as an error.
    Error(String),
    /// A page of search results at this offset was taken (with its error): see `app::search::after_page`.
    SearchPage(u64, Option<ApiError>),
}

/// The answer as the asker's type, and its error (kept to be noted): `Err` holds the error's text.
pub fn split_answer<T: TryFrom<Response, Error = Response>>(
    result: Result<Response, ApiError>,
) -> (Result<T, String>, Option<ApiError>) {
    match take::<T>(result) {
        Ok(v) => (Ok(v), None),
        Err(e) => (Err(e.to_string()), Some(e)),
    }
}
