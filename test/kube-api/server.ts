/**
 * The HTTPS + WebSocket front of the stand-in API server: the REST paths, verbs, watch streams, Status
 * errors, bearer-token auth and RBAC denials that @kubernetes/client-node meets in a real cluster.
 * What the objects *do* (Jobs make pods, pods run) is the kubelet's business (`kubelet.ts`).
 */
import { connect, type Socket } from "node:net";
import type { Server, ServerWebSocket } from "bun";
import { RESOURCES, type ResourceKind, resourceFor } from "./resources.ts";
import { schemaProblems } from "./schema.ts";
import { type KubeObject, type Query, Store, type WatchEvent } from "./store.ts";
import type { ServerTls } from "./tls.ts";

export interface PodBackend {
  /** A unix socket whose every connection reaches 127.0.0.1:`port` inside the pod's network namespace. */
  dial(pod: KubeObject, port: number): Promise<string>;
  /** The container's output so far and whether it has exited. */
  /** The container's output so far, per stream (each only ever grows), and whether it has exited. */
  logs(pod: KubeObject, container: string): ContainerOutput | undefined;
}

export interface Denial {
  verb: string;
  /** `pods`, `jobs`, `pods/ephemeralcontainers`, `pods/portforward` … */
  resource: string;
}

export interface ApiServerOptions {
  tls: ServerTls;
  /** Bearer token every request must carry, unless `clientCertificates`. */
  token: string;
  /** Require a client certificate signed by the server's CA at the TLS handshake, instead of the token. */
  clientCertificates?: boolean;
  backend: PodBackend;
}

export interface ContainerOutput {
  stdout: string;
  stderr: string;
  finished: boolean;
}

interface ForwardSocket {
  pod: KubeObject;
  port: number;
  tcp?: Socket;
  pending: Buffer[];
}

const WATCH_TIMEOUT_MAX_S = 300;

export function status(code: number, reason: string, message: string): Response {
  return Response.json(
    { kind: "Status", apiVersion: "v1", status: "Failure", message, reason, code },
    { status: code },
  );
}

function groupOf(resource: ResourceKind): string {
  return resource.apiVersion.includes("/") ? (resource.apiVersion.split("/")[0] as string) : "";
}

interface Route {
  resource: ResourceKind;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

/** `/api/v1/…` and `/apis/<group>/<version>/…` into resource, namespace, name, subresource. */
function route(pathname: string): Route | undefined {
  const parts = pathname.split("/").filter(Boolean);
  let apiVersion: string;
  if (parts[0] === "api" && parts[1] === "v1") {
    apiVersion = "v1";
    parts.splice(0, 2);
  } else if (parts[0] === "apis" && parts.length >= 3) {
    apiVersion = `${parts[1]}/${parts[2]}`;
    parts.splice(0, 3);
  } else return undefined;
  let namespace: string | undefined;
  if ((parts[0] as string) === "namespaces" && parts.length >= 3) {
    namespace = parts[1];
    parts.splice(0, 2);
  }
  const resource = resourceFor(apiVersion, parts[0] ?? "");
  if (!resource || parts.length > 3) return undefined;
  return { resource, namespace, name: parts[1], subresource: parts[2] };
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    typeof target === "object" && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

export class KubeApiServer {
  readonly store = new Store();
  private readonly denials: Denial[] = [];
  private server: Server<ForwardSocket> | undefined;
  /** Every request as `VERB path`, for tests that assert what a client did. */
  readonly requests: string[] = [];
  /** Bodies of every POST/PUT/PATCH exactly as received, for tests that assert created objects. */
  readonly received: { method: string; path: string; body: unknown }[] = [];
  /** Caps every list page (as a server may), so tests see `continue` tokens without 500 objects. */
  maxPageSize: number | undefined;
  private readonly forwards = new Set<ServerWebSocket<ForwardSocket>>();

  constructor(private readonly options: ApiServerOptions) {}

  start(): string {
    this.server = Bun.serve<ForwardSocket, never>({
      hostname: "127.0.0.1",
      port: 0,
      tls: {
        cert: this.options.tls.certPem,
        key: this.options.tls.keyPem,
        ...(this.options.clientCertificates
          ? { ca: this.options.tls.caPem, requestCert: true, rejectUnauthorized: true }
          : {}),
      },
      fetch: (request, server) => this.handle(request, server),
      websocket: {
        open: (ws) => {
          this.forwards.add(ws);
          return this.forwardOpen(ws);
        },
        message: (ws, message) => this.forwardMessage(ws, message),
        close: (ws) => {
          this.forwards.delete(ws);
          ws.data.tcp?.destroy();
        },
      },
    });
    return `https://127.0.0.1:${this.server.port}`;
  }

  stop(): void {
    this.server?.stop(true);
  }

  deny(verb: string, resource: string): void {
    this.denials.push({ verb, resource });
  }

  /**
   * Cuts every open port-forward WebSocket without a close frame, as a proxy or a restarting API
   * server does; the pod side of each (the TCP connection to the pod's port) is closed with it.
   * Returns how many were cut.
   */
  dropPortForwards(): number {
    const open = [...this.forwards];
    for (const ws of open) ws.terminate();
    return open.length;
  }

  /** Lifts every `deny`. */
  allowAll(): void {
    this.denials.length = 0;
  }

  /** Stores an object as if a controller had made it (no schema or RBAC check). */
  apply(object: KubeObject): KubeObject {
    const resource = RESOURCES.find((r) => r.kind === object.kind);
    if (!resource) throw new Error(`apply: unknown kind ${object.kind}`);
    if (resource.namespaced) object.metadata.namespace ??= "default";
    return this.store.put(resource, object);
  }

  private async handle(request: Request, server: Server<ForwardSocket>): Promise<Response | undefined> {
    const url = new URL(request.url);
    this.requests.push(`${request.method} ${url.pathname}${url.search}`);
    if (["POST", "PUT", "PATCH"].includes(request.method))
      this.received.push({
        method: request.method,
        path: url.pathname,
        body: await request
          .clone()
          .json()
          .catch(() => undefined),
      });
    if (
      !this.options.clientCertificates &&
      request.headers.get("authorization") !== `Bearer ${this.options.token}`
    )
      return status(401, "Unauthorized", "Unauthorized");
    if (url.pathname === "/version")
      return Response.json({
        major: "1",
        minor: "32",
        gitVersion: "v1.32.0-mirrord-stand-in",
        platform: "linux/amd64",
      });
    if (url.pathname === "/api") return Response.json({ kind: "APIVersions", versions: ["v1"] });
    if (url.pathname === "/apis") return Response.json(this.groupList());
    const found = route(url.pathname);
    if (!found)
      return status(404, "NotFound", `the server could not find the requested resource (${url.pathname})`);
    const verb = this.verbOf(request.method, found, url);
    const rbacResource = found.subresource
      ? `${found.resource.plural}/${found.subresource}`
      : found.resource.plural;
    if (this.denials.some((d) => d.verb === verb && d.resource === rbacResource)) {
      const group = groupOf(found.resource);
      return status(
        403,
        "Forbidden",
        `${found.resource.plural}${group ? `.${group}` : ""} is forbidden: User "mirrord-test" cannot ${verb} resource "${rbacResource}" in API group "${group}"${found.namespace ? ` in the namespace "${found.namespace}"` : ""}`,
      );
    }
    if (found.subresource === "portforward") return this.upgradeForward(request, server, found, url);
    if (found.subresource === "log") return this.podLog(found, url);
    if (found.subresource === "ephemeralcontainers") return this.ephemeral(request, found);
    if (found.subresource)
      return status(404, "NotFound", `subresource ${found.subresource} is not served by the stand-in`);
    switch (verb) {
      case "get":
        return this.get(found);
      case "list":
        return this.list(found, url);
      case "watch":
        return this.watch(found, url);
      case "create":
        return this.create(found, (await request.json()) as KubeObject);
      case "delete":
        return this.remove(found, url);
      case "patch":
        return this.patch(found, request);
      default:
        return status(
          405,
          "MethodNotAllowed",
          `${request.method} is not served by the stand-in for ${found.resource.plural}`,
        );
    }
  }

  private verbOf(method: string, found: Route, url: URL): string {
    const watching = ["true", "1"].includes(url.searchParams.get("watch") ?? "");
    if (method === "GET")
      return found.name === undefined
        ? watching
          ? "watch"
          : "list"
        : found.subresource === "portforward"
          ? "create"
          : "get";
    return (
      { POST: "create", PUT: "update", PATCH: "patch", DELETE: "delete" }[method] ?? method.toLowerCase()
    );
  }

  private groupList() {
    const groups = new Map<string, string>();
    for (const r of RESOURCES) if (r.apiVersion.includes("/")) groups.set(groupOf(r), r.apiVersion);
    return {
      kind: "APIGroupList",
      apiVersion: "v1",
      groups: [...groups].map(([name, groupVersion]) => ({
        name,
        versions: [{ groupVersion, version: groupVersion.split("/")[1] }],
        preferredVersion: { groupVersion, version: groupVersion.split("/")[1] },
      })),
    };
  }

  private notFound(found: Route): Response {
    const group = groupOf(found.resource);
    return status(
      404,
      "NotFound",
      `${found.resource.plural}${group ? `.${group}` : ""} "${found.name}" not found`,
    );
  }

  private get(found: Route): Response {
    const object = this.store.get(found.resource.plural, found.namespace, found.name ?? "");
    return object ? Response.json(object) : this.notFound(found);
  }

  private query(found: Route, url: URL): Query {
    return {
      namespace: found.namespace,
      labelSelector: url.searchParams.get("labelSelector") ?? undefined,
      fieldSelector: url.searchParams.get("fieldSelector") ?? undefined,
    };
  }

  /** `limit` / `continue` chunking; the token is the offset into the (stable, insertion-ordered) list. */
  private list(found: Route, url: URL): Response {
    const all = this.store.list(found.resource.plural, this.query(found, url));
    const limits = [Number(url.searchParams.get("limit") ?? 0), this.maxPageSize ?? 0].filter((n) => n > 0);
    const from = Number(url.searchParams.get("continue") ?? 0);
    const to = limits.length > 0 ? from + Math.min(...limits) : all.length;
    return Response.json({
      apiVersion: found.resource.apiVersion,
      kind: `${found.resource.kind}List`,
      metadata: {
        resourceVersion: this.store.resourceVersion,
        ...(to < all.length ? { continue: String(to) } : {}),
      },
      items: all.slice(from, to),
    });
  }

  /** A chunked stream of JSON lines; without a resourceVersion it starts with ADDED for what exists. */
  private watch(found: Route, url: URL): Response {
    const query = this.query(found, url);
    const timeoutS = Math.min(
      Number(url.searchParams.get("timeoutSeconds") ?? WATCH_TIMEOUT_MAX_S),
      WATCH_TIMEOUT_MAX_S,
    );
    const encoder = new TextEncoder();
    let stop = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const send = (event: WatchEvent) => {
          try {
            controller.enqueue(encoder.encode(`${JSON.stringify(event)}\n`));
          } catch {
            stop();
          }
        };
        if (!url.searchParams.get("resourceVersion"))
          for (const object of this.store.list(found.resource.plural, query)) send({ type: "ADDED", object });
        const unwatch = this.store.watch(found.resource.plural, query, send);
        const timer = setTimeout(() => stop(), timeoutS * 1000);
        stop = () => {
          unwatch();
          clearTimeout(timer);
          try {
            controller.close();
          } catch {}
        };
      },
      cancel: () => stop(),
    });
    return new Response(stream, {
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
    });
  }

  private create(found: Route, body: KubeObject): Response {
    const { resource } = found;
    if (found.name !== undefined) return status(405, "MethodNotAllowed", "POST goes to the collection");
    const problems = resource.model ? schemaProblems(body, resource.model) : [];
    if (body?.kind !== undefined && body.kind !== resource.kind)
      problems.push(`.kind: expected ${resource.kind}`);
    if (problems.length > 0)
      return status(
        400,
        "BadRequest",
        `${resource.kind} in version "${resource.apiVersion}" cannot be handled: ${problems.join("; ")}`,
      );
    const name = body.metadata?.name;
    if (!name || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 63)
      return status(
        422,
        "Invalid",
        `${resource.kind} "${name ?? ""}" is invalid: metadata.name: Invalid value`,
      );
    const namespace = resource.namespaced ? found.namespace : undefined;
    if (body.metadata.namespace !== undefined && body.metadata.namespace !== namespace)
      return status(
        400,
        "BadRequest",
        "the namespace of the provided object does not match the namespace sent on the request",
      );
    if (this.store.get(resource.plural, namespace, name))
      return status(409, "AlreadyExists", `${resource.plural} "${name}" already exists`);
    const stored = this.store.put(resource, { ...body, metadata: { ...body.metadata, namespace } });
    return Response.json(stored, { status: 201 });
  }

  /** JSON merge patch (RFC 7386) only; the result must still fit the schema. */
  private async patch(found: Route, request: Request): Promise<Response> {
    if (request.headers.get("content-type") !== "application/merge-patch+json")
      return status(
        415,
        "UnsupportedMediaType",
        `the stand-in accepts only application/merge-patch+json, got ${request.headers.get("content-type")}`,
      );
    const object = this.store.get(found.resource.plural, found.namespace, found.name ?? "");
    if (!object) return this.notFound(found);
    const merged = mergePatch(object, await request.json()) as KubeObject;
    const problems = found.resource.model ? schemaProblems(merged, found.resource.model) : [];
    if (problems.length > 0) return status(422, "Invalid", problems.join("; "));
    return Response.json(this.store.put(found.resource, merged));
  }

  /** Jobs default to orphaning their pods (as in Kubernetes); Background/Foreground delete them too. */
  private remove(found: Route, url: URL): Response {
    const object = this.store.delete(found.resource, found.namespace, found.name ?? "");
    if (!object) return this.notFound(found);
    const policy =
      url.searchParams.get("propagationPolicy") ??
      (found.resource.plural === "jobs" ? "Orphan" : "Background");
    if (policy !== "Orphan") {
      const pods = RESOURCES.find((r) => r.plural === "pods") as ResourceKind;
      for (const pod of this.store.list("pods", { namespace: found.namespace }))
        if (
          (pod.metadata.ownerReferences as { uid: string }[] | undefined)?.some(
            (o) => o.uid === object.metadata.uid,
          )
        )
          this.store.delete(pods, found.namespace, pod.metadata.name);
    }
    return Response.json(object);
  }

  /** GET the pod as the subresource; PUT/PATCH may only add ephemeral containers (they cannot change or go). */
  private async ephemeral(request: Request, found: Route): Promise<Response> {
    const pods = found.resource;
    const pod = this.store.get(pods.plural, found.namespace, found.name ?? "");
    if (!pod) return this.notFound(found);
    if (request.method === "GET") return Response.json(pod);
    if (request.method !== "PUT" && request.method !== "PATCH")
      return status(405, "MethodNotAllowed", `${request.method} pods/ephemeralcontainers`);
    const body = (await request.json()) as KubeObject;
    const problems = schemaProblems(body, "V1Pod");
    if (problems.length > 0)
      return status(400, "BadRequest", `Pod cannot be handled: ${problems.join("; ")}`);
    const before: { name: string }[] = pod.spec?.ephemeralContainers ?? [];
    const after: { name: string }[] = body.spec?.ephemeralContainers ?? [];
    const kept = before.every(
      (old) => JSON.stringify(after.find((c) => c.name === old.name)) === JSON.stringify(old),
    );
    if (!kept)
      return status(
        422,
        "Invalid",
        `Pod "${pod.metadata.name}" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers may not be changed`,
      );
    const stored = this.store.put(pods, { ...pod, spec: { ...pod.spec, ephemeralContainers: after } });
    return Response.json(stored);
  }

  private podLog(found: Route, url: URL): Response {
    const pod = this.store.get("pods", found.namespace, found.name ?? "");
    if (!pod) return this.notFound(found);
    const container = url.searchParams.get("container") ?? pod.spec?.containers?.[0]?.name ?? "";
    const backend = this.options.backend;
    if (!backend.logs(pod, container))
      return status(
        400,
        "BadRequest",
        `container "${container}" in pod "${pod.metadata.name}" is waiting to start`,
      );
    if (url.searchParams.get("follow") !== "true") {
      const output = backend.logs(pod, container);
      return new Response(`${output?.stdout ?? ""}${output?.stderr ?? ""}`);
    }
    // Each stream is followed by its own offset: they grow independently, in any order.
    const sent = { stdout: 0, stderr: 0 };
    let timer: ReturnType<typeof setInterval> | undefined;
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const pump = () => {
          const now = backend.logs(pod, container);
          for (const key of ["stdout", "stderr"] as const) {
            const text = now?.[key] ?? "";
            if (text.length > sent[key]) {
              controller.enqueue(new TextEncoder().encode(text.slice(sent[key])));
              sent[key] = text.length;
            }
          }
          if (!now || now.finished) {
            clearInterval(timer);
            controller.close();
          }
        };
        timer = setInterval(pump, 50);
        pump();
      },
      cancel: () => clearInterval(timer),
    });
    return new Response(stream, { headers: { "content-type": "text/plain" } });
  }

  private upgradeForward(
    request: Request,
    server: Server<ForwardSocket>,
    found: Route,
    url: URL,
  ): Response | undefined {
    const pod = this.store.get("pods", found.namespace, found.name ?? "");
    if (!pod) return this.notFound(found);
    if (pod.status?.phase !== "Running")
      return status(
        400,
        "BadRequest",
        `unable to upgrade connection: pod ${pod.metadata.name} is not running`,
      );
    const port = Number(url.searchParams.get("ports"));
    if (!Number.isInteger(port) || port < 1 || port > 65535) return status(400, "BadRequest", "invalid port");
    const offered = (request.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
    if (!offered.includes("v4.channel.k8s.io"))
      return status(400, "BadRequest", "v4.channel.k8s.io required");
    const upgraded = server.upgrade(request, {
      headers: { "Sec-WebSocket-Protocol": "v4.channel.k8s.io" },
      data: { pod, port, pending: [] },
    });
    return upgraded ? undefined : status(400, "BadRequest", "websocket upgrade failed");
  }

  /** v4.channel.k8s.io framing: [channel][payload]; data on 0, errors on 1, each opened with the port (LE). */
  private async forwardOpen(ws: ServerWebSocket<ForwardSocket>): Promise<void> {
    const { pod, port } = ws.data;
    const portBytes = [port & 0xff, port >> 8];
    ws.send(new Uint8Array([0, ...portBytes]));
    ws.send(new Uint8Array([1, ...portBytes]));
    const fail = (message: string) => {
      ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(message)]));
      ws.close();
    };
    let socketPath: string;
    try {
      socketPath = await this.options.backend.dial(pod, port);
    } catch (error) {
      return fail(`error forwarding port ${port} to pod ${pod.metadata.name}: ${(error as Error).message}`);
    }
    const tcp = connect({ path: socketPath });
    ws.data.tcp = tcp;
    tcp.on("connect", () => {
      for (const chunk of ws.data.pending.splice(0)) tcp.write(chunk);
    });
    tcp.on("data", (chunk: Buffer) => ws.send(Buffer.concat([Buffer.from([0]), chunk])));
    tcp.on("error", (error) => fail(`error forwarding port ${port}: ${error.message}`));
    tcp.on("close", () => ws.close());
  }

  private forwardMessage(ws: ServerWebSocket<ForwardSocket>, message: string | Buffer): void {
    const bytes = typeof message === "string" ? Buffer.from(message) : Buffer.from(message);
    if (bytes[0] !== 0 || bytes.length <= 1) return;
    const payload = bytes.subarray(1);
    const tcp = ws.data.tcp;
    if (tcp && !tcp.connecting) tcp.write(payload);
    else ws.data.pending.push(payload);
  }
}
