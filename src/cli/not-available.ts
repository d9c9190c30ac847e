import { CliError } from "./errors.ts";

/** The honest answer of a command whose body has not landed in this build yet. */
export function notAvailableYet(command: string, landsWith: string): never {
  throw new CliError(
    `\`mirrord ${command}\` is not available yet in this build of mirrord-ts.`,
    `It lands with ${landsWith}; see the project README for what works today.`,
  );
}
