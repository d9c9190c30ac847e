/**
 * An HTTP CONNECT proxy on loopback, for tests of proxied cluster access: records the target of every
 * tunnel and sends it where `route` says (only loopback destinations; anything else is refused with 403).
 */
import { connect, createServer, type Socket } from "node:net";

export interface Destination {
  host: string;
  port: number;
}

export interface ConnectProxy {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The `host:port` each CONNECT asked for, in order. */
  tunnels: string[];
  close(): Promise<void>;
}

const MAX_HEAD = 8 * 1024;
const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

function parseTarget(target: string): Destination | undefined {
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(target);
  return match ? { host: match[1] as string, port: Number(match[2]) } : undefined;
}

function tunnel(client: Socket, head: string, rest: Buffer, proxy: ConnectProxy, route: Router): void {
  const [method, target = ""] = head.split("\r\n")[0]?.split(" ") ?? [];
  if (method !== "CONNECT") {
    client.end("HTTP/1.1 405 Method Not Allowed\r\n\r\n");
    return;
  }
  proxy.tunnels.push(target);
  const asked = parseTarget(target);
  const destination = asked && route(asked);
  if (!destination || !LOOPBACK.has(destination.host)) {
    client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
    return;
  }
  const upstream = connect(destination.port, destination.host, () => {
    client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (rest.length > 0) upstream.write(rest);
    client.pipe(upstream).pipe(client);
  });
  upstream.on("error", () => client.destroy());
  client.on("error", () => upstream.destroy());
  client.on("close", () => upstream.destroy());
}

export type Router = (asked: Destination) => Destination | undefined;

export function startConnectProxy(route: Router = (asked) => asked): Promise<ConnectProxy> {
  const sockets = new Set<Socket>();
  const proxy: ConnectProxy = { url: "", tunnels: [], close: async () => {} };
  const server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) {
        if (buffered.length > MAX_HEAD) client.end("HTTP/1.1 431 Request Header Fields Too Large\r\n\r\n");
        return;
      }
      client.off("data", onData);
      client.pause();
      tunnel(client, buffered.subarray(0, end).toString("latin1"), buffered.subarray(end + 4), proxy, route);
    };
    client.on("data", onData);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      const address = server.address();
      proxy.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
      proxy.close = () =>
        new Promise((done) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => done());
        });
      resolve(proxy);
    });
  });
}
