/**
 * Builds the agent image as a multi-architecture OCI archive from a release directory, without Docker:
 *   bun scripts/agent-image/build.ts [--release dist/release] [--out FILE] [--tag NAME:VERSION] [--cache DIR]
 * One image per `mirrord-linux-<x64|arm64>` in the release; an architecture whose packages cannot be
 * fetched is left out with the reason. Needs apt (Debian bookworm's packages), dpkg-deb, tar and gzip.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import packageJson from "../../package.json" with { type: "json" };
import { type ArchImage, deterministicTar, type ImageArch, writeImageArchive } from "./oci-layout.ts";
import { AGENT_PACKAGES, assembleRootfs } from "./rootfs.ts";

const RELEASE_NAMES: Record<ImageArch, string> = { amd64: "mirrord-linux-x64", arm64: "mirrord-linux-arm64" };

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      release: { type: "string", default: "dist/release" },
      out: { type: "string" },
      tag: { type: "string", default: `mirrord-agent:${packageJson.version}` },
      cache: { type: "string", default: join(tmpdir(), "mirrord-agent-image-debs") },
    },
  });
  const release = resolve(values.release);
  const out = resolve(values.out ?? join(release, "mirrord-agent.oci.tar"));
  const work = mkdtempSync(join(tmpdir(), "mirrord-agent-rootfs-"));
  try {
    const images: ArchImage[] = [];
    for (const arch of Object.keys(RELEASE_NAMES) as ImageArch[]) {
      const binary = join(release, RELEASE_NAMES[arch]);
      if (!existsSync(binary)) {
        console.log(`    ${arch}: left out, ${binary} is not in the release`);
        continue;
      }
      try {
        const root = join(work, arch);
        assembleRootfs(root, arch, binary, values.cache);
        const layerTar = join(work, `${arch}.tar`);
        deterministicTar(root, ["."], layerTar);
        images.push({ arch, layerTar });
        console.log(`    ${arch}: ${RELEASE_NAMES[arch]} + ${AGENT_PACKAGES.join(", ")} (Debian bookworm)`);
      } catch (error) {
        console.log(`    ${arch}: left out, ${(error as Error).message}`);
      }
    }
    if (images.length === 0) {
      console.error("agent image: no architecture could be built");
      return 1;
    }
    await writeImageArchive({
      tag: values.tag,
      images,
      // As the Dockerfile: the agent Job names the command (`mirrord agent …`), a bare run prints help.
      entrypoint: [],
      cmd: ["mirrord", "agent", "--help"],
      env: ["PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      user: "0",
      out,
    });
    console.log(`    ${out}`);
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(`agent image: ${(error as Error).message}`);
  return 1;
});
