//! Issue 18: `POST RestoreSessions/{id}/organization/mailboxes/restore`, several whole mailboxes to their
//! original location in one request, in the typed client and the emulator, for v6, v7 (synchronous
//! `RESTBulkRestoreStatistics`) and v8 (`{sessionId}`, per-mailbox `BulkMailbox` statistics). The emulator
//! binds the body as strictly as the real server; the client reads bad answers without inventing counts.

use secrecy::SecretString;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use vex::api::models::*;
use vex::api::{ApiError, ApiVersion, Client, ClientConfig, RestoreHooks, RetryPolicy, VersionChoice};
use vex::sim::{SimConfig, SimServer};

const VERSIONS: [ApiVersion; 3] = [ApiVersion::V6, ApiVersion::V7, ApiVersion::V8];

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

fn client(base: &str, v: ApiVersion) -> Client {
    Client::new(ClientConfig {
        version: VersionChoice::Fixed(v),
        retry: RetryPolicy {
            max_retries: 0,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        },
        ..ClientConfig::new(base)
    })
    .expect("client")
}

async fn explore(c: &Client) -> (String, Vec<Mailbox>) {
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
    let mbs = c.all_mailboxes(&s.id).await.expect("mailboxes");
    (s.id, mbs)
}

/// A request for the mailboxes (id, e-mail) with three flags and a password.
fn request(mbs: &[(String, Option<String>)], password: &str) -> BulkRestoreRequest {
    BulkRestoreRequest {
        mailboxes: Some(
            mbs.iter()
                .map(|(id, email)| BulkMailbox {
                    id: Some(id.clone()),
                    email: email.clone(),
                    ..Default::default()
                })
                .collect(),
        ),
        changed_items: Some(true),
        mark_restored_as_unread: Some(true),
        exclude_drafts: Some(true),
        office365_user_name: Some("restore-admin@contoso.com".into()),
        office365_user_password: Some(SecretString::from(password.to_string())),
        ..Default::default()
    }
}

/// One request restores three mailboxes; each mailbox's counts in the client's outcome are the emulator's
/// record of that mailbox, the record names the request (one bulk id), its flags and credential mode, and
/// the explore session shows one Restore event per mailbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_request_restores_each_mailbox_once_on_every_version() {
    let server = sim().await;
    for v in VERSIONS {
        let c = client(server.base_url(), v);
        c.login("vex", &SecretString::from("vex-demo-password"))
            .await
            .expect("login");
        let (sid, mbs) = explore(&c).await;
        let chosen: Vec<&Mailbox> = mbs.iter().filter(|m| !m.is_archive && !m.is_public).take(3).collect();
        assert_eq!(chosen.len(), 3, "{v}");
        let before = server.restore_requests().len();
        let accepted = Arc::new(Mutex::new(Vec::<String>::new()));
        let acc = accepted.clone();
        let hooks = RestoreHooks {
            accepted: Some(Arc::new(move |s: &str| acc.lock().expect("lock").push(s.to_string()))),
            ..Default::default()
        };
        let out = c
            .restore_mailboxes(
                &sid,
                &request(
                    &chosen
                        .iter()
                        .map(|m| (m.id.clone(), m.email.clone()))
                        .collect::<Vec<_>>(),
                    "bulk-pw-1",
                ),
                &|_| {},
                &hooks,
            )
            .await
            .unwrap_or_else(|e| panic!("{v}: {e}"));
        let reqs = server.restore_requests();
        assert_eq!(reqs.len() - before, 1, "{v}: one request");
        assert!(
            reqs[before]
                .path
                .to_ascii_lowercase()
                .ends_with("/organization/mailboxes/restore"),
            "{v}: {}",
            reqs[before].path
        );
        let records: Vec<_> = server
            .store()
            .restores()
            .into_iter()
            .filter(|r| r.restore_session_id == sid)
            .collect();
        assert_eq!(records.len(), 3, "{v}: one record per mailbox");
        let bulk = records[0].bulk.clone().expect("a bulk id");
        for (m, r) in chosen.iter().zip(&records) {
            assert_eq!(r.source_mailbox_id, m.id, "{v}");
            assert_eq!(r.kind, "original");
            assert_eq!(r.bulk.as_deref(), Some(bulk.as_str()), "{v}: one request");
            assert!(
                r.flags.changed_items && r.flags.mark_unread && r.flags.exclude_drafts,
                "{v}: {r:?}"
            );
            assert!(!r.flags.deleted_items && !r.flags.exclude_deleted_items, "{v}: {r:?}");
            assert_eq!(r.credential_mode, "Password");
            let st = r.outcome.as_ref().expect("finished");
            let got = out
                .of(&m.id, m.email.as_deref().unwrap_or_default(), false)
                .and_then(|x| x.outcome.clone())
                .unwrap_or_else(|| panic!("{v}: no outcome for {}: {out:?}", m.id));
            assert_eq!(
                [got.created, got.merged, got.skipped, got.failed],
                [
                    st.created_items_count,
                    st.merged_items_count,
                    st.skipped_items_count,
                    st.failed_items_count
                ],
                "{v}: the client's counts are the record's"
            );
            // v6 restores first; v7 and v8 find the same mailboxes already there (skipped or merged).
            assert!(
                st.created_items_count + st.merged_items_count + st.skipped_items_count > 0,
                "{v}: the mailbox's items were processed"
            );
        }
        if v == ApiVersion::V8 {
            assert_eq!(
                *accepted.lock().expect("lock"),
                vec![bulk.clone()],
                "the session id, told at once"
            );
            assert_eq!(out.session_id.as_deref(), Some(bulk.as_str()));
        } else {
            assert!(accepted.lock().expect("lock").is_empty());
            // Drafts are excluded (excludeDrafts): the server warns about them.
            assert_eq!(out.status.as_deref(), Some("Warning"), "{v}: {out:?}");
        }
        let events = c.all_session_events(&sid).await.expect("events");
        for m in &chosen {
            let email = m.email.clone().unwrap_or_default();
            let n = events
                .iter()
                .filter(|e| {
                    e.event_type == Some(EventType::Restore)
                        && e.source.as_deref() == Some(email.as_str())
                        && e.target.as_deref() == Some(email.as_str())
                })
                .count();
            assert_eq!(n, 1, "{v}: one Restore event for {email}");
        }
        let _ = c.stop_session(&sid).await;
    }
}

async fn token(http: &reqwest::Client, base: &str, v: u8) -> String {
    let r = http
        .post(format!("{base}/v{v}/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", "vex"),
            ("password", "vex-demo-password"),
        ])
        .send()
        .await
        .expect("token request");
    let j: Value = r.json().await.expect("token json");
    j["access_token"].as_str().expect("access_token").to_string()
}

/// The emulator binds `RestBulkRestoreOptions` as ASP.NET/Json.NET would: names in any case, GUIDs,
/// int32, booleans; a request it refuses restores nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_binds_the_bulk_body_strictly() {
    let server = sim().await;
    let base = server.base_url().to_string();
    let c = client(&base, ApiVersion::V7);
    c.login("vex", &SecretString::from("vex-demo-password"))
        .await
        .expect("login");
    let (sid, mbs) = explore(&c).await;
    let m: Vec<&Mailbox> = mbs.iter().filter(|m| !m.is_archive && !m.is_public).take(2).collect();
    let http = reqwest::Client::new();
    let tok = token(&http, &base, 7).await;
    let url = format!("{base}/v7/RestoreSessions/{sid}/organization/mailboxes/restore");
    let post = |body: Value| {
        let (http, url, tok) = (http.clone(), url.clone(), tok.clone());
        async move {
            let r = http.post(url).bearer_auth(tok).json(&body).send().await.expect("post");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let creds = |mut v: Value| {
        v["office365UserName"] = json!("admin@contoso.com");
        v["office365UserPassword"] = json!("pw");
        v
    };
    let refused: Vec<(Value, &str)> = vec![
        (creds(json!({"mailboxes": [{"id": "not-a-guid"}]})), "mailboxes[0].id"),
        (creds(json!({"mailboxes": [{"name": "no id"}]})), "mailboxes[0].id"),
        (creds(json!({"mailboxes": []})), "mailboxes"),
        (creds(json!({})), "mailboxes"),
        (
            creds(json!({"mailboxes": [{"id": "00000000-0000-0000-0000-0000000000aa"}]})),
            "not found",
        ),
        (
            creds(json!({"mailboxes": [{"id": m[0].id}, {"id": m[0].id.to_uppercase()}]})),
            "more than once",
        ),
        (
            creds(json!({"mailboxes": [{"id": m[0].id}], "recentItemRestorePeriod": 2147483648i64})),
            "recentItemRestorePeriod",
        ),
        (
            creds(json!({"mailboxes": [{"id": m[0].id}], "recentItemRestorePeriod": 1.5})),
            "recentItemRestorePeriod",
        ),
        (
            creds(json!({"mailboxes": [{"id": m[0].id}], "changedItems": "yes"})),
            "changedItems",
        ),
        (
            creds(json!({"mailboxes": [{"id": m[0].id}], "applicationId": "nope"})),
            "System.Guid",
        ),
        // userName/userPassword are not this body's names: no credentials.
        (
            json!({"mailboxes": [{"id": m[0].id}], "userName": "a@b.c", "userPassword": "pw"}),
            "credentials",
        ),
        (
            json!({"mailboxes": [{"id": m[0].id}], "office365UserName": "a@b.c"}),
            "userPassword",
        ),
    ];
    for (body, what) in refused {
        let (status, answer) = post(body.clone()).await;
        assert_eq!(status, 400, "{body} -> {answer}");
        assert!(
            answer["message"].as_str().unwrap_or_default().contains(what),
            "{body}: {answer} should name {what}"
        );
    }
    assert!(
        server.store().restores().is_empty(),
        "a refused request restores nothing"
    );
    // Names in any case, booleans and an int32 as strings (Json.NET converts them).
    let (status, answer) = post(json!({
        "MAILBOXES": [{"ID": m[0].id, "isarchive": "false"}, {"id": m[1].id}],
        "office365username": "admin@contoso.com",
        "OFFICE365USERPASSWORD": "pw",
        "markrestoredAsunread": "true",
        "DeletedItems": true,
        "recentItemRestorePeriod": "14",
    }))
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["details"].as_array().map(Vec::len), Some(2), "{answer}");
    assert_eq!(answer["details"][0]["mailbox"]["id"], m[0].id.as_str());
    assert!(
        answer["details"][0]["details"]["createdItemsCount"].is_i64(),
        "{answer}"
    );
    let records = server.store().restores();
    assert_eq!(records.len(), 2);
    for r in &records {
        assert!(
            r.flags.mark_unread && r.flags.deleted_items && !r.flags.changed_items,
            "{r:?}"
        );
    }
    // The path's session id is a GUID too.
    let (status, _) = {
        let r = http
            .post(format!(
                "{base}/v7/RestoreSessions/latest/organization/mailboxes/restore"
            ))
            .bearer_auth(&tok)
            .json(&creds(json!({"mailboxes": [{"id": m[0].id}]})))
            .send()
            .await
            .expect("post");
        (r.status().as_u16(), ())
    };
    assert_eq!(status, 400);
    assert_eq!(server.store().restores().len(), 2);
}

// ---- bad answers from a server that is not the emulator ----

/// What the canned server answers: the bulk POST's status and body, and (v8) the statistics' body.
#[derive(Clone)]
struct Canned {
    bulk: (u16, String),
    statistics: String,
}

/// A minimal server: the token, the bulk restore (canned), and for v8 the restore session (stopped), its
/// events (one finished Restore event) and its statistics (canned).
async fn canned(c: Canned) -> String {
    use axum::routing::{get, post};
    let bulk = c.bulk.clone();
    let stats = c.statistics.clone();
    let sid = "5a1c4f0e-1111-2222-3333-444455556666";
    let app = axum::Router::new()
        .route(
            "/{v}/token",
            post(|| async {
                axum::Json(
                    json!({"access_token": "t", "refresh_token": "r", "token_type": "bearer", "expires_in": 3600}),
                )
            }),
        )
        .route(
            "/{v}/RestoreSessions/{id}/organization/mailboxes/restore",
            post(move || {
                let (status, body) = bulk.clone();
                async move {
                    (
                        axum::http::StatusCode::from_u16(status).expect("status"),
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        body,
                    )
                }
            }),
        )
        .route(
            "/{v}/RestoreSessions/{id}/Statistics",
            get(move || {
                let s = stats.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], s) }
            }),
        )
        .route(
            "/{v}/RestoreSessions/{id}/Events",
            get(move || async move {
                axum::Json(json!({"offset": 0, "limit": 30, "results": [
                    {"id": "0f0f0f0f-1111-2222-3333-444455556666", "type": "Restore", "status": "Success",
                     "order": 1, "message": "done"}]}))
            }),
        )
        .route(
            "/{v}/RestoreSessions/{id}",
            get(move || async move {
                axum::Json(
                    json!({"id": sid, "name": "bulk", "state": "Stopped", "result": "Success",
                    "type": "Vex", "creationTime": "2025-11-20T07:00:00Z", "endTime": "2025-11-20T07:01:00Z"}),
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

async fn bulk_answer(v: ApiVersion, c: Canned) -> Result<BulkOutcome, ApiError> {
    let base = canned(c).await;
    let cl = client(&base, v);
    cl.login("vex", &SecretString::from("x")).await.expect("login");
    let one = (A.to_string(), Some("a@x".to_string()));
    cl.restore_mailboxes(
        "86ca0a7b-7e8f-4f03-876e-185bd3ad9a04",
        &request(&[one], "pw"),
        &|_| {},
        &RestoreHooks::default(),
    )
    .await
}

const A: &str = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";

/// v6/v7 answers that say nothing usable are "outcome unknown" (the restore may have run), never zeros;
/// quoted numbers are read; a mailbox whose counts are missing, null or negative has no outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_synchronous_answers_never_invent_counts() {
    for v in [ApiVersion::V6, ApiVersion::V7] {
        for body in ["{}", r#"{"status":null,"details":null}"#, "[]", "not json", "", "null"] {
            let r = bulk_answer(
                v,
                Canned {
                    bulk: (200, body.into()),
                    statistics: String::new(),
                },
            )
            .await;
            assert!(matches!(r, Err(ApiError::OutcomeUnknown(_))), "{v} {body:?}: {r:?}");
        }
        let quoted = format!(
            r#"{{"status":"Success","details":[{{"mailbox":{{"id":"{A}"}},"status":"Success",
               "details":{{"createdItemsCount":"12","mergedItemsCount":"0","skippedItemsCount":"3","failedItemsCount":"1"}}}}]}}"#
        );
        let o = bulk_answer(
            v,
            Canned {
                bulk: (200, quoted),
                statistics: String::new(),
            },
        )
        .await
        .expect("quoted numbers are read");
        let m = o.of(A, "a@x", false).and_then(|m| m.outcome.clone()).expect("counts");
        assert_eq!([m.created, m.merged, m.skipped, m.failed], [12, 0, 3, 1], "{v}");
        for details in [
            r#"{"createdItemsCount":null}"#,
            r#"{"mergedItemsCount":4}"#,
            r#"{"createdItemsCount":-2}"#,
            "null",
        ] {
            let body =
                format!(r#"{{"status":"Warning","details":[{{"mailbox":{{"id":"{A}"}},"details":{details}}}]}}"#);
            let o = bulk_answer(
                v,
                Canned {
                    bulk: (200, body),
                    statistics: String::new(),
                },
            )
            .await
            .expect("an answer");
            let m = o.of(A, "a@x", false).expect("the mailbox is named");
            assert!(m.outcome.is_none(), "{v} {details}: {m:?}");
        }
        // Refused before it ran: an HTTP error, not an unknown outcome.
        let r = bulk_answer(
            v,
            Canned {
                bulk: (400, r#"{"message":"No mailboxes to restore"}"#.into()),
                statistics: String::new(),
            },
        )
        .await;
        assert!(matches!(r, Err(ApiError::Http { status: 400, .. })), "{v}: {r:?}");
    }
}

/// v8: no session id is an unknown outcome; statistics without `BulkMailbox` entries or with null counts
/// leave the mailbox without an outcome; quoted counts are read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_v8_answers_never_invent_counts() {
    for body in ["{}", r#"{"sessionId":null}"#, r#"{"sessionId":""}"#, "[]"] {
        let r = bulk_answer(
            ApiVersion::V8,
            Canned {
                bulk: (200, body.into()),
                statistics: String::new(),
            },
        )
        .await;
        assert!(matches!(r, Err(ApiError::OutcomeUnknown(_))), "{body:?}: {r:?}");
    }
    let answer = r#"{"sessionId":"5a1c4f0e-1111-2222-3333-444455556666"}"#.to_string();
    let stats = |items: &str| {
        format!(
            r#"{{"totalItemsCount":"9","restoredItemsCount":"7","failedItemsCount":"0","skippedItemsCount":"2","items":{items}}}"#
        )
    };
    let o = bulk_answer(
        ApiVersion::V8,
        Canned {
            bulk: (200, answer.clone()),
            statistics: stats(&format!(
                r#"[{{"id":"{A}","itemRestoreDetailsType":"BulkMailbox","mailboxEmail":"a@x",
                    "createdMailboxItemsCount":"7","mergedMailboxItemsCount":"0","failedMailboxItemsCount":"0",
                    "skippedMailboxItemsCount":"2"}}]"#
            )),
        },
    )
    .await
    .expect("followed");
    let m = o.of(A, "a@x", false).and_then(|m| m.outcome.clone()).expect("counts");
    assert_eq!([m.created, m.merged, m.skipped, m.failed], [7, 0, 2, 0]);
    for items in [
        "[]".to_string(),
        "null".to_string(),
        format!(r#"[{{"id":"{A}","itemRestoreDetailsType":"Item","name":"x"}}]"#),
        format!(r#"[{{"id":"{A}","itemRestoreDetailsType":"BulkMailbox","createdMailboxItemsCount":null}}]"#),
    ] {
        let o = bulk_answer(
            ApiVersion::V8,
            Canned {
                bulk: (200, answer.clone()),
                statistics: stats(&items),
            },
        )
        .await
        .expect("followed");
        assert!(
            o.of(A, "a@x", false).and_then(|m| m.outcome.clone()).is_none(),
            "{items}: {o:?}"
        );
    }
}
