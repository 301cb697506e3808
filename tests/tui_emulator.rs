//! The real browser loop (update + effects as tokio tasks + drawing) headless: keys injected through the
//! event channel, a `TestBackend` as the terminal, the emulator over HTTP as the server.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use crossterm::event::{Event, KeyCode};
use std::time::Duration;
use support::app::{AppHarness, Setup};
use vex::api::models::ItemData;
use vex::app::Level;
use vex::app::panes::preview;

type Harness = AppHarness;

/// The emulator (plain HTTP, v8) and the loop on a `w`x`h` `TestBackend`.
async fn start(w: u16, h: u16) -> Harness {
    AppHarness::launch(Setup {
        size: (w, h),
        ..Default::default()
    })
    .await
}

const WAIT: Duration = Duration::from_secs(30);

/// From the mailboxes (the first one selected): the second mailbox, its Inbox expanded, Archive 1M open
/// with its first rows.
async fn open_archive_1m(h: &mut Harness) {
    h.key(KeyCode::Down);
    h.key(KeyCode::Enter);
    h.until("the second mailbox's folders", |s| {
        s.focus == Level::Folders
            && s.folders
                .as_ref()
                .is_some_and(|f| f.rows().len() > 5 && f.mailbox.name.is_some())
    })
    .await;
    h.key(KeyCode::Char('/'));
    h.typed("inbox");
    h.key(KeyCode::Enter);
    h.key(KeyCode::Char(' '));
    h.until("the Inbox's children", |s| {
        s.folders
            .as_ref()
            .is_some_and(|f| !f.is_loading() && f.nodes.len() > 12)
    })
    .await;
    h.key(KeyCode::Esc);
    h.key(KeyCode::Char('/'));
    h.typed("archive 1m");
    h.key(KeyCode::Enter);
    h.key(KeyCode::Enter);
    h.until("the first page of Archive 1M", |s| {
        s.items
            .as_ref()
            .is_some_and(|i| i.folder.name.as_deref() == Some("Archive 1M") && i.selected().is_some())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_to_an_appointment_then_the_end_of_a_million_items() {
    let mut h = start(160, 40).await;
    h.until("the sessions", |s| s.sessions.list.len() >= 2 && !s.is_loading())
        .await;
    assert!(h.app.frames >= 1);
    assert!(h.screen().contains("Restore sessions"), "{}", h.screen());
    // Idle: no ticks, no frames.
    assert!(!h.app.state().wants_tick());
    let frames = h.app.frames;
    let reached = h
        .app
        .run_until(&mut h.rx, |_| false, Some(Duration::from_millis(300)))
        .await
        .expect("loop");
    assert!(!reached);
    assert_eq!(h.app.frames, frames, "nothing changed: nothing drawn");

    // The newest Working session of Contoso (the emulator's first organization).
    h.key(KeyCode::Char('/'));
    h.typed("contoso");
    h.key(KeyCode::Enter);
    h.until("the filter", |s| {
        s.sessions.list.filter.is_active() && !s.sessions.list.filter.editing
    })
    .await;
    let sel = h.app.state().sessions.selected().cloned().expect("a contoso session");
    assert_eq!(sel.state.as_str(), "Working", "{sel:?}");

    h.key(KeyCode::Enter);
    h.until("the mailboxes", |s| {
        s.focus == Level::Mailboxes && s.mailboxes.as_ref().is_some_and(|m| m.list.len() > 10)
    })
    .await;

    // First mailbox → Calendar (found with the folder filter) → first appointment.
    h.key(KeyCode::Enter);
    h.until("the folders", |s| {
        s.focus == Level::Folders && s.folders.as_ref().is_some_and(|f| f.rows().len() > 5)
    })
    .await;
    h.key(KeyCode::Char('/'));
    h.typed("calendar");
    h.key(KeyCode::Enter);
    h.key(KeyCode::Enter);
    h.until("the calendar items", |s| {
        s.focus == Level::Items
            && s.items
                .as_ref()
                .is_some_and(|i| i.folder.name.as_deref() == Some("Calendar") && i.selected().is_some())
    })
    .await;
    h.key(KeyCode::Enter);
    h.until("the appointment", |s| {
        s.focus == Level::Details && s.details.as_ref().is_some_and(|d| d.loading.is_none())
    })
    .await;
    let d = h.app.state().details.clone().expect("details");
    let ItemData::Appointment(a) = &d.item.data else {
        panic!("not an appointment: {:?}", d.item)
    };
    let screen = h.screen();
    for label in ["Organizer", "Attendees", "Location", "Start", "End"] {
        assert!(screen.contains(label), "{label} missing:\n{screen}");
    }
    let organizer = a.organizer.clone().expect("organizer");
    let location = a.location.clone().expect("location");
    let first_attendee = a
        .attendees
        .as_deref()
        .and_then(|x| x.split(';').next())
        .map(str::trim)
        .expect("attendees")
        .to_string();
    // Values may wrap: compare the first words.
    for v in [&organizer, &location, &first_attendee] {
        let word = v.split_whitespace().next().unwrap_or_default();
        assert!(screen.contains(word), "{v:?} not shown:\n{screen}");
    }

    // Back to the mailboxes (details → items → folders, Esc clears the folder filter, → mailboxes); the
    // second mailbox holds Inbox/Archive 1M.
    for _ in 0..4 {
        h.key(KeyCode::Esc);
    }
    h.until("the mailboxes again", |s| s.focus == Level::Mailboxes).await;
    open_archive_1m(&mut h).await;
    h.key(KeyCode::Char('G'));
    h.until("the last item", |s| {
        s.items
            .as_ref()
            .is_some_and(|i| i.total == Some(1_000_000) && i.cursor == 999_999 && i.selected().is_some())
    })
    .await;
    let items = h.app.state().items.clone().expect("items");
    assert!(items.items_held() <= 7 * 200, "{} items held", items.items_held());
    let last = items.selected().expect("last item");
    let title = last.title().expect("a title").to_string();
    let screen = h.screen();
    assert!(screen.contains("1,000,000/1,000,000"), "{screen}");
    let word = title.split_whitespace().next().unwrap_or_default();
    assert!(screen.contains(word), "{title:?} not shown:\n{screen}");

    // q quits the loop.
    h.key(KeyCode::Char('q'));
    let reached = h.app.run_until(&mut h.rx, |_| false, Some(WAIT)).await.expect("loop");
    assert!(!reached);
    assert!(h.app.state().quit);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_session_from_the_dialog_opens_its_mailboxes() {
    let mut h = start(80, 24).await;
    h.until("the sessions", |s| !s.sessions.list.is_empty() && !s.is_loading())
        .await;
    h.key(KeyCode::Char('n'));
    h.until("the organizations", |s| {
        matches!(&s.overlay, Some(vex::app::Overlay::NewSession(d)) if !d.orgs.is_empty() && !d.time.value().is_empty())
    })
    .await;
    h.key(KeyCode::Enter);
    h.until("the new session's mailboxes", |s| {
        s.overlay.is_none() && s.focus == Level::Mailboxes && s.mailboxes.as_ref().is_some_and(|m| !m.list.is_empty())
    })
    .await;
    assert!(h.screen().contains("Mailboxes"), "{}", h.screen());
    // The new session is in the list (selected) once it reloads.
    h.until("the reloaded sessions", |s| {
        s.sessions.list.loading.is_none() && s.sessions.select_id.is_none()
    })
    .await;
    let sid = h.app.state().mailboxes.as_ref().map(|m| m.session.id.clone());
    assert_eq!(h.app.state().sessions.selected().map(|s| s.id.clone()), sid);
    // Resize live: the loop follows the terminal.
    h.app.terminal_mut().backend_mut().resize(120, 30);
    h.tx.send(Event::Resize(120, 30)).expect("loop listens");
    h.until("the resize", |s| s.size == (120, 30)).await;
    assert_eq!(h.app.terminal().backend().buffer().area.width, 120);
}

/// Navigation away from a folder while its count (or a page) is in flight aborts the request: nobody
/// reads its answer, and nothing else takes its slot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_a_folder_cancels_its_requests_in_flight() {
    let mut h = start(120, 30).await;
    h.until("the sessions", |s| s.sessions.list.len() >= 2 && !s.is_loading())
        .await;
    h.key(KeyCode::Char('/'));
    h.typed("contoso");
    h.key(KeyCode::Enter);
    h.key(KeyCode::Enter);
    h.until("the mailboxes", |s| {
        s.focus == Level::Mailboxes && s.mailboxes.as_ref().is_some_and(|m| m.list.len() > 10)
    })
    .await;
    open_archive_1m(&mut h).await;
    // At 120 columns the reading layout previews the row under the cursor once it rests there (a read of
    // its own): waited for too, or it may start after the snapshot below, take the 3 s latency and be
    // counted (and aborted by `G`) beside the count.
    h.until("the first page and the preview of the row under the cursor", |s| {
        s.items.as_ref().is_some_and(|i| !i.is_loading())
            && !s.is_loading()
            && preview::wanted(s).is_some_and(|(k, it, _)| !preview::offered(it) || s.previews.get(&k).is_some())
    })
    .await;
    // (Moving through the folders already cancelled the previews the cursor passed.)
    let cancelled = h.app.cancelled;
    // Every request now takes 3 s: `G` starts a count that cannot finish before the operator leaves.
    h.server.set_faults(vex::sim::Faults {
        latency: Some(Duration::from_secs(3)),
        ..Default::default()
    });
    h.key(KeyCode::Char('G'));
    h.until("the count in flight", |s| {
        s.items.as_ref().is_some_and(|i| i.is_counting())
    })
    .await;
    assert_eq!(h.app.running_tasks(), 1, "the count");
    // Back in the folders the pane is kept (and still wants the count: `l` returns to it); opening
    // another folder leaves it.
    h.key(KeyCode::Char('h'));
    h.until("the folders again", |s| s.focus == Level::Folders).await;
    assert_eq!(h.app.cancelled, cancelled, "the folder is still open");
    h.key(KeyCode::Esc);
    h.key(KeyCode::Char('g'));
    h.key(KeyCode::Enter);
    h.until("another folder", |s| {
        s.items
            .as_ref()
            .is_some_and(|i| i.folder.name.as_deref() == Some("Inbox"))
    })
    .await;
    assert!(h.app.cancelled > cancelled, "the count was aborted");
    assert_eq!(
        h.app.running_tasks(),
        1,
        "only the Inbox's first page (3 s) is left running"
    );
}
