//! The hostile mailboxes of the emulator (organization 0, "Hostile Data" and the one with a hostile display
//! name; see `vex::sim::hostile`): every answer about them is valid against the official schemas (strict,
//! for v6, v7 and v8), and vex's client reads all of it, byte for byte, without a panic.

/// Of the shared helpers only the spec validator (the crates that do not validate leave it and jsonschema
/// out: `support/mod.rs` does not list it).
#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support {
    pub mod spec;
}

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::time::Duration;
use support::spec::Spec;
use vex::api::models::*;
use vex::api::{ApiVersion, Client, ClientConfig, FolderParent, RestoreScope, SearchScope, VersionChoice};
use vex::sim::hostile::{CROWD, HOSTILE_FOLDERS, HOSTILE_NAME, HOSTILE_NAMED_NAME, MAIL, MEGABYTE_SUBJECT};
use vex::sim::{SimConfig, SimServer};

fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

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

/// A raw HTTP walker that validates every answer against the spec.
struct Walker {
    http: reqwest::Client,
    base: String,
    v: &'static str,
    token: String,
    checked: usize,
}

impl Walker {
    async fn new(server: &SimServer, v: &'static str) -> Walker {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let base = format!("{}/{v}", server.base_url());
        let r: Value = http
            .post(format!("{base}/token"))
            .form(&[
                ("grant_type", "password"),
                ("username", "vex"),
                ("password", "vex-demo-password"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = r["access_token"].as_str().unwrap().to_string();
        Walker {
            http,
            base,
            v,
            token,
            checked: 0,
        }
    }

    fn validate(&mut self, method: &str, path: &str, status: u16, body: &Value) {
        let spec = Spec::global();
        let full = format!("/{}{path}", self.v);
        let template = spec
            .match_template(self.v, method, &full)
            .unwrap_or_else(|| panic!("{method} {full} is not in the spec"));
        let mut body = body.clone();
        let problems = support::spec::strip_seed_extras(&mut body);
        assert!(problems.is_empty(), "{} {method} {path}: {problems:?}", self.v);
        if let Err(e) = spec.validate_response(self.v, method, &template, status, &body) {
            let shown: String = e.chars().take(3000).collect();
            panic!("{} {method} {path}: {shown}", self.v);
        }
        self.checked += 1;
    }

    async fn get(&mut self, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert_eq!(status, 200, "GET {path}");
        let body: Value = serde_json::from_slice(&r.bytes().await.unwrap()).expect("JSON");
        self.validate("GET", path, status, &body);
        body
    }

    async fn post(&mut self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert!((200..300).contains(&status), "POST {path}: {status}");
        let bytes = r.bytes().await.unwrap();
        let body: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("JSON")
        };
        self.validate("POST", path, status, &body);
        body
    }
}

fn results(v: &Value) -> Vec<Value> {
    v["results"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_mailboxes_conform_to_the_spec() {
    let server = sim().await;
    for v in ["v6", "v7", "v8"] {
        let mut w = Walker::new(&server, v).await;
        let orgs = w.get("/Organizations?extendedView=true").await;
        let org = if v == "v8" {
            results(&orgs)[0].clone()
        } else {
            orgs[0].clone()
        };
        let rs = w
            .post(
                &format!("/Organizations/{}/explore", org["id"].as_str().unwrap()),
                json!({"type": "Vex", "showDeleted": true, "showAllVersions": true}),
            )
            .await;
        let rs = format!("/RestoreSessions/{}", rs["id"].as_str().unwrap());
        let mbs = results(&w.get(&format!("{rs}/organization/mailboxes?offset=0&limit=100")).await);
        let hostile: Vec<Value> = mbs
            .iter()
            .filter(|m| m["name"] == HOSTILE_NAME || m["name"] == HOSTILE_NAMED_NAME)
            .cloned()
            .collect();
        assert_eq!(hostile.len(), 2, "{v}: both hostile mailboxes are listed");
        let target = mbs[3]["email"].as_str().unwrap().to_string();
        for mb in &hostile {
            let mbp = format!("{rs}/organization/mailboxes/{}", mb["id"].as_str().unwrap());
            w.get(&mbp).await;
            let all = results(&w.get(&format!("{mbp}/folders?limit=1000")).await);
            assert_eq!(all.len(), HOSTILE_FOLDERS.len());
            let roots = results(&w.get(&format!("{mbp}/folders?parentId=root")).await);
            let inbox = roots.iter().find(|f| f["name"] == "Inbox").expect("Inbox").clone();
            let children = results(
                &w.get(&format!(
                    "{mbp}/folders?parentId={}",
                    enc(inbox["id"].as_str().unwrap())
                ))
                .await,
            );
            assert!(
                children.iter().any(|f| f["name"] == ""),
                "{v}: the folder without a name"
            );
            assert!(
                children
                    .iter()
                    .any(|f| f["name"].as_str().is_some_and(|n| n.contains('\u{1b}'))),
                "{v}: the folder with escapes in its name"
            );
            for f in &all {
                let fid = f["id"].as_str().unwrap();
                w.get(&format!("{mbp}/folders/{}", enc(fid))).await;
                let param = if v == "v6" { "folderId" } else { "parentId" };
                let items = results(&w.get(&format!("{mbp}/items?{param}={}&limit=100", enc(fid))).await);
                assert!(!items.is_empty(), "{v}: {} has items", f["name"]);
                for it in &items {
                    let one = w.get(&format!("{mbp}/items/{}", enc(it["id"].as_str().unwrap()))).await;
                    assert_eq!(&one, it, "{v}: the item by id is the listed one");
                }
            }
            // Search inside, a restore of hostile items (its events carry their titles), export.
            w.post(&format!("{mbp}/search?limit=30"), json!({"query": "subject:clipboard"}))
                .await;
            let inbox_items = results(
                &w.get(&format!(
                    "{mbp}/items?{}={}&limit=100",
                    if v == "v6" { "folderId" } else { "parentId" },
                    enc(inbox["id"].as_str().unwrap())
                ))
                .await,
            );
            for idx in [0usize, 1, 2, 12] {
                let r = w
                    .post(
                        &format!(
                            "{mbp}/items/{}/restoreTo",
                            enc(inbox_items[idx]["id"].as_str().unwrap())
                        ),
                        json!({"mailbox": target, "folder": "Hostile restores", "userName": "a", "userPassword": "b"}),
                    )
                    .await;
                if v == "v8" {
                    let sid = r["sessionId"].as_str().unwrap();
                    tokio::time::sleep(Duration::from_millis(120)).await;
                    w.get(&format!("/RestoreSessions/{sid}/Events?limit=100")).await;
                    w.get(&format!("/RestoreSessions/{sid}/Statistics")).await;
                }
            }
        }
        let events = results(&w.get(&format!("{rs}/Events?limit=1000")).await);
        if v != "v8" {
            assert!(
                events
                    .iter()
                    .any(|e| e["itemName"].as_str().is_some_and(|n| n.contains('\u{1b}'))),
                "{v}: restore events name the hostile items"
            );
        }
        w.get("/RestoreSessions?limit=1000").await;
        assert!(w.checked > 50, "{v}: {} answers validated", w.checked);
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_client_reads_hostile_data_verbatim() {
    let server = sim().await;
    for v in [ApiVersion::V6, ApiVersion::V7, ApiVersion::V8] {
        let c = Client::new(ClientConfig {
            version: VersionChoice::Fixed(v),
            // Verbatim: no string is cut (by default strings are cut at 64 KiB when decoding; see
            // tests/hostile_server.rs).
            limits: vex::api::BodyLimits {
                max_string: usize::MAX,
                ..Default::default()
            },
            ..ClientConfig::new(server.base_url())
        })
        .unwrap();
        c.login("vex", &SecretString::from("vex-demo-password")).await.unwrap();
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
        let mbs = vex::api::paging::collect_all(100, |o, l| c.mailboxes(&s.id, o, l))
            .await
            .unwrap();
        assert_eq!(mbs.len(), 52);
        assert_eq!(mbs[50].name.as_deref(), Some(HOSTILE_NAME));
        assert_eq!(mbs[51].name.as_deref(), Some(HOSTILE_NAMED_NAME), "kept verbatim");
        let mb = &mbs[50].id;
        let folders = c.all_folders(&s.id, mb, FolderParent::All).await.unwrap();
        let names: Vec<&str> = folders.iter().map(|f| f.name.as_deref().unwrap_or("<none>")).collect();
        assert_eq!(names, HOSTILE_FOLDERS.iter().map(|f| f.name).collect::<Vec<_>>());
        let inbox = &folders[0];
        let items = c.items(&s.id, mb, &inbox.id, 0, 100).await.unwrap().results;
        assert_eq!(items.len(), MAIL.len());
        for (i, (what, subject)) in MAIL.iter().enumerate() {
            if !subject.is_empty() {
                assert_eq!(items[i].title(), Some(*subject), "{v}: {what}");
            }
        }
        assert!(items[12].title().unwrap().len() >= MEGABYTE_SUBJECT);
        assert_eq!(items[10].kind(), ItemKind::Message);
        assert_eq!(items[10].title(), None, "every field absent");
        assert_eq!(items[11].kind(), ItemKind::Other, "no itemClass");
        assert_eq!(items[18].attachments().len(), 1000);
        let ItemData::Message(m) = &items[17].data else {
            panic!()
        };
        assert_eq!(m.to.as_deref().unwrap().split("; ").count(), CROWD);
        let ItemData::Message(m) = &items[21].data else {
            panic!()
        };
        assert_eq!(
            m.received.as_ref().and_then(ApiDate::as_utc).map(|t| t.year()),
            Some(9999)
        );
        for it in &items {
            assert_eq!(&c.item(&s.id, mb, &it.id).await.unwrap(), it);
        }
        let cal = folders.iter().find(|f| f.name.as_deref() == Some("Calendar")).unwrap();
        let appts = c.items(&s.id, mb, &cal.id, 0, 10).await.unwrap().results;
        let ItemData::Appointment(a) = &appts[0].data else {
            panic!()
        };
        assert_eq!(a.attendees.as_deref().unwrap().split("; ").count(), CROWD);
        // Search and a restore of hostile items, through the client.
        let found = c
            .search(&s.id, SearchScope::Mailbox(mb), "subject:\"window title\"", 0, 10)
            .await
            .unwrap();
        assert_eq!(found.results.first().map(|i| i.id.clone()), Some(items[2].id.clone()));
        let target = mbs[3].email.clone().unwrap();
        let o = c
            .restore_to(
                &s.id,
                mb,
                &RestoreScope::Items,
                &RestoreToRequest {
                    mailbox: Some(target),
                    folder: Some(format!("From hostile {v}")),
                    credentials: RestoreCredentials {
                        user_name: Some("a".into()),
                        user_password: Some(SecretString::from("b")),
                        ..Default::default()
                    },
                    items: Some(items.iter().map(|i| ItemId { id: i.id.clone() }).collect()),
                    ..Default::default()
                },
                &|_| {},
            )
            .await
            .unwrap();
        assert_eq!(o.created as usize, MAIL.len(), "{v}: {o:?}");
        let events = c
            .all_session_events(o.session_id.as_deref().unwrap_or(&s.id))
            .await
            .unwrap();
        assert!(!events.is_empty());
    }
    server.shutdown().await;
}
