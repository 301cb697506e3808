//! Restore sessions: the first pane.

use super::confirm::{ConfirmDialog, Confirmed};
use super::{Ctx, Heard, Help, Pane, PaneReply, split_answer};
use crate::api::ApiError;
use crate::api::models::{RestoreSession, SessionState};
use crate::app::list::{Filter, Haystack, PAGE, PagedList, move_list, next_page_effect};
use crate::app::request::{PaneAsk, Response};
use crate::app::{Action, Call, Effect, RequestId, Requests, To};

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
    pub fn reload(&mut self, requests: &mut Requests) -> Effect {
        self.list.reset();
        self.list.begin_next_page(requests, page)
    }

    /// The next page, when the cursor nears the loaded end.
    pub fn prefetch(&mut self, requests: &mut Requests) -> Option<Effect> {
        next_page_effect(&mut self.list, requests, page)
    }

    /// Takes a page; false when it is not where the list ends.
    pub fn on_page(&mut self, offset: u64, result: Result<Vec<RestoreSession>, String>) -> bool {
        if !self.list.accept_page(offset, result, PAGE) {
            return false;
        }
        self.list.refilter();
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

    /// `x`: the confirmation to stop the selected session.
    fn ask_stop(&self, ctx: &Ctx) -> PaneReply {
        if ctx.read_only {
            return PaneReply::Error("read-only: stopping sessions is disabled".into());
        }
        let Some(s) = self.selected() else {
            return PaneReply::Done;
        };
        if s.state == SessionState::Stopped {
            return PaneReply::Info("that session is already stopped".into());
        }
        let org = s.organization.clone().unwrap_or_else(|| "(no organization)".into());
        let created = s
            .creation_time
            .as_ref()
            .map(|d| ctx.zone.short(d))
            .unwrap_or_else(|| "?".into());
        let msg = vec![
            format!("Stop the restore session of {org}"),
            format!("started {created}?"),
            String::new(),
            "Its mailboxes can no longer be browsed.".into(),
        ];
        let what = Confirmed::StopSession {
            session_id: s.id.clone(),
        };
        PaneReply::Confirm(ConfirmDialog::new("Stop restore session", msg, "Stop session", what))
    }
}

impl Pane for SessionsPane {
    fn waits(&self, _: &PaneAsk, id: RequestId) -> bool {
        self.list.loading == Some(id)
    }

    fn on_answer(&mut self, ask: PaneAsk, result: Result<Response, ApiError>) -> Heard {
        let PaneAsk::Sessions { offset } = ask else {
            return Heard::Nothing;
        };
        let (page, err) = split_answer(result);
        if !self.on_page(offset, page) {
            return Heard::Nothing;
        }
        Heard::Noted("restore sessions", err)
    }

    fn on_action(&mut self, a: Action, ctx: &mut Ctx) -> PaneReply {
        match a {
            _ if a.is_move() => move_list(&mut self.list, a, ctx.page),
            Action::Open => {
                if let Some(s) = self.selected().cloned() {
                    return PaneReply::OpenSession(s);
                }
            }
            Action::Back => {
                let quit = ctx.keymap.hint(Action::Quit, "q");
                return PaneReply::Info(format!("this is the first pane: {quit} quits"));
            }
            Action::StopSession => return self.ask_stop(ctx),
            _ => {}
        }
        PaneReply::Done
    }

    fn refresh(&mut self, ctx: &mut Ctx) -> PaneReply {
        self.select_id = self.selected().map(|s| s.id.clone());
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
        self.selected().map(|s| s.id.clone())
    }
}

/// The request of the page at `offset`.
fn page(offset: u64) -> (To, Call) {
    (
        To::Pane(PaneAsk::Sessions { offset }),
        Call::Sessions { offset, limit: PAGE },
    )
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

impl Haystack for RestoreSession {
    fn haystack(&self) -> String {
        haystack(self)
    }
}
