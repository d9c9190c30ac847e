import { describe, expect, test } from "bun:test";
import { isSipProtectedPath, matchesBinaryList, restrictionsOf, shebangOf } from "./detect.ts";
import { CS_ADHOC, CS_RESTRICT, CS_RUNTIME } from "./macho.ts";
import { fatMachO, thinMachO } from "./synthetic-macho.ts";

const text = (value: string) => new TextEncoder().encode(value);
const ALLOW_DYLD = "com.apple.security.cs.allow-dyld-environment-variables";
const DISABLE_LV = "com.apple.security.cs.disable-library-validation";

describe("isSipProtectedPath", () => {
  test("system directories are protected, /usr/local and home directories are not", () => {
    for (const path of ["/usr/bin/env", "/bin/sh", "/sbin/ping", "/System/Library/x", "/usr/libexec/y"]) {
      expect(isSipProtectedPath(path)).toBe(true);
    }
    for (const path of ["/usr/local/bin/node", "/opt/homebrew/bin/python3", "/Users/me/app", "/usrx/bin/a"]) {
      expect(isSipProtectedPath(path)).toBe(false);
    }
  });
});

describe("restrictionsOf", () => {
  const mode = 0o755;

  test("a plain or ad-hoc signed binary outside system paths needs nothing", () => {
    const bytes = thinMachO({ arch: "arm64", signature: { flags: CS_ADHOC } });
    expect(restrictionsOf({ path: "/Users/me/app", bytes, mode }, true)).toEqual([]);
  });

  test("a system binary is restricted only while SIP is enforced", () => {
    const bytes = thinMachO({ arch: "arm64e" });
    expect(restrictionsOf({ path: "/bin/ls", bytes, mode }, true)).toEqual([
      "/bin/ls is in a SIP-protected system directory",
    ]);
    expect(restrictionsOf({ path: "/bin/ls", bytes, mode }, false)).toEqual([]);
  });

  test("hardened runtime needs both DYLD and library-validation entitlements to be left alone", () => {
    const path = "/Applications/Tool.app/tool";
    const strict = thinMachO({ arch: "x86_64", signature: { flags: CS_RUNTIME } });
    expect(restrictionsOf({ path, bytes: strict, mode }, true)).toEqual([
      `${path} uses the hardened runtime without the allow-dyld-environment-variables entitlement`,
      `${path} requires library validation, which rejects the ad-hoc signed mirrord layer`,
    ]);
    const lenient = thinMachO({
      arch: "x86_64",
      signature: { flags: CS_RUNTIME, entitlements: [ALLOW_DYLD, DISABLE_LV] },
    });
    expect(restrictionsOf({ path, bytes: lenient, mode }, true)).toEqual([]);
  });

  test("restricted signatures, __RESTRICT segments and setuid files are named, per slice in a fat file", () => {
    const bytes = fatMachO([
      { arch: "x86_64", restrictSegment: true },
      { arch: "arm64", signature: { flags: CS_RESTRICT } },
    ]);
    expect(restrictionsOf({ path: "/opt/t", bytes, mode: 0o4755 }, true)).toEqual([
      "/opt/t is setuid/setgid",
      "/opt/t (x86_64 slice) has a __RESTRICT segment",
      "/opt/t (arm64 slice) has a restricted code signature (CS_RESTRICT)",
    ]);
  });

  test("a script is not restricted by itself", () => {
    expect(restrictionsOf({ path: "/Users/me/run.sh", bytes: text("#!/bin/sh\n"), mode }, true)).toEqual([]);
  });
});

describe("shebangOf", () => {
  test("interpreter and its single optional argument", () => {
    expect(shebangOf(text("#!/bin/sh\necho"))).toEqual({ interpreter: "/bin/sh", argument: undefined });
    expect(shebangOf(text("#! /usr/bin/env  python3 -u\n"))).toEqual({
      interpreter: "/usr/bin/env",
      argument: "python3 -u",
    });
    expect(shebangOf(text("#!/bin/bash"))).toEqual({ interpreter: "/bin/bash", argument: undefined });
  });

  test("not a script: binaries, empty shebangs", () => {
    expect(shebangOf(thinMachO({ arch: "arm64" }))).toBeUndefined();
    expect(shebangOf(text("#!\n"))).toBeUndefined();
    expect(shebangOf(text("echo hi\n"))).toBeUndefined();
  });
});

describe("matchesBinaryList", () => {
  test("matches whole trailing path components, not substrings", () => {
    expect(matchesBinaryList("/usr/bin/git", ["git"])).toBe(true);
    expect(matchesBinaryList("/usr/bin/git", ["bin/git"])).toBe(true);
    expect(matchesBinaryList("/usr/bin/git", ["/usr/bin/git"])).toBe(true);
    expect(matchesBinaryList("/usr/bin/digit", ["git"])).toBe(false);
    expect(matchesBinaryList("/usr/bin/git", [""])).toBe(false);
  });
});
