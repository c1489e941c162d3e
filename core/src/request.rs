//! `request`: a provider call with a grant's credential injected (docs/request.md).
//!
//! Three steps, as the official client takes them: `POST /sdk/token` leases the credential for
//! this one request; the provider call is made with it injected (a header, and query
//! parameters when the lease says so), never retried and never following a redirect; the audit
//! record (`POST /sdk/oauth/audit/api-call`) is written in the background (`background.rs`).
//!
//! The credential lives in a `Secret` from the lease's parse until the provider request is
//! built: it is in no `Debug` output, error, log line or audit record (a provider body that
//! echoes it is scrubbed before it is recorded or put into an error).

use crate::client::{Core, canonical_uuid};
use crate::error::{ApiError, Error, ErrorKind};
use crate::options::RequestOptions;
use crate::transport::{Idempotency, Method};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::fmt;
use std::time::{Duration, Instant};

/// The longest provider URL, with its query (the official client's bound).
pub const MAX_URL_LENGTH: usize = 65_536;
/// Bodies recorded in the audit record are kept up to this many bytes (else a size note).
pub const MAX_AUDIT_BODY: usize = 10_000;
/// Header names an audit record never carries (the official client's list, and the injected
/// header whatever its name).
const SENSITIVE_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "x-auth-token",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-security-token",
];
/// Headers a lease may not name for the credential (the official client refuses them too).
const FORBIDDEN_INJECTION: &[&str] = &[
    "host",
    "cookie",
    "set-cookie",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
    "proxy-authenticate",
    "forwarded",
];
/// How long a scope-mismatch report may take.
const REPORT_BUDGET: Duration = Duration::from_secs(2);

/// A credential: shown nowhere.
#[derive(Clone)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A provider's answer to [`crate::App::request`]: status, headers, and the whole body.
#[derive(Clone)]
pub struct ProviderResponse {
    /// The HTTP status.
    pub status: u16,
    /// The headers in the order received, names in lower case (a repeated header repeats).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
    /// The grant the call used.
    pub grant_id: String,
}

impl fmt::Debug for ProviderResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderResponse")
            .field("status", &self.status)
            .field("headers", &self.headers.len())
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .field("grant_id", &self.grant_id)
            .finish()
    }
}

impl ProviderResponse {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// The body as text (UTF-8, invalid sequences replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The body parsed as JSON.
    pub fn json(&self) -> Result<Value, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::ResponseValidation {
            message: format!("the provider's body is not JSON: {e}"),
            status: self.status,
        })
    }
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// One additional injection a lease asks for.
#[derive(Debug, Clone, Deserialize)]
struct AdditionalInjection {
    target: String,
    key: String,
    value_source: String,
}

/// `POST /sdk/token`'s answer, checked before anything is injected.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    grant_id: String,
    #[serde(default)]
    provider_id: Option<String>,
    #[serde(default)]
    token_generation: Option<String>,
    #[serde(default)]
    scope_mismatch: Option<bool>,
    #[serde(default)]
    injection_header: Option<String>,
    #[serde(default)]
    injection_format: Option<String>,
    #[serde(default)]
    additional_credentials: Option<Map<String, Value>>,
    #[serde(default)]
    additional_injections: Option<Vec<AdditionalInjection>>,
}

/// A checked lease.
#[derive(Debug)]
struct Lease {
    token: Secret,
    grant_id: String,
    provider_id: String,
    token_generation: Option<String>,
    scope_mismatch: bool,
    header: String,
    /// The header's value, credential included.
    header_value: Secret,
    /// (header name, value) and (query name, value) pairs to add.
    extra_headers: Vec<(String, Secret)>,
    extra_query: Vec<(String, Secret)>,
}

fn bad_lease(message: impl Into<String>) -> Error {
    Error::ResponseValidation {
        message: format!(
            "the server returned an unusable token response: {}",
            message.into()
        ),
        status: 200,
    }
}

fn header_name_ok(name: &str) -> bool {
    name.len() <= 60
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !FORBIDDEN_INJECTION.contains(&name.to_ascii_lowercase().as_str())
        && !name.to_ascii_lowercase().starts_with("x-forwarded")
}

impl Lease {
    fn parse(body: &[u8]) -> Result<Lease, Error> {
        let t: TokenResponse =
            serde_json::from_slice(body).map_err(|e| bad_lease(format!("{e}")))?;
        if t.access_token.is_empty() || t.access_token.contains(['\r', '\n', '\0']) {
            return Err(bad_lease("invalid access_token"));
        }
        let grant_id = canonical_uuid(&t.grant_id, "grant_id", false)
            .map_err(|_| bad_lease("invalid grant_id"))?;
        let header = t.injection_header.unwrap_or_else(|| "Authorization".into());
        if !header_name_ok(&header) {
            return Err(bad_lease("injection_header cannot carry a credential"));
        }
        let format = t
            .injection_format
            .unwrap_or_else(|| "Bearer {token}".into());
        if format.starts_with("AWS4-HMAC-SHA256") {
            return Err(bad_lease(
                "this grant needs AWS SigV4 signing, which grantline does not do yet",
            ));
        }
        if format.len() > 200 || !format.contains("{token}") || format.contains(['\r', '\n']) {
            return Err(bad_lease("invalid injection_format"));
        }
        let token = t.access_token;
        let header_value = Secret(format.replacen("{token}", &token, 1));
        let additional = t.additional_credentials.unwrap_or_default();
        let mut extra_headers = Vec::new();
        let mut extra_query = Vec::new();
        let injections = t.additional_injections.unwrap_or_default();
        if injections.len() > 10 {
            return Err(bad_lease("more than 10 additional_injections"));
        }
        for inj in injections {
            let value = match inj.value_source.as_str() {
                "token" => token.clone(),
                source => {
                    let field = source
                        .strip_prefix("additional_credentials.")
                        .ok_or_else(|| bad_lease("invalid additional_injections value_source"))?;
                    additional
                        .get(field)
                        .and_then(Value::as_str)
                        .ok_or_else(|| {
                            bad_lease("additional_injections names a missing credential")
                        })?
                        .to_owned()
                }
            };
            match inj.target.as_str() {
                "header" if header_name_ok(&inj.key) => {
                    extra_headers.push((inj.key, Secret(value)))
                }
                "query_param"
                    if !inj.key.is_empty()
                        && inj.key.len() <= 100
                        && !inj.key.contains(['&', '=', '#', '\0']) =>
                {
                    extra_query.push((inj.key, Secret(value)))
                }
                _ => return Err(bad_lease("invalid additional_injections target")),
            }
        }
        Ok(Lease {
            token: Secret(token),
            grant_id,
            provider_id: t.provider_id.unwrap_or_default(),
            token_generation: t.token_generation,
            scope_mismatch: t.scope_mismatch.unwrap_or(false),
            header,
            header_value,
            extra_headers,
            extra_query,
        })
    }

    /// `text` with every credential of this lease replaced (a provider may echo one).
    fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        let mut secrets: Vec<&str> = vec![self.token.0.as_str(), self.header_value.0.as_str()];
        secrets.extend(self.extra_headers.iter().map(|(_, v)| v.0.as_str()));
        secrets.extend(self.extra_query.iter().map(|(_, v)| v.0.as_str()));
        // Longest first, so a header value is replaced whole before its token part.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for s in secrets {
            if s.len() >= 4 {
                out = out.replace(s, "[REDACTED]");
            }
        }
        out
    }
}

/// Fills `{name}` placeholders with percent-encoded values; a placeholder left is an error.
fn resolve_path_params(
    url: &str,
    params: Option<&std::collections::BTreeMap<String, String>>,
) -> Result<String, Error> {
    let mut out = url.to_owned();
    if let Some(params) = params {
        for (k, v) in params {
            let valid = k
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(Error::invalid(
                    "path_params keys must match [A-Za-z_][A-Za-z0-9_]*",
                ));
            }
            let encoded: String =
                url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
            // form encoding writes a space as '+': a path segment needs %20.
            out = out.replace(&format!("{{{k}}}"), &encoded.replace('+', "%20"));
        }
    }
    if let Some(start) = out.find('{')
        && let Some(len) = out[start..].find('}')
    {
        let name = &out[start + 1..start + len];
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Error::invalid(format!(
                "Invalid URL template or missing path_params: {name:?}"
            )));
        }
    }
    Ok(out)
}

/// Checks where a credential may go: an absolute https URL, or http to a loopback host.
fn check_destination(url: &str) -> Result<url::Url, Error> {
    if url.len() > MAX_URL_LENGTH {
        return Err(Error::invalid(format!(
            "url must be at most {MAX_URL_LENGTH} characters"
        )));
    }
    let parsed = url::Url::parse(url)
        .map_err(|_| Error::invalid("url must be a valid absolute HTTP URL"))?;
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Error::invalid("url must include a hostname"))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if matches!(host, "localhost" | "127.0.0.1" | "[::1]") => Ok(parsed),
        "http" => Err(Error::invalid(
            "url must use https (plain http only to localhost, 127.0.0.1 or ::1): a credential \
             is never sent unencrypted",
        )),
        _ => Err(Error::invalid("url must be an http(s) URL")),
    }
}

/// `scheme://host[:port]/path`: what an error names of a third party's URL (the query may hold
/// secrets).
fn redact_url(url: &url::Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

fn method_of(method: &str) -> Result<reqwest::Method, Error> {
    let upper = method.to_ascii_uppercase();
    if upper.is_empty() || upper.len() > 16 || !upper.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Error::invalid(format!(
            "method must be an HTTP method name (got {method:?})"
        )));
    }
    reqwest::Method::from_bytes(upper.as_bytes()).map_err(|_| Error::invalid("invalid method"))
}

fn query_pairs(q: &Map<String, Value>) -> Vec<(String, String)> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "true" } else { "false" }.to_owned(),
        other => other.to_string(),
    };
    let mut out = Vec::new();
    for (k, v) in q {
        match v {
            Value::Null => {}
            Value::Array(items) => out.extend(items.iter().map(|i| (k.clone(), text(i)))),
            v => out.push((k.clone(), text(v))),
        }
    }
    out
}

/// A body for the audit record: JSON as given; bytes as text up to the bound, else a note.
fn audit_request_body(options: &RequestOptions) -> Value {
    if let Some(j) = &options.json {
        return j.clone();
    }
    match &options.body {
        None => Value::Null,
        Some(b) if b.0.is_empty() => Value::from(""),
        Some(b) if b.0.len() > MAX_AUDIT_BODY => {
            Value::from(format!("<binary body: {} bytes>", b.0.len()))
        }
        Some(b) => match std::str::from_utf8(&b.0) {
            Ok(s) => Value::from(s),
            Err(_) => Value::from(format!("<binary body: {} bytes>", b.0.len())),
        },
    }
}

fn audit_response_body(body: &[u8], lease: &Lease) -> String {
    if body.len() > MAX_AUDIT_BODY {
        return format!("<response too large: {} bytes>", body.len());
    }
    match std::str::from_utf8(body) {
        Ok(s) => lease.scrub(s),
        Err(_) => format!("<binary response: {} bytes>", body.len()),
    }
}

fn sanitized(headers: impl Iterator<Item = (String, String)>, lease: &Lease) -> Map<String, Value> {
    let injected: Vec<String> = std::iter::once(lease.header.to_ascii_lowercase())
        .chain(
            lease
                .extra_headers
                .iter()
                .map(|(k, _)| k.to_ascii_lowercase()),
        )
        .collect();
    let mut out = Map::new();
    for (k, v) in headers {
        let lower = k.to_ascii_lowercase();
        if SENSITIVE_HEADERS.contains(&lower.as_str()) || injected.contains(&lower) {
            continue;
        }
        let v = lease.scrub(&v);
        match out.get_mut(&k) {
            Some(Value::String(prev)) => {
                prev.push_str(", ");
                prev.push_str(&v);
            }
            _ => {
                out.insert(k, Value::String(v));
            }
        }
    }
    out
}

/// The `error="…"` and `scope="…"` of an RFC 6750 Bearer challenge.
fn bearer_challenge(header: &str) -> (Option<String>, Option<String>) {
    let Some(rest) = header.trim().strip_prefix("Bearer").or_else(|| {
        header
            .trim()
            .get(..6)
            .filter(|p| p.eq_ignore_ascii_case("bearer"))
            .map(|_| &header.trim()[6..])
    }) else {
        return (None, None);
    };
    let mut error = None;
    let mut scope = None;
    for part in rest.split(',') {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"').to_owned();
        match k.trim().to_ascii_lowercase().as_str() {
            "error" => error = Some(v),
            "scope" => scope = Some(v),
            _ => {}
        }
    }
    (error, scope)
}

fn provider_error(
    kind: ErrorKind,
    status: u16,
    message: String,
    grant_id: &str,
    details: Map<String, Value>,
) -> Error {
    Error::Api(Box::new(ApiError {
        kind,
        status,
        code: None,
        message,
        request_id: None,
        details,
        retry_after: None,
        label: None,
        credentials: Vec::new(),
        grant_id: Some(grant_id.to_owned()),
    }))
}

/// Posts `body` to `path` in the background (signed, never retried, never failing anything).
fn background_post(core: &Core, path: String, body: Vec<u8>, budget: Duration) {
    let inner = core.inner.clone();
    let attenuation = core.attenuation.clone();
    let http = match inner.background.http(|| inner.http_client()) {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(error = %e, "an audit record was not written");
            return;
        }
    };
    let background = inner.background.clone();
    background.spawn(async move {
        let sent = inner
            .send_even_closed(
                &http,
                Method::Post,
                &path,
                body,
                Idempotency::Write,
                Some(budget),
                &attenuation,
            )
            .await;
        if let Err(e) = sent {
            tracing::warn!(path = %path, error = %e, "background write failed (non-fatal)");
        }
    });
}

/// `request`: lease, call, record.
pub(crate) async fn request(
    core: &Core,
    method: String,
    url: String,
    options: RequestOptions,
) -> Result<ProviderResponse, Error> {
    options.validate()?;
    let http_method = method_of(&method)?;
    if core.inner.closed.load(std::sync::atomic::Ordering::Acquire) {
        return Err(Error::Closed);
    }
    let url = resolve_path_params(&url, options.path_params.as_ref())?;
    let mut target = check_destination(&url)?;
    let grant_id = options
        .grant_id
        .as_deref()
        .map(|g| canonical_uuid(g, "grant_id", true))
        .transpose()?;

    // 1. The lease.
    let user_token = core.user_token(options.user_token.as_deref()).await?;
    let mut body = Map::new();
    match (&grant_id, &options.provider) {
        (Some(g), _) => {
            body.insert("grant_id".into(), g.clone().into());
        }
        (None, Some(p)) => {
            body.insert("provider_id".into(), p.clone().into());
        }
        (None, None) => unreachable!("validated"),
    }
    body.insert("reason".into(), options.reason.clone().into());
    body.insert(
        "request".into(),
        json!({"method": http_method.as_str(), "url": url}),
    );
    if let Some(t) = &user_token {
        body.insert("user_token".into(), t.clone().into());
    }
    for (k, v) in [
        ("app_user_id", &options.app_user_id),
        ("account", &options.account),
        ("label", &options.label),
    ] {
        if let Some(v) = v {
            body.insert(k.into(), v.clone().into());
        }
    }
    let body = serde_json::to_vec(&Value::Object(body)).expect("a token request serializes");
    let lease = core
        .send(
            Method::Post,
            "/sdk/token",
            body,
            Idempotency::Read,
            options.timeout,
        )
        .await?;
    let lease = Lease::parse(&lease.body)?;

    // 2. The provider call.
    if let Some(q) = &options.query_params {
        let pairs = query_pairs(q);
        if !pairs.is_empty() {
            target.query_pairs_mut().extend_pairs(pairs);
        }
    }
    let audit_url = url.clone();
    let shown_url = redact_url(&target);
    if !lease.extra_query.is_empty() {
        target.query_pairs_mut().extend_pairs(
            lease
                .extra_query
                .iter()
                .map(|(k, v)| (k.as_str(), v.0.as_str())),
        );
    }
    if target.as_str().len() > MAX_URL_LENGTH {
        return Err(Error::invalid(format!(
            "url with query_params must be at most {MAX_URL_LENGTH} characters"
        )));
    }
    let mut headers = reqwest::header::HeaderMap::new();
    let injected: Vec<String> = std::iter::once(lease.header.to_ascii_lowercase())
        .chain(
            lease
                .extra_headers
                .iter()
                .map(|(k, _)| k.to_ascii_lowercase()),
        )
        .collect();
    let mut request_headers: Vec<(String, String)> = Vec::new();
    for (k, v) in options.extra_headers.iter().flatten() {
        // The credential's header is the lease's alone.
        if injected.contains(&k.to_ascii_lowercase()) {
            continue;
        }
        let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| Error::invalid(format!("extra_headers[{k:?}] is not a header name")))?;
        let value = reqwest::header::HeaderValue::from_str(v)
            .map_err(|_| Error::invalid(format!("extra_headers[{k:?}] is not a header value")))?;
        headers.append(name, value);
        request_headers.push((k.clone(), v.clone()));
    }
    let mut send_body = None;
    if let Some(j) = &options.json {
        if !headers.contains_key(reqwest::header::CONTENT_TYPE) {
            headers.insert(
                reqwest::header::CONTENT_TYPE,
                reqwest::header::HeaderValue::from_static("application/json"),
            );
            request_headers.push(("Content-Type".into(), "application/json".into()));
        }
        send_body = Some(Bytes::from(
            serde_json::to_vec(j).expect("a JSON value serializes"),
        ));
    } else if let Some(b) = &options.body {
        send_body = Some(Bytes::from(b.0.clone()));
    }
    let credential_headers = std::iter::once((lease.header.as_str(), &lease.header_value))
        .chain(lease.extra_headers.iter().map(|(k, v)| (k.as_str(), v)));
    for (k, v) in credential_headers {
        let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| bad_lease("injection_header is not a header name"))?;
        let mut value = reqwest::header::HeaderValue::from_str(&v.0)
            .map_err(|_| bad_lease("the credential is not a valid header value"))?;
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    let timeout = options.timeout.unwrap_or(core.inner.timeout);
    let mut req = core
        .http
        .request(http_method.clone(), target)
        .headers(headers)
        .timeout(timeout);
    if let Some(b) = send_body {
        req = req.body(b);
    }
    let started = Instant::now();
    let sent = async {
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = resp.bytes().await?;
        Ok::<_, reqwest::Error>((status, headers, body))
    }
    .await;
    let latency_ms = started.elapsed().as_millis() as u64;

    // 3. The audit record, in the background.
    let mut record = Map::new();
    record.insert("grant_id".into(), lease.grant_id.clone().into());
    record.insert("provider_id".into(), lease.provider_id.clone().into());
    record.insert(
        "token_generation".into(),
        lease.token_generation.clone().into(),
    );
    record.insert("method".into(), http_method.as_str().into());
    record.insert("url".into(), lease.scrub(&audit_url).into());
    record.insert(
        "request_headers".into(),
        Value::Object(sanitized(request_headers.into_iter(), &lease)),
    );
    record.insert("request_body".into(), audit_request_body(&options));
    let outcome = match sent {
        Ok((status, headers, body)) => {
            record.insert("response_status".into(), status.into());
            record.insert(
                "response_headers".into(),
                Value::Object(sanitized(headers.iter().cloned(), &lease)),
            );
            record.insert(
                "response_body".into(),
                audit_response_body(&body, &lease).into(),
            );
            Ok((status, headers, body))
        }
        Err(e) => {
            let (note, err) = if e.is_timeout() {
                (
                    format!("<transport error: timeout after {latency_ms}ms>"),
                    Error::Timeout {
                        message: format!("Provider API request timed out ({shown_url})"),
                    },
                )
            } else {
                // Without the URL: its query may carry an injected credential.
                let e = e.without_url();
                (
                    "<transport error: network>".to_owned(),
                    Error::Network {
                        message: lease
                            .scrub(&format!("Failed to call provider API ({shown_url}): {e}")),
                    },
                )
            };
            record.insert("response_status".into(), 0.into());
            record.insert("response_headers".into(), Value::Null);
            record.insert("response_body".into(), note.into());
            Err(err)
        }
    };
    record.insert("latency_ms".into(), latency_ms.into());
    record.insert("reason".into(), options.reason.clone().into());
    record.insert(
        "context".into(),
        options
            .context
            .as_ref()
            .map(|c| json!(c))
            .unwrap_or(Value::Null),
    );
    let record = serde_json::to_vec(&Value::Object(record)).expect("a record serializes");
    background_post(
        core,
        "/sdk/oauth/audit/api-call".into(),
        record,
        core.inner.timeout,
    );
    let (status, headers, body) = outcome?;

    if status < 400 {
        return Ok(ProviderResponse {
            status,
            headers,
            body,
            grant_id: lease.grant_id,
        });
    }

    // Provider failures, mapped as the official client maps them.
    let www = headers
        .iter()
        .find(|(k, _)| k == "www-authenticate")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let (challenge_error, challenge_scope) = bearer_challenge(&www);
    let mut details = Map::new();
    details.insert("grant_id".into(), lease.grant_id.clone().into());
    details.insert("provider_id".into(), lease.provider_id.clone().into());
    details.insert("method".into(), http_method.as_str().into());
    details.insert("url".into(), shown_url.clone().into());
    details.insert("status_code".into(), status.into());
    details.insert(
        "response_body".into(),
        audit_response_body(&body, &lease).into(),
    );
    if status == 403 && challenge_error.as_deref() == Some("insufficient_scope") {
        let missing: Option<Vec<String>> = challenge_scope.as_deref().map(|s| {
            s.split_whitespace()
                .take(50)
                .map(|x| x.chars().take(256).collect())
                .collect()
        });
        let report = json!({
            "provider_status_code": status,
            "provider_error_code": "insufficient_scope",
            "missing_scopes": missing,
            "raw_www_authenticate": www.chars().take(4096).collect::<String>(),
            "api_endpoint": shown_url.chars().take(2048).collect::<String>(),
            "detection_source": "www_authenticate_rfc6750",
            "sdk_correlation_id": uuid::Uuid::new_v4().simple().to_string(),
        });
        background_post(
            core,
            format!("/sdk/grants/{}/report-scope-mismatch", lease.grant_id),
            serde_json::to_vec(&report).expect("a report serializes"),
            REPORT_BUDGET,
        );
        details.insert("source".into(), "provider_insufficient_scope".into());
        details.insert("missing_scopes".into(), json!(missing));
        return Err(provider_error(
            ErrorKind::ScopeReauthRequired,
            status,
            "Provider returned insufficient_scope; the grant must be re-authorized to regain \
             access to the requested resource."
                .into(),
            &lease.grant_id,
            details,
        ));
    }
    if status == 403 && lease.scope_mismatch {
        details.insert("source".into(), "backend_flag".into());
        return Err(provider_error(
            ErrorKind::ScopeReauthRequired,
            status,
            "Provider API returned 403 and the grant's scopes don't match the provider config; \
             the user needs to re-authorize."
                .into(),
            &lease.grant_id,
            details,
        ));
    }
    if status == 401 && challenge_error.as_deref() != Some("insufficient_scope") {
        details.insert("source".into(), "provider_unauthorized".into());
        return Err(provider_error(
            ErrorKind::ProviderUnauthorized,
            status,
            "Provider returned 401: the grant's credential was rejected provider-side".into(),
            &lease.grant_id,
            details,
        ));
    }
    Err(provider_error(
        ErrorKind::ProviderApi,
        status,
        format!("Provider API returned error {status}"),
        &lease.grant_id,
        details,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(extra: Value) -> Lease {
        let mut v = json!({
            "access_token": "sekrit-token",
            "grant_id": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
        });
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        Lease::parse(&serde_json::to_vec(&v).unwrap()).unwrap()
    }

    #[test]
    fn a_lease_is_checked_and_never_shown() {
        let l = lease(json!({"injection_header": "X-Api-Key", "injection_format": "{token}"}));
        assert_eq!(l.header, "X-Api-Key");
        assert!(!format!("{l:?}").contains("sekrit"));
        for bad in [
            json!({"access_token": "", "grant_id": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"}),
            json!({"access_token": "a\nb", "grant_id": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"}),
            json!({"access_token": "t", "grant_id": "nope"}),
            json!({"access_token": "t", "grant_id": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", "injection_header": "Host"}),
            json!({"access_token": "t", "grant_id": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", "injection_format": "Bearer"}),
            json!({"access_token": "t", "grant_id": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
                   "additional_injections": [{"target": "cookie", "key": "k", "value_source": "token"}]}),
        ] {
            let e = Lease::parse(&serde_json::to_vec(&bad).unwrap()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ResponseValidation, "{bad}");
        }
    }

    #[test]
    fn scrubbing_removes_every_credential() {
        let l = lease(json!({"additional_injections": [
            {"target": "query_param", "key": "key", "value_source": "token"}]}));
        assert_eq!(
            l.scrub("got Bearer sekrit-token and sekrit-token"),
            "got [REDACTED] and [REDACTED]"
        );
        assert_eq!(l.extra_query.len(), 1);
    }

    #[test]
    fn destinations() {
        for ok in [
            "https://api.example.com/x",
            "http://127.0.0.1:9/x",
            "http://localhost/x",
            "http://[::1]:80/",
        ] {
            assert!(check_destination(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.example.com/x",
            "http://127.0.0.2/",
            "ftp://example.com/",
            "/relative",
            "https://",
        ] {
            assert_eq!(
                check_destination(bad).unwrap_err().kind(),
                ErrorKind::InvalidArgument,
                "{bad}"
            );
        }
    }

    #[test]
    fn path_params_are_encoded_and_required() {
        let p = std::collections::BTreeMap::from([("id".to_string(), "a b/c".to_string())]);
        assert_eq!(
            resolve_path_params("https://x/{id}/y", Some(&p)).unwrap(),
            "https://x/a%20b%2Fc/y"
        );
        assert!(resolve_path_params("https://x/{other}", Some(&p)).is_err());
    }

    #[test]
    fn challenges() {
        assert_eq!(
            bearer_challenge(r#"Bearer realm="x", error="insufficient_scope", scope="a b""#),
            (Some("insufficient_scope".into()), Some("a b".into()))
        );
        assert_eq!(bearer_challenge("Basic realm=x"), (None, None));
    }
}
