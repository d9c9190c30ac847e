/**
 * mirrord-ts wire protocol: the one message catalogue and its binary codec, shared by the layer
 * (through the generated C twin), the intproxy and the agent. Pure TS: runs on Bun and Deno.
 */
export { ErrorKind, PROTOCOL_VERSION } from "./catalogue.ts";
export { MAX_NESTING_DEPTH } from "./codec.ts";
export { ProtocolError, type ProtocolErrorCode } from "./errors.ts";
export {
  checkFrameLength,
  decodeFrame,
  encodeFrame,
  encodeFrameParts,
  FrameDecoder,
  HEADER_SIZE,
  LENGTH_PREFIX_SIZE,
  MAX_FRAME_SIZE,
} from "./frame.ts";
export {
  answerHello,
  checkHelloReply,
  HandshakeError,
  helloMessage,
  parseVersion,
  type ServerIdentity,
  versionMismatch,
} from "./handshake.ts";
export { ipAddressFromText, ipAddressToText } from "./ip-address.ts";
export { frameFromJson, frameToJson, type Json } from "./json.ts";
export { ipEndpoint, socketAddressFromIp, socketAddressToText } from "./socket-address.ts";
export type * from "./types.gen.ts";
