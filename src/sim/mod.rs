//! The VB365 REST API emulator.
