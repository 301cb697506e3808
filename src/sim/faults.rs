//! Fault injection. Every request to the API (`/v6`, `/v7`, `/v8`) passes through [`middleware`], which can
//! delay it, answer it with a 5xx, throttle `/token` with 429, or damage the response on its way out:
//! drop the connection (before the response or in the middle of its body), cut the body short under a
//! larger `Content-Length`, corrupt a JSON body, or let the bytes trickle.
//!
//! - Rate-based faults and the latency apply only to requests matching [`Faults::routes`] (every API
//!   request when the list is empty); see [`route_matches`] for the pattern syntax.
//! - Randomness is seeded ([`Faults::seed`]): request `n` (counted from the start of the server, API
//!   requests only) draws from `Rng(seed, n)`, so a sequential client sees the same faults on every run.
//! - [`Faults::reset_after_apply`] is the restore guarantee's test: a restore POST runs (the emulator's
//!   [`Store::restores`](super::Store::restores) records it), then the connection is closed before a single
//!   byte of the answer is sent.
//! - Only the API is faulted: any other path, and the in-process inspection hooks of [`super::Store`] and
//!   [`super::SimServer`], are never affected.
//!
//! The same faults are available as `vex sim` flags (see [`super::SimArgs`]) and in-process through
//! [`super::SimConfig::faults`] or [`super::SimServer::set_faults`].

use super::rng::Rng;
use crate::api::models::ExceptionInfo;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// How `/token` is throttled (answered 429 with `Retry-After`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Throttle {
    /// Of every `n` calls, only the `n`-th passes: `Every(2)` answers 429, 200, 429, 200, ...
    /// (`Every(1)` never throttles).
    Every(u32),
    /// Each call is throttled with this probability.
    Rate(f64),
}

impl Throttle {
    fn throttles(self, call: u64, draw: f64) -> bool {
        match self {
            Throttle::Every(n) => n > 1 && !call.is_multiple_of(u64::from(n)),
            Throttle::Rate(p) => draw < p,
        }
    }
}

impl std::str::FromStr for Throttle {
    type Err = String;
    /// `"2"` → every other call, `"3"` → two of every three, `"0.25"` → a quarter at random.
    fn from_str(s: &str) -> Result<Throttle, String> {
        let s = s.trim();
        if s.contains('.') {
            return parse_rate(s).map(Throttle::Rate);
        }
        match s.parse::<u32>() {
            Ok(n) if n >= 1 => Ok(Throttle::Every(n)),
            _ => Err(format!(
                "{s:?}: give N (only every N-th call passes, N >= 1) or a probability like 0.5"
            )),
        }
    }
}

/// Which restore POSTs are answered by a dropped connection after they were applied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ResetAfterApply {
    #[default]
    Off,
    /// Every restore.
    All,
    /// The first `n` restores (later ones are answered normally).
    First(u32),
}

/// Bytes trickling: `chunk` bytes, then a pause of `interval`, until the body is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlowBody {
    pub chunk: usize,
    pub interval: Duration,
}

impl SlowBody {
    /// About `bytes_per_sec`, in 20 ms steps.
    pub fn bytes_per_sec(bytes_per_sec: u64) -> SlowBody {
        SlowBody {
            chunk: (bytes_per_sec / 50).max(1) as usize,
            interval: Duration::from_millis(20),
        }
    }
}

impl Default for SlowBody {
    fn default() -> Self {
        SlowBody::bytes_per_sec(20_000)
    }
}

/// How a malformed-body fault damages a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Malformation {
    /// The JSON cut in half, sent as a complete response (matching `Content-Length`).
    TruncatedJson,
    /// An HTML error page with status 200 (`text/html`).
    Html,
    /// Status 200 with an empty body.
    Empty,
    /// Strings become numbers, numbers become non-numeric strings, booleans become "maybe".
    WrongTypes,
    /// Every value (at any depth) becomes `null`.
    NullsEverywhere,
    /// Values of enum-like fields (`type`, `status`, `state`, `result`, `importance`, `category`, ...)
    /// become values no version of the API has.
    UnknownEnums,
    /// Every `itemClass` becomes a class nobody knows, with unknown fields next to it.
    UnknownItemClass,
    /// An object becomes an array holding it, an array becomes an object holding it.
    WrongShape,
    /// 100,000 nested arrays.
    DeepNesting,
    /// Numbers far outside any integer range (`1e400`, `-99999999999999999999999`).
    HugeNumbers,
    /// A JSON error body (`{"message": ...}`) with status 200: for downloads, which expect bytes.
    JsonInsteadOfBytes,
}

impl std::str::FromStr for Malformation {
    type Err = String;
    fn from_str(s: &str) -> Result<Malformation, String> {
        let k = s.trim().to_ascii_lowercase().replace('_', "-");
        Malformation::ALL
            .into_iter()
            .find(|m| m.name() == k || (k == "nulls" && *m == Malformation::NullsEverywhere))
            .ok_or_else(|| {
                let names: Vec<&str> = Malformation::ALL.iter().map(|m| m.name()).collect();
                format!("{s:?} is not a kind of damage; use one of {}", names.join(", "))
            })
    }
}

impl Malformation {
    /// The name used by `vex sim --malformed-kind`.
    pub fn name(self) -> &'static str {
        match self {
            Malformation::TruncatedJson => "truncated-json",
            Malformation::Html => "html",
            Malformation::Empty => "empty",
            Malformation::WrongTypes => "wrong-types",
            Malformation::NullsEverywhere => "nulls-everywhere",
            Malformation::UnknownEnums => "unknown-enums",
            Malformation::UnknownItemClass => "unknown-item-class",
            Malformation::WrongShape => "wrong-shape",
            Malformation::DeepNesting => "deep-nesting",
            Malformation::HugeNumbers => "huge-numbers",
            Malformation::JsonInsteadOfBytes => "json-instead-of-bytes",
        }
    }

    pub const ALL: [Malformation; 11] = [
        Malformation::TruncatedJson,
        Malformation::Html,
        Malformation::Empty,
        Malformation::WrongTypes,
        Malformation::NullsEverywhere,
        Malformation::UnknownEnums,
        Malformation::UnknownItemClass,
        Malformation::WrongShape,
        Malformation::DeepNesting,
        Malformation::HugeNumbers,
        Malformation::JsonInsteadOfBytes,
    ];

    /// The kinds that make sense for a body that is not JSON (downloads).
    fn applies_to_binary(self) -> bool {
        matches!(
            self,
            Malformation::Html | Malformation::Empty | Malformation::JsonInsteadOfBytes
        )
    }
}

/// Faults to inject (the default: none).
///
/// ```
/// use std::time::Duration;
/// use vex::sim::Faults;
/// // 20% 5xx and 5% dropped connections on item listings, 5-15 ms of latency everywhere they apply.
/// let f = Faults {
///     fault_rate: 0.2,
///     reset_rate: 0.05,
///     latency: Some(Duration::from_millis(5)),
///     latency_jitter: Duration::from_millis(10),
///     routes: vec!["GET items".into()],
///     ..Faults::default()
/// };
/// assert!(!f.is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Seed of the fault decisions (same seed and same request order, same faults).
    pub seed: u64,
    /// Only requests matching one of these patterns get the rate-based faults, the latency and the slow
    /// body (empty: every API request). See [`route_matches`].
    pub routes: Vec<String>,
    /// Delay before each matching request is handled.
    pub latency: Option<Duration>,
    /// Up to this much more delay, uniformly drawn.
    pub latency_jitter: Duration,
    /// Probability of answering a 5xx with a `RESTExceptionInfo` body (before the request is handled).
    pub fault_rate: f64,
    /// The statuses those 5xx are drawn from (empty: 500, 502, 503 and 504). A 500 is the server's own
    /// refusal; 502, 503 and 504 are what a gateway in front of it answers, and a client cannot tell
    /// whether the server got the request.
    pub fault_statuses: Vec<u16>,
    /// Probability of dropping the connection after the request was handled: before the response (half
    /// the time) or in the middle of its body.
    pub reset_rate: f64,
    /// Probability of sending only part of the body under the full `Content-Length`, then closing.
    pub truncate_rate: f64,
    /// Probability of damaging a 2xx body (see [`Malformation`]).
    pub malformed_rate: f64,
    /// The kinds of damage to draw from (empty: all that apply to the body).
    pub malformations: Vec<Malformation>,
    /// Let response bodies trickle.
    pub slow_body: Option<SlowBody>,
    /// Throttle `/token` (not subject to `routes`).
    pub throttle_token: Option<Throttle>,
    /// Throttle restore POSTs (`restore`, `restoreTo`; not subject to `routes`), before they are handled.
    pub throttle_restores: Option<Throttle>,
    /// The `Retry-After` of a throttled `/token` or restore (whole seconds on the wire; 0 when unset).
    pub throttle_retry_after: Duration,
    /// Apply restore POSTs, then drop the connection before answering (not subject to `routes`).
    pub reset_after_apply: ResetAfterApply,
    /// Make the successful JSON answers of matching GETs too much (see [`super::flood`]).
    pub flood: Option<super::flood::Flood>,
    /// Rotate the tokens of `grant_type=refresh_token` requests, then drop the connection before
    /// answering: the client's refresh is lost and its refresh token spent (not subject to `routes`).
    pub lose_refresh: ResetAfterApply,
    /// Answer matching requests with `307 Temporary Redirect` to this base URL (the request's path and
    /// query appended), before handling them: a hostile server or proxy sending the client elsewhere.
    pub redirect_to: Option<String>,
}

impl Faults {
    /// No faults.
    pub fn none() -> Faults {
        Faults::default()
    }

    pub fn is_none(&self) -> bool {
        self.latency.is_none()
            && self.latency_jitter.is_zero()
            && self.fault_rate <= 0.0
            && self.reset_rate <= 0.0
            && self.truncate_rate <= 0.0
            && self.malformed_rate <= 0.0
            && self.slow_body.is_none()
            && self.throttle_token.is_none()
            && self.throttle_restores.is_none()
            && self.reset_after_apply == ResetAfterApply::Off
            && self.flood.is_none()
            && self.lose_refresh == ResetAfterApply::Off
            && self.redirect_to.is_none()
    }

    /// True when the rate-based faults apply to this request.
    pub fn applies_to(&self, method: &Method, path: &str) -> bool {
        self.routes.is_empty() || self.routes.iter().any(|p| route_matches(p, method, path))
    }

    /// One line per active fault, for `vex sim`'s banner.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        let pct = |f: f64| format!("{:.1}%", f * 100.0);
        if self.latency.is_some() || !self.latency_jitter.is_zero() {
            out.push(format!(
                "latency {} ms + up to {} ms",
                self.latency.unwrap_or_default().as_millis(),
                self.latency_jitter.as_millis()
            ));
        }
        if self.fault_rate > 0.0 {
            out.push(format!("5xx on {} of requests", pct(self.fault_rate)));
        }
        if self.reset_rate > 0.0 {
            out.push(format!("connection dropped on {} of requests", pct(self.reset_rate)));
        }
        if self.truncate_rate > 0.0 {
            out.push(format!("body cut short on {} of requests", pct(self.truncate_rate)));
        }
        if self.malformed_rate > 0.0 {
            let kinds = if self.malformations.is_empty() {
                "any kind".to_string()
            } else {
                self.malformations
                    .iter()
                    .map(|m| m.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            out.push(format!(
                "malformed body ({kinds}) on {} of requests",
                pct(self.malformed_rate)
            ));
        }
        if let Some(s) = self.slow_body {
            out.push(format!(
                "slow bodies: {} bytes every {} ms",
                s.chunk,
                s.interval.as_millis()
            ));
        }
        if let Some(f) = self.flood {
            out.push(format!("flood: {f}"));
        }
        if let Some(to) = &self.redirect_to {
            out.push(format!("redirected (307) to {to}"));
        }
        if !out.is_empty() && !self.routes.is_empty() {
            out.push(format!("  (only on routes matching {})", self.routes.join(" | ")));
        }
        match self.throttle_token {
            Some(Throttle::Every(n)) => out.push(format!(
                "/token throttled (429, Retry-After {}s): {} of every {n} calls",
                self.throttle_retry_after.as_secs(),
                n.saturating_sub(1)
            )),
            Some(Throttle::Rate(p)) => out.push(format!(
                "/token throttled (429, Retry-After {}s) on {} of calls",
                self.throttle_retry_after.as_secs(),
                pct(p)
            )),
            None => {}
        }
        match self.reset_after_apply {
            ResetAfterApply::Off => {}
            ResetAfterApply::All => out.push("every restore is applied, then its connection is dropped".into()),
            ResetAfterApply::First(n) => out.push(format!(
                "the first {n} restore(s) are applied, then their connection is dropped"
            )),
        }
        match self.lose_refresh {
            ResetAfterApply::Off => {}
            ResetAfterApply::All => out.push("every token refresh is applied, then its answer is lost".into()),
            ResetAfterApply::First(n) => out.push(format!(
                "the first {n} token refresh(es) are applied, then their answer is lost"
            )),
        }
        if !out.is_empty() {
            out.push(format!("fault seed {}", self.seed));
        }
        out
    }
}

/// A route pattern: an optional HTTP method, then a case-insensitive substring of the request path
/// (percent-encoded, without the query). `"items"` matches every path containing `items`;
/// `"GET items"` only GETs of them; `"GET"` every GET; `"POST restoreTo"` the restores to another mailbox;
/// `"/token"` the token endpoint. A `*` matches any run of characters (`"mailboxes/*/folders"`); a
/// trailing `$` anchors the pattern at the end of the path (`"GET /items$"`: item lists, not single items).
pub fn route_matches(pattern: &str, method: &Method, path: &str) -> bool {
    let pattern = pattern.trim();
    let (m, rest) = match pattern.split_once(char::is_whitespace) {
        Some((first, rest)) if is_method(first) => (Some(first), rest.trim()),
        _ if is_method(pattern) => (Some(pattern), ""),
        _ => (None, pattern),
    };
    if m.is_some_and(|m| !m.eq_ignore_ascii_case(method.as_str())) {
        return false;
    }
    glob_contains(&path.to_ascii_lowercase(), &rest.to_ascii_lowercase())
}

fn is_method(s: &str) -> bool {
    ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(s))
}

/// True when `pattern` (with `*` wildcards and an optional trailing `$`) occurs somewhere in `text`.
fn glob_contains(text: &str, pattern: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = text;
    for (n, part) in parts.iter().enumerate() {
        let last = n + 1 == parts.len();
        if last && anchored {
            // The last part sits at the very end (after whatever the previous parts left).
            return rest.ends_with(part) || (part.is_empty() && (parts.len() > 1 || rest.is_empty()));
        }
        if part.is_empty() {
            continue;
        }
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// A probability in `0..=1`.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let f: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number between 0 and 1"))?;
    if (0.0..=1.0).contains(&f) {
        Ok(f)
    } else {
        Err(format!("{s:?} is not between 0 and 1"))
    }
}

/// What the fault layer did so far (API requests only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultStats {
    /// API requests seen (faulted or not).
    pub requests: u64,
    pub delayed: u64,
    /// 5xx answers.
    pub errors: u64,
    /// Connections dropped before or during the response (rate-based).
    pub resets: u64,
    pub truncated: u64,
    pub malformed: u64,
    pub slowed: u64,
    /// 429 answers on `/token`.
    pub throttled: u64,
    /// Restores applied, then answered by a dropped connection.
    pub reset_after_apply: u64,
    /// Answers made too much ([`Faults::flood`]).
    pub flooded: u64,
    /// Token refreshes applied, then answered by a dropped connection.
    pub lost_refreshes: u64,
    /// Password logins (`grant_type=password`) seen while [`Faults::lose_refresh`] was on.
    pub password_logins: u64,
    /// Requests answered with a redirect ([`Faults::redirect_to`]).
    pub redirected: u64,
}

/// The fault layer's shared state: the faults (replaceable at run time) and counters.
#[derive(Debug, Default)]
pub struct FaultState {
    faults: RwLock<Arc<Faults>>,
    requests: AtomicU64,
    token_calls: AtomicU64,
    restore_calls: AtomicU64,
    /// Every restore POST: when it arrived, how it was answered.
    restore_log: Mutex<Vec<RestoreRequest>>,
    /// Restore requests being handled now, and the most at any moment.
    in_flight: Mutex<(usize, usize)>,
    restores: AtomicU64,
    refreshes: AtomicU64,
    stats: Mutex<FaultStats>,
}

/// A restore request as the server saw it (see [`FaultState::restore_requests`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoreRequest {
    pub path: String,
    pub arrived: std::time::Instant,
    /// The answer's status (0 while it is handled, or when the client went away first).
    pub status: u16,
    /// The `Retry-After` of a 429.
    pub retry_after: Option<Duration>,
}

/// Counts a restore request in flight while it lives.
struct InFlight(Arc<FaultState>);

impl InFlight {
    fn new(state: Arc<FaultState>) -> InFlight {
        {
            let mut g = state.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            g.0 += 1;
            g.1 = g.1.max(g.0);
        }
        InFlight(state)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut g = self.0.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        g.0 = g.0.saturating_sub(1);
    }
}

impl FaultState {
    /// Every restore POST so far, in the order they arrived.
    pub fn restore_requests(&self) -> Vec<RestoreRequest> {
        self.restore_log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The most restore requests the server handled at one moment. v6/v7 answer a restore when it is
    /// done, so there this is the most restores running at once; a v8 restore runs on after its answer.
    pub fn max_restores_in_flight(&self) -> usize {
        self.in_flight.lock().unwrap_or_else(|e| e.into_inner()).1
    }

    pub fn new(faults: Faults) -> FaultState {
        FaultState {
            faults: RwLock::new(Arc::new(faults)),
            ..FaultState::default()
        }
    }

    /// The faults in force.
    pub fn faults(&self) -> Faults {
        (*self.current()).clone()
    }

    fn current(&self) -> Arc<Faults> {
        self.faults.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the faults for the next requests (counters and the request sequence carry on).
    pub fn set(&self, faults: Faults) {
        *self.faults.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(faults);
    }

    pub fn stats(&self) -> FaultStats {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn count(&self, f: impl FnOnce(&mut FaultStats)) {
        f(&mut self.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// A uniform draw in `[0, 1)`.
fn unit(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// `/v6`, `/v7` or `/v8` as the first segment: the only paths faults apply to.
fn api_version(path: &str) -> Option<u8> {
    let first = path.trim_start_matches('/').split('/').next()?;
    match first.to_ascii_lowercase().as_str() {
        "v6" => Some(6),
        "v7" => Some(7),
        "v8" => Some(8),
        _ => None,
    }
}

fn last_segment(path: &str) -> String {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

fn is_token(path: &str) -> bool {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    segs.len() == 2 && segs[1].eq_ignore_ascii_case("token")
}

/// A restore POST: `.../restore` or `.../restoreTo` under a mailbox.
fn is_restore(method: &Method, path: &str) -> bool {
    method == Method::POST
        && path.to_ascii_lowercase().contains("/organization/mailboxes/")
        && matches!(last_segment(path).as_str(), "restore" | "restoreto")
}

fn exception(status: StatusCode, message: &str) -> Response {
    let body = serde_json::to_vec(&ExceptionInfo {
        message: Some(message.to_string()),
        error_code: None,
    })
    .unwrap_or_default();
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// The error a damaged body stream ends with; hyper then closes the connection.
fn dropped() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "injected fault: connection dropped",
    )
}

/// Replaces the body by a stream of `parts`, with a pause before each but the first. When `fail`, the
/// stream then errors, which makes the server drop the connection; when the parts fall short of
/// `declared` (the `Content-Length` set), the server closes the connection after them. Either way the
/// bytes sent so far get a moment to reach the client first.
fn streamed(mut resp: Response, parts: Vec<Bytes>, pause: Duration, fail: bool, declared: Option<usize>) -> Response {
    let h = resp.headers_mut();
    h.remove(header::TRANSFER_ENCODING);
    h.remove(header::CONTENT_LENGTH);
    if let Some(n) = declared
        && let Ok(v) = HeaderValue::from_str(&n.to_string())
    {
        h.insert(header::CONTENT_LENGTH, v);
    }
    let sent: usize = parts.iter().map(Bytes::len).sum();
    let short = declared.is_some_and(|n| sent < n);
    // A connection dropped before the response gets no head start: nothing may reach the client.
    let linger = short || (fail && sent > 0);
    let state = (parts.into_iter(), false, fail, linger);
    let stream = futures_util::stream::unfold(state, move |(mut it, started, fail, linger)| async move {
        match it.next() {
            Some(b) => {
                if started && !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
                Some((Ok::<Bytes, std::io::Error>(b), (it, true, fail, linger)))
            }
            None => {
                if linger {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                fail.then(|| (Err(dropped()), (it, true, false, false)))
            }
        }
    });
    let (parts, _) = resp.into_parts();
    Response::from_parts(parts, Body::from_stream(stream))
}

/// A connection dropped before any byte of the response.
fn reset_now(resp: Response) -> Response {
    streamed(resp, Vec::new(), Duration::ZERO, true, None)
}

/// The fault layer. A restore's request, once its body has arrived whole, is handled to its end even if
/// the client goes away meanwhile (during injected latency, say), as ASP.NET runs an action whose client
/// disconnected: the server acts on every complete request it got. One whose body never arrived whole is
/// not acted on.
pub(crate) async fn middleware(State(state): State<Arc<FaultState>>, req: Request, next: Next) -> Response {
    if !is_restore(req.method(), req.uri().path()) {
        return faulty(state, req, next).await;
    }
    let path = req.uri().path().to_string();
    let entry = {
        let mut log = state.restore_log.lock().unwrap_or_else(|e| e.into_inner());
        log.push(RestoreRequest {
            path,
            arrived: std::time::Instant::now(),
            status: 0,
            retry_after: None,
        });
        log.len() - 1
    };
    let faults = state.current();
    let resp = if let Some(t) = faults.throttle_restores
        && t.throttles(
            state.restore_calls.fetch_add(1, Ordering::Relaxed) + 1,
            unit(&mut Rng::new(&[faults.seed, 0x429, entry as u64])),
        ) {
        state.count(|s| s.throttled += 1);
        // The request body is read before the 429 goes out. Assumption (the spec is silent): the VB365
        // server is ASP.NET Core on Kestrel, which reads (drains) a request body the application did not
        // read before it answers on the connection; answering at once and closing instead made a client
        // still writing its body see a broken pipe, never the 429, and tell the restore's outcome unknown.
        let (_, body) = req.into_parts();
        let _ = axum::body::to_bytes(body, 16 << 20).await;
        let mut r = exception(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests: restores are throttled. Try again later.",
        );
        if let Ok(h) = HeaderValue::from_str(&faults.throttle_retry_after.as_secs().to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, h);
        }
        r
    } else if faults.is_none() {
        let _counted = InFlight::new(state.clone());
        faulty(state.clone(), req, next).await
    } else {
        let (head, body) = req.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, 16 << 20).await else {
            return exception(StatusCode::BAD_REQUEST, "The request body did not arrive whole.");
        };
        let req = Request::from_parts(head, Body::from(bytes));
        let st = state.clone();
        let task = async move {
            let _counted = InFlight::new(st.clone());
            faulty(st, req, next).await
        };
        match tokio::spawn(task).await {
            Ok(r) => r,
            Err(_) => exception(StatusCode::INTERNAL_SERVER_ERROR, "The request could not be handled."),
        }
    };
    if let Some(e) = state
        .restore_log
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_mut(entry)
    {
        e.status = resp.status().as_u16();
        e.retry_after = (e.status == 429).then_some(faults.throttle_retry_after);
    }
    resp
}

async fn faulty(state: Arc<FaultState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let Some(v) = api_version(&path) else {
        return next.run(req).await;
    };
    let n = state.requests.fetch_add(1, Ordering::Relaxed);
    state.count(|s| s.requests += 1);
    let faults = state.current();
    if faults.is_none() {
        return next.run(req).await;
    }
    let method = req.method().clone();
    // Every decision is drawn up front, in a fixed order, so one request's faults do not depend on
    // which of the others happened.
    let mut rng = Rng::new(&[faults.seed, 0xFA_u64, n]);
    let d_throttle = unit(&mut rng);
    let d_latency = unit(&mut rng);
    let d_error = unit(&mut rng);
    let d_status = rng.below(4);
    let d_reset = unit(&mut rng);
    let d_truncate = unit(&mut rng);
    let d_malformed = unit(&mut rng);
    let d_cut = rng.next_u64();
    let d_kind = rng.next_u64();

    if is_token(&path)
        && let Some(t) = faults.throttle_token
    {
        let call = state.token_calls.fetch_add(1, Ordering::Relaxed) + 1;
        if t.throttles(call, d_throttle) {
            state.count(|s| s.throttled += 1);
            let mut r = exception(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests: the token endpoint is throttled. Try again later.",
            );
            if let Ok(h) = HeaderValue::from_str(&faults.throttle_retry_after.as_secs().to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, h);
            }
            return r;
        }
    }

    if is_token(&path) && method == Method::POST && faults.lose_refresh != ResetAfterApply::Off {
        // Which grant it is: the form (or JSON) body names it.
        let (head, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).to_ascii_lowercase();
        let refresh = text.contains("refresh_token") && !text.contains("grant_type=password");
        if !refresh && text.contains("password") {
            state.count(|s| s.password_logins += 1);
        }
        let resp = next.run(Request::from_parts(head, Body::from(bytes))).await;
        if refresh && resp.status().is_success() {
            let k = state.refreshes.fetch_add(1, Ordering::Relaxed);
            let lose = match faults.lose_refresh {
                ResetAfterApply::Off => false,
                ResetAfterApply::All => true,
                ResetAfterApply::First(limit) => k < u64::from(limit),
            };
            if lose {
                state.count(|s| s.lost_refreshes += 1);
                tracing::info!("fault: token refresh applied, connection dropped before the answer");
                return reset_now(resp);
            }
        }
        return resp;
    }

    let matching = faults.applies_to(&method, &path);
    if matching && let Some(to) = &faults.redirect_to {
        state.count(|s| s.redirected += 1);
        let pq = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let mut r = StatusCode::TEMPORARY_REDIRECT.into_response();
        if let Ok(h) = HeaderValue::from_str(&format!("{}{pq}", to.trim_end_matches('/'))) {
            r.headers_mut().insert(header::LOCATION, h);
        }
        return r;
    }
    if matching {
        let delay = faults.latency.unwrap_or_default() + faults.latency_jitter.mul_f64(d_latency);
        if !delay.is_zero() {
            state.count(|s| s.delayed += 1);
            tokio::time::sleep(delay).await;
        }
        if d_error < faults.fault_rate {
            state.count(|s| s.errors += 1);
            let status = if faults.fault_statuses.is_empty() {
                [
                    StatusCode::INTERNAL_SERVER_ERROR,
                    StatusCode::BAD_GATEWAY,
                    StatusCode::SERVICE_UNAVAILABLE,
                    StatusCode::GATEWAY_TIMEOUT,
                ][d_status as usize]
            } else {
                let i = (d_kind as usize) % faults.fault_statuses.len();
                StatusCode::from_u16(faults.fault_statuses[i]).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            };
            return exception(
                status,
                &format!("Injected fault (v{v}): the service failed to process the request. Try again."),
            );
        }
    }

    let restore = is_restore(&method, &path);
    let resp = next.run(req).await;

    if restore && resp.status().is_success() {
        let k = state.restores.fetch_add(1, Ordering::Relaxed);
        let reset = match faults.reset_after_apply {
            ResetAfterApply::Off => false,
            ResetAfterApply::All => true,
            ResetAfterApply::First(limit) => k < u64::from(limit),
        };
        if reset {
            state.count(|s| s.reset_after_apply += 1);
            tracing::info!(%path, "fault: restore applied, connection dropped before the answer");
            return reset_now(resp);
        }
    }
    if !matching {
        return resp;
    }
    let damage_reset = d_reset < faults.reset_rate;
    let damage_truncate = !damage_reset && d_truncate < faults.truncate_rate;
    let damage_malformed = !damage_reset && !damage_truncate && d_malformed < faults.malformed_rate;
    let flood = faults
        .flood
        .filter(|_| method == Method::GET && resp.status().is_success() && !damage_reset && !damage_truncate);
    if !damage_reset && !damage_truncate && !damage_malformed && faults.slow_body.is_none() && flood.is_none() {
        return resp;
    }

    let status = resp.status();
    let (parts, body) = resp.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!("fault layer: cannot read a response body: {e}");
            return exception(StatusCode::INTERNAL_SERVER_ERROR, "The response could not be produced.");
        }
    };
    let resp = Response::from_parts(parts, Body::empty());
    let len = bytes.len();

    if damage_reset {
        state.count(|s| s.resets += 1);
        // Half the resets come before the response, the others after a part of the body.
        let cut = if len < 2 || d_cut.is_multiple_of(2) {
            return reset_now(resp);
        } else {
            1 + (d_cut / 2) as usize % (len - 1)
        };
        return streamed(resp, vec![bytes.slice(..cut)], Duration::ZERO, true, Some(len));
    }
    if damage_truncate && len >= 1 && status != StatusCode::NO_CONTENT {
        state.count(|s| s.truncated += 1);
        let cut = (d_cut as usize) % len;
        let sent = if cut == 0 { Vec::new() } else { vec![bytes.slice(..cut)] };
        // The stream ends early: hyper sees less than Content-Length and closes the connection.
        return streamed(resp, sent, Duration::ZERO, false, Some(len));
    }
    let (mut parts, _) = resp.into_parts();
    if let Some(f) = flood {
        match super::flood::apply(f, parts, &bytes) {
            Ok(r) => {
                state.count(|s| s.flooded += 1);
                return r;
            }
            Err(p) => parts = p,
        }
    }
    let mut bytes = bytes;
    if damage_malformed
        && status.is_success()
        && status != StatusCode::NO_CONTENT
        && let Some(b) = malform(&mut parts, &bytes, &faults.malformations, d_kind)
    {
        state.count(|s| s.malformed += 1);
        bytes = b;
    }
    let resp = Response::from_parts(parts, Body::empty());
    if let Some(slow) = faults.slow_body
        && !bytes.is_empty()
    {
        state.count(|s| s.slowed += 1);
        let n = bytes.len();
        let step = slow.chunk.max(1);
        let chunks: Vec<Bytes> = (0..n)
            .step_by(step)
            .map(|i| bytes.slice(i..(i + step).min(n)))
            .collect();
        return streamed(resp, chunks, slow.interval, false, Some(n));
    }
    let (mut parts, _) = resp.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}

fn is_json(parts: &axum::http::response::Parts) -> bool {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|t| t.to_ascii_lowercase().contains("json"))
}

/// Damages a 2xx body (and adjusts the headers); `None` when no chosen kind applies to it.
fn malform(parts: &mut axum::http::response::Parts, bytes: &Bytes, kinds: &[Malformation], draw: u64) -> Option<Bytes> {
    let parsed: Option<Value> = if is_json(parts) {
        serde_json::from_slice(bytes).ok()
    } else {
        None
    };
    let pool: &[Malformation] = if kinds.is_empty() { &Malformation::ALL } else { kinds };
    let usable: Vec<Malformation> = pool
        .iter()
        .copied()
        .filter(|k| parsed.is_some() || k.applies_to_binary())
        .collect();
    if usable.is_empty() {
        return None;
    }
    let kind = usable[(draw % usable.len() as u64) as usize];
    let mut set_type = |t: &'static str| {
        parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(t));
        parts.headers.remove(header::CONTENT_DISPOSITION);
    };
    let out: Vec<u8> = match kind {
        Malformation::TruncatedJson => bytes[..bytes.len() / 2].to_vec(),
        Malformation::Html => {
            set_type("text/html; charset=utf-8");
            b"<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Server Error</h1>\
              <p>Runtime Error: an application error occurred on the server.</p></body></html>"
                .to_vec()
        }
        Malformation::Empty => Vec::new(),
        Malformation::JsonInsteadOfBytes => {
            set_type("application/json; charset=utf-8");
            br#"{"message":"Export failed: the backup repository is not available.","errorCode":"OperationFailed"}"#
                .to_vec()
        }
        Malformation::DeepNesting => {
            let depth = 100_000;
            let mut v = Vec::with_capacity(depth * 2);
            v.resize(depth, b'[');
            v.resize(depth * 2, b']');
            v
        }
        other => {
            let mut v = parsed?;
            transform(&mut v, other, 0);
            serde_json::to_vec(&v).ok()?
        }
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Some(Bytes::from(out))
}

const ENUM_KEYS: &[&str] = &[
    "type",
    "status",
    "state",
    "result",
    "importance",
    "category",
    "officeRegion",
    "itemRestoreDetailsType",
    "token_type",
];

fn transform(v: &mut Value, kind: Malformation, depth: usize) {
    match kind {
        Malformation::WrongShape if depth == 0 => {
            let inner = v.take();
            *v = match inner {
                Value::Array(_) => serde_json::json!({ "value": inner }),
                other => Value::Array(vec![other]),
            };
        }
        Malformation::NullsEverywhere if depth > 0 => *v = Value::Null,
        _ => match v {
            Value::Object(m) => {
                if kind == Malformation::UnknownItemClass && m.contains_key("itemClass") {
                    m.insert("itemClass".into(), Value::from("IPM.Vex.FromTheFuture"));
                    m.insert(
                        "hologram".into(),
                        serde_json::json!({ "depth": 3, "layers": [1, 2, 3] }),
                    );
                    m.insert("subjectV2".into(), Value::from("a field no version has"));
                }
                for (k, x) in m.iter_mut() {
                    if kind == Malformation::UnknownEnums && ENUM_KEYS.contains(&k.as_str()) && x.is_string() {
                        *x = Value::from(format!("Future{}Value", k.len()));
                    } else {
                        transform(x, kind, depth + 1);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| transform(x, kind, depth + 1)),
            Value::String(s) if kind == Malformation::WrongTypes => {
                *v = Value::from(s.len() as i64 * 1_000 + 7);
            }
            Value::Number(_) if kind == Malformation::WrongTypes => *v = Value::from("many"),
            Value::Number(_) if kind == Malformation::HugeNumbers => {
                // serde_json::Value cannot hold 1e400: go through the raw text.
                *v = serde_json::from_str::<Value>("-99999999999999999999999").unwrap_or(Value::Null);
            }
            Value::Bool(_) if kind == Malformation::WrongTypes => *v = Value::from("maybe"),
            _ => {}
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_patterns() {
        let get = Method::GET;
        let post = Method::POST;
        let items = "/v8/RestoreSessions/abc/organization/mailboxes/def/items";
        assert!(route_matches("items", &get, items));
        assert!(route_matches("ITEMS", &post, items));
        assert!(route_matches("GET items", &get, items));
        assert!(!route_matches("GET items", &post, items));
        assert!(route_matches("get", &get, items));
        assert!(!route_matches("POST", &get, items));
        assert!(route_matches("mailboxes/*/items", &get, items));
        assert!(!route_matches("mailboxes/*/folders", &get, items));
        assert!(route_matches("", &get, items));
        assert!(route_matches("/token", &post, "/v8/token"));
        assert!(route_matches("GET /items$", &get, items));
        assert!(!route_matches("GET /items$", &get, &format!("{items}/abc")));
        assert!(route_matches("GET /items/", &get, &format!("{items}/abc")));
        assert!(route_matches("mailboxes/*$", &get, items));
        assert!(route_matches(
            "organization/mailboxes$",
            &get,
            "/v8/RestoreSessions/a/organization/mailboxes"
        ));
        assert!(!route_matches("organization/mailboxes$", &get, items));
        assert!(route_matches("$", &get, items));
        assert!(!route_matches("/token", &post, items));
        let f = Faults {
            routes: vec!["folders".into(), "POST restoreTo".into()],
            fault_rate: 1.0,
            ..Faults::default()
        };
        assert!(f.applies_to(&get, "/v8/x/folders"));
        assert!(f.applies_to(&post, "/v8/x/items/restoreTo"));
        assert!(!f.applies_to(&get, "/v8/x/items/restoreTo"));
        assert!(!f.applies_to(&get, items));
        assert!(Faults { routes: vec![], ..f }.applies_to(&get, items));
    }

    #[test]
    fn throttle_patterns_and_parsing() {
        let every2: Vec<bool> = (1..=6).map(|k| Throttle::Every(2).throttles(k, 0.0)).collect();
        assert_eq!(every2, [true, false, true, false, true, false]);
        assert!((1..10).all(|k| !Throttle::Every(1).throttles(k, 0.0)));
        assert!(Throttle::Rate(0.5).throttles(1, 0.49));
        assert!(!Throttle::Rate(0.5).throttles(1, 0.5));
        assert_eq!("2".parse::<Throttle>(), Ok(Throttle::Every(2)));
        assert_eq!("0.25".parse::<Throttle>(), Ok(Throttle::Rate(0.25)));
        assert!("0".parse::<Throttle>().is_err());
        assert!("1.5".parse::<Throttle>().is_err());
        assert!("x".parse::<Throttle>().is_err());
        assert_eq!(parse_rate("0.2"), Ok(0.2));
        assert!(parse_rate("-0.1").is_err() && parse_rate("NaN").is_err());
    }

    #[test]
    fn none_is_none_and_anything_else_is_not() {
        assert!(Faults::none().is_none());
        assert!(
            Faults {
                seed: 9,
                routes: vec!["x".into()],
                ..Faults::none()
            }
            .is_none()
        );
        for f in [
            Faults {
                latency: Some(Duration::from_millis(1)),
                ..Faults::none()
            },
            Faults {
                fault_rate: 0.1,
                ..Faults::none()
            },
            Faults {
                reset_rate: 0.1,
                ..Faults::none()
            },
            Faults {
                truncate_rate: 0.1,
                ..Faults::none()
            },
            Faults {
                malformed_rate: 0.1,
                ..Faults::none()
            },
            Faults {
                slow_body: Some(SlowBody::default()),
                ..Faults::none()
            },
            Faults {
                throttle_token: Some(Throttle::Every(2)),
                ..Faults::none()
            },
            Faults {
                reset_after_apply: ResetAfterApply::All,
                ..Faults::none()
            },
        ] {
            assert!(!f.is_none(), "{f:?}");
            assert!(!f.describe().is_empty(), "{f:?}");
        }
    }

    #[test]
    fn path_classification() {
        assert_eq!(api_version("/v8/token"), Some(8));
        assert_eq!(api_version("/V6/Organizations"), Some(6));
        assert_eq!(api_version("/_sim/hooks"), None);
        assert_eq!(api_version("/"), None);
        assert!(is_token("/v8/token") && is_token("/V7/Token/"));
        assert!(!is_token("/v8/token/logout"));
        let mb = "/v8/RestoreSessions/a/organization/mailboxes/b";
        assert!(is_restore(&Method::POST, &format!("{mb}/items/restoreTo")));
        assert!(is_restore(&Method::POST, &format!("{mb}/folders/x/restore")));
        assert!(is_restore(&Method::POST, &format!("{mb}/RESTORE")));
        assert!(!is_restore(&Method::GET, &format!("{mb}/items/restoreTo")));
        assert!(!is_restore(&Method::POST, &format!("{mb}/items/exportToPst")));
    }

    #[test]
    fn draws_are_uniform_enough_and_seeded() {
        let mut a = Rng::new(&[1, 0xFA, 7]);
        let mut b = Rng::new(&[1, 0xFA, 7]);
        let xs: Vec<f64> = (0..1000).map(|_| unit(&mut a)).collect();
        let ys: Vec<f64> = (0..1000).map(|_| unit(&mut b)).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let below = xs.iter().filter(|x| **x < 0.2).count();
        assert!((150..250).contains(&below), "{below}");
    }

    fn json_parts() -> axum::http::response::Parts {
        let mut r = StatusCode::OK.into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        r.into_parts().0
    }

    #[test]
    fn every_malformation_damages_a_json_body() {
        let v = serde_json::json!({
            "offset": 0, "limit": 30, "results": [
                {"id": "x", "itemClass": "IPM.Note", "subject": "Hi", "importance": "High", "reminder": true}
            ]
        });
        let bytes = Bytes::from(serde_json::to_vec(&v).unwrap());
        for kind in Malformation::ALL {
            let out = malform(&mut json_parts(), &bytes, &[kind], 0).expect("applies");
            assert_ne!(out, bytes, "{kind:?} changed nothing");
            let parsed = serde_json::from_slice::<Value>(&out);
            match kind {
                Malformation::TruncatedJson | Malformation::Html | Malformation::Empty => {
                    assert!(parsed.is_err(), "{kind:?}")
                }
                Malformation::DeepNesting => assert!(parsed.is_err(), "serde_json's recursion limit"),
                Malformation::NullsEverywhere => {
                    assert_eq!(
                        parsed.unwrap(),
                        serde_json::json!({"offset": null, "limit": null, "results": null})
                    )
                }
                Malformation::WrongShape => assert!(parsed.unwrap().is_array()),
                Malformation::UnknownItemClass => {
                    assert_eq!(parsed.unwrap()["results"][0]["itemClass"], "IPM.Vex.FromTheFuture")
                }
                Malformation::UnknownEnums => assert_ne!(parsed.unwrap()["results"][0]["importance"], "High"),
                Malformation::WrongTypes => assert!(parsed.unwrap()["results"][0]["subject"].is_number()),
                Malformation::HugeNumbers => assert!(parsed.unwrap()["limit"].is_f64()),
                Malformation::JsonInsteadOfBytes => assert!(parsed.unwrap()["message"].is_string()),
            }
        }
    }

    #[test]
    fn binary_bodies_only_get_the_binary_kinds() {
        let parts = || Body::from(vec![1u8, 2, 3]).into_response().into_parts().0;
        let bytes = Bytes::from_static(&[1, 2, 3]);
        assert!(malform(&mut parts(), &bytes, &[Malformation::WrongTypes], 0).is_none());
        for d in 0..20 {
            let mut p = parts();
            let out = malform(&mut p, &bytes, &[], d).expect("some kind applies");
            let t = p
                .headers
                .get(header::CONTENT_TYPE)
                .map(|h| h.to_str().unwrap().to_string())
                .unwrap_or_default();
            assert!(
                out.is_empty() || t.contains("html") || t.contains("json"),
                "{t} {out:?}"
            );
        }
    }
}
