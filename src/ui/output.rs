//! The backend of the real terminal: ratatui's crossterm backend, sending fewer bytes for the same
//! frames (over SSH every byte counts).
//!
//! ratatui moves the cursor with an absolute `CSI row;col H` (7 to 10 bytes) before every changed cell
//! that does not follow the previous one. When a list scrolls by one row, most of its rows change in
//! scattered cells, and those moves were half of the bytes sent. Here a forward move on the same row is
//! relative (`CSI n C`, 3 to 5 bytes), and a short gap of cells the terminal already shows in the
//! current colours is written again instead (a byte per cell). After a character whose width terminals
//! may disagree on (wide, ambiguous), the next move is absolute again, as ratatui's always is. Everything
//! else is the crossterm backend's.

use ratatui::backend::{Backend, ClearType, CrosstermBackend, IntoCrossterm, WindowSize};
use ratatui::buffer::Cell;
use ratatui::crossterm::cursor::MoveTo;
use ratatui::crossterm::queue;
use ratatui::crossterm::style::{Attribute, Colors, SetAttribute, SetColors, SetUnderlineColor};
use ratatui::layout::{Position, Size};
use ratatui::style::{Color, Modifier};
use std::io::{self, Write};
use unicode_width::UnicodeWidthStr;

/// A [`CrosstermBackend`] that writes frames compactly (see the module docs).
pub struct CompactBackend<W: Write> {
    inner: CrosstermBackend<W>,
    /// What this backend last wrote to each cell, row by row; `None` where that is not known (the right
    /// half of a wide character, after a partial clear).
    screen: Vec<Vec<Option<Cell>>>,
    /// Cells never written are blank (the screen started cleared, as ratatui assumes too; or was
    /// cleared whole since).
    blank: bool,
    /// The terminal's size when it is not the backend's to ask (tests, benchmarks).
    fixed: Option<Size>,
}

/// The colours and attributes in effect on the terminal while a frame is written.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Pen {
    fg: Color,
    bg: Color,
    underline: Color,
    modifier: Modifier,
}

impl Default for Pen {
    fn default() -> Pen {
        Pen {
            fg: Color::Reset,
            bg: Color::Reset,
            underline: Color::Reset,
            modifier: Modifier::empty(),
        }
    }
}

impl Pen {
    fn of(c: &Cell) -> Pen {
        Pen {
            fg: c.fg,
            bg: c.bg,
            underline: c.underline_color,
            modifier: c.modifier,
        }
    }
}

/// True when every terminal agrees this symbol takes exactly one column (so the cursor position after
/// it is known without asking).
fn surely_narrow(s: &str) -> bool {
    s.width() == 1 && s.width_cjk() == 1
}

impl<W: Write> CompactBackend<W> {
    pub fn new(inner: CrosstermBackend<W>) -> CompactBackend<W> {
        CompactBackend {
            inner,
            screen: Vec::new(),
            blank: true,
            fixed: None,
        }
    }

    /// For a writer that is not a terminal: the size is given.
    pub fn with_size(inner: CrosstermBackend<W>, size: Size) -> CompactBackend<W> {
        CompactBackend {
            fixed: Some(size),
            ..CompactBackend::new(inner)
        }
    }

    pub fn inner(&self) -> &CrosstermBackend<W> {
        &self.inner
    }

    fn known(&self, x: u16, y: u16) -> Option<&Cell> {
        static BLANK: Cell = Cell::EMPTY;
        match self.screen.get(y as usize).and_then(|r| r.get(x as usize)) {
            Some(c) => c.as_ref(),
            None => self.blank.then_some(&BLANK),
        }
    }

    /// Notes that `cell` (`width` columns) was written at (x, y).
    fn remember(&mut self, x: u16, y: u16, cell: &Cell, width: usize) {
        let (x, y) = (x as usize, y as usize);
        if self.screen.len() <= y {
            self.screen.resize_with(y + 1, Vec::new);
        }
        let row = &mut self.screen[y];
        let end = x + width.max(1);
        if row.len() < end {
            row.resize(end, self.blank.then_some(Cell::EMPTY));
        }
        // Writing over the right half of a wide character erases its left half.
        if x > 0 && row[x - 1].as_ref().is_some_and(|c| c.symbol().width() > 1) {
            row[x - 1] = None;
        }
        row[x] = (width > 0).then(|| cell.clone());
        for c in &mut row[x + 1..end] {
            *c = None;
        }
    }

    /// After a clear: the whole screen is blank (`blank`), or nothing is known.
    fn forget(&mut self, blank: bool) {
        self.screen.clear();
        self.blank = blank;
    }

    /// Writes the cells (x0..x1, y) again when the terminal shows them in `pen` already and that is
    /// shorter than moving over them. Returns whether it did.
    fn refill(&mut self, y: u16, x0: u16, x1: u16, pen: Pen) -> io::Result<bool> {
        let gap = x1 - x0;
        let jump = 3 + if gap == 1 { 0 } else { gap.to_string().len() };
        let mut bytes = String::new();
        for x in x0..x1 {
            let Some(c) = self.known(x, y) else { return Ok(false) };
            if Pen::of(c) != pen || !surely_narrow(c.symbol()) || bytes.len() + c.symbol().len() >= jump {
                return Ok(false);
            }
            bytes.push_str(c.symbol());
        }
        self.inner.write_all(bytes.as_bytes())?;
        Ok(true)
    }
}

/// Queues the attribute changes from `from` to `to` (as ratatui's crossterm backend does).
fn modifier_diff(w: &mut impl Write, from: Modifier, to: Modifier) -> io::Result<()> {
    let removed = from - to;
    if removed.contains(Modifier::REVERSED) {
        queue!(w, SetAttribute(Attribute::NoReverse))?;
    }
    let reset_intensity = removed.intersects(Modifier::BOLD | Modifier::DIM);
    if reset_intensity {
        queue!(w, SetAttribute(Attribute::NormalIntensity))?;
        if to.contains(Modifier::DIM) {
            queue!(w, SetAttribute(Attribute::Dim))?;
        }
        if to.contains(Modifier::BOLD) {
            queue!(w, SetAttribute(Attribute::Bold))?;
        }
    }
    for (m, off) in [
        (Modifier::ITALIC, Attribute::NoItalic),
        (Modifier::UNDERLINED, Attribute::NoUnderline),
        (Modifier::CROSSED_OUT, Attribute::NotCrossedOut),
        (Modifier::HIDDEN, Attribute::NoHidden),
    ] {
        if removed.contains(m) {
            queue!(w, SetAttribute(off))?;
        }
    }
    if removed.intersects(Modifier::SLOW_BLINK | Modifier::RAPID_BLINK) {
        queue!(w, SetAttribute(Attribute::NoBlink))?;
    }
    let added = to - from;
    for (m, on) in [
        (Modifier::REVERSED, Attribute::Reverse),
        (Modifier::ITALIC, Attribute::Italic),
        (Modifier::UNDERLINED, Attribute::Underlined),
        (Modifier::CROSSED_OUT, Attribute::CrossedOut),
        (Modifier::HIDDEN, Attribute::Hidden),
        (Modifier::SLOW_BLINK, Attribute::SlowBlink),
        (Modifier::RAPID_BLINK, Attribute::RapidBlink),
    ] {
        if added.contains(m) {
            queue!(w, SetAttribute(on))?;
        }
    }
    if !reset_intensity {
        if added.contains(Modifier::BOLD) {
            queue!(w, SetAttribute(Attribute::Bold))?;
        }
        if added.contains(Modifier::DIM) {
            queue!(w, SetAttribute(Attribute::Dim))?;
        }
    }
    Ok(())
}

impl<W: Write> Write for CompactBackend<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Write::flush(&mut self.inner)
    }
}

impl<W: Write> Backend for CompactBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let mut pen = Pen::default();
        // Where the terminal's cursor is as ratatui counts (after a one-column symbol, the next column),
        // and whether every terminal agrees (only then is a relative move safe).
        let mut cursor: Option<(u16, u16)> = None;
        let mut sure = false;
        for (x, y, cell) in content {
            match cursor {
                Some(c) if c == (x, y) => {}
                Some((cx, cy)) if sure && cy == y && cx < x => {
                    if !self.refill(y, cx, x, pen)? {
                        match x - cx {
                            1 => self.inner.write_all(b"\x1b[C")?,
                            n => write!(self.inner, "\x1b[{n}C")?,
                        }
                    }
                }
                _ => {
                    queue!(self.inner, MoveTo(x, y))?;
                    sure = true;
                }
            }
            let want = Pen::of(cell);
            if want.modifier != pen.modifier {
                modifier_diff(&mut self.inner, pen.modifier, want.modifier)?;
            }
            if (want.fg, want.bg) != (pen.fg, pen.bg) {
                queue!(
                    self.inner,
                    SetColors(Colors::new(want.fg.into_crossterm(), want.bg.into_crossterm()))
                )?;
            }
            if want.underline != pen.underline {
                queue!(self.inner, SetUnderlineColor(want.underline.into_crossterm()))?;
            }
            pen = want;
            let symbol = cell.symbol();
            self.inner.write_all(symbol.as_bytes())?;
            let w = symbol.width();
            self.remember(x, y, cell, w);
            // (After the last column the next cell is on another row, or to the left: an absolute move.)
            cursor = if w == 1 { x.checked_add(1).map(|nx| (nx, y)) } else { None };
            // Once a symbol of disputed width is written, only an absolute move makes it sure again.
            sure = sure && cursor.is_some() && surely_narrow(symbol);
        }
        if pen != Pen::default() {
            queue!(self.inner, SetAttribute(Attribute::Reset))?;
        }
        Ok(())
    }

    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        self.forget(false);
        self.inner.append_lines(n)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.forget(true);
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.forget(clear_type == ClearType::All);
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        match self.fixed {
            Some(s) => Ok(s),
            None => self.inner.size(),
        }
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        match self.fixed {
            Some(s) => Ok(WindowSize {
                columns_rows: s,
                pixels: Size::default(),
            }),
            None => self.inner.window_size(),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::Style;
    use ratatui::{Terminal, TerminalOptions, Viewport};
    use std::sync::{Arc, Mutex};

    /// A writer the test reads back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn take(&self) -> Vec<u8> {
            std::mem::take(&mut *self.0.lock().unwrap())
        }
    }

    const W: u16 = 40;
    const H: u16 = 8;

    fn terminal<B: Backend>(b: B) -> Terminal<B> {
        Terminal::with_options(
            b,
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, W, H)),
            },
        )
        .unwrap()
    }

    /// A deterministic pseudo-random frame: rows of words in a few scripts and styles.
    fn frame(seed: u64) -> Buffer {
        const WORDS: [&str; 12] = [
            "alpha", "Zoë", "—", "…", "会議", "🎉", "x", "│", "  ", "abc", "ß", "François",
        ];
        const STYLES: [Style; 4] = [
            Style::new(),
            Style::new().fg(Color::Indexed(6)).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::REVERSED),
            Style::new().fg(Color::Indexed(3)).bg(Color::Indexed(4)),
        ];
        let mut s = seed;
        let mut next = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 33) as usize
        };
        let mut buf = Buffer::empty(Rect::new(0, 0, W, H));
        for y in 0..H {
            let mut x = 0u16;
            while x < W {
                let word = WORDS[next() % WORDS.len()];
                let style = STYLES[next() % STYLES.len()];
                let (nx, _) = buf.set_stringn(x, y, word, (W - x) as usize, style);
                x = nx.max(x + 1);
            }
        }
        buf
    }

    fn draw<B: Backend>(t: &mut Terminal<B>, buf: &Buffer) {
        t.draw(|f| f.buffer_mut().merge(buf)).map(drop).map_err(|_| ()).unwrap();
    }

    fn vt_color(c: Color) -> vt100::Color {
        match c {
            Color::Indexed(i) => vt100::Color::Idx(i),
            _ => vt100::Color::Default,
        }
    }

    /// The emulated screen shows exactly `buf`.
    fn assert_shows(vt: &vt100::Parser, buf: &Buffer, what: &str) {
        let screen = vt.screen();
        for y in 0..H {
            let mut x = 0;
            while x < W {
                let want = &buf[(x, y)];
                let got = screen.cell(y, x).unwrap();
                // A cell never written is empty on the emulated screen, a space in the buffer.
                let shown = if got.contents().is_empty() { " " } else { got.contents() };
                assert_eq!(shown, want.symbol(), "{what}: symbol at ({x}, {y})");
                assert_eq!(got.fgcolor(), vt_color(want.fg), "{what}: fg at ({x}, {y})");
                assert_eq!(got.bgcolor(), vt_color(want.bg), "{what}: bg at ({x}, {y})");
                assert_eq!(got.bold(), want.modifier.contains(Modifier::BOLD), "{what}: bold");
                assert_eq!(got.inverse(), want.modifier.contains(Modifier::REVERSED), "{what}: reverse");
                x += (want.symbol().width() as u16).max(1);
            }
        }
    }

    /// Both emulated screens show the same (ratatui's own backend is the reference: where wide characters
    /// are partly overwritten, no backend can make a terminal show the buffer exactly).
    fn assert_same(vt: &vt100::Parser, reference: &vt100::Parser, what: &str) {
        let (a, b) = (vt.screen(), reference.screen());
        for y in 0..H {
            for x in 0..W {
                let (c, r) = (a.cell(y, x).unwrap(), b.cell(y, x).unwrap());
                let show = |c: &vt100::Cell| (c.contents().to_string(), c.fgcolor(), c.bgcolor(), c.bold(), c.inverse());
                assert_eq!(show(c), show(r), "{what}: cell ({x}, {y})");
            }
        }
    }

    #[test]
    fn frames_arrive_as_with_ratatuis_backend_and_smaller() {
        let (compact_out, plain_out) = (Shared::default(), Shared::default());
        let mut compact = terminal(CompactBackend::with_size(
            CrosstermBackend::new(compact_out.clone()),
            Size::new(W, H),
        ));
        let mut plain = terminal(CrosstermBackend::new(plain_out.clone()));
        let mut vt = vt100::Parser::new(H.try_into().unwrap(), W.try_into().unwrap(), 0);
        let mut vt_plain = vt100::Parser::new(H.try_into().unwrap(), W.try_into().unwrap(), 0);
        let (mut sent, mut sent_plain) = (0, 0);
        for seed in 0..300 {
            // Mostly small changes (a row scrolled, a cell changed), sometimes a new screen.
            let buf = if seed % 7 == 0 {
                frame(seed)
            } else {
                let mut b = frame(seed / 7 * 7);
                let shift = (seed % 7) as u16;
                let src = frame(seed / 7 * 7 + 1000);
                for y in 0..H.saturating_sub(shift) {
                    for x in 0..W {
                        b[(x, y)] = src[(x, (y + shift) % H)].clone();
                    }
                }
                b
            };
            draw(&mut compact, &buf);
            draw(&mut plain, &buf);
            let bytes = compact_out.take();
            sent += bytes.len();
            let plain_bytes = plain_out.take();
            sent_plain += plain_bytes.len();
            vt.process(&bytes);
            vt_plain.process(&plain_bytes);
            assert_same(&vt, &vt_plain, &format!("frame {seed}"));
        }
        assert!(sent < sent_plain, "{sent} bytes, ratatui's backend {sent_plain}");
    }

    #[test]
    fn a_clear_forgets_the_screen() {
        let out = Shared::default();
        let mut be = CompactBackend::with_size(CrosstermBackend::new(out.clone()), Size::new(W, H));
        let area = Rect::new(0, 0, W, H);
        let empty = Buffer::empty(area);
        let mut a = empty.clone();
        a.set_string(0, 2, "abcdefghij", Style::new());
        be.draw(empty.diff(&a).into_iter()).unwrap();
        be.clear().unwrap();
        // Two cells change with one between them: after the clear that one must not be written again.
        let mut b = a.clone();
        b[(5, 2)].set_symbol("Q");
        b[(7, 2)].set_symbol("R");
        be.draw(a.diff(&b).into_iter()).unwrap();
        let mut vt = vt100::Parser::new(H.try_into().unwrap(), W.try_into().unwrap(), 0);
        vt.process(&out.take());
        let mut want = empty.clone();
        want[(5, 2)].set_symbol("Q");
        want[(7, 2)].set_symbol("R");
        assert_shows(&vt, &want, "after a clear");
    }
}
