// The whole WCP/1 flow, driven by the official JavaScript socket.io-client,
// against the server at argv[2]. It is an independent client: it shares no
// code with the Go client, signs with node:crypto, and first checks that its
// signer reproduces every vector in argv[3].
//
// usage: node flow.mjs http://127.0.0.1:8080 ../../testdata/vectors.json
// It prints one line per check and ends with "N passed, M failed"; it exits
// non-zero on any failure.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { io } from "socket.io-client";

const [base, vectorsPath] = process.argv.slice(2);
if (!base || !vectorsPath) {
  console.error("usage: node flow.mjs BASE_URL VECTORS_JSON");
  process.exit(2);
}

let passed = 0;
let failed = 0;
function check(name, ok, detail = "") {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${ok || !detail ? "" : ": " + detail}`);
}

function sign(messageKey, chatId, sessionId, nonce, body) {
  const key = Buffer.from(messageKey, "base64url");
  const text = `wcp1\n${chatId}\n${sessionId}\n${nonce}\n${body}`;
  return createHmac("sha256", key).update(text, "utf8").digest("hex");
}

async function http(method, path, token, body) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

// connect resolves with {socket, session, events} once `session` arrives, or
// rejects with the connect_error's data.code.
function connect(chatId, connectionString, extra = {}, transports = ["websocket"]) {
  return new Promise((resolve, reject) => {
    const events = [];
    const socket = io(base, {
      transports,
      forceNew: true,
      reconnection: false,
      timeout: 5000,
      auth: { chat_id: chatId, connection_string: connectionString, ...extra },
    });
    socket.onAny((name, payload) => events.push({ name, payload }));
    socket.on("session", (session) => resolve({ socket, session, events }));
    socket.on("connect_error", (err) => {
      socket.close();
      reject(new Error(err.data?.code ?? err.message));
    });
    setTimeout(() => reject(new Error("no session within 5 s")), 5000).unref();
  });
}

function send(conn, nonce, body, override = {}) {
  const { chat_id, session_id, message_key } = conn.session;
  const msg = { chat_id, nonce, body, message_string: sign(message_key, chat_id, session_id, nonce, body), ...override };
  return conn.socket.timeout(5000).emitWithAck("message", msg);
}

function waitFor(pred, what, ms = 3000) {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = () => {
      const v = pred();
      if (v) return resolve(v);
      if (Date.now() - start > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

const messages = (conn) => conn.events.filter((e) => e.name === "message").map((e) => e.payload);

async function main() {
  // The signer agrees with the contract's vectors.
  const { vectors } = JSON.parse(readFileSync(vectorsPath, "utf8"));
  const bad = vectors.filter((v) => sign(v.message_key, v.chat_id, v.session_id, v.nonce, v.body) !== v.message_string);
  check(`JS signer reproduces all ${vectors.length} vectors`, bad.length === 0, bad.map((v) => v.name).join(","));

  const owner = (await http("POST", "/users", null, { name: "js-owner" })).body;
  const member = (await http("POST", "/users", null, { name: "js-member" })).body;
  const ws = (await http("POST", "/workspaces", owner.token, { name: "js-ws" })).body;
  check("owner adds a member", (await http("POST", `/workspaces/${ws.id}/members`, owner.token, { user_id: member.id })).status === 204);
  const denied = await http("POST", "/chat", member.token, { workspace_id: ws.id, title: "nope" });
  check("OWN-1: a member may not create a chat", denied.status === 403 && denied.body?.error?.code === "forbidden", JSON.stringify(denied));
  const chat = (await http("POST", "/chat", owner.token, { workspace_id: ws.id, title: "js" })).body;
  const csOwner = (await http("POST", `/chat/${chat.id}/connection-string`, owner.token, { ttl_seconds: 60 })).body;
  const csMember = (await http("POST", `/chat/${chat.id}/connection-string`, member.token, {})).body;

  const a = await connect(chat.id, csMember.connection_string);
  const b = await connect(chat.id, csOwner.connection_string);
  check("CON-1: session is the first event", a.events[0]?.name === "session");
  check("CON-1: 32-byte message key", Buffer.from(a.session.message_key, "base64url").length === 32);
  check("CON-1: a new key per session", a.session.message_key !== b.session.message_key);

  const ack1 = await send(a, 1, "héllo from JS 👋");
  check("MSG-1: a valid message is acknowledged with seq 1", ack1.ok === true && ack1.seq === 1, JSON.stringify(ack1));
  await waitFor(() => messages(b).length >= 1, "delivery to the other session");
  await waitFor(() => messages(a).length >= 1, "delivery to the sender");
  check("MSG-1: delivered to both sessions", messages(b)[0].seq === 1 && messages(a)[0].body === "héllo from JS 👋");

  const forged = await send(a, 2, "forged", { message_string: "0".repeat(64) });
  check("MSG-5: a wrong message string is refused", forged.ok === false && forged.error?.code === "invalid_message_string", JSON.stringify(forged));
  const replay = await send(a, 1, "again");
  check("MSG-5: a replayed nonce is refused", replay.ok === false && replay.error?.code === "replayed_message", JSON.stringify(replay));
  const wrong = await send(a, 3, "x", { chat_id: "someone-elses" });
  check("MSG-5: another chat is refused", wrong.ok === false && wrong.error?.code === "wrong_chat", JSON.stringify(wrong));
  const ack2 = await send(a, 7, "after refusals");
  check("MSG-2: the session survives refusals; seq has no gap", ack2.ok === true && ack2.seq === 2, JSON.stringify(ack2));
  await waitFor(() => messages(b).length >= 2, "second delivery");
  check("MSG-2: refused messages were never delivered", messages(b).map((m) => m.seq).join(",") === "1,2");

  const r = await connect(chat.id, csMember.connection_string, { after: 0 });
  await waitFor(() => messages(r).length >= 2, "replay");
  check("CON-2: after=0 replays seq 1 and 2", messages(r).map((m) => m.seq).join(",") === "1,2");
  const oldKey = await send(r, 8, "old key", { message_string: sign(a.session.message_key, chat.id, r.session.session_id, 8, "old key") });
  check("MSG-4: the old session's key is worthless", oldKey.ok === false && oldKey.error?.code === "invalid_message_string");
  r.socket.close();

  const tampered = csMember.connection_string.slice(0, -1) + (csMember.connection_string.endsWith("A") ? "B" : "A");
  const refusal = await connect(chat.id, tampered).then(() => "connected", (e) => e.message);
  check("EXP-1/CON-5: a tampered string is refused", refusal === "invalid_connection_string", refusal);
  const badAuth = await connect(chat.id, csMember.connection_string, { after: -1 }).then(() => "connected", (e) => e.message);
  check("CON-5: a negative after is bad_request", badAuth === "bad_request", badAuth);

  const p = await connect(chat.id, csMember.connection_string, {}, ["polling", "websocket"]).then((c) => c, (e) => e);
  check("transport: polling with upgrade connects", !(p instanceof Error), String(p));
  if (!(p instanceof Error)) p.socket.close();

  const disconnected = new Promise((resolve) => a.socket.on("disconnect", resolve));
  const removedAt = Date.now();
  check("owner removes the member", (await http("DELETE", `/workspaces/${ws.id}/members/${member.id}`, owner.token)).status === 204);
  const reason = await Promise.race([disconnected, new Promise((res) => setTimeout(() => res("timeout"), 1500))]);
  const revoked = a.events.find((e) => e.name === "revoked");
  check("CON-4: revoked {code: forbidden}, then disconnected by the server within 1 s",
    revoked?.payload?.code === "forbidden" && reason === "io server disconnect" && Date.now() - removedAt <= 1000,
    `revoked=${JSON.stringify(revoked?.payload)} reason=${reason} after ${Date.now() - removedAt} ms`);

  b.socket.close();
}

try {
  await main();
} catch (err) {
  failed++;
  console.log(`FAIL flow aborted: ${err.stack ?? err}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
