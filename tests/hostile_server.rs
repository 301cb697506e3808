//! A hostile server (issue 13), over real HTTP(S) against the emulator's hostile modes: redirects (token,
//! restore, GET; HTTPS → plain HTTP, with a second listener recording whatever reaches it), answers that
//! are too much (rows, bytes, string length, nesting), bodies that trickle or stall, gateways failing a
//! restore, a lost token refresh, damaged 2xx answers. The client's figures, and the real binary's peak
//! memory against each mode, are printed for the README's reliability section.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use secrecy::SecretString;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use vex::api::body::{CUT_MARK, MAX_STRING};
use vex::api::models::*;
use vex::api::tls::sha256;
use vex::api::{
    ApiError, ApiVersion, BodyLimits, Client, ClientConfig, FolderParent, RestoreScope, RetryNotice, RetryPolicy,
    Timeouts, Trust, VersionChoice,
};
use vex::sim::{Faults, Flood, Malformation, ResetAfterApply, SimConfig, SimServer, SlowBody};

const PASSWORD: &str = "vex-demo-password";

async fn sim(tls: bool) -> SimServer {
    vex::install_crypto_provider();
    vex::sim::start(SimConfig {
        tls,
        v8_restore_duration: Duration::from_millis(100),
        ..SimConfig::default()
    })
    .await
    .expect("emulator starts")
}

type Notices = Arc<Mutex<Vec<RetryNotice>>>;

struct Opts {
    v: ApiVersion,
    retries: u32,
    timeouts: Timeouts,
    limits: BodyLimits,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            v: ApiVersion::V8,
            retries: 2,
            timeouts: Timeouts::default(),
            limits: BodyLimits::default(),
        }
    }
}

fn client(server: &SimServer, o: Opts) -> (Client, Notices) {
    let notices: Notices = Arc::default();
    let log = notices.clone();
    let cfg = ClientConfig {
        version: VersionChoice::Fixed(o.v),
        trust: match server.cert_der() {
            Some(der) => Trust::Pin(sha256(der)),
            None => Trust::System,
        },
        timeouts: o.timeouts,
        limits: o.limits,
        retry: RetryPolicy {
            max_retries: o.retries,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(40),
        },
        retry_observer: Some(Arc::new(move |n| log.lock().unwrap().push(n))),
        ..ClientConfig::new(server.base_url())
    };
    (Client::new(cfg).expect("client builds"), notices)
}

async fn login(c: &Client) {
    c.login("vex", &SecretString::from(PASSWORD)).await.expect("login");
}

struct Fixture {
    session: String,
    mailbox: String,
    inbox: String,
    target: String,
    item_ids: Vec<String>,
}

/// Session, first mailbox, its Inbox, a restore target and a few item ids, fetched while no fault is on.
async fn fixture(server: &SimServer, c: &Client) -> Fixture {
    let saved = server.faults();
    server.set_faults(Faults::none());
    let orgs = c.organizations().await.expect("organizations");
    let s = c
        .explore(
            orgs[0].id.as_deref().expect("organization id"),
            &ExploreOptions {
                session_type: Some(SessionType::Vex),
                ..Default::default()
            },
        )
        .await
        .expect("explore");
    let mbs = c.mailboxes(&s.id, 0, 10).await.expect("mailboxes").results;
    let inbox = c
        .all_folders(&s.id, &mbs[0].id, FolderParent::Root)
        .await
        .expect("folders")
        .into_iter()
        .find(|f| f.name.as_deref() == Some("Inbox"))
        .expect("Inbox");
    let item_ids = c
        .items(&s.id, &mbs[0].id, &inbox.id, 0, 5)
        .await
        .expect("items")
        .results
        .into_iter()
        .map(|i| i.id)
        .collect();
    server.set_faults(saved);
    Fixture {
        session: s.id,
        mailbox: mbs[0].id.clone(),
        inbox: inbox.id,
        target: mbs[4].email.clone().expect("target e-mail"),
        item_ids,
    }
}

const RESTORE_PASSWORD: &str = "Exchange-Restore-S3cret";

fn restore_req(f: &Fixture, folder: &str) -> RestoreToRequest {
    RestoreToRequest {
        mailbox: Some(f.target.clone()),
        folder: Some(folder.into()),
        credentials: RestoreCredentials {
            user_name: Some("restore-admin@target.example".into()),
            user_password: Some(SecretString::from(RESTORE_PASSWORD)),
            ..Default::default()
        },
        items: Some(f.item_ids[..2].iter().map(|id| ItemId { id: id.clone() }).collect()),
        ..Default::default()
    }
}

fn no_progress(_: vex::api::RestoreProgress) {}

/// A plain-HTTP listener that records every byte any connection sends it (and answers nothing).
struct Recorder {
    url: String,
    seen: Arc<Mutex<Vec<u8>>>,
    connections: Arc<Mutex<u32>>,
}

async fn recorder() -> Recorder {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen: Arc<Mutex<Vec<u8>>> = Arc::default();
    let connections: Arc<Mutex<u32>> = Arc::default();
    let (s, n) = (seen.clone(), connections.clone());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            *n.lock().unwrap() += 1;
            let s = s.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(Ok(k)) = tokio::time::timeout(Duration::from_secs(2), sock.read(&mut buf)).await {
                    if k == 0 {
                        break;
                    }
                    s.lock().unwrap().extend_from_slice(&buf[..k]);
                }
            });
        }
    });
    Recorder { url, seen, connections }
}

impl Recorder {
    fn seen(&self) -> String {
        String::from_utf8_lossy(&self.seen.lock().unwrap()).into_owned()
    }
    fn connections(&self) -> u32 {
        *self.connections.lock().unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn redirects_are_errors_and_nothing_reaches_where_they_point() {
    let server = sim(true).await;
    let rec = recorder().await;
    // The recorder records (so "nothing reached it" below means something).
    let probe = reqwest::Client::new()
        .post(format!("{}/probe", rec.url))
        .body("recorder-check")
        .timeout(Duration::from_millis(500))
        .send()
        .await;
    assert!(probe.is_err(), "the recorder never answers");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !rec.seen().contains("recorder-check") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(rec.seen().contains("recorder-check"), "the recorder records");
    let before = rec.connections();

    let (c, _) = client(&server, Opts::default());
    // 1. The token endpoint redirects (HTTPS → plain HTTP): the password form must not follow.
    server.set_faults(Faults {
        redirect_to: Some(rec.url.clone()),
        routes: vec!["POST /token".into()],
        ..Faults::none()
    });
    let e = c
        .login("vex", &SecretString::from(PASSWORD))
        .await
        .expect_err("a redirected login fails");
    let ApiError::Redirect { status, location } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*status, 307);
    assert!(
        location.starts_with(&rec.url) && location.ends_with("/v8/token"),
        "{location}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("redirected") && msg.contains(&rec.url) && msg.contains("does not follow"),
        "{msg}"
    );
    assert!(!msg.contains(PASSWORD));

    // 2. A GET and a restore redirect, once logged in.
    server.set_faults(Faults::none());
    login(&c).await;
    let f = fixture(&server, &c).await;
    server.set_faults(Faults {
        redirect_to: Some(rec.url.clone()),
        routes: vec!["GET /items".into(), "POST restoreTo".into()],
        ..Faults::none()
    });
    let e = c.items(&f.session, &f.mailbox, &f.inbox, 0, 10).await.unwrap_err();
    assert!(
        matches!(&e, ApiError::Redirect { status: 307, location } if location.contains("/items")),
        "{e:?}"
    );
    let restores = server.store().restores().len();
    let e = c
        .restore_to(
            &f.session,
            &f.mailbox,
            &RestoreScope::Items,
            &restore_req(&f, "Redirected"),
            &no_progress,
        )
        .await
        .unwrap_err();
    assert!(matches!(&e, ApiError::Redirect { .. }), "{e:?}");
    assert_eq!(server.store().restores().len(), restores, "nothing restored");
    assert_eq!(
        server.fault_stats().redirected,
        3,
        "each was answered by a redirect once (no retry)"
    );
    // Give anything that might have been sent a moment to arrive.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = rec.seen();
    assert_eq!(
        rec.connections(),
        before,
        "no connection reached the redirect's target: {seen}"
    );
    for secret in [PASSWORD, RESTORE_PASSWORD, "Bearer", "grant_type"] {
        assert!(!seen.contains(secret), "{secret} reached the redirect's target");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_names_a_redirect_and_exits_6() {
    let server = sim(true).await;
    let rec = recorder().await;
    server.set_faults(Faults {
        redirect_to: Some(rec.url.clone()),
        routes: vec!["/token".into()],
        ..Faults::none()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let fp = server.fingerprint_sha256().expect("fingerprint");
    let out = vex_cmd(&server, dir.path())
        .args(["--pin", &fp, "sessions", "list"])
        .output()
        .expect("run vex");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(
        err.contains("redirected (307)") && err.contains(&rec.url) && err.contains("does not follow redirects"),
        "{err}"
    );
    assert!(!err.contains(PASSWORD));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rec.connections(), 0, "{}", rec.seen());
    server.shutdown().await;
}

const BIN: &str = env!("CARGO_BIN_EXE_vex");

fn vex_cmd(server: &SimServer, dir: &std::path::Path) -> std::process::Command {
    let mut c = std::process::Command::new(BIN);
    c.args(["--server", server.base_url(), "--user", "vex", "--api", "v8"])
        .env("VEX_PASSWORD", PASSWORD)
        .env("VEX_CONFIG_DIR", dir.join("config"))
        .env("VEX_DATA_DIR", dir.join("data"))
        .env("VEX_STATE_DIR", dir.join("state"))
        .env_remove("VEX_PROFILE")
        .env_remove("VEX_SERVER")
        .env_remove("VEX_USER");
    c
}

#[tokio::test(flavor = "multi_thread")]
async fn too_much_is_refused_or_cut_and_never_retried() {
    let server = sim(false).await;
    let (c, notices) = client(&server, Opts::default());
    login(&c).await;
    let f = fixture(&server, &c).await;
    let items = || c.items(&f.session, &f.mailbox, &f.inbox, 0, 100);

    // A page of 1,000,000 rows where 100 were asked: refused as the 101st arrives.
    server.set_faults(Faults {
        flood: Some(Flood::Rows(1_000_000)),
        routes: vec!["GET /items$".into()],
        ..Faults::none()
    });
    let requests = server.fault_stats().requests;
    let e = items().await.unwrap_err();
    assert!(
        matches!(&e, ApiError::Limit(m) if m.contains("more rows than the 100 asked for")),
        "{e:?}"
    );
    assert_eq!(server.fault_stats().requests, requests + 1, "not retried");

    // Nesting 1,000,000 deep: a damaged answer (retried, a few KiB read each time), then refused.
    server.set_faults(Faults {
        flood: Some(Flood::Deep(1_000_000)),
        routes: vec!["GET /items$".into()],
        ..Faults::none()
    });
    let requests = server.fault_stats().requests;
    let e = items().await.unwrap_err();
    assert!(
        matches!(&e, ApiError::Decode(m) if m.contains("nested deeper than 64")),
        "{e:?}"
    );
    assert_eq!(server.fault_stats().requests, requests + 3, "1 + 2 retries");
    notices.lock().unwrap().clear();

    // 10 MB strings: cut at 64 KiB and marked; the rest of the page is intact.
    server.set_faults(Faults {
        flood: Some(Flood::LongStrings {
            bytes: 10 << 20,
            count: 3,
        }),
        routes: vec!["GET /items$".into()],
        ..Faults::none()
    });
    let page = items().await.expect("a page with long strings is read");
    assert_eq!(page.results.len(), 100);
    let json = serde_json::to_string(&page.results[0]).unwrap();
    let cut = json.matches(CUT_MARK).count();
    assert!(cut >= 1, "{json:.300}");
    assert!(
        json.contains(&format!("{CUT_MARK}{} bytes]", 10 << 20)),
        "the full size is told"
    );
    assert!(json.len() < 3 * (MAX_STRING + 200) + 20_000, "{}", json.len());
    let ids: std::collections::BTreeSet<&str> = page.results.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids.len(), 100, "ids are kept whole");
    assert!(ids.iter().all(|id| !id.contains(CUT_MARK)));

    // A body over the cap: refused (with the cap lowered to 1 MiB; the default is 64 MiB).
    let (small, _) = client(
        &server,
        Opts {
            limits: BodyLimits {
                max_bytes: 1 << 20,
                ..BodyLimits::default()
            },
            ..Opts::default()
        },
    );
    login(&small).await;
    let e = small.items(&f.session, &f.mailbox, &f.inbox, 0, 100).await.unwrap_err();
    assert!(
        matches!(&e, ApiError::Limit(m) if m.contains("larger than 1.0 MiB") && m.contains("max_body_mb")),
        "{e:?}"
    );
    assert!(
        notices.lock().unwrap().is_empty(),
        "nothing was retried: {:?}",
        notices.lock().unwrap()
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hostile_mailboxs_long_values_are_cut_by_default() {
    use vex::sim::hostile::{CROWD, MEGABYTE_SUBJECT};
    let server = sim(false).await;
    let (c, _) = client(&server, Opts::default());
    login(&c).await;
    let f = fixture(&server, &c).await;
    let mbs = vex::api::paging::collect_all(100, |o, l| c.mailboxes(&f.session, o, l))
        .await
        .unwrap();
    let mb = &mbs[50].id;
    let inbox = c
        .all_folders(&f.session, mb, FolderParent::Root)
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.name.as_deref() == Some("Inbox"))
        .unwrap();
    let items = c.items(&f.session, mb, &inbox.id, 0, 100).await.unwrap().results;
    let subject = items[12].title().unwrap();
    assert!(subject.len() <= MAX_STRING + 40, "{}", subject.len());
    assert!(
        subject.ends_with(" bytes]") && subject.contains(CUT_MARK),
        "{:.80}",
        &subject[subject.len() - 60..]
    );
    let full: usize = subject
        .rsplit(CUT_MARK)
        .next()
        .unwrap()
        .trim_end_matches(" bytes]")
        .parse()
        .unwrap();
    assert!(full >= MEGABYTE_SUBJECT);
    let ItemData::Message(m) = &items[17].data else {
        panic!()
    };
    let to = m.to.as_deref().unwrap();
    assert!(to.contains(CUT_MARK) && to.split("; ").count() < CROWD, "{:.100}", to);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trickling_body_finishes_and_a_stalled_one_fails_after_bounded_retries() {
    let server = sim(false).await;
    let stall = Duration::from_millis(1000);
    let (c, notices) = client(
        &server,
        Opts {
            timeouts: Timeouts {
                stall,
                ..Timeouts::default()
            },
            ..Opts::default()
        },
    );
    login(&c).await;
    let f = fixture(&server, &c).await;
    let clean = c.items(&f.session, &f.mailbox, &f.inbox, 0, 30).await.expect("items");
    // About 2.5 KB/s, each piece well within the stall timeout: the page takes several stall timeouts.
    server.set_faults(Faults {
        slow_body: Some(SlowBody {
            chunk: 256,
            interval: Duration::from_millis(100),
        }),
        routes: vec!["GET /items$".into()],
        ..Faults::none()
    });
    let started = Instant::now();
    let slow = c
        .items(&f.session, &f.mailbox, &f.inbox, 0, 30)
        .await
        .expect("a trickle finishes");
    let took = started.elapsed();
    assert_eq!(
        slow.results.iter().map(|i| &i.id).collect::<Vec<_>>(),
        clean.results.iter().map(|i| &i.id).collect::<Vec<_>>()
    );
    assert!(took > stall * 2, "the trickle outlasted two stall timeouts ({took:?})");
    assert!(notices.lock().unwrap().is_empty(), "{:?}", notices.lock().unwrap());
    println!("figure: trickle of a 30-item page at ~2.5 KB/s finished in {took:?} under a {stall:?} stall timeout");

    // A body that stops for longer than the stall timeout: an error after 1 + 2 attempts, never a loop.
    server.set_faults(Faults {
        slow_body: Some(SlowBody {
            chunk: 256,
            interval: Duration::from_secs(5),
        }),
        routes: vec!["GET /items$".into()],
        ..Faults::none()
    });
    let requests = server.fault_stats().requests;
    let e = c.items(&f.session, &f.mailbox, &f.inbox, 0, 30).await.unwrap_err();
    assert!(matches!(&e, ApiError::Timeout(m) if m.contains("stalled")), "{e:?}");
    assert_eq!(server.fault_stats().requests, requests + 3, "bounded retries");
    assert_eq!(notices.lock().unwrap().len(), 2);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn restores_are_waited_for_past_the_stall_timeout_and_gateways_make_them_unknown() {
    let server = sim(false).await;
    for v in [ApiVersion::V6, ApiVersion::V8] {
        let (c, _) = client(
            &server,
            Opts {
                v,
                timeouts: Timeouts {
                    stall: Duration::from_millis(500),
                    ..Timeouts::default()
                },
                ..Opts::default()
            },
        );
        login(&c).await;
        let f = fixture(&server, &c).await;
        // The server works on the restore for three stall timeouts before answering: still waited for.
        server.set_faults(Faults {
            latency: Some(Duration::from_millis(1500)),
            routes: vec!["POST restoreTo".into()],
            ..Faults::none()
        });
        let o = c
            .restore_to(
                &f.session,
                &f.mailbox,
                &RestoreScope::Items,
                &restore_req(&f, &format!("Slow {v}")),
                &no_progress,
            )
            .await
            .unwrap_or_else(|e| panic!("{v}: a slow restore is waited for: {e}"));
        assert_eq!(o.created, 2, "{v}");

        // Gateway errors: outcome unknown; the server's own 500: a plain error. Never resent.
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..60u64 {
            if seen.len() == 4 {
                break;
            }
            server.set_faults(Faults {
                seed,
                fault_rate: 1.0,
                routes: vec!["POST restoreTo".into()],
                ..Faults::none()
            });
            let requests = server.fault_stats().requests;
            let e = c
                .restore_to(
                    &f.session,
                    &f.mailbox,
                    &RestoreScope::Items,
                    &restore_req(&f, "Gateway"),
                    &no_progress,
                )
                .await
                .unwrap_err();
            assert_eq!(server.fault_stats().requests, requests + 1, "{v}: sent once");
            match &e {
                ApiError::Http { status: 500, .. } => {
                    seen.insert(500);
                }
                ApiError::OutcomeUnknown(m) => {
                    let status = [502, 503, 504]
                        .into_iter()
                        .find(|s| m.contains(&format!("server error {s}")));
                    let status = status.unwrap_or_else(|| panic!("{v}: {m}"));
                    assert!(m.contains("gateway") && m.contains("session's events"), "{m}");
                    seen.insert(status);
                }
                other => panic!("{v}: {other:?}"),
            }
        }
        assert_eq!(seen.len(), 4, "{v}: saw {seen:?}");

        // A restore whose answer stalls after it started: unknown, not failed.
        server.set_faults(Faults {
            slow_body: Some(SlowBody {
                chunk: 5,
                interval: Duration::from_secs(3),
            }),
            routes: vec!["POST restoreTo".into()],
            ..Faults::none()
        });
        let restores = server.store().restores().len();
        let e = c
            .restore_to(
                &f.session,
                &f.mailbox,
                &RestoreScope::Items,
                &restore_req(&f, "Stalled"),
                &no_progress,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ApiError::OutcomeUnknown(m) if m.contains("stalled")),
            "{v}: {e:?}"
        );
        assert_eq!(server.store().restores().len(), restores + 1, "{v}: applied once");

        // A cap on the wait for the answer to start (long_wait): a timeout there is unknown too.
        let (capped, _) = client(
            &server,
            Opts {
                v,
                timeouts: Timeouts {
                    long_wait: Some(Duration::from_millis(300)),
                    ..Timeouts::default()
                },
                ..Opts::default()
            },
        );
        login(&capped).await;
        server.set_faults(Faults {
            latency: Some(Duration::from_millis(1500)),
            routes: vec!["POST restoreTo".into()],
            ..Faults::none()
        });
        let e = capped
            .restore_to(
                &f.session,
                &f.mailbox,
                &RestoreScope::Items,
                &restore_req(&f, "Capped"),
                &no_progress,
            )
            .await
            .unwrap_err();
        assert!(matches!(&e, ApiError::OutcomeUnknown(_)), "{v}: {e:?}");
        server.set_faults(Faults::none());
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_refresh_is_followed_by_a_fresh_login_from_the_password_source() {
    let server = sim(false).await;
    let (c, _) = client(&server, Opts::default());
    login(&c).await;
    let f = fixture(&server, &c).await;
    server.set_faults(Faults {
        lose_refresh: ResetAfterApply::All,
        ..Faults::none()
    });
    // Without a password source: the session ends (the old behaviour, kept when nothing can be asked).
    let e = c.refresh().await.unwrap_err();
    assert!(matches!(&e, ApiError::Auth(_)), "{e:?}");
    assert!(server.fault_stats().lost_refreshes >= 1);

    // With one: the refresh is retried, then a fresh login; calls go on.
    let (c, notices) = client(&server, Opts::default());
    login(&c).await;
    let asked = Arc::new(Mutex::new(0u32));
    let n = asked.clone();
    c.set_password_source(
        "vex",
        Arc::new(move || {
            *n.lock().unwrap() += 1;
            Ok(SecretString::from(PASSWORD))
        }),
    );
    let lost = server.fault_stats().lost_refreshes;
    let logins = server.fault_stats().password_logins;
    for round in 0..3 {
        c.refresh().await.unwrap_or_else(|e| panic!("round {round}: {e}"));
        let page = c.items(&f.session, &f.mailbox, &f.inbox, 0, 5).await.expect("items");
        assert_eq!(page.results.len(), 5);
    }
    let stats = server.fault_stats();
    assert!(stats.lost_refreshes >= lost + 3, "{stats:?}");
    assert_eq!(stats.password_logins, logins + 3, "{stats:?}");
    assert_eq!(*asked.lock().unwrap(), 3, "the password was asked again each time");
    assert!(
        notices.lock().unwrap().iter().any(|n| n.what == "login"),
        "the lost refresh was retried first: {:?}",
        notices.lock().unwrap()
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn vex_items_all_goes_on_through_lost_refreshes() {
    vex::install_crypto_provider();
    let server = vex::sim::start(SimConfig {
        tls: false,
        token_ttl: Duration::from_secs(3),
        ..SimConfig::default()
    })
    .await
    .expect("emulator");
    let (c, _) = client(&server, Opts::default());
    login(&c).await;
    let f = fixture(&server, &c).await;
    // Every page takes 150 ms, so the listing (2,600 items, 100 a page) outlives several tokens; every
    // refresh answer is lost.
    server.set_faults(Faults {
        latency: Some(Duration::from_millis(150)),
        routes: vec!["GET /items$".into()],
        lose_refresh: ResetAfterApply::All,
        ..Faults::none()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = vex_cmd(&server, dir.path())
        .args([
            "items",
            "--session",
            &f.session,
            "--mailbox",
            &f.mailbox,
            "--folder",
            &f.inbox,
            "--all",
            "--jsonl",
        ])
        .output()
        .expect("run vex");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let rows = String::from_utf8_lossy(&out.stdout).lines().count();
    let stats = server.fault_stats();
    server.set_faults(Faults::none());
    let total = c.count_items(&f.session, &f.mailbox, &f.inbox).await.expect("count");
    assert_eq!(rows as u64, total, "every item listed");
    assert!(stats.lost_refreshes >= 1, "a refresh was lost on the way: {stats:?}");
    assert!(stats.password_logins >= 1, "and a fresh login followed: {stats:?}");
    println!(
        "figure: vex items --all listed {rows} items through {} lost refreshes ({} fresh logins)",
        stats.lost_refreshes, stats.password_logins
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn damaged_answers_are_retried_and_an_item_without_id_is_an_error() {
    let server = sim(false).await;
    let (c, notices) = client(
        &server,
        Opts {
            retries: 6,
            ..Opts::default()
        },
    );
    login(&c).await;
    let f = fixture(&server, &c).await;
    let clean = c.item(&f.session, &f.mailbox, &f.item_ids[0]).await.expect("item");
    // Half of the answers damaged: retried like a 5xx until a good one comes.
    server.set_faults(Faults {
        seed: 7,
        malformed_rate: 0.5,
        malformations: vec![
            Malformation::TruncatedJson,
            Malformation::Html,
            Malformation::Empty,
            Malformation::NullsEverywhere,
        ],
        routes: vec!["GET /items/".into()],
        ..Faults::none()
    });
    for id in &f.item_ids {
        let got = c
            .item(&f.session, &f.mailbox, id)
            .await
            .expect("a good answer in the end");
        assert_eq!(&got.id, id);
    }
    assert_eq!(c.item(&f.session, &f.mailbox, &f.item_ids[0]).await.unwrap(), clean);
    let damaged = server.fault_stats().malformed;
    assert!(damaged >= 1, "the seed damaged some answers");
    assert!(
        notices
            .lock()
            .unwrap()
            .iter()
            .any(|n| n.error.contains("unexpected response")),
        "{:?}",
        notices.lock().unwrap()
    );
    // Always damaged (every value null): an error after the retries, never `{"id": ""}`.
    server.set_faults(Faults {
        malformed_rate: 1.0,
        malformations: vec![Malformation::NullsEverywhere],
        routes: vec!["GET /items/".into()],
        ..Faults::none()
    });
    let requests = server.fault_stats().requests;
    let e = c.item(&f.session, &f.mailbox, &f.item_ids[0]).await.unwrap_err();
    assert!(
        matches!(&e, ApiError::Decode(m) if m.contains("without an id")),
        "{e:?}"
    );
    assert_eq!(server.fault_stats().requests, requests + 7, "1 + 6 retries");

    // The CLI: exit 1 (an unexpected answer), nothing on stdout.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = vex_cmd(&server, dir.path())
        .args([
            "item",
            "--session",
            &f.session,
            "--mailbox",
            &f.mailbox,
            &f.item_ids[0],
            "--json",
        ])
        .output()
        .expect("run vex");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("without an id"), "{err}");
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    server.shutdown().await;
}

/// The peak resident memory (VmHWM, KiB) of a running process, while it runs.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Runs the real binary to the end, sampling its peak memory; returns (exit code, stderr, peak MiB).
fn run_measured(mut cmd: std::process::Command) -> (Option<i32>, String, f64) {
    use std::io::Read;
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn vex");
    let pid = child.id();
    let mut peak = 0u64;
    let deadline = Instant::now() + Duration::from_secs(240);
    let status = loop {
        if let Some(k) = vm_hwm_kib(pid) {
            peak = peak.max(k);
        }
        match child.try_wait().expect("wait") {
            Some(s) => break s,
            None if Instant::now() > deadline => {
                let _ = child.kill();
                panic!("vex did not finish within 240 s");
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    (status.code(), err, peak as f64 / 1024.0)
}

/// The largest peak memory of any child process of this test process that was waited for (MiB): the
/// kernel's own account, which no sampling can miss.
fn children_max_rss_mib() -> f64 {
    // SAFETY: getrusage writes into the struct we pass and reads nothing else.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    assert_eq!(rc, 0);
    u.ru_maxrss as f64 / 1024.0
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_stays_small_against_each_hostile_mode() {
    let server = sim(false).await;
    let (c, _) = client(&server, Opts::default());
    login(&c).await;
    let f = fixture(&server, &c).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let modes: Vec<(&str, Faults, Option<i32>)> = vec![
        (
            "1,000,000 rows where 100 were asked",
            Faults {
                flood: Some(Flood::Rows(1_000_000)),
                ..Faults::none()
            },
            Some(1),
        ),
        (
            "10 MB strings (3 per page)",
            Faults {
                flood: Some(Flood::LongStrings {
                    bytes: 10 << 20,
                    count: 3,
                }),
                ..Faults::none()
            },
            Some(0),
        ),
        (
            "nesting 1,000,000 deep",
            Faults {
                flood: Some(Flood::Deep(1_000_000)),
                ..Faults::none()
            },
            Some(1),
        ),
        (
            "a trickling body (~20 KB/s)",
            Faults {
                slow_body: Some(SlowBody::bytes_per_sec(20_000)),
                ..Faults::none()
            },
            Some(0),
        ),
    ];
    for (what, faults, want) in modes {
        server.set_faults(Faults {
            routes: vec!["GET /items$".into()],
            ..faults
        });
        let mut cmd = vex_cmd(&server, dir.path());
        cmd.args([
            "items",
            "--session",
            &f.session,
            "--mailbox",
            &f.mailbox,
            "--folder",
            &f.inbox,
            "--limit",
            "100",
            "--json",
        ]);
        let started = Instant::now();
        let (code, err, sampled) = run_measured(cmd);
        assert_eq!(code, want, "{what}: {err}");
        let peak = children_max_rss_mib();
        println!(
            "figure: vex items against {what}: exit {code:?} in {:?}, peak RSS sampled {sampled:.1} MiB (largest child so far {peak:.1} MiB)",
            started.elapsed()
        );
        assert!(peak < 256.0, "{what}: {peak:.1} MiB");
        assert!(sampled > 1.0, "{what}: the sampling saw the process");
    }
    server.shutdown().await;
}

/// Milliseconds: (median, max).
fn spread(ms: &mut [f64]) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    (ms[ms.len() / 2], ms[ms.len() - 1])
}

/// Sends `code` and runs the loop until `moved` holds for a drawn state: the key's latency (ms).
async fn timed_key(
    h: &mut support::app::AppHarness,
    code: crossterm::event::KeyCode,
    moved: impl FnMut(&vex::app::State) -> bool,
) -> f64 {
    let t = Instant::now();
    h.key(code);
    h.until("the key's effect", moved).await;
    t.elapsed().as_secs_f64() * 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tui_answers_keys_against_each_hostile_mode() {
    use crossterm::event::KeyCode;
    use support::app::{AppHarness, Setup};
    use vex::app::Level;
    let mut h = AppHarness::launch(Setup {
        size: (160, 40),
        wait: Duration::from_secs(90),
        ..Default::default()
    })
    .await;
    h.open_working_contoso().await;
    h.open_mailbox().await;
    let folders = |s: &vex::app::State| s.folders.as_ref().map(|f| f.cursor).unwrap_or(usize::MAX);
    let modes: Vec<(&str, Option<Faults>)> = vec![
        ("no fault (baseline)", None),
        (
            "1,000,000 rows in a page",
            Some(Faults {
                flood: Some(Flood::Rows(1_000_000)),
                ..Faults::none()
            }),
        ),
        (
            "10 MB strings",
            Some(Faults {
                flood: Some(Flood::LongStrings {
                    bytes: 10 << 20,
                    count: 3,
                }),
                ..Faults::none()
            }),
        ),
        (
            "nesting 1,000,000 deep",
            Some(Faults {
                flood: Some(Flood::Deep(1_000_000)),
                ..Faults::none()
            }),
        ),
        (
            "a trickling body",
            Some(Faults {
                slow_body: Some(SlowBody::bytes_per_sec(20_000)),
                ..Faults::none()
            }),
        ),
    ];
    let mut baseline = 0.0;
    for (what, faults) in modes {
        server_faults(&h, faults);
        let mut ms = Vec::new();
        // Open the Inbox: the hostile answer starts coming; go back and move in the folders meanwhile.
        let inbox = h.state().folders.as_ref().map(|f| f.cursor).expect("folders");
        h.key(KeyCode::Enter);
        h.until("the items pane", |s| s.focus == Level::Items).await;
        // Loaded afresh (the pane keeps what it loaded before).
        let hit = |h: &support::app::AppHarness| {
            let st = h.server.fault_stats();
            st.flooded + st.slowed
        };
        let before = hit(&h);
        h.ctrl('r');
        ms.push(timed_key(&mut h, KeyCode::Esc, |s| s.focus == Level::Folders).await);
        for _ in 0..8 {
            let at = folders(h.state());
            ms.push(timed_key(&mut h, KeyCode::Down, move |s| folders(s) == at + 1).await);
            ms.push(timed_key(&mut h, KeyCode::Up, move |s| folders(s) == at).await);
        }
        assert_eq!(folders(h.state()), inbox);
        // Back in the items: once the answer is in (read or refused), move through them.
        ms.push(timed_key(&mut h, KeyCode::Enter, |s| s.focus == Level::Items).await);
        h.until("the answer", |s| {
            s.items
                .as_ref()
                .is_some_and(|i| !i.is_loading() && (i.selected().is_some() || i.error.is_some()))
        })
        .await;
        let loaded = h.state().items.as_ref().is_some_and(|i| i.selected().is_some());
        if loaded {
            for _ in 0..8 {
                let at = h.state().items.as_ref().map(|i| i.cursor).unwrap_or(0);
                ms.push(
                    timed_key(&mut h, KeyCode::Down, move |s| {
                        s.items.as_ref().is_some_and(|i| i.cursor == at + 1)
                    })
                    .await,
                );
            }
        } else {
            let err = h
                .state()
                .items
                .as_ref()
                .and_then(|i| i.error.clone())
                .unwrap_or_default();
            assert!(
                err.contains("refused the answer") || err.contains("nested deeper"),
                "{what}: {err}"
            );
        }
        if !faults_is_baseline(what) {
            assert!(hit(&h) > before, "{what}: the hostile answers were served");
        }
        let (p50, max) = spread(&mut ms);
        println!(
            "figure: TUI keys against {what}: {} keys, median {p50:.1} ms, max {max:.1} ms ({})",
            ms.len(),
            if loaded { "items shown" } else { "answer refused" }
        );
        if faults_is_baseline(what) {
            baseline = p50;
        } else {
            // Generous on a loaded 2-core machine: the issue measured 3 s per key here.
            assert!(
                p50 <= (4.0 * baseline).max(50.0),
                "{what}: median {p50:.1} ms (baseline {baseline:.1})"
            );
            assert!(max < 1000.0, "{what}: max {max:.1} ms");
        }
        ms.clear();
        h.key(KeyCode::Esc);
        h.until("the folders", |s| s.focus == Level::Folders).await;
    }
}

fn faults_is_baseline(what: &str) -> bool {
    what.contains("baseline")
}

fn server_faults(h: &support::app::AppHarness, faults: Option<Faults>) {
    h.server.set_faults(match faults {
        Some(f) => Faults {
            routes: vec!["GET /items$".into()],
            ..f
        },
        None => Faults::none(),
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn the_stall_timeout_comes_from_the_flag_or_the_profile() {
    let server = sim(false).await;
    let (c, _) = client(&server, Opts::default());
    login(&c).await;
    let f = fixture(&server, &c).await;
    // Every item list stops for 30 s after its first bytes: only a short stall timeout ends it soon.
    server.set_faults(Faults {
        slow_body: Some(SlowBody {
            chunk: 64,
            interval: Duration::from_secs(30),
        }),
        routes: vec!["GET /items$".into()],
        ..Faults::none()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let items = [
        "items",
        "--session",
        &f.session,
        "--mailbox",
        &f.mailbox,
        "--folder",
        &f.inbox,
        "--json",
    ];
    // The flag.
    let started = Instant::now();
    let out = vex_cmd(&server, dir.path())
        .args(["--stall-timeout", "1"])
        .args(items)
        .output()
        .expect("run vex");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(err.contains("stalled: no data for 1 s"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(25), "{:?}", started.elapsed());
    // The profile.
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(
        dir.path().join("config/config.toml"),
        "default_profile = \"p\"\n[profiles.p]\nstall_timeout = 1\nmax_body_mb = 32\n",
    )
    .unwrap();
    let out = vex_cmd(&server, dir.path()).args(items).output().expect("run vex");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(err.contains("stalled: no data for 1 s"), "{err}");
    // Zero is a usage error, from either place, before anything is sent.
    let requests = server.fault_stats().requests;
    let out = vex_cmd(&server, dir.path())
        .args(["--stall-timeout", "0"])
        .args(items)
        .output()
        .expect("run vex");
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(
        dir.path().join("config/config.toml"),
        "default_profile = \"p\"\n[profiles.p]\nstall_timeout = 0\n",
    )
    .unwrap();
    let out = vex_cmd(&server, dir.path()).args(items).output().expect("run vex");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("stall_timeout"), "{err}");
    assert_eq!(server.fault_stats().requests, requests, "nothing was sent");
    server.shutdown().await;
}
