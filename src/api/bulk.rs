//! `POST RestoreSessions/{id}/organization/mailboxes/restore`: several whole mailboxes to their original
//! location in one request (`RestBulkRestoreOptions`, see [`super::models::bulk`]). Like every restore it
//! is never resent here: an answer that is lost or unreadable is [`ApiError::OutcomeUnknown`].

use super::client::{Client, json_body, seg};
use super::error::ApiError;
use super::models::{BulkOutcome, BulkRestoreRequest, BulkRestoreStatistics};
use super::restore::{Answer, RestoreHooks, RestoreProgress, follow_failed, unreadable};
use std::time::Duration;

/// The path of the bulk restore (relative to the API's base, like every call's).
pub fn bulk_path(restore_session_id: &str) -> String {
    format!(
        "RestoreSessions/{}/organization/mailboxes/restore",
        seg(restore_session_id)
    )
}

/// True when `bytes` is a JSON object with a `status` or a `details` that is not null: an answer that says
/// something (an empty object is no answer).
fn says_something(bytes: &[u8]) -> bool {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(m)) => ["status", "details"]
            .iter()
            .any(|k| m.get(*k).is_some_and(|v| !v.is_null())),
        _ => false,
    }
}

impl Client {
    /// Restores the mailboxes of `req` to their original location in one request. v6/v7: the server
    /// answers when it is done, with each mailbox's counts. v8: it answers the restore's own session id
    /// (told to `hooks.accepted` at once); the session is followed to its end and each mailbox's counts
    /// are its `BulkMailbox` statistics entry.
    pub async fn restore_mailboxes(
        &self,
        restore_session_id: &str,
        req: &BulkRestoreRequest,
        progress: &(dyn Fn(RestoreProgress) + Send + Sync),
        hooks: &RestoreHooks,
    ) -> Result<BulkOutcome, ApiError> {
        const WHAT: &str = "the bulk restore";
        match self
            .send_restore(&bulk_path(restore_session_id), json_body(req)?, hooks, WHAT)
            .await?
        {
            Answer::Accepted(sid) => self
                .wait_bulk(&sid, progress)
                .await
                .map_err(|e| follow_failed(WHAT, &sid, e)),
            Answer::Done(bytes) => {
                if !says_something(&bytes) {
                    return Err(unreadable(WHAT, &"it holds neither a status nor per-mailbox details"));
                }
                let s: BulkRestoreStatistics = serde_json::from_slice(&bytes).map_err(|e| unreadable(WHAT, &e))?;
                Ok(s.into())
            }
        }
    }

    /// v8: follows a bulk restore's own session to its end ([`Client::wait_restore`]), then reads its
    /// statistics once more for the per-mailbox entries.
    pub async fn wait_bulk(
        &self,
        session_id: &str,
        progress: &(dyn Fn(RestoreProgress) + Send + Sync),
    ) -> Result<BulkOutcome, ApiError> {
        let total = self
            .wait_restore(session_id, Duration::from_millis(250), progress)
            .await?;
        let stats = self.restore_statistics(session_id).await?;
        let mut out = BulkOutcome::from_statistics(&stats, session_id);
        out.status = total
            .result
            .as_ref()
            .map(|r| r.as_str().to_string())
            .filter(|r| !r.is_empty());
        if out.error.is_none() {
            out.error = total.exceptions.first().cloned();
        }
        Ok(out)
    }
}
