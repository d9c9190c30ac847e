/**
 * `mirrord exec`: resolve the config, reach the agent, start the internal proxy, fetch the target's
 * environment, extract the layer, and become the user's program (cli-config.md §6.1).
 */
import { CliError } from "../cli/errors.ts";
import {
  RESOLVED_CONFIG_ENV,
  type ResolvedConfig,
  serializeForLayer,
  unsupportedFeatures,
} from "../config/index.ts";
import { envRequestOf } from "../env/compose.ts";
import { layerPathForExec } from "../layer-asset/index.ts";
import { replaceProcessImage, selfCommand, startDetached } from "../platform/index.ts";
import { sipCommandForExec } from "../sip/index.ts";
import { connectIntproxy } from "../transport/client.ts";
import { childEnvironment, preloadVariableFor } from "./child-env.ts";
import { linkKindOf } from "./elf.ts";
import { encodeLayerConfig, LAYER_CONFIG_ENV } from "./layer-config.ts";
import type { Progress } from "./progress.ts";
import { BinaryNotFoundError, resolveBinary } from "./resolve-binary.ts";

export interface ExecInputs {
  /** The program and its arguments, argv[0] first. */
  command: string[];
  config: ResolvedConfig;
  configPath: string | undefined;
  /** Process env with the flag overrides merged in. */
  env: Record<string, string | undefined>;
  cwd: string;
  progress: Progress;
}

const ERRNO_NAMES: Record<number, string> = { 2: "ENOENT", 7: "E2BIG", 8: "ENOEXEC", 13: "EACCES" };

/** Never returns: either the process becomes the user's program, or it throws a CliError. */
export async function runExec(inputs: ExecInputs): Promise<never> {
  const { config, env, progress } = inputs;
  const unsupported = unsupportedFeatures(config);
  if (unsupported.length > 0) {
    throw new CliError(
      `this build of mirrord-ts does not support yet: ${unsupported.join("; ")}`,
      "remove those settings from the config to run without them",
    );
  }
  const agent = config.connect_tcp
    ? { agentAddress: config.connect_tcp, secretHex: undefined, intproxyEnv: {}, cleanup: async () => {} }
    : await agentThroughKube(config, progress);
  const { agentAddress } = agent;
  progress.info(`mirrord will use the agent at ${agentAddress}${config.connect_tcp ? " (connect_tcp)" : ""}`);
  progress.info(
    inputs.configPath
      ? `the configuration file was loaded from ${inputs.configPath}`
      : "no configuration file was loaded",
  );

  progress.task("starting the internal proxy");
  const intproxyAddress = await startIntproxy(
    config,
    { ...env, ...agent.intproxyEnv },
    agentAddress,
    agent.secretHex,
  ).catch(async (error) => {
    await agent.cleanup().catch(() => {});
    throw error;
  });
  progress.done(`internal proxy ready at ${intproxyAddress}`);

  const remote = await remoteEnvironment(config, intproxyAddress, progress);

  progress.task("extracting the layer");
  const layer = await layerPathForExec(env);
  progress.done(`layer at ${layer.path}`);

  const childEnv = childEnvironment({
    local: env,
    remote,
    mirrord: {
      [RESOLVED_CONFIG_ENV]: serializeForLayer(config),
      [LAYER_CONFIG_ENV]: encodeLayerConfig(config),
      MIRRORD_LAYER_INTPROXY_ADDR: intproxyAddress,
    },
    layerPath: layer.path,
    unset: config.feature.env.unset ?? [],
    preloadVariable: preloadVariableFor(process.platform),
  });

  const [program = "", ...args] = inputs.command;
  let binary: string;
  try {
    binary = resolveBinary(program, childEnv, inputs.cwd);
  } catch (error) {
    if (error instanceof BinaryNotFoundError)
      throw new CliError(error.message, "check the program name and PATH");
    throw error;
  }
  if (linkKindOf(binary) === "static") {
    progress.warn(
      `${binary} is statically linked: mirrord's layer cannot be loaded into it (its dynamically linked children still get it)`,
    );
  }
  const command = sipSafeCommand(binary, [program, ...args], config, childEnv, progress);
  progress.info(`Running command: ${inputs.command.join(" ")}`);
  progress.info("Ready!");
  const errno = replaceProcessImage(command.path, command.argv, childEnv);
  const name = ERRNO_NAMES[errno] ?? `errno ${errno}`;
  throw new CliError(
    `Failed to execute binary \`${program}\` with args ${JSON.stringify(args)}: execve failed with ${name}`,
    errno === 7 ? "the environment is too large: try `feature.env.load_from_process`" : undefined,
  );
}

/** On macOS, a SIP-patched copy when dyld would drop the layer for the program; unchanged elsewhere. */
function sipSafeCommand(
  binary: string,
  argv: string[],
  config: ResolvedConfig,
  env: Record<string, string>,
  progress: Progress,
): { path: string; argv: string[] } {
  try {
    const command = sipCommandForExec(binary, argv, config, env);
    for (const { original, copy, reasons } of command.patched) {
      progress.info(`SIP: ${original} runs as the patched copy ${copy} (${reasons.join("; ")})`);
    }
    return command;
  } catch (error) {
    throw new CliError(
      `could not prepare ${binary} for the layer under SIP: ${(error as Error).message}`,
      "add the program to `skip_sip` to run it without the layer",
    );
  }
}

async function startIntproxy(
  config: ResolvedConfig,
  env: Record<string, string | undefined>,
  agentAddress: string,
  secretHex: string | undefined,
): Promise<string> {
  const proxy = config.internal_proxy;
  const intproxyEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) intproxyEnv[key] = value;
  Object.assign(intproxyEnv, {
    MIRRORD_AGENT_ADDR: agentAddress,
    MIRRORD_INTPROXY_START_IDLE_TIMEOUT: String(proxy.start_idle_timeout),
    MIRRORD_INTPROXY_IDLE_TIMEOUT: String(proxy.idle_timeout),
    [RESOLVED_CONFIG_ENV]: serializeForLayer(config),
    // Our stderr, handed over as the intproxy's fd 3, is the program's too (we become it: same PID).
    MIRRORD_INTPROXY_USER_STDERR_FD: "3",
    MIRRORD_INTPROXY_PROGRAM_PID: String(process.pid),
  });
  if (secretHex) intproxyEnv.MIRRORD_AGENT_SECRET = secretHex;
  if (proxy.log_destination) intproxyEnv.MIRRORD_INTPROXY_LOG_DESTINATION = proxy.log_destination;
  if (proxy.log_level) intproxyEnv.MIRRORD_INTPROXY_LOG_LEVEL = proxy.log_level;
  const self = selfCommand(["intproxy"]);
  const timeoutMs = Math.max(config.agent.startup_timeout, 5) * 1000;
  try {
    const { line } = await startDetached(self.path, self.argv, intproxyEnv, timeoutMs, [2]);
    return line;
  } catch (error) {
    throw new CliError(
      `the internal proxy could not start: ${(error as Error).message}`,
      `check that an agent is listening at ${agentAddress}`,
    );
  }
}

/** Creates the agent in the cluster (target → Job or ephemeral container → port-forward). */
async function agentThroughKube(config: ResolvedConfig, progress: Progress) {
  const { connectThroughKube, KubeError } = await import("../kube/index.ts");
  progress.task("starting the agent");
  try {
    const connection = await connectThroughKube(config, {
      phase: (what) => progress.info(what),
      warn: (what) => progress.warn(what),
    });
    progress.done(`agent ready at ${connection.agentAddress}`);
    return connection;
  } catch (error) {
    if (error instanceof KubeError) throw new CliError(error.message, error.hint);
    throw error;
  }
}

/** The target's env as the program gets it (the intproxy applies env_file, mapping and override). */
async function remoteEnvironment(
  config: ResolvedConfig,
  intproxyAddress: string,
  progress: Progress,
): Promise<Record<string, string>> {
  const feature = config.feature.env;
  if (feature.load_from_process) {
    progress.info("env: the program fetches the target's environment itself (load_from_process)");
    return {};
  }
  const timeoutMs = (config.agent.communication_timeout ?? 30) * 1000;
  progress.task("fetching the target's environment");
  const client = await connectIntproxy(intproxyAddress, timeoutMs);
  try {
    const reply = await client.request({ type: "GetEnv", ...envRequestOf(feature) }, timeoutMs);
    if (reply.type === "ErrorReply") {
      throw new CliError(`could not get the target's environment: ${reply.error.message}`);
    }
    if (reply.type !== "Env") throw new CliError(`unexpected ${reply.type} in answer to GetEnv`);
    progress.done(`${reply.vars.length} variables from the target`);
    return Object.fromEntries(reply.vars.map(({ name, value }) => [name, value]));
  } finally {
    client.close();
  }
}
