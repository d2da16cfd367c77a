//! Which capabilities a run (or session) is granted, and the host functions
//! that serve them to the guest.

use std::sync::Arc;

use goru_core::{HostDir, HostError, HostFunctions, HostFuture};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::args;
use crate::fs::{Filesystem, FsConfig, FsError, Mount};
use crate::http::{HttpClient, HttpConfig, HttpError, HttpRequest, Method};
use crate::kv::{KvConfig, KvError, KvStore};
use crate::registry::blocking;

/// What a run may reach; nothing unless granted. [`Capabilities::open`] turns
/// it into the host functions of one run.
///
/// ```
/// use goru_hostfn::Capabilities;
/// use goru_hostfn::fs::{Mount, MountMode};
///
/// let dir = tempfile::tempdir()?;
/// let grant = Capabilities::new()
///     .kv()
///     .allow_host("api.example.com")
///     .mount(Mount::new("/data", dir.path(), MountMode::ReadOnly));
/// let functions = grant.open()?; // hand to `RunOptions::host_functions`
/// # let _ = functions;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Capabilities {
    kv: Option<KvConfig>,
    http: Option<HttpConfig>,
    mounts: Vec<Mount>,
    fs: FsConfig,
}

/// Why [`Capabilities::open`] failed: a mount or an allow-list entry is
/// unusable. Meant for the embedder (it may name host paths).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CapabilityError {
    /// A mount could not be opened.
    #[error("mount: {0}")]
    Mount(#[source] FsError),
    /// The HTTP configuration is invalid.
    #[error("http: {0}")]
    Http(#[source] HttpError),
}

impl Capabilities {
    /// Nothing granted.
    pub fn new() -> Self {
        Self::default()
    }

    /// Grants a key-value store with the default limits (see [`KvConfig`]).
    pub fn kv(self) -> Self {
        self.kv_config(KvConfig::new())
    }

    /// Grants a key-value store with these limits.
    pub fn kv_config(mut self, config: KvConfig) -> Self {
        self.kv = Some(config);
        self
    }

    /// Grants HTTP to `host` (`name`, `name:port`, an IP literal; subdomains
    /// of a name included), with the default limits unless
    /// [`Capabilities::http_config`] set others.
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.http = Some(self.http.take().unwrap_or_default().allow_host(host));
        self
    }

    /// Grants HTTP as `config` says (its allow-list included).
    pub fn http_config(mut self, config: HttpConfig) -> Self {
        self.http = Some(config);
        self
    }

    /// Grants a host directory at a virtual path, to the `fs.*` host
    /// functions and to the guest's own file APIs (`open()`, `os.listdir`,
    /// `std.open`...) alike, with the same mode and limits. For the latter
    /// the virtual path must also suit [`goru_core::RunOptions::host_dir`]
    /// (not under `/tmp`, `/dev`, `/etc` or `/.goru`, no mount inside
    /// another), or the run fails with an invalid-option error.
    pub fn mount(mut self, mount: Mount) -> Self {
        self.mounts.push(mount);
        self
    }

    /// Limits of the mounted directories (see [`FsConfig`]).
    pub fn fs_config(mut self, config: FsConfig) -> Self {
        self.fs = config;
        self
    }

    /// Whether a key-value store is granted.
    pub fn grants_kv(&self) -> bool {
        self.kv.is_some()
    }

    /// The HTTP grant, if any.
    pub fn http(&self) -> Option<&HttpConfig> {
        self.http.as_ref()
    }

    /// The granted mounts.
    pub fn mounts(&self) -> &[Mount] {
        &self.mounts
    }

    /// The host functions of one run: a fresh, empty key-value store, the
    /// mounts opened. Each call gives a new store; share one returned value
    /// between runs to share its store.
    pub fn open(&self) -> Result<Arc<Granted>, CapabilityError> {
        let fs = if self.mounts.is_empty() {
            None
        } else {
            let fs = Filesystem::new(self.mounts.clone(), self.fs.clone()).map_err(CapabilityError::Mount)?;
            Some(Arc::new(fs))
        };
        let http = match &self.http {
            Some(config) => Some(Arc::new(
                HttpClient::new(config.clone()).map_err(CapabilityError::Http)?,
            )),
            None => None,
        };
        let dirs = self
            .mounts
            .iter()
            .map(|mount| {
                HostDir::new(mount.virtual_path(), mount.host_path(), mount.mode())
                    .max_read_bytes(self.fs.read_limit())
                    .max_write_bytes(self.fs.write_limit())
                    .max_path_length(self.fs.path_length_limit())
            })
            .collect();
        Ok(Arc::new(Granted {
            kv: self.kv.map(|config| Arc::new(KvStore::new(config))),
            http,
            fs,
            dirs,
        }))
    }
}

/// The host functions of granted capabilities: `kv_get`, `kv_set`,
/// `kv_delete`, `kv_keys`, `http_request`, `fs_read`, `fs_write`, `fs_list`,
/// `fs_exists`, `fs_stat`, `fs_mkdir`, `fs_remove`; and the mounts, as
/// [`HostFunctions::host_dirs`]. It serves only the
/// functions of what was granted: goru-core answers a call of any other one
/// of them with kind `not_granted` (see `goru_core::protocol`).
#[derive(Debug)]
pub struct Granted {
    kv: Option<Arc<KvStore>>,
    http: Option<Arc<HttpClient>>,
    fs: Option<Arc<Filesystem>>,
    dirs: Vec<HostDir>,
}

impl Granted {
    /// The key-value store, if granted: the embedder may read what the guest
    /// stored, or seed it.
    pub fn kv_store(&self) -> Option<&KvStore> {
        self.kv.as_deref()
    }
}

impl HostFunctions for Granted {
    fn call(&self, name: &str, args: Value) -> Option<HostFuture> {
        let future: HostFuture = match name {
            "kv_get" | "kv_set" | "kv_delete" | "kv_keys" => {
                let kv = self.kv.clone()?;
                let name = name.to_string();
                Box::pin(async move { kv_call(&kv, &name, args) })
            }
            "http_request" => {
                let http = self.http.clone()?;
                Box::pin(async move {
                    let request = args::parse::<HttpArgs>(args)?.into_request()?;
                    // The blocking request cannot be dropped with its run;
                    // it gives up when the run is over instead.
                    let deadline = goru_core::host_call_deadline();
                    let response =
                        blocking(move || http.request_until(&request, deadline).map_err(http_error)).await?;
                    Ok(json!({
                        "status": response.status,
                        "headers": response.headers,
                        "body": String::from_utf8_lossy(&response.body),
                        "truncated": response.truncated,
                        "url": response.url,
                    }))
                })
            }
            "fs_read" | "fs_write" | "fs_list" | "fs_exists" | "fs_stat" | "fs_mkdir" | "fs_remove" => {
                let fs = self.fs.clone()?;
                let name = name.to_string();
                Box::pin(blocking(move || fs_call(&fs, &name, args)))
            }
            _ => return None,
        };
        Some(future)
    }

    fn host_dirs(&self) -> Vec<HostDir> {
        self.dirs.clone()
    }
}

/// `kv_get(key, default=None)`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KvGet {
    key: String,
    #[serde(default)]
    default: Value,
}

/// `kv_set(key, value)`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KvSet {
    key: String,
    #[serde(default)]
    value: Value,
}

/// `kv_delete(key)`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KvKey {
    key: String,
}

/// `kv_keys()`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoArgs {}

fn kv_call(kv: &KvStore, name: &str, args: Value) -> Result<Value, HostError> {
    let kv_error = |e: KvError| HostError::new(e.kind(), e.to_string());
    match name {
        "kv_get" => {
            let KvGet { key, default } = args::parse(args)?;
            Ok(kv.get(&key).map_err(kv_error)?.unwrap_or(default))
        }
        "kv_set" => {
            let KvSet { key, value } = args::parse(args)?;
            kv.set(&key, value).map_err(kv_error)?;
            Ok(json!("ok"))
        }
        "kv_delete" => {
            let KvKey { key } = args::parse(args)?;
            kv.delete(&key).map_err(kv_error)?;
            Ok(json!("ok"))
        }
        _ => {
            let NoArgs {} = args::parse(args)?;
            Ok(json!(kv.keys()))
        }
    }
}

/// `http_request(method, url, headers=None, body=None)`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpArgs {
    method: String,
    url: String,
    /// Values that are not strings are sent as their JSON text.
    #[serde(default)]
    headers: Option<Map<String, Value>>,
    #[serde(default)]
    body: Option<String>,
}

impl HttpArgs {
    fn into_request(self) -> Result<HttpRequest, HostError> {
        let method: Method = self
            .method
            .parse()
            .map_err(|_| HostError::invalid_argument("http: unsupported method"))?;
        let headers = self
            .headers
            .unwrap_or_default()
            .into_iter()
            .map(|(name, value)| match value {
                Value::String(s) => (name, s),
                other => (name, other.to_string()),
            })
            .collect();
        Ok(HttpRequest {
            method,
            url: self.url,
            headers,
            body: self.body.map(String::into_bytes),
        })
    }
}

fn http_error(e: HttpError) -> HostError {
    HostError::new(e.kind(), e.to_string())
}

/// The argument of every `fs_*` function but `fs_write`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FsPath {
    path: String,
}

/// `fs_write(path, content)`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FsWrite {
    path: String,
    content: String,
}

fn fs_call(fs: &Filesystem, name: &str, args: Value) -> Result<Value, HostError> {
    let fs_error = |e: FsError| HostError::new(e.kind(), e.to_string());
    let ok = |()| json!("ok");
    if name == "fs_write" {
        let FsWrite { path, content } = args::parse(args)?;
        return fs.write(&path, content.as_bytes()).map(ok).map_err(fs_error);
    }
    let FsPath { path } = args::parse(args)?;
    match name {
        "fs_read" => fs.read_text(&path).map(Value::String),
        "fs_list" => fs.list_dir(&path).map(|entries| json!(entries)),
        "fs_exists" => fs.exists(&path).map(Value::Bool),
        "fs_stat" => fs.stat(&path).map(|stat| json!(stat)),
        "fs_mkdir" => fs.mkdir(&path).map(ok),
        _ => fs.remove(&path).map(ok),
    }
    .map_err(fs_error)
}

#[cfg(test)]
mod tests {
    use goru_core::protocol;

    use super::*;

    fn everything() -> Arc<Granted> {
        let dir = tempfile::tempdir().unwrap();
        Capabilities::new()
            .kv()
            .allow_host("example.com")
            .mount(Mount::new("/data", dir.path(), crate::fs::MountMode::ReadOnly))
            .open()
            .unwrap()
    }

    /// The functions served are the protocol's capability functions, so
    /// goru-core tells the guest `not_granted` for exactly these.
    #[test]
    fn every_capability_function_is_served_once_granted_and_only_then() {
        let granted = everything();
        let none = Capabilities::new().open().unwrap();
        for (function, capability) in protocol::CAPABILITY_FUNCTIONS {
            let served = granted.call(function, Value::Null).is_some();
            assert_eq!(served, *capability != "package install", "{function}");
            assert!(none.call(function, Value::Null).is_none(), "{function}");
        }
        assert!(granted.call("kv_nope", Value::Null).is_none());
    }

    #[tokio::test]
    async fn arguments_are_checked_before_the_store_is_touched() {
        let granted = everything();
        let call = |name: &str, args: Value| granted.call(name, args).unwrap();
        let error = call("kv_set", json!({"key": 1, "value": 2})).await.unwrap_err();
        assert_eq!(error.kind(), "invalid_argument");
        assert_eq!(
            error.message(),
            "`key`: invalid type: integer `1`, expected a string"
        );
        assert_eq!(call("kv_keys", Value::Null).await.unwrap(), json!([]));
        assert_eq!(
            call("kv_get", json!({"key": "a", "default": 5})).await.unwrap(),
            json!(5)
        );
        let error = call(
            "http_request",
            json!({"method": "GET", "url": "http://example.com/", "body": 1}),
        )
        .await
        .unwrap_err();
        assert_eq!(
            error.message(),
            "`body`: invalid type: integer `1`, expected a string"
        );
    }
}
