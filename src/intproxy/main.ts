/**
 * The internal proxy: a per-session process on the laptop that owns the one connection to the agent
 * and multiplexes every layer (and the CLI) over it. Entry point for `mirrord intproxy`, which
 * `mirrord exec` starts detached and configures through environment variables.
 */
import { mkdirSync, openSync, writeSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import packageJson from "../../package.json" with { type: "json" };
import type { HttpFilterConfig } from "../config/feature/network/http-filter.ts";
import { parseResolved, RESOLVED_CONFIG_ENV } from "../config/resolved.ts";
import type { EnvFeature } from "../env/compose.ts";
import { detachStdio, startOwnSession } from "../platform/index.ts";
import type { Frame } from "../protocol/index.ts";
import { parseHexSecret, parseHostPort } from "../transport/address.ts";
import { ProtocolClient } from "../transport/client.ts";
import { IdleTimer } from "../transport/idle-timer.ts";
import { Logger, parseLogLevel } from "../transport/log.ts";
import { envComposerFor } from "./env-composer.ts";
import { IncomingProxy } from "./incoming.ts";
import { HttpReplayer } from "./incoming-http.ts";
import { httpFilterFor } from "./incoming-http-filter.ts";
import { LayerSession } from "./layer-session.ts";
import { OutgoingRelay } from "./outgoing.ts";
import { type ProgramStderr, programStderr } from "./program-stderr.ts";

export const INTPROXY_VERSION: string = packageJson.version;
const AGENT_CONNECT_TIMEOUT_MS = 10_000;
/** Time for the last Close frames to reach the layers before the process exits. */
const FLUSH_MS = 200;

/** A problem that stops the intproxy before it announces its address; printed as one line. */
export class IntproxyStartError extends Error {
  override readonly name = "IntproxyStartError";
}

export interface IntproxySettings {
  agentAddress: string;
  secret: Uint8Array | null;
  startIdleMs: number;
  idleMs: number;
  logPath: string;
  logLevel: ReturnType<typeof parseLogLevel>;
  /** `feature.env` of the session's resolved config (absent: the agent's answer is passed on as is). */
  envFeature: EnvFeature;
  /** `feature.network.incoming.http_filter` (absent: stolen ports are stolen whole). */
  httpFilter: HttpFilterConfig;
  /** Where the agent's warnings and errors reach the user (`MIRRORD_INTPROXY_PROGRAM_PID`). */
  userStderr: ProgramStderr;
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback * 1000;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new IntproxyStartError(`${name}: expected seconds ≥ 0, got "${text}"`);
  return value * 1000;
}

function defaultLogPath(): string {
  const stamp = new Date().toISOString().replace(/[-:.]/g, "").replace("T", "-").slice(0, 15);
  return join(tmpdir(), `mirrord-intproxy-${stamp}-${Math.random().toString(36).slice(2, 8)}.log`);
}

export function readSettings(env: NodeJS.ProcessEnv): IntproxySettings {
  const agentAddress = env.MIRRORD_AGENT_ADDR;
  if (!agentAddress) throw new IntproxyStartError("MIRRORD_AGENT_ADDR is not set: no agent to connect to");
  try {
    parseHostPort(agentAddress, "MIRRORD_AGENT_ADDR");
    const resolved = env[RESOLVED_CONFIG_ENV] ? parseResolved(env[RESOLVED_CONFIG_ENV]) : undefined;
    return {
      agentAddress,
      secret: env.MIRRORD_AGENT_SECRET
        ? parseHexSecret(env.MIRRORD_AGENT_SECRET, "MIRRORD_AGENT_SECRET")
        : null,
      startIdleMs: seconds(env, "MIRRORD_INTPROXY_START_IDLE_TIMEOUT", 60),
      idleMs: seconds(env, "MIRRORD_INTPROXY_IDLE_TIMEOUT", 5),
      logPath: env.MIRRORD_INTPROXY_LOG_DESTINATION || defaultLogPath(),
      logLevel: parseLogLevel(env.MIRRORD_INTPROXY_LOG_LEVEL),
      envFeature: resolved?.feature.env ?? {},
      httpFilter: resolved?.feature.network.incoming.http_filter ?? {},
      userStderr: programStderr(env.MIRRORD_INTPROXY_USER_STDERR_FD, env.MIRRORD_INTPROXY_PROGRAM_PID),
    };
  } catch (error) {
    if (error instanceof IntproxyStartError) throw error;
    throw new IntproxyStartError((error as Error).message);
  }
}

/** An agent in a cluster is reached through a port-forward relay this process runs (src/kube). */
async function withKubeRelay(
  env: NodeJS.ProcessEnv,
  notify: (line: string) => void,
): Promise<NodeJS.ProcessEnv> {
  if (!env.MIRRORD_AGENT_KUBE) return env;
  try {
    const { intproxyAgentAddress } = await import("../kube/index.ts");
    return { ...env, MIRRORD_AGENT_ADDR: await intproxyAgentAddress(env, notify) };
  } catch (error) {
    throw new IntproxyStartError(`cannot set up the port-forward to the agent: ${(error as Error).message}`);
  }
}

/**
 * The intproxy is detached: its own stderr is gone once it is ready, so a crash would leave no trace.
 * It goes to the log file and to the user's terminal instead.
 */
function reportCrashes(log: Logger, userStderr: ProgramStderr): void {
  const crash = (kind: string) => (error: unknown) => {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log.error(`internal proxy crashed (${kind})`, { error: detail });
    userStderr.write(
      `mirrord: the internal proxy crashed: ${error instanceof Error ? error.message : detail}\n`,
    );
    process.exit(1);
  };
  process.on("uncaughtException", crash("uncaught exception"));
  process.on("unhandledRejection", crash("unhandled rejection"));
}

function fileLogger(settings: IntproxySettings): Logger {
  let fd: number;
  try {
    mkdirSync(dirname(settings.logPath), { recursive: true });
    fd = openSync(settings.logPath, "a", 0o600);
  } catch (error) {
    throw new IntproxyStartError(
      `Failed to open log file at \`${settings.logPath}\`: ${(error as Error).message}`,
    );
  }
  return new Logger({
    level: settings.logLevel ?? "info",
    json: true,
    target: "mirrord-intproxy",
    write: (line) => writeSync(fd, line),
  });
}

function listenOnLoopback(server: ReturnType<typeof createServer>): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, backlog: 1024 }, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
}

/** The agent's `Log`s go to the log file; warnings and errors also to the user, as mirrord prints them. */
function logUnsolicited(log: Logger, userStderr: ProgramStderr, { message }: Frame): void {
  if (message.type !== "Log") {
    log.debug("agent message with no request to answer", { type: message.type });
    return;
  }
  log.log(message.level, `agent: ${message.message}`);
  if (message.level === "warn" || message.level === "error")
    userStderr.write(
      `mirrord: ${message.level === "warn" ? "warning" : "error"} from the agent: ${message.message}\n`,
    );
}

/**
 * Connects to the agent, announces `127.0.0.1:<port>` on stdout, serves layers until idle (0) or until
 * the agent is lost (1). Throws `IntproxyStartError` before announcing anything when it cannot start.
 */
export async function runIntproxy(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  startOwnSession();
  // The relay's notices (a dropped port-forward resumed or given up on) come only after start-up.
  let settings: IntproxySettings | undefined;
  let log: Logger | undefined;
  const notify = (line: string) => {
    log?.warn(line);
    settings?.userStderr.write(`${line}\n`);
  };
  settings = readSettings(await withKubeRelay(env, notify));
  log = fileLogger(settings);
  reportCrashes(log, settings.userStderr);
  log.info("starting", { version: INTPROXY_VERSION, agent: settings.agentAddress, pid: process.pid });
  let agent: ProtocolClient;
  try {
    agent = await ProtocolClient.connect({
      address: settings.agentAddress,
      role: "intproxy",
      clientName: `mirrord-intproxy ${INTPROXY_VERSION}`,
      secret: settings.secret,
      timeoutMs: AGENT_CONNECT_TIMEOUT_MS,
    });
  } catch (error) {
    log.error("cannot reach the agent", { error: (error as Error).message });
    throw new IntproxyStartError(
      `cannot reach the agent at ${settings.agentAddress}: ${(error as Error).message}`,
    );
  }
  log.info("agent connected", { agentVersion: agent.serverVersion });

  let exiting = false;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => {
    resolveDone = resolve;
  });
  const finish = (code: number) => {
    exiting = true;
    resolveDone(code);
  };
  const sessions = new Set<LayerSession>();
  const idle = new IdleTimer({
    startMs: settings.startIdleMs,
    idleMs: settings.idleMs,
    onExpire: (cause) => {
      log.info(cause === "start" ? "no layer connected in time; exiting" : "last layer left; exiting");
      finish(0);
    },
  });
  const composeEnv = envComposerFor(settings.envFeature, process.cwd());
  // A live outgoing connection keeps the intproxy up like a layer does: a forked child may hold it alone.
  const outgoing = new OutgoingRelay(agent, log, {
    opened: () => idle.peerArrived(),
    closed: () => idle.peerLeft(),
  });
  const incoming = new IncomingProxy(agent, log, (port) => httpFilterFor(settings.httpFilter, port));
  const httpReplayer = new HttpReplayer({
    agent,
    listenerFor: (port) => incoming.listenerFor(port),
    onLocalConnection: (socket, listener, peer) => incoming.peers.register(socket, listener.port, peer),
    log,
  });
  let nextLayerId = 0;
  const server = createServer((socket: Socket) => {
    if (!isLoopback(socket.remoteAddress)) {
      socket.destroy();
      return;
    }
    idle.peerArrived();
    const session = new LayerSession(socket, {
      id: nextLayerId++,
      identity: { serverVersion: `mirrord-intproxy ${INTPROXY_VERSION}` },
      agent,
      composeEnv,
      outgoing,
      incoming,
      log,
      onEnd: (ended) => {
        if (sessions.delete(ended)) idle.peerLeft();
      },
    });
    sessions.add(session);
  });
  agent.onUnsolicited((frame) => {
    if (!outgoing.receive(frame.message) && !incoming.receive(frame) && !httpReplayer.receive(frame.message))
      logUnsolicited(log, settings.userStderr, frame);
  });
  agent.onClose((reason) => {
    if (exiting) return;
    log.error("agent connection lost", { reason });
    for (const session of [...sessions]) session.agentLost(`agent connection lost: ${reason}`);
    finish(1);
  });

  let port: number;
  try {
    port = await listenOnLoopback(server);
  } catch (error) {
    agent.close("intproxy failed to start");
    throw new IntproxyStartError(`cannot listen on 127.0.0.1: ${(error as Error).message}`);
  }
  log.info("listening", { address: `127.0.0.1:${port}`, logFile: settings.logPath });
  await new Promise<void>((resolve) => process.stdout.write(`127.0.0.1:${port}\n`, () => resolve()));
  // What the runtime prints on its own (a crash) lands in the log file.
  detachStdio(settings.logPath);

  const code = await done;
  idle.stop();
  server.close();
  if (code === 0) agent.close("intproxy idle");
  for (const session of sessions) session.close("intproxy exiting");
  await new Promise((resolve) => setTimeout(resolve, FLUSH_MS));
  log.info("exited", { code });
  return code;
}

function isLoopback(address: string | undefined): boolean {
  return address === "127.0.0.1" || address === "::ffff:127.0.0.1" || address === "::1";
}
