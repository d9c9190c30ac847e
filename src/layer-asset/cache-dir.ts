/** Where the layer is extracted: `$XDG_CACHE_HOME/mirrord`, `~/.cache/mirrord`, else the temp dir. */
import { accessSync, constants, mkdirSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

export interface CacheDirInputs {
  env: Record<string, string | undefined>;
  tempDir?: string;
  uid?: number;
}

/** Candidate directories in order of preference; the first one that is writable wins. */
export function cacheDirCandidates({
  env,
  tempDir = tmpdir(),
  uid = currentUid(),
}: CacheDirInputs): string[] {
  const candidates: string[] = [];
  if (env.XDG_CACHE_HOME?.startsWith("/")) candidates.push(join(env.XDG_CACHE_HOME, "mirrord"));
  if (env.HOME?.startsWith("/")) candidates.push(join(env.HOME, ".cache", "mirrord"));
  candidates.push(join(tempDir, `mirrord-${uid}`));
  return candidates;
}

/** Creates (if needed) and returns the first writable candidate. */
export function writableCacheDir(inputs: CacheDirInputs): string {
  const problems: string[] = [];
  for (const dir of cacheDirCandidates(inputs)) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      accessSync(dir, constants.W_OK | constants.X_OK);
      return dir;
    } catch (error) {
      problems.push(`${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
  throw new Error(`no writable cache directory for the mirrord layer (tried ${problems.join("; ")})`);
}

function currentUid(): number {
  try {
    return userInfo().uid;
  } catch {
    return 0;
  }
}
