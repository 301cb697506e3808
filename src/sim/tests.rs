//! End-to-end tests of the emulator over real HTTP (reqwest), independent of vex's own client.

use super::data::{MILLION_FOLDER_INDEX, MILLION_MAILBOX};
use super::ids::FolderKey;
use super::{SimConfig, SimServer, start};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

async fn plain() -> (SimServer, reqwest::Client) {
    crate::install_crypto_provider();
    let cfg = SimConfig {
        tls: false,
        v8_restore_duration: Duration::from_millis(150),
        ..SimConfig::default()
    };
    let server = start(cfg).await.expect("emulator starts");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    (server, http)
}

async fn login(http: &reqwest::Client, base: &str, v: u8) -> String {
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
    assert_eq!(r.status(), 200);
    let j: Value = r.json().await.expect("token json");
    assert!(j["expires_in"].is_i64(), "expires_in is a JSON integer: {j}");
    assert_eq!(j["token_type"], "bearer");
    j["access_token"].as_str().expect("access_token").to_string()
}

async fn get(http: &reqwest::Client, url: String, token: &str) -> (u16, Value) {
    let r = http.get(url).bearer_auth(token).send().await.expect("request");
    let status = r.status().as_u16();
    let body = r.bytes().await.expect("body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn post(http: &reqwest::Client, url: String, token: &str, body: Value) -> (u16, Value) {
    let r = http
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    let body = r.bytes().await.expect("body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn explore(http: &reqwest::Client, base: &str, v: u8, token: &str) -> String {
    let (s, orgs) = get(http, format!("{base}/v{v}/Organizations?extendedView=true"), token).await;
    assert_eq!(s, 200);
    let org = if v < 8 {
        orgs[0]["id"].clone()
    } else {
        orgs["results"][0]["id"].clone()
    };
    let (s, session) = post(
        http,
        format!("{base}/v{v}/Organizations/{}/explore", org.as_str().expect("org id")),
        token,
        json!({"type": "Vex", "dateTime": "2025-11-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(s, if v < 8 { 200 } else { 201 }, "{session}");
    assert_eq!(session["state"], "Working");
    session["id"].as_str().expect("session id").to_string()
}

#[tokio::test]
async fn auth_and_mailboxes_over_http() {
    let (server, http) = plain().await;
    let base = server.base_url().to_string();
    assert!(base.starts_with("http://127.0.0.1:"));

    // Wrong password: OAuth-style 400.
    let r = http
        .post(format!("{base}/v8/token"))
        .form(&[("grant_type", "password"), ("username", "vex"), ("password", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let j: Value = r.json().await.unwrap();
    assert_eq!(j["error"], "invalid_grant");
    assert!(j["error_description"].is_string());
    // v8 has no default grant type.
    let r = http
        .post(format!("{base}/v8/token"))
        .form(&[("username", "vex"), ("password", "vex-demo-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // Anonymous and bogus tokens: 401 with an empty body.
    let r = http.get(format!("{base}/v8/ServiceInstance")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.bytes().await.unwrap().is_empty());
    let r = http
        .get(format!("{base}/v6/Organizations"))
        .bearer_auth("bogus")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.bytes().await.unwrap().is_empty());
    // A version the server does not serve: 404.
    let r = http.get(format!("{base}/v5/ServiceInstance")).send().await.unwrap();
    assert_eq!(r.status(), 404);

    for v in [6u8, 8] {
        let token = login(&http, &base, v).await;
        let (s, si) = get(&http, format!("{base}/v{v}/serviceinstance"), &token).await;
        assert_eq!(s, 200);
        assert_eq!(si["version"], super::server_version(v));
        let rs = explore(&http, &base, v, &token).await;
        // Case-insensitive routing.
        let (s, page) = get(
            &http,
            format!("{base}/V{v}/restoresessions/{rs}/Organization/MAILBOXES?offset=0&limit=20"),
            &token,
        )
        .await;
        assert_eq!(s, 200, "{page}");
        assert_eq!(page["results"].as_array().map(Vec::len), Some(20));
        assert_eq!(page["offset"], 0);
        assert_eq!(page["limit"], 20);
        assert!(
            page["_links"]["next"]["href"]
                .as_str()
                .is_some_and(|h| h.contains("offset=20"))
        );
        if v < 8 {
            assert_eq!(page["totalCount"], 52, "50 generated mailboxes and 2 hostile ones");
        } else {
            assert!(page.get("totalCount").is_none());
        }
        let mb = page["results"][0]["id"].as_str().unwrap().to_string();
        assert_eq!(page["results"][0]["name"], "Zoë Müller");

        // Root folders, then the Inbox's items through the version's own parameter.
        let mbp = format!("{base}/v{v}/RestoreSessions/{rs}/organization/mailboxes/{mb}");
        let (s, folders) = get(&http, format!("{mbp}/folders?parentId=root"), &token).await;
        assert_eq!(s, 200);
        let inbox = folders["results"][0].clone();
        assert_eq!(inbox["name"], "Inbox");
        assert_eq!(inbox.get("mailboxId").is_some(), v == 8);
        let fid = inbox["id"].as_str().unwrap().to_string();
        assert!(fid.contains('/') && fid.contains('+') && fid.contains('='));
        let (s, f) = get(&http, format!("{mbp}/folders/{}", enc(&fid)), &token).await;
        assert_eq!((s, f["name"].clone()), (200, json!("Inbox")));
        let (s, children) = get(&http, format!("{mbp}/folders?parentId={}", enc(&fid)), &token).await;
        assert_eq!(s, 200);
        assert!(
            children["results"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["name"] == "Projects")
        );

        let (param, other) = if v == 6 {
            ("folderId", "parentId")
        } else {
            ("parentId", "folderId")
        };
        let (s, items) = get(
            &http,
            format!("{mbp}/items?{param}={}&limit=5&offset=2595", enc(&fid)),
            &token,
        )
        .await;
        assert_eq!(s, 200, "{items}");
        assert_eq!(items["results"].as_array().map(Vec::len), Some(5));
        assert!(
            items["_links"].get("next").is_none(),
            "the last page of 2,600 live items"
        );
        assert_eq!(items["results"][0].get("mailboxId").is_some(), v == 8);
        let (s, _) = get(&http, format!("{mbp}/items?{other}={}", enc(&fid)), &token).await;
        assert_eq!(s, 400, "the other version's parameter is not understood");
        let iid = items["results"][0]["id"].as_str().unwrap().to_string();
        let (s, item) = get(&http, format!("{mbp}/items/{}", enc(&iid)), &token).await;
        assert_eq!(s, 200);
        assert_eq!(item, items["results"][0]);
        let (s, e) = get(&http, format!("{mbp}/items/{}", enc("AAMk+/+/garbled==")), &token).await;
        assert_eq!(s, 404);
        assert!(e["message"].is_string());

        // Search.
        let (s, found) = post(
            &http,
            format!("{mbp}/search?limit=5"),
            &token,
            json!({"query": "subject:invoice"}),
        )
        .await;
        assert_eq!(s, 200, "{found}");
        assert!(
            found["results"].as_array().unwrap().iter().all(|i| i["subject"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("invoice"))
        );
        let (s, _) = post(&http, format!("{mbp}/search"), &token, json!({"query": ""})).await;
        assert_eq!(s, 400);
        // Malformed JSON: 400 with a message.
        let r = http
            .post(format!("{mbp}/search"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body("{oops")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        // Unknown route.
        let (s, e) = get(&http, format!("{base}/v{v}/NoSuchThing"), &token).await;
        assert_eq!(s, 404);
        assert!(e["message"].is_string());
        // Stop, then browsing is refused.
        let r = http
            .post(format!("{base}/v{v}/RestoreSessions/{rs}/Stop"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), if v == 8 { 204 } else { 200 });
        let (s, e) = get(&http, format!("{mbp}/folders"), &token).await;
        assert_eq!(s, 400);
        assert!(e["message"].as_str().unwrap().contains("stopped"));
    }

    // Logout: v6 has none, v8 answers 204 and the token stops working.
    let token = login(&http, &base, 8).await;
    let r = http
        .post(format!("{base}/v6/token/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = http
        .post(format!("{base}/v8/token/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (s, _) = get(&http, format!("{base}/v8/Organizations"), &token).await;
    assert_eq!(s, 401);
    server.shutdown().await;
}

#[tokio::test]
async fn refresh_rotates_tokens() {
    let (server, http) = plain().await;
    let base = server.base_url().to_string();
    let r = http
        .post(format!("{base}/v8/token"))
        .json(&json!({"grant_type": "password", "username": "vex", "password": "vex-demo-password", "disable_antiforgery_token": true}))
        .send()
        .await
        .unwrap();
    let t: Value = r.json().await.unwrap();
    let rt = t["refresh_token"].as_str().unwrap().to_string();
    // v8 wants the antiforgery opt-out.
    let r = http
        .post(format!("{base}/v8/token"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", rt.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let refresh = |rt: String| {
        let http = http.clone();
        let base = base.clone();
        async move {
            http.post(format!("{base}/v8/token"))
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", rt.as_str()),
                    ("disable_antiforgery_token", "true"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let r = refresh(rt.clone()).await;
    assert_eq!(r.status(), 200);
    let t2: Value = r.json().await.unwrap();
    assert_ne!(t2["access_token"], t["access_token"]);
    assert_eq!(refresh(rt).await.status(), 400, "the old refresh token is spent");
    server.store().revoke_refresh_tokens();
    assert_eq!(
        refresh(t2["refresh_token"].as_str().unwrap().to_string())
            .await
            .status(),
        400
    );
    server.shutdown().await;
}

#[tokio::test]
async fn v8_restore_runs_asynchronously() {
    let (server, http) = plain().await;
    let base = server.base_url().to_string();
    let token = login(&http, &base, 8).await;
    let rs = explore(&http, &base, 8, &token).await;
    let data = server.store().data();
    let mb = data.orgs[0].mailboxes[0].id;
    let inbox = data.folder_id(FolderKey {
        mailbox: data.orgs[0].mailboxes[0].key,
        folder: 0,
    });
    let mbp = format!("{base}/v8/RestoreSessions/{rs}/organization/mailboxes/{mb}");
    let (_, items) = get(&http, format!("{mbp}/items?parentId={}&limit=3", enc(&inbox)), &token).await;
    let ids: Vec<Value> = items["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| json!({"id": i["id"]}))
        .collect();
    let (s, answer) = post(
        &http,
        format!("{mbp}/items/restoreTo"),
        &token,
        json!({"mailbox": "Fang.Wang@contoso.com", "folder": "Restored", "userName": "a", "userPassword": "b", "items": ids}),
    )
    .await;
    assert_eq!(s, 200, "{answer}");
    let sid = answer["sessionId"].as_str().unwrap().to_string();
    assert_eq!(server.store().restores()[0].outcome, None, "still running");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, ev) = get(&http, format!("{base}/v8/RestoreSessions/{sid}/Events"), &token).await;
        let status = ev["results"][0]["status"].as_str().unwrap_or_default().to_string();
        if status != "Running" {
            assert_eq!(status, "Success");
            break;
        }
        assert!(Instant::now() < deadline, "the restore never finished");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let (s, stats) = get(&http, format!("{base}/v8/RestoreSessions/{sid}/Statistics"), &token).await;
    assert_eq!(s, 200);
    assert_eq!(stats["totalItemsCount"], 3);
    assert_eq!(stats["restoredItemsCount"], 3);
    assert_eq!(stats["items"][0]["itemRestoreDetailsType"], "BulkMailbox");
    assert_eq!(stats["items"][0]["createdMailboxItemsCount"], 3);
    let (_, sessions) = get(&http, format!("{base}/v8/RestoreSessions?limit=100"), &token).await;
    let own = sessions["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == json!(sid))
        .cloned()
        .unwrap();
    assert_eq!(
        (own["state"].as_str(), own["result"].as_str()),
        (Some("Stopped"), Some("Success"))
    );
    let rec = &server.store().restores()[0];
    assert_eq!(rec.outcome.as_ref().map(|o| o.created_items_count), Some(3));
    assert_eq!(
        server
            .store()
            .target_contents("fang.wang@contoso.com", "Restored")
            .len(),
        3
    );
    // The exploring session has the Restore event too, finished.
    let (_, ev) = get(&http, format!("{base}/v8/RestoreSessions/{rs}/Events"), &token).await;
    assert!(
        ev["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "Restore" && e["status"] == "Success")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn million_item_folder_last_page_over_http() {
    let (server, http) = plain().await;
    let base = server.base_url().to_string();
    let token = login(&http, &base, 7).await;
    let rs = explore(&http, &base, 7, &token).await;
    let data = server.store().data();
    let mb = data.mailbox(MILLION_MAILBOX).unwrap().id;
    let f = data.folder_id(FolderKey {
        mailbox: MILLION_MAILBOX,
        folder: MILLION_FOLDER_INDEX,
    });
    let url = |offset: u32| {
        format!(
            "{base}/v7/RestoreSessions/{rs}/organization/mailboxes/{mb}/items?parentId={}&offset={offset}&limit=50",
            enc(&f)
        )
    };
    let (s, page) = get(&http, url(999_990), &token).await;
    assert_eq!(s, 200);
    assert_eq!(page["results"].as_array().map(Vec::len), Some(10));
    assert_eq!(page["totalCount"], 1_000_000);
    // The last page costs about what the first one does (no walk over the million before it): compared in
    // the same run, the fastest of a few requests each, so a busy machine slows both alike. (The first
    // page holds 50 items, the last 10: the last one has no excuse to be slower.)
    let fastest = |offset: u32| {
        let url = url(offset);
        let (http, token) = (&http, &token);
        async move {
            let mut best = Duration::MAX;
            for _ in 0..3 {
                let started = Instant::now();
                let (s, _) = get(http, url.clone(), token).await;
                assert_eq!(s, 200);
                best = best.min(started.elapsed());
            }
            best
        }
    };
    let first = fastest(0).await;
    let last = fastest(999_990).await;
    eprintln!("million over HTTP: last page {last:?}, first page {first:?}");
    assert!(last < first * 5, "last page {last:?}, first page {first:?}");
    server.shutdown().await;
}

/// A page asked for again is served from the kept bytes, by sendfile(2) from their memfd (`zerocopy`):
/// the same text but its fresh `setId`, whole (`Content-Length` or chunked, as before), on a kept-alive
/// connection that then serves the next request.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_kept_page_is_sent_again_without_a_copy_and_unchanged() {
    let (server, http) = plain().await;
    let base = server.base_url().to_string();
    let token = login(&http, &base, 8).await;
    let rs = explore(&http, &base, 8, &token).await;
    let data = server.store().data();
    let mb = data.mailbox(MILLION_MAILBOX).unwrap().id;
    let f = data.folder_id(FolderKey {
        mailbox: MILLION_MAILBOX,
        folder: MILLION_FOLDER_INDEX,
    });
    let url = format!(
        "{base}/v8/RestoreSessions/{rs}/organization/mailboxes/{mb}/items?parentId={}&offset=500000&limit=2000",
        enc(&f)
    );
    let text = |b: &[u8]| String::from_utf8(b.to_vec()).expect("UTF-8");
    let body = |url: String| {
        let (http, token) = (&http, &token);
        async move {
            let r = http.get(url).bearer_auth(token).send().await.expect("request");
            assert_eq!(r.status(), 200);
            r.bytes().await.expect("body")
        }
    };
    let first = text(&body(url.clone()).await);
    let before = super::zerocopy::sent_without_copy();
    let again = text(&body(url.clone()).await);
    let sent = super::zerocopy::sent_without_copy() - before;
    assert!(first.len() > 1 << 20, "a page of 2,000 items: {}", first.len());
    // All but the fresh setId (36 characters) went without a copy (at least: other tests' emulators in
    // this process may send meanwhile).
    assert!(sent as usize >= first.len() - 36 - 4096, "{sent} of {}", first.len());
    let set_id = |t: &str| {
        serde_json::from_str::<Value>(t).expect("JSON")["setId"]
            .as_str()
            .map(str::to_string)
    };
    let (a, b) = (set_id(&first).expect("setId"), set_id(&again).expect("setId"));
    assert_ne!(a, b, "a fresh setId");
    assert_eq!(again.replace(&b, &a), first);
    // The connection serves on.
    let (s, _) = get(&http, format!("{base}/v8/RestoreSessions/{rs}"), &token).await;
    assert_eq!(s, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn tls_presents_the_generated_certificate() {
    crate::install_crypto_provider();
    let server = start(SimConfig::default()).await.expect("emulator starts");
    assert!(server.base_url().starts_with("https://127.0.0.1:"));
    let der = server.cert_der().expect("a certificate").to_vec();
    let fp = server.fingerprint_sha256().unwrap();
    assert_eq!(fp, super::fingerprint(&der));
    assert!(server.cert_pem().unwrap().contains("BEGIN CERTIFICATE"));
    let cert = reqwest::Certificate::from_der(&der).unwrap();
    let http = reqwest::Client::builder().tls_certs_only([cert]).build().unwrap();
    let r = http
        .get(format!("{}/v8/ServiceInstance", server.base_url()))
        .send()
        .await
        .expect("TLS handshake with the pinned root");
    assert_eq!(r.status(), 401);
    let r = http
        .get(format!(
            "https://localhost:{}/v7/ServiceInstance",
            server.local_addr().port()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    server.shutdown().await;
}
