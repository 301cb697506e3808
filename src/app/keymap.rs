//! The key → action table. It is data: help (`?`) and the status-line hints are generated from it, and
//! `[keys]` in config.toml replaces bindings without touching the panes (see [`Keymap::from_config`]).

mod config;

pub use config::parse_key;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What a key asks for. Panes decide what an action means for them (and describe it in their help).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    First,
    Last,
    Open,
    Back,
    NextPane,
    PrevPane,
    Mark,
    Filter,
    Refresh,
    NewSession,
    StopSession,
    /// Mark (or unmark) every item of the folder, loaded or not: a restore then covers the folder.
    MarkAll,
    /// The restore dialog for the marked items, the selected item or the selected folder.
    Restore,
    /// Export the marked items (or the folder) to a PST file.
    ExportPst,
    /// Save the marked items (or the selected one) as MSG.
    SaveMsg,
    /// Send the marked items (or the selected one) by mail.
    Send,
    /// The results of this run's restores, exports and sends.
    Results,
    /// The events of the restore session (and of restores started from it).
    Events,
    Help,
    Quit,
    /// Server-side search (Windows Search syntax) over the folder, the mailbox or all mailboxes.
    Search,
    /// Copy the selected entity's id to the clipboard (OSC 52).
    CopyId,
    /// Copy a one-line summary of the selected entity to the clipboard (OSC 52).
    CopySummary,
    /// The batch view: the journal's batches, the running one's progress; start one (plan file, marks).
    Batches,
}

impl Action {
    /// Every action, in the order help lists them.
    pub const ALL: [Action; 28] = [
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::First,
        Action::Last,
        Action::Open,
        Action::Back,
        Action::NextPane,
        Action::PrevPane,
        Action::Mark,
        Action::Filter,
        Action::Refresh,
        Action::NewSession,
        Action::StopSession,
        Action::MarkAll,
        Action::Restore,
        Action::ExportPst,
        Action::SaveMsg,
        Action::Send,
        Action::Results,
        Action::Events,
        Action::Help,
        Action::Quit,
        Action::Search,
        Action::CopyId,
        Action::CopySummary,
        Action::Batches,
    ];

    /// A stable name (for a config file: `down = ["j", "Down"]`).
    pub fn name(self) -> &'static str {
        match self {
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::First => "first",
            Action::Last => "last",
            Action::Open => "open",
            Action::Back => "back",
            Action::NextPane => "next_pane",
            Action::PrevPane => "prev_pane",
            Action::Mark => "mark",
            Action::Filter => "filter",
            Action::Refresh => "refresh",
            Action::NewSession => "new_session",
            Action::StopSession => "stop_session",
            Action::MarkAll => "mark_all",
            Action::Restore => "restore",
            Action::ExportPst => "export_pst",
            Action::SaveMsg => "save_msg",
            Action::Send => "send",
            Action::Results => "results",
            Action::Events => "events",
            Action::Help => "help",
            Action::Quit => "quit",
            Action::Search => "search",
            Action::CopyId => "copy_id",
            Action::CopySummary => "copy_summary",
            Action::Batches => "batches",
        }
    }

    /// True for the actions that move a cursor or scroll (every pane answers them).
    pub fn is_move(self) -> bool {
        matches!(
            self,
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::First | Action::Last
        )
    }

    /// True for actions that change something on the server or write data out (restores, stopping a
    /// session, sending, exporting): read-only mode hides them from hints and help and refuses them.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Action::NewSession
                | Action::StopSession
                | Action::Restore
                | Action::ExportPst
                | Action::SaveMsg
                | Action::Send
        )
    }

    /// What the action does when a pane does not say better.
    pub fn describe(self) -> &'static str {
        match self {
            Action::Up => "move up",
            Action::Down => "move down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::First => "first row",
            Action::Last => "last row",
            Action::Open => "open",
            Action::Back => "back",
            Action::NextPane => "next pane",
            Action::PrevPane => "previous pane",
            Action::Mark => "mark",
            Action::Filter => "filter what is loaded",
            Action::Refresh => "reload",
            Action::NewSession => "new restore session",
            Action::StopSession => "stop the restore session",
            Action::MarkAll => "mark / unmark the whole folder",
            Action::Restore => "restore",
            Action::ExportPst => "export to PST",
            Action::SaveMsg => "save as MSG",
            Action::Send => "send by mail",
            Action::Results => "results of restores, exports and sends",
            Action::Events => "session events",
            Action::Help => "help",
            Action::Quit => "quit",
            Action::Search => "search on the server: folder, mailbox or all mailboxes",
            Action::CopyId => "copy the selected id to the clipboard",
            Action::CopySummary => "copy a one-line summary to the clipboard",
            Action::Batches => "batches: progress and outcomes; start one from a plan file or marks",
        }
    }
}

/// One binding: a key (with modifiers) and the action it triggers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    pub code: KeyCode,
    pub mods: KeyModifiers,
    pub action: Action,
}

const fn key(code: KeyCode, action: Action) -> Binding {
    Binding {
        code,
        mods: KeyModifiers::NONE,
        action,
    }
}

const fn ctrl(c: char, action: Action) -> Binding {
    Binding {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
        action,
    }
}

/// The default bindings. The first binding of an action is the one hints show.
pub const DEFAULT_BINDINGS: &[Binding] = &[
    key(KeyCode::Down, Action::Down),
    key(KeyCode::Char('j'), Action::Down),
    key(KeyCode::Up, Action::Up),
    key(KeyCode::Char('k'), Action::Up),
    key(KeyCode::PageDown, Action::PageDown),
    ctrl('d', Action::PageDown),
    key(KeyCode::PageUp, Action::PageUp),
    ctrl('u', Action::PageUp),
    key(KeyCode::Char('g'), Action::First),
    key(KeyCode::Home, Action::First),
    key(KeyCode::Char('G'), Action::Last),
    key(KeyCode::End, Action::Last),
    key(KeyCode::Enter, Action::Open),
    key(KeyCode::Char('l'), Action::Open),
    key(KeyCode::Right, Action::Open),
    key(KeyCode::Esc, Action::Back),
    key(KeyCode::Char('h'), Action::Back),
    key(KeyCode::Left, Action::Back),
    key(KeyCode::Backspace, Action::Back),
    key(KeyCode::Tab, Action::NextPane),
    key(KeyCode::BackTab, Action::PrevPane),
    key(KeyCode::Char(' '), Action::Mark),
    key(KeyCode::Char('/'), Action::Filter),
    ctrl('r', Action::Refresh),
    key(KeyCode::F(5), Action::Refresh),
    key(KeyCode::Char('n'), Action::NewSession),
    key(KeyCode::Char('x'), Action::StopSession),
    key(KeyCode::Char('*'), Action::MarkAll),
    key(KeyCode::Char('a'), Action::MarkAll),
    key(KeyCode::Char('r'), Action::Restore),
    key(KeyCode::Char('E'), Action::ExportPst),
    key(KeyCode::Char('m'), Action::SaveMsg),
    key(KeyCode::Char('S'), Action::Send),
    key(KeyCode::Char('R'), Action::Results),
    key(KeyCode::Char('e'), Action::Events),
    key(KeyCode::Char('?'), Action::Help),
    key(KeyCode::F(1), Action::Help),
    key(KeyCode::Char('q'), Action::Quit),
    ctrl('c', Action::Quit),
    key(KeyCode::Char('s'), Action::Search),
    key(KeyCode::Char('y'), Action::CopyId),
    key(KeyCode::Char('Y'), Action::CopySummary),
    key(KeyCode::Char('B'), Action::Batches),
];

/// The key → action table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bindings: DEFAULT_BINDINGS.to_vec(),
        }
    }
}

impl Keymap {
    pub fn new(bindings: Vec<Binding>) -> Self {
        Keymap { bindings }
    }

    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// Replaces every binding of `action` with `keys` (for a config file).
    pub fn rebind(&mut self, action: Action, keys: &[(KeyCode, KeyModifiers)]) {
        self.bindings.retain(|b| b.action != action);
        for (code, mods) in keys {
            self.bindings.retain(|b| !(b.code == *code && b.mods == *mods));
            self.bindings.push(Binding {
                code: *code,
                mods: *mods,
                action,
            });
        }
    }

    /// The action of a key press (releases and repeats of other kinds are ignored).
    pub fn lookup(&self, ev: &KeyEvent) -> Option<Action> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        let (code, mods) = normalize(ev);
        self.bindings
            .iter()
            .find(|b| b.code == code && b.mods == mods)
            .map(|b| b.action)
    }

    /// The keys bound to `action`, as shown to people (`j`, `↓`, `PgDn`, `^R`).
    pub fn keys_for(&self, action: Action) -> Vec<String> {
        self.bindings
            .iter()
            .filter(|b| b.action == action)
            .map(|b| key_label(b.code, b.mods))
            .collect()
    }

    /// How to name the key of `action` in a fixed text: `preferred` (as written, e.g. `"j"`, `"^R"`) while
    /// it is bound to `action`, else the action's first key (the operator remapped it).
    pub fn hint(&self, action: Action, preferred: &str) -> String {
        let bound = |(code, mods): (KeyCode, KeyModifiers)| {
            self.bindings
                .iter()
                .any(|b| (b.code, b.mods, b.action) == (code, mods, action))
        };
        if parse_key(preferred).is_ok_and(bound) {
            preferred.to_string()
        } else {
            self.first_key(action).unwrap_or_else(|| preferred.to_string())
        }
    }

    /// The first key of `action` (what hints show), if any.
    pub fn first_key(&self, action: Action) -> Option<String> {
        self.bindings
            .iter()
            .find(|b| b.action == action)
            .map(|b| key_label(b.code, b.mods))
    }
}

/// Shift is implied by an upper-case letter or a symbol: `G` arrives as `Char('G')` with SHIFT on most
/// terminals and without it on some. Compare without SHIFT for characters.
fn normalize(ev: &KeyEvent) -> (KeyCode, KeyModifiers) {
    match ev.code {
        KeyCode::Char(c) => {
            let mut m = ev.modifiers - KeyModifiers::SHIFT;
            if m.contains(KeyModifiers::CONTROL) {
                // ^R arrives as Char('r') + CONTROL (some terminals send 'R').
                m = KeyModifiers::CONTROL | (m - KeyModifiers::CONTROL);
                return (KeyCode::Char(c.to_ascii_lowercase()), m);
            }
            (KeyCode::Char(c), m)
        }
        KeyCode::BackTab => (KeyCode::BackTab, ev.modifiers - KeyModifiers::SHIFT),
        code => (code, ev.modifiers),
    }
}

/// How a key is written in help and hints.
pub fn key_label(code: KeyCode, mods: KeyModifiers) -> String {
    let base = match code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Backspace => "Bksp".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "S-Tab".into(),
        KeyCode::F(n) => format!("F{n}"),
        KeyCode::Delete => "Del".into(),
        KeyCode::Insert => "Ins".into(),
        other => format!("{other:?}"),
    };
    let mut s = String::new();
    if mods.contains(KeyModifiers::CONTROL) {
        s.push('^');
    }
    if mods.contains(KeyModifiers::ALT) {
        s.push_str("M-");
    }
    if mods.contains(KeyModifiers::SHIFT) {
        s.push_str("S-");
    }
    s.push_str(&base);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn lookups() {
        let k = Keymap::default();
        assert_eq!(
            k.lookup(&ev(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(
            k.lookup(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Last)
        );
        assert_eq!(
            k.lookup(&ev(KeyCode::Char('G'), KeyModifiers::NONE)),
            Some(Action::Last)
        );
        assert_eq!(
            k.lookup(&ev(KeyCode::Char('r'), KeyModifiers::CONTROL)),
            Some(Action::Refresh)
        );
        assert_eq!(
            k.lookup(&ev(KeyCode::Char('r'), KeyModifiers::NONE)),
            Some(Action::Restore)
        );
        assert_eq!(
            k.lookup(&ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::PrevPane)
        );
        assert_eq!(k.lookup(&ev(KeyCode::Char('z'), KeyModifiers::NONE)), None);
        assert_eq!(k.keys_for(Action::Down), vec!["↓".to_string(), "j".into()]);
    }

    #[test]
    fn every_action_has_a_key_and_no_key_is_bound_twice() {
        let k = Keymap::default();
        for a in Action::ALL {
            assert!(k.first_key(a).is_some(), "{a:?} has no key");
        }
        for (i, b) in DEFAULT_BINDINGS.iter().enumerate() {
            for c in &DEFAULT_BINDINGS[i + 1..] {
                assert!(!(b.code == c.code && b.mods == c.mods), "{:?} bound twice", b.code);
            }
        }
    }

    #[test]
    fn hints_name_the_preferred_key_while_it_is_bound() {
        let mut k = Keymap::default();
        assert_eq!(k.hint(Action::Down, "j"), "j");
        assert_eq!(k.hint(Action::Refresh, "^R"), "^R");
        k.rebind(Action::Down, &[(KeyCode::Char('n'), KeyModifiers::NONE)]);
        assert_eq!(k.hint(Action::Down, "j"), "n");
    }

    #[test]
    fn rebind_replaces() {
        let mut k = Keymap::default();
        k.rebind(Action::Quit, &[(KeyCode::Char('Q'), KeyModifiers::NONE)]);
        assert_eq!(k.lookup(&ev(KeyCode::Char('q'), KeyModifiers::NONE)), None);
        assert_eq!(
            k.lookup(&ev(KeyCode::Char('Q'), KeyModifiers::SHIFT)),
            Some(Action::Quit)
        );
    }
}
