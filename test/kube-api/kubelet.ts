/**
 * The stand-in's controllers on one node: the Job controller (pod per Job, activeDeadlineSeconds, TTL
 * after finished, owner cascade), a scheduler (nodeName / nodeSelector against the one node), image
 * "pulls" (a configured set of images exists), and a container runtime that runs agent containers as
 * `mirrord agent …` processes in the cluster simulator, with events as the real kubelet reports them.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Cluster, type Pod as SimPod, SimProcess } from "../simulator/index.ts";
import { resourceOfKind } from "./resources.ts";
import type { ContainerOutput, KubeApiServer, PodBackend } from "./server.ts";
import type { KubeObject, WatchEvent } from "./store.ts";

export const NODE_NAME = "sim-node";
export const NODE_LABELS = { "kubernetes.io/hostname": NODE_NAME, "kubernetes.io/os": "linux" };
const PULL_BACKOFF_MS = 300;

interface Running {
  process: SimProcess;
  /** Where a port-forward to this container's pod goes: the netns of its process. */
  netnsPid: number;
}

export interface KubeletOptions {
  cluster: Cluster;
  api: KubeApiServer;
  runDir: string;
  /** Path of the `mirrord` executable that agent containers run. */
  mirrord: string;
  /** Images that exist in the "registry"; anything else fails to pull. */
  images: Set<string>;
}

interface AgentContainer {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
}

export interface WorkloadPodSpec {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Containers of the pod; the simulated pod's app is the first one unless `appContainer` names another. */
  containers: { name: string; env?: Record<string, string> }[];
  appContainer?: string;
  ownerReferences?: KubeObject["metadata"]["ownerReferences"];
  ready?: boolean;
  initContainers?: string[];
}

const random = (n: number) =>
  Array.from(
    crypto.getRandomValues(new Uint8Array(n)),
    (b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36],
  ).join("");
const containerId = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
const now = () => new Date().toISOString();

export class Kubelet implements PodBackend {
  private readonly running = new Map<string, Running>();
  private readonly starting = new Set<string>();
  private readonly relays = new Map<string, Promise<string>>();
  private readonly simPods = new Map<string, SimPod>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly cgroup: string;
  private holders = 0;
  /** How long a successful image pull takes; tests raise it to hold an agent in its startup. */
  pullDelayMs = 0;
  private stopWatching: (() => void)[] = [];
  /** Set by `stop`: work still in flight (an image pull, a pod start) ends quietly. */
  private stopped = false;

  constructor(private readonly options: KubeletOptions) {
    this.cgroup = `/sys/fs/cgroup/pids/kube-api-${process.pid}-${random(4)}`;
  }

  start(): void {
    const { store } = this.options.api;
    this.options.api.apply({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: NODE_NAME, labels: NODE_LABELS },
      status: { allocatable: { pods: "110" } },
    });
    this.options.api.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
    this.stopWatching = [
      store.watch("jobs", {}, (e) => this.safely(() => this.onJob(e))),
      store.watch("pods", {}, (e) => this.safely(() => this.onPod(e))),
    ];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const unwatch of this.stopWatching) unwatch();
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.all([...this.running.values()].map(({ process }) => process.stop(1_000)));
    this.running.clear();
    if (existsSync(this.cgroup)) {
      for (const child of this.cgroupChildren()) {
        for (const pid of readFileSync(join(child, "cgroup.procs"), "utf8").split("\n").filter(Boolean))
          try {
            writeFileSync("/sys/fs/cgroup/pids/cgroup.procs", pid);
          } catch {}
        rmdirSync(child);
      }
      rmdirSync(this.cgroup);
    }
  }

  private cgroupChildren(): string[] {
    return [...new Bun.Glob("*/cgroup.procs").scanSync(this.cgroup)].map((p) => join(this.cgroup, p, ".."));
  }

  /** Runs `action` now; its failure (sync or async) is logged, or dropped once the kubelet stopped. */
  private safely(action: () => Promise<void> | void): void {
    const report = (error: unknown) => {
      if (!this.stopped) console.error(`kube-api kubelet: ${(error as Error).stack}`);
    };
    try {
      Promise.resolve(action()).catch(report);
    } catch (error) {
      report(error);
    }
  }

  private later(ms: number, action: () => Promise<void> | void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.safely(action);
    }, ms);
    this.timers.add(timer);
  }

  /**
   * Registers a simulated pod as a Running, Ready Pod object. Its app is put in a cgroup named after
   * its container id, so an agent finds it the way it does on a node (`/proc/<pid>/cgroup`).
   */
  addWorkloadPod(sim: SimPod, spec: WorkloadPodSpec): KubeObject {
    const namespace = spec.namespace ?? "default";
    const appContainer = spec.appContainer ?? spec.containers[0]?.name;
    const statuses = spec.containers.map((c) => {
      const id = containerId();
      if (c.name === appContainer) this.placeInCgroup(sim.appPid, id);
      return {
        name: c.name,
        ready: spec.ready ?? true,
        restartCount: 0,
        image: "app:latest",
        imageID: "",
        containerID: `containerd://${id}`,
        started: true,
        state: { running: { startedAt: now() } },
      };
    });
    this.simPods.set(`${namespace}/${spec.name}`, sim);
    return this.options.api.apply({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: spec.name,
        namespace,
        labels: spec.labels ?? {},
        annotations: spec.annotations,
        ownerReferences: spec.ownerReferences,
      },
      spec: {
        nodeName: NODE_NAME,
        containers: spec.containers.map((c) => ({
          name: c.name,
          image: "app:latest",
          env: Object.entries(c.env ?? sim.env).map(([name, value]) => ({ name, value })),
        })),
        initContainers: spec.initContainers?.map((name) => ({ name, image: "init:latest" })),
      },
      status: {
        phase: "Running",
        podIP: sim.ip,
        podIPs: [{ ip: sim.ip }],
        hostIP: "10.244.0.1",
        conditions: [{ type: "Ready", status: spec.ready === false ? "False" : "True" }],
        containerStatuses: statuses,
        initContainerStatuses: spec.initContainers?.map((name) => ({
          name,
          ready: false,
          restartCount: 0,
          image: "init:latest",
          imageID: "",
          state: { terminated: { exitCode: 0, reason: "Completed" } },
        })),
      },
    });
  }

  private placeInCgroup(pid: number, id: string): void {
    const dir = join(this.cgroup, id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "cgroup.procs"), String(pid));
  }

  logs(pod: KubeObject, container: string): ContainerOutput | undefined {
    const running = this.running.get(`${pod.metadata.namespace}/${pod.metadata.name}/${container}`);
    if (!running) return undefined;
    return {
      stdout: running.process.stdout(),
      stderr: running.process.stderr(),
      finished: running.process.exitStatus !== undefined,
    };
  }

  dial(pod: KubeObject, port: number): Promise<string> {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const sim = this.simPods.get(key);
    const agent = [...this.running.entries()].find(([k]) => k.startsWith(`${key}/`))?.[1];
    const netns =
      sim && !pod.metadata.labels?.["job-name"]
        ? sim.netnsPath
        : agent
          ? `/proc/${agent.netnsPid}/ns/net`
          : undefined;
    if (!netns) return Promise.reject(new Error(`pod ${key} has no running container`));
    const relayKey = `${netns}:${port}`;
    let relay = this.relays.get(relayKey);
    if (!relay) {
      relay = this.startRelay(netns, port);
      this.relays.set(relayKey, relay);
    }
    return relay;
  }

  /** The kubelet's side of a port-forward: a unix socket relayed to 127.0.0.1:port in the pod's netns. */
  private async startRelay(netns: string, port: number): Promise<string> {
    const path = join(this.options.runDir, `forward-${this.relays.size}-${port}.sock`);
    const relay = new SimProcess([
      "nsenter",
      `--net=${netns}`,
      "--",
      "socat",
      `UNIX-LISTEN:${path},fork,unlink-early`,
      `TCP:127.0.0.1:${port}`,
    ]);
    this.running.set(`relay:${path}`, { process: relay, netnsPid: relay.pid });
    for (let i = 0; i < 100 && !existsSync(path); i++) {
      if (relay.exitStatus !== undefined) throw new Error(`relay exited: ${relay.stderr()}`);
      await Bun.sleep(20);
    }
    if (!existsSync(path)) throw new Error("the port-forward relay did not start");
    return path;
  }

  private event(object: KubeObject, type: "Normal" | "Warning", reason: string, message: string): void {
    this.options.api.apply({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${object.metadata.name}.${random(8)}`, namespace: object.metadata.namespace },
      involvedObject: {
        kind: object.kind,
        name: object.metadata.name,
        namespace: object.metadata.namespace,
        uid: object.metadata.uid,
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: now(),
      lastTimestamp: now(),
      source: {
        component: reason === "FailedScheduling" || reason === "Scheduled" ? "default-scheduler" : "kubelet",
      },
    });
  }

  private current(kind: string, object: KubeObject): KubeObject | undefined {
    return this.options.api.store.get(
      resourceOfKind(kind).plural,
      object.metadata.namespace,
      object.metadata.name,
    );
  }

  private update(kind: string, object: KubeObject, change: (o: KubeObject) => void): KubeObject | undefined {
    const fresh = this.current(kind, object);
    if (!fresh) return undefined;
    change(fresh);
    return this.options.api.store.put(resourceOfKind(kind), fresh);
  }

  // ---------------------------------------------------------------- Job controller

  private onJob({ type, object: job }: WatchEvent): void {
    if (type !== "ADDED") return;
    const template = job.spec?.template ?? {};
    const name = `${job.metadata.name}-${random(5)}`;
    const labels = {
      ...template.metadata?.labels,
      "job-name": job.metadata.name,
      "batch.kubernetes.io/job-name": job.metadata.name,
      "controller-uid": job.metadata.uid,
    };
    this.options.api.apply({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        ...template.metadata,
        name,
        namespace: job.metadata.namespace,
        labels,
        ownerReferences: [
          {
            apiVersion: "batch/v1",
            kind: "Job",
            name: job.metadata.name,
            uid: job.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: template.spec,
      status: { phase: "Pending" },
    });
    this.update("Job", job, (j) => {
      j.status = { active: 1, startTime: now() };
    });
    const deadline = job.spec?.activeDeadlineSeconds;
    if (deadline) this.later(deadline * 1000, () => this.jobDeadline(job));
  }

  private jobDeadline(job: KubeObject): void {
    const fresh = this.current("Job", job);
    if (!fresh || fresh.status?.completionTime || fresh.status?.failed) return;
    for (const pod of this.jobPods(job))
      this.options.api.store.delete(resourceOfKind("Pod"), pod.metadata.namespace, pod.metadata.name);
    this.finishJob(job, false, "DeadlineExceeded", "Job was active longer than specified deadline");
  }

  private jobPods(job: KubeObject): KubeObject[] {
    return this.options.api.store.list("pods", {
      namespace: job.metadata.namespace,
      labelSelector: `controller-uid=${job.metadata.uid}`,
    });
  }

  private finishJob(job: KubeObject, succeeded: boolean, reason: string, message: string): void {
    const finished = this.update("Job", job, (j) => {
      j.status = {
        ...j.status,
        active: 0,
        ...(succeeded ? { succeeded: 1, completionTime: now() } : { failed: 1 }),
        conditions: [
          {
            type: succeeded ? "Complete" : "Failed",
            status: "True",
            reason,
            message,
            lastTransitionTime: now(),
          },
        ],
      };
    });
    const ttl = finished?.spec?.ttlSecondsAfterFinished;
    if (finished && ttl !== undefined)
      this.later(ttl * 1000, () => {
        const stored = this.current("Job", finished);
        if (!stored) return;
        this.options.api.store.delete(resourceOfKind("Job"), stored.metadata.namespace, stored.metadata.name);
        for (const pod of this.jobPods(stored))
          this.options.api.store.delete(resourceOfKind("Pod"), pod.metadata.namespace, pod.metadata.name);
      });
  }

  // ---------------------------------------------------------------- pods: schedule, pull, run

  private onPod({ type, object: pod }: WatchEvent): void {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (type === "DELETED") {
      // As the kubelet does: SIGTERM, then SIGKILL after the pod's grace period (the object is gone at
      // once here; Kubernetes would keep it Terminating meanwhile).
      const graceMs = (pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
      for (const [k, running] of this.running)
        if (k.startsWith(`${key}/`)) {
          void running.process.stop(graceMs);
          this.running.delete(k);
        }
      return;
    }
    if (type === "ADDED" && pod.metadata.labels?.["job-name"]) {
      this.safely(() => this.runJobPod(pod));
      return;
    }
    for (const container of pod.spec?.ephemeralContainers ?? [])
      if (!this.starting.has(`${key}/${container.name}`))
        this.safely(() => this.runEphemeral(pod, container));
  }

  private unschedulableReason(pod: KubeObject): string | undefined {
    const spec = pod.spec ?? {};
    if (spec.nodeName !== undefined && spec.nodeName !== NODE_NAME)
      return `node "${spec.nodeName}" not found`;
    const selector: Record<string, string> = spec.nodeSelector ?? {};
    const labels: Record<string, string> = NODE_LABELS;
    if (Object.entries(selector).some(([k, v]) => labels[k] !== v))
      return "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
    return undefined;
  }

  private async runJobPod(pod: KubeObject): Promise<void> {
    const unschedulable = this.unschedulableReason(pod);
    if (unschedulable) {
      this.update("Pod", pod, (p) => {
        p.status = {
          phase: "Pending",
          conditions: [
            { type: "PodScheduled", status: "False", reason: "Unschedulable", message: unschedulable },
          ],
        };
      });
      this.event(pod, "Warning", "FailedScheduling", unschedulable);
      return;
    }
    const container = pod.spec?.containers?.[0];
    this.update("Pod", pod, (p) => {
      p.spec.nodeName = NODE_NAME;
      p.status = {
        phase: "Pending",
        conditions: [{ type: "PodScheduled", status: "True" }],
        containerStatuses: [
          {
            name: container?.name,
            ready: false,
            restartCount: 0,
            image: container?.image,
            imageID: "",
            state: { waiting: { reason: "ContainerCreating" } },
          },
        ],
      };
    });
    this.event(
      pod,
      "Normal",
      "Scheduled",
      `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${NODE_NAME}`,
    );
    if (!(await this.pulled(pod, container, "containerStatuses")) || this.stopped) return;
    const holder = await this.options.cluster.addPod({
      name: `agentpod${++this.holders}`,
      hostname: pod.metadata.name.slice(0, 63),
    });
    if (!this.current("Pod", pod)) return;
    const process = this.spawnAgent(
      container,
      (argv, env) =>
        new SimProcess(
          [
            "nsenter",
            `--net=${holder.netnsPath}`,
            "--",
            "unshare",
            "--uts",
            "--mount",
            "--",
            ...this.containerized(pod.metadata.name, true, argv),
          ],
          { env },
        ),
    );
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    this.simPods.set(key, holder);
    this.running.set(`${key}/${container.name}`, { process, netnsPid: process.pid });
    this.event(pod, "Normal", "Started", `Started container ${container.name}`);
    this.update("Pod", pod, (p) => {
      p.status = {
        ...p.status,
        phase: "Running",
        podIP: holder.ip,
        podIPs: [{ ip: holder.ip }],
        conditions: [
          { type: "PodScheduled", status: "True" },
          { type: "Ready", status: "True" },
        ],
        containerStatuses: [
          {
            name: container.name,
            ready: true,
            started: true,
            restartCount: 0,
            image: container.image,
            imageID: "",
            containerID: `containerd://${containerId()}`,
            state: { running: { startedAt: now() } },
          },
        ],
      };
    });
    const exit = await process.exited;
    const code = exit.code ?? 137;
    const stored = this.update("Pod", pod, (p) => {
      p.status = {
        ...p.status,
        phase: code === 0 ? "Succeeded" : "Failed",
        conditions: [{ type: "Ready", status: "False" }],
        containerStatuses: [
          {
            ...(p.status.containerStatuses?.[0] ?? {}),
            ready: false,
            started: false,
            state: {
              terminated: { exitCode: code, reason: code === 0 ? "Completed" : "Error", finishedAt: now() },
            },
          },
        ],
      };
    });
    const job = (pod.metadata.ownerReferences as { name: string }[] | undefined)?.[0];
    const jobObject = job && this.options.api.store.get("jobs", pod.metadata.namespace, job.name);
    if (stored && jobObject)
      this.finishJob(
        jobObject,
        code === 0,
        code === 0 ? "Completed" : "BackoffLimitExceeded",
        `agent exited with ${code}`,
      );
  }

  /** Pull "succeeds" for known images; otherwise ErrImagePull, then ImagePullBackOff, as the kubelet reports. */
  private async pulled(
    pod: KubeObject,
    container: { name: string; image: string },
    field: string,
  ): Promise<boolean> {
    this.event(pod, "Normal", "Pulling", `Pulling image "${container.image}"`);
    if (this.options.images.has(container.image)) {
      await Bun.sleep(this.pullDelayMs);
      this.event(pod, "Normal", "Pulled", `Successfully pulled image "${container.image}"`);
      return true;
    }
    const failure = `rpc error: code = NotFound desc = failed to pull and unpack image "${container.image}": not found`;
    const waiting = (reason: string, message: string) =>
      this.update("Pod", pod, (p) => {
        const others = (p.status?.[field] ?? []).filter((s: { name: string }) => s.name !== container.name);
        p.status = {
          ...p.status,
          [field]: [
            ...others,
            {
              name: container.name,
              ready: false,
              restartCount: 0,
              image: container.image,
              imageID: "",
              state: { waiting: { reason, message } },
            },
          ],
        };
      });
    waiting("ErrImagePull", failure);
    this.event(pod, "Warning", "Failed", `Failed to pull image "${container.image}": ${failure}`);
    await Bun.sleep(PULL_BACKOFF_MS);
    waiting("ImagePullBackOff", `Back-off pulling image "${container.image}"`);
    this.event(pod, "Normal", "BackOff", `Back-off pulling image "${container.image}"`);
    return false;
  }

  /**
   * What a container runtime sets up inside the container's fresh mount (and, for a pod of its own, UTS)
   * namespace: the pod's hostname, and the pod's `/etc/hostname` bound over the image's.
   */
  private containerized(podName: string, ownUts: boolean, argv: string[]): string[] {
    const file = join(this.options.runDir, `hostname-${podName}`);
    writeFileSync(file, `${podName}\n`);
    const script = `${ownUts ? 'hostname "$1" && ' : ""}mount --bind "$0" /etc/hostname && shift && exec "$@"`;
    return ["sh", "-c", script, file, podName, ...argv];
  }

  private spawnAgent(
    container: AgentContainer,
    spawn: (argv: string[], env: Record<string, string>) => SimProcess,
  ): SimProcess {
    const [command, ...commandArgs] = container.command ?? [];
    if (command !== "mirrord") throw new Error(`the stand-in runs only the mirrord binary, not ${command}`);
    // The PATH a container image's config gives (Docker's default): the agent runs iptables/nft from sbin.
    const env: Record<string, string> = {
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    };
    for (const { name, value } of container.env ?? []) env[name] = value ?? "";
    return spawn([this.options.mirrord, ...commandArgs, ...(container.args ?? [])], env);
  }

  /**
   * Ephemeral container: the target pod's network and UTS namespaces. Kubernetes would also put it in the
   * target container's PID namespace; the simulator's pods have none, so it gets its own (PID 1 = agent)
   * whose `/etc/hostname` is the pod's, as the kubelet binds it into every container.
   */
  private async runEphemeral(pod: KubeObject, container: AgentContainer): Promise<void> {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const sim = this.simPods.get(key);
    if (!sim) return;
    this.starting.add(`${key}/${container.name}`);
    if (!(await this.pulled(pod, container, "ephemeralContainerStatuses")) || this.stopped) return;
    const process = this.spawnAgent(
      container,
      (argv, env) =>
        new SimProcess(
          [
            "nsenter",
            `--net=${sim.netnsPath}`,
            `--uts=/proc/${sim.appPid}/ns/uts`,
            "--",
            "unshare",
            "--pid",
            "--fork",
            "--mount",
            "--mount-proc",
            ...this.containerized(pod.metadata.name, false, argv),
          ],
          { env },
        ),
    );
    this.running.set(`${key}/${container.name}`, { process, netnsPid: process.pid });
    const setState = (state: object) =>
      this.update("Pod", pod, (p) => {
        const others = (p.status?.ephemeralContainerStatuses ?? []).filter(
          (s: { name: string }) => s.name !== container.name,
        );
        p.status.ephemeralContainerStatuses = [
          ...others,
          {
            name: container.name,
            ready: false,
            restartCount: 0,
            image: container.image,
            imageID: "",
            containerID: `containerd://${containerId()}`,
            state,
          },
        ];
      });
    setState({ running: { startedAt: now() } });
    const exit = await process.exited;
    setState({
      terminated: {
        exitCode: exit.code ?? 137,
        reason: exit.code === 0 ? "Completed" : "Error",
        finishedAt: now(),
      },
    });
  }
}
