import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorKind } from "../protocol/index.ts";
import { Logger } from "../transport/log.ts";
import { Dispatcher } from "./dispatcher.ts";
import type { AgentClient } from "./features/handler.ts";
import { FEATURES } from "./features/index.ts";
import type { TargetContext } from "./target.ts";

const target: TargetContext = {
  mode: "targeted",
  pid: 1,
  root: "/nonexistent-root",
  env: new Map([
    ["APP_MODE", "cluster"],
    ["PATH", "/usr/bin"],
  ]),
};

const client: AgentClient = {
  id: 0,
  log: new Logger({ level: "error", json: true, target: "test", write: () => {} }),
  send: () => {},
  backlog: () => 0,
  whenDrained: (callback) => callback(),
  holdInput: () => {},
  releaseInput: () => {},
  onClose: () => {},
};

describe("Dispatcher", () => {
  it("routes GetEnv to the env feature, which applies the built-in exclusions", async () => {
    const reply = await new Dispatcher(FEATURES).dispatch(
      { type: "GetEnv", include: [], exclude: [] },
      target,
      client,
    );
    assert.deepEqual(reply, { type: "Env", vars: [{ name: "APP_MODE", value: "cluster" }] });
  });

  it("answers a request nobody serves with ENOSYS / notImplemented", async () => {
    const reply = await new Dispatcher([]).dispatch({ type: "FileRead", fd: 3n, size: 10 }, target, client);
    assert.deepEqual(reply, {
      type: "ErrorReply",
      error: {
        errno: 38,
        kind: ErrorKind.notImplemented,
        message: "FileRead is not supported by this agent",
      },
    });
  });

  it("turns a failing handler into an ErrorReply carrying the errno of its cause", async () => {
    const failing = new Dispatcher([
      {
        GetHostname: () => {
          throw Object.assign(new Error("no such file"), { code: "ENOENT" });
        },
      },
    ]);
    const reply = await failing.dispatch({ type: "GetHostname" }, target, client);
    assert.equal(reply.type, "ErrorReply");
    if (reply.type === "ErrorReply") {
      assert.equal(reply.error.errno, 2);
      assert.equal(reply.error.kind, ErrorKind.io);
      assert.match(reply.error.message, /GetHostname failed: no such file/);
    }
  });

  it("answers a synchronous handler synchronously, and an asynchronous one's rejection with an ErrorReply", async () => {
    const dispatcher = new Dispatcher([
      {
        IncomingClose: () => ({ type: "Ok" }),
        GetHostname: async () => {
          throw Object.assign(new Error("denied"), { code: "EACCES" });
        },
      },
    ]);
    assert.deepEqual(dispatcher.dispatch({ type: "IncomingClose", connId: 1n }, target, client), {
      type: "Ok",
    });
    const pending = dispatcher.dispatch({ type: "GetHostname" }, target, client);
    assert.ok(pending instanceof Promise);
    const reply = await pending;
    assert.equal(reply.type === "ErrorReply" && reply.error.errno, 13);
  });

  it("refuses two features claiming the same request type", () => {
    assert.throws(() => new Dispatcher([...FEATURES, ...FEATURES]), /two agent features both handle/);
  });

  it("falls back to the nodename when the target's root has no /etc/hostname", async () => {
    const reply = await new Dispatcher(FEATURES).dispatch({ type: "GetHostname" }, target, client);
    assert.equal(reply.type, "Hostname");
    if (reply.type === "Hostname") assert.equal(reply.hostname, (await import("node:os")).hostname());
  });
});
