/**
 * `GetHostname` and `GetUname`: the target's identity. The agent sits in the target's UTS namespace
 * (targeted mode joins it, an ephemeral container shares it), so `os.hostname()` is the target's
 * nodename; `/etc/hostname` under the target's root wins when it names one.
 */
import { readFile } from "node:fs/promises";
import os from "node:os";
import type { TargetContext } from "../target.ts";
import type { FeatureHandlers } from "./handler.ts";

async function firstLine(path: string): Promise<string> {
  try {
    return (await readFile(path, "utf8")).split("\n", 1)[0]?.trim() ?? "";
  } catch {
    return "";
  }
}

export async function targetHostname(target: TargetContext): Promise<string> {
  if (target.mode === "targetless") return os.hostname();
  return (await firstLine(`${target.root}/etc/hostname`)) || os.hostname();
}

export const hostnameFeature: FeatureHandlers = {
  GetHostname: async (_request, target) => ({ type: "Hostname", hostname: await targetHostname(target) }),
  GetUname: async (_request, target) => ({
    type: "Uname",
    sysname: os.type(),
    nodename: await targetHostname(target),
    release: os.release(),
    version: os.version(),
    machine: os.machine(),
    domainname: (await firstLine("/proc/sys/kernel/domainname")) || "(none)",
  }),
};
