//! The in-memory store: resources by type, in creation order so that paging is stable.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};

/// Resources of every type, keyed by resource type name then id.
#[derive(Default)]
pub struct Store {
    by_type: HashMap<String, indexmap::IndexMap<String, Map<String, Value>>>,
    versions: AtomicU64,
}

impl Store {
    pub fn all(&self, rt: &str) -> impl Iterator<Item = &Map<String, Value>> {
        self.by_type.get(rt).into_iter().flat_map(|m| m.values())
    }

    pub fn get(&self, rt: &str, id: &str) -> Option<&Map<String, Value>> {
        self.by_type.get(rt)?.get(id)
    }

    pub fn put(&mut self, rt: &str, id: String, resource: Map<String, Value>) {
        self.by_type
            .entry(rt.to_string())
            .or_default()
            .insert(id, resource);
    }

    pub fn remove(&mut self, rt: &str, id: &str) -> Option<Map<String, Value>> {
        self.by_type.get_mut(rt)?.shift_remove(id)
    }

    pub fn get_mut(&mut self, rt: &str, id: &str) -> Option<&mut Map<String, Value>> {
        self.by_type.get_mut(rt)?.get_mut(id)
    }

    /// A fresh weak ETag value.
    pub fn next_version(&self) -> String {
        format!(
            "W/\"{}\"",
            self.versions.fetch_add(1, Ordering::Relaxed) + 1
        )
    }
}
