//! The preview of an item: its body, recipients and attachments, read from the MSG file its save
//! endpoint sends (`POST …/items/{id}/save`; the item resource has no body). Shown under the item's
//! fields in the details pane, and in the reading layout's preview of the item under the items cursor.
//!
//! - Loaded in a loader task ([`Call::Preview`]: the runner downloads at most [`MAX_FILE_BYTES`] and
//!   parses the file there), never on the UI thread.
//! - One request at a time, for the item wanted now ([`wanted`]): when the operator moves on, the
//!   request leaves the state's map of requests and the runtime aborts it.
//! - The cursor in the items list must rest first ([`REST_TICKS`]): holding Down starts no download per
//!   row. Opening the details (Enter, Tab) asks at once.
//! - Cached per item ([`Previews`]), errors too: a real server logs a Save event for every download, so
//!   an item is fetched once per run (until it falls out of the bounded cache, or the operator reloads
//!   the details with ^R).
//!
//! Assumptions where the spec is silent: the preview is a read, so it is offered in read-only mode too
//! (it changes nothing in the backup; the server may still record a Save event); it is not written to
//! vex's audit log (nothing leaves the machine's memory). An item whose `_actions` are listed without
//! `savetoMsg` is not asked for (the server says it cannot save it); an item without `_actions` is.

use super::details::entries::{self, Entry};
use super::items::ListKey;
use crate::api::ApiError;
use crate::api::models::Item;
use crate::app::layout::{self, View};
use crate::app::{Call, Effect, Level, RequestId, Response, State, To, folder_paths, request, search};
use crate::msg::Preview;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// The largest MSG file a preview downloads (a larger one is refused as soon as its size shows).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Previews kept (the least recently shown goes first).
pub const CACHE_ENTRIES: usize = 100;
/// About the most text the kept previews hold (bytes).
pub const CACHE_BYTES: usize = 16 * 1024 * 1024;
/// Ticks the items cursor must rest on an item before its preview is asked for (100-200 ms).
pub const REST_TICKS: u32 = 2;

/// Which item: the session, its mailbox and the item's id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PreviewKey {
    pub session_id: String,
    pub mailbox_id: String,
    pub item_id: String,
}

/// What came of a preview's download.
#[derive(Clone, Debug)]
pub enum Outcome {
    Loaded(Arc<Preview>),
    /// Why there is none (sanitised).
    Failed(String),
}

/// What the pane shows of an item's preview.
#[derive(Clone, Copy, Debug)]
pub enum Shown<'a> {
    /// Asked for, or about to be (the cursor rests).
    Loading,
    Loaded(&'a Preview),
    Failed(&'a str),
    /// The server lists what it can do with the item, and saving is not among it.
    NotOffered,
}

/// The previews of this run and the one request in flight.
#[derive(Clone, Debug, Default)]
pub struct Previews {
    cache: HashMap<PreviewKey, (Outcome, usize)>,
    /// Least recently shown first.
    order: VecDeque<PreviewKey>,
    bytes: usize,
    /// The request in flight and the item it is for.
    pub loading: Option<(RequestId, PreviewKey)>,
    /// The item the items cursor rests on, and the ticks it must still rest.
    resting: Option<(PreviewKey, u32)>,
    /// MSG files asked for in this run (each may be a Save event on the server).
    pub asked: u64,
}

impl Previews {
    /// The outcome for `key`, if there is one.
    pub fn get(&self, key: &PreviewKey) -> Option<&Outcome> {
        self.cache.get(key).map(|(o, _)| o)
    }

    /// Previews kept.
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }

    /// Whether a preview request is in flight or about to go (the spinner ticks, the rest counts down).
    pub fn busy(&self) -> bool {
        self.loading.is_some() || self.resting.is_some()
    }

    /// Forgets `key`'s outcome (^R in the details asks again).
    pub fn forget(&mut self, key: &PreviewKey) {
        if let Some((_, n)) = self.cache.remove(key) {
            self.bytes -= n;
            self.order.retain(|k| k != key);
        }
    }

    fn touch(&mut self, key: &PreviewKey) -> bool {
        if !self.cache.contains_key(key) {
            return false;
        }
        if self.order.back() != Some(key) {
            self.order.retain(|k| k != key);
            self.order.push_back(key.clone());
        }
        true
    }

    fn insert(&mut self, key: PreviewKey, outcome: Outcome) {
        self.forget(&key);
        let n = weight(&outcome);
        self.cache.insert(key.clone(), (outcome, n));
        self.order.push_back(key);
        self.bytes += n;
        while self.cache.len() > CACHE_ENTRIES || (self.bytes > CACHE_BYTES && self.cache.len() > 1) {
            let Some(old) = self.order.pop_front() else { break };
            if let Some((_, n)) = self.cache.remove(&old) {
                self.bytes -= n;
            }
        }
    }
}

/// About the bytes an outcome holds.
fn weight(o: &Outcome) -> usize {
    const OVERHEAD: usize = 256;
    match o {
        Outcome::Failed(t) => OVERHEAD + t.len(),
        Outcome::Loaded(p) => {
            OVERHEAD
                + p.body.iter().map(|l| l.len() + 24).sum::<usize>()
                + p.recipients
                    .iter()
                    .map(|r| r.person.name.len() + r.person.address.len() + 64)
                    .sum::<usize>()
                + p.attachments.iter().map(|a| a.name.len() + 48).sum::<usize>()
                + p.subject.as_ref().map_or(0, String::len)
        }
    }
}

/// The key of `item` in the list `key` (the mailbox is the list's, or a search result's own).
pub fn key_of(session_id: &str, mailbox_id: &str, item: &Item) -> PreviewKey {
    PreviewKey {
        session_id: session_id.to_string(),
        mailbox_id: mailbox_id.to_string(),
        item_id: item.id.clone(),
    }
}

/// Whether the server offers to save `item` as MSG: yes unless it lists its actions without it.
pub fn offered(item: &Item) -> bool {
    let actions = item.action_names();
    actions.is_empty() || actions.iter().any(|a| a.eq_ignore_ascii_case("savetoMsg"))
}

/// Whether the reading layout shows the preview of the item under the items cursor.
pub fn preview_on_screen(state: &State) -> bool {
    state.focus == Level::Items && layout::visible(state, state.size.0).contains(&View::Preview)
}

/// The item whose preview is wanted now, and whether to ask at once (the details are open) rather than
/// when the items cursor rests.
pub fn wanted(state: &State) -> Option<(PreviewKey, &Item, bool)> {
    match state.focus {
        Level::Details => {
            let d = state.details.as_ref()?;
            Some((key_of(&d.key.session_id, &d.key.mailbox_id, &d.item), &d.item, true))
        }
        Level::Items if preview_on_screen(state) => {
            let items = state.items.as_ref()?;
            let it = items.selected()?;
            let k = search::result_key(items, it).ok()?;
            Some((key_of(&k.session_id, &k.mailbox_id, it), it, false))
        }
        _ => None,
    }
}

/// What the pane shows of `item`'s preview (`key`: where it is).
pub fn shown<'a>(state: &'a State, key: &PreviewKey, item: &Item) -> Shown<'a> {
    match state.previews.get(key) {
        Some(Outcome::Loaded(p)) => Shown::Loaded(p),
        Some(Outcome::Failed(e)) => Shown::Failed(e),
        None if !offered(item) => Shown::NotOffered,
        None => Shown::Loading,
    }
}

/// The entries of the details of `item` (listed in `list`: its mailbox, and its folder when the list is
/// one) with its folder's path and its preview.
pub fn details_entries(state: &State, list: &ListKey, item: &Item) -> Vec<Entry> {
    let key = key_of(&list.session_id, &list.mailbox_id, item);
    let mut es = entries::with_preview(item, &state.zone, Some(shown(state, &key, item)));
    let folder = folder_paths::shown_for(state, list, item);
    es.insert(1.min(es.len()), entries::folder(&folder));
    es
}

/// The entries of the preview of the item under the items cursor (none without one).
pub fn cursor_entries(state: &State) -> Option<(&Item, Vec<Entry>)> {
    let items = state.items.as_ref()?;
    let it = items.selected()?;
    let es = match search::result_key(items, it) {
        Ok(k) => details_entries(state, &k, it),
        Err(why) => {
            let mut es = entries::entries(it, &state.zone);
            es.insert(1.min(es.len()), entries::folder(&folder_paths::Shown::Unknown(why)));
            es
        }
    };
    Some((it, es))
}

/// Asks for the preview wanted now, or lets go of one nobody wants (run after every update; `tick`:
/// the message was a tick, which counts the cursor's rest down).
pub fn step(state: &mut State, tick: bool, fx: &mut Vec<Effect>) {
    let want = wanted(state).map(|(k, it, now)| (k, offered(it), now));
    let p = &mut state.previews;
    let Some((key, _, now)) = want.filter(|(_, can, _)| *can) else {
        p.loading = None;
        p.resting = None;
        return;
    };
    if p.touch(&key) {
        p.loading = None;
        p.resting = None;
        return;
    }
    if p.loading.as_ref().is_some_and(|(_, k)| *k == key) {
        return;
    }
    // Another item's download nobody waits for any more: aborted.
    p.loading = None;
    let ready = now
        || match &mut p.resting {
            Some((k, left)) if *k == key => {
                if tick {
                    *left = left.saturating_sub(1);
                }
                *left == 0
            }
            _ => {
                p.resting = Some((key.clone(), REST_TICKS));
                false
            }
        };
    if !ready {
        return;
    }
    p.resting = None;
    p.asked += 1;
    let r = state.requests.ask(
        To::Preview,
        Call::Preview {
            session_id: key.session_id.clone(),
            mailbox_id: key.mailbox_id.clone(),
            item_id: key.item_id.clone(),
            max_bytes: MAX_FILE_BYTES,
        },
    );
    p.loading = Some((r.id, key));
    fx.push(Effect::Request(r));
}

/// The answer to the preview request in flight (the request map dropped stale answers already).
pub fn on_answer(state: &mut State, result: Result<Response, ApiError>) -> bool {
    let p = &mut state.previews;
    let Some((_, key)) = p.loading.take() else { return false };
    let outcome = match request::take::<Box<Preview>>(result) {
        Ok(pv) => Outcome::Loaded(Arc::from(pv)),
        Err(e) => Outcome::Failed(crate::text::sanitize(&crate::text::shorten_guids(&e.to_string())).into_owned()),
    };
    p.insert(key, outcome);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: usize) -> PreviewKey {
        PreviewKey {
            session_id: "s".into(),
            mailbox_id: "m".into(),
            item_id: format!("i{i}"),
        }
    }

    fn preview(body: usize) -> Outcome {
        Outcome::Loaded(Arc::new(Preview {
            class: None,
            subject: None,
            from: None,
            recipients: Vec::new(),
            more_recipients: 0,
            sent: None,
            received: None,
            start: None,
            end: None,
            body: vec!["x".repeat(body)],
            body_source: crate::msg::BodySource::Plain,
            body_truncated: false,
            attachments: Vec::new(),
            more_attachments: 0,
        }))
    }

    #[test]
    fn the_cache_is_bounded_by_entries_and_bytes_and_drops_the_least_recently_shown() {
        let mut p = Previews::default();
        for i in 0..CACHE_ENTRIES {
            p.insert(key(i), preview(10));
        }
        assert_eq!(p.len(), CACHE_ENTRIES);
        assert!(p.touch(&key(0)), "the first is shown again: now the most recent");
        p.insert(key(CACHE_ENTRIES), preview(10));
        assert_eq!(p.len(), CACHE_ENTRIES);
        assert!(p.get(&key(0)).is_some(), "kept: shown recently");
        assert!(p.get(&key(1)).is_none(), "dropped: the least recently shown");

        // Bytes: three previews of 6 MiB do not fit in 16 MiB.
        let mut p = Previews::default();
        for i in 0..3 {
            p.insert(key(i), preview(6 << 20));
        }
        assert_eq!(p.len(), 2);
        assert!(p.bytes <= CACHE_BYTES && p.get(&key(0)).is_none());
        // One larger than the budget is still kept (alone): it is the one on screen.
        p.insert(key(9), preview(20 << 20));
        assert_eq!(p.len(), 1);
        assert!(p.get(&key(9)).is_some());
        p.forget(&key(9));
        assert!(p.is_empty() && p.bytes == 0);
    }
}
