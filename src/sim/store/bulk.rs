//! The bulk restore: `POST RestoreSessions/{id}/organization/mailboxes/restore` (`RestBulkRestoreOptions`),
//! several whole mailboxes to their original location in one request.
//!
//! Each mailbox is restored as `mailboxes/{id}/restore` restores one, except that the flags are the
//! request's (the bulk body carries them; the single-mailbox original-location body has none). Each leaves
//! a record of its own (kind `original`, `bulk` naming the request) and a Restore event of its own in the
//! explore session (source and target: the mailbox's address), so the request's record and the session's
//! events say per mailbox what was applied.
//!
//! Assumptions (the specs say nothing of them): the server checks the whole request (session, credentials,
//! every mailbox) before it restores anything, and restores each mailbox once per request; on v8 the
//! restore's own session has one Restore event and one `BulkMailbox` statistics entry per mailbox.

use super::*;

/// A bulk restore request as the route parsed it (mailboxes already found in the session's organization).
#[derive(Clone, Debug)]
pub(crate) struct BulkSpec {
    pub api_version: u8,
    pub session_id: Uuid,
    pub mailboxes: Vec<MailboxKey>,
    pub flags: RestoreFlags,
    pub credentials: RestoreCredentials,
    pub user: String,
    pub client_host: Option<String>,
}

/// How the bulk restore answered.
#[derive(Clone, Debug)]
pub(crate) enum BulkAnswer {
    /// v6/v7: each mailbox with its counts, when all are done.
    Sync(Vec<(MailboxInfo, ItemsRestoreStatistics)>),
    /// v8: the id of the restore's own session.
    Async(Uuid),
}

impl Store {
    /// Runs a bulk restore: validates it, restores each mailbox (one record and one event each), answers
    /// per version.
    pub(crate) fn restore_bulk(&self, spec: BulkSpec) -> Result<BulkAnswer, HttpError> {
        let data = self.data.clone();
        let mut g = self.lock();
        let st: &mut StoreState = &mut g;
        let show_deleted = working_explore(st, spec.session_id)?;
        let mode = Self::credential_mode(st, &spec.credentials)?;
        let mailboxes: Vec<MailboxInfo> = spec
            .mailboxes
            .iter()
            .map(|k| {
                data.mailbox(*k)
                    .cloned()
                    .ok_or_else(|| HttpError::not_found("Mailbox not found."))
            })
            .collect::<Result<_, _>>()?;
        let bulk_id = Uuid::new_v4();
        let sync = spec.api_version < 8;
        let mut parts: Vec<(MailboxInfo, ItemsRestoreStatistics, usize, usize, EventRec)> = Vec::new();
        for m in mailboxes {
            let email = m.email.to_lowercase();
            let mut tally = Tally::default();
            restore_mailbox(&data, st, m.key, show_deleted, &spec.flags, (&email, None), &mut tally);
            let stats = tally.into_stats();
            st.restores.push(RestoreRecord {
                id: Uuid::new_v4().to_string(),
                api_version: spec.api_version,
                restore_session_id: spec.session_id.to_string(),
                source_mailbox_id: m.id.to_string(),
                source_folder_id: None,
                kind: "original",
                target_mailbox: None,
                target_folder: None,
                item_ids: Vec::new(),
                flags: spec.flags.clone(),
                credential_mode: format!("{mode:?}"),
                outcome: sync.then(|| stats.clone()),
                office_region: None,
                office_organization_name: None,
                bulk: Some(bulk_id.to_string()),
            });
            let record = st.restores.len() - 1;
            let what = format!("mailbox '{}'", m.name);
            let title = format!("Restore of {what} to {}", m.email);
            let mut ev = if sync {
                let (_, status) = result_of(&stats);
                EventRec::new(EventType::Restore, status, title, outcome_message(&stats))
            } else {
                EventRec::new(
                    EventType::Restore,
                    EventStatus::Running,
                    title,
                    format!("Restoring {what}..."),
                )
            };
            ev.item_name = Some(m.name.clone());
            ev.item_type = Some("Mailbox".into());
            ev.source = Some(m.email.clone());
            ev.target = Some(m.email.clone());
            let s = st
                .sessions
                .iter_mut()
                .find(|s| s.id == spec.session_id)
                .ok_or_else(|| session_not_found(spec.session_id))?;
            s.events.push(ev.clone());
            s.etag += 1;
            let parent = s.events.len() - 1;
            parts.push((m, stats, record, parent, ev));
        }
        if sync {
            return Ok(BulkAnswer::Sync(parts.into_iter().map(|(m, s, ..)| (m, s)).collect()));
        }

        let mut events = Vec::new();
        let mut async_parts = Vec::new();
        for (m, stats, record, parent, mut ev) in parts {
            ev.id = Uuid::new_v4();
            events.push(ev);
            async_parts.push(AsyncPart {
                stats,
                record,
                target: m,
                parent_event: (spec.session_id, parent),
            });
        }
        let org = spec.mailboxes.first().map(|k| k.org).unwrap_or_default();
        let n = async_parts.len();
        let mut restore = AsyncRestore {
            started: Instant::now(),
            duration: Duration::ZERO,
            parts: async_parts,
            done: false,
        };
        let run_for = self.cfg.v8_restore_duration + self.restore_time(&restore.total());
        restore.duration = run_for;
        st.sessions.push(Session {
            id: bulk_id,
            name: format!("Restore of {n} mailboxes"),
            org,
            kind: SessionKind::Restore(Box::new(restore)),
            state: SessionState::Working,
            result: SessionResult::Success,
            creation: OffsetDateTime::now_utc(),
            end: None,
            initiated_by: spec.user.clone(),
            client_host: spec.client_host.clone(),
            details: None,
            reason: None,
            events,
            etag: 1,
        });
        drop(g);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let store = self.clone();
            rt.spawn(async move {
                tokio::time::sleep(run_for).await;
                // Locking settles the restore.
                drop(store.lock());
            });
        }
        Ok(BulkAnswer::Async(bulk_id))
    }
}
