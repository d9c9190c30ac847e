/** Errors of the control plane: one sentence of cause plus what to do, as the CLI prints them. */
import { ApiException } from "@kubernetes/client-node";

export class KubeError extends Error {
  override readonly name = "KubeError";
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

interface StatusBody {
  message?: string;
  reason?: string;
}

function statusOf(error: ApiException<unknown>): StatusBody {
  const body = error.body;
  if (typeof body === "string") {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return { message: body };
    }
  }
  return (body ?? {}) as StatusBody;
}

/** Turns a client-node failure while `doing` something into a KubeError naming cause and remedy. */
export function explainKubeFailure(error: unknown, doing: string, server?: string): KubeError {
  if (error instanceof KubeError) return error;
  if (error instanceof ApiException) {
    const status = statusOf(error);
    const message = status.message ?? `HTTP ${error.code}`;
    switch (error.code) {
      case 401:
        return new KubeError(
          `${doing}: the cluster rejected the credentials (401 Unauthorized)`,
          "refresh your kubeconfig credentials (e.g. log in again) and retry",
        );
      case 403:
        return new KubeError(
          `${doing}: forbidden by the cluster's RBAC: ${message}`,
          "ask a cluster admin for that permission, or use a context whose user has it",
        );
      case 404:
        return new KubeError(`${doing}: ${message}`);
      default:
        return new KubeError(`${doing}: ${message} (HTTP ${error.code})`);
    }
  }
  const text = (error as Error)?.message ?? String(error);
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? "";
  if (/\bproxy\b/i.test(`${text} ${cause?.message ?? ""}`))
    return new KubeError(
      `${doing}: the HTTP proxy in the way to the API server failed (${cause?.message ?? text})`,
      "check the kubeconfig's proxy-url or HTTPS_PROXY / NO_PROXY, or set `use_proxy: false` to go direct",
    );
  if (
    /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ConnectionRefused|Unable to connect|fetch failed/i.test(
      `${code} ${text}`,
    )
  )
    return new KubeError(
      `${doing}: the Kubernetes API server${server ? ` at ${server}` : ""} is unreachable (${cause?.message ?? text})`,
      "check that the cluster is running and your kubeconfig's server address, VPN or proxy settings",
    );
  if (/certificate|self.signed|CERT_/i.test(`${code} ${text} ${cause?.message ?? ""}`))
    return new KubeError(
      `${doing}: the API server's TLS certificate is not trusted (${cause?.message ?? text})`,
      "fix the kubeconfig's certificate-authority, or set `accept_invalid_certificates: true`",
    );
  if (/EPROTO|handshake/i.test(`${code} ${text}`))
    return new KubeError(
      `${doing}: the TLS handshake with the API server${server ? ` at ${server}` : ""} failed (${text})`,
      "the server may require a client certificate: check the kubeconfig user's client-certificate and client-key",
    );
  return new KubeError(`${doing}: ${text}`);
}
