/** In-memory objects of the stand-in API server, with resourceVersions, selectors and watch fan-out. */
import type { ResourceKind } from "./resources.ts";

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are free-form JSON here.
export type KubeObject = Record<string, any> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
};

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";
export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

interface Watcher {
  plural: string;
  namespace: string | undefined;
  matches: (object: KubeObject) => boolean;
  send: (event: WatchEvent) => void;
}

export interface Query {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** `k=v`, `k!=v`, `k`, `!k`, comma-joined; what client-node and mirrord send. */
export function labelMatcher(selector: string | undefined): (labels: Record<string, string>) => boolean {
  const terms = (selector ?? "").split(",").filter((t) => t.trim() !== "");
  return (labels) =>
    terms.every((term) => {
      const notEqual = /^([^!=]+)!=(.*)$/.exec(term);
      if (notEqual) return labels[notEqual[1] as string] !== notEqual[2];
      const equal = /^([^!=]+)==?(.*)$/.exec(term);
      if (equal) return labels[equal[1] as string] === equal[2];
      if (term.startsWith("!")) return !(term.slice(1) in labels);
      return term in labels;
    });
}

function fieldValue(object: KubeObject, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], object);
}

/** Field selectors on any dotted path (`metadata.name=x`, `status.phase=Running`, `spec.nodeName!=n`). */
export function fieldMatcher(selector: string | undefined): (object: KubeObject) => boolean {
  const terms = (selector ?? "").split(",").filter((t) => t.trim() !== "");
  return (object) =>
    terms.every((term) => {
      const match = /^([^!=]+)(!=|==|=)(.*)$/.exec(term);
      if (!match) return false;
      const actual = String(fieldValue(object, match[1] as string) ?? "");
      return match[2] === "!=" ? actual !== match[3] : actual === match[3];
    });
}

export class Store {
  private version = 1;
  private readonly objects = new Map<string, KubeObject>();
  private readonly watchers = new Set<Watcher>();

  private key(plural: string, namespace: string | undefined, name: string): string {
    return `${plural}/${namespace ?? ""}/${name}`;
  }

  get(plural: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(this.key(plural, namespace, name));
  }

  list(plural: string, query: Query = {}): KubeObject[] {
    const labels = labelMatcher(query.labelSelector);
    const fields = fieldMatcher(query.fieldSelector);
    return [...this.objects.entries()]
      .filter(([key]) => key.startsWith(`${plural}/`))
      .map(([, object]) => object)
      .filter((o) => query.namespace === undefined || o.metadata.namespace === query.namespace)
      .filter((o) => labels(o.metadata.labels ?? {}) && fields(o));
  }

  get resourceVersion(): string {
    return String(this.version);
  }

  /** Stores (creating or replacing) and notifies watchers; returns the stored copy. */
  put(resource: ResourceKind, object: KubeObject): KubeObject {
    const key = this.key(resource.plural, object.metadata.namespace, object.metadata.name);
    const existed = this.objects.has(key);
    const stored = structuredClone(object);
    stored.apiVersion = resource.apiVersion;
    stored.kind = resource.kind;
    stored.metadata.resourceVersion = String(++this.version);
    stored.metadata.uid ??= crypto.randomUUID();
    stored.metadata.creationTimestamp ??= new Date().toISOString();
    this.objects.set(key, stored);
    this.notify(resource.plural, { type: existed ? "MODIFIED" : "ADDED", object: stored });
    return stored;
  }

  delete(resource: ResourceKind, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = this.key(resource.plural, namespace, name);
    const object = this.objects.get(key);
    if (!object) return undefined;
    this.objects.delete(key);
    object.metadata.resourceVersion = String(++this.version);
    this.notify(resource.plural, { type: "DELETED", object });
    return object;
  }

  watch(plural: string, query: Query, send: (event: WatchEvent) => void): () => void {
    const labels = labelMatcher(query.labelSelector);
    const fields = fieldMatcher(query.fieldSelector);
    const watcher: Watcher = {
      plural,
      namespace: query.namespace,
      matches: (o) => labels(o.metadata.labels ?? {}) && fields(o),
      send,
    };
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  private notify(plural: string, event: WatchEvent): void {
    for (const watcher of this.watchers) {
      if (watcher.plural !== plural) continue;
      if (watcher.namespace !== undefined && watcher.namespace !== event.object.metadata.namespace) continue;
      if (watcher.matches(event.object)) watcher.send(structuredClone(event));
    }
  }
}
