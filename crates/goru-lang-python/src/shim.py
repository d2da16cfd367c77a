# goru's Python guest shim: builds the `goru` module from sys.argv[1], runs the
# user's code (sys.argv[2]) as __main__ with goru's names in its globals, and
# reports an uncaught exception to the host before exiting with status 1.
import sys


def _goru_main():
    api = sys.argv.pop(1)
    code = sys.argv.pop(1)
    goru = type(sys)("goru")
    goru.__file__ = "<goru>"
    sys.modules["goru"] = goru
    exec(compile(api, "<goru>", "exec"), goru.__dict__)
    scope = {"__name__": "__main__", "__builtins__": __builtins__, "__doc__": None}
    for name in goru.__all__:
        scope[name] = getattr(goru, name)
    try:
        exec(compile(code, "<string>", "exec"), scope)
    except SystemExit:
        raise
    except BaseException as exc:
        _goru_report(exc)
        raise SystemExit(1)


def _goru_report(exc):
    # Called on the failure path only, so the happy path imports nothing.
    tb = exc.__traceback__.tb_next if exc.__traceback__ else None
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
    try:
        import json

        with open("/.goru/exception.json", "w") as report:
            json.dump(
                {"type": type(exc).__name__, "message": str(exc), "traceback": text},
                report,
            )
    except BaseException:
        pass


_goru_main()
