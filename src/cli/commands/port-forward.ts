/**
 * `mirrord port-forward -L [local:]host:port … -R [remote:]local …`: local ports whose connections
 * the agent makes from the target (its outgoing TCP), and target ports whose traffic (stolen or
 * mirrored) comes to local ports, until Ctrl-C. The agent is the config's `connect_tcp` or one created
 * like `exec` does; it is deleted on exit.
 */
import type { CAC } from "cac";
import { createProgress } from "../../exec/progress.ts";
import { Logger, parseLogLevel } from "../../transport/log.ts";
import { CliError, UsageError } from "../errors.ts";
import { type ExecFlags, execOptionsToEnv } from "../exec-options.ts";
import { agentReporter, loadSessionConfig } from "../session-config.ts";

const UNSTABLE_WARNING =
  "Port forwarding is currently an unstable feature and subject to change. See https://github.com/metalbear-co/mirrord/issues/2640 for more info.";

type PortForwardFlags = ExecFlags & {
  portMapping?: string | string[];
  portMappings?: string | string[];
  reversePortMapping?: string | string[];
};

export function register(cli: CAC): void {
  const command = cli
    .command(
      "port-forward",
      "Forward local ports to addresses reachable from the target, or target ports back to local ones",
    )
    .usage(
      "port-forward [OPTIONS] (-L [local_port:]remote_host:remote_port | -R [remote_port:]local_port)...",
    )
    .option("-t, --target <target>", "Target path, e.g. pod/x or deployment/x/container/c")
    .option("-n, --target-namespace <namespace>", "Namespace of the target")
    .option("-a, --agent-namespace <namespace>", "Namespace to create the agent in")
    .option("-l, --agent-log-level <level>", "Agent log level (RUST_LOG syntax)")
    .option("-i, --agent-image <image>", "Agent container image (repo:tag)")
    .option("--agent-ttl <seconds>", "Seconds the agent Job lingers after the agent exits")
    .option("--agent-startup-timeout <seconds>", "Seconds to wait for the agent to become ready")
    .option("-e, --ephemeral-container", "Run the agent as an ephemeral container of the target pod")
    .option("-c, --accept-invalid-certificates [bool]", "Accept invalid TLS certificates")
    .option("--no-telemetry", "Do not send anonymous usage telemetry")
    .option("--disable-version-check", "Do not check for a newer mirrord version")
    .option("-f, --config-file [path]", "mirrord config file; bare -f means ./.mirrord/mirrord.json")
    .option("--context <context>", "kubeconfig context to use")
    .option(
      "-L, --port-mapping <mapping>",
      "[local_port:]remote_host:remote_port — listen on 127.0.0.1, connect from the target (repeatable)",
    )
    .option("--port-mappings <mapping>", "Alias of --port-mapping")
    .option(
      "-R, --reverse-port-mapping <mapping>",
      "[remote_port:]local_port — traffic to the target's port comes to a local port (repeatable)",
    )
    .example("mirrord port-forward -t deployment/api -L 5432:db.prod.svc:5432 -L 8080:10.0.3.7:80")
    .example("mirrord port-forward -t pod/api-7d9f -R 80:3000")
    .action((flags: PortForwardFlags) => portForward(flags));
  // As for exec: an absent --no-telemetry stays undefined instead of cac's "(default: true)".
  for (const option of command.options) if (option.negated) option.config.default = undefined;
}

const list = (value: string | string[] | undefined) => [value ?? []].flat().map(String);

async function portForward(flags: PortForwardFlags): Promise<void> {
  const { parseMappings, MappingError } = await import("../../port-forward/mappings.ts");
  const forwardArgs = [...list(flags.portMapping), ...list(flags.portMappings)];
  const reverseArgs = list(flags.reversePortMapping);
  if (forwardArgs.length === 0 && reverseArgs.length === 0)
    throw new UsageError(
      "`mirrord port-forward` needs at least one -L or -R mapping",
      "e.g. `mirrord port-forward -t pod/api -L 8080:my-service:80`",
    );
  let mappings: ReturnType<typeof parseMappings>;
  try {
    mappings = parseMappings(forwardArgs, reverseArgs);
  } catch (error) {
    if (error instanceof MappingError) throw new UsageError(error.message);
    throw error;
  }
  const env = { ...process.env, ...execOptionsToEnv(flags) };
  const progress = createProgress(env.MIRRORD_PROGRESS_MODE, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTty: process.stderr.isTTY === true,
  });
  progress.warn(UNSTABLE_WARNING);
  const config = await loadSessionConfig(env);
  const incomingMode = config.feature.network.incoming.mode;
  if (mappings.reverse.length > 0 && incomingMode === "off")
    throw new CliError(
      "-R needs incoming traffic, but `feature.network.incoming` is off",
      "set `feature.network.incoming` to `mirror` or `steal`",
    );
  const filter = config.feature.network.incoming.http_filter;
  const filtered = ["header_filter", "path_filter", "method_filter", "header_filter_jq", "all_of", "any_of"];
  if (mappings.reverse.length > 0 && filtered.some((key) => filter[key as keyof typeof filter] != null))
    throw new CliError(
      "-R does not apply `feature.network.incoming.http_filter` yet: it would take every request",
      "remove the http_filter to forward the whole port",
    );
  const { openCliAgentLink } = await import("../../kube/cli-link.ts");
  const { KubeError } = await import("../../kube/errors.ts");
  const { AgentSession } = await import("../../port-forward/session.ts");
  const { LocalForwarder } = await import("../../port-forward/forwarder.ts");
  const { ReverseForwarder } = await import("../../port-forward/reverse.ts");
  progress.task("starting the agent");
  const link = await openCliAgentLink(config, agentReporter(progress), "mirrord-port-forward").catch(
    (error) => {
      throw error instanceof KubeError ? new CliError(error.message, error.hint) : error;
    },
  );
  progress.done(`agent ready at ${link.agentAddress}`);
  const stopped = Promise.withResolvers<void>();
  const session = new AgentSession(link, {
    info: (message) => progress.info(message),
    warn: (message) => progress.warn(message),
    onFatal: (error) => stopped.reject(new CliError(error.message, "check that the agent is still running")),
  });
  const timeoutMs = (config.agent.communication_timeout ?? 30) * 1000;
  const parts = [
    new LocalForwarder(session, mappings.forward, (message) => progress.warn(message), timeoutMs),
    new ReverseForwarder(mappings.reverse, incomingMode === "steal" ? "steal" : "mirror", stderrLogger(env)),
  ];
  const stop = () => stopped.resolve();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    await session.start(parts);
    for (const m of mappings.forward)
      progress.info(`127.0.0.1:${m.localPort} → ${m.remoteHost}:${m.remotePort} (from the target)`);
    for (const m of mappings.reverse)
      progress.info(`target port ${m.remotePort} (${incomingMode}) → 127.0.0.1:${m.localPort}`);
    process.stdout.write("Ready!\n");
    await stopped.promise;
  } catch (error) {
    throw error instanceof CliError ? error : new CliError((error as Error).message);
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    session.close();
    await link.close();
  }
  // Stopped by the user and cleaned up: local servers holding -R connections open (keep-alive,
  // half-closed) must not keep the command running after Ctrl-C.
  process.exit(0);
}

/** Logs of the incoming machinery on stderr, at MIRRORD_LOG's level (warnings by default). */
function stderrLogger(env: Record<string, string | undefined>): Logger {
  return new Logger({
    level: parseLogLevel(env.MIRRORD_LOG) ?? "warn",
    json: false,
    target: "mirrord-port-forward",
    write: (line) => process.stderr.write(line),
  });
}
