//! Connecting safely, over HTTPS against the emulator: untrusted certificates are refused by default,
//! accepted by pin and by trust on first use (remembered in known_servers), and a changed certificate
//! after TOFU is refused with both fingerprints shown.

use secrecy::SecretString;
use vex::api::tls::{fingerprint_hex, sha256};
use vex::api::{Trust, VersionChoice};
use vex::config::Paths;
use vex::config::known_servers::{KnownServers, server_key};
use vex::connect::{ConnectError, ConnectSpec, Prompter, connect, resolve_trust};
use vex::sim::{SimConfig, SimServer};

struct Scripted {
    answer: bool,
    asked: Vec<String>,
    warned: Vec<String>,
    password: String,
}

impl Prompter for Scripted {
    fn confirm(&mut self, text: &str) -> bool {
        self.asked.push(text.to_string());
        self.answer
    }
    fn password(&mut self, _label: &str) -> Result<SecretString, String> {
        Ok(SecretString::from(self.password.clone()))
    }
    fn warn(&mut self, text: &str) {
        self.warned.push(text.to_string());
    }
}

async fn https_sim() -> (SimServer, SimConfig) {
    vex::install_crypto_provider();
    let cfg = SimConfig::default();
    let server = vex::sim::start(cfg.clone()).await.expect("emulator");
    (server, cfg)
}

fn spec(server: &SimServer, cfg: &SimConfig) -> ConnectSpec {
    ConnectSpec {
        server: server.base_url().to_string(),
        user: cfg.user.clone(),
        api: VersionChoice::Auto,
        ..Default::default()
    }
}

fn prompter(answer: bool, cfg: &SimConfig) -> Scripted {
    Scripted {
        answer,
        asked: vec![],
        warned: vec![],
        password: cfg.password.clone(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn trust_on_first_use_then_known_then_changed() {
    let (server, cfg) = https_sim().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = Paths::under(dir.path());
    let der = server.cert_der().expect("TLS").to_vec();
    let fp = sha256(&der);

    // Declined: refused, nothing stored, nothing sent but the probe.
    let mut p = prompter(false, &cfg);
    let e = resolve_trust(&spec(&server, &cfg), &paths, &mut p).await.unwrap_err();
    assert!(e.contains("not trusted"), "{e}");
    assert_eq!(p.asked.len(), 1);
    assert!(
        p.asked[0].contains(&fingerprint_hex(&fp)),
        "the question shows the fingerprint"
    );
    assert!(!paths.known_servers_file().exists());

    // Accepted: remembered and used as a pin; the login works.
    let mut p = prompter(true, &cfg);
    let client = connect(&spec(&server, &cfg), &paths, &mut p)
        .await
        .expect("TOFU connect");
    assert!(client.is_logged_in().await);
    let key = server_key(server.base_url()).expect("key");
    let known = KnownServers::load(&paths.known_servers_file()).expect("load");
    assert_eq!(known.get(&key), Some(fp));

    // Known: no question the second time.
    let mut p = prompter(false, &cfg);
    let t = resolve_trust(&spec(&server, &cfg), &paths, &mut p)
        .await
        .expect("known");
    assert_eq!(t, Trust::Pin(fp));
    assert!(p.asked.is_empty());

    // Changed: the stored fingerprint differs from the presented one → refused, both shown.
    let mut known = KnownServers::load(&paths.known_servers_file()).expect("load");
    known.remember(&key, [0x42; 32]).expect("write");
    let mut p = prompter(true, &cfg);
    let e = resolve_trust(&spec(&server, &cfg), &paths, &mut p).await.unwrap_err();
    assert!(e.contains("CHANGED"), "{e}");
    assert!(e.contains(&fingerprint_hex(&[0x42; 32])), "old fingerprint shown: {e}");
    assert!(e.contains(&fingerprint_hex(&fp)), "new fingerprint shown: {e}");
    assert!(p.asked.is_empty(), "a changed certificate is never offered for trust");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn explicit_pin_and_insecure() {
    let (server, cfg) = https_sim().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = Paths::under(dir.path());
    let fp = sha256(server.cert_der().expect("TLS"));

    let mut s = spec(&server, &cfg);
    s.pin = Some(fingerprint_hex(&fp).to_lowercase());
    let mut p = prompter(false, &cfg);
    connect(&s, &paths, &mut p).await.expect("pinned connect");
    assert!(p.asked.is_empty());

    s.pin = Some(fingerprint_hex(&[9; 32]));
    let e = connect(&s, &paths, &mut p).await.err().expect("wrong pin refused");
    assert!(e.message().contains("does not match"), "{e}");
    assert_eq!(
        e.exit_code(),
        6,
        "a refused certificate is not an authentication failure: {e:?}"
    );

    let mut s = spec(&server, &cfg);
    s.insecure = true;
    let mut p = prompter(false, &cfg);
    connect(&s, &paths, &mut p).await.expect("insecure connects");
    assert!(p.warned.iter().any(|w| w.contains("NOT verified")), "insecure warns");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ca_file_trusts_a_well_formed_ca_issued_certificate() {
    vex::install_crypto_provider();
    let cfg = SimConfig {
        tls_ca: true,
        ..SimConfig::default()
    };
    let server = vex::sim::start(cfg.clone()).await.expect("emulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = Paths::under(dir.path());
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, server.ca_pem().expect("CA")).expect("write CA");

    // Without the CA: untrusted; the operator declines the TOFU question.
    let mut p = prompter(false, &cfg);
    assert!(connect(&spec(&server, &cfg), &paths, &mut p).await.is_err());
    assert_eq!(p.asked.len(), 1, "offered for trust on first use");

    // With the CA file: trusted, no question asked, nothing stored.
    let mut s = spec(&server, &cfg);
    s.ca_file = Some(ca.clone());
    let mut p = prompter(false, &cfg);
    let client = connect(&s, &paths, &mut p).await.expect("CA-file connect");
    assert!(client.is_logged_in().await);
    assert!(p.asked.is_empty());
    assert!(!paths.known_servers_file().exists());

    // A CA file that is not a certificate is a clear error.
    let bad = dir.path().join("bad.pem");
    std::fs::write(&bad, "not a certificate").expect("write");
    s.ca_file = Some(bad);
    let e = connect(&s, &paths, &mut p).await.err().expect("refused");
    assert!(e.message().contains("CA file"), "{e}");
    assert!(matches!(e, ConnectError::Failed(_)), "{e:?}");
    server.shutdown().await;
}

/// A refused password is typed as such and carries exit 3 ("authentication"); the password is not in
/// the message. The exit code comes from the error's type, not from its text.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_password_is_an_authentication_error_with_exit_three() {
    let (server, cfg) = https_sim().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = Paths::under(dir.path());
    let mut s = spec(&server, &cfg);
    s.pin = Some(fingerprint_hex(&sha256(server.cert_der().expect("TLS"))));
    // A password from the profile: no prompt, so no second try.
    s.profile_password = Some("not-the-password-Q7".into());
    let mut p = prompter(false, &cfg);
    let e = connect(&s, &paths, &mut p).await.err().expect("refused");
    assert!(matches!(e, ConnectError::Refused(_)), "{e:?}");
    assert_eq!(e.exit_code(), 3, "{e:?}");
    assert!(!e.message().contains("not-the-password-Q7"), "{e}");
    // Nothing listening: not an authentication failure.
    let mut s = spec(&server, &cfg);
    s.server = "https://127.0.0.1:9".into();
    s.insecure = true;
    s.profile_password = Some(cfg.password.clone());
    let e = connect(&s, &paths, &mut p)
        .await
        .err()
        .expect("nothing listens on port 9");
    assert_eq!(e.exit_code(), 6, "{e:?}");
    server.shutdown().await;
}
