//! Which capabilities a run (or session) is granted, and the host functions
//! that serve them to the guest.

use std::sync::Arc;

use goru_core::{HostError, HostFunctions, HostFuture};
use serde_json::{Value, json};

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

    /// Grants a host directory at a virtual path.
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
        Ok(Arc::new(Granted {
            kv: self.kv.map(|config| Arc::new(KvStore::new(config))),
            http,
            fs,
        }))
    }
}

/// The host functions of granted capabilities: `kv_get`, `kv_set`,
/// `kv_delete`, `kv_keys`, `http_request`, `fs_read`, `fs_write`, `fs_list`,
/// `fs_exists`, `fs_stat`, `fs_mkdir`, `fs_remove`. A function whose
/// capability was not granted fails with kind `not_granted`.
#[derive(Debug)]
pub struct Granted {
    kv: Option<Arc<KvStore>>,
    http: Option<Arc<HttpClient>>,
    fs: Option<Arc<Filesystem>>,
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
                let Some(kv) = self.kv.clone() else {
                    return Some(not_granted("kv"));
                };
                let name = name.to_string();
                Box::pin(async move { kv_call(&kv, &name, &args) })
            }
            "http_request" => {
                let Some(http) = self.http.clone() else {
                    return Some(not_granted("http"));
                };
                Box::pin(async move {
                    let request = http_request(&args)?;
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
                let Some(fs) = self.fs.clone() else {
                    return Some(not_granted("fs"));
                };
                let name = name.to_string();
                Box::pin(blocking(move || fs_call(&fs, &name, &args)))
            }
            _ => return None,
        };
        Some(future)
    }
}

fn not_granted(capability: &str) -> HostFuture {
    let error = HostError::not_granted(format!("the {capability} capability was not granted to this run"));
    Box::pin(async move { Err(error) })
}

fn kv_call(kv: &KvStore, name: &str, args: &Value) -> Result<Value, HostError> {
    let key = || str_arg(args, "key");
    let kv_error = |e: KvError| HostError::new(e.kind(), e.to_string());
    match name {
        "kv_get" => Ok(kv
            .get(key()?)
            .map_err(kv_error)?
            .unwrap_or_else(|| args.get("default").cloned().unwrap_or(Value::Null))),
        "kv_set" => {
            let value = args.get("value").cloned().unwrap_or(Value::Null);
            kv.set(key()?, value).map_err(kv_error)?;
            Ok(json!("ok"))
        }
        "kv_delete" => {
            kv.delete(key()?).map_err(kv_error)?;
            Ok(json!("ok"))
        }
        _ => Ok(json!(kv.keys())),
    }
}

fn http_request(args: &Value) -> Result<HttpRequest, HostError> {
    let method: Method = str_arg(args, "method")?
        .parse()
        .map_err(|_| HostError::invalid_argument("http: unsupported method"))?;
    let headers = match args.get("headers") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => (k.clone(), s.clone()),
                other => (k.clone(), other.to_string()),
            })
            .collect(),
        Some(_) => return Err(HostError::invalid_argument("http: `headers` must be an object")),
    };
    let body = match args.get("body") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone().into_bytes()),
        Some(_) => return Err(HostError::invalid_argument("http: `body` must be a string")),
    };
    Ok(HttpRequest {
        method,
        url: str_arg(args, "url")?.to_string(),
        headers,
        body,
    })
}

fn http_error(e: HttpError) -> HostError {
    HostError::new(e.kind(), e.to_string())
}

fn fs_call(fs: &Filesystem, name: &str, args: &Value) -> Result<Value, HostError> {
    let path = str_arg(args, "path")?;
    let fs_error = |e: FsError| HostError::new(e.kind(), e.to_string());
    let ok = |()| json!("ok");
    match name {
        "fs_read" => fs.read_text(path).map(Value::String),
        "fs_write" => fs.write(path, str_arg(args, "content")?.as_bytes()).map(ok),
        "fs_list" => fs.list_dir(path).map(|entries| json!(entries)),
        "fs_exists" => fs.exists(path).map(Value::Bool),
        "fs_stat" => fs.stat(path).map(|stat| json!(stat)),
        "fs_mkdir" => fs.mkdir(path).map(ok),
        _ => fs.remove(path).map(ok),
    }
    .map_err(fs_error)
}

fn str_arg<'a>(args: &'a Value, key: &str) -> Result<&'a str, HostError> {
    args.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| HostError::invalid_argument(format!("`{key}` must be a string")))
}
