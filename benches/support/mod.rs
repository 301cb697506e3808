//! Shared by the benchmarks: the emulator in another process (`vex sim`), the real browser loop driven
//! headless to the million-item folder, and small measurement helpers.

#![allow(dead_code, reason = "each bench target uses a part of this module")]

pub mod fixture;
pub mod wire;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::Backend;
use secrecy::SecretString;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use vex::api::{ApiVersion, Client, ClientConfig, VersionChoice};
use vex::app::{DisplayZone, HeaderInfo, Level, Msg, State};
use vex::runtime::App;

/// The `vex` binary of this build (release under `cargo bench`, debug under `cargo test`).
pub const BIN: &str = env!("CARGO_BIN_EXE_vex");
pub const USER: &str = "vex";
pub const PASSWORD: &str = "vex-demo-password";
/// Items in the emulator's `Inbox/Archive 1M`.
pub const MILLION: u64 = 1_000_000;

/// True when run by `cargo bench` (which passes `--bench`); `cargo test` runs bench targets without it,
/// and they then make a quick smoke pass.
pub fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// `vex sim --plain --listen 127.0.0.1:0 [extra]` in its own process (its memory and CPU are not ours);
/// killed on drop.
pub struct Sim {
    child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Sim {
    pub fn spawn(extra: &[&str]) -> Sim {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut child = Command::new(BIN)
            .args(["sim", "--plain", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env("VEX_STATE_DIR", dir.path().join("state"))
            .env("VEX_CONFIG_DIR", dir.path().join("config"))
            .env("VEX_DATA_DIR", dir.path().join("data"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {BIN} sim: {e}"));
        let out = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(out).lines();
        // "vex sim: VB365 REST API emulator listening on http://127.0.0.1:PORT"
        let url = loop {
            let line = lines
                .next()
                .expect("vex sim printed where it listens")
                .expect("read vex sim's output");
            if let Some((_, rest)) = line.split_once("listening on ") {
                break rest.trim().to_string();
            }
        };
        // Keep reading so the emulator never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Sim { child, url, _dir: dir }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A v8 client logged in to the emulator at `url`.
pub async fn client(url: &str) -> Client {
    client_version(url, ApiVersion::V8).await
}

/// A client of that API version logged in to the emulator at `url` (v6 and v7 report `totalCount`).
pub async fn client_version(url: &str, v: ApiVersion) -> Client {
    vex::install_crypto_provider();
    let c = Client::new(ClientConfig {
        version: VersionChoice::Fixed(v),
        ..ClientConfig::new(url)
    })
    .expect("client");
    c.login(USER, &SecretString::from(PASSWORD)).await.expect("login");
    c
}

/// The browser's real loop over a backend, keys injected through its event channel.
pub struct Browser<B: Backend> {
    pub app: App<B>,
    pub tx: UnboundedSender<Event>,
    pub rx: UnboundedReceiver<Event>,
    pub size: (u16, u16),
}

pub const WAIT: Duration = Duration::from_secs(60);

impl<B: Backend> Browser<B> {
    pub fn new(terminal: Terminal<B>, client: Client, size: (u16, u16)) -> Browser<B> {
        let mut state = State::new(HeaderInfo {
            server: client.base_url().to_string(),
            user: USER.into(),
            api_version: "v8".into(),
            ..Default::default()
        });
        state.zone = DisplayZone::UTC;
        state.color = true;
        state.size = size;
        let app = App::new(terminal, client, state);
        let (tx, rx) = mpsc::unbounded_channel();
        Browser { app, tx, rx, size }
    }

    pub fn state(&self) -> &State {
        self.app.state()
    }

    pub fn key(&self, code: KeyCode) {
        self.tx
            .send(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
            .expect("the loop listens");
    }

    pub fn typed(&self, s: &str) {
        s.chars().for_each(|c| self.key(KeyCode::Char(c)));
    }

    /// Runs the real loop until `pred` holds for a drawn state; panics after [`WAIT`].
    pub async fn until(&mut self, what: &str, pred: impl FnMut(&State) -> bool) {
        let ok = self
            .app
            .run_until(&mut self.rx, pred, Some(WAIT))
            .await
            .expect("the loop runs");
        assert!(ok, "timed out waiting for {what}; status {:?}", self.app.state().status);
    }

    /// Runs the loop for `d` (nothing to wait for).
    pub async fn idle(&mut self, d: Duration) {
        let _ = self
            .app
            .run_until(&mut self.rx, |_| false, Some(d))
            .await
            .expect("the loop runs");
    }

    /// Drives the browser as an operator would, to the first rows of `Inbox/Archive 1M` of the second
    /// mailbox (François Lefèvre) of a Contoso restore session.
    pub async fn open_million(&mut self) {
        self.until("the sessions", |s| s.sessions.list.len() >= 2 && !s.is_loading())
            .await;
        // The loop took the size of whatever terminal runs the benchmark: set the one measured.
        let (w, h) = self.size;
        self.app.dispatch(Msg::Resize(w, h));
        self.key(KeyCode::Char('/'));
        self.typed("contoso");
        self.key(KeyCode::Enter);
        self.until("the filter", |s| {
            s.sessions.list.filter.is_active() && !s.sessions.list.filter.editing
        })
        .await;
        self.key(KeyCode::Enter);
        self.until("the mailboxes", |s| {
            s.focus == Level::Mailboxes && s.mailboxes.as_ref().is_some_and(|m| m.list.len() >= 2)
        })
        .await;
        self.key(KeyCode::Down);
        self.key(KeyCode::Enter);
        self.until("the second mailbox's folders", |s| {
            s.focus == Level::Folders
                && s.folders
                    .as_ref()
                    .is_some_and(|f| f.rows().len() > 5 && f.mailbox.name.as_deref() == Some("François Lefèvre"))
        })
        .await;
        self.key(KeyCode::Char('/'));
        self.typed("inbox");
        self.key(KeyCode::Enter);
        self.key(KeyCode::Char(' '));
        self.until("the Inbox's children", |s| {
            s.folders
                .as_ref()
                .is_some_and(|f| !f.is_loading() && f.nodes.len() > 12)
        })
        .await;
        self.key(KeyCode::Esc);
        self.key(KeyCode::Char('/'));
        self.typed("archive 1m");
        self.key(KeyCode::Enter);
        self.key(KeyCode::Enter);
        self.until("the first rows of Archive 1M", |s| {
            s.items
                .as_ref()
                .is_some_and(|i| i.folder.name.as_deref() == Some("Archive 1M") && i.selected().is_some())
        })
        .await;
    }
}

/// Bytes written (a shared counter: the writer moves into the backend), fed to a terminal emulator too
/// (to check what the screen shows). With `VEX_BENCH_KEEP` set, the bytes since the last `take_bytes`
/// are kept (to look at what a step sent).
#[derive(Clone)]
pub struct ByteCount(
    Arc<AtomicU64>,
    Arc<std::sync::Mutex<Vec<u8>>>,
    Arc<std::sync::Mutex<vt100::Parser>>,
    /// The bytes up to the end of the first frame (its synchronized update) since the last
    /// `take_first`: (bytes so far, the first frame's bytes once it ended).
    Arc<std::sync::Mutex<(u64, Option<u64>)>>,
);

impl ByteCount {
    pub fn new(width: u16, height: u16) -> ByteCount {
        let (rows, cols) = (height.try_into().expect("rows"), width.try_into().expect("columns"));
        ByteCount(
            Arc::default(),
            Arc::default(),
            Arc::new(std::sync::Mutex::new(vt100::Parser::new(rows, cols, 0))),
            Arc::default(),
        )
    }

    /// The cells where the emulated terminal does not show `buf`'s symbols (styles aside).
    pub fn mismatches(&self, buf: &ratatui::buffer::Buffer) -> Vec<(u16, u16, String, String)> {
        use unicode_width::UnicodeWidthStr;
        let vt = self.2.lock().expect("lock");
        let screen = vt.screen();
        let mut out = Vec::new();
        for y in buf.area.top()..buf.area.bottom() {
            let mut x = buf.area.left();
            while x < buf.area.right() {
                let want = buf[(x, y)].symbol();
                let got = screen.cell(y, x).map(|c| c.contents().to_string()).unwrap_or_default();
                let got = if got.is_empty() { " ".to_string() } else { got };
                if got != want {
                    out.push((x, y, got, want.to_string()));
                }
                x += (want.width() as u16).max(1);
            }
        }
        out
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    pub fn take(&self) -> u64 {
        self.0.swap(0, Ordering::SeqCst)
    }

    /// The bytes of the first frame written since the last call (up to the end of its synchronized
    /// update, `CSI ? 2026 l`; everything when no frame ended).
    pub fn take_first(&self) -> u64 {
        let (all, first) = std::mem::take(&mut *self.3.lock().expect("lock"));
        first.unwrap_or(all)
    }

    /// The bytes since the last `take_bytes` (empty unless `VEX_BENCH_KEEP` is set).
    pub fn take_bytes(&self) -> Vec<u8> {
        std::mem::take(&mut *self.1.lock().expect("lock"))
    }

    pub fn writer(&self) -> CountingWriter {
        CountingWriter(self.clone(), std::env::var_os("VEX_BENCH_KEEP").is_some())
    }
}

/// A terminal that only counts what it is sent.
pub struct CountingWriter(ByteCount, bool);

impl Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.0.fetch_add(buf.len() as u64, Ordering::SeqCst);
        {
            const END: &[u8] = b"\x1b[?2026l";
            let mut first = self.0.3.lock().expect("lock");
            if first.1.is_none()
                && let Some(at) = buf.windows(END.len()).position(|w| w == END)
            {
                first.1 = Some(first.0 + (at + END.len()) as u64);
            }
            first.0 += buf.len() as u64;
        }
        if self.1 {
            self.0.1.lock().expect("lock").extend_from_slice(buf);
        }
        self.0.2.lock().expect("lock").process(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A value from `/proc/self/status` in kB (`VmHWM`, `VmRSS`).
pub fn proc_status_kb(key: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// CPU time used by this process so far (user + system), from `/proc/self/stat`.
pub fn cpu_time() -> Duration {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after ")".
    let ticks: u64 = [11, 12].iter().filter_map(|&i| f.get(i)?.parse::<u64>().ok()).sum();
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}
