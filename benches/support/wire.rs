//! The scripting side at wire speed (issue 17): the real `vex items --all` against a raw HTTP loop that
//! fetches the same pages and discards the bodies, the emulator's own CPU while it serves them, peak RSS
//! from the OS, and the PyPI `veeam-365` client as a peer.

use super::{BIN, PASSWORD, USER};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use vex::app::panes::items::ListKey;

/// One run of the real binary.
pub struct Run {
    pub wall: Duration,
    /// Peak RSS of the child (its VmHWM, read from `/proc` while it runs: see [`wait_peak`]), kB; 0 when
    /// the run was timed, not watched.
    pub maxrss_kb: u64,
    /// CPU time of the child, user and system (its `rusage` when reaped).
    pub cpu: Duration,
}

/// How a run is waited for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Timed: reaped by a blocking `wait4`, nothing else done while it runs, so that the benchmark takes
    /// no CPU from what it times (reading `/proc` every millisecond wakes this process a thousand times a
    /// second on two cores shared with vex and the emulator; measured with a C poller, 11 interleaved
    /// runs each: 175 ms plain, 173 ms polled, no difference above the noise, but a timed run is better
    /// left alone).
    Timed,
    /// Watched: its peak RSS read from `/proc` every millisecond ([`wait_peak`]); not a run to time.
    Watched,
}

/// `vex items --session … --folder … --offset START --limit L --all FORMAT > /dev/null`, from spawn to
/// exit.
#[allow(clippy::zombie_processes, reason = "reaped by wait4 in wait_peak or wait_plain")]
pub fn vex_items(
    url: &str,
    dir: &std::path::Path,
    key: &ListKey,
    start: u64,
    limit: u32,
    format: &str,
    wait: Wait,
) -> Run {
    let mut c = Command::new(BIN);
    c.env("VEX_PASSWORD", PASSWORD)
        .env("VEX_CONFIG_DIR", dir.join("config"))
        .env("VEX_DATA_DIR", dir.join("data"))
        .env("VEX_STATE_DIR", dir.join("state"))
        .env_remove("VEX_PROFILE")
        .args(["--server", url, "--user", USER, "--api", "v8", "items"])
        .args(["--session", &key.session_id, "--mailbox", &key.mailbox_id])
        .args(["--folder", &key.folder_id, "--offset", &start.to_string()])
        .args(["--limit", &limit.to_string(), "--all"])
        .args((!format.is_empty()).then_some(format))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let t = Instant::now();
    let child = c.spawn().expect("run vex items");
    let (status, maxrss_kb, cpu) = match wait {
        Wait::Timed => {
            let (status, cpu) = wait_plain(child.id());
            (status, 0, cpu)
        }
        Wait::Watched => wait_peak(child.id()),
    };
    let wall = t.elapsed();
    assert!(status == 0, "vex items exited with status {status}");
    Run { wall, maxrss_kb, cpu }
}

/// Waits for a child: its exit status, peak RSS (kB) and CPU time (user and system).
///
/// Not the child's `ru_maxrss`: the kernel carries the high-water mark of the memory a process was
/// exec'd from into it, and a child spawned from this process (vfork, or fork) is exec'd from this
/// process's memory, so its `ru_maxrss` is at least this benchmark's own peak (a `/bin/true` spawned
/// from a process holding 300 MB reports 300 MB). The child's own peak is its `VmHWM`, read from
/// `/proc/PID/status` every millisecond while it runs (the mark only grows; the last read misses at
/// most the child's last millisecond).
fn wait_peak(pid: u32) -> (i32, u64, Duration) {
    let status_file = format!("/proc/{pid}/status");
    let mut peak = 0u64;
    let mut status = 0;
    let cpu = loop {
        let hwm = std::fs::read_to_string(&status_file).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        });
        peak = peak.max(hwm.unwrap_or(0));
        // SAFETY: wait4 on a child this process spawned, into a zeroed rusage it fills when it reaps.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid as libc::pid_t {
            break timeval(usage.ru_utime) + timeval(usage.ru_stime);
        }
        assert!(r == 0, "wait4");
        std::thread::sleep(Duration::from_millis(1));
    };
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, peak, cpu)
}

/// Waits for a child without looking at it while it runs: its exit status and CPU time (user and
/// system, its `rusage`).
fn wait_plain(pid: u32) -> (i32, Duration) {
    let mut status = 0;
    // SAFETY: a blocking wait4 on a child this process spawned, into a zeroed rusage it fills.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    assert!(r == pid as libc::pid_t, "wait4");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, timeval(usage.ru_utime) + timeval(usage.ru_stime))
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
}

/// CPU time this process has used so far (all its threads, user and system).
pub fn own_cpu() -> Duration {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    timeval(usage.ru_utime) + timeval(usage.ru_stime)
}

/// The raw loop: log in, then GET every page from `start` (`limit` a page) until the folder's end at
/// `end` (the same requests `vex items --all` sends, including the empty page after a last full one),
/// each body read and discarded as it arrives. Plain reqwest, one connection, nothing decoded.
pub async fn raw_loop(url: &str, key: &ListKey, start: u64, end: u64, limit: u32) -> (Duration, u64) {
    let t = Instant::now();
    let http = reqwest::Client::new();
    let v: serde_json::Value = http
        .post(format!("{url}/v8/token"))
        .form(&[("grant_type", "password"), ("username", USER), ("password", PASSWORD)])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token JSON");
    let token = v["access_token"].as_str().expect("access_token").to_string();
    let path = format!(
        "{url}/v8/RestoreSessions/{}/organization/mailboxes/{}/items",
        vex::api::client::seg(&key.session_id),
        vex::api::client::seg(&key.mailbox_id)
    );
    let mut bytes = 0u64;
    let mut offset = start;
    while offset <= end {
        let mut res = http
            .get(&path)
            .bearer_auth(&token)
            .query(&[
                ("offset", offset.to_string()),
                ("limit", limit.to_string()),
                ("parentId", key.folder_id.clone()),
            ])
            .send()
            .await
            .expect("items");
        assert!(res.status().is_success(), "items: {}", res.status());
        while let Some(c) = res.chunk().await.expect("body") {
            bytes += c.len() as u64;
        }
        offset += u64::from(limit);
    }
    (t.elapsed(), bytes)
}

/// CPU time (user + system) a process has used so far, from `/proc/PID/stat`.
pub fn cpu_of(pid: u32) -> Duration {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = [11, 12].iter().filter_map(|&i| f.get(i)?.parse::<u64>().ok()).sum();
    Duration::from_millis(ticks * 10)
}

/// A Python with the PyPI `veeam-365` client (0.4.1), in a virtualenv under `target/` made on first use;
/// None (and why) when it cannot be installed.
pub fn python_peer() -> Result<std::path::PathBuf, String> {
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-veeam365");
    let py = venv.join("bin/python");
    let ok = |py: &std::path::Path| {
        Command::new(py)
            .args(["-c", "import veeam_365.client"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if ok(&py) {
        return Ok(py);
    }
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .map_err(|e| format!("python3: {e}"))?;
    if !made.success() {
        return Err("python3 -m venv failed".into());
    }
    let pip = Command::new(venv.join("bin/pip"))
        .args(["install", "-q", "veeam-365==0.4.1"])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("pip: {e}"))?;
    if !pip.success() || !ok(&py) {
        return Err("pip install veeam-365==0.4.1 failed".into());
    }
    Ok(py)
}

/// benches/veeam365_peer.py: the same items through the Python client, written as JSON lines.
#[allow(clippy::zombie_processes, reason = "reaped by wait4 in wait_peak")]
pub fn python_items(py: &std::path::Path, url: &str, key: &ListKey, start: u64, n: u64, limit: u32) -> Run {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/veeam365_peer.py");
    let t = Instant::now();
    let child = Command::new(py)
        .arg(script)
        .args([url, USER, &key.session_id, &key.mailbox_id, &key.folder_id])
        .args([start.to_string(), n.to_string(), limit.to_string()])
        .env("VEX_PASSWORD", PASSWORD)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("python peer");
    let (status, maxrss_kb, cpu) = wait_peak(child.id());
    let wall = t.elapsed();
    assert!(status == 0, "the Python peer exited with status {status}");
    Run { wall, maxrss_kb, cpu }
}
