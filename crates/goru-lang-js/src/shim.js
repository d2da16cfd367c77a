// goru's JavaScript guest shim: installs the guest API (scriptArgs[0]) lazily,
// then evaluates the user's code (scriptArgs[1]) in the global scope and reports an
// uncaught exception to the host before exiting with status 1.
(function () {
  const api = scriptArgs[0];
  const code = scriptArgs[1];
  scriptArgs.length = 0;
  // The API is evaluated the first time one of its globals is read, so code
  // that never calls the host does not pay for it; it then replaces these
  // getters with its own values. Keep the names in step with goru.js.
  let loaded = false;
  const names = ["HostError", "_goru_call", "call", "asyncCall", "runAsync", "kv", "http", "fs", "time_now",
    "kv_get", "kv_set", "kv_delete", "http_get",
    "fs_read", "fs_write", "fs_list", "fs_exists", "fs_stat", "fs_mkdir", "fs_remove"];
  names.forEach(function (name) {
    Object.defineProperty(globalThis, name, {
      get: function () {
        if (!loaded) {
          loaded = true;
          (0, eval)(api);
        }
        return globalThis[name];
      },
      set: function (value) {
        Object.defineProperty(globalThis, name, { value: value, writable: true, configurable: true });
      },
      configurable: true,
      enumerable: false,
    });
  });
  try {
    (0, eval)(code);
  } catch (err) {
    const isError = err instanceof Error;
    const kind = isError ? err.name : typeof err;
    const message = isError ? String(err.message) : String(err);
    const stack = isError && err.stack ? String(err.stack) : "";
    const text = (isError ? kind + ": " + message : "Uncaught " + message) + "\n" + stack;
    std.out.flush();
    std.err.puts(text.endsWith("\n") ? text : text + "\n");
    std.err.flush();
    try {
      const report = std.open("/.goru/exception.json", "w");
      report.puts(JSON.stringify({ type: kind, message: message, traceback: stack }));
      report.close();
    } catch (_) {}
    std.exit(1);
  }
})();
