//! A small HTTP client for the admin API (used by `grantline-server admin ...`).

use serde_json::Value;

/// Talks to `/admin/` of a running server.
pub struct AdminClient {
    base_url: String,
    token: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminClient")
            .field("base_url", &self.base_url)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl AdminClient {
    /// A client for the server at `base_url`.
    pub fn new(base_url: &str, token: &str) -> Self {
        AdminClient {
            base_url: base_url.trim_end_matches('/').to_string(),
            token: token.to_string(),
            http: reqwest::Client::new(),
        }
    }

    /// What a failed send means, and what to do about it. reqwest's own message ("error sending
    /// request for url …") names neither the cause nor the fix.
    fn unreachable(&self, e: &reqwest::Error) -> String {
        let mut cause = String::new();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            cause = s.to_string();
            source = s.source();
        }
        if cause.is_empty() {
            cause = e.to_string();
        }
        format!(
            "cannot reach the admin API at {} ({cause}). Is grantline-server running there? \
             Pass its address with --url or GRANTLINE_URL (`serve` and `dev` print it on stderr; \
             `dev --format env` exports it as GRANTLINE_URL)",
            self.base_url
        )
    }

    /// Sends one request; a non-2xx answer is an error carrying the body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, String> {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base_url, path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| self.unreachable(&e))?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| format!("reading the answer: {e}"))?;
        let value: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!("HTTP {}: {}", status.as_u16(), value))
        }
    }
}
