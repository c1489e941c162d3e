//! `/admin/` routes: bearer admin token, JSON in and out, thin over the provisioning operations
//! of [`crate::service::Service`].

use super::AppState;
use super::body::{parse_json, read_body};
use crate::fault::FaultSpec;
use crate::service::ApiError;
use crate::service::admin_types::*;
use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, patch, post, put};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/apps", post(create_app))
        .route("/admin/apps/{app}/agents", post(create_agent))
        .route("/admin/apps/{app}/agents/{agent}", patch(set_agent_status))
        .route("/admin/apps/{app}/keys", post(mint_key))
        .route("/admin/apps/{app}/keys/{key}", delete(revoke_key))
        .route("/admin/apps/{app}/idps", post(add_idp))
        .route("/admin/apps/{app}/idps/{idp}/tokens", post(mint_user_token))
        .route(
            "/admin/apps/{app}/managed-secrets",
            post(add_managed_secret),
        )
        .route(
            "/admin/apps/{app}/managed-secrets/{ms}/credentials",
            post(add_credential),
        )
        .route(
            "/admin/apps/{app}/oauth-grants",
            post(provision_oauth_grant),
        )
        .route("/admin/apps/{app}/ttl-ceiling", put(set_ttl_ceiling))
        .route("/admin/apps/{app}/audit", axum::routing::get(audit))
        .route(
            "/admin/apps/{app}/managed-secrets/{ms}/injection",
            put(set_injection),
        )
        .route(
            "/admin/apps/{app}/oauth-grants/{grant}/token",
            put(set_grant_token),
        )
        .route("/admin/apps/{app}/api-calls", axum::routing::get(api_calls))
        .route("/admin/faults", post(inject_fault).delete(clear_faults))
        .route_layer(axum::middleware::from_fn_with_state(state, require_admin))
}

async fn require_admin(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let ok = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| crate::crypto::ct_eq(t.trim(), &st.admin_token));
    if !ok {
        return ApiError::new(
            401,
            "unauthorized",
            "the admin API needs Authorization: Bearer <admin token>",
        )
        .into_response();
    }
    next.run(req).await
}

type Ids<T> = Result<Path<T>, PathRejection>;

fn ids<T>(p: Ids<T>) -> Result<T, ApiError> {
    p.map(|Path(t)| t)
        .map_err(|_| ApiError::not_found("resource"))
}

async fn json_body<T: DeserializeOwned>(req: Request) -> Result<T, ApiError> {
    let (parts, body) = req.into_parts();
    let bytes = read_body(&parts.headers, body).await?;
    parse_json(&bytes)
}

fn reply<T: serde::Serialize>(status: StatusCode, r: Result<T, ApiError>) -> Response {
    match r {
        Ok(v) => (status, axum::Json(v)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn create_app(State(st): State<AppState>, req: Request) -> Response {
    let r = async { st.svc.create_app(json_body(req).await?).await }.await;
    reply(StatusCode::CREATED, r)
}

async fn create_agent(State(st): State<AppState>, p: Ids<String>, req: Request) -> Response {
    let r = async {
        let app = ids(p)?;
        st.svc.create_agent(&app, json_body(req).await?).await
    }
    .await;
    reply(StatusCode::CREATED, r)
}

async fn set_agent_status(
    State(st): State<AppState>,
    p: Ids<(String, String)>,
    req: Request,
) -> Response {
    let r = async {
        let (app, agent) = ids(p)?;
        let body: SetAgentStatus = json_body(req).await?;
        st.svc.set_agent_status(&app, &agent, &body.status).await?;
        Ok(json!({"agent_id": agent, "status": body.status}))
    }
    .await;
    reply(StatusCode::OK, r)
}

async fn mint_key(State(st): State<AppState>, p: Ids<String>, req: Request) -> Response {
    let r = async {
        let app = ids(p)?;
        st.svc.mint_key(&app, json_body(req).await?).await
    }
    .await;
    reply(StatusCode::CREATED, r)
}

async fn revoke_key(State(st): State<AppState>, p: Ids<(String, String)>) -> Response {
    let r = async {
        let (app, key) = ids(p)?;
        st.svc.revoke_key(&app, &key).await?;
        Ok(json!({"key_id": key, "status": "revoked"}))
    }
    .await;
    reply(StatusCode::OK, r)
}

async fn add_idp(State(st): State<AppState>, p: Ids<String>, req: Request) -> Response {
    let r = async {
        let app = ids(p)?;
        st.svc.add_idp(&app, json_body(req).await?).await
    }
    .await;
    reply(StatusCode::CREATED, r)
}

async fn mint_user_token(
    State(st): State<AppState>,
    p: Ids<(String, String)>,
    req: Request,
) -> Response {
    let r = async {
        let (app, idp) = ids(p)?;
        st.svc
            .mint_user_token(&app, &idp, json_body(req).await?)
            .await
    }
    .await;
    reply(StatusCode::CREATED, r)
}

async fn add_managed_secret(State(st): State<AppState>, p: Ids<String>, req: Request) -> Response {
    let r = async {
        let app = ids(p)?;
        st.svc.add_managed_secret(&app, json_body(req).await?).await
    }
    .await;
    reply(StatusCode::CREATED, r)
}

async fn add_credential(
    State(st): State<AppState>,
    p: Ids<(String, String)>,
    req: Request,
) -> Response {
    let r = async {
        let (app, ms) = ids(p)?;
        st.svc
            .add_credential(&app, &ms, json_body(req).await?)
            .await
    }
    .await;
    reply(StatusCode::CREATED, r)
}

async fn provision_oauth_grant(
    State(st): State<AppState>,
    p: Ids<String>,
    req: Request,
) -> Response {
    let r = async {
        let app = ids(p)?;
        st.svc
            .provision_oauth_grant(&app, json_body(req).await?)
            .await
    }
    .await;
    reply(StatusCode::CREATED, r)
}

async fn set_ttl_ceiling(State(st): State<AppState>, p: Ids<String>, req: Request) -> Response {
    let r = async {
        let app = ids(p)?;
        let body: TtlCeiling = json_body(req).await?;
        st.svc.set_ttl_ceiling(&app, body.max_ttl_seconds).await?;
        Ok(json!({"max_ttl_seconds": body.max_ttl_seconds}))
    }
    .await;
    reply(StatusCode::OK, r)
}

#[derive(Deserialize)]
struct Paging {
    limit: Option<i64>,
    offset: Option<i64>,
}

async fn audit(
    State(st): State<AppState>,
    p: Ids<String>,
    q: Result<Query<Paging>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let r = async {
        let app = ids(p)?;
        let Query(q) = q.map_err(|e| ApiError::invalid_request(e.body_text()))?;
        st.svc
            .audit(&app, q.limit.unwrap_or(100), q.offset.unwrap_or(0))
            .await
    }
    .await;
    reply(StatusCode::OK, r)
}

async fn inject_fault(State(st): State<AppState>, req: Request) -> Response {
    let r = async {
        let spec: FaultSpec = json_body(req).await?;
        st.svc.inject_fault(spec.clone()).await?;
        Ok(spec)
    }
    .await;
    reply(StatusCode::CREATED, r)
}

async fn clear_faults(State(st): State<AppState>) -> Response {
    st.svc.clear_faults().await;
    (StatusCode::OK, axum::Json(json!({"cleared": true}))).into_response()
}

// Using a grant (service/token.rs).

async fn set_injection(
    State(st): State<AppState>,
    p: Ids<(String, String)>,
    req: Request,
) -> Response {
    let r = async {
        let (app, ms) = ids(p)?;
        st.svc.set_injection(&app, &ms, json_body(req).await?).await
    }
    .await;
    reply(StatusCode::OK, r)
}

async fn set_grant_token(
    State(st): State<AppState>,
    p: Ids<(String, String)>,
    req: Request,
) -> Response {
    let r = async {
        let (app, grant) = ids(p)?;
        st.svc
            .set_grant_token(&app, &grant, json_body(req).await?)
            .await
    }
    .await;
    reply(StatusCode::OK, r)
}

async fn api_calls(
    State(st): State<AppState>,
    p: Ids<String>,
    q: Result<Query<Paging>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let r = async {
        let app = ids(p)?;
        let Query(q) = q.map_err(|e| ApiError::invalid_request(e.body_text()))?;
        st.svc
            .api_calls(&app, q.limit.unwrap_or(100), q.offset.unwrap_or(0))
            .await
    }
    .await;
    reply(StatusCode::OK, r)
}
