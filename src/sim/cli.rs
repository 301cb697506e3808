//! `vex sim`: run the emulator in the foreground.

use super::faults::{Faults, Malformation, ResetAfterApply, SlowBody, Throttle, parse_rate};
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
    /// Issue the server certificate from a generated CA (printed at start, for --ca-file) instead of
    /// self-signing it.
    #[arg(long = "tls-ca", conflicts_with = "plain")]
    pub tls_ca: bool,
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
    /// Serve the second organization (fabrikam.onmicrosoft.com) with N mailboxes instead of 50, e.g. 5000 for an
    /// incident-scale batch (names drawn from the seed, the same N giving the same mailboxes; listed in
    /// pages like every list).
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u16).range(i64::from(super::data::MIN_MAILBOXES)..=i64::from(super::data::MAX_MAILBOXES)))]
    pub mailboxes: Option<u16>,

    // ---- a real server's ways ----
    /// Vary the answers as the spec allows a real server to, deterministically for SEED: optional fields
    /// left out, nullable fields null (totalCount on v6/v7 too), numbers and booleans as JSON strings where
    /// the spec's examples have them, absolute _links, 429 with Retry-After on any route now and then,
    /// restores that take time in proportion to their items (v6/v7: the answer comes later; v8: the
    /// session stays Running longer).
    #[arg(long, value_name = "SEED", help_heading = "Real-server behaviour")]
    pub vary: Option<u64>,
    /// With --vary: the share of requests answered 429 (0..1, default 0.02).
    #[arg(long, value_name = "F", value_parser = parse_rate, requires = "vary", help_heading = "Real-server behaviour")]
    pub vary_throttle: Option<f64>,
    /// Serve at most N rows per page whatever `limit` asks; the answer's `limit` says how many were served.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), help_heading = "Real-server behaviour")]
    pub max_page: Option<u32>,
    /// Bind query parameters leniently, unlike the real server: accept offset/limit above 2147483647 and
    /// give organizations their backup times whatever extendedView says. By default (strict) those are
    /// 400s, and GET Organizations honours extendedView (v7/v8 default false: no backup times; v6:
    /// required). Path ids and body GUIDs, case-insensitive body names and 415 for non-JSON bodies always
    /// apply.
    #[arg(long, help_heading = "Real-server behaviour")]
    pub lenient: bool,
    /// Seconds a client may take to send a request's headers (or keep an idle connection) before the
    /// connection is closed.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 120,
        help_heading = "Real-server behaviour"
    )]
    pub header_timeout: u64,
    /// Seconds a client may take to send a request's body before it is answered 408.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 30,
        help_heading = "Real-server behaviour"
    )]
    pub body_timeout: u64,

    // ---- fault injection (API routes only; see `--fault-route`) ----
    /// Delay each request by N ms plus up to JITTER ms more, uniformly drawn (e.g. 50,200).
    #[arg(long, value_name = "N[,JITTER]", value_parser = parse_latency, help_heading = "Faults")]
    pub latency_ms: Option<(u64, u64)>,
    /// Answer this fraction of requests with a 5xx and a RESTExceptionInfo body (0..1).
    #[arg(long, value_name = "F", value_parser = parse_rate, default_value_t = 0.0, help_heading = "Faults")]
    pub fault_rate: f64,
    /// Drop the connection on this fraction of requests, before the response or in the middle of its body.
    #[arg(long, value_name = "F", value_parser = parse_rate, default_value_t = 0.0, help_heading = "Faults")]
    pub reset_rate: f64,
    /// Cut this fraction of bodies short: the full Content-Length is announced, part of the body is sent.
    #[arg(long, value_name = "F", value_parser = parse_rate, default_value_t = 0.0, help_heading = "Faults")]
    pub truncate_rate: f64,
    /// Damage this fraction of 2xx bodies (bad JSON, wrong types, nulls, unknown enums, ...).
    #[arg(long, value_name = "F", value_parser = parse_rate, default_value_t = 0.0, help_heading = "Faults")]
    pub malformed_rate: f64,
    /// Only these kinds of damage (comma-separated): truncated-json, html, empty, wrong-types, nulls,
    /// unknown-enums, unknown-item-class, wrong-shape, deep-nesting, huge-numbers, json-instead-of-bytes.
    #[arg(long, value_name = "KIND,...", value_delimiter = ',', help_heading = "Faults")]
    pub malformed_kind: Vec<Malformation>,
    /// Let response bodies trickle, at about this many bytes per second (default 20000).
    #[arg(long, value_name = "BYTES_PER_SEC", num_args = 0..=1, help_heading = "Faults")]
    pub slow_body: Option<Option<u64>>,
    /// Throttle POST /token with 429 and Retry-After: N lets only every N-th call pass (default 2: every
    /// other call), a fraction like 0.3 throttles that share of calls at random.
    #[arg(long, value_name = "N|F", num_args = 0..=1, help_heading = "Faults")]
    pub throttle_token: Option<Option<Throttle>>,
    /// The Retry-After of a throttled /token, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 1, help_heading = "Faults")]
    pub throttle_retry_after: u64,
    /// Apply restore POSTs, then drop the connection before answering (all of them, or the first N).
    #[arg(long, value_name = "N", num_args = 0..=1, help_heading = "Faults")]
    pub reset_after_apply: Option<Option<u32>>,
    /// Apply token refreshes, then drop the connection before answering (all of them, or the first N): the
    /// client's refresh is lost and its refresh token spent.
    #[arg(long, value_name = "N", num_args = 0..=1, help_heading = "Faults")]
    pub lose_refresh: Option<Option<u32>>,
    /// Make matching GET answers too much (hostile server): rows=N (a page of N rows whatever the limit),
    /// strings=BYTES[xCOUNT] (the first COUNT strings, default 3, made BYTES long), depth=N (a field of N
    /// nested arrays).
    #[arg(long, value_name = "KIND=N", help_heading = "Faults")]
    pub flood: Option<super::flood::Flood>,
    /// Answer matching requests with 307 Temporary Redirect to this base URL (path and query appended).
    #[arg(long, value_name = "URL", help_heading = "Faults")]
    pub redirect_to: Option<String>,
    /// Limit the rate faults, latency and slow bodies to matching requests (repeatable): a case-insensitive
    /// substring of the path, optionally after a method, with * wildcards and a final $ anchoring at the
    /// end ("items", "GET folders", "POST restoreTo", "mailboxes/*/items", "GET /items$").
    #[arg(long, value_name = "PATTERN", help_heading = "Faults")]
    pub fault_route: Vec<String>,
    /// Seed of the fault decisions (default: --seed).
    #[arg(long, value_name = "N", help_heading = "Faults")]
    pub fault_seed: Option<u64>,
}

fn parse_latency(s: &str) -> Result<(u64, u64), String> {
    let (base, jitter) = match s.split_once(',') {
        Some((b, j)) => (b, j),
        None => (s, "0"),
    };
    let num = |x: &str| {
        x.trim()
            .parse::<u64>()
            .map_err(|_| format!("{s:?}: give milliseconds as N or N,JITTER (e.g. 50,200)"))
    };
    Ok((num(base)?, num(jitter)?))
}

impl SimArgs {
    pub fn config(&self) -> SimConfig {
        SimConfig {
            listen: self.listen,
            tls: !self.plain,
            user: self.user.clone(),
            password: self.password.clone(),
            seed: self.seed,
            mailboxes: self.mailboxes,
            token_ttl: Duration::from_secs(self.token_ttl.max(1)),
            v8_restore_duration: Duration::from_millis(self.v8_restore_ms),
            faults: self.faults(),
            tls_ca: self.tls_ca,
            vary: self.vary.map(|seed| {
                let mut v = super::Vary::new(seed);
                if let Some(rate) = self.vary_throttle {
                    v.throttle_rate = rate;
                }
                v
            }),
            max_page: self.max_page,
            strict: !self.lenient,
            header_read_timeout: Duration::from_secs(self.header_timeout.max(1)),
            body_read_timeout: Duration::from_secs(self.body_timeout.max(1)),
        }
    }

    /// The faults the flags ask for.
    pub fn faults(&self) -> Faults {
        let (latency, jitter) = match self.latency_ms {
            Some((base, jitter)) => (Some(Duration::from_millis(base)), Duration::from_millis(jitter)),
            None => (None, Duration::ZERO),
        };
        Faults {
            seed: self.fault_seed.unwrap_or(self.seed),
            routes: self.fault_route.clone(),
            latency,
            latency_jitter: jitter,
            fault_rate: self.fault_rate,
            fault_statuses: Vec::new(),
            reset_rate: self.reset_rate,
            truncate_rate: self.truncate_rate,
            malformed_rate: self.malformed_rate,
            malformations: self.malformed_kind.clone(),
            slow_body: self
                .slow_body
                .map(|rate| SlowBody::bytes_per_sec(rate.unwrap_or(20_000).max(1))),
            throttle_token: self.throttle_token.map(|t| t.unwrap_or(Throttle::Every(2))),
            throttle_restores: None,
            throttle_retry_after: Duration::from_secs(self.throttle_retry_after),
            reset_after_apply: match self.reset_after_apply {
                None => ResetAfterApply::Off,
                Some(None) => ResetAfterApply::All,
                Some(Some(n)) => ResetAfterApply::First(n),
            },
            flood: self.flood,
            redirect_to: self.redirect_to.clone(),
            lose_refresh: match self.lose_refresh {
                None => ResetAfterApply::Off,
                Some(None) => ResetAfterApply::All,
                Some(Some(n)) => ResetAfterApply::First(n),
            },
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

/// `println!` that ignores a closed or broken stdout: the emulator keeps serving when whoever read its
/// banner (a test harness, `| head`) has gone away, instead of panicking on EPIPE.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!` that ignores a closed or broken stdout.
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
        let _ = std::io::stdout().flush();
    }};
}

/// Starts the emulator, prints how to reach it, and runs until Ctrl-C or SIGTERM.
pub async fn run(args: SimArgs) -> Result<(), SimError> {
    let cfg = args.config();
    let server = start(cfg.clone()).await?;
    let versions: Vec<String> = VERSIONS.iter().map(|v| format!("v{v}")).collect();
    say!("vex sim: VB365 REST API emulator listening on {}", server.base_url());
    say!(
        "  versions:    {} (e.g. {}/v8/ServiceInstance)",
        versions.join(", "),
        server.base_url()
    );
    say!("  user:        {}", cfg.user);
    say!("  password:    {}", cfg.password);
    say!("  seed:        {}", cfg.seed);
    if let Some(v) = &cfg.vary {
        say!("  varied:      {}", v.describe());
    }
    if let Some(n) = cfg.max_page {
        say!("  max page:    {n} rows");
    }
    if !cfg.strict {
        say!("  lenient:     64-bit offset/limit, extendedView ignored");
    }
    let faults = cfg.faults.describe();
    if !faults.is_empty() {
        say!("  faults:      {}", faults[0]);
        for line in &faults[1..] {
            say!("               {line}");
        }
    }
    match (server.fingerprint_sha256(), server.ca_pem().or(server.cert_pem())) {
        (Some(fp), Some(pem)) => {
            let kind = if server.ca_pem().is_some() {
                "issued by a generated CA"
            } else {
                "self-signed"
            };
            say!("  certificate: {kind}, SHA-256 {fp}");
            say!("  (for curl --cacert or a CA file, save this PEM:)");
            say_raw!("{pem}");
            if !pem.ends_with('\n') {
                say!("");
            }
        }
        _ => say!("  certificate: none (plain HTTP)"),
    }
    say!("Press Ctrl-C to stop.");
    terminated().await;
    say!("vex sim: stopping");
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
        assert!(c.faults.is_none());
        assert_eq!((c.vary.clone(), c.max_page, c.strict), (None, None, true));
        let c = Cli::parse_from([
            "sim",
            "--vary",
            "7",
            "--max-page",
            "3",
            "--lenient",
            "--vary-throttle",
            "0.5",
        ])
        .sim
        .config();
        let v = c.vary.expect("--vary");
        assert_eq!((v.seed, v.throttle_rate), (7, 0.5));
        assert_eq!((c.max_page, c.strict), (Some(3), false));
        for bad in [
            &["sim", "--max-page", "0"][..],
            &["sim", "--vary", "x"],
            &["sim", "--vary-throttle", "0.1"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fault_flags() {
        let c = Cli::parse_from([
            "sim",
            "--latency-ms",
            "50,200",
            "--fault-rate",
            "0.2",
            "--reset-rate",
            "0.05",
            "--truncate-rate",
            "0.01",
            "--malformed-rate",
            "0.5",
            "--malformed-kind",
            "nulls,wrong-types",
            "--slow-body",
            "--throttle-token",
            "--reset-after-apply",
            "--fault-route",
            "items",
            "--fault-route",
            "GET folders",
            "--seed",
            "7",
        ])
        .sim
        .config();
        let f = &c.faults;
        assert_eq!(f.latency, Some(Duration::from_millis(50)));
        assert_eq!(f.latency_jitter, Duration::from_millis(200));
        assert_eq!(
            (f.fault_rate, f.reset_rate, f.truncate_rate, f.malformed_rate),
            (0.2, 0.05, 0.01, 0.5)
        );
        assert_eq!(
            f.malformations,
            [Malformation::NullsEverywhere, Malformation::WrongTypes]
        );
        assert_eq!(f.slow_body, Some(SlowBody::bytes_per_sec(20_000)));
        assert_eq!(f.throttle_token, Some(Throttle::Every(2)));
        assert_eq!(f.throttle_retry_after, Duration::from_secs(1));
        assert_eq!(f.reset_after_apply, ResetAfterApply::All);
        assert_eq!(f.routes, ["items", "GET folders"]);
        assert_eq!(f.seed, 7);
        let f = Cli::parse_from([
            "sim",
            "--throttle-token",
            "0.3",
            "--reset-after-apply",
            "1",
            "--slow-body",
            "1000",
            "--latency-ms",
            "10",
            "--fault-seed",
            "99",
        ])
        .sim
        .faults();
        assert_eq!(f.throttle_token, Some(Throttle::Rate(0.3)));
        assert_eq!(f.reset_after_apply, ResetAfterApply::First(1));
        assert_eq!(f.slow_body.map(|s| s.chunk), Some(20));
        assert_eq!(
            (f.latency, f.latency_jitter),
            (Some(Duration::from_millis(10)), Duration::ZERO)
        );
        assert_eq!(f.seed, 99);
        for bad in [
            &["sim", "--fault-rate", "1.5"][..],
            &["sim", "--reset-rate", "x"],
            &["sim", "--latency-ms", "a,b"],
            &["sim", "--malformed-kind", "bogus"],
            &["sim", "--throttle-token", "0"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }
}
