import type { CAC } from "cac";
import { createProgress } from "../../exec/progress.ts";
import { carriedLayer, layerPathForExec } from "../../layer-asset/index.ts";
import { sha256Hex } from "../../layer-asset/layer-file.ts";
import { CliError, UsageError } from "../errors.ts";
import { DEFAULT_CONFIG_PATH } from "../exec-options.ts";
import { agentReporter, loadSessionConfig } from "../session-config.ts";

const TOPICS = ["latency", "layer"] as const;

export function register(cli: CAC): void {
  cli
    .command(
      "diagnose <topic>",
      "Diagnose a mirrord setup: `latency` (round trips to the agent) or `layer` (the embedded layer)",
    )
    .option("-f, --config-file [path]", "mirrord config file (for `latency`)")
    .example("mirrord diagnose layer")
    .example("mirrord diagnose latency -f .mirrord/mirrord.json")
    .action(async (topic: string, flags: { configFile?: string | boolean }) => {
      if (topic === "latency") return diagnoseLatency(flags.configFile);
      if (topic !== "layer") {
        throw new UsageError(`unknown diagnose topic \`${topic}\``, `choose one of: ${TOPICS.join(", ")}`);
      }
      await diagnoseLayer();
    });
}

async function diagnoseLayer(): Promise<void> {
  let layer: Awaited<ReturnType<typeof carriedLayer>>;
  try {
    layer = await carriedLayer();
  } catch (error) {
    throw new CliError((error as Error).message, "a release binary for this platform carries its layer");
  }
  const extracted = await layerPathForExec(process.env);
  const out = [
    `layer: ${layer.fileName} (${layer.origin}, ${layer.bytes.length} bytes)`,
    `sha256: ${sha256Hex(layer.bytes)}`,
    `extracted to: ${extracted.path} (${extracted.written ? "written now" : "already there"}, verified)`,
  ];
  process.stdout.write(`${out.join("\n")}\n`);
}

/** Timed pings after one warm-up, as mirrord does. */
const LATENCY_PINGS = 100;

/** Round trips to the agent of the config (connect_tcp, or one created in the cluster), then its statistics. */
async function diagnoseLatency(configFile: string | boolean | undefined): Promise<void> {
  const env = { ...process.env };
  if (configFile !== undefined)
    env.MIRRORD_CONFIG_FILE = configFile === true ? DEFAULT_CONFIG_PATH : String(configFile);
  const progress = createProgress(env.MIRRORD_PROGRESS_MODE, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTty: process.stderr.isTTY === true,
  });
  const config = await loadSessionConfig(env);
  const { openCliAgentLink } = await import("../../kube/cli-link.ts");
  const { KubeError } = await import("../../kube/errors.ts");
  progress.task("connecting to the agent");
  const link = await openCliAgentLink(config, agentReporter(progress), "mirrord-diagnose").catch((error) => {
    throw error instanceof KubeError ? new CliError(error.message, error.hint) : error;
  });
  progress.done(`connected to the agent at ${link.agentAddress}`);
  const timeoutMs = (config.agent.communication_timeout ?? 30) * 1000;
  try {
    const times: number[] = [];
    for (let i = 0; i <= LATENCY_PINGS; i++) {
      const started = performance.now();
      const reply = await link.client.request({ type: "Ping" }, timeoutMs);
      if (reply.type !== "Pong") throw new CliError(`the agent answered a Ping with ${reply.type}`);
      if (i > 0) times.push(performance.now() - started);
    }
    process.stdout.write(`${latencyStatistics(times)}\n`);
  } finally {
    await link.close();
  }
}

const ms = (value: number) => `${value.toFixed(2)}ms`;

export function latencyStatistics(times: readonly number[]): string {
  const avg = times.reduce((sum, t) => sum + t, 0) / times.length;
  return `Latency statistics: min=${ms(Math.min(...times))}, max=${ms(Math.max(...times))}, avg=${ms(avg)}`;
}
