/**
 * `kubectl port-forward` for the simulator: a host-loopback listener whose every connection is carried over a
 * unix socket (files cross namespaces, packets do not) to a relay inside the pod's network namespace that
 * dials 127.0.0.1:<port> there, exactly as the kubelet does.
 */
import { existsSync } from "node:fs";
import { netnsPath } from "./network.ts";
import { SimProcess, waitFor } from "./process.ts";

const READY_TIMEOUT_MS = 5_000;
/** Bytes socat moves per read/write. Its default, 8 KiB, held bulk transfers to a fraction of what a real
 * port-forward (kubectl copying between streams in 32 KiB+ writes) carries. */
const RELAY_BUFFER = 64 << 10;

export interface Forward {
  /** Always 127.0.0.1. */
  host: string;
  port: number;
  /** The pod-side port it reaches. */
  podPort: number;
  close(): Promise<void>;
}

export async function startForward(
  netns: string,
  podPort: number,
  socketPath: string,
  track: (pid: number) => void,
): Promise<Forward> {
  // nodelay on both TCP ends: without it a small request and its reply each wait out Nagle against
  // delayed ACKs (~40 ms per round trip), which a real port-forward does not add.
  const inPod = new SimProcess(
    [
      "nsenter",
      `--net=${netnsPath(netns)}`,
      "--",
      "socat",
      "-b",
      String(RELAY_BUFFER),
      `UNIX-LISTEN:${socketPath},fork,unlink-early`,
      `TCP:127.0.0.1:${podPort},nodelay`,
    ],
    { onSpawn: track },
  );
  const onHost = new SimProcess(
    [
      "socat",
      "-d",
      "-d",
      "-b",
      String(RELAY_BUFFER),
      "TCP-LISTEN:0,bind=127.0.0.1,fork,reuseaddr,nodelay",
      `UNIX-CONNECT:${socketPath}`,
    ],
    { onSpawn: track },
  );
  const close = async () => {
    await Promise.all([onHost.stop(), inPod.stop()]);
  };
  try {
    await waitFor(`the pod side of the forward to :${podPort}`, READY_TIMEOUT_MS, () => {
      if (inPod.exitStatus !== undefined) throw new Error(`forward relay exited: ${inPod.stderr()}`);
      return existsSync(socketPath);
    });
    const listening = /listening on AF=2 127\.0\.0\.1:(\d+)/;
    await waitFor(`the host side of the forward to :${podPort}`, READY_TIMEOUT_MS, () => {
      if (onHost.exitStatus !== undefined) throw new Error(`forward listener exited: ${onHost.stderr()}`);
      return listening.test(onHost.stderr());
    });
    const port = Number(listening.exec(onHost.stderr())?.[1]);
    return { host: "127.0.0.1", port, podPort, close };
  } catch (error) {
    await close();
    throw error;
  }
}
