//! The set-up of the `vex batch` tests: an emulator whose second organization (Fabrikam) has a restore
//! session open, its primary mailboxes listed, a file with the restore password and a path for the plan;
//! plus the pieces every plan repeats and a run to its JSON summary.

use super::cli::{self, code, json, out, stdout};
use std::path::PathBuf;
use vex::sim::{Faults, RestoreRecord};

/// A Fabrikam restore session on the emulator, ready for a plan.
pub struct Incident {
    pub e: cli::Env,
    /// The restore session's id.
    pub sid: String,
    /// Primary mailboxes (not archive, not public) in the server's order: (id, e-mail).
    pub mailboxes: Vec<(String, String)>,
    /// Where the plan goes (`plan.toml` in the temporary directory; written by the test).
    pub plan: PathBuf,
    /// The file that holds the restore password (a plan reads it with `password_command`).
    pub password_file: PathBuf,
}

/// The id of the organization `fabrikam.onmicrosoft.com` (the one `SimConfig::mailboxes` scales).
pub fn fabrikam(e: &cli::Env) -> String {
    let orgs = json(&e.vex(&["organizations", "--json"]));
    orgs.as_array()
        .and_then(|a| a.iter().find(|o| o["name"] == "fabrikam.onmicrosoft.com"))
        .and_then(|o| o["id"].as_str())
        .unwrap_or_else(|| panic!("no fabrikam: {orgs}"))
        .to_string()
}

/// Opens a Fabrikam restore session on `e` (its faults set aside meanwhile, so they do not get in the way
/// of the set-up), lists its mailboxes and writes `password` (and a newline) to a file.
pub fn open(e: cli::Env, password: &str) -> Incident {
    let saved = e.server.faults();
    e.server.set_faults(Faults::none());
    let org = fabrikam(&e);
    let sid = json(&e.vex(&["sessions", "new", "--org", &org, "--json"]))[0]["id"]
        .as_str()
        .expect("session")
        .to_string();
    let mbx = json(&e.vex(&["mailboxes", "--session", &sid, "--json"]));
    e.server.set_faults(saved);
    let mailboxes = mbx
        .as_array()
        .expect("mailboxes")
        .iter()
        .filter(|m| m["isArchive"] != true && m["isPublic"] != true)
        .map(|m| {
            (
                m["id"].as_str().unwrap_or_default().to_string(),
                m["email"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let password_file = e.dir.path().join("exchange-password");
    std::fs::write(&password_file, format!("{password}\n")).expect("password file");
    let plan = e.dir.path().join("plan.toml");
    Incident {
        e,
        sid,
        mailboxes,
        plan,
        password_file,
    }
}

/// `["a@x", "b@x"]` as a TOML array's items: `"a@x", "b@x"`.
pub fn toml_list(emails: &[String]) -> String {
    emails.iter().map(|m| format!("{m:?}")).collect::<Vec<_>>().join(", ")
}

impl Incident {
    /// The primary mailboxes' e-mails, in the server's order.
    pub fn emails(&self) -> Vec<String> {
        self.mailboxes.iter().map(|(_, e)| e.clone()).collect()
    }

    /// The plan's line that reads the password from [`Incident::password_file`].
    pub fn password_line(&self) -> String {
        format!("password_command = \"cat '{}'\"", self.password_file.display())
    }

    /// The plan's `[credentials]` section: the restore account of Fabrikam and [`Incident::password_line`].
    pub fn credentials(&self) -> String {
        format!(
            "[credentials]\nuser = \"restore-admin@fabrikam.com\"\n{}\n",
            self.password_line()
        )
    }

    /// Writes the plan.
    pub fn write_plan(&self, text: &str) {
        std::fs::write(&self.plan, text).expect("plan");
    }

    /// The emulator's record of the restores applied in this session.
    pub fn records(&self) -> Vec<RestoreRecord> {
        self.e
            .server
            .store()
            .restores()
            .into_iter()
            .filter(|r| r.restore_session_id == self.sid)
            .collect()
    }

    /// Runs `vex batch PLAN --json EXTRA` to its end, checks it exits 0; its JSON summary and its stderr.
    pub fn run(&self, extra: &[&str]) -> (serde_json::Value, String) {
        let plan = self.plan.display().to_string();
        let mut a = vec!["batch", plan.as_str(), "--json"];
        a.extend_from_slice(extra);
        let o = self.e.vex(&a);
        assert_eq!(code(&o), 0, "{}", out(&o));
        let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("summary JSON");
        (v, String::from_utf8_lossy(&o.stderr).to_string())
    }
}
