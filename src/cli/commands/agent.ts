import type { CAC } from "cac";
import { notAvailableYet } from "../not-available.ts";

export function register(cli: CAC): void {
  cli
    .command(
      "agent [...mode]",
      "(internal) Run the mirrord agent: targeted --pid <PID> | ephemeral | targetless",
    )
    .allowUnknownOptions()
    .action(() => notAvailableYet("agent", "the data-plane issue"));
}
