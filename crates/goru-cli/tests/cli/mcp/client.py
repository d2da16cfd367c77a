"""Drives `goru mcp` with the official MCP Python SDK and prints what it saw
as one JSON object on stdout; the Rust test asserts on it.

usage: client.py stdio GORU_BINARY [goru flags...]
       client.py http URL
       client.py modern (stdio GORU_BINARY [goru flags...] | http URL)

The first two drive the initialize handshake (ClientSession); `modern` lets
the SDK's high-level Client negotiate, which picks the newest revision.
"""

import json
import os
import sys

import anyio
from mcp import Client, ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError


def wire(result):
    return result.model_dump(by_alias=True, mode="json", exclude_none=True)


async def error_code(call):
    try:
        await call
    except MCPError as error:
        return {"code": error.code, "message": error.error.message}
    return None


async def scenario(read, write):
    report = {"logs": [], "progress": []}

    async def on_log(params):
        report["logs"].append(wire(params))

    async with ClientSession(read, write, logging_callback=on_log) as session:
        init = await session.initialize()
        report["server"] = init.server_info.name
        report["protocol"] = init.protocol_version
        report["capabilities"] = wire(init.capabilities)
        tools = await session.list_tools()
        report["tools"] = {tool.name: wire(tool) for tool in tools.tools}
        await session.set_logging_level("info")

        call = session.call_tool
        report["python"] = wire(await call("run_python", {"code": "print(6 * 7)"}))
        report["javascript"] = wire(
            await call("run_javascript", {"code": "console.log([1, 2, 3].map(x => x * 2).join(','))"})
        )
        report["stdin"] = wire(await call("run_python", {"code": "print(input()[::-1])", "stdin": "olleh\n"}))
        report["exception"] = wire(await call("run_python", {"code": "def f():\n    raise ValueError('boom')\nf()"}))
        report["timeout"] = wire(
            await call("run_python", {"code": "print('before', flush=True)\nwhile True: pass", "timeout": 1})
        )

        created = wire(await call("session_create", {"language": "python"}))
        report["session_create"] = created
        sid = created["structuredContent"]["session_id"]
        report["session_set"] = wire(await call("session_run", {"session_id": sid, "code": "x = 41\ndef inc(n): return n + 1"}))
        report["session_get"] = wire(await call("session_run", {"session_id": sid, "code": "inc(x)"}))
        report["session_close"] = wire(await call("session_close", {"session_id": sid}))
        report["session_after_close"] = wire(await call("session_run", {"session_id": sid, "code": "x"}))

        js = wire(await call("session_create", {"language": "javascript"}))
        jsid = js["structuredContent"]["session_id"]
        await call("session_run", {"session_id": jsid, "code": "globalThis.total = 40"})
        report["js_session"] = wire(await call("session_run", {"session_id": jsid, "code": "total + 2"}))
        await call("session_close", {"session_id": jsid})

        async def on_progress(progress, total, message):
            report["progress"].append({"progress": progress, "total": total, "message": message})

        report["slow"] = wire(
            await call(
                "run_python",
                {"code": "import time\ntime.sleep(2.5)\nprint('slept')"},
                progress_callback=on_progress,
            )
        )

        # Cancel: the client gives up on a run that would go on for long;
        # the SDK sends notifications/cancelled. The session's interpreter
        # is stopped with it, so the session has ended when next used.
        doomed = wire(await call("session_create", {"language": "python"}))
        did = doomed["structuredContent"]["session_id"]
        with anyio.move_on_after(2) as scope:
            await call("session_run", {"session_id": did, "code": "while True: pass"})
        report["cancel_hit"] = scope.cancelled_caught
        # Over HTTP the notification travels in a request of its own, which
        # may arrive after the next call; until it has, the session is busy.
        for _ in range(100):
            after = wire(await call("session_run", {"session_id": did, "code": "1 + 1"}))
            if "busy" not in json.dumps(after["content"]):
                break
            await anyio.sleep(0.1)
        report["after_cancel"] = after

        report["bad_arguments"] = await error_code(call("run_python", {"source": "print(1)"}))
        report["unknown_tool"] = await error_code(call("rm_rf", {}))
        report["still_alive"] = wire(await call("run_javascript", {"code": "console.log('alive')"}))
    print(json.dumps(report))


async def modern(target):
    report = {}
    async with Client(target) as client:
        report["protocol"] = client.session.protocol_version
        report["tools"] = sorted(tool.name for tool in (await client.list_tools()).tools)
        report["python"] = wire(await client.call_tool("run_python", {"code": "print(2 ** 10)"}))
        created = await client.call_tool("session_create", {"language": "javascript"})
        sid = created.structured_content["session_id"]
        await client.call_tool("session_run", {"session_id": sid, "code": "var y = 5"})
        report["session"] = wire(await client.call_tool("session_run", {"session_id": sid, "code": "y * 2"}))
    print(json.dumps(report))


def stdio_params(args):
    env = {k: os.environ[k] for k in ("GORU_CACHE_DIR",) if k in os.environ}
    return StdioServerParameters(command=args[0], args=args[1:], env=env)


async def main():
    transport = sys.argv[1]
    if transport == "modern":
        target = stdio_params(sys.argv[3:]) if sys.argv[2] == "stdio" else sys.argv[3]
        await modern(target)
        return
    if transport == "stdio":
        async with stdio_client(stdio_params(sys.argv[2:])) as (read, write):
            await scenario(read, write)
    else:
        async with streamable_http_client(sys.argv[2]) as streams:
            await scenario(streams[0], streams[1])


anyio.run(main)
