//! Restore sessions: the first pane.

use super::Help;
use crate::api::models::{RestoreSession, SessionState};
use crate::app::list::{PAGE, PagedList, next_page_effect};
use crate::app::{Action, Call, Effect, Gen, Gens, To};

pub const HELP: Help = &[
    (Action::Open, "open", "browse the session's mailboxes"),
    (Action::Back, "clear filter", "clear the filter"),
    (Action::Filter, "filter", "filter the loaded sessions"),
    (Action::StopSession, "stop", "stop the selected session"),
    (Action::Events, "events", "events of the selected session"),
    (Action::Results, "results", "results of restores and exports"),
];

/// The restore sessions, newest first (v8; older servers keep their order), paged lazily.
#[derive(Clone, Debug, Default)]
pub struct SessionsPane {
    pub list: PagedList<RestoreSession>,
    /// Put the cursor on this session once it is loaded (after creating or stopping one).
    pub select_id: Option<String>,
}

impl SessionsPane {
    /// Starts over from the first page.
    pub fn reload(&mut self, gens: &mut Gens) -> Effect {
        self.list.reset();
        self.list.begin_next_page(gens, page)
    }

    /// The next page, when the cursor nears the loaded end.
    pub fn prefetch(&mut self, gens: &mut Gens) -> Option<Effect> {
        next_page_effect(&mut self.list, gens, page)
    }

    /// Takes a page; false when it is stale.
    pub fn on_page(&mut self, generation: Gen, offset: u64, result: Result<Vec<RestoreSession>, String>) -> bool {
        if !self.list.accept_page(generation, offset, result, PAGE) {
            return false;
        }
        self.list.refilter(haystack);
        if let Some(id) = self.select_id.clone()
            && (self.list.select_where(|s| s.id == id) || self.list.is_complete())
        {
            self.select_id = None;
        }
        true
    }

    pub fn selected(&self) -> Option<&RestoreSession> {
        self.list.selected()
    }

    /// Marks a session stopped locally (the reload confirms it).
    pub fn mark_stopped(&mut self, id: &str) {
        if let Some(s) = self.list.find_mut(|s| s.id == id) {
            s.state = SessionState::Stopped;
        }
    }
}

/// The request of the page at `offset`.
fn page(offset: u64) -> (To, Call) {
    (To::Sessions { offset }, Call::Sessions { offset, limit: PAGE })
}

/// What `/` searches in a session.
pub fn haystack(s: &RestoreSession) -> String {
    [
        s.organization.as_deref(),
        s.name.as_deref(),
        s.initiated_by.as_deref(),
        Some(s.state.as_str()),
        Some(s.session_type.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ")
}
