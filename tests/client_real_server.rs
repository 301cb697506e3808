//! Issue 12, the client half: what a real VB365 server expects of the client and what it may answer,
//! against the emulator over real HTTP. Nothing here mocks the client.

use secrecy::SecretString;
use std::time::Duration;
use vex::api::models::*;
use vex::api::{ApiVersion, Client, ClientConfig, FolderParent, RestoreScope, SearchScope, Trust, VersionChoice};
use vex::sim::{Faults, Malformation, SimConfig, SimServer};

const VERSIONS: [ApiVersion; 3] = [ApiVersion::V6, ApiVersion::V7, ApiVersion::V8];

async fn sim() -> (SimServer, SimConfig) {
    vex::install_crypto_provider();
    let cfg = SimConfig {
        tls: false,
        v8_restore_duration: Duration::from_millis(150),
        ..Default::default()
    };
    let server = vex::sim::start(cfg.clone()).await.expect("emulator starts");
    (server, cfg)
}

async fn logged_in(server: &SimServer, cfg: &SimConfig, v: ApiVersion) -> Client {
    let c = Client::new(ClientConfig {
        version: VersionChoice::Fixed(v),
        trust: Trust::System,
        ..ClientConfig::new(server.base_url())
    })
    .expect("client builds");
    c.login(&cfg.user, &SecretString::from(cfg.password.clone()))
        .await
        .expect("login");
    c
}

async fn session(c: &Client) -> RestoreSession {
    let orgs = c.organizations().await.expect("organizations");
    let org = orgs[0].id.clone().expect("organization id");
    let opts = ExploreOptions {
        session_type: Some(SessionType::Vex),
        show_deleted: Some(true),
        show_all_versions: Some(true),
        ..Default::default()
    };
    c.explore(&org, &opts).await.expect("explore")
}

async fn inbox_of(c: &Client, sid: &str, mid: &str) -> Folder {
    c.all_folders(sid, mid, FolderParent::Root)
        .await
        .expect("root folders")
        .into_iter()
        .find(|f| f.name.as_deref() == Some("Inbox"))
        .expect("an Inbox")
}

/// `extendedView=true` on every version: the organizations come with their backup times (the
/// new-session dialog needs them; v7/v8 leave them out by default, v6 requires the parameter).
#[tokio::test(flavor = "multi_thread")]
async fn organizations_come_with_their_backup_times() {
    let (server, cfg) = sim().await;
    for v in VERSIONS {
        let c = logged_in(&server, &cfg, v).await;
        let orgs = c.organizations().await.expect("organizations");
        assert!(!orgs.is_empty(), "{v}");
        assert!(
            orgs.iter()
                .any(|o| o.last_backup_time.is_some() && o.is_backedup == Some(true)),
            "{v}: the extended view has backup times: {orgs:?}"
        );
    }
    server.shutdown().await;
}

/// Counting never leaves int32 (`offset` ≤ 2,147,483,647) and stays within a few round trips: the
/// emulator counts what it was sent.
#[tokio::test(flavor = "multi_thread")]
async fn counting_the_million_item_folder_stays_in_int32_and_few_round_trips() {
    let (server, cfg) = sim().await;
    let c = logged_in(&server, &cfg, ApiVersion::V8).await;
    let s = session(&c).await;
    let mbs = c.all_mailboxes(&s.id).await.expect("mailboxes");
    let mut found = None;
    'outer: for mb in mbs.iter().take(5) {
        for f in c.all_folders(&s.id, &mb.id, FolderParent::All).await.expect("folders") {
            if f.name.as_deref().is_some_and(|n| n.contains("1M")) {
                found = Some((mb.id.clone(), f.id.clone()));
                break 'outer;
            }
        }
    }
    let (mb, folder) = found.expect("the 1,000,000-item folder");
    let before = server.fault_stats().requests;
    let stats = c.count_items_with_stats(&s.id, &mb, &folder).await.expect("count");
    assert_eq!(stats.total, 1_000_000);
    assert_eq!(server.fault_stats().requests - before, u64::from(stats.requests));
    assert!(stats.round_trips <= 8, "{stats:?}");
    // The client refuses an offset beyond int32 itself, with a clear message, instead of a server 400.
    let e = c
        .items(&s.id, &mb, &folder, 2_147_483_648, 1)
        .await
        .expect_err("offset 2^31");
    assert!(e.to_string().contains("2147483647"), "{e}");
    let last = c
        .items(&s.id, &mb, &folder, 2_147_483_647, 1)
        .await
        .expect("the largest int32 offset is fine");
    assert!(last.results.is_empty());
    server.shutdown().await;
}

/// Paging a search sends the first answer's `setId` back (the emulator answers with the set it was
/// asked for, a new one otherwise).
#[tokio::test(flavor = "multi_thread")]
async fn search_pages_name_their_result_set() {
    let (server, cfg) = sim().await;
    for v in VERSIONS {
        let c = logged_in(&server, &cfg, v).await;
        let s = session(&c).await;
        let mbs = c.all_mailboxes(&s.id).await.expect("mailboxes");
        let scope = SearchScope::Mailbox(&mbs[0].id);
        let first = c.search(&s.id, scope, "subject:re", 0, 5).await.expect("page 1");
        assert_eq!(first.results.len(), 5, "{v}: enough results to page");
        let set = first.set_id.clone().expect("a setId");
        let second = c.search(&s.id, scope, "subject:re", 5, 5).await.expect("page 2");
        assert_eq!(
            second.set_id.as_deref(),
            Some(set.as_str()),
            "{v}: page 2 of the same set"
        );
        let ids1: Vec<&str> = first.results.iter().map(|i| i.id.as_str()).collect();
        assert!(second.results.iter().all(|i| !ids1.contains(&i.id.as_str())), "{v}");
        // A new search (offset 0) is a new set; its later pages follow the new set.
        let again = c.search(&s.id, scope, "subject:re", 0, 5).await.expect("again");
        let new_set = again.set_id.clone().expect("a setId");
        assert_ne!(new_set, set, "{v}: a new search is a new set");
        let next = c.search(&s.id, scope, "subject:re", 5, 5).await.expect("page 2 again");
        assert_eq!(next.set_id, Some(new_set), "{v}");
        // Another query is another set.
        let other = c.search(&s.id, scope, "subject:invoice", 5, 5).await.expect("other");
        assert_ne!(other.set_id, next.set_id, "{v}");
    }
    server.shutdown().await;
}

/// v8: a restore whose events name no Restore event (here: event types the client does not know) is
/// followed through the restore session's own state, result, end time and statistics, not reported
/// "unknown" after two minutes.
#[tokio::test(flavor = "multi_thread")]
async fn a_v8_restore_without_a_restore_event_ends_by_its_session() {
    let (server, cfg) = sim().await;
    let c = logged_in(&server, &cfg, ApiVersion::V8).await;
    let s = session(&c).await;
    let mbs = c.all_mailboxes(&s.id).await.expect("mailboxes");
    let inbox = inbox_of(&c, &s.id, &mbs[0].id).await;
    let ids: Vec<ItemId> = c
        .items(&s.id, &mbs[0].id, &inbox.id, 0, 2)
        .await
        .expect("items")
        .results
        .into_iter()
        .map(|i| ItemId { id: i.id })
        .collect();
    let req = RestoreToRequest {
        mailbox: mbs[2].email.clone(),
        folder: Some("Restored by session".into()),
        credentials: RestoreCredentials {
            user_name: Some("admin@contoso.com".into()),
            user_password: Some(SecretString::from("pw")),
            ..Default::default()
        },
        items: Some(ids),
        ..Default::default()
    };
    server.set_faults(Faults {
        malformed_rate: 1.0,
        malformations: vec![Malformation::UnknownEnums],
        routes: vec!["GET /Events$".into()],
        ..Faults::none()
    });
    let started = std::time::Instant::now();
    let o = tokio::time::timeout(
        Duration::from_secs(60),
        c.restore_to(&s.id, &mbs[0].id, &RestoreScope::Items, &req, &|_| {}),
    )
    .await
    .expect("ends well before the 120 s grace")
    .expect("an outcome, not unknown");
    assert!(started.elapsed() < vex::api::restore::NO_RESTORE_EVENT_GRACE);
    assert_eq!((o.created, o.failed), (2, 0), "{o:?}");
    assert_eq!(o.result, Some(SessionResult::Success), "{o:?}");
    assert!(o.end_time.is_some(), "{o:?}");
    let sid = o.session_id.clone().expect("the restore's session");
    server.set_faults(Faults::none());
    let own = c.restore_session(&sid).await.expect("the restore session");
    assert_eq!(own.state, SessionState::Stopped);
    assert!(!o.has_problems());
    server.shutdown().await;
}

/// Downloads ask for what the spec says they produce (`application/octet-stream`): the emulator
/// answers 406 to a download request that accepts only JSON.
#[tokio::test(flavor = "multi_thread")]
async fn downloads_accept_octet_stream() {
    let (server, cfg) = sim().await;
    for v in VERSIONS {
        let c = logged_in(&server, &cfg, v).await;
        let s = session(&c).await;
        let mbs = c.all_mailboxes(&s.id).await.expect("mailboxes");
        let inbox = inbox_of(&c, &s.id, &mbs[0].id).await;
        let ids: Vec<String> = c
            .items(&s.id, &mbs[0].id, &inbox.id, 0, 2)
            .await
            .expect("items")
            .results
            .into_iter()
            .map(|i| i.id)
            .collect();
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = ExportOptions {
            items: Some(ids.iter().map(|id| ItemId { id: id.clone() }).collect()),
            ..Default::default()
        };
        let pst = dir.path().join("out.pst");
        c.export_pst(&s.id, &mbs[0].id, &RestoreScope::Items, &opts, &pst, &|_| {})
            .await
            .expect("export");
        assert!(std::fs::read(&pst).expect("pst").starts_with(b"!BDN"), "{v}");
        let msg = dir.path().join("one.msg");
        c.save_msg(&s.id, &mbs[0].id, &ids[..1], &msg, &|_| {})
            .await
            .expect("save one");
        let zip = dir.path().join("two.zip");
        c.save_msg(&s.id, &mbs[0].id, &ids, &zip, &|_| {})
            .await
            .expect("save two");
        assert!(std::fs::read(&zip).expect("zip").starts_with(b"PK"), "{v}");
    }
    // The control: the emulator does refuse a download that accepts only JSON.
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("{}/v8/token", server.base_url()))
        .form(&[
            ("grant_type", "password"),
            ("username", cfg.user.as_str()),
            ("password", cfg.password.as_str()),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json");
    let c = logged_in(&server, &cfg, ApiVersion::V8).await;
    let s = session(&c).await;
    let mbs = c.all_mailboxes(&s.id).await.expect("mailboxes");
    let inbox = inbox_of(&c, &s.id, &mbs[0].id).await;
    let id = c
        .items(&s.id, &mbs[0].id, &inbox.id, 0, 1)
        .await
        .expect("items")
        .results[0]
        .id
        .clone();
    let r = http
        .post(format!(
            "{}/v8/RestoreSessions/{}/organization/mailboxes/{}/items/exportToPst",
            server.base_url(),
            s.id,
            mbs[0].id
        ))
        .bearer_auth(token["access_token"].as_str().expect("access_token"))
        .header("accept", "application/json")
        .json(&serde_json::json!({"items": [{"id": id}]}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 406);
    server.shutdown().await;
}
