import type { CAC } from "cac";
import { CliError } from "../errors.ts";

export function register(cli: CAC): void {
  cli
    .command(
      "extract <dir>",
      "(internal) Write the embedded layer library into <dir> as libmirrord_layer.<ext>",
    )
    .action(async (dir: string) => {
      try {
        const { extractLayerTo } = await import("../../layer-asset/index.ts");
        const layer = await extractLayerTo(dir);
        process.stdout.write(`${layer.path}\n`);
      } catch (error) {
        throw new CliError(
          `could not extract the layer into ${dir}: ${(error as Error).message}`,
          "check that the directory is writable",
          { cause: error },
        );
      }
    });
}
