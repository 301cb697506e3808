//! Helpers shared by the integration tests (`mod support;` in a test crate). `spec.rs` (the validator of
//! the official API spec, with jsonschema) is not listed: the crates that validate declare
//! `mod support { pub mod spec; }`.

pub mod app;
pub mod batch;
pub mod cli;
pub mod fake;
pub mod fixtures;
pub mod tmux;
