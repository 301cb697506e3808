//! Drawing: functions that read the state (plus the scroll math of their windows). `draw` lays out
//! the header, the breadcrumb, the panes that fit the width, the status line and any dialog.
//!
//! Every string that comes from the server goes through [`text::sanitize`] (usually via [`text::srv`])
//! before it becomes a Span.

pub mod batch;
pub mod details;
pub mod dialogs;
pub mod job_dialogs;
pub mod login;
pub mod panes;
pub mod put;
pub mod search_prompt;
pub mod table;
pub mod theme;

use crate::app::layout::{Screen, ScreenLayout, View, too_small};
use crate::app::{Conn, Level, State};
use crate::text::{self, sanitize, skip_columns, truncate, truncate_left, width};
use crate::ui::put::Put;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Widget};
use theme::Theme;

/// What drawing writes into: a frame's buffer, its area, and where the terminal's cursor goes. The same
/// methods as ratatui's `Frame`, which only ratatui's `Terminal` can make: the browser's loop draws into
/// buffers of its own (`runtime::terminal::draw_frame`).
pub struct Canvas<'a> {
    buf: &'a mut Buffer,
    area: Rect,
    cursor: Option<Position>,
}

impl<'a> Canvas<'a> {
    pub fn new(buf: &'a mut Buffer, area: Rect) -> Canvas<'a> {
        Canvas {
            buf,
            area,
            cursor: None,
        }
    }

    pub fn area(&self) -> Rect {
        self.area
    }

    pub fn buffer_mut(&mut self) -> &mut Buffer {
        self.buf
    }

    /// Shows the terminal's cursor there after the frame (hidden when never set).
    pub fn set_cursor_position<P: Into<Position>>(&mut self, p: P) {
        self.cursor = Some(p.into());
    }

    pub fn cursor(&self) -> Option<Position> {
        self.cursor
    }
}

/// Draws the whole screen into a ratatui frame.
pub fn draw(frame: &mut Frame, state: &State) {
    let area = frame.area();
    if let Some(p) = draw_into(frame.buffer_mut(), area, state) {
        frame.set_cursor_position(p);
    }
}

/// Draws the whole screen into `buf` (blank, `area` being its area); returns where the cursor goes.
pub fn draw_into(buf: &mut Buffer, area: Rect, state: &State) -> Option<Position> {
    let mut canvas = Canvas::new(buf, area);
    draw_canvas(&mut canvas, state);
    canvas.cursor()
}

fn draw_canvas(frame: &mut Canvas, state: &State) {
    let area = frame.area();
    let theme = Theme::for_state(state);
    if too_small(area) {
        let msg = truncate("vex: the terminal is too small", area.width as usize);
        frame.buffer_mut().put_string(area.x, area.y, msg, Style::new());
        return;
    }
    let Screen {
        header,
        crumb,
        body,
        status,
    } = Screen::of(area);
    draw_header(frame.buffer_mut(), header, state, &theme);
    draw_crumb(frame.buffer_mut(), crumb, state, &theme);
    // The layout `update` keeps; one computed for this frame when it is drawn at another size (tests).
    let size = (area.width, area.height);
    let computed;
    let layout = if state.layout.size == size {
        &state.layout
    } else {
        computed = ScreenLayout::compute(state, size);
        &computed
    };
    for &(v, a) in &layout.panes {
        let focused = v == View::Pane(state.focus);
        panes::draw_view(frame.buffer_mut(), a, state, v, focused, &theme);
    }
    draw_status(frame, status, state, &theme);
    if let Some(o) = &state.overlay {
        dialogs::draw(frame, body, state, o, &theme);
    }
    if let Some(l) = &state.login {
        login::draw_login(frame, body, state, l, &theme);
    }
    // The last line of defence: a server string that slipped past `sanitize` still never reaches the
    // terminal raw.
    text::scrub(frame.buffer_mut());
}

/// A bordered block with a title, styled for focus.
pub fn pane_block<'a>(title: Line<'a>, width: u16, focused: bool, theme: &Theme) -> Block<'a> {
    Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Plain)
        .border_style(theme.border(focused))
        .title(fit_title(title, width.saturating_sub(2)))
}

/// Draws [`pane_block`] into `area` and returns its inner area: the same cells as rendering the block,
/// without its pass over every cell of the area to set the block's style (it has none): at 200x60 that
/// pass was a tenth of a frame.
pub fn bordered(buf: &mut Buffer, area: Rect, title: Line<'_>, focused: bool, theme: &Theme) -> Rect {
    let inner = Block::new().borders(Borders::ALL).inner(area);
    let title = fit_title(title, area.width.saturating_sub(2));
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return inner;
    }
    let style = theme.border(focused);
    let (left, top) = (area.left(), area.top());
    let (right, bottom) = (area.right() - 1, area.bottom() - 1);
    // As `Block` draws them: the sides (left, top, right, bottom), then the corners over them.
    for y in top..=bottom {
        buf[(left, y)].set_symbol("│").set_style(style);
    }
    for x in left..=right {
        buf[(x, top)].set_symbol("─").set_style(style);
    }
    for y in top..=bottom {
        buf[(right, y)].set_symbol("│").set_style(style);
    }
    for x in left..=right {
        buf[(x, bottom)].set_symbol("─").set_style(style);
    }
    for (x, y, corner) in [
        (right, bottom, "┘"),
        (right, top, "┐"),
        (left, bottom, "└"),
        (left, top, "┌"),
    ] {
        buf[(x, y)].set_symbol(corner).set_style(style);
    }
    // The title on the top border, left-aligned between the corners.
    let room = area.width.saturating_sub(2);
    if room > 0 {
        let w = title.width().min(usize::from(u16::MAX)) as u16;
        title.render(Rect::new(left + 1, top, w.min(room), 1), buf);
    }
    inner
}

/// A title wider than `w` columns is cut with `…` (the border would cut it silently, so a cut count or
/// address would read as another). Its spans become one, in the first span's style.
pub fn fit_title(title: Line<'_>, w: u16) -> Line<'_> {
    if title.width() <= usize::from(w) {
        return title;
    }
    let style = title.spans.first().map(|s| s.style).unwrap_or_default();
    let text: String = title.spans.iter().map(|s| s.content.as_ref()).collect();
    // Keep the closing space of titles (" Items · 3 ") so the cut reads as a cut, not as the border.
    let cut = truncate(text.trim_end(), usize::from(w).saturating_sub(1));
    Line::from(Span::styled(format!("{cut} "), style))
}

/// The counts of a restore as the dialogs draw them (created, merged, skipped, failed):
/// `created 1 · merged 0 · skipped 0 · failed 0`. The restore dialog's result and the batch view's totals.
pub fn counts_line(counts: [i64; 4]) -> String {
    crate::app::jobs::count_words(counts, " · ")
}

/// The spinner frame for the current tick.
pub fn spinner(state: &State) -> &'static str {
    const FRAMES: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];
    FRAMES[(state.tick % FRAMES.len() as u64) as usize]
}

fn draw_header(buf: &mut Buffer, area: Rect, state: &State, theme: &Theme) {
    buf.set_style(area, theme.header());
    let h = &state.header;
    let conn = match &state.conn {
        Conn::Failing(e) => format!("✕ {}", sanitize(e)),
        Conn::Online if state.is_loading() => format!("{} loading", spinner(state)),
        Conn::Online => "● online".to_string(),
    };
    let mut parts = vec![" vex".to_string(), sanitize(&h.server).into_owned()];
    if !h.user.is_empty() {
        parts.push(format!("user {}", sanitize(&h.user)));
    }
    if !h.api_version.is_empty() {
        parts.push(format!("API {}", sanitize(&h.api_version)));
    }
    parts.push(conn);
    // Badges on the right: read-only, and the insecure banner (which stays for the whole session).
    let mut badges: Vec<(&str, Style)> = Vec::new();
    if h.read_only {
        badges.push((" READ-ONLY ", theme.header_warn()));
    }
    if h.insecure {
        let text = if area.width >= 70 {
            " INSECURE: certificate not verified "
        } else {
            " INSECURE "
        };
        badges.push((text, theme.danger()));
    }
    if h.plain_http {
        let text = if area.width >= 70 {
            " UNENCRYPTED: plain http "
        } else {
            " PLAIN HTTP "
        };
        badges.push((text, theme.danger()));
    }
    let right_w: usize = badges.iter().map(|(t, _)| width(t)).sum();
    let avail = (area.width as usize).saturating_sub(right_w);
    // The connection's state is the live part: rather than cut it ("● …", a failure's reason lost), the
    // user name goes first, then the API version (both known from the command line or the login).
    while parts.len() > 3 && width(&parts.join(" │ ")) > avail {
        parts.remove(2);
    }
    let left = parts.join(" │ ");
    let conn_end = width(&left);
    // The browsed session's point in time, when it fits whole (the breadcrumb always has it).
    let left = match &state.mailboxes {
        Some(m) => {
            let with = format!("{left} │ {}", crate::app::point::label(state, &m.session.id));
            if width(&with) <= avail { with } else { left }
        }
        None => left,
    };
    buf.put_string(area.x, area.y, truncate(&left, avail), theme.header());
    let mut x = area.x + area.width.saturating_sub(right_w as u16);
    for (text, style) in badges {
        buf.put_string(x, area.y, text, style);
        x += width(text) as u16;
    }
    if matches!(state.conn, Conn::Failing(_)) {
        // Make a failing connection stand out even without colour.
        let w = conn_end.min(avail) as u16;
        let start = area.x + width(&parts[..parts.len() - 1].join(" │ ")).min(avail) as u16;
        if start < area.x + w {
            buf.set_style(Rect::new(start, area.y, area.x + w - start, 1), theme.header_warn());
        }
    }
}

/// The breadcrumb segments up to the focused pane.
pub fn crumbs(state: &State) -> Vec<String> {
    let mut v = vec!["Sessions".to_string()];
    if state.focus >= Level::Mailboxes
        && let Some(m) = &state.mailboxes
    {
        let org = m.session.organization.as_deref().unwrap_or("session");
        // Which point in time is browsed (not when the session was created: the classic mistake).
        v.push(format!(
            "{} · {}",
            sanitize(org),
            crate::app::point::label(state, &m.session.id)
        ));
    }
    if state.focus >= Level::Folders
        && let Some(f) = &state.folders
    {
        let name = f
            .mailbox
            .name
            .as_deref()
            .or(f.mailbox.email.as_deref())
            .unwrap_or("mailbox");
        v.push(sanitize(name).into_owned());
    }
    if state.focus >= Level::Items
        && let Some(i) = &state.items
    {
        v.push(sanitize(&i.path).into_owned());
    }
    if state.focus >= Level::Details
        && let Some(d) = &state.details
    {
        let title = text::clip(d.item.title().unwrap_or("(no subject)"), 1024).0;
        v.push(truncate(&sanitize(title), 80));
    }
    v
}

fn draw_crumb(buf: &mut Buffer, area: Rect, state: &State, theme: &Theme) {
    let s = format!(" {}", crumbs(state).join(" › "));
    buf.put_string(area.x, area.y, truncate_left(&s, area.width as usize), theme.crumb());
}

/// The hints for the focused pane: its own actions, then help and quit.
pub fn hints(state: &State) -> Vec<(String, &'static str)> {
    if state.login.is_some() {
        return vec![
            ("Tab".into(), "next field"),
            ("Enter".into(), "log in"),
            ("^C".into(), "quit"),
        ];
    }
    let km = &state.keymap;
    let read_only = state.header.read_only;
    let mut out = Vec::new();
    let mut push = |a: crate::app::Action, hint: &'static str| {
        // Read-only: writing actions are not offered at all.
        if read_only && a.is_write() {
            return;
        }
        if let Some(k) = km.first_key(a) {
            out.push((k, hint));
        }
    };
    let filtering = state.focused_filter().is_some_and(|f| f.is_active());
    // A filter sees only the loaded items: the server search (which sees them all) comes first.
    let partial_filter =
        filtering && state.focus == Level::Items && state.items.as_ref().is_some_and(|i| i.offers_server_search());
    if partial_filter {
        push(crate::app::Action::Search, "search the server");
    }
    for (a, hint, _) in state.focused_help() {
        if partial_filter && *a == crate::app::Action::Search {
            continue;
        }
        // "Esc clears the filter" only matters with a filter.
        if *a == crate::app::Action::Back && state.focus == Level::Sessions && !filtering {
            continue;
        }
        push(*a, hint);
    }
    if state.focus == Level::Sessions {
        push(crate::app::Action::NewSession, "new");
    }
    push(crate::app::Action::Help, "help");
    push(crate::app::Action::Quit, "quit");
    out
}

/// Right of the filter being typed in the items pane: what it found among the loaded items, and (when
/// not all are loaded) that the server search sees them all. Drawn only where it leaves the field alone.
fn filter_note(buf: &mut Buffer, area: Rect, state: &State, cursor_x: u16, theme: &Theme) {
    let Some(items) = state.items.as_ref().filter(|_| state.focus == Level::Items) else {
        return;
    };
    let mut note = items.filter_words().unwrap_or_default();
    if items.offers_server_search() {
        let s = state.keymap.hint(crate::app::Action::Search, "s");
        if !note.is_empty() {
            note.push_str(" · ");
        }
        note.push_str(&format!("Enter, then {s}: search the server"));
    }
    let w = width(&note) as u16;
    if note.is_empty() || area.x + area.width < cursor_x + 3 + w {
        return;
    }
    buf.put_string(area.x + area.width - w - 1, area.y, note, theme.dim());
}

fn draw_status(frame: &mut Canvas, area: Rect, state: &State, theme: &Theme) {
    let buf = frame.buffer_mut();
    // Typing a filter: the field, with the cursor.
    if let Some(f) = state.focused_filter()
        && f.editing
    {
        let prefix = " /";
        let avail = (area.width as usize).saturating_sub(width(prefix) + 1);
        let input = f.input();
        let scroll = input.visual_scroll(avail);
        let shown: String = skip_columns(input.value(), scroll);
        buf.put_string(area.x, area.y, prefix, theme.key());
        buf.put_string(area.x + 2, area.y, truncate(&shown, avail), Style::new());
        let cx = area.x + 2 + (input.visual_cursor().saturating_sub(scroll)).min(avail) as u16;
        frame.set_cursor_position((cx, area.y));
        filter_note(frame.buffer_mut(), area, state, cx, theme);
        return;
    }
    if let Some(s) = &state.status {
        let style = if s.error { theme.error() } else { theme.info() };
        let text = format!(" {}", sanitize(&s.text));
        buf.put_string(area.x, area.y, truncate(&text, area.width as usize), style);
        return;
    }
    // As many hints as fit, whole; help and quit (the last two) always.
    let hs = hints(state);
    let cost = |(k, h): &(String, &str)| width(k) + 1 + width(h) + 2;
    let tail: usize = hs.iter().rev().take(2).map(cost).sum();
    let mut budget = (area.width as usize).saturating_sub(1 + tail);
    let mut spans = vec![Span::raw(" ")];
    let n = hs.len();
    for (i, hint) in hs.iter().enumerate() {
        let c = cost(hint);
        if i + 2 < n {
            if c > budget {
                continue;
            }
            budget -= c;
        }
        spans.push(Span::styled(hint.0.clone(), theme.key()));
        spans.push(Span::raw(format!(" {}  ", hint.1)));
    }
    buf.put_line(area.x, area.y, &Line::from(spans), area.width);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::{Color, Modifier};

    /// `bordered` draws the cells the pane block renders (and gives its inner area): titles that fit
    /// or are cut, wide characters, both focus styles, areas of one row or column, areas past the
    /// buffer's edge, over cells that hold something already.
    #[test]
    fn bordered_draws_what_the_block_renders() {
        let titles = [
            " Items · 3/1,000,000 ",
            " 会議の議事録 folder ",
            "",
            " x ",
            " Réunion – Zürich 🎉 and a title long enough to be cut ",
        ];
        let area = Rect::new(0, 0, 30, 8);
        let mut before = Buffer::empty(area);
        for y in 0..area.height {
            before.set_string(0, y, "abcdefghij会klmnopqrstuvwxyz0123", Style::new().fg(Color::Red));
        }
        before.set_style(
            Rect::new(2, 2, 5, 3),
            Style::new().bg(Color::Blue).add_modifier(Modifier::BOLD),
        );
        for color in [true, false] {
            let theme = Theme::new(color);
            for (w, h) in [
                (1, 1),
                (2, 1),
                (1, 3),
                (2, 2),
                (3, 3),
                (5, 2),
                (12, 4),
                (40, 6),
                (30, 8),
            ] {
                for (x, y) in [(0, 0), (3, 1), (25, 6)] {
                    for title in titles {
                        for focused in [true, false] {
                            let r = Rect::new(x, y, w, h);
                            let line = || Line::from(Span::styled(title, theme.title(focused)));
                            let mut want = before.clone();
                            let block = pane_block(line(), r.width, focused, &theme);
                            let inner = block.inner(r);
                            block.render(r, &mut want);
                            let mut got = before.clone();
                            let got_inner = bordered(&mut got, r, line(), focused, &theme);
                            assert_eq!(got, want, "{r:?} {title:?} focused {focused}");
                            assert_eq!(got_inner, inner, "{r:?}");
                        }
                    }
                }
            }
        }
    }
}
