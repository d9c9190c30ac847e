/**
 * The one message catalogue of the mirrord-ts wire protocol, shared by the layer ⇄ intproxy and the
 * intproxy ⇄ agent links. Append only: never renumber or reorder; a new message or variant bumps the
 * minor version, a changed field bumps the major version.
 *
 * Request ids: a response carries the request id of the request it answers; unsolicited messages
 * (events, stream data, Log, Close) carry request id 0. Any request may be answered with `ErrorReply`.
 */
import {
  bool,
  bytes,
  enumType,
  fixed,
  i32,
  i64,
  list,
  type MessageDef,
  message,
  type NamedType,
  optional,
  ref,
  string,
  struct,
  u8,
  u16,
  u32,
  u64,
  union,
} from "./schema.ts";

export const PROTOCOL_VERSION = "1.2.0";

/** Values of `ResponseError.kind`: what went wrong, independent of the Linux errno it carries. */
export const ErrorKind = {
  io: 1,
  notFound: 2,
  notImplemented: 3,
  forbidden: 4,
  dns: 5,
  badRequest: 6,
  idsExhausted: 7,
  agentLost: 8,
  invalidFilter: 9,
  timeout: 10,
} as const;

const Role = enumType("Role", "u8", { layer: 1, intproxy: 2, cli: 3 });
const RejectReason = enumType("RejectReason", "u8", { versionMismatch: 1, badSecret: 2, unexpected: 3 });
const LogLevel = enumType("LogLevel", "u8", { error: 1, warn: 2, info: 3, debug: 4, trace: 5 });
const Whence = enumType("Whence", "u8", { set: 0, current: 1, end: 2 });
const Transport = enumType("Transport", "u8", {
  tcp: 1,
  udp: 2,
  unixStream: 3,
  unixDatagram: 4,
  unixSeqpacket: 5,
});
const IncomingMode = enumType("IncomingMode", "u8", { mirror: 1, steal: 2 });
const HttpVersion = enumType("HttpVersion", "u8", { http09: 0, http10: 1, http11: 2, http2: 3, http3: 4 });

const ResponseError = struct("ResponseError", { errno: i32, kind: u16, message: string });
const EnvVar = struct("EnvVar", { name: string, value: string });
const Timespec = struct("Timespec", { sec: i64, nsec: u32 });
const Metadata = struct("Metadata", {
  dev: u64,
  ino: u64,
  mode: u32,
  nlink: u64,
  uid: u32,
  gid: u32,
  rdev: u64,
  size: i64,
  blksize: i64,
  blocks: i64,
  atime: ref(Timespec),
  mtime: ref(Timespec),
  ctime: ref(Timespec),
});
const StatFs = struct("StatFs", {
  fsType: i64,
  bsize: i64,
  blocks: u64,
  bfree: u64,
  bavail: u64,
  files: u64,
  ffree: u64,
  fsid: u64,
  namelen: i64,
  frsize: i64,
  flags: i64,
});
const DirEntry = struct("DirEntry", { ino: u64, offset: i64, fileType: u8, name: string });
const IpAddress = union("IpAddress", { v4: [4, { octets: fixed(4) }], v6: [6, { octets: fixed(16) }] });
const SocketAddress = union("SocketAddress", {
  ipv4: [1, { ip: fixed(4), port: u16 }],
  ipv6: [2, { ip: fixed(16), port: u16, flowinfo: u32, scopeId: u32 }],
  unixPath: [3, { path: string }],
  unixAbstract: [4, { name: bytes }],
  unixUnnamed: [5, {}],
});
const AddrInfoEntry = struct("AddrInfoEntry", {
  family: i32,
  socktype: i32,
  protocol: i32,
  address: ref(IpAddress),
  port: u16,
  canonname: string,
});
const HttpFilter = union("HttpFilter", {
  header: [1, { regex: string }],
  path: [2, { regex: string }],
  method: [3, { method: string }],
  bodyJson: [4, { query: string, matches: string }],
  headerJq: [5, { program: string }],
  allOf: [6, { filters: list(ref("HttpFilter")) }],
  anyOf: [7, { filters: list(ref("HttpFilter")) }],
});
/** One `feature.fs.mapping` entry: a path regex and its replacement (`$1`, `${name}`). */
const FsMapping = struct("FsMapping", { pattern: string, replacement: string });
const HttpHeader = struct("HttpHeader", { name: string, value: bytes });
/** One entry of an address filter (`[name|ip|ip/prefix][:port]`), parsed once by the CLI; port 0 = any. */
const AddressFilterEntry = union("AddressFilterEntry", {
  name: [1, { name: string, port: u16 }],
  ip: [2, { ip: ref(IpAddress), port: u16 }],
  subnet: [3, { ip: ref(IpAddress), prefix: u8, port: u16 }],
  port: [4, { port: u16 }],
});

/** One `[from, to]` pair of `port_mapping` (local → remote) or `listen_ports` (requested → bound locally). */
const PortPair = struct("PortPair", { from: u16, to: u16 });
/** One `feature.network.outgoing.filter` entry: protocol 0 any, 1 tcp, 2 udp, and the address part. */
const OutgoingFilterEntry = struct("OutgoingFilterEntry", { protocol: u8, entry: ref(AddressFilterEntry) });

export const namedTypes: readonly NamedType[] = [
  Role,
  RejectReason,
  LogLevel,
  Whence,
  Transport,
  IncomingMode,
  HttpVersion,
  ResponseError,
  EnvVar,
  Timespec,
  Metadata,
  StatFs,
  DirEntry,
  IpAddress,
  SocketAddress,
  AddrInfoEntry,
  HttpFilter,
  HttpHeader,
  AddressFilterEntry,
  FsMapping,
  PortPair,
  OutgoingFilterEntry,
];

const fd = u64;
const connId = u64;
/** A remote directory handle for the `*at` family; absent means the path is absolute. */
const dirFd = optional(u64);
const headers = list(ref(HttpHeader));

export const messages: readonly MessageDef[] = [
  // Session control.
  message("Hello", 0x0001, "client", {
    protocolVersion: string,
    role: ref(Role),
    secret: optional(bytes),
    clientName: string,
  }),
  message("HelloOk", 0x0002, "server", { protocolVersion: string, serverVersion: string }),
  message("HelloRejected", 0x0003, "server", { reason: ref(RejectReason), message: string }),
  message("Ping", 0x0004, "both"),
  message("Pong", 0x0005, "both"),
  message("Close", 0x0006, "both", { reason: string }),
  message("Log", 0x0007, "server", { level: ref(LogLevel), message: string }),
  message("Ok", 0x0008, "server"),
  message("ErrorReply", 0x0009, "server", { error: ref(ResponseError) }),

  // Environment and identity.
  message("GetEnv", 0x0100, "client", { include: list(string), exclude: list(string) }),
  message("Env", 0x0101, "server", { vars: list(ref(EnvVar)) }),
  message("GetHostname", 0x0110, "client"),
  message("Hostname", 0x0111, "server", { hostname: string }),
  message("GetUname", 0x0112, "client"),
  message("Uname", 0x0113, "server", {
    sysname: string,
    nodename: string,
    release: string,
    version: string,
    machine: string,
    domainname: string,
  }),

  // Files. `flags`/`mode` are Linux open(2)/access(2)/unlinkat(2) values, passed through.
  message("FileOpen", 0x0200, "client", { dirFd, path: string, flags: i32, mode: u32 }),
  message("FileOpened", 0x0201, "server", { fd }),
  message("FileRead", 0x0202, "client", { fd, size: u32 }),
  message("FileReadAt", 0x0203, "client", { fd, size: u32, offset: u64 }),
  message("FileData", 0x0204, "server", { data: bytes }),
  message("FileWrite", 0x0205, "client", { fd, data: bytes }),
  message("FileWriteAt", 0x0206, "client", { fd, offset: u64, data: bytes }),
  message("FileWritten", 0x0207, "server", { written: u64 }),
  message("FileSeek", 0x0208, "client", { fd, offset: i64, whence: ref(Whence) }),
  message("FileSeeked", 0x0209, "server", { offset: u64 }),
  message("FileClose", 0x020a, "client", { fd }),
  message("FileAccess", 0x020b, "client", { dirFd, path: string, mode: u32, flags: i32 }),
  message("FileStat", 0x020c, "client", { fd: optional(fd), path: optional(string), followSymlinks: bool }),
  message("FileMetadata", 0x020d, "server", { metadata: ref(Metadata) }),
  message("FileStatFs", 0x020e, "client", { fd: optional(fd), path: optional(string) }),
  message("FileStatFsResult", 0x020f, "server", { statfs: ref(StatFs) }),
  message("FileOpenDir", 0x0210, "client", { fd }),
  message("FileDirOpened", 0x0211, "server", { dirFd: u64 }),
  message("FileReadDirBatch", 0x0212, "client", { dirFd: u64, max: u32 }),
  message("FileDirEntries", 0x0213, "server", { entries: list(ref(DirEntry)) }),
  message("FileCloseDir", 0x0214, "client", { dirFd: u64 }),
  message("FileGetDents64", 0x0215, "client", { fd, size: u32 }),
  message("FileReadLink", 0x0216, "client", { path: string }),
  message("FilePath", 0x0217, "server", { path: string }),
  message("FileMkdir", 0x0218, "client", { dirFd, path: string, mode: u32 }),
  message("FileRmdir", 0x0219, "client", { path: string }),
  message("FileUnlink", 0x021a, "client", { dirFd, path: string, flags: i32 }),
  message("FileRename", 0x021b, "client", { oldPath: string, newPath: string }),
  message("FileTruncate", 0x021c, "client", { fd, length: u64 }),
  message("FileSync", 0x021d, "client", { fd, dataOnly: bool }),
  message("FileRealPath", 0x021e, "client", { path: string }),
  message("FileSetTimes", 0x021f, "client", {
    fd,
    atime: optional(ref(Timespec)),
    mtime: optional(ref(Timespec)),
  }),
  message("FileChown", 0x0220, "client", { fd, uid: u32, gid: u32 }),
  message("FileChmod", 0x0221, "client", { fd, mode: u32 }),

  // DNS. family/socktype/protocol/flags are the Linux getaddrinfo(3) hint values, passed through.
  message("GetAddrInfo", 0x0300, "client", {
    node: string,
    service: string,
    family: i32,
    socktype: i32,
    protocol: i32,
    flags: i32,
  }),
  message("AddrInfo", 0x0301, "server", { entries: list(ref(AddrInfoEntry)) }),
  message("ReverseLookup", 0x0302, "client", { address: ref(IpAddress) }),
  message("ReverseLookupResult", 0x0303, "server", { hostname: string }),

  // Outgoing connections. The client picks the connection id. `interceptAddress` is set by the
  // intproxy for the layer: the local socket the app's fd must connect to.
  message("Connect", 0x0400, "client", {
    connId,
    transport: ref(Transport),
    address: ref(SocketAddress),
  }),
  message("Connected", 0x0401, "server", {
    connId,
    localAddress: ref(SocketAddress),
    remoteAddress: ref(SocketAddress),
    interceptAddress: optional(ref(SocketAddress)),
  }),
  message("OutgoingData", 0x0402, "both", { connId, data: bytes }),
  message("OutgoingClose", 0x0403, "both", { connId }),
  // Flow control of one outgoing connection, either way: the side whose buffer towards the destination
  // is full asks the other to stop reading that connection's source, and to resume once it drained.
  message("OutgoingPause", 0x0404, "both", { connId }),
  message("OutgoingResume", 0x0405, "both", { connId }),
  // Layer ⇄ intproxy only: a non-blocking TCP connect. The intproxy answers at once with the intercept
  // and its own id for the connection (`connId`), and connects through the agent in the background.
  message("ConnectInBackground", 0x0406, "client", { connId, address: ref(SocketAddress) }),
  message("ConnectPending", 0x0407, "server", { connId, interceptAddress: ref(SocketAddress) }),
  // The pod-side local address of a `ConnectPending` connection (by the intproxy's id), once the agent
  // connected; null when it failed or did not answer in time.
  message("OutgoingLocalAddress", 0x0408, "client", { connId }),
  message("OutgoingLocalAddressResult", 0x0409, "server", { address: optional(ref(SocketAddress)) }),

  // Incoming traffic. The server picks connection ids; an empty Data means the sender shut down writing.
  message("Subscribe", 0x0500, "client", {
    port: u16,
    mode: ref(IncomingMode),
    filter: optional(ref(HttpFilter)),
    listenAddress: ref(SocketAddress),
  }),
  message("Subscribed", 0x0501, "server", { port: u16 }),
  message("Unsubscribe", 0x0502, "client", { port: u16 }),
  message("NewConnection", 0x0503, "server", {
    connId,
    port: u16,
    remoteAddress: ref(SocketAddress),
    localAddress: ref(SocketAddress),
  }),
  message("IncomingData", 0x0504, "both", { connId, data: bytes }),
  message("IncomingClose", 0x0505, "both", { connId }),
  message("ConnMetadata", 0x0506, "client", {
    listenerAddress: ref(SocketAddress),
    peerAddress: ref(SocketAddress),
  }),
  message("ConnMetadataResult", 0x0507, "server", {
    remoteAddress: optional(ref(SocketAddress)),
    localAddress: optional(ref(SocketAddress)),
  }),
  message("HttpRequestHead", 0x0510, "server", {
    connId,
    requestId: u64,
    port: u16,
    method: string,
    uri: string,
    version: ref(HttpVersion),
    headers,
  }),
  message("HttpRequestBody", 0x0511, "server", { connId, requestId: u64, data: bytes }),
  message("HttpRequestEnd", 0x0512, "server", { connId, requestId: u64, trailers: headers }),
  message("HttpResponseHead", 0x0513, "client", {
    connId,
    requestId: u64,
    status: u16,
    version: ref(HttpVersion),
    headers,
  }),
  message("HttpResponseBody", 0x0514, "client", { connId, requestId: u64, data: bytes }),
  message("HttpResponseEnd", 0x0515, "client", { connId, requestId: u64, trailers: headers }),
  message("HttpAbort", 0x0516, "both", { connId, requestId: u64, message: string }),
  // Filtered steal: announces an inbound HTTP connection before its first request reaches this client
  // (the peer the app's accept() reports); requests on it then carry its connId.
  message("HttpConnection", 0x0517, "server", {
    connId,
    port: u16,
    remoteAddress: ref(SocketAddress),
    localAddress: ref(SocketAddress),
    version: ref(HttpVersion),
  }),
  message("HttpConnectionClose", 0x0518, "server", { connId }),
  // Bytes of a connection upgraded by a 101 answer to `requestId`; empty data = the sender shut down writing.
  message("HttpUpgradeData", 0x0519, "both", { connId, requestId: u64, data: bytes }),
  // The subscriber has no local listener for this connection any more (its program stopped): the agent
  // hands it to the target's own app, replaying the bytes it already sent.
  message("IncomingUnreachable", 0x051a, "client", { connId }),

  // Handed from `mirrord exec` to the layer it injects (base64 in MIRRORD_LAYER_CONFIG), never sent
  // over a socket: both ends come from the same build, so its fields may change between builds.
  message("LayerConfig", 0x0600, "client", {
    hostname: bool,
    skipBuildTools: bool,
    skipProcesses: list(string),
    skipExtraBuildTools: list(string),
    /** `feature.env.load_from_process`: the layer asks for the env itself (GetEnv with these globs). */
    loadEnvFromProcess: bool,
    envInclude: list(string),
    envExclude: list(string),
    /** `feature.env.unset`: removed at start, names compared case-insensitively. */
    envUnset: list(string),
    /** `feature.network.dns`: resolve through the target; `dnsFilterSide` 0 = no filter, 1 = the
     * entries go remote (the rest local), 2 = the entries stay local (the rest remote). */
    dnsEnabled: bool,
    dnsFilterSide: u8,
    dnsFilter: list(ref(AddressFilterEntry)),
    /** `feature.fs.mode`: 0 local, 1 localwithoverrides, 2 read, 3 write. Pattern lists are PCRE2
     * regexes matched case-insensitively anywhere in the path. */
    fsMode: u8,
    fsReadWrite: list(string),
    fsReadOnly: list(string),
    fsLocal: list(string),
    fsNotFound: list(string),
    fsMapping: list(ref(FsMapping)),
    /** `feature.fs.readonly_file_buffer`: bytes the layer reads ahead on a remote file (0 = off). */
    fsReadBuffer: u32,
    /** `feature.network.incoming`: mode 0 off, 1 mirror, 2 steal; `ports` absent = every port. */
    incomingMode: u8,
    incomingPortMapping: list(ref(PortPair)),
    incomingListenPorts: list(ref(PortPair)),
    incomingPorts: optional(list(u16)),
    incomingIgnorePorts: list(u16),
    incomingIgnoreLocalhost: bool,
    /** `feature.network.outgoing`: `outgoingFilterSide` 0 = no filter, 1 = the entries go remote (the
     * rest local), 2 = the entries stay local. `outgoingUnixStreams`: PCRE2 regexes of unix socket
     * paths connected in the pod (case-sensitive, unanchored). */
    outgoingTcp: bool,
    outgoingUdp: bool,
    outgoingIgnoreLocalhost: bool,
    outgoingFilterSide: u8,
    outgoingFilter: list(ref(OutgoingFilterEntry)),
    outgoingUnixStreams: list(string),
  }),
];
