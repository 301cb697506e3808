//! Details of an item drawn: the entries `app` makes of it ([`entries`]), wrapped, styled, scrolled.

use super::theme::Theme;
use super::{bordered, spinner};
use crate::api::models::{Item, ItemKind};
use crate::app::State;
use crate::app::panes::details::entries::{DetailRow, Entry, rows};
use crate::app::panes::preview;
use crate::text::{thousands, width};
use crate::ui::put::Put;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// The rows as styled lines.
pub fn lines(rows: Vec<DetailRow>, theme: &Theme) -> Vec<Line<'static>> {
    rows.into_iter()
        .map(|r| match r {
            DetailRow::Field { label, value, missing } => {
                let vstyle = if missing {
                    theme.dim()
                } else {
                    ratatui::style::Style::new()
                };
                Line::from(vec![
                    Span::styled(label, theme.label()),
                    Span::raw(" "),
                    Span::styled(value, vstyle),
                ])
            }
            DetailRow::Section(t) => Line::from(Span::styled(t, theme.section())),
            DetailRow::Note(t) => Line::from(Span::styled(t, theme.dim())),
            DetailRow::Text(t) => Line::from(t),
            DetailRow::Problem(t) => Line::from(Span::styled(t, theme.error())),
            DetailRow::Blank => Line::default(),
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn draw_item(
    buf: &mut Buffer,
    area: Rect,
    title: String,
    entries: Option<Vec<Entry>>,
    scroll: u64,
    focused: bool,
    theme: &Theme,
) {
    let t = Line::from(Span::styled(title, theme.title(focused)));
    let inner = bordered(buf, area, t, focused, theme);
    let Some(entries) = entries else { return };
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(1),
        ..inner
    };
    let ls = lines(rows(&entries, inner.width as usize), theme);
    let h = inner.height as u64;
    // The same as the pane's `max_scroll` (the layout's) when drawn at the state's size.
    let max = (ls.len() as u64).saturating_sub(h);
    let top = scroll.min(max);
    for (row, l) in ls.iter().skip(top as usize).take(h as usize).enumerate() {
        buf.put_line(inner.x, inner.y + row as u16, l, inner.width);
    }
    if max > 0 && inner.height > 0 {
        // Where we are in a long item.
        let pos = format!(
            " {}/{} ",
            thousands((top + h).min(ls.len() as u64)),
            thousands(ls.len() as u64)
        );
        let x = area.x + area.width.saturating_sub(width(&pos) as u16 + 1);
        buf.put_string(x, area.y + area.height - 1, pos, theme.dim());
    }
}

/// The pane title for an item: its kind (`Item` for an unknown class).
fn kind_title(it: &Item) -> &'static str {
    match it.kind() {
        ItemKind::Other => "Item",
        k => k.label(),
    }
}

/// The details pane (item opened with Enter).
pub fn draw_details(buf: &mut Buffer, area: Rect, state: &State, focused: bool, theme: &Theme) {
    let Some(d) = &state.details else { return };
    let mut title = format!(" {}", kind_title(&d.item));
    if d.loading.is_some() || state.previews.loading.is_some() {
        title.push(' ');
        title.push_str(spinner(state));
    }
    title.push(' ');
    let es = preview::details_entries(state, &d.key, &d.item);
    draw_item(buf, area, title, Some(es), d.scroll, focused, theme);
}

/// The preview of the item under the items cursor (wide screens).
pub fn draw_preview(buf: &mut Buffer, area: Rect, state: &State, theme: &Theme) {
    let shown = preview::cursor_entries(state);
    let title = match &shown {
        Some((i, _)) => format!(" {} ", kind_title(i)),
        None => " Details ".into(),
    };
    let mut entries = shown.map(|(_, es)| es);
    // A filter that matches nothing: no item is under the cursor, none is shown.
    if entries.is_none()
        && let Some(i) = state.items.as_ref().filter(|i| i.filtered_len() == Some(0))
    {
        let q = crate::text::sanitize(crate::text::clip(i.filter.query(), 512).0).into_owned();
        entries = Some(vec![Entry::Note(format!("no item matches /{q}"))]);
    }
    draw_item(buf, area, title, entries, 0, false, theme);
}
