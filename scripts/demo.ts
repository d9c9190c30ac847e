/**
 * The local demo: a simulated Kubernetes pod (network, mount and UTS namespaces) runs a service; a
 * mirrord agent runs in it; `mirrord exec` runs a program on "the laptop" that sees the pod's world:
 * env, hostname, files, cluster DNS and services, and the pod's incoming traffic (mirror, steal,
 * HTTP-filtered steal). Each step shows the program plainly first, then under mirrord.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster, type Pod, sampleApps, simulatorUnavailableReason } from "../test/simulator/index.ts";
import { withLoopbackResolver } from "../test/support/hermetic-dns.ts";

const ROOT = join(import.meta.dir, "..");
const MIRRORD = join(ROOT, "dist", "mirrord");
const APP = join(import.meta.dir, "demo-app.py");
const AGENT_PORT = 61337;
/** The pod's HTTP port; the laptop program listens on the same one, so it must be free here. */
const POD_PORT = 18090;

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const step = (n: number, text: string) => console.log(`\n${bold(`== ${n}. ${text}`)}`);

async function runShown(argv: string[], env: Record<string, string>): Promise<number> {
  console.log(`  $ ${argv.join(" ")}`);
  const child = Bun.spawn(withLoopbackResolver(argv), {
    env: { ...(process.env as Record<string, string>), ...env },
    stdout: "inherit",
    stderr: "inherit",
  });
  return await child.exited;
}

const unavailable = simulatorUnavailableReason();
if (unavailable) {
  console.error(`The pod demo needs root and network namespaces: ${unavailable}. Run it as root.`);
  process.exit(1);
}

const scratch = mkdtempSync(join(tmpdir(), "mirrord-demo-"));
/** A mirrord config file holding `feature`. */
function config(name: string, feature: object): string {
  const path = join(scratch, `${name}.json`);
  writeFileSync(path, JSON.stringify({ feature }));
  return path;
}

/** `mirrord exec -f <config> -- python3 demo-app.py serve`, its output shown, until it listens. */
async function startServing(configPath: string, mirrordEnv: Record<string, string>) {
  const argv = [MIRRORD, "exec", "-f", configPath, "--", "python3", APP, "serve", String(POD_PORT)];
  console.log(`  $ ${argv.join(" ")} &`);
  const child = Bun.spawn(argv, {
    env: { ...(process.env as Record<string, string>), ...mirrordEnv },
    stdout: "pipe",
    stderr: "inherit",
  });
  let output = "";
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) {
      const text = decoder.decode(chunk, { stream: true });
      output += text;
      process.stdout.write(text);
    }
  })();
  const waitFor = async (pattern: RegExp, what: string) => {
    const deadline = Date.now() + 20_000;
    while (!pattern.test(output)) {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`the laptop program: ${what} did not happen`);
      await Bun.sleep(50);
    }
  };
  await waitFor(/listening/, "listening");
  return {
    waitFor,
    stop: async () => {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await child.exited;
      clearTimeout(timer);
    },
  };
}

/** A client in another namespace calls the pod; prints who answered. */
async function callPod(client: Pod, pod: Pod, path: string, headers: string[] = []): Promise<void> {
  const argv = ["curl", "-sS", "--max-time", "10", ...headers.flatMap((h) => ["-H", h])];
  argv.push(`http://${pod.ip}:${POD_PORT}${path}`);
  const result = await client.exec(argv, { timeoutMs: 20_000 });
  let answer = result.stdout.trim() || result.stderr.trim();
  try {
    answer = `answered by the pod (${(JSON.parse(answer) as { hostname: string }).hostname})`;
  } catch {}
  const sent = headers.length > 0 ? ` with ${headers.join(", ")}` : "";
  console.log(`  [client in the cluster] GET ${path}${sent} -> ${answer}`);
}

const cluster = await Cluster.create({ name: "demo" });
try {
  step(4, "A simulated pod, a cluster-only service and a client in another namespace");
  const pod = await cluster.addPod({
    name: "api",
    hostname: "api-7f9c8d-x2k4q",
    env: {
      APP_MODE: "cluster",
      DATABASE_URL: "postgres://orders-db.default.svc.cluster.local:5432/orders",
    },
    files: { "/app/config.yaml": "replicas: 3 (the pod's copy)" },
    app: sampleApps.httpEcho(POD_PORT),
    ports: [POD_PORT],
  });
  const orders = await cluster.addService({ name: "orders", port: 8080, app: sampleApps.httpEcho(8080) });
  const client = await cluster.addClient("c1");
  console.log(`  pod "api" at ${pod.ip}, app pid ${pod.appPid}, serving HTTP on :${POD_PORT}`);
  console.log(`  service ${orders.fqdn} at ${orders.ip}:8080, reachable only from inside the cluster`);

  step(5, "The mirrord agent joins the pod's network namespace (mirrord agent targeted --pid)");
  const agent = cluster.spawnInPodNetns(pod, [
    MIRRORD,
    "agent",
    "-l",
    String(AGENT_PORT),
    "targeted",
    "--pid",
    String(pod.appPid),
  ]);
  const forward = await cluster.forward(pod, AGENT_PORT);
  const deadline = Date.now() + 15_000;
  while (!/listening/.test(agent.stderr()) && Date.now() < deadline) {
    if (agent.exitStatus !== undefined) throw new Error(`the agent exited: ${agent.stderr()}`);
    await Bun.sleep(50);
  }
  console.log(
    `  agent listening in the pod; the laptop reaches it at ${forward.host}:${forward.port} (a port-forward)`,
  );
  const mirrordEnv = { MIRRORD_CONNECT_TCP: `${forward.host}:${forward.port}`, MIRRORD_PROGRESS_MODE: "off" };

  step(6, `The developer's program, run plainly on the laptop (hostname ${hostname()})`);
  await runShown(["python3", APP], {});

  step(7, "The same program under `mirrord exec`: the pod's hostname, env, files, DNS and services");
  const looked = await runShown(
    [MIRRORD, "exec", "-f", config("look", { fs: "read" }), "--", "python3", APP],
    mirrordEnv,
  );
  if (looked !== 0) throw new Error(`mirrord exec exited with ${looked}`);

  step(8, "Incoming, mirror: the pod still answers its clients; the laptop program gets a copy");
  await callPod(client, pod, "/checkout");
  const mirroring = await startServing(config("mirror", { network: { incoming: "mirror" } }), mirrordEnv);
  try {
    await callPod(client, pod, "/checkout");
    await mirroring.waitFor(/received GET \/checkout/, "the mirrored request");
  } finally {
    await mirroring.stop();
  }

  step(9, "Incoming, steal: the laptop program answers the pod's clients");
  const stealing = await startServing(config("steal", { network: { incoming: "steal" } }), mirrordEnv);
  try {
    await callPod(client, pod, "/cart");
  } finally {
    await stealing.stop();
  }
  await callPod(client, pod, "/cart");
  console.log("  (after the program exits, the pod answers again)");

  step(10, "Incoming, HTTP-filtered steal: only requests with `x-user: me` come to the laptop");
  const filtered = await startServing(
    config("filtered", {
      network: { incoming: { mode: "steal", http_filter: { header_filter: "^x-user: me$" } } },
    }),
    mirrordEnv,
  );
  try {
    await callPod(client, pod, "/profile", ["x-user: me"]);
    await callPod(client, pod, "/profile", ["x-user: someone-else"]);
  } finally {
    await filtered.stop();
  }
} finally {
  step(11, "Cleaning up the simulated cluster (namespaces, processes, firewall table)");
  await cluster.destroy();
  rmSync(scratch, { recursive: true, force: true });
  console.log("  done");
}
