/** `mirrord verify-config` reports, in the exact shapes IDEs parse (cli-config.md §4.6), and §5 warnings. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type VerifyReport, verifyConfigReport } from "./verify-report.ts";

const ALL_TYPES = [
  "targetless",
  "pod",
  "deployment",
  "rollout",
  "job",
  "cronjob",
  "statefulset",
  "service",
  "replicaset",
];

function verify(config: unknown, options: { ide?: boolean; resolved?: boolean; file?: string } = {}) {
  const text = typeof config === "string" ? config : JSON.stringify(config);
  return verifyConfigReport({
    env: { MIRRORD_CONFIG_FILE: options.file ?? "mirrord.json" },
    cwd: "/work",
    readFile: async () => text,
    readStdin: async () => text,
    generateKey: () => "abcde",
    ide: options.ide ?? false,
    resolved: options.resolved ?? false,
  });
}

function warningsOf(report: VerifyReport): string[] {
  assert.equal(report.type, "Success", JSON.stringify(report));
  return report.type === "Success" ? report.warnings : [];
}

describe("verify-config Success report", () => {
  it("encodes the target as mirrord does, with every compatible target type in order", async () => {
    assert.deepEqual(await verify({ target: "pod/api" }), {
      type: "Success",
      config: { path: { pod: "api", container: null }, namespace: null },
      warnings: [],
      compatible_target_types: ALL_TYPES,
    });
    const cases: Array<[unknown, unknown]> = [
      ["targetless", "targetless"],
      ["deploy/api/container/app", { deployment: "api", container: "app" }],
      [{ labels: { app: "api" } }, { labels: { app: "api" } }],
      [
        { labels: { app: "api" }, container: "c" },
        { labels: { app: "api" }, container: "c" },
      ],
    ];
    for (const [path, encoded] of cases) {
      const report = await verify({ target: { path, namespace: "prod" } });
      assert.equal(report.type, "Success");
      if (report.type === "Success") assert.deepEqual(report.config, { path: encoded, namespace: "prod" });
    }
  });

  it("reports a missing target as null", async () => {
    const report = await verify({});
    assert.equal(report.type, "Success");
    if (report.type === "Success") assert.deepEqual(report.config, { path: null, namespace: null });
  });

  it("drops targetless, rollout and service with copy_target, and pod too with scale_down", async () => {
    const copy = await verify({ target: "deployment/api", feature: { copy_target: true } });
    assert.equal(copy.type, "Success");
    if (copy.type === "Success") {
      assert.deepEqual(copy.compatible_target_types, [
        "pod",
        "deployment",
        "job",
        "cronjob",
        "statefulset",
        "replicaset",
      ]);
    }
    const scaled = await verify({ target: "deployment/api", feature: { copy_target: { scale_down: true } } });
    if (scaled.type === "Success") {
      assert.deepEqual(scaled.compatible_target_types, [
        "deployment",
        "job",
        "cronjob",
        "statefulset",
        "replicaset",
      ]);
    }
  });

  it("adds the resolved config, key as a plain string, only with --resolved", async () => {
    const plain = await verify({ target: "pod/api" });
    assert.equal("resolved_config" in plain, false);
    const report = await verify({ target: "pod/api", agent: { ttl: 9 } }, { resolved: true });
    assert.equal(report.type, "Success");
    if (report.type === "Success") {
      assert.equal(report.resolved_config?.key, "abcde");
      assert.equal(report.resolved_config?.agent.ttl, 9);
      assert.equal(report.resolved_config?.feature.network.incoming.mode, "mirror");
    }
  });
});

describe("verify-config Fail report", () => {
  it("has exactly one error, the CLI's message", async () => {
    assert.deepEqual(await verify({ feature: { env: { include: "A", exclude: "B" } } }), {
      type: "Fail",
      errors: [
        "Failed to verify mirrord config: feature.env: Conflicting configuration found `cannot use both `include` and `exclude` filters for environment variables`",
      ],
    });
  });

  it("names the line of a syntax error and the field of a schema error", async () => {
    const syntax = await verify('{\n  "target": "pod/api",\n  "agent": {"ttl": }\n}');
    assert.equal(syntax.type, "Fail");
    if (syntax.type === "Fail") assert.match(syntax.errors[0], /^Failed to verify mirrord config: .*:3:/);
    assert.deepEqual(await verify({ agent: { ttl: "1" } }), {
      type: "Fail",
      errors: ['Failed to verify mirrord config: agent.ttl: expected an integer (0..65535), got "1"'],
    });
  });
});

describe("verify-config --ide", () => {
  it("treats an absent target as targetless without --ide, so steal and ephemeral fail", async () => {
    const steal = await verify({ feature: { network: { incoming: "steal" } } });
    assert.deepEqual(steal, {
      type: "Fail",
      errors: [
        "Failed to verify mirrord config: feature.network.incoming.mode: Conflicting configuration found `Steal mode is not compatible with a targetless agent, please either disable this option or specify a target.`",
      ],
    });
    const ephemeral = await verify({ agent: { ephemeral: true } });
    assert.equal(ephemeral.type, "Fail");
  });

  it("leaves an absent target open with --ide (the IDE asks for one)", async () => {
    const report = await verify(
      { feature: { network: { incoming: "steal" } }, agent: { ephemeral: true } },
      { ide: true },
    );
    assert.equal(report.type, "Success");
    if (report.type === "Success") assert.equal(report.config.path, null);
  });

  it("still rejects steal with an explicit targetless target under --ide", async () => {
    const report = await verify(
      { target: "targetless", feature: { network: { incoming: "steal" } } },
      { ide: true },
    );
    assert.equal(report.type, "Fail");
  });
});

describe("verify-config warnings (cli-config.md §5 A)", () => {
  it("warns about unstable and deprecated fields that are written", async () => {
    const warnings = warningsOf(
      await verify({
        target: "pod/api",
        agent: { flush_connections: false },
        feature: {
          network: {
            outgoing: { unix_streams: "/run/x" },
            incoming: { https_delivery: { protocol: "tcp" } },
          },
        },
        experimental: { sip_utils: true },
      }),
    );
    assert.deepEqual(warnings, [
      "Warning: field AgentConfig.flush_connections is marked as unstable. Please note API may change",
      "Warning: field OutgoingConfig.unix_streams is marked as unstable. Please note API may change",
      "`sip_utils` is deprecated and enabled by default.",
      "`feature.network.incoming.https_delivery` is deprecated, use `feature.network.incoming.tls_delivery` instead.",
    ]);
  });

  it("warns that an agent namespace is ignored for targetless runs, but not under --ide", async () => {
    const targetless =
      "Agent namespace is ignored in targetless runs. To specify a namespace for a targetless run, use target namespace.";
    assert.deepEqual(warningsOf(await verify({ agent: { namespace: "a" } })), [targetless]);
    assert.deepEqual(warningsOf(await verify({ agent: { namespace: "a" } }, { ide: true })), []);
    assert.deepEqual(
      warningsOf(await verify({ target: "pod/x", agent: { namespace: "a", ephemeral: true } })),
      ["Agent namespace is ignored when using an ephemeral container for the agent."],
    );
  });

  it("warns about DNS filters that cannot apply", async () => {
    const disabled = {
      target: "pod/x",
      feature: { network: { dns: { enabled: false, filter: { local: ["a"] } } } },
    };
    assert.deepEqual(warningsOf(await verify(disabled)), [
      "Remote DNS resolution is disabled, provided DNS filter will be ignored",
    ]);
    const empty = { target: "pod/x", feature: { network: { dns: { filter: { remote: [] } } } } };
    assert.deepEqual(warningsOf(await verify(empty)), [
      "Remote DNS filter is empty, all DNS resolution will be done locally",
    ]);
  });

  it("warns about copy_target without steal, identity port mappings and large read buffers", async () => {
    const warnings = warningsOf(
      await verify({
        target: "deployment/api",
        feature: {
          copy_target: true,
          network: { incoming: { port_mapping: [[80, 80]] } },
          fs: { readonly_file_buffer: 2 * 1024 * 1024 },
        },
      }),
    );
    assert.equal(warnings.length, 3, warnings.join("\n"));
    assert.ok(warnings.some((w) => w.startsWith("copy_target is used without steal mode")));
    assert.ok(
      warnings.includes(
        "feature.network.incoming.port_mapping maps port 80 to itself; the entry has no effect.",
      ),
    );
    assert.ok(warnings.some((w) => w.startsWith("feature.fs.readonly_file_buffer is above 1 Megabyte")));
  });

  it("has no warning for steal without an HTTP filter or for fs write mode, like mirrord", async () => {
    const report = await verify({
      target: "pod/api",
      feature: { network: { incoming: "steal" }, fs: "write" },
    });
    assert.deepEqual(warningsOf(report), []);
  });
});
