//! The screen's layout, as the state sees it: which panes are visible at a width, where the header,
//! breadcrumb, body and status line go, where each pane slot is, and how many rows each list shows.
//!
//! [`reflow`] computes it once after every update (the size, the focus, the open dialog may have
//! changed) into [`State::layout`], and scrolls each visible list so its cursor shows. Drawing (`ui`),
//! mouse hit-testing ([`super::mouse`]) and the page keys ([`State::page_rows`]) all read it, so a click
//! lands on the row drawn there and PgDn moves by exactly the rows drawn. Drawing writes nothing back.

use super::panes::details::entries;
use super::panes::preview;
use super::{Level, Overlay, State};
use ratatui::layout::{Constraint, Layout as Split, Rect};

/// What a pane slot on screen shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Pane(Level),
    /// The details of the item under the items cursor (wide screens, items focused).
    Preview,
}

/// Width from which two panes are shown side by side.
pub const TWO_PANES: u16 = 110;
/// Width from which three panes are shown.
pub const THREE_PANES: u16 = 160;
/// Width from which the items and the details stand side by side (the reading layout): the details
/// follow the items cursor, like a mail client's reading pane.
pub const READING: u16 = 100;

/// Whether the screen shows the reading layout at `width`: the items, or an item's details, in focus.
pub fn reading(state: &State, width: u16) -> bool {
    width >= READING && matches!(state.focus, Level::Items | Level::Details) && state.items.is_some()
}

/// The panes shown at `width`: the focused one, its parent when there is room, and its child (or the
/// preview of the selected item) on wide screens. The reading layout ([`reading`]) shows the items and
/// the details (or the preview of the item under the cursor) side by side, the folders before them
/// when there is room for three.
pub fn visible(state: &State, width: u16) -> Vec<View> {
    let reading = reading(state, width);
    let max = if width >= THREE_PANES {
        3
    } else if width >= TWO_PANES || reading {
        2
    } else {
        1
    };
    let mut chain: Vec<View> = state.open_levels().into_iter().map(View::Pane).collect();
    if state.focus == Level::Items {
        chain.retain(|v| *v != View::Pane(Level::Details));
        // A filter that matches nothing keeps the preview's place (it says so) rather than the panes
        // jumping.
        if state
            .items
            .as_ref()
            .is_some_and(|i| i.selected().is_some() || i.filtered_len() == Some(0))
        {
            chain.push(View::Preview);
        }
    }
    let fi = chain.iter().position(|v| *v == View::Pane(state.focus)).unwrap_or(0);
    let last = chain.len() - 1;
    let end = if max >= 3 || reading { (fi + 1).min(last) } else { fi };
    let start = (end + 1).saturating_sub(max);
    chain[start..=end].to_vec()
}

fn weight(v: View) -> u16 {
    match v {
        View::Pane(Level::Sessions) => 5,
        View::Pane(Level::Mailboxes) => 4,
        View::Pane(Level::Folders) => 3,
        View::Pane(Level::Items) => 6,
        View::Pane(Level::Details) | View::Preview => 6,
    }
}

/// Smaller than this the screen shows only "the terminal is too small".
pub fn too_small(area: Rect) -> bool {
    area.width < 20 || area.height < 6
}

/// The rows of the screen: header, breadcrumb, the body (panes and dialogs) and the status line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Screen {
    pub header: Rect,
    pub crumb: Rect,
    pub body: Rect,
    pub status: Rect,
}

impl Screen {
    pub fn of(area: Rect) -> Screen {
        let [header, crumb, body, status] = Split::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(area);
        Screen {
            header,
            crumb,
            body,
            status,
        }
    }
}

/// The pane slots of the body area, left to right.
pub fn split_body(state: &State, body: Rect) -> Vec<(View, Rect)> {
    let views = visible(state, body.width);
    if reading(state, body.width) {
        return split_reading(views, body);
    }
    let focused = View::Pane(state.focus);
    // The focused pane gets the larger share: more than any other pane's, whatever their weights.
    let others = views
        .iter()
        .filter(|v| **v != focused)
        .map(|v| weight(*v))
        .max()
        .unwrap_or(0);
    let constraints: Vec<Constraint> = views
        .iter()
        .map(|v| match v {
            v if *v == focused => Constraint::Fill((weight(*v) * 3 / 2).max(others + 1)),
            // A folder tree beside the pane in focus needs little room.
            View::Pane(Level::Folders) if views.len() > 1 => Constraint::Length((body.width / 4).clamp(24, 40)),
            v => Constraint::Fill(weight(*v)),
        })
        .collect();
    let areas = Split::horizontal(constraints).split(body);
    views.into_iter().zip(areas.iter().copied()).collect()
}

/// The reading layout's slots: the folder tree narrow, then the items (a little more than half: their
/// columns and a search's title need the room) and the details, in the same proportions whichever has
/// the focus (Tab moves between them without the panes jumping).
fn split_reading(views: Vec<View>, body: Rect) -> Vec<(View, Rect)> {
    let constraints: Vec<Constraint> = views
        .iter()
        .map(|v| match v {
            View::Pane(Level::Folders) => Constraint::Length((body.width / 5).clamp(24, 40)),
            View::Pane(Level::Items) => Constraint::Fill(11),
            _ => Constraint::Fill(9),
        })
        .collect();
    let areas = Split::horizontal(constraints).split(body);
    views.into_iter().zip(areas.iter().copied()).collect()
}

/// The layout of a screen: the pane slots, the rows of their lists and of the open dialog's list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScreenLayout {
    /// The terminal size it was computed for (columns, rows).
    pub size: (u16, u16),
    /// The pane slots, left to right (none when the terminal is too small).
    pub panes: Vec<(View, Rect)>,
    /// Rows the list of each visible pane shows (the details: lines of text), left to right.
    pub list_rows: Vec<(Level, u64)>,
    /// Rows the list of the open dialog shows (events, results, organizations), when it has one.
    pub dialog_rows: Option<u64>,
}

impl ScreenLayout {
    /// The layout of `state` on a screen of `size`.
    pub fn compute(state: &State, size: (u16, u16)) -> ScreenLayout {
        let area = Rect::new(0, 0, size.0, size.1);
        if too_small(area) {
            return ScreenLayout {
                size,
                ..ScreenLayout::default()
            };
        }
        let body = Screen::of(area).body;
        let panes = split_body(state, body);
        let list_rows = panes
            .iter()
            .filter_map(|(v, r)| match v {
                View::Pane(level) => Some((*level, u64::from(list_area(state, *level, *r).height))),
                View::Preview => None,
            })
            .collect();
        let dialog_rows = state.overlay.as_ref().and_then(|o| dialog_list_rows(state, o, body));
        ScreenLayout {
            size,
            panes,
            list_rows,
            dialog_rows,
        }
    }

    /// Rows the list of pane `level` shows (0 when it is not on screen).
    pub fn rows_of(&self, level: Level) -> u64 {
        self.list_rows.iter().find(|(l, _)| *l == level).map_or(0, |(_, n)| *n)
    }
}

/// Computes the layout at `state.size` into `state.layout`, then scrolls every list on screen (and the
/// open dialog's) so its cursor is visible. Called by `update` before and after each message.
pub fn reflow(state: &mut State) {
    let layout = ScreenLayout::compute(state, state.size);
    for &(view, pane) in &layout.panes {
        if let View::Pane(level) = view {
            scroll(state, level, pane);
        }
    }
    if let (Some(rows), Some(o)) = (layout.dialog_rows, state.overlay.as_ref()) {
        let body = Screen::of(Rect::new(0, 0, state.size.0, state.size.1)).body;
        let heights = match o {
            Overlay::Results(_) => results_heights(state, body),
            _ => Vec::new(),
        };
        if let Some(o) = state.overlay.as_mut() {
            scroll_dialog(o, rows, &heights, body);
        }
    }
    let read_only = state.header.read_only;
    if let Some(Overlay::Help(h)) = &mut state.overlay {
        let body = Screen::of(Rect::new(0, 0, state.size.0, state.size.1)).body;
        let rows = inside_border(help_box(body)).height;
        h.max_scroll = (h.lines(read_only).len() as u64).saturating_sub(u64::from(rows));
    }
    state.layout = layout;
}

/// Scrolls the list of pane `level` (in its slot `pane`) to show its cursor; the details: how far they
/// can scroll.
fn scroll(state: &mut State, level: Level, pane: Rect) {
    let area = list_area(state, level, pane);
    let rows = u64::from(area.height);
    match level {
        Level::Sessions => {
            let l = &mut state.sessions.list;
            l.view.window(l.cursor as u64, rows, l.drawn_len());
        }
        Level::Mailboxes => {
            if let Some(m) = &mut state.mailboxes {
                m.list.view.window(m.list.cursor as u64, rows, m.list.drawn_len());
            }
        }
        Level::Folders => {
            if let Some(f) = &mut state.folders {
                let n = f.rows().len() as u64;
                f.view.window(f.cursor as u64, rows, n);
            }
        }
        Level::Items => {
            if let Some(p) = &mut state.items {
                let (cursor, len) = (p.display_cursor(), p.display_len());
                p.view.window(cursor, rows, len);
            }
        }
        Level::Details => {
            let Some(d) = &state.details else { return };
            let es = preview::details_entries(state, &d.key, &d.item);
            let lines = entries::rows(&es, area.width as usize).len() as u64;
            if let Some(d) = &mut state.details {
                d.max_scroll = lines.saturating_sub(rows);
            }
        }
    }
}

/// `heights`: the lines of each result in the results list, newest first (see [`results_heights`]);
/// `body`: where dialogs are drawn.
fn scroll_dialog(o: &mut Overlay, rows: u64, heights: &[usize], body: Rect) {
    match o {
        Overlay::Events(v) => {
            let n = v.events.len() as u64;
            v.view.window(v.cursor as u64, rows, n);
        }
        Overlay::Results(v) => {
            v.top = super::panes::results::follow(v.top, v.cursor, heights, rows as usize);
        }
        Overlay::NewSession(d) => {
            // `rows`: the restore points'; the organizations' list is the box's other one.
            d.points
                .view
                .window(d.points.cursor as u64, rows, d.points.rows.len() as u64);
            d.points.page_rows = rows;
            let org_rows = u64::from(new_session_box(body, d.orgs.len()).1);
            d.org_view.window(d.org_cursor as u64, org_rows, d.orgs.len() as u64);
        }
        _ => {}
    }
}

/// Where the rows of pane `level`'s list are, in its slot `pane`: inside the border, below the column
/// header (the folder tree has none), above the error line of an items list that shows one. For the
/// details: the lines of text.
pub fn list_area(state: &State, level: Level, pane: Rect) -> Rect {
    let inner = inside_border(pane);
    let header = u16::from(matches!(level, Level::Sessions | Level::Mailboxes | Level::Items));
    let error = u16::from(level == Level::Items && state.items.as_ref().is_some_and(|p| p.error.is_some()));
    match level {
        Level::Details => Rect {
            x: inner.x + 1,
            width: inner.width.saturating_sub(1),
            ..inner
        },
        _ => Rect {
            y: inner.y + header.min(inner.height),
            height: inner.height.saturating_sub(header + error),
            ..inner
        },
    }
}

/// The area inside a one-cell border.
pub fn inside_border(r: Rect) -> Rect {
    Rect::new(
        r.x.saturating_add(1).min(r.x + r.width),
        r.y.saturating_add(1).min(r.y + r.height),
        r.width.saturating_sub(2),
        r.height.saturating_sub(2),
    )
}

/// A rectangle of at most `w`×`h` centred in `area` (the full width when `area` is not much wider:
/// slivers of the pane behind would only confuse).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = if area.width < w + 12 { area.width } else { w };
    let h = h.min(area.height);
    Rect::new(area.x + (area.width - w) / 2, area.y + (area.height - h) / 2, w, h)
}

/// The results dialog's box and the lines of its list, whose entries are `heights` lines high (at most
/// half the box: the selected result's details take the rest).
pub fn results_box(body: Rect, heights: &[usize]) -> (Rect, u16) {
    let r = centered(body, 110, body.height);
    let inner = inside_border(r);
    let lines = u16::try_from(heights.iter().sum::<usize>()).unwrap_or(u16::MAX);
    (r, lines.clamp(1, (inner.height / 2).max(1)))
}

/// The width of the results list's lines in `body`.
pub fn results_width(body: Rect) -> usize {
    inside_border(centered(body, 110, body.height)).width.saturating_sub(2) as usize
}

/// The lines of each result in the results list (newest first) in `body`.
pub fn results_heights(state: &State, body: Rect) -> Vec<usize> {
    let w = results_width(body);
    state
        .jobs
        .list
        .iter()
        .rev()
        .map(|j| super::panes::results::entry_lines(j, &state.zone, w).len())
        .collect()
}

/// Lines of the events dialog above its list: the tabs, and the note when there is one.
pub fn events_list_rows(inner: Rect, has_note: bool) -> u16 {
    let top = 1 + u16::from(has_note);
    // Below the list: the column header, a separator and four lines of the selected event's details.
    const DETAIL: u16 = 4;
    inner.height.saturating_sub(top + DETAIL + 2).max(1)
}

/// The events dialog's box.
pub fn events_box(body: Rect) -> Rect {
    centered(body, 120, body.height)
}

/// The help dialog's box.
pub fn help_box(body: Rect) -> Rect {
    centered(body, 76, body.height)
}

/// Lines of the new-session dialog besides its two lists: the organization label, the restore points'
/// label and column header, their status line, the time label and field, a blank, two options, a
/// blank, the buttons, the error line.
const NEW_SESSION_FIXED: u16 = 12;

/// The new-session dialog's box (for `orgs` organizations) and the rows of its two lists: organizations
/// (as many as there are, 1 to 4) and restore points (the rest, 1 to 12).
pub fn new_session_box(body: Rect, orgs: usize) -> (Rect, u16, u16) {
    let (org_rows, most_points) = new_session_rows(orgs);
    let r = centered(body, 108, NEW_SESSION_FIXED + org_rows + most_points + 2);
    let spare = inside_border(r).height.saturating_sub(NEW_SESSION_FIXED);
    let org_rows = org_rows.min(spare.saturating_sub(1)).max(1);
    (r, org_rows, spare.saturating_sub(org_rows).clamp(1, most_points))
}

/// The rows the new-session dialog wants for `orgs` organizations, and at most for restore points.
fn new_session_rows(orgs: usize) -> (u16, u16) {
    ((orgs as u16).clamp(1, 4), 12)
}

/// Rows of the open dialog's list, for the dialogs that have one.
fn dialog_list_rows(state: &State, o: &Overlay, body: Rect) -> Option<u64> {
    let rows = match o {
        Overlay::Results(_) => results_box(body, &results_heights(state, body)).1,
        Overlay::Events(v) => events_list_rows(inside_border(events_box(body)), v.note.is_some()),
        Overlay::NewSession(d) => new_session_box(body, d.orgs.len()).2,
        _ => return None,
    };
    Some(u64::from(rows))
}

/// Where each pane slot is on a screen of `state.size` (what the next [`reflow`] puts in
/// `state.layout.panes`, which the mouse reads).
pub fn pane_areas(state: &State) -> Vec<(View, Rect)> {
    ScreenLayout::compute(state, state.size).panes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body is what the old arithmetic said (`Rect::new(0, 2, w, h - 3)`): the mouse's pane areas did
    /// not move with the layout's new home.
    #[test]
    fn the_body_sits_between_two_rows_above_and_one_below() {
        for (w, h) in [(20, 6), (80, 24), (120, 30), (200, 60)] {
            let s = Screen::of(Rect::new(0, 0, w, h));
            assert_eq!(s.body, Rect::new(0, 2, w, h - 3), "{w}x{h}");
            assert_eq!((s.header.y, s.crumb.y, s.status.y), (0, 1, h - 1), "{w}x{h}");
        }
        assert!(too_small(Rect::new(0, 0, 19, 30)) && too_small(Rect::new(0, 0, 80, 5)));
        assert!(!too_small(Rect::new(0, 0, 20, 6)));
    }
}
