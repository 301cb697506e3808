//! The point in time of a restore session, as vex knows it, in the words every screen uses (sessions
//! list, breadcrumb, header). A restore session resource carries no point in time (the spec's
//! `RESTRestoreSession` has none): vex knows it for the sessions it started — this run (`State::explored`)
//! or an earlier one (the state dir's `session_points.json`, read by the runtime at start-up into the
//! same map) — and says plainly that it is not known for the others. Every time names its zone.

use super::State;
use super::panes::new_session::NewSessionDialog;
use super::request::RememberPoint;
use crate::api::models::ApiDate;
use crate::config::session_points::SessionPoint;

/// What vex knows of a session's point in time.
#[derive(Clone, Debug, PartialEq)]
pub enum PointOf<'a> {
    /// Asked for when vex started the session.
    At(&'a ApiDate),
    /// vex started the session without a time: the latest backup when it was created.
    Latest,
    /// Started elsewhere (or by a vex that kept no record): the server does not say.
    Unknown,
}

/// The point in time of session `session_id`.
pub fn of<'a>(state: &'a State, session_id: &str) -> PointOf<'a> {
    match state.explored.get(session_id) {
        Some(Some(at)) => PointOf::At(at),
        Some(None) => PointOf::Latest,
        None => PointOf::Unknown,
    }
}

/// `2024-03-01 02:00 UTC+01:00`: a date in the display zone, with the zone.
pub fn zoned(state: &State, d: &ApiDate) -> String {
    match d.as_utc() {
        Some(t) => format!("{} {}", state.zone.short(d), state.zone.label_at(t)),
        None => crate::text::sanitize(&state.zone.short(d)).into_owned(),
    }
}

/// For a list cell: `2024-03-01 02:00` (the column names the zone), `latest`, `not known`.
pub fn cell(state: &State, session_id: &str) -> String {
    match of(state, session_id) {
        PointOf::At(d) => crate::text::sanitize(&state.zone.short(d)).into_owned(),
        PointOf::Latest => "latest backup".into(),
        PointOf::Unknown => "not known".into(),
    }
}

/// For the breadcrumb and the header: `point in time 2024-03-01 02:00 UTC`, `point in time: the latest
/// backup`, `point in time not known`.
pub fn label(state: &State, session_id: &str) -> String {
    match of(state, session_id) {
        PointOf::At(d) => format!("point in time {}", zoned(state, d)),
        PointOf::Latest => "point in time: the latest backup".into(),
        PointOf::Unknown => "point in time not known".into(),
    }
}

/// Where the runtime writes down the point in time of the session the dialog starts (none without a
/// state dir).
pub fn remember(state: &State, d: &NewSessionDialog) -> Option<Box<RememberPoint>> {
    let file = state.points_file.clone()?;
    Some(Box::new(RememberPoint {
        file,
        restore_point_id: d.picked_point().and_then(|p| p.id.clone()),
    }))
}

/// Takes the points in time remembered for this server (read from the state dir by the runtime).
pub fn known(state: &mut State, points: Vec<SessionPoint>) {
    for p in points {
        let at = p.point_in_time.as_deref().map(ApiDate::parse);
        state.explored.insert(p.session_id, at);
    }
}
