//! The backend of the real terminal: ratatui's crossterm backend, sending fewer bytes for the same
//! frames (over SSH every byte counts).
//!
//! ratatui moves the cursor with an absolute `CSI row;col H` (7 to 10 bytes) before every changed cell
//! that does not follow the previous one. When a list scrolls by one row, most of its rows change in
//! scattered cells, and those moves were half of the bytes sent. Here a forward move on the same row is
//! relative (`CSI n C`, 3 to 5 bytes), and a short gap of cells the terminal already shows in the
//! current colours is written again instead (a byte per cell). After a character whose width terminals
//! may disagree on (wide, ambiguous), the next move sets the column absolutely (`CSI n G`), as ratatui's
//! moves always do. Everything else is the crossterm backend's.

use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, IntoCrossterm, WindowSize};
use ratatui::buffer::{Buffer, Cell, CellDiffOption, CellWidth};
use ratatui::crossterm::cursor::MoveTo;
use ratatui::crossterm::queue;
use ratatui::crossterm::style::{Attribute, SetAttribute, SetUnderlineColor};
use ratatui::layout::{Position, Rect, Size};
use ratatui::style::{Color, Modifier};
use std::io::{self, Write};
use unicode_width::UnicodeWidthStr;

/// A [`CrosstermBackend`] that writes frames compactly (see the module docs).
pub struct CompactBackend<W: Write> {
    inner: CrosstermBackend<W>,
    /// What the terminal shows, as far as this backend wrote it, row by row.
    screen: Vec<Vec<Slot>>,
    /// The [`Key`] of each slot of `screen` (the same shape), which a scroll is planned with.
    keys: Vec<Vec<Key>>,
    /// Cells never written are blank (the screen started cleared, as ratatui assumes too; or was
    /// cleared whole since).
    blank: bool,
    /// The terminal's size when it is not the backend's to ask (tests, benchmarks).
    fixed: Option<Size>,
    /// The frame ratatui drew last, which its next changes are relative to (see [`Self::frame_drawn`]);
    /// known only when `prev_known` (the storage stays, to be swapped with the next frame's copy).
    prev: Buffer,
    prev_known: bool,
    /// The next frame's keys while a scroll is planned (kept for its storage).
    next_keys: Vec<Key>,
    /// The keys of `prev` (see [`Self::present`]), and the storage of the next frame's.
    prev_keys: FrameKeys,
    frame_keys: FrameKeys,
}

/// The keys of a frame's cells and their widths, computed once when the frame is written
/// ([`CompactBackend::present`]) and kept for the next frame to be compared with.
#[derive(Default)]
struct FrameKeys {
    key: Vec<Key>,
    /// Each cell's width as ratatui's diff counts it (`cell_width`).
    width: Vec<u16>,
    /// Each cell's width as [`sym_width`] counts it (at least 1): the cells after it that a scroll plan
    /// treats as covered.
    span: Vec<u16>,
}

impl FrameKeys {
    fn of(&mut self, cells: &[Cell]) {
        let n = cells.len();
        self.key.resize(n, 0);
        self.width.resize(n, 1);
        self.span.resize(n, 1);
        for (((c, k), width), span) in cells.iter().zip(&mut self.key).zip(&mut self.width).zip(&mut self.span) {
            let s = c.symbol();
            if let [b] = s.as_bytes()
                && (b' '..=b'~').contains(b)
            {
                // One column (most cells): the key as `key` packs it.
                *k = packed(char::from(*b), c);
                (*width, *span) = (1, 1);
            } else {
                let (key, columns) = key(c);
                *k = key;
                *width = s.cell_width();
                *span = u16::try_from(columns).unwrap_or(u16::MAX);
            }
        }
    }

    /// The keys of a blank frame of `n` cells.
    fn blank(&mut self, n: usize) {
        let k = key(&Cell::EMPTY).0;
        self.key.clear();
        self.key.resize(n, k);
        self.width.clear();
        self.width.resize(n, 1);
        self.span.clear();
        self.span.resize(n, 1);
    }
}

/// The next frame as ratatui knows it, which a scroll is planned with (as [`CompactBackend::plan`] does):
/// the frame before (`prev`) with the changes (ratatui's diff passes over a few cells that differ: skipped
/// ones, the rest of a forced width). Its keys go into `into`, the cells a wide character covers as
/// [`COVERED`]; `changed` tells the changes' cells (whose keys are `next`'s) from the others (`prev`'s).
fn merged(
    prev: &FrameKeys,
    next: &FrameKeys,
    changes: &[(u16, u16, &Cell)],
    w: usize,
    into: &mut Vec<Key>,
    changed: &mut Vec<bool>,
) {
    into.clear();
    into.extend_from_slice(&prev.key);
    changed.clear();
    changed.resize(into.len(), false);
    for &(x, y, _) in changes {
        let i = usize::from(y) * w + usize::from(x);
        into[i] = next.key[i];
        changed[i] = true;
    }
    for (row, keys) in into.chunks_exact_mut(w).enumerate() {
        let mut x = 0;
        while x < w {
            let i = row * w + x;
            let span = usize::from(if changed[i] { next.span[i] } else { prev.span[i] });
            for k in keys.iter_mut().take(x + span).skip(x + 1) {
                *k = COVERED;
            }
            x += span.max(1);
        }
    }
}

/// Modifiers that show on a blank cell (ratatui's diff writes again the cells a wide character covered
/// when it had these or a background).
const VISIBLE_ON_BLANK: Modifier = Modifier::REVERSED
    .union(Modifier::UNDERLINED)
    .union(Modifier::SLOW_BLINK)
    .union(Modifier::RAPID_BLINK)
    .union(Modifier::CROSSED_OUT);

#[allow(deprecated)]
fn is_skip(c: &Cell) -> bool {
    c.diff_option == CellDiffOption::Skip || (c.skip && c.diff_option == CellDiffOption::None)
}

/// The cells of `next` to write over `prev` (frames of the same `area`), exactly as ratatui's
/// `BufferDiff` finds them, in the same order; but cells are compared by their keys (a number), as
/// `Cell`s only where a key is a hash.
fn diff<'a>(
    prev: &[Cell],
    next: &'a [Cell],
    pk: &FrameKeys,
    nk: &FrameKeys,
    area: Rect,
    out: &mut Vec<(u16, u16, &'a Cell)>,
) {
    let len = next.len().min(prev.len()).min(pk.key.len()).min(nk.key.len());
    let w = usize::from(area.width).max(1);
    let at = |i: usize| ((i % w) as u16 + area.x, (i / w) as u16 + area.y);
    let mut pos = 0;
    while pos < len {
        let i = pos;
        pos += 1;
        let k = nk.key[i];
        if k & 3 != COMPLEX {
            // One character and no diff option: equal keys are equal cells; the skip flag is bit 126.
            if k >> 126 & 1 == 1 {
                continue;
            }
            if k == pk.key[i] {
                pos += usize::from(nk.width[i]).saturating_sub(1);
                continue;
            }
        }
        let (current, previous) = (&next[i], &prev[i]);
        match current.diff_option {
            CellDiffOption::Skip => {}
            _ if is_skip(current) => {}
            CellDiffOption::ForcedWidth(width) => {
                pos = pos.saturating_add(usize::from(width.get()).saturating_sub(1));
                if current != previous {
                    let (x, y) = at(i);
                    out.push((x, y, current));
                }
            }
            CellDiffOption::None | CellDiffOption::AlwaysUpdate => {
                let cell_width = usize::from(nk.width[i]);
                let equal = k == pk.key[i] && (k & 3 != COMPLEX || current == previous);
                if current.diff_option == CellDiffOption::None && equal {
                    pos += cell_width.saturating_sub(1);
                    continue;
                }
                let previous_width = usize::from(pk.width[i]);
                let vs16 = cell_width > 1 && current.symbol().contains('\u{FE0F}');
                // Cells after this one written too: (from, to, whatever their symbols).
                let mut trailing = None;
                if vs16 {
                    trailing = Some((i + 1, (i + cell_width).min(len), false));
                } else if cell_width > 1 {
                    pos += cell_width - 1;
                } else if previous_width > cell_width
                    && (previous.bg != Color::Reset || previous.modifier.intersects(VISIBLE_ON_BLANK))
                {
                    trailing = Some((i + 1, i + previous_width, true));
                }
                let (x, y) = at(i);
                out.push((x, y, current));
                if let Some((mut j, mut end, force)) = trailing {
                    // (ratatui's would index past the frame there.)
                    while j < end && j < len {
                        let c = j;
                        j += usize::from(nk.width[c]).max(1);
                        end = end.max(j).min(len);
                        if !is_skip(&next[c]) && (force || prev[c].symbol() != next[c].symbol()) {
                            let (x, y) = at(c);
                            out.push((x, y, &next[c]));
                        }
                    }
                    pos = end;
                }
            }
        }
    }
}

/// What a cell of the terminal shows.
#[derive(Clone, Debug, PartialEq)]
enum Slot {
    Known(Cell),
    /// The right part of a wide character.
    Covered,
    /// Not known (after a partial clear).
    Unknown,
}

static BLANK: Slot = Slot::Known(Cell::EMPTY);
static UNKNOWN: Slot = Slot::Unknown;

/// A cell as one number, for planning a scroll by comparing rows: two cells whose symbol is one
/// character (nearly all) have equal keys exactly when they are equal; the rest ([`COMPLEX`]) have a
/// hash of the cell, so equal keys there only say "probably equal" and the cells are compared before a
/// cell is left unwritten.
type Key = u128;
/// The right part of a wide character.
const COVERED: Key = 1;
/// A slot whose content is not known: equal to no cell's key.
const UNKNOWN_KEY: Key = 2;
/// The low bits of a key that holds a hash ([`key`]).
const COMPLEX: Key = 3;

/// A colour in 29 bits: the variant (5 bits), then the index or the RGB value.
fn color_bits(c: Color) -> Key {
    let v: u32 = match c {
        Color::Reset => 0,
        Color::Black => 1,
        Color::Red => 2,
        Color::Green => 3,
        Color::Yellow => 4,
        Color::Blue => 5,
        Color::Magenta => 6,
        Color::Cyan => 7,
        Color::Gray => 8,
        Color::DarkGray => 9,
        Color::LightRed => 10,
        Color::LightGreen => 11,
        Color::LightYellow => 12,
        Color::LightBlue => 13,
        Color::LightMagenta => 14,
        Color::LightCyan => 15,
        Color::White => 16,
        Color::Indexed(i) => 17 << 24 | u32::from(i),
        Color::Rgb(r, g, b) => 18 << 24 | u32::from(r) << 16 | u32::from(g) << 8 | u32::from(b),
    };
    Key::from(v)
}

/// A cell's [`Key`] and its width as [`sym_width`] counts it (at least 1). A one-character symbol,
/// the colours, the modifiers and the skip flag are packed whole (bits 2-126; the low two bits 0);
/// anything else is hashed (low bits [`COMPLEX`]).
fn key(c: &Cell) -> (Key, usize) {
    let s = c.symbol();
    let (ch, width) = match s.as_bytes() {
        [b] if (b' '..=b'~').contains(b) => (Some(char::from(*b)), 1),
        _ => {
            let mut chars = s.chars();
            let one = match (chars.next(), chars.next()) {
                (Some(ch), None) => Some(ch),
                _ => None,
            };
            (one, s.width().max(1))
        }
    };
    let k = match ch {
        Some(ch) if c.diff_option == CellDiffOption::None => packed(ch, c),
        _ => {
            use std::hash::{Hash, Hasher};
            let mut h = std::hash::DefaultHasher::new();
            c.hash(&mut h);
            Key::from(h.finish()) << 2 | COMPLEX
        }
    };
    (k, width)
}

/// The key of a cell whose symbol is the one character `ch` and whose diff option is none.
fn packed(ch: char, c: &Cell) -> Key {
    #[allow(deprecated)]
    let skip = c.skip;
    if c.diff_option != CellDiffOption::None {
        return key(c).0;
    }
    let k = Key::from(u32::from(ch)) << 2 | Key::from(c.modifier.bits()) << 110 | Key::from(skip) << 126;
    // The default colours (most cells) are 0 bits.
    if c.fg == Color::Reset && c.bg == Color::Reset && c.underline_color == Color::Reset {
        return k;
    }
    k | color_bits(c.fg) << 23 | color_bits(c.bg) << 52 | color_bits(c.underline_color) << 81
}

/// The key of what a slot shows.
fn slot_key(s: &Slot) -> Key {
    match s {
        Slot::Known(c) => key(c).0,
        Slot::Covered => COVERED,
        Slot::Unknown => UNKNOWN_KEY,
    }
}

/// Cells of a next frame's row (keys) that a terminal row showing `old` does not show.
fn cost(next: &[Key], old: &[Key]) -> i64 {
    next.iter().zip(old).filter(|(n, o)| n != o).count() as i64
}

/// Which way the rows of a region move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scroll {
    /// Row y shows what row y + 1 showed (a list moved down by a row); the bottom row is new.
    Up,
    /// Row y shows what row y - 1 showed; the top row is new.
    Down,
}

/// Blank cells in a row from which erasing them (`CSI n X` and a move past them: 8 to 10 bytes) is
/// shorter than writing them.
const ERASE_FROM: usize = 10;

/// Changed cells from which scrolling is worth planning.
const PLAN_FROM: usize = 100;
/// Cells a scroll must save (its sequences cost about 20 bytes).
const SCROLL_SAVES: i64 = 48;

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

/// Copies a frame drawn (`CompletedFrame::buffer`) into `into`, reusing its storage (cell by cell; a
/// symbol of a few bytes is kept inline, so nothing is allocated): what the loop hands the backend.
pub fn copy_frame(from: &Buffer, into: &mut Buffer) {
    into.area = from.area;
    into.content.clone_from(&from.content);
}

/// Draws a frame on the terminal as the browser's loop does: `draw` writes it into a blank buffer of the
/// terminal's area (the one ratatui's `Terminal` keeps for the next frame) and says where the cursor goes;
/// the backend writes it ([`CompactBackend::present`]). ratatui's `Terminal::draw` with the frame handed
/// to the backend afterwards ([`copy_frame`], [`CompactBackend::frame_drawn`]) sends the same bytes.
pub fn draw_frame<W: Write>(
    t: &mut Terminal<CompactBackend<W>>,
    draw: impl FnOnce(&mut Buffer, Rect) -> Option<Position>,
) -> io::Result<()> {
    t.autoresize()?;
    let mut buf = std::mem::take(t.current_buffer_mut());
    let area = buf.area;
    let cursor = draw(&mut buf, area);
    let written = t.backend_mut().present(&mut buf);
    // Now the frame before: blank again for the next one.
    buf.reset();
    *t.current_buffer_mut() = buf;
    written?;
    match cursor {
        None => t.hide_cursor()?,
        Some(p) => {
            t.show_cursor()?;
            t.set_cursor_position(p)?;
        }
    }
    Backend::flush(t.backend_mut())
}

/// True when every terminal agrees this symbol takes exactly one column (so the cursor position after
/// it is known without asking).
fn surely_narrow(s: &str) -> bool {
    printable_ascii(s) || (s.width() == 1 && s.width_cjk() == 1)
}

/// One printable ASCII character (most cells): one column on every terminal.
fn printable_ascii(s: &str) -> bool {
    matches!(s.as_bytes(), [b' '..=b'~'])
}

/// A symbol's width as ratatui counts it, without the table look-up for the common case.
fn sym_width(s: &str) -> usize {
    if printable_ascii(s) { 1 } else { s.width() }
}

impl<W: Write> CompactBackend<W> {
    pub fn new(inner: CrosstermBackend<W>) -> CompactBackend<W> {
        CompactBackend {
            inner,
            screen: Vec::new(),
            keys: Vec::new(),
            blank: true,
            fixed: None,
            prev: Buffer::default(),
            prev_known: false,
            next_keys: Vec::new(),
            prev_keys: FrameKeys::default(),
            frame_keys: FrameKeys::default(),
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

    /// Tells the backend the frame ratatui just drew (a copy of `CompletedFrame::buffer`, see
    /// [`copy_frame`]), after `Terminal::draw`; the browser's loop writes whole frames instead
    /// ([`Self::present`], the same bytes). With it the next frame is known
    /// whole, and rows that moved (a list scrolled) can be moved on the terminal instead of written again.
    /// Without it frames are written cell by cell. `frame` gets back the storage of the frame before, so
    /// the next copy allocates nothing.
    pub fn frame_drawn(&mut self, frame: &mut Buffer) {
        std::mem::swap(&mut self.prev, frame);
        self.prev_known = true;
    }

    fn slot(&self, x: u16, y: u16) -> &Slot {
        match self.screen.get(y as usize).and_then(|r| r.get(x as usize)) {
            Some(s) => s,
            None if self.blank => &BLANK,
            None => &UNKNOWN,
        }
    }

    fn known(&self, x: u16, y: u16) -> Option<&Cell> {
        match self.slot(x, y) {
            Slot::Known(c) => Some(c),
            _ => None,
        }
    }

    fn filler(&self) -> Slot {
        if self.blank { BLANK.clone() } else { Slot::Unknown }
    }

    /// Notes that `cell` (`width` columns) was written at (x, y).
    fn remember(&mut self, x: u16, y: u16, cell: &Cell, width: usize) {
        let (x, y) = (x as usize, y as usize);
        if self.screen.len() <= y {
            self.screen.resize_with(y + 1, Vec::new);
            self.keys.resize_with(y + 1, Vec::new);
        }
        let filler = self.filler();
        let filler_key = slot_key(&filler);
        let row = &mut self.screen[y];
        let keys = &mut self.keys[y];
        let end = x + width.max(1);
        if row.len() < end {
            row.resize(end, filler);
            keys.resize(end, filler_key);
        }
        // Writing over the right half of a wide character erases its left half.
        if x > 0 && matches!(&row[x - 1], Slot::Known(c) if sym_width(c.symbol()) > 1) {
            row[x - 1] = Slot::Unknown;
            keys[x - 1] = UNKNOWN_KEY;
        }
        if width > 0 {
            row[x] = Slot::Known(cell.clone());
            keys[x] = key(cell).0;
        } else {
            row[x] = Slot::Unknown;
            keys[x] = UNKNOWN_KEY;
        }
        for c in &mut row[x + 1..end] {
            *c = Slot::Covered;
        }
        for k in &mut keys[x + 1..end] {
            *k = COVERED;
        }
        // Writing over the left part of a wide character erases its right part: no longer covered.
        for (c, k) in row[end..].iter_mut().zip(&mut keys[end..]) {
            if *c != Slot::Covered {
                break;
            }
            *c = Slot::Unknown;
            *k = UNKNOWN_KEY;
        }
    }

    /// When moving a band of rows by one (as a list scrolls) makes most of a frame's changes already
    /// shown, does it (`CSI top;bottom r`, delete or insert a line, `CSI r`) and returns the changes left
    /// to write; otherwise returns the changes as they are.
    ///
    /// Rows are compared by the cells' [`Key`]s (the next frame's computed once, the terminal's kept
    /// beside the picture of it): a number compared per cell instead of a `Cell`.
    fn plan<'a>(
        &mut self,
        changes: Vec<(u16, u16, &'a Cell)>,
        prev: Option<&'a Buffer>,
    ) -> io::Result<Vec<(u16, u16, &'a Cell)>> {
        let Some(prev) = prev else {
            return Ok(changes);
        };
        let Some((w, h)) = self.plannable(prev.area, &changes) else {
            return Ok(changes);
        };
        let (wu, hu) = (usize::from(w), usize::from(h));
        // The next frame: ratatui's last with this frame's changes, and its keys (the cells a wide
        // character covers: `COVERED`).
        let mut cells: Vec<&Cell> = prev.content.iter().collect();
        for &(x, y, c) in &changes {
            cells[usize::from(y) * wu + usize::from(x)] = c;
        }
        let mut next = std::mem::take(&mut self.next_keys);
        next.clear();
        next.resize(wu * hu, COVERED);
        for (row, keys) in cells.chunks_exact(wu).zip(next.chunks_exact_mut(wu)) {
            let mut x = 0;
            while x < wu {
                let (k, cw) = key(row[x]);
                keys[x] = k;
                for k in keys.iter_mut().take(x + cw).skip(x + 1) {
                    *k = COVERED;
                }
                x += cw;
            }
        }
        self.plan_keyed(changes, |i| cells[i], next, w, h)
    }

    /// The frame's size when a scroll may be planned for these changes (enough of them, a frame of the
    /// whole terminal of three rows or more, every change inside it).
    fn plannable(&self, area: Rect, changes: &[(u16, u16, &Cell)]) -> Option<(u16, u16)> {
        if changes.len() < PLAN_FROM {
            return None;
        }
        let size = self.size().ok()?;
        let (w, h) = (size.width, size.height);
        if h < 3 || area != Rect::new(0, 0, w, h) || changes.iter().any(|&(x, y, _)| x >= w || y >= h) {
            return None;
        }
        Some((w, h))
    }

    /// [`Self::plan`] given the next frame whole: `cell(i)` is its cell i (row after row), `next` its
    /// keys with the cells a wide character covers as [`COVERED`].
    fn plan_keyed<'a>(
        &mut self,
        changes: Vec<(u16, u16, &'a Cell)>,
        cell: impl Fn(usize) -> &'a Cell,
        next: Vec<Key>,
        w: u16,
        h: u16,
    ) -> io::Result<Vec<(u16, u16, &'a Cell)>> {
        let (wu, hu) = (usize::from(w), usize::from(h));
        let mut changed_row = vec![false; hu];
        for &(_, y, _) in &changes {
            changed_row[usize::from(y)] = true;
        }
        // The terminal's rows, whole (cells never written are what `slot` says they are).
        let filler = self.filler();
        let filler_key = slot_key(&filler);
        if self.screen.len() < hu {
            self.screen.resize_with(hu, Vec::new);
            self.keys.resize_with(hu, Vec::new);
        }
        for (row, keys) in self.screen.iter_mut().zip(self.keys.iter_mut()).take(hu) {
            if row.len() < wu {
                row.resize(wu, filler.clone());
                keys.resize(wu, filler_key);
            }
        }
        let blank_row = vec![key(&Cell::EMPTY).0; wu];
        let planned = self.plan_band(w, h, &next, &changed_row, &blank_row);
        let Some((dir, top, bottom)) = planned else {
            self.next_keys = next;
            return Ok(changes);
        };
        // The changes outside the band are ratatui's; inside it, the cells the moved rows lack.
        let moved = |y: u16| -> Option<u16> {
            match dir {
                Scroll::Up if y == bottom => None,
                Scroll::Down if y == top => None,
                Scroll::Up => Some(y + 1),
                Scroll::Down => Some(y - 1),
            }
        };
        let mut out: Vec<(u16, u16, &Cell)> = changes.iter().filter(|c| c.1 < top).copied().collect();
        for y in top..=bottom {
            let from = moved(y);
            let old: &[Key] = match from {
                Some(fy) => &self.keys[usize::from(fy)][..wu],
                None => &blank_row,
            };
            let start = usize::from(y) * wu;
            let nrow = &next[start..start + wu];
            for x in 0..wu {
                let k = nrow[x];
                if k == COVERED {
                    continue;
                }
                // Equal keys are equal cells, except hashes: those cells are compared.
                let shown = k == old[x]
                    && (k & 3 != COMPLEX
                        || match from {
                            Some(fy) => {
                                matches!(&self.screen[usize::from(fy)][x], Slot::Known(o) if o == cell(start + x))
                            }
                            None => *cell(start + x) == Cell::EMPTY,
                        });
                if !shown {
                    out.push((x as u16, y, cell(start + x)));
                }
            }
        }
        out.extend(changes.iter().filter(|c| c.1 > bottom).copied());
        self.next_keys = next;
        // Move the rows on the terminal, then in the picture of it.
        let line = if dir == Scroll::Up { "M" } else { "L" };
        write!(
            self.inner,
            "\x1b[{};{}r\x1b[{};1H\x1b[{line}\x1b[r",
            top + 1,
            bottom + 1,
            top + 1
        )?;
        let (t, b) = (usize::from(top), usize::from(bottom));
        for (row, keys) in self.screen[t..=b].iter_mut().zip(self.keys[t..=b].iter_mut()) {
            row.truncate(wu);
            keys.truncate(wu);
        }
        let band = &mut self.screen[t..=b];
        let band_keys = &mut self.keys[t..=b];
        match dir {
            Scroll::Up => {
                band.rotate_left(1);
                band_keys.rotate_left(1);
                band[band.len() - 1] = vec![BLANK.clone(); wu];
                band_keys[band_keys.len() - 1] = blank_row;
            }
            Scroll::Down => {
                band.rotate_right(1);
                band_keys.rotate_right(1);
                band[0] = vec![BLANK.clone(); wu];
                band_keys[0] = blank_row;
            }
        }
        Ok(out)
    }

    /// The band of rows worth moving by one, if one is (see [`Self::plan`]): `next` holds the next
    /// frame's keys, row after row; the terminal's rows are whole in `self.keys`.
    fn plan_band(
        &self,
        w: u16,
        h: u16,
        next: &[Key],
        changed_row: &[bool],
        blank_row: &[Key],
    ) -> Option<(Scroll, u16, u16)> {
        let wu = usize::from(w);
        let cost = |y: u16, from: Option<u16>| -> i64 {
            let start = usize::from(y) * wu;
            let old = match from {
                Some(fy) => &self.keys[usize::from(fy)][..wu],
                None => blank_row,
            };
            cost(&next[start..start + wu], old)
        };
        // A quick look first: on a few changed rows, would either move save anything?
        let changed: Vec<u16> = (0..h).filter(|&y| changed_row[usize::from(y)]).collect();
        let probe = |y: u16| {
            let here = cost(y, Some(y));
            let up = (y + 1 < h).then(|| cost(y, Some(y + 1)));
            let down = y.checked_sub(1).map(|f| cost(y, Some(f)));
            [up, down].into_iter().flatten().any(|c| c < here)
        };
        let step = (changed.len() / 4).max(1);
        if !changed.iter().step_by(step).take(4).any(|&y| probe(y)) {
            return None;
        }
        let stay: Vec<i64> = (0..h).map(|y| cost(y, Some(y))).collect();
        // Per row, what moving saves; the best band by the maximum-sum run, then its new row's cost.
        let best = |dir: Scroll| -> Option<(u16, u16, i64)> {
            let gain = |y: u16| -> Option<i64> {
                let from = match dir {
                    Scroll::Up => y.checked_add(1).filter(|f| *f < h)?,
                    Scroll::Down => y.checked_sub(1)?,
                };
                Some(stay[y as usize] - cost(y, Some(from)))
            };
            let (mut run, mut run_start, mut top) = (0i64, 0u16, None::<(u16, u16, i64)>);
            for y in 0..h {
                let Some(g) = gain(y) else {
                    run = 0;
                    continue;
                };
                if run <= 0 {
                    run = 0;
                    run_start = y;
                }
                run += g;
                if top.is_none_or(|t| run > t.2) {
                    top = Some((run_start, y, run));
                }
            }
            let (a, e, sum) = top?;
            // The band is the moved rows plus the row that comes new.
            let (band_top, band_bottom, fresh) = match dir {
                Scroll::Up => (a, e + 1, e + 1),
                Scroll::Down => (a - 1, e, a - 1),
            };
            let total = sum + stay[fresh as usize] - cost(fresh, None);
            Some((band_top, band_bottom, total))
        };
        let up = best(Scroll::Up).map(|b| (Scroll::Up, b));
        let down = best(Scroll::Down).map(|b| (Scroll::Down, b));
        let (dir, (top, bottom, saved)) = [up, down].into_iter().flatten().max_by_key(|(_, b)| b.2)?;
        (saved >= SCROLL_SAVES).then_some((dir, top, bottom))
    }

    /// After a clear: the whole screen is blank (`blank`), or nothing is known.
    fn forget(&mut self, blank: bool) {
        self.screen.clear();
        self.keys.clear();
        self.blank = blank;
    }

    /// The blank run that starts at `cells[0]` (a blank cell): the columns to erase (up to its last
    /// blank change, over cells between them that the terminal shows blank already) and the changes it
    /// takes, when it is worth erasing ([`ERASE_FROM`] columns or more).
    ///
    /// A run never erases a part of a wide character: terminals disagree on what that leaves (tmux
    /// erases the part only, and the rest of its row then shows a column off, to the left when the
    /// left part was erased, to the right when the right part was). So it does not start on the right
    /// part of one, and it ends before a wide character whose right part it would not erase, or after
    /// its right part (which is not a change: ratatui's frames hold a blank there).
    fn blank_run(&self, cells: &[(u16, u16, &Cell)]) -> Option<(u16, usize)> {
        let (x0, y) = (cells[0].0, cells[0].1);
        let covered = |x: u16| matches!(self.slot(x, y), Slot::Covered);
        if covered(x0) {
            return None;
        }
        let (mut taken, mut x) = (0usize, x0);
        let (mut end, mut end_taken) = (x0, 0usize);
        while let Some(nx) = x.checked_add(1) {
            let ends_here = match cells.get(taken) {
                Some((cx, cy, c)) if *cy == y && *cx == x => {
                    if **c != Cell::EMPTY {
                        break;
                    }
                    taken += 1;
                    true
                }
                // Not changing here: the right part of a wide character whose left part the run
                // erases (it starts on none), erased with it.
                _ if covered(x) => true,
                // Otherwise the run goes on only over a blank the terminal shows.
                _ if self.known(x, y) == Some(&Cell::EMPTY) => false,
                _ => break,
            };
            if ends_here && !covered(nx) {
                (end, end_taken) = (nx, taken);
            }
            // Past the next change's row: nothing more to take (but the right part of a wide
            // character being erased).
            if !covered(nx) && cells.get(taken).is_none_or(|(_, cy, _)| *cy != y) {
                break;
            }
            x = nx;
        }
        let columns = end - x0;
        (usize::from(columns) >= ERASE_FROM).then_some((columns, end_taken))
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

    /// Writes these cells (in ratatui's order, row after row), noting what the terminal shows.
    fn write_cells(&mut self, cells: &[(u16, u16, &Cell)]) -> io::Result<()> {
        let mut pen = Pen::default();
        // Where the terminal's cursor is as ratatui counts (after a one-column symbol, the next column),
        // and whether every terminal agrees (only then is a relative move safe).
        let mut cursor: Option<(u16, u16)> = None;
        let mut sure = false;
        let mut i = 0;
        while i < cells.len() {
            let (x, y, cell) = cells[i];
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
                // The same row after a symbol of disputed width: the row is certain, the column is set.
                Some((_, cy)) if cy == y => {
                    write!(self.inner, "\x1b[{}G", u32::from(x) + 1)?;
                    sure = true;
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
            set_colors(&mut self.inner, (pen.fg, pen.bg), (want.fg, want.bg))?;
            if want.underline != pen.underline {
                queue!(self.inner, SetUnderlineColor(want.underline.into_crossterm()))?;
            }
            pen = want;
            // A run of blank cells (in the default colours, as the pen is now) is erased in place
            // (`CSI n X`, which leaves the cursor where it is) instead of written space by space. The run
            // goes on over cells that are not changing but show a blank already (erased again, no harm).
            if *cell == Cell::EMPTY
                && let Some((columns, taken)) = self.blank_run(&cells[i..])
            {
                write!(self.inner, "\x1b[{columns}X")?;
                // Every erased column is blank now (the changes taken, and the right parts of wide
                // characters erased whole).
                for bx in x..x + columns {
                    self.remember(bx, y, &Cell::EMPTY, 1);
                }
                cursor = Some((x, y));
                i += taken;
                continue;
            }
            let symbol = cell.symbol();
            self.inner.write_all(symbol.as_bytes())?;
            let w = sym_width(symbol);
            self.remember(x, y, cell, w);
            // (After the last column the next cell is on another row, or to the left: an absolute move.)
            cursor = if w == 1 {
                x.checked_add(1).map(|nx| (nx, y))
            } else {
                None
            };
            // Once a symbol of disputed width is written, only an absolute move makes it sure again.
            sure = sure && cursor.is_some() && surely_narrow(symbol);
            i += 1;
        }
        if pen != Pen::default() {
            queue!(self.inner, SetAttribute(Attribute::Reset))?;
        }
        Ok(())
    }

    /// Writes a whole frame (drawn into `frame`; see [`draw_frame`]): what ratatui's `Terminal::draw`
    /// and then [`Self::frame_drawn`] do, the same bytes, without their work over every cell: ratatui
    /// compares the frame with the one before `Cell` by `Cell` and the loop copied it for the backend,
    /// which then computed a key for every cell to plan a scroll. Here each cell's key is computed once
    /// ([`FrameKeys`]), the frame is compared with the one before by keys ([`diff`], ratatui's order and
    /// choices), the scroll is planned with the same keys, and the frame is kept, not copied: `frame` gets
    /// the storage of the frame before (to be reset and drawn into next).
    pub fn present(&mut self, frame: &mut Buffer) -> io::Result<()> {
        let mut keys = std::mem::take(&mut self.frame_keys);
        keys.of(&frame.content);
        let known = self.prev_known && self.prev.area == frame.area && self.prev_keys.key.len() == keys.key.len();
        if !known {
            // A first frame, or after a clear: ratatui compares it with a blank frame (the screen is).
            self.prev.resize(frame.area);
            self.prev.reset();
            self.prev_keys.blank(frame.content.len());
        }
        let prev = std::mem::take(&mut self.prev);
        let mut changes = Vec::new();
        diff(
            &prev.content,
            &frame.content,
            &self.prev_keys,
            &keys,
            frame.area,
            &mut changes,
        );
        let mut changed = Vec::new();
        let planned = match self.plannable(frame.area, &changes) {
            Some((w, h)) if known => {
                let mut next = std::mem::take(&mut self.next_keys);
                merged(
                    &self.prev_keys,
                    &keys,
                    &changes,
                    usize::from(w),
                    &mut next,
                    &mut changed,
                );
                let (now, before) = (&frame.content, &prev.content);
                let changed = &changed;
                self.plan_keyed(changes, |i| if changed[i] { &now[i] } else { &before[i] }, next, w, h)
            }
            _ => Ok(changes),
        };
        let written = planned.and_then(|cells| self.write_cells(&cells));
        self.prev = prev;
        std::mem::swap(&mut self.prev, frame);
        self.frame_keys = std::mem::replace(&mut self.prev_keys, keys);
        // After a failed write the terminal shows what it shows: the next frame is written whole.
        self.prev_known = written.is_ok();
        written
    }
}

/// Sets the foreground and background colours that differ from the pen's, in one `CSI … m`: the 16
/// named colours (and indexed colours 0-15) with their short codes (`36`, `91`, `49`), which terminals
/// show as `38;5;n` (what ratatui's backend writes, with both colours every time).
fn set_colors(w: &mut impl Write, from: (Color, Color), to: (Color, Color)) -> io::Result<()> {
    if from == to {
        return Ok(());
    }
    let mut seq = String::from("\x1b[");
    if to.0 != from.0 {
        push_color(&mut seq, to.0, false);
    }
    if to.1 != from.1 {
        if seq.len() > 2 {
            seq.push(';');
        }
        push_color(&mut seq, to.1, true);
    }
    seq.push('m');
    w.write_all(seq.as_bytes())
}

/// The SGR parameters of a colour (foreground, or background when `bg`).
fn push_color(seq: &mut String, c: Color, bg: bool) {
    use std::fmt::Write as _;
    let base: u8 = if bg { 40 } else { 30 };
    let index = match c {
        Color::Reset => {
            let _ = write!(seq, "{}", base + 9);
            return;
        }
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
        Color::Indexed(i) => i,
        Color::Rgb(r, g, b) => {
            let _ = write!(seq, "{};2;{r};{g};{b}", base + 8);
            return;
        }
    };
    let _ = match index {
        0..=7 => write!(seq, "{}", base + index),
        8..=15 => write!(seq, "{}", base + 60 + index - 8),
        _ => write!(seq, "{};5;{index}", base + 8),
    };
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
        let changes: Vec<(u16, u16, &Cell)> = content.collect();
        let prev = std::mem::take(&mut self.prev);
        let known = std::mem::replace(&mut self.prev_known, false);
        let cells = self.plan(changes, known.then_some(&prev))?;
        self.write_cells(&cells)?;
        drop(cells);
        // The storage is kept for the next frame's copy.
        self.prev = prev;
        Ok(())
    }

    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        self.forget(false);
        self.prev_known = false;
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
        self.prev_known = false;
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.forget(clear_type == ClearType::All);
        self.prev_known = false;
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

    /// Frames that follow one another as a screen does: mostly small changes (rows moved by `seed % 7`, the
    /// rest of a row changed), every seventh a new screen.
    fn moved_frame(seed: u64) -> Buffer {
        if seed.is_multiple_of(7) {
            return frame(seed);
        }
        let mut b = frame(seed / 7 * 7);
        let shift = (seed % 7) as u16;
        let src = frame(seed / 7 * 7 + 1000);
        for y in 0..H.saturating_sub(shift) {
            for x in 0..W {
                b[(x, y)] = src[(x, (y + shift) % H)].clone();
            }
        }
        b
    }

    /// vex's backend and ratatui's, side by side: their outputs and a terminal (vt100) for each.
    struct Pair {
        out: Shared,
        plain_out: Shared,
        compact: Terminal<CompactBackend<Shared>>,
        plain: Terminal<CrosstermBackend<Shared>>,
        vt: vt100::Parser,
        vt_plain: vt100::Parser,
    }

    fn pair() -> Pair {
        let (out, plain_out) = (Shared::default(), Shared::default());
        let compact = terminal(CompactBackend::with_size(
            CrosstermBackend::new(out.clone()),
            Size::new(W, H),
        ));
        let plain = terminal(CrosstermBackend::new(plain_out.clone()));
        let vt = || vt100::Parser::new(H.try_into().unwrap(), W.try_into().unwrap(), 0);
        Pair {
            out,
            plain_out,
            compact,
            plain,
            vt: vt(),
            vt_plain: vt(),
        }
    }

    /// A deterministic pseudo-random frame: rows of words in a few scripts and styles.
    fn frame(seed: u64) -> Buffer {
        const WORDS: [&str; 14] = [
            "alpha",
            "Zoë",
            "—",
            "…",
            "会議",
            "🎉",
            "x",
            "│",
            "  ",
            "abc",
            "ß",
            "François",
            // Blank runs long enough to be erased, next to wide characters.
            "            ",
            "📎",
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

    /// As the loop draws with this backend: then tells it the frame.
    fn draw_compact<X: Write>(t: &mut Terminal<CompactBackend<X>>, buf: &Buffer) {
        let mut drawn = Buffer::default();
        copy_frame(t.draw(|f| f.buffer_mut().merge(buf)).unwrap().buffer, &mut drawn);
        t.backend_mut().frame_drawn(&mut drawn);
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
                assert_eq!(
                    got.inverse(),
                    want.modifier.contains(Modifier::REVERSED),
                    "{what}: reverse"
                );
                x += (want.symbol().width() as u16).max(1);
            }
        }
    }

    type Look = (String, vt100::Color, vt100::Color, bool, bool);

    fn look(c: &vt100::Cell) -> Look {
        // An erased cell is empty, a written space is a space: the same to the eye.
        let text = if c.contents().is_empty() { " " } else { c.contents() };
        (text.to_string(), c.fgcolor(), c.bgcolor(), c.bold(), c.inverse())
    }

    fn look_of(c: &Cell) -> Look {
        (
            c.symbol().to_string(),
            vt_color(c.fg),
            vt_color(c.bg),
            c.modifier.contains(Modifier::BOLD),
            c.modifier.contains(Modifier::REVERSED),
        )
    }

    /// Each cell shows what the frame holds, or what ratatui's own backend makes the terminal show
    /// (where a wide character is partly overwritten, terminals blank the rest their way: ratatui's
    /// buffer and screen can differ there).
    fn assert_same(vt: &vt100::Parser, reference: &vt100::Parser, buf: &Buffer, what: &str) {
        let (a, b) = (vt.screen(), reference.screen());
        for y in 0..H {
            let mut x = 0;
            while x < W {
                let (c, r) = (look(a.cell(y, x).unwrap()), look(b.cell(y, x).unwrap()));
                let want = &buf[(x, y)];
                assert!(
                    c == r || c == look_of(want),
                    "{what}: cell ({x}, {y}) {c:?}, ratatui's {r:?}, frame {want:?}"
                );
                x += (want.symbol().width() as u16).max(1);
            }
        }
    }

    /// Feeds the backend's bytes to the emulator, checking first that no erase (`CSI n X`) takes a part
    /// of a wide character only: terminals disagree on what that leaves (tmux erases the part, and the
    /// rest of the row shows a column off; vt100 and xterm erase the whole character).
    fn process_strictly(vt: &mut vt100::Parser, bytes: &[u8], what: &str) {
        let mut done = 0;
        let mut i = 0;
        while i + 2 < bytes.len() {
            if bytes[i] != 0x1b || bytes[i + 1] != b'[' {
                i += 1;
                continue;
            }
            let digits = bytes[i + 2..].iter().take_while(|b| b.is_ascii_digit()).count();
            let end = i + 2 + digits;
            if bytes.get(end) != Some(&b'X') {
                i += 1;
                continue;
            }
            vt.process(&bytes[done..i]);
            let n: u16 = std::str::from_utf8(&bytes[i + 2..end])
                .unwrap()
                .parse()
                .unwrap_or(1)
                .max(1);
            let screen = vt.screen();
            let (row, col) = screen.cursor_position();
            let last = (col + n - 1).min(W - 1);
            assert!(
                !screen.cell(row, col).unwrap().is_wide_continuation(),
                "{what}: an erase of {n} from ({col}, {row}) starts on the right part of a wide character"
            );
            assert!(
                !screen.cell(row, last).unwrap().is_wide(),
                "{what}: an erase of {n} from ({col}, {row}) ends on the left part of a wide character"
            );
            vt.process(&bytes[i..=end]);
            done = end + 1;
            i = end + 1;
        }
        vt.process(&bytes[done..]);
    }

    /// What the backend believes the terminal shows, it shows.
    fn assert_picture<X: Write>(b: &CompactBackend<X>, vt: &vt100::Parser, what: &str) {
        let screen = vt.screen();
        for y in 0..H {
            for x in 0..W {
                if let Some(c) = b.known(x, y) {
                    let got = screen.cell(y, x).unwrap();
                    let text = if got.contents().is_empty() { " " } else { got.contents() };
                    assert_eq!(
                        (text, got.fgcolor(), got.bgcolor(), got.bold(), got.inverse()),
                        (
                            c.symbol(),
                            vt_color(c.fg),
                            vt_color(c.bg),
                            c.modifier.contains(Modifier::BOLD),
                            c.modifier.contains(Modifier::REVERSED)
                        ),
                        "{what}: the backend's picture at ({x}, {y})"
                    );
                }
            }
        }
    }

    /// Frames written whole as the loop writes them ([`draw_frame`]) send exactly the bytes of ratatui's
    /// `Terminal::draw` through this backend told each frame: ratatui's diff (wide characters, emoji with
    /// VS16, a narrow cell over a wide one on a background, cells with diff options or the skip flag),
    /// the scrolls planned.
    #[test]
    #[allow(deprecated)]
    fn whole_frames_send_the_bytes_of_ratatuis_draw() {
        let (out, whole_out) = (Shared::default(), Shared::default());
        let mut t = terminal(CompactBackend::with_size(
            CrosstermBackend::new(out.clone()),
            Size::new(W, H),
        ));
        let mut whole = terminal(CompactBackend::with_size(
            CrosstermBackend::new(whole_out.clone()),
            Size::new(W, H),
        ));
        let extra = ["❤\u{fe0f}", "e\u{301}", "会", "🎉", "x"];
        let on_blue = Style::new().bg(Color::Indexed(4));
        let mut scrolled = 0;
        for seed in 0..400u64 {
            // As in `frames_arrive_as_with_ratatuis_backend_and_smaller`: mostly rows moved.
            let mut buf = moved_frame(seed);
            // A few more cells of the kinds ratatui's diff treats apart.
            for k in 0..(seed % 5) {
                let (x, y) = (
                    ((seed * 7 + k * 13) % u64::from(W - 2)) as u16,
                    ((seed + k * 3) % u64::from(H)) as u16,
                );
                let word = extra[((seed + k) % extra.len() as u64) as usize];
                buf.set_stringn(x, y, word, 2, if k % 2 == 0 { on_blue } else { Style::new() });
                let c = &mut buf[(x + 1, y)];
                match (seed + k) % 6 {
                    0 => c.set_diff_option(CellDiffOption::Skip),
                    1 => c.set_diff_option(CellDiffOption::AlwaysUpdate),
                    2 => c.set_diff_option(CellDiffOption::ForcedWidth(std::num::NonZeroU16::new(1).unwrap())),
                    3 => c.set_skip(true),
                    _ => c,
                };
            }
            draw_compact(&mut t, &buf);
            draw_frame(&mut whole, |into, _| {
                into.merge(&buf);
                None
            })
            .unwrap();
            let (a, b) = (out.take(), whole_out.take());
            scrolled += usize::from(String::from_utf8_lossy(&b).contains("\x1b[r"));
            assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b), "frame {seed}");
        }
        assert!(scrolled > 20, "{scrolled} frames scrolled");
    }

    #[test]
    fn frames_arrive_as_with_ratatuis_backend_and_smaller() {
        let Pair {
            out: compact_out,
            plain_out,
            mut compact,
            mut plain,
            mut vt,
            mut vt_plain,
        } = pair();
        let (mut sent, mut sent_plain) = (0, 0);
        for seed in 0..300 {
            let buf = moved_frame(seed);
            draw_compact(&mut compact, &buf);
            draw(&mut plain, &buf);
            let bytes = compact_out.take();
            sent += bytes.len();
            let plain_bytes = plain_out.take();
            sent_plain += plain_bytes.len();
            process_strictly(&mut vt, &bytes, &format!("frame {seed}"));
            vt_plain.process(&plain_bytes);
            assert_same(&vt, &vt_plain, &buf, &format!("frame {seed}"));
            assert_picture(compact.backend(), &vt, &format!("frame {seed}"));
        }
        assert!(sent < sent_plain, "{sent} bytes, ratatui's backend {sent_plain}");
    }

    /// Two cells' keys are equal exactly when the cells are (one-character symbols; the rest hash, and a
    /// hash of equal cells is equal).
    #[test]
    fn keys_are_equal_exactly_when_cells_are() {
        let symbols = ["a", "b", " ", "é", "会", "🎉", "e\u{301}", "❤\u{fe0f}", "ab", ""];
        let colors = [
            Color::Reset,
            Color::Black,
            Color::White,
            Color::Indexed(0),
            Color::Indexed(255),
            Color::Rgb(0, 0, 0),
            Color::Rgb(1, 2, 3),
            Color::Rgb(255, 255, 255),
        ];
        let modifiers = [Modifier::empty(), Modifier::BOLD, Modifier::REVERSED | Modifier::DIM];
        let mut cells = Vec::new();
        for s in symbols {
            for (i, &fg) in colors.iter().enumerate() {
                for &m in &modifiers {
                    let mut c = Cell::new("x");
                    c.set_symbol(s);
                    c.fg = fg;
                    c.bg = colors[(i + 3) % colors.len()];
                    c.underline_color = colors[(i * 5) % colors.len()];
                    c.modifier = m;
                    cells.push(c.clone());
                    c.set_diff_option(CellDiffOption::AlwaysUpdate);
                    cells.push(c);
                }
            }
        }
        cells.push(Cell::EMPTY);
        for a in &cells {
            for b in &cells {
                let (ka, kb) = (key(a).0, key(b).0);
                if a == b {
                    assert_eq!(ka, kb, "{a:?} {b:?}");
                } else if ka & 3 != COMPLEX {
                    assert_ne!(ka, kb, "{a:?} {b:?}");
                }
                assert!(![COVERED, UNKNOWN_KEY].contains(&ka));
            }
        }
    }

    /// A list scrolling in the middle pane of three, as the browser's items do: the rows move on the
    /// terminal, and the frames cost a fraction of ratatui's bytes.
    #[test]
    fn a_scrolling_list_moves_rows() {
        let (sent, sent_plain) = scrolling_list([
            "Budget review 2025",
            "Lunch on Friday?",
            "会議の議事録",
            "Réunion – Zürich",
            "Happy birthday 🎉",
            "Invoice #48993",
            "Shipping delay",
        ]);
        assert!(sent * 2 < sent_plain, "{sent} bytes, ratatui's backend {sent_plain}");
    }

    /// The same with symbols of more than one character (combining marks, emoji sequences), whose keys
    /// are hashes: the cells are compared before one is left as the moved row shows it.
    #[test]
    fn a_scrolling_list_of_clusters_moves_rows() {
        let (sent, sent_plain) = scrolling_list([
            "Re\u{301}union",
            "Re\u{300}union",
            "\u{1100}\u{1161}\u{11a8} ok",
            "\u{1100}\u{1161} ok",
            "x\u{20dd}y\u{20dd}",
            "e\u{301}e\u{301}e\u{301}",
            "e\u{302}e\u{301}e\u{301}",
        ]);
        assert!(sent < sent_plain, "{sent} bytes, ratatui's backend {sent_plain}");
    }

    /// Scrolls a list of these subjects (with a fixed pane on each side) for 40 steps, checking the
    /// emulated screen after each; returns the bytes sent after the first frame, by this backend and by
    /// ratatui's.
    fn scrolling_list(subjects: [&str; 7]) -> (usize, usize) {
        let Pair {
            out,
            plain_out,
            mut compact,
            mut plain,
            mut vt,
            mut vt_plain,
        } = pair();
        let line = |i: u16| subjects[(i as usize * 5) % subjects.len()];
        let mut top = 0u16;
        let (mut sent, mut sent_plain) = (0, 0);
        for step in 0..40u16 {
            top = if step % 10 < 7 { top + 1 } else { top.saturating_sub(1) };
            let mut buf = Buffer::empty(Rect::new(0, 0, W, H));
            for y in 0..H - 1 {
                buf.set_string(0, y, "│ static ", Style::new());
                let i = top + y;
                let style = if y == 3 {
                    Style::new().add_modifier(Modifier::REVERSED)
                } else {
                    Style::new()
                };
                buf.set_stringn(9, y, format!("{i:>3} {}", line(i)), 24, style);
                buf.set_string(34, y, "│", Style::new());
            }
            buf.set_string(35, 0, format!("{}", top + 3), Style::new().fg(Color::Indexed(6)));
            buf.set_string(0, H - 1, format!("status {step}"), Style::new());
            draw_compact(&mut compact, &buf);
            draw(&mut plain, &buf);
            let (b, p) = (out.take(), plain_out.take());
            if step > 0 {
                sent += b.len();
                sent_plain += p.len();
            }
            process_strictly(&mut vt, &b, &format!("step {step}"));
            vt_plain.process(&p);
            assert_same(&vt, &vt_plain, &buf, &format!("step {step}"));
            assert_picture(compact.backend(), &vt, &format!("step {step}"));
        }
        (sent, sent_plain)
    }

    /// Blank runs are erased in place (`CSI n X`, also over blanks the terminal shows already) and colours
    /// are set one at a time with short codes; the emulated screen shows the frames all the same, in
    /// fewer bytes than ratatui's backend writes.
    #[test]
    fn blanks_are_erased_and_colours_set_briefly() {
        let Pair {
            out,
            plain_out,
            mut compact,
            mut plain,
            mut vt,
            mut vt_plain,
        } = pair();
        let label = Style::new().fg(Color::Indexed(6));
        let mut a = Buffer::empty(Rect::new(0, 0, W, H));
        for y in 0..H {
            a.set_string(0, y, "Label", label);
            a.set_string(
                6,
                y,
                format!("a value {y} that is long enough to be erased"),
                Style::new(),
            );
        }
        // The values get shorter; one cell in the middle of the blanks stays as it was (blank).
        let mut b = Buffer::empty(Rect::new(0, 0, W, H));
        for y in 0..H {
            b.set_string(0, y, "Label", label);
            b.set_string(6, y, format!("v{y}"), Style::new().fg(Color::Indexed(8)));
        }
        for (i, buf) in [&a, &b, &a].into_iter().enumerate() {
            draw_compact(&mut compact, buf);
            draw(&mut plain, buf);
            let (bytes, p) = (out.take(), plain_out.take());
            process_strictly(&mut vt, &bytes, &format!("frame {i}"));
            vt_plain.process(&p);
            assert_same(&vt, &vt_plain, buf, &format!("frame {i}"));
            assert_picture(compact.backend(), &vt, &format!("frame {i}"));
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if i == 1 {
                assert!(text.contains("X"), "blanks erased with CSI n X: {text:?}");
                assert!(text.contains("\x1b[90m"), "colour 8 as 90: {text:?}");
                assert!(!text.contains("38;5;"), "no long colour codes: {text:?}");
                assert!(
                    bytes.len() * 2 < p.len(),
                    "{} bytes, ratatui's backend {}",
                    bytes.len(),
                    p.len()
                );
            }
        }
    }

    /// A wide character under a blank run (a dialog opened over a list with emoji, as the batch view's
    /// marks form over the items): the erase takes the whole character or none of it. Before, it ended
    /// on the emoji's left part, and tmux, erasing that part only, showed the rest of the row a column to
    /// the left (the dialog's right border one column in).
    #[test]
    fn an_erase_takes_a_wide_character_whole() {
        let Pair {
            out,
            plain_out,
            mut compact,
            mut plain,
            mut vt,
            mut vt_plain,
        } = pair();
        let mut list = Buffer::empty(Rect::new(0, 0, W, H));
        for y in 0..H {
            list.set_string(0, y, "│", Style::new());
            list.set_string(39, y, "│", Style::new());
        }
        // The emoji in the middle of a run, at its end (the last change of the row), at a run's start.
        list.set_string(1, 1, "soren.aberg@… 📎 Quarterly", Style::new());
        list.set_string(1, 2, "a message     📎", Style::new());
        list.set_string(1, 3, "会議 abcdefghijklmnop", Style::new());
        list.set_string(1, 4, "x 会議の議事録 (44448) x", Style::new());
        let mut dialog = Buffer::empty(Rect::new(0, 0, W, H));
        for y in 0..H {
            dialog.set_string(0, y, "║", Style::new());
            dialog.set_string(39, y, "║", Style::new());
        }
        dialog.set_string(2, 3, "a", Style::new());
        for (i, buf) in [&list, &dialog, &list, &dialog].into_iter().enumerate() {
            draw_compact(&mut compact, buf);
            draw(&mut plain, buf);
            let (bytes, p) = (out.take(), plain_out.take());
            process_strictly(&mut vt, &bytes, &format!("frame {i}"));
            vt_plain.process(&p);
            assert_same(&vt, &vt_plain, buf, &format!("frame {i}"));
            assert_picture(compact.backend(), &vt, &format!("frame {i}"));
            if i == 1 {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                assert!(text.contains("X"), "blanks still erased: {text:?}");
            }
        }
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
