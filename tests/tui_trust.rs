//! Issue 14, "a restore you can trust": state bugs, safe defaults and honest words, driven through
//! `update` with answers from an in-memory fake and drawn on a `TestBackend` (what the operator reads).
//! Each test fails without its fix; the point of the issue is in its name.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;
use std::sync::LazyLock;
use support::fake::{self, from, render};
use support::fixtures::{Browse, Drive, francois, inbox as inbox_folder, restore_dialog as dialog, sent_items, zoe};
use vex::api::models::{ApiDate, RestoreOutcome, RestoreSession};
use vex::api::{ApiError, RestoreScope};
use vex::app::panes::job_dialog::JobPhase;
use vex::app::panes::restore_dialog::RestoreField;
use vex::app::request::Written;
use vex::app::{Answer, Call, Effect, Level, Msg, Overlay, Request, RequestId, Response, State, update};

const SECRET: &str = "s3cr3t-Pa55";
/// Items in every folder of the fake.
const N: u64 = 12;

fn sessions() -> Vec<RestoreSession> {
    from(json!([
        {"id": "0b0c6a52-7a1e-4f59-9d0e-2f8f8b1c9a01", "name": "Contoso restore",
         "organization": "contoso.onmicrosoft.com", "type": "Vex",
         "creationTime": "2024-03-01T14:00:00Z", "state": "Working", "result": "Success",
         "initiatedBy": "CONTOSO\\administrator"},
        {"id": "7d1c2f0a-1b2c-4d5e-8f90-a1b2c3d4e5f6", "name": "Old",
         "organization": "contoso.onmicrosoft.com", "type": "Vex",
         "creationTime": "2024-02-01T09:00:00Z", "endTime": "2024-02-01T10:00:00Z", "state": "Stopped",
         "result": "Success", "initiatedBy": "CONTOSO\\administrator"}
    ]))
}

/// The fake server. A stopped session answers its browsing loads as the emulator does (400).
static SERVER: LazyLock<Browse> = LazyLock::new(|| Browse {
    stops: true,
    refuse: |call| match call {
        Call::Mailboxes { session_id, .. } if session_id.starts_with("7d1c2f0a") => Some(ApiError::Http {
            status: 400,
            message: format!(
                "Restore session {session_id} has been stopped. Start a new restore session to browse backups."
            ),
            error_code: None,
        }),
        _ => None,
    },
    ..Browse::new(
        sessions(),
        vec![zoe(), francois()],
        vec![inbox_folder(), sent_items()],
        N,
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

fn ch(s: &mut State, c: char) -> Vec<Request> {
    key(s, KeyCode::Char(c))
}

fn typed(s: &mut State, text: &str) {
    SERVER.typed(s, text);
}

fn retype(s: &mut State, text: &str) {
    key_mod(s, KeyCode::Char('u'), KeyModifiers::CONTROL);
    typed(s, text);
}

fn tab_to(s: &mut State, f: RestoreField) {
    SERVER.tab_to(s, f);
}

fn status(s: &State) -> String {
    s.status.as_ref().map(|x| x.text.clone()).unwrap_or_default()
}

fn text(s: &State, w: u16, h: u16) -> String {
    render(s, w, h).backend().to_string()
}

/// The working session → Zoë Müller → the Inbox's items.
fn inbox() -> State {
    let mut s = fake::new_state();
    let fx = update(&mut s, Msg::Start);
    settle(&mut s, fx);
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Items);
    assert_eq!(s.items.as_ref().and_then(|i| i.total), Some(N));
    s
}

fn marked_three() -> State {
    let mut s = inbox();
    for _ in 0..3 {
        ch(&mut s, ' ');
    }
    assert_eq!(s.items.as_ref().map(|i| i.marks.len()), Some(3));
    s
}

/// The form filled for a restore to François Lefèvre's mailbox; `folder` typed over the default.
fn fill(s: &mut State, folder: Option<&str>) {
    typed(s, "francois.lefevre@contoso.com");
    key(s, KeyCode::Tab);
    if let Some(f) = folder {
        retype(s, f);
    }
    tab_to(s, RestoreField::User);
    typed(s, "restore-admin@contoso.com");
    key(s, KeyCode::Tab);
    typed(s, SECRET);
}

/// Enter on a filled form: the confirmation's lines.
fn confirm_lines(s: &mut State) -> Vec<String> {
    key(s, KeyCode::Enter);
    match &dialog(s).phase {
        JobPhase::Confirm { lines, .. } => lines.clone(),
        other => panic!("no confirmation: {other:?} {:?}", dialog(s).errors),
    }
}

/// Confirms (Tab to Restore, Enter) and answers the restore with `result`.
fn run_restore(s: &mut State, result: Result<RestoreOutcome, ApiError>) {
    key(s, KeyCode::Tab);
    let jobs = key(s, KeyCode::Enter);
    let [job] = jobs.as_slice() else { panic!("{jobs:?}") };
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

// ------------------------------------------------------------------------------------------------
// 1. A stopped session says so; restores, exports and sends are refused; its error is readable.
// ------------------------------------------------------------------------------------------------

#[test]
fn p1_a_stopped_session_says_so_and_refuses_restore_export_and_send() {
    let mut s = marked_three();
    // Back to the sessions, x, confirm: the session is stopped on the server.
    for _ in 0..3 {
        key(&mut s, KeyCode::Esc);
    }
    assert_eq!(s.focus, Level::Sessions);
    ch(&mut s, 'x');
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Enter);
    assert!(status(&s).contains("stopped"), "{}", status(&s));
    // The panes it left open say so.
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.focus, Level::Items);
    let screen = text(&s, 160, 40);
    assert!(screen.contains("Inbox · 4/12 · session stopped · 3 marked"), "{screen}");
    // Cut by the pane's width, and it says so.
    assert!(screen.contains("Folders · session stopped ·… ┐"), "{screen}");
    // Restore, export, save and send are refused with a clear message; nothing is asked of the server.
    for c in ['r', 'E', 'm', 'S'] {
        let jobs = ch(&mut s, c);
        assert!(jobs.is_empty(), "{c}: {jobs:?}");
        assert!(s.overlay.is_none(), "{c}: a dialog opened");
        let st = status(&s);
        assert!(
            st.contains("this restore session is stopped") && st.contains("need a working one"),
            "{c}: {st}"
        );
    }
    // The folders pane too (a whole folder).
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.focus, Level::Folders);
    ch(&mut s, 'r');
    assert!(s.overlay.is_none());
    assert!(status(&s).contains("this restore session is stopped"), "{}", status(&s));
}

#[test]
fn p1_opening_a_stopped_session_shows_why_whole() {
    let mut s = fake::new_state();
    let fx = update(&mut s, Msg::Start);
    settle(&mut s, fx);
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Mailboxes);
    let screen = text(&s, 80, 24);
    // Nothing loaded, and the title says so (not "0+", which reads as "more coming").
    assert!(screen.contains("Mailboxes · not loaded · session stopped"), "{screen}");
    // Wrapped, not cut: the pane says why and the server's words end in "has been stopped".
    let flat: String = screen
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == ' ' || c == '"'))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(flat.contains("This restore session is stopped"), "{screen}");
    assert!(flat.contains("has been stopped"), "{screen}");
    // The status line keeps the useful part: the session id is shortened.
    let st = status(&s);
    assert!(st.contains("7d1c2f0a… has been stopped"), "{st}");
    let last = screen.lines().last().unwrap_or_default().to_string();
    assert!(
        last.contains("has been stopped"),
        "the status line at 80 columns: {last:?}"
    );
}

// ------------------------------------------------------------------------------------------------
// 2. Space in an "all marked" folder toggles the row under the cursor; title, status, dialog agree.
// ------------------------------------------------------------------------------------------------

#[test]
fn p2_space_in_an_all_marked_folder_unmarks_only_the_row_under_the_cursor() {
    let mut s = inbox();
    ch(&mut s, '*');
    assert!(
        status(&s).contains("all 12 items of the folder marked"),
        "{}",
        status(&s)
    );
    assert!(text(&s, 160, 40).contains("Inbox · 1/12 · all 12 marked"));
    key(&mut s, KeyCode::Down);
    let under = s
        .items
        .as_ref()
        .and_then(|i| i.selected())
        .map(|i| i.id.clone())
        .expect("a row");
    ch(&mut s, ' ');
    let items = s.items.as_ref().expect("items");
    assert!(!items.all_marked);
    assert_eq!(items.marks.len(), 11, "every item but the one under the cursor");
    assert!(!items.marks.contains(&under));
    // The title, the status line and the dialog say the same.
    assert!(text(&s, 160, 40).contains("Inbox · 2/12 · 11 marked"));
    let st = status(&s);
    assert!(st.contains("11 of 12 items marked one by one"), "{st}");
    assert!(!st.contains("r restores the folder"), "{st}");
    ch(&mut s, 'r');
    let d = dialog(&s);
    assert_eq!(d.source.scope, RestoreScope::Items);
    assert_eq!(d.source.item_ids.len(), 11);
    assert!(!d.source.item_ids.contains(&under));
    // Space again marks it back (one by one now).
    key(&mut s, KeyCode::Esc);
    ch(&mut s, ' ');
    assert_eq!(s.items.as_ref().map(|i| i.marks.len()), Some(12));
}

// ------------------------------------------------------------------------------------------------
// 14. Marks are cleared after a successful restore, kept after a failure.
// ------------------------------------------------------------------------------------------------

#[test]
fn p14_marks_cleared_after_success_kept_after_failure() {
    let created = || {
        Ok(RestoreOutcome {
            created: 3,
            ..Default::default()
        })
    };
    // Refused: the marks stay.
    let mut s = marked_three();
    ch(&mut s, 'r');
    fill(&mut s, None);
    confirm_lines(&mut s);
    run_restore(
        &mut s,
        Err(ApiError::Http {
            status: 400,
            message: "Mailbox not found".into(),
            error_code: None,
        }),
    );
    assert_eq!(s.items.as_ref().map(|i| i.marks.len()), Some(3), "kept after a refusal");
    // With failed items: kept.
    confirm_lines(&mut s);
    run_restore(
        &mut s,
        Ok(RestoreOutcome {
            created: 2,
            failed: 1,
            ..Default::default()
        }),
    );
    assert_eq!(
        s.items.as_ref().map(|i| i.marks.len()),
        Some(3),
        "kept after a failed item"
    );
    key(&mut s, KeyCode::Esc);
    // Success: cleared, and the status says so.
    ch(&mut s, 'r');
    tab_to(&mut s, RestoreField::Password);
    typed(&mut s, SECRET);
    confirm_lines(&mut s);
    run_restore(&mut s, created());
    assert_eq!(
        s.items.as_ref().map(|i| i.marks.len()),
        Some(0),
        "cleared after success"
    );
    assert!(status(&s).contains("marks cleared"), "{}", status(&s));
    key(&mut s, KeyCode::Esc);
    assert!(!text(&s, 160, 40).contains("marked"));
    // r now offers the item under the cursor, not the three again.
    ch(&mut s, 'r');
    assert_eq!(dialog(&s).source.item_ids.len(), 1);
    key(&mut s, KeyCode::Esc);
    // A whole-folder mark goes too.
    ch(&mut s, '*');
    ch(&mut s, 'r');
    tab_to(&mut s, RestoreField::Password);
    typed(&mut s, SECRET);
    confirm_lines(&mut s);
    run_restore(&mut s, created());
    assert!(
        !s.items.as_ref().is_some_and(|i| i.all_marked),
        "the whole-folder mark cleared"
    );
}

// ------------------------------------------------------------------------------------------------
// 12. A safe default target folder; the confirmation warns about a live standard folder.
// ------------------------------------------------------------------------------------------------

#[test]
fn p12_the_default_target_folder_is_new_and_names_source_and_date() {
    let mut s = marked_three();
    ch(&mut s, 'r');
    let d = dialog(&s);
    assert_eq!(
        d.folder.value(),
        "Restored from Zoë Müller - Inbox (session 2024-03-01)"
    );
    fill(&mut s, None);
    let lines = confirm_lines(&mut s);
    let all = lines.join("\n");
    assert!(
        all.contains(
            "Target folder: Restored from Zoë Müller - Inbox (session 2024-03-01) in francois.lefevre@contoso.com"
        ),
        "{all}"
    );
    assert!(!all.contains("Warning"), "{all}");
    // The live Inbox as target: the confirmation says so.
    key(&mut s, KeyCode::Esc);
    tab_to(&mut s, RestoreField::TargetFolder);
    retype(&mut s, "inbox");
    let all = confirm_lines(&mut s).join("\n");
    assert!(
        all.contains("Warning: inbox is the live Inbox folder of francois.lefevre@contoso.com"),
        "{all}"
    );
    // No folder at all: the items land in the live folders named like their source; said so.
    key(&mut s, KeyCode::Esc);
    tab_to(&mut s, RestoreField::TargetFolder);
    retype(&mut s, "");
    let all = confirm_lines(&mut s).join("\n");
    assert!(
        all.contains("Target folder: none given") && all.contains("its live folders"),
        "{all}"
    );
    let screen = text(&s, 160, 40);
    assert!(screen.contains("Target folder: none given"), "{screen}");
}

// ------------------------------------------------------------------------------------------------
// 13. A whole-folder confirmation states the item count when known, and the point in time always.
// ------------------------------------------------------------------------------------------------

#[test]
fn p13_whole_folder_confirmation_states_count_and_point_in_time() {
    // From the folders pane with the Inbox's items loaded (12): the count is known.
    let mut s = inbox();
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.focus, Level::Folders);
    ch(&mut s, 'r');
    assert_eq!(dialog(&s).source.scope, RestoreScope::Folder("f-inbox".into()));
    assert_eq!(dialog(&s).field, RestoreField::TargetMailbox);
    fill(&mut s, None);
    assert_eq!(
        dialog(&s).target.value(),
        "francois.lefevre@contoso.com",
        "{:?}",
        dialog(&s).phase
    );
    let all = confirm_lines(&mut s).join("\n");
    assert!(all.contains("The whole folder: 12 items."), "{all}");
    // The session was not started by vex: its point in time is not known, and it says what it knows.
    assert!(
        all.contains(
            "Point in time: not known to vex (the server does not say); the session was created 2024-03-01 14:00 UTC."
        ),
        "{all}"
    );
    let screen = text(&s, 160, 40);
    assert!(screen.contains("The whole folder: 12 items."), "{screen}");
    assert!(screen.contains("Point in time:"), "{screen}");
    // Sent Items was never opened: its count is not known, and the dialog says so.
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Down);
    ch(&mut s, 'r');
    fill(&mut s, None);
    let all = confirm_lines(&mut s).join("\n");
    assert!(all.contains("its number of items is not known to vex"), "{all}");
    assert!(all.contains("Point in time:"), "{all}");
}

#[test]
fn p13_a_session_vex_started_states_the_point_in_time_chosen() {
    let mut s = inbox();
    // As if vex had started this session for the backup of 2024-02-29 02:00.
    let sid = s.items.as_ref().map(|i| i.key.session_id.clone()).expect("items");
    let at: ApiDate = from(json!("2024-02-29T02:00:00Z"));
    s.explored.insert(sid, Some(at));
    ch(&mut s, ' ');
    ch(&mut s, 'r');
    assert_eq!(
        dialog(&s).folder.value(),
        "Restored from Zoë Müller - Inbox (backup 2024-02-29)"
    );
    fill(&mut s, None);
    let all = confirm_lines(&mut s).join("\n");
    assert!(
        all.contains("Point in time: the backup as of 2024-02-29 02:00 UTC (chosen when vex started this session)."),
        "{all}"
    );
    // Issue 16: the audit record and `R` name it too.
    s.audit_log = Some(std::path::PathBuf::from("/nonexistent/audit.jsonl"));
    key(&mut s, KeyCode::Tab);
    let jobs = key(&mut s, KeyCode::Enter);
    let [job] = jobs.as_slice() else { panic!("{jobs:?}") };
    let Call::Restore { audit: Some(t), .. } = &job.call else {
        panic!("a restore with its audit record: {:?}", job.call)
    };
    assert_eq!(
        t.record.point_in_time.as_deref(),
        Some("the backup as of 2024-02-29 02:00 UTC (chosen when vex started this session)")
    );
    let lines = vex::app::panes::results::entry_lines(&s.jobs.list[0], &s.zone, 100).join("\n");
    assert!(
        lines.contains("point in time: the backup as of 2024-02-29 02:00 UTC (chosen when vex"),
        "{lines}"
    );
}

// ------------------------------------------------------------------------------------------------
// 6. --read-only never starts restore sessions.
// ------------------------------------------------------------------------------------------------

#[test]
fn p6_read_only_never_starts_a_restore_session() {
    let mut s = fake::new_state();
    s.header.read_only = true;
    let fx = update(&mut s, Msg::Start);
    settle(&mut s, fx);
    let fx = update(&mut s, Msg::Key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::NONE)));
    assert!(
        !fx.iter().any(|e| matches!(
            e,
            Effect::Request(Request {
                call: Call::Organizations,
                ..
            }) | Effect::Request(Request {
                call: Call::Explore { .. },
                ..
            })
        )),
        "{fx:?}"
    );
    assert!(s.overlay.is_none(), "no new-session dialog");
    assert!(
        status(&s).contains("read-only: starting restore sessions is disabled"),
        "{}",
        status(&s)
    );
    // Help and hints do not offer it.
    ch(&mut s, '?');
    let screen = text(&s, 160, 40);
    assert!(!screen.contains("new restore session"), "{screen}");
}

// ------------------------------------------------------------------------------------------------
// 8. An outcome unknown is reconciled from the session's events, saying so.
// ------------------------------------------------------------------------------------------------

fn restore_event(order: i64, target: &str, message: &str) -> vex::api::models::SessionEvent {
    from(json!({
        "id": format!("ev-{order}"), "type": "Restore", "status": "Success", "order": order,
        "title": format!("Restore of 3 items to {target}"), "target": target,
        "startTime": "2024-03-01T15:00:00Z", "endTime": "2024-03-01T15:00:02Z",
        "message": message
    }))
}

#[test]
fn p8_an_unknown_outcome_is_read_from_the_session_events() {
    let mut s = marked_three();
    ch(&mut s, 'r');
    fill(&mut s, None);
    confirm_lines(&mut s);
    run_restore(
        &mut s,
        Err(ApiError::OutcomeUnknown(
            "the answer was lost (connection reset)".into(),
        )),
    );
    assert!(status(&s).contains("outcome unknown"));
    // e on the result: the session's events.
    let jobs = ch(&mut s, 'e');
    let [
        Request {
            id: generation,
            call: Call::Events { .. },
        },
    ] = jobs.as_slice()
    else {
        panic!("{jobs:?}")
    };
    let events = vec![
        from(json!({"id": "ev-0", "type": "View", "status": "Success", "order": 0, "title": "Explore"})),
        restore_event(
            1,
            "francois.lefevre@contoso.com",
            "Restore finished: 3 created, 0 merged, 0 skipped, 0 failed.",
        ),
    ];
    let fx = update(
        &mut s,
        Msg::Answer(Answer {
            id: *generation,
            result: Ok(Response::Events(events)),
        }),
    );
    settle(&mut s, fx);
    // Point 16 (part): the events' time column says its zone.
    let screen = text(&s, 160, 40);
    assert!(screen.contains("Start (UTC)"), "{screen}");
    let j = &s.jobs.list[0];
    let vex::app::jobs::JobStatus::Restored(o) = &j.status else {
        panic!("still {:?}", j.status)
    };
    assert_eq!((o.created, o.skipped), (3, 0));
    assert!(status(&s).contains("the restore ran: 3 created"), "{}", status(&s));
    assert!(status(&s).contains("from the session's events"), "{}", status(&s));
    // R says so too.
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Esc);
    ch(&mut s, 'R');
    let screen = text(&s, 160, 40);
    assert!(
        screen.contains("ran: created 3, merged 0, skipped 0, failed 0, from the session's events"),
        "{screen}"
    );
}

#[test]
fn p8_an_event_another_restore_accounts_for_is_not_taken() {
    let mut s = marked_three();
    ch(&mut s, 'r');
    fill(&mut s, None);
    confirm_lines(&mut s);
    // The first restore's answer arrives: its event is in the session.
    run_restore(
        &mut s,
        Ok(RestoreOutcome {
            created: 3,
            ..Default::default()
        }),
    );
    key(&mut s, KeyCode::Esc);
    for _ in 0..3 {
        ch(&mut s, ' ');
    }
    ch(&mut s, 'r');
    typed(&mut s, SECRET);
    confirm_lines(&mut s);
    run_restore(&mut s, Err(ApiError::OutcomeUnknown("lost".into())));
    let jobs = ch(&mut s, 'e');
    let [
        Request {
            id: generation,
            call: Call::Events { .. },
        },
    ] = jobs.as_slice()
    else {
        panic!("{jobs:?}")
    };
    // Only the first restore's event: the second did not run (as far as the events tell).
    let fx = update(
        &mut s,
        Msg::Answer(Answer {
            id: *generation,
            result: Ok(Response::Events(vec![restore_event(
                1,
                "francois.lefevre@contoso.com",
                "Restore finished: 3 created, 0 merged, 0 skipped, 0 failed.",
            )])),
        }),
    );
    settle(&mut s, fx);
    assert!(matches!(s.jobs.list[1].status, vex::app::jobs::JobStatus::Unknown(_)));
}

// ------------------------------------------------------------------------------------------------
// 5. The focused pane gets the larger share.
// ------------------------------------------------------------------------------------------------

#[test]
fn p5_the_focused_folders_pane_gets_the_larger_share_at_120_columns() {
    let mut s = inbox();
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.focus, Level::Folders);
    s.size = (120, 30);
    let body = ratatui::layout::Rect::new(0, 2, 120, 27);
    let panes = vex::app::layout::split_body(&s, body);
    let width = |l: Level| {
        panes
            .iter()
            .find(|(v, _)| *v == vex::app::layout::View::Pane(l))
            .map(|(_, r)| r.width)
            .unwrap_or(0)
    };
    assert!(width(Level::Folders) > width(Level::Mailboxes), "{panes:?}");
}

// ------------------------------------------------------------------------------------------------
// 15. Focus on the first empty required field; flags remembered; ellipsis on the cut side.
// ------------------------------------------------------------------------------------------------

#[test]
fn p15_focus_flags_and_left_ellipsis() {
    let mut s = marked_three();
    ch(&mut s, 'r');
    assert_eq!(
        dialog(&s).field,
        RestoreField::TargetMailbox,
        "the first dialog: the target first"
    );
    fill(&mut s, None);
    tab_to(&mut s, RestoreField::Flag(2));
    ch(&mut s, ' ');
    assert!(dialog(&s).flags.mark_restored_as_unread);
    confirm_lines(&mut s);
    run_restore(
        &mut s,
        Ok(RestoreOutcome {
            created: 3,
            ..Default::default()
        }),
    );
    key(&mut s, KeyCode::Esc);
    ch(&mut s, 'r');
    let d = dialog(&s);
    assert_eq!(
        d.field,
        RestoreField::Password,
        "the target and user are remembered: the password is next"
    );
    assert!(
        d.flags.mark_restored_as_unread,
        "the flags are remembered for the session"
    );
    // A long user name cut at 80 columns: the cut side shows an ellipsis.
    tab_to(&mut s, RestoreField::User);
    retype(&mut s, "svc-restore@very-long-subdomain.contoso.onmicrosoft.com");
    let screen = text(&s, 80, 24);
    let line = screen
        .lines()
        .find(|l| l.contains("User"))
        .unwrap_or_default()
        .to_string();
    assert!(line.contains('…'), "{line}");
    assert!(!line.contains("│ User      very-long"), "{line}");
}

// ------------------------------------------------------------------------------------------------
// 17. One number style, placeholders, an unknown size shown as unknown.
// ------------------------------------------------------------------------------------------------

#[test]
fn p17_one_size_style_and_unknown_sizes() {
    assert_eq!(vex::text::human_size(-1), "unknown");
    assert_eq!(vex::api::body::human_bytes(64 << 20), vex::text::human_size(64 << 20));
    assert_eq!(vex::api::body::human_bytes(300), "300 B");
    let o = RestoreOutcome {
        created: 12_345,
        ..Default::default()
    };
    assert_eq!(
        vex::app::jobs::counts(&o),
        "created 12,345, merged 0, skipped 0, failed 0"
    );
}

// ------------------------------------------------------------------------------------------------
// 9. The device code counts down; an expired code is requested again, never sent.
// ------------------------------------------------------------------------------------------------

#[test]
fn p9_the_device_code_counts_down_and_an_expired_one_is_requested_again() {
    let mut s = marked_three();
    ch(&mut s, 'r');
    typed(&mut s, "francois.lefevre@contoso.com");
    tab_to(&mut s, RestoreField::Mode);
    key(&mut s, KeyCode::Right);
    tab_to(&mut s, RestoreField::RequestCode);
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
    let code: vex::api::models::DeviceCode = from(json!({
        "userCode": "RDKQ-7HJF", "verificationUrl": "https://microsoft.com/devicelogin", "expiresIn": 900,
        "message": "To sign in, use a web browser"
    }));
    let fx = update(
        &mut s,
        Msg::Answer(Answer {
            id: *generation,
            result: Ok(Response::DeviceCode(code)),
        }),
    );
    settle(&mut s, fx);
    assert!(s.wants_tick(), "the countdown ticks");
    assert!(text(&s, 160, 40).contains("the code expires in 15 min 00 s"));
    // 28 s later.
    for _ in 0..280 {
        update(&mut s, Msg::Tick);
    }
    let screen = text(&s, 160, 40);
    assert!(screen.contains("the code expires in 14 min 32 s"), "{screen}");
    // Past its expiry: Enter asks for a new code instead of sending the restore.
    for _ in 0..9000 {
        update(&mut s, Msg::Tick);
    }
    assert!(text(&s, 160, 40).contains("the code expired"));
    tab_to(&mut s, RestoreField::Submit);
    let jobs = key(&mut s, KeyCode::Enter);
    assert!(
        matches!(
            jobs.as_slice(),
            [Request {
                call: Call::DeviceCode { .. },
                ..
            }]
        ),
        "a new code is requested, no restore: {jobs:?}"
    );
    assert!(matches!(dialog(&s).phase, JobPhase::Form));
    assert!(dialog(&s).device_code.is_none());
}

// ------------------------------------------------------------------------------------------------
// 7. Exports: the destination is checked first; a directory means a file inside it; the absolute path.
// (The real loop and the emulator: the check runs where the download runs.)
// ------------------------------------------------------------------------------------------------

/// The real loop on the emulator, in Zoë Müller's Inbox with three messages marked.
async fn emulator_inbox_marked() -> support::app::AppHarness {
    let mut h = support::app::AppHarness::launch(support::app::Setup {
        api: vex::api::VersionChoice::Fixed(vex::api::ApiVersion::V6),
        ..Default::default()
    })
    .await;
    h.until("the sessions", |s| s.sessions.list.len() >= 2 && !s.is_loading())
        .await;
    let pos = h.working_contoso_session();
    h.keys(KeyCode::Down, pos);
    h.key(KeyCode::Enter);
    h.until("the mailboxes", |s| {
        s.mailboxes.as_ref().is_some_and(|m| m.list.len() > 1)
    })
    .await;
    h.key(KeyCode::Enter);
    h.until("the folders", |s| {
        s.folders.as_ref().is_some_and(|f| f.rows().len() > 1)
    })
    .await;
    h.key(KeyCode::Enter);
    h.until("the items", |s| {
        s.items.as_ref().is_some_and(|i| i.selected().is_some())
    })
    .await;
    h.keys(KeyCode::Char(' '), 3);
    h.until("3 marks", |s| s.items.as_ref().is_some_and(|i| i.marks.len() == 3))
        .await;
    h
}

/// `E`, `path` typed, Enter: waits for the end; the job's status.
async fn export_to(h: &mut support::app::AppHarness, path: &str) -> vex::app::jobs::JobStatus {
    h.key(KeyCode::Char('E'));
    h.until("the export dialog", |s| {
        matches!(&s.overlay, Some(Overlay::Transfer(_)))
    })
    .await;
    let before = h.state().jobs.list.len();
    h.retype(path);
    h.key(KeyCode::Enter);
    h.until("the export's end", move |s| {
        matches!(&s.overlay, Some(Overlay::Transfer(d)) if matches!(d.phase, JobPhase::Done { .. } | JobPhase::Form))
            && !s.jobs.any_running()
            && s.jobs.list.len() > before
    })
    .await;
    let status = h.state().jobs.list.last().map(|j| j.status.clone()).expect("a job");
    h.key(KeyCode::Esc);
    h.until("closed", |s| s.overlay.is_none()).await;
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p7_export_checks_the_destination_first_and_reports_the_absolute_path() {
    use vex::app::jobs::JobStatus;
    let mut h = emulator_inbox_marked().await;
    let dir = tempfile::tempdir().expect("tempdir");
    // Exports are slow on this server: a refusal before the download comes at once.
    h.server.set_faults(vex::sim::Faults {
        routes: vec!["POST exportToPst".into()],
        latency: Some(std::time::Duration::from_secs(3)),
        ..vex::sim::Faults::none()
    });
    // A directory: the file is made inside it, and the path reported is absolute.
    let status = export_to(&mut h, &dir.path().display().to_string()).await;
    let JobStatus::Downloaded { path, bytes } = status else {
        panic!("{status:?}\n{}", h.screen())
    };
    assert!(bytes > 0);
    let written = std::path::Path::new(&path);
    assert!(written.is_absolute(), "{path}");
    assert_eq!(written.parent(), Some(dir.path()), "{path}");
    assert!(path.ends_with(".pst"), "{path}");
    assert_eq!(std::fs::metadata(written).map(|m| m.len()).ok(), Some(bytes));
    assert!(h.screen().contains(&path) || h.state().status.as_ref().is_some_and(|s| s.text.contains(&path)));
    // A folder that does not exist: refused before anything is downloaded (well within the latency).
    let missing = dir.path().join("no-such-dir/x.pst");
    let t = std::time::Instant::now();
    let status = export_to(&mut h, &missing.display().to_string()).await;
    assert!(t.elapsed() < std::time::Duration::from_secs(3), "{:?}", t.elapsed());
    let JobStatus::Failed(m) = status else {
        panic!("{status:?}")
    };
    assert!(m.contains("no-such-dir"), "{m}");
    // R: a failed download is "failed", not "refused".
    h.key(KeyCode::Char('R'));
    h.until("the results", |s| matches!(&s.overlay, Some(Overlay::Results(_))))
        .await;
    let screen = h.screen();
    assert!(screen.contains("failed"), "{screen}");
}

// ------------------------------------------------------------------------------------------------
// 10. The login screen: no spinner behind it; errors whole; the password kept after a network error.
// ------------------------------------------------------------------------------------------------

/// The id of the login request among `fx`.
fn login_request(fx: &[Effect]) -> RequestId {
    fx.iter()
        .find_map(|e| match e {
            Effect::Request(Request {
                id,
                call: Call::Login { .. },
            }) => Some(*id),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no login request: {fx:?}"))
}

#[test]
fn p10_login_screen_keeps_the_password_after_a_network_error() {
    use vex::app::panes::login::{LoginDialog, LoginTarget};
    let target = LoginTarget {
        server: "https://vb365.example.com:4443".into(),
        api: Default::default(),
    };
    let mut s = fake::new_state().with_login(LoginDialog::start(target, "vex"));
    let fx = update(&mut s, Msg::Start);
    assert!(
        fx.iter().all(|e| matches!(
            e,
            Effect::Request(Request {
                call: Call::Login { .. },
                ..
            })
        )),
        "{fx:?}"
    );
    let screen = text(&s, 80, 24);
    assert!(screen.contains("waiting for the login"), "{screen}");
    assert!(!screen.contains("loading restore sessions"), "{screen}");
    // Type a password and log in: the network fails.
    typed(&mut s, SECRET);
    let fx = update(&mut s, Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    let generation = login_request(&fx);
    let long = "cannot reach https://vb365.example.com:4443: connection refused (is the server running and \
                the port open? check a firewall between this machine and the server)";
    update(
        &mut s,
        Msg::Answer(Answer {
            id: generation,
            result: Err(ApiError::Network(long.into())),
        }),
    );
    let login = s.login.as_ref().expect("still the login screen");
    assert_eq!(login.password.len(), SECRET.len(), "kept after a network error");
    let screen = text(&s, 80, 24);
    let flat: String = screen
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == ' ' || c == '"'))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(flat.contains("between this machine and the server)"), "whole: {screen}");
    // Refused by the server: cleared.
    let fx = update(&mut s, Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    let generation = login_request(&fx);
    update(
        &mut s,
        Msg::Answer(Answer {
            id: generation,
            result: Err(ApiError::Auth("The user name or password is incorrect.".into())),
        }),
    );
    assert!(
        s.login.as_ref().is_some_and(|l| l.password.is_empty()),
        "cleared when refused"
    );
}

/// Point 1 on the emulator: after `x` stops the browsed session, `^r` in its items ends (the server's
/// refusal shown) instead of spinning, and restores are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p1_after_stopping_the_session_reload_ends_and_restore_is_refused() {
    let mut h = emulator_inbox_marked().await;
    for _ in 0..3 {
        h.key(KeyCode::Esc);
    }
    h.until("the sessions pane", |s| s.focus == Level::Sessions).await;
    h.key(KeyCode::Char('x'));
    h.until("the stop confirmation", |s| {
        matches!(&s.overlay, Some(Overlay::Confirm(_)))
    })
    .await;
    h.key(KeyCode::Tab);
    h.key(KeyCode::Enter);
    h.until("the session stopped", |s| {
        s.status
            .as_ref()
            .is_some_and(|m| m.text.contains("restore session stopped"))
            && !s.is_loading()
    })
    .await;
    h.keys(KeyCode::Tab, 3);
    h.until("the items", |s| s.focus == Level::Items).await;
    h.ctrl('r');
    h.until("the reload to end", |s| {
        !s.is_loading() && s.items.as_ref().is_some_and(|i| i.error.is_some())
    })
    .await;
    let screen = h.screen();
    assert!(screen.contains("session stopped"), "{screen}");
    h.key(KeyCode::Char('r'));
    h.until("the refusal", |s| {
        s.status
            .as_ref()
            .is_some_and(|m| m.text.contains("this restore session is stopped"))
    })
    .await;
    assert!(h.state().overlay.is_none());
}

#[path = "trust/words.rs"]
mod words;
