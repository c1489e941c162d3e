//! JavaScript arguments to core types. The TypeScript layer hands each call its arguments as one
//! JSON text with the names the user wrote (camelCase); this module checks that each value has
//! the JavaScript type its parameter declares and builds the core value, whose constructors do
//! the actual validation. Nothing here talks to the network.

use crate::error::invalid;
use grantline::{CallerType, Error, GrantPolicy, ListGrantsParams, Principal};
use serde_json::{Map, Value};
use std::time::Duration;

type Obj = Map<String, Value>;

/// The call's argument object.
pub(crate) fn object(json: &str, what: &str) -> Result<Obj, Error> {
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Obj::new()),
        _ => Err(invalid(format!("{what} must be an object"))),
    }
}

fn no_unknown_keys(obj: &Obj, what: &str, allowed: &[&str]) -> Result<(), Error> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(invalid(format!(
            "{what} has an unknown option {key:?}; allowed: {}",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An optional string (absent, `undefined` and `null` are all "not given").
pub(crate) fn opt_str(obj: &Obj, key: &str, what: &str) -> Result<Option<String>, Error> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(invalid(format!(
            "{what}{key} must be a string, not {}",
            type_name(other)
        ))),
    }
}

fn req_str(obj: &Obj, key: &str, what: &str) -> Result<String, Error> {
    opt_str(obj, key, what)?.ok_or_else(|| invalid(format!("{what}{key} is required")))
}

/// An optional non-negative integer within `max`.
fn opt_uint(obj: &Obj, key: &str, what: &str, max: u64) -> Result<Option<u64>, Error> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            let v = n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= max as f64)
                    .map(|f| f as u64)
            });
            match v {
                Some(v) if v <= max => Ok(Some(v)),
                _ => Err(invalid(format!(
                    "{what}{key} must be an integer between 0 and {max} (got {n})"
                ))),
            }
        }
        Some(other) => Err(invalid(format!(
            "{what}{key} must be a number, not {}",
            type_name(other)
        ))),
    }
}

/// Settings shared by `new App(...)` and `new Agent(...)`.
pub(crate) struct ClientOptions {
    pub api_key: String,
    pub base_url: Option<String>,
    pub timeout: Option<Duration>,
    pub max_retries: Option<u32>,
    pub caller: Option<String>,
    pub caller_type: Option<CallerType>,
}

pub(crate) fn client_options(json: &str, app: bool) -> Result<ClientOptions, Error> {
    let obj = object(json, "options")?;
    let allowed: &[&str] = if app {
        &[
            "apiKey",
            "baseUrl",
            "timeout",
            "maxRetries",
            "caller",
            "callerType",
        ]
    } else {
        &["apiKey", "baseUrl", "timeout", "maxRetries", "caller"]
    };
    no_unknown_keys(&obj, "options", allowed)?;
    let timeout = match obj.get("timeout") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_f64() {
            Some(ms) if ms.is_finite() && ms > 0.0 && ms <= 86_400_000.0 => {
                Some(Duration::from_secs_f64(ms / 1000.0))
            }
            _ => {
                return Err(invalid(format!(
                    "timeout must be a positive number of milliseconds (got {n})"
                )));
            }
        },
        Some(other) => {
            return Err(invalid(format!(
                "timeout must be a number of milliseconds, not {}",
                type_name(other)
            )));
        }
    };
    Ok(ClientOptions {
        api_key: req_str(&obj, "apiKey", "")?,
        base_url: opt_str(&obj, "baseUrl", "")?,
        timeout,
        max_retries: opt_uint(&obj, "maxRetries", "", 100)?.map(|n| n as u32),
        caller: opt_str(&obj, "caller", "")?,
        caller_type: opt_str(&obj, "callerType", "")?
            .map(|s| s.parse())
            .transpose()?,
    })
}

/// A principal object `{ type: 'user' | 'group' | 'system' | 'agent', ... }`.
pub(crate) fn principal(value: Option<&Value>) -> Result<Principal, Error> {
    let obj = match value {
        Some(Value::Object(obj)) => obj,
        None | Some(Value::Null) => return Err(invalid("principal is required")),
        Some(other) => {
            return Err(invalid(format!(
                "principal must be an object such as {{ type: 'system' }}, not {}",
                type_name(other)
            )));
        }
    };
    let w = "principal.";
    let kind = req_str(obj, "type", w)?;
    match kind.as_str() {
        "user" => {
            no_unknown_keys(obj, "principal", &["type", "userToken", "label"])?;
            Principal::user(req_str(obj, "userToken", w)?, req_str(obj, "label", w)?)
        }
        "group" => {
            no_unknown_keys(
                obj,
                "principal",
                &["type", "externalGroupId", "idpId", "label"],
            )?;
            Principal::group(
                req_str(obj, "externalGroupId", w)?,
                req_str(obj, "idpId", w)?,
                req_str(obj, "label", w)?,
            )
        }
        "system" => {
            no_unknown_keys(obj, "principal", &["type", "label"])?;
            Principal::system(opt_str(obj, "label", w)?)
        }
        "agent" => {
            no_unknown_keys(obj, "principal", &["type", "label"])?;
            Principal::agent(opt_str(obj, "label", w)?)
        }
        other => Err(invalid(format!(
            "principal.type must be 'user', 'group', 'system' or 'agent', not {other:?}"
        ))),
    }
}

/// A grant policy object. Its camelCase keys become the wire names; any other key is passed on
/// so that the core rejects it.
pub(crate) fn grant_policy(value: Option<&Value>) -> Result<Option<GrantPolicy>, Error> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(obj)) => {
            let wire: Obj = obj
                .iter()
                .map(|(k, v)| {
                    let key = match k.as_str() {
                        "expiresAt" => "expires_at",
                        "maxTtlSeconds" => "max_ttl_seconds",
                        "defaultTtlSeconds" => "default_ttl_seconds",
                        other => other,
                    };
                    (key.to_owned(), v.clone())
                })
                .collect();
            GrantPolicy::from_json(&Value::Object(wire)).map(Some)
        }
        Some(other) => GrantPolicy::from_json(other).map(Some),
    }
}

/// `createManagedSecretGrant(managedSecretId, { principal, grantPolicy, credentialId })`.
pub(crate) struct CreateArgs {
    pub managed_secret_id: String,
    pub principal: Principal,
    pub grant_policy: Option<GrantPolicy>,
    pub credential_id: Option<String>,
}

pub(crate) fn create_args(json: &str) -> Result<CreateArgs, Error> {
    let obj = object(json, "arguments")?;
    let options = match obj.get("options") {
        None | Some(Value::Null) => Obj::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(other) => {
            return Err(invalid(format!(
                "the options of createManagedSecretGrant must be an object, not {}",
                type_name(other)
            )));
        }
    };
    no_unknown_keys(
        &options,
        "createManagedSecretGrant options",
        &["principal", "grantPolicy", "credentialId"],
    )?;
    Ok(CreateArgs {
        managed_secret_id: req_str(&obj, "managedSecretId", "")?,
        principal: principal(options.get("principal"))?,
        grant_policy: grant_policy(options.get("grantPolicy"))?,
        credential_id: opt_str(&options, "credentialId", "")?,
    })
}

/// `listGrants({ providerId, status, account, label, endUserToken, limit, offset })`.
pub(crate) fn list_params(json: &str) -> Result<ListGrantsParams, Error> {
    let obj = object(json, "listGrants options")?;
    no_unknown_keys(
        &obj,
        "listGrants options",
        &[
            "providerId",
            "status",
            "account",
            "label",
            "endUserToken",
            "limit",
            "offset",
        ],
    )?;
    let mut params = ListGrantsParams::new();
    params.provider_id = opt_str(&obj, "providerId", "")?;
    params.status = opt_str(&obj, "status", "")?;
    params.account = opt_str(&obj, "account", "")?;
    params.label = opt_str(&obj, "label", "")?;
    params.end_user_token = opt_str(&obj, "endUserToken", "")?;
    if let Some(limit) = opt_uint(&obj, "limit", "", u32::MAX as u64)? {
        params.limit = limit as u32;
    }
    if let Some(offset) = opt_uint(&obj, "offset", "", 9_007_199_254_740_991)? {
        params.offset = offset;
    }
    Ok(params)
}

/// `revokeGrant(grantId, { reason })`.
pub(crate) fn revoke_args(json: &str) -> Result<(String, Option<String>), Error> {
    let obj = object(json, "arguments")?;
    let options = match obj.get("options") {
        None | Some(Value::Null) => Obj::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(other) => {
            return Err(invalid(format!(
                "the options of revokeGrant must be an object, not {}",
                type_name(other)
            )));
        }
    };
    no_unknown_keys(&options, "revokeGrant options", &["reason"])?;
    Ok((
        req_str(&obj, "grantId", "")?,
        opt_str(&options, "reason", "")?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid_message(r: Result<impl Sized, Error>) -> String {
        match r {
            Err(Error::InvalidArgument { message }) => message,
            Err(other) => panic!("expected InvalidArgument, got {other:?}"),
            Ok(_) => panic!("expected an error"),
        }
    }

    #[test]
    fn principals_convert_and_check_types() {
        let p = principal(Some(
            &serde_json::json!({"type": "user", "userToken": "t", "label": "l"}),
        ));
        assert_eq!(p.unwrap().kind(), "user");
        let p = principal(Some(&serde_json::json!({"type": "system"}))).unwrap();
        assert_eq!(p.label(), None);
        let msg = invalid_message(principal(Some(
            &serde_json::json!({"type": "user", "userToken": 5, "label": "l"}),
        )));
        assert!(
            msg.contains("principal.userToken must be a string"),
            "{msg}"
        );
        assert!(principal(None).is_err());
        assert!(principal(Some(&serde_json::json!({"type": "robot"}))).is_err());
        assert!(principal(Some(&serde_json::json!({"type": "system", "x": 1}))).is_err());
    }

    #[test]
    fn list_options_check_types() {
        let p = list_params(r#"{"limit":5,"offset":10,"label":"x"}"#).unwrap();
        assert_eq!((p.limit, p.offset, p.label.as_deref()), (5, 10, Some("x")));
        assert!(list_params("null").is_ok());
        for bad in [
            r#"{"limit":"5"}"#,
            r#"{"limit":1.5}"#,
            r#"{"offset":-1}"#,
            r#"{"label":5}"#,
            r#"{"nope":1}"#,
            r#""x""#,
        ] {
            invalid_message(list_params(bad));
        }
    }

    #[test]
    fn policy_keys_are_renamed_and_unknown_ones_rejected() {
        let p = grant_policy(Some(
            &serde_json::json!({"maxTtlSeconds": 60, "defaultTtlSeconds": 5}),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(
            (p.max_ttl_seconds, p.default_ttl_seconds),
            (Some(60), Some(5))
        );
        assert!(grant_policy(Some(&serde_json::json!({"restrictions": {}}))).is_err());
        assert!(grant_policy(None).unwrap().is_none());
    }

    #[test]
    fn client_options() {
        let o =
            super::client_options(r#"{"apiKey":"k","timeout":1500,"maxRetries":0}"#, true).unwrap();
        assert_eq!(o.timeout, Some(Duration::from_millis(1500)));
        assert_eq!(o.max_retries, Some(0));
        invalid_message(super::client_options(r#"{"apiKey":"k","timeout":0}"#, true));
        invalid_message(super::client_options(
            r#"{"apiKey":"k","callerType":"agent"}"#,
            false,
        ));
        invalid_message(super::client_options(r#"{}"#, true));
    }
}
