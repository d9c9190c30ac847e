/**
 * Steal redirects with iptables (table nat): one chain per agent, `MRDIN_<pid>_<start time>`, jumped to
 * from PREROUTING, holding one `REDIRECT` per stolen port. A watchdog (`sh`, in its own session so a
 * signal to the agent's process group spares it) blocks reading a pipe only the agent writes to; when
 * the agent goes, however it goes, the pipe reaches EOF and the watchdog deletes the chain. The chain
 * name carries the owner's PID and start time, so a later agent recognises chains whose owner is dead
 * (the watchdog died too, e.g. the whole pod was killed) and sweeps them.
 *
 * A port's REDIRECT rule is never deleted while the agent runs: deleting a NAT rule also drops the
 * reply translation of the connections it already redirected (seen with iptables-nft and -legacy),
 * which would hang every stolen connection still in flight. A stopped port is shadowed instead by a
 * `RETURN` rule in front (new connections skip the redirect, established ones keep working), and
 * un-shadowed when it is stolen again; the chain goes as a whole with the agent.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Logger } from "../../../transport/log.ts";
import { runChecked, runCommand } from "./commands.ts";
import type { Redirector, RedirectorOptions } from "./redirector.ts";

const IPTABLES = "iptables";
const CHAIN_PREFIX = "MRDIN_";
const CHAIN_PATTERN = /^-N (MRDIN_(\d+)_(\d+))$/;

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function chainOf(pid: number): string {
  return `${CHAIN_PREFIX}${pid}_${startTimeOf(pid) ?? 0}`;
}

const nat = (...args: string[]) => [IPTABLES, "-w", "-t", "nat", ...args];

/** The commands that remove `chain` completely; each may fail harmlessly when already done. */
function teardown(chain: string): string[][] {
  return [nat("-D", "PREROUTING", "-j", chain), nat("-F", chain), nat("-X", chain)];
}

/** Deletes redirect chains whose owning agent is no longer alive. Returns the chains it removed. */
export async function sweepStaleChains(log: Logger): Promise<string[]> {
  let listing: string;
  try {
    listing = await runChecked(nat("-S"));
  } catch (error) {
    log.debug("no iptables to sweep", { error: (error as Error).message });
    return [];
  }
  const swept: string[] = [];
  for (const line of listing.split("\n")) {
    const match = CHAIN_PATTERN.exec(line.trim());
    if (!match) continue;
    const [, chain, pid, start] = match as unknown as [string, string, string, string];
    if (startTimeOf(Number(pid)) === start) continue; // its agent still runs
    for (const command of teardown(chain)) await runCommand(command);
    log.warn("removed stale steal redirects left by a dead agent", { chain });
    swept.push(chain);
  }
  return swept;
}

function shellQuote(argv: readonly string[]): string {
  return argv.map((arg) => `'${arg.replaceAll("'", `'\\''`)}'`).join(" ");
}

/** Starts the watchdog that removes `chain` once its stdin (held only by this process) closes. */
function startWatchdog(chain: string): ChildProcess {
  const script = ["cat >/dev/null", ...teardown(chain).map((c) => `${shellQuote(c)} 2>/dev/null`)].join("\n");
  const watchdog = spawn("sh", ["-c", script], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
  watchdog.unref();
  return watchdog;
}

export class IptablesRedirector implements Redirector {
  /** Ports with a REDIRECT rule in the chain, and those of them shadowed by a RETURN rule. */
  private readonly redirected = new Set<number>();
  private readonly shadowed = new Set<number>();

  private constructor(
    private readonly chain: string,
    private readonly listenerPort: number,
    private readonly watchdog: ChildProcess,
    private readonly log: Logger,
  ) {}

  static async start({ listenerPort, log }: RedirectorOptions): Promise<IptablesRedirector> {
    const chain = chainOf(process.pid);
    const watchdog = startWatchdog(chain);
    const redirector = new IptablesRedirector(chain, listenerPort, watchdog, log);
    try {
      await runChecked(nat("-N", chain));
      await runChecked(nat("-I", "PREROUTING", "1", "-j", chain));
    } catch (error) {
      await redirector.close();
      throw new Error(`cannot set up the iptables steal chain ${chain}: ${(error as Error).message}`);
    }
    log.info("steal redirects ready", { backend: "iptables", chain, listenerPort });
    return redirector;
  }

  private redirectRule(port: number): string[] {
    return ["-p", "tcp", "--dport", String(port), "-j", "REDIRECT", "--to-ports", String(this.listenerPort)];
  }

  private shadowRule(port: number): string[] {
    return ["-p", "tcp", "--dport", String(port), "-j", "RETURN"];
  }

  async add(port: number): Promise<void> {
    if (this.shadowed.has(port)) {
      await runChecked(nat("-D", this.chain, ...this.shadowRule(port)));
      this.shadowed.delete(port);
    } else if (!this.redirected.has(port)) {
      await runChecked(nat("-A", this.chain, ...this.redirectRule(port)));
      this.redirected.add(port);
    }
    this.log.debug("port redirected", { port, chain: this.chain });
  }

  async remove(port: number): Promise<void> {
    if (!this.redirected.has(port) || this.shadowed.has(port)) return;
    await runChecked(nat("-I", this.chain, "1", ...this.shadowRule(port)));
    this.shadowed.add(port);
    this.log.debug("port redirect shadowed", { port, chain: this.chain });
  }

  /** Closing the watchdog's pipe is the one way redirects are removed, on a clean exit as on a crash. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.watchdog.exitCode !== null || this.watchdog.signalCode !== null) return resolve();
      this.watchdog.once("exit", () => resolve());
      this.watchdog.stdin?.end();
    });
  }
}
