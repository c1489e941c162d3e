//! User tokens signed with ES256, verified through a JWKS file and a JWKS URL.

mod common;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use common::*;
use grantline_server::admin::AddIdp;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

struct Es256 {
    pkcs8: Vec<u8>,
    jwk: Value,
}

fn es256(kid: &str) -> Es256 {
    let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref()).unwrap();
    let point = pair.public_key().as_ref().to_vec();
    assert_eq!(point.len(), 65);
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    Es256 {
        pkcs8: doc.as_ref().to_vec(),
        jwk: json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..]),
                    "kid": kid, "alg": "ES256", "use": "sig"}),
    }
}

fn sign(k: &Es256, kid: &str, claims: Value) -> String {
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some(kid.into());
    jsonwebtoken::encode(&h, &claims, &EncodingKey::from_ec_der(&k.pkcs8)).unwrap()
}

fn claims(iss: &str, aud: &str, sub: &str, exp_in: i64) -> Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    json!({"iss": iss, "aud": aud, "sub": sub, "exp": now + exp_in, "iat": now, "roles": ["eng"]})
}

#[tokio::test]
async fn es256_tokens_from_a_jwks_file_and_url() {
    let env = Env::new().await;
    let key = es256("k1");
    let other = es256("k1");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, json!({"keys": [key.jwk]}).to_string()).unwrap();
    let idp_file = env
        .admin()
        .add_idp(
            &env.t.app_id,
            AddIdp {
                issuer: "https://file-idp".into(),
                audience: "api".into(),
                jwks_file: Some(file.to_str().unwrap().into()),
                groups_claim: Some("roles".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .idp_id;
    // A JWKS URL served on loopback.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let jwks = json!({"keys": [key.jwk]});
    let router = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            let j = jwks.clone();
            async move { axum::Json(j) }
        }),
    );
    let jwks_server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    env.admin()
        .add_idp(
            &env.t.app_id,
            AddIdp {
                issuer: "https://url-idp".into(),
                audience: "api".into(),
                jwks_url: Some(format!("http://{addr}/jwks.json")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let c = env.app();
    let ms = &env.t.managed_secret_id;
    let user = |t: String, label: &str| json!({"principal": {"type": "user", "user_token": t, "label": label}, "grant_policy": {}});
    c.create(
        ms,
        user(
            sign(&key, "k1", claims("https://file-idp", "api", "carol", 600)),
            "f",
        ),
    )
    .await
    .expect(201, "");
    c.create(
        ms,
        user(
            sign(&key, "k1", claims("https://url-idp", "api", "dave", 600)),
            "u",
        ),
    )
    .await
    .expect(201, "");
    // Wrong key, audience, expiry, kid.
    for (t, why) in [
        (
            sign(
                &other,
                "k1",
                claims("https://file-idp", "api", "carol", 600),
            ),
            "signature",
        ),
        (
            sign(&key, "k1", claims("https://file-idp", "web", "carol", 600)),
            "audience",
        ),
        (
            sign(&key, "k1", claims("https://file-idp", "api", "carol", -600)),
            "expired",
        ),
        (
            sign(&key, "k9", claims("https://url-idp", "api", "dave", 600)),
            "kid",
        ),
    ] {
        let r = c.create(ms, user(t, why)).await;
        assert_eq!((r.status, r.code()), (401, "jwt_validation_error"), "{why}");
    }
    // The groups claim is configurable: a group grant on the file IDP is visible to carol.
    c.create(
        ms,
        json!({"principal": {"type": "group", "external_group_id": "eng", "idp_id": idp_file, "label": "team"},
               "grant_policy": {}}),
    )
    .await
    .expect(201, "");
    let l = c
        .list(json!({"user_token": sign(&key, "k1", claims("https://file-idp", "api", "carol", 600))}))
        .await;
    assert_eq!(l.body["total"], 2);
    jwks_server.abort();
}
