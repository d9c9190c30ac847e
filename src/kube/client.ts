/**
 * Every byte to the API server goes through here, so the kubeconfig's CA, client certificate,
 * `insecure-skip-tls-verify` / `accept_invalid_certificates`, auth headers (tokens, exec plugins) and
 * proxy reach TLS. client-node hands them to an undici dispatcher or `https.Agent`, which the runtime's
 * fetch and WebSocket ignore; `src/platform` takes them as plain settings instead.
 */
import type { RequestOptions } from "node:https";
import {
  ApiException,
  type Configuration,
  createConfiguration,
  HttpMethod,
  type KubeConfig,
  RequestContext,
  ResponseContext,
  ServerConfiguration,
  wrapHttpLibrary,
} from "@kubernetes/client-node";
// Not re-exported by the package index; PortForward takes it as its handler.
import { WebSocketHandler } from "@kubernetes/client-node/dist/web-socket-handler.js";
import { fetchWithTls, openWebSocketWithTls, type TlsSettings } from "../platform/index.ts";

const USER_AGENT = "mirrord-ts";

function tlsFrom(options: RequestOptions): TlsSettings {
  return {
    ca: options.ca as TlsSettings["ca"],
    cert: options.cert as TlsSettings["cert"],
    key: options.key as TlsSettings["key"],
    rejectUnauthorized: options.rejectUnauthorized,
    servername: options.servername ?? undefined,
  };
}

/** The TLS settings the current context asks for (runs exec/OIDC auth plugins as needed). */
export async function tlsSettings(config: KubeConfig): Promise<TlsSettings> {
  const options: RequestOptions = {};
  await config.applyToHTTPSOptions(options);
  return tlsFrom(options);
}

function serverUrl(config: KubeConfig): string {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  return cluster.server;
}

function proxyOf(config: KubeConfig): string | undefined {
  return config.getCurrentCluster()?.proxyUrl || undefined;
}

function headersOf(response: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return headers;
}

/** One request with the context's credentials, TLS and proxy. */
async function send(config: KubeConfig, request: RequestContext): Promise<Response> {
  return fetchWithTls(request.getUrl(), {
    method: request.getHttpMethod().toString(),
    headers: { "user-agent": USER_AGENT, ...request.getHeaders() },
    body: request.getBody() as string | undefined,
    signal: request.getSignal(),
    tls: await tlsSettings(config),
    proxy: proxyOf(config),
  });
}

function configuration(config: KubeConfig): Configuration {
  return createConfiguration({
    baseServer: new ServerConfiguration(serverUrl(config), {}),
    authMethods: { default: config },
    httpApi: wrapHttpLibrary({
      send: async (request) => {
        const response = await send(config, request);
        return new ResponseContext(response.status, headersOf(response), {
          text: () => response.text(),
          binary: async () => Buffer.from(await response.arrayBuffer()),
          stream: () => response.body,
        });
      },
    }),
  });
}

/** `config.makeApiClient(Api)`, but with TLS that works. */
export function apiClient<T>(config: KubeConfig, Api: new (configuration: Configuration) => T): T {
  return new Api(configuration(config));
}

/**
 * A streaming GET (watch, followed log): resolves with the open response once the server answered 200;
 * any other status becomes the ApiException client-node's own calls throw, with the server's Status.
 */
export async function openStream(
  config: KubeConfig,
  path: string,
  query: Record<string, string | number | boolean>,
  signal: AbortSignal,
): Promise<ReadableStream<Uint8Array>> {
  const url = new URL(serverUrl(config) + path);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, String(value));
  const request = new RequestContext(url.toString(), HttpMethod.GET);
  await config.applySecurityAuthentication(request);
  request.setSignal(signal);
  const response = await send(config, request);
  if (response.status === 200 && response.body) return response.body;
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  throw new ApiException(response.status, `GET ${path}: HTTP ${response.status}`, body, headersOf(response));
}

/** For client-node's PortForward / Exec / Attach: their WebSocket, opened with the context's TLS. */
export function webSocketHandler(config: KubeConfig): WebSocketHandler {
  return new WebSocketHandler(config, (uri: string, protocols: string[], options: RequestOptions) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {}))
      if (value !== undefined) headers[name] = String(value);
    if (options.auth) headers.authorization = `Basic ${Buffer.from(options.auth).toString("base64")}`;
    const socket = openWebSocketWithTls(uri, protocols, headers, tlsFrom(options), proxyOf(config));
    // The handler uses only the WHATWG side of `ws` (onopen/onmessage/send/close), which this provides.
    return socket as unknown as ReturnType<NonNullable<ConstructorParameters<typeof WebSocketHandler>[1]>>;
  });
}
