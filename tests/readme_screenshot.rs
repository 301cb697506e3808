//! The screenshot in README.md is a capture of the real TUI: `vex demo` in tmux at 120x32, the cursor on a
//! message of Zoë Müller's Inbox (the reading layout: the items beside the message, its body read from
//! the MSG file the emulator sends). Run with
//! `VEX_UPDATE_README=1 cargo test --test readme_screenshot` to capture it again; otherwise the test
//! checks that README.md still shows what the program shows (digits masked, since the demo's port changes,
//! and runs of spaces collapsed, since terminals may differ on the width of an emoji).

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use std::time::{Duration, Instant};
use support::tmux::Tmux;

const WAIT: Duration = Duration::from_secs(20);
const START: &str = "<!-- screenshot:start (a capture of `vex demo` by tests/readme_screenshot.rs) -->";
const END: &str = "<!-- screenshot:end -->";
const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");

/// The screen once it has not changed for half a second.
fn settled(t: &Tmux) -> String {
    let start = Instant::now();
    let mut last = t.screen();
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = t.screen();
        if now == last || start.elapsed() > WAIT {
            return now;
        }
        last = now;
    }
}

/// Drives `vex demo` to the view of the screenshot and captures it.
fn capture() -> Option<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Tmux::demo(
        "screenshot",
        dir.path(),
        "-u NO_COLOR ",
        120,
        32,
        "the README screenshot test",
    )?;
    // Sessions → the newest contoso session → Zoë Müller → Inbox → the cursor on the third message, its
    // body beside the list.
    t.open_demo_inbox(WAIT);
    t.keys(&["j", "j"]);
    t.wait_for("Body", WAIT);
    let screen = settled(&t);
    t.keys(&["q"]);
    Some(screen.trim_end().to_string())
}

/// What must match: digits masked, runs of spaces collapsed, trailing spaces dropped.
fn normalized(screen: &str) -> Vec<String> {
    screen
        .lines()
        .map(|l| {
            let mut out = String::new();
            for c in l.trim_end().chars() {
                let c = if c.is_ascii_digit() { '0' } else { c };
                if (c == '0' && out.ends_with('0')) || (c == ' ' && out.ends_with(' ')) {
                    continue;
                }
                out.push(c);
            }
            out
        })
        .collect()
}

#[test]
fn readme_screenshot_matches_the_tui() {
    let readme = std::fs::read_to_string(README).expect("README.md");
    let (Some(s), Some(e)) = (readme.find(START), readme.find(END)) else {
        panic!("README.md has no screenshot markers ({START} ... {END})");
    };
    let block = &readme[s + START.len()..e];
    let shown = block
        .trim()
        .strip_prefix("```text")
        .and_then(|b| b.strip_suffix("```"))
        .unwrap_or_else(|| panic!("the screenshot is a ```text block:\n{block}"))
        .trim_matches('\n');
    let Some(screen) = capture() else {
        return;
    };
    for needle in [
        "vex │",
        "(demo)",
        "Inbox ·",
        "Message",
        "Attachments",
        "Body",
        "Esc back",
    ] {
        assert!(screen.contains(needle), "{needle:?} on the screen:\n{screen}");
    }
    if std::env::var_os("VEX_UPDATE_README").is_some() {
        let updated = format!("{}{START}\n```text\n{screen}\n```\n{}", &readme[..s], &readme[e..]);
        std::fs::write(README, updated).expect("write README.md");
        return;
    }
    let (want, got) = (normalized(shown), normalized(&screen));
    if want != got {
        let diff: Vec<String> = want
            .iter()
            .zip(got.iter().chain(std::iter::repeat(&String::new())))
            .enumerate()
            .filter(|(_, (w, g))| w != g)
            .map(|(i, (w, g))| format!("line {}:\n  README: {w}\n  screen: {g}", i + 1))
            .collect();
        panic!(
            "README.md's screenshot differs from the TUI ({} vs {} lines):\n{}\n\nthe screen:\n{screen}\n\
             run VEX_UPDATE_README=1 cargo test --test readme_screenshot",
            want.len(),
            got.len(),
            diff.join("\n")
        );
    }
}
