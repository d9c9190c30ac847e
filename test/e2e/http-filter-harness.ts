/**
 * The filtered-steal path without a cluster: a "redirected port" on loopback served by the agent's
 * `HttpStealEngine`, one intproxy-side `HttpReplayer` per subscriber linked to it over a real framed
 * socket (the real codec both ways), and real app processes (node, `http-filter-apps/app.mjs`) as the
 * pod's app and as each subscriber's local program.
 */
import { type ChildProcess, spawn } from "node:child_process";
import net, { type AddressInfo, type Socket } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { HttpStealEngine } from "../../src/agent/incoming/http/engine.ts";
import type {
  HttpClientMessage,
  HttpStealClient,
  HttpSubscription,
} from "../../src/agent/incoming/http/exchange.ts";
import { builtWasm } from "../../src/filters/built-wasm.ts";
import { CompiledHttpFilter } from "../../src/filters/http-filter.ts";
import { FancyRegexEngine } from "../../src/filters/regex.ts";
import { HttpReplayer } from "../../src/intproxy/incoming-http.ts";
import type { StolenPeer } from "../../src/intproxy/incoming-peers.ts";
import type { HttpFilter, SocketAddress } from "../../src/protocol/index.ts";
import { FramedSocket } from "../../src/transport/framed-socket.ts";
import { Logger } from "../../src/transport/log.ts";

export const STOLEN_PORT = 80;
const APP = join(import.meta.dir, "http-filter-apps", "app.mjs");
const log = new Logger({
  level: "error",
  json: false,
  target: "http-filter-test",
  write: (line) => process.stderr.write(line),
});
const regexEngine = FancyRegexEngine.fromBytes(builtWasm());

export interface App {
  port: number;
  stop(): void;
}

/** Starts `app.mjs` as `side` under node and waits for its port. */
export async function startApp(side: string): Promise<App> {
  const child: ChildProcess = spawn("node", [APP, side], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${side} app did not start within 20 s`)), 20_000);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", (text) => {
      clearTimeout(timer);
      resolve(text);
    });
    child.once("exit", (code) => reject(new Error(`${side} app exited with ${code}`)));
  });
  return { port: Number(line), stop: () => child.kill("SIGKILL") };
}

export interface Subscriber {
  app: App;
  /** `Log` messages the agent sent this subscriber. */
  warnings: string[];
  /** Peers announced for the connections the replayer opened into the local program. */
  peers: StolenPeer[];
}

export interface FilteredSteal {
  /** Where clients connect: stands for the pod's redirected port. */
  port: number;
  pod: App;
  subscribers: Subscriber[];
  /** Connections the "redirect" accepted. */
  accepted(): number;
  stop(): Promise<void>;
}

function address(socket: Socket, side: "remote" | "local"): SocketAddress {
  const port = (side === "remote" ? socket.remotePort : socket.localPort) ?? 0;
  return { kind: "ipv4", ip: Uint8Array.from([127, 0, 0, 1]), port };
}

/** Links one subscriber's replayer to the engine over a loopback socket pair. */
async function linkSubscriber(
  engine: HttpStealEngine,
  app: App,
  warnings: string[],
  peers: StolenPeer[],
): Promise<{ client: HttpStealClient; close(): void }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const accepted = new Promise<Socket>((resolve) => server.once("connection", resolve));
  const intproxySocket = net.connect((server.address() as AddressInfo).port, "127.0.0.1");
  const agentSocket = await accepted;
  server.close();
  let nextConnId = 1n;
  let holds = 0;
  const agentLink: FramedSocket = new FramedSocket(agentSocket, {
    onFrame: ({ message }) => engine.receive(client, message as HttpClientMessage),
    onEnd: () => engine.forget(client),
  });
  const client: HttpStealClient = {
    allocateConnId: () => nextConnId++,
    send: (message) => agentLink.send(message),
    backlog: () => agentLink.backlog,
    whenDrained: (callback) => agentLink.whenDrained(callback),
    holdInput: () => {
      if (holds++ === 0) agentLink.pauseInput();
    },
    releaseInput: () => {
      if (--holds === 0) agentLink.resumeInput();
    },
  };
  let intproxyHolds = 0;
  const replayer: HttpReplayer = new HttpReplayer({
    agent: {
      notify: (message) => intproxyLink.send(message),
      backlog: () => intproxyLink.backlog,
      whenDrained: (callback) => intproxyLink.whenDrained(callback),
      holdInput: () => {
        if (intproxyHolds++ === 0) intproxyLink.pauseInput();
      },
      releaseInput: () => {
        if (--intproxyHolds === 0) intproxyLink.resumeInput();
      },
    },
    listenerFor: (port) => (port === STOLEN_PORT ? { host: "127.0.0.1", port: app.port } : undefined),
    onLocalConnection: (_socket, _listener, peer) => peers.push(peer),
    log,
  });
  const intproxyLink: FramedSocket = new FramedSocket(intproxySocket, {
    onFrame: ({ message }) => {
      if (message.type === "Log") warnings.push(message.message);
      else replayer.receive(message);
    },
    onEnd: () => replayer.close(),
  });
  return {
    client,
    close: () => {
      intproxyLink.close("test over");
      agentLink.close("test over");
    },
  };
}

/** One redirected port with a subscriber per filter (in subscription order). */
export async function startFilteredSteal(
  filters: HttpFilter[],
  options: { detectionTimeoutMs?: number; pod?: App } = {},
): Promise<FilteredSteal> {
  const engine = new HttpStealEngine({ detectionTimeoutMs: options.detectionTimeoutMs ?? 2_000, log });
  const pod = options.pod ?? (await startApp("pod"));
  const subscribers: Subscriber[] = [];
  const links: { close(): void }[] = [];
  const subscriptions: HttpSubscription[] = [];
  for (const [index, filter] of filters.entries()) {
    const subscriber: Subscriber = { app: await startApp(`local${index}`), warnings: [], peers: [] };
    const link = await linkSubscriber(engine, subscriber.app, subscriber.warnings, subscriber.peers);
    subscribers.push(subscriber);
    links.push(link);
    subscriptions.push({ client: link.client, filter: CompiledHttpFilter.compile(regexEngine, filter) });
  }
  const sockets: Socket[] = [];
  const redirect = net.createServer((socket) => {
    sockets.push(socket);
    void engine.serve(
      {
        socket,
        port: STOLEN_PORT,
        remoteAddress: address(socket, "remote"),
        localAddress: address(socket, "local"),
        connectOriginal: () => net.connect(pod.port, "127.0.0.1"),
      },
      () => subscriptions,
    );
  });
  await new Promise<void>((resolve) => redirect.listen(0, "127.0.0.1", resolve));
  return {
    port: (redirect.address() as AddressInfo).port,
    pod,
    subscribers,
    accepted: () => sockets.length,
    stop: async () => {
      for (const link of links) link.close();
      for (const { filter } of subscriptions) filter.free();
      for (const subscriber of subscribers) subscriber.app.stop();
      if (!options.pod) pod.stop();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => redirect.close(() => resolve()));
    },
  };
}
