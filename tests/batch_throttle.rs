//! Issue 18: `vex batch` against an emulator that throttles restores (429 with Retry-After) and records how
//! many restores it was handling at once. The batch completes, every throttled restore is sent again only
//! after its Retry-After, no other restore is sent while the server asked to wait, and the concurrency
//! limit holds: at most 2 restores in flight by default, at most 3 with `--concurrency 3`, and the limit is
//! reached (the restores are slow enough to overlap).

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use std::time::Duration;
use support::batch::{self, Incident};
use support::cli;
use vex::sim::{Faults, SimConfig, Throttle};

/// A v7 emulator (a restore is one request, answered when done) whose restores take 300-400 ms, a Fabrikam
/// session and a plan: the Inbox and Sent Items of five mailboxes to a sixth; `faults` set after the set-up.
async fn setup(faults: Faults) -> Incident {
    let e = cli::start(SimConfig {
        mailboxes: Some(12),
        ..cli::quick_restores()
    })
    .await
    .api("v7");
    let s = batch::open(e, "Exch-throttle-pw");
    let emails = s.emails();
    s.write_plan(&format!(
        r#"session = "{sid}"

[[source]]
mailboxes = [{list}]
folders = ["Inbox", "Sent Items"]

[target]
mailbox = "{target}"
folder = "Restored/{{mailbox}}/{{folder}}"

{credentials}"#,
        sid = s.sid,
        list = batch::toml_list(&emails[..5]),
        target = emails[6],
        credentials = s.credentials(),
    ));
    s.e.server.set_faults(faults);
    s
}

fn slow_restores() -> Faults {
    Faults {
        routes: vec!["POST restoreTo$".into()],
        latency: Some(Duration::from_millis(300)),
        latency_jitter: Duration::from_millis(100),
        ..Faults::none()
    }
}

/// Runs the batch to its end: its summary, every restore done.
fn run(s: &Incident, extra: &[&str]) -> serde_json::Value {
    let (v, _) = s.run(extra);
    for u in v["restores"].as_array().expect("restores") {
        assert_eq!(u["state"], "done", "{u}");
    }
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_restores_wait_out_retry_after_and_the_batch_completes() {
    let s = setup(Faults {
        throttle_restores: Some(Throttle::Every(2)),
        throttle_retry_after: Duration::from_secs(1),
        ..slow_restores()
    })
    .await;
    let started = std::time::Instant::now();
    let v = run(&s, &[]);
    let took = started.elapsed();
    let restores = v["restores"].as_array().expect("restores").len();
    assert_eq!(restores, 10);
    let record = s.e.server.store().restores();
    assert_eq!(record.len(), restores, "each restore applied once");
    let log = s.e.server.restore_requests();
    let throttled: Vec<_> = log.iter().filter(|r| r.status == 429).collect();
    assert!(throttled.len() >= 5, "{} throttled of {}", throttled.len(), log.len());
    for t in &throttled {
        let wait = t.retry_after.expect("a 429 says Retry-After");
        // The same restore comes back only after the wait.
        let again = log
            .iter()
            .find(|r| r.path == t.path && r.arrived > t.arrived)
            .unwrap_or_else(|| panic!("{} was never sent again", t.path));
        assert!(
            again.arrived - t.arrived >= wait,
            "{} sent again after {:?}",
            t.path,
            again.arrived - t.arrived
        );
        // No restore that the batch sends after hearing the 429 arrives before the wait is over: the
        // only ones in that window were already on their way (at most the other one in flight).
        let early = log
            .iter()
            .filter(|r| r.arrived > t.arrived && r.arrived < t.arrived + wait)
            .count();
        assert!(early <= 1, "{early} restores arrived while the server asked to wait");
    }
    eprintln!("{restores} restores, {} throttled, {took:?}", throttled.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_two_restores_in_flight_by_default_and_three_when_asked() {
    let s = setup(slow_restores()).await;
    run(&s, &[]);
    assert_eq!(
        s.e.server.max_restores_in_flight(),
        2,
        "the default limit, and it is reached"
    );
    // A new session for the same plan, so the batch is a new one: --concurrency 3.
    let s3 = setup(slow_restores()).await;
    run(&s3, &["--concurrency", "3"]);
    assert_eq!(s3.e.server.max_restores_in_flight(), 3);
    let _ = (&s.sid, &s3.sid);
}
