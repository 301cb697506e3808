//! Guided restores, exports and the results through the real browser loop: keys injected into `App`
//! (headless, `TestBackend`), the emulator over HTTP as the server (v6: synchronous counts; v8: async
//! restores with statistics). The emulator's own record of restores and target folders is the judge.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::PathBuf;
use std::time::Duration;
use support::app::{AppHarness, Setup};
use vex::api::models::{ExportOptions, ItemId};
use vex::api::{ApiVersion, Client, RestoreScope, VersionChoice};
use vex::app::jobs::JobStatus;
use vex::app::panes::job_dialog::JobPhase;
use vex::app::panes::restore_dialog::{CredMode, RestoreField};
use vex::app::{Level, Overlay};
use vex::runtime::App;

const WAIT: Duration = Duration::from_secs(60);
const TARGET: &str = "francois.lefevre@contoso.com";
const PASSWORD: &str = "Tr0ub4dor&3-restore";
const CERT_PASSWORD: &str = "pfx-pass-7731";

/// Beside the loop: the client (shared with it), a scratch folder (audit log, exports) and the version.
struct Extra {
    client: Client,
    dir: tempfile::TempDir,
    version: ApiVersion,
}

type Harness = AppHarness<Extra>;

impl Harness {
    async fn start(version: ApiVersion, w: u16, h: u16) -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let audit = dir.path().join("state/audit.jsonl");
        let setup = Setup {
            sim: vex::sim::SimConfig {
                tls: false,
                v8_restore_duration: Duration::from_millis(200),
                ..Default::default()
            },
            api: VersionChoice::Fixed(version),
            size: (w, h),
            wait: WAIT,
            settle: Duration::from_millis(150),
            tag: format!("[{version}] "),
            ..Setup::default()
        };
        let h = AppHarness::launch_with(setup, |mut s| {
            s.audit_log = Some(audit);
            s
        })
        .await;
        let client = h.app.client().clone();
        h.with(Extra { client, dir, version })
    }

    /// From the sessions: the working Contoso session → its first mailbox (Zoë Müller) → `folder`.
    async fn open_folder(&mut self, folder: &str) {
        self.open_working_contoso().await;
        let first = self.state().mailboxes.as_ref().and_then(|m| m.selected().cloned());
        assert_eq!(first.and_then(|m| m.name).as_deref(), Some("Zoë Müller"));
        self.open_mailbox().await;
        self.pick_folder(folder).await;
    }

    /// In the folders pane: filter to `folder` and open it.
    async fn pick_folder(&mut self, folder: &str) {
        self.key(KeyCode::Char('/'));
        self.typed(&folder.to_lowercase());
        self.key(KeyCode::Enter);
        self.key(KeyCode::Enter);
        let name = folder.to_string();
        self.until("the folder's items", move |s| {
            s.focus == Level::Items
                && s.items
                    .as_ref()
                    .is_some_and(|i| i.folder.name.as_deref() == Some(name.as_str()) && i.selected().is_some())
        })
        .await;
    }

    /// Back from the items to the folders pane, its filter cleared.
    async fn back_to_folders(&mut self) {
        self.key(KeyCode::Esc);
        self.until("the folders", |s| s.focus == Level::Folders).await;
        self.key(KeyCode::Esc);
        self.until("no folder filter", |s| {
            s.folders.as_ref().is_some_and(|f| !f.filter.is_active())
        })
        .await;
    }

    /// Enter (check), then Tab + Enter on the confirmation: sends. Waits for the result (or the refusal).
    async fn confirm_and_wait(&mut self) {
        self.confirm().await;
        let screen = self.screen();
        assert!(
            screen.contains("[ Cancel ]") && screen.contains("[ Restore ]"),
            "{screen}"
        );
        self.send_confirmed().await;
    }

    /// The outcome of the job the dialog shows.
    fn outcome(&self) -> vex::api::models::RestoreOutcome {
        let g = self.dialog().job().expect("a job");
        match &self.state().jobs.get(g).expect("job").status {
            JobStatus::Restored(o) => o.clone(),
            other => panic!("[{}] not restored: {other:?}\n{}", self.version, self.screen()),
        }
    }

    /// The audit log's outcome lines: one per action (a restore's `sent` line, written before it was
    /// sent, is left out; see [`Harness::audit_sent_lines`]).
    fn audit_lines(&self) -> Vec<serde_json::Value> {
        self.audit_all()
            .into_iter()
            .filter(|l| l["outcome"] != "sent")
            .collect()
    }

    /// The `sent` lines of the restores.
    fn audit_sent_lines(&self) -> Vec<serde_json::Value> {
        self.audit_all()
            .into_iter()
            .filter(|l| l["outcome"] == "sent")
            .collect()
    }

    fn audit_all(&self) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(self.audit_path()).unwrap_or_default();
        text.lines()
            .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
            .collect()
    }

    fn audit_path(&self) -> PathBuf {
        self.dir.path().join("state/audit.jsonl")
    }
}

/// Fills the form of a fresh dialog (focus on the target mailbox): target, folder, user + password.
async fn fill_password_form(h: &mut Harness, target: &str, folder: &str) {
    h.fill_password_form(target, folder, PASSWORD).await;
    h.settle().await;
}

/// The first three messages marked again if a successful restore cleared the marks (the cursor on the
/// first row first), then `r`.
async fn reopen(h: &mut Harness) {
    remark(h, 3).await;
    h.open_restore().await;
}

/// The first `n` messages marked again when a successful restore cleared the marks.
async fn remark(h: &mut Harness, n: usize) {
    if h.state().focus == Level::Items
        && h.state()
            .items
            .as_ref()
            .is_some_and(|i| i.marks.is_empty() && !i.all_marked)
    {
        h.key(KeyCode::Char('g'));
        h.keys(KeyCode::Char(' '), n);
        h.until("the marks again", |s| {
            s.items.as_ref().is_some_and(|i| i.marks.len() == n)
        })
        .await;
    }
}

async fn restore_to(h: &mut Harness, folder: &str) -> vex::api::models::RestoreOutcome {
    reopen(h).await;
    fill_password_form(h, TARGET, folder).await;
    h.confirm_and_wait().await;
    let o = h.outcome();
    h.key(KeyCode::Enter);
    h.until("the dialog closed", |s| s.overlay.is_none()).await;
    o
}

async fn scenario(version: ApiVersion) {
    let mut h = Harness::start(version, 100, 40).await;
    h.open_folder("Inbox").await;
    // Three messages marked.
    h.keys(KeyCode::Char(' '), 3);
    h.until("3 marks", |s| s.items.as_ref().is_some_and(|i| i.marks.len() == 3))
        .await;
    let marked: Vec<String> = h
        .state()
        .items
        .as_ref()
        .map(|i| i.marks.iter().cloned().collect())
        .unwrap_or_default();

    // First restore: created 3 (the screen says so).
    reopen(&mut h).await;
    fill_password_form(&mut h, TARGET, "Restored").await;
    assert!(
        h.screen().contains(&"•".repeat(PASSWORD.chars().count())),
        "masked:\n{}",
        h.screen()
    );
    assert!(!h.screen().contains(PASSWORD));
    h.confirm_and_wait().await;
    let o = h.outcome();
    assert_eq!((o.created, o.merged, o.skipped, o.failed), (3, 0, 0, 0), "{o:?}");
    assert!(h.screen().contains("created 3"), "{}", h.screen());
    if version == ApiVersion::V8 {
        assert!(o.session_id.is_some(), "v8 restores have their own session");
        // The events of the restore's session, from the result.
        h.key(KeyCode::Char('e'));
        h.until(
            "the restore's events",
            |s| matches!(&s.overlay, Some(Overlay::Events(v)) if v.loading.is_none() && !v.events.is_empty()),
        )
        .await;
        assert!(h.screen().contains("Restore"), "{}", h.screen());
        h.key(KeyCode::Esc);
        h.until("back to the result", |s| {
            matches!(&s.overlay, Some(Overlay::Restore(_)))
        })
        .await;
    }
    h.key(KeyCode::Enter);
    h.until("closed", |s| s.overlay.is_none()).await;
    // The dialog remembered everything but the password.
    reopen(&mut h).await;
    assert_eq!(h.dialog().target.value(), TARGET);
    assert!(h.dialog().password.is_empty());
    h.key(KeyCode::Esc);
    h.until("closed", |s| s.overlay.is_none()).await;

    // Again: skipped 3.
    let o = restore_to(&mut h, "Restored").await;
    assert_eq!((o.created, o.skipped), (0, 3), "{o:?}");
    // Changed items: the multi-version message is merged.
    reopen(&mut h).await;
    fill_password_form(&mut h, TARGET, "Restored").await;
    h.focus(RestoreField::Flag(0)).await;
    h.key(KeyCode::Char(' '));
    h.confirm_and_wait().await;
    let o = h.outcome();
    assert!(o.merged >= 1 && o.created + o.merged + o.skipped == 3, "{o:?}");
    assert!(h.screen().contains(&format!("merged {}", o.merged)), "{}", h.screen());
    h.key(KeyCode::Enter);

    // An unknown target mailbox: the server's message, every field still filled.
    reopen(&mut h).await;
    fill_password_form(&mut h, "nobody@contoso.com", "Restored").await;
    h.confirm_and_wait().await;
    let d = h.dialog();
    assert_eq!(d.phase, JobPhase::Form);
    assert!(
        d.server_error
            .as_deref()
            .is_some_and(|e| e.contains("nobody@contoso.com")),
        "{:?}",
        d.server_error
    );
    assert_eq!(d.target.value(), "nobody@contoso.com");
    assert_eq!(d.folder.value(), "Restored");
    assert_eq!(d.user.value(), "restore-admin@contoso.com");
    assert_eq!(d.password.len(), PASSWORD.chars().count());
    let screen = h.screen();
    assert!(screen.contains("was not found"), "{screen}");
    assert!(screen.contains("nobody@contoso.com"), "{screen}");
    // Fix the one field and send again: it goes through.
    h.focus(RestoreField::TargetMailbox).await;
    h.retype(TARGET);
    h.focus(RestoreField::TargetFolder).await;
    h.retype("Fixed");
    h.confirm_and_wait().await;
    assert_eq!(h.outcome().created, 3);
    h.key(KeyCode::Enter);

    // Device code.
    reopen(&mut h).await;
    h.focus(RestoreField::TargetFolder).await;
    h.retype("DeviceCode");
    h.set_mode(CredMode::DeviceCode).await;
    h.key(KeyCode::Tab);
    h.settle().await;
    assert_eq!(h.dialog().field, RestoreField::RequestCode);
    h.key(KeyCode::Enter);
    h.until(
        "a device code",
        |s| matches!(&s.overlay, Some(Overlay::Restore(d)) if d.device_code.is_some()),
    )
    .await;
    let code = h
        .dialog()
        .device_code
        .clone()
        .and_then(|c| c.user_code)
        .expect("a code");
    assert!(h.screen().contains(&code), "{}", h.screen());
    h.key(KeyCode::Tab);
    h.confirm_and_wait().await;
    assert_eq!(h.outcome().created, 3);
    h.key(KeyCode::Enter);

    // Application + certificate, marking the copies unread.
    let pfx = h.dir.path().join("app.pfx");
    std::fs::write(&pfx, [0x30, 0x05, 0x02, 0x01, 0x03, 0x30, 0x00]).expect("pfx");
    reopen(&mut h).await;
    h.focus(RestoreField::TargetFolder).await;
    h.retype("AppMode");
    h.set_mode(CredMode::Application).await;
    h.key(KeyCode::Tab);
    h.typed("4d1f3b2a-1111-2222-3333-444455556666");
    h.key(KeyCode::Tab);
    h.typed(&pfx.display().to_string());
    h.key(KeyCode::Tab);
    h.typed(CERT_PASSWORD);
    h.key(KeyCode::Tab);
    h.typed("svc-restore@contoso.com");
    h.focus(RestoreField::Flag(2)).await;
    h.key(KeyCode::Char(' '));
    h.settle().await;
    assert!(!h.screen().contains(CERT_PASSWORD));
    h.confirm_and_wait().await;
    assert_eq!(h.outcome().created, 3);
    h.key(KeyCode::Enter);
    h.until("closed", |s| s.overlay.is_none()).await;
    let copies = h.server.store().target_contents(TARGET, "AppMode");
    assert_eq!(copies.len(), 3);
    assert!(copies.iter().all(|c| c.unread), "{copies:?}");
    let plain = h.server.store().target_contents(TARGET, "Restored");
    assert!(plain.iter().all(|c| !c.unread), "{plain:?}");

    // Export the same 3 messages to PST (marked again: the restore cleared the marks).
    remark(&mut h, 3).await;
    let pst = h.dir.path().join("zoe-inbox.pst");
    h.key(KeyCode::Char('E'));
    h.until("the export dialog", |s| {
        matches!(&s.overlay, Some(Overlay::Transfer(_)))
    })
    .await;
    h.retype(&pst.display().to_string());
    h.key(KeyCode::Enter);
    h.until(
        "the export's end",
        |s| matches!(&s.overlay, Some(Overlay::Transfer(d)) if matches!(d.phase, JobPhase::Done { .. })),
    )
    .await;
    let bytes = std::fs::read(&pst).expect("the PST was written");
    assert_eq!(&bytes[..4], b"!BDN");
    let direct = h.dir.path().join("direct.pst");
    let session = h.state().items.as_ref().map(|i| i.key.clone()).expect("items");
    let n = h
        .client
        .export_pst(
            &session.session_id,
            &session.mailbox_id,
            &RestoreScope::Items,
            &ExportOptions {
                items: Some(marked.iter().map(|id| ItemId { id: id.clone() }).collect()),
                ..Default::default()
            },
            &direct,
            &|_| {},
        )
        .await
        .expect("direct export");
    assert_eq!(bytes.len() as u64, n);
    assert_eq!(std::fs::metadata(&direct).map(|m| m.len()).ok(), Some(n));
    h.key(KeyCode::Enter);
    h.until("closed", |s| s.overlay.is_none()).await;

    // Drafts with every flag: excludeDrafts skips them, with a warning on screen.
    h.back_to_folders().await;
    h.pick_folder("Drafts").await;
    h.keys(KeyCode::Char(' '), 2);
    h.until("2 marks", |s| s.items.as_ref().is_some_and(|i| i.marks.len() == 2))
        .await;
    h.open_restore().await;
    fill_password_form(&mut h, TARGET, "AllFlags").await;
    // Every flag on (the dialog remembers the flags of the last restore).
    for i in 0..7 {
        if !vex::app::panes::restore_dialog::flag(&h.dialog().flags, i) {
            h.focus(RestoreField::Flag(i)).await;
            h.key(KeyCode::Char(' '));
        }
    }
    h.confirm_and_wait().await;
    let o = h.outcome();
    assert_eq!(o.skipped, 2, "{o:?}");
    assert!(o.warnings.iter().any(|w| w.contains("excludeDrafts")), "{o:?}");
    assert!(h.screen().contains("excludeDrafts"), "{}", h.screen());
    h.key(KeyCode::Enter);

    // The whole Inbox (2,600 items, never all loaded) through "mark all": a folder restore.
    h.back_to_folders().await;
    h.pick_folder("Inbox").await;
    h.key(KeyCode::Char('a'));
    h.until("all marked", |s| s.items.as_ref().is_some_and(|i| i.all_marked))
        .await;
    assert!(h.state().items.as_ref().is_some_and(|i| i.items_held() < 2_600));
    h.open_restore().await;
    fill_password_form(&mut h, TARGET, "WholeInbox").await;
    // Every flag off again (remembered from the last restore; the confirmation names them).
    for i in 0..7 {
        if vex::app::panes::restore_dialog::flag(&h.dialog().flags, i) {
            h.focus(RestoreField::Flag(i)).await;
            h.key(KeyCode::Char(' '));
        }
    }
    h.confirm_and_wait().await;
    let o = h.outcome();
    assert!(o.created >= 2_600, "{o:?}");

    // The emulator's record: every restore exactly once, with what the dialog set.
    let records = h.server.store().restores();
    let kinds: Vec<&str> = records.iter().map(|r| r.kind).collect();
    assert_eq!(records.len(), 8, "{kinds:?}");
    let folder = records.last().expect("the folder restore");
    assert_eq!(folder.kind, "folder");
    assert!(folder.item_ids.is_empty());
    assert!(folder.source_folder_id.is_some());
    for r in &records[..7] {
        assert_eq!(r.kind, "items");
        assert!(records.iter().filter(|x| x.id == r.id).count() == 1);
    }
    let modes: Vec<&str> = records.iter().map(|r| r.credential_mode.as_str()).collect();
    assert_eq!(
        modes,
        [
            "Password",
            "Password",
            "Password",
            "Password",
            "DeviceCode",
            "Application",
            "Password",
            "Password"
        ]
    );
    assert!(records[2].flags.changed_items && !records[1].flags.changed_items);
    assert!(records[5].flags.mark_unread && !records[4].flags.mark_unread);
    let all = &records[6].flags;
    assert!(
        all.changed_items
            && all.deleted_items
            && all.mark_unread
            && all.exclude_drafts
            && all.exclude_deleted_items
            && all.exclude_in_place_hold
            && all.exclude_litigation_hold,
        "{all:?}"
    );
    assert_eq!(records[0].target_folder.as_deref(), Some("Restored"));
    assert_eq!(records[0].item_ids.len(), 3);

    // The audit log: one line per restore sent (the refused one too), the export, no secret.
    let lines = h.audit_lines();
    let restores: Vec<&serde_json::Value> = lines.iter().filter(|l| l["action"] == "restore").collect();
    assert_eq!(restores.len(), 9, "{lines:#?}");
    assert_eq!(restores[0]["created"], 3);
    assert_eq!(restores[0]["outcome"], "ok");
    assert_eq!(restores[0]["target_mailbox"], TARGET);
    assert_eq!(restores[0]["credential_mode"], "password");
    assert_eq!(restores[1]["skipped"], 3);
    assert_eq!(restores[3]["outcome"], "failed");
    // Each restore's `sent` line came before its outcome, with the same id.
    let all = h.audit_all();
    for done in &restores {
        let at = all.iter().position(|l| l == *done).expect("the outcome line");
        assert!(
            all[..at]
                .iter()
                .any(|l| l["outcome"] == "sent" && l["id"] == done["id"]),
            "no sent line before {done}"
        );
    }
    assert_eq!(h.audit_sent_lines().len(), 9);
    assert_eq!(lines.iter().filter(|l| l["action"] == "export").count(), 1);
    let raw = std::fs::read_to_string(h.audit_path()).expect("audit");
    for secret in [PASSWORD, CERT_PASSWORD, "MAUCAQMwAA=="] {
        assert!(!raw.contains(secret), "a secret in the audit log");
    }
    // Nor in the state's Debug output.
    let dbg = format!("{:?}", h.state());
    assert!(!dbg.contains(PASSWORD) && !dbg.contains(CERT_PASSWORD));

    // The results list keeps them all.
    h.key(KeyCode::Enter);
    h.until("closed", |s| s.overlay.is_none()).await;
    h.key(KeyCode::Char('R'));
    h.until("the results", |s| matches!(&s.overlay, Some(Overlay::Results(_))))
        .await;
    let screen = h.screen();
    assert!(screen.contains("created 3"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guided_restores_v6() {
    scenario(ApiVersion::V6).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guided_restores_v8() {
    scenario(ApiVersion::V8).await;
}

/// The answer of a restore is lost after the server applied it: "outcome unknown", the events offered,
/// nothing resent (the emulator applied it once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_is_outcome_unknown_and_never_resent() {
    for version in [ApiVersion::V6, ApiVersion::V8] {
        let mut h = Harness::start(version, 100, 40).await;
        h.server.set_faults(vex::sim::Faults {
            reset_after_apply: vex::sim::ResetAfterApply::First(1),
            ..Default::default()
        });
        h.open_folder("Inbox").await;
        h.keys(KeyCode::Char(' '), 3);
        h.open_restore().await;
        fill_password_form(&mut h, TARGET, "Lost").await;
        h.confirm_and_wait().await;
        let g = h.dialog().job().expect("job");
        assert!(
            matches!(h.state().jobs.get(g).map(|j| &j.status), Some(JobStatus::Unknown(_))),
            "[{version}] {:?}",
            h.state().jobs.get(g).map(|j| &j.status)
        );
        let screen = h.screen();
        assert!(screen.contains("outcome unknown"), "{screen}");
        assert!(screen.contains("check the events"), "{screen}");
        // Enter on the dialog does not send again.
        h.key(KeyCode::Tab);
        h.key(KeyCode::Enter);
        h.until(
            "the events",
            |s| matches!(&s.overlay, Some(Overlay::Events(v)) if v.loading.is_none()),
        )
        .await;
        let screen = h.screen();
        assert!(screen.contains("outcome is unknown"), "{screen}");
        h.stays(&format!("[{version}] applied once, never resent"), 1, |s| {
            s.store().restores().len()
        })
        .await;
        assert_eq!(h.server.store().target_contents(TARGET, "Lost").len(), 3);
        let lines = h.audit_lines();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["outcome"], "unknown");
        assert_eq!(h.audit_sent_lines().len(), 1, "recorded before it was sent");
    }
}

/// Read-only: restore, export, save and send keys only say "read-only".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_refuses_every_write_key() {
    let mut h = Harness::start(ApiVersion::V8, 100, 40).await;
    // Flip to read-only after the start (the header is the state's).
    h.open_folder("Inbox").await;
    let mut state = h.state().clone();
    state.header.read_only = true;
    let terminal = Terminal::new(TestBackend::new(100, 40)).expect("terminal");
    let mut app = App::new(terminal, h.client.clone(), state);
    std::mem::swap(&mut h.app, &mut app);
    for k in ['r', 'E', 'm', 'S'] {
        h.key(KeyCode::Char(k));
        h.stays(&format!("{k}: nothing sent"), 0, |s| s.store().restores().len())
            .await;
        assert!(h.state().overlay.is_none(), "{k}");
        let status = h.state().status.as_ref().map(|s| s.text.clone()).unwrap_or_default();
        assert!(status.contains("read-only"), "{k}: {status}");
    }
    assert!(h.server.store().restores().is_empty());
    assert!(!h.audit_path().exists());
}

/// To the original location (credentials only), save as MSG (two items: a ZIP) and send to another
/// address, on v7.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn original_location_save_and_send() {
    let mut h = Harness::start(ApiVersion::V7, 100, 40).await;
    h.open_folder("Inbox").await;
    h.keys(KeyCode::Char(' '), 2);
    h.open_restore().await;
    h.key(KeyCode::BackTab);
    h.key(KeyCode::Char(' '));
    h.settle().await;
    assert!(h.dialog().original);
    assert!(!h.dialog().fields().contains(&RestoreField::TargetMailbox));
    h.set_mode(CredMode::Password).await;
    h.key(KeyCode::Tab);
    h.typed("restore-admin@contoso.com");
    h.key(KeyCode::Tab);
    h.typed(PASSWORD);
    h.key(KeyCode::Enter);
    h.until(
        "the confirmation",
        |s| matches!(&s.overlay, Some(Overlay::Restore(d)) if matches!(d.phase, JobPhase::Confirm { .. })),
    )
    .await;
    assert!(h.screen().contains("to its original location"), "{}", h.screen());
    h.key(KeyCode::Tab);
    h.key(KeyCode::Enter);
    h.until(
        "the restore's end",
        |s| matches!(&s.overlay, Some(Overlay::Restore(d)) if matches!(d.phase, JobPhase::Done { .. })),
    )
    .await;
    assert_eq!(h.outcome().created + h.outcome().skipped, 2);
    h.key(KeyCode::Enter);
    let records = h.server.store().restores();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].kind, "original");
    assert_eq!(records[0].target_mailbox, None);
    assert_eq!(records[0].item_ids.len(), 2);

    // Save as MSG: two items come as a ZIP (marked again: the restore cleared the marks).
    remark(&mut h, 2).await;
    let zip = h.dir.path().join("two.zip");
    h.key(KeyCode::Char('m'));
    h.until("the save dialog", |s| matches!(&s.overlay, Some(Overlay::Transfer(_))))
        .await;
    h.retype(&zip.display().to_string());
    h.key(KeyCode::Enter);
    h.until(
        "the save's end",
        |s| matches!(&s.overlay, Some(Overlay::Transfer(d)) if matches!(d.phase, JobPhase::Done { .. })),
    )
    .await;
    let bytes = std::fs::read(&zip).expect("saved");
    assert_eq!(&bytes[..4], b"PK\x03\x04");
    // The same file again is refused unless "overwrite" is ticked; the dialog keeps the path.
    h.key(KeyCode::Enter);
    h.key(KeyCode::Char('m'));
    h.until("the save dialog", |s| matches!(&s.overlay, Some(Overlay::Transfer(_))))
        .await;
    h.retype(&zip.display().to_string());
    h.key(KeyCode::Enter);
    h.until(
        "the refusal",
        |s| matches!(&s.overlay, Some(Overlay::Transfer(d)) if d.server_error.is_some() && d.phase == JobPhase::Form),
    )
    .await;
    assert!(h.screen().contains("exists"), "{}", h.screen());
    h.key(KeyCode::Esc);

    // Send to a different address, after a confirmation.
    h.key(KeyCode::Char('S'));
    h.until("the send dialog", |s| matches!(&s.overlay, Some(Overlay::Transfer(_))))
        .await;
    h.key(KeyCode::Char(' '));
    h.key(KeyCode::Tab);
    h.key(KeyCode::Tab);
    h.typed("auditor@fabrikam.com");
    h.key(KeyCode::Enter);
    h.until(
        "the send confirmation",
        |s| matches!(&s.overlay, Some(Overlay::Transfer(d)) if matches!(d.phase, JobPhase::Confirm { .. })),
    )
    .await;
    assert!(h.screen().contains("to auditor@fabrikam.com"), "{}", h.screen());
    h.key(KeyCode::Tab);
    h.key(KeyCode::Enter);
    h.until(
        "sent",
        |s| matches!(&s.overlay, Some(Overlay::Transfer(d)) if matches!(d.phase, JobPhase::Done { .. })),
    )
    .await;
    let session = h
        .state()
        .items
        .as_ref()
        .map(|i| i.key.session_id.clone())
        .expect("items");
    let events = h.client.all_session_events(&session).await.expect("events");
    assert!(
        events
            .iter()
            .any(|e| e.title.as_deref().is_some_and(|t| t.contains("auditor@fabrikam.com"))),
        "{events:?}"
    );

    let actions: Vec<String> = h
        .audit_lines()
        .iter()
        .map(|l| l["action"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(actions, ["restore-original", "save", "send"]);
    let lines = h.audit_lines();
    assert_eq!(lines[0]["target_mailbox"], serde_json::Value::Null);
    assert_eq!(lines[2]["target_mailbox"], "auditor@fabrikam.com");
}
