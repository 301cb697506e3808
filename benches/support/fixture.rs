//! Browser states for the render and terminal-output measurements, built over a real emulator, and the
//! raw HTTP side of the client baseline.

use super::{Browser, MILLION, PASSWORD, USER};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use vex::api::models::{Item, Page};
use vex::api::{Client, FolderParent};
use vex::app::panes::items::{ItemsPane, ListKey};
use vex::app::{Action, Call, Effect, Msg, Request, Response, State, update};
use vex::runtime::effects::Runner;

/// Runs the reads among the effects against the server (through the runtime's one runner) and feeds
/// their answers back through `update`, until nothing more is asked for (the effects the runtime would
/// spawn, run in order, for a state without a loop).
pub async fn settle(state: &mut State, client: &Client, fx: Vec<Effect>) {
    let runner = Runner::new(client.clone());
    let mut fx: std::collections::VecDeque<Effect> = fx.into();
    while let Some(e) = fx.pop_front() {
        let Effect::Request(r) = e else { continue };
        if !r.call.is_read() {
            continue;
        }
        let answer = runner.answer(r).await;
        fx.extend(update(state, Msg::Answer(answer)));
    }
}

/// Applies an action and loads what it asks for.
pub async fn act(state: &mut State, client: &Client, a: Action) {
    let fx = update(state, Msg::Action(a));
    settle(state, client, fx).await;
}

/// The browser's state on `Inbox/Archive 1M`, as an operator reaches it (sessions, mailboxes, folders
/// panes open), with the total known (`G` then `g`): the cursor on the first row.
pub async fn million_state(client: &Client, size: (u16, u16)) -> State {
    let mut b = Browser::new(
        Terminal::new(TestBackend::new(size.0, size.1)).expect("terminal"),
        client.clone(),
        size,
    );
    b.open_million().await;
    let mut state = b.state().clone();
    act(&mut state, client, Action::Last).await;
    assert_eq!(state.items.as_ref().and_then(|i| i.total), Some(MILLION));
    act(&mut state, client, Action::First).await;
    state
}

/// Puts the cursor on `row` (and loads around it).
pub async fn goto(state: &mut State, client: &Client, row: u64) {
    let Some(i) = state.items.as_mut() else { return };
    let d = row as i64 - i.cursor as i64;
    let a = if d >= 0 { Action::PageDown } else { Action::PageUp };
    i.on_move(a, d.unsigned_abs());
    // Any message runs the pane's prefetch; a resize to the same size changes nothing else.
    let (w, h) = state.size;
    let fx = update(state, Msg::Resize(w, h));
    settle(state, client, fx).await;
}

/// The same folder view holding only `n` items (the server's answers cut at `n`).
pub async fn small_state(million: &State, client: &Client, n: usize) -> State {
    let mut state = million.clone();
    let old = state.items.take().expect("items pane");
    state.items = Some(ItemsPane::new(
        old.key.clone(),
        old.folder.clone(),
        old.path.clone(),
        Default::default(),
    ));
    let (w, h) = state.size;
    let runner = Runner::new(client.clone());
    let mut fx: std::collections::VecDeque<Effect> = update(&mut state, Msg::Resize(w, h)).into();
    while let Some(e) = fx.pop_front() {
        let Effect::Request(
            r @ Request {
                call: Call::ItemsPage { offset, .. },
                ..
            },
        ) = e
        else {
            continue;
        };
        let mut answer = runner.answer(r).await;
        let Ok(Response::Items(page)) = &mut answer.result else {
            panic!("page: {:?}", answer.result)
        };
        page.results.truncate((n as u64).saturating_sub(offset) as usize);
        fx.extend(update(&mut state, Msg::Answer(answer)));
    }
    assert_eq!(state.items.as_ref().and_then(|i| i.total), Some(n as u64));
    state
}

/// Session, mailbox and folder ids of `Inbox/Archive 1M` in a new restore session.
pub async fn million_key(c: &Client) -> ListKey {
    let orgs = c.organizations().await.expect("organizations");
    let org = orgs[0].id.clone().expect("organization id");
    let s = c.explore(&org, &Default::default()).await.expect("explore");
    let mb = c.mailboxes(&s.id, 0, 2).await.expect("mailboxes").results[1].id.clone();
    let inbox = c
        .all_folders(&s.id, &mb, FolderParent::Root)
        .await
        .expect("folders")
        .into_iter()
        .find(|f| f.name.as_deref() == Some("Inbox"))
        .expect("Inbox");
    let archive = c
        .all_folders(&s.id, &mb, FolderParent::Folder(&inbox.id))
        .await
        .expect("Inbox's folders")
        .into_iter()
        .find(|f| f.name.as_deref() == Some("Archive 1M"))
        .expect("Archive 1M");
    ListKey {
        session_id: s.id,
        mailbox_id: mb,
        folder_id: archive.id,
    }
}

/// The minimal client: plain reqwest, a bearer token, JSON into `serde_json::Value`.
pub struct Baseline {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Baseline {
    pub async fn login(url: &str) -> Baseline {
        let http = reqwest::Client::new();
        let v: serde_json::Value = http
            .post(format!("{url}/v8/token"))
            .form(&[("grant_type", "password"), ("username", USER), ("password", PASSWORD)])
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("token JSON");
        let token = v["access_token"].as_str().expect("access_token").to_string();
        Baseline {
            http,
            url: url.to_string(),
            token,
        }
    }

    /// One page of items, raw.
    pub async fn items_bytes(&self, key: &ListKey, offset: u64, limit: u32) -> bytes::Bytes {
        let path = format!(
            "{}/v8/RestoreSessions/{}/organization/mailboxes/{}/items",
            self.url,
            vex::api::client::seg(&key.session_id),
            vex::api::client::seg(&key.mailbox_id)
        );
        let res = self
            .http
            .get(path)
            .bearer_auth(&self.token)
            .query(&[
                ("offset", offset.to_string()),
                ("limit", limit.to_string()),
                ("parentId", key.folder_id.clone()),
            ])
            .send()
            .await
            .expect("items");
        assert!(res.status().is_success(), "items: {}", res.status());
        res.bytes().await.expect("items body")
    }

    /// Enumerates `n` items, `limit` per page; returns how many came.
    pub async fn enumerate(&self, key: &ListKey, n: u64, limit: u32) -> u64 {
        let mut got = 0;
        while got < n {
            let b = self.items_bytes(key, got, limit).await;
            let v: serde_json::Value = serde_json::from_slice(&b).expect("JSON");
            let k = v["results"].as_array().map_or(0, Vec::len) as u64;
            if k == 0 {
                break;
            }
            got += k;
        }
        got
    }
}

/// Enumerates `n` items through vex's client, `limit` per page.
pub async fn enumerate_vex(c: &Client, key: &ListKey, n: u64, limit: u32) -> u64 {
    let mut got = 0;
    while got < n {
        let p: Page<Item> = c
            .items(&key.session_id, &key.mailbox_id, &key.folder_id, got, limit)
            .await
            .expect("items");
        let k = p.results.len() as u64;
        if k == 0 {
            break;
        }
        got += k;
    }
    got
}
