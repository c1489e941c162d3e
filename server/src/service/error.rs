//! The one error type of the service layer: an HTTP status, a wire code, a message and extra
//! body fields (`{"error": code, "message": ..., ...extra}`).

use serde_json::{Map, Value};
use std::fmt;

/// A request failed in a way the caller is told about.
#[derive(Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The `error` code of the body.
    pub code: &'static str,
    /// Human-readable text.
    pub message: String,
    /// Extra top-level body fields.
    pub extra: Box<Map<String, Value>>,
    /// A `Retry-After` header value, if any.
    pub retry_after: Option<String>,
}

impl ApiError {
    /// An error with no extra fields.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            extra: Box::default(),
            retry_after: None,
        }
    }

    /// Adds a top-level body field.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut map = Map::new();
        map.insert("error".into(), Value::String(self.code.to_string()));
        map.insert("message".into(), Value::String(self.message.clone()));
        for (k, v) in self.extra.iter() {
            map.insert(k.clone(), v.clone());
        }
        Value::Object(map)
    }

    /// 422 `invalid_request`.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(422, "invalid_request", message)
    }

    /// 400 `invalid_json`.
    pub fn invalid_json(message: impl Into<String>) -> Self {
        Self::new(400, "invalid_json", message)
    }

    /// 500 `internal_error` (the cause is logged, never sent).
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(500, "internal_error", "internal server error")
    }

    /// 404 `grant_not_found`.
    pub fn grant_not_found() -> Self {
        Self::new(404, "grant_not_found", "grant not found")
    }

    /// 404 `not_found` for an admin resource.
    pub fn not_found(what: &str) -> Self {
        Self::new(404, "not_found", format!("{what} not found"))
    }

    /// 401 `jwt_validation_error`.
    pub fn jwt(message: impl Into<String>) -> Self {
        Self::new(401, "jwt_validation_error", message)
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ApiError({} {}: {})",
            self.status, self.code, self.message
        )
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Conflict(what) => {
                Self::new(409, "conflict", format!("{what} already exists"))
            }
            crate::store::StoreError::Replay => super::replayed(),
            crate::store::StoreError::Db(msg) | crate::store::StoreError::Retry(msg) => {
                Self::internal(msg)
            }
        }
    }
}
