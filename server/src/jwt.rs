//! User tokens: JWTs verified against the IDPs of an app (HS256 secret, or RS256/ES256 keys
//! from a JWKS file or URL), and development tokens minted for HS256 IDPs.

use crate::crypto::MasterKey;
use crate::store::IdpRec;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a JWKS fetched from a URL is reused.
const JWKS_TTL: Duration = Duration::from_secs(300);
/// Allowed clock skew for `exp`/`nbf`, seconds.
const LEEWAY: i64 = 30;

/// A verified user token.
#[derive(Debug, Clone)]
pub struct VerifiedUser {
    pub idp_id: String,
    pub sub: String,
    pub groups: Vec<String>,
    pub email: Option<String>,
}

/// Verifies tokens; caches JWKS documents fetched from URLs.
pub struct JwtVerifier {
    http: reqwest::Client,
    jwks_cache: Mutex<HashMap<String, (Instant, JwkSet)>>,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtVerifier")
    }
}

impl Default for JwtVerifier {
    fn default() -> Self {
        Self::new()
    }
}

/// Reads the unverified payload (only to find which IDP should verify it).
fn unverified_claims(token: &str) -> Option<Map<String, Value>> {
    let mut parts = token.split('.');
    let (_h, p, _s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(p.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

fn groups_of(claims: &Map<String, Value>, claim: &str) -> Vec<String> {
    match claims.get(claim) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => s
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

impl JwtVerifier {
    /// A verifier with its own HTTP client for JWKS URLs.
    pub fn new() -> Self {
        JwtVerifier {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            jwks_cache: Mutex::new(HashMap::new()),
        }
    }

    async fn jwks(&self, idp: &IdpRec) -> Result<JwkSet, String> {
        if let Some(path) = &idp.jwks_file {
            let text = tokio::fs::read_to_string(path)
                .await
                .map_err(|e| format!("cannot read the IDP's JWKS file: {e}"))?;
            return serde_json::from_str(&text).map_err(|e| format!("invalid JWKS file: {e}"));
        }
        let Some(url) = &idp.jwks_url else {
            return Err("the IDP has no verification key".into());
        };
        if let Some((at, set)) = self
            .jwks_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(url)
            && at.elapsed() < JWKS_TTL
        {
            return Ok(set.clone());
        }
        let set: JwkSet = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| format!("cannot fetch the IDP's JWKS: {e}"))?
            .error_for_status()
            .map_err(|e| format!("cannot fetch the IDP's JWKS: {e}"))?
            .json()
            .await
            .map_err(|e| format!("invalid JWKS document: {e}"))?;
        self.jwks_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(url.clone(), (Instant::now(), set.clone()));
        Ok(set)
    }

    /// Verifies `token` against the IDPs of an app: signature, `iss`, `aud`, `exp`/`nbf` (at
    /// `now`, Unix seconds) and a non-empty `sub`. The error text is safe to show.
    pub async fn verify(
        &self,
        token: &str,
        idps: &[IdpRec],
        master: &MasterKey,
        now: i64,
    ) -> Result<VerifiedUser, String> {
        let claims = unverified_claims(token).ok_or("user_token is not a well-formed JWT")?;
        let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
        let candidates: Vec<&IdpRec> = idps.iter().filter(|i| i.issuer == iss).collect();
        if candidates.is_empty() {
            return Err("user_token was not issued by an identity provider of this app".into());
        }
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| "user_token has an invalid header")?;
        let mut last_err = String::from("user_token could not be verified");
        for idp in candidates {
            match self.verify_with(token, &header, idp, master, now).await {
                Ok(user) => return Ok(user),
                Err(e) => last_err = e,
            }
        }
        Err(last_err)
    }

    async fn verify_with(
        &self,
        token: &str,
        header: &Header,
        idp: &IdpRec,
        master: &MasterKey,
        now: i64,
    ) -> Result<VerifiedUser, String> {
        let (key, alg) = if let Some(sealed) = &idp.hs256_secret {
            if header.alg != Algorithm::HS256 {
                return Err("user_token must be signed with HS256 for this IDP".into());
            }
            let secret = master
                .decrypt(sealed, idp.id.as_bytes())
                .map_err(|_| "the IDP's secret cannot be decrypted")?;
            (DecodingKey::from_secret(&secret), Algorithm::HS256)
        } else {
            if !matches!(
                header.alg,
                Algorithm::RS256
                    | Algorithm::RS384
                    | Algorithm::RS512
                    | Algorithm::ES256
                    | Algorithm::ES384
                    | Algorithm::PS256
            ) {
                return Err("user_token uses an algorithm this IDP does not accept".into());
            }
            let set = self.jwks(idp).await?;
            let jwk = match &header.kid {
                Some(kid) => set.find(kid),
                None if set.keys.len() == 1 => set.keys.first(),
                None => None,
            }
            .ok_or("no key of the IDP's JWKS matches the token's kid")?;
            (
                DecodingKey::from_jwk(jwk).map_err(|_| "the IDP's JWKS key is unusable")?,
                header.alg,
            )
        };
        let mut validation = Validation::new(alg);
        validation.set_audience(&[idp.audience.as_str()]);
        validation.set_issuer(&[idp.issuer.as_str()]);
        // exp/nbf are checked below against the server's clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.required_spec_claims = ["exp", "sub", "iss", "aud"]
            .into_iter()
            .map(String::from)
            .collect();
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|e| format!("user_token rejected: {e}"))?;
        let claims = data.claims;
        let exp = claims
            .get("exp")
            .and_then(Value::as_i64)
            .ok_or("user_token has no numeric exp")?;
        if exp + LEEWAY < now {
            return Err("user_token has expired".into());
        }
        if let Some(nbf) = claims.get("nbf").and_then(Value::as_i64)
            && nbf - LEEWAY > now
        {
            return Err("user_token is not valid yet".into());
        }
        let sub = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && s.len() <= 255)
            .ok_or("user_token has no usable sub")?
            .to_string();
        Ok(VerifiedUser {
            idp_id: idp.id.clone(),
            sub,
            groups: groups_of(&claims, &idp.groups_claim),
            email: claims
                .get("email")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }
}

/// Claims of a development token.
pub struct DevTokenClaims<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub groups_claim: &'a str,
    pub sub: &'a str,
    pub groups: &'a [String],
    pub email: Option<&'a str>,
    pub issued_at: i64,
    pub ttl_seconds: i64,
}

/// Mints an HS256 token with `secret`.
pub fn mint_hs256(secret: &[u8], c: &DevTokenClaims<'_>) -> Result<String, String> {
    let mut claims = Map::new();
    claims.insert("iss".into(), c.issuer.into());
    claims.insert("aud".into(), c.audience.into());
    claims.insert("sub".into(), c.sub.into());
    claims.insert("iat".into(), c.issued_at.into());
    claims.insert("exp".into(), (c.issued_at + c.ttl_seconds).into());
    claims.insert(c.groups_claim.into(), c.groups.to_vec().into());
    if let Some(e) = c.email {
        claims.insert("email".into(), e.into());
    }
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .map_err(|e| e.to_string())
}
