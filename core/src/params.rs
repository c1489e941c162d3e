//! Parameters of `list_grants`.

use crate::error::Error;
use serde::Serialize;
use std::fmt;

/// Filters and paging for `list_grants` and `grants`. Filters are AND-ed.
///
/// ```
/// use grantline::ListGrantsParams;
/// let params = ListGrantsParams::new().status("active").limit(50);
/// assert_eq!(params.limit, 50);
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListGrantsParams {
    /// OAuth provider id (e.g. `google`) or managed-secret slug.
    pub provider_id: Option<String>,
    /// Grant status (`active`, `expired`, `revoked`).
    pub status: Option<String>,
    /// Account identifier.
    pub account: Option<String>,
    /// Sibling label.
    pub label: Option<String>,
    /// An end user's JWT: only that user's grants (and their groups') are listed. Secret.
    pub end_user_token: Option<String>,
    /// Page size, 1..=1000 (default 100).
    pub limit: u32,
    /// Offset of the first grant (default 0).
    pub offset: u64,
}

impl Default for ListGrantsParams {
    fn default() -> Self {
        ListGrantsParams {
            provider_id: None,
            status: None,
            account: None,
            label: None,
            end_user_token: None,
            limit: 100,
            offset: 0,
        }
    }
}

impl fmt::Debug for ListGrantsParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListGrantsParams")
            .field("provider_id", &self.provider_id)
            .field("status", &self.status)
            .field("account", &self.account)
            .field("label", &self.label)
            .field(
                "end_user_token",
                &self.end_user_token.as_ref().map(|_| "<redacted>"),
            )
            .field("limit", &self.limit)
            .field("offset", &self.offset)
            .finish()
    }
}

impl ListGrantsParams {
    /// Every grant, 100 per page.
    pub fn new() -> Self {
        Self::default()
    }
    /// Filters on an OAuth provider id or managed-secret slug.
    pub fn provider_id(mut self, v: impl Into<String>) -> Self {
        self.provider_id = Some(v.into());
        self
    }
    /// Filters on status.
    pub fn status(mut self, v: impl Into<String>) -> Self {
        self.status = Some(v.into());
        self
    }
    /// Filters on account identifier.
    pub fn account(mut self, v: impl Into<String>) -> Self {
        self.account = Some(v.into());
        self
    }
    /// Filters on label.
    pub fn label(mut self, v: impl Into<String>) -> Self {
        self.label = Some(v.into());
        self
    }
    /// Lists as an end user.
    pub fn end_user_token(mut self, v: impl Into<String>) -> Self {
        self.end_user_token = Some(v.into());
        self
    }
    /// Page size.
    pub fn limit(mut self, v: u32) -> Self {
        self.limit = v;
        self
    }
    /// Offset.
    pub fn offset(mut self, v: u64) -> Self {
        self.offset = v;
        self
    }

    /// Checks `limit` (1..=1000) and that every given filter is non-empty.
    pub fn validate(&self) -> Result<(), Error> {
        if !(1..=1000).contains(&self.limit) {
            return Err(Error::invalid(format!(
                "limit must be between 1 and 1000 (got {})",
                self.limit
            )));
        }
        if self.offset > i64::MAX as u64 {
            return Err(Error::invalid("offset is too large"));
        }
        for (name, value) in [
            ("provider_id", &self.provider_id),
            ("status", &self.status),
            ("account", &self.account),
            ("label", &self.label),
            ("end_user_token", &self.end_user_token),
        ] {
            if value.as_deref() == Some("") {
                return Err(Error::invalid(format!(
                    "{name} must be a non-empty string when given"
                )));
            }
        }
        Ok(())
    }

    /// The request body, keys in wire order; `user_token` is the resolved end-user token.
    pub(crate) fn body(&self, user_token: Option<&str>) -> Vec<u8> {
        #[derive(Serialize)]
        struct Body<'a> {
            limit: u32,
            offset: u64,
            #[serde(skip_serializing_if = "Option::is_none")]
            provider_id: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            status: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            account: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            label: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            user_token: Option<&'a str>,
        }
        serde_json::to_vec(&Body {
            limit: self.limit,
            offset: self.offset,
            provider_id: self.provider_id.as_deref(),
            status: self.status.as_deref(),
            account: self.account.as_deref(),
            label: self.label.as_deref(),
            user_token,
        })
        .expect("serializing plain strings cannot fail")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_matches_the_official_client() {
        assert_eq!(
            ListGrantsParams::new().body(None),
            br#"{"limit":100,"offset":0}"#
        );
        let p = ListGrantsParams::new()
            .label("l")
            .status("active")
            .limit(5)
            .offset(10);
        assert_eq!(
            p.body(Some("t")),
            br#"{"limit":5,"offset":10,"status":"active","label":"l","user_token":"t"}"#
        );
    }

    #[test]
    fn validation() {
        assert!(ListGrantsParams::new().limit(0).validate().is_err());
        assert!(ListGrantsParams::new().limit(1001).validate().is_err());
        assert!(ListGrantsParams::new().limit(1000).validate().is_ok());
        assert!(ListGrantsParams::new().status("").validate().is_err());
        let shown = format!("{:?}", ListGrantsParams::new().end_user_token("eyJsecret"));
        assert!(!shown.contains("eyJsecret"));
    }
}
