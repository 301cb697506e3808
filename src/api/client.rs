//! Requests, authentication, errors and the retry policy.
//!
//! Every call goes through one request loop: it adds the bearer token (refreshing ahead of expiry), on a
//! 401 refreshes once and resends once (the server refused before doing anything), and then:
//!
//! - **Reads** (GETs, and searches, which are reads sent as POST) are retried on transient failures — a
//!   refused or dropped connection, a stall, a body that breaks off or arrives short, a 2xx body that
//!   cannot be read (damaged, not JSON, required fields missing), 429, 500, 502, 503, 504 — with
//!   exponential backoff and jitter ([`RetryPolicy`]: at most `max_retries` more attempts, so a server
//!   that always stalls ends in an error, never a loop), honouring `Retry-After` (seconds or an HTTP date,
//!   capped at 120 s). Each retry is reported to [`ClientConfig::retry_observer`] ("retrying 2/4 in 0.5 s:
//!   GET ...: server error 503").
//! - **Writes** (restores, exports, saves, sends, explore, stop) are sent once. A write is only retried
//!   after a 429 (refused before processing). When its connection fails after it may have been sent, its
//!   answer stalls or breaks off, or a gateway answers 502, 503 or 504 for it, the result is
//!   [`ApiError::OutcomeUnknown`]: the server may have applied it, and vex never resends it; look at the
//!   session's events.
//! - **Login** (`/token`) is retried like a read (a password grant changes nothing), and waits out 429
//!   `Retry-After`. A refresh that fails for good (its answer lost, so the rotated refresh token is gone)
//!   is followed by a fresh login from the password source, when the client has one
//!   ([`Client::set_password_source`]).
//! - **Redirects** are never followed ([`ApiError::Redirect`]): a 307/308 would carry the password form or
//!   a restore body with its credentials to wherever it points.
//! - **Timeouts** are stall timeouts ([`Timeouts`]): a call fails when nothing arrives for
//!   [`Timeouts::stall`] — waiting for an answer to start, or between two pieces of its body. There is no
//!   cap on a call's total time: a slow answer that keeps coming finishes. Long-running writes (restores,
//!   which v6/v7 answer only when done; exports and saves) wait for their answer to start without a cap
//!   (or [`Timeouts::long_wait`]); TCP keepalive notices a dead peer meanwhile, and the operator can cancel.
//! - **Limits** on what a server sends ([`super::body`]): a JSON answer's size, a page with more rows than
//!   asked, long strings (cut), deep nesting ([`ApiError::Limit`], not retried).
//!
//! # Cancellation
//!
//! Every call is a future that does nothing unless polled. Dropping it — or aborting the tokio task that
//! runs it, or losing a `tokio::select!` race or a `tokio::time::timeout` — cancels the request at once:
//! its connection is closed, no retry follows, and an export or save removes its partial file. Cancelling
//! a write that was already sent does not undo it on the server (like `OutcomeUnknown`). Cancellation
//! never corrupts the client: its clones and other calls go on working.

use super::body::{self, BodyLimits};
use super::error::{ApiError, MAX_MESSAGE, from_reqwest, one_line};
use super::models::*;
use super::paging;
use super::tls::{self, Trust};
use super::tokens::Tokens;
use super::version::{ApiVersion, VersionChoice};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// Characters kept as-is in a path segment; everything else (notably `/`, `+`, `=`) is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes an id as one path segment.
pub fn seg(id: &str) -> String {
    utf8_percent_encode(id, SEGMENT).to_string()
}

/// Timeouts. None of them caps a call's total time: a slow answer that keeps coming finishes.
#[derive(Clone, Debug)]
pub struct Timeouts {
    pub connect: Duration,
    /// The stall timeout: a call fails when nothing arrives for this long — while waiting for the answer
    /// to start (reads, login, quick writes) or between two pieces of any answer's body (lists, restores,
    /// downloads alike). `stall_timeout` in a profile, `--stall-timeout`.
    pub stall: Duration,
    /// The longest wait for the answer of a long-running write (a restore, which v6/v7 answer only when it
    /// is done; an export or save) to start. `None` (the default): no cap — TCP keepalive notices a dead
    /// server or path, and the operator can cancel.
    pub long_wait: Option<Duration>,
}

/// The default stall timeout.
pub const DEFAULT_STALL: Duration = Duration::from_secs(60);

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            stall: DEFAULT_STALL,
            long_wait: None,
        }
    }
}

/// How long a call waits for its answer to start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    /// The stall timeout (reads, login, quick writes).
    Stall,
    /// [`Timeouts::long_wait`] (restores, exports, saves, sends).
    Long,
}

/// Retries of idempotent requests.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = none).
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
        }
    }
}

/// Told about each retry, so a UI can show "retrying 2/4 ...".
#[derive(Clone, Debug, PartialEq)]
pub struct RetryNotice {
    pub attempt: u32,
    pub max: u32,
    pub what: String,
    pub error: String,
    pub delay: Duration,
}

impl std::fmt::Display for RetryNotice {
    /// `retrying 2/4 in 0.5 s: GET RestoreSessions: server error 503: ...`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "retrying {}/{} in {:.1} s: {}: {}",
            self.attempt,
            self.max,
            self.delay.as_secs_f64(),
            self.what,
            self.error
        )
    }
}

/// Called on each retry (from the task making the call; keep it quick).
pub type RetryObserver = Arc<dyn Fn(RetryNotice) + Send + Sync>;

/// Gives the password again, for a fresh login when a token refresh is lost (see
/// [`Client::set_password_source`]). Runs on a blocking thread (it may run a `password_command`); its
/// error message must not hold the password.
pub type PasswordSource = Arc<dyn Fn() -> Result<SecretString, String> + Send + Sync>;

/// How to reach a server.
#[derive(Clone)]
pub struct ClientConfig {
    /// `https://host:4443` (no version, no trailing slash needed).
    pub base_url: String,
    pub version: VersionChoice,
    pub trust: Trust,
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
    pub retry_observer: Option<RetryObserver>,
    /// What a JSON answer may hold (size, string length, nesting).
    pub limits: BodyLimits,
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            version: VersionChoice::Auto,
            trust: Trust::System,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            retry_observer: None,
            limits: BodyLimits::default(),
        }
    }
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url)
            .field("version", &self.version)
            .field("trust", &self.trust)
            .field("timeouts", &self.timeouts)
            .field("limits", &self.limits)
            .finish()
    }
}

/// Which folders to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FolderParent<'a> {
    /// Root folders (`parentId=root`).
    Root,
    /// Children of this folder.
    Folder(&'a str),
    /// The whole tree (slow on big mailboxes).
    All,
}

/// Where a server-side search runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchScope<'a> {
    AllMailboxes,
    Mailbox(&'a str),
    Folder { mailbox: &'a str, folder: &'a str },
}

/// Order of restore sessions (v8 only; older versions ignore it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionOrder {
    CreationTime,
    EndTime,
}

/// Body of a request, kept so it can be sent again after a token refresh. Zeroized on drop: restore
/// bodies carry passwords.
#[derive(Clone)]
pub(crate) enum Body {
    None,
    Json(Zeroizing<Vec<u8>>),
    /// A JSON request whose answer is a file (export to PST, save as MSG/ZIP): sent with
    /// `Accept: application/octet-stream`, what the spec says these operations produce.
    JsonForFile(Zeroizing<Vec<u8>>),
    /// A JSON request whose last byte waits for the gate (see [`BodyGate`]).
    JsonGated(Zeroizing<Vec<u8>>, BodyGate),
}

/// Awaited before the last byte of a request's body is sent, on every attempt: until it has returned,
/// the server holds no complete request, so it cannot have acted on it (a JSON body without its last
/// byte is not a request a server can read). The batch journals "sent" here, so a restore killed before
/// is known not to have run. An error stops the request before its body is complete.
pub type BodyGate =
    Arc<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send>> + Send + Sync>;

impl Body {
    /// The `Accept` header for the answer this request expects.
    fn accept(&self) -> &'static str {
        match self {
            Body::JsonForFile(_) => "application/octet-stream",
            Body::None | Body::Json(_) | Body::JsonGated(..) => "application/json",
        }
    }
}

/// The body of one attempt of a gated request: all but the last byte, then the gate, then the last byte.
/// `Content-Length` is the whole body's, so the server waits for that last byte.
fn gated_body(bytes: &[u8], gate: &BodyGate) -> reqwest::Body {
    let cut = bytes.len().saturating_sub(1);
    let head = bytes::Bytes::copy_from_slice(&bytes[..cut]);
    let last = bytes::Bytes::copy_from_slice(&bytes[cut..]);
    let gate = gate.clone();
    let first = futures_util::stream::once(async move { Ok::<_, std::io::Error>(head) });
    let rest = futures_util::stream::once(async move {
        gate().await.map_err(std::io::Error::other)?;
        Ok::<_, std::io::Error>(last)
    });
    reqwest::Body::wrap_stream(futures_util::StreamExt::chain(first, rest))
}

/// A cheap, cloneable handle; clones share the login.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: String,
    choice: VersionChoice,
    version: RwLock<Option<ApiVersion>>,
    tokens: tokio::sync::Mutex<Option<Tokens>>,
    timeouts: Timeouts,
    retry: RetryPolicy,
    retry_observer: Option<RetryObserver>,
    limits: BodyLimits,
    /// Who to log in as afresh, and how to get the password again, when a refresh is lost.
    relogin: std::sync::Mutex<Option<(String, PasswordSource)>>,
    /// Until when the server asked (429) to wait, the latest such moment.
    throttled_until: std::sync::Mutex<Option<Instant>>,
    /// Item counts found by searching (v8 reports none), per (restore session, mailbox, folder): a
    /// restore session shows one point in time, so a count stays true for its life.
    counts: std::sync::Mutex<std::collections::HashMap<(String, String, String), u64>>,
    /// The `setId` of the last first page of each search (restore session, search path, query): sent
    /// back when a later page of the same search is asked for, so the server pages its result set
    /// instead of running the search again.
    search_sets: std::sync::Mutex<std::collections::HashMap<(String, String, String), String>>,
}

/// How many search result sets the client remembers.
const SEARCH_SETS_KEPT: usize = 256;

/// How many found counts the client remembers.
const COUNTS_KEPT: usize = 512;

impl Client {
    pub fn new(cfg: ClientConfig) -> Result<Client, ApiError> {
        let base = cfg.base_url.trim().trim_end_matches('/').to_string();
        let parsed = url::Url::parse(&base).map_err(|e| ApiError::Config(format!("server URL {base:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ApiError::Config(format!(
                "server URL {base:?}: use https:// (or http://)"
            )));
        }
        let builder = reqwest::Client::builder()
            .connect_timeout(cfg.timeouts.connect)
            .user_agent(concat!("vex/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(60))
            // Never follow a redirect: a 307/308 re-sends the body (the password form, a restore's
            // credentials) to wherever it points, even from HTTPS to plain HTTP.
            .redirect(reqwest::redirect::Policy::none())
            // Long waits (a synchronous restore) have no cap: keepalive notices a dead peer instead
            // (about 30 s idle, then 4 probes 15 s apart).
            .tcp_keepalive(Duration::from_secs(30))
            .tcp_keepalive_interval(Duration::from_secs(15))
            .tcp_keepalive_retries(4u32);
        // The trust mode is still checked (a CA file that is not one is an error whatever the URL).
        let builder = tls::apply(builder, &cfg.trust)?;
        let builder = if parsed.scheme() == "http" {
            tls::plain_http(builder)?
        } else {
            builder
        };
        let http = builder.build().map_err(from_reqwest)?;
        let fixed = match cfg.version {
            VersionChoice::Fixed(v) => Some(v),
            VersionChoice::Auto => None,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                choice: cfg.version,
                version: RwLock::new(fixed),
                tokens: tokio::sync::Mutex::new(None),
                timeouts: cfg.timeouts,
                retry: cfg.retry,
                retry_observer: cfg.retry_observer,
                limits: cfg.limits,
                relogin: std::sync::Mutex::new(None),
                throttled_until: std::sync::Mutex::new(None),
                counts: Default::default(),
                search_sets: Default::default(),
            }),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// Until when the server last asked this client to wait (a 429's `Retry-After`, else the backoff),
    /// if that moment is still to come. The request that was refused waits for it by itself; a caller
    /// about to send new writes (a batch) waits for it too instead of adding to the load.
    pub fn throttled_until(&self) -> Option<Instant> {
        let t = *self.inner.throttled_until.lock().unwrap_or_else(|e| e.into_inner());
        t.filter(|t| *t > Instant::now())
    }

    /// The version in use (known after `login`, or at once when fixed).
    pub fn version(&self) -> Option<ApiVersion> {
        self.inner.version.read().ok().and_then(|v| *v)
    }

    fn require_version(&self) -> Result<ApiVersion, ApiError> {
        self.version()
            .ok_or_else(|| ApiError::Config("not logged in: the API version is not known yet".into()))
    }

    fn url(&self, v: ApiVersion, path: &str) -> String {
        format!("{}/{}/{}", self.inner.base, v.prefix(), path.trim_start_matches('/'))
    }

    /// Probes `/{v}/ServiceInstance` anonymously, newest first: 200/401/403 means served, 404 not.
    /// A transient failure (5xx, dropped connection, timeout) is retried like any read and, when it
    /// persists, is the answer: it never makes the client settle for an older version.
    pub async fn detect_version(&self) -> Result<ApiVersion, ApiError> {
        for v in ApiVersion::NEWEST_FIRST {
            let what = format!("GET {}/ServiceInstance", v.prefix());
            let mut attempt = 0u32;
            loop {
                let url = self.url(v, "ServiceInstance");
                let res = self.send_within(self.inner.http.get(&url), Wait::Stall).await;
                let (err, ra) = match res {
                    Ok(r) => match r.status().as_u16() {
                        200 | 401 | 403 => return Ok(v),
                        404 => break,
                        _ if r.status().is_redirection() => return Err(redirect_error(&url, &r)),
                        _ => {
                            let status = r.status();
                            let ra = retry_after(&r);
                            let bytes = body::read_error_body(r, self.inner.timeouts.stall).await;
                            (http_error(status, &bytes), ra)
                        }
                    },
                    Err((e, _)) => (e, None),
                };
                if err.is_transient() && attempt < self.inner.retry.max_retries {
                    attempt += 1;
                    let delay = ra.unwrap_or_else(|| self.backoff(attempt));
                    self.notify_retry(attempt, &what, &err.to_string(), delay);
                    tokio::time::sleep(delay).await;
                    continue;
                }
                return Err(match err {
                    ApiError::Http {
                        status,
                        message,
                        error_code,
                    } => ApiError::Http {
                        status,
                        message: format!("probing {}/ServiceInstance: {message}", v.prefix()),
                        error_code,
                    },
                    other => other,
                });
            }
        }
        Err(ApiError::NoSupportedVersion(self.inner.base.clone()))
    }

    /// Resolves `auto` (once) and returns the version.
    pub async fn resolve_version(&self) -> Result<ApiVersion, ApiError> {
        if let Some(v) = self.version() {
            return Ok(v);
        }
        let v = match self.inner.choice {
            VersionChoice::Fixed(v) => v,
            VersionChoice::Auto => self.detect_version().await?,
        };
        if let Ok(mut w) = self.inner.version.write() {
            *w = Some(v);
        }
        Ok(v)
    }

    /// Logs in with a user name and password (`grant_type=password`).
    pub async fn login(&self, user: &str, password: &SecretString) -> Result<(), ApiError> {
        let v = self.resolve_version().await?;
        let tokens = self.token_request(v, Self::password_form(v, user, password)).await?;
        *self.inner.tokens.lock().await = Some(tokens);
        Ok(())
    }

    /// True while a login is held.
    pub async fn is_logged_in(&self) -> bool {
        self.inner.tokens.lock().await.is_some()
    }

    /// The user name the server reported at login.
    pub async fn user_name(&self) -> Option<String> {
        self.inner
            .tokens
            .lock()
            .await
            .as_ref()
            .and_then(|t| t.user_name.clone())
    }

    async fn token_request(&self, v: ApiVersion, form: Zeroizing<String>) -> Result<Tokens, ApiError> {
        let url = self.url(v, "token");
        let stall = self.inner.timeouts.stall;
        let mut attempt = 0u32;
        loop {
            let rb = self
                .inner
                .http
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(reqwest::header::ACCEPT, "application/json")
                .body(form.as_bytes().to_vec());
            let res = self.send_within(rb, Wait::Stall).await;
            let outcome: Result<std::convert::Infallible, (ApiError, Option<Duration>)> = match res {
                Err((e, _)) => Err((e, None)),
                Ok(res) if res.status().is_redirection() => return Err(redirect_error(&url, &res)),
                Ok(res) if res.status().is_success() => {
                    match body::read_json(res, stall, self.inner.limits, None).await {
                        Err(e @ ApiError::Limit(_)) => return Err(e),
                        Err(e) => Err((e, None)),
                        Ok(bytes) => {
                            let t: TokenResponse = decode_bytes(&bytes).map_err(|e| match e {
                                ApiError::Decode(m) => ApiError::Decode(format!("token response: {m}")),
                                other => other,
                            })?;
                            if t.access_token.is_empty() {
                                return Err(ApiError::Decode("token response has no access_token".into()));
                            }
                            return Ok(Tokens::from_response(t));
                        }
                    }
                }
                Ok(res) => {
                    let status = res.status();
                    let ra = retry_after(&res);
                    let bytes = body::read_error_body(res, stall).await;
                    if status == StatusCode::BAD_REQUEST || status == StatusCode::UNAUTHORIZED {
                        let e: OAuthError = serde_json::from_slice(&bytes).unwrap_or_default();
                        let msg = e
                            .error_description
                            .or(e.error)
                            .map(|m| one_line(&m, MAX_MESSAGE))
                            .or_else(|| exception_message(&bytes))
                            .unwrap_or_else(|| "the server refused the credentials".into());
                        return Err(ApiError::Auth(msg));
                    }
                    Err((http_error(status, &bytes), ra))
                }
            };
            let Err((err, ra)) = outcome;
            // /token may be throttled (429) or briefly unavailable: back off and try again a few times.
            if err.is_transient() && attempt < self.inner.retry.max_retries {
                attempt += 1;
                let delay = ra.unwrap_or_else(|| self.backoff(attempt));
                let why = if err.status() == Some(429) {
                    "throttled (429)".to_string()
                } else {
                    err.to_string()
                };
                self.notify_retry(attempt, "login", &why, delay);
                tokio::time::sleep(delay).await;
                continue;
            }
            return Err(err);
        }
    }

    /// Keeps a way to get the password again: when a token refresh fails for good (retried, then refused or
    /// lost — its answer carried the rotated refresh token), the client logs in afresh as `user` with the
    /// password `source` gives, instead of ending the session halfway through a listing.
    pub fn set_password_source(&self, user: &str, source: PasswordSource) {
        if let Ok(mut r) = self.inner.relogin.lock() {
            *r = Some((user.to_string(), source));
        }
    }

    fn password_form(v: ApiVersion, user: &str, password: &SecretString) -> Zeroizing<String> {
        let mut form = form_encode(&[
            ("grant_type", "password"),
            ("username", user),
            ("password", password.expose_secret()),
        ]);
        if v.wants_antiforgery_flag() {
            form.push_str("&disable_antiforgery_token=true");
        }
        Zeroizing::new(form)
    }

    /// A fresh password login from the password source, after a lost refresh.
    async fn relogin(&self, v: ApiVersion, user: String, source: PasswordSource) -> Result<Tokens, ApiError> {
        let password = tokio::task::spawn_blocking(move || source())
            .await
            .map_err(|_| ApiError::Auth("the password source failed".into()))?
            .map_err(|m| ApiError::Auth(format!("cannot get the password again: {}", one_line(&m, 200))))?;
        let tokens = self.token_request(v, Self::password_form(v, &user, &password)).await;
        drop(password);
        tokens
    }

    /// Refreshes the tokens now (rotates both).
    pub async fn refresh(&self) -> Result<(), ApiError> {
        let mut guard = self.inner.tokens.lock().await;
        self.refresh_locked(&mut guard).await
    }

    async fn refresh_locked(&self, guard: &mut Option<Tokens>) -> Result<(), ApiError> {
        let v = self.require_version()?;
        let Some(t) = guard.as_ref() else {
            return Err(ApiError::Auth("not logged in".into()));
        };
        let mut form = form_encode(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", t.refresh.expose_secret()),
        ]);
        if v.wants_antiforgery_flag() {
            form.push_str("&disable_antiforgery_token=true");
        }
        let refreshed = self.token_request(v, Zeroizing::new(form)).await;
        let refreshed = match refreshed {
            Ok(t) => Ok(t),
            Err(e) => {
                // The refresh was retried (token_request) and failed for good: when its answer was lost,
                // the server has rotated the refresh token and no resend can work. A fresh login from the
                // same password source does.
                let source = self.inner.relogin.lock().ok().and_then(|r| r.clone());
                match source {
                    Some((user, source)) => {
                        tracing::warn!(error = %e, "the token refresh failed; logging in afresh");
                        self.relogin(v, user, source).await
                    }
                    None => Err(e),
                }
            }
        };
        match refreshed {
            Ok(new) => {
                *guard = Some(new);
                Ok(())
            }
            Err(ApiError::Auth(m)) => {
                *guard = None;
                Err(ApiError::Auth(format!(
                    "the session expired and could not be renewed ({m}); log in again"
                )))
            }
            Err(e) => Err(e),
        }
    }

    /// Logs out (v7/v8) and forgets the tokens. Best effort: errors are returned but the tokens are gone.
    pub async fn logout(&self) -> Result<(), ApiError> {
        let taken = self.inner.tokens.lock().await.take();
        let (Some(t), Some(v)) = (taken, self.version()) else {
            return Ok(());
        };
        if !v.has_logout() {
            return Ok(());
        }
        let url = self.url(v, "token/logout");
        let rb = self.inner.http.post(&url).bearer_auth(t.access.expose_secret());
        // Best effort on the way out: a short wait.
        let res = match tokio::time::timeout(Duration::from_secs(10), rb.send()).await {
            Ok(r) => r.map_err(from_reqwest)?,
            Err(_) => return Err(ApiError::Timeout("logging out: no answer for 10 s".into())),
        };
        if res.status().is_success() {
            Ok(())
        } else if res.status().is_redirection() {
            Err(redirect_error(&url, &res))
        } else {
            let s = res.status();
            let b = body::read_error_body(res, Duration::from_secs(10)).await;
            Err(http_error(s, &b))
        }
    }

    /// The access token to use now, refreshing it first when it is about to expire.
    async fn access_token(&self) -> Result<SecretString, ApiError> {
        let mut guard = self.inner.tokens.lock().await;
        let needs = match guard.as_ref() {
            None => return Err(ApiError::Auth("not logged in".into())),
            Some(t) => t.needs_refresh(Instant::now()),
        };
        if needs {
            self.refresh_locked(&mut guard).await?;
        }
        guard
            .as_ref()
            .map(|t| t.access.clone())
            .ok_or_else(|| ApiError::Auth("not logged in".into()))
    }

    /// After a 401 with `used`: refresh unless another request already did.
    async fn renew_after_401(&self, used: &SecretString) -> Result<SecretString, ApiError> {
        let mut guard = self.inner.tokens.lock().await;
        let already = guard.as_ref().is_some_and(|t| !t.same_access(used));
        if !already {
            self.refresh_locked(&mut guard).await?;
        }
        guard
            .as_ref()
            .map(|t| t.access.clone())
            .ok_or_else(|| ApiError::Auth("not logged in".into()))
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let p = &self.inner.retry;
        let exp = p.base_delay.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(p.max_delay);
        // Full jitter in [capped/2, capped].
        let half = capped / 2;
        let jitter = rand::random::<f64>();
        half + half.mul_f64(jitter)
    }

    fn notify_retry(&self, attempt: u32, what: &str, error: &str, delay: Duration) {
        tracing::info!(attempt, what, error, ?delay, "retrying");
        if let Some(o) = &self.inner.retry_observer {
            o(RetryNotice {
                attempt,
                max: self.inner.retry.max_retries,
                what: what.into(),
                error: error.into(),
                delay,
            });
        }
    }

    /// Sends a request, waiting for its answer to start as `wait` says. The error comes with whether the
    /// request may have reached the server (a connection that was never made: no).
    async fn send_within(
        &self,
        rb: reqwest::RequestBuilder,
        wait: Wait,
    ) -> Result<reqwest::Response, (ApiError, bool)> {
        let (limit, which) = match wait {
            Wait::Stall => (
                Some(self.inner.timeouts.stall),
                "the stall timeout; see stall_timeout or --stall-timeout",
            ),
            Wait::Long => (
                self.inner.timeouts.long_wait,
                "the longest wait for a long-running call",
            ),
        };
        let sent = match limit {
            Some(d) => match tokio::time::timeout(d, rb.send()).await {
                Ok(r) => r,
                Err(_) => {
                    return Err((
                        ApiError::Timeout(format!("no answer for {} ({which})", body::human_secs(d))),
                        true,
                    ));
                }
            },
            None => rb.send().await,
        };
        sent.map_err(|e| {
            let maybe_sent = !e.is_connect();
            (from_reqwest(e), maybe_sent)
        })
    }

    /// One authenticated request, with the refresh and retry policy. Returns the successful response with
    /// its body unread (for streaming downloads). A GET is retried on transient failures up to the moment
    /// its headers arrive; a write is never resent (see [`ApiError::OutcomeUnknown`]).
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
        wait: Wait,
    ) -> Result<reqwest::Response, ApiError> {
        let safe = method == Method::GET;
        self.exchange(method, path, query, body, wait, safe, |res| async move { Ok(res) })
            .await
    }

    /// Like [`Client::call`], but reads the whole JSON body under the client's limits (see
    /// [`super::body`]; `max_rows`: the page's `limit`). When `safe` (a read: GETs, and searches sent as
    /// POST), a body that breaks off or stalls is retried like any transient failure; otherwise a lost
    /// answer is [`ApiError::OutcomeUnknown`].
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn call_read(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
        wait: Wait,
        safe: bool,
    ) -> Result<bytes::Bytes, ApiError> {
        let (stall, limits, rows) = (self.inner.timeouts.stall, self.inner.limits, page_limit(query));
        self.exchange(method, path, query, body, wait, safe, |res| async move {
            body::read_json(res, stall, limits, rows).await.map(bytes::Bytes::from)
        })
        .await
    }

    /// [`Client::call_read`] and decoding, inside the request loop: on a read, a 2xx answer that cannot be
    /// decoded (damaged, not JSON, required fields missing) is retried like a 5xx.
    async fn call_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
        safe: bool,
    ) -> Result<T, ApiError> {
        let (stall, limits, rows) = (self.inner.timeouts.stall, self.inner.limits, page_limit(query));
        self.exchange(method, path, query, body, Wait::Stall, safe, |res| async move {
            let bytes = body::read_json(res, stall, limits, rows).await?;
            decode_bytes::<T>(&bytes)
        })
        .await
    }

    /// The request loop: token, send, 401 → refresh once, transient failure of a safe request → backoff
    /// and again (bounded), `finish` turns a successful response into the result (its transient failures,
    /// and answers it cannot decode, are retried too when the request is safe). A redirect is an error.
    #[allow(clippy::too_many_arguments)]
    async fn exchange<T, F, Fut>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
        wait: Wait,
        safe: bool,
        finish: F,
    ) -> Result<T, ApiError>
    where
        F: Fn(reqwest::Response) -> Fut,
        Fut: std::future::Future<Output = Result<T, ApiError>>,
    {
        let v = self.require_version()?;
        let url = self.url(v, path);
        let what = format!("{method} {}", path.split('?').next().unwrap_or(path));
        let mut token = self.access_token().await?;
        let mut refreshed = false;
        let mut attempt = 0u32;
        loop {
            let mut rb = self
                .inner
                .http
                .request(method.clone(), &url)
                .bearer_auth(token.expose_secret())
                .header(reqwest::header::ACCEPT, body.accept());
            if !query.is_empty() {
                rb = rb.query(query);
            }
            rb = match &body {
                Body::None => rb,
                Body::Json(b) | Body::JsonForFile(b) => rb
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(b.to_vec()),
                Body::JsonGated(b, gate) => rb
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header(reqwest::header::CONTENT_LENGTH, b.len())
                    .body(gated_body(b, gate)),
            };
            let (err, ra) = match self.send_within(rb, wait).await {
                Ok(res) if res.status().is_success() => match finish(res).await {
                    Ok(t) => return Ok(t),
                    Err(e) if !safe => {
                        return Err(match e {
                            ApiError::Network(m) | ApiError::Timeout(m) => ApiError::OutcomeUnknown(format!(
                                "{what}: the request was sent but its answer was lost ({m}); the server may have \
                                 run it: look at the session's events"
                            )),
                            other => other,
                        });
                    }
                    Err(e) => (e, None),
                },
                Ok(res) if res.status().is_redirection() => {
                    // Nothing was done by the server; nothing is sent anywhere else.
                    return Err(redirect_error(&url, &res));
                }
                Ok(res) if res.status() == StatusCode::UNAUTHORIZED && !refreshed => {
                    // The server rejected the token before doing anything: safe to resend once.
                    refreshed = true;
                    token = self.renew_after_401(&token).await?;
                    continue;
                }
                Ok(res) if res.status() == StatusCode::UNAUTHORIZED => {
                    return Err(ApiError::Auth(
                        "the server rejected the renewed token; log in again".into(),
                    ));
                }
                Ok(res) => {
                    let status = res.status();
                    let ra = retry_after(&res);
                    let bytes = body::read_error_body(res, self.inner.timeouts.stall).await;
                    if !safe && matches!(status.as_u16(), 502..=504) {
                        // A gateway's answer: the server behind it may have received the write and run it.
                        // (Assumption: a VB365 server itself answers its own failures with 500 or 4xx and a
                        // RESTExceptionInfo; 502/503/504 come from a proxy or load balancer in front of it,
                        // or from a server that broke off while working.)
                        let why = one_line(&http_error(status, &bytes).to_string(), 300);
                        return Err(ApiError::OutcomeUnknown(format!(
                            "{what}: {why}; the gateway may have passed it on and the server may have run it: \
                             look at the session's events"
                        )));
                    }
                    (http_error(status, &bytes), ra)
                }
                Err((mapped, maybe_sent)) => {
                    if !safe && maybe_sent {
                        // A write that may have reached the server: never resend.
                        return Err(match mapped {
                            ApiError::Network(m) | ApiError::Timeout(m) => ApiError::OutcomeUnknown(format!(
                                "{what}: the connection was lost after sending ({m}); the server may have run \
                                 it: look at the session's events"
                            )),
                            other => other,
                        });
                    }
                    (mapped, None)
                }
            };
            // 429 on a write was refused before processing: the throttle is the only write we may wait out.
            let may_retry = if safe {
                err.is_transient() || err.is_damaged()
            } else {
                err.status() == Some(429)
            };
            if err.status() == Some(429) {
                // Others (a batch's next restore) wait for it too: see Client::throttled_until.
                let until = Instant::now() + ra.unwrap_or_else(|| self.backoff(attempt + 1));
                let mut t = self.inner.throttled_until.lock().unwrap_or_else(|e| e.into_inner());
                *t = Some(t.map_or(until, |old| old.max(until)));
            }
            if may_retry && attempt < self.inner.retry.max_retries {
                attempt += 1;
                let delay = ra.unwrap_or_else(|| self.backoff(attempt));
                self.notify_retry(attempt, &what, &err.to_string(), delay);
                tokio::time::sleep(delay).await;
                continue;
            }
            return Err(err);
        }
    }

    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ApiError> {
        self.call_json(Method::GET, path, query, Body::None, true).await
    }

    /// A write whose answer is JSON (explore, device code): sent once; a lost answer is
    /// [`ApiError::OutcomeUnknown`].
    pub(crate) async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        self.call_json(Method::POST, path, &[], json_body(body)?, false).await
    }

    pub(crate) async fn post<B: Serialize>(
        &self,
        path: &str,
        query: &[(&str, String)],
        body: &B,
        wait: Wait,
    ) -> Result<reqwest::Response, ApiError> {
        self.call(Method::POST, path, query, json_body(body)?, wait).await
    }

    pub(crate) fn timeouts(&self) -> &Timeouts {
        &self.inner.timeouts
    }

    pub(crate) fn limits(&self) -> BodyLimits {
        self.inner.limits
    }

    // ---------------------------------------------------------------- resources

    /// `GET ServiceInstance` (authenticated): installation id and server build.
    pub async fn service_instance(&self) -> Result<ServiceInstance, ApiError> {
        self.get_json("ServiceInstance", &[]).await
    }

    /// Every organization (v6/v7 answer a bare array, v8 a page: both handled). Always sent with
    /// `extendedView=true`: v7/v8 default to false and then leave out `isBackedup` /
    /// `firstBackuptime` / `lastBackuptime` (the new-session dialog needs them); v6 marks the
    /// parameter required.
    pub async fn organizations(&self) -> Result<Vec<Organization>, ApiError> {
        let v = self.require_version()?;
        if v.organizations_paged() {
            paging::collect_all(1000, |o, l| async move {
                let mut q = page_q(o, l)?;
                q.push(("extendedView", "true".into()));
                self.get_json::<Page<Organization>>("Organizations", &q).await
            })
            .await
        } else {
            self.get_json("Organizations", &[("extendedView", "true".into())]).await
        }
    }

    /// Opens a restore session on an organization (`explore`).
    pub async fn explore(&self, organization_id: &str, opts: &ExploreOptions) -> Result<RestoreSession, ApiError> {
        let mut o = opts.clone();
        if self.version() != Some(ApiVersion::V8) {
            o.repository_id = None;
        }
        self.post_json(&format!("Organizations/{}/explore", seg(organization_id)), &o)
            .await
    }

    /// One page of restore sessions. `order` is honoured by v8 and ignored by older versions.
    pub async fn restore_sessions(
        &self,
        offset: u64,
        limit: u32,
        order: Option<(SessionOrder, bool)>,
    ) -> Result<Page<RestoreSession>, ApiError> {
        let mut q = page_q(offset, limit)?;
        if let (Some((by, asc)), Some(true)) = (order, self.version().map(|v| v.can_order_sessions())) {
            q.push((
                "orderBy",
                match by {
                    SessionOrder::CreationTime => "CreationTime".into(),
                    SessionOrder::EndTime => "EndTime".into(),
                },
            ));
            q.push(("orderAsc", asc.to_string()));
        }
        self.get_json("RestoreSessions", &q).await
    }

    /// Stops a restore session (200 in v6/v7, 204 in v8).
    pub async fn stop_session(&self, restore_session_id: &str) -> Result<(), ApiError> {
        self.post(
            &format!("RestoreSessions/{}/Stop", seg(restore_session_id)),
            &[],
            &serde_json::json!({}),
            Wait::Stall,
        )
        .await
        .map(|_| ())
    }

    /// One page of a session's events.
    pub async fn session_events(
        &self,
        restore_session_id: &str,
        offset: u64,
        limit: u32,
    ) -> Result<Page<SessionEvent>, ApiError> {
        self.get_json(
            &format!("RestoreSessions/{}/Events", seg(restore_session_id)),
            &page_q(offset, limit)?,
        )
        .await
    }

    /// Every event of a session.
    pub async fn all_session_events(&self, restore_session_id: &str) -> Result<Vec<SessionEvent>, ApiError> {
        paging::collect_all(1000, |o, l| self.session_events(restore_session_id, o, l)).await
    }

    /// Every mailbox of a session.
    pub async fn all_mailboxes(&self, restore_session_id: &str) -> Result<Vec<Mailbox>, ApiError> {
        paging::collect_all(1000, |o, l| self.mailboxes(restore_session_id, o, l)).await
    }

    /// One page of the session's mailboxes.
    pub async fn mailboxes(
        &self,
        restore_session_id: &str,
        offset: u64,
        limit: u32,
    ) -> Result<Page<Mailbox>, ApiError> {
        self.get_json(
            &format!("RestoreSessions/{}/organization/mailboxes", seg(restore_session_id)),
            &page_q(offset, limit)?,
        )
        .await
    }

    pub async fn mailbox(&self, restore_session_id: &str, mailbox_id: &str) -> Result<Mailbox, ApiError> {
        self.get_json(&mb_path(restore_session_id, mailbox_id, ""), &[]).await
    }

    /// One page of folders under `parent`.
    pub async fn folders(
        &self,
        restore_session_id: &str,
        mailbox_id: &str,
        parent: FolderParent<'_>,
        offset: u64,
        limit: u32,
    ) -> Result<Page<Folder>, ApiError> {
        let mut q = page_q(offset, limit)?;
        match parent {
            FolderParent::Root => q.push(("parentId", "root".into())),
            FolderParent::Folder(id) => q.push(("parentId", id.to_string())),
            FolderParent::All => {}
        }
        self.get_json(&mb_path(restore_session_id, mailbox_id, "/folders"), &q)
            .await
    }

    /// Every folder directly under `parent`.
    pub async fn all_folders(
        &self,
        restore_session_id: &str,
        mailbox_id: &str,
        parent: FolderParent<'_>,
    ) -> Result<Vec<Folder>, ApiError> {
        paging::collect_all(1000, |o, l| self.folders(restore_session_id, mailbox_id, parent, o, l)).await
    }

    pub async fn folder(
        &self,
        restore_session_id: &str,
        mailbox_id: &str,
        folder_id: &str,
    ) -> Result<Folder, ApiError> {
        self.get_json(
            &mb_path(restore_session_id, mailbox_id, &format!("/folders/{}", seg(folder_id))),
            &[],
        )
        .await
    }

    /// The path of a folder from its mailbox's root, walked up through the folders' parent links
    /// ([`super::folder_path::walk`]): the path of every folder fetched, `folder_id`'s first. The walk
    /// stops at a root or at a folder whose path `known` has (by id).
    pub async fn folder_path(
        &self,
        restore_session_id: &str,
        mailbox_id: &str,
        folder_id: &str,
        known: &std::collections::HashMap<String, Vec<String>>,
    ) -> Result<Vec<super::folder_path::FolderPath>, ApiError> {
        super::folder_path::walk(folder_id, known, |id| async move {
            self.folder(restore_session_id, mailbox_id, &id).await
        })
        .await
    }

    /// One page of a folder's items (v6 `folderId=`, v7/v8 `parentId=`).
    pub async fn items(
        &self,
        restore_session_id: &str,
        mailbox_id: &str,
        folder_id: &str,
        offset: u64,
        limit: u32,
    ) -> Result<Page<Item>, ApiError> {
        let v = self.require_version()?;
        let mut q = page_q(offset, limit)?;
        q.push((v.items_folder_param(), folder_id.to_string()));
        self.get_json(&mb_path(restore_session_id, mailbox_id, "/items"), &q)
            .await
    }

    /// One page of a folder's items with its body unread (read as a stream by [`super::stream`]).
    pub(crate) async fn items_response(
        &self,
        restore_session_id: &str,
        mailbox_id: &str,
        folder_id: &str,
        offset: u64,
        limit: u32,
    ) -> Result<reqwest::Response, ApiError> {
        let v = self.require_version()?;
        let mut q = page_q(offset, limit)?;
        q.push((v.items_folder_param(), folder_id.to_string()));
        let path = mb_path(restore_session_id, mailbox_id, "/items");
        self.call(Method::GET, &path, &q, Body::None, Wait::Stall).await
    }

    /// The wait before retry `attempt` (from 1) of a read that failed with `error` after its answer
    /// started, reported like the request loop's retries; None when the retries are used up.
    pub(crate) fn retry_delay(&self, attempt: u32, what: &str, error: &ApiError) -> Option<Duration> {
        if attempt > self.inner.retry.max_retries {
            return None;
        }
        let delay = self.backoff(attempt);
        self.notify_retry(attempt, what, &error.to_string(), delay);
        Some(delay)
    }

    /// The number of items in a folder, without listing it (see [`paging::count`]): one request on
    /// v6/v7 (totalCount); on v8 a search of a few round trips, remembered for the restore session.
    pub async fn count_items(
        &self,
        restore_session_id: &str,
        mailbox_id: &str,
        folder_id: &str,
    ) -> Result<u64, ApiError> {
        self.count_items_with_stats(restore_session_id, mailbox_id, folder_id)
            .await
            .map(|s| s.total)
    }

    /// [`Client::count_items`] with what it cost (0 requests when remembered).
    pub async fn count_items_with_stats(
        &self,
        restore_session_id: &str,
        mailbox_id: &str,
        folder_id: &str,
    ) -> Result<paging::CountStats, ApiError> {
        let key = (
            restore_session_id.to_string(),
            mailbox_id.to_string(),
            folder_id.to_string(),
        );
        if let Some(total) = self.inner.counts.lock().ok().and_then(|m| m.get(&key).copied()) {
            return Ok(paging::CountStats {
                total,
                requests: 0,
                round_trips: 0,
            });
        }
        let may_report_total = self.require_version()? != ApiVersion::V8;
        let stats = paging::count_with_stats(
            |o, l| self.items(restore_session_id, mailbox_id, folder_id, o, l),
            may_report_total,
        )
        .await?;
        if !may_report_total && let Ok(mut m) = self.inner.counts.lock() {
            if m.len() >= COUNTS_KEPT {
                m.clear();
            }
            m.insert(key, stats.total);
        }
        Ok(stats)
    }

    pub async fn item(&self, restore_session_id: &str, mailbox_id: &str, item_id: &str) -> Result<Item, ApiError> {
        self.get_json(
            &mb_path(restore_session_id, mailbox_id, &format!("/items/{}", seg(item_id))),
            &[],
        )
        .await
    }

    /// Server-side search (Windows Search syntax: `from:`, `subject:"..."`, ...). A search from offset 0
    /// starts a new result set; a later page of the same search (same session, scope and query) sends
    /// the first page's `setId` back (see [`Client::search_page`]).
    pub async fn search(
        &self,
        restore_session_id: &str,
        scope: SearchScope<'_>,
        query: &str,
        offset: u64,
        limit: u32,
    ) -> Result<Page<Item>, ApiError> {
        let key = (
            restore_session_id.to_string(),
            search_path(restore_session_id, scope),
            query.to_string(),
        );
        let known = if offset == 0 {
            None
        } else {
            self.inner.search_sets.lock().ok().and_then(|m| m.get(&key).cloned())
        };
        let page = match self
            .search_page(restore_session_id, scope, query, offset, limit, known.as_deref())
            .await
        {
            // Assumption (the spec does not say how an expired or unknown set is refused): a 400 or 404
            // to a request naming a set means the set is gone; search afresh rather than fail the page.
            Err(ApiError::Http { status: 400 | 404, .. }) if known.is_some() => {
                if let Ok(mut m) = self.inner.search_sets.lock() {
                    m.remove(&key);
                }
                self.search_page(restore_session_id, scope, query, offset, limit, None)
                    .await?
            }
            other => other?,
        };
        if (offset == 0 || known.is_none())
            && let Some(id) = page.set_id.as_ref().filter(|s| !s.trim().is_empty())
            && let Ok(mut m) = self.inner.search_sets.lock()
        {
            if m.len() >= SEARCH_SETS_KEPT && !m.contains_key(&key) {
                m.clear();
            }
            m.insert(key, id.clone());
        }
        Ok(page)
    }

    /// One page of a server-side search; `set_id` names the result set of an earlier page (`setId`).
    pub async fn search_page(
        &self,
        restore_session_id: &str,
        scope: SearchScope<'_>,
        query: &str,
        offset: u64,
        limit: u32,
        set_id: Option<&str>,
    ) -> Result<Page<Item>, ApiError> {
        let path = search_path(restore_session_id, scope);
        let body = SearchOptions {
            query: Some(query.to_string()),
        };
        let mut q = page_q(offset, limit)?;
        if let Some(id) = set_id {
            q.push(("setId", id.to_string()));
        }
        // Search is a read sent as POST: safe to retry.
        self.call_json(Method::POST, &path, &q, json_body(&body)?, true).await
    }

    /// Asks the server for a device code to authorise a restore (`restoreDeviceCode`).
    pub async fn restore_device_code(
        &self,
        restore_session_id: &str,
        req: &DeviceCodeRequest,
    ) -> Result<DeviceCode, ApiError> {
        self.post_json(
            &format!(
                "RestoreSessions/{}/organization/restoreDeviceCode",
                seg(restore_session_id)
            ),
            req,
        )
        .await
    }
}

/// The path of a search in `scope`.
fn search_path(restore_session_id: &str, scope: SearchScope<'_>) -> String {
    match scope {
        SearchScope::AllMailboxes => format!(
            "RestoreSessions/{}/organization/mailboxes/search",
            seg(restore_session_id)
        ),
        SearchScope::Mailbox(m) => mb_path(restore_session_id, m, "/search"),
        SearchScope::Folder { mailbox, folder } => {
            mb_path(restore_session_id, mailbox, &format!("/folders/{}/search", seg(folder)))
        }
    }
}

/// `RestoreSessions/{rs}/organization/mailboxes/{mb}{rest}`.
pub(crate) fn mb_path(restore_session_id: &str, mailbox_id: &str, rest: &str) -> String {
    format!(
        "RestoreSessions/{}/organization/mailboxes/{}{}",
        seg(restore_session_id),
        seg(mailbox_id),
        rest
    )
}

/// The `limit` a request asks for: a page may not hold more rows.
fn page_limit(query: &[(&str, String)]) -> Option<usize> {
    query
        .iter()
        .find(|(k, _)| *k == "limit")
        .and_then(|(_, v)| v.parse().ok())
}

/// The error for a redirect: where it pointed (resolved against the request's URL, made safe to show).
fn redirect_error(url: &str, res: &reqwest::Response) -> ApiError {
    let location = res
        .headers()
        .get(reqwest::header::LOCATION)
        .map(|h| String::from_utf8_lossy(h.as_bytes()).into_owned());
    let location = match location {
        None => "nowhere (no Location header)".to_string(),
        Some(l) => {
            let resolved = url::Url::parse(url)
                .and_then(|u| u.join(l.trim()))
                .map(|u| u.to_string())
                .unwrap_or(l);
            one_line(&resolved, 300)
        }
    };
    ApiError::Redirect {
        status: res.status().as_u16(),
        location,
    }
}

/// `offset` and `limit` of a page request. The spec types both as int32 (the server answers 400 to
/// anything larger): an offset beyond that is refused here with a clear message instead.
pub(crate) fn page_q(offset: u64, limit: u32) -> Result<Vec<(&'static str, String)>, ApiError> {
    if offset > paging::MAX_OFFSET {
        return Err(ApiError::Config(format!(
            "offset {offset} is beyond the largest the server accepts ({})",
            paging::MAX_OFFSET
        )));
    }
    Ok(vec![
        ("offset", offset.to_string()),
        ("limit", paging::clamp_limit(limit).to_string()),
    ])
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, SEGMENT),
                utf8_percent_encode(v, SEGMENT)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The longest `Retry-After` honoured: a server asking for more gets retried after this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

fn retry_after(res: &reqwest::Response) -> Option<Duration> {
    let v = res.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(v, time::OffsetDateTime::now_utc())
}

/// `Retry-After`: delay-seconds or an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`), capped at
/// [`MAX_RETRY_AFTER`]; a date in the past is "now".
pub fn parse_retry_after(v: &str, now: time::OffsetDateTime) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let when = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc2822).ok()?;
    let wait = (when - now).max(time::Duration::ZERO);
    Some(Duration::try_from(wait).unwrap_or(MAX_RETRY_AFTER).min(MAX_RETRY_AFTER))
}

fn exception_message(bytes: &[u8]) -> Option<String> {
    serde_json::from_slice::<ExceptionInfo>(bytes)
        .ok()
        .and_then(|e| e.message)
        .filter(|m| !m.is_empty())
        .map(|m| one_line(&m, MAX_MESSAGE))
}

pub(crate) fn http_error(status: StatusCode, bytes: &[u8]) -> ApiError {
    let info: ExceptionInfo = serde_json::from_slice(bytes).unwrap_or_default();
    let message = info
        .message
        .filter(|m| !m.is_empty())
        .map(|m| one_line(&m, MAX_MESSAGE))
        .unwrap_or_else(|| {
            let reason = status.canonical_reason().unwrap_or("error");
            if bytes.is_empty() {
                reason.to_string()
            } else {
                format!("{reason} (the body is not a RESTExceptionInfo)")
            }
        });
    ApiError::Http {
        status: status.as_u16(),
        message,
        error_code: info.error_code.map(|c| one_line(&c, 100)),
    }
}

/// A JSON body; the error names what was wrong without quoting the body (it may be huge or hostile).
pub(crate) fn decode_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            ApiError::Decode("the answer is empty".into())
        } else {
            ApiError::Decode(one_line(&e.to_string(), MAX_MESSAGE))
        }
    })
}

/// A request body as JSON, kept zeroized (restore bodies carry passwords).
pub(crate) fn json_body<B: Serialize>(body: &B) -> Result<Body, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(|e| ApiError::Config(format!("cannot encode the request: {e}")))?;
    Ok(Body::Json(Zeroizing::new(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn retry_after_in_seconds_or_as_a_date_and_capped() {
        let now = datetime!(2025-11-20 10:00:00 UTC);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("86400", now), Some(MAX_RETRY_AFTER));
        assert_eq!(
            parse_retry_after("Thu, 20 Nov 2025 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Thu, 20 Nov 2025 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("Fri, 20 Nov 2026 10:00:00 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
        for bad in ["", "soon", "-1", "1.5", "\u{1b}[2J"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn backoff_grows_is_jittered_and_bounded() {
        let c = Client::new(ClientConfig {
            retry: RetryPolicy {
                max_retries: 10,
                base_delay: Duration::from_millis(100),
                max_delay: Duration::from_secs(2),
            },
            ..ClientConfig::new("http://127.0.0.1:1")
        })
        .unwrap();
        for attempt in 1..=30 {
            let full = Duration::from_millis(100)
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(Duration::from_secs(2));
            for _ in 0..20 {
                let d = c.backoff(attempt);
                assert!(
                    d >= full / 2 && d <= full,
                    "attempt {attempt}: {d:?} not in [{:?}, {full:?}]",
                    full / 2
                );
            }
        }
        let spread: std::collections::HashSet<Duration> = (0..50).map(|_| c.backoff(3)).collect();
        assert!(spread.len() > 10, "jitter");
    }

    #[test]
    fn retry_notice_reads_well() {
        let n = RetryNotice {
            attempt: 2,
            max: 4,
            what: "GET RestoreSessions".into(),
            error: "server error 503: busy".into(),
            delay: Duration::from_millis(500),
        };
        assert_eq!(
            n.to_string(),
            "retrying 2/4 in 0.5 s: GET RestoreSessions: server error 503: busy"
        );
    }

    #[test]
    fn error_bodies_are_defused() {
        let body = br#"{"message":"bad \u001b]0;pwned\u0007 thing\u202e","errorCode":"X\u001b[2J"}"#;
        let e = http_error(StatusCode::INTERNAL_SERVER_ERROR, body);
        let ApiError::Http {
            message, error_code, ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert!(!message.chars().any(|c| c.is_control()), "{message:?}");
        assert!(!error_code.as_deref().unwrap().contains('\u{1b}'));
        let e = http_error(StatusCode::BAD_GATEWAY, b"<html>nope</html>");
        assert_eq!(
            e.to_string(),
            "server error 502: Bad Gateway (the body is not a RESTExceptionInfo)"
        );
        let huge = format!(r#"{{"message":"{}"}}"#, "x".repeat(1_000_000));
        let ApiError::Http { message, .. } = http_error(StatusCode::INTERNAL_SERVER_ERROR, huge.as_bytes()) else {
            panic!()
        };
        assert!(message.chars().count() <= MAX_MESSAGE + 1);
        let d: Result<Page<Item>, _> = decode_bytes(br#"{"results":"\u001b[2J"}"#);
        assert!(!d.unwrap_err().to_string().contains('\u{1b}'));
        assert_eq!(
            decode_bytes::<Page<Item>>(b"  ").unwrap_err(),
            ApiError::Decode("the answer is empty".into())
        );
    }
}
