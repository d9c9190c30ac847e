/**
 * The layer's socket bookkeeping checked in isolation: layer/test/outgoing_units.c compiled against the
 * layer sources it covers (socket_table, outgoing_udp, outgoing_address, address_filter) with the
 * layer's own strict flags.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../support/binary.ts";

const LAYER = join(import.meta.dir, "..", "..", "layer");
const SOURCES = [
  "socket_table.c",
  "fd_events.c",
  "outgoing_udp.c",
  "outgoing_address.c",
  "address_filter.c",
  "protocol/mp_protocol.c",
];

test("socket table, UDP routes, address conversion and filter entries behave as documented", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mirrord-outgoing-units-"));
  try {
    const exe = join(dir, "outgoing_units");
    const built = await run([
      "gcc",
      "-std=gnu11",
      "-D_GNU_SOURCE",
      "-Wall",
      "-Wextra",
      "-Werror",
      "-O1",
      `-I${join(LAYER, "src")}`,
      ...SOURCES.map((source) => join(LAYER, "src", source)),
      join(LAYER, "test", "outgoing_units.c"),
      "-o",
      exe,
    ]);
    expect(built.stderr).toBe("");
    const result = await run([exe]);
    expect(result.stdout).toMatch(/^checks=\d+ failed=0$/m);
    expect(result.code).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
