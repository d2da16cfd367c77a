# The body of the `goru` module: what sandboxed Python sees of the host. The
# shim creates the module with `__all__` and `HostError` and runs this source
# in it the first time any of its names is used, so code that never calls the
# host does not pay for compiling it. Everything goes over the host-call
# channel (/.goru/channel): a little-endian u32 length, then ASCII-only JSON.
# Keep in step with goru.pyi and docs/sandbox-api.md.
import os as _os

_CHANNEL = "/.goru/channel"
_fd = None


# Kinds that also are a familiar builtin exception, so `except FileNotFoundError` works.
_BUILTIN_BASES = {
    "not_granted": PermissionError,
    "not_allowed": PermissionError,
    "permission_denied": PermissionError,
    "not_found": FileNotFoundError,
    "exists": FileExistsError,
    "not_a_directory": NotADirectoryError,
    "is_a_directory": IsADirectoryError,
    "invalid_argument": ValueError,
    "invalid_url": ValueError,
    "invalid_path": ValueError,
    "timeout": TimeoutError,
    "connection": ConnectionError,
}
_error_classes = {}


def _host_error(error):
    kind = str(error.get("kind", "failed"))
    cls = _error_classes.get(kind)
    if cls is None:
        base = _BUILTIN_BASES.get(kind)
        name = "".join(part.title() for part in kind.split("_")) + "Error"
        cls = type(name, (HostError, base) if base else (HostError,), {"kind": kind, "__module__": "goru"})
        _error_classes[kind] = cls
    return cls(str(error.get("message", "")), kind)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[_os.write(fd, view):]


def _read_exact(fd, n):
    chunks = []
    while n:
        chunk = _os.read(fd, n)
        if not chunk:
            raise HostError("the host-call channel closed", "protocol")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


_encode = _decode = None


def _exchange(calls):
    """Sends [(name, args), ...] as one frame; returns the reply entries in order."""
    global _fd, _encode, _decode
    if _encode is None:
        import json

        _fd = _os.open(_CHANNEL, _os.O_RDWR)
        _decode = json.loads
        # One encoder for the run: json.dumps with a keyword builds a new one per call.
        _encode = json.JSONEncoder(allow_nan=False).encode
    try:
        payload = _encode({"calls": [{"fn": name, "args": args} for name, args in calls]}).encode("ascii")
    except (TypeError, ValueError) as exc:
        raise TypeError("host call arguments must be JSON: %s" % exc) from None
    _write_all(_fd, len(payload).to_bytes(4, "little") + payload)
    size = int.from_bytes(_read_exact(_fd, 4), "little")
    reply = _decode(_read_exact(_fd, size).decode("ascii"))
    if "error" in reply:
        raise _host_error(reply["error"])
    return reply["results"]


def _unwrap(entry):
    if "error" in entry:
        raise _host_error(entry["error"])
    return entry.get("ok")


def _goru_call(name, args=None):
    """Calls host function `name` with the dict `args`; returns its result."""
    (entry,) = _exchange([(name, {} if args is None else args)])
    return _unwrap(entry)


def call(name, /, **kwargs):
    """Calls host function `name` with keyword arguments; returns its result."""
    return _goru_call(name, kwargs)


async def async_call(name, /, **kwargs):
    """Awaitable host call. Calls awaited together (asyncio.gather) reach the
    host as one batch and run there concurrently."""
    return await _async_call(name, kwargs)


async def _async_call(name, args):
    import asyncio

    loop = asyncio.get_running_loop()
    queue = getattr(loop, "_goru_pending", None)
    if queue is None:
        return _goru_call(name, args)
    future = loop.create_future()
    queue.append((name, args, future))
    return await future


def run_async(*awaitables):
    """Runs awaitables to completion on goru's event loop: the result of one,
    or the list of results of several (gathered, so their host calls batch)."""
    import asyncio

    async def main():
        if len(awaitables) == 1:
            return await awaitables[0]
        return list(await asyncio.gather(*awaitables))

    return asyncio.run(main())


def _install_event_loop(asyncio):
    """Makes goru's loop asyncio's default. The stock loop needs a socketpair
    and threads, neither of which exists here; this one sends the host calls
    queued by suspended tasks as one batch whenever nothing else is ready."""

    class _Selector:
        def __init__(self, loop):
            self._loop = loop

        def select(self, timeout=None):
            if self._loop._goru_pending:
                self._loop._goru_flush()
            elif timeout is None:
                raise RuntimeError("asyncio: nothing left to wait for (no sockets or threads in goru)")
            elif timeout > 0:
                import time

                time.sleep(timeout)
            return []

        def close(self):
            pass

    class GoruEventLoop(asyncio.BaseEventLoop):
        def __init__(self):
            super().__init__()
            self._goru_pending = []
            self._selector = _Selector(self)

        def _process_events(self, event_list):
            pass

        def _write_to_self(self):
            pass

        def _goru_flush(self):
            pending = [item for item in self._goru_pending if not item[2].cancelled()]
            self._goru_pending = []
            if not pending:
                return
            try:
                entries = _exchange([(name, args) for name, args, _ in pending])
            except BaseException as exc:
                for _, _, future in pending:
                    if not future.done():
                        future.set_exception(exc)
                return
            for (_, _, future), entry in zip(pending, entries):
                if future.done():
                    continue
                if "error" in entry:
                    future.set_exception(_host_error(entry["error"]))
                else:
                    future.set_result(entry.get("ok"))

    class GoruEventLoopPolicy(asyncio.events.BaseDefaultEventLoopPolicy):
        _loop_factory = GoruEventLoop

    asyncio.set_event_loop_policy(GoruEventLoopPolicy())


class _Kv:
    """The key-value store (granted with the kv option): JSON values. The
    mutators return "ok", as goru's do."""

    def get(self, key, default=None):
        return call("kv_get", key=key, default=default)

    def set(self, key, value):
        return call("kv_set", key=key, value=value)

    def delete(self, key):
        return call("kv_delete", key=key)

    def keys(self):
        return call("kv_keys")

    async def async_get(self, key, default=None):
        return await async_call("kv_get", key=key, default=default)

    async def async_set(self, key, value):
        return await async_call("kv_set", key=key, value=value)

    async def async_delete(self, key):
        return await async_call("kv_delete", key=key)

    async def async_keys(self):
        return await async_call("kv_keys")


class Headers(dict):
    """Response headers: a dict keyed by lower-case name whose lookups ignore
    case, so resp.headers["Content-Type"] works as in goru."""

    def __init__(self, items=()):
        super().__init__((str(k).lower(), v) for k, v in dict(items).items())

    def __getitem__(self, name):
        return super().__getitem__(name.lower() if isinstance(name, str) else name)

    def __contains__(self, name):
        return super().__contains__(name.lower() if isinstance(name, str) else name)

    def get(self, name, default=None):
        return super().get(name.lower() if isinstance(name, str) else name, default)


class Response:
    """An HTTP response: status_code, headers (case-insensitive), text, ok, url,
    truncated (the body was cut at the size limit), json()."""

    def __init__(self, reply):
        self.status_code = reply["status"]
        self.headers = Headers(reply["headers"])
        self.text = reply["body"]
        self.url = reply.get("url")
        self.truncated = reply.get("truncated", False)
        self.ok = 200 <= self.status_code < 300

    def json(self):
        import json

        return json.loads(self.text)

    def __repr__(self):
        return "<Response [%d]>" % self.status_code


# goru's name for the response class.
HTTPResponse = Response


def _http_args(method, url, headers, body, json_body):
    if json_body is not None:
        import json

        body = json.dumps(json_body)
        headers = dict(headers or {})
        headers.setdefault("content-type", "application/json")
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8")
    return {"method": method, "url": url, "headers": dict(headers or {}), "body": body}


class _Http:
    """HTTP to the hosts the embedder allowed."""

    def request(self, method, url, headers=None, body=None, json=None):
        return Response(call("http_request", **_http_args(method, url, headers, body, json)))

    async def async_request(self, method, url, headers=None, body=None, json=None):
        args = _http_args(method, url, headers, body, json)
        return Response(await async_call("http_request", **args))

    def get(self, url, headers=None):
        return self.request("GET", url, headers)

    def post(self, url, body=None, headers=None, json=None):
        return self.request("POST", url, headers, body, json)

    def put(self, url, body=None, headers=None, json=None):
        return self.request("PUT", url, headers, body, json)

    def patch(self, url, body=None, headers=None, json=None):
        return self.request("PATCH", url, headers, body, json)

    def delete(self, url, headers=None):
        return self.request("DELETE", url, headers)

    async def async_get(self, url, headers=None):
        return await self.async_request("GET", url, headers)

    async def async_post(self, url, body=None, headers=None, json=None):
        return await self.async_request("POST", url, headers, body, json)

    async def async_put(self, url, body=None, headers=None, json=None):
        return await self.async_request("PUT", url, headers, body, json)

    async def async_patch(self, url, body=None, headers=None, json=None):
        return await self.async_request("PATCH", url, headers, body, json)

    async def async_delete(self, url, headers=None):
        return await self.async_request("DELETE", url, headers)


class _Fs:
    """The directories the embedder mounted, each read-only (ro), read-write
    (rw) or read-write-create (rwc). The mutators return "ok", as goru's do."""

    def read_text(self, path):
        return call("fs_read", path=path)

    def read_json(self, path):
        import json

        return json.loads(self.read_text(path))

    def write_text(self, path, content):
        return call("fs_write", path=path, content=content)

    def write_json(self, path, obj, indent=None):
        import json

        return self.write_text(path, json.dumps(obj, indent=indent))

    def listdir(self, path):
        return call("fs_list", path=path)

    def exists(self, path):
        return call("fs_exists", path=path)

    def stat(self, path):
        return call("fs_stat", path=path)

    def mkdir(self, path):
        return call("fs_mkdir", path=path)

    def remove(self, path):
        return call("fs_remove", path=path)

    async def async_read_text(self, path):
        return await async_call("fs_read", path=path)

    async def async_read_json(self, path):
        import json

        return json.loads(await self.async_read_text(path))

    async def async_write_text(self, path, content):
        return await async_call("fs_write", path=path, content=content)

    async def async_write_json(self, path, obj, indent=None):
        import json

        return await self.async_write_text(path, json.dumps(obj, indent=indent))

    async def async_listdir(self, path):
        return await async_call("fs_list", path=path)

    async def async_exists(self, path):
        return await async_call("fs_exists", path=path)

    async def async_stat(self, path):
        return await async_call("fs_stat", path=path)

    async def async_mkdir(self, path):
        return await async_call("fs_mkdir", path=path)

    async def async_remove(self, path):
        return await async_call("fs_remove", path=path)


kv = _Kv()
http = _Http()
fs = _Fs()


# The seed names of goru's first API.
def kv_get(key):
    return call("kv_get", key=key)


def kv_set(key, value):
    return call("kv_set", key=key, value=value)


def kv_delete(key):
    return call("kv_delete", key=key)


def http_get(url):
    reply = call("http_request", method="GET", url=url, headers={}, body=None)
    return {"status": reply["status"], "body": reply["body"]}


def fs_read(path):
    return fs.read_text(path)


def fs_write(path, content):
    return call("fs_write", path=path, content=content)


def fs_list(path):
    return fs.listdir(path)


def fs_exists(path):
    return fs.exists(path)


def fs_stat(path):
    return fs.stat(path)


def fs_mkdir(path):
    return call("fs_mkdir", path=path)


def fs_remove(path):
    return call("fs_remove", path=path)


def time_now():
    """The host's time in seconds since the Unix epoch (as time.time())."""
    import time

    return time.time()


def install_pkg(name, version=None):
    """Has the host install a pure-Python package (and what it depends on)
    into /packages, importable at once. Returns [{"name", "version"}] of what
    was installed. Needs package installation enabled by the embedder."""
    installed = call("install_pkg", name=name, version=version)
    import importlib

    importlib.invalidate_caches()
    return installed
