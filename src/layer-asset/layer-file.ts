import { createHash } from "node:crypto";

/** Which layer file a platform loads, and how its bytes are named on disk. */

export type LayerPlatform = "linux" | "darwin";

export function layerFileName(platform: string): string {
  if (platform === "linux") return "libmirrord_layer.so";
  if (platform === "darwin") return "libmirrord_layer.dylib";
  throw new Error(`mirrord has no layer for the ${platform} platform (only Linux and macOS are supported)`);
}

/** Lower-case hex SHA-256, the layer's identity in the cache. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
