/**
 * Name resolution as the target process would do it: its `/etc/hosts` first, then its nameservers with
 * its search list and ndots, from inside its network namespace.
 */
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { type HostsFile, parseHostsFile } from "./hosts-file.ts";
import { ask, type RecordType } from "./query.ts";
import { candidateNames, parseResolvConf } from "./resolv-conf.ts";

export type Family = 4 | 6;

export interface Resolved {
  canonicalName: string;
  addresses: { family: Family; address: string }[];
}

/** Why a name did not resolve, as getaddrinfo reports it. */
export class ResolveError extends Error {
  override readonly name = "ResolveError";
  constructor(
    readonly reason: "noname" | "again",
    message: string,
  ) {
    super(message);
  }
}

async function readOr(path: string, fallback: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return fallback;
  }
}

/** Reads the target's files on every call: they may change while the session runs, as in the pod. */
async function targetFiles(root: string) {
  const [resolvConf, hosts] = await Promise.all([
    readOr(`${root}/etc/resolv.conf`, ""),
    readOr(`${root}/etc/hosts`, ""),
  ]);
  return { conf: parseResolvConf(resolvConf), hosts: parseHostsFile(hosts) };
}

export async function resolveName(
  root: string,
  name: string,
  families: readonly Family[],
): Promise<Resolved> {
  const literal = isIP(name);
  if (literal)
    return {
      canonicalName: name,
      addresses: families.includes(literal as Family) ? [{ family: literal as Family, address: name }] : [],
    };
  const { conf, hosts } = await targetFiles(root);
  const fromHosts = fromHostsFile(hosts, name, families);
  if (fromHosts.addresses.length > 0) return fromHosts;
  let unavailable: string | undefined;
  for (const candidate of candidateNames(name, conf)) {
    try {
      const found = await lookupCandidate(conf, candidate, families);
      if (found) return found;
    } catch (error) {
      unavailable = (error as Error).message;
    }
  }
  if (unavailable) throw new ResolveError("again", unavailable);
  throw new ResolveError(
    "noname",
    `${name} does not resolve in the target (tried ${candidateNames(name, conf).join(", ")})`,
  );
}

function fromHostsFile(hosts: HostsFile, name: string, families: readonly Family[]): Resolved {
  const addresses = hosts
    .addressesOf(name)
    .map((address) => ({ family: isIP(address) as Family, address }))
    .filter(({ family }) => families.includes(family));
  return { canonicalName: name.replace(/\.$/, ""), addresses };
}

async function lookupCandidate(conf: Parameters<typeof ask>[0], name: string, families: readonly Family[]) {
  const types: RecordType[] = families.map((family) => (family === 4 ? "A" : "AAAA"));
  const answers = await Promise.all(types.map((type) => ask(conf, name, type)));
  const addresses = answers.flatMap((answer, index) =>
    answer.records
      .filter((record) => record.type === types[index])
      .map((record) => ({ family: (types[index] === "A" ? 4 : 6) as Family, address: record.data })),
  );
  if (addresses.length === 0) return undefined;
  const canonical = answers.flatMap((answer) =>
    answer.records.filter((r) => r.type === "A" || r.type === "AAAA"),
  )[0];
  return { canonicalName: canonical?.name ?? name, addresses };
}

/** The name for an address: the target's hosts file, then a PTR query. */
export async function reverseLookup(root: string, address: string): Promise<string> {
  const { conf, hosts } = await targetFiles(root);
  const fromHosts = hosts.nameOf(address);
  if (fromHosts) return fromHosts;
  const answer = await ask(conf, ptrName(address), "PTR");
  const record = answer.records.find((r) => r.type === "PTR");
  if (!record) throw new ResolveError("noname", `no name for ${address} in the target`);
  return record.data.replace(/\.$/, "");
}

function ptrName(address: string): string {
  if (isIP(address) === 4) return `${address.split(".").reverse().join(".")}.in-addr.arpa`;
  const groups = address.split("::");
  const head = groups[0] ? groups[0].split(":") : [];
  const tail = groups[1] ? groups[1].split(":") : [];
  const full = [...head, ...Array(8 - head.length - tail.length).fill("0"), ...tail];
  const nibbles = full.map((group) => group.padStart(4, "0")).join("");
  return `${[...nibbles].reverse().join(".")}.ip6.arpa`;
}
