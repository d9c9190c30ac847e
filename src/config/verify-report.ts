/**
 * `mirrord verify-config` report: `{"type":"Success","config":{path,namespace},"warnings":[…],
 * "compatible_target_types":[…]}` or `{"type":"Fail","errors":["…"]}`. The command always exits 0.
 */

import { ConfigError } from "./errors.ts";
import { type LoadOptions, loadConfig } from "./load.ts";
import type { ResolvedConfig } from "./root.ts";
import { parseTargetString, TARGET_KINDS } from "./target-path.ts";

export type VerifyReport =
  | {
      type: "Success";
      config: { path: unknown; namespace: string | null };
      warnings: string[];
      compatible_target_types: string[];
      resolved_config?: ResolvedConfig;
    }
  | { type: "Fail"; errors: [string] };

const ALL_TARGET_TYPES = ["targetless", ...TARGET_KINDS];

/** mirrord's object encoding of a target path: "targetless", {"pod": x, "container": c|null}, {"labels": {…}}. */
function targetForReport(path: string | undefined): unknown {
  if (path === undefined) return null;
  const target = parseTargetString(path);
  if (target.kind === "targetless") return "targetless";
  if (target.kind === "label") {
    return target.container === undefined
      ? { labels: target.labels }
      : { labels: target.labels, container: target.container };
  }
  return { [target.kind]: target.name, container: target.container ?? null };
}

function compatibleTargetTypes(config: ResolvedConfig): string[] {
  const copy = config.feature.copy_target;
  if (!copy.enabled) return ALL_TARGET_TYPES;
  const dropped = new Set(["targetless", "rollout", "service", ...(copy.scale_down ? ["pod"] : [])]);
  return ALL_TARGET_TYPES.filter((type) => !dropped.has(type));
}

export interface VerifyReportOptions extends LoadOptions {
  /** IDE mode: an absent target is not final, so targetless-only checks are skipped. */
  ide: boolean;
  /** Include the resolved config in the report. */
  resolved?: boolean;
}

export async function verifyConfigReport(options: VerifyReportOptions): Promise<VerifyReport> {
  try {
    const { config, warnings } = await loadConfig({ ...options, targetlessWhenAbsent: !options.ide });
    return {
      type: "Success",
      config: { path: targetForReport(config.target.path), namespace: config.target.namespace ?? null },
      warnings,
      compatible_target_types: compatibleTargetTypes(config),
      ...(options.resolved ? { resolved_config: config } : {}),
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { type: "Fail", errors: [`Failed to verify mirrord config: ${error.message}`] };
  }
}
