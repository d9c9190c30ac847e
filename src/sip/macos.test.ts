/**
 * The SIP patch on a real Mac (skipped elsewhere): `bun test src/sip` on macOS runs these against
 * /usr/bin/env and /bin/sh, whose DYLD_* variables macOS strips unless mirrord patched them.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sipEnforced } from "../platform/index.ts";
import { sipCommandForExec } from "./index.ts";

const onMac = process.platform === "darwin";
const scratch = mkdtempSync(join(tmpdir(), "mirrord-sip-macos-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// A DYLD_* variable that changes nothing but is stripped exactly like DYLD_INSERT_LIBRARIES.
const MARKER = { DYLD_FALLBACK_FRAMEWORK_PATH: "/mirrord-sip-marker" };
const env = { ...process.env, HOME: scratch, XDG_CACHE_HOME: join(scratch, "cache"), ...MARKER };

function run(path: string, argv: string[]): string {
  const [argv0 = path, ...rest] = argv;
  return spawnSync(path, rest, { env, encoding: "utf8", argv0 }).stdout;
}

describe.skipIf(!onMac)("SIP patching on macOS", () => {
  test("SIP status comes from csr_check", () => {
    expect(typeof sipEnforced()).toBe("boolean");
  });

  test.skipIf(onMac && !sipEnforced())(
    "a patched /usr/bin/env keeps DYLD_* variables the original loses",
    () => {
      expect(run("/usr/bin/env", ["env"])).not.toContain("/mirrord-sip-marker");
      const command = sipCommandForExec("/usr/bin/env", ["env"], { skip_sip: [] }, env);
      expect(command.patched.length).toBe(1);
      expect(run(command.path, command.argv)).toContain("DYLD_FALLBACK_FRAMEWORK_PATH=/mirrord-sip-marker");
      const signature = spawnSync("/usr/bin/codesign", ["-dv", command.path], { encoding: "utf8" }).stderr;
      expect(signature).toContain("Signature=adhoc");
    },
  );

  test.skipIf(onMac && !sipEnforced())("a /bin/sh script runs through a patched sh that keeps them", () => {
    const script = join(scratch, "show.sh");
    writeFileSync(script, '#!/bin/sh\necho "marker=$DYLD_FALLBACK_FRAMEWORK_PATH"\n', { mode: 0o755 });
    expect(run(script, [script])).toBe("marker=\n");
    const command = sipCommandForExec(script, [script], { skip_sip: [] }, env);
    expect(command.argv).toEqual(["/bin/sh", script]);
    expect(run(command.path, command.argv)).toBe("marker=/mirrord-sip-marker\n");
  });

  test.skipIf(onMac && !sipEnforced())(
    "a `#!/usr/bin/env sh` script runs through a patched sh, not env",
    () => {
      const script = join(scratch, "show-env.sh");
      writeFileSync(script, '#!/usr/bin/env sh\necho "marker=$DYLD_FALLBACK_FRAMEWORK_PATH"\n', {
        mode: 0o755,
      });
      expect(run(script, [script])).toBe("marker=\n");
      const command = sipCommandForExec(script, [script], { skip_sip: [] }, env);
      expect(command.argv).toEqual(["sh", script]);
      expect(command.patched.map((patch) => patch.original)).toEqual(["/bin/sh"]);
      expect(run(command.path, command.argv)).toBe("marker=/mirrord-sip-marker\n");
    },
  );

  test("skip_sip leaves the program alone", () => {
    expect(sipCommandForExec("/usr/bin/env", ["env"], { skip_sip: ["env"] }, env).patched).toEqual([]);
  });
});

test.skipIf(onMac)("off macOS the command is never changed", () => {
  expect(sipCommandForExec("/usr/bin/env", ["env"], { skip_sip: [] }, process.env, "linux")).toEqual({
    path: "/usr/bin/env",
    argv: ["env"],
    patched: [],
  });
});
