//! Issue 18: the batch's paths beyond the kill test, each against the emulator over HTTPS (pinned): v6 and
//! v7 servers (synchronous answers) and v8, the original location, sources by a date range and by a
//! server search, all of a session and a pattern, progress per source on stderr while it runs, and a plan
//! without a restore session. The judge is the emulator's record of what it restored.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use support::batch::{self, Incident};
use support::cli::{self, code, json, out, stdout};
use vex::sim::{RestoreRecord, SimConfig};

const PASSWORD: &str = "Exch-batch-paths-pw";

/// A Fabrikam session on an HTTPS emulator (pinned) speaking `api`.
async fn setup(api: &'static str, mailboxes: u16) -> Incident {
    let e = cli::start(SimConfig {
        mailboxes: Some(mailboxes),
        tls: true,
        ..cli::quick_restores()
    })
    .await
    .api(api)
    .pinned()
    .stdin_null();
    batch::open(e, PASSWORD)
}

/// Every item of a folder as the API lists it (`vex items --all`).
fn items_of(s: &Incident, mailbox: &str, folder: &str) -> Vec<serde_json::Value> {
    let o = s.e.vex(&[
        "items",
        "--session",
        &s.sid,
        "--mailbox",
        mailbox,
        "--folder",
        folder,
        "--all",
        "--limit",
        "500",
        "--jsonl",
    ]);
    assert_eq!(code(&o), 0, "{}", out(&o));
    stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("an item"))
        .collect()
}

/// The summary's counts of each restore equal the record's, and every restore is in it once.
fn summary_is_the_record(s: &Incident, summary: &serde_json::Value) {
    let records = s.records();
    let restores = summary["restores"].as_array().expect("restores");
    assert_eq!(
        records.len(),
        restores.len(),
        "one record per planned restore: {summary}"
    );
    let mut totals = [0i64; 4];
    for u in restores {
        assert_eq!(u["state"], "done", "{u}");
        let matching: Vec<&RestoreRecord> = records
            .iter()
            .filter(|r| {
                r.source_mailbox_id == u["mailboxId"].as_str().unwrap_or_default()
                    && if u["kind"] == "items" {
                        // An item restore names its items, not their folder.
                        r.item_ids.len() as u64 == u["items"].as_u64().unwrap_or(0)
                    } else {
                        r.source_folder_id.as_deref() == u["folderId"].as_str()
                    }
            })
            .collect();
        assert_eq!(matching.len(), 1, "{u}");
        let st = matching[0].outcome.as_ref().expect("finished");
        let want = [
            st.created_items_count,
            st.merged_items_count,
            st.skipped_items_count,
            st.failed_items_count,
        ];
        let got = ["created", "merged", "skipped", "failed"].map(|k| u[k].as_i64().unwrap_or(-1));
        assert_eq!(got, want, "{u}");
        for (t, w) in totals.iter_mut().zip(want) {
            *t += w;
        }
    }
    let sum = |k: &str| {
        summary["sources"]
            .as_array()
            .expect("sources")
            .iter()
            .map(|x| x[k].as_i64().unwrap_or(0))
            .sum::<i64>()
    };
    assert_eq!([sum("created"), sum("merged"), sum("skipped"), sum("failed")], totals);
}

/// Folders by path and messages received in a date range, items by a server search, to the original
/// location, on each API version: what was restored is exactly what the listing and the search give.
async fn original_location_dates_and_search(api: &'static str) {
    let s = setup(api, 8).await;
    let (m0, e0) = s.mailboxes[0].clone();
    let (m1, e1) = s.mailboxes[1].clone();
    // The date range: the middle of the Inbox's received dates, so some items are in and some out.
    let folders = json(&s.e.vex(&["folders", "--session", &s.sid, "--mailbox", &m0, "--json"]));
    let inbox = folders
        .as_array()
        .and_then(|a| a.iter().find(|f| f["name"] == "Inbox"))
        .and_then(|f| f["id"].as_str())
        .expect("an Inbox")
        .to_string();
    let items = items_of(&s, &m0, &inbox);
    let mut days: Vec<String> = items
        .iter()
        .filter_map(|i| i["received"].as_str().map(|d| d[..10].to_string()))
        .collect();
    days.sort();
    assert!(days.len() >= 4, "the Inbox has dated messages: {}", days.len());
    let (from, to) = (days[days.len() / 4].clone(), days[days.len() * 3 / 4].clone());
    let in_range: BTreeSet<String> = items
        .iter()
        .filter(|i| {
            i["received"]
                .as_str()
                .is_some_and(|d| d[..10] >= *from.as_str() && d[..10] <= *to.as_str())
        })
        .filter_map(|i| i["id"].as_str().map(str::to_string))
        .collect();
    assert!(!in_range.is_empty() && in_range.len() < items.len(), "{from}..{to}");
    // The search: what `vex items --query` finds in the whole mailbox.
    let query = "subject:invoice";
    let found = s.e.vex(&[
        "items",
        "--session",
        &s.sid,
        "--mailbox",
        &m1,
        "--query",
        query,
        "--jsonl",
    ]);
    assert_eq!(code(&found), 0, "{}", out(&found));
    let found: BTreeSet<String> = stdout(&found)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|i| i["id"].as_str().map(str::to_string))
        .collect();
    assert!(!found.is_empty(), "the search finds something in {e1}");
    std::fs::write(
        &s.plan,
        format!(
            r#"session = "{sid}"

[[source]]
mailboxes = ["{e0}"]
folders = ["Inbox"]
received_from = "{from}"
received_to = "{to}"

[[source]]
mailboxes = ["{e1}"]
query = '{query}'

[target]
original = true

[credentials]
user = "restore-admin@fabrikam.com"
{pw}
"#,
            sid = s.sid,
            pw = s.password_line(),
        ),
    )
    .expect("plan");
    let dry = json(&s.e.vex(&["batch", &s.plan.display().to_string(), "--dry-run", "--json"]));
    assert_eq!(s.records().len(), 0, "a dry run sends nothing");
    let (summary, _) = s.run(&[]);
    summary_is_the_record(&s, &summary);
    let records = s.records();
    assert_eq!(records.len(), 2, "{records:?}");
    for r in &records {
        assert_eq!(r.kind, "original", "{r:?}");
        assert_eq!(r.api_version.to_string(), api.trim_start_matches('v'));
        assert_eq!(r.credential_mode, "Password");
    }
    let dated = records
        .iter()
        .find(|r| r.source_mailbox_id == m0)
        .expect("the dated restore");
    assert_eq!(dated.item_ids.iter().cloned().collect::<BTreeSet<_>>(), in_range);
    let searched = records
        .iter()
        .find(|r| r.source_mailbox_id == m1)
        .expect("the searched restore");
    assert_eq!(searched.item_ids.iter().cloned().collect::<BTreeSet<_>>(), found);
    // The dry run named the same restores, with the original location's endpoint.
    let planned = dry["restores"].as_array().expect("restores");
    assert_eq!(planned.len(), 2);
    for p in planned {
        assert_eq!(p["target"], "original location");
        assert_eq!(p["endpoint"], "items/restore");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v6_original_location_dates_and_search() {
    original_location_dates_and_search("v6").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v7_original_location_dates_and_search() {
    original_location_dates_and_search("v7").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v8_original_location_dates_and_search() {
    original_location_dates_and_search("v8").await;
}

/// `all = true` names every mailbox of the session, a pattern the ones it matches; both restore whole
/// mailboxes (to another mailbox here). Progress shows one line per source as it changes, plain on stderr
/// (not a terminal), and its last line per source is the summary's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_of_a_session_and_a_pattern_with_progress_per_source() {
    let s = setup("v7", 6).await;
    let all = json(&s.e.vex(&["mailboxes", "--session", &s.sid, "--json"]));
    let all: Vec<String> = all
        .as_array()
        .expect("mailboxes")
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_string))
        .collect();
    let target = s.mailboxes[0].1.clone();
    let letter = s.mailboxes[1].1.chars().next().expect("an address");
    let pattern_hits: BTreeSet<String> = s
        .mailboxes
        .iter()
        .filter(|(_, e)| e.starts_with(letter))
        .map(|(id, _)| id.clone())
        .collect();
    std::fs::write(
        &s.plan,
        format!(
            r#"session = "{sid}"

[[source]]
all = true
folders = ["Inbox"]

[[source]]
pattern = "{letter}*@fabrikam.com"

[target]
mailbox = "{target}"
folder = "Restored/{{mailbox}}/{{folder}}"

[credentials]
user = "restore-admin@fabrikam.com"
{pw}
"#,
            sid = s.sid,
            pw = s.password_line(),
        ),
    )
    .expect("plan");
    let (summary, stderr) = s.run(&[]);
    summary_is_the_record(&s, &summary);
    let records = s.records();
    // Source 1: the Inbox of every mailbox that has one (the public-folder mailbox has none: left out).
    let inboxes: BTreeSet<String> = records
        .iter()
        .filter(|r| r.kind == "folder")
        .map(|r| r.source_mailbox_id.clone())
        .collect();
    assert!(inboxes.len() >= all.len() - 1, "{inboxes:?} of {all:?}");
    // Source 2: whole mailboxes, exactly the pattern's.
    let whole: BTreeSet<String> = records
        .iter()
        .filter(|r| r.kind == "mailbox")
        .map(|r| r.source_mailbox_id.clone())
        .collect();
    assert_eq!(whole, pattern_hits);
    for r in &records {
        assert_eq!(r.target_mailbox.as_deref(), Some(target.as_str()));
    }
    // Progress: per source, lines as it changes; the last one of each equals the summary.
    let mut last: BTreeMap<u64, String> = BTreeMap::new();
    let mut changes: BTreeMap<u64, usize> = BTreeMap::new();
    for l in stderr.lines() {
        if let Some(rest) = l.strip_prefix("vex: source ") {
            let n: u64 = rest
                .split(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .expect("source number");
            last.insert(n, l.to_string());
            *changes.entry(n).or_default() += 1;
        }
    }
    assert!(
        !stderr.contains('\x1b'),
        "plain lines when stderr is not a terminal: {stderr}"
    );
    for src in summary["sources"].as_array().expect("sources") {
        let n = src["source"].as_u64().expect("number");
        let line = last
            .get(&n)
            .unwrap_or_else(|| panic!("no progress for source {n}: {stderr}"));
        let restores = src["restores"].as_u64().expect("restores");
        assert!(
            line.contains(&format!("{restores}/{restores} done"))
                && line.contains(&format!("created {}", src["created"]))
                && line.contains(&format!("skipped {}", src["skipped"])),
            "{line} vs {src}"
        );
        // Each restore moved it at least twice (sent, done) after the first line.
        assert!(
            changes[&n] as u64 > restores,
            "{n}: {} lines for {restores} restores",
            changes[&n]
        );
    }
}

/// A plan without a session is refused, with its line, before anything is read or sent; so is one that
/// asks for a point in time instead (the batch does not start a session).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_without_a_session_is_refused_with_its_line() {
    let s = setup("v8", 4).await;
    let body = format!(
        r#"
[[source]]
all = true

[target]
original = true

[credentials]
user = "restore-admin@fabrikam.com"
{pw}
"#,
        pw = s.password_line()
    );
    for (head, line) in [
        ("# no session", 1),
        (
            "organization = \"fabrikam.onmicrosoft.com\"\npoint_in_time = \"2025-11-01T00:00:00Z\"",
            1,
        ),
    ] {
        std::fs::write(&s.plan, format!("{head}\n{body}")).expect("plan");
        for dry in [true, false] {
            let plan = s.plan.display().to_string();
            let mut a = vec!["batch", plan.as_str()];
            if dry {
                a.push("--dry-run");
            }
            let o = s.e.vex(&a);
            let err = out(&o);
            assert_eq!(code(&o), 2, "{err}");
            assert!(err.contains(&format!("line {line}:")), "{err}");
            assert!(err.contains("vex sessions new"), "{err}");
        }
    }
    assert_eq!(s.e.server.store().restores().len(), 0);
}

/// Whole mailboxes to the original location go through `mailboxes/restore`: one request per
/// `BULK_CHUNK` mailboxes (a mailbox and its archive, one address, never in one request), carrying the
/// plan's flags; the dry run names the requests and their mailboxes; the summary's counts are the
/// emulator's record of each mailbox; the password reaches neither the journal, the audit log nor the log.
async fn bulk_to_the_original_location(api: &'static str, mailboxes: u16) {
    let s = setup(api, mailboxes).await;
    std::fs::write(
        &s.plan,
        format!(
            r#"session = "{sid}"

[[source]]
all = true

[target]
original = true

[flags]
changed_items = true
mark_unread = true

[credentials]
user = "restore-admin@fabrikam.com"
{pw}
"#,
            sid = s.sid,
            pw = s.password_line(),
        ),
    )
    .expect("plan");
    let plan = s.plan.display().to_string();
    let dry = s.e.vex(&["batch", &plan, "--dry-run", "--json"]);
    assert_eq!(code(&dry), 0, "{}", out(&dry));
    let dry: serde_json::Value = serde_json::from_str(&stdout(&dry)).expect("dry run JSON");
    let table = s.e.vex(&["batch", &plan, "--dry-run"]);
    assert!(
        stdout(&table).contains("bulk 1: one mailboxes/restore request for"),
        "{}",
        out(&table)
    );
    assert!(s.records().is_empty(), "a dry run sends nothing");
    let planned = dry["restores"].as_array().expect("restores").clone();
    let bulks = dry["bulkRequests"].as_array().expect("bulk requests").clone();
    let all_mailboxes = json(&s.e.vex(&["mailboxes", "--session", &s.sid, "--json"]));
    let n = all_mailboxes.as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(planned.len(), n, "every mailbox of the session, whole");
    // At most 20 a request, and the archive (same address as its primary) in another request.
    let want_requests = n.div_ceil(20).max(2);
    assert_eq!(bulks.len(), want_requests, "{bulks:?}");
    for p in &planned {
        assert_eq!(p["endpoint"], "mailboxes/restore", "{p}");
        assert!(p["bulk"].as_u64().is_some(), "{p}");
    }
    for b in &bulks {
        assert_eq!(
            b["flags"],
            serde_json::json!(["changedItems", "markRestoredAsUnread"]),
            "{b}"
        );
        let emails: Vec<&str> = b["mailboxes"]
            .as_array()
            .expect("mailboxes")
            .iter()
            .filter_map(|m| m.as_str())
            .collect();
        let distinct: BTreeSet<String> = emails.iter().map(|e| e.to_lowercase()).collect();
        assert_eq!(distinct.len(), emails.len(), "one address once per request: {b}");
        assert!(emails.len() <= 20, "{b}");
    }

    let before = s.e.server.restore_requests().len();
    let (summary, _) = s.run(&[]);
    summary_is_the_record(&s, &summary);
    let records = s.records();
    // The record per request: the mailboxes the dry run named, each once, with the plan's flags.
    let mut by_request: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &records {
        assert_eq!(r.kind, "original", "{r:?}");
        assert!(
            r.flags.changed_items && r.flags.mark_unread,
            "the flags were applied: {r:?}"
        );
        assert!(
            !r.flags.deleted_items && !r.flags.exclude_drafts,
            "only the plan's flags: {r:?}"
        );
        assert_eq!(r.credential_mode, "Password");
        by_request
            .entry(r.bulk.clone().expect("sent through mailboxes/restore"))
            .or_default()
            .insert(r.source_mailbox_id.clone());
    }
    let mut named: Vec<BTreeSet<String>> = bulks
        .iter()
        .map(|b| {
            b["mailboxIds"]
                .as_array()
                .expect("ids")
                .iter()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect()
        })
        .collect();
    let mut sent: Vec<BTreeSet<String>> = by_request.into_values().collect();
    named.sort();
    sent.sort();
    assert_eq!(sent, named, "each request restored the mailboxes the dry run named");
    let paths: Vec<String> = s.e.server.restore_requests()[before..]
        .iter()
        .map(|r| r.path.to_ascii_lowercase())
        .collect();
    assert_eq!(paths.len(), bulks.len(), "one request per bulk: {paths:?}");
    assert!(
        paths.iter().all(|p| p.ends_with("/organization/mailboxes/restore")),
        "{paths:?}"
    );
    // The summary names the bulk request of each restore, as the dry run did.
    let pick = |v: &serde_json::Value| (v["seq"].clone(), v["mailboxId"].clone(), v["bulk"].clone());
    assert_eq!(
        planned.iter().map(pick).collect::<Vec<_>>(),
        summary["restores"]
            .as_array()
            .expect("restores")
            .iter()
            .map(pick)
            .collect::<Vec<_>>()
    );
    // The password went only into the request bodies.
    for entry in std::fs::read_dir(s.e.dir.path().join("state"))
        .expect("state dir")
        .flatten()
    {
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(PASSWORD),
            "the password is in {}",
            entry.path().display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v6_bulk_to_the_original_location() {
    bulk_to_the_original_location("v6", 8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v7_bulk_to_the_original_location() {
    bulk_to_the_original_location("v7", 8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v8_bulk_to_the_original_location_in_chunks() {
    bulk_to_the_original_location("v8", 45).await;
}

/// Flags with folders or items to the original location: their endpoints take no flags, so the plan is
/// refused with the `[flags]` line, before anything is sent (never silently dropped).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_the_original_location_cannot_carry_are_refused_with_their_line() {
    let s = setup("v7", 4).await;
    let e0 = s.mailboxes[0].1.clone();
    let text = format!(
        r#"session = "{sid}"

[[source]]
mailboxes = ["{e0}"]
folders = ["Inbox"]

[target]
original = true

[flags]
mark_unread = true

[credentials]
user = "restore-admin@fabrikam.com"
{pw}
"#,
        sid = s.sid,
        pw = s.password_line(),
    );
    std::fs::write(&s.plan, &text).expect("plan");
    let plan = s.plan.display().to_string();
    for dry in [true, false] {
        let mut a = vec!["batch", plan.as_str()];
        if dry {
            a.push("--dry-run");
        }
        let o = s.e.vex(&a);
        let err = out(&o);
        assert_eq!(code(&o), 2, "{err}");
        assert!(err.contains("line 10:"), "the [flags] line: {err}");
        assert!(
            err.contains("markRestoredAsUnread") && err.contains("folders/{id}/restore"),
            "{err}"
        );
    }
    assert!(s.records().is_empty(), "nothing was sent");
    // Without the flags it runs; to a mailbox the flags are carried by restoreTo.
    std::fs::write(&s.plan, text.replace("[flags]\nmark_unread = true\n", "")).expect("plan");
    let (summary, _) = s.run(&[]);
    summary_is_the_record(&s, &summary);
}
