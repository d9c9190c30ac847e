/**
 * The cluster simulator: pods as namespaces on a bridge in a "node" namespace, cluster DNS, cluster-only
 * services, client namespaces and port-forwards, all named after the owning PID and removed on destroy.
 */
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { destroyRun, ownerFile, pidRecord, pidsFile, sweepDeadRuns } from "./cleanup.ts";
import { ClusterDns } from "./dns.ts";
import { type Forward, startForward } from "./forward.ts";
import { installGuard } from "./guard.ts";
import { trackLive, untrackLive } from "./lifetime.ts";
import { checkLabel, guardTableName, partName, runDirOf, runPrefix } from "./naming.ts";
import {
  AddressPlan,
  createAttachedNetns,
  createNode,
  DNS_IP,
  listeningPorts,
  netnsPath,
  type Role,
} from "./network.ts";
import { Pod } from "./pod.ts";
import { SimProcess, waitFor } from "./process.ts";
import { initScript, type PodFiles, prepareRootfs } from "./rootfs.ts";

export const NAMESPACE = "default";
const CLUSTER_NAME_MAX = 20;
const POD_NAME_MAX = 40;
const DEFAULT_READY_TIMEOUT_MS = 10_000;
const HOLDER_READY_TIMEOUT_MS = 5_000;

export interface ClusterOptions {
  /** Short per-test name, part of every namespace and directory name. */
  name: string;
}

export interface PodSpec {
  name: string;
  /** Defaults to the pod name, as in Kubernetes. */
  hostname?: string;
  env?: Record<string, string>;
  /** Files of the pod's filesystem, by absolute path (/etc/hostname, /etc/hosts, /etc/resolv.conf are made). */
  files?: PodFiles;
  /** The app's argv, run inside the pod with the pod's env; see `apps.ts` for the sample apps. */
  app?: readonly string[];
  /** TCP ports the app listens on: addPod returns once all of them listen. */
  ports?: readonly number[];
  readyTimeoutMs?: number;
}

export type ServiceSpec = { name: string; port: number } & (
  | { pod: Pod }
  | { app: readonly string[]; env?: Record<string, string>; files?: PodFiles }
);

export interface Service {
  name: string;
  /** `<name>.default.svc.cluster.local` */
  fqdn: string;
  ip: string;
  port: number;
  pod: Pod;
}

export interface SpawnInNetnsOptions {
  /** Added to (and overriding) this process's environment. */
  env?: Record<string, string>;
  cwd?: string;
}

export class Cluster {
  readonly prefix: string;
  readonly runDir: string;
  private readonly addresses = new AddressPlan();
  private readonly pods = new Map<string, Pod>();
  private readonly services = new Map<string, Service>();
  private dns: ClusterDns | undefined;
  private veths = 0;
  private forwards = 0;
  private destroyed = false;

  private constructor(readonly name: string) {
    this.prefix = runPrefix(process.pid, name);
    this.runDir = runDirOf(this.prefix);
  }

  /** Builds an empty cluster (node, DNS, host guard) after sweeping leftovers of dead earlier runs. */
  static async create(options: ClusterOptions): Promise<Cluster> {
    const problem = simulatorUnavailableReason();
    if (problem !== undefined) throw new Error(`cluster simulator unavailable: ${problem}`);
    sweepDeadRuns();
    const cluster = new Cluster(checkLabel("cluster name", options.name, CLUSTER_NAME_MAX));
    if (existsSync(cluster.runDir)) throw new Error(`cluster ${options.name} already exists in this process`);
    mkdirSync(cluster.runDir, { recursive: true, mode: 0o755 });
    writeFileSync(ownerFile(cluster.runDir), pidRecord(process.pid));
    trackLive(cluster);
    try {
      await installGuard(guardTableName(cluster.prefix));
      await createNode(cluster.nodeNetns);
      const dnsNetns = partName(cluster.prefix, "dns");
      await createAttachedNetns(cluster.nodeNetns, dnsNetns, DNS_IP, cluster.veths++);
      cluster.dns = await ClusterDns.start(dnsNetns, cluster.runDir, cluster.track);
    } catch (error) {
      cluster.destroySync();
      throw error;
    }
    return cluster;
  }

  private get nodeNetns(): string {
    return partName(this.prefix, "node");
  }

  /** Records a PID so destroy and a later sweeper can kill it even if it left the cluster's namespaces. */
  private readonly track = (pid: number): void => {
    appendFileSync(pidsFile(this.runDir), pidRecord(pid));
  };

  private get clusterDns(): ClusterDns {
    if (this.destroyed || this.dns === undefined) throw new Error(`cluster ${this.name} is destroyed`);
    return this.dns;
  }

  /** Starts a pod: own network, mount, UTS namespaces and rootfs; its app if given. */
  addPod(spec: PodSpec): Promise<Pod> {
    return this.startPod(spec, "pod");
  }

  /** A namespace to send traffic from, with the cluster's DNS config: a pod without an app. */
  addClient(name: string): Promise<Pod> {
    return this.startPod({ name }, "client");
  }

  /**
   * A cluster-only service: resolvable as `<name>` / `<name>.default.svc.cluster.local` from pods and
   * clients, unreachable from the host. Backed by the given pod, or by a new pod running `app`.
   */
  async addService(spec: ServiceSpec): Promise<Service> {
    const name = checkLabel("service name", spec.name, POD_NAME_MAX);
    if (this.services.has(name)) throw new Error(`service ${name} already exists in cluster ${this.name}`);
    const pod =
      "pod" in spec
        ? spec.pod
        : await this.startPod(
            { name, app: spec.app, env: spec.env ?? {}, files: spec.files ?? {}, ports: [spec.port] },
            "service",
          );
    const fqdn = `${name}.${NAMESPACE}.svc.cluster.local`;
    await this.clusterDns.add({ [fqdn]: pod.ip });
    const service = { name, fqdn, ip: pod.ip, port: spec.port, pod };
    this.services.set(name, service);
    return service;
  }

  private async startPod(spec: PodSpec, role: Role): Promise<Pod> {
    const name = checkLabel(`${role} name`, spec.name, POD_NAME_MAX);
    if (this.pods.has(name)) throw new Error(`${role} ${name} already exists in cluster ${this.name}`);
    const dns = this.clusterDns;
    const hostname = checkLabel("hostname", spec.hostname ?? name, 63);
    const ip = this.addresses.next(role);
    const netns = partName(this.prefix, role, name);
    await createAttachedNetns(this.nodeNetns, netns, ip, this.veths++);
    const rootDir = `${this.runDir}/${role}-${name}/root`;
    mkdirSync(rootDir, { recursive: true });
    const binds = prepareRootfs({ dir: rootDir, hostname, ip, files: spec.files ?? {} });
    const holder = new SimProcess(
      [
        "nsenter",
        `--net=${netnsPath(netns)}`,
        "--",
        "unshare",
        "--mount",
        "--uts",
        "--propagation",
        "private",
        "--",
        "/bin/sh",
        "-c",
        initScript(rootDir, hostname, binds),
      ],
      { onSpawn: this.track },
    );
    await holder.waitForStdout(
      /^ready$/m,
      `${role} ${name} to set up its filesystem`,
      HOLDER_READY_TIMEOUT_MS,
    );
    const env = spec.env ?? {};
    const podWithoutApp = new Pod(name, role, ip, hostname, netns, env, holder, undefined);
    const app =
      spec.app === undefined
        ? undefined
        : new SimProcess(podWithoutApp.commandLine(spec.app), { onSpawn: this.track });
    const pod = new Pod(name, role, ip, hostname, netns, env, holder, app);
    this.pods.set(name, pod);
    await dns.add({ [`${ip.replaceAll(".", "-")}.${NAMESPACE}.pod.cluster.local`]: ip });
    if (app !== undefined && spec.ports !== undefined && spec.ports.length > 0) {
      await this.waitForPorts(pod, app, spec.ports, spec.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    }
    return pod;
  }

  private async waitForPorts(pod: Pod, app: SimProcess, ports: readonly number[], timeoutMs: number) {
    await waitFor(`pod ${pod.name} to listen on ${ports.join(", ")}`, timeoutMs, () => {
      if (app.exitStatus !== undefined) {
        throw new Error(`app of pod ${pod.name} exited before listening: ${pod.logs()}`);
      }
      const listening = listeningPorts(app.pid, "tcp");
      return ports.every((port) => listening.has(port));
    });
  }

  /**
   * A long-running process sharing ONLY the pod's network namespace: host filesystem, host PID view, the
   * caller's environment. This is how the agent runs beside its target.
   */
  spawnInPodNetns(pod: Pod, argv: readonly string[], options: SpawnInNetnsOptions = {}): SimProcess {
    if (argv.length === 0) throw new Error(`spawnInPodNetns(${pod.name}): empty command`);
    const env = { ...(process.env as Record<string, string>), ...options.env };
    const spawnOptions = { env, onSpawn: this.track, ...(options.cwd ? { cwd: options.cwd } : {}) };
    return new SimProcess(["nsenter", `--net=${pod.netnsPath}`, "--", ...argv], spawnOptions);
  }

  /** Like `kubectl port-forward`: a port on the host's 127.0.0.1 reaching 127.0.0.1:`podPort` in the pod. */
  forward(pod: Pod, podPort: number): Promise<Forward> {
    if (!Number.isInteger(podPort) || podPort < 1 || podPort > 65535) {
      throw new Error(`forward to pod ${pod.name}: invalid port ${podPort}`);
    }
    const socket = `${this.runDir}/forward-${this.forwards++}.sock`;
    return startForward(pod.netns, podPort, socket, this.track);
  }

  pod(name: string): Pod {
    const pod = this.pods.get(name);
    if (pod === undefined) throw new Error(`no pod ${name} in cluster ${this.name}`);
    return pod;
  }

  /** Removes every namespace, process, table and directory of this cluster. Idempotent. */
  async destroy(): Promise<void> {
    this.destroySync();
  }

  /** Synchronous {@link destroy}, for exit handlers. */
  destroySync(): void {
    this.destroyed = true;
    untrackLive(this);
    destroyRun(this.prefix);
  }
}

const REQUIRED_TOOLS = [
  "ip",
  "nft",
  "nsenter",
  "unshare",
  "dnsmasq",
  "socat",
  "busybox",
  "mount",
  "pivot_root",
];

/** Why the simulator cannot run here (not root, tools missing), or undefined if it can. */
export function simulatorUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return "it needs root (network namespaces, mounts, nftables)";
  const path = (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/sbin"]);
  const missing = REQUIRED_TOOLS.filter((tool) => !path.some((dir) => existsSync(`${dir}/${tool}`)));
  return missing.length > 0 ? `missing ${missing.join(", ")} (run scripts/install-system-deps)` : undefined;
}
