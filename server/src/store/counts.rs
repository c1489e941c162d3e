//! Grant counts per scope, so that a listing's `total` is exact and costs the same at 1M grants
//! as at 10k.
//!
//! A *scope* is a set of an app's grants that a listing can ask for with one filter: every grant
//! (dim `""`), one provider, one label, one account, one principal (`"type:ref"`; an agent's
//! listing is its principal, a user's the user's principal plus the principals of the user's
//! groups). The `grant_counts` table keeps, per scope, `total`, `revoked`, and `expired`: the
//! unrevoked grants whose expiry is at or before the app's *watermark* W (on the app's dim `""`
//! row). Creates, revokes and the expiry sweep keep them in step, in their own transactions.
//!
//! Status is relative to "now", which moves; the counts are relative to W. So the unrevoked
//! grants expired at `now` are `expired + #(W < expiry ≤ now)` when `now ≥ W`, and
//! `expired − #(now < expiry ≤ W)` when `now < W` (another instance's clock may be ahead); the
//! `#` reads the `grants_expiry` index between W and now, which holds the expiries since the last
//! sweep (a second, by default). Then:
//!
//! | status | total |
//! |---|---|
//! | none | `total` |
//! | `revoked` | `revoked` |
//! | `expired` | expired at now |
//! | `active` | `total − revoked −` expired at now |
//!
//! A listing with two filters or more (say a provider and a label) has no scope of its own: its
//! total is counted over the index of one of them, so it costs O(matches).
//!
//! Concurrency: every transaction that changes the counts of an app first locks its dim `""` row
//! (it also holds W), and then the others in one order (app, dim, value), so writers on several
//! instances never deadlock on counts; the sweep and a revoke agree on W.

use super::{GrantRec, ListQuery, Visibility};
use std::collections::BTreeMap;

/// The dim of every grant of an app.
pub const ALL: &str = "";

/// The value of a principal scope.
pub fn principal_value(principal_type: &str, principal_ref: Option<&str>) -> String {
    format!("{principal_type}:{}", principal_ref.unwrap_or(""))
}

/// The scopes a grant belongs to, besides its app's dim `""` scope.
pub fn scopes(g: &GrantRec) -> Vec<(&'static str, String)> {
    let mut s = vec![
        ("provider", g.provider_slug.clone()),
        (
            "principal",
            principal_value(&g.principal_type, g.principal_ref.as_deref()),
        ),
    ];
    if let Some(l) = &g.label {
        s.push(("label", l.clone()));
    }
    if let Some(a) = &g.account_identifier {
        s.push(("account", a.clone()));
    }
    s
}

/// Changes to the counts of scopes, in lock order.
#[derive(Debug, Default)]
pub struct Deltas(pub BTreeMap<(String, &'static str, String), [i64; 3]>);

impl Deltas {
    /// Adds `[total, revoked, expired]` to the scope `(app, dim, value)`.
    pub fn add(&mut self, app: &str, dim: &'static str, value: &str, d: [i64; 3]) {
        let e = self
            .0
            .entry((app.to_string(), dim, value.to_string()))
            .or_default();
        for i in 0..3 {
            e[i] += d[i];
        }
    }

    /// Adds `d` to every scope of `g`, its app's included.
    pub fn add_grant(&mut self, g: &GrantRec, d: [i64; 3]) {
        self.add(&g.app_id, ALL, "", d);
        for (dim, value) in scopes(g) {
            self.add(&g.app_id, dim, &value, d);
        }
    }

    /// The app-wide rows (dim `""`), in lock order.
    pub fn apps(&self) -> impl Iterator<Item = (&str, [i64; 3])> {
        self.0
            .iter()
            .filter(|((_, dim, _), _)| *dim == ALL)
            .map(|((app, _, _), d)| (app.as_str(), *d))
    }

    /// The other rows, in lock order.
    pub fn others(&self) -> impl Iterator<Item = (&str, &'static str, &str, [i64; 3])> {
        self.0
            .iter()
            .filter(|((_, dim, _), d)| *dim != ALL && **d != [0, 0, 0])
            .map(|((app, dim, value), d)| (app.as_str(), *dim, value.as_str(), *d))
    }
}

/// The scope a listing's total can be read from: a dim and the values whose counts add up (a
/// user's principal and the principals of the user's groups are disjoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountScope {
    pub dim: &'static str,
    pub values: Vec<String>,
}

/// The scope of `q`, when it has one (at most one filter, visibility included).
pub fn scope_of(q: &ListQuery) -> Option<CountScope> {
    let mut found: Vec<CountScope> = Vec::new();
    match &q.visibility {
        Visibility::App => {}
        Visibility::Agent { agent_id } => found.push(CountScope {
            dim: "principal",
            values: vec![principal_value("agent", Some(agent_id))],
        }),
        Visibility::User { user_id, group_ids } => {
            let mut values = vec![principal_value("user", Some(user_id))];
            values.extend(group_ids.iter().map(|g| principal_value("group", Some(g))));
            found.push(CountScope {
                dim: "principal",
                values,
            });
        }
    }
    for (dim, v) in [
        ("provider", &q.provider),
        ("label", &q.label),
        ("account", &q.account),
    ] {
        if let Some(v) = v {
            found.push(CountScope {
                dim,
                values: vec![v.clone()],
            });
        }
    }
    match found.len() {
        0 => Some(CountScope {
            dim: ALL,
            values: vec![String::new()],
        }),
        1 => found.pop(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StatusFilter;

    fn q(visibility: Visibility) -> ListQuery {
        ListQuery {
            app_id: "a".into(),
            visibility,
            provider: None,
            status: Some(StatusFilter::Active),
            account: None,
            label: None,
            limit: 10,
            offset: 0,
            now: 0,
        }
    }

    #[test]
    fn one_filter_has_a_scope_two_do_not() {
        assert_eq!(scope_of(&q(Visibility::App)).unwrap().dim, ALL);
        let user = Visibility::User {
            user_id: "u".into(),
            group_ids: vec!["g".into()],
        };
        assert_eq!(
            scope_of(&q(user.clone())).unwrap().values,
            ["user:u", "group:g"]
        );
        let mut two = q(user);
        two.provider = Some("p".into());
        assert_eq!(scope_of(&two), None);
        let mut label = q(Visibility::App);
        label.label = Some("l".into());
        assert_eq!(
            scope_of(&label),
            Some(CountScope {
                dim: "label",
                values: vec!["l".into()]
            })
        );
    }

    #[test]
    fn deltas_lock_the_app_row_first() {
        let mut d = Deltas::default();
        d.add("b", "provider", "p", [1, 0, 0]);
        d.add("a", "label", "l", [1, 0, 0]);
        d.add("a", ALL, "", [1, 0, 0]);
        let keys: Vec<_> = d.0.keys().cloned().collect();
        assert_eq!(keys[0], ("a".into(), ALL, String::new()));
        assert_eq!(keys[1].0, "a");
        assert_eq!(keys[2].0, "b");
    }
}
