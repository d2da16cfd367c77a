// goru's JavaScript guest shim: installs the guest API (scriptArgs[0]) lazily,
// then evaluates the user's code (scriptArgs[1]) in the global scope and reports an
// uncaught exception to the host before exiting with status 1. Without
// scriptArgs[1] it is a session: it asks the host for code over and over,
// keeping its globals, until told to close.
(function () {
  const api = scriptArgs[0];
  const code = scriptArgs.length > 1 ? scriptArgs[1] : null;
  scriptArgs.length = 0;
  // The API is evaluated the first time one of its globals is read, so code
  // that never calls the host does not pay for it; it then replaces these
  // getters with its own values. Keep the names in step with goru.js.
  let loaded = false;
  const names = ["HostError", "_goru_call", "call", "asyncCall", "runAsync", "kv", "http", "fs", "time_now",
    "kv_get", "kv_set", "kv_delete", "http_get",
    "fs_read", "fs_write", "fs_list", "fs_exists", "fs_stat", "fs_mkdir", "fs_remove", "__goru_busy"];
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

  // Prints an uncaught exception on stderr; returns its report.
  function report(err) {
    const isError = err instanceof Error;
    const kind = isError ? err.name : typeof err;
    const message = isError ? String(err.message) : String(err);
    const stack = isError && err.stack ? String(err.stack) : "";
    const text = (isError ? kind + ": " + message : "Uncaught " + message) + "\n" + stack;
    std.out.flush();
    std.err.puts(text.endsWith("\n") ? text : text + "\n");
    std.err.flush();
    return { type: kind, message: message, traceback: stack };
  }

  if (code !== null) {
    try {
      (0, eval)(code);
    } catch (err) {
      const exception = report(err);
      try {
        const file = std.open("/.goru/exception.json", "w");
        file.puts(JSON.stringify(exception));
        file.close();
      } catch (_) {}
      std.exit(1);
    }
    return;
  }

  // A REPL's rendering of a value.
  function show(value) {
    if (value === undefined) return;
    let text;
    if (typeof value === "string") text = JSON.stringify(value);
    else if (typeof value === "function") text = "[Function " + (value.name || "(anonymous)") + "]";
    else if (typeof value === "bigint") text = String(value) + "n";
    else if (typeof value === "object" && value !== null && !(value instanceof Error)) {
      try {
        text = JSON.stringify(value);
      } catch (_) {}
      if (text === undefined) text = String(value);
    } else text = String(value);
    std.out.puts(text + "\n");
  }

  // Incomplete input is a syntax error at its very end: QuickJS reports the
  // end as an empty token, or as the end of a string, comment or input.
  function complete(source) {
    try {
      std.evalScript(source, { compile_only: true });
      return true;
    } catch (err) {
      return !(err instanceof SyntaxError && /unexpected end|: ''$/i.test(err.message));
    }
  }

  // Each chunk is a global script, so its `let` and `const` persist too.
  function runChunk(source, repl) {
    const done = { exit_code: 0, exception: null };
    try {
      const value = std.evalScript(source);
      if (repl) show(value);
    } catch (err) {
      done.exit_code = 1;
      done.exception = report(err);
    }
    return done;
  }

  // One request per step; between steps the engine runs the promise jobs
  // and timers the code left, and the result is handed in once the host
  // calls it queued have been answered.
  function step(done) {
    std.out.flush();
    std.err.flush();
    const request = globalThis._goru_call("goru_session_next", { done: done });
    if (request.close) std.exit(0);
    const result = request.mode === "check"
      ? { complete: complete(request.code) }
      : runChunk(request.code, request.mode === "repl");
    settle(result);
  }

  function settle(result) {
    os.setTimeout(function () {
      if (globalThis.__goru_busy()) settle(result);
      else step(result);
    }, 0);
  }

  step(null);
})();
