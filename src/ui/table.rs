//! Columns fitted by display width, and a list that builds rows only for its visible window.

use super::theme::Theme;
use crate::app::list::Viewport;
use crate::text::{fit, fit_right};
use crate::ui::put::Put;
use ratatui::buffer::{Buffer, Cell, CellDiffOption};
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use std::cell::RefCell;
use std::collections::HashMap;

/// How wide a column is.
#[derive(Clone, Copy, Debug)]
pub enum Width {
    /// Exactly this many columns.
    Fixed(usize),
    /// A share of what the fixed columns leave, with a minimum.
    Fill { weight: usize, min: usize },
}

#[derive(Clone, Copy, Debug)]
pub struct Col {
    pub title: &'static str,
    pub width: Width,
    pub right: bool,
}

pub const fn fixed(title: &'static str, w: usize) -> Col {
    Col {
        title,
        width: Width::Fixed(w),
        right: false,
    }
}

pub const fn fixed_right(title: &'static str, w: usize) -> Col {
    Col {
        title,
        width: Width::Fixed(w),
        right: true,
    }
}

pub const fn fill(title: &'static str, weight: usize, min: usize) -> Col {
    Col {
        title,
        width: Width::Fill { weight, min },
        right: false,
    }
}

/// Column widths for `total` columns (one space between columns). When the fixed columns do not fit,
/// the rightmost columns are dropped (width 0).
pub fn widths(cols: &[Col], total: usize) -> Vec<usize> {
    let mut out = vec![0; cols.len()];
    // Keep as many columns (left to right) as fit with their minimum widths.
    let mut used = 0;
    let mut kept = 0;
    for (i, c) in cols.iter().enumerate() {
        let min = match c.width {
            Width::Fixed(w) => w,
            Width::Fill { min, .. } => min,
        };
        let sep = usize::from(i > 0);
        if used + sep + min > total && i > 0 {
            break;
        }
        used += sep + min;
        kept = i + 1;
    }
    let seps = kept.saturating_sub(1);
    let fixed: usize = cols[..kept]
        .iter()
        .map(|c| match c.width {
            Width::Fixed(w) => w,
            Width::Fill { .. } => 0,
        })
        .sum();
    let weights: usize = cols[..kept]
        .iter()
        .map(|c| match c.width {
            Width::Fill { weight, .. } => weight,
            Width::Fixed(_) => 0,
        })
        .sum();
    let mut left = total.saturating_sub(fixed + seps);
    let mut last_fill = None;
    for (i, c) in cols[..kept].iter().enumerate() {
        out[i] = match c.width {
            Width::Fixed(w) => w.min(total),
            Width::Fill { weight, .. } => {
                last_fill = Some(i);
                (total.saturating_sub(fixed + seps) * weight)
                    .checked_div(weights)
                    .unwrap_or(0)
            }
        };
    }
    // Give rounding leftovers to the last fill column.
    for (i, c) in cols[..kept].iter().enumerate() {
        if matches!(c.width, Width::Fill { .. }) {
            left = left.saturating_sub(out[i]);
        }
    }
    if let Some(i) = last_fill {
        out[i] += left;
    }
    out
}

/// One line of cells (already sanitised), each fitted to its width.
pub fn row_line(cells: &[String], cols: &[Col], widths: &[usize]) -> String {
    let mut s = String::new();
    let mut first = true;
    for ((cell, col), &w) in cells.iter().zip(cols).zip(widths) {
        if w == 0 {
            continue;
        }
        if !first {
            s.push(' ');
        }
        first = false;
        s.push_str(&if col.right { fit_right(cell, w) } else { fit(cell, w) });
    }
    s
}

/// Titles of the columns that hold dates (the first of them in a list says the zone).
const DATE_TITLES: [&str; 7] = ["Point in time", "Created", "Received", "Start", "Due", "Date", "Sent"];

/// The columns and their titles, the first date column saying the zone the list's dates are shown in
/// (`Received (UTC+01:00)`), once; that column is widened to hold its title.
pub fn zoned(cols: &[Col], zone: &str) -> (Vec<Col>, Vec<String>) {
    let mut cols = cols.to_vec();
    let mut titles: Vec<String> = cols.iter().map(|c| c.title.to_string()).collect();
    if let Some(i) = cols.iter().position(|c| DATE_TITLES.contains(&c.title)) {
        let t = format!("{} ({zone})", cols[i].title);
        if let Width::Fixed(w) = &mut cols[i].width {
            *w = (*w).max(crate::text::width(&t));
        }
        titles[i] = t;
    }
    (cols, titles)
}

/// The column titles as one line.
pub fn header_line(cols: &[Col], widths: &[usize]) -> String {
    let titles: Vec<String> = cols.iter().map(|c| c.title.to_string()).collect();
    row_line(&titles, cols, widths)
}

/// Draws a list into `area`: an optional header line, then the rows of the visible window only
/// (`row(i)` is called for those), the cursor row highlighted.
#[allow(clippy::too_many_arguments)]
pub fn draw_rows<'a>(
    buf: &mut Buffer,
    area: Rect,
    header: Option<String>,
    len: u64,
    cursor: u64,
    view: &Viewport,
    focused: bool,
    theme: &Theme,
    mut row: impl FnMut(u64) -> Line<'a>,
) {
    draw_rows_by(buf, area, header, len, cursor, view, focused, theme, |buf, i, r| {
        let line = row(i);
        buf.put_line(r.x, r.y, &line, r.width);
    });
}

/// [`draw_rows`] with each row drawn by `put(buf, i, r)` into its area `r` (blank).
#[allow(clippy::too_many_arguments)]
pub fn draw_rows_by(
    buf: &mut Buffer,
    area: Rect,
    header: Option<String>,
    len: u64,
    cursor: u64,
    view: &Viewport,
    focused: bool,
    theme: &Theme,
    mut put: impl FnMut(&mut Buffer, u64, Rect),
) {
    let mut y = area.y;
    if let Some(h) = header {
        if area.height == 0 {
            return;
        }
        buf.put_string(area.x, y, fit(&h, area.width as usize), theme.column_header());
        y += 1;
    }
    let height = (area.y + area.height).saturating_sub(y) as u64;
    if height == 0 {
        return;
    }
    let top = view.shown(cursor, height, len);
    let end = (top + height).min(len);
    for i in top..end {
        let r = Rect::new(area.x, y, area.width, 1);
        put(buf, i, r);
        if i == cursor {
            buf.set_style(r, theme.selected(focused));
        }
        y += 1;
    }
}

/// The rows [`put_cells`] drew in this frame and the one before, by what they show: a list scrolled by a
/// row draws all but one of its rows again, and fitting each cell to its column and writing it cell by
/// cell was a third of drawing a frame.
#[derive(Default)]
struct RowCache {
    /// The table the rows are of: its columns' widths and alignments, the rows' width.
    table: (Vec<usize>, Vec<bool>, u16),
    now: HashMap<(Vec<String>, Option<Style>), Vec<Cell>, Quick>,
    before: HashMap<(Vec<String>, Option<Style>), Vec<Cell>, Quick>,
}

/// The hasher of [`RowCache`]'s maps: foldhash's fast one (SipHash was a tenth of drawing the rows). The
/// keys are the cells on screen: a few dozen rows, nothing to flood.
type Quick = foldhash::fast::FixedState;

/// A blank cell (`Cell::EMPTY`, as `==` says), without comparing symbols as strings.
fn is_blank(c: &Cell) -> bool {
    #[allow(deprecated)]
    let skip = c.skip;
    c.fg == Color::Reset
        && c.bg == Color::Reset
        && c.underline_color == Color::Reset
        && c.modifier.is_empty()
        && c.diff_option == CellDiffOption::None
        && !skip
        && c.symbol().as_bytes() == b" "
}

thread_local! {
    static ROWS: RefCell<RowCache> = RefCell::new(RowCache::default());
}

/// Starts a frame of the rows [`put_cells`] keeps: those of the frame before stay until the next.
pub fn rows_frame() {
    ROWS.with(|c| {
        let mut c = c.borrow_mut();
        c.before = std::mem::take(&mut c.now);
    });
}

/// Draws a row of cells (sanitised, one per column) fitted to the columns, in `style` when given, into
/// `r`: the cells of `put_line` of [`row_line`] (of [`styled`] with the style). A row drawn already
/// in this frame or the one before, for the same table, is copied from then (see [`RowCache`]): it is
/// found by all it shows (the cells' text, the style, the columns, the width), so a row is never shown
/// as it was once anything of it changed.
pub fn put_cells(buf: &mut Buffer, r: Rect, cells: Vec<String>, cols: &[Col], widths: &[usize], style: Option<Style>) {
    let row = r;
    let r = r.intersection(buf.area);
    let blank = |buf: &Buffer| {
        let start = buf.index_of(r.x, r.y);
        buf.content[start..start + usize::from(r.width)].iter().all(is_blank)
    };
    // Drawn as it would be on blank cells: only blank cells are drawn over with a copy.
    if r.is_empty() || !blank(buf) {
        let line = cells_line(&cells, cols, widths, style);
        buf.put_line(row.x, row.y, &line, row.width);
        return;
    }
    ROWS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let table = (widths.to_vec(), cols.iter().map(|c| c.right).collect(), r.width);
        if cache.table != table {
            cache.now.clear();
            cache.before.clear();
            cache.table = table;
        }
        let key = (cells, style);
        let drawn = match cache.before.remove(&key) {
            Some(drawn) => drawn,
            None => match cache.now.get(&key) {
                Some(drawn) => drawn.clone(),
                None => {
                    let mut row = Buffer::empty(Rect::new(0, 0, r.width, 1));
                    row.put_line(0, 0, &cells_line(&key.0, cols, widths, style), r.width);
                    row.content
                }
            },
        };
        let start = buf.index_of(r.x, r.y);
        buf.content[start..start + drawn.len()].clone_from_slice(&drawn);
        cache.now.insert(key, drawn);
    });
}

/// The line [`put_cells`] draws.
fn cells_line(cells: &[String], cols: &[Col], widths: &[usize], style: Option<Style>) -> Line<'static> {
    let line = row_line(cells, cols, widths);
    match style {
        Some(s) => styled(line, s),
        None => Line::from(line),
    }
}

/// A plain line in a style.
pub fn styled(s: String, style: Style) -> Line<'static> {
    Line::from(Span::styled(s, style))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_share_and_drop() {
        let cols = [fixed("A", 4), fill("B", 1, 5), fixed("C", 3)];
        assert_eq!(widths(&cols, 20), vec![4, 11, 3]);
        assert_eq!(widths(&cols, 10), vec![4, 5, 0]);
        let cols = [fill("X", 1, 3), fill("Y", 2, 3)];
        assert_eq!(widths(&cols, 31), vec![10, 20]);
        assert_eq!(row_line(&["ab".into(), "c".into()], &cols, &[3, 2]), "ab  c ");
    }

    /// `is_blank` is `== Cell::EMPTY`.
    #[test]
    #[allow(deprecated)]
    fn blank_is_the_empty_cell() {
        let mut cells = vec![
            Cell::EMPTY,
            Cell::new(" "),
            Cell::new("x"),
            Cell::new("  "),
            Cell::new(""),
        ];
        for i in 0..6 {
            let mut c = Cell::new(" ");
            match i {
                0 => c.fg = Color::Red,
                1 => c.bg = Color::Indexed(0),
                2 => c.underline_color = Color::Rgb(0, 0, 0),
                3 => c.modifier = ratatui::style::Modifier::DIM,
                4 => c.diff_option = CellDiffOption::AlwaysUpdate,
                _ => c.skip = true,
            }
            cells.push(c);
        }
        for c in &cells {
            assert_eq!(is_blank(c), *c == Cell::EMPTY, "{c:?}");
        }
    }

    /// Rows drawn through the cache are the cells `put_line` draws of the fitted line, frame after frame:
    /// rows drawn again, changed, restyled, in other columns or widths, over cells that are not blank.
    #[test]
    fn cached_rows_are_the_rows_drawn() {
        let words = [
            "Budget",
            "会議の議事録",
            "Zoë",
            "",
            "e\u{301}te",
            "📎",
            "a long subject that is cut",
        ];
        let styles = [None, Some(Style::new().fg(ratatui::style::Color::Indexed(3)))];
        let tables = [
            (vec![fixed(" ", 1), fill("From", 2, 4), fill("Subject", 3, 4)], 30u16),
            (vec![fixed(" ", 1), fixed_right("%", 4), fill("Subject", 3, 4)], 24),
        ];
        let mut seed = 11u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for frame in 0..200 {
            rows_frame();
            let (cols, width) = &tables[frame / 50 % 2];
            let w = widths(cols, usize::from(*width));
            let area = Rect::new(0, 0, width + 4, 6);
            let mut got = Buffer::empty(area);
            // A row that is not blank already.
            got.set_string(2, 5, "xyz", Style::new().bg(ratatui::style::Color::Blue));
            let mut want = got.clone();
            for y in 0..area.height {
                let cells: Vec<String> = (0..cols.len())
                    .map(|_| words[next() % words.len()].to_string())
                    .collect();
                let style = styles[next() % 2];
                let r = Rect::new(2, y, *width, 1);
                put_cells(&mut got, r, cells.clone(), cols, &w, style);
                let line = match style {
                    Some(s) => styled(row_line(&cells, cols, &w), s),
                    None => Line::from(row_line(&cells, cols, &w)),
                };
                want.put_line(r.x, r.y, &line, r.width);
            }
            assert_eq!(got, want, "frame {frame}");
        }
    }
}
