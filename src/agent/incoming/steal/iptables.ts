/**
 * Steal redirects with iptables (table nat), per IP family (`iptables` / `ip6tables`): two chains per
 * agent, named after it (`<kind>_<pid>_<start time>`):
 * - `MRDIN_…`, jumped to from PREROUTING: traffic arriving from outside the pod, one `REDIRECT` per port;
 * - `MRDSTD_…`, jumped to from OUTPUT: the pod's own traffic over loopback (an app or a sidecar talking to
 *   `127.0.0.1:<port>`), one `-o lo … REDIRECT` per port, behind a first rule that lets the agent's own
 *   connections (its group, see `families.ts`) through untouched, so a pass-through never loops back.
 *   Without the owner match (missing kernel module) only the PREROUTING chain is used.
 *
 * A watchdog (`sh`, in its own session so a signal to the agent's process group spares it) blocks reading
 * a pipe only the agent writes to; when the agent goes, however it goes, the pipe reaches EOF and the
 * watchdog deletes the chains. The chain names carry the owner's PID and start time, so a later agent
 * recognises chains whose owner is dead (the watchdog died too, e.g. the whole pod was killed) and sweeps
 * them, in both families.
 *
 * A port's REDIRECT rule is never deleted while the agent runs: deleting a NAT rule also drops the reply
 * translation of the connections it already redirected (seen with iptables-nft and -legacy), which would
 * hang every stolen connection still in flight. A stopped port is shadowed instead by a `RETURN` rule in
 * front (new connections skip the redirect, established ones keep working), and un-shadowed when it is
 * stolen again; the chains go as a whole with the agent.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Logger } from "../../../transport/log.ts";
import { runChecked, runCommand } from "./commands.ts";
import type { IpFamily } from "./families.ts";
import type { Redirector } from "./redirector.ts";

const TOOL: Record<IpFamily, string> = { IPv4: "iptables", IPv6: "ip6tables" };

/** The two chain kinds of an agent and the built-in chain each hangs from. */
const HOOK_OF: Record<string, string> = { MRDIN: "PREROUTING", MRDSTD: "OUTPUT" };
const CHAIN_PATTERN = /^-N ((MRDIN|MRDSTD)_(\d+)_(\d+))$/;

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

const nat =
  (family: IpFamily) =>
  (...args: string[]) => [TOOL[family], "-w", "-t", "nat", ...args];

/** The commands that remove `chain` (hanging from `from`) completely; each may fail harmlessly. */
function teardown(family: IpFamily, chain: string, from: string): string[][] {
  const command = nat(family);
  return [command("-D", from, "-j", chain), command("-F", chain), command("-X", chain)];
}

/** Deletes redirect chains, of both families, whose owning agent is no longer alive. Returns them. */
export async function sweepStaleChains(log: Logger): Promise<string[]> {
  const swept: string[] = [];
  for (const family of ["IPv4", "IPv6"] as const) {
    let listing: string;
    try {
      listing = await runChecked(nat(family)("-S"));
    } catch (error) {
      log.debug("no iptables to sweep", { family, error: (error as Error).message });
      continue;
    }
    for (const line of listing.split("\n")) {
      const match = CHAIN_PATTERN.exec(line.trim());
      if (!match) continue;
      const [, chain, kind, pid, start] = match as unknown as [string, string, string, string, string];
      if (startTimeOf(Number(pid)) === start) continue; // its agent still runs
      for (const command of teardown(family, chain, HOOK_OF[kind] as string)) await runCommand(command);
      log.warn("removed stale steal redirects left by a dead agent", { chain, family });
      swept.push(chain);
    }
  }
  return swept;
}

function shellQuote(argv: readonly string[]): string {
  return argv.map((arg) => `'${arg.replaceAll("'", `'\\''`)}'`).join(" ");
}

/** Starts the watchdog that runs `cleanup` once its stdin (held only by this process) closes. */
function startWatchdog(cleanup: readonly string[][]): ChildProcess {
  const script = ["cat >/dev/null", ...cleanup.map((c) => `${shellQuote(c)} 2>/dev/null`)].join("\n");
  const watchdog = spawn("sh", ["-c", script], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
  watchdog.unref();
  return watchdog;
}

export interface IptablesOptions {
  family: IpFamily;
  listenerPort: number;
  /** The agent's group: its sockets skip the loopback redirect. */
  agentGid: number;
  log: Logger;
}

/** One redirect chain: its name and the match a port's rules in it start with. */
interface Chain {
  name: string;
  portMatch: (port: number) => string[];
}

export class IptablesRedirector implements Redirector {
  /** Ports with a REDIRECT rule in the chains, and those of them shadowed by a RETURN rule. */
  private readonly redirected = new Set<number>();
  private readonly shadowed = new Set<number>();
  private readonly nat: (...args: string[]) => string[];

  private constructor(
    private readonly chains: readonly Chain[],
    private readonly listenerPort: number,
    private readonly watchdog: ChildProcess,
    private readonly options: IptablesOptions,
  ) {
    this.nat = nat(options.family);
  }

  static async start(options: IptablesOptions): Promise<IptablesRedirector> {
    const { family, listenerPort, agentGid, log } = options;
    const suffix = `${process.pid}_${startTimeOf(process.pid) ?? 0}`;
    const inbound = { name: `MRDIN_${suffix}`, from: "PREROUTING" };
    const loopback = { name: `MRDSTD_${suffix}`, from: "OUTPUT" };
    const command = nat(family);
    const watchdog = startWatchdog([
      ...teardown(family, inbound.name, inbound.from),
      ...teardown(family, loopback.name, loopback.from),
    ]);
    const chains: Chain[] = [
      { name: inbound.name, portMatch: (port) => ["-p", "tcp", "--dport", String(port)] },
    ];
    const redirector = new IptablesRedirector(chains, listenerPort, watchdog, options);
    try {
      await runChecked(command("-N", inbound.name));
      await runChecked(command("-I", inbound.from, "1", "-j", inbound.name));
    } catch (error) {
      await redirector.close();
      throw new Error(
        `cannot set up the ${TOOL[family]} steal chain ${inbound.name}: ${(error as Error).message}`,
      );
    }
    try {
      await runChecked(command("-N", loopback.name));
      await runChecked(
        command("-A", loopback.name, "-m", "owner", "--gid-owner", String(agentGid), "-j", "RETURN"),
      );
      await runChecked(command("-I", loopback.from, "1", "-j", loopback.name));
      chains.push({
        name: loopback.name,
        portMatch: (port) => ["-o", "lo", "-p", "tcp", "--dport", String(port)],
      });
    } catch (error) {
      // The chain (if created) stays empty and unjumped until the watchdog removes it.
      log.warn("the pod's own loopback traffic will not be stolen", {
        family,
        error: (error as Error).message,
      });
    }
    log.info("steal redirects ready", {
      backend: TOOL[family],
      chains: chains.map((c) => c.name).join(" "),
      listenerPort,
    });
    return redirector;
  }

  async add(port: number): Promise<void> {
    for (const chain of this.chains) {
      if (this.shadowed.has(port))
        await runChecked(this.nat("-D", chain.name, ...this.shadowRule(chain, port)));
      else if (!this.redirected.has(port))
        await runChecked(this.nat("-A", chain.name, ...this.redirectRule(chain, port)));
    }
    this.shadowed.delete(port);
    this.redirected.add(port);
    this.options.log.debug("port redirected", { port, family: this.options.family });
  }

  async remove(port: number): Promise<void> {
    if (!this.redirected.has(port) || this.shadowed.has(port)) return;
    for (const chain of this.chains)
      await runChecked(this.nat("-I", chain.name, "1", ...this.shadowRule(chain, port)));
    this.shadowed.add(port);
    this.options.log.debug("port redirect shadowed", { port, family: this.options.family });
  }

  /** Closing the watchdog's pipe is the one way redirects are removed, on a clean exit as on a crash. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.watchdog.exitCode !== null || this.watchdog.signalCode !== null) return resolve();
      this.watchdog.once("exit", () => resolve());
      this.watchdog.stdin?.end();
    });
  }

  private redirectRule(chain: Chain, port: number): string[] {
    return [...chain.portMatch(port), "-j", "REDIRECT", "--to-ports", String(this.listenerPort)];
  }

  private shadowRule(chain: Chain, port: number): string[] {
    return [...chain.portMatch(port), "-j", "RETURN"];
  }
}
