# goru's Python guest shim: runs the user's code (sys.argv[1]) as __main__ and
# reports an uncaught exception to the host before exiting with status 1.
import sys


def _goru_main():
    code = sys.argv.pop(1)
    scope = {"__name__": "__main__", "__builtins__": __builtins__, "__doc__": None}
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
