import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { DNS_IP } from "./network.ts";
import { APPS_MOUNT, initScript, prepareRootfs } from "./rootfs.ts";

describe("pod rootfs", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(`${tmpdir()}/rootfs-test-`);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const prepare = (files: Record<string, string>) =>
    prepareRootfs({ dir, hostname: "api-7d9f", ip: "10.244.1.2", files });

  it("writes the pod's own identity files, as Kubernetes would", () => {
    prepare({});
    expect(readFileSync(`${dir}/etc/hostname`, "utf8")).toBe("api-7d9f\n");
    expect(readFileSync(`${dir}/etc/hosts`, "utf8")).toContain("10.244.1.2\tapi-7d9f\n");
    expect(readFileSync(`${dir}/etc/resolv.conf`, "utf8")).toBe(
      `search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${DNS_IP}\noptions ndots:5\n`,
    );
    expect(lstatSync(`${dir}/tmp`).mode & 0o7777).toBe(0o1777);
  });

  it("lets given files replace the generated ones and creates their folders", () => {
    prepare({ "/etc/resolv.conf": "nameserver 10.244.0.99\n", "/srv/app/conf/a.yaml": "a: 1\n" });
    expect(readFileSync(`${dir}/etc/resolv.conf`, "utf8")).toBe("nameserver 10.244.0.99\n");
    expect(readFileSync(`${dir}/srv/app/conf/a.yaml`, "utf8")).toBe("a: 1\n");
  });

  it("mirrors the host's top-level symlinks (merged /usr) and binds /usr, the apps and /etc extras", () => {
    const binds = prepare({});
    expect(binds).toContain("/usr");
    for (const top of ["bin", "lib"]) {
      if (lstatSync(`/${top}`).isSymbolicLink())
        expect(readlinkSync(`${dir}/${top}`)).toBe(readlinkSync(`/${top}`));
      else expect(binds).toContain(`/${top}`);
    }
    expect(binds.some((bind) => bind.endsWith("/test/simulator/apps"))).toBe(true);
  });

  it("refuses file paths that are relative, unnormalized or hidden by a mount, naming the path", () => {
    expect(() => prepare({ "etc/x": "" })).toThrow('pod file path "etc/x" must be absolute');
    expect(() => prepare({ "/etc/../x": "" })).toThrow('pod file path "/etc/../x"');
    expect(() => prepare({ "/proc/1/environ": "" })).toThrow("pod file /proc/1/environ lies under /proc");
    expect(() => prepare({ [`${APPS_MOUNT}/x.py`]: "" })).toThrow(`lies under ${APPS_MOUNT}`);
  });

  it("quotes every path in the init script so odd characters cannot break out", () => {
    const script = initScript("/tmp/it's here", "api", ["/usr"]);
    expect(script).toContain(`mount --bind '/tmp/it'\\''s here' '/tmp/it'\\''s here'`);
    expect(script.split("\n").at(-1)).toBe("exec /usr/bin/sleep infinity");
  });
});
