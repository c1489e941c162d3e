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

fn positive<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) if n.as_u64().is_some_and(|v| v > 0) => Ok(n.as_u64()),
        Some(v) => Err(args::invalid(format!(
            "ttl_seconds must be a positive integer (got {v})"
        ))),
    }
}

/// Options of `mint_grant`.
///
/// ```
/// use grantline::{GrantPolicy, MintGrantOptions};
/// let options = MintGrantOptions::new().grant_policy(GrantPolicy::new().max_ttl_seconds(3600));
/// assert!(options.validate().is_ok());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct MintGrantOptions {
    /// The sibling's own policy (`expires_at`, `max_ttl_seconds`; no `default_ttl_seconds`).
    #[serde(deserialize_with = "policy_arg")]
    pub grant_policy: Option<GrantPolicy>,
    /// Tags stored on the sibling.
    pub grant_tags: Option<Vec<String>>,
    /// This call's timeout (default: the client's).
    #[serde(deserialize_with = "args::opt_duration")]
    pub timeout: Option<Duration>,
}

impl MintGrantOptions {
    /// No policy, no tags, the client's timeout.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the sibling's policy.
    pub fn grant_policy(mut self, policy: GrantPolicy) -> Self {
        self.grant_policy = Some(policy);
        self
    }
    /// Sets the sibling's tags.
    pub fn grant_tags(mut self, tags: Vec<String>) -> Self {
        self.grant_tags = Some(tags);
        self
    }
    /// Sets this call's timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// Checks the policy (which takes no `default_ttl_seconds` on a mint) and the tags.
    pub fn validate(&self) -> Result<(), Error> {
        if let Some(policy) = &self.grant_policy {
            if policy.default_ttl_seconds.is_some() {
                return Err(Error::invalid(
                    "mint_grant's grant_policy takes no default_ttl_seconds (only create_managed_secret_grant does)",
                ));
            }
            policy.validate()?;
        }
        if let Some(tags) = &self.grant_tags
            && tags.iter().any(|t| t.is_empty() || t.chars().count() > 255)
        {
            return Err(Error::invalid(
                "grant_tags must be strings of 1 to 255 characters",
            ));
        }
        Ok(())
    }
}

impl ArgFields for MintGrantOptions {
    fn fields() -> &'static [&'static str] {
        args::struct_fields::<Self>()
    }
}

/// At most this many scopes in a delegation's `scope_constraint`.
pub const MAX_SCOPE_CONSTRAINT: usize = 100;

/// A scope token (RFC 6749 §3.3): printable ASCII but space, `"` and `\`; not `*`; ≤ 512.
fn scope_token(s: &str) -> bool {
    !s.is_empty()
        && s != "*"
        && s.len() <= 512
        && s.bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\')
}

/// Options of `delegate`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct DelegateOptions {
    /// Whether the child may delegate onward (default: a new child may not; an existing one
    /// keeps its setting).
    pub delegable: Option<bool>,
    /// Provider scopes to narrow the child to (default: the parent's).
    pub scope_constraint: Option<Vec<String>>,
    /// The child's lifetime in seconds (never past the parent's).
    #[serde(deserialize_with = "positive")]
    pub ttl_seconds: Option<u64>,
    /// This call's timeout (default: the client's).
    #[serde(deserialize_with = "args::opt_duration")]
    pub timeout: Option<Duration>,
}

impl DelegateOptions {
    /// A leaf child with the parent's scopes and lifetime.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets whether the child may delegate onward.
    pub fn delegable(mut self, delegable: bool) -> Self {
        self.delegable = Some(delegable);
        self
    }
    /// Narrows the child to these scopes.
    pub fn scope_constraint(mut self, scopes: Vec<String>) -> Self {
        self.scope_constraint = Some(scopes);
        self
    }
    /// Sets the child's lifetime.
    pub fn ttl_seconds(mut self, seconds: u64) -> Self {
        self.ttl_seconds = Some(seconds);
        self
    }
    /// Sets this call's timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// Checks the scope constraint (1 to 100 scope tokens, no `*`) and the TTL (> 0).
    pub fn validate(&self) -> Result<(), Error> {
        if let Some(scopes) = &self.scope_constraint
            && (scopes.is_empty()
                || scopes.len() > MAX_SCOPE_CONSTRAINT
                || !scopes.iter().all(|s| scope_token(s)))
        {
            return Err(Error::invalid(
                "scope_constraint must be 1 to 100 scope tokens (printable ASCII without spaces, quotes or backslashes, at most 512 characters, not \"*\")",
            ));
        }
        if self.ttl_seconds == Some(0) {
            return Err(Error::invalid("ttl_seconds must be a positive integer"));
        }
        Ok(())
    }
}

impl ArgFields for DelegateOptions {
    fn fields() -> &'static [&'static str] {
        args::struct_fields::<Self>()
    }
}

/// Options of `revoke_delegation`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct RevokeDelegationOptions {
    /// The agent whose delegation to revoke: required on an [`App`](crate::App); an
    /// [`Agent`](crate::Agent) revokes its own and takes none.
    pub agent_id: Option<String>,
    /// This call's timeout (default: the client's).
    #[serde(deserialize_with = "args::opt_duration")]
    pub timeout: Option<Duration>,
}

impl RevokeDelegationOptions {
    /// No agent (an agent's own delegation), the client's timeout.
    pub fn new() -> Self {
        Self::default()
    }
    /// The agent whose delegation an app revokes.
    pub fn agent_id(mut self, agent_id: impl Into<String>) -> Self {
        self.agent_id = Some(agent_id.into());
        self
    }
    /// Sets this call's timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

impl ArgFields for RevokeDelegationOptions {
    fn fields() -> &'static [&'static str] {
        args::struct_fields::<Self>()
    }
}

/// A one-off deny rule a constrained client carries on every call.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RequestRule {
    /// The rule's type, e.g. `json_match`.
    pub rule_type: String,
    /// The rule itself (opaque to grantline; the platform evaluates it).
    pub rule_body: serde_json::Map<String, serde_json::Value>,
}

/// How a constrained client ([`App::with_constraints`](crate::App::with_constraints)) narrows
/// every call: to these scopes, under this rule, or both. Attenuation only narrows.
///
/// ```
/// use grantline::Constraints;
/// let c = Constraints::scopes(["grants:read"]);
/// assert!(c.validate().is_ok());
/// assert!(Constraints::scopes(["*"]).validate().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Constraints {
    /// The scopes every call is narrowed to.
    pub scopes: Option<Vec<String>>,
    /// The rule every call carries.
    pub rule: Option<RequestRule>,
}

/// The largest encoded request rule the platform takes.
const MAX_RULE_HEADER: usize = 4096;

impl Constraints {
    /// Narrowed to `scopes`.
    pub fn scopes<S: Into<String>>(scopes: impl IntoIterator<Item = S>) -> Self {
        Constraints {
            scopes: Some(scopes.into_iter().map(Into::into).collect()),
            rule: None,
        }
    }
    /// Carrying `rule`.
    pub fn rule(rule: RequestRule) -> Self {
        Constraints {
            scopes: None,
            rule: Some(rule),
        }
    }

    /// Checks: at least one of scopes and rule; scopes non-empty strings without `*` or `,`;
    /// a rule with a type and an encoded size within 4096 bytes.
    pub fn validate(&self) -> Result<(), Error> {
        self.attenuation().map(drop)
    }

    /// The headers' values.
    pub(crate) fn attenuation(&self) -> Result<crate::transport::Attenuation, Error> {
        if self.scopes.is_none() && self.rule.is_none() {
            return Err(Error::invalid(
                "with_constraints takes scopes, a rule, or both",
            ));
        }
        let scopes = match &self.scopes {
            None => None,
            Some(list) => {
                if list.is_empty()
                    || list.iter().any(|s| {
                        s.is_empty()
                            || s == "*"
                            || !s.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b',')
                    })
                {
                    return Err(Error::invalid(
                        "scopes must be a non-empty list of scope strings (printable ASCII, no spaces or commas), never the wildcard \"*\" (attenuation only narrows)",
                    ));
                }
                Some(list.join(","))
            }
        };
        let rule = match &self.rule {
            None => None,
            Some(rule) => {
                if rule.rule_type.is_empty() {
                    return Err(Error::invalid("rule.rule_type must be a non-empty string"));
                }
                use base64::Engine;
                let json = serde_json::to_vec(rule).expect("a rule serializes");
                let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
                if encoded.len() > MAX_RULE_HEADER {
                    return Err(Error::invalid(format!(
                        "the encoded rule is {} bytes; at most {MAX_RULE_HEADER}",
                        encoded.len()
                    )));
                }
                Some(encoded)
            }
        };
        Ok(crate::transport::Attenuation { scopes, rule })
    }
}

impl ArgFields for RequestRule {
    fn fields() -> &'static [&'static str] {
        args::struct_fields::<Self>()
    }
}

impl ArgFields for Constraints {
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

/// A request body given as bytes: a string (sent as its UTF-8 bytes), `{"base64": "..."}` (how
/// bindings hand over a Python `bytes` or a JavaScript `Uint8Array`), or an array of byte values.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Body(pub Vec<u8>);

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Body(<{} bytes>)", self.0.len())
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Body(v)
    }
}
impl From<&[u8]> for Body {
    fn from(v: &[u8]) -> Self {
        Body(v.to_vec())
    }
}
impl From<&str> for Body {
    fn from(v: &str) -> Self {
        Body(v.as_bytes().to_vec())
    }
}

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use base64::Engine as _;
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(Body(s.into_bytes())),
            serde_json::Value::Object(o) if o.len() == 1 && o.contains_key("base64") => {
                let text = o["base64"]
                    .as_str()
                    .ok_or_else(|| args::invalid("body.base64 must be a string"))?;
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map(Body)
                    .map_err(|_| args::invalid("body.base64 is not base64"))
            }
            serde_json::Value::Array(items) => items
                .iter()
                .map(|v| v.as_u64().filter(|b| *b < 256).map(|b| b as u8))
                .collect::<Option<Vec<u8>>>()
                .map(Body)
                .ok_or_else(|| args::invalid("body must be bytes")),
            other => Err(args::invalid(format!(
                "body must be bytes (got {})",
                args::type_name(&other)
            ))),
        }
    }
}

/// Header names whose values `Debug` never shows.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
    "x-auth-token",
];

/// Options of `request`: which grant (by `grant_id`, or by `provider` with `account`/`label`/
/// `app_user_id`), what to send, and what to record. Names as the official client's.
///
/// ```
/// use grantline::RequestOptions;
/// let options = RequestOptions::grant("9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d")
///     .json(serde_json::json!({"q": 1}))
///     .reason("nightly sync");
/// assert!(options.validate().is_ok());
/// ```
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct RequestOptions {
    /// The grant to use (exactly one of `grant_id` and `provider`).
    pub grant_id: Option<String>,
    /// Resolve the grant by provider: an OAuth provider id or a managed-secret slug.
    pub provider: Option<String>,
    /// With `provider`: the connected account to use.
    pub account: Option<String>,
    /// With `provider`: the sibling grant's label.
    pub label: Option<String>,
    /// With `provider`, on an agent: the end user whose delegation to use.
    pub app_user_id: Option<String>,
    /// A JSON body (sent as `application/json`); not with `body`.
    pub json: Option<serde_json::Value>,
    /// A raw body; not with `json`.
    pub body: Option<Body>,
    /// Headers to send besides the injected one (names and values exactly as given).
    pub extra_headers: Option<std::collections::BTreeMap<String, String>>,
    /// Query parameters to add to the URL (a list value repeats the parameter).
    pub query_params: Option<serde_json::Map<String, serde_json::Value>>,
    /// Values for `{name}` placeholders in the URL (percent-encoded as path segments).
    pub path_params: Option<std::collections::BTreeMap<String, String>>,
    /// Why, recorded with the lease and the audit record.
    pub reason: Option<String>,
    /// Free-form audit context (string values), recorded with the call.
    pub context: Option<std::collections::BTreeMap<String, String>>,
    /// The end user's token (secret), for a user or group grant. On an [`crate::App`] with a
    /// user-token getter, the getter supplies it when this is `None`.
    pub user_token: Option<String>,
    /// This call's timeout, for the lease and for the provider call each (default: the
    /// client's).
    #[serde(deserialize_with = "args::opt_duration")]
    pub timeout: Option<Duration>,
}

impl fmt::Debug for RequestOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers = self.extra_headers.as_ref().map(|h| {
            h.iter()
                .map(|(k, v)| {
                    let shown = if SECRET_HEADERS.contains(&k.to_ascii_lowercase().as_str()) {
                        "<redacted>"
                    } else {
                        v.as_str()
                    };
                    (k.as_str(), shown)
                })
                .collect::<Vec<_>>()
        });
        f.debug_struct("RequestOptions")
            .field("grant_id", &self.grant_id)
            .field("provider", &self.provider)
            .field("account", &self.account)
            .field("label", &self.label)
            .field("app_user_id", &self.app_user_id)
            .field("json", &self.json.as_ref().map(|_| "<json>"))
            .field("body", &self.body)
            .field("extra_headers", &headers)
            .field("query_params", &self.query_params.as_ref().map(|q| q.len()))
            .field("path_params", &self.path_params)
            .field("reason", &self.reason)
            .field("context", &self.context)
            .field(
                "user_token",
                &self.user_token.as_ref().map(|_| "<redacted>"),
            )
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl RequestOptions {
    /// Nothing chosen yet (set `grant_id` or `provider`).
    pub fn new() -> Self {
        Self::default()
    }
    /// Uses the grant `grant_id`.
    pub fn grant(grant_id: impl Into<String>) -> Self {
        RequestOptions {
            grant_id: Some(grant_id.into()),
            ..Self::default()
        }
    }
    /// Resolves the grant by provider.
    pub fn provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = Some(provider.into());
        self
    }
    /// Narrows `provider` to an account.
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }
    /// Narrows `provider` to a sibling label.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
    /// Sends a JSON body.
    pub fn json(mut self, json: serde_json::Value) -> Self {
        self.json = Some(json);
        self
    }
    /// Sends a raw body.
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = Some(body.into());
        self
    }
    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_headers
            .get_or_insert_with(Default::default)
            .insert(name.into(), value.into());
        self
    }
    /// Adds a query parameter.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query_params
            .get_or_insert_with(Default::default)
            .insert(name.into(), serde_json::Value::String(value.into()));
        self
    }
    /// Fills a `{name}` placeholder of the URL.
    pub fn path_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.path_params
            .get_or_insert_with(Default::default)
            .insert(name.into(), value.into());
        self
    }
    /// Sets the reason.
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
    /// Adds an audit-context entry.
    pub fn context(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.context
            .get_or_insert_with(Default::default)
            .insert(key.into(), value.into());
        self
    }
    /// Uses this end user's token.
    pub fn user_token(mut self, token: impl Into<String>) -> Self {
        self.user_token = Some(token.into());
        self
    }
    /// Sets this call's timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Checks the combination (exactly one of `grant_id`/`provider`; `account`, `label` and
    /// `app_user_id` only with `provider`; not both `json` and `body`), non-empty strings, and
    /// the query values' types.
    pub fn validate(&self) -> Result<(), Error> {
        match (&self.grant_id, &self.provider) {
            (None, None) => return Err(Error::invalid("Provide grant_id or provider")),
            (Some(_), Some(_)) => {
                return Err(Error::invalid("Cannot provide both grant_id and provider"));
            }
            _ => {}
        }
        for (name, value) in [
            ("grant_id", &self.grant_id),
            ("provider", &self.provider),
            ("account", &self.account),
            ("label", &self.label),
            ("app_user_id", &self.app_user_id),
            ("user_token", &self.user_token),
        ] {
            non_empty(name, value)?;
        }
        if self.provider.is_none() {
            for (name, given) in [
                ("account", self.account.is_some()),
                ("label", self.label.is_some()),
                ("app_user_id", self.app_user_id.is_some()),
            ] {
                if given {
                    return Err(Error::invalid(format!(
                        "{name} is only valid with provider resolution: pass provider, not grant_id"
                    )));
                }
            }
        }
        if self.json.is_some() && self.body.is_some() {
            return Err(Error::invalid("Cannot provide both 'json' and 'body'"));
        }
        if let Some(q) = &self.query_params {
            for (k, v) in q {
                let scalar = |v: &serde_json::Value| {
                    matches!(
                        v,
                        serde_json::Value::String(_)
                            | serde_json::Value::Number(_)
                            | serde_json::Value::Bool(_)
                    )
                };
                let ok = scalar(v)
                    || v.is_null()
                    || v.as_array().is_some_and(|items| items.iter().all(scalar));
                if !ok {
                    return Err(Error::invalid(format!(
                        "query_params[{k:?}] must be a string, number, boolean or a list of them"
                    )));
                }
            }
        }
        if let Some(h) = &self.extra_headers {
            for (k, v) in h {
                if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_err()
                    || reqwest::header::HeaderValue::from_str(v).is_err()
                {
                    return Err(Error::invalid(format!(
                        "extra_headers[{k:?}] is not a valid header"
                    )));
                }
            }
        }
        Ok(())
    }
}

impl ArgFields for RequestOptions {
    fn fields() -> &'static [&'static str] {
        args::struct_fields::<Self>()
    }
}
