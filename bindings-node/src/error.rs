//! Core errors (and panics) to JavaScript: a rejection whose message is a marker followed by a
//! JSON payload naming the class (`ErrorKind::class_name`) and its fields; `lib/errors.ts` turns
//! it into the matching `Error` subclass.

use futures_util::FutureExt;
use grantline::Error;
use serde_json::{Value, json};
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

/// Prefix of every error message the TypeScript layer converts.
pub(crate) const MARKER: &str = "__grantline_error__:";

/// The payload of a core error.
pub(crate) fn payload(err: &Error) -> Value {
    let mut out = json!({
        "class": err.kind().class_name(),
        "message": err.to_string(),
    });
    match err {
        Error::Api(api) => {
            out["status"] = api.status.into();
            out["code"] = api.code.clone().into();
            out["message"] = api.message.clone().into();
            out["requestId"] = api.request_id.clone().into();
            out["details"] = Value::Object(api.details.clone());
            out["retryAfter"] = api.retry_after.map(|d| d.as_secs_f64()).into();
            out["label"] = api.label.clone().into();
            out["grantId"] = api.grant_id.clone().into();
            out["credentials"] = api
                .credentials
                .iter()
                .map(|c| json!({"credentialId": c.credential_id, "label": c.label}))
                .collect::<Vec<_>>()
                .into();
        }
        Error::ResponseValidation { status, .. } => out["status"] = (*status).into(),
        _ => {}
    }
    out
}

fn rejection(payload: Value) -> napi::Error {
    napi::Error::new(napi::Status::GenericFailure, format!("{MARKER}{payload}"))
}

/// A core error as a JavaScript error.
pub(crate) fn to_js(err: Error) -> napi::Error {
    rejection(payload(&err))
}

/// A bad argument detected while converting JavaScript values (before any I/O).
pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidArgument {
        message: message.into(),
    }
}

fn panic_error(panic: Box<dyn Any + Send>) -> napi::Error {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    rejection(json!({
        "class": "GrantlineError",
        "message": format!("internal error in the grantline native addon (panic): {what}"),
    }))
}

/// Runs a call's future, turning core errors and panics into JavaScript errors.
pub(crate) async fn guard<T, F>(fut: F) -> napi::Result<T>
where
    F: Future<Output = Result<T, Error>>,
{
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(result) => result.map_err(to_js),
        Err(panic) => Err(panic_error(panic)),
    }
}

/// Runs a synchronous call, turning core errors and panics into JavaScript errors.
pub(crate) fn guard_sync<T>(f: impl FnOnce() -> Result<T, Error>) -> napi::Result<T> {
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result.map_err(to_js),
        Err(panic) => Err(panic_error(panic)),
    }
}
