//! Dialogs drawn over the panes: [`draw`] is the one place that draws whichever is open (the drawing
//! twin of `app::dialogs`); help, new restore session and confirmation are drawn here, the restore,
//! transfer, results and events dialogs in [`super::job_dialogs`], the search prompt in [`super::search_prompt`].

use super::Canvas;
use super::theme::Theme;
use crate::api::models::ApiDate;
use crate::app::panes::confirm::ConfirmDialog;
use crate::app::panes::help::{HelpDialog, HelpLine};
use crate::app::panes::new_session::{NewSessionDialog, NewSessionField, PointSource};
use crate::app::{Overlay, State};
use crate::text::{fit, sanitize, thousands, truncate, width};
use crate::ui::put::Put;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Widget};

pub use crate::app::layout::centered;
use crate::app::layout::{help_box, new_session_box};

/// Draws the open dialog `overlay` over `area` (the body, below the header and the breadcrumb).
pub fn draw(frame: &mut Canvas, area: Rect, state: &State, overlay: &Overlay, theme: &Theme) {
    match overlay {
        Overlay::Help(h) => draw_help(frame, area, state, h, theme),
        Overlay::NewSession(d) => draw_new_session(frame, area, state, d, theme),
        Overlay::Confirm(c) => draw_confirm(frame, area, c, theme),
        Overlay::Restore(d) => super::job_dialogs::draw_restore(frame, area, state, d, theme),
        Overlay::Transfer(d) => super::job_dialogs::draw_transfer(frame, area, state, d, theme),
        Overlay::Events(v) => super::job_dialogs::draw_events(frame, area, state, v, theme),
        Overlay::Results(v) => super::job_dialogs::draw_results(frame, area, state, v, theme),
        Overlay::Search(p) => super::search_prompt::draw_search(frame, area, state, p, theme),
        Overlay::Batches(v) => super::batch::draw_batches(frame, area, state, v, theme),
    }
}

fn dialog_block(title: &str, theme: &Theme) -> Block<'static> {
    Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.border(true))
        .title(Line::from(Span::styled(format!(" {title} "), theme.title(true))))
}

fn draw_help(frame: &mut Canvas, area: Rect, state: &State, h: &HelpDialog, theme: &Theme) {
    let r = help_box(area);
    let block = dialog_block("Help", theme);
    let inner = block.inner(r);
    let buf = frame.buffer_mut();
    Clear.render(r, buf);
    block.render(r, buf);
    let km = &state.keymap;
    let key_w = 18;
    let key_line = |keys: &str, text: &str| {
        Line::from(vec![
            Span::raw("  "),
            Span::styled(fit(keys, key_w), theme.key()),
            Span::raw(format!("  {text}")),
        ])
    };
    let lines: Vec<Line> = h
        .lines(state.header.read_only)
        .into_iter()
        .map(|l| match l {
            HelpLine::Pane(level) => Line::from(Span::styled(format!("{} pane", level.label()), theme.section())),
            HelpLine::Section(t) => Line::from(Span::styled(t, theme.section())),
            HelpLine::Action(a, text) => key_line(&km.keys_for(a).join(" "), text),
            HelpLine::Keys(keys, text) => key_line(keys, text),
            HelpLine::Blank => Line::default(),
        })
        .collect();
    let hgt = inner.height as u64;
    // The same as the layout's `max_scroll` when drawn at the state's size.
    let max = (lines.len() as u64).saturating_sub(hgt);
    let top = h.scroll.min(max);
    for (i, l) in lines.iter().skip(top as usize).take(hgt as usize).enumerate() {
        buf.put_line(inner.x + 1, inner.y + i as u16, l, inner.width.saturating_sub(1));
    }
    let close = km.hint(crate::app::Action::Back, "Esc");
    let foot = if max > 0 {
        let (down, up) = (
            km.hint(crate::app::Action::Down, "j"),
            km.hint(crate::app::Action::Up, "k"),
        );
        format!(" {down}/{up} scroll · {close} close ")
    } else {
        format!(" {close} close ")
    };
    let x = r.x + r.width.saturating_sub(width(&foot) as u16 + 2);
    buf.put_string(x, r.y + r.height - 1, foot, theme.dim());
}

fn checkbox(on: bool) -> &'static str {
    if on { "[x]" } else { "[ ]" }
}

fn draw_new_session(frame: &mut Canvas, area: Rect, state: &State, d: &NewSessionDialog, theme: &Theme) {
    let (r, list_h, points_h) = new_session_box(area, d.orgs.len());
    let block = dialog_block("New restore session", theme);
    let inner = block.inner(r);
    {
        let buf = frame.buffer_mut();
        Clear.render(r, buf);
        block.render(r, buf);
    }
    if inner.height < 8 || inner.width < 20 {
        return;
    }
    let x = inner.x + 1;
    let w = inner.width.saturating_sub(2) as usize;
    let zone = state.zone;
    let mut y = inner.y;
    let buf = frame.buffer_mut();
    let focus = |f: NewSessionField| d.field == f;
    let label_style = |f: NewSessionField| if focus(f) { theme.key() } else { theme.label() };
    buf.put_string(x, y, "Organization", label_style(NewSessionField::Organization));
    if !d.orgs.is_empty() {
        // The backups' span is a time column like any other: its title names the zone (at the selected
        // organization's last backup, as the point-in-time label below).
        let at = d
            .selected_org()
            .and_then(|o| o.last_backup_time.as_ref())
            .and_then(ApiDate::as_utc)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let head = format!("Backups, first – last ({})", zone.label_at(at));
        let hw = width(&head);
        if w > hw + width("Organization") + 2 {
            buf.put_string(x + (w - hw) as u16, y, head, theme.column_header());
        }
    }
    y += 1;
    if d.loading.is_some() {
        buf.put_string(
            x + 2,
            y,
            format!("{} loading organizations…", super::spinner(state)),
            theme.dim(),
        );
    } else if let Some(e) = &d.load_error {
        buf.put_string(
            x + 2,
            y,
            truncate(&format!("! {}", sanitize(e)), w.saturating_sub(2)),
            theme.error(),
        );
    } else if d.orgs.is_empty() {
        buf.put_string(x + 2, y, "no organizations", theme.dim());
    } else {
        let top = d
            .org_view
            .shown(d.org_cursor as u64, list_h as u64, d.orgs.len() as u64);
        for (row, i) in (top..(top + list_h as u64).min(d.orgs.len() as u64)).enumerate() {
            let o = &d.orgs[i as usize];
            let name = sanitize(o.name.as_deref().or(o.office_name.as_deref()).unwrap_or("(no name)")).into_owned();
            let span = |t: &Option<ApiDate>| t.as_ref().map(|t| sanitize(&zone.short(t)).into_owned());
            let right = match (span(&o.first_backup_time), span(&o.last_backup_time)) {
                (Some(f), Some(l)) => format!("backups {f} – {l}"),
                (None, Some(l)) => format!("last backup {l}"),
                _ => "no backup".into(),
            };
            let name_w = w.saturating_sub(5 + width(&right));
            let line = format!(
                "{} {}  {right}",
                if i as usize == d.org_cursor { "›" } else { " " },
                fit(&name, name_w)
            );
            let yy = y + row as u16;
            buf.put_string(x + 1, yy, truncate(&line, w.saturating_sub(1)), Style::new());
            if i as usize == d.org_cursor {
                buf.set_style(
                    Rect::new(x + 1, yy, w.saturating_sub(1) as u16, 1),
                    theme.selected(focus(NewSessionField::Organization)),
                );
            }
        }
    }
    y += list_h;
    let now = d
        .selected_org()
        .and_then(|o| o.last_backup_time.as_ref())
        .and_then(ApiDate::as_utc)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let zone_label = zone.label_at(now);
    y = draw_points(
        buf,
        Rect::new(x, y, w as u16, points_h + 3),
        state,
        d,
        theme,
        &zone_label,
    );
    let source = match d.source {
        PointSource::Point => "the restore point picked above",
        PointSource::Typed => "as typed",
        PointSource::Latest => "default: the latest backup",
    };
    let label = format!("Point in time ({zone_label}; {source})");
    buf.put_string(x, y, truncate(&label, w), label_style(NewSessionField::PointInTime));
    y += 1;
    let field_w = 30usize.min(w.saturating_sub(2));
    let scroll = d.time.visual_scroll(field_w.saturating_sub(1));
    let shown: String = sanitize(d.time.value()).chars().skip(scroll).collect();
    buf.put_string(
        x + 2,
        y,
        fit(&shown, field_w),
        theme.field(focus(NewSessionField::PointInTime)),
    );
    if focus(NewSessionField::PointInTime) {
        let cx = x + 2 + (d.time.visual_cursor().saturating_sub(scroll)).min(field_w) as u16;
        frame.set_cursor_position((cx, y));
    }
    let buf = frame.buffer_mut();
    y += 2;
    let opt = |on: bool, text: &str| format!("{} {text}", checkbox(on));
    buf.put_string(
        x + 2,
        y,
        opt(d.show_deleted, "show deleted items"),
        theme.field(focus(NewSessionField::ShowDeleted)),
    );
    y += 1;
    buf.put_string(
        x + 2,
        y,
        opt(d.all_versions, "show all versions"),
        theme.field(focus(NewSessionField::AllVersions)),
    );
    y += 2;
    let create = if d.submitting.is_some() {
        format!("[ {} starting… ]", super::spinner(state))
    } else {
        "[ Start session ]".into()
    };
    let cancel = "[ Cancel ]";
    buf.put_string(x + 2, y, &create, theme.field(focus(NewSessionField::Create)));
    buf.put_string(
        x + 4 + width(&create) as u16,
        y,
        cancel,
        theme.field(focus(NewSessionField::Cancel)),
    );
    y += 1;
    if let Some(e) = &d.error
        && y < inner.y + inner.height
    {
        buf.put_string(x, y, truncate(&format!("! {}", sanitize(e)), w), theme.error());
    }
    let foot = if focus(NewSessionField::RestorePoint) {
        " j/k pick a point · Enter start · Tab next · Esc close "
    } else {
        " Tab next · Space toggle · Enter start · Esc close "
    };
    let fx = r.x + r.width.saturating_sub(width(foot) as u16 + 2);
    buf.put_string(
        fx,
        r.y + r.height - 1,
        truncate(foot, r.width.saturating_sub(4) as usize),
        theme.dim(),
    );
}

/// The restore points section of the new-session dialog in `r` (its label, column header, `r.height - 3`
/// rows of points and a status line); returns the line below it.
fn draw_points(buf: &mut Buffer, r: Rect, state: &State, d: &NewSessionDialog, theme: &Theme, zone: &str) -> u16 {
    let p = &d.points;
    let focused = d.field == NewSessionField::RestorePoint;
    let (x, w) = (r.x, r.width as usize);
    let rows = r.height.saturating_sub(3);
    let mut y = r.y;
    let label = format!("Restore point (newest first; backup times in {zone})");
    buf.put_string(
        x,
        y,
        truncate(&label, w),
        if focused { theme.key() } else { theme.label() },
    );
    y += 1;
    // Columns: marker, backup time, Exchange, kind, then job and repository share the rest.
    const TIME_W: usize = 16;
    const EXCH_W: usize = 8;
    const KIND_W: usize = 12;
    // Rows start at x + 1 with a marker and a space; the line is cut at w - 1.
    let rest = w.saturating_sub(1 + 2 + TIME_W + 2 + EXCH_W + 2 + KIND_W + 2 + 2);
    let job_w = rest / 2;
    let repo_w = rest - job_w;
    let line = |t: &str, e: &str, k: &str, j: &str, rp: &str| {
        format!(
            "{}  {}  {}  {}  {}",
            fit(t, TIME_W),
            fit(e, EXCH_W),
            fit(k, KIND_W),
            fit(j, job_w),
            fit(rp, repo_w)
        )
    };
    buf.put_string(
        x + 3,
        y,
        truncate(
            &line("Backup time", "Exchange", "Kind", "Job", "Repository"),
            w.saturating_sub(3),
        ),
        theme.column_header(),
    );
    y += 1;
    let list_top = y;
    let message = |text: String| (text, theme.dim());
    let empty: Option<(String, Style)> = if p.organization_id.is_none() {
        Some(message(if d.loading.is_some() || d.orgs.is_empty() {
            String::new()
        } else {
            "the organization has no id: type a point in time below".into()
        }))
    } else if p.rows.is_empty() {
        if p.loading.is_some() {
            Some(message(format!("{} loading restore points…", super::spinner(state))))
        } else if let Some(e) = &p.error {
            Some((
                format!("! cannot list the restore points: {}", sanitize(e)),
                theme.error(),
            ))
        } else {
            Some(message("no restore points for this organization".into()))
        }
    } else {
        None
    };
    if let Some((text, style)) = empty {
        buf.put_string(x + 2, y, truncate(&text, w.saturating_sub(2)), style);
    } else {
        let top = p.view.shown(p.cursor as u64, u64::from(rows), p.rows.len() as u64);
        for (row, i) in (top..(top + u64::from(rows)).min(p.rows.len() as u64)).enumerate() {
            let pt = &p.rows[i as usize];
            let time = pt
                .backup_time
                .as_ref()
                .map(|t| sanitize(&state.zone.short(t)).into_owned())
                .unwrap_or_else(|| "(no time)".into());
            let exch = if pt.is_exchange.is_none() {
                "?"
            } else if pt.has_exchange() {
                "yes"
            } else {
                "no"
            };
            let kind = if pt.is_deleted == Some(true) {
                format!("{} (deleted)", pt.kind_label())
            } else {
                pt.kind_label().to_string()
            };
            let job = sanitize(p.name(pt.job_id.as_deref()).unwrap_or("")).into_owned();
            let repo = sanitize(p.name(pt.repository_id.as_deref()).unwrap_or("")).into_owned();
            let at_cursor = i as usize == p.cursor;
            let picked = at_cursor && d.source == PointSource::Point;
            let text = format!(
                "{} {}",
                if picked { "›" } else { " " },
                line(&time, exch, &kind, &job, &repo)
            );
            let yy = y + row as u16;
            let style = if pt.has_exchange() { Style::new() } else { theme.dim() };
            buf.put_string(x + 1, yy, truncate(&text, w.saturating_sub(1)), style);
            if picked || (at_cursor && focused) {
                buf.set_style(
                    Rect::new(x + 1, yy, w.saturating_sub(1) as u16, 1),
                    theme.selected(focused),
                );
            }
        }
    }
    y = list_top + rows;
    let n = p.rows.len() as u64;
    let status: Option<(String, Style)> = if p.organization_id.is_none() || (n == 0 && p.loading.is_some()) {
        None
    } else if n == 0 {
        Some(message(
            "the session opens at the time below (empty: the latest backup)".into(),
        ))
    } else {
        let count = match p.total {
            Some(t) if t > n => format!("{} of {} loaded", thousands(n), thousands(t)),
            Some(t) => format!("{} restore points", thousands(t)),
            None if p.more => format!("{} loaded, more as you scroll", thousands(n)),
            None => format!("{} restore points", thousands(n)),
        };
        Some(if p.loading.is_some() {
            message(format!("{count} · {} loading more…", super::spinner(state)))
        } else if let Some(e) = &p.error {
            (
                format!("{count} · ! more could not be loaded: {}", sanitize(e)),
                theme.error(),
            )
        } else if focused || d.source == PointSource::Point {
            message(format!("{count} · j/k, Space or Enter picks"))
        } else {
            message(format!("{count} · Tab here to pick one"))
        })
    };
    if let Some((text, style)) = status {
        buf.put_string(x + 2, y, truncate(&text, w.saturating_sub(2)), style);
    }
    y + 1
}

fn draw_confirm(frame: &mut Canvas, area: Rect, c: &ConfirmDialog, theme: &Theme) {
    let h = c.message.len() as u16 + 5;
    let r = centered(area, 60, h);
    let block = dialog_block(&c.title, theme);
    let inner = block.inner(r);
    let buf = frame.buffer_mut();
    Clear.render(r, buf);
    block.render(r, buf);
    let w = inner.width.saturating_sub(2) as usize;
    for (i, l) in c.message.iter().enumerate() {
        if i as u16 >= inner.height {
            break;
        }
        buf.put_string(inner.x + 1, inner.y + i as u16, truncate(&sanitize(l), w), Style::new());
    }
    let y = inner.y + inner.height.saturating_sub(1);
    let cancel = format!("[ {} ]", c.cancel_label);
    let yes = format!("[ {} ]", c.confirm_label);
    let total = width(&cancel) + 2 + width(&yes);
    let x = inner.x + (inner.width.saturating_sub(total as u16)) / 2;
    buf.put_string(x, y, &cancel, theme.field(!c.yes));
    buf.put_string(x + width(&cancel) as u16 + 2, y, &yes, theme.field(c.yes));
}
