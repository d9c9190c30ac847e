import { expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { writePaced } from "./pacing.ts";

/** A target that refuses every write (its buffer is full), and a link counting its holds. */
function fullTarget(destroyed = false) {
  const target = Object.assign(new EventEmitter(), { destroyed, write: () => false });
  let holds = 0;
  const link = { holdInput: () => holds++, releaseInput: () => holds-- };
  return { target, link, holds: () => holds };
}

test("a target that refuses writes holds the link once until it drains", () => {
  const { target, link, holds } = fullTarget();
  for (let i = 0; i < 3; i++) writePaced(target, link, new Uint8Array(8));
  expect(holds()).toBe(1);
  target.emit("drain");
  expect(holds()).toBe(0);
  writePaced(target, link, new Uint8Array(8));
  expect(holds()).toBe(1);
});

test("a target that closes before draining releases the link", () => {
  const { target, link, holds } = fullTarget();
  writePaced(target, link, new Uint8Array(8));
  target.emit("close");
  expect(holds()).toBe(0);
  target.emit("drain");
  expect(holds()).toBe(0);
});

test("a target already destroyed holds nothing", () => {
  const { target, link, holds } = fullTarget(true);
  writePaced(target, link, new Uint8Array(8));
  expect(holds()).toBe(0);
});
