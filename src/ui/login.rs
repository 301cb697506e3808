//! The login screen, drawn over the panes (after an expiry, over the view that waits for it).

use super::Canvas;
use super::dialogs::centered;
use super::theme::Theme;
use crate::app::State;
use crate::app::panes::login::{API_CHOICES, LoginDialog, LoginField, LoginReason};
use crate::text::{fit, sanitize, truncate, width, wrap};
use crate::ui::put::Put;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Widget};

/// Width of the labels column.
const LABEL: u16 = 10;

pub fn draw_login(frame: &mut Canvas, area: Rect, state: &State, d: &LoginDialog, theme: &Theme) {
    let r = centered(area, 66, 13);
    let title = match d.reason {
        LoginReason::Start => " Log in ",
        LoginReason::Expired => " Session expired ",
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.border(true))
        .title(Line::from(Span::styled(title, theme.title(true))));
    let inner = block.inner(r);
    {
        let buf = frame.buffer_mut();
        Clear.render(r, buf);
        block.render(r, buf);
    }
    if inner.height < 6 || inner.width < 24 {
        return;
    }
    let x = inner.x + 1;
    let w = inner.width.saturating_sub(2);
    let field_w = w.saturating_sub(LABEL) as usize;
    let bottom = inner.y + inner.height;
    let mut y = inner.y;
    let mut cursor = None;
    let buf = frame.buffer_mut();
    let intro = match d.reason {
        LoginReason::Start => "Log in to the Veeam Backup for Microsoft 365 server.",
        LoginReason::Expired => "The server ended the session. Log in again to carry on where you were.",
    };
    for l in wrap(intro, w as usize).into_iter().take(2) {
        buf.put_string(x, y, l, theme.dim());
        y += 1;
    }
    y += 1;
    let label = |buf: &mut ratatui::buffer::Buffer, y: u16, text: &str, f: LoginField| {
        let style = if d.field == f { theme.key() } else { theme.label() };
        buf.put_string(x, y, text, style);
    };
    // Server.
    label(buf, y, "Server", LoginField::Server);
    if d.can_change_server() {
        let focused = d.field == LoginField::Server;
        if let Some(cx) = text_field(
            buf,
            x + LABEL,
            y,
            field_w,
            d.server.value(),
            d.server.visual_cursor(),
            focused,
            theme,
        ) && focused
        {
            cursor = Some((cx, y));
        }
    } else {
        buf.put_string(
            x + LABEL,
            y,
            truncate(&sanitize(d.server.value()), field_w),
            Style::new(),
        );
    }
    y += 1;
    // API version.
    label(buf, y, "API", LoginField::Api);
    if d.can_change_server() {
        let focused = d.field == LoginField::Api;
        let mut spans = Vec::new();
        for v in API_CHOICES {
            let on = v == d.api;
            let text = if on { format!("[{v}]") } else { format!(" {v} ") };
            let style = match (on, focused) {
                (true, true) => theme.field(true),
                (true, false) => theme.selected(false),
                (false, _) => Style::new(),
            };
            spans.push(Span::styled(text, style));
            spans.push(Span::raw(" "));
        }
        buf.put_line(x + LABEL, y, &Line::from(spans), field_w as u16);
    } else {
        let shown = if state.header.api_version.is_empty() {
            d.api.to_string()
        } else {
            state.header.api_version.clone()
        };
        buf.put_string(x + LABEL, y, truncate(&sanitize(&shown), field_w), Style::new());
    }
    y += 1;
    // User.
    label(buf, y, "User", LoginField::User);
    let focused = d.field == LoginField::User;
    if let Some(cx) = text_field(
        buf,
        x + LABEL,
        y,
        field_w,
        d.user.value(),
        d.user.visual_cursor(),
        focused,
        theme,
    ) && focused
    {
        cursor = Some((cx, y));
    }
    y += 1;
    // Password: one bullet per character, never the text.
    label(buf, y, "Password", LoginField::Password);
    let focused = d.field == LoginField::Password;
    let bullets = d.password.masked();
    if let Some(cx) = text_field(
        buf,
        x + LABEL,
        y,
        field_w,
        &bullets,
        d.password.cursor(),
        focused,
        theme,
    ) && focused
    {
        cursor = Some((cx, y));
    }
    y += 2;
    // The server's refusal (or a problem with the input).
    if let Some(e) = &d.error {
        // Whole, as far as the box allows (the button keeps its row); a cut says so with `…`.
        let lines = wrap(&format!("! {}", sanitize(e)), w as usize);
        let room = bottom.saturating_sub(1).saturating_sub(y) as usize;
        let n = lines.len();
        for (i, l) in lines.into_iter().enumerate().take(room) {
            let l = if i + 1 == room && n > room {
                format!(
                    "{}…",
                    truncate(&l, (w as usize).saturating_sub(1)).trim_end_matches('…')
                )
            } else {
                l
            };
            buf.put_string(x, y, l, theme.error());
            y += 1;
        }
    }
    let button = if d.submitting.is_some() {
        format!("[ {} logging in… ]", super::spinner(state))
    } else {
        "[ Log in ]".to_string()
    };
    let by = bottom.saturating_sub(1).max(y);
    if by < bottom {
        let bx = inner.x + inner.width.saturating_sub(width(&button) as u16) / 2;
        buf.put_string(bx, by, &button, theme.field(d.submitting.is_none()));
    }
    let foot = match d.reason {
        LoginReason::Start => " Tab next · ←→ API · Enter log in · Esc quit ",
        LoginReason::Expired => " Tab next · Enter log in · ^C quit ",
    };
    let fx = r.x + r.width.saturating_sub(width(foot) as u16 + 2);
    buf.put_string(
        fx,
        r.y + r.height - 1,
        truncate(foot, r.width.saturating_sub(4) as usize),
        theme.dim(),
    );
    if let Some(pos) = cursor
        && d.submitting.is_none()
    {
        frame.set_cursor_position(pos);
    }
}

/// An input field `w` columns wide showing `value` scrolled so the cursor (in columns) is visible;
/// returns the cursor's column on screen.
#[allow(clippy::too_many_arguments)]
fn text_field(
    buf: &mut ratatui::buffer::Buffer,
    x: u16,
    y: u16,
    w: usize,
    value: &str,
    cursor: usize,
    focused: bool,
    theme: &Theme,
) -> Option<u16> {
    if w < 2 {
        return None;
    }
    let value = sanitize(value);
    let scroll = cursor.saturating_sub(w - 1);
    let shown: String = value.chars().skip(scroll).collect();
    buf.put_string(x, y, fit(&shown, w), theme.field(focused));
    Some(x + (cursor - scroll).min(w - 1) as u16)
}
