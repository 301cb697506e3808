//! Restores, exports and sends: the jobs the operator started (kept for the results list), their effects
//! and answers, and the glue between the browser and the restore / export / send dialogs, the results
//! list and the events view. Still pure: the runtime runs the effects (and appends the audit records).
//!
//! A job is sent once. Nothing here ever resends a restore: a refused one goes back to its form (every
//! field kept) and waits for the operator; one whose answer was lost is "outcome unknown".

use super::panes::events::{EventSource, EventsView};
use super::panes::job_dialog::{JobDialog, JobPhase};
use super::panes::restore_dialog::{KnownMailbox, Remembered, RestoreDialog, Source, TargetFolders};
use super::panes::results::ResultsView;
use super::panes::transfer_dialog::{TransferDialog, TransferKind};
use super::request::{Call, DialogAsk, Response, To, Written};
use super::{Action, Effect, Level, Overlay, RequestId, State};
use crate::api::models::{ItemId, RestoreOutcome, SendToDifferentAddressOptions, SessionEvent};
use crate::api::{ApiError, DownloadProgress, RestoreProgress, RestoreScope};
use crate::audit::AuditRecord;
use crate::restore_plan::RestorePlan;
use std::path::PathBuf;

/// What a job does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    Restore,
    RestoreOriginal,
    ExportPst,
    SaveMsg,
    Send,
}

impl JobKind {
    /// The audit log's `action`.
    pub fn audit_action(self) -> &'static str {
        match self {
            JobKind::Restore => "restore",
            JobKind::RestoreOriginal => "restore-original",
            JobKind::ExportPst => "export",
            JobKind::SaveMsg => "save",
            JobKind::Send => "send",
        }
    }

    pub fn is_restore(self) -> bool {
        matches!(self, JobKind::Restore | JobKind::RestoreOriginal)
    }
}

/// Where a job is.
#[derive(Clone, Debug, PartialEq)]
pub enum JobStatus {
    Running {
        /// v8 restores: the counts so far.
        progress: Option<RestoreProgress>,
        /// Downloads: the bytes so far.
        bytes: Option<DownloadProgress>,
    },
    Restored(RestoreOutcome),
    Downloaded {
        bytes: u64,
        path: String,
    },
    Sent,
    /// Refused or not sent (the message says which).
    Failed(String),
    /// Sent, but its answer was lost: the server may have applied it.
    Unknown(String),
}

#[derive(Clone, Debug)]
pub struct Job {
    pub generation: RequestId,
    pub kind: JobKind,
    /// What it does, in one line ("Restore 3 items from A (Inbox) to b@x.com/Restored").
    pub summary: String,
    pub source: Source,
    pub status: JobStatus,
    /// The audit record could not be written.
    pub audit_error: Option<String>,
    /// A restore's target mailbox (to find it in the session's events).
    pub target: Option<String>,
    /// The outcome was lost, then read from the session's events: which event said so.
    pub reconciled: Option<String>,
    /// Where it goes, as the summary names it after "to " (`R` never cuts it).
    pub destination: String,
    /// When it was sent and when its answer came (the runtime's clock, UTC; `None`: not told).
    pub started: Option<time::OffsetDateTime>,
    pub ended: Option<time::OffsetDateTime>,
}

impl Job {
    pub fn is_running(&self) -> bool {
        matches!(self.status, JobStatus::Running { .. })
    }

    /// v8: the restore's own session (its events and statistics live there).
    pub fn restore_session(&self) -> Option<&str> {
        match &self.status {
            JobStatus::Restored(o) => o.session_id.as_deref(),
            _ => None,
        }
    }
}

/// This run's jobs, oldest first, and what the next restore dialog starts with.
#[derive(Clone, Debug, Default)]
pub struct Jobs {
    pub list: Vec<Job>,
    pub memory: Remembered,
    /// `q` was pressed once while a job ran (the next `q` quits).
    quit_warned: bool,
}

impl Jobs {
    pub fn get(&self, generation: RequestId) -> Option<&Job> {
        self.list.iter().find(|j| j.generation == generation)
    }

    fn get_mut(&mut self, generation: RequestId) -> Option<&mut Job> {
        self.list.iter_mut().find(|j| j.generation == generation)
    }

    pub fn any_running(&self) -> bool {
        self.list.iter().any(Job::is_running)
    }

    /// The `i`-th job, newest first.
    pub fn newest(&self, i: usize) -> Option<&Job> {
        self.list.iter().rev().nth(i)
    }
}

/// Where an audit record goes and the record so far (the runtime adds the time, the local user, the
/// outcome and the counts). It has no field that could hold a secret.
#[derive(Clone, Debug)]
pub struct AuditTicket {
    pub path: PathBuf,
    pub record: AuditRecord,
}

/// `q` while a restore, export or send runs: the first press only warns (leaving now loses its result
/// and its audit record); the second quits. True when the quit is held.
pub fn hold_quit(state: &mut State) -> bool {
    if !state.jobs.any_running() || state.jobs.quit_warned {
        return false;
    }
    state.jobs.quit_warned = true;
    state
        .error("a restore, export or send is still running: its result would not be shown nor audited — q again quits");
    true
}

/// True while a job runs (the spinner ticks).
pub fn busy(state: &State) -> bool {
    state.jobs.any_running()
}

/// True while something of the jobs counts down on screen (a device code's expiry): the runtime ticks.
pub fn counting_down(state: &State) -> bool {
    matches!(&state.overlay, Some(Overlay::Restore(d)) if d.device_code.is_some())
}

/// The browser's actions for jobs; false when `a` is not one of them.
pub fn on_action(state: &mut State, a: Action, fx: &mut Vec<Effect>) -> bool {
    match a {
        Action::MarkAll => mark_all(state),
        Action::Restore => open_restore(state, fx),
        Action::ExportPst => open_transfer(state, TransferKind::Pst),
        Action::SaveMsg => open_transfer(state, TransferKind::Msg),
        Action::Send => open_transfer(state, TransferKind::Send),
        Action::Results => open_results(state),
        Action::Events => open_events(state, None, None, fx),
        _ => return false,
    }
    true
}

/// True when vex knows restore session `id` is stopped (the sessions list says so, or the mailboxes
/// pane's copy of it): nothing of it can be browsed, restored, exported or sent any more.
pub fn session_stopped(state: &State, id: &str) -> bool {
    use crate::api::models::SessionState;
    state
        .mailboxes
        .as_ref()
        .is_some_and(|m| m.session.id == id && m.session.state == SessionState::Stopped)
        || state
            .sessions
            .list
            .rows
            .iter()
            .any(|s| s.id == id && s.state == SessionState::Stopped)
}

/// The words for a refused restore, export or send of a stopped session.
pub fn stopped_refusal(state: &State, what: &str) -> String {
    let n = state.keymap.hint(Action::NewSession, "n");
    format!("this restore session is stopped: {what} need a working one ({n} in the sessions pane starts one)")
}

fn refuse_read_only(state: &mut State) -> bool {
    if state.header.read_only {
        state.error("read-only");
        return true;
    }
    false
}

fn mark_all(state: &mut State) {
    if state.focus != Level::Items {
        return state.info("mark all works in the items pane (a folder restores whole with r in the folders pane)");
    }
    if state.items.as_ref().is_some_and(|i| i.search.is_some()) {
        return state.info("search results are not a folder: Space marks results one by one");
    }
    let Some(items) = &mut state.items else { return };
    if items.toggle_all() {
        let n = items
            .total
            .map(|t| format!("all {} items", crate::text::thousands(t)))
            .unwrap_or_else(|| "every item".into());
        state.info(format!("{n} of the folder marked: r restores the folder, E exports it"));
    } else {
        state.info("marks cleared");
    }
}

/// A mailbox's display name (its e-mail when it has none).
fn mailbox_name(m: &crate::api::models::Mailbox) -> String {
    m.name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .or_else(|| m.email.clone())
        .unwrap_or_else(|| m.id.clone())
}

/// What `r`, `E`, `m` and `S` apply to in the focused pane.
pub fn source(state: &State) -> Result<Source, String> {
    let from_mailbox = |session_id: &str, mb: &crate::api::models::Mailbox| {
        let (point_in_time, date_label) = point_in_time(state, session_id);
        Source {
            session_id: session_id.to_string(),
            mailbox_id: mb.id.clone(),
            mailbox_name: mailbox_name(mb),
            mailbox_email: mb.email.clone(),
            folder: None,
            scope: RestoreScope::Mailbox,
            item_ids: Vec::new(),
            item_title: None,
            marks: None,
            folder_total: None,
            point_in_time,
            date_label,
        }
    };
    match state.focus {
        Level::Sessions => Err("open a mailbox first: restores work on items, folders and mailboxes".into()),
        Level::Mailboxes => {
            let m = state.mailboxes.as_ref().ok_or("no mailboxes")?;
            let mb = m.selected().ok_or("no mailbox selected")?;
            Ok(from_mailbox(&m.session.id, mb))
        }
        Level::Folders => {
            let f = state.folders.as_ref().ok_or("no folders")?;
            let &idx = f.rows().get(f.cursor).ok_or("no folder selected")?;
            let mut s = from_mailbox(&f.session_id, &f.mailbox);
            s.folder = Some(f.path_of(idx).join(" / "));
            let folder_id = f.nodes[idx].folder.id.clone();
            // The count is known when that folder's items are open (or were counted).
            s.folder_total = state
                .items
                .as_ref()
                .filter(|i| i.search.is_none() && i.key.folder_id == folder_id && i.key.mailbox_id == f.mailbox.id)
                .and_then(|i| i.total);
            s.scope = RestoreScope::Folder(folder_id);
            Ok(s)
        }
        Level::Items | Level::Details => {
            if let Some(info) = state.items.as_ref().and_then(|i| i.search.as_deref()) {
                return crate::app::search::source(state, info);
            }
            let f = state.folders.as_ref().ok_or("no folders")?;
            let items = state.items.as_ref().ok_or("no items")?;
            let mut s = from_mailbox(&items.key.session_id, &f.mailbox);
            s.mailbox_id = items.key.mailbox_id.clone();
            s.folder = Some(items.path.clone());
            if state.focus == Level::Details {
                let d = state.details.as_ref().ok_or("no item")?;
                s.scope = RestoreScope::Item(d.item.id.clone());
                s.item_ids = vec![d.item.id.clone()];
                s.item_title = d.item.title().map(str::to_string);
            } else if items.all_marked {
                s.scope = RestoreScope::Folder(items.key.folder_id.clone());
                s.folder_total = items.total;
                s.marks = Some(items.key.clone());
            } else if !items.marks.is_empty() {
                s.scope = RestoreScope::Items;
                s.item_ids = items.marks.iter().cloned().collect();
                s.marks = Some(items.key.clone());
            } else {
                let it = items.selected().ok_or("no item selected (Space marks items)")?;
                s.scope = RestoreScope::Item(it.id.clone());
                s.item_ids = vec![it.id.clone()];
                s.item_title = it.title().map(str::to_string);
            }
            Ok(s)
        }
    }
}

/// The point in time a restore from session `session_id` reads, as far as vex knows it, and the date the
/// default target folder names. A restore session resource carries no point in time (see the API notes):
/// vex knows it only for the sessions it started itself; for the others it says what it knows — when the
/// session was created — and labels it as such.
pub fn point_in_time(state: &State, session_id: &str) -> (String, Option<String>) {
    let date = |d: &crate::api::models::ApiDate| state.zone.short(d).chars().take(10).collect::<String>();
    let session = state
        .mailboxes
        .as_ref()
        .map(|m| &m.session)
        .filter(|s| s.id == session_id)
        .or_else(|| state.sessions.list.rows.iter().find(|s| s.id == session_id));
    let created = session.and_then(|s| s.creation_time.as_ref());
    match (state.explored.get(session_id), created) {
        (Some(Some(at)), _) => (
            format!(
                "the backup as of {} (chosen when vex started this session)",
                state.zone.long(at)
            ),
            Some(format!("backup {}", date(at))),
        ),
        (Some(None), Some(c)) => (
            format!(
                "the latest backup at {} (when vex started this session)",
                state.zone.long(c)
            ),
            Some(format!("backup {}", date(c))),
        ),
        (_, Some(c)) => (
            format!(
                "not known to vex (the server does not say); the session was created {}",
                state.zone.long(c)
            ),
            Some(format!("session {}", date(c))),
        ),
        _ => ("not known to vex (the server does not say)".into(), None),
    }
}

/// The mailboxes of the browsed session (what the target field suggests).
fn known_mailboxes(state: &State) -> Vec<KnownMailbox> {
    state
        .mailboxes
        .as_ref()
        .map(|m| {
            m.list
                .rows
                .iter()
                .map(|mb| KnownMailbox {
                    id: mb.id.clone(),
                    name: mailbox_name(mb),
                    email: mb.email.clone().unwrap_or_default(),
                    archive: mb.is_archive,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn open_restore(state: &mut State, fx: &mut Vec<Effect>) {
    if refuse_read_only(state) {
        return;
    }
    let src = match source(state) {
        Ok(s) => s,
        Err(m) => return state.info(m),
    };
    if session_stopped(state, &src.session_id) {
        return state.error(stopped_refusal(state, "restores"));
    }
    let async_restore = state.header.api_version.trim().eq_ignore_ascii_case("v8");
    let mut d = RestoreDialog::new(src, known_mailboxes(state), &state.jobs.memory, async_restore);
    if let Some(id) = d.target_in_backup().map(|m| m.id.clone()) {
        load_target_folders(state, &mut d, id, fx);
    }
    state.overlay = Some(Overlay::Restore(Box::new(d)));
}

/// Asks for the folders of the target mailbox `mailbox_id` (the folder field's suggestions).
pub(crate) fn load_target_folders(state: &mut State, d: &mut RestoreDialog, mailbox_id: String, fx: &mut Vec<Effect>) {
    let r = state.requests.ask(
        To::Dialog(DialogAsk::TargetFolders),
        Call::TargetFolders {
            session_id: d.source.session_id.clone(),
            mailbox_id: mailbox_id.clone(),
        },
    );
    d.target_folders = TargetFolders {
        mailbox_id: Some(mailbox_id),
        loading: Some(r.id),
        names: Vec::new(),
    };
    fx.push(Effect::Request(r));
}

fn open_transfer(state: &mut State, kind: TransferKind) {
    if refuse_read_only(state) {
        return;
    }
    let src = match source(state) {
        Ok(s) => s,
        Err(m) => return state.info(m),
    };
    if session_stopped(state, &src.session_id) {
        let what = match kind {
            TransferKind::Pst => "exports",
            TransferKind::Msg => "saves",
            TransferKind::Send => "sends",
        };
        return state.error(stopped_refusal(state, what));
    }
    match TransferDialog::new(kind, src) {
        Ok(d) => state.overlay = Some(Overlay::Transfer(Box::new(d))),
        Err(m) => state.info(m),
    }
}

fn open_results(state: &mut State) {
    if state.jobs.list.is_empty() {
        return state.info("no restores, exports or sends yet");
    }
    state.overlay = Some(Overlay::Results(ResultsView::default()));
}

/// The browsed restore session (the mailboxes pane's, else the selected one): (label, id).
fn browsed_session(state: &State) -> Option<EventSource> {
    let s = match &state.mailboxes {
        Some(m) => &m.session,
        None => state.sessions.selected()?,
    };
    let org = s.organization.as_deref().unwrap_or("restore session");
    Some(EventSource {
        label: format!("session of {org}"),
        session_id: s.id.clone(),
    })
}

/// Opens the events view: of `job` (its restore session first, then the session it came from), or of
/// the browsed session and the restores started from it. `back` is shown again on Esc.
pub(crate) fn open_events(state: &mut State, job: Option<RequestId>, back: Option<Overlay>, fx: &mut Vec<Effect>) {
    let mut sources = Vec::new();
    let mut note = None;
    match job.and_then(|g| state.jobs.get(g)) {
        Some(j) => {
            if let Some(rs) = j.restore_session() {
                sources.push(EventSource {
                    label: "the restore's session".into(),
                    session_id: rs.to_string(),
                });
            }
            sources.push(EventSource {
                label: "the browsed session".into(),
                session_id: j.source.session_id.clone(),
            });
            if let JobStatus::Unknown(_) = j.status {
                note = Some("The outcome is unknown: the server may have applied it. Look for it here.".into());
            }
        }
        None => {
            if let Some(b) = browsed_session(state) {
                let sid = b.session_id.clone();
                sources.push(b);
                for j in state.jobs.list.iter().rev() {
                    if j.source.session_id == sid
                        && let Some(rs) = j.restore_session()
                    {
                        sources.push(EventSource {
                            label: format!("restore: {}", j.summary),
                            session_id: rs.to_string(),
                        });
                    }
                }
            }
        }
    }
    match EventsView::new(sources, &mut state.requests) {
        Some((mut v, e)) => {
            v.note = note;
            v.job = job;
            v.back = back.map(Box::new);
            state.overlay = Some(Overlay::Events(Box::new(v)));
            fx.push(e);
        }
        None => {
            state.overlay = back;
            state.info("no restore session to show the events of");
        }
    }
}

/// The audit ticket of a job (none when the audit log is off).
fn ticket(state: &State, kind: JobKind, source: &Source, plan: Option<&RestorePlan>) -> Option<AuditTicket> {
    let path = state.audit_log.clone()?;
    let mut record = AuditRecord {
        api_user: state.header.user.clone(),
        server: state.header.server.clone(),
        action: kind.audit_action().into(),
        restore_session: source.session_id.clone(),
        source_mailbox: source
            .mailbox_email
            .clone()
            .unwrap_or_else(|| source.mailbox_name.clone()),
        source_folder: source.folder.clone(),
        item_count: source.item_count(),
        point_in_time: Some(source.point_in_time.clone()).filter(|p| !p.is_empty()),
        ..Default::default()
    };
    if let Some(p) = plan {
        if kind == JobKind::Restore {
            record.target_mailbox = Some(p.target_mailbox.trim().to_string());
            record.target_folder = Some(p.target_folder.trim().to_string()).filter(|f| !f.is_empty());
            record.flags = p.flags.set_names();
        }
        record.credential_mode = Some(p.credential_mode().into());
    }
    Some(AuditTicket { path, record })
}

/// Sends the restore the dialog describes (once: never while it runs) as a new job.
pub(crate) fn send_restore(state: &mut State, d: &mut RestoreDialog, fx: &mut Vec<Effect>) {
    if d.phase.is_running() {
        return;
    }
    if state.header.read_only {
        d.phase = JobPhase::Form;
        return state.error("read-only");
    }
    let plan = d.plan();
    let summary = d.summary(&plan);
    let destination = d.destination(&plan);
    let kind = if d.original {
        JobKind::RestoreOriginal
    } else {
        JobKind::Restore
    };
    let audit = ticket(state, kind, &d.source, Some(&plan));
    state.jobs.memory = d.remembered();
    let target = Some(plan.target_mailbox.trim().to_string());
    let r = state.requests.ask(
        To::Job,
        Call::Restore {
            session_id: d.source.session_id.clone(),
            mailbox_id: d.source.mailbox_id.clone(),
            scope: d.source.scope.clone(),
            plan: Box::new(plan),
            original: d.original,
            audit: audit.map(Box::new),
        },
    );
    let generation = r.id;
    state.jobs.list.push(Job {
        generation,
        kind,
        summary,
        source: d.source.clone(),
        status: JobStatus::Running {
            progress: None,
            bytes: None,
        },
        audit_error: None,
        target,
        reconciled: None,
        destination,
        started: state.clock,
        ended: None,
    });
    fx.push(Effect::Request(r));
    d.sent(generation);
}

/// Starts the export, save or send the dialog describes as a new job.
pub(crate) fn start_transfer(state: &mut State, d: &mut TransferDialog, fx: &mut Vec<Effect>) {
    if d.job().is_some_and(|g| state.jobs.get(g).is_some_and(Job::is_running)) {
        return;
    }
    if state.header.read_only {
        d.phase = JobPhase::Form;
        return state.error("read-only");
    }
    let kind = match d.kind {
        TransferKind::Pst => JobKind::ExportPst,
        TransferKind::Msg => JobKind::SaveMsg,
        TransferKind::Send => JobKind::Send,
    };
    let mut audit = ticket(state, kind, &d.source, None);
    let s = &d.source;
    let call = match d.kind {
        TransferKind::Pst | TransferKind::Msg => {
            let dest = d.path.value().trim().to_string();
            if let Some(a) = &mut audit {
                a.record.target_folder = Some(dest.clone());
            }
            Call::Download {
                kind: d.kind,
                session_id: s.session_id.clone(),
                mailbox_id: s.mailbox_id.clone(),
                scope: s.scope.clone(),
                item_ids: s.ids(),
                dest: PathBuf::from(dest),
                file_name: crate::app::panes::transfer_dialog::default_file_name(d.kind, s),
                overwrite: d.overwrite,
                audit: audit.map(Box::new),
            }
        }
        TransferKind::Send => {
            let text = |i: &tui_input::Input| Some(i.value().trim().to_string()).filter(|v| !v.is_empty());
            let different = d.different.then(|| {
                Box::new(SendToDifferentAddressOptions {
                    items: Some(s.ids().into_iter().map(|id| ItemId { id }).collect()),
                    from: text(&d.from),
                    to: text(&d.to),
                    subject: text(&d.subject),
                    text: text(&d.text),
                })
            });
            if let Some(a) = &mut audit {
                a.record.target_mailbox = Some(match &different {
                    Some(o) => o.to.clone().unwrap_or_default(),
                    None => s.mailbox_email.clone().unwrap_or_default(),
                });
            }
            Call::Send {
                session_id: s.session_id.clone(),
                mailbox_id: s.mailbox_id.clone(),
                item_ids: s.ids(),
                different,
                audit: audit.map(Box::new),
            }
        }
    };
    let r = state.requests.ask(To::Job, call);
    let generation = r.id;
    state.jobs.list.push(Job {
        generation,
        kind,
        summary: d.summary(),
        source: d.source.clone(),
        status: JobStatus::Running {
            progress: None,
            bytes: None,
        },
        audit_error: None,
        target: None,
        reconciled: None,
        destination: d.destination(),
        started: state.clock,
        ended: None,
    });
    fx.push(Effect::Request(r));
    d.sent(generation);
}

/// "created 3, merged 0, skipped 0, failed 0" and what [`outcome_notes`] adds.
pub fn counts(o: &RestoreOutcome) -> String {
    std::iter::once(count_words(four_counts(o), ", "))
        .chain(outcome_notes(o))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Created, merged, skipped and failed items of an outcome.
pub fn four_counts(o: &RestoreOutcome) -> [i64; 4] {
    [o.created, o.merged, o.skipped, o.failed]
}

/// A restore's four counts (created, merged, skipped, failed) joined by `sep`: `created 3, merged 0,
/// skipped 0, failed 0`. The one place they are worded: the status line, R, the restore dialog's result
/// and the batch view all show them through it.
pub fn count_words([created, merged, skipped, failed]: [i64; 4], sep: &str) -> String {
    [
        ("created", created),
        ("merged", merged),
        ("skipped", skipped),
        ("failed", failed),
    ]
    .map(|(w, v)| format!("{w} {}", count(v)))
    .join(sep)
}

/// A count in the one number style (thousands separators); a negative count is shown as sent.
fn count(v: i64) -> String {
    match u64::try_from(v) {
        Ok(v) => crate::text::thousands(v),
        Err(_) => v.to_string(),
    }
}

/// What an outcome says beside its counts: failed folders, and on v8 the restore session's own verdict
/// when it is not plain success (only known values: the text may be shown unsanitised).
pub fn outcome_notes(o: &RestoreOutcome) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(f) = o.failed_folders.filter(|f| *f > 0) {
        notes.push(format!("{} folders failed", count(f)));
    }
    match o.result {
        Some(crate::api::models::SessionResult::Warning) => notes.push("session result Warning".into()),
        Some(crate::api::models::SessionResult::Failed) => notes.push("session result Failed".into()),
        _ => {}
    }
    notes
}

/// A restore whose outcome is unknown, looked for in the events just loaded of session `session_id`
/// (the one it was started from): a finished Restore event to its target that no other restore of this
/// run to that target accounts for makes it known, and it says where that came from.
///
/// Assumption (the spec is silent on the wording): the event's `message` states the counts as the
/// emulator writes them ("Restore finished: 3 created, 0 merged, 0 skipped, 0 failed."); a finished event
/// without counts is reported as such, counts unknown.
fn reconcile(state: &mut State, generation: RequestId, session_id: &str) {
    use crate::api::models::{EventStatus, EventType};
    let Some(Overlay::Events(v)) = &state.overlay else {
        return;
    };
    let Some(j) = state.jobs.get(generation) else { return };
    if !matches!(j.status, JobStatus::Unknown(_)) || !j.kind.is_restore() || j.source.session_id != session_id {
        return;
    }
    let target = j.target.clone().unwrap_or_default().to_lowercase();
    let to_target = |e: &&SessionEvent| {
        e.event_type == Some(EventType::Restore)
            && e.status != EventStatus::Running
            && !target.is_empty()
            && [e.target.as_deref(), e.title.as_deref()]
                .into_iter()
                .flatten()
                .any(|t| t.to_lowercase().contains(&target))
    };
    let mut found: Vec<&SessionEvent> = v.events.iter().filter(to_target).collect();
    found.sort_by_key(|e| e.order);
    // The other restores of this run from that session to that target made events of their own.
    let known = state
        .jobs
        .list
        .iter()
        .filter(|o| {
            o.generation != generation
                && o.kind.is_restore()
                && o.source.session_id == session_id
                && o.target.as_deref().is_some_and(|t| t.to_lowercase() == target)
                && !matches!(o.status, JobStatus::Failed(_))
        })
        .count();
    if found.len() <= known {
        return;
    }
    let Some(ev) = found.last() else { return };
    let message = ev.message.clone().unwrap_or_default();
    let counts = crate::api::restore::event_counts(&message);
    let when = ev
        .end_time
        .as_ref()
        .map(|d| format!(" (ended {})", state.zone.long(d)))
        .unwrap_or_default();
    let said = format!("from the session's events: {message}{when}");
    let status = ev.status.clone();
    let Some(j) = state.jobs.get_mut(generation) else {
        return;
    };
    j.reconciled = Some(said);
    match counts {
        Some(mut o) => {
            if status == EventStatus::Failed {
                o.result = Some(crate::api::models::SessionResult::Failed);
            }
            let text = format!("the restore ran: {}, from the session's events", counts_short(&o));
            j.status = JobStatus::Restored(o);
            state.info(text);
        }
        None => state.info(format!(
            "the session's events show the restore ended ({}), without its counts",
            status.as_str()
        )),
    }
}

/// "1 created, 0 merged, 0 skipped, 0 failed".
fn counts_short(o: &RestoreOutcome) -> String {
    use crate::text::thousands;
    let n = |v: i64| thousands(v.max(0) as u64);
    format!(
        "{} created, {} merged, {} skipped, {} failed",
        n(o.created),
        n(o.merged),
        n(o.skipped),
        n(o.failed)
    )
}

/// After a successful restore: the marks that chose its items are cleared (those items only; a
/// whole-folder mark goes), wherever that list is (open or kept for later). True when some were.
fn clear_marks(state: &mut State, source: &Source) -> bool {
    let Some(key) = &source.marks else { return false };
    let folder = matches!(source.scope, RestoreScope::Folder(_));
    let unmark = |marks: &mut std::collections::BTreeSet<String>, all: &mut bool| {
        let before = marks.len();
        marks.retain(|id| !source.item_ids.contains(id));
        let was_all = *all && folder;
        if was_all {
            *all = false;
        }
        was_all || marks.len() != before
    };
    if let Some(items) = state.items.as_mut().filter(|i| i.key == *key) {
        return unmark(&mut items.marks, &mut items.all_marked);
    }
    let mut all = state.all_marked.contains(key);
    let mut cleared = false;
    if let Some(marks) = state.marks.get_mut(key) {
        cleared = unmark(marks, &mut all);
        if marks.is_empty() {
            state.marks.remove(key);
        }
    } else if all && folder {
        all = false;
        cleared = true;
    }
    if !all {
        state.all_marked.remove(key);
    }
    cleared
}

/// Takes an answer of a job (`To::Job`): a restore, export or send, or their progress; false when
/// nothing changed.
pub fn on_answer(state: &mut State, id: RequestId, result: Result<Response, ApiError>) -> bool {
    let changed = on_job_answer(state, id, result);
    if !state.jobs.any_running() {
        state.jobs.quit_warned = false;
    }
    changed
}

/// After the events view took its events: a job whose outcome was lost reads it from them.
pub fn after_events(state: &mut State) {
    let Some(Overlay::Events(v)) = &state.overlay else {
        return;
    };
    let (job, session) = (v.job, v.source().map(|s| s.session_id.clone()));
    if let (Some(g), Some(sid)) = (job, session) {
        reconcile(state, g, &sid);
    }
}

/// How a job ended, in its kind's words.
struct JobEnd {
    status: JobStatus,
    /// Refused or failed: the dialog goes back to its form and shows this.
    refusal: Option<String>,
    /// What the status line says, and whether as an error.
    said: String,
    error: bool,
    /// A restore that went well clears the marks that chose its items.
    clears_marks: bool,
}

impl JobEnd {
    fn new(status: JobStatus, said: impl Into<String>, error: bool) -> JobEnd {
        JobEnd {
            status,
            refusal: None,
            said: said.into(),
            error,
            clears_marks: false,
        }
    }

    fn refused(text: String, said: String) -> JobEnd {
        JobEnd {
            refusal: Some(text.clone()),
            ..JobEnd::new(JobStatus::Failed(text), said, true)
        }
    }
}

fn restore_end(result: Result<RestoreOutcome, ApiError>) -> JobEnd {
    match result {
        Ok(outcome) => {
            // Problems are kept (as an error): the operator may want to look at them or try again.
            let failed = outcome.has_problems();
            let said = format!("restore: {}", counts(&outcome));
            JobEnd {
                clears_marks: !failed,
                ..JobEnd::new(JobStatus::Restored(outcome), said, failed)
            }
        }
        Err(ApiError::OutcomeUnknown(m)) => JobEnd::new(
            JobStatus::Unknown(m),
            "restore: outcome unknown — the server may have applied it; check the events (e)",
            true,
        ),
        Err(e) => {
            let text = e.to_string();
            JobEnd::refused(text.clone(), format!("restore refused: {text}"))
        }
    }
}

fn download_end(what: &str, result: Result<super::request::Saved, ApiError>) -> JobEnd {
    match result {
        Ok(saved) => {
            let bytes = saved.bytes;
            let path = saved.path.display().to_string();
            let said = format!("{what}: wrote {} to {path}", crate::text::human_size(bytes as i64));
            JobEnd::new(JobStatus::Downloaded { bytes, path }, said, false)
        }
        Err(e) => {
            let text = e.to_string();
            JobEnd::refused(text.clone(), format!("{what} failed: {text}"))
        }
    }
}

fn send_end(result: Result<(), ApiError>) -> JobEnd {
    match result {
        Ok(()) => JobEnd::new(JobStatus::Sent, "sent", false),
        Err(ApiError::OutcomeUnknown(m)) => JobEnd::new(
            JobStatus::Unknown(m),
            "send: outcome unknown — the server may have sent it; check the events (e)",
            true,
        ),
        Err(e) => {
            let text = e.to_string();
            JobEnd::refused(text.clone(), format!("send refused: {text}"))
        }
    }
}

/// The answer of a restore, export or send (or their progress).
fn on_job_answer(state: &mut State, generation: RequestId, result: Result<Response, ApiError>) -> bool {
    let Some(kind) = state.jobs.get(generation).map(|j| j.kind) else {
        return false;
    };
    let response = match result {
        Ok(r) => r,
        // The task died without an answer. A restore or send that may have been sent cannot tell: say so
        // rather than invite a resend.
        Err(err) => match kind {
            JobKind::Restore | JobKind::RestoreOriginal => Response::Restored(Written {
                result: Err(ApiError::OutcomeUnknown(err.to_string())),
                audit_error: None,
            }),
            JobKind::Send => Response::Sent(Written {
                result: Err(ApiError::OutcomeUnknown(err.to_string())),
                audit_error: None,
            }),
            JobKind::ExportPst | JobKind::SaveMsg => Response::Downloaded(Written {
                result: Err(err),
                audit_error: None,
            }),
        },
    };
    let Some(j) = state.jobs.get_mut(generation) else {
        return false;
    };
    let (end, audit_error) = match response {
        Response::RestoreProgress(progress) => match &mut j.status {
            JobStatus::Running { progress: p, .. } => {
                *p = Some(progress);
                return true;
            }
            _ => return false,
        },
        Response::DownloadProgress(progress) => match &mut j.status {
            JobStatus::Running { bytes, .. } => {
                *bytes = Some(progress);
                return true;
            }
            _ => return false,
        },
        Response::Restored(Written { result, audit_error }) => (restore_end(result), audit_error),
        Response::Downloaded(Written { result, audit_error }) => {
            let what = if j.kind == JobKind::ExportPst { "export" } else { "save" };
            (download_end(what, result), audit_error)
        }
        Response::Sent(Written { result, audit_error }) => (send_end(result), audit_error),
        // An answer of another kind for a job: nothing a job takes.
        _ => return false,
    };
    // Once for every kind: the job's status, the dialog showing it, the status line, the audit log.
    j.audit_error = audit_error.as_ref().map(ToString::to_string);
    j.status = end.status;
    let source = j.source.clone();
    if let Some(o) = &mut state.overlay {
        o.on_job_end(generation, end.refusal);
    }
    let mut said = end.said;
    if end.error {
        state.error(said);
    } else {
        // A restore that went well: the marks that chose its items go (so a second run is not one key away).
        if end.clears_marks && clear_marks(state, &source) {
            said.push_str(" · marks cleared");
        }
        state.info(said);
    }
    if let Some(a) = audit_error {
        state.error(format!("the audit log could not be written: {a}"));
    }
    let now = state.clock;
    if let Some(j) = state
        .jobs
        .get_mut(generation)
        .filter(|j| !j.is_running() && j.ended.is_none())
    {
        j.ended = now;
    }
    true
}
