//! proptest strategies for SCIM requests: valid and edge-case Users and Groups, PatchOp
//! bodies (Entra's shapes among them), filters over the User and Group schemas, and invalid
//! payloads with the answer the RFC expects.
//!
//! Values come from small pools so that generated resources collide and filters match; the
//! pools mix in unicode, quotes and very long strings. What only exists when a request is
//! sent is a placeholder, filled in by whoever renders it: [`PREFIX`] (the run's prefix on
//! every userName and displayName) and [`user_ref`]/[`group_ref`] (the id of the N-th
//! resource created so far, modulo how many there are).

mod filter;
mod invalid;
mod patch;
mod resource;

use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value};

pub use filter::{FilterSpace, invalid_filter, user_name_filter};
pub use invalid::{Expected, Invalid, invalid_user};
pub use patch::{empty_patch, group_patch, user_patch};
pub use resource::{group, user};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Which attribute paths (`name.givenName`, `emails[type eq "work"].value`) a target declares
/// for an endpoint (`Users`, `Groups`): generated filters, PATCH paths, sorts and projections
/// name no other, so that nothing is expected of an attribute the target does not have (RFC
/// 7644 §3.1: a service provider "may only support a subset of the schema").
#[derive(Clone)]
pub struct Vocabulary(Option<Arc<Declares>>);

/// Whether an endpoint declares an attribute path.
type Declares = dyn Fn(&str, &str) -> bool + Send + Sync;

impl Vocabulary {
    /// Every attribute of RFC 7643.
    pub fn rfc() -> Self {
        Vocabulary(None)
    }

    /// The attributes `declares(endpoint, path)` holds declared.
    pub fn declared(declares: impl Fn(&str, &str) -> bool + Send + Sync + 'static) -> Self {
        Vocabulary(Some(Arc::new(declares)))
    }

    pub fn has(&self, endpoint: &str, path: &str) -> bool {
        self.0
            .as_ref()
            .is_none_or(|declares| declares(endpoint, path))
    }
}

impl std::fmt::Debug for Vocabulary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Vocabulary(declared)"
        } else {
            "Vocabulary(rfc)"
        })
    }
}

/// Stands for the run's prefix (`scimitar-<run>-<n>-`).
pub const PREFIX: &str = "{{prefix}}";

/// Stands for the id of the `n`-th user created so far (modulo their number).
pub fn user_ref(n: usize) -> String {
    format!("{{{{user:{n}}}}}")
}

/// Stands for the id of the `n`-th group created so far (modulo their number).
pub fn group_ref(n: usize) -> String {
    format!("{{{{group:{n}}}}}")
}

/// The part of a userName after the prefix; few, so that creates collide.
const NAMES: &[&str] = &["alice", "bob", "carol", "dave", "erin"];
const WORDS: &[&str] = &[
    "Ada",
    "Lovelace",
    "Grace",
    "hopper",
    "Zoë",
    "Łukasz",
    "東京",
    "Ørsted",
    "O'Brien",
    "say \"hi\"",
    "back\\slash",
    "🎉 party",
];
const EMAILS: &[&str] = &["ada@example.com", "Ada@Example.com", "grace@example.org"];
const EMAIL_TYPES: &[&str] = &["work", "home", "other"];
const PHONE_TYPES: &[&str] = &["work", "mobile", "home"];
const EXTERNAL_IDS: &[&str] = &["ext-1", "EXT-1", "ext-2"];

/// A pool value in a random mix of upper and lower case (shrinking towards the pool's own).
fn case_variant(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    (select(pool), proptest::collection::vec(any::<bool>(), 8)).prop_map(|(s, flips)| {
        s.chars()
            .enumerate()
            .map(|(i, c)| match flips.get(i) {
                Some(true) if c.is_lowercase() => c.to_uppercase().next().unwrap_or(c),
                Some(true) => c.to_lowercase().next().unwrap_or(c),
                _ => c,
            })
            .collect()
    })
}

fn pool(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    select(pool).prop_map(str::to_string)
}

/// Mostly pool words; sometimes any printable unicode, sometimes very long.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => pool(WORDS),
        2 => "\\PC{1,16}",
        1 => "[a-zA-Z ]{256,1024}",
    ]
}

/// An attribute the request may omit (None), send as null, or send.
fn maybe(s: impl Strategy<Value = Value>) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(Value::Null)),
        4 => s.prop_map(Some),
    ]
}

fn put(obj: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    if let Some(v) = v {
        obj.insert(key.to_string(), v);
    }
}
