//! The typed client against the emulator over real HTTP(S): every call of the foundation issue, for
//! v6, v7 and v8. Nothing here mocks the client.

use secrecy::SecretString;
use std::time::Duration;
use vex::api::models::*;
use vex::api::tls::sha256;
use vex::api::{ApiError, ApiVersion, Client, ClientConfig, FolderParent, RestoreScope, Trust, VersionChoice};
use vex::sim::{SimConfig, SimServer};

const VERSIONS: [ApiVersion; 3] = [ApiVersion::V6, ApiVersion::V7, ApiVersion::V8];

async fn sim(tls: bool, ttl: Duration) -> (SimServer, SimConfig) {
    vex::install_crypto_provider();
    let cfg = SimConfig {
        tls,
        token_ttl: ttl,
        v8_restore_duration: Duration::from_millis(150),
        ..Default::default()
    };
    let server = vex::sim::start(cfg.clone()).await.expect("emulator starts");
    (server, cfg)
}

fn pinned(server: &SimServer) -> Trust {
    match server.cert_der() {
        Some(der) => Trust::Pin(sha256(der)),
        None => Trust::System,
    }
}

fn client_for(server: &SimServer, v: VersionChoice, trust: Trust) -> Client {
    let cfg = ClientConfig {
        version: v,
        trust,
        ..ClientConfig::new(server.base_url())
    };
    Client::new(cfg).expect("client builds")
}

async fn logged_in(server: &SimServer, cfg: &SimConfig, v: ApiVersion) -> Client {
    let c = client_for(server, VersionChoice::Fixed(v), pinned(server));
    c.login(&cfg.user, &SecretString::from(cfg.password.clone()))
        .await
        .expect("login");
    c
}

/// Explores a fresh session on the first organization.
async fn session(c: &Client) -> RestoreSession {
    let orgs = c.organizations().await.expect("organizations");
    assert!(orgs.len() >= 2, "at least two organizations");
    let org = orgs[0].id.clone().expect("organization id");
    let opts = ExploreOptions {
        session_type: Some(SessionType::Vex),
        show_deleted: Some(true),
        show_all_versions: Some(true),
        ..Default::default()
    };
    let s = c.explore(&org, &opts).await.expect("explore");
    assert_eq!(s.state, SessionState::Working);
    assert_eq!(s.session_type, SessionType::Vex);
    s
}

async fn all_mailboxes(c: &Client, sid: &str) -> Vec<Mailbox> {
    vex::api::paging::collect_all(20, |o, l| c.mailboxes(sid, o, l))
        .await
        .expect("mailboxes")
}

async fn folder_named(c: &Client, sid: &str, mid: &str, name: &str) -> Folder {
    let roots = c.all_folders(sid, mid, FolderParent::Root).await.expect("root folders");
    roots
        .into_iter()
        .find(|f| f.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("folder {name} exists"))
}

async fn first_items(c: &Client, sid: &str, mid: &str, fid: &str) -> Vec<Item> {
    c.items(sid, mid, fid, 0, 200).await.expect("items").results
}

#[tokio::test(flavor = "multi_thread")]
async fn browse_everything_over_pinned_https_for_each_version() {
    let (server, cfg) = sim(true, Duration::from_secs(3600)).await;
    assert!(server.base_url().starts_with("https://"));
    for v in VERSIONS {
        let c = logged_in(&server, &cfg, v).await;
        assert_eq!(c.version(), Some(v));
        let si = c.service_instance().await.expect("service instance");
        assert!(si.version.is_some(), "{v}: server build reported");

        // Existing sessions: Working and Stopped ones.
        let page = c.restore_sessions(0, 100, None).await.expect("sessions");
        assert!(
            page.results.iter().any(|s| s.state == SessionState::Working),
            "{v}: a Working session"
        );
        assert!(
            page.results.iter().any(|s| s.state == SessionState::Stopped),
            "{v}: a Stopped session"
        );

        let s = session(&c).await;
        let mbs = all_mailboxes(&c, &s.id).await;
        assert!(mbs.len() >= 50, "{v}: ~50 mailboxes, got {}", mbs.len());
        assert!(mbs.iter().any(|m| m.is_archive), "{v}: an archive mailbox");
        assert!(mbs.iter().any(|m| m.is_public), "{v}: a public-folder mailbox");
        let archive = mbs.iter().find(|m| m.is_archive).expect("archive");
        assert!(
            mbs.iter().any(|m| !m.is_archive && m.email == archive.email),
            "{v}: the archive shares its primary's email"
        );
        assert!(
            mbs.iter().any(|m| m.name.as_deref().is_some_and(|n| !n.is_ascii())),
            "{v}: international names"
        );
        let one = c.mailbox(&s.id, &mbs[0].id).await.expect("one mailbox");
        assert_eq!(one.id, mbs[0].id);

        // Folder tree: the standard folders at the root, children under Inbox.
        let mb = &mbs[0].id;
        let roots = c.all_folders(&s.id, mb, FolderParent::Root).await.expect("roots");
        for name in [
            "Inbox",
            "Sent Items",
            "Drafts",
            "Deleted Items",
            "Junk Email",
            "Outbox",
            "Calendar",
            "Contacts",
            "Tasks",
            "Journal",
            "Notes",
        ] {
            assert!(
                roots.iter().any(|f| f.name.as_deref() == Some(name)),
                "{v}: root folder {name}"
            );
        }
        let inbox = roots
            .iter()
            .find(|f| f.name.as_deref() == Some("Inbox"))
            .expect("inbox");
        // The emulator's ids are base64 like the real server's (`AAMk…`, its fixed prefix bytes encode as
        // `+/+/`), so the calls below by this id prove that reserved characters in a path are escaped.
        assert!(
            inbox.id.contains('/') && inbox.id.contains('+'),
            "{v}: folder ids carry '/' and '+' (path escaping is exercised): {}",
            inbox.id
        );
        let children = c
            .all_folders(&s.id, mb, FolderParent::Folder(&inbox.id))
            .await
            .expect("children");
        assert!(!children.is_empty(), "{v}: Inbox has nested folders");
        let again = c.folder(&s.id, mb, &inbox.id).await.expect("one folder");
        assert_eq!(again.name.as_deref(), Some("Inbox"));
        if v == ApiVersion::V8 {
            assert_eq!(
                again.mailbox_id.as_deref(),
                Some(mb.as_str()),
                "v8 folders carry mailboxId"
            );
        } else {
            assert_eq!(again.mailbox_id, None, "{v}: no mailboxId before v8");
        }

        // Items of every type, with their type-specific fields.
        let msgs = first_items(&c, &s.id, mb, &inbox.id).await;
        let m = msgs.iter().find_map(|i| match &i.data {
            ItemData::Message(m) => Some(m),
            _ => None,
        });
        let m = m.unwrap_or_else(|| panic!("{v}: messages in Inbox"));
        assert!(m.from.is_some() && m.to.is_some() && m.subject.is_some() && m.received.is_some());
        assert!(
            msgs.iter().any(|i| !i.attachments().is_empty()),
            "{v}: some messages have attachments"
        );

        let cal = folder_named(&c, &s.id, mb, "Calendar").await;
        assert_eq!(cal.folder_type, Some(FolderType::Appointment));
        let appts = first_items(&c, &s.id, mb, &cal.id).await;
        let a = appts
            .iter()
            .find_map(|i| match &i.data {
                ItemData::Appointment(a) => Some(a),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{v}: appointments"));
        assert!(a.organizer.is_some() && a.attendees.is_some() && a.location.is_some() && a.start_time.is_some());
        assert!(
            appts
                .iter()
                .any(|i| matches!(&i.data, ItemData::Appointment(a) if a.recurring == Some(true))),
            "{v}: a recurring appointment"
        );

        let contacts = first_items(&c, &s.id, mb, &folder_named(&c, &s.id, mb, "Contacts").await.id).await;
        assert!(
            contacts
                .iter()
                .any(|i| matches!(&i.data, ItemData::Contact(c) if c.email.is_some() && c.full_name.is_some()))
        );
        assert!(
            contacts.iter().any(|i| i.kind() == ItemKind::ContactGroup),
            "{v}: a distribution list"
        );

        let tasks = first_items(&c, &s.id, mb, &folder_named(&c, &s.id, mb, "Tasks").await.id).await;
        for st in TaskStatus::ALL {
            assert!(
                tasks
                    .iter()
                    .any(|i| matches!(&i.data, ItemData::Task(t) if t.status.as_ref() == Some(st))),
                "{v}: a task {st}"
            );
        }
        let journal = first_items(&c, &s.id, mb, &folder_named(&c, &s.id, mb, "Journal").await.id).await;
        assert!(
            journal
                .iter()
                .any(|i| matches!(&i.data, ItemData::Journal(j) if j.entry_type.is_some() && j.start_time.is_some()))
        );
        let notes = first_items(&c, &s.id, mb, &folder_named(&c, &s.id, mb, "Notes").await.id).await;
        assert!(
            notes
                .iter()
                .any(|i| matches!(&i.data, ItemData::StickyNote(n) if n.subject.is_some() && n.date.is_some()))
        );

        // One item by id (ids carry '/', '+', '=': percent-encoded as one segment).
        let first = &msgs[0];
        let got = c.item(&s.id, mb, &first.id).await.expect("one item");
        assert_eq!(&got, first, "{v}: the item by id equals the listed one");
        if v == ApiVersion::V8 {
            assert_eq!(got.mailbox_id.as_deref(), Some(mb.as_str()));
        }
        let missing = c.item(&s.id, mb, "AAAA/no+such=item").await.unwrap_err();
        assert!(missing.is_not_found(), "{v}: unknown item is 404, got {missing:?}");

        // Events and stop.
        let _ = c.all_session_events(&s.id).await.expect("events");
        c.stop_session(&s.id).await.expect("stop");
        let after = c.restore_sessions(0, 1000, None).await.expect("sessions");
        let stopped = after
            .results
            .iter()
            .find(|x| x.id == s.id)
            .expect("the session is listed");
        assert_eq!(stopped.state, SessionState::Stopped, "{v}: stopped");
        assert!(stopped.end_time.is_some(), "{v}: endTime set on stop");
        c.logout().await.expect("logout");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_item_class_is_served_somewhere() {
    let (server, cfg) = sim(false, Duration::from_secs(3600)).await;
    let c = logged_in(&server, &cfg, ApiVersion::V8).await;
    let s = session(&c).await;
    let mbs = all_mailboxes(&c, &s.id).await;
    let mut seen = std::collections::HashSet::new();
    for mb in mbs.iter().take(6) {
        let folders = c
            .all_folders(&s.id, &mb.id, FolderParent::All)
            .await
            .expect("all folders");
        for f in folders
            .iter()
            .filter(|f| !f.name.as_deref().unwrap_or("").contains("1M"))
        {
            for i in c.items(&s.id, &mb.id, &f.id, 0, 300).await.expect("items").results {
                seen.insert(i.kind());
            }
        }
    }
    for k in [
        ItemKind::Message,
        ItemKind::Appointment,
        ItemKind::Contact,
        ItemKind::ContactGroup,
        ItemKind::Task,
        ItemKind::Journal,
        ItemKind::StickyNote,
        ItemKind::Discussion,
        ItemKind::Other,
    ] {
        assert!(seen.contains(&k), "an item of kind {k:?} is served");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_and_auto_version_detection() {
    let (server, cfg) = sim(false, Duration::from_secs(3600)).await;
    assert!(server.base_url().starts_with("http://"));
    let c = client_for(&server, VersionChoice::Auto, Trust::System);
    assert_eq!(c.detect_version().await.expect("probe"), ApiVersion::V8);
    c.login(&cfg.user, &SecretString::from(cfg.password.clone()))
        .await
        .expect("login");
    assert_eq!(c.version(), Some(ApiVersion::V8), "auto picks the newest served");
    assert!(!c.organizations().await.expect("orgs").is_empty());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_is_an_auth_error_with_the_server_message() {
    let (server, cfg) = sim(true, Duration::from_secs(3600)).await;
    for v in VERSIONS {
        let c = client_for(&server, VersionChoice::Fixed(v), pinned(&server));
        let e = c
            .login(&cfg.user, &SecretString::from("not-the-password"))
            .await
            .unwrap_err();
        match &e {
            ApiError::Auth(msg) => {
                assert!(!msg.is_empty());
                assert!(!msg.contains("not-the-password"), "the password is not echoed");
            }
            other => panic!("{v}: expected Auth, got {other:?}"),
        }
        assert!(c.organizations().await.is_err(), "{v}: not logged in");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn untrusted_or_mismatched_certificates_are_refused() {
    let (server, cfg) = sim(true, Duration::from_secs(3600)).await;
    let pw = SecretString::from(cfg.password.clone());
    // The system store does not know the emulator's self-signed certificate.
    let c = client_for(&server, VersionChoice::Fixed(ApiVersion::V8), Trust::System);
    let e = c.login(&cfg.user, &pw).await.unwrap_err();
    assert!(matches!(e, ApiError::Tls(_)), "untrusted certificate refused: {e:?}");
    // A wrong pin is refused and both fingerprints are named.
    let c = client_for(&server, VersionChoice::Fixed(ApiVersion::V8), Trust::Pin([7u8; 32]));
    let e = c.login(&cfg.user, &pw).await.unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, ApiError::Tls(_)), "wrong pin refused: {e:?}");
    assert!(msg.contains("07:07:07"), "names the pinned fingerprint: {msg}");
    // The right pin works.
    let c = client_for(&server, VersionChoice::Fixed(ApiVersion::V8), pinned(&server));
    c.login(&cfg.user, &pw).await.expect("pinned login");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_refresh_after_expiry_and_a_revoked_refresh_token_needs_login() {
    let (server, cfg) = sim(false, Duration::from_secs(2)).await;
    for v in VERSIONS {
        let c = logged_in(&server, &cfg, v).await;
        let s = session(&c).await;
        // Across several lifetimes, browsing keeps working (refresh ahead of expiry).
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(1100)).await;
            c.mailboxes(&s.id, 0, 5)
                .await
                .expect("browsing continues across refreshes");
        }
        // The server forgets the access token: the 401 triggers one refresh and the request succeeds.
        server.store().expire_access_tokens();
        c.mailboxes(&s.id, 0, 5).await.expect("refresh on 401, then retry");
        // The refresh token is revoked too: the client reports an auth error (the UI shows the login screen).
        server.store().expire_access_tokens();
        server.store().revoke_refresh_tokens();
        let e = c.mailboxes(&s.id, 0, 5).await.unwrap_err();
        assert!(matches!(e, ApiError::Auth(_)), "{v}: {e:?}");
        // Logging in again restores access.
        c.login(&cfg.user, &SecretString::from(cfg.password.clone()))
            .await
            .expect("login again");
        c.mailboxes(&s.id, 0, 5).await.expect("browsing after login");
    }
    server.shutdown().await;
}

async fn find_inbox_with(c: &Client, sid: &str, mbs: &[Mailbox], min_items: u64) -> (String, String) {
    for mb in mbs.iter().take(5) {
        let inbox = folder_named(c, sid, &mb.id, "Inbox").await;
        let n = c.count_items(sid, &mb.id, &inbox.id).await.expect("count");
        if n >= min_items {
            return (mb.id.clone(), inbox.id.clone());
        }
    }
    panic!("a mailbox with {min_items}+ items in its Inbox");
}

#[tokio::test(flavor = "multi_thread")]
async fn paging_over_a_folder_of_2600_items() {
    let (server, cfg) = sim(false, Duration::from_secs(3600)).await;
    for v in VERSIONS {
        let c = logged_in(&server, &cfg, v).await;
        let s = session(&c).await;
        let mbs = all_mailboxes(&c, &s.id).await;
        let (mb, inbox) = find_inbox_with(&c, &s.id, &mbs, 2500).await;
        let mut pages = 0;
        let mut ids = std::collections::HashSet::new();
        let total = vex::api::paging::for_each_page(
            700,
            |o, l| c.items(&s.id, &mb, &inbox, o, l),
            |p| {
                pages += 1;
                assert!(p.results.len() <= 700);
                ids.extend(p.results.into_iter().map(|i| i.id));
                true
            },
        )
        .await
        .expect("paging");
        assert_eq!(total as usize, ids.len(), "{v}: no duplicates across pages");
        assert!(total >= 2500, "{v}: {total} items");
        assert_eq!(
            pages,
            total.div_ceil(700) as usize + usize::from(total % 700 == 0),
            "{v}: pages"
        );
        assert_eq!(c.count_items(&s.id, &mb, &inbox).await.expect("count"), total);
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn jumping_to_the_last_page_of_the_million_item_folder() {
    let (server, cfg) = sim(false, Duration::from_secs(3600)).await;
    for v in VERSIONS {
        let c = logged_in(&server, &cfg, v).await;
        let s = session(&c).await;
        let mbs = all_mailboxes(&c, &s.id).await;
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
        let started = std::time::Instant::now();
        let before = server.fault_stats().requests;
        let stats = c.count_items_with_stats(&s.id, &mb, &folder).await.expect("count");
        let n = stats.total;
        assert_eq!(n, 1_000_000, "{v}");
        // What the emulator saw, not what the client says it sent.
        let sent = server.fault_stats().requests - before;
        assert_eq!(sent, u64::from(stats.requests), "{v}: {stats:?}");
        if v == ApiVersion::V8 {
            // No totalCount in v8: a search, a few round trips of at most 9 concurrent probes.
            assert!(stats.round_trips <= 7, "{v}: {stats:?}");
            assert!(stats.requests <= 60, "{v}: {stats:?}");
            // Remembered for the restore session: the next `G` costs only the last page.
            let again = c
                .count_items_with_stats(&s.id, &mb, &folder)
                .await
                .expect("count again");
            assert_eq!((again.total, again.requests), (1_000_000, 0), "{v}");
            assert_eq!(
                server.fault_stats().requests - before,
                sent,
                "{v}: nothing sent the second time"
            );
        } else {
            assert_eq!(
                (stats.requests, stats.round_trips),
                (1, 1),
                "{v}: totalCount answers it"
            );
        }
        let off = vex::api::paging::last_page_offset(n, 50);
        let last = c.items(&s.id, &mb, &folder, off, 50).await.expect("last page");
        assert_eq!(last.results.len(), 50, "{v}: a full last page");
        let beyond = c.items(&s.id, &mb, &folder, n, 50).await.expect("past the end");
        assert!(beyond.results.is_empty(), "{v}: nothing past the end");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{v}: no listing of a million rows"
        );
    }
    server.shutdown().await;
}

fn creds_password() -> RestoreCredentials {
    RestoreCredentials {
        user_name: Some("restore-admin@target.example".into()),
        user_password: Some(SecretString::from("Restore-P@ss")),
        ..Default::default()
    }
}

fn restore_req(target: &str, folder: &str, ids: &[String], changed: bool) -> RestoreToRequest {
    RestoreToRequest {
        mailbox: Some(target.into()),
        folder: Some(folder.into()),
        changed_items: Some(changed),
        credentials: creds_password(),
        items: Some(ids.iter().map(|id| ItemId { id: id.clone() }).collect()),
        ..Default::default()
    }
}

fn no_progress(_: vex::api::RestoreProgress) {}

#[tokio::test(flavor = "multi_thread")]
async fn restore_to_another_mailbox_counts_for_each_version() {
    let (server, cfg) = sim(false, Duration::from_secs(3600)).await;
    for v in VERSIONS {
        let c = logged_in(&server, &cfg, v).await;
        let s = session(&c).await;
        let mbs = all_mailboxes(&c, &s.id).await;
        let src = &mbs[0];
        let target = mbs[3].email.clone().expect("target email");
        let folder = format!("Restored {v}");
        let inbox = folder_named(&c, &s.id, &src.id, "Inbox").await;
        let ids: Vec<String> = c
            .items(&s.id, &src.id, &inbox.id, 0, 12)
            .await
            .expect("items")
            .results
            .into_iter()
            .map(|i| i.id)
            .collect();
        let three = ids[..3].to_vec();

        // Fresh: created.
        let o = c
            .restore_to(
                &s.id,
                &src.id,
                &RestoreScope::Items,
                &restore_req(&target, &folder, &three, false),
                &no_progress,
            )
            .await
            .expect("restore");
        assert_eq!(
            (o.created, o.merged, o.skipped, o.failed),
            (3, 0, 0, 0),
            "{v}: fresh restore {o:?}"
        );
        if v == ApiVersion::V8 {
            assert!(o.session_id.is_some(), "v8 reports the restore's session");
        }
        // Repeat: skipped.
        let o = c
            .restore_to(
                &s.id,
                &src.id,
                &RestoreScope::Items,
                &restore_req(&target, &folder, &three, false),
                &no_progress,
            )
            .await
            .expect("repeat");
        assert_eq!((o.created, o.skipped, o.failed), (0, 3, 0), "{v}: repeat {o:?}");
        // Changed items: every multi-version item merges, the rest are skipped.
        let all12 = ids.clone();
        let o = c
            .restore_to(
                &s.id,
                &src.id,
                &RestoreScope::Items,
                &restore_req(&target, &folder, &all12, true),
                &no_progress,
            )
            .await
            .expect("changed");
        assert_eq!(
            o.created + o.merged + o.skipped + o.failed,
            12,
            "{v}: every item accounted {o:?}"
        );
        assert!(o.merged >= 1, "{v}: a newer version merges {o:?}");
        assert_eq!(o.created, 9, "{v}: the 9 not restored before are created {o:?}");
        // Unknown id: failed, with its exception.
        let bad = vec!["AAAA/unknown+item=".to_string()];
        let o = c
            .restore_to(
                &s.id,
                &src.id,
                &RestoreScope::Items,
                &restore_req(&target, &folder, &bad, false),
                &no_progress,
            )
            .await
            .expect("unknown id");
        assert_eq!(o.failed, 1, "{v}: {o:?}");
        assert!(
            o.exceptions.iter().any(|e| e.contains("AAAA/unknown+item=")),
            "{v}: exception names the id {o:?}"
        );
        // Unknown target mailbox: a clear error status.
        let e = c
            .restore_to(
                &s.id,
                &src.id,
                &RestoreScope::Items,
                &restore_req("nobody@nowhere.invalid", &folder, &three, false),
                &no_progress,
            )
            .await
            .unwrap_err();
        match e {
            ApiError::Http { status, message, .. } => {
                assert!((400..500).contains(&status), "{v}: {status}");
                assert!(message.contains("nobody@nowhere.invalid"), "{v}: {message}");
            }
            other => panic!("{v}: expected an HTTP error, got {other:?}"),
        }
        // Missing credentials: a clear error status.
        let mut r = restore_req(&target, &folder, &three, false);
        r.credentials = RestoreCredentials::default();
        let e = c
            .restore_to(&s.id, &src.id, &RestoreScope::Items, &r, &no_progress)
            .await
            .unwrap_err();
        assert!(matches!(e, ApiError::Http { status: 400, .. }), "{v}: {e:?}");
        // The emulator's own record: one record per accepted restore, none for the refused ones.
        let records: Vec<_> = server
            .store()
            .restores()
            .into_iter()
            .filter(|r| r.target_folder.as_deref() == Some(folder.as_str()))
            .collect();
        assert_eq!(records.len(), 4, "{v}: four accepted restores");
        assert!(records.iter().all(|r| r.api_version == v.number()));
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_credential_modes_and_flags() {
    let (server, cfg) = sim(false, Duration::from_secs(3600)).await;
    for v in [ApiVersion::V6, ApiVersion::V8] {
        let c = logged_in(&server, &cfg, v).await;
        let s = session(&c).await;
        let mbs = all_mailboxes(&c, &s.id).await;
        let src = &mbs[1];
        let target = mbs[4].email.clone().expect("email");
        let inbox = folder_named(&c, &s.id, &src.id, "Inbox").await;
        let ids: Vec<String> = c
            .items(&s.id, &src.id, &inbox.id, 0, 6)
            .await
            .expect("items")
            .results
            .into_iter()
            .map(|i| i.id)
            .collect();

        // Device code: request one, then restore with it.
        let code = c
            .restore_device_code(&s.id, &DeviceCodeRequest::default())
            .await
            .expect("device code");
        let user_code = code.user_code.clone().expect("userCode");
        assert!(code.verification_url.is_some());
        let mut r = restore_req(&target, &format!("dc-{v}"), &ids[..2], false);
        r.credentials = RestoreCredentials {
            user_code: Some(user_code),
            ..Default::default()
        };
        let o = c
            .restore_to(&s.id, &src.id, &RestoreScope::Items, &r, &no_progress)
            .await
            .expect("device-code restore");
        assert_eq!(o.created, 2, "{v}: {o:?}");
        // A code the server never issued is refused.
        r.credentials = RestoreCredentials {
            user_code: Some("NOT-ISSUED".into()),
            ..Default::default()
        };
        assert!(
            c.restore_to(&s.id, &src.id, &RestoreScope::Items, &r, &no_progress)
                .await
                .is_err()
        );

        // Application id + certificate + impersonation account.
        let mut r = restore_req(&target, &format!("app-{v}"), &ids[..2], false);
        r.credentials = RestoreCredentials {
            application_id: Some("4d1f3b2a-1111-2222-3333-444455556666".into()),
            application_certificate: Some(SecretString::from(
                "MIIKPAIBAzCCCfYGCSqGSIb3DQEHAaCCCecEggnjMIIJ3zCCBgAGCSqGSIb3",
            )),
            application_certificate_password: Some(SecretString::from("pfx-pass")),
            impersonation_account_name: Some("svc-restore@target.example".into()),
            ..Default::default()
        };
        let o = c
            .restore_to(&s.id, &src.id, &RestoreScope::Items, &r, &no_progress)
            .await
            .expect("application restore");
        assert_eq!(o.created, 2, "{v}: {o:?}");
        // Incomplete application set: refused with a message naming what is missing.
        r.credentials.impersonation_account_name = None;
        let e = c
            .restore_to(&s.id, &src.id, &RestoreScope::Items, &r, &no_progress)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("impersonationAccountName"), "{v}: {e}");

        // markRestoredAsUnread: the copies are unread in the target.
        let folder = format!("unread-{v}");
        let mut r = restore_req(&target, &folder, &ids[2..4], false);
        r.mark_restored_as_unread = Some(true);
        c.restore_to(&s.id, &src.id, &RestoreScope::Items, &r, &no_progress)
            .await
            .expect("unread restore");
        let copies = server.store().target_contents(&target, &folder);
        assert_eq!(copies.len(), 2);
        assert!(copies.iter().all(|c| c.unread), "{v}: restored as unread");

        // excludeDrafts: items from Drafts are skipped, with a warning.
        let drafts = folder_named(&c, &s.id, &src.id, "Drafts").await;
        let d_ids: Vec<String> = c
            .items(&s.id, &src.id, &drafts.id, 0, 3)
            .await
            .expect("drafts")
            .results
            .into_iter()
            .map(|i| i.id)
            .collect();
        assert!(!d_ids.is_empty(), "Drafts has items");
        let mut r = restore_req(&target, &format!("drafts-{v}"), &d_ids, false);
        r.exclude_drafts = Some(true);
        let o = c
            .restore_to(&s.id, &src.id, &RestoreScope::Items, &r, &no_progress)
            .await
            .expect("exclude drafts");
        assert_eq!((o.created, o.skipped), (0, d_ids.len() as i64), "{v}: {o:?}");
        assert!(!o.warnings.is_empty(), "{v}: a warning explains the skip");
        r.exclude_drafts = Some(false);
        r.folder = Some(format!("drafts2-{v}"));
        let o = c
            .restore_to(&s.id, &src.id, &RestoreScope::Items, &r, &no_progress)
            .await
            .expect("drafts included");
        assert_eq!(o.created, d_ids.len() as i64, "{v}: {o:?}");

        // excludeDeletedItems: items from Deleted Items are skipped.
        let deleted = folder_named(&c, &s.id, &src.id, "Deleted Items").await;
        let del_ids: Vec<String> = c
            .items(&s.id, &src.id, &deleted.id, 0, 2)
            .await
            .expect("deleted")
            .results
            .into_iter()
            .map(|i| i.id)
            .collect();
        if !del_ids.is_empty() {
            let mut r = restore_req(&target, &format!("del-{v}"), &del_ids, false);
            r.exclude_deleted_items = Some(true);
            let o = c
                .restore_to(&s.id, &src.id, &RestoreScope::Items, &r, &no_progress)
                .await
                .expect("exclude deleted");
            assert_eq!(o.created, 0, "{v}: {o:?}");
        }

        // A whole folder, without listing its ids.
        let tasks = folder_named(&c, &s.id, &src.id, "Tasks").await;
        let n = c.count_items(&s.id, &src.id, &tasks.id).await.expect("count");
        let mut r = restore_req(&target, &format!("tasks-{v}"), &[], false);
        r.items = None;
        let o = c
            .restore_to(
                &s.id,
                &src.id,
                &RestoreScope::Folder(tasks.id.clone()),
                &r,
                &no_progress,
            )
            .await
            .expect("folder restore");
        assert_eq!(o.created as u64, n, "{v}: {o:?}");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn export_to_pst_writes_the_served_bytes() {
    let (server, cfg) = sim(true, Duration::from_secs(3600)).await;
    let c = logged_in(&server, &cfg, ApiVersion::V8).await;
    let s = session(&c).await;
    let mbs = all_mailboxes(&c, &s.id).await;
    let inbox = folder_named(&c, &s.id, &mbs[0].id, "Inbox").await;
    let ids: Vec<ItemId> = c
        .items(&s.id, &mbs[0].id, &inbox.id, 0, 3)
        .await
        .expect("items")
        .results
        .into_iter()
        .map(|i| ItemId { id: i.id })
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("out.pst");
    let progress_seen = std::sync::atomic::AtomicU64::new(0);
    let opts = ExportOptions {
        items: Some(ids.clone()),
        ..Default::default()
    };
    let n = c
        .export_pst(&s.id, &mbs[0].id, &RestoreScope::Items, &opts, &dest, &|p| {
            progress_seen.store(p.written, std::sync::atomic::Ordering::Relaxed);
        })
        .await
        .expect("export");
    let bytes = std::fs::read(&dest).expect("file written");
    assert_eq!(bytes.len() as u64, n);
    assert_eq!(
        progress_seen.load(std::sync::atomic::Ordering::Relaxed),
        n,
        "progress reached the end"
    );
    assert!(bytes.starts_with(b"!BDN"), "a PST");
    // The same export fetched raw: byte for byte what the client wrote.
    let raw_dest = dir.path().join("again.pst");
    c.export_pst(&s.id, &mbs[0].id, &RestoreScope::Items, &opts, &raw_dest, &|_| {})
        .await
        .expect("again");
    assert_eq!(std::fs::read(&raw_dest).expect("read"), bytes, "deterministic export");
    assert!(!dir.path().join("out.part").exists(), "no partial file left");

    let msg = dir.path().join("one.msg");
    c.save_msg(&s.id, &mbs[0].id, &[ids[0].id.clone()], &msg, &|_| {})
        .await
        .expect("save one");
    assert!(std::fs::read(&msg).expect("msg").starts_with(&[0xD0, 0xCF, 0x11, 0xE0]));
    let zip = dir.path().join("many.zip");
    c.save_msg(
        &s.id,
        &mbs[0].id,
        &[ids[0].id.clone(), ids[1].id.clone()],
        &zip,
        &|_| {},
    )
    .await
    .expect("save many");
    assert!(std::fs::read(&zip).expect("zip").starts_with(b"PK\x03\x04"));
    server.shutdown().await;
}

/// Issue 16: an item's folder path. Items and folders name their parent folder in `_links.parent`
/// (the spec's `_links` is a free dictionary; Veeam's documentation shows `parent`): the client walks
/// up to the root, over pinned HTTPS, for each version; what it knows already is not asked again; a
/// folder the server does not have is a 404, not a path.
#[tokio::test(flavor = "multi_thread")]
async fn an_items_folder_path_is_walked_up_through_parent_links() {
    use std::collections::HashMap;
    use vex::api::folder_path::{item_folder_id, parent_folder_id};
    let (server, cfg) = sim(true, Duration::from_secs(3600)).await;
    assert!(server.base_url().starts_with("https://"));
    for v in VERSIONS {
        let c = logged_in(&server, &cfg, v).await;
        let s = session(&c).await;
        let mbs = all_mailboxes(&c, &s.id).await;
        let mb = &mbs[0].id;
        let inbox = folder_named(&c, &s.id, mb, "Inbox").await;
        assert_eq!(parent_folder_id(&inbox), None, "{v}: a root folder has no parent");
        let under = |parent: &str| {
            let c = &c;
            let sid = s.id.clone();
            let parent = parent.to_string();
            async move {
                c.all_folders(&sid, mb, FolderParent::Folder(&parent))
                    .await
                    .expect("children")
            }
        };
        let projects = under(&inbox.id)
            .await
            .into_iter()
            .find(|f| f.name.as_deref() == Some("Projects"))
            .expect("Inbox/Projects");
        let years = under(&projects.id).await;
        let y2024 = years.iter().find(|f| f.name.as_deref() == Some("2024")).expect("2024");
        let y2025 = years.iter().find(|f| f.name.as_deref() == Some("2025")).expect("2025");
        assert_eq!(parent_folder_id(y2024).as_deref(), Some(projects.id.as_str()), "{v}");

        // An item names its folder.
        let items = first_items(&c, &s.id, mb, &projects.id).await;
        let item = items.first().expect("Projects has items");
        assert_eq!(item_folder_id(item).as_deref(), Some(projects.id.as_str()), "{v}");
        let single = c.item(&s.id, mb, &item.id).await.expect("item");
        assert_eq!(item_folder_id(&single).as_deref(), Some(projects.id.as_str()), "{v}");

        // Three levels: three folders fetched, each path returned.
        let before = server.fault_stats().requests;
        let found = c
            .folder_path(&s.id, mb, &y2024.id, &HashMap::new())
            .await
            .expect("walk");
        assert_eq!(server.fault_stats().requests - before, 3, "{v}: 2024, Projects, Inbox");
        let paths: Vec<(String, String)> = found.iter().map(|p| (p.folder_id.clone(), p.names.join("/"))).collect();
        assert_eq!(
            paths,
            [
                (y2024.id.clone(), "Inbox/Projects/2024".to_string()),
                (projects.id.clone(), "Inbox/Projects".to_string()),
                (inbox.id.clone(), "Inbox".to_string()),
            ],
            "{v}"
        );
        // The sibling: only itself is asked for, its parents are known.
        let known: HashMap<String, Vec<String>> = found.into_iter().map(|p| (p.folder_id, p.names)).collect();
        let before = server.fault_stats().requests;
        let found = c.folder_path(&s.id, mb, &y2025.id, &known).await.expect("walk");
        assert_eq!(server.fault_stats().requests - before, 1, "{v}: 2025 alone");
        assert_eq!(found[0].names.join("/"), "Inbox/Projects/2025", "{v}");

        // All-mailbox search results name their folder too, and it walks to a path ending in its name.
        let page = c
            .search(&s.id, vex::api::SearchScope::AllMailboxes, "report", 0, 30)
            .await
            .expect("search");
        assert!(!page.results.is_empty(), "{v}: results");
        for r in &page.results {
            let fid = item_folder_id(r).unwrap_or_else(|| panic!("{v}: result {} names no folder", r.id));
            let rmb = vex::app::panes::search_prompt::item_mailbox_id(r).expect("a result names its mailbox");
            let path = c.folder_path(&s.id, &rmb, &fid, &HashMap::new()).await.expect("walk");
            let own = c.folder(&s.id, &rmb, &fid).await.expect("folder");
            assert_eq!(path[0].names.last(), own.name.as_ref(), "{v}");
        }

        // A folder the server does not have.
        let e = c
            .folder_path(&s.id, mb, "AAAAnot-a-folder", &HashMap::new())
            .await
            .expect_err("no such folder");
        assert!(e.is_not_found(), "{v}: {e}");
    }
    server.shutdown().await;
}
