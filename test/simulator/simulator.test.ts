import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { promises as dnsPromises } from "node:dns";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { hostname as laptopHostname } from "node:os";
import {
  Cluster,
  DNS_IP,
  type Pod,
  type Service,
  sampleApps,
  simulatorUnavailableReason,
  sweepDeadRuns,
} from "./index.ts";
import { runSync } from "./process.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable !== undefined) console.warn(`SKIPPING cluster simulator tests: ${unavailable}`);

/** What the laptop looks like before any cluster exists, to prove the simulator never touches it. */
const laptopBefore = {
  resolvConf: readFileSync("/etc/resolv.conf", "utf8"),
  hosts: readFileSync("/etc/hosts", "utf8"),
  links: hostLinks(),
};

function hostLinks(): string[] {
  return runSync(["ip", "-o", "link", "show"])
    .stdout.split("\n")
    .map((line) => line.split(": ")[1] ?? "")
    .filter((name) => name !== "");
}

function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== "Z";
}

/** Everything of a run, found with standard tools and /proc rather than the simulator's own bookkeeping. */
function traces(prefix: string, runDir: string) {
  const netns = runSync(["ip", "netns", "list"])
    .stdout.split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((name) => name.startsWith(`${prefix}.`));
  const pidsInNetns = netns.flatMap((name) =>
    runSync(["ip", "netns", "pids", name]).stdout.split("\n").filter(Boolean).map(Number),
  );
  const pidsNamingRun = readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((entry) => {
      try {
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
        return cmdline.includes(runDir) || cmdline.includes(`${prefix}.`);
      } catch {
        return false;
      }
    })
    .map(Number);
  return {
    netns,
    processes: [...new Set([...pidsInNetns, ...pidsNamingRun])].filter(isRunning),
    mounts: readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .filter((line) => line.includes(prefix)),
    nftTables: runSync(["nft", "list", "tables"]).stdout.includes(prefix.replaceAll("-", "_")),
    runDirExists: existsSync(runDir),
    newHostLinks: hostLinks().filter((name) => !laptopBefore.links.includes(name)),
  };
}

const NOTHING_LEFT: ReturnType<typeof traces> = {
  netns: [],
  processes: [],
  mounts: [],
  nftTables: false,
  runDirExists: false,
  newHostLinks: [],
};

const clusterOwners: ChildProcess[] = [];

/** Runs fixtures/cluster-owner.ts in its own process; resolves once its cluster is up. */
async function startClusterOwner() {
  const owner = spawn(process.execPath, [`${import.meta.dir}/fixtures/cluster-owner.ts`], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  clusterOwners.push(owner);
  const line = await firstLine(owner.stdout, 20_000);
  return { owner, leftover: JSON.parse(line) as { prefix: string; runDir: string; appPid: number } };
}

/** Connects from the laptop (host namespace); resolves with the error code, or "connected". */
function laptopConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3_000 });
    socket.on("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.on("timeout", () => {
      socket.destroy();
      resolve("timeout");
    });
    socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** A TCP round trip run inside a pod or client with the pod's own python and resolver. */
const echoThrough = (host: string, port: number) => [
  "python3",
  "-c",
  `import socket; s = socket.create_connection((${JSON.stringify(host)}, ${port}), timeout=5); ` +
    `s.sendall(b"ping"); print(s.recv(4).decode())`,
];

describe.skipIf(unavailable !== undefined)("cluster simulator", () => {
  let cluster: Cluster;
  let api: Pod;
  let client: Pod;
  let db: Service;

  beforeAll(async () => {
    cluster = await Cluster.create({ name: "simtest" });
    api = await cluster.addPod({
      name: "api",
      hostname: "api-7d9f",
      env: { APP_MODE: "cluster" },
      files: { "/etc/app/config.yaml": "mode: cluster\n", "/data/secret": "s3cr3t-from-pod" },
      app: sampleApps.httpEcho(8080),
      ports: [8080],
    });
    client = await cluster.addClient("c1");
    db = await cluster.addService({ name: "db", port: 5432, app: sampleApps.tcpEcho(5432) });
  });

  afterAll(async () => {
    await cluster?.destroy();
    for (const owner of clusterOwners) owner.kill("SIGKILL");
    sweepDeadRuns();
  });

  it("gives the pod its own hostname, files and env, visible to an agent through /proc/<appPid>", async () => {
    const inPod = await api.exec(["sh", "-c", "hostname; cat /etc/hostname /data/secret"]);
    expect(inPod).toMatchObject({ code: 0, stdout: "api-7d9f\napi-7d9f\ns3cr3t-from-pod" });
    expect(laptopHostname()).not.toBe("api-7d9f");

    const root = `/proc/${api.appPid}/root`;
    expect(readFileSync(`${root}/etc/hostname`, "utf8")).toBe("api-7d9f\n");
    expect(readFileSync(`${root}/etc/app/config.yaml`, "utf8")).toBe("mode: cluster\n");
    expect(readFileSync(`${root}/data/secret`, "utf8")).toBe("s3cr3t-from-pod");
    expect(readFileSync(`${root}/etc/hosts`, "utf8")).toContain(`${api.ip}\tapi-7d9f`);
    const resolvConf = readFileSync(`${root}/etc/resolv.conf`, "utf8");
    expect(resolvConf).toBe(
      `search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${DNS_IP}\noptions ndots:5\n`,
    );
    expect(resolvConf).not.toBe(laptopBefore.resolvConf);

    const environ = readFileSync(`/proc/${api.appPid}/environ`, "utf8").split("\0").filter(Boolean);
    expect(environ.sort()).toEqual([
      "APP_MODE=cluster",
      "HOME=/root",
      "HOSTNAME=api-7d9f",
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ]);
  });

  it("lets a client namespace fetch HTTP from the pod's app by pod IP", async () => {
    const fetched = await client.exec([
      "curl",
      "-sS",
      "--max-time",
      "5",
      `http://${api.ip}:8080/orders?id=7`,
    ]);
    expect(fetched.code).toBe(0);
    expect(JSON.parse(fetched.stdout)).toMatchObject({
      hostname: "api-7d9f",
      mode: "cluster",
      method: "GET",
      path: "/orders?id=7",
    });
    expect(api.logs()).toContain("GET /orders?id=7");
  });

  it("lets pods and clients resolve and reach a cluster-only service by short and full name", async () => {
    for (const name of ["db", "db.default", "db.default.svc.cluster.local"]) {
      const resolved = await api.exec(["getent", "hosts", name]);
      expect(resolved.stdout.split(/\s+/)[0]).toBe(db.ip);
    }
    expect(await api.exec(echoThrough("db", db.port))).toMatchObject({ code: 0, stdout: "ping\n" });
    expect(await client.exec(echoThrough(db.fqdn, db.port))).toMatchObject({ code: 0, stdout: "ping\n" });
    expect((await api.exec(["getent", "hosts", "nope.default.svc.cluster.local"])).code).not.toBe(0);
  });

  it("lets a service select an existing pod, so clients reach the pod's app by service name", async () => {
    const web = await cluster.addService({ name: "web", port: 8080, pod: api });
    expect(web).toMatchObject({ ip: api.ip, fqdn: "web.default.svc.cluster.local", pod: api });
    const fetched = await client.exec(["curl", "-sS", "--max-time", "5", "http://web:8080/by-name"]);
    expect(JSON.parse(fetched.stdout)).toMatchObject({ hostname: "api-7d9f", path: "/by-name" });
  });

  it("keeps the laptop out: no interface into the cluster, no DNS answers, no connection", async () => {
    expect(readFileSync("/etc/resolv.conf", "utf8")).toBe(laptopBefore.resolvConf);
    expect(readFileSync("/etc/hosts", "utf8")).toBe(laptopBefore.hosts);
    expect(hostLinks()).toEqual(laptopBefore.links);

    const resolver = new dnsPromises.Resolver({ timeout: 2_000, tries: 1 });
    resolver.setServers([DNS_IP]);
    const answer = await resolver.resolve4(db.fqdn).catch((error: NodeJS.ErrnoException) => error.code);
    expect(answer).not.toEqual([db.ip]);
    expect(answer).toBeString();

    // Refused at once by the host guard ("No route to host"; Bun 1.4.5 reports it as ECONNREFUSED).
    const started = Date.now();
    for (const [ip, port] of [
      [db.ip, db.port],
      [api.ip, 8080],
    ] as const) {
      expect(["EHOSTUNREACH", "ECONNREFUSED"]).toContain(await laptopConnect(ip, port));
    }
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("forwards a host loopback port to a loopback-only server in the pod, like kubectl port-forward", async () => {
    const agentLike = cluster.spawnInPodNetns(api, [
      "socat",
      "TCP-LISTEN:61337,bind=127.0.0.1,reuseaddr,fork",
      "SYSTEM:echo hello-from-pod-netns",
    ]);
    const forward = await cluster.forward(api, 61337);
    try {
      expect(forward.host).toBe("127.0.0.1");
      expect(readlinkNs(agentLike.pid, "net")).toBe(readlinkNs(api.appPid, "net"));
      expect(readlinkNs(agentLike.pid, "mnt")).toBe(readlinkNs(process.pid, "mnt"));
      expect(readlinkNs(agentLike.pid, "uts")).toBe(readlinkNs(process.pid, "uts"));
      const reply = await readAll(forward.host, forward.port);
      expect(reply).toBe("hello-from-pod-netns\n");
      const viaApp = await fetch(
        `http://127.0.0.1:${(await cluster.forward(api, 8080)).port}/through-forward`,
      );
      expect(((await viaApp.json()) as { hostname: string }).hostname).toBe("api-7d9f");
    } finally {
      await forward.close();
      await agentLike.stop();
    }
  });

  it("reports an app that dies before listening, with its output", async () => {
    const failing = cluster.addPod({
      name: "crashy",
      app: ["sh", "-c", "echo config missing >&2; exit 3"],
      ports: [9000],
    });
    await expect(failing).rejects.toThrow(/crashy exited before listening: config missing/);
  });

  it("refuses pod files the simulator would mount over and duplicate names, naming them", async () => {
    await expect(cluster.addPod({ name: "bad", files: { "/usr/bin/evil": "x" } })).rejects.toThrow(
      "pod file /usr/bin/evil lies under /usr",
    );
    await expect(cluster.addPod({ name: "api" })).rejects.toThrow("pod api already exists");
    await expect(cluster.addPod({ name: "Bad_Name" })).rejects.toThrow('invalid pod name "Bad_Name"');
  });

  it("destroys everything it made, and a second destroy is harmless", async () => {
    const doomed = await Cluster.create({ name: "doomed" });
    const pod = await doomed.addPod({ name: "web", app: sampleApps.httpEcho(80), ports: [80] });
    await doomed.addClient("c");
    await doomed.addService({ name: "cache", port: 6379, app: sampleApps.tcpEcho(6379) });
    await doomed.forward(pod, 80);
    doomed.spawnInPodNetns(pod, ["sleep", "300"]);

    const before = traces(doomed.prefix, doomed.runDir);
    expect(before.netns.length).toBe(5);
    expect(before.processes).toContain(pod.appPid);
    expect(before.processes.length).toBeGreaterThanOrEqual(8);
    expect(before.mounts.length).toBeGreaterThan(0);
    expect(before.nftTables).toBe(true);

    await doomed.destroy();
    await doomed.destroy();
    expect(traces(doomed.prefix, doomed.runDir)).toEqual(NOTHING_LEFT);
    await expect(doomed.addPod({ name: "late" })).rejects.toThrow("cluster doomed is destroyed");
  });

  it("cleans up by itself when its process is terminated with SIGTERM", async () => {
    const { owner, leftover } = await startClusterOwner();
    expect(traces(leftover.prefix, leftover.runDir).processes).toContain(leftover.appPid);
    owner.kill("SIGTERM");
    const [code] = (await once(owner, "exit")) as [number | null];
    expect(code).toBe(143);
    expect(traces(leftover.prefix, leftover.runDir)).toEqual(NOTHING_LEFT);
  });

  it("sweeps the leftovers of a run whose owner died, and leaves live runs alone", async () => {
    const { owner, leftover } = await startClusterOwner();
    expect(sweepDeadRuns()).not.toContain(owner.pid);
    expect(isRunning(leftover.appPid)).toBe(true);

    owner.kill("SIGKILL");
    await once(owner, "exit");
    const abandoned = traces(leftover.prefix, leftover.runDir);
    expect(abandoned.netns.length).toBe(3);
    expect(abandoned.processes).toContain(leftover.appPid);

    expect(sweepDeadRuns()).toContain(owner.pid as number);
    expect(traces(leftover.prefix, leftover.runDir)).toEqual(NOTHING_LEFT);
    expect(await client.exec(echoThrough("db", db.port))).toMatchObject({ code: 0, stdout: "ping\n" });
  });
});

function readlinkNs(pid: number, kind: string): string {
  return runSync(["readlink", `/proc/${pid}/ns/${kind}`]).stdout.trim();
}

function readAll(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: 5_000 });
    let data = "";
    socket.on("data", (chunk) => {
      data += chunk.toString();
    });
    socket.on("end", () => resolve(data));
    socket.on("timeout", () => reject(new Error("forward read timed out")));
    socket.on("error", reject);
  });
}

function firstLine(stream: NodeJS.ReadableStream, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`no output within ${timeoutMs} ms`)), timeoutMs);
    stream.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const end = buffered.indexOf("\n");
      if (end >= 0) {
        clearTimeout(timer);
        resolve(buffered.slice(0, end));
      }
    });
  });
}
