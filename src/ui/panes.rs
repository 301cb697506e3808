//! The list panes: sessions, mailboxes, folder tree, items.

use super::table::{
    Col, draw_rows, draw_rows_by, fill, fixed, fixed_right, header_line, put_cells, row_line, rows_frame, styled,
    widths, zoned,
};
use super::theme::Theme;
use super::{bordered, details, spinner};
use crate::api::models::{Item, ItemData, Mailbox, SessionState};
use crate::app::layout::View;
use crate::app::list::{Filter, PagedList, Paging};
pub use crate::app::panes::details::entries::{hours, percent, task_status};
use crate::app::panes::folders::{Children, folder_kind};
use crate::app::panes::items::{ItemColumns, ItemsPane, Row};
use crate::app::zone::DisplayZone;
use crate::app::{Level, State, folder_paths};
use crate::text::{clip, fit, sanitize, thousands, truncate, truncate_left};
use crate::ui::put::Put;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// Draws one pane slot.
pub fn draw_view(buf: &mut Buffer, area: Rect, state: &State, view: View, focused: bool, theme: &Theme) {
    match view {
        View::Pane(Level::Sessions) => draw_sessions(buf, area, state, focused, theme),
        View::Pane(Level::Mailboxes) => draw_mailboxes(buf, area, state, focused, theme),
        View::Pane(Level::Folders) => draw_folders(buf, area, state, focused, theme),
        View::Pane(Level::Items) => draw_items(buf, area, state, focused, theme),
        View::Pane(Level::Details) => details::draw_details(buf, area, state, focused, theme),
        View::Preview => details::draw_preview(buf, area, state, theme),
    }
}

/// The title of a pane: name, counts, filter, spinner.
fn title<'a>(
    name: &str,
    extra: Vec<String>,
    filter: Option<&Filter>,
    loading: bool,
    state: &State,
    focused: bool,
    theme: &Theme,
) -> Line<'a> {
    let mut s = format!(" {name}");
    for e in extra {
        s.push_str(" · ");
        s.push_str(&e);
    }
    if let Some(f) = filter
        && (f.is_active() || f.editing)
    {
        s.push_str(&format!(" · /{}", sanitize(f.query())));
    }
    // Behind the login screen nothing loads: the requests wait for the login (no spinner).
    if loading && state.login.is_none() {
        s.push(' ');
        s.push_str(spinner(state));
    }
    s.push(' ');
    Line::from(Span::styled(s, theme.title(focused)))
}

/// Draws the block and returns its inner area.
fn block(buf: &mut Buffer, area: Rect, title: Line<'_>, focused: bool, theme: &Theme) -> Rect {
    bordered(buf, area, title, focused, theme)
}

/// A centred-ish message inside an empty pane.
fn message(buf: &mut Buffer, inner: Rect, row: u16, text: &str, style: ratatui::style::Style) {
    if inner.height > row {
        buf.put_string(
            inner.x + 1,
            inner.y + row,
            truncate(text, inner.width.saturating_sub(2) as usize),
            style,
        );
    }
}

/// The marker of an item with attachments (items lists).
pub const ATTACHMENT: &str = "📎";

/// The placeholder of an empty subject or name.
pub const NO_TITLE: &str = "(no subject)";

/// What the panes of a stopped restore session say in their titles.
const STOPPED: &str = "session stopped";

/// The words for an empty pane of a stopped restore session.
fn stopped_words(state: &State) -> String {
    let words = "This restore session is stopped: its mailboxes can no longer be browsed, restored, exported or sent.";
    if state.header.read_only {
        return words.into();
    }
    let n = state.keymap.hint(crate::app::Action::NewSession, "n");
    format!("{words} {n} in the sessions pane starts a new one.")
}

/// Messages inside an empty pane, each wrapped to its width (nothing cut), from its second row.
fn wrapped(buf: &mut Buffer, inner: Rect, texts: &[String], style: ratatui::style::Style) {
    let w = inner.width.saturating_sub(2).max(1) as usize;
    let mut row = 1u16;
    for t in texts {
        for l in crate::text::wrap(t, w) {
            if row >= inner.height {
                return;
            }
            message(buf, inner, row, &l, style);
            row += 1;
        }
    }
}

/// The zone a list's dates are shown in, as its date column says it once: the offset in force at
/// `sample` (a date of the list), else at the runtime's clock (`UTC` when neither is known).
fn zone_label(state: &State, sample: Option<&crate::api::models::ApiDate>) -> String {
    match sample.and_then(|d| d.as_utc()).or(state.clock) {
        Some(t) => state.zone.label_at(t),
        None => match state.zone {
            DisplayZone::Fixed(_) => state.zone.label_at(time::OffsetDateTime::UNIX_EPOCH),
            DisplayZone::Local => "local time".into(),
        },
    }
}

/// The reload key, for "(^R retries)".
fn retry_key(state: &State) -> String {
    state.keymap.hint(crate::app::Action::Refresh, "^R")
}

fn more_row<T>(l: &PagedList<T>, state: &State, theme: &Theme) -> Line<'static> {
    match &l.paging {
        Paging::Failed(e) => styled(
            format!(" ! {} ({} retries)", sanitize(e), retry_key(state)),
            theme.error(),
        ),
        _ => styled(format!(" {} loading more…", spinner(state)), theme.dim()),
    }
}

/// The empty-list message of a paged list, if it is empty.
fn empty_paged<T>(l: &PagedList<T>, what: &str, state: &State) -> Option<String> {
    if !l.is_empty() {
        return None;
    }
    Some(match &l.paging {
        _ if l.loading.is_some() && state.login.is_some() => format!("{what}: waiting for the login"),
        _ if l.loading.is_some() => format!("{} loading {what}…", spinner(state)),
        Paging::Failed(e) => format!("! {} ({} retries)", sanitize(e), retry_key(state)),
        _ if l.filter.is_active() => format!("nothing loaded matches /{}", sanitize(l.filter.query())),
        _ => format!("no {what}"),
    })
}

fn count_label<T>(l: &PagedList<T>) -> String {
    let loaded = l.rows.len() as u64;
    // A failed load says so: "0+" would read as "none yet, more coming".
    if let Paging::Failed(_) = l.paging {
        return if loaded == 0 {
            "not loaded".into()
        } else {
            format!("{}, the rest not loaded", thousands(loaded))
        };
    }
    let more = if l.is_complete() { "" } else { "+" };
    if l.filter.is_active() && !l.is_complete() {
        // The filter saw only the pages loaded so far: say so.
        crate::app::list::filter_count(l.len() as u64, loaded, None)
    } else if l.filter.is_active() {
        format!("{} of {}", thousands(l.len() as u64), thousands(loaded))
    } else {
        format!("{}{more}", thousands(loaded))
    }
}

const SESSION_COLS: [Col; 7] = [
    fixed("State", 8),
    fixed("Type", 4),
    fill("Organization", 3, 10),
    fixed("Point in time", 16),
    fixed("Created", 16),
    fixed("Ended", 16),
    fill("Initiated by", 2, 8),
];

fn draw_sessions(buf: &mut Buffer, area: Rect, state: &State, focused: bool, theme: &Theme) {
    let l = &state.sessions.list;
    let t = title(
        "Restore sessions",
        vec![count_label(l)],
        Some(&l.filter),
        l.loading.is_some(),
        state,
        focused,
        theme,
    );
    let inner = block(buf, area, t, focused, theme);
    if let Some(m) = empty_paged(l, "restore sessions", state) {
        let hint = if l.loading.is_none()
            && matches!(l.paging, Paging::Complete)
            && !l.filter.is_active()
            && !state.header.read_only
        {
            format!(
                "{m}: press {} to start one",
                state
                    .keymap
                    .first_key(crate::app::Action::NewSession)
                    .unwrap_or_default()
            )
        } else {
            m
        };
        return message(buf, inner, 1, &hint, theme.dim());
    }
    let zone = state.zone;
    let sample = l.rows.iter().find_map(|s| s.creation_time.as_ref());
    let (cols, titles) = zoned(&SESSION_COLS, &zone_label(state, sample));
    let w = widths(&cols, inner.width as usize);
    let n = l.len() as u64;
    draw_rows(
        buf,
        inner,
        Some(row_line(&titles, &cols, &w)),
        l.drawn_len(),
        l.cursor as u64,
        &l.view,
        focused,
        theme,
        |i| {
            if i >= n {
                return more_row(l, state, theme);
            }
            let Some(s) = l.get(i as usize) else {
                return Line::default();
            };
            // An unparseable date is shown as the server sent it: sanitised like any server text.
            let date = |d: &Option<crate::api::models::ApiDate>| {
                d.as_ref()
                    .map(|d| sanitize(&zone.short(d)).into_owned())
                    .unwrap_or_default()
            };
            let cells = [
                sanitize(s.state.as_str()).into_owned(),
                sanitize(s.session_type.as_str()).into_owned(),
                sanitize(s.organization.as_deref().unwrap_or("")).into_owned(),
                crate::app::point::cell(state, &s.id),
                date(&s.creation_time),
                date(&s.end_time),
                sanitize(s.initiated_by.as_deref().unwrap_or("")).into_owned(),
            ];
            let line = row_line(&cells, &cols, &w);
            if s.state == SessionState::Working {
                styled(line, theme.working())
            } else {
                Line::from(line)
            }
        },
    );
}

const MAILBOX_COLS: [Col; 3] = [fill("Name", 3, 10), fill("Email", 3, 10), fixed("Kind", 8)];

fn draw_mailboxes(buf: &mut Buffer, area: Rect, state: &State, focused: bool, theme: &Theme) {
    let Some(m) = &state.mailboxes else { return };
    let l = &m.list;
    let stopped = crate::app::jobs::session_stopped(state, &m.session.id);
    let mut extra = vec![count_label(l)];
    if stopped {
        extra.push(STOPPED.into());
    }
    let t = title(
        "Mailboxes",
        extra,
        Some(&l.filter),
        l.loading.is_some(),
        state,
        focused,
        theme,
    );
    let inner = block(buf, area, t, focused, theme);
    if let Some(msg) = empty_paged(l, "mailboxes", state) {
        if stopped && l.loading.is_none() {
            // Why nothing can be browsed, whole, before the server's own words.
            return wrapped(buf, inner, &[stopped_words(state), msg], theme.error());
        }
        return wrapped(buf, inner, &[msg], theme.dim());
    }
    let n = l.len() as u64;
    let w = mailbox_widths(l, inner.width as usize, inner.height.saturating_sub(1) as u64);
    draw_rows(
        buf,
        inner,
        Some(header_line(&MAILBOX_COLS, &w)),
        l.drawn_len(),
        l.cursor as u64,
        &l.view,
        focused,
        theme,
        |i| {
            if i >= n {
                return more_row(l, state, theme);
            }
            let Some(mb) = l.get(i as usize) else {
                return Line::default();
            };
            let kind = match (mb.is_archive, mb.is_public) {
                (true, true) => "archive+public",
                (true, false) => "archive",
                (false, true) => "public",
                (false, false) => "",
            };
            let cells = [
                sanitize(mb.name.as_deref().unwrap_or("")).into_owned(),
                sanitize(mb.email.as_deref().unwrap_or("")).into_owned(),
                kind.to_string(),
            ];
            Line::from(row_line(&cells, &MAILBOX_COLS, &w))
        },
    );
}

/// The mailbox columns' widths in `total` columns: the e-mail addresses of the rows on screen stay
/// whole as long as they fit; the name takes what is left (it is cut first) and the kind goes before
/// an address is cut.
fn mailbox_widths(l: &PagedList<Mailbox>, total: usize, rows: u64) -> Vec<usize> {
    const NAME_MIN: usize = 4;
    const KIND: usize = 8;
    // The rows on screen: their longest address.
    let top = l.view.shown(l.cursor as u64, rows, l.drawn_len());
    let email = (top..(top + rows).min(l.len() as u64))
        .filter_map(|i| l.get(i as usize))
        .map(|m| crate::text::width(&sanitize(m.email.as_deref().unwrap_or(""))))
        .max()
        .unwrap_or(0)
        .max(crate::text::width("Email"));
    // Name, address and kind, one space between them; without the kind when that keeps the address.
    let kind = if NAME_MIN + 1 + email + 1 + KIND <= total {
        KIND
    } else {
        0
    };
    let rest = total.saturating_sub(kind + usize::from(kind > 0));
    let email = email.min(rest.saturating_sub(NAME_MIN + 1));
    let name = rest.saturating_sub(email + 1);
    vec![name, email, kind]
}

fn draw_folders(buf: &mut Buffer, area: Rect, state: &State, focused: bool, theme: &Theme) {
    let Some(f) = &state.folders else { return };
    let who = f.mailbox.email.as_deref().or(f.mailbox.name.as_deref()).unwrap_or("");
    // First: a narrow pane cuts its title's end.
    let mut extra = Vec::new();
    if crate::app::jobs::session_stopped(state, &f.session_id) {
        extra.push(STOPPED.into());
    }
    extra.push(sanitize(who).into_owned());
    let t = title("Folders", extra, Some(&f.filter), f.is_loading(), state, focused, theme);
    let inner = block(buf, area, t, focused, theme);
    let rows = f.rows();
    if rows.is_empty() {
        let msg = match &f.roots {
            Children::Loading(_) => format!("{} loading folders…", spinner(state)),
            Children::Failed(e) => format!("! {} ({} retries)", sanitize(e), retry_key(state)),
            _ if f.filter.is_active() => format!("no loaded folder matches /{}", sanitize(f.filter.query())),
            _ => "no folders".into(),
        };
        return message(buf, inner, 0, &msg, theme.dim());
    }
    let kind_w = 8usize;
    let w = inner.width as usize;
    let name_w = w.saturating_sub(kind_w + 1);
    draw_rows(
        buf,
        inner,
        None,
        rows.len() as u64,
        f.cursor as u64,
        &f.view,
        focused,
        theme,
        |i| {
            let Some(node) = rows.get(i as usize).and_then(|&n| f.nodes.get(n)) else {
                return Line::default();
            };
            let marker = match &node.children {
                Children::Unknown => "▸",
                Children::Loading(_) => spinner(state),
                Children::Loaded(c) if c.is_empty() => " ",
                Children::Loaded(_) if node.expanded => "▾",
                Children::Loaded(_) => "▸",
                Children::Failed(_) => "!",
            };
            let indent = "  ".repeat(node.depth as usize);
            let tree = format!("{indent}{marker} {}", sanitize(node.name()));
            Line::from(vec![
                Span::raw(fit(&tree, name_w)),
                Span::raw(" "),
                Span::styled(fit(folder_kind(&node.folder), kind_w), theme.dim()),
            ])
        },
    );
}

/// The columns of an items list.
pub fn item_cols(c: ItemColumns) -> Vec<Col> {
    let mark = fixed(" ", 1);
    // The attachment marker (📎, two columns wide) before the subject.
    let clip_col = fixed("", 2);
    match c {
        ItemColumns::Messages => vec![
            mark,
            fill("From", 2, 10),
            clip_col,
            fill("Subject", 4, 10),
            fixed("Received", 16),
        ],
        ItemColumns::Outgoing => vec![
            mark,
            fill("To", 2, 10),
            clip_col,
            fill("Subject", 4, 10),
            fixed("Sent", 16),
        ],
        ItemColumns::Calendar => {
            vec![
                mark,
                fixed("Start", 16),
                fixed("End", 16),
                clip_col,
                fill("Subject", 3, 10),
                fill("Location", 2, 8),
            ]
        }
        ItemColumns::Contacts => vec![mark, fill("Name", 3, 10), fill("Email", 3, 10), fill("Company", 2, 8)],
        ItemColumns::Tasks => {
            vec![
                mark,
                fill("Subject", 4, 10),
                fixed("Status", 11),
                fixed_right("%", 4),
                fixed("Due", 16),
            ]
        }
        ItemColumns::Journal => {
            vec![
                mark,
                fixed("Type", 12),
                fixed("Start", 16),
                fixed_right("Duration", 8),
                fill("Subject", 3, 10),
            ]
        }
        ItemColumns::Notes => vec![mark, fill("Name", 3, 10), fixed("Date", 16)],
        ItemColumns::Search => vec![
            mark,
            fixed("Type", 11),
            fill("Folder", 3, 10),
            fill("From", 2, 10),
            clip_col,
            fill("Subject", 4, 10),
            fixed("Date", 16),
        ],
        ItemColumns::SearchAll => vec![
            mark,
            fill("Mailbox", 2, 8),
            fill("Folder", 3, 10),
            fill("From", 2, 10),
            clip_col,
            fill("Subject", 4, 10),
            fixed("Date", 16),
        ],
    }
}

/// The cells of an item row (sanitised), for its folder's columns.
pub fn item_cells(it: &Item, c: ItemColumns, zone: &DisplayZone, marked: bool) -> Vec<String> {
    // A cell is never wider than the screen: a 1 MiB subject is clipped before it is sanitised.
    let s = |o: Option<&str>| sanitize(clip(o.unwrap_or(""), 4096).0).into_owned();
    let d =
        |o: Option<&crate::api::models::ApiDate>| o.map(|d| sanitize(&zone.short(d)).into_owned()).unwrap_or_default();
    // An empty subject or name shows a visible placeholder (not a blank that reads as a drawing fault).
    let title = match it.title().map(str::trim) {
        Some(t) if !t.is_empty() => s(it.title()),
        _ => NO_TITLE.into(),
    };
    let mark = if marked { "●" } else { " " }.to_string();
    // The item's `attachments` (the spec's item models have no "has attachments" flag): a marker when
    // the list is not empty.
    let clip = || if it.attachments().is_empty() { "" } else { ATTACHMENT }.to_string();
    let mut cells = vec![mark];
    match c {
        ItemColumns::Messages => {
            let (from, when) = match &it.data {
                ItemData::Message(m) => (s(m.from.as_deref()), d(m.received.as_ref().or(m.sent.as_ref()))),
                ItemData::Discussion(p) => (s(p.from.as_deref()), d(p.posted_on.as_ref())),
                ItemData::Appointment(a) => (s(a.organizer.as_deref()), d(a.start_time.as_ref())),
                _ => (String::new(), String::new()),
            };
            cells.extend([from, clip(), title, when]);
        }
        ItemColumns::Outgoing => {
            // A draft has not been sent: its row shows no date rather than another one.
            let (to, when) = match &it.data {
                ItemData::Message(m) => (s(m.to.as_deref()), d(m.sent.as_ref())),
                ItemData::Discussion(p) => (s(p.from.as_deref()), d(p.posted_on.as_ref())),
                ItemData::Appointment(a) => (s(a.attendees.as_deref()), d(a.start_time.as_ref())),
                _ => (String::new(), String::new()),
            };
            cells.extend([to, clip(), title, when]);
        }
        ItemColumns::Calendar => {
            let (start, end, loc) = match &it.data {
                ItemData::Appointment(a) => (
                    d(a.start_time.as_ref()),
                    d(a.end_time.as_ref()),
                    s(a.location.as_deref()),
                ),
                _ => (String::new(), String::new(), String::new()),
            };
            cells.extend([start, end, clip(), title, loc]);
        }
        ItemColumns::Contacts => {
            let (email, company) = match &it.data {
                ItemData::Contact(c) => (s(c.email.as_deref()), s(c.company.as_deref())),
                _ => (String::new(), String::new()),
            };
            cells.extend([title, email, company]);
        }
        ItemColumns::Tasks => {
            let (status, pct, due) = match &it.data {
                ItemData::Task(t) => (
                    t.status.as_ref().map(task_status).unwrap_or_default(),
                    t.percent_complete.map(percent).unwrap_or_default(),
                    d(t.due_date.as_ref()),
                ),
                _ => (String::new(), String::new(), String::new()),
            };
            cells.extend([title, status, pct, due]);
        }
        ItemColumns::Journal => {
            let (kind, start, dur) = match &it.data {
                ItemData::Journal(j) => (
                    s(j.entry_type.as_deref()),
                    d(j.start()),
                    j.duration.map(hours).unwrap_or_default(),
                ),
                _ => (String::new(), String::new(), String::new()),
            };
            cells.extend([kind, start, dur, title]);
        }
        ItemColumns::Search | ItemColumns::SearchAll => {
            let (from, when) = match &it.data {
                ItemData::Message(m) => (s(m.from.as_deref()), d(m.received.as_ref().or(m.sent.as_ref()))),
                ItemData::Discussion(p) => (s(p.from.as_deref()), d(p.posted_on.as_ref())),
                ItemData::Appointment(a) => (s(a.organizer.as_deref()), d(a.start_time.as_ref())),
                ItemData::Task(t) => (s(t.owner.as_deref()), d(t.due_date.as_ref())),
                ItemData::Journal(j) => (String::new(), d(j.start())),
                ItemData::StickyNote(n) => (String::new(), d(n.date.as_ref())),
                ItemData::Contact(c) => (s(c.email.as_deref()), String::new()),
                _ => (String::new(), String::new()),
            };
            // The mailbox of an all-mailboxes result and the folder are filled in by the caller (it
            // knows the names and the paths).
            let first = if c == ItemColumns::Search {
                it.kind().label().to_string()
            } else {
                String::new()
            };
            cells.extend([first, String::new(), from, clip(), title, when]);
        }
        ItemColumns::Notes => {
            let date = match &it.data {
                ItemData::StickyNote(n) => d(n.date.as_ref()),
                _ => String::new(),
            };
            cells.extend([title, date]);
        }
    }
    cells
}

/// The date an item's row shows (received, start, due, ...), if any.
fn item_date(it: &Item) -> Option<&crate::api::models::ApiDate> {
    match &it.data {
        ItemData::Message(m) => m.received.as_ref().or(m.sent.as_ref()),
        ItemData::Discussion(p) => p.posted_on.as_ref(),
        ItemData::Appointment(a) => a.start_time.as_ref(),
        ItemData::Task(t) => t.due_date.as_ref(),
        ItemData::Journal(j) => j.start(),
        ItemData::StickyNote(n) => n.date.as_ref(),
        _ => None,
    }
}

/// `Search: from:alice (mailbox Zoë Müller) — 37 results` (sanitised).
fn search_title(p: &ItemsPane, s: &crate::app::panes::search_prompt::SearchInfo) -> String {
    let q = sanitize(clip(&s.spec.query, 512).0).into_owned();
    let count = match p.total {
        Some(1) => "1 result".to_string(),
        Some(n) => format!("{} results", thousands(n)),
        None if p.error.is_some() => "failed".into(),
        None if p.known_len() == 0 => "searching…".into(),
        None => format!("{}+ results", thousands(p.known_len())),
    };
    format!("Search: {q} ({}) — {count}", sanitize(&s.spec.scope_label()))
}

fn items_title(p: &ItemsPane, stopped: bool) -> Vec<String> {
    let mut extra = Vec::new();
    let len = p.known_len();
    let pos = if p.selected().is_some() || p.total.is_some_and(|t| t > 0) {
        p.cursor + 1
    } else {
        0
    };
    // With a filter, what it found (and among how many loaded) instead of the cursor's row.
    match (p.filter_words(), p.total) {
        (Some(words), _) => extra.push(words),
        (None, Some(t)) => extra.push(format!("{}/{}", thousands(pos), thousands(t))),
        (None, None) => extra.push(format!("{}/{}+", thousands(pos), thousands(len))),
    }
    if p.is_counting() {
        extra.push("counting…".into());
    }
    if stopped {
        extra.push(STOPPED.into());
    }
    if p.all_marked {
        extra.push(match p.total {
            Some(t) => format!("all {} marked", thousands(t)),
            None => "all marked".into(),
        });
    } else if !p.marks.is_empty() {
        extra.push(format!("{} marked", thousands(p.marks.len() as u64)));
    }
    extra
}

fn draw_items(buf: &mut Buffer, area: Rect, state: &State, focused: bool, theme: &Theme) {
    let Some(p) = &state.items else { return };
    let search = p.search.as_deref();
    let name = match search {
        Some(s) => search_title(p, s),
        None => sanitize(p.folder.name.as_deref().unwrap_or("Items")).into_owned(),
    };
    let t = title(
        &name,
        items_title(p, crate::app::jobs::session_stopped(state, &p.key.session_id)),
        Some(&p.filter),
        p.is_loading(),
        state,
        focused,
        theme,
    );
    let inner = block(buf, area, t, focused, theme);
    let len = p.display_len();
    let empty = match p.filtered_len() {
        Some(0) if p.partly_loaded() && search.is_none() => Some(format!(
            "nothing loaded matches /{} · {} searches the server",
            sanitize(p.filter.query()),
            state.keymap.hint(crate::app::Action::Search, "s")
        )),
        // All of the folder is loaded: the server search still looks further (the mailbox, all of them).
        Some(0) if search.is_none() => Some(format!(
            "nothing in this folder matches /{} · {} searches the server",
            sanitize(p.filter.query()),
            state.keymap.hint(crate::app::Action::Search, "s")
        )),
        Some(0) => Some(format!("nothing loaded matches /{}", sanitize(p.filter.query()))),
        Some(_) => None,
        None if p.total == Some(0) && search.is_some() => Some("no results: s edits the query".into()),
        None if p.total == Some(0) => Some("this folder is empty".into()),
        None => None,
    };
    let edit_key = || state.keymap.hint(crate::app::Action::Search, "s");
    if let Some(e) = &p.error
        && search.is_some()
        && p.known_len() == 0
    {
        // A search that failed before any result: the reason, whole, and what to do.
        let w = inner.width.saturating_sub(2) as usize;
        let mut lines = crate::text::wrap(&format!("! {}", sanitize(e)), w.max(1));
        lines.truncate(inner.height.saturating_sub(3) as usize);
        for (i, l) in lines.iter().enumerate() {
            message(buf, inner, 1 + i as u16, l, theme.error());
        }
        let hint = format!("{} edits the query · {} retries", edit_key(), retry_key(state));
        return message(buf, inner, 2 + lines.len() as u16, &hint, theme.dim());
    }
    if let Some(e) = &p.error {
        message(
            buf,
            inner,
            inner.height.saturating_sub(1),
            &if search.is_some() {
                format!(
                    "! {} ({} edits the query, {} retries)",
                    sanitize(e),
                    edit_key(),
                    retry_key(state)
                )
            } else {
                format!("! {} ({} retries)", sanitize(e), retry_key(state))
            },
            theme.error(),
        );
    }
    if let Some(m) = empty {
        return message(buf, inner, 1, &m, theme.dim());
    }
    let zone = state.zone;
    // The zone at the date of the row under the cursor (cheap: one row, whatever the folder's size).
    let sample = match p.row(p.display_cursor()) {
        Row::Item(it) => item_date(it),
        Row::Pending => None,
    };
    let (cols, titles) = zoned(&item_cols(p.columns), &zone_label(state, sample));
    let w = widths(&cols, inner.width as usize);
    let rows_area = if p.error.is_some() {
        Rect {
            height: inner.height.saturating_sub(1),
            ..inner
        }
    } else {
        inner
    };
    rows_frame();
    draw_rows_by(
        buf,
        rows_area,
        Some(row_line(&titles, &cols, &w)),
        len,
        p.display_cursor(),
        &p.view,
        focused,
        theme,
        |buf, i, r| match p.row(i) {
            Row::Item(it) => {
                let marked = p.is_marked(it);
                let mut cells = item_cells(it, p.columns, &zone, marked);
                if p.columns == ItemColumns::SearchAll
                    && let (Some(s), Some(cell)) = (search, cells.get_mut(1))
                {
                    let mb = s.mailbox_of(it).map(|id| s.mailbox_name(&id)).unwrap_or_default();
                    *cell = sanitize(clip(&mb, 4096).0).into_owned();
                }
                // Where the result is: its folder's path, the end kept when it is cut (the deepest
                // folder says most).
                if search.is_some()
                    && let (Some(cell), Some(&fw)) = (cells.get_mut(2), w.get(2))
                {
                    let k = folder_paths::row_folder(p, it);
                    *cell = match folder_paths::shown(state, k.as_ref().map_err(String::as_str)) {
                        folder_paths::Shown::Path(path) => truncate_left(&path, fw),
                        other => other.cell(),
                    };
                }
                put_cells(buf, r, cells, &cols, &w, marked.then(|| theme.marked()));
            }
            Row::Pending => {
                let line = styled(format!("  {} loading…", spinner(state)), theme.dim());
                buf.put_line(r.x, r.y, &line, r.width);
            }
        },
    );
}
