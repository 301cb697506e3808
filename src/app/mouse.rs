//! The mouse, when `mouse = true` in config.toml (otherwise the runtime does not capture it and the
//! terminal's own text selection works): the wheel moves the cursor of the pane under the pointer
//! ([`WHEEL_ROWS`] rows a notch) or scrolls the help; a left click focuses the pane under it and puts
//! the cursor on the row clicked, and a click on the selected row of the focused pane opens it (like
//! Enter), as does a click on the preview beside the items. Other dialogs and the login screen keep to their keys.

use super::layout::{View, list_area};
use super::{Action, Effect, Level, Overlay, State};
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

/// Rows one notch of the wheel moves.
pub const WHEEL_ROWS: usize = 3;

/// Applies a mouse event; true when something changed.
pub(super) fn on_mouse(state: &mut State, ev: MouseEvent, fx: &mut Vec<Effect>) -> bool {
    if !state.mouse || state.login.is_some() {
        return false;
    }
    let wheel = match ev.kind {
        MouseEventKind::ScrollUp => Some(Action::Up),
        MouseEventKind::ScrollDown => Some(Action::Down),
        MouseEventKind::Down(MouseButton::Left) => None,
        _ => return false,
    };
    if let Some(overlay) = &mut state.overlay {
        if let (Overlay::Help(h), Some(a)) = (overlay, wheel) {
            for _ in 0..WHEEL_ROWS {
                h.on_action(a);
            }
            return true;
        }
        return false;
    }
    let at = Position::new(ev.column, ev.row);
    let hit = state.layout.panes.iter().find_map(|&(v, r)| match v {
        View::Pane(level) if r.contains(at) => Some((level, r)),
        _ => None,
    });
    match wheel {
        Some(a) => {
            // The pane under the pointer scrolls without taking the focus.
            let level = hit.map_or(state.focus, |(l, _)| l);
            let focus = std::mem::replace(&mut state.focus, level);
            for _ in 0..WHEEL_ROWS {
                super::on_action(state, a, fx);
            }
            state.focus = focus;
            true
        }
        None => {
            // A filter being typed keeps the focus.
            if state.focused_filter().is_some_and(|f| f.editing) {
                return false;
            }
            // A click on the preview opens the item's details (like Tab).
            if state
                .layout
                .panes
                .iter()
                .any(|&(v, r)| v == View::Preview && r.contains(at))
            {
                state.focus = Level::Items;
                super::on_action(state, Action::Open, fx);
                return true;
            }
            let Some((level, area)) = hit else { return false };
            let before = (state.focus == level).then(|| cursor_of(state, level)).flatten();
            state.focus = level;
            let clicked = select_row(state, level, area, ev.row);
            if clicked.is_some() && clicked == before {
                super::on_action(state, Action::Open, fx);
            }
            true
        }
    }
}

/// The cursor of a pane, in display order.
fn cursor_of(state: &State, level: Level) -> Option<u64> {
    match level {
        Level::Sessions => Some(state.sessions.list.cursor as u64),
        Level::Mailboxes => state.mailboxes.as_ref().map(|m| m.list.cursor as u64),
        Level::Folders => state.folders.as_ref().map(|f| f.cursor as u64),
        Level::Items => state.items.as_ref().map(|i| i.display_cursor()),
        Level::Details => None,
    }
}

/// Puts the cursor of the pane drawn in `area` on the row at screen line `y`, if a row is there; returns
/// that row (display order).
fn select_row(state: &mut State, level: Level, area: Rect, y: u16) -> Option<u64> {
    // The rows of the list as drawn (inside the border, below the column header).
    let list = list_area(state, level, area);
    if y < list.y || y >= list.y + list.height {
        return None;
    }
    let offset = u64::from(y - list.y);
    match level {
        Level::Sessions => {
            let l = &mut state.sessions.list;
            let i = l.view.top() + offset;
            if i < l.len() as u64 {
                l.cursor = i as usize;
                return Some(i);
            }
        }
        Level::Mailboxes => {
            if let Some(m) = &mut state.mailboxes {
                let i = m.list.view.top() + offset;
                if i < m.list.len() as u64 {
                    m.list.cursor = i as usize;
                    return Some(i);
                }
            }
        }
        Level::Folders => {
            if let Some(f) = &mut state.folders {
                let i = f.view.top() + offset;
                if i < f.rows().len() as u64 {
                    f.cursor = i as usize;
                    return Some(i);
                }
            }
        }
        Level::Items => {
            if let Some(p) = &mut state.items {
                let i = p.view.top() + offset;
                p.select_display(i);
                return (p.display_cursor() == i && p.selected().is_some()).then_some(i);
            }
        }
        Level::Details => {}
    }
    None
}
