/**
 * The mirrord agent: runs beside the target (in its network and UTS namespaces) and serves the
 * target's environment, identity, and later files, DNS and traffic to the clients that connect.
 * Entry point for `mirrord agent`; the CLI command only parses flags and calls `runAgent`.
 */
import { existsSync } from "node:fs";
import packageJson from "../../package.json" with { type: "json" };
import { joinNamespacesOf, replaceProcessImage, selfCommand } from "../platform/index.ts";
import { parseHexSecret } from "../transport/address.ts";
import { Logger, parseLogLevel } from "../transport/log.ts";
import { findContainerPid } from "./container-pid.ts";
import { incomingService } from "./features/incoming.ts";
import { sweepStaleChains } from "./incoming/steal/iptables.ts";
import type { AgentOptions } from "./options.ts";
import { AgentServer } from "./server.ts";
import { ephemeralContext, type TargetContext, targetedContext, targetlessContext } from "./target.ts";

export const AGENT_VERSION: string = packageJson.version;

/** Set on the re-exec'd agent: it already lives in the namespaces of this PID. */
export const IN_NAMESPACES_ENV = "MIRRORD_AGENT_IN_NAMESPACES_OF";

/**
 * JavaScriptCore settings the agent runs with. The runtime reads them from the environment as it
 * starts, so an agent started without them re-executes itself once (a targeted agent folds this into
 * its re-exec into the target's namespaces). The agent's hot paths are I/O: without the DFG optimizing
 * tier its peak memory while relaying drops by ~6 MiB (its Job is limited to 100 MiB) with no
 * measured loss of throughput (scripts/bench.ts rows P4, P5, P5f, P8).
 */
export const AGENT_RUNTIME_ENV: Readonly<Record<string, string>> = { BUN_JSC_useDFGJIT: "0" };

/** A problem that stops the agent before it serves anyone; the message is the whole story. */
export class AgentStartError extends Error {
  override readonly name = "AgentStartError";
}

function agentLogger(env: NodeJS.ProcessEnv): Logger {
  return new Logger({
    level: parseLogLevel(env.MIRRORD_AGENT_LOG_LEVEL) ?? parseLogLevel(env.RUST_LOG) ?? "info",
    json: env.MIRRORD_AGENT_JSON_LOG?.toLowerCase() === "true",
    target: "mirrord-agent",
    write: (line) => process.stderr.write(line),
  });
}

/**
 * setns only moves the calling thread, and Bun already runs helper threads, so after joining the
 * target's namespaces the agent re-executes itself: the new process starts entirely inside them.
 * Returns only when already inside (or on failure, by throwing).
 */
function enterNamespacesOf(pid: number): void {
  if (process.env[IN_NAMESPACES_ENV] === String(pid)) return;
  if (!existsSync(`/proc/${pid}`)) throw new AgentStartError(`no process with PID ${pid} to target`);
  try {
    joinNamespacesOf(pid, ["net", "uts"]);
  } catch (error) {
    throw new AgentStartError(`cannot enter the namespaces of PID ${pid}: ${(error as Error).message}`);
  }
  reexecute({ ...AGENT_RUNTIME_ENV, [IN_NAMESPACES_ENV]: String(pid) }, "inside the target's namespaces");
}

/** Returns only when the runtime already has AGENT_RUNTIME_ENV (or on failure, by throwing). */
function applyRuntimeEnv(): void {
  if (Object.entries(AGENT_RUNTIME_ENV).every(([name, value]) => process.env[name] === value)) return;
  reexecute(AGENT_RUNTIME_ENV, "with its runtime settings");
}

function reexecute(extraEnv: Readonly<Record<string, string>>, why: string): never {
  const self = selfCommand(process.argv.slice(2));
  const env = { ...(process.env as Record<string, string>), ...extraEnv };
  const errno = replaceProcessImage(self.path, self.argv, env);
  throw new AgentStartError(`re-executing ${self.path} ${why} failed (errno ${errno})`);
}

function resolveTarget(options: AgentOptions, log: Logger): TargetContext {
  switch (options.mode.kind) {
    case "targeted":
      enterNamespacesOf(options.mode.pid);
      return targetedContext(options.mode.pid, log);
    case "targetedContainer": {
      let pid: number;
      try {
        pid = findContainerPid(options.mode.containerId, options.mode.runtime);
      } catch (error) {
        throw new AgentStartError((error as Error).message);
      }
      enterNamespacesOf(pid);
      return targetedContext(pid, log);
    }
    case "ephemeral":
      applyRuntimeEnv();
      return ephemeralContext(log);
    case "targetless":
      applyRuntimeEnv();
      return targetlessContext();
  }
}

/** Serves until idle; resolves with the process exit code. */
export async function runAgent(options: AgentOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const log = agentLogger(env);
  const secretHex = env.MIRRORD_AGENT_SECRET;
  let secret: Uint8Array | null = null;
  try {
    if (secretHex !== undefined) secret = parseHexSecret(secretHex, "MIRRORD_AGENT_SECRET");
  } catch (error) {
    throw new AgentStartError((error as Error).message);
  }
  const target = resolveTarget(options, log);
  if (target.mode !== "targetless") await sweepStaleChains(log);
  if (!secret) log.warn("MIRRORD_AGENT_SECRET is not set: accepting every client");
  const server = new AgentServer({
    port: options.port,
    timeoutMs: options.communicationTimeoutMs,
    identity: { serverVersion: `mirrord-agent ${AGENT_VERSION}`, secret },
    target,
    log,
  });
  let address: string;
  try {
    address = await server.start();
  } catch (error) {
    throw new AgentStartError(`cannot listen on port ${options.port}: ${(error as Error).message}`);
  }
  log.info("listening", { address, mode: target.mode, pid: target.pid ?? "none" });
  process.stdout.write(`agent ready - version ${AGENT_VERSION}\n`);
  const reason = await server.done;
  await incomingService.close();
  log.info("exiting", { reason });
  return 0;
}
