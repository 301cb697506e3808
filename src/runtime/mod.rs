//! Running the browser, in three rooms:
//!
//! - [`terminal`]: the terminal's lifecycle (set-up, restore on every way out, signals, the panic hook)
//!   and the compact backend that writes frames to it;
//! - [`event_loop`]: terminal events and answers → `app::update` → draw if dirty;
//! - [`effects`]: the effect runner (tokio tasks against the client, their slots and aborts).
//!
//! [`App`] is the loop around any ratatui backend (the real terminal, or a `TestBackend` in tests); each
//! room adds its part of it.

pub mod effects;
pub mod event_loop;
pub mod terminal;

pub use crate::app::HeaderInfo;
pub use event_loop::{App, MAX_FPS};
pub use terminal::{
    Connector, StopSignal, StopSignals, TuiOptions, logout, run_tui, run_tui_with, signals, stopped_by,
};
