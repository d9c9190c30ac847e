import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ipAddressFromText, ipAddressToText } from "./ip-address.ts";

describe("ipAddressFromText / ipAddressToText", () => {
  it("round-trips IPv4", () => {
    const ip = ipAddressFromText("10.244.2.7");
    assert.deepEqual(ip, { kind: "v4", octets: Uint8Array.from([10, 244, 2, 7]) });
    assert.equal(ipAddressToText(ip), "10.244.2.7");
  });

  it("expands and compresses IPv6, including embedded IPv4", () => {
    const loopback = ipAddressFromText("::1");
    assert.equal(loopback.octets[15], 1);
    assert.equal(ipAddressToText(loopback), "::1");
    assert.equal(ipAddressToText(ipAddressFromText("fd00:10:244::1:2")), "fd00:10:244::1:2");
    assert.equal(ipAddressToText(ipAddressFromText("2001:db8:1:2:3:4:5:6")), "2001:db8:1:2:3:4:5:6");
    assert.deepEqual([...ipAddressFromText("::ffff:10.0.0.1").octets.slice(10)], [0xff, 0xff, 10, 0, 0, 1]);
    assert.equal(ipAddressToText(ipAddressFromText("::")), "::");
  });

  it("refuses what is not an address", () => {
    assert.throws(() => ipAddressFromText("db.local"), /not an IP address/);
  });
});
