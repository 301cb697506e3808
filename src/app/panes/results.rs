//! The results of this run's restores, exports and sends (`R`), newest first, with the details of the
//! selected one; `e` shows its session's events.
//!
//! Each result in the list is one line (its status mark, when it was sent, what it did and how it ended)
//! and then where it went, wrapped: the destination is never cut (`…vc-restore@…` must not read as
//! another account). The entries are therefore of different heights; [`ResultsView::top`] is the first
//! one shown, moved by the layout ([`crate::app::layout`]) so the selected one is whole on screen.

use super::Help;
use crate::app::dialogs::{Dialog, DialogReply};
use crate::app::jobs::{Job, JobKind, JobStatus, counts};
use crate::app::zone::DisplayZone;
use crate::app::{Action, Effect, State};
use crate::text::{human_size, sanitize, truncate, width, wrap};
use crossterm::event::KeyEvent;
use time::OffsetDateTime;

pub const HELP: Help = &[
    (Action::Down, "down", "next result"),
    (Action::Events, "events", "the events of the selected restore's session"),
    (Action::Back, "close", "close"),
];

#[derive(Clone, Debug, Default)]
pub struct ResultsView {
    /// Index into the jobs, newest first.
    pub cursor: usize,
    /// The first job shown (newest first), set by the layout.
    pub top: usize,
}

/// Columns before a result's text: its mark and its time (`✓ 15:05:42  `).
pub const INDENT: usize = 12;

/// The mark of a job in the list.
pub fn status_mark(j: &Job) -> &'static str {
    match &j.status {
        JobStatus::Running { .. } => "…",
        JobStatus::Restored(o) if o.has_problems() => "!",
        JobStatus::Restored(_) | JobStatus::Downloaded { .. } | JobStatus::Sent => "✓",
        JobStatus::Failed(_) => "✕",
        JobStatus::Unknown(_) => "?",
    }
}

/// How a job ended, in a few words.
pub fn status_short(j: &Job) -> String {
    match &j.status {
        JobStatus::Running { .. } => "running".into(),
        JobStatus::Restored(o) if j.reconciled.is_some() => format!("ran: {}, from the session's events", counts(o)),
        JobStatus::Restored(o) => counts(o),
        JobStatus::Downloaded { bytes, .. } => format!("wrote {}", human_size(*bytes as i64)),
        JobStatus::Sent => "sent".into(),
        // A download that failed was not refused by anyone: it failed (often on this side).
        JobStatus::Failed(_) if matches!(j.kind, JobKind::ExportPst | JobKind::SaveMsg) => "failed".into(),
        JobStatus::Failed(_) => "refused".into(),
        JobStatus::Unknown(_) => "outcome unknown".into(),
    }
}

/// `15:05:42` in `zone` (the list's title names the zone once).
pub fn clock_time(zone: &DisplayZone, t: OffsetDateTime) -> String {
    let l = t.to_offset(zone.offset_at(t));
    format!("{:02}:{:02}:{:02}", l.hour(), l.minute(), l.second())
}

/// `2026-12-03 15:05:42 UTC+01:00`: a moment with its zone.
pub fn moment(zone: &DisplayZone, t: OffsetDateTime) -> String {
    format!("{} {}", zone.editable(t), zone.label_at(t))
}

/// When job `j` ran, for its details: "sent 2026-12-03 15:05:42 UTC · answered after 8 s" (`now`: the
/// runtime's clock, for a job still running). `None` when vex was not told the time.
pub fn when(j: &Job, zone: &DisplayZone, now: Option<OffsetDateTime>) -> Option<String> {
    let start = j.started?;
    let took = |end: OffsetDateTime| {
        let d = (end - start).max(time::Duration::ZERO);
        crate::text::human_duration(std::time::Duration::try_from(d).unwrap_or_default())
    };
    Some(match (j.ended, now) {
        (Some(end), _) => format!("sent {} · answered after {}", moment(zone, start), took(end)),
        (None, Some(now)) if j.is_running() => format!("sent {} · running for {}", moment(zone, start), took(now)),
        _ => format!("sent {}", moment(zone, start)),
    })
}

/// The text of a summary before " to {destination}" and after it (the flags): the list shows the first
/// part on the job's line, the destination and the rest below it.
fn split(summary: &str, destination: &str) -> (String, String) {
    let needle = format!(" to {destination}");
    match summary.find(&needle).filter(|_| !destination.is_empty()) {
        Some(i) => (summary[..i].to_string(), summary[i + needle.len()..].to_string()),
        None => (summary.to_string(), String::new()),
    }
}

/// The lines of job `j` in the list, `w` columns wide: mark, time, what it did (cut with `…` when the
/// line is short) and how it ended, right-aligned; then "to" and its destination with the rest of the
/// summary, wrapped below, never cut.
pub fn entry_lines(j: &Job, zone: &DisplayZone, w: usize) -> Vec<String> {
    let w = w.max(INDENT + 8);
    let time = j.started.map(|t| clock_time(zone, t)).unwrap_or_else(|| "—".into());
    let prefix = format!("{} {:<8}  ", status_mark(j), time);
    let summary = sanitize(&j.summary);
    let destination = sanitize(&j.destination);
    let (head, tail) = split(&summary, &destination);
    let status = status_short(j);
    let room = w - INDENT;
    let pad = " ".repeat(INDENT);
    // How it ended goes right of what it did when both fit (what it did cut to no less than a third of
    // the line); otherwise on lines of its own below, wrapped: neither is ever cut to nothing.
    let (hw, sw) = (width(&head), width(&status));
    let mut lines = if hw.min(room / 3) + 2 + sw <= room {
        let head = truncate(&head, room - 2 - sw);
        let gap = room - width(&head) - sw;
        vec![format!("{prefix}{head}{}{status}", " ".repeat(gap))]
    } else {
        let mut v = vec![format!("{prefix}{}", truncate(&head, room))];
        v.extend(wrap(&status, room).into_iter().map(|l| format!("{pad}{l}")));
        v
    };
    if !destination.is_empty() {
        for l in wrap(&format!("to {destination}{tail}"), room) {
            lines.push(format!("{pad}{l}"));
        }
    }
    // Which point in time it read (issue 16: on screen wherever a restore decision is made).
    if !j.source.point_in_time.is_empty() {
        let point = sanitize(&j.source.point_in_time);
        for l in wrap(&format!("point in time: {point}"), room) {
            lines.push(format!("{pad}{l}"));
        }
    }
    lines
}

/// The first job to show so that the selected one (`cursor`) is whole within `rows` lines, scrolling as
/// little as possible from `top`; `heights` are the jobs' line counts, newest first.
pub fn follow(top: usize, cursor: usize, heights: &[usize], rows: usize) -> usize {
    let mut top = top.min(heights.len().saturating_sub(1));
    if cursor < top {
        return cursor;
    }
    while top < cursor
        && heights[top..=cursor.min(heights.len().saturating_sub(1))]
            .iter()
            .sum::<usize>()
            > rows
    {
        top += 1;
    }
    top
}

impl Dialog for ResultsView {
    fn on_key(&mut self, state: &mut State, ev: &KeyEvent, _fx: &mut Vec<Effect>) -> DialogReply {
        let Some(a) = state.keymap.lookup(ev) else {
            return DialogReply::Keep;
        };
        let n = state.jobs.list.len() as u64;
        match a {
            Action::Back | Action::Quit | Action::Results => DialogReply::Close,
            Action::Events | Action::Open => {
                DialogReply::EventsOver(state.jobs.newest(self.cursor).map(|j| j.generation))
            }
            a if matches!(
                a,
                Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::First | Action::Last
            ) =>
            {
                self.cursor = crate::app::list::step(self.cursor as u64, n, a, state.dialog_page_rows()) as usize;
                DialogReply::Keep
            }
            _ => DialogReply::Keep,
        }
    }
}
