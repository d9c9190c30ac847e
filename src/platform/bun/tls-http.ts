/**
 * HTTPS requests and WebSockets with per-connection TLS settings (a private CA, a client certificate,
 * verification off). Node code passes these through an `https.Agent` or an undici dispatcher, which Bun's
 * fetch and WebSocket ignore; Bun takes them as a `tls` option instead.
 */

export interface TlsSettings {
  /** PEM CA bundle to trust instead of the system's. */
  ca?: string | Buffer | undefined;
  /** PEM client certificate and key. */
  cert?: string | Buffer | undefined;
  key?: string | Buffer | undefined;
  /** false accepts any server certificate. */
  rejectUnauthorized?: boolean | undefined;
  servername?: string | undefined;
}

export interface TlsRequestInit {
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  signal?: AbortSignal | undefined;
  tls: TlsSettings;
  /** An HTTP(S) proxy URL; undefined goes direct. */
  proxy?: string | undefined;
}

function bunTls(tls: TlsSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tls)) if (value !== undefined) out[key] = value;
  return out;
}

export function fetchWithTls(url: string, init: TlsRequestInit): Promise<Response> {
  return fetch(url, {
    method: init.method,
    headers: init.headers,
    body: init.body,
    signal: init.signal,
    tls: bunTls(init.tls),
    proxy: init.proxy,
  } as RequestInit);
}

/** A WebSocket whose binary messages arrive as Buffers; `proxy` (an HTTP(S) proxy URL) tunnels it with CONNECT. */
export function openWebSocketWithTls(
  url: string,
  protocols: string[],
  headers: Record<string, string>,
  tls: TlsSettings,
  proxy?: string,
): WebSocket {
  const options = { protocols, headers, tls: bunTls(tls), ...(proxy ? { proxy } : {}) };
  const socket = new WebSocket(url, options as unknown as string[]);
  (socket as { binaryType: string }).binaryType = "nodebuffer";
  return socket;
}
