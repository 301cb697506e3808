//! The folder tree of a mailbox: root folders first, children loaded lazily per parent.

use super::items::ListKey;
use super::{Ctx, Heard, Help, Pane, PaneReply, split_answer};
use crate::api::ApiError;
use crate::api::models::{Folder, FolderType, Mailbox};
use crate::app::list::{Filter, Viewport, step};
use crate::app::request::{PaneAsk, Response};
use crate::app::{Action, Call, Effect, Level, RequestId, Requests, To};

pub const HELP: Help = &[
    (Action::Open, "open", "open the folder's items (and expand it)"),
    (Action::Mark, "expand", "expand / collapse the folder"),
    (Action::Back, "back", "back to the mailboxes (clears a filter first)"),
    (Action::Filter, "filter", "filter the loaded folders"),
    (Action::Restore, "restore", "restore the whole folder"),
    (Action::ExportPst, "export", "export the whole folder to PST"),
    (Action::Results, "results", "results of restores and exports"),
    (Action::Events, "events", "events of the restore session"),
    (Action::Search, "search", "search on the server: folder, mailbox or all"),
];

/// Children of a folder (or the roots of the mailbox).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Children {
    /// Not asked yet: the folder may or may not have any.
    Unknown,
    Loading(RequestId),
    /// Indices into `FoldersPane::nodes`.
    Loaded(Vec<usize>),
    Failed(String),
}

#[derive(Clone, Debug)]
pub struct FolderNode {
    pub folder: Folder,
    pub depth: u16,
    pub expanded: bool,
    pub children: Children,
}

impl FolderNode {
    /// The folder's name (its id when the server sent none; a placeholder when both are empty).
    pub fn name(&self) -> &str {
        match self.folder.name.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => self.folder.name.as_deref().unwrap_or_default(),
            _ if !self.folder.id.trim().is_empty() && self.folder.name.is_none() => &self.folder.id,
            _ => "(no name)",
        }
    }
}

/// What kind of items a folder holds, from its `type` (mail when the server says `None` or nothing).
pub fn folder_kind(f: &Folder) -> &'static str {
    match &f.folder_type {
        Some(FolderType::Appointment) => "calendar",
        Some(FolderType::Contact) => "contacts",
        Some(FolderType::Task) => "tasks",
        Some(FolderType::Journal) => "journal",
        Some(FolderType::StickyNote) => "notes",
        Some(FolderType::None) | None => "mail",
        Some(FolderType::Other(_)) => "other",
    }
}

#[derive(Clone, Debug)]
pub struct FoldersPane {
    pub session_id: String,
    pub mailbox: Mailbox,
    pub nodes: Vec<FolderNode>,
    pub roots: Children,
    /// Index into `rows()`.
    pub cursor: usize,
    pub view: Viewport,
    pub filter: Filter,
    rows: Vec<usize>,
}

impl FoldersPane {
    /// True while the children request `generation` (roots or a folder's) is awaited.
    pub fn awaits(&self, generation: RequestId) -> bool {
        self.roots == Children::Loading(generation)
            || self.nodes.iter().any(|n| n.children == Children::Loading(generation))
    }

    /// A pane for `mailbox` and the request of its root folders.
    pub fn new(session_id: String, mailbox: Mailbox, requests: &mut Requests) -> (FoldersPane, Effect) {
        let mut p = FoldersPane {
            session_id,
            mailbox,
            nodes: Vec::new(),
            roots: Children::Unknown,
            cursor: 0,
            view: Viewport::default(),
            filter: Filter::default(),
            rows: Vec::new(),
        };
        let e = p.reload(requests);
        (p, e)
    }

    /// Forgets the tree and asks for the roots again.
    pub fn reload(&mut self, requests: &mut Requests) -> Effect {
        let r = requests.ask(
            To::Pane(PaneAsk::Folders { parent: None }),
            Call::Folders {
                session_id: self.session_id.clone(),
                mailbox_id: self.mailbox.id.clone(),
                parent: None,
            },
        );
        self.nodes.clear();
        self.rows.clear();
        self.cursor = 0;
        self.view.reset();
        self.roots = Children::Loading(r.id);
        Effect::Request(r)
    }

    /// Visible rows: node indices in display order.
    pub fn rows(&self) -> &[usize] {
        &self.rows
    }

    pub fn selected(&self) -> Option<&FolderNode> {
        self.rows.get(self.cursor).and_then(|&i| self.nodes.get(i))
    }

    /// True while the roots or any children are loading.
    pub fn is_loading(&self) -> bool {
        matches!(self.roots, Children::Loading(_))
            || self.nodes.iter().any(|n| matches!(n.children, Children::Loading(_)))
    }

    /// Expands the selected folder (loading its children the first time). Returns the request, if any.
    pub fn expand_selected(&mut self, requests: &mut Requests) -> Option<Effect> {
        let &idx = self.rows.get(self.cursor)?;
        self.expand(idx, requests)
    }

    fn expand(&mut self, idx: usize, requests: &mut Requests) -> Option<Effect> {
        let node = self.nodes.get_mut(idx)?;
        node.expanded = true;
        let effect = match node.children {
            Children::Unknown | Children::Failed(_) => {
                let parent = Some(node.folder.id.clone());
                let r = requests.ask(
                    To::Pane(PaneAsk::Folders { parent: parent.clone() }),
                    Call::Folders {
                        session_id: self.session_id.clone(),
                        mailbox_id: self.mailbox.id.clone(),
                        parent,
                    },
                );
                node.children = Children::Loading(r.id);
                Some(Effect::Request(r))
            }
            _ => None,
        };
        self.rebuild();
        effect
    }

    /// Expands or collapses the selected folder.
    pub fn toggle_selected(&mut self, requests: &mut Requests) -> Option<Effect> {
        let &idx = self.rows.get(self.cursor)?;
        if self.nodes[idx].expanded {
            self.nodes[idx].expanded = false;
            self.rebuild();
            None
        } else {
            self.expand(idx, requests)
        }
    }

    /// Takes the roots (`parent == None`) or the children of a folder (the request map dropped stale
    /// answers already); false when no folder of that id waits for its children.
    pub fn on_loaded(&mut self, parent: Option<&str>, result: Result<Vec<Folder>, String>) -> bool {
        let (depth, slot) = match parent {
            None => {
                if !matches!(self.roots, Children::Loading(_)) {
                    return false;
                }
                (0, None)
            }
            Some(pid) => {
                let Some(i) = self
                    .nodes
                    .iter()
                    .position(|n| n.folder.id == pid && matches!(n.children, Children::Loading(_)))
                else {
                    return false;
                };
                (self.nodes[i].depth + 1, Some(i))
            }
        };
        let children = match result {
            Ok(folders) => {
                let start = self.nodes.len();
                self.nodes.extend(folders.into_iter().map(|folder| FolderNode {
                    folder,
                    depth,
                    expanded: false,
                    children: Children::Unknown,
                }));
                Children::Loaded((start..self.nodes.len()).collect())
            }
            Err(e) => Children::Failed(e),
        };
        match slot {
            None => self.roots = children,
            Some(i) => self.nodes[i].children = children,
        }
        self.rebuild();
        true
    }

    /// Recomputes the visible rows (expanded folders; with a filter, matches and their ancestors),
    /// keeping the cursor on the same folder.
    pub fn rebuild(&mut self) {
        let current = self.rows.get(self.cursor).copied();
        let mut out = Vec::new();
        if let Children::Loaded(roots) = &self.roots {
            self.visit(roots, &mut out);
        }
        self.rows = out;
        let filtering = self.filter.is_active();
        let shown = |rows: &[usize], i: usize| rows.iter().position(|&r| r == i);
        let hit = |i: usize| !filtering || self.filter.matches(self.nodes[i].name());
        if let Some(cur) = current {
            // Stay on the same folder when it is shown and (with a filter) matches; else the first match;
            // else (a filter was cleared under a collapsed folder) its nearest shown ancestor.
            let mut pos = shown(&self.rows, cur).filter(|_| hit(cur));
            if pos.is_none() && filtering {
                pos = self.rows.iter().position(|&r| hit(r));
            }
            let mut up = Some(cur);
            while pos.is_none() {
                let Some(i) = up else { break };
                pos = shown(&self.rows, i);
                up = self.parent_of(i);
            }
            self.cursor = pos.unwrap_or(0);
        }
        self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
    }

    /// The loaded parent of node `idx`.
    fn parent_of(&self, idx: usize) -> Option<usize> {
        self.nodes
            .iter()
            .position(|n| matches!(&n.children, Children::Loaded(ch) if ch.contains(&idx)))
    }

    /// Appends the visible nodes among `ids` (and below) to `out`; true when any was.
    fn visit(&self, ids: &[usize], out: &mut Vec<usize>) -> bool {
        let filtering = self.filter.is_active();
        let mut any = false;
        for &id in ids {
            let node = &self.nodes[id];
            let mut sub = Vec::new();
            let child_hit = match &node.children {
                Children::Loaded(ch) if filtering || node.expanded => self.visit(ch, &mut sub),
                _ => false,
            };
            if !filtering || child_hit || self.filter.matches(node.name()) {
                out.push(id);
                out.extend(sub);
                any = true;
            }
        }
        any
    }

    /// The path of the selected folder from its root (`Inbox / Projects`).
    pub fn path_of(&self, idx: usize) -> Vec<&str> {
        // Parents are not stored: find the chain by searching the loaded children lists.
        let mut chain = vec![idx];
        let mut cur = idx;
        while let Some(p) = self.parent_of(cur) {
            chain.push(p);
            cur = p;
        }
        chain.iter().rev().map(|&i| self.nodes[i].name()).collect()
    }

    /// Every loaded folder's id and path from its root, in one pass over the tree (what the folder
    /// paths of search results take from an open tree instead of asking the server).
    pub fn all_paths(&self) -> Vec<(&str, Vec<&str>)> {
        let mut out = Vec::new();
        let mut stack: Vec<(usize, Vec<&str>)> = match &self.roots {
            Children::Loaded(r) => r.iter().rev().map(|&i| (i, Vec::new())).collect(),
            _ => Vec::new(),
        };
        // Each node is in one children list; a malformed tree that repeats one stops at the node count.
        let mut budget = self.nodes.len();
        while let Some((i, mut path)) = stack.pop() {
            let Some(n) = self.nodes.get(i).filter(|_| budget > 0) else {
                continue;
            };
            budget -= 1;
            path.push(n.name());
            if let Children::Loaded(ch) = &n.children {
                stack.extend(ch.iter().rev().map(|&c| (c, path.clone())));
            }
            out.push((n.folder.id.as_str(), path));
        }
        out
    }

    /// Moves the cursor to the row of the node `idx`, if shown.
    pub fn select_node(&mut self, idx: usize) {
        if let Some(pos) = self.rows.iter().position(|&r| r == idx) {
            self.cursor = pos;
        }
    }

    /// `Open`: expands the folder under the cursor and asks for its items.
    fn open_selected(&mut self, ctx: &mut Ctx) -> PaneReply {
        let Some(&idx) = self.rows().get(self.cursor) else {
            return PaneReply::Done;
        };
        ctx.fx.extend(self.expand_selected(ctx.requests));
        let folder = self.nodes[idx].folder.clone();
        let path = self.path_of(idx).join(" / ");
        let key = ListKey {
            session_id: self.session_id.clone(),
            mailbox_id: self.mailbox.id.clone(),
            folder_id: folder.id.clone(),
        };
        PaneReply::OpenFolder { key, folder, path }
    }
}

impl Pane for FoldersPane {
    fn waits(&self, _: &PaneAsk, id: RequestId) -> bool {
        self.awaits(id)
    }

    fn on_answer(&mut self, ask: PaneAsk, result: Result<Response, ApiError>) -> Heard {
        let PaneAsk::Folders { parent } = ask else {
            return Heard::Nothing;
        };
        let (folders, err) = split_answer(result);
        if !self.on_loaded(parent.as_deref(), folders) {
            return Heard::Nothing;
        }
        Heard::Noted("folders", err)
    }

    fn on_action(&mut self, a: Action, ctx: &mut Ctx) -> PaneReply {
        match a {
            _ if a.is_move() => {
                let n = self.rows().len() as u64;
                self.cursor = step(self.cursor as u64, n, a, ctx.page) as usize;
            }
            Action::Open => return self.open_selected(ctx),
            Action::Mark => ctx.fx.extend(self.toggle_selected(ctx.requests)),
            Action::Back => return PaneReply::Focus(Level::Mailboxes),
            _ => {}
        }
        PaneReply::Done
    }

    fn refresh(&mut self, ctx: &mut Ctx) -> PaneReply {
        ctx.fx.push(self.reload(ctx.requests));
        PaneReply::Done
    }

    fn help(&self) -> Help {
        HELP
    }

    fn filter(&self) -> Option<&Filter> {
        Some(&self.filter)
    }

    fn filter_mut(&mut self) -> Option<&mut Filter> {
        Some(&mut self.filter)
    }

    fn refilter(&mut self) {
        self.rebuild();
    }

    fn busy(&self) -> bool {
        self.is_loading()
    }

    fn selected_id(&self) -> Option<String> {
        self.selected().map(|n| n.folder.id.clone())
    }
}
