/** Names of everything one simulator run creates; each carries the owner PID so a sweeper can tell dead runs. */

export const RUN_ROOT = "/tmp/mirrord-sim";
const RUN_TAG = "msim";
const OWNER_IN_NAME = /^msim[-_](\d+)[-_]/;
const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Checks a DNS-label-like name (what Kubernetes accepts for pods and services) and bounds its length. */
export function checkLabel(what: string, value: string, maxLength: number): string {
  if (value.length === 0 || value.length > maxLength || !LABEL.test(value)) {
    throw new Error(
      `invalid ${what} ${JSON.stringify(value)}: use 1-${maxLength} lowercase letters, digits and inner dashes`,
    );
  }
  return value;
}

/** `msim-<ownerPid>-<cluster>`: the stem of every netns, directory and table of one cluster. */
export function runPrefix(ownerPid: number, clusterName: string): string {
  return `${RUN_TAG}-${ownerPid}-${clusterName}`;
}

/** nft table names allow no dashes. */
export function guardTableName(prefix: string): string {
  return prefix.replaceAll("-", "_");
}

/** The owner PID encoded in a netns, directory or table name of some run, if the name is one of ours. */
export function ownerPidOf(name: string): number | undefined {
  const match = OWNER_IN_NAME.exec(name);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

export function runDirOf(prefix: string): string {
  return `${RUN_ROOT}/${prefix}`;
}

/** Name of one part of a run (`msim-1-t1.pod.api`); dots cannot occur in labels, so parts never collide. */
export function partName(prefix: string, ...parts: string[]): string {
  return [prefix, ...parts].join(".");
}

export function isOfRun(name: string, prefix: string): boolean {
  return name === prefix || name.startsWith(`${prefix}.`) || name === guardTableName(prefix);
}
