//! vex: a terminal restore browser for Veeam Backup for Microsoft 365.
//!
//! - [`api`]: the typed REST client (no UI types; the scripting subcommands use it alone).
//! - [`config`]: profiles, XDG paths, known servers (trust on first use).
//! - [`msg`]: Outlook MSG files (the item save endpoint's answer): parsed for previews, written by the emulator.
//! - [`sim`]: the emulator of the REST API (`vex sim`, and embedded by `vex demo` and the tests).

pub mod api;
pub mod app;
pub mod audit;
pub mod batch;
pub mod commands;
pub mod config;
pub mod connect;
pub mod heap;
pub mod logging;
pub mod msg;
pub mod restore_plan;
pub mod runtime;
pub mod secrets;
pub mod sim;
pub mod text;
pub mod ui;

/// Installs rustls' `ring` crypto provider for the process (idempotent). Call before building any
/// client or server.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
