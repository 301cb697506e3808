//! The "new restore session" dialog (`n`): organization, restore point (picked from the organization's
//! restore points, or a point in time typed), options.

use super::{Heard, Help};
use crate::api::ApiError;
use crate::api::models::{ApiDate, ExploreOptions, Organization, RestorePoint, SessionType};
use crate::api::points::NamedPoints;
use crate::app::dialogs::{AnswerCx, Dialog, DialogReply, Intent};
use crate::app::list::Viewport;
use crate::app::request::{DialogAsk, Request, Response, SessionAsk, take};
use crate::app::zone::DisplayZone;
use crate::app::{Action, Call, Effect, RequestId, Requests, State, To};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;

pub const HELP: Help = &[
    (Action::NextPane, "next field", "next field"),
    (Action::PrevPane, "prev field", "previous field"),
    (
        Action::Mark,
        "toggle",
        "toggle an option; in the restore points: pick the point",
    ),
    (Action::Open, "start", "start the session (Cancel button: close)"),
    (Action::Back, "close", "close without starting"),
];

/// The focused field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewSessionField {
    Organization,
    /// The organization's restore points.
    RestorePoint,
    PointInTime,
    ShowDeleted,
    AllVersions,
    Create,
    Cancel,
}

impl NewSessionField {
    const ORDER: [NewSessionField; 7] = [
        NewSessionField::Organization,
        NewSessionField::RestorePoint,
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

/// Restore points asked for at a time (more are asked for as the cursor nears the end of the loaded ones).
pub const POINTS_PAGE: u32 = 100;
/// The next page is asked for when the cursor is this close to the end of the loaded points.
const POINTS_PREFETCH: usize = 10;

/// Where the point in time the session opens at comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointSource {
    /// The organization's latest backup (nothing chosen; the time field shows it).
    Latest,
    /// The restore point under the points cursor (picked by moving in the list, Space or Enter there).
    Point,
    /// The time the operator typed.
    Typed,
}

/// The organization's restore points, as far as loaded (newest first).
#[derive(Clone, Debug, Default)]
pub struct PointsList {
    /// The organization they belong to.
    pub organization_id: Option<String>,
    pub rows: Vec<RestorePoint>,
    /// Job and repository names by id (an id without a name is shown as the id).
    pub names: BTreeMap<String, String>,
    /// How many the server has, when it says (v6 always; v7/v8 when the page carries `totalCount`).
    pub total: Option<u64>,
    /// The last page was full: more may follow.
    pub more: bool,
    /// The page request in flight (and its offset).
    pub loading: Option<RequestId>,
    /// Why the last page could not be read.
    pub error: Option<String>,
    pub cursor: usize,
    pub view: Viewport,
    /// Rows the list shows (set by the layout: what PgUp/PgDn move).
    pub page_rows: u64,
}

impl PointsList {
    pub fn selected(&self) -> Option<&RestorePoint> {
        self.rows.get(self.cursor)
    }

    /// A job's or repository's name (its id when the name is not known).
    pub fn name<'a>(&'a self, id: Option<&'a str>) -> Option<&'a str> {
        id.map(|i| self.names.get(i).map_or(i, String::as_str))
    }

    fn ask(&mut self, requests: &mut Requests, organization_id: &str, offset: u64) -> Effect {
        let r = requests.ask(
            To::Dialog(DialogAsk::RestorePoints { offset }),
            Call::RestorePoints {
                organization_id: organization_id.to_string(),
                offset,
                limit: POINTS_PAGE,
                known_names: self.names.keys().cloned().collect(),
            },
        );
        self.loading = Some(r.id);
        self.error = None;
        Effect::Request(r)
    }

    /// Starts over with the points of `organization_id`.
    fn load(&mut self, requests: &mut Requests, organization_id: &str) -> Effect {
        *self = PointsList {
            organization_id: Some(organization_id.to_string()),
            ..PointsList::default()
        };
        self.ask(requests, organization_id, 0)
    }

    /// The next page, when the cursor is near the end of the loaded points and more may follow.
    fn next_page(&mut self, requests: &mut Requests) -> Option<Effect> {
        if !self.more || self.loading.is_some() || self.cursor + POINTS_PREFETCH < self.rows.len() {
            return None;
        }
        let org = self.organization_id.clone()?;
        let offset = self.rows.len() as u64;
        Some(self.ask(requests, &org, offset))
    }
}

#[derive(Clone, Debug)]
pub struct NewSessionDialog {
    pub orgs: Vec<Organization>,
    /// The organizations request in flight.
    pub loading: Option<RequestId>,
    pub load_error: Option<String>,
    pub org_cursor: usize,
    pub org_view: Viewport,
    pub field: NewSessionField,
    /// The selected organization's restore points.
    pub points: PointsList,
    /// Where the point in time comes from (the time field always shows it).
    pub source: PointSource,
    pub time: Input,
    pub show_deleted: bool,
    pub all_versions: bool,
    /// A problem with the input or the server's refusal, shown in the dialog.
    pub error: Option<String>,
    /// The explore request in flight.
    pub submitting: Option<RequestId>,
}

/// What a key did to the dialog.
#[derive(Clone, Debug)]
pub enum NewSessionReply {
    Keep,
    Close,
    Submit(Effect),
    /// Load something (the restore points of the organization now selected, or their next page).
    Load(Effect),
}

impl NewSessionDialog {
    /// The dialog and the request of the organizations.
    pub fn new(requests: &mut Requests) -> (NewSessionDialog, Effect) {
        let r = requests.ask(To::Dialog(DialogAsk::Organizations), Call::Organizations);
        let d = NewSessionDialog {
            orgs: Vec::new(),
            loading: Some(r.id),
            load_error: None,
            org_cursor: 0,
            org_view: Viewport::default(),
            field: NewSessionField::Organization,
            points: PointsList::default(),
            source: PointSource::Latest,
            time: Input::default(),
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

    /// Takes the organizations (the request map dropped stale answers already) and asks for the
    /// first one's restore points.
    pub fn on_orgs(
        &mut self,
        result: Result<Vec<Organization>, String>,
        zone: &DisplayZone,
        requests: &mut Requests,
    ) -> Option<Effect> {
        self.loading = None;
        match result {
            Ok(orgs) => {
                self.orgs = orgs;
                self.org_cursor = 0;
                self.default_time(zone);
                self.load_points(requests)
            }
            Err(e) => {
                self.load_error = Some(e);
                None
            }
        }
    }

    /// Asks for the selected organization's restore points (none without an organization id).
    fn load_points(&mut self, requests: &mut Requests) -> Option<Effect> {
        let Some(id) = self.selected_org().and_then(|o| o.id.clone()) else {
            self.points = PointsList::default();
            return None;
        };
        Some(self.points.load(requests, &id))
    }

    /// Takes a page of restore points (the request map dropped stale answers already); false when it
    /// is not where the list ends.
    pub fn on_points(&mut self, offset: u64, result: Result<NamedPoints, String>) -> bool {
        let p = &mut self.points;
        if offset != p.rows.len() as u64 {
            return false;
        }
        p.loading = None;
        match result {
            Ok(NamedPoints { page, names }) => {
                p.more = page.results.len() >= POINTS_PAGE as usize;
                p.total = page.total_count.and_then(|t| u64::try_from(t).ok());
                p.rows.extend(page.results);
                p.names.extend(names);
                if p.total.is_some_and(|t| t <= p.rows.len() as u64) {
                    p.more = false;
                }
            }
            Err(e) => p.error = Some(e),
        }
        true
    }

    /// The restore point the session opens at, when one is picked.
    pub fn picked_point(&self) -> Option<&RestorePoint> {
        (self.source == PointSource::Point)
            .then(|| self.points.selected())
            .flatten()
    }

    /// Puts the selected organization's latest backup in the time field (unless the operator typed
    /// or picked a restore point).
    fn default_time(&mut self, zone: &DisplayZone) {
        if self.source == PointSource::Typed {
            return;
        }
        self.source = PointSource::Latest;
        let text = self
            .selected_org()
            .and_then(|o| o.last_backup_time.as_ref())
            .and_then(ApiDate::as_utc)
            .map(|t| zone.editable(t))
            .unwrap_or_default();
        self.time = Input::new(text);
    }

    /// Picks the restore point under the points cursor: the time field shows its backup time.
    fn pick_point(&mut self, zone: &DisplayZone) {
        let Some(p) = self.points.selected() else { return };
        let text = p
            .backup_time
            .as_ref()
            .and_then(ApiDate::as_utc)
            .map(|t| zone.editable(t))
            .unwrap_or_default();
        self.time = Input::new(text);
        self.source = PointSource::Point;
        self.error = None;
    }

    fn move_point(&mut self, delta: i64, zone: &DisplayZone, requests: &mut Requests) -> NewSessionReply {
        let n = self.points.rows.len() as i64;
        if n == 0 {
            return NewSessionReply::Keep;
        }
        self.points.cursor = (self.points.cursor as i64).saturating_add(delta).clamp(0, n - 1) as usize;
        self.pick_point(zone);
        match self.points.next_page(requests) {
            Some(e) => NewSessionReply::Load(e),
            None => NewSessionReply::Keep,
        }
    }

    /// Takes the explore answer: `Ok(true)` when it answers this dialog.
    pub fn on_explored(&mut self, generation: RequestId) -> bool {
        if self.submitting != Some(generation) {
            return false;
        }
        self.submitting = None;
        true
    }

    /// What a key press does to the form.
    pub fn press(&mut self, ev: &KeyEvent, zone: &DisplayZone, requests: &mut Requests) -> NewSessionReply {
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
                    NewSessionField::RestorePoint if self.points.selected().is_some() => {
                        self.pick_point(zone);
                        self.submit(zone, requests)
                    }
                    _ => self.submit(zone, requests),
                };
            }
            _ => {}
        }
        match self.field {
            NewSessionField::Organization => {
                let delta = match ev.code {
                    KeyCode::Down | KeyCode::Char('j') => 1,
                    KeyCode::Up | KeyCode::Char('k') => -1,
                    KeyCode::PageDown => 10,
                    KeyCode::PageUp => -10,
                    KeyCode::Home | KeyCode::Char('g') => i64::MIN / 2,
                    KeyCode::End | KeyCode::Char('G') => i64::MAX / 2,
                    _ => 0,
                };
                if delta != 0
                    && self.move_org(delta, zone)
                    && let Some(e) = self.load_points(requests)
                {
                    return NewSessionReply::Load(e);
                }
            }
            NewSessionField::RestorePoint => {
                let delta = match ev.code {
                    KeyCode::Down | KeyCode::Char('j') => 1,
                    KeyCode::Up | KeyCode::Char('k') => -1,
                    KeyCode::PageDown => self.points.page_rows.max(1) as i64,
                    KeyCode::PageUp => -(self.points.page_rows.max(1) as i64),
                    KeyCode::Home | KeyCode::Char('g') => i64::MIN / 2,
                    KeyCode::End | KeyCode::Char('G') => i64::MAX / 2,
                    KeyCode::Char(' ') => 0,
                    _ => return NewSessionReply::Keep,
                };
                return self.move_point(delta, zone, requests);
            }
            NewSessionField::PointInTime => match ev.code {
                KeyCode::Up => self.field = self.field.step(false),
                KeyCode::Down => self.field = self.field.step(true),
                _ => {
                    let before = self.time.value().to_string();
                    if let Some(req) = to_input_request(&crossterm::event::Event::Key(*ev)) {
                        self.time.handle(req);
                    }
                    if before != self.time.value() {
                        self.source = PointSource::Typed;
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
                    NewSessionField::Create => return self.submit(zone, requests),
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

    /// Moves the organization cursor; true when another organization is selected.
    fn move_org(&mut self, delta: i64, zone: &DisplayZone) -> bool {
        if self.orgs.is_empty() {
            return false;
        }
        let n = self.orgs.len() as i64;
        let next = (self.org_cursor as i64).saturating_add(delta).clamp(0, n - 1) as usize;
        if next == self.org_cursor {
            return false;
        }
        self.org_cursor = next;
        self.error = None;
        if self.source == PointSource::Point {
            self.source = PointSource::Latest;
        }
        self.default_time(zone);
        true
    }

    /// Validates the input and builds the explore request.
    fn submit(&mut self, zone: &DisplayZone, requests: &mut Requests) -> NewSessionReply {
        let Some(org) = self.selected_org() else {
            self.error = Some("no organization to explore".into());
            return NewSessionReply::Keep;
        };
        let Some(org_id) = org.id.clone() else {
            self.error = Some("the organization has no id".into());
            return NewSessionReply::Keep;
        };
        let picked = self.picked_point();
        let repository_id = picked.and_then(|p| p.repository_id.clone());
        let when = if let Some(p) = picked {
            // The point's own time, exactly (to the sub-second), not its rounded display.
            match &p.backup_time {
                Some(t) if t.as_utc().is_some() => Some(t.clone()),
                _ => {
                    self.error = Some("that restore point has no readable backup time: type a time".into());
                    return NewSessionReply::Keep;
                }
            }
        } else if self.source == PointSource::Typed || org.last_backup_time.is_none() {
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
        let r = requests.ask(
            To::Session(SessionAsk::Explore),
            Call::Explore {
                organization_id: org_id,
                options: ExploreOptions {
                    date_time: when,
                    session_type: Some(SessionType::Vex),
                    show_deleted: Some(self.show_deleted),
                    show_all_versions: Some(self.all_versions),
                    // Sent on v8 only (the client drops it for v6/v7, whose explore has no repository).
                    repository_id,
                },
                // The dialog knows no state dir: the app adds where the point is written down.
                remember: None,
            },
        );
        self.submitting = Some(r.id);
        self.error = None;
        NewSessionReply::Submit(Effect::Request(r))
    }
}

impl Dialog for NewSessionDialog {
    fn on_key(&mut self, state: &mut State, ev: &KeyEvent, fx: &mut Vec<Effect>) -> DialogReply {
        match self.press(ev, &state.zone, &mut state.requests) {
            NewSessionReply::Keep => DialogReply::Keep,
            NewSessionReply::Load(e) => {
                fx.push(e);
                DialogReply::Keep
            }
            NewSessionReply::Close => {
                if state.starting_session() {
                    state.info("the session is still being created: it will show in the list");
                }
                DialogReply::Close
            }
            NewSessionReply::Submit(mut e) => {
                if let Effect::Request(Request {
                    call: Call::Explore { remember, .. },
                    ..
                }) = &mut e
                {
                    *remember = crate::app::point::remember(state, self);
                }
                DialogReply::Do(Intent::StartSession(e))
            }
        }
    }

    fn waits(&self, ask: &DialogAsk, id: RequestId) -> bool {
        match ask {
            DialogAsk::Organizations => self.loading == Some(id),
            DialogAsk::RestorePoints { .. } => self.points.loading == Some(id),
            _ => false,
        }
    }

    fn on_answer(&mut self, ask: DialogAsk, result: Result<Response, ApiError>, cx: AnswerCx<'_>) -> Heard {
        match ask {
            DialogAsk::Organizations => {
                let (orgs, err) = super::split_answer(result);
                cx.fx.extend(self.on_orgs(orgs, cx.zone, cx.requests));
                Heard::Noted("organizations", err)
            }
            DialogAsk::RestorePoints { offset } => {
                // The dialog says what went wrong in its list (the points are optional: a time can be typed).
                let result = take(result).map_err(|e| e.to_string());
                if self.on_points(offset, result) {
                    Heard::Taken
                } else {
                    Heard::Nothing
                }
            }
            _ => Heard::Nothing,
        }
    }

    fn busy(&self) -> bool {
        self.loading.is_some() || self.points.loading.is_some()
    }
}
