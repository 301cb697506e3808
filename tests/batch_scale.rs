//! Issue 18, the emulator at incident scale: `vex sim --mailboxes N` serves an organization of N mailboxes,
//! listed in pages like every list, and `vex mailboxes` lists all of them.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use support::batch;
use support::cli::{self, code, json, out, stdout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vex_lists_five_thousand_mailboxes_in_pages() {
    let e = cli::start(vex::sim::SimConfig {
        mailboxes: Some(5_000),
        max_page: Some(1_000),
        ..cli::plain()
    })
    .await;
    let org = batch::fabrikam(&e);
    let s = json(&e.vex(&["sessions", "new", "--org", &org, "--json"]));
    let sid = s[0]["id"].as_str().expect("session id").to_string();
    let started = std::time::Instant::now();
    let o = e.vex(&["mailboxes", "--session", &sid, "--jsonl"]);
    let took = started.elapsed();
    assert_eq!(code(&o), 0, "{}", out(&o));
    let rows: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(rows.len(), 5_000, "every mailbox listed");
    let ids: std::collections::HashSet<&str> = rows.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids.len(), 5_000, "ids are unique");
    let emails: std::collections::HashSet<String> = rows
        .iter()
        .filter(|r| r["isArchive"] != true)
        .filter_map(|r| r["email"].as_str().map(str::to_lowercase))
        .collect();
    assert_eq!(
        emails.len(),
        4_999,
        "primary e-mails are unique (one archive shares its owner's)"
    );
    assert_eq!(rows.iter().filter(|r| r["isArchive"] == true).count(), 1);
    assert_eq!(rows.iter().filter(|r| r["isPublic"] == true).count(), 1);
    eprintln!("listed 5,000 mailboxes in {took:?}");

    // The store knows them too: a mailbox far down the list answers by id, and the same seed and N give
    // the same organization.
    let last = rows[4_990]["id"].as_str().expect("id").to_string();
    let one = json(&e.vex(&["mailboxes", "--session", &sid, "--json"]));
    assert_eq!(one.as_array().map(Vec::len), Some(5_000));
    assert_eq!(one[4_990]["id"].as_str(), Some(last.as_str()), "the order is stable");

    // The other organization keeps its 50 + 2 mailboxes.
    let s0 = json(&e.vex(&["sessions", "new", "--json"]));
    let sid0 = s0[0]["id"].as_str().expect("session id").to_string();
    let rows0 = json(&e.vex(&["mailboxes", "--session", &sid0, "--json"]));
    assert_eq!(rows0.as_array().map(Vec::len), Some(52));
}
