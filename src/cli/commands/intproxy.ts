import type { CAC } from "cac";
import { notAvailableYet } from "../not-available.ts";

export function register(cli: CAC): void {
  cli
    .command(
      "intproxy",
      "(internal) Run the internal proxy between the layer and the agent; started by `exec`",
    )
    .allowUnknownOptions()
    .action(() => notAvailableYet("intproxy", "the data-plane issue"));
}
