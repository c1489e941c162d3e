//! Provisioning (what Alter's developer portal does): apps, keys, agents, IDPs, managed secrets
//! and credentials, OAuth grants, development user tokens, audit, faults. The `/admin/` routes and
//! Rust tests call these; like the `/sdk` operations they decide, and the store persists.

use super::admin_types::*;
use super::{ApiError, Service, canonical_uuid, check_len, sibling_key_for};
use crate::clock::wire_time;
use crate::crypto::hash_key;
use crate::fault::FaultSpec;
use crate::store::{
    AgentRec, AppRec, AuditRec, CredentialRec, GrantRec, IdpRec, KeyRec, ManagedSecretRec,
};
use grantline::keys::{KeyType, generate_key, key_type};

fn not_found(what: &str) -> ApiError {
    ApiError::not_found(what)
}

fn fresh_or_given(id: Option<&str>, field: &str) -> Result<String, ApiError> {
    match id {
        None => Ok(uuid::Uuid::new_v4().to_string()),
        Some(s) => canonical_uuid(s)
            .ok_or_else(|| ApiError::invalid_request(format!("{field} must be a UUID"))),
    }
}

impl Service {
    pub(super) async fn app(&self, app_id: &str) -> Result<AppRec, ApiError> {
        let id = canonical_uuid(app_id).ok_or_else(|| not_found("app"))?;
        self.store
            .get_app(&id)
            .await?
            .ok_or_else(|| not_found("app"))
    }

    /// Creates an app.
    pub async fn create_app(&self, req: CreateApp) -> Result<AppCreated, ApiError> {
        check_len("name", &req.name, 1, 255)?;
        let id = fresh_or_given(req.id.as_deref(), "id")?;
        self.store
            .insert_app(&AppRec {
                id: id.clone(),
                name: req.name,
                max_ttl_seconds: None,
                created_at: self.now_micros(),
            })
            .await?;
        Ok(AppCreated { app_id: id })
    }

    /// Creates a managed agent.
    pub async fn create_agent(
        &self,
        app_id: &str,
        req: CreateAgent,
    ) -> Result<AgentCreated, ApiError> {
        let app = self.app(app_id).await?;
        check_len("name", &req.name, 1, 255)?;
        let id = fresh_or_given(req.id.as_deref(), "id")?;
        self.store
            .insert_agent(&AgentRec {
                id: id.clone(),
                app_id: app.id,
                name: req.name,
                status: "active".into(),
                created_at: self.now_micros(),
            })
            .await?;
        Ok(AgentCreated { agent_id: id })
    }

    /// Sets an agent's status (`active`, `paused`, `revoked`).
    pub async fn set_agent_status(
        &self,
        app_id: &str,
        agent_id: &str,
        status: &str,
    ) -> Result<(), ApiError> {
        let app = self.app(app_id).await?;
        if !matches!(status, "active" | "paused" | "revoked") {
            return Err(ApiError::invalid_request(
                "status must be active, paused or revoked",
            ));
        }
        let id = canonical_uuid(agent_id).ok_or_else(|| not_found("agent"))?;
        if !self.store.set_agent_status(&app.id, &id, status).await? {
            return Err(not_found("agent"));
        }
        Ok(())
    }

    /// Mints (or registers) an app or agent key; the raw key is returned once.
    pub async fn mint_key(&self, app_id: &str, req: MintKey) -> Result<KeyMinted, ApiError> {
        let app = self.app(app_id).await?;
        let agent_id = match (req.kind.as_str(), req.agent_id.as_deref()) {
            ("app", None) => None,
            ("app", Some(_)) => {
                return Err(ApiError::invalid_request("an app key takes no agent_id"));
            }
            ("agent", Some(a)) => {
                let id = canonical_uuid(a).ok_or_else(|| not_found("agent"))?;
                self.store
                    .get_agent(&app.id, &id)
                    .await?
                    .ok_or_else(|| not_found("agent"))?;
                Some(id)
            }
            ("agent", None) => {
                return Err(ApiError::invalid_request("an agent key needs agent_id"));
            }
            _ => return Err(ApiError::invalid_request("kind must be app or agent")),
        };
        let raw = match req.key {
            Some(k) => {
                let ok = matches!(
                    (key_type(&k), agent_id.is_some()),
                    (Some(KeyType::App | KeyType::Legacy), false)
                        | (Some(KeyType::Agent | KeyType::Legacy), true)
                );
                if !ok {
                    return Err(ApiError::invalid_request(
                        "key must be a valid alter_rk_ (app) or alter_ak_ (agent) key, or a \
                         legacy alter_key_ key",
                    ));
                }
                k
            }
            None => generate_key(if agent_id.is_some() {
                KeyType::Agent
            } else {
                KeyType::App
            }),
        };
        let key_id = uuid::Uuid::new_v4().to_string();
        let actor_id = fresh_or_given(req.actor_id.as_deref(), "actor_id")?;
        self.store
            .insert_key(&KeyRec {
                id: key_id.clone(),
                app_id: app.id,
                key_hash: hash_key(&raw),
                kind: req.kind,
                agent_id,
                actor_id: actor_id.clone(),
                status: "active".into(),
                created_at: self.now_micros(),
            })
            .await
            .map_err(|e| match e {
                crate::store::StoreError::Conflict(_) => {
                    ApiError::new(409, "conflict", "this key is already registered")
                }
                other => other.into(),
            })?;
        Ok(KeyMinted {
            key_id,
            key: raw,
            actor_id,
        })
    }

    /// Revokes a key (its requests then fail with 401 `key_revoked`).
    pub async fn revoke_key(&self, app_id: &str, key_id: &str) -> Result<(), ApiError> {
        let app = self.app(app_id).await?;
        let id = canonical_uuid(key_id).ok_or_else(|| not_found("key"))?;
        if !self.store.set_key_status(&app.id, &id, "revoked").await? {
            return Err(not_found("key"));
        }
        Ok(())
    }

    /// Adds an identity provider.
    pub async fn add_idp(&self, app_id: &str, req: AddIdp) -> Result<IdpAdded, ApiError> {
        let app = self.app(app_id).await?;
        check_len("issuer", &req.issuer, 1, 1024)?;
        check_len("audience", &req.audience, 1, 1024)?;
        let sources = [
            req.hs256_secret.is_some(),
            req.jwks_file.is_some(),
            req.jwks_url.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return Err(ApiError::invalid_request(
                "give exactly one of hs256_secret, jwks_file, jwks_url",
            ));
        }
        if let Some(s) = &req.hs256_secret {
            check_len("hs256_secret", s, 16, 4096)?;
        }
        if let Some(u) = &req.jwks_url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            return Err(ApiError::invalid_request("jwks_url must be an http(s) URL"));
        }
        let groups_claim = req.groups_claim.unwrap_or_else(|| "groups".into());
        check_len("groups_claim", &groups_claim, 1, 255)?;
        let id = uuid::Uuid::new_v4().to_string();
        let hs256_secret = req
            .hs256_secret
            .map(|s| self.master.encrypt(s.as_bytes(), id.as_bytes()));
        self.store
            .insert_idp(&IdpRec {
                id: id.clone(),
                app_id: app.id,
                issuer: req.issuer,
                audience: req.audience,
                hs256_secret,
                jwks_file: req.jwks_file,
                jwks_url: req.jwks_url,
                groups_claim,
                created_at: self.now_micros(),
            })
            .await?;
        Ok(IdpAdded { idp_id: id })
    }

    /// Mints a development JWT of an HS256 IDP.
    pub async fn mint_user_token(
        &self,
        app_id: &str,
        idp_id: &str,
        req: MintUserToken,
    ) -> Result<UserToken, ApiError> {
        let app = self.app(app_id).await?;
        let id = canonical_uuid(idp_id).ok_or_else(|| not_found("idp"))?;
        let idp = self
            .store
            .get_idp(&app.id, &id)
            .await?
            .ok_or_else(|| not_found("idp"))?;
        check_len("sub", &req.sub, 1, 255)?;
        let ttl = req.ttl_seconds.unwrap_or(3600);
        if !(1..=366 * 24 * 3600).contains(&ttl) && ttl >= 0 {
            return Err(ApiError::invalid_request(
                "ttl_seconds must be 1..=31622400",
            ));
        }
        let sealed = idp.hs256_secret.as_ref().ok_or_else(|| {
            ApiError::invalid_request("tokens can only be minted for HS256 identity providers")
        })?;
        let secret = self
            .master
            .decrypt(sealed, idp.id.as_bytes())
            .map_err(ApiError::internal)?;
        let token = crate::jwt::mint_hs256(
            &secret,
            &crate::jwt::DevTokenClaims {
                issuer: &idp.issuer,
                audience: &idp.audience,
                groups_claim: &idp.groups_claim,
                sub: &req.sub,
                groups: &req.groups,
                email: req.email.as_deref(),
                issued_at: self.clock.now().unix_timestamp(),
                ttl_seconds: ttl,
            },
        )
        .map_err(ApiError::internal)?;
        Ok(UserToken { token })
    }

    /// Adds a managed-secret provider.
    pub async fn add_managed_secret(
        &self,
        app_id: &str,
        req: AddManagedSecret,
    ) -> Result<ManagedSecretAdded, ApiError> {
        let app = self.app(app_id).await?;
        check_len("slug", &req.slug, 1, 255)?;
        check_len("name", &req.name, 1, 255)?;
        let id = fresh_or_given(req.id.as_deref(), "id")?;
        self.store
            .insert_managed_secret(&ManagedSecretRec {
                id: id.clone(),
                app_id: app.id,
                slug: req.slug,
                name: req.name,
                created_at: self.now_micros(),
            })
            .await
            .map_err(|e| match e {
                crate::store::StoreError::Conflict(_) => ApiError::new(
                    409,
                    "conflict",
                    "a managed secret with this slug (or id) already exists",
                ),
                other => other.into(),
            })?;
        Ok(ManagedSecretAdded {
            managed_secret_id: id,
        })
    }

    /// Adds a credential (its value is encrypted under the master key).
    pub async fn add_credential(
        &self,
        app_id: &str,
        managed_secret_id: &str,
        req: AddCredential,
    ) -> Result<CredentialAdded, ApiError> {
        let app = self.app(app_id).await?;
        let ms_id = canonical_uuid(managed_secret_id).ok_or_else(|| not_found("managed secret"))?;
        let ms = self
            .store
            .get_managed_secret(&app.id, &ms_id)
            .await?
            .ok_or_else(|| not_found("managed secret"))?;
        check_len("label", &req.label, 1, 255)?;
        check_len("value", &req.value, 1, 65536)?;
        if !matches!(req.kind.as_str(), "developer" | "end_user") {
            return Err(ApiError::invalid_request(
                "kind must be developer or end_user",
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let value_enc = self.master.encrypt(req.value.as_bytes(), id.as_bytes());
        self.store
            .insert_credential(&CredentialRec {
                id: id.clone(),
                managed_secret_id: ms.id,
                app_id: app.id,
                label: req.label,
                kind: req.kind,
                value_enc,
                status: "active".into(),
                created_at: self.now_micros(),
            })
            .await?;
        Ok(CredentialAdded { credential_id: id })
    }

    /// Provisions an OAuth grant (until a connect flow exists).
    pub async fn provision_oauth_grant(
        &self,
        app_id: &str,
        req: ProvisionOAuthGrant,
    ) -> Result<GrantProvisioned, ApiError> {
        let app = self.app(app_id).await?;
        check_len("provider_id", &req.provider_id, 1, 255)?;
        if let Some(l) = &req.label {
            check_len("label", l, 0, 255)?;
        }
        for (n, v) in [
            ("account_identifier", &req.account_identifier),
            ("account_display_name", &req.account_display_name),
        ] {
            if let Some(v) = v {
                check_len(n, v, 1, 1024)?;
            }
        }
        let now = self.now_micros();
        let (ptype, pref, subject, idp_id) = match &req.principal {
            OAuthPrincipal::User { sub, idp_id } => {
                check_len("principal.sub", sub, 1, 255)?;
                let idp = canonical_uuid(idp_id).ok_or_else(|| not_found("idp"))?;
                self.store
                    .get_idp(&app.id, &idp)
                    .await?
                    .ok_or_else(|| not_found("idp"))?;
                let uid = self
                    .store
                    .upsert_app_user(&app.id, &idp, sub, None, now)
                    .await?;
                ("user", Some(uid), sub.clone(), Some(idp))
            }
            OAuthPrincipal::System => ("system", None, "system".to_string(), None),
            OAuthPrincipal::Agent { agent_id } => {
                let id = canonical_uuid(agent_id).ok_or_else(|| not_found("agent"))?;
                self.store
                    .get_agent(&app.id, &id)
                    .await?
                    .ok_or_else(|| not_found("agent"))?;
                ("agent", Some(id.clone()), id, None)
            }
        };
        let grant = GrantRec {
            id: super::new_id(),
            app_id: app.id.clone(),
            kind: "oauth".into(),
            provider_slug: req.provider_id.clone(),
            managed_secret_id: None,
            credential_id: None,
            principal_type: ptype.into(),
            principal_ref: pref.clone(),
            principal_subject: subject.clone(),
            idp_id,
            label: req.label.clone(),
            sibling_key: sibling_key_for(
                &app.id,
                "oauth",
                &req.provider_id,
                ptype,
                pref.as_deref(),
                req.label.as_deref(),
            ),
            account_identifier: req.account_identifier,
            account_display_name: req.account_display_name,
            scopes: Some(serde_json::to_string(&req.scopes).unwrap_or_else(|_| "[]".into())),
            grant_policy: None,
            grant_expires_at: None,
            created_at: now,
            revoked_at: None,
            revoke_reason: None,
            created_by: "admin".into(),
            chain: Default::default(),
        };
        let audit = AuditRec {
            id: super::new_id(),
            app_id: app.id,
            actor: "admin".into(),
            action: "grant.create".into(),
            grant_id: Some(grant.id.clone()),
            principal_type: Some(ptype.into()),
            principal: Some(if ptype == "system" {
                "system".into()
            } else {
                format!("{ptype}:{subject}")
            }),
            label: grant.label.clone(),
            reason: None,
            at: now,
        };
        self.store
            .create_grant(&grant, &audit, None)
            .await
            .map_err(|e| super::map_insert_error(e, grant.label.as_deref()))?;
        Ok(GrantProvisioned { grant_id: grant.id })
    }

    /// Sets (or clears, with `None`) the app's TTL ceiling.
    pub async fn set_ttl_ceiling(
        &self,
        app_id: &str,
        max_ttl_seconds: Option<i64>,
    ) -> Result<(), ApiError> {
        let app = self.app(app_id).await?;
        if let Some(s) = max_ttl_seconds
            && s <= 0
        {
            return Err(ApiError::invalid_request(
                "max_ttl_seconds must be > 0 or null",
            ));
        }
        self.store
            .set_app_ttl_ceiling(&app.id, max_ttl_seconds)
            .await?;
        Ok(())
    }

    /// Audit records of an app, newest first.
    pub async fn audit(
        &self,
        app_id: &str,
        limit: i64,
        offset: i64,
    ) -> Result<AuditPage, ApiError> {
        let app = self.app(app_id).await?;
        if !(1..=1000).contains(&limit) || offset < 0 {
            return Err(ApiError::invalid_request(
                "limit must be 1..=1000 and offset >= 0",
            ));
        }
        let records = self
            .store
            .list_audit(&app.id, limit, offset)
            .await?
            .into_iter()
            .map(|r| AuditRecord {
                id: r.id,
                actor: r.actor,
                action: r.action,
                grant_id: r.grant_id,
                principal_type: r.principal_type,
                principal: r.principal,
                label: r.label,
                reason: r.reason,
                at: wire_time(r.at),
            })
            .collect();
        Ok(AuditPage { records })
    }

    /// Queues an injected fault (development/test feature).
    pub async fn inject_fault(&self, spec: FaultSpec) -> Result<(), ApiError> {
        spec.validate().map_err(ApiError::invalid_request)?;
        self.faults.add(spec);
        Ok(())
    }

    /// Drops every pending fault.
    pub async fn clear_faults(&self) {
        self.faults.clear();
    }
}
