//! `grantline-server dev`: a server with one demo tenant already provisioned.

use crate::config::ServerConfig;
use crate::server::{RunningServer, ServerError, start};
use crate::service::admin_types::*;
use serde::{Deserialize, Serialize};

/// Everything a test or demo needs to talk to the demo tenant.
#[derive(Clone, Serialize, Deserialize)]
pub struct DevTenant {
    pub base_url: String,
    pub admin_token: String,
    pub app_id: String,
    pub app_key: String,
    pub agent_id: String,
    pub agent_key: String,
    pub idp_id: String,
    /// A development JWT of `idp_id` for user `dev-user` in group `eng`, valid 24 h.
    pub user_token: String,
    /// `eng`.
    pub group_id: String,
    /// A provider holding exactly one developer credential (`credential_id`).
    pub managed_secret_id: String,
    pub credential_id: String,
    pub managed_secret_slug: String,
    /// A second agent of the app and its key: what the demo agent delegates to.
    #[serde(default)]
    pub agent2_id: String,
    #[serde(default)]
    pub agent2_key: String,
    /// The demo provider: a loopback echo service that answers 200 with what it received when
    /// the demo secret's credential arrives as `Authorization: Bearer …`, 401 otherwise. The
    /// demo secret may be sent only there.
    pub provider_url: String,
}

impl DevTenant {
    /// The tenant as the environment variables the quickstarts and READMEs read (`ALTER_*` for
    /// the clients, `GRANTLINE_*` for `grantline-server admin`): what `dev --format env` prints.
    pub fn env_vars(&self) -> [(&'static str, &str); 15] {
        [
            ("ALTER_BASE_URL", &self.base_url),
            ("ALTER_APP_KEY", &self.app_key),
            ("ALTER_AGENT_ID", &self.agent_id),
            ("ALTER_AGENT_KEY", &self.agent_key),
            ("ALTER_AGENT2_ID", &self.agent2_id),
            ("ALTER_AGENT2_KEY", &self.agent2_key),
            ("ALTER_IDP_ID", &self.idp_id),
            ("ALTER_USER_TOKEN", &self.user_token),
            ("ALTER_GROUP_ID", &self.group_id),
            ("ALTER_MANAGED_SECRET_ID", &self.managed_secret_id),
            ("ALTER_CREDENTIAL_ID", &self.credential_id),
            ("ALTER_PROVIDER_URL", &self.provider_url),
            ("GRANTLINE_URL", &self.base_url),
            ("GRANTLINE_ADMIN_TOKEN", &self.admin_token),
            ("GRANTLINE_APP_ID", &self.app_id),
        ]
    }

    /// `export NAME='value'` lines for a POSIX shell to source, one per
    /// [`DevTenant::env_vars`] entry.
    pub fn shell_exports(&self) -> String {
        self.env_vars()
            .iter()
            .map(|(name, value)| format!("export {name}='{}'\n", value.replace('\'', r"'\''")))
            .collect()
    }
}

impl std::fmt::Debug for DevTenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevTenant")
            .field("base_url", &self.base_url)
            .field("app_id", &self.app_id)
            .field("agent_id", &self.agent_id)
            .field("agent2_id", &self.agent2_id)
            .field("idp_id", &self.idp_id)
            .field("managed_secret_id", &self.managed_secret_id)
            .finish_non_exhaustive()
    }
}

/// The issuer of the demo IDP.
pub const DEV_ISSUER: &str = "https://idp.grantline.dev";
/// The audience of the demo IDP.
pub const DEV_AUDIENCE: &str = "grantline-dev";

/// Provisions a demo tenant on a running server.
pub async fn provision_demo(server: &RunningServer) -> Result<DevTenant, ServerError> {
    let admin = server.admin();
    let app_id = admin
        .create_app(CreateApp {
            name: "demo".into(),
            id: None,
        })
        .await?
        .app_id;
    let agent_id = admin
        .create_agent(
            &app_id,
            CreateAgent {
                name: "demo-agent".into(),
                id: None,
            },
        )
        .await?
        .agent_id;
    let app_key = admin
        .mint_key(
            &app_id,
            MintKey {
                kind: "app".into(),
                ..Default::default()
            },
        )
        .await?
        .key;
    let agent_key = admin
        .mint_key(
            &app_id,
            MintKey {
                kind: "agent".into(),
                agent_id: Some(agent_id.clone()),
                ..Default::default()
            },
        )
        .await?
        .key;
    let agent2_id = admin
        .create_agent(
            &app_id,
            CreateAgent {
                name: "demo-agent-2".into(),
                id: None,
            },
        )
        .await?
        .agent_id;
    let agent2_key = admin
        .mint_key(
            &app_id,
            MintKey {
                kind: "agent".into(),
                agent_id: Some(agent2_id.clone()),
                ..Default::default()
            },
        )
        .await?
        .key;
    let idp_id = admin
        .add_idp(
            &app_id,
            AddIdp {
                issuer: DEV_ISSUER.into(),
                audience: DEV_AUDIENCE.into(),
                hs256_secret: Some(crate::crypto::random_token("")),
                ..Default::default()
            },
        )
        .await?
        .idp_id;
    let user_token = admin
        .mint_user_token(
            &app_id,
            &idp_id,
            MintUserToken {
                sub: "dev-user".into(),
                groups: vec!["eng".into()],
                ttl_seconds: Some(24 * 3600),
                email: Some("dev-user@example.com".into()),
            },
        )
        .await?
        .token;
    let slug = "demo-secret".to_string();
    let demo_value = crate::crypto::random_token("demo_");
    let managed_secret_id = admin
        .add_managed_secret(
            &app_id,
            AddManagedSecret {
                slug: slug.clone(),
                name: "Demo Secret".into(),
                id: None,
            },
        )
        .await?
        .managed_secret_id;
    let credential_id = admin
        .add_credential(
            &app_id,
            &managed_secret_id,
            AddCredential {
                label: "default".into(),
                kind: "developer".into(),
                value: demo_value.clone(),
            },
        )
        .await?
        .credential_id;
    let provider_url = start_echo_provider(server, demo_value).await?;
    admin
        .set_injection(
            &app_id,
            &managed_secret_id,
            SetInjection {
                header: "Authorization".into(),
                format: "Bearer {token}".into(),
                query_param: None,
                allowed_base_urls: Some(vec![provider_url.clone()]),
            },
        )
        .await?;
    Ok(DevTenant {
        base_url: server.base_url().to_string(),
        admin_token: server.admin_token().to_string(),
        app_id,
        app_key,
        agent_id,
        agent_key,
        idp_id,
        user_token,
        group_id: "eng".into(),
        managed_secret_id,
        credential_id,
        managed_secret_slug: slug,
        agent2_id,
        agent2_key,
        provider_url,
    })
}

/// Starts the demo provider on a free loopback port; it stops with `server`. Returns its URL.
async fn start_echo_provider(
    server: &RunningServer,
    credential: String,
) -> Result<String, ServerError> {
    use axum::extract::Request;
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::{IntoResponse, Response};
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let bind = |source| ServerError::Bind { addr: any, source };
    let listener = tokio::net::TcpListener::bind(any).await.map_err(bind)?;
    let addr = listener.local_addr().map_err(bind)?;
    let expected = std::sync::Arc::new(format!("Bearer {credential}"));
    let app = axum::Router::new().fallback(move |req: Request| {
        let expected = expected.clone();
        async move {
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, 1 << 20)
                .await
                .unwrap_or_default();
            let presented = parts.headers.get_all(header::AUTHORIZATION).iter().count();
            let ok = presented == 1
                && parts
                    .headers
                    .get(header::AUTHORIZATION)
                    .map(|v| v.as_bytes())
                    == Some(expected.as_bytes());
            if !ok {
                let mut r: Response = (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(serde_json::json!({"error": "invalid_token"})),
                )
                    .into_response();
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
                return r;
            }
            // What arrived, without the credential.
            let headers: serde_json::Map<String, serde_json::Value> = parts
                .headers
                .iter()
                .filter(|(k, _)| *k != header::AUTHORIZATION)
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into(),
                    )
                })
                .collect();
            axum::Json(serde_json::json!({
                "ok": true,
                "provider": "grantline demo echo",
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "query": parts.uri.query(),
                "headers": headers,
                "body": String::from_utf8_lossy(&body),
            }))
            .into_response()
        }
    });
    let mut stop = server.stop_signal();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await;
    });
    Ok(format!("http://{addr}"))
}

/// Starts a server and provisions the demo tenant.
pub async fn start_dev(config: ServerConfig) -> Result<(RunningServer, DevTenant), ServerError> {
    let server = start(config).await?;
    let tenant = provision_demo(&server).await?;
    Ok((server, tenant))
}
