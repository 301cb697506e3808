//! A yes/no confirmation whose default answer is Cancel.

use super::Help;
use crate::app::dialogs::{Dialog, DialogReply, Intent};
use crate::app::{Action, Effect, State};
use crossterm::event::{KeyCode, KeyEvent};

pub const HELP: Help = &[
    (Action::NextPane, "switch", "switch between the buttons"),
    (Action::Open, "choose", "press the selected button (Cancel by default)"),
    (Action::Back, "cancel", "cancel"),
];

/// What a confirmation confirms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confirmed {
    StopSession {
        session_id: String,
    },
    /// Quitting: stop the restore sessions vex started (Cancel quits leaving them, Esc stays).
    StopOnQuit {
        session_ids: Vec<String>,
    },
}

#[derive(Clone, Debug)]
pub struct ConfirmDialog {
    pub title: String,
    /// Lines of the question (may hold server text: sanitised when drawn).
    pub message: Vec<String>,
    pub confirm_label: String,
    /// The label of the default button (`Cancel`).
    pub cancel_label: String,
    /// True when the confirming button is selected (false at first: Cancel is the default).
    pub yes: bool,
    pub what: Confirmed,
}

/// What a key did to the dialog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfirmReply {
    Keep,
    Cancel,
    Confirm(Confirmed),
}

impl ConfirmDialog {
    pub fn new(
        title: impl Into<String>,
        message: Vec<String>,
        confirm_label: impl Into<String>,
        what: Confirmed,
    ) -> Self {
        ConfirmDialog {
            title: title.into(),
            message,
            confirm_label: confirm_label.into(),
            cancel_label: "Cancel".into(),
            yes: false,
            what,
        }
    }

    /// What a key press does to the buttons.
    pub fn press(&mut self, ev: &KeyEvent) -> ConfirmReply {
        match ev.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('n') => ConfirmReply::Cancel,
            KeyCode::Tab
            | KeyCode::BackTab
            | KeyCode::Left
            | KeyCode::Right
            | KeyCode::Char('h')
            | KeyCode::Char('l') => {
                self.yes = !self.yes;
                ConfirmReply::Keep
            }
            KeyCode::Enter | KeyCode::Char(' ') => {
                if self.yes {
                    ConfirmReply::Confirm(self.what.clone())
                } else {
                    ConfirmReply::Cancel
                }
            }
            _ => ConfirmReply::Keep,
        }
    }
}

impl Dialog for ConfirmDialog {
    fn on_key(&mut self, state: &mut State, ev: &KeyEvent, _fx: &mut Vec<Effect>) -> DialogReply {
        match self.press(ev) {
            ConfirmReply::Keep => DialogReply::Keep,
            // Quitting: Esc stays, the default button quits leaving the sessions running.
            ConfirmReply::Cancel if matches!(self.what, Confirmed::StopOnQuit { .. }) => {
                if ev.code == KeyCode::Esc {
                    state.info("still here");
                    DialogReply::Close
                } else {
                    DialogReply::Do(Intent::Quit)
                }
            }
            ConfirmReply::Cancel => {
                state.info("cancelled");
                DialogReply::Close
            }
            ConfirmReply::Confirm(Confirmed::StopOnQuit { session_ids }) => {
                DialogReply::Do(Intent::StopThenQuit { session_ids })
            }
            ConfirmReply::Confirm(Confirmed::StopSession { session_id }) => {
                DialogReply::Do(Intent::StopSession { session_id })
            }
        }
    }
}
