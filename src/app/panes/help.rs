//! The help overlay (`?`): generated from the keymap and the help the focused pane gives
//! ([`super::Pane::help`]).

use super::{GLOBAL_HELP, Help};
use crate::app::dialogs::{Dialog, DialogReply};
use crate::app::{Action, Effect, Level, State};
use crossterm::event::KeyEvent;

pub const HELP: Help = &[
    (Action::Back, "close", "close the help"),
    (Action::Help, "close", "close the help"),
];

#[derive(Clone, Debug)]
pub struct HelpDialog {
    /// The pane the help is about.
    pub level: Level,
    /// That pane's help: the actions it answers and what they do there.
    pub own: Help,
    pub scroll: u64,
    /// The largest useful scroll at the dialog's height (set by the layout, [`crate::app::layout::reflow`]).
    pub max_scroll: u64,
}

/// A line of the help.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HelpLine {
    /// The title: the pane the help is about.
    Pane(Level),
    Section(&'static str),
    /// An action's keys (from the keymap) and what it does.
    Action(Action, &'static str),
    /// Fixed keys and what they do.
    Keys(&'static str, &'static str),
    Blank,
}

impl HelpDialog {
    /// The help about the pane at `level`, whose help is `own` (see `State::focused_help`).
    pub fn new(level: Level, own: Help) -> HelpDialog {
        HelpDialog {
            level,
            own,
            scroll: 0,
            max_scroll: u64::MAX,
        }
    }

    /// The lines of the help about `self.level` (without the writing actions when `read_only`: they
    /// are not offered at all).
    pub fn lines(&self, read_only: bool) -> Vec<HelpLine> {
        let own: Vec<_> = self
            .own
            .iter()
            .filter(|(a, _, _)| !(read_only && a.is_write()))
            .copied()
            .collect();
        let mut lines = vec![HelpLine::Pane(self.level)];
        lines.extend(own.iter().map(|(a, _, text)| HelpLine::Action(*a, text)));
        lines.push(HelpLine::Blank);
        lines.push(HelpLine::Section("Everywhere"));
        // (Without the actions the pane lists already, nor the writing ones when read-only.)
        lines.extend(
            GLOBAL_HELP
                .iter()
                .filter(|(a, _, _)| !(own.iter().any(|(o, _, _)| o == a) || (read_only && a.is_write())))
                .map(|(a, _, text)| HelpLine::Action(*a, text)),
        );
        lines.push(HelpLine::Blank);
        lines.push(HelpLine::Section("Filter (while typing)"));
        lines.push(HelpLine::Keys("Enter", "keep the filter"));
        lines.push(HelpLine::Keys("Esc", "clear the filter"));
        lines
    }

    /// Handles an action; true when the help should close.
    pub fn on_action(&mut self, a: Action) -> bool {
        let max = self.max_scroll;
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

impl Dialog for HelpDialog {
    fn on_key(&mut self, state: &mut State, ev: &KeyEvent, _fx: &mut Vec<Effect>) -> DialogReply {
        match state.keymap.lookup(ev) {
            Some(a) if self.on_action(a) => DialogReply::Close,
            _ => DialogReply::Keep,
        }
    }
}
