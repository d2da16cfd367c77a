// goru's JavaScript guest shim: installs the guest API (scriptArgs[0]), then
// evaluates the user's code (scriptArgs[1]) in the global scope and reports an
// uncaught exception to the host before exiting with status 1.
(function () {
  const api = scriptArgs[0];
  const code = scriptArgs[1];
  scriptArgs.length = 0;
  (0, eval)(api);
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
