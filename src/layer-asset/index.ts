/** The layer shared object carried inside the `mirrord` executable: find it, extract it, describe it. */
import { embeddedAsset } from "../platform/index.ts";
import { writableCacheDir } from "./cache-dir.ts";
import { type ExtractedLayer, extractToCache, extractToDirectory } from "./extract.ts";
import { layerFileName } from "./layer-file.ts";

export type { ExtractedLayer } from "./extract.ts";

export interface LayerBytes {
  fileName: string;
  bytes: Uint8Array;
  origin: string;
}

/** The layer for this platform, or an error saying clearly that this build carries none. */
export async function carriedLayer(platform = process.platform): Promise<LayerBytes> {
  const fileName = layerFileName(platform);
  const asset = await embeddedAsset(fileName, `layer/build/${fileName}`);
  if (!asset) {
    throw new Error(
      `this mirrord build carries no layer for ${platform}-${process.arch} (${fileName}); ` +
        "build it with `scripts/build` on a supported host",
    );
  }
  return { fileName, ...asset };
}

/**
 * The path the loader should preload: `MIRRORD_LAYER_FILE` when the user points at their own build,
 * otherwise the carried layer extracted to the content-addressed cache.
 */
export async function layerPathForExec(env: Record<string, string | undefined>): Promise<ExtractedLayer> {
  const override = env.MIRRORD_LAYER_FILE;
  if (override) return { path: override, sha256: "", written: false };
  const layer = await carriedLayer();
  return extractToCache(layer.bytes, layer.fileName, writableCacheDir({ env }));
}

/** `mirrord extract <dir>`: writes the carried layer as `<dir>/libmirrord_layer.<ext>`. */
export async function extractLayerTo(dir: string): Promise<ExtractedLayer> {
  const layer = await carriedLayer();
  return extractToDirectory(layer.bytes, layer.fileName, dir);
}
