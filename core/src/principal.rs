//! Principals: who a grant is issued to (docs/wire.md §3.1), validated when built.

use crate::args::{self, ArgFields};
use crate::error::Error;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

const MAX_LABEL: usize = 255;
const MAX_USER_TOKEN: usize = 8192;

/// The owner of a grant. Build one with [`Principal::user`], [`Principal::group`],
/// [`Principal::system`] or [`Principal::agent`]; each checks the platform's limits.
///
/// ```
/// use grantline::Principal;
/// let group = Principal::group("eng", "b6f1c1de-7c3b-4c55-8f0a-1f6f1f1f1f1f", "eng-prod")?;
/// assert_eq!(group.kind(), "group");
/// assert!(Principal::system(Some("x".repeat(256))).is_err());
/// # Ok::<(), grantline::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Principal {
    /// An end user, identified by a JWT from one of the app's identity providers.
    User {
        /// The end user's IDP token (secret: never shown in `Debug`).
        user_token: String,
        /// The grant's label.
        label: String,
    },
    /// Every member of an IDP group.
    Group {
        /// The group's id in the IDP (e.g. `eng`).
        external_group_id: String,
        /// The app identity provider's id.
        idp_id: String,
        /// The grant's label.
        label: String,
    },
    /// The system: no identity (server-to-server, cron).
    System {
        /// Optional label (may be empty).
        label: Option<String>,
    },
    /// The calling agent itself.
    Agent {
        /// Optional label.
        label: Option<String>,
    },
}

fn check_len(field: &str, value: &str, min: usize, max: usize) -> Result<(), Error> {
    let len = value.chars().count();
    if len < min || len > max {
        let rule = if min == 0 {
            format!("at most {max}")
        } else {
            format!("{min} to {max}")
        };
        return Err(Error::invalid(format!(
            "{field} must be {rule} characters long (got {len})"
        )));
    }
    Ok(())
}

/// A principal as a host language passes it: `{type, …the fields of that type}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrincipalArgs {
    #[serde(rename = "type")]
    kind: String,
    user_token: Option<String>,
    label: Option<String>,
    external_group_id: Option<String>,
    idp_id: Option<String>,
}

/// Reads `{type, …}` with the same checks as the constructors; a field another type takes is
/// refused.
impl<'de> Deserialize<'de> for Principal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let a = PrincipalArgs::deserialize(d)?;
        let given = [
            ("user_token", a.user_token.is_some()),
            ("external_group_id", a.external_group_id.is_some()),
            ("idp_id", a.idp_id.is_some()),
        ];
        let takes: &[&str] = match a.kind.as_str() {
            "user" => &["user_token"],
            "group" => &["external_group_id", "idp_id"],
            "system" | "agent" => &[],
            other => {
                return Err(args::invalid(format!(
                    "principal type must be user, group, system or agent, not {other:?}"
                )));
            }
        };
        if let Some((field, _)) = given.iter().find(|(f, set)| *set && !takes.contains(f)) {
            return Err(args::invalid(format!(
                "a {} principal takes no {field}",
                a.kind
            )));
        }
        let required = |v: Option<String>, field: &str| {
            v.ok_or_else(|| {
                args::invalid::<D::Error>(format!("a {} principal needs {field}", a.kind))
            })
        };
        let built = match a.kind.as_str() {
            "user" => Principal::user(
                required(a.user_token, "user_token")?,
                required(a.label, "label")?,
            ),
            "group" => Principal::group(
                required(a.external_group_id, "external_group_id")?,
                required(a.idp_id, "idp_id")?,
                required(a.label, "label")?,
            ),
            "system" => Principal::system(a.label),
            _ => Principal::agent(a.label),
        };
        built.map_err(args::invalid)
    }
}

impl ArgFields for Principal {
    fn fields() -> &'static [&'static str] {
        args::struct_fields::<PrincipalArgs>()
    }
}

impl Principal {
    /// An end user, by their IDP token; `label` is 1–255 characters, the token 1–8192.
    pub fn user(user_token: impl Into<String>, label: impl Into<String>) -> Result<Self, Error> {
        let (user_token, label) = (user_token.into(), label.into());
        check_len("user_token", &user_token, 1, MAX_USER_TOKEN)?;
        check_len("label", &label, 1, MAX_LABEL)?;
        Ok(Principal::User { user_token, label })
    }

    /// Every member of an IDP group; each field 1–255 characters.
    pub fn group(
        external_group_id: impl Into<String>,
        idp_id: impl Into<String>,
        label: impl Into<String>,
    ) -> Result<Self, Error> {
        let (external_group_id, idp_id, label) =
            (external_group_id.into(), idp_id.into(), label.into());
        check_len("external_group_id", &external_group_id, 1, MAX_LABEL)?;
        check_len("idp_id", &idp_id, 1, MAX_LABEL)?;
        check_len("label", &label, 1, MAX_LABEL)?;
        Ok(Principal::Group {
            external_group_id,
            idp_id,
            label,
        })
    }

    /// The system; the label is optional, at most 255 characters.
    pub fn system(label: Option<impl Into<String>>) -> Result<Self, Error> {
        let label = label.map(Into::into);
        if let Some(l) = &label {
            check_len("label", l, 0, MAX_LABEL)?;
        }
        Ok(Principal::System { label })
    }

    /// The calling agent; the label is optional, at most 255 characters.
    pub fn agent(label: Option<impl Into<String>>) -> Result<Self, Error> {
        let label = label.map(Into::into);
        if let Some(l) = &label {
            check_len("label", l, 0, MAX_LABEL)?;
        }
        Ok(Principal::Agent { label })
    }

    /// The wire `type`: `user`, `group`, `system` or `agent`.
    pub fn kind(&self) -> &'static str {
        match self {
            Principal::User { .. } => "user",
            Principal::Group { .. } => "group",
            Principal::System { .. } => "system",
            Principal::Agent { .. } => "agent",
        }
    }

    /// The label, if any.
    pub fn label(&self) -> Option<&str> {
        match self {
            Principal::User { label, .. } | Principal::Group { label, .. } => Some(label),
            Principal::System { label } | Principal::Agent { label } => label.as_deref(),
        }
    }

    /// Re-checks the limits (for principals built as enum literals rather than constructors).
    pub(crate) fn validate(&self) -> Result<(), Error> {
        match self {
            Principal::User { user_token, label } => {
                Principal::user(user_token.as_str(), label.as_str()).map(drop)
            }
            Principal::Group {
                external_group_id,
                idp_id,
                label,
            } => Principal::group(external_group_id.as_str(), idp_id.as_str(), label.as_str())
                .map(drop),
            Principal::System { label } | Principal::Agent { label } => match label {
                Some(l) => check_len("label", l, 0, MAX_LABEL),
                None => Ok(()),
            },
        }
    }
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::User { label, .. } => f
                .debug_struct("User")
                .field("user_token", &"<redacted>")
                .field("label", label)
                .finish(),
            Principal::Group {
                external_group_id,
                idp_id,
                label,
            } => f
                .debug_struct("Group")
                .field("external_group_id", external_group_id)
                .field("idp_id", idp_id)
                .field("label", label)
                .finish(),
            Principal::System { label } => f.debug_struct("System").field("label", label).finish(),
            Principal::Agent { label } => f.debug_struct("Agent").field("label", label).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_in_wire_order() {
        let user = Principal::user("tok", "mine").unwrap();
        assert_eq!(
            serde_json::to_string(&user).unwrap(),
            r#"{"type":"user","user_token":"tok","label":"mine"}"#
        );
        let group = Principal::group("eng", "idp", "g").unwrap();
        assert_eq!(
            serde_json::to_string(&group).unwrap(),
            r#"{"type":"group","external_group_id":"eng","idp_id":"idp","label":"g"}"#
        );
        let system = Principal::system(None::<String>).unwrap();
        assert_eq!(
            serde_json::to_string(&system).unwrap(),
            r#"{"type":"system","label":null}"#
        );
    }

    #[test]
    fn limits() {
        assert!(Principal::user("", "l").is_err());
        assert!(Principal::user("t", "").is_err());
        assert!(Principal::user("t".repeat(8192), "l").is_ok());
        assert!(Principal::user("t".repeat(8193), "l").is_err());
        assert!(Principal::user("t", "é".repeat(255)).is_ok());
        assert!(Principal::user("t", "é".repeat(256)).is_err());
        assert!(Principal::group("", "i", "l").is_err());
        assert!(Principal::group("g", "", "l").is_err());
        assert!(Principal::system(Some("")).is_ok());
        assert!(Principal::agent(Some("a".repeat(256))).is_err());
        let err = Principal::user("t", "").unwrap_err();
        assert_eq!(
            err.to_string(),
            "label must be 1 to 255 characters long (got 0)"
        );
    }

    #[test]
    fn debug_never_shows_the_token() {
        let user = Principal::user("eyJsecret", "mine").unwrap();
        let shown = format!("{user:?}");
        assert!(!shown.contains("eyJsecret"), "{shown}");
        assert!(shown.contains("mine"));
    }
}
