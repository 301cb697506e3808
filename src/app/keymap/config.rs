//! `[keys]` in config.toml: action names to keys, e.g. `quit = "ctrl-q"`, `down = ["j", "Down"]`.
//!
//! Key syntax: one character (`j`, `G`, `?`, `/`), or a key name (`Up`, `Down`, `Left`, `Right`, `PageUp`,
//! `PageDown`, `Home`, `End`, `Enter`, `Esc`, `Tab`, `BackTab`, `Backspace`, `Delete`, `Insert`, `Space`,
//! `F1`..`F24`), with any of the prefixes `ctrl-`, `alt-`, `shift-` (names and prefixes in any case). The
//! labels help shows (`↓`, `PgDn`, `^R`, `M-x`, `S-Tab`) are read back as the same keys.
//!
//! An entry replaces every key of its action. A key taken from another action is removed from that one,
//! unless it was that action's only key (an error names both). Ctrl-C always quits and the keys inside
//! dialogs and text fields (Enter, Esc, Tab, typing) are fixed.

use super::{Action, Binding, Keymap};
use crossterm::event::{KeyCode, KeyModifiers};
use std::collections::BTreeMap;

impl Action {
    /// The action of a config name (`page_down`), see [`Action::name`].
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// Reads a key as written in `[keys]` (or as help shows it) into the form the keymap compares.
pub fn parse_key(text: &str) -> Result<(KeyCode, KeyModifiers), String> {
    let bad = |why: &str| format!("cannot read key {text:?}: {why}");
    if text.is_empty() {
        return Err(bad("it is empty"));
    }
    let mut mods = KeyModifiers::NONE;
    let mut rest = text;
    loop {
        if rest.chars().count() > 1
            && let Some(tail) = rest.strip_prefix('^')
        {
            mods |= KeyModifiers::CONTROL;
            rest = tail;
            continue;
        }
        let Some((head, tail)) = rest.split_once('-') else {
            break;
        };
        if tail.is_empty() {
            break;
        }
        mods |= match head.to_ascii_lowercase().as_str() {
            "ctrl" | "control" | "c" => KeyModifiers::CONTROL,
            "alt" | "meta" | "m" | "a" => KeyModifiers::ALT,
            "shift" | "s" => KeyModifiers::SHIFT,
            _ => break,
        };
        rest = tail;
    }
    let mut chars = rest.chars();
    let code = match (chars.next(), chars.next()) {
        (Some(c), None) => match c {
            '↑' => KeyCode::Up,
            '↓' => KeyCode::Down,
            '←' => KeyCode::Left,
            '→' => KeyCode::Right,
            c if c.is_control() => return Err(bad("a control character is not a key name")),
            c => KeyCode::Char(c),
        },
        _ => named(rest).ok_or_else(|| {
            bad(
                "not a key name (one character, or Up, Down, Left, Right, PageUp, PageDown, Home, End, Enter, Esc, \
                 Tab, BackTab, Backspace, Delete, Insert, Space, F1..F24, with ctrl-, alt-, shift-)",
            )
        })?,
    };
    Ok(normalize(code, mods))
}

fn named(name: &str) -> Option<KeyCode> {
    let lower = name.to_ascii_lowercase();
    Some(match lower.as_str() {
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "backspace" | "bksp" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        "space" => KeyCode::Char(' '),
        f if f.starts_with('f') => match f[1..].parse::<u8>() {
            Ok(n @ 1..=24) => KeyCode::F(n),
            _ => return None,
        },
        _ => return None,
    })
}

/// The form [`Keymap::lookup`] compares: Shift is part of a character (`shift-a` is `A`), Ctrl-letters
/// are lower case, Shift-Tab is BackTab.
fn normalize(code: KeyCode, mods: KeyModifiers) -> (KeyCode, KeyModifiers) {
    match code {
        KeyCode::Char(c) => {
            let shifted = mods.contains(KeyModifiers::SHIFT);
            let mods = mods - KeyModifiers::SHIFT;
            if mods.contains(KeyModifiers::CONTROL) {
                (KeyCode::Char(c.to_ascii_lowercase()), mods)
            } else if shifted {
                (KeyCode::Char(c.to_ascii_uppercase()), mods)
            } else {
                (KeyCode::Char(c), mods)
            }
        }
        KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => (KeyCode::BackTab, mods - KeyModifiers::SHIFT),
        KeyCode::BackTab => (KeyCode::BackTab, mods - KeyModifiers::SHIFT),
        code => (code, mods),
    }
}

/// The keys of one `[keys]` entry: a string or a list of strings.
fn entry_keys(name: &str, value: &toml::Value) -> Result<Vec<(KeyCode, KeyModifiers)>, String> {
    let expected = || {
        format!(
            "[keys] {name}: expected a key (\"j\") or a list of keys ([\"j\", \"Down\"]), found {}",
            value.type_str()
        )
    };
    let texts: Vec<&str> = match value {
        toml::Value::String(s) => vec![s.as_str()],
        toml::Value::Array(a) => a
            .iter()
            .map(|v| v.as_str().ok_or_else(expected))
            .collect::<Result<_, _>>()?,
        _ => return Err(expected()),
    };
    if texts.is_empty() {
        return Err(format!("[keys] {name}: give at least one key"));
    }
    let mut keys = Vec::new();
    for t in texts {
        let k = parse_key(t).map_err(|e| format!("[keys] {name}: {e}"))?;
        if k == (KeyCode::Char('c'), KeyModifiers::CONTROL) && name != Action::Quit.name() {
            return Err(format!("[keys] {name}: ^c always quits; choose another key"));
        }
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    Ok(keys)
}

impl Keymap {
    /// The default keymap with the `[keys]` entries of a config file applied (see the module docs).
    pub fn from_config(entries: &BTreeMap<String, toml::Value>) -> Result<Keymap, String> {
        let mut overrides: Vec<(Action, Vec<(KeyCode, KeyModifiers)>)> = Vec::new();
        for (name, value) in entries {
            let Some(action) = Action::from_name(name) else {
                let known: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                return Err(format!("[keys] {name}: no such action (known: {})", known.join(", ")));
            };
            overrides.push((action, entry_keys(name, value)?));
        }
        // One key, one action: two entries may not claim the same key.
        for (i, (a, keys)) in overrides.iter().enumerate() {
            for (b, other) in &overrides[i + 1..] {
                if let Some((code, mods)) = keys.iter().find(|k| other.contains(k)) {
                    return Err(format!(
                        "[keys] {} is bound to both {} and {}",
                        super::key_label(*code, *mods),
                        a.name(),
                        b.name()
                    ));
                }
            }
        }
        let mut km = Keymap::default();
        let overridden: Vec<Action> = overrides.iter().map(|(a, _)| *a).collect();
        km.bindings.retain(|b| !overridden.contains(&b.action));
        for (action, keys) in &overrides {
            for &(code, mods) in keys {
                // Taken from another action: that action keeps its other keys, and must have one left.
                if let Some(old) = km
                    .bindings
                    .iter()
                    .find(|b| b.code == code && b.mods == mods)
                    .map(|b| b.action)
                {
                    km.bindings.retain(|b| !(b.code == code && b.mods == mods));
                    if !km.bindings.iter().any(|b| b.action == old) {
                        return Err(format!(
                            "[keys] {}: {} is the only key of {}; give {} another key as well (e.g. {} = \"...\")",
                            action.name(),
                            super::key_label(code, mods),
                            old.name(),
                            old.name(),
                            old.name()
                        ));
                    }
                }
                km.bindings.push(Binding {
                    code,
                    mods,
                    action: *action,
                });
            }
        }
        Ok(km)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::keymap::{DEFAULT_BINDINGS, key_label};
    use crossterm::event::KeyEvent;

    fn keys(toml_text: &str) -> Result<Keymap, String> {
        #[derive(serde::Deserialize)]
        struct K {
            keys: BTreeMap<String, toml::Value>,
        }
        let k: K = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        Keymap::from_config(&k.keys)
    }

    #[test]
    fn parses_characters_names_and_modifiers() {
        let k = |s: &str| parse_key(s).unwrap();
        assert_eq!(k("j"), (KeyCode::Char('j'), KeyModifiers::NONE));
        assert_eq!(k("G"), (KeyCode::Char('G'), KeyModifiers::NONE));
        assert_eq!(k("?"), (KeyCode::Char('?'), KeyModifiers::NONE));
        assert_eq!(k("-"), (KeyCode::Char('-'), KeyModifiers::NONE));
        assert_eq!(k("ctrl-q"), (KeyCode::Char('q'), KeyModifiers::CONTROL));
        assert_eq!(k("CTRL-Q"), (KeyCode::Char('q'), KeyModifiers::CONTROL));
        assert_eq!(
            k("Ctrl-Alt-x"),
            (KeyCode::Char('x'), KeyModifiers::CONTROL | KeyModifiers::ALT)
        );
        assert_eq!(k("alt--"), (KeyCode::Char('-'), KeyModifiers::ALT));
        assert_eq!(k("shift-a"), (KeyCode::Char('A'), KeyModifiers::NONE));
        assert_eq!(k("shift-tab"), (KeyCode::BackTab, KeyModifiers::NONE));
        assert_eq!(k("shift-Up"), (KeyCode::Up, KeyModifiers::SHIFT));
        assert_eq!(k("pagedown"), (KeyCode::PageDown, KeyModifiers::NONE));
        assert_eq!(k("SPACE"), (KeyCode::Char(' '), KeyModifiers::NONE));
        assert_eq!(k("f12"), (KeyCode::F(12), KeyModifiers::NONE));
        assert_eq!(k("Esc"), (KeyCode::Esc, KeyModifiers::NONE));
        for bad in ["", "ctrl-", "Uppp", "F0", "F99", "hyper-x", "\u{7}"] {
            let e = parse_key(bad).unwrap_err();
            assert!(e.contains("cannot read key"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn labels_read_back_as_the_same_key() {
        let mut all: Vec<(KeyCode, KeyModifiers)> = DEFAULT_BINDINGS.iter().map(|b| (b.code, b.mods)).collect();
        all.extend([
            (KeyCode::Char('x'), KeyModifiers::ALT),
            (KeyCode::Char('q'), KeyModifiers::CONTROL | KeyModifiers::ALT),
            (KeyCode::Up, KeyModifiers::SHIFT),
            (KeyCode::Delete, KeyModifiers::NONE),
            (KeyCode::Insert, KeyModifiers::CONTROL),
            (KeyCode::Char('^'), KeyModifiers::NONE),
            (KeyCode::Char('-'), KeyModifiers::ALT),
            (KeyCode::F(12), KeyModifiers::NONE),
        ]);
        for (code, mods) in all {
            let label = key_label(code, mods);
            assert_eq!(parse_key(&label), Ok((code, mods)), "{label}");
        }
    }

    #[test]
    fn an_entry_replaces_its_action_and_takes_keys_from_others() {
        let km = keys("[keys]\nquit = \"ctrl-q\"\ndown = [\"n\", \"Down\"]\nnew_session = \"N\"\n").unwrap();
        let look = |c: KeyCode, m: KeyModifiers| km.lookup(&KeyEvent::new(c, m));
        assert_eq!(look(KeyCode::Char('q'), KeyModifiers::CONTROL), Some(Action::Quit));
        assert_eq!(look(KeyCode::Char('q'), KeyModifiers::NONE), None);
        assert_eq!(look(KeyCode::Char('n'), KeyModifiers::NONE), Some(Action::Down));
        assert_eq!(look(KeyCode::Char('j'), KeyModifiers::NONE), None);
        assert_eq!(look(KeyCode::Char('N'), KeyModifiers::SHIFT), Some(Action::NewSession));
        assert_eq!(km.keys_for(Action::Down), vec!["n".to_string(), "↓".into()]);
        assert_eq!(km.first_key(Action::Quit).as_deref(), Some("^q"));
        // `h` leaves back with its other keys.
        let km = keys("[keys]\nprev_pane = \"h\"\n").unwrap();
        assert_eq!(km.keys_for(Action::PrevPane), vec!["h".to_string()]);
        assert_eq!(
            km.keys_for(Action::Back),
            vec!["Esc".to_string(), "←".into(), "Bksp".into()]
        );
        assert_eq!(keys("[keys]\n").unwrap(), Keymap::default());
    }

    #[test]
    fn bad_entries_are_clear_errors() {
        let e = keys("[keys]\nquti = \"q\"\n").unwrap_err();
        assert!(
            e.contains("quti") && e.contains("no such action") && e.contains("quit"),
            "{e}"
        );
        let e = keys("[keys]\ndown = \"ctrl-\"\n").unwrap_err();
        assert!(
            e.contains("[keys] down") && e.contains("cannot read key \"ctrl-\""),
            "{e}"
        );
        let e = keys("[keys]\ndown = 3\n").unwrap_err();
        assert!(
            e.contains("[keys] down: expected a key") && e.contains("integer"),
            "{e}"
        );
        let e = keys("[keys]\ndown = [\"j\", 3]\n").unwrap_err();
        assert!(e.contains("[keys] down: expected a key"), "{e}");
        let e = keys("[keys]\ndown = []\n").unwrap_err();
        assert!(e.contains("at least one key"), "{e}");
        let e = keys("[keys]\ndown = \"x\"\nup = \"x\"\n").unwrap_err();
        assert!(e.contains("x is bound to both down and up"), "{e}");
        // `x` is stop_session's only key.
        let e = keys("[keys]\ndown = \"x\"\n").unwrap_err();
        assert!(e.contains("x is the only key of stop_session"), "{e}");
        let e = keys("[keys]\nhelp = \"ctrl-c\"\n").unwrap_err();
        assert!(e.contains("^c always quits"), "{e}");
        assert!(keys("[keys]\nquit = [\"ctrl-c\", \"ctrl-q\"]\n").is_ok());
    }
}
