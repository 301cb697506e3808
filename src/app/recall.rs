//! Where the cursor was (like ranger and yazi): re-entering a folder puts the cursor back on the item it
//! was on (by id; when that item is gone, on the same row), and going back to a mailbox shows its folder
//! tree as it was left (expanded folders, the cursor on the same folder). The same for a session's
//! mailboxes (the mailbox the cursor was on) and for search results (the same query in the same place:
//! the result it was on). For this run only.
//!
//! A restore session shows a fixed point in time, so a tree kept from earlier is still what the server
//! has; `Refresh` reloads it as usual.

use super::panes::folders::{Children, FoldersPane};
use super::panes::items::{ItemsPane, ListKey};
use super::panes::mailboxes::MailboxesPane;
use super::panes::search_prompt::SearchTarget;
use std::collections::{HashMap, VecDeque};

/// Folder trees kept (the most recently left; older ones are loaded again).
pub const KEEP_TREES: usize = 16;
/// Items lists whose cursor is kept (the oldest forgotten first).
pub const KEEP_CURSORS: usize = 4096;
/// Sessions whose mailboxes' cursor is kept, and searches whose results' cursor is (each).
pub const KEEP_LISTS: usize = 256;

/// A search's results: where it ran and what it looked for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SearchKey {
    pub session_id: String,
    pub target: SearchTarget,
    pub query: String,
}

impl SearchKey {
    /// The search whose results `items` shows (None: a folder's items).
    pub fn of(items: &ItemsPane) -> Option<SearchKey> {
        let s = items.search.as_deref()?;
        Some(SearchKey {
            session_id: items.key.session_id.clone(),
            target: s.spec.target(),
            query: s.spec.query.clone(),
        })
    }
}

/// A map of at most [`KEEP_LISTS`] entries that forgets the oldest noted first.
#[derive(Clone, Debug)]
struct Kept<K, V> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
}

impl<K, V> Default for Kept<K, V> {
    fn default() -> Self {
        Kept {
            map: HashMap::new(),
            order: VecDeque::new(),
        }
    }
}

impl<K: Clone + Eq + std::hash::Hash, V> Kept<K, V> {
    fn note(&mut self, key: K, value: V) {
        if self.map.insert(key.clone(), value).is_some() {
            self.order.retain(|k| *k != key);
        }
        self.order.push_back(key);
        while self.order.len() > KEEP_LISTS {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
    }

    fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key)
    }
}

/// The cursors and trees the operator left.
#[derive(Clone, Debug, Default)]
pub struct Recall {
    /// Per items list: the item the cursor was on and its row.
    items: HashMap<ListKey, (String, u64)>,
    /// The order the lists were left in (to forget the oldest).
    items_order: VecDeque<ListKey>,
    /// Folder trees by (session, mailbox), the most recent last.
    trees: VecDeque<FoldersPane>,
    /// Per restore session: the mailbox the cursor was on and its row.
    mailboxes: Kept<String, (String, usize)>,
    /// Per search: the result the cursor was on and its row.
    searches: Kept<SearchKey, (String, u64)>,
}

impl Recall {
    /// Notes where the cursor of a folder's items list is (search results are not a folder: not kept).
    pub fn leave_items(&mut self, items: &ItemsPane) {
        if items.search.is_some() {
            return;
        }
        let Some(it) = items.selected() else { return };
        let key = items.key.clone();
        if self.items.insert(key.clone(), (it.id.clone(), items.cursor)).is_some() {
            self.items_order.retain(|k| *k != key);
        }
        self.items_order.push_back(key);
        while self.items_order.len() > KEEP_CURSORS {
            if let Some(old) = self.items_order.pop_front() {
                self.items.remove(&old);
            }
        }
    }

    /// Notes where the cursor of search results is (by the search: its place and query).
    pub fn leave_search(&mut self, items: &ItemsPane) {
        let (Some(key), Some(it)) = (SearchKey::of(items), items.selected()) else {
            return;
        };
        self.searches.note(key, (it.id.clone(), items.cursor));
    }

    /// Puts the cursor of new results of a search run before back on the result it was on.
    pub fn enter_search(&self, items: &mut ItemsPane) {
        if let Some((id, row)) = SearchKey::of(items).and_then(|k| self.searches.get(&k)) {
            items.return_to(id.clone(), *row);
        }
    }

    /// Notes the mailbox the cursor of a session's mailboxes is on.
    pub fn leave_mailboxes(&mut self, p: &MailboxesPane) {
        if let Some(m) = p.selected() {
            self.mailboxes.note(p.session.id.clone(), (m.id.clone(), p.list.cursor));
        }
    }

    /// Puts the cursor of a session's mailboxes, opened again, back on the mailbox it was on.
    pub fn enter_mailboxes(&self, p: &mut MailboxesPane) {
        if let Some((id, row)) = self.mailboxes.get(&p.session.id) {
            p.return_to(id.clone(), *row);
        }
    }

    /// Puts a newly opened items list's cursor back where it was left, if it was.
    pub fn enter_items(&self, items: &mut ItemsPane) {
        if let Some((id, row)) = self.items.get(&items.key) {
            items.return_to(id.clone(), *row);
        }
    }

    /// Keeps a folder tree the operator leaves (one that loaded its roots; requests in flight are
    /// forgotten: those folders are shown collapsed and load again when opened).
    pub fn leave_tree(&mut self, mut tree: FoldersPane) {
        if !matches!(tree.roots, Children::Loaded(_)) {
            return;
        }
        for n in &mut tree.nodes {
            if matches!(n.children, Children::Loading(_)) {
                n.children = Children::Unknown;
                n.expanded = false;
            }
        }
        // The filter was for that visit.
        tree.filter.clear();
        tree.rebuild();
        self.trees
            .retain(|t| !(t.session_id == tree.session_id && t.mailbox.id == tree.mailbox.id));
        self.trees.push_back(tree);
        while self.trees.len() > KEEP_TREES {
            self.trees.pop_front();
        }
    }

    /// The tree of a mailbox as it was left, if kept.
    pub fn enter_tree(&mut self, session_id: &str, mailbox_id: &str) -> Option<FoldersPane> {
        let i = self
            .trees
            .iter()
            .position(|t| t.session_id == session_id && t.mailbox.id == mailbox_id)?;
        self.trees.remove(i)
    }
}
