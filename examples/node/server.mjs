// A minimal WCP/1 server: HTTP API + Socket.IO on one listener, SQLite storage.
//
//   node server.mjs --port 8080 --db ./wcp.db [--host 127.0.0.1]
//
// The rule IDs in the comments (OWN-1, CON-5, MSG-1, ...) are those of the
// WCP/1 contract (PROTOCOL.md at the repository root). Everything here runs on
// one thread and better-sqlite3 is synchronous, so each request, connect and
// message is handled start to finish without interleaving: that is what makes
// seq allocation, the replay seam (CON-2) and revocation (CON-4) simple.

import http from 'node:http';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { Server } from 'socket.io';

// ---------------------------------------------------------------- limits ---

const MAX_HTTP_BODY = 64 * 1024; // ROB-2
const DRAIN_LIMIT = 1024 * 1024; // past this we stop reading an oversized body and hang up
const MAX_NAME = 100;
const MAX_TITLE = 200;
const MAX_BODY_BYTES = 16384; // MSG-5
const DEFAULT_TTL = 300;
const MAX_TTL = 3600;
const MAX_CONN_STRING = 512; // EXP-1
const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const HEX64_RE = /^[0-9a-f]{64}$/;

// --------------------------------------------------------------- errors ---

const STATUS = {
  bad_request: 400, unauthenticated: 401, forbidden: 403, not_found: 404,
  method_not_allowed: 405, payload_too_large: 413, internal: 500,
};

// A refusal. Over HTTP it becomes {"error":{code,message}} with STATUS[code];
// at connect a CONNECT_ERROR; on a message a {"ok":false,...} ack.
class WcpError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
const fail = (code, message) => { throw new WcpError(code, message); };

// ------------------------------------------------------------- helpers ---

const newId = (prefix) => prefix + randomBytes(16).toString('base64url'); // 128 random bits
const now = () => new Date().toISOString(); // RFC 3339, UTC, milliseconds
const sha256 = (s) => createHash('sha256').update(s).digest('hex');
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const chars = (s) => [...s].length; // names count characters (code points), not bytes

// Constant-time equality of two ASCII strings; the length is not secret.
function safeEqual(a, b) {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// The message string of section 6 (checked against testdata/vectors.json).
function messageString(key, chatId, sessionId, nonce, body) {
  return createHmac('sha256', key)
    .update(`wcp1\n${chatId}\n${sessionId}\n${nonce}\n${body}`, 'utf8')
    .digest('hex');
}

// -------------------------------------------------------------- storage ---

function openDatabase(path) {
  const db = new Database(path);
  // MSG-3: in WAL mode a commit has written the message to the WAL file (in
  // the OS page cache) before better-sqlite3 returns, so an acknowledged
  // message survives kill -9 with synchronous=NORMAL. FULL also fsyncs every
  // commit, so it survives power loss too, but each fsync blocks this single
  // thread: here it cut throughput about four-fold.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
    CREATE TABLE IF NOT EXISTS users (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS workspaces (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, owner_id TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS members (
      workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      user_id TEXT NOT NULL, PRIMARY KEY (workspace_id, user_id));
    CREATE TABLE IF NOT EXISTS chats (
      id TEXT PRIMARY KEY,
      workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      title TEXT NOT NULL, created_at TEXT NOT NULL,
      last_seq INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX IF NOT EXISTS chats_by_workspace ON chats (workspace_id);
    CREATE TABLE IF NOT EXISTS messages (
      chat_id TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
      seq INTEGER NOT NULL, id TEXT NOT NULL, user_id TEXT NOT NULL,
      body TEXT NOT NULL, sent_at TEXT NOT NULL,
      PRIMARY KEY (chat_id, seq)) WITHOUT ROWID;
  `);
  return db;
}

// The connection-string secret lives in the database, so strings issued
// before a restart still verify after it. Only a hash of each bearer token
// is stored, so the database file alone does not let anyone act as a user.
function serverSecret(db) {
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'connstring_secret'`).get();
  if (row) return row.value;
  const secret = randomBytes(32);
  db.prepare(`INSERT INTO meta (key, value) VALUES ('connstring_secret', ?)`).run(secret);
  return secret;
}

// ------------------------------------------------------------------ app ---

function createApp(db) {
  const secret = serverSecret(db);
  const q = {
    userByToken: db.prepare('SELECT id FROM users WHERE token_hash = ?'),
    userExists: db.prepare('SELECT 1 FROM users WHERE id = ?'),
    insertUser: db.prepare('INSERT INTO users (id, name, token_hash) VALUES (?, ?, ?)'),
    workspace: db.prepare('SELECT id, name, owner_id, created_at FROM workspaces WHERE id = ?'),
    insertWorkspace: db.prepare('INSERT INTO workspaces (id, name, owner_id, created_at) VALUES (?, ?, ?, ?)'),
    deleteWorkspace: db.prepare('DELETE FROM workspaces WHERE id = ?'),
    isMember: db.prepare('SELECT 1 FROM members WHERE workspace_id = ? AND user_id = ?'),
    members: db.prepare('SELECT user_id FROM members WHERE workspace_id = ? ORDER BY rowid').pluck(),
    addMember: db.prepare('INSERT OR IGNORE INTO members (workspace_id, user_id) VALUES (?, ?)'),
    removeMember: db.prepare('DELETE FROM members WHERE workspace_id = ? AND user_id = ?'),
    chat: db.prepare('SELECT id, workspace_id, title, created_at FROM chats WHERE id = ?'),
    chats: db.prepare('SELECT id, workspace_id, title, created_at FROM chats WHERE workspace_id = ? ORDER BY rowid'),
    chatIds: db.prepare('SELECT id FROM chats WHERE workspace_id = ?').pluck(),
    insertChat: db.prepare('INSERT INTO chats (id, workspace_id, title, created_at) VALUES (?, ?, ?, ?)'),
    deleteChat: db.prepare('DELETE FROM chats WHERE id = ?'),
    nextSeq: db.prepare('UPDATE chats SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq').pluck(),
    insertMessage: db.prepare('INSERT INTO messages (chat_id, seq, id, user_id, body, sent_at) VALUES (?, ?, ?, ?, ?, ?)'),
    messagesAfter: db.prepare(`SELECT id, chat_id, seq, user_id, body, sent_at FROM messages
                               WHERE chat_id = ? AND seq > ? ORDER BY seq LIMIT ?`),
  };

  // One transaction per message: seq and row commit together or not at all,
  // so a refused or failed message never leaves a gap (MSG-1, MSG-2).
  const storeMessage = db.transaction((chatId, userId, body) => {
    const seq = q.nextSeq.get(chatId);
    if (seq === undefined) fail('chat_not_found', 'the chat was deleted');
    const m = { id: newId('m_'), chat_id: chatId, seq, user_id: userId, body, sent_at: now() };
    q.insertMessage.run(m.chat_id, m.seq, m.id, m.user_id, m.body, m.sent_at);
    return m;
  });

  // ---- access ----

  // 'owner', 'member' or null for a user and a workspace row.
  const roleIn = (ws, userId) =>
    ws.owner_id === userId ? 'owner' : q.isMember.get(ws.id, userId) ? 'member' : null;

  // The workspace, if it exists and the user may do `need` ('member' means
  // owner or member) with it: 404 before 403 (OWN-3).
  function workspaceFor(id, userId, need) {
    const ws = ID_RE.test(id) ? q.workspace.get(id) : undefined;
    if (!ws) fail('not_found', 'no such workspace');
    const role = roleIn(ws, userId);
    if (!role || (need === 'owner' && role !== 'owner')) fail('forbidden', 'not allowed in this workspace');
    return ws;
  }

  // The chat and its workspace, with the same rules.
  function chatFor(id, userId, need) {
    const chat = ID_RE.test(id) ? q.chat.get(id) : undefined;
    const ws = chat && q.workspace.get(chat.workspace_id);
    if (!ws) fail('not_found', 'no such chat');
    const role = roleIn(ws, userId);
    if (!role || (need === 'owner' && role !== 'owner')) fail('forbidden', 'not allowed in this chat');
    return { chat, ws };
  }

  // ---- connection strings (EXP-*) ----
  // "v1.<user>.<chat>.<expires ms>.<hex HMAC of everything before it>". IDs
  // never contain '.', and the MAC covers the exact text, so changing any
  // character (including a digit's spelling) breaks it.

  const connStringMac = (text) => createHmac('sha256', secret).update(`wcp1 connection string\n${text}`).digest('hex');

  function issueConnString(userId, chatId, ttl) {
    const expires = Date.now() + ttl * 1000;
    const text = `v1.${userId}.${chatId}.${expires}`;
    return { connection_string: `${text}.${connStringMac(text)}`, expires_at: new Date(expires).toISOString() };
  }

  // The decoded string, or null when it is not one of ours.
  function verifyConnString(s) {
    if (s.length > MAX_CONN_STRING) return null;
    const parts = s.split('.');
    if (parts.length !== 5 || parts[0] !== 'v1') return null;
    const [, userId, chatId, expires, mac] = parts;
    if (!HEX64_RE.test(mac) || !safeEqual(mac, connStringMac(parts.slice(0, 4).join('.')))) return null;
    if (!ID_RE.test(userId) || !ID_RE.test(chatId) || !/^\d{1,16}$/.test(expires)) return null;
    return { userId, chatId, expires: Number(expires) };
  }

  // ---- live sessions ----

  const sessionsByChat = new Map(); // chat id -> Set of sockets

  function join(socket) {
    const chatId = socket.data.chatId;
    if (!sessionsByChat.has(chatId)) sessionsByChat.set(chatId, new Set());
    sessionsByChat.get(chatId).add(socket);
  }

  function leave(socket) {
    const set = sessionsByChat.get(socket.data.chatId);
    if (set?.delete(socket) && set.size === 0) sessionsByChat.delete(socket.data.chatId);
  }

  // CON-4: out of the fan-out first (no further messages), then `revoked`,
  // then a server-side disconnect. All of it happens before the HTTP call
  // that ended the access answers, well within the 1 s.
  function revoke(sockets, code) {
    for (const socket of [...sockets]) {
      leave(socket);
      socket.emit('revoked', { code });
      socket.disconnect(true);
    }
  }

  const revokeChat = (chatId) => revoke(sessionsByChat.get(chatId) ?? [], 'chat_not_found');
  function revokeUserInWorkspace(wsId, userId) {
    for (const chatId of q.chatIds.all(wsId)) {
      revoke([...(sessionsByChat.get(chatId) ?? [])].filter((s) => s.data.userId === userId), 'forbidden');
    }
  }

  // ---- HTTP handlers ----
  // Each gets a request context and returns [status, body?]. The order of
  // checks is always: token (401), body/query (400, 413), exists (404), may (403).

  function authenticate(ctx) {
    const m = /^Bearer ([A-Za-z0-9_-]{1,128})$/i.exec(ctx.req.headers.authorization ?? '');
    const user = m && q.userByToken.get(sha256(m[1]));
    if (!user) fail('unauthenticated', 'missing or unknown bearer token');
    return user.id;
  }

  // The JSON object in the body. The size was counted while reading: a body
  // over the limit is refused here, without being parsed (ROB-2).
  function jsonBody(ctx, { emptyIsObject = false } = {}) {
    if (ctx.tooLarge) fail('payload_too_large', `body over ${MAX_HTTP_BODY} bytes`);
    if (emptyIsObject && ctx.body.toString('latin1').trim() === '') return {};
    let value;
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(ctx.body));
    } catch {
      fail('bad_request', 'the body is not UTF-8 JSON');
    }
    if (!isObject(value)) fail('bad_request', 'the body must be a JSON object');
    return value;
  }

  function nameField(obj, field, max) {
    const v = obj[field];
    if (typeof v !== 'string' || !v.isWellFormed() || chars(v) < 1 || chars(v) > max) fail('bad_request', `${field} must be a string of 1..${max} characters`);
    return v;
  }

  function stringField(obj, field) {
    if (typeof obj[field] !== 'string') fail('bad_request', `${field} must be a string`);
    return obj[field];
  }

  // A non-negative decimal integer query parameter, given at most once.
  function intParam(ctx, name, dflt, min, max) {
    const all = ctx.query.getAll(name);
    if (all.length === 0) return dflt;
    const n = all.length === 1 && /^\d{1,16}$/.test(all[0]) ? Number(all[0]) : NaN;
    if (!(n >= min && n <= max)) fail('bad_request', `${name} must be an integer in ${min}..${max}`);
    return n;
  }

  const handlers = {
    healthz: () => [200, { status: 'ok' }],

    createUser(ctx) {
      const name = nameField(jsonBody(ctx), 'name', MAX_NAME);
      const user = { id: newId('u_'), name, token: randomBytes(32).toString('base64url') };
      q.insertUser.run(user.id, user.name, sha256(user.token));
      return [201, user];
    },

    createWorkspace(ctx) {
      const userId = authenticate(ctx);
      const name = nameField(jsonBody(ctx), 'name', MAX_NAME);
      const ws = { id: newId('w_'), name, owner_id: userId, created_at: now() };
      q.insertWorkspace.run(ws.id, ws.name, ws.owner_id, ws.created_at);
      return [201, ws];
    },

    getWorkspace(ctx, wsId) {
      const ws = workspaceFor(wsId, authenticate(ctx), 'member');
      return [200, { ...ws, members: q.members.all(ws.id) }];
    },

    deleteWorkspace(ctx, wsId) {
      const ws = workspaceFor(wsId, authenticate(ctx), 'owner');
      const chatIds = q.chatIds.all(ws.id);
      q.deleteWorkspace.run(ws.id); // members, chats and messages cascade
      for (const chatId of chatIds) revokeChat(chatId);
      return [204];
    },

    addMember(ctx, wsId) {
      const userId = authenticate(ctx);
      const memberId = stringField(jsonBody(ctx), 'user_id');
      const ws = workspaceFor(wsId, userId, 'owner');
      if (memberId !== ws.owner_id) { // the owner is never listed among members
        if (!ID_RE.test(memberId) || !q.userExists.get(memberId)) fail('not_found', 'no such user');
        q.addMember.run(ws.id, memberId); // adding twice is fine
      }
      return [204];
    },

    removeMember(ctx, wsId, memberId) {
      const ws = workspaceFor(wsId, authenticate(ctx), 'owner');
      if (memberId === ws.owner_id) fail('bad_request', 'the owner cannot be removed'); // OWN-4
      if (q.removeMember.run(ws.id, memberId).changes > 0) revokeUserInWorkspace(ws.id, memberId);
      return [204];
    },

    listChats(ctx, wsId) {
      const ws = workspaceFor(wsId, authenticate(ctx), 'member');
      return [200, { chats: q.chats.all(ws.id) }];
    },

    createChat(ctx) { // OWN-1: token, body, workspace exists, caller owns it
      const userId = authenticate(ctx);
      const body = jsonBody(ctx);
      const wsId = stringField(body, 'workspace_id');
      const title = nameField(body, 'title', MAX_TITLE);
      const ws = workspaceFor(wsId, userId, 'owner');
      const chat = { id: newId('c_'), workspace_id: ws.id, title, created_at: now() };
      q.insertChat.run(chat.id, chat.workspace_id, chat.title, chat.created_at);
      return [201, chat];
    },

    getChat(ctx, chatId) {
      return [200, chatFor(chatId, authenticate(ctx), 'member').chat];
    },

    deleteChat(ctx, chatId) {
      const { chat } = chatFor(chatId, authenticate(ctx), 'owner');
      q.deleteChat.run(chat.id); // messages cascade
      revokeChat(chat.id);
      return [204];
    },

    connectionString(ctx, chatId) {
      const userId = authenticate(ctx);
      // An empty body means {}: ttl_seconds is optional. null means the default.
      const ttl = jsonBody(ctx, { emptyIsObject: true }).ttl_seconds ?? DEFAULT_TTL;
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL) fail('bad_request', `ttl_seconds must be an integer in 1..${MAX_TTL}`); // EXP-3
      const { chat } = chatFor(chatId, userId, 'member');
      return [201, { chat_id: chat.id, ...issueConnString(userId, chat.id, ttl) }];
    },

    listMessages(ctx, chatId) {
      const userId = authenticate(ctx);
      const after = intParam(ctx, 'after', 0, 0, Number.MAX_SAFE_INTEGER);
      const limit = intParam(ctx, 'limit', 100, 1, 1000);
      const { chat } = chatFor(chatId, userId, 'member');
      const messages = q.messagesAfter.all(chat.id, after, limit);
      return [200, { messages, next_after: messages.at(-1)?.seq ?? after }];
    },
  };

  // Path patterns and the methods each allows. A known path with another
  // method is a 405; anything else a 404 (ROB-2). HEAD is served as GET.
  const SEG = '([^/]+)';
  const routes = [
    ['^/healthz$', { GET: handlers.healthz }],
    ['^/users$', { POST: handlers.createUser }],
    ['^/workspaces$', { POST: handlers.createWorkspace }],
    [`^/workspaces/${SEG}$`, { GET: handlers.getWorkspace, DELETE: handlers.deleteWorkspace }],
    [`^/workspaces/${SEG}/members$`, { POST: handlers.addMember }],
    [`^/workspaces/${SEG}/members/${SEG}$`, { DELETE: handlers.removeMember }],
    [`^/workspaces/${SEG}/chats$`, { GET: handlers.listChats }],
    ['^/chat$', { POST: handlers.createChat }],
    [`^/chat/${SEG}$`, { GET: handlers.getChat, DELETE: handlers.deleteChat }],
    [`^/chat/${SEG}/connection-string$`, { POST: handlers.connectionString }],
    [`^/chat/${SEG}/messages$`, { GET: handlers.listMessages }],
  ].map(([re, methods]) => [new RegExp(re), methods]);

  function sendJSON(res, status, body, headers = {}) {
    if (body === undefined) {
      res.writeHead(status, headers).end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  const sendError = (res, code, message, headers) =>
    sendJSON(res, STATUS[code] ?? 500, { error: { code, message } }, headers);

  // Reads the whole body, keeping at most MAX_HTTP_BODY bytes of it. An
  // oversized body is still read to its end (up to DRAIN_LIMIT), so the
  // client is not reset before it can read the 413.
  function readBody(req) {
    return new Promise((resolve, reject) => {
      const chunks = [];
      let size = 0;
      req.on('data', (chunk) => {
        size += chunk.length;
        if (size <= MAX_HTTP_BODY) chunks.push(chunk);
        else if (size > DRAIN_LIMIT) { req.pause(); resolve({ body: Buffer.alloc(0), tooLarge: true, hangUp: true }); }
      });
      req.on('end', () => resolve({ body: Buffer.concat(chunks), tooLarge: size > MAX_HTTP_BODY }));
      req.on('error', reject);
      req.on('close', () => reject(new Error('request closed early'))); // a no-op once resolved
    });
  }

  async function onRequest(req, res) {
    try {
      // The raw path, not a URL-normalized one: "/chat/../users" or
      // "//users" is an unknown path, not an alias.
      const [path, search = ''] = req.url.split(/\?(.*)/s);
      let match, methods;
      for (const [re, m] of routes) if ((match = re.exec(path))) { methods = m; break; }
      if (!methods) { req.resume(); return sendError(res, 'not_found', 'no such path'); }
      const handler = methods[req.method === 'HEAD' ? 'GET' : req.method];
      if (!handler) {
        req.resume();
        return sendError(res, 'method_not_allowed', `use ${Object.keys(methods).join(', ')}`, { Allow: Object.keys(methods).join(', ') });
      }
      const { body, tooLarge, hangUp } = await readBody(req);
      if (hangUp) res.setHeader('Connection', 'close'); // drop the rest of a huge body with the connection
      let status, out;
      try {
        [status, out] = handler({ req, body, tooLarge, query: new URLSearchParams(search) }, ...match.slice(1));
      } catch (err) {
        if (!(err instanceof WcpError)) throw err;
        return sendError(res, err.code, err.message);
      }
      sendJSON(res, status, out);
    } catch (err) {
      if (req.destroyed) return; // the client went away; nothing to answer
      console.error(`http ${req.method}: ${err.message}`); // never the body or headers: they carry tokens
      if (!res.headersSent) sendError(res, 'internal', 'internal error');
      else res.destroy();
    }
  }

  // ---- Socket.IO ----

  // CON-5, in this order: shape, authenticity, binding, expiry, existence,
  // membership. Throws the first that fails.
  function checkConnect(auth) {
    if (!isObject(auth) || typeof auth.chat_id !== 'string' || typeof auth.connection_string !== 'string' ||
        (auth.after !== undefined && !(Number.isSafeInteger(auth.after) && auth.after >= 0))) {
      fail('bad_request', 'auth must be {chat_id, connection_string, after?}');
    }
    const cs = verifyConnString(auth.connection_string);
    if (!cs) fail('invalid_connection_string', 'connection string is not valid');
    if (cs.chatId !== auth.chat_id) fail('chat_mismatch', 'connection string is for another chat');
    if (Date.now() >= cs.expires) fail('connection_string_expired', 'connection string has expired');
    access(cs.chatId, cs.userId);
    return { chatId: cs.chatId, userId: cs.userId, after: auth.after };
  }

  // The chat and workspace still exist and the user may use them.
  function access(chatId, userId) {
    const chat = q.chat.get(chatId);
    const ws = chat && q.workspace.get(chat.workspace_id);
    if (!ws) fail('chat_not_found', 'the chat does not exist');
    if (!roleIn(ws, userId)) fail('forbidden', 'no longer a member of this workspace');
  }

  function onMessage(socket, args) {
    // Socket.IO passes the ack callback as the last argument when the client
    // asked for one. Without one, a refusal is silent (but still final).
    const ack = typeof args.at(-1) === 'function' ? args.pop() : () => {};
    const s = socket.data;
    try {
      // MSG-5, in this order.
      const p = args[0];
      if (!isObject(p) || typeof p.chat_id !== 'string' || typeof p.body !== 'string' ||
          typeof p.message_string !== 'string' || !Number.isSafeInteger(p.nonce) || p.nonce < 1 ||
          p.body.length === 0 || !p.body.isWellFormed()) {
        fail('bad_request', 'message must be {chat_id, nonce 1..2^53-1, body, message_string}');
      }
      if (Buffer.byteLength(p.body, 'utf8') > MAX_BODY_BYTES) fail('payload_too_large', `body over ${MAX_BODY_BYTES} bytes`);
      if (p.chat_id !== s.chatId) fail('wrong_chat', 'this session belongs to another chat');
      const expected = messageString(s.key, s.chatId, s.sessionId, p.nonce, p.body);
      if (!HEX64_RE.test(p.message_string) || !safeEqual(p.message_string, expected)) {
        fail('invalid_message_string', 'message string does not match');
      }
      if (p.nonce <= s.lastNonce) fail('replayed_message', 'nonce is not above the last accepted one');

      // MSG-1: commit first (synchronously: when storeMessage returns, the
      // message survives kill -9, see openDatabase), then ack, then fan out. Both writes below go straight
      // onto the sockets' Engine.IO buffers in this same tick, so the sender
      // sees its ack before its own copy, and no connect can slip in between
      // the commit and the fan-out (the CON-2 seam).
      const m = storeMessage(s.chatId, s.userId, p.body);
      s.lastNonce = p.nonce; // only accepted nonces count
      ack({ ok: true, id: m.id, seq: m.seq });
      for (const peer of sessionsByChat.get(s.chatId) ?? []) peer.emit('message', m);
    } catch (err) {
      if (!(err instanceof WcpError)) console.error(`message: ${err.message}`);
      const e = err instanceof WcpError ? err : new WcpError('internal', 'internal error');
      ack({ ok: false, error: { code: e.code, message: e.message } });
    }
  }

  function startSession(socket) {
    const s = socket.data;
    s.sessionId = newId('s_');
    s.key = randomBytes(32); // CON-1: fresh for every session
    s.lastNonce = 0;
    socket.on('message', (...args) => onMessage(socket, args));
    socket.on('disconnect', () => leave(socket));

    // CON-1: `session` is the first event on the socket.
    socket.emit('session', { session_id: s.sessionId, chat_id: s.chatId, user_id: s.userId, message_key: s.key.toString('base64url') });
    // CON-2: replay and join the fan-out in one synchronous step. No message
    // can be stored in between, so there is no gap and no duplicate at the
    // seam.
    if (s.after !== undefined) {
      for (const m of q.messagesAfter.all(s.chatId, s.after, -1)) socket.emit('message', m);
    }
    join(socket);
    // Socket.IO runs this a tick after the middleware checked access. Nothing
    // can revoke it within that tick today, but re-checking costs one query
    // and does not depend on that detail.
    try {
      access(s.chatId, s.userId);
    } catch (err) {
      if (!(err instanceof WcpError)) throw err;
      revoke([socket], err.code);
    }
  }

  function attachSockets(httpServer) {
    const io = new Server(httpServer, { serveClient: false });

    io.use((socket, next) => {
      try {
        socket.data = checkConnect(socket.handshake.auth);
        next();
      } catch (err) {
        const e = err instanceof WcpError ? err : new WcpError('internal', 'internal error');
        if (!(err instanceof WcpError)) console.error(`connect: ${err.message}`);
        const refusal = new Error(e.message);
        refusal.data = { code: e.code }; // CONNECT_ERROR {"message", "data":{"code"}}
        next(refusal);
      }
    });

    // An exception thrown from a Socket.IO handler would take the whole
    // process down (ROB-1), hence the try/catch here and in onMessage.
    io.on('connection', (socket) => {
      try {
        startSession(socket);
      } catch (err) {
        console.error(`session: ${err.message}`);
        leave(socket);
        socket.disconnect(true);
      }
    });
    return io;
  }

  return { onRequest, attachSockets };
}

// ----------------------------------------------------------------- main ---

function main() {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, db: { type: 'string' }, host: { type: 'string', default: '127.0.0.1' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !values.db) {
    console.error('usage: node server.mjs --port PORT --db PATH [--host 127.0.0.1]');
    process.exit(2);
  }

  const db = openDatabase(values.db);
  const app = createApp(db);
  const httpServer = http.createServer((req, res) => { app.onRequest(req, res); });
  // A request Node cannot even parse still gets a JSON error body (ROB-2).
  httpServer.on('clientError', (err, socket) => {
    if (socket.writable && !socket.bytesWritten) {
      const body = JSON.stringify({ error: { code: 'bad_request', message: 'malformed HTTP request' } });
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    } else {
      socket.destroy();
    }
  });
  const io = app.attachSockets(httpServer);

  httpServer.listen(port, values.host, () => {
    console.log(`wcp example server listening on http://${values.host}:${httpServer.address().port}`);
  });

  let stopping = false;
  function stop(signal) {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    io.close(); // disconnects every session and closes the HTTP server
    httpServer.closeAllConnections();
    db.close();
    process.exit(0);
  }
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main();
