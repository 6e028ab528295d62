// Socket.IO fixture server for the Go client's table tests. It behaves like
// the Go fixture (internal/stacks) and testdata/stacks/python/server.py; keep
// the three in step.
import http from "node:http";
import { parseArgs } from "node:util";
import { Server } from "socket.io";

const { values } = parseArgs({ options: { port: { type: "string", default: "0" } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port ${values.port}`);
  process.exit(2);
}

const httpServer = http.createServer((req, res) => {
  // Socket.IO answers /socket.io/ itself, before this handler runs.
  if (req.method === "GET" && req.url === "/healthz") {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ status: "ok" }));
    return;
  }
  res.writeHead(404).end();
});

const io = new Server(httpServer, {
  serveClient: false,
  transports: ["polling", "websocket"],
  allowUpgrades: true,
  pingInterval: 500,
  pingTimeout: 2500,
  maxHttpBufferSize: 4_000_000,
});

io.use((socket, next) => {
  const auth = socket.handshake.auth;
  if (auth !== null && typeof auth === "object" && auth.token === "good") {
    next();
    return;
  }
  const e = new Error("denied");
  e.data = { code: "denied" };
  next(e);
});

io.on("connection", (socket) => {
  socket.emit("welcome", { sid: socket.id });
  socket.on("echo", (arg, ack) => {
    if (typeof ack === "function") ack(arg);
  });
  socket.on("burst", (arg, ack) => {
    const n = Number(arg?.n) || 0;
    for (let i = 1; i <= n; i++) socket.emit("item", { i });
    if (typeof ack === "function") ack({ n });
  });
  socket.on("bye", (arg) => {
    socket.emit("bye", { code: arg?.code ?? null });
    // The usual server disconnect, as on the other stacks: a DISCONNECT
    // packet; closing the transport is left to the client.
    socket.disconnect();
  });
  socket.on("big", (arg, ack) => {
    const size = Number(arg?.size) || 0;
    if (typeof ack === "function") ack({ data: "x".repeat(size) });
  });
});

httpServer.listen(port, "127.0.0.1", () => {
  process.stdout.write(`listening on http://127.0.0.1:${httpServer.address().port}\n`);
});

// Exit at once: io.close() would wait for every open websocket's closing
// handshake (up to 30 s), and tests stop a fixture only when done with it.
process.on("SIGTERM", () => process.exit(0));
