//! The key table in README.md is generated from the keymap, so the documentation never drifts from the
//! keys. Run with `VEX_UPDATE_README=1` to regenerate it.

use vex::app::keymap::{Action, Keymap};

const START: &str = "<!-- keys:start (generated from the keymap by tests/readme_keys.rs) -->";
const END: &str = "<!-- keys:end -->";

fn table() -> String {
    let km = Keymap::default();
    let mut out = String::from("| Action | Keys | What it does |\n|---|---|---|\n");
    for a in Action::ALL {
        let keys = km.keys_for(a);
        if keys.is_empty() {
            continue;
        }
        let keys = keys
            .iter()
            .map(|k| format!("`{}`", k.replace('|', "\\|")))
            .collect::<Vec<_>>()
            .join(" ");
        out.push_str(&format!("| {} | {} | {} |\n", a.name(), keys, a.describe()));
    }
    out
}

#[test]
fn readme_key_table_matches_the_keymap() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let (Some(s), Some(e)) = (readme.find(START), readme.find(END)) else {
        panic!("README.md has no key table markers ({START} ... {END})");
    };
    let current = &readme[s + START.len()..e];
    let wanted = format!("\n{}", table());
    if current != wanted {
        if std::env::var_os("VEX_UPDATE_README").is_some() {
            let updated = format!("{}{}{}{}", &readme[..s], START, wanted, &readme[e..]);
            std::fs::write(path, updated).expect("write README.md");
        } else {
            panic!("README.md's key table is out of date: run VEX_UPDATE_README=1 cargo test --test readme_keys");
        }
    }
}
