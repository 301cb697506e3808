//! The HTTP surface: one fallback handler that routes like the real server (case-insensitive literal
//! segments; ids are single percent-encoded segments), authenticates, and answers with the spec's shapes
//! and status codes for v6, v7 and v8.

use super::data::{Data, MailboxInfo, OrgInfo};
use super::ids::{FolderKey, ItemKey};
use super::msgfile;
use super::points;
use super::search;
use super::shape;
use super::store::{
    EventRec, HttpError, RestoreAnswer, RestoreFlags, RestoreScope, RestoreSpec, Session, SessionKind, Store,
};
use super::vary::{Counter, Target as VaryTarget, Vary};
use crate::api::models::{
    ApiDate, AsyncRestoreResponse, DeviceCode, DeviceCodeRequest, EventStatus, EventType, ExceptionInfo,
    ExploreOptions, ExportOptions, Folder, FolderType, Item, ItemId, ItemRestoreDetails, Link, Links, Mailbox, Named,
    OAuthError, Organization, Page, RestoreOriginalRequest, RestorePoint, RestoreSession, RestoreSessionStatistics,
    RestoreToRequest, SaveOptions, SearchOptions, SendToDifferentAddressOptions, ServiceInstance, SessionEvent,
};
use axum::body::{Body, Bytes};
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use time::OffsetDateTime;
use uuid::Uuid;

mod bulk;

/// Largest request body accepted.
const MAX_BODY: usize = 16 * 1024 * 1024;
const DEFAULT_LIMIT: i64 = 30;
const MAX_LIMIT: i64 = 10_000;
/// Items a search request scans at most (the million-item folder would otherwise take seconds).
pub const SEARCH_SCAN_BUDGET: u64 = 100_000;
/// Largest PST / ZIP the export and save routes produce.
const MAX_EXPORT_BYTES: u64 = 8 * 1024 * 1024;

/// Characters escaped in path segments and query values of generated links.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// The server build each version reports.
pub fn server_version(v: u8) -> &'static str {
    match v {
        6 => "6.1.0.222",
        7 => "7.1.0.1401",
        _ => "8.1.0.331",
    }
}

pub(crate) struct Routes {
    pub store: Store,
    pub vary: Option<Vary>,
    pub max_page: Option<u32>,
    pub strict: bool,
    /// `http` or `https`, for absolute links.
    pub scheme: &'static str,
    /// Counts API requests (the 429 decisions of `--vary`).
    pub requests: Counter,
    /// How long the request body may take to arrive.
    pub body_timeout: std::time::Duration,
    /// Item pages kept as sent.
    pub pages: super::page_cache::PageCache,
}

/// One request, taken apart.
struct Ctx {
    v: u8,
    /// Raw (still percent-encoded) path segments after the version.
    segs: Vec<String>,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
    peer: Option<SocketAddr>,
    user: String,
    strict: bool,
    max_page: Option<u32>,
}

impl Ctx {
    fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn base(&self) -> String {
        format!("/v{}", self.v)
    }

    fn client_host(&self) -> Option<String> {
        self.peer.map(|p| p.ip().to_string())
    }

    fn ok_status(&self) -> StatusCode {
        if self.v >= 8 {
            StatusCode::NO_CONTENT
        } else {
            StatusCode::OK
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Responses

fn json<T: Serialize>(status: StatusCode, v: &T) -> Response {
    match serde_json::to_vec(v) {
        Ok(body) => {
            let mut r = (status, body).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            r
        }
        Err(e) => {
            tracing::error!("cannot serialise a response: {e}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn ok<T: Serialize>(v: &T) -> Response {
    json(StatusCode::OK, v)
}

fn empty(status: StatusCode) -> Response {
    status.into_response()
}

fn error_code(v: u8, status: u16) -> Option<String> {
    if v < 8 {
        return None;
    }
    match status {
        400 => Some("ParameterValidationFailure".into()),
        404 => Some("ResourceNotFound".into()),
        409 => Some("OperationConflict".into()),
        _ => None,
    }
}

fn fail(v: u8, e: HttpError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    json(
        status,
        &ExceptionInfo {
            message: Some(e.message),
            error_code: error_code(v, e.status),
        },
    )
}

fn unauthorized() -> Response {
    let mut r = empty(StatusCode::UNAUTHORIZED);
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

fn oauth_error(description: &str) -> Response {
    json(
        StatusCode::BAD_REQUEST,
        &OAuthError {
            error: Some("invalid_grant".into()),
            error_description: Some(description.into()),
        },
    )
}

fn binary(bytes: Vec<u8>, filename: &str) -> Response {
    let mut r = Body::from(bytes).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

type Res = Result<Response, HttpError>;

// ---------------------------------------------------------------------------------------------------------
// Entry point

pub(crate) async fn handle(State(app): State<Arc<Routes>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let path = parts.uri.path().to_string();
    let raw: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let v = match raw.first().map(|s| s.to_ascii_lowercase()) {
        Some(s) if s == "v6" => 6,
        Some(s) if s == "v7" => 7,
        Some(s) if s == "v8" => 8,
        _ => return no_route(8, &path),
    };
    let segs: Vec<String> = raw[1..].iter().map(|s| s.to_string()).collect();
    let Some((method, route)) = route(v, &segs) else {
        return no_route(v, &path);
    };
    if parts.method != method {
        return fail(
            v,
            HttpError {
                status: 405,
                message: format!(
                    "The requested resource does not support http method '{}'.",
                    parts.method
                ),
            },
        );
    }
    if let Some(vary) = &app.vary
        && vary.throttles(app.requests.next())
    {
        return throttled(v, vary.retry_after_secs);
    }
    // A body announced larger than the limit is refused before it is read.
    let announced = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_BODY as u64) {
        return fail(
            v,
            HttpError {
                status: 413,
                message: "The request body is too large.".into(),
            },
        );
    }
    // A body that stops short of its Content-Length (or trickles) is timed out, as Kestrel and http.sys
    // do (408), instead of holding the connection open without limit.
    let body = match tokio::time::timeout(app.body_timeout, axum::body::to_bytes(body, MAX_BODY)).await {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            let too_large = e
                .into_inner()
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            return fail(
                v,
                if too_large {
                    HttpError {
                        status: 413,
                        message: "The request body is too large.".into(),
                    }
                } else {
                    // A malformed chunked encoding (bad chunk size, ...) or a body cut off.
                    HttpError::bad_request("The request body could not be read: it is not validly encoded.")
                },
            );
        }
        Err(_) => {
            return fail(
                v,
                HttpError {
                    status: 408,
                    message: "The request body did not arrive in time.".into(),
                },
            );
        }
    };
    let query = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let mut ctx = Ctx {
        v,
        segs,
        path,
        query,
        headers: parts.headers,
        body,
        peer,
        user: String::new(),
        strict: app.strict,
        max_page: app.max_page,
    };

    if route != Route::Token {
        let token = ctx
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim().to_string());
        match token.and_then(|t| app.store.authenticate(&t).map(|u| (t, u))) {
            Some((t, user)) => {
                ctx.user = user;
                if route == Route::Logout {
                    app.store.logout(&t);
                    return empty(if v >= 8 { StatusCode::NO_CONTENT } else { StatusCode::OK });
                }
            }
            None => return unauthorized(),
        }
    }
    // Item pages are kept as sent (see `page_cache`): the request is checked as always, then answered
    // from the bytes kept.
    let cache_key = (route == Route::Items && app.vary.is_none()).then(|| {
        let mut q: Vec<String> = ctx
            .query
            .iter()
            .map(|(k, x)| format!("{}={x}", k.to_ascii_lowercase()))
            .collect();
        q.sort_unstable();
        format!("{}?{}", ctx.path, q.join("&"))
    });
    if let Some(k) = &cache_key {
        if let Err(e) = items_target(&app.store, &ctx) {
            return fail(v, e);
        }
        if let Some(r) = app.pages.get(k, ctx.q("setId").is_some()) {
            return r;
        }
    }
    let resp = match dispatch(&app.store, &ctx, route) {
        Ok(r) => r,
        Err(e) => return fail(v, e),
    };
    let items = matches!(
        route,
        Route::Items | Route::Item | Route::MailboxSearch | Route::FolderSearch | Route::SearchOrganization
    );
    let resp = if resp.status().is_success() && (items || app.vary.is_some()) && is_json(&resp) {
        let host = ctx
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
            .unwrap_or("localhost");
        let origin = format!("{}://{host}", app.scheme);
        // The variation key of the request: its path without GUIDs (session ids are new each run, the
        // answers should not depend on them) and its query.
        let path: Vec<String> = ctx
            .path
            .split('/')
            .map(|seg| {
                let decoded = percent_decode_str(seg).decode_utf8_lossy();
                if Uuid::parse_str(&decoded).is_ok() {
                    "{id}".to_string()
                } else {
                    decoded.into_owned()
                }
            })
            .collect();
        let query: Vec<String> = ctx.query.iter().map(|(k, x)| format!("{k}={x}")).collect();
        let request = format!("{}?{}", path.join("/"), query.join("&"));
        rewrite(resp, |body| {
            if items {
                shape::items(body);
            }
            if let Some(vary) = &app.vary {
                vary.apply(
                    &VaryTarget {
                        v,
                        origin: &origin,
                        request: &request,
                    },
                    body,
                );
            }
        })
        .await
    } else {
        resp
    };
    let resp = match cache_key {
        Some(k) if resp.status() == StatusCode::OK => {
            let (parts, body) = resp.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            app.pages.put(k, bytes.clone());
            Response::from_parts(parts, Body::from(bytes))
        }
        _ => resp,
    };
    if let Some(RestoreDelay(d)) = resp.extensions().get::<RestoreDelay>().copied()
        && !d.is_zero()
    {
        // v6/v7 answer a restore when it is done: a big one keeps the request open (`--vary`).
        tokio::time::sleep(d).await;
    }
    resp
}

/// How long a synchronous restore's answer waits (see `Store::restore_time`).
#[derive(Clone, Copy, Debug)]
struct RestoreDelay(std::time::Duration);

fn is_json(r: &Response) -> bool {
    r.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|t| t.to_ascii_lowercase().contains("json"))
}

/// Re-serialises a JSON answer after `f` changed it.
async fn rewrite(resp: Response, f: impl FnOnce(&mut serde_json::Value)) -> Response {
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    f(&mut value);
    match serde_json::to_vec(&value) {
        Ok(out) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(out))
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `429 Too Many Requests` with `Retry-After` and a RESTExceptionInfo body. Assumption: the real server
/// (or the gateway in front of it) throttles any route this way, not only `/token`.
fn throttled(v: u8, retry_after_secs: u64) -> Response {
    let mut r = fail(
        v,
        HttpError {
            status: 429,
            message: "Too many requests: the server is throttling this client. Retry later.".into(),
        },
    );
    if let Ok(h) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, h);
    }
    r
}

fn no_route(v: u8, path: &str) -> Response {
    fail(
        v,
        HttpError::not_found(format!(
            "No HTTP resource was found that matches the request URI '{path}'."
        )),
    )
}

// ---------------------------------------------------------------------------------------------------------
// Routing

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Token,
    Logout,
    ServiceInstance,
    Organizations,
    Explore,
    Sessions,
    Session,
    Stop,
    Events,
    Event,
    Statistics,
    BackupOrganization,
    DeviceCode,
    Mailboxes,
    SearchOrganization,
    Mailbox,
    MailboxRestore {
        to: bool,
    },
    /// `mailboxes/restore`: several whole mailboxes to their original location.
    BulkRestore,
    MailboxExport,
    MailboxSearch,
    Folders,
    Folder,
    FolderRestore {
        to: bool,
    },
    FolderExport,
    FolderSearch,
    Items,
    Item,
    ItemsRestore {
        to: bool,
    },
    ItemsExport,
    ItemsSave,
    ItemsSendDefault,
    ItemsSendDifferent,
    ItemRestore {
        to: bool,
    },
    ItemExport,
    ItemSave,
    ItemSendDefault,
    ItemSendDifferent,
    RestorePoints,
    Job,
    Repository,
}

/// The route for the path (segments after the version) and the method it takes.
fn route(v: u8, segs: &[String]) -> Option<(Method, Route)> {
    use Route::*;
    let l: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let l: Vec<&str> = l.iter().map(String::as_str).collect();
    let (g, p) = (Method::GET, Method::POST);
    Some(match l.as_slice() {
        ["token"] => (p, Token),
        ["token", "logout"] if v >= 7 => (p, Logout),
        ["serviceinstance"] => (g, ServiceInstance),
        ["organizations"] => (g, Organizations),
        ["organizations", _, "explore"] => (p, Explore),
        ["restorepoints"] => (g, RestorePoints),
        ["jobs", _] => (g, Job),
        ["backuprepositories", _] => (g, Repository),
        ["restoresessions"] => (g, Sessions),
        ["restoresessions", _] => (g, Session),
        ["restoresessions", _, "stop"] => (p, Stop),
        ["restoresessions", _, "events"] => (g, Events),
        ["restoresessions", _, "events", _] => (g, Event),
        ["restoresessions", _, "statistics"] if v >= 8 => (g, Statistics),
        ["restoresessions", _, "organization"] => (g, BackupOrganization),
        ["restoresessions", _, "organization", "restoredevicecode"] => (p, DeviceCode),
        ["restoresessions", _, "organization", "searchexchange"] => (p, SearchOrganization),
        ["restoresessions", _, "organization", "mailboxes"] => (g, Mailboxes),
        ["restoresessions", _, "organization", "mailboxes", "search"] => (p, SearchOrganization),
        ["restoresessions", _, "organization", "mailboxes", "restore"] => (p, BulkRestore),
        ["restoresessions", _, "organization", "mailboxes", _, rest @ ..] => match rest {
            [] => (g, Mailbox),
            ["restore"] => (p, MailboxRestore { to: false }),
            ["restoreto"] => (p, MailboxRestore { to: true }),
            ["exporttopst"] => (p, MailboxExport),
            ["search"] => (p, MailboxSearch),
            ["folders"] => (g, Folders),
            ["folders", _] => (g, Folder),
            ["folders", _, "restore"] => (p, FolderRestore { to: false }),
            ["folders", _, "restoreto"] => (p, FolderRestore { to: true }),
            ["folders", _, "exporttopst"] => (p, FolderExport),
            ["folders", _, "search"] => (p, FolderSearch),
            ["items"] => (g, Items),
            ["items", "restore"] => (p, ItemsRestore { to: false }),
            ["items", "restoreto"] => (p, ItemsRestore { to: true }),
            ["items", "exporttopst"] => (p, ItemsExport),
            ["items", "save"] => (p, ItemsSave),
            ["items", "sendtodefaultaddress"] => (p, ItemsSendDefault),
            ["items", "sendtodifferentaddress"] => (p, ItemsSendDifferent),
            ["items", _] => (g, Item),
            ["items", _, "restore"] => (p, ItemRestore { to: false }),
            ["items", _, "restoreto"] => (p, ItemRestore { to: true }),
            ["items", _, "exporttopst"] => (p, ItemExport),
            ["items", _, "save"] => (p, ItemSave),
            ["items", _, "sendtodefaultaddress"] => (p, ItemSendDefault),
            ["items", _, "sendtodifferentaddress"] => (p, ItemSendDifferent),
            _ => return None,
        },
        _ => return None,
    })
}

fn dispatch(store: &Store, c: &Ctx, r: Route) -> Res {
    use Route::*;
    match r {
        Token => Ok(token(store, c)),
        Logout => Ok(empty(c.ok_status())),
        ServiceInstance => Ok(ok(&self::ServiceInstance {
            installation_id: Some(store.data().installation_id.to_string()),
            version: Some(server_version(c.v).to_string()),
        })),
        Organizations => organizations(store, c),
        Explore => explore(store, c),
        Sessions => sessions(store, c),
        Session => session(store, c),
        Stop => {
            store.stop(session_id(c)?)?;
            Ok(empty(c.ok_status()))
        }
        Events => events(store, c),
        Event => event(store, c),
        Statistics => statistics(store, c),
        BackupOrganization => backup_organization(store, c),
        DeviceCode => device_code(store, c),
        Mailboxes => mailboxes(store, c),
        SearchOrganization => search(store, c, SearchScope::Organization),
        Mailbox => {
            let (s, m) = mailbox_ctx(store, c)?;
            Ok(ok(&mailbox_view(c, s.id, &m)))
        }
        MailboxRestore { to } => restore(store, c, Target::Mailbox, to),
        BulkRestore => bulk::bulk_restore(store, c),
        MailboxExport => export(store, c, Target::Mailbox),
        MailboxSearch => search(store, c, SearchScope::Mailbox),
        Folders => folders(store, c),
        Folder => {
            let (s, m) = mailbox_ctx(store, c)?;
            let f = folder_in(store, c, &m, 6)?;
            Ok(ok(&folder_view(c, s.id, &m, store.data(), f)))
        }
        FolderRestore { to } => restore(store, c, Target::Folder, to),
        FolderExport => export(store, c, Target::Folder),
        FolderSearch => search(store, c, SearchScope::Folder),
        Items => items(store, c),
        Item => item(store, c),
        ItemsRestore { to } => restore(store, c, Target::Items, to),
        ItemRestore { to } => restore(store, c, Target::Item, to),
        ItemsExport => export(store, c, Target::Items),
        ItemExport => export(store, c, Target::Item),
        ItemsSave => save(store, c, false),
        ItemSave => save(store, c, true),
        ItemsSendDefault => send(store, c, false, false),
        ItemSendDefault => send(store, c, true, false),
        ItemsSendDifferent => send(store, c, false, true),
        ItemSendDifferent => send(store, c, true, true),
        RestorePoints => restore_points(store, c),
        Job => job(store, c),
        Repository => repository(store, c),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Request helpers

/// Percent-decodes raw segment `i`.
fn seg(c: &Ctx, i: usize) -> Result<String, HttpError> {
    let raw = c
        .segs
        .get(i)
        .ok_or_else(|| HttpError::not_found("Resource not found."))?;
    percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| HttpError::not_found(format!("'{raw}' is not a valid identifier.")))
}

/// A path id the spec types `uuid`. ASP.NET binds it as a `Guid`: a value that is not one fails model
/// binding with 400 (not 404) and the model-state message "The value 'x' is not valid for name.".
/// Assumption: the real server has no `:guid` route constraints (those would answer 404).
fn parse_uuid(s: &str, name: &str) -> Result<Uuid, HttpError> {
    Uuid::parse_str(s.trim()).map_err(|_| invalid_value(s, name))
}

fn invalid_value(s: &str, name: &str) -> HttpError {
    HttpError::bad_request(format!("The value '{s}' is not valid for {name}."))
}

fn session_id(c: &Ctx) -> Result<Uuid, HttpError> {
    let s = seg(c, 1)?;
    parse_uuid(&s, "restoreSessionId")
}

/// Property names of the request bodies the emulator binds, as the spec spells them (all versions).
const BODY_NAMES: &[&str] = &[
    "applicationCertificate",
    "applicationCertificatePassword",
    "applicationId",
    "casServer",
    "changedItems",
    "dateTime",
    "deletedItems",
    "domainName",
    "email",
    "enablePstSizeLimit",
    "excludeDeletedItems",
    "excludeDrafts",
    "excludeInPlaceHoldItems",
    "excludeLitigationHoldItems",
    "folder",
    "from",
    "id",
    "impersonationAccountName",
    "isArchive",
    "isPublic",
    "items",
    "mailbox",
    "mailboxes",
    "markRestoredAsUnread",
    "name",
    "office365UserName",
    "office365UserPassword",
    "officeOrganizationName",
    "officeRegion",
    "onPremisesUserName",
    "onPremisesUserPassword",
    "pstSizeLimitBytes",
    "query",
    "recentItemRestorePeriod",
    "repositoryId",
    "showAllVersions",
    "showDeleted",
    "skipUnresolved",
    "subject",
    "targetApplicationId",
    "targetOrganizationName",
    "targetRegion",
    "text",
    "to",
    "type",
    "userCode",
    "userName",
    "userPassword",
];

/// Body properties the spec types `uuid` (bound as `Guid`).
const BODY_GUIDS: &[&str] = &["applicationId", "targetApplicationId", "repositoryId"];

/// Renames properties to the spec's spelling, at any depth: ASP.NET (Json.NET) binds JSON property names
/// case-insensitively, so the seed's example `"markrestoredAsunread": true` sets `markRestoredAsUnread`.
/// When a body has both spellings the exact one is kept (Json.NET would keep the later one; the order of
/// a parsed body is not kept here).
fn canonical_names(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                if let Some(canon) = BODY_NAMES.iter().find(|n| n.eq_ignore_ascii_case(&k) && **n != k)
                    && !m.contains_key(*canon)
                    && let Some(x) = m.remove(&k)
                {
                    m.insert((*canon).to_string(), x);
                }
            }
            m.values_mut().for_each(canonical_names);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(canonical_names),
        _ => {}
    }
}

fn is_json_media_type(ct: &str) -> bool {
    let mt = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    mt == "application/json" || mt == "text/json" || mt.ends_with("+json")
}

/// Binds a JSON request body like the real server: a body of another media type is 415 (Web API has no
/// formatter for it; a body without a Content-Type is read as JSON, a leniency of the emulator), property
/// names bind case-insensitively, `uuid` properties must be GUIDs (400 with Json.NET's message).
fn body<T: DeserializeOwned + Default>(c: &Ctx) -> Result<T, HttpError> {
    if c.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    if let Some(ct) = c.headers.get(header::CONTENT_TYPE)
        && !ct.to_str().is_ok_and(is_json_media_type)
    {
        let shown = String::from_utf8_lossy(ct.as_bytes()).into_owned();
        return Err(HttpError {
            status: 415,
            message: format!("The request entity's media type '{shown}' is not supported for this resource."),
        });
    }
    let mut v: serde_json::Value = serde_json::from_slice(&c.body)
        .map_err(|e| HttpError::bad_request(format!("The request body is not valid: {e}.")))?;
    canonical_names(&mut v);
    if let serde_json::Value::Object(m) = &v {
        for name in BODY_GUIDS {
            match m.get(*name) {
                // Assumption: an empty string binds as "no value", like null.
                None | Some(serde_json::Value::Null) => {}
                Some(serde_json::Value::String(s)) if s.trim().is_empty() || Uuid::parse_str(s.trim()).is_ok() => {}
                Some(other) => {
                    return Err(HttpError::bad_request(format!(
                        "Error converting value {other} to type 'System.Guid'. Path '{name}'."
                    )));
                }
            }
        }
    }
    serde_json::from_value(v).map_err(|e| HttpError::bad_request(format!("The request body is not valid: {e}.")))
}

/// An integer query parameter. The spec types `offset` and `limit` as int32 and ASP.NET binds them as
/// `int`: with `strict`, anything that is not an int32 (2147483648, 1e3, abc) is 400 with the model-state
/// message. Without it the emulator accepts 64-bit values (the old leniency).
fn int_param(c: &Ctx, name: &str) -> Result<Option<i64>, HttpError> {
    match c.q(name).map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => {
            let parsed = if c.strict {
                s.parse::<i32>().map(i64::from).ok()
            } else {
                s.parse::<i64>().ok()
            };
            parsed.map(Some).ok_or_else(|| invalid_value(s, name))
        }
    }
}

/// A boolean query parameter (ASP.NET: `true`/`false` in any case; anything else is 400).
fn bool_param(c: &Ctx, name: &str) -> Result<Option<bool>, HttpError> {
    match c.q(name).map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(s) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(s) => Err(invalid_value(s, name)),
    }
}

/// A query parameter the spec types `uuid` (e.g. a search's `setId`): 400 when it is not a GUID.
fn uuid_param(c: &Ctx, name: &str) -> Result<Option<Uuid>, HttpError> {
    match c.q(name).map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => parse_uuid(s, name).map(Some),
    }
}

/// (offset, limit) from the query: limit defaults to 30 and is clamped to 10,000, then to `--max-page`.
/// The answer's `limit` is the number of rows served (assumption: a server that caps the page says so in
/// the echoed `limit`, as the spec's `limit` is "the maximum number of items on a page").
fn paging(c: &Ctx) -> Result<(u64, u64), HttpError> {
    let offset = int_param(c, "offset")?.unwrap_or(0);
    if offset < 0 {
        return Err(HttpError::bad_request("offset must not be negative."));
    }
    let limit = match int_param(c, "limit")? {
        Some(l) if l > 0 => l.min(MAX_LIMIT),
        _ => DEFAULT_LIMIT,
    };
    let limit = match c.max_page {
        Some(m) => limit.min(i64::from(m.max(1))),
        None => limit,
    };
    Ok((offset as u64, limit as u64))
}

fn enc(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

fn link(href: String) -> Link {
    Link { href }
}

fn links(pairs: Vec<(&str, String)>) -> Links {
    pairs.into_iter().map(|(k, v)| (k.to_string(), link(v))).collect()
}

/// A page with `self` and (when there is more) `next` links.
fn page<T: Serialize>(c: &Ctx, offset: u64, limit: u64, results: Vec<T>, more: bool, total: Option<u64>) -> Response {
    let mut l = Links::new();
    let with_offset = |o: u64| -> String {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        let mut saw_limit = false;
        for (k, v) in &c.query {
            if k.eq_ignore_ascii_case("offset") {
                continue;
            }
            if k.eq_ignore_ascii_case("limit") {
                saw_limit = true;
                ser.append_pair(k, &limit.to_string());
                continue;
            }
            ser.append_pair(k, v);
        }
        if !saw_limit {
            ser.append_pair("limit", &limit.to_string());
        }
        ser.append_pair("offset", &o.to_string());
        format!("{}?{}", c.path, ser.finish())
    };
    l.insert("self".into(), link(with_offset(offset)));
    if more {
        l.insert("next".into(), link(with_offset(offset + limit)));
    }
    let p = Page {
        offset: offset as i64,
        limit: limit as i64,
        // A request that names its result set (`setId`, sent by a client paging a search) gets that set
        // back; otherwise a new one.
        set_id: Some(
            c.q("setId")
                .and_then(|s| Uuid::parse_str(s.trim()).ok())
                .unwrap_or_else(Uuid::new_v4)
                .to_string(),
        ),
        results,
        links: l,
        total_count: if c.v < 8 { total.map(|t| t as i64) } else { None },
    };
    ok(&p)
}

/// Pages an in-memory list.
fn page_of<T: Serialize>(c: &Ctx, all: Vec<T>) -> Res {
    let (offset, limit) = paging(c)?;
    let total = all.len() as u64;
    let results: Vec<T> = all.into_iter().skip(offset as usize).take(limit as usize).collect();
    let more = offset + (results.len() as u64) < total;
    Ok(page(c, offset, limit, results, more, Some(total)))
}

// ---------------------------------------------------------------------------------------------------------
// Views

fn org_view(c: &Ctx, o: &OrgInfo, extended: bool) -> Organization {
    Organization {
        id: Some(o.id.to_string()),
        name: Some(o.name.clone()),
        office_name: Some(o.name.clone()),
        org_type: Some("Office365".into()),
        region: Some("Worldwide".into()),
        is_backedup: extended.then_some(true),
        is_exchange_online: Some(true),
        first_backup_time: extended.then_some(ApiDate::Utc(o.first_backup)),
        last_backup_time: extended.then_some(ApiDate::Utc(o.last_backup)),
        links: links(vec![
            ("self", format!("{}/Organizations/{}", c.base(), o.id)),
            ("explore", format!("{}/Organizations/{}/explore", c.base(), o.id)),
        ]),
        extra: Default::default(),
    }
}

fn session_view(c: &Ctx, data: &Data, s: &Session) -> RestoreSession {
    let rs = format!("{}/RestoreSessions/{}", c.base(), s.id);
    let mut l = vec![("self", rs.clone()), ("events", format!("{rs}/Events"))];
    match &s.kind {
        SessionKind::Explore { .. } => l.push(("organization", format!("{rs}/organization"))),
        SessionKind::Restore(_) if c.v >= 8 => l.push(("statistics", format!("{rs}/Statistics"))),
        SessionKind::Restore(_) => {}
    }
    RestoreSession {
        id: s.id.to_string(),
        name: Some(s.name.clone()),
        organization: data.org(s.org).map(|o| o.name.clone()),
        session_type: s.session_type(),
        creation_time: Some(ApiDate::Utc(s.creation)),
        end_time: s.end.map(ApiDate::Utc),
        state: s.state.clone(),
        result: s.result.clone(),
        initiated_by: Some(s.initiated_by.clone()),
        details: s.details.clone(),
        scope_name: None,
        client_host: s.client_host.clone(),
        reason: s.reason.clone(),
        etag: (c.v >= 8).then_some(s.etag),
        links: links(l),
    }
}

fn duration_text(start: OffsetDateTime, end: OffsetDateTime) -> String {
    let secs = (end - start).whole_seconds().max(0);
    format!("{:02}:{:02}:{:02}", secs / 3600, (secs / 60) % 60, secs % 60)
}

fn event_view(c: &Ctx, session: Uuid, order: usize, e: &EventRec) -> SessionEvent {
    SessionEvent {
        id: e.id.to_string(),
        item_name: e.item_name.clone(),
        item_type: e.item_type.clone(),
        item_size_bytes: e.item_size,
        source: e.source.clone(),
        target: e.target.clone(),
        event_type: Some(e.etype.clone()),
        status: e.status.clone(),
        start_time: Some(ApiDate::Utc(e.start)),
        end_time: e.end.map(ApiDate::Utc),
        duration: Some(duration_text(e.start, e.end.unwrap_or_else(OffsetDateTime::now_utc))),
        title: Some(e.title.clone()),
        message: Some(e.message.clone()),
        order: order as i64 + 1,
        links: links(vec![(
            "self",
            format!("{}/RestoreSessions/{session}/Events/{}", c.base(), e.id),
        )]),
    }
}

fn mailbox_path(c: &Ctx, session: Uuid, m: &MailboxInfo) -> String {
    format!("{}/RestoreSessions/{session}/organization/mailboxes/{}", c.base(), m.id)
}

fn items_param(c: &Ctx) -> &'static str {
    if c.v == 6 { "folderId" } else { "parentId" }
}

fn mailbox_view(c: &Ctx, session: Uuid, m: &MailboxInfo) -> Mailbox {
    let mp = mailbox_path(c, session, m);
    Mailbox {
        id: m.id.to_string(),
        name: Some(m.name.clone()),
        email: Some(m.email.clone()),
        is_archive: m.is_archive(),
        is_public: m.is_public(),
        links: links(vec![
            ("self", mp.clone()),
            ("restoreSession", format!("{}/RestoreSessions/{session}", c.base())),
            ("folders", format!("{mp}/folders?parentId=root")),
        ]),
    }
}

fn folder_view(c: &Ctx, session: Uuid, m: &MailboxInfo, data: &Data, f: FolderKey) -> Folder {
    let mp = mailbox_path(c, session, m);
    let id = data.folder_id(f);
    let def = data.folder_def(f);
    let mut l = vec![
        ("self", format!("{mp}/folders/{}", enc(&id))),
        ("mailbox", mp.clone()),
        ("items", format!("{mp}/items?{}={}", items_param(c), enc(&id))),
        ("folders", format!("{mp}/folders?parentId={}", enc(&id))),
    ];
    if let Some(p) = data.folder_parent(f) {
        l.push(("parent", format!("{mp}/folders/{}", enc(&data.folder_id(p)))));
    }
    Folder {
        id,
        name: def.map(|d| d.name.to_string()),
        folder_type: def.map(|d| FolderType::parse(d.ftype)),
        category: def.map(|d| d.category.to_string()),
        description: None,
        mailbox_id: (c.v >= 8).then(|| m.id.to_string()),
        links: links(l),
    }
}

fn item_view(c: &Ctx, session: Uuid, m: &MailboxInfo, data: &Data, k: ItemKey) -> Option<Item> {
    let mut it = data.item(k)?;
    let mp = mailbox_path(c, session, m);
    it.links = links(vec![
        ("self", format!("{mp}/items/{}", enc(&it.id))),
        ("parent", format!("{mp}/folders/{}", enc(&data.folder_id(k.folder)))),
        ("mailbox", mp),
    ]);
    if c.v >= 8 {
        it.mailbox_id = Some(m.id.to_string());
    }
    Some(it)
}

// ---------------------------------------------------------------------------------------------------------
// Auth

fn token(store: &Store, c: &Ctx) -> Response {
    let is_json = c
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .map(|t| t.to_ascii_lowercase().contains("json"))
        .unwrap_or_else(|| c.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'));
    let fields: Vec<(String, String)> = if is_json {
        match serde_json::from_slice::<serde_json::Value>(&c.body) {
            Ok(serde_json::Value::Object(m)) => m
                .into_iter()
                .filter_map(|(k, v)| match v {
                    serde_json::Value::String(s) => Some((k, s)),
                    serde_json::Value::Bool(b) => Some((k, b.to_string())),
                    serde_json::Value::Number(n) => Some((k, n.to_string())),
                    _ => None,
                })
                .collect(),
            _ => return oauth_error("The request body is not a valid token request."),
        }
    } else {
        url::form_urlencoded::parse(&c.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    };
    let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let grant = match get("grant_type").map(str::trim) {
        Some(g) if !g.is_empty() => g.to_string(),
        // v6/v7 default to the password grant; v8 removed the default.
        _ if c.v < 8 => "password".to_string(),
        _ => return oauth_error("grant_type is required."),
    };
    let resp = match grant.as_str() {
        "password" => {
            let (Some(user), Some(pass)) = (get("username"), get("password")) else {
                return oauth_error("username and password are required for the password grant.");
            };
            match store.login(user.trim(), pass) {
                Some(t) => t,
                None => {
                    tracing::info!(version = c.v, "token: wrong user name or password");
                    return oauth_error("The user name or password is incorrect.");
                }
            }
        }
        "refresh_token" => {
            let Some(rt) = get("refresh_token").map(str::trim).filter(|s| !s.is_empty()) else {
                return oauth_error("refresh_token is required for the refresh_token grant.");
            };
            // v8 requires an antiforgery cookie unless the client opts out (its default flipped to false).
            if c.v >= 8 && !get("disable_antiforgery_token").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
                return oauth_error("The antiforgery token is missing: send disable_antiforgery_token=true.");
            }
            match store.refresh(rt) {
                Some(t) => t,
                None => return oauth_error("The refresh token is invalid or has expired."),
            }
        }
        other => return oauth_error(&format!("The grant type '{other}' is not supported by this server.")),
    };
    ok(&resp)
}

// ---------------------------------------------------------------------------------------------------------
// Organizations and sessions

/// `extendedView` (with `strict`): v7/v8 default to false and then leave out `isBackedup`,
/// `firstBackuptime` and `lastBackuptime` (the spec's parameter description); v6 marks the parameter
/// required (default true): without it the answer is 400 (assumption: ASP.NET's binding of a required
/// parameter). Without `strict` every organization has the backup fields, as before.
fn organizations(store: &Store, c: &Ctx) -> Res {
    let given = bool_param(c, "extendedView")?;
    uuid_param(c, "msid")?;
    let extended = if !c.strict {
        true
    } else if c.v == 6 {
        given.ok_or_else(|| {
            HttpError::bad_request("The extendedView query parameter is required: give extendedView=true or false.")
        })?
    } else {
        given.unwrap_or(false)
    };
    let all: Vec<Organization> = store.data().orgs.iter().map(|o| org_view(c, o, extended)).collect();
    if c.v < 8 { Ok(ok(&all)) } else { page_of(c, all) }
}

fn explore(store: &Store, c: &Ctx) -> Res {
    let id = seg(c, 1)?;
    let oid = parse_uuid(&id, "organizationId")?;
    let org = store
        .data()
        .org_by_id(&oid)
        .ok_or_else(|| HttpError::not_found(format!("Organization '{id}' was not found.")))?;
    let opts: ExploreOptions = body(c)?;
    let sid = store.explore(org.index, &opts, &c.user, c.client_host())?;
    tracing::info!(version = c.v, session = %sid, org = %org.name, "explore: restore session started");
    let g = store.lock();
    let s = g
        .sessions
        .iter()
        .find(|s| s.id == sid)
        .ok_or_else(|| HttpError::not_found("Restore session vanished."))?;
    let status = if c.v >= 8 { StatusCode::CREATED } else { StatusCode::OK };
    Ok(json(status, &session_view(c, store.data(), s)))
}

/// `GET RestorePoints`: v6 answers a bare array (oldest first: assumption, the spec gives no order and
/// no `orderAsc` there); v7/v8 a page, newest first unless `orderAsc=true` (assumption: the spec does not
/// give the default). Filters: `organizationId`, `jobId`, `repositoryId`, `isLongTermCopy`, `isRetrieved`,
/// v6 `backupTime` (that exact time), v7+ `from` / `to` (inclusive) and `isCopy`.
fn restore_points(store: &Store, c: &Ctx) -> Res {
    let data = store.data();
    let org = uuid_param(c, "organizationId")?;
    let job = uuid_param(c, "jobId")?;
    let repo = uuid_param(c, "repositoryId")?;
    let long_term = bool_param(c, "isLongTermCopy")?;
    let retrieved = bool_param(c, "isRetrieved")?;
    let (at, from, to, copy, asc) = if c.v == 6 {
        (time_param(c, "backupTime")?, None, None, None, true)
    } else {
        (
            None,
            time_param(c, "from")?,
            time_param(c, "to")?,
            bool_param(c, "isCopy")?,
            bool_param(c, "orderAsc")?.unwrap_or(false),
        )
    };
    let mut all: Vec<RestorePoint> = data
        .orgs
        .iter()
        .filter(|o| org.is_none_or(|id| o.id == id))
        .flat_map(|o| points::points(data, o))
        .filter(|p| job.is_none_or(|j| p.job == j) && repo.is_none_or(|r| p.repository == r))
        .filter(|p| long_term.is_none_or(|b| p.long_term == b) && copy.is_none_or(|b| p.copy == b))
        // The emulator retrieves nothing from archive storage.
        .filter(|_| retrieved != Some(true))
        .filter(|p| {
            at.is_none_or(|t| p.time == t) && from.is_none_or(|t| p.time >= t) && to.is_none_or(|t| p.time <= t)
        })
        .map(|p| point_view(c, data, &p))
        .collect();
    if !asc {
        all.reverse();
    }
    if c.v == 6 { Ok(ok(&all)) } else { page_of(c, all) }
}

fn point_view(c: &Ctx, data: &Data, p: &points::PointInfo) -> RestorePoint {
    let mut extra = serde_json::Map::new();
    if c.v >= 8 {
        extra.insert("eTag".into(), serde_json::Value::from(1));
        extra.insert("objectsEtag".into(), serde_json::Value::from(1));
    }
    RestorePoint {
        id: Some(p.id.to_string()),
        is_deleted: (c.v >= 7).then_some(false),
        repository_id: Some(p.repository.to_string()),
        backup_time: Some(ApiDate::Utc(p.time)),
        job_id: Some(p.job.to_string()),
        retrieval_id: None,
        organization_id: data.org(p.org).map(|o| o.id.to_string()),
        is_exchange: Some(p.exchange),
        is_share_point: Some(p.sharepoint),
        is_one_drive: Some(p.onedrive),
        is_teams: Some(p.teams),
        is_long_term_copy: Some(p.long_term),
        is_copy: (c.v >= 7).then_some(p.copy),
        is_retrieved: Some(false),
        links: links(vec![("self", format!("{}/RestorePoints/{}", c.base(), p.id))]),
        extra,
    }
}

fn job(store: &Store, c: &Ctx) -> Res {
    let raw = seg(c, 1)?;
    let id = parse_uuid(&raw, "jobId")?;
    let data = store.data();
    let j = points::job_by_id(data, &id).ok_or_else(|| HttpError::not_found(format!("Job '{raw}' was not found.")))?;
    let mut extra = serde_json::Map::new();
    extra.insert("isEnabled".into(), serde_json::Value::from(true));
    extra.insert("backupType".into(), serde_json::Value::from("EntireOrganization"));
    extra.insert("repositoryId".into(), serde_json::Value::from(j.repository.to_string()));
    if c.v >= 8
        && let Some(o) = data.org(j.org)
    {
        extra.insert("organizationId".into(), serde_json::Value::from(o.id.to_string()));
    }
    Ok(ok(&Named {
        id: Some(j.id.to_string()),
        name: Some(j.name.clone()),
        description: Some(String::new()),
        links: links(vec![("self", format!("{}/Jobs/{}", c.base(), j.id))]),
        extra,
    }))
}

fn repository(store: &Store, c: &Ctx) -> Res {
    let raw = seg(c, 1)?;
    let id = parse_uuid(&raw, "repositoryId")?;
    let r = points::repository_by_id(store.data(), &id)
        .ok_or_else(|| HttpError::not_found(format!("Backup repository '{raw}' was not found.")))?;
    let mut extra = serde_json::Map::new();
    extra.insert("path".into(), serde_json::Value::from(r.path.clone()));
    extra.insert("isLongTerm".into(), serde_json::Value::from(r.long_term));
    Ok(ok(&Named {
        id: Some(r.id.to_string()),
        name: Some(r.name.clone()),
        description: Some(String::new()),
        links: links(vec![("self", format!("{}/BackupRepositories/{}", c.base(), r.id))]),
        extra,
    }))
}

fn time_param(c: &Ctx, name: &str) -> Result<Option<OffsetDateTime>, HttpError> {
    match c.q(name).map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => ApiDate::parse(s)
            .as_utc()
            .map(Some)
            .ok_or_else(|| HttpError::bad_request(format!("The value '{s}' is not valid for {name}."))),
    }
}

fn sessions(store: &Store, c: &Ctx) -> Res {
    let start_from = time_param(c, "startTimeFrom")?;
    let start_to = time_param(c, "startTimeTo")?;
    let (end_from, end_to) = if c.v >= 8 {
        (time_param(c, "endTimeFrom")?, time_param(c, "endTimeTo")?)
    } else {
        (None, None)
    };
    let by_end = c.v >= 8 && c.q("orderBy").is_some_and(|o| o.trim().eq_ignore_ascii_case("EndTime"));
    let asc = c.v >= 8 && bool_param(c, "orderAsc")?.unwrap_or(false);
    let g = store.lock();
    let mut list: Vec<&Session> = g
        .sessions
        .iter()
        .filter(|s| start_from.is_none_or(|t| s.creation >= t) && start_to.is_none_or(|t| s.creation <= t))
        .filter(|s| {
            end_from.is_none_or(|t| s.end.is_some_and(|e| e >= t))
                && end_to.is_none_or(|t| s.end.is_some_and(|e| e <= t))
        })
        .collect();
    // Newest first by default; sessions without an end time sort as "now".
    let far = OffsetDateTime::now_utc();
    list.sort_by_key(|s| if by_end { s.end.unwrap_or(far) } else { s.creation });
    if !asc {
        list.reverse();
    }
    let views: Vec<RestoreSession> = list.into_iter().map(|s| session_view(c, store.data(), s)).collect();
    drop(g);
    page_of(c, views)
}

fn session(store: &Store, c: &Ctx) -> Res {
    let id = session_id(c)?;
    let g = store.lock();
    let s = g
        .sessions
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| HttpError::not_found(format!("Restore session {id} was not found.")))?;
    Ok(ok(&session_view(c, store.data(), s)))
}

fn events(store: &Store, c: &Ctx) -> Res {
    let id = session_id(c)?;
    let g = store.lock();
    let s = g
        .sessions
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| HttpError::not_found(format!("Restore session {id} was not found.")))?;
    let all: Vec<SessionEvent> = s
        .events
        .iter()
        .enumerate()
        .map(|(i, e)| event_view(c, id, i, e))
        .collect();
    drop(g);
    page_of(c, all)
}

fn event(store: &Store, c: &Ctx) -> Res {
    let id = session_id(c)?;
    let eid = seg(c, 3)?;
    let g = store.lock();
    let s = g
        .sessions
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| HttpError::not_found(format!("Restore session {id} was not found.")))?;
    let (i, e) = s
        .events
        .iter()
        .enumerate()
        .find(|(_, e)| e.id.to_string().eq_ignore_ascii_case(eid.trim()))
        .ok_or_else(|| HttpError::not_found(format!("Event '{eid}' was not found.")))?;
    Ok(ok(&event_view(c, id, i, e)))
}

fn statistics(store: &Store, c: &Ctx) -> Res {
    let id = session_id(c)?;
    let g = store.lock();
    let s = g
        .sessions
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| HttpError::not_found(format!("Restore session {id} was not found.")))?;
    let SessionKind::Restore(r) = &s.kind else {
        return Ok(ok(&RestoreSessionStatistics::default()));
    };
    let f = r.progress();
    let scale = |n: i64| -> i64 { if f >= 1.0 { n } else { (n as f64 * f).floor() as i64 } };
    let done = f >= 1.0;
    // One `BulkMailbox` entry per mailbox the restore touches (one, or each of a bulk restore's).
    let details: Vec<ItemRestoreDetails> = r
        .parts
        .iter()
        .map(|p| {
            let st = &p.stats;
            let failed = scale(st.failed_items_count);
            let good = scale(st.created_items_count + st.merged_items_count + st.skipped_items_count);
            let status = if failed > 0 && good == 0 && done {
                "Failed"
            } else if failed > 0 || (done && !st.warnings.is_empty()) {
                "Warning"
            } else {
                "Success"
            };
            ItemRestoreDetails {
                id: Some(p.target.id.to_string()),
                details_type: Some("BulkMailbox".into()),
                title: Some(p.target.name.clone()),
                name: Some(p.target.name.clone()),
                error: None,
                item_type: Some("ExchangeMailbox".into()),
                status: Some(status.into()),
                path: None,
                warnings: if done { st.warnings.clone() } else { Vec::new() },
                mailbox_email: Some(p.target.email.clone()),
                mailbox_is_archive: Some(p.target.is_archive()),
                mailbox_is_public: Some(p.target.is_public()),
                created_mailbox_items_count: Some(scale(st.created_items_count)),
                merged_mailbox_items_count: Some(scale(st.merged_items_count)),
                failed_mailbox_items_count: Some(failed),
                skipped_mailbox_items_count: Some(scale(st.skipped_items_count)),
                cannot_continue_mailbox_error: None,
            }
        })
        .collect();
    let st = r.total();
    let total = st.created_items_count + st.merged_items_count + st.skipped_items_count + st.failed_items_count;
    Ok(ok(&RestoreSessionStatistics {
        total_items_count: total,
        restored_items_count: scale(st.created_items_count) + scale(st.merged_items_count),
        failed_items_count: scale(st.failed_items_count),
        skipped_items_count: scale(st.skipped_items_count),
        warnings: if done { st.warnings.clone() } else { Vec::new() },
        errors: if done {
            st.exceptions.clone()
        } else {
            st.exceptions
                .iter()
                .take(scale(st.exceptions.len() as i64) as usize)
                .cloned()
                .collect()
        },
        items: details,
    }))
}

#[derive(Serialize)]
struct BackupOrganizationView {
    id: String,
    name: String,
    #[serde(rename = "type")]
    org_type: &'static str,
    #[serde(rename = "_links")]
    links: Links,
}

fn backup_organization(store: &Store, c: &Ctx) -> Res {
    let id = session_id(c)?;
    let g = store.lock();
    let s = g
        .sessions
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| HttpError::not_found(format!("Restore session {id} was not found.")))?;
    let o = store
        .data()
        .org(s.org)
        .ok_or_else(|| HttpError::not_found("Organization not found."))?;
    Ok(ok(&BackupOrganizationView {
        id: o.id.to_string(),
        name: o.name.clone(),
        org_type: "Office365",
        links: links(vec![(
            "self",
            format!("{}/RestoreSessions/{id}/organization", c.base()),
        )]),
    }))
}

fn device_code(store: &Store, c: &Ctx) -> Res {
    let id = session_id(c)?;
    store.explore_view(id)?;
    let opts: DeviceCodeRequest = body(c)?;
    store.record_device_code_request(opts);
    let code = store.issue_device_code();
    let url = "https://microsoft.com/devicelogin";
    Ok(ok(&DeviceCode {
        user_code: Some(code.clone()),
        verification_url: Some(url.into()),
        expires_in: Some(900),
        message: Some(format!(
            "To sign in, use a web browser to open the page {url} and enter the code {code} to authenticate."
        )),
    }))
}

// ---------------------------------------------------------------------------------------------------------
// Browsing

struct SessionCtx {
    id: Uuid,
    org: u8,
    show_deleted: bool,
}

fn session_ctx(store: &Store, c: &Ctx) -> Result<SessionCtx, HttpError> {
    let id = session_id(c)?;
    let v = store.explore_view(id)?;
    Ok(SessionCtx {
        id,
        org: v.org,
        show_deleted: v.show_deleted,
    })
}

fn mailbox_ctx(store: &Store, c: &Ctx) -> Result<(SessionCtx, MailboxInfo), HttpError> {
    let s = session_ctx(store, c)?;
    let raw = seg(c, 4)?;
    let id = parse_uuid(&raw, "mailboxId")?;
    let m = store
        .data()
        .mailbox_by_id(&id)
        .filter(|m| m.key.org == s.org)
        .cloned()
        .ok_or_else(|| HttpError::not_found(format!("Mailbox '{raw}' was not found.")))?;
    Ok((s, m))
}

fn folder_in(store: &Store, c: &Ctx, m: &MailboxInfo, i: usize) -> Result<FolderKey, HttpError> {
    let raw = seg(c, i)?;
    folder_by_id(store, m, &raw)
}

fn folder_by_id(store: &Store, m: &MailboxInfo, id: &str) -> Result<FolderKey, HttpError> {
    store
        .data()
        .parse_folder(id)
        .filter(|f| f.mailbox == m.key)
        .ok_or_else(|| HttpError::not_found(format!("Folder '{id}' was not found in mailbox '{}'.", m.email)))
}

fn item_by_id(store: &Store, s: &SessionCtx, m: &MailboxInfo, id: &str) -> Result<ItemKey, HttpError> {
    store
        .data()
        .parse_item(id)
        .filter(|k| k.folder.mailbox == m.key)
        .filter(|k| s.show_deleted || !store.data().is_deleted(*k))
        .ok_or_else(|| HttpError::not_found(format!("Item '{id}' was not found in mailbox '{}'.", m.email)))
}

fn mailboxes(store: &Store, c: &Ctx) -> Res {
    let s = session_ctx(store, c)?;
    let org = store
        .data()
        .org(s.org)
        .ok_or_else(|| HttpError::not_found("Organization not found."))?;
    // Only the page asked for is made into views (an organization may have thousands of mailboxes).
    let (offset, limit) = paging(c)?;
    let total = org.mailboxes.len() as u64;
    let results: Vec<Mailbox> = org
        .mailboxes
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit as usize)
        .map(|m| mailbox_view(c, s.id, m))
        .collect();
    let more = offset + (results.len() as u64) < total;
    Ok(page(c, offset, limit, results, more, Some(total)))
}

fn folders(store: &Store, c: &Ctx) -> Res {
    let (s, m) = mailbox_ctx(store, c)?;
    let data = store.data();
    let list: Vec<FolderKey> = match c.q("parentId").map(str::trim) {
        None | Some("") => data.all_folders(m.key),
        Some(p) if p.eq_ignore_ascii_case("root") => data.children(m.key, None),
        Some(p) => {
            let parent = folder_by_id(store, &m, p)?;
            data.children(m.key, Some(parent.folder))
        }
    };
    let name = c.q("name").map(|n| n.trim().to_lowercase()).filter(|n| !n.is_empty());
    let all: Vec<Folder> = list
        .into_iter()
        .filter(|f| {
            name.as_ref().is_none_or(|n| {
                data.folder_def(*f)
                    .is_some_and(|d| d.name.to_lowercase().contains(n.as_str()))
            })
        })
        .map(|f| folder_view(c, s.id, &m, data, f))
        .collect();
    page_of(c, all)
}

/// What an items request lists, checked: session, mailbox, folder, offset and limit.
fn items_target(store: &Store, c: &Ctx) -> Result<(SessionCtx, MailboxInfo, FolderKey, u64, u64), HttpError> {
    let (s, m) = mailbox_ctx(store, c)?;
    let param = items_param(c);
    let fid = c.q(param).map(str::trim).filter(|x| !x.is_empty()).ok_or_else(|| {
        HttpError::bad_request(format!(
            "The {param} query parameter is required: give the folder whose items to list."
        ))
    })?;
    let f = folder_by_id(store, &m, fid)?;
    let (offset, limit) = paging(c)?;
    Ok((s, m, f, offset, limit))
}

fn items(store: &Store, c: &Ctx) -> Res {
    let (s, m, f, offset, limit) = items_target(store, c)?;
    let data = store.data();
    let total = u64::from(data.visible_count(f, s.show_deleted));
    let end = (offset.saturating_add(limit)).min(total);
    let results: Vec<Item> = (offset.min(total)..end)
        .filter_map(|idx| {
            item_view(
                c,
                s.id,
                &m,
                data,
                ItemKey {
                    folder: f,
                    idx: idx as u32,
                },
            )
        })
        .collect();
    Ok(page(c, offset, limit, results, end < total, Some(total)))
}

fn item(store: &Store, c: &Ctx) -> Res {
    let (s, m) = mailbox_ctx(store, c)?;
    let raw = seg(c, 6)?;
    let k = item_by_id(store, &s, &m, &raw)?;
    item_view(c, s.id, &m, store.data(), k)
        .map(|i| ok(&i))
        .ok_or_else(|| HttpError::not_found("Item not found."))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SearchScope {
    Organization,
    Mailbox,
    Folder,
}

fn search(store: &Store, c: &Ctx, scope: SearchScope) -> Res {
    let data = store.data();
    let (s, mbs): (SessionCtx, Vec<MailboxInfo>) = match scope {
        SearchScope::Organization => {
            let s = session_ctx(store, c)?;
            let org = data
                .org(s.org)
                .ok_or_else(|| HttpError::not_found("Organization not found."))?;
            let all = org.mailboxes.clone();
            (s, all)
        }
        _ => {
            let (s, m) = mailbox_ctx(store, c)?;
            (s, vec![m])
        }
    };
    let folder = if scope == SearchScope::Folder {
        Some(folder_in(store, c, &mbs[0], 6)?)
    } else {
        None
    };
    // A `setId` must be a GUID; the emulator runs the search again for every page (same results).
    uuid_param(c, "setId")?;
    let opts: SearchOptions = body(c)?;
    let text = opts.query.unwrap_or_default();
    let q = search::parse(&text).map_err(|e| HttpError::bad_request(format!("The search query is not valid: {e}.")))?;
    if q.is_empty() {
        return Err(HttpError::bad_request("The search query is empty: set 'query'."));
    }
    let (offset, limit) = paging(c)?;
    // v8 has no totalCount: stop as soon as the page (and one more) is found.
    let want = if c.v >= 8 { Some(offset + limit + 1) } else { None };
    let mut budget = SEARCH_SCAN_BUDGET;
    let mut found: Vec<(usize, ItemKey)> = Vec::new();
    let mut complete = true;
    'scan: for (mi, m) in mbs.iter().enumerate() {
        let folders = match folder {
            Some(f) => vec![f],
            None => data.all_folders(m.key),
        };
        for f in folders {
            for idx in 0..data.visible_count(f, s.show_deleted) {
                if budget == 0 {
                    complete = false;
                    break 'scan;
                }
                budget -= 1;
                let k = ItemKey { folder: f, idx };
                if data.summary(k).is_some_and(|sum| q.matches(&sum)) {
                    found.push((mi, k));
                    if want.is_some_and(|w| found.len() as u64 >= w) {
                        complete = false;
                        break 'scan;
                    }
                }
            }
        }
    }
    let total = found.len() as u64;
    let results: Vec<Item> = found
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .filter_map(|(mi, k)| item_view(c, s.id, &mbs[*mi], data, *k))
        .collect();
    let more = offset + (results.len() as u64) < total;
    Ok(page(c, offset, limit, results, more, complete.then_some(total)))
}

// ---------------------------------------------------------------------------------------------------------
// Restore, export, save, send

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Items,
    Item,
    Folder,
    Mailbox,
}

fn flags_of(r: &RestoreToRequest) -> RestoreFlags {
    let b = |x: Option<bool>| x.unwrap_or(false);
    RestoreFlags {
        changed_items: b(r.changed_items),
        deleted_items: b(r.deleted_items),
        mark_unread: b(r.mark_restored_as_unread),
        exclude_drafts: b(r.exclude_drafts),
        exclude_deleted_items: b(r.exclude_deleted_items),
        exclude_in_place_hold: b(r.exclude_in_place_hold_items),
        exclude_litigation_hold: b(r.exclude_litigation_hold_items),
    }
}

fn restore(store: &Store, c: &Ctx, target: Target, to: bool) -> Res {
    let (s, m) = mailbox_ctx(store, c)?;
    let mut tenant = (None, None);
    let (credentials, items, flags, target_mailbox, target_folder) = if to {
        let r: RestoreToRequest = body(c)?;
        let flags = flags_of(&r);
        let folder = r
            .folder
            .clone()
            .map(|f| f.trim().trim_matches('/').to_string())
            .filter(|f| !f.is_empty());
        tenant = (
            r.office_region.as_ref().map(|x| x.as_str().to_string()),
            r.office_organization_name.clone(),
        );
        (r.credentials, r.items, flags, r.mailbox, folder)
    } else {
        let r: RestoreOriginalRequest = body(c)?;
        // The original location restores changed and deleted items, as Veeam Explorer does.
        let flags = RestoreFlags {
            changed_items: true,
            deleted_items: true,
            ..RestoreFlags::default()
        };
        (r.credentials, r.items, flags, None, None)
    };
    let scope = match target {
        Target::Items => RestoreScope::Items(items.unwrap_or_default().into_iter().map(|i: ItemId| i.id).collect()),
        Target::Item => {
            let raw = seg(c, 6)?;
            item_by_id(store, &s, &m, &raw)?;
            RestoreScope::Items(vec![raw])
        }
        Target::Folder => RestoreScope::Folder(folder_in(store, c, &m, 6)?),
        Target::Mailbox => RestoreScope::Mailbox,
    };
    let spec = RestoreSpec {
        api_version: c.v,
        session_id: s.id,
        mailbox: m.key,
        scope,
        original: !to,
        target_mailbox,
        target_folder,
        flags,
        credentials,
        user: c.user.clone(),
        client_host: c.client_host(),
        office_region: tenant.0,
        office_organization_name: tenant.1,
    };
    let started = Instant::now();
    let answer = store.restore(spec)?;
    tracing::info!(
        version = c.v,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "restore accepted"
    );
    Ok(match answer {
        RestoreAnswer::Sync(stats) => {
            let mut r = ok(&stats);
            r.extensions_mut().insert(RestoreDelay(store.restore_time(&stats)));
            r
        }
        RestoreAnswer::Async(id) => ok(&AsyncRestoreResponse {
            session_id: id.to_string(),
        }),
    })
}

/// Deterministic filler bytes after a magic header.
fn blob(magic: &[u8], len: u64, seed: u64) -> Vec<u8> {
    let len = len.max(magic.len() as u64) as usize;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(magic);
    let mut state = seed;
    while out.len() < len {
        state = super::rng::mix(state);
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Resolves a list of item ids of this mailbox (400 for an unknown one).
fn listed_items(
    store: &Store,
    s: &SessionCtx,
    m: &MailboxInfo,
    items: Option<Vec<ItemId>>,
) -> Result<Vec<ItemKey>, HttpError> {
    let items = items.unwrap_or_default();
    if items.is_empty() {
        return Err(HttpError::bad_request(
            "No items given: 'items' must list at least one item id.",
        ));
    }
    items
        .iter()
        .map(|i| item_by_id(store, s, m, &i.id).map_err(|e| HttpError::bad_request(e.message)))
        .collect()
}

/// Adds a successful Export/Save/Send event to the session.
fn record_event(
    store: &Store,
    s: &SessionCtx,
    mut ev: EventRec,
    item: Option<(String, String)>,
    size: Option<i64>,
    source: String,
) {
    if let Some((name, kind)) = item {
        ev.item_name = Some(name);
        ev.item_type = Some(kind);
    }
    ev.item_size = size;
    ev.source = Some(source);
    store.add_event(s.id, ev);
}

fn done(etype: EventType, title: String, message: String) -> EventRec {
    EventRec::new(etype, EventStatus::Success, title, message)
}

/// Downloads produce `application/octet-stream` only (the spec's `produces`): a request whose `Accept`
/// rules that out gets 406 Not Acceptable (RFC 9110 §15.5.7). Assumption: the real server may well
/// send the file anyway; answering 406 here catches a client that asks for the wrong thing.
fn accepts_bytes(c: &Ctx) -> Result<(), HttpError> {
    let Some(accept) = c.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let ok = accept.split(',').any(|r| {
        let media = r.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        matches!(media.as_str(), "application/octet-stream" | "application/*" | "*/*")
    });
    if ok {
        Ok(())
    } else {
        Err(HttpError {
            status: 406,
            message: format!("This operation produces application/octet-stream; the request accepts only {accept}."),
        })
    }
}

fn export(store: &Store, c: &Ctx, target: Target) -> Res {
    accepts_bytes(c)?;
    let (s, m) = mailbox_ctx(store, c)?;
    let data = store.data();
    let (count, what, seed): (u64, String, u64) = match target {
        Target::Items => {
            let opts: ExportOptions = body(c)?;
            let keys = listed_items(store, &s, &m, opts.items)?;
            (
                keys.len() as u64,
                format!("{} items", keys.len()),
                keys.first().map(|k| u64::from(k.idx)).unwrap_or(0),
            )
        }
        Target::Item => {
            let _opts: ExportOptions = body(c)?;
            let raw = seg(c, 6)?;
            let k = item_by_id(store, &s, &m, &raw)?;
            (1, "1 item".into(), u64::from(k.idx))
        }
        Target::Folder => {
            let _opts: ExportOptions = body(c)?;
            let f = folder_in(store, c, &m, 6)?;
            let n = u64::from(data.visible_count(f, s.show_deleted));
            (n, format!("folder '{}'", data.folder_path(f)), u64::from(f.folder))
        }
        Target::Mailbox => {
            let _opts: ExportOptions = body(c)?;
            let n: u64 = data
                .all_folders(m.key)
                .into_iter()
                .map(|f| u64::from(data.visible_count(f, s.show_deleted)))
                .sum();
            (n, format!("mailbox '{}'", m.name), u64::from(m.key.mbx))
        }
    };
    let size = (64 * 1024 + 1024 * count).min(MAX_EXPORT_BYTES);
    let bytes = blob(b"!BDN", size, data.seed ^ seed ^ count);
    record_event(
        store,
        &s,
        done(
            EventType::Export,
            format!("Export of {what} to PST"),
            format!("Exported {count} item(s) to a PST file ({size} bytes)."),
        ),
        None,
        Some(size as i64),
        m.email.clone(),
    );
    Ok(binary(bytes, "export.pst"))
}

fn save(store: &Store, c: &Ctx, single: bool) -> Res {
    accepts_bytes(c)?;
    let (s, m) = mailbox_ctx(store, c)?;
    let data = store.data();
    let keys = if single {
        let raw = seg(c, 6)?;
        vec![item_by_id(store, &s, &m, &raw)?]
    } else {
        let opts: SaveOptions = body(c)?;
        listed_items(store, &s, &m, opts.items)?
    };
    let first = keys[0];
    let title = data
        .summary(first)
        .and_then(|x| x.title)
        .unwrap_or_else(|| "(no subject)".into());
    // A real MSG file per item; several items come back as a ZIP of them (see `msgfile`).
    let unreadable = |_| HttpError {
        status: 500,
        message: "The item could not be saved to an MSG file.".into(),
    };
    let (bytes, name) = if keys.len() == 1 {
        (msgfile::msg_of(data, first).ok_or(()).map_err(unreadable)?, "item.msg")
    } else {
        let mut files = Vec::with_capacity(keys.len());
        let mut total = 0u64;
        for (n, k) in keys.iter().enumerate() {
            let msg = msgfile::msg_of(data, *k).ok_or(()).map_err(unreadable)?;
            total += msg.len() as u64;
            if total > MAX_EXPORT_BYTES {
                return Err(HttpError::bad_request(format!(
                    "The emulator saves at most {MAX_EXPORT_BYTES} bytes of MSG files in one request."
                )));
            }
            let subject = data.summary(*k).and_then(|x| x.title).unwrap_or_default();
            files.push((msgfile::zip_name(n, &subject), msg));
        }
        (
            msgfile::zip_of(&files).map_err(|_| HttpError {
                status: 500,
                message: "The items could not be packed into a ZIP archive.".into(),
            })?,
            "items.zip",
        )
    };
    let n = keys.len();
    record_event(
        store,
        &s,
        done(
            EventType::Save,
            if n == 1 {
                "Save of 1 item".to_string()
            } else {
                format!("Save of {n} items")
            },
            format!("Saved {n} item(s) ({} bytes).", bytes.len()),
        ),
        (n == 1).then(|| (title, "Item".to_string())),
        Some(bytes.len() as i64),
        m.email.clone(),
    );
    Ok(binary(bytes, name))
}

fn send(store: &Store, c: &Ctx, single: bool, different: bool) -> Res {
    let (s, m) = mailbox_ctx(store, c)?;
    let (keys, to) = if different {
        let opts: SendToDifferentAddressOptions = body(c)?;
        let to = opts.to.clone().map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        let Some(to) = to else {
            return Err(HttpError::bad_request("The recipient address is required: set 'to'."));
        };
        let keys = if single {
            vec![item_by_id(store, &s, &m, &seg(c, 6)?)?]
        } else {
            listed_items(store, &s, &m, opts.items)?
        };
        (keys, to)
    } else {
        let keys = if single {
            vec![item_by_id(store, &s, &m, &seg(c, 6)?)?]
        } else {
            let opts: SaveOptions = body(c)?;
            listed_items(store, &s, &m, opts.items)?
        };
        (keys, m.email.clone())
    };
    let n = keys.len();
    record_event(
        store,
        &s,
        done(
            EventType::Send,
            format!("Send of {n} item(s) to {to}"),
            format!("Sent {n} item(s) as attachments to {to}."),
        ),
        None,
        None,
        m.email.clone(),
    );
    Ok(empty(c.ok_status()))
}
