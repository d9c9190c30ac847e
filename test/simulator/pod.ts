/** A running pod (or client): its namespaces are held by a sleeper process; the app, if any, runs beside it. */
import type { Role } from "./network.ts";
import { ipv6Of, netnsPath } from "./network.ts";
import { type RunResult, run, type SimProcess } from "./process.ts";

export const POD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface ExecOptions {
  input?: string;
  /** Added to (and overriding) the pod's environment. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** The full environment of processes started in the pod, like a container's: the app's env plus basics. */
export function podEnvironment(hostname: string, env: Record<string, string>): Record<string, string> {
  return { PATH: POD_PATH, HOSTNAME: hostname, HOME: "/root", ...env };
}

export class Pod {
  constructor(
    readonly name: string,
    readonly role: Role,
    readonly ip: string,
    readonly hostname: string,
    /** The pod's named network namespace (`ip netns` name). */
    readonly netns: string,
    readonly env: Record<string, string>,
    private readonly holder: SimProcess,
    /** The target app; undefined for clients and app-less pods. */
    readonly app: SimProcess | undefined,
  ) {}

  /** The pod's IPv6 address (on the cluster's one /64, reachable from every namespace). */
  get ipv6(): string {
    return ipv6Of(this.ip);
  }

  /** PID (in the host's PID namespace) of the app: what `mirrord agent targeted --pid` is given. */
  get appPid(): number {
    if (this.app === undefined) throw new Error(`pod ${this.name} runs no app, so it has no app PID`);
    return this.app.pid;
  }

  /** Path of the pod's network namespace, for `nsenter --net=`. */
  get netnsPath(): string {
    return netnsPath(this.netns);
  }

  /**
   * The argv that runs `argv` inside all of the pod's namespaces (network, mount + root, UTS) with the
   * pod's environment, like `kubectl exec`. nsenter execs in place, so the PID started is the command's.
   */
  commandLine(argv: readonly string[], env: Record<string, string> = {}): string[] {
    const environment = podEnvironment(this.hostname, { ...this.env, ...env });
    return [
      "nsenter",
      "-t",
      String(this.holder.pid),
      "-n",
      "-m",
      "-u",
      "-r",
      "-w",
      "--",
      "/usr/bin/env",
      "-i",
      ...Object.entries(environment).map(([key, value]) => `${key}=${value}`),
      ...argv,
    ];
  }

  /** Runs a command inside the pod to completion. */
  exec(argv: readonly string[], options: ExecOptions = {}): Promise<RunResult> {
    if (argv.length === 0) throw new Error(`exec in pod ${this.name}: empty command`);
    const { env, ...runOptions } = options;
    return run(this.commandLine(argv, env), runOptions);
  }

  /** What the app printed so far (stdout then stderr), like `kubectl logs`. */
  logs(): string {
    return this.app === undefined ? "" : this.app.stdout() + this.app.stderr();
  }
}
