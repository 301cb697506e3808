//! Mailboxes of a restore session.

use super::Help;
use crate::api::models::{Mailbox, RestoreSession};
use crate::app::list::{PAGE, PagedList, next_page_effect};
use crate::app::{Action, Call, Effect, Gen, Gens, To};

pub const HELP: Help = &[
    (Action::Open, "open", "browse the mailbox's folders"),
    (Action::Back, "back", "back to the sessions (clears a filter first)"),
    (Action::Filter, "filter", "filter the loaded mailboxes"),
    (Action::Restore, "restore", "restore the whole mailbox"),
    (Action::Events, "events", "events of the restore session"),
    (Action::Search, "search", "search the mailbox or all mailboxes"),
];

#[derive(Clone, Debug)]
pub struct MailboxesPane {
    pub session: RestoreSession,
    pub list: PagedList<Mailbox>,
}

impl MailboxesPane {
    /// A pane for `session` and the request of its first page.
    pub fn new(session: RestoreSession, gens: &mut Gens) -> (MailboxesPane, Effect) {
        let mut p = MailboxesPane {
            session,
            list: PagedList::default(),
        };
        let e = p.reload(gens);
        (p, e)
    }

    pub fn reload(&mut self, gens: &mut Gens) -> Effect {
        self.list.reset();
        let session_id = self.session.id.clone();
        self.list.begin_next_page(gens, |offset| page(session_id, offset))
    }

    pub fn prefetch(&mut self, gens: &mut Gens) -> Option<Effect> {
        let session_id = self.session.id.clone();
        next_page_effect(&mut self.list, gens, |offset| page(session_id, offset))
    }

    pub fn on_page(&mut self, generation: Gen, offset: u64, result: Result<Vec<Mailbox>, String>) -> bool {
        if !self.list.accept_page(generation, offset, result, PAGE) {
            return false;
        }
        self.list.refilter(haystack);
        true
    }

    pub fn selected(&self) -> Option<&Mailbox> {
        self.list.selected()
    }
}

/// The request of the page at `offset`.
fn page(session_id: String, offset: u64) -> (To, Call) {
    (
        To::Mailboxes { offset },
        Call::Mailboxes {
            session_id,
            offset,
            limit: PAGE,
        },
    )
}

/// What `/` searches in a mailbox.
pub fn haystack(m: &Mailbox) -> String {
    let mut s = String::new();
    s.push_str(m.name.as_deref().unwrap_or(""));
    s.push(' ');
    s.push_str(m.email.as_deref().unwrap_or(""));
    if m.is_archive {
        s.push_str(" archive");
    }
    if m.is_public {
        s.push_str(" public");
    }
    s
}
