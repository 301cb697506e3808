//! The signals that stop vex: SIGINT (Ctrl-C), SIGTERM, SIGHUP (the terminal or SSH went away) and
//! SIGQUIT (Ctrl-\). Once a [`StopSignals`] exists their default actions (die at once, SIGQUIT with a core
//! dump) are replaced for the rest of the process: vex restores the terminal, completes the audit log and
//! says what happened before it exits with 128 + the signal's number.

/// One of the signals that stop vex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopSignal {
    /// `SIGINT`, `SIGTERM`, `SIGHUP`, `SIGQUIT`.
    pub name: &'static str,
    pub number: i32,
}

impl StopSignal {
    pub const INT: StopSignal = StopSignal {
        name: "SIGINT",
        number: 2,
    };
    pub const TERM: StopSignal = StopSignal {
        name: "SIGTERM",
        number: 15,
    };
    pub const HUP: StopSignal = StopSignal {
        name: "SIGHUP",
        number: 1,
    };
    pub const QUIT: StopSignal = StopSignal {
        name: "SIGQUIT",
        number: 3,
    };

    /// The shell's exit status for a process ended by this signal: 130, 143, 129, 131.
    pub fn exit_code(self) -> u8 {
        128 + self.number as u8
    }
}

/// The handlers, registered when this is made (so a signal that arrives right after is not lost to the
/// default action).
pub struct StopSignals {
    #[cfg(unix)]
    handlers: [(StopSignal, tokio::signal::unix::Signal); 4],
}

impl StopSignals {
    /// Registers the handlers. Needs a tokio runtime.
    pub fn new() -> std::io::Result<StopSignals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(StopSignals {
                handlers: [
                    (StopSignal::INT, signal(SignalKind::interrupt())?),
                    (StopSignal::TERM, signal(SignalKind::terminate())?),
                    (StopSignal::HUP, signal(SignalKind::hangup())?),
                    (StopSignal::QUIT, signal(SignalKind::quit())?),
                ],
            })
        }
        #[cfg(not(unix))]
        {
            Ok(StopSignals {})
        }
    }

    /// The next stop signal.
    pub async fn recv(&mut self) -> StopSignal {
        #[cfg(unix)]
        {
            let [(a, sa), (b, sb), (c, sc), (d, sd)] = &mut self.handlers;
            tokio::select! {
                _ = sa.recv() => *a,
                _ = sb.recv() => *b,
                _ = sc.recv() => *c,
                _ = sd.recv() => *d,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            StopSignal::INT
        }
    }
}
