import assert from "node:assert/strict";
import { describe, it } from "node:test";
import cac from "cac";
import { FIELD_ROWS } from "../config/fields.table.ts";
import { fileFor, loadText, valueAt } from "../config/test-support.ts";
import { addExecOptions, type ExecFlags, execOptionsToEnv, normalizeExecArgv } from "./exec-options.ts";

function parseExec(argv: string[]): { args: string[]; env: Record<string, string> } {
  const cli = cac("mirrord");
  let result: { args: string[]; env: Record<string, string> } | undefined;
  addExecOptions(cli.command("exec [...command]")).action((args: string[], flags: ExecFlags) => {
    result = { args, env: execOptionsToEnv(flags) };
  });
  cli.parse(["bun", "mirrord", "exec", ...normalizeExecArgv(argv)], { run: true });
  if (result === undefined) throw new Error("exec action did not run");
  return result;
}

describe("mirrord exec flags", () => {
  it("turns every config flag into its env override", () => {
    const { env } = parseExec([
      "-t",
      "pod/x",
      "-n",
      "ns",
      "-a",
      "agents",
      "-l",
      "debug",
      "-i",
      "img:1",
      "--agent-ttl",
      "30",
      "--agent-startup-timeout",
      "90",
      "-e",
      "--fs-mode",
      "local-with-overrides",
      "-x",
      "A;B",
      "-s",
      "C",
      "--no-remote-dns",
      "--skip-processes",
      "bash;node",
      "--steal",
      "--no-telemetry",
      "--context",
      "kind",
      "--env-file",
      ".env",
      "-k",
      "key1",
      "--",
      "node",
    ]);
    assert.deepEqual(env, {
      MIRRORD_IMPERSONATED_TARGET: "pod/x",
      MIRRORD_TARGET_NAMESPACE: "ns",
      MIRRORD_AGENT_NAMESPACE: "agents",
      MIRRORD_AGENT_RUST_LOG: "debug",
      MIRRORD_AGENT_IMAGE: "img:1",
      MIRRORD_AGENT_TTL: "30",
      MIRRORD_AGENT_STARTUP_TIMEOUT: "90",
      MIRRORD_EPHEMERAL_CONTAINER: "true",
      MIRRORD_FILE_MODE: "localwithoverrides",
      MIRRORD_OVERRIDE_ENV_VARS_EXCLUDE: "A;B",
      MIRRORD_OVERRIDE_ENV_VARS_INCLUDE: "C",
      MIRRORD_REMOTE_DNS: "false",
      MIRRORD_SKIP_PROCESSES: "bash;node",
      MIRRORD_AGENT_TCP_STEAL_TRAFFIC: "true",
      MIRRORD_TELEMETRY: "false",
      MIRRORD_KUBE_CONTEXT: "kind",
      MIRRORD_OVERRIDE_ENV_VARS_FILE: ".env",
      MIRRORD_KEY: "key1",
    });
  });

  it("--no-outgoing disables TCP and UDP, the narrower flags one each", () => {
    assert.deepEqual(parseExec(["--no-outgoing"]).env, {
      MIRRORD_TCP_OUTGOING: "false",
      MIRRORD_UDP_OUTGOING: "false",
    });
    assert.deepEqual(parseExec(["--no-udp-outgoing"]).env, { MIRRORD_UDP_OUTGOING: "false" });
  });

  it("-c needs = for a value: `-c false` is -c followed by the argument false", () => {
    const bare = parseExec(["-c", "false"]);
    assert.equal(bare.env.MIRRORD_ACCEPT_INVALID_CERTIFICATES, "true");
    assert.deepEqual(bare.args, ["false"]);
    assert.equal(parseExec(["-c=false"]).env.MIRRORD_ACCEPT_INVALID_CERTIFICATES, "false");
    assert.throws(() => parseExec(["-c=maybe"]), /expected true or false, got "maybe"/);
  });

  it("-f takes an optional value: bare -f is .mirrord/mirrord.json, `-f node` makes node the path", () => {
    assert.equal(parseExec(["-f", "--", "node"]).env.MIRRORD_CONFIG_FILE, "./.mirrord/mirrord.json");
    const swallowed = parseExec(["-f", "node", "app.js"]);
    assert.equal(swallowed.env.MIRRORD_CONFIG_FILE, "node");
    assert.deepEqual(swallowed.args, ["app.js"]);
  });

  it("-f - reads the config from stdin (cac alone would drop the lone -)", () => {
    assert.equal(parseExec(["-f", "-", "--", "node"]).env.MIRRORD_CONFIG_FILE, "-");
    assert.equal(parseExec(["--config-file", "-", "--", "node"]).env.MIRRORD_CONFIG_FILE, "-");
    assert.equal(parseExec(["--", "node", "-f", "-"]).env.MIRRORD_CONFIG_FILE, undefined);
  });

  it("rejects bad values with the flag name", () => {
    assert.throws(() => parseExec(["--fs-mode", "rw"]), /--fs-mode: expected write \| read \| local/);
    assert.throws(() => parseExec(["--agent-ttl", "70000"]), /--agent-ttl: expected an integer 0..65535/);
  });

  it("leaves arguments after -- alone", () => {
    assert.deepEqual(normalizeExecArgv(["-c", "--", "-c"]), [
      "--accept-invalid-certificates=true",
      "--",
      "-c",
    ]);
  });
});

describe("every exec flag that sets a config field (from the field table)", () => {
  for (const row of FIELD_ROWS) {
    for (const flag of row.flags) {
      it(`${flag.argv.join(" ")} sets ${row.path}, over the file and the environment`, async () => {
        const { env } = parseExec([...flag.argv, "--", "app"]);
        const alone = await loadText(fileFor(row), env);
        assert.deepEqual(valueAt(alone.config, row.path), flag.resolved);
        const [first] = row.forms;
        assert.ok(first);
        const [envCase] = row.env;
        const processEnv = envCase === undefined ? {} : { [envCase.name]: envCase.value };
        const overFile = await loadText(fileFor(row, first), { ...processEnv, ...env });
        assert.deepEqual(valueAt(overFile.config, row.path), flag.resolved);
      });
    }
  }

  it("covers every flag except the ones that set no field", () => {
    const cli = cac("mirrord");
    const command = addExecOptions(cli.command("exec [...command]"));
    const tested = new Set(
      FIELD_ROWS.flatMap((row) => row.flags.map((flag) => flag.argv[0]?.split("=")[0] ?? "")),
    );
    const noField = ["--disable-version-check", "--config-file"];
    const untested = command.options
      .filter((option) => !option.rawName.split(/[ ,]+/).some((name) => tested.has(name)))
      .map((option) => option.rawName)
      .filter((name) => !noField.some((flag) => name.includes(flag)));
    assert.deepEqual(untested, []);
  });
});
