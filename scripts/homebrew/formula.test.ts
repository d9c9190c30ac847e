import { describe, expect, test } from "bun:test";
import { homebrewFormula, parseChecksums } from "./formula.ts";

const SHA_A = "a".repeat(64);
const SHA_B = "b".repeat(64);

describe("parseChecksums", () => {
  test("reads text and binary-mode sha256sum lines, skipping blank ones", () => {
    const sums = parseChecksums(`${SHA_A}  mirrord-linux-x64\n\n${SHA_B} *mirrord-darwin-arm64\n`, "SUMS");
    expect([...sums]).toEqual([
      ["mirrord-linux-x64", SHA_A],
      ["mirrord-darwin-arm64", SHA_B],
    ]);
  });

  test("names the file and line of a malformed entry", () => {
    expect(() => parseChecksums(`${SHA_A}  ok\nnot a checksum\n`, "dist/SHA256SUMS")).toThrow(
      'dist/SHA256SUMS:2: not a sha256sum line: "not a checksum"',
    );
  });
});

describe("homebrewFormula", () => {
  const manifest = {
    version: "1.2.3",
    url: "https://mirror.example/mirrord/",
    released: ["darwin-arm64" as const, "linux-x64" as const],
    missing: {
      "darwin-x64": "no compiler that targets macOS",
      "linux-arm64": "aarch64-linux-gnu-gcc not found",
    },
  };
  const checksums = new Map([
    ["mirrord-darwin-arm64", SHA_A],
    ["mirrord-linux-x64", SHA_B],
  ]);

  test("one block per released platform, with its URL and checksum, and the missing ones named", () => {
    const formula = homebrewFormula({ manifest, checksums });
    expect(formula).toContain(
      `  on_macos do\n    on_arm do\n      url "https://mirror.example/mirrord/mirrord-darwin-arm64"\n      sha256 "${SHA_A}"\n    end\n  end`,
    );
    expect(formula).toContain(
      `  on_linux do\n    on_intel do\n      url "https://mirror.example/mirrord/mirrord-linux-x64"\n      sha256 "${SHA_B}"\n    end\n  end`,
    );
    expect(formula).not.toContain('mirrord-darwin-x64"');
    expect(formula).toContain("  # darwin-x64 is not in this release: no compiler that targets macOS");
    expect(formula).toContain('  version "1.2.3"');
  });

  test("a released platform without a checksum is an error, not a formula without one", () => {
    expect(() => homebrewFormula({ manifest, checksums: new Map([["mirrord-linux-x64", SHA_B]]) })).toThrow(
      "SHA256SUMS has no line for mirrord-darwin-arm64",
    );
  });

  test("Ruby interpolation in a URL is escaped", () => {
    const formula = homebrewFormula({
      manifest: { ...manifest, url: "https://x.example/#{evil}" },
      checksums,
    });
    expect(formula).toContain('url "https://x.example/\\#{evil}/mirrord-linux-x64"');
  });
});
