/**
 * Kubelet probes are never stolen by a whole-port steal: a probe answered by the developer's program
 * (or not at all, when it is slow) gets the pod restarted. A connection whose first request carries
 * `User-Agent: kube-probe/…` goes to the pod's app; everything else goes on, the bytes read while
 * looking first. A filtered steal judges probes like any request (a filter that matches one asks for it).
 */
import type { ConnectionHandler } from "../tap.ts";
import { StolenConnection } from "./stolen-connection.ts";

/** How long a connection may stay silent before it is taken for a server-first protocol (no probe). */
const FIRST_BYTES_TIMEOUT_MS = 250;
/** A request head longer than this is not a probe's. */
const MAX_HEAD = 16 * 1024;
const REQUEST_START = /^[A-Z]+ \S+ HTTP\/1\.[01]\r?\n/;
const KUBE_PROBE = /\r?\nuser-agent:[ \t]*kube-probe\//i;

/** Reads the connection's first request head (bounded); resolves with everything read. */
function readHead(connection: StolenConnection): Promise<Buffer> {
  const socket = connection.socket;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", done);
      socket.off("close", done);
      socket.pause();
      resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      const head = Buffer.concat(chunks);
      const text = head.toString("latin1");
      if (!REQUEST_START.test(text) && head.length >= 16) done();
      else if (text.includes("\r\n\r\n") || text.includes("\n\n") || head.length > MAX_HEAD) done();
    };
    const timer = setTimeout(done, FIRST_BYTES_TIMEOUT_MS);
    socket.on("data", onData);
    socket.once("end", done);
    socket.once("close", done);
  });
}

export function isKubeProbe(head: Buffer): boolean {
  const text = head.toString("latin1");
  const end = text.search(/\r?\n\r?\n/);
  return REQUEST_START.test(text) && KUBE_PROBE.test(end >= 0 ? text.slice(0, end) : text);
}

/** Wraps a whole-port steal handler so kubelet probes go to the pod's app instead. */
export function skippingKubeProbes(handler: ConnectionHandler): ConnectionHandler {
  return (connection) => {
    if (!(connection instanceof StolenConnection)) return handler(connection);
    void readHead(connection).then((head) => {
      if (isKubeProbe(head)) {
        connection.passThrough([head]);
        return;
      }
      handler(head.length === 0 ? connection : connection.withReadBytes(head));
      // Paused while looking; the handler's listeners are attached now.
      connection.socket.resume();
    });
  };
}
