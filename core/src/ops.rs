//! Every operation of the API, written once.
//!
//! The table at the bottom of this file declares each operation: its name, required
//! (positional) arguments, options struct, result, documentation, and which clients have it.
//! From it come the typed methods of [`App`](crate::App), [`Agent`](crate::Agent) and their
//! [`blocking`](crate::blocking) twins, the [`Call`]/[`Outcome`] pair bindings submit and receive
//! (`Call::from_value` reads a host language's arguments with the core's rules), and
//! [`OPERATIONS`], which the language suites check their surfaces against. The behaviour of
//! each operation is one function in `run`.
//!
//! Adding an operation: a row in the table, an options struct in `options.rs`, a function in
//! `run`; then each binding's host layer (its typed signature and docs), and an arm for a new
//! result type where a binding converts results.

use crate::args::{self, ArgFields, Dialect};
use crate::error::Error;
use crate::models::{CreateGrantResult, DelegationResult, GrantInfo, GrantPage, RevokeGrantResult};
use crate::options::{
    CreateGrantOptions, DelegateOptions, ListGrantsParams, MintGrantOptions, RequestOptions,
    RevokeDelegationOptions, RevokeGrantOptions,
};
use crate::principal::Principal;
use crate::request::ProviderResponse;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The kinds of client an operation may be called on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKind {
    /// [`App`](crate::App) and `blocking::App`.
    App,
    /// [`Agent`](crate::Agent) and `blocking::Agent`.
    Agent,
}

/// What the language suites need to know of one operation.
#[derive(Debug)]
pub struct OperationSpec {
    /// The name (snake_case; bindings spell it in their dialect).
    pub name: &'static str,
    /// The required arguments, in order.
    pub positional: &'static [&'static str],
    /// The option names (snake_case), in declaration order.
    pub options: fn() -> &'static [&'static str],
    /// The options' defaults: every option with a non-null default.
    pub defaults: fn() -> Map<String, Value>,
    /// The clients that have it.
    pub clients: &'static [ClientKind],
    /// The option an app's user-token getter fills when the call names no end-user token.
    pub user_token_option: Option<&'static str>,
    /// Options only an app passes (an agent's call takes them from its own key).
    pub app_only: &'static [&'static str],
}

/// Reads one required argument out of the argument object (through a one-field object, so an
/// error names it as the caller wrote it).
fn take<T: DeserializeOwned>(
    args: &mut Map<String, Value>,
    name: &str,
    dialect: Dialect,
) -> Result<T, Error> {
    let key = dialect.name(name);
    let value = args
        .remove(&key)
        .filter(|v| !v.is_null())
        .ok_or_else(|| Error::invalid(format!("{key} is required")))?;
    let mut one = Map::new();
    one.insert(key, value);
    let mut read: std::collections::HashMap<String, T> =
        args::from_value(Value::Object(one), dialect)?;
    Ok(read
        .remove(name)
        .expect("the one key, renamed to the core's name"))
}

fn no_such_operation(name: &str, client: &str) -> Error {
    Error::invalid(format!("{client} has no operation {name:?}"))
}

/// Emits its body for `yes`, nothing for `no`.
macro_rules! when {
    (yes { $($t:tt)* }) => { $($t)* };
    (no { $($t:tt)* }) => {};
}

/// `yes` → `$then`, `no` → `$else`.
macro_rules! either {
    (yes { $($then:tt)* } else { $($else:tt)* }) => { $($then)* };
    (no { $($then:tt)* } else { $($else:tt)* }) => { $($else)* };
}

macro_rules! operations {
    ($(
        $(#[doc = $doc:literal])*
        $Variant:ident $method:ident ( $($pos:ident : $pty:ty),* ) $Opts:ty => $Out:ty,
        app: $app:ident, agent: $agent:ident, user_token: $token:expr
        $(, app_only: [$($app_only:literal),*])?;
    )*) => {
        /// One call, as a binding submits it: its arguments, already read and checked.
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        #[allow(clippy::large_enum_variant)] // one value per call, moved once
        pub enum Call {
            $(
                #[doc = concat!("`", stringify!($method), "`.")]
                $Variant {
                    $(
                        #[doc = concat!("`", stringify!($pos), "`.")]
                        $pos: $pty,
                    )*
                    /// The call's options.
                    options: $Opts,
                },
            )*
        }

        /// What a [`Call`] returns.
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        #[allow(clippy::large_enum_variant)] // one value per call, moved once
        pub enum Outcome {
            $(
                #[doc = concat!("The result of `", stringify!($method), "`.")]
                $Variant($Out),
            )*
        }

        impl Call {
            /// Reads the call `operation` from one JSON object of arguments written in `dialect`
            /// (required arguments and options side by side), with every rule of the typed
            /// methods. The operation name is snake_case in every dialect.
            pub fn from_value(operation: &str, args: Value, dialect: Dialect) -> Result<Call, Error> {
                let mut args = match args {
                    Value::Object(map) => map,
                    Value::Null => Map::new(),
                    _ => return Err(Error::invalid("the arguments must be an object")),
                };
                match operation {
                    $(
                        stringify!($method) => {
                            $( let $pos: $pty = take(&mut args, stringify!($pos), dialect)?; )*
                            let options: $Opts = args::from_value(Value::Object(args), dialect)?;
                            Ok(Call::$Variant { $($pos,)* options })
                        }
                    )*
                    other => Err(Error::invalid(format!("no such operation: {other:?}"))),
                }
            }

            /// The operation's name.
            pub fn name(&self) -> &'static str {
                match self {
                    $( Call::$Variant { .. } => stringify!($method), )*
                }
            }
        }

        /// Every operation, in the order of the table.
        pub static OPERATIONS: &[OperationSpec] = &[
            $(
                OperationSpec {
                    name: stringify!($method),
                    positional: &[$(stringify!($pos)),*],
                    options: <$Opts as ArgFields>::fields,
                    defaults: <$Opts as ArgFields>::defaults,
                    clients: {
                        const APP: &[ClientKind] = either!($app { &[ClientKind::App] } else { &[] });
                        const AGENT: &[ClientKind] = either!($agent { &[ClientKind::Agent] } else { &[] });
                        match (APP.len(), AGENT.len()) {
                            (1, 1) => &[ClientKind::App, ClientKind::Agent],
                            (1, _) => &[ClientKind::App],
                            _ => &[ClientKind::Agent],
                        }
                    },
                    user_token_option: $token,
                    app_only: &[$($($app_only),*)?],
                },
            )*
        ];

        /// Every required-argument name, for renaming keys.
        pub(crate) fn positional_fields() -> impl Iterator<Item = &'static str> {
            OPERATIONS.iter().flat_map(|o| o.positional.iter().copied())
        }

        operations!(@client crate::App, "App", run, async;
            $( $(#[doc = $doc])* $Variant $method ($($pos: $pty),*) $Opts => $Out, $app; )*);
        operations!(@client crate::Agent, "Agent", run, async;
            $( $(#[doc = $doc])* $Variant $method ($($pos: $pty),*) $Opts => $Out, $agent; )*);
        #[cfg(feature = "blocking")]
        operations!(@client crate::blocking::App, crate::App, run, blocking;
            $( $(#[doc = $doc])* $Variant $method ($($pos: $pty),*) $Opts => $Out, $app; )*);
        #[cfg(feature = "blocking")]
        operations!(@client crate::blocking::Agent, crate::Agent, run, blocking;
            $( $(#[doc = $doc])* $Variant $method ($($pos: $pty),*) $Opts => $Out, $agent; )*);
    };

    (@client $Client:path, $label:literal, $run:ident, async; $(
        $(#[doc = $doc:literal])*
        $Variant:ident $method:ident ( $($pos:ident : $pty:ty),* ) $Opts:ty => $Out:ty, $has:ident;
    )*) => {
        impl $Client {
            $(
                when!($has {
                    $(#[doc = $doc])*
                    pub async fn $method(&self, $($pos: impl Into<$pty>,)* options: $Opts) -> Result<$Out, Error> {
                        $run::$method(&self.core, $($pos.into(),)* options).await
                    }
                });
            )*

            /// Runs one [`Call`] (what bindings submit); an operation this client does not
            /// have is an [`Error::InvalidArgument`].
            pub async fn call(&self, call: Call) -> Result<Outcome, Error> {
                match call {
                    $(
                        #[allow(unused_variables)]
                        Call::$Variant { $($pos,)* options } => either!($has {
                            self.$method($($pos,)* options).await.map(Outcome::$Variant)
                        } else {
                            Err(no_such_operation(stringify!($method), $label))
                        }),
                    )*
                }
            }
        }
    };

    (@client $Client:path, $Async:path, $run:ident, blocking; $(
        $(#[doc = $doc:literal])*
        $Variant:ident $method:ident ( $($pos:ident : $pty:ty),* ) $Opts:ty => $Out:ty, $has:ident;
    )*) => {
        impl $Client {
            $(
                when!($has {
                    $(#[doc = $doc])*
                    pub fn $method(&self, $($pos: impl Into<$pty>,)* options: $Opts) -> Result<$Out, Error> {
                        $(let $pos: $pty = $pos.into();)*
                        self.run(move |core| async move { $run::$method(&core, $($pos,)* options).await })
                    }
                });
            )*

            /// Runs one [`Call`] on the calling thread; see the async client's `call`.
            pub fn call(&self, call: Call) -> Result<Outcome, Error> {
                self.run(move |core| async move { <$Async>::from_core(core).call(call).await })
            }
        }
    };
}

operations! {
    /// Issues a grant on a managed secret to `principal`. On an [`Agent`](crate::Agent) only
    /// [`Principal::Agent`] is accepted: an agent issues grants only for itself. Never retried
    /// once the server may have acted on it.
    CreateManagedSecretGrant create_managed_secret_grant(managed_secret_id: String, principal: Principal)
        CreateGrantOptions => CreateGrantResult,
        app: yes, agent: yes, user_token: None;

    /// One page of the grants this client can see: an app, every grant of the app (or, with an
    /// end-user token, that user's and their groups'); an agent, its own.
    ListGrants list_grants() ListGrantsParams => GrantPage,
        app: yes, agent: yes, user_token: Some("end_user_token");

    /// Revokes a grant of either kind. `grant_id` must be a canonical UUID (any case).
    RevokeGrant revoke_grant(grant_id: String) RevokeGrantOptions => RevokeGrantResult,
        app: yes, agent: no, user_token: Some("user_token");

    /// Mints a sibling grant on the source grant's credential: the same principal, its own
    /// `label` and policy. Delegations are not copied. Apps only (minting administers grants).
    MintGrant mint_grant(source_grant_id: String, label: String) MintGrantOptions => GrantInfo,
        app: yes, agent: no, user_token: None;

    /// Hands a grant this agent holds to another agent of the same app, one level deeper: the
    /// child never outlives or outranks it. Agents only.
    Delegate delegate(grant_id: String, to_agent_id: String) DelegateOptions => DelegationResult,
        app: no, agent: yes, user_token: None;

    /// Revokes a delegation of a grant, and every delegation below it; the grant itself stays.
    /// An app names the agent (`agent_id`); an agent revokes its own. Idempotent.
    RevokeDelegation revoke_delegation(grant_id: String) RevokeDelegationOptions => (),
        app: yes, agent: yes, user_token: None, app_only: ["agent_id"];

    /// Calls a provider's API with a grant's credential injected: leases the credential
    /// (`/sdk/token`), sends `method url` with it (https only, or http to a loopback host; to
    /// the secret's allowed base URLs when it has them; never retried, redirects not
    /// followed), and records the call in the background (flushed by `flush`). A provider
    /// status ≥ 400 is an error: 401 `ProviderUnauthorized`, 403 with `insufficient_scope`
    /// `ScopeReauthRequired` (the grant is reported), else `ProviderApi`.
    Request request(method: String, url: String) RequestOptions => ProviderResponse,
        app: yes, agent: yes, user_token: Some("user_token");
}

/// The behaviour of each operation, once for every client.
pub(crate) mod run {
    use super::*;

    pub(crate) async fn request(
        core: &crate::client::Core,
        method: String,
        url: String,
        options: RequestOptions,
    ) -> Result<ProviderResponse, Error> {
        crate::request::request(core, method, url, options).await
    }
    use crate::client::{Core, Role, canonical_uuid, encode_segment};
    use crate::policy::GrantPolicy;
    use crate::transport::{Idempotency, Method};
    use serde::Serialize;

    pub(crate) async fn create_managed_secret_grant(
        core: &Core,
        managed_secret_id: String,
        principal: Principal,
        options: CreateGrantOptions,
    ) -> Result<CreateGrantResult, Error> {
        if core.role == Role::Agent && !matches!(principal, Principal::Agent { .. }) {
            return Err(Error::invalid(format!(
                "an Agent issues grants only for itself: use an agent principal, not a {} principal",
                principal.kind()
            )));
        }
        if managed_secret_id.is_empty() {
            return Err(Error::invalid(
                "managed_secret_id must be a non-empty string",
            ));
        }
        principal.validate()?;
        options.validate()?;
        #[derive(Serialize)]
        struct Body<'a> {
            principal: &'a Principal,
            grant_policy: &'a GrantPolicy,
            #[serde(skip_serializing_if = "Option::is_none")]
            credential_id: Option<&'a str>,
        }
        let empty = GrantPolicy::default();
        let body = serde_json::to_vec(&Body {
            principal: &principal,
            grant_policy: options.grant_policy.as_ref().unwrap_or(&empty),
            credential_id: options.credential_id.as_deref(),
        })
        .expect("serializing a grant request cannot fail");
        let path = format!(
            "/sdk/managed-secrets/{}/grants",
            encode_segment(&managed_secret_id)
        );
        core.post(
            &path,
            body,
            Idempotency::Write,
            options.timeout,
            "create_managed_secret_grant",
        )
        .await
    }

    pub(crate) async fn list_grants(
        core: &Core,
        params: ListGrantsParams,
    ) -> Result<GrantPage, Error> {
        params.validate()?;
        let token = core.user_token(params.end_user_token.as_deref()).await?;
        let body = params.body(token.as_deref());
        core.post_with(
            "/sdk/grants/list",
            body,
            Idempotency::Read,
            params.timeout,
            "list_grants",
            GrantPage::from_slice,
        )
        .await
    }

    pub(crate) async fn revoke_grant(
        core: &Core,
        grant_id: String,
        options: RevokeGrantOptions,
    ) -> Result<RevokeGrantResult, Error> {
        let grant_id = canonical_uuid(&grant_id, "grant_id", false)?;
        options.validate()?;
        let token = core.user_token(options.user_token.as_deref()).await?;
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            reason: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            user_token: Option<&'a str>,
        }
        let body = serde_json::to_vec(&Body {
            reason: options.reason.as_deref(),
            user_token: token.as_deref(),
        })
        .expect("plain strings");
        let path = format!("/sdk/oauth/grants/{grant_id}/revoke");
        core.post(
            &path,
            body,
            Idempotency::Write,
            options.timeout,
            "revoke_grant",
        )
        .await
    }

    pub(crate) async fn mint_grant(
        core: &Core,
        source_grant_id: String,
        label: String,
        options: MintGrantOptions,
    ) -> Result<GrantInfo, Error> {
        let source = canonical_uuid(&source_grant_id, "source_grant_id", false)?;
        if label.is_empty() || label.chars().count() > 255 {
            return Err(Error::invalid("label must be 1 to 255 characters long"));
        }
        options.validate()?;
        #[derive(Serialize)]
        struct Body<'a> {
            label: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            grant_policy: Option<&'a GrantPolicy>,
            #[serde(skip_serializing_if = "Option::is_none")]
            grant_tags: Option<&'a [String]>,
        }
        let body = serde_json::to_vec(&Body {
            label: &label,
            grant_policy: options.grant_policy.as_ref(),
            grant_tags: options.grant_tags.as_deref(),
        })
        .expect("a mint request serializes");
        let path = format!("/sdk/grants/{source}/mint");
        let minted: Result<GrantInfo, Error> = core
            .post(
                &path,
                body,
                Idempotency::Write,
                options.timeout,
                "mint_grant",
            )
            .await;
        // The platform's conflict may not name the label; the caller gave it.
        minted.map_err(|mut e| {
            if let Error::Api(api) = &mut e
                && api.kind == crate::ErrorKind::SiblingLabelConflict
                && api.label.is_none()
            {
                api.label = Some(label);
            }
            e
        })
    }

    pub(crate) async fn delegate(
        core: &Core,
        grant_id: String,
        to_agent_id: String,
        options: DelegateOptions,
    ) -> Result<DelegationResult, Error> {
        let grant_id = canonical_uuid(&grant_id, "grant_id", false)?;
        let to_agent_id = canonical_uuid(&to_agent_id, "to_agent_id", true)?;
        options.validate()?;
        #[derive(Serialize)]
        struct Body<'a> {
            to_agent_id: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            delegable: Option<bool>,
            #[serde(skip_serializing_if = "Option::is_none")]
            scope_constraint: Option<&'a [String]>,
            #[serde(skip_serializing_if = "Option::is_none")]
            ttl_seconds: Option<u64>,
        }
        let body = serde_json::to_vec(&Body {
            to_agent_id: &to_agent_id,
            delegable: options.delegable,
            scope_constraint: options.scope_constraint.as_deref(),
            ttl_seconds: options.ttl_seconds,
        })
        .expect("a delegation request serializes");
        let path = format!("/sdk/grants/{grant_id}/delegate");
        core.post(&path, body, Idempotency::Write, options.timeout, "delegate")
            .await
    }

    pub(crate) async fn revoke_delegation(
        core: &Core,
        grant_id: String,
        options: RevokeDelegationOptions,
    ) -> Result<(), Error> {
        let grant_id = canonical_uuid(&grant_id, "grant_id", false)?;
        let whose = match (core.role, options.agent_id) {
            (Role::App, Some(agent)) => canonical_uuid(&agent, "agent_id", true)?,
            (Role::App, None) => {
                return Err(Error::invalid(
                    "agent_id is required: the agent whose delegation to revoke",
                ));
            }
            (Role::Agent, None) => "me".to_owned(),
            (Role::Agent, Some(_)) => {
                return Err(Error::invalid(
                    "an Agent revokes only its own delegation: pass no agent_id",
                ));
            }
        };
        let path = format!("/sdk/grants/{grant_id}/delegations/{whose}");
        // Revoking is idempotent on the platform (204 whether or not it existed): retried as a read.
        core.send(
            Method::Delete,
            &path,
            Vec::new(),
            Idempotency::Read,
            options.timeout,
        )
        .await
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn calls_read_host_arguments() {
        let call = Call::from_value(
            "create_managed_secret_grant",
            json!({"managedSecretId": "ms", "principal": {"type": "user", "userToken": "t", "label": "l"},
                   "grantPolicy": {"maxTtlSeconds": 60}, "timeout": 2000}),
            Dialect::JavaScript,
        )
        .unwrap();
        let Call::CreateManagedSecretGrant {
            managed_secret_id,
            principal,
            options,
        } = call
        else {
            panic!("wrong call")
        };
        assert_eq!(managed_secret_id, "ms");
        assert_eq!(principal.kind(), "user");
        assert_eq!(options.timeout, Some(std::time::Duration::from_secs(2)));
        for (op, bad) in [
            (
                "create_managed_secret_grant",
                json!({"principal": {"type": "system"}}),
            ),
            (
                "create_managed_secret_grant",
                json!({"managed_secret_id": 5, "principal": {"type": "system"}}),
            ),
            (
                "create_managed_secret_grant",
                json!({"managed_secret_id": "m", "principal": {"type": "robot"}}),
            ),
            (
                "create_managed_secret_grant",
                json!({"managed_secret_id": "m", "principal": {"type": "system", "user_token": "t"}}),
            ),
            ("list_grants", json!({"limit": "5"})),
            ("revoke_grant", json!({})),
            ("nope", json!({})),
        ] {
            assert!(
                Call::from_value(op, bad.clone(), Dialect::Python).is_err(),
                "{op} {bad}"
            );
        }
    }

    #[test]
    fn grant_lifecycle_calls_read_host_arguments() {
        let g = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";
        let call = Call::from_value(
            "mint_grant",
            json!({"sourceGrantId": g, "label": "twin", "grantPolicy": {"maxTtlSeconds": 60}}),
            Dialect::JavaScript,
        )
        .unwrap();
        assert!(matches!(call, Call::MintGrant { ref label, .. } if label == "twin"));
        let call = Call::from_value(
            "delegate",
            json!({"grant_id": g, "to_agent_id": g, "delegable": true, "ttl_seconds": 60}),
            Dialect::Python,
        )
        .unwrap();
        assert!(
            matches!(call, Call::Delegate { ref options, .. } if options.delegable == Some(true))
        );
        for (op, bad) in [
            ("mint_grant", json!({"source_grant_id": g})),
            (
                "delegate",
                json!({"grant_id": g, "to_agent_id": g, "ttl_seconds": 0}),
            ),
            (
                "delegate",
                json!({"grant_id": g, "to_agent_id": g, "delegable": "yes"}),
            ),
        ] {
            assert!(
                Call::from_value(op, bad.clone(), Dialect::Python).is_err(),
                "{op} {bad}"
            );
        }
        let mint =
            MintGrantOptions::new().grant_policy(crate::GrantPolicy::new().default_ttl_seconds(5));
        assert!(
            mint.validate().is_err(),
            "a mint takes no default_ttl_seconds"
        );
        assert!(
            DelegateOptions::new()
                .scope_constraint(vec!["*".into()])
                .validate()
                .is_err()
        );
        assert!(
            DelegateOptions::new()
                .scope_constraint(vec!["a b".into()])
                .validate()
                .is_err()
        );
        assert!(
            DelegateOptions::new()
                .scope_constraint(vec!["email".into()])
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn constraints_keep_the_rule_body_as_written() {
        let c: crate::Constraints = crate::args::from_value(
            json!({"scopes": ["grants:read"], "rule": {"ruleType": "json_match",
                   "ruleBody": {"when": {"maxTtlSeconds": 1}, "effect": "deny"}}}),
            Dialect::JavaScript,
        )
        .unwrap();
        let rule = c.rule.clone().unwrap();
        assert!(rule.rule_body["when"].get("maxTtlSeconds").is_some());
        let att = c.attenuation().unwrap();
        assert_eq!(att.scopes.as_deref(), Some("grants:read"));
        assert!(
            !att.rule.unwrap().contains('='),
            "base64url without padding"
        );
        assert!(crate::Constraints::default().validate().is_err());
        assert!(crate::Constraints::scopes(["a,b"]).validate().is_err());
    }

    #[test]
    fn the_table_describes_every_operation() {
        let names: Vec<_> = OPERATIONS.iter().map(|o| o.name).collect();
        assert_eq!(
            names,
            [
                "create_managed_secret_grant",
                "list_grants",
                "revoke_grant",
                "mint_grant",
                "delegate",
                "revoke_delegation",
                "request"
            ]
        );
        assert_eq!(OPERATIONS[4].clients, &[ClientKind::Agent]);
        let list = &OPERATIONS[1];
        assert!((list.options)().contains(&"end_user_token"));
        assert_eq!((list.defaults)()["limit"], 100);
        assert_eq!(OPERATIONS[2].clients, &[ClientKind::App]);
    }
}
