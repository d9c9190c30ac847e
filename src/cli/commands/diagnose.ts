import type { CAC } from "cac";
import { carriedLayer, layerPathForExec } from "../../layer-asset/index.ts";
import { sha256Hex } from "../../layer-asset/layer-file.ts";
import { CliError, UsageError } from "../errors.ts";
import { notAvailableYet } from "../not-available.ts";

const TOPICS = ["latency", "layer"] as const;

export function register(cli: CAC): void {
  cli
    .command(
      "diagnose <topic>",
      "Diagnose a mirrord setup: `latency` (round trips to the agent) or `layer` (the embedded layer)",
    )
    .option("-f, --config-file [path]", "mirrord config file (for `latency`)")
    .example("mirrord diagnose layer")
    .action(async (topic: string) => {
      if (topic === "latency") notAvailableYet("diagnose latency", "the data-plane issue");
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
