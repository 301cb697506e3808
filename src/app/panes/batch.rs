//! The batch view (`B`, issue 18): the batches of the journal (the one `vex batch` writes in the state
//! directory) and the one this run started, with progress per source and overall and each source's
//! outcome (created / merged / skipped / failed, restores refused, unknown, not sent).
//!
//! A batch starts from the view in one of two ways, and nothing is sent before the operator has seen
//! the dry run and chosen **Run** (the default is Cancel):
//! - `p`: a plan file (the same TOML as `vex batch`). It is read, checked and resolved against the
//!   server in a task (reads only); an error names its line and nothing is sent.
//! - `M`: the marks of the open restore session: items marked (Space) and folders marked whole (`*`) in
//!   more than one mailbox become one batch, one source per mailbox, to the original location or to a
//!   mailbox with a folder pattern (`Restored/{mailbox}/{folder}`). The restore dialog's last target,
//!   account and flags are offered; the password is typed into a masked field and lives only in memory
//!   until the batch's task has sent its restores.
//!
//! The batch runs as a background task ([`Call::Batch`]: one long request whose progress answers carry
//! the journal's rows, like a v8 restore's progress; see `runtime::effects::batch`). The UI never awaits
//! it; the view can be closed and opened again while it runs. One batch at a time.

use super::{Heard, Help};
use crate::api::ApiError;
use crate::app::dialogs::{AnswerCx, Dialog, DialogReply};
use crate::app::fields::{self, SecretField};
use crate::app::panes::items::ListKey;
use crate::app::request::{BatchJob, BatchProgress, DialogAsk, JournalBatch, ResolvedPlan, Response, take};
use crate::app::{Action, Call, Effect, Overlay, RequestId, State, To};
use crate::batch::Resolved;
use crate::batch::journal::{DONE, FAILED, PLANNED, UNKNOWN, UnitRow};
use crate::batch::plan::{CredentialMode, Items, Mailboxes, Marked, PasswordSource, Plan, Source, Target};
use crossterm::event::{KeyCode, KeyEvent};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use tui_input::Input;

pub const HELP: Help = &[
    (Action::Down, "down", "next batch"),
    (Action::Refresh, "reload", "read the journal again"),
    (Action::Back, "close", "close"),
];

/// Restores a batch started from the TUI sends at the same time (the default of `vex batch`).
pub const CONCURRENCY: usize = 2;

/// The folder pattern a batch from marks offers when it goes to another mailbox.
pub const DEFAULT_FOLDER: &str = "Restored/{mailbox}/{folder}";

// ---------------------------------------------------------------------------------------------------------
// What the view shows

/// One batch as the view shows it: from the journal, or the one this run started (kept current by its
/// progress).
#[derive(Clone, Debug, Default)]
pub struct BatchEntry {
    /// The journal's id (empty until the running batch's first progress says it).
    pub id: String,
    /// The plan file, or what the marks were (`marks in 3 mailboxes`).
    pub plan: String,
    pub session: String,
    /// When it was created (RFC 3339), as the journal says.
    pub created: String,
    pub units: Vec<UnitRow>,
    /// What each source is, by source index (a journal batch has none: the view says which mailboxes).
    pub sources: Vec<String>,
    pub running: bool,
    /// The last progress line of the running batch.
    pub last: Option<String>,
    /// Why the run stopped before its end (the server, the journal, the password command).
    pub error: Option<String>,
}

/// Counts of one source (or of the whole batch).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceRow {
    pub label: String,
    /// The plan's line (0: none; a batch from marks).
    pub line: i64,
    pub restores: usize,
    pub done: usize,
    /// Sent and not answered yet.
    pub sending: usize,
    /// Restores the server refused (no items restored).
    pub refused: usize,
    /// Restores whose outcome the session's events could not tell (never resent).
    pub unknown: usize,
    pub not_sent: usize,
    pub created: i64,
    pub merged: i64,
    pub skipped: i64,
    pub failed: i64,
}

impl SourceRow {
    fn add(&mut self, u: &UnitRow) {
        self.restores += 1;
        match u.state.as_str() {
            DONE => {
                self.done += 1;
                self.created += u.created.unwrap_or(0);
                self.merged += u.merged.unwrap_or(0);
                self.skipped += u.skipped.unwrap_or(0);
                self.failed += u.failed.unwrap_or(0);
            }
            FAILED => self.refused += 1,
            UNKNOWN => self.unknown += 1,
            PLANNED => self.not_sent += 1,
            _ => self.sending += 1,
        }
    }

    /// Restores that reached an end (done or refused).
    pub fn ended(&self) -> usize {
        self.done + self.refused
    }
}

impl BatchEntry {
    /// The sources with their counts, in the plan's order.
    pub fn sources(&self) -> Vec<SourceRow> {
        let mut by: BTreeMap<i64, SourceRow> = BTreeMap::new();
        let mut mailboxes: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
        for u in &self.units {
            let row = by.entry(u.source).or_default();
            row.line = u.source_line;
            row.add(u);
            let m = mailboxes.entry(u.source).or_default();
            if !m.contains(&u.mailbox.as_str()) {
                m.push(&u.mailbox);
            }
        }
        for (i, row) in by.iter_mut() {
            row.label = match self.sources.get(*i as usize) {
                Some(l) if !l.is_empty() => l.clone(),
                _ => {
                    // From the journal: which mailboxes it covered.
                    let m = mailboxes.get(i).map(Vec::as_slice).unwrap_or_default();
                    let first: Vec<&str> = m.iter().take(2).copied().collect();
                    let more = m.len().saturating_sub(first.len());
                    let mut s = format!("source {}: {}", i + 1, first.join(", "));
                    if more > 0 {
                        s.push_str(&format!(" and {} more", crate::text::thousands(more as u64)));
                    }
                    s
                }
            };
        }
        by.into_values().collect()
    }

    /// The whole batch's counts.
    pub fn totals(&self) -> SourceRow {
        let mut t = SourceRow {
            label: "all sources".into(),
            ..Default::default()
        };
        for u in &self.units {
            t.add(u);
        }
        t
    }

    /// How it stands, in a word.
    pub fn state_word(&self) -> &'static str {
        let t = self.totals();
        if self.running {
            "running"
        } else if t.unknown > 0 {
            "unknown"
        } else if t.not_sent + t.sending > 0 {
            if self.error.is_some() { "stopped" } else { "open" }
        } else if t.refused > 0 || t.failed > 0 {
            "partial"
        } else {
            "done"
        }
    }

    fn from_journal(j: JournalBatch) -> BatchEntry {
        BatchEntry {
            id: j.batch.id,
            plan: j.batch.plan_path,
            session: j.batch.session,
            created: j.batch.created,
            units: j.units,
            ..Default::default()
        }
    }
}

/// The batches of this run (in the state: the running one lives on when the view closes).
#[derive(Clone, Debug, Default)]
pub struct Batches {
    /// Batches started in this run, oldest first.
    pub runs: Vec<BatchEntry>,
    /// The batch request in flight.
    pub running: Option<RequestId>,
    /// `q` was pressed once while a batch ran.
    pub quit_warned: bool,
    /// The journal (`batches.sqlite` in the state directory); `None`: batches are not available.
    pub journal: Option<PathBuf>,
    /// The mailbox (as the batch names it: its address, else its name) and folder path of each marked
    /// list, noted when the list's marks are put aside (`State::stash_marks`).
    pub places: HashMap<ListKey, Place>,
}

/// Where a marked list is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub mailbox: String,
    /// `Inbox/Projects`.
    pub folder: String,
}

/// The view over the panes.
#[derive(Clone, Debug, Default)]
pub struct BatchView {
    pub cursor: usize,
    /// The journal as last read, newest first.
    pub journal: Vec<BatchEntry>,
    /// The journal read in flight.
    pub loading: Option<RequestId>,
    /// The journal could not be read.
    pub error: Option<String>,
    /// Starting a batch, over the view.
    pub start: Option<Start>,
}

/// The batches the view lists: this run's (newest first), then the journal's others (newest first).
pub fn entries<'a>(state: &'a State, v: &'a BatchView) -> Vec<&'a BatchEntry> {
    let mut out: Vec<&BatchEntry> = state.batches.runs.iter().rev().collect();
    for j in &v.journal {
        if !out.iter().any(|e| !e.id.is_empty() && e.id == j.id) {
            out.push(j);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------------------
// Starting

/// The steps of starting a batch.
#[derive(Clone, Debug)]
pub enum Start {
    /// The plan file's path.
    PlanPath {
        input: Input,
        /// The plan's error (with its line), or why it could not be read.
        error: Option<String>,
        /// The read and resolve in flight.
        resolving: Option<RequestId>,
    },
    /// Where the marks go and as whom.
    Marks(Box<MarksForm>),
    /// The dry run: what would be sent; **Run** sends it.
    Review(Box<Review>),
}

/// The fields of the marks' form, in Tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarksField {
    Original,
    Mailbox,
    Folder,
    User,
    Password,
}

#[derive(Clone, Debug)]
pub struct MarksForm {
    /// The marks, resolved into restores (without their target yet).
    pub session: String,
    pub sources: Vec<String>,
    pub units: Vec<UnitRow>,
    /// Marks of other sessions left out.
    pub other_sessions: usize,
    pub original: bool,
    pub mailbox: Input,
    pub folder: Input,
    pub user: Input,
    pub password: SecretField,
    pub flags: crate::restore_plan::RestoreFlags,
    pub field: MarksField,
    pub error: Option<(MarksField, String)>,
}

impl MarksForm {
    pub fn fields(&self) -> Vec<MarksField> {
        let mut v = vec![MarksField::Original];
        if !self.original {
            v.extend([MarksField::Mailbox, MarksField::Folder]);
        }
        v.extend([MarksField::User, MarksField::Password]);
        v
    }
}

/// The dry run of a batch, before anything is sent.
#[derive(Clone, Debug)]
pub struct Review {
    pub plan: Plan,
    pub resolved: Resolved,
    /// The plan file, or what the marks were.
    pub plan_path: String,
    /// A plan from marks: the file's text, written to `plan_path` when the batch runs.
    pub plan_text: Option<String>,
    /// The password, typed here (a plan with `prompt = true`) or in the marks' form.
    pub password: SecretField,
    /// The password field is shown (the plan asks for a prompt).
    pub ask_password: bool,
    /// The focus: 0 the password (when asked), then Cancel, Run.
    pub focus: ReviewFocus,
    pub error: Option<String>,
    /// First restore shown.
    pub top: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewFocus {
    Password,
    Cancel,
    Run,
}

impl Review {
    fn new(plan: Plan, resolved: Resolved, plan_path: String, password: SecretField) -> Review {
        let ask_password = matches!(plan.credentials.password, PasswordSource::Prompt) && password.is_empty();
        Review {
            plan,
            resolved,
            plan_path,
            plan_text: None,
            password,
            ask_password,
            focus: if ask_password {
                ReviewFocus::Password
            } else {
                ReviewFocus::Cancel
            },
            error: None,
            top: 0,
        }
    }

    fn focus_order(&self) -> Vec<ReviewFocus> {
        let mut v = Vec::new();
        if self.ask_password {
            v.push(ReviewFocus::Password);
        }
        v.extend([ReviewFocus::Cancel, ReviewFocus::Run]);
        v
    }
}

/// A count and its noun, agreed: `1 item`, `2,750 items`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", crate::text::thousands(n), if n == 1 { one } else { many })
}

/// The words of the dry run: one line per restore (`source → target`, items, endpoint).
pub fn unit_line(u: &UnitRow) -> (String, String, String) {
    let source = match &u.folder_path {
        Some(p) => format!("{}/{p}", u.mailbox),
        None => u.mailbox.clone(),
    };
    let what = match u.kind.as_str() {
        "items" => count(u.item_ids.len() as u64, "item", "items"),
        k => format!("whole {k}"),
    };
    let target = match &u.target_mailbox {
        None => "original location".to_string(),
        Some(t) => match &u.target_folder {
            Some(f) => format!("{t}/{f}"),
            None => t.clone(),
        },
    };
    (source, what, target)
}

// ---------------------------------------------------------------------------------------------------------
// Keys

/// `B`: opens the view and reads the journal.
pub fn open(state: &mut State, fx: &mut Vec<Effect>) {
    let mut v = BatchView::default();
    fx.extend(read_journal(state, &mut v));
    state.overlay = Some(Overlay::Batches(Box::new(v)));
}

fn read_journal(state: &mut State, v: &mut BatchView) -> Option<Effect> {
    let Some(path) = state.batches.journal.clone() else {
        v.error = Some("no state directory: the journal cannot be read".into());
        return None;
    };
    let r = state
        .requests
        .ask(To::Dialog(DialogAsk::BatchJournal), Call::BatchJournal { path });
    v.loading = Some(r.id);
    Some(Effect::Request(r))
}

impl Dialog for BatchView {
    fn on_key(&mut self, state: &mut State, ev: &KeyEvent, fx: &mut Vec<Effect>) -> DialogReply {
        if let Some(start) = self.start.take() {
            self.start = start_key(state, start, ev, fx);
            return DialogReply::Keep;
        }
        match ev.code {
            KeyCode::Char('p') if ev.modifiers.is_empty() => {
                self.start = Some(Start::PlanPath {
                    input: Input::default(),
                    error: None,
                    resolving: None,
                });
                return DialogReply::Keep;
            }
            // Resume the selected batch: its plan file read and resolved again, the dry run, Run (the
            // journal sends only what it has not applied).
            KeyCode::Enter if ev.modifiers.is_empty() => {
                let picked = entries(state, self)
                    .get(self.cursor)
                    .filter(|e| !e.running && e.state_word() != "done")
                    .map(|e| e.plan.clone());
                match picked {
                    Some(plan) if plan.ends_with(".toml") => {
                        self.start = Some(resolve_plan(state, Input::new(plan), fx));
                    }
                    Some(_) => state.info("this batch has no plan file to resume it from"),
                    None => state.info("nothing to resume: the batch is done or running"),
                }
                return DialogReply::Keep;
            }
            KeyCode::Char('M') => {
                match from_marks(state) {
                    Ok(form) => self.start = Some(Start::Marks(Box::new(form))),
                    Err(m) => state.info(m),
                }
                return DialogReply::Keep;
            }
            _ => {}
        }
        let Some(a) = state.keymap.lookup(ev) else {
            return DialogReply::Keep;
        };
        let n = entries(state, self).len() as u64;
        match a {
            Action::Back | Action::Quit | Action::Batches => return DialogReply::Close,
            Action::Refresh => fx.extend(read_journal(state, self)),
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::First | Action::Last => {
                self.cursor = crate::app::list::step(self.cursor as u64, n, a, state.dialog_page_rows()) as usize;
            }
            _ => {}
        }
        DialogReply::Keep
    }

    fn waits(&self, ask: &DialogAsk, id: RequestId) -> bool {
        match ask {
            DialogAsk::BatchJournal => self.loading == Some(id),
            DialogAsk::BatchPlan => self.resolving() == Some(id),
            _ => false,
        }
    }

    fn on_answer(&mut self, ask: DialogAsk, result: Result<Response, ApiError>, _cx: AnswerCx<'_>) -> Heard {
        match ask {
            DialogAsk::BatchJournal => self.on_journal(result),
            DialogAsk::BatchPlan => self.on_plan(result),
            _ => return Heard::Nothing,
        }
        Heard::Taken
    }

    fn busy(&self) -> bool {
        self.loading.is_some() || self.resolving().is_some()
    }
}

fn start_key(state: &mut State, start: Start, ev: &KeyEvent, fx: &mut Vec<Effect>) -> Option<Start> {
    match start {
        Start::PlanPath {
            mut input,
            error,
            resolving,
        } => match ev.code {
            KeyCode::Esc => None,
            // While the plan is read and resolved, only Esc (let go of it).
            _ if resolving.is_some() => Some(Start::PlanPath {
                input,
                error,
                resolving,
            }),
            KeyCode::Enter => {
                let path = input.value().trim().to_string();
                if path.is_empty() {
                    return Some(Start::PlanPath {
                        input,
                        error: Some("the plan file's path, e.g. ~/incident-4711.toml".into()),
                        resolving: None,
                    });
                }
                Some(resolve_plan(state, input, fx))
            }
            _ => {
                fields::edit(&mut input, ev);
                Some(Start::PlanPath {
                    input,
                    error,
                    resolving,
                })
            }
        },
        Start::Marks(mut f) => match marks_key(state, &mut f, ev) {
            Some(true) => Some(Start::Marks(f)),
            Some(false) => None,
            None => {
                // Enter: checked; the dry run next.
                match marks_plan(state, &f) {
                    Ok(review) => Some(Start::Review(Box::new(review))),
                    Err((field, m)) => {
                        f.field = field;
                        f.error = Some((field, m));
                        Some(Start::Marks(f))
                    }
                }
            }
        },
        Start::Review(mut r) => review_key(state, &mut r, ev, fx).then_some(Start::Review(r)),
    }
}

/// Reads and resolves the plan file named in `input` (the answer brings the dry run or the plan's error).
fn resolve_plan(state: &mut State, input: Input, fx: &mut Vec<Effect>) -> Start {
    let path = input.value().trim().to_string();
    let r = state.requests.ask(
        To::Dialog(DialogAsk::BatchPlan),
        Call::BatchResolve {
            path: PathBuf::from(path),
        },
    );
    let id = r.id;
    fx.push(Effect::Request(r));
    Start::PlanPath {
        input,
        error: None,
        resolving: Some(id),
    }
}

/// A key for the marks' form: `Some(true)` keep, `Some(false)` close, `None` Enter (check and go on).
fn marks_key(_state: &mut State, f: &mut MarksForm, ev: &KeyEvent) -> Option<bool> {
    let order = f.fields();
    let at = order.iter().position(|x| *x == f.field).unwrap_or(0);
    match ev.code {
        KeyCode::Esc => return Some(false),
        KeyCode::Enter => return None,
        KeyCode::Tab | KeyCode::Down => f.field = order[(at + 1) % order.len()],
        KeyCode::BackTab | KeyCode::Up => f.field = order[(at + order.len() - 1) % order.len()],
        _ => match f.field {
            MarksField::Original => {
                if matches!(ev.code, KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right) {
                    f.original = !f.original;
                }
            }
            MarksField::Mailbox => {
                fields::edit(&mut f.mailbox, ev);
            }
            MarksField::Folder => {
                fields::edit(&mut f.folder, ev);
            }
            MarksField::User => {
                fields::edit(&mut f.user, ev);
            }
            MarksField::Password => {
                f.password.handle(ev);
            }
        },
    }
    if f.error.as_ref().is_some_and(|(x, _)| *x == f.field) && fields::is_typing(ev) {
        f.error = None;
    }
    Some(true)
}

/// A key for the dry run; false closes it.
fn review_key(state: &mut State, r: &mut Review, ev: &KeyEvent, fx: &mut Vec<Effect>) -> bool {
    let order = r.focus_order();
    let at = order.iter().position(|x| *x == r.focus).unwrap_or(0);
    match ev.code {
        KeyCode::Esc => return false,
        KeyCode::Tab => r.focus = order[(at + 1) % order.len()],
        KeyCode::BackTab => r.focus = order[(at + order.len() - 1) % order.len()],
        KeyCode::Left | KeyCode::Right if r.focus != ReviewFocus::Password => {
            r.focus = if r.focus == ReviewFocus::Run {
                ReviewFocus::Cancel
            } else {
                ReviewFocus::Run
            };
        }
        KeyCode::Down | KeyCode::PageDown => {
            r.top = (r.top + 1).min(r.resolved.units.len().saturating_sub(1));
        }
        KeyCode::Up | KeyCode::PageUp => r.top = r.top.saturating_sub(1),
        KeyCode::Enter => match r.focus {
            ReviewFocus::Cancel => {
                state.info("cancelled: nothing was sent");
                return false;
            }
            ReviewFocus::Password => r.focus = ReviewFocus::Cancel,
            ReviewFocus::Run => return !run(state, r, fx),
        },
        _ if r.focus == ReviewFocus::Password => {
            r.password.handle(ev);
            r.error = None;
        }
        _ => {}
    }
    true
}

/// Sends the batch; false when it cannot be (said in the review).
fn run(state: &mut State, r: &mut Review, fx: &mut Vec<Effect>) -> bool {
    if state.header.read_only {
        r.error = Some("read-only: batches cannot be run (the dry run above is all)".into());
        return false;
    }
    if state.batches.running.is_some() {
        r.error = Some("a batch is running: one at a time".into());
        return false;
    }
    let Some(journal) = state.batches.journal.clone() else {
        r.error = Some("no state directory: a batch needs its journal".into());
        return false;
    };
    if r.resolved.units.is_empty() {
        r.error = Some("nothing to restore".into());
        return false;
    }
    let password = match &r.plan.credentials.password {
        PasswordSource::Prompt if r.password.is_empty() => {
            r.focus = ReviewFocus::Password;
            r.error = Some(format!("the Exchange password of {}", r.plan.credentials.user));
            return false;
        }
        PasswordSource::Prompt => Some(r.password.secret()),
        // Run by the batch's task (`sh -c`), never here.
        PasswordSource::Command(_) => None,
    };
    r.password.clear();
    let job = BatchJob {
        plan: r.plan.clone(),
        resolved: r.resolved.clone(),
        plan_path: r.plan_path.clone(),
        plan_text: r.plan_text.clone(),
        password,
        journal,
        audit_log: state.audit_log.clone(),
        concurrency: CONCURRENCY,
    };
    let req = state.requests.ask(To::Batch, Call::Batch(Box::new(job)));
    state.batches.running = Some(req.id);
    state.batches.quit_warned = false;
    state.batches.runs.push(BatchEntry {
        plan: r.plan_path.clone(),
        session: r.plan.session.clone(),
        created: state.clock.map(rfc3339).unwrap_or_default(),
        units: r.resolved.units.clone(),
        sources: r.resolved.sources.clone(),
        running: true,
        ..Default::default()
    });
    state.info(format!(
        "batch started: {} restores, {} at a time",
        crate::text::thousands(r.resolved.units.len() as u64),
        CONCURRENCY
    ));
    fx.push(Effect::Request(req));
    true
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------------------
// From marks

/// The label a batch gives a mailbox: its address, else its name, else its id.
fn mailbox_label(m: &crate::api::models::Mailbox) -> String {
    m.email
        .clone()
        .filter(|e| !e.is_empty())
        .or_else(|| m.name.clone().filter(|n| !n.is_empty()))
        .unwrap_or_else(|| m.id.clone())
}

/// Notes where the open items list is (called when its marks are put aside).
pub fn note_place(state: &mut State) {
    let Some(f) = &state.folders else { return };
    let items = match state.items.as_ref() {
        Some(i) if i.search.is_some() => i.search.as_ref().and_then(|s| s.back.items.as_deref()),
        other => other,
    };
    let Some(items) = items else { return };
    if items.key.mailbox_id != f.mailbox.id {
        return;
    }
    let place = Place {
        mailbox: mailbox_label(&f.mailbox),
        folder: items
            .path
            .split(" / ")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("/"),
    };
    state.batches.places.insert(items.key.clone(), place);
}

/// The marks of the open restore session as restores: one source per mailbox, a folder marked whole
/// (`*`) through the folder endpoint, marked items through the items endpoint. An error when they are
/// not in more than one mailbox.
pub fn from_marks(state: &mut State) -> Result<MarksForm, String> {
    let Some(session) = state.mailboxes.as_ref().map(|m| m.session.id.clone()) else {
        return Err("open a restore session and mark items in several mailboxes first".into());
    };
    note_place(state);
    state.stash_marks();
    let mut keys: Vec<&ListKey> = state.marks.keys().chain(state.all_marked.iter()).collect();
    keys.sort_by(|a, b| (&a.mailbox_id, &a.folder_id).cmp(&(&b.mailbox_id, &b.folder_id)));
    keys.dedup();
    let other_sessions = keys.iter().filter(|k| k.session_id != session).count();
    keys.retain(|k| k.session_id == session);
    // Mailboxes in the order the operator sees them (the list), then any other.
    let mut mailboxes: Vec<String> = Vec::new();
    for k in &keys {
        if !mailboxes.contains(&k.mailbox_id) {
            mailboxes.push(k.mailbox_id.clone());
        }
    }
    if mailboxes.len() < 2 {
        return Err(match mailboxes.len() {
            0 => "nothing is marked in this session: mark items (Space) or folders (*) in several mailboxes".into(),
            _ => "the marks are in one mailbox: r restores them (a batch is for marks in several mailboxes)".into(),
        });
    }
    let label_of = |id: &str| -> String {
        keys.iter()
            .find(|k| k.mailbox_id == id)
            .and_then(|k| state.batches.places.get(*k))
            .map(|p| p.mailbox.clone())
            .or_else(|| {
                state
                    .mailboxes
                    .as_ref()
                    .and_then(|m| m.list.rows.iter().find(|x| x.id == id))
                    .map(mailbox_label)
            })
            .unwrap_or_else(|| id.to_string())
    };
    let mut units = Vec::new();
    let mut sources = Vec::new();
    for (si, mid) in mailboxes.iter().enumerate() {
        let label = label_of(mid);
        let (mut n_items, mut n_folders) = (0usize, 0usize);
        for k in keys.iter().filter(|k| k.mailbox_id == *mid) {
            let folder = state.batches.places.get(*k).map(|p| p.folder.clone());
            let whole = state.all_marked.contains(*k);
            let items: Vec<String> = state
                .marks
                .get(*k)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default();
            if !whole && items.is_empty() {
                continue;
            }
            if whole {
                n_folders += 1;
            } else {
                n_items += items.len();
            }
            units.push(UnitRow {
                source: si as i64,
                kind: if whole { "folder" } else { "items" }.into(),
                mailbox_id: mid.clone(),
                mailbox: label.clone(),
                folder_id: Some(k.folder_id.clone()),
                folder_path: folder,
                item_ids: if whole { Vec::new() } else { items },
                state: PLANNED.into(),
                ..Default::default()
            });
        }
        let mut what = Vec::new();
        if n_items > 0 {
            what.push(count(n_items as u64, "item", "items"));
        }
        if n_folders > 0 {
            what.push(count(n_folders as u64, "whole folder", "whole folders"));
        }
        sources.push(format!("{label}: {}", what.join(", ")));
    }
    for (i, u) in units.iter_mut().enumerate() {
        u.seq = i as i64;
    }
    let memory = &state.jobs.memory;
    let target = if memory.target.is_empty() {
        String::new()
    } else {
        memory.target.clone()
    };
    Ok(MarksForm {
        session,
        sources,
        units,
        other_sessions,
        original: false,
        mailbox: Input::new(target),
        folder: Input::new(DEFAULT_FOLDER.into()),
        user: Input::new(memory.user.clone()),
        password: SecretField::default(),
        flags: memory.flags.clone(),
        field: MarksField::Original,
        error: None,
    })
}

/// The marks' form checked and made into a plan and its restores (the dry run).
fn marks_plan(state: &State, f: &MarksForm) -> Result<Review, (MarksField, String)> {
    let target = if f.original {
        Target::Original
    } else {
        let mailbox = f.mailbox.value().trim().to_string();
        if mailbox.is_empty() {
            return Err((MarksField::Mailbox, "the target mailbox (an e-mail address)".into()));
        }
        let folder = f.folder.value().trim().to_string();
        if let Some(bad) = bad_placeholder(&folder) {
            return Err((
                MarksField::Folder,
                format!("{bad} is not a placeholder: use {{mailbox}} and {{folder}}"),
            ));
        }
        Target::Mailbox {
            mailbox,
            folder,
            line: 0,
        }
    };
    let user = f.user.value().trim().to_string();
    if user.is_empty() {
        return Err((MarksField::User, "the account the restores run as".into()));
    }
    if f.password.is_empty() {
        return Err((MarksField::Password, "its Exchange password".into()));
    }
    let mut units = f.units.clone();
    for u in &mut units {
        (u.target_mailbox, u.target_folder) = match &target {
            Target::Original => (None, None),
            Target::Mailbox { mailbox, folder, .. } => (
                Some(mailbox.clone()),
                Some(crate::batch::target_folder(
                    folder,
                    &u.mailbox,
                    u.folder_path.as_deref(),
                ))
                .filter(|x| !x.is_empty()),
            ),
        };
        u.signature = crate::batch::signature(u);
    }
    let plan = Plan {
        session: f.session.clone(),
        session_line: 0,
        sources: f
            .sources
            .iter()
            .enumerate()
            .map(|(i, _)| Source {
                line: 0,
                mailboxes: Mailboxes::List(
                    units
                        .iter()
                        .filter(|u| u.source == i as i64)
                        .take(1)
                        .map(|u| (u.mailbox_id.clone(), 0))
                        .collect(),
                ),
                folders: Vec::new(),
                // Each folder by id, whole or its marked items: what `vex batch` reads back to resume.
                items: Items::Marked(
                    units
                        .iter()
                        .filter(|u| u.source == i as i64)
                        .map(|u| Marked {
                            folder_id: u.folder_id.clone().unwrap_or_default(),
                            folder: u.folder_path.clone().unwrap_or_default(),
                            items: u.item_ids.clone(),
                            line: 0,
                        })
                        .collect(),
                ),
            })
            .collect(),
        target,
        target_line: 0,
        credentials_line: 0,
        flags: f.flags.clone(),
        flags_line: 0,
        credentials: CredentialMode {
            user,
            password: PasswordSource::Prompt,
        },
    };
    // Flags the original location's folder and item restores cannot carry are refused, not dropped.
    crate::batch::check_flags(&plan, &units).map_err(|e| (MarksField::Original, e.message))?;
    let mut notes = Vec::new();
    if f.other_sessions > 0 {
        notes.push(format!(
            "{} marked lists of other restore sessions are left out",
            f.other_sessions
        ));
    }
    let resolved = Resolved {
        units,
        notes,
        sources: f.sources.clone(),
    };
    // The plan is written to the state directory when it runs (0600; the password is not in it: the
    // plan asks for it), and the journal names that file: `vex batch FILE` or Enter in this view resumes.
    let n = f.sources.len();
    let (plan_path, plan_text) = match state.batches.journal.as_ref().and_then(|j| j.parent()) {
        Some(dir) => {
            let stamp = state
                .clock
                .and_then(|t| {
                    let f = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
                    t.to_offset(time::UtcOffset::UTC).format(f).ok()
                })
                .unwrap_or_else(|| "now".into());
            let path = dir.join("plans").join(format!("marks-{stamp}.toml"));
            let labels: Vec<String> = (0..n as i64)
                .map(|i| {
                    resolved
                        .units
                        .iter()
                        .find(|u| u.source == i)
                        .map(|u| u.mailbox.clone())
                        .unwrap_or_default()
                })
                .collect();
            let mut notes = vec![
                format!("A batch started from marks in {n} mailboxes in vex's TUI."),
                format!(
                    "Resume it with: vex batch '{}' (the password is asked for).",
                    path.display()
                ),
            ];
            notes.extend(resolved.notes.iter().cloned());
            let text = plan.to_toml(&notes, &labels);
            (path.display().to_string(), Some(text))
        }
        None => (format!("marks in {n} mailboxes"), None),
    };
    let mut r = Review::new(plan, resolved, plan_path, f.password.clone());
    r.plan_text = plan_text;
    r.focus = ReviewFocus::Cancel;
    Ok(r)
}

/// A `{...}` in a folder pattern that is not `{mailbox}` or `{folder}`.
fn bad_placeholder(p: &str) -> Option<String> {
    let rest = p.replace("{mailbox}", "").replace("{folder}", "");
    let i = rest.find(['{', '}'])?;
    Some(rest[i..].chars().take_while(|c| *c != '/').collect())
}

// ---------------------------------------------------------------------------------------------------------
// Answers

impl BatchView {
    /// The plan read in flight.
    pub fn resolving(&self) -> Option<RequestId> {
        match &self.start {
            Some(Start::PlanPath { resolving, .. }) => *resolving,
            _ => None,
        }
    }

    /// The journal read.
    pub fn on_journal(&mut self, result: Result<Response, ApiError>) {
        self.loading = None;
        match take::<Vec<JournalBatch>>(result) {
            Ok(list) => {
                self.error = None;
                let mut list: Vec<BatchEntry> = list.into_iter().map(BatchEntry::from_journal).collect();
                list.sort_by(|a, b| b.created.cmp(&a.created));
                self.journal = list;
            }
            Err(e) => self.error = Some(format!("the journal cannot be read: {e}")),
        }
    }

    /// The plan read and resolved (or refused, with its line).
    pub fn on_plan(&mut self, result: Result<Response, ApiError>) {
        let Some(Start::PlanPath { input, .. }) = self.start.take() else {
            return;
        };
        let refused = |input: Input, e: String| {
            Some(Start::PlanPath {
                input,
                error: Some(e),
                resolving: None,
            })
        };
        self.start = match take::<Box<ResolvedPlan>>(result) {
            Ok(p) => match p.outcome {
                Ok((plan, resolved)) => Some(Start::Review(Box::new(Review::new(
                    plan,
                    resolved,
                    p.path,
                    SecretField::default(),
                )))),
                Err(e) => refused(input, format!("{}: {e}; nothing was sent", p.path)),
            },
            Err(e) => refused(input, format!("{e}; nothing was sent")),
        };
    }
}

/// The running batch's answers: progress (the journal's rows) and its end.
pub fn on_run_answer(state: &mut State, id: RequestId, result: Result<Response, ApiError>) -> bool {
    if state.batches.running != Some(id) {
        return false;
    }
    let Some(entry) = state.batches.runs.last_mut() else {
        return false;
    };
    match result {
        Ok(Response::BatchProgress(p)) => {
            let BatchProgress { batch, units, line } = p;
            if !batch.is_empty() {
                entry.id = batch;
            }
            if !units.is_empty() {
                entry.units = units;
            }
            if let Some(l) = line {
                entry.last = Some(l);
            }
            return true;
        }
        Ok(Response::BatchEnded(end)) => {
            entry.running = false;
            if let Some(report) = end.report {
                entry.id = report.batch;
                entry.units = report.units;
            }
            entry.error = end.error;
        }
        Ok(other) => {
            entry.running = false;
            entry.error = Some(format!(
                "internal error: an answer of the wrong kind ({})",
                other.kind()
            ));
        }
        Err(e) => {
            entry.running = false;
            entry.error = Some(e.to_string());
        }
    }
    state.batches.running = None;
    let entry = state.batches.runs.last().cloned().unwrap_or_default();
    let t = entry.totals();
    let words = format!(
        "batch {}: {} of {} restores done (created {}, merged {}, skipped {}, failed {}){}{}",
        entry.state_word(),
        t.done,
        t.restores,
        t.created,
        t.merged,
        t.skipped,
        t.failed,
        if t.unknown > 0 {
            format!("; {} unknown: see the session's events", t.unknown)
        } else {
            String::new()
        },
        entry.error.as_deref().map(|e| format!("; {e}")).unwrap_or_default()
    );
    if entry.error.is_some() || t.unknown > 0 || t.refused > 0 || t.failed > 0 {
        state.error(words);
    } else {
        state.info(words);
    }
    true
}

/// `q` while a batch runs: the first press warns (the journal lets `vex batch` finish it).
pub fn hold_quit(state: &mut State) -> bool {
    if state.batches.running.is_none() || state.batches.quit_warned {
        return false;
    }
    state.batches.quit_warned = true;
    state.error(
        "a batch is running: quitting stops it between restores (vex batch with its plan resumes it from the \
         journal) — q again quits",
    );
    true
}

/// True while a batch runs (the spinner ticks).
pub fn busy(state: &State) -> bool {
    state.batches.running.is_some()
}
