//! The restore dialog's target tenant against the emulator: the profile's region and organization are
//! the first dialog's, the operator changes them, and the restore body (`officeRegion`,
//! `officeOrganizationName`) and the device-code request (`targetRegion`, `targetOrganizationName`,
//! `targetApplicationId`) carry what the form shows. The emulator records what it received.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use crossterm::event::KeyCode;
use std::time::Duration;
use support::app::{AppHarness, Setup};
use vex::api::ApiVersion;
use vex::api::VersionChoice;
use vex::api::models::OfficeRegion;
use vex::app::Overlay;
use vex::app::panes::job_dialog::JobPhase;
use vex::app::panes::restore_dialog::{CredMode, Remembered, RestoreField};
use vex::restore_plan::TenantOptions;

const APP: &str = "4d1f3b2a-1111-2222-3333-444455556666";

async fn start(version: ApiVersion) -> (AppHarness, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let audit = dir.path().join("state/audit.jsonl");
    let setup = Setup {
        sim: vex::sim::SimConfig {
            tls: false,
            v8_restore_duration: Duration::from_millis(200),
            ..Default::default()
        },
        api: VersionChoice::Fixed(version),
        size: (120, 40),
        wait: Duration::from_secs(60),
        settle: Duration::from_millis(150),
        tag: format!("[{version}] "),
        ..Setup::default()
    };
    // What `run_tui_with` does with the profile's settings.
    let profile = TenantOptions {
        office_region: Some(OfficeRegion::Germany),
        office_organization_name: "contoso.onmicrosoft.de".into(),
        target_application_id: APP.into(),
        ..Default::default()
    };
    let h = AppHarness::launch_with(setup, move |mut s| {
        s.audit_log = Some(audit);
        s.jobs.memory = Remembered::from_tenant(&profile);
        s
    })
    .await;
    (h, dir)
}

/// The working Contoso session → its first mailbox → Inbox, two items marked.
async fn two_marked_in_inbox(h: &mut AppHarness) {
    h.open_working_contoso().await;
    h.open_mailbox().await;
    h.open_folder_named("inbox").await;
    h.keys(KeyCode::Char(' '), 2);
    h.settle().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dialog_sends_the_region_and_organization_it_shows() {
    for version in [ApiVersion::V7, ApiVersion::V8] {
        let (mut h, _dir) = start(version).await;
        two_marked_in_inbox(&mut h).await;
        h.open_restore().await;
        assert_eq!(h.dialog().region, Some(OfficeRegion::Germany), "the profile's region");
        let screen = h.screen();
        assert!(
            screen.contains("Germany") && screen.contains("contoso.onmicrosoft.de"),
            "{screen}"
        );
        h.fill_password_form("francois.lefevre@contoso.com", "Tenant", "pw-42")
            .await;
        // Germany → China.
        h.focus(RestoreField::Region).await;
        h.key(KeyCode::Right);
        h.settle().await;
        assert!(h.screen().contains("‹ China ›"), "{}", h.screen());
        h.focus(RestoreField::OrganizationName).await;
        h.retype("contoso.partner.onmschina.cn");
        h.confirm().await;
        let JobPhase::Confirm { lines, .. } = &h.dialog().phase else {
            panic!("{:?}", h.dialog().phase)
        };
        assert!(
            lines[0].ends_with("region China, organization contoso.partner.onmschina.cn"),
            "the confirmation says it: {lines:?}"
        );
        let screen = h.screen();
        assert!(
            screen.contains("region China") && screen.contains("onmschina.cn"),
            "{screen}"
        );
        h.send_confirmed().await;
        let r = h.server.store().restores();
        let last = r.last().expect("a restore");
        assert_eq!(last.office_region.as_deref(), Some("China"), "{version}");
        assert_eq!(
            last.office_organization_name.as_deref(),
            Some("contoso.partner.onmschina.cn"),
            "{version}"
        );
        h.key(KeyCode::Enter);

        // The device code asks for the tenant the form names, and the profile's application.
        h.open_restore().await;
        assert_eq!(h.dialog().region, Some(OfficeRegion::China), "the last dialog's region");
        h.set_mode(CredMode::DeviceCode).await;
        assert_eq!(h.dialog().device_app_id.value(), APP);
        h.focus(RestoreField::RequestCode).await;
        h.key(KeyCode::Enter);
        h.until(
            "a device code",
            |s| matches!(&s.overlay, Some(Overlay::Restore(d)) if d.device_code.is_some()),
        )
        .await;
        let reqs = h.server.store().device_code_requests();
        let last = reqs.last().expect("a device-code request");
        assert_eq!(last.target_region, Some(OfficeRegion::China), "{version}");
        assert_eq!(
            last.target_organization_name.as_deref(),
            Some("contoso.partner.onmschina.cn"),
            "{version}"
        );
        assert_eq!(last.target_application_id.as_deref(), Some(APP), "{version}");
        h.key(KeyCode::Esc);
        h.server.shutdown().await;
    }
}
