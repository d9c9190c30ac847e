/** A throw-away CA and a server certificate for 127.0.0.1, made with openssl, as a cluster's API server has. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ServerTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

function openssl(args: string[], cwd: string): void {
  const result = Bun.spawnSync(["openssl", ...args], { cwd, stderr: "pipe", stdout: "ignore" });
  if (result.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr.toString()}`);
}

export function makeServerTls(dir: string): ServerTls {
  openssl(
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=kube-api-test-ca",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
    ],
    dir,
  );
  openssl(
    [
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=kube-apiserver",
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
    ],
    dir,
  );
  writeFileSync(join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(
    [
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      "ext.cnf",
      "-out",
      "server.crt",
    ],
    dir,
  );
  const read = (name: string) => readFileSync(join(dir, name), "utf8");
  return { caPem: read("ca.crt"), certPem: read("server.crt"), keyPem: read("server.key") };
}

/** A client certificate signed by the CA `makeServerTls` made in `dir` (the API server then trusts it). */
export function makeClientCert(dir: string, user: string): { certPem: string; keyPem: string } {
  openssl(
    [
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${user}`,
      "-keyout",
      `${user}.key`,
      "-out",
      `${user}.csr`,
    ],
    dir,
  );
  openssl(
    [
      "x509",
      "-req",
      "-in",
      `${user}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "1",
      "-out",
      `${user}.crt`,
    ],
    dir,
  );
  return {
    certPem: readFileSync(join(dir, `${user}.crt`), "utf8"),
    keyPem: readFileSync(join(dir, `${user}.key`), "utf8"),
  };
}
