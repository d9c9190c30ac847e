/**
 * The local demo: a simulated Kubernetes pod (network, mount and UTS namespaces) runs a service; a
 * mirrord agent runs in it; `mirrord exec` runs a program on "the laptop" that sees the pod's world.
 */
import { hostname } from "node:os";
import { join } from "node:path";
import { Cluster, sampleApps, simulatorUnavailableReason } from "../test/simulator/index.ts";

const ROOT = join(import.meta.dir, "..");
const MIRRORD = join(ROOT, "dist", "mirrord");
const APP = join(import.meta.dir, "demo-app.py");
const AGENT_PORT = 61337;

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const step = (n: number, text: string) => console.log(`\n${bold(`== ${n}. ${text}`)}`);

async function runShown(argv: string[], env: Record<string, string>): Promise<number> {
  console.log(`  $ ${argv.join(" ")}`);
  const child = Bun.spawn(argv, {
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

const cluster = await Cluster.create({ name: "demo" });
try {
  step(4, "A simulated pod: its own network, hostname, filesystem and environment");
  const pod = await cluster.addPod({
    name: "api",
    hostname: "api-7f9c8d-x2k4q",
    env: {
      APP_MODE: "cluster",
      DATABASE_URL: "postgres://orders-db.default.svc.cluster.local:5432/orders",
      FEATURE_CHECKOUT_V2: "on",
    },
    app: sampleApps.httpEcho(8080),
    ports: [8080],
  });
  console.log(`  pod "api" at ${pod.ip}, app pid ${pod.appPid}, serving HTTP on :8080`);

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

  step(6, `The developer's program, run plainly on the laptop (hostname ${hostname()})`);
  await runShown(["python3", APP], {});

  step(7, "The same program under `mirrord exec`: the pod's hostname and env; PATH and HOME stay local");
  const code = await runShown([MIRRORD, "exec", "--", "python3", APP], {
    MIRRORD_CONNECT_TCP: `${forward.host}:${forward.port}`,
    MIRRORD_PROGRESS_MODE: "std",
  });
  if (code !== 0) throw new Error(`mirrord exec exited with ${code}`);
  console.log("\n  Files, DNS, outgoing and incoming traffic join this demo as those features land.");
} finally {
  step(8, "Cleaning up the simulated cluster (namespaces, processes, firewall table)");
  await cluster.destroy();
  console.log("  done");
}
