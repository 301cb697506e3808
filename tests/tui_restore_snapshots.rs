//! The restore dialog (and the export dialog, the results list, the events view) drawn on a `TestBackend`
//! at 80x24 and 160x40, driven through `update` with answers from an in-memory fake. Also: keys and
//! guards that need no server (never twice, read-only, mark all, secrets never drawn or debugged).

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use crossterm::event::{KeyCode, KeyModifiers};
use serde_json::json;
use std::sync::LazyLock;
use support::fake::{self, from, render, snap_both};
use support::fixtures::{
    Browse, Drive, drafts, folder, francois, inbox, mailbox, restore_dialog as dialog, sent_items, zoe,
};
use vex::api::models::{DeviceCode, RestoreOutcome, RestoreSession, SessionEvent};
use vex::api::{ApiError, DownloadProgress, RestoreProgress, RestoreScope};
use vex::app::jobs::JobStatus;
use vex::app::panes::job_dialog::JobPhase;
use vex::app::panes::restore_dialog::RestoreField;
use vex::app::request::Written;
use vex::app::{Answer, Call, Effect, Level, Msg, Overlay, Request, Response, State, update};

const SECRET: &str = "s3cr3t-Pa55";

fn sessions() -> Vec<RestoreSession> {
    from(json!([
        {"id": "s-1", "name": "Contoso restore", "organization": "contoso.onmicrosoft.com", "type": "Vex",
         "creationTime": "2024-03-01T14:00:00Z", "state": "Working", "result": "Success",
         "initiatedBy": "CONTOSO\\administrator"}
    ]))
}

/// The fake server: the browsing lists, 12 messages in every folder, the target folders; jobs and their
/// views are answered by the tests.
static SERVER: LazyLock<Browse> = LazyLock::new(|| {
    Browse::new(
        sessions(),
        vec![
            zoe(),
            francois(),
            from(
                json!({"id": "mb-3", "name": "Online Archive - Zoë Müller", "email": "zoe.muller@contoso.com",
                        "isArchive": true}),
            ),
            mailbox("mb-4", "Fang Wang", "fang.wang@contoso.com"),
        ],
        vec![inbox(), sent_items(), folder("f-restored", "Restored", None), drafts()],
        12,
    )
});

/// Applies effects' answers until none is left; returns the requests of the jobs and their views (for
/// the tests to answer).
fn settle(s: &mut State, fx: Vec<Effect>) -> Vec<Request> {
    fake::settle_jobs(&*SERVER, s, fx)
}

fn key_mod(s: &mut State, code: KeyCode, mods: KeyModifiers) -> Vec<Request> {
    SERVER.key_mod(s, code, mods)
}

fn key(s: &mut State, code: KeyCode) -> Vec<Request> {
    SERVER.key(s, code)
}

fn typed(s: &mut State, text: &str) {
    SERVER.typed(s, text);
}

fn tab_to(s: &mut State, f: RestoreField) {
    SERVER.tab_to(s, f);
}

/// Zoë Müller's Inbox with three messages marked.
fn marked_three(api: &str) -> State {
    let mut s = fake::new_state();
    s.header.api_version = api.into();
    let fx = update(&mut s, Msg::Start);
    settle(&mut s, fx);
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Items);
    for _ in 0..3 {
        key(&mut s, KeyCode::Char(' '));
    }
    assert_eq!(s.items.as_ref().map(|i| i.marks.len()), Some(3));
    s
}

fn opened(api: &str) -> State {
    let mut s = marked_three(api);
    let jobs = key(&mut s, KeyCode::Char('r'));
    assert!(jobs.is_empty());
    assert_eq!(dialog(&s).phase, JobPhase::Form);
    s
}

fn filled(api: &str) -> State {
    let mut s = opened(api);
    typed(&mut s, "francois.lefevre@contoso.com");
    key(&mut s, KeyCode::Tab);
    // Over the folder offered by default.
    key_mod(&mut s, KeyCode::Char('u'), KeyModifiers::CONTROL);
    typed(&mut s, "Restored");
    tab_to(&mut s, RestoreField::User);
    typed(&mut s, "restore-admin@contoso.com");
    key(&mut s, KeyCode::Tab);
    typed(&mut s, SECRET);
    tab_to(&mut s, RestoreField::Flag(2));
    key(&mut s, KeyCode::Char(' '));
    tab_to(&mut s, RestoreField::Password);
    s
}

fn confirming(api: &str) -> State {
    let mut s = filled(api);
    key(&mut s, KeyCode::Enter);
    assert!(matches!(dialog(&s).phase, JobPhase::Confirm { yes: false, .. }));
    s
}

/// Confirmed: the restore effect went out.
fn running(api: &str) -> (State, Request) {
    let mut s = confirming(api);
    key(&mut s, KeyCode::Tab);
    let mut jobs = key(&mut s, KeyCode::Enter);
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let job = jobs.remove(0);
    (s, job)
}

fn finish(s: &mut State, job: &Request, result: Result<RestoreOutcome, ApiError>) {
    let fx = update(
        s,
        Msg::Answer(Answer {
            id: job.id,
            result: Ok(Response::Restored(Written {
                result,
                audit_error: None,
            })),
        }),
    );
    settle(s, fx);
}

fn outcome_with_problems() -> RestoreOutcome {
    RestoreOutcome {
        created: 1,
        merged: 1,
        skipped: 0,
        failed: 1,
        failed_folders: None,
        warnings: vec!["1 item(s) skipped: items in Drafts are excluded (excludeDrafts).".into()],
        exceptions: vec!["Item 'AAMkADQ5Zj' was not found in the backup of mailbox 'zoe.muller@contoso.com'.".into()],
        cannot_continue_error: None,
        session_id: Some("9a1f7c2e-44b1-4f0e-9d51-0c8e2b7a6f11".into()),
        ..Default::default()
    }
}

fn text(s: &State, w: u16, h: u16) -> String {
    render(s, w, h).backend().to_string()
}

// ------------------------------------------------------------------------------------------------
// Snapshots
// ------------------------------------------------------------------------------------------------

#[test]
fn snapshot_restore_empty() {
    snap_both!("restore_empty", opened("v8"));
}

#[test]
fn snapshot_restore_filled_password_masked() {
    let s = filled("v8");
    for (w, h) in [(80, 24), (160, 40)] {
        let t = text(&s, w, h);
        assert!(!t.contains(SECRET), "{t}");
        assert!(t.contains(&"•".repeat(SECRET.len())), "{t}");
    }
    assert!(!format!("{s:?}").contains(SECRET));
    snap_both!("restore_filled", s);
}

#[test]
fn snapshot_restore_suggestions() {
    let mut s = opened("v8");
    typed(&mut s, "fr");
    key(&mut s, KeyCode::Down);
    snap_both!("restore_suggestions", s);
}

#[test]
fn snapshot_restore_validation_errors() {
    let mut s = opened("v8");
    typed(&mut s, "francois at contoso");
    key(&mut s, KeyCode::Enter);
    let d = dialog(&s);
    assert_eq!(d.phase, JobPhase::Form);
    assert_eq!(
        d.field,
        RestoreField::TargetMailbox,
        "the first field at fault gets the focus"
    );
    assert!(d.error_of(RestoreField::User).is_some() && d.error_of(RestoreField::Password).is_some());
    snap_both!("restore_validation", s);
}

#[test]
fn snapshot_restore_confirmation() {
    let s = confirming("v8");
    let t = text(&s, 160, 40);
    assert!(
        t.contains("Restore 3 items from Zoë Müller (Inbox) to francois.lefevre@contoso.com/Restored, mark unread")
    );
    snap_both!("restore_confirm", s);
}

#[test]
fn snapshot_restore_running_v6_and_v8() {
    let (s, _) = running("v6");
    snap_both!("restore_running_v6", s);
    let (mut s, job) = running("v8");
    let fx = update(
        &mut s,
        Msg::Answer(Answer {
            id: job.id,
            result: Ok(Response::RestoreProgress(RestoreProgress {
                total: 3,
                restored: 2,
                failed: 0,
                skipped: 0,
                last_event: Some("Restoring 3 items...".into()),
            })),
        }),
    );
    settle(&mut s, fx);
    snap_both!("restore_running_v8", s);
}

#[test]
fn snapshot_restore_result_with_warnings_and_exceptions() {
    let (mut s, job) = running("v8");
    finish(&mut s, &job, Ok(outcome_with_problems()));
    assert!(matches!(dialog(&s).phase, JobPhase::Done { .. }));
    snap_both!("restore_result", s);
}

#[test]
fn snapshot_restore_outcome_unknown() {
    let (mut s, job) = running("v6");
    finish(
        &mut s,
        &job,
        Err(ApiError::OutcomeUnknown(
            "restore: the request was sent but its answer was lost (connection reset)".into(),
        )),
    );
    let t = text(&s, 80, 24);
    assert!(
        t.contains("outcome unknown — the server may have applied it; check the events"),
        "{t}"
    );
    snap_both!("restore_outcome_unknown", s);
}

#[test]
fn snapshot_restore_refused_keeps_every_field() {
    let (mut s, job) = running("v8");
    finish(
        &mut s,
        &job,
        Err(ApiError::Http {
            status: 400,
            message: "Mailbox 'nobody@contoso.com' was not found in organization 'contoso.onmicrosoft.com'.".into(),
            error_code: None,
        }),
    );
    let d = dialog(&s);
    assert_eq!(d.phase, JobPhase::Form);
    assert_eq!(d.target.value(), "francois.lefevre@contoso.com");
    assert_eq!(d.folder.value(), "Restored");
    assert_eq!(d.user.value(), "restore-admin@contoso.com");
    assert_eq!(d.password.len(), SECRET.len());
    assert!(d.flags.mark_restored_as_unread);
    snap_both!("restore_refused", s);
}

#[test]
fn snapshot_device_code_and_application_modes() {
    let mut s = opened("v8");
    tab_to(&mut s, RestoreField::Mode);
    key(&mut s, KeyCode::Right);
    key(&mut s, KeyCode::Tab);
    let jobs = key(&mut s, KeyCode::Enter);
    let [
        Request {
            id: generation,
            call: Call::DeviceCode { .. },
        },
    ] = jobs.as_slice()
    else {
        panic!("{jobs:?}")
    };
    let fx = update(
        &mut s,
        Msg::Answer(Answer {
            id: *generation,
            result: Ok(Response::DeviceCode(DeviceCode {
                user_code: Some("QF7XK2LM".into()),
                verification_url: Some("https://microsoft.com/devicelogin".into()),
                expires_in: Some(900),
                message: Some("To sign in, open https://microsoft.com/devicelogin and enter QF7XK2LM.".into()),
            })),
        }),
    );
    settle(&mut s, fx);
    snap_both!("restore_device_code", s.clone());
    tab_to(&mut s, RestoreField::Mode);
    key(&mut s, KeyCode::Right);
    tab_to(&mut s, RestoreField::CertPassword);
    typed(&mut s, SECRET);
    assert!(!text(&s, 160, 40).contains(SECRET));
    snap_both!("restore_application", s);
}

#[test]
fn snapshot_results_and_events() {
    let (mut s, job) = running("v8");
    finish(&mut s, &job, Ok(outcome_with_problems()));
    key(&mut s, KeyCode::Enter);
    assert!(s.overlay.is_none());
    key(&mut s, KeyCode::Char('R'));
    snap_both!("results", s.clone());
    // e: the restore's own session first.
    let jobs = key(&mut s, KeyCode::Char('e'));
    let [
        Request {
            id: generation,
            call: Call::Events { session_id },
        },
    ] = jobs.as_slice()
    else {
        panic!("{jobs:?}")
    };
    assert_eq!(session_id, "9a1f7c2e-44b1-4f0e-9d51-0c8e2b7a6f11");
    let events: Vec<SessionEvent> = from(json!([
        {"id": "e1", "type": "Restore", "status": "Warning", "order": 1,
         "startTime": "2024-03-01T14:10:00Z", "endTime": "2024-03-01T14:10:02Z",
         "title": "Restore of 3 items to francois.lefevre@contoso.com",
         "message": "Restore finished: 1 created, 1 merged, 0 skipped, 1 failed.",
         "source": "zoe.muller@contoso.com", "target": "francois.lefevre@contoso.com/Restored"}
    ]));
    let fx = update(
        &mut s,
        Msg::Answer(Answer {
            id: *generation,
            result: Ok(Response::Events(events)),
        }),
    );
    settle(&mut s, fx);
    snap_both!("events", s.clone());
    // Esc goes back to the results.
    key(&mut s, KeyCode::Esc);
    assert!(matches!(s.overlay, Some(Overlay::Results(_))));
}

#[test]
fn snapshot_export_progress() {
    let mut s = marked_three("v8");
    key(&mut s, KeyCode::Char('E'));
    snap_both!("export_form", s.clone());
    let jobs = key(&mut s, KeyCode::Enter);
    let [
        Request {
            id: generation,
            call: Call::Download {
                dest, scope, item_ids, ..
            },
        },
    ] = jobs.as_slice()
    else {
        panic!("{jobs:?}")
    };
    assert_eq!(dest.display().to_string(), "./Zoë_Müller-Inbox.pst");
    assert_eq!(*scope, RestoreScope::Items);
    assert_eq!(item_ids.len(), 3);
    let fx = update(
        &mut s,
        Msg::Answer(Answer {
            id: *generation,
            result: Ok(Response::DownloadProgress(DownloadProgress {
                written: 3 * 1024 * 1024,
                total: Some(8 * 1024 * 1024),
            })),
        }),
    );
    settle(&mut s, fx);
    snap_both!("export_running", s);
}

// ------------------------------------------------------------------------------------------------
// Guards
// ------------------------------------------------------------------------------------------------

#[test]
fn enter_while_running_never_sends_again_and_stop_waiting_keeps_the_job() {
    let (mut s, job) = running("v6");
    for _ in 0..5 {
        assert!(key(&mut s, KeyCode::Enter).is_empty());
        assert!(key(&mut s, KeyCode::Char(' ')).is_empty());
    }
    // Stop waiting (Tab + Enter): the dialog goes, the job stays and gets its answer later.
    key(&mut s, KeyCode::Tab);
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    assert!(s.overlay.is_none());
    let status = s.status.as_ref().map(|x| x.text.clone()).unwrap_or_default();
    assert!(status.contains("goes on on the server"), "{status}");
    assert!(s.jobs.any_running());
    finish(
        &mut s,
        &job,
        Ok(RestoreOutcome {
            created: 3,
            ..Default::default()
        }),
    );
    assert!(!s.jobs.any_running());
    assert!(matches!(s.jobs.list[0].status, JobStatus::Restored(_)));
    let status = s.status.as_ref().map(|x| x.text.clone()).unwrap_or_default();
    assert!(status.contains("created 3"), "{status}");
}

#[test]
fn esc_cancels_and_the_cancel_button_too() {
    let mut s = opened("v8");
    key(&mut s, KeyCode::Esc);
    assert!(s.overlay.is_none());
    key(&mut s, KeyCode::Char('r'));
    tab_to(&mut s, RestoreField::Cancel);
    key(&mut s, KeyCode::Enter);
    assert!(s.overlay.is_none());
}

#[test]
fn read_only_shows_only_a_message() {
    let mut s = marked_three("v8");
    s.header.read_only = true;
    for c in ['r', 'E', 'm', 'S'] {
        let jobs = key(&mut s, KeyCode::Char(c));
        assert!(jobs.is_empty());
        assert!(s.overlay.is_none(), "{c}");
        let status = s.status.as_ref().map(|x| x.text.clone()).unwrap_or_default();
        assert!(status.contains("read-only"), "{c}: {status}");
    }
}

/// Like the marks, "all marked" stays with its folder when the operator opens another and comes back.
#[test]
fn mark_all_is_kept_when_browsing_elsewhere_and_back() {
    let mut s = marked_three("v8");
    key(&mut s, KeyCode::Char('*'));
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.focus, Level::Folders);
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Enter);
    let sent = s.items.as_ref().expect("items");
    assert_eq!(sent.folder.id, "f-sent");
    assert!(!sent.all_marked, "only the folder marked whole");
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Up);
    key(&mut s, KeyCode::Enter);
    let inbox = s.items.as_ref().expect("items");
    assert_eq!(inbox.folder.id, "f-inbox");
    assert!(inbox.all_marked, "still marked whole");
    key(&mut s, KeyCode::Char('r'));
    assert_eq!(dialog(&s).source.scope, RestoreScope::Folder("f-inbox".into()));
}

#[test]
fn mark_all_restores_the_folder_and_space_clears_it() {
    let mut s = marked_three("v8");
    key(&mut s, KeyCode::Char('*'));
    let items = s.items.as_ref().expect("items");
    assert!(items.all_marked && items.marks.is_empty());
    assert!(text(&s, 80, 24).contains("all 12 marked"));
    key(&mut s, KeyCode::Char('r'));
    let d = dialog(&s);
    assert_eq!(d.source.scope, RestoreScope::Folder("f-inbox".into()));
    assert!(d.source.item_ids.is_empty());
    key(&mut s, KeyCode::Esc);
    // Space unmarks the row under the cursor: every other item stays marked, one by one.
    key(&mut s, KeyCode::Char(' '));
    assert!(!s.items.as_ref().is_some_and(|i| i.all_marked));
    assert_eq!(s.items.as_ref().map(|i| i.marks.len()), Some(11));
    // From the folders pane, r restores the selected folder.
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.focus, Level::Folders);
    key(&mut s, KeyCode::Char('r'));
    assert_eq!(dialog(&s).source.scope, RestoreScope::Folder("f-inbox".into()));
}

#[test]
fn the_target_in_this_backup_suggests_its_folders() {
    let mut s = opened("v8");
    typed(&mut s, "francois.lefevre@contoso.com");
    let d = dialog(&s);
    assert_eq!(d.target_folders.mailbox_id.as_deref(), Some("mb-2"));
    assert!(d.target_folders.names.contains(&"Restored".to_string()));
    key(&mut s, KeyCode::Tab);
    key_mod(&mut s, KeyCode::Char('u'), KeyModifiers::CONTROL);
    typed(&mut s, "res");
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Enter);
    assert_eq!(dialog(&s).folder.value(), "Restored");
    // Ctrl-U clears a field.
    key_mod(&mut s, KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert_eq!(dialog(&s).folder.value(), "");
}

#[test]
fn quitting_while_a_restore_runs_asks_twice() {
    let (mut s, job) = running("v8");
    key(&mut s, KeyCode::Esc);
    assert!(s.overlay.is_none());
    key(&mut s, KeyCode::Char('q'));
    assert!(!s.quit);
    let status = s.status.as_ref().map(|x| x.text.clone()).unwrap_or_default();
    assert!(status.contains("q again quits"), "{status}");
    finish(&mut s, &job, Ok(RestoreOutcome::default()));
    // Once it ended, q quits at once.
    key(&mut s, KeyCode::Char('q'));
    assert!(s.quit);
}
