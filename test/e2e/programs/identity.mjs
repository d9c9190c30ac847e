// Prints what a Node program sees: os.hostname, env vars; then the same from a child process.
import { execFileSync } from "node:child_process";
import os from "node:os";

console.log(`hostname=${os.hostname()}`);
for (const name of process.argv.slice(2)) console.log(`${name}=${process.env[name] ?? "<unset>"}`);
if (process.env.SPAWN_CHILD === "1") {
  process.stdout.write(
    execFileSync("python3", [
      "-c",
      "import socket, os; print(f'child={socket.gethostname()} {os.environ.get(\"APP_MODE\")}')",
    ]),
  );
}
