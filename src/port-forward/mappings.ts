/**
 * The `-L [local_port:]remote_host:remote_port` and `-R [remote_port:]local_port` arguments of
 * `mirrord port-forward`, with mirrord's error texts (cli-config.md §1.6). The local side always binds
 * 127.0.0.1; the remote host is an IPv4 literal or a name resolved by the agent when a connection comes.
 */

export interface ForwardMapping {
  localPort: number;
  remoteHost: string;
  remotePort: number;
}

export interface ReverseMapping {
  remotePort: number;
  localPort: number;
}

export class MappingError extends Error {
  override readonly name = "MappingError";
}

function port(text: string, argument: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535)
    throw new MappingError(`Failed to parse port \`${text}\` in argument \`${argument}\``);
  if (Number(text) === 0) throw new MappingError(`Port \`0\` is not allowed in argument \`${argument}\``);
  return Number(text);
}

const HOST = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;

export function parseForwardMapping(argument: string): ForwardMapping {
  const parts = argument.split(":");
  const invalid = () =>
    new MappingError(
      `Invalid format of argument \`${argument}\`, expected \`[local-port:]remote-ipv4-or-hostname:remote-port\``,
    );
  if (parts.length < 2 || parts.length > 3) throw invalid();
  const [remoteHost = "", remotePort = ""] = parts.slice(-2);
  if (!HOST.test(remoteHost)) throw invalid();
  const remote = port(remotePort, argument);
  return {
    localPort: parts.length === 3 ? port(parts[0] as string, argument) : remote,
    remoteHost,
    remotePort: remote,
  };
}

export function parseReverseMapping(argument: string): ReverseMapping {
  const parts = argument.split(":");
  if (parts.length < 1 || parts.length > 2)
    throw new MappingError(
      `Invalid format of argument \`${argument}\`, expected \`[remote-port:]local-port\``,
    );
  const ports = parts.map((p) => port(p, argument));
  return { remotePort: ports[0] as number, localPort: ports[ports.length - 1] as number };
}

/** Parses every argument; two mappings for one port (local for -L, remote for -R) are an error. */
export function parseMappings(
  forward: readonly string[],
  reverse: readonly string[],
): { forward: ForwardMapping[]; reverse: ReverseMapping[] } {
  const parsedForward = forward.map(parseForwardMapping);
  const parsedReverse = reverse.map(parseReverseMapping);
  const duplicate = (ports: number[]) => ports.find((p, i) => ports.indexOf(p) !== i);
  const local = duplicate(parsedForward.map((m) => m.localPort));
  if (local !== undefined)
    throw new MappingError(`Local port \`${local}\` is used by more than one -L mapping`);
  const remote = duplicate(parsedReverse.map((m) => m.remotePort));
  if (remote !== undefined)
    throw new MappingError(`Remote port \`${remote}\` is used by more than one -R mapping`);
  return { forward: parsedForward, reverse: parsedReverse };
}
