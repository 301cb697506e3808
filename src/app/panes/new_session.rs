//! The "new restore session" dialog (`n`): organization, point in time, options.

use super::Help;
use crate::api::models::{ApiDate, ExploreOptions, Organization, SessionType};
use crate::app::list::Viewport;
use crate::app::zone::DisplayZone;
use crate::app::{Action, Call, Effect, Gen, Gens, To};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;

pub const HELP: Help = &[
    (Action::NextPane, "next field", "next field"),
    (Action::PrevPane, "prev field", "previous field"),
    (Action::Mark, "toggle", "toggle an option"),
    (Action::Open, "start", "start the session (Cancel button: close)"),
    (Action::Back, "close", "close without starting"),
];

/// The focused field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewSessionField {
    Organization,
    PointInTime,
    ShowDeleted,
    AllVersions,
    Create,
    Cancel,
}

impl NewSessionField {
    const ORDER: [NewSessionField; 6] = [
        NewSessionField::Organization,
        NewSessionField::PointInTime,
        NewSessionField::ShowDeleted,
        NewSessionField::AllVersions,
        NewSessionField::Create,
        NewSessionField::Cancel,
    ];

    fn step(self, forward: bool) -> NewSessionField {
        let i = NewSessionField::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        let n = NewSessionField::ORDER.len();
        NewSessionField::ORDER[if forward { (i + 1) % n } else { (i + n - 1) % n }]
    }
}

#[derive(Clone, Debug)]
pub struct NewSessionDialog {
    pub orgs: Vec<Organization>,
    /// The organizations request in flight.
    pub loading: Option<Gen>,
    pub load_error: Option<String>,
    pub org_cursor: usize,
    pub org_view: Viewport,
    pub field: NewSessionField,
    pub time: Input,
    /// True once the operator typed in the time field (then a new organization keeps the text).
    pub time_edited: bool,
    pub show_deleted: bool,
    pub all_versions: bool,
    /// A problem with the input or the server's refusal, shown in the dialog.
    pub error: Option<String>,
    /// The explore request in flight.
    pub submitting: Option<Gen>,
}

/// What a key did to the dialog.
#[derive(Clone, Debug)]
pub enum NewSessionReply {
    Keep,
    Close,
    Submit(Effect),
}

impl NewSessionDialog {
    /// The dialog and the request of the organizations.
    pub fn new(gens: &mut Gens) -> (NewSessionDialog, Effect) {
        let r = gens.ask(To::NewSession, Call::Organizations);
        let d = NewSessionDialog {
            orgs: Vec::new(),
            loading: Some(r.id),
            load_error: None,
            org_cursor: 0,
            org_view: Viewport::default(),
            field: NewSessionField::Organization,
            time: Input::default(),
            time_edited: false,
            show_deleted: false,
            all_versions: false,
            error: None,
            submitting: None,
        };
        (d, Effect::Request(r))
    }

    pub fn selected_org(&self) -> Option<&Organization> {
        self.orgs.get(self.org_cursor)
    }

    /// Takes the organizations; false when stale.
    pub fn on_orgs(&mut self, generation: Gen, result: Result<Vec<Organization>, String>, zone: &DisplayZone) -> bool {
        if self.loading != Some(generation) {
            return false;
        }
        self.loading = None;
        match result {
            Ok(orgs) => {
                self.orgs = orgs;
                self.org_cursor = 0;
                self.default_time(zone);
            }
            Err(e) => self.load_error = Some(e),
        }
        true
    }

    /// Puts the selected organization's latest backup in the time field (unless the operator typed).
    fn default_time(&mut self, zone: &DisplayZone) {
        if self.time_edited {
            return;
        }
        let text = self
            .selected_org()
            .and_then(|o| o.last_backup_time.as_ref())
            .and_then(ApiDate::as_utc)
            .map(|t| zone.editable(t))
            .unwrap_or_default();
        self.time = Input::new(text);
    }

    /// Takes the explore answer: `Ok(true)` when it answers this dialog.
    pub fn on_explored(&mut self, generation: Gen) -> bool {
        if self.submitting != Some(generation) {
            return false;
        }
        self.submitting = None;
        true
    }

    pub fn on_key(&mut self, ev: &KeyEvent, zone: &DisplayZone, gens: &mut Gens) -> NewSessionReply {
        if self.submitting.is_some() {
            // Waiting for the server: only closing is possible (the session may still be created).
            return if ev.code == KeyCode::Esc {
                NewSessionReply::Close
            } else {
                NewSessionReply::Keep
            };
        }
        match ev.code {
            KeyCode::Esc => return NewSessionReply::Close,
            KeyCode::Tab => {
                self.field = self.field.step(true);
                return NewSessionReply::Keep;
            }
            KeyCode::BackTab => {
                self.field = self.field.step(false);
                return NewSessionReply::Keep;
            }
            KeyCode::Enter => {
                return match self.field {
                    NewSessionField::Cancel => NewSessionReply::Close,
                    _ => self.submit(zone, gens),
                };
            }
            _ => {}
        }
        match self.field {
            NewSessionField::Organization => match ev.code {
                KeyCode::Down | KeyCode::Char('j') => self.move_org(1, zone),
                KeyCode::Up | KeyCode::Char('k') => self.move_org(-1, zone),
                KeyCode::PageDown => self.move_org(10, zone),
                KeyCode::PageUp => self.move_org(-10, zone),
                KeyCode::Home | KeyCode::Char('g') => self.move_org(i64::MIN / 2, zone),
                KeyCode::End | KeyCode::Char('G') => self.move_org(i64::MAX / 2, zone),
                _ => {}
            },
            NewSessionField::PointInTime => match ev.code {
                KeyCode::Up => self.field = self.field.step(false),
                KeyCode::Down => self.field = self.field.step(true),
                _ => {
                    let before = self.time.value().to_string();
                    if let Some(req) = to_input_request(&crossterm::event::Event::Key(*ev)) {
                        self.time.handle(req);
                    }
                    if before != self.time.value() {
                        self.time_edited = true;
                        self.error = None;
                    }
                }
            },
            NewSessionField::ShowDeleted
            | NewSessionField::AllVersions
            | NewSessionField::Create
            | NewSessionField::Cancel => match ev.code {
                KeyCode::Char(' ') if ev.modifiers - KeyModifiers::SHIFT == KeyModifiers::NONE => match self.field {
                    NewSessionField::ShowDeleted => self.show_deleted = !self.show_deleted,
                    NewSessionField::AllVersions => self.all_versions = !self.all_versions,
                    NewSessionField::Create => return self.submit(zone, gens),
                    NewSessionField::Cancel => return NewSessionReply::Close,
                    _ => {}
                },
                KeyCode::Down | KeyCode::Char('j') | KeyCode::Right | KeyCode::Char('l') => {
                    self.field = self.field.step(true)
                }
                KeyCode::Up | KeyCode::Char('k') | KeyCode::Left | KeyCode::Char('h') => {
                    self.field = self.field.step(false)
                }
                _ => {}
            },
        }
        NewSessionReply::Keep
    }

    fn move_org(&mut self, delta: i64, zone: &DisplayZone) {
        if self.orgs.is_empty() {
            return;
        }
        let n = self.orgs.len() as i64;
        let next = (self.org_cursor as i64).saturating_add(delta).clamp(0, n - 1) as usize;
        if next != self.org_cursor {
            self.org_cursor = next;
            self.error = None;
            self.default_time(zone);
        }
    }

    /// Validates the input and builds the explore request.
    fn submit(&mut self, zone: &DisplayZone, gens: &mut Gens) -> NewSessionReply {
        let Some(org) = self.selected_org() else {
            self.error = Some("no organization to explore".into());
            return NewSessionReply::Keep;
        };
        let Some(org_id) = org.id.clone() else {
            self.error = Some("the organization has no id".into());
            return NewSessionReply::Keep;
        };
        let when = if self.time_edited || org.last_backup_time.is_none() {
            let text = self.time.value().trim();
            if text.is_empty() {
                None
            } else {
                match zone.parse_input(text) {
                    Some(t) => Some(ApiDate::Utc(t)),
                    None => {
                        self.error = Some(format!("cannot read {text:?}: use YYYY-MM-DD HH:MM[:SS] (local time)"));
                        self.field = NewSessionField::PointInTime;
                        return NewSessionReply::Keep;
                    }
                }
            }
        } else {
            // Untouched: the latest backup exactly (to the sub-second), not its rounded display.
            org.last_backup_time.clone()
        };
        if let (Some(w), Some(first)) = (
            when.as_ref().and_then(ApiDate::as_utc),
            org.first_backup_time.as_ref().and_then(ApiDate::as_utc),
        ) && w < first
        {
            self.error = Some(format!(
                "that is before the first backup ({})",
                zone.short(&ApiDate::Utc(first))
            ));
            self.field = NewSessionField::PointInTime;
            return NewSessionReply::Keep;
        }
        let r = gens.ask(
            To::Explore,
            Call::Explore {
                organization_id: org_id,
                options: ExploreOptions {
                    date_time: when,
                    session_type: Some(SessionType::Vex),
                    show_deleted: Some(self.show_deleted),
                    show_all_versions: Some(self.all_versions),
                    repository_id: None,
                },
            },
        );
        self.submitting = Some(r.id);
        self.error = None;
        NewSessionReply::Submit(Effect::Request(r))
    }
}
