//! The public surface as data, for the language suites: every model with its fields (wire,
//! Python and TypeScript names, and a type), every operation with its arguments, and the error
//! class tree. Each is written to a file in `tests/vectors/` (`model_fields.json`, `api.json`,
//! `error_tree.json`); a core test keeps the files equal to what this module produces (run it
//! with `GRANTLINE_BLESS=1` to rewrite them), and every language checks its real classes,
//! objects and signatures against the files.

use crate::args::{ArgFields, Dialect};
use crate::config::{ClientConfig, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT};
use crate::ops::{ClientKind, OPERATIONS};
use serde_json::{Value, json};

/// Field types, in a small vocabulary every language maps to its own:
/// `str`, `int`, `bool`, `datetime`, `list[str]`, `object` (raw JSON fields), a model name, a
/// quoted literal; `?` marks a field that may be null.
type Fields = &'static [(&'static str, &'static str)];

const POLICY: Fields = &[
    ("expires_at", "datetime?"),
    ("max_ttl_seconds", "int?"),
    ("default_ttl_seconds", "int?"),
];

const MANAGED_SECRET: Fields = &[
    ("grant_kind", "'managed_secret'"),
    ("grant_id", "str"),
    ("managed_secret_id", "str"),
    ("managed_secret_slug", "str"),
    ("managed_secret_name", "str"),
    ("agent_id", "str?"),
    ("account_identifier", "str?"),
    ("status", "str"),
    ("expires_at", "datetime?"),
    ("grant_expires_at", "datetime?"),
    ("created_at", "datetime"),
    ("last_used_at", "datetime?"),
    ("principal_type", "str"),
    ("access_via", "str"),
    ("delegated_at", "datetime?"),
    ("label", "str?"),
    ("credential_id", "str?"),
    ("parent_grant_id", "str?"),
    ("grant_policy", "GrantPolicy?"),
    ("depth", "int"),
    ("delegable", "bool"),
    ("scope_constraint", "list[str]?"),
    ("credential_kind", "'developer'|'end_user'?"),
    ("credential_label", "str?"),
];

const OAUTH: Fields = &[
    ("grant_kind", "'oauth'"),
    ("grant_id", "str"),
    ("provider_id", "str"),
    ("scopes", "list[str]"),
    ("account_identifier", "str?"),
    ("account_display_name", "str?"),
    ("api_base_url", "str?"),
    ("status", "str"),
    ("scope_mismatch", "bool"),
    ("needs_reconnect", "bool"),
    ("expires_at", "datetime?"),
    ("grant_expires_at", "datetime?"),
    ("created_at", "datetime"),
    ("last_used_at", "datetime?"),
    ("principal_type", "str"),
    ("access_via", "str"),
    ("delegated_at", "datetime?"),
    ("delegated_agent_ids", "list[str]"),
    ("label", "str?"),
    ("credential_id", "str?"),
    ("parent_grant_id", "str?"),
    ("grant_policy", "GrantPolicy?"),
    ("depth", "int"),
    ("delegable", "bool"),
    ("scope_constraint", "list[str]?"),
];

/// An item of a kind this version does not know: `grant_kind` is the literal `unknown` in every
/// language (so a check of it narrows), the server's kind is `raw_grant_kind`.
const UNKNOWN: Fields = &[
    ("grant_kind", "'unknown'"),
    ("raw_grant_kind", "str?"),
    ("grant_id", "str"),
    ("label", "str?"),
    ("status", "str?"),
    ("fields", "object"),
];

const CREATE_RESULT: Fields = &[
    ("grant_id", "str"),
    ("principal_type", "str"),
    ("label", "str?"),
    ("created_at", "datetime"),
    ("credential_id", "str?"),
    ("grant_expires_at", "datetime?"),
];

const REVOKE_RESULT: Fields = &[
    ("success", "bool"),
    ("message", "str"),
    ("grant_id", "str"),
    ("revoked_at", "datetime"),
];

const GRANT_INFO: Fields = &[
    ("grant_id", "str"),
    ("provider_id", "str"),
    ("scopes", "list[str]"),
    ("account_identifier", "str?"),
    ("account_display_name", "str?"),
    ("api_base_url", "str?"),
    ("status", "str"),
    ("scope_mismatch", "bool"),
    ("expires_at", "datetime?"),
    ("created_at", "datetime"),
    ("last_used_at", "datetime?"),
    ("principal_type", "str"),
    ("label", "str?"),
    ("credential_id", "str?"),
    ("grant_policy", "GrantPolicy?"),
];

const DELEGATION: Fields = &[
    ("grant_id", "str"),
    ("grant_kind", "str"),
    ("parent_grant_id", "str"),
    ("depth", "int"),
    ("delegable", "bool"),
    ("status", "str"),
    ("expires_at", "datetime?"),
];

const PAGE: Fields = &[
    ("grants", "list[GrantItem]"),
    ("total", "int"),
    ("limit", "int"),
    ("offset", "int"),
    ("has_more", "bool"),
];

/// A provider's answer to `request`. Python reads it like an httpx response (`status_code`,
/// `content`, `text`, `json()`), TypeScript like a fetch one (`status`, `text()`, `json()`,
/// `arrayBuffer()`): see [`LANGUAGE_NAMES`]. Methods are not fields.
const PROVIDER_RESPONSE: Fields = &[
    ("status_code", "int"),
    ("headers", "object"),
    ("content", "bytes"),
    ("text", "str"),
    ("grant_id", "str"),
];

/// Fields a language names its own way: (field, Python name, TypeScript name); `None` where
/// the language has a method instead (TypeScript's `text()`, `arrayBuffer()`).
const LANGUAGE_NAMES: &[(&str, Option<&str>, Option<&str>)] = &[
    ("status_code", Some("status_code"), Some("status")),
    ("content", Some("content"), None),
    ("text", Some("text"), None),
];

/// Every public model, by the name all languages give it, with its fields.
pub const MODELS: &[(&str, Fields)] = &[
    ("GrantPolicy", POLICY),
    ("ManagedSecretGrantItem", MANAGED_SECRET),
    ("OAuthGrantItem", OAUTH),
    ("UnknownGrantItem", UNKNOWN),
    ("CreateGrantResult", CREATE_RESULT),
    ("RevokeGrantResult", REVOKE_RESULT),
    ("GrantListResult", PAGE),
    ("GrantInfo", GRANT_INFO),
    ("DelegationResult", DELEGATION),
    ("ProviderResponse", PROVIDER_RESPONSE),
];

/// The fields' wire names that only the clients have (not on the wire).
const NOT_ON_THE_WIRE: &[&str] = &["raw_grant_kind", "fields"];

fn field_json(model: &str, name: &str, ty: &str) -> Value {
    let on_wire = !NOT_ON_THE_WIRE.contains(&name) && model != "ProviderResponse";
    let (python, typescript) = match LANGUAGE_NAMES.iter().find(|(f, _, _)| *f == name) {
        Some((_, py, ts)) if model == "ProviderResponse" => {
            (py.map(Value::from), ts.map(Value::from))
        }
        _ => (
            Some(Value::from(name)),
            Some(Value::from(Dialect::JavaScript.name(name))),
        ),
    };
    json!({
        "wire": if on_wire { Value::from(name) } else { Value::Null },
        "python": python,
        "typescript": typescript,
        "type": ty,
    })
}

/// `tests/vectors/model_fields.json`.
pub fn model_fields() -> Value {
    let models: Vec<Value> = MODELS
        .iter()
        .map(|(name, fields)| {
            json!({
                "name": name,
                "fields": fields.iter().map(|(f, t)| field_json(name, f, t)).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "about": "Every public model and its fields (generated from core/src/schema.rs by `cargo test -p grantline --lib vectors` with GRANTLINE_BLESS=1): the wire name (null: a client-side field), the Python and TypeScript names (null: that language has a method instead, e.g. TypeScript's text()), and the type (str, int, bool, bytes, datetime, list[str], object = the raw wire fields or a map, a model name, a quoted literal; a trailing ? = may be null). Each language asserts its models have exactly these fields with these types.",
        "models": models,
    })
}

/// `tests/vectors/api.json`: every operation with its arguments as each language names them.
pub fn api() -> Value {
    let operations: Vec<Value> = OPERATIONS
        .iter()
        .map(|op| {
            let names = |dialect: Dialect| {
                json!({
                    "method": dialect.name(op.name),
                    "positional": op.positional.iter().map(|p| dialect.name(p)).collect::<Vec<_>>(),
                    "options": (op.options)().iter().map(|p| dialect.name(p)).collect::<Vec<_>>(),
                })
            };
            json!({
                "name": op.name,
                "clients": op.clients.iter().map(|c| match c {
                    ClientKind::App => "App",
                    ClientKind::Agent => "Agent",
                }).collect::<Vec<_>>(),
                "python": names(Dialect::Python),
                "typescript": names(Dialect::JavaScript),
                "defaults": (op.defaults)(),
                "user_token_option": op.user_token_option,
                "app_only": op.app_only.iter().map(|o| json!({
                    "python": Dialect::Python.name(o),
                    "typescript": Dialect::JavaScript.name(o),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let settings = |dialect: Dialect| {
        <ClientConfig as ArgFields>::fields()
            .iter()
            .map(|f| dialect.name(f))
            .collect::<Vec<_>>()
    };
    json!({
        "about": "Every operation of the clients (generated from core/src/ops.rs by `cargo test -p grantline --lib vectors` with GRANTLINE_BLESS=1): which clients have it, its required (positional) arguments and its options as Python and TypeScript name them, the options' defaults, the option an App's user-token getter fills, and the options only an App passes (app_only); and the client settings (ClientConfig) with their defaults. The async and blocking clients of every language must expose exactly these.",
        "settings": {
            "python": settings(Dialect::Python),
            "typescript": settings(Dialect::JavaScript),
            "defaults": {
                "timeout_seconds": DEFAULT_TIMEOUT.as_secs_f64(),
                "max_retries": DEFAULT_MAX_RETRIES,
                "app_caller_type": "service",
            },
        },
        "operations": operations,
    })
}

#[cfg(test)]
mod vectors {
    use super::*;
    use crate::models::{GrantItem, GrantPage};
    use std::path::PathBuf;

    fn dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
    }

    /// The committed file equals what the core produces (or is rewritten with GRANTLINE_BLESS).
    fn check(file: &str, value: Value) {
        let path = dir().join(file);
        let text = serde_json::to_string_pretty(&value).unwrap() + "\n";
        if std::env::var_os("GRANTLINE_BLESS").is_some() {
            std::fs::write(&path, &text).unwrap();
            return;
        }
        if !dir().exists() {
            return; // a packaged crate, without the repository's vectors
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "{file} is out of date with the core: run `GRANTLINE_BLESS=1 cargo test -p grantline --lib vectors` and commit it"
        );
    }

    #[test]
    fn vector_files_match_the_core() {
        check("error_tree.json", crate::error::error_tree());
        check("model_fields.json", model_fields());
        check("api.json", api());
    }

    /// The wire fields of the table are the fields the models write, in order.
    #[test]
    fn the_field_table_matches_the_models() {
        let models: Value = serde_json::from_str(
            &std::fs::read_to_string(dir().join("models.json")).unwrap_or_else(|_| "{}".into()),
        )
        .unwrap();
        let Some(pages) = models["list_pages"].as_array() else {
            return;
        };
        let mut seen = std::collections::BTreeSet::new();
        for case in pages {
            let Ok(page) = GrantPage::from_slice(case["response"].to_string().as_bytes()) else {
                continue;
            };
            for item in &page.grants {
                let (model, written) = match item {
                    GrantItem::ManagedSecret(_) => ("ManagedSecretGrantItem", item),
                    GrantItem::OAuth(_) => ("OAuthGrantItem", item),
                    GrantItem::Unknown(_) => continue,
                };
                let wire = serde_json::to_value(written).unwrap();
                let keys: Vec<&str> = wire
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(String::as_str)
                    .collect();
                let table = MODELS.iter().find(|(n, _)| *n == model).unwrap().1;
                let mut names: Vec<&str> = table.iter().map(|(f, _)| *f).collect();
                names.sort();
                let mut keys = keys.clone();
                keys.sort();
                assert_eq!(keys, names, "{model}");
                seen.insert(model);
            }
        }
        assert_eq!(seen.len(), 2, "the models vector has items of both kinds");
        // The result models: every field of the table, written by a sample.
        let info: crate::GrantInfo = serde_json::from_value(serde_json::json!({
            "grant_id": "g", "status": "active", "created_at": "2026-01-01T00:00:00Z",
            "principal_type": "system",
        }))
        .unwrap();
        let delegation: crate::DelegationResult = serde_json::from_value(serde_json::json!({
            "grant_id": "c", "grant_kind": "oauth", "parent_grant_id": "g", "depth": 1,
            "delegable": false, "status": "active",
        }))
        .unwrap();
        for (model, wire) in [
            ("GrantInfo", serde_json::to_value(info).unwrap()),
            (
                "DelegationResult",
                serde_json::to_value(delegation).unwrap(),
            ),
        ] {
            let mut keys: Vec<&str> = wire
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort();
            let mut names: Vec<&str> = MODELS
                .iter()
                .find(|(n, _)| *n == model)
                .unwrap()
                .1
                .iter()
                .map(|(f, _)| *f)
                .collect();
            names.sort();
            assert_eq!(keys, names, "{model}");
        }
    }
}
