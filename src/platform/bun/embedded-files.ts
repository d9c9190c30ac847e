/** Files `scripts/build` embeds into the single executable (`bun build --compile … --asset-naming=[name].[ext]`). */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface AssetBytes {
  bytes: Uint8Array;
  /** Where the bytes came from, for diagnostics: "embedded" or a file path in the source tree. */
  origin: string;
}

/**
 * Returns the embedded file `name`, or — when running from source rather than the compiled binary —
 * the same file from the build tree (`devPath`, relative to the repository root).
 */
export async function embeddedAsset(name: string, devPath: string): Promise<AssetBytes | undefined> {
  for (const blob of Bun.embeddedFiles) {
    if ((blob as Blob & { name?: string }).name === name) {
      return { bytes: new Uint8Array(await blob.arrayBuffer()), origin: "embedded" };
    }
  }
  const repoRoot = join(import.meta.dir, "..", "..", "..");
  const candidate = join(repoRoot, devPath);
  if (!import.meta.dir.startsWith("/$bunfs") && existsSync(candidate)) {
    return { bytes: readFileSync(candidate), origin: candidate };
  }
  return undefined;
}

/** True inside the `bun build --compile` executable. */
export function isCompiledBinary(): boolean {
  return import.meta.dir.startsWith("/$bunfs") || Bun.embeddedFiles.length > 0;
}
