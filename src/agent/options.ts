/** What `mirrord agent …` was asked to do, validated. Parsing only: no side effects. */

export const DEFAULT_PORT = 61337;
export const DEFAULT_COMMUNICATION_TIMEOUT_S = 30;

export type AgentMode =
  | { kind: "targeted"; pid: number }
  | { kind: "targetedContainer"; containerId: string; runtime: string }
  | { kind: "ephemeral" }
  | { kind: "targetless" };

export interface AgentOptions {
  port: number;
  communicationTimeoutMs: number;
  mode: AgentMode;
}

/** The invocation is wrong; the message names the flag or argument and what is accepted. */
export class AgentUsageError extends Error {
  override readonly name = "AgentUsageError";
}

export interface RawAgentArgs {
  mode: readonly string[];
  communicatePort?: unknown;
  communicationTimeout?: unknown;
  pid?: unknown;
  containerId?: unknown;
  containerRuntime?: unknown;
}

const MODES =
  "targeted --pid PID | targeted --container-id ID --container-runtime RT | ephemeral | targetless";

function integerFlag(value: unknown, flag: string, min: number, max: number): number {
  const text = String(value);
  const number = Number(text);
  if (!/^\d+$/.test(text) || number < min || number > max)
    throw new AgentUsageError(`${flag} must be an integer from ${min} to ${max}, got "${text}"`);
  return number;
}

export function parseAgentArgs(raw: RawAgentArgs): AgentOptions {
  const port =
    raw.communicatePort === undefined
      ? DEFAULT_PORT
      : integerFlag(raw.communicatePort, "--communicate-port", 1, 65535);
  const timeoutS =
    raw.communicationTimeout === undefined
      ? DEFAULT_COMMUNICATION_TIMEOUT_S
      : integerFlag(raw.communicationTimeout, "--communication-timeout", 1, 86_400);
  return { port, communicationTimeoutMs: timeoutS * 1000, mode: parseMode(raw) };
}

function parseMode(raw: RawAgentArgs): AgentMode {
  const [kind, ...extra] = raw.mode;
  if (kind === undefined) throw new AgentUsageError(`missing mode: expected ${MODES}`);
  if (extra.length > 0) throw new AgentUsageError(`unexpected argument "${extra[0]}" after mode ${kind}`);
  const targetFlags = [raw.pid, raw.containerId, raw.containerRuntime].some((v) => v !== undefined);
  if (kind !== "targeted" && targetFlags)
    throw new AgentUsageError(
      `--pid, --container-id and --container-runtime belong to mode targeted, not ${kind}`,
    );
  switch (kind) {
    case "ephemeral":
    case "targetless":
      return { kind };
    case "targeted":
      if (raw.pid !== undefined) {
        if (raw.containerId !== undefined)
          throw new AgentUsageError("targeted takes either --pid or --container-id, not both");
        return { kind: "targeted", pid: integerFlag(raw.pid, "--pid", 1, 2 ** 22) };
      }
      if (raw.containerId !== undefined)
        return {
          kind: "targetedContainer",
          containerId: String(raw.containerId),
          runtime: raw.containerRuntime === undefined ? "containerd" : String(raw.containerRuntime),
        };
      throw new AgentUsageError("targeted needs --pid PID (or --container-id ID --container-runtime RT)");
    default:
      throw new AgentUsageError(`unknown mode "${kind}": expected ${MODES}`);
  }
}
