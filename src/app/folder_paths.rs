//! Where an item is (issue 16): its folder's path (`Inbox / Projects / 2024`), shown as the `Folder` line
//! of the details and in a column of search results, where an all-mailboxes search puts mail from any
//! folder of any mailbox side by side.
//!
//! - In a folder's items the path is the tree's: the details and the preview use it, no request.
//! - Search results name their folder in `_links.parent` (see [`crate::api::folder_path`]); its path is
//!   walked up in a loader task ([`Call::FolderPath`]), never on the UI thread. The folder tree of that
//!   mailbox, when open, answers first, and what is known stops the walk (each folder asked once).
//! - One walk at a time, for the folders on screen: the details' item, then the rows shown (the cursor's
//!   first). A walk nobody wants any more is let go (the runtime aborts it).
//! - Cached per restore session (the key holds it), errors too, bounded ([`CACHE_FOLDERS`]): a session
//!   shows a fixed point in time, so a path found once stays true.
//! - Shown through `text::sanitize` (the names are the server's): a hostile folder name is escaped.

use super::panes::items::{ItemsPane, ListKey};
use super::{Call, Effect, Level, RequestId, Response, State, To, request, search};
use crate::api::ApiError;
use crate::api::folder_path::{FolderPath, item_folder_id};
use crate::api::models::Item;
use crate::text::{sanitize, shorten_guids};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Folders whose path (or why there is none) is kept; the oldest found go first.
pub const CACHE_FOLDERS: usize = 4096;

/// A folder of a mailbox of a restore session.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FolderKey {
    pub session_id: String,
    pub mailbox_id: String,
    pub folder_id: String,
}

/// What a walk found for a folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// The names from the root down (the server's, not sanitised).
    Path(Arc<[String]>),
    /// Why there is none (short, sanitised).
    Failed(String),
}

/// What is shown of an item's folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    /// The path, names joined with ` / `, sanitised.
    Path(String),
    /// Being looked up.
    Loading,
    /// Not known, and why (sanitised).
    Unknown(String),
}

impl Shown {
    /// The details' `Folder` line.
    pub fn line(&self) -> String {
        match self {
            Shown::Path(p) => p.clone(),
            Shown::Loading => "looking it up…".into(),
            Shown::Unknown(why) => format!("not known: {why}"),
        }
    }

    /// The search results' cell (the details say why a folder is not known).
    pub fn cell(&self) -> String {
        match self {
            Shown::Path(p) => p.clone(),
            Shown::Loading => "…".into(),
            Shown::Unknown(_) => "(not known)".into(),
        }
    }
}

/// Why an item has no folder key: the server did not name its folder.
pub const NOT_NAMED: &str = "the server did not say";

/// The paths found in this run and the one walk in flight.
#[derive(Clone, Debug, Default)]
pub struct FolderPaths {
    found: HashMap<FolderKey, Found>,
    /// Oldest first.
    order: VecDeque<FolderKey>,
    /// The walk in flight and the folder it is for.
    pub loading: Option<(RequestId, FolderKey)>,
    /// Walks asked for in this run.
    pub asked: u64,
}

impl FolderPaths {
    pub fn get(&self, key: &FolderKey) -> Option<&Found> {
        self.found.get(key)
    }

    /// Folders kept.
    pub fn len(&self) -> usize {
        self.found.len()
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    fn insert(&mut self, key: FolderKey, found: Found) {
        if self.found.insert(key.clone(), found).is_none() {
            self.order.push_back(key);
        }
        while self.found.len() > CACHE_FOLDERS {
            let Some(old) = self.order.pop_front() else { break };
            self.found.remove(&old);
        }
    }

    /// The paths known in a mailbox, by folder id (where a walk may stop).
    fn known_in(&self, session_id: &str, mailbox_id: &str) -> HashMap<String, Vec<String>> {
        self.found
            .iter()
            .filter(|(k, _)| k.session_id == session_id && k.mailbox_id == mailbox_id)
            .filter_map(|(k, f)| match f {
                Found::Path(names) => Some((k.folder_id.clone(), names.to_vec())),
                Found::Failed(_) => None,
            })
            .collect()
    }
}

/// The folder of `item` listed in `key`'s list: the list's own folder (a folder's items), else the one
/// the item names (search results, whose key has no folder). `Err`: why it is not known.
pub fn folder_of(key: &ListKey, item: &Item) -> Result<FolderKey, String> {
    let folder_id = if key.folder_id.is_empty() {
        item_folder_id(item).ok_or_else(|| NOT_NAMED.to_string())?
    } else {
        key.folder_id.clone()
    };
    Ok(FolderKey {
        session_id: key.session_id.clone(),
        mailbox_id: key.mailbox_id.clone(),
        folder_id,
    })
}

/// The path of a folder's items list that is open (the tree's: no request).
fn open_list_path<'a>(state: &'a State, key: &FolderKey) -> Option<&'a str> {
    state
        .items
        .as_ref()
        .filter(|i| {
            i.search.is_none()
                && i.key.session_id == key.session_id
                && i.key.mailbox_id == key.mailbox_id
                && i.key.folder_id == key.folder_id
        })
        .map(|i| i.path.as_str())
}

/// What is shown of the folder `key` (`Err`: why the item has no folder key).
pub fn shown(state: &State, key: Result<&FolderKey, &str>) -> Shown {
    let key = match key {
        Ok(k) => k,
        Err(why) => return Shown::Unknown(sanitize(why).into_owned()),
    };
    if let Some(p) = open_list_path(state, key) {
        return Shown::Path(sanitize(p).into_owned());
    }
    match state.folder_paths.get(key) {
        Some(Found::Path(names)) => Shown::Path(sanitize(&names.join(" / ")).into_owned()),
        Some(Found::Failed(why)) => Shown::Unknown(why.clone()),
        None => Shown::Loading,
    }
}

/// What is shown of the folder of `item` listed in `key`'s list.
pub fn shown_for(state: &State, key: &ListKey, item: &Item) -> Shown {
    let k = folder_of(key, item);
    shown(state, k.as_ref().map_err(String::as_str))
}

/// The folder key of a row of `items` (search results: the mailbox the result is in).
pub fn row_folder(items: &ItemsPane, it: &Item) -> Result<FolderKey, String> {
    let key = search::result_key(items, it)?;
    folder_of(&key, it)
}

/// The folders whose paths are on screen now, the most wanted first: the details' item, the item under
/// the items cursor, then the rows of search results shown.
fn wanted(state: &State) -> Vec<FolderKey> {
    let mut out: Vec<FolderKey> = Vec::new();
    let mut push = |k: FolderKey| {
        if !out.contains(&k) {
            out.push(k);
        }
    };
    if state.focus == Level::Details
        && let Some(d) = &state.details
        && let Ok(k) = folder_of(&d.key, &d.item)
    {
        push(k);
    }
    if let Some(items) = state
        .items
        .as_ref()
        .filter(|_| matches!(state.focus, Level::Items | Level::Details))
    {
        if let Some(it) = items.selected()
            && let Ok(k) = row_folder(items, it)
        {
            push(k);
        }
        if items.search.is_some() {
            let rows = state.layout.rows_of(Level::Items);
            let top = items.view.top();
            for i in top..(top + rows).min(items.display_len()) {
                if let super::panes::items::Row::Item(it) = items.row(i)
                    && let Ok(k) = row_folder(items, it)
                {
                    push(k);
                }
            }
        }
    }
    out.retain(|k| open_list_path(state, k).is_none());
    out
}

/// The paths of every folder of the open tree of a mailbox, by id (the names the tree shows).
fn tree_paths(state: &State, session_id: &str, mailbox_id: &str) -> HashMap<String, Vec<String>> {
    let Some(tree) = state
        .folders
        .as_ref()
        .filter(|f| f.session_id == session_id && f.mailbox.id == mailbox_id)
    else {
        return HashMap::new();
    };
    tree.all_paths()
        .into_iter()
        .map(|(id, names)| (id.to_string(), names.into_iter().map(str::to_string).collect()))
        .collect()
}

/// Asks for the path wanted now, or lets go of a walk nobody wants (run after every update).
pub fn step(state: &mut State, fx: &mut Vec<Effect>) {
    let wanted = wanted(state);
    if let Some((_, k)) = &state.folder_paths.loading {
        if wanted.contains(k) {
            return;
        }
        // Nobody shows it any more: aborted.
        state.folder_paths.loading = None;
    }
    // The open tree knows its folders: no request for those.
    let mut trees: HashMap<(String, String), HashMap<String, Vec<String>>> = HashMap::new();
    for k in wanted {
        if state.folder_paths.get(&k).is_some() {
            continue;
        }
        let tree = trees
            .entry((k.session_id.clone(), k.mailbox_id.clone()))
            .or_insert_with(|| tree_paths(state, &k.session_id, &k.mailbox_id));
        if let Some(names) = tree.get(&k.folder_id) {
            let found = Found::Path(names.clone().into());
            state.folder_paths.insert(k, found);
            continue;
        }
        let mut known = state.folder_paths.known_in(&k.session_id, &k.mailbox_id);
        known.extend(tree.iter().map(|(id, n)| (id.clone(), n.clone())));
        let r = state.requests.ask(
            To::FolderPath,
            Call::FolderPath {
                session_id: k.session_id.clone(),
                mailbox_id: k.mailbox_id.clone(),
                folder_id: k.folder_id.clone(),
                known,
            },
        );
        state.folder_paths.asked += 1;
        state.folder_paths.loading = Some((r.id, k));
        fx.push(Effect::Request(r));
        return;
    }
}

/// The short text of a walk's failure.
pub fn describe(e: &ApiError) -> String {
    let text = match e {
        e if e.is_not_found() => "the server has no such folder (404)".to_string(),
        ApiError::Limit(m) | ApiError::Decode(m) => m.clone(),
        other => shorten_guids(&other.to_string()),
    };
    sanitize(crate::text::clip(&text, 300).0).into_owned()
}

/// The answer to the walk in flight (the request map dropped stale answers already).
pub fn on_answer(state: &mut State, result: Result<Response, ApiError>) -> bool {
    let Some((_, key)) = state.folder_paths.loading.take() else {
        return false;
    };
    match request::take::<Vec<FolderPath>>(result) {
        Ok(paths) => {
            let mut answered = false;
            for p in paths {
                answered |= p.folder_id == key.folder_id;
                let k = FolderKey {
                    folder_id: p.folder_id,
                    ..key.clone()
                };
                state.folder_paths.insert(k, Found::Path(p.names.into()));
            }
            if !answered {
                let why = "the server's answer did not include the folder".to_string();
                state.folder_paths.insert(key, Found::Failed(why));
            }
        }
        Err(e) => state.folder_paths.insert(key, Found::Failed(describe(&e))),
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: usize) -> FolderKey {
        FolderKey {
            session_id: "s".into(),
            mailbox_id: "m".into(),
            folder_id: format!("f{i}"),
        }
    }

    #[test]
    fn the_cache_is_bounded_and_keeps_the_most_recent() {
        let mut p = FolderPaths::default();
        for i in 0..CACHE_FOLDERS + 10 {
            p.insert(key(i), Found::Path(vec![format!("F{i}")].into()));
        }
        assert_eq!(p.len(), CACHE_FOLDERS);
        assert!(p.get(&key(0)).is_none() && p.get(&key(9)).is_none());
        assert!(p.get(&key(CACHE_FOLDERS + 9)).is_some());
        // Other sessions' paths are not where a walk in this one stops.
        p.insert(
            FolderKey {
                session_id: "other".into(),
                ..key(1)
            },
            Found::Path(vec!["X".into()].into()),
        );
        let known = p.known_in("s", "m");
        assert_eq!(known.len(), CACHE_FOLDERS - 1);
        assert!(!known.values().any(|n| n == &["X".to_string()]));
    }

    #[test]
    fn failures_say_what_went_wrong_in_a_few_words() {
        let nf = ApiError::Http {
            status: 404,
            message: "Folder 'x' was not found.".into(),
            error_code: None,
        };
        assert_eq!(describe(&nf), "the server has no such folder (404)");
        assert_eq!(
            describe(&crate::api::folder_path::loop_error()),
            "the folder's parents go round in a circle"
        );
        assert!(describe(&crate::api::folder_path::too_deep_error()).contains("300 levels"));
        let hostile = ApiError::Network("\u{1b}[31mred".into());
        assert!(!describe(&hostile).contains('\u{1b}'));
    }
}
