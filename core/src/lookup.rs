//! `LookupMap`: the only hash map allowed in the core.
//!
//! It offers lookups and no iteration, so hash order can never reach an output, a persisted byte
//! or the digest (STYLE.md §3). The hasher is the fixed Fx hasher, never `RandomState`.
#![allow(clippy::disallowed_types)]

use std::collections::HashMap;
use std::hash::Hash;

use rustc_hash::FxBuildHasher;

/// A hash map with lookups only.
#[derive(Clone, Debug)]
pub struct LookupMap<K, V> {
    inner: HashMap<K, V, FxBuildHasher>,
}

impl<K, V> Default for LookupMap<K, V> {
    fn default() -> Self {
        Self {
            inner: HashMap::with_hasher(FxBuildHasher),
        }
    }
}

impl<K: Hash + Eq, V> LookupMap<K, V> {
    /// An empty map.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
    /// Looks a key up.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.get(key)
    }
    /// Looks a key up for change.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.get_mut(key)
    }
    /// Whether the key is present.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.contains_key(key)
    }
    /// Inserts, returning the previous value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.inner.insert(key, value)
    }
    /// Removes, returning the value.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.remove(key)
    }
    /// The entry API, for insert-or-update without a second lookup.
    pub fn entry(&mut self, key: K) -> std::collections::hash_map::Entry<'_, K, V> {
        self.inner.entry(key)
    }
    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.inner.len()
    }
    /// Whether the map is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}
