//! The layering of src/, checked from the source: every `crate::…` path (in `use` lines, `use crate::{…}`
//! groups and paths written inline) and every `super::…` path that climbs out of a layer is resolved to
//! the top-level module it names, and a layer that names one it must not fails the test:
//!
//! - `api` (the VB365 client) never imports `app`, `ui`, `sim` (nor the runtime or the commands);
//! - `sim` (the emulator) never imports `app`, `ui` (nor the runtime or the commands);
//! - `app` (state and pure update) never imports `ui` (nor the runtime);
//! - `ui` (drawing) never imports the runtime (the terminal, the loop, the effect runner), `sim`, the
//!   commands;
//! - `text` (sanitising, formats, OSC 52; below both `app` and `ui`) imports neither;
//! - `msg` (the MSG file format) imports only `text`.
//!
//! Comments are left out (a doc link is not an import). Test modules inside a layer count: they are
//! compiled with it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// (layer, the top-level modules it must not import).
const RULES: &[(&str, &[&str])] = &[
    ("api", &["app", "ui", "sim", "runtime", "commands", "cli"]),
    ("sim", &["app", "ui", "runtime", "commands", "cli"]),
    ("app", &["ui", "runtime", "commands", "cli"]),
    ("ui", &["runtime", "sim", "commands", "cli"]),
    ("text", &["app", "ui", "runtime", "commands", "cli", "sim"]),
    ("msg", &["api", "app", "ui", "runtime", "commands", "cli", "sim"]),
    ("batch", &["app", "ui", "runtime", "sim", "cli"]),
];

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rs_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file under src/ (`src/app/panes/details.rs` → `["app", "panes", "details"]`,
/// `src/app/mod.rs` → `["app"]`).
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" && stem != "main" {
        parts.push(stem.to_string());
    }
    parts
}

/// The source without comments: whole-line comments (doc comments among them) and trailing `// …` after
/// code (when the `//` is not inside a string: an even number of `"` before it). src/ has no block
/// comments.
fn strip_comments(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    for line in src.lines() {
        if line.trim_start().starts_with("//") {
            out.push('\n');
            continue;
        }
        let mut cut = line.len();
        let mut from = 0;
        while let Some(i) = line[from..].find("//") {
            let at = from + i;
            if line[..at].matches('"').count() % 2 == 0 {
                cut = at;
                break;
            }
            from = at + 2;
        }
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The identifier at the start of `s` (empty when there is none).
fn ident(s: &str) -> &str {
    let end = s.find(|c: char| !is_ident(c)).unwrap_or(s.len());
    &s[..end]
}

/// The top-level names of a `{a, b::c, d::{e, f}}` group starting right after its `{`.
fn group_heads(s: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0usize;
    let mut at_item_start = true;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => at_item_start = true,
            c if c.is_whitespace() => {}
            _ if at_item_start && depth == 0 => {
                heads.push(ident(&s[i..]).to_string());
                at_item_start = false;
            }
            _ => {}
        }
    }
    heads.retain(|h| !h.is_empty() && h != "self");
    heads
}

/// Every top-level module of the crate that the source of the module at `module` names.
fn imported_tops(module: &[String], src: &str) -> BTreeSet<String> {
    let code = strip_comments(src);
    let mut tops = BTreeSet::new();
    // `crate::x` and `crate::{x, y}`, not preceded by an identifier character (`$crate::` of macros is
    // the crate too).
    let mut from = 0;
    while let Some(i) = code[from..].find("crate::") {
        let at = from + i;
        from = at + "crate::".len();
        if code[..at].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let after = &code[from..];
        if let Some(group) = after.strip_prefix('{') {
            tops.extend(group_heads(group));
        } else {
            let name = ident(after);
            if !name.is_empty() {
                tops.insert(name.to_string());
            }
        }
    }
    // `super::super::x`: climbs from this module; only a climb to the crate root can leave the layer.
    let mut from = 0;
    while let Some(i) = code[from..].find("super::") {
        let at = from + i;
        from = at + "super::".len();
        if code[..at].chars().next_back().is_some_and(|c| is_ident(c) || c == ':') {
            continue;
        }
        let mut rest = &code[at..];
        let mut ups = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            ups += 1;
            rest = r;
        }
        if ups >= module.len() {
            let heads = match rest.strip_prefix('{') {
                Some(group) => group_heads(group),
                None => vec![ident(rest).to_string()],
            };
            tops.extend(heads.into_iter().filter(|h| !h.is_empty()));
        }
    }
    tops
}

/// Every (file, forbidden module) under src/.
fn violations(src_dir: &Path) -> (Vec<String>, usize) {
    let mut files = Vec::new();
    rs_files(src_dir, &mut files);
    files.sort();
    let mut found = Vec::new();
    let mut checked = 0;
    for file in &files {
        let rel = file.strip_prefix(src_dir).expect("under src/");
        let module = module_path(rel);
        let Some((layer, forbidden)) = module.first().and_then(|top| RULES.iter().find(|(l, _)| l == top)) else {
            continue;
        };
        checked += 1;
        let src = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for top in imported_tops(&module, &src) {
            if forbidden.contains(&top.as_str()) {
                found.push(format!("src/{}: `{layer}` imports `{top}`", rel.display()));
            }
        }
    }
    (found, checked)
}

#[test]
fn no_layer_imports_one_it_must_not() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (found, checked) = violations(&src);
    // Every layer has files (a moved directory would otherwise pass by checking nothing).
    for (layer, _) in RULES {
        assert!(src.join(layer).is_dir(), "src/{layer}/ exists");
    }
    assert!(checked > 40, "only {checked} files checked");
    assert!(found.is_empty(), "layering broken:\n{}", found.join("\n"));
}

/// The scanner itself finds each way of naming a module (so the test above cannot pass by seeing nothing).
#[test]
fn the_scanner_sees_every_form_of_import() {
    let app_panes_x = ["app".to_string(), "panes".to_string(), "x".to_string()];
    let seen = |src: &str| imported_tops(&app_panes_x, src);
    assert!(seen("use crate::ui::View;\n").contains("ui"));
    assert!(seen("use crate::{api::Client, ui::{text, View}};\n").contains("ui"));
    assert!(seen("use crate::{\n    api,\n    ui,\n};\n").contains("ui"));
    assert!(seen("let v = crate::ui::pane_areas(state);\n").contains("ui"));
    assert!(seen("let v = $crate::ui::draw();\n").contains("ui"));
    assert!(seen("use super::super::super::ui::View;\n").contains("ui"));
    assert!(seen("use super::super::super::{api, ui};\n").contains("ui"));
    // Inside the layer, and in comments: not an import of another layer.
    let inside = seen("use super::super::State;\nuse super::Level;\n");
    assert!(inside.is_empty(), "{inside:?}");
    let commented =
        seen("/// see [`crate::ui::draw`]\n    // crate::ui\nlet u = \"https://x\"; // crate::ui\nfn f() {}\n");
    assert!(commented.is_empty(), "{commented:?}");
    // The real tree: `app` does import `api` and `text` (the scanner reads the files it is meant to).
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut app_tops = BTreeSet::new();
    let mut files = Vec::new();
    rs_files(&src.join("app"), &mut files);
    for f in files {
        let rel = f.strip_prefix(&src).expect("under src/").to_path_buf();
        let text = std::fs::read_to_string(&f).expect("readable");
        app_tops.extend(imported_tops(&module_path(&rel), &text));
    }
    assert!(app_tops.contains("api") && app_tops.contains("text"), "{app_tops:?}");
}

/// The variants of `app::Overlay`, read from its definition in src/app/dialogs.rs.
fn overlay_variants(src: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(src.join("app/dialogs.rs")).expect("src/app/dialogs.rs");
    let text = strip_comments(&text);
    let body = text
        .split_once("pub enum Overlay {")
        .and_then(|(_, rest)| rest.split_once("\n}"))
        .map(|(body, _)| body)
        .expect("pub enum Overlay { … } in src/app/dialogs.rs");
    body.lines()
        .map(|l| ident(l.trim()).to_string())
        .filter(|v| v.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
        .collect()
}

/// Issue 15: the dialogs take their own keys and answers. One module names every dialog
/// (`app::dialogs`, which dispatches to them) and one draws whichever is open (`ui::dialogs::draw`); no
/// other file names more than half of them (the switchboard `app/mod.rs` and `ui/mod.rs` used to match
/// over all of them).
#[test]
fn only_the_dialog_modules_name_every_dialog() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let variants = overlay_variants(&src);
    assert!(variants.len() >= 8, "Overlay's variants: {variants:?}");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    let mut wide = BTreeSet::new();
    for f in files {
        let rel = f.strip_prefix(&src).expect("under src/").display().to_string();
        let text = strip_comments(&std::fs::read_to_string(&f).expect("readable"));
        let named = variants
            .iter()
            .filter(|v| text.contains(&format!("Overlay::{v}(")) || text.contains(&format!("Overlay::{v} ")))
            .count();
        if named == variants.len() {
            wide.insert(rel.clone());
        }
        if named * 2 > variants.len() {
            assert!(
                rel == "app/dialogs.rs" || rel == "ui/dialogs.rs",
                "src/{rel} names {named} of the {} dialogs: give the key or the drawing to the dialog",
                variants.len()
            );
        }
    }
    let expected: BTreeSet<String> = ["app/dialogs.rs", "ui/dialogs.rs"].map(String::from).into();
    assert_eq!(wide, expected, "the dispatch and the drawing name every dialog");
}
