/**
 * The API server's long-lived responses: watch streams (one JSON event per line) and followed container
 * logs, read through `client.ts` so they use the kubeconfig's TLS like every other call.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { openStream } from "./client.ts";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

async function eachChunk(stream: ReadableStream<Uint8Array>, onText: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      onText(decoder.decode(value, { stream: true }));
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Watches `path` until the server ends the stream (resolves) or `signal` aborts (rejects with its reason);
 * `onEvent` gets every event in order.
 */
export async function watchEvents<T>(
  config: KubeConfig,
  path: string,
  query: Record<string, string | number>,
  onEvent: (type: WatchEventType, object: T) => void,
  signal: AbortSignal,
): Promise<void> {
  const stream = await openStream(config, path, { ...query, watch: true }, signal);
  let pending = "";
  await eachChunk(stream, (text) => {
    pending += text;
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) {
        const event = JSON.parse(line) as { type: WatchEventType; object: T };
        onEvent(event.type, event.object);
      }
      newline = pending.indexOf("\n");
    }
  });
}

/** Follows a container's log, handing each piece of text to `onText`, until the container's log ends. */
export async function followLog(
  config: KubeConfig,
  target: { namespace: string; pod: string; container: string },
  onText: (text: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const stream = await openStream(
    config,
    `/api/v1/namespaces/${target.namespace}/pods/${target.pod}/log`,
    { container: target.container, follow: true },
    signal,
  );
  await eachChunk(stream, onText);
}
