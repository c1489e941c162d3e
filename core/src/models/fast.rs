//! The list page's fast path: a reader for pages in the shape servers send (compact or not,
//! `grant_kind` first, plain strings), which costs a fraction of the general serde reading — a
//! list call is mostly its parse.
//!
//! It answers exactly what the general path (`GrantPage::from_str_general`) answers, or
//! nothing: every value it does not read itself (a nested object, an array, a string with an
//! escape, a number that is not a small integer) is cut out whole and handed to the same field
//! reader the general path uses; an item it cannot read goes whole to the general item reader;
//! anything else — an error included — returns `None`, and the caller reads the whole page the
//! general way, so an error message is always the general path's. The differential test in
//! `models.rs` checks both paths on mutated pages.

use super::{
    CredentialKind, GrantItem, GrantPage, ManagedSecretGrantItem, OAuthGrantItem, depth,
    https_origin, is_https_origin, lenient_or_ownership, lenient_policy, lenient_strings,
    ownership, strings_or_empty,
};
use crate::lenient::{Accept, lenient, lenient_or_default};
use crate::policy::GrantPolicy;
use crate::time_fmt;
use serde::Deserialize;
use std::borrow::Cow;
use time::OffsetDateTime;

/// Reads `text` as a page, or returns `None` when the general path must.
pub(super) fn page(text: &str) -> Option<GrantPage> {
    let mut c = Cursor::new(text);
    let (mut grants, mut total, mut limit, mut offset, mut has_more) =
        (None, None, None, None, None);
    c.eat(b'{')?;
    if c.peek()? != b'}' {
        loop {
            let key = c.key()?;
            match key {
                "grants" if grants.is_none() => grants = Some(c.items()?),
                "total" if total.is_none() => total = Some(c.uint()?),
                "limit" if limit.is_none() => limit = Some(u32::try_from(c.uint()?).ok()?),
                "offset" if offset.is_none() => offset = Some(c.uint()?),
                "has_more" if has_more.is_none() => has_more = Some(c.boolean()?),
                "grants" | "total" | "limit" | "offset" | "has_more" => return None,
                _ => c.skip_unknown()?,
            }
            if !c.next_entry()? {
                break;
            }
        }
    } else {
        c.i += 1;
    }
    c.ws();
    if c.i != c.b.len() {
        return None;
    }
    Some(GrantPage {
        grants: grants?,
        total: total?,
        limit: limit?,
        offset: offset?,
        has_more: has_more?,
    })
}

pub(super) struct Cursor<'a> {
    b: &'a [u8],
    s: &'a str,
    pub(super) i: usize,
}

/// One 8-byte word at a time: a byte of `"`, `\` or a control character ends a plain string.
fn stop_in(word: u64) -> u64 {
    const ONES: u64 = u64::MAX / 255;
    let ctrl = word.wrapping_sub(ONES * 0x20) & !word;
    let q = word ^ (ONES * u64::from(b'"'));
    let quote = q.wrapping_sub(ONES) & !q;
    let bs = word ^ (ONES * u64::from(b'\\'));
    let backslash = bs.wrapping_sub(ONES) & !bs;
    (ctrl | quote | backslash) & (ONES << 7)
}

impl<'a> Cursor<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Cursor {
            b: text.as_bytes(),
            s: text,
            i: 0,
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.i += 1)
    }

    /// After an entry: `true` at `,` (another follows), `false` at `}`.
    fn next_entry(&mut self) -> Option<bool> {
        self.next(b'}')
    }

    pub(super) fn next(&mut self, close: u8) -> Option<bool> {
        match self.peek()? {
            b',' => {
                self.i += 1;
                Some(true)
            }
            b if b == close => {
                self.i += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// A string without escapes or control characters, at the cursor (after whitespace).
    fn plain_str(&mut self) -> Option<&'a str> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.i + 1;
        let mut j = start;
        while let Some(chunk) = self.b.get(j..j + 8) {
            let stop = stop_in(u64::from_le_bytes(chunk.try_into().ok()?));
            if stop != 0 {
                j += stop.trailing_zeros() as usize / 8;
                return self.end_str(start, j);
            }
            j += 8;
        }
        while let Some(&b) = self.b.get(j) {
            if b == b'"' || b == b'\\' || b < 0x20 {
                return self.end_str(start, j);
            }
            j += 1;
        }
        None
    }

    fn end_str(&mut self, start: usize, at: usize) -> Option<&'a str> {
        if self.b[at] != b'"' {
            return None;
        }
        self.i = at + 1;
        // Both ends are ASCII quotes, so this is a char boundary.
        self.s.get(start..at)
    }

    /// An object key and its colon.
    fn key(&mut self) -> Option<&'a str> {
        let k = self.plain_str()?;
        self.eat(b':')?;
        Some(k)
    }

    /// Field `expected` of `keys` if its key and colon are next (the cursor then past them);
    /// `None` otherwise (whitespace before the colon included), the cursor unmoved.
    #[inline(always)]
    fn predicted_key(&mut self, keys: &[Key], expected: usize) -> Option<usize> {
        let key = keys.get(expected)?;
        self.ws();
        let at = self.i;
        let end = at.checked_add(key.len).filter(|&end| end <= self.b.len())?;
        let word = |from: usize| u64::from_le_bytes(self.b[from..from + 8].try_into().unwrap());
        let matches = word(at) == key.first
            && word(at + (key.len - 8).min(8)) == key.middle
            && word(end - 8) == key.last;
        if !matches {
            return None;
        }
        self.i = end;
        Some(expected)
    }

    #[inline]
    fn literal<const N: usize>(&mut self, word: &[u8; N]) -> bool {
        if self.b.get(self.i..self.i + N) == Some(word) && !self.word_continues(self.i + N) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    /// Whether a letter or digit follows at `at` (then a literal or number did not end there).
    fn word_continues(&self, at: usize) -> bool {
        self.b
            .get(at)
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'))
    }

    fn null(&mut self) -> bool {
        self.peek() == Some(b'n') && self.literal(b"null")
    }

    fn boolean(&mut self) -> Option<bool> {
        match self.peek()? {
            b't' if self.literal(b"true") => Some(true),
            b'f' if self.literal(b"false") => Some(false),
            _ => None,
        }
    }

    /// A non-negative integer in JSON's form (no leading zero, no fraction or exponent).
    fn uint(&mut self) -> Option<u64> {
        self.ws();
        let start = self.i;
        let mut n: u64 = 0;
        while let Some(d @ b'0'..=b'9') = self.b.get(self.i) {
            n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
            self.i += 1;
        }
        let len = self.i - start;
        if len == 0 || (len > 1 && self.b[start] == b'0') || self.word_continues(self.i) {
            return None;
        }
        Some(n)
    }

    /// The text of the value at the cursor, cut out by structure alone (strings and nesting,
    /// at most 64 deep: deeper, the general path's own nesting limit may apply); the field reader
    /// it goes to checks it.
    fn raw_value(&mut self) -> Option<&'a str> {
        self.ws();
        let start = self.i;
        let mut depth = 0usize;
        loop {
            let b = *self.b.get(self.i)?;
            match b {
                b'"' => {
                    self.i += 1;
                    loop {
                        match *self.b.get(self.i)? {
                            b'"' => break,
                            b'\\' => self.i += 2,
                            _ => self.i += 1,
                        }
                    }
                    self.i += 1;
                }
                b'{' | b'[' if depth < 64 => {
                    depth += 1;
                    self.i += 1;
                }
                b'{' | b'[' => return None,
                b'}' | b']' if depth > 0 => {
                    depth -= 1;
                    self.i += 1;
                }
                b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t' if depth == 0 => break,
                _ => self.i += 1,
            }
            if depth == 0 && matches!(b, b'"' | b'}' | b']') {
                break;
            }
        }
        self.s.get(start..self.i).filter(|v| !v.is_empty())
    }

    /// The value at the cursor through `read`, a field reader of the general path.
    fn read_with<T>(
        &mut self,
        read: impl FnOnce(
            &mut serde_json::Deserializer<serde_json::de::StrRead<'a>>,
        ) -> serde_json::Result<T>,
    ) -> Option<T> {
        let raw = self.raw_value()?;
        let mut de = serde_json::Deserializer::from_str(raw);
        let v = read(&mut de).ok()?;
        de.end().ok()?;
        Some(v)
    }

    /// An unknown field's value: skipped, but checked to be JSON as the general path does.
    fn skip_unknown(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' if self.plain_str().is_some() => Some(()),
            b'n' if self.null() => Some(()),
            b't' | b'f' if self.boolean().is_some() => Some(()),
            _ => self.read_with(|d| serde::de::IgnoredAny::deserialize(d).map(drop)),
        }
    }

    fn items(&mut self) -> Option<Vec<GrantItem>> {
        self.eat(b'[')?;
        let mut items = Vec::new();
        if self.peek()? == b']' {
            self.i += 1;
            return Some(items);
        }
        loop {
            self.ws();
            let start = self.i;
            let item = match self.known_item() {
                Some(item) => item,
                None => {
                    self.i = start;
                    self.read_with(|d| GrantItem::deserialize(d))?
                }
            };
            items.push(item);
            if !self.next(b']')? {
                return Some(items);
            }
        }
    }

    /// An item whose first key is `grant_kind` with a kind this version knows, else `None` (the
    /// cursor is then anywhere inside it).
    pub(super) fn known_item(&mut self) -> Option<GrantItem> {
        self.eat(b'{')?;
        if self.key()? != "grant_kind" {
            return None;
        }
        match self.plain_str()? {
            "managed_secret" => managed_secret_item(self).map(GrantItem::ManagedSecret),
            "oauth" => oauth_item(self).map(GrantItem::OAuth),
            _ => None,
        }
    }

    /// A string field: a plain string natively, anything else through `read`.
    fn string_or<T>(
        &mut self,
        plain: impl FnOnce(&'a str) -> Option<T>,
        null: Option<T>,
        read: impl FnOnce(
            &mut serde_json::Deserializer<serde_json::de::StrRead<'a>>,
        ) -> serde_json::Result<T>,
    ) -> Option<T> {
        match self.peek()? {
            b'"' => {
                let at = self.i;
                match self.plain_str() {
                    Some(s) => plain(s),
                    None => {
                        self.i = at;
                        self.read_with(read)
                    }
                }
            }
            b'n' if null.is_some() && self.null() => null,
            _ => self.read_with(read),
        }
    }

    // The field readers: each reads what the general path's reader of that field reads (named
    // in the last argument), natively when the value is null or plain.

    fn required_string(&mut self) -> Option<String> {
        self.string_or(|s| Some(s.to_owned()), None, |d| String::deserialize(d))
    }

    fn optional_string(&mut self) -> Option<Option<String>> {
        self.string_or(|s| Some(Some(s.to_owned())), Some(None), |d| lenient(d))
    }

    fn time(&mut self) -> Option<OffsetDateTime> {
        self.string_or(time_fmt::parse, None, |d| time_fmt::deserialize(d))
    }

    fn optional_time(&mut self) -> Option<Option<OffsetDateTime>> {
        self.string_or(
            |s| Some(time_fmt::parse(s)),
            Some(None),
            |d| time_fmt::option::deserialize(d),
        )
    }

    fn access_via(&mut self) -> Option<String> {
        self.string_or(
            |s| Some(s.to_owned()),
            Some(ownership()),
            |d| lenient_or_ownership(d),
        )
    }

    fn https_origin(&mut self) -> Option<Option<String>> {
        self.string_or(
            |s| Some(is_https_origin(s).then(|| s.to_owned())),
            Some(None),
            |d| https_origin(d),
        )
    }

    fn credential_kind(&mut self) -> Option<Option<CredentialKind>> {
        self.string_or(
            |s| Some(CredentialKind::from_str(Cow::Borrowed(s))),
            Some(None),
            |d| lenient(d),
        )
    }

    fn policy(&mut self) -> Option<Option<GrantPolicy>> {
        if self.null() {
            return Some(None);
        }
        self.read_with(|d| lenient_policy(d))
    }

    fn depth(&mut self) -> Option<i64> {
        match self.peek()? {
            b'0'..=b'9' => {
                let at = self.i;
                if let Some(n) = self.uint().and_then(|n| i64::try_from(n).ok()) {
                    return Some(n);
                }
                self.i = at;
            }
            b'n' if self.null() => return Some(0),
            _ => {}
        }
        self.read_with(|d| depth(d))
    }

    fn flag(&mut self) -> Option<bool> {
        match self.peek()? {
            b'n' if self.null() => Some(false),
            b't' | b'f' => self.boolean(),
            _ => self.read_with(|d| lenient_or_default(d)),
        }
    }

    fn optional_strings(&mut self) -> Option<Option<Vec<String>>> {
        if self.null() {
            return Some(None);
        }
        self.read_with(|d| lenient_strings(d))
    }

    fn strings(&mut self) -> Option<Vec<String>> {
        if self.null() {
            return Some(Vec::new());
        }
        self.read_with(|d| strings_or_empty(d))
    }
}

/// Declares the reader of one item kind: `fn $name(&mut Cursor) -> Option<$ty>` reading the
/// object's entries after `grant_kind` until its `}`, each field (`name: type`) with its reader
/// (a `Cursor` method) and, when the field may be absent, the value it then takes (`or
/// default`); without one, the field is required. The list is the struct's fields in the order
/// servers send them.
macro_rules! item_reader {
    ($name:ident -> $ty:ident {
        $($field:ident: $fty:ty => $read:ident $(or $default:expr)?),+ $(,)?
    }) => {
        fn $name(c: &mut Cursor<'_>) -> Option<$ty> {
            #[allow(non_camel_case_types)]
            #[derive(Clone, Copy)]
            enum Field { $($field),+ }
            const ORDER: &[Field] = &[$(Field::$field),+];
            const KEYS: &[Key] = &[$(key_words(concat!("\"", stringify!($field), "\":"))),+];
            const NAMES: &[&str] = &[$(stringify!($field)),+];
            // One struct in memory: as separate locals, the fields were shuffled between
            // registers and stack on every entry (twice the instructions).
            #[derive(Default)]
            struct Read { $($field: Option<$fty>),+ }
            let mut f = Read::default();
            let mut seen = 0u64;
            // Servers send the fields in one order: the next key is most likely the one after
            // the last, compared in place before any scanning.
            let mut expected = 0;
            while c.next_entry()? {
                let at = match c.predicted_key(KEYS, expected) {
                    Some(at) => at,
                    None => {
                        let key = c.key()?;
                        match NAMES.iter().position(|&name| name == key) {
                            Some(at) => at,
                            None => {
                                c.skip_unknown()?;
                                continue;
                            }
                        }
                    }
                };
                // A field twice is an error of the general path.
                if seen & (1 << at) != 0 {
                    return None;
                }
                seen |= 1 << at;
                expected = at + 1;
                match ORDER[at] {
                    $(Field::$field => f.$field = Some(c.$read()?),)+
                }
            }
            Some($ty {
                $($field: item_reader!(@finish f.$field $(, $default)?),)+
            })
        }
    };
    (@finish $value:expr) => { $value? };
    (@finish $value:expr, $default:expr) => { $value.unwrap_or_else(|| $default) };
}

item_reader!(managed_secret_item -> ManagedSecretGrantItem {
    grant_id: String => required_string,
    managed_secret_id: String => required_string,
    managed_secret_slug: String => required_string,
    managed_secret_name: String => required_string,
    agent_id: Option<String> => optional_string or None,
    account_identifier: Option<String> => optional_string or None,
    status: String => required_string,
    expires_at: Option<OffsetDateTime> => optional_time or None,
    grant_expires_at: Option<OffsetDateTime> => optional_time or None,
    created_at: OffsetDateTime => time,
    last_used_at: Option<OffsetDateTime> => optional_time or None,
    principal_type: String => required_string,
    access_via: String => access_via or ownership(),
    delegated_at: Option<OffsetDateTime> => optional_time or None,
    label: Option<String> => optional_string or None,
    credential_id: Option<String> => optional_string or None,
    parent_grant_id: Option<String> => optional_string or None,
    grant_policy: Option<GrantPolicy> => policy or None,
    depth: i64 => depth or 0,
    delegable: bool => flag or false,
    scope_constraint: Option<Vec<String>> => optional_strings or None,
    credential_kind: Option<CredentialKind> => credential_kind or None,
    credential_label: Option<String> => optional_string or None,
});

item_reader!(oauth_item -> OAuthGrantItem {
    grant_id: String => required_string,
    provider_id: String => required_string,
    scopes: Vec<String> => strings or Vec::new(),
    account_identifier: Option<String> => optional_string or None,
    account_display_name: Option<String> => optional_string or None,
    api_base_url: Option<String> => https_origin or None,
    status: String => required_string,
    scope_mismatch: bool => flag or false,
    needs_reconnect: bool => flag or false,
    expires_at: Option<OffsetDateTime> => optional_time or None,
    grant_expires_at: Option<OffsetDateTime> => optional_time or None,
    created_at: OffsetDateTime => time,
    last_used_at: Option<OffsetDateTime> => optional_time or None,
    principal_type: String => required_string,
    access_via: String => access_via or ownership(),
    delegated_at: Option<OffsetDateTime> => optional_time or None,
    delegated_agent_ids: Vec<String> => strings or Vec::new(),
    label: Option<String> => optional_string or None,
    credential_id: Option<String> => optional_string or None,
    parent_grant_id: Option<String> => optional_string or None,
    grant_policy: Option<GrantPolicy> => policy or None,
    depth: i64 => depth or 0,
    delegable: bool => flag or false,
    scope_constraint: Option<Vec<String>> => optional_strings or None,
});

/// A quoted key and its colon as three (overlapping) 8-byte words: the first eight bytes, the
/// eight from byte 8 (or the last eight, if shorter than 16) and the last eight. Every key here is
/// 8 to 24 bytes long, so the three words cover all of it and compare without a call.
#[derive(Clone, Copy)]
struct Key {
    len: usize,
    first: u64,
    middle: u64,
    last: u64,
}

const fn key_words(quoted: &str) -> Key {
    const fn word(b: &[u8], from: usize) -> u64 {
        let mut w = 0u64;
        let mut i = 0;
        while i < 8 {
            w |= (b[from + i] as u64) << (8 * i);
            i += 1;
        }
        w
    }
    let b = quoted.as_bytes();
    let len = b.len();
    assert!(len >= 8 && len <= 24, "a key of 8 to 24 bytes");
    let middle_at = if len - 8 < 8 { len - 8 } else { 8 };
    Key {
        len,
        first: word(b, 0),
        middle: word(b, middle_at),
        last: word(b, len - 8),
    }
}
