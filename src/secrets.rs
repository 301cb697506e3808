//! Where a password comes from: the `VEX_PASSWORD` environment variable, a profile's
//! `password_command`, or a no-echo prompt. Never a command-line argument. The value is a
//! `SecretString` from the moment it is read (zeroized on drop, redacted in `Debug`).

use secrecy::SecretString;
use std::process::{Command, Stdio};
use zeroize::Zeroize;

/// `VEX_PASSWORD`, when set and non-empty.
pub fn from_env() -> Option<SecretString> {
    let v = std::env::var("VEX_PASSWORD").ok()?;
    if v.is_empty() {
        None
    } else {
        Some(SecretString::from(v))
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
