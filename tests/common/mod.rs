//! Helpers shared by the integration tests (`mod common;` in a test crate).

// Each test crate uses a different part of the helpers.
#![allow(dead_code)]

pub mod spec;
