//! End users behind a `user_token`: verified against the app's IDPs, created on first sight,
//! with the groups their token lists.

use super::{ApiError, Service, check_len};
use crate::store::Visibility;

/// A verified end user.
#[derive(Debug, Clone)]
pub struct EndUser {
    pub user_id: String,
    pub idp_id: String,
    pub sub: String,
    pub group_ids: Vec<String>,
}

impl EndUser {
    /// What this user may see.
    pub fn visibility(&self) -> Visibility {
        Visibility::User {
            user_id: self.user_id.clone(),
            group_ids: self.group_ids.clone(),
        }
    }

    /// Whether a grant with this principal is visible to the user.
    pub fn sees(&self, principal_type: &str, principal_ref: Option<&str>) -> bool {
        match (principal_type, principal_ref) {
            ("user", Some(r)) => r == self.user_id,
            ("group", Some(r)) => self.group_ids.iter().any(|g| g == r),
            _ => false,
        }
    }
}

impl Service {
    /// Verifies `token` against the IDPs of `app_id` (401 `jwt_validation_error` otherwise).
    pub async fn resolve_user(&self, app_id: &str, token: &str) -> Result<EndUser, ApiError> {
        check_len("user_token", token, 1, 8192)?;
        let idps = self.store.list_idps(app_id).await?;
        let now = self.clock.now().unix_timestamp();
        let user = self
            .jwt
            .verify(token, &idps, &self.master, now)
            .await
            .map_err(ApiError::jwt)?;
        let user_id = self
            .store
            .upsert_app_user(
                app_id,
                &user.idp_id,
                &user.sub,
                user.email.as_deref(),
                self.now_micros(),
            )
            .await?;
        let group_ids = self
            .store
            .find_group_ids(&user.idp_id, &user.groups)
            .await?;
        Ok(EndUser {
            user_id,
            idp_id: user.idp_id,
            sub: user.sub,
            group_ids,
        })
    }
}
