/**
 * Cluster DNS: dnsmasq in its own namespace, authoritative for cluster.local, answering only the records the
 * cluster adds (no upstream servers, so no query ever leaves the cluster). Pods reach it through their
 * resolv.conf; the host has no route to it.
 */
import { writeFileSync } from "node:fs";
import { DNS_IP, listeningPorts, netnsPath } from "./network.ts";
import { run, SimProcess, waitFor } from "./process.ts";

const READY_TIMEOUT_MS = 5_000;
const DNS_PORT = 53;

export class ClusterDns {
  private readonly records = new Map<string, string>();

  private constructor(
    private readonly netns: string,
    private readonly hostsFile: string,
    readonly process: SimProcess,
  ) {}

  /** Starts dnsmasq in `netns` (already attached at DNS_IP) and waits until it answers. */
  static async start(netns: string, runDir: string, track: (pid: number) => void): Promise<ClusterDns> {
    const hostsFile = `${runDir}/dns-hosts`;
    writeFileSync(hostsFile, "");
    const dnsmasq = new SimProcess(
      [
        "nsenter",
        `--net=${netnsPath(netns)}`,
        "--",
        "dnsmasq",
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--user=root",
        "--no-resolv",
        "--no-hosts",
        "--no-poll",
        "--bind-interfaces",
        `--listen-address=${DNS_IP}`,
        `--pid-file=${runDir}/dnsmasq.pid`,
        `--addn-hosts=${hostsFile}`,
        "--local=/cluster.local/",
        "--domain-needed",
        "--log-facility=-",
      ],
      { onSpawn: track },
    );
    const dns = new ClusterDns(netns, hostsFile, dnsmasq);
    // Query only once bound: busybox nslookup waits 5 s on a refused query instead of failing.
    await waitFor("cluster DNS to bind port 53", READY_TIMEOUT_MS, () => {
      dns.failIfExited();
      return listeningPorts(dnsmasq.pid, "udp").has(DNS_PORT);
    });
    await dns.waitUntilAnswers("localhost.cluster.local", undefined);
    return dns;
  }

  /** Adds (or replaces) A records and waits until dnsmasq serves them. */
  async add(entries: Record<string, string>): Promise<void> {
    for (const [name, ip] of Object.entries(entries)) this.records.set(name, ip);
    const lines = [...this.records].map(([name, ip]) => `${ip} ${name}`);
    writeFileSync(this.hostsFile, `${lines.join("\n")}\n`);
    this.process.kill("SIGHUP");
    for (const [name, ip] of Object.entries(entries)) await this.waitUntilAnswers(name, ip);
  }

  private failIfExited(): void {
    if (this.process.exitStatus !== undefined) {
      throw new Error(`cluster DNS (dnsmasq) exited: ${this.process.stderr()}`);
    }
  }

  /**
   * Queries the server from inside its own namespace. With `ip` undefined any authoritative answer
   * (NXDOMAIN included) proves it is up.
   */
  private async waitUntilAnswers(name: string, ip: string | undefined): Promise<void> {
    await waitFor(`cluster DNS to answer ${name}`, READY_TIMEOUT_MS, async () => {
      this.failIfExited();
      const lookup = await run(
        ["nsenter", `--net=${netnsPath(this.netns)}`, "--", "busybox", "nslookup", "-type=a", name, DNS_IP],
        { timeoutMs: 2_000 },
      ).catch(() => undefined);
      if (lookup === undefined) return false;
      const output = lookup.stdout + lookup.stderr;
      return ip === undefined ? /NXDOMAIN|Address:/.test(output) : output.includes(`Address: ${ip}`);
    });
  }
}
