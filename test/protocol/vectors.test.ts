import { describe, expect, it } from "bun:test";
import { messages } from "../../src/protocol/catalogue.ts";
import { decodeFrame, encodeFrame, frameFromJson, frameToJson, type Json } from "../../src/protocol/index.ts";
import { vectorFiles } from "./support.ts";

const vectors = vectorFiles();

describe("shared protocol vectors (TS codec)", () => {
  it("exist for every message in the catalogue", () => {
    const covered = new Set(vectors.map((v) => (v.json as { message: { type: string } }).message.type));
    const missing = messages.map((m) => m.name).filter((name) => !covered.has(name));
    expect(missing).toEqual([]);
  });

  for (const v of vectors) {
    it(`${v.name}: JSON encodes to the .bin and the .bin decodes to the JSON`, () => {
      expect(encodeFrame(frameFromJson(v.json as Json))).toEqual(v.bin);
      expect(frameToJson(decodeFrame(v.bin))).toEqual(v.json as Json);
    });
  }
});
