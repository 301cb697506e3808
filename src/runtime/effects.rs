//! The effect runner: each request `app::update` asks for runs as a tokio task through [`Runner::run`],
//! the one function that runs any call against the client, and its answer comes back to the loop as
//! [`Msg::Answer`] with the request's id. Reads whose ids left the state's map of requests (nobody waits
//! for them any more: superseded, or the operator moved on) are aborted; writes run to their end. Logins
//! may replace the client. Restores, downloads and sends (and their audit records) run in [`jobs`].

mod batch;
mod jobs;

use super::App;
use super::terminal::Connector;
use crate::api::models::Page;
use crate::api::{ApiError, Client, FolderParent, SessionOrder, paging};
use crate::app::panes::login::{LoggedIn, LoginTarget};
use crate::app::request::Class;
use crate::app::{Answer, Call, Effect, Msg, Request, RequestId, Response};
use futures_util::FutureExt;
use ratatui::backend::Backend;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

/// A client made for a login to another server or API version, with the id of that login's request.
pub(super) type NewClient = Arc<Mutex<Option<(RequestId, Client)>>>;

impl<B: Backend> App<B> {
    /// Takes the client a login made for another server or API version, when its answer is the one
    /// dispatched now.
    pub(super) fn adopt_client(&mut self, msg: &Msg) {
        if let Msg::Answer(Answer {
            id,
            result: Ok(Response::LoggedIn(_)),
        }) = msg
            && let Ok(mut slot) = self.new_client.lock()
            && slot.as_ref().is_some_and(|(g, _)| g == id)
            && let Some((_, c)) = slot.take()
        {
            self.client = c;
        }
    }

    /// A read's answer reached the loop: its task is over (a read answers once), even if the task has not
    /// returned yet, so [`App::running_tasks`] does not count it.
    pub(super) fn forget_answered(&mut self, msg: &Msg) {
        if let Msg::Answer(a) = msg {
            self.tasks.remove(&a.id);
        }
    }

    /// Aborts the reads the state no longer waits for (the operator navigated away, or a newer read
    /// superseded them): their ids are no longer in the state's map of requests.
    pub(super) fn cancel_unawaited(&mut self) {
        let requests = &self.state.requests;
        let mut cancelled = 0;
        self.tasks.retain(|id, h| {
            if h.is_finished() {
                return false;
            }
            let keep = requests.waits_for(*id);
            if !keep {
                h.abort();
                cancelled += 1;
            }
            keep
        });
        self.cancelled += cancelled;
    }

    /// Aborts every read in flight.
    pub fn abort_all(&mut self) {
        for (_, h) in self.tasks.drain() {
            h.abort();
        }
    }

    /// Number of read tasks still running whose answer has not reached the loop.
    pub fn running_tasks(&self) -> usize {
        self.tasks.values().filter(|h| !h.is_finished()).count()
    }

    pub(super) fn spawn(&mut self, e: Effect) {
        match e {
            Effect::Clipboard(text) => self.copy(&text),
            Effect::Quit => self.abort_all(),
            Effect::Request(r) => self.send(r),
        }
    }

    /// Runs a request as a task; its answer (and progress) come back as messages.
    fn send(&mut self, r: Request) {
        let Request { id, call } = r;
        let class = call.class();
        let runner = Runner {
            client: self.client.clone(),
            connector: self.connector.clone(),
            new_client: self.new_client.clone(),
        };
        let tx = self.tx.clone();
        let read = matches!(class, Class::Read(_));
        let handle = tokio::spawn(async move {
            // Kept to be sent again after a new login (not the login itself: it never is).
            let again = (class != Class::Login).then(|| Request { id, call: call.clone() });
            let ptx = tx.clone();
            let progress = move |r: Response| {
                let _ = ptx.send(Msg::Answer(Answer { id, result: Ok(r) }));
            };
            let result = AssertUnwindSafe(runner.run(id, call, &progress))
                .catch_unwind()
                .await
                .unwrap_or_else(|_| Err(ApiError::Config(internal_error(&class).into())));
            let answer = Msg::Answer(Answer { id, result });
            // The client drops its tokens only when the server refused to renew them: the session is gone,
            // whatever this request's own error says. A read (or a held write) waits for the login screen
            // and is sent again; a write sent once has its failure reported as it is (never resent).
            if let Some(again) = again
                && !runner.client.is_logged_in().await
            {
                if class == Class::Once {
                    let _ = tx.send(answer);
                }
                let _ = tx.send(Msg::SessionExpired(again));
                return;
            }
            let _ = tx.send(answer);
        });
        if read {
            self.tasks.retain(|_, h| !h.is_finished());
            self.tasks.insert(id, handle.abort_handle());
        }
    }
}

/// The error of a task that died without an answer.
fn internal_error(class: &Class) -> &'static str {
    match class {
        Class::Login => "internal error while logging in (see the log)",
        Class::Once => "internal error (see the log)",
        Class::Read(_) | Class::Write => "internal error while loading (see the log)",
    }
}

/// What runs the calls: the client, and for a login to another server or API version the connector
/// that makes its client and the place where that client waits for the loop.
#[derive(Clone)]
pub struct Runner {
    pub client: Client,
    connector: Option<Connector>,
    new_client: NewClient,
}

impl Runner {
    /// A runner of calls against `client` (a login to another server makes a client that trusts the
    /// system store).
    pub fn new(client: Client) -> Runner {
        Runner {
            client,
            connector: None,
            new_client: Arc::new(Mutex::new(None)),
        }
    }

    /// Runs a request; progress answers (restores, downloads) are dropped. For tests and benchmarks that
    /// drive `update` without the loop.
    pub async fn answer(&self, r: Request) -> Answer {
        let result = self.run(r.id, r.call, &|_| {}).await;
        Answer { id: r.id, result }
    }

    /// Runs one call against the server: the one function every request of the browser goes through.
    /// `progress` gets the progress of restores and downloads (more answers to the same request).
    pub async fn run(
        &self,
        id: RequestId,
        call: Call,
        progress: &(dyn Fn(Response) + Send + Sync),
    ) -> Result<Response, ApiError> {
        let client = &self.client;
        Ok(match call {
            // Every page is filled (following a server that serves fewer rows than asked while it says
            // there are more): the panes take a short page as the end of the list.
            Call::Sessions { offset, limit } => Response::Sessions(results(
                paging::fill_page(offset, limit, |o, l| {
                    client.restore_sessions(o, l, Some((SessionOrder::CreationTime, false)))
                })
                .await?,
            )),
            Call::Mailboxes {
                session_id,
                offset,
                limit,
            } => Response::Mailboxes(results(
                paging::fill_page(offset, limit, |o, l| client.mailboxes(&session_id, o, l)).await?,
            )),
            Call::Folders {
                session_id,
                mailbox_id,
                parent,
            } => {
                let p = match &parent {
                    None => FolderParent::Root,
                    Some(id) => FolderParent::Folder(id),
                };
                Response::Folders(client.all_folders(&session_id, &mailbox_id, p).await?)
            }
            Call::ItemsPage {
                session_id,
                mailbox_id,
                folder_id,
                offset,
                limit,
            } => Response::Items(
                paging::fill_page(offset, limit, |o, l| {
                    client.items(&session_id, &mailbox_id, &folder_id, o, l)
                })
                .await?,
            ),
            Call::CountItems {
                session_id,
                mailbox_id,
                folder_id,
            } => Response::Count(client.count_items(&session_id, &mailbox_id, &folder_id).await?),
            Call::Item {
                session_id,
                mailbox_id,
                item_id,
            } => Response::Item(client.item(&session_id, &mailbox_id, &item_id).await?),
            Call::Preview {
                session_id,
                mailbox_id,
                item_id,
                max_bytes,
            } => {
                let bytes = client.item_msg(&session_id, &mailbox_id, &item_id, max_bytes).await?;
                Response::Preview(Box::new(parse_msg(bytes, max_bytes).await?))
            }
            Call::Organizations => Response::Organizations(client.organizations().await?),
            Call::RestorePoints {
                organization_id,
                offset,
                limit,
                known_names,
            } => {
                let page =
                    paging::fill_page(offset, limit, |o, l| client.restore_points(&organization_id, o, l)).await?;
                let names = client.point_names(&page.results, &known_names).await;
                Response::RestorePoints(crate::api::points::NamedPoints { page, names })
            }
            Call::Explore {
                organization_id,
                options,
                remember,
            } => {
                let session = client.explore(&organization_id, &options).await?;
                if let Some(r) = remember {
                    remember_point(client, &session, &organization_id, &options, *r);
                }
                Response::Session(session)
            }
            Call::StopSession { session_id } => Response::Done(client.stop_session(&session_id).await?),
            Call::Login {
                user,
                password,
                reconnect,
            } => Response::LoggedIn(self.login(id, user, password, reconnect).await?),
            Call::Search {
                session_id,
                target,
                query,
                offset,
                limit,
            } => Response::Items(
                paging::fill_page(offset, limit, |o, l| {
                    client.search(&session_id, target.as_scope(), &query, o, l)
                })
                .await?,
            ),
            Call::MailboxNames { session_id } => Response::Mailboxes(client.all_mailboxes(&session_id).await?),
            Call::FolderPath {
                session_id,
                mailbox_id,
                folder_id,
                known,
            } => Response::FolderPaths(client.folder_path(&session_id, &mailbox_id, &folder_id, &known).await?),
            Call::Restore {
                session_id,
                mailbox_id,
                scope,
                plan,
                original,
                audit,
            } => {
                let progress = |p| progress(Response::RestoreProgress(p));
                let target = jobs::Target {
                    session_id,
                    mailbox_id,
                    scope,
                };
                Response::Restored(jobs::restore(client, target, *plan, original, audit, &progress).await)
            }
            Call::DeviceCode { session_id, request } => {
                Response::DeviceCode(client.restore_device_code(&session_id, &request).await?)
            }
            Call::Events { session_id } => Response::Events(client.all_session_events(&session_id).await?),
            Call::TargetFolders { session_id, mailbox_id } => {
                Response::Folders(client.all_folders(&session_id, &mailbox_id, FolderParent::Root).await?)
            }
            Call::Download {
                kind,
                session_id,
                mailbox_id,
                scope,
                item_ids,
                dest,
                file_name,
                overwrite,
                audit,
            } => {
                let progress = |p| progress(Response::DownloadProgress(p));
                let target = jobs::Target {
                    session_id,
                    mailbox_id,
                    scope,
                };
                let d = jobs::Download {
                    kind,
                    item_ids,
                    dest,
                    file_name,
                    overwrite,
                };
                Response::Downloaded(jobs::download(client, target, d, audit, &progress).await)
            }
            Call::Send {
                session_id,
                mailbox_id,
                item_ids,
                different,
                audit,
            } => Response::Sent(jobs::send(client, &session_id, &mailbox_id, &item_ids, different, audit).await),
            Call::BatchJournal { path } => Response::BatchJournal(batch::journal(path).await?),
            Call::BatchResolve { path } => Response::BatchPlan(Box::new(batch::resolve(client, path).await?)),
            Call::Batch(job) => Response::BatchEnded(batch::run(client, *job, progress).await),
        })
    }

    /// Logs in, first making a new client when the operator chose another server or API version (it is
    /// left in `new_client` for the loop to take with the answer).
    async fn login(
        &self,
        id: RequestId,
        user: String,
        password: secrecy::SecretString,
        reconnect: Option<LoginTarget>,
    ) -> Result<LoggedIn, ApiError> {
        let (client, fresh) = match reconnect {
            None => (self.client.clone(), false),
            Some(t) => {
                let made = match &self.connector {
                    Some(c) => c(t).await,
                    None => Client::new(crate::api::ClientConfig {
                        version: t.api,
                        ..crate::api::ClientConfig::new(t.server)
                    })
                    .map_err(|e| e.to_string()),
                };
                (made.map_err(ApiError::Config)?, true)
            }
        };
        client.login(&user, &password).await?;
        drop(password);
        let info = LoggedIn {
            user,
            server: client.base_url().to_string(),
            api_version: client.version().map(|v| v.to_string()).unwrap_or_default(),
        };
        if fresh && let Ok(mut slot) = self.new_client.lock() {
            *slot = Some((id, client));
        }
        Ok(info)
    }
}

/// Parses an MSG file for a preview, off the runtime's threads (the body may be a megabyte of HTML).
async fn parse_msg(bytes: Vec<u8>, max_bytes: u64) -> Result<crate::msg::Preview, ApiError> {
    let limits = crate::msg::Limits {
        max_file_bytes: usize::try_from(max_bytes).unwrap_or(usize::MAX),
        ..crate::msg::Limits::default()
    };
    tokio::task::spawn_blocking(move || crate::msg::parse(&bytes, &limits))
        .await
        .map_err(|_| ApiError::Config("internal error while reading the message file (see the log)".into()))?
        .map_err(|e| ApiError::Decode(format!("the message file cannot be read: {e}")))
}

/// Writes down the point in time of a session vex started (the session resource carries none). A failure
/// is logged: the session is open all the same, and the screen says what vex knows this run.
fn remember_point(
    client: &Client,
    session: &crate::api::models::RestoreSession,
    organization_id: &str,
    options: &crate::api::models::ExploreOptions,
    r: crate::app::request::RememberPoint,
) {
    use crate::config::session_points::{SessionPoint, SessionPoints};
    let point = SessionPoint {
        server: client.base_url().to_string(),
        session_id: session.id.clone(),
        point_in_time: options.date_time.as_ref().map(crate::api::models::ApiDate::to_wire),
        restore_point_id: r.restore_point_id,
        // What was sent: the client sends a repository on v8 only.
        repository_id: options
            .repository_id
            .clone()
            .filter(|_| client.version() == Some(crate::api::ApiVersion::V8)),
        organization: Some(organization_id.to_string()),
        show_deleted: options.show_deleted == Some(true),
        show_all_versions: options.show_all_versions == Some(true),
    };
    if let Err(e) = SessionPoints::new(r.file).remember(point) {
        tracing::warn!("the session's point in time is not remembered: {e}");
    }
}

fn results<T>(p: Page<T>) -> Vec<T> {
    p.results
}
