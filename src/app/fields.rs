//! Input fields shared by the dialogs: text (tui-input) and masked secrets.
//!
//! A [`SecretField`] keeps what the operator types in a buffer that is zeroized when it grows, when it is
//! cleared and when it is dropped; `Debug` never shows it, and it is drawn as one `•` per character.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use secrecy::SecretString;
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;
use zeroize::{Zeroize, Zeroizing};

/// Gives a key to a text input; true when its value changed.
pub fn edit(input: &mut Input, ev: &KeyEvent) -> bool {
    let before = input.value().to_string();
    if let Some(req) = to_input_request(&Event::Key(*ev)) {
        input.handle(req);
    }
    input.value() != before
}

/// True for a key that types a character into a field (no Ctrl/Alt).
pub fn is_typing(ev: &KeyEvent) -> bool {
    matches!(ev.code, KeyCode::Char(_)) && (ev.modifiers - KeyModifiers::SHIFT).is_empty()
}

/// Initial room of a secret buffer: a typical password never makes it grow (growing copies).
const SECRET_ROOM: usize = 128;

/// A masked, zeroized input for a password or a certificate password.
#[derive(Clone)]
pub struct SecretField {
    value: Zeroizing<String>,
    /// In characters.
    cursor: usize,
}

impl Default for SecretField {
    fn default() -> Self {
        SecretField {
            value: Zeroizing::new(String::with_capacity(SECRET_ROOM)),
            cursor: 0,
        }
    }
}

impl std::fmt::Debug for SecretField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretField([REDACTED])")
    }
}

impl SecretField {
    /// Number of characters (what the mask shows).
    pub fn len(&self) -> usize {
        self.value.chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    /// The cursor, in characters (= columns of the mask).
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The mask: one `•` per character.
    pub fn masked(&self) -> String {
        "•".repeat(self.len())
    }

    /// Forgets the value (zeroized).
    pub fn clear(&mut self) {
        self.value.zeroize();
        self.cursor = 0;
    }

    fn byte_at(&self, cursor: usize) -> usize {
        self.value
            .char_indices()
            .nth(cursor)
            .map(|(i, _)| i)
            .unwrap_or(self.value.len())
    }

    fn insert(&mut self, c: char) {
        if self.value.len() + c.len_utf8() > self.value.capacity() {
            // Grow by hand so the old buffer is wiped rather than freed with the secret in it.
            let mut bigger = Zeroizing::new(String::with_capacity((self.value.capacity() * 2).max(SECRET_ROOM)));
            bigger.push_str(&self.value);
            self.value = bigger;
        }
        let at = self.byte_at(self.cursor);
        self.value.insert(at, c);
        self.cursor += 1;
    }

    /// Handles an editing key; true when it was one (typing, Backspace, Delete, arrows, Home/End, ^U).
    pub fn handle(&mut self, ev: &KeyEvent) -> bool {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match ev.code {
            KeyCode::Char('u') | KeyCode::Char('w') if ctrl => self.clear(),
            KeyCode::Char(c) if is_typing(ev) => self.insert(c),
            KeyCode::Backspace => {
                if self.cursor == 0 {
                    return true;
                }
                let start = self.byte_at(self.cursor - 1);
                let end = self.byte_at(self.cursor);
                // `replace_range` shifts in place (no reallocation); the tail left past the end is wiped.
                let old_len = self.value.len();
                self.value.replace_range(start..end, "");
                wipe_tail(&mut self.value, old_len);
                self.cursor -= 1;
            }
            KeyCode::Delete => {
                if self.cursor >= self.len() {
                    return true;
                }
                let start = self.byte_at(self.cursor);
                let end = self.byte_at(self.cursor + 1);
                let old_len = self.value.len();
                self.value.replace_range(start..end, "");
                wipe_tail(&mut self.value, old_len);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.len()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.len(),
            _ => return false,
        }
        true
    }

    /// A copy of the value for one request (the copy is a `SecretString`: zeroized when dropped).
    pub fn secret(&self) -> SecretString {
        let mut s = String::with_capacity(self.value.len());
        s.push_str(&self.value);
        SecretString::from(s)
    }
}

/// Zeroes the bytes between the string's length and `old_len` (left over by a removal).
fn wipe_tail(s: &mut String, old_len: usize) {
    let len = s.len();
    if old_len <= len {
        return;
    }
    // Within the capacity: no reallocation, the old bytes are overwritten in place.
    s.extend(std::iter::repeat_n('\0', old_len - len));
    s.truncate(len);
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn secret_field_edits_masks_and_never_debugs() {
        let mut f = SecretField::default();
        for c in "hünter2".chars() {
            f.handle(&k(KeyCode::Char(c)));
        }
        assert_eq!(f.masked(), "•••••••");
        f.handle(&k(KeyCode::Left));
        f.handle(&k(KeyCode::Backspace));
        assert_eq!(f.secret().expose_secret(), "hünte2");
        f.handle(&k(KeyCode::Home));
        f.handle(&k(KeyCode::Delete));
        assert_eq!(f.secret().expose_secret(), "ünte2");
        assert!(!format!("{f:?}").contains("nte"));
        for _ in 0..300 {
            f.handle(&k(KeyCode::Char('x')));
        }
        assert_eq!(f.len(), 305);
        f.handle(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert!(f.is_empty());
        assert!(!f.handle(&k(KeyCode::Tab)));
    }

    #[test]
    fn text_edit_reports_changes() {
        let mut i = Input::default();
        assert!(edit(&mut i, &k(KeyCode::Char('a'))));
        assert!(!edit(&mut i, &k(KeyCode::Left)));
        assert!(edit(&mut i, &k(KeyCode::Delete)));
        assert_eq!(i.value(), "");
    }
}
