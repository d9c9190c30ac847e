import { expect, test } from "bun:test";
import type { SocketAddress } from "../protocol/index.ts";
import { PodAddress, PodAddressBook } from "./outgoing-pod-address.ts";

const address: SocketAddress = { kind: "ipv4", ip: Uint8Array.from([10, 244, 1, 2]), port: 40000 };

test("a waiting reader gets the address the agent settles", async () => {
  const pod = new PodAddress();
  const waiting = pod.get(10_000);
  pod.settle(address);
  expect(await waiting).toEqual(address);
  expect(await pod.get(0)).toEqual(address);
});

test("a reader gives up with null when the agent has not answered in time", async () => {
  const pod = new PodAddress();
  expect(await pod.get(20)).toBeNull();
  pod.settle(address);
  expect(await pod.get(20)).toEqual(address);
});

test("a failed connection settles null for good", async () => {
  const pod = new PodAddress();
  pod.settle(null);
  pod.settle(address);
  expect(await pod.get(10_000)).toBeNull();
});

test("the book keeps finished connections' addresses up to its bound, oldest dropped first", () => {
  const book = new PodAddressBook(2);
  const addresses = [1n, 2n, 3n].map((id) => {
    const pod = new PodAddress();
    book.add(id, pod);
    return pod;
  });
  expect(book.find(1n)).toBe(addresses[0]);
  for (const id of [1n, 2n, 3n]) book.retire(id);
  expect(book.find(1n)).toBeUndefined();
  expect(book.find(2n)).toBe(addresses[1]);
  expect(book.find(3n)).toBe(addresses[2]);
  expect(book.find(4n)).toBeUndefined();
});
