/** Which layer file a platform loads, and how its bytes are named on disk. */

export type LayerPlatform = "linux" | "darwin";

export function layerFileName(platform: string): string {
  if (platform === "linux") return "libmirrord_layer.so";
  if (platform === "darwin") return "libmirrord_layer.dylib";
  throw new Error(`mirrord has no layer for the ${platform} platform (only Linux and macOS are supported)`);
}

/** Lower-case hex SHA-256, the layer's identity in the cache. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
