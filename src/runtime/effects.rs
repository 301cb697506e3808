//! The effect runner: each effect `app::update` asks for runs as a tokio task against a clone of the
//! client, and its answer comes back to the loop as a message. Reads have a slot: a new read in the same
//! slot aborts the old one, and reads the state no longer waits for are aborted. Logins may replace the
//! client; jobs (restores, downloads, sends: writes that are never aborted nor sent twice) run in [`jobs`].

mod jobs;

use super::App;
use super::terminal::Connector;
use crate::api::models::Page;
use crate::api::{ApiError, Client, FolderParent, SessionOrder, paging};
use crate::app::panes::login::{LoggedIn, LoginTarget};
use crate::app::{Effect, Gen, Loaded, Msg};
use futures_util::FutureExt;
use ratatui::backend::Backend;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

impl<B: Backend> App<B> {
    /// Takes the client a login made for another server or API version, when its answer is the one
    /// dispatched now.
    pub(super) fn adopt_client(&mut self, msg: &Msg) {
        if let Msg::Loaded(Loaded::LoggedIn {
            generation,
            result: Ok(_),
        }) = msg
            && let Ok(mut slot) = self.new_client.lock()
            && slot.as_ref().is_some_and(|(g, _)| g == generation)
            && let Some((_, c)) = slot.take()
        {
            self.client = c;
        }
    }

    /// Aborts the reads the state no longer waits for (the operator navigated away and nothing
    /// replaced them in their slot).
    pub(super) fn cancel_unawaited(&mut self) {
        let state = &self.state;
        let mut cancelled = 0;
        self.tasks.retain(|slot, (generation, h)| {
            if h.is_finished() {
                return false;
            }
            let keep = generation.is_none_or(|g| state.awaits(slot, g));
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
        for (_, (_, h)) in self.tasks.drain() {
            h.abort();
        }
    }

    /// Number of read tasks still running.
    pub fn running_tasks(&self) -> usize {
        self.tasks.values().filter(|(_, h)| !h.is_finished()).count()
    }

    pub(super) fn spawn(&mut self, e: Effect) {
        if let Effect::Clipboard(text) = &e {
            return self.copy(text);
        }
        if matches!(e, Effect::Quit) {
            self.abort_all();
            return;
        }
        if let Effect::Job(job) = e {
            return jobs::spawn(self, *job);
        }
        if let Effect::Login {
            generation,
            user,
            password,
            reconnect,
        } = e
        {
            let current = self.client.clone();
            let connector = self.connector.clone();
            let new_client = self.new_client.clone();
            let tx = self.tx.clone();
            tokio::spawn(async move {
                let work = login(current, connector, new_client, generation, user, password, reconnect);
                let result = AssertUnwindSafe(work)
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|_| Err(ApiError::Config("internal error while logging in (see the log)".into())));
                let _ = tx.send(Msg::Loaded(Loaded::LoggedIn { generation, result }));
            });
            return;
        }
        let slot = e.slot();
        let generation = e.read_generation();
        let client = self.client.clone();
        let tx = self.tx.clone();
        let handle = tokio::spawn(async move {
            let fallback = e.clone();
            let msg = match AssertUnwindSafe(run_effect(client.clone(), e)).catch_unwind().await {
                Ok(m) => m,
                Err(_) => failed(
                    &fallback,
                    ApiError::Config("internal error while loading (see the log)".into()),
                ),
            };
            // The client drops its tokens only when the server refused to renew them: the session is
            // gone, whatever this request's own error says. It is sent again after a new login.
            if !client.is_logged_in().await {
                let _ = tx.send(Msg::SessionExpired(fallback));
                return;
            }
            if let Some(m) = msg {
                let _ = tx.send(m);
            }
        });
        if let Some(slot) = slot {
            self.tasks.retain(|_, (_, h)| !h.is_finished());
            if let Some((_, old)) = self.tasks.insert(slot, (generation, handle.abort_handle())) {
                // Superseded: its answer would be stale anyway.
                old.abort();
            }
        }
    }
}

/// Logs in, first making a new client when the operator chose another server or API version (it is
/// left in `new_client` for the loop to take with the answer).
async fn login(
    current: Client,
    connector: Option<Connector>,
    new_client: Arc<Mutex<Option<(Gen, Client)>>>,
    generation: Gen,
    user: String,
    password: secrecy::SecretString,
    reconnect: Option<LoginTarget>,
) -> Result<LoggedIn, ApiError> {
    let (client, fresh) = match reconnect {
        None => (current, false),
        Some(t) => {
            let made = match connector {
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
    if fresh && let Ok(mut slot) = new_client.lock() {
        *slot = Some((generation, client));
    }
    Ok(info)
}

/// Runs one effect against the server and wraps the answer.
async fn run_effect(client: Client, e: Effect) -> Option<Msg> {
    let loaded = match e {
        Effect::LoadSessions {
            generation,
            offset,
            limit,
        } => Loaded::Sessions {
            generation,
            offset,
            // Every page is filled (following a server that serves fewer rows than asked while it says
            // there are more): the panes take a short page as the end of the list.
            result: paging::fill_page(offset, limit, |o, l| {
                client.restore_sessions(o, l, Some((SessionOrder::CreationTime, false)))
            })
            .await
            .map(results),
        },
        Effect::LoadMailboxes {
            generation,
            session_id,
            offset,
            limit,
        } => Loaded::Mailboxes {
            generation,
            offset,
            result: paging::fill_page(offset, limit, |o, l| client.mailboxes(&session_id, o, l))
                .await
                .map(results),
        },
        Effect::LoadFolders {
            generation,
            session_id,
            mailbox_id,
            parent,
        } => {
            let p = match &parent {
                None => FolderParent::Root,
                Some(id) => FolderParent::Folder(id),
            };
            let result = client.all_folders(&session_id, &mailbox_id, p).await;
            Loaded::Folders {
                generation,
                parent,
                result,
            }
        }
        Effect::LoadItemsPage {
            generation,
            session_id,
            mailbox_id,
            folder_id,
            offset,
            limit,
        } => Loaded::ItemsPage {
            generation,
            offset,
            result: paging::fill_page(offset, limit, |o, l| {
                client.items(&session_id, &mailbox_id, &folder_id, o, l)
            })
            .await,
        },
        Effect::CountItems {
            generation,
            session_id,
            mailbox_id,
            folder_id,
        } => Loaded::ItemCount {
            generation,
            result: client.count_items(&session_id, &mailbox_id, &folder_id).await,
        },
        Effect::LoadItem {
            generation,
            session_id,
            mailbox_id,
            item_id,
        } => Loaded::Item {
            generation,
            result: client.item(&session_id, &mailbox_id, &item_id).await,
        },
        Effect::LoadOrganizations { generation } => Loaded::Organizations {
            generation,
            result: client.organizations().await,
        },
        Effect::Explore {
            generation,
            organization_id,
            options,
        } => Loaded::Explored {
            generation,
            result: client.explore(&organization_id, &options).await,
        },
        Effect::StopSession { generation, session_id } => {
            let result = client.stop_session(&session_id).await;
            Loaded::Stopped {
                generation,
                session_id,
                result,
            }
        }
        // Logins run in `App::spawn` (they may replace the client); jobs in `jobs::spawn`.
        Effect::Search {
            generation,
            session_id,
            target,
            query,
            offset,
            limit,
        } => Loaded::ItemsPage {
            generation,
            offset,
            result: paging::fill_page(offset, limit, |o, l| {
                client.search(&session_id, target.as_scope(), &query, o, l)
            })
            .await,
        },
        Effect::LoadMailboxNames { generation, session_id } => Loaded::MailboxNames {
            generation,
            result: client.all_mailboxes(&session_id).await,
        },
        Effect::Login { .. } | Effect::Job(_) | Effect::Clipboard(_) | Effect::Quit => return None,
    };
    Some(Msg::Loaded(loaded))
}

fn results<T>(p: Page<T>) -> Vec<T> {
    p.results
}

/// The answer an effect gets when its task failed without one.
fn failed(e: &Effect, err: ApiError) -> Option<Msg> {
    let l = match e.clone() {
        Effect::LoadSessions { generation, offset, .. } => Loaded::Sessions {
            generation,
            offset,
            result: Err(err),
        },
        Effect::LoadMailboxes { generation, offset, .. } => Loaded::Mailboxes {
            generation,
            offset,
            result: Err(err),
        },
        Effect::LoadFolders { generation, parent, .. } => Loaded::Folders {
            generation,
            parent,
            result: Err(err),
        },
        Effect::LoadItemsPage { generation, offset, .. } | Effect::Search { generation, offset, .. } => {
            Loaded::ItemsPage {
                generation,
                offset,
                result: Err(err),
            }
        }
        Effect::CountItems { generation, .. } => Loaded::ItemCount {
            generation,
            result: Err(err),
        },
        Effect::LoadMailboxNames { generation, .. } => Loaded::MailboxNames {
            generation,
            result: Err(err),
        },
        Effect::LoadItem { generation, .. } => Loaded::Item {
            generation,
            result: Err(err),
        },
        Effect::LoadOrganizations { generation } => Loaded::Organizations {
            generation,
            result: Err(err),
        },
        Effect::Explore { generation, .. } => Loaded::Explored {
            generation,
            result: Err(err),
        },
        Effect::StopSession { generation, session_id } => Loaded::Stopped {
            generation,
            session_id,
            result: Err(err),
        },
        Effect::Login { generation, .. } => Loaded::LoggedIn {
            generation,
            result: Err(err),
        },
        Effect::Job(j) => Loaded::Job(crate::app::jobs::JobLoaded::failed(&j, err)),
        Effect::Clipboard(_) | Effect::Quit => return None,
    };
    Some(Msg::Loaded(l))
}
