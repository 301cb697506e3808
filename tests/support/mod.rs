pub mod app;
pub mod cli;
pub mod fake;
pub mod tmux;
