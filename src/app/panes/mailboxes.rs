//! Mailboxes of a restore session.

use super::{Ctx, Heard, Help, Pane, PaneReply, split_answer};
use crate::api::ApiError;
use crate::api::models::{Mailbox, RestoreSession};
use crate::app::list::{Filter, Haystack, PAGE, PagedList, Paging, move_list, next_page_effect};
use crate::app::request::{PaneAsk, Response};
use crate::app::{Action, Call, Effect, Level, RequestId, Requests, To};

pub const HELP: Help = &[
    (Action::Open, "open", "browse the mailbox's folders"),
    (Action::Back, "back", "back to the sessions (clears a filter first)"),
    (Action::Filter, "filter", "filter the mailboxes (loads the rest)"),
    (Action::Restore, "restore", "restore the whole mailbox"),
    (Action::Events, "events", "events of the restore session"),
    (Action::Search, "search", "search the mailbox or all mailboxes"),
];

/// Mailboxes a `/` filter loads before it stops loading (500 pages): an organization larger than that is
/// filtered over its first 100,000 (the server's order), and the title says the filter saw only those
/// ("7 matches in the 100,000 loaded").
pub const FILTER_REACH: usize = 100_000;

#[derive(Clone, Debug)]
pub struct MailboxesPane {
    pub session: RestoreSession,
    pub list: PagedList<Mailbox>,
    /// The mailbox (id, row) the cursor goes back to once loaded (see `app::recall`).
    seek: Option<(String, usize)>,
}

impl MailboxesPane {
    /// A pane for `session` and the request of its first page.
    pub fn new(session: RestoreSession, requests: &mut Requests) -> (MailboxesPane, Effect) {
        let mut p = MailboxesPane {
            session,
            list: PagedList::default(),
            seek: None,
        };
        p.list.filter_reach = FILTER_REACH;
        let e = p.reload(requests);
        (p, e)
    }

    pub fn reload(&mut self, requests: &mut Requests) -> Effect {
        self.list.reset();
        let session_id = self.session.id.clone();
        self.list.begin_next_page(requests, |offset| page(session_id, offset))
    }

    pub fn prefetch(&mut self, requests: &mut Requests) -> Option<Effect> {
        let session_id = self.session.id.clone();
        next_page_effect(&mut self.list, requests, |offset| page(session_id, offset))
    }

    /// Takes a page; false when it is not where the list ends.
    pub fn on_page(&mut self, offset: u64, result: Result<Vec<Mailbox>, String>) -> bool {
        if !self.list.accept_page(offset, result, PAGE) {
            return false;
        }
        self.list.refilter();
        self.seek_mailbox();
        true
    }

    /// Puts the cursor on the mailbox `id` once loaded (when it is gone: on row `row`).
    pub fn return_to(&mut self, id: String, row: usize) {
        self.seek = Some((id, row));
        self.seek_mailbox();
    }

    /// After a page: on the mailbox sought when it is loaded; else as far as row `row` (the prefetch
    /// follows the cursor to the pages up to it); the seeking ends there, or at the end of the list.
    fn seek_mailbox(&mut self) {
        let Some((id, row)) = self.seek.as_ref() else { return };
        if self.list.select_where(|m| m.id == *id) {
            self.seek = None;
            return;
        }
        let (row, len) = (*row, self.list.len());
        self.list.cursor = row.min(len.saturating_sub(1));
        if len > row || self.list.paging != Paging::More || self.list.filter.is_active() {
            self.seek = None;
        }
    }

    pub fn selected(&self) -> Option<&Mailbox> {
        self.list.selected()
    }
}

impl Pane for MailboxesPane {
    fn waits(&self, _: &PaneAsk, id: RequestId) -> bool {
        self.list.loading == Some(id)
    }

    fn on_answer(&mut self, ask: PaneAsk, result: Result<Response, ApiError>) -> Heard {
        let PaneAsk::Mailboxes { offset } = ask else {
            return Heard::Nothing;
        };
        let (page, err) = split_answer(result);
        if !self.on_page(offset, page) {
            return Heard::Nothing;
        }
        Heard::Noted("mailboxes", err)
    }

    fn on_action(&mut self, a: Action, ctx: &mut Ctx) -> PaneReply {
        match a {
            _ if a.is_move() => {
                // The operator moves on: the mailbox the cursor was going back to no longer matters.
                self.seek = None;
                move_list(&mut self.list, a, ctx.page)
            }
            Action::Open => {
                if let Some(mb) = self.selected() {
                    return PaneReply::OpenMailbox {
                        session_id: self.session.id.clone(),
                        mailbox: mb.clone(),
                    };
                }
            }
            Action::Back => return PaneReply::Focus(Level::Sessions),
            Action::StopSession => return PaneReply::Info("stop a session from the sessions pane".into()),
            _ => {}
        }
        PaneReply::Done
    }

    fn refresh(&mut self, ctx: &mut Ctx) -> PaneReply {
        ctx.fx.push(self.reload(ctx.requests));
        PaneReply::Done
    }

    fn help(&self) -> Help {
        HELP
    }

    fn filter(&self) -> Option<&Filter> {
        Some(&self.list.filter)
    }

    fn filter_mut(&mut self) -> Option<&mut Filter> {
        Some(&mut self.list.filter)
    }

    fn refilter(&mut self) {
        self.list.refilter();
    }

    fn busy(&self) -> bool {
        self.list.loading.is_some()
    }

    fn ask_ahead(&mut self, requests: &mut Requests, fx: &mut Vec<Effect>) {
        fx.extend(self.prefetch(requests));
    }

    fn selected_id(&self) -> Option<String> {
        self.selected().map(|m| m.id.clone())
    }
}

/// The request of the page at `offset`.
fn page(session_id: String, offset: u64) -> (To, Call) {
    (
        To::Pane(PaneAsk::Mailboxes { offset }),
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

impl Haystack for Mailbox {
    fn haystack(&self) -> String {
        haystack(self)
    }
}
