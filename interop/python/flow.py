"""The whole WCP/1 flow, driven by python-socketio's AsyncClient (on aiohttp),
against the server at argv[1]. Like js/flow.mjs it is an independent client:
it shares no code with the Go client, signs with hmac/hashlib, and first checks
that its signer reproduces every vector in argv[2].

usage: /usr/bin/python3 flow.py http://127.0.0.1:8080 ../../testdata/vectors.json

It needs only Debian's packages (python3-socketio 5.7, python3-engineio 4.3,
python3-aiohttp 3.8). It prints one line per check and stops at the first
failure with "FAIL <check>: <detail>" and exit status 1; it ends with
"N passed" and status 0 when everything held.

Notes on python-socketio 5.7's client that shape this file:
  - Every Engine.IO message is handled in its own asyncio task. Tasks start in
    arrival order and the handlers here are plain functions, so each event is
    recorded before the next one is looked at; an `async def` handler that
    awaited before recording could see events out of order.
  - A refused connect is reported to the `connect_error` handler with the whole
    CONNECT_ERROR payload ({"message", "data": {"code"}}); connect(wait=True)
    itself only raises "One or more namespaces failed to connect", and only
    after sitting out a further wait_timeout. So connect() is called with
    wait=False and the outcome is whichever of `session` / `connect_error`
    comes first.
  - The `disconnect` handler gets no reason. Whether the server sent a
    Socket.IO DISCONNECT packet (JS: "io server disconnect") or just dropped
    the transport is told apart by TracingClient below.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import re
import sys
import time

import aiohttp
import socketio


class Failure(Exception):
    pass


passed = 0


def check(name, ok, detail=""):
    global passed
    if not ok:
        raise Failure(f"{name}: {detail}" if detail else name)
    passed += 1
    print(f"ok   {name}", flush=True)


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(message_key, chat_id, session_id, nonce, body):
    text = f"wcp1\n{chat_id}\n{session_id}\n{nonce}\n{body}"
    return hmac.new(b64url_decode(message_key), text.encode("utf-8"), hashlib.sha256).hexdigest()


def accepted(ack, seq):
    return isinstance(ack, dict) and ack.get("ok") is True and ack.get("seq") == seq and isinstance(ack.get("id"), str)


def refused_with(ack, code):
    err = ack.get("error") if isinstance(ack, dict) and ack.get("ok") is False else None
    return isinstance(err, dict) and err.get("code") == code and isinstance(err.get("message"), str)


async def expect_revoked(conn, code, t0, cause):
    """CON-4: `revoked {code}`, then the server's own DISCONNECT packet,
    within 1 s of the HTTP call (made at t0) that ended the access."""
    await conn.until(lambda: conn.named("<disconnect>"), f"the server's disconnect after {cause}", timeout=1.5)
    names = [n for n, _, _ in conn.events]
    revoked = conn.named("revoked")
    dt = conn.named("<disconnect>")[0][2] - t0
    check(f"CON-4: revoked {{code: {code}}}, then a server DISCONNECT, within 1 s",
          revoked_code(conn.events) == code and "revoked" in names and names.index("revoked") < names.index("<disconnect>")
          and conn.sio.server_disconnect and not conn.closed_by_us and dt <= 1.0,
          f"revoked={[e[1] for e in revoked]} events={names[-4:]} server DISCONNECT packet={conn.sio.server_disconnect} after {dt * 1000:.0f} ms")


def revoked_code(events):
    payloads = [p for n, p, _ in events if n == "revoked"]
    return payloads[0].get("code") if len(payloads) == 1 and isinstance(payloads[0], dict) else payloads


SENT_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
KEY = re.compile(r"^[A-Za-z0-9_-]{43}$")


def key_is_32_bytes_b64url(key):
    """32 bytes in base64url without padding, canonically spelled."""
    if not isinstance(key, str) or not KEY.match(key):
        return False
    raw = b64url_decode(key)
    return len(raw) == 32 and base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == key


class Refused(Exception):
    """A CONNECT_ERROR; .code is its data.code, .payload the whole payload."""

    def __init__(self, payload):
        self.payload = payload
        data = payload.get("data") if isinstance(payload, dict) else None
        self.code = data.get("code") if isinstance(data, dict) else None
        super().__init__(f"connect refused: {json.dumps(payload)}")


class TracingClient(socketio.AsyncClient):
    """An AsyncClient that notes a Socket.IO DISCONNECT packet from the server.
    python-socketio 5.7 calls _handle_disconnect only for that packet (a
    dropped transport goes through _handle_eio_disconnect instead) and passes
    no reason to the `disconnect` handler."""

    server_disconnect = False

    async def _handle_disconnect(self, namespace):
        self.server_disconnect = True
        await super()._handle_disconnect(namespace)


class Conn:
    """One Socket.IO client bound to one chat. events is every event in
    arrival order as (name, payload, monotonic time), including the acks of
    our own emits ("<ack>") and the disconnect ("<disconnect>")."""

    def __init__(self, sio):
        self.sio = sio
        self.session = None
        self.events = []
        self.closed_by_us = False
        self._changed = asyncio.Event()

    def record(self, name, payload):
        self.events.append((name, payload, time.monotonic()))
        self._changed.set()

    def named(self, name):
        return [e for e in self.events if e[0] == name]

    def messages(self):
        return [p for n, p, _ in self.events if n == "message"]

    async def until(self, pred, what, timeout=5.0):
        async def loop():
            while True:
                value = pred()
                if value:
                    return value
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(loop(), timeout)
        except asyncio.TimeoutError:
            names = [n for n, _, _ in self.events]
            raise Failure(f"timed out after {timeout:g} s waiting for {what}; events so far: {names}") from None

    async def send(self, nonce, body, override=None):
        s = self.session
        msg = {
            "chat_id": s["chat_id"],
            "nonce": nonce,
            "body": body,
            "message_string": sign(s["message_key"], s["chat_id"], s["session_id"], nonce, body),
        }
        msg.update(override or {})
        ack = asyncio.get_running_loop().create_future()

        def on_ack(*args):
            self.record("<ack>", args)
            if not ack.done():
                ack.set_result(args[0] if len(args) == 1 else list(args))

        await self.sio.emit("message", msg, callback=on_ack)
        try:
            return await asyncio.wait_for(ack, 5)
        except asyncio.TimeoutError:
            raise Failure(f"no ack within 5 s for nonce {nonce}") from None

    async def close(self):
        self.closed_by_us = True
        await self.sio.disconnect()
        await self.settle()

    async def settle(self):
        """Waits for python-engineio's read and write loops to end, then
        closes its aiohttp session. disconnect() does not wait for them
        (python-socketio calls it with abort=True); over polling, the write
        loop then POSTs the final DISCONNECT/CLOSE through a fresh aiohttp
        session that nobody closes, and when the server ends a connection
        the session is not closed either ("Unclosed client session")."""
        eio = self.sio.eio
        tasks = [t for t in (eio.read_loop_task, eio.write_loop_task) if t is not None]
        if tasks:
            done, pending = await asyncio.wait(tasks, timeout=5)
            if pending:
                raise Failure(f"python-engineio's loops did not end within 5 s of the disconnect ({eio.current_transport})")
        if eio.http is not None and not eio.http.closed:
            await eio.http.close()


class Flow:
    def __init__(self, base):
        self.base = base.rstrip("/")
        self.http_session = None
        self.conns = []

    async def http(self, method, path, token=None, body=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body)
        async with self.http_session.request(method, self.base + path, headers=headers, data=data) as res:
            text = await res.text()
            return res.status, (json.loads(text) if text else None)

    async def must(self, want, method, path, token=None, body=None):
        status, got = await self.http(method, path, token, body)
        if status != want:
            raise Failure(f"setup: {method} {path} answered {status} {got}, want {want}")
        return got

    async def connect(self, chat_id, connection_string, transports=("websocket",), **extra):
        """Returns a Conn once `session` arrives; raises Refused with the
        CONNECT_ERROR payload. A connection_string of None is left out of
        the auth; extra adds to it (after=...)."""
        sio = TracingClient(reconnection=False, request_timeout=5)
        conn = Conn(sio)
        self.conns.append(conn)
        outcome = asyncio.get_running_loop().create_future()

        def on_session(payload):
            conn.session = payload
            conn.record("session", payload)
            if not outcome.done():
                outcome.set_result(payload)

        def on_connect_error(payload=None, *rest):
            conn.record("<connect_error>", payload)
            if not outcome.done():
                outcome.set_exception(Refused(payload))

        def on_disconnect():
            conn.record("<disconnect>", None)
            if not outcome.done():
                outcome.set_exception(Failure("disconnected before any session"))

        def on_any(event, *args):
            conn.record(event, args[0] if len(args) == 1 else list(args))

        sio.on("session", on_session)
        sio.on("connect_error", on_connect_error)
        sio.on("disconnect", on_disconnect)
        sio.on("*", on_any)

        auth = {"chat_id": chat_id}
        if connection_string is not None:
            auth["connection_string"] = connection_string
        auth.update(extra)
        try:
            await sio.connect(self.base, auth=auth, transports=list(transports), wait=False)
            await asyncio.wait_for(outcome, 5)
        except socketio.exceptions.ConnectionError as err:
            await conn.close()
            raise Failure(f"Engine.IO connection over {list(transports)} failed: {err}") from None
        except asyncio.TimeoutError:
            await conn.close()
            raise Failure(f"no session and no connect_error within 5 s ({list(transports)})") from None
        except BaseException:
            await conn.close()
            raise
        return conn

    async def refusal(self, chat_id, connection_string, **extra):
        """The CONNECT_ERROR code of a connect that must be refused, or a
        description of what happened instead."""
        try:
            conn = await self.connect(chat_id, connection_string, **extra)
        except Refused as r:
            return r.code, r.payload
        await conn.close()
        return "connected (a session was granted)", None

    async def run(self, vectors_path):
        with open(vectors_path, encoding="utf-8") as f:
            vectors = json.load(f)["vectors"]
        bad = [v["name"] for v in vectors
               if sign(v["message_key"], v["chat_id"], v["session_id"], v["nonce"], v["body"]) != v["message_string"]
               or f"wcp1\n{v['chat_id']}\n{v['session_id']}\n{v['nonce']}\n{v['body']}" != v["signed_text"]]
        check(f"Python signer reproduces all {len(vectors)} vectors (hmac/hashlib)", vectors and not bad, f"mismatch: {bad}")

        self.http_session = aiohttp.ClientSession()
        owner = await self.must(201, "POST", "/users", body={"name": "py-owner"})
        member = await self.must(201, "POST", "/users", body={"name": "py-member"})
        ws = await self.must(201, "POST", "/workspaces", owner["token"], {"name": "py-ws"})
        status, _ = await self.http("POST", f"/workspaces/{ws['id']}/members", owner["token"], {"user_id": member["id"]})
        check("owner adds a member", status == 204, f"status {status}")
        status, body = await self.http("POST", "/chat", member["token"], {"workspace_id": ws["id"], "title": "nope"})
        check("OWN-1: a member may not create a chat",
              status == 403 and (body or {}).get("error", {}).get("code") == "forbidden", f"{status} {body}")
        chat = await self.must(201, "POST", "/chat", owner["token"], {"workspace_id": ws["id"], "title": "py"})
        other = await self.must(201, "POST", "/chat", owner["token"], {"workspace_id": ws["id"], "title": "py-other"})
        cs_owner = (await self.must(201, "POST", f"/chat/{chat['id']}/connection-string", owner["token"], {"ttl_seconds": 60}))["connection_string"]
        cs_member = (await self.must(201, "POST", f"/chat/{chat['id']}/connection-string", member["token"], {}))["connection_string"]
        cid = chat["id"]

        # CON-1
        a = await self.connect(cid, cs_member)
        b = await self.connect(cid, cs_owner)
        check("CON-1: session is the first event (websocket)", a.events[0][0] == "session", f"events {[e[0] for e in a.events]}")
        s = a.session
        check("CON-1: session names the chat and the user",
              s.get("chat_id") == cid and s.get("user_id") == member["id"] and b.session.get("user_id") == owner["id"]
              and isinstance(s.get("session_id"), str) and s["session_id"] != b.session.get("session_id"), json.dumps(s))
        check("CON-1: 32-byte message key, base64url without padding", key_is_32_bytes_b64url(s.get("message_key")), repr(s.get("message_key")))
        check("CON-1: a new key per session", s["message_key"] != b.session["message_key"])

        # MSG-1
        text = "héllo from Python 🐍\nline two"
        ack1 = await a.send(1, text)
        check("MSG-1: a valid message is acknowledged {ok, id, seq: 1}",
              accepted(ack1, 1), json.dumps(ack1))
        mine = await a.until(lambda: [m for m in a.messages() if m.get("id") == ack1["id"]], "the sender's own copy")
        theirs = await b.until(lambda: b.messages(), "delivery to the other session")
        order = [n for n, p, _ in a.events if n == "<ack>" or (n == "message" and p.get("id") == ack1["id"])]
        first = "ack" if order[0] == "<ack>" else "own copy"
        m = theirs[0]
        want = {"id": ack1["id"], "chat_id": cid, "seq": 1, "user_id": member["id"], "body": text}
        check(f"MSG-1: delivered to both sessions with id, chat_id, seq, user_id, body, sent_at (sender: {first} first; either order is fine)",
              len(mine) == 1 and all(m.get(k) == v and mine[0].get(k) == v for k, v in want.items())
              and isinstance(m.get("sent_at"), str) and SENT_AT.match(m["sent_at"]) and m["sent_at"] == mine[0]["sent_at"],
              f"sender got {mine}, other got {m}")

        # MSG-5 refusals, MSG-2
        forged = await a.send(2, "forged", {"message_string": "0" * 64})
        check("MSG-5: a wrong message string is refused (invalid_message_string)",
              refused_with(forged, "invalid_message_string"), json.dumps(forged))
        upper = await a.send(3, "upper", {"message_string": sign(s["message_key"], cid, s["session_id"], 3, "upper").upper()})
        check("MSG-5: an uppercase message string is a mismatch",
              refused_with(upper, "invalid_message_string"), json.dumps(upper))
        replay = await a.send(1, "again")
        check("MSG-5: a replayed nonce is refused (replayed_message)",
              refused_with(replay, "replayed_message"), json.dumps(replay))
        wrong = await a.send(4, "x", {"chat_id": "someone-elses"})
        check("MSG-5: another chat is refused (wrong_chat)",
              refused_with(wrong, "wrong_chat"), json.dumps(wrong))
        shape = await a.send(5, "x", {"nonce": "5"})
        check("MSG-5: a string nonce is refused (bad_request)",
              refused_with(shape, "bad_request"), json.dumps(shape))
        big = await a.send(6, "x" * 16385)
        check("MSG-5: a 16385-byte body is refused (payload_too_large)",
              refused_with(big, "payload_too_large"), json.dumps(big))
        ack2 = await a.send(9, "after refusals")
        check("MSG-2: the session survives refusals; seq has no gap",
              accepted(ack2, 2), json.dumps(ack2))
        await b.until(lambda: len(b.messages()) >= 2, "second delivery")
        await a.until(lambda: len(a.messages()) >= 2, "second delivery to the sender")
        check("MSG-2: refused messages were never delivered",
              [m["seq"] for m in b.messages()] == [1, 2] and [m["seq"] for m in a.messages()] == [1, 2],
              f"other saw {[m['seq'] for m in b.messages()]}, sender saw {[m['seq'] for m in a.messages()]}")

        # CON-2
        r = await self.connect(cid, cs_member, after=0)
        await r.until(lambda: len(r.messages()) >= 2, "replay after=0")
        check("CON-2: after=0 replays seq 1 and 2 in order, after the session event",
              [m["seq"] for m in r.messages()] == [1, 2] and r.events[0][0] == "session"
              and r.messages()[0]["body"] == text, f"events {[(n, p.get('seq') if isinstance(p, dict) else None) for n, p, _ in r.events]}")
        r1 = await self.connect(cid, cs_member, after=1)
        await r1.until(lambda: r1.messages(), "replay after=1")
        check("CON-2: after=1 replays only seq 2", [m["seq"] for m in r1.messages()] == [2], f"{r1.messages()}")
        old = r1.session
        await r1.close()

        # MSG-4: the member reconnects; the old session's key is worthless.
        r2 = await self.connect(cid, cs_member, after=2)
        new = r2.session
        k = await r2.send(10, "old key", {"message_string": sign(old["message_key"], cid, new["session_id"], 10, "old key")})
        check("MSG-4: after a reconnect, the previous session's key is refused",
              refused_with(k, "invalid_message_string"), json.dumps(k))
        k = await r2.send(11, "live key", {"message_string": sign(s["message_key"], cid, new["session_id"], 11, "live key")})
        check("MSG-4: another live session's key is refused",
              refused_with(k, "invalid_message_string"), json.dumps(k))
        await r.close()
        ack3 = await r2.send(1, "nonces are per session")
        check("MSG-1: the new session's own key works, nonce starting over", accepted(ack3, 3), json.dumps(ack3))
        await b.until(lambda: len(b.messages()) >= 3, "third delivery")
        await r2.close()

        # Polling-only and polling-with-upgrade transports.
        p = await self.connect(cid, cs_member, transports=("polling",))
        check("transport: polling only connects; session is the first event",
              p.sio.transport() == "polling" and p.events[0][0] == "session", f"transport {p.sio.transport()}, events {[e[0] for e in p.events]}")
        ackp = await p.send(1, "over long-polling")
        mp = await p.until(lambda: [m for m in p.messages() if m.get("id") == ackp.get("id")], "own copy over polling")
        check("transport: polling sends, is acknowledged and delivered", accepted(ackp, 4) and mp[0]["seq"] == 4, json.dumps(ackp))
        bad_p = await p.send(2, "forged", {"message_string": "f" * 64})
        check("transport: polling gets refusal acks", refused_with(bad_p, "invalid_message_string"), json.dumps(bad_p))
        await p.close()
        u = await self.connect(cid, cs_member, transports=("polling", "websocket"))
        check("transport: polling upgrades to websocket", u.sio.transport() == "websocket", f"transport {u.sio.transport()}")
        acku = await u.send(1, "after the upgrade")
        check("transport: the upgraded session sends", accepted(acku, 5), json.dumps(acku))
        await u.close()
        await b.until(lambda: len(b.messages()) >= 5, "fifth delivery")

        # CON-5 refusals, with the code from the CONNECT_ERROR data.
        async def refused(name, want, chat_id, connection_string, **extra):
            code, payload = await self.refusal(chat_id, connection_string, **extra)
            check(f"CON-5: {name} is refused with {want}",
                  code == want and isinstance(payload, dict) and isinstance(payload.get("message"), str),
                  f"got {code}, payload {json.dumps(payload)}")

        tampered = cs_member[:-1] + ("B" if cs_member.endswith("A") else "A")
        await refused("a tampered string (EXP-1)", "invalid_connection_string", cid, tampered)
        await refused("a negative after", "bad_request", cid, cs_member, after=-1)
        await refused("a fractional after", "bad_request", cid, cs_member, after=1.5)
        await refused("a missing connection_string", "bad_request", cid, None)
        await refused("a string for another chat", "chat_mismatch", other["id"], cs_member)

        # CON-4: member removed -> revoked forbidden, then the server's disconnect.
        t0 = time.monotonic()
        status, _ = await self.http("DELETE", f"/workspaces/{ws['id']}/members/{member['id']}", owner["token"])
        check("owner removes the member", status == 204, f"status {status}")
        await expect_revoked(a, "forbidden", t0, "removal")
        check("CON-4: the owner's session is untouched", not b.named("revoked") and not b.named("<disconnect>") and b.sio.connected)
        await refused("the removed member's still-valid string", "forbidden", cid, cs_member)
        ack6 = await b.send(1, "still here")
        check("MSG-1: the chat goes on without the member", accepted(ack6, 6), json.dumps(ack6))
        await b.until(lambda: len(b.messages()) >= 6, "sixth delivery")
        seqs = [m["seq"] for m in b.messages()]
        check("MSG-1: the owner's session saw every message once, in order", seqs == [1, 2, 3, 4, 5, 6], f"seqs {seqs}")

        # CON-4 again: the chat is deleted -> revoked chat_not_found.
        t0 = time.monotonic()
        status, _ = await self.http("DELETE", f"/chat/{cid}", owner["token"])
        check("owner deletes the chat", status == 204, f"status {status}")
        await expect_revoked(b, "chat_not_found", t0, "chat deletion")
        await refused("the deleted chat's string", "chat_not_found", cid, cs_owner)

    async def close(self):
        for conn in self.conns:
            if conn.sio.eio.state == "connected":
                await conn.close()
            else:
                await conn.settle()
        if self.http_session is not None:
            await self.http_session.close()


async def main(base, vectors_path):
    flow = Flow(base)
    try:
        await flow.run(vectors_path)
    finally:
        await flow.close()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: flow.py BASE_URL VECTORS_JSON", file=sys.stderr)
        sys.exit(2)
    try:
        asyncio.run(main(sys.argv[1], sys.argv[2]))
    except Failure as err:
        print(f"FAIL {err}", flush=True)
        print(f"stopped at the first failure after {passed} passed", flush=True)
        sys.exit(1)
    except Exception as err:  # a crash is a failure too, with its traceback
        import traceback

        traceback.print_exc(file=sys.stdout)
        print(f"FAIL flow aborted: {err!r}", flush=True)
        print(f"stopped at the first failure after {passed} passed", flush=True)
        sys.exit(1)
    print(f"{passed} passed", flush=True)
