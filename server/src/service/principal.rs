//! Principals as the wire sends them (docs/wire.md §3.1), their limits, and how each resolves.

use super::{ApiError, Caller, Service, canonical_uuid, check_len};
use serde::Deserialize;

/// A principal in a create request, tagged on `type`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum PrincipalIn {
    User {
        user_token: String,
        label: String,
    },
    Group {
        external_group_id: String,
        idp_id: String,
        label: String,
    },
    System {
        #[serde(default)]
        label: Option<String>,
    },
    Agent {
        #[serde(default)]
        label: Option<String>,
    },
}

/// A principal resolved to its stored form.
#[derive(Debug, Clone)]
pub struct ResolvedPrincipal {
    pub principal_type: &'static str,
    pub principal_ref: Option<String>,
    pub subject: String,
    pub idp_id: Option<String>,
    pub label: Option<String>,
}

impl ResolvedPrincipal {
    /// What the audit log shows as the principal.
    pub fn audit_text(&self) -> String {
        match self.principal_type {
            "system" => "system".into(),
            t => format!("{t}:{}", self.subject),
        }
    }
}

impl PrincipalIn {
    /// The wire type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            PrincipalIn::User { .. } => "user",
            PrincipalIn::Group { .. } => "group",
            PrincipalIn::System { .. } => "system",
            PrincipalIn::Agent { .. } => "agent",
        }
    }

    /// The docs/wire.md §3.1 field limits.
    pub fn validate(&self) -> Result<(), ApiError> {
        match self {
            PrincipalIn::User { user_token, label } => {
                check_len("principal.user_token", user_token, 1, 8192)?;
                check_len("principal.label", label, 1, 255)
            }
            PrincipalIn::Group {
                external_group_id,
                idp_id,
                label,
            } => {
                check_len("principal.external_group_id", external_group_id, 1, 255)?;
                check_len("principal.idp_id", idp_id, 1, 255)?;
                check_len("principal.label", label, 1, 255)
            }
            PrincipalIn::System { label } | PrincipalIn::Agent { label } => match label {
                Some(l) => check_len("principal.label", l, 0, 255),
                None => Ok(()),
            },
        }
    }
}

impl Service {
    /// Resolves a principal for `caller`'s app: verifies user tokens, finds or creates groups,
    /// binds the agent principal to the calling agent.
    pub async fn resolve_principal(
        &self,
        caller: &Caller,
        p: &PrincipalIn,
    ) -> Result<ResolvedPrincipal, ApiError> {
        match p {
            PrincipalIn::User { user_token, label } => {
                let user = self.resolve_user(&caller.app_id, user_token).await?;
                Ok(ResolvedPrincipal {
                    principal_type: "user",
                    principal_ref: Some(user.user_id),
                    subject: user.sub,
                    idp_id: Some(user.idp_id),
                    label: Some(label.clone()),
                })
            }
            PrincipalIn::Group {
                external_group_id,
                idp_id,
                label,
            } => {
                let not_found = || {
                    ApiError::new(
                        422,
                        "idp_not_found",
                        "principal.idp_id does not name an identity provider of this app",
                    )
                };
                let idp_id = canonical_uuid(idp_id).ok_or_else(not_found)?;
                self.store
                    .get_idp(&caller.app_id, &idp_id)
                    .await?
                    .ok_or_else(not_found)?;
                let group_id = self
                    .store
                    .upsert_group(
                        &caller.app_id,
                        &idp_id,
                        external_group_id,
                        self.now_micros(),
                    )
                    .await?;
                Ok(ResolvedPrincipal {
                    principal_type: "group",
                    principal_ref: Some(group_id),
                    subject: external_group_id.clone(),
                    idp_id: Some(idp_id),
                    label: Some(label.clone()),
                })
            }
            PrincipalIn::System { label } => Ok(ResolvedPrincipal {
                principal_type: "system",
                principal_ref: None,
                subject: "system".into(),
                idp_id: None,
                label: label.clone(),
            }),
            PrincipalIn::Agent { label } => {
                let agent_id = caller.agent_id().ok_or_else(|| {
                    ApiError::new(
                        422,
                        "agent_principal_requires_agent_caller",
                        "an agent principal needs an agent caller (an agent key, or an app key \
                         with X-Alter-Caller-Type: agent)",
                    )
                })?;
                Ok(ResolvedPrincipal {
                    principal_type: "agent",
                    principal_ref: Some(agent_id.to_string()),
                    subject: agent_id.to_string(),
                    idp_id: None,
                    label: label.clone(),
                })
            }
        }
    }
}
