import { describe, expect, it } from "bun:test";
import { checkLabel, guardTableName, isOfRun, ownerPidOf, partName, runPrefix } from "./naming.ts";

describe("naming", () => {
  it("accepts kubernetes-like labels and rejects the rest with the offending value", () => {
    expect(checkLabel("pod name", "api-1", 20)).toBe("api-1");
    expect(() => checkLabel("pod name", "Api", 20)).toThrow('invalid pod name "Api"');
    expect(() => checkLabel("pod name", "-a", 20)).toThrow("invalid pod name");
    expect(() => checkLabel("pod name", "a".repeat(21), 20)).toThrow("1-20");
  });

  it("encodes the owner pid so a later run can recover it from every kind of name", () => {
    const prefix = runPrefix(4242, "t1");
    expect(ownerPidOf(partName(prefix, "pod", "api"))).toBe(4242);
    expect(ownerPidOf(guardTableName(prefix))).toBe(4242);
    expect(ownerPidOf("cni-1234-abc")).toBeUndefined();
  });

  it("tells names of one run from a run whose name only shares a prefix", () => {
    const prefix = runPrefix(7, "t1");
    expect(isOfRun(partName(prefix, "node"), prefix)).toBe(true);
    expect(isOfRun(guardTableName(prefix), prefix)).toBe(true);
    expect(isOfRun(partName(runPrefix(7, "t10"), "node"), prefix)).toBe(false);
    expect(isOfRun(partName(runPrefix(7, "t1-node"), "node"), prefix)).toBe(false);
    expect(isOfRun(guardTableName(runPrefix(7, "t1-x")), prefix)).toBe(false);
  });
});
