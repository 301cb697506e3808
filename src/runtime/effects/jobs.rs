//! The jobs' calls: restores, downloads (export to PST, save as MSG) and sends, with their audit
//! records (the one runner, [`super::Runner::run`], calls these). Writes are never aborted and never sent again: not when the operator
//! stops waiting, not when the session expires meanwhile (unlike reads, which the login screen replays).

use crate::api::models::{
    ExportOptions, ItemId, RestoreOriginalRequest, RestoreOutcome, SendToDifferentAddressOptions,
};
use crate::api::{ApiError, Client, DownloadProgress, RestoreProgress, RestoreScope};
use crate::app::jobs::AuditTicket;
use crate::app::panes::transfer_dialog::TransferKind;
use crate::app::request::{Saved, Written};
use crate::audit::{AuditError, AuditLog, AuditRecord, Pending, local_user, now_rfc3339};
use crate::restore_plan::RestorePlan;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Progress messages of a download are sent at most every this many bytes (and at the end).
const PROGRESS_STEP: u64 = 256 * 1024;

/// What a job works on.
pub(super) struct Target {
    pub session_id: String,
    pub mailbox_id: String,
    pub scope: RestoreScope,
}

/// An export to PST or a save as MSG.
pub(super) struct Download {
    pub kind: TransferKind,
    pub item_ids: Vec<String>,
    pub dest: PathBuf,
    /// The file made inside `dest` when it is a directory (the dialog's default name).
    pub file_name: String,
    pub overwrite: bool,
}

/// `~/x` → `$HOME/x`.
fn expand_home(p: &Path) -> PathBuf {
    if let Ok(rest) = p.strip_prefix("~")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    p.to_path_buf()
}

/// Where an export or save writes, checked before the download starts: `~` expanded, a directory means
/// `file_name` inside it, the path made absolute (the results say exactly where the file is). Errors:
/// the parent directory is missing or not a directory, or the file exists and `overwrite` is off.
async fn destination(dest: &Path, file_name: &str, overwrite: bool) -> Result<PathBuf, (PathBuf, String)> {
    let mut p = expand_home(dest);
    if tokio::fs::metadata(&p).await.is_ok_and(|m| m.is_dir()) {
        p = p.join(file_name);
    }
    let p = std::path::absolute(&p).unwrap_or(p);
    if let Some(parent) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
        match tokio::fs::metadata(parent).await {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err((p.clone(), format!("{} is not a directory", parent.display()))),
            Err(e) => return Err((p.clone(), format!("{}: {e}", parent.display()))),
        }
    }
    match tokio::fs::metadata(&p).await {
        Ok(m) if m.is_dir() => Err((p.clone(), format!("{} is a directory", p.display()))),
        Ok(_) if !overwrite => Err((
            p.clone(),
            format!("{} exists: choose another file, or tick \"overwrite\"", p.display()),
        )),
        _ => Ok(p),
    }
}

/// `restoreTo` (or `restore` to the original location), with its audit record.
pub(super) async fn restore(
    client: &Client,
    t: Target,
    plan: RestorePlan,
    original: bool,
    audit: Option<Box<AuditTicket>>,
    progress: &(dyn Fn(RestoreProgress) + Send + Sync),
) -> Written<RestoreOutcome> {
    // Built here: it reads the certificate file, and the secrets live only as long as the call.
    let req = match plan.to_request() {
        Ok(r) => r,
        Err(e) => {
            return Written {
                result: Err(ApiError::Config(e.to_string())),
                audit_error: None,
            };
        }
    };
    drop(plan);
    // The `sent` line goes to the audit log before the request goes out; a restore that cannot be
    // recorded is not sent.
    let pending = match audit {
        Some(t) => match begin(*t).await {
            Ok(p) => Some(p),
            Err(e) => {
                return Written {
                    result: Err(ApiError::Config(format!("not sent: {e}"))),
                    audit_error: Some(e),
                };
            }
        },
        None => None,
    };
    let result = if original {
        let body = RestoreOriginalRequest {
            credentials: req.credentials.clone(),
            items: req.items.clone(),
        };
        client
            .restore_original(&t.session_id, &t.mailbox_id, &t.scope, &body, progress)
            .await
    } else {
        client
            .restore_to(&t.session_id, &t.mailbox_id, &t.scope, &req, progress)
            .await
    };
    drop(req);
    let audit_error = match pending {
        Some(p) => {
            let mut done = p.record().clone();
            done.message = None;
            restore_record(&mut done, &result);
            complete(p, move |r| {
                let time = std::mem::take(&mut r.time);
                *r = done;
                r.time = time;
            })
            .await
            .err()
        }
        None => None,
    };
    Written { result, audit_error }
}

/// Export to PST or save as MSG, with its audit record. Progress is reported at most every
/// [`PROGRESS_STEP`] bytes (and at the end).
pub(super) async fn download(
    client: &Client,
    t: Target,
    d: Download,
    audit: Option<Box<AuditTicket>>,
    progress: &(dyn Fn(DownloadProgress) + Send + Sync),
) -> Written<Saved> {
    // The destination is checked before anything is asked of the server.
    let dest = match destination(&d.dest, &d.file_name, d.overwrite).await {
        Ok(p) => p,
        Err((_, m)) => {
            return Written {
                result: Err(ApiError::Config(m)),
                audit_error: None,
            };
        }
    };
    let last = AtomicU64::new(0);
    let progress = move |p: DownloadProgress| {
        let before = last.load(Ordering::Relaxed);
        if p.written >= before + PROGRESS_STEP || p.total.is_some_and(|t| p.written >= t) {
            last.store(p.written, Ordering::Relaxed);
            progress(p);
        }
    };
    let (session_id, mailbox_id, item_ids) = (&t.session_id, &t.mailbox_id, &d.item_ids);
    let result = match d.kind {
        TransferKind::Msg => {
            client
                .save_msg(session_id, mailbox_id, item_ids, &dest, &progress)
                .await
        }
        _ => {
            let opts = ExportOptions {
                items: matches!(t.scope, RestoreScope::Items)
                    .then(|| item_ids.iter().map(|id| ItemId { id: id.clone() }).collect()),
                ..Default::default()
            };
            client
                .export_pst(session_id, mailbox_id, &t.scope, &opts, &dest, &progress)
                .await
        }
    };
    let audit_error = match audit {
        Some(a) => append(*a, |r| match &result {
            Ok(n) => {
                r.outcome = "ok".into();
                r.message = Some(format!("wrote {n} bytes to {}", dest.display()));
            }
            Err(e) => {
                r.outcome = "failed".into();
                r.message = Some(e.to_string());
            }
        })
        .await
        .err(),
        None => None,
    };
    Written {
        result: result.map(|bytes| Saved { path: dest, bytes }),
        audit_error,
    }
}

/// Sends items by mail (to the mailbox's own address, or `different`), with its audit record.
pub(super) async fn send(
    client: &Client,
    session_id: &str,
    mailbox_id: &str,
    item_ids: &[String],
    different: Option<Box<SendToDifferentAddressOptions>>,
    audit: Option<Box<AuditTicket>>,
) -> Written<()> {
    let result = match &different {
        None => client.send_to_default(session_id, mailbox_id, item_ids).await,
        Some(o) => client.send_to_different(session_id, mailbox_id, o).await,
    };
    let audit_error = match audit {
        Some(a) => append(*a, |r| match &result {
            Ok(()) => r.outcome = "ok".into(),
            Err(e) => {
                r.outcome = if matches!(e, ApiError::OutcomeUnknown(_)) {
                    "unknown".into()
                } else {
                    "failed".into()
                };
                r.message = Some(e.to_string());
            }
        })
        .await
        .err(),
        None => None,
    };
    Written { result, audit_error }
}

/// The outcome and counts of a restore in its audit record.
fn restore_record(r: &mut AuditRecord, result: &Result<RestoreOutcome, ApiError>) {
    match result {
        Ok(o) => {
            let good = o.created + o.merged + o.skipped;
            r.outcome = if o.failed == 0 && o.cannot_continue_error.is_none() {
                "ok".into()
            } else if good > 0 {
                "partial".into()
            } else {
                "failed".into()
            };
            r.created = Some(o.created);
            r.merged = Some(o.merged);
            r.skipped = Some(o.skipped);
            r.failed = Some(o.failed);
            let mut notes = Vec::new();
            if let Some(s) = &o.session_id {
                notes.push(format!("restore session {s}"));
            }
            if let Some(e) = &o.cannot_continue_error {
                notes.push(e.clone());
            }
            if !o.warnings.is_empty() {
                notes.push(format!("{} warning(s)", o.warnings.len()));
            }
            if !o.exceptions.is_empty() {
                notes.push(format!("{} exception(s)", o.exceptions.len()));
            }
            r.message = (!notes.is_empty()).then(|| notes.join("; "));
        }
        Err(ApiError::OutcomeUnknown(m)) => {
            r.outcome = "unknown".into();
            r.message = Some(m.clone());
        }
        Err(e) => {
            r.outcome = "failed".into();
            r.message = Some(e.to_string());
        }
    }
}

/// Writes a restore's `sent` line (see [`crate::audit::begin`]), off the async threads.
async fn begin(t: AuditTicket) -> Result<Pending, AuditError> {
    let AuditTicket { path, record } = t;
    tokio::task::spawn_blocking(move || crate::audit::begin(path, record))
        .await
        .map_err(|e| AuditError::Stopped(e.to_string()))?
}

/// Writes a restore's completion line, off the async threads.
async fn complete(p: Pending, fill: impl FnOnce(&mut AuditRecord) + Send + 'static) -> Result<(), AuditError> {
    tokio::task::spawn_blocking(move || p.complete(fill))
        .await
        .map_err(|e| AuditError::Stopped(e.to_string()))?
}

/// Completes the record (time, local user, outcome) and appends it, off the async threads.
async fn append(t: AuditTicket, fill: impl FnOnce(&mut AuditRecord)) -> Result<(), AuditError> {
    let AuditTicket { path, mut record } = t;
    record.time = now_rfc3339();
    record.local_user = local_user();
    fill(&mut record);
    tokio::task::spawn_blocking(move || AuditLog::new(path).append(&record))
        .await
        .map_err(|e| AuditError::Stopped(e.to_string()))?
}
