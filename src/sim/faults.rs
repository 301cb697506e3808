//! Fault injection hook point. Every request passes through [`middleware`] before it reaches the routes,
//! so latency, 5xx answers or connection resets can be added here without touching the handlers.
//! Today only a fixed latency is implemented; the default injects nothing.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use std::time::Duration;

/// Faults to inject into every request (the default: none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Delay before each request is handled.
    pub latency: Option<Duration>,
}

impl Faults {
    /// No faults.
    pub fn none() -> Faults {
        Faults::default()
    }

    pub fn is_none(&self) -> bool {
        self == &Faults::default()
    }
}

pub(crate) async fn middleware(State(faults): State<Arc<Faults>>, req: Request, next: Next) -> Response {
    if let Some(d) = faults.latency {
        tokio::time::sleep(d).await;
    }
    next.run(req).await
}
