#!/usr/bin/python3
"""A minimal WCP/1 server: aiohttp + python-socketio + sqlite3, one file.

    /usr/bin/python3 examples/python/server.py --port 8080 --db /tmp/wcp.db

It is an example to start from, not a product: every rule of the contract
(PROTOCOL.md, rule IDs in the comments) is here, in the plainest form that is
still correct. The one design decision that makes the rest simple:

    All state changes run on the asyncio event loop, synchronously, with no
    `await` in the middle. sqlite3 calls block the loop for the length of a
    commit. That serialises every write, so seq has no gaps, every session
    sees one order, and a replay plus joining the live fan-out (CON-2) is one
    atomic step: no message can slip in between or be delivered twice.

Each session has its own outbox queue and a writer task that emits from it
in order: `session` first (CON-1), then the replay, then live messages, and,
on revocation, `revoked` and the disconnect (CON-4).
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import signal
import sqlite3
import sys
import time

import socketio
from aiohttp import web

log = logging.getLogger("wcp")

# --- Limits of the contract --------------------------------------------------

MAX_HTTP_BODY = 64 * 1024          # ROB-2
MAX_NAME, MAX_TITLE = 100, 200     # section 3
MAX_BODY_BYTES = 16384             # MSG-5
MAX_NONCE = 2**53 - 1              # section 6
TTL_MIN, TTL_MAX, TTL_DEFAULT = 1, 3600, 300   # EXP-3
MAX_CONN_STRING = 512              # EXP-1
SQLITE_MAX_INT = 2**63 - 1

STATUS = {"bad_request": 400, "unauthenticated": 401, "forbidden": 403,
          "not_found": 404, "method_not_allowed": 405, "payload_too_large": 413,
          "internal": 500}


class ApiError(Exception):
    """A refusal: answered as {"error":{"code","message"}} with its status."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


# --- Small helpers -------------------------------------------------------------

def new_id(prefix):
    # 128 random bits, base64url: satisfies [A-Za-z0-9_-]{1,64} and the
    # "at least 96 random bits" of section 1.
    return prefix + secrets.token_urlsafe(16)


def now_ms():
    return time.time_ns() // 1_000_000


def wire_time(ms):
    """RFC 3339, UTC, milliseconds (section 1)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def valid_id(v):
    """Section 1's ID shape. Anything else cannot name a stored row, and is
    kept away from sqlite (which cannot bind every Python str)."""
    return isinstance(v, str) and ID_RE.fullmatch(v) is not None


def is_text(v, lo=0, hi=sys.maxsize):
    """A str of lo..hi characters that is valid Unicode. json.loads lets lone
    surrogates ("\\ud800") through; they cannot be stored as UTF-8, so they
    are refused here rather than crashing sqlite later (ROB-1)."""
    if not isinstance(v, str) or not lo <= len(v) <= hi:
        return False
    try:
        v.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def json_int(v, lo, hi):
    """An integral JSON number in lo..hi, else None. bool is an int in
    Python, and true is not a number; 60.0 is an integer by value."""
    if isinstance(v, bool):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, int) and lo <= v <= hi:
        return v
    return None


def _no_constants(name):
    raise ValueError("not JSON: " + name)  # json.loads accepts NaN/Infinity otherwise


def parse_json(raw):
    """Strict JSON: UTF-8, one value, no NaN. Any failure, including a
    RecursionError from absurd nesting, is a 400 (ROB-1)."""
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise ApiError("bad_request", "body is not valid JSON") from None


# --- Storage ---------------------------------------------------------------------

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS workspaces (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, owner_id TEXT NOT NULL,
    created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS members (
    workspace_id TEXT NOT NULL, user_id TEXT NOT NULL,
    PRIMARY KEY (workspace_id, user_id));
CREATE TABLE IF NOT EXISTS chats (
    id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, title TEXT NOT NULL,
    created_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chats_by_ws ON chats (workspace_id, created_ms);
CREATE TABLE IF NOT EXISTS messages (
    chat_id TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL, body TEXT NOT NULL, sent_ms INTEGER NOT NULL,
    PRIMARY KEY (chat_id, seq));
"""


class Store:
    def __init__(self, path):
        if path != ":memory:" and not os.path.exists(path):
            # The DB holds the server secret: create it owner-only. SQLite
            # gives its -wal and -shm files the same permissions.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        # isolation_level=None: no implicit transactions; tx() says where
        # each one begins and ends.
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        # FULL: every COMMIT is fsynced before it returns, so a message is on
        # disk before it is acknowledged (MSG-3), even across power loss.
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        with self.tx():
            # The connection-string secret lives in the DB, so strings issued
            # before a restart still verify after it.
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('secret', ?)", (secrets.token_bytes(32),))
        self.secret = self.one("SELECT value FROM meta WHERE key='secret'")[0]

    def tx(self):
        return _Tx(self.db)

    def one(self, sql, args=()):
        return self.db.execute(sql, args).fetchone()

    def all(self, sql, args=()):
        return self.db.execute(sql, args).fetchall()

    # Lookups shared by HTTP and Socket.IO.
    def user_by_token(self, token):
        h = hashlib.sha256(token.encode()).hexdigest()  # tokens are stored hashed
        row = self.one("SELECT id FROM users WHERE token_hash=?", (h,))
        return row[0] if row else None

    def workspace(self, ws_id):
        if not valid_id(ws_id):
            return None
        return self.one("SELECT id, name, owner_id, created_ms FROM workspaces WHERE id=?", (ws_id,))

    def chat(self, chat_id):
        if not valid_id(chat_id):
            return None
        return self.one("SELECT id, workspace_id, title, created_ms FROM chats WHERE id=?", (chat_id,))

    def role(self, ws, user_id):
        """'owner', 'member' or None for the workspace row ws."""
        if ws[2] == user_id:
            return "owner"
        if self.one("SELECT 1 FROM members WHERE workspace_id=? AND user_id=?", (ws[0], user_id)):
            return "member"
        return None


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on an exception."""

    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, *_):
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def chat_json(c):
    return {"id": c[0], "workspace_id": c[1], "title": c[2], "created_at": wire_time(c[3])}


def ws_json(w):
    return {"id": w[0], "name": w[1], "owner_id": w[2], "created_at": wire_time(w[3])}


def message_json(row):
    chat_id, seq, mid, user_id, body, sent_ms = row
    return {"id": mid, "chat_id": chat_id, "seq": seq, "user_id": user_id,
            "body": body, "sent_at": wire_time(sent_ms)}


MESSAGE_COLS = "chat_id, seq, id, user_id, body, sent_ms"


# --- Connection strings (EXP-1..4) --------------------------------------------
#
# "wcp1.<user_id>.<chat_id>.<expires_ms>.<hex HMAC-SHA256 of everything before
# the last dot>". IDs never contain '.', so the format is unambiguous; the MAC
# covers every other character and is compared as the exact lowercase hex
# text, so changing any single character invalidates the string (EXP-1).

def issue_conn_string(secret, user_id, chat_id, expires_ms):
    signed = "wcp1.%s.%s.%d" % (user_id, chat_id, expires_ms)
    return signed + "." + hmac.new(secret, signed.encode(), hashlib.sha256).hexdigest()


def verify_conn_string(secret, s):
    """(user_id, chat_id, expires_ms), or None when not authentic."""
    if len(s) > MAX_CONN_STRING or not s.isascii():
        return None
    signed, _, mac = s.rpartition(".")
    want = hmac.new(secret, signed.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac.encode(), want.encode()):
        return None
    parts = signed.split(".")
    if len(parts) != 4 or parts[0] != "wcp1" or not parts[3].isdigit():
        return None
    return parts[1], parts[2], int(parts[3])


# --- Sessions ------------------------------------------------------------------------


class Session:
    def __init__(self, sid, user_id, chat_id, workspace_id):
        self.sid = sid                        # python-socketio's id for the socket
        self.session_id = new_id("s_")        # ours, sent in `session`
        self.key = secrets.token_bytes(32)    # fresh for every session (CON-1, MSG-4)
        self.user_id, self.chat_id, self.workspace_id = user_id, chat_id, workspace_id
        self.last_nonce = 0
        self.revoked = None                   # the revocation code, once revoked
        self.outbox = asyncio.Queue()         # (event, payload), emitted in order
        self.task = None


class WCP:
    """The whole server: HTTP handlers, Socket.IO handlers, and the sessions."""

    def __init__(self, store):
        self.store = store
        self.by_sid = {}      # socket id -> Session
        self.by_chat = {}     # chat id -> set of live (not revoked) Sessions
        self.sio = WCPSocketServer(async_mode="aiohttp", logger=False, engineio_logger=False)
        self.sio.on("connect", self.on_connect)
        self.sio.on("disconnect", self.on_disconnect)
        self.sio.on("message", self.on_message)

    # ---- fan-out and revocation

    def deliver(self, chat_id, msg):
        for s in self.by_chat.get(chat_id, ()):
            s.outbox.put_nowait(("message", msg))

    def leave(self, s):
        """Take s out of its chat's fan-out."""
        members = self.by_chat.get(s.chat_id)
        if members is not None:
            members.discard(s)
            if not members:
                del self.by_chat[s.chat_id]

    def revoke(self, sessions, code):
        """CON-4: stop delivering to these sessions at once, then let each
        one's writer emit `revoked` and disconnect it (a loop turn later,
        well within the second)."""
        for s in list(sessions):
            if s.revoked:
                continue
            s.revoked = code
            self.leave(s)
            # Messages still queued were for a reader who has lost access:
            # drop them, keep a not-yet-sent `session` (CON-1 stays first).
            kept = []
            while not s.outbox.empty():
                item = s.outbox.get_nowait()
                if item[0] == "session":
                    kept.append(item)
            for item in kept + [("revoked", {"code": code})]:
                s.outbox.put_nowait(item)

    async def writer(self, s):
        """Emits a session's outbox in order; ends after `revoked` or on stop."""
        while True:
            event, payload = await s.outbox.get()
            if event == "stop":
                return
            try:
                await self.sio.emit(event, payload, to=s.sid)
                if event == "revoked":
                    await self.sio.disconnect(s.sid)  # server-side disconnect (CON-4)
                    return
            except Exception:
                log.exception("emit to a session failed")

    # ---- Socket.IO: connect (CON-5, CON-1, CON-2)

    def check_connect(self, auth):
        """Returns (refusal code, None) or (None, (user, chat, ws, after)), in
        CON-5's order."""
        if not isinstance(auth, dict):
            # python-socketio passes a falsy auth ({}, null, 0) as None.
            return "bad_request", None
        chat_id, cs = auth.get("chat_id"), auth.get("connection_string")
        after = auth.get("after")
        if not isinstance(chat_id, str) or not isinstance(cs, str):
            return "bad_request", None
        if "after" in auth:
            # "an integer >= 0" has no upper bound; sqlite's does (see the replay).
            after = json_int(after, 0, float("inf"))
            if after is None:
                return "bad_request", None
        claims = verify_conn_string(self.store.secret, cs)
        if claims is None:
            return "invalid_connection_string", None
        user_id, cs_chat, expires_ms = claims
        if cs_chat != chat_id:
            return "chat_mismatch", None
        if now_ms() >= expires_ms:          # at expires_at it is expired (EXP-2)
            return "connection_string_expired", None
        chat = self.store.chat(chat_id)
        ws = chat and self.store.workspace(chat[1])
        if not ws:
            return "chat_not_found", None
        if not self.store.role(ws, user_id):
            return "forbidden", None
        return None, (user_id, chat_id, ws[0], after)

    async def on_connect(self, sid, environ, auth=None):
        code, ok = self.check_connect(auth)
        if code:
            # python-socketio turns this into CONNECT_ERROR
            # {"message": text, "data": {"code": code}}.
            raise socketio.exceptions.ConnectionRefusedError("connection refused: " + code, {"code": code})
        user_id, chat_id, ws_id, after = ok
        s = Session(sid, user_id, chat_id, ws_id)
        key = base64.urlsafe_b64encode(s.key).rstrip(b"=").decode()
        s.outbox.put_nowait(("session", {"session_id": s.session_id, "chat_id": chat_id,
                                         "user_id": user_id, "message_key": key}))
        # CON-2: the replay is read and the session joins the fan-out in one
        # synchronous step. Every message committed before this point is in
        # the replay, every one after it reaches the outbox live.
        if after is not None:
            rows = self.store.all("SELECT %s FROM messages WHERE chat_id=? AND seq>? ORDER BY seq"
                                  % MESSAGE_COLS, (chat_id, min(after, SQLITE_MAX_INT)))
            for row in rows:
                s.outbox.put_nowait(("message", message_json(row)))
        self.by_sid[sid] = s
        self.by_chat.setdefault(chat_id, set()).add(s)
        # python-socketio sends CONNECT only after this handler returns, and
        # it queues it without yielding. The writer task first runs at the
        # next loop turn, so `session` always follows CONNECT. (Emitting from
        # inside this handler would put the event BEFORE the CONNECT packet.)
        s.task = asyncio.get_running_loop().create_task(self.writer(s))
        return True

    async def on_disconnect(self, sid):
        s = self.by_sid.pop(sid, None)
        if s:
            self.leave(s)
            s.outbox.put_nowait(("stop", None))

    # ---- Socket.IO: message (MSG-1..5)

    async def on_message(self, sid, *args):
        """The return value is the ack: python-socketio sends it after this
        handler returns, and only when the client asked for one (MSG-2)."""
        try:
            return self.handle_message(sid, args)
        except Exception:
            log.exception("message handler failed")
            return refusal("internal", "internal server error")

    def handle_message(self, sid, args):
        s = self.by_sid.get(sid)
        if s is None:
            return refusal("forbidden", "no session")
        if s.revoked:
            return refusal(s.revoked, "access to this chat has ended")
        # MSG-5, in order.
        p = args[0] if len(args) == 1 else None
        if not isinstance(p, dict):
            return refusal("bad_request", "payload must be one object")
        chat_id, body, ms = p.get("chat_id"), p.get("body"), p.get("message_string")
        nonce = json_int(p.get("nonce"), 1, MAX_NONCE)
        if (not isinstance(chat_id, str) or not isinstance(ms, str) or nonce is None
                or not is_text(body, 1)):
            return refusal("bad_request", "chat_id, nonce, body and message_string are required")
        raw_body = body.encode("utf-8")
        if len(raw_body) > MAX_BODY_BYTES:
            return refusal("payload_too_large", "body over 16384 bytes")
        if chat_id != s.chat_id:
            return refusal("wrong_chat", "this session belongs to another chat")
        signed = ("wcp1\n%s\n%s\n%d\n" % (chat_id, s.session_id, nonce)).encode() + raw_body
        want = hmac.new(s.key, signed, hashlib.sha256).hexdigest()
        # Constant-time, on the exact text: upper-case hex, base64 or any
        # other spelling of the same MAC is a mismatch.
        if not hmac.compare_digest(ms.encode("utf-8", "surrogatepass"), want.encode()):
            return refusal("invalid_message_string", "message_string does not match")
        if nonce <= s.last_nonce:
            return refusal("replayed_message", "nonce must grow within the session")

        # MSG-1: store (committed and fsynced), then ack and deliver.
        msg_id, sent = new_id("m_"), now_ms()
        with self.store.tx() as db:
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE chat_id=?",
                             (chat_id,)).fetchone()[0]
            db.execute("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?)",
                       (chat_id, seq, msg_id, s.user_id, body, sent))
        s.last_nonce = nonce
        self.deliver(chat_id, message_json((chat_id, seq, msg_id, s.user_id, body, sent)))
        # The copies are only queued: the writers emit them on a later loop
        # turn, while python-socketio queues this ack as soon as we return.
        # So the sender sees its ack, then its own copy; the contract allows
        # either order (MSG-1), as long as each comes once with one id/seq.
        return {"ok": True, "id": msg_id, "seq": seq}

    # ---- HTTP

    def auth(self, request):
        """401 unless `Authorization: Bearer <known token>`."""
        m = re.fullmatch(r"[Bb]earer ([\x21-\x7e]+)", request.headers.get("Authorization", ""))
        user_id = m and self.store.user_by_token(m.group(1))
        if not user_id:
            raise ApiError("unauthenticated", "a valid bearer token is required")
        return user_id

    async def body(self, request, empty_ok=False):
        """The JSON object in the body. Over 64 KiB, declared or actual, is a
        413 before anything is parsed (ROB-2)."""
        if (request.content_length or 0) > MAX_HTTP_BODY:
            raise ApiError("payload_too_large", "body over 64 KiB")
        raw = b""
        # Read the stream ourselves (aiohttp's request.read() has its own,
        # non-JSON 413); stop as soon as the limit is passed.
        while len(raw) <= MAX_HTTP_BODY:
            chunk = await request.content.read(MAX_HTTP_BODY + 1 - len(raw))
            if not chunk:
                break
            raw += chunk
        if len(raw) > MAX_HTTP_BODY:
            raise ApiError("payload_too_large", "body over 64 KiB")
        if empty_ok and not raw.strip():
            return {}
        v = parse_json(raw)
        if not isinstance(v, dict):
            raise ApiError("bad_request", "body must be a JSON object")
        return v

    def workspace_for(self, ws_id, user_id, owner_only=False):
        """404 if missing, 403 if not owner (or member, when allowed)."""
        ws = self.store.workspace(ws_id)
        if not ws:
            raise ApiError("not_found", "no such workspace")
        role = self.store.role(ws, user_id)
        if not role or (owner_only and role != "owner"):
            raise ApiError("forbidden", "not allowed in this workspace")
        return ws

    def chat_for(self, chat_id, user_id, owner_only=False):
        chat = self.store.chat(chat_id)
        if not chat:
            raise ApiError("not_found", "no such chat")
        ws = self.store.workspace(chat[1])
        if not ws:
            raise ApiError("not_found", "no such chat")
        role = self.store.role(ws, user_id)
        if not role or (owner_only and role != "owner"):
            raise ApiError("forbidden", "not allowed in this chat")
        return chat

    async def healthz(self, request):
        return json_response(200, {"status": "ok"})

    async def create_user(self, request):
        b = await self.body(request)
        if not is_text(b.get("name"), 1, MAX_NAME):
            raise ApiError("bad_request", "name must be a string of 1..100 characters")
        user_id, token = new_id("u_"), secrets.token_urlsafe(32)
        with self.store.tx() as db:
            db.execute("INSERT INTO users VALUES (?, ?, ?)",
                       (user_id, b["name"], hashlib.sha256(token.encode()).hexdigest()))
        return json_response(201, {"id": user_id, "name": b["name"], "token": token})

    async def create_workspace(self, request):
        user_id = self.auth(request)
        b = await self.body(request)
        if not is_text(b.get("name"), 1, MAX_NAME):
            raise ApiError("bad_request", "name must be a string of 1..100 characters")
        ws = (new_id("w_"), b["name"], user_id, now_ms())
        with self.store.tx() as db:
            db.execute("INSERT INTO workspaces VALUES (?, ?, ?, ?)", ws)
        return json_response(201, ws_json(ws))

    async def get_workspace(self, request, ws_id):
        ws = self.workspace_for(ws_id, self.auth(request))
        members = [r[0] for r in self.store.all(
            "SELECT user_id FROM members WHERE workspace_id=? ORDER BY rowid", (ws_id,))]
        return json_response(200, dict(ws_json(ws), members=members))

    async def delete_workspace(self, request, ws_id):
        self.workspace_for(ws_id, self.auth(request), owner_only=True)
        with self.store.tx() as db:
            db.execute("DELETE FROM messages WHERE chat_id IN (SELECT id FROM chats WHERE workspace_id=?)", (ws_id,))
            db.execute("DELETE FROM chats WHERE workspace_id=?", (ws_id,))
            db.execute("DELETE FROM members WHERE workspace_id=?", (ws_id,))
            db.execute("DELETE FROM workspaces WHERE id=?", (ws_id,))
        self.revoke([s for s in self.by_sid.values() if s.workspace_id == ws_id], "chat_not_found")
        return no_content()

    async def add_member(self, request, ws_id):
        user_id = self.auth(request)
        b = await self.body(request)
        new = b.get("user_id")
        if not is_text(new):
            raise ApiError("bad_request", "user_id must be a string")
        ws = self.workspace_for(ws_id, user_id, owner_only=True)
        if not valid_id(new) or not self.store.one("SELECT 1 FROM users WHERE id=?", (new,)):
            raise ApiError("not_found", "no such user")
        if new != ws[2]:  # the owner is never among members
            with self.store.tx() as db:
                db.execute("INSERT OR IGNORE INTO members VALUES (?, ?)", (ws_id, new))
        return no_content()

    async def remove_member(self, request, ws_id, member_id):
        ws = self.workspace_for(ws_id, self.auth(request), owner_only=True)
        if member_id == ws[2]:
            raise ApiError("bad_request", "the owner cannot be removed")  # OWN-4
        if valid_id(member_id):  # anything else is not a member: a harmless 204
            with self.store.tx() as db:
                db.execute("DELETE FROM members WHERE workspace_id=? AND user_id=?", (ws_id, member_id))
        self.revoke([s for s in self.by_sid.values()
                     if s.workspace_id == ws_id and s.user_id == member_id], "forbidden")
        return no_content()

    async def list_chats(self, request, ws_id):
        self.workspace_for(ws_id, self.auth(request))
        rows = self.store.all("SELECT id, workspace_id, title, created_ms FROM chats "
                              "WHERE workspace_id=? ORDER BY created_ms, rowid", (ws_id,))
        return json_response(200, {"chats": [chat_json(c) for c in rows]})

    async def create_chat(self, request):
        # OWN-1: token, body, workspace exists, caller owns it.
        user_id = self.auth(request)
        b = await self.body(request)
        ws_id, title = b.get("workspace_id"), b.get("title")
        if not is_text(ws_id) or not is_text(title, 1, MAX_TITLE):
            raise ApiError("bad_request", "workspace_id and a title of 1..200 characters are required")
        self.workspace_for(ws_id, user_id, owner_only=True)
        chat = (new_id("c_"), ws_id, title, now_ms())
        with self.store.tx() as db:
            db.execute("INSERT INTO chats VALUES (?, ?, ?, ?)", chat)
        return json_response(201, chat_json(chat))

    async def get_chat(self, request, chat_id):
        return json_response(200, chat_json(self.chat_for(chat_id, self.auth(request))))

    async def delete_chat(self, request, chat_id):
        self.chat_for(chat_id, self.auth(request), owner_only=True)
        with self.store.tx() as db:
            db.execute("DELETE FROM messages WHERE chat_id=?", (chat_id,))
            db.execute("DELETE FROM chats WHERE id=?", (chat_id,))
        self.revoke(self.by_chat.get(chat_id, ()), "chat_not_found")
        return no_content()

    async def connection_string(self, request, chat_id):
        user_id = self.auth(request)
        b = await self.body(request, empty_ok=True)  # the TTL is optional: so is the body
        ttl = b.get("ttl_seconds")
        ttl = TTL_DEFAULT if ttl is None else json_int(ttl, TTL_MIN, TTL_MAX)
        if ttl is None:
            raise ApiError("bad_request", "ttl_seconds must be an integer in 1..3600")  # EXP-3
        self.chat_for(chat_id, user_id)
        expires = now_ms() + ttl * 1000  # EXP-4
        return json_response(201, {"chat_id": chat_id, "expires_at": wire_time(expires),
                                   "connection_string": issue_conn_string(self.store.secret, user_id, chat_id, expires)})

    async def list_messages(self, request, chat_id):
        user_id = self.auth(request)
        after = query_int(request, "after", 0, 0, None)
        limit = query_int(request, "limit", 100, 1, 1000)
        self.chat_for(chat_id, user_id)
        rows = self.store.all("SELECT %s FROM messages WHERE chat_id=? AND seq>? ORDER BY seq LIMIT ?"
                              % MESSAGE_COLS, (chat_id, min(after, SQLITE_MAX_INT), limit))
        msgs = [message_json(r) for r in rows]
        return json_response(200, {"messages": msgs, "next_after": msgs[-1]["seq"] if msgs else after})

    # ---- routing: our own, so that every error is the JSON of ROB-2

    def routes(self):
        ID = None  # a path segment that is an ID
        return [
            (("healthz",), {"GET": self.healthz}),
            (("users",), {"POST": self.create_user}),
            (("workspaces",), {"POST": self.create_workspace}),
            (("workspaces", ID), {"GET": self.get_workspace, "DELETE": self.delete_workspace}),
            (("workspaces", ID, "members"), {"POST": self.add_member}),
            (("workspaces", ID, "members", ID), {"DELETE": self.remove_member}),
            (("workspaces", ID, "chats"), {"GET": self.list_chats}),
            (("chat",), {"POST": self.create_chat}),
            (("chat", ID), {"GET": self.get_chat, "DELETE": self.delete_chat}),
            (("chat", ID, "connection-string"), {"POST": self.connection_string}),
            (("chat", ID, "messages"), {"GET": self.list_messages}),
        ]

    async def dispatch(self, request):
        try:
            # The raw (still percent-encoded) path: IDs never need escaping,
            # and "/chat/a%2Fb" must not become a different route.
            parts = request.rel_url.raw_path.split("/")[1:]
            for pattern, methods in self.routes():
                if len(pattern) != len(parts):
                    continue
                if all(p == s if p else s != "" for p, s in zip(pattern, parts)):
                    params = [s for p, s in zip(pattern, parts) if p is None]
                    method = "GET" if request.method == "HEAD" else request.method
                    if method not in methods:
                        raise ApiError("method_not_allowed", request.method + " is not allowed here")
                    return await methods[method](request, *params)
            raise ApiError("not_found", "no such path")
        except ApiError as e:
            return json_response(STATUS[e.code], {"error": {"code": e.code, "message": e.message}})
        except Exception:
            log.exception("HTTP handler failed: %s %s", request.method, request.rel_url.raw_path)
            return json_response(500, {"error": {"code": "internal", "message": "internal server error"}})


class WCPSocketServer(socketio.AsyncServer):
    async def _handle_eio_message(self, eio_sid, data):
        # python-socketio 5.7 raises on a packet it cannot decode (bad JSON,
        # unknown type) and leaves the connection open with no answer, so a
        # client waiting for CONNECT would hang. End such connections: CON-5
        # allows it for an auth that is not an object, and it serves nobody
        # else worse (ROB-1).
        try:
            await super()._handle_eio_message(eio_sid, data)
        except Exception:
            log.info("closing a Socket.IO connection that sent an undecodable packet")
            await self.eio.disconnect(eio_sid)


def refusal(code, message):
    return {"ok": False, "error": {"code": code, "message": message}}


def json_response(status, obj):
    return web.json_response(obj, status=status)


def no_content():
    return web.Response(status=204)


def query_int(request, name, default, lo, hi):
    vals = request.query.getall(name, [])
    if not vals:
        return default
    # int() alone would also take "+5", " 5" and "5_0": only plain digits here.
    if len(vals) > 1 or not re.fullmatch(r"[0-9]{1,4000}", vals[0]):
        raise ApiError("bad_request", name + " must be one decimal integer")
    n = int(vals[0])
    if n < lo or (hi is not None and n > hi):
        raise ApiError("bad_request", "%s out of range" % name)
    return n


# --- Main ---------------------------------------------------------------------------

async def serve(host, port, db_path):
    wcp = WCP(Store(db_path))
    app = web.Application()
    wcp.sio.attach(app)                                # /socket.io/ (GET, POST, OPTIONS)
    app.router.add_route("*", "/{tail:.*}", wcp.dispatch)  # everything else
    runner = web.AppRunner(app, access_log=None)       # no access log: keep stderr to what matters
    await runner.setup()
    site = web.TCPSite(runner, host, port, shutdown_timeout=1.0)
    await site.start()
    log.info("WCP/1 server listening on http://%s:%d", host, port)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()

    log.info("shutting down")
    if wcp.sio.eio.sockets:
        await wcp.sio.eio.disconnect()   # close every Socket.IO connection
    await runner.cleanup()
    wcp.store.db.close()


def main():
    ap = argparse.ArgumentParser(description="A minimal WCP/1 server.")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--db", required=True, help="SQLite file (created if missing)")
    ap.add_argument("--host", default="127.0.0.1")
    args = ap.parse_args()
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(args.host, args.port, args.db))


if __name__ == "__main__":
    main()
