//! Core errors to Kotlin as data: one [`NativeError`] naming the class of the core's error tree
//! (`ErrorKind::class_name`, e.g. `SiblingLabelConflictError`) with the error's fields. The
//! Kotlin layer builds the matching exception (`SiblingLabelConflictException`), from a table
//! generated from the same tree (`grantline-kotlin-gen errors`).

use grantline::Error;
use std::any::Any;
use std::time::Duration;

/// A credential to choose from (`CredentialIdRequiredException`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct NativeCredential {
    /// The id to pass as `credentialId`.
    pub credential_id: String,
    /// Its label.
    pub label: String,
}

/// An error of the core, as data (the Kotlin layer turns it into the exception tree).
#[derive(Debug, Clone, thiserror::Error, uniffi::Error)]
pub enum NativeError {
    /// The one variant: every field of every error class, those that do not apply empty.
    #[error("{error_message}")]
    Failed {
        /// The core's class name, e.g. `SiblingLabelConflictError`.
        error_class: String,
        /// The message (the server's for API errors).
        error_message: String,
        /// HTTP status (API errors and `ResponseValidationError`).
        status: Option<u16>,
        /// The wire `error` code.
        code: Option<String>,
        /// `X-Request-ID` of the response.
        request_id: Option<String>,
        /// The error body as JSON text (API errors).
        details_json: Option<String>,
        /// How long to wait before retrying.
        retry_after: Option<Duration>,
        /// `SiblingLabelConflictError`: the conflicting label.
        label: Option<String>,
        /// `GrantRevokedError`: the grant concerned.
        grant_id: Option<String>,
        /// `CredentialIdRequiredError`: the credentials to choose from.
        credentials: Vec<NativeCredential>,
    },
}

impl NativeError {
    fn plain(class: &str, message: String) -> Self {
        Self::plain_with_status(class, message, None)
    }

    fn plain_with_status(class: &str, message: String, status: Option<u16>) -> Self {
        NativeError::Failed {
            error_class: class.to_owned(),
            error_message: message,
            status,
            code: None,
            request_id: None,
            details_json: None,
            retry_after: None,
            label: None,
            grant_id: None,
            credentials: Vec::new(),
        }
    }

    pub(crate) fn panic(panic: Box<dyn Any + Send>) -> Self {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        Self::plain(
            grantline::error::ROOT_CLASS,
            format!("internal error in the grantline native library (panic): {what}"),
        )
    }

    /// The runtime dropped the task (it is shutting down).
    pub(crate) fn cancelled() -> Self {
        Self::plain(
            grantline::error::ROOT_CLASS,
            "the grantline runtime cancelled the call".to_owned(),
        )
    }
}

impl From<Error> for NativeError {
    fn from(err: Error) -> Self {
        let class = err.kind().class_name();
        match err {
            Error::Api(api) => NativeError::Failed {
                error_class: class.to_owned(),
                status: Some(api.status),
                details_json: Some(serde_json::Value::Object(api.details.clone()).to_string()),
                credentials: api
                    .credentials
                    .iter()
                    .map(|c| NativeCredential {
                        credential_id: c.credential_id.clone(),
                        label: c.label.clone(),
                    })
                    .collect(),
                error_message: api.message,
                code: api.code,
                request_id: api.request_id,
                retry_after: api.retry_after,
                label: api.label,
                grant_id: api.grant_id,
            },
            Error::ResponseValidation { message, status } => {
                Self::plain_with_status(class, message, Some(status))
            }
            other => Self::plain(class, other.to_string()),
        }
    }
}
