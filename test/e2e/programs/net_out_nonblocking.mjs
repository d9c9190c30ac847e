// Non-blocking outgoing TCP under mirrord exec, from Node's event loop. Prints key=value lines.
//   pending HOST PORT WAIT_MS  a 10 ms timer ticks while a connection waits for an answer; after WAIT_MS
//                              of silence the program gives up (outcome=timeout) unless an error came first
//   refused HOST PORT          outcome=<error code> for a connection nobody accepts (outcome=hang after 20 s)
//   bulk HOST PORT BYTES       sends BYTES random bytes to a server that first sends "ip:port\n" (how it
//                              sees us) and then echoes; prints both hashes, the server's view and ours
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";

const [mode, host, portText, extra] = process.argv.slice(2);
const port = Number(portText);

function finish(lines) {
  for (const [key, value] of Object.entries(lines)) console.log(`${key}=${value}`);
  process.exit(0);
}

if (mode === "pending") {
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 10);
  const startTicks = ticks;
  const socket = net.connect({ host, port });
  socket.on("connect", () => socket.write("anyone there?"));
  const giveUp = setTimeout(() => {
    socket.destroy();
    clearInterval(ticker);
    finish({ outcome: "timeout", ticks: ticks - startTicks });
  }, Number(extra));
  const failed = (outcome) => {
    clearTimeout(giveUp);
    clearInterval(ticker);
    finish({ outcome, ticks: ticks - startTicks });
  };
  socket.on("data", () => failed("answered"));
  socket.on("error", (error) => failed(error.code));
} else if (mode === "refused") {
  const socket = net.connect({ host, port });
  socket.on("connect", () => socket.write("hello"));
  const hang = setTimeout(() => finish({ outcome: "hang" }), 20_000);
  socket.on("error", (error) => {
    clearTimeout(hang);
    finish({ outcome: error.code });
  });
  socket.on("close", () => {
    clearTimeout(hang);
    finish({ outcome: "closed-without-error" });
  });
} else if (mode === "bulk") {
  const payload = randomBytes(Number(extra));
  const received = [];
  const socket = net.connect({ host, port }, () => socket.end(payload));
  socket.on("data", (chunk) => received.push(chunk));
  socket.on("error", (error) => finish({ outcome: error.code }));
  socket.on("end", () => {
    const all = Buffer.concat(received);
    const newline = all.indexOf(10);
    finish({
      sent: createHash("sha256").update(payload).digest("hex"),
      echoed: createHash("sha256")
        .update(all.subarray(newline + 1))
        .digest("hex"),
      server_saw: all.subarray(0, newline).toString(),
      sockname: `${socket.localAddress}:${socket.localPort}`,
    });
  });
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
