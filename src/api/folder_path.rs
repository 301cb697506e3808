//! Where an item is: its folder's path from the mailbox's root (`Inbox / Projects / 2024`).
//!
//! The spec's item and folder schemas carry no folder or parent field: both have `_links`, a dictionary
//! of HAL links (`RESTLinkHAL`) whose keys the spec does not list. Veeam's documentation of the item
//! resource (seed `mailbox-item-resource.txt`) shows an item's `_links.parent` pointing at its folder
//! (`…/mailboxes/{mailboxId}/folders/{folderId}`), and that of the folders collection shows a
//! folder's `_links.parent` pointing at its parent folder the same way. So the path is found by walking
//! up: `GET …/folders/{folderId}` for the item's folder, then for its parent, until a folder without one.
//!
//! Assumptions where the spec is silent:
//! - A folder whose `_links.parent` is missing, or does not point at a folder (`…/folders/{id}`; a link
//!   to the mailbox, say), is a root folder.
//! - The walk stops after [`MAX_DEPTH`] folders: Exchange Online limits a mailbox's folder hierarchy to
//!   300 levels ("Folder hierarchy depth", Exchange Online limits), so a longer chain is a server fault
//!   (or a loop whose ids change), never a real path. A folder met twice is a loop. Both are errors with
//!   a short text; the walk never runs on.

use super::ApiError;
use super::models::{Folder, Item, Link};
use std::collections::{HashMap, HashSet};
use std::future::Future;

/// The most folders a walk fetches (see the module's assumptions).
pub const MAX_DEPTH: usize = 300;

/// What a folder without a name is called in a path.
pub const NO_NAME: &str = "(no name)";

/// The folder a `_links.parent` href points at: the percent-decoded segment after `/folders/`.
fn folder_in(link: Option<&Link>) -> Option<String> {
    let href = &link?.href;
    let path = href.split(['?', '#']).next().unwrap_or_default();
    let (_, rest) = path.rsplit_once("/folders/")?;
    let seg = rest.split('/').next().filter(|s| !s.trim().is_empty())?;
    Some(
        percent_encoding::percent_decode_str(seg)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// The id of the folder an item is in, from its `_links.parent` (None: the server did not say).
pub fn item_folder_id(it: &Item) -> Option<String> {
    folder_in(it.links.get("parent"))
}

/// The id of a folder's parent folder, from its `_links.parent` (None: a root folder).
pub fn parent_folder_id(f: &Folder) -> Option<String> {
    folder_in(f.links.get("parent"))
}

/// A folder's name in a path, as the server sent it (not sanitised: the caller shows it through
/// `text::sanitize`); [`NO_NAME`] for a missing or blank one.
pub fn folder_name(f: &Folder) -> String {
    match f.name.as_deref() {
        Some(n) if !n.trim().is_empty() => n.to_string(),
        _ => NO_NAME.to_string(),
    }
}

/// A folder whose path the walk found: its id and the names from the root down to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderPath {
    pub folder_id: String,
    pub names: Vec<String>,
}

/// The error of a walk that met a folder twice.
pub fn loop_error() -> ApiError {
    ApiError::Decode("the folder's parents go round in a circle".into())
}

/// The error of a walk that found no root within [`MAX_DEPTH`] folders.
pub fn too_deep_error() -> ApiError {
    ApiError::Limit(format!("the folder is more than {MAX_DEPTH} levels deep"))
}

/// Walks up from `folder_id`, fetching each folder with `fetch`, until a root folder or a folder whose
/// path `known` has (by id: the paths found earlier, so each folder is asked for once). Returns the path
/// of every folder fetched, the first one's first. Fails on the first failed fetch (a 404: the server
/// has no such folder), on a loop, or past [`MAX_DEPTH`] folders.
pub async fn walk<F, Fut>(
    folder_id: &str,
    known: &HashMap<String, Vec<String>>,
    mut fetch: F,
) -> Result<Vec<FolderPath>, ApiError>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<Folder, ApiError>>,
{
    // The folders met, from `folder_id` up: (id, name).
    let mut chain: Vec<(String, String)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut id = folder_id.to_string();
    let base: Vec<String> = loop {
        if chain.len() >= MAX_DEPTH {
            return Err(too_deep_error());
        }
        if !seen.insert(id.clone()) {
            return Err(loop_error());
        }
        let f = fetch(id.clone()).await?;
        let parent = parent_folder_id(&f);
        chain.push((id, folder_name(&f)));
        match parent {
            None => break Vec::new(),
            Some(p) => match known.get(&p) {
                Some(names) => break names.clone(),
                None => id = p,
            },
        }
    };
    let mut names = base;
    let mut out: Vec<FolderPath> = chain
        .into_iter()
        .rev()
        .map(|(folder_id, name)| {
            names.push(name);
            FolderPath {
                folder_id,
                names: names.clone(),
            }
        })
        .collect();
    out.reverse();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn folder(id: &str, name: Option<&str>, parent: Option<&str>) -> Folder {
        let mut links = serde_json::Map::new();
        links.insert(
            "self".into(),
            serde_json::json!({"href": format!("https://h:4443/v8/RestoreSessions/s/organization/mailboxes/m/folders/{id}")}),
        );
        if let Some(p) = parent {
            links.insert(
                "parent".into(),
                serde_json::json!({"href": format!("https://h:4443/v8/RestoreSessions/s/organization/mailboxes/m/folders/{p}")}),
            );
        }
        serde_json::from_value(serde_json::json!({"id": id, "name": name, "_links": links})).expect("folder")
    }

    /// A server of `folders` by id; every fetch is counted.
    struct Server {
        folders: HashMap<String, Folder>,
        asked: RefCell<Vec<String>>,
    }

    impl Server {
        fn new(folders: Vec<Folder>) -> Server {
            Server {
                folders: folders.into_iter().map(|f| (f.id.clone(), f)).collect(),
                asked: RefCell::new(Vec::new()),
            }
        }

        async fn walk(&self, id: &str, known: &HashMap<String, Vec<String>>) -> Result<Vec<FolderPath>, ApiError> {
            walk(id, known, |id| {
                self.asked.borrow_mut().push(id.clone());
                let f = self.folders.get(&id).cloned().ok_or(ApiError::Http {
                    status: 404,
                    message: "no such folder".into(),
                    error_code: None,
                });
                async move { f }
            })
            .await
        }
    }

    fn block<T>(f: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    fn names(p: &FolderPath) -> String {
        p.names.join("/")
    }

    #[test]
    fn the_walk_goes_up_to_the_root_and_stops_at_what_is_known() {
        let s = Server::new(vec![
            folder("inbox", Some("Inbox"), None),
            folder("proj", Some("Projects"), Some("inbox")),
            folder("y24", Some("2024"), Some("proj")),
            folder("y25", Some("2025"), Some("proj")),
            folder("blank", Some("  "), Some("inbox")),
        ]);
        let found = block(s.walk("y24", &HashMap::new())).expect("walk");
        let paths: Vec<String> = found.iter().map(names).collect();
        assert_eq!(paths, ["Inbox/Projects/2024", "Inbox/Projects", "Inbox"]);
        assert_eq!(found[0].folder_id, "y24");
        assert_eq!(*s.asked.borrow(), ["y24", "proj", "inbox"]);
        // What was found is known: the sibling costs one request.
        let known: HashMap<String, Vec<String>> = found.into_iter().map(|p| (p.folder_id, p.names)).collect();
        s.asked.borrow_mut().clear();
        let found = block(s.walk("y25", &known)).expect("walk");
        assert_eq!(found.iter().map(names).collect::<Vec<_>>(), ["Inbox/Projects/2025"]);
        assert_eq!(*s.asked.borrow(), ["y25"]);
        let found = block(s.walk("blank", &known)).expect("walk");
        assert_eq!(names(&found[0]), format!("Inbox/{NO_NAME}"));
    }

    #[test]
    fn a_missing_folder_a_loop_and_a_bottomless_chain_are_errors_not_endless() {
        // The parent is gone (404).
        let s = Server::new(vec![folder("a", Some("A"), Some("gone"))]);
        let e = block(s.walk("a", &HashMap::new())).expect_err("404");
        assert!(e.is_not_found(), "{e}");
        // a → b → c → a.
        let s = Server::new(vec![
            folder("a", Some("A"), Some("b")),
            folder("b", Some("B"), Some("c")),
            folder("c", Some("C"), Some("a")),
        ]);
        assert_eq!(block(s.walk("a", &HashMap::new())), Err(loop_error()));
        assert_eq!(s.asked.borrow().len(), 3, "each folder once");
        // A folder that is its own parent.
        let s = Server::new(vec![folder("self", Some("S"), Some("self"))]);
        assert_eq!(block(s.walk("self", &HashMap::new())), Err(loop_error()));
        // A chain of new ids that never ends: stopped at MAX_DEPTH folders.
        let deep: Vec<Folder> = (0..MAX_DEPTH + 50)
            .map(|i| folder(&format!("f{i}"), Some("x"), Some(&format!("f{}", i + 1))))
            .collect();
        let s = Server::new(deep);
        assert_eq!(block(s.walk("f0", &HashMap::new())), Err(too_deep_error()));
        assert_eq!(s.asked.borrow().len(), MAX_DEPTH);
        // Exactly MAX_DEPTH levels is a path.
        let mut fs: Vec<Folder> = (0..MAX_DEPTH - 1)
            .map(|i| folder(&format!("f{i}"), Some("x"), Some(&format!("f{}", i + 1))))
            .collect();
        fs.push(folder(&format!("f{}", MAX_DEPTH - 1), Some("root"), None));
        let s = Server::new(fs);
        let found = block(s.walk("f0", &HashMap::new())).expect("300 levels");
        assert_eq!(found[0].names.len(), MAX_DEPTH);
    }

    #[test]
    fn links_name_the_folder_by_its_percent_decoded_id() {
        let it: Item = serde_json::from_value(serde_json::json!({
            "id": "i", "itemClass": "IPM.Note",
            "_links": {"parent": {"href": "https://h/v7/RestoreSessions/s/organization/mailboxes/m/folders/AAA%2Bb%2F%3D%3D?x=1"}}
        }))
        .expect("item");
        assert_eq!(item_folder_id(&it).as_deref(), Some("AAA+b/=="));
        let none: Item = serde_json::from_value(serde_json::json!({"id": "i"})).expect("item");
        assert_eq!(item_folder_id(&none), None);
        // A parent link to the mailbox (not a folder): a root folder.
        let root: Folder = serde_json::from_value(serde_json::json!({
            "id": "r", "_links": {"parent": {"href": "https://h/v7/RestoreSessions/s/organization/mailboxes/m"}}
        }))
        .expect("folder");
        assert_eq!(parent_folder_id(&root), None);
    }
}
