// The goru guest API for JavaScript: what sandboxed code sees of the host,
// installed as globals. Everything goes over the host-call channel
// (/.goru/channel): a little-endian u32 length, then ASCII-only JSON.
// Keep in step with goru.d.ts and docs/sandbox-api.md.
(function (g) {
  "use strict";
  const CHANNEL = "/.goru/channel";
  let fd = -1;

  class HostError extends Error {
    constructor(message, kind) {
      super(message);
      this.name = "HostError";
      this.kind = kind || "failed";
    }
  }

  function hostError(error) {
    return new HostError(String(error.message || ""), String(error.kind || "failed"));
  }

  // One JSON character per byte: everything outside ASCII is \u-escaped.
  function toAscii(text) {
    return text.replace(/[\u007f-\uffff]/g, function (c) {
      return "\\u" + ("0000" + c.charCodeAt(0).toString(16)).slice(-4);
    });
  }

  function readExact(n) {
    const bytes = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const r = os.read(fd, bytes.buffer, got, n - got);
      if (r <= 0) throw new HostError("the host-call channel closed", "protocol");
      got += r;
    }
    return bytes;
  }

  function decode(bytes) {
    let text = "";
    for (let i = 0; i < bytes.length; i += 8192) {
      text += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
    }
    return text;
  }

  // Sends [{fn, args}, ...] as one frame; returns the reply entries in order.
  function exchange(calls) {
    const json = JSON.stringify({ calls: calls });
    if (json === undefined) throw new TypeError("host call arguments must be JSON");
    const payload = toAscii(json);
    const frame = new Uint8Array(4 + payload.length);
    const n = payload.length;
    frame[0] = n & 255;
    frame[1] = (n >>> 8) & 255;
    frame[2] = (n >>> 16) & 255;
    frame[3] = (n >>> 24) & 255;
    for (let i = 0; i < n; i++) frame[4 + i] = payload.charCodeAt(i);
    if (fd < 0) {
      fd = os.open(CHANNEL, os.O_RDWR);
      if (fd < 0) throw new HostError("the host-call channel is missing", "protocol");
    }
    let sent = 0;
    while (sent < frame.length) {
      const w = os.write(fd, frame.buffer, sent, frame.length - sent);
      if (w <= 0) throw new HostError("the host-call channel closed", "protocol");
      sent += w;
    }
    const h = readExact(4);
    const size = (h[0] | (h[1] << 8) | (h[2] << 16) | (h[3] << 24)) >>> 0;
    const reply = JSON.parse(decode(readExact(size)));
    if (reply.error) throw hostError(reply.error);
    return reply.results;
  }

  function unwrap(entry) {
    if (entry.error) throw hostError(entry.error);
    return entry.ok;
  }

  function _goru_call(name, args) {
    return unwrap(exchange([{ fn: String(name), args: args === undefined ? {} : args }])[0]);
  }

  // Calls queued by asyncCall go to the host as one batch once the current
  // job and its microtasks are done (a zero timer runs after them).
  let pending = [];
  let flushTimer = null;

  function flush() {
    if (flushTimer !== null) {
      os.clearTimeout(flushTimer);
      flushTimer = null;
    }
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    let entries;
    try {
      entries = exchange(batch.map(function (p) { return { fn: p.fn, args: p.args }; }));
    } catch (err) {
      batch.forEach(function (p) { p.reject(err); });
      return;
    }
    batch.forEach(function (p, i) {
      const entry = entries[i];
      if (entry.error) p.reject(hostError(entry.error));
      else p.resolve(entry.ok);
    });
  }

  function asyncCall(name, args) {
    return new Promise(function (resolve, reject) {
      pending.push({ fn: String(name), args: args === undefined ? {} : args, resolve: resolve, reject: reject });
      if (flushTimer === null) flushTimer = os.setTimeout(flush, 0);
    });
  }

  function call(name, args) {
    return _goru_call(name, args);
  }

  // Waits for all of them (promises, or functions returning one) together,
  // so their host calls batch.
  function runAsync() {
    const items = Array.prototype.slice.call(arguments);
    return Promise.all(items.map(function (p) { return typeof p === "function" ? p() : p; }));
  }

  const kv = {
    get: function (key, dflt) { return call("kv_get", { key: key, default: dflt === undefined ? null : dflt }); },
    set: function (key, value) { return call("kv_set", { key: key, value: value }); },
    delete: function (key) { return call("kv_delete", { key: key }); },
    keys: function () { return call("kv_keys", {}); },
    asyncGet: function (key, dflt) { return asyncCall("kv_get", { key: key, default: dflt === undefined ? null : dflt }); },
    asyncSet: function (key, value) { return asyncCall("kv_set", { key: key, value: value }); },
    asyncDelete: function (key) { return asyncCall("kv_delete", { key: key }); },
    asyncKeys: function () { return asyncCall("kv_keys", {}); },
  };

  // Response headers: an object of lower-case names (a name received more
  // than once has its values joined with ", "), read in any case, and with
  // fetch's `get(name)` (null when absent).
  function headerObject(pairs) {
    const headers = {};
    pairs.forEach(function (pair) {
      const name = String(pair[0]).toLowerCase();
      headers[name] = name in headers ? headers[name] + ", " + pair[1] : String(pair[1]);
    });
    Object.defineProperty(headers, "get", {
      value: function (name) {
        const key = String(name).toLowerCase();
        return Object.prototype.hasOwnProperty.call(headers, key) ? headers[key] : null;
      },
      enumerable: false,
    });
    return new Proxy(headers, {
      get: function (target, key, receiver) {
        if (typeof key === "string" && !(key in target)) key = key.toLowerCase();
        return Reflect.get(target, key, receiver);
      },
      has: function (target, key) {
        return key in target || (typeof key === "string" && key.toLowerCase() in target);
      },
    });
  }

  // An HTTP response, as goru's HTTPResponse; statuses such as 404 are
  // responses, not errors.
  class HTTPResponse {
    constructor(reply) {
      this.statusCode = reply.status;
      this.status = reply.status;
      this.headers = headerObject(reply.headers || []);
      this.text = reply.body === null || reply.body === undefined ? "" : reply.body;
      this.url = reply.url;
      this.truncated = !!reply.truncated;
    }
    get ok() { return this.statusCode >= 200 && this.statusCode < 300; }
    json() { return JSON.parse(this.text); }
  }

  function response(reply) {
    return new HTTPResponse(reply);
  }

  function httpArgs(method, url, opts) {
    opts = opts || {};
    const headers = Object.assign({}, opts.headers || {});
    let body = opts.body === undefined ? null : opts.body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      if (!Object.keys(headers).some(function (h) { return h.toLowerCase() === "content-type"; })) {
        headers["content-type"] = "application/json";
      }
    }
    return { method: method, url: String(url), headers: headers, body: body === null ? null : String(body) };
  }

  const http = {
    request: function (method, url, opts) { return response(call("http_request", httpArgs(method, url, opts))); },
    asyncRequest: function (method, url, opts) {
      return asyncCall("http_request", httpArgs(method, url, opts)).then(response);
    },
  };
  ["get", "post", "put", "patch", "delete"].forEach(function (verb) {
    const method = verb.toUpperCase();
    const asyncName = "async" + verb[0].toUpperCase() + verb.slice(1);
    http[verb] = function (url, opts) { return http.request(method, url, opts); };
    http[asyncName] = function (url, opts) { return http.asyncRequest(method, url, opts); };
  });

  const fsOps = {
    readText: function (path) { return ["fs_read", { path: path }]; },
    writeText: function (path, content) { return ["fs_write", { path: path, content: String(content) }]; },
    listdir: function (path) { return ["fs_list", { path: path }]; },
    exists: function (path) { return ["fs_exists", { path: path }]; },
    stat: function (path) { return ["fs_stat", { path: path }]; },
    mkdir: function (path) { return ["fs_mkdir", { path: path }]; },
    remove: function (path) { return ["fs_remove", { path: path }]; },
  };
  const fs = {};
  Object.keys(fsOps).forEach(function (op) {
    const asyncName = "async" + op[0].toUpperCase() + op.slice(1);
    fs[op] = function () { const c = fsOps[op].apply(null, arguments); return call(c[0], c[1]); };
    fs[asyncName] = function () { const c = fsOps[op].apply(null, arguments); return asyncCall(c[0], c[1]); };
  });
  fs.readJson = function (path) { return JSON.parse(fs.readText(path)); };
  fs.asyncReadJson = function (path) { return fs.asyncReadText(path).then(JSON.parse); };
  fs.writeJson = function (path, obj, indent) { return fs.writeText(path, JSON.stringify(obj, null, indent)); };
  fs.asyncWriteJson = function (path, obj, indent) { return fs.asyncWriteText(path, JSON.stringify(obj, null, indent)); };

  const api = {
    // For the session loop: whether host calls are still queued or in flight.
    __goru_busy: function () { return pending.length > 0 || flushTimer !== null; },
    HostError: HostError,
    HTTPResponse: HTTPResponse,
    _goru_call: _goru_call,
    call: call,
    asyncCall: asyncCall,
    runAsync: runAsync,
    // Sends the async calls queued so far now, as goru's flushAsync does
    // (they are otherwise sent once the current job and its promise jobs end).
    flushAsync: flush,
    kv: kv,
    http: http,
    fs: fs,
    time_now: function () { return Date.now() / 1000; },
    // The seed names of goru's first API.
    kv_get: function (key) { return call("kv_get", { key: key }); },
    kv_set: function (key, value) { return call("kv_set", { key: key, value: value }); },
    kv_delete: function (key) { return call("kv_delete", { key: key }); },
    http_get: function (url) {
      const r = call("http_request", httpArgs("GET", url));
      return { status: r.status, body: r.body };
    },
    fs_read: fs.readText,
    fs_write: fs.writeText,
    fs_list: fs.listdir,
    fs_exists: fs.exists,
    fs_stat: fs.stat,
    fs_mkdir: fs.mkdir,
    fs_remove: fs.remove,
  };
  Object.keys(api).forEach(function (name) {
    Object.defineProperty(g, name, { value: api[name], writable: true, configurable: true, enumerable: false });
  });
})(globalThis);
