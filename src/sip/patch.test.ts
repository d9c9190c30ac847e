import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CS_RUNTIME, parseMachO } from "./macho.ts";
import { type SipSettings, sipCommand } from "./patch.ts";
import { fatMachO, thinMachO } from "./synthetic-macho.ts";

const scratch = mkdtempSync(join(tmpdir(), "mirrord-sip-patch-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Settings whose re-signing step records what it was handed (codesign exists only on macOS). */
function settings(name: string, overrides: Partial<SipSettings> = {}) {
  const signed: { path: string; arches: string[] }[] = [];
  const result: SipSettings = {
    sipBinaries: [],
    skipSip: ["git"],
    sipEnforced: true,
    cacheDir: join(scratch, `cache-${name}`),
    resign: (path) => {
      const arches = parseMachO(readFileSync(path), path)?.slices.map((slice) => slice.arch) ?? [];
      signed.push({ path, arches });
    },
    findOnPath: () => undefined,
    ...overrides,
  };
  return { settings: result, signed };
}

function writeProgram(name: string, bytes: Uint8Array | string, mode = 0o755): string {
  const path = join(scratch, name);
  writeFileSync(path, bytes, { mode });
  return path;
}

const hardened = () =>
  fatMachO([
    { arch: "x86_64", signature: { flags: CS_RUNTIME } },
    { arch: "arm64e", signature: { flags: CS_RUNTIME } },
  ]);

describe("sipCommand", () => {
  test("runs an unrestricted program as it is", () => {
    const program = writeProgram("plain", thinMachO({ arch: "arm64" }));
    const { settings: s, signed } = settings("plain");
    expect(sipCommand(program, ["plain", "-x"], s)).toEqual({
      path: program,
      argv: ["plain", "-x"],
      patched: [],
    });
    expect(signed).toEqual([]);
    expect(existsSync(s.cacheDir)).toBe(false);
  });

  test("runs a re-signed, arm64-relabelled copy of a hardened binary, keeping argv and the file name", () => {
    const program = writeProgram("tool", hardened(), 0o4755);
    const { settings: s, signed } = settings("hardened");
    const command = sipCommand(program, ["tool", "--flag"], s);
    expect(command.argv).toEqual(["tool", "--flag"]);
    expect(command.path).toStartWith(join(s.cacheDir, "sip-patch"));
    expect(command.path).toEndWith(program);
    expect(command.patched[0]?.reasons).toContain(`${program} is setuid/setgid`);
    expect(signed).toEqual([{ path: `${command.path}.${process.pid}.tmp`, arches: ["x86_64", "arm64"] }]);
    expect(parseMachO(readFileSync(command.path), command.path)?.slices.map((slice) => slice.arch)).toEqual([
      "x86_64",
      "arm64",
    ]);
    expect(statSync(command.path).mode & 0o7777).toBe(0o755);
    expect(readdirSync(join(command.path, ".."))).toEqual(["tool"]);
  });

  test("reuses the patched copy for the same content and makes a new one when the content changes", () => {
    const program = writeProgram("reused", hardened());
    const { settings: s, signed } = settings("reuse");
    const first = sipCommand(program, ["reused"], s).path;
    expect(sipCommand(program, ["reused"], s).path).toBe(first);
    expect(signed.length).toBe(1);
    writeProgram("reused", fatMachO([{ arch: "arm64", signature: { flags: CS_RUNTIME } }]));
    expect(sipCommand(program, ["reused"], s).path).not.toBe(first);
    expect(signed.length).toBe(2);
  });

  test("a script whose interpreter is restricted runs through a patched interpreter, the script untouched", () => {
    const interpreter = writeProgram("interp", hardened());
    const script = writeProgram("run.sh", `#!${interpreter} -e\necho hi\n`);
    const { settings: s } = settings("script");
    const command = sipCommand(script, ["./run.sh", "a", "b"], s);
    expect(command.path).toEndWith(interpreter);
    expect(command.path).not.toBe(interpreter);
    expect(command.argv).toEqual([interpreter, "-e", script, "a", "b"]);
    expect(command.patched.map((patch) => patch.original)).toEqual([interpreter]);
  });

  test("a `#!/usr/bin/env NAME` script runs through NAME from PATH, patched when it needs it, never through env", () => {
    const env = writeProgram("env", hardened());
    const tool = writeProgram("tool-on-path", hardened());
    const script = writeProgram("via-env.py", `#!${env} tool\nprint("hi")\n`);
    const found: string[] = [];
    const findOnPath = (name: string) => {
      found.push(name);
      return tool;
    };
    const patched = sipCommand(
      script,
      ["./via-env.py", "a"],
      settings("env-hardened", { findOnPath }).settings,
    );
    expect(found).toEqual(["tool"]);
    expect(patched.argv).toEqual(["tool", script, "a"]);
    expect(patched.path).toEndWith(tool);
    expect(patched.patched.map((patch) => patch.original)).toEqual([tool]);

    const plain = writeProgram("plain-on-path", thinMachO({ arch: "arm64" }));
    const direct = sipCommand(
      script,
      ["./via-env.py", "a"],
      settings("env-plain", { findOnPath: () => plain }).settings,
    );
    expect(direct).toEqual({ path: plain, argv: ["tool", script, "a"], patched: [] });
  });

  test("env with options, or a name PATH does not have, runs through a patched env as written", () => {
    const env = writeProgram("env", hardened());
    const withOptions = writeProgram("env-options.sh", `#!${env} -S tool -x\n`);
    const command = sipCommand(
      withOptions,
      ["./env-options.sh"],
      settings("env-options", { findOnPath: () => join(scratch, "never-used") }).settings,
    );
    expect(command.argv).toEqual([env, "-S tool -x", withOptions]);
    expect(command.patched.map((patch) => patch.original)).toEqual([env]);
    const missing = writeProgram("env-missing.sh", `#!${env} nowhere\n`);
    expect(sipCommand(missing, ["./env-missing.sh"], settings("env-missing").settings).argv).toEqual([
      env,
      "nowhere",
      missing,
    ]);
  });

  test("skip_sip wins over detection, sip_binaries forces a patch", () => {
    const git = writeProgram("git", hardened());
    expect(sipCommand(git, ["git"], settings("skip").settings).patched).toEqual([]);
    const plain = writeProgram("forced", thinMachO({ arch: "arm64" }));
    const forced = sipCommand(plain, ["forced"], settings("forced", { sipBinaries: ["forced"] }).settings);
    expect(forced.patched[0]?.reasons).toEqual([`${plain} is listed in sip_binaries`]);
  });

  test("a failed re-sign leaves no copy behind and reports the error", () => {
    const program = writeProgram("unsignable", hardened());
    const { settings: s } = settings("fail", {
      resign: () => {
        throw new Error("codesign exploded");
      },
    });
    expect(() => sipCommand(program, ["unsignable"], s)).toThrow("codesign exploded");
    expect(
      readdirSync(join(s.cacheDir, "sip-patch")).flatMap((dir) =>
        readdirSync(join(s.cacheDir, "sip-patch", dir, scratch)),
      ),
    ).toEqual([]);
  });

  test("a file that only looks like Mach-O is left to the loader", () => {
    const program = writeProgram("Main.class", new Uint8Array([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 0x41]));
    expect(sipCommand(program, ["Main.class"], settings("class").settings).patched).toEqual([]);
  });
});
