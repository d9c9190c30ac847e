/** Ad-hoc re-signing with Apple's codesign: drops hardened runtime, restrictions and entitlements. */
import { spawnSync } from "node:child_process";

const CODESIGN = "/usr/bin/codesign";

export function adHocSign(path: string): void {
  const result = spawnSync(CODESIGN, ["--force", "--sign", "-", path], { encoding: "utf8", timeout: 60_000 });
  if (result.error) throw new Error(`could not run ${CODESIGN} to re-sign ${path}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${CODESIGN} could not re-sign ${path} (exit ${result.status}): ${result.stderr.trim()}`);
  }
}
