//! Issue 18 in the TUI: the batch view (`B`). Pure state (a fake server): a batch from marks in two
//! mailboxes (the dry run first, nothing sent before Run), a plan file whose error is shown with its line,
//! quitting while a batch runs, snapshots of the view running and finished. Through the real loop over
//! HTTPS against the emulator: a batch of marks in two mailboxes and a plan-file batch run to their end,
//! and the view's counts are the emulator's record.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;
use support::app::{AppHarness, Setup};
use support::fake::{self, Items, from, new_state, render};
use vex::api::models::{Folder, Mailbox, RestoreSession};
use vex::api::{ApiVersion, VersionChoice};
use vex::app::panes::batch::{BatchEntry, BatchView, ReviewFocus, Start};
use vex::app::request::{BatchProgress, JournalBatch, ResolvedPlan};
use vex::app::{Answer, Call, Effect, Level, Msg, Overlay, Response, State, update};
use vex::batch::journal::UnitRow;

/// A restore of the dry run: kind, mailbox, folder, items, target mailbox, target folder.
type Row<'a> = (
    &'a str,
    &'a str,
    Option<&'a str>,
    usize,
    Option<&'a str>,
    Option<&'a str>,
);

const PASSWORD: &str = "Batch-s3cret-Pa55";

/// A count as the view writes it (`2,750`).
fn th(n: i64) -> String {
    vex::text::thousands(n.max(0) as u64)
}

// ------------------------------------------------------------------------------------------------
// A fake server: one session, three mailboxes, two folders with messages.

struct Fake {
    items: HashMap<String, Items>,
}

impl Fake {
    fn new() -> Fake {
        let mut items = HashMap::new();
        items.insert("f-inbox".into(), Items::List((1..=5).map(fake::message).collect()));
        items.insert("f-sent".into(), Items::List((6..=8).map(fake::message).collect()));
        Fake { items }
    }
}

impl fake::Data for Fake {
    fn sessions(&self) -> Option<Vec<RestoreSession>> {
        Some(from(json!([{"id": "s-1", "organization": "Contoso Ltd", "type": "Vex",
            "creationTime": "2024-03-01T14:00:00Z", "state": "Working"}])))
    }
    fn mailboxes(&self) -> Option<Vec<Mailbox>> {
        Some(from(json!([
            {"id": "mb-anna", "name": "Anna Müller", "email": "anna@contoso.com"},
            {"id": "mb-bob", "name": "Bob Smith", "email": "bob@contoso.com"},
            {"id": "mb-carol", "name": "Carol", "email": "carol@contoso.com"}
        ])))
    }
    fn folders(&self, parent: Option<&str>) -> Option<Vec<Folder>> {
        Some(match parent {
            None => from(json!([
                {"id": "f-inbox", "name": "Inbox", "type": "None"},
                {"id": "f-sent", "name": "Sent Items", "type": "None"}
            ])),
            Some(_) => Vec::new(),
        })
    }
    fn items(&self, folder_id: &str) -> Option<Items> {
        Some(self.items.get(folder_id).cloned().unwrap_or(Items::List(Vec::new())))
    }
}

fn key(s: &mut State, code: KeyCode) -> Vec<Effect> {
    update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn step(f: &Fake, s: &mut State, code: KeyCode) -> Vec<Effect> {
    let fx = key(s, code);
    fake::settle(f, s, fx)
}

fn typed(f: &Fake, s: &mut State, text: &str) -> Vec<Effect> {
    let mut left = Vec::new();
    for c in text.chars() {
        left.extend(step(f, s, KeyCode::Char(c)));
    }
    left
}

fn batch_calls(fx: &[Effect]) -> Vec<&Call> {
    fx.iter()
        .filter_map(Effect::call)
        .filter(|c| matches!(c, Call::Batch(_)))
        .collect()
}

fn view(s: &State) -> &BatchView {
    match &s.overlay {
        Some(Overlay::Batches(v)) => v,
        other => panic!("no batch view: {other:?}"),
    }
}

/// The browser at the mailboxes of the session, `B` not pressed.
fn at_mailboxes(f: &Fake) -> State {
    let mut s = new_state();
    s.size = (120, 32);
    s.batches.journal = Some("/nonexistent/state/batches.sqlite".into());
    s.audit_log = Some("/nonexistent/state/audit.jsonl".into());
    let fx = update(&mut s, Msg::Start);
    fake::settle(f, &mut s, fx);
    step(f, &mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Mailboxes);
    s
}

/// Opens mailbox `row` (from the mailboxes pane) and its folder `folder_row`.
fn open(f: &Fake, s: &mut State, row: usize, folder_row: usize) {
    step(f, s, KeyCode::Char('g'));
    for _ in 0..row {
        step(f, s, KeyCode::Down);
    }
    step(f, s, KeyCode::Enter);
    for _ in 0..folder_row {
        step(f, s, KeyCode::Down);
    }
    step(f, s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Items);
}

/// Back from the items to the mailboxes.
fn to_mailboxes(f: &Fake, s: &mut State) {
    step(f, s, KeyCode::Esc);
    step(f, s, KeyCode::Esc);
    assert_eq!(s.focus, Level::Mailboxes);
}

/// `B`, the journal answered empty.
fn open_view(f: &Fake, s: &mut State) {
    let fx = step(f, s, KeyCode::Char('B'));
    let r = fx
        .iter()
        .filter_map(Effect::request)
        .find(|r| matches!(r.call, Call::BatchJournal { .. }))
        .expect("the journal is read")
        .clone();
    update(
        s,
        Msg::Answer(Answer {
            id: r.id,
            result: Ok(Response::BatchJournal(Vec::new())),
        }),
    );
    view(s);
}

/// Two messages of Anna's Inbox and Bob's whole Sent Items marked; the view open.
fn marked_in_two_mailboxes(f: &Fake) -> State {
    let mut s = at_mailboxes(f);
    open(f, &mut s, 0, 0);
    step(f, &mut s, KeyCode::Char(' '));
    step(f, &mut s, KeyCode::Char(' '));
    assert_eq!(s.items.as_ref().map(|i| i.marks.len()), Some(2));
    to_mailboxes(f, &mut s);
    open(f, &mut s, 1, 1);
    step(f, &mut s, KeyCode::Char('*'));
    assert!(s.items.as_ref().is_some_and(|i| i.all_marked));
    open_view(f, &mut s);
    s
}

/// Fills the marks' form: target mailbox, the default folder pattern, the account and its password.
fn fill_marks_form(f: &Fake, s: &mut State) -> Vec<Effect> {
    let mut fx = Vec::new();
    fx.extend(step(f, s, KeyCode::Tab)); // the target mailbox
    fx.extend(typed(f, s, "restore-admin@contoso.com"));
    fx.extend(step(f, s, KeyCode::Tab)); // the folder pattern (kept)
    fx.extend(step(f, s, KeyCode::Tab)); // the account
    fx.extend(typed(f, s, "admin@contoso.com"));
    fx.extend(step(f, s, KeyCode::Tab)); // its password
    fx.extend(typed(f, s, PASSWORD));
    fx.extend(step(f, s, KeyCode::Enter)); // the dry run
    fx
}

#[test]
fn marks_in_two_mailboxes_become_one_batch_sent_only_after_the_dry_run() {
    let f = Fake::new();
    let mut s = marked_in_two_mailboxes(&f);
    let mut sent = Vec::new();
    sent.extend(step(&f, &mut s, KeyCode::Char('M')));
    let Some(Start::Marks(form)) = &view(&s).start else {
        panic!(
            "the marks' form: {:?}\n{}",
            view(&s).start,
            render(&s, 120, 32).backend()
        );
    };
    assert_eq!(form.session, "s-1");
    assert_eq!(form.units.len(), 2, "{:?}", form.units);
    assert_eq!(
        form.sources,
        vec![
            "anna@contoso.com: 2 items".to_string(),
            "bob@contoso.com: 1 whole folder".into()
        ]
    );
    sent.extend(fill_marks_form(&f, &mut s));
    let Some(Start::Review(r)) = &view(&s).start else {
        panic!("the dry run: {:?}", view(&s).start);
    };
    // The dry run: Anna's two messages through the items endpoint, Bob's folder through the folder
    // endpoint, each to its own folder under the pattern.
    let units: Vec<Row> = r
        .resolved
        .units
        .iter()
        .map(|u| {
            (
                u.kind.as_str(),
                u.mailbox.as_str(),
                u.folder_path.as_deref(),
                u.item_ids.len(),
                u.target_mailbox.as_deref(),
                u.target_folder.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        units,
        vec![
            (
                "items",
                "anna@contoso.com",
                Some("Inbox"),
                2,
                Some("restore-admin@contoso.com"),
                Some("Restored/anna@contoso.com/Inbox")
            ),
            (
                "folder",
                "bob@contoso.com",
                Some("Sent Items"),
                0,
                Some("restore-admin@contoso.com"),
                Some("Restored/bob@contoso.com/Sent Items")
            ),
        ]
    );
    assert_eq!(r.focus, ReviewFocus::Cancel, "Cancel is the default");
    insta::assert_snapshot!("batch_dry_run_of_marks_120x32", render(&s, 120, 32).backend());
    // Enter on Cancel: nothing sent.
    sent.extend(step(&f, &mut s, KeyCode::Enter));
    assert!(view(&s).start.is_none());
    assert!(batch_calls(&sent).is_empty(), "nothing is sent before Run: {sent:?}");
    assert!(s.batches.running.is_none());

    // Again, and Run.
    step(&f, &mut s, KeyCode::Char('M'));
    fill_marks_form(&f, &mut s);
    step(&f, &mut s, KeyCode::Right);
    let fx = step(&f, &mut s, KeyCode::Enter);
    let calls = batch_calls(&fx);
    assert_eq!(calls.len(), 1, "{fx:?}");
    let Call::Batch(job) = calls[0] else { unreachable!() };
    assert_eq!(job.plan.session, "s-1");
    assert_eq!(job.resolved.units.len(), 2);
    assert_eq!(job.plan.credentials.user, "admin@contoso.com");
    assert!(job.password.is_some(), "the typed password goes with the batch");
    assert!(
        !format!("{fx:?}").contains(PASSWORD) && !format!("{s:?}").contains(PASSWORD),
        "the password is never in a Debug"
    );
    assert!(s.batches.running.is_some());
    assert_eq!(s.batches.runs.len(), 1);
    assert!(view(&s).start.is_none(), "back to the view, the batch running");
}

/// The dry run's line of a restore of one item says "1 item" (and of more, "items").
#[test]
fn a_restore_of_one_item_is_one_item() {
    let one = UnitRow {
        kind: "items".into(),
        mailbox: "anna@contoso.com".into(),
        item_ids: vec!["m-1".into()],
        ..Default::default()
    };
    assert_eq!(vex::app::panes::batch::unit_line(&one).1, "1 item");
    let two = UnitRow {
        item_ids: vec!["m-1".into(), "m-2".into()],
        ..one
    };
    assert_eq!(vex::app::panes::batch::unit_line(&two).1, "2 items");
}

#[test]
fn marks_in_one_mailbox_are_not_a_batch() {
    let f = Fake::new();
    let mut s = at_mailboxes(&f);
    open(&f, &mut s, 0, 0);
    step(&f, &mut s, KeyCode::Char(' '));
    open_view(&f, &mut s);
    step(&f, &mut s, KeyCode::Char('M'));
    assert!(view(&s).start.is_none());
    let status = s.status.as_ref().map(|x| x.text.clone()).unwrap_or_default();
    assert!(status.contains("one mailbox"), "{status}");
}

#[test]
fn a_plan_with_an_error_is_shown_with_its_line_and_nothing_is_sent() {
    let f = Fake::new();
    let mut s = at_mailboxes(&f);
    open_view(&f, &mut s);
    step(&f, &mut s, KeyCode::Char('p'));
    typed(&f, &mut s, "~/incident.toml");
    let fx = step(&f, &mut s, KeyCode::Enter);
    let r = fx
        .iter()
        .filter_map(Effect::request)
        .find(|r| matches!(&r.call, Call::BatchResolve { path } if path.to_str() == Some("~/incident.toml")))
        .expect("the plan is read and resolved in a task")
        .clone();
    assert!(view(&s).resolving().is_some());
    update(
        &mut s,
        Msg::Answer(Answer {
            id: r.id,
            result: Ok(Response::BatchPlan(Box::new(ResolvedPlan {
                path: "~/incident.toml".into(),
                outcome: Err("line 12: mailbox \"nobody@contoso.com\" is not in the session".into()),
            }))),
        }),
    );
    let Some(Start::PlanPath { error, resolving, .. }) = &view(&s).start else {
        panic!("the plan's prompt stays");
    };
    assert!(resolving.is_none());
    let e = error.clone().unwrap_or_default();
    assert!(e.contains("line 12") && e.contains("nothing was sent"), "{e}");
    let screen = render(&s, 120, 32).backend().to_string();
    assert!(screen.contains("line 12: mailbox"), "{screen}");
    assert!(s.batches.running.is_none());
}

#[test]
fn quitting_while_a_batch_runs_asks_first() {
    let f = Fake::new();
    let mut s = marked_in_two_mailboxes(&f);
    step(&f, &mut s, KeyCode::Char('M'));
    fill_marks_form(&f, &mut s);
    step(&f, &mut s, KeyCode::Right);
    step(&f, &mut s, KeyCode::Enter);
    assert!(s.batches.running.is_some());
    step(&f, &mut s, KeyCode::Esc); // the view closes; the batch runs on
    assert!(s.overlay.is_none() && s.batches.running.is_some());
    let fx = step(&f, &mut s, KeyCode::Char('q'));
    assert!(!s.quit, "the first q warns");
    assert!(!fx.iter().any(|e| matches!(e, Effect::Quit)));
    let status = s.status.as_ref().map(|x| x.text.clone()).unwrap_or_default();
    assert!(status.contains("batch is running"), "{status}");
    step(&f, &mut s, KeyCode::Char('q'));
    assert!(s.quit, "q again quits");
}

// ------------------------------------------------------------------------------------------------
// Snapshots

fn unit(seq: i64, source: i64, mailbox: &str, folder: &str, state: &str, counts: Option<[i64; 4]>) -> UnitRow {
    UnitRow {
        seq,
        source,
        source_line: 4 + 4 * source,
        kind: "folder".into(),
        mailbox_id: format!("id-{mailbox}"),
        mailbox: mailbox.into(),
        folder_id: Some(format!("f-{folder}")),
        folder_path: Some(folder.into()),
        target_mailbox: Some("restore-admin@contoso.com".into()),
        target_folder: Some(format!("Restored/{mailbox}/{folder}")),
        state: state.into(),
        created: counts.map(|c| c[0]),
        merged: counts.map(|c| c[1]),
        skipped: counts.map(|c| c[2]),
        failed: counts.map(|c| c[3]),
        ..Default::default()
    }
}

fn running_entry() -> BatchEntry {
    BatchEntry {
        id: "3f2a9c1de0b14b7e8d21aa90".into(),
        plan: "/home/op/incident-4711.toml".into(),
        session: "125f7e92-0ec9-4a2e-9e4f-fd990586229b".into(),
        created: "2026-12-03T10:40:12Z".into(),
        units: vec![
            unit(0, 0, "anna@contoso.com", "Inbox", "done", Some([12, 1, 0, 0])),
            unit(1, 0, "anna@contoso.com", "Sent Items", "done", Some([4, 0, 2, 0])),
            unit(2, 0, "bob@contoso.com", "Inbox", "sending", None),
            unit(3, 0, "bob@contoso.com", "Sent Items", "sending", None),
            unit(4, 1, "sales1@contoso.com", "Inbox", "planned", None),
            unit(5, 1, "sales2@contoso.com", "Inbox", "planned", None),
        ],
        sources: vec![
            "anna@contoso.com, bob@contoso.com / Inbox, Sent Items".into(),
            "mailboxes matching sales*@contoso.com / Inbox".into(),
        ],
        running: true,
        last: Some("[2/6] #2 anna@contoso.com/Sent Items: created 4, merged 0, skipped 2, failed 0".into()),
        error: None,
    }
}

#[test]
fn the_view_while_a_batch_runs() {
    let mut s = new_state();
    s.batches.runs.push(running_entry());
    s.batches.running = Some(9_999);
    s.overlay = Some(Overlay::Batches(Box::default()));
    let screen = render(&s, 120, 32).backend().to_string();
    assert!(
        screen.contains("2 of 6 restores ended · 2 sending · 2 not sent"),
        "{screen}"
    );
    insta::assert_snapshot!("batch_view_running_120x32", render(&s, 120, 32).backend());
}

#[test]
fn the_view_of_finished_batches_from_the_journal() {
    let mut s = new_state();
    let mut done = running_entry();
    done.running = false;
    done.last = None;
    done.units[2] = unit(2, 0, "bob@contoso.com", "Inbox", "done", Some([7, 0, 0, 1]));
    done.units[3] = unit(3, 0, "bob@contoso.com", "Sent Items", "unknown", None);
    done.units[4] = unit(4, 1, "sales1@contoso.com", "Inbox", "failed", None);
    done.units[5] = unit(5, 1, "sales2@contoso.com", "Inbox", "done", Some([30, 0, 0, 0]));
    let older = JournalBatch {
        batch: vex::batch::journal::BatchRow {
            id: "0b1c2d3e4f5a6b7c8d9e0f1a".into(),
            plan_path: "weekly.toml".into(),
            server: "https://vb365.contoso.com:4443".into(),
            session: "86ca0a7b-7e8f-4f03-876e-185bd3ad9a04".into(),
            created: "2026-12-01T08:00:00Z".into(),
            baseline: "{}".into(),
        },
        units: vec![
            unit(0, 0, "ceo@contoso.com", "Inbox", "done", Some([3, 0, 0, 0])),
            unit(1, 0, "cfo@contoso.com", "Inbox", "done", Some([1, 0, 0, 0])),
        ],
    };
    // The journal holds both; the finished run of this session is the same batch as the journal's.
    let journal = vec![
        older,
        JournalBatch {
            batch: vex::batch::journal::BatchRow {
                id: done.id.clone(),
                plan_path: done.plan.clone(),
                server: "https://vb365.contoso.com:4443".into(),
                session: done.session.clone(),
                created: done.created.clone(),
                baseline: "{}".into(),
            },
            units: done.units.clone(),
        },
    ];
    s.batches.runs.push(done);
    s.batches.journal = Some("/nonexistent/state/batches.sqlite".into());
    s.overlay = Some(Overlay::Batches(Box::default()));
    let fx = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL)),
    );
    let r = fx
        .iter()
        .filter_map(Effect::request)
        .next()
        .expect("the journal read")
        .clone();
    update(
        &mut s,
        Msg::Answer(Answer {
            id: r.id,
            result: Ok(Response::BatchJournal(journal)),
        }),
    );
    assert_eq!(view(&s).journal.len(), 2);
    let screen = render(&s, 120, 32).backend().to_string();
    assert!(
        screen.contains("Batches · 2"),
        "the run and the journal's copy are one batch: {screen}"
    );
    insta::assert_snapshot!("batch_view_finished_120x32", render(&s, 120, 32).backend());
    // The older batch, from the journal alone: its sources named by their mailboxes.
    key(&mut s, KeyCode::Down);
    let screen = render(&s, 120, 32).backend().to_string();
    assert!(
        screen.contains("source 1: ceo@contoso.com, cfo@contoso.com"),
        "{screen}"
    );
}

#[test]
fn progress_answers_update_the_running_batch() {
    let f = Fake::new();
    let mut s = marked_in_two_mailboxes(&f);
    step(&f, &mut s, KeyCode::Char('M'));
    fill_marks_form(&f, &mut s);
    step(&f, &mut s, KeyCode::Right);
    let fx = step(&f, &mut s, KeyCode::Enter);
    let id = fx
        .iter()
        .filter_map(Effect::request)
        .find(|r| matches!(r.call, Call::Batch(_)))
        .map(|r| r.id)
        .expect("the batch");
    let mut units = s.batches.runs[0].units.clone();
    units[0].state = "done".into();
    units[0].created = Some(2);
    units[0].merged = Some(0);
    units[0].skipped = Some(0);
    units[0].failed = Some(0);
    update(
        &mut s,
        Msg::Answer(Answer {
            id,
            result: Ok(Response::BatchProgress(BatchProgress {
                batch: "b-1".into(),
                units: units.clone(),
                line: Some("[1/2] #1 2 items of anna@contoso.com/Inbox: created 2".into()),
            })),
        }),
    );
    let e = &s.batches.runs[0];
    assert_eq!((e.id.as_str(), e.totals().done, e.running), ("b-1", 1, true));
    assert!(s.batches.running.is_some(), "progress keeps the request");
    units[1].state = "done".into();
    units[1].created = Some(3);
    update(
        &mut s,
        Msg::Answer(Answer {
            id,
            result: Ok(Response::BatchEnded(vex::app::request::BatchEnd {
                report: Some(vex::batch::RunReport {
                    batch: "b-1".into(),
                    session: "s-1".into(),
                    units,
                    sources: Vec::new(),
                }),
                error: None,
            })),
        }),
    );
    let e = &s.batches.runs[0];
    assert!(!e.running && s.batches.running.is_none());
    assert_eq!((e.totals().done, e.totals().created), (2, 5));
    let status = s.status.as_ref().map(|x| x.text.clone()).unwrap_or_default();
    assert!(status.contains("2 of 2 restores done (created 5"), "{status}");
}

// ------------------------------------------------------------------------------------------------
// The emulator over HTTPS, through the real loop

struct Extra {
    dir: tempfile::TempDir,
}

type Harness = AppHarness<Extra>;

async fn launch() -> Harness {
    let dir = tempfile::tempdir().expect("temp dir");
    let journal = dir.path().join("state/batches.sqlite");
    let audit = dir.path().join("state/audit.jsonl");
    let setup = Setup {
        sim: vex::sim::SimConfig {
            tls: true,
            v8_restore_duration: Duration::from_millis(100),
            ..Default::default()
        },
        api: VersionChoice::Fixed(ApiVersion::V8),
        size: (120, 32),
        wait: Duration::from_secs(60),
        settle: Duration::from_millis(150),
        ..Setup::default()
    };
    let h = AppHarness::launch_with(setup, |mut s| {
        s.batches.journal = Some(journal);
        s.audit_log = Some(audit);
        s
    })
    .await;
    assert!(h.server.base_url().starts_with("https://"));
    h.with(Extra { dir })
}

impl Harness {
    /// The working Contoso session's mailboxes.
    async fn browse_mailboxes(&mut self) -> String {
        self.open_working_contoso().await;
        self.state()
            .mailboxes
            .as_ref()
            .map(|m| m.session.id.clone())
            .unwrap_or_default()
    }

    /// From the mailboxes: mailbox `row` → its Inbox, `marks` messages marked, back to the mailboxes.
    async fn mark_inbox(&mut self, row: usize, marks: usize) {
        self.key(KeyCode::Char('g'));
        self.keys(KeyCode::Down, row);
        self.key(KeyCode::Enter);
        self.until("the folders", |s| {
            s.focus == Level::Folders && s.folders.as_ref().is_some_and(|f| f.rows().len() > 3)
        })
        .await;
        self.open_folder_named("inbox").await;
        self.keys(KeyCode::Char(' '), marks);
        self.until("the marks", move |s| {
            s.items.as_ref().is_some_and(|i| i.marks.len() == marks)
        })
        .await;
        self.key(KeyCode::Esc);
        self.until("the folders", |s| s.focus == Level::Folders).await;
        self.key(KeyCode::Esc); // the filter
        self.key(KeyCode::Esc);
        self.until("the mailboxes", |s| s.focus == Level::Mailboxes).await;
    }

    /// The marks' form (after `M`): target Francois's mailbox, the folder pattern kept, the account and
    /// its password; Enter for the dry run.
    fn fill_marks_form(&self) {
        self.key(KeyCode::Tab);
        self.retype("francois.lefevre@contoso.com");
        self.key(KeyCode::Tab);
        self.key(KeyCode::Tab);
        self.retype("restore-admin@contoso.com");
        self.key(KeyCode::Tab);
        self.typed(PASSWORD);
        self.key(KeyCode::Enter);
    }

    async fn open_batches(&mut self) {
        self.key(KeyCode::Char('B'));
        self.until(
            "the batch view",
            |s| matches!(&s.overlay, Some(Overlay::Batches(v)) if v.loading.is_none()),
        )
        .await;
    }

    /// Tab to Run, Enter; waits for the batch's end.
    async fn run_and_wait(&mut self) -> BatchEntry {
        self.until(
            "the dry run",
            |s| matches!(&s.overlay, Some(Overlay::Batches(v)) if matches!(v.start, Some(Start::Review(_)))),
        )
        .await;
        let screen = self.screen();
        assert!(screen.contains("[ Cancel ]") && screen.contains("[ Run ]"), "{screen}");
        assert!(self.server.store().restores().is_empty(), "nothing is sent before Run");
        self.key(KeyCode::Right);
        self.key(KeyCode::Enter);
        self.until("the batch's start", |s| {
            s.batches.running.is_some() || !s.batches.runs.is_empty()
        })
        .await;
        self.until("the batch's end", |s| {
            s.batches.running.is_none() && s.batches.runs.last().is_some_and(|e| !e.running)
        })
        .await;
        self.state().batches.runs.last().cloned().expect("the batch")
    }

    /// The view's counts are the emulator's record: each restore applied once, its counts the record's.
    fn compare_with_record(&self, e: &BatchEntry, session: &str) {
        let record: Vec<vex::sim::RestoreRecord> = self
            .server
            .store()
            .restores()
            .into_iter()
            .filter(|r| r.restore_session_id == session)
            .collect();
        assert_eq!(record.len(), e.units.len(), "one restore applied per planned one");
        let mut sums = [0i64; 4];
        for u in &e.units {
            assert_eq!(u.state, "done", "{u:?}");
            let recs: Vec<&vex::sim::RestoreRecord> = record
                .iter()
                .filter(|r| {
                    r.source_mailbox_id == u.mailbox_id
                        && r.kind == u.kind
                        && (u.kind != "folder" || r.source_folder_id == u.folder_id)
                        && (u.kind != "items" || {
                            let mut a = r.item_ids.clone();
                            let mut b = u.item_ids.clone();
                            a.sort();
                            b.sort();
                            a == b
                        })
                })
                .collect();
            assert_eq!(recs.len(), 1, "{u:?} applied {} times", recs.len());
            let st = recs[0].outcome.as_ref().expect("finished");
            let want = [
                st.created_items_count,
                st.merged_items_count,
                st.skipped_items_count,
                st.failed_items_count,
            ];
            assert_eq!([u.created, u.merged, u.skipped, u.failed], want.map(Some), "{u:?}");
            for (s, w) in sums.iter_mut().zip(want) {
                *s += w;
            }
        }
        let t = e.totals();
        assert_eq!([t.created, t.merged, t.skipped, t.failed], sums);
        // And the screen says the same.
        let screen = self.screen();
        let line = format!(
            "items created {} · merged {} · skipped {} · failed {}",
            th(sums[0]),
            th(sums[1]),
            th(sums[2]),
            th(sums[3])
        );
        assert!(screen.contains(&line), "{line}\n{screen}");
        assert!(
            screen.contains(&format!("{0} of {0} restores ended", e.units.len())),
            "{screen}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_marks_in_two_mailboxes_runs_to_its_end_over_https() {
    let mut h = launch().await;
    let session = h.browse_mailboxes().await;
    h.mark_inbox(0, 2).await;
    h.mark_inbox(1, 1).await;
    h.open_batches().await;
    h.key(KeyCode::Char('M'));
    h.settle().await;
    assert!(
        matches!(&h.state().overlay, Some(Overlay::Batches(v)) if matches!(v.start, Some(Start::Marks(_)))),
        "{:?}\n{}",
        h.state().status,
        h.screen()
    );
    // One marked message in the second mailbox: "1 item", in the form and in the dry run.
    let form = h.screen();
    assert!(form.contains(": 1 item ") && !form.contains("1 items"), "{form}");
    h.fill_marks_form();
    h.until(
        "the dry run",
        |s| matches!(&s.overlay, Some(Overlay::Batches(v)) if matches!(v.start, Some(Start::Review(_)))),
    )
    .await;
    let dry = h.screen();
    assert!(dry.contains("(1 item)") && !dry.contains("1 items"), "{dry}");
    let e = h.run_and_wait().await;
    assert_eq!(e.units.len(), 2, "{e:?}");
    assert!(e.error.is_none(), "{e:?}");
    h.compare_with_record(&e, &session);
    // The journal has it (what `vex batch status` reads).
    let j = vex::batch::journal::Journal::open(&h.dir.path().join("state/batches.sqlite")).expect("journal");
    assert_eq!(j.units(&e.id).expect("units").len(), 2);
    // Every step in the audit log, and never the password.
    let audit = std::fs::read_to_string(h.dir.path().join("state/audit.jsonl")).expect("audit");
    assert!(audit.contains("batch-start") && audit.contains("batch-end"), "{audit}");
    assert!(!audit.contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_file_is_checked_then_run_from_the_tui_over_https() {
    let mut h = launch().await;
    let session = h.browse_mailboxes().await;
    let emails: Vec<String> = h
        .state()
        .mailboxes
        .as_ref()
        .map(|m| {
            m.list
                .rows
                .iter()
                .filter(|x| !x.is_archive && !x.is_public)
                .filter_map(|x| x.email.clone())
                .take(2)
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(emails.len(), 2);
    let pw = h.dir.path().join("exchange-password");
    std::fs::write(&pw, format!("{PASSWORD}\n")).expect("password file");
    let plan = |mailboxes: &str| {
        format!(
            "session = \"{session}\"\n\n[[source]]\nmailboxes = [{mailboxes}]\nfolders = [\"Inbox\"]\n\n[target]\n\
             mailbox = \"francois.lefevre@contoso.com\"\nfolder = \"Restored/{{mailbox}}/{{folder}}\"\n\n\
             [credentials]\nuser = \"restore-admin@contoso.com\"\npassword_command = \"cat '{}'\"\n",
            pw.display()
        )
    };
    let bad = h.dir.path().join("bad.toml");
    std::fs::write(&bad, plan("\"nobody@contoso.com\"")).expect("plan");
    let good = h.dir.path().join("good.toml");
    let list = emails.iter().map(|e| format!("\"{e}\"")).collect::<Vec<_>>().join(", ");
    std::fs::write(&good, plan(&list)).expect("plan");

    h.open_batches().await;
    h.key(KeyCode::Char('p'));
    h.typed(&bad.display().to_string());
    h.key(KeyCode::Enter);
    h.until("the plan's error", |s| {
        matches!(&s.overlay, Some(Overlay::Batches(v))
            if matches!(&v.start, Some(Start::PlanPath { error: Some(_), .. })))
    })
    .await;
    let screen = h.screen();
    assert!(screen.contains("line 4: mailbox \"nobody@contoso.com\""), "{screen}");
    assert!(h.server.store().restores().is_empty(), "nothing was sent");

    h.retype(&good.display().to_string());
    h.key(KeyCode::Enter);
    let e = h.run_and_wait().await;
    assert_eq!(e.units.len(), 2, "{e:?}");
    assert!(e.error.is_none(), "{e:?}");
    h.compare_with_record(&e, &session);
    assert_eq!(e.plan, good.display().to_string());
}

/// A batch from marks is written as a plan file (0600, no password) that the journal names; stopped
/// half-way (the server refusing one mailbox's restore until the run gives up), Enter in the view reads
/// that file back, and the run resumes the same batch: each planned restore applied exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_from_marks_stopped_half_way_is_resumed_from_its_plan_file_exactly_once() {
    let mut h = launch().await;
    let session = h.browse_mailboxes().await;
    let second = h
        .state()
        .mailboxes
        .as_ref()
        .and_then(|m| m.list.get(1).map(|x| x.id.clone()))
        .expect("a second mailbox");
    h.mark_inbox(0, 2).await;
    h.mark_inbox(1, 1).await;
    // The second mailbox's restore is refused (500, before anything is done) for the whole first run.
    h.server.set_faults(vex::sim::faults::Faults {
        routes: vec![format!("POST {second}*restoreTo")],
        fault_rate: 1.0,
        fault_statuses: vec![500],
        ..vex::sim::faults::Faults::none()
    });
    h.open_batches().await;
    h.key(KeyCode::Char('M'));
    h.settle().await;
    h.fill_marks_form();
    let first = h.run_and_wait().await;
    let t = first.totals();
    assert_eq!((t.done, t.not_sent + t.refused), (1, 1), "{first:?}");
    assert_eq!(h.server.store().restores().len(), 1, "one mailbox's restore applied");

    // The plan file: in the state directory, private, named by the journal, without the password.
    let plan = std::path::PathBuf::from(&first.plan);
    assert!(plan.starts_with(h.dir.path().join("state/plans")), "{}", plan.display());
    let text = std::fs::read_to_string(&plan).expect("the plan file");
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(text.contains("prompt = true"), "{text}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&plan).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    let j = vex::batch::journal::Journal::open(&h.dir.path().join("state/batches.sqlite")).expect("journal");
    let rows = j.batches().expect("batches");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].plan_path, first.plan);
    assert!(
        h.screen().contains(&first.plan),
        "the view names the file\n{}",
        h.screen()
    );

    // The server is well again; Enter on the batch: the file read back, the dry run, the password, Run.
    h.server.set_faults(vex::sim::faults::Faults::none());
    h.key(KeyCode::Enter);
    h.until("the resumed dry run", |s| {
        matches!(&s.overlay, Some(Overlay::Batches(v))
            if matches!(&v.start, Some(Start::Review(r)) if r.focus == ReviewFocus::Password))
    })
    .await;
    h.typed(PASSWORD);
    h.key(KeyCode::Enter);
    h.key(KeyCode::Right);
    h.key(KeyCode::Enter);
    h.until("the resumed batch's end", |s| {
        s.batches.running.is_none() && s.batches.runs.len() == 2 && s.batches.runs.iter().all(|e| !e.running)
    })
    .await;
    let second_run = h.state().batches.runs.last().cloned().expect("the resumed batch");
    assert_eq!(second_run.id, first.id, "the same batch, resumed");
    assert!(second_run.error.is_none(), "{second_run:?}");
    assert_eq!(j.batches().expect("batches").len(), 1, "no second batch in the journal");
    // Each planned restore applied once: the first run's is not sent again.
    h.compare_with_record(&second_run, &session);
}
