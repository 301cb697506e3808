//! Malformed bodies through the real browser loop: for each kind of endpoint the TUI uses (restore
//! sessions, mailboxes, folders, an items page, one item, a restore's answer, a v8 restore's statistics,
//! events), the emulator damages that route's bodies (`malformed_rate: 1.0`, one kind of damage at a time,
//! limited to the route by the fault layer's route filter). The TUI says so on that pane and in the status
//! line, and stays usable: with the faults off, the reload key (^R) fills the pane. A restore whose answer
//! is unreadable is "outcome unknown", applied once and never resent; the next restore goes through.
//!
//! The headless `App` (a `TestBackend`) runs the real loop; keys go in through its event channel.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use crossterm::event::KeyCode;
use std::time::Duration;
use support::app::{AppHarness, Setup};
use vex::api::{ApiVersion, RetryPolicy, VersionChoice};
use vex::app::jobs::JobStatus;
use vex::app::list::Paging;
use vex::app::panes::folders::Children;
use vex::app::panes::job_dialog::JobPhase;
use vex::app::{Level, Overlay, Status};
use vex::sim::{Faults, Malformation};

const WAIT: Duration = Duration::from_secs(30);
const TARGET: &str = "francois.lefevre@contoso.com";
const PASSWORD: &str = "Malformed-Pw-4";
/// The client's retries: as many as by default (every one of them damaged too, so each damaged read ends
/// in its error after all of them), without the default's backoff of seconds per read, which made this
/// file take about 90 s.
fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(10),
        ..RetryPolicy::default()
    }
}
/// What the client calls a body it cannot read.
const UNREADABLE: &str = "unexpected response";

/// The fault layer's route pattern of each endpoint, alone.
const SESSIONS: &str = "GET /RestoreSessions$";
const MAILBOXES: &str = "GET /organization/mailboxes$";
const FOLDERS: &str = "GET /folders$";
const ITEMS: &str = "GET /items$";
const ITEM: &str = "GET /items/";
const EVENTS: &str = "GET /Events$";
const RESTORE: &str = "POST restoreTo$";
const STATISTICS: &str = "GET /Statistics$";

/// The kind of damage under test, and how far it went.
struct Damage {
    kind: Malformation,
    version: ApiVersion,
    /// Damaged bodies so far.
    malformed: u64,
}

type Harness = AppHarness<Damage>;

impl Harness {
    async fn start(kind: Malformation, version: ApiVersion) -> Harness {
        AppHarness::launch(Setup {
            sim: vex::sim::SimConfig {
                tls: false,
                v8_restore_duration: Duration::from_millis(100),
                ..Default::default()
            },
            api: VersionChoice::Fixed(version),
            retry: quick_retries(),
            size: (200, 50),
            wait: WAIT,
            tag: format!("[{version} {}] ", kind.name()),
            ..Setup::default()
        })
        .await
        .with(Damage {
            kind,
            version,
            malformed: 0,
        })
    }

    fn what(&self) -> String {
        format!("[{} {}]", self.version, self.kind.name())
    }

    /// Damages every body of `route` with this harness's kind of damage (and nothing else).
    fn damage(&self, route: &str) {
        self.server.set_faults(Faults {
            malformed_rate: 1.0,
            malformations: vec![self.kind],
            routes: vec![route.to_string()],
            ..Faults::none()
        });
    }

    /// Turns the damage off, after checking it reached the route (the fault layer's counter moved).
    fn heal(&mut self) {
        let n = self.server.fault_stats().malformed;
        assert!(n > self.malformed, "{} the damage was applied", self.what());
        self.malformed = n;
        self.server.set_faults(Faults::none());
    }

    /// The status line says `prefix: unexpected response: ...` (or `outcome unknown`), on screen too.
    fn assert_status(&self, prefix: &str) -> Status {
        let status = self
            .state()
            .status
            .clone()
            .unwrap_or_else(|| panic!("{} no status message for {prefix}\n{}", self.what(), self.screen()));
        assert!(status.error, "{} {status:?}", self.what());
        assert!(
            status.text.starts_with(&format!("{prefix}: {UNREADABLE}")),
            "{} {status:?}",
            self.what()
        );
        let screen = self.screen();
        let last = screen.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
        assert!(
            last.contains(&format!("{prefix}: {UNREADABLE}")),
            "{} the status line shows it:\n{screen}",
            self.what()
        );
        assert_one_line(&self.what(), &status.text);
        status
    }

    /// The pane with the error shows it (`! unexpected response: ... (^R retries)`; a narrow pane cuts
    /// the end off).
    fn assert_pane_error(&self) {
        let screen = self.screen();
        assert!(
            screen.lines().any(|l| l.contains(&format!("│ ! {UNREADABLE}"))),
            "{} the pane shows the error:\n{screen}",
            self.what()
        );
    }

    /// `r` on the selected item, the form filled, confirmed; waits for the result view.
    async fn restore(&mut self, folder: &str) -> JobStatus {
        self.open_restore().await;
        self.fill_password_form(TARGET, folder, PASSWORD).await;
        self.confirm().await;
        self.key(KeyCode::Tab);
        self.key(KeyCode::Enter);
        self.until(
            "the restore's result",
            |s| matches!(&s.overlay, Some(Overlay::Restore(d)) if matches!(d.phase, JobPhase::Done { .. })),
        )
        .await;
        let g = self.dialog().job().expect("a job");
        self.state().jobs.get(g).expect("the job").status.clone()
    }

    async fn close_dialog(&mut self) {
        self.key(KeyCode::Esc);
        self.until("the dialog closed", |s| s.overlay.is_none()).await;
    }
}

/// An error message stays one short, printable line.
fn assert_one_line(what: &str, text: &str) {
    assert!(!text.chars().any(char::is_control), "{what} {text:?}");
    assert!(text.chars().count() < 2_000, "{what} {} chars", text.chars().count());
}

/// True when `now` is an error set after `before` was read.
fn fresh_error(before: &Option<Status>, now: &Option<Status>) -> bool {
    let Some(n) = now else { return false };
    n.error
        && match before {
            None => true,
            Some(b) => b.text != n.text || n.ticks_left > b.ticks_left,
        }
}

async fn scenario(kind: Malformation, version: ApiVersion) {
    let mut h = Harness::start(kind, version).await;
    let what = h.what();

    // Restore sessions: the first page is unreadable.
    h.damage(SESSIONS);
    h.until("the sessions' error", |s| {
        s.sessions.list.loading.is_none() && matches!(s.sessions.list.paging, Paging::Failed(_))
    })
    .await;
    assert!(h.state().sessions.list.is_empty());
    h.assert_status("restore sessions");
    h.assert_pane_error();
    h.heal();
    h.ctrl('r');
    h.until("the sessions", |s| {
        s.sessions.list.len() >= 2
            && s.sessions.list.loading.is_none()
            && !matches!(s.sessions.list.paging, Paging::Failed(_))
    })
    .await;
    assert!(h.screen().contains("contoso.onmicrosoft.com"), "{}", h.screen());

    // Mailboxes of the working Contoso session.
    let pos = h.working_contoso_session();
    h.damage(MAILBOXES);
    h.keys(KeyCode::Down, pos);
    h.key(KeyCode::Enter);
    h.until("the mailboxes' error", |s| {
        s.focus == Level::Mailboxes
            && s.mailboxes
                .as_ref()
                .is_some_and(|m| m.list.loading.is_none() && matches!(m.list.paging, Paging::Failed(_)))
    })
    .await;
    h.assert_status("mailboxes");
    h.assert_pane_error();
    h.heal();
    h.ctrl('r');
    h.until("the mailboxes", |s| {
        s.mailboxes
            .as_ref()
            .is_some_and(|m| m.list.len() > 10 && m.list.loading.is_none())
    })
    .await;
    assert!(h.screen().contains("Zoë Müller"), "{}", h.screen());

    // Folders of the first mailbox.
    h.damage(FOLDERS);
    h.key(KeyCode::Enter);
    h.until("the folders' error", |s| {
        s.focus == Level::Folders
            && s.folders
                .as_ref()
                .is_some_and(|f| matches!(f.roots, Children::Failed(_)))
    })
    .await;
    h.assert_status("folders");
    h.assert_pane_error();
    h.heal();
    h.ctrl('r');
    h.until("the folders", |s| {
        s.folders
            .as_ref()
            .is_some_and(|f| matches!(f.roots, Children::Loaded(_)) && f.rows().len() > 5)
    })
    .await;
    assert!(h.screen().contains("Inbox"), "{}", h.screen());

    // The Inbox's first page of items (the count, through the same route, fails too).
    h.damage(ITEMS);
    h.key(KeyCode::Enter);
    h.until("the items' error", |s| {
        s.focus == Level::Items && s.items.as_ref().is_some_and(|i| i.error.is_some() && !i.is_loading())
    })
    .await;
    let status = h.state().status.clone().map(|s| s.text).unwrap_or_default();
    let prefix = if status.starts_with("counting") {
        "counting the items"
    } else {
        "items"
    };
    h.assert_status(prefix);
    h.assert_pane_error();
    h.heal();
    h.ctrl('r');
    h.until("the items", |s| {
        s.items
            .as_ref()
            .is_some_and(|i| i.error.is_none() && i.selected().is_some() && !i.is_loading())
    })
    .await;
    assert!(h.screen().contains("Received"), "{}", h.screen());

    // One item.
    h.damage(ITEM);
    h.key(KeyCode::Enter);
    h.until("the item's answer", |s| {
        s.focus == Level::Details && s.details.as_ref().is_some_and(|d| d.loading.is_none())
    })
    .await;
    let failed = h.assert_status("item");
    h.heal();
    let before = h.server.fault_stats().requests;
    h.ctrl('r');
    h.settle().await;
    h.until("the item", |s| s.details.as_ref().is_some_and(|d| d.loading.is_none()))
        .await;
    assert!(h.server.fault_stats().requests > before, "{what} ^R asked again");
    assert!(
        !fresh_error(&Some(failed), &h.state().status),
        "{what} the reload worked: {:?}",
        h.state().status
    );
    let subject = h
        .state()
        .details
        .as_ref()
        .and_then(|d| d.item.title().map(str::to_string))
        .expect("a subject");
    let word = subject.split_whitespace().next().unwrap_or_default();
    assert!(h.screen().contains(word), "{what} {subject:?}\n{}", h.screen());

    // The browsed session's events.
    h.damage(EVENTS);
    h.key(KeyCode::Char('e'));
    h.until(
        "the events' error",
        |s| matches!(&s.overlay, Some(Overlay::Events(v)) if v.loading.is_none() && v.error.is_some()),
    )
    .await;
    let screen = h.screen();
    assert!(
        screen.contains(UNREADABLE),
        "{what} the events view shows it:\n{screen}"
    );
    if let Some(Overlay::Events(v)) = &h.state().overlay {
        assert_one_line(&what, v.error.as_deref().unwrap_or_default());
    }
    h.heal();
    h.ctrl('r');
    h.until(
        "the events",
        |s| matches!(&s.overlay, Some(Overlay::Events(v)) if v.loading.is_none() && v.error.is_none()),
    )
    .await;
    // The view holds the events now (the status line may still show an older message).
    let screen = h.screen();
    let view: Vec<&str> = screen.lines().filter(|l| l.contains('║')).collect();
    assert!(!view.iter().any(|l| l.contains(UNREADABLE)), "{screen}");
    assert!(view.iter().any(|l| l.contains("Start")), "{screen}");
    h.key(KeyCode::Esc);
    h.until("the events closed", |s| s.overlay.is_none()).await;
    // Back to the items: restores of the selected item.
    h.key(KeyCode::Esc);
    h.until("the items", |s| s.focus == Level::Items).await;

    // A restore whose answer is unreadable: outcome unknown, applied once, never resent.
    h.damage(RESTORE);
    let records = h.server.store().restores().len();
    let status = h.restore("Unreadable answer").await;
    assert!(matches!(status, JobStatus::Unknown(_)), "{what} {status:?}");
    let screen = h.screen();
    assert!(screen.contains("outcome unknown"), "{what} {screen}");
    assert!(screen.contains("unreadable"), "{what} {screen}");
    h.heal();
    // Enter on the result closes it; nothing is sent again.
    h.key(KeyCode::Enter);
    h.until("the dialog closed", |s| s.overlay.is_none()).await;
    h.stays(&format!("{what} applied once"), records + 1, |s| {
        s.store().restores().len()
    })
    .await;
    // The next restore goes through.
    let status = h.restore("After the damage").await;
    let JobStatus::Restored(o) = status else {
        panic!("{what} {status:?}\n{}", h.screen())
    };
    assert_eq!(o.created, 1, "{what} {o:?}");
    assert!(
        h.screen().contains("created 1 · merged 0 · skipped 0 · failed 0"),
        "{}",
        h.screen()
    );
    h.close_dialog().await;
    assert_eq!(h.server.store().restores().len(), records + 2);

    // v8: the restore's statistics are unreadable: the restore ran, following it failed.
    if version == ApiVersion::V8 {
        h.damage(STATISTICS);
        let status = h.restore("Unreadable statistics").await;
        assert!(matches!(status, JobStatus::Unknown(_)), "{what} {status:?}");
        let screen = h.screen();
        assert!(screen.contains("outcome unknown"), "{what} {screen}");
        assert!(screen.contains(UNREADABLE), "{what} {screen}");
        h.heal();
        h.close_dialog().await;
        assert_eq!(h.server.store().restores().len(), records + 3, "{what} applied once");
        // Its events say what happened.
        let o = h.restore("After the statistics").await;
        assert!(matches!(o, JobStatus::Restored(_)), "{what} {o:?}");
        h.close_dialog().await;
    }

    // Still responsive, and the normal way out.
    h.key(KeyCode::Char('q'));
    let reached = h.run_until(|_| false, WAIT).await;
    assert!(!reached);
    assert!(h.state().quit, "{what} q quits:\n{}", h.screen());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_json_on_every_endpoint_v8() {
    scenario(Malformation::TruncatedJson, ApiVersion::V8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_types_on_every_endpoint_v8() {
    scenario(Malformation::WrongTypes, ApiVersion::V8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_on_every_endpoint_v8() {
    scenario(Malformation::Html, ApiVersion::V8).await;
}

/// v6 restores answer their counts synchronously: unreadable counts are "outcome unknown" too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_types_on_every_endpoint_v6() {
    scenario(Malformation::WrongTypes, ApiVersion::V6).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_json_on_every_endpoint_v6() {
    scenario(Malformation::TruncatedJson, ApiVersion::V6).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_bodies_on_every_endpoint_v8() {
    scenario(Malformation::Empty, ApiVersion::V8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_shape_on_every_endpoint_v8() {
    scenario(Malformation::WrongShape, ApiVersion::V8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_nesting_on_every_endpoint_v8() {
    scenario(Malformation::DeepNesting, ApiVersion::V8).await;
}

/// Regression: a page whose every value is `null` (`{"offset":null,"limit":null,"results":null}`) is read
/// as an empty page, so the items pane says "this folder is empty" (and the sessions, mailboxes, folders and
/// events lists show nothing) without any message. `results: null` is no list: it should be reported like
/// a missing `results`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_nulls_is_not_an_empty_folder() {
    let mut h = Harness::start(Malformation::NullsEverywhere, ApiVersion::V8).await;
    h.until("the sessions", |s| {
        s.sessions.list.len() >= 2 && s.sessions.list.loading.is_none()
    })
    .await;
    let pos = h.working_contoso_session();
    h.keys(KeyCode::Down, pos);
    h.key(KeyCode::Enter);
    h.until("the mailboxes", |s| {
        s.mailboxes
            .as_ref()
            .is_some_and(|m| m.list.len() > 10 && m.list.loading.is_none())
    })
    .await;
    h.key(KeyCode::Enter);
    h.until("the folders", |s| {
        s.folders
            .as_ref()
            .is_some_and(|f| matches!(f.roots, Children::Loaded(_)) && f.rows().len() > 5)
    })
    .await;
    h.damage(ITEMS);
    h.key(KeyCode::Enter);
    h.until("the items' answer", |s| {
        s.focus == Level::Items && s.items.as_ref().is_some_and(|i| !i.is_loading())
    })
    .await;
    let screen = h.screen();
    assert!(!screen.contains("this folder is empty"), "{screen}");
    assert!(h.state().items.as_ref().is_some_and(|i| i.error.is_some()), "{screen}");
}
