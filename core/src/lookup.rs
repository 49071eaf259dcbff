//! `LookupMap`: the only hash map allowed in the core.
//!
//! It offers lookups and no iteration, so hash order can never reach an output, a persisted byte
//! or the digest (STYLE.md §3). The hasher is the fixed Fx hasher, never `RandomState`. The map
//! is persistent (imbl's HAMT): a clone is O(1) and shares structure, and a later change copies
//! only the path it touches. That is what lets the node hand an exact copy of the data tree to
//! the snapshot thread without stalling.

use std::hash::Hash;

use imbl::shared_ptr::DefaultSharedPtr;
use imbl::GenericHashMap;
use rustc_hash::FxBuildHasher;

/// A persistent hash map with lookups only.
#[derive(Clone, Debug)]
pub struct LookupMap<K, V> {
    inner: GenericHashMap<K, V, FxBuildHasher, DefaultSharedPtr>,
}

impl<K, V> Default for LookupMap<K, V> {
    fn default() -> Self {
        Self {
            inner: GenericHashMap::with_hasher(FxBuildHasher),
        }
    }
}

impl<K: Hash + Eq + Clone, V: Clone> LookupMap<K, V> {
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
    /// Looks a key up for change (copying the entry's path if a clone shares it).
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
