/**
 * The layer's socket bookkeeping checked in isolation: layer/test/outgoing_units.c compiled against the
 * layer sources it covers (socket_table, outgoing_udp, outgoing_address, address_filter) with the
 * layer's own strict flags.
 */
import { expect, test } from "bun:test";
import { runLayerUnits } from "../support/layer-units.ts";

const SOURCES = [
  "socket_table.c",
  "fd_events.c",
  "outgoing_udp.c",
  "outgoing_address.c",
  "address_filter.c",
  "protocol/mp_protocol.c",
];

test("socket table, UDP routes, address conversion and filter entries behave as documented", async () => {
  const result = await runLayerUnits("outgoing_units", SOURCES);
  expect(result.stdout).toMatch(/^checks=\d+ failed=0$/m);
  expect(result.code).toBe(0);
}, 60_000);
