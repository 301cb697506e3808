//! The emulator is as strict as a real VB365 (ASP.NET) server on input, and behaves as a server should
//! against broken or hostile requests (issue 12 part 2, issue 13 point 14). Real HTTP over real sockets.

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vex::sim::{SimConfig, SimServer};

async fn server(cfg: SimConfig) -> SimServer {
    vex::install_crypto_provider();
    vex::sim::start(SimConfig {
        tls: false,
        v8_restore_duration: Duration::from_millis(50),
        ..cfg
    })
    .await
    .expect("the emulator starts")
}

/// The default: strict.
fn strict() -> SimConfig {
    let cfg = SimConfig::default();
    assert!(cfg.strict, "the emulator is strict by default");
    cfg
}

fn http() -> reqwest::Client {
    // Run alone (nextest, or a filter), a test may build its client before any emulator installed it.
    vex::install_crypto_provider();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
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
    j["access_token"].as_str().expect("access_token").to_string()
}

async fn get(http: &reqwest::Client, url: String, token: &str) -> (u16, Value) {
    let r = http.get(url).bearer_auth(token).send().await.expect("request");
    let status = r.status().as_u16();
    let body = r.bytes().await.expect("body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn post_raw(http: &reqwest::Client, url: String, token: &str, ct: &str, body: String) -> (u16, Value) {
    let r = http
        .post(url)
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, ct)
        .body(body)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    let body = r.bytes().await.expect("body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn post(http: &reqwest::Client, url: String, token: &str, body: Value) -> (u16, Value) {
    post_raw(http, url, token, "application/json", body.to_string()).await
}

/// The organizations (a bare array on v6/v7, a page on v8).
fn orgs_of(v: u8, body: &Value) -> Vec<Value> {
    let list = if v < 8 { body } else { &body["results"] };
    list.as_array().cloned().unwrap_or_default()
}

/// A new restore session of the first organization: (session id, a mailbox, another mailbox's address).
async fn session(http: &reqwest::Client, base: &str, v: u8, token: &str) -> (String, Value, String) {
    let (s, orgs) = get(http, format!("{base}/v{v}/Organizations?extendedView=true"), token).await;
    assert_eq!(s, 200, "{orgs}");
    let org = orgs_of(v, &orgs)[0]["id"].as_str().expect("org id").to_string();
    let (s, session) = post(
        http,
        format!("{base}/v{v}/Organizations/{org}/explore"),
        token,
        json!({ "type": "Vex" }),
    )
    .await;
    assert!(s == 200 || s == 201, "{s} {session}");
    let id = session["id"].as_str().expect("session id").to_string();
    let (s, mbs) = get(
        http,
        format!("{base}/v{v}/RestoreSessions/{id}/organization/mailboxes?limit=10"),
        token,
    )
    .await;
    assert_eq!(s, 200);
    let mbs = mbs["results"].as_array().cloned().unwrap_or_default();
    let other = mbs[1]["email"].as_str().expect("email").to_string();
    (id, mbs[0].clone(), other)
}

/// The 400 of a value that does not bind: RESTExceptionInfo with the ASP.NET model-state message, plus
/// `errorCode` on v8.
fn assert_invalid(v: u8, status: u16, body: &Value, value: &str, name: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["message"],
        format!("The value '{value}' is not valid for {name}."),
        "{body}"
    );
    if v >= 8 {
        assert_eq!(body["errorCode"], "ParameterValidationFailure");
    } else {
        assert!(body.get("errorCode").is_none(), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn offset_and_limit_bind_as_int32() {
    let srv = server(strict()).await;
    let base = srv.base_url().to_string();
    let http = http();
    for v in [6u8, 7, 8] {
        let token = login(&http, &base, v).await;
        let (sid, mb, _) = session(&http, &base, v, &token).await;
        let mid = mb["id"].as_str().expect("mailbox id");
        for list in [
            format!("{base}/v{v}/RestoreSessions"),
            format!("{base}/v{v}/RestoreSessions/{sid}/Events"),
            format!("{base}/v{v}/RestoreSessions/{sid}/organization/mailboxes"),
            format!("{base}/v{v}/RestoreSessions/{sid}/organization/mailboxes/{mid}/folders"),
        ] {
            // The largest int32 binds (an empty page past the end).
            let (s, page) = get(&http, format!("{list}?offset=2147483647&limit=2147483647"), &token).await;
            assert_eq!(s, 200, "{list}: {page}");
            assert_eq!(page["offset"], 2147483647, "{page}");
            assert_eq!(page["results"], json!([]));
            // One more does not.
            let (s, e) = get(&http, format!("{list}?offset=2147483648"), &token).await;
            assert_invalid(v, s, &e, "2147483648", "offset");
            let (s, e) = get(&http, format!("{list}?limit=2147483648"), &token).await;
            assert_invalid(v, s, &e, "2147483648", "limit");
            let (s, e) = get(&http, format!("{list}?offset=ten"), &token).await;
            assert_invalid(v, s, &e, "ten", "offset");
            let (s, e) = get(&http, format!("{list}?limit=-2147483649"), &token).await;
            assert_invalid(v, s, &e, "-2147483649", "limit");
        }
        // Search pages too (POST with offset/limit in the query).
        let (s, e) = post(
            &http,
            format!("{base}/v{v}/RestoreSessions/{sid}/organization/mailboxes/{mid}/search?offset=4294967296"),
            &token,
            json!({ "query": "a" }),
        )
        .await;
        assert_invalid(v, s, &e, "4294967296", "offset");
    }
    // `--lenient` (the old leniency, for clients that still probe with 2^31): 64-bit offsets bind.
    let lenient = server(SimConfig {
        strict: false,
        ..Default::default()
    })
    .await;
    let base = lenient.base_url().to_string();
    let token = login(&http, &base, 8).await;
    let (s, page) = get(&http, format!("{base}/v8/RestoreSessions?offset=2147483648"), &token).await;
    assert_eq!(s, 200, "{page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ids_typed_uuid_bind_as_guids() {
    let srv = server(SimConfig::default()).await;
    let base = srv.base_url().to_string();
    let http = http();
    for v in [6u8, 7, 8] {
        let token = login(&http, &base, v).await;
        let (sid, mb, other) = session(&http, &base, v, &token).await;
        let mid = mb["id"].as_str().expect("mailbox id");
        // Path ids.
        let (s, e) = get(&http, format!("{base}/v{v}/RestoreSessions/not-a-guid/Events"), &token).await;
        assert_invalid(v, s, &e, "not-a-guid", "restoreSessionId");
        let (s, e) = get(
            &http,
            format!("{base}/v{v}/RestoreSessions/{sid}/organization/mailboxes/12345"),
            &token,
        )
        .await;
        assert_invalid(v, s, &e, "12345", "mailboxId");
        let (s, e) = post(
            &http,
            format!("{base}/v{v}/Organizations/contoso/explore"),
            &token,
            json!({ "type": "Vex" }),
        )
        .await;
        assert_invalid(v, s, &e, "contoso", "organizationId");
        // A GUID that names nothing is still 404.
        let (s, e) = get(
            &http,
            format!("{base}/v{v}/RestoreSessions/{}/Events", uuid::Uuid::new_v4()),
            &token,
        )
        .await;
        assert_eq!(s, 404, "{e}");
        // A search's setId.
        let (s, e) = post(
            &http,
            format!("{base}/v{v}/RestoreSessions/{sid}/organization/mailboxes/{mid}/search?setId=abc"),
            &token,
            json!({ "query": "a" }),
        )
        .await;
        assert_invalid(v, s, &e, "abc", "setId");
        // Body properties typed uuid: the restore's applicationId (any spelling of its name).
        let restores = srv.store().restores().len();
        let (s, e) = post(
            &http,
            format!("{base}/v{v}/RestoreSessions/{sid}/organization/mailboxes/{mid}/restoreTo"),
            &token,
            json!({ "mailbox": other, "APPLICATIONID": "my-app", "applicationCertificate": "AAAA",
                    "impersonationAccountName": "admin@contoso.example" }),
        )
        .await;
        assert_eq!(s, 400, "{e}");
        let msg = e["message"].as_str().unwrap_or_default();
        assert!(
            msg.contains("System.Guid") && msg.contains("applicationId") && msg.contains("my-app"),
            "{e}"
        );
        assert_eq!(srv.store().restores().len(), restores, "nothing was restored");
        // The device-code request's targetApplicationId.
        let (s, e) = post(
            &http,
            format!("{base}/v{v}/RestoreSessions/{sid}/organization/restoreDeviceCode"),
            &token,
            json!({ "targetApplicationId": "x" }),
        )
        .await;
        assert_eq!(s, 400, "{e}");
        let (s, e) = post(
            &http,
            format!("{base}/v{v}/RestoreSessions/{sid}/organization/restoreDeviceCode"),
            &token,
            json!({ "targetApplicationId": uuid::Uuid::new_v4() }),
        )
        .await;
        assert_eq!(s, 200, "{e}");
    }
}

/// The seed `restore-items-to-another-mailbox.txt`: its example body, byte for byte except the target
/// mailbox (the seed's `djohnes@westsupport.onmicrosoft.com` is not in the emulator's data), with
/// `"markrestoredAsunread": true` in the seed's own casing.
const SEED_BODY: &str = r#"{ "userPassword": "Pa$$w0rd", "userName": "administrator@westsupport.onmicrosoft.com", "mailbox": "djohnes@westsupport.onmicrosoft.com", "casServer": "outlook.office365.com", "folder": "Folder1", "changedItems": true, "deletedItems": false, "markrestoredAsunread": true }"#;

#[tokio::test(flavor = "multi_thread")]
async fn request_bodies_bind_case_insensitively() {
    let srv = server(SimConfig::default()).await;
    let base = srv.base_url().to_string();
    let http = http();
    for v in [6u8, 7, 8] {
        let token = login(&http, &base, v).await;
        let (sid, mb, other) = session(&http, &base, v, &token).await;
        let mid = mb["id"].as_str().expect("mailbox id");
        let (s, folders) = get(
            &http,
            format!("{base}/v{v}/RestoreSessions/{sid}/organization/mailboxes/{mid}/folders?parentId=root&limit=100"),
            &token,
        )
        .await;
        assert_eq!(s, 200);
        let folder = folders["results"]
            .as_array()
            .and_then(|a| a.iter().find(|f| f["name"] == "Inbox"))
            .and_then(|f| f["id"].as_str())
            .expect("an Inbox")
            .to_string();
        let folder = percent_encoding::utf8_percent_encode(&folder, percent_encoding::NON_ALPHANUMERIC).to_string();
        let body = SEED_BODY.replace("djohnes@westsupport.onmicrosoft.com", &other);
        assert!(body.contains(r#""markrestoredAsunread": true"#));
        let (s, answer) = post_raw(
            &http,
            format!("{base}/v{v}/RestoreSessions/{sid}/organization/mailboxes/{mid}/folders/{folder}/restoreTo"),
            &token,
            "application/json",
            body,
        )
        .await;
        assert_eq!(s, 200, "{answer}");
        let rec = srv.store().restores().last().cloned().expect("a restore record");
        assert_eq!(rec.api_version, v);
        assert!(
            rec.flags.mark_unread,
            "markrestoredAsunread bound to markRestoredAsUnread: {rec:?}"
        );
        assert!(rec.flags.changed_items && !rec.flags.deleted_items, "{rec:?}");
        assert_eq!(rec.target_mailbox.as_deref(), Some(other.as_str()));
        assert_eq!(rec.target_folder.as_deref(), Some("Folder1"));
        // Every spelling binds; `false` in odd casing too.
        let (s, answer) = post_raw(
            &http,
            format!("{base}/v{v}/RestoreSessions/{sid}/organization/mailboxes/{mid}/folders/{folder}/restoreTo"),
            &token,
            "application/json; charset=utf-8",
            json!({ "USERNAME": "a@b.c", "userpassword": "x", "Mailbox": other, "MARKRESTOREDASUNREAD": false,
                    "ChangedItems": false, "DELETEDITEMS": true })
            .to_string(),
        )
        .await;
        assert_eq!(s, 200, "{answer}");
        let rec = srv.store().restores().last().cloned().expect("a restore record");
        assert!(
            !rec.flags.mark_unread && !rec.flags.changed_items && rec.flags.deleted_items,
            "{rec:?}"
        );
        // A JSON body sent as text/plain is 415, and nothing is restored.
        let count = srv.store().restores().len();
        let (s, e) = post_raw(
            &http,
            format!("{base}/v{v}/RestoreSessions/{sid}/organization/mailboxes/{mid}/folders/{folder}/restoreTo"),
            &token,
            "text/plain",
            SEED_BODY.replace("djohnes@westsupport.onmicrosoft.com", &other),
        )
        .await;
        assert_eq!(s, 415, "{e}");
        assert!(e["message"].as_str().unwrap_or_default().contains("text/plain"), "{e}");
        assert_eq!(srv.store().restores().len(), count);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn organizations_honour_extended_view() {
    let srv = server(strict()).await;
    let base = srv.base_url().to_string();
    let http = http();
    let backup_fields = ["isBackedup", "firstBackuptime", "lastBackuptime"];
    for v in [6u8, 7, 8] {
        let token = login(&http, &base, v).await;
        let url = format!("{base}/v{v}/Organizations");
        let (s, all) = get(&http, format!("{url}?extendedView=true"), &token).await;
        assert_eq!(s, 200, "{all}");
        let orgs = orgs_of(v, &all);
        assert!(!orgs.is_empty());
        for o in &orgs {
            for f in backup_fields {
                assert!(
                    o.get(f).is_some_and(|x| !x.is_null()),
                    "v{v} extendedView=true: {f} in {o}"
                );
            }
        }
        let (s, plain) = get(&http, format!("{url}?extendedView=false"), &token).await;
        assert_eq!(s, 200, "{plain}");
        for o in orgs_of(v, &plain) {
            assert!(o["id"].is_string() && o["name"].is_string(), "{o}");
            for f in backup_fields {
                assert!(o.get(f).is_none(), "v{v} extendedView=false: no {f} in {o}");
            }
        }
        let (s, default) = get(&http, url.clone(), &token).await;
        if v == 6 {
            // v6 marks the parameter required.
            assert_eq!(s, 400, "{default}");
            assert!(default["message"].as_str().unwrap_or_default().contains("extendedView"));
        } else {
            // v7/v8 default to false.
            assert_eq!(s, 200, "{default}");
            assert_eq!(orgs_of(v, &default), orgs_of(v, &plain));
        }
        let (s, e) = get(&http, format!("{url}?extendedView=yes"), &token).await;
        assert_invalid(v, s, &e, "yes", "extendedView");
    }
}

// ---------------------------------------------------------------------------------------------------
// The emulator as a server, over raw sockets.

/// Writes `request` (ignoring a write the server cut short) and reads until the server answers and
/// closes or `deadline` passes: (what was read, whether the connection ended).
async fn exchange(addr: std::net::SocketAddr, request: &[u8], deadline: Duration) -> (String, bool) {
    let mut sock = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let _ = sock.write_all(request).await;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let ended = loop {
        match tokio::time::timeout(deadline, sock.read(&mut buf)).await {
            Ok(Ok(0)) => break true,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Ok(Err(_)) => break true,
            Err(_) => break false,
        }
    };
    (String::from_utf8_lossy(&got).into_owned(), ended)
}

fn status_of(response: &str) -> Option<u16> {
    response.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_shorter_than_its_content_length_times_out() {
    let srv = server(SimConfig {
        body_read_timeout: Duration::from_millis(500),
        ..Default::default()
    })
    .await;
    let req = b"POST /v8/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=password";
    let started = Instant::now();
    let (resp, ended) = exchange(srv.local_addr(), req, Duration::from_secs(60)).await;
    assert_eq!(status_of(&resp), Some(408), "{resp}");
    assert!(ended || resp.contains("did not arrive in time"), "{resp}");
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "it waited for the body first"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn headers_that_never_end_time_out() {
    let srv = server(SimConfig {
        header_read_timeout: Duration::from_millis(500),
        ..Default::default()
    })
    .await;
    let (resp, ended) = exchange(
        srv.local_addr(),
        b"GET /v8/ServiceInstance HTTP/1.1\r\nHost: x\r\nX-Slow: ",
        Duration::from_secs(60),
    )
    .await;
    assert!(ended, "the server closed the connection: {resp:?}");
    assert!(!resp.contains("200 OK"), "no answer to an unfinished request: {resp:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_200_kb_header_is_431() {
    let srv = server(SimConfig::default()).await;
    let mut req = b"GET /v8/ServiceInstance HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    req.extend(std::iter::repeat_n(b'a', 200 * 1024));
    req.extend_from_slice(b"\r\n\r\n");
    let (resp, _) = exchange(srv.local_addr(), &req, Duration::from_secs(60)).await;
    assert_eq!(status_of(&resp), Some(431), "{resp:?}");
    // The server still serves after it.
    let (resp, _) = exchange(
        srv.local_addr(),
        b"GET /v8/ServiceInstance HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(status_of(&resp), Some(401), "{resp:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_chunk_size_is_400() {
    let srv = server(SimConfig::default()).await;
    let req = b"POST /v8/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\ngrant_type=password\r\n0\r\n\r\n";
    let (resp, _) = exchange(srv.local_addr(), req, Duration::from_secs(60)).await;
    assert_eq!(status_of(&resp), Some(400), "{resp:?}");
    assert!(!resp.contains("413"), "{resp:?}");
    // A body over the limit is still 413 (announced by Content-Length, not sent).
    let req = b"POST /v8/token HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\nConnection: close\r\n\r\nabc";
    let (resp, _) = exchange(srv.local_addr(), req, Duration::from_secs(60)).await;
    assert_eq!(status_of(&resp), Some(413), "{resp:?}");
}

// ---------------------------------------------------------------------------------------------------
// `vex sim --vary SEED --max-page N`, the real binary.

/// Kills the emulator process when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn vex_sim_vary_and_max_page_from_the_command_line() {
    use std::io::BufRead;
    let bin = env!("CARGO_BIN_EXE_vex");
    let help = std::process::Command::new(bin)
        .args(["sim", "--help"])
        .output()
        .expect("vex sim --help");
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--vary <SEED>",
        "--max-page <N>",
        "--lenient",
        "--vary-throttle",
        "--body-timeout",
    ] {
        assert!(help.contains(flag), "vex sim --help documents {flag}:\n{help}");
    }
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    for flag in ["--vary SEED", "--max-page N", "--lenient"] {
        assert!(readme.contains(flag), "the README documents {flag}");
    }

    let mut child = Child(
        std::process::Command::new(bin)
            .args([
                "sim",
                "--plain",
                "--listen",
                "127.0.0.1:0",
                "--vary",
                "5",
                "--vary-throttle",
                "0",
                "--max-page",
                "2",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("vex sim starts"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut base = None;
    let mut varied_line = false;
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(1)) else {
            continue;
        };
        if let Some(url) = line.strip_prefix("vex sim: VB365 REST API emulator listening on ") {
            base = Some(url.trim().to_string());
        }
        varied_line |= line.trim_start().starts_with("varied:") && line.contains("seed 5");
        if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    let base = base.expect("the banner names the URL");
    assert!(varied_line, "the banner says the answers vary");
    let http = http();
    let token = login(&http, &base, 7).await;
    let (sid, _, _) = session(&http, &base, 7, &token).await;
    let (s, page) = get(
        &http,
        format!("{base}/v7/RestoreSessions/{sid}/organization/mailboxes?limit=10"),
        &token,
    )
    .await;
    assert_eq!(s, 200, "{page}");
    // Two rows served, and the echoed limit says so (as a number or, varied, a string).
    assert_eq!(page["results"].as_array().map(Vec::len), Some(2), "{page}");
    assert!(page["limit"] == 2 || page["limit"] == "2", "{page}");
    let next = page["_links"]["next"]["href"].as_str().expect("a next link");
    assert!(next.starts_with(&format!("{base}/v7/")), "absolute: {next}");
}

// ---------------------------------------------------------------------------------------------------
// `--vary`: deterministic, throttling anywhere, restores that take time.

fn varied(seed: u64, tweak: impl FnOnce(&mut vex::sim::Vary)) -> SimConfig {
    let mut vary = vex::sim::Vary::new(seed);
    vary.throttle_rate = 0.0;
    tweak(&mut vary);
    SimConfig {
        vary: Some(vary),
        ..Default::default()
    }
}

/// A number the varied answer may quote.
fn num(v: &Value) -> i64 {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("not a number: {v}"))
}

async fn inbox(http: &reqwest::Client, base: &str, v: u8, token: &str, sid: &str, mid: &str) -> String {
    let (s, folders) = get(
        http,
        format!("{base}/v{v}/RestoreSessions/{sid}/organization/mailboxes/{mid}/folders?parentId=root&limit=100"),
        token,
    )
    .await;
    assert_eq!(s, 200, "{folders}");
    let id = folders["results"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["name"] == "Inbox"))
        .and_then(|f| f["id"].as_str())
        .expect("an Inbox")
        .to_string();
    percent_encoding::utf8_percent_encode(&id, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn varied_answers_are_the_same_for_the_same_seed() {
    let http = http();
    let mut bodies = Vec::new();
    for seed in [11, 11, 12] {
        let srv = server(varied(seed, |_| {})).await;
        let base = srv.base_url().to_string();
        let mut text = String::new();
        for v in [6u8, 8] {
            let token = login(&http, &base, v).await;
            let (sid, mb, _) = session(&http, &base, v, &token).await;
            let mid = mb["id"].as_str().expect("mailbox id").to_string();
            let folder = inbox(&http, &base, v, &token, &sid, &mid).await;
            let param = if v == 6 { "folderId" } else { "parentId" };
            let (s, mut page) = get(
                &http,
                format!(
                    "{base}/v{v}/RestoreSessions/{sid}/organization/mailboxes/{mid}/items?{param}={folder}&limit=80"
                ),
                &token,
            )
            .await;
            assert_eq!(s, 200, "{page}");
            // A page's setId is new for every request; the session is new in every run.
            page.as_object_mut().map(|m| m.remove("setId"));
            text += &page.to_string().replace(&sid, "SESSION").replace(&base, "BASE");
        }
        bodies.push(text);
        srv.shutdown().await;
    }
    assert_eq!(bodies[0], bodies[1], "the same seed gives the same answers");
    assert_ne!(bodies[0], bodies[2], "another seed gives other answers");
}

#[tokio::test(flavor = "multi_thread")]
async fn varied_throttles_any_route_with_retry_after() {
    let http = http();
    let mut patterns = Vec::new();
    for _ in 0..2 {
        let srv = server(varied(21, |v| {
            v.throttle_rate = 0.3;
            v.retry_after_secs = 7;
        }))
        .await;
        let base = srv.base_url().to_string();
        let mut pattern = Vec::new();
        let mut routes = std::collections::BTreeSet::new();
        let mut token = None;
        for i in 0..60 {
            let (route, r) = match (&token, i % 3) {
                (None, _) | (_, 0) => (
                    "token",
                    http.post(format!("{base}/v8/token"))
                        .form(&[
                            ("grant_type", "password"),
                            ("username", "vex"),
                            ("password", "vex-demo-password"),
                        ])
                        .send()
                        .await,
                ),
                (Some(t), 1) => (
                    "Organizations",
                    http.get(format!("{base}/v8/Organizations")).bearer_auth(t).send().await,
                ),
                (Some(t), _) => (
                    "RestoreSessions",
                    http.get(format!("{base}/v8/RestoreSessions"))
                        .bearer_auth(t)
                        .send()
                        .await,
                ),
            };
            let r = r.expect("request");
            let status = r.status().as_u16();
            pattern.push(status);
            let retry_after = r.headers().get(reqwest::header::RETRY_AFTER).cloned();
            let body: Value = serde_json::from_slice(&r.bytes().await.expect("body")).unwrap_or(Value::Null);
            match status {
                429 => {
                    assert_eq!(retry_after.as_ref().and_then(|h| h.to_str().ok()), Some("7"));
                    assert!(body["message"].is_string(), "a RESTExceptionInfo: {body}");
                    routes.insert(route);
                }
                200 => {
                    if route == "token" {
                        token = body["access_token"].as_str().map(String::from);
                    }
                }
                other => panic!("{route}: {other} {body}"),
            }
        }
        assert!(routes.len() >= 2, "429 on several routes: {routes:?}");
        let throttled = pattern.iter().filter(|s| **s == 429).count();
        assert!((5..=40).contains(&throttled), "{throttled} of 60 throttled");
        patterns.push(pattern);
    }
    assert_eq!(patterns[0], patterns[1], "the same seed throttles the same requests");
}

#[tokio::test(flavor = "multi_thread")]
async fn varied_restores_take_time_in_proportion_to_their_items() {
    let per_item = Duration::from_millis(1);
    let srv = server(varied(31, |v| {
        v.restore_per_item = per_item;
        v.restore_max = Duration::from_secs(60);
    }))
    .await;
    let base = srv.base_url().to_string();
    let http = http();
    for v in [7u8, 8] {
        let token = login(&http, &base, v).await;
        let (sid, mb, other) = session(&http, &base, v, &token).await;
        let mid = mb["id"].as_str().expect("mailbox id").to_string();
        let folder = inbox(&http, &base, v, &token, &sid, &mid).await;
        let started = Instant::now();
        let (s, answer) = post(
            &http,
            format!("{base}/v{v}/RestoreSessions/{sid}/organization/mailboxes/{mid}/folders/{folder}/restoreTo"),
            &token,
            json!({ "mailbox": other, "userName": "admin@contoso.example", "userPassword": "x",
                    "changedItems": true, "deletedItems": true }),
        )
        .await;
        assert_eq!(s, 200, "{answer}");
        if v == 7 {
            // Synchronous: the answer comes when the restore is done.
            let elapsed = started.elapsed();
            let n: i64 = [
                "createdItemsCount",
                "mergedItemsCount",
                "skippedItemsCount",
                "failedItemsCount",
            ]
            .iter()
            .filter(|k| answer.get(**k).is_some_and(|x| !x.is_null()))
            .map(|k| num(&answer[*k]))
            .sum();
            assert!(n >= 500, "a big folder: {answer}");
            assert!(elapsed >= per_item * n as u32, "{n} items answered after {elapsed:?}");
        } else {
            // Asynchronous: the restore session stays Working for that long.
            let rid = answer["sessionId"].as_str().expect("sessionId").to_string();
            let url = format!("{base}/v8/RestoreSessions/{rid}");
            let (s, first) = get(&http, url.clone(), &token).await;
            assert_eq!(s, 200);
            assert_eq!(first["state"], "Working", "{first}");
            let deadline = Instant::now() + Duration::from_secs(120);
            let took = loop {
                let (_, now) = get(&http, url.clone(), &token).await;
                if now["state"] != "Working" {
                    break started.elapsed();
                }
                assert!(Instant::now() < deadline, "still Working after 120 s: {now}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            let (s, stats) = get(&http, format!("{url}/Statistics"), &token).await;
            assert_eq!(s, 200, "{stats}");
            let n = num(&stats["totalItemsCount"]);
            assert!(n >= 500, "a big folder: {stats}");
            assert!(took >= per_item * n as u32, "{n} items done after {took:?}");
        }
    }
}
