//! Drawing of the job dialogs: the restore dialog, the export / save / send dialog (`app::panes::job_dialog`
//! and its two forms), the results list and the events view. Server strings (messages, warnings, exceptions, events, names) go through `sanitize`; secrets are
//! only ever drawn as their mask.

use super::Canvas;
use super::dialogs::centered;
use super::theme::Theme;
use crate::api::models::RestoreOutcome;
use crate::app::jobs::{Job, JobStatus, four_counts, outcome_notes};
use crate::app::layout::{events_list_rows, results_box, results_heights, results_width};
use crate::app::panes::events::EventsView;
use crate::app::panes::job_dialog::JobPhase;
use crate::app::panes::restore_dialog::{CredMode, RestoreDialog, RestoreField, flag, flag_labels};
use crate::app::panes::results::{self, ResultsView};
use crate::app::panes::transfer_dialog::{TransferDialog, TransferField, TransferKind};
use crate::app::{Action, RequestId, State};
use crate::text::{fit, human_size, sanitize, skip_columns, thousands, truncate, width, wrap};
use crate::ui::put::Put;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Widget};
use tui_input::Input;

/// Width of the label column of the forms.
const LABEL_W: usize = 10;

fn block(title: &str, theme: &Theme) -> Block<'static> {
    Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.border(true))
        .title(Line::from(Span::styled(format!(" {title} "), theme.title(true))))
}

/// One row of a dialog: its spans, the field it belongs to (for scrolling), and where the text cursor
/// goes (a column within the row) when it is the focused input.
struct Row {
    line: Line<'static>,
    field: Option<RestoreField>,
    cursor: Option<u16>,
}

impl Row {
    fn plain(line: Line<'static>) -> Row {
        Row {
            line,
            field: None,
            cursor: None,
        }
    }
}

fn label(text: &str, focused: bool, theme: &Theme) -> Span<'static> {
    Span::styled(fit(text, LABEL_W), if focused { theme.key() } else { theme.label() })
}

/// An input drawn `w` columns wide (scrolled so the cursor shows); returns the span and the cursor column.
fn input_span(input: &Input, w: usize, focused: bool, theme: &Theme) -> (Span<'static>, u16) {
    // Scrolled to the cursor while typing; from its start otherwise (cut on the right).
    let scroll = if focused {
        input.visual_scroll(w.saturating_sub(1))
    } else {
        0
    };
    let value = sanitize(input.value()).into_owned();
    // Cut on the left: `…` says so (`…vc-restore@contoso.com` never reads as another account); cut on
    // the right, `fit` ends it with `…`.
    let shown = if scroll > 0 {
        format!("…{}", skip_columns(&value, scroll + 1))
    } else {
        value
    };
    let cursor = input.visual_cursor().saturating_sub(scroll).min(w) as u16;
    (Span::styled(fit(&shown, w), theme.field(focused)), cursor)
}

fn button(text: &str, focused: bool, theme: &Theme) -> Span<'static> {
    Span::styled(format!("[ {text} ]"), theme.field(focused))
}

fn checkbox(on: bool) -> &'static str {
    if on { "[x]" } else { "[ ]" }
}

fn error_row(msg: &str, indent: usize, w: usize, theme: &Theme) -> Vec<Row> {
    wrap(&format!("! {}", sanitize(msg)), w.saturating_sub(indent).max(10))
        .into_iter()
        .map(|l| {
            Row::plain(Line::from(vec![
                Span::raw(" ".repeat(indent)),
                Span::styled(l, theme.error()),
            ]))
        })
        .collect()
}

/// Draws `rows` into the dialog's inner area, scrolled so the focused row shows; returns the screen row
/// of each drawn row index (for the suggestions popup).
fn draw_rows(frame: &mut Canvas, inner: Rect, rows: &[Row], focus: Option<RestoreField>) -> Vec<(usize, u16)> {
    let h = inner.height as usize;
    let focused = focus.and_then(|f| rows.iter().position(|r| r.field == Some(f)));
    let mut top = 0;
    if let Some(i) = focused {
        // Keep the row after the focused one (its message) in view too.
        let want = (i + 2).min(rows.len());
        if want > h {
            top = want - h;
        }
    }
    let mut placed = Vec::new();
    for (n, (i, r)) in rows.iter().enumerate().skip(top).take(h).enumerate() {
        let y = inner.y + n as u16;
        frame
            .buffer_mut()
            .put_line(inner.x + 1, y, &r.line, inner.width.saturating_sub(2));
        if let (Some(c), true) = (r.cursor, r.field.is_some() && r.field == focus) {
            frame.set_cursor_position((inner.x + 1 + c, y));
        }
        placed.push((i, y));
    }
    placed
}

/// A box of suggestions under the row at `y`, `x` from the left, highlighted `cursor`.
fn draw_suggestions(
    frame: &mut Canvas,
    bounds: Rect,
    x: u16,
    y: u16,
    items: &[(String, String)],
    cursor: Option<usize>,
    theme: &Theme,
) {
    if items.is_empty() {
        return;
    }
    let w = items
        .iter()
        .map(|(l, _)| width(&sanitize(l)))
        .max()
        .unwrap_or(10)
        .clamp(16, 56) as u16
        + 2;
    let w = w.min(bounds.x + bounds.width - x);
    let h = (items.len() as u16 + 2).min((bounds.y + bounds.height).saturating_sub(y + 1));
    if h < 3 {
        return;
    }
    let r = Rect::new(x, y + 1, w, h);
    let buf = frame.buffer_mut();
    Clear.render(r, buf);
    Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .render(r, buf);
    for (i, (l, _)) in items.iter().enumerate().take((h - 2) as usize) {
        let style = if cursor == Some(i) {
            theme.selected(true)
        } else {
            Style::new()
        };
        buf.put_string(r.x + 1, r.y + 1 + i as u16, fit(&sanitize(l), (w - 2) as usize), style);
    }
}

fn footer(frame: &mut Canvas, r: Rect, text: &str, theme: &Theme) {
    let t = truncate(text, r.width.saturating_sub(4) as usize);
    let x = r.x + r.width.saturating_sub(width(&t) as u16 + 2);
    frame.buffer_mut().put_string(x, r.y + r.height - 1, t, theme.dim());
}

/// The dialog's frame: a centred box `h` rows tall (at most the area), cleared and bordered.
fn frame_box(frame: &mut Canvas, area: Rect, w: u16, h: u16, title: &str, theme: &Theme) -> (Rect, Rect) {
    let r = centered(area, w, h.min(area.height));
    let b = block(title, theme);
    let inner = b.inner(r);
    let buf = frame.buffer_mut();
    Clear.render(r, buf);
    b.render(r, buf);
    (r, inner)
}

fn text_rows(lines: &[String], w: usize, style: Style) -> Vec<Row> {
    lines
        .iter()
        .flat_map(|l| wrap(&sanitize(l), w.max(10)))
        .map(|l| Row::plain(Line::from(Span::styled(l, style))))
        .collect()
}

fn centered_buttons(buttons: Vec<Span<'static>>, w: usize) -> Line<'static> {
    let total: usize = buttons.iter().map(|b| width(&b.content)).sum::<usize>() + 2 * buttons.len().saturating_sub(1);
    let mut spans = vec![Span::raw(" ".repeat(w.saturating_sub(total) / 2))];
    for (i, b) in buttons.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(b);
    }
    Line::from(spans)
}

pub(super) fn draw_restore(frame: &mut Canvas, area: Rect, state: &State, d: &RestoreDialog, theme: &Theme) {
    let title = match &d.phase {
        JobPhase::Form => "Restore",
        JobPhase::Confirm { .. } => "Confirm restore",
        JobPhase::Running { .. } => "Restoring",
        JobPhase::Done { generation, .. } => match state.jobs.get(*generation).map(|j| &j.status) {
            Some(JobStatus::Unknown(_)) => "Restore: outcome unknown",
            _ => "Restore finished",
        },
    };
    let w_box: u16 = 110;
    let inner_w = (if area.width < w_box + 12 { area.width } else { w_box }).saturating_sub(4) as usize;
    let (rows, focus) = match &d.phase {
        JobPhase::Form => (form_rows(state, d, inner_w, theme), Some(d.field)),
        JobPhase::Confirm { yes, lines } => {
            let mut rows = vec![Row::plain(Line::default())];
            rows.extend(text_rows(lines, inner_w, Style::new()));
            rows.push(Row::plain(Line::default()));
            rows.extend(text_rows(
                &[
                    "Nothing has been sent yet. Items already there and unchanged are skipped; the restore is not undone by vex.".into(),
                ],
                inner_w,
                theme.dim(),
            ));
            rows.push(Row::plain(Line::default()));
            rows.push(Row::plain(centered_buttons(
                vec![button("Cancel", !yes, theme), button("Restore", *yes, theme)],
                inner_w,
            )));
            (rows, None)
        }
        JobPhase::Running { generation, stop } => (running_rows(state, d, *generation, *stop, inner_w, theme), None),
        JobPhase::Done { generation, events } => {
            let mut rows = match state.jobs.get(*generation) {
                Some(j) => job_rows(j, inner_w, theme),
                None => Vec::new(),
            };
            rows.push(Row::plain(Line::default()));
            rows.push(Row::plain(centered_buttons(
                vec![button("Close", !events, theme), button("Events", *events, theme)],
                inner_w,
            )));
            (rows, None)
        }
    };
    let h = rows.len() as u16 + 2;
    let (r, inner) = frame_box(frame, area, w_box, h, title, theme);
    let placed = draw_rows(frame, inner, &rows, focus);
    let foot = match &d.phase {
        JobPhase::Form => " Tab next · Space toggle · Enter check & confirm · Esc close ",
        JobPhase::Confirm { .. } => " Tab switch · Enter choose (Cancel by default) · Esc back ",
        JobPhase::Running { .. } => " Tab switch · Esc stop waiting (the restore goes on) ",
        JobPhase::Done { .. } => " e events · Enter close · R all results ",
    };
    footer(frame, r, foot, theme);
    if d.phase == JobPhase::Form {
        let sugg = d.suggestions();
        if let Some(&(_, y)) = placed.iter().find(|(i, _)| rows[*i].field == Some(d.field)) {
            draw_suggestions(
                frame,
                inner,
                inner.x + 1 + LABEL_W as u16,
                y,
                &sugg,
                d.suggest_cursor,
                theme,
            );
        }
    }
}

/// Draws a text field: (rows, field, label, input, hint).
type TextField<'a> = dyn Fn(&mut Vec<Row>, RestoreField, &str, &Input, &str) + 'a;

fn form_rows(state: &State, d: &RestoreDialog, w: usize, theme: &Theme) -> Vec<Row> {
    // Room for a hint after the input at 80 columns.
    let input_w = w.saturating_sub(LABEL_W + 23).clamp(16, 48);
    let mut rows = Vec::new();
    let focus = |f: RestoreField| d.field == f;
    let from = format!("{} · {}", d.source.from_label(), d.source.what());
    rows.push(Row::plain(Line::from(vec![
        label("From", false, theme),
        Span::raw(truncate(&sanitize(&from), w.saturating_sub(LABEL_W))),
    ])));
    let radio = |on: bool| if on { "(•)" } else { "( )" };
    rows.push(Row {
        line: Line::from(vec![
            label("To", focus(RestoreField::Destination), theme),
            Span::styled(
                format!(
                    "{} another mailbox  {} original location",
                    radio(!d.original),
                    radio(d.original)
                ),
                theme.field(focus(RestoreField::Destination)),
            ),
        ]),
        field: Some(RestoreField::Destination),
        cursor: None,
    });
    let text_field = |rows: &mut Vec<Row>, f: RestoreField, name: &str, input: &Input, hint: &str| {
        let (span, c) = input_span(input, input_w, focus(f), theme);
        let mut spans = vec![label(name, focus(f), theme), span];
        if !hint.is_empty() {
            spans.push(Span::styled(format!(" {hint}"), theme.dim()));
        }
        rows.push(Row {
            line: Line::from(spans),
            field: Some(f),
            cursor: Some(LABEL_W as u16 + c),
        });
        if let Some(e) = d.error_of(f) {
            rows.extend(error_row(e, LABEL_W, w, theme));
        }
    };
    let secret_field = |rows: &mut Vec<Row>, f: RestoreField, name: &str, s: &crate::app::fields::SecretField| {
        let mask = s.masked();
        let scroll = s.cursor().saturating_sub(input_w.saturating_sub(1));
        let shown: String = mask.chars().skip(scroll).collect();
        rows.push(Row {
            line: Line::from(vec![
                label(name, focus(f), theme),
                Span::styled(fit(&shown, input_w), theme.field(focus(f))),
            ]),
            field: Some(f),
            cursor: Some(LABEL_W as u16 + (s.cursor() - scroll).min(input_w) as u16),
        });
        if let Some(e) = d.error_of(f) {
            rows.extend(error_row(e, LABEL_W, w, theme));
        }
    };
    // The target tenant (region, organization) and, for device codes, the application.
    let tenant_rows = |rows: &mut Vec<Row>, text_field: &TextField| {
        let region = match &d.region {
            Some(r) => sanitize(r.as_str()).into_owned(),
            None => "server default".into(),
        };
        rows.push(Row {
            line: Line::from(vec![
                label("Region", focus(RestoreField::Region), theme),
                Span::styled(format!("‹ {region} ›"), theme.field(focus(RestoreField::Region))),
            ]),
            field: Some(RestoreField::Region),
            cursor: None,
        });
        text_field(
            rows,
            RestoreField::OrganizationName,
            "Org name",
            &d.organization,
            "optional",
        );
        if d.mode == CredMode::DeviceCode {
            text_field(
                rows,
                RestoreField::DeviceAppId,
                "Code app",
                &d.device_app_id,
                "optional",
            );
        }
    };
    if !d.original {
        let in_backup = d.target_in_backup().is_some();
        text_field(
            &mut rows,
            RestoreField::TargetMailbox,
            "Mailbox",
            &d.target,
            if in_backup { "in this backup" } else { "" },
        );
        let hint = if d.target_folders.loading.is_some() {
            "loading its folders…"
        } else if d.folder.value().trim().is_empty() {
            "empty: as the source"
        } else {
            ""
        };
        text_field(&mut rows, RestoreField::TargetFolder, "Folder", &d.folder, hint);
        text_field(&mut rows, RestoreField::CasServer, "CAS", &d.cas, "optional");
        tenant_rows(&mut rows, &text_field);
    } else if let Some(e) = &d.source.mailbox_email {
        rows.push(Row::plain(Line::from(vec![
            Span::raw(" ".repeat(LABEL_W)),
            Span::styled(
                truncate(
                    &format!("back into {} (its own folders)", sanitize(e)),
                    w.saturating_sub(LABEL_W),
                ),
                theme.dim(),
            ),
        ])));
    }
    if d.original && d.mode == CredMode::DeviceCode {
        tenant_rows(&mut rows, &text_field);
    }
    let modes: Vec<String> = CredMode::ALL
        .iter()
        .map(|m| format!("{} {}", radio(*m == d.mode), m.label()))
        .collect();
    rows.push(Row {
        line: Line::from(vec![
            label("Sign in", focus(RestoreField::Mode), theme),
            Span::styled(
                truncate(&modes.join("  "), w.saturating_sub(LABEL_W)),
                theme.field(focus(RestoreField::Mode)),
            ),
        ]),
        field: Some(RestoreField::Mode),
        cursor: None,
    });
    match d.mode {
        CredMode::Password => {
            text_field(&mut rows, RestoreField::User, "User", &d.user, "");
            secret_field(&mut rows, RestoreField::Password, "Password", &d.password);
        }
        CredMode::DeviceCode => {
            let text = if d.device_loading.is_some() {
                format!("{} requesting…", super::spinner(state))
            } else if d.device_code.is_some() {
                "Request a new code".into()
            } else {
                "Request a code".into()
            };
            rows.push(Row {
                line: Line::from(vec![
                    label("Code", focus(RestoreField::RequestCode), theme),
                    button(&text, focus(RestoreField::RequestCode), theme),
                ]),
                field: Some(RestoreField::RequestCode),
                cursor: None,
            });
            if let Some(c) = &d.device_code {
                let url = c.verification_url.as_deref().unwrap_or("(no URL)");
                let code = c.user_code.as_deref().unwrap_or("(no code)");
                rows.push(Row::plain(Line::from(vec![
                    Span::raw(" ".repeat(LABEL_W)),
                    Span::raw("open "),
                    Span::styled(truncate(&sanitize(url), w.saturating_sub(LABEL_W + 30)), theme.key()),
                    Span::raw(" and enter "),
                    Span::styled(sanitize(code).into_owned(), theme.key()),
                ])));
                let note = match d.device_code_left(state.tick) {
                    Some(s) if s > 0 => format!(
                        "then send the restore; the code expires in {}",
                        crate::text::human_duration(std::time::Duration::from_secs(s as u64))
                    ),
                    Some(_) => "the code expired: Enter asks for a new one".into(),
                    None => "then send the restore".into(),
                };
                rows.push(Row::plain(Line::from(vec![
                    Span::raw(" ".repeat(LABEL_W)),
                    Span::styled(note, theme.dim()),
                ])));
            }
            if let Some(e) = d.error_of(RestoreField::RequestCode) {
                rows.extend(error_row(e, LABEL_W, w, theme));
            }
        }
        CredMode::Application => {
            text_field(&mut rows, RestoreField::AppId, "App id", &d.app_id, "");
            text_field(&mut rows, RestoreField::CertFile, "Cert file", &d.cert_file, ".pfx");
            secret_field(&mut rows, RestoreField::CertPassword, "Cert pass", &d.cert_password);
            text_field(
                &mut rows,
                RestoreField::Impersonation,
                "Account",
                &d.impersonation,
                "impersonation",
            );
        }
    }
    if !d.original {
        let labels = flag_labels();
        let col_w = 33;
        let per_row = if w >= LABEL_W + 2 * col_w { 2 } else { 1 };
        let mut i = 0;
        while i < labels.len() {
            let mut spans = vec![label(if i == 0 { "Options" } else { "" }, false, theme)];
            let mut field = None;
            for (j, name) in labels.iter().enumerate().skip(i).take(per_row) {
                let f = RestoreField::Flag(j);
                if focus(f) {
                    field = Some(f);
                }
                let text = format!("{} {name}", checkbox(flag(&d.flags, j)));
                spans.push(Span::styled(text.clone(), theme.field(focus(f))));
                spans.push(Span::raw(" ".repeat(col_w.saturating_sub(width(&text)))));
            }
            rows.push(Row {
                line: Line::from(spans),
                field: field.or(Some(RestoreField::Flag(i))),
                cursor: None,
            });
            i += per_row;
        }
    }
    rows.push(Row {
        line: Line::from(vec![
            Span::raw(" ".repeat(LABEL_W)),
            button("Restore…", focus(RestoreField::Submit), theme),
            Span::raw("  "),
            button("Cancel", focus(RestoreField::Cancel), theme),
        ]),
        field: Some(if focus(RestoreField::Cancel) {
            RestoreField::Cancel
        } else {
            RestoreField::Submit
        }),
        cursor: None,
    });
    if let Some(e) = d.error_of(RestoreField::Submit) {
        rows.extend(error_row(e, LABEL_W, w, theme));
    }
    if let Some(e) = &d.server_error {
        rows.push(Row::plain(Line::default()));
        rows.extend(error_row(&format!("the server refused: {e}"), 0, w, theme));
        rows.push(Row::plain(Line::from(Span::styled(
            "Every field is kept: fix and send again.",
            theme.dim(),
        ))));
    }
    rows
}

/// `[██████░░░░] 60%` in `w` columns.
fn bar(done: u64, total: u64, w: usize) -> String {
    let w = w.max(10);
    let inner = w - 7;
    let frac = if total == 0 {
        0.0
    } else {
        (done as f64 / total as f64).clamp(0.0, 1.0)
    };
    let filled = (frac * inner as f64).round() as usize;
    format!(
        "[{}{}] {:>3}%",
        "█".repeat(filled),
        "░".repeat(inner - filled),
        (frac * 100.0).round() as u64
    )
}

fn running_rows(
    state: &State,
    d: &RestoreDialog,
    generation: RequestId,
    stop: bool,
    w: usize,
    theme: &Theme,
) -> Vec<Row> {
    let mut rows = Vec::new();
    let job = state.jobs.get(generation);
    if let Some(j) = job {
        rows.extend(text_rows(std::slice::from_ref(&j.summary), w, Style::new()));
    }
    rows.push(Row::plain(Line::default()));
    let spin = super::spinner(state);
    match job.map(|j| &j.status) {
        Some(JobStatus::Running { progress: Some(p), .. }) => {
            let done = (p.restored + p.failed + p.skipped).max(0) as u64;
            let n = |v: i64| crate::text::thousands(v.max(0) as u64);
            rows.push(Row::plain(Line::from(format!(
                "{spin} restored {} of {} · skipped {} · failed {}",
                n(p.restored),
                n(p.total),
                n(p.skipped),
                n(p.failed)
            ))));
            rows.push(Row::plain(Line::from(bar(done, p.total.max(0) as u64, w.min(60)))));
            if let Some(ev) = &p.last_event {
                rows.push(Row::plain(Line::from(Span::styled(
                    truncate(&format!("last event: {}", sanitize(ev)), w),
                    theme.dim(),
                ))));
            }
        }
        _ => {
            let what = if d.async_restore {
                "the restore was accepted; waiting for its first counts…"
            } else {
                "waiting for the server's answer (it restores before answering)…"
            };
            rows.push(Row::plain(Line::from(format!("{spin} {what}"))));
        }
    }
    rows.push(Row::plain(Line::default()));
    rows.extend(text_rows(
        &["Stopping the wait does not stop the restore: it goes on on the server, and R shows its result when it ends."
            .into()],
        w,
        theme.dim(),
    ));
    rows.push(Row::plain(Line::default()));
    rows.push(Row::plain(centered_buttons(
        vec![
            Span::styled("[ Restoring… ]", theme.dim()),
            button("Stop waiting", stop, theme),
        ],
        w,
    )));
    rows
}

/// A restore outcome: the counts, then warnings, exceptions and the error that stopped it.
fn outcome_rows(o: &RestoreOutcome, w: usize, theme: &Theme) -> Vec<Row> {
    let mut rows = vec![Row::plain(Line::from(Span::styled(
        format!(
            "  {}",
            std::iter::once(super::counts_line(four_counts(o)))
                .chain(outcome_notes(o))
                .collect::<Vec<_>>()
                .join(" · ")
        ),
        theme.section(),
    )))];
    let list = |rows: &mut Vec<Row>, title: &str, items: &[String], style: Style| {
        if items.is_empty() {
            return;
        }
        rows.push(Row::plain(Line::from(Span::styled(
            format!("{title} ({})", thousands(items.len() as u64)),
            theme.label(),
        ))));
        for it in items.iter().take(12) {
            for l in wrap(&sanitize(it), w.saturating_sub(4).max(10)) {
                rows.push(Row::plain(Line::from(vec![Span::raw("  "), Span::styled(l, style)])));
            }
        }
        if items.len() > 12 {
            rows.push(Row::plain(Line::from(Span::styled(
                format!("  and {} more (see the events)", thousands(items.len() as u64 - 12)),
                theme.dim(),
            ))));
        }
    };
    list(&mut rows, "Warnings", &o.warnings, Style::new());
    list(&mut rows, "Exceptions", &o.exceptions, theme.error());
    if let Some(e) = &o.cannot_continue_error {
        rows.extend(error_row(&format!("cannot continue: {e}"), 0, w, theme));
    }
    if let Some(s) = &o.session_id {
        rows.push(Row::plain(Line::from(Span::styled(
            format!("restore session {} (e: its events)", sanitize(s)),
            theme.dim(),
        ))));
    }
    rows
}

/// The details of a job (the result view and the results list).
fn job_rows(j: &Job, w: usize, theme: &Theme) -> Vec<Row> {
    let mut rows = text_rows(std::slice::from_ref(&j.summary), w, Style::new());
    rows.push(Row::plain(Line::default()));
    match &j.status {
        JobStatus::Running { bytes, progress } => {
            let t = match (bytes, progress) {
                (Some(b), _) => format!("running: {} written", human_size(b.written as i64)),
                (_, Some(p)) => format!(
                    "running: restored {} of {}",
                    crate::text::thousands(p.restored.max(0) as u64),
                    crate::text::thousands(p.total.max(0) as u64)
                ),
                _ => "running…".into(),
            };
            rows.push(Row::plain(Line::from(t)));
        }
        JobStatus::Restored(o) => {
            if let Some(r) = &j.reconciled {
                rows.extend(text_rows(
                    &[format!("outcome was unknown; it ran, {}", sanitize(r))],
                    w,
                    theme.dim(),
                ));
            }
            rows.extend(outcome_rows(o, w, theme))
        }
        JobStatus::Downloaded { bytes, path } => rows.push(Row::plain(Line::from(format!(
            "wrote {} ({} bytes) to {}",
            human_size(*bytes as i64),
            thousands(*bytes),
            sanitize(path)
        )))),
        JobStatus::Sent => rows.push(Row::plain(Line::from("sent"))),
        JobStatus::Failed(m) => rows.extend(error_row(m, 0, w, theme)),
        JobStatus::Unknown(m) => {
            rows.extend(error_row(
                "outcome unknown — the server may have applied it; check the events",
                0,
                w,
                theme,
            ));
            rows.extend(text_rows(std::slice::from_ref(m), w, theme.dim()));
            rows.extend(text_rows(
                &["Do not send it again before the events (e) say whether it ran.".into()],
                w,
                Style::new(),
            ));
        }
    }
    if let Some(a) = &j.audit_error {
        rows.extend(error_row(&format!("not recorded in the audit log: {a}"), 0, w, theme));
    }
    rows
}

pub(super) fn draw_transfer(frame: &mut Canvas, area: Rect, state: &State, d: &TransferDialog, theme: &Theme) {
    let w_box: u16 = 88;
    let w = (if area.width < w_box + 12 { area.width } else { w_box }).saturating_sub(4) as usize;
    let input_w = w.saturating_sub(LABEL_W + 1).min(60);
    let mut rows: Vec<Row> = Vec::new();
    let focus = |f: TransferField| d.field == f && d.phase == JobPhase::Form;
    let from = format!("{} · {}", d.source.from_label(), d.source.what());
    rows.push(Row::plain(Line::from(vec![
        label("From", false, theme),
        Span::raw(truncate(&sanitize(&from), w.saturating_sub(LABEL_W))),
    ])));
    match &d.phase {
        JobPhase::Form => {
            let text_field = |rows: &mut Vec<Row>, f: TransferField, name: &str, input: &Input| {
                let (span, _) = input_span(input, input_w, focus(f), theme);
                rows.push(Row::plain(Line::from(vec![label(name, focus(f), theme), span])));
                if let Some(e) = d.error_of(f) {
                    rows.extend(error_row(e, LABEL_W, w, theme));
                }
            };
            match d.kind {
                TransferKind::Pst | TransferKind::Msg => {
                    text_field(&mut rows, TransferField::Path, "File", &d.path);
                    rows.push(Row::plain(Line::from(vec![
                        Span::raw(" ".repeat(LABEL_W)),
                        Span::styled(
                            format!("{} overwrite if it exists", checkbox(d.overwrite)),
                            theme.field(focus(TransferField::Overwrite)),
                        ),
                    ])));
                }
                TransferKind::Send => {
                    let own = d.source.mailbox_email.as_deref().unwrap_or("the mailbox's own");
                    let radio = |on: bool| if on { "(•)" } else { "( )" };
                    rows.push(Row::plain(Line::from(vec![
                        label("Send to", focus(TransferField::SendMode), theme),
                        Span::styled(
                            truncate(
                                &format!(
                                    "{} {}  {} a different address",
                                    radio(!d.different),
                                    sanitize(own),
                                    radio(d.different)
                                ),
                                w.saturating_sub(LABEL_W),
                            ),
                            theme.field(focus(TransferField::SendMode)),
                        ),
                    ])));
                    if d.different {
                        text_field(&mut rows, TransferField::From, "From", &d.from);
                        text_field(&mut rows, TransferField::To, "To", &d.to);
                        text_field(&mut rows, TransferField::Subject, "Subject", &d.subject);
                        text_field(&mut rows, TransferField::Text, "Text", &d.text);
                    }
                }
            }
            rows.push(Row::plain(Line::default()));
            rows.push(Row::plain(Line::from(vec![
                Span::raw(" ".repeat(LABEL_W)),
                button(d.kind.button(), focus(TransferField::Submit), theme),
                Span::raw("  "),
                button("Cancel", focus(TransferField::Cancel), theme),
            ])));
            if let Some(e) = &d.server_error {
                rows.push(Row::plain(Line::default()));
                rows.extend(error_row(e, 0, w, theme));
            }
        }
        JobPhase::Confirm { yes, lines } => {
            rows.push(Row::plain(Line::default()));
            rows.extend(text_rows(lines, w, Style::new()));
            rows.push(Row::plain(Line::default()));
            rows.push(Row::plain(centered_buttons(
                vec![button("Cancel", !yes, theme), button("Send", *yes, theme)],
                w,
            )));
        }
        JobPhase::Running { generation, stop } => {
            rows.push(Row::plain(Line::default()));
            let spin = super::spinner(state);
            match state.jobs.get(*generation).map(|j| &j.status) {
                Some(JobStatus::Running { bytes: Some(b), .. }) => {
                    let t = match b.total {
                        Some(t) => format!("{spin} {} of {}", human_size(b.written as i64), human_size(t as i64)),
                        None => format!("{spin} {} so far", human_size(b.written as i64)),
                    };
                    rows.push(Row::plain(Line::from(t)));
                    if let Some(t) = b.total {
                        rows.push(Row::plain(Line::from(bar(b.written, t, w.min(60)))));
                    }
                }
                _ => rows.push(Row::plain(Line::from(format!(
                    "{spin} {}…",
                    if d.kind == TransferKind::Send {
                        "sending"
                    } else {
                        "waiting for the server"
                    }
                )))),
            }
            rows.push(Row::plain(Line::default()));
            rows.push(Row::plain(centered_buttons(
                vec![
                    Span::styled("[ Running… ]", theme.dim()),
                    button("Stop waiting", *stop, theme),
                ],
                w,
            )));
        }
        JobPhase::Done { generation, .. } => {
            if let Some(j) = state.jobs.get(*generation) {
                rows.push(Row::plain(Line::default()));
                rows.extend(job_rows(j, w, theme));
            }
            rows.push(Row::plain(Line::default()));
            rows.push(Row::plain(centered_buttons(vec![button("Close", true, theme)], w)));
        }
    }
    let h = rows.len() as u16 + 2;
    let (r, inner) = frame_box(frame, area, w_box, h, d.kind.title(), theme);
    draw_rows(frame, inner, &rows, None);
    if d.phase == JobPhase::Form {
        // The cursor of the focused input.
        let inputs = [
            (TransferField::Path, &d.path),
            (TransferField::From, &d.from),
            (TransferField::To, &d.to),
            (TransferField::Subject, &d.subject),
            (TransferField::Text, &d.text),
        ];
        if let Some((_, input)) = inputs.iter().find(|(f, _)| *f == d.field) {
            let row = rows.iter().position(|r| {
                r.line
                    .spans
                    .first()
                    .is_some_and(|s| s.style == theme.key() && !s.content.trim().is_empty())
            });
            if let Some(row) = row.filter(|r| (*r as u16) < inner.height) {
                let scroll = input.visual_scroll(input_w.saturating_sub(1));
                let c = input.visual_cursor().saturating_sub(scroll).min(input_w) as u16;
                frame.set_cursor_position((inner.x + 1 + LABEL_W as u16 + c, inner.y + row as u16));
            }
        }
    }
    let foot = match &d.phase {
        JobPhase::Form => " Tab next · Space toggle · Enter go · Esc close ",
        JobPhase::Confirm { .. } => " Tab switch · Enter choose (Cancel by default) · Esc back ",
        JobPhase::Running { .. } => " Tab switch · Esc stop waiting (it goes on) ",
        JobPhase::Done { .. } => " Enter close · R all results ",
    };
    footer(frame, r, foot, theme);
}

pub(super) fn draw_results(frame: &mut Canvas, area: Rect, state: &State, v: &ResultsView, theme: &Theme) {
    // The list's times are in the zone of the newest one (said once, in the title).
    let zone = state.zone;
    let title = match state.jobs.list.iter().rev().find_map(|j| j.started) {
        Some(t) => format!("Results · times in {}", zone.label_at(t)),
        None => "Results".into(),
    };
    let (r, inner) = frame_box(frame, area, 110, area.height, &title, theme);
    if inner.height < 4 {
        return;
    }
    let w = results_width(area);
    let heights = results_heights(state, area);
    let list_h = results_box(area, &heights).1;
    let top = results::follow(v.top, v.cursor, &heights, list_h as usize);
    let buf = frame.buffer_mut();
    let mut y = 0u16;
    for i in top.. {
        let Some(j) = state.jobs.newest(i) else { break };
        let style = if i == v.cursor {
            theme.selected(true)
        } else {
            Style::new()
        };
        for line in results::entry_lines(j, &zone, w) {
            if y >= list_h {
                break;
            }
            buf.put_string(inner.x + 1, inner.y + y, fit(&line, w), style);
            y += 1;
        }
        if y >= list_h {
            break;
        }
    }
    let sep_y = inner.y + list_h;
    buf.put_string(inner.x, sep_y, "─".repeat(inner.width as usize), theme.dim());
    if let Some(j) = state.jobs.newest(v.cursor) {
        let mut rows = Vec::new();
        if let Some(t) = results::when(j, &zone, state.clock) {
            rows.push(Row::plain(Line::from(Span::styled(t, theme.dim()))));
        }
        rows.extend(job_rows(j, w, theme));
        let area = Rect::new(inner.x, sep_y + 1, inner.width, inner.height.saturating_sub(list_h + 1));
        draw_rows(frame, area, &rows, None);
    }
    let km = &state.keymap;
    let text = format!(
        " {}/{} select · {} events · {} close ",
        km.hint(Action::Down, "j"),
        km.hint(Action::Up, "k"),
        km.hint(Action::Events, "e"),
        km.hint(Action::Back, "Esc")
    );
    footer(frame, r, &text, theme);
}

pub(super) fn draw_events(frame: &mut Canvas, area: Rect, state: &State, v: &EventsView, theme: &Theme) {
    let (r, inner) = frame_box(frame, area, 120, area.height, "Session events", theme);
    if inner.height < 5 {
        return;
    }
    let w = inner.width.saturating_sub(2) as usize;
    let x = inner.x + 1;
    let mut y = inner.y;
    {
        let buf = frame.buffer_mut();
        let tabs: Vec<String> = v
            .sources
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let l = truncate(&sanitize(&s.label), 40);
                if i == v.current {
                    format!("[{l}]")
                } else {
                    format!(" {l} ")
                }
            })
            .collect();
        buf.put_string(x, y, truncate(&tabs.join(" "), w), theme.label());
        y += 1;
        if let Some(n) = &v.note {
            buf.put_string(x, y, truncate(&sanitize(n), w), theme.error());
            y += 1;
        }
    }
    let bottom = inner.y + inner.height;
    if v.loading.is_some() && v.events.is_empty() {
        let t = format!("{} loading the events…", super::spinner(state));
        frame.buffer_mut().put_string(x, y, t, theme.dim());
    } else if let Some(e) = &v.error {
        let rows = error_row(e, 0, w, theme);
        draw_rows(frame, Rect::new(inner.x, y, inner.width, bottom - y), &rows, None);
    } else if v.events.is_empty() {
        frame.buffer_mut().put_string(x, y, "no events", theme.dim());
    } else {
        let list_h = events_list_rows(inner, v.note.is_some());
        let zone = state.zone;
        let (tw, yw, sw) = (17usize, 8usize, 9usize);
        // The column says its zone once (the zone in force at the newest event's start).
        let at = v
            .events
            .iter()
            .rev()
            .find_map(|e| e.start_time.as_ref().and_then(|t| t.as_utc()));
        let start_head = match at {
            Some(t) => format!("Start ({})", zone.label_at(t)),
            None => "Start".into(),
        };
        let head = format!(
            "{} {} {} {}",
            fit(&start_head, tw),
            fit("Type", yw),
            fit("Status", sw),
            "Title"
        );
        let buf = frame.buffer_mut();
        buf.put_string(x, y, truncate(&head, w), theme.column_header());
        y += 1;
        let n = v.events.len();
        let top = v.view.shown(v.cursor as u64, list_h as u64, n as u64) as usize;
        for row in 0..list_h as usize {
            let i = top + row;
            let Some(e) = v.events.get(i) else { break };
            let start = e.start_time.as_ref().map(|t| zone.short(t)).unwrap_or_default();
            let kind = e
                .event_type
                .as_ref()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default();
            let title = e.title.as_deref().or(e.item_name.as_deref()).unwrap_or("");
            let line = format!(
                "{} {} {} {}",
                fit(&start, tw),
                fit(&sanitize(&kind), yw),
                fit(&sanitize(e.status.as_str()), sw),
                sanitize(title)
            );
            let style = if i == v.cursor {
                theme.selected(true)
            } else {
                Style::new()
            };
            buf.put_string(x, y + row as u16, fit(&line, w), style);
        }
        y += list_h;
        buf.put_string(inner.x, y, "─".repeat(inner.width as usize), theme.dim());
        y += 1;
        if let Some(e) = v.selected() {
            let mut text = Vec::new();
            if let Some(m) = &e.message {
                text.push(m.clone());
            }
            let fromto: Vec<String> = [("from", &e.source), ("to", &e.target)]
                .iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
                .collect();
            if !fromto.is_empty() {
                text.push(fromto.join(" "));
            }
            let rows = text_rows(&text, w, Style::new());
            draw_rows(
                frame,
                Rect::new(inner.x, y, inner.width, bottom.saturating_sub(y)),
                &rows,
                None,
            );
        }
    }
    let km = &state.keymap;
    let text = format!(
        " {}/{} move · {} other session · {} reload · {} back ",
        km.hint(Action::Down, "j"),
        km.hint(Action::Up, "k"),
        km.hint(Action::NextPane, "Tab"),
        km.hint(Action::Refresh, "^R"),
        km.hint(Action::Back, "Esc")
    );
    footer(frame, r, &text, theme);
}
