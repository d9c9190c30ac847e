/**
 * Steal redirects with native nftables (`agent.nftables`): a table `inet mirrord_steal_<pid>` (IPv4 and
 * IPv6 at once) created with `flags owner` by an `nft -i` child. The kernel deletes an owned table the
 * moment the netlink socket that created it closes, so the redirects live exactly as long as that nft
 * process, and the nft process lives exactly as long as its stdin, a pipe only the agent writes to. No stale state can
 * survive anyone's death, so there is nothing to sweep. Ports are elements of one set, so adding and
 * removing a port never needs a rule handle. Two chains use the set: prerouting (traffic from outside
 * the pod) and output (the pod's own traffic over loopback, except the agent's: its group, see
 * `families.ts`, so a pass-through never loops back).
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { Logger } from "../../../transport/log.ts";
import type { Redirector, RedirectorOptions } from "./redirector.ts";

const COMMAND_TIMEOUT_MS = 15_000;
/** Before the usual dstnat priority (-100), so the steal wins over the pod's own DNAT rules. */
const CHAIN_PRIORITY = -110;

export class NftRedirector implements Redirector {
  private readonly lines: string[] = [];
  private lineWaiter: (() => void) | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private exited = false;

  private constructor(
    private readonly table: string,
    private readonly nft: ChildProcessWithoutNullStreams,
    private readonly log: Logger,
  ) {
    createInterface({ input: nft.stdout }).on("line", (line) => {
      this.lines.push(line);
      this.lineWaiter?.();
    });
    nft.on("exit", () => {
      this.exited = true;
      this.lineWaiter?.();
    });
  }

  static async start({ listenerPort, agentGid, log }: RedirectorOptions): Promise<NftRedirector> {
    const table = `mirrord_steal_${process.pid}`;
    // One pipe for both streams keeps an error next to the command that caused it.
    const nft = spawn("sh", ["-c", "exec nft -i 2>&1"], { stdio: ["pipe", "pipe", "pipe"] });
    const redirector = new NftRedirector(table, nft, log);
    try {
      await redirector.apply([
        `add table inet ${table} { flags owner; }`,
        `add set inet ${table} ports { type inet_service; }`,
        `add chain inet ${table} prerouting { type nat hook prerouting priority ${CHAIN_PRIORITY}; policy accept; }`,
        `add rule inet ${table} prerouting tcp dport @ports redirect to :${listenerPort}`,
        `add chain inet ${table} output { type nat hook output priority ${CHAIN_PRIORITY}; policy accept; }`,
        `add rule inet ${table} output meta skgid ${agentGid} return`,
        `add rule inet ${table} output oifname "lo" tcp dport @ports redirect to :${listenerPort}`,
      ]);
    } catch (error) {
      await redirector.close();
      throw new Error(`cannot set up the nftables steal table ${table}: ${(error as Error).message}`);
    }
    log.info("steal redirects ready", { backend: "nftables", table, listenerPort });
    return redirector;
  }

  add(port: number): Promise<void> {
    return this.apply([`add element inet ${this.table} ports { ${port} }`]);
  }

  remove(port: number): Promise<void> {
    return this.apply([`delete element inet ${this.table} ports { ${port} }`]);
  }

  /** The table goes with the nft process: ending its stdin is the whole cleanup. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.exited) return resolve();
      this.nft.once("exit", () => resolve());
      this.nft.stdin.end();
    });
  }

  /**
   * Sends `commands`, then a listing of the set whose closing `}` marks that nft has processed them;
   * any `Error:` line before it is the failure. Commands run one batch at a time.
   */
  private apply(commands: readonly string[]): Promise<void> {
    const run = this.queue.then(async () => {
      this.lines.length = 0;
      this.nft.stdin.write(`${commands.join("\n")}\nlist set inet ${this.table} ports\n`);
      const output = await this.readUntilListingEnds();
      const error = output.findIndex((line) => line.startsWith("Error:"));
      if (error >= 0) throw new Error(output.slice(error, error + 2).join(" — "));
      this.log.debug("nft applied", { commands: commands.join("; ") });
    });
    this.queue = run.catch(() => {});
    return run;
  }

  private async readUntilListingEnds(): Promise<string[]> {
    const deadline = Date.now() + COMMAND_TIMEOUT_MS;
    while (!this.lines.includes("}")) {
      if (this.exited) throw new Error(`nft exited: ${this.lines.join(" ")}`);
      if (Date.now() > deadline) throw new Error(`nft did not answer within ${COMMAND_TIMEOUT_MS / 1000} s`);
      await new Promise<void>((resolve) => {
        this.lineWaiter = resolve;
        setTimeout(resolve, 200);
      });
      this.lineWaiter = null;
    }
    return this.lines.splice(0);
  }
}
