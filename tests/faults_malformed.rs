//! Malformed bodies per kind of endpoint — token, list pages, single resources, items, restore results
//! (v7 synchronous, v8 asynchronous), v8 statistics, events, export — for every kind of damage the
//! emulator's fault layer makes (bad JSON, HTML, empty, wrong types, nulls everywhere, unknown enum values,
//! unknown item classes, wrong shape, deep nesting, huge numbers, JSON instead of bytes).
//!
//! The client answers each with an error, or with what it can leniently read; it never panics, never
//! hangs, never invents restore counts, and its error messages stay one short, printable line.

use secrecy::SecretString;
use std::time::Duration;
use vex::api::models::*;
use vex::api::{ApiError, ApiVersion, Client, ClientConfig, FolderParent, RestoreScope, RetryPolicy, VersionChoice};
use vex::sim::{Faults, Malformation, SimConfig, SimServer};

async fn sim() -> SimServer {
    vex::install_crypto_provider();
    vex::sim::start(SimConfig {
        tls: false,
        v8_restore_duration: Duration::from_millis(50),
        ..SimConfig::default()
    })
    .await
    .expect("emulator starts")
}

fn client(server: &SimServer, v: ApiVersion) -> Client {
    Client::new(ClientConfig {
        version: VersionChoice::Fixed(v),
        retry: RetryPolicy {
            max_retries: 1,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        },
        ..ClientConfig::new(server.base_url())
    })
    .expect("client")
}

async fn login(c: &Client) -> Result<(), ApiError> {
    c.login("vex", &SecretString::from("vex-demo-password")).await
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endpoint {
    Token,
    Organizations,
    Sessions,
    Mailboxes,
    Folders,
    Folder,
    Items,
    Item,
    Events,
    Restore,
    Statistics,
    /// A v8 restore whose polled events are damaged.
    PolledEvents,
    Export,
}

impl Endpoint {
    const ALL: [Endpoint; 13] = [
        Endpoint::Token,
        Endpoint::Organizations,
        Endpoint::Sessions,
        Endpoint::Mailboxes,
        Endpoint::Folders,
        Endpoint::Folder,
        Endpoint::Items,
        Endpoint::Item,
        Endpoint::Events,
        Endpoint::Restore,
        Endpoint::Statistics,
        Endpoint::PolledEvents,
        Endpoint::Export,
    ];

    /// The fault layer's route pattern for the endpoint alone.
    fn route(self) -> &'static str {
        match self {
            Endpoint::Token => "POST /token$",
            Endpoint::Organizations => "GET /Organizations$",
            Endpoint::Sessions => "GET /RestoreSessions$",
            Endpoint::Mailboxes => "GET /organization/mailboxes$",
            Endpoint::Folders => "GET /folders$",
            Endpoint::Folder => "GET /folders/",
            Endpoint::Items => "GET /items$",
            Endpoint::Item => "GET /items/",
            Endpoint::Events | Endpoint::PolledEvents => "GET /Events$",
            Endpoint::Restore => "POST restoreTo$",
            Endpoint::Statistics => "GET /Statistics$",
            Endpoint::Export => "POST exportToPst$",
        }
    }
}

struct Fixture {
    session: String,
    mailbox: String,
    inbox: String,
    target: String,
    items: Vec<Item>,
}

async fn fixture(c: &Client) -> Fixture {
    let org = c.organizations().await.unwrap()[0].id.clone().unwrap();
    let s = c
        .explore(
            &org,
            &ExploreOptions {
                session_type: Some(SessionType::Vex),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mbs = c.mailboxes(&s.id, 0, 10).await.unwrap().results;
    let inbox = c
        .all_folders(&s.id, &mbs[0].id, FolderParent::Root)
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.name.as_deref() == Some("Inbox"))
        .unwrap();
    let items = c.items(&s.id, &mbs[0].id, &inbox.id, 0, 20).await.unwrap().results;
    Fixture {
        session: s.id,
        mailbox: mbs[0].id.clone(),
        inbox: inbox.id,
        target: mbs[4].email.clone().unwrap(),
        items,
    }
}

fn restore_req(f: &Fixture, folder: String) -> RestoreToRequest {
    RestoreToRequest {
        mailbox: Some(f.target.clone()),
        folder: Some(folder),
        credentials: RestoreCredentials {
            user_name: Some("admin".into()),
            user_password: Some(SecretString::from("pw")),
            ..Default::default()
        },
        items: Some(f.items[..2].iter().map(|i| ItemId { id: i.id.clone() }).collect()),
        ..Default::default()
    }
}

/// What one call gave: `Ok` with a short description of what was read, or the error.
type Outcome = Result<String, ApiError>;

async fn call(c: &Client, f: &Fixture, e: Endpoint, n: usize, dir: &std::path::Path) -> Outcome {
    match e {
        Endpoint::Token => {
            let fresh = Client::new(ClientConfig {
                version: VersionChoice::Fixed(c.version().unwrap()),
                ..ClientConfig::new(c.base_url())
            })
            .unwrap();
            login(&fresh).await?;
            // Whatever it read, the login it holds works (or fails cleanly).
            fresh
                .organizations()
                .await
                .map(|o| format!("login, {} organizations", o.len()))
        }
        Endpoint::Organizations => c.organizations().await.map(|o| format!("{} organizations", o.len())),
        Endpoint::Sessions => c
            .restore_sessions(0, 50, None)
            .await
            .map(|p| format!("{} sessions", p.results.len())),
        Endpoint::Mailboxes => c
            .mailboxes(&f.session, 0, 60)
            .await
            .map(|p| format!("{} mailboxes", p.results.len())),
        Endpoint::Folders => c
            .all_folders(&f.session, &f.mailbox, FolderParent::Root)
            .await
            .map(|v| format!("{} folders", v.len())),
        Endpoint::Folder => c
            .folder(&f.session, &f.mailbox, &f.inbox)
            .await
            .map(|x| format!("folder {:?}", x.name)),
        Endpoint::Items => c
            .items(&f.session, &f.mailbox, &f.inbox, 0, 20)
            .await
            .map(|p| format!("{} items", p.results.len())),
        Endpoint::Item => c
            .item(&f.session, &f.mailbox, &f.items[0].id)
            .await
            .map(|i| format!("item of kind {:?}", i.kind())),
        Endpoint::Events => c
            .all_session_events(&f.session)
            .await
            .map(|v| format!("{} events", v.len())),
        Endpoint::Restore | Endpoint::Statistics | Endpoint::PolledEvents => {
            let req = restore_req(f, format!("Malformed {n}"));
            c.restore_to(&f.session, &f.mailbox, &RestoreScope::Items, &req, &|_| {})
                .await
                .map(|o| {
                    format!(
                        "{} created, {} merged, {} skipped, {} failed",
                        o.created, o.merged, o.skipped, o.failed
                    )
                })
        }
        Endpoint::Export => {
            let dest = dir.join(format!("export-{n}.pst"));
            let opts = ExportOptions {
                items: Some(vec![ItemId {
                    id: f.items[0].id.clone(),
                }]),
                ..Default::default()
            };
            c.export_pst(&f.session, &f.mailbox, &RestoreScope::Items, &opts, &dest, &|_| {})
                .await
                .map(|n| format!("{n} bytes"))
        }
    }
}

fn check_error_text(what: &str, e: &ApiError) {
    let text = e.to_string();
    assert!(
        !text.chars().any(|c| c.is_control()),
        "{what}: the error is one printable line: {text:?}"
    );
    assert!(
        text.chars().count() < 2_000,
        "{what}: a short error ({} chars)",
        text.chars().count()
    );
}

async fn run_version(v: ApiVersion) {
    let server = sim().await;
    let c = client(&server, v);
    login(&c).await.unwrap();
    let f = fixture(&c).await;
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    let mut table = Vec::new();
    for e in Endpoint::ALL {
        if matches!(e, Endpoint::Statistics | Endpoint::PolledEvents) && v != ApiVersion::V8 {
            continue;
        }
        for kind in Malformation::ALL {
            n += 1;
            server.set_faults(Faults {
                malformed_rate: 1.0,
                malformations: vec![kind],
                routes: vec![e.route().to_string()],
                ..Faults::none()
            });
            let restores_before = server.store().restores().len();
            let what = format!("{v} {e:?} {kind:?}");
            // Lenient readings of damaged events can leave a v8 restore without a Restore event to wait
            // for: it is polled (cancellably) for `NO_RESTORE_EVENT_GRACE`; here the call is cut short.
            let limit = if e == Endpoint::PolledEvents { 2 } else { 20 };
            let out = tokio::time::timeout(Duration::from_secs(limit), call(&c, &f, e, n, dir.path())).await;
            let out: Outcome = match out {
                Ok(o) => o,
                Err(_) => {
                    assert_eq!(
                        e,
                        Endpoint::PolledEvents,
                        "{what}: only event polling may take its time"
                    );
                    Err(ApiError::Cancelled)
                }
            };
            let malformed = server.fault_stats().malformed;
            if let Err(err) = &out {
                check_error_text(&what, err);
                assert!(
                    !matches!(err, ApiError::Http { .. }),
                    "{what}: the server said 200, the client must not report an HTTP error: {err:?}"
                );
            }
            match e {
                Endpoint::Restore | Endpoint::Statistics | Endpoint::PolledEvents => {
                    assert_eq!(
                        server.store().restores().len(),
                        restores_before + 1,
                        "{what}: sent once"
                    );
                    match &out {
                        Ok(s) => assert!(
                            s.starts_with("2 created") || s.starts_with("0 created, 0 merged, 2 skipped"),
                            "{what}: a lenient reading must still be the true counts: {s}"
                        ),
                        Err(err) => assert!(
                            matches!(err, ApiError::OutcomeUnknown(_) | ApiError::Cancelled),
                            "{what}: a restore with an unreadable answer is OutcomeUnknown: {err:?}"
                        ),
                    }
                }
                Endpoint::Export => {
                    if kind == Malformation::Empty
                        || kind == Malformation::Html
                        || kind == Malformation::JsonInsteadOfBytes
                    {
                        assert!(out.is_err(), "{what}: {out:?}");
                    }
                    let left: Vec<_> = std::fs::read_dir(dir.path())
                        .unwrap()
                        .map(|d| d.unwrap().file_name().to_string_lossy().to_string())
                        .filter(|name| name.ends_with(".part"))
                        .collect();
                    assert!(left.is_empty(), "{what}: partial files left: {left:?}");
                }
                _ => {}
            }
            // Kinds that cannot be read at all are errors everywhere.
            if matches!(
                kind,
                Malformation::TruncatedJson | Malformation::Html | Malformation::Empty | Malformation::DeepNesting
            ) && e != Endpoint::Export
            {
                assert!(out.is_err(), "{what}: {out:?}");
            }
            // An error body sent with status 200 is no list.
            if kind == Malformation::JsonInsteadOfBytes
                && matches!(
                    e,
                    Endpoint::Organizations
                        | Endpoint::Sessions
                        | Endpoint::Mailboxes
                        | Endpoint::Folders
                        | Endpoint::Items
                        | Endpoint::Events
                )
            {
                assert!(out.is_err(), "{what}: {out:?}");
            }
            table.push(format!(
                "{what}: {}{}",
                match &out {
                    Ok(s) => format!("ok ({s})"),
                    Err(err) => format!("error ({err})"),
                },
                if malformed == 0 { " [no damage applied]" } else { "" }
            ));
            server.set_faults(Faults::none());
        }
    }
    // For the record, in the test's output (`--nocapture`).
    for line in &table {
        println!("{}", line.chars().take(200).collect::<String>());
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_bodies_v8() {
    run_version(ApiVersion::V8).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_bodies_v7() {
    run_version(ApiVersion::V7).await;
}

/// Each damage is really applied where the test says (the fault layer's counter moves).
#[tokio::test(flavor = "multi_thread")]
async fn the_damage_reaches_each_endpoint() {
    let server = sim().await;
    let c = client(&server, ApiVersion::V8);
    login(&c).await.unwrap();
    let f = fixture(&c).await;
    let dir = tempfile::tempdir().unwrap();
    for (n, e) in Endpoint::ALL.into_iter().enumerate() {
        server.set_faults(Faults {
            malformed_rate: 1.0,
            malformations: vec![Malformation::Empty],
            routes: vec![e.route().to_string()],
            ..Faults::none()
        });
        let before = server.fault_stats().malformed;
        let _ = tokio::time::timeout(Duration::from_secs(5), call(&c, &f, e, 1000 + n, dir.path())).await;
        assert!(
            server.fault_stats().malformed > before,
            "{e:?}: the route pattern {} matched",
            e.route()
        );
    }
    server.shutdown().await;
}
