//! Wire models: what the grant endpoints return (docs/wire.md §3), parsed once into typed structs.
//!
//! Parsing follows the platform's tolerance rules: unknown fields are ignored, optional fields of
//! the wrong type become their default, and an item of an unknown `grant_kind` is kept as
//! [`GrantItem::Unknown`] instead of failing the page.

use crate::lenient::{Accept, Lenient, lenient, lenient_or_default};
use crate::policy::GrantPolicy;
use crate::time_fmt;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use time::OffsetDateTime;

mod fast;

impl<'de> Accept<'de> for CredentialKind {
    fn from_str(s: Cow<'de, str>) -> Option<Self> {
        match &*s {
            "developer" => Some(CredentialKind::Developer),
            "end_user" => Some(CredentialKind::EndUser),
            _ => None,
        }
    }
}

fn lenient_policy<'de, D: Deserializer<'de>>(d: D) -> Result<Option<GrantPolicy>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?
        .as_ref()
        .and_then(GrantPolicy::from_response))
}

fn lenient_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    lenient(d)
}

fn strings_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(lenient_strings(d)?.unwrap_or_default())
}

fn depth<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(Lenient::<i64>::deserialize(d)?.0.unwrap_or(0))
}

fn ownership() -> String {
    "ownership".to_owned()
}

/// `api_base_url` is kept only as a bare `https://` origin of lowercase DNS labels.
fn https_origin<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(lenient::<D, String>(d)?.filter(|url| is_https_origin(url)))
}

fn is_https_origin(url: &str) -> bool {
    let Some(host) = url.strip_prefix("https://") else {
        return false;
    };
    url.len() <= 270
        && !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// Which credential kind a managed-secret grant serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// A credential the developer stored.
    Developer,
    /// A credential belonging to an end user.
    EndUser,
}

/// What `create_managed_secret_grant` returns.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreateGrantResult {
    /// The new grant's id.
    pub grant_id: String,
    /// `user`, `group`, `system` or `agent`.
    pub principal_type: String,
    /// The grant's label.
    pub label: Option<String>,
    /// When the grant was created.
    #[serde(with = "time_fmt")]
    pub created_at: OffsetDateTime,
    /// The credential the grant serves.
    #[serde(default, deserialize_with = "lenient")]
    pub credential_id: Option<String>,
    /// When the grant ends, if its policy bounds it.
    #[serde(default, with = "time_fmt::option")]
    pub grant_expires_at: Option<OffsetDateTime>,
}

/// What `mint_grant` returns: the new sibling grant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GrantInfo {
    /// The new grant's id.
    pub grant_id: String,
    /// The OAuth provider id or managed-secret slug.
    #[serde(default, deserialize_with = "lenient_or_default")]
    pub provider_id: String,
    /// The grant's scopes (OAuth).
    #[serde(default, deserialize_with = "strings_or_empty")]
    pub scopes: Vec<String>,
    /// Account identifier.
    #[serde(default, deserialize_with = "lenient")]
    pub account_identifier: Option<String>,
    /// Account display name.
    #[serde(default, deserialize_with = "lenient")]
    pub account_display_name: Option<String>,
    /// The provider's API origin (a bare `https://` origin, else absent).
    #[serde(default, deserialize_with = "https_origin")]
    pub api_base_url: Option<String>,
    /// `active`, `expired` or `revoked`.
    pub status: String,
    /// Whether the grant lacks scopes the provider now asks for.
    #[serde(default, deserialize_with = "lenient_or_default")]
    pub scope_mismatch: bool,
    /// When the grant ends.
    #[serde(default, with = "time_fmt::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// When the grant was created.
    #[serde(with = "time_fmt")]
    pub created_at: OffsetDateTime,
    /// When the grant was last used.
    #[serde(default, with = "time_fmt::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// `user`, `group`, `system` or `agent`.
    pub principal_type: String,
    /// The grant's label.
    #[serde(default, deserialize_with = "lenient")]
    pub label: Option<String>,
    /// The credential served.
    #[serde(default, deserialize_with = "lenient")]
    pub credential_id: Option<String>,
    /// The grant's policy.
    #[serde(default, deserialize_with = "lenient_policy")]
    pub grant_policy: Option<GrantPolicy>,
}

/// What `delegate` returns: the delegation child grant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DelegationResult {
    /// The child grant's id.
    pub grant_id: String,
    /// `oauth` or `managed_secret`.
    pub grant_kind: String,
    /// The grant the calling agent delegated.
    pub parent_grant_id: String,
    /// Hops from the credential's root grant (≥ 1).
    pub depth: i64,
    /// Whether the child may delegate onward.
    pub delegable: bool,
    /// The child's status.
    pub status: String,
    /// When the child ends.
    #[serde(default, with = "time_fmt::option")]
    pub expires_at: Option<OffsetDateTime>,
}

/// A grant on a managed secret, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ManagedSecretGrantItem {
    /// The grant's id.
    pub grant_id: String,
    /// The managed secret's id.
    pub managed_secret_id: String,
    /// The managed secret's slug (what `provider_id` filters on).
    pub managed_secret_slug: String,
    /// The managed secret's display name.
    pub managed_secret_name: String,
    /// The agent, on agent-principal grants.
    #[serde(default, deserialize_with = "lenient")]
    pub agent_id: Option<String>,
    /// Account identifier, if any.
    #[serde(default, deserialize_with = "lenient")]
    pub account_identifier: Option<String>,
    /// `active`, `expired`, `revoked`, … (free text).
    pub status: String,
    /// Expiry of the credential currently handed out.
    #[serde(default, with = "time_fmt::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// When the grant itself ends.
    #[serde(default, with = "time_fmt::option")]
    pub grant_expires_at: Option<OffsetDateTime>,
    /// When the grant was created.
    #[serde(with = "time_fmt")]
    pub created_at: OffsetDateTime,
    /// When the grant was last used.
    #[serde(default, with = "time_fmt::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// `user`, `group`, `system` or `agent`.
    pub principal_type: String,
    /// `ownership` or `ms_delegation`.
    #[serde(default = "ownership", deserialize_with = "lenient_or_ownership")]
    pub access_via: String,
    /// When the grant was delegated.
    #[serde(default, with = "time_fmt::option")]
    pub delegated_at: Option<OffsetDateTime>,
    /// The grant's label.
    #[serde(default, deserialize_with = "lenient")]
    pub label: Option<String>,
    /// The credential served.
    #[serde(default, deserialize_with = "lenient")]
    pub credential_id: Option<String>,
    /// The parent grant of a delegated grant.
    #[serde(default, deserialize_with = "lenient")]
    pub parent_grant_id: Option<String>,
    /// The grant's policy.
    #[serde(default, deserialize_with = "lenient_policy")]
    pub grant_policy: Option<GrantPolicy>,
    /// Delegation depth.
    #[serde(default, deserialize_with = "depth")]
    pub depth: i64,
    /// Whether the grant can be delegated.
    #[serde(default, deserialize_with = "lenient_or_default")]
    pub delegable: bool,
    /// Scope constraint, if any.
    #[serde(default, deserialize_with = "lenient_strings")]
    pub scope_constraint: Option<Vec<String>>,
    /// Which kind of credential is served.
    #[serde(default, deserialize_with = "lenient")]
    pub credential_kind: Option<CredentialKind>,
    /// The served credential's label.
    #[serde(default, deserialize_with = "lenient")]
    pub credential_label: Option<String>,
}

/// An OAuth grant, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OAuthGrantItem {
    /// The grant's id.
    pub grant_id: String,
    /// The OAuth provider (e.g. `google`).
    pub provider_id: String,
    /// Granted scopes.
    #[serde(default, deserialize_with = "strings_or_empty")]
    pub scopes: Vec<String>,
    /// The connected account.
    #[serde(default, deserialize_with = "lenient")]
    pub account_identifier: Option<String>,
    /// The connected account's display name.
    #[serde(default, deserialize_with = "lenient")]
    pub account_display_name: Option<String>,
    /// The provider API's origin, when it is a bare `https://` origin.
    #[serde(default, deserialize_with = "https_origin")]
    pub api_base_url: Option<String>,
    /// `active`, `expired`, `revoked`, … (free text).
    pub status: String,
    /// Whether the granted scopes no longer match what the provider needs.
    #[serde(default, deserialize_with = "lenient_or_default")]
    pub scope_mismatch: bool,
    /// Whether the user must reconnect.
    #[serde(default, deserialize_with = "lenient_or_default")]
    pub needs_reconnect: bool,
    /// Expiry of the provider token.
    #[serde(default, with = "time_fmt::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// When the grant itself ends.
    #[serde(default, with = "time_fmt::option")]
    pub grant_expires_at: Option<OffsetDateTime>,
    /// When the grant was created.
    #[serde(with = "time_fmt")]
    pub created_at: OffsetDateTime,
    /// When the grant was last used.
    #[serde(default, with = "time_fmt::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// `user`, `system` or `agent`.
    pub principal_type: String,
    /// `ownership` or `oauth_delegation`.
    #[serde(default = "ownership", deserialize_with = "lenient_or_ownership")]
    pub access_via: String,
    /// When the grant was delegated.
    #[serde(default, with = "time_fmt::option")]
    pub delegated_at: Option<OffsetDateTime>,
    /// Agents the grant is delegated to.
    #[serde(default, deserialize_with = "strings_or_empty")]
    pub delegated_agent_ids: Vec<String>,
    /// The grant's label.
    #[serde(default, deserialize_with = "lenient")]
    pub label: Option<String>,
    /// The credential served.
    #[serde(default, deserialize_with = "lenient")]
    pub credential_id: Option<String>,
    /// The parent grant of a delegated grant.
    #[serde(default, deserialize_with = "lenient")]
    pub parent_grant_id: Option<String>,
    /// The grant's policy.
    #[serde(default, deserialize_with = "lenient_policy")]
    pub grant_policy: Option<GrantPolicy>,
    /// Delegation depth.
    #[serde(default, deserialize_with = "depth")]
    pub depth: i64,
    /// Whether the grant can be delegated.
    #[serde(default, deserialize_with = "lenient_or_default")]
    pub delegable: bool,
    /// Scope constraint, if any.
    #[serde(default, deserialize_with = "lenient_strings")]
    pub scope_constraint: Option<Vec<String>>,
}

fn lenient_or_ownership<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(lenient::<D, String>(d)?.unwrap_or_else(ownership))
}

/// A grant of a kind this version does not know, kept with its raw fields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UnknownGrantItem {
    /// The `grant_kind` the server sent (`None` if it sent none).
    pub grant_kind: Option<String>,
    /// Every field as received.
    pub fields: Map<String, Value>,
}

impl Serialize for UnknownGrantItem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.fields.serialize(s)
    }
}

/// One listed grant.
///
/// ```
/// use grantline::GrantItem;
/// fn describe(item: &GrantItem) -> String {
///     match item {
///         GrantItem::ManagedSecret(g) => format!("{} on {}", g.grant_id, g.managed_secret_slug),
///         GrantItem::OAuth(g) => format!("{} via {}", g.grant_id, g.provider_id),
///         GrantItem::Unknown(g) => format!("a {:?} grant", g.grant_kind),
///     }
/// }
/// ```
///
/// It serializes back to the wire shape, `grant_kind` included (unknown items as received).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "grant_kind")]
pub enum GrantItem {
    /// `grant_kind = "managed_secret"`.
    #[serde(rename = "managed_secret")]
    ManagedSecret(ManagedSecretGrantItem),
    /// `grant_kind = "oauth"`.
    #[serde(rename = "oauth")]
    OAuth(OAuthGrantItem),
    /// Any other `grant_kind`.
    #[serde(untagged)]
    Unknown(UnknownGrantItem),
}

impl GrantItem {
    /// The wire discriminator: `managed_secret`, `oauth`, or what the server sent.
    pub fn grant_kind(&self) -> &str {
        match self {
            GrantItem::ManagedSecret(_) => "managed_secret",
            GrantItem::OAuth(_) => "oauth",
            GrantItem::Unknown(u) => u.grant_kind.as_deref().unwrap_or(""),
        }
    }

    /// The grant's id (empty if an unknown item carried none).
    pub fn grant_id(&self) -> &str {
        match self {
            GrantItem::ManagedSecret(g) => &g.grant_id,
            GrantItem::OAuth(g) => &g.grant_id,
            GrantItem::Unknown(u) => u
                .fields
                .get("grant_id")
                .and_then(Value::as_str)
                .unwrap_or(""),
        }
    }

    /// The grant's label.
    pub fn label(&self) -> Option<&str> {
        match self {
            GrantItem::ManagedSecret(g) => g.label.as_deref(),
            GrantItem::OAuth(g) => g.label.as_deref(),
            GrantItem::Unknown(u) => u.fields.get("label").and_then(Value::as_str),
        }
    }

    /// The grant's status.
    pub fn status(&self) -> Option<&str> {
        match self {
            GrantItem::ManagedSecret(g) => Some(&g.status),
            GrantItem::OAuth(g) => Some(&g.status),
            GrantItem::Unknown(u) => u.fields.get("status").and_then(Value::as_str),
        }
    }
}

/// One pass over the item when `grant_kind` comes first (as servers send it): the rest of the
/// object goes straight into the kind's struct. Otherwise the entries are kept as raw JSON slices
/// until `grant_kind` is found, then read into the kind's struct from those slices.
impl<'de> Deserialize<'de> for GrantItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GrantItem;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a grant object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<GrantItem, A::Error> {
                use serde::de::value::MapAccessDeserializer;
                let mut entries: Vec<(Cow<'de, str>, &'de RawValue)> = Vec::new();
                let mut kind: Option<Cow<'de, str>> = None;
                while let Some(Lenient(key)) = map.next_key::<Lenient<Cow<'de, str>>>()? {
                    let key = key.unwrap_or_default();
                    if key == "grant_kind" {
                        let value: &'de RawValue = map.next_value()?;
                        kind = Lenient::<Cow<'de, str>>::deserialize(value)
                            .map_err(serde::de::Error::custom)?
                            .0;
                        match (entries.is_empty(), kind.as_deref()) {
                            (true, Some("managed_secret")) => {
                                return Deserialize::deserialize(MapAccessDeserializer::new(map))
                                    .map(GrantItem::ManagedSecret);
                            }
                            (true, Some("oauth")) => {
                                return Deserialize::deserialize(MapAccessDeserializer::new(map))
                                    .map(GrantItem::OAuth);
                            }
                            _ => {}
                        }
                        entries.push((key, value));
                    } else {
                        entries.push((key, map.next_value()?));
                    }
                }
                GrantItem::from_entries(kind, entries).map_err(serde::de::Error::custom)
            }
        }
        d.deserialize_map(V)
    }
}

/// The entries of one item, replayed to a struct's deserializer.
struct Entries<'de> {
    rest: std::vec::IntoIter<(Cow<'de, str>, &'de RawValue)>,
    value: Option<&'de RawValue>,
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = serde_json::Error;
    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        use serde::de::IntoDeserializer;
        let Some((key, value)) = self.rest.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(key.into_deserializer()).map(Some)
    }
    fn next_value_seed<S: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, Self::Error> {
        let raw = self.value.take().ok_or_else(|| {
            <serde_json::Error as serde::de::Error>::custom("value asked before key")
        })?;
        seed.deserialize(&mut serde_json::Deserializer::from_str(raw.get()))
    }
}

impl GrantItem {
    fn from_entries<'de>(
        kind: Option<Cow<'de, str>>,
        entries: Vec<(Cow<'de, str>, &'de RawValue)>,
    ) -> Result<Self, serde_json::Error> {
        use serde::de::value::MapAccessDeserializer;
        let replay = || {
            MapAccessDeserializer::new(Entries {
                rest: entries.clone().into_iter(),
                value: None,
            })
        };
        Ok(match kind.as_deref() {
            Some("managed_secret") => GrantItem::ManagedSecret(Deserialize::deserialize(replay())?),
            Some("oauth") => GrantItem::OAuth(Deserialize::deserialize(replay())?),
            _ => GrantItem::Unknown(UnknownGrantItem {
                grant_kind: kind.map(Cow::into_owned),
                fields: Deserialize::deserialize(replay())?,
            }),
        })
    }
}

/// One page of `list_grants`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct GrantPage {
    /// The grants of this page.
    pub grants: Vec<GrantItem>,
    /// How many grants match in all.
    pub total: u64,
    /// The page size asked for.
    pub limit: u32,
    /// The offset of this page.
    pub offset: u64,
    /// Whether more grants follow.
    pub has_more: bool,
}

impl GrantPage {
    /// Parses a `list_grants` response body.
    pub fn from_slice(body: &[u8]) -> Result<Self, serde_json::Error> {
        // Validating UTF-8 once up front is much cheaper than string by string.
        match std::str::from_utf8(body) {
            Ok(text) => fast::page(text).map_or_else(|| Self::from_str_general(text), Ok),
            Err(_) => serde_json::from_slice::<RawPage>(body).map(Self::from),
        }
    }

    /// The general reading: serde over the whole body. [`fast::page`] answers the same or
    /// nothing.
    fn from_str_general(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str::<RawPage>(text).map(Self::from)
    }
}

impl From<RawPage> for GrantPage {
    fn from(raw: RawPage) -> Self {
        GrantPage {
            grants: raw.grants,
            total: raw.total,
            limit: raw.limit,
            offset: raw.offset,
            has_more: raw.has_more,
        }
    }
}

/// A page as serde reads it (the general path).
#[derive(Deserialize)]
struct RawPage {
    grants: Vec<GrantItem>,
    total: u64,
    limit: u32,
    offset: u64,
    has_more: bool,
}

/// What `revoke_grant` returns.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RevokeGrantResult {
    /// Always true on success.
    pub success: bool,
    /// The server's message.
    pub message: String,
    /// The revoked grant.
    pub grant_id: String,
    /// When it was revoked.
    #[serde(with = "time_fmt")]
    pub revoked_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page's JSON text with each item's keys in the given order (`reverse`: last first).
    fn page_text(response: &Value, reverse: bool) -> String {
        let Some(items) = response.get("grants").and_then(Value::as_array) else {
            return response.to_string();
        };
        let items: Vec<String> = items
            .iter()
            .map(|item| match item.as_object() {
                Some(fields) => {
                    let mut pairs: Vec<String> = fields
                        .iter()
                        .map(|(k, v)| format!("{}:{v}", Value::from(k.as_str())))
                        .collect();
                    if reverse {
                        pairs.reverse();
                    }
                    format!("{{{}}}", pairs.join(","))
                }
                None => item.to_string(),
            })
            .collect();
        let mut rest = response.clone();
        rest.as_object_mut().unwrap().remove("grants");
        let rest = rest.to_string();
        let rest = rest.trim_start_matches('{');
        let sep = if rest == "}" { "" } else { "," };
        format!(r#"{{"grants":[{}]{sep}{rest}"#, items.join(","))
    }

    /// Every case, with the item keys as written (`grant_kind` first: the one-pass path) and
    /// reversed (`grant_kind` last: the replay path). Both must give the same result.
    #[test]
    fn vectors() {
        let v: Value =
            serde_json::from_str(include_str!("../../tests/vectors/models.json")).unwrap();
        for case in v["list_pages"].as_array().unwrap() {
            for reverse in [false, true] {
                let name = format!(
                    "{} (reversed keys: {reverse})",
                    case["name"].as_str().unwrap()
                );
                let body = page_text(&case["response"], reverse);
                match case.get("error") {
                    Some(_) => assert!(GrantPage::from_slice(body.as_bytes()).is_err(), "{name}"),
                    None => {
                        let page = GrantPage::from_slice(body.as_bytes())
                            .unwrap_or_else(|e| panic!("{name}: {e}"));
                        let got = serde_json::to_value(&page).unwrap();
                        assert_eq!(got, case["expected"], "{name}");
                    }
                }
            }
        }
    }

    /// A page as grantline-server sends it, with every field kind the fast path reads natively
    /// or hands on: a policy, a scope list, escapes, an unknown field with a nested value, an
    /// OAuth item and an item of an unknown kind.
    fn server_shaped_page() -> String {
        let ms = |i: usize, extra: &str| {
            format!(
                r#"{{"grant_kind":"managed_secret","grant_id":"0b7d6c1e-{i:04}","managed_secret_id":"9b1d","managed_secret_slug":"stripe","managed_secret_name":"Stripe","agent_id":null,"account_identifier":"acct","status":"active","expires_at":null,"grant_expires_at":"2026-12-25T09:00:00Z","created_at":"2026-11-25T09:00:00.123456Z","last_used_at":null,"principal_type":"system","access_via":"ownership","delegated_at":null,"label":"seed-{i}","credential_id":"5c1a","parent_grant_id":null,"grant_policy":null,"depth":0,"delegable":false,"scope_constraint":null,"credential_kind":"developer","credential_label":null,"revoked_at":null{extra}}}"#
            )
        };
        let items = [
            ms(0, ""),
            ms(1, r#","grant_policy":{"max_ttl_seconds":60},"x":{"y":[1,2.5,"\""]}"#)
                .replace(r#""grant_policy":null,"#, ""),
            ms(2, "").replace(r#""label":"seed-2""#, r#""label":"s\u00e9ed\n2""#),
            ms(3, "")
                .replace(r#""scope_constraint":null"#, r#""scope_constraint":["a",1,"b"]"#)
                .replace(r#""depth":0"#, r#""depth":3"#)
                .replace(r#""delegable":false"#, r#""delegable":true"#)
                .replace(r#""credential_kind":"developer""#, r#""credential_kind":"other""#),
            r#"{"grant_kind":"oauth","grant_id":"o1","provider_id":"google","scopes":["s"],"status":"active","created_at":"2026-11-25T09:00:00Z","principal_type":"user"}"#.to_owned(),
            r#"{"grant_kind":"oauth","grant_id":"o2","provider_id":"github","scopes":["repo","read:org"],"account_identifier":"octo","account_display_name":null,"api_base_url":"https://api.github.com","status":"active","scope_mismatch":false,"needs_reconnect":true,"expires_at":"2026-12-25T09:00:00.5Z","grant_expires_at":null,"created_at":"2026-11-25T09:00:00Z","last_used_at":null,"principal_type":"agent","access_via":"oauth_delegation","delegated_at":"2026-11-26T09:00:00Z","delegated_agent_ids":[],"label":null,"credential_id":null,"parent_grant_id":"o1","grant_policy":{"expires_at":"2027-01-01T00:00:00Z"},"depth":1,"delegable":true,"scope_constraint":["repo"]}"#.to_owned(),
            r#"{"grant_kind":"oauth","grant_id":"o3","provider_id":"x","api_base_url":"http://not-https","status":"revoked","created_at":"2026-11-25T09:00:00+01:00","principal_type":"system","delegated_agent_ids":null,"scopes":null}"#.to_owned(),
            r#"{"grant_kind":"future","grant_id":"f1","n":1}"#.to_owned(),
        ];
        format!(
            r#"{{"grants":[{}],"total":120,"limit":100,"offset":0,"has_more":true}}"#,
            items.join(",")
        )
    }

    /// The fast path answers exactly what the general path answers, or nothing: on every vector
    /// page and on thousands of mutations of a server-shaped page (bytes dropped or doubled, JSON
    /// tokens put in). A fast path that gave up on everything would pass that, so it must also
    /// read the unmutated pages and a good share of the mutations itself. A longer run:
    /// `GRANTLINE_MUTATIONS=500000 GRANTLINE_MUTATION_SEED=7 cargo test --release -p grantline
    /// --lib fast_path`.
    #[test]
    fn fast_path_agrees_with_the_general_path() {
        let env_or = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(default)
        };
        let agree = |text: &str| -> bool {
            let Some(fast) = fast::page(text) else {
                return false;
            };
            match GrantPage::from_str_general(text) {
                Ok(general) => assert_eq!(fast, general, "{text}"),
                Err(e) => {
                    panic!("the fast path read a page the general path rejects ({e}): {text}")
                }
            }
            true
        };
        let base = server_shaped_page();
        assert!(agree(&base), "the fast path reads a server's page");
        for item in 0..8 {
            let kind = match item {
                0..=3 => "managed_secret",
                4..=6 => "oauth",
                _ => "future",
            };
            let page = GrantPage::from_slice(base.as_bytes()).unwrap();
            assert_eq!(page.grants[item].grant_kind(), kind, "item {item}");
        }
        // The items of known kinds are read by the fast path itself, not handed on.
        let mut c = fast::Cursor::new(&base);
        let items = base.find('[').unwrap() + 1;
        c.i = items;
        for _ in 0..7 {
            assert!(c.known_item().is_some(), "a known item at byte {}", c.i);
            c.next(b']').unwrap();
        }
        let pretty =
            serde_json::to_string_pretty(&serde_json::from_str::<Value>(&base).unwrap()).unwrap();
        assert!(agree(&pretty), "the fast path reads a pretty-printed page");
        let v: Value =
            serde_json::from_str(include_str!("../../tests/vectors/models.json")).unwrap();
        for case in v["list_pages"].as_array().unwrap() {
            for reverse in [false, true] {
                agree(&page_text(&case["response"], reverse));
            }
        }
        const TOKENS: &[&str] = &[
            "\"",
            "\\",
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            " ",
            "0",
            "01",
            "-1",
            "1.5",
            "1e3",
            "18446744073709551616",
            "null",
            "true",
            "false",
            "nul",
            "\u{1}",
            "\"x\"",
            "\\u0041",
            "é",
            "{}",
            "[]",
            "\"a\":1,",
        ];
        let mut seed: u64 = env_or("GRANTLINE_MUTATION_SEED", 0x9e37_79b9_7f4a_7c15);
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let (mut tried, mut read) = (0, 0);
        for _ in 0..env_or("GRANTLINE_MUTATIONS", 20_000) {
            let mut bytes = [&base, &pretty][next(2)].clone().into_bytes();
            for _ in 0..1 + next(2) {
                let at = next(bytes.len());
                match next(4) {
                    0 => {
                        bytes.remove(at);
                    }
                    1 => bytes.insert(at, bytes[at]),
                    2 => {
                        let t = TOKENS[next(TOKENS.len())].as_bytes();
                        bytes.splice(at..at + 1, t.iter().copied());
                    }
                    _ => {
                        let t = TOKENS[next(TOKENS.len())].as_bytes();
                        bytes.splice(at..at, t.iter().copied());
                    }
                }
            }
            if let Ok(text) = std::str::from_utf8(&bytes) {
                tried += 1;
                read += usize::from(agree(text));
            }
        }
        assert!(
            read * 5 > tried,
            "the fast path read only {read} of {tried} mutated pages"
        );
    }
}
