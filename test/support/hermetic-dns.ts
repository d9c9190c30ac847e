/**
 * Runs a command with the laptop's resolver pointed at 127.0.0.1 (a private mount namespace with its own
 * /etc/resolv.conf), so a test showing that "the laptop cannot resolve cluster names" never sends a
 * query to the machine's real nameserver.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const RESOLV_CONF = join(tmpdir(), `mirrord-test-resolv-${process.pid}.conf`);

export function withLoopbackResolver(argv: readonly string[]): string[] {
  writeFileSync(RESOLV_CONF, "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n");
  return [
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "sh",
    "-c",
    'mount --bind "$0" /etc/resolv.conf && exec "$@"',
    RESOLV_CONF,
    ...argv,
  ];
}
