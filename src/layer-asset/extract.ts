/**
 * Writes the layer's bytes to disk so the dynamic loader can map it.
 *
 * Content-addressed (the path contains the SHA-256), written atomically (temp file + rename in the same
 * directory), and verified by hash before use, so any number of `mirrord` processes starting at once
 * all end up with a complete, correct file and never see a half-written one.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sha256Hex } from "./layer-file.ts";

export interface ExtractedLayer {
  path: string;
  sha256: string;
  /** False when a verified copy was already there. */
  written: boolean;
}

/** Extracts into `<cacheDir>/<sha256 prefix>/<fileName>`, reusing a verified existing copy. */
export async function extractToCache(
  bytes: Uint8Array,
  fileName: string,
  cacheDir: string,
): Promise<ExtractedLayer> {
  const sha256 = sha256Hex(bytes);
  const dir = join(cacheDir, sha256.slice(0, 32));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, fileName);
  if (await hasContent(path, sha256)) return { path, sha256, written: false };
  writeAtomically(path, bytes);
  if (!(await hasContent(path, sha256))) {
    throw new Error(`the layer written to ${path} does not match its expected SHA-256 ${sha256}`);
  }
  return { path, sha256, written: true };
}

/** Writes `<dir>/<fileName>` atomically (the hidden `mirrord extract <dir>`). */
export async function extractToDirectory(
  bytes: Uint8Array,
  fileName: string,
  dir: string,
): Promise<ExtractedLayer> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, fileName);
  writeAtomically(path, bytes);
  return { path, sha256: sha256Hex(bytes), written: true };
}

function writeAtomically(path: string, bytes: Uint8Array): void {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    writeFileSync(temp, bytes, { mode: 0o755, flag: "wx" });
    chmodSync(temp, 0o755);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

async function hasContent(path: string, sha256: string): Promise<boolean> {
  let existing: Uint8Array;
  try {
    existing = readFileSync(path);
  } catch {
    return false;
  }
  return sha256Hex(existing) === sha256;
}
