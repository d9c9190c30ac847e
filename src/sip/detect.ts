/**
 * Whether macOS would drop DYLD_INSERT_LIBRARIES (or refuse the layer) for a program, and why.
 * dyld ignores DYLD_* variables for "restricted" processes: binaries under SIP-protected system paths,
 * setuid/setgid files, a __RESTRICT segment, a CS_RESTRICT signature, or the hardened runtime without
 * the allow-dyld-environment-variables entitlement. Library validation rejects an unsigned layer even
 * when the variable survives. A script is run by its interpreter, so the interpreter is what counts.
 */
import { basename } from "node:path";
import { type MachOFile, parseMachO } from "./macho.ts";

/** Directories System Integrity Protection guards (/usr/local is the one writable exception). */
const PROTECTED_PREFIXES = ["/System/", "/usr/", "/bin/", "/sbin/", "/private/var/db/", "/Library/Apple/"];
const UNPROTECTED_PREFIXES = ["/usr/local/"];

export function isSipProtectedPath(path: string): boolean {
  if (UNPROTECTED_PREFIXES.some((prefix) => path.startsWith(prefix))) return false;
  return PROTECTED_PREFIXES.some((prefix) => path.startsWith(prefix));
}

/** What detection needs to know about one file (read by `readProgram` in patch.ts, or built by tests). */
export interface ProgramFile {
  /** Absolute path with symlinks resolved. */
  path: string;
  bytes: Uint8Array;
  /** st_mode bits. */
  mode: number;
}

/** Reasons dyld would drop the insert variable or reject the layer; empty when the program is fine. */
export function restrictionsOf(file: ProgramFile, sipEnforced: boolean): string[] {
  const reasons: string[] = [];
  if (sipEnforced && isSipProtectedPath(file.path))
    reasons.push(`${file.path} is in a SIP-protected system directory`);
  if ((file.mode & 0o6000) !== 0) reasons.push(`${file.path} is setuid/setgid`);
  const macho: MachOFile | undefined = parseMachO(file.bytes, file.path);
  for (const slice of macho?.slices ?? []) {
    const where = macho && macho.slices.length > 1 ? ` (${slice.arch} slice)` : "";
    if (slice.restrictSegment) reasons.push(`${file.path}${where} has a __RESTRICT segment`);
    const signature = slice.signature;
    if (!signature) continue;
    if (signature.restricted)
      reasons.push(`${file.path}${where} has a restricted code signature (CS_RESTRICT)`);
    if (signature.hardenedRuntime && !signature.allowsDyldEnvironment) {
      reasons.push(
        `${file.path}${where} uses the hardened runtime without the allow-dyld-environment-variables entitlement`,
      );
    }
    if (signature.libraryValidation && !signature.disablesLibraryValidation) {
      reasons.push(
        `${file.path}${where} requires library validation, which rejects the ad-hoc signed mirrord layer`,
      );
    }
  }
  return [...new Set(reasons)];
}

export interface Shebang {
  interpreter: string;
  /** The single optional argument after the interpreter (macOS passes the rest of the line as one). */
  argument: string | undefined;
}

/** The `#!` line of a script, or undefined when the file is not a script. */
export function shebangOf(bytes: Uint8Array): Shebang | undefined {
  if (bytes[0] !== 0x23 || bytes[1] !== 0x21) return undefined;
  const end = bytes.indexOf(0x0a);
  const line = new TextDecoder()
    .decode(bytes.subarray(2, end === -1 ? Math.min(bytes.length, 512) : end))
    .trim();
  const match = /^(\S+)(?:\s+(.*))?$/.exec(line);
  if (!match?.[1]) return undefined;
  return { interpreter: match[1], argument: match[2]?.trim() || undefined };
}

/** `sip_binaries` / `skip_sip` entries match a path by whole trailing components ("git", "bin/git"). */
export function matchesBinaryList(path: string, entries: readonly string[]): boolean {
  return entries.some(
    (entry) => entry !== "" && (path === entry || path.endsWith(`/${entry}`) || basename(path) === entry),
  );
}
