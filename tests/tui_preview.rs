//! The preview of an item's body (issue 16, part 2): its MSG file asked for in a loader task through the
//! save endpoint, once per item (cached), only when the items cursor rests, aborted when the operator
//! moves on; body, recipients and attachments shown sanitised; errors as a line in the pane.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;
use std::collections::HashMap;
use support::fake::{self, Items, from, new_state, render};
use vex::api::ApiError;
use vex::api::models::{Folder, Item, Mailbox, RestoreSession};
use vex::app::panes::preview::{MAX_FILE_BYTES, Outcome, PreviewKey};
use vex::app::{Answer, Call, Effect, Level, Msg, Request, Response, State, update};
use vex::msg::Preview;

struct Fake {
    items: Vec<Item>,
    previews: HashMap<String, Result<Preview, ApiError>>,
}

fn item(i: u64) -> Item {
    from(json!({
        "id": format!("msg-{i}"), "itemClass": "IPM.Note", "from": "Anna Müller <anna@contoso.com>",
        "to": "Bob Smith <bob@contoso.com>", "subject": format!("Quarterly report #{i}"),
        "received": format!("2024-02-{:02}T09:00:00Z", 1 + i % 28),
        "attachments": [{"name": format!("report-{i}.pdf"), "sizeBytes": 48213}]
    }))
}

fn body(i: u64) -> String {
    format!("Hello Bob,\r\n\r\nthe figures of report {i} are final.\r\nSee the attachment.\r\n\r\nAnna")
}

impl Fake {
    fn new() -> Fake {
        let items: Vec<Item> = (0..30).map(item).collect();
        let previews = (0..30)
            .map(|i| {
                let p = fake::mail_preview(
                    &body(i),
                    &[("Bob Smith", "bob@contoso.com")],
                    &[("Finance", "finance@contoso.com")],
                    &[(&format!("report-{i}.pdf"), 48213)],
                );
                (format!("msg-{i}"), Ok(p))
            })
            .collect();
        Fake { items, previews }
    }

    fn settle(&self, s: &mut State, fx: Vec<Effect>) -> Vec<Effect> {
        fake::settle(self, s, fx)
    }
}

impl fake::Data for Fake {
    fn sessions(&self) -> Option<Vec<RestoreSession>> {
        Some(from(
            json!([{"id": "s-1", "organization": "Contoso Ltd", "type": "Vex", "state": "Working",
            "creationTime": "2024-03-01T14:00:00Z"}]),
        ))
    }
    fn mailboxes(&self) -> Option<Vec<Mailbox>> {
        Some(from(
            json!([{"id": "mb-1", "name": "Bob Smith", "email": "bob@contoso.com"}]),
        ))
    }
    fn folders(&self, parent: Option<&str>) -> Option<Vec<Folder>> {
        Some(match parent {
            None => from(json!([{"id": "f-inbox", "name": "Inbox", "type": "Mail"}])),
            Some(_) => Vec::new(),
        })
    }
    fn items(&self, _folder_id: &str) -> Option<Items> {
        Some(Items::List(self.items.clone()))
    }
    fn item(&self, item_id: &str) -> Option<Result<Item, ApiError>> {
        Some(fake::found(self.items.iter().find(|i| i.id == item_id).cloned()))
    }
    fn preview(&self, item_id: &str) -> Option<Result<Preview, ApiError>> {
        Some(match self.previews.get(item_id) {
            Some(Ok(p)) => Ok(p.clone()),
            Some(Err(e)) => Err(e.clone()),
            None => Err(fake::not_found()),
        })
    }
}

fn press(s: &mut State, code: KeyCode) -> Vec<Effect> {
    update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// The Inbox's items focused, on a `w`x`h` terminal.
fn in_inbox(f: &Fake, w: u16, h: u16) -> State {
    let mut s = new_state();
    s.size = (w, h);
    let fx = update(&mut s, Msg::Start);
    f.settle(&mut s, fx);
    for _ in 0..3 {
        let fx = press(&mut s, KeyCode::Enter);
        f.settle(&mut s, fx);
    }
    assert_eq!(s.focus, Level::Items);
    assert!(s.items.as_ref().is_some_and(|i| i.selected().is_some()));
    s
}

/// The preview requests among `fx`: (request id, item id).
fn previews(fx: &[Effect]) -> Vec<(u64, String)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Request(Request {
                id,
                call: Call::Preview { item_id, max_bytes, .. },
            }) => {
                assert_eq!(*max_bytes, MAX_FILE_BYTES, "the size cap goes with the request");
                Some((*id, item_id.clone()))
            }
            _ => None,
        })
        .collect()
}

fn key(i: u64) -> PreviewKey {
    PreviewKey {
        session_id: "s-1".into(),
        mailbox_id: "mb-1".into(),
        item_id: format!("msg-{i}"),
    }
}

fn screen(s: &State, w: u16, h: u16) -> String {
    render(s, w, h).backend().to_string()
}

/// Scrolls the focused details to the end and returns every line they showed on the way.
fn all_details_text(s: &mut State, w: u16, h: u16) -> String {
    let mut text = screen(s, w, h);
    for _ in 0..10 {
        press(s, KeyCode::PageDown);
        text.push_str(&screen(s, w, h));
    }
    text
}

#[test]
fn the_details_show_the_body_recipients_and_attachments_of_the_message_file() {
    let f = Fake::new();
    let mut s = in_inbox(&f, 80, 24);
    press(&mut s, KeyCode::Down);
    let fx = press(&mut s, KeyCode::Enter);
    assert_eq!(
        previews(&fx).into_iter().map(|(_, i)| i).collect::<Vec<_>>(),
        ["msg-1"],
        "opening the details asks for the message file at once"
    );
    let text = screen(&s, 80, 24);
    assert!(text.contains("loading the message…") || text.contains("Body"), "{text}");
    f.settle(&mut s, fx);
    assert!(matches!(s.previews.get(&key(1)), Some(Outcome::Loaded(_))));
    let text = all_details_text(&mut s, 80, 24);
    for want in [
        "Body",
        "the figures of report 1 are final.",
        "See the attachment.",
        // Bob is the item's To already: only the Cc that the file alone names is added.
        "Other recipients in the message file (1)",
        "Bob Smith <bob@contoso.com>",
        "Finance <finance@contoso.com>",
        "47.1 KiB  report-1.pdf",
    ] {
        assert!(text.contains(want), "{want:?} not shown:\n{text}");
    }
    // Shown once (the details' own attachment list has it).
    assert!(!text.contains("Attachments in the message file"), "{text}");
}

#[test]
fn a_second_visit_sends_no_request() {
    let f = Fake::new();
    let mut s = in_inbox(&f, 80, 24);
    let fx = press(&mut s, KeyCode::Enter);
    assert_eq!(previews(&fx).len(), 1);
    f.settle(&mut s, fx);
    // Back to the items, and into the same details again: the preview is cached.
    press(&mut s, KeyCode::Esc);
    let fx = press(&mut s, KeyCode::Esc);
    assert!(previews(&fx).is_empty());
    let fx = press(&mut s, KeyCode::Enter);
    f.settle(&mut s, fx);
    assert_eq!(s.focus, Level::Items);
    let fx = press(&mut s, KeyCode::Enter);
    assert!(previews(&fx).is_empty(), "cached: {fx:?}");
    f.settle(&mut s, fx);
    assert!(screen(&s, 80, 24).contains("the figures of report 0"));
    // Another item, then the first again: one request for the other, none for the first.
    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::Down);
    let fx = press(&mut s, KeyCode::Enter);
    assert_eq!(previews(&fx).len(), 1);
    f.settle(&mut s, fx);
    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::Up);
    let fx = press(&mut s, KeyCode::Enter);
    assert!(previews(&fx).is_empty(), "cached: {fx:?}");
    assert_eq!(s.previews.asked, 2, "two items, two message files");
    // ^R in the details asks again (the operator's choice: e.g. after an error).
    let fx = update(&mut s, Msg::Action(vex::app::Action::Refresh));
    assert_eq!(previews(&fx).len(), 1, "{fx:?}");
}

/// At 200 columns the items pane has the preview of the item under the cursor beside it.
#[test]
fn holding_down_asks_for_nothing_until_the_cursor_rests() {
    let f = Fake::new();
    let mut s = in_inbox(&f, 200, 40);
    let mut asked = Vec::new();
    // Key repeat (about 30 a second) against ticks (10 a second): three rows per tick.
    for _ in 0..6 {
        for _ in 0..3 {
            asked.extend(previews(&press(&mut s, KeyCode::Down)));
        }
        asked.extend(previews(&update(&mut s, Msg::Tick)));
    }
    assert!(asked.is_empty(), "no download while the cursor moves: {asked:?}");
    assert!(screen(&s, 200, 40).contains("loading the message…"));
    // The cursor rests: after the rest, one request, for the row it rests on.
    let mut fx = update(&mut s, Msg::Tick);
    fx.extend(update(&mut s, Msg::Tick));
    let p = previews(&fx);
    assert_eq!(p.iter().map(|(_, i)| i.as_str()).collect::<Vec<_>>(), ["msg-18"]);
    f.settle(&mut s, fx);
    let text = screen(&s, 200, 40);
    assert!(text.contains("the figures of report 18 are final."), "{text}");
    assert_eq!(s.focus, Level::Items, "the preview follows the cursor; focus stays");
    assert!(!s.wants_tick() || s.status.is_some(), "nothing left to count down");
}

#[test]
fn moving_on_aborts_the_download_in_flight_and_drops_its_answer() {
    let f = Fake::new();
    let mut s = in_inbox(&f, 200, 40);
    let mut fx = update(&mut s, Msg::Tick);
    fx.extend(update(&mut s, Msg::Tick));
    let [(id, item)] = &previews(&fx)[..] else {
        panic!("one preview request: {fx:?}")
    };
    assert_eq!(item, "msg-0");
    assert!(s.requests.waits_for(*id), "in flight");
    // The operator moves on before the file arrives: nobody waits for it any more (the runtime aborts
    // the reads whose ids left the map), and a late answer is dropped.
    press(&mut s, KeyCode::Down);
    assert!(!s.requests.waits_for(*id), "let go of");
    let late = fake::mail_preview("late", &[], &[], &[]);
    assert!(
        !update(
            &mut s,
            Msg::Answer(Answer {
                id: *id,
                result: Ok(Response::Preview(Box::new(late))),
            })
        )
        .iter()
        .any(|e| matches!(e.call(), Some(Call::Preview { item_id, .. }) if item_id == "msg-0"))
    );
    assert!(s.previews.get(&key(0)).is_none(), "the late answer is not taken");
    // Leaving the items (the preview is no longer on screen) lets go of a download too.
    let mut fx = update(&mut s, Msg::Tick);
    fx.extend(update(&mut s, Msg::Tick));
    let [(id, _)] = &previews(&fx)[..] else {
        panic!("one preview request: {fx:?}")
    };
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.focus, Level::Folders);
    assert!(!s.requests.waits_for(*id));
}

#[test]
fn errors_show_as_a_line_in_the_pane() {
    let mut f = Fake::new();
    let cases = [
        (
            1,
            ApiError::Limit(format!(
                "the message file is {}, more than the {} a preview reads",
                vex::text::human_size(40_000_000),
                vex::text::human_size(MAX_FILE_BYTES as i64)
            )),
            "no preview: refused the answer: the message file is 38.1 MiB, more than the",
        ),
        (
            2,
            ApiError::Decode(
                "the message file cannot be read: not an Outlook message (no compound file signature)".into(),
            ),
            "no preview: unexpected response: the message file cannot be read:",
        ),
        (
            3,
            ApiError::Http {
                status: 500,
                message: "Item save failed\u{1b}[2J".into(),
                error_code: None,
            },
            "no preview: server error 500: Item save failed\\x1b[2J",
        ),
    ];
    for (i, e, _) in &cases {
        f.previews.insert(format!("msg-{i}"), Err(e.clone()));
    }
    let mut s = in_inbox(&f, 80, 40);
    for (i, _, want) in cases {
        if s.focus == Level::Details {
            press(&mut s, KeyCode::Esc);
        }
        let fx = press(&mut s, KeyCode::Home);
        f.settle(&mut s, fx);
        for _ in 0..i {
            press(&mut s, KeyCode::Down);
        }
        let fx = press(&mut s, KeyCode::Enter);
        f.settle(&mut s, fx);
        assert_eq!(s.focus, Level::Details);
        let text = all_details_text(&mut s, 80, 40);
        assert!(text.contains(want), "{want:?}:\n{text}");
        assert!(!text.contains('\u{1b}'));
        // The error is kept: the same item is not asked for again.
        press(&mut s, KeyCode::Esc);
        let fx = press(&mut s, KeyCode::Enter);
        assert!(previews(&fx).is_empty());
    }
}

#[test]
fn hostile_message_text_is_sanitised() {
    let mut f = Fake::new();
    let hostile = fake::mail_preview(
        "Click\u{1b}]52;c;ZXZpbA==\u{7} here\u{202e}gpj.exe\r\n\u{1b}[31mred\u{1b}[0m",
        &[("Eve\u{1b}[2J", "eve@evil.example")],
        &[],
        &[("invoice\u{202e}fdp.exe", 100)],
    );
    f.previews.insert("msg-0".into(), Ok(hostile));
    let mut s = in_inbox(&f, 80, 40);
    let fx = press(&mut s, KeyCode::Enter);
    f.settle(&mut s, fx);
    let t = render(&s, 80, 40);
    let text = t.backend().to_string();
    assert!(
        text.contains(r"Click\x1b]52;c;ZXZpbA==\x07 here\u{202e}gpj.exe"),
        "{text}"
    );
    assert!(text.contains(r"\x1b[31mred\x1b[0m"), "{text}");
    assert!(text.contains(r"Eve\x1b[2J <eve@evil.example>"), "{text}");
    assert!(text.contains(r"invoice\u{202e}fdp.exe"), "{text}");
    let buf = t.backend().buffer();
    assert!(
        buf.content()
            .iter()
            .all(|c| !c.symbol().chars().any(|ch| ch.is_control() || ch == '\u{202e}')),
        "no control or bidi character reaches the terminal"
    );
}

#[test]
fn an_item_the_server_cannot_save_is_not_asked_for() {
    let mut f = Fake::new();
    f.items[0] = from(json!({
        "id": "msg-0", "itemClass": "IPM.Note", "subject": "Locked",
        "_actions": {"restoreTo": {"uri": "https://h/v8/x", "method": "POST"}}
    }));
    let mut s = in_inbox(&f, 80, 24);
    let fx = press(&mut s, KeyCode::Enter);
    assert!(previews(&fx).is_empty(), "{fx:?}");
    f.settle(&mut s, fx);
    let text = screen(&s, 80, 24);
    assert!(
        text.contains("not shown: the server does not offer to save this item as MSG"),
        "{text}"
    );
}

/// The Save events the emulator recorded for restore session `session_id` (its own record: every
/// download of an MSG file adds one, as a real server's audit would).
async fn save_events(h: &support::app::AppHarness, session_id: &str) -> usize {
    let client = vex::api::Client::new(vex::api::ClientConfig::new(h.server.base_url().to_string())).expect("client");
    client
        .login("vex", &secrecy::SecretString::from("vex-demo-password"))
        .await
        .expect("login");
    let events = client.all_session_events(session_id).await.expect("events");
    events
        .iter()
        .filter(|e| e.event_type == Some(vex::api::models::EventType::Save))
        .count()
}

/// Against the emulator (the real runner, client and parser): the details of a message show the body of
/// the MSG file the emulator sent, the emulator recorded one save, and a second visit adds none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_sends_the_message_file_once() {
    let mut h = support::app::AppHarness::launch(support::app::Setup {
        size: (80, 40),
        ..Default::default()
    })
    .await;
    h.until("the sessions", |s| s.sessions.list.len() >= 2 && !s.is_loading())
        .await;
    h.key(KeyCode::Char('/'));
    h.typed("contoso");
    h.key(KeyCode::Enter);
    h.key(KeyCode::Enter);
    h.until("the mailboxes", |s| {
        s.focus == Level::Mailboxes && s.mailboxes.as_ref().is_some_and(|m| !m.list.is_empty())
    })
    .await;
    h.key(KeyCode::Enter);
    h.until("the folders", |s| {
        s.focus == Level::Folders && s.folders.as_ref().is_some_and(|f| f.rows().len() > 5)
    })
    .await;
    h.key(KeyCode::Char('/'));
    h.typed("inbox");
    h.key(KeyCode::Enter);
    h.key(KeyCode::Enter);
    h.until("the Inbox's items", |s| {
        s.focus == Level::Items && s.items.as_ref().is_some_and(|i| i.selected().is_some())
    })
    .await;
    let session_id = h
        .state()
        .mailboxes
        .as_ref()
        .map(|m| m.session.id.clone())
        .expect("session");
    let before = save_events(&h, &session_id).await;
    h.key(KeyCode::Enter);
    h.until("the preview", |s| {
        s.details.as_ref().is_some_and(|d| {
            let k = vex::app::panes::preview::key_of(&d.key.session_id, &d.key.mailbox_id, &d.item);
            s.previews.get(&k).is_some()
        })
    })
    .await;
    let (subject, first_line) = {
        let s = h.state();
        let d = s.details.as_ref().expect("details");
        let k = vex::app::panes::preview::key_of(&d.key.session_id, &d.key.mailbox_id, &d.item);
        let Some(Outcome::Loaded(p)) = s.previews.get(&k) else {
            panic!("the preview failed: {:?}", s.previews.get(&k))
        };
        let line = p
            .body
            .iter()
            .find(|l| l.trim().len() > 8)
            .cloned()
            .expect("a line of body");
        (p.subject.clone(), line)
    };
    assert_eq!(
        subject.as_deref(),
        h.state().details.as_ref().and_then(|d| d.item.title()),
        "the message file is the item's"
    );
    h.settle().await;
    let text = h.screen();
    assert!(
        text.contains(first_line.trim()),
        "{first_line:?} not on screen:\n{text}"
    );
    assert_eq!(
        save_events(&h, &session_id).await,
        before + 1,
        "one download, one Save event"
    );
    // Back and into the same item again: nothing is downloaded.
    h.key(KeyCode::Esc);
    h.until("the items", |s| s.focus == Level::Items).await;
    h.key(KeyCode::Enter);
    h.until("the details again", |s| s.focus == Level::Details).await;
    h.settle().await;
    assert_eq!(
        save_events(&h, &session_id).await,
        before + 1,
        "cached: no second download"
    );
    assert_eq!(h.state().previews.asked, 1);
}

// ------------------------------------------------------------------------------------------------
// The reading layout (issue 16, part 3)
// ------------------------------------------------------------------------------------------------

/// The Inbox at `w`x`h`, the cursor on the third message, rested there: its preview loaded.
fn reading(f: &Fake, w: u16, h: u16) -> State {
    let mut s = in_inbox(f, w, h);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Down);
    let mut fx = update(&mut s, Msg::Tick);
    fx.extend(update(&mut s, Msg::Tick));
    assert_eq!(previews(&fx).len(), 1, "{w}x{h}: {fx:?}");
    f.settle(&mut s, fx);
    s
}

#[test]
fn snapshots_of_the_reading_layout() {
    let f = Fake::new();
    for (w, h) in [(100, 30), (120, 32), (200, 40)] {
        let s = reading(&f, w, h);
        let text = screen(&s, w, h);
        assert!(text.contains("the figures of report 2 are final."), "{w}x{h}:\n{text}");
        insta::assert_snapshot!(format!("reading_{w}x{h}"), render(&s, w, h).backend());
    }
    // The details in focus (Tab): the same panes, the same widths.
    let mut s = reading(&f, 120, 32);
    let before = s.layout.panes.iter().map(|(_, r)| *r).collect::<Vec<_>>();
    let fx = press(&mut s, KeyCode::Tab);
    f.settle(&mut s, fx);
    assert_eq!(s.focus, Level::Details);
    let after = s.layout.panes.iter().map(|(_, r)| *r).collect::<Vec<_>>();
    assert_eq!(before, after, "Tab does not move the panes");
    insta::assert_snapshot!("reading_details_120x32", render(&s, 120, 32).backend());
}

#[test]
fn narrower_than_100_columns_the_items_stand_alone() {
    use vex::app::layout::View;
    let f = Fake::new();
    let s = in_inbox(&f, 99, 30);
    assert_eq!(
        s.layout.panes.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
        [View::Pane(Level::Items)]
    );
    let s = in_inbox(&f, 100, 30);
    assert_eq!(
        s.layout.panes.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
        [View::Pane(Level::Items), View::Preview]
    );
    let text = screen(&s, 99, 30);
    assert!(!text.contains("Body"), "{text}");
}

#[test]
fn tab_and_shift_tab_move_between_the_items_and_the_details() {
    let f = Fake::new();
    let mut s = reading(&f, 120, 32);
    for (k, want) in [
        (KeyCode::Tab, Level::Details),
        (KeyCode::Tab, Level::Items),
        (KeyCode::BackTab, Level::Details),
        (KeyCode::BackTab, Level::Items),
    ] {
        let fx = press(&mut s, k);
        f.settle(&mut s, fx);
        assert_eq!(s.focus, want, "{k:?}");
    }
    // The details follow the cursor: down one row, Tab shows that item's details.
    press(&mut s, KeyCode::Down);
    let fx = press(&mut s, KeyCode::Tab);
    f.settle(&mut s, fx);
    assert_eq!(s.details.as_ref().map(|d| d.item.id.as_str()), Some("msg-3"));
    assert!(screen(&s, 120, 32).contains("the figures of report 3 are final."));
}

#[test]
fn a_click_on_the_preview_opens_the_details() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    use vex::app::layout::View;
    let f = Fake::new();
    let mut s = reading(&f, 120, 32);
    s.mouse = true;
    let (_, r) = *s
        .layout
        .panes
        .iter()
        .find(|(v, _)| *v == View::Preview)
        .expect("the preview");
    let fx = update(
        &mut s,
        Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: r.x + 3,
            row: r.y + 3,
            modifiers: KeyModifiers::NONE,
        }),
    );
    f.settle(&mut s, fx);
    assert_eq!(s.focus, Level::Details);
    assert_eq!(s.details.as_ref().map(|d| d.item.id.as_str()), Some("msg-2"));
}
