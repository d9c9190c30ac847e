/**
 * Remote files end to end: C (stdio and raw calls), Python and Node programs under `mirrord exec` read,
 * list, stat and (in write mode) change the simulated pod's files, with the pod's own errno values, the
 * fs mode and pattern lists deciding what stays on the laptop.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sampleApps, simulatorUnavailableReason } from "../simulator/index.ts";
import { type RunResult, run } from "../support/binary.ts";
import { type PodSession, startPodSession } from "../support/pod-session.ts";
import { compileProgram } from "../support/programs.ts";

const unavailable = simulatorUnavailableReason();
if (unavailable) console.warn(`SKIPPING remote files end-to-end tests: ${unavailable}`);
const PROGRAMS = join(import.meta.dir, "programs");
/** A directory both the laptop and the pod have, with different contents (not on a default-local list). */
const DIR = "/srv/mirrord-fs-e2e";
const POD_PASSWD = "podroot:x:0:0:pod user:/root:/bin/sh";

let session: PodSession;
let bin: string;
/** Where the agent's side of the pod's filesystem is visible from the laptop (the test's kubectl exec). */
let podRoot: string;

beforeAll(async () => {
  if (unavailable) return;
  bin = mkdtempSync(join(tmpdir(), "mirrord-files-test-"));
  for (const name of ["fs_probe", "fs_integrity"]) await compileProgram(name, bin);
  // The scripts live under /tmp (local by default), so the interpreters load them from the laptop.
  for (const script of ["fs_probe.py", "fs_probe.mjs"])
    copyFileSync(join(PROGRAMS, script), join(bin, script));
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(join(DIR, "data"), { recursive: true });
  mkdirSync(join(DIR, "ro"));
  writeFileSync(join(DIR, "config.yaml"), "mode: laptop");
  writeFileSync(join(DIR, "laptop-only.txt"), "only on the laptop");
  writeFileSync(join(DIR, "data", "secret"), "laptop secret");
  session = await startPodSession("files", {
    name: "api",
    hostname: "api-files-pod",
    files: {
      "/etc/passwd": POD_PASSWD,
      [`${DIR}/config.yaml`]: "mode: cluster",
      [`${DIR}/only-in-pod.txt`]: "only in the pod",
      [`${DIR}/data/secret`]: "s3cr3t-from-pod",
      [`${DIR}/data/sub/a.txt`]: "A",
      [`${DIR}/ro/settings`]: "pod settings",
      [`${DIR}/rw/keep`]: "",
    },
    app: sampleApps.httpEcho(8080),
    ports: [8080],
  });
  podRoot = `/proc/${session.pod.appPid}/root`;
  symlinkSync("/etc/passwd", `${podRoot}${DIR}/passwd-link`);
  symlinkSync("../../../../../../etc/passwd", `${podRoot}${DIR}/escape-link`);
}, 90_000);

afterAll(async () => {
  await session?.destroy();
  if (bin) rmSync(bin, { recursive: true, force: true });
  rmSync(DIR, { recursive: true, force: true });
});

type Language = "c" | "python" | "node";
const LANGUAGES: Language[] = ["c", "python", "node"];

function probe(language: Language): string[] {
  switch (language) {
    case "c":
      return [join(bin, "fs_probe")];
    case "python":
      return ["python3", join(bin, "fs_probe.py")];
    case "node":
      return ["node", join(bin, "fs_probe.mjs")];
  }
}

/** Runs the probe of `language` under mirrord with `mirrordArgs`; returns its `op path => …` lines. */
async function probeLines(language: Language, mirrordArgs: string[], ops: string[]): Promise<string[]> {
  const result = await session.exec([...mirrordArgs, "--", ...probe(language), ...ops]);
  expectClean(result);
  return result.stdout.trimEnd().split("\n");
}

function expectClean(result: RunResult): void {
  if (result.code !== 0 || result.stderr !== "") console.error(result.stdout, result.stderr);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
}

/** A mirrord config file with the given `feature.fs` object. */
function fsConfig(fs: object): string {
  const path = join(bin, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ feature: { fs } }));
  return path;
}

const podFile = (path: string) => readFileSync(`${podRoot}${path}`, "utf8");

describe.skipIf(unavailable !== undefined)("remote files", () => {
  describe.each(LANGUAGES)("%s in read mode", (language) => {
    test("reads the pod's file where the laptop has a different one", async () => {
      const ops =
        language === "c"
          ? ["fread", "readfd"]
          : language === "python"
            ? ["fread", "readfd", "pathlib"]
            : ["fread", "readfd", "promises", "stream"];
      const lines = await probeLines(
        language,
        ["--fs-mode", "read"],
        ops.map((op) => `${op}:${DIR}/config.yaml`),
      );
      expect(lines).toEqual(ops.map((op) => `${op} ${DIR}/config.yaml => ok mode: cluster`));
    });

    test("lists and stats pod directories and files", async () => {
      const lines = await probeLines(
        language,
        ["--fs-mode", "read"],
        [`list:${DIR}/data`, `stat:${DIR}/data/secret`, `stat:${DIR}/data`, `list:${DIR}`],
      );
      expect(lines).toEqual([
        `list ${DIR}/data => ok secret sub`,
        `stat ${DIR}/data/secret => ok file 15`,
        `stat ${DIR}/data => ok dir 0`,
        `list ${DIR} => ok config.yaml data escape-link only-in-pod.txt passwd-link ro rw`,
      ]);
    });

    test("gets ENOENT and EISDIR as the pod returns them", async () => {
      const lines = await probeLines(
        language,
        ["--fs-mode", "read"],
        [`fread:${DIR}/laptop-only.txt`, `stat:${DIR}/nothing-here`, `fread:${DIR}/data`],
      );
      expect(lines).toEqual([
        `fread ${DIR}/laptop-only.txt => err ENOENT`,
        `stat ${DIR}/nothing-here => err ENOENT`,
        `fread ${DIR}/data => err EISDIR`,
      ]);
    });

    test("a pod symlink to /etc/passwd (absolute or through ..) reads the pod's file", async () => {
      const lines = await probeLines(
        language,
        ["--fs-mode", "read"],
        [`fread:${DIR}/passwd-link`, `fread:${DIR}/escape-link`],
      );
      expect(readFileSync("/etc/passwd", "utf8")).not.toContain(POD_PASSWD);
      expect(lines).toEqual([
        `fread ${DIR}/passwd-link => ok ${POD_PASSWD}`,
        `fread ${DIR}/escape-link => ok ${POD_PASSWD}`,
      ]);
    });
  });

  test("EACCES comes back as the pod's kernel returns it (C access, Node accessSync)", async () => {
    for (const language of ["c", "node"] as const) {
      const lines = await probeLines(language, ["--fs-mode", "read"], [`access-x:${DIR}/data/secret`]);
      expect(lines).toEqual([`access-x ${DIR}/data/secret => err EACCES`]);
    }
  });

  test("read mode leaves the pod untouched: writes go to the laptop", async () => {
    const lines = await probeLines(
      "c",
      ["--fs-mode", "read"],
      [`write:${DIR}/written-in-read-mode:local bytes`],
    );
    expect(lines).toEqual([`write ${DIR}/written-in-read-mode => ok`]);
    expect(readFileSync(`${DIR}/written-in-read-mode`, "utf8")).toBe("local bytes");
    expect(() => podFile(`${DIR}/written-in-read-mode`)).toThrow(/ENOENT/);
  });

  describe.each(LANGUAGES)("%s in write mode", (language) => {
    test("creates, appends and reads back a pod file: the pod has the bytes, the laptop does not", async () => {
      const path = `${DIR}/written-by-${language}.txt`;
      const lines = await probeLines(
        language,
        ["--fs-mode", "write"],
        [`write:${path}:hello from ${language}`, `append:${path}:, again`, `fread:${path}`],
      );
      expect(lines).toEqual([
        `write ${path} => ok`,
        `append ${path} => ok`,
        `fread ${path} => ok hello from ${language}, again`,
      ]);
      expect(podFile(path)).toBe(`hello from ${language}, again`);
      expect(existsSync(path)).toBe(false);
    });

    test("makes and removes pod directories and files, with the pod's EEXIST and ENOENT", async () => {
      const dir = `${DIR}/made-by-${language}`;
      const lines = await probeLines(
        language,
        ["--fs-mode", "write"],
        [
          `mkdir:${dir}`,
          `mkdir:${dir}`,
          `write:${dir}/f:x`,
          `list:${dir}`,
          `unlink:${dir}/f`,
          `unlink:${dir}/f`,
        ],
      );
      expect(lines).toEqual([
        `mkdir ${dir} => ok`,
        `mkdir ${dir} => err EEXIST`,
        `write ${dir}/f => ok`,
        `list ${dir} => ok f`,
        `unlink ${dir}/f => ok`,
        `unlink ${dir}/f => err ENOENT`,
      ]);
      expect(statSync(`${podRoot}${dir}`).isDirectory()).toBe(true);
      expect(existsSync(`${podRoot}${dir}/f`)).toBe(false);
      expect(existsSync(dir)).toBe(false);
    });
  });

  test("duplicates share one remote file and offset; a forked child reads through its parent's fd", async () => {
    const lines = await probeLines(
      "c",
      ["--fs-mode", "read"],
      [`dup:${DIR}/data/secret`, `fork:${DIR}/data/secret`],
    );
    expect(lines).toEqual([
      `dup ${DIR}/data/secret => ok s3|cr|3t fd40=40 cloexec=1`,
      `fork ${DIR}/data/secret => child s3cr3t-from-pod`,
      `fork ${DIR}/data/secret => ok parent s3cr3t-from-pod`,
    ]);
  });

  test("files over 4 GiB: sparse writes, reads and seeks at 5 GiB offsets in the pod", async () => {
    const path = `${DIR}/big.bin`;
    const lines = await probeLines("c", ["--fs-mode", "write"], [`big:${path}`]);
    const size = 5 * 1024 ** 3 + 8;
    expect(lines).toEqual([`big ${path} => ok size=${size} byte=Z end=${size} truncated=0 blocks_small=1`]);
    expect(statSync(`${podRoot}${path}`).size).toBe(0);
  });

  describe.each(LANGUAGES)("%s in local and localwithoverrides modes", (language) => {
    test("local mode reads only the laptop's files", async () => {
      const lines = await probeLines(
        language,
        ["--fs-mode", "local"],
        [`fread:${DIR}/config.yaml`, `fread:${DIR}/only-in-pod.txt`],
      );
      expect(lines).toEqual([
        `fread ${DIR}/config.yaml => ok mode: laptop`,
        `fread ${DIR}/only-in-pod.txt => err ENOENT`,
      ]);
    });

    test("localwithoverrides reads the laptop's files except read_only patterns and the pod's /etc/hostname", async () => {
      const config = fsConfig({ mode: "localwithoverrides", read_only: [`^${DIR}/ro/`] });
      const lines = await probeLines(
        language,
        ["-f", config],
        [`fread:${DIR}/config.yaml`, `fread:${DIR}/ro/settings`, "fread:/etc/hostname"],
      );
      expect(lines).toEqual([
        `fread ${DIR}/config.yaml => ok mode: laptop`,
        `fread ${DIR}/ro/settings => ok pod settings`,
        "fread /etc/hostname => ok api-files-pod",
      ]);
    });
  });

  test("pattern lists (case-insensitive) and mapping decide per path, ahead of the mode", async () => {
    const config = fsConfig({
      mode: "write",
      not_found: ["/DATA/SECRET$"],
      local: ["CONFIG\\.YAML$"],
      read_only: [`^${DIR}/ro/`],
      mapping: { [`^${DIR}/alias/(.*)$`]: `${DIR}/data/$1` },
    });
    const lines = await probeLines(
      "c",
      ["-f", config],
      [
        `fread:${DIR}/data/secret`,
        `fread:${DIR}/config.yaml`,
        `fread:${DIR}/ro/settings`,
        `write:${DIR}/ro/settings:written locally`,
        `fread:${DIR}/alias/sub/a.txt`,
        `list:${DIR}/alias/sub`,
      ],
    );
    expect(lines).toEqual([
      `fread ${DIR}/data/secret => err ENOENT`,
      `fread ${DIR}/config.yaml => ok mode: laptop`,
      `fread ${DIR}/ro/settings => ok pod settings`,
      `write ${DIR}/ro/settings => ok`,
      `fread ${DIR}/alias/sub/a.txt => ok A`,
      `list ${DIR}/alias/sub => ok a.txt`,
    ]);
    expect(readFileSync(`${DIR}/ro/settings`, "utf8")).toBe("written locally");
    expect(podFile(`${DIR}/ro/settings`)).toBe("pod settings");
  });

  test("read_write patterns write to the pod even in read mode", async () => {
    const config = fsConfig({ mode: "read", read_write: [`^${DIR}/rw/`] });
    const lines = await probeLines(
      "c",
      ["-f", config],
      [`write:${DIR}/rw/out:remote bytes`, `write:${DIR}/elsewhere:local bytes`],
    );
    expect(lines).toEqual([`write ${DIR}/rw/out => ok`, `write ${DIR}/elsewhere => ok`]);
    expect(podFile(`${DIR}/rw/out`)).toBe("remote bytes");
    expect(readFileSync(`${DIR}/elsewhere`, "utf8")).toBe("local bytes");
    expect(existsSync(`${podRoot}${DIR}/elsewhere`)).toBe(false);
  });

  test("more than 64 patterns in a list all apply (the last of 70 not_found patterns hides the pod file)", async () => {
    const unrelated = Array.from({ length: 69 }, (_, i) => `^/no-such-place-${i}/`);
    const config = fsConfig({ mode: "read", not_found: [...unrelated, "/data/secret$"] });
    const lines = await probeLines(
      "c",
      ["-f", config],
      [`fread:${DIR}/data/secret`, `fread:${DIR}/config.yaml`],
    );
    expect(lines).toEqual([
      `fread ${DIR}/data/secret => err ENOENT`,
      `fread ${DIR}/config.yaml => ok mode: cluster`,
    ]);
  });

  test("freopen onto a pod file reads the pod's bytes; reopening one for writing fails instead of writing the laptop's", async () => {
    const written = `${DIR}/freopened-for-writing`;
    const read = await probeLines("c", ["--fs-mode", "read"], [`freopen:${DIR}/config.yaml`]);
    expect(read).toEqual([`freopen ${DIR}/config.yaml => ok mode: cluster`]);
    const write = await probeLines("c", ["--fs-mode", "write"], [`freopen-w:${written}:text`]);
    expect(write).toEqual([`freopen-w ${written} => err EOPNOTSUPP`]);
    expect(existsSync(written)).toBe(false);
    expect(existsSync(`${podRoot}${written}`)).toBe(false);
  });

  test("getdents64 on a pod directory fd lists the pod's entries, in small buffers, again after a rewind", async () => {
    const lines = await probeLines(
      "c",
      ["--fs-mode", "read"],
      [`getdents:${DIR}/data`, `getdents:${DIR}/ro`],
    );
    expect(lines).toEqual([
      `getdents ${DIR}/data => ok secret sub again=same`,
      `getdents ${DIR}/ro => ok settings again=same`,
    ]);
  });

  test("chdir/fchdir into pod directories: relative paths and getcwd follow the pod cwd; a local chdir returns to the laptop", async () => {
    writeFileSync(join(bin, "local.txt"), "laptop file");
    const lines = await probeLines(
      "c",
      ["--fs-mode", "read"],
      [
        `chdir:${DIR}/data`,
        "getcwd:-",
        "fread:secret",
        "chdir:sub",
        "getcwd:-",
        "fread:a.txt",
        "stat:../secret",
        `chdir:${DIR}/config.yaml`,
        `chdir:${DIR}/nowhere`,
        "getcwd:-",
        `chdir:${bin}`,
        "getcwd:-",
        "fread:local.txt",
        `fchdir:${DIR}/data/sub`,
        "getcwd:-",
        "fread:a.txt",
      ],
    );
    expect(lines).toEqual([
      `chdir ${DIR}/data => ok`,
      `getcwd - => ok ${DIR}/data erange=1`,
      "fread secret => ok s3cr3t-from-pod",
      "chdir sub => ok",
      `getcwd - => ok ${DIR}/data/sub erange=1`,
      "fread a.txt => ok A",
      "stat ../secret => ok file 15",
      `chdir ${DIR}/config.yaml => err ENOTDIR`,
      `chdir ${DIR}/nowhere => err ENOENT`,
      `getcwd - => ok ${DIR}/data/sub erange=1`,
      `chdir ${bin} => ok`,
      `getcwd - => ok ${bin} erange=1`,
      "fread local.txt => ok laptop file",
      `fchdir ${DIR}/data/sub => ok`,
      `getcwd - => ok ${DIR}/data/sub erange=1`,
      "fread a.txt => ok A",
    ]);
  });

  test.each(["python", "node"] as const)(
    "%s: after chdir into a pod directory, cwd, relative reads and listings are the pod's",
    async (language) => {
      const lines = await probeLines(
        language,
        ["--fs-mode", "read"],
        [`chdir:${DIR}/data`, "getcwd:-", "fread:sub/a.txt", "list:."],
      );
      expect(lines).toEqual([
        `chdir ${DIR}/data => ok`,
        `getcwd - => ok ${DIR}/data`,
        "fread sub/a.txt => ok A",
        "list . => ok secret sub",
      ]);
    },
  );

  test("truncate, chmod, chown and utimensat by path and by fd change the pod's file in write mode", async () => {
    const byPath = `${DIR}/meta-by-path`;
    const byFd = `${DIR}/meta-by-fd`;
    const lines = await probeLines(
      "c",
      ["--fs-mode", "write"],
      [
        `write:${byPath}:0123456789`,
        `truncate:${byPath}:3`,
        `chmod:${byPath}:640`,
        `chown:${byPath}:1234.5678`,
        `utimens:${byPath}:1000000000`,
        `meta:${byPath}`,
        `write:${byFd}:abc`,
        `fchmod:${byFd}:604`,
        `fchown:${byFd}:4321.8765`,
        `futimens:${byFd}:1100000000`,
        `meta:${byFd}`,
        `truncate:${DIR}/missing:1`,
      ],
    );
    expect(lines).toEqual([
      `write ${byPath} => ok`,
      `truncate ${byPath} => ok`,
      `chmod ${byPath} => ok`,
      `chown ${byPath} => ok`,
      `utimens ${byPath} => ok`,
      `meta ${byPath} => ok mode=640 owner=1234.5678 mtime=1000000000 size=3`,
      `write ${byFd} => ok`,
      `fchmod ${byFd} => ok`,
      `fchown ${byFd} => ok`,
      `futimens ${byFd} => ok`,
      `meta ${byFd} => ok mode=604 owner=4321.8765 mtime=1100000000 size=3`,
      `truncate ${DIR}/missing => err ENOENT`,
    ]);
    const pod = statSync(`${podRoot}${byPath}`);
    expect([pod.mode & 0o7777, pod.uid, pod.gid, pod.mtimeMs, pod.size]).toEqual([
      0o640, 1234, 5678, 1e12, 3,
    ]);
    expect(podFile(byPath)).toBe("012");
    const podByFd = statSync(`${podRoot}${byFd}`);
    expect([podByFd.mode & 0o7777, podByFd.uid, podByFd.gid, podByFd.mtimeMs]).toEqual([
      0o604, 4321, 8765, 1.1e12,
    ]);
    expect(existsSync(byPath) || existsSync(byFd)).toBe(false);
  });

  test("read mode changes no pod metadata: chmod and truncate of a pod path act on the laptop", async () => {
    const before = statSync(`${podRoot}${DIR}/config.yaml`);
    const lines = await probeLines(
      "c",
      ["--fs-mode", "read"],
      [`chmod:${DIR}/only-in-pod.txt:600`, `truncate:${DIR}/config.yaml:2`],
    );
    expect(lines).toEqual([
      `chmod ${DIR}/only-in-pod.txt => err ENOENT`,
      `truncate ${DIR}/config.yaml => ok`,
    ]);
    expect(readFileSync(`${DIR}/config.yaml`, "utf8")).toBe("mo");
    writeFileSync(join(DIR, "config.yaml"), "mode: laptop");
    expect(podFile(`${DIR}/config.yaml`)).toBe("mode: cluster");
    expect(statSync(`${podRoot}${DIR}/config.yaml`).mode).toBe(before.mode);
  });

  test("integrity: 1,000 random writes, seeks, truncates and reads leave the same bytes as on a local file", async () => {
    const remote = `${DIR}/integrity.bin`;
    const local = join(bin, "integrity.bin");
    const there = await session.exec(
      ["--fs-mode", "write", "--", join(bin, "fs_integrity"), remote, "7", "1000"],
      {
        timeoutMs: 120_000,
      },
    );
    expectClean(there);
    const here = await run([join(bin, "fs_integrity"), local, "7", "1000"]);
    expect(here.code).toBe(0);
    expect(there.stdout).toBe(here.stdout);
    const expected = readFileSync(local);
    expect(expected.length).toBeGreaterThan(0);
    expect(Buffer.compare(readFileSync(`${podRoot}${remote}`), expected)).toBe(0);
  }, 180_000);
});
