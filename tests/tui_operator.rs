//! The operator's view (issue 16, the lists that identify an item): the `/` filter says it saw only what
//! is loaded and offers the server search; Sent Items, Drafts and Outbox show To and Sent; an attachment
//! marker; the mailbox pane keeps the address whole. Driven through `update` with an in-memory fake
//! server, checked on the drawn screen (`TestBackend`).

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;
use std::collections::HashMap;
use support::fake::{self, Items, from, new_state, render};
use vex::api::ApiError;
use vex::api::models::{Folder, Item, Mailbox, RestoreSession};
use vex::app::panes::items::ItemColumns;
use vex::app::{Effect, Level, Msg, Overlay, State, update};
use vex::msg::write::NewMessage;
use vex::msg::{Person, Preview, Recipient, RecipientKind};

// ------------------------------------------------------------------------------------------------
// The fake server
// ------------------------------------------------------------------------------------------------

const LONG_NAME: &str = "Maximilian Alexander Freiherr von Hohenzollern-Sigmaringen";
const LONG_EMAIL: &str = "maximilian.hohenzollern@contoso.com";

fn mailboxes() -> Vec<Mailbox> {
    from(json!([
        {"id": "mb-1", "name": "Anna Müller", "email": "anna.mueller@contoso.com"},
        {"id": "mb-2", "name": LONG_NAME, "email": LONG_EMAIL},
        {"id": "mb-3", "name": "Bob Smith", "email": "bob@contoso.com", "isArchive": true}
    ]))
}

/// Root folders: Inbox, Sent Items, Drafts (by category), Outbox (no category: by its name), a
/// localised sent folder without a category (received-mail columns), a folder of a million items.
fn root_folders() -> Vec<Folder> {
    from(json!([
        {"id": "f-inbox", "name": "Inbox", "type": "None", "category": "Inbox"},
        {"id": "f-sent", "name": "Sent Items", "type": "None", "category": "Sent"},
        {"id": "f-drafts", "name": "Entwürfe", "type": "None", "category": "Drafts"},
        {"id": "f-outbox", "name": "Outbox", "type": "None"},
        {"id": "f-gesendet", "name": "Gesendete Elemente", "type": "None"},
        {"id": "f-big", "name": "Archive 1M", "type": "None", "category": "None"}
    ]))
}

/// `i`: "Quarterly report #i" from Anna to Bob; every third has an attachment.
fn mail(i: u64) -> Item {
    let attachments = if i.is_multiple_of(3) {
        json!([{"name": format!("report-{i}.pdf"), "sizeBytes": 48213}])
    } else {
        json!([])
    };
    from(json!({
        "id": format!("m-{i}"), "itemClass": "IPM.Note", "from": "Anna Müller <anna.mueller@contoso.com>",
        "to": format!("Recipient {i} <r{i}@fabrikam.com>"), "subject": format!("Quarterly report #{i}"),
        "sent": format!("2024-02-{:02}T08:{:02}:00Z", 1 + i % 28, i % 60),
        "received": format!("2024-02-{:02}T09:{:02}:00Z", 1 + i % 28, i % 60),
        "attachments": attachments
    }))
}

struct Fake {
    folders: HashMap<Option<String>, Vec<Folder>>,
    items: HashMap<String, Items>,
    /// What the items' MSG files hold (an item without one is not answered: its preview stays loading).
    previews: HashMap<String, Preview>,
}

impl Fake {
    fn new() -> Fake {
        let mut folders = HashMap::new();
        folders.insert(None, root_folders());
        let mut items = HashMap::new();
        let list: Vec<Item> = (0..40).map(mail).collect();
        for f in ["f-inbox", "f-sent", "f-drafts", "f-outbox", "f-gesendet"] {
            items.insert(f.to_string(), Items::List(list.clone()));
        }
        items.insert(
            "f-big".into(),
            Items::Generated {
                n: 1_000_000,
                with_total: true,
                make: mail,
            },
        );
        Fake {
            folders,
            items,
            previews: HashMap::new(),
        }
    }

    fn settle(&self, s: &mut State, fx: Vec<Effect>) {
        fake::settle(self, s, fx);
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
        Some(mailboxes())
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
        let listed = self.items.values().find_map(|l| match l {
            Items::List(v) => v.iter().find(|i| i.id == item_id).cloned(),
            Items::Generated { .. } => None,
        });
        let i = item_id.strip_prefix("m-").and_then(|n| n.parse().ok());
        Some(fake::found(listed.or(i.map(mail))))
    }
    fn preview(&self, item_id: &str) -> Option<Result<Preview, ApiError>> {
        self.previews.get(item_id).cloned().map(Ok)
    }
    fn organizations(&self) -> Option<Vec<vex::api::models::Organization>> {
        Some(from(
            json!([{"id": "org-1", "name": "Contoso Ltd", "firstBackuptime": "2023-01-01T02:00:00Z",
            "lastBackuptime": "2024-03-01T02:00:13Z"}]),
        ))
    }
}

// ------------------------------------------------------------------------------------------------
// Driving
// ------------------------------------------------------------------------------------------------

fn press(s: &mut State, code: KeyCode) -> Vec<Effect> {
    update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn step(f: &Fake, s: &mut State, code: KeyCode) {
    let fx = press(s, code);
    f.settle(s, fx);
}

fn typed(f: &Fake, s: &mut State, text: &str) {
    for c in text.chars() {
        step(f, s, KeyCode::Char(c));
    }
}

fn screen(s: &State, w: u16, h: u16) -> String {
    render(s, w, h).backend().to_string()
}

/// The sessions list loaded (80x24).
fn started(f: &Fake) -> State {
    let mut s = new_state();
    let fx = update(&mut s, Msg::Start);
    f.settle(&mut s, fx);
    s
}

/// The folders of mailbox `mailbox` (its row in the list).
fn in_mailbox(f: &Fake, mailbox: usize) -> State {
    let mut s = started(f);
    step(f, &mut s, KeyCode::Enter);
    for _ in 0..mailbox {
        step(f, &mut s, KeyCode::Down);
    }
    step(f, &mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Folders);
    s
}

/// Opens the root folder `id` from the folders pane (the cursor moved there from wherever it is).
fn open_folder(f: &Fake, s: &mut State, id: &str) {
    assert_eq!(s.focus, Level::Folders);
    step(f, s, KeyCode::Char('g'));
    let pos = root_folders().iter().position(|x| x.id == id).expect("root folder");
    for _ in 0..pos {
        step(f, s, KeyCode::Down);
    }
    step(f, s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Items);
    assert_eq!(s.items.as_ref().map(|i| i.key.folder_id.as_str()), Some(id));
}

/// The first screen line containing `needle`.
fn line_with(screen: &str, needle: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not on screen:\n{screen}"))
        .to_string()
}

// ------------------------------------------------------------------------------------------------
// 1. The filter says it saw only what is loaded, and offers the server search
// ------------------------------------------------------------------------------------------------

#[test]
fn the_filter_says_how_much_it_saw_and_offers_the_server_search() {
    let f = Fake::new();
    let mut s = in_mailbox(&f, 0);
    open_folder(&f, &mut s, "f-big");
    let i = s.items.as_ref().expect("items");
    let loaded = i.items_held() as u64;
    assert!(loaded > 0 && loaded < 1_000_000, "a part is loaded: {loaded}");
    step(&f, &mut s, KeyCode::Char('/'));
    typed(&f, &mut s, "#7");
    // While typing: the count and the way to the server search, right of the field.
    let want = (0..loaded)
        .filter(|n| format!("Quarterly report #{n}").contains("#7"))
        .count();
    let counted = format!("{want} matches in {} loaded of 1,000,000", vex::text::thousands(loaded));
    let text = screen(&s, 120, 30);
    let status = text.lines().last().unwrap_or_default().to_string();
    assert!(status.contains(&counted), "{status:?}");
    assert!(status.contains("Enter, then s: search the server"), "{status:?}");
    step(&f, &mut s, KeyCode::Enter);
    let text = screen(&s, 120, 30);
    assert!(
        line_with(&text, "Archive 1M ·").contains(&counted),
        "the title counts:\n{text}"
    );
    let hints = text.lines().last().unwrap_or_default().trim_matches('"');
    assert!(
        hints.starts_with(" s search the server"),
        "the server search comes first: {hints:?}"
    );
    // s: the search prompt, with the filter's words, for the folder.
    step(&f, &mut s, KeyCode::Char('s'));
    let Some(Overlay::Search(p)) = &s.overlay else {
        panic!("no search prompt: {:?}", s.overlay)
    };
    assert_eq!(p.input.value(), "#7");
    // Nothing matching among the loaded items: the empty list says where to look.
    press(&mut s, KeyCode::Esc);
    step(&f, &mut s, KeyCode::Char('/'));
    typed(&f, &mut s, "zz");
    step(&f, &mut s, KeyCode::Enter);
    assert!(screen(&s, 120, 30).contains("nothing loaded matches /#7zz · s searches the server"));
}

#[test]
fn a_filter_over_everything_loaded_says_only_the_count() {
    let f = Fake::new();
    let mut s = in_mailbox(&f, 0);
    open_folder(&f, &mut s, "f-inbox");
    step(&f, &mut s, KeyCode::Char('/'));
    typed(&f, &mut s, "#3");
    step(&f, &mut s, KeyCode::Enter);
    let text = screen(&s, 120, 30);
    let title = line_with(&text, "Inbox ·");
    // #3, #30..#39 of 40 items, all loaded.
    assert!(title.contains("11 matches"), "{title}");
    assert!(!title.contains("loaded"), "{title}");
    assert!(!text.lines().last().unwrap_or_default().contains("search the server"));
}

#[test]
fn a_mailbox_filter_over_a_partial_list_says_so() {
    let f = Fake::new();
    let mut s = started(&f);
    step(&f, &mut s, KeyCode::Enter);
    // The fake's three mailboxes came in a page shorter than asked: the list is complete.
    step(&f, &mut s, KeyCode::Char('/'));
    typed(&f, &mut s, "contoso");
    step(&f, &mut s, KeyCode::Enter);
    let text = screen(&s, 120, 30);
    assert!(line_with(&text, "Mailboxes ·").contains("3 of 3"), "{text}");
    // More may follow: the count says the filter saw only the loaded ones.
    if let Some(m) = s.mailboxes.as_mut() {
        m.list.paging = vex::app::list::Paging::More;
    }
    let text = screen(&s, 120, 30);
    assert!(
        line_with(&text, "Mailboxes ·").contains("3 matches in the 3 loaded"),
        "{text}"
    );
}

// ------------------------------------------------------------------------------------------------
// 3. Sent Items, Drafts and Outbox show To and Sent
// ------------------------------------------------------------------------------------------------

#[test]
fn sent_drafts_and_outbox_show_to_and_sent() {
    let f = Fake::new();
    for (folder, outgoing) in [
        ("f-inbox", false),
        ("f-sent", true),
        ("f-drafts", true),
        ("f-outbox", true),
        ("f-gesendet", false),
    ] {
        let mut s = in_mailbox(&f, 0);
        open_folder(&f, &mut s, folder);
        let cols = s.items.as_ref().map(|i| i.columns);
        let text = screen(&s, 120, 30);
        let header = line_with(&text, "Subject");
        let row = line_with(&text, "Quarterly report #1 ");
        if outgoing {
            assert_eq!(cols, Some(ItemColumns::Outgoing), "{folder}");
            assert!(
                header.contains(" To ") && header.contains("Sent (UTC)"),
                "{folder}: {header}"
            );
            assert!(
                !header.contains("From") && !header.contains("Received"),
                "{folder}: {header}"
            );
            assert!(row.contains("Recipient 1"), "{folder}: {row}");
            assert!(row.contains("2024-02-02 08:01"), "the sent time: {folder}: {row}");
        } else {
            assert_eq!(cols, Some(ItemColumns::Messages), "{folder}");
            assert!(
                header.contains("From") && header.contains("Received (UTC)"),
                "{folder}: {header}"
            );
            assert!(row.contains("Anna Müller"), "{folder}: {row}");
            assert!(row.contains("2024-02-02 09:01"), "the received time: {folder}: {row}");
        }
    }
}

// ------------------------------------------------------------------------------------------------
// 4. The attachment marker
// ------------------------------------------------------------------------------------------------

#[test]
fn items_with_attachments_are_marked() {
    let f = Fake::new();
    let mut s = in_mailbox(&f, 0);
    open_folder(&f, &mut s, "f-inbox");
    let text = screen(&s, 120, 30);
    for i in 0..6u64 {
        let row = line_with(&text, &format!("Quarterly report #{i} "));
        assert_eq!(row.contains("📎"), i.is_multiple_of(3), "{row}");
    }
    // The marker stands in its own column: the subjects stay aligned.
    let at = |i: u64| {
        let row = line_with(&text, &format!("Quarterly report #{i} "));
        vex::text::width(&row[..row.find("Quarterly").unwrap_or(0)])
    };
    assert_eq!(at(0), at(1));
}

// ------------------------------------------------------------------------------------------------
// 7. The mailbox pane cuts the name, never the address first
// ------------------------------------------------------------------------------------------------

#[test]
fn the_mailbox_pane_cuts_the_name_before_the_address() {
    let f = Fake::new();
    let mut s = started(&f);
    step(&f, &mut s, KeyCode::Enter);
    step(&f, &mut s, KeyCode::Down);
    assert_eq!(s.focus, Level::Mailboxes);
    for w in [60u16, 80, 100, 120] {
        let text = screen(&s, w, 24);
        let row = line_with(&text, "Maximilian");
        assert!(row.contains(LONG_EMAIL), "{w} columns: the address whole:\n{text}");
        assert!(
            !row.contains(LONG_NAME),
            "{w} columns: the name is what is cut:\n{text}"
        );
        assert!(
            line_with(&text, "Anna M").contains("anna.mueller@contoso.com"),
            "{text}"
        );
    }
    // Wide enough for both: nothing is cut.
    let text = screen(&s, 220, 24);
    let row = line_with(&text, "Maximilian");
    assert!(row.contains(LONG_NAME) && row.contains(LONG_EMAIL), "{text}");
    assert!(line_with(&text, "Bob Smith").contains("archive"), "{text}");
}

// ------------------------------------------------------------------------------------------------
// 2. Re-entering a folder, or going back to a mailbox, puts the cursor back
// ------------------------------------------------------------------------------------------------

fn selected_item(s: &State) -> Option<String> {
    s.items.as_ref().and_then(|i| i.selected()).map(|i| i.id.clone())
}

fn selected_folder(s: &State) -> Option<String> {
    s.folders
        .as_ref()
        .and_then(|f| f.selected())
        .map(|n| n.folder.id.clone())
}

#[test]
fn re_entering_a_folder_puts_the_cursor_back_on_the_item() {
    let f = Fake::new();
    let mut s = in_mailbox(&f, 0);
    open_folder(&f, &mut s, "f-inbox");
    for _ in 0..7 {
        step(&f, &mut s, KeyCode::Down);
    }
    assert_eq!(selected_item(&s).as_deref(), Some("m-7"));
    // Another folder (its own cursor), then the Inbox again.
    step(&f, &mut s, KeyCode::Esc);
    open_folder(&f, &mut s, "f-sent");
    step(&f, &mut s, KeyCode::Char('G'));
    assert_eq!(selected_item(&s).as_deref(), Some("m-39"));
    step(&f, &mut s, KeyCode::Esc);
    open_folder(&f, &mut s, "f-inbox");
    assert_eq!(selected_item(&s).as_deref(), Some("m-7"), "back on the item left");
    step(&f, &mut s, KeyCode::Esc);
    open_folder(&f, &mut s, "f-sent");
    assert_eq!(selected_item(&s).as_deref(), Some("m-39"));
}

#[test]
fn the_cursor_follows_its_item_and_falls_back_to_the_row() {
    let mut f = Fake::new();
    let mut s = in_mailbox(&f, 0);
    open_folder(&f, &mut s, "f-inbox");
    for _ in 0..7 {
        step(&f, &mut s, KeyCode::Down);
    }
    step(&f, &mut s, KeyCode::Esc);
    open_folder(&f, &mut s, "f-sent");
    step(&f, &mut s, KeyCode::Esc);
    // Two items before it are gone meanwhile (the fake changed; a reload would see the same): the cursor
    // finds m-7 on its new row.
    let fewer: Vec<Item> = (0..40).filter(|i| *i != 2 && *i != 4).map(mail).collect();
    f.items.insert("f-inbox".into(), Items::List(fewer));
    open_folder(&f, &mut s, "f-inbox");
    assert_eq!(selected_item(&s).as_deref(), Some("m-7"));
    assert_eq!(s.items.as_ref().map(|i| i.cursor), Some(5));
    // m-7 itself gone: the same row.
    step(&f, &mut s, KeyCode::Esc);
    open_folder(&f, &mut s, "f-sent");
    step(&f, &mut s, KeyCode::Esc);
    let without: Vec<Item> = (0..40).filter(|i| *i != 7).map(mail).collect();
    f.items.insert("f-inbox".into(), Items::List(without));
    open_folder(&f, &mut s, "f-inbox");
    assert_eq!(s.items.as_ref().map(|i| i.cursor), Some(5));
    assert_eq!(selected_item(&s).as_deref(), Some("m-5"));
}

#[test]
fn far_down_a_big_folder_the_page_under_the_cursor_is_loaded_first() {
    let f = Fake::new();
    let mut s = in_mailbox(&f, 0);
    open_folder(&f, &mut s, "f-big");
    for _ in 0..25 {
        step(&f, &mut s, KeyCode::PageDown);
    }
    let left = selected_item(&s).expect("an item");
    let row = s.items.as_ref().map(|i| i.cursor).unwrap_or_default();
    assert!(row > 400, "{row}");
    step(&f, &mut s, KeyCode::Esc);
    open_folder(&f, &mut s, "f-inbox");
    step(&f, &mut s, KeyCode::Esc);
    // Re-entering asks for the page under the cursor, not the first rows.
    step(&f, &mut s, KeyCode::Char('g'));
    for _ in 0..5 {
        step(&f, &mut s, KeyCode::Down);
    }
    let fx = press(&mut s, KeyCode::Enter);
    let offsets: Vec<u64> = fx
        .iter()
        .filter_map(|e| match e.call() {
            Some(vex::app::Call::ItemsPage { offset, .. }) => Some(*offset),
            _ => None,
        })
        .collect();
    assert_eq!(offsets, [row - row % 200], "{fx:?}");
    f.settle(&mut s, fx);
    assert_eq!(selected_item(&s), Some(left));
    let text = screen(&s, 120, 30);
    assert!(
        text.contains(&format!("Quarterly report #{row} ")),
        "the row is on screen:\n{text}"
    );
}

#[test]
fn going_back_to_a_mailbox_shows_its_folders_as_left() {
    let f = Fake::new();
    let mut s = in_mailbox(&f, 0);
    step(&f, &mut s, KeyCode::Down);
    step(&f, &mut s, KeyCode::Down);
    step(&f, &mut s, KeyCode::Down);
    assert_eq!(selected_folder(&s).as_deref(), Some("f-outbox"));
    // Another mailbox, then the first again.
    step(&f, &mut s, KeyCode::Esc);
    step(&f, &mut s, KeyCode::Down);
    step(&f, &mut s, KeyCode::Enter);
    assert_eq!(
        selected_folder(&s).as_deref(),
        Some("f-inbox"),
        "the other mailbox's own cursor"
    );
    step(&f, &mut s, KeyCode::Char('G'));
    step(&f, &mut s, KeyCode::Esc);
    step(&f, &mut s, KeyCode::Up);
    let fx = press(&mut s, KeyCode::Enter);
    assert!(
        fx.iter().all(|e| e.call().is_none()),
        "the tree as it was: nothing asked again: {fx:?}"
    );
    assert_eq!(s.focus, Level::Folders);
    assert_eq!(selected_folder(&s).as_deref(), Some("f-outbox"));
    step(&f, &mut s, KeyCode::Esc);
    step(&f, &mut s, KeyCode::Down);
    step(&f, &mut s, KeyCode::Enter);
    assert_eq!(selected_folder(&s).as_deref(), Some("f-big"));
    // A reload starts the tree over.
    step(&f, &mut s, KeyCode::F(5));
    assert_eq!(selected_folder(&s).as_deref(), Some("f-inbox"));
}

// ------------------------------------------------------------------------------------------------
// 6. Appointments: when, where and who first; attendees counted, required / optional
// ------------------------------------------------------------------------------------------------

fn appointment() -> Item {
    from(json!({
        "id": "apt-1", "itemClass": "IPM.Appointment", "subject": "Quarterly review",
        "organizer": "Anna Müller <anna.mueller@contoso.com>",
        "attendees": "Bob Smith <bob@contoso.com>; 山田 太郎 <taro.yamada@contoso.jp>; Zoë Ångström <zoe@contoso.se>",
        "startTime": "2024-03-05T09:00:00Z", "endTime": "2024-03-05T10:30:00Z",
        "location": "Room 4.12 (Zürich)", "recurring": false, "attachments": []
    }))
}

fn person(name: &str, address: &str) -> Person {
    Person {
        name: name.into(),
        address: address.into(),
    }
}

/// The appointment's MSG file: Bob and Taro required, Zoë optional, the room a resource.
fn appointment_file() -> Preview {
    let r = |kind, name: &str, address: &str| Recipient {
        kind,
        person: person(name, address),
    };
    fake::preview_of(&NewMessage {
        class: "IPM.Appointment".into(),
        subject: "Quarterly review".into(),
        recipients: vec![
            r(RecipientKind::To, "Bob Smith", "bob@contoso.com"),
            r(RecipientKind::To, "山田 太郎", "taro.yamada@contoso.jp"),
            r(RecipientKind::Cc, "Zoë Ångström", "zoe@contoso.se"),
            r(RecipientKind::Bcc, "Room 4.12", "room412@contoso.com"),
        ],
        body: Some("Agenda: the quarter's numbers.".into()),
        ..NewMessage::default()
    })
}

/// The details of the calendar's only item, focused (the MSG file answered when `with_file`).
fn appointment_details(with_file: bool) -> State {
    let mut f = Fake::new();
    f.folders.insert(
        None,
        from(json!([{"id": "f-cal", "name": "Calendar", "type": "Appointment"}])),
    );
    f.items.insert("f-cal".into(), Items::List(vec![appointment()]));
    if with_file {
        f.previews.insert("apt-1".into(), appointment_file());
    }
    let mut s = in_mailbox(&f, 0);
    step(&f, &mut s, KeyCode::Enter);
    step(&f, &mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Details);
    s
}

/// The labels of the details' fields, in order (the first screen of the pane, 80 columns).
fn labels(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim_matches('"').trim_start_matches('│').trim_start();
            let label = l.split("  ").next()?.trim();
            (!label.is_empty()).then(|| label.to_string())
        })
        .collect()
}

#[test]
fn an_appointment_says_when_where_and_who_first() {
    let s = appointment_details(false);
    let text = screen(&s, 80, 40);
    let order: Vec<String> = labels(&text)
        .into_iter()
        .filter(|l| ["Start", "End", "Location", "Organizer", "Subject", "Attendees"].contains(&l.as_str()))
        .collect();
    assert_eq!(
        order,
        ["Start", "End", "Location", "Organizer", "Subject", "Attendees"],
        "{text}"
    );
    // Before the message file is read: the count from the item's list, which cannot tell them apart.
    assert!(
        line_with(&text, "Attendees").contains("3 (required / optional: in the message file)"),
        "{text}"
    );
    assert!(
        text.contains("Bob Smith <bob@contoso.com>;"),
        "the list as the server gave it:\n{text}"
    );
}

#[test]
fn an_appointment_tells_required_and_optional_attendees_apart() {
    let s = appointment_details(true);
    let text = screen(&s, 80, 40);
    assert!(
        line_with(&text, "Attendees").contains("4: 2 required, 1 optional, 1 resource"),
        "{text}"
    );
    assert!(
        line_with(&text, "Required").contains("Bob Smith <bob@contoso.com>"),
        "{text}"
    );
    assert!(
        line_with(&text, "Optional").contains("Zoë Ångström <zoe@contoso.se>"),
        "{text}"
    );
    assert!(line_with(&text, "Resources").contains("Room 4.12"), "{text}");
    // Once: not again under the body.
    assert!(!text.contains("Attendees in the message file"), "{text}");
    assert!(text.contains("Agenda: the quarter's numbers."), "{text}");
}

// ------------------------------------------------------------------------------------------------
// 9. Nits: the preview shows once what the details show; sizes in one format; the backups' zone
// ------------------------------------------------------------------------------------------------

#[test]
fn the_preview_does_not_repeat_the_recipients_and_attachments() {
    let mut f = Fake::new();
    let it = mail(3);
    f.previews.insert(
        "m-3".into(),
        fake::mail_preview(
            "Hello,\r\nthe report is attached.",
            &[("Recipient 3", "r3@fabrikam.com")],
            &[("Finance", "finance@contoso.com")],
            &[("report-3.pdf", 48213)],
        ),
    );
    f.items.insert("f-inbox".into(), Items::List(vec![it]));
    let mut s = in_mailbox(&f, 0);
    open_folder(&f, &mut s, "f-inbox");
    step(&f, &mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Details);
    let text = screen(&s, 80, 50);
    assert!(text.contains("the report is attached."), "{text}");
    assert_eq!(text.matches("report-3.pdf").count(), 1, "the attachment once:\n{text}");
    assert_eq!(
        text.matches("r3@fabrikam.com").count(),
        1,
        "the recipient once:\n{text}"
    );
    assert!(!text.contains("Attachments in the message file"), "{text}");
    // What only the file names (a Cc the resource left out) is shown, once.
    assert!(text.contains("Other recipients in the message file (1)"), "{text}");
    assert_eq!(text.matches("finance@contoso.com").count(), 1, "{text}");
    // A message whose resource names no recipient: the file's are shown (they are not elsewhere).
    let bare: Item = from(json!({"id": "m-bare", "itemClass": "IPM.Note", "subject": "No fields"}));
    f.previews.insert(
        "m-bare".into(),
        fake::mail_preview("Body.", &[("Recipient 9", "r9@fabrikam.com")], &[], &[("a.txt", 10)]),
    );
    f.items.insert("f-sent".into(), Items::List(vec![bare]));
    step(&f, &mut s, KeyCode::Esc);
    step(&f, &mut s, KeyCode::Esc);
    open_folder(&f, &mut s, "f-sent");
    step(&f, &mut s, KeyCode::Enter);
    let text = screen(&s, 80, 50);
    assert!(text.contains("Recipients in the message file (1)"), "{text}");
    assert!(text.contains("Attachments in the message file (1)"), "{text}");
}

#[test]
fn the_new_session_dialog_names_the_zone_of_the_backups() {
    let f = Fake::new();
    let mut s = started(&f);
    step(&f, &mut s, KeyCode::Char('n'));
    assert!(matches!(s.overlay, Some(Overlay::NewSession(_))));
    let text = screen(&s, 120, 40);
    assert!(text.contains("Backups, first – last (UTC)"), "{text}");
    assert!(text.contains("backups 2023-01-01 02:00 – 2024-03-01 02:00"), "{text}");
}

/// The emulator over HTTPS: a message file larger than a preview reads is refused with its sizes in the
/// one size format, not in raw bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_file_too_large_says_its_size_readably() {
    use vex::api::{Client, ClientConfig, Trust};
    vex::install_crypto_provider();
    let server = vex::sim::start(vex::sim::SimConfig {
        tls: true,
        ..Default::default()
    })
    .await
    .expect("emulator");
    let mut config = ClientConfig::new(server.base_url().to_string());
    config.trust = Trust::Pin(vex::api::tls::sha256(server.cert_der().expect("a certificate")));
    let client = Client::new(config).expect("client");
    client
        .login("vex", &secrecy::SecretString::from("vex-demo-password"))
        .await
        .expect("login");
    let org = client.organizations().await.expect("organizations")[0]
        .id
        .clone()
        .expect("an organization id");
    let session = client.explore(&org, &Default::default()).await.expect("a session");
    let mb = client.mailboxes(&session.id, 0, 1).await.expect("mailboxes").results[0]
        .id
        .clone();
    let roots = client
        .all_folders(&session.id, &mb, vex::api::FolderParent::Root)
        .await
        .expect("folders");
    let inbox = roots
        .iter()
        .find(|f| f.name.as_deref() == Some("Inbox"))
        .expect("Inbox")
        .id
        .clone();
    let items = client.items(&session.id, &mb, &inbox, 0, 5).await.expect("items");
    let id = &items.results[0].id;
    let whole = client
        .item_msg(&session.id, &mb, id, vex::app::panes::preview::MAX_FILE_BYTES)
        .await
        .expect("the MSG file");
    let e = client
        .item_msg(&session.id, &mb, id, 2048)
        .await
        .expect_err("refused: larger than the cap");
    let text = e.to_string();
    assert!(text.contains("more than the 2.0 KiB a preview reads"), "{text}");
    assert!(!text.contains("bytes"), "{text}");
    // The size, when the server says it, in the same format.
    assert!(
        text.contains(&vex::text::human_size(whole.len() as i64)) || text.contains("over 2.0 KiB"),
        "{text}"
    );
}
