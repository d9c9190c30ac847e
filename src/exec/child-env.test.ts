import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { appendLibrary, childEnvironment, preloadVariableFor } from "./child-env.ts";

const base = { remote: {}, mirrord: {}, layerPath: "/cache/libmirrord_layer.so", unset: [] };

describe("childEnvironment", () => {
  it("lets remote values replace local ones and mirrord's own variables win over both", () => {
    const env = childEnvironment({
      ...base,
      local: {
        SHELL: "/bin/bash",
        DB_URL: "localhost",
        MIRRORD_LAYER_INTPROXY_ADDR: "stale",
        GONE: undefined,
      },
      remote: { DB_URL: "postgres://db.cluster", POD_ONLY: "1" },
      mirrord: { MIRRORD_LAYER_INTPROXY_ADDR: "127.0.0.1:4000" },
    });
    assert.equal(env.SHELL, "/bin/bash");
    assert.equal(env.DB_URL, "postgres://db.cluster");
    assert.equal(env.POD_ONLY, "1");
    assert.equal(env.MIRRORD_LAYER_INTPROXY_ADDR, "127.0.0.1:4000");
    assert.equal("GONE" in env, false);
    assert.equal(env.MIRRORD_PROGRESS_MODE, "off");
    assert.equal(env.UV_USE_IO_URING, "0");
  });

  it("appends the layer to an existing LD_PRELOAD", () => {
    const env = childEnvironment({ ...base, local: { LD_PRELOAD: "/usr/lib/libjemalloc.so" } });
    assert.equal(env.LD_PRELOAD, "/usr/lib/libjemalloc.so:/cache/libmirrord_layer.so");
  });

  it("removes unset names case-insensitively, even when the pod provided them", () => {
    const env = childEnvironment({
      ...base,
      local: { AWS_PROFILE: "dev", aws_profile: "x", SHELL_KEEP: "kept" },
      remote: { SECRET: "s" },
      unset: ["AWS_PROFILE", "SECRET"],
    });
    assert.equal("AWS_PROFILE" in env, false);
    assert.equal("SECRET" in env, false);
    assert.equal("aws_profile" in env, false);
    assert.equal(env.SHELL_KEEP, "kept");
  });

  it("uses DYLD_INSERT_LIBRARIES on macOS", () => {
    const env = childEnvironment({ ...base, local: {}, preloadVariable: "DYLD_INSERT_LIBRARIES" });
    assert.equal(env.DYLD_INSERT_LIBRARIES, "/cache/libmirrord_layer.so");
    assert.equal("LD_PRELOAD" in env, false);
  });
});

describe("preloadVariableFor", () => {
  it("picks dyld's variable on macOS and ld.so's on Linux and everywhere else", () => {
    assert.equal(preloadVariableFor("darwin"), "DYLD_INSERT_LIBRARIES");
    assert.equal(preloadVariableFor("linux"), "LD_PRELOAD");
    assert.equal(preloadVariableFor("freebsd"), "LD_PRELOAD");
  });

  it("feeds childEnvironment so only that platform's variable carries the layer", () => {
    const env = childEnvironment({
      ...base,
      local: { LD_PRELOAD: "/user.so" },
      preloadVariable: preloadVariableFor("darwin"),
    });
    assert.equal(env.DYLD_INSERT_LIBRARIES, "/cache/libmirrord_layer.so");
    assert.equal(env.LD_PRELOAD, "/user.so");
  });
});

describe("appendLibrary", () => {
  it("does not add the layer twice and normalises separators", () => {
    assert.equal(appendLibrary("/a.so /b.so:/c.so", "/b.so"), "/a.so:/b.so:/c.so");
    assert.equal(appendLibrary("", "/l.so"), "/l.so");
  });
});
