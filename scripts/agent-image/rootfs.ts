/**
 * The agent image's file system without a base image or a container engine: Debian bookworm packages
 * for the image's architecture (downloaded with apt, dependencies resolved by apt from an empty package
 * database, unpacked with dpkg-deb — no maintainer scripts run), the links those scripts would have made,
 * a root-only /etc/passwd, and the release's `mirrord` executable.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { ImageArch } from "./oci-layout.ts";

/** What the agent runs besides itself: `sh` and `cat` (redirect watchdogs), `iptables` or `nft`. */
export const AGENT_PACKAGES = ["dash", "coreutils", "iptables", "nftables"];

/** The links the packages' maintainer scripts make with update-alternatives (the nft backend). */
const POSTINST_LINKS: [string, string][] = [
  ["bin/sh", "dash"],
  ["usr/sbin/iptables", "iptables-nft"],
  ["usr/sbin/iptables-save", "iptables-nft-save"],
  ["usr/sbin/iptables-restore", "iptables-nft-restore"],
  ["usr/sbin/ip6tables", "ip6tables-nft"],
  ["usr/sbin/ip6tables-save", "ip6tables-nft-save"],
  ["usr/sbin/ip6tables-restore", "ip6tables-nft-restore"],
];

function run(argv: string[]): string {
  const result = spawnSync(argv[0] as string, argv.slice(1), { encoding: "utf8", maxBuffer: 64 << 20 });
  if (result.status !== 0) {
    const output = `${result.stderr ?? ""}${result.stdout ?? ""}`.trim().split("\n").slice(-4).join(" ");
    throw new Error(`${argv.slice(0, 2).join(" ")} failed: ${output || result.error?.message}`);
  }
  return result.stdout;
}

/**
 * Downloads `packages` and everything they depend on for `arch` into `cache` (kept between runs) and
 * returns the .deb files. apt resolves against an empty status file, so nothing from this machine leaks in.
 */
export function downloadPackages(arch: ImageArch, packages: string[], cache: string): string[] {
  const archives = join(cache, arch);
  mkdirSync(join(archives, "partial"), { recursive: true });
  const status = join(cache, `${arch}.status`);
  writeFileSync(status, "");
  try {
    run([
      "apt-get",
      "-q",
      "-y",
      `-o=Dir::State::status=${status}`,
      `-o=Dir::Cache::archives=${archives}`,
      `-o=APT::Architecture=${arch}`,
      `-o=APT::Architectures::=${arch}`,
      "--download-only",
      "--no-install-recommends",
      "install",
      ...packages,
    ]);
  } catch (error) {
    const hint =
      arch === "arm64" ? " (arm64 packages need `dpkg --add-architecture arm64 && apt-get update`)" : "";
    throw new Error(`could not download the ${arch} packages${hint}: ${(error as Error).message}`);
  }
  return readdirSync(archives)
    .filter((name) => name.endsWith(".deb"))
    .sort()
    .map((name) => join(archives, name));
}

/** Fills `root` with the agent's file system for `arch`; `binary` is the release's mirrord for it. */
export function assembleRootfs(root: string, arch: ImageArch, binary: string, cache: string): void {
  mkdirSync(root, { recursive: true, mode: 0o755 });
  for (const deb of downloadPackages(arch, AGENT_PACKAGES, cache)) run(["dpkg-deb", "-x", deb, root]);
  for (const [link, target] of POSTINST_LINKS) {
    if (!existsSync(join(root, link, "..", target))) {
      throw new Error(`${target} is missing from the ${arch} packages (needed for /${link})`);
    }
    if (!existsSync(join(root, link))) symlinkSync(target, join(root, link));
  }
  mkdirSync(join(root, "usr", "local", "bin"), { recursive: true });
  copyFileSync(binary, join(root, "usr", "local", "bin", "mirrord"));
  chmodSync(join(root, "usr", "local", "bin", "mirrord"), 0o755);
  mkdirSync(join(root, "etc"), { recursive: true });
  writeFileSync(join(root, "etc", "passwd"), "root:x:0:0:root:/root:/usr/sbin/nologin\n", { mode: 0o644 });
  writeFileSync(join(root, "etc", "group"), "root:x:0:\n", { mode: 0o644 });
  for (const dir of ["root", "proc", "sys", "dev", "tmp", "run"])
    mkdirSync(join(root, dir), { recursive: true });
  chmodSync(join(root, "root"), 0o700);
  chmodSync(join(root, "tmp"), 0o1777);
}
