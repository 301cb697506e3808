//! Writing text into the frame: ratatui's `Buffer::set_string`, `set_stringn` and `set_line`, cell for
//! cell the same, without the grapheme segmenter for ASCII (most text: a list's rows, the details).
//!
//! ratatui runs every string through Unicode grapheme segmentation and a width look-up, a grapheme at a
//! time; at 200x60 that was most of a frame's drawing. Here a byte of ASCII is written directly when it
//! is a grapheme of its own, which it always is when the byte after it is ASCII too (or there is none):
//! no segmentation rule joins two ASCII characters other than CR LF, and controls (CR, LF and the
//! others) always stand alone and are skipped as ratatui skips them. Anything else goes through the
//! segmenter a grapheme at a time, starting at a grapheme boundary, as ratatui does.

use ratatui::buffer::{Buffer, Cell, CellWidth};
use ratatui::style::Style;
use ratatui::text::Line;
use unicode_segmentation::UnicodeSegmentation;

/// A cell for each printable ASCII character (0x20 to 0x7e), its symbol made at compile time.
static ASCII: [Cell; 95] = [
    Cell::new(" "),
    Cell::new("!"),
    Cell::new("\""),
    Cell::new("#"),
    Cell::new("$"),
    Cell::new("%"),
    Cell::new("&"),
    Cell::new("'"),
    Cell::new("("),
    Cell::new(")"),
    Cell::new("*"),
    Cell::new("+"),
    Cell::new(","),
    Cell::new("-"),
    Cell::new("."),
    Cell::new("/"),
    Cell::new("0"),
    Cell::new("1"),
    Cell::new("2"),
    Cell::new("3"),
    Cell::new("4"),
    Cell::new("5"),
    Cell::new("6"),
    Cell::new("7"),
    Cell::new("8"),
    Cell::new("9"),
    Cell::new(":"),
    Cell::new(";"),
    Cell::new("<"),
    Cell::new("="),
    Cell::new(">"),
    Cell::new("?"),
    Cell::new("@"),
    Cell::new("A"),
    Cell::new("B"),
    Cell::new("C"),
    Cell::new("D"),
    Cell::new("E"),
    Cell::new("F"),
    Cell::new("G"),
    Cell::new("H"),
    Cell::new("I"),
    Cell::new("J"),
    Cell::new("K"),
    Cell::new("L"),
    Cell::new("M"),
    Cell::new("N"),
    Cell::new("O"),
    Cell::new("P"),
    Cell::new("Q"),
    Cell::new("R"),
    Cell::new("S"),
    Cell::new("T"),
    Cell::new("U"),
    Cell::new("V"),
    Cell::new("W"),
    Cell::new("X"),
    Cell::new("Y"),
    Cell::new("Z"),
    Cell::new("["),
    Cell::new("\\"),
    Cell::new("]"),
    Cell::new("^"),
    Cell::new("_"),
    Cell::new("`"),
    Cell::new("a"),
    Cell::new("b"),
    Cell::new("c"),
    Cell::new("d"),
    Cell::new("e"),
    Cell::new("f"),
    Cell::new("g"),
    Cell::new("h"),
    Cell::new("i"),
    Cell::new("j"),
    Cell::new("k"),
    Cell::new("l"),
    Cell::new("m"),
    Cell::new("n"),
    Cell::new("o"),
    Cell::new("p"),
    Cell::new("q"),
    Cell::new("r"),
    Cell::new("s"),
    Cell::new("t"),
    Cell::new("u"),
    Cell::new("v"),
    Cell::new("w"),
    Cell::new("x"),
    Cell::new("y"),
    Cell::new("z"),
    Cell::new("{"),
    Cell::new("|"),
    Cell::new("}"),
    Cell::new("~"),
];

/// Text writing for [`Buffer`] (see the module docs): the same cells as ratatui's methods of the same
/// names without `put_`.
pub trait Put {
    /// As `Buffer::set_stringn`: at most `max_width` columns of `s` from (x, y), up to the area's right
    /// edge; returns where the next column is.
    fn put_stringn(&mut self, x: u16, y: u16, s: &str, max_width: usize, style: Style) -> (u16, u16);

    /// As `Buffer::set_string`.
    fn put_string<T: AsRef<str>, S: Into<Style>>(&mut self, x: u16, y: u16, s: T, style: S) {
        self.put_stringn(x, y, s.as_ref(), usize::MAX, style.into());
    }

    /// As `Buffer::set_line` (the line's style patched with each span's; no alignment).
    fn put_line(&mut self, x: u16, y: u16, line: &Line<'_>, max_width: u16) -> (u16, u16);
}

impl Put for Buffer {
    fn put_stringn(&mut self, mut x: u16, y: u16, s: &str, max_width: usize, style: Style) -> (u16, u16) {
        let max_width = u16::try_from(max_width).unwrap_or(u16::MAX);
        let mut remaining = self.area.right().saturating_sub(x).min(max_width);
        let bytes = s.as_bytes();
        let mut i = 0;
        let mut row_start: Option<usize> = None;
        // `i` is always at a grapheme boundary.
        while i < bytes.len() {
            let b = bytes[i];
            if b < 0x80 && bytes.get(i + 1).is_none_or(|&n| n < 0x80) {
                i += 1;
                // A control is a grapheme of its own, skipped.
                if b < 0x20 || b == 0x7f {
                    continue;
                }
                if remaining == 0 {
                    break;
                }
                remaining -= 1;
                // The row's start is found once (and checked as ratatui's indexing checks it).
                let at = match row_start {
                    Some(start) => start + usize::from(x),
                    None => {
                        let at = self.index_of(x, y);
                        row_start = Some(at - usize::from(x));
                        at
                    }
                };
                let cell = &mut self.content[at];
                // A cell of this character made at compile time (its symbol is kept inline), with the
                // style of the cell it replaces, as `set_symbol` keeps it.
                let old = std::mem::replace(cell, ASCII[usize::from(b - 0x20)].clone());
                cell.fg = old.fg;
                cell.bg = old.bg;
                cell.underline_color = old.underline_color;
                cell.modifier = old.modifier;
                cell.diff_option = old.diff_option;
                #[allow(deprecated)]
                {
                    cell.skip = old.skip;
                }
                cell.set_style(style);
                x += 1;
                continue;
            }
            let Some(g) = s[i..].graphemes(true).next() else { break };
            i += g.len();
            if g.contains(char::is_control) {
                continue;
            }
            let width = g.cell_width();
            if width == 0 {
                continue;
            }
            let Some(left) = remaining.checked_sub(width) else {
                break;
            };
            remaining = left;
            self[(x, y)].set_symbol(g).set_style(style);
            let next = x + width;
            x += 1;
            // The cells a wide grapheme hides are reset.
            while x < next {
                self[(x, y)].reset();
                x += 1;
            }
        }
        (x, y)
    }

    fn put_line(&mut self, x: u16, y: u16, line: &Line<'_>, max_width: u16) -> (u16, u16) {
        let mut remaining = max_width;
        let mut x = x;
        for span in line {
            if remaining == 0 {
                break;
            }
            let pos = self.put_stringn(
                x,
                y,
                span.content.as_ref(),
                remaining as usize,
                line.style.patch(span.style),
            );
            let w = pos.0.saturating_sub(x);
            x = pos.0;
            remaining = remaining.saturating_sub(w);
        }
        (x, y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Modifier};
    use ratatui::text::Span;

    /// Pieces that exercise the segmenter: combining marks after ASCII, prepend marks before it, CR LF,
    /// controls, wide and zero-width characters, emoji sequences, regional indicators, halfwidth marks.
    const PIECES: [&str; 29] = [
        "a",
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
        "Zz",
        " ",
        "e\u{301}",
        "\u{301}",
        "\u{600}1",
        "\r\n",
        "\r",
        "\n",
        "\t",
        "\x1b[31m",
        "\x7f",
        "会議",
        "🎉",
        "👨\u{200d}👩\u{200d}👧",
        "❤\u{fe0f}",
        "🇯🇵",
        "🇫",
        "\u{200b}",
        "\u{200d}",
        "ｶﾞ",
        "é",
        "François",
        "—",
        "…",
        "x\u{20dd}",
        "ก\u{e33}",
        "\u{1100}\u{1161}\u{11a8}",
    ];

    /// Every combination the pseudo-random strings reach: the same cells as ratatui's methods, the same
    /// position returned, at every start column and width limit (cut inside a wide grapheme too).
    #[test]
    fn the_same_cells_as_ratatuis() {
        let area = Rect::new(2, 1, 23, 3);
        let styles = [
            Style::new(),
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Style::new().bg(Color::Indexed(4)).remove_modifier(Modifier::BOLD),
        ];
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for round in 0..3000 {
            let n = next() % 8;
            let s: String = (0..n).map(|_| PIECES[next() % PIECES.len()]).collect();
            let style = styles[round % styles.len()];
            let x = area.x + (next() % (area.width as usize + 2)) as u16;
            let max = next() % 30;
            // A frame with something in it already, so resets and style patches show.
            let mut theirs = Buffer::empty(area);
            theirs.set_string(area.x, 2, "0123456789012345678901234", Style::new().fg(Color::Red));
            let mut ours = theirs.clone();
            let a = theirs.set_stringn(x, 2, &s, max, style);
            let b = ours.put_stringn(x, 2, &s, max, style);
            assert_eq!(a, b, "{s:?} at {x} max {max}: position");
            assert_eq!(theirs, ours, "{s:?} at {x} max {max}");
            // A line of spans in several styles (the line's own style patched by each span's).
            let spans: Vec<Span> = (0..3)
                .map(|k| Span::styled(PIECES[next() % PIECES.len()].repeat(k + 1), styles[(round + k) % 3]))
                .collect();
            let line = Line::from(spans).style(Style::new().bg(Color::Green));
            let mut theirs = Buffer::empty(area);
            let mut ours = Buffer::empty(area);
            let a = theirs.set_line(x.min(area.right() - 1), 3, &line, max as u16);
            let b = ours.put_line(x.min(area.right() - 1), 3, &line, max as u16);
            assert_eq!(a, b, "{line:?}: position");
            assert_eq!(theirs, ours, "{line:?}");
        }
    }
}
