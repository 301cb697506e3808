//! One module per pane or dialog: its state, the actions it handles and its help lines.

pub mod confirm;
pub mod details;
pub mod events;
pub mod folders;
pub mod help;
pub mod items;
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
