/**
 * Makes sure live clusters are destroyed when the process ends: on normal exit, and on SIGINT/SIGTERM
 * (which would otherwise kill the process without running "exit" handlers).
 */

interface Destroyable {
  destroySync(): void;
}

const live = new Set<Destroyable>();
let hooksInstalled = false;

function destroyAll(): void {
  for (const cluster of live) {
    try {
      cluster.destroySync();
    } catch (error) {
      console.error(`mirrord simulator: cleanup failed: ${(error as Error).message}`);
    }
  }
}

function onSignal(signal: NodeJS.Signals, exitCode: number): void {
  destroyAll();
  // Only end the process if nobody else handles the signal: installing a listener disables the default exit.
  if (process.listenerCount(signal) === 1) process.exit(exitCode);
}

export function trackLive(cluster: Destroyable): void {
  if (!hooksInstalled) {
    hooksInstalled = true;
    process.on("exit", destroyAll);
    process.on("SIGINT", () => onSignal("SIGINT", 130));
    process.on("SIGTERM", () => onSignal("SIGTERM", 143));
  }
  live.add(cluster);
}

export function untrackLive(cluster: Destroyable): void {
  live.delete(cluster);
}
