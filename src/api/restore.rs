//! restoreTo / restore / export / save / send. One [`RestoreOutcome`] for v6/v7 (synchronous counts) and
//! v8 (an async session polled until its Restore event leaves Running). Restores are never resent.

use super::client::{Client, mb_path, seg};
use super::error::{ApiError, from_reqwest};
use super::models::*;
use futures_util::StreamExt;
use std::path::Path;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

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

impl Client {
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
        let v = self.version().ok_or_else(|| ApiError::Auth("not logged in".into()))?;
        let res = self.post(path, &[], body, self.timeouts().write).await?;
        let bytes = res.bytes().await.map_err(|e| {
            ApiError::OutcomeUnknown(format!(
                "the restore was sent but its answer was lost ({})",
                from_reqwest(e)
            ))
        })?;
        if v.async_restore() {
            let a: AsyncRestoreResponse = serde_json::from_slice(&bytes).map_err(|e| {
                ApiError::OutcomeUnknown(format!("the restore was accepted but its answer is unreadable: {e}"))
            })?;
            self.wait_restore(&a.session_id, Duration::from_millis(250), progress)
                .await
        } else {
            let s: ItemsRestoreStatistics = serde_json::from_slice(&bytes)
                .map_err(|e| ApiError::OutcomeUnknown(format!("the restore ran but its answer is unreadable: {e}")))?;
            Ok(s.into())
        }
    }

    /// v8: `GET RestoreSessions/{id}/Statistics`.
    pub async fn restore_statistics(&self, restore_session_id: &str) -> Result<RestoreSessionStatistics, ApiError> {
        self.get_json(&format!("RestoreSessions/{}/Statistics", seg(restore_session_id)), &[])
            .await
    }

    /// v8: polls a restore's session until its Restore event(s) leave Running, then reads the statistics.
    /// Statistics have no "done" flag: completion comes from the events.
    pub async fn wait_restore(
        &self,
        session_id: &str,
        interval: Duration,
        progress: &(dyn Fn(RestoreProgress) + Send + Sync),
    ) -> Result<RestoreOutcome, ApiError> {
        let mut delay = interval;
        loop {
            let events = self.all_session_events(session_id).await?;
            let restores: Vec<&SessionEvent> = events
                .iter()
                .filter(|e| e.event_type.as_ref() == Some(&EventType::Restore))
                .collect();
            let running = restores.is_empty() || restores.iter().any(|e| e.status == EventStatus::Running);
            let stats = self.restore_statistics(session_id).await?;
            progress(RestoreProgress {
                total: stats.total_items_count,
                restored: stats.restored_items_count,
                failed: stats.failed_items_count,
                skipped: stats.skipped_items_count,
                last_event: events.last().and_then(|e| e.message.clone().or(e.title.clone())),
            });
            if !running {
                return Ok(RestoreOutcome::from_statistics(stats, session_id.to_string()));
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

    async fn download<B: serde::Serialize>(
        &self,
        path: &str,
        body: &B,
        dest: &Path,
        progress: &(dyn Fn(DownloadProgress) + Send + Sync),
    ) -> Result<u64, ApiError> {
        // Write to a temporary name and rename at the end: a broken download never looks complete.
        let tmp = dest.with_extension("part");
        let mut file = tokio::fs::File::create(&tmp)
            .await
            .map_err(|e| ApiError::Config(format!("cannot write {}: {e}", tmp.display())))?;
        let res = self.post(path, &[], body, self.timeouts().write).await?;
        let total = res.content_length();
        let mut stream = res.bytes_stream();
        let mut written = 0u64;
        let stall = self.timeouts().download_stall;
        loop {
            let next = match tokio::time::timeout(stall, stream.next()).await {
                Ok(n) => n,
                Err(_) => {
                    let _ = tokio::fs::remove_file(&tmp).await;
                    return Err(ApiError::Timeout(format!(
                        "the download stalled for {}s",
                        stall.as_secs()
                    )));
                }
            };
            let Some(chunk) = next else { break };
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    let _ = tokio::fs::remove_file(&tmp).await;
                    return Err(from_reqwest(e));
                }
            };
            file.write_all(&chunk)
                .await
                .map_err(|e| ApiError::Config(format!("cannot write {}: {e}", tmp.display())))?;
            written += chunk.len() as u64;
            progress(DownloadProgress { written, total });
        }
        file.flush()
            .await
            .map_err(|e| ApiError::Config(format!("cannot write {}: {e}", tmp.display())))?;
        drop(file);
        if let Some(t) = total
            && t != written
        {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(ApiError::Network(format!(
                "the download was cut short: {written} of {t} bytes"
            )));
        }
        tokio::fs::rename(&tmp, dest)
            .await
            .map_err(|e| ApiError::Config(format!("cannot move the download to {}: {e}", dest.display())))?;
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
            self.timeouts().write,
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
            self.timeouts().write,
        )
        .await
        .map(|_| ())
    }
}
