//! `vex batch PLAN [--dry-run]` and `vex batch status`: the command-line face of [`super`].

use super::journal::{DONE, FAILED, Journal, PLANNED, SENDING, SENT, UNKNOWN, UnitRow};
use super::plan::{PasswordSource, Plan};
use super::{BatchError, RunOptions, RunReport};
use crate::api::Client;
use crate::commands::{CmdError, EXIT_NETWORK, EXIT_OK, EXIT_PARTIAL, Format};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, clap::Args, Clone)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BatchArgs {
    #[command(subcommand)]
    pub cmd: Option<BatchCmd>,
    /// The plan (TOML; see the README's "Batches" section)
    pub plan: Option<PathBuf>,
    /// Resolve the plan against the server and print what would be restored; send nothing
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Send again the restores `vex batch status` shows as unknown, once you have found in the session's
    /// events (vex events SESSION) that they did not run; audited as your decision
    #[arg(long = "resend-unknown")]
    pub resend_unknown: bool,
    /// Restores sent at the same time (1 to 16)
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub concurrency: u16,
    /// Milliseconds to wait for the session's events to show a restore whose whole request may have reached
    /// the server before leaving it unknown (never resent; tests shorten it)
    #[arg(long = "event-wait-ms", hide = true, default_value_t = 60_000)]
    pub event_wait_ms: u64,
}

#[derive(Debug, clap::Subcommand, Clone)]
pub enum BatchCmd {
    /// The batches in the journal and the state of their restores
    Status,
}

fn batch_err(e: BatchError) -> CmdError {
    match e {
        BatchError::Plan(p) => CmdError::Usage(format!("plan: {p}")),
        BatchError::Api(a) => CmdError::Api(a),
        BatchError::Journal(m) | BatchError::Other(m) => CmdError::Other(m),
    }
}

/// Reads and parses the plan file; errors name the file and the line.
pub fn load_plan(path: &Path) -> Result<Plan, CmdError> {
    let text = std::fs::read_to_string(path).map_err(|e| CmdError::Usage(format!("{}: {e}", path.display())))?;
    Plan::parse(&text).map_err(|e| CmdError::Usage(format!("{}: {e}; nothing was sent", path.display())))
}

use super::{bulk_groups, bulk_of, endpoint};

fn target_text(u: &UnitRow) -> String {
    match &u.target_mailbox {
        None => "original location".into(),
        Some(t) => match &u.target_folder {
            Some(f) => format!("{t}/{f}"),
            None => t.clone(),
        },
    }
}

fn source_text(u: &UnitRow) -> String {
    match &u.folder_path {
        Some(p) => format!("{}/{p}", u.mailbox),
        None => u.mailbox.clone(),
    }
}

/// A count in the one number style of vex (`1,234`).
fn th(n: usize) -> String {
    crate::text::thousands(n as u64)
}

fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.first().map(Vec::len).unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .map(|r| unicode_width::UnicodeWidthStr::width(r[c].as_str()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| {
                let pad = w.saturating_sub(unicode_width::UnicodeWidthStr::width(c.as_str()));
                format!("{c}{}", " ".repeat(pad))
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    crate::text::sanitize_lines(&out).join("\n")
}

/// One restore as the dry run and the run's JSON show it (the same fields, so they can be compared);
/// `bulk`: the number of its bulk request (see [`super::bulk_groups`]).
fn unit_json(u: &UnitRow, groups: &[Vec<i64>]) -> serde_json::Value {
    serde_json::json!({
        "seq": u.seq + 1,
        "sourceLine": u.source_line,
        "kind": u.kind,
        "mailbox": u.mailbox,
        "mailboxId": u.mailbox_id,
        "folder": u.folder_path,
        "folderId": u.folder_id,
        "items": if u.kind == "items" { Some(u.item_ids.len()) } else { None },
        "target": target_text(u),
        "endpoint": endpoint(u),
        "bulk": bulk_of(groups, u.seq),
        "state": u.state,
        "created": u.created, "merged": u.merged, "skipped": u.skipped, "failed": u.failed,
        "how": u.how,
        "message": u.message,
    })
}

/// Per source: restores, done, created / merged / skipped / failed, failed restores, unknown, not sent.
fn per_source(report: &RunReport) -> Vec<serde_json::Value> {
    super::SourceProgress::of_units(&report.units, &report.sources)
        .iter()
        .map(|s| serde_json::to_value(s).unwrap_or_default())
        .collect()
}

/// Progress on stderr while a batch runs: a line per event, and per source a line whenever its standing
/// changes. On a terminal the sources' lines stay as a block under the events, rewritten in place; when
/// stderr is not a terminal (a log, a pipe) every change is a plain line of its own.
struct StderrProgress {
    tty: bool,
    /// The block's lines, by source index, and how many lines of it are on the screen.
    block: std::sync::Mutex<(Vec<String>, usize)>,
}

impl StderrProgress {
    fn new() -> StderrProgress {
        use std::io::IsTerminal;
        StderrProgress {
            tty: std::io::stderr().is_terminal() && std::env::var_os("TERM").is_none_or(|t| t != "dumb"),
            block: std::sync::Mutex::new((Vec::new(), 0)),
        }
    }

    fn clean(line: &str) -> String {
        format!("vex: {}", crate::text::sanitize_lines(line).join(" "))
    }

    /// Writes `lines` above the block (on a terminal) and redraws the block.
    fn write(&self, lines: &[String]) {
        use std::io::Write;
        let mut b = self.block.lock().unwrap_or_else(|e| e.into_inner());
        let mut err = std::io::stderr().lock();
        if !self.tty {
            for l in lines {
                let _ = writeln!(err, "{l}");
            }
            return;
        }
        let width = crossterm::terminal::size()
            .map(|(w, _)| usize::from(w))
            .unwrap_or(80)
            .max(20);
        let mut out = String::new();
        if b.1 > 0 {
            // Up to the block's first line, then clear to the end of the screen.
            out.push_str(&format!("\x1b[{}F\x1b[J", b.1));
        }
        for l in lines {
            out.push_str(l);
            out.push('\n');
        }
        let mut shown = 0;
        for l in b.0.iter().filter(|l| !l.is_empty()) {
            // One screen line each, so the cursor knows where the block starts.
            out.push_str(&crate::text::truncate(l, width - 1));
            out.push('\n');
            shown += 1;
        }
        b.1 = shown;
        let _ = err.write_all(out.as_bytes());
        let _ = err.flush();
    }

    fn line(&self, line: &str) {
        self.write(&[Self::clean(line)]);
    }

    fn source(&self, p: &super::SourceProgress) {
        let line = Self::clean(&p.line());
        if self.tty {
            {
                let mut b = self.block.lock().unwrap_or_else(|e| e.into_inner());
                let i = p.source.saturating_sub(1);
                if b.0.len() <= i {
                    b.0.resize(i + 1, String::new());
                }
                b.0[i] = line;
            }
            self.write(&[]);
        } else {
            self.write(&[line]);
        }
    }
}

async fn password(p: &Plan) -> Result<secrecy::SecretString, CmdError> {
    match &p.credentials.password {
        PasswordSource::Command(c) => {
            let c = c.clone();
            tokio::task::spawn_blocking(move || crate::secrets::from_command(&c))
                .await
                .map_err(|e| CmdError::Other(e.to_string()))?
                .map_err(|e| CmdError::Usage(format!("plan [credentials]: {e}")))
        }
        PasswordSource::Prompt => {
            let label = format!("Exchange password for {}: ", p.credentials.user);
            tokio::task::spawn_blocking(move || crate::secrets::prompt(&label))
                .await
                .map_err(|e| CmdError::Other(e.to_string()))?
                .map_err(CmdError::Usage)
        }
    }
}

/// `vex batch status`: every batch in the journal, its restores by state.
pub fn status(state_dir: &Path, fmt: Format) -> Result<u8, CmdError> {
    let path = Journal::path_in(state_dir);
    if !path.exists() {
        // No journal, no batches: for a script, an empty list (`[]`, or no line), as with a journal.
        match fmt {
            Format::Table => println!("no batches (no journal at {})", path.display()),
            Format::Json => println!("[]"),
            Format::Jsonl => {}
        }
        return Ok(EXIT_OK);
    }
    let j = Journal::open(&path).map_err(CmdError::Other)?;
    let mut rows = vec![vec![
        "BATCH".to_string(),
        "PLAN".into(),
        "SESSION".into(),
        "RESTORES".into(),
        "DONE".into(),
        "FAILED".into(),
        "UNKNOWN".into(),
        "NOT SENT".into(),
        "CREATED".into(),
    ]];
    let mut json = Vec::new();
    let mut open = false;
    for b in j.batches().map_err(CmdError::Other)? {
        let us = j.units(&b.id).map_err(CmdError::Other)?;
        let n = |s: &str| us.iter().filter(|u| u.state == s).count();
        let created: i64 = us.iter().map(|u| u.created.unwrap_or(0)).sum();
        open |= n(UNKNOWN) + n(SENDING) + n(SENT) + n(PLANNED) > 0;
        rows.push(vec![
            b.id.clone(),
            b.plan_path.clone(),
            b.session.clone(),
            th(us.len()),
            th(n(DONE)),
            th(n(FAILED)),
            th(n(UNKNOWN) + n(SENDING) + n(SENT)),
            th(n(PLANNED)),
            crate::text::thousands(created.max(0) as u64),
        ]);
        let groups = bulk_groups(&us);
        json.push(serde_json::json!({
            "batch": b.id, "plan": b.plan_path, "server": b.server, "session": b.session, "created": b.created,
            "restores": us.iter().map(|u| unit_json(u, &groups)).collect::<Vec<_>>(),
        }));
    }
    match fmt {
        Format::Table => print!("{}", table(&rows)),
        Format::Json => println!("{}", crate::commands::to_json(&json, true)?),
        Format::Jsonl => {
            for v in &json {
                println!("{}", crate::commands::to_json(v, false)?);
            }
        }
    }
    Ok(if open { EXIT_PARTIAL } else { EXIT_OK })
}

/// `vex batch PLAN`: resolve, then print (`--dry-run`) or run.
pub async fn run(
    client: &Client,
    a: BatchArgs,
    fmt: Format,
    read_only: bool,
    state_dir: &Path,
    audit_log: &Path,
) -> Result<u8, CmdError> {
    let Some(plan_path) = a.plan.clone() else {
        return Err(CmdError::Usage(
            "vex batch PLAN.toml [--dry-run], or vex batch status".into(),
        ));
    };
    let plan = load_plan(&plan_path)?;
    let resolved = super::resolve(client, &plan).await.map_err(batch_err)?;
    for n in &resolved.notes {
        eprintln!("vex: {n}");
    }
    if a.dry_run {
        let id = super::batch_id(client.base_url(), &plan, &resolved.units);
        let mut rows = vec![vec![
            "#".to_string(),
            "LINE".into(),
            "SOURCE".into(),
            "ITEMS".into(),
            "TARGET".into(),
            "ENDPOINT".into(),
        ]];
        let groups = bulk_groups(&resolved.units);
        // Each bulk request: its mailboxes, and the flags it carries.
        let bulks: Vec<serde_json::Value> = groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let us: Vec<&UnitRow> = resolved.units.iter().filter(|u| g.contains(&u.seq)).collect();
                serde_json::json!({
                    "bulk": i + 1,
                    "endpoint": "mailboxes/restore",
                    "mailboxes": us.iter().map(|u| u.mailbox.clone()).collect::<Vec<_>>(),
                    "mailboxIds": us.iter().map(|u| u.mailbox_id.clone()).collect::<Vec<_>>(),
                    "flags": plan.flags.set_names(),
                })
            })
            .collect();
        for u in &resolved.units {
            rows.push(vec![
                th(u.seq as usize + 1),
                u.source_line.to_string(),
                source_text(u),
                if u.kind == "items" {
                    th(u.item_ids.len())
                } else {
                    format!("whole {}", u.kind)
                },
                target_text(u),
                match bulk_of(&groups, u.seq) {
                    Some(b) => format!("{} (bulk {b})", endpoint(u)),
                    None => endpoint(u).into(),
                },
            ]);
        }
        match fmt {
            Format::Table => {
                print!("{}", table(&rows));
                for b in &bulks {
                    let names: Vec<&str> = b["mailboxes"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|m| m.as_str()).collect())
                        .unwrap_or_default();
                    let flags = plan.flags.set_names();
                    let line = format!(
                        "bulk {}: one mailboxes/restore request for {} mailboxes ({}), flags: {}",
                        b["bulk"],
                        names.len(),
                        names.join(", "),
                        if flags.is_empty() {
                            "none".to_string()
                        } else {
                            flags.join(", ")
                        }
                    );
                    println!("{}", crate::text::sanitize_lines(&line).join(" "));
                }
                println!(
                    "batch {id}: {} restores from {} sources; dry run, nothing sent",
                    resolved.units.len(),
                    resolved.sources.len()
                );
            }
            _ => println!(
                "{}",
                crate::commands::to_json(
                    &serde_json::json!({
                        "batch": id,
                        "session": plan.session,
                        "dryRun": true,
                        "sources": resolved.sources,
                        "bulkRequests": bulks,
                        "restores": resolved.units.iter().map(|u| unit_json(u, &groups)).collect::<Vec<_>>(),
                    }),
                    fmt == Format::Json
                )?
            ),
        }
        return Ok(EXIT_OK);
    }
    if read_only {
        return Err(CmdError::Refused(
            "read-only: refusing to run a batch of restores".into(),
        ));
    }
    let password = password(&plan).await?;
    let printer = Arc::new(StderrProgress::new());
    let opts = RunOptions {
        plan_path: plan_path.display().to_string(),
        concurrency: usize::from(a.concurrency),
        journal: Journal::path_in(state_dir),
        audit_log: audit_log.to_path_buf(),
        password,
        event_wait: std::time::Duration::from_millis(a.event_wait_ms),
        resend_unknown: a.resend_unknown,
        progress: {
            let out = printer.clone();
            Arc::new(move |line: String| out.line(&line))
        },
        on_source: {
            let out = printer.clone();
            Some(Arc::new(move |p: &super::SourceProgress| out.source(p)))
        },
    };
    let report = super::run(client, &plan, resolved, opts).await.map_err(batch_err)?;
    let sources = per_source(&report);
    let groups = bulk_groups(&report.units);
    match fmt {
        Format::Table => {
            let mut rows = vec![vec![
                "SOURCE".to_string(),
                "LINE".into(),
                "RESTORES".into(),
                "DONE".into(),
                "CREATED".into(),
                "MERGED".into(),
                "SKIPPED".into(),
                "FAILED".into(),
                "FAILED RESTORES".into(),
                "UNKNOWN".into(),
                "NOT SENT".into(),
            ]];
            for s in &sources {
                // Counts in the one number style (1,234); the plan's line number as written.
                let g = |k: &str| match &s[k] {
                    serde_json::Value::Number(v) if k != "line" => {
                        v.as_u64().map(crate::text::thousands).unwrap_or_else(|| v.to_string())
                    }
                    v => v.to_string().trim_matches('"').to_string(),
                };
                rows.push(
                    [
                        "what",
                        "line",
                        "restores",
                        "done",
                        "created",
                        "merged",
                        "skipped",
                        "failed",
                        "failedRestores",
                        "unknown",
                        "notSent",
                    ]
                    .iter()
                    .map(|k| g(k))
                    .collect(),
                );
            }
            print!("{}", table(&rows));
        }
        _ => println!(
            "{}",
            crate::commands::to_json(
                &serde_json::json!({
                    "batch": report.batch,
                    "session": report.session,
                    "sources": sources,
                    "restores": report.units.iter().map(|u| unit_json(u, &groups)).collect::<Vec<_>>(),
                }),
                fmt == Format::Json
            )?
        ),
    }
    let unknown = report.count(UNKNOWN) + report.count(SENDING) + report.count(SENT);
    let not_sent = report.count(PLANNED);
    if unknown > 0 {
        eprintln!(
            "vex: {unknown} restores have an UNKNOWN outcome the session's events could not settle; they were not \
             resent. Look at the session's events (vex events {}) and `vex batch status`; if they did not run, \
             run the batch again with --resend-unknown.",
            report.session
        );
    }
    if not_sent > 0 {
        eprintln!("vex: {not_sent} restores were refused before they ran and not sent yet; run the batch again");
        return Ok(EXIT_NETWORK);
    }
    if unknown > 0 {
        return Ok(EXIT_NETWORK);
    }
    let partial = report.count(FAILED) > 0 || report.units.iter().any(|u| u.failed.unwrap_or(0) > 0);
    Ok(if partial { EXIT_PARTIAL } else { EXIT_OK })
}
