//! The events of a restore session (`e`): the browsed session's, and for v8 restores the restore's own
//! session (Tab switches). An overlay over whatever was open; Esc goes back to it.

use super::{Heard, Help};
use crate::api::ApiError;
use crate::api::models::SessionEvent;
use crate::app::dialogs::{AnswerCx, Dialog, DialogReply};
use crate::app::list::Viewport;
use crate::app::request::{DialogAsk, Response, take};
use crate::app::{Action, Effect, Overlay, RequestId, Requests, State};
use crossterm::event::KeyEvent;

pub const HELP: Help = &[
    (Action::Down, "down", "next event"),
    (
        Action::NextPane,
        "session",
        "switch between the browsed session and the restore's session",
    ),
    (Action::Refresh, "reload", "load the events again"),
    (Action::Back, "close", "close (back to what was open)"),
];

/// A session whose events can be shown: (what it is, its id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventSource {
    pub label: String,
    pub session_id: String,
}

#[derive(Clone, Debug)]
pub struct EventsView {
    pub sources: Vec<EventSource>,
    pub current: usize,
    pub loading: Option<RequestId>,
    pub events: Vec<SessionEvent>,
    pub cursor: usize,
    pub view: Viewport,
    pub error: Option<String>,
    /// A note over the list (e.g. "the outcome of the restore is unknown").
    pub note: Option<String>,
    /// What was open before (shown again on Esc).
    pub back: Option<Box<Overlay>>,
    /// The job the view was opened for (its outcome may be read from these events).
    pub job: Option<RequestId>,
}

/// What a key did.
#[derive(Debug)]
pub enum EventsReply {
    Keep,
    Load(Effect),
    Close,
}

impl EventsView {
    /// The view and the request of the first source's events (`None` when there is no source).
    pub fn new(sources: Vec<EventSource>, requests: &mut Requests) -> Option<(EventsView, Effect)> {
        if sources.is_empty() {
            return None;
        }
        let mut v = EventsView {
            sources,
            current: 0,
            loading: None,
            events: Vec::new(),
            cursor: 0,
            view: Viewport::default(),
            error: None,
            note: None,
            back: None,
            job: None,
        };
        let e = v.load(requests);
        Some((v, e))
    }

    pub fn source(&self) -> Option<&EventSource> {
        self.sources.get(self.current)
    }

    fn load(&mut self, requests: &mut Requests) -> Effect {
        let session_id = self.source().map(|s| s.session_id.clone()).unwrap_or_default();
        let r = requests.ask(
            crate::app::To::Dialog(crate::app::request::DialogAsk::Events),
            crate::app::Call::Events { session_id },
        );
        self.loading = Some(r.id);
        self.error = None;
        Effect::Request(r)
    }

    /// Takes the events (the request map dropped stale answers already). The cursor goes to the newest.
    pub fn on_events(&mut self, result: Result<Vec<SessionEvent>, String>) {
        self.loading = None;
        match result {
            Ok(mut ev) => {
                ev.sort_by_key(|e| e.order);
                self.cursor = ev.len().saturating_sub(1);
                self.events = ev;
                self.view.reset();
            }
            Err(e) => self.error = Some(e),
        }
    }

    pub fn selected(&self) -> Option<&SessionEvent> {
        self.events.get(self.cursor)
    }

    pub fn on_action(&mut self, a: Action, page: u64, requests: &mut Requests) -> EventsReply {
        match a {
            Action::Back | Action::Quit => EventsReply::Close,
            Action::NextPane | Action::PrevPane => {
                if self.sources.len() < 2 {
                    return EventsReply::Keep;
                }
                let n = self.sources.len();
                self.current = if a == Action::NextPane {
                    (self.current + 1) % n
                } else {
                    (self.current + n - 1) % n
                };
                self.events.clear();
                self.cursor = 0;
                EventsReply::Load(self.load(requests))
            }
            Action::Refresh => EventsReply::Load(self.load(requests)),
            a if matches!(
                a,
                Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::First | Action::Last
            ) =>
            {
                self.cursor = crate::app::list::step(self.cursor as u64, self.events.len() as u64, a, page) as usize;
                EventsReply::Keep
            }
            _ => EventsReply::Keep,
        }
    }
}

impl Dialog for EventsView {
    fn on_key(&mut self, state: &mut State, ev: &KeyEvent, fx: &mut Vec<Effect>) -> DialogReply {
        let Some(a) = state.keymap.lookup(ev) else {
            return DialogReply::Keep;
        };
        let page = state.dialog_page_rows();
        match self.on_action(a, page, &mut state.requests) {
            EventsReply::Keep => DialogReply::Keep,
            EventsReply::Load(e) => {
                fx.push(e);
                DialogReply::Keep
            }
            // Back to what was open before.
            EventsReply::Close => match self.back.take() {
                Some(b) => DialogReply::Show(*b),
                None => DialogReply::Close,
            },
        }
    }

    /// Its events, or what the dialog behind it (a restore dialog) waits for.
    fn waits(&self, ask: &DialogAsk, id: RequestId) -> bool {
        match ask {
            DialogAsk::Events => self.loading == Some(id),
            _ => self.back.as_deref().is_some_and(|b| b.waits(ask, id)),
        }
    }

    /// Its events (an answer for the dialog behind it is not taken here).
    fn on_answer(&mut self, ask: DialogAsk, result: Result<Response, ApiError>, _cx: AnswerCx<'_>) -> Heard {
        match ask {
            DialogAsk::Events => {
                self.on_events(take(result).map_err(|e| e.to_string()));
                Heard::Taken
            }
            _ => Heard::Nothing,
        }
    }

    fn busy(&self) -> bool {
        self.loading.is_some()
    }

    /// The dialog behind it (a restore dialog) shows the job's end.
    fn on_job_end(&mut self, generation: RequestId, refusal: Option<String>) -> bool {
        self.back
            .as_deref_mut()
            .is_some_and(|b| b.on_job_end(generation, refusal))
    }
}
