/**
 * The runtime edge. Everything Bun-specific (bun:ffi, Bun.spawn, Bun sockets, embedded files) lives in
 * `./bun/`; the rest of `src/` imports it only through this file, and the pure modules (config, protocol,
 * filters) never import it at all, so they also run on Deno.
 */

export { detachStdio, startOwnSession, stdioDetached } from "./bun/detach.ts";
export { DetachedStartError, startDetached } from "./bun/detached-process.ts";
export { type AssetBytes, embeddedAsset, isCompiledBinary } from "./bun/embedded-files.ts";
export { type FsStats, fstatfs, openInRoot, openRoot } from "./bun/files-in-root.ts";
export { joinNamespacesOf, NamespaceError, type NamespaceKind } from "./bun/namespaces.ts";
export {
  connectNative,
  type ListenAddress,
  listenNative,
  type NativeListener,
  NativeStream,
} from "./bun/native-stream.ts";
export { type OriginalDestination, originalDestination } from "./bun/original-destination.ts";
export {
  openPacketSocket,
  type PacketFilterInstruction,
  type PacketSocket,
  PacketSocketError,
  type PacketSocketStatistics,
  type ReceivedPacket,
} from "./bun/packet-socket.ts";
export { replaceProcessImage } from "./bun/process-image.ts";
export { type SelfCommand, selfCommand } from "./bun/self-command.ts";
export { sipEnforced } from "./bun/sip.ts";
export { fetchWithTls, openWebSocketWithTls, type TlsRequestInit, type TlsSettings } from "./bun/tls-http.ts";
export { loadFancyRegexWasm } from "./bun/wasm-asset.ts";
