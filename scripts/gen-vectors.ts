/**
 * Writes the shared protocol test vectors: test/vectors/protocol/NNN-name.bin (the encoded frame)
 * and NNN-name.json (the same frame in the JSON form of src/protocol/json.ts). Both the TS and the
 * C codec must turn each one into the other. Run: ./node_modules/.bin/bun scripts/gen-vectors.ts
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeFrame, type Frame, frameToJson, type Message } from "../src/protocol/index.ts";

const U64_MAX = 0xffffffffffffffffn;
const I64_MIN = -0x8000000000000000n;
const I64_MAX = 0x7fffffffffffffffn;
const I32_MIN = -0x80000000;
const I32_MAX = 0x7fffffff;
const U32_MAX = 0xffffffff;

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const ip4 = (...octets: number[]): Uint8Array => Uint8Array.from(octets);
const ip6 = (text: string): Uint8Array => {
  const [head = "", tail = ""] = text.split("::");
  const groups = (part: string): number[] => (part ? part.split(":").map((g) => Number.parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  return Uint8Array.from(all.flatMap((g) => [g >> 8, g & 0xff]));
};
const pattern = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
const unicode = "héllo wörld ✓ 日本語 🚀 \u0000 \u{10FFFF}";
const v4 = { kind: "ipv4", ip: ip4(10, 0, 0, 7), port: 8080 } as const;
const v6 = {
  kind: "ipv6",
  ip: ip6("fd00:10:244::1:2"),
  port: 65535,
  flowinfo: U32_MAX,
  scopeId: 3,
} as const;
const ts = (sec: bigint, nsec: number) => ({ sec, nsec });

const vectors: [string, bigint, Message][] = [
  [
    "hello-layer",
    0n,
    { type: "Hello", protocolVersion: "1.0.0", role: "layer", secret: null, clientName: "node" },
  ],
  [
    "hello-secret-unicode",
    1n,
    { type: "Hello", protocolVersion: "1.2.3", role: "intproxy", secret: pattern(32), clientName: unicode },
  ],
  [
    "hello-cli-empty",
    U64_MAX,
    { type: "Hello", protocolVersion: "", role: "cli", secret: new Uint8Array(), clientName: "" },
  ],
  ["hello-ok", 0n, { type: "HelloOk", protocolVersion: "1.0.0", serverVersion: "mirrord-ts 0.1.0" }],
  [
    "hello-rejected",
    0n,
    { type: "HelloRejected", reason: "versionMismatch", message: "client 2.0.0, server 1.0.0" },
  ],
  [
    "hello-rejected-secret",
    0n,
    { type: "HelloRejected", reason: "badSecret", message: "missing or wrong session secret" },
  ],
  ["ping", 7n, { type: "Ping" }],
  ["pong", 7n, { type: "Pong" }],
  ["close", 0n, { type: "Close", reason: "dirty iptables: chain MRDIN_abc exists" }],
  ["log-warn", 0n, { type: "Log", level: "warn", message: "port 80 stolen by another client" }],
  ["log-trace-empty", 0n, { type: "Log", level: "trace", message: "" }],
  ["ok", 42n, { type: "Ok" }],
  [
    "error-reply",
    9n,
    { type: "ErrorReply", error: { errno: 2, kind: 2, message: "No such file or directory" } },
  ],
  [
    "error-reply-extremes",
    10n,
    { type: "ErrorReply", error: { errno: I32_MIN, kind: 0xffff, message: unicode } },
  ],
  ["get-env", 3n, { type: "GetEnv", include: ["*"], exclude: ["HOME", "PATH", "AWS_*"] }],
  ["get-env-empty", 3n, { type: "GetEnv", include: [], exclude: [] }],
  [
    "env",
    3n,
    {
      type: "Env",
      vars: [
        { name: "DATABASE_URL", value: "postgres://db:5432/app" },
        { name: "EMPTY", value: "" },
        { name: "UNICODE", value: unicode },
      ],
    },
  ],
  ["get-hostname", 4n, { type: "GetHostname" }],
  ["hostname", 4n, { type: "Hostname", hostname: "my-app-7d9f8c-xk2p" }],
  ["get-uname", 5n, { type: "GetUname" }],
  [
    "uname",
    5n,
    {
      type: "Uname",
      sysname: "Linux",
      nodename: "my-app-7d9f8c-xk2p",
      release: "6.1.0",
      version: "#1 SMP",
      machine: "x86_64",
      domainname: "(none)",
    },
  ],
  ["file-open", 11n, { type: "FileOpen", dirFd: null, path: "/etc/hosts", flags: 0o2000000, mode: 0 }],
  [
    "file-open-at",
    12n,
    { type: "FileOpen", dirFd: U64_MAX, path: "sub/ファイル.txt", flags: 0o101, mode: 0o644 },
  ],
  ["file-opened", 11n, { type: "FileOpened", fd: 0n }],
  ["file-read", 13n, { type: "FileRead", fd: 1n, size: 1048576 }],
  ["file-read-at", 14n, { type: "FileReadAt", fd: 1n, size: 0, offset: U64_MAX }],
  ["file-data", 13n, { type: "FileData", data: pattern(4096) }],
  ["file-data-eof", 14n, { type: "FileData", data: new Uint8Array() }],
  ["file-write", 15n, { type: "FileWrite", fd: 2n, data: utf8("hello\n") }],
  ["file-write-at", 16n, { type: "FileWriteAt", fd: 2n, offset: 1024n, data: pattern(3) }],
  ["file-written", 15n, { type: "FileWritten", written: 6n }],
  ["file-seek-end", 17n, { type: "FileSeek", fd: 2n, offset: I64_MIN, whence: "end" }],
  ["file-seek-set", 18n, { type: "FileSeek", fd: 2n, offset: I64_MAX, whence: "set" }],
  ["file-seeked", 17n, { type: "FileSeeked", offset: 4096n }],
  ["file-close", 0n, { type: "FileClose", fd: 2n }],
  ["file-access", 19n, { type: "FileAccess", dirFd: null, path: "/app/config.yaml", mode: 4, flags: 0 }],
  ["file-access-at", 20n, { type: "FileAccess", dirFd: 5n, path: "x", mode: 0, flags: 0x200 }],
  ["file-stat-path", 21n, { type: "FileStat", fd: null, path: "/var/log", followSymlinks: false }],
  ["file-stat-fd", 22n, { type: "FileStat", fd: 3n, path: null, followSymlinks: true }],
  ["file-stat-at", 23n, { type: "FileStat", fd: 3n, path: "rel/name", followSymlinks: true }],
  [
    "file-metadata",
    21n,
    {
      type: "FileMetadata",
      metadata: {
        dev: 66306n,
        ino: U64_MAX,
        mode: 0o100644,
        nlink: 1n,
        uid: 0,
        gid: U32_MAX,
        rdev: 0n,
        size: I64_MAX,
        blksize: 4096n,
        blocks: 8n,
        atime: ts(1700000000n, 999999999),
        mtime: ts(0n, 0),
        ctime: ts(-1n, 1),
      },
    },
  ],
  ["file-statfs-path", 24n, { type: "FileStatFs", fd: null, path: "/" }],
  ["file-statfs-fd", 25n, { type: "FileStatFs", fd: 4n, path: null }],
  [
    "file-statfs-result",
    24n,
    {
      type: "FileStatFsResult",
      statfs: {
        fsType: 0xef53n,
        bsize: 4096n,
        blocks: 1000000n,
        bfree: 500000n,
        bavail: 400000n,
        files: 65536n,
        ffree: 60000n,
        fsid: U64_MAX,
        namelen: 255n,
        frsize: 4096n,
        flags: 4128n,
      },
    },
  ],
  ["file-open-dir", 26n, { type: "FileOpenDir", fd: 6n }],
  ["file-dir-opened", 26n, { type: "FileDirOpened", dirFd: 7n }],
  ["file-read-dir-batch", 27n, { type: "FileReadDirBatch", dirFd: 7n, max: 128 }],
  [
    "file-dir-entries",
    27n,
    {
      type: "FileDirEntries",
      entries: [
        { ino: 2n, offset: 1n, fileType: 4, name: "." },
        { ino: 1n, offset: 2n, fileType: 4, name: ".." },
        { ino: 131n, offset: I64_MAX, fileType: 8, name: "données.bin" },
      ],
    },
  ],
  ["file-dir-entries-end", 28n, { type: "FileDirEntries", entries: [] }],
  ["file-close-dir", 0n, { type: "FileCloseDir", dirFd: 7n }],
  ["file-getdents64", 29n, { type: "FileGetDents64", fd: 6n, size: 32768 }],
  ["file-read-link", 30n, { type: "FileReadLink", path: "/proc/self/exe" }],
  ["file-path", 30n, { type: "FilePath", path: "/usr/bin/python3.11" }],
  ["file-mkdir", 31n, { type: "FileMkdir", dirFd: null, path: "/tmp/new", mode: 0o755 }],
  ["file-mkdir-at", 32n, { type: "FileMkdir", dirFd: 8n, path: "child", mode: 0o700 }],
  ["file-rmdir", 33n, { type: "FileRmdir", path: "/tmp/new" }],
  ["file-unlink", 34n, { type: "FileUnlink", dirFd: null, path: "/tmp/f", flags: 0 }],
  ["file-unlink-at-dir", 35n, { type: "FileUnlink", dirFd: 8n, path: "child", flags: 0x200 }],
  ["file-rename", 36n, { type: "FileRename", oldPath: "/tmp/a", newPath: "/tmp/ß" }],
  ["file-truncate", 37n, { type: "FileTruncate", fd: 2n, length: 0n }],
  ["file-sync", 38n, { type: "FileSync", fd: 2n, dataOnly: true }],
  ["file-real-path", 39n, { type: "FileRealPath", path: "/app/../etc/./hosts" }],
  ["file-set-times", 40n, { type: "FileSetTimes", fd: 2n, atime: ts(1n, 2), mtime: null }],
  ["file-chown", 41n, { type: "FileChown", fd: 2n, uid: 1000, gid: U32_MAX }],
  ["file-chmod", 42n, { type: "FileChmod", fd: 2n, mode: 0o4755 }],
  [
    "get-addr-info",
    50n,
    {
      type: "GetAddrInfo",
      node: "my-svc.default.svc.cluster.local",
      service: "80",
      family: 0,
      socktype: 1,
      protocol: 6,
      flags: 0x20,
    },
  ],
  [
    "get-addr-info-extremes",
    51n,
    {
      type: "GetAddrInfo",
      node: "",
      service: "",
      family: I32_MIN,
      socktype: I32_MAX,
      protocol: -1,
      flags: 0,
    },
  ],
  [
    "addr-info",
    50n,
    {
      type: "AddrInfo",
      entries: [
        {
          family: 2,
          socktype: 1,
          protocol: 6,
          address: { kind: "v4", octets: ip4(10, 96, 0, 10) },
          port: 80,
          canonname: "my-svc",
        },
        {
          family: 10,
          socktype: 1,
          protocol: 6,
          address: { kind: "v6", octets: ip6("2001:db8::ffff") },
          port: 0,
          canonname: "",
        },
      ],
    },
  ],
  ["addr-info-empty", 51n, { type: "AddrInfo", entries: [] }],
  [
    "reverse-lookup-v4",
    52n,
    { type: "ReverseLookup", address: { kind: "v4", octets: ip4(255, 255, 255, 255) } },
  ],
  ["reverse-lookup-v6", 53n, { type: "ReverseLookup", address: { kind: "v6", octets: ip6("::1") } }],
  ["reverse-lookup-result", 52n, { type: "ReverseLookupResult", hostname: "broadcasthost" }],
  ["connect-tcp-v4", 60n, { type: "Connect", connId: 0n, transport: "tcp", address: v4 }],
  ["connect-udp-v6", 61n, { type: "Connect", connId: U64_MAX, transport: "udp", address: v6 }],
  [
    "connect-unix-path",
    62n,
    {
      type: "Connect",
      connId: 2n,
      transport: "unixStream",
      address: { kind: "unixPath", path: "/var/run/app.sock" },
    },
  ],
  [
    "connect-unix-abstract",
    63n,
    {
      type: "Connect",
      connId: 3n,
      transport: "unixSeqpacket",
      address: { kind: "unixAbstract", name: Uint8Array.from([0, 1, 2, 0xff]) },
    },
  ],
  [
    "connect-unix-unnamed",
    64n,
    { type: "Connect", connId: 4n, transport: "unixDatagram", address: { kind: "unixUnnamed" } },
  ],
  [
    "connected",
    60n,
    {
      type: "Connected",
      connId: 0n,
      localAddress: { kind: "ipv4", ip: ip4(10, 244, 1, 5), port: 40000 },
      remoteAddress: v4,
      interceptAddress: { kind: "ipv4", ip: ip4(127, 0, 0, 1), port: 0 },
    },
  ],
  [
    "connected-no-intercept",
    61n,
    { type: "Connected", connId: 1n, localAddress: v6, remoteAddress: v6, interceptAddress: null },
  ],
  [
    "outgoing-data",
    0n,
    { type: "OutgoingData", connId: 0n, data: utf8("GET / HTTP/1.1\r\nHost: x\r\n\r\n") },
  ],
  ["outgoing-data-shutdown", 0n, { type: "OutgoingData", connId: 0n, data: new Uint8Array() }],
  ["outgoing-close", 0n, { type: "OutgoingClose", connId: U64_MAX }],
  ["outgoing-pause", 0n, { type: "OutgoingPause", connId: 7n }],
  ["outgoing-resume", 0n, { type: "OutgoingResume", connId: 7n }],
  ["subscribe-mirror", 70n, { type: "Subscribe", port: 80, mode: "mirror", filter: null, listenAddress: v4 }],
  [
    "subscribe-steal-filter",
    71n,
    {
      type: "Subscribe",
      port: 65535,
      mode: "steal",
      filter: {
        kind: "anyOf",
        filters: [
          { kind: "header", regex: "^x-user: (alice|bob)$" },
          {
            kind: "allOf",
            filters: [
              { kind: "path", regex: "^/api/v[0-9]+/" },
              { kind: "method", method: "POST" },
              { kind: "bodyJson", query: "$.user.id", matches: "^42$" },
              { kind: "headerJq", program: 'test("ünï")' },
              { kind: "anyOf", filters: [] },
            ],
          },
        ],
      },
      listenAddress: v6,
    },
  ],
  ["subscribed", 71n, { type: "Subscribed", port: 65535 }],
  ["unsubscribe", 0n, { type: "Unsubscribe", port: 0 }],
  [
    "new-connection",
    0n,
    {
      type: "NewConnection",
      connId: 5n,
      port: 80,
      remoteAddress: { kind: "ipv4", ip: ip4(192, 168, 1, 20), port: 51234 },
      localAddress: { kind: "ipv4", ip: ip4(10, 244, 1, 5), port: 80 },
    },
  ],
  [
    "new-connection-v6",
    0n,
    { type: "NewConnection", connId: U64_MAX, port: 443, remoteAddress: v6, localAddress: v6 },
  ],
  ["incoming-data", 0n, { type: "IncomingData", connId: 5n, data: pattern(300) }],
  ["incoming-close", 0n, { type: "IncomingClose", connId: 5n }],
  [
    "conn-metadata",
    72n,
    {
      type: "ConnMetadata",
      listenerAddress: { kind: "ipv4", ip: ip4(0, 0, 0, 0), port: 8080 },
      peerAddress: { kind: "ipv4", ip: ip4(127, 0, 0, 1), port: 40001 },
    },
  ],
  [
    "conn-metadata-result",
    72n,
    {
      type: "ConnMetadataResult",
      remoteAddress: { kind: "ipv4", ip: ip4(192, 168, 1, 20), port: 51234 },
      localAddress: v4,
    },
  ],
  ["conn-metadata-miss", 73n, { type: "ConnMetadataResult", remoteAddress: null, localAddress: null }],
  [
    "http-request-head",
    0n,
    {
      type: "HttpRequestHead",
      connId: 9n,
      requestId: 0n,
      port: 80,
      method: "POST",
      uri: "/api/v1/users?q=%E2%9C%93",
      version: "http11",
      headers: [
        { name: "host", value: utf8("my-svc") },
        { name: "x-binary", value: Uint8Array.from([0, 0xff, 0x80]) },
        { name: "set-cookie", value: utf8("a=1") },
        { name: "set-cookie", value: utf8("b=2") },
      ],
    },
  ],
  [
    "http-request-body",
    0n,
    { type: "HttpRequestBody", connId: 9n, requestId: 0n, data: utf8('{"user":{"id":42}}') },
  ],
  ["http-request-end", 0n, { type: "HttpRequestEnd", connId: 9n, requestId: 0n, trailers: [] }],
  [
    "http-response-head",
    0n,
    {
      type: "HttpResponseHead",
      connId: 9n,
      requestId: U64_MAX,
      status: 101,
      version: "http2",
      headers: [{ name: "upgrade", value: utf8("websocket") }],
    },
  ],
  ["http-response-body", 0n, { type: "HttpResponseBody", connId: 9n, requestId: 0n, data: new Uint8Array() }],
  [
    "http-response-end",
    0n,
    {
      type: "HttpResponseEnd",
      connId: 9n,
      requestId: 0n,
      trailers: [{ name: "grpc-status", value: utf8("0") }],
    },
  ],
  [
    "http-abort",
    0n,
    { type: "HttpAbort", connId: 9n, requestId: 1n, message: "local app reset the connection" },
  ],
  [
    "layer-config",
    0n,
    {
      type: "LayerConfig",
      hostname: true,
      skipBuildTools: false,
      skipProcesses: ["bash", "node-gyp", unicode],
      skipExtraBuildTools: [],
      loadEnvFromProcess: true,
      envInclude: ["*"],
      envExclude: ["AWS_*", "SECRET?"],
      envUnset: ["aws_profile"],
      dnsEnabled: true,
      dnsFilterSide: 2,
      dnsFilter: [
        { kind: "name", name: "db.local", port: 0 },
        { kind: "ip", ip: { kind: "v4", octets: ip4(10, 0, 0, 1) }, port: 53 },
        { kind: "subnet", ip: { kind: "v6", octets: ip6("fd00::") }, prefix: 8, port: 0 },
        { kind: "port", port: 5432 },
      ],
      fsMode: 2,
      fsReadWrite: ["^/data/.+"],
      fsReadOnly: [],
      fsLocal: ["\\.log$"],
      fsNotFound: ["^/secret"],
      fsMapping: [{ pattern: "^/home/(\\w+)/app", replacement: "/srv/$1" }],
      fsReadBuffer: 128000,
      incomingMode: 2,
      incomingPortMapping: [{ from: 8080, to: 80 }],
      incomingListenPorts: [{ from: 80, to: 65535 }],
      incomingPorts: [80, 443],
      incomingIgnorePorts: [],
      incomingIgnoreLocalhost: true,
      outgoingTcp: true,
      outgoingUdp: false,
      outgoingIgnoreLocalhost: true,
      outgoingFilterSide: 1,
      outgoingFilter: [
        { protocol: 1, entry: { kind: "name", name: "svc.default.svc.cluster.local", port: 80 } },
        {
          protocol: 0,
          entry: { kind: "subnet", ip: { kind: "v4", octets: ip4(10, 244, 0, 0) }, prefix: 16, port: 0 },
        },
      ],
      outgoingUnixStreams: ["^/run/.+\\.sock$"],
    },
  ],
  [
    "http-request-head-h09",
    0n,
    {
      type: "HttpRequestHead",
      connId: 0n,
      requestId: 0n,
      port: 0,
      method: "",
      uri: "",
      version: "http09",
      headers: [],
    },
  ],
  [
    "http-connection",
    0n,
    {
      type: "HttpConnection",
      connId: 9n,
      port: 80,
      remoteAddress: { kind: "ipv4", ip: ip4(192, 168, 1, 20), port: 51234 },
      localAddress: { kind: "ipv4", ip: ip4(10, 244, 1, 5), port: 80 },
      version: "http11",
    },
  ],
  ["http-connection-close", 0n, { type: "HttpConnectionClose", connId: 9n }],
  ["http-upgrade-data", 0n, { type: "HttpUpgradeData", connId: 9n, requestId: 2n, data: pattern(40) }],
  ["incoming-unreachable", 0n, { type: "IncomingUnreachable", connId: U64_MAX }],
  ["connect-in-background", 62n, { type: "ConnectInBackground", connId: 3n, address: v6 }],
  [
    "connect-pending",
    62n,
    {
      type: "ConnectPending",
      connId: U64_MAX,
      interceptAddress: { kind: "ipv4", ip: ip4(127, 0, 0, 1), port: 41000 },
    },
  ],
  ["outgoing-local-address", 63n, { type: "OutgoingLocalAddress", connId: 9n }],
  [
    "outgoing-local-address-result",
    63n,
    { type: "OutgoingLocalAddressResult", address: { kind: "ipv4", ip: ip4(10, 244, 1, 5), port: 40000 } },
  ],
  ["outgoing-local-address-unknown", 64n, { type: "OutgoingLocalAddressResult", address: null }],
];

const dir = join(import.meta.dir, "../test/vectors/protocol");
mkdirSync(dir, { recursive: true });
for (const old of readdirSync(dir)) rmSync(join(dir, old));
vectors.forEach(([name, requestId, message], i) => {
  const frame: Frame = { requestId, message };
  const base = join(dir, `${String(i + 1).padStart(3, "0")}-${name}`);
  writeFileSync(`${base}.bin`, encodeFrame(frame));
  writeFileSync(`${base}.json`, `${JSON.stringify(frameToJson(frame), null, 2)}\n`);
});
console.log(`wrote ${vectors.length} vectors to ${dir}`);
