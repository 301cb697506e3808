//! The dialogs over the panes ([`Overlay`]) and their contract ([`Dialog`]): each dialog takes its keys
//! and the answers to its requests itself and says what the browser should do next in one shape,
//! [`DialogReply`]. This module is the one place that names every dialog (`ui::dialogs::draw` is its
//! drawing twin); the switchboard (`app::update`) only hands a key to [`Overlay::on_key`] and applies the
//! [`Intent`] it may return.

use super::panes::Heard;
use super::panes::batch::BatchView;
use super::panes::confirm::ConfirmDialog;
use super::panes::events::EventsView;
use super::panes::help::HelpDialog;
use super::panes::new_session::NewSessionDialog;
use super::panes::restore_dialog::RestoreDialog;
use super::panes::results::ResultsView;
use super::panes::search_prompt::SearchPrompt;
use super::panes::transfer_dialog::TransferDialog;
use super::request::{DialogAsk, RequestId, Requests, Response};
use super::{DisplayZone, Effect, State, jobs};
use crate::api::ApiError;
use crossterm::event::KeyEvent;

/// A dialog over the panes.
#[derive(Clone, Debug)]
pub enum Overlay {
    Help(HelpDialog),
    NewSession(NewSessionDialog),
    Confirm(ConfirmDialog),
    /// The guided restore (form, confirmation, progress, result).
    Restore(Box<RestoreDialog>),
    /// Export to PST, save as MSG, send by mail.
    Transfer(Box<TransferDialog>),
    /// A restore session's events.
    Events(Box<EventsView>),
    /// The results of this run's restores, exports and sends.
    Results(ResultsView),
    /// The server-side search prompt (`s`).
    Search(SearchPrompt),
    /// Batches: the journal's, the running one, and starting one (`B`).
    Batches(Box<BatchView>),
}

/// What a key did to a dialog: the one reply shape of every dialog.
#[derive(Debug)]
pub enum DialogReply {
    /// It stays open (changed or not).
    Keep,
    /// It closes.
    Close,
    /// It closes and this dialog shows in its place (the one the events view was opened over).
    Show(Overlay),
    /// It stays, under the events view of job `Some(id)` (or of the browsed session): Esc in the events
    /// view comes back to it.
    EventsOver(Option<RequestId>),
    /// The browser does this (what only the switchboard can do); the dialog stays open when
    /// [`Intent::keeps_dialog`] says so, else it closes.
    Do(Intent),
}

/// What a dialog asks of the browser beyond itself: quitting, and starting or stopping restore
/// sessions (the switchboard keeps track of those).
#[derive(Debug)]
pub enum Intent {
    Quit,
    /// Start a restore session: the `Call::Explore` request the new-session dialog built (its point in
    /// time to remember filled in).
    StartSession(Effect),
    StopSession {
        session_id: String,
    },
    /// Stop these sessions (which vex started), then quit.
    StopThenQuit {
        session_ids: Vec<String>,
    },
}

impl Intent {
    /// Whether the dialog that asked stays open meanwhile (the new-session dialog waits for the session).
    pub fn keeps_dialog(&self) -> bool {
        matches!(self, Intent::StartSession(_))
    }
}

/// A dialog: its keys, and the answers to the requests it made.
pub trait Dialog {
    /// A key pressed while this dialog is on top. The dialog has been taken off `state` to be given
    /// the key (`state.overlay` is empty meanwhile); requests it makes go to `fx`.
    fn on_key(&mut self, state: &mut State, ev: &KeyEvent, fx: &mut Vec<Effect>) -> DialogReply;

    /// Whether it still waits for the answer `id` to `ask` (see [`crate::app::request`]).
    fn waits(&self, _ask: &DialogAsk, _id: RequestId) -> bool {
        false
    }

    /// The answer to a request it made and still waits for. `tick`: now (the device code's countdown);
    /// requests it makes next go to `fx`.
    fn on_answer(&mut self, _ask: DialogAsk, _result: Result<Response, ApiError>, _cx: AnswerCx<'_>) -> Heard {
        Heard::Nothing
    }

    /// True while it waits for something the operator waits for (the spinner turns).
    fn busy(&self) -> bool {
        false
    }

    /// Job `generation` ended (`refusal`: refused or failed): a dialog showing that job shows its end.
    /// True when one did.
    fn on_job_end(&mut self, _generation: RequestId, _refusal: Option<String>) -> bool {
        false
    }
}

/// What a dialog may use while it takes an answer.
pub struct AnswerCx<'a> {
    pub zone: &'a DisplayZone,
    pub tick: u64,
    pub requests: &'a mut Requests,
    pub fx: &'a mut Vec<Effect>,
}

impl Overlay {
    fn dialog(&self) -> &dyn Dialog {
        match self {
            Overlay::Help(d) => d,
            Overlay::NewSession(d) => d,
            Overlay::Confirm(d) => d,
            Overlay::Restore(d) => d.as_ref(),
            Overlay::Transfer(d) => d.as_ref(),
            Overlay::Events(d) => d.as_ref(),
            Overlay::Results(d) => d,
            Overlay::Search(d) => d,
            Overlay::Batches(d) => d.as_ref(),
        }
    }

    fn dialog_mut(&mut self) -> &mut dyn Dialog {
        match self {
            Overlay::Help(d) => d,
            Overlay::NewSession(d) => d,
            Overlay::Confirm(d) => d,
            Overlay::Restore(d) => d.as_mut(),
            Overlay::Transfer(d) => d.as_mut(),
            Overlay::Events(d) => d.as_mut(),
            Overlay::Results(d) => d,
            Overlay::Search(d) => d,
            Overlay::Batches(d) => d.as_mut(),
        }
    }

    /// Gives a key to this dialog (taken off `state`): the dialog to show next (`None`: none), and what
    /// the browser should do.
    pub fn on_key(
        mut self,
        state: &mut State,
        ev: &KeyEvent,
        fx: &mut Vec<Effect>,
    ) -> (Option<Overlay>, Option<Intent>) {
        match self.dialog_mut().on_key(state, ev, fx) {
            DialogReply::Keep => (Some(self), None),
            DialogReply::Close => (None, None),
            DialogReply::Show(o) => (Some(o), None),
            DialogReply::EventsOver(job) => {
                jobs::open_events(state, job, Some(self), fx);
                (state.overlay.take(), None)
            }
            DialogReply::Do(i) => (i.keeps_dialog().then_some(self), Some(i)),
        }
    }

    /// Whether this dialog (or the restore dialog behind the events view) still waits for the answer
    /// `id` to `ask`.
    pub fn waits(&self, ask: &DialogAsk, id: RequestId) -> bool {
        self.dialog().waits(ask, id)
    }

    /// The answer to a request this dialog made (the one on top takes it; a restore dialog behind the
    /// events view lets it go). `tick`: now, for the device code's countdown. Requests it makes next go
    /// to `fx`.
    pub fn on_answer(
        &mut self,
        ask: DialogAsk,
        result: Result<Response, ApiError>,
        zone: &DisplayZone,
        tick: u64,
        requests: &mut Requests,
        fx: &mut Vec<Effect>,
    ) -> Heard {
        let cx = AnswerCx {
            zone,
            tick,
            requests,
            fx,
        };
        self.dialog_mut().on_answer(ask, result, cx)
    }

    /// True while the dialog waits for something the operator waits for.
    pub fn busy(&self) -> bool {
        self.dialog().busy()
    }

    /// Job `generation` ended (`refusal`: refused or failed): the dialog showing it (on top, or behind
    /// the events view) shows its end. True when one did.
    pub fn on_job_end(&mut self, generation: RequestId, refusal: Option<String>) -> bool {
        self.dialog_mut().on_job_end(generation, refusal)
    }

    /// A restore session started (request `id`): the new-session dialog that asked for it learns the
    /// outcome (`Err`: the server's refusal, shown in it). True when this is that dialog.
    pub fn on_session_started(&mut self, id: RequestId, result: Result<(), String>) -> bool {
        let Overlay::NewSession(d) = self else { return false };
        let asked = d.on_explored(id);
        if let Err(e) = result {
            d.error = Some(e);
        }
        asked
    }
}
