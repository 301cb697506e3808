//! The help overlay (`?`): generated from the keymap and the focused pane's help.

use super::Help;
use crate::app::{Action, Level};
use std::cell::Cell;

pub const HELP: Help = &[
    (Action::Back, "close", "close the help"),
    (Action::Help, "close", "close the help"),
];

#[derive(Clone, Debug)]
pub struct HelpDialog {
    /// The pane the help is about.
    pub level: Level,
    pub scroll: u64,
    pub max_scroll: Cell<u64>,
}

impl HelpDialog {
    pub fn new(level: Level) -> HelpDialog {
        HelpDialog {
            level,
            scroll: 0,
            max_scroll: Cell::new(u64::MAX),
        }
    }

    /// Handles an action; true when the help should close.
    pub fn on_action(&mut self, a: Action) -> bool {
        let max = self.max_scroll.get();
        match a {
            Action::Back | Action::Help | Action::Quit | Action::Open => return true,
            Action::Down => self.scroll = (self.scroll + 1).min(max),
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::PageDown => self.scroll = (self.scroll + 10).min(max),
            Action::PageUp => self.scroll = self.scroll.saturating_sub(10),
            Action::First => self.scroll = 0,
            Action::Last => self.scroll = max,
            _ => {}
        }
        false
    }
}
