//! The `/sdk` endpoints: read the body, authenticate, call the service, answer with
//! `X-Alter-Actor-ID` (unless the request impersonated a caller).

use super::AppState;
use super::body::{parse_json, read_body};
use crate::fault::{FaultStage, with_request_path};
use crate::service::{
    ApiCallBody, ApiError, Caller, CreateGrantBody, DelegateBody, ListGrantsBody, MintGrantBody,
    NonceClaim, RequestHeaders, RevokeGrantBody, ScopeMismatchBody, SignedRequest, TokenBody,
};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/sdk/managed-secrets/{id}/grants", post(create_grant))
        .route("/sdk/grants/list", post(list_grants))
        .route("/sdk/oauth/grants/{id}/revoke", post(revoke_grant))
        .route("/sdk/token", post(lease_token))
        .route("/sdk/oauth/audit/api-call", post(record_api_call))
        .route(
            "/sdk/grants/{id}/report-scope-mismatch",
            post(report_scope_mismatch),
        )
        .route("/sdk/grants/{id}/mint", post(mint_grant))
        .route("/sdk/grants/{id}/delegate", post(delegate))
        .route(
            "/sdk/grants/{id}/delegations/{agent}",
            delete(revoke_delegation),
        )
        .route_layer(axum::middleware::from_fn_with_state(state, faults))
}

/// Applies an injected fault, if one matches (see [`crate::fault`]).
async fn faults(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if st.svc.faults.is_empty() {
        return next.run(req).await;
    }
    let path = req.uri().path().to_owned();
    if let Some(fault) = st.svc.faults.take(FaultStage::Request, &path) {
        if let Some(ms) = fault.delay_ms {
            tokio::time::sleep(std::time::Duration::from_millis(ms.min(600_000))).await;
        }
        if fault.status != 0 {
            let status =
                StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = fault.body.unwrap_or_else(|| {
                serde_json::json!({
                    "error": "injected_fault",
                    "message": format!("fault injected with status {}", fault.status),
                })
                .to_string()
            });
            let mut resp = (status, body).into_response();
            resp.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            for (name, value) in &fault.headers {
                // Checked when the fault was added.
                if let (Ok(n), Ok(v)) = (
                    axum::http::HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(value),
                ) {
                    resp.headers_mut().insert(n, v);
                }
            }
            if let Some(ra) = fault
                .retry_after
                .as_deref()
                .and_then(|v| HeaderValue::from_str(v).ok())
            {
                resp.headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, ra);
            }
            return resp;
        }
    }
    with_request_path(path, next.run(req)).await
}

/// Authentication reads headers through this (the service layer knows no HTTP types).
struct Headers<'a>(&'a HeaderMap);

impl RequestHeaders for Headers<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.to_str().ok())
    }
}

fn with_actor(mut resp: Response, actor: Option<&str>) -> Response {
    if let Some(v) = actor.and_then(|a| HeaderValue::from_str(a).ok()) {
        resp.headers_mut().insert("x-alter-actor-id", v);
    }
    resp
}

/// Reads, authenticates and dispatches one `/sdk` call. The operation remembers the request's
/// nonce; when it ends before doing so (an early error), the nonce is remembered here, and a
/// replay answers 401 `replayed_nonce` whatever the operation said.
async fn sdk_call<F, Fut>(st: AppState, req: Request, f: F) -> Response
where
    F: FnOnce(AppState, Caller, Arc<NonceClaim>, Bytes) -> Fut,
    Fut: Future<Output = Result<(StatusCode, Value), ApiError>>,
{
    let (parts, body) = req.into_parts();
    let bytes = match read_body(&parts.headers, body).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or_else(|| parts.uri.path());
    let request = SignedRequest {
        method: parts.method.as_str(),
        path_and_query,
        headers: &Headers(&parts.headers),
        body: &bytes,
    };
    let auth = match st.svc.authenticate(&request).await {
        Ok(a) => a,
        Err(fail) => return with_actor(fail.error.into_response(), fail.actor_id.as_deref()),
    };
    st.svc.faults.pause(FaultStage::Authenticated).await;
    let actor = auth.actor_id.clone();
    let svc = st.svc.clone();
    let result = f(st, auth.caller, auth.nonce.clone(), bytes).await;
    let result = match svc.remember_nonce(&auth.nonce).await {
        Ok(()) => result,
        Err(e) if e.code == "replayed_nonce" => {
            return with_actor(e.into_response(), Some(&auth.key_actor_id));
        }
        Err(e) => Err(e),
    };
    let resp = match result {
        Ok((StatusCode::NO_CONTENT, _)) => StatusCode::NO_CONTENT.into_response(),
        Ok((status, value)) => (status, axum::Json(value)).into_response(),
        Err(e) if e.code == "replayed_nonce" => {
            return with_actor(e.into_response(), Some(&auth.key_actor_id));
        }
        Err(e) => e.into_response(),
    };
    with_actor(resp, actor.as_deref())
}

fn path_id(p: Result<Path<String>, PathRejection>) -> String {
    p.map(|Path(id)| id).unwrap_or_default()
}

async fn create_grant(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    req: Request,
) -> Response {
    let id = path_id(id);
    sdk_call(st, req, move |st, caller, nonce, bytes| async move {
        let body: CreateGrantBody = parse_json(&bytes)?;
        let v = st.svc.create_grant(&caller, &nonce, &id, body).await?;
        Ok((StatusCode::CREATED, v))
    })
    .await
}

async fn list_grants(State(st): State<AppState>, req: Request) -> Response {
    sdk_call(st, req, move |st, caller, nonce, bytes| async move {
        let body: ListGrantsBody = parse_json(&bytes)?;
        Ok((
            StatusCode::OK,
            st.svc.list_grants(&caller, &nonce, body).await?,
        ))
    })
    .await
}

async fn revoke_grant(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    req: Request,
) -> Response {
    let id = path_id(id);
    sdk_call(st, req, move |st, caller, nonce, bytes| async move {
        let body: RevokeGrantBody = if bytes.is_empty() {
            RevokeGrantBody::default()
        } else {
            parse_json(&bytes)?
        };
        Ok((
            StatusCode::OK,
            st.svc.revoke_grant(&caller, &nonce, &id, body).await?,
        ))
    })
    .await
}

async fn mint_grant(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    req: Request,
) -> Response {
    let id = path_id(id);
    sdk_call(st, req, move |st, caller, nonce, bytes| async move {
        let body: MintGrantBody = parse_json(&bytes)?;
        let v = st.svc.mint_grant(&caller, &nonce, &id, body).await?;
        Ok((StatusCode::CREATED, v))
    })
    .await
}

async fn delegate(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    req: Request,
) -> Response {
    let id = path_id(id);
    sdk_call(st, req, move |st, caller, nonce, bytes| async move {
        let body: DelegateBody = parse_json(&bytes)?;
        let v = st.svc.delegate(&caller, &nonce, &id, body).await?;
        Ok((StatusCode::CREATED, v))
    })
    .await
}

async fn revoke_delegation(
    State(st): State<AppState>,
    ids: Result<Path<(String, String)>, PathRejection>,
    req: Request,
) -> Response {
    let (id, agent) = ids.map(|Path(p)| p).unwrap_or_default();
    sdk_call(st, req, move |st, caller, nonce, bytes| async move {
        if !bytes.is_empty() {
            return Err(ApiError::invalid_request("this request takes no body"));
        }
        st.svc
            .revoke_delegation(&caller, &nonce, &id, &agent)
            .await?;
        Ok((StatusCode::NO_CONTENT, Value::Null))
    })
    .await
}

// Using a grant (service/token.rs).

async fn lease_token(State(st): State<AppState>, req: Request) -> Response {
    sdk_call(st, req, move |st, caller, nonce, bytes| async move {
        let body: TokenBody = parse_json(&bytes)?;
        Ok((
            StatusCode::OK,
            st.svc.lease_token(&caller, &nonce, body).await?,
        ))
    })
    .await
}

async fn record_api_call(State(st): State<AppState>, req: Request) -> Response {
    sdk_call(st, req, move |st, caller, nonce, bytes| async move {
        let body: ApiCallBody = parse_json(&bytes)?;
        Ok((
            StatusCode::CREATED,
            st.svc.record_api_call(&caller, &nonce, body).await?,
        ))
    })
    .await
}

async fn report_scope_mismatch(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    req: Request,
) -> Response {
    let id = path_id(id);
    let resp = sdk_call(st, req, move |st, caller, nonce, bytes| async move {
        let body: ScopeMismatchBody = parse_json(&bytes)?;
        st.svc
            .report_scope_mismatch(&caller, &nonce, &id, body)
            .await?;
        Ok((StatusCode::NO_CONTENT, Value::Null))
    })
    .await;
    if resp.status() == StatusCode::NO_CONTENT {
        // 204 carries no body.
        let (parts, _) = resp.into_parts();
        return Response::from_parts(parts, axum::body::Body::empty());
    }
    resp
}
