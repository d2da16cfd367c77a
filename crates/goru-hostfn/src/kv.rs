//! The key-value store a run (or session) may be granted: JSON values under
//! string keys, bounded in key size, value size, entries and total bytes.
//!
//! Values are kept as JSON text, so the bytes charged are the bytes held:
//! parsed, 10 MiB of small JSON objects would take a gigabyte of host memory.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use serde_json::Value;

/// Limits of a [`KvStore`]. The defaults are goru's.
///
/// ```
/// use goru_hostfn::kv::KvConfig;
///
/// let config = KvConfig::new().max_entries(10);
/// assert_eq!(config.max_key_bytes, 256);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct KvConfig {
    /// Longest key, in UTF-8 bytes. Default: 256.
    pub max_key_bytes: usize,
    /// Largest value, in bytes of its JSON text. Default: 64 KiB.
    pub max_value_bytes: usize,
    /// Most entries. Default: 1000.
    pub max_entries: usize,
    /// Most bytes of keys plus values. Default: 10 MiB.
    pub max_total_bytes: usize,
}

impl Default for KvConfig {
    fn default() -> Self {
        Self {
            max_key_bytes: 256,
            max_value_bytes: 64 << 10,
            max_entries: 1000,
            max_total_bytes: 10 << 20,
        }
    }
}

impl KvConfig {
    /// The default limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`KvConfig::max_key_bytes`].
    pub fn max_key_bytes(mut self, bytes: usize) -> Self {
        self.max_key_bytes = bytes;
        self
    }

    /// Sets [`KvConfig::max_value_bytes`].
    pub fn max_value_bytes(mut self, bytes: usize) -> Self {
        self.max_value_bytes = bytes;
        self
    }

    /// Sets [`KvConfig::max_entries`].
    pub fn max_entries(mut self, entries: usize) -> Self {
        self.max_entries = entries;
        self
    }

    /// Sets [`KvConfig::max_total_bytes`].
    pub fn max_total_bytes(mut self, bytes: usize) -> Self {
        self.max_total_bytes = bytes;
        self
    }
}

/// Why a KV operation was refused. Messages are meant for the guest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KvError {
    /// The key is empty.
    #[error("kv: the key is empty")]
    EmptyKey,
    /// The key is over [`KvConfig::max_key_bytes`].
    #[error("kv: key of {len} bytes is over the {max}-byte limit")]
    KeyTooLong {
        /// The key's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The value's JSON is over [`KvConfig::max_value_bytes`].
    #[error("kv: value of {len} bytes is over the {max}-byte limit")]
    ValueTooLarge {
        /// The value's JSON length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A new key would pass [`KvConfig::max_entries`].
    #[error("kv: the store is full ({max} entries)")]
    TooManyEntries {
        /// The limit.
        max: usize,
    },
    /// The write would pass [`KvConfig::max_total_bytes`].
    #[error("kv: the store is full ({max} bytes)")]
    StoreFull {
        /// The limit.
        max: usize,
    },
    /// The value nests arrays and objects more than 127 deep, deeper than
    /// JSON is read back.
    #[error("kv: the value is nested too deeply")]
    TooDeep,
}

impl KvError {
    /// A short stable code: `"invalid_argument"` or `"limit"`.
    pub fn kind(&self) -> &'static str {
        match self {
            KvError::EmptyKey => "invalid_argument",
            _ => "limit",
        }
    }
}

/// An in-memory store; every operation is atomic.
///
/// ```
/// use goru_hostfn::kv::{KvConfig, KvStore};
/// use serde_json::json;
///
/// let kv = KvStore::new(KvConfig::new());
/// kv.set("user", json!({"name": "Alice"}))?;
/// assert_eq!(kv.get("user")?, Some(json!({"name": "Alice"})));
/// assert!(kv.delete("user")?);
/// assert_eq!(kv.get("user")?, None);
/// # Ok::<(), goru_hostfn::kv::KvError>(())
/// ```
#[derive(Debug)]
pub struct KvStore {
    config: KvConfig,
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    /// Each value's JSON text; it is charged its length plus the key's.
    map: BTreeMap<String, Box<str>>,
    total: usize,
}

impl KvStore {
    /// An empty store bounded by `config`.
    pub fn new(config: KvConfig) -> Self {
        Self {
            config,
            inner: Mutex::new(Entries::default()),
        }
    }

    /// The limits this store was made with.
    pub fn config(&self) -> KvConfig {
        self.config
    }

    /// The value under `key`, if any.
    pub fn get(&self, key: &str) -> Result<Option<Value>, KvError> {
        self.check_key(key)?;
        let entries = self.entries();
        let Some(text) = entries.map.get(key) else {
            return Ok(None);
        };
        serde_json::from_str(text).map(Some).map_err(|_| KvError::TooDeep)
    }

    /// Stores `value` under `key`, replacing what was there.
    pub fn set(&self, key: &str, value: Value) -> Result<(), KvError> {
        self.check_key(key)?;
        let text = value.to_string();
        let len = text.len();
        if len > self.config.max_value_bytes {
            return Err(KvError::ValueTooLarge {
                len,
                max: self.config.max_value_bytes,
            });
        }
        // What cannot be read back is refused now rather than at `get`.
        if nested_deeper_than(&value, MAX_DEPTH) {
            return Err(KvError::TooDeep);
        }
        let charge = key.len() + len;
        let mut entries = self.entries();
        let replaced = entries.map.get(key).map(|text| key.len() + text.len());
        if replaced.is_none() && entries.map.len() >= self.config.max_entries {
            return Err(KvError::TooManyEntries {
                max: self.config.max_entries,
            });
        }
        let total = entries.total - replaced.unwrap_or(0) + charge;
        if total > self.config.max_total_bytes {
            return Err(KvError::StoreFull {
                max: self.config.max_total_bytes,
            });
        }
        entries.total = total;
        entries.map.insert(key.to_string(), text.into_boxed_str());
        Ok(())
    }

    /// Removes `key`; tells whether it was there.
    pub fn delete(&self, key: &str) -> Result<bool, KvError> {
        self.check_key(key)?;
        let mut entries = self.entries();
        match entries.map.remove(key) {
            Some(text) => {
                entries.total -= key.len() + text.len();
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Every key, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.entries().map.keys().cloned().collect()
    }

    fn check_key(&self, key: &str) -> Result<(), KvError> {
        if key.is_empty() {
            return Err(KvError::EmptyKey);
        }
        if key.len() > self.config.max_key_bytes {
            return Err(KvError::KeyTooLong {
                len: key.len(),
                max: self.config.max_key_bytes,
            });
        }
        Ok(())
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Arrays and objects nested in one another that `serde_json` reads back.
const MAX_DEPTH: usize = 127;

/// Whether `value` nests arrays and objects more than `limit` deep (looking
/// no deeper than that).
fn nested_deeper_than(value: &Value, limit: usize) -> bool {
    let children: Box<dyn Iterator<Item = &Value>> = match value {
        Value::Array(items) => Box::new(items.iter()),
        Value::Object(map) => Box::new(map.values()),
        _ => return false,
    };
    limit == 0
        || children
            .into_iter()
            .any(|child| nested_deeper_than(child, limit - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_bounded_and_never_empty() {
        let kv = KvStore::new(KvConfig::new().max_key_bytes(4));
        assert_eq!(kv.set("", json!(1)), Err(KvError::EmptyKey));
        assert_eq!(
            kv.set("abcde", json!(1)),
            Err(KvError::KeyTooLong { len: 5, max: 4 })
        );
        assert_eq!(kv.get("abcde"), Err(KvError::KeyTooLong { len: 5, max: 4 }));
        kv.set("abcd", json!(1)).unwrap();
        assert_eq!(kv.keys(), ["abcd"]);
    }

    #[test]
    fn values_are_bounded_by_their_json_size() {
        let kv = KvStore::new(KvConfig::new().max_value_bytes(7));
        kv.set("k", json!("abcde")).unwrap(); // "abcde" is 7 bytes of JSON
        assert_eq!(
            kv.set("k", json!("abcdef")),
            Err(KvError::ValueTooLarge { len: 8, max: 7 })
        );
        assert_eq!(
            kv.get("k").unwrap(),
            Some(json!("abcde")),
            "a refused write changes nothing"
        );
    }

    #[test]
    fn entries_are_bounded_but_replacing_is_not_a_new_entry() {
        let kv = KvStore::new(KvConfig::new().max_entries(2));
        kv.set("a", json!(1)).unwrap();
        kv.set("b", json!(2)).unwrap();
        assert_eq!(kv.set("c", json!(3)), Err(KvError::TooManyEntries { max: 2 }));
        kv.set("a", json!(10)).unwrap();
        assert!(kv.delete("b").unwrap());
        kv.set("c", json!(3)).unwrap();
        assert_eq!(kv.keys(), ["a", "c"]);
    }

    #[test]
    fn total_bytes_are_bounded_and_released_on_delete_and_replace() {
        let kv = KvStore::new(KvConfig::new().max_total_bytes(10));
        kv.set("a", json!("xxx")).unwrap(); // 1 + 5
        assert_eq!(kv.set("b", json!("xxx")), Err(KvError::StoreFull { max: 10 }));
        kv.set("a", json!(1)).unwrap(); // 1 + 1
        kv.set("b", json!("xxx")).unwrap(); // 2 + 6 = 8
        assert!(kv.delete("a").unwrap());
        assert!(!kv.delete("a").unwrap());
        kv.set("c", json!(12)).unwrap(); // 6 + 3 = 9
        assert_eq!(kv.keys(), ["b", "c"]);
    }

    #[test]
    fn values_too_deep_to_read_back_are_refused() {
        let kv = KvStore::new(KvConfig::new());
        let mut deep = json!(1);
        for _ in 0..MAX_DEPTH {
            deep = json!([deep]);
        }
        kv.set("k", deep.clone()).unwrap();
        assert_eq!(kv.get("k"), Ok(Some(deep.clone())));
        assert_eq!(kv.set("k", json!({ "a": deep })), Err(KvError::TooDeep));
    }
}
