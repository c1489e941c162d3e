//! Results in the packed form the TypeScript layer turns into objects (`lib/decode.generated.ts`):
//! one string holding every distinct string value back to back, and one `Float64Array` of
//! numbers read in the models' field order (`tests/vectors/model_fields.json`, from the core's
//! schema). Handing V8 two values per call instead of building objects through N-API (~4 µs per
//! object) or JSON text it must parse again is what keeps the JS thread's share of a call small
//! (docs/architecture.md, "Node: the packed transfer").
//!
//! The numbers, field by field:
//! - a string (`str`, `str?`, a literal): its index in the string table, 0 for null. The table
//!   comes first: its length, then each string's length in UTF-16 code units (JavaScript's);
//!   a value equal to the same field's value in the item before reuses its index, so a page of
//!   grants on one secret carries its slug, status or credential id once;
//! - `datetime`: milliseconds since the epoch (what `new Date(ms)` takes), NaN for null;
//! - `int`: the number, NaN for null; `bool`: 0 or 1;
//! - `list[str]`: the count (−1 for null), then each element's string index;
//! - `GrantPolicy?`: 0 for null, else 1 followed by the policy's fields;
//! - `object` (an unknown item's raw fields): the string index of their JSON text;
//! - `list[GrantItem]`: the count, then per item its kind (0 managed secret, 1 OAuth, 2 unknown)
//!   and its fields.
//!
//! A model's `grant_kind` literal carries no number. [`Sink`] has a second implementation that
//! records each field's name and type instead of packing it: a test compares that record with
//! `model_fields.json`, so this order cannot drift from the decoder generated from that file.

use grantline::{
    CreateGrantResult, CredentialKind, DelegationResult, GrantInfo, GrantItem, GrantPage,
    GrantPolicy, ManagedSecretGrantItem, OAuthGrantItem, OffsetDateTime, RevokeGrantResult,
    UnknownGrantItem,
};

/// Where the fields of a model go: packed ([`Packer`]) or described ([`Layout`]).
pub(crate) trait Sink {
    fn str(&mut self, name: &'static str, value: &str);
    fn opt_str(&mut self, name: &'static str, value: Option<&str>);
    fn date(&mut self, name: &'static str, value: &OffsetDateTime);
    fn opt_date(&mut self, name: &'static str, value: Option<&OffsetDateTime>);
    fn int(&mut self, name: &'static str, value: f64);
    fn opt_int(&mut self, name: &'static str, value: Option<f64>);
    fn bool(&mut self, name: &'static str, value: bool);
    fn strs(&mut self, name: &'static str, value: &[String]);
    fn opt_strs(&mut self, name: &'static str, value: Option<&[String]>);
    fn policy(&mut self, name: &'static str, value: Option<&GrantPolicy>);
    /// A field whose value the model's type fixes (`grant_kind`): no number.
    fn literal(&mut self, name: &'static str, value: &'static str);
    /// An unknown item's raw fields.
    fn object(&mut self, name: &'static str, value: &serde_json::Map<String, serde_json::Value>);
    fn items(&mut self, name: &'static str, value: &[GrantItem]);
}

/// A model the packed form carries.
pub(crate) trait Pack {
    fn pack<S: Sink>(&self, s: &mut S);
}

fn credential_kind(k: Option<CredentialKind>) -> Option<&'static str> {
    k.map(|k| match k {
        CredentialKind::Developer => "developer",
        CredentialKind::EndUser => "end_user",
    })
}

impl Pack for GrantPolicy {
    fn pack<S: Sink>(&self, s: &mut S) {
        s.opt_date("expires_at", self.expires_at.as_ref());
        s.opt_int("max_ttl_seconds", self.max_ttl_seconds.map(|v| v as f64));
        s.opt_int(
            "default_ttl_seconds",
            self.default_ttl_seconds.map(|v| v as f64),
        );
    }
}

impl Pack for ManagedSecretGrantItem {
    fn pack<S: Sink>(&self, s: &mut S) {
        s.literal("grant_kind", "managed_secret");
        s.str("grant_id", &self.grant_id);
        s.str("managed_secret_id", &self.managed_secret_id);
        s.str("managed_secret_slug", &self.managed_secret_slug);
        s.str("managed_secret_name", &self.managed_secret_name);
        s.opt_str("agent_id", self.agent_id.as_deref());
        s.opt_str("account_identifier", self.account_identifier.as_deref());
        s.str("status", &self.status);
        s.opt_date("expires_at", self.expires_at.as_ref());
        s.opt_date("grant_expires_at", self.grant_expires_at.as_ref());
        s.date("created_at", &self.created_at);
        s.opt_date("last_used_at", self.last_used_at.as_ref());
        s.str("principal_type", &self.principal_type);
        s.str("access_via", &self.access_via);
        s.opt_date("delegated_at", self.delegated_at.as_ref());
        s.opt_str("label", self.label.as_deref());
        s.opt_str("credential_id", self.credential_id.as_deref());
        s.opt_str("parent_grant_id", self.parent_grant_id.as_deref());
        s.policy("grant_policy", self.grant_policy.as_ref());
        s.int("depth", self.depth as f64);
        s.bool("delegable", self.delegable);
        s.opt_strs("scope_constraint", self.scope_constraint.as_deref());
        s.opt_str("credential_kind", credential_kind(self.credential_kind));
        s.opt_str("credential_label", self.credential_label.as_deref());
    }
}

impl Pack for OAuthGrantItem {
    fn pack<S: Sink>(&self, s: &mut S) {
        s.literal("grant_kind", "oauth");
        s.str("grant_id", &self.grant_id);
        s.str("provider_id", &self.provider_id);
        s.strs("scopes", &self.scopes);
        s.opt_str("account_identifier", self.account_identifier.as_deref());
        s.opt_str("account_display_name", self.account_display_name.as_deref());
        s.opt_str("api_base_url", self.api_base_url.as_deref());
        s.str("status", &self.status);
        s.bool("scope_mismatch", self.scope_mismatch);
        s.bool("needs_reconnect", self.needs_reconnect);
        s.opt_date("expires_at", self.expires_at.as_ref());
        s.opt_date("grant_expires_at", self.grant_expires_at.as_ref());
        s.date("created_at", &self.created_at);
        s.opt_date("last_used_at", self.last_used_at.as_ref());
        s.str("principal_type", &self.principal_type);
        s.str("access_via", &self.access_via);
        s.opt_date("delegated_at", self.delegated_at.as_ref());
        s.strs("delegated_agent_ids", &self.delegated_agent_ids);
        s.opt_str("label", self.label.as_deref());
        s.opt_str("credential_id", self.credential_id.as_deref());
        s.opt_str("parent_grant_id", self.parent_grant_id.as_deref());
        s.policy("grant_policy", self.grant_policy.as_ref());
        s.int("depth", self.depth as f64);
        s.bool("delegable", self.delegable);
        s.opt_strs("scope_constraint", self.scope_constraint.as_deref());
    }
}

impl Pack for UnknownGrantItem {
    fn pack<S: Sink>(&self, s: &mut S) {
        let text = |key: &str| self.fields.get(key).and_then(serde_json::Value::as_str);
        s.literal("grant_kind", "unknown");
        s.opt_str("raw_grant_kind", self.grant_kind.as_deref());
        // A string for typed code: "" when the item has none.
        s.str("grant_id", text("grant_id").unwrap_or(""));
        s.opt_str("label", text("label"));
        s.opt_str("status", text("status"));
        s.object("fields", &self.fields);
    }
}

impl Pack for CreateGrantResult {
    fn pack<S: Sink>(&self, s: &mut S) {
        s.str("grant_id", &self.grant_id);
        s.str("principal_type", &self.principal_type);
        s.opt_str("label", self.label.as_deref());
        s.date("created_at", &self.created_at);
        s.opt_str("credential_id", self.credential_id.as_deref());
        s.opt_date("grant_expires_at", self.grant_expires_at.as_ref());
    }
}

impl Pack for RevokeGrantResult {
    fn pack<S: Sink>(&self, s: &mut S) {
        s.bool("success", self.success);
        s.str("message", &self.message);
        s.str("grant_id", &self.grant_id);
        s.date("revoked_at", &self.revoked_at);
    }
}

impl Pack for GrantInfo {
    fn pack<S: Sink>(&self, s: &mut S) {
        s.str("grant_id", &self.grant_id);
        s.str("provider_id", &self.provider_id);
        s.strs("scopes", &self.scopes);
        s.opt_str("account_identifier", self.account_identifier.as_deref());
        s.opt_str("account_display_name", self.account_display_name.as_deref());
        s.opt_str("api_base_url", self.api_base_url.as_deref());
        s.str("status", &self.status);
        s.bool("scope_mismatch", self.scope_mismatch);
        s.opt_date("expires_at", self.expires_at.as_ref());
        s.date("created_at", &self.created_at);
        s.opt_date("last_used_at", self.last_used_at.as_ref());
        s.str("principal_type", &self.principal_type);
        s.opt_str("label", self.label.as_deref());
        s.opt_str("credential_id", self.credential_id.as_deref());
        s.policy("grant_policy", self.grant_policy.as_ref());
    }
}

impl Pack for DelegationResult {
    fn pack<S: Sink>(&self, s: &mut S) {
        s.str("grant_id", &self.grant_id);
        s.str("grant_kind", &self.grant_kind);
        s.str("parent_grant_id", &self.parent_grant_id);
        s.int("depth", self.depth as f64);
        s.bool("delegable", self.delegable);
        s.str("status", &self.status);
        s.opt_date("expires_at", self.expires_at.as_ref());
    }
}

impl Pack for GrantPage {
    fn pack<S: Sink>(&self, s: &mut S) {
        s.items("grants", &self.grants);
        s.int("total", self.total as f64);
        s.int("limit", self.limit.into());
        s.int("offset", self.offset as f64);
        s.bool("has_more", self.has_more);
    }
}

/// The items of a `grants` cursor batch: a bare `list[GrantItem]`.
pub(crate) struct Items<'a>(pub(crate) &'a [GrantItem]);

impl Pack for Items<'_> {
    fn pack<S: Sink>(&self, s: &mut S) {
        s.items("items", self.0);
    }
}

/// Milliseconds since the epoch, as `new Date(text)` reads the RFC 3339 text grantline writes
/// (fractional digits past the millisecond are dropped, not rounded).
fn epoch_ms(t: &OffsetDateTime) -> f64 {
    t.unix_timestamp() as f64 * 1000.0 + f64::from(t.nanosecond() / 1_000_000)
}

/// One packed result.
pub(crate) struct Packed {
    pub(crate) text: String,
    pub(crate) numbers: Vec<f64>,
}

impl Packed {
    /// The result of an operation that returns nothing: an empty string table.
    pub(crate) fn nothing() -> Packed {
        Packed {
            text: String::new(),
            numbers: vec![0.0],
        }
    }
}

/// Packs into a string table and a list of numbers (see the module docs).
#[derive(Default)]
pub(crate) struct Packer {
    /// The distinct strings, back to back.
    text: String,
    /// Each table string's length in UTF-16 code units.
    lengths: Vec<f64>,
    numbers: Vec<f64>,
    /// Per field position within an item: the byte range in `text` and table index of the value
    /// last written there.
    last: Vec<(usize, usize, f64)>,
    /// The field position within the current item.
    slot: usize,
}

impl Packer {
    pub(crate) fn pack<T: Pack>(value: &T) -> Packed {
        let mut p = Packer {
            numbers: Vec::with_capacity(64),
            ..Packer::default()
        };
        value.pack(&mut p);
        let mut numbers = Vec::with_capacity(1 + p.lengths.len() + p.numbers.len());
        numbers.push(p.lengths.len() as f64);
        numbers.extend_from_slice(&p.lengths);
        numbers.extend_from_slice(&p.numbers);
        Packed {
            text: p.text,
            numbers,
        }
    }

    /// A new table entry (no reuse); its index.
    fn intern(&mut self, s: &str) -> f64 {
        self.text.push_str(s);
        let units = if s.is_ascii() {
            s.len()
        } else {
            s.encode_utf16().count()
        };
        self.lengths.push(units as f64);
        self.lengths.len() as f64
    }

    /// The index of `s` for the current field position, reusing the previous item's.
    fn index(&mut self, s: &str) -> f64 {
        let slot = self.slot;
        self.slot += 1;
        if let Some(&(start, end, index)) = self.last.get(slot)
            && &self.text[start..end] == s
        {
            return index;
        }
        let start = self.text.len();
        let index = self.intern(s);
        let entry = (start, self.text.len(), index);
        match self.last.get_mut(slot) {
            Some(e) => *e = entry,
            None => {
                self.last.resize(slot, (0, 0, 0.0));
                self.last.push(entry);
            }
        }
        index
    }
}

impl Sink for Packer {
    fn str(&mut self, _: &'static str, value: &str) {
        let i = self.index(value);
        self.numbers.push(i);
    }
    fn opt_str(&mut self, name: &'static str, value: Option<&str>) {
        match value {
            Some(v) => self.str(name, v),
            None => {
                self.slot += 1;
                self.numbers.push(0.0);
            }
        }
    }
    fn date(&mut self, _: &'static str, value: &OffsetDateTime) {
        self.numbers.push(epoch_ms(value));
    }
    fn opt_date(&mut self, _: &'static str, value: Option<&OffsetDateTime>) {
        self.numbers.push(value.map_or(f64::NAN, epoch_ms));
    }
    fn int(&mut self, _: &'static str, value: f64) {
        self.numbers.push(value);
    }
    fn opt_int(&mut self, _: &'static str, value: Option<f64>) {
        self.numbers.push(value.unwrap_or(f64::NAN));
    }
    fn bool(&mut self, _: &'static str, value: bool) {
        self.numbers.push(if value { 1.0 } else { 0.0 });
    }
    fn strs(&mut self, _: &'static str, value: &[String]) {
        self.numbers.push(value.len() as f64);
        for v in value {
            let i = self.intern(v);
            self.numbers.push(i);
        }
    }
    fn opt_strs(&mut self, name: &'static str, value: Option<&[String]>) {
        match value {
            Some(v) => self.strs(name, v),
            None => self.numbers.push(-1.0),
        }
    }
    fn policy(&mut self, _: &'static str, value: Option<&GrantPolicy>) {
        match value {
            Some(p) => {
                self.numbers.push(1.0);
                p.pack(self);
            }
            None => self.numbers.push(0.0),
        }
    }
    fn literal(&mut self, _: &'static str, _: &'static str) {}
    fn object(&mut self, _: &'static str, value: &serde_json::Map<String, serde_json::Value>) {
        let json = serde_json::to_string(value).expect("a JSON map serializes");
        let i = self.intern(&json);
        self.numbers.push(i);
    }
    fn items(&mut self, _: &'static str, value: &[GrantItem]) {
        self.numbers.push(value.len() as f64);
        for item in value {
            self.slot = 0;
            match item {
                GrantItem::ManagedSecret(g) => {
                    self.numbers.push(0.0);
                    g.pack(self);
                }
                GrantItem::OAuth(g) => {
                    self.numbers.push(1.0);
                    g.pack(self);
                }
                GrantItem::Unknown(g) => {
                    self.numbers.push(2.0);
                    g.pack(self);
                }
            }
        }
    }
}

/// Records each field's name and type (the vocabulary of `model_fields.json`) instead of packing.
#[derive(Default)]
pub(crate) struct Layout(pub(crate) Vec<(&'static str, String)>);

impl Sink for Layout {
    fn str(&mut self, name: &'static str, _: &str) {
        self.0.push((name, "str".into()));
    }
    fn opt_str(&mut self, name: &'static str, _: Option<&str>) {
        self.0.push((name, "str?".into()));
    }
    fn date(&mut self, name: &'static str, _: &OffsetDateTime) {
        self.0.push((name, "datetime".into()));
    }
    fn opt_date(&mut self, name: &'static str, _: Option<&OffsetDateTime>) {
        self.0.push((name, "datetime?".into()));
    }
    fn int(&mut self, name: &'static str, _: f64) {
        self.0.push((name, "int".into()));
    }
    fn opt_int(&mut self, name: &'static str, _: Option<f64>) {
        self.0.push((name, "int?".into()));
    }
    fn bool(&mut self, name: &'static str, _: bool) {
        self.0.push((name, "bool".into()));
    }
    fn strs(&mut self, name: &'static str, _: &[String]) {
        self.0.push((name, "list[str]".into()));
    }
    fn opt_strs(&mut self, name: &'static str, _: Option<&[String]>) {
        self.0.push((name, "list[str]?".into()));
    }
    fn policy(&mut self, name: &'static str, _: Option<&GrantPolicy>) {
        self.0.push((name, "GrantPolicy?".into()));
    }
    fn literal(&mut self, name: &'static str, value: &'static str) {
        self.0.push((name, format!("'{value}'")));
    }
    fn object(&mut self, name: &'static str, _: &serde_json::Map<String, serde_json::Value>) {
        self.0.push((name, "object".into()));
    }
    fn items(&mut self, name: &'static str, _: &[GrantItem]) {
        self.0.push((name, "list[GrantItem]".into()));
    }
}

/// Each packed model's fields as the packer writes them, by the model's name in
/// `model_fields.json`: `{"GrantPolicy": [["expires_at", "datetime?"], …], …}`.
pub(crate) fn layouts() -> serde_json::Value {
    fn layout<T: Pack>(value: &T) -> serde_json::Value {
        let mut l = Layout::default();
        value.pack(&mut l);
        serde_json::json!(l.0)
    }
    let at = "2026-01-01T00:00:00Z";
    let ms: ManagedSecretGrantItem = serde_json::from_value(serde_json::json!({
        "grant_id": "g", "managed_secret_id": "m", "managed_secret_slug": "s",
        "managed_secret_name": "n", "status": "active", "created_at": at, "principal_type": "system",
    }))
    .expect("a minimal managed-secret item");
    let oauth: OAuthGrantItem = serde_json::from_value(serde_json::json!({
        "grant_id": "g", "provider_id": "p", "status": "active", "created_at": at,
        "principal_type": "system",
    }))
    .expect("a minimal OAuth item");
    let unknown = match serde_json::from_str::<GrantItem>(r#"{"grant_kind":"connector"}"#) {
        Ok(GrantItem::Unknown(u)) => u,
        _ => unreachable!("an unknown kind reads as an unknown item"),
    };
    let created: CreateGrantResult = serde_json::from_value(serde_json::json!({
        "grant_id": "g", "principal_type": "system", "label": null, "created_at": at,
    }))
    .expect("a minimal create result");
    let revoked: RevokeGrantResult = serde_json::from_value(serde_json::json!({
        "success": true, "message": "", "grant_id": "g", "revoked_at": at,
    }))
    .expect("a minimal revoke result");
    let info: GrantInfo = serde_json::from_value(serde_json::json!({
        "grant_id": "g", "status": "active", "created_at": at, "principal_type": "system",
    }))
    .expect("a minimal grant info");
    let delegation: DelegationResult = serde_json::from_value(serde_json::json!({
        "grant_id": "g", "grant_kind": "oauth", "parent_grant_id": "p", "depth": 1,
        "delegable": false, "status": "active",
    }))
    .expect("a minimal delegation result");
    let page =
        GrantPage::from_slice(br#"{"grants":[],"total":0,"limit":1,"offset":0,"has_more":false}"#)
            .expect("an empty page");
    serde_json::json!({
        "GrantPolicy": layout(&GrantPolicy::default()),
        "ManagedSecretGrantItem": layout(&ms),
        "OAuthGrantItem": layout(&oauth),
        "UnknownGrantItem": layout(&unknown),
        "CreateGrantResult": layout(&created),
        "RevokeGrantResult": layout(&revoked),
        "GrantListResult": layout(&page),
        "GrantInfo": layout(&info),
        "DelegationResult": layout(&delegation),
    })
}
