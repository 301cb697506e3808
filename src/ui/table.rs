//! Columns fitted by display width, and a list that builds rows only for its visible window.

use super::theme::Theme;
use crate::app::list::Viewport;
use crate::text::{fit, fit_right};
use crate::ui::put::Put;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

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
        let line = row(i);
        let r = Rect::new(area.x, y, area.width, 1);
        buf.put_line(area.x, y, &line, area.width);
        if i == cursor {
            buf.set_style(r, theme.selected(focused));
        }
        y += 1;
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
}
