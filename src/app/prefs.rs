//! The operator's preferences for the browser, from config.toml: `[keys]`, `theme`, `mouse`.

use super::{Keymap, State};
use crate::config::Config;

/// The `theme` of config.toml.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ThemeName {
    /// Cyan and yellow accents, for dark backgrounds (and most light ones).
    #[default]
    Default,
    /// Blue and magenta accents, for light backgrounds.
    Light,
    /// No colour at all: bold, reverse and underline (what `NO_COLOR` forces).
    Mono,
}

impl ThemeName {
    pub const ALL: [ThemeName; 3] = [ThemeName::Default, ThemeName::Light, ThemeName::Mono];

    pub fn name(self) -> &'static str {
        match self {
            ThemeName::Default => "default",
            ThemeName::Light => "light",
            ThemeName::Mono => "mono",
        }
    }

    /// The theme of a config name (any case); the error names the known ones.
    pub fn parse(name: &str) -> Result<ThemeName, String> {
        ThemeName::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let known: Vec<&str> = ThemeName::ALL.iter().map(|t| t.name()).collect();
                format!("theme: no theme named {name:?} (known: {})", known.join(", "))
            })
    }
}

/// Keys, theme and mouse, checked (a bad entry is an error that names it, never a panic).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UiPrefs {
    pub keymap: Keymap,
    pub theme: ThemeName,
    /// Capture the mouse (wheel scrolls, a click focuses and selects). Off by default, so the terminal's
    /// own text selection keeps working.
    pub mouse: bool,
}

impl UiPrefs {
    /// The preferences of a loaded config file; the error names the entry (`[keys] down: ...`,
    /// `theme: ...`), the caller adds the file.
    pub fn from_config(cfg: &Config) -> Result<UiPrefs, String> {
        Ok(UiPrefs {
            keymap: Keymap::from_config(&cfg.keys)?,
            theme: match &cfg.theme {
                Some(t) => ThemeName::parse(t)?,
                None => ThemeName::Default,
            },
            mouse: cfg.mouse,
        })
    }

    /// Puts them into the browser's state (`NO_COLOR`, in `state.color`, still wins over the theme).
    pub fn apply(self, state: &mut State) {
        state.keymap = self.keymap;
        state.theme = self.theme;
        state.mouse = self.mouse;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefs(text: &str) -> Result<UiPrefs, String> {
        UiPrefs::from_config(&toml::from_str::<Config>(text).map_err(|e| e.to_string())?)
    }

    #[test]
    fn from_config() {
        assert_eq!(prefs("").unwrap(), UiPrefs::default());
        let p = prefs("theme = \"mono\"\nmouse = true\n[keys]\nquit = \"ctrl-q\"\n").unwrap();
        assert_eq!(p.theme, ThemeName::Mono);
        assert!(p.mouse);
        assert_eq!(p.keymap.first_key(crate::app::Action::Quit).as_deref(), Some("^q"));
        assert_eq!(prefs("theme = \"Light\"\n").unwrap().theme, ThemeName::Light);
        let e = prefs("theme = \"solarized\"\n").unwrap_err();
        assert_eq!(e, "theme: no theme named \"solarized\" (known: default, light, mono)");
        let e = prefs("[keys]\nfly = \"f\"\n").unwrap_err();
        assert!(e.starts_with("[keys] fly: no such action"), "{e}");
    }
}
