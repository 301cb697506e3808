//! The one machine of the dialogs that start a job — the restore dialog ([`super::restore_dialog`]) and the
//! export / save / send dialog ([`super::transfer_dialog`]): a form, then (when the form asks for it) a
//! confirmation whose default is Cancel, then the job running, then its result.
//!
//! Here, once: the phases ([`JobPhase`]), the keys of the confirmation, of the running job and of its
//! result, moving the focus between the form's fields, sending and taking the job's end (a refusal
//! goes back to the form with every field kept; nothing is ever sent twice). Plugged in by each dialog
//! ([`JobDialog`]): its fields and their keys, its validation and what its confirmation says, the call
//! it sends (through `app::jobs`), and its words.

use crate::app::dialogs::DialogReply;
use crate::app::{Effect, RequestId, State};
use crossterm::event::{KeyCode, KeyEvent};

/// Where a job dialog is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobPhase {
    Form,
    /// What will happen; `yes` when the sending button is selected (Cancel is the default).
    Confirm {
        yes: bool,
        lines: Vec<String>,
    },
    /// Sent: the job of `generation` runs. `stop`: the "stop waiting" button is selected.
    Running {
        generation: RequestId,
        stop: bool,
    },
    /// The job of `generation` ended (its result is in the results list). `events`: that button is
    /// selected (only in dialogs that offer the events).
    Done {
        generation: RequestId,
        events: bool,
    },
}

impl JobPhase {
    /// The job shown (running or done).
    pub fn job(&self) -> Option<RequestId> {
        match self {
            JobPhase::Running { generation, .. } | JobPhase::Done { generation, .. } => Some(*generation),
            _ => None,
        }
    }

    /// True while the job runs (the form is locked; Enter never sends again).
    pub fn is_running(&self) -> bool {
        matches!(self, JobPhase::Running { .. })
    }
}

/// What a key asks of the browser. `A`: what the dialog's form asks beyond the machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobReply<A> {
    Keep,
    Close,
    /// The operator confirmed (or the form needs no confirmation): send the job the form describes.
    Send,
    /// Close while the job runs (it goes on on the server).
    StopWaiting,
    /// Show the events of the job's session.
    Events,
    /// The form's own request.
    Form(A),
}

/// A dialog that starts a job: the parts plugged into the machine.
pub trait JobDialog {
    /// A field or button of the form.
    type Field: Copy + PartialEq;
    /// What the form asks of the browser beyond sending (the restore dialog: a device code, the target's
    /// folders).
    type Ask;

    fn phase(&self) -> &JobPhase;
    fn phase_mut(&mut self) -> &mut JobPhase;
    /// The focused field.
    fn focus_mut(&mut self) -> &mut Self::Field;
    /// The server's refusal (or another problem sending), shown in the form.
    fn server_error_mut(&mut self) -> &mut Option<String>;
    /// The fields shown, in Tab order.
    fn field_order(&self) -> Vec<Self::Field>;
    /// A key in the form phase (its fields, its validation; a form that is fine either confirms or
    /// replies [`JobReply::Send`]).
    fn form_key(&mut self, ev: &KeyEvent) -> JobReply<Self::Ask>;
    /// Sends the job the form describes (through `app::jobs`, which records it), then [`JobDialog::sent`].
    fn send(&mut self, state: &mut State, fx: &mut Vec<Effect>);
    /// Does what the form asked.
    fn ask(&mut self, ask: Self::Ask, state: &mut State, fx: &mut Vec<Effect>);
    /// What the status line says when the operator stops waiting.
    fn stop_waiting_words(&self) -> &'static str;
    /// Whether the running and done phases offer the job's events (`e`).
    fn offers_events(&self) -> bool {
        false
    }
    /// The focus moved to another field.
    fn focus_moved(&mut self) {}
    /// The job ended: what the form lets go of (secrets).
    fn ended(&mut self) {}

    /// What a key press does to the dialog: the form's keys in the form phase, the machine's otherwise.
    fn press(&mut self, ev: &KeyEvent) -> JobReply<Self::Ask> {
        let events = self.offers_events();
        match self.phase_mut() {
            JobPhase::Form => self.form_key(ev),
            JobPhase::Confirm { yes, .. } => match ev.code {
                KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('n') => {
                    *self.phase_mut() = JobPhase::Form;
                    JobReply::Keep
                }
                KeyCode::Tab
                | KeyCode::BackTab
                | KeyCode::Left
                | KeyCode::Right
                | KeyCode::Char('h')
                | KeyCode::Char('l') => {
                    *yes = !*yes;
                    JobReply::Keep
                }
                KeyCode::Enter | KeyCode::Char(' ') if *yes => JobReply::Send,
                KeyCode::Enter | KeyCode::Char(' ') => {
                    *self.phase_mut() = JobPhase::Form;
                    JobReply::Keep
                }
                _ => JobReply::Keep,
            },
            JobPhase::Running { stop, .. } => match ev.code {
                KeyCode::Esc | KeyCode::Char('q') => JobReply::StopWaiting,
                KeyCode::Tab | KeyCode::BackTab | KeyCode::Left | KeyCode::Right => {
                    *stop = !*stop;
                    JobReply::Keep
                }
                // Enter on the (disabled) sending button does nothing: nothing is ever sent twice.
                KeyCode::Enter | KeyCode::Char(' ') if *stop => JobReply::StopWaiting,
                KeyCode::Char('e') if events => JobReply::Events,
                _ => JobReply::Keep,
            },
            JobPhase::Done { events: on_events, .. } => match ev.code {
                KeyCode::Esc | KeyCode::Char('q') => JobReply::Close,
                KeyCode::Char('e') if events => JobReply::Events,
                KeyCode::Tab | KeyCode::BackTab | KeyCode::Left | KeyCode::Right if events => {
                    *on_events = !*on_events;
                    JobReply::Keep
                }
                KeyCode::Enter | KeyCode::Char(' ') if *on_events => JobReply::Events,
                KeyCode::Enter | KeyCode::Char(' ') => JobReply::Close,
                _ => JobReply::Keep,
            },
        }
    }

    /// Moves the focus to the next (or previous) field, round.
    fn step(&mut self, forward: bool) {
        let fields = self.field_order();
        let n = fields.len();
        if n == 0 {
            return;
        }
        let focus = self.focus_mut();
        let i = fields.iter().position(|f| *f == *focus).unwrap_or(0);
        *focus = fields[if forward { (i + 1) % n } else { (i + n - 1) % n }];
        self.focus_moved();
    }

    /// The job was sent as `generation`: the form locks.
    fn sent(&mut self, generation: RequestId) {
        *self.server_error_mut() = None;
        *self.phase_mut() = JobPhase::Running {
            generation,
            stop: false,
        };
    }

    /// The server refused (or the request could not be made): back to the form with every field kept.
    fn refused(&mut self, message: String) {
        *self.server_error_mut() = Some(message);
        *self.phase_mut() = JobPhase::Form;
    }

    /// The job ended with an outcome (or an unknown one): show it.
    fn done(&mut self, generation: RequestId) {
        self.ended();
        *self.phase_mut() = JobPhase::Done {
            generation,
            events: false,
        };
    }

    /// The end of job `generation` (`refusal`: refused or failed): taken when this dialog shows that
    /// job; true when it did.
    fn job_ended(&mut self, generation: RequestId, refusal: Option<String>) -> bool {
        if self.phase().job() != Some(generation) {
            return false;
        }
        match refusal {
            Some(m) => self.refused(m),
            None => self.done(generation),
        }
        true
    }
}

/// The key of a job dialog, applied: the one `Dialog::on_key` of the restore and transfer dialogs.
pub fn on_key<D: JobDialog>(d: &mut D, state: &mut State, ev: &KeyEvent, fx: &mut Vec<Effect>) -> DialogReply {
    match d.press(ev) {
        JobReply::Keep => DialogReply::Keep,
        JobReply::Close => DialogReply::Close,
        JobReply::StopWaiting => {
            state.info(d.stop_waiting_words());
            DialogReply::Close
        }
        JobReply::Send => {
            d.send(state, fx);
            DialogReply::Keep
        }
        JobReply::Events => DialogReply::EventsOver(d.phase().job()),
        JobReply::Form(ask) => {
            d.ask(ask, state, fx);
            DialogReply::Keep
        }
    }
}

/// Nothing: what a form that asks nothing of the browser asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoAsk {}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    /// The smallest form: two fields, sends without confirming unless `confirm`.
    struct Form {
        phase: JobPhase,
        field: u8,
        server_error: Option<String>,
        confirm: bool,
        events: bool,
        ended: bool,
    }

    impl JobDialog for Form {
        type Field = u8;
        type Ask = NoAsk;
        fn phase(&self) -> &JobPhase {
            &self.phase
        }
        fn phase_mut(&mut self) -> &mut JobPhase {
            &mut self.phase
        }
        fn focus_mut(&mut self) -> &mut u8 {
            &mut self.field
        }
        fn server_error_mut(&mut self) -> &mut Option<String> {
            &mut self.server_error
        }
        fn field_order(&self) -> Vec<u8> {
            vec![1, 2]
        }
        fn form_key(&mut self, ev: &KeyEvent) -> JobReply<NoAsk> {
            match ev.code {
                KeyCode::Tab => self.step(true),
                KeyCode::Enter if self.confirm => {
                    self.phase = JobPhase::Confirm {
                        yes: false,
                        lines: vec!["Do it".into()],
                    }
                }
                KeyCode::Enter => return JobReply::Send,
                _ => {}
            }
            JobReply::Keep
        }
        fn send(&mut self, _: &mut State, _: &mut Vec<Effect>) {}
        fn ask(&mut self, ask: NoAsk, _: &mut State, _: &mut Vec<Effect>) {
            match ask {}
        }
        fn stop_waiting_words(&self) -> &'static str {
            "stopped waiting"
        }
        fn offers_events(&self) -> bool {
            self.events
        }
        fn ended(&mut self) {
            self.ended = true;
        }
    }

    fn form(confirm: bool, events: bool) -> Form {
        Form {
            phase: JobPhase::Form,
            field: 1,
            server_error: None,
            confirm,
            events,
            ended: false,
        }
    }

    fn key(f: &mut Form, code: KeyCode) -> JobReply<NoAsk> {
        f.press(&KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn confirm_defaults_to_cancel_and_a_running_job_is_never_sent_again() {
        let mut f = form(true, false);
        key(&mut f, KeyCode::Tab);
        assert_eq!(f.field, 2);
        key(&mut f, KeyCode::Tab);
        assert_eq!(f.field, 1, "round");
        key(&mut f, KeyCode::Enter);
        assert!(matches!(f.phase, JobPhase::Confirm { yes: false, .. }));
        assert_eq!(key(&mut f, KeyCode::Enter), JobReply::Keep, "Cancel is the default");
        assert_eq!(f.phase, JobPhase::Form);
        key(&mut f, KeyCode::Enter);
        key(&mut f, KeyCode::Right);
        assert_eq!(key(&mut f, KeyCode::Enter), JobReply::Send);
        f.sent(4);
        assert_eq!(key(&mut f, KeyCode::Enter), JobReply::Keep, "the sending button is off");
        assert_eq!(key(&mut f, KeyCode::Char('e')), JobReply::Keep, "no events offered");
        key(&mut f, KeyCode::Tab);
        assert_eq!(key(&mut f, KeyCode::Enter), JobReply::StopWaiting);
        // Another job's end is not this dialog's; its own refusal keeps the form.
        assert!(!f.job_ended(5, None));
        assert!(f.job_ended(4, Some("no".into())));
        assert_eq!(
            (f.phase.clone(), f.server_error.as_deref()),
            (JobPhase::Form, Some("no"))
        );
        assert!(!f.ended);
    }

    #[test]
    fn the_done_phase_offers_the_events_only_where_the_dialog_does() {
        for events in [false, true] {
            let mut f = form(false, events);
            assert_eq!(key(&mut f, KeyCode::Enter), JobReply::Send, "no confirmation asked");
            f.sent(1);
            assert!(f.job_ended(1, None));
            assert!(f.ended, "the form let go of its secrets");
            assert_eq!(f.phase.job(), Some(1));
            key(&mut f, KeyCode::Tab);
            let enter = key(&mut f, KeyCode::Enter);
            if events {
                assert_eq!(enter, JobReply::Events, "Tab selected the events button");
                assert_eq!(key(&mut f, KeyCode::Char('e')), JobReply::Events);
            } else {
                assert_eq!(enter, JobReply::Close);
                assert_eq!(key(&mut f, KeyCode::Char('e')), JobReply::Keep);
            }
        }
    }
}
