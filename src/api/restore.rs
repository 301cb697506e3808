//! restoreTo / restore / export / save / send. One [`RestoreOutcome`] for v6/v7 (synchronous counts) and
//! v8 (an async session polled until its Restore event leaves Running). Restores are never resent.

use super::body;
use super::client::{Body, Client, Wait, decode_bytes, json_body, mb_path, seg};
use super::error::{ApiError, from_reqwest, one_line};
use super::models::*;
use futures_util::StreamExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// How long a v8 restore session may show neither a Restore event nor a known state before following
/// it is given up.
pub const NO_RESTORE_EVENT_GRACE: Duration = Duration::from_secs(120);
/// How long, after its Restore events ended, a v8 restore session may take to show `Stopped` before
/// the outcome is taken from the events and statistics alone.
pub const SESSION_LAG: Duration = Duration::from_secs(10);

/// The counts of `RESTItemsRestoreStatistics`.
const ITEM_COUNTS: &[&str] = &[
    "createdItemsCount",
    "mergedItemsCount",
    "skippedItemsCount",
    "failedItemsCount",
];
/// The counts of `RESTRestoreSessionStatistics`.
const SESSION_COUNTS: &[&str] = &[
    "totalItemsCount",
    "restoredItemsCount",
    "failedItemsCount",
    "skippedItemsCount",
];

/// True when `bytes` is a JSON object holding at least one of `keys` with a value that is not null.
/// What a restore's POST answered ([`Client::send_restore`]).
pub(super) enum Answer {
    /// v6/v7: the finished restore's body, for the caller to read.
    Done(Vec<u8>),
    /// v8: the restore's own session id (trimmed, not empty), already told to `hooks.accepted`.
    Accepted(String),
}

/// The answer of a sent restore could not be read: its outcome is unknown here.
pub(super) fn unreadable(what: &str, e: &dyn std::fmt::Display) -> ApiError {
    ApiError::OutcomeUnknown(format!(
        "{what} was sent but its answer is unreadable ({}); look at the session's events",
        one_line(&e.to_string(), 300)
    ))
}

/// Following an accepted restore's session failed. The restore runs on the server: whatever went wrong
/// since, its outcome is unknown here.
pub(super) fn follow_failed(what: &str, sid: &str, e: ApiError) -> ApiError {
    match e {
        ApiError::OutcomeUnknown(m) => ApiError::OutcomeUnknown(m),
        other => ApiError::OutcomeUnknown(format!(
            "{what} was accepted as session {sid} but following it failed ({other}); look at that session's events"
        )),
    }
}

fn has_any(bytes: &[u8], keys: &[&str]) -> bool {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(m)) => keys.iter().any(|k| m.get(*k).is_some_and(|v| !v.is_null())),
        _ => false,
    }
}

/// `export.pst` → `export.pst.part` (next to it, so the final rename stays on one file system).
fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".part");
    dest.with_file_name(name)
}

/// Removes a partial download unless disarmed: on errors and when the download's future is dropped.
struct PartFile {
    path: PathBuf,
    armed: bool,
}

impl PartFile {
    fn new(path: PathBuf) -> PartFile {
        PartFile { path, armed: true }
    }

    fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if self.armed {
            // Synchronous on purpose: a dropped future gets no chance to await.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What a restore applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestoreScope {
    /// The items listed in the request body (`items/restoreTo`).
    Items,
    /// One item (`items/{id}/restoreTo`).
    Item(String),
    /// A whole folder, without listing it (`folders/{id}/restoreTo`).
    Folder(String),
    /// A whole mailbox (`restoreTo` on the mailbox).
    Mailbox,
}

impl RestoreScope {
    /// What it applies to, in the operator's words: "3 items", "1 item", "the whole folder", "the whole
    /// mailbox" (`items`: the number listed, for [`RestoreScope::Items`]).
    pub fn what(&self, items: usize) -> String {
        match self {
            RestoreScope::Items => format!("{items} item{}", if items == 1 { "" } else { "s" }),
            RestoreScope::Item(_) => "1 item".into(),
            RestoreScope::Folder(_) => "the whole folder".into(),
            RestoreScope::Mailbox => "the whole mailbox".into(),
        }
    }

    fn path(&self, restore_session_id: &str, mailbox_id: &str, action: &str) -> String {
        let rest = match self {
            RestoreScope::Items => format!("/items/{action}"),
            RestoreScope::Item(id) => format!("/items/{}/{action}", seg(id)),
            RestoreScope::Folder(id) => format!("/folders/{}/{action}", seg(id)),
            RestoreScope::Mailbox => format!("/{action}"),
        };
        mb_path(restore_session_id, mailbox_id, &rest)
    }
}

/// Progress of a running v8 restore, from its session statistics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RestoreProgress {
    pub total: i64,
    pub restored: i64,
    pub failed: i64,
    pub skipped: i64,
    pub last_event: Option<String>,
}

/// Bytes written so far by a download (and the total when the server said it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DownloadProgress {
    pub written: u64,
    pub total: Option<u64>,
}

/// The counts a Restore event's message states (shared by the TUI's and the batch's reconciliation):
/// ("3 created, 0 merged, 0 skipped, 0 failed"), if it does.
pub fn event_counts(message: &str) -> Option<RestoreOutcome> {
    let words: Vec<&str> = message
        .split(|c: char| c.is_whitespace() || c == ',' || c == '.' || c == ':')
        .filter(|w| !w.is_empty())
        .collect();
    let count = |what: &str| {
        words
            .windows(2)
            .find(|w| w[1].eq_ignore_ascii_case(what))
            .and_then(|w| w[0].parse::<i64>().ok())
    };
    Some(RestoreOutcome {
        created: count("created")?,
        merged: count("merged").unwrap_or(0),
        skipped: count("skipped").unwrap_or(0),
        failed: count("failed").unwrap_or(0),
        ..Default::default()
    })
}

/// What a caller may learn while a restore is on its way (the batch journals each step).
#[derive(Clone, Default)]
pub struct RestoreHooks {
    /// Awaited before the last byte of the request is sent (see [`super::client::BodyGate`]).
    pub before_last_byte: Option<super::client::BodyGate>,
    /// v8: told the restore's own session id as soon as the server has answered it, before the
    /// restore is followed to its end.
    pub accepted: Option<Accepted>,
}

/// See [`RestoreHooks::accepted`].
pub type Accepted = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

impl Client {
    /// [`Client::restore_to`] or [`Client::restore_original`] (`to`: `None`), with hooks.
    pub async fn restore_with(
        &self,
        restore_session_id: &str,
        mailbox_id: &str,
        scope: &RestoreScope,
        to: Result<&RestoreToRequest, &RestoreOriginalRequest>,
        progress: &(dyn Fn(RestoreProgress) + Send + Sync),
        hooks: &RestoreHooks,
    ) -> Result<RestoreOutcome, ApiError> {
        let (path, body) = match to {
            Ok(req) => (scope.path(restore_session_id, mailbox_id, "restoreTo"), json_body(req)?),
            Err(req) => (scope.path(restore_session_id, mailbox_id, "restore"), json_body(req)?),
        };
        self.run_restore_body(&path, body, progress, hooks).await
    }

    /// Restores to another mailbox (`restoreTo`). v6/v7: the counts come back at once. v8: the server
    /// answers a session id; this polls that session until done, calling `progress` as counts grow.
    pub async fn restore_to(
        &self,
        restore_session_id: &str,
        mailbox_id: &str,
        scope: &RestoreScope,
        req: &RestoreToRequest,
        progress: &(dyn Fn(RestoreProgress) + Send + Sync),
    ) -> Result<RestoreOutcome, ApiError> {
        let path = scope.path(restore_session_id, mailbox_id, "restoreTo");
        self.run_restore(&path, req, progress).await
    }

    /// Restores to the original location (`restore`).
    pub async fn restore_original(
        &self,
        restore_session_id: &str,
        mailbox_id: &str,
        scope: &RestoreScope,
        req: &RestoreOriginalRequest,
        progress: &(dyn Fn(RestoreProgress) + Send + Sync),
    ) -> Result<RestoreOutcome, ApiError> {
        let path = scope.path(restore_session_id, mailbox_id, "restore");
        self.run_restore(&path, req, progress).await
    }

    async fn run_restore<B: serde::Serialize>(
        &self,
        path: &str,
        body: &B,
        progress: &(dyn Fn(RestoreProgress) + Send + Sync),
    ) -> Result<RestoreOutcome, ApiError> {
        self.run_restore_body(path, json_body(body)?, progress, &RestoreHooks::default())
            .await
    }

    async fn run_restore_body(
        &self,
        path: &str,
        body: Body,
        progress: &(dyn Fn(RestoreProgress) + Send + Sync),
        hooks: &RestoreHooks,
    ) -> Result<RestoreOutcome, ApiError> {
        const WHAT: &str = "the restore";
        match self.send_restore(path, body, hooks, WHAT).await? {
            Answer::Accepted(sid) => self
                .wait_restore(&sid, Duration::from_millis(250), progress)
                .await
                .map_err(|e| follow_failed(WHAT, &sid, e)),
            Answer::Done(bytes) => {
                // Lenient parsing would read `{}` or all-null counts as "0 restored": that is no answer.
                if !has_any(&bytes, ITEM_COUNTS) {
                    return Err(unreadable(WHAT, &"it holds none of the item counts"));
                }
                let s: ItemsRestoreStatistics = serde_json::from_slice(&bytes).map_err(|e| unreadable(WHAT, &e))?;
                let counts = [
                    s.created_items_count,
                    s.merged_items_count,
                    s.skipped_items_count,
                    s.failed_items_count,
                ];
                if counts.iter().any(|n| *n < 0) {
                    return Err(unreadable(WHAT, &format!("negative item counts {counts:?}")));
                }
                Ok(s.into())
            }
        }
    }

    /// Sends a restore (`what` names it in messages: "the restore", "the bulk restore") and reads its
    /// answer. v6/v7 answer only when the restore is done (it may take an hour): no cap on the wait for
    /// the answer, the stall timeout once it flows; their body is returned to be read by the caller. v8
    /// answers the restore's own session id, told to `hooks.accepted` at once. Once the request is sent,
    /// every failure is [`ApiError::OutcomeUnknown`]: the server may have applied it.
    pub(super) async fn send_restore(
        &self,
        path: &str,
        body: Body,
        hooks: &RestoreHooks,
        what: &str,
    ) -> Result<Answer, ApiError> {
        let v = self.version().ok_or_else(|| ApiError::Auth("not logged in".into()))?;
        let body = match (body, &hooks.before_last_byte) {
            (Body::Json(b), Some(gate)) => Body::JsonGated(b, gate.clone()),
            (b, _) => b,
        };
        let res = self.call(reqwest::Method::POST, path, &[], body, Wait::Long).await?;
        let bytes = body::read_json(res, self.timeouts().stall, self.limits(), None)
            .await
            .map_err(|e| match e {
                ApiError::Decode(_) | ApiError::Limit(_) => unreadable(what, &e),
                e => ApiError::OutcomeUnknown(format!(
                    "{what} was sent but its answer was lost ({e}); look at the session's events"
                )),
            })?;
        if !v.async_restore() {
            return Ok(Answer::Done(bytes));
        }
        let a: AsyncRestoreResponse = serde_json::from_slice(&bytes).map_err(|e| unreadable(what, &e))?;
        let sid = a.session_id.trim().to_string();
        if sid.is_empty() {
            return Err(unreadable(what, &"no sessionId"));
        }
        if let Some(accepted) = &hooks.accepted {
            accepted(&sid);
        }
        Ok(Answer::Accepted(sid))
    }

    /// v8: `GET RestoreSessions/{id}/Statistics`. An answer with none of the counts is a decode error, not
    /// zeros.
    pub async fn restore_statistics(&self, restore_session_id: &str) -> Result<RestoreSessionStatistics, ApiError> {
        let bytes = self
            .call_read(
                reqwest::Method::GET,
                &format!("RestoreSessions/{}/Statistics", seg(restore_session_id)),
                &[],
                Body::None,
                Wait::Stall,
                true,
            )
            .await?;
        if !has_any(&bytes, SESSION_COUNTS) {
            return Err(ApiError::Decode(
                "the restore statistics hold none of the item counts".into(),
            ));
        }
        let s: RestoreSessionStatistics = decode_bytes(&bytes)?;
        let counts = [
            s.total_items_count,
            s.restored_items_count,
            s.failed_items_count,
            s.skipped_items_count,
        ];
        if counts.iter().any(|n| *n < 0) {
            return Err(ApiError::Decode(format!(
                "the restore statistics hold negative counts {counts:?}"
            )));
        }
        Ok(s)
    }

    /// v8: `GET RestoreSessions/{id}`: one restore session (a restore's own session too).
    pub async fn restore_session(&self, restore_session_id: &str) -> Result<RestoreSession, ApiError> {
        self.get_json(&format!("RestoreSessions/{}", seg(restore_session_id)), &[])
            .await
    }

    /// v8: follows a restore's own session until it is done, then reads the statistics. Each poll reads
    /// the session's events, the session itself and its statistics (statistics have no "done" flag).
    ///
    /// Done when the session has stopped (`state: Stopped`, or an `endTime`): its `result` and
    /// `endTime` go into the outcome. The Restore event(s) leaving `Running` also end it, once the
    /// session has had [`SESSION_LAG`] to stop as well. When no Restore event shows (a server that names
    /// its events differently), the session's own state decides; only when neither events nor the session
    /// say anything usable for [`NO_RESTORE_EVENT_GRACE`] is the outcome unknown.
    ///
    /// Assumption (not in the spec): the session a v8 restore answers (`sessionId`) is the restore's
    /// own; it stays `Working` while the restore runs and is `Stopped` with a `result` when it ends.
    pub async fn wait_restore(
        &self,
        session_id: &str,
        interval: Duration,
        progress: &(dyn Fn(RestoreProgress) + Send + Sync),
    ) -> Result<RestoreOutcome, ApiError> {
        let mut delay = interval;
        let started = std::time::Instant::now();
        let mut events_done_at: Option<std::time::Instant> = None;
        loop {
            let events = self.all_session_events(session_id).await?;
            let restores: Vec<&SessionEvent> = events
                .iter()
                .filter(|e| e.event_type.as_ref() == Some(&EventType::Restore))
                .collect();
            let session = self.restore_session(session_id).await?;
            let stopped = session.state == SessionState::Stopped || session.end_time.is_some();
            let working = session.state == SessionState::Working && !stopped;
            let events_done = !restores.is_empty() && restores.iter().all(|e| e.status != EventStatus::Running);
            if events_done {
                events_done_at.get_or_insert_with(std::time::Instant::now);
            } else {
                events_done_at = None;
            }
            if restores.is_empty() && !stopped && !working && started.elapsed() > NO_RESTORE_EVENT_GRACE {
                // Neither a Restore event nor a session state this vex knows: it would be polled forever.
                return Err(ApiError::OutcomeUnknown(format!(
                    "session {session_id} shows no restore event and no state vex knows after {} s; look at \
                     its events",
                    NO_RESTORE_EVENT_GRACE.as_secs()
                )));
            }
            let stats = self.restore_statistics(session_id).await?;
            progress(RestoreProgress {
                total: stats.total_items_count,
                restored: stats.restored_items_count,
                failed: stats.failed_items_count,
                skipped: stats.skipped_items_count,
                last_event: events.last().and_then(|e| e.message.clone().or(e.title.clone())),
            });
            let lagged = events_done_at.is_some_and(|t| t.elapsed() >= SESSION_LAG);
            if stopped || lagged {
                let mut o = RestoreOutcome::from_statistics(stats, session_id.to_string());
                if stopped {
                    o.result = Some(session.result.clone()).filter(|r| *r != SessionResult::Other(String::new()));
                    o.end_time = session.end_time.clone();
                    if session.result == SessionResult::Failed
                        && let Some(why) = session.details.clone().or(session.reason.clone())
                        && !why.trim().is_empty()
                        && !o.exceptions.contains(&why)
                    {
                        o.exceptions.push(why);
                    }
                }
                return Ok(o);
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 3 / 2).min(Duration::from_secs(3));
        }
    }

    /// Exports items (or a folder) to a PST file at `dest`, streaming. Returns the bytes written.
    pub async fn export_pst(
        &self,
        restore_session_id: &str,
        mailbox_id: &str,
        scope: &RestoreScope,
        opts: &ExportOptions,
        dest: &Path,
        progress: &(dyn Fn(DownloadProgress) + Send + Sync),
    ) -> Result<u64, ApiError> {
        let path = scope.path(restore_session_id, mailbox_id, "exportToPst");
        self.download(&path, opts, dest, progress).await
    }

    /// Saves items as MSG (one item) or a ZIP of MSGs (several) at `dest`. Returns the bytes written.
    pub async fn save_msg(
        &self,
        restore_session_id: &str,
        mailbox_id: &str,
        item_ids: &[String],
        dest: &Path,
        progress: &(dyn Fn(DownloadProgress) + Send + Sync),
    ) -> Result<u64, ApiError> {
        let (path, body) = match item_ids {
            [one] => (
                mb_path(restore_session_id, mailbox_id, &format!("/items/{}/save", seg(one))),
                SaveOptions { items: None },
            ),
            many => (
                mb_path(restore_session_id, mailbox_id, "/items/Save"),
                SaveOptions {
                    items: Some(many.iter().map(|id| ItemId { id: id.clone() }).collect()),
                },
            ),
        };
        self.download(&path, &body, dest, progress).await
    }

    /// One item's MSG file in memory, for a preview (`items/{id}/save`): at most `cap` bytes. A larger
    /// file is refused ([`ApiError::Limit`]) as soon as its size shows (the announced length, or the
    /// first byte past the cap) and the rest is not read. It is never retried: each call adds a Save
    /// event to the restore session.
    pub async fn item_msg(
        &self,
        restore_session_id: &str,
        mailbox_id: &str,
        item_id: &str,
        cap: u64,
    ) -> Result<Vec<u8>, ApiError> {
        let path = mb_path(restore_session_id, mailbox_id, &format!("/items/{}/save", seg(item_id)));
        let body = match json_body(&SaveOptions { items: None })? {
            Body::Json(b) | Body::JsonForFile(b) | Body::JsonGated(b, _) => Body::JsonForFile(b),
            Body::None => Body::None,
        };
        let res = self.call(reqwest::Method::POST, &path, &[], body, Wait::Long).await?;
        let ctype = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if ctype.contains("json") || ctype.starts_with("text/") {
            return Err(ApiError::Decode(format!(
                "the server answered {ctype} instead of the message file"
            )));
        }
        // Sizes in the one size format (`38.1 MiB`), like every size on screen.
        let size = |n: u64| crate::text::human_size(i64::try_from(n).unwrap_or(i64::MAX));
        let too_large = |n: u64| {
            ApiError::Limit(format!(
                "the message file is {}, more than the {} a preview reads",
                if n > cap {
                    size(n)
                } else {
                    format!("over {}", size(cap))
                },
                size(cap)
            ))
        };
        if let Some(n) = res.content_length()
            && n > cap
        {
            return Err(too_large(n));
        }
        let stall = self.timeouts().stall;
        let mut stream = res.bytes_stream();
        let mut out = Vec::new();
        loop {
            let next = tokio::time::timeout(stall, stream.next()).await.map_err(|_| {
                ApiError::Timeout(format!(
                    "the message file stalled: no data for {}",
                    body::human_secs(stall)
                ))
            })?;
            let Some(chunk) = next else { break };
            let chunk = chunk.map_err(from_reqwest)?;
            if (out.len() + chunk.len()) as u64 > cap {
                return Err(too_large(cap + 1));
            }
            out.extend_from_slice(&chunk);
        }
        if out.is_empty() {
            return Err(ApiError::Decode("the server sent an empty file".into()));
        }
        Ok(out)
    }

    /// Streams a download to `dest` through `dest.part` (renamed at the end), so a broken, short or
    /// cancelled download never leaves a file that looks complete: the partial file is removed on every
    /// error and when the future is dropped.
    async fn download<B: serde::Serialize>(
        &self,
        path: &str,
        body: &B,
        dest: &Path,
        progress: &(dyn Fn(DownloadProgress) + Send + Sync),
    ) -> Result<u64, ApiError> {
        let tmp = part_path(dest);
        let cannot_write = |e: std::io::Error| ApiError::Config(format!("cannot write {}: {e}", tmp.display()));
        let mut guard = PartFile::new(tmp.clone());
        // 0600: an export or a saved message holds mailbox data (the rename keeps the mode; a stale part
        // file is replaced, not reused with its mode).
        let _ = tokio::fs::remove_file(&tmp).await;
        let mut opts = tokio::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        opts.mode(0o600);
        let mut file = opts.open(&tmp).await.map_err(cannot_write)?;
        let body = match json_body(body)? {
            Body::Json(b) | Body::JsonForFile(b) | Body::JsonGated(b, _) => Body::JsonForFile(b),
            Body::None => Body::None,
        };
        // An export may take long to start: no cap on the wait for its answer, the stall timeout between
        // its bytes.
        let res = self.call(reqwest::Method::POST, path, &[], body, Wait::Long).await?;
        // A 200 that carries an error page or a JSON error instead of the file.
        let ctype = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if ctype.contains("json") || ctype.starts_with("text/") {
            let bytes = body::read_error_body(res, self.timeouts().stall).await;
            let msg = serde_json::from_slice::<ExceptionInfo>(&bytes)
                .ok()
                .and_then(|e| e.message)
                .filter(|m| !m.trim().is_empty())
                .map(|m| format!(": {}", one_line(&m, 300)))
                .unwrap_or_default();
            return Err(ApiError::Decode(format!(
                "the server answered {ctype} instead of the file{msg}"
            )));
        }
        let total = res.content_length();
        let mut stream = res.bytes_stream();
        let mut written = 0u64;
        let stall = self.timeouts().stall;
        loop {
            let next = match tokio::time::timeout(stall, stream.next()).await {
                Ok(n) => n,
                Err(_) => {
                    return Err(ApiError::Timeout(format!(
                        "the download stalled: no data for {} (the stall timeout; see stall_timeout or \
                         --stall-timeout)",
                        body::human_secs(stall)
                    )));
                }
            };
            let Some(chunk) = next else { break };
            let chunk = chunk.map_err(from_reqwest)?;
            file.write_all(&chunk).await.map_err(cannot_write)?;
            written += chunk.len() as u64;
            progress(DownloadProgress { written, total });
        }
        file.flush().await.map_err(cannot_write)?;
        file.sync_all().await.map_err(cannot_write)?;
        drop(file);
        if let Some(t) = total
            && t != written
        {
            return Err(ApiError::Network(format!(
                "the download was cut short: {written} of {t} bytes"
            )));
        }
        if written == 0 {
            return Err(ApiError::Decode("the server sent an empty file".into()));
        }
        tokio::fs::rename(&tmp, dest)
            .await
            .map_err(|e| ApiError::Config(format!("cannot move the download to {}: {e}", dest.display())))?;
        guard.disarm();
        Ok(written)
    }

    /// Sends items to the mailbox owner's default address.
    pub async fn send_to_default(
        &self,
        restore_session_id: &str,
        mailbox_id: &str,
        item_ids: &[String],
    ) -> Result<(), ApiError> {
        let body = SaveOptions {
            items: Some(item_ids.iter().map(|id| ItemId { id: id.clone() }).collect()),
        };
        self.post(
            &mb_path(restore_session_id, mailbox_id, "/items/sendToDefaultAddress"),
            &[],
            &body,
            Wait::Long,
        )
        .await
        .map(|_| ())
    }

    /// Sends items to another address.
    pub async fn send_to_different(
        &self,
        restore_session_id: &str,
        mailbox_id: &str,
        opts: &SendToDifferentAddressOptions,
    ) -> Result<(), ApiError> {
        self.post(
            &mb_path(restore_session_id, mailbox_id, "/items/sendToDifferentAddress"),
            &[],
            opts,
            Wait::Long,
        )
        .await
        .map(|_| ())
    }
}
