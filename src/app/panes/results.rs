//! The results of this run's restores, exports and sends (`R`), newest first, with the details of the
//! selected one; `e` shows its session's events.

use super::Help;
use crate::app::Action;
use crate::app::list::Viewport;

pub const HELP: Help = &[
    (Action::Down, "down", "next result"),
    (Action::Events, "events", "the events of the selected restore's session"),
    (Action::Back, "close", "close"),
];

#[derive(Clone, Debug, Default)]
pub struct ResultsView {
    /// Index into the jobs, newest first.
    pub cursor: usize,
    pub view: Viewport,
}
