/** Builds the `mirrord` command line: every subcommand, help that hides internal ones, exit codes. */
import { type CAC, cac } from "cac";
import packageJson from "../../package.json" with { type: "json" };
import * as agent from "./commands/agent.ts";
import * as completions from "./commands/completions.ts";
import * as diagnose from "./commands/diagnose.ts";
import * as exec from "./commands/exec.ts";
import * as extract from "./commands/extract.ts";
import * as intproxy from "./commands/intproxy.ts";
import * as ls from "./commands/ls.ts";
import * as portForward from "./commands/port-forward.ts";
import * as schema from "./commands/schema.ts";
import * as verifyConfig from "./commands/verify-config.ts";
import { UsageError } from "./errors.ts";
import { normalizeExecArgv } from "./exec-options.ts";

export const VERSION: string = packageJson.version;

/** Parseable but not listed in help or completions, as in mirrord. */
const HIDDEN_COMMANDS = new Set(["agent", "intproxy", "extract"]);
const isHidden = (name: string) => HIDDEN_COMMANDS.has(name);

export function buildProgram(): CAC {
  const cli = cac("mirrord");
  exec.register(cli);
  ls.register(cli);
  portForward.register(cli);
  verifyConfig.register(cli);
  schema.register(cli);
  diagnose.register(cli);
  completions.register(cli, isHidden);
  agent.register(cli);
  intproxy.register(cli);
  extract.register(cli);
  cli.option("-V, --version", "Print the version (`mirrord <semver>`)");
  cli.usage("<COMMAND> [OPTIONS]\n\n  Run a local process in the context of a cloud environment.");
  cli.help((sections) =>
    sections.map((section, index) =>
      index === 0 ? { body: `mirrord ${VERSION}` } : hideInternalCommands(section),
    ),
  );
  return cli;
}

/** Drops hidden commands from the command list and from the "run any command with --help" list. */
function hideInternalCommands(section: { title?: string; body: string }) {
  const mentionsHidden = (line: string) =>
    line
      .trim()
      .replace(/^\$ mirrord /, "")
      .split(/\s+/)
      .some((word, index) => index === 0 && isHidden(word));
  return {
    ...section,
    body: section.body
      .split("\n")
      .filter((line) => !mentionsHidden(line))
      .join("\n"),
  };
}

/** Runs the program for `argv` (without the executable and script). */
export async function runProgram(argv: string[]): Promise<void> {
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
    process.stdout.write(`mirrord ${VERSION}\n`);
    return;
  }
  const cli = buildProgram();
  if (argv.length === 0) {
    cli.outputHelp();
    return;
  }
  const first = argv[0] ?? "";
  const known = cli.commands.some((command) => command.isMatched(first));
  if (!known && !first.startsWith("-")) {
    const suggestion = closest(
      first,
      cli.commands.map((c) => c.name).filter((n) => n && !isHidden(n)),
    );
    throw new UsageError(
      `unrecognized subcommand \`${first}\`${suggestion ? ` (did you mean \`${suggestion}\`?)` : ""}`,
    );
  }
  try {
    cli.parse(["mirrord", "mirrord", ...(first === "exec" ? normalizeExecArgv(argv) : argv)], { run: false });
    if (!cli.matchedCommand && !cli.options.help) throw new UsageError(`unexpected argument \`${first}\``);
    await cli.runMatchedCommand();
  } catch (error) {
    if (error instanceof Error && error.name === "CACError")
      throw new UsageError(usageMessage(cli, argv, error.message));
    throw error;
  }
}

/** cac reports `--no-such-flag` as "--suchFlag" (it reads `--no-` as a negation); name what the user typed. */
function usageMessage(cli: CAC, argv: string[], message: string): string {
  if (!message.startsWith("Unknown option")) return message;
  const command = cli.matchedCommand;
  const known = new Set(
    [...(command?.options ?? []), ...cli.globalCommand.options].flatMap((option) =>
      option.rawName.split(/[ ,]+/).filter((token) => token.startsWith("-")),
    ),
  );
  const end = argv.indexOf("--");
  const typed = (end === -1 ? argv : argv.slice(0, end))
    .filter((arg) => arg.startsWith("-") && arg !== "-")
    .map((arg) => arg.split("=")[0] ?? arg)
    .find((flag) => !known.has(flag));
  return typed
    ? `unknown option \`${typed}\` for \`mirrord ${command?.name ?? ""}\``.replace(
        " `mirrord `",
        " `mirrord`",
      )
    : message;
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(word, name);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}
