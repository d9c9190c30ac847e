/** One DNS question over UDP to the target's nameservers (we are in its network namespace). */
import { randomInt } from "node:crypto";
import { createSocket } from "node:dgram";
import { isIPv6 } from "node:net";
import * as packet from "dns-packet";
import type { ResolvConf } from "./resolv-conf.ts";

export type RecordType = "A" | "AAAA" | "PTR";

export interface Answer {
  /** NOERROR with these records (possibly none: NODATA), or NXDOMAIN. */
  rcode: "NOERROR" | "NXDOMAIN";
  records: { type: string; name: string; data: string }[];
}

export class DnsUnavailable extends Error {
  override readonly name = "DnsUnavailable";
}

/** Tries each nameserver `attempts` times with the configured timeout; SERVFAIL moves on to the next. */
export async function ask(conf: ResolvConf, name: string, type: RecordType): Promise<Answer> {
  const problems: string[] = [];
  for (let attempt = 0; attempt < conf.attempts; attempt++) {
    for (const server of conf.nameservers) {
      try {
        const response = await exchange(server, name, type, conf.timeoutMs);
        if (response.rcode === "NOERROR" || response.rcode === "NXDOMAIN") {
          return {
            rcode: response.rcode,
            records: (response.answers ?? []).map((answer) => ({
              type: answer.type,
              name: answer.name,
              data: String((answer as { data: unknown }).data),
            })),
          };
        }
        problems.push(`${server}: ${response.rcode}`);
      } catch (error) {
        problems.push(`${server}: ${(error as Error).message}`);
      }
    }
  }
  throw new DnsUnavailable(`no answer for ${name} ${type}: ${[...new Set(problems)].join("; ")}`);
}

/** The decoded response; the package's types leave out the response code it does return. */
type Response = packet.DecodedPacket & { rcode?: string };

function exchange(server: string, name: string, type: RecordType, timeoutMs: number): Promise<Response> {
  const id = randomInt(0, 0x10000);
  const query = packet.encode({
    type: "query",
    id,
    flags: packet.RECURSION_DESIRED,
    questions: [{ type, name }],
  });
  const socket = createSocket(isIPv6(server) ? "udp6" : "udp4");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    const finish = (error: Error | null, response?: Response) => {
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(response as Response);
    };
    socket.on("error", (error) => finish(error));
    socket.on("message", (message) => {
      try {
        const response: Response = packet.decode(message);
        if (response.id === id) finish(null, response);
      } catch {
        // a malformed datagram is not our answer: keep waiting until the timeout
      }
    });
    socket.send(query, 53, server);
  });
}
