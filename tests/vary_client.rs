//! Issue 12, part 3: the client and the CLI listings against the emulator's varied answers
//! (`vex sim --vary SEED`: optional fields left out, nullable fields null, numbers and booleans as strings,
//! absolute links, `_actions`, 429 on any route) and page sizes capped below the request (`--max-page`),
//! under several seeds. The same data served plainly is the reference: nothing may be lost, truncated or
//! read differently.

use secrecy::SecretString;
use std::process::{Command, Output};
use std::time::Duration;
use vex::api::models::*;
use vex::api::paging;
use vex::api::{ApiVersion, Client, ClientConfig, FolderParent, RestoreScope, SearchScope, Trust, VersionChoice};
use vex::sim::vary::Vary;
use vex::sim::{SimConfig, SimServer};

const VERSIONS: [ApiVersion; 3] = [ApiVersion::V6, ApiVersion::V7, ApiVersion::V8];
const BIN: &str = env!("CARGO_BIN_EXE_vex");

/// A plain emulator, and one serving the same data varied with `seed` and pages capped at `max_page`.
async fn pair(seed: u64, max_page: u32) -> (SimServer, SimServer, SimConfig) {
    vex::install_crypto_provider();
    let plain = SimConfig {
        tls: false,
        v8_restore_duration: Duration::from_millis(100),
        ..Default::default()
    };
    let varied = SimConfig {
        // Retry-After 0: the throttled requests are retried at once (the test stays fast).
        vary: Some(Vary {
            retry_after_secs: 0,
            ..Vary::new(seed)
        }),
        max_page: Some(max_page),
        ..plain.clone()
    };
    let p = vex::sim::start(plain.clone()).await.expect("plain emulator");
    let v = vex::sim::start(varied).await.expect("varied emulator");
    (p, v, plain)
}

async fn client(server: &SimServer, cfg: &SimConfig, v: ApiVersion) -> Client {
    let c = Client::new(ClientConfig {
        version: VersionChoice::Fixed(v),
        trust: Trust::System,
        ..ClientConfig::new(server.base_url())
    })
    .expect("client");
    c.login(&cfg.user, &SecretString::from(cfg.password.clone()))
        .await
        .expect("login");
    c
}

async fn explore(c: &Client) -> RestoreSession {
    let orgs = c.organizations().await.expect("organizations");
    let org = orgs[0].id.clone().expect("organization id");
    c.explore(
        &org,
        &ExploreOptions {
            session_type: Some(SessionType::Vex),
            show_deleted: Some(true),
            show_all_versions: Some(true),
            ..Default::default()
        },
    )
    .await
    .expect("explore")
}

fn ids<T>(v: &[T], id: impl Fn(&T) -> String) -> Vec<String> {
    v.iter().map(id).collect()
}

/// Everything a careful operator does, on both servers, compared.
async fn walk(seed: u64, max_page: u32) {
    let (plain, varied, cfg) = pair(seed, max_page).await;
    for v in VERSIONS {
        let what = format!("seed {seed}, max page {max_page}, {v}");
        let p = client(&plain, &cfg, v).await;
        let c = client(&varied, &cfg, v).await;

        let (po, vo) = (
            p.organizations().await.expect("orgs"),
            c.organizations().await.expect("orgs"),
        );
        assert_eq!(
            ids(&vo, |o| o.id.clone().unwrap_or_default()),
            ids(&po, |o| o.id.clone().unwrap_or_default()),
            "{what}: organizations"
        );
        let (ps, vs) = (explore(&p).await, explore(&c).await);
        let (pm, vm) = (
            p.all_mailboxes(&ps.id).await.expect("mailboxes"),
            c.all_mailboxes(&vs.id).await.expect("mailboxes"),
        );
        assert!(
            pm.len() > usize::try_from(max_page).unwrap_or(0),
            "{what}: more mailboxes than a page"
        );
        assert_eq!(
            ids(&vm, |m| m.id.clone()),
            ids(&pm, |m| m.id.clone()),
            "{what}: mailboxes"
        );

        let mut kinds = std::collections::HashSet::new();
        for mb in pm.iter().take(2) {
            let pf = p.all_folders(&ps.id, &mb.id, FolderParent::All).await.expect("folders");
            let vf = c.all_folders(&vs.id, &mb.id, FolderParent::All).await.expect("folders");
            assert_eq!(
                ids(&vf, |f| f.id.clone()),
                ids(&pf, |f| f.id.clone()),
                "{what}: folders"
            );
            for f in &pf {
                let n = p.count_items(&ps.id, &mb.id, &f.id).await.expect("count");
                // Counting on the varied server: totalCount may be null (v6/v7), pages capped.
                let vn = c.count_items(&vs.id, &mb.id, &f.id).await.expect("count");
                assert_eq!(vn, n, "{what}: count of {:?}", f.name);
                if n > 400 {
                    continue;
                }
                let pi = paging::collect_all(100, |o, l| p.items(&ps.id, &mb.id, &f.id, o, l))
                    .await
                    .expect("items");
                let vi = paging::collect_all(100, |o, l| c.items(&vs.id, &mb.id, &f.id, o, l))
                    .await
                    .expect("items");
                assert_eq!(
                    ids(&vi, |i| i.id.clone()),
                    ids(&pi, |i| i.id.clone()),
                    "{what}: {:?}",
                    f.name
                );
                // Each kind reads as the same kind; read by id, an item is what the listing showed.
                for (a, b) in pi.iter().zip(&vi) {
                    assert_eq!(a.kind(), b.kind(), "{what}: {}", a.id);
                    if kinds.insert(a.kind()) {
                        let one = c.item(&vs.id, &mb.id, &a.id).await.expect("item by id");
                        assert_eq!(one.kind(), a.kind(), "{what}");
                        assert_eq!(one.title(), b.title(), "{what}: {}", a.id);
                    }
                }
            }
        }
        assert!(kinds.len() >= 6, "{what}: item kinds seen {kinds:?}");

        // A search, one page of 10 at a time, followed through capped pages in the same result set.
        let mb = &pm[0].id;
        let page = |cl: &Client, sid: String, o: u64| {
            let cl = cl.clone();
            async move {
                paging::fill_page(o, 10, |o, l| {
                    let (cl, sid) = (cl.clone(), sid.clone());
                    async move { cl.search(&sid, SearchScope::Mailbox(mb), "subject:re", o, l).await }
                })
                .await
                .expect("search page")
            }
        };
        for o in [0u64, 10, 20] {
            let (a, b) = (page(&p, ps.id.clone(), o).await, page(&c, vs.id.clone(), o).await);
            assert_eq!(b.results.len(), 10, "{what}: a full page of search results at {o}");
            assert_eq!(
                ids(&b.results, |i| i.id.clone()),
                ids(&a.results, |i| i.id.clone()),
                "{what}"
            );
        }

        // A restore (v6/v7 answer late, v8's session runs for a while) and an export.
        let inbox = c
            .all_folders(&vs.id, mb, FolderParent::Root)
            .await
            .expect("root folders")
            .into_iter()
            .find(|f| f.name.as_deref() == Some("Inbox"))
            .expect("Inbox");
        let two: Vec<ItemId> = paging::fill_page(0, 2, |o, l| c.items(&vs.id, mb, &inbox.id, o, l))
            .await
            .expect("items")
            .results
            .into_iter()
            .map(|i| ItemId { id: i.id })
            .collect();
        let req = RestoreToRequest {
            mailbox: pm[3].email.clone(),
            folder: Some(format!("Varied {seed} {v}")),
            credentials: RestoreCredentials {
                user_name: Some("admin@contoso.com".into()),
                user_password: Some(SecretString::from("pw")),
                ..Default::default()
            },
            items: Some(two.clone()),
            ..Default::default()
        };
        let o = c
            .restore_to(&vs.id, mb, &RestoreScope::Items, &req, &|_| {})
            .await
            .expect("restore");
        assert_eq!((o.created, o.failed), (2, 0), "{what}: {o:?}");
        let dir = tempfile::tempdir().expect("tempdir");
        let pst = dir.path().join("two.pst");
        let opts = ExportOptions {
            items: Some(two),
            ..Default::default()
        };
        c.export_pst(&vs.id, mb, &RestoreScope::Items, &opts, &pst, &|_| {})
            .await
            .expect("export");
        assert!(std::fs::read(&pst).expect("pst").starts_with(b"!BDN"), "{what}");
    }
    plain.shutdown().await;
    varied.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_client_reads_varied_answers_like_plain_ones_seed_3() {
    walk(3, 7).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_client_reads_varied_answers_like_plain_ones_seed_11() {
    walk(11, 25).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_client_reads_varied_answers_like_plain_ones_seed_2026() {
    walk(2026, 3).await;
}

// ------------------------------------------------------------------------------------------------
// The CLI listings, as the real binary.

fn vex(server: &SimServer, cfg: &SimConfig, dir: &tempfile::TempDir, api: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["--server", server.base_url(), "--user", &cfg.user, "--api", api])
        .args(args)
        .env("VEX_PASSWORD", &cfg.password)
        .env("VEX_CONFIG_DIR", dir.path().join("config"))
        .env("VEX_DATA_DIR", dir.path().join("data"))
        .env("VEX_STATE_DIR", dir.path().join("state"))
        .env_remove("VEX_PROFILE")
        .output()
        .expect("run vex")
}

fn json(o: &Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "vex failed ({:?}): {}\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

fn id_list(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .expect("a JSON array")
        .iter()
        .map(|x| x["id"].as_str().expect("an id").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_listings_are_complete_against_varied_capped_answers() {
    for (seed, max_page) in [(5u64, 4u32), (17, 9)] {
        let (plain, varied, cfg) = pair(seed, max_page).await;
        let dir = tempfile::tempdir().expect("tempdir");
        for api in ["v6", "v7", "v8"] {
            let what = format!("seed {seed}, max page {max_page}, {api}");
            let run = |s: &SimServer, args: &[&str]| vex(s, &cfg, &dir, api, args);
            assert_eq!(
                id_list(&json(&run(&varied, &["organizations", "--json"]))),
                id_list(&json(&run(&plain, &["organizations", "--json"]))),
                "{what}"
            );
            let table = run(&varied, &["sessions", "list"]);
            assert!(table.status.success(), "{what}");
            let new = |s: &SimServer| {
                json(&run(s, &["sessions", "new", "--json"]))[0]["id"]
                    .as_str()
                    .expect("session id")
                    .to_string()
            };
            let (ps, vs) = (new(&plain), new(&varied));
            let pm = json(&run(&plain, &["mailboxes", "--session", &ps, "--json"]));
            let vm = json(&run(&varied, &["mailboxes", "--session", &vs, "--json"]));
            assert_eq!(
                id_list(&vm),
                id_list(&pm),
                "{what}: every mailbox, none lost to the capped pages"
            );
            let mb = id_list(&pm)[0].clone();
            let pf = json(&run(
                &plain,
                &["folders", "--session", &ps, "--mailbox", &mb, "--all", "--json"],
            ));
            let vf = json(&run(
                &varied,
                &["folders", "--session", &vs, "--mailbox", &mb, "--all", "--json"],
            ));
            assert_eq!(id_list(&vf), id_list(&pf), "{what}: folders");
            let inbox = pf
                .as_array()
                .and_then(|a| a.iter().find(|f| f["name"] == "Inbox"))
                .and_then(|f| f["id"].as_str())
                .expect("Inbox")
                .to_string();
            // `--all` to the end, and one page of `--limit`, against pages capped below it.
            let items = |s: &SimServer, sid: &str, extra: &[&str]| {
                let mut a = vec![
                    "items",
                    "--session",
                    sid,
                    "--mailbox",
                    &mb,
                    "--folder",
                    &inbox,
                    "--json",
                ];
                a.extend_from_slice(extra);
                id_list(&json(&run(s, &a)))
            };
            let all = items(&varied, &vs, &["--all", "--limit", "1000"]);
            assert_eq!(all, items(&plain, &ps, &["--all", "--limit", "1000"]), "{what}: --all");
            assert!(all.len() > 2000, "{what}: the whole Inbox ({})", all.len());
            let one = items(&varied, &vs, &["--offset", "100", "--limit", "25"]);
            assert_eq!(one, all[100..125].to_vec(), "{what}: --limit 25 from 100");
            let q = |s: &SimServer, sid: &str| {
                id_list(&json(&run(
                    s,
                    &[
                        "items",
                        "--session",
                        sid,
                        "--mailbox",
                        &mb,
                        "--query",
                        "subject:re",
                        "--limit",
                        "12",
                        "--json",
                    ],
                )))
            };
            let found = q(&varied, &vs);
            assert_eq!(found.len(), 12, "{what}: a full page of search results");
            assert_eq!(found, q(&plain, &ps), "{what}: search");
            // One item with every field reads the same.
            let pi = json(&run(
                &plain,
                &["item", "--session", &ps, "--mailbox", &mb, &all[0], "--json"],
            ));
            let vi = json(&run(
                &varied,
                &["item", "--session", &vs, "--mailbox", &mb, &all[0], "--json"],
            ));
            let first = |v: serde_json::Value| if v.is_array() { v[0].clone() } else { v };
            let (pi, vi) = (first(pi), first(vi));
            assert_eq!(vi["id"], pi["id"], "{what}");
            assert_eq!(vi["itemClass"], pi["itemClass"], "{what}");
        }
        plain.shutdown().await;
        varied.shutdown().await;
    }
}
