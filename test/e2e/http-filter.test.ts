/**
 * HTTP-filtered steal end to end: `mirrord exec` with `incoming.http_filter` runs a local program
 * (node, `http-filter-apps/app.mjs`) against a simulated pod; clients in another namespace (curl,
 * python, node) talk to the pod's IP. Matching requests are answered by the local program, the rest by
 * the pod's own app, on the same connections.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Pod, sampleApps, simulatorUnavailableReason } from "../simulator/index.ts";
import { execEnv, mirrordBinary, REPO_ROOT } from "../support/binary.ts";
import { type PodSession, startPodSession } from "../support/pod-session.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING HTTP filter end-to-end tests: ${unavailable}`);
const APP = join(import.meta.dir, "http-filter-apps", "app.mjs");
/** Ports unlikely to be taken on the laptop, where the local programs really listen. */
const PYTHON_POD_PORT = 18481;
const NODE_POD_PORT = 18482;

interface Answer {
  /** `local…` for the local programs, `pod` for app.mjs in the pod, `http-echo` for the Python pod app. */
  side: string;
  url: string;
  version?: string;
  bytes?: number;
  sha256?: string;
}

/** Both apps' answers, one per line, as `Answer`s. */
function answers(stdout: string): Answer[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .map((json) =>
      json.app === "http-echo" ? { side: "http-echo", url: String(json.path) } : (json as unknown as Answer),
    );
}

const sidesOf = (stdout: string) => answers(stdout).map(({ side, url }) => `${side} ${url}`);

let scratch: string;
let configs = 0;

interface LocalProgram {
  /** What `mirrord exec` and the program printed on stderr so far. */
  stderr(): string;
  stop(): Promise<void>;
}

/** `mirrord exec -f <config> -- node app.mjs <side> <port>` until the program listens. */
async function startLocal(
  session: PodSession,
  side: string,
  port: number,
  incoming: unknown,
): Promise<LocalProgram> {
  const config = join(scratch, `config-${configs++}.json`);
  // Files stay local: node loads app.mjs and its modules from the laptop.
  writeFileSync(config, JSON.stringify({ feature: { fs: "local", network: { incoming } } }));
  const child = Bun.spawn([mirrordBinary(), "exec", "-f", config, "--", "node", APP, side, String(port)], {
    env: execEnv(session.agentAddress),
    stdout: "pipe",
    stderr: "pipe",
  });
  let stdout = "";
  let stderr = "";
  const collect = async (stream: ReadableStream<Uint8Array>, append: (text: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) append(decoder.decode(chunk, { stream: true }));
  };
  void collect(child.stdout, (text) => {
    stdout += text;
  });
  void collect(child.stderr, (text) => {
    stderr += text;
  });
  const deadline = Date.now() + 30_000;
  while (!/^\d+$/m.test(stdout)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the local program did not start listening: ${stdout}${stderr}`);
    }
    await Bun.sleep(50);
  }
  return {
    stderr: () => stderr,
    stop: async () => {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await child.exited;
      clearTimeout(timer);
    },
  };
}

/** Runs `argv` in the client namespace; fails the test on a non-zero exit. */
async function fromClient(client: Pod, argv: string[]): Promise<string> {
  const result = await client.exec(argv, { timeoutMs: 90_000 });
  if (result.code !== 0)
    throw new Error(`${argv[0]} in the client failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

/** Runs `argv` in the client's network namespace only (the host's files, e.g. node_modules, stay visible). */
async function fromClientNetns(session: PodSession, client: Pod, argv: string[]): Promise<string> {
  const child = session.cluster.spawnInPodNetns(client, argv);
  const timer = setTimeout(() => void child.stop(), 60_000);
  const exit = await child.exited;
  clearTimeout(timer);
  if (exit.code !== 0)
    throw new Error(`${argv[0]} in the client's netns failed (${exit.code}): ${child.stderr()}`);
  return child.stdout();
}

/** One curl invocation: `--next`-separated requests share its connection cache (keep-alive). */
function curlRequests(
  url: string,
  requests: { path: string; headers?: string[]; extra?: string[] }[],
): string[] {
  const argv = ["curl", "--silent", "--show-error", "--max-time", "60"];
  requests.forEach(({ path, headers = [], extra = [] }, index) => {
    if (index > 0) argv.push("--next", "--silent", "--show-error", "--max-time", "60");
    argv.push("-w", "\\n", ...headers.flatMap((header) => ["-H", header]), ...extra, `${url}${path}`);
  });
  return argv;
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "mirrord-http-filter-e2e-"));
});
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.skipIf(unavailable !== undefined)("HTTP filters against a Python pod app", () => {
  let session: PodSession;
  let client: Pod;
  let url: string;

  beforeAll(async () => {
    session = await startPodSession("httpf-py", {
      name: "api",
      app: sampleApps.httpEcho(PYTHON_POD_PORT),
      ports: [PYTHON_POD_PORT],
    });
    client = await session.cluster.addClient("c1");
    url = `http://${session.pod.ip}:${PYTHON_POD_PORT}`;
  }, 60_000);
  afterAll(() => session?.destroy());

  async function withLocal(incoming: unknown, body: () => Promise<void>, side = "local"): Promise<void> {
    const local = await startLocal(session, side, PYTHON_POD_PORT, {
      mode: "steal",
      ...(incoming as object),
    });
    try {
      await body();
    } finally {
      await local.stop();
    }
  }

  test("header_filter: matching and other requests interleave on one keep-alive connection (curl)", async () => {
    await withLocal({ http_filter: { header_filter: "^x-user: alice$" } }, async () => {
      const out = await fromClient(
        client,
        curlRequests(url, [
          { path: "/a", headers: ["x-user: alice"] },
          { path: "/b" },
          { path: "/c", headers: ["X-User: Alice"] },
          { path: "/d", headers: ["x-user: bob"] },
        ]),
      );
      expect(sidesOf(out)).toEqual(["local /a", "http-echo /b", "local /c", "http-echo /d"]);
    });
  }, 120_000);

  test("path_filter with the documented `^(?!/health/)` and header `^User-Agent: (?!kube-probe)` (python, curl)", async () => {
    await withLocal(
      {
        http_filter: {
          all_of: [{ header: "^User-Agent: (?!kube-probe)" }, { path: "^(?!/health/)" }],
        },
      },
      async () => {
        const out = await fromClient(client, [
          "python3",
          "-c",
          `import http.client
c = http.client.HTTPConnection("${session.pod.ip}", ${PYTHON_POD_PORT}, timeout=30)
for path, agent in [("/orders", "python"), ("/health/live", "python"), ("/ready", "kube-probe/1.29"), ("/x?y=1", "python")]:
    c.request("GET", path, headers={"User-Agent": agent})
    print(c.getresponse().read().decode().strip())`,
        ]);
        expect(sidesOf(out)).toEqual([
          "local /orders",
          "http-echo /health/live",
          "http-echo /ready",
          "local /x?y=1",
        ]);
      },
    );
  }, 120_000);

  test("method_filter and any_of (curl)", async () => {
    await withLocal({ http_filter: { any_of: [{ method: "POST" }, { path: "^/api/" }] } }, async () => {
      const out = await fromClient(
        client,
        curlRequests(url, [
          { path: "/form", extra: ["-X", "POST", "-d", "x=1"] },
          { path: "/form" },
          { path: "/api/v1" },
          { path: "/api", extra: ["-X", "PUT", "-d", "x=1"] },
        ]),
      );
      expect(sidesOf(out)).toEqual(["local /form", "http-echo /form", "local /api/v1", "http-echo /api"]);
    });
  }, 120_000);

  test("ports: a port outside `http_filter.ports` is stolen whole", async () => {
    await withLocal({ http_filter: { header_filter: "^x-user: alice$", ports: [9999] } }, async () => {
      const out = await fromClient(
        client,
        curlRequests(url, [{ path: "/a" }, { path: "/b", headers: ["x-user: alice"] }]),
      );
      expect(sidesOf(out)).toEqual(["local /a", "local /b"]);
    });
  }, 120_000);

  test("two concurrent runs with different header filters each receive only their own requests", async () => {
    const alice = await startLocal(session, "alice", PYTHON_POD_PORT, {
      mode: "steal",
      http_filter: { header_filter: "^x-user: alice$" },
    });
    try {
      const bob = await startLocal(session, "bob", PYTHON_POD_PORT, {
        mode: "steal",
        http_filter: { header_filter: "^x-user: bob$" },
      });
      try {
        const requests = Array.from({ length: 12 }, (_, i) => ({
          path: `/r${i}`,
          headers: i % 3 === 0 ? ["x-user: alice"] : i % 3 === 1 ? ["x-user: bob"] : [],
        }));
        const out = await fromClient(client, curlRequests(url, requests));
        expect(sidesOf(out)).toEqual(
          requests.map(({ path }, i) => `${["alice", "bob", "http-echo"][i % 3]} ${path}`),
        );
      } finally {
        await bob.stop();
      }
    } finally {
      await alice.stop();
    }
  }, 120_000);

  test("overlapping filters of two runs: the later run's stderr shows the agent's warning", async () => {
    const first = await startLocal(session, "first", PYTHON_POD_PORT, {
      mode: "steal",
      http_filter: { header_filter: "^x-user: alice$" },
    });
    try {
      const later = await startLocal(session, "later", PYTHON_POD_PORT, {
        mode: "steal",
        http_filter: { header_filter: "^x-user: a" },
      });
      try {
        const out = await fromClient(
          client,
          curlRequests(url, [
            { path: "/both", headers: ["x-user: alice"] },
            { path: "/later-only", headers: ["x-user: anna"] },
          ]),
        );
        expect(sidesOf(out)).toEqual(["first /both", "later /later-only"]);
        const deadline = Date.now() + 20_000;
        while (!/warning from the agent/.test(later.stderr()) && Date.now() < deadline) await Bun.sleep(50);
        expect(later.stderr()).toMatch(
          /^mirrord: warning from the agent: an HTTP request on port \d+ \(GET [^)]*\/both\) matched your HTTP filter but went to another mirrord session .* the two filters overlap/m,
        );
        expect(first.stderr()).not.toContain("warning from the agent");
      } finally {
        await later.stop();
      }
    } finally {
      await first.stop();
    }
  }, 120_000);
});

/** app.mjs and the `ws` package as files of the pod (its rootfs has the host's /usr, so node). */
function nodeAppFiles(): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = { "/srv/app/app.mjs": readFileSync(APP) };
  const ws = join(REPO_ROOT, "node_modules", "ws");
  for (const entry of readdirSync(ws, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[`/srv/app/node_modules/ws/${path.slice(ws.length + 1)}`] = readFileSync(path);
  }
  return files;
}

describe.skipIf(unavailable !== undefined)("HTTP/2, WebSocket and big bodies against a node pod app", () => {
  let session: PodSession;
  let client: Pod;
  let url: string;
  let local: LocalProgram;

  beforeAll(async () => {
    session = await startPodSession("httpf-node", {
      name: "web",
      files: nodeAppFiles(),
      app: ["/usr/bin/node", "/srv/app/app.mjs", "pod", String(NODE_POD_PORT), "0.0.0.0"],
      ports: [NODE_POD_PORT],
    });
    client = await session.cluster.addClient("c1");
    url = `http://${session.pod.ip}:${NODE_POD_PORT}`;
    local = await startLocal(session, "local", NODE_POD_PORT, {
      mode: "steal",
      http_filter: { any_of: [{ header: "^x-user: alice$" }, { path: "^/mine/" }] },
    });
  }, 90_000);
  afterAll(async () => {
    await local?.stop();
    await session?.destroy();
  });

  test("HTTP/2 streams of one connection are split between the local program and the pod (node)", async () => {
    const out = await fromClientNetns(session, client, [
      "node",
      "-e",
      `const http2 = require("node:http2");
       const session = http2.connect("${url}");
       const get = (path) => new Promise((resolve, reject) => {
         const stream = session.request({ ":path": path });
         let body = ""; stream.on("data", (d) => (body += d)); stream.on("end", () => resolve(body)); stream.on("error", reject);
       });
       Promise.all(["/mine/a", "/theirs", "/mine/slow", "/slow"].map(get)).then((bodies) => { for (const b of bodies) console.log(b); session.close(); });`,
    ]);
    expect(answers(out).map(({ side, url, version }) => `${side} ${url} ${version}`)).toEqual([
      "local /mine/a 2.0",
      "pod /theirs 2.0",
      "local /mine/slow 2.0",
      "pod /slow 2.0",
    ]);
  }, 60_000);

  test("HTTP/2 with curl: one stream stolen, one passed through", async () => {
    const one = async (path: string) =>
      answers(
        await fromClient(client, [
          "curl",
          "-sS",
          "--max-time",
          "30",
          "--http2-prior-knowledge",
          `${url}${path}`,
        ]),
      );
    const results = [...(await one("/mine/1")), ...(await one("/other"))];
    expect(results.map(({ side, url }) => `${side} ${url}`)).toEqual(["local /mine/1", "pod /other"]);
  }, 60_000);

  test("a matching WebSocket upgrade is echoed by the local program, another one by the pod (node ws)", async () => {
    const echo = (headers: string) =>
      fromClientNetns(session, client, [
        "node",
        "-e",
        `const WebSocket = require("${join(REPO_ROOT, "node_modules", "ws")}");
         const socket = new WebSocket("ws://${session.pod.ip}:${NODE_POD_PORT}/ws", { headers: ${headers} });
         const got = [];
         socket.on("open", () => socket.send("hello"));
         socket.on("message", (data) => { got.push(String(data)); if (got.length < 3) socket.send("again " + got.length); else { console.log(JSON.stringify(got)); socket.close(); } });
         socket.on("error", (e) => { console.error(e.message); process.exit(1); });`,
      ]);
    expect(JSON.parse(await echo('{ "x-user": "alice" }'))).toEqual([
      "local: hello",
      "local: again 1",
      "local: again 2",
    ]);
    expect(JSON.parse(await echo("{}"))).toEqual(["pod: hello", "pod: again 1", "pod: again 2"]);
  }, 60_000);

  test("a 50 MiB request body reaches each side intact (curl)", async () => {
    const out = await fromClient(client, [
      "sh",
      "-c",
      "head -c 52428800 /dev/urandom > /tmp/big && sha256sum /tmp/big | cut -d' ' -f1 && " +
        `curl -sS --max-time 120 --data-binary @/tmp/big -H 'x-user: alice' ${url}/big && echo && ` +
        `curl -sS --max-time 120 --data-binary @/tmp/big ${url}/big && echo`,
    ]);
    const sha256 = out.split("\n")[0];
    expect(answers(out).map(({ side, bytes, sha256 }) => [side, bytes, sha256])).toEqual([
      ["local", 50 << 20, sha256],
      ["pod", 50 << 20, sha256],
    ]);
  }, 180_000);
});
