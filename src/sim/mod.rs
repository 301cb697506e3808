//! The VB365 REST API emulator: the Exchange-restore subset of v6, v7 and v8, served over HTTPS (a
//! self-signed certificate generated at start) or plain HTTP. Used by `vex sim`, embedded by `vex demo` and
//! started by every integration test.
//!
//! ```no_run
//! # async fn demo() -> Result<(), vex::sim::SimError> {
//! let server = vex::sim::start(vex::sim::SimConfig { tls: false, ..Default::default() }).await?;
//! println!("{}", server.base_url()); // http://127.0.0.1:PORT
//! // ... talk to it, inspect server.store() ...
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Data: see [`data`] for the layout (which mailbox holds the 2,600-item Inbox and the million-item
//! folder, which items have two versions or are deleted). State: see [`Store`].

pub mod cli;
pub mod data;
pub mod faults;
pub mod flood;
pub mod hostile;
pub mod ids;
pub mod msgfile;
mod names;
pub mod page_cache;
pub mod points;
mod rng;
mod routes;
pub mod search;
pub mod shape;
pub mod store;
mod tls;
pub mod vary;
pub mod zerocopy;

pub use cli::{SimArgs, run};
pub use faults::{FaultStats, Faults, Malformation, ResetAfterApply, RestoreRequest, SlowBody, Throttle};
pub use flood::Flood;
pub use routes::{SEARCH_SCAN_BUDGET, server_version};
pub use store::{ExploreSettings, RestoreFlags, RestoreRecord, RestoredCopy, Store};
pub use tls::fingerprint;
pub use vary::Vary;

use axum::Router;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// API versions the emulator serves.
pub const VERSIONS: [u8; 3] = [6, 7, 8];

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error("emulator I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// How to run the emulator.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// HTTPS with a self-signed certificate generated at start (SAN localhost, 127.0.0.1, ::1).
    pub tls: bool,
    /// The one account `POST /vN/token` accepts.
    pub user: String,
    pub password: String,
    /// Seed of the generated data (same seed, same data).
    pub seed: u64,
    /// Access token lifetime.
    pub token_ttl: Duration,
    /// How long an asynchronous v8 restore runs.
    pub v8_restore_duration: Duration,
    /// Faults to inject (none by default).
    pub faults: Faults,
    /// With `tls`: sign the server certificate with a generated CA (see [`SimServer::ca_pem`]) instead of
    /// self-signing it, like a server whose certificate comes from an internal CA.
    pub tls_ca: bool,
    /// Vary the answers as the spec allows (see [`vary`]); `None` answers the tidy defaults.
    pub vary: Option<Vary>,
    /// Serve at most this many rows per page, whatever the request's `limit` (the answer's `limit` says
    /// what was served).
    pub max_page: Option<u32>,
    /// Bind query parameters as strictly as the real (ASP.NET) server (the default): `offset`/`limit`
    /// above 2,147,483,647 and `GET Organizations` without `extendedView` (v6) are 400s, and without
    /// `extendedView=true` organizations come without their backup fields. `false` is the old leniency.
    pub strict: bool,
    /// How long a client may take to send a request's headers, counted from when the server waits for
    /// them, so an idle keep-alive connection is closed after it too (then the connection is closed).
    /// Default 120 s, http.sys's idle-connection timeout (and above reqwest's 90 s pool idle timeout, so
    /// a client never reuses a connection the server is closing).
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body (then 408).
    pub body_read_timeout: Duration,
    /// Mailboxes of organization 1 (`fabrikam.onmicrosoft.com`); `None` is its usual 50 (see
    /// [`data::Data::with_mailboxes`]).
    pub mailboxes: Option<u16>,
}

/// Largest request head (request line and headers) the emulator reads; larger ones are answered 431.
/// Assumption: like Kestrel's 32 KiB and http.sys's 16 KiB-per-header limits, far below 200 KB.
pub const MAX_REQUEST_HEAD: usize = 64 * 1024;

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            tls: true,
            user: "vex".into(),
            password: "vex-demo-password".into(),
            seed: 42,
            token_ttl: Duration::from_secs(3600),
            v8_restore_duration: Duration::from_millis(1500),
            faults: Faults::default(),
            tls_ca: false,
            vary: None,
            max_page: None,
            strict: true,
            header_read_timeout: Duration::from_secs(120),
            body_read_timeout: Duration::from_secs(30),
            mailboxes: None,
        }
    }
}

/// The (user, password) pair the emulator accepts.
pub fn demo_credentials(cfg: &SimConfig) -> (String, String) {
    (cfg.user.clone(), cfg.password.clone())
}

/// A running emulator. Dropping it stops the server at once; [`SimServer::shutdown`] stops it gracefully.
pub struct SimServer {
    base_url: String,
    addr: SocketAddr,
    cert: Option<tls::SelfSigned>,
    store: Store,
    faults: Arc<faults::FaultState>,
    handle: axum_server::Handle<SocketAddr>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for SimServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimServer")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl SimServer {
    /// `https://127.0.0.1:PORT` or `http://...` (no trailing slash, no version).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The end-entity certificate (DER); `None` when serving plain HTTP.
    pub fn cert_der(&self) -> Option<&[u8]> {
        self.cert.as_ref().map(|c| c.cert_der.as_slice())
    }

    pub fn cert_pem(&self) -> Option<&str> {
        self.cert.as_ref().map(|c| c.cert_pem.as_str())
    }

    /// The CA that signed the server certificate (PEM), when started with `tls_ca`.
    pub fn ca_pem(&self) -> Option<&str> {
        self.cert.as_ref().and_then(|c| c.ca_pem.as_deref())
    }

    /// SHA-256 of the certificate's DER: uppercase hex with `:` separators.
    pub fn fingerprint_sha256(&self) -> Option<String> {
        self.cert_der().map(fingerprint)
    }

    /// Shared state, for tests to inspect and poke.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The faults in force (see [`faults`]).
    pub fn faults(&self) -> Faults {
        self.faults.faults()
    }

    /// Replaces the faults for the requests that follow (e.g. set up a session cleanly, then break the
    /// network). The fault layer's request sequence and counters carry on.
    pub fn set_faults(&self, faults: Faults) {
        self.faults.set(faults);
    }

    /// Every restore POST so far (when it arrived, its status, a 429's Retry-After).
    pub fn restore_requests(&self) -> Vec<RestoreRequest> {
        self.faults.restore_requests()
    }

    /// The most restore requests handled at one moment (see [`faults::FaultState::max_restores_in_flight`]).
    pub fn max_restores_in_flight(&self) -> usize {
        self.faults.max_restores_in_flight()
    }

    /// What the fault layer saw and did so far: API requests, 5xx, resets, throttles, ...
    pub fn fault_stats(&self) -> FaultStats {
        self.faults.stats()
    }

    /// Stops accepting connections, lets running requests finish (up to 5 s) and waits for the server.
    pub async fn shutdown(mut self) {
        self.handle.graceful_shutdown(Some(Duration::from_secs(5)));
        if let Some(task) = self.task.take() {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!("emulator stopped with an error: {e}"),
                Err(e) => tracing::warn!("emulator task failed: {e}"),
            }
        }
        tracing::info!(url = %self.base_url, "emulator stopped");
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        if self.task.is_some() {
            self.handle.shutdown();
        }
    }
}

fn router(store: Store, faults: Arc<faults::FaultState>, cfg: &SimConfig) -> Router {
    let app = Arc::new(routes::Routes {
        store,
        vary: cfg.vary.clone(),
        max_page: cfg.max_page,
        strict: cfg.strict,
        scheme: if cfg.tls { "https" } else { "http" },
        requests: vary::Counter::default(),
        body_timeout: cfg.body_read_timeout,
        pages: Default::default(),
    });
    Router::new()
        .fallback(routes::handle)
        .with_state(app)
        .layer(axum::middleware::from_fn_with_state(faults, faults::middleware))
        .layer(axum::middleware::from_fn(log_request))
}

async fn log_request(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = std::time::Instant::now();
    let resp = next.run(req).await;
    tracing::debug!(%method, %path, status = resp.status().as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "sim request");
    resp
}

/// Binds, spawns the server task and returns once it is listening.
pub async fn start(cfg: SimConfig) -> Result<SimServer, SimError> {
    let listener = std::net::TcpListener::bind(cfg.listen).map_err(|source| SimError::Bind {
        addr: cfg.listen,
        source,
    })?;
    let addr = listener.local_addr()?;
    let data = Arc::new(data::Data::with_mailboxes(cfg.seed, cfg.mailboxes));
    let store = Store::new(
        data,
        store::StoreConfig {
            user: cfg.user.clone(),
            password: cfg.password.clone(),
            token_ttl: cfg.token_ttl,
            v8_restore_duration: cfg.v8_restore_duration,
            restore_time: cfg.vary.as_ref().map(|v| (v.restore_per_item, v.restore_max)),
        },
    );
    let fault_state = Arc::new(faults::FaultState::new(cfg.faults.clone()));
    let app = router(store.clone(), fault_state.clone(), &cfg).into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::<SocketAddr>::new();
    let host = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let shown = SocketAddr::new(host, addr.port());
    let (cert, task, base_url) = if cfg.tls {
        let cert = if cfg.tls_ca {
            tls::generate_with_ca(Some(addr.ip()))?
        } else {
            tls::generate(Some(addr.ip()))?
        };
        let rustls = axum_server::tls_rustls::RustlsConfig::from_config(tls::server_config(&cert)?);
        let mut server = axum_server::from_tcp_rustls(listener, rustls)?.handle(handle.clone());
        server
            .http_builder()
            .http1()
            .header_read_timeout(cfg.header_read_timeout)
            .max_buf_size(MAX_REQUEST_HEAD);
        let task = tokio::spawn(server.serve(app));
        (Some(cert), task, format!("https://{shown}"))
    } else {
        // Kept item pages go out by sendfile(2) (see `zerocopy`).
        let mut server = axum_server::from_tcp(listener)?
            .handle(handle.clone())
            .acceptor(zerocopy::Acceptor);
        server
            .http_builder()
            .http1()
            .header_read_timeout(cfg.header_read_timeout)
            .max_buf_size(MAX_REQUEST_HEAD);
        let task = tokio::spawn(server.serve(app));
        (None, task, format!("http://{shown}"))
    };
    tracing::info!(url = %base_url, seed = cfg.seed, "emulator listening");
    Ok(SimServer {
        base_url,
        addr,
        cert,
        store,
        faults: fault_state,
        handle,
        task: Some(task),
    })
}

#[cfg(test)]
mod fault_tests;
#[cfg(test)]
mod tests;
