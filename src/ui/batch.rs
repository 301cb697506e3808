//! Drawing of the batch view (`B`): the batches (this run's and the journal's), the selected one's
//! progress overall and per source with each source's outcome, and the steps of starting one (plan
//! file, marks' form, dry run). Names from the server and the plan pass through `sanitize`; the password
//! is only ever drawn as its mask.

use super::Canvas;
use super::theme::Theme;
use crate::app::layout::centered;
use crate::app::panes::batch::{
    BatchEntry, BatchView, MarksField, MarksForm, Review, ReviewFocus, SourceRow, Start, entries, unit_line,
};
use crate::app::{Action, State};
use crate::text::{fit, fit_right, sanitize, skip_columns, thousands, truncate, width, wrap};
use crate::ui::put::Put;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Widget};
use tui_input::Input;

fn n(v: usize) -> String {
    thousands(v as u64)
}

fn i(v: i64) -> String {
    thousands(v.max(0) as u64)
}

/// A cleared, bordered box; returns it and its inside.
fn frame_box(frame: &mut Canvas, r: Rect, title: &str, theme: &Theme) -> Rect {
    let b = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.border(true))
        .title(super::fit_title(
            Line::from(Span::styled(format!(" {title} "), theme.title(true))),
            r.width.saturating_sub(2),
        ));
    let inner = b.inner(r);
    let buf = frame.buffer_mut();
    Clear.render(r, buf);
    b.render(r, buf);
    inner
}

fn footer(frame: &mut Canvas, r: Rect, text: &str, theme: &Theme) {
    let t = truncate(text, r.width.saturating_sub(4) as usize);
    let x = r.x + r.width.saturating_sub(width(&t) as u16 + 2);
    frame.buffer_mut().put_string(x, r.y + r.height - 1, t, theme.dim());
}

/// `[██████░░░░]` for `done` of `total`, `w` cells inside the brackets.
pub fn bar(done: usize, total: usize, w: usize) -> String {
    let filled = (done * w).checked_div(total).unwrap_or(0).min(w);
    format!("[{}{}]", "█".repeat(filled), "░".repeat(w - filled))
}

/// `2026-12-03T10:40:12Z` → `2026-12-03 10:40:12 UTC` (the journal writes UTC).
fn when(rfc3339: &str) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()
        .and_then(|t| t.to_offset(time::UtcOffset::UTC).format(f).ok())
        .unwrap_or_else(|| sanitize(rfc3339).into_owned())
}

fn short_id(id: &str) -> String {
    if id.is_empty() {
        "(starting)".into()
    } else {
        sanitize(id).chars().take(12).collect()
    }
}

/// The file name of a plan path (the whole path is in the details).
fn plan_name(p: &str) -> String {
    let p = sanitize(p);
    p.rsplit('/').next().unwrap_or(&p).to_string()
}

/// The view over the body: the batches, the selected one's progress and sources; a start step on top.
pub fn draw_batches(frame: &mut Canvas, area: Rect, state: &State, v: &BatchView, theme: &Theme) {
    let list = entries(state, v);
    let running = list.iter().filter(|e| e.running).count();
    let title = match (list.len(), running) {
        (0, _) => "Batches".to_string(),
        (k, 0) => format!("Batches · {}", n(k)),
        (k, r) => format!("Batches · {} ({} running)", n(k), n(r)),
    };
    let r = centered(area, 120, area.height);
    let inner = frame_box(frame, r, &title, theme);
    if inner.height < 6 || inner.width < 30 {
        return;
    }
    let w = inner.width.saturating_sub(2) as usize;
    let x = inner.x + 1;
    let mut y = inner.y;
    let bottom = inner.y + inner.height;
    let spin = super::spinner(state);
    {
        let buf = frame.buffer_mut();
        // The list of batches.
        let head = format!(
            "  {}{}{}{}{}",
            fit("State", 9),
            fit("Batch", 14),
            fit("Started (UTC)", 21),
            fit_right("Restores", 15),
            "  Plan"
        );
        buf.put_string(x, y, truncate(&head, w), theme.label());
        y += 1;
        let list_h = (list.len().max(1) as u16).min((inner.height / 3).max(2));
        if list.is_empty() {
            let words = if v.loading.is_some() {
                format!("{spin} reading the journal…")
            } else if let Some(e) = &v.error {
                sanitize(e).into_owned()
            } else {
                "no batches yet: p starts one from a plan file, M from the marks in several mailboxes".into()
            };
            let style = if v.error.is_some() { theme.error() } else { theme.dim() };
            buf.put_string(x, y, truncate(&words, w), style);
        }
        let top = v.cursor.saturating_sub(list_h as usize - 1);
        for (row, (idx, e)) in list.iter().enumerate().skip(top).take(list_h as usize).enumerate() {
            let t = e.totals();
            let state_word = if e.running {
                format!("{spin} running")
            } else {
                e.state_word().to_string()
            };
            let line = format!(
                "{}{}{}{}{}  {}",
                if idx == v.cursor { "▶ " } else { "  " },
                fit(&state_word, 9),
                fit(&short_id(&e.id), 14),
                fit(
                    &if e.created.is_empty() {
                        "—".into()
                    } else {
                        when(&e.created)[..19.min(when(&e.created).len())].to_string()
                    },
                    21
                ),
                fit_right(&format!("{}/{}", n(t.ended()), n(t.restores)), 15),
                plan_name(&e.plan)
            );
            let style = if idx == v.cursor {
                theme.selected(true)
            } else if e.running {
                theme.key()
            } else {
                Style::new()
            };
            buf.put_string(x, y + row as u16, fit(&line, w), style);
        }
        y += list_h;
        if y < bottom {
            buf.put_string(inner.x, y, "─".repeat(inner.width as usize), theme.dim());
            y += 1;
        }
    }
    if let Some(e) = list.get(v.cursor) {
        draw_entry(
            frame,
            Rect::new(x, y, w as u16, bottom.saturating_sub(y)),
            e,
            spin,
            theme,
        );
    }
    let km = &state.keymap;
    let text = format!(
        " {}/{} select · Enter resume · p plan file · M from marks · {} reload · {} close ",
        km.hint(Action::Down, "j"),
        km.hint(Action::Up, "k"),
        km.hint(Action::Refresh, "^r"),
        km.hint(Action::Back, "Esc")
    );
    footer(frame, r, &text, theme);
    match &v.start {
        Some(Start::PlanPath {
            input,
            error,
            resolving,
        }) => draw_plan_path(frame, area, input, error.as_deref(), resolving.is_some(), spin, theme),
        Some(Start::Marks(f)) => draw_marks(frame, area, state, f, theme),
        Some(Start::Review(rv)) => draw_review(frame, area, state, rv, theme),
        None => {}
    }
}

/// One batch: what it is, the overall progress, the table of sources, the last line or the error.
fn draw_entry(frame: &mut Canvas, area: Rect, e: &BatchEntry, spin: &str, theme: &Theme) {
    let w = area.width as usize;
    let bottom = area.y + area.height;
    let mut y = area.y;
    let buf = frame.buffer_mut();
    let mut put = |text: String, style: Style, y: &mut u16| {
        if *y < bottom {
            buf.put_string(area.x, *y, fit(&text, w), style);
            *y += 1;
        }
    };
    let head = format!(
        "Batch {} · plan {} · session {}{}",
        if e.id.is_empty() {
            "(starting)".into()
        } else {
            sanitize(&e.id).into_owned()
        },
        sanitize(&e.plan),
        sanitize(&e.session),
        if e.created.is_empty() {
            String::new()
        } else {
            format!(" · started {}", when(&e.created))
        }
    );
    for l in wrap(&head, w.max(10)) {
        put(l, theme.label(), &mut y);
    }
    let t = e.totals();
    let bar_w = 24.min(w / 4);
    let mut overall = format!(
        "Overall {} {} of {} restores ended",
        bar(t.ended(), t.restores, bar_w),
        n(t.ended()),
        n(t.restores)
    );
    if t.sending > 0 {
        overall.push_str(&format!(" · {} sending", n(t.sending)));
    }
    if t.not_sent > 0 {
        overall.push_str(&format!(" · {} not sent", n(t.not_sent)));
    }
    if t.unknown > 0 {
        overall.push_str(&format!(" · {} unknown", n(t.unknown)));
    }
    put(overall, Style::new(), &mut y);
    put(
        format!(
            "        items {} · restores refused {}",
            super::counts_line([t.created, t.merged, t.skipped, t.failed]),
            n(t.refused)
        ),
        Style::new(),
        &mut y,
    );
    y += 1;
    // The sources.
    let cols: [(&str, usize); 9] = [
        ("Line", 5),
        ("Ended", 9),
        ("Created", 8),
        ("Merged", 7),
        ("Skipped", 8),
        ("Failed", 7),
        ("Refused", 8),
        ("Unknown", 8),
        ("Not sent", 9),
    ];
    let nums: usize = cols.iter().map(|c| c.1).sum();
    let label_w = w.saturating_sub(nums).max(12);
    let row = |label: &str, cells: [String; 9]| -> String {
        let mut s = fit(label, label_w);
        for (c, (_, cw)) in cells.iter().zip(cols) {
            s.push_str(&fit_right(c, cw));
        }
        s
    };
    put(row("Source", cols.map(|c| c.0.to_string())), theme.label(), &mut y);
    let cells = |s: &SourceRow| -> [String; 9] {
        [
            if s.line > 0 { s.line.to_string() } else { "—".into() },
            format!("{}/{}", n(s.ended()), n(s.restores)),
            i(s.created),
            i(s.merged),
            i(s.skipped),
            i(s.failed),
            n(s.refused),
            n(s.unknown),
            n(s.not_sent),
        ]
    };
    let sources = e.sources();
    // Room for the sources, the total and the last line.
    let room = bottom.saturating_sub(y).saturating_sub(3) as usize;
    let shown = if sources.len() > room {
        room.saturating_sub(1)
    } else {
        sources.len()
    };
    for s in sources.iter().take(shown) {
        let style = if s.unknown > 0 || s.refused > 0 || s.failed > 0 {
            theme.error()
        } else {
            Style::new()
        };
        put(row(&sanitize(&s.label), cells(s)), style, &mut y);
    }
    if shown < sources.len() {
        put(
            format!("… and {} more sources", n(sources.len() - shown)),
            theme.dim(),
            &mut y,
        );
    }
    if sources.len() > 1 {
        put(row("All sources", cells(&t)), theme.label(), &mut y);
    }
    y += 1;
    if let Some(err) = &e.error {
        for l in wrap(&format!("! {}", sanitize(err)), w.max(10)) {
            put(l, theme.error(), &mut y);
        }
    } else if e.running {
        let last = e.last.as_deref().map(sanitize).unwrap_or_default();
        put(format!("{spin} {last}"), theme.dim(), &mut y);
    } else if t.unknown > 0 {
        put(
            "Unknown: the session's events could not tell whether they ran; they were not resent (vex batch status, e events)"
                .into(),
            theme.error(),
            &mut y,
        );
    } else if t.not_sent + t.sending > 0 {
        put(
            "Not finished: run its plan again (vex batch PLAN) to resume it from the journal".into(),
            theme.dim(),
            &mut y,
        );
    }
}

/// An input drawn `w` columns wide, scrolled to its cursor; returns the text and the cursor's column.
fn input_text(input: &Input, w: usize) -> (String, u16) {
    let scroll = input.visual_scroll(w.saturating_sub(1));
    let value = sanitize(input.value()).into_owned();
    let shown = if scroll > 0 {
        format!("…{}", skip_columns(&value, scroll + 1))
    } else {
        value
    };
    (
        fit(&shown, w),
        input.visual_cursor().saturating_sub(scroll).min(w) as u16,
    )
}

fn small_box(frame: &mut Canvas, area: Rect, h: u16, title: &str, theme: &Theme) -> (Rect, Rect) {
    let r = centered(area, 100, h.min(area.height));
    let inner = frame_box(frame, r, title, theme);
    (r, inner)
}

fn draw_plan_path(
    frame: &mut Canvas,
    area: Rect,
    input: &Input,
    error: Option<&str>,
    resolving: bool,
    spin: &str,
    theme: &Theme,
) {
    let errs = error
        .map(|e| wrap(&format!("! {}", sanitize(e)), 94))
        .unwrap_or_default();
    let h = 6 + errs.len() as u16;
    let (r, inner) = small_box(frame, area, h, "Start a batch from a plan file", theme);
    if inner.height < 3 {
        return;
    }
    let w = inner.width.saturating_sub(2) as usize;
    let x = inner.x + 1;
    let mut y = inner.y;
    let label = "Plan file ";
    let (text, cursor) = input_text(input, w.saturating_sub(width(label)));
    let buf = frame.buffer_mut();
    buf.put_string(x, y, label, theme.key());
    buf.put_string(x + width(label) as u16, y, text, theme.field(true));
    let cursor_at = (x + width(label) as u16 + cursor, y);
    y += 1;
    for l in &errs {
        if y < inner.y + inner.height {
            buf.put_string(x, y, fit(l, w), theme.error());
            y += 1;
        }
    }
    y += 1;
    let words = if resolving {
        format!("{spin} reading the plan and resolving it against the server (reads only)…")
    } else {
        "The TOML of vex batch (see the README). It is checked and resolved first: nothing is sent before Run."
            .to_string()
    };
    if y < inner.y + inner.height {
        buf.put_string(x, y, fit(&words, w), theme.dim());
    }
    if !resolving {
        frame.set_cursor_position(cursor_at);
    }
    footer(frame, r, " Enter read and check · Esc back ", theme);
}

fn draw_marks(frame: &mut Canvas, area: Rect, state: &State, f: &MarksForm, theme: &Theme) {
    let shown_sources = f.sources.len().min(6);
    let h = 12 + shown_sources as u16 + u16::from(f.sources.len() > shown_sources) + 2;
    let (r, inner) = small_box(frame, area, h, "Start a batch from the marks", theme);
    if inner.height < 4 {
        return;
    }
    let w = inner.width.saturating_sub(2) as usize;
    let x = inner.x + 1;
    let bottom = inner.y + inner.height;
    let mut y = inner.y;
    let mut cursor_at = None;
    {
        let buf = frame.buffer_mut();
        let mut put = |text: String, style: Style, y: &mut u16| {
            if *y < bottom {
                buf.put_string(x, *y, fit(&text, w), style);
                *y += 1;
            }
        };
        put(
            format!(
                "{} restores in {} mailboxes, one source each:",
                n(f.units.len()),
                n(f.sources.len())
            ),
            theme.label(),
            &mut y,
        );
        for s in f.sources.iter().take(shown_sources) {
            put(format!("  {}", sanitize(s)), Style::new(), &mut y);
        }
        if f.sources.len() > shown_sources {
            put(
                format!("  and {} more", n(f.sources.len() - shown_sources)),
                theme.dim(),
                &mut y,
            );
        }
        y += 1;
    }
    const LW: usize = 10;
    let fields = f.fields();
    for field in fields {
        if y >= bottom {
            break;
        }
        let focused = f.field == field;
        let label_style = if focused { theme.key() } else { theme.label() };
        let vw = w.saturating_sub(LW);
        let (label, value, cursor): (&str, String, Option<u16>) = match field {
            MarksField::Original => (
                "Target",
                format!(
                    "{} original location (else the mailbox and folder below)",
                    if f.original { "[x]" } else { "[ ]" }
                ),
                None,
            ),
            MarksField::Mailbox => {
                let (t, c) = input_text(&f.mailbox, vw);
                ("Mailbox", t, Some(c))
            }
            MarksField::Folder => {
                let (t, c) = input_text(&f.folder, vw);
                ("Folder", t, Some(c))
            }
            MarksField::User => {
                let (t, c) = input_text(&f.user, vw);
                ("User", t, Some(c))
            }
            MarksField::Password => {
                let m = f.password.masked();
                ("Password", fit(&m, vw), Some(f.password.cursor().min(vw) as u16))
            }
        };
        let buf = frame.buffer_mut();
        buf.put_string(x, y, fit(label, LW), label_style);
        buf.put_string(x + LW as u16, y, fit(&value, vw), theme.field(focused));
        if focused && let Some(c) = cursor {
            cursor_at = Some((x + LW as u16 + c, y));
        }
        y += 1;
        if let Some((ef, msg)) = &f.error
            && *ef == field
            && y < bottom
        {
            buf.put_string(
                x + LW as u16,
                y,
                fit(&format!("! {}", sanitize(msg)), vw),
                theme.error(),
            );
            y += 1;
        }
    }
    if y < bottom {
        let flags: Vec<&str> = f.flags.list().iter().filter(|x| x.2).map(|x| x.1).collect();
        let flags = if flags.is_empty() {
            "no flags".to_string()
        } else {
            flags.join(", ")
        };
        frame.buffer_mut().put_string(
            x,
            y + 1.min(bottom - y - 1),
            fit(&format!("Flags: {flags} (the restore dialog's last ones)"), w),
            theme.dim(),
        );
    }
    if let Some(c) = cursor_at {
        frame.set_cursor_position(c);
    }
    let _ = state;
    footer(frame, r, " Tab next · Space toggle · Enter dry run · Esc back ", theme);
}

fn draw_review(frame: &mut Canvas, area: Rect, state: &State, rv: &Review, theme: &Theme) {
    let (r, inner) = small_box(
        frame,
        area,
        area.height.saturating_sub(2),
        "Dry run: nothing is sent before Run",
        theme,
    );
    if inner.height < 6 {
        return;
    }
    let w = inner.width.saturating_sub(2) as usize;
    let x = inner.x + 1;
    let bottom = inner.y + inner.height;
    let mut y = inner.y;
    let units = &rv.resolved.units;
    let how = match (&rv.plan.credentials.password, rv.ask_password) {
        (_, true) => "password typed below",
        (crate::batch::plan::PasswordSource::Command(_), _) => "password from the plan's command",
        _ => "password typed",
    };
    let flags = rv.plan.flags.set_names();
    let mut head = vec![
        format!(
            "{} restores from {} sources · {}",
            n(units.len()),
            n(rv.resolved.sources.len()),
            sanitize(&rv.plan_path)
        ),
        format!(
            "session {} · as {} ({how}) · flags: {}",
            sanitize(&rv.plan.session),
            sanitize(&rv.plan.credentials.user),
            if flags.is_empty() {
                "none".into()
            } else {
                flags.join(", ")
            }
        ),
    ];
    head.extend(rv.resolved.notes.iter().map(|n| format!("note: {}", sanitize(n))));
    let mut cursor_at = None;
    {
        let buf = frame.buffer_mut();
        for l in head.iter().flat_map(|l| wrap(l, w.max(10))) {
            if y < bottom {
                buf.put_string(x, y, fit(&l, w), theme.label());
                y += 1;
            }
        }
        y += 1;
        // The restores: `#  source (what) → target`, wrapped so a target is never cut.
        // Room for them: the password, the error and the buttons below.
        let below = 3 + u16::from(rv.ask_password) + u16::from(rv.error.is_some());
        let room = bottom.saturating_sub(y).saturating_sub(below) as usize;
        let top = rv.top.min(units.len().saturating_sub(1));
        let mut last = top;
        let mut used = 0usize;
        for u in units.iter().skip(top) {
            let (src, what, t) = unit_line(u);
            let text = format!("{} ({what}) → {}", sanitize(&src), sanitize(&t));
            let lines = wrap(&text, w.saturating_sub(6).max(10));
            if used + lines.len() > room.saturating_sub(1) && used > 0 {
                break;
            }
            for (k, l) in lines.iter().enumerate() {
                if y >= bottom {
                    break;
                }
                let num = if k == 0 {
                    format!("{:>4}  ", u.seq + 1)
                } else {
                    " ".repeat(6)
                };
                buf.put_string(x, y, fit(&format!("{num}{l}"), w), Style::new());
                y += 1;
                used += 1;
            }
            last += 1;
        }
        if (top > 0 || last < units.len()) && y < bottom {
            buf.put_string(
                x,
                y,
                fit(
                    &format!("{}–{} of {} (↑/↓ scroll)", n(top + 1), n(last), n(units.len())),
                    w,
                ),
                theme.dim(),
            );
        }
    }
    // The password, the error, the buttons: from the bottom up.
    let mut yb = bottom.saturating_sub(1);
    let buttons = [
        ("Cancel", rv.focus == ReviewFocus::Cancel),
        ("Run", rv.focus == ReviewFocus::Run),
    ];
    let spans: Vec<Span> = buttons
        .iter()
        .enumerate()
        .flat_map(|(k, (t, f))| {
            let mut v = Vec::new();
            if k > 0 {
                v.push(Span::raw("  "));
            }
            v.push(Span::styled(format!("[ {t} ]"), theme.field(*f)));
            v
        })
        .collect();
    let bw: usize = spans.iter().map(|s| width(&s.content)).sum();
    let mut line = vec![Span::raw(" ".repeat(w.saturating_sub(bw) / 2))];
    line.extend(spans);
    frame.buffer_mut().put_line(x, yb, &Line::from(line), w as u16);
    if let Some(e) = &rv.error {
        yb = yb.saturating_sub(1);
        frame
            .buffer_mut()
            .put_string(x, yb, fit(&format!("! {}", sanitize(e)), w), theme.error());
    }
    if rv.ask_password {
        yb = yb.saturating_sub(1);
        let label = format!("Password of {} ", sanitize(&rv.plan.credentials.user));
        let label = truncate(&label, w / 2);
        let focused = rv.focus == ReviewFocus::Password;
        let vw = w.saturating_sub(width(&label));
        let buf = frame.buffer_mut();
        buf.put_string(x, yb, &label, if focused { theme.key() } else { theme.label() });
        buf.put_string(
            x + width(&label) as u16,
            yb,
            fit(&rv.password.masked(), vw),
            theme.field(focused),
        );
        if focused {
            cursor_at = Some((x + width(&label) as u16 + rv.password.cursor().min(vw) as u16, yb));
        }
    }
    if let Some(c) = cursor_at {
        frame.set_cursor_position(c);
    }
    let words = if state.header.read_only {
        " read-only: a dry run only · Esc back "
    } else {
        " Tab / ←→ choose · Enter · Esc back "
    };
    footer(frame, r, words, theme);
}
