//! Text for the terminal: the one sanitising function for server strings, fitting text to a display
//! width (CJK and emoji take two columns), number and size formats, and the OSC 52 clipboard sequence
//! ([`osc52`]). Below both `app` (state) and `ui` (drawing): it imports neither.

use std::borrow::Cow;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

pub mod osc52;

/// True for characters that must never reach the terminal as they are: C0 controls (ESC, BEL, ...),
/// DEL, C1 controls (U+0085 and the CSI U+009B among them), bidirectional marks, embeddings, overrides
/// and isolates (U+200E/U+200F, U+061C, U+202A–U+202E, U+2066–U+2069), the line/paragraph separators and
/// the byte-order mark U+FEFF (an invisible character that hides inside text).
pub fn is_unsafe(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{061c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{feff}'
    )
}

/// Characters of glyph sequences whose width terminals disagree on (see [`sanitize`]).
fn is_unstable(c: char) -> bool {
    matches!(
        c,
        '\u{1f1e6}'..='\u{1f1ff}'
            | '\u{fe0e}'
            | '\u{fe0f}'
            | '\u{1f3fb}'..='\u{1f3ff}'
            | '\u{200b}'..='\u{200d}'
            | '\u{2060}'
    )
}

/// JSON text (as `serde_json` writes it) with every unsafe character above ASCII's C0 range — DEL, C1
/// controls, bidi controls, separators, U+FEFF — written as a `\uXXXX` escape (`serde_json` already
/// escapes C0 controls inside strings; outside strings it writes only ASCII, so its newlines and
/// indentation stay as they are). The result is valid JSON with the same value.
pub fn escape_for_json(json: &str) -> Cow<'_, str> {
    let unsafe_at = |p: usize| json.get(p..).and_then(|t| t.chars().next()).is_some_and(is_unsafe);
    if !Candidates::new(json.as_bytes()).any(unsafe_at) {
        return Cow::Borrowed(json);
    }
    let mut out = Vec::with_capacity(json.len() + 16);
    push_escaped_json(json, &mut out);
    // Only whole characters were replaced by ASCII escapes: still UTF-8.
    Cow::Owned(String::from_utf8(out).unwrap_or_default())
}

/// [`escape_for_json`] appended to `out` (no intermediate string): what `vex items` writes per item.
pub fn push_escaped_json(json: &str, out: &mut Vec<u8>) {
    let b = json.as_bytes();
    let mut from = 0;
    for p in Candidates::new(b) {
        let Some(c) = json.get(p..).and_then(|t| t.chars().next()) else {
            break;
        };
        if is_unsafe(c) {
            out.extend_from_slice(&b[from..p]);
            // All of them are in the Basic Multilingual Plane: one \u escape each.
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let v = c as u32;
            out.extend_from_slice(b"\\u");
            for shift in [12, 8, 4, 0] {
                out.push(HEX[((v >> shift) & 0xf) as usize]);
            }
            from = p + c.len_utf8();
        }
    }
    out.extend_from_slice(&b[from..]);
}

/// Where a character unsafe at or above DEL may start: the UTF-8 lead bytes of DEL itself,
/// U+0080–U+009F (0xC2), U+061C (0xD8), U+2xxx (0xE2) and U+FEFF (0xEF), in order. Text without them
/// (most text) is found safe at memchr's speed; a hit is then checked as a character. Each search's
/// next hit is kept, so a text full of hits costs one pass.
struct Candidates<'a> {
    b: &'a [u8],
    at: usize,
    /// The next hit of each search at or after `at` (None: none left), or not searched yet.
    three: Option<Option<usize>>,
    two: Option<Option<usize>>,
}

impl<'a> Candidates<'a> {
    fn new(b: &'a [u8]) -> Candidates<'a> {
        Candidates {
            b,
            at: 0,
            three: None,
            two: None,
        }
    }
}

impl Iterator for Candidates<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let (b, at) = (self.b, self.at);
        let rest = b.get(at..)?;
        let three = *self
            .three
            .get_or_insert_with(|| memchr::memchr3(0xC2, 0xE2, 0xEF, rest).map(|i| at + i));
        let two = *self
            .two
            .get_or_insert_with(|| memchr::memchr2(0x7F, 0xD8, rest).map(|i| at + i));
        let p = match (three, two) {
            (Some(x), Some(y)) => x.min(y),
            (x, y) => x.or(y)?,
        };
        if three == Some(p) {
            self.three = None;
        }
        if two == Some(p) {
            self.two = None;
        }
        self.at = p + 1;
        Some(p)
    }
}

/// The one sanitising function: every string that comes from the server goes through it before it
/// becomes a Span. Control characters and escape sequences become a visible escaped form (`\x1b`,
/// `\n`, `\u{202e}`), so a crafted subject cannot move the cursor, set the title or reorder text.
///
/// Glyph sequences whose width terminals disagree on are flattened, so a cell vex thinks is drawn is
/// the cell the terminal drew (no half flag left behind when the text moves): a regional-indicator
/// flag becomes its two letters (`🇯🇵` → `JP`); emoji variation selectors (U+FE0E/U+FE0F), skin-tone
/// modifiers (U+1F3FB–U+1F3FF), the zero-width space and word joiner (U+200B, U+2060) are left out, and
/// so are the zero-width (non-)joiners (U+200C/U+200D) except after a letter of the scripts they
/// shape (Arabic to Sinhala, U+0600–U+0DFF): a family shows as its members side by side.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    // Printable ASCII (most text) is safe and stable: one vectorised pass.
    if printable_ascii(s) || !s.chars().any(|c| is_unsafe(c) || is_unstable(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut prev = ' ';
    for c in s.chars() {
        let last = std::mem::replace(&mut prev, c);
        if is_unstable(c) {
            match c {
                '\u{1f1e6}'..='\u{1f1ff}' => {
                    out.push(char::from(b'A' + (c as u32 - 0x1f1e6) as u8));
                }
                // A joiner in the scripts it shapes is kept: it does not change the width there.
                '\u{200c}' | '\u{200d}' if matches!(last, '\u{0600}'..='\u{0dff}') => out.push(c),
                _ => {}
            }
            continue;
        }
        if !is_unsafe(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// Replaces any cell whose symbol holds a character [`sanitize`] would escape with `�`; returns how
/// many cells it had to change (0 when every string went through `sanitize`, as it should).
pub fn scrub(buf: &mut ratatui::buffer::Buffer) -> usize {
    let mut n = 0;
    for cell in buf.content.iter_mut() {
        let s = cell.symbol();
        // One printable ASCII character (most cells) is safe.
        if matches!(s.as_bytes(), [b' '..=b'~']) {
            continue;
        }
        if s.chars().any(is_unsafe) {
            cell.set_symbol("\u{fffd}");
            n += 1;
        }
    }
    n
}

/// Sanitises a multi-line server string: line breaks split lines (CRLF too); everything else that is
/// unsafe is escaped by [`sanitize`].
pub fn sanitize_lines(s: &str) -> Vec<String> {
    s.split('\n')
        .map(|l| sanitize(l.strip_suffix('\r').unwrap_or(l)).into_owned())
        .collect()
}

/// Display width, as the terminal (and ratatui) count it.
pub fn width(s: &str) -> usize {
    if plain_ascii(s) {
        return s.len();
    }
    if let Some(w) = standalone_width(s) {
        return w;
    }
    s.graphemes(true).map(grapheme_width).sum()
}

/// True for a character that is a grapheme cluster of its own next to any other such character, so a
/// string of them needs no segmenter: each character is one cluster, as wide as the character. These are
/// characters whose Grapheme_Cluster_Break (UAX #29) is `Other` (or, for Hangul syllables, `LV`/`LVT`,
/// which join only conjoining jamo, not listed), in blocks without combining marks: between two of them
/// only rule GB999 applies (a break); the rules that join `Other` characters all need a character not
/// listed here (Extend, ZWJ, SpacingMark, Prepend, a regional indicator, a jamo, an Indic linker). Not
/// listed: controls, CR, combining marks and everything else (the segmenter reads those strings).
/// `tests::standalone_characters_are_clusters_of_their_own` checks every listed character against the
/// segmenter and the width table.
pub fn standalone(c: char) -> bool {
    matches!(
        c,
        ' '..='~'
            | '\u{a0}'..='\u{ac}'
            | '\u{ae}'..='\u{2ff}'
            | '\u{370}'..='\u{3ff}'
            | '\u{400}'..='\u{482}'
            | '\u{48a}'..='\u{52f}'
            | '\u{531}'..='\u{58a}'
            | '\u{5d0}'..='\u{5f4}'
            | '\u{620}'..='\u{64a}'
            | '\u{660}'..='\u{66f}'
            | '\u{671}'..='\u{6d5}'
            | '\u{1e00}'..='\u{1fff}'
            | '\u{2010}'..='\u{2027}'
            | '\u{2030}'..='\u{205e}'
            | '\u{2070}'..='\u{20cf}'
            | '\u{2100}'..='\u{2bff}'
            | '\u{3000}'..='\u{3029}'
            | '\u{3030}'..='\u{303f}'
            | '\u{3041}'..='\u{3096}'
            | '\u{309b}'..='\u{30ff}'
            | '\u{3400}'..='\u{4dbf}'
            | '\u{4e00}'..='\u{9fff}'
            | '\u{ac00}'..='\u{d7a3}'
            | '\u{ff01}'..='\u{ff9d}'
            | '\u{1f300}'..='\u{1f3fa}'
            | '\u{1f400}'..='\u{1f64f}'
            | '\u{1f680}'..='\u{1f6ff}'
            | '\u{1f900}'..='\u{1f9ff}'
            | '\u{1fa70}'..='\u{1faff}'
    )
}

/// The width of a [`standalone`] character (its own cluster).
fn standalone_char_width(c: char) -> usize {
    if c.is_ascii() {
        1
    } else {
        unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
    }
}

/// [`width`] without the segmenter, when every character of `s` is [`standalone`]; `None` otherwise.
fn standalone_width(s: &str) -> Option<usize> {
    let mut w = 0;
    for c in s.chars() {
        if !standalone(c) {
            return None;
        }
        w += standalone_char_width(c);
    }
    Some(w)
}

/// Drops the first `cols` display columns of `s` (a wide character cut in two is dropped whole).
pub fn skip_columns(s: &str, cols: usize) -> String {
    let mut used = 0;
    let mut out = String::new();
    for g in s.graphemes(true) {
        if used >= cols {
            out.push_str(g);
        } else {
            used += grapheme_width(g);
        }
    }
    out
}

/// Printable ASCII only (no control character, no DEL): safe and stable as it is (one vectorised pass).
fn printable_ascii(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// ASCII without CR: every byte is a grapheme of one column (CR LF would be one grapheme; controls are
/// escaped before text is laid out).
fn plain_ascii(s: &str) -> bool {
    s.bytes().all(|b| b < 0x80 && b != b'\r')
}

fn grapheme_width(g: &str) -> usize {
    if g.len() == 1 {
        // ASCII: controls are escaped before we get here; anything else is one column.
        return 1;
    }
    g.width()
}

/// Cuts `s` to at most `w` columns, ending with `…` when cut. Never splits a grapheme. Reads no further
/// than the cut (a 1 MiB subject costs what its first `w` columns cost).
pub fn truncate(s: &str, w: usize) -> String {
    // A grapheme never takes more columns than it has bytes: a short string always fits.
    if s.len() <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    if s.is_char_boundary(w + 1) && plain_ascii(&s[..=w]) {
        // One column a byte (and an ASCII byte joins no grapheme before it), so the first `w + 1`
        // columns are the first `w + 1` bytes and `s` is wider than `w`: the first `w - 1` and the mark.
        let mut out = String::with_capacity(w + 2);
        out.push_str(&s[..w - 1]);
        out.push('…');
        return out;
    }
    if let Some(t) = truncate_standalone(s, w) {
        return t;
    }
    // The end (in bytes) and width of the longest prefix that fits in `w - 1` columns (room for `…`).
    let (mut cut, mut cut_used, mut used) = (0, 0, 0);
    for (i, g) in s.grapheme_indices(true) {
        used += grapheme_width(g);
        if used > w {
            let mut out = String::with_capacity(cut + w + 2);
            out.push_str(&s[..cut]);
            out.push('…');
            // A wide character that did not fit leaves a gap: pad so the result is exactly `w` wide.
            out.extend(std::iter::repeat_n(' ', w.saturating_sub(cut_used + 1)));
            return out;
        }
        if used < w {
            cut = i + g.len();
            cut_used = used;
        }
    }
    s.to_string()
}

/// [`truncate`] (for `w` ≥ 1) character by character while the characters are [`standalone`] (each its
/// own cluster): `None` at the first one that is not, before anything is decided (the segmenter then
/// reads `s`). A cut is only decided at a character that overflows and is followed by a standalone
/// character (or nothing); every character before it was standalone, so each was a cluster of its own,
/// as wide as the segmenter counts it, and the cut falls where the segmenter's would.
fn truncate_standalone(s: &str, w: usize) -> Option<String> {
    let (mut cut, mut cut_used, mut used) = (0, 0, 0);
    for (i, c) in s.char_indices() {
        if !standalone(c) {
            return None;
        }
        used += standalone_char_width(c);
        if used > w {
            // Its cluster is itself only when the next character is standalone too (a variation
            // selector after it, say, may change its width).
            if s[i + c.len_utf8()..].chars().next().is_some_and(|n| !standalone(n)) {
                return None;
            }
            let mut out = String::with_capacity(cut + w + 2);
            out.push_str(&s[..cut]);
            out.push('…');
            out.extend(std::iter::repeat_n(' ', w.saturating_sub(cut_used + 1)));
            return Some(out);
        }
        if used < w {
            cut = i + c.len_utf8();
            cut_used = used;
        }
    }
    Some(s.to_string())
}

/// At most `max` bytes of `s` (cut at a character boundary), and whether it was cut: for server strings
/// too long to show whole (a 1 MiB subject), before they are sanitised and laid out.
pub fn clip(s: &str, max: usize) -> (&str, bool) {
    if s.len() <= max {
        return (s, false);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    (&s[..end], true)
}

/// Exactly `w` columns: truncated with `…` or padded with spaces on the right.
pub fn fit(s: &str, w: usize) -> String {
    let mut t = truncate(s, w);
    let tw = width(&t);
    t.extend(std::iter::repeat_n(' ', w.saturating_sub(tw)));
    t
}

/// [`fit`] appended to `out` (no intermediate string for plain ASCII, the common case).
pub fn push_fit(out: &mut Vec<u8>, s: &str, w: usize) {
    if s.len() <= w && plain_ascii(s) {
        out.extend_from_slice(s.as_bytes());
        out.resize(out.len() + (w - s.len()), b' ');
    } else if s.len() <= w {
        // No cluster is wider than its bytes: it fits whole, padded to `w`.
        out.extend_from_slice(s.as_bytes());
        let sw = width(s);
        out.resize(out.len() + w.saturating_sub(sw), b' ');
    } else {
        out.extend_from_slice(fit(s, w).as_bytes());
    }
}

/// [`sanitize`] then [`push_fit`]: a cell of `vex items`' table. In one pass over `s` when it needs no
/// escaping, no segmenter and no cut (most cells: printable ASCII, or text whose characters are each a
/// cluster of their own, [`standalone`]); otherwise as the two do it.
pub fn push_cell(out: &mut Vec<u8>, s: &str, w: usize) {
    if s.len() <= w {
        if printable_ascii(s) {
            out.extend_from_slice(s.as_bytes());
            out.resize(out.len() + (w - s.len()), b' ');
            return;
        }
        // No character wider than its bytes: it fits whole when nothing in it changes.
        let mut width = 0;
        let plain = s.chars().all(|c| {
            if (' '..='~').contains(&c) {
                width += 1;
                return true;
            }
            width += standalone_char_width(c);
            standalone(c) && !is_unsafe(c) && !is_unstable(c)
        });
        if plain {
            out.extend_from_slice(s.as_bytes());
            out.resize(out.len() + w.saturating_sub(width), b' ');
            return;
        }
    }
    push_fit(out, &sanitize(s), w);
}

/// Exactly `w` columns, right-aligned.
pub fn fit_right(s: &str, w: usize) -> String {
    let t = truncate(s, w);
    let tw = width(&t);
    let mut out: String = std::iter::repeat_n(' ', w.saturating_sub(tw)).collect();
    out.push_str(&t);
    out
}

/// Sanitises a server string and fits it to `w` columns.
pub fn srv(s: &str, w: usize) -> String {
    fit(&sanitize(s), w)
}

/// Keeps the end of `s` within `w` columns (`…` in front when cut): for breadcrumbs and paths.
pub fn truncate_left(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let gs: Vec<&str> = s.graphemes(true).collect();
    let mut used = 1;
    let mut start = gs.len();
    while start > 0 {
        let gw = grapheme_width(gs[start - 1]);
        if used + gw > w {
            break;
        }
        used += gw;
        start -= 1;
    }
    let mut out = String::from("…");
    for g in &gs[start..] {
        out.push_str(g);
    }
    out
}

/// Wraps already-sanitised text to `w` columns, breaking at spaces and cutting words longer than a
/// line. Always at least one line.
pub fn wrap(s: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut lw = 0;
    // True once the line has a word (an empty word is a space that must be kept: `  47 KiB`).
    let mut started = false;
    for word in s.split(' ') {
        let ww = width(word);
        let sep = usize::from(started);
        if lw + sep + ww <= w {
            if sep == 1 {
                line.push(' ');
            }
            line.push_str(word);
            lw += sep + ww;
            started = true;
            continue;
        }
        if started {
            lines.push(std::mem::take(&mut line));
            lw = 0;
        }
        started = true;
        if ww <= w {
            line.push_str(word);
            lw = ww;
            continue;
        }
        // A word longer than the line: cut it by graphemes.
        for g in word.graphemes(true) {
            let gw = grapheme_width(g);
            if lw + gw > w {
                lines.push(std::mem::take(&mut line));
                lw = 0;
            }
            line.push_str(g);
            lw += gw;
        }
    }
    lines.push(line);
    lines
}

/// `512 B`, `1.5 KiB`, `12.3 MiB`, `2.0 GiB`: the one size style of vex. A negative size (the API's
/// `-1`) is not known: `unknown`.
pub fn human_size(bytes: i64) -> String {
    if bytes < 0 {
        return "unknown".into();
    }
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

/// The one duration style of vex: `0.3 s`, `45 s`, `14 min 05 s`, `2 h 05 min`.
pub fn human_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    if secs < 60 {
        let s = d.as_secs_f64();
        return if s.fract() == 0.0 {
            format!("{s:.0} s")
        } else {
            format!("{s:.1} s")
        };
    }
    if secs < 3600 {
        return format!("{} min {:02} s", secs / 60, secs % 60);
    }
    format!("{} h {:02} min", secs / 3600, (secs % 3600) / 60)
}

/// Shortens every GUID in `s` to its first eight digits and an ellipsis (`7d1c2f0a…`): a message that
/// names a session or mailbox by id keeps its useful part within a status line.
pub fn shorten_guids(s: &str) -> String {
    let b = s.as_bytes();
    let is_guid = |i: usize| {
        b.len() >= i + 36
            && (0..36).all(|k| match k {
                8 | 13 | 18 | 23 => b[i + k] == b'-',
                _ => b[i + k].is_ascii_hexdigit(),
            })
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && b.get(i + 36).is_none_or(|c| !c.is_ascii_alphanumeric())
    };
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if is_guid(i) {
            out.push_str(&s[i..i + 8]);
            out.push('…');
            i += 36;
            continue;
        }
        let c = s[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// `1,000,000`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`width`] as it was: every string through the segmenter.
    fn width_by_clusters(s: &str) -> usize {
        s.graphemes(true).map(grapheme_width).sum()
    }

    /// [`truncate`] as it was: the segmenter's clusters (for `w` ≥ 1 and `s` longer than `w` bytes).
    fn truncate_by_clusters(s: &str, w: usize) -> String {
        if s.len() <= w {
            return s.to_string();
        }
        if w == 0 {
            return String::new();
        }
        let (mut cut, mut cut_used, mut used) = (0, 0, 0);
        for (i, g) in s.grapheme_indices(true) {
            used += grapheme_width(g);
            if used > w {
                let mut out = s[..cut].to_string();
                out.push('…');
                out.extend(std::iter::repeat_n(' ', w.saturating_sub(cut_used + 1)));
                return out;
            }
            if used < w {
                cut = i + g.len();
                cut_used = used;
            }
        }
        s.to_string()
    }

    #[test]
    fn standalone_characters_are_clusters_of_their_own() {
        let all: Vec<char> = (0..=0x10ffffu32)
            .filter_map(char::from_u32)
            .filter(|c| standalone(*c))
            .collect();
        assert!(all.len() > 45_000, "{}", all.len());
        // Neighbours: the ends of every listed range, and characters that join others when they can.
        let mut ends: Vec<char> = all
            .windows(2)
            .filter(|p| u32::from(p[1]) != u32::from(p[0]) + 1)
            .flat_map(|p| [p[0], p[1]])
            .collect();
        ends.extend(['a', ' ', '~', '\u{a0}', '\u{1faff}', '\u{d7a3}', '🎉', '가', 'क']);
        for (n, &c) in all.iter().enumerate() {
            let one = c.to_string();
            assert_eq!(
                standalone_char_width(c),
                grapheme_width(&one),
                "width of U+{:04X}",
                u32::from(c)
            );
            assert_eq!(standalone_char_width(c), one.width(), "width of U+{:04X}", u32::from(c));
            let twice = format!("{c}{c}a{c}");
            assert_eq!(
                twice.graphemes(true).count(),
                4,
                "U+{:04X} joins itself or ASCII",
                u32::from(c)
            );
            for k in 0..6 {
                let e = ends[(n * 7 + k * 13) % ends.len()];
                if standalone(e) {
                    let s = format!("{e}{c}{e}");
                    assert_eq!(
                        s.graphemes(true).count(),
                        3,
                        "U+{:04X} next to U+{:04X}",
                        u32::from(c),
                        u32::from(e)
                    );
                }
            }
        }
    }

    /// A table cell in one pass is what sanitising then fitting makes of it, whatever the text and width.
    #[test]
    fn a_cell_is_sanitize_then_push_fit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(71);
        let pool: Vec<char> = "aZ 7~é ßΩЖאשب–…€™→漢한글！ｶ🎉😀\u{301}\u{200d}\u{fe0f}\u{1f1ef}\u{1f1f5}\u{1b}\u{7f}\u{85}\t\r\n\u{202e}\u{ad}"
            .chars()
            .collect();
        for round in 0..20_000 {
            let len = rng.random_range(0..12);
            let s: String = (0..len)
                .map(|_| {
                    if round % 2 == 0 {
                        pool[rng.random_range(0..5)]
                    } else {
                        pool[rng.random_range(0..pool.len())]
                    }
                })
                .collect();
            for w in 0..s.len() + 3 {
                let (mut one, mut two) = (b"x".to_vec(), b"x".to_vec());
                push_cell(&mut one, &s, w);
                push_fit(&mut two, &sanitize(&s), w);
                assert_eq!(one, two, "{s:?} in {w}");
            }
        }
    }

    #[test]
    fn width_and_truncate_are_the_segmenters_whatever_the_text() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(17);
        // Standalone characters of every kind, and characters that join or break clusters.
        let pool: Vec<char> = "aZ 7~é ßĀǅɐʰΩЖԱאשب٣ۀṩ–…‰€™→∑⌚☺⛄✅⬛　、あアン漢한글！ｶ🎉🐍😀🚀🤖🫠"
            .chars()
            .collect();
        let joiners: Vec<char> =
            "\u{301}\u{200d}\u{fe0f}\u{fe0e}\u{1f1ef}\u{1f1f5}\u{1f3fd}\u{1100}\u{1161}\u{11a8}\u{600}\u{94d}\u{915}\u{e31}\u{3099}\r\n\u{ad}\u{64b}\u{6dd}"
                .chars()
                .collect();
        for round in 0..20_000 {
            let len = rng.random_range(0..14);
            let s: String = (0..len)
                .map(|_| {
                    if round % 3 == 0 && rng.random_range(0..4) == 0 {
                        joiners[rng.random_range(0..joiners.len())]
                    } else {
                        pool[rng.random_range(0..pool.len())]
                    }
                })
                .collect();
            let w = width_by_clusters(&s);
            assert_eq!(width(&s), w, "{s:?}");
            for cut in 1..w + 3 {
                assert_eq!(truncate(&s, cut), truncate_by_clusters(&s, cut), "{s:?} at {cut}");
                let mut pushed = Vec::new();
                push_fit(&mut pushed, &s, cut);
                let mut reference = truncate_by_clusters(&s, cut);
                let rw = width_by_clusters(&reference);
                reference.extend(std::iter::repeat_n(' ', cut.saturating_sub(rw)));
                assert_eq!(String::from_utf8(pushed).unwrap(), reference, "{s:?} fitted to {cut}");
            }
        }
    }

    #[test]
    fn glyphs_terminals_disagree_on_are_flattened() {
        assert_eq!(sanitize("テスト 🇯🇵 end"), "テスト JP end");
        assert_eq!(sanitize("👨\u{200d}👩\u{200d}👧"), "👨👩👧");
        assert_eq!(sanitize("🏳\u{fe0f}\u{200d}🌈 👍🏽"), "🏳🌈 👍");
        // A joiner in Indic text stays.
        assert_eq!(sanitize("क्\u{200d}ष"), "क्\u{200d}ष");
        assert!(matches!(sanitize("plain 日本 🎉"), Cow::Borrowed(_)));
        assert_eq!(sanitize("\u{200b}\u{200d}invisible\u{2060}\u{200c}"), "invisible");
    }

    #[test]
    fn one_duration_style() {
        use std::time::Duration;
        assert_eq!(human_duration(Duration::from_millis(300)), "0.3 s");
        assert_eq!(human_duration(Duration::from_secs(60)), "1 min 00 s");
        assert_eq!(human_duration(Duration::from_secs(872)), "14 min 32 s");
        assert_eq!(human_duration(Duration::from_secs(7500)), "2 h 05 min");
    }

    #[test]
    fn guids_are_shortened_and_nothing_else() {
        assert_eq!(
            shorten_guids("Restore session 7d1c2f0a-1b2c-4d5e-8f90-a1b2c3d4e5f6 has been stopped."),
            "Restore session 7d1c2f0a… has been stopped."
        );
        assert_eq!(shorten_guids("zoë 7d1c2f0a-1b2c"), "zoë 7d1c2f0a-1b2c");
        assert_eq!(
            shorten_guids("x7d1c2f0a-1b2c-4d5e-8f90-a1b2c3d4e5f6"),
            "x7d1c2f0a-1b2c-4d5e-8f90-a1b2c3d4e5f6"
        );
    }

    #[test]
    fn sanitize_escapes_controls_and_bidi() {
        assert!(matches!(sanitize("plain ünïcode 日本"), Cow::Borrowed(_)));
        assert_eq!(sanitize("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(sanitize("t\x07\x7f"), "t\\x07\\x7f");
        assert_eq!(sanitize("x\u{9b}31m"), "x\\u{009b}31m");
        assert_eq!(sanitize("\u{202e}gnp.exe"), "\\u{202e}gnp.exe");
        assert_eq!(sanitize("\u{2066}a\u{2069}"), "\\u{2066}a\\u{2069}");
        assert_eq!(sanitize("l1\nl2\tx\r"), "l1\\nl2\\tx\\r");
        assert_eq!(sanitize_lines("a\r\nb\x1b"), vec!["a".to_string(), "b\\x1b".into()]);
        // Nothing unsafe survives.
        let evil: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        assert!(!sanitize(&evil).chars().any(is_unsafe));
        // Marks and the byte-order mark are shown too.
        assert_eq!(
            sanitize("a\u{200f}b\u{feff}c\u{2028}d\u{85}"),
            "a\\u{200f}b\\u{feff}c\\u{2028}d\\u{0085}"
        );
    }

    /// The text functions' plain-ASCII shortcuts give what the general paths give.
    #[test]
    fn ascii_shortcuts_agree_with_the_grapheme_paths() {
        let general_width = |s: &str| s.graphemes(true).map(grapheme_width).sum::<usize>();
        let samples = [
            "",
            "a",
            "abc",
            "abc\u{301}",
            "ab\r\ncd",
            "abcdef",
            "abcde\u{301}f",
            "abcdé",
            "abc会議",
            "x\u{200b}y",
            "Weekly status: Helios",
            "a b c   ",
        ];
        for s in samples {
            assert_eq!(width(s), general_width(s), "{s:?}");
            for w in 0..9 {
                // truncate: at most `w` columns, whole graphemes, `…` when cut; what fits is kept whole.
                let t = truncate(s, w);
                if general_width(s) <= w {
                    assert_eq!(t, s, "{s:?} {w}");
                } else {
                    // (A wide character that did not fit leaves a space after the mark.)
                    assert!(t.trim_end_matches(' ').ends_with('…') || w == 0, "{s:?} {w}: {t:?}");
                    assert_eq!(general_width(&t), w, "{s:?} {w}: {t:?}");
                    assert!(s.starts_with(t.trim_end_matches([' ', '…'])), "{s:?} {w}: {t:?}");
                }
                let mut out = Vec::new();
                push_fit(&mut out, s, w);
                assert_eq!(String::from_utf8(out).unwrap(), fit(s, w), "{s:?} {w}");
            }
        }
        assert_eq!(
            truncate("abc\u{301}", 3),
            "abc\u{301}",
            "a combining mark is part of the last column"
        );
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(sanitize("plain text"), "plain text");
        assert_eq!(sanitize("tab\there"), "tab\\there");
    }

    /// `push_escaped_json` finds every unsafe character however many safe look-alikes (same lead bytes)
    /// surround it, and leaves everything else byte for byte.
    #[test]
    fn json_escaping_checks_each_candidate() {
        let reference = |s: &str| {
            let mut out = String::new();
            for c in s.chars() {
                if c >= '\u{7f}' && is_unsafe(c) {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push(c);
                }
            }
            out
        };
        let parts = [
            "—", "…", "\u{202e}", "\u{7f}", "\u{85}", "é", "\u{061c}", "\u{feff}", "ｆ", "x", "؀", "\u{a0}",
        ];
        let mut s = String::new();
        for i in 0..400usize {
            s.push_str(parts[(i * 7 + i / 3) % parts.len()]);
            let mut out = Vec::new();
            push_escaped_json(&s, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), reference(&s));
            assert_eq!(escape_for_json(&s), reference(&s));
        }
        assert!(matches!(escape_for_json("{\"a\":\"— … é\"}"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_escapes_c1_bidi_separators_and_bom_and_stays_equal() {
        let hostile = "x\u{9b}31m \u{85} \u{202e}gnp.exe \u{2066}\u{2069} \u{200e}\u{200f} \u{2028}\u{2029} \u{feff} \u{7f} ok é 日本 📊";
        let v = serde_json::json!({ "subject": hostile, "n": [1, 2] });
        for raw in [
            serde_json::to_string(&v).unwrap(),
            serde_json::to_string_pretty(&v).unwrap(),
        ] {
            let out = escape_for_json(&raw);
            assert!(!out.chars().any(is_unsafe_in_json), "{out}");
            assert!(
                out.contains("\\u009b31m") && out.contains("\\u202egnp.exe") && out.contains("\\ufeff"),
                "{out}"
            );
            // Still JSON, with the same value; readable text is left alone.
            let back: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(back, v);
            assert!(out.contains("ok é 日本 📊"));
        }
        assert!(matches!(escape_for_json("{\"a\":\"é\"}"), Cow::Borrowed(_)));
    }

    /// Raw in JSON output: unsafe, except the newlines of pretty printing.
    fn is_unsafe_in_json(c: char) -> bool {
        is_unsafe(c) && c != '\n'
    }

    #[test]
    fn fitting_by_display_width() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(width("日本語"), 6);
        assert_eq!(fit("日本語", 4), "日… ");
        assert_eq!(width(&fit("日本語", 4)), 4);
        assert_eq!(width(&fit("👩‍👩‍👧 family", 6)), 6);
        assert_eq!(fit_right("7", 3), "  7");
        assert_eq!(truncate_left("Sessions › Inbox", 8), "…› Inbox");
        assert_eq!(fit("", 0), "");
    }

    #[test]
    fn truncating_reads_only_what_it_shows() {
        // The old definition: measure all, then cut.
        fn reference(s: &str, w: usize) -> String {
            if width(s) <= w {
                return s.to_string();
            }
            if w == 0 {
                return String::new();
            }
            let mut out = String::new();
            let mut used = 0;
            for g in s.graphemes(true) {
                let gw = grapheme_width(g);
                if used + gw > w - 1 {
                    break;
                }
                out.push_str(g);
                used += gw;
            }
            out.push('…');
            out.extend(std::iter::repeat_n(' ', w.saturating_sub(used + 1)));
            out
        }
        let samples = [
            "",
            "a",
            "abc",
            "abcdef",
            "日本語",
            "日本語です",
            "a日b本c",
            "👩‍👩‍👧 family",
            "e\u{301}e\u{301}e\u{301}x",
            "\u{200b}\u{200b}\u{200b}\u{200b}ab",
            "ＡＢＣ",
            "🇯🇵🇯🇵🇯🇵",
        ];
        for s in samples {
            for w in 0..12 {
                assert_eq!(truncate(s, w), reference(s, w), "{s:?} at {w}");
            }
        }
        // Truncating a 1 MiB string looks at its head only: measured against one pass over the whole string
        // in the same run (the fastest of a few tries each, so a busy machine slows both alike).
        let big = "x".repeat(1 << 20);
        assert_eq!(truncate(&big, 5), "xxxx…");
        let fastest = |f: &dyn Fn() -> usize| {
            (0..5)
                .map(|_| {
                    let t = std::time::Instant::now();
                    std::hint::black_box(f());
                    t.elapsed()
                })
                .min()
                .unwrap_or_default()
        };
        let head = fastest(&|| truncate(std::hint::black_box(&big), 5).len());
        let whole = fastest(&|| std::hint::black_box(&big).width());
        eprintln!("truncate 1 MiB: {head:?}, one pass over it: {whole:?}");
        assert!(head * 4 < whole, "truncate {head:?} vs one pass {whole:?}");
        assert_eq!(clip("日本", 4), ("日", true));
        assert_eq!(clip("ab", 4), ("ab", false));
    }

    #[test]
    fn wrapping() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), vec![""]);
        assert_eq!(wrap("日本語です", 4), vec!["日本", "語で", "す"]);
        assert_eq!(wrap("  47 KiB  a.pdf", 40), vec!["  47 KiB  a.pdf"]);
    }

    #[test]
    fn sizes_and_counts() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(-1), "unknown");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 * 1024 * 1024 + 300_000), "5.3 MiB");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
    }
}
