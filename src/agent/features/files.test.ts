import assert from "node:assert/strict";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { Message } from "../../protocol/index.ts";
import { Logger } from "../../transport/log.ts";
import type { TargetContext } from "../target.ts";
import { filesFeature } from "./files.ts";
import type { AgentClient } from "./handler.ts";

const root = mkdtempSync(join(tmpdir(), "mirrord-files-root-"));
mkdirSync(join(root, "etc"));
mkdirSync(join(root, "app"));
writeFileSync(join(root, "etc/passwd"), "pod passwd");
writeFileSync(join(root, "app/config"), "0123456789");
symlinkSync("/etc/passwd", join(root, "app/absolute-link"));
symlinkSync("../../../../../../../etc/passwd", join(root, "app/dotdot-link"));
after(() => rmSync(root, { recursive: true, force: true }));

const target: TargetContext = { mode: "targeted", pid: 1, root, env: new Map() };

/** A client whose disconnect the test triggers. */
function testClient(): AgentClient & { disconnect(): void } {
  const cleanups: (() => void)[] = [];
  return {
    id: 1,
    log: new Logger({ level: "error", json: true, target: "test", write: () => {} }),
    send: () => {},
    backlog: () => 0,
    whenDrained: (callback) => callback(),
    holdInput: () => {},
    releaseInput: () => {},
    onClose: (cleanup) => cleanups.push(cleanup),
    disconnect: () => {
      for (const cleanup of cleanups.splice(0)) cleanup();
    },
  };
}

async function open(client: AgentClient, path: string, flags = 0): Promise<bigint> {
  const reply = await filesFeature.FileOpen?.(
    { type: "FileOpen", dirFd: null, path, flags, mode: 0o644 },
    target,
    client,
  );
  assert.equal(reply?.type, "FileOpened");
  return (reply as Extract<Message, { type: "FileOpened" }>).fd;
}

async function readAt(client: AgentClient, fd: bigint, offset: bigint, size: number): Promise<string> {
  const reply = await filesFeature.FileReadAt?.({ type: "FileReadAt", fd, offset, size }, target, client);
  assert.equal(reply?.type, "FileData");
  return Buffer.from((reply as Extract<Message, { type: "FileData" }>).data).toString();
}

const openFds = () => readdirSync("/proc/self/fd").length;

describe("filesFeature", () => {
  it("resolves absolute and .. symlinks inside the target's root, never the agent's own files", async () => {
    const client = testClient();
    for (const link of ["/app/absolute-link", "/app/dotdot-link", "/../../etc/passwd"]) {
      const fd = await open(client, link);
      assert.equal(await readAt(client, fd, 0n, 100), "pod passwd");
    }
    assert.notEqual(readFileSync("/etc/passwd", "utf8"), "pod passwd");
    client.disconnect();
  });

  it("reads at offsets and at the handle's position, and reports the pod's errno", async () => {
    const client = testClient();
    const fd = await open(client, "/app/config");
    assert.equal(await readAt(client, fd, 4n, 3), "456");
    const read = await filesFeature.FileRead?.({ type: "FileRead", fd, size: 4 }, target, client);
    assert.equal(Buffer.from((read as Extract<Message, { type: "FileData" }>).data).toString(), "0123");
    await assert.rejects(async () => open(client, "/app/missing"), { code: "ENOENT" });
    await assert.rejects(async () => open(client, "/app/config/below"), { code: "ENOTDIR" });
    client.disconnect();
  });

  it("closes what a client left open when it disconnects", async () => {
    const client = testClient();
    const before = openFds();
    const handles = [await open(client, "/app/config"), await open(client, "/etc/passwd")];
    assert.equal(openFds(), before + 2);
    client.disconnect();
    assert.equal(openFds(), before);
    const reply = await filesFeature.FileReadAt?.(
      { type: "FileReadAt", fd: handles[0] as bigint, offset: 0n, size: 1 },
      target,
      client,
    );
    assert.equal(reply?.type, "ErrorReply");
  });

  it("changes mode, owner and times through an O_PATH handle; a missing time keeps the file's own", async () => {
    const client = testClient();
    const O_PATH = 0o10000000;
    const fd = await open(client, "/app/config", O_PATH);
    const before = statSync(join(root, "app/config"));
    const replies = [
      await filesFeature.FileChmod?.({ type: "FileChmod", fd, mode: 0o100600 }, target, client),
      await filesFeature.FileChown?.({ type: "FileChown", fd, uid: 4321, gid: 0xffffffff }, target, client),
      await filesFeature.FileSetTimes?.(
        { type: "FileSetTimes", fd, atime: null, mtime: { sec: 1_000_000_000n, nsec: 0 } },
        target,
        client,
      ),
    ];
    assert.deepEqual(
      replies.map((reply) => reply?.type),
      ["Ok", "Ok", "Ok"],
    );
    const after = statSync(join(root, "app/config"));
    assert.equal(after.mode & 0o7777, 0o600);
    assert.deepEqual([after.uid, after.gid], [4321, before.gid]);
    assert.equal(after.mtimeMs, 1e12);
    assert.equal(Math.floor(after.atimeMs / 1000), Math.floor(before.atimeMs / 1000));
    client.disconnect();
  });
});
