//! Batches: a plan (see [`plan`]) resolved against the server into restores, each sent exactly once,
//! with a journal (see [`journal`]) that lets a killed batch resume.
//!
//! - **Resolve** ([`resolve`]): the plan's mailboxes (a list, a pattern, all of the session), folders by
//!   path and items (a server search or a date range) become restores ("units"), one POST each: a whole
//!   mailbox through the mailbox endpoint (`mailboxes/{id}/restoreTo`; to the original location, the
//!   bulk endpoint `mailboxes/restore`, up to [`BULK_CHUNK`] mailboxes per request), a whole folder
//!   through the folder endpoint (`folders/{id}/restore` or `restoreTo`), chosen items through
//!   `items/restore` or `items/restoreTo`. A mailbox, folder or pattern that names nothing is refused
//!   with the plan's line, before anything is sent.
//! - **Run** ([`run`]): first every restore whose answer is not in the journal (state `sending` or
//!   `unknown`) is reconciled from the restore session's events; then the remaining ones are sent, at
//!   most `concurrency` at a time. Each is journalled (and audited) before its POST and after its answer.
//!
//! Exactly once rests on three rules: a restore is sent only in state `planned`; its row says `sending`
//! (committed to disk) before the POST leaves; and a restore whose answer is unknown goes back to
//! `planned` only when the session's events show it did not run. Two restores the events could not tell
//! apart (same source and target: e.g. item restores of two folders of one mailbox to its original
//! location) are never in flight together, so the events always tell which one ran.

pub mod command;
pub mod journal;
pub mod plan;

use crate::api::models::{
    BulkMailbox, BulkOutcome, BulkRestoreRequest, EventStatus, EventType, ItemData, RestoreOutcome, SessionEvent,
};
use crate::api::{ApiError, Client, FolderParent, RestoreHooks, RestoreScope, SearchScope, paging};
use crate::restore_plan::{Credentials, PlanField, RestorePlan};
use journal::{BatchRow, DONE, FAILED, Journal, PLANNED, SENDING, SENT, UNKNOWN, UnitRow};
use plan::{Items, Mailboxes, Plan, PlanError, Target};
use secrecy::SecretString;
use sha2::Digest;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long reconciliation waits for a trace of a restore whose whole request may have reached the server
/// (state [`SENT`]) but which neither its answer nor the session's events show. When it ends the restore is
/// left `unknown` for the operator, never taken as not run: this wait decides only how soon vex gives up
/// looking, not what happened. (Whether a restore ran is decided from what the server shows, see
/// [`reconcile`].)
pub const EVENT_WAIT: Duration = Duration::from_secs(60);

/// How long reconciliation waits for a Restore event that is still Running (v8) to finish.
pub const RUNNING_WAIT: Duration = Duration::from_secs(600);

/// Attempts of one restore in one run when the server refuses it before doing anything (429, 500, a
/// connection that failed before sending); then the batch stops and says to run it again.
pub const MAX_ATTEMPTS_PER_RUN: u32 = 6;

/// Mailboxes per bulk request (`mailboxes/restore`).
///
/// Assumption (the spec sets no limit): 20. A v6/v7 server answers a bulk request only when every mailbox
/// in it is done, so a big one holds its connection for hours, makes `--concurrency` meaningless (two
/// requests could be 600 mailboxes) and, when its answer is lost, leaves every one of its mailboxes to be
/// settled from the session's events. 20 keeps those bounded while a 300-mailbox incident is still 15
/// requests rather than 300.
pub const BULK_CHUNK: usize = 20;

/// True when a restore goes through the bulk endpoint: a whole mailbox to its original location. (A single
/// mailbox too: the bulk body carries the plan's flags, `mailboxes/{id}/restore`'s takes none.)
pub fn is_bulk(u: &UnitRow) -> bool {
    u.kind == "mailbox" && u.target_mailbox.is_none()
}

/// The endpoint a restore is sent to.
pub fn endpoint(u: &UnitRow) -> &'static str {
    match (u.kind.as_str(), u.target_mailbox.is_some()) {
        ("mailbox", true) => "mailboxes/{id}/restoreTo",
        ("mailbox", false) => "mailboxes/restore",
        ("folder", true) => "folders/{id}/restoreTo",
        ("folder", false) => "folders/{id}/restore",
        (_, true) => "items/restoreTo",
        (_, false) => "items/restore",
    }
}

/// The bulk requests of a batch, each the seqs of its restores: the whole-mailbox restores to the original
/// location in plan order, at most [`BULK_CHUNK`] per request, never two of one signature in a request (a
/// mailbox and its archive share an address: the session's events could not tell their restores apart).
/// It depends on the batch's restores alone, so the dry run, the run, a resumed run and `vex batch status`
/// name the same requests.
pub fn bulk_groups(units: &[UnitRow]) -> Vec<Vec<i64>> {
    let mut groups: Vec<(Vec<i64>, HashSet<&str>)> = Vec::new();
    for u in units.iter().filter(|u| is_bulk(u)) {
        match groups
            .iter_mut()
            .find(|(g, sigs)| g.len() < BULK_CHUNK && !sigs.contains(u.signature.as_str()))
        {
            Some((g, sigs)) => {
                g.push(u.seq);
                sigs.insert(u.signature.as_str());
            }
            None => groups.push((vec![u.seq], HashSet::from([u.signature.as_str()]))),
        }
    }
    groups.into_iter().map(|(g, _)| g).collect()
}

/// The 1-based number of the bulk request restore `seq` is part of.
pub fn bulk_of(groups: &[Vec<i64>], seq: i64) -> Option<usize> {
    groups.iter().position(|g| g.contains(&seq)).map(|i| i + 1)
}

/// Refuses flags the plan's restores cannot carry, naming the `[flags]` line: the original-location
/// bodies of folders and items (`RESTRestoreToOriginalLocation`, `...SelectedItems`) take credentials
/// only, in every version. Whole mailboxes to the original location go through `mailboxes/restore`, whose
/// body (`RestBulkRestoreOptions`) takes all seven flags. Silently dropping them would let the operator
/// believe they were applied.
pub fn check_flags(p: &Plan, units: &[UnitRow]) -> Result<(), PlanError> {
    let set = p.flags.set_names();
    if set.is_empty() {
        return Ok(());
    }
    let Some(u) = units.iter().find(|u| u.target_mailbox.is_none() && !is_bulk(u)) else {
        return Ok(());
    };
    let line = if p.flags_line > 0 { p.flags_line } else { p.target_line };
    Err(err_at(
        line,
        format!(
            "[flags] {} cannot be applied: {} goes to the original location through {}, whose request takes no \
             flags (only whole mailboxes, through mailboxes/restore, carry them); remove the flags, or restore \
             to a mailbox ([target] mailbox = \"...\")",
            set.join(", "),
            unit_label(u),
            endpoint(u)
        ),
    ))
}

// ---------------------------------------------------------------------------------------------------------
// Resolve

/// A mailbox as the plan sees it.
#[derive(Clone, Debug)]
struct Mbx {
    id: String,
    name: String,
    email: String,
    is_archive: bool,
}

impl Mbx {
    fn label(&self) -> &str {
        if self.email.is_empty() { &self.name } else { &self.email }
    }
}

/// What a resolved plan holds: its restores, and what was noticed on the way (mailboxes without a
/// folder a pattern source names, searches that found nothing).
#[derive(Clone, Debug, Default)]
pub struct Resolved {
    pub units: Vec<UnitRow>,
    pub notes: Vec<String>,
    /// Item counts where they are known (item restores), by unit seq.
    pub sources: Vec<String>,
}

fn err_at(line: usize, message: String) -> PlanError {
    PlanError {
        line: Some(line),
        message,
    }
}

/// The Restore event a restore is expected to leave in the session: its `source` and `target`.
///
/// Assumption (the spec does not describe event contents): a Restore event names the source mailbox's
/// address (and, for a folder, `address/folder path`) in `source`, and the target address (and folder)
/// in `target`, as the emulator writes them; matching is case-insensitive.
pub fn signature(u: &UnitRow) -> String {
    let source = match (u.kind.as_str(), &u.folder_path) {
        ("folder", Some(p)) => format!("{}/{p}", u.mailbox),
        _ => u.mailbox.clone(),
    };
    let target = match &u.target_mailbox {
        None => match (u.kind.as_str(), &u.folder_path) {
            ("folder", Some(p)) => format!("{}/{p}", u.mailbox),
            _ => u.mailbox.clone(),
        },
        Some(t) => {
            let f = u.target_folder.clone().unwrap_or_default();
            let f = if f.is_empty() && u.kind == "folder" {
                u.folder_path
                    .as_deref()
                    .and_then(|p| p.rsplit('/').next())
                    .unwrap_or_default()
                    .to_string()
            } else {
                f
            };
            if f.is_empty() { t.clone() } else { format!("{t}/{f}") }
        }
    };
    format!("{}\u{2192}{}", source.to_lowercase(), target.to_lowercase())
}

fn event_signature(e: &SessionEvent) -> Option<String> {
    let (s, t) = (e.source.as_deref()?, e.target.as_deref()?);
    Some(format!(
        "{}\u{2192}{}",
        s.trim().to_lowercase(),
        t.trim().to_lowercase()
    ))
}

/// The target folder made from the pattern: `{mailbox}` the source's address, `{folder}` the source
/// folder's path (empty for a whole mailbox); empty segments dropped.
pub fn target_folder(pattern: &str, mailbox: &str, folder: Option<&str>) -> String {
    let s = pattern
        .replace("{mailbox}", mailbox)
        .replace("{folder}", folder.unwrap_or_default());
    s.split('/')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

async fn folder_by_path(
    client: &Client,
    session: &str,
    mailbox: &str,
    path: &str,
) -> Result<Option<(String, String)>, ApiError> {
    let mut parent: Option<String> = None;
    let mut found = None;
    for part in path.split('/') {
        let list = match &parent {
            None => {
                paging::collect_all(1000, |o, l| client.folders(session, mailbox, FolderParent::Root, o, l)).await?
            }
            Some(p) => {
                paging::collect_all(1000, |o, l| {
                    client.folders(session, mailbox, FolderParent::Folder(p), o, l)
                })
                .await?
            }
        };
        let Some(f) = list
            .into_iter()
            .find(|f| f.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(part.trim())))
        else {
            return Ok(None);
        };
        parent = Some(f.id.clone());
        found = Some(f.id);
    }
    Ok(found.map(|id| (id, path.to_string())))
}

/// The ids of the items a search finds (every page).
async fn search_ids(
    client: &Client,
    session: &str,
    scope: SearchScope<'_>,
    query: &str,
) -> Result<Vec<String>, ApiError> {
    let items = paging::collect_all(1000, |o, l| client.search(session, scope, query, o, l)).await?;
    Ok(items.into_iter().map(|i| i.id).collect())
}

/// The ids of a folder's messages received within the days (inclusive, UTC).
async fn dated_ids(
    client: &Client,
    session: &str,
    mailbox: &str,
    folder: &str,
    from: Option<time::Date>,
    to: Option<time::Date>,
) -> Result<Vec<String>, ApiError> {
    let items = paging::collect_all(1000, |o, l| client.items(session, mailbox, folder, o, l)).await?;
    Ok(items
        .into_iter()
        .filter(|i| {
            let ItemData::Message(m) = &i.data else { return false };
            let Some(day) = m.received.as_ref().and_then(|d| d.as_utc()).map(|d| d.date()) else {
                return false;
            };
            from.is_none_or(|f| day >= f) && to.is_none_or(|t| day <= t)
        })
        .map(|i| i.id)
        .collect())
}

/// Resolves the plan against the server: the restores it means, in a stable order. Nothing is sent
/// but reads (mailboxes, folders, searches).
pub async fn resolve(client: &Client, p: &Plan) -> Result<Resolved, BatchError> {
    let all: Vec<Mbx> = client
        .all_mailboxes(&p.session)
        .await
        .map_err(|e| match e {
            ApiError::Http { status: 404, .. } => BatchError::Plan(err_at(
                p.session_line,
                format!("restore session {} not found on the server", p.session),
            )),
            e => BatchError::Api(e),
        })?
        .into_iter()
        .map(|m| Mbx {
            id: m.id,
            name: m.name.unwrap_or_default(),
            email: m.email.unwrap_or_default(),
            is_archive: m.is_archive,
        })
        .collect();
    let mut out = Resolved::default();
    let mut seq = 0i64;
    for (si, s) in p.sources.iter().enumerate() {
        let chosen: Vec<&Mbx> = match &s.mailboxes {
            Mailboxes::All => all.iter().collect(),
            Mailboxes::Pattern(g) => {
                let m: Vec<&Mbx> = all
                    .iter()
                    .filter(|m| plan::glob_match(g, &m.email) || plan::glob_match(g, &m.name))
                    .collect();
                if m.is_empty() {
                    return Err(BatchError::Plan(err_at(
                        s.line,
                        format!(
                            "the pattern {g:?} matches no mailbox of the session ({} mailboxes)",
                            all.len()
                        ),
                    )));
                }
                m
            }
            Mailboxes::List(names) => {
                let mut m = Vec::new();
                for (name, line) in names {
                    let by_email: Vec<&Mbx> = all.iter().filter(|x| x.email.eq_ignore_ascii_case(name)).collect();
                    let hit = if !by_email.is_empty() {
                        // The primary mailbox wins over its archive (same address).
                        by_email.iter().find(|x| !x.is_archive).or(by_email.first()).copied()
                    } else if let Some(x) = all.iter().find(|x| x.id.eq_ignore_ascii_case(name)) {
                        Some(x)
                    } else {
                        let by_name: Vec<&Mbx> = all.iter().filter(|x| x.name.eq_ignore_ascii_case(name)).collect();
                        if by_name.len() > 1 {
                            return Err(BatchError::Plan(err_at(
                                *line,
                                format!("{name:?} names {} mailboxes; use the e-mail address", by_name.len()),
                            )));
                        }
                        by_name.first().copied()
                    };
                    match hit {
                        Some(x) => m.push(x),
                        None => {
                            return Err(BatchError::Plan(err_at(
                                *line,
                                format!("mailbox {name:?} is not in the session"),
                            )));
                        }
                    }
                }
                m
            }
        };
        out.sources.push(describe_source(s));
        let mut missing = 0usize;
        for m in chosen {
            if let Items::Marked(marked) = &s.items {
                // Folders by id, as the TUI's marks named them: no reads (the server refuses an id it
                // does not know when the restore is sent, and the journal says so).
                for mk in marked {
                    let folder_path = Some(mk.folder.clone()).filter(|f| !f.is_empty());
                    let (kind, item_ids) = if mk.items.is_empty() {
                        ("folder", Vec::new())
                    } else {
                        ("items", mk.items.clone())
                    };
                    let u = unit_of(
                        p,
                        si,
                        s,
                        m,
                        kind,
                        Some(mk.folder_id.clone()),
                        folder_path,
                        item_ids,
                        seq,
                    )?;
                    out.units.push(u);
                    seq += 1;
                }
                continue;
            }
            // (folder id, folder path) or None for the whole mailbox.
            let mut places: Vec<Option<(String, String)>> = Vec::new();
            if s.folders.is_empty() {
                places.push(None);
            } else {
                for (path, line) in &s.folders {
                    match folder_by_path(client, &p.session, &m.id, path)
                        .await
                        .map_err(BatchError::Api)?
                    {
                        Some(f) => places.push(Some(f)),
                        None if matches!(s.mailboxes, Mailboxes::List(_)) => {
                            return Err(BatchError::Plan(err_at(
                                *line,
                                format!("folder {path:?} is not in mailbox {}", m.label()),
                            )));
                        }
                        None => missing += 1,
                    }
                }
            }
            for place in places {
                let (folder_id, folder_path) = match &place {
                    Some((id, path)) => (Some(id.clone()), Some(path.clone())),
                    None => (None, None),
                };
                let (kind, item_ids) = match (&s.items, &folder_id) {
                    (Items::All, Some(_)) => ("folder", Vec::new()),
                    (Items::All, None) => ("mailbox", Vec::new()),
                    (Items::Query(q), f) => {
                        let scope = match f {
                            Some(f) => SearchScope::Folder {
                                mailbox: &m.id,
                                folder: f,
                            },
                            None => SearchScope::Mailbox(&m.id),
                        };
                        (
                            "items",
                            search_ids(client, &p.session, scope, q)
                                .await
                                .map_err(BatchError::Api)?,
                        )
                    }
                    (Items::Dates { from, to }, Some(f)) => (
                        "items",
                        dated_ids(client, &p.session, &m.id, f, *from, *to)
                            .await
                            .map_err(BatchError::Api)?,
                    ),
                    (Items::Dates { .. }, None) | (Items::Marked(_), _) => ("items", Vec::new()),
                };
                if kind == "items" && item_ids.is_empty() {
                    out.notes.push(format!(
                        "source {} (line {}): nothing found in {}{}",
                        si + 1,
                        s.line,
                        m.label(),
                        folder_path.as_deref().map(|p| format!("/{p}")).unwrap_or_default()
                    ));
                    continue;
                }
                let u = unit_of(p, si, s, m, kind, folder_id, folder_path, item_ids, seq)?;
                out.units.push(u);
                seq += 1;
            }
        }
        if missing > 0 {
            out.notes.push(format!(
                "source {} (line {}): {missing} of the named folders are missing in some mailboxes and are left out",
                si + 1,
                s.line
            ));
        }
    }
    // The same restore named twice (two sources overlapping) is sent once.
    let mut seen = HashSet::new();
    let before = out.units.len();
    out.units.retain(|u| {
        seen.insert((
            u.kind.clone(),
            u.mailbox_id.clone(),
            u.folder_id.clone(),
            u.item_ids.clone(),
            u.target_mailbox.clone(),
            u.target_folder.clone(),
        ))
    });
    if out.units.len() != before {
        out.notes.push(format!(
            "{} restores named by more than one source are sent once",
            before - out.units.len()
        ));
    }
    for (i, u) in out.units.iter_mut().enumerate() {
        u.seq = i as i64;
    }
    check_flags(p, &out.units).map_err(BatchError::Plan)?;
    Ok(out)
}

/// One restore of a resolved plan: its target made from the plan's, checked.
#[allow(
    clippy::too_many_arguments,
    reason = "the parts of one restore, named where they are found"
)]
fn unit_of(
    p: &Plan,
    si: usize,
    s: &plan::Source,
    m: &Mbx,
    kind: &str,
    folder_id: Option<String>,
    folder_path: Option<String>,
    item_ids: Vec<String>,
    seq: i64,
) -> Result<UnitRow, BatchError> {
    let (target_mailbox, target_folder) = match &p.target {
        Target::Original => (None, None),
        Target::Mailbox { mailbox, folder, .. } => (
            Some(mailbox.clone()),
            Some(target_folder(folder, m.label(), folder_path.as_deref())).filter(|f| !f.is_empty()),
        ),
    };
    let mut u = UnitRow {
        seq,
        source: si as i64,
        source_line: s.line as i64,
        kind: kind.into(),
        mailbox_id: m.id.clone(),
        mailbox: m.label().to_string(),
        folder_id,
        folder_path,
        item_ids,
        target_mailbox,
        target_folder,
        state: PLANNED.into(),
        ..Default::default()
    };
    u.signature = signature(&u);
    check_unit(p, &u).map_err(BatchError::Plan)?;
    Ok(u)
}

fn describe_source(s: &plan::Source) -> String {
    let who = match &s.mailboxes {
        Mailboxes::All => "all mailboxes".to_string(),
        Mailboxes::Pattern(p) => format!("mailboxes matching {p}"),
        Mailboxes::List(l) => l.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", "),
    };
    let folders = if s.folders.is_empty() {
        String::new()
    } else {
        format!(
            " / {}",
            s.folders.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>().join(", ")
        )
    };
    let items = match &s.items {
        Items::All => String::new(),
        Items::Query(q) => format!(" where {q}"),
        Items::Marked(m) => {
            let items: usize = m.iter().map(|x| x.items.len()).sum();
            let whole = m.iter().filter(|x| x.items.is_empty()).count();
            let mut w = Vec::new();
            if items > 0 {
                w.push(format!("{} marked items", crate::text::thousands(items as u64)));
            }
            if whole > 0 {
                w.push(format!("{whole} whole folders"));
            }
            format!(": {}", w.join(", "))
        }
        Items::Dates { from, to } => format!(
            " received {}..{}",
            from.map(|d| d.to_string()).unwrap_or_default(),
            to.map(|d| d.to_string()).unwrap_or_default()
        ),
    };
    format!("{who}{folders}{items}")
}

/// The batch's identity: a hash of what it will do (server, session, every restore, flags, the
/// credential user). The same plan resolved the same way is the same batch.
pub fn batch_id(server: &str, p: &Plan, units: &[UnitRow]) -> String {
    let content = serde_json::json!({
        "server": server,
        "session": p.session.to_lowercase(),
        "flags": p.flags.set_names(),
        "user": p.credentials.user,
        "units": units.iter().map(|u| serde_json::json!([
            u.kind, u.mailbox_id, u.folder_id, u.item_ids, u.target_mailbox, u.target_folder
        ])).collect::<Vec<_>>(),
    });
    let digest = sha2::Sha256::digest(content.to_string().as_bytes());
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------------------------
// Run

#[derive(Debug)]
pub enum BatchError {
    Plan(PlanError),
    Api(ApiError),
    Journal(String),
    Other(String),
}

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BatchError::Plan(e) => write!(f, "the plan: {e}"),
            BatchError::Api(e) => write!(f, "{e}"),
            BatchError::Journal(e) | BatchError::Other(e) => f.write_str(e),
        }
    }
}

/// What a run needs besides the client and the plan.
pub struct RunOptions {
    pub plan_path: String,
    pub concurrency: usize,
    pub journal: std::path::PathBuf,
    pub audit_log: std::path::PathBuf,
    /// The Exchange password of the plan's credential user.
    pub password: SecretString,
    /// See [`EVENT_WAIT`].
    pub event_wait: Duration,
    /// The operator looked at the session's events and found that the restores the journal calls
    /// `unknown` did not run: send them again (those the events still do not show when this run has
    /// reconciled; each is audited as the operator's decision).
    pub resend_unknown: bool,
    /// Progress lines (stderr in the CLI).
    pub progress: Arc<dyn Fn(String) + Send + Sync>,
    /// Called with a source's standing whenever it changes (once for every source at the start).
    pub on_source: Option<OnSource>,
}

/// Where one source of the plan stands: its restores by state and the item counts of those done.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceProgress {
    /// 1-based, as the plan's `[[source]]` tables are counted.
    pub source: usize,
    /// The line of its `[[source]]` header.
    pub line: i64,
    /// What it names (`mailboxes matching a*@x.com / Inbox`).
    pub what: String,
    pub restores: usize,
    pub done: usize,
    pub created: i64,
    pub merged: i64,
    pub skipped: i64,
    pub failed: i64,
    /// Restores refused for good.
    pub failed_restores: usize,
    /// Sent, no answer yet (in flight, or lost and not settled yet).
    #[serde(skip)]
    pub in_flight: usize,
    /// Restores whose outcome the session's events could not settle (and those still in flight when the
    /// run ended).
    pub unknown: usize,
    pub not_sent: usize,
}

impl SourceProgress {
    fn add(&mut self, state: &str, n: usize, counts: [i64; 4]) {
        self.restores += n;
        match state {
            DONE => {
                self.done += n;
                self.created += counts[0];
                self.merged += counts[1];
                self.skipped += counts[2];
                self.failed += counts[3];
            }
            FAILED => self.failed_restores += n,
            UNKNOWN => self.unknown += n,
            PLANNED => self.not_sent += n,
            _ => self.in_flight += n,
        }
    }

    /// Every source's standing from the batch's rows (the summary at the end of a run).
    pub fn of_units(units: &[UnitRow], labels: &[String]) -> Vec<SourceProgress> {
        let mut out: Vec<SourceProgress> = labels
            .iter()
            .enumerate()
            .map(|(i, what)| SourceProgress {
                source: i + 1,
                what: what.clone(),
                ..Default::default()
            })
            .collect();
        for u in units {
            let Some(s) = usize::try_from(u.source).ok().and_then(|i| out.get_mut(i)) else {
                continue;
            };
            s.line = u.source_line;
            let c = [u.created, u.merged, u.skipped, u.failed].map(|c| c.unwrap_or(0));
            s.add(&u.state, 1, c);
        }
        // In flight when the run ended is not known.
        for s in &mut out {
            s.unknown += std::mem::take(&mut s.in_flight);
        }
        out
    }

    /// One line: `source 2 (line 9) mailboxes matching a*: 3/5 done (created 12, merged 0, skipped 1,
    /// failed 0), 1 in flight, 1 not sent`.
    pub fn line(&self) -> String {
        let th = |n: i64| crate::text::thousands(n.max(0) as u64);
        let mut s = format!(
            "source {} (line {}) {}: {}/{} done (created {}, merged {}, skipped {}, failed {})",
            self.source,
            self.line,
            self.what,
            th(self.done as i64),
            th(self.restores as i64),
            th(self.created),
            th(self.merged),
            th(self.skipped),
            th(self.failed)
        );
        for (n, what) in [
            (self.in_flight, "in flight"),
            (self.failed_restores, "failed"),
            (self.unknown, "unknown"),
            (self.not_sent, "not sent"),
        ] {
            if n > 0 && !(what == "not sent" && self.done + self.in_flight + self.failed_restores + self.unknown == 0) {
                s.push_str(&format!(", {} {what}", th(n as i64)));
            }
        }
        s
    }
}

/// Told a source's standing (see [`RunOptions::on_source`]).
pub type OnSource = Arc<dyn Fn(&SourceProgress) + Send + Sync>;

/// The end of a run: the batch's rows as the journal has them.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RunReport {
    pub batch: String,
    pub session: String,
    pub units: Vec<UnitRow>,
    pub sources: Vec<String>,
}

impl RunReport {
    pub fn count(&self, state: &str) -> usize {
        self.units.iter().filter(|u| u.state == state).count()
    }
}

struct Shared {
    journal: Mutex<Journal>,
    batch: String,
    session: String,
    server: String,
    api_user: String,
    audit_log: std::path::PathBuf,
    event_wait: Duration,
    progress: Arc<dyn Fn(String) + Send + Sync>,
    on_source: Option<OnSource>,
    /// The sources' labels and what was last reported of each.
    labels: Vec<String>,
    lines: HashMap<i64, i64>,
    reported: Mutex<HashMap<i64, SourceProgress>>,
}

impl Shared {
    /// The rows of one bulk request say `sending`, all in one transaction (committed before the request
    /// exists).
    fn sending_many(&self, units: &[UnitRow], at: &str) -> Result<(), BatchError> {
        let seqs: Vec<i64> = units.iter().map(|u| u.seq).collect();
        self.journal()
            .sending_many(&self.batch, &seqs, at)
            .map_err(BatchError::Journal)?;
        for s in units
            .iter()
            .map(|u| u.source)
            .collect::<std::collections::BTreeSet<_>>()
        {
            self.touch(s);
        }
        Ok(())
    }

    /// The journal's row of `u` says `sending` (committed before its request exists).
    fn sending(&self, u: &UnitRow, at: &str) -> Result<(), BatchError> {
        self.journal()
            .sending(&self.batch, u.seq, at)
            .map_err(BatchError::Journal)?;
        self.touch(u.source);
        Ok(())
    }

    fn done(&self, u: &UnitRow, counts: [i64; 4], how: &str, message: Option<&str>) -> Result<(), BatchError> {
        self.journal()
            .done(&self.batch, u.seq, counts, how, message)
            .map_err(BatchError::Journal)?;
        self.touch(u.source);
        Ok(())
    }

    fn state(&self, u: &UnitRow, state: &str, message: Option<&str>) -> Result<(), BatchError> {
        self.journal()
            .state(&self.batch, u.seq, state, message)
            .map_err(BatchError::Journal)?;
        self.touch(u.source);
        Ok(())
    }

    /// Left for the operator: the server does not show whether it ran.
    fn unknown(&self, u: &UnitRow, note: &str) -> Result<(), BatchError> {
        self.state(u, UNKNOWN, Some(note))?;
        self.audit("batch-reconcile", Some(u), "unknown", Some(note.into()));
        (self.progress)(format!("{}: {note}", unit_label(u)));
        Ok(())
    }

    /// Reports source `source`'s standing if it changed since it was last reported.
    fn touch(&self, source: i64) {
        let Some(cb) = &self.on_source else { return };
        let rows = match self.journal().source_counts(&self.batch, source) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read a source's progress");
                return;
            }
        };
        let mut p = SourceProgress {
            source: usize::try_from(source).unwrap_or(0) + 1,
            what: usize::try_from(source)
                .ok()
                .and_then(|i| self.labels.get(i))
                .cloned()
                .unwrap_or_default(),
            ..Default::default()
        };
        for (state, n, counts) in rows {
            p.add(&state, usize::try_from(n).unwrap_or(0), counts);
        }
        p.line = self.lines.get(&source).copied().unwrap_or(0);
        let mut last = self.reported.lock().unwrap_or_else(|e| e.into_inner());
        if last.get(&source) != Some(&p) {
            cb(&p);
            last.insert(source, p);
        }
    }

    fn journal(&self) -> std::sync::MutexGuard<'_, Journal> {
        self.journal.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn audit(&self, action: &str, u: Option<&UnitRow>, outcome: &str, message: Option<String>) {
        let mut rec = crate::audit::AuditRecord {
            time: crate::audit::now_rfc3339(),
            id: self.batch.clone(),
            local_user: crate::audit::local_user(),
            api_user: self.api_user.clone(),
            server: self.server.clone(),
            action: action.into(),
            restore_session: self.session.clone(),
            outcome: outcome.into(),
            message,
            ..Default::default()
        };
        if let Some(u) = u {
            fill_record(&mut rec, u);
        }
        if let Err(e) = crate::audit::AuditLog::new(self.audit_log.clone()).append(&rec) {
            tracing::error!(error = %e, "cannot write a batch audit record");
        }
    }
}

fn fill_record(rec: &mut crate::audit::AuditRecord, u: &UnitRow) {
    rec.source_mailbox = u.mailbox.clone();
    rec.source_folder = u.folder_path.clone();
    rec.item_count = (!u.item_ids.is_empty()).then_some(u.item_ids.len() as u64);
    rec.target_mailbox = u.target_mailbox.clone().or(Some(u.mailbox.clone()));
    rec.target_folder = u.target_folder.clone();
    rec.created = u.created;
    rec.merged = u.merged;
    rec.skipped = u.skipped;
    rec.failed = u.failed;
}

fn counts_text(o: &RestoreOutcome) -> String {
    format!(
        "created {}, merged {}, skipped {}, failed {}",
        o.created, o.merged, o.skipped, o.failed
    )
}

fn counts_of(o: &RestoreOutcome) -> [i64; 4] {
    [o.created, o.merged, o.skipped, o.failed]
}

/// Creates the batch in the journal (or finds it), reconciles what is unknown, sends what is planned.
pub async fn run(client: &Client, p: &Plan, resolved: Resolved, opts: RunOptions) -> Result<RunReport, BatchError> {
    let server = client.base_url().to_string();
    let id = batch_id(&server, p, &resolved.units);
    let mut journal = Journal::open(&opts.journal).map_err(BatchError::Journal)?;
    let api_user = client.user_name().await.unwrap_or_default();
    let is_new = journal.batch(&id).map_err(BatchError::Journal)?.is_none();
    let shared = Arc::new(Shared {
        journal: Mutex::new(Journal::open(&opts.journal).map_err(BatchError::Journal)?),
        batch: id.clone(),
        session: p.session.clone(),
        server: server.clone(),
        api_user,
        audit_log: opts.audit_log.clone(),
        event_wait: opts.event_wait,
        progress: opts.progress.clone(),
        on_source: opts.on_source.clone(),
        labels: resolved.sources.clone(),
        lines: resolved.units.iter().map(|u| (u.source, u.source_line)).collect(),
        reported: Mutex::new(HashMap::new()),
    });
    if is_new {
        // The events already in the session: restores done before this batch are not its own.
        let events = client.all_session_events(&p.session).await.map_err(BatchError::Api)?;
        let mut baseline: BTreeMap<String, i64> = BTreeMap::new();
        for e in events.iter().filter(|e| e.event_type == Some(EventType::Restore)) {
            if let Some(s) = event_signature(e) {
                *baseline.entry(s).or_default() += 1;
            }
        }
        let row = BatchRow {
            id: id.clone(),
            plan_path: opts.plan_path.clone(),
            server: server.clone(),
            session: p.session.clone(),
            created: crate::audit::now_rfc3339(),
            baseline: serde_json::to_string(&baseline).unwrap_or_else(|_| "{}".into()),
        };
        journal.create(&row, &resolved.units).map_err(BatchError::Journal)?;
        shared.audit(
            "batch-start",
            None,
            "planned",
            Some(format!("{} restores from {}", resolved.units.len(), opts.plan_path)),
        );
        (opts.progress)(format!("batch {id}: {} restores planned", resolved.units.len()));
    } else {
        shared.audit("batch-resume", None, "resumed", Some(opts.plan_path.clone()));
        (opts.progress)(format!("batch {id}: resuming from the journal"));
    }
    drop(journal);
    for source in 0..resolved.sources.len() as i64 {
        shared.touch(source);
    }

    let creds = opts.password.clone();

    // Rounds: reconcile what is unknown, send what is planned; again while a restore found not to have
    // run can be sent (at most MAX_ATTEMPTS_PER_RUN attempts of each in this run).
    let mut sent_this_run: HashMap<i64, u32> = HashMap::new();
    let unknown_at_start: HashSet<i64> = shared
        .journal()
        .units(&id)
        .map_err(BatchError::Journal)?
        .into_iter()
        .filter(|u| u.state == UNKNOWN)
        .map(|u| u.seq)
        .collect();
    let mut first_round = true;
    loop {
        reconcile(client, &shared).await?;
        if std::mem::take(&mut first_round) && opts.resend_unknown {
            let units = shared.journal().units(&id).map_err(BatchError::Journal)?;
            for u in units
                .iter()
                .filter(|u| u.state == UNKNOWN && unknown_at_start.contains(&u.seq))
            {
                let note = "the operator found it did not run (vex batch --resend-unknown): it will be sent";
                shared.state(u, PLANNED, Some(note))?;
                shared.audit("batch-operator", Some(u), "resend", Some(note.into()));
                (shared.progress)(format!("{}: {note}", unit_label(u)));
            }
        }
        let units = shared.journal().units(&id).map_err(BatchError::Journal)?;
        let sendable: Vec<UnitRow> = units
            .iter()
            .filter(|u| u.state == PLANNED && sent_this_run.get(&u.seq).copied().unwrap_or(0) < MAX_ATTEMPTS_PER_RUN)
            .cloned()
            .collect();
        if sendable.is_empty() {
            break;
        }
        send_all(
            client,
            &shared,
            p,
            &creds,
            sendable,
            opts.concurrency.max(1),
            &mut sent_this_run,
        )
        .await?;
        // A restore whose answer was lost is settled from the events before the next round.
    }
    let units = shared.journal().units(&id).map_err(BatchError::Journal)?;
    let report = RunReport {
        batch: id,
        session: p.session.clone(),
        units,
        sources: resolved.sources,
    };
    shared.audit(
        "batch-end",
        None,
        if report.units.iter().all(|u| u.state == DONE) {
            "ok"
        } else {
            "partial"
        },
        Some(format!(
            "{} done, {} failed, {} unknown, {} not sent",
            report.count(DONE),
            report.count(FAILED),
            report.count(UNKNOWN),
            report.count(PLANNED)
        )),
    );
    Ok(report)
}

/// Settles every restore whose answer is not in the journal (`sending`, `sent`, `unknown`) from what the
/// server shows, before anything else is sent:
///
/// 1. **Its own session** (v8, when the server answered the restore's `sessionId` before the answer to
///    vex was lost): followed until it is done; its statistics are the outcome.
/// 2. **The explore session's Restore events** of its source and target that no earlier restore (of this
///    batch, or before it: the baseline) accounts for: one finished event means it ran, its counts are
///    the event's; one still Running is waited for; more than one cannot be told apart: `unknown`.
/// 3. **No such event**: then the journal's state says whether the server can hold the request at all.
///    `sending`: the body's last byte was never sent (it is held back until `sent` is on disk, see
///    [`crate::api::BodyGate`]), so the server has no complete request and cannot have run it: it did not
///    run, and it is sent again. `sent`: the server may hold the whole request and not show it yet; vex
///    waits for an event (at most [`EVENT_WAIT`]) and then leaves it `unknown` for the operator, never
///    resent.
///
/// Assumptions (the spec says nothing of either): a server acts on a request only once it has all of its
/// body (ASP.NET binds the JSON body before the action runs; a JSON object without its closing byte does
/// not bind); and a restore the server acts on shows in the explore session's events as a Restore event
/// naming its source and target (see [`signature`]), Running while it runs.
async fn reconcile(client: &Client, shared: &Shared) -> Result<(), BatchError> {
    let started = std::time::Instant::now();
    loop {
        let units = shared.journal().units(&shared.batch).map_err(BatchError::Journal)?;
        let open: Vec<&UnitRow> = units
            .iter()
            .filter(|u| u.state == SENDING || u.state == SENT || u.state == UNKNOWN)
            .collect();
        if open.is_empty() {
            return Ok(());
        }
        // 1. The restore's own session, when the server named it.
        let mut followed = false;
        let mut bulks: HashMap<String, Option<BulkOutcome>> = HashMap::new();
        for u in open.iter().filter(|u| u.state != UNKNOWN) {
            let Some(rs) = u.restore_session.as_deref() else {
                continue;
            };
            if is_bulk(u) {
                // A bulk restore's session: its statistics name each mailbox; one without counts there is
                // left to the events below.
                if !bulks.contains_key(rs) {
                    let o = client.wait_bulk(rs, &|_| {}).await;
                    if let Err(e) = &o {
                        tracing::warn!(session = rs, error = %e, "cannot follow a bulk restore's own session");
                    }
                    bulks.insert(rs.to_string(), o.ok());
                }
                let Some(Sent::Done(o)) = bulks.get(rs).and_then(|b| b.as_ref()).map(|b| bulk_part(b, u)) else {
                    continue;
                };
                let note = format!("settled from its bulk restore's own session {rs}");
                shared.done(u, counts_of(&o), "session", Some(&note))?;
                let mut row = (*u).clone();
                (row.created, row.merged, row.skipped, row.failed) =
                    (Some(o.created), Some(o.merged), Some(o.skipped), Some(o.failed));
                shared.audit("batch-reconcile", Some(&row), "ok", Some(note.clone()));
                (shared.progress)(format!("{}: it ran ({note}): {}", unit_label(u), counts_text(&o)));
                followed = true;
                continue;
            }
            match client.wait_restore(rs, Duration::from_millis(250), &|_| {}).await {
                Ok(o) => {
                    let note = format!("settled from its own restore session {rs}");
                    shared.done(u, counts_of(&o), "session", Some(&note))?;
                    let mut row = (*u).clone();
                    (row.created, row.merged, row.skipped, row.failed) =
                        (Some(o.created), Some(o.merged), Some(o.skipped), Some(o.failed));
                    shared.audit("batch-reconcile", Some(&row), "ok", Some(note.clone()));
                    (shared.progress)(format!("{}: it ran ({note}): {}", unit_label(u), counts_text(&o)));
                    followed = true;
                }
                Err(e) => {
                    // The events below may still tell.
                    tracing::warn!(session = rs, error = %e, "cannot follow a restore's own session");
                }
            }
        }
        if followed {
            continue;
        }
        let batch = shared.journal().batch(&shared.batch).map_err(BatchError::Journal)?;
        let baseline: BTreeMap<String, i64> = batch
            .and_then(|b| serde_json::from_str(&b.baseline).ok())
            .unwrap_or_default();
        let events = client
            .all_session_events(&shared.session)
            .await
            .map_err(BatchError::Api)?;
        let mut finished: HashMap<String, Vec<&SessionEvent>> = HashMap::new();
        let mut running: HashMap<String, usize> = HashMap::new();
        for e in events.iter().filter(|e| e.event_type == Some(EventType::Restore)) {
            let Some(s) = event_signature(e) else { continue };
            if e.status == EventStatus::Running {
                *running.entry(s).or_default() += 1;
            } else {
                finished.entry(s).or_default().push(e);
            }
        }
        let mut wait = false;
        for u in open {
            let sig = &u.signature;
            let done_before = units.iter().filter(|o| o.signature == *sig && o.state == DONE).count() as i64;
            let base = baseline.get(sig).copied().unwrap_or(0);
            let fin = finished.get(sig).map(Vec::len).unwrap_or(0) as i64;
            let run = running.get(sig).copied().unwrap_or(0) as i64;
            let ours = fin + run - base - done_before;
            let looked_long = started.elapsed() >= shared.event_wait;
            match ours {
                1 if run > 0 && fin - base - done_before < 1 => {
                    // It runs (v8): wait for its event to finish.
                    if started.elapsed() < RUNNING_WAIT {
                        wait = true;
                    } else {
                        shared.unknown(
                            u,
                            "its Restore event is still Running after the wait: left for the operator, not resent",
                        )?;
                    }
                }
                1 => {
                    let mut evs = finished.get(sig).cloned().unwrap_or_default();
                    evs.sort_by_key(|e| e.order);
                    let ev = evs.last().copied();
                    let msg = ev.and_then(|e| e.message.clone()).unwrap_or_default();
                    let counts = crate::api::restore::event_counts(&msg);
                    let c = counts.as_ref().map(counts_of).unwrap_or([0; 4]);
                    let how = if counts.is_some() {
                        "events"
                    } else {
                        "events (no counts)"
                    };
                    let note = format!(
                        "reconciled from the session's events: {}",
                        crate::api::error::one_line(&msg, 300)
                    );
                    shared.done(u, c, how, Some(&note))?;
                    let mut row = u.clone();
                    (row.created, row.merged, row.skipped, row.failed) =
                        (Some(c[0]), Some(c[1]), Some(c[2]), Some(c[3]));
                    shared.audit("batch-reconcile", Some(&row), "ok", Some(note.clone()));
                    (shared.progress)(format!("{}: it ran ({note})", unit_label(u)));
                }
                0 if u.state == SENDING => {
                    let note = "its request never left whole (the last byte is sent only once the journal says \
                                sent) and the session's events do not show it: it did not run and will be sent";
                    shared.state(u, PLANNED, Some(note))?;
                    shared.audit("batch-reconcile", Some(u), "not-run", Some(note.into()));
                    (shared.progress)(format!("{}: {note}", unit_label(u)));
                }
                0 if u.state == SENT && !looked_long => wait = true,
                0 if u.state == SENT => shared.unknown(
                    u,
                    "the server may hold its whole request but the session's events do not show it: left for \
                     the operator, not resent",
                )?,
                0 => {}
                n if u.state != UNKNOWN => shared.unknown(
                    u,
                    &format!(
                        "the session's events cannot tell whether it ran ({n} restore events of this source and \
                         target unaccounted for): left for the operator, not resent"
                    ),
                )?,
                _ => {}
            }
        }
        if !wait {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn unit_label(u: &UnitRow) -> String {
    let what = match (u.kind.as_str(), &u.folder_path) {
        ("items", Some(p)) => format!("{} items of {}/{p}", u.item_ids.len(), u.mailbox),
        ("items", None) => format!("{} items of {}", u.item_ids.len(), u.mailbox),
        (_, Some(p)) => format!("{}/{p}", u.mailbox),
        _ => u.mailbox.clone(),
    };
    format!("#{} {what}", u.seq + 1)
}

#[derive(Clone)]
enum Sent {
    Done(RestoreOutcome),
    /// Refused before anything ran: may be sent again.
    Again(String, bool),
    /// Refused for good.
    Failed(String),
    Unknown(String),
}

/// One restore of the batch as the restore dialog and `vex restore` describe theirs: the same
/// validation ([`RestorePlan::validate`]) and the same request bodies ([`RestorePlan::to_request`],
/// [`RestorePlan::to_original_request`]).
pub fn unit_plan(p: &Plan, u: &UnitRow, password: SecretString) -> RestorePlan {
    RestorePlan {
        source_mailbox: u.mailbox.clone(),
        source_folder: u.folder_path.clone(),
        scope: scope_of(u),
        item_ids: if u.kind == "items" {
            u.item_ids.clone()
        } else {
            Vec::new()
        },
        // The original location: the source mailbox itself.
        target_mailbox: u.target_mailbox.clone().unwrap_or_else(|| u.mailbox.clone()),
        target_folder: u.target_folder.clone().unwrap_or_default(),
        cas_server: String::new(),
        office_region: None,
        office_organization_name: String::new(),
        credentials: Credentials::Password {
            user: p.credentials.user.clone(),
            password,
        },
        flags: p.flags.clone(),
    }
}

fn scope_of(u: &UnitRow) -> RestoreScope {
    match u.kind.as_str() {
        "mailbox" => RestoreScope::Mailbox,
        "folder" => RestoreScope::Folder(u.folder_id.clone().unwrap_or_default()),
        _ => RestoreScope::Items,
    }
}

/// Checks a resolved restore as the restore dialog checks its own (the password aside: it is read when
/// the batch runs), naming the plan's line the problem comes from.
fn check_unit(p: &Plan, u: &UnitRow) -> Result<(), PlanError> {
    let plan = unit_plan(p, u, SecretString::from("(read when the batch runs)"));
    let original = u.target_mailbox.is_none();
    for (field, message) in plan.validate() {
        let line = match field {
            // The original location is the source mailbox: not the plan's to check.
            PlanField::TargetMailbox if original => continue,
            PlanField::TargetMailbox | PlanField::TargetFolder => match &p.target {
                Target::Mailbox { line, .. } => *line,
                Target::Original => p.target_line,
            },
            PlanField::Items => u.source_line as usize,
            _ => p.credentials_line,
        };
        return Err(err_at(line, format!("{}: {message}", unit_label(u))));
    }
    Ok(())
}

async fn send_one(client: &Client, shared: &Arc<Shared>, p: &Plan, password: &SecretString, u: &UnitRow) -> Sent {
    let plan = unit_plan(p, u, password.clone());
    let scope = plan.scope.clone();
    // The journal says `sent` before the request's last byte leaves, and keeps v8's own session id.
    let hooks = {
        let (gate_shared, seq) = (shared.clone(), u.seq);
        let acc_shared = shared.clone();
        RestoreHooks {
            before_last_byte: Some(Arc::new(move || {
                let sh = gate_shared.clone();
                Box::pin(async move {
                    tokio::task::spawn_blocking(move || sh.journal().sent(&sh.batch, seq))
                        .await
                        .map_err(|e| e.to_string())?
                })
            })),
            accepted: Some(Arc::new(move |rs: &str| {
                if let Err(e) = acc_shared.journal().accepted(&acc_shared.batch, seq, rs) {
                    tracing::error!(error = %e, "cannot journal a restore's session id");
                }
            })),
        }
    };
    let body = match &u.target_mailbox {
        None => plan.to_original_request().map(Err),
        Some(_) => plan.to_request().map(Ok),
    };
    let r = match &body {
        Ok(Ok(req)) => {
            client
                .restore_with(&p.session, &u.mailbox_id, &scope, Ok(req), &|_| {}, &hooks)
                .await
        }
        Ok(Err(req)) => {
            client
                .restore_with(&p.session, &u.mailbox_id, &scope, Err(req), &|_| {}, &hooks)
                .await
        }
        Err(e) => return Sent::Failed(e.to_string()),
    };
    match r {
        Ok(o) => Sent::Done(o),
        Err(e) => not_done(e),
    }
}

/// What an error of a restore request means for its restores.
fn not_done(e: ApiError) -> Sent {
    match e {
        ApiError::OutcomeUnknown(m) => Sent::Unknown(m),
        // Refused before processing: throttled (the client already waited out Retry-After), the server's
        // own failure (500: a VB365 server answers its own failures before running anything), or no
        // connection at all (the client reports a write that may have left as OutcomeUnknown).
        e @ ApiError::Http { status: 429, .. } => Sent::Again(e.to_string(), true),
        e @ (ApiError::Http { status: 500, .. } | ApiError::Network(_) | ApiError::Timeout(_)) => {
            Sent::Again(e.to_string(), false)
        }
        e => Sent::Failed(e.to_string()),
    }
}

/// The body of one bulk request: its mailboxes, every flag as the plan says (all seven sent, so the server's
/// defaults play no part), the plan's account under the bulk body's names.
fn bulk_request(p: &Plan, units: &[UnitRow], password: &SecretString) -> BulkRestoreRequest {
    let f = &p.flags;
    BulkRestoreRequest {
        mailboxes: Some(
            units
                .iter()
                .map(|u| BulkMailbox {
                    id: Some(u.mailbox_id.clone()),
                    email: Some(u.mailbox.clone()).filter(|e| e.contains('@')),
                    ..Default::default()
                })
                .collect(),
        ),
        changed_items: Some(f.changed_items),
        deleted_items: Some(f.deleted_items),
        mark_restored_as_unread: Some(f.mark_restored_as_unread),
        exclude_drafts: Some(f.exclude_drafts),
        exclude_deleted_items: Some(f.exclude_deleted_items),
        exclude_in_place_hold_items: Some(f.exclude_in_place_hold_items),
        exclude_litigation_hold_items: Some(f.exclude_litigation_hold_items),
        office365_user_name: Some(p.credentials.user.clone()),
        office365_user_password: Some(password.clone()),
        ..Default::default()
    }
}

/// One mailbox's part of a bulk answer. Counts: done. No counts, or not named at all: unknown (settled
/// from the session's events, never resent), unless the whole request failed naming no mailbox.
fn bulk_part(o: &BulkOutcome, u: &UnitRow) -> Sent {
    let m = o
        .of(&u.mailbox_id, &u.mailbox, false)
        .or_else(|| o.of(&u.mailbox_id, &u.mailbox, true));
    match m {
        Some(m) => match &m.outcome {
            Some(out) => {
                let mut out = out.clone();
                if let Some(e) = &m.error
                    && !out.exceptions.contains(e)
                {
                    out.exceptions.push(e.clone());
                }
                Sent::Done(out)
            }
            None => Sent::Unknown(format!(
                "the bulk restore's answer holds no counts for this mailbox (status {}{})",
                m.status.as_deref().unwrap_or("none"),
                m.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
            )),
        },
        None if o.mailboxes.is_empty() && o.status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("Failed")) => {
            Sent::Failed(format!(
                "the bulk restore failed: {}",
                o.error.as_deref().unwrap_or("the server gave no reason")
            ))
        }
        None => Sent::Unknown("the bulk restore's answer does not name this mailbox".into()),
    }
}

/// Sends one bulk request for `units` (rows already `sending`): `sent` for all of them before its last
/// byte, v8's session id for all of them as soon as the server answers it, then each mailbox's outcome.
async fn send_bulk(
    client: &Client,
    shared: &Arc<Shared>,
    p: &Plan,
    password: &SecretString,
    units: &[UnitRow],
) -> Vec<(UnitRow, Sent)> {
    let seqs: Vec<i64> = units.iter().map(|u| u.seq).collect();
    let hooks = {
        let (gate_shared, gate_seqs) = (shared.clone(), seqs.clone());
        let (acc_shared, acc_seqs) = (shared.clone(), seqs.clone());
        RestoreHooks {
            before_last_byte: Some(Arc::new(move || {
                let (sh, seqs) = (gate_shared.clone(), gate_seqs.clone());
                Box::pin(async move {
                    tokio::task::spawn_blocking(move || sh.journal().sent_many(&sh.batch, &seqs))
                        .await
                        .map_err(|e| e.to_string())?
                })
            })),
            accepted: Some(Arc::new(move |rs: &str| {
                if let Err(e) = acc_shared.journal().accepted_many(&acc_shared.batch, &acc_seqs, rs) {
                    tracing::error!(error = %e, "cannot journal a bulk restore's session id");
                }
            })),
        }
    };
    let req = bulk_request(p, units, password);
    match client.restore_mailboxes(&p.session, &req, &|_| {}, &hooks).await {
        Ok(o) => units.iter().map(|u| (u.clone(), bulk_part(&o, u))).collect(),
        Err(e) => {
            let s = not_done(e);
            units.iter().map(|u| (u.clone(), s.clone())).collect()
        }
    }
}

async fn send_all(
    client: &Client,
    shared: &Arc<Shared>,
    p: &Plan,
    creds: &SecretString,
    units: Vec<UnitRow>,
    concurrency: usize,
    sent_this_run: &mut HashMap<i64, u32>,
) -> Result<(), BatchError> {
    let all = shared.journal().units(&shared.batch).map_err(BatchError::Journal)?;
    let groups = bulk_groups(&all);
    let total_units = all.len();
    let mut done_count = all.iter().filter(|u| u.state == DONE).count();
    let mut queue: std::collections::VecDeque<UnitRow> = units.into();
    // Signatures of restores in flight, or whose answer is unknown: another restore the events could
    // not tell apart from one of them waits.
    let mut busy: HashSet<String> = all
        .into_iter()
        .filter(|u| u.state == UNKNOWN || u.state == SENDING || u.state == SENT)
        .map(|u| u.signature)
        .collect();
    // Signatures of the restores sent by this run whose answer has not come yet.
    let mut in_flight: HashSet<String> = HashSet::new();
    let mut set: tokio::task::JoinSet<Vec<(UnitRow, Sent)>> = tokio::task::JoinSet::new();
    let mut backoff = Duration::ZERO;
    let mut throttled = 0u32;
    loop {
        while set.len() < concurrency {
            // A bulk request goes whole, as the dry run named it: while one of its waiting mailboxes has a
            // twin in flight (its archive or primary, sent in another request), the request waits for that
            // answer rather than going without it and sending it later alone. (A twin busy for good — an
            // answer lost, settled from the events later — still leaves it out.)
            let whole = |u: &UnitRow| match bulk_of(&groups, u.seq) {
                Some(g) => queue
                    .iter()
                    .all(|q| bulk_of(&groups, q.seq) != Some(g) || !in_flight.contains(&q.signature)),
                None => true,
            };
            let Some(pos) = queue.iter().position(|u| !busy.contains(&u.signature) && whole(u)) else {
                break;
            };
            let Some(u) = queue.remove(pos) else { break };
            // A whole mailbox to its original location goes with the other restores of its bulk request
            // that are waiting and not busy (the rest of the request may be done already, or refused).
            let mut job = vec![u];
            if let Some(g) = bulk_of(&groups, job[0].seq) {
                let mut i = 0;
                while i < queue.len() {
                    if bulk_of(&groups, queue[i].seq) == Some(g) && !busy.contains(&queue[i].signature) {
                        job.extend(queue.remove(i));
                    } else {
                        i += 1;
                    }
                }
            }
            if !backoff.is_zero() {
                tokio::time::sleep(backoff).await;
            }
            // The server asked to wait (429, Retry-After): no new restore before that moment. Those
            // already sent wait out their own Retry-After in the client and are sent again then.
            while let Some(until) = client.throttled_until() {
                tokio::time::sleep_until(until.into()).await;
            }
            // The rows say `sending` on disk before the request exists.
            let bulk = bulk_of(&groups, job[0].seq);
            if bulk.is_some() {
                shared.sending_many(&job, &crate::audit::now_rfc3339())?;
                (shared.progress)(format!(
                    "bulk request {} (mailboxes/restore): {} mailboxes",
                    bulk.unwrap_or_default(),
                    job.len()
                ));
            } else {
                shared.sending(&job[0], &crate::audit::now_rfc3339())?;
            }
            for u in &job {
                let note = bulk.map(|b| format!("bulk request {b} of {} mailboxes (mailboxes/restore)", job.len()));
                shared.audit("batch-restore", Some(u), "sent", note);
                *sent_this_run.entry(u.seq).or_default() += 1;
                busy.insert(u.signature.clone());
                in_flight.insert(u.signature.clone());
            }
            let (client, shared, p, creds) = (client.clone(), shared.clone(), p.clone(), creds.clone());
            set.spawn(async move {
                if bulk.is_some() {
                    send_bulk(&client, &shared, &p, &creds, &job).await
                } else {
                    let mut job = job;
                    let u = job.remove(0);
                    let r = send_one(&client, &shared, &p, &creds, &u).await;
                    vec![(u, r)]
                }
            });
        }
        let Some(joined) = set.join_next().await else { break };
        let answers = joined.map_err(|e| BatchError::Other(format!("a restore task failed: {e}")))?;
        for (u, r) in answers {
            in_flight.remove(&u.signature);
            match r {
                Sent::Done(o) => {
                    busy.remove(&u.signature);
                    throttled = 0;
                    backoff = Duration::ZERO;
                    let mut note = o.exceptions.join(" | ");
                    if let Some(c) = &o.cannot_continue_error {
                        note = format!("{c} {note}");
                    }
                    let note = Some(crate::api::error::one_line(&note, 300)).filter(|n| !n.trim().is_empty());
                    shared.done(&u, counts_of(&o), "answer", note.as_deref())?;
                    let mut row = u.clone();
                    (row.created, row.merged, row.skipped, row.failed) =
                        (Some(o.created), Some(o.merged), Some(o.skipped), Some(o.failed));
                    shared.audit(
                        "batch-restore",
                        Some(&row),
                        if o.has_problems() { "partial" } else { "ok" },
                        note,
                    );
                    done_count += 1;
                    let done = done_count;
                    (shared.progress)(format!(
                        "[{done}/{total_units}] {}: {}",
                        unit_label(&u),
                        counts_text(&o)
                    ));
                }
                Sent::Again(why, throttle) => {
                    busy.remove(&u.signature);
                    shared.state(&u, PLANNED, Some(&why))?;
                    shared.audit("batch-restore", Some(&u), "not-run", Some(why.clone()));
                    if throttle {
                        throttled += 1;
                        backoff = Duration::from_millis(500 * 2u64.pow(throttled.min(6)));
                    } else {
                        backoff = Duration::from_millis(250);
                    }
                    (shared.progress)(format!(
                        "{}: refused before it ran ({why}); sent again later",
                        unit_label(&u)
                    ));
                    if sent_this_run.get(&u.seq).copied().unwrap_or(0) < MAX_ATTEMPTS_PER_RUN {
                        queue.push_back(u);
                    }
                }
                Sent::Failed(why) => {
                    busy.remove(&u.signature);
                    shared.state(&u, FAILED, Some(&why))?;
                    shared.audit("batch-restore", Some(&u), "failed", Some(why.clone()));
                    (shared.progress)(format!("{}: failed: {why}", unit_label(&u)));
                }
                Sent::Unknown(why) => {
                    // Stays busy: nothing the events could confuse with it is sent until it is settled. Its
                    // state stays what the journal says (`sending`: its request never left whole; `sent`).
                    shared
                        .journal()
                        .message(&shared.batch, u.seq, &why)
                        .map_err(BatchError::Journal)?;
                    shared.audit("batch-restore", Some(&u), "unknown", Some(why.clone()));
                    (shared.progress)(format!(
                        "{}: the answer was lost ({why}); it will be settled from the session's events",
                        unit_label(&u)
                    ));
                }
            }
        }
    }
    Ok(())
}
