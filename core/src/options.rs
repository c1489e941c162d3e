//! Per-call options of every operation: what a call takes besides its required arguments, each
//! option documented once. Bindings read them from host values with [`crate::args`]; Rust code
//! builds them directly.

use crate::args::{self, ArgFields};
use crate::error::Error;
use crate::policy::GrantPolicy;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::time::Duration;

fn non_empty(name: &str, value: &Option<String>) -> Result<(), Error> {
    if value.as_deref() == Some("") {
        return Err(Error::invalid(format!(
            "{name} must be a non-empty string when given"
        )));
    }
    Ok(())
}

fn policy_arg<'de, D: Deserializer<'de>>(d: D) -> Result<Option<GrantPolicy>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => GrantPolicy::from_json(&v).map(Some).map_err(args::invalid),
    }
}

/// Options of `create_managed_secret_grant`.
///
/// ```
/// use grantline::{CreateGrantOptions, GrantPolicy};
/// let options = CreateGrantOptions::new().grant_policy(GrantPolicy::new().max_ttl_seconds(3600));
/// assert!(options.validate().is_ok());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct CreateGrantOptions {
    /// Bounds on the grant's lifetime (default: none beyond the app's ceiling).
    #[serde(deserialize_with = "policy_arg")]
    pub grant_policy: Option<GrantPolicy>,
    /// The credential to bind; may be omitted while the secret has one developer credential.
    pub credential_id: Option<String>,
    /// This call's timeout (default: the client's).
    #[serde(deserialize_with = "args::opt_duration")]
    pub timeout: Option<Duration>,
}

impl CreateGrantOptions {
    /// No policy, the only developer credential, the client's timeout.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the policy.
    pub fn grant_policy(mut self, policy: GrantPolicy) -> Self {
        self.grant_policy = Some(policy);
        self
    }
    /// Sets the credential.
    pub fn credential_id(mut self, id: impl Into<String>) -> Self {
        self.credential_id = Some(id.into());
        self
    }
    /// Sets this call's timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// Checks the policy and that a given credential id is non-empty.
    pub fn validate(&self) -> Result<(), Error> {
        if let Some(policy) = &self.grant_policy {
            policy.validate()?;
        }
        non_empty("credential_id", &self.credential_id)
    }
}

impl ArgFields for CreateGrantOptions {
    fn fields() -> &'static [&'static str] {
        args::struct_fields::<Self>()
    }
}

fn default_limit() -> u32 {
    100
}

/// Filters and paging of `list_grants` and `grants`. Filters are AND-ed.
///
/// ```
/// use grantline::ListGrantsParams;
/// let params = ListGrantsParams::new().status("active").limit(50);
/// assert_eq!(params.limit, 50);
/// ```
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    #[serde(default = "default_limit")]
    pub limit: u32,
    /// Offset of the first grant (default 0).
    pub offset: u64,
    /// This call's timeout (default: the client's).
    #[serde(deserialize_with = "args::opt_duration")]
    pub timeout: Option<Duration>,
}

impl Default for ListGrantsParams {
    fn default() -> Self {
        ListGrantsParams {
            provider_id: None,
            status: None,
            account: None,
            label: None,
            end_user_token: None,
            limit: default_limit(),
            offset: 0,
            timeout: None,
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
            .field("timeout", &self.timeout)
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
    /// This call's timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
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
            non_empty(name, value)?;
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

impl ArgFields for ListGrantsParams {
    fn fields() -> &'static [&'static str] {
        args::struct_fields::<Self>()
    }
    fn defaults() -> serde_json::Map<String, serde_json::Value> {
        let d = Self::default();
        serde_json::Map::from_iter([
            ("limit".to_owned(), d.limit.into()),
            ("offset".to_owned(), d.offset.into()),
        ])
    }
}

/// Options of `revoke_grant`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct RevokeGrantOptions {
    /// Why, recorded in the audit log.
    pub reason: Option<String>,
    /// Revoke as this end user (their JWT; secret): only their own grants. On an [`crate::App`]
    /// with a user-token getter, the getter supplies it when this is `None`.
    pub user_token: Option<String>,
    /// This call's timeout (default: the client's).
    #[serde(deserialize_with = "args::opt_duration")]
    pub timeout: Option<Duration>,
}

impl fmt::Debug for RevokeGrantOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevokeGrantOptions")
            .field("reason", &self.reason)
            .field(
                "user_token",
                &self.user_token.as_ref().map(|_| "<redacted>"),
            )
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl RevokeGrantOptions {
    /// No reason, no end user, the client's timeout.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the reason.
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
    /// Revokes as this end user.
    pub fn user_token(mut self, token: impl Into<String>) -> Self {
        self.user_token = Some(token.into());
        self
    }
    /// Sets this call's timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// Checks that a given end-user token is non-empty.
    pub fn validate(&self) -> Result<(), Error> {
        non_empty("user_token", &self.user_token)
    }
}

impl ArgFields for RevokeGrantOptions {
    fn fields() -> &'static [&'static str] {
        args::struct_fields::<Self>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Dialect, from_value};
    use serde_json::json;

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
        let shown = format!("{:?}", RevokeGrantOptions::new().user_token("eyJsecret"));
        assert!(!shown.contains("eyJsecret"));
        assert!(
            CreateGrantOptions::new()
                .credential_id("")
                .validate()
                .is_err()
        );
    }

    #[test]
    fn read_from_host_values() {
        let p: ListGrantsParams = from_value(json!({}), Dialect::Python).unwrap();
        assert_eq!(p, ListGrantsParams::new());
        for bad in [
            json!({"limit": true}),
            json!({"limit": "5"}),
            json!({"limit": 5.5}),
            json!({"offset": -1}),
            json!({"label": 7}),
            json!({"nope": 1}),
        ] {
            assert!(
                from_value::<ListGrantsParams>(bad.clone(), Dialect::Python).is_err(),
                "{bad}"
            );
        }
        let o: CreateGrantOptions = from_value(
            json!({"grantPolicy": {"maxTtlSeconds": 60}, "credentialId": "c"}),
            Dialect::JavaScript,
        )
        .unwrap();
        assert_eq!(o.grant_policy.unwrap().max_ttl_seconds, Some(60));
        let err = from_value::<CreateGrantOptions>(
            json!({"grantPolicy": {"max_ttl_seconds": 60}}),
            Dialect::JavaScript,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("max_ttl_seconds") && err.contains("maxTtlSeconds"),
            "{err}"
        );
    }
}
