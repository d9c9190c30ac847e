/**
 * Bytes to the agent through the API server's `pods/portforward` (WebSocket, v4.channel.k8s.io framing,
 * via client-node's PortForward): one WebSocket per TCP connection, as kubectl does. `startAgentRelay`
 * puts a loopback listener in front of it so the intproxy (or any TCP client) can dial the agent.
 * With `resumable`, each relayed connection is a resumable stream (src/transport/resumable-stream.ts)
 * whose WebSocket is re-dialled and resumed when it drops: the local socket never notices.
 */
import { createServer, type Server, type Socket } from "node:net";
import { Duplex, PassThrough, Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { type KubeConfig, PortForward } from "@kubernetes/client-node";
import { openResumable } from "../transport/resumable-stream-client.ts";
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

/** The agent pod is gone: no later dial can reach it. */
class AgentPodGone extends KubeError {}

/** One port-forward WebSocket as a Duplex: what is written goes to the pod's port, what it sends is read. */
async function openPortForward(config: KubeConfig, endpoint: AgentEndpoint): Promise<Duplex> {
  const input = new PassThrough();
  let ws: Closable | undefined;
  const carrier = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      input.write(chunk, done);
    },
    final(done) {
      input.end();
      done();
    },
    destroy(error, done) {
      input.destroy();
      ws?.close();
      done(error);
    },
  });
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      carrier.push(chunk);
      done();
    },
  });
  const errors = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (chunk.length > 0) carrier.destroy(new Error(`port-forward: ${chunk.toString()}`));
      done();
    },
  });
  ws = (await new PortForward(config, false, webSocketHandler(config)).portForward(
    endpoint.namespace,
    endpoint.pod,
    [endpoint.port],
    output,
    errors,
    input,
  )) as unknown as Closable;
  const closed = () => carrier.destroy();
  if (ws.on) ws.on("close", closed);
  else ws.addEventListener?.("close", closed);
  return carrier;
}

/** Opens a port-forward, retrying with backoff; the error says why (the pod is gone, or Kubernetes' cause). */
async function dialAgent(config: KubeConfig, endpoint: AgentEndpoint): Promise<Duplex> {
  let lastError: unknown;
  for (let attempt = 0; attempt < DIAL_ATTEMPTS; attempt++) {
    try {
      return await openPortForward(config, endpoint);
    } catch (error) {
      lastError = error;
      await sleep(FIRST_BACKOFF_MS * 2 ** attempt * (1 + Math.random()));
    }
  }
  const doing = `port-forward to ${endpoint.namespace}/${endpoint.pod}:${endpoint.port}`;
  // The WebSocket upgrade reports the API server's status only in its message.
  const gone = /status code: 404\b/.test(String((lastError as Error)?.message));
  throw gone
    ? new AgentPodGone(`${doing}: the agent pod no longer exists`, "it was deleted or its Job ended")
    : explainKubeFailure(lastError, doing);
}

/** Bytes both ways between the local socket and the agent's stream; either one's end or failure ends the other. */
function join(socket: Socket, remote: Duplex): void {
  if (socket.destroyed) {
    remote.destroy();
    return;
  }
  socket.pipe(remote);
  remote.pipe(socket);
  remote.on("error", () => socket.destroy());
  remote.on("close", () => socket.end());
  socket.on("close", (hadError) => {
    if (hadError || !remote.writableEnded) remote.destroy();
  });
}

export interface AgentRelayOptions {
  /** Carry each connection as a resumable stream that survives a dropped WebSocket (the agent must speak it). */
  resumable?: boolean;
  /** One-line notices for the user (a dropped stream resumed, or given up on). */
  notify?(line: string): void;
}

async function relayResumable(
  config: KubeConfig,
  endpoint: AgentEndpoint,
  socket: Socket,
  notify: (line: string) => void,
  failed: (error: Error) => void,
): Promise<void> {
  const stream = await openResumable({
    dial: () => dialAgent(config, endpoint),
    isPermanent: (error) => error instanceof AgentPodGone,
    onDropped: (reason) => notify(`mirrord: the port-forward to the agent dropped (${reason}); reconnecting`),
    onResumed: () => notify("mirrord: reconnected to the agent; the session goes on"),
    onGaveUp: (error) => {
      failed(error);
      notify(`mirrord: lost the connection to the agent and could not reconnect: ${error.message}`);
    },
  });
  join(socket, stream);
}

export interface AgentRelay {
  /** `127.0.0.1:<port>`. */
  address: string;
  /** Why the latest connection could not be forwarded (its socket was just closed), if one failed. */
  lastFailure(): Error | undefined;
  close(): void;
}

export function startAgentRelay(
  config: KubeConfig,
  endpoint: AgentEndpoint,
  options: AgentRelayOptions = {},
): Promise<AgentRelay> {
  let lastFailure: Error | undefined;
  const notify = options.notify ?? (() => {});
  const failed = (error: Error) => {
    lastFailure = error;
  };
  const server: Server = createServer((socket) => {
    lastFailure = undefined;
    socket.pause();
    socket.on("error", () => socket.destroy());
    const relayed = options.resumable
      ? relayResumable(config, endpoint, socket, notify, failed)
      : dialAgent(config, endpoint).then((carrier) => join(socket, carrier));
    relayed.catch((error: Error) => {
      failed(error);
      socket.destroy(error);
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
