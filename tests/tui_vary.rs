//! Issue 12, part 3: the TUI's walk through every item type against the emulator's varied answers
//! (`--vary SEED`) with pages capped below the request (`--max-page`), under several seeds: each folder kind
//! lists and each item kind opens in the details, without an error, with its own fields.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use crossterm::event::KeyCode;
use std::time::Duration;
use support::app::{AppHarness, Setup};
use vex::api::models::ItemKind;
use vex::api::{ApiVersion, VersionChoice};
use vex::app::Level;
use vex::sim::SimConfig;
use vex::sim::vary::Vary;

async fn start(seed: u64, max_page: u32, api: ApiVersion) -> AppHarness {
    AppHarness::launch(Setup {
        sim: SimConfig {
            tls: false,
            vary: Some(Vary {
                retry_after_secs: 0,
                ..Vary::new(seed)
            }),
            max_page: Some(max_page),
            ..Default::default()
        },
        api: VersionChoice::Fixed(api),
        size: (160, 45),
        wait: Duration::from_secs(60),
        tag: format!("[seed {seed}, {api}] "),
        ..Setup::default()
    })
    .await
}

/// Filters the folders to `name`, opens it and the details of its first item; returns that item's kind
/// (`None`: the folder is empty in this mailbox).
async fn open_first_item_of(h: &mut AppHarness, name: &str) -> Option<ItemKind> {
    h.key(KeyCode::Char('/'));
    h.typed(&name.to_lowercase());
    h.key(KeyCode::Enter);
    h.key(KeyCode::Enter);
    let folder = name.to_string();
    h.until(&format!("the items of {name}"), move |s| {
        s.focus == Level::Items
            && s.items.as_ref().is_some_and(|i| {
                i.folder.name.as_deref() == Some(folder.as_str())
                    && (i.selected().is_some() || i.total == Some(0) || i.error.is_some())
            })
    })
    .await;
    let items = h.state().items.clone().expect("items");
    assert!(items.error.is_none(), "{}{name}: {:?}", h.tag, items.error);
    let kind = if items.selected().is_some() {
        h.key(KeyCode::Enter);
        h.until("the details", |s| {
            s.focus == Level::Details && s.details.as_ref().is_some_and(|d| d.loading.is_none())
        })
        .await;
        let d = h.state().details.clone().expect("details");
        let kind = d.item.kind();
        let screen = h.screen();
        assert!(
            screen.contains("Type") && screen.contains(kind.label()),
            "{}{name}:\n{screen}",
            h.tag
        );
        assert!(
            !screen.contains("\"uri\""),
            "{}{name}: _actions dumped as JSON:\n{screen}",
            h.tag
        );
        h.key(KeyCode::Esc);
        Some(kind)
    } else {
        None
    };
    // Back to the folders, the filter cleared.
    h.key(KeyCode::Esc);
    h.until("the folders", |s| s.focus == Level::Folders).await;
    h.key(KeyCode::Esc);
    h.until("no folder filter", |s| {
        s.folders.as_ref().is_some_and(|f| !f.filter.is_active())
    })
    .await;
    kind
}

async fn walk(seed: u64, max_page: u32, api: ApiVersion) {
    let mut h = start(seed, max_page, api).await;
    h.until("the sessions", |s| s.sessions.list.len() >= 2 && !s.is_loading())
        .await;
    // The first Working session (varied answers may leave out its organization's name).
    let pos = h
        .state()
        .sessions
        .list
        .rows
        .iter()
        .position(|s| s.state.as_str() == "Working")
        .expect("a working session");
    h.keys(KeyCode::Down, pos);
    h.key(KeyCode::Enter);
    h.until("the mailboxes", |s| {
        s.focus == Level::Mailboxes && s.mailboxes.as_ref().is_some_and(|m| m.list.len() > 3)
    })
    .await;
    let mut todo = vec![
        ("Inbox", ItemKind::Message),
        ("Calendar", ItemKind::Appointment),
        ("Contacts", ItemKind::Contact),
        ("Tasks", ItemKind::Task),
        ("Journal", ItemKind::Journal),
        ("Notes", ItemKind::StickyNote),
    ];
    for mailbox in 0..6 {
        if todo.is_empty() {
            break;
        }
        if mailbox > 0 {
            h.key(KeyCode::Esc);
            h.until("the mailboxes", |s| s.focus == Level::Mailboxes).await;
            h.key(KeyCode::Down);
        }
        h.key(KeyCode::Enter);
        h.until("the folders", |s| {
            s.focus == Level::Folders
                && s.folders
                    .as_ref()
                    .is_some_and(|f| f.rows().len() > 5 && !f.is_loading())
        })
        .await;
        let mut left = Vec::new();
        for (folder, kind) in todo {
            match open_first_item_of(&mut h, folder).await {
                Some(got) => assert_eq!(got, kind, "{}{folder}", h.tag),
                None => left.push((folder, kind)),
            }
        }
        todo = left;
    }
    assert!(todo.is_empty(), "{}never found items in {todo:?}", h.tag);
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_item_type_opens_under_varied_answers_v8_seed_1() {
    walk(1, 7, ApiVersion::V8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_item_type_opens_under_varied_answers_v7_seed_23() {
    walk(23, 5, ApiVersion::V7).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_item_type_opens_under_varied_answers_v6_seed_99() {
    walk(99, 11, ApiVersion::V6).await;
}
