//! Command-line definitions (clap). Wiring only: the work lives in the library. Also the documents made
//! from these definitions: shell completions (`vex completions`) and the man page (`vex man`).

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use clap::{Arg, ArgAction, Args, CommandFactory, Parser, Subcommand};
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};
use std::io::Write;
use vex::commands::{CmdError, OutputArgs, ScriptCmd};

#[derive(Debug, Parser)]
#[command(
    name = "vex",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("VEX_BUILD"), ")"),
    about = "Terminal restore browser for Veeam Backup for Microsoft 365",
    long_about = "vex browses VB365 restore sessions, mailboxes, folders and items, and runs guided restores.\n\
                  Without a subcommand it opens the TUI against --server (or a profile). The password comes \
                  from VEX_PASSWORD, a profile's password_command, or a no-echo prompt; never from the \
                  command line.\n\nExit codes: 0 ok, 1 error, 2 usage, 3 authentication, 4 not found, \
                  5 partial restore failure, 6 network or TLS, 7 refused (cancelled or read-only), 129/130/131/143 \
                  stopped by SIGHUP/SIGINT/SIGQUIT/SIGTERM.",
    mut_subcommands = without_connect_flags
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
    /// Allow plain http:// to a host other than this machine (the password and all data go unencrypted)
    #[arg(long = "allow-plain-http", global = true)]
    pub allow_plain_http: bool,
    /// Hide and refuse every writing action (restore, send, stop session)
    #[arg(long = "read-only", global = true)]
    pub read_only: bool,
    /// Seconds without progress (no answer started, no new bytes) before a call fails [default: 60]
    #[arg(long = "stall-timeout", value_name = "SECS", global = true,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub stall_timeout: Option<u64>,
    /// The largest JSON answer accepted from the server, in MiB (downloads are not capped) [default: 64]
    #[arg(long = "max-body-mb", value_name = "MB", global = true,
          value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub max_body_mb: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the TUI against an embedded emulator (HTTPS, certificate pinned automatically)
    Demo(DemoArgs),
    /// Run the VB365 REST API emulator (v6, v7, v8)
    Sim(Box<vex::sim::SimArgs>),
    /// Print every file and directory vex uses
    Paths,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(CompletionsArgs),
    /// Print the man page (roff), every subcommand included
    Man,
    /// Run a restore plan (TOML) across many mailboxes: planned, resumable, each restore sent once
    /// (`--dry-run` prints what would be restored; `vex batch status` reads the journal)
    Batch(vex::batch::command::BatchArgs),
    #[command(flatten)]
    Script(ScriptCmd),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Emulator seed (the data is deterministic per seed)
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Subcommands that neither connect to a server nor print tables: the connection and output flags (global
/// for the TUI and the scripting subcommands) are neither shown in their help, completions and man page
/// nor accepted after them.
const LOCAL: [&str; 4] = ["sim", "paths", "completions", "man"];

/// `vex demo` takes only these of the global connection and output flags: its emulator is its own server,
/// user and certificate, and it prints no tables (`--server`, `--user`, `--json`, ... are refused, not
/// silently ignored).
const DEMO_TAKES: [&str; 2] = ["api", "read-only"];

/// The connection and output flags a subcommand refuses (by long name): all of them for [`LOCAL`] ones,
/// all but [`DEMO_TAKES`] for `demo`, none for the others.
fn refuses(sub: &str, long: &str) -> bool {
    LOCAL.contains(&sub) || (sub == "demo" && !DEMO_TAKES.contains(&long))
}

/// The global flags that [`LOCAL`] subcommands do not take.
fn connect_and_output_flags() -> Vec<Arg> {
    OutputArgs::augment_args(ConnectArgs::augment_args(clap::Command::new("flags")))
        .get_arguments()
        .cloned()
        .collect()
}

thread_local! {
    /// Set while [`docs_command`] makes the command: no stand-ins (see [`without_connect_flags`]).
    static DOCS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Gives each [`LOCAL`] subcommand a hidden stand-in for every global connection or output flag: clap does
/// not propagate a global argument to a subcommand that has one of the same id, and the stand-in refuses
/// any use with a usage error.
fn without_connect_flags(sub: clap::Command) -> clap::Command {
    if !(LOCAL.contains(&sub.get_name()) || sub.get_name() == "demo") || DOCS.get() {
        return sub;
    }
    let name = sub.get_name().to_string();
    connect_and_output_flags().into_iter().fold(sub, |sub, a| {
        let Some(long) = a.get_long() else {
            return sub;
        };
        if !refuses(&name, long) {
            return sub;
        }
        // The subcommand's own argument of that name (`vex sim --user`) already keeps the global one out.
        if sub
            .get_arguments()
            .any(|b| b.get_id() == a.get_id() || b.get_long() == Some(long))
        {
            return sub;
        }
        let refusal = NotHere(format!("--{long} does not apply to `vex {name}`"));
        sub.arg(
            a.global(false)
                .hide(true)
                .env(None)
                .default_value(None)
                .action(ArgAction::Set)
                .num_args(0..=1)
                .default_missing_value("")
                .value_parser(refusal),
        )
    })
}

/// The command line as the completions and the man page describe it. The completion generators also
/// offer hidden arguments, so this one has no stand-ins: the connection and output flags are not global
/// at the top but global in each subcommand that takes them.
fn docs_command() -> clap::Command {
    DOCS.set(true);
    let cmd = Cli::command();
    DOCS.set(false);
    let shared = connect_and_output_flags();
    let is_shared = |a: &Arg| shared.iter().any(|b| b.get_id() == a.get_id());
    cmd.mut_args(|a| if is_shared(&a) { a.global(false) } else { a })
        .mut_subcommands(|sub| {
            if LOCAL.contains(&sub.get_name()) {
                return sub;
            }
            let name = sub.get_name().to_string();
            let own: Vec<Arg> = shared
                .iter()
                .filter(|a| !sub.get_arguments().any(|b| b.get_id() == a.get_id()))
                .filter(|a| a.get_long().is_none_or(|l| !refuses(&name, l)))
                .map(|a| a.clone().global(true))
                .collect();
            sub.args(own)
        })
}

/// A value parser that refuses every value (see [`without_connect_flags`]).
#[derive(Clone)]
struct NotHere(String);

impl TypedValueParser for NotHere {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&Arg>,
        _value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        Err(clap::Error::raw(ErrorKind::ArgumentConflict, format!("{}\n", self.0)).with_cmd(cmd))
    }
}

/// Writes a generated document to stdout (a closed pipe is an error, not a panic).
fn print(bytes: &[u8]) -> Result<u8, CmdError> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map(|()| 0)
        .map_err(|e| CmdError::Other(format!("cannot write output: {e}")))
}

/// `vex completions SHELL`: the completion script on stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<u8, CmdError> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut docs_command(), "vex", &mut script);
    print(&script)
}

/// `vex man`: the man page on stdout.
pub fn man() -> Result<u8, CmdError> {
    let page = man_page().map_err(|e| CmdError::Other(format!("cannot render the man page: {e}")))?;
    print(page.as_bytes())
}

/// vex(1): NAME, SYNOPSIS, DESCRIPTION and OPTIONS as clap_mangen renders them, then COMMANDS with a
/// subsection per subcommand (its own synopsis, description and options, nested ones included), then
/// ENVIRONMENT, FILES and VERSION.
pub fn man_page() -> std::io::Result<String> {
    let mut cmd = docs_command().disable_help_subcommand(true);
    cmd.build();
    let man = Man::new(cmd.clone()).manual("vex manual");
    let mut page = String::new();
    man.render_title(&mut RoffBuf(&mut page))?;
    for render in [
        Man::render_name_section,
        Man::render_synopsis_section,
        Man::render_description_section,
        Man::render_options_section,
    ] {
        page.push_str(&rendered(&man, render)?);
    }
    let mut roff = Roff::new();
    roff.control("SH", ["COMMANDS"]);
    let local: Vec<String> = LOCAL.iter().map(|s| format!("vex {s}")).collect();
    roff.text([roman(format!(
        "The subcommands take the options above as well, before or after their name; {} take only \
         --log-file and --log-level; vex demo takes only --api and --read-only of them.",
        local.join(", ")
    ))]);
    page.push_str(&roff.to_roff());
    commands_section(&cmd, &mut page)?;
    page.push_str(&environment_and_files().to_roff());
    page.push_str(&rendered(&man, Man::render_version_section)?);
    Ok(page)
}

type Render = fn(&Man, &mut dyn Write) -> std::io::Result<()>;

/// One section as roff, without the preamble that clap_mangen writes before each part (the title's
/// copy stays: it starts the page).
fn rendered(man: &Man, render: Render) -> std::io::Result<String> {
    let mut s = String::new();
    render(man, &mut RoffBuf(&mut s))?;
    Ok(s.lines()
        .skip_while(|l| l.starts_with(".ie ") || l.starts_with(".el "))
        .map(|l| format!("{l}\n"))
        .collect())
}

/// Roff text into a String.
struct RoffBuf<'a>(&'a mut String);

impl Write for RoffBuf<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.push_str(&String::from_utf8_lossy(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A subsection per visible subcommand, depth first.
fn commands_section(cmd: &clap::Command, page: &mut String) -> std::io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_bin_name().unwrap_or_else(|| sub.get_name()).to_string();
        // Only its own options: the global ones are described once, under OPTIONS.
        let inherited: Vec<String> = sub
            .get_arguments()
            .filter(|a| a.is_global_set() || a.get_id() == "help")
            .map(|a| a.get_id().to_string())
            .collect();
        let own = inherited
            .into_iter()
            .fold(sub.clone(), |c, id| c.mut_arg(id, |a| a.hide(true)));
        let man = Man::new(own);
        let mut roff = Roff::new();
        roff.control("SS", [name.as_str()]);
        page.push_str(&roff.to_roff());
        // Each part without its .SH heading: description, then synopsis and options as paragraphs.
        for render in [
            Man::render_description_section as Render,
            Man::render_synopsis_section,
            Man::render_options_section,
        ] {
            let part = rendered(&man, render)?;
            let mut lines = part.lines().skip_while(|l| l.starts_with(".SH"));
            if let Some(first) = lines.next() {
                page.push_str(".PP\n");
                page.push_str(first);
                page.push('\n');
                for l in lines.filter(|l| !l.starts_with(".SH")) {
                    page.push_str(l);
                    page.push('\n');
                }
            }
        }
        commands_section(sub, page)?;
    }
    Ok(())
}

fn environment_and_files() -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["ENVIRONMENT"]);
    let vars: [(&str, &str); 11] = [
        (
            "VEX_SERVER, VEX_USER, VEX_PROFILE",
            "Defaults for --server, --user and --profile.",
        ),
        (
            "VEX_PASSWORD",
            "The password (otherwise a profile's password_command, or a no-echo prompt or the login screen). \
             Read at start-up and scrubbed from the process's environment, like the two below.",
        ),
        (
            "VEX_RESTORE_PASSWORD",
            "The Exchange password of vex restore --restore-user.",
        ),
        ("VEX_CERT_PASSWORD", "The password of vex restore --cert."),
        ("VEX_LOG", "The log level or filter (--log-level)."),
        ("VEX_LOG_FILE", "The log file (--log-file)."),
        (
            "VEX_CONFIG_DIR",
            "Where config.toml is (default: $XDG_CONFIG_HOME/vex).",
        ),
        ("VEX_DATA_DIR", "Where known_servers is (default: $XDG_DATA_HOME/vex)."),
        (
            "VEX_STATE_DIR",
            "Where the log and the audit log are (default: $XDG_STATE_HOME/vex).",
        ),
        (
            "XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_STATE_HOME",
            "The base directories (default: ~/.config, ~/.local/share, ~/.local/state).",
        ),
        (
            "NO_COLOR",
            "When set and not empty, no colours (bold, reverse and underline only).",
        ),
    ];
    for (name, what) in vars {
        roff.control("TP", []);
        roff.text([bold(name)]);
        roff.text([roman(what)]);
    }
    roff.control("SH", ["FILES"]);
    roff.text([
        roman("Run "),
        bold("vex paths"),
        roman(
            " for the actual paths. config.toml (profiles, theme, mouse, key bindings) in the config \
             directory; known_servers (certificates trusted on first use) in the data directory; vex.log and \
             audit.jsonl (one line per export and send, two per restore: sent, then its outcome; without \
             secrets) in the state directory. Files that hold trust or mailbox data are created with mode 600, \
             directories with mode 700.",
        ),
    ]);
    roff
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `vex --help` says that `vex SUBCOMMAND --help` and `vex man` describe every flag: each argument of
    /// every command has a help line (found in a QA pass: `vex items --help` showed `--folder`, `--query`
    /// and `--offset` with nothing beside them, and `vex restore --help` its seven flags).
    #[test]
    fn every_argument_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in cmd.get_arguments() {
                let id = a.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                if a.get_help().is_none_or(|h| h.to_string().trim().is_empty()) {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "vex", &mut missing);
        assert!(missing.is_empty(), "arguments without help: {missing:#?}");
    }

    #[test]
    fn the_command_lines_are_consistent() {
        Cli::command().debug_assert();
        docs_command().debug_assert();
    }

    #[test]
    fn local_subcommands_refuse_connection_flags_and_scripting_ones_take_them() {
        let err = |args: &[&str]| Cli::try_parse_from(args).err().map(|e| e.kind());
        for sub in LOCAL {
            let args: &[&str] = match sub {
                "completions" => &["vex", "completions", "bash"],
                _ => &["vex", sub],
            };
            assert_eq!(err(args), None, "{args:?}");
            for flag in ["--server=x", "--insecure", "--json", "--read-only"] {
                let with: Vec<&str> = args.iter().copied().chain([flag]).collect();
                assert_eq!(err(&with), Some(ErrorKind::ArgumentConflict), "{with:?}");
            }
        }
        let cli = Cli::try_parse_from(["vex", "--server", "a", "sessions", "list", "--user", "u", "--json"]);
        assert!(cli.as_ref().is_ok_and(|c| c.connect.server.as_deref() == Some("a")
            && c.connect.user.as_deref() == Some("u")
            && c.output.json));
        let cli = Cli::try_parse_from(["vex", "--server", "a", "paths"]);
        assert!(cli.is_ok_and(|c| c.connect.server.as_deref() == Some("a")));
        // `vex demo` takes the API version and read-only mode, and refuses what it would ignore.
        assert_eq!(err(&["vex", "demo", "--api", "v6", "--read-only"]), None);
        for flag in [
            "--server=x",
            "--user=u",
            "--json",
            "--jsonl",
            "--pin=ab",
            "--insecure",
            "--profile=p",
        ] {
            assert_eq!(err(&["vex", "demo", flag]), Some(ErrorKind::ArgumentConflict), "{flag}");
        }
        // `vex sim --user` is the emulator's own flag.
        assert_eq!(err(&["vex", "sim", "--user", "x"]), None);
    }
}
