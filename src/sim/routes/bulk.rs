//! `POST /vN/RestoreSessions/{restoreSessionId}/organization/mailboxes/restore` (v6, v7, v8): the bulk
//! restore of whole mailboxes to their original location, bound as strictly as the real (ASP.NET, Json.NET)
//! server binds `RestBulkRestoreOptions`: property names in any case, `mailboxes[i].id` a GUID,
//! `recentItemRestorePeriod` an int32, the booleans booleans (or the strings Json.NET converts).

use super::*;
use crate::api::models::{
    BulkMailbox, BulkMailboxRestoreStatistics, BulkRestoreRequest, BulkRestoreStatistics, CommonRestoreStatistics,
    RestoreCredentials,
};
use crate::sim::store::{BulkAnswer, BulkSpec};

/// The body's boolean properties.
const FLAGS: &[&str] = &[
    "changedItems",
    "deletedItems",
    "markRestoredAsUnread",
    "skipUnresolved",
    "excludeDrafts",
    "excludeDeletedItems",
    "excludeInPlaceHoldItems",
    "excludeLitigationHoldItems",
];

/// Json.NET's conversions for a `bool?`: a boolean, an integer, "true"/"false" in any case, or null.
fn check_bool(v: &serde_json::Value, path: &str) -> Result<(), HttpError> {
    match v {
        serde_json::Value::Null | serde_json::Value::Bool(_) => Ok(()),
        serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => Ok(()),
        serde_json::Value::String(s)
            if s.trim().eq_ignore_ascii_case("true") || s.trim().eq_ignore_ascii_case("false") =>
        {
            Ok(())
        }
        other => Err(HttpError::bad_request(format!(
            "Could not convert {other} to boolean. Path '{path}'."
        ))),
    }
}

/// An `int?` (int32): an integer in range or a string holding one, or null.
fn check_int32(v: &serde_json::Value, path: &str) -> Result<(), HttpError> {
    let fits = |x: i64| i32::try_from(x).is_ok();
    match v {
        serde_json::Value::Null => Ok(()),
        serde_json::Value::Number(n) if n.as_i64().is_some_and(fits) => Ok(()),
        serde_json::Value::String(s) if s.trim().parse::<i32>().is_ok() => Ok(()),
        other => Err(HttpError::bad_request(format!(
            "Could not convert {other} to Int32. Path '{path}'."
        ))),
    }
}

/// The mailboxes of the body, each a GUID of a mailbox of the session's organization, none twice.
///
/// Assumptions (the spec marks nothing required): a request with no mailboxes is refused (400) rather than
/// restoring nothing; a mailbox the organization does not have, or one listed twice, refuses the whole
/// request before anything is restored.
fn mailboxes(store: &Store, s: &SessionCtx, v: &serde_json::Value) -> Result<Vec<MailboxInfo>, HttpError> {
    let list = match v.get("mailboxes") {
        None | Some(serde_json::Value::Null) => &Vec::new(),
        Some(serde_json::Value::Array(a)) => a,
        Some(other) => {
            return Err(HttpError::bad_request(format!(
                "Could not convert {other} to a list of mailboxes. Path 'mailboxes'."
            )));
        }
    };
    if list.is_empty() {
        return Err(HttpError::bad_request(
            "No mailboxes to restore: 'mailboxes' must list at least one mailbox.",
        ));
    }
    let mut out: Vec<MailboxInfo> = Vec::new();
    for (i, m) in list.iter().enumerate() {
        let path = format!("mailboxes[{i}].id");
        let raw = match m.get("id") {
            Some(serde_json::Value::String(s)) => s.clone(),
            None | Some(serde_json::Value::Null) => {
                return Err(HttpError::bad_request(format!(
                    "Error converting value {{null}} to type 'System.Guid'. Path '{path}'."
                )));
            }
            Some(other) => other.to_string(),
        };
        let id = Uuid::parse_str(raw.trim()).map_err(|_| {
            HttpError::bad_request(format!(
                "Error converting value \"{raw}\" to type 'System.Guid'. Path '{path}'."
            ))
        })?;
        for (name, want) in [("isArchive", "bool"), ("isPublic", "bool")] {
            if let Some(x) = m.get(name) {
                debug_assert_eq!(want, "bool");
                check_bool(x, &format!("mailboxes[{i}].{name}"))?;
            }
        }
        let found = store
            .data()
            .mailbox_by_id(&id)
            .filter(|x| x.key.org == s.org)
            .cloned()
            .ok_or_else(|| HttpError::bad_request(format!("Mailbox '{raw}' was not found in the restore session.")))?;
        if out.iter().any(|x| x.id == found.id) {
            return Err(HttpError::bad_request(format!(
                "Mailbox '{raw}' is listed more than once."
            )));
        }
        out.push(found);
    }
    Ok(out)
}

pub(super) fn bulk_restore(store: &Store, c: &Ctx) -> Res {
    let s = session_ctx(store, c)?;
    // Bound as a JSON value first (names canonical, top-level GUIDs checked), then checked as Json.NET
    // would convert each property, then read as the typed body.
    let v: serde_json::Value = body(c)?;
    if !v.is_object() {
        return Err(HttpError::bad_request(
            "The request body is required: RestBulkRestoreOptions.",
        ));
    }
    for f in FLAGS {
        if let Some(x) = v.get(*f) {
            check_bool(x, f)?;
        }
    }
    if let Some(x) = v.get("recentItemRestorePeriod") {
        check_int32(x, "recentItemRestorePeriod")?;
    }
    let list = mailboxes(store, &s, &v)?;
    let r: BulkRestoreRequest = serde_json::from_value(v)
        .map_err(|e| HttpError::bad_request(format!("The request body is not valid: {e}.")))?;
    let b = |x: Option<bool>| x.unwrap_or(false);
    // Assumption: a flag that is absent or null is false, as in restoreTo.
    let flags = RestoreFlags {
        changed_items: b(r.changed_items),
        deleted_items: b(r.deleted_items),
        mark_unread: b(r.mark_restored_as_unread),
        exclude_drafts: b(r.exclude_drafts),
        exclude_deleted_items: b(r.exclude_deleted_items),
        exclude_in_place_hold: b(r.exclude_in_place_hold_items),
        exclude_litigation_hold: b(r.exclude_litigation_hold_items),
    };
    // The bulk body names its Microsoft 365 account `office365UserName` / `office365UserPassword`.
    let credentials = RestoreCredentials {
        user_name: r.office365_user_name.clone(),
        user_password: r.office365_user_password.clone(),
        user_code: r.user_code.clone(),
        application_id: r.application_id.clone(),
        application_certificate: r.application_certificate.clone(),
        application_certificate_password: r.application_certificate_password.clone(),
        impersonation_account_name: r.impersonation_account_name.clone(),
    };
    let spec = BulkSpec {
        api_version: c.v,
        session_id: s.id,
        mailboxes: list.iter().map(|m| m.key).collect(),
        flags,
        credentials,
        user: c.user.clone(),
        client_host: c.client_host(),
    };
    let answer = store.restore_bulk(spec)?;
    tracing::info!(version = c.v, mailboxes = list.len(), "bulk restore accepted");
    Ok(match answer {
        BulkAnswer::Sync(done) => {
            let mut total = crate::api::models::ItemsRestoreStatistics::default();
            let details: Vec<BulkMailboxRestoreStatistics> = done
                .into_iter()
                .map(|(m, st)| {
                    total.created_items_count += st.created_items_count;
                    total.merged_items_count += st.merged_items_count;
                    total.skipped_items_count += st.skipped_items_count;
                    total.failed_items_count += st.failed_items_count;
                    let status = status_of(&st);
                    BulkMailboxRestoreStatistics {
                        mailbox: Some(BulkMailbox {
                            id: Some(m.id.to_string()),
                            name: Some(m.name.clone()),
                            email: Some(m.email.clone()),
                            is_archive: Some(m.is_archive()),
                            is_public: Some(m.is_public()),
                        }),
                        status: Some(status.into()),
                        error: st.exceptions.first().cloned(),
                        details: Some(CommonRestoreStatistics {
                            created_items_count: Some(st.created_items_count),
                            merged_items_count: Some(st.merged_items_count),
                            failed_items_count: Some(st.failed_items_count),
                            skipped_items_count: Some(st.skipped_items_count),
                            cannot_continue_error: st.cannot_continue_error.clone(),
                            warnings: st.warnings.clone(),
                        }),
                    }
                })
                .collect();
            let status = if details.iter().all(|d| d.status.as_deref() == Some("Failed")) {
                "Failed"
            } else if details.iter().any(|d| d.status.as_deref() != Some("Success")) {
                "Warning"
            } else {
                "Success"
            };
            let mut resp = ok(&BulkRestoreStatistics {
                status: Some(status.into()),
                error: None,
                details,
            });
            resp.extensions_mut().insert(RestoreDelay(store.restore_time(&total)));
            resp
        }
        BulkAnswer::Async(id) => ok(&AsyncRestoreResponse {
            session_id: id.to_string(),
        }),
    })
}

/// `Failed` when nothing but failures, `Warning` with some failures or warnings, else `Success`.
fn status_of(st: &crate::api::models::ItemsRestoreStatistics) -> &'static str {
    let good = st.created_items_count + st.merged_items_count + st.skipped_items_count;
    if st.failed_items_count > 0 && good == 0 {
        "Failed"
    } else if st.failed_items_count > 0 || !st.warnings.is_empty() {
        "Warning"
    } else {
        "Success"
    }
}
