/**
 * `Connect`, `OutgoingData`, `OutgoingClose`: connections the local program makes as if from the pod.
 * The agent already lives in the target's network namespace, so a plain socket here is a socket in
 * the pod; unix socket paths are resolved under the target's root. Connection ids are the client's
 * own (each client has its own id space) and every connection dies with its client.
 */
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { constants } from "node:os";
import { connectNative } from "../../platform/index.ts";
import {
  ErrorKind,
  ipEndpoint,
  type Message,
  type MessageOf,
  type SocketAddress,
  socketAddressFromIp,
  socketAddressToText,
} from "../../protocol/index.ts";
import type { ByteStream } from "../../transport/byte-stream.ts";
import type { TargetContext } from "../target.ts";
import { type AgentClient, errorReply, type FeatureHandlers } from "./handler.ts";
import { OutgoingDatagram } from "./outgoing-datagram.ts";
import { OutgoingStream } from "./outgoing-stream.ts";

const EINVAL = 22;
const EEXIST = 17;
const EAFNOSUPPORT = 97;
const ETIMEDOUT = 110;
/** A connect the remote neither accepts nor refuses fails like the kernel's own, just sooner. */
const CONNECT_TIMEOUT_MS = 30_000;

type Connection = OutgoingStream | OutgoingDatagram;
const connectionsOf = new WeakMap<AgentClient, Map<bigint, Connection>>();

function connections(client: AgentClient): Map<bigint, Connection> {
  let table = connectionsOf.get(client);
  if (!table) {
    const created = new Map<bigint, Connection>();
    connectionsOf.set(client, created);
    client.onClose(() => {
      for (const connection of created.values()) connection.destroy();
      created.clear();
    });
    table = created;
  }
  return table;
}

/** Node's error codes carry the errno the program would have seen from connect(2). */
function connectFailure(error: NodeJS.ErrnoException, address: SocketAddress): Message {
  const code = error.code as keyof typeof constants.errno | undefined;
  const errno =
    code && code in constants.errno ? constants.errno[code] : Math.abs(Number(error.errno) || ETIMEDOUT);
  return errorReply(
    errno,
    ErrorKind.io,
    `connect to ${socketAddressToText(address)} failed: ${error.message}`,
  );
}

function unixPath(address: SocketAddress, target: TargetContext): string | null {
  if (address.kind === "unixPath")
    return target.root === "/" ? address.path : `${target.root}${address.path}`;
  // Abstract names belong to the network namespace, which the agent shares with the target.
  if (address.kind === "unixAbstract") return `\0${Buffer.from(address.name).toString("latin1")}`;
  return null;
}

/** What the agent needs of its connection to the remote; TCP runs on Bun's own sockets (less CPU per chunk). */
type RemoteSocket = ByteStream & {
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
};

function openStream(request: MessageOf<"Connect">, target: TargetContext): Promise<RemoteSocket> {
  const ip = ipEndpoint(request.address);
  const path = request.transport === "unixStream" ? unixPath(request.address, target) : null;
  return new Promise((resolve, reject) => {
    const socket: RemoteSocket & { once(event: string, listener: (error: Error) => void): unknown } = ip
      ? connectNative(ip.host, ip.port)
      : connect({ path: path ?? "", allowHalfOpen: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error("connection timed out"), { errno: ETIMEDOUT }));
    }, CONNECT_TIMEOUT_MS);
    const failed = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once("error", failed);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", failed);
      resolve(socket);
    });
  });
}

function streamNames(socket: RemoteSocket, request: MessageOf<"Connect">): Message {
  const local =
    request.transport === "tcp" && socket.localAddress && socket.localPort !== undefined
      ? socketAddressFromIp(socket.localAddress, socket.localPort)
      : ({ kind: "unixUnnamed" } as const);
  return {
    type: "Connected",
    connId: request.connId,
    localAddress: local,
    remoteAddress: request.address,
    interceptAddress: null,
  };
}

async function connectStream(request: MessageOf<"Connect">, target: TargetContext, client: AgentClient) {
  const socket = await openStream(request, target);
  const table = connections(client);
  table.set(
    request.connId,
    new OutgoingStream(request.connId, socket, client, () => table.delete(request.connId)),
  );
  return streamNames(socket, request);
}

function connectDatagram(request: MessageOf<"Connect">, client: AgentClient): Promise<Message> {
  const ip = ipEndpoint(request.address);
  if (!ip) return Promise.resolve(errorReply(EAFNOSUPPORT, ErrorKind.badRequest, "UDP needs an IP address"));
  const socket = createSocket(ip.family === 4 ? "udp4" : "udp6");
  return new Promise((resolve) => {
    socket.once("error", (error: NodeJS.ErrnoException) => {
      socket.close();
      resolve(connectFailure(error, request.address));
    });
    socket.connect(ip.port, ip.host, () => {
      socket.removeAllListeners("error");
      const table = connections(client);
      table.set(
        request.connId,
        new OutgoingDatagram(request.connId, socket, client, () => table.delete(request.connId)),
      );
      const local = socket.address();
      resolve({
        type: "Connected",
        connId: request.connId,
        localAddress: socketAddressFromIp(local.address, local.port),
        remoteAddress: request.address,
        interceptAddress: null,
      });
    });
  });
}

async function connectOutgoing(
  request: MessageOf<"Connect">,
  target: TargetContext,
  client: AgentClient,
): Promise<Message> {
  if (connections(client).has(request.connId))
    return errorReply(EEXIST, ErrorKind.badRequest, `connection id ${request.connId} is already in use`);
  const isIp = ipEndpoint(request.address) !== null;
  switch (request.transport) {
    case "tcp":
      if (!isIp) return errorReply(EAFNOSUPPORT, ErrorKind.badRequest, "TCP needs an IP address");
      break;
    case "udp":
      return connectDatagram(request, client);
    case "unixStream":
      if (isIp || request.address.kind === "unixUnnamed")
        return errorReply(EINVAL, ErrorKind.badRequest, "a unix stream needs a path or an abstract name");
      break;
    default:
      return errorReply(
        EAFNOSUPPORT,
        ErrorKind.notImplemented,
        `outgoing ${request.transport} is not supported`,
      );
  }
  try {
    return await connectStream(request, target, client);
  } catch (error) {
    return connectFailure(error as NodeJS.ErrnoException, request.address);
  }
}

const OK: Message = { type: "Ok" };

export const outgoingFeature: FeatureHandlers = {
  Connect: connectOutgoing,
  OutgoingData: (request, _target, client) => {
    connections(client).get(request.connId)?.write(request.data);
    return OK;
  },
  OutgoingPause: (request, _target, client) => {
    connections(client).get(request.connId)?.peerPaused(true);
    return OK;
  },
  OutgoingResume: (request, _target, client) => {
    connections(client).get(request.connId)?.peerPaused(false);
    return OK;
  },
  OutgoingClose: (request, _target, client) => {
    connections(client).get(request.connId)?.clientClosed();
    return OK;
  },
};
