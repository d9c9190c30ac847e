/** The shipped executable as a user meets it: one file, no Node or Bun needed, layer inside. */
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import packageJson from "../../package.json" with { type: "json" };
import { mirrordBinary, REPO_ROOT, run } from "../support/binary.ts";

const scratch = mkdtempSync(join(tmpdir(), "mirrord-binary-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;

/** Env with nothing on PATH: the binary must not need node, bun or anything else to start. */
function bareEnv(extra: Record<string, string> = {}): Record<string, string> {
  const emptyDir = join(scratch, "empty-path");
  mkdirSync(emptyDir, { recursive: true });
  return { PATH: emptyDir, HOME: join(scratch, "home"), ...extra };
}

describe("the mirrord executable", () => {
  test("prints `mirrord <semver>` from a copy elsewhere, with an empty PATH", async () => {
    const copy = join(scratch, "copied-mirrord");
    copyFileSync(mirrordBinary(), copy);
    const result = await run([copy, "--version"], { env: bareEnv(), cwd: scratch });
    expect(result).toMatchObject({ code: 0, stdout: `mirrord ${packageJson.version}\n` });
    expect(packageJson.version).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
  });

  test.skipIf(!isRoot)("runs with node and bun made unusable on the machine", async () => {
    const bunExe = join(REPO_ROOT, "node_modules", "bun", "bin", "bun.exe");
    const hide = ["/usr/bin/node", bunExe].map((p) => `mount --bind /dev/null ${p}`).join(" && ");
    const script = `${hide} && ! node --version 2>/dev/null && exec ${mirrordBinary()} --version`;
    const result = await run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script], {
      env: bareEnv({ PATH: "/usr/bin:/bin" }),
    });
    expect(result.stderr).toBe("");
    expect(result).toMatchObject({ code: 0, stdout: `mirrord ${packageJson.version}\n` });
  });

  test("`extract` round-trips the embedded layer byte for byte, and it links only libc", async () => {
    const out = join(scratch, "extract");
    const result = await run([mirrordBinary(), "extract", out], { env: bareEnv() });
    expect(result.code).toBe(0);
    const extracted = join(out, "libmirrord_layer.so");
    expect(result.stdout.trim()).toBe(extracted);
    const built = readFileSync(join(REPO_ROOT, "layer", "build", "libmirrord_layer.so"));
    expect(Buffer.compare(readFileSync(extracted), built)).toBe(0);
    const ldd = await run(["ldd", extracted]);
    const libraries = ldd.stdout
      .split("\n")
      .map((line) => line.trim().split(/\s+/)[0] ?? "")
      .filter(Boolean);
    expect(libraries.length).toBeGreaterThan(0);
    for (const library of libraries)
      expect(library).toMatch(
        /^(linux-vdso\.so\.1|libc\.so\.6|\/lib64\/ld-linux-x86-64\.so\.2|\/lib\/ld-linux-aarch64\.so\.1)$/,
      );
  });

  test("many mirrord processes started at the same instant all find the same valid layer", async () => {
    const cache = join(scratch, "race-cache");
    const fifo = join(scratch, "start-gate");
    await run(["mkfifo", fifo]);
    const count = 8;
    const racers = Array.from({ length: count }, () =>
      run(["sh", "-c", `read _ < ${fifo}; exec ${mirrordBinary()} diagnose layer`], {
        env: bareEnv({ PATH: "/usr/bin:/bin", XDG_CACHE_HOME: cache }),
      }),
    );
    await Bun.sleep(300); // every racer is now blocked on the gate
    await run(["sh", "-c", `: > ${fifo}`]); // opening and closing the FIFO releases them together
    const results = await Promise.all(racers);
    const paths = new Set<string>();
    for (const result of results) {
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      paths.add(/extracted to: (\S+)/.exec(result.stdout)?.[1] ?? "");
    }
    expect(paths.size).toBe(1);
    const [path] = [...paths] as [string];
    const built = readFileSync(join(REPO_ROOT, "layer", "build", "libmirrord_layer.so"));
    expect(Buffer.compare(readFileSync(path), built)).toBe(0);
    expect(readdirSync(join(path, ".."))).toEqual(["libmirrord_layer.so"]);
  });
});

describe("the command line", () => {
  test("lists every public subcommand in --help and hides the internal ones", async () => {
    const { code, stdout } = await run([mirrordBinary(), "--help"]);
    expect(code).toBe(0);
    for (const name of ["exec", "ls", "port-forward", "diagnose", "completions"])
      expect(stdout).toContain(`  ${name}`);
    for (const name of ["agent", "intproxy", "extract"]) {
      expect(stdout).not.toMatch(new RegExp(`^\\s+(\\$ mirrord )?${name}\\b`, "m"));
    }
  });

  test("exits 2 with a hint on a usage error, naming a close command", async () => {
    const result = await run([mirrordBinary(), "exce"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("did you mean `exec`?");
    expect(result.stderr).toContain("hint:");
    const unknownFlag = await run([mirrordBinary(), "ls", "--no-such-flag"]);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toContain("--no-such-flag");
  });

  test("exits 1 with one line of cause and a hint on a runtime error, no stack trace", async () => {
    const env = { ...(process.env as Record<string, string>), KUBECONFIG: "/nonexistent/kubeconfig" };
    const result = await run([mirrordBinary(), "diagnose", "latency"], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: the kubeconfig file \/nonexistent\/kubeconfig does not exist\n {2}hint: .+\n$/,
    );
    const verbose = await run([mirrordBinary(), "diagnose", "latency"], {
      env: { ...env, MIRRORD_LOG: "debug" },
    });
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });

  test("prints a completion script that bash accepts and that offers the public commands only", async () => {
    const { code, stdout } = await run([mirrordBinary(), "completions", "bash"]);
    expect(code).toBe(0);
    const syntax = await run(["bash", "-n", "-c", stdout]);
    expect(syntax.code).toBe(0);
    expect(stdout).toContain("exec ls port-forward verify-config schema diagnose completions");
    expect(stdout).not.toContain("intproxy");
    for (const shell of ["zsh", "fish", "elvish", "powershell"]) {
      const other = await run([mirrordBinary(), "completions", shell]);
      expect(other.code).toBe(0);
      expect(other.stdout).toContain("port-forward");
    }
    expect((await run([mirrordBinary(), "completions", "tcsh"])).code).toBe(2);
  });
});
