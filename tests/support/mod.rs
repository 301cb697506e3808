pub mod app;
pub mod fake;
pub mod tmux;
