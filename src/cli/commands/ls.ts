/**
 * `mirrord ls`: the targets of a namespace as one line of JSON, for IDEs. Failures are a JSON object on
 * stderr (miette's JSON report shape: message, severity, causes, help, …) and exit 1, because IDEs parse it.
 */
import type { CAC } from "cac";
import { TARGET_KINDS } from "../../config/target-path.ts";
import { CliError, EXIT_RUNTIME_ERROR, UsageError } from "../errors.ts";

const LISTABLE = ["targetless", ...TARGET_KINDS, "label"] as const;
type Listable = (typeof LISTABLE)[number];

interface LsFlags {
  namespace?: string;
  targetType?: string | string[];
  configFile?: string;
  output?: string;
}

export function register(cli: CAC): void {
  cli
    .command("ls", 'List the targets in the cluster as a JSON array of paths (e.g. "deployment/api")')
    .usage(
      "ls [-n NAMESPACE] [-t TYPE]... [-f CONFIG]\n\n" +
        "  Prints the namespace's targets as one JSON array. Without -t every kind is listed\n" +
        "  (MIRRORD_LS_TARGET_TYPES, a JSON array of kinds, is the default filter).\n" +
        '  MIRRORD_LS_RICH_OUTPUT=true prints {"targets": [{"path", "available"}], "current_namespace", "namespaces"}.\n' +
        "  Errors are a JSON object on stderr.",
    )
    .option("-n, --namespace <namespace>", "Namespace to list targets in (default: the kube context's)")
    .option("-t, --target-type <type>", `Only list this kind (repeatable): ${LISTABLE.join(", ")}`)
    .option("-f, --config-file <path>", "mirrord config file to read kube settings from")
    .option("-o, --output <format>", "Output format (only `json`)", { default: "json" })
    .example("mirrord ls -n staging -t deployment -t pod")
    .action(async (flags: LsFlags) => {
      if (flags.output !== "json")
        throw new UsageError(
          `invalid value \`${flags.output}\` for \`--output\``,
          "the only format is `json`",
        );
      const asked = [flags.targetType ?? []].flat().map(String);
      const unknown = asked.find((kind) => !(LISTABLE as readonly string[]).includes(kind));
      if (unknown !== undefined)
        throw new UsageError(
          `invalid value \`${unknown}\` for \`--target-type\``,
          `possible values: ${LISTABLE.join(", ")}`,
        );
      try {
        process.stdout.write(`${await listing(flags, asked)}\n`);
      } catch (error) {
        process.stderr.write(`${jsonReport(error)}\n`);
        process.exitCode = EXIT_RUNTIME_ERROR;
      }
    });
}

/** `-t` values, else MIRRORD_LS_TARGET_TYPES, else every kind. */
function kindsToList(asked: string[], fromEnv: string | undefined): (typeof TARGET_KINDS)[number][] {
  let kinds: unknown = asked;
  if (asked.length === 0 && fromEnv) {
    try {
      kinds = JSON.parse(fromEnv);
    } catch {
      kinds = undefined;
    }
    if (!Array.isArray(kinds) || kinds.some((k) => !(LISTABLE as readonly unknown[]).includes(k)))
      throw new CliError(
        `MIRRORD_LS_TARGET_TYPES must be a JSON array of target types, got ${fromEnv}`,
        `possible values: ${LISTABLE.join(", ")}`,
      );
  }
  const list = kinds as Listable[];
  if (list.includes("targetless"))
    throw new CliError(
      "invalid target type `targetless`: it is not a kind of object that can be listed",
      "leave it out; a targetless run needs no target",
    );
  if (list.includes("label"))
    throw new CliError(
      "target type `label` requires the mirrord operator, which this build does not support",
      "list the workloads instead (`-t deployment`, `-t rollout`, …)",
    );
  const listed = list.filter(
    (kind): kind is (typeof TARGET_KINDS)[number] => kind !== "targetless" && kind !== "label",
  );
  return listed.length > 0 ? listed : [...TARGET_KINDS];
}

async function listing(flags: LsFlags, asked: string[]): Promise<string> {
  const kinds = kindsToList(asked, process.env.MIRRORD_LS_TARGET_TYPES);
  const env = { ...process.env, ...(flags.configFile ? { MIRRORD_CONFIG_FILE: flags.configFile } : {}) };
  const { loadCliConfig } = await import("../config-loading.ts");
  const { ConfigError } = await import("../../config/errors.ts");
  const { config } = await loadCliConfig(env, process.cwd()).catch((error: unknown) => {
    throw error instanceof ConfigError ? new CliError(error.message, "fix the configuration") : error;
  });
  if (config.operator === true)
    throw new CliError(
      "`operator: true`, but this build of mirrord-ts does not support the mirrord operator",
      "set `operator: false` (or leave it out) to list targets without one",
    );
  const { loadKubeConfig, contextNamespace } = await import("../../kube/kubeconfig.ts");
  const { listTargets, listNamespaces } = await import("../../kube/list-targets.ts");
  const kube = loadKubeConfig(config);
  const namespace = flags.namespace ?? config.target.namespace ?? contextNamespace(kube);
  const rich = process.env.MIRRORD_LS_RICH_OUTPUT === "true";
  const [paths, namespaces] = await Promise.all([
    listTargets(kube, namespace, kinds),
    rich ? listNamespaces(kube) : [],
  ]);
  if (!rich) return JSON.stringify(paths);
  return JSON.stringify({
    targets: paths.map((path) => ({ path, available: true })),
    current_namespace: namespace,
    namespaces,
  });
}

/** The error as miette's JSON report handler prints it. */
function jsonReport(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const help = (error as { hint?: unknown }).hint;
  return JSON.stringify({
    message,
    severity: "error",
    causes: [],
    ...(typeof help === "string" ? { help } : {}),
    filename: "",
    labels: [],
    related: [],
  });
}
