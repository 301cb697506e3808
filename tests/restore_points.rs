//! Restore points: the client lists an organization's points newest first, paged (v7/v8 on the server, v6
//! from its one array), with the names of their jobs and repositories; `vex restore-points` prints them;
//! `vex sessions new --point` opens a session at one (its time, and on v8 its repository), and vex
//! remembers the point in time of the sessions it starts (state dir, 0600) and shows it in
//! `vex sessions list` ("not known" for the others).

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use secrecy::SecretString;
use support::cli::{code, json, out, stdout};
use vex::api::models::RestorePoint;
use vex::api::{ApiVersion, Client, ClientConfig, VersionChoice, paging};

async fn client(server: &vex::sim::SimServer, cfg: &vex::sim::SimConfig, v: ApiVersion) -> Client {
    let c = Client::new(ClientConfig {
        version: VersionChoice::Fixed(v),
        ..ClientConfig::new(server.base_url())
    })
    .expect("client");
    c.login(&cfg.user, &SecretString::from(cfg.password.clone()))
        .await
        .expect("login");
    c
}

fn times(points: &[RestorePoint]) -> Vec<time::OffsetDateTime> {
    points
        .iter()
        .map(|p| p.backup_time.as_ref().and_then(|t| t.as_utc()).expect("a backup time"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn points_are_listed_newest_first_paged_with_job_and_repository_names() {
    let e = support::cli::start(support::cli::plain()).await;
    let data = vex::sim::data::Data::new(e.cfg.seed);
    let org = &data.orgs[0];
    let expected = vex::sim::points::points(&data, org);
    for v in [ApiVersion::V6, ApiVersion::V7, ApiVersion::V8] {
        let c = client(&e.server, &e.cfg, v).await;
        let oid = org.id.to_string();
        // Pages of 7: every point once, newest first, whatever order the server keeps (v6 answers oldest
        // first).
        let mut all = Vec::new();
        let mut offset = 0;
        loop {
            let page = c.restore_points(&oid, offset, 7).await.expect("a page");
            let n = page.results.len();
            all.extend(page.results);
            if n < 7 {
                break;
            }
            offset += 7;
        }
        assert_eq!(all.len(), expected.len(), "{v}");
        let t = times(&all);
        assert!(t.windows(2).all(|w| w[0] >= w[1]), "{v}: newest first: {t:?}");
        assert_eq!(t[0], org.last_backup, "{v}");
        assert!(
            all.iter().all(|p| p.organization_id.as_deref() == Some(oid.as_str())),
            "{v}"
        );
        let no_exchange = all.iter().filter(|p| !p.has_exchange()).count();
        assert_eq!(no_exchange, expected.iter().filter(|p| !p.exchange).count(), "{v}");
        assert!(all.iter().any(|p| p.kind_label() == "archive copy"), "{v}");
        // The names behind the ids.
        let names = vex::commands::point_names(&c, &all[..3]).await;
        assert_eq!(
            names.get(all[0].job_id.as_deref().expect("job")).map(String::as_str),
            Some("Exchange and OneDrive daily")
        );
        assert!(
            names
                .get(all[0].repository_id.as_deref().expect("repository"))
                .is_some_and(|n| n.starts_with("Local repository")),
            "{v}: {names:?}"
        );
        // fill_page (what the CLI uses) gives the same first page.
        let first = paging::fill_page(0, 5, |o, l| c.restore_points(&oid, o, l))
            .await
            .expect("first 5");
        assert_eq!(times(&first.results), t[..5].to_vec(), "{v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_opened_at_a_point_is_remembered_with_its_point_in_time() {
    let e = support::cli::start(support::cli::plain()).await;
    let points = json(&e.vex(&["restore-points", "--limit", "5", "--json"]));
    let points = points.as_array().expect("a list");
    assert_eq!(points.len(), 5);
    // The table: time, whether it holds Exchange data, kind, job and repository by name.
    let table = stdout(&e.vex(&["restore-points", "--limit", "3"]));
    assert!(
        table.contains("BACKUP TIME") && table.contains("Exchange and OneDrive daily"),
        "{table}"
    );
    assert!(
        table.lines().any(|l| l.contains(" no ")),
        "a point without Exchange data: {table}"
    );

    // The second-newest point with Exchange data.
    let pick = points
        .iter()
        .filter(|p| p["isExchange"] == true)
        .nth(1)
        .expect("two points with Exchange data");
    let (pid, when) = (
        pick["id"].as_str().expect("id"),
        pick["backupTime"].as_str().expect("time"),
    );
    let new = json(&e.vex(&["sessions", "new", "--point", pid, "--json"]));
    let sid = new[0]["id"].as_str().expect("session").to_string();
    // The emulator kept what the explore request asked for: the point's backup time, and on v8 (the
    // harness's default) the point's repository.
    let settings = e.server.store().explore_settings(&sid).expect("an explore session");
    let at = time::OffsetDateTime::parse(when, &time::format_description::well_known::Rfc3339).expect("a time");
    assert_eq!(settings.point_in_time, Some(at));
    assert_eq!(
        settings.repository_id.map(|r| r.to_string()).as_deref(),
        pick["repositoryId"].as_str()
    );

    let file = e.dir.path().join("state/session_points.json");
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("the state file")).expect("json");
    assert!(
        saved.to_string().contains(&sid) && saved.to_string().contains(pid),
        "{saved}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777,
            0o600
        );
    }

    let list = e.vex(&["sessions", "list"]);
    assert_eq!(code(&list), 0, "{}", out(&list));
    let text = stdout(&list);
    let mine = text
        .lines()
        .find(|l| l.starts_with(&sid))
        .unwrap_or_else(|| panic!("{text}"));
    let shown = when.get(..16).expect("a time").replace('T', " ");
    assert!(mine.contains(&shown), "the point in time {shown} on: {mine}");
    assert!(
        text.lines().any(|l| l.contains("not known")),
        "the seeded sessions were not started by vex: {text}"
    );

    // An unknown point is an error that opens no session.
    let before = json(&e.vex(&["sessions", "list", "--json"])).as_array().map(Vec::len);
    let o = e.vex(&["sessions", "new", "--point", "00000000-0000-0000-0000-000000000000"]);
    assert_eq!(code(&o), 4, "{}", out(&o));
    assert_eq!(
        json(&e.vex(&["sessions", "list", "--json"])).as_array().map(Vec::len),
        before
    );
}
