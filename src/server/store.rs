//! The in-memory store: resources by type, in creation order so that paging is stable, with
//! an index of unique values so that a uniqueness check does not scan every resource.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use indexmap::IndexMap;
use serde_json::{Map, Value};

/// Resources of every type, keyed by resource type name then id.
#[derive(Default)]
pub struct Store {
    by_type: HashMap<String, IndexMap<String, Entry>>,
    /// Resource type → unique key (see [`Store::put`]) → id of the resource holding it.
    owners: HashMap<String, HashMap<String, String>>,
    versions: AtomicU64,
    /// How many resources were ever created: the sequence number of the newest.
    created: u64,
}

struct Entry {
    resource: Map<String, Value>,
    unique_keys: Vec<String>,
    /// Its place in creation order, kept through replacements: what a cursor remembers.
    seq: u64,
    /// Deleted under the `deleted-still-listed` defect: gone by id, still found by queries.
    deleted: bool,
}

impl Store {
    pub fn all(&self, rt: &str) -> impl Iterator<Item = &Map<String, Value>> {
        self.by_type
            .get(rt)
            .into_iter()
            .flat_map(|m| m.values().filter(|e| !e.deleted).map(|e| &e.resource))
    }

    /// What queries see: every resource, the softly deleted ones too.
    pub fn listed(&self, rt: &str) -> impl Iterator<Item = &Map<String, Value>> {
        self.by_type
            .get(rt)
            .into_iter()
            .flat_map(|m| m.values().map(|e| &e.resource))
    }

    pub fn get(&self, rt: &str, id: &str) -> Option<&Map<String, Value>> {
        self.by_type
            .get(rt)?
            .get(id)
            .filter(|e| !e.deleted)
            .map(|e| &e.resource)
    }

    /// The creation sequence number of a resource (see [`Store::high_water`]).
    pub fn seq(&self, rt: &str, id: &str) -> Option<u64> {
        self.by_type.get(rt)?.get(id).map(|e| e.seq)
    }

    /// The sequence number of the newest resource: a cursor walk begun now sees those up to it.
    pub fn high_water(&self) -> u64 {
        self.created
    }

    /// The id of the resource of type `rt` that holds a unique key.
    pub fn owner(&self, rt: &str, key: &str) -> Option<&str> {
        self.owners.get(rt)?.get(key).map(String::as_str)
    }

    /// Stores a resource with the unique keys it holds (normalised attribute values, as the
    /// caller compares them).
    pub fn put(
        &mut self,
        rt: &str,
        id: String,
        resource: Map<String, Value>,
        unique_keys: Vec<String>,
    ) {
        self.drop_keys(rt, &id);
        let seq = match self.seq(rt, &id) {
            Some(seq) => seq,
            None => {
                self.created += 1;
                self.created
            }
        };
        let owners = self.owners.entry(rt.to_string()).or_default();
        for k in &unique_keys {
            owners.insert(k.clone(), id.clone());
        }
        self.by_type.entry(rt.to_string()).or_default().insert(
            id,
            Entry {
                resource,
                unique_keys,
                seq,
                deleted: false,
            },
        );
    }

    pub fn remove(&mut self, rt: &str, id: &str) -> Option<Map<String, Value>> {
        self.drop_keys(rt, id);
        self.by_type
            .get_mut(rt)?
            .shift_remove(id)
            .map(|e| e.resource)
    }

    /// Deletes a resource for reads by id and for uniqueness, but leaves it to queries.
    pub fn remove_softly(&mut self, rt: &str, id: &str) {
        self.drop_keys(rt, id);
        if let Some(e) = self.by_type.get_mut(rt).and_then(|m| m.get_mut(id)) {
            e.deleted = true;
            e.unique_keys.clear();
        }
    }

    fn drop_keys(&mut self, rt: &str, id: &str) {
        let Some(old) = self.by_type.get(rt).and_then(|m| m.get(id)) else {
            return;
        };
        if let Some(owners) = self.owners.get_mut(rt) {
            for k in &old.unique_keys {
                if owners.get(k).is_some_and(|o| o == id) {
                    owners.remove(k);
                }
            }
        }
    }

    pub fn get_mut(&mut self, rt: &str, id: &str) -> Option<&mut Map<String, Value>> {
        self.by_type
            .get_mut(rt)?
            .get_mut(id)
            .filter(|e| !e.deleted)
            .map(|e| &mut e.resource)
    }

    /// A fresh weak ETag value.
    pub fn next_version(&self) -> String {
        format!(
            "W/\"{}\"",
            self.versions.fetch_add(1, Ordering::Relaxed) + 1
        )
    }
}
