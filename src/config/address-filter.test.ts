import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dnsFilterProblem, parseAddressFilterEntry } from "./address-filter.ts";

describe("parseAddressFilterEntry", () => {
  const cases: [string, ReturnType<typeof parseAddressFilterEntry>][] = [
    ["db.default.svc", { kind: "name", name: "db.default.svc", port: 0 }],
    ["db:5432", { kind: "name", name: "db", port: 5432 }],
    ["10.0.0.1", { kind: "ip", ip: "10.0.0.1", port: 0 }],
    ["10.0.0.1:53", { kind: "ip", ip: "10.0.0.1", port: 53 }],
    ["10.96.0.0/12", { kind: "subnet", ip: "10.96.0.0", prefix: 12, port: 0 }],
    ["10.96.0.0/12:443", { kind: "subnet", ip: "10.96.0.0", prefix: 12, port: 443 }],
    ["[fd00::1]:8080", { kind: "ip", ip: "fd00::1", port: 8080 }],
    ["[fd00::]", { kind: "ip", ip: "fd00::", port: 0 }],
    [":53", { kind: "port", port: 53 }],
    ["tcp://api:80", { kind: "name", name: "api", port: 80 }],
  ];
  for (const [entry, expected] of cases) {
    it(`parses ${entry}`, () => {
      assert.equal(dnsFilterProblem(entry.replace("tcp://", "")), undefined);
      assert.deepEqual(parseAddressFilterEntry(entry), expected);
    });
  }
});
