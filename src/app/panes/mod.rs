//! One module per pane or dialog: its state, the actions it handles and its help lines.

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
pub mod restore;
pub mod results;
pub mod search;
pub mod sessions;
pub mod transfer;

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
    (Action::Help, "help", "this help"),
    (Action::Quit, "quit", "quit"),
];

use super::request::{PaneAsk, RequestId, Response, take};
use crate::api::ApiError;

/// A pane of the browser: what it waits for and what it does with the answers to its requests.
pub trait Pane {
    /// Whether the pane still waits for the answer `id` to `ask` (the request map keeps only those, so
    /// [`Pane::on_answer`] gets no stale answer).
    fn waits(&self, ask: &PaneAsk, id: RequestId) -> bool;

    /// The answer to a request the pane made and still waits for.
    fn on_answer(&mut self, ask: PaneAsk, result: Result<Response, ApiError>) -> Heard;
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
