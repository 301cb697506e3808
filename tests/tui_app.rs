//! The browser without a terminal or a server: key sequences replayed against `update` (answers from an
//! in-memory fake), and snapshots of the drawn screen (ratatui `TestBackend` + insta) at 80x24 and 160x40.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use serde_json::json;
use std::collections::HashMap;
use support::fake::{self, Items, from, new_state, render, snap_both};
use vex::api::ApiError;
use vex::api::models::{Folder, Item, Mailbox, Organization, RestoreSession};
use vex::app::panes::items::ITEMS_PAGE;
use vex::app::{Action, Answer, Call, DisplayZone, Effect, Level, Msg, Overlay, Request, State, update};

// ------------------------------------------------------------------------------------------------
// Fixtures
// ------------------------------------------------------------------------------------------------

fn sessions() -> Vec<RestoreSession> {
    from(json!([
        {"id": "s-1", "name": "Contoso restore", "organization": "Contoso Ltd", "type": "Vex",
         "creationTime": "2024-03-01T14:00:00Z", "endTime": null, "state": "Working", "result": "Success",
         "initiatedBy": "CONTOSO\\backup-op"},
        {"id": "s-2", "name": "Fabrikam", "organization": "Fabrikam S.A.", "type": "Vex",
         "creationTime": "2024-02-27T09:30:00Z", "endTime": "2024-02-27T11:02:00Z", "state": "Stopped",
         "result": "Success", "initiatedBy": "FABRIKAM\\josé"},
        {"id": "s-3", "organization": "株式会社サンプル", "type": "Vex",
         "creationTime": "2024-02-20T23:59:00Z", "endTime": "2024-02-21T00:10:00Z", "state": "Stopped",
         "result": "Warning", "initiatedBy": "山田"}
    ]))
}

fn mailboxes() -> Vec<Mailbox> {
    from(json!([
        {"id": "mb-1", "name": "Anna Müller", "email": "anna.mueller@contoso.com", "isArchive": false, "isPublic": false},
        {"id": "mb-2", "name": "Anna Müller (Archive)", "email": "anna.mueller@contoso.com", "isArchive": true},
        {"id": "mb-3", "name": "山田 太郎", "email": "taro.yamada@contoso.jp"},
        {"id": "mb-4", "name": "Zoë Ångström", "email": "zoe@contoso.se"},
        {"id": "mb-5", "name": "Public Folders", "email": "public@contoso.com", "isPublic": true}
    ]))
}

fn root_folders() -> Vec<Folder> {
    from(json!([
        {"id": "f-inbox", "name": "Inbox", "type": "None", "category": "Inbox"},
        {"id": "f-sent", "name": "Sent Items", "type": "None", "category": "Sent"},
        {"id": "f-drafts", "name": "Drafts", "type": "None", "category": "Drafts"},
        {"id": "f-deleted", "name": "Deleted Items", "type": "None", "category": "Deleted"},
        {"id": "f-cal", "name": "Calendar", "type": "Appointment", "category": "Calendar"},
        {"id": "f-contacts", "name": "Contacts", "type": "Contact", "category": "Contacts"},
        {"id": "f-tasks", "name": "Tasks", "type": "Task", "category": "Tasks"},
        {"id": "f-journal", "name": "Journal", "type": "Journal", "category": "Journal"},
        {"id": "f-notes", "name": "Notes", "type": "StickyNote", "category": "Notes"}
    ]))
}

fn inbox_children() -> Vec<Folder> {
    from(json!([
        {"id": "f-projects", "name": "Projects", "type": "None"},
        {"id": "f-1m", "name": "Archive 1M", "type": "None"}
    ]))
}

fn message() -> Item {
    from(json!({
        "id": "msg-1", "itemClass": "IPM.Note",
        "from": "Anna Müller <anna.mueller@contoso.com>",
        "to": "Bob Smith <bob@contoso.com>; 山田 太郎 <taro.yamada@contoso.jp>; Zoë Ångström <zoe@contoso.se>; José Álvarez <jose@fabrikam.es>",
        "cc": "finance@contoso.com", "bcc": null,
        "subject": "Q1 budget — final numbers 📊",
        "sent": "2024-03-01T14:03:11.0000000Z", "received": "2024-03-01T14:05:42.1234567Z",
        "reminder": false, "importance": "High",
        "attachments": [{"name": "budget-q1.xlsx", "sizeBytes": 48213}, {"name": "notes.pdf", "sizeBytes": 5347737}]
    }))
}

fn appointment() -> Item {
    from(json!({
        "id": "apt-1", "itemClass": "IPM.Appointment", "subject": "Quarterly review",
        "organizer": "Anna Müller <anna.mueller@contoso.com>",
        "attendees": "Bob Smith <bob@contoso.com>; 山田 太郎 <taro.yamada@contoso.jp>; Zoë Ångström <zoe@contoso.se>",
        "startTime": "2024-03-05T09:00:00Z", "endTime": "2024-03-05T10:30:00Z",
        "location": "Room 4.12 (Zürich)", "recurring": true, "recurrencePatternFormat": "Weekly on Tuesday",
        "attachments": []
    }))
}

fn contact() -> Item {
    from(json!({
        "id": "con-1", "itemClass": "IPM.Contact", "fullName": "José Álvarez",
        "displayAs": "José Álvarez (jose@fabrikam.es)", "fileAs": "Álvarez, José", "email": "jose@fabrikam.es",
        "company": "Fabrikam S.A.", "jobTitle": "CFO", "address": "Calle Mayor 1\n28013 Madrid\nSpain",
        "businessPhone": "+34 91 123 45 67", "homePhone": null, "mobile": "+34 600 000 000",
        "imAddress": "jose@fabrikam.es", "webPage": "https://fabrikam.es"
    }))
}

fn distlist() -> Item {
    from(json!({"id": "dl-1", "itemClass": "IPM.DistList", "name": "Finance team"}))
}

fn task() -> Item {
    from(json!({
        "id": "task-1", "itemClass": "IPM.Task", "subject": "Close the books", "status": "InProgress",
        "percentComplete": 40, "startDate": "2024-03-01T00:00:00Z", "dueDate": "2024-03-31T00:00:00Z",
        "owner": "Anna Müller"
    }))
}

/// A journal entry as the item resource documentation (seed) shapes it: `startDate`, `duration` in
/// hours (as a string), `_actions`.
fn journal() -> Item {
    from(json!({
        "id": "j-1", "itemClass": "IPM.Activity", "subject": "Call with Fabrikam", "entryType": "Phone call",
        "startDate": "2024-03-04T15:30:00Z", "duration": "2", "company": "Fabrikam S.A.",
        "_actions": {
            "restoreTo": {"uri": "https://vbo.contoso.local:4443/v8/x/action", "method": "POST"},
            "exporttoPst": {"uri": "https://vbo.contoso.local:4443/v8/x/action", "method": "POST"}
        }
    }))
}

/// A sticky note with its `name` (seed) and `subject` (spec).
fn note() -> Item {
    from(
        json!({"id": "n-1", "itemClass": "IPM.StickyNote", "name": "Q2 reminder",
        "subject": "Remember: ask José about Q2", "date": "2024-03-02T08:15:00Z"}),
    )
}

fn post() -> Item {
    from(json!({
        "id": "p-1", "itemClass": "IPM.Post", "from": "Zoë Ångström <zoe@contoso.se>",
        "subject": "Welcome to the public folder", "postedOn": "2024-02-28T12:00:00Z", "importance": "Normal",
        "attachments": [{"name": "guide.docx", "sizeBytes": 912}]
    }))
}

fn unknown() -> Item {
    from(json!({
        "id": "x-1", "itemClass": "IPM.Notebook.Custom", "subject": "Custom thing", "customField": "value",
        "nested": {"a": 1, "b": [true, null]}, "created": "2024-03-01T10:00:00Z"
    }))
}

fn generated_message(i: u64) -> Item {
    let people = ["Anna Müller", "Bob Smith", "山田 太郎", "Zoë Ångström", "José Álvarez"];
    from(json!({
        "id": format!("gen-{i}"), "itemClass": "IPM.Note",
        "from": people[(i % 5) as usize],
        "subject": format!("Status report #{i}"),
        "received": format!("2024-01-{:02}T{:02}:{:02}:00Z", 1 + (i / 24) % 28, i % 24, (i * 7) % 60),
    }))
}

fn calendar_items() -> Vec<Item> {
    let mut v = vec![appointment()];
    for (i, (subj, loc)) in [
        ("Team sync", "Teams"),
        ("1:1 山田さん", "会議室 3"),
        ("Budget workshop", "Zürich HQ"),
    ]
    .iter()
    .enumerate()
    {
        v.push(from(json!({
            "id": format!("apt-{}", i + 2), "itemClass": "IPM.Appointment", "subject": subj, "location": loc,
            "organizer": "Anna Müller", "startTime": format!("2024-03-{:02}T10:00:00Z", 6 + i),
            "endTime": format!("2024-03-{:02}T11:00:00Z", 6 + i)
        })));
    }
    v
}

/// An in-memory server answering effects.
struct Fake {
    sessions: Vec<RestoreSession>,
    mailboxes: Vec<Mailbox>,
    folders: HashMap<Option<String>, Vec<Folder>>,
    items: HashMap<String, Items>,
    orgs: Vec<Organization>,
}

impl Fake {
    fn new() -> Fake {
        let mut folders = HashMap::new();
        folders.insert(None, root_folders());
        folders.insert(Some("f-inbox".to_string()), inbox_children());
        let mut items = HashMap::new();
        let mut inbox = vec![message()];
        inbox.extend((1..40).map(generated_message));
        items.insert("f-inbox".into(), Items::List(inbox));
        items.insert("f-cal".into(), Items::List(calendar_items()));
        items.insert("f-contacts".into(), Items::List(vec![contact(), distlist()]));
        items.insert("f-tasks".into(), Items::List(vec![task()]));
        items.insert("f-journal".into(), Items::List(vec![journal()]));
        items.insert("f-notes".into(), Items::List(vec![note()]));
        items.insert(
            "f-1m".into(),
            Items::Generated {
                n: 1_000_000,
                with_total: false,
                make: generated_message,
            },
        );
        let orgs = from(json!([
            {"id": "org-1", "name": "Contoso Ltd", "firstBackuptime": "2023-01-01T02:00:00Z",
             "lastBackuptime": "2024-03-01T02:00:13.5000000Z"},
            {"id": "org-2", "name": "Fabrikam S.A.", "firstBackuptime": "2023-06-01T02:00:00Z",
             "lastBackuptime": "2024-02-29T02:00:00Z"}
        ]));
        Fake {
            sessions: sessions(),
            mailboxes: mailboxes(),
            folders,
            items,
            orgs,
        }
    }

    fn find_item(&self, id: &str) -> Option<Item> {
        for c in self.items.values() {
            if let Items::List(v) = c
                && let Some(i) = v.iter().find(|i| i.id == id)
            {
                return Some(i.clone());
            }
        }
        id.strip_prefix("gen-")
            .and_then(|n| n.parse().ok())
            .map(generated_message)
    }

    /// Answers requests (and the requests their answers cause) until none is left.
    fn settle(&self, s: &mut State, fx: Vec<Effect>) {
        fake::settle(self, s, fx);
    }
}

/// What the fake server holds (searches: tests/tui_search.rs; restores, exports and their views:
/// tests/tui_restore*.rs).
impl fake::Data for Fake {
    fn sessions(&self) -> Option<Vec<RestoreSession>> {
        Some(self.sessions.clone())
    }
    fn mailboxes(&self) -> Option<Vec<Mailbox>> {
        Some(self.mailboxes.clone())
    }
    fn folders(&self, parent: Option<&str>) -> Option<Vec<Folder>> {
        Some(
            self.folders
                .get(&parent.map(str::to_string))
                .cloned()
                .unwrap_or_default(),
        )
    }
    fn items(&self, folder_id: &str) -> Option<Items> {
        Some(self.items.get(folder_id).cloned().unwrap_or(Items::List(Vec::new())))
    }
    fn item(&self, item_id: &str) -> Option<Result<Item, ApiError>> {
        Some(fake::found(self.find_item(item_id)))
    }
    /// Every item's MSG file: two paragraphs naming its title, To Bob Smith, its attachments.
    fn preview(&self, item_id: &str) -> Option<Result<vex::msg::Preview, ApiError>> {
        Some(fake::found(self.find_item(item_id)).map(|it| {
            let body = format!(
                "Hello Bob,\r\n\r\nhere is \"{}\" as promised.\r\nThe numbers are final.\r\n\r\nAnna",
                it.title().unwrap_or("(no subject)")
            );
            let atts: Vec<(&str, u64)> = it
                .attachments()
                .iter()
                .map(|a| (a.name.as_deref().unwrap_or("?"), a.bytes().map_or(0, |n| n as u64)))
                .collect();
            fake::mail_preview(&body, &[("Bob Smith", "bob@contoso.com")], &[], &atts)
        }))
    }
    fn organizations(&self) -> Option<Vec<Organization>> {
        Some(self.orgs.clone())
    }
    fn explore(&self, organization_id: &str) -> Option<RestoreSession> {
        Some(fake::new_session(organization_id))
    }
    fn stops(&self) -> bool {
        true
    }
    fn login(&self, user: &str) -> Option<vex::app::panes::login::LoggedIn> {
        Some(vex::app::panes::login::LoggedIn {
            user: user.to_string(),
            server: "https://demo:4443".into(),
            api_version: "v8".into(),
        })
    }
}

fn press(s: &mut State, code: KeyCode) -> Vec<Effect> {
    update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ch(s: &mut State, c: char) -> Vec<Effect> {
    press(s, KeyCode::Char(c))
}

fn typed(s: &mut State, text: &str) {
    for c in text.chars() {
        ch(s, c);
    }
}

/// Presses a key and lets the fake answer everything.
fn step(f: &Fake, s: &mut State, code: KeyCode) {
    let fx = press(s, code);
    f.settle(s, fx);
}

fn started(f: &Fake) -> State {
    let mut s = new_state();
    let fx = update(&mut s, Msg::Start);
    f.settle(&mut s, fx);
    s
}

/// Sessions → first session → first mailbox → folder named `folder` (a root folder).
fn in_folder(f: &Fake, folder: &str) -> State {
    let mut s = started(f);
    step(f, &mut s, KeyCode::Enter);
    step(f, &mut s, KeyCode::Enter);
    let pos = root_folders()
        .iter()
        .position(|x| x.name.as_deref() == Some(folder))
        .expect("root folder");
    for _ in 0..pos {
        step(f, &mut s, KeyCode::Down);
    }
    step(f, &mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Items);
    s
}

/// The open details of `item` (shown as the only item of a folder, focused).
fn details_of(item: Item) -> State {
    let mut f = Fake::new();
    f.items.insert("f-inbox".into(), Items::List(vec![item]));
    let mut s = in_folder(&f, "Inbox");
    step(&f, &mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Details);
    s
}

fn screen_text(t: &Terminal<TestBackend>) -> String {
    t.backend().to_string()
}

// ------------------------------------------------------------------------------------------------
// Update logic
// ------------------------------------------------------------------------------------------------

#[test]
fn drill_down_from_session_to_an_appointment() {
    let f = Fake::new();
    let mut s = started(&f);
    assert_eq!(s.sessions.list.len(), 3);
    let fx = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(&fx[..], [Effect::Request(Request { call: Call::Mailboxes { session_id, offset: 0, .. }, .. })] if session_id == "s-1"),
        "{fx:?}"
    );
    f.settle(&mut s, fx);
    assert_eq!(s.focus, Level::Mailboxes);
    let fx = ch(&mut s, 'l');
    assert!(
        matches!(&fx[..], [Effect::Request(Request { call: Call::Folders { mailbox_id, parent: None, .. }, .. })] if mailbox_id == "mb-1"),
        "{fx:?}"
    );
    f.settle(&mut s, fx);
    assert_eq!(s.focus, Level::Folders);
    for _ in 0..4 {
        ch(&mut s, 'j');
    }
    let fx = press(&mut s, KeyCode::Right);
    // Opening a folder expands it (its children load lazily) and loads the first page of its items.
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Request(Request { call: Call::Folders { parent: Some(p), .. }, .. }) if p == "f-cal")),
        "{fx:?}"
    );
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Request(Request { call: Call::ItemsPage { folder_id, offset: 0, .. }, .. }) if folder_id == "f-cal"))
    );
    f.settle(&mut s, fx);
    assert_eq!(s.focus, Level::Items);
    let fx = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(&fx[..], [
            Effect::Request(Request { call: Call::Item { item_id, .. }, .. }),
            Effect::Request(Request { call: Call::Preview { item_id: preview_id, .. }, .. }),
        ] if item_id == "apt-1" && preview_id == "apt-1"),
        "{fx:?}"
    );
    f.settle(&mut s, fx);
    assert_eq!(s.focus, Level::Details);
    let text = screen_text(&render(&s, 80, 24));
    assert!(text.contains("Organizer"), "{text}");
    assert!(text.contains("Room 4.12 (Zürich)"), "{text}");
    // Back goes up one pane at a time.
    for (k, lvl) in [
        (KeyCode::Esc, Level::Items),
        (KeyCode::Char('h'), Level::Folders),
        (KeyCode::Left, Level::Mailboxes),
        (KeyCode::Backspace, Level::Sessions),
    ] {
        press(&mut s, k);
        assert_eq!(s.focus, lvl);
    }
}

#[test]
fn g_on_a_million_items_counts_then_loads_only_the_last_page() {
    let f = Fake::new();
    let mut s = started(&f);
    step(&f, &mut s, KeyCode::Enter);
    step(&f, &mut s, KeyCode::Enter);
    // Inbox: Space expands it (children load), then down to "Archive 1M".
    step(&f, &mut s, KeyCode::Char(' '));
    step(&f, &mut s, KeyCode::Down);
    step(&f, &mut s, KeyCode::Down);
    assert_eq!(
        s.folders
            .as_ref()
            .and_then(|p| p.selected())
            .map(|n| n.name().to_string())
            .as_deref(),
        Some("Archive 1M")
    );
    step(&f, &mut s, KeyCode::Enter);
    let items = s.items.as_ref().expect("items pane");
    assert_eq!(items.items_held(), ITEMS_PAGE as usize);
    assert_eq!(items.total, None);

    let fx = ch(&mut s, 'G');
    assert!(
        matches!(&fx[..], [Effect::Request(Request { call: Call::CountItems { folder_id, .. }, .. })] if folder_id == "f-1m"),
        "{fx:?}"
    );
    let Some(answer) = fx[0].request().and_then(|r| fake::answer(&f, r)) else {
        panic!("no answer")
    };
    let fx = update(&mut s, Msg::Answer(answer));
    assert!(
        matches!(&fx[..], [Effect::Request(Request { call: Call::ItemsPage { offset: 999_800, limit, .. }, .. })] if *limit == ITEMS_PAGE),
        "only the last page is fetched: {fx:?}"
    );
    f.settle(&mut s, fx);
    let items = s.items.as_ref().expect("items pane");
    assert_eq!(items.cursor, 999_999);
    assert_eq!(items.selected().map(|i| i.id.as_str()), Some("gen-999999"));
    assert!(items.pages_held() <= 7, "memory stays bounded");
    let text = screen_text(&render(&s, 80, 24));
    assert!(text.contains("Status report #999999"), "{text}");
    assert!(text.contains("1,000,000/1,000,000"), "{text}");

    // PgUp far into the middle: the page around the cursor is fetched, nothing else.
    for _ in 0..3000 {
        let fx = press(&mut s, KeyCode::PageUp);
        f.settle(&mut s, fx);
    }
    let items = s.items.as_ref().expect("items pane");
    let cur = items.cursor;
    assert!(cur < 999_999 - 40_000, "{cur}");
    assert_eq!(items.selected().map(|i| i.id.clone()), Some(format!("gen-{cur}")));
    assert!(items.pages_held() <= 7, "{} pages held", items.pages_held());
}

#[test]
fn jumping_in_a_known_folder_fetches_the_page_around_the_cursor() {
    let mut f = Fake::new();
    f.items.insert(
        "f-inbox".into(),
        Items::Generated {
            n: 1_000_000,
            with_total: true,
            make: generated_message,
        },
    );
    let mut s = in_folder(&f, "Inbox");
    // The server reported totalCount (v6/v7): G needs no count.
    assert_eq!(s.items.as_ref().and_then(|i| i.total), Some(1_000_000));
    let fx = ch(&mut s, 'G');
    assert!(
        matches!(
            &fx[..],
            [Effect::Request(Request {
                call: Call::ItemsPage { offset: 999_800, .. },
                ..
            })]
        ),
        "{fx:?}"
    );
    f.settle(&mut s, fx);
    // Jump back to the top while nothing is cached there any more... page 0 was evicted.
    let fx = ch(&mut s, 'g');
    assert!(
        matches!(
            &fx[..],
            [Effect::Request(Request {
                call: Call::ItemsPage { offset: 0, .. },
                ..
            })]
        ),
        "{fx:?}"
    );
}

#[test]
fn a_stale_answer_is_dropped() {
    let f = Fake::new();
    let mut s = started(&f);
    step(&f, &mut s, KeyCode::Enter);
    // Open mailbox 1, then (before its folders arrive) go back and open mailbox 3.
    let fx1 = press(&mut s, KeyCode::Enter);
    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Down);
    let fx2 = press(&mut s, KeyCode::Enter);
    assert_eq!(s.folders.as_ref().map(|p| p.mailbox.id.as_str()), Some("mb-3"));
    s.dirty = false;
    let Some(old) = fx1[0].request().and_then(|r| fake::answer(&f, r)) else {
        panic!()
    };
    let fx = update(&mut s, Msg::Answer(old));
    assert!(fx.is_empty());
    assert!(!s.dirty, "a stale answer changes nothing");
    assert!(s.folders.as_ref().is_some_and(|p| p.rows().is_empty()));
    f.settle(&mut s, fx2);
    assert_eq!(s.folders.as_ref().map(|p| p.rows().len()), Some(9));
}

#[test]
fn filter_narrows_the_loaded_rows_and_esc_clears() {
    let f = Fake::new();
    let mut s = started(&f);
    step(&f, &mut s, KeyCode::Enter);
    ch(&mut s, '/');
    typed(&mut s, "MÜL");
    let m = s.mailboxes.as_ref().expect("mailboxes");
    assert_eq!(m.list.len(), 2, "case-insensitive substring");
    assert_eq!(m.selected().map(|x| x.id.as_str()), Some("mb-1"));
    // Keys go to the filter while typing (q does not quit).
    ch(&mut s, 'q');
    assert!(!s.quit);
    assert_eq!(s.mailboxes.as_ref().map(|m| m.list.len()), Some(0));
    press(&mut s, KeyCode::Backspace);
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.mailboxes.as_ref().map(|m| m.list.len()), Some(2));
    // Navigation works on the filtered rows; Esc clears the filter (before going back).
    ch(&mut s, 'j');
    assert_eq!(
        s.mailboxes.as_ref().and_then(|m| m.selected()).map(|x| x.id.as_str()),
        Some("mb-2")
    );
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.focus, Level::Mailboxes);
    assert_eq!(s.mailboxes.as_ref().map(|m| m.list.len()), Some(5));
    assert_eq!(
        s.mailboxes.as_ref().and_then(|m| m.selected()).map(|x| x.id.as_str()),
        Some("mb-2")
    );
}

#[test]
fn filter_in_items_and_folders() {
    let f = Fake::new();
    let mut s = in_folder(&f, "Inbox");
    ch(&mut s, '/');
    typed(&mut s, "report #3");
    press(&mut s, KeyCode::Enter);
    let i = s.items.as_ref().expect("items");
    // #3, #30..#39
    assert_eq!(i.filtered_len(), Some(11));
    assert_eq!(i.selected().map(|x| x.id.as_str()), Some("gen-3"));
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.items.as_ref().and_then(|i| i.filtered_len()), None);
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.focus, Level::Folders);
    // Inbox was expanded when opened: its loaded child matches, shown with its parent.
    ch(&mut s, '/');
    typed(&mut s, "archive");
    let p = s.folders.as_ref().expect("folders");
    let names: Vec<&str> = p.rows().iter().map(|&r| p.nodes[r].name()).collect();
    assert_eq!(names, vec!["Inbox", "Archive 1M"]);
}

#[test]
fn space_marks_items_per_list() {
    let f = Fake::new();
    let mut s = in_folder(&f, "Inbox");
    ch(&mut s, ' ');
    ch(&mut s, ' ');
    ch(&mut s, 'j');
    ch(&mut s, ' ');
    let i = s.items.as_ref().expect("items");
    assert_eq!(i.marks.len(), 3);
    assert_eq!(i.cursor, 4, "Space moves down");
    ch(&mut s, 'k');
    ch(&mut s, ' ');
    assert_eq!(s.items.as_ref().map(|i| i.marks.len()), Some(2), "Space again unmarks");
    let text = screen_text(&render(&s, 80, 24));
    assert!(text.contains("2 marked"), "{text}");
    // Another folder has its own marks; coming back finds them.
    press(&mut s, KeyCode::Esc);
    step(&f, &mut s, KeyCode::Down);
    step(&f, &mut s, KeyCode::Enter);
    assert_eq!(s.items.as_ref().map(|i| i.marks.len()), Some(0));
    press(&mut s, KeyCode::Esc);
    step(&f, &mut s, KeyCode::Up);
    step(&f, &mut s, KeyCode::Enter);
    assert_eq!(s.items.as_ref().map(|i| i.marks.len()), Some(2));
}

#[test]
fn lists_page_as_the_cursor_nears_the_end() {
    let mut f = Fake::new();
    f.mailboxes = (0..450)
        .map(|i| {
            from(json!({"id": format!("mb-{i}"), "name": format!("User {i:03}"), "email": format!("u{i}@contoso.com")}))
        })
        .collect();
    let mut s = started(&f);
    let fx = press(&mut s, KeyCode::Enter);
    assert!(matches!(
        &fx[..],
        [Effect::Request(Request {
            call: Call::Mailboxes {
                offset: 0,
                limit: 200,
                ..
            },
            ..
        })]
    ));
    f.settle(&mut s, fx);
    assert_eq!(
        s.mailboxes.as_ref().map(|m| m.list.rows.len()),
        Some(200),
        "one page only"
    );
    for _ in 0..149 {
        assert!(ch(&mut s, 'j').is_empty());
    }
    let fx = ch(&mut s, 'j');
    assert!(
        matches!(
            &fx[..],
            [Effect::Request(Request {
                call: Call::Mailboxes { offset: 200, .. },
                ..
            })]
        ),
        "within 50 rows of the end: {fx:?}"
    );
    assert!(ch(&mut s, 'j').is_empty(), "one request at a time");
    f.settle(&mut s, fx);
    let fx = ch(&mut s, 'G');
    f.settle(&mut s, fx);
    let fx = ch(&mut s, 'G');
    f.settle(&mut s, fx);
    let m = s.mailboxes.as_ref().expect("mailboxes");
    assert_eq!(m.list.rows.len(), 450);
    assert!(m.list.is_complete());
}

#[test]
fn stop_needs_confirmation_whose_default_is_cancel() {
    let f = Fake::new();
    let mut s = started(&f);
    ch(&mut s, 'x');
    assert!(matches!(s.overlay, Some(Overlay::Confirm(_))));
    let fx = press(&mut s, KeyCode::Enter);
    assert!(fx.is_empty(), "Enter on the default button cancels");
    assert!(s.overlay.is_none());
    ch(&mut s, 'x');
    press(&mut s, KeyCode::Tab);
    let fx = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(&fx[..], [Effect::Request(Request { call: Call::StopSession { session_id, .. }, .. })] if session_id == "s-1"),
        "{fx:?}"
    );
    f.settle(&mut s, fx);
    assert_eq!(
        s.status.as_ref().map(|m| m.text.as_str()),
        Some("restore session stopped")
    );
    // Read-only refuses.
    let mut s = started(&f);
    s.header.read_only = true;
    ch(&mut s, 'x');
    assert!(s.overlay.is_none());
    assert!(s.status.as_ref().is_some_and(|m| m.error));
}

#[test]
fn new_session_defaults_to_the_latest_backup() {
    let f = Fake::new();
    let mut s = started(&f);
    let fx = ch(&mut s, 'n');
    assert!(matches!(
        &fx[..],
        [Effect::Request(Request {
            call: Call::Organizations,
            ..
        })]
    ));
    f.settle(&mut s, fx);
    let Some(Overlay::NewSession(d)) = &s.overlay else {
        panic!("dialog")
    };
    assert_eq!(d.time.value(), "2024-03-01 02:00:13");
    // Organization → restore points → time → show deleted.
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Tab);
    ch(&mut s, ' ');
    let fx = press(&mut s, KeyCode::Enter);
    let [
        Effect::Request(Request {
            call:
                Call::Explore {
                    organization_id,
                    options,
                    ..
                },
            ..
        }),
    ] = &fx[..]
    else {
        panic!("{fx:?}")
    };
    assert_eq!(organization_id, "org-1");
    assert_eq!(options.show_deleted, Some(true));
    assert_eq!(options.show_all_versions, Some(false));
    // Untouched: the exact latest backup, sub-seconds included.
    assert_eq!(
        options.date_time.as_ref().map(|d| d.to_wire()).as_deref(),
        Some("2024-03-01T02:00:13.5000000Z")
    );
    f.settle(&mut s, fx);
    assert!(s.overlay.is_none());
    assert_eq!(s.focus, Level::Mailboxes, "the new session opens");

    // An edited time is read in the display zone; a bad one is refused in the dialog.
    let mut s = started(&f);
    let fx = ch(&mut s, 'n');
    f.settle(&mut s, fx);
    ch(&mut s, 'j');
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Tab);
    for _ in 0..20 {
        press(&mut s, KeyCode::Backspace);
    }
    typed(&mut s, "soon");
    assert!(press(&mut s, KeyCode::Enter).is_empty());
    let Some(Overlay::NewSession(d)) = &s.overlay else {
        panic!("dialog")
    };
    assert!(d.error.as_deref().is_some_and(|e| e.contains("cannot read")));
    for _ in 0..4 {
        press(&mut s, KeyCode::Backspace);
    }
    typed(&mut s, "2024-02-01 12:00");
    let fx = press(&mut s, KeyCode::Enter);
    let [
        Effect::Request(Request {
            call:
                Call::Explore {
                    organization_id,
                    options,
                    ..
                },
            ..
        }),
    ] = &fx[..]
    else {
        panic!("{fx:?}")
    };
    assert_eq!(organization_id, "org-2");
    assert_eq!(
        options.date_time.as_ref().map(|d| d.to_wire()).as_deref(),
        Some("2024-02-01T12:00:00.0000000Z")
    );
}

#[test]
fn errors_go_to_the_status_line_and_clear_themselves() {
    let f = Fake::new();
    let mut s = started(&f);
    let fx = press(&mut s, KeyCode::Enter);
    let [
        Effect::Request(Request {
            id: generation,
            call: Call::Mailboxes { .. },
        }),
    ] = &fx[..]
    else {
        panic!()
    };
    update(
        &mut s,
        Msg::Answer(Answer {
            id: *generation,
            result: Err(ApiError::Network("connection refused".into())),
        }),
    );
    let st = s.status.clone().expect("status");
    assert!(st.error && st.text.contains("connection refused"), "{st:?}");
    assert!(matches!(s.conn, vex::app::Conn::Failing(_)));
    let text = screen_text(&render(&s, 80, 24));
    assert!(text.contains("connection refused"), "{text}");
    // The app stays usable: back, and reload.
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.focus, Level::Sessions);
    for _ in 0..200 {
        update(&mut s, Msg::Tick);
    }
    assert!(s.status.is_none(), "the message cleared itself");
    assert!(!s.wants_tick(), "idle: no ticks");
    let fx = update(&mut s, Msg::Action(Action::Refresh));
    f.settle(&mut s, fx);
    assert_eq!(s.conn, vex::app::Conn::Online);
}

#[test]
fn tab_cycles_through_open_panes() {
    let f = Fake::new();
    let mut s = in_folder(&f, "Inbox");
    let fx = press(&mut s, KeyCode::Tab);
    assert!(
        matches!(
            &fx[..],
            [
                Effect::Request(Request {
                    call: Call::Item { .. },
                    ..
                }),
                Effect::Request(Request {
                    call: Call::Preview { .. },
                    ..
                })
            ]
        ),
        "Tab from items opens the details (and asks for the preview)"
    );
    f.settle(&mut s, fx);
    assert_eq!(s.focus, Level::Details);
    press(&mut s, KeyCode::Tab);
    assert_eq!(
        s.focus,
        Level::Items,
        "from the details back to the items, not round to the sessions"
    );
    press(&mut s, KeyCode::BackTab);
    assert_eq!(s.focus, Level::Folders);
    press(&mut s, KeyCode::BackTab);
    assert_eq!(s.focus, Level::Mailboxes);
    press(&mut s, KeyCode::Tab);
    assert_eq!(s.focus, Level::Folders);
}

#[test]
fn help_is_generated_from_the_keymap() {
    let f = Fake::new();
    let mut s = started(&f);
    s.keymap
        .rebind(Action::StopSession, &[(KeyCode::Char('X'), KeyModifiers::NONE)]);
    ch(&mut s, '?');
    let text = screen_text(&render(&s, 80, 24));
    assert!(text.contains("X                   stop the selected session"), "{text}");
    press(&mut s, KeyCode::Esc);
    assert!(s.overlay.is_none());
}

#[test]
fn quit_and_ctrl_c() {
    let mut s = new_state();
    assert!(matches!(&ch(&mut s, 'q')[..], [Effect::Quit]));
    let mut s = new_state();
    let fx = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    );
    assert!(matches!(&fx[..], [Effect::Quit]));
    assert!(s.quit);
}

// ------------------------------------------------------------------------------------------------
// Drawing
// ------------------------------------------------------------------------------------------------

#[test]
fn server_strings_cannot_reach_the_terminal_raw() {
    let evil: Item = from(json!({
        "id": "evil", "itemClass": "IPM.Note", "from": "x\u{1b}[2J\u{7}y",
        "subject": "\u{1b}]0;pwned\u{7} Invoice \u{202e}gpj.exe\u{9b}"
    }));
    let mut f = Fake::new();
    f.items.insert("f-inbox".into(), Items::List(vec![evil.clone()]));
    let mut s = in_folder(&f, "Inbox");
    for w in [80, 160] {
        let t = render(&s, w, 24);
        let text = screen_text(&t);
        assert!(text.contains("\\x1b]0;pwned\\x07"), "{text}");
        for cell in t.backend().buffer().content() {
            assert!(
                !cell
                    .symbol()
                    .chars()
                    .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
                "{:?}",
                cell.symbol()
            );
        }
    }
    step(&f, &mut s, KeyCode::Enter);
    let text = screen_text(&render(&s, 80, 24));
    assert!(text.contains("\\u{202e}gpj.exe\\u{009b}"), "{text}");
}

#[test]
fn wide_characters_keep_columns_aligned() {
    let f = Fake::new();
    let s = in_folder(&f, "Inbox");
    let t = render(&s, 80, 24);
    // Every row of the items pane ends with its date column at the same place.
    let buf = t.backend().buffer();
    let mut ends = Vec::new();
    for y in 4..20u16 {
        // Columns are cells: find the cell where the date starts.
        let cells: Vec<&str> = (0..80u16).map(|x| buf[(x, y)].symbol()).collect();
        if let Some(x) = (0..75).find(|&x| cells[x..x + 5].concat() == "2024-") {
            ends.push(x);
        }
    }
    assert!(ends.len() > 5);
    assert!(ends.windows(2).all(|w| w[0] == w[1]), "{ends:?}");
}

#[test]
fn no_color_means_no_colour_and_colour_means_the_16_basic_ones() {
    let f = Fake::new();
    let mut s = in_folder(&f, "Inbox");
    step(&f, &mut s, KeyCode::Char('?'));
    press(&mut s, KeyCode::Esc);
    for (w, h) in [(80, 24), (160, 40)] {
        s.color = false;
        let t = render(&s, w, h);
        let mut reversed = false;
        for c in t.backend().buffer().content() {
            assert_eq!((c.fg, c.bg), (Color::Reset, Color::Reset));
            reversed |= c.modifier.contains(Modifier::REVERSED);
        }
        assert!(reversed, "the selection shows without colour");
        s.color = true;
        let t = render(&s, w, h);
        for c in t.backend().buffer().content() {
            for col in [c.fg, c.bg] {
                assert!(!matches!(col, Color::Rgb(..) | Color::Indexed(_)), "{col:?}");
            }
        }
    }
}

#[test]
fn resizes_live_and_survives_tiny_terminals() {
    let f = Fake::new();
    let mut s = in_folder(&f, "Calendar");
    step(&f, &mut s, KeyCode::Enter);
    for (w, h) in [(10, 3), (20, 6), (40, 12), (80, 24), (120, 30), (200, 60), (300, 100)] {
        update(&mut s, Msg::Resize(w, h));
        render(&s, w, h);
    }
}

#[test]
fn snapshot_sessions() {
    let f = Fake::new();
    snap_both!("sessions", started(&f));
}

#[test]
fn snapshot_mailboxes() {
    let f = Fake::new();
    let mut s = started(&f);
    step(&f, &mut s, KeyCode::Enter);
    snap_both!("mailboxes", s);
}

#[test]
fn snapshot_folders() {
    let f = Fake::new();
    let mut s = started(&f);
    step(&f, &mut s, KeyCode::Enter);
    step(&f, &mut s, KeyCode::Enter);
    step(&f, &mut s, KeyCode::Char(' '));
    snap_both!("folders", s);
}

#[test]
fn snapshot_items_mail() {
    let f = Fake::new();
    let mut s = in_folder(&f, "Inbox");
    ch(&mut s, ' ');
    snap_both!("items_mail", s);
}

#[test]
fn snapshot_items_calendar() {
    let f = Fake::new();
    snap_both!("items_calendar", in_folder(&f, "Calendar"));
}

#[test]
fn snapshot_items_contacts_tasks_journal_notes() {
    let f = Fake::new();
    for folder in ["Contacts", "Tasks", "Journal", "Notes"] {
        let s = in_folder(&f, folder);
        insta::assert_snapshot!(
            format!("items_{}_80x24", folder.to_lowercase()),
            render(&s, 80, 24).backend()
        );
    }
}

#[test]
fn snapshot_help() {
    let f = Fake::new();
    let mut s = in_folder(&f, "Inbox");
    ch(&mut s, '?');
    snap_both!("help", s);
}

#[test]
fn snapshot_new_session_and_confirm() {
    let f = Fake::new();
    let mut s = started(&f);
    let fx = ch(&mut s, 'n');
    f.settle(&mut s, fx);
    insta::assert_snapshot!("new_session_80x24", render(&s, 80, 24).backend());
    let mut s = started(&f);
    ch(&mut s, 'x');
    insta::assert_snapshot!("confirm_stop_80x24", render(&s, 80, 24).backend());
}

#[test]
fn snapshot_filter_typing() {
    let f = Fake::new();
    let mut s = started(&f);
    step(&f, &mut s, KeyCode::Enter);
    ch(&mut s, '/');
    typed(&mut s, "anna");
    insta::assert_snapshot!("filter_typing_80x24", render(&s, 80, 24).backend());
}

#[test]
fn snapshot_details_message() {
    snap_both!("details_message", details_of(message()));
}

#[test]
fn snapshot_details_appointment() {
    snap_both!("details_appointment", details_of(appointment()));
}

#[test]
fn snapshot_details_contact() {
    snap_both!("details_contact", details_of(contact()));
}

#[test]
fn snapshot_details_distribution_list() {
    snap_both!("details_distlist", details_of(distlist()));
}

#[test]
fn snapshot_details_task() {
    snap_both!("details_task", details_of(task()));
}

#[test]
fn snapshot_details_journal() {
    snap_both!("details_journal", details_of(journal()));
}

#[test]
fn snapshot_details_note() {
    snap_both!("details_note", details_of(note()));
}

#[test]
fn snapshot_details_post() {
    snap_both!("details_post", details_of(post()));
}

#[test]
fn snapshot_details_unknown_class() {
    snap_both!("details_unknown", details_of(unknown()));
}

#[test]
fn details_show_local_time_with_utc_and_scroll() {
    let mut s = details_of(message());
    s.zone = DisplayZone::Fixed(time::UtcOffset::from_hms(1, 0, 0).expect("offset"));
    let text = screen_text(&render(&s, 80, 24));
    assert!(text.contains("Received        2024-03-01 15:05 (14:05 UTC)"), "{text}");
    assert!(text.contains("5.1 MiB"), "{text}");
    assert!(text.contains("47.1 KiB"), "{text}");
    // Scrolling a long item: at 80x12 the end is below; G shows it.
    let mut small = s.clone();
    update(&mut small, Msg::Resize(80, 12));
    let before = screen_text(&render(&small, 80, 12));
    assert!(!before.contains("Item id"), "{before}");
    ch(&mut small, 'G');
    let after = screen_text(&render(&small, 80, 12));
    assert!(after.contains("Item id"), "{after}");
}

#[test]
fn panes_shown_depend_on_the_width() {
    use vex::app::layout::{View, visible};
    let f = Fake::new();
    let s = in_folder(&f, "Inbox");
    assert_eq!(visible(&s, 80), vec![View::Pane(Level::Items)]);
    assert_eq!(visible(&s, 99), vec![View::Pane(Level::Items)]);
    // From 100 columns the reading layout: the items and the preview of the item under the cursor.
    for w in [100, 120, 159] {
        assert_eq!(visible(&s, w), vec![View::Pane(Level::Items), View::Preview], "{w}");
    }
    assert_eq!(
        visible(&s, 160),
        vec![View::Pane(Level::Folders), View::Pane(Level::Items), View::Preview]
    );
    let mut s = s;
    press(&mut s, KeyCode::Esc);
    assert_eq!(
        visible(&s, 200),
        vec![
            View::Pane(Level::Mailboxes),
            View::Pane(Level::Folders),
            View::Pane(Level::Items)
        ],
        "parent, focus and child"
    );
    let text = screen_text(&render(&s, 120, 30));
    assert!(text.contains("Folders") && text.contains("Mailboxes"), "{text}");
}

/// The items' rows are kept from one frame to the next (`ui::table::put_cells`), found by all they show:
/// every frame, after an item's text changed (a reload), a mark, a move, a scroll, a narrower terminal,
/// shows exactly what a first frame of the same state shows (drawn on a thread of its own, where no row
/// was drawn before).
#[test]
fn rows_kept_between_frames_are_never_shown_stale() {
    let mut f = Fake::new();
    let mut s = in_folder(&f, "Inbox");
    let mut t = Terminal::new(TestBackend::new(120, 30)).expect("terminal");
    let check = |s: &State, t: &mut Terminal<TestBackend>, what: &str| {
        // The frames drawn (the terminal's picture may keep cells a wide character hides).
        let now = t.draw(|fr| vex::ui::draw(fr, s)).expect("draw").buffer.clone();
        let first = std::thread::scope(|sc| {
            sc.spawn(|| {
                let mut t = Terminal::new(TestBackend::new(now.area.width, now.area.height)).expect("terminal");
                t.draw(|fr| vex::ui::draw(fr, s)).expect("draw").buffer.clone()
            })
            .join()
            .expect("thread")
        });
        assert_eq!(now, first, "{what}");
    };
    check(&s, &mut t, "the first frame");
    check(&s, &mut t, "the same again");
    ch(&mut s, ' ');
    check(&s, &mut t, "a mark");
    ch(&mut s, 'k');
    check(&s, &mut t, "back up");
    ch(&mut s, ' ');
    check(&s, &mut t, "the mark gone");
    for _ in 0..30 {
        ch(&mut s, 'j');
    }
    check(&s, &mut t, "scrolled");
    // The same items (ids) with other subjects.
    let mut inbox = vec![message()];
    inbox.extend((1..40).map(|i| {
        let mut it = generated_message(i);
        if let vex::api::models::ItemData::Message(m) = &mut it.data {
            m.subject = Some(format!("Status report #{i} (revised)"));
        }
        it
    }));
    f.items.insert("f-inbox".into(), Items::List(inbox));
    let fx = update(&mut s, Msg::Action(Action::Refresh));
    f.settle(&mut s, fx);
    check(&s, &mut t, "the items reloaded, their subjects changed");
    assert!(screen_text(&t).contains("(revised)"), "{}", screen_text(&t));
    t.backend_mut().resize(100, 30);
    check(&s, &mut t, "narrower");
    let fx = update(&mut s, Msg::Resize(100, 30));
    f.settle(&mut s, fx);
    check(&s, &mut t, "narrower, laid out again");
}
