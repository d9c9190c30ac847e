/** Converting the protocol's `IpAddress` to and from text. */
import { isIPv4, isIPv6 } from "node:net";
import type { IpAddress } from "./types.gen.ts";

export function ipAddressFromText(text: string): IpAddress {
  if (isIPv4(text)) return { kind: "v4", octets: Uint8Array.from(text.split(".").map(Number)) };
  if (!isIPv6(text)) throw new Error(`"${text}" is not an IP address`);
  const embeddedV4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  const v4Groups = embeddedV4
    ? (() => {
        const [a = 0, b = 0, c = 0, d = 0] = embeddedV4.split(".").map(Number);
        return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
      })()
    : [];
  const hex = embeddedV4 ? text.slice(0, -embeddedV4.length).replace(/:$/, ":") + v4Groups.join(":") : text;
  const [head = "", tail] = hex.split("::");
  const groups = (part: string) => (part ? part.split(":").map((g) => Number.parseInt(g, 16)) : []);
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
  return { kind: "v6", octets: Uint8Array.from(all.flatMap((g) => [g >> 8, g & 0xff])) };
}

export function ipAddressToText(ip: IpAddress): string {
  if (ip.kind === "v4") return [...ip.octets].join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip.octets[i] ?? 0) << 8) | (ip.octets[i + 1] ?? 0));
  // RFC 5952: the longest run of two or more zero groups becomes "::".
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > best.length && end - i >= 2) best = { start: i, length: end - i };
    i = end === i ? i + 1 : end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (best.start === -1) return hex.join(":");
  return `${hex.slice(0, best.start).join(":")}::${hex.slice(best.start + best.length).join(":")}`;
}
