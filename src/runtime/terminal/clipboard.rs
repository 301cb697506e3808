//! Whether an OSC 52 copy can reach the operator's clipboard, as far as vex can tell: OSC 52 has no
//! answer, so vex reads what it knows of the terminal at start-up and the state says it with each copy
//! ([`ClipboardReach`]).
//!
//! Assumptions (no specification lists who accepts OSC 52; these are the documented cases):
//! - not a terminal on stdout, `TERM=dumb` and the Linux console (`TERM=linux`) cannot take it;
//! - Apple's Terminal.app (`TERM_PROGRAM=Apple_Terminal`) ignores OSC 52;
//! - VTE terminals (GNOME Terminal and others; `VTE_VERSION` set) ignore it;
//! - GNU screen (`STY` set, or `TERM=screen*` outside tmux) does not pass it on;
//! - tmux passes it on with `set-clipboard on`, or the passthrough form vex also sends with
//!   `allow-passthrough on` (or `all`); its default (`external`) drops what applications send.
//!
//! Over SSH the outer terminal's variables do not arrive: nothing then says it would be dropped.

use crate::app::copy::ClipboardReach;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What vex knows of its terminal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TerminalFacts {
    pub stdout_tty: bool,
    pub term: Option<String>,
    pub term_program: Option<String>,
    pub vte: bool,
    /// Inside GNU screen (`STY`).
    pub screen: bool,
    /// Inside tmux (`TMUX`).
    pub tmux: bool,
    /// tmux's `set-clipboard` and `allow-passthrough` options (`None`: could not be read).
    pub tmux_set_clipboard: Option<String>,
    pub tmux_allow_passthrough: Option<String>,
}

impl TerminalFacts {
    /// Reads the environment, whether stdout is a terminal, and (inside tmux) tmux's options.
    pub fn read() -> TerminalFacts {
        use std::io::IsTerminal;
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let tmux = var("TMUX").is_some();
        TerminalFacts {
            stdout_tty: std::io::stdout().is_terminal(),
            term: var("TERM"),
            term_program: var("TERM_PROGRAM"),
            vte: var("VTE_VERSION").is_some(),
            screen: var("STY").is_some(),
            tmux,
            tmux_set_clipboard: if tmux { tmux_option("set-clipboard") } else { None },
            tmux_allow_passthrough: if tmux { tmux_option("allow-passthrough") } else { None },
        }
    }

    /// Whether a copy can arrive.
    pub fn reach(&self) -> ClipboardReach {
        use ClipboardReach::{Doubtful, Impossible, Likely};
        if !self.stdout_tty {
            return Impossible("the output is not a terminal".into());
        }
        match self.term.as_deref() {
            Some("dumb") => return Impossible("this terminal (TERM=dumb) does not accept OSC 52".into()),
            Some("linux") => return Impossible("the Linux console does not accept OSC 52".into()),
            _ => {}
        }
        if self.tmux {
            let on = |v: &Option<String>, yes: &[&str]| v.as_deref().is_some_and(|v| yes.contains(&v.trim()));
            if on(&self.tmux_set_clipboard, &["on"]) || on(&self.tmux_allow_passthrough, &["on", "all"]) {
                return Likely;
            }
            // Neither option is on: `set -g set-clipboard on` would let it through.
            return Doubtful(match &self.tmux_set_clipboard {
                Some(v) => format!("tmux's set-clipboard is {}", v.trim()),
                None => "inside tmux, whose set-clipboard vex could not read".into(),
            });
        }
        if self.screen || self.term.as_deref().is_some_and(|t| t.starts_with("screen")) {
            return Doubtful("GNU screen does not pass OSC 52 on".into());
        }
        if self.term_program.as_deref() == Some("Apple_Terminal") {
            return Impossible("Terminal.app does not accept OSC 52".into());
        }
        if self.vte {
            return Doubtful("VTE terminals such as GNOME Terminal ignore OSC 52".into());
        }
        Likely
    }
}

/// `tmux show -gv <name>` (global option value), waited for at most half a second.
fn tmux_option(name: &str) -> Option<String> {
    let mut child = Command::new("tmux")
        .args(["show", "-gv", name])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_millis(500);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(Some(_)) | Err(_) => return None,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    let mut out = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut()?, &mut out).ok()?;
    Some(out.trim().to_string()).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tty() -> TerminalFacts {
        TerminalFacts {
            stdout_tty: true,
            term: Some("xterm-256color".into()),
            ..Default::default()
        }
    }

    #[test]
    fn what_vex_can_tell() {
        assert_eq!(tty().reach(), ClipboardReach::Likely);
        let not_tty = TerminalFacts {
            stdout_tty: false,
            ..tty()
        };
        assert!(matches!(not_tty.reach(), ClipboardReach::Impossible(w) if w.contains("not a terminal")));
        for term in ["dumb", "linux"] {
            let f = TerminalFacts {
                term: Some(term.into()),
                ..tty()
            };
            assert!(matches!(f.reach(), ClipboardReach::Impossible(_)), "{term}");
        }
        let tmux = |clip: Option<&str>, pass: Option<&str>| TerminalFacts {
            tmux: true,
            term: Some("tmux-256color".into()),
            tmux_set_clipboard: clip.map(str::to_string),
            tmux_allow_passthrough: pass.map(str::to_string),
            ..tty()
        };
        assert_eq!(tmux(Some("on"), Some("off")).reach(), ClipboardReach::Likely);
        assert_eq!(tmux(Some("external"), Some("on")).reach(), ClipboardReach::Likely);
        assert!(
            matches!(tmux(Some("off"), Some("off")).reach(), ClipboardReach::Doubtful(w) if w.contains("set-clipboard is off"))
        );
        assert!(matches!(tmux(None, None).reach(), ClipboardReach::Doubtful(w) if w.contains("could not read")));
        let screen = TerminalFacts {
            screen: true,
            term: Some("screen".into()),
            ..tty()
        };
        assert!(matches!(screen.reach(), ClipboardReach::Doubtful(w) if w.contains("screen")));
        let apple = TerminalFacts {
            term_program: Some("Apple_Terminal".into()),
            ..tty()
        };
        assert!(matches!(apple.reach(), ClipboardReach::Impossible(_)));
    }
}
