//! The VB365 REST client: no UI types, usable alone.
pub mod models;
