//! The batch view's calls (issue 18): reading the journal, reading and resolving a plan file (the dry
//! run), and running a batch to its end.
//!
//! A running batch is one request (`Call::Batch`, sent once, never aborted) whose task runs
//! [`crate::batch::run`] — the same code as `vex batch`, with its journal and its exactly-once rules —
//! and sends progress answers with the request's id while it runs: the journal's rows for the batch
//! after every step the run reports, and every [`POLL`] while restores are in flight (a restore sent
//! shows as sending before its answer comes). Why a `Call` and not a channel of its own: the request
//! machinery already carries progress for the long writes (v8 restores, downloads) to whoever asked, it
//! never aborts a write, and it keeps the UI thread free of the network; a batch is such a write, only
//! longer.

use crate::api::{ApiError, Client};
use crate::app::Response;
use crate::app::request::{BatchEnd, BatchJob, BatchProgress, JournalBatch, ResolvedPlan};
use crate::batch::journal::Journal;
use crate::batch::plan::{PasswordSource, Plan};
use crate::batch::{BatchError, RunOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How often the running batch's rows are read from the journal between the run's own reports.
pub const POLL: Duration = Duration::from_millis(400);

/// `~/x` → `$HOME/x`.
fn expand_home(p: &Path) -> PathBuf {
    if let Ok(rest) = p.strip_prefix("~")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    p.to_path_buf()
}

/// Every batch of the journal and its restores (none when there is no journal yet).
pub(super) async fn journal(path: PathBuf) -> Result<Vec<JournalBatch>, ApiError> {
    tokio::task::spawn_blocking(move || {
        if !path.exists() {
            return Ok(Vec::new());
        }
        let j = Journal::open(&path)?;
        let mut out = Vec::new();
        for batch in j.batches()? {
            let units = j.units(&batch.id)?;
            out.push(JournalBatch { batch, units });
        }
        Ok(out)
    })
    .await
    .map_err(|_| ApiError::Config("internal error while reading the batch journal (see the log)".into()))?
    .map_err(ApiError::Config)
}

/// Reads, checks and resolves a plan file (reads only). A plan's error (with its line) is the answer's
/// `outcome`; the server's failure to answer is the call's error.
pub(super) async fn resolve(client: &Client, path: PathBuf) -> Result<ResolvedPlan, ApiError> {
    let shown = path.display().to_string();
    let done = |outcome| ResolvedPlan {
        path: shown.clone(),
        outcome,
    };
    let text = match tokio::fs::read_to_string(expand_home(&path)).await {
        Ok(t) => t,
        Err(e) => return Ok(done(Err(e.to_string()))),
    };
    let plan = match Plan::parse(&text) {
        Ok(p) => p,
        Err(e) => return Ok(done(Err(e.to_string()))),
    };
    match crate::batch::resolve(client, &plan).await {
        Ok(resolved) => Ok(done(Ok((plan, resolved)))),
        Err(BatchError::Plan(e)) => Ok(done(Err(e.to_string()))),
        Err(BatchError::Api(e)) => Err(e),
        Err(e) => Ok(done(Err(e.to_string()))),
    }
}

/// The Exchange password: the one typed in the TUI, or the plan's command's (run off the runtime's
/// threads). Never the plan file.
async fn password(job: &mut BatchJob) -> Result<secrecy::SecretString, String> {
    if let Some(p) = job.password.take() {
        return Ok(p);
    }
    match &job.plan.credentials.password {
        PasswordSource::Command(c) => {
            let c = c.clone();
            tokio::task::spawn_blocking(move || crate::secrets::from_command(&c))
                .await
                .map_err(|_| "internal error while running the password command".to_string())?
                .map_err(|e| format!("the plan's password_command: {e}"))
        }
        PasswordSource::Prompt => Err("the plan asks for the password, and none was typed".into()),
    }
}

/// Writes a plan from marks: a new file, 0600, in a 0700 directory (it names mailboxes and items; never
/// a secret).
fn write_plan(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(dir).map_err(|e| e.to_string())?;
    }
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(path).map_err(|e| e.to_string())?;
    f.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    f.sync_all().map_err(|e| e.to_string())
}

/// Runs a batch to its end; `progress` gets the journal's rows as they change.
pub(super) async fn run(client: &Client, mut job: BatchJob, progress: &(dyn Fn(Response) + Send + Sync)) -> BatchEnd {
    let ended = |error: String| BatchEnd {
        report: None,
        error: Some(error),
    };
    let password = match password(&mut job).await {
        Ok(p) => p,
        Err(e) => return ended(format!("not started: {e}")),
    };
    let Some(audit_log) = job.audit_log.clone() else {
        // Every batch step goes to the audit log; without one nothing is sent.
        return ended("not started: there is no audit log to record the batch in".into());
    };
    if let Some(text) = job.plan_text.take() {
        let path = PathBuf::from(&job.plan_path);
        let written = tokio::task::spawn_blocking(move || write_plan(&path, &text))
            .await
            .map_err(|_| "internal error while writing the plan".to_string())
            .and_then(|r| r);
        if let Err(e) = written {
            // Without its plan file a batch from marks could not be resumed: nothing is sent.
            return ended(format!(
                "not started: the plan could not be written to {}: {e}",
                job.plan_path
            ));
        }
    }
    let id = crate::batch::batch_id(client.base_url(), &job.plan, &job.resolved.units);
    let (tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    let opts = RunOptions {
        plan_path: job.plan_path.clone(),
        concurrency: job.concurrency.max(1),
        journal: job.journal.clone(),
        audit_log,
        password,
        event_wait: crate::batch::EVENT_WAIT,
        // Resending restores the journal calls unknown is the operator's decision after reading the events: `vex batch --resend-unknown`.
        resend_unknown: false,
        progress: Arc::new(move |line: String| {
            let _ = tx.send(line);
        }),
        // The view reads the sources' standing from the journal's rows (every progress answer has them).
        on_source: None,
    };
    let plan = job.plan.clone();
    let run = crate::batch::run(client, &plan, job.resolved.clone(), opts);
    tokio::pin!(run);
    let mut reader: Option<Journal> = None;
    let mut last: Option<Vec<crate::batch::journal::UnitRow>> = None;
    let mut poll = tokio::time::interval(POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut report = |line: Option<String>, reader: &mut Option<Journal>| {
        if reader.is_none() && job.journal.exists() {
            *reader = Journal::open(&job.journal).ok();
        }
        let units = reader.as_ref().and_then(|j| j.units(&id).ok()).unwrap_or_default();
        if line.is_none() && last.as_ref() == Some(&units) {
            return;
        }
        last = Some(units.clone());
        progress(Response::BatchProgress(BatchProgress {
            batch: id.clone(),
            units,
            line: line.map(|l| crate::text::sanitize_lines(&l).join(" ")),
        }));
    };
    let result = loop {
        tokio::select! {
            r = &mut run => break r,
            Some(line) = lines.recv() => report(Some(line), &mut reader),
            _ = poll.tick() => report(None, &mut reader),
        }
    };
    while let Ok(line) = lines.try_recv() {
        report(Some(line), &mut reader);
    }
    match result {
        Ok(r) => BatchEnd {
            report: Some(r),
            error: None,
        },
        Err(e) => {
            // The rows as far as they got, and why it stopped.
            report(None, &mut reader);
            ended(e.to_string())
        }
    }
}
