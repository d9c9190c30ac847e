/** The built `dist/mirrord` executable, as the end-to-end tests run it. */
import { existsSync } from "node:fs";
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dir, "..", "..");

export function mirrordBinary(): string {
  const path = join(REPO_ROOT, "dist", "mirrord");
  if (!existsSync(path))
    throw new Error(`${path} does not exist: run scripts/build (scripts/test does) first`);
  return path;
}

/** The environment `mirrord exec` runs with against the agent at `agentAddress` (no kube, no progress). */
export function execEnv(agentAddress: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    MIRRORD_CONNECT_TCP: agentAddress,
    MIRRORD_PROGRESS_MODE: "off",
    ...extra,
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion with a hard time limit, capturing its output. */
export async function run(
  argv: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const child = Bun.spawn(argv, {
    env: options.env ?? (process.env as Record<string, string>),
    cwd: options.cwd,
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}
