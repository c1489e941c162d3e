//! Request bodies: at most 1 MiB (413 beyond), JSON (400 `invalid_json` when unparseable, 422
//! `invalid_request` when the shape is wrong: types, unknown fields, missing fields).

use crate::service::ApiError;
use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use serde::de::DeserializeOwned;

/// The largest accepted body.
pub const MAX_BODY_BYTES: usize = 1 << 20;

fn too_large() -> ApiError {
    ApiError::new(
        413,
        "payload_too_large",
        format!("request body exceeds {MAX_BODY_BYTES} bytes"),
    )
}

/// Reads the whole body, refusing more than [`MAX_BODY_BYTES`].
pub async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    if let Some(len) = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > MAX_BODY_BYTES as u64
    {
        return Err(too_large());
    }
    match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => Ok(b),
        Err(e) => {
            let inner = e.into_inner();
            if inner
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                Err(too_large())
            } else {
                Err(ApiError::new(
                    400,
                    "invalid_body",
                    "the request body could not be read",
                ))
            }
        }
    }
}

/// Parses a JSON body into `T`.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid_json(format!("the request body is not valid JSON: {e}")))?;
    serde_json::from_value(value)
        .map_err(|e| ApiError::invalid_request(format!("invalid request body: {e}")))
}
