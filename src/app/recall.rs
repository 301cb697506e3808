//! Where the cursor was (like ranger and yazi): re-entering a folder puts the cursor back on the item it
//! was on (by id; when that item is gone, on the same row), and going back to a mailbox shows its folder
//! tree as it was left (expanded folders, the cursor on the same folder). For this run only.
//!
//! A restore session shows a fixed point in time, so a tree kept from earlier is still what the server
//! has; `Refresh` reloads it as usual.

use super::panes::folders::{Children, FoldersPane};
use super::panes::items::{ItemsPane, ListKey};
use std::collections::{HashMap, VecDeque};

/// Folder trees kept (the most recently left; older ones are loaded again).
pub const KEEP_TREES: usize = 16;
/// Items lists whose cursor is kept (the oldest forgotten first).
pub const KEEP_CURSORS: usize = 4096;

/// The cursors and trees the operator left.
#[derive(Clone, Debug, Default)]
pub struct Recall {
    /// Per items list: the item the cursor was on and its row.
    items: HashMap<ListKey, (String, u64)>,
    /// The order the lists were left in (to forget the oldest).
    items_order: VecDeque<ListKey>,
    /// Folder trees by (session, mailbox), the most recent last.
    trees: VecDeque<FoldersPane>,
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
