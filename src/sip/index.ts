/**
 * macOS SIP handling for `mirrord exec`: returns the command to execve so that the layer is actually
 * loaded (a patched copy of a protected binary or interpreter), or the original command elsewhere.
 */
import { BinaryNotFoundError, resolveBinary } from "../exec/resolve-binary.ts";
import { writableCacheDir } from "../layer-asset/cache-dir.ts";
import { sipEnforced } from "../platform/index.ts";
import { adHocSign } from "./codesign.ts";
import { type SipCommand, sipCommand } from "./patch.ts";

export type { SipCommand } from "./patch.ts";

export interface SipConfig {
  sip_binaries?: readonly string[] | undefined;
  skip_sip: readonly string[];
}

export function sipCommandForExec(
  binary: string,
  argv: string[],
  config: SipConfig,
  env: Record<string, string | undefined>,
  platform: string = process.platform,
): SipCommand {
  if (platform !== "darwin") return { path: binary, argv, patched: [] };
  return sipCommand(binary, argv, {
    sipBinaries: config.sip_binaries ?? [],
    skipSip: config.skip_sip,
    sipEnforced: sipEnforced(),
    cacheDir: writableCacheDir({ env }),
    resign: adHocSign,
    findOnPath: (name) => {
      try {
        return resolveBinary(name, env, process.cwd());
      } catch (error) {
        if (error instanceof BinaryNotFoundError) return undefined;
        throw error;
      }
    },
  });
}
