# goru's Python guest shim, run by boot.py: creates the `goru` module (its body,
# sys.argv[1], is compiled on first use), runs the user's program as __main__
# with goru's names in its globals, and reports an uncaught exception to the
# host before exiting with status 1. The program is sys.argv[2:]: KIND NAME
# CODE ARGS..., KIND being "-c" (CODE), "script" (CODE as the script NAME) or
# "-m" (the module NAME). Without them it is a session: it asks the host for
# code over and over, keeping its globals, until told to close. With
# `--goru-snapshot` it readies the interpreter for a snapshot and exits.
import sys

# The guest API. Keep in step with goru.py and goru.pyi.
_GORU_FUNCTIONS = (
    "call", "async_call", "run_async", "_goru_call",
    "kv_get", "kv_set", "kv_delete", "http_get",
    "fs_read", "fs_write", "fs_list", "fs_exists", "fs_stat", "fs_mkdir", "fs_remove",
    "install_pkg", "time_now",
)
# Where the host mounts the run's packages directory (read-only), if it has one:
# after the standard library, as site-packages would be.
_PACKAGES = "/packages"
_GORU_OBJECTS = ("kv", "http", "fs", "HTTPResponse")


class HostError(RuntimeError):
    """A host call failed. `kind` is a short stable code such as "not_granted".
    A RuntimeError, as goru's host errors are."""

    kind = "failed"

    def __init__(self, message, kind=None):
        super().__init__(message)
        if kind is not None:
            self.kind = kind


HostError.__module__ = "goru"


# The guest API compiled while the snapshot was taken: (source, code).
_COMPILED_API = None


def _goru_compiled_api(source):
    if _COMPILED_API is not None and _COMPILED_API[0] == source:
        return _COMPILED_API[1]
    return compile(source, "<goru>", "exec")


def _goru_module(source):
    goru = type(sys)("goru")
    goru.__file__ = "<goru>"
    goru.__all__ = ["HostError", *_GORU_FUNCTIONS, *_GORU_OBJECTS]
    goru.HostError = HostError
    loaded = []

    def load():
        if not loaded:
            loaded.append(True)
            del goru.__getattr__
            exec(_goru_compiled_api(source), goru.__dict__)
        return goru

    def module_getattr(name):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(load(), name)

    goru.__getattr__ = module_getattr
    sys.modules["goru"] = goru
    return goru


def _lazy_function(goru, name):
    def function(*args, **kwargs):
        return getattr(goru, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    return function


class _LazyObject:
    __slots__ = ("_goru", "_name")

    def __init__(self, goru, name):
        self._goru = goru
        self._name = name

    def __getattr__(self, attr):
        return getattr(getattr(self._goru, self._name), attr)

    def __dir__(self):
        return dir(getattr(self._goru, self._name))

    def __repr__(self):
        return repr(getattr(self._goru, self._name))

    # For a class (HTTPResponse): calling it and isinstance() reach the class.
    def __call__(self, *args, **kwargs):
        return getattr(self._goru, self._name)(*args, **kwargs)

    def __instancecheck__(self, instance):
        return isinstance(instance, getattr(self._goru, self._name))


class _AsyncioHook:
    """Installs goru's event loop right after asyncio is imported: the stock
    loop needs a socketpair and threads, neither of which exists here."""

    def __init__(self, goru):
        self._goru = goru

    def find_spec(self, name, path=None, target=None):
        if name != "asyncio":
            return None
        sys.meta_path.remove(self)
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(name, path, target) if find else None
            if spec is not None:
                spec.loader = _AsyncioLoader(spec.loader, self._goru)
                return spec
        return None


class _AsyncioLoader:
    def __init__(self, loader, goru):
        self._loader = loader
        self._goru = goru

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._goru._install_event_loop(module)


# Where a script's file goes, as `sys.path[0]`.
_APP = "/app"


# What runs often enough to be worth importing before a snapshot is taken:
# exception reports, the REPL's parsing, `-m` and scripts.
_WARM_IMPORTS = ("traceback", "linecache", "json", "ast", "codeop", "runpy", "_signal")

# The argument that asks for a snapshot instead of a run.
_SNAPSHOT = "--goru-snapshot"


def _goru_snapshot(api):
    # Imports what runs will need and compiles the guest API, then exits at
    # once (no finalisation): the host copies the memory as it is and starts
    # later runs from it by entering `_start` again, which CPython, already
    # initialised, answers by only updating sys.argv before it runs the new
    # `-c` code.
    import os

    global _COMPILED_API
    for name in _WARM_IMPORTS:
        __import__(name)
    _COMPILED_API = (api, compile(api, "<goru>", "exec"))
    _goru_flush()
    os._exit(0)


def _goru_fresh_state():
    # A run born from a snapshot inherits what the snapshot's interpreter
    # had; these would otherwise repeat in every run. The `random` module's
    # state is seeded again from os.urandom (fresh per run), and the
    # entries CPython adds to sys.path when it starts each run do not pile up.
    if "random" in sys.modules:
        sys.modules["random"].seed()
    sys.path[:] = list(dict.fromkeys(sys.path))
    if sys.stdout.isatty() and not sys.stdout.line_buffering:
        sys.stdout.reconfigure(line_buffering=True)


def _goru_main():
    api = sys.argv.pop(1)
    program = sys.argv[1:]
    if program == [_SNAPSHOT]:
        _goru_snapshot(api)
    _goru_fresh_state()
    goru = _goru_module(api)
    sys.meta_path.insert(0, _AsyncioHook(goru))
    sys.path.append(_PACKAGES)
    scope = {"__name__": "__main__", "__builtins__": __builtins__, "__doc__": None, "HostError": HostError}
    for name in _GORU_FUNCTIONS:
        scope[name] = _lazy_function(goru, name)
    for name in _GORU_OBJECTS:
        scope[name] = _LazyObject(goru, name)
    if not program:
        _goru_session(goru, scope)
        return
    kind, name, code, *args = program
    code = code.removeprefix("\ufeff")
    sys.argv[:] = [name, *args]
    status = 0
    try:
        if kind == "-m":
            _goru_run_module(name, scope)
        else:
            filename = "<string>" if kind == "-c" else _goru_script(name, code, scope)
            exec(compile(code, filename, "exec"), scope)
    except SystemExit as exc:
        status = _goru_exit_code(exc)
    except BaseException as exc:
        report = _goru_report(exc, 1)
        try:
            import json

            with open("/.goru/exception.json", "w") as file:
                json.dump(report, file)
        except BaseException:
            pass
        status = 1
    _goru_exit(status, scope)


def _goru_exit(status, scope):
    # As python3 exits, minus tearing the interpreter down (which takes
    # longer than a whole run restored from a snapshot; the instance is
    # discarded anyway): atexit callbacks, then the program's globals
    # dropped so that files it left open are flushed and closed, then the
    # standard streams flushed, then the exit status.
    import atexit
    import os

    atexit._run_exitfuncs()
    main = sys.modules.get("__main__")
    flush = _goru_flush
    if main is not None and vars(main) is not globals():
        vars(main).clear()
    scope.clear()
    flush()
    os._exit(status)


def _goru_script(name, code, scope):
    # The script as a file, /app/BASENAME: __file__ and sys.path[0], and where
    # tracebacks find its lines (they show NAME, as the user gave it).
    import os

    path = _APP + "/" + os.path.basename(name)
    try:
        os.makedirs(_APP, exist_ok=True)
        with open(path, "w", encoding="utf-8") as file:
            file.write(code)
    except OSError:
        path = name
    if path != _APP + "/" + name:
        # Not found by linecache's own search of sys.path: give it the lines.
        import linecache

        linecache.cache[name] = (len(code), None, code.splitlines(True), name)
    scope["__file__"] = path
    sys.path[0] = os.path.dirname(path) or _APP
    return name


def _goru_run_module(name, scope):
    # As `python3 -m NAME`: in a fresh __main__ that has goru's names.
    import runpy

    main = type(sys)("__main__")
    main.__dict__.update(scope)
    sys.modules["__main__"] = main
    sys.path[0] = ""
    runpy._run_module_as_main(name, alter_argv=True)


def _goru_session(goru, scope):
    running = _goru_soft_interrupts()
    done = None
    while True:
        request = goru._goru_call("goru_session_next", {"done": done})
        if request.get("close"):
            return
        code = request.get("code", "")
        mode = request.get("mode")
        if mode == "check":
            done = {"complete": _goru_complete(code)}
            continue
        done = {"exit_code": 0, "exception": None}
        try:
            running[0] = True
            try:
                if mode == "repl":
                    _goru_interactive(code, scope)
                else:
                    exec(compile(code, "<string>", "exec"), scope)
            finally:
                running[0] = False
        except SystemExit as exc:
            done["exit_code"] = _goru_exit_code(exc)
            done["exited"] = True
        except BaseException as exc:
            done = {"exit_code": 1, "exception": _goru_report(exc, 2 if mode == "repl" else 1)}
        _goru_flush()


def _goru_soft_interrupts():
    # The host raises SIGINT (Ctrl-C) or SIGXCPU (the run's time limit) by
    # setting CPython's pending-signal state; the code of a run gets
    # KeyboardInterrupt or TimeoutError, the session loop never does.
    import _signal

    running = [False]

    def handler(signum, frame):
        if running[0]:
            if signum == _signal.SIGINT:
                raise KeyboardInterrupt
            raise TimeoutError("the run reached its time limit")

    _signal.signal(_signal.SIGINT, handler)
    _signal.signal(_signal.SIGXCPU, handler)
    return running


def _goru_interactive(code, scope):
    # As the REPL: the value of a final expression statement is shown (and
    # becomes `_`); the statements before it run as a script.
    import ast

    tree = ast.parse(code, "<stdin>", "exec")
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if tree.body:
        exec(compile(tree, "<stdin>", "exec"), scope)
    if last is not None:
        exec(compile(ast.Interactive([last]), "<stdin>", "single"), scope)


def _goru_complete(code):
    import codeop

    try:
        return codeop.compile_command(code, "<stdin>", "single") is not None
    except (SyntaxError, ValueError, OverflowError):
        return True


def _goru_exit_code(exc):
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        # As CPython exiting from a run: its C long is 32 bits here, and a
        # status that does not fit is an OverflowError and -1. Then the low
        # 8 bits, as a process's status (the host's rule too).
        if not -(2**31) <= exc.code < 2**31:
            sys.stderr.write("OverflowError: Python int too large to convert to C long\n")
            return 255
        return exc.code & 0xFF
    sys.stderr.write("%s\n" % (exc.code,))
    return 1


def _goru_flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


def _goru_report(exc, skip):
    # Prints the traceback (without the shim's own `skip` frames) on stderr;
    # returns the report. Runs on the failure path only, so the happy path
    # imports nothing.
    tb = exc.__traceback__
    for _ in range(skip):
        tb = tb.tb_next if tb else None
    try:
        import traceback

        text = "".join(traceback.format_exception(type(exc), exc, tb))
    except BaseException:
        text = "%s: %s\n" % (type(exc).__name__, exc)
    try:
        sys.stdout.flush()
    except BaseException:
        pass
    sys.stderr.write(text)
    sys.stderr.flush()
    return {"type": type(exc).__name__, "message": str(exc), "traceback": text}

