//! Secrets never reach `Debug` output or panic messages: every type that holds a password, a token or a
//! certificate is formatted — directly and inside a panic payload — and searched for the secret.

use secrecy::SecretString;
use std::panic::{AssertUnwindSafe, catch_unwind};
use vex::api::models::{RestoreCredentials, RestoreToRequest, TokenResponse};
use vex::config::Profile;
use vex::connect::ConnectSpec;
use vex::restore_plan::{Credentials, RestoreFlags, RestorePlan};

const SECRET: &str = "Sup3r-Secret-Value-42";

/// The text a panic with this value's `Debug` would print.
fn panic_text<T: std::fmt::Debug>(v: &T) -> String {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = catch_unwind(AssertUnwindSafe(|| panic!("something went wrong with {v:?}")));
    std::panic::set_hook(hook);
    match r {
        Err(p) => p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
        Ok(()) => String::new(),
    }
}

fn check<T: std::fmt::Debug>(what: &str, v: &T) {
    let dbg = format!("{v:?}");
    let pretty = format!("{v:#?}");
    let panic = panic_text(v);
    assert!(!panic.is_empty(), "{what}: the panic was caught");
    for (kind, text) in [("Debug", dbg), ("pretty Debug", pretty), ("panic message", panic)] {
        assert!(!text.contains(SECRET), "{what}: the secret is in its {kind}: {text}");
    }
}

#[test]
fn no_secret_in_debug_or_panic_output() {
    check("SecretString", &SecretString::from(SECRET));
    let creds = RestoreCredentials {
        user_name: Some("admin".into()),
        user_password: Some(SecretString::from(SECRET)),
        application_certificate: Some(SecretString::from(SECRET)),
        application_certificate_password: Some(SecretString::from(SECRET)),
        ..Default::default()
    };
    check("RestoreCredentials", &creds);
    check(
        "RestoreToRequest",
        &RestoreToRequest {
            credentials: creds.clone(),
            ..Default::default()
        },
    );
    let token: TokenResponse = serde_json::from_value(serde_json::json!({
        "access_token": SECRET, "refresh_token": SECRET, "token_type": "bearer", "expires_in": 3600
    }))
    .expect("token");
    check("TokenResponse", &token);
    check("Tokens", &vex::api::tokens::Tokens::from_response(token));
    check(
        "Profile",
        &Profile {
            password: Some(SECRET.into()),
            ..Default::default()
        },
    );
    check(
        "ConnectSpec",
        &ConnectSpec {
            profile_password: Some(SECRET.into()),
            ..Default::default()
        },
    );
    let plan = RestorePlan {
        source_mailbox: "A".into(),
        source_folder: None,
        scope: vex::api::RestoreScope::Items,
        item_ids: vec!["1".into()],
        target_mailbox: "b@example.com".into(),
        target_folder: String::new(),
        cas_server: String::new(),
        office_region: None,
        office_organization_name: String::new(),
        credentials: Credentials::Password {
            user: "u".into(),
            password: SecretString::from(SECRET),
        },
        flags: RestoreFlags::default(),
    };
    check("RestorePlan", &plan);
    check(
        "Credentials::Application",
        &Credentials::Application {
            application_id: "id".into(),
            certificate_file: "c.pfx".into(),
            certificate_password: Some(SecretString::from(SECRET)),
            impersonation_account: "svc".into(),
        },
    );
}
