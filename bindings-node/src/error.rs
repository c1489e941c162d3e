//! Core errors (and panics) to JavaScript as data: a [`NativeError`] object naming the class
//! (`ErrorKind::class_name`) with the error's fields, which `lib/errors.ts` turns into the
//! matching `Error` subclass. A call's error arrives through the completion queue as this object
//! (not as a rejection), so nothing travels inside a message.

use futures_util::FutureExt;
use grantline::Error;
use napi_derive::napi;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

/// A credential to choose from (`CredentialIdRequiredError`).
#[napi(object)]
pub struct NativeCredential {
    pub credential_id: String,
    pub label: String,
}

/// An error of the core, as data.
#[napi(object)]
pub struct NativeError {
    /// The class name, e.g. `SiblingLabelConflictError`.
    pub class: String,
    pub message: String,
    /// HTTP status (API errors and `ResponseValidationError`).
    pub status: Option<u32>,
    /// The wire `error` code.
    pub code: Option<String>,
    pub request_id: Option<String>,
    /// The error body as JSON text (API errors).
    pub details_json: Option<String>,
    /// Seconds to wait before retrying.
    pub retry_after: Option<f64>,
    pub label: Option<String>,
    pub grant_id: Option<String>,
    pub credentials: Option<Vec<NativeCredential>>,
}

impl From<&Error> for NativeError {
    fn from(err: &Error) -> Self {
        let mut out = NativeError {
            class: err.kind().class_name().to_owned(),
            message: err.to_string(),
            status: None,
            code: None,
            request_id: None,
            details_json: None,
            retry_after: None,
            label: None,
            grant_id: None,
            credentials: None,
        };
        match err {
            Error::Api(api) => {
                out.status = Some(api.status.into());
                out.code = api.code.clone();
                out.message = api.message.clone();
                out.request_id = api.request_id.clone();
                out.details_json = Some(serde_json::Value::Object(api.details.clone()).to_string());
                out.retry_after = api.retry_after.map(|d| d.as_secs_f64());
                out.label = api.label.clone();
                out.grant_id = api.grant_id.clone();
                out.credentials = Some(
                    api.credentials
                        .iter()
                        .map(|c| NativeCredential {
                            credential_id: c.credential_id.clone(),
                            label: c.label.clone(),
                        })
                        .collect(),
                );
            }
            Error::ResponseValidation { status, .. } => out.status = Some((*status).into()),
            _ => {}
        }
        out
    }
}

fn panic_error(panic: Box<dyn Any + Send>) -> NativeError {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    let mut err = NativeError::from(&Error::Closed);
    err.class = "GrantlineError".to_owned();
    err.message = format!("internal error in the grantline native addon (panic): {what}");
    err
}

/// Runs a call's future: its value, or its error (a panic included) as data.
pub(crate) async fn catch<T, F>(fut: F) -> Result<T, Box<NativeError>>
where
    F: Future<Output = Result<T, Error>>,
{
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(Box::new(NativeError::from(&e))),
        Err(panic) => Err(Box::new(panic_error(panic))),
    }
}

/// Runs a synchronous step, turning core errors and panics into [`NativeError`]s.
pub(crate) fn catch_sync<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Box<NativeError>> {
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result.map_err(|e| Box::new(NativeError::from(&e))),
        Err(panic) => Err(Box::new(panic_error(panic))),
    }
}
