# The `-c` code of every Python run: compiles goru's shim (sys.argv[1]) into
# __main__ unless an interpreter restored from a snapshot already has it,
# then runs it.
import sys

_goru_shim = sys.argv.pop(1)
if "_goru_main" not in globals():
    exec(compile(_goru_shim, "<goru>", "exec"))
del _goru_shim
_goru_main()
