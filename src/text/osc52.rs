//! Copying to the operator's clipboard through the terminal: OSC 52 (`ESC ] 52 ; c ; <base64> BEL`).
//! The terminal sets its clipboard, so it works over SSH; vex needs no clipboard tool on either machine.
//!
//! - **Cap**: at most [`OSC52_MAX_BASE64`] bytes of base64 (74,994: the limit of xterm, hterm and other
//!   common terminals, which drop longer sequences), so at most 56,244 bytes of text. Longer text is cut
//!   at a character boundary and the status line says so.
//! - **Clean**: control characters (C0, DEL, C1) are dropped from the copied text — tabs and line breaks
//!   become spaces — so what is pasted into a shell is what was shown.
//! - **tmux**: tmux forwards an application's OSC 52 to the outer terminal when `set -g set-clipboard on`
//!   (the default, `external`, ignores it). With `$TMUX` set vex therefore also sends the sequence
//!   wrapped in tmux's DCS passthrough (`ESC P tmux; <sequence, each ESC doubled> ESC \`), which tmux
//!   3.3+ forwards when `set -g allow-passthrough on`. Either option is enough; with both the clipboard is
//!   set twice to the same text. Terminals without OSC 52 (or with it disabled) ignore the sequences.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Most bytes of base64 one OSC 52 sequence carries.
pub const OSC52_MAX_BASE64: usize = 74_994;

/// Most bytes of text that fit in `cap` bytes of base64.
pub fn max_text_bytes(cap: usize) -> usize {
    cap / 4 * 3
}

/// The text without control characters (tabs and line breaks become spaces, the other C0/C1 controls
/// are dropped); the invisible characters that reorder or hide text — bidi marks, overrides and isolates,
/// line/paragraph separators, the byte-order mark — are written visibly as `\u{202e}`, as the TUI shows
/// them, so what is pasted is what was seen.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c if crate::text::is_unsafe(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The clean text cut (at a character boundary) to fit in `cap` bytes of base64, and whether it was cut.
pub fn prepare(text: &str, cap: usize) -> (String, bool) {
    let mut t = clean(text);
    let max = max_text_bytes(cap);
    if t.len() <= max {
        return (t, false);
    }
    let mut end = max;
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    t.truncate(end);
    (t, true)
}

/// The OSC 52 sequence that puts `text` (cleaned, cut to `cap` bytes of base64) on the clipboard.
pub fn osc52(text: &str, cap: usize) -> Vec<u8> {
    let (t, _) = prepare(text, cap);
    let b64 = STANDARD.encode(t.as_bytes());
    let mut out = Vec::with_capacity(b64.len() + 8);
    out.extend_from_slice(b"\x1b]52;c;");
    out.extend_from_slice(b64.as_bytes());
    out.push(0x07);
    out
}

/// `seq` wrapped in tmux's DCS passthrough: `ESC P tmux; <seq with every ESC doubled> ESC \`.
pub fn tmux_wrap(seq: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(seq.len() + 12);
    out.extend_from_slice(b"\x1bPtmux;");
    for &b in seq {
        if b == 0x1b {
            out.push(0x1b);
        }
        out.push(b);
    }
    out.extend_from_slice(b"\x1b\\");
    out
}

/// What to write for `text`: the OSC 52 sequence, plus its tmux passthrough form inside tmux.
pub fn sequences(text: &str, cap: usize, tmux: bool) -> Vec<u8> {
    let seq = osc52(text, cap);
    if !tmux {
        return seq;
    }
    let mut out = seq.clone();
    out.extend(tmux_wrap(&seq));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(seq: &[u8]) -> String {
        let s = std::str::from_utf8(seq).expect("ascii");
        let b64 = s
            .strip_prefix("\x1b]52;c;")
            .and_then(|r| r.strip_suffix('\x07'))
            .expect("an OSC 52 sequence");
        String::from_utf8(STANDARD.decode(b64).expect("base64")).expect("utf-8")
    }

    #[test]
    fn encodes_base64_in_an_osc52_sequence() {
        assert_eq!(osc52("hello", OSC52_MAX_BASE64), b"\x1b]52;c;aGVsbG8=\x07");
        assert_eq!(osc52("", OSC52_MAX_BASE64), b"\x1b]52;c;\x07");
        let text = "Zoë Müller · 会議 📊 id AAMkAGI2";
        assert_eq!(payload(&osc52(text, OSC52_MAX_BASE64)), text);
    }

    #[test]
    fn strips_control_characters() {
        let seq = osc52("a\x1b]0;pwned\x07b\tc\r\nd\u{9b}e\u{7f}", OSC52_MAX_BASE64);
        assert_eq!(payload(&seq), "a]0;pwnedb c  de");
        // Only the frame itself holds ESC and BEL.
        assert_eq!(seq.iter().filter(|&&b| b == 0x1b).count(), 1);
        assert_eq!(seq.iter().filter(|&&b| b == 0x07).count(), 1);
    }

    #[test]
    fn shows_bidi_controls_separators_and_the_bom_visibly() {
        let text = "invoice\u{202e}fdp.exe \u{2066}x\u{2069} \u{200f}\u{feff}\u{2028}";
        let copied = payload(&osc52(text, OSC52_MAX_BASE64));
        assert_eq!(
            copied,
            "invoice\\u{202e}fdp.exe \\u{2066}x\\u{2069} \\u{200f}\\u{feff}\\u{2028}"
        );
        assert!(!copied.chars().any(crate::text::is_unsafe), "{copied:?}");
    }

    #[test]
    fn respects_the_cap_at_a_character_boundary() {
        assert_eq!(max_text_bytes(OSC52_MAX_BASE64), 56_244);
        let big = "é".repeat(40_000); // 80,000 bytes
        let seq = osc52(&big, OSC52_MAX_BASE64);
        let b64_len = seq.len() - b"\x1b]52;c;".len() - 1;
        assert!(b64_len <= OSC52_MAX_BASE64, "{b64_len}");
        let text = payload(&seq);
        assert_eq!(text.len(), 56_244);
        assert!(text.chars().all(|c| c == 'é'));
        let (t, cut) = prepare(&big, OSC52_MAX_BASE64);
        assert!(cut && t.len() == 56_244);
        let (t, cut) = prepare("short", 8);
        assert_eq!((t.as_str(), cut), ("short", false));
        let (t, cut) = prepare("longer", 8);
        assert_eq!((t.as_str(), cut), ("longer", false));
        let (t, cut) = prepare("seven77", 8);
        assert_eq!((t.as_str(), cut), ("seven7", true));
        // A tiny cap cuts before a multi-byte character rather than inside it.
        let (t, cut) = prepare("aéé", 4);
        assert_eq!((t.as_str(), cut), ("aé", true));
    }

    #[test]
    fn wraps_for_tmux() {
        let seq = osc52("x", OSC52_MAX_BASE64);
        let w = tmux_wrap(&seq);
        assert_eq!(w, b"\x1bPtmux;\x1b\x1b]52;c;eA==\x07\x1b\\");
        assert_eq!(sequences("x", OSC52_MAX_BASE64, false), seq);
        let both = sequences("x", OSC52_MAX_BASE64, true);
        assert!(both.starts_with(&seq) && both.ends_with(&w));
    }
}
