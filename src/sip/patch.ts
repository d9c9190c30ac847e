/**
 * Turns the program `mirrord exec` is about to run into one macOS will load the layer into: a protected
 * binary is copied into the cache (arm64e relabelled arm64, ad-hoc re-signed without hardened runtime)
 * and the copy runs instead; a script whose interpreter is protected runs through a patched copy of the
 * interpreter, with the script itself untouched so `$0` and relative paths stay as they were.
 */
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { matchesBinaryList, type ProgramFile, restrictionsOf, type Shebang, shebangOf } from "./detect.ts";
import { MachOError, parseMachO, relabelArm64eAsArm64 } from "./macho.ts";

export interface SipSettings {
  /** `sip_binaries`: always patch these (whole trailing path components). */
  sipBinaries: readonly string[];
  /** `skip_sip`: never patch these. */
  skipSip: readonly string[];
  /** Whether SIP is on (system paths are only protected then). */
  sipEnforced: boolean;
  /** Where patched copies live (`<cacheDir>/sip-patch/…`). */
  cacheDir: string;
  /** Replaces a file's code signature with an ad-hoc one (codesign on macOS). */
  resign: (path: string) => void;
  /** The program a `#!/usr/bin/env NAME` script would run, looked up as env would (PATH). */
  findOnPath: (name: string) => string | undefined;
}

export interface SipCommand {
  /** The file to execve. */
  path: string;
  /** argv for it; argv[0] stays what the user typed. */
  argv: string[];
  /** What was patched and why, for the progress output; empty when nothing was. */
  patched: { original: string; copy: string; reasons: string[] }[];
}

export function readProgram(path: string): ProgramFile {
  const real = realpathSync(path);
  return { path: real, bytes: readFileSync(real), mode: statSync(real).mode };
}

/** Why `file` needs a patched copy under these settings; empty when it does not (or is skipped). */
function patchReasons(file: ProgramFile, settings: SipSettings): string[] {
  if (matchesBinaryList(file.path, settings.skipSip)) return [];
  let reasons: string[];
  try {
    reasons = restrictionsOf(file, settings.sipEnforced);
  } catch (error) {
    // A file we cannot parse is left to the loader, which reports it better than we could.
    if (error instanceof MachOError) return [];
    throw error;
  }
  if (reasons.length === 0 && matchesBinaryList(file.path, settings.sipBinaries))
    reasons.push(`${file.path} is listed in sip_binaries`);
  return reasons;
}

/** The command to execve for `binary` (already resolved on PATH) and `argv`. */
export function sipCommand(
  binary: string,
  argv: string[],
  settings: SipSettings,
  read = readProgram,
): SipCommand {
  const program = read(binary);
  const shebang = shebangOf(program.bytes);
  if (!shebang) {
    const reasons = patchReasons(program, settings);
    if (reasons.length === 0) return { path: binary, argv, patched: [] };
    const copy = patchedCopy(program, settings);
    return { path: copy, argv, patched: [{ original: program.path, copy, reasons }] };
  }
  if (matchesBinaryList(program.path, settings.skipSip)) return { path: binary, argv, patched: [] };
  // `#!/usr/bin/env python3`: env is itself protected, and the python3 it would start loses the variable
  // again, so the script runs through the program env would have found, patched if that one needs it.
  const viaEnv = envLookup(shebang, settings);
  const interpreterArgv = viaEnv
    ? [viaEnv.name, binary, ...argv.slice(1)]
    : [shebang.interpreter, ...(shebang.argument ? [shebang.argument] : []), binary, ...argv.slice(1)];
  const interpreter = read(viaEnv?.path ?? shebang.interpreter);
  const reasons = patchReasons(interpreter, settings);
  if (reasons.length === 0) {
    return viaEnv
      ? { path: viaEnv.path, argv: interpreterArgv, patched: [] }
      : { path: binary, argv, patched: [] };
  }
  const copy = patchedCopy(interpreter, settings);
  return { path: copy, argv: interpreterArgv, patched: [{ original: interpreter.path, copy, reasons }] };
}

/** For `#!…/env NAME` (one plain name, no env options or assignments), NAME and where PATH finds it. */
function envLookup(shebang: Shebang, settings: SipSettings): { name: string; path: string } | undefined {
  const name = shebang.argument;
  if (basename(shebang.interpreter) !== "env" || !name || /^-|[\s=/]/.test(name)) return undefined;
  const path = settings.findOnPath(name);
  return path ? { name, path } : undefined;
}

/**
 * The patched copy of `file`, made once per content: `<cacheDir>/sip-patch/<sha256 prefix>/<original path>`,
 * so the copy keeps its file name. Written under a temporary name and renamed only once signed.
 */
export function patchedCopy(file: ProgramFile, settings: SipSettings): string {
  const digest = createHash("sha256").update(file.bytes).digest("hex").slice(0, 16);
  const copy = join(settings.cacheDir, "sip-patch", digest, file.path);
  if (existsSync(copy)) return copy;
  const macho = parseMachO(file.bytes, file.path);
  if (!macho) throw new Error(`${file.path} needs a SIP-patched copy but is not a Mach-O executable`);
  mkdirSync(dirname(copy), { recursive: true, mode: 0o700 });
  const pending = `${copy}.${process.pid}.tmp`;
  try {
    writeFileSync(pending, relabelArm64eAsArm64(file.bytes, macho));
    chmodSync(pending, (file.mode & 0o777) | 0o700);
    settings.resign(pending);
    renameSync(pending, copy);
  } finally {
    rmSync(pending, { force: true });
  }
  return copy;
}
