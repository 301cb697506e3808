//! Where a password comes from: the `VEX_PASSWORD` environment variable, a profile's
//! `password_command`, or a no-echo prompt. Never a command-line argument. The value is a
//! `SecretString` from the moment it is read (zeroized on drop, redacted in `Debug`).
//!
//! The secret environment variables (`VEX_PASSWORD`, `VEX_RESTORE_PASSWORD`, `VEX_CERT_PASSWORD`) are
//! taken once, at start-up, by [`take_environment`]: read into memory, then scrubbed from the process's
//! environment — the bytes overwritten in place (`/proc/PID/environ` shows the *initial* environment
//! block, which `std::env::remove_var` alone does not touch) and the variables removed. Later reads come
//! from the copy kept here.

use secrecy::SecretString;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use zeroize::Zeroize;

/// The environment variables that hold secrets.
pub const SECRET_VARS: [&str; 3] = ["VEX_PASSWORD", "VEX_RESTORE_PASSWORD", "VEX_CERT_PASSWORD"];

/// The secrets taken from the environment at start-up (see [`take_environment`]).
static TAKEN: OnceLock<Vec<(&'static str, SecretString)>> = OnceLock::new();

/// Reads the secret variables into memory and scrubs them from the process's environment.
///
/// Call it first thing in `main`, before any thread exists (the tokio runtime included): changing the
/// environment while another thread may read it is undefined behaviour, and the in-place overwrite walks
/// libc's `environ` array. Later calls do nothing.
pub fn take_environment() {
    if TAKEN.get().is_some() {
        return;
    }
    let mut taken = Vec::new();
    for name in SECRET_VARS {
        let Some(value) = std::env::var_os(name) else {
            continue;
        };
        let mut bytes = value.into_encoded_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        bytes.zeroize();
        taken.push((name, SecretString::from(text)));
        scrub(name);
    }
    let _ = TAKEN.set(taken);
}

/// Overwrites the value of `name` in the environment block with NUL bytes, then removes the variable.
fn scrub(name: &str) {
    #[cfg(target_os = "linux")]
    {
        unsafe extern "C" {
            /// libc's environment array: NULL-terminated pointers to `NAME=value` C strings. The strings
            /// of the initial environment live in the block that `/proc/PID/environ` shows.
            static mut environ: *mut *mut std::ffi::c_char;
        }
        let prefix = format!("{name}=");
        // SAFETY: called from `take_environment` before any other thread exists, so nothing reads or
        // changes the environment meanwhile. `environ` is NULL or a NULL-terminated array of pointers to
        // NUL-terminated strings; each write stays inside the value of one such string (before its NUL).
        unsafe {
            let mut p = std::ptr::addr_of!(environ).read();
            if !p.is_null() {
                while !(*p).is_null() {
                    let entry = *p;
                    let len = std::ffi::CStr::from_ptr(entry).to_bytes().len();
                    let head = std::slice::from_raw_parts(entry.cast::<u8>(), len);
                    if head.starts_with(prefix.as_bytes()) {
                        std::ptr::write_bytes(entry.add(prefix.len()), 0, len - prefix.len());
                    }
                    p = p.add(1);
                }
            }
        }
    }
    // SAFETY: as above, no other thread exists yet.
    unsafe { std::env::remove_var(name) };
}

/// A secret variable: the copy taken at start-up, or (in a process that did not take them, such as a
/// test) the environment itself.
fn env_secret(name: &str) -> Option<SecretString> {
    match TAKEN.get() {
        Some(taken) => taken.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()),
        None => std::env::var(name).ok().map(SecretString::from),
    }
    .filter(|v| !secrecy::ExposeSecret::expose_secret(v).is_empty())
}

/// `VEX_PASSWORD`, when set and non-empty.
pub fn from_env() -> Option<SecretString> {
    env_secret("VEX_PASSWORD")
}

/// `VEX_RESTORE_PASSWORD` (the Exchange password of `vex restore --restore-user`), when set and non-empty.
pub fn restore_password() -> Option<SecretString> {
    env_secret("VEX_RESTORE_PASSWORD")
}

/// `VEX_CERT_PASSWORD` (the password of `vex restore --cert`), when set and non-empty.
pub fn cert_password() -> Option<SecretString> {
    env_secret("VEX_CERT_PASSWORD")
}

/// Keeps the process's memory out of core files and away from other processes of the same user: the
/// core size limit is set to 0 and (Linux) the process is made non-dumpable, which also makes
/// `/proc/PID/{environ,mem,maps}` readable only by root and stops a same-user `ptrace` attach. Call it
/// first thing in `main`. Best effort: a failure leaves the defaults (nothing to report to the operator).
pub fn harden_process() {
    #[cfg(unix)]
    {
        let none = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: plain system calls with a valid pointer to a local struct.
        unsafe {
            libc::setrlimit(libc::RLIMIT_CORE, &none);
        }
    }
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_DUMPABLE takes an integer argument; the unused ones are 0.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

/// Runs `command` with `sh -c` and takes the first line of its output. The output is never logged and
/// never part of an error message.
pub fn from_command(command: &str) -> Result<SecretString, String> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run password_command: {e}"))?;
    let mut stdout = out.stdout;
    if !out.status.success() {
        stdout.zeroize();
        return Err(format!("password_command failed ({})", out.status));
    }
    let text = String::from_utf8_lossy(&stdout);
    let line = text.lines().next().unwrap_or("").to_string();
    drop(text);
    stdout.zeroize();
    if line.is_empty() {
        return Err("password_command printed nothing".into());
    }
    Ok(SecretString::from(line))
}

/// Asks on the terminal without echo.
pub fn prompt(label: &str) -> Result<SecretString, String> {
    rpassword::prompt_password(label)
        .map(SecretString::from)
        .map_err(|e| format!("cannot read the password from the terminal: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn command_first_line_and_failures() {
        let s = from_command("printf 'pa ss\\nsecond\\n'").unwrap();
        assert_eq!(s.expose_secret(), "pa ss");
        assert!(!format!("{s:?}").contains("pa ss"));
        let e = from_command("echo leaked-value; exit 3").unwrap_err();
        assert!(!e.contains("leaked-value"), "{e}");
        assert!(from_command("true").is_err());
    }
}
