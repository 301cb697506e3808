//! `vex`: thin wiring of the CLI to the library.

mod cli;

use clap::Parser;
use cli::{Cli, Command, ConnectArgs};
use secrecy::SecretString;
use std::process::ExitCode;
use vex::api::tls::sha256;
use vex::api::{ApiVersion, Client, ClientConfig, Trust, VersionChoice};
use vex::app::panes::login::{LoginDialog, LoginTarget};
use vex::commands::{CmdError, EXIT_OTHER};
use vex::config::{Config, Paths};
use vex::connect::{ConnectError, ConnectSpec, TerminalPrompter};
use vex::runtime::TuiOptions;

fn main() -> ExitCode {
    // First, while this is the only thread: no core dumps, and the secret environment variables read and
    // scrubbed from the environment (before the tokio runtime starts its threads).
    vex::secrets::harden_process();
    vex::secrets::take_environment();
    vex::install_crypto_provider();
    let cli = Cli::parse();
    match cli.command {
        None | Some(Command::Demo(_)) => vex::heap::one_heap_arena(),
        Some(Command::Script(_)) => vex::heap::keep_freed_memory(),
        _ => {}
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("vex: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_OTHER);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if let Some(m) = e.message() {
                // Messages can quote the server: its control characters are shown, never executed.
                eprintln!("vex: {}", vex::text::sanitize_lines(&m).join("\n"));
            }
            ExitCode::from(e.exit_code())
        }
    }
}

async fn run(cli: Cli) -> Result<u8, CmdError> {
    let paths = Paths::from_env();
    let log_file = cli.log_file.clone().unwrap_or_else(|| paths.log_file());
    if let Err(e) = vex::logging::init(&log_file, &cli.log_level) {
        eprintln!("vex: {e} (continuing without a log)");
    }
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        build = env!("VEX_BUILD"),
        "vex starting"
    );
    match cli.command {
        Some(Command::Sim(args)) => vex::sim::run(*args)
            .await
            .map(|()| 0)
            .map_err(|e| CmdError::Other(e.to_string())),
        Some(Command::Paths) => {
            for (what, p) in paths.describe() {
                println!("{what:<14} {}", p.display());
            }
            Ok(0)
        }
        Some(Command::Completions(c)) => cli::completions(c.shell),
        Some(Command::Man) => cli::man(),
        Some(Command::Demo(d)) => demo(d, &cli.connect).await,
        Some(Command::Script(cmd)) => {
            vex::commands::check_ids(&cmd)?;
            let (client, spec) = connect(&cli.connect, &paths).await?;
            let code = vex::commands::run(&client, cmd, &cli.output, spec.read_only, &spec.tenant).await;
            vex::runtime::logout(&client).await;
            code
        }
        Some(Command::Batch(a)) => {
            use vex::batch::command as batch;
            if matches!(a.cmd, Some(batch::BatchCmd::Status)) {
                return batch::status(&paths.state_dir, cli.output.format());
            }
            // A plan with an error, or none, is refused before connecting, so before anything is sent.
            match &a.plan {
                Some(p) => {
                    batch::load_plan(p)?;
                }
                None => {
                    return Err(CmdError::Usage(
                        "vex batch PLAN.toml [--dry-run], or vex batch status".into(),
                    ));
                }
            }
            let (client, spec) = connect(&cli.connect, &paths).await?;
            let fmt = cli.output.format();
            let code = batch::run(&client, a, fmt, spec.read_only, &paths.state_dir, &paths.audit_log()).await;
            vex::runtime::logout(&client).await;
            code
        }
        None => tui(&cli.connect, &paths).await,
    }
}

/// The TUI against a server. Trust is settled on the terminal first (the TOFU question); the password
/// comes from its source or, when there is none and vex runs interactively, from the login screen.
async fn tui(args: &ConnectArgs, paths: &Paths) -> Result<u8, CmdError> {
    use std::io::IsTerminal;
    let spec = connect_spec(args, paths)?;
    let prefs = ui_prefs(paths)?;
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let header = |client: &Client| vex::app::HeaderInfo {
        server: spec.server.clone(),
        user: spec.user.clone(),
        api_version: client.version().map(|v| v.to_string()).unwrap_or_default(),
        read_only: spec.read_only,
        insecure: spec.insecure,
        plain_http: spec.is_plain_http(),
    };
    let r = if interactive && !vex::connect::has_password_source(&spec) {
        let client = vex::connect::client_for(&spec, paths, &mut TerminalPrompter)
            .await
            .map_err(|m| CmdError::Connect(ConnectError::Failed(m)))?;
        let target = LoginTarget {
            server: spec.server.clone(),
            api: spec.api,
        };
        let opts = TuiOptions {
            login: Some(LoginDialog::start(target, &spec.user)),
            connector: Some(connector(spec.clone(), paths.clone())),
            prefs,
            tenant: spec.tenant.clone(),
        };
        vex::runtime::run_tui_with(client.clone(), header(&client), opts).await
    } else {
        let (client, _) = connect(args, paths).await?;
        let opts = TuiOptions {
            prefs,
            tenant: spec.tenant.clone(),
            ..Default::default()
        };
        vex::runtime::run_tui_with(client.clone(), header(&client), opts).await
    };
    r.map_err(CmdError::Other)?;
    Ok(vex::runtime::stopped_by().map_or(0, |s| s.exit_code()))
}

/// Clients for another server or API version chosen on the login screen: same trust settings, no
/// questions (an unknown certificate is refused: review it by starting vex with that --server).
fn connector(spec: ConnectSpec, paths: Paths) -> vex::runtime::Connector {
    std::sync::Arc::new(move |t: LoginTarget| {
        let spec = ConnectSpec {
            server: t.server,
            api: t.api,
            ..spec.clone()
        };
        let paths = paths.clone();
        Box::pin(async move {
            // The same rules as on the command line (no plain http to another host, ...).
            spec.validate()?;
            vex::connect::client_for(&spec, &paths, &mut vex::connect::NoPrompter)
                .await
                .map_err(|m| {
                    if m.contains("was not trusted") {
                        format!(
                            "{m} (to review its certificate, start vex with --server {})",
                            spec.server
                        )
                    } else {
                        m
                    }
                })
        })
    })
}

fn connect_spec(args: &ConnectArgs, paths: &Paths) -> Result<ConnectSpec, CmdError> {
    let usage = |m: String| CmdError::Usage(m);
    let cfg_path = paths.config_file();
    let cfg = Config::load(&cfg_path).map_err(|e| usage(e.to_string()))?;
    let profile = cfg
        .profile(args.profile.as_deref(), &cfg_path)
        .map_err(|e| usage(e.to_string()))?;
    let flags = ConnectSpec {
        server: args.server.clone().unwrap_or_default(),
        user: args.user.clone().unwrap_or_default(),
        api: args.api.parse().map_err(usage)?,
        pin: args.pin.clone(),
        ca_file: args.ca_file.clone(),
        insecure: args.insecure,
        allow_plain_http: args.allow_plain_http,
        read_only: args.read_only,
        stall_timeout: args.stall_timeout,
        max_body_mb: args.max_body_mb,
        ..Default::default()
    };
    let spec = ConnectSpec::merge(flags, profile.as_ref()).map_err(usage)?;
    spec.validate().map_err(usage)?;
    spec.network_settings().map_err(usage)?;
    Ok(spec)
}

async fn connect(args: &ConnectArgs, paths: &Paths) -> Result<(Client, ConnectSpec), CmdError> {
    let spec = connect_spec(args, paths)?;
    let client = vex::connect::connect(&spec, paths, &mut TerminalPrompter)
        .await
        .map_err(CmdError::Connect)?;
    Ok((client, spec))
}

/// Keys, theme and mouse from config.toml; a bad entry stops vex before the terminal is taken, with the
/// file and the entry named (exit 2, like every config error).
fn ui_prefs(paths: &Paths) -> Result<vex::app::UiPrefs, CmdError> {
    let path = paths.config_file();
    let cfg = Config::load(&path).map_err(|e| CmdError::Usage(e.to_string()))?;
    vex::app::UiPrefs::from_config(&cfg).map_err(|e| CmdError::Usage(format!("{}: {e}", path.display())))
}

async fn demo(d: cli::DemoArgs, args: &ConnectArgs) -> Result<u8, CmdError> {
    let err = CmdError::Other;
    let prefs = ui_prefs(&Paths::from_env())?;
    let cfg = vex::sim::SimConfig {
        seed: d.seed,
        ..Default::default()
    };
    let (user, password) = (cfg.user.clone(), SecretString::from(cfg.password.clone()));
    let server = vex::sim::start(cfg)
        .await
        .map_err(|e| err(format!("cannot start the emulator: {e}")))?;
    let trust = match server.cert_der() {
        Some(der) => Trust::Pin(sha256(der)),
        None => Trust::System,
    };
    let version: VersionChoice = args.api.parse().map_err(CmdError::Usage)?;
    let client = Client::new(ClientConfig {
        version,
        trust,
        ..ClientConfig::new(server.base_url())
    })
    .map_err(|e| err(e.to_string()))?;
    client.login(&user, &password).await.map_err(|e| err(e.to_string()))?;
    let header = vex::app::HeaderInfo {
        server: format!("{} (demo)", server.base_url()),
        user,
        api_version: client.version().unwrap_or(ApiVersion::V8).to_string(),
        read_only: args.read_only,
        insecure: false,
        plain_http: false,
    };
    // Logs out on the way out.
    let opts = TuiOptions {
        prefs,
        ..Default::default()
    };
    let r = vex::runtime::run_tui_with(client, header, opts).await;
    server.shutdown().await;
    r.map(|()| 0).map_err(err)
}
