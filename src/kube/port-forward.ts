/**
 * Bytes to the agent through the API server's `pods/portforward` (WebSocket, v4.channel.k8s.io framing,
 * via client-node's PortForward): one WebSocket per TCP connection, as kubectl does. `startAgentRelay`
 * puts a loopback listener in front of it so the intproxy (or any TCP client) can dial the agent.
 */
import { createServer, type Server, type Socket } from "node:net";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { type KubeConfig, PortForward } from "@kubernetes/client-node";
import { webSocketHandler } from "./client.ts";
import { explainKubeFailure, KubeError } from "./errors.ts";

export interface AgentEndpoint {
  namespace: string;
  pod: string;
  port: number;
}

const DIAL_ATTEMPTS = 5;
const FIRST_BACKOFF_MS = 10;

interface Closable {
  close(): void;
  addEventListener?(type: "close", listener: () => void): void;
  on?(type: "close", listener: () => void): void;
}

/** Carries one local socket over one port-forward WebSocket; retries the dial with backoff. */
async function bridge(
  config: KubeConfig,
  endpoint: AgentEndpoint,
  socket: Socket,
  failed: (error: Error) => void,
): Promise<void> {
  socket.pause();
  const fail = (error: Error) => {
    failed(error);
    socket.destroy(error);
  };
  const errors = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (chunk.length > 0) fail(new Error(`port-forward: ${chunk.toString()}`));
      done();
    },
  });
  let lastError: unknown;
  for (let attempt = 0; attempt < DIAL_ATTEMPTS; attempt++) {
    if (socket.destroyed) return;
    try {
      const ws = (await new PortForward(config, false, webSocketHandler(config)).portForward(
        endpoint.namespace,
        endpoint.pod,
        [endpoint.port],
        socket,
        errors,
        socket,
      )) as unknown as Closable;
      const closed = () => socket.end();
      if (ws.on) ws.on("close", closed);
      else ws.addEventListener?.("close", closed);
      socket.on("close", () => ws.close());
      socket.resume();
      return;
    } catch (error) {
      lastError = error;
      await sleep(FIRST_BACKOFF_MS * 2 ** attempt * (1 + Math.random()));
    }
  }
  const doing = `port-forward to ${endpoint.namespace}/${endpoint.pod}:${endpoint.port}`;
  // The WebSocket upgrade reports the API server's status only in its message.
  const gone = /status code: 404\b/.test(String((lastError as Error)?.message));
  fail(
    gone
      ? new KubeError(`${doing}: the agent pod no longer exists`, "it was deleted or its Job ended")
      : explainKubeFailure(lastError, doing),
  );
}

export interface AgentRelay {
  /** `127.0.0.1:<port>`. */
  address: string;
  /** Why the latest connection could not be forwarded (its socket was just closed), if one failed. */
  lastFailure(): Error | undefined;
  close(): void;
}

export function startAgentRelay(config: KubeConfig, endpoint: AgentEndpoint): Promise<AgentRelay> {
  let lastFailure: Error | undefined;
  const server: Server = createServer((socket) => {
    lastFailure = undefined;
    socket.on("error", () => socket.destroy());
    void bridge(config, endpoint, socket, (error) => {
      lastFailure = error;
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve({ address: `127.0.0.1:${port}`, lastFailure: () => lastFailure, close: () => server.close() });
    });
  });
}
