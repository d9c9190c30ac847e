// An HTTP app for the filtered-steal tests, run by node: HTTP/1.1 and HTTP/2 prior knowledge on one
// port, WebSocket echo on /ws. Every answer names the side ("pod" or "local") and what it received.
// Usage: node app.mjs <side> [port] [host]   (prints the port it listens on; host 127.0.0.1 by default)
import { createHash } from "node:crypto";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { WebSocketServer } from "ws";

const [side, wanted = "0", host = "127.0.0.1"] = process.argv.slice(2);

function answer(request, response) {
  const hash = createHash("sha256");
  let bytes = 0;
  request.on("data", (chunk) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  request.on("end", () => {
    const body = JSON.stringify({
      side,
      method: request.method,
      url: request.url,
      version: request.httpVersion,
      user: request.headers["x-user"] ?? null,
      bytes,
      sha256: hash.digest("hex"),
      peer: request.socket?.remotePort ?? null,
    });
    response.setHeader("content-type", "application/json");
    response.setHeader("x-side", side);
    if (request.url.startsWith("/slow")) setTimeout(() => response.end(body), 200);
    else response.end(body);
  });
}

const h1 = http.createServer({ keepAliveTimeout: 30_000 }, answer);
const h2 = http2.createServer(answer);
const sockets = new WebSocketServer({ noServer: true });
h1.on("upgrade", (request, socket, head) => {
  sockets.handleUpgrade(request, socket, head, (ws) => {
    ws.on("message", (data, binary) => ws.send(binary ? data : `${side}: ${data}`));
  });
});
const PREFACE = "PRI * HTTP/2.0";
const listener = net.createServer((socket) => {
  socket.once("readable", () => {
    const first = socket.read(PREFACE.length) ?? socket.read();
    if (first === null) return socket.destroy();
    socket.unshift(first);
    (first.toString("latin1") === PREFACE ? h2 : h1).emit("connection", socket);
  });
});
listener.listen(Number(wanted), host, () => console.log(listener.address().port));
