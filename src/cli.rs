//! Command-line definitions (clap). Wiring only: the work lives in the library.

use clap::{Args, Parser, Subcommand};
use vex::commands::{OutputArgs, ScriptCmd};

#[derive(Debug, Parser)]
#[command(
    name = "vex",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("VEX_BUILD"), ")"),
    about = "Terminal restore browser for Veeam Backup for Microsoft 365",
    long_about = "vex browses VB365 restore sessions, mailboxes, folders and items, and runs guided restores.\n\
                  Without a subcommand it opens the TUI against --server (or a profile). The password comes \
                  from VEX_PASSWORD, a profile's password_command, or a no-echo prompt; never from the \
                  command line.\n\nExit codes: 0 ok, 1 error, 2 usage, 3 authentication, 4 not found, \
                  5 partial restore failure, 6 network or TLS, 7 refused (cancelled or read-only)."
)]
pub struct Cli {
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Log file (default: vex.log in the state dir, see `vex paths`)
    #[arg(long = "log-file", env = "VEX_LOG_FILE", global = true)]
    pub log_file: Option<std::path::PathBuf>,
    /// Log level or filter (error, warn, info, debug, trace; or e.g. vex=debug)
    #[arg(long = "log-level", env = "VEX_LOG", default_value = "info", global = true)]
    pub log_level: String,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// How to reach a server.
#[derive(Debug, Args, Clone)]
pub struct ConnectArgs {
    /// Profile from config.toml (see `vex paths`)
    #[arg(long, env = "VEX_PROFILE", global = true)]
    pub profile: Option<String>,
    /// Server URL, e.g. https://vb365.example.com:4443
    #[arg(long, env = "VEX_SERVER", global = true)]
    pub server: Option<String>,
    /// User name (DOMAIN\user or user@domain)
    #[arg(long, env = "VEX_USER", global = true)]
    pub user: Option<String>,
    /// API version: auto (probe, newest served wins), v6, v7 or v8
    #[arg(long = "api", default_value = "auto", global = true)]
    pub api: String,
    /// Trust exactly this server certificate (SHA-256 of the DER, hex, colons allowed)
    #[arg(long, global = true)]
    pub pin: Option<String>,
    /// Trust this CA (PEM file) in addition to the system store
    #[arg(long = "ca-file", global = true)]
    pub ca_file: Option<std::path::PathBuf>,
    /// Do not verify the server certificate at all (dangerous; a red banner stays on screen)
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Hide and refuse every writing action (restore, send, stop session)
    #[arg(long = "read-only", global = true)]
    pub read_only: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the TUI against an embedded emulator (HTTPS, certificate pinned automatically)
    Demo(DemoArgs),
    /// Run the VB365 REST API emulator (v6, v7, v8)
    Sim(vex::sim::SimArgs),
    /// Print every file and directory vex uses
    Paths,
    #[command(flatten)]
    Script(ScriptCmd),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Emulator seed (the data is deterministic per seed)
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}
