/**
 * A pod's filesystem: a directory prepared from the host (its own /etc, the given files) plus an init
 * script that, inside fresh mount + UTS namespaces, bind-mounts the host's /usr read-only, mounts /proc,
 * /sys and a minimal /dev, sets the hostname and pivots into the directory.
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { DNS_IP } from "./network.ts";

export type PodFiles = Record<string, string | Uint8Array>;

/** Where the simulator's sample apps appear inside every pod. */
export const APPS_MOUNT = "/opt/mirrord-sim/apps";
const APPS_SOURCE = join(dirname(fileURLToPath(import.meta.url)), "apps");

const CLUSTER_DOMAIN = "cluster.local";
export const SEARCH_DOMAINS = [`default.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN];

const TOP_LEVEL_LINKS_OR_DIRS = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];
const ETC_COPIED = ["passwd", "group", "nsswitch.conf", "ld.so.cache", "ld.so.conf", "localtime"];
const ETC_BOUND = ["alternatives", "ssl"];
/** Mount points the init script covers: files written there would be hidden, so they are refused. */
const RESERVED = [
  "/usr",
  "/proc",
  "/sys",
  "/dev",
  APPS_MOUNT,
  ...TOP_LEVEL_LINKS_OR_DIRS.map((d) => `/${d}`),
];
const DEVICES: ReadonlyArray<readonly [string, number, number]> = [
  ["null", 1, 3],
  ["zero", 1, 5],
  ["full", 1, 7],
  ["random", 1, 8],
  ["urandom", 1, 9],
  ["tty", 5, 0],
];

export interface RootfsSpec {
  dir: string;
  hostname: string;
  ip: string;
  files: PodFiles;
}

/** Writes the pod's own files under `spec.dir`; returns the host directories to bind read-only. */
export function prepareRootfs(spec: RootfsSpec): string[] {
  const { dir } = spec;
  const files = Object.entries(spec.files).map(
    ([path, content]) => [checkPodFilePath(path), content] as const,
  );
  for (const sub of ["usr", "proc", "sys", "dev", "etc", "root", "home", "run", "var/tmp", APPS_MOUNT]) {
    mkdirSync(join(dir, sub), { recursive: true });
  }
  mkdirSync(join(dir, "tmp"));
  chmodSync(join(dir, "tmp"), 0o1777);
  const binds = ["/usr", APPS_SOURCE];
  for (const top of TOP_LEVEL_LINKS_OR_DIRS) {
    const host = `/${top}`;
    if (!existsSync(host)) continue;
    if (lstatSync(host).isSymbolicLink()) {
      symlinkSync(readlinkSync(host), join(dir, top));
    } else {
      mkdirSync(join(dir, top));
      binds.push(host);
    }
  }
  for (const name of ETC_COPIED) {
    if (existsSync(`/etc/${name}`)) copyFileSync(`/etc/${name}`, join(dir, "etc", name));
  }
  for (const name of ETC_BOUND) {
    if (!existsSync(`/etc/${name}`)) continue;
    mkdirSync(join(dir, "etc", name));
    binds.push(`/etc/${name}`);
  }
  writeFileSync(join(dir, "etc/hostname"), `${spec.hostname}\n`);
  writeFileSync(join(dir, "etc/hosts"), hostsFile(spec.hostname, spec.ip));
  writeFileSync(join(dir, "etc/resolv.conf"), resolvConf());
  for (const [path, content] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return binds;
}

function hostsFile(hostname: string, ip: string): string {
  return [
    "# Kubernetes-managed hosts file (mirrord simulator).",
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    `${ip}\t${hostname}`,
    "",
  ].join("\n");
}

function resolvConf(): string {
  return `search ${SEARCH_DOMAINS.join(" ")}\nnameserver ${DNS_IP}\noptions ndots:5\n`;
}

function checkPodFilePath(path: string): string {
  if (!path.startsWith("/") || normalize(path) !== path || path.endsWith("/")) {
    throw new Error(`pod file path ${JSON.stringify(path)} must be absolute and normalized`);
  }
  const reserved = RESERVED.find((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  if (reserved !== undefined) {
    throw new Error(`pod file ${path} lies under ${reserved}, which the simulator mounts over`);
  }
  return path;
}

/** Single-quotes a value for sh. */
function quote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Destination of a host bind inside the pod: the apps folder moves to APPS_MOUNT, the rest keep their path. */
function bindTarget(source: string): string {
  return source === APPS_SOURCE ? APPS_MOUNT : source;
}

/**
 * The sh script run by the pod's holder process (inside its new mount + UTS namespaces). It ends by
 * printing `ready` and exec'ing a sleeper whose root, mounts and hostname are the pod's.
 */
export function initScript(rootDir: string, hostname: string, binds: readonly string[]): string {
  const root = quote(rootDir);
  const dev = `${root}/dev`;
  return [
    "set -eu",
    `hostname ${quote(hostname)}`,
    "mount --make-rprivate /",
    `mount --bind ${root} ${root}`,
    ...binds.map((source) => `mount --bind -o ro ${quote(source)} ${root}${quote(bindTarget(source))}`),
    `mount -t proc proc ${root}/proc`,
    `mount -t sysfs -o ro sysfs ${root}/sys`,
    `mount -t tmpfs -o mode=755,size=1m tmpfs ${dev}`,
    ...DEVICES.map(([name, major, minor]) => `mknod -m 666 ${dev}/${name} c ${major} ${minor}`),
    `ln -s /proc/self/fd ${dev}/fd`,
    ...["stdin", "stdout", "stderr"].map((name, fd) => `ln -s /proc/self/fd/${fd} ${dev}/${name}`),
    `mkdir ${dev}/shm ${dev}/pts`,
    `mount -t tmpfs -o mode=1777,size=64m tmpfs ${dev}/shm`,
    `cd ${root}`,
    "mkdir .old-root",
    "pivot_root . .old-root",
    "cd /",
    "umount -l /.old-root",
    "rmdir /.old-root",
    "echo ready",
    "exec /usr/bin/sleep infinity",
  ].join("\n");
}
