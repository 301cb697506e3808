//! Styles. Only the 16 basic ANSI colours; with `NO_COLOR` (or `theme = "mono"`) only bold, reverse and
//! underline.

use crate::app::State;
use crate::app::prefs::ThemeName;
use ratatui::style::{Color, Modifier, Style};

#[derive(Clone, Copy, Debug)]
pub struct Theme {
    color: bool,
    light: bool,
}

impl Theme {
    /// The default palette (`true`) or no colour.
    pub fn new(color: bool) -> Theme {
        Theme { color, light: false }
    }

    pub fn named(name: ThemeName) -> Theme {
        Theme {
            color: name != ThemeName::Mono,
            light: name == ThemeName::Light,
        }
    }

    /// The one place the drawn theme is decided: the configured one, or mono when colour is off
    /// (`NO_COLOR`).
    pub fn for_state(state: &State) -> Theme {
        Theme::named(if state.color { state.theme } else { ThemeName::Mono })
    }

    fn pick(&self, colored: Style, mono: Style) -> Style {
        match (self.color, self.light) {
            (false, _) => mono,
            (true, false) => colored,
            (true, true) => Style {
                fg: colored.fg.map(light),
                bg: colored.bg.map(light),
                ..colored
            },
        }
    }

    pub fn header(&self) -> Style {
        let colored = if self.light {
            Style::new().fg(Color::White).bg(Color::Blue)
        } else {
            Style::new().fg(Color::Black).bg(Color::Cyan)
        };
        self.pick(colored, Style::new().add_modifier(Modifier::REVERSED))
    }

    pub fn header_warn(&self) -> Style {
        self.pick(
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// The insecure banner: white on red; without colour, normal video in the reversed header bar
    /// (bold, underlined), so it stands out either way.
    pub fn danger(&self) -> Style {
        self.pick(
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            Style::new()
                .remove_modifier(Modifier::REVERSED)
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }

    pub fn crumb(&self) -> Style {
        self.pick(Style::new().fg(Color::Cyan), Style::new().add_modifier(Modifier::BOLD))
    }

    pub fn border(&self, focused: bool) -> Style {
        match focused {
            true => self.pick(Style::new().fg(Color::Cyan), Style::new().add_modifier(Modifier::BOLD)),
            false => Style::new(),
        }
    }

    pub fn title(&self, focused: bool) -> Style {
        match focused {
            true => self.pick(
                Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
                Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
            ),
            false => Style::new(),
        }
    }

    /// The cursor row: reverse video in the focused pane (readable in any palette), bold elsewhere.
    pub fn selected(&self, focused: bool) -> Style {
        match focused {
            true => Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            false => self.pick(
                Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
                Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            ),
        }
    }

    pub fn column_header(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }

    pub fn dim(&self) -> Style {
        self.pick(Style::new().fg(Color::DarkGray), Style::new())
    }

    pub fn error(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    pub fn info(&self) -> Style {
        self.pick(Style::new().fg(Color::Green), Style::new())
    }

    pub fn marked(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    pub fn key(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    pub fn label(&self) -> Style {
        self.pick(Style::new().fg(Color::Cyan), Style::new().add_modifier(Modifier::BOLD))
    }

    pub fn section(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }

    pub fn working(&self) -> Style {
        self.pick(Style::new().fg(Color::Green), Style::new().add_modifier(Modifier::BOLD))
    }

    /// A focused input field or button.
    pub fn field(&self, focused: bool) -> Style {
        if focused {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED)
        }
    }
}

/// The light palette: the accents that fade on a white background get darker neighbours.
fn light(c: Color) -> Color {
    match c {
        Color::Cyan => Color::Blue,
        Color::Yellow => Color::Magenta,
        c => c,
    }
}
