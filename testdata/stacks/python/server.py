"""Socket.IO fixture server for the Go client's table tests.

It behaves like the Go fixture (internal/stacks) and
testdata/stacks/node/server.mjs; keep the three in step. Needs Debian's
python3-socketio (5.7) and python3-aiohttp (3.8): run it with /usr/bin/python3.
"""

import argparse
import asyncio
import os
import signal

import socketio
from aiohttp import web

sio = socketio.AsyncServer(
    async_mode="aiohttp",
    ping_interval=0.5,
    ping_timeout=2.5,
    max_http_buffer_size=4_000_000,
    transports=["polling", "websocket"],
    allow_upgrades=True,
)


@sio.event
async def connect(sid, environ, auth=None):
    if not isinstance(auth, dict) or auth.get("token") != "good":
        raise socketio.exceptions.ConnectionRefusedError("denied", {"code": "denied"})
    # python-socketio queues the CONNECT packet only after this handler
    # returns, so an emit from here would reach the client before CONNECT. A
    # task started here runs once this one yields, which is after that.
    sio.start_background_task(sio.emit, "welcome", {"sid": sid}, to=sid)


@sio.event
async def echo(sid, *args):
    # A tuple is sent as the ack's argument list, so None stays [null].
    return args[:1]


@sio.event
async def burst(sid, data):
    n = int(data.get("n", 0))
    for i in range(1, n + 1):
        await sio.emit("item", {"i": i}, to=sid)
    return {"n": n}


@sio.event
async def bye(sid, data):
    await sio.emit("bye", {"code": data.get("code")}, to=sid)
    await sio.disconnect(sid)


@sio.event
async def big(sid, data):
    return {"data": "x" * int(data.get("size", 0))}


async def healthz(_request):
    return web.Response(text='{"status":"ok"}', content_type="application/json")


async def main(port):
    app = web.Application()
    app.router.add_get("/healthz", healthz)
    sio.attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = runner.addresses[0][1]
    print(f"listening on http://127.0.0.1:{bound}", flush=True)
    await asyncio.Event().wait()  # until SIGTERM


if __name__ == "__main__":
    # Exit at once: aiohttp's graceful shutdown never ends while a websocket
    # is open (python-engineio 4.3's handler outlives cancellation), and tests
    # stop a fixture only when done with it.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(main(parser.parse_args().port))
