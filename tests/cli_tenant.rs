//! The target tenant of restores and device codes (`officeRegion`, `officeOrganizationName`,
//! `targetApplicationId`, `targetRegion`, `targetOrganizationName`) from `vex restore` / `vex device-code`
//! flags and from the profile, run as the real binary against the emulator, which records what it got.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use support::cli::{Env, json, out};
use vex::api::models::OfficeRegion;

const APP: &str = "4d1f3b2a-1111-2222-3333-444455556666";

/// The emulator with quick v8 restores, `--api v8`, and a restore password in the environment.
async fn env() -> Env {
    support::cli::start(support::cli::quick_restores())
        .await
        .var("VEX_RESTORE_PASSWORD", "Exchange-Secret-42")
}

/// (session, mailbox, two item ids of its Inbox, another mailbox's address).
fn fixture(e: &Env, profile: Option<&str>) -> (String, String, String, String) {
    let sid = json(&e.vex_profile(profile, &["sessions", "new", "--json"]))[0]["id"]
        .as_str()
        .expect("session id")
        .to_string();
    let mbs = json(&e.vex_profile(profile, &["mailboxes", "--session", &sid, "--json"]));
    let mb = mbs[0]["id"].as_str().expect("mailbox id").to_string();
    let target = mbs[2]["email"].as_str().expect("target email").to_string();
    let folders = json(&e.vex_profile(profile, &["folders", "--session", &sid, "--mailbox", &mb, "--json"]));
    let inbox = folders
        .as_array()
        .and_then(|a| a.iter().find(|f| f["name"] == "Inbox"))
        .and_then(|f| f["id"].as_str())
        .expect("Inbox")
        .to_string();
    let items = json(&e.vex_profile(
        profile,
        &[
            "items",
            "--session",
            &sid,
            "--mailbox",
            &mb,
            "--folder",
            &inbox,
            "--limit",
            "2",
            "--json",
        ],
    ));
    let ids: Vec<&str> = items
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    (sid, mb, ids.join(","), target)
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_and_device_code_options_from_flags() {
    let e = env().await;
    let (sid, mb, ids, target) = fixture(&e, None);
    let restore = |extra: &[&str]| {
        let mut a = vec![
            "restore",
            "--session",
            &sid,
            "--mailbox",
            &mb,
            "--items",
            &ids,
            "--to",
            &target,
            "--restore-user",
            "admin@contoso.de",
            "--yes",
            "--json",
        ];
        a.extend_from_slice(extra);
        e.vex_profile(None, &a)
    };
    // Any case of the spec's value; what is sent is the spec's spelling.
    json(&restore(&[
        "--office-region",
        "germany",
        "--office-org",
        "contoso.onmicrosoft.de",
    ]));
    let r = e.server.store().restores();
    let last = r.last().expect("a restore");
    assert_eq!(last.office_region.as_deref(), Some("Germany"));
    assert_eq!(last.office_organization_name.as_deref(), Some("contoso.onmicrosoft.de"));
    // Without them nothing is sent: the server's default.
    json(&restore(&[]));
    let r = e.server.store().restores();
    let last = r.last().expect("a restore");
    assert_eq!(
        (last.office_region.as_deref(), last.office_organization_name.as_deref()),
        (None, None)
    );
    // A value the spec does not have is a usage error before anything is sent.
    let before = e.server.store().restores().len();
    let bad = restore(&["--office-region", "Mars"]);
    assert_eq!(bad.status.code(), Some(2), "{}", out(&bad));
    assert!(
        out(&bad).contains("USGovernment"),
        "the message lists the regions: {}",
        out(&bad)
    );
    assert_eq!(e.server.store().restores().len(), before, "nothing sent");

    // The device code.
    let dc = json(&e.vex_profile(
        None,
        &[
            "device-code",
            "--session",
            &sid,
            "--target-app-id",
            APP,
            "--target-region",
            "usgovernment",
            "--target-org",
            "contoso.us",
            "--json",
        ],
    ));
    assert!(dc[0]["userCode"].as_str().is_some_and(|c| !c.is_empty()), "{dc}");
    let reqs = e.server.store().device_code_requests();
    let last = reqs.last().expect("a device-code request");
    assert_eq!(last.target_application_id.as_deref(), Some(APP));
    assert_eq!(last.target_region, Some(OfficeRegion::USGovernment));
    assert_eq!(last.target_organization_name.as_deref(), Some("contoso.us"));
    let bad = e.vex_profile(
        None,
        &["device-code", "--session", &sid, "--target-app-id", "not-a-guid"],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", out(&bad));
    assert_eq!(
        e.server.store().device_code_requests().len(),
        reqs.len(),
        "nothing sent"
    );
    e.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_and_device_code_options_from_the_profile() {
    let e = env().await;
    e.write_config(&format!(
        r#"default_profile = "cn"
[profiles.cn]
server = "{}"
user = "{}"
api = "v7"
office_region = "China"
office_organization_name = "contoso.partner.onmschina.cn"
target_application_id = "{APP}"
target_region = "China"
target_organization_name = "contoso.partner.onmschina.cn"
"#,
        e.server.base_url(),
        e.cfg.user
    ));
    let (sid, mb, ids, target) = fixture(&e, Some("cn"));
    let base = [
        "restore",
        "--session",
        &sid,
        "--mailbox",
        &mb,
        "--items",
        &ids,
        "--to",
        &target,
        "--restore-user",
        "admin@contoso.cn",
        "--yes",
        "--json",
    ];
    json(&e.vex_profile(Some("cn"), &base));
    let r = e.server.store().restores();
    let last = r.last().expect("a restore");
    assert_eq!(last.api_version, 7);
    assert_eq!(last.office_region.as_deref(), Some("China"));
    assert_eq!(
        last.office_organization_name.as_deref(),
        Some("contoso.partner.onmschina.cn")
    );
    // A flag wins over the profile.
    let mut a = base.to_vec();
    a.extend(["--office-region", "Worldwide", "--office-org", "contoso.com"]);
    json(&e.vex_profile(Some("cn"), &a));
    let r = e.server.store().restores();
    let last = r.last().expect("a restore");
    assert_eq!(last.office_region.as_deref(), Some("Worldwide"));
    assert_eq!(last.office_organization_name.as_deref(), Some("contoso.com"));

    json(&e.vex_profile(Some("cn"), &["device-code", "--session", &sid, "--json"]));
    let reqs = e.server.store().device_code_requests();
    let last = reqs.last().expect("a device-code request");
    assert_eq!(last.target_application_id.as_deref(), Some(APP));
    assert_eq!(last.target_region, Some(OfficeRegion::China));
    assert_eq!(
        last.target_organization_name.as_deref(),
        Some("contoso.partner.onmschina.cn")
    );

    // A bad value in the profile stops vex with the setting named (exit 2), before anything is sent.
    e.write_config(&format!(
        "[profiles.bad]\nserver = \"{}\"\nuser = \"{}\"\ntarget_region = \"Atlantis\"\n",
        e.server.base_url(),
        e.cfg.user
    ));
    let before = e.server.fault_stats().requests;
    let o = e.vex_profile(Some("bad"), &["device-code", "--session", &sid]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(out(&o).contains("target_region"), "{}", out(&o));
    assert_eq!(e.server.fault_stats().requests, before, "nothing sent");
    e.server.shutdown().await;
}
