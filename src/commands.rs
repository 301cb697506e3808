//! Scripting subcommands: the same client, validation and confirmation rules as the TUI, with table,
//! JSON or JSON-lines output for machines.
//!
//! Exit codes: 0 ok, 1 other error, 2 usage, 3 authentication, 4 not found, 5 partial restore failure
//! (some items failed), 6 network or TLS, 7 refused by the operator or read-only; 128 + the signal when
//! stopped by SIGHUP, SIGINT, SIGQUIT or SIGTERM (129, 130, 131, 143).

use crate::api::models::*;
use crate::api::{ApiError, Client, FolderParent, RestoreScope, SearchScope, paging};
use crate::audit::AuditError;
use crate::connect::ConnectError;
use crate::restore_plan::{Credentials, PlanError, RestoreFlags, RestorePlan, TenantOptions};
use crate::runtime::StopSignal;
use clap::{Args, Subcommand, ValueEnum};
use secrecy::SecretString;
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

pub const EXIT_OK: u8 = 0;
pub const EXIT_OTHER: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_AUTH: u8 = 3;
pub const EXIT_NOT_FOUND: u8 = 4;
pub const EXIT_PARTIAL: u8 = 5;
pub const EXIT_NETWORK: u8 = 6;
pub const EXIT_REFUSED: u8 = 7;

/// Why a command failed, typed by what it means; [`CmdError::exit_code`] is the one place that turns
/// a failure into the process's exit code (no message text is inspected).
#[derive(Debug)]
pub enum CmdError {
    /// Bad flags, ids or settings, found before anything is sent (exit 2).
    Usage(String),
    /// Nothing of that name on the server (exit 4).
    NotFound(String),
    /// Refused: read-only, or the operator said no (exit 7).
    Refused(String),
    /// The server or the way to it (exit 3, 4, 6 or 1 by kind).
    Api(ApiError),
    /// Connecting or logging in (exit 3 or 6).
    Connect(ConnectError),
    /// Restore settings that cannot be sent (exit 2).
    Plan(PlanError),
    /// A write's audit record could not be written, so the write was not sent (exit 1).
    Unrecorded { what: &'static str, error: AuditError },
    /// Stopped by a signal; the operator was told what it interrupted (128 + the signal, no message).
    Stopped(StopSignal),
    /// The reader of the output went away (`vex items ... | head`): no failure (exit 0, no message).
    OutputClosed,
    /// Anything else (exit 1).
    Other(String),
}

impl CmdError {
    /// The process exit code (the module doc lists them).
    pub fn exit_code(&self) -> u8 {
        match self {
            CmdError::Usage(_) | CmdError::Plan(_) => EXIT_USAGE,
            CmdError::NotFound(_) => EXIT_NOT_FOUND,
            CmdError::Refused(_) => EXIT_REFUSED,
            CmdError::Api(e) => match e {
                ApiError::Auth(_) => EXIT_AUTH,
                ApiError::Http { status: 404, .. } => EXIT_NOT_FOUND,
                ApiError::Network(_)
                | ApiError::Timeout(_)
                | ApiError::Tls(_)
                | ApiError::OutcomeUnknown(_)
                | ApiError::Redirect { .. } => EXIT_NETWORK,
                _ => EXIT_OTHER,
            },
            CmdError::Connect(e) => e.exit_code(),
            CmdError::Stopped(sig) => sig.exit_code(),
            CmdError::OutputClosed => EXIT_OK,
            CmdError::Unrecorded { .. } | CmdError::Other(_) => EXIT_OTHER,
        }
    }

    /// What the operator is told on stderr; `None` when there is nothing to say (they were told already,
    /// or nothing went wrong).
    pub fn message(&self) -> Option<String> {
        match self {
            CmdError::Stopped(_) | CmdError::OutputClosed => None,
            other => Some(other.to_string()),
        }
    }
}

impl std::fmt::Display for CmdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CmdError::Usage(m) | CmdError::NotFound(m) | CmdError::Refused(m) | CmdError::Other(m) => f.write_str(m),
            CmdError::Api(e) => write!(f, "{e}"),
            CmdError::Connect(e) => write!(f, "{e}"),
            CmdError::Plan(e) => write!(f, "{e}"),
            CmdError::Unrecorded { what, error } => write!(f, "{error}; the {what} was not sent"),
            CmdError::Stopped(sig) => write!(f, "stopped by {}", sig.name),
            CmdError::OutputClosed => f.write_str("the output was closed"),
        }
    }
}

impl std::error::Error for CmdError {}

impl From<ApiError> for CmdError {
    fn from(e: ApiError) -> Self {
        CmdError::Api(e)
    }
}

impl From<ConnectError> for CmdError {
    fn from(e: ConnectError) -> Self {
        CmdError::Connect(e)
    }
}

impl From<PlanError> for CmdError {
    fn from(e: PlanError) -> Self {
        CmdError::Plan(e)
    }
}

#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum Format {
    #[default]
    Table,
    Json,
    Jsonl,
}

#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Output as one JSON document
    #[arg(long, conflicts_with = "jsonl", global = true)]
    pub json: bool,
    /// Output as JSON lines (one object per line)
    #[arg(long, global = true)]
    pub jsonl: bool,
}

impl OutputArgs {
    pub fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else if self.jsonl {
            Format::Jsonl
        } else {
            Format::Table
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum SessionsCmd {
    /// List restore sessions (newest first on v8)
    List {
        /// How many sessions (at least 1)
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
    },
    /// Open a restore session (explore) on an organization
    New {
        /// Organization id (default: the first organization)
        #[arg(long)]
        org: Option<String>,
        /// Point in time (ISO 8601; default: the latest backup)
        #[arg(long, conflicts_with = "point")]
        at: Option<String>,
        /// Open at this restore point (see `vex restore-points`): its backup time, and on v8 its repository
        #[arg(long)]
        point: Option<String>,
        /// Show the items removed by their user before the point in time (showDeleted)
        #[arg(long)]
        show_deleted: bool,
        /// Show every version of the items changed before the point in time (showAllVersions)
        #[arg(long)]
        all_versions: bool,
    },
    /// Stop a restore session
    Stop {
        /// Restore session id
        id: String,
    },
}

#[derive(Clone, Debug, Args)]
pub struct Where {
    /// Restore session id
    #[arg(long)]
    pub session: String,
    /// Mailbox id
    #[arg(long)]
    pub mailbox: String,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub at: Where,
    /// Item ids (comma separated)
    #[arg(long, value_delimiter = ',', conflicts_with = "folder")]
    pub items: Vec<String>,
    /// Restore a whole folder (by id) instead of items
    #[arg(long)]
    pub folder: Option<String>,
    /// Target mailbox (email)
    #[arg(long = "to")]
    pub to: String,
    /// Target folder (default: the source folder's name)
    #[arg(long = "to-folder", default_value = "")]
    pub to_folder: String,
    /// Exchange CAS server
    #[arg(long, default_value = "")]
    pub cas_server: String,
    /// Microsoft 365 region of the target (officeRegion): Worldwide, Germany, China, USDefence,
    /// USGovernment (default: the profile's office_region, else the server's)
    #[arg(long = "office-region", value_parser = crate::restore_plan::parse_region)]
    pub office_region: Option<OfficeRegion>,
    /// Organization of the target (officeOrganizationName; default: the profile's)
    #[arg(long = "office-org")]
    pub office_org: Option<String>,
    /// Exchange user for the restore; password from VEX_RESTORE_PASSWORD or a prompt
    #[arg(long = "restore-user")]
    pub restore_user: Option<String>,
    /// A device code obtained with `vex device-code`
    #[arg(long = "device-code")]
    pub device_code: Option<String>,
    /// Microsoft Entra application id (with --cert and --impersonate)
    #[arg(long = "app-id")]
    pub app_id: Option<String>,
    /// Application certificate (.pfx); its password from VEX_CERT_PASSWORD if set
    #[arg(long)]
    pub cert: Option<PathBuf>,
    /// Impersonation account for application restores
    #[arg(long)]
    pub impersonate: Option<String>,
    /// Restore every version of the items (changedItems)
    #[arg(long)]
    pub changed_items: bool,
    /// Restore the deleted items too (deletedItems)
    #[arg(long)]
    pub deleted_items: bool,
    /// Mark the restored items as unread (markRestoredAsUnread)
    #[arg(long)]
    pub mark_unread: bool,
    /// Leave out the Drafts folder (excludeDrafts)
    #[arg(long)]
    pub exclude_drafts: bool,
    /// Leave out the Deleted Items folder (excludeDeletedItems)
    #[arg(long)]
    pub exclude_deleted: bool,
    /// Leave out the items preserved by an In-Place Hold (excludeInPlaceHoldItems)
    #[arg(long)]
    pub exclude_in_place_hold: bool,
    /// Leave out the items preserved by a Litigation Hold (excludeLitigationHoldItems)
    #[arg(long)]
    pub exclude_litigation_hold: bool,
    /// Do not ask for confirmation
    #[arg(long)]
    pub yes: bool,
    /// Print the request (without secrets) and send nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum ScriptCmd {
    /// Restore sessions: list, new, stop
    Sessions {
        #[command(subcommand)]
        cmd: Option<SessionsCmd>,
    },
    /// Organizations
    Organizations,
    /// Restore points of an organization, newest first (time, Exchange data, kind, job, repository)
    RestorePoints {
        /// Organization id (default: the first organization)
        #[arg(long)]
        org: Option<String>,
        /// How many points (at least 1)
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
    },
    /// Mailboxes of a restore session
    Mailboxes {
        /// Restore session id
        #[arg(long)]
        session: String,
    },
    /// Folders of a mailbox (root folders, children of --parent, or --all)
    Folders {
        #[command(flatten)]
        at: Where,
        /// List the children of this folder (id) instead of the root folders
        #[arg(long, conflicts_with = "all")]
        parent: Option<String>,
        /// List every folder of the mailbox, at every depth
        #[arg(long)]
        all: bool,
    },
    /// Items of a folder, or a server-side search (--query, Windows Search syntax)
    Items {
        #[command(flatten)]
        at: Where,
        /// Folder id: its items, or where --query searches (one of --folder and --query is needed)
        #[arg(long)]
        folder: Option<String>,
        /// Search on the server (Windows Search syntax, e.g. 'from:alice subject:"invoice"'): in --folder
        /// when given, else in the whole mailbox
        #[arg(long)]
        query: Option<String>,
        /// Skip this many items first
        #[arg(long, default_value_t = 0)]
        offset: u64,
        /// Items per request (1 to 10,000)
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        limit: u32,
        /// Every item from --offset to the end, page after page (streamed: memory stays bounded, a JSON
        /// array is written as it comes)
        #[arg(long)]
        all: bool,
    },
    /// One item with every field; or the message itself (--preview), or its MSG file (--save)
    Item {
        #[command(flatten)]
        at: Where,
        /// Item id
        id: String,
        /// Print the message as the server's MSG file holds it: sender, recipients, dates, attachments and
        /// the body as text (an HTML body rendered to text)
        #[arg(long, conflicts_with = "save")]
        preview: bool,
        /// Save the item as an Outlook MSG file at PATH (refused with --read-only, like every export)
        #[arg(long, value_name = "PATH")]
        save: Option<PathBuf>,
    },
    /// Save items as Outlook MSG files: one item as an .msg file, several as a ZIP archive of them
    Save {
        #[command(flatten)]
        at: Where,
        /// Item ids (comma separated)
        #[arg(long, value_delimiter = ',', required = true)]
        items: Vec<String>,
        /// Write the file to FILE. Without it (or with -) the bytes go to stdout, which must then be a file
        /// or a pipe: binary data is not printed on a terminal
        #[arg(short = 'o', long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Events of a restore session
    Events {
        /// Restore session id
        session: String,
    },
    /// Request a device code for restores
    DeviceCode {
        /// Restore session id
        #[arg(long)]
        session: String,
        /// Application the code is for (targetApplicationId, a GUID; default: the profile's)
        #[arg(long = "target-app-id")]
        target_app_id: Option<String>,
        /// Region of the target organization (targetRegion): Worldwide, Germany, China, USDefence,
        /// USGovernment (default: the profile's target_region)
        #[arg(long = "target-region", value_parser = crate::restore_plan::parse_region)]
        target_region: Option<OfficeRegion>,
        /// Target organization name (targetOrganizationName; default: the profile's)
        #[arg(long = "target-org")]
        target_org: Option<String>,
    },
    /// Restore items or a folder to another mailbox
    Restore(Box<RestoreArgs>),
    /// Export items or a folder to a PST file
    Export {
        #[command(flatten)]
        at: Where,
        /// Item ids (comma separated)
        #[arg(long, value_delimiter = ',', conflicts_with = "folder")]
        items: Vec<String>,
        /// Export a whole folder (by id) instead of items
        #[arg(long)]
        folder: Option<String>,
        /// The PST file to write
        #[arg(long)]
        out: PathBuf,
    },
}

/// Writes a list: a table with these columns, or JSON.
fn emit<T: Serialize>(
    fmt: Format,
    rows: &[T],
    cols: &[&str],
    cells: impl Fn(&T) -> Vec<String>,
) -> Result<(), CmdError> {
    let mut out = std::io::stdout().lock();
    let w = write_error;
    match fmt {
        Format::Json => {
            let s = to_json(rows, true)?;
            writeln!(out, "{s}").map_err(w)?;
        }
        Format::Jsonl => {
            for r in rows {
                let s = to_json(r, false)?;
                writeln!(out, "{s}").map_err(w)?;
            }
        }
        Format::Table => {
            let data: Vec<Vec<String>> = rows
                .iter()
                .map(|r| cells(r).into_iter().map(|c| clean(&c)).collect())
                .collect();
            let widths = column_widths(cols, &data);
            let header: Vec<String> = cols.iter().map(|c| c.to_string()).collect();
            writeln!(out, "{}", table_line(&header, &widths)).map_err(w)?;
            for row in data {
                writeln!(out, "{}", table_line(&row, &widths)).map_err(w)?;
            }
        }
    }
    Ok(())
}

/// A list written page by page (`--all`): JSON lines, a JSON array opened at the first row and closed at
/// the end, or a table whose widths the first page sets (later cells are cut to them).
struct Stream<'a> {
    fmt: Format,
    cols: &'a [&'a str],
    widths: Option<Vec<usize>>,
    rows: u64,
}

impl<'a> Stream<'a> {
    fn new(fmt: Format, cols: &'a [&'a str]) -> Stream<'a> {
        Stream {
            fmt,
            cols,
            widths: None,
            rows: 0,
        }
    }

    fn rows<T: Serialize>(&mut self, rows: &[T], cells: impl Fn(&T) -> Vec<String>) -> Result<(), CmdError> {
        let mut out = std::io::stdout().lock();
        let json = |r: &T| to_json(r, false);
        for r in rows {
            match self.fmt {
                Format::Jsonl => writeln!(out, "{}", json(r)?).map_err(write_error)?,
                Format::Json => {
                    let sep = if self.rows == 0 { "[\n  " } else { ",\n  " };
                    write!(out, "{sep}{}", json(r)?).map_err(write_error)?;
                }
                Format::Table => {
                    let data: Vec<String> = cells(r).into_iter().map(|c| clean(&c)).collect();
                    let widths = match &self.widths {
                        Some(w) => w.clone(),
                        None => {
                            let w = column_widths(
                                self.cols,
                                rows.iter().map(|row| cells(row).into_iter().map(|c| clean(&c))),
                            );
                            let header: Vec<String> = self.cols.iter().map(|c| c.to_string()).collect();
                            writeln!(out, "{}", table_line(&header, &w)).map_err(write_error)?;
                            self.widths = Some(w.clone());
                            w
                        }
                    };
                    writeln!(out, "{}", table_line(&data, &widths)).map_err(write_error)?;
                }
            }
            self.rows += 1;
        }
        out.flush().map_err(write_error)
    }

    fn finish(self) -> Result<(), CmdError> {
        let mut out = std::io::stdout().lock();
        match self.fmt {
            Format::Json if self.rows == 0 => writeln!(out, "[]").map_err(write_error)?,
            Format::Json => writeln!(out, "\n]").map_err(write_error)?,
            Format::Table if self.rows == 0 => {
                let header: Vec<String> = self.cols.iter().map(|c| c.to_string()).collect();
                let w: Vec<usize> = self.cols.iter().map(|c| c.len()).collect();
                writeln!(out, "{}", table_line(&header, &w)).map_err(write_error)?;
            }
            _ => {}
        }
        out.flush().map_err(write_error)
    }
}

/// A folder's items (`vex items --folder`), streamed ([`crate::api::stream`]): the next page is fetched
/// while this one is read, each item is written as the server sent it (checked, whitespace outside strings
/// removed, unsafe characters escaped: [`crate::text::escape_for_json`]) rather than decoded and encoded
/// again, and stdout is written in blocks. Memory stays bounded whatever the page size.
async fn list_items(
    client: &Client,
    at: &Where,
    folder: &str,
    offset: u64,
    limit: u32,
    all: bool,
    fmt: Format,
) -> Result<(), CmdError> {
    let mut out = ItemWriter::new(fmt, limit as usize);
    let max = (!all).then_some(u64::from(limit));
    let listed = crate::api::stream::for_each_item(
        client,
        &at.session,
        &at.mailbox,
        folder,
        offset,
        limit,
        max,
        fmt == Format::Table,
        &mut |item| out.item(item),
    )
    .await;
    if let Some(e) = out.failed.take() {
        return Err(e);
    }
    if let Err(e) = listed {
        // What was read before the error is written; a JSON array is left open (the output is not
        // complete, and a parser says so).
        let _ = out.write();
        return Err(e.into());
    }
    out.finish();
    match out.failed.take() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// An item's JSON text as written: escaped for a terminal ([`crate::text::push_escaped_json`]), or as it
/// is when it is printable ASCII (nothing to escape: the same bytes, without looking for them); when the
/// fast path found where its bytes at or above DEL are, only that part is looked at.
fn push_item_json(item: &crate::api::stream::ItemText<'_>, buf: &mut Vec<u8>) {
    if item.printable {
        buf.extend_from_slice(item.json.as_bytes());
        return;
    }
    let json = item.json;
    if let Some(r) = &item.high
        && let (Some(head), Some(high), Some(tail)) = (json.get(..r.start), json.get(r.clone()), json.get(r.end..))
    {
        buf.extend_from_slice(head.as_bytes());
        crate::text::push_escaped_json(high, buf);
        buf.extend_from_slice(tail.as_bytes());
    } else {
        crate::text::push_escaped_json(json, buf);
    }
}

/// Writes items as they come: JSON lines, a JSON array, or a table whose widths the first page sets.
struct ItemWriter {
    fmt: Format,
    buf: Vec<u8>,
    rows: u64,
    /// Table: the first page's cells (sanitised), held until its widths are known: their text one after
    /// another, and where each row's cells end in it (one allocation each, not three a row).
    first: String,
    first_ends: Vec<[usize; 3]>,
    first_len: usize,
    widths: Option<Vec<usize>>,
    failed: Option<CmdError>,
}

/// stdout is written when this much is buffered (and at the end).
const OUT_BLOCK: usize = 256 << 10;
const ITEM_COLS: [&str; 3] = ["ID", "CLASS", "TITLE"];

impl ItemWriter {
    fn new(fmt: Format, first_len: usize) -> ItemWriter {
        ItemWriter {
            fmt,
            buf: Vec::with_capacity(OUT_BLOCK + (64 << 10)),
            rows: 0,
            first: String::new(),
            first_ends: Vec::new(),
            first_len: first_len.max(1),
            widths: None,
            failed: None,
        }
    }

    fn item(&mut self, item: &crate::api::stream::ItemText<'_>) -> std::ops::ControlFlow<()> {
        match self.fmt {
            Format::Jsonl => {
                push_item_json(item, &mut self.buf);
                self.buf.push(b'\n');
            }
            Format::Json => {
                self.buf
                    .extend_from_slice(if self.rows == 0 { b"[\n  " } else { b",\n  " });
                push_item_json(item, &mut self.buf);
            }
            Format::Table => {
                let (class, title) = item.class_and_title();
                let raw = [
                    &*item.id,
                    class.as_deref().unwrap_or(""),
                    title.as_deref().unwrap_or(""),
                ];
                if self.widths.is_some() {
                    // Sanitised and fitted in one pass.
                    self.table_row(raw, crate::text::push_cell);
                } else {
                    let ends = raw.map(|c| {
                        self.first.push_str(&crate::text::sanitize(c));
                        self.first.len()
                    });
                    self.first_ends.push(ends);
                    if self.first_ends.len() >= self.first_len {
                        self.flush_first();
                    }
                }
            }
        }
        self.rows += 1;
        if self.buf.len() >= OUT_BLOCK && self.write().is_err() {
            return std::ops::ControlFlow::Break(());
        }
        std::ops::ControlFlow::Continue(())
    }

    /// The table's header and the first page, once its widths are known.
    fn flush_first(&mut self) {
        let (text, ends) = (std::mem::take(&mut self.first), std::mem::take(&mut self.first_ends));
        // Row by row, its cells as they were pushed (each starts where the one before it ends).
        let rows = || {
            let starts = std::iter::once(0).chain(ends.iter().map(|e| e[2]));
            ends.iter().zip(starts).map(|(e, start)| {
                let from = [start, e[0], e[1]];
                [0, 1, 2].map(|k| text.get(from[k]..e[k]).unwrap_or(""))
            })
        };
        let w = column_widths(&ITEM_COLS, rows());
        let header: Vec<String> = ITEM_COLS.iter().map(|c| c.to_string()).collect();
        self.buf.extend_from_slice(table_line(&header, &w).as_bytes());
        self.buf.push(b'\n');
        self.widths = Some(w);
        for row in rows() {
            self.table_row(row, crate::text::push_fit);
        }
    }

    /// As [`table_line`] writes it, straight into the buffer; `push` fits a cell to its width
    /// ([`crate::text::push_fit`] for sanitised cells, [`crate::text::push_cell`] for the server's text).
    fn table_row(&mut self, cells: [&str; 3], push: fn(&mut Vec<u8>, &str, usize)) {
        let w = self.widths.as_deref().unwrap_or(&[]);
        let start = self.buf.len();
        for (i, c) in cells.into_iter().enumerate() {
            if i > 0 {
                self.buf.extend_from_slice(b"  ");
            }
            push(&mut self.buf, c, w.get(i).copied().unwrap_or(0));
        }
        // Trailing white space goes, as in `table_line`.
        let keep = trimmed_end(&self.buf[start..]);
        self.buf.truncate(start + keep);
        self.buf.push(b'\n');
    }

    fn write(&mut self) -> Result<(), ()> {
        if self.failed.is_some() {
            return Err(());
        }
        let mut out = std::io::stdout().lock();
        let r = out.write_all(&self.buf).and_then(|()| out.flush());
        self.buf.clear();
        r.map_err(|e| self.failed = Some(write_error(e)))
    }

    fn finish(&mut self) {
        self.close();
        let _ = self.write();
    }

    /// What ends the output (the array's close, a table's only page), into the buffer.
    fn close(&mut self) {
        match self.fmt {
            Format::Json if self.rows == 0 => self.buf.extend_from_slice(b"[]\n"),
            Format::Json => self.buf.extend_from_slice(b"\n]\n"),
            Format::Table if self.widths.is_none() => self.flush_first(),
            _ => {}
        }
    }
}

/// The length of `line` (UTF-8) without its trailing white space, as `str::trim_end` counts it: only the
/// last characters are read (a table row's cells were fitted from `&str`s, so the line is UTF-8; were it
/// not, nothing would be trimmed past the first byte that does not decode).
fn trimmed_end(line: &[u8]) -> usize {
    let mut end = line.len();
    while end > 0 {
        // A cell's padding, eight spaces at a time (the last column is padded to its width, then trimmed).
        if end >= 8 && line[end - 8..end] == [b' '; 8] {
            end -= 8;
            continue;
        }
        let last = line[end - 1];
        if last.is_ascii() {
            if !last.is_ascii_whitespace() && last != 0x0b {
                break;
            }
            end -= 1;
            continue;
        }
        // The last character's first byte: at most three continuation bytes before the end.
        let from = (end.saturating_sub(4)..end)
            .rev()
            .find(|&i| line[i] & 0xc0 != 0x80)
            .unwrap_or(end - 1);
        match std::str::from_utf8(&line[from..end])
            .ok()
            .and_then(|t| t.chars().next_back())
        {
            Some(c) if c.is_whitespace() => end = from,
            _ => break,
        }
    }
    end
}

/// JSON text for the terminal or a pipe: `serde_json`'s output with every character that could act on a
/// terminal or reorder text escaped as `\uXXXX` — C1 controls (U+0080–U+009F, U+0085 included), DEL,
/// the line and paragraph separators, bidirectional marks, embeddings, overrides and isolates, and the
/// byte-order mark (`serde_json` escapes only C0 controls, `"` and `\`). Outside strings `serde_json` writes
/// only ASCII, so escaping these characters wherever they appear keeps the JSON valid and equal in value.
pub fn to_json<T: Serialize + ?Sized>(v: &T, pretty: bool) -> Result<String, CmdError> {
    let text = if pretty {
        serde_json::to_string_pretty(v)
    } else {
        serde_json::to_string(v)
    }
    .map_err(|e| CmdError::Other(e.to_string()))?;
    Ok(crate::text::escape_for_json(&text).into_owned())
}

/// A table's column widths: each column as wide as its header and its widest cell (display width; a cell
/// counts for at most 60 columns, longer ones are cut). Cells past the last column are not counted.
fn column_widths<R>(cols: &[&str], rows: impl IntoIterator<Item = R>) -> Vec<usize>
where
    R: IntoIterator,
    R::Item: AsRef<str>,
{
    let mut w: Vec<usize> = cols.iter().map(|c| c.len()).collect();
    for row in rows {
        for (x, c) in w.iter_mut().zip(row) {
            *x = (*x).max(unicode_width::UnicodeWidthStr::width(c.as_ref()).min(60));
        }
    }
    w
}

/// One table row: cells fitted to their widths, two spaces apart.
fn table_line(cells: &[String], widths: &[usize]) -> String {
    cells
        .iter()
        .enumerate()
        .map(|(i, c)| pad(c, widths.get(i).copied().unwrap_or(0)))
        .collect::<Vec<_>>()
        .join("  ")
        .trim_end()
        .to_string()
}

/// Control characters and escape sequences from the server never reach the terminal: the same
/// sanitiser as the TUI.
fn clean(s: &str) -> String {
    crate::text::sanitize(s).into_owned()
}

fn pad(s: &str, width: usize) -> String {
    crate::text::fit(s, width)
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn date(d: &Option<ApiDate>) -> String {
    d.as_ref()
        .map(|d| d.display_in(time::UtcOffset::UTC))
        .unwrap_or_default()
}

/// Runs one scripting command with a logged-in client.
/// Runs one scripting command. `tenant`: the profile's restore and device-code defaults (flags win).
pub async fn run(
    client: &Client,
    cmd: ScriptCmd,
    out: &OutputArgs,
    read_only: bool,
    tenant: &TenantOptions,
) -> Result<u8, CmdError> {
    check_ids(&cmd)?;
    let fmt = out.format();
    match cmd {
        ScriptCmd::Organizations => {
            let orgs = client.organizations().await?;
            emit(fmt, &orgs, &["ID", "NAME", "FIRST BACKUP", "LAST BACKUP"], |o| {
                vec![
                    opt(&o.id),
                    opt(&o.name),
                    date(&o.first_backup_time),
                    date(&o.last_backup_time),
                ]
            })?;
        }
        ScriptCmd::Sessions { cmd } => match cmd.unwrap_or(SessionsCmd::List { limit: 100 }) {
            SessionsCmd::List { limit } => {
                let page = paging::fill_page(0, limit, |o, l| {
                    client.restore_sessions(o, l, Some((crate::api::SessionOrder::CreationTime, false)))
                })
                .await?;
                // The point in time of the sessions vex started (a session resource has none).
                let known = session_points().all(client.base_url());
                let rows: Vec<SessionRow> = page
                    .results
                    .into_iter()
                    .map(|s| {
                        let point_in_time = known
                            .iter()
                            .rev()
                            .find(|k| k.session_id == s.id)
                            .map(|k| k.point_in_time.clone().unwrap_or_else(|| "latest".into()));
                        SessionRow {
                            session: s,
                            point_in_time,
                        }
                    })
                    .collect();
                emit(
                    fmt,
                    &rows,
                    &[
                        "ID",
                        "STATE",
                        "TYPE",
                        "ORGANIZATION",
                        "POINT IN TIME",
                        "CREATED",
                        "ENDED",
                        "BY",
                    ],
                    |r| {
                        let s = &r.session;
                        vec![
                            s.id.clone(),
                            s.state.to_string(),
                            s.session_type.to_string(),
                            opt(&s.organization),
                            point_label(r.point_in_time.as_deref()),
                            date(&s.creation_time),
                            date(&s.end_time),
                            opt(&s.initiated_by),
                        ]
                    },
                )?;
            }
            SessionsCmd::New {
                org,
                at,
                point,
                show_deleted,
                all_versions,
            } => {
                refuse_if_read_only(read_only, "open a restore session")?;
                let org = match org {
                    Some(o) => o,
                    None => client
                        .organizations()
                        .await?
                        .into_iter()
                        .find_map(|o| o.id)
                        .ok_or_else(|| CmdError::NotFound("no organization".into()))?,
                };
                let mut date_time = match at {
                    Some(a) => match ApiDate::parse(&a) {
                        ApiDate::Raw(_) => return Err(CmdError::Usage(format!("--at {a:?} is not a date"))),
                        d => Some(d),
                    },
                    None => None,
                };
                let mut repository_id = None;
                if let Some(id) = &point {
                    let p = find_point(client, &org, id).await?;
                    date_time = p.backup_time.clone();
                    repository_id = p.repository_id.clone();
                }
                let opts = ExploreOptions {
                    date_time,
                    session_type: Some(SessionType::Vex),
                    show_deleted: Some(show_deleted),
                    show_all_versions: Some(all_versions),
                    repository_id,
                };
                let s = client.explore(&org, &opts).await?;
                let remembered = session_points().remember(crate::config::session_points::SessionPoint {
                    server: client.base_url().to_string(),
                    session_id: s.id.clone(),
                    point_in_time: opts.date_time.as_ref().map(ApiDate::to_wire),
                    restore_point_id: point.clone(),
                    repository_id: opts.repository_id.clone(),
                    organization: Some(org.clone()),
                    show_deleted,
                    show_all_versions: all_versions,
                });
                if let Err(e) = remembered {
                    eprintln!("vex: the session's point in time is not remembered: {e}");
                }
                emit(fmt, std::slice::from_ref(&s), &["ID", "STATE", "ORGANIZATION"], |s| {
                    vec![s.id.clone(), s.state.to_string(), opt(&s.organization)]
                })?;
            }
            SessionsCmd::Stop { id } => {
                refuse_if_read_only(read_only, "stop a session")?;
                client.stop_session(&id).await?;
                if fmt == Format::Table {
                    println!("stopped {}", clean(&id));
                } else {
                    println!("{}", to_json(&serde_json::json!({"stopped": id}), false)?);
                }
            }
        },
        ScriptCmd::RestorePoints { org, limit } => {
            let org = match org {
                Some(o) => o,
                None => first_org(client).await?,
            };
            let page = paging::fill_page(0, limit, |o, l| client.restore_points(&org, o, l)).await?;
            let names = point_names(client, &page.results).await;
            emit(
                fmt,
                &page.results,
                &["BACKUP TIME", "EXCHANGE", "KIND", "JOB", "REPOSITORY", "ID"],
                |p| {
                    let name = |id: &Option<String>| {
                        id.as_ref()
                            .map(|i| names.get(i).cloned().unwrap_or_else(|| i.clone()))
                            .unwrap_or_default()
                    };
                    vec![
                        date(&p.backup_time),
                        if p.has_exchange() { "yes" } else { "no" }.into(),
                        p.kind_label().into(),
                        name(&p.job_id),
                        name(&p.repository_id),
                        opt(&p.id),
                    ]
                },
            )?;
        }
        ScriptCmd::Mailboxes { session } => {
            let all = client.all_mailboxes(&session).await?;
            emit(fmt, &all, &["ID", "NAME", "EMAIL", "KIND"], |m| {
                let kind = if m.is_archive {
                    "archive"
                } else if m.is_public {
                    "public"
                } else {
                    ""
                };
                vec![m.id.clone(), opt(&m.name), opt(&m.email), kind.into()]
            })?;
        }
        ScriptCmd::Folders { at, parent, all } => {
            let p = match (&parent, all) {
                (_, true) => FolderParent::All,
                (Some(id), _) => FolderParent::Folder(id),
                (None, false) => FolderParent::Root,
            };
            let folders = client.all_folders(&at.session, &at.mailbox, p).await?;
            emit(fmt, &folders, &["ID", "NAME", "TYPE", "CATEGORY"], |f| {
                vec![
                    f.id.clone(),
                    opt(&f.name),
                    f.folder_type.as_ref().map(|t| t.to_string()).unwrap_or_default(),
                    opt(&f.category),
                ]
            })?;
        }
        ScriptCmd::Items {
            at,
            folder,
            query,
            offset,
            limit,
            all,
        } => {
            if query.is_none() && folder.is_none() {
                return Err(CmdError::Usage("give --folder ID or --query TEXT".into()));
            }
            if let (None, Some(f)) = (&query, &folder) {
                // A task of the runtime, beside the connection's and the body's (`api::body`'s read
                // ahead): their hand-overs wake a runtime thread, not this one parked in `block_on`.
                // Task clock per 100,000 items (perf stat, 21 interleaved runs): 300 -> 277 ms.
                let (client, at, f) = (client.clone(), at.clone(), f.clone());
                let job = tokio::spawn(async move { list_items(&client, &at, &f, offset, limit, all, fmt).await });
                match job.await {
                    Ok(listed) => listed?,
                    // A panic goes on as it would have inline (a bug, not the network's doing).
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    Err(e) => return Err(CmdError::Api(ApiError::Network(format!("the listing stopped: {e}")))),
                }
                return Ok(EXIT_OK);
            }
            let fetch = |o: u64, l: u32| {
                let (at, folder, query) = (&at, &folder, &query);
                async move {
                    match (query, folder) {
                        (Some(q), Some(f)) => {
                            let scope = SearchScope::Folder {
                                mailbox: &at.mailbox,
                                folder: f,
                            };
                            client.search(&at.session, scope, q, o, l).await
                        }
                        (Some(q), None) => {
                            client
                                .search(&at.session, SearchScope::Mailbox(&at.mailbox), q, o, l)
                                .await
                        }
                        (None, Some(f)) => client.items(&at.session, &at.mailbox, f, o, l).await,
                        (None, None) => Err(ApiError::Config("give --folder ID or --query TEXT".into())),
                    }
                }
            };
            let cols = ["ID", "CLASS", "TITLE"];
            let cells = |i: &Item| vec![i.id.clone(), opt(&i.item_class), i.title().unwrap_or("").to_string()];
            if !all {
                let page = paging::fill_page(offset, limit, fetch).await?;
                emit(fmt, &page.results, &cols, cells)?;
            } else {
                let mut stream = Stream::new(fmt, &cols);
                let mut failed = None;
                let shifted = |o: u64, l: u32| fetch(offset + o, l);
                paging::for_each_page(limit, shifted, |page| match stream.rows(&page.results, cells) {
                    Ok(()) => true,
                    Err(e) => {
                        failed = Some(e);
                        false
                    }
                })
                .await?;
                if let Some(e) = failed {
                    return Err(e);
                }
                stream.finish()?;
            }
        }
        ScriptCmd::Item { at, id, preview, save } if preview || save.is_some() => {
            if let Some(out) = save {
                refuse_if_read_only(read_only, "save items")?;
                return save_items(client, &at, &[id], &out, fmt).await;
            }
            let cap = crate::msg::Limits::default().max_file_bytes as u64;
            let bytes = client.item_msg(&at.session, &at.mailbox, &id, cap).await?;
            let p = crate::msg::parse(&bytes, &crate::msg::Limits::default())
                .map_err(|e| CmdError::Other(format!("the server's MSG file: {e}")))?;
            print_preview(&p, fmt)?;
        }
        ScriptCmd::Save { at, items, out } => {
            refuse_if_read_only(read_only, "save items")?;
            return match out.filter(|p| !is_stdout(p)) {
                Some(out) => save_items(client, &at, &items, &out, fmt).await,
                None => save_to_stdout(client, &at, &items).await,
            };
        }
        ScriptCmd::Item { at, id, .. } => {
            let item = client.item(&at.session, &at.mailbox, &id).await?;
            match fmt {
                Format::Table => {
                    let v = serde_json::to_value(&item).map_err(|e| CmdError::Other(e.to_string()))?;
                    if let serde_json::Value::Object(m) = v {
                        for (k, v) in m.iter().filter(|(k, _)| !k.starts_with('_')) {
                            let val = match v {
                                serde_json::Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            println!("{:<24} {}", clean(k), clean(&val));
                        }
                    }
                }
                _ => emit(fmt, std::slice::from_ref(&item), &[], |_| vec![])?,
            }
        }
        ScriptCmd::Events { session } => {
            let ev = client.all_session_events(&session).await?;
            emit(fmt, &ev, &["ORDER", "TYPE", "STATUS", "START", "MESSAGE"], |e| {
                vec![
                    e.order.to_string(),
                    e.event_type.as_ref().map(|t| t.to_string()).unwrap_or_default(),
                    e.status.to_string(),
                    date(&e.start_time),
                    opt(&e.message),
                ]
            })?;
        }
        ScriptCmd::DeviceCode {
            session,
            target_app_id,
            target_region,
            target_org,
        } => {
            let mut t = tenant.clone();
            if let Some(a) = target_app_id {
                t.target_application_id = a;
            }
            if let Some(r) = target_region {
                t.target_region = Some(r);
            }
            if let Some(o) = target_org {
                t.target_organization_name = o;
            }
            t.validate()?;
            let dc = client.restore_device_code(&session, &t.device_code_request()).await?;
            emit(fmt, std::slice::from_ref(&dc), &["CODE", "URL", "EXPIRES IN"], |d| {
                vec![
                    opt(&d.user_code),
                    opt(&d.verification_url),
                    d.expires_in
                        .map(|e| crate::text::human_duration(std::time::Duration::from_secs(e.max(0) as u64)))
                        .unwrap_or_default(),
                ]
            })?;
        }
        ScriptCmd::Restore(args) => return restore(client, *args, fmt, read_only, tenant).await,
        ScriptCmd::Export { at, items, folder, out } => {
            refuse_if_read_only(read_only, "export")?;
            let (scope, opts) = match folder {
                Some(f) => (RestoreScope::Folder(f), ExportOptions::default()),
                None if items.is_empty() => return Err(CmdError::Usage("give --items or --folder".into())),
                None => (
                    RestoreScope::Items,
                    ExportOptions {
                        items: Some(items.into_iter().map(|id| ItemId { id }).collect()),
                        ..Default::default()
                    },
                ),
            };
            let n = client
                .export_pst(&at.session, &at.mailbox, &scope, &opts, &out, &|_| {})
                .await?;
            if fmt == Format::Table {
                println!("wrote {n} bytes to {}", out.display());
            } else {
                println!("{}", to_json(&serde_json::json!({"path": out, "bytes": n}), false)?);
            }
        }
    }
    Ok(EXIT_OK)
}

/// The longest id vex sends. VB365's ids are base64 of at most a few hundred bytes (the spec gives no
/// maximum; an assumption with a wide margin): anything longer is a mistake, not an id.
pub const MAX_ID_BYTES: usize = 4096;

/// An id given on the command line: empty, blank or longer than [`MAX_ID_BYTES`] is a usage error, found
/// before anything is sent.
fn check_id(what: &str, id: &str) -> Result<(), CmdError> {
    if id.trim().is_empty() {
        return Err(CmdError::Usage(format!("{what}: an id cannot be empty")));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(CmdError::Usage(format!(
            "{what}: an id of {} bytes is not an id (at most {MAX_ID_BYTES})",
            id.len()
        )));
    }
    Ok(())
}

/// Every id of a command (see [`check_id`]), where `vex save` writes ([`binary_output`]), and each usage
/// error the flags alone show (no `--folder` nor `--query`, an `--at` that is no date, a restore's fields);
/// `main` calls it before connecting, so nothing is sent and no password is asked for.
pub fn check_ids(cmd: &ScriptCmd) -> Result<(), CmdError> {
    let at = |w: &Where| check_id("--session", &w.session).and_then(|()| check_id("--mailbox", &w.mailbox));
    let items = |ids: &[String]| ids.iter().try_for_each(|id| check_id("--items", id));
    let opt = |what: &str, id: &Option<String>| id.as_deref().map_or(Ok(()), |id| check_id(what, id));
    match cmd {
        ScriptCmd::Sessions {
            cmd: Some(SessionsCmd::Stop { id }),
        } => check_id("session id", id),
        ScriptCmd::Sessions {
            cmd: Some(SessionsCmd::New {
                org, point, at: when, ..
            }),
        } => opt("--org", org).and_then(|()| opt("--point", point)).and_then(|()| {
            match when.as_deref().map(ApiDate::parse) {
                Some(ApiDate::Raw(a)) => Err(CmdError::Usage(format!("--at {a:?} is not a date"))),
                _ => Ok(()),
            }
        }),
        ScriptCmd::RestorePoints { org, .. } => opt("--org", org),
        ScriptCmd::Sessions { .. } | ScriptCmd::Organizations => Ok(()),
        ScriptCmd::Mailboxes { session } | ScriptCmd::DeviceCode { session, .. } => check_id("--session", session),
        ScriptCmd::Events { session } => check_id("session id", session),
        ScriptCmd::Folders { at: w, parent, .. } => at(w).and_then(|()| opt("--parent", parent)),
        ScriptCmd::Items {
            at: w, folder, query, ..
        } => at(w).and_then(|()| opt("--folder", folder)).and_then(|()| {
            if folder.is_none() && query.is_none() {
                return Err(CmdError::Usage("give --folder ID or --query TEXT".into()));
            }
            Ok(())
        }),
        ScriptCmd::Item { at: w, id, .. } => at(w).and_then(|()| check_id("item id", id)),
        ScriptCmd::Save { at: w, items: ids, out } => at(w)
            .and_then(|()| items(ids))
            .and_then(|()| binary_output(out.as_deref())),
        // Every field the flags give, before a password is asked for or anything is sent (the profile's
        // target settings are checked again with the plan after connecting).
        ScriptCmd::Restore(a) => at(&a.at)
            .and_then(|()| items(&a.items))
            .and_then(|()| opt("--folder", &a.folder))
            .and_then(|()| restore_credentials(a, false))
            .and_then(|c| check_restore_plan(&restore_plan(a, &TenantOptions::default(), c), true)),
        ScriptCmd::Export {
            at: w,
            items: ids,
            folder,
            ..
        } => at(w)
            .and_then(|()| items(ids))
            .and_then(|()| opt("--folder", folder))
            .and_then(|()| match (folder, ids.is_empty()) {
                (None, true) => Err(CmdError::Usage("give --items or --folder".into())),
                _ => Ok(()),
            }),
    }
}

/// A restore session and the point in time vex opened it at (when vex did).
#[derive(Serialize)]
struct SessionRow {
    #[serde(flatten)]
    session: RestoreSession,
    /// Not part of the API: what vex remembers (`latest` when no time was asked for).
    #[serde(rename = "vexPointInTime", skip_serializing_if = "Option::is_none")]
    point_in_time: Option<String>,
}

/// The point in time as the tables show it: the instant in UTC, `latest`, or `not known` (a session vex
/// did not start).
pub fn point_label(p: Option<&str>) -> String {
    match p {
        None => "not known".into(),
        Some("latest") => "latest".into(),
        Some(t) => match ApiDate::parse(t) {
            ApiDate::Raw(_) => clean(t),
            d => date(&Some(d)),
        },
    }
}

fn session_points() -> crate::config::session_points::SessionPoints {
    crate::config::session_points::SessionPoints::at(&crate::config::Paths::from_env())
}

async fn first_org(client: &Client) -> Result<String, CmdError> {
    client
        .organizations()
        .await?
        .into_iter()
        .find_map(|o| o.id)
        .ok_or_else(|| CmdError::NotFound("no organization".into()))
}

/// A restore point of the organization by id (looked for among its newest 1,000).
async fn find_point(client: &Client, org: &str, id: &str) -> Result<RestorePoint, CmdError> {
    let page = paging::fill_page(0, 1000, |o, l| client.restore_points(org, o, l)).await?;
    page.results
        .into_iter()
        .find(|p| p.id.as_deref() == Some(id))
        .ok_or_else(|| CmdError::NotFound(format!("no restore point {} in this organization", clean(id))))
}

/// The names of the jobs and repositories of these points (see [`Client::point_names`]).
pub async fn point_names(client: &Client, points: &[RestorePoint]) -> std::collections::BTreeMap<String, String> {
    client.point_names(points, &[]).await
}

/// `vex save` / `vex item --save`: one MSG file, or a ZIP of them.
async fn save_items(
    client: &Client,
    at: &Where,
    ids: &[String],
    out: &std::path::Path,
    fmt: Format,
) -> Result<u8, CmdError> {
    let n = client.save_msg(&at.session, &at.mailbox, ids, out, &|_| {}).await?;
    if fmt == Format::Table {
        println!("wrote {n} bytes to {}", out.display());
    } else {
        println!(
            "{}",
            to_json(&serde_json::json!({"path": out, "bytes": n, "items": ids.len()}), false)?
        );
    }
    Ok(EXIT_OK)
}

/// `-`: stdout.
fn is_stdout(p: &std::path::Path) -> bool {
    p == std::path::Path::new("-")
}

/// `vex save` without `-o FILE` (or with `-o -`) writes the MSG or ZIP bytes to stdout, and stdout must not
/// be a terminal: binary data there is noise at best and terminal control sequences at worst (as curl says,
/// "Binary output can mess up your terminal"). A file or a pipe takes the bytes.
fn binary_output(out: Option<&std::path::Path>) -> Result<(), CmdError> {
    use std::io::IsTerminal;
    if out.is_none_or(is_stdout) && std::io::stdout().is_terminal() {
        return Err(CmdError::Usage(
            "not writing a binary MSG or ZIP file to the terminal (it can mess up the terminal): \
             use -o FILE, or redirect stdout to a file or a pipe"
                .into(),
        ));
    }
    Ok(())
}

/// `vex save` to stdout (a file or a pipe, see [`binary_output`]): downloaded like a file (into the
/// private state directory, 0600, removed on error), then that file is opened, unlinked and copied to
/// stdout. Nothing else is written to stdout.
async fn save_to_stdout(client: &Client, at: &Where, ids: &[String]) -> Result<u8, CmdError> {
    binary_output(None)?;
    let dir = crate::config::Paths::from_env().state_dir;
    crate::config::paths::ensure_own_dir(&dir)
        .map_err(|e| CmdError::Other(format!("state directory {}: {e}", dir.display())))?;
    let tmp = dir.join(format!("save-{}.download", std::process::id()));
    client.save_msg(&at.session, &at.mailbox, ids, &tmp, &|_| {}).await?;
    let file = std::fs::File::open(&tmp);
    let _ = std::fs::remove_file(&tmp);
    let mut file = file.map_err(|e| CmdError::Other(format!("cannot read {}: {e}", tmp.display())))?;
    let mut out = std::io::stdout().lock();
    std::io::copy(&mut file, &mut out).map_err(write_error)?;
    out.flush().map_err(write_error)?;
    Ok(EXIT_OK)
}

/// `vex item --preview`: the message as text (every string already sanitised by the parser), or JSON.
fn print_preview(p: &crate::msg::Preview, fmt: Format) -> Result<(), CmdError> {
    use crate::msg::RecipientKind;
    let when = |t: Option<time::OffsetDateTime>| t.map(|t| date(&Some(ApiDate::Utc(t))));
    let people = |k: RecipientKind| p.recipients_of(k).map(|r| r.person.display()).collect::<Vec<_>>();
    let attachments: Vec<serde_json::Value> = p
        .attachments
        .iter()
        .map(|a| serde_json::json!({"name": a.name, "size": a.size}))
        .collect();
    let mut out = std::io::stdout().lock();
    if fmt != Format::Table {
        // For machines: RFC 3339 in UTC to the second, as the API writes dates (the table's form,
        // `2025-09-11 21:53`, has neither zone nor seconds).
        let when = |t: Option<time::OffsetDateTime>| {
            t.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        };
        let v = serde_json::json!({
            "class": p.class,
            "subject": p.subject,
            "from": p.from.as_ref().map(|f| f.display()),
            "to": people(RecipientKind::To),
            "cc": people(RecipientKind::Cc),
            "bcc": people(RecipientKind::Bcc),
            "sent": when(p.sent),
            "received": when(p.received),
            "start": when(p.start),
            "end": when(p.end),
            "attachments": attachments,
            "body": p.body.join("\n"),
            "bodyTruncated": p.body_truncated,
        });
        writeln!(out, "{}", to_json(&v, fmt == Format::Json)?).map_err(write_error)?;
        return out.flush().map_err(write_error);
    }
    let mut head: Vec<(&str, String)> = vec![
        ("Subject", p.subject.clone().unwrap_or_default()),
        ("From", p.from.as_ref().map(|f| f.display()).unwrap_or_default()),
        ("To", people(RecipientKind::To).join("; ")),
        ("Cc", people(RecipientKind::Cc).join("; ")),
        ("Bcc", people(RecipientKind::Bcc).join("; ")),
        ("Sent", when(p.sent).unwrap_or_default()),
        ("Received", when(p.received).unwrap_or_default()),
        ("Start", when(p.start).unwrap_or_default()),
        ("End", when(p.end).unwrap_or_default()),
    ];
    for a in &p.attachments {
        let size = a
            .size
            .map(|s| format!(" ({})", crate::text::human_size(i64::try_from(s).unwrap_or(i64::MAX))))
            .unwrap_or_default();
        head.push(("Attachment", format!("{}{size}", a.name)));
    }
    for (k, v) in head.into_iter().filter(|(_, v)| !v.is_empty()) {
        writeln!(out, "{:<11} {v}", format!("{k}:")).map_err(write_error)?;
    }
    writeln!(out).map_err(write_error)?;
    for l in &p.body {
        writeln!(out, "{l}").map_err(write_error)?;
    }
    if p.body_truncated {
        writeln!(out, "[body cut after {} lines]", p.body.len()).map_err(write_error)?;
    }
    out.flush().map_err(write_error)
}

fn refuse_if_read_only(read_only: bool, what: &str) -> Result<(), CmdError> {
    if read_only {
        Err(CmdError::Refused(format!("read-only: refusing to {what}")))
    } else {
        Ok(())
    }
}

/// The credentials the restore flags name. `prompt`: ask for the restore user's password when
/// `VEX_RESTORE_PASSWORD` does not give it (without: an empty one, for the check before connecting).
fn restore_credentials(a: &RestoreArgs, prompt: bool) -> Result<Credentials, CmdError> {
    Ok(if let Some(code) = a.device_code.clone() {
        Credentials::DeviceCode { user_code: code }
    } else if let Some(app) = a.app_id.clone() {
        Credentials::Application {
            application_id: app,
            certificate_file: a.cert.clone().unwrap_or_default(),
            certificate_password: crate::secrets::cert_password(),
            impersonation_account: a.impersonate.clone().unwrap_or_default(),
        }
    } else if let Some(user) = a.restore_user.clone() {
        let password = match crate::secrets::restore_password() {
            Some(p) => p,
            None if a.dry_run || !prompt => SecretString::from(String::new()),
            _ => crate::secrets::prompt(&format!("Exchange password for {user}: ")).map_err(CmdError::Usage)?,
        };
        Credentials::Password { user, password }
    } else {
        return Err(CmdError::Usage(
            "credentials: give --restore-user, --device-code, or --app-id with --cert and --impersonate".into(),
        ));
    })
}

/// The restore the flags describe, the profile's target settings filling what they leave out.
fn restore_plan(a: &RestoreArgs, tenant: &TenantOptions, credentials: Credentials) -> RestorePlan {
    let scope = match &a.folder {
        Some(f) => RestoreScope::Folder(f.clone()),
        None => RestoreScope::Items,
    };
    RestorePlan {
        source_mailbox: a.at.mailbox.clone(),
        source_folder: a.folder.clone(),
        scope,
        item_ids: a.items.clone(),
        target_mailbox: a.to.clone(),
        target_folder: a.to_folder.clone(),
        cas_server: a.cas_server.clone(),
        office_region: a.office_region.clone().or_else(|| tenant.office_region.clone()),
        office_organization_name: a
            .office_org
            .clone()
            .unwrap_or_else(|| tenant.office_organization_name.clone()),
        credentials,
        flags: RestoreFlags {
            changed_items: a.changed_items,
            deleted_items: a.deleted_items,
            mark_restored_as_unread: a.mark_unread,
            exclude_drafts: a.exclude_drafts,
            exclude_deleted_items: a.exclude_deleted,
            exclude_in_place_hold_items: a.exclude_in_place_hold,
            exclude_litigation_hold_items: a.exclude_litigation_hold,
        },
    }
}

/// The plan's validation errors as one usage error (`skip_password`: a password not given yet is none).
fn check_restore_plan(plan: &RestorePlan, skip_password: bool) -> Result<(), CmdError> {
    let errs: Vec<_> = plan
        .validate()
        .into_iter()
        .filter(|(f, _)| !(skip_password && *f == crate::restore_plan::PlanField::Password))
        .collect();
    if !errs.is_empty() {
        let msg = errs
            .iter()
            .map(|(f, m)| format!("{f:?}: {m}"))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(CmdError::Usage(msg));
    }
    Ok(())
}

async fn restore(
    client: &Client,
    a: RestoreArgs,
    fmt: Format,
    read_only: bool,
    tenant: &TenantOptions,
) -> Result<u8, CmdError> {
    refuse_if_read_only(read_only, "restore")?;
    let plan = restore_plan(&a, tenant, restore_credentials(&a, true)?);
    check_restore_plan(&plan, a.dry_run)?;
    if a.dry_run {
        let mut req = serde_json::to_value(plan.to_request()?).map_err(|e| CmdError::Other(e.to_string()))?;
        if let serde_json::Value::Object(m) = &mut req {
            for k in [
                "userPassword",
                "applicationCertificate",
                "applicationCertificatePassword",
            ] {
                if m.contains_key(k) {
                    m.insert(k.into(), serde_json::Value::String("[REDACTED]".into()));
                }
            }
        }
        println!("{}", plan.summary());
        println!("{}", to_json(&req, true)?);
        return Ok(EXIT_OK);
    }
    if !a.yes {
        eprint!("{}\nProceed? [y/N] ", plan.summary());
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        if !matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            return Err(CmdError::Refused("cancelled; nothing was sent".into()));
        }
    }
    let req = plan.to_request()?;
    // From here a signal (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT) no longer kills vex at once: it may come after
    // the request went out, and then the operator must hear that the outcome is unknown.
    let mut signals = crate::runtime::StopSignals::new()
        .map_err(|e| CmdError::Other(format!("cannot handle signals: {e}; nothing was sent")))?;
    // Every restore that is sent has an audit record first (outcome `sent`, no secrets in it), completed
    // by its outcome below; one that cannot be recorded is not sent.
    let log_path = crate::config::Paths::from_env().audit_log();
    let rec = crate::audit::AuditRecord {
        api_user: client.user_name().await.unwrap_or_default(),
        server: client.base_url().to_string(),
        action: "restore".into(),
        restore_session: a.at.session.clone(),
        source_mailbox: a.at.mailbox.clone(),
        source_folder: a.folder.clone(),
        item_count: (!a.items.is_empty()).then_some(a.items.len() as u64),
        target_mailbox: Some(plan.target_mailbox.clone()),
        target_folder: Some(plan.target_folder.clone()).filter(|f| !f.is_empty()),
        flags: plan.flags.set_names(),
        credential_mode: Some(plan.credential_mode().into()),
        // As far as vex knows it (the sessions it started: the state dir; a session resource has none).
        point_in_time: Some(
            match session_points()
                .get(client.base_url(), &a.at.session)
                .map(|p| p.point_in_time)
            {
                Some(Some(t)) => format!("the backup as of {t} (chosen when vex started this session)"),
                Some(None) => "the latest backup when vex started this session".to_string(),
                None => "not known to vex (the server does not say)".to_string(),
            },
        ),
        ..Default::default()
    };
    let pending =
        crate::audit::begin(log_path.clone(), rec).map_err(|error| CmdError::Unrecorded { what: "restore", error })?;
    let result = tokio::select! {
        r = client.restore_to(&a.at.session, &a.at.mailbox, &plan.scope, &req, &|_| {}) => r,
        sig = signals.recv() => {
            drop(req);
            let done = pending.complete(|r| {
                r.outcome = "unknown".into();
                r.message = Some(format!("interrupted by {} before the answer came", sig.name));
            });
            eprintln!(
                "vex: interrupted by {}: the restore was sent and its outcome is UNKNOWN (the server may have \
                 applied it). Before restoring again, look at the restore session's events: vex events {}\n\
                 vex: recorded in the audit log {}",
                sig.name,
                a.at.session,
                log_path.display()
            );
            if let Err(e) = done {
                eprintln!("vex: {e}");
            }
            return Err(CmdError::Stopped(sig));
        }
    };
    let done = pending.complete(|rec| match &result {
        Ok(o) => {
            rec.outcome = if o.has_problems() { "partial" } else { "ok" }.into();
            (rec.created, rec.merged, rec.skipped, rec.failed) =
                (Some(o.created), Some(o.merged), Some(o.skipped), Some(o.failed));
        }
        Err(ApiError::OutcomeUnknown(m)) => {
            rec.outcome = "unknown".into();
            rec.message = Some(m.clone());
        }
        Err(e) => {
            rec.outcome = "failed".into();
            rec.message = Some(e.to_string());
        }
    });
    if let Err(e) = done {
        eprintln!("vex: {e}");
    }
    let outcome = result?;
    emit(
        fmt,
        std::slice::from_ref(&outcome),
        &["CREATED", "MERGED", "SKIPPED", "FAILED", "WARNINGS", "EXCEPTIONS"],
        |o| {
            vec![
                o.created.to_string(),
                o.merged.to_string(),
                o.skipped.to_string(),
                o.failed.to_string(),
                o.warnings.join(" | "),
                o.exceptions.join(" | "),
            ]
        },
    )?;
    Ok(if outcome.has_problems() { EXIT_PARTIAL } else { EXIT_OK })
}

/// An error writing to stdout. A closed pipe (`vex items ... | head`) is no failure: the reader has what
/// it wanted, so vex stops quietly with 0.
fn write_error(e: std::io::Error) -> CmdError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        CmdError::OutputClosed
    } else {
        CmdError::Other(format!("cannot write output: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `vex items` writes for a page read as it arrives (`step` bytes at a time): through the fast
    /// path (one scan per row, rows cut by a chunk carried over), or through the exact path (the byte
    /// guard, `serde_json` per row, every row escaped).
    fn items_written(fmt: Format, page: &[u8], step: usize, fast: bool) -> Vec<u8> {
        use crate::api::body::{BodyLimits, JsonGuard};
        use crate::api::stream::{ItemText, KEYS};
        let mut w = ItemWriter::new(fmt, 4);
        let mut g = JsonGuard::rows(BodyLimits::default(), 100).with_keys(&KEYS);
        if !fast {
            g = g.exact();
        }
        let mut on_row = |raw: &[u8], s: Option<&crate::api::scan::Scanned<'_>>| -> Result<(), ApiError> {
            let item = match s {
                Some(s) => ItemText::scanned(s)?,
                None if fast => ItemText::parse(raw)?,
                None => ItemText::parse_exact(raw)?,
            };
            assert!(w.item(&item).is_continue());
            Ok(())
        };
        for c in page.chunks(step) {
            g.feed_rows(c, &mut on_row).expect("the page is read");
        }
        g.end_rows(&mut on_row).expect("the page is read");
        w.close();
        assert!(w.buf.len() < OUT_BLOCK, "the test's output stays in the buffer");
        w.buf
    }

    /// `vex items` writes the same bytes whether a row goes the fast path or the exact one, in every
    /// output form and chunking, for plain, international and hostile rows (terminal controls raw and
    /// escaped, DEL, C1, bidi overrides, separators, BOM, wide characters, emoji sequences, escapes,
    /// whitespace, numbers for strings, nulls, nesting, a string longer than the cut).
    #[test]
    fn a_rows_trailing_white_space_goes_as_trim_end_removes_it() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let pool: Vec<char> =
            "a é漢🎉\t\n\u{b}\u{c}\r\u{1c}\u{85}\u{a0}\u{1680}\u{2003}\u{2028}\u{202f}\u{3000}\u{200b}x"
                .chars()
                .collect();
        let mut any = |n: usize| -> String { (0..n).map(|_| pool[rng.random_range(0..pool.len())]).collect() };
        for i in 0..20_000 {
            // Some with a run of spaces (a cell's padding) before a few more characters.
            let s = if i % 2 == 0 {
                any(i % 8)
            } else {
                format!("{}{}{}", any(i % 5), " ".repeat(i % 23), any(i % 3))
            };
            assert_eq!(trimmed_end(s.as_bytes()), s.trim_end().len(), "{s:?}");
        }
    }

    /// The items table (`ItemWriter`: the first page held until its widths are known, the rows after it
    /// fitted as they come) is what [`table_line`] writes for the same cells sanitised, with the widths of
    /// the header and the first page (at most 60), for hostile, wide, combining and padded cells.
    #[test]
    fn the_items_table_is_what_table_line_writes() {
        let rows = [
            r#"{"id":"a","itemClass":"IPM.Note","subject":"plain"}"#,
            r#"{"id":"b","itemClass":"IPM.Note","subject":"Zoë 中文 e\u0301 🇯🇵 trailing   "}"#,
            r#"{"id":"c","itemClass":"IPM.Contact","displayAs":"esc \u001b[31m \n\t \u202e end"}"#,
            r#"{"id":"d\u0000x","itemClass":"IPM.StickyNote","name":""}"#,
            r#"{"id":"e","itemClass":"IPM.Note","subject":"a title much longer than the first page's widest, cut"}"#,
            r#"{"id":"f-longer-id-than-any-before","itemClass":"X.Custom.Class.Name","subject":"中文中文中文中文中文中文中文中文"}"#,
            r#"{"id":"g","subject":"   "}"#,
        ];
        let first_len = 4;
        let page = format!(
            r#"{{"offset":0,"limit":100,"results":[{}],"setId":"s"}}"#,
            rows.join(",")
        );
        let items: Vec<[String; 3]> = rows
            .iter()
            .map(|r| {
                let item = crate::api::stream::ItemText::parse(r.as_bytes()).expect(r);
                let (class, title) = item.class_and_title();
                [
                    item.id.to_string(),
                    class.unwrap_or_default().into_owned(),
                    title.unwrap_or_default().into_owned(),
                ]
                .map(|c| clean(&c))
            })
            .collect();
        let w = column_widths(&ITEM_COLS, &items[..first_len]);
        let mut want = table_line(&ITEM_COLS.map(String::from), &w) + "\n";
        for row in &items {
            want += &(table_line(row, &w) + "\n");
        }
        let mut out = ItemWriter::new(Format::Table, first_len);
        let mut g = crate::api::body::JsonGuard::rows(crate::api::body::BodyLimits::default(), 100)
            .with_keys(&crate::api::stream::KEYS);
        let mut on_row = |raw: &[u8], s: Option<&crate::api::scan::Scanned<'_>>| -> Result<(), ApiError> {
            let item = match s {
                Some(s) => crate::api::stream::ItemText::scanned(s)?,
                None => crate::api::stream::ItemText::parse(raw)?,
            };
            assert!(out.item(&item).is_continue());
            Ok(())
        };
        g.feed_rows(page.as_bytes(), &mut on_row).expect("the page is read");
        g.end_rows(&mut on_row).expect("the page is read");
        out.close();
        assert_eq!(String::from_utf8_lossy(&out.buf), want);
        // A table shorter than its first page is written at the end, the same way.
        let mut short = ItemWriter::new(Format::Table, 100);
        for r in &rows[..2] {
            let item = crate::api::stream::ItemText::parse(r.as_bytes()).expect(r);
            assert!(short.item(&item).is_continue());
        }
        short.close();
        let w2 = column_widths(&ITEM_COLS, &items[..2]);
        let want2: String = std::iter::once(table_line(&ITEM_COLS.map(String::from), &w2))
            .chain(items[..2].iter().map(|r| table_line(r, &w2)))
            .map(|l| l + "\n")
            .collect();
        assert_eq!(String::from_utf8_lossy(&short.buf), want2);
    }

    #[test]
    fn items_output_is_the_same_through_the_fast_and_the_exact_path() {
        let long = "長".repeat(30_000);
        let rows: Vec<String> = vec![
            r#"{"id":"AAMk+/+/kUtg=","itemClass":"IPM.Note","subject":"Re: Keystone kickoff","received":"2019-01-16T00:58:37.0000000Z","_links":{"self":{"href":"/v8/x"}}}"#.into(),
            r#"{"id":"z1","itemClass":"IPM.Note","subject":"Zoë 🎉 中文 naïve café ﷽"}"#.into(),
            "{\"id\":\"z2\",\"itemClass\":\"IPM.Note\",\"subject\":\"raw DEL \u{7f} C1 \u{85}\u{9b}31m bidi \u{202e}txt.exe sep \u{2028}\u{2029} bom \u{feff} alm \u{61c}\"}".into(),
            r#"{"id":"z3","itemClass":"IPM.Note","subject":"esc \u001b[31mred\u0007 \n\t \u202e \u0085 \u007f \ud83d\ude00 \" \\ \/"}"#.into(),
            r#"{"id":7,"itemClass":"IPM.Contact","fullName":null,"displayAs":"Ørsted, Ånne"}"#.into(),
            r#"{"id":"g","itemClass":"IPM.DistList","name":"Team 🇯🇵 👨‍👩‍👧 e\u0301"}"#.into(),
            r#"{"id":"n","itemClass":"IPM.StickyNote","subject":5,"name":null}"#.into(),
            r#"{"id":"o","itemClass":"X.Y","subject":5,"name":["a"],"title":"t\u200bt"}"#.into(),
            "{ \"id\" : \"ws\" ,\n \"itemClass\":\"IPM.Note\", \"subject\" : \"white space\" }".into(),
            r#"{"id":"deep","itemClass":"IPM.Appointment","subject":null,"x":[[[{"a":[1,-2.5e+3,true,false,null]}]]]}"#.into(),
            format!(r#"{{"id":"long","itemClass":"IPM.Note","subject":"{long}"}}"#),
            r#"{"id":"  x","subject":"a"}"#.into(),
        ];
        let page = format!(
            r#"{{"offset":0,"limit":100,"results":[{}],"setId":"s"}}"#,
            rows.join(",")
        );
        for fmt in [Format::Jsonl, Format::Json, Format::Table] {
            let exact = items_written(fmt, page.as_bytes(), 1 << 20, false);
            for step in [1, 3, 16, 100, 4097, 1 << 20] {
                let fast = items_written(fmt, page.as_bytes(), step, true);
                assert!(
                    fast == exact,
                    "{fmt:?} step {step}:\n{}\n--- exact:\n{}",
                    String::from_utf8_lossy(&fast),
                    String::from_utf8_lossy(&exact)
                );
            }
            let text = String::from_utf8(exact).expect("UTF-8 output");
            assert!(!text.chars().any(|c| crate::text::is_unsafe(c) && c != '\n'), "{text}");
            if fmt == Format::Jsonl {
                // Each line is its row, the same JSON value (but the cut string).
                let lines: Vec<&str> = text.lines().collect();
                assert_eq!(lines.len(), rows.len());
                for (line, row) in lines.iter().zip(&rows).filter(|(_, r)| !r.contains("long")) {
                    let (a, b): (serde_json::Value, serde_json::Value) = (
                        serde_json::from_str(line).expect(line),
                        serde_json::from_str(row).expect(row),
                    );
                    assert_eq!(a, b, "{line}");
                }
            }
        }
    }

    /// The exit code comes from the error's kind (the module doc's table), whatever its message says.
    #[test]
    fn exit_codes_come_from_the_kind_not_the_text() {
        let misleading = "authentication failed: not found (network)";
        let cases: Vec<(CmdError, u8)> = vec![
            (CmdError::Usage(misleading.into()), EXIT_USAGE),
            (CmdError::NotFound(misleading.into()), EXIT_NOT_FOUND),
            (CmdError::Refused(misleading.into()), EXIT_REFUSED),
            (CmdError::Other(misleading.into()), EXIT_OTHER),
            (CmdError::Api(ApiError::Auth(misleading.into())), EXIT_AUTH),
            (CmdError::Api(ApiError::Network(misleading.into())), EXIT_NETWORK),
            (CmdError::Api(ApiError::Config(misleading.into())), EXIT_OTHER),
            (CmdError::Connect(ConnectError::Refused(misleading.into())), EXIT_AUTH),
            (CmdError::Connect(ConnectError::Failed(misleading.into())), EXIT_NETWORK),
            (CmdError::Plan(PlanError::Region(misleading.into())), EXIT_USAGE),
            (
                CmdError::Unrecorded {
                    what: "restore",
                    error: AuditError::Stopped(misleading.into()),
                },
                EXIT_OTHER,
            ),
            (CmdError::Stopped(StopSignal::TERM), 143),
            (CmdError::OutputClosed, EXIT_OK),
        ];
        for (e, code) in cases {
            assert_eq!(e.exit_code(), code, "{e:?}");
        }
        // Nothing is printed for a signal (the operator was told) or a closed pipe.
        assert_eq!(CmdError::Stopped(StopSignal::INT).message(), None);
        assert_eq!(CmdError::OutputClosed.message(), None);
        let e = CmdError::Unrecorded {
            what: "restore",
            error: AuditError::Stopped("x".into()),
        };
        assert_eq!(e.message().as_deref(), Some("audit log: x; the restore was not sent"));
    }
}
