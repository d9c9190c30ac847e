/** Settings that parse but that this build cannot honour yet (they need the mirrord operator). `exec` refuses them. */
import type { ResolvedConfig } from "./root.ts";
import { OPERATOR_TARGET_KINDS, type TargetKind } from "./target-path.ts";

const OPERATOR = "it needs the mirrord operator, which this build does not support yet";

export function unsupportedFeatures(config: ResolvedConfig): string[] {
  const { feature } = config;
  const found: string[] = [];
  const add = (what: string) => found.push(`${what} is not supported yet: ${OPERATOR}`);
  if (config.operator === true) add("`operator: true`");
  const kind = config.target.path?.split("/")[0] as TargetKind | undefined;
  if (kind !== undefined && OPERATOR_TARGET_KINDS.includes(kind)) add(`target type \`${kind}\``);
  if (feature.copy_target.enabled) add("`feature.copy_target`");
  if (feature.split_queues !== undefined) add("`feature.split_queues`");
  if (feature.db_branches !== undefined) add("`feature.db_branches`");
  if (feature.preview !== undefined) add("`feature.preview`");
  if (config.profile !== undefined) add("`profile`");
  if (config.multi_cluster === true) add("`multi_cluster`");
  const incoming = feature.network.incoming;
  if (incoming.on_concurrent_steal !== "abort") add("`feature.network.incoming.on_concurrent_steal`");
  if (incoming.tls_delivery !== undefined || incoming.https_delivery !== undefined) {
    add("`feature.network.incoming.tls_delivery`");
  }
  return found;
}
