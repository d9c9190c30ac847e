import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseHostsFile } from "./hosts-file.ts";

describe("parseHostsFile", () => {
  const hosts = parseHostsFile(`127.0.0.1 localhost
::1 localhost ip6-localhost
10.244.1.7  api-7d9f  api   # the pod itself
bogus line
10.0.0.9 Legacy.Internal
`);
  it("maps names (case-insensitively) to every address, in file order", () => {
    assert.deepEqual(hosts.addressesOf("localhost"), ["127.0.0.1", "::1"]);
    assert.deepEqual(hosts.addressesOf("API"), ["10.244.1.7"]);
    assert.deepEqual(hosts.addressesOf("legacy.internal."), ["10.0.0.9"]);
    assert.deepEqual(hosts.addressesOf("nope"), []);
  });
  it("maps addresses back to their first name", () => {
    assert.equal(hosts.nameOf("10.244.1.7"), "api-7d9f");
    assert.equal(hosts.nameOf("10.9.9.9"), undefined);
  });
});
