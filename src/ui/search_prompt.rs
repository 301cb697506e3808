//! The search prompt (`s`): the query field, the scopes, the server's refusal when there was one.

use super::Canvas;
use super::dialogs::centered;
use super::theme::Theme;
use crate::app::State;
use crate::app::panes::search_prompt::SearchPrompt;
use crate::text::{sanitize, skip_columns, truncate, width};
use crate::ui::put::Put;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Widget};

pub(super) fn draw_search(frame: &mut Canvas, area: Rect, _state: &State, p: &SearchPrompt, theme: &Theme) {
    let scopes = p.context.scopes();
    // Borders, the query, a gap, the scopes, a gap, the error (if any), the syntax hint.
    let h = 6 + scopes.len() as u16 + u16::from(p.error.is_some());
    let r = centered(area, 72, h);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.border(true))
        .title(Line::from(Span::styled(" Search on the server ", theme.title(true))));
    let inner = block.inner(r);
    let buf = frame.buffer_mut();
    Clear.render(r, buf);
    block.render(r, buf);
    if inner.height < 3 || inner.width < 16 {
        return;
    }
    let x = inner.x + 1;
    let w = inner.width.saturating_sub(2) as usize;
    let label_w = 7usize;
    let mut y = inner.y;
    let bottom = inner.y + inner.height;
    // The query, scrolled so the cursor stays visible.
    buf.put_string(x, y, "Query", theme.label());
    let avail = w.saturating_sub(label_w + 1).max(1);
    let scroll = p.input.visual_scroll(avail);
    let shown = skip_columns(&sanitize(p.input.value()), scroll);
    let field = Rect::new(x + label_w as u16, y, avail as u16 + 1, 1);
    buf.set_style(field, theme.field(true));
    buf.put_string(field.x, y, truncate(&shown, avail), theme.field(true));
    let cx = field.x + p.input.visual_cursor().saturating_sub(scroll).min(avail) as u16;
    frame.set_cursor_position((cx, y));
    let buf = frame.buffer_mut();
    y += 2;
    for (i, s) in scopes.iter().enumerate() {
        if y >= bottom {
            return;
        }
        if i == 0 {
            buf.put_string(x, y, "Scope", theme.label());
        }
        let on = *s == p.scope;
        let text = format!("{} {}", if on { "●" } else { "○" }, sanitize(&p.context.label(*s)));
        let style = if on {
            theme.selected(true)
        } else {
            ratatui::style::Style::new()
        };
        buf.put_string(x + label_w as u16, y, truncate(&text, w.saturating_sub(label_w)), style);
        y += 1;
    }
    y += 1;
    if let Some(e) = &p.error
        && y < bottom
    {
        buf.put_string(x, y, truncate(&format!("! {}", sanitize(e)), w), theme.error());
        y += 1;
    }
    if y < bottom {
        let hint = "Windows Search syntax: from:alice subject:\"invoice\" words";
        buf.put_string(x, y, truncate(hint, w), theme.dim());
    }
    let foot = " Enter search · Tab scope · Esc cancel ";
    if r.width as usize > width(foot) + 4 {
        buf.put_string(r.x + 2, r.y + r.height - 1, foot, theme.dim());
    }
}
