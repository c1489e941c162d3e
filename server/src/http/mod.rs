//! The HTTP surface: `/sdk` (the Alter endpoints), `/admin` (provisioning), `/healthz`.

mod admin;
mod body;
mod error;
mod sdk;

pub use body::{MAX_BODY_BYTES, parse_json};

use crate::service::{ApiError, Service};
use axum::Router;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    pub svc: Arc<Service>,
    pub admin_token: Arc<str>,
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(500, "internal_error", "internal server error").into_response()
}

async fn not_found() -> Response {
    ApiError::new(404, "not_found", "no such endpoint").into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::new(
        405,
        "method_not_allowed",
        "method not allowed on this endpoint",
    )
    .into_response()
}

/// Runs each request in a task of its own, so a client that goes away (disconnects, times out,
/// sends half a body) cannot cancel a handler halfway: the work completes or, where it fails,
/// rolls back as a whole, and a database connection is never dropped mid-query.
async fn detached(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    match tokio::spawn(next.run(req)).await {
        Ok(resp) => resp,
        Err(join) => {
            tracing::error!(error = %join, "a request task failed");
            ApiError::new(500, "internal_error", "internal server error").into_response()
        }
    }
}

async fn healthz() -> Response {
    axum::Json(serde_json::json!({"status": "ok"})).into_response()
}

/// The whole router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(sdk::routes(state.clone()))
        .merge(admin::routes(state.clone()))
        .route("/healthz", axum::routing::get(healthz))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .layer(axum::middleware::from_fn(detached))
        .with_state(state)
}
