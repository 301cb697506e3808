//! Runs the jobs' effects: restores, device codes, events, target folders, downloads and sends, and
//! appends their audit records. Writes are never aborted and never sent again: not when the operator
//! stops waiting, not when the session expires meanwhile (unlike reads, which the login screen replays).

use super::App;
use crate::api::models::RestoreOutcome;
use crate::api::models::{ExportOptions, ItemId, RestoreOriginalRequest};
use crate::api::{ApiError, Client, DownloadProgress, FolderParent, RestoreProgress, RestoreScope};
use crate::app::jobs::{AuditTicket, JobEffect, JobLoaded};
use crate::app::panes::transfer::TransferKind;
use crate::app::{Effect, Loaded, Msg, Slot};
use crate::audit::{AuditLog, AuditRecord, Pending, local_user, now_rfc3339};
use futures_util::FutureExt;
use ratatui::backend::Backend;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc::UnboundedSender;

/// Progress messages of a download are sent at most every this many bytes (and at the end).
const PROGRESS_STEP: u64 = 256 * 1024;

/// Starts a job's task. Reads of the same slot supersede each other; writes run to their end.
pub(super) fn spawn<B: Backend>(app: &mut App<B>, job: JobEffect) {
    let slot = job.slot().map(Slot::Job);
    let client = app.client.clone();
    let tx = app.tx.clone();
    let handle = tokio::spawn(async move {
        let fallback = job.clone();
        let loaded = match AssertUnwindSafe(run(client.clone(), job, tx.clone()))
            .catch_unwind()
            .await
        {
            Ok(l) => l,
            Err(_) => JobLoaded::failed(&fallback, ApiError::Config("internal error (see the log)".into())),
        };
        // The session is gone (the server refused to renew it): the login screen comes back. A read waits
        // for it and is sent again; a write's failure is reported as it is (it is never resent).
        if !client.is_logged_in().await {
            let read = fallback.slot().is_some();
            if !read {
                let _ = tx.send(Msg::Loaded(Loaded::Job(loaded)));
            }
            let _ = tx.send(Msg::SessionExpired(Effect::Job(Box::new(fallback))));
            return;
        }
        let _ = tx.send(Msg::Loaded(Loaded::Job(loaded)));
    });
    if let Some(slot) = slot {
        app.tasks.retain(|_, (_, h)| !h.is_finished());
        if let Some((_, old)) = app.tasks.insert(slot, (None, handle.abort_handle())) {
            old.abort();
        }
    }
}

fn progress_msg(l: JobLoaded) -> Msg {
    Msg::Loaded(Loaded::Job(l))
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

async fn run(client: Client, job: JobEffect, tx: UnboundedSender<Msg>) -> JobLoaded {
    match job {
        JobEffect::Restore {
            generation,
            session_id,
            mailbox_id,
            scope,
            plan,
            original,
            audit,
        } => {
            // Built here: it reads the certificate file, and the secrets live only as long as the call.
            let req = match plan.to_request() {
                Ok(r) => r,
                Err(m) => {
                    return JobLoaded::Restored {
                        generation,
                        result: Err(ApiError::Config(m)),
                        audit_error: None,
                    };
                }
            };
            drop(plan);
            // The `sent` line goes to the audit log before the request goes out; a restore that cannot be
            // recorded is not sent.
            let pending = match audit {
                Some(t) => match begin(t).await {
                    Ok(p) => Some(p),
                    Err(e) => {
                        return JobLoaded::Restored {
                            generation,
                            result: Err(ApiError::Config(format!("not sent: {e}"))),
                            audit_error: Some(e),
                        };
                    }
                },
                None => None,
            };
            let ptx = tx.clone();
            let progress = move |p: RestoreProgress| {
                let _ = ptx.send(progress_msg(JobLoaded::RestoreProgress {
                    generation,
                    progress: p,
                }));
            };
            let result = if original {
                let body = RestoreOriginalRequest {
                    credentials: req.credentials.clone(),
                    items: req.items.clone(),
                };
                client
                    .restore_original(&session_id, &mailbox_id, &scope, &body, &progress)
                    .await
            } else {
                client
                    .restore_to(&session_id, &mailbox_id, &scope, &req, &progress)
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
            JobLoaded::Restored {
                generation,
                result,
                audit_error,
            }
        }
        JobEffect::DeviceCode {
            generation,
            session_id,
            request,
        } => JobLoaded::DeviceCode {
            generation,
            result: client.restore_device_code(&session_id, &request).await,
        },
        JobEffect::LoadEvents { generation, session_id } => JobLoaded::Events {
            generation,
            result: client.all_session_events(&session_id).await,
        },
        JobEffect::LoadTargetFolders {
            generation,
            session_id,
            mailbox_id,
        } => JobLoaded::TargetFolders {
            generation,
            result: client.all_folders(&session_id, &mailbox_id, FolderParent::Root).await,
        },
        JobEffect::Download {
            generation,
            kind,
            session_id,
            mailbox_id,
            scope,
            item_ids,
            dest,
            file_name,
            overwrite,
            audit,
        } => {
            // The destination is checked before anything is asked of the server.
            let dest = match destination(&dest, &file_name, overwrite).await {
                Ok(d) => d,
                Err((dest, m)) => {
                    return JobLoaded::Downloaded {
                        generation,
                        result: Err(ApiError::Config(m)),
                        dest,
                        audit_error: None,
                    };
                }
            };
            let ptx = tx.clone();
            let last = AtomicU64::new(0);
            let progress = move |p: DownloadProgress| {
                let before = last.load(Ordering::Relaxed);
                if p.written >= before + PROGRESS_STEP || p.total.is_some_and(|t| p.written >= t) {
                    last.store(p.written, Ordering::Relaxed);
                    let _ = ptx.send(progress_msg(JobLoaded::DownloadProgress {
                        generation,
                        progress: p,
                    }));
                }
            };
            let result = match kind {
                TransferKind::Msg => {
                    client
                        .save_msg(&session_id, &mailbox_id, &item_ids, &dest, &progress)
                        .await
                }
                _ => {
                    let opts = ExportOptions {
                        items: matches!(scope, RestoreScope::Items)
                            .then(|| item_ids.iter().map(|id| ItemId { id: id.clone() }).collect()),
                        ..Default::default()
                    };
                    client
                        .export_pst(&session_id, &mailbox_id, &scope, &opts, &dest, &progress)
                        .await
                }
            };
            let audit_error = match audit {
                Some(t) => append(t, |r| match &result {
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
            JobLoaded::Downloaded {
                generation,
                dest,
                result,
                audit_error,
            }
        }
        JobEffect::Send {
            generation,
            session_id,
            mailbox_id,
            item_ids,
            different,
            audit,
        } => {
            let result = match &different {
                None => client.send_to_default(&session_id, &mailbox_id, &item_ids).await,
                Some(o) => client.send_to_different(&session_id, &mailbox_id, o).await,
            };
            let audit_error = match audit {
                Some(t) => append(t, |r| match &result {
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
            JobLoaded::Sent {
                generation,
                result,
                audit_error,
            }
        }
    }
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
async fn begin(t: AuditTicket) -> Result<Pending, String> {
    let AuditTicket { path, record } = t;
    tokio::task::spawn_blocking(move || crate::audit::begin(path, record))
        .await
        .map_err(|e| format!("audit log: {e}"))?
}

/// Writes a restore's completion line, off the async threads.
async fn complete(p: Pending, fill: impl FnOnce(&mut AuditRecord) + Send + 'static) -> Result<(), String> {
    tokio::task::spawn_blocking(move || p.complete(fill))
        .await
        .map_err(|e| format!("audit log: {e}"))?
}

/// Completes the record (time, local user, outcome) and appends it, off the async threads.
async fn append(t: AuditTicket, fill: impl FnOnce(&mut AuditRecord)) -> Result<(), String> {
    let AuditTicket { path, mut record } = t;
    record.time = now_rfc3339();
    record.local_user = local_user();
    fill(&mut record);
    tokio::task::spawn_blocking(move || AuditLog::new(path).append(&record))
        .await
        .map_err(|e| format!("audit log: {e}"))?
}
