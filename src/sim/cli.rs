//! `vex sim`: run the emulator in the foreground.

use super::{SimConfig, SimError, VERSIONS, start};
use std::net::SocketAddr;
use std::time::Duration;

/// Run the VB365 REST API emulator (Exchange restore subset of v6, v7 and v8).
#[derive(Clone, Debug, clap::Args)]
pub struct SimArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4443")]
    pub listen: SocketAddr,
    /// Serve plain HTTP instead of HTTPS with a self-signed certificate generated at start.
    #[arg(long)]
    pub plain: bool,
    /// User name the emulator accepts on POST /vN/token.
    #[arg(long, value_name = "NAME", default_value = "vex")]
    pub user: String,
    /// Password the emulator accepts on POST /vN/token.
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "VEX_SIM_PASSWORD",
        default_value = "vex-demo-password",
        hide_env_values = true
    )]
    pub password: String,
    /// Seed of the generated organizations, mailboxes and items (same seed, same data).
    #[arg(long, value_name = "N", default_value_t = 42)]
    pub seed: u64,
    /// Access token lifetime in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub token_ttl: u64,
    /// How long an asynchronous v8 restore takes, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1500)]
    pub v8_restore_ms: u64,
}

impl SimArgs {
    pub fn config(&self) -> SimConfig {
        SimConfig {
            listen: self.listen,
            tls: !self.plain,
            user: self.user.clone(),
            password: self.password.clone(),
            seed: self.seed,
            token_ttl: Duration::from_secs(self.token_ttl.max(1)),
            v8_restore_duration: Duration::from_millis(self.v8_restore_ms),
            ..SimConfig::default()
        }
    }
}

async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = s.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Starts the emulator, prints how to reach it, and runs until Ctrl-C or SIGTERM.
pub async fn run(args: SimArgs) -> Result<(), SimError> {
    let cfg = args.config();
    let server = start(cfg.clone()).await?;
    let versions: Vec<String> = VERSIONS.iter().map(|v| format!("v{v}")).collect();
    println!("vex sim: VB365 REST API emulator listening on {}", server.base_url());
    println!(
        "  versions:    {} (e.g. {}/v8/ServiceInstance)",
        versions.join(", "),
        server.base_url()
    );
    println!("  user:        {}", cfg.user);
    println!("  password:    {}", cfg.password);
    println!("  seed:        {}", cfg.seed);
    match (server.fingerprint_sha256(), server.cert_pem()) {
        (Some(fp), Some(pem)) => {
            println!("  certificate: self-signed, SHA-256 {fp}");
            println!("  (for curl --cacert or a CA file, save this PEM:)");
            print!("{pem}");
            if !pem.ends_with('\n') {
                println!();
            }
        }
        _ => println!("  certificate: none (plain HTTP)"),
    }
    println!("Press Ctrl-C to stop.");
    terminated().await;
    println!("vex sim: stopping");
    server.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        sim: SimArgs,
    }

    #[test]
    fn defaults() {
        let c = Cli::parse_from(["sim"]).sim.config();
        assert_eq!(c.listen.to_string(), "127.0.0.1:4443");
        assert!(c.tls);
        assert_eq!(c.seed, 42);
        assert_eq!(c.token_ttl, Duration::from_secs(3600));
        let c = Cli::parse_from(["sim", "--plain", "--listen", "0.0.0.0:0", "--v8-restore-ms", "200"])
            .sim
            .config();
        assert!(!c.tls);
        assert_eq!(c.v8_restore_duration, Duration::from_millis(200));
    }
}
