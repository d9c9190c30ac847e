/**
 * Writes a multi-architecture container image as one tar without a container engine: an OCI image layout
 * (oci-layout, index.json → an image index → one manifest per architecture, content-addressed blobs) plus
 * Docker's manifest.json, so `docker load` takes it as well as `skopeo copy oci-archive:…`, `podman load`
 * and `ctr images import`. Each architecture is one gzip layer. Deterministic: the same inputs give the
 * same digests.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  createReadStream,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type ImageArch = "amd64" | "arm64";

export interface ArchImage {
  arch: ImageArch;
  /** The file system as an uncompressed tar (its sha256 is the layer's diff_id). */
  layerTar: string;
}

export interface ImageSpec {
  /** `name:version`; `docker load` lists each architecture as `name:version-<arch>`. */
  tag: string;
  images: ArchImage[];
  entrypoint: string[];
  cmd: string[];
  env: string[];
  user: string;
  out: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export const MEDIA = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

const EPOCH = "1970-01-01T00:00:00Z";

function run(argv: string[]): void {
  const result = spawnSync(argv[0] as string, argv.slice(1), { encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`${argv.join(" ")} failed: ${result.stderr?.trim() || result.error?.message}`);
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** A reproducible tar of `entries` under `dir`: sorted names, root-owned, mtime 0. */
export function deterministicTar(dir: string, entries: string[], out: string): void {
  run([
    "tar",
    "--sort=name",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--mtime=@0",
    "--format=posix",
    "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
    "-C",
    dir,
    "-cf",
    out,
    ...entries,
  ]);
}

class BlobStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  json(mediaType: string, value: unknown): Descriptor {
    const bytes = Buffer.from(JSON.stringify(value));
    const hex = createHash("sha256").update(bytes).digest("hex");
    writeFileSync(join(this.dir, hex), bytes);
    return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
  }

  async file(mediaType: string, path: string): Promise<Descriptor> {
    const hex = await sha256File(path);
    renameSync(path, join(this.dir, hex));
    return { mediaType, digest: `sha256:${hex}`, size: statSync(join(this.dir, hex)).size };
  }
}

const blobPath = (descriptor: Descriptor) => `blobs/sha256/${descriptor.digest.slice("sha256:".length)}`;

export async function writeImageArchive(spec: ImageSpec): Promise<void> {
  if (spec.images.length === 0) throw new Error("no architecture to put in the image");
  const separator = spec.tag.lastIndexOf(":");
  if (separator <= 0 || spec.tag.slice(separator).includes("/")) {
    throw new Error(`image tag '${spec.tag}' must look like name:version`);
  }
  const version = spec.tag.slice(separator + 1);
  const work = mkdtempSync(join(tmpdir(), "mirrord-oci-"));
  try {
    const layout = join(work, "layout");
    const blobs = new BlobStore(join(layout, "blobs", "sha256"));
    const manifests: (Descriptor & { platform: { architecture: ImageArch; os: "linux" } })[] = [];
    const dockerEntries: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
    for (const { arch, layerTar } of spec.images) {
      const diffId = await sha256File(layerTar);
      const gzipped = join(work, `${arch}.tar.gz`);
      run(["sh", "-c", 'gzip -n -6 -c "$1" >"$2"', "gzip", layerTar, gzipped]);
      const layer = await blobs.file(MEDIA.layer, gzipped);
      const config = blobs.json(MEDIA.config, {
        architecture: arch,
        os: "linux",
        created: EPOCH,
        config: {
          Entrypoint: spec.entrypoint,
          Cmd: spec.cmd,
          Env: spec.env,
          User: spec.user,
          WorkingDir: "/",
        },
        rootfs: { type: "layers", diff_ids: [`sha256:${diffId}`] },
        history: [{ created: EPOCH, created_by: "scripts/agent-image" }],
      });
      const manifest = blobs.json(MEDIA.manifest, {
        schemaVersion: 2,
        mediaType: MEDIA.manifest,
        config,
        layers: [layer],
      });
      manifests.push({ ...manifest, platform: { architecture: arch, os: "linux" } });
      dockerEntries.push({
        Config: blobPath(config),
        RepoTags: [`${spec.tag}-${arch}`],
        Layers: [blobPath(layer)],
      });
    }
    const index = blobs.json(MEDIA.index, { schemaVersion: 2, mediaType: MEDIA.index, manifests });
    writeFileSync(
      join(layout, "index.json"),
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.index,
        manifests: [
          {
            ...index,
            annotations: {
              "io.containerd.image.name": spec.tag,
              "org.opencontainers.image.ref.name": version,
            },
          },
        ],
      }),
    );
    writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    writeFileSync(join(layout, "manifest.json"), JSON.stringify(dockerEntries));
    const pending = `${spec.out}.${process.pid}.tmp`;
    try {
      deterministicTar(layout, ["blobs", "index.json", "manifest.json", "oci-layout"], pending);
      renameSync(pending, spec.out);
    } finally {
      rmSync(pending, { force: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
