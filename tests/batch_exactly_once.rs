//! Issue 18 acceptance: `vex batch` as a real process against the emulator (5xx, dropped connections and
//! restores applied whose answer is lost, all injected), killed with SIGKILL at random moments at least 20
//! times and run again until done. Then the emulator's record shows each planned restore applied exactly
//! once, and the batch's final summary equals the record. Also: the dry run and the run agree on sources
//! and targets; a plan with an error is refused, with its line named, before anything is sent; the
//! restore password never reaches argv, the journal, the audit log or the log.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::batch::{self, Incident};
use support::cli::{self, code, json, out, stdout};
use vex::sim::{Faults, ResetAfterApply, SimConfig};

const PASSWORD: &str = "Exch-s3cret-Pa55-do-not-leak";

/// A Fabrikam session of 300 mailboxes, its primary mailboxes' e-mails.
struct Setup {
    i: Incident,
    emails: Vec<String>,
}

impl std::ops::Deref for Setup {
    type Target = Incident;
    fn deref(&self) -> &Incident {
        &self.i
    }
}

/// The emulator with `faults` (set aside while the session is made).
async fn setup(faults: Faults) -> Setup {
    let e = cli::start(SimConfig {
        mailboxes: Some(300),
        faults,
        ..cli::quick_restores()
    })
    .await;
    let i = batch::open(e, PASSWORD);
    Setup { emails: i.emails(), i }
}

/// A letter that starts between 3 and 6 of the addresses not in `skip`.
fn pattern_letter(emails: &[String], skip: &[String]) -> char {
    ('a'..='z')
        .find(|c| {
            let n = emails.iter().filter(|m| !skip.contains(m) && m.starts_with(*c)).count();
            (3..=6).contains(&n)
        })
        .expect("a letter")
}

fn good_plan(s: &Setup) -> String {
    let list: Vec<String> = s.emails[..12].to_vec();
    let letter = pattern_letter(&s.emails, &list);
    format!(
        r#"# incident 4711: restore what the compromised account deleted
session = "{sid}"

[[source]]
mailboxes = [{list}]
folders = ["Inbox", "Sent Items", "Drafts"]

[[source]]
pattern = "{letter}*@fabrikam.com"

[[source]]
mailboxes = ["{q}"]
query = 'subject:invoice'

[target]
mailbox = "{target}"
folder = "Restored/{{mailbox}}/{{folder}}"

[flags]
changed_items = true

{credentials}"#,
        sid = s.sid,
        list = batch::toml_list(&list),
        q = s.emails[13],
        target = s.emails[14],
        credentials = s.credentials(),
    )
}

fn batch_cmd(s: &Setup, extra: &[&str]) -> std::process::Command {
    let plan = s.plan.display().to_string();
    let mut args = vec!["batch", plan.as_str(), "--event-wait-ms", "5000"];
    args.extend_from_slice(extra);
    let mut c = s.e.cmd(&args);
    c.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    c
}

/// Every file under the state directory, as bytes (the journal with its WAL, the audit log, the log).
fn state_files(s: &Setup) -> Vec<(String, Vec<u8>)> {
    let dir = s.e.dir.path().join("state");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("state dir").flatten() {
        let p = entry.path();
        if p.is_file() {
            out.push((p.display().to_string(), std::fs::read(&p).unwrap_or_default()));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_twenty_times_every_restore_applied_exactly_once() {
    let faults = Faults {
        seed: 18,
        // The restores (and the event reads that reconcile them) are slow and faulty; the reads that
        // resolve the plan are not, so most kills land while restores are on the wire. The 5xx are the
        // server's own (500: refused before running); a gateway's 502/503/504 for a restore the server
        // never got leaves nothing the server could show: see gateway_error_without_a_trace_is_left_unknown.
        routes: vec!["POST restoreTo$".into(), "GET /Events".into()],
        latency: Some(Duration::from_millis(150)),
        latency_jitter: Duration::from_millis(300),
        fault_rate: 0.08,
        fault_statuses: vec![500],
        reset_rate: 0.08,
        reset_after_apply: ResetAfterApply::First(3),
        ..Faults::none()
    };
    let s = setup(faults).await;
    std::fs::write(&s.plan, good_plan(&s)).expect("plan");

    // The dry run first: what will be sent, nothing sent.
    let dry = json(&s.e.vex(&["batch", &s.plan.display().to_string(), "--dry-run", "--json"]));
    assert_eq!(s.e.server.store().restores().len(), 0, "a dry run sends no restore");
    let planned = dry["restores"].as_array().expect("restores").clone();
    assert!(planned.len() >= 36, "{} restores planned: {dry}", planned.len());
    let endpoints: std::collections::BTreeSet<&str> = planned.iter().filter_map(|u| u["endpoint"].as_str()).collect();
    assert!(
        endpoints.contains("folders/{id}/restoreTo")
            && endpoints.contains("mailboxes/{id}/restoreTo")
            && endpoints.contains("items/restoreTo"),
        "{endpoints:?}"
    );

    let started = Instant::now();
    let mut rng = 0x18u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut kills = 0;
    let mut runs = 0;
    let mut argv_checked = false;
    let mut last: Option<std::process::Output> = None;
    let mut resend = false;
    let mut settled_by_operator = 0;
    while runs < 80 {
        runs += 1;
        let extra: &[&str] = if std::mem::take(&mut resend) {
            &["--json", "--resend-unknown"]
        } else {
            &["--json"]
        };
        let mut child = batch_cmd(&s, extra).spawn().expect("spawn vex batch");
        if !argv_checked {
            let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap_or_default();
            assert!(!String::from_utf8_lossy(&cmdline).contains(PASSWORD));
            argv_checked = true;
        }
        if kills < 20 {
            // A random moment: early (resolving, reconciling) to late (mid-restore).
            let wait = Duration::from_millis(100 + next() % 1400);
            let deadline = Instant::now() + wait;
            while Instant::now() < deadline {
                if child.try_wait().expect("wait").is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            if child.try_wait().expect("wait").is_none() {
                child.kill().expect("SIGKILL");
                let _ = child.wait();
                kills += 1;
                continue;
            }
        }
        let o = child.wait_with_output().expect("output");
        let c = code(&o);
        last = Some(o);
        if c == 0 {
            break;
        }
        // 6: some restores were refused before they ran (injected 5xx), or a kill left one whose whole
        // request may have reached the server and which the server does not show (killed between the
        // journal's `sent` and the last byte): run again.
        let o = last.as_ref().expect("output");
        assert_eq!(c, 6, "{}", out(o));
        let summary: serde_json::Value = serde_json::from_str(&stdout(o)).expect("summary JSON");
        let unknown: Vec<&serde_json::Value> = summary["restores"]
            .as_array()
            .expect("restores")
            .iter()
            .filter(|u| u["state"] == "unknown")
            .collect();
        if !unknown.is_empty() {
            // The operator's step: the session's events do not show them, so they did not run (the
            // emulator's record agrees): send them again, as the batch says to.
            let events = json(&s.e.vex(&["events", &s.sid, "--json"]));
            let events = events.as_array().expect("events");
            for u in &unknown {
                let folder = u["folder"].as_str().unwrap_or_default();
                let source = format!("{}/{folder}", u["mailbox"].as_str().unwrap_or_default());
                assert!(
                    !events.iter().any(|e| {
                        e["source"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(&source))
                            && e["target"]
                                .as_str()
                                .is_some_and(|t| u["target"].as_str().is_some_and(|ut| t.eq_ignore_ascii_case(ut)))
                    }),
                    "an unknown restore the events show: {u}"
                );
                assert!(
                    !s.e.server
                        .store()
                        .restores()
                        .iter()
                        .any(|r| r.source_mailbox_id == u["mailboxId"]
                            && r.source_folder_id.as_deref() == u["folderId"].as_str()),
                    "left unknown but it ran: {u}"
                );
            }
            settled_by_operator += unknown.len();
            resend = true;
        }
    }
    let took = started.elapsed();
    let o = last.expect("a run that finished");
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(kills >= 20, "only {kills} kills landed in {runs} runs");
    let summary: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("summary JSON");
    eprintln!(
        "{kills} kills, {runs} runs, {} restores, {settled_by_operator} left unknown and resent by the operator, \
         {:?}; faults: {:?}",
        planned.len(),
        took,
        s.e.server.fault_stats()
    );

    // The record: each planned restore exactly once.
    let record: Vec<vex::sim::RestoreRecord> =
        s.e.server
            .store()
            .restores()
            .into_iter()
            .filter(|r| r.restore_session_id == s.sid)
            .collect();
    let restores = summary["restores"].as_array().expect("restores");
    assert_eq!(restores.len(), planned.len());
    let key = |kind: &str, mbx: &str, folder: Option<&str>| format!("{kind} {mbx} {}", folder.unwrap_or("-"));
    let mut applied: HashMap<String, Vec<&vex::sim::RestoreRecord>> = HashMap::new();
    for r in &record {
        applied
            .entry(key(r.kind, &r.source_mailbox_id, r.source_folder_id.as_deref()))
            .or_default()
            .push(r);
    }
    let mut totals = [0i64; 4];
    for u in restores {
        assert_eq!(u["state"], "done", "{u}");
        let k = key(
            u["kind"].as_str().unwrap_or_default(),
            u["mailboxId"].as_str().unwrap_or_default(),
            u["folderId"].as_str(),
        );
        let recs = applied.get(&k).map(Vec::as_slice).unwrap_or_default();
        assert_eq!(recs.len(), 1, "{k} applied {} times: {u}", recs.len());
        let stats = recs[0].outcome.as_ref().expect("finished");
        let got = [
            u["created"].as_i64(),
            u["merged"].as_i64(),
            u["skipped"].as_i64(),
            u["failed"].as_i64(),
        ];
        let want = [
            stats.created_items_count,
            stats.merged_items_count,
            stats.skipped_items_count,
            stats.failed_items_count,
        ];
        assert_eq!(got, want.map(Some), "{k}: the summary's counts are the record's");
        for (t, w) in totals.iter_mut().zip(want) {
            *t += w;
        }
    }
    assert_eq!(record.len(), restores.len(), "nothing else was applied");
    let sum = |k: &str| {
        summary["sources"]
            .as_array()
            .expect("sources")
            .iter()
            .map(|s| s[k].as_i64().unwrap_or(0))
            .sum::<i64>()
    };
    assert_eq!(
        [sum("created"), sum("merged"), sum("skipped"), sum("failed")],
        totals,
        "the per-source summary adds up to the record"
    );
    // The dry run and the run name the same sources and targets.
    let pick = |v: &serde_json::Value| {
        (
            v["seq"].clone(),
            v["mailboxId"].clone(),
            v["folderId"].clone(),
            v["kind"].clone(),
            v["target"].clone(),
            v["endpoint"].clone(),
        )
    };
    assert_eq!(
        planned.iter().map(pick).collect::<Vec<_>>(),
        restores.iter().map(pick).collect::<Vec<_>>()
    );

    // Run again: nothing is sent.
    let before = s.e.server.store().restores().len();
    let again = batch_cmd(&s, &["--json"]).output().expect("again");
    assert_eq!(code(&again), 0, "{}", out(&again));
    assert_eq!(
        s.e.server.store().restores().len(),
        before,
        "a finished batch sends nothing again"
    );

    // `vex batch status` reads the journal.
    let st = s.e.vex(&["batch", "status", "--json"]);
    assert_eq!(code(&st), 0, "{}", out(&st));
    let st: serde_json::Value = serde_json::from_str(&stdout(&st)).expect("status JSON");
    assert_eq!(st[0]["restores"].as_array().map(Vec::len), Some(restores.len()));

    // The secret is nowhere on disk (journal + WAL, audit log, log) nor in what vex printed.
    for (path, bytes) in state_files(&s) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(PASSWORD),
            "the password is in {path}"
        );
    }
    assert!(!out(&o).contains(PASSWORD));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let j = s.e.dir.path().join("state/batches.sqlite");
        let mode = std::fs::metadata(&j).expect("journal").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // Every batch step is in the audit log.
    let audit = std::fs::read_to_string(s.e.dir.path().join("state/audit.jsonl")).expect("audit");
    for step in [
        "batch-start",
        "batch-resume",
        "batch-restore",
        "batch-reconcile",
        "batch-end",
    ] {
        assert!(
            audit.contains(&format!("\"action\":\"{step}\"")),
            "no {step} in the audit log"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_errors_are_refused_with_their_line_before_anything_is_sent() {
    let s = setup(Faults::none()).await;
    let good = good_plan(&s);
    let cases: Vec<(String, usize, &str)> = vec![
        // A mailbox the session does not have (found when resolving: reads only).
        (
            good.replace(&format!("{:?}", s.emails[13]), "\"nobody@fabrikam.com\""),
            12,
            "nobody@fabrikam.com",
        ),
        // A pattern vex does not read.
        (good.replace("*@fabrikam.com\"", "[a-c]@fabrikam.com\""), 9, "pattern"),
        // A pattern that matches nothing.
        (
            good.replace("*@fabrikam.com\"", "*@nowhere.example\""),
            8,
            "matches no mailbox",
        ),
        // A secret in the file.
        (
            good.replace("password_command = ", "password = \"hunter2\"\n#"),
            24,
            "secret",
        ),
        // A key vex does not know.
        (
            good.replace("[flags]\n", "[flags]\nrestore_evrything = true\n"),
            20,
            "restore_evrything",
        ),
        // A folder a listed mailbox does not have.
        (good.replace("\"Drafts\"", "\"Inbox/Nope\""), 6, "Inbox/Nope"),
    ];
    for (text, line, what) in cases {
        std::fs::write(&s.plan, &text).expect("plan");
        for dry in [false, true] {
            let mut args = vec!["batch".to_string(), s.plan.display().to_string()];
            if dry {
                args.push("--dry-run".into());
            }
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = s.e.vex(&a);
            let err = out(&o);
            assert_eq!(code(&o), 2, "{what}: {err}");
            assert!(
                err.contains(&format!("line {line}:")),
                "{what}: wants line {line}: {err}"
            );
            assert!(err.contains(what), "{what}: {err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
    }
    assert_eq!(s.e.server.store().restores().len(), 0, "nothing was sent");
    assert!(
        !s.e.dir.path().join("state/batches.sqlite").exists()
            || s.e.vex(&["batch", "status", "--json"]).stdout.starts_with(b"[]"),
        "no batch was journalled"
    );
}

/// A gateway answers 503 for a restore the server never got: nothing on the server shows it, so the batch
/// cannot know it did not run. It is left unknown (exit 6), never resent by later runs, and `vex batch
/// status` lists it; the other restores run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_error_without_a_trace_is_left_unknown() {
    let s = setup(Faults::none()).await;
    s.write_plan(&format!(
        r#"session = "{sid}"

[[source]]
mailboxes = [{list}]
folders = ["Inbox"]

[target]
mailbox = "{target}"
folder = "Restored/{{mailbox}}"

{credentials}"#,
        sid = s.sid,
        list = batch::toml_list(&s.emails[..3]),
        target = s.emails[5],
        credentials = s.credentials(),
    ));
    // Every restore answered 503 by the "gateway", before the server sees it.
    s.e.server.set_faults(Faults {
        routes: vec!["POST restoreTo$".into()],
        fault_rate: 1.0,
        fault_statuses: vec![503],
        ..Faults::none()
    });
    let first = batch_cmd_wait(&s, "300").output().expect("run");
    assert_eq!(code(&first), 6, "{}", out(&first));
    assert_eq!(s.e.server.store().restores().len(), 0, "the gateway passed nothing on");
    let err = String::from_utf8_lossy(&first.stderr).to_string();
    assert!(err.contains("UNKNOWN"), "{err}");
    // The gateway is fine again: the unknown restores are still not resent.
    s.e.server.set_faults(Faults::none());
    let again = batch_cmd_wait(&s, "300").output().expect("run again");
    assert_eq!(code(&again), 6, "{}", out(&again));
    assert_eq!(
        s.e.server.store().restores().len(),
        0,
        "an unknown restore is never resent"
    );
    let st = s.e.vex(&["batch", "status", "--json"]);
    let st: serde_json::Value = serde_json::from_str(&stdout(&st)).expect("status JSON");
    let states: Vec<&str> = st[0]["restores"]
        .as_array()
        .expect("restores")
        .iter()
        .filter_map(|u| u["state"].as_str())
        .collect();
    assert_eq!(states, ["unknown"; 3]);
    // The operator found them absent from the session's events: --resend-unknown sends each once.
    let resent = batch_cmd_wait(&s, "300")
        .arg("--resend-unknown")
        .output()
        .expect("resend");
    assert_eq!(code(&resent), 0, "{}", out(&resent));
    assert_eq!(s.e.server.store().restores().len(), 3);
    let again = batch_cmd_wait(&s, "300")
        .arg("--resend-unknown")
        .output()
        .expect("once more");
    assert_eq!(code(&again), 0, "{}", out(&again));
    assert_eq!(s.e.server.store().restores().len(), 3, "nothing is sent twice");
    let audit = std::fs::read_to_string(s.e.dir.path().join("state/audit.jsonl")).expect("audit");
    assert_eq!(
        audit.matches("\"action\":\"batch-operator\"").count(),
        3,
        "the operator's decision is audited"
    );
}

fn batch_cmd_wait(s: &Setup, wait_ms: &str) -> std::process::Command {
    let plan = s.plan.display().to_string();
    let mut c = s.e.cmd(&["batch", plan.as_str(), "--json", "--event-wait-ms", wait_ms]);
    c.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    c
}

/// The bulk path (`mailboxes/restore`, 20 mailboxes a request): killed at random moments 8 times against
/// an emulator that answers 500s, drops connections and loses the answers of applied bulk requests, then run
/// to its end: each mailbox is in the record exactly once, with the plan's flags, and the summary's counts
/// are the record's. The password is in neither argv, the journal, the audit log nor the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_requests_killed_and_resumed_apply_each_mailbox_exactly_once() {
    let s = setup(Faults {
        seed: 1818,
        routes: vec!["POST mailboxes/restore$".into(), "GET /Events".into()],
        latency: Some(Duration::from_millis(250)),
        latency_jitter: Duration::from_millis(400),
        fault_rate: 0.1,
        fault_statuses: vec![500],
        reset_rate: 0.1,
        reset_after_apply: ResetAfterApply::First(2),
        ..Faults::none()
    })
    .await;
    let list: Vec<String> = s.emails[..100].to_vec();
    s.write_plan(&format!(
        "session = \"{sid}\"\n\n[[source]]\nmailboxes = [{list}]\n\n[target]\noriginal = true\n\n[flags]\nmark_unread = true\n\n{c}",
        sid = s.sid,
        list = batch::toml_list(&list),
        c = s.credentials(),
    ));
    let dry = json(&s.e.vex(&["batch", &s.plan.display().to_string(), "--dry-run", "--json"]));
    assert_eq!(dry["bulkRequests"].as_array().map(Vec::len), Some(5), "{dry}");
    let mut rng = 0x1818u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let (mut kills, mut runs, mut resend) = (0, 0, false);
    let mut last = None;
    while runs < 60 {
        runs += 1;
        let extra: &[&str] = if std::mem::take(&mut resend) {
            &["--json", "--concurrency", "1", "--resend-unknown"]
        } else {
            &["--json", "--concurrency", "1"]
        };
        let mut child = batch_cmd(&s, extra).spawn().expect("spawn vex batch");
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&cmdline).contains(PASSWORD));
        if kills < 8 {
            let deadline = Instant::now() + Duration::from_millis(50 + next() % 900);
            while Instant::now() < deadline && child.try_wait().expect("wait").is_none() {
                std::thread::sleep(Duration::from_millis(10));
            }
            if child.try_wait().expect("wait").is_none() {
                child.kill().expect("SIGKILL");
                let _ = child.wait();
                kills += 1;
                continue;
            }
        }
        let o = child.wait_with_output().expect("output");
        let c = code(&o);
        if c == 0 {
            last = Some(o);
            break;
        }
        assert_eq!(c, 6, "{}", out(&o));
        let summary: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("summary JSON");
        let unknown: Vec<&serde_json::Value> = summary["restores"]
            .as_array()
            .expect("restores")
            .iter()
            .filter(|u| u["state"] == "unknown")
            .collect();
        for u in &unknown {
            // The operator's step, checked against the record: an unknown one did not run.
            assert!(
                !s.records().iter().any(|r| r.source_mailbox_id == u["mailboxId"]),
                "left unknown but it ran: {u}"
            );
        }
        resend = !unknown.is_empty();
        last = Some(o);
    }
    let o = last.expect("a run");
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(kills >= 8, "only {kills} kills in {runs} runs");
    let summary: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("summary JSON");
    let records = s.records();
    let restores = summary["restores"].as_array().expect("restores");
    assert_eq!(restores.len(), 100);
    assert_eq!(records.len(), 100, "nothing else was applied");
    for u in restores {
        assert_eq!(u["state"], "done", "{u}");
        assert_eq!(u["endpoint"], "mailboxes/restore");
        let recs: Vec<_> = records
            .iter()
            .filter(|r| r.source_mailbox_id == u["mailboxId"])
            .collect();
        assert_eq!(recs.len(), 1, "applied {} times: {u}", recs.len());
        assert!(recs[0].bulk.is_some() && recs[0].flags.mark_unread, "{:?}", recs[0]);
        let st = recs[0].outcome.as_ref().expect("finished");
        assert_eq!(
            ["created", "merged", "skipped", "failed"].map(|k| u[k].as_i64()),
            [
                st.created_items_count,
                st.merged_items_count,
                st.skipped_items_count,
                st.failed_items_count
            ]
            .map(Some),
            "{u}"
        );
    }
    for (path, bytes) in state_files(&s) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(PASSWORD),
            "the password is in {path}"
        );
    }
    eprintln!(
        "bulk: {kills} kills, {runs} runs; faults: {:?}",
        s.e.server.fault_stats()
    );
}
