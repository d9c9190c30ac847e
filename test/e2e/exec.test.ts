/**
 * `mirrord exec` end to end over connect_tcp: real programs under the layer see the simulated pod's
 * environment and hostname, children too, and the process is the program's own (exit codes, signals).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { sampleApps, simulatorUnavailableReason } from "../simulator/index.ts";
import { type PodSession, startPodSession } from "../support/pod-session.ts";
import { compileProgram, keyValueLines } from "../support/programs.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING exec end-to-end tests: ${unavailable}`);
const POD_HOSTNAME = "api-7d9f-x2k";
const PROGRAMS = join(import.meta.dir, "programs");

let session: PodSession;
let bin: string;

beforeAll(async () => {
  if (unavailable) return;
  bin = mkdtempSync(join(tmpdir(), "mirrord-exec-test-"));
  for (const name of ["identity", "threads"]) await compileProgram(name, bin, ["-pthread"]);
  session = await startPodSession("exec", {
    name: "api",
    hostname: POD_HOSTNAME,
    env: {
      APP_MODE: "cluster",
      DB_URL: "postgres://db.default.svc.cluster.local:5432/app",
      SECRET_TOKEN: "s3cr3t",
      AWS_PROFILE: "pod-profile",
    },
    app: sampleApps.httpEcho(8080),
    ports: [8080],
  });
}, 60_000);

afterAll(async () => {
  await session?.destroy();
  if (bin) rmSync(bin, { recursive: true, force: true });
});

describe.skipIf(unavailable !== undefined)("mirrord exec", () => {
  test("a C program sees the pod's hostname (gethostname and uname) and env, with local PATH and HOME", async () => {
    expect(hostname()).not.toBe(POD_HOSTNAME);
    const result = await session.exec(["--", join(bin, "identity"), "APP_MODE", "DB_URL", "PATH", "HOME"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(keyValueLines(result.stdout)).toEqual({
      hostname: POD_HOSTNAME,
      nodename: POD_HOSTNAME,
      APP_MODE: "cluster",
      DB_URL: "postgres://db.default.svc.cluster.local:5432/app",
      PATH: process.env.PATH ?? "<unset>",
      HOME: process.env.HOME ?? "<unset>",
    });
  });

  test("include, exclude, override and unset shape the environment", async () => {
    const excluded = await session.exec([
      "-x",
      "SECRET_*;DB_URL",
      "--",
      join(bin, "identity"),
      "SECRET_TOKEN",
      "DB_URL",
      "APP_MODE",
    ]);
    expect(keyValueLines(excluded.stdout)).toMatchObject({
      SECRET_TOKEN: "<unset>",
      DB_URL: "<unset>",
      APP_MODE: "cluster",
    });

    const included = await session.exec([
      "-s",
      "APP_MODE",
      "--",
      join(bin, "identity"),
      "APP_MODE",
      "DB_URL",
    ]);
    expect(keyValueLines(included.stdout)).toMatchObject({ APP_MODE: "cluster", DB_URL: "<unset>" });

    const config = join(bin, "env.json");
    writeFileSync(
      config,
      JSON.stringify({
        feature: { env: { override: { APP_MODE: "overridden", EXTRA: "1" }, unset: ["aws_profile"] } },
      }),
    );
    const shaped = await session.exec([
      "-f",
      config,
      "--",
      join(bin, "identity"),
      "APP_MODE",
      "EXTRA",
      "AWS_PROFILE",
    ]);
    expect(shaped.code).toBe(0);
    expect(keyValueLines(shaped.stdout)).toMatchObject({
      APP_MODE: "overridden",
      EXTRA: "1",
      AWS_PROFILE: "<unset>",
    });
  });

  test("env_file and mapping rewrite what the pod sent", async () => {
    const envFile = join(bin, "local.env");
    writeFileSync(envFile, "DB_URL=postgres://localhost:5432/dev\nFROM_FILE=yes\n");
    const config = join(bin, "mapping.json");
    writeFileSync(
      config,
      JSON.stringify({ feature: { env: { env_file: envFile, mapping: { "^SECRET_": "redacted" } } } }),
    );
    const result = await session.exec([
      "-f",
      config,
      "--",
      join(bin, "identity"),
      "DB_URL",
      "FROM_FILE",
      "SECRET_TOKEN",
    ]);
    expect(result.stderr).toBe("");
    expect(keyValueLines(result.stdout)).toMatchObject({
      DB_URL: "postgres://localhost:5432/dev",
      FROM_FILE: "yes",
      SECRET_TOKEN: "redacted",
    });
  });

  test("load_from_process: the program fetches the env itself, once, and children inherit it", async () => {
    const config = join(bin, "in-process.json");
    writeFileSync(
      config,
      JSON.stringify({
        feature: {
          env: {
            load_from_process: true,
            exclude: "SECRET_*",
            override: { EXTRA: "x" },
            unset: ["app_mode"],
          },
        },
      }),
    );
    const script = `${join(bin, "identity")} DB_URL SECRET_TOKEN EXTRA APP_MODE MIRRORD_REMOTE_ENV_FETCHED`;
    const result = await session.exec(["-f", config, "--", "sh", "-c", script]);
    expect(result.stderr).toBe("");
    expect(keyValueLines(result.stdout)).toMatchObject({
      DB_URL: "postgres://db.default.svc.cluster.local:5432/app",
      SECRET_TOKEN: "<unset>",
      EXTRA: "x",
      APP_MODE: "<unset>",
      MIRRORD_REMOTE_ENV_FETCHED: "true",
    });
  });

  test("a Python program and the child it spawns see the pod", async () => {
    const result = await session.exec(["--", "python3", join(PROGRAMS, "identity.py"), "APP_MODE"], {
      env: { SPAWN_CHILD: "1" },
    });
    expect(result.stderr).toBe("");
    const seen = keyValueLines(result.stdout);
    expect(seen).toMatchObject({
      hostname: POD_HOSTNAME,
      nodename: POD_HOSTNAME,
      APP_MODE: "cluster",
      child_env: "cluster",
    });
    expect(result.stdout.trim().split("\n").at(-1)).toBe(POD_HOSTNAME); // `hostname` run by the child shell
  });

  test("a Node program and its child see the pod; skip_processes leaves the named child alone", async () => {
    const script = join(PROGRAMS, "identity.mjs");
    const result = await session.exec(["--", "node", script, "APP_MODE"], { env: { SPAWN_CHILD: "1" } });
    expect(keyValueLines(result.stdout)).toMatchObject({ hostname: POD_HOSTNAME, APP_MODE: "cluster" });
    expect(result.stdout).toContain(`child=${POD_HOSTNAME} cluster`);

    const skipped = await session.exec(["--skip-processes", "python3", "--", "node", script], {
      env: { SPAWN_CHILD: "1" },
    });
    expect(keyValueLines(skipped.stdout).hostname).toBe(POD_HOSTNAME);
    // The skipped child keeps the environment it inherited but gets no hooks: the laptop's hostname.
    expect(skipped.stdout).toContain(`child=${hostname()} cluster`);
  });

  test("a bad regex in the config stops exec before anything starts, naming the field", async () => {
    const config = join(bin, "bad-regex.json");
    writeFileSync(
      config,
      JSON.stringify({ feature: { network: { incoming: { http_filter: { header_filter: "(?<!" } } } } }),
    );
    const result = await session.exec(["-f", config, "--", "true"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("feature.network.incoming.http_filter.header_filter");
    expect(result.stderr.split("\n").filter(Boolean).length).toBeLessThanOrEqual(3);
  });

  test("exit codes and signals are the program's own", async () => {
    expect((await session.exec(["--", "sh", "-c", "exit 7"])).code).toBe(7);
    expect((await session.exec(["--", "sh", "-c", "kill -TERM $$"])).code).toBe(143);
  });

  test("16 threads resolving through the agent and a fork in a threaded program all get the pod's answers", async () => {
    const result = await session.exec(["--", join(bin, "threads")]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const podAnswer = `${POD_HOSTNAME} ${session.pod.ip}`;
    expect(keyValueLines(result.stdout)).toEqual({
      child: podAnswer,
      parent: podAnswer,
      mismatches: "0",
      child_status: "0",
    });
  });

  test("an exec chain sh → python → node keeps the layer", async () => {
    const node = `import subprocess; subprocess.run(["node", "${join(PROGRAMS, "identity.mjs")}", "APP_MODE"], check=True)`;
    const result = await session.exec(["--", "sh", "-c", `python3 -c '${node}'`]);
    expect(keyValueLines(result.stdout)).toMatchObject({ hostname: POD_HOSTNAME, APP_MODE: "cluster" });
  });

  test("when the internal proxy dies mid-run, the program gets errors quickly instead of hanging", async () => {
    const marker = join(bin, "proxy-killed");
    const script = [
      "import os, socket, subprocess, sys, time",
      "print('before=' + socket.gethostname(), flush=True)",
      "addr = os.environ['MIRRORD_LAYER_INTPROXY_ADDR']",
      "port = addr.rsplit(':', 1)[1]",
      `subprocess.run(['sh', '-c', 'kill -9 $(ss -Hltnp "sport = :' + port + '" | grep -o "pid=[0-9]*" | cut -d= -f2)'], check=True)`,
      `open('${marker}', 'w').close()`,
      "start = time.monotonic()",
      "child = subprocess.run([sys.executable, '-c', 'import socket; print(socket.gethostname())'], capture_output=True, text=True, timeout=20)",
      "print('after=' + child.stdout.strip())",
      "print('seconds=%.1f' % (time.monotonic() - start))",
      "print('child_stderr=' + child.stderr.replace(chr(10), ' '))",
    ].join("\n");
    const result = await session.exec(["--", "python3", "-c", script]);
    const seen = keyValueLines(result.stdout);
    expect(seen.before).toBe(POD_HOSTNAME);
    expect(seen.after).toBe(hostname());
    expect(Number(seen.seconds)).toBeLessThan(5);
    expect(seen.child_stderr).toContain("internal proxy");
  });
});
