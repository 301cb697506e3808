//! From command-line flags and a profile to a logged-in client: trust (pin, CA, known servers with
//! trust on first use, or loudly insecure), the password source, and the login.
//!
//! Interactive questions (trust this certificate? password?) are asked on the terminal before the TUI
//! starts; `Prompter` abstracts them so tests can answer.

use crate::api::tls::{self, fingerprint_hex, parse_fingerprint};
use crate::api::{ApiError, Client, ClientConfig, Trust, VersionChoice};
use crate::config::known_servers::{KnownServers, TrustDecision, changed_message, server_key};
use crate::config::{Paths, Profile};
use secrecy::SecretString;

/// Everything needed to connect, after merging flags over the profile. `Debug` redacts the password.
#[derive(Clone, Default)]
pub struct ConnectSpec {
    pub server: String,
    pub user: String,
    pub api: VersionChoice,
    pub pin: Option<String>,
    pub ca_file: Option<std::path::PathBuf>,
    pub insecure: bool,
    /// Plain `http://` to a host that is not this machine was asked for explicitly.
    pub allow_plain_http: bool,
    pub read_only: bool,
    pub password_command: Option<String>,
    /// From a private config file only.
    pub profile_password: Option<String>,
    /// Restore and device-code defaults of the profile (region, organization, application).
    pub tenant: crate::restore_plan::TenantOptions,
    /// The stall timeout (`--stall-timeout`, `stall_timeout`), seconds.
    pub stall_timeout: Option<u64>,
    /// The cap on a JSON answer (`--max-body-mb`, `max_body_mb`), MiB.
    pub max_body_mb: Option<u64>,
}

impl std::fmt::Debug for ConnectSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectSpec")
            .field("server", &self.server)
            .field("user", &self.user)
            .field("api", &self.api)
            .field("pin", &self.pin)
            .field("ca_file", &self.ca_file)
            .field("insecure", &self.insecure)
            .field("allow_plain_http", &self.allow_plain_http)
            .field("read_only", &self.read_only)
            .field("tenant", &self.tenant)
            .field("password_command", &self.password_command.as_ref().map(|_| "[set]"))
            .field(
                "profile_password",
                &self.profile_password.as_ref().map(|_| "[REDACTED]"),
            )
            .field("stall_timeout", &self.stall_timeout)
            .field("max_body_mb", &self.max_body_mb)
            .finish()
    }
}

impl ConnectSpec {
    /// Flags win over the profile.
    pub fn merge(flags: ConnectSpec, profile: Option<&Profile>) -> Result<ConnectSpec, String> {
        let p = profile.cloned().unwrap_or_default();
        let tenant = tenant_of(&p)?;
        let server = non_empty(flags.server)
            .or(p.server)
            .ok_or("no server: give --server URL or a profile")?;
        let user = non_empty(flags.user)
            .or(p.user)
            .ok_or("no user: give --user NAME or a profile")?;
        let api = match (flags.api, p.api) {
            (VersionChoice::Auto, Some(a)) => a.parse()?,
            (a, _) => a,
        };
        Ok(ConnectSpec {
            server,
            user,
            api,
            pin: flags.pin.or(p.pin),
            ca_file: flags.ca_file.or(p.ca_file),
            insecure: flags.insecure || p.insecure,
            allow_plain_http: flags.allow_plain_http,
            read_only: flags.read_only || p.read_only,
            password_command: flags.password_command.or(p.password_command),
            profile_password: p.password,
            tenant,
            stall_timeout: flags.stall_timeout.or(p.stall_timeout),
            max_body_mb: flags.max_body_mb.or(p.max_body_mb),
        })
    }

    /// The client's timeouts and limits from `stall_timeout` and `max_body_mb` (0 is refused: it would make
    /// every call fail).
    pub fn network_settings(&self) -> Result<(crate::api::Timeouts, crate::api::BodyLimits), String> {
        let mut timeouts = crate::api::Timeouts::default();
        let mut limits = crate::api::BodyLimits::default();
        match self.stall_timeout {
            Some(0) => return Err("stall_timeout (--stall-timeout) must be at least 1 second".into()),
            Some(s) => timeouts.stall = std::time::Duration::from_secs(s.min(24 * 3600)),
            None => {}
        }
        match self.max_body_mb {
            Some(0) => return Err("max_body_mb (--max-body-mb) must be at least 1".into()),
            Some(mb) => limits.max_bytes = mb.min(1 << 20).saturating_mul(1 << 20),
            None => {}
        }
        Ok((timeouts, limits))
    }
}

/// The restore and device-code defaults of a profile; a bad value names its setting.
fn tenant_of(p: &Profile) -> Result<crate::restore_plan::TenantOptions, String> {
    let region = |key: &str, v: &Option<String>| {
        v.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| crate::restore_plan::parse_region(s).map_err(|e| format!("profile setting {key}: {e}")))
            .transpose()
    };
    let text = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_string();
    let t = crate::restore_plan::TenantOptions {
        office_region: region("office_region", &p.office_region)?,
        office_organization_name: text(&p.office_organization_name),
        target_application_id: text(&p.target_application_id),
        target_region: region("target_region", &p.target_region)?,
        target_organization_name: text(&p.target_organization_name),
    };
    t.validate().map_err(|e| format!("profile: {e}"))?;
    Ok(t)
}

/// What is wrong with a server URL or the trust flags, found before anything is sent (a usage error,
/// exit 2): a scheme other than `https://` or `http://`, no host, an unreadable pin or `--ca-file`, a pin
/// or CA with plain `http://` (there is no certificate to check), and plain `http://` to a host that is not
/// this machine unless `allow_plain_http`.
impl ConnectSpec {
    pub fn validate(&self) -> Result<(), String> {
        let url = url::Url::parse(self.server.trim()).map_err(|e| {
            format!(
                "--server {:?} is not a URL ({e}): give https://HOST:PORT, e.g. https://vb365.example.com:4443",
                self.server
            )
        })?;
        let plain = match url.scheme() {
            "https" => false,
            "http" => true,
            other => {
                return Err(format!(
                    "--server {:?}: the scheme {other:?} is not supported: give https://HOST:PORT",
                    self.server
                ));
            }
        };
        let Some(host) = url.host() else {
            return Err(format!("--server {:?} names no host", self.server));
        };
        if let Some(pin) = &self.pin {
            parse_fingerprint(pin).map_err(|e| format!("--pin {pin:?}: {e}"))?;
        }
        if let Some(ca) = &self.ca_file {
            std::fs::File::open(ca).map_err(|e| format!("--ca-file {}: {e}", ca.display()))?;
        }
        if plain {
            if self.pin.is_some() {
                return Err(format!(
                    "--pin does not apply to plain http ({}): there is no certificate to pin. Use https://",
                    self.server
                ));
            }
            if self.ca_file.is_some() {
                return Err(format!(
                    "--ca-file does not apply to plain http ({}): there is no certificate to check. Use https://",
                    self.server
                ));
            }
            if !is_loopback(&host) && !self.allow_plain_http {
                return Err(format!(
                    "refusing plain http to {host}: the password, the tokens and every mailbox item would cross \
                     the network UNENCRYPTED. Use https://, or give --allow-plain-http if you really mean it"
                ));
            }
        }
        Ok(())
    }

    /// Plain `http://`: nothing is encrypted.
    pub fn is_plain_http(&self) -> bool {
        self.server.trim().to_ascii_lowercase().starts_with("http://")
    }
}

/// This machine: `localhost`, 127.0.0.0/8, `::1` (the emulator, a tunnel's local end).
fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost"),
        url::Host::Ipv4(a) => a.is_loopback(),
        url::Host::Ipv6(a) => a.is_loopback(),
    }
}

/// The warning for plain `http://`, as loud as the one for `--insecure`.
pub const PLAIN_HTTP_WARNING: &str = "WARNING: plain http: NOTHING is encrypted; the password, the tokens and every \
     mailbox item cross the network in clear text, and anyone on the path can read and change this session.";

fn non_empty(s: String) -> Option<String> {
    if s.trim().is_empty() { None } else { Some(s) }
}

/// Questions asked outside the TUI.
pub trait Prompter {
    /// Shows `text` and asks yes/no; the default is no.
    fn confirm(&mut self, text: &str) -> bool;
    /// Whether a person can be asked at all (a terminal is there).
    fn can_ask(&mut self) -> bool {
        true
    }
    fn password(&mut self, label: &str) -> Result<SecretString, String>;
    fn warn(&mut self, text: &str);
}

/// The real terminal.
pub struct TerminalPrompter;

impl Prompter for TerminalPrompter {
    /// Asks on the controlling terminal (`/dev/tty`), never on standard input: `echo y | vex ...` must not
    /// answer a trust question. Without a terminal the answer is no.
    fn confirm(&mut self, text: &str) -> bool {
        use std::io::{BufRead, Write};
        let Some(tty) = open_tty() else {
            return false;
        };
        let mut out = &tty;
        if write!(out, "{text} [y/N] ").and_then(|()| out.flush()).is_err() {
            return false;
        }
        let mut line = String::new();
        if std::io::BufReader::new(&tty).read_line(&mut line).is_err() {
            return false;
        }
        matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
    }
    fn can_ask(&mut self) -> bool {
        open_tty().is_some()
    }
    fn password(&mut self, label: &str) -> Result<SecretString, String> {
        crate::secrets::prompt(label)
    }
    fn warn(&mut self, text: &str) {
        eprintln!("{text}");
    }
}

/// The controlling terminal, read and write; `None` without one (cron, a pipe under `setsid`, CI).
fn open_tty() -> Option<std::fs::File> {
    std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty").ok()
}

/// For use while the TUI owns the terminal: nothing can be asked, so an unknown certificate is not
/// trusted (the TOFU question is asked on the terminal before the TUI starts, for the server given on
/// the command line).
pub struct NoPrompter;

impl Prompter for NoPrompter {
    fn confirm(&mut self, text: &str) -> bool {
        tracing::warn!(question = text, "cannot ask while the TUI runs: answered no");
        false
    }
    fn can_ask(&mut self) -> bool {
        false
    }
    fn password(&mut self, _label: &str) -> Result<SecretString, String> {
        Err("cannot ask for a password here".into())
    }
    fn warn(&mut self, text: &str) {
        tracing::warn!("{text}");
    }
}

/// Decides how to trust the server: explicit flags first, then the known-servers file, then a probe
/// with trust on first use.
pub async fn resolve_trust<P: Prompter + ?Sized>(
    spec: &ConnectSpec,
    paths: &Paths,
    prompt: &mut P,
) -> Result<Trust, String> {
    if spec.is_plain_http() {
        // Refused earlier for a host that is not this machine (see `ConnectSpec::validate`).
        prompt.warn(PLAIN_HTTP_WARNING);
        return Ok(Trust::System);
    }
    if spec.insecure {
        prompt.warn("WARNING: --insecure: the server certificate is NOT verified; anyone on the path can read and change this session.");
        return Ok(Trust::Insecure);
    }
    if let Some(pin) = &spec.pin {
        return parse_fingerprint(pin)
            .map(Trust::Pin)
            .map_err(|e| format!("--pin {pin:?}: {e}"));
    }
    if let Some(ca) = &spec.ca_file {
        let pem = std::fs::read(ca).map_err(|e| format!("--ca-file {}: {e}", ca.display()))?;
        return Ok(Trust::CaPem(pem));
    }
    if !spec.server.starts_with("https://") {
        return Ok(Trust::System);
    }
    let key = server_key(&spec.server).ok_or_else(|| format!("cannot read host and port from {:?}", spec.server))?;
    let mut known = KnownServers::load(&paths.known_servers_file())?;
    // A certificate the system trusts needs nothing more (but a known pin still wins).
    if let Some(stored) = known.get(&key) {
        let presented = tls::probe_certificate(&spec.server).await.map_err(|e| e.to_string())?;
        return match known.check(&key, &presented.sha256) {
            TrustDecision::Known => Ok(Trust::Pin(stored)),
            TrustDecision::Changed { stored, presented } => Err(changed_message(&key, &stored, &presented)),
            TrustDecision::Unknown => Ok(Trust::Pin(stored)),
        };
    }
    let probe = Client::new(ClientConfig {
        trust: Trust::System,
        ..ClientConfig::new(spec.server.clone())
    })
    .map_err(|e| e.to_string())?;
    match probe.detect_version().await {
        Ok(_) => return Ok(Trust::System),
        Err(ApiError::Tls(_)) => {}
        Err(e) => return Err(e.to_string()),
    }
    let presented = tls::probe_certificate(&spec.server).await.map_err(|e| e.to_string())?;
    if !prompt.can_ask() {
        let fp = fingerprint_hex(&presented.sha256);
        return Err(format!(
            "the certificate of {key} is not trusted by this system, and there is no terminal to ask whether to \
             trust it (the question is never answered from standard input); nothing was stored or sent.\n  \
             SHA-256: {fp}\nCompare it with the one on the server (e.g. in the VB365 console); to trust it, \
             give --pin {fp} (or pin = \"{fp}\" in a profile), or run vex once on a terminal."
        ));
    }
    let text = format!(
        "The certificate of {key} is not trusted by this system.\n  SHA-256: {}\nCompare it with the one on the server (e.g. in the VB365 console) before you trust it.\nTrust it and remember it for {key}?",
        fingerprint_hex(&presented.sha256)
    );
    if !prompt.confirm(&text) {
        return Err(format!("the certificate of {key} was not trusted; nothing was sent"));
    }
    known.remember(&key, presented.sha256)?;
    Ok(Trust::Pin(presented.sha256))
}

/// The password: VEX_PASSWORD, the profile's password_command, a private profile password, or a prompt.
pub fn resolve_password(spec: &ConnectSpec, prompt: &mut dyn Prompter) -> Result<SecretString, String> {
    if let Some(p) = crate::secrets::from_env() {
        return Ok(p);
    }
    if let Some(cmd) = &spec.password_command {
        return crate::secrets::from_command(cmd);
    }
    if let Some(p) = &spec.profile_password {
        return Ok(SecretString::from(p.clone()));
    }
    prompt.password(&format!("Password for {} at {}: ", spec.user, spec.server))
}

/// True when a password comes without asking: `VEX_PASSWORD`, a `password_command`, a profile password.
pub fn has_password_source(spec: &ConnectSpec) -> bool {
    crate::secrets::from_env().is_some() || spec.password_command.is_some() || spec.profile_password.is_some()
}

/// Resolves trust (asking with `prompt` on first use) and builds the client, without logging in.
pub async fn client_for<P: Prompter + ?Sized>(
    spec: &ConnectSpec,
    paths: &Paths,
    prompt: &mut P,
) -> Result<Client, String> {
    let (timeouts, limits) = spec.network_settings()?;
    let trust = resolve_trust(spec, paths, prompt).await?;
    Client::new(ClientConfig {
        version: spec.api,
        trust,
        timeouts,
        limits,
        ..ClientConfig::new(spec.server.clone())
    })
    .map_err(|e| e.to_string())
}

/// Builds the client and logs in; a refused password is asked again (up to three times) when it came
/// from the prompt.
/// Why [`connect`] failed, typed by what it means for the exit code (no message text is inspected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectError {
    /// The server answered and refused the user name or password (exit 3, "authentication").
    Refused(String),
    /// vex did not get as far as an answer on the credentials: settings, trust, TLS, the network, the
    /// password source (exit 6, "network").
    Failed(String),
}

impl ConnectError {
    /// The process exit code this failure means (`vex --help` lists them).
    pub fn exit_code(&self) -> u8 {
        match self {
            ConnectError::Refused(_) => crate::commands::EXIT_AUTH,
            ConnectError::Failed(_) => crate::commands::EXIT_NETWORK,
        }
    }

    /// What the operator is told.
    pub fn message(&self) -> &str {
        match self {
            ConnectError::Refused(m) | ConnectError::Failed(m) => m,
        }
    }

    pub fn into_message(self) -> String {
        match self {
            ConnectError::Refused(m) | ConnectError::Failed(m) => m,
        }
    }
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for ConnectError {}

impl From<String> for ConnectError {
    fn from(m: String) -> Self {
        ConnectError::Failed(m)
    }
}

impl From<ApiError> for ConnectError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Auth(_) => ConnectError::Refused(e.to_string()),
            e => ConnectError::Failed(e.to_string()),
        }
    }
}

pub async fn connect(spec: &ConnectSpec, paths: &Paths, prompt: &mut dyn Prompter) -> Result<Client, ConnectError> {
    let client = client_for(spec, paths, prompt).await?;
    let from_prompt = !has_password_source(spec);
    // Decided before the password is read (reading VEX_PASSWORD may take it out of the environment).
    let from_command = crate::secrets::from_env().is_none() && spec.password_command.is_some();
    let mut tries = 0;
    loop {
        let password = resolve_password(spec, prompt)?;
        match client.login(&spec.user, &password).await {
            Ok(()) => {
                // The same source again for a fresh login when a token refresh is lost: the command is run
                // again (a rotated password is picked up); any other password is kept, as a secret, for the
                // client's life.
                let source: crate::api::PasswordSource = match (&spec.password_command, from_command) {
                    (Some(cmd), true) => {
                        let cmd = cmd.clone();
                        std::sync::Arc::new(move || crate::secrets::from_command(&cmd))
                    }
                    _ => std::sync::Arc::new(move || Ok(password.clone())),
                };
                client.set_password_source(&spec.user, source);
                return Ok(client);
            }
            Err(ApiError::Auth(m)) if from_prompt && tries < 2 => {
                tries += 1;
                prompt.warn(&format!("login refused: {m}"));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_this_machine_unless_allowed() {
        let spec = |server: &str, allow: bool| ConnectSpec {
            server: server.into(),
            allow_plain_http: allow,
            ..Default::default()
        };
        for ok in [
            "http://127.0.0.1:4443",
            "http://127.8.9.10",
            "http://localhost:8080",
            "http://[::1]:4443",
            "https://vb365.example.com:4443",
            "HTTPS://VB365:4443",
        ] {
            assert_eq!(spec(ok, false).validate(), Ok(()), "{ok}");
        }
        for refused in [
            "http://vb365.example.com:4443",
            "http://10.0.0.5",
            "http://[2001:db8::1]",
        ] {
            let e = spec(refused, false).validate().unwrap_err();
            assert!(
                e.contains("--allow-plain-http") && e.contains("UNENCRYPTED"),
                "{refused}: {e}"
            );
            assert_eq!(
                spec(refused, true).validate(),
                Ok(()),
                "{refused} with --allow-plain-http"
            );
        }
        for bad in ["ftp://h:21", "vb365:4443", "vb365.example.com", "", "https://"] {
            assert!(spec(bad, true).validate().is_err(), "{bad}");
        }
        let pinned = ConnectSpec {
            pin: Some("ab".repeat(32)),
            ..spec("http://127.0.0.1:1", false)
        };
        assert!(pinned.validate().unwrap_err().contains("--pin"));
        let bad_pin = ConnectSpec {
            pin: Some("zz".into()),
            ..spec("https://h:1", false)
        };
        assert!(bad_pin.validate().unwrap_err().contains("--pin"));
    }

    #[test]
    fn flags_win_over_the_profile_and_debug_hides_the_password() {
        let profile = Profile {
            server: Some("https://p:4443".into()),
            user: Some("puser".into()),
            api: Some("v7".into()),
            password: Some("profile-secret-pw".into()),
            read_only: true,
            ..Default::default()
        };
        let flags = ConnectSpec {
            user: "flaguser".into(),
            ..Default::default()
        };
        let s = ConnectSpec::merge(flags, Some(&profile)).unwrap();
        assert_eq!((s.server.as_str(), s.user.as_str()), ("https://p:4443", "flaguser"));
        assert_eq!(s.api, "v7".parse().unwrap());
        assert!(s.read_only);
        assert!(!format!("{s:?}").contains("profile-secret-pw"));
        assert!(
            ConnectSpec::merge(ConnectSpec::default(), None)
                .unwrap_err()
                .contains("--server")
        );
    }
}
