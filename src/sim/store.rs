//! The emulator's mutable state: tokens, restore sessions and their events, device codes, the restores it
//! accepted and what they wrote into target mailboxes. One mutex, never held across an `.await`.
//!
//! Restored copies are kept compactly: a folder or mailbox restore records one *layer* per source folder
//! (an index range plus the rules it ran with), an item restore records single entries. A copy's state is
//! resolved from those on demand, so restoring a folder of a million items stores a few words, not a
//! million records.

use super::data::{Data, MailboxInfo};
use super::ids::{FolderKey, ItemKey, MailboxKey};
use crate::api::models::lenient::format_utc7;
use crate::api::models::{
    CredentialMode, DeviceCodeRequest, EventStatus, EventType, ExploreOptions, ItemsRestoreStatistics,
    RestoreCredentials, SessionResult, SessionState, SessionType, TokenResponse,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use uuid::Uuid;

/// An error the HTTP layer turns into `RESTExceptionInfo` with this status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpError {
    pub status: u16,
    pub message: String,
}

impl HttpError {
    pub fn bad_request(message: impl Into<String>) -> HttpError {
        HttpError {
            status: 400,
            message: message.into(),
        }
    }
    pub fn not_found(message: impl Into<String>) -> HttpError {
        HttpError {
            status: 404,
            message: message.into(),
        }
    }
}

/// The options a restore ran with (absent flags are `false`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestoreFlags {
    pub changed_items: bool,
    pub deleted_items: bool,
    pub mark_unread: bool,
    pub exclude_drafts: bool,
    pub exclude_deleted_items: bool,
    pub exclude_in_place_hold: bool,
    pub exclude_litigation_hold: bool,
}

/// One restore request the server accepted.
#[derive(Clone, Debug, PartialEq)]
pub struct RestoreRecord {
    /// For v8 this is also the id of the restore's own session (`sessionId`).
    pub id: String,
    pub api_version: u8,
    /// The explore session the restore was started from.
    pub restore_session_id: String,
    pub source_mailbox_id: String,
    /// The folder of a folder restore.
    pub source_folder_id: Option<String>,
    /// `"items"`, `"folder"`, `"mailbox"` (restoreTo) or `"original"` (any restore to the original location).
    pub kind: &'static str,
    /// The `mailbox` of the request (restoreTo only).
    pub target_mailbox: Option<String>,
    /// The `folder` of the request (restoreTo only; `None` when absent).
    pub target_folder: Option<String>,
    /// The item ids of an item restore, as sent.
    pub item_ids: Vec<String>,
    pub flags: RestoreFlags,
    /// `"Password"`, `"DeviceCode"` or `"Application"`.
    pub credential_mode: String,
    /// `None` while a v8 restore still runs.
    pub outcome: Option<ItemsRestoreStatistics>,
    /// `officeRegion` and `officeOrganizationName` of the request, as sent (restoreTo only).
    pub office_region: Option<String>,
    pub office_organization_name: Option<String>,
    /// The id of the bulk request (`mailboxes/restore`) this mailbox's restore was part of: one record per
    /// mailbox of it, all with the same id (for v8 also the bulk's own session id).
    pub bulk: Option<String>,
}

/// The options an explore session was started with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExploreSettings {
    pub organization_id: String,
    pub show_deleted: bool,
    pub show_all_versions: bool,
    pub point_in_time: Option<OffsetDateTime>,
    /// The repository asked for (v8 `repositoryId`).
    pub repository_id: Option<Uuid>,
    /// `false` once stopped.
    pub working: bool,
}

/// A restored copy in a target folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoredCopy {
    pub item_id: String,
    pub version: u32,
    pub unread: bool,
}

// ---------------------------------------------------------------------------------------------------------
// Sessions and events

#[derive(Clone, Debug)]
pub(crate) struct EventRec {
    pub id: Uuid,
    pub etype: EventType,
    pub status: EventStatus,
    pub title: String,
    pub message: String,
    pub item_name: Option<String>,
    pub item_type: Option<String>,
    pub item_size: Option<i64>,
    pub source: Option<String>,
    pub target: Option<String>,
    pub start: OffsetDateTime,
    pub end: Option<OffsetDateTime>,
}

impl EventRec {
    pub fn new(etype: EventType, status: EventStatus, title: String, message: String) -> EventRec {
        let now = OffsetDateTime::now_utc();
        let done = status != EventStatus::Running;
        EventRec {
            id: Uuid::new_v4(),
            etype,
            status,
            title,
            message,
            item_name: None,
            item_type: None,
            item_size: None,
            source: None,
            target: None,
            start: now,
            end: done.then_some(now),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct AsyncRestore {
    pub started: Instant,
    pub duration: Duration,
    /// One per mailbox restored: one for a restore of items, a folder or a mailbox; one per mailbox of a
    /// bulk restore (`mailboxes/restore`). The restore's own session has one Restore event per part, in
    /// this order.
    pub parts: Vec<AsyncPart>,
    pub done: bool,
}

/// One mailbox of an asynchronous (v8) restore.
#[derive(Clone, Debug)]
pub(crate) struct AsyncPart {
    pub stats: ItemsRestoreStatistics,
    pub record: usize,
    pub target: MailboxInfo,
    /// (explore session, index of its event) mirrored when the restore ends.
    pub parent_event: (Uuid, usize),
}

impl AsyncRestore {
    /// The counts of every part, added up.
    pub fn total(&self) -> ItemsRestoreStatistics {
        let mut t = ItemsRestoreStatistics::default();
        for p in &self.parts {
            t.created_items_count += p.stats.created_items_count;
            t.merged_items_count += p.stats.merged_items_count;
            t.skipped_items_count += p.stats.skipped_items_count;
            t.failed_items_count += p.stats.failed_items_count;
            t.warnings.extend(p.stats.warnings.iter().cloned());
            t.exceptions.extend(p.stats.exceptions.iter().cloned());
        }
        t
    }

    /// How far the restore got (0..=1).
    pub fn progress(&self) -> f64 {
        if self.done || self.duration.is_zero() {
            return 1.0;
        }
        (self.started.elapsed().as_secs_f64() / self.duration.as_secs_f64()).min(1.0)
    }
}

#[derive(Clone, Debug)]
pub(crate) enum SessionKind {
    Explore {
        show_deleted: bool,
        show_all_versions: bool,
        point_in_time: Option<OffsetDateTime>,
        /// v8's `repositoryId` (none before v8, or when not given).
        repository_id: Option<Uuid>,
    },
    Restore(Box<AsyncRestore>),
}

#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub id: Uuid,
    pub name: String,
    pub org: u8,
    pub kind: SessionKind,
    pub state: SessionState,
    pub result: SessionResult,
    pub creation: OffsetDateTime,
    pub end: Option<OffsetDateTime>,
    pub initiated_by: String,
    pub client_host: Option<String>,
    pub details: Option<String>,
    pub reason: Option<String>,
    pub events: Vec<EventRec>,
    pub etag: i64,
}

impl Session {
    pub fn session_type(&self) -> SessionType {
        SessionType::Vex
    }
}

/// What browsing routes need to know about an explore session.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExploreView {
    pub org: u8,
    pub show_deleted: bool,
}

// ---------------------------------------------------------------------------------------------------------
// Restored copies

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct CopyState {
    version: u8,
    unread: bool,
}

#[derive(Clone, Copy, Debug)]
struct Layer {
    seq: u64,
    lo: u32,
    hi: u32,
    latest: bool,
    unread: bool,
    skip_in_place: bool,
    skip_litigation: bool,
}

#[derive(Clone, Debug, Default)]
struct SourceState {
    layers: Vec<Layer>,
    /// Item index → (sequence number, resolved state at that time).
    explicit: HashMap<u32, (u64, CopyState)>,
}

impl SourceState {
    fn layer_skips(l: &Layer, data: &Data, k: ItemKey) -> bool {
        (l.skip_in_place && data.in_place_hold(k)) || (l.skip_litigation && data.litigation_hold(k))
    }

    fn resolve(&self, data: &Data, k: ItemKey) -> Option<CopyState> {
        let (mut cur, from) = match self.explicit.get(&k.idx) {
            Some((seq, c)) => (Some(*c), *seq),
            None => (None, 0),
        };
        for l in &self.layers {
            if l.seq <= from || k.idx < l.lo || k.idx >= l.hi || Self::layer_skips(l, data, k) {
                continue;
            }
            let v = if l.latest { data.versions(k) } else { 1 };
            if cur.is_none_or(|c| v > c.version) {
                cur = Some(CopyState {
                    version: v,
                    unread: l.unread,
                });
            }
        }
        cur
    }
}

/// Key of a target folder: (lower-cased mailbox e-mail, folder path).
type TargetKey = (String, String);

#[derive(Clone, Debug, Default)]
struct TargetFolder {
    sources: BTreeMap<FolderKey, SourceState>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Applied {
    Created,
    Merged,
    Skipped,
}

fn classify(prior: Option<CopyState>, v: u8) -> Applied {
    match prior {
        None => Applied::Created,
        Some(p) if v > p.version => Applied::Merged,
        Some(_) => Applied::Skipped,
    }
}

/// Counts of one restore.
#[derive(Clone, Debug, Default)]
struct Tally {
    created: i64,
    merged: i64,
    skipped: i64,
    failed: i64,
    skip_drafts: i64,
    skip_deleted_folder: i64,
    skip_deleted_items: i64,
    skip_in_place: i64,
    skip_litigation: i64,
    exceptions: Vec<String>,
    folders: bool,
}

impl Tally {
    fn add(&mut self, a: Applied) {
        match a {
            Applied::Created => self.created += 1,
            Applied::Merged => self.merged += 1,
            Applied::Skipped => self.skipped += 1,
        }
    }

    fn into_stats(self) -> ItemsRestoreStatistics {
        let mut warnings = Vec::new();
        let mut skipped = self.skipped;
        for (n, why) in [
            (self.skip_drafts, "items in Drafts are excluded (excludeDrafts)"),
            (
                self.skip_deleted_folder,
                "items in Deleted Items are excluded (excludeDeletedItems)",
            ),
            (
                self.skip_deleted_items,
                "deleted items are not restored (deletedItems is not set)",
            ),
            (
                self.skip_in_place,
                "items under In-Place Hold are excluded (excludeInPlaceHoldItems)",
            ),
            (
                self.skip_litigation,
                "items under Litigation Hold are excluded (excludeLitigationHoldItems)",
            ),
        ] {
            if n > 0 {
                skipped += n;
                warnings.push(format!("{n} item(s) skipped: {why}."));
            }
        }
        ItemsRestoreStatistics {
            created_items_count: self.created,
            merged_items_count: self.merged,
            failed_items_count: self.failed,
            skipped_items_count: skipped,
            failed_folders_count: self.folders.then_some(0),
            exceptions: self.exceptions,
            warnings,
            cannot_continue_error: None,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Restore requests

/// What a restore request covers.
#[derive(Clone, Debug)]
pub(crate) enum RestoreScope {
    Items(Vec<String>),
    Folder(FolderKey),
    Mailbox,
}

/// A restore request, parsed from any of the restore routes.
#[derive(Clone, Debug)]
pub(crate) struct RestoreSpec {
    pub api_version: u8,
    pub session_id: Uuid,
    pub mailbox: MailboxKey,
    pub scope: RestoreScope,
    /// Restore to the original location (`.../restore`) rather than `.../restoreTo`.
    pub original: bool,
    pub target_mailbox: Option<String>,
    pub target_folder: Option<String>,
    pub flags: RestoreFlags,
    pub credentials: RestoreCredentials,
    pub user: String,
    pub client_host: Option<String>,
    /// `officeRegion` and `officeOrganizationName` (restoreTo only).
    pub office_region: Option<String>,
    pub office_organization_name: Option<String>,
}

/// How the restore answered.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RestoreAnswer {
    /// v6/v7: the statistics, synchronously.
    Sync(ItemsRestoreStatistics),
    /// v8: the id of the restore's session.
    Async(Uuid),
}

// ---------------------------------------------------------------------------------------------------------
// Tokens

#[derive(Clone, Debug)]
struct AccessToken {
    user: String,
    expires: Instant,
    refresh: String,
}

// ---------------------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub(crate) struct StoreConfig {
    pub user: String,
    pub password: String,
    pub token_ttl: Duration,
    pub v8_restore_duration: Duration,
    /// (per item, at most): restores take time in proportion to the items they touch (`--vary`).
    pub restore_time: Option<(Duration, Duration)>,
}

pub(crate) struct StoreState {
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, String>,
    pub sessions: Vec<Session>,
    device_codes: HashMap<String, Instant>,
    /// The options of every device-code request, as sent.
    device_code_requests: Vec<DeviceCodeRequest>,
    restores: Vec<RestoreRecord>,
    targets: HashMap<TargetKey, TargetFolder>,
    seq: u64,
}

/// Shared state of one emulator instance (cheap to clone).
#[derive(Clone)]
pub struct Store {
    inner: Arc<Mutex<StoreState>>,
    data: Arc<Data>,
    cfg: Arc<StoreConfig>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("seed", &self.data.seed)
            .finish_non_exhaustive()
    }
}

fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

fn eq_constant_time(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn result_of(s: &ItemsRestoreStatistics) -> (SessionResult, EventStatus) {
    let good = s.created_items_count + s.merged_items_count + s.skipped_items_count;
    if s.failed_items_count > 0 && good == 0 {
        (SessionResult::Failed, EventStatus::Failed)
    } else if s.failed_items_count > 0 || !s.warnings.is_empty() {
        (SessionResult::Warning, EventStatus::Warning)
    } else {
        (SessionResult::Success, EventStatus::Success)
    }
}

fn outcome_message(s: &ItemsRestoreStatistics) -> String {
    format!(
        "Restore finished: {} created, {} merged, {} skipped, {} failed.",
        s.created_items_count, s.merged_items_count, s.skipped_items_count, s.failed_items_count
    )
}

impl Store {
    pub(crate) fn new(data: Arc<Data>, cfg: StoreConfig) -> Store {
        let mut st = StoreState {
            access: HashMap::new(),
            refresh: HashMap::new(),
            sessions: Vec::new(),
            device_codes: HashMap::new(),
            device_code_requests: Vec::new(),
            restores: Vec::new(),
            targets: HashMap::new(),
            seq: 0,
        };
        seed_sessions(&data, &mut st);
        Store {
            inner: Arc::new(Mutex::new(st)),
            data,
            cfg: Arc::new(cfg),
        }
    }

    /// The generated backup data (organizations, mailboxes, folder and item ids).
    pub fn data(&self) -> &Data {
        &self.data
    }

    /// Locks the state, settling finished v8 restores first.
    pub(crate) fn lock(&self) -> MutexGuard<'_, StoreState> {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        settle(&mut g);
        g
    }

    // ---- public inspection API (tests) ----

    /// Every restore request the server accepted, in order.
    pub fn restores(&self) -> Vec<RestoreRecord> {
        self.lock().restores.clone()
    }

    /// Makes every issued refresh token invalid.
    pub fn revoke_refresh_tokens(&self) {
        let mut g = self.lock();
        g.refresh.clear();
        for t in g.access.values_mut() {
            t.refresh.clear();
        }
    }

    /// Makes every access token invalid now.
    pub fn expire_access_tokens(&self) {
        self.lock().access.clear();
    }

    /// What restores wrote into `folder` of the mailbox `mailbox_email` (case-insensitive), ordered by source
    /// folder and item index. A folder that received a restore of a million items lists a million copies:
    /// use [`Store::target_len`] for big ones.
    pub fn target_contents(&self, mailbox_email: &str, folder: &str) -> Vec<RestoredCopy> {
        let g = self.lock();
        let Some(tf) = g
            .targets
            .get(&(mailbox_email.trim().to_lowercase(), folder.to_string()))
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (src, state) in &tf.sources {
            for idx in covered(state) {
                let k = ItemKey { folder: *src, idx };
                if let Some(c) = state.resolve(&self.data, k) {
                    out.push(RestoredCopy {
                        item_id: self.data.item_id(k),
                        version: u32::from(c.version),
                        unread: c.unread,
                    });
                }
            }
        }
        out
    }

    /// How many copies [`Store::target_contents`] would list (without building them).
    pub fn target_len(&self, mailbox_email: &str, folder: &str) -> u64 {
        let g = self.lock();
        let Some(tf) = g
            .targets
            .get(&(mailbox_email.trim().to_lowercase(), folder.to_string()))
        else {
            return 0;
        };
        let mut n = 0u64;
        for (src, state) in &tf.sources {
            for idx in covered(state) {
                if state.resolve(&self.data, ItemKey { folder: *src, idx }).is_some() {
                    n += 1;
                }
            }
        }
        n
    }

    /// How an explore session was started (`None` for an unknown id or a v8 restore session).
    pub fn explore_settings(&self, session_id: &str) -> Option<ExploreSettings> {
        let id = Uuid::parse_str(session_id.trim()).ok()?;
        let g = self.lock();
        let s = g.sessions.iter().find(|s| s.id == id)?;
        match &s.kind {
            SessionKind::Explore {
                show_deleted,
                show_all_versions,
                point_in_time,
                repository_id,
            } => Some(ExploreSettings {
                organization_id: self.data.org(s.org).map(|o| o.id.to_string()).unwrap_or_default(),
                show_deleted: *show_deleted,
                show_all_versions: *show_all_versions,
                point_in_time: *point_in_time,
                repository_id: *repository_id,
                working: s.state == SessionState::Working,
            }),
            SessionKind::Restore(_) => None,
        }
    }

    /// The folders restores wrote into, as (mailbox e-mail, folder path), sorted.
    pub fn target_folders(&self) -> Vec<(String, String)> {
        let mut v: Vec<_> = self.lock().targets.keys().cloned().collect();
        v.sort();
        v
    }

    // ---- tokens ----

    fn issue(&self, st: &mut StoreState, user: &str) -> TokenResponse {
        let access = random_token();
        let refresh = random_token();
        let ttl = self.cfg.token_ttl;
        let deadline = Instant::now()
            .checked_add(ttl)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(100 * 365 * 86_400));
        st.access.insert(
            access.clone(),
            AccessToken {
                user: user.to_string(),
                expires: deadline,
                refresh: refresh.clone(),
            },
        );
        st.refresh.insert(refresh.clone(), user.to_string());
        let now = OffsetDateTime::now_utc();
        let expires = time::Duration::try_from(ttl)
            .ok()
            .and_then(|d| now.checked_add(d))
            .unwrap_or(now);
        TokenResponse {
            access_token: access,
            refresh_token: refresh,
            token_type: "bearer".into(),
            expires_in: ttl.as_secs() as i64,
            user_name: Some(user.to_string()),
            issued: Some(format_utc7(now)),
            expires: Some(format_utc7(expires)),
        }
    }

    /// Password grant: tokens, or `None` for wrong credentials.
    pub(crate) fn login(&self, user: &str, password: &str) -> Option<TokenResponse> {
        let ok_user = user.eq_ignore_ascii_case(&self.cfg.user);
        let ok_pass = eq_constant_time(password, &self.cfg.password);
        if !(ok_user && ok_pass) {
            return None;
        }
        let mut g = self.lock();
        Some(self.issue(&mut g, &self.cfg.user))
    }

    /// Refresh grant: rotates both tokens (the old refresh token stops working).
    pub(crate) fn refresh(&self, token: &str) -> Option<TokenResponse> {
        let mut g = self.lock();
        let user = g.refresh.remove(token)?;
        Some(self.issue(&mut g, &user))
    }

    /// The user an access token belongs to, if it is valid.
    pub(crate) fn authenticate(&self, token: &str) -> Option<String> {
        let mut g = self.lock();
        match g.access.get(token) {
            Some(t) if t.expires > Instant::now() => Some(t.user.clone()),
            Some(_) => {
                g.access.remove(token);
                None
            }
            None => None,
        }
    }

    /// Logout: the access token and its refresh token stop working.
    pub(crate) fn logout(&self, token: &str) {
        let mut g = self.lock();
        if let Some(t) = g.access.remove(token) {
            g.refresh.remove(&t.refresh);
        }
    }

    // ---- sessions ----

    pub(crate) fn explore(
        &self,
        org: u8,
        opts: &ExploreOptions,
        user: &str,
        client_host: Option<String>,
    ) -> Result<Uuid, HttpError> {
        let o = self
            .data
            .org(org)
            .ok_or_else(|| HttpError::not_found("Organization not found."))?;
        if let Some(t) = &opts.session_type
            && t != &SessionType::Vex
        {
            return Err(HttpError::bad_request(format!(
                "Restore sessions of type '{t}' are not supported by this server: only Exchange (Vex) data is backed up."
            )));
        }
        let point_in_time = match &opts.date_time {
            None => None,
            Some(d) => {
                let t = d
                    .as_utc()
                    .ok_or_else(|| HttpError::bad_request(format!("Invalid dateTime value '{}'.", d.to_wire())))?;
                if t < o.first_backup {
                    return Err(HttpError::bad_request(format!(
                        "No restore points found for organization '{}' before {}.",
                        o.name,
                        format_utc7(t)
                    )));
                }
                Some(t)
            }
        };
        // v8: a repository that does not hold this organization's backups is refused (assumption: the spec
        // says only "ID of the backup repository"; a server cannot explore a repository without them).
        let repository_id = match opts.repository_id.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            None => None,
            Some(r) => {
                let id = Uuid::parse_str(r)
                    .map_err(|_| HttpError::bad_request(format!("The value '{r}' is not valid for repositoryId.")))?;
                if !super::points::repositories(&self.data, o).iter().any(|x| x.id == id) {
                    return Err(HttpError::bad_request(format!(
                        "Backup repository '{r}' holds no backups of organization '{}'.",
                        o.name
                    )));
                }
                Some(id)
            }
        };
        let id = Uuid::new_v4();
        let mut g = self.lock();
        g.sessions.push(Session {
            id,
            name: format!("Exchange restore session ({})", o.name),
            org,
            kind: SessionKind::Explore {
                show_deleted: opts.show_deleted.unwrap_or(false),
                show_all_versions: opts.show_all_versions.unwrap_or(false),
                point_in_time,
                repository_id,
            },
            state: SessionState::Working,
            result: SessionResult::Success,
            creation: OffsetDateTime::now_utc(),
            end: None,
            initiated_by: user.to_string(),
            client_host,
            details: None,
            reason: None,
            events: Vec::new(),
            etag: 1,
        });
        Ok(id)
    }

    pub(crate) fn stop(&self, id: Uuid) -> Result<(), HttpError> {
        let mut g = self.lock();
        let s = g
            .sessions
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or_else(|| session_not_found(id))?;
        if s.state == SessionState::Working {
            if let SessionKind::Restore(r) = &s.kind
                && !r.done
            {
                return Err(HttpError {
                    status: 400,
                    message: "The restore is still running and cannot be stopped.".into(),
                });
            }
            s.state = SessionState::Stopped;
            s.end = Some(OffsetDateTime::now_utc());
            s.etag += 1;
        }
        Ok(())
    }

    /// The explore session behind a browsing route: 404 if unknown, 400 if stopped or not an explore session.
    pub(crate) fn explore_view(&self, id: Uuid) -> Result<ExploreView, HttpError> {
        let g = self.lock();
        let s = g
            .sessions
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(|| session_not_found(id))?;
        match &s.kind {
            SessionKind::Explore { show_deleted, .. } => {
                if s.state == SessionState::Stopped {
                    return Err(HttpError::bad_request(format!(
                        "Restore session {id} has been stopped. Start a new restore session to browse backups."
                    )));
                }
                Ok(ExploreView {
                    org: s.org,
                    show_deleted: *show_deleted,
                })
            }
            SessionKind::Restore(_) => Err(HttpError::bad_request(format!(
                "Restore session {id} is not an explore session: it has no organization to browse."
            ))),
        }
    }

    pub(crate) fn add_event(&self, session: Uuid, ev: EventRec) {
        let mut g = self.lock();
        if let Some(s) = g.sessions.iter_mut().find(|s| s.id == session) {
            s.events.push(ev);
            s.etag += 1;
        }
    }

    pub(crate) fn issue_device_code(&self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let bytes = rand::random::<[u8; 8]>();
        let code: String = bytes
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
            .collect();
        let mut g = self.lock();
        g.device_codes
            .insert(code.clone(), Instant::now() + Duration::from_secs(900));
        code
    }

    /// Records the options of a device-code request (for tests: what the client sent).
    pub(crate) fn record_device_code_request(&self, r: DeviceCodeRequest) {
        self.lock().device_code_requests.push(r);
    }

    /// The options of every device-code request so far, as sent.
    pub fn device_code_requests(&self) -> Vec<DeviceCodeRequest> {
        self.lock().device_code_requests.clone()
    }

    /// The request's complete credential set (400 naming what is missing; a device code must be live).
    fn credential_mode(st: &StoreState, c: &RestoreCredentials) -> Result<CredentialMode, HttpError> {
        let mode = c.mode().map_err(HttpError::bad_request)?;
        if mode == CredentialMode::DeviceCode {
            let code = c.user_code.as_deref().unwrap_or_default();
            if !Self::device_code_valid(st, code) {
                return Err(HttpError::bad_request(format!(
                    "The device code '{code}' is unknown or has expired: request a new one with restoreDeviceCode."
                )));
            }
        }
        Ok(mode)
    }

    fn device_code_valid(st: &StoreState, code: &str) -> bool {
        st.device_codes
            .get(code.trim())
            .is_some_and(|exp| *exp > Instant::now())
    }

    // ---- restore ----

    /// How long a restore of these statistics takes beyond the fixed v8 duration: nothing by default,
    /// per item touched (created, merged, skipped, failed) with `--vary`, up to the configured most.
    /// Assumption (not in the spec): a real server's restore time grows with the items it processes.
    pub(crate) fn restore_time(&self, stats: &ItemsRestoreStatistics) -> Duration {
        let Some((per_item, most)) = self.cfg.restore_time else {
            return Duration::ZERO;
        };
        let n =
            stats.created_items_count + stats.merged_items_count + stats.skipped_items_count + stats.failed_items_count;
        let n = u32::try_from(n.max(0)).unwrap_or(u32::MAX);
        per_item.saturating_mul(n).min(most)
    }

    /// Runs a restore request: validates it, records it, writes the copies and answers per version.
    pub(crate) fn restore(&self, spec: RestoreSpec) -> Result<RestoreAnswer, HttpError> {
        let data = self.data.clone();
        let mut g = self.lock();
        let st: &mut StoreState = &mut g;

        let show_deleted = working_explore(st, spec.session_id)?;
        let source = data
            .mailbox(spec.mailbox)
            .cloned()
            .ok_or_else(|| HttpError::not_found("Mailbox not found."))?;
        let org_name = data.org(spec.mailbox.org).map(|o| o.name.clone()).unwrap_or_default();

        let mode = Self::credential_mode(st, &spec.credentials)?;

        let target: MailboxInfo = if spec.original {
            source.clone()
        } else {
            let wanted = spec.target_mailbox.as_deref().map(str::trim).unwrap_or_default();
            if wanted.is_empty() {
                return Err(HttpError::bad_request(
                    "The target mailbox is required: set 'mailbox' to its e-mail address.",
                ));
            }
            data.mailbox_by_email(spec.mailbox.org, wanted)
                .cloned()
                .ok_or_else(|| {
                    HttpError::bad_request(format!(
                        "Mailbox '{wanted}' was not found in organization '{org_name}'."
                    ))
                })?
        };
        if let RestoreScope::Items(ids) = &spec.scope
            && ids.is_empty()
        {
            return Err(HttpError::bad_request(
                "No items to restore: 'items' must list at least one item id.",
            ));
        }

        // Execute.
        let target_email = target.email.to_lowercase();
        let mut tally = Tally::default();
        let flags = spec.flags.clone();
        let (what, item_name, item_type, source_desc, target_desc): (String, String, String, String, String);
        match &spec.scope {
            RestoreScope::Items(ids) => {
                for id in ids {
                    st.seq += 1;
                    let seq = st.seq;
                    restore_item(&data, st, seq, &spec, &source, &target_email, id, &mut tally);
                }
                what = if ids.len() == 1 {
                    "1 item".to_string()
                } else {
                    format!("{} items", ids.len())
                };
                let first = ids.first().and_then(|id| data.parse_item(id));
                item_name = match (ids.len(), first.and_then(|k| data.summary(k))) {
                    (1, Some(s)) => s.title.unwrap_or_else(|| "(no subject)".into()),
                    _ => what.clone(),
                };
                item_type = if ids.len() == 1 { "Item".into() } else { "Items".into() };
                source_desc = source.email.clone();
                target_desc = match &spec.target_folder {
                    Some(f) => format!("{}/{f}", target.email),
                    None => target.email.clone(),
                };
            }
            RestoreScope::Folder(f) => {
                tally.folders = true;
                let path = data.folder_path(*f);
                let name = data.folder_def(*f).map(|d| d.name).unwrap_or_default();
                let dest = match &spec.target_folder {
                    Some(t) => t.clone(),
                    None if spec.original => path.clone(),
                    None => name.to_string(),
                };
                st.seq += 1;
                let seq = st.seq;
                restore_folder(
                    &data,
                    st,
                    seq,
                    *f,
                    show_deleted,
                    &flags,
                    (&target_email, &dest),
                    &mut tally,
                );
                what = format!("folder '{path}'");
                item_name = name.to_string();
                item_type = "Folder".into();
                source_desc = format!("{}/{path}", source.email);
                target_desc = format!("{}/{dest}", target.email);
            }
            RestoreScope::Mailbox => {
                restore_mailbox(
                    &data,
                    st,
                    spec.mailbox,
                    show_deleted,
                    &flags,
                    (&target_email, spec.target_folder.as_deref()),
                    &mut tally,
                );
                what = format!("mailbox '{}'", source.name);
                item_name = source.name.clone();
                item_type = "Mailbox".into();
                source_desc = source.email.clone();
                target_desc = match &spec.target_folder {
                    Some(f) => format!("{}/{f}", target.email),
                    None => target.email.clone(),
                };
            }
        }
        let stats = tally.into_stats();

        let record_id = Uuid::new_v4();
        let (kind, item_ids, folder_id) = match &spec.scope {
            RestoreScope::Items(ids) => ("items", ids.clone(), None),
            RestoreScope::Folder(f) => ("folder", Vec::new(), Some(data.folder_id(*f))),
            RestoreScope::Mailbox => ("mailbox", Vec::new(), None),
        };
        let sync = spec.api_version < 8;
        st.restores.push(RestoreRecord {
            id: record_id.to_string(),
            api_version: spec.api_version,
            restore_session_id: spec.session_id.to_string(),
            source_mailbox_id: source.id.to_string(),
            source_folder_id: folder_id,
            kind: if spec.original { "original" } else { kind },
            target_mailbox: if spec.original {
                None
            } else {
                spec.target_mailbox.clone()
            },
            target_folder: if spec.original {
                None
            } else {
                spec.target_folder.clone()
            },
            item_ids,
            flags: spec.flags.clone(),
            credential_mode: format!("{mode:?}"),
            outcome: sync.then(|| stats.clone()),
            office_region: spec.office_region.clone(),
            office_organization_name: spec.office_organization_name.clone(),
            bulk: None,
        });
        let record = st.restores.len() - 1;

        let title = format!("Restore of {what} to {}", target.email);
        let mut ev = if sync {
            let (_, status) = result_of(&stats);
            EventRec::new(EventType::Restore, status, title.clone(), outcome_message(&stats))
        } else {
            EventRec::new(
                EventType::Restore,
                EventStatus::Running,
                title.clone(),
                format!("Restoring {what}..."),
            )
        };
        ev.item_name = Some(item_name);
        ev.item_type = Some(item_type);
        ev.source = Some(source_desc);
        ev.target = Some(target_desc);
        let parent_index;
        {
            let s = st
                .sessions
                .iter_mut()
                .find(|s| s.id == spec.session_id)
                .ok_or_else(|| session_not_found(spec.session_id))?;
            s.events.push(ev.clone());
            s.etag += 1;
            parent_index = s.events.len() - 1;
        }
        if sync {
            return Ok(RestoreAnswer::Sync(stats));
        }

        let mut own = ev;
        own.id = Uuid::new_v4();
        let run_for = self.cfg.v8_restore_duration + self.restore_time(&stats);
        st.sessions.push(Session {
            id: record_id,
            name: format!("Restore of {what}"),
            org: spec.mailbox.org,
            kind: SessionKind::Restore(Box::new(AsyncRestore {
                started: Instant::now(),
                duration: run_for,
                parts: vec![AsyncPart {
                    stats,
                    record,
                    target,
                    parent_event: (spec.session_id, parent_index),
                }],
                done: false,
            })),
            state: SessionState::Working,
            result: SessionResult::Success,
            creation: OffsetDateTime::now_utc(),
            end: None,
            initiated_by: spec.user.clone(),
            client_host: spec.client_host.clone(),
            details: None,
            reason: None,
            events: vec![own],
            etag: 1,
        });
        drop(g);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let store = self.clone();
            let d = run_for;
            rt.spawn(async move {
                tokio::time::sleep(d).await;
                // Locking settles the restore.
                drop(store.lock());
            });
        }
        Ok(RestoreAnswer::Async(record_id))
    }
}

/// The `showDeleted` of a working explore session; 400 when it is stopped or not an explore session.
fn working_explore(st: &StoreState, id: Uuid) -> Result<bool, HttpError> {
    let session = st
        .sessions
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| session_not_found(id))?;
    match &session.kind {
        SessionKind::Explore { show_deleted, .. } if session.state == SessionState::Working => Ok(*show_deleted),
        SessionKind::Explore { .. } => Err(HttpError::bad_request(format!(
            "Restore session {id} has been stopped."
        ))),
        SessionKind::Restore(_) => Err(HttpError::bad_request(format!(
            "Restore session {id} is not an explore session."
        ))),
    }
}

mod bulk;
pub(crate) use bulk::{BulkAnswer, BulkSpec};

fn session_not_found(id: Uuid) -> HttpError {
    HttpError::not_found(format!("Restore session {id} was not found."))
}

/// Indices a source state has copies for (ascending, no duplicates).
fn covered(state: &SourceState) -> Vec<u32> {
    let mut ranges: Vec<(u32, u32)> = state.layers.iter().map(|l| (l.lo, l.hi)).collect();
    ranges.extend(state.explicit.keys().map(|i| (*i, i.saturating_add(1))));
    ranges.sort_unstable();
    let mut out = Vec::new();
    let mut next = 0u32;
    let mut started = false;
    for (lo, hi) in ranges {
        let from = if started { lo.max(next) } else { lo };
        if from < hi {
            out.extend(from..hi);
        }
        if !started || hi > next {
            next = hi;
        }
        started = true;
    }
    out
}

/// Every folder of `mailbox` into the target mailbox: under `folder` when given, else at its own path.
fn restore_mailbox(
    data: &Data,
    st: &mut StoreState,
    mailbox: MailboxKey,
    show_deleted: bool,
    flags: &RestoreFlags,
    (target_email, folder): (&str, Option<&str>),
    tally: &mut Tally,
) {
    tally.folders = true;
    for f in data.all_folders(mailbox) {
        let path = data.folder_path(f);
        let dest = match folder {
            Some(t) => format!("{t}/{path}"),
            None => path,
        };
        st.seq += 1;
        let seq = st.seq;
        restore_folder(data, st, seq, f, show_deleted, flags, (target_email, &dest), tally);
    }
}

#[allow(clippy::too_many_arguments)]
fn restore_item(
    data: &Data,
    st: &mut StoreState,
    seq: u64,
    spec: &RestoreSpec,
    source: &MailboxInfo,
    target_email: &str,
    id: &str,
    tally: &mut Tally,
) {
    let Some(k) = data.parse_item(id).filter(|k| k.folder.mailbox == spec.mailbox) else {
        tally.failed += 1;
        tally.exceptions.push(format!(
            "Item '{id}' was not found in the backup of mailbox '{}'.",
            source.email
        ));
        return;
    };
    let Some(def) = data.folder_def(k.folder) else {
        tally.failed += 1;
        tally.exceptions.push(format!(
            "Item '{id}' was not found in the backup of mailbox '{}'.",
            source.email
        ));
        return;
    };
    let f = &spec.flags;
    if f.exclude_drafts && def.category == "Drafts" {
        tally.skip_drafts += 1;
        return;
    }
    if f.exclude_deleted_items && def.category == "Deleted" {
        tally.skip_deleted_folder += 1;
        return;
    }
    if !f.deleted_items && data.is_deleted(k) {
        tally.skip_deleted_items += 1;
        return;
    }
    if f.exclude_in_place_hold && data.in_place_hold(k) {
        tally.skip_in_place += 1;
        return;
    }
    if f.exclude_litigation_hold && data.litigation_hold(k) {
        tally.skip_litigation += 1;
        return;
    }
    let dest = match &spec.target_folder {
        Some(t) => t.clone(),
        None if spec.original => data.folder_path(k.folder),
        None => def.name.to_string(),
    };
    let tf = st.targets.entry((target_email.to_string(), dest)).or_default();
    let ss = tf.sources.entry(k.folder).or_default();
    let prior = ss.resolve(data, k);
    let v = if f.changed_items { data.versions(k) } else { 1 };
    let a = classify(prior, v);
    if a != Applied::Skipped {
        ss.explicit.insert(
            k.idx,
            (
                seq,
                CopyState {
                    version: v,
                    unread: f.mark_unread,
                },
            ),
        );
    } else if let Some(p) = prior {
        // Pin the resolved state so later layers compare against it.
        ss.explicit.insert(k.idx, (seq, p));
    }
    tally.add(a);
}

#[allow(clippy::too_many_arguments)]
fn restore_folder(
    data: &Data,
    st: &mut StoreState,
    seq: u64,
    f: FolderKey,
    show_deleted: bool,
    flags: &RestoreFlags,
    (target_email, dest): (&str, &str),
    tally: &mut Tally,
) {
    let Some(def) = data.folder_def(f) else { return };
    let (live, deleted) = data.counts(f);
    let visible_deleted = if show_deleted { deleted } else { 0 };
    if flags.exclude_drafts && def.category == "Drafts" {
        tally.skip_drafts += i64::from(live) + i64::from(visible_deleted);
        return;
    }
    if flags.exclude_deleted_items && def.category == "Deleted" {
        tally.skip_deleted_folder += i64::from(live) + i64::from(visible_deleted);
        return;
    }
    let hi = if flags.deleted_items {
        live + visible_deleted
    } else {
        tally.skip_deleted_items += i64::from(visible_deleted);
        live
    };
    if hi == 0 {
        return;
    }
    let layer = Layer {
        seq,
        lo: 0,
        hi,
        latest: flags.changed_items,
        unread: flags.mark_unread,
        skip_in_place: flags.exclude_in_place_hold,
        skip_litigation: flags.exclude_litigation_hold,
    };
    let tf = st
        .targets
        .entry((target_email.to_string(), dest.to_string()))
        .or_default();
    let ss = tf.sources.entry(f).or_default();
    for idx in 0..hi {
        let k = ItemKey { folder: f, idx };
        if layer.skip_in_place && data.in_place_hold(k) {
            tally.skip_in_place += 1;
            continue;
        }
        if layer.skip_litigation && data.litigation_hold(k) {
            tally.skip_litigation += 1;
            continue;
        }
        let v = if layer.latest { data.versions(k) } else { 1 };
        tally.add(classify(ss.resolve(data, k), v));
    }
    ss.layers.push(layer);
}

/// Finishes v8 restores whose time is up: statistics final, sessions stopped, events closed, records done.
fn settle(st: &mut StoreState) {
    let now = OffsetDateTime::now_utc();
    let mut finished: Vec<(usize, ItemsRestoreStatistics, (Uuid, usize))> = Vec::new();
    for s in st.sessions.iter_mut() {
        let SessionKind::Restore(r) = &mut s.kind else { continue };
        if r.done || r.started.elapsed() < r.duration {
            continue;
        }
        r.done = true;
        let (result, _) = result_of(&r.total());
        s.state = SessionState::Stopped;
        s.result = result;
        s.end = Some(now);
        s.etag += 1;
        for (i, part) in r.parts.iter().enumerate() {
            if let Some(ev) = s.events.get_mut(i) {
                ev.status = result_of(&part.stats).1;
                ev.end = Some(now);
                ev.message = outcome_message(&part.stats);
            }
            finished.push((part.record, part.stats.clone(), part.parent_event));
        }
    }
    for (record, stats, (parent, idx)) in finished {
        let (_, status) = result_of(&stats);
        if let Some(s) = st.sessions.iter_mut().find(|s| s.id == parent)
            && let Some(ev) = s.events.get_mut(idx)
        {
            ev.status = status;
            ev.end = Some(now);
            ev.message = outcome_message(&stats);
            s.etag += 1;
        }
        if let Some(r) = st.restores.get_mut(record) {
            r.outcome = Some(stats);
        }
    }
}

/// A few sessions that exist before anyone logs in (two working, three stopped).
fn seed_sessions(data: &Data, st: &mut StoreState) {
    let base = super::data::LAST_BACKUP;
    let h = time::Duration::hours;
    // (organization, start hours after the last backup, length in hours, result, showDeleted, by, host)
    type Seed = (u8, i64, Option<i64>, SessionResult, bool, &'static str, &'static str);
    let specs: [Seed; 5] = [
        (
            0,
            3,
            None,
            SessionResult::Success,
            false,
            "CONTOSO\\administrator",
            "ws-042.contoso.local",
        ),
        (
            1,
            5,
            None,
            SessionResult::Success,
            true,
            "FABRIKAM\\helpdesk",
            "10.20.1.15",
        ),
        (
            0,
            -240,
            Some(2),
            SessionResult::Success,
            false,
            "CONTOSO\\administrator",
            "ws-042.contoso.local",
        ),
        (0, -100, Some(1), SessionResult::Warning, false, "vex", "127.0.0.1"),
        (
            1,
            -30,
            Some(3),
            SessionResult::Failed,
            true,
            "FABRIKAM\\helpdesk",
            "10.20.1.15",
        ),
    ];
    for (i, (org, start_h, len_h, result, show_deleted, by, host)) in specs.into_iter().enumerate() {
        let o_name = data.org(org).map(|o| o.name.clone()).unwrap_or_default();
        let creation = base + h(start_h);
        let end = len_h.map(|l| creation + h(l));
        let id = {
            let a = super::rng::hash(&[data.seed, 0x5E, i as u64]);
            let b = super::rng::hash(&[a, 1]);
            let mut bytes = [0u8; 16];
            bytes[..8].copy_from_slice(&a.to_le_bytes());
            bytes[8..].copy_from_slice(&b.to_le_bytes());
            uuid::Builder::from_random_bytes(bytes).into_uuid()
        };
        let mut events = Vec::new();
        let mut ev = |etype: EventType, status: EventStatus, title: &str, msg: &str, at: i64| {
            let t = creation + time::Duration::minutes(at);
            events.push(EventRec {
                id: Uuid::from_u64_pair(super::rng::hash(&[data.seed, 0xE7, i as u64, at as u64]), at as u64),
                etype,
                status,
                title: title.to_string(),
                message: msg.to_string(),
                item_name: None,
                item_type: None,
                item_size: None,
                source: None,
                target: None,
                start: t,
                end: Some(t + time::Duration::seconds(4)),
            });
        };
        ev(
            EventType::View,
            EventStatus::Success,
            "Browsing organization",
            "Opened the organization for browsing.",
            1,
        );
        match result {
            SessionResult::Warning => ev(
                EventType::Restore,
                EventStatus::Warning,
                "Restore of 12 items",
                "Restore finished: 10 created, 0 merged, 2 skipped, 0 failed.",
                20,
            ),
            SessionResult::Failed => ev(
                EventType::Restore,
                EventStatus::Failed,
                "Restore of folder 'Inbox'",
                "Restore failed: the target mailbox could not be reached.",
                15,
            ),
            _ if end.is_some() => ev(
                EventType::Export,
                EventStatus::Success,
                "Export of 40 items to PST",
                "Exported 40 items.",
                10,
            ),
            _ => ev(
                EventType::Save,
                EventStatus::Success,
                "Save of 1 item",
                "Saved 1 item.",
                8,
            ),
        }
        st.sessions.push(Session {
            id,
            name: format!("Exchange restore session ({o_name})"),
            org,
            kind: SessionKind::Explore {
                show_deleted,
                show_all_versions: false,
                point_in_time: None,
                repository_id: None,
            },
            state: if end.is_some() {
                SessionState::Stopped
            } else {
                SessionState::Working
            },
            result,
            creation,
            end,
            initiated_by: by.to_string(),
            client_host: Some(host.to_string()),
            details: None,
            reason: None,
            events,
            etag: 1,
        });
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::sim::data::{MILLION, MILLION_FOLDER_INDEX, MILLION_MAILBOX};
    use secrecy::SecretString;

    pub(crate) fn store() -> Store {
        Store::new(
            Arc::new(Data::new(42)),
            StoreConfig {
                user: "vex".into(),
                password: "pw".into(),
                token_ttl: Duration::from_secs(3600),
                v8_restore_duration: Duration::from_millis(50),
                restore_time: None,
            },
        )
    }

    fn creds() -> RestoreCredentials {
        RestoreCredentials {
            user_name: Some("admin@contoso.com".into()),
            user_password: Some(SecretString::from("x")),
            ..Default::default()
        }
    }

    fn session(s: &Store, show_deleted: bool) -> Uuid {
        let opts = ExploreOptions {
            show_deleted: Some(show_deleted),
            ..Default::default()
        };
        s.explore(0, &opts, "vex", None).unwrap()
    }

    fn spec(session: Uuid, version: u8, scope: RestoreScope, flags: RestoreFlags) -> RestoreSpec {
        RestoreSpec {
            api_version: version,
            session_id: session,
            mailbox: MailboxKey { org: 0, mbx: 0 },
            scope,
            original: false,
            target_mailbox: Some("FRANCOIS.LEFEVRE@contoso.com".into()),
            target_folder: Some("Restored".into()),
            flags,
            credentials: creds(),
            user: "vex".into(),
            client_host: None,
            office_region: None,
            office_organization_name: None,
        }
    }

    fn sync(a: RestoreAnswer) -> ItemsRestoreStatistics {
        match a {
            RestoreAnswer::Sync(s) => s,
            RestoreAnswer::Async(_) => panic!("expected a synchronous answer"),
        }
    }

    fn inbox_item(s: &Store, idx: u32) -> String {
        s.data().item_id(ItemKey {
            folder: FolderKey {
                mailbox: MailboxKey { org: 0, mbx: 0 },
                folder: 0,
            },
            idx,
        })
    }

    #[test]
    fn created_then_skipped_then_merged() {
        let s = store();
        let rs = session(&s, false);
        // idx 1 has two versions, idx 2 one.
        let ids = vec![inbox_item(&s, 1), inbox_item(&s, 2)];
        let st = sync(
            s.restore(spec(rs, 7, RestoreScope::Items(ids.clone()), RestoreFlags::default()))
                .unwrap(),
        );
        assert_eq!(
            (
                st.created_items_count,
                st.merged_items_count,
                st.skipped_items_count,
                st.failed_items_count
            ),
            (2, 0, 0, 0)
        );
        assert!(st.failed_folders_count.is_none());
        let c = s.target_contents("francois.lefevre@contoso.com", "Restored");
        assert_eq!(c.iter().map(|c| c.version).collect::<Vec<_>>(), [1, 1]);

        let st = sync(
            s.restore(spec(rs, 7, RestoreScope::Items(ids.clone()), RestoreFlags::default()))
                .unwrap(),
        );
        assert_eq!((st.created_items_count, st.skipped_items_count), (0, 2));

        let changed = RestoreFlags {
            changed_items: true,
            mark_unread: true,
            ..Default::default()
        };
        let st = sync(
            s.restore(spec(rs, 6, RestoreScope::Items(ids.clone()), changed.clone()))
                .unwrap(),
        );
        assert_eq!(
            (st.created_items_count, st.merged_items_count, st.skipped_items_count),
            (0, 1, 1)
        );
        let c = s.target_contents("francois.lefevre@contoso.com", "Restored");
        assert_eq!(
            c[0],
            RestoredCopy {
                item_id: ids[0].clone(),
                version: 2,
                unread: true
            }
        );
        assert_eq!(
            c[1],
            RestoredCopy {
                item_id: ids[1].clone(),
                version: 1,
                unread: false
            }
        );

        let st = sync(s.restore(spec(rs, 7, RestoreScope::Items(ids), changed)).unwrap());
        assert_eq!((st.merged_items_count, st.skipped_items_count), (0, 2));
        assert_eq!(s.restores().len(), 4);
        assert_eq!(s.restores()[0].credential_mode, "Password");
        // The explore session got one Restore event per restore.
        let g = s.lock();
        let sess = g.sessions.iter().find(|x| x.id == rs).unwrap();
        assert_eq!(sess.events.iter().filter(|e| e.etype == EventType::Restore).count(), 4);
    }

    #[test]
    fn unknown_item_fails_with_exception() {
        let s = store();
        let rs = session(&s, false);
        let ids = vec![inbox_item(&s, 0), "AAMk+/+/bogus==".to_string()];
        let st = sync(
            s.restore(spec(rs, 7, RestoreScope::Items(ids), RestoreFlags::default()))
                .unwrap(),
        );
        assert_eq!((st.created_items_count, st.failed_items_count), (1, 1));
        assert!(st.exceptions[0].contains("AAMk+/+/bogus=="), "{:?}", st.exceptions);
        // An item of another mailbox is not in this one.
        let other = s.data().item_id(ItemKey {
            folder: FolderKey {
                mailbox: MailboxKey { org: 0, mbx: 3 },
                folder: 0,
            },
            idx: 0,
        });
        let st = sync(
            s.restore(spec(rs, 7, RestoreScope::Items(vec![other]), RestoreFlags::default()))
                .unwrap(),
        );
        assert_eq!(st.failed_items_count, 1);
    }

    #[test]
    fn flags_skip_with_warnings() {
        let s = store();
        let rs = session(&s, true);
        let mb = MailboxKey { org: 0, mbx: 0 };
        let drafts = FolderKey { mailbox: mb, folder: 6 };
        let draft = s.data().item_id(ItemKey { folder: drafts, idx: 0 });
        let flags = RestoreFlags {
            exclude_drafts: true,
            ..Default::default()
        };
        let st = sync(
            s.restore(spec(
                rs,
                7,
                RestoreScope::Items(vec![draft.clone(), inbox_item(&s, 0)]),
                flags.clone(),
            ))
            .unwrap(),
        );
        assert_eq!((st.created_items_count, st.skipped_items_count), (1, 1));
        assert!(st.warnings.iter().any(|w| w.contains("excludeDrafts")));
        let st = sync(s.restore(spec(rs, 7, RestoreScope::Folder(drafts), flags)).unwrap());
        let (live, deleted) = s.data().counts(drafts);
        assert_eq!(st.skipped_items_count, i64::from(live + deleted));
        assert_eq!(st.failed_folders_count, Some(0));

        // Deleted items (after the live ones) are skipped unless deletedItems is set.
        let inbox = FolderKey { mailbox: mb, folder: 0 };
        let gone = s.data().item_id(ItemKey {
            folder: inbox,
            idx: 2_600,
        });
        let st = sync(
            s.restore(spec(
                rs,
                7,
                RestoreScope::Items(vec![gone.clone()]),
                RestoreFlags::default(),
            ))
            .unwrap(),
        );
        assert_eq!(st.skipped_items_count, 1);
        assert!(st.warnings[0].contains("deletedItems"));
        let st = sync(
            s.restore(spec(
                rs,
                7,
                RestoreScope::Items(vec![gone]),
                RestoreFlags {
                    deleted_items: true,
                    ..Default::default()
                },
            ))
            .unwrap(),
        );
        assert_eq!(st.created_items_count, 1);
    }

    #[test]
    fn validation_errors() {
        let s = store();
        let rs = session(&s, false);
        let mut sp = spec(
            rs,
            7,
            RestoreScope::Items(vec![inbox_item(&s, 0)]),
            RestoreFlags::default(),
        );
        sp.credentials = RestoreCredentials {
            user_name: Some("admin".into()),
            ..Default::default()
        };
        let e = s.restore(sp.clone()).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.contains("userPassword"), "{}", e.message);
        sp.credentials = RestoreCredentials::default();
        assert_eq!(s.restore(sp.clone()).unwrap_err().status, 400);
        sp.credentials = RestoreCredentials {
            user_code: Some("NOTISSUED".into()),
            ..Default::default()
        };
        assert!(s.restore(sp.clone()).unwrap_err().message.contains("NOTISSUED"));
        sp.credentials = RestoreCredentials {
            user_code: Some(s.issue_device_code()),
            ..Default::default()
        };
        assert!(s.restore(sp.clone()).is_ok());

        sp.credentials = creds();
        sp.target_mailbox = Some("nobody@nowhere.example".into());
        let e = s.restore(sp.clone()).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(
            e.message.contains("Mailbox 'nobody@nowhere.example' was not found"),
            "{}",
            e.message
        );
        sp.target_mailbox = None;
        assert_eq!(s.restore(sp.clone()).unwrap_err().status, 400);
        assert_eq!(s.restores().len(), 1, "only the accepted request is recorded");

        s.stop(rs).unwrap();
        sp.target_mailbox = Some("zoe.muller@contoso.com".into());
        assert_eq!(s.restore(sp).unwrap_err().status, 400);
    }

    #[test]
    fn million_folder_restore_is_compact_and_fast() {
        let s = store();
        let rs = session(&s, false);
        let f = FolderKey {
            mailbox: MILLION_MAILBOX,
            folder: MILLION_FOLDER_INDEX,
        };
        let mut sp = spec(rs, 7, RestoreScope::Folder(f), RestoreFlags::default());
        sp.mailbox = MILLION_MAILBOX;
        sp.target_folder = None;
        let t = Instant::now();
        let st = sync(s.restore(sp.clone()).unwrap());
        assert_eq!(st.created_items_count, i64::from(MILLION));
        sp.flags.changed_items = true;
        let st = sync(s.restore(sp).unwrap());
        assert_eq!((st.merged_items_count, st.skipped_items_count), (250_000, 750_000));
        assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
        assert_eq!(
            s.target_len("francois.lefevre@contoso.com", "Archive 1M"),
            u64::from(MILLION)
        );
    }

    #[test]
    fn v8_restore_runs_then_finishes() {
        let s = store();
        let rs = session(&s, false);
        let mut sp = spec(
            rs,
            8,
            RestoreScope::Items(vec![inbox_item(&s, 0), inbox_item(&s, 1)]),
            RestoreFlags::default(),
        );
        sp.original = true;
        sp.target_mailbox = None;
        sp.target_folder = None;
        let RestoreAnswer::Async(id) = s.restore(sp).unwrap() else {
            panic!("v8 is async")
        };
        let r = &s.restores()[0];
        assert_eq!(r.kind, "original");
        assert_eq!(r.id, id.to_string());
        std::thread::sleep(Duration::from_millis(80));
        let r = s.restores()[0].clone();
        assert_eq!(r.outcome.map(|o| o.created_items_count), Some(2));
        let g = s.lock();
        let own = g.sessions.iter().find(|x| x.id == id).unwrap();
        assert_eq!(own.state, SessionState::Stopped);
        assert_eq!(own.events[0].status, EventStatus::Success);
        // Original location: the source mailbox, the source folder's path.
        drop(g);
        assert_eq!(s.target_contents("zoe.muller@contoso.com", "Inbox").len(), 2);
    }

    #[test]
    fn tokens_rotate_and_expire() {
        let s = store();
        assert!(s.login("vex", "wrong").is_none());
        let t = s.login("VEX", "pw").unwrap();
        assert_eq!(s.authenticate(&t.access_token).as_deref(), Some("vex"));
        let t2 = s.refresh(&t.refresh_token).unwrap();
        assert!(s.refresh(&t.refresh_token).is_none(), "old refresh token is spent");
        assert_ne!(t2.access_token, t.access_token);
        s.expire_access_tokens();
        assert!(s.authenticate(&t2.access_token).is_none());
        s.revoke_refresh_tokens();
        assert!(s.refresh(&t2.refresh_token).is_none());
        let t3 = s.login("vex", "pw").unwrap();
        s.logout(&t3.access_token);
        assert!(s.authenticate(&t3.access_token).is_none());
        assert!(s.refresh(&t3.refresh_token).is_none());
    }

    #[test]
    fn covered_merges_ranges() {
        let mut ss = SourceState::default();
        let l = |lo, hi| Layer {
            seq: 1,
            lo,
            hi,
            latest: false,
            unread: false,
            skip_in_place: false,
            skip_litigation: false,
        };
        ss.layers.push(l(0, 3));
        ss.layers.push(l(2, 5));
        ss.explicit.insert(
            9,
            (
                1,
                CopyState {
                    version: 1,
                    unread: false,
                },
            ),
        );
        ss.explicit.insert(
            4,
            (
                1,
                CopyState {
                    version: 1,
                    unread: false,
                },
            ),
        );
        assert_eq!(covered(&ss), [0, 1, 2, 3, 4, 9]);
    }
}
