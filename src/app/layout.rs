//! The screen's layout, as the state sees it: which panes are visible at a width, where the header,
//! breadcrumb, body and status line go, and where each pane slot is. Drawing (`ui`) and mouse
//! hit-testing ([`super::mouse`]) both read it, so a click lands on the pane that was drawn there.
//! Pure functions of the state and the terminal size; no drawing.

use super::{Level, State};
use ratatui::layout::{Constraint, Layout, Rect};

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

/// The panes shown at `width`: the focused one, its parent when there is room, and its child (or the
/// preview of the selected item) on wide screens.
pub fn visible(state: &State, width: u16) -> Vec<View> {
    let max = if width >= THREE_PANES {
        3
    } else if width >= TWO_PANES {
        2
    } else {
        1
    };
    let mut chain: Vec<View> = state.open_levels().into_iter().map(View::Pane).collect();
    if state.focus == Level::Items {
        chain.retain(|v| *v != View::Pane(Level::Details));
        if state.items.as_ref().is_some_and(|i| i.selected().is_some()) {
            chain.push(View::Preview);
        }
    }
    let fi = chain.iter().position(|v| *v == View::Pane(state.focus)).unwrap_or(0);
    let last = chain.len() - 1;
    let end = if max >= 3 { (fi + 1).min(last) } else { fi };
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
        let [header, crumb, body, status] = Layout::vertical([
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
    let areas = Layout::horizontal(constraints).split(body);
    views.into_iter().zip(areas.iter().copied()).collect()
}

/// Where each pane slot is on a screen of `state.size` (what `ui::draw` lays out, from the same
/// [`Screen::of`] and [`split_body`]), for mouse clicks.
pub fn pane_areas(state: &State) -> Vec<(View, Rect)> {
    let (w, h) = state.size;
    let area = Rect::new(0, 0, w, h);
    if too_small(area) {
        return Vec::new();
    }
    split_body(state, Screen::of(area).body)
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
