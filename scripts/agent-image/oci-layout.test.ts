/**
 * The image archive's structure, as an OCI tool or `docker load` reads it: every descriptor names a blob
 * with that digest and size, the index leads to one manifest per architecture, configs carry the right
 * architecture, command and diff_ids, and the same inputs give the same bytes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { type Descriptor, deterministicTar, type ImageArch, MEDIA, writeImageArchive } from "./oci-layout.ts";

const scratch = mkdtempSync(join(tmpdir(), "mirrord-oci-test-"));
const archive = join(scratch, "agent.oci.tar");
const unpacked = join(scratch, "unpacked");
const ARCHES: ImageArch[] = ["amd64", "arm64"];

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const blob = (descriptor: Descriptor) =>
  readFileSync(join(unpacked, "blobs", "sha256", descriptor.digest.replace(/^sha256:/, "")));
const json = <T>(descriptor: Descriptor): T => JSON.parse(blob(descriptor).toString("utf8")) as T;

/** Tar entry names of a tar's bytes, through tar(1). */
function tarNames(bytes: Uint8Array): string[] {
  const listed = spawnSync("tar", ["-tf", "-"], { input: bytes, encoding: "utf8" });
  return listed.stdout.trim().split("\n").sort();
}

async function build(out: string): Promise<void> {
  const images = ARCHES.map((arch) => {
    const root = join(scratch, `root-${arch}`);
    mkdirSync(join(root, "usr", "local", "bin"), { recursive: true });
    writeFileSync(join(root, "usr", "local", "bin", "mirrord"), `mirrord for ${arch}\n`, { mode: 0o755 });
    const layerTar = join(scratch, `${arch}.tar`);
    deterministicTar(root, ["."], layerTar);
    return { arch, layerTar };
  });
  await writeImageArchive({
    tag: "registry.test:5000/mirrord-agent:1.2.3",
    images,
    entrypoint: [],
    cmd: ["mirrord", "agent", "--help"],
    env: ["PATH=/usr/local/bin:/bin"],
    user: "0",
    out,
  });
}

beforeAll(async () => {
  await build(archive);
  mkdirSync(unpacked);
  expect(spawnSync("tar", ["-xf", archive, "-C", unpacked]).status).toBe(0);
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Index {
  schemaVersion: number;
  mediaType: string;
  manifests: (Descriptor & {
    platform?: { architecture: string; os: string };
    annotations?: Record<string, string>;
  })[];
}
interface Manifest {
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}
interface Config {
  architecture: string;
  os: string;
  config: { Entrypoint: string[]; Cmd: string[]; User: string };
  rootfs: { type: string; diff_ids: string[] };
}

function imageIndex(): Index {
  const top = JSON.parse(readFileSync(join(unpacked, "index.json"), "utf8")) as Index;
  expect(top.manifests).toHaveLength(1);
  const [entry] = top.manifests;
  expect(entry?.mediaType).toBe(MEDIA.index);
  expect(entry?.annotations).toEqual({
    "io.containerd.image.name": "registry.test:5000/mirrord-agent:1.2.3",
    "org.opencontainers.image.ref.name": "1.2.3",
  });
  return json<Index>(entry as Descriptor);
}

describe("agent image archive", () => {
  test("holds an OCI layout and Docker's manifest.json", () => {
    expect(readdirSync(unpacked).sort()).toEqual(["blobs", "index.json", "manifest.json", "oci-layout"]);
    expect(JSON.parse(readFileSync(join(unpacked, "oci-layout"), "utf8"))).toEqual({
      imageLayoutVersion: "1.0.0",
    });
  });

  test("every blob is named by its own sha256", () => {
    const dir = join(unpacked, "blobs", "sha256");
    for (const name of readdirSync(dir)) expect(sha256(readFileSync(join(dir, name)))).toBe(name);
  });

  test("the index leads to one manifest per architecture, each descriptor matching its blob", () => {
    const index = imageIndex();
    expect(index.manifests.map((entry) => entry.platform)).toEqual(
      ARCHES.map((architecture) => ({ architecture, os: "linux" })),
    );
    for (const entry of index.manifests) {
      for (const descriptor of [entry, json<Manifest>(entry).config, ...json<Manifest>(entry).layers]) {
        const bytes = blob(descriptor);
        expect(`sha256:${sha256(bytes)}`).toBe(descriptor.digest);
        expect(bytes.length).toBe(descriptor.size);
      }
    }
  });

  test("each config has its architecture, the agent command, and the diff_id of its own layer", () => {
    for (const entry of imageIndex().manifests) {
      const manifest = json<Manifest>(entry);
      expect(manifest.mediaType).toBe(MEDIA.manifest);
      expect(manifest.config.mediaType).toBe(MEDIA.config);
      const config = json<Config>(manifest.config);
      const arch = entry.platform?.architecture;
      expect(config).toMatchObject({ architecture: arch, os: "linux" });
      expect(config.config).toMatchObject({ Entrypoint: [], Cmd: ["mirrord", "agent", "--help"], User: "0" });
      const [layer] = manifest.layers;
      expect(layer?.mediaType).toBe(MEDIA.layer);
      const tar = gunzipSync(blob(layer as Descriptor));
      expect(config.rootfs).toEqual({ type: "layers", diff_ids: [`sha256:${sha256(tar)}`] });
      expect(tarNames(tar)).toContain("./usr/local/bin/mirrord");
    }
  });

  test("docker load's manifest.json names each architecture's config and layer", () => {
    const entries = JSON.parse(readFileSync(join(unpacked, "manifest.json"), "utf8")) as {
      Config: string;
      RepoTags: string[];
      Layers: string[];
    }[];
    expect(entries.map((entry) => entry.RepoTags)).toEqual(
      ARCHES.map((arch) => [`registry.test:5000/mirrord-agent:1.2.3-${arch}`]),
    );
    for (const [i, entry] of entries.entries()) {
      const config = JSON.parse(readFileSync(join(unpacked, entry.Config), "utf8")) as Config;
      expect(config.architecture).toBe(ARCHES[i] as string);
      const layer = gunzipSync(readFileSync(join(unpacked, entry.Layers[0] as string)));
      expect(config.rootfs.diff_ids).toEqual([`sha256:${sha256(layer)}`]);
    }
  });

  test("the same inputs give the same archive", async () => {
    const again = join(scratch, "again.oci.tar");
    await build(again);
    expect(sha256(readFileSync(again))).toBe(sha256(readFileSync(archive)));
  });

  test("a tag without a version is refused", async () => {
    await expect(
      writeImageArchive({
        tag: "registry.test:5000/mirrord-agent",
        images: [{ arch: "amd64", layerTar: join(scratch, "amd64.tar") }],
        entrypoint: [],
        cmd: [],
        env: [],
        user: "0",
        out: join(scratch, "never.tar"),
      }),
    ).rejects.toThrow("must look like name:version");
  });
});
