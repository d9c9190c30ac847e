import type { CAC } from "cac";
import { notAvailableYet } from "../not-available.ts";

export function register(cli: CAC): void {
  cli
    .command(
      "exec [...command]",
      "Run a local binary with mirrord: its traffic, files, DNS and env come from the target",
    )
    .usage("exec [OPTIONS] -- <BINARY> [BINARY_ARGS]...")
    .example("mirrord exec -t deployment/api -- node server.js")
    .example("mirrord exec -f .mirrord/mirrord.json -- python app.py")
    .allowUnknownOptions()
    .action(() => notAvailableYet("exec", "the data-plane issue (layer, internal proxy, agent)"));
}
