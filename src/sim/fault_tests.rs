//! The fault layer over real HTTP, with a plain reqwest client (not vex's): what each fault looks like on
//! the wire, that decisions are seeded, that route filters and run-time changes work, and that the
//! in-process hooks are never faulted.

use super::faults::{FaultStats, Faults, Malformation, ResetAfterApply, SlowBody, Throttle};
use super::{SimConfig, SimServer, start};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn server(faults: Faults) -> SimServer {
    crate::install_crypto_provider();
    start(SimConfig {
        tls: false,
        v8_restore_duration: Duration::from_millis(50),
        faults,
        ..SimConfig::default()
    })
    .await
    .expect("emulator starts")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

async fn token(http: &reqwest::Client, base: &str) -> String {
    let r = http
        .post(format!("{base}/v8/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", "vex"),
            ("password", "vex-demo-password"),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(r.status(), 200);
    let j: Value = r.json().await.expect("token json");
    j["access_token"].as_str().expect("access_token").to_string()
}

/// (token, restore session, first mailbox id, its Inbox id, two item ids) with faults off.
async fn setup(s: &SimServer, http: &reqwest::Client) -> (String, String, String, String, Vec<String>) {
    let saved = s.faults();
    s.set_faults(Faults::none());
    let base = s.base_url();
    let t = token(http, base).await;
    let get = |url: String| {
        let t = t.clone();
        async move {
            http.get(url)
                .bearer_auth(t)
                .send()
                .await
                .expect("get")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let orgs = get(format!("{base}/v8/Organizations")).await;
    let org = orgs["results"][0]["id"].as_str().expect("org").to_string();
    let rs: Value = http
        .post(format!("{base}/v8/Organizations/{org}/explore"))
        .bearer_auth(&t)
        .json(&json!({"type": "Vex"}))
        .send()
        .await
        .expect("explore")
        .json()
        .await
        .expect("session");
    let rs = rs["id"].as_str().expect("session id").to_string();
    let mbs = get(format!("{base}/v8/RestoreSessions/{rs}/organization/mailboxes?limit=5")).await;
    let mb = mbs["results"][0]["id"].as_str().expect("mailbox").to_string();
    let folders = get(format!(
        "{base}/v8/RestoreSessions/{rs}/organization/mailboxes/{mb}/folders?parentId=root"
    ))
    .await;
    let inbox = folders["results"][0]["id"].as_str().expect("inbox").to_string();
    let items = get(format!(
        "{base}/v8/RestoreSessions/{rs}/organization/mailboxes/{mb}/items?parentId={}&limit=2",
        enc(&inbox)
    ))
    .await;
    let ids = items["results"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("item id").to_string())
        .collect();
    s.set_faults(saved);
    (t, rs, mb, inbox, ids)
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn mb_url(s: &SimServer, rs: &str, mb: &str) -> String {
    format!("{}/v8/RestoreSessions/{rs}/organization/mailboxes/{mb}", s.base_url())
}

#[tokio::test]
async fn fault_rate_answers_5xx_with_an_exception_body_and_spares_other_paths() {
    let s = server(Faults::none()).await;
    let http = http();
    let (t, rs, mb, _, _) = setup(&s, &http).await;
    s.set_faults(Faults {
        fault_rate: 1.0,
        ..Faults::none()
    });
    for _ in 0..8 {
        let r = http
            .get(format!("{}/folders", mb_url(&s, &rs, &mb)))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_server_error(), "{}", r.status());
        assert!(
            r.headers()[reqwest::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .contains("json"),
            "a RESTExceptionInfo"
        );
        let j: Value = r.json().await.unwrap();
        assert!(
            j["message"].as_str().is_some_and(|m| m.contains("Injected fault")),
            "{j}"
        );
    }
    // Not the API: untouched (the emulator's own 404), and not counted.
    let before = s.fault_stats();
    let r = http
        .get(format!("{}/_sim/anything", s.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(s.fault_stats().requests, before.requests);
    assert!(before.errors >= 8);
    // The in-process hooks are not faulted either.
    assert!(s.store().restores().is_empty());
    s.shutdown().await;
}

#[tokio::test]
async fn resets_drop_the_connection_before_or_during_the_body() {
    let s = server(Faults::none()).await;
    let http = http();
    let (t, rs, mb, _, _) = setup(&s, &http).await;
    s.set_faults(Faults {
        reset_rate: 1.0,
        seed: 3,
        ..Faults::none()
    });
    let (mut before, mut during) = (0, 0);
    for _ in 0..16 {
        match http
            .get(format!("{}/folders", mb_url(&s, &rs, &mb)))
            .bearer_auth(&t)
            .send()
            .await
        {
            Err(_) => before += 1,
            Ok(r) => {
                assert_eq!(r.status(), 200);
                let declared = r.content_length().expect("a Content-Length");
                assert!(
                    r.bytes().await.is_err(),
                    "the body breaks off ({declared} bytes announced)"
                );
                during += 1;
            }
        }
    }
    assert!(
        before > 0 && during > 0,
        "both kinds happen: {before} before, {during} during"
    );
    assert_eq!(s.fault_stats().resets, 16);
    s.shutdown().await;
}

#[tokio::test]
async fn truncation_announces_more_than_it_sends() {
    let s = server(Faults::none()).await;
    let http = http();
    let (t, rs, mb, _, _) = setup(&s, &http).await;
    s.set_faults(Faults {
        truncate_rate: 1.0,
        ..Faults::none()
    });
    for _ in 0..5 {
        let r = http
            .get(format!("{}/folders", mb_url(&s, &rs, &mb)))
            .bearer_auth(&t)
            .send()
            .await
            .expect("headers arrive");
        assert_eq!(r.status(), 200);
        assert!(r.content_length().unwrap_or(0) > 0);
        assert!(r.bytes().await.is_err(), "a short body is an error, never short data");
    }
    assert_eq!(s.fault_stats().truncated, 5);
    s.shutdown().await;
}

#[tokio::test]
async fn token_throttle_every_other_call_with_retry_after() {
    let s = server(Faults {
        throttle_token: Some(Throttle::Every(2)),
        throttle_retry_after: Duration::from_secs(3),
        ..Faults::none()
    })
    .await;
    let http = http();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = http
            .post(format!("{}/v8/token", s.base_url()))
            .form(&[
                ("grant_type", "password"),
                ("username", "vex"),
                ("password", "vex-demo-password"),
            ])
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            assert_eq!(r.headers()[reqwest::header::RETRY_AFTER], "3");
        }
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [429, 200, 429, 200]);
    assert_eq!(s.fault_stats().throttled, 2);
    s.shutdown().await;
}

#[tokio::test]
async fn reset_after_apply_runs_the_restore_then_drops_the_connection() {
    let s = server(Faults::none()).await;
    let http = http();
    let (t, rs, mb, _, ids) = setup(&s, &http).await;
    s.set_faults(Faults {
        reset_after_apply: ResetAfterApply::First(1),
        ..Faults::none()
    });
    let body = json!({
        "mailbox": s.store().data().orgs[0].mailboxes[5].email, "folder": "Restored", "userName": "admin", "userPassword": "pw",
        "items": [{"id": ids[0]}]
    });
    let url = format!("{}/items/restoreTo", mb_url(&s, &rs, &mb));
    let first = http.post(&url).bearer_auth(&t).json(&body).send().await;
    assert!(first.is_err(), "no answer at all: {first:?}");
    assert_eq!(s.store().restores().len(), 1, "but the restore ran");
    // Only the first: the next one is answered.
    let second = http
        .post(&url)
        .bearer_auth(&t)
        .json(&body)
        .send()
        .await
        .expect("answered");
    assert_eq!(second.status(), 200);
    assert_eq!(s.store().restores().len(), 2);
    assert_eq!(s.fault_stats().reset_after_apply, 1);
    // A refused restore (400) is not "applied": never reset.
    s.set_faults(Faults {
        reset_after_apply: ResetAfterApply::All,
        ..Faults::none()
    });
    let bad = http
        .post(&url)
        .bearer_auth(&t)
        .json(&json!({"items": []}))
        .send()
        .await
        .expect("answered");
    assert_eq!(bad.status(), 400);
    s.shutdown().await;
}

#[tokio::test]
async fn route_filters_limit_the_rate_faults() {
    let s = server(Faults::none()).await;
    let http = http();
    let (t, rs, mb, inbox, _) = setup(&s, &http).await;
    s.set_faults(Faults {
        fault_rate: 1.0,
        routes: vec!["GET folders".into()],
        ..Faults::none()
    });
    let mbu = mb_url(&s, &rs, &mb);
    let folders = http.get(format!("{mbu}/folders")).bearer_auth(&t).send().await.unwrap();
    assert!(folders.status().is_server_error());
    let items = http
        .get(format!("{mbu}/items?parentId={}", enc(&inbox)))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(items.status(), 200);
    s.shutdown().await;
}

#[tokio::test]
async fn the_same_seed_gives_the_same_faults() {
    async fn run(seed: u64) -> (Vec<u16>, FaultStats) {
        let s = server(Faults::none()).await;
        let http = http();
        let (t, rs, mb, _, _) = setup(&s, &http).await;
        s.set_faults(Faults {
            fault_rate: 0.5,
            seed,
            ..Faults::none()
        });
        let mut out = Vec::new();
        for _ in 0..24 {
            let r = http
                .get(format!("{}/folders", mb_url(&s, &rs, &mb)))
                .bearer_auth(&t)
                .send()
                .await
                .unwrap();
            out.push(r.status().as_u16());
        }
        let stats = s.fault_stats();
        s.shutdown().await;
        (out, stats)
    }
    let (a, sa) = run(11).await;
    let (b, sb) = run(11).await;
    let (c, _) = run(12).await;
    assert_eq!(a, b);
    assert_eq!(sa, sb);
    assert_ne!(a, c, "another seed, other faults");
    assert!(a.contains(&200) && a.iter().any(|s| *s >= 500));
}

#[tokio::test]
async fn latency_and_slow_bodies_take_time_but_deliver_everything() {
    let s = server(Faults::none()).await;
    let http = http();
    let (t, rs, mb, _, _) = setup(&s, &http).await;
    let url = format!("{}/folders", mb_url(&s, &rs, &mb));
    let clean = http
        .get(&url)
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    s.set_faults(Faults {
        latency: Some(Duration::from_millis(150)),
        latency_jitter: Duration::from_millis(50),
        ..Faults::none()
    });
    let t0 = Instant::now();
    let r = http.get(&url).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(t0.elapsed() >= Duration::from_millis(150));
    s.set_faults(Faults {
        slow_body: Some(SlowBody {
            chunk: clean.len() / 5 + 1,
            interval: Duration::from_millis(40),
        }),
        ..Faults::none()
    });
    let t0 = Instant::now();
    let r = http.get(&url).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.content_length(), Some(clean.len() as u64));
    let slow = r.bytes().await.expect("complete");
    assert!(t0.elapsed() >= Duration::from_millis(150), "{:?}", t0.elapsed());
    // Same shape (setId differs per answer).
    let (a, b): (Value, Value) = (
        serde_json::from_slice(&clean).unwrap(),
        serde_json::from_slice(&slow).unwrap(),
    );
    assert_eq!(a["results"], b["results"]);
    assert_eq!(s.fault_stats().slowed, 1);
    s.shutdown().await;
}

#[tokio::test]
async fn malformed_bodies_are_served_as_complete_responses() {
    let s = server(Faults::none()).await;
    let http = http();
    let (t, rs, mb, inbox, ids) = setup(&s, &http).await;
    let mbu = mb_url(&s, &rs, &mb);
    let items = format!("{mbu}/items?parentId={}&limit=5", enc(&inbox));
    let clean: Value = http
        .get(&items)
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for kind in Malformation::ALL {
        s.set_faults(Faults {
            malformed_rate: 1.0,
            malformations: vec![kind],
            ..Faults::none()
        });
        let r = http.get(&items).bearer_auth(&t).send().await.unwrap();
        assert_eq!(r.status(), 200, "{kind:?}");
        let body = r.bytes().await.expect("a complete body");
        let same = serde_json::from_slice::<Value>(&body).is_ok_and(|v| v["results"] == clean["results"]);
        assert!(!same, "{kind:?}: the body is damaged");
    }
    // A download gets a kind that applies to bytes.
    s.set_faults(Faults {
        malformed_rate: 1.0,
        ..Faults::none()
    });
    let r = http
        .post(format!("{mbu}/items/exportToPst"))
        .bearer_auth(&t)
        .json(&json!({"items": [{"id": ids[0]}]}))
        .send()
        .await
        .unwrap();
    let ct = r.headers()[reqwest::header::CONTENT_TYPE].to_str().unwrap().to_string();
    let body = r.bytes().await.unwrap();
    assert!(body.is_empty() || ct.contains("html") || ct.contains("json"), "{ct}");
    s.shutdown().await;
}
