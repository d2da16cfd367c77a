// goru's JavaScript guest shim. scriptArgs: the guest API (goru.js), the
// node-like globals (globals.js), then the user's code, its name for stack
// traces and how to run it ("script" or "module"). It installs the API and
// the globals lazily, then runs the code and reports an uncaught exception
// to the host before exiting with status 1. Without code it is a session:
// it asks the host for code over and over, keeping its globals, until told
// to close.
(function () {
  const api = scriptArgs[0];
  const globalsSource = scriptArgs[1];
  const code = scriptArgs.length > 2 ? scriptArgs[2] : null;
  const displayName = scriptArgs.length > 3 ? scriptArgs[3] : "<string>";
  const asModule = scriptArgs[4] === "module";
  scriptArgs.length = 0;

  // Where user code's frames say they are: std.evalScript names its code
  // "<evalScript>"; the API and the globals, evaluated with an indirect
  // eval, are "<input>", and this shim "<cmdline>": those frames are left
  // out, so a stack starts at user code.
  const USER_FILE = "<evalScript>";
  const INTERNAL_FILES = ["<input>", "<cmdline>"];

  function errorHeader(err) {
    let name = "Error";
    let message = "";
    try { name = String(err.name); } catch (_) {}
    try { message = err.message === undefined ? "" : String(err.message); } catch (_) {}
    return message === "" ? name : name + ": " + message;
  }

  // The frames of a stack ("    at ..." lines), without its header.
  function stackFrames(stack) {
    const lines = String(stack).split("\n");
    const first = lines.findIndex(function (line) { return /^\s+at /.test(line); });
    return first < 0 ? [] : lines.slice(first);
  }

  // Stacks as node writes them: "Name: message", then "    at f (file:line:col)".
  // A native frame is kept only where user code called it.
  Error.prepareStackTrace = function (err, sites) {
    const internal = function (site) { return site !== undefined && INTERNAL_FILES.includes(site.getFileName()); };
    const lines = [];
    sites.forEach(function (site, i) {
      if (internal(site)) return;
      if (site.isNative() && (i + 1 === sites.length || internal(sites[i + 1]))) return;
      const file = site.getFileName();
      let fn = site.getFunctionName();
      if (fn === "<eval>") fn = "";
      const where = site.isNative()
        ? "native"
        : (file === USER_FILE ? displayName : file) + ":" + site.getLineNumber() + ":" + site.getColumnNumber();
      lines.push("    at " + (fn ? fn + " (" + where + ")" : where));
    });
    return [errorHeader(err)].concat(lines).join("\n");
  };

  // The API and the globals are evaluated the first time one of their
  // names is read, so code that does not use them does not pay for them;
  // they then replace these getters with their own values. Keep the names
  // in step with goru.js and globals.js.
  function lazy(names, load) {
    names.forEach(function (name) {
      Object.defineProperty(globalThis, name, {
        get: function () {
          load();
          return globalThis[name];
        },
        set: function (value) {
          Object.defineProperty(globalThis, name, { value: value, writable: true, configurable: true });
        },
        configurable: true,
        enumerable: false,
      });
    });
  }

  const API_NAMES = ["HostError", "HTTPResponse", "_goru_call", "call", "asyncCall", "runAsync", "flushAsync",
    "kv", "http", "fs", "time_now", "kv_get", "kv_set", "kv_delete", "http_get",
    "fs_read", "fs_write", "fs_list", "fs_exists", "fs_stat", "fs_mkdir", "fs_remove", "__goru_busy"];
  let apiLoaded = false;
  lazy(API_NAMES, function () {
    if (!apiLoaded) {
      apiLoaded = true;
      (0, eval)(api);
    }
  });

  const GLOBAL_NAMES = ["console", "setTimeout", "clearTimeout", "setInterval", "clearInterval",
    "setImmediate", "clearImmediate", "structuredClone", "TextEncoder", "TextDecoder", "atob", "btoa"];
  let internals = null;
  function globals() {
    if (internals === null) {
      internals = {};
      internals = (0, eval)(globalsSource)(globalThis, {
        uncaught: die,
        errorHeader: errorHeader,
        stackFrames: stackFrames,
      });
    }
    return internals;
  }
  lazy(GLOBAL_NAMES, globals);

  // Prints an uncaught exception on stderr; returns its report.
  function report(err) {
    const isError = err instanceof Error;
    const kind = isError ? String(err.name) : typeof err;
    const message = isError ? String(err.message) : String(err);
    let frames = [];
    try {
      if (isError && err.stack) frames = stackFrames(err.stack);
    } catch (_) {}
    const header = isError ? errorHeader(err) : "Uncaught " + globals().inspect(err);
    const stack = frames.join("\n");
    std.out.flush();
    std.err.puts(header + (stack ? "\n" + stack : "") + "\n");
    std.err.flush();
    return { type: kind, message: message, traceback: stack };
  }

  // Reports an uncaught exception to the host and ends the run.
  function die(err) {
    const exception = report(err);
    try {
      const file = std.open("/.goru/exception.json", "w");
      file.puts(JSON.stringify(exception));
      file.close();
    } catch (_) {}
    std.exit(1);
  }

  // Bare module names QuickJS cannot resolve itself: "goru" (the guest
  // API), "std" and "os" (QuickJS names them "qjs:std" and "qjs:os"). Its
  // loader reads a bare name as a file in the working directory, so they
  // are written to a directory of their own and loaded from there once,
  // before the user's module, whose imports then find them loaded.
  function preloadModules() {
    const dir = "/.goru/modules";
    const sources = {
      goru: API_NAMES.filter(function (n) { return n !== "__goru_busy"; })
        .map(function (n) { return "export const " + n + " = globalThis." + n + ";\n"; }).join(""),
      std: "export * from \"qjs:std\";\n",
      os: "export * from \"qjs:os\";\n",
    };
    os.mkdir(dir);
    Object.keys(sources).forEach(function (name) {
      const file = std.open(dir + "/" + name, "w");
      file.puts(sources[name]);
      file.close();
    });
    const [cwd] = os.getcwd();
    os.chdir(dir);
    try {
      const preload = std.evalScript("import \"goru\"; import \"std\"; import \"os\";",
        { compile_module: true, compile_only: true });
      std.evalScript(preload, { eval_module: true });
    } finally {
      os.chdir(cwd);
    }
  }

  if (code !== null) {
    try {
      if (asModule) {
        preloadModules();
        const module = std.evalScript(code, { compile_module: true, compile_only: true });
        std.evalScript(module, { eval_module: true }).then(undefined, die);
      } else {
        std.evalScript(code, { backtrace_barrier: true });
      }
    } catch (err) {
      die(err);
    }
    return;
  }

  // A REPL's rendering of a value: node's.
  function show(value) {
    if (value === undefined) return;
    std.out.puts(globals().inspect(value) + "\n");
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
  // The host interrupts a run by making SIGINT pending; only code run by
  // std.evalScript sees it (as an uncatchable "InternalError: interrupted"
  // that evalScript hands back as an ordinary error), and each evalScript
  // clears it on its way out. So an interrupt that came after the last
  // run's code had returned (while its timers ran) is cleared here, by an
  // empty evalScript, and not taken for this run's.
  function runChunk(source, repl) {
    const done = { exit_code: 0, exception: null };
    std.evalScript("");
    try {
      const value = std.evalScript(source, { backtrace_barrier: true });
      if (repl) show(value);
    } catch (err) {
      done.exit_code = 1;
      done.exception = report(err);
    }
    return done;
  }

  // One request per step; between steps the engine runs the promise jobs
  // and timers the code left, and the result is handed in once the host
  // calls it queued have been answered. A 0 ms timer runs at the event
  // loop's next turn (goru patches QuickJS for that: build/timers.rs).
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
