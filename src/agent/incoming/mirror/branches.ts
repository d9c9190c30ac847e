/**
 * One mirrored connection for several subscribers: each gets its own branch of the copy, so one of them
 * hanging up (or falling behind) ends only its own branch. The copy itself stops when every branch did.
 */
import { Readable } from "node:stream";
import type { TappedConnection } from "../tap.ts";

/** Copied bytes a reader may leave unread; beyond it its copy ends (mirroring never slows the pod). */
export const MAX_UNREAD_BYTES = 16 * 1024 * 1024;

export function branchCopy(connection: TappedConnection, count: number): TappedConnection[] {
  if (count <= 1) return [connection];
  let open = count;
  let ended = false;
  const branches = Array.from({ length: count }, () => {
    const inbound = new Readable({ read() {} });
    let gone = false;
    const destroy = () => {
      if (gone) return;
      gone = true;
      inbound.destroy();
      if (--open === 0) connection.destroy();
    };
    return { inbound, destroy, isGone: () => gone };
  });
  connection.inbound.on("data", (chunk: Buffer) => {
    for (const branch of branches) {
      if (branch.isGone()) continue;
      if (branch.inbound.readableLength > MAX_UNREAD_BYTES) branch.destroy();
      else branch.inbound.push(chunk);
    }
  });
  connection.inbound.on("end", () => {
    ended = true;
    for (const branch of branches) if (!branch.isGone()) branch.inbound.push(null);
  });
  // Cut short (reset, loss, stopped): every branch is cut too. After an end, branches finish on their own.
  connection.inbound.on("close", () => {
    if (!ended) for (const branch of branches) branch.destroy();
  });
  return branches.map(({ inbound, destroy }) => ({ ...connection, inbound, destroy }));
}
