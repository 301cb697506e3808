//! Requests as data. A pane or dialog asks with [`Requests::ask`]: it names itself ([`To`]) and the
//! call ([`Call`]), gets a [`Request`] `{ id, call }` to hand to the runtime, and keeps the id if it wants
//! to know what it waits for. The runtime runs any call with one function and sends back an [`Answer`]
//! `{ id, result }`. [`Requests`] is the one map from request id to whoever asked; an answer goes to
//! them ([`on_answer`]) and nowhere else.
//!
//! Staleness is decided here and only here: an answer whose id is no longer in the map is dropped.
//! After every update the map keeps only the ids their askers still wait for ([`State::waits`]): a
//! pane that closed, reloaded or moved on lets go of its old ids, and the runtime aborts the reads
//! whose ids left the map (nobody would read their answers).
//!
//! To add a background read, touch:
//! 1. [`Call`]: its variant (the parameters);
//! 2. [`Call::class`]: read (with the slot a newer one of it replaces while waiting for a login) or write;
//! 3. [`Response`]: a variant, only when its answer is of a type no other call answers with;
//! 4. `runtime::effects::Runner::run`: the arm that calls the client;
//! 5. `tests/support/fake.rs` `answer`: the arm of the fakes' one table (with a `Data` method when the
//!    fakes need new data for it);
//! 6. the pane or dialog that asks for it (`requests.ask(To::Pane(PaneAsk::…), Call::…)`);
//! 7. what it asked for, in the asker's own words: a [`PaneAsk`] (or the items pane's `ItemsAsk`,
//!    a [`DialogAsk`]) variant;
//! 8. the asker's `waits` arm (whether it still waits for that id: `Pane::waits`, `Overlay::waits`);
//! 9. the asker's `on_answer` arm (`Pane::on_answer`, `Overlay::on_answer`): it takes the answer and
//!    says what the status line makes of it ([`super::panes::Heard`]).
//!
//! That is 9 places (8 when the answer's type exists already) in 4 files (this one, the runner, the
//! fake, the asker's); no central file routes answers by type (see `on_answer`: the map names the
//! asker, and `app::answered` hands the answer to it). A read a pane starts from a key or a reload
//! adds one arm in that pane's own [`Pane::on_action`](super::panes::Pane::on_action) or
//! [`Pane::refresh`](super::panes::Pane::refresh): 10 places, still in 4 files (before the panes owned
//! their keys that arm was in `app::on_action`'s `match state.focus` or `app::refresh`: 10 places in 5
//! files). Adding the first request of a new pane adds its `PaneAsk` variant and its arm in
//! `PaneAsk::level`, `State::pane`/`pane_mut`/`with_focused` and `app::prefetch`'s list of panes.
//!
//! Before requests were data a new read touched twelve places: the `Effect`, `Loaded` and `Slot` variants,
//! `Effect::slot`, `Effect::read_generation`, `State::awaits` and the `on_loaded` arm in app/mod.rs,
//! `run_effect` and `failed` in runtime.rs, the pane that sends it, and the two fakes
//! (tests/support/fake.rs, benches/support/fixture.rs).

use super::jobs::AuditTicket;
use super::panes::items::ItemsAsk;
use super::panes::login::{LoggedIn, LoginTarget};
use super::panes::search_prompt::SearchTarget;
use super::panes::transfer_dialog::TransferKind;
use super::{Level, State};
use crate::api::models::{
    DeviceCode, DeviceCodeRequest, ExploreOptions, Folder, Item, Mailbox, Organization, Page, RestoreOutcome,
    RestoreSession, SendToDifferentAddressOptions, SessionEvent,
};
use crate::api::points::NamedPoints;
use crate::api::{ApiError, DownloadProgress, RestoreProgress, RestoreScope};
use crate::restore_plan::RestorePlan;
use std::collections::HashMap;
use std::path::PathBuf;

/// A request's id: handed out once (never reused), it is also the generation a pane waits for.
pub type RequestId = u64;

/// A request for the runtime: run `call`, answer with the same `id`.
#[derive(Clone, Debug)]
pub struct Request {
    pub id: RequestId,
    pub call: Call,
}

/// Every background call of the browser.
#[derive(Clone, Debug)]
pub enum Call {
    /// A page of restore sessions (newest first on v8).
    Sessions {
        offset: u64,
        limit: u32,
    },
    Mailboxes {
        session_id: String,
        offset: u64,
        limit: u32,
    },
    /// Root folders (`parent: None`) or the children of a folder.
    Folders {
        session_id: String,
        mailbox_id: String,
        parent: Option<String>,
    },
    ItemsPage {
        session_id: String,
        mailbox_id: String,
        folder_id: String,
        offset: u64,
        limit: u32,
    },
    CountItems {
        session_id: String,
        mailbox_id: String,
        folder_id: String,
    },
    Item {
        session_id: String,
        mailbox_id: String,
        item_id: String,
    },
    /// An item's MSG file (its save endpoint), at most `max_bytes`, parsed in the task for its preview.
    /// Each call may add a Save event to the restore session: never retried, asked once per item.
    Preview {
        session_id: String,
        mailbox_id: String,
        item_id: String,
        max_bytes: u64,
    },
    Organizations,
    /// A page of an organization's restore points, newest first, with the names of their jobs and
    /// repositories (those not in `known_names`: the dialog has them from earlier pages).
    RestorePoints {
        organization_id: String,
        offset: u64,
        limit: u32,
        known_names: Vec<String>,
    },
    /// Starts a restore session.
    Explore {
        organization_id: String,
        options: ExploreOptions,
        /// Where vex writes down the session's point in time once it is started (the state dir).
        remember: Option<Box<RememberPoint>>,
    },
    StopSession {
        session_id: String,
    },
    /// Logs in (`Debug` shows no password). `reconnect`: the operator chose another server or API
    /// version on the first login screen, so the runtime makes a new client for it first.
    Login {
        user: String,
        password: secrecy::SecretString,
        reconnect: Option<LoginTarget>,
    },
    /// A page of a server-side search (answered like an items page: the results fill the items pane).
    Search {
        session_id: String,
        target: SearchTarget,
        query: String,
        offset: u64,
        limit: u32,
    },
    /// Every mailbox of the session, for the names shown beside all-mailboxes search results.
    MailboxNames {
        session_id: String,
    },
    /// A folder's path from its mailbox's root, walked up through its parents (`app::folder_paths`);
    /// the walk stops at a folder whose path `known` has (by id).
    FolderPath {
        session_id: String,
        mailbox_id: String,
        folder_id: String,
        known: HashMap<String, Vec<String>>,
    },
    /// `restoreTo` (or `restore` to the original location). Never aborted, never resent.
    Restore {
        session_id: String,
        mailbox_id: String,
        scope: RestoreScope,
        /// The request is built from it in the task (it reads the certificate file).
        plan: Box<RestorePlan>,
        original: bool,
        audit: Option<Box<AuditTicket>>,
    },
    DeviceCode {
        session_id: String,
        /// The target tenant and application the dialog names.
        request: DeviceCodeRequest,
    },
    /// A restore session's events.
    Events {
        session_id: String,
    },
    /// Root folders of the restore's target mailbox (suggestions).
    TargetFolders {
        session_id: String,
        mailbox_id: String,
    },
    /// Export to PST (`Pst`) or save as MSG (`Msg`) into `dest`.
    Download {
        kind: TransferKind,
        session_id: String,
        mailbox_id: String,
        scope: RestoreScope,
        item_ids: Vec<String>,
        dest: PathBuf,
        /// The file made inside `dest` when it is a directory (the dialog's default name).
        file_name: String,
        overwrite: bool,
        audit: Option<Box<AuditTicket>>,
    },
    Send {
        session_id: String,
        mailbox_id: String,
        item_ids: Vec<String>,
        /// `None`: the mailbox's own address.
        different: Option<Box<SendToDifferentAddressOptions>>,
        audit: Option<Box<AuditTicket>>,
    },
    /// The batch journal (`vex batch`'s, in the state directory): every batch and its restores.
    BatchJournal {
        path: PathBuf,
    },
    /// Reads a batch plan file, checks it and resolves it against the server (reads only): the dry run.
    BatchResolve {
        path: PathBuf,
    },
    /// Runs a batch to its end (journalled, exactly once; see `crate::batch`). Progress answers carry
    /// the journal's rows as they change. Never aborted, never resent.
    Batch(Box<BatchJob>),
}

/// A batch to run: the plan, its resolved restores, and what the run needs. `Debug` shows no password.
#[derive(Clone, Debug)]
pub struct BatchJob {
    pub plan: crate::batch::plan::Plan,
    pub resolved: crate::batch::Resolved,
    /// The plan file (or what the marks were), for the journal and the audit log.
    pub plan_path: String,
    /// A batch from marks: the plan's text, written to `plan_path` (0600) before anything is sent, so
    /// that `vex batch` can resume it.
    pub plan_text: Option<String>,
    /// The Exchange password typed in the TUI; `None`: the plan's `password_command` is run by the task.
    pub password: Option<secrecy::SecretString>,
    pub journal: PathBuf,
    pub audit_log: Option<PathBuf>,
    pub concurrency: usize,
}

/// A batch of the journal with its restores.
#[derive(Clone, Debug)]
pub struct JournalBatch {
    pub batch: crate::batch::journal::BatchRow,
    pub units: Vec<crate::batch::journal::UnitRow>,
}

/// A plan file read and resolved: the plan and its restores, or its error (naming its line).
#[derive(Clone, Debug)]
pub struct ResolvedPlan {
    /// The file as the operator named it.
    pub path: String,
    pub outcome: Result<(crate::batch::plan::Plan, crate::batch::Resolved), String>,
}

/// A running batch's progress: its id, the journal's rows now, and the line `vex batch` would print.
#[derive(Clone, Debug)]
pub struct BatchProgress {
    pub batch: String,
    pub units: Vec<crate::batch::journal::UnitRow>,
    pub line: Option<String>,
}

/// How a batch's run ended: its report (the journal's rows), or the error that stopped it.
#[derive(Clone, Debug)]
pub struct BatchEnd {
    pub report: Option<crate::batch::RunReport>,
    pub error: Option<String>,
}

/// Where the runtime writes down the point in time of a session vex starts (a restore session resource
/// carries none; see `config::session_points`), and the restore point it was picked from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RememberPoint {
    pub file: PathBuf,
    pub restore_point_id: Option<String>,
}

/// What kind of call: how it is treated when it is superseded, or when the session expires under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Class {
    /// A read. Aborted once nobody waits for it; held while the login screen is up and sent again after
    /// the login (a newer one of the same slot replaces a held one).
    Read(Slot),
    /// A write that is held for the login like a read, and sent once after it (it failed before the
    /// server did anything: the session was gone). Never aborted.
    Write,
    /// A write that is sent once and never again (restores, exports, sends, device codes): not held for
    /// the login, never aborted; when the session expires under it its failure is reported as it is.
    Once,
    /// The login itself: goes out while the login screen is up.
    Login,
}

/// Reads that replace each other while held for the login.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    Sessions,
    Mailboxes,
    Folders(Option<String>),
    ItemsPage,
    CountItems,
    Item,
    Preview,
    Organizations,
    RestorePoints,
    MailboxNames,
    FolderPath,
    Events,
    TargetFolders,
    BatchJournal,
    BatchResolve,
}

impl Call {
    pub fn class(&self) -> Class {
        Class::Read(match self {
            Call::Sessions { .. } => Slot::Sessions,
            Call::Mailboxes { .. } => Slot::Mailboxes,
            Call::Folders { parent, .. } => Slot::Folders(parent.clone()),
            Call::ItemsPage { .. } | Call::Search { .. } => Slot::ItemsPage,
            Call::CountItems { .. } => Slot::CountItems,
            Call::Item { .. } => Slot::Item,
            Call::Preview { .. } => Slot::Preview,
            Call::Organizations => Slot::Organizations,
            Call::RestorePoints { .. } => Slot::RestorePoints,
            Call::MailboxNames { .. } => Slot::MailboxNames,
            Call::FolderPath { .. } => Slot::FolderPath,
            Call::Events { .. } => Slot::Events,
            Call::TargetFolders { .. } => Slot::TargetFolders,
            Call::BatchJournal { .. } => Slot::BatchJournal,
            Call::BatchResolve { .. } => Slot::BatchResolve,
            Call::Explore { .. } | Call::StopSession { .. } => return Class::Write,
            Call::Restore { .. }
            | Call::DeviceCode { .. }
            | Call::Download { .. }
            | Call::Send { .. }
            | Call::Batch(_) => {
                return Class::Once;
            }
            Call::Login { .. } => return Class::Login,
        })
    }

    pub fn is_read(&self) -> bool {
        matches!(self.class(), Class::Read(_))
    }
}

/// The answer to a request: `Err` when the call failed before it had anything to say (a read's error,
/// or the task died). A job's write answers `Ok` with its own result and how its audit record went.
#[derive(Debug)]
pub struct Answer {
    pub id: RequestId,
    pub result: Result<Response, ApiError>,
}

/// A write's result and whether its audit record could be written.
#[derive(Debug)]
pub struct Written<T> {
    pub result: Result<T, ApiError>,
    pub audit_error: Option<crate::audit::AuditError>,
}

/// What an export or a save wrote.
#[derive(Debug)]
pub struct Saved {
    /// The file written (as the operator named it, `~` expanded).
    pub path: PathBuf,
    pub bytes: u64,
}

macro_rules! responses {
    ($($(#[$m:meta])* $v:ident($t:ty),)*) => {
        /// What a call answers with, one variant per type of answer (calls that answer alike share one).
        #[derive(Debug)]
        pub enum Response {
            $($(#[$m])* $v($t),)*
        }

        impl Response {
            /// The variant's name (for the message of an answer of the wrong kind).
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Response::$v(_) => stringify!($v),)*
                }
            }
        }

        $(impl TryFrom<Response> for $t {
            type Error = Response;
            fn try_from(r: Response) -> Result<$t, Response> {
                match r {
                    Response::$v(v) => Ok(v),
                    other => Err(other),
                }
            }
        })*
    };
}

responses! {
    Sessions(Vec<RestoreSession>),
    /// Mailboxes (a page, or all of them for the names).
    Mailboxes(Vec<Mailbox>),
    /// Folders (a folder's children, the roots, or the restore's target folders).
    Folders(Vec<Folder>),
    /// A page of items or of search results.
    Items(Page<Item>),
    Count(u64),
    Item(Item),
    /// What an item's MSG file shows (body, recipients, attachments), sanitised.
    Preview(Box<crate::msg::Preview>),
    /// The paths of the folders a walk fetched, the asked one's first.
    FolderPaths(Vec<crate::api::folder_path::FolderPath>),
    Organizations(Vec<Organization>),
    RestorePoints(NamedPoints),
    /// The restore session started.
    Session(RestoreSession),
    /// Done, nothing to say (a session stopped).
    Done(()),
    LoggedIn(LoggedIn),
    DeviceCode(DeviceCode),
    Events(Vec<SessionEvent>),
    /// v8 restores: the counts so far (the restore's answer follows).
    RestoreProgress(RestoreProgress),
    Restored(Written<RestoreOutcome>),
    /// Downloads: the bytes so far (the download's answer follows).
    DownloadProgress(DownloadProgress),
    Downloaded(Written<Saved>),
    Sent(Written<()>),
    /// The batch journal.
    BatchJournal(Vec<JournalBatch>),
    /// A plan file read and resolved (the dry run).
    BatchPlan(Box<ResolvedPlan>),
    /// A running batch's progress (its answer follows).
    BatchProgress(BatchProgress),
    BatchEnded(BatchEnd),
}

impl Response {
    /// Progress: more answers to the same request follow.
    pub fn is_progress(&self) -> bool {
        matches!(
            self,
            Response::RestoreProgress(_) | Response::DownloadProgress(_) | Response::BatchProgress(_)
        )
    }
}

/// The answer as the type its asker expects (an answer of another kind is an internal error).
pub fn take<T: TryFrom<Response, Error = Response>>(result: Result<Response, ApiError>) -> Result<T, ApiError> {
    result.and_then(|r| {
        T::try_from(r).map_err(|other| {
            ApiError::Config(format!(
                "internal error: an answer of the wrong kind ({})",
                other.kind()
            ))
        })
    })
}

/// Who asked: where the answer goes (`on_answer` hands it to that asker's `on_answer`). Some carry
/// what the asker needs to place the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum To {
    /// A pane of the browser ([`super::panes::Pane::on_answer`]).
    Pane(PaneAsk),
    /// A dialog ([`super::Overlay::on_answer`]).
    Dialog(DialogAsk),
    /// A restore, export or send (its id is the job's; `jobs::on_job_answer`).
    Job,
    /// The login screen.
    Login,
    /// The preview of the item whose details are shown (or under the items cursor): the previews of
    /// the run are the state's (`panes::preview::on_answer`).
    Preview,
    /// The walk up to the path of a folder on screen: the paths of the run are the state's
    /// (`folder_paths::on_answer`).
    FolderPath,
    /// Starting and stopping restore sessions (`n`, `x`, quitting): the browser's own requests.
    Session(SessionAsk),
    /// The running batch (`panes::batch::on_run_answer`): the state's, not the view's, so it runs on
    /// when the view closes.
    Batch,
}

/// What a pane asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaneAsk {
    Sessions {
        offset: u64,
    },
    Mailboxes {
        offset: u64,
    },
    Folders {
        parent: Option<String>,
    },
    /// The items pane asks for several things (its own enum, so a new one touches only its file).
    Items(ItemsAsk),
    Details,
}

impl PaneAsk {
    /// The pane that asked.
    pub fn level(&self) -> Level {
        match self {
            PaneAsk::Sessions { .. } => Level::Sessions,
            PaneAsk::Mailboxes { .. } => Level::Mailboxes,
            PaneAsk::Folders { .. } => Level::Folders,
            PaneAsk::Items(_) => Level::Items,
            PaneAsk::Details => Level::Details,
        }
    }
}

/// What a dialog asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DialogAsk {
    /// The new-session dialog's organizations.
    Organizations,
    /// The new-session dialog's restore points (a page from `offset`).
    RestorePoints { offset: u64 },
    /// The restore dialog's device code.
    DeviceCode,
    /// The restore dialog's target folders.
    TargetFolders,
    /// The events view.
    Events,
    /// The batch view's journal.
    BatchJournal,
    /// The batch view's plan file (read and resolved).
    BatchPlan,
}

/// The browser's own requests about restore sessions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionAsk {
    /// Starting a restore session (`n`).
    Explore,
    /// Stopping a session (`x`).
    Stop { session_id: String },
    /// Stopping a session vex started, on the way out.
    StopOnQuit { session_id: String },
}

/// Hands out request ids (never reused) and keeps the one map from the ids in flight to whoever asked.
#[derive(Clone, Debug, Default)]
pub struct Requests {
    last: RequestId,
    asked: HashMap<RequestId, To>,
}

impl Requests {
    /// A new request of `to` for `call`, remembered until it is answered or `to` no longer waits for it.
    pub fn ask(&mut self, to: To, call: Call) -> Request {
        self.last += 1;
        self.asked.insert(self.last, to);
        Request { id: self.last, call }
    }

    /// Whether someone still waits for the answer to `id` (the runtime aborts the reads nobody waits for).
    pub fn waits_for(&self, id: RequestId) -> bool {
        self.asked.contains_key(&id)
    }

    /// Who asked `id`, if anyone still waits for it.
    pub fn asker(&self, id: RequestId) -> Option<&To> {
        self.asked.get(&id)
    }

    /// Requests in flight.
    pub fn len(&self) -> usize {
        self.asked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.asked.is_empty()
    }
}

impl State {
    /// Whether `to` still waits for the answer to `id` (false once the operator closed the pane, moved
    /// to another mailbox or reloaded: a newer request supersedes the older). Liberal: a dialog behind
    /// another one still waits; its answer handler decides what it takes.
    pub fn waits(&self, to: &To, id: RequestId) -> bool {
        match to {
            To::Pane(ask) => self.pane(ask.level()).is_some_and(|p| p.waits(ask, id)),
            To::Dialog(ask) => self.overlay.as_ref().is_some_and(|o| o.waits(ask, id)),
            To::Preview => self.previews.loading.as_ref().is_some_and(|(g, _)| *g == id),
            To::FolderPath => self.folder_paths.loading.as_ref().is_some_and(|(g, _)| *g == id),
            To::Job => self.jobs.get(id).is_some(),
            To::Login => self.login.as_ref().is_some_and(|l| l.submitting == Some(id)),
            To::Session(SessionAsk::Explore) => self.pending_explore == Some(id),
            To::Session(SessionAsk::Stop { .. }) => self.pending_stop.as_ref().is_some_and(|(g, _)| *g == id),
            To::Session(SessionAsk::StopOnQuit { .. }) => {
                self.quitting.as_ref().is_some_and(|q| q.waiting.contains(&id))
            }
            To::Batch => self.batches.running == Some(id),
        }
    }

    /// Lets go of the requests nobody waits for any more (run after every update).
    pub(super) fn forget_unawaited(&mut self) {
        let mut asked = std::mem::take(&mut self.requests.asked);
        asked.retain(|id, to| self.waits(to, *id));
        self.requests.asked = asked;
    }
}

/// Takes an answer: to whoever asked, when they still wait for it (the one staleness check); dropped
/// otherwise. False when nothing changed.
pub(super) fn on_answer(state: &mut State, answer: Answer, fx: &mut Vec<super::Effect>) -> bool {
    let Answer { id, result } = answer;
    let more = matches!(&result, Ok(r) if r.is_progress());
    let to = if more {
        state.requests.asked.get(&id).cloned()
    } else {
        state.requests.asked.remove(&id)
    };
    let Some(to) = to else { return false };
    super::answered(state, id, to, result, fx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::panes::details::DetailsPane;
    use crate::app::panes::items::ListKey;
    use crate::app::{HeaderInfo, Msg, update};

    fn session(id: &str) -> RestoreSession {
        serde_json::from_value(serde_json::json!({"id": id, "organization": "contoso"})).expect("session")
    }

    fn item(id: &str, subject: &str) -> Item {
        serde_json::from_value(serde_json::json!({"id": id, "itemClass": "IPM.Note", "subject": subject}))
            .expect("item")
    }

    fn answer(state: &mut State, id: RequestId, r: Response) -> Vec<super::super::Effect> {
        update(state, Msg::Answer(Answer { id, result: Ok(r) }))
    }

    /// The one staleness check: an answer whose request was superseded is dropped by the map before any
    /// pane sees it (the panes no longer compare generations themselves).
    #[test]
    fn stale_answers_are_dropped_by_the_map() {
        let mut state = State::new(HeaderInfo::default());
        let first = update(&mut state, Msg::Start)[0]
            .request()
            .map(|r| r.id)
            .expect("a request");
        let second = state
            .sessions
            .reload(&mut state.requests)
            .request()
            .map(|r| r.id)
            .expect("a request");
        state.forget_unawaited();
        assert!(!state.requests.waits_for(first), "superseded");
        state.dirty = false;
        answer(&mut state, first, Response::Sessions(vec![session("stale")]));
        assert!(state.sessions.list.rows.is_empty(), "stale generation is dropped");
        assert_eq!(state.sessions.list.loading, Some(second));
        assert!(!state.dirty, "nothing changed");
        answer(&mut state, second, Response::Sessions(vec![session("fresh")]));
        assert_eq!(state.sessions.list.rows.len(), 1);
        assert_eq!(state.sessions.list.loading, None);

        // The details pane: a reload supersedes the first single-item request.
        let key = ListKey {
            session_id: "s".into(),
            mailbox_id: "m".into(),
            folder_id: "f".into(),
        };
        let mut d = DetailsPane::new(key, item("a", "listed"));
        let first = d
            .reload(&mut state.requests)
            .request()
            .map(|r| r.id)
            .expect("a request");
        let second = d
            .reload(&mut state.requests)
            .request()
            .map(|r| r.id)
            .expect("a request");
        state.details = Some(d);
        state.forget_unawaited();
        answer(&mut state, first, Response::Item(item("a", "stale")));
        let d = state.details.as_ref().expect("details");
        assert_eq!(d.item.title(), Some("listed"), "stale generation");
        assert_eq!(d.loading, Some(second));
        answer(&mut state, second, Response::Item(item("a", "full")));
        assert_eq!(state.details.as_ref().and_then(|d| d.item.title()), Some("full"));
    }
}
