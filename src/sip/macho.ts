/**
 * Just enough Mach-O to decide whether macOS would strip DYLD_INSERT_LIBRARIES from a program, and to
 * make a copy it won't: thin and fat (32/64-bit fat tables) files, the CPU of each slice, a __RESTRICT
 * segment, and the code signature's CodeDirectory flags and entitlements.
 * Thin headers are little-endian (x86_64 and arm64 are); fat tables and signature blobs are big-endian.
 */

export type MachOArch = "x86_64" | "arm64" | "arm64e" | "i386" | "other";

export interface CodeSignature {
  /** CodeDirectory flags (CS_* bits). */
  flags: number;
  hardenedRuntime: boolean;
  /** CS_RESTRICT: dyld ignores DYLD_* variables. */
  restricted: boolean;
  /** CS_REQUIRE_LV or hardened runtime: only Apple- or same-team-signed libraries may load. */
  libraryValidation: boolean;
  /** `com.apple.security.cs.allow-dyld-environment-variables` is granted. */
  allowsDyldEnvironment: boolean;
  /** `com.apple.security.cs.disable-library-validation` is granted. */
  disablesLibraryValidation: boolean;
}

export interface MachOSlice {
  arch: MachOArch;
  cpuType: number;
  cpuSubtype: number;
  /** Byte offset of the slice in the file (0 for a thin file). */
  offset: number;
  /** Where the slice's cpusubtype is stored in the file, and in which byte order (for rewriting). */
  headerSubtypeAt: number;
  /** Has a `__RESTRICT` segment: dyld ignores DYLD_* variables. */
  restrictSegment: boolean;
  signature: CodeSignature | undefined;
}

export interface MachOFile {
  fat: boolean;
  slices: MachOSlice[];
  /** Fat files: where each slice's cpusubtype sits in the fat table (big-endian). */
  fatSubtypeAt: number[];
}

export class MachOError extends Error {}

const MH_MAGIC = 0xfeedface;
const MH_MAGIC_64 = 0xfeedfacf;
const FAT_MAGIC = 0xcafebabe;
const FAT_MAGIC_64 = 0xcafebabf;
const LC_SEGMENT = 0x1;
const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;
const CPU_ARCH_ABI64 = 0x01000000;
const CPU_TYPE_X86 = 7;
const CPU_TYPE_ARM = 12;
/** cpusubtype's low 24 bits; the top 8 are feature flags (arm64e's pointer-auth ABI and version). */
const CPU_SUBTYPE_VALUE = 0x00ffffff;
const CPU_SUBTYPE_ARM64_ALL = 0;
const CPU_SUBTYPE_ARM64E = 2;
const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
const CSMAGIC_EMBEDDED_ENTITLEMENTS = 0xfade7171;
const CSSLOT_CODEDIRECTORY = 0;
const CSSLOT_ENTITLEMENTS = 5;
export const CS_ADHOC = 0x2;
export const CS_RESTRICT = 0x800;
export const CS_REQUIRE_LV = 0x2000;
export const CS_RUNTIME = 0x10000;

/** Bounds-checked reads that name the file and offset when the data ends early. */
class Reader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    private readonly origin: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private check(offset: number, length: number, what: string): void {
    if (offset < 0 || offset + length > this.bytes.length) {
      throw new MachOError(
        `${this.origin}: truncated Mach-O: ${what} at byte ${offset} lies past the end (${this.bytes.length} bytes)`,
      );
    }
  }
  u32(offset: number, littleEndian: boolean, what: string): number {
    this.check(offset, 4, what);
    return this.view.getUint32(offset, littleEndian);
  }
  u64(offset: number, what: string): number {
    this.check(offset, 8, what);
    const value = this.view.getBigUint64(offset, false);
    if (value > BigInt(Number.MAX_SAFE_INTEGER))
      throw new MachOError(`${this.origin}: ${what} at byte ${offset} is too large`);
    return Number(value);
  }
  text(offset: number, length: number, what: string): string {
    this.check(offset, length, what);
    return new TextDecoder().decode(this.bytes.subarray(offset, offset + length));
  }
  fail(message: string): never {
    throw new MachOError(`${this.origin}: ${message}`);
  }
}

/** True when the bytes start like a Mach-O or fat file (cheap check before parsing). */
export function looksLikeMachO(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  const le = view.getUint32(0, true);
  const be = view.getUint32(0, false);
  return le === MH_MAGIC || le === MH_MAGIC_64 || be === FAT_MAGIC || be === FAT_MAGIC_64;
}

/** Parses a Mach-O or fat file; undefined when it is neither (a script, an ELF file …). */
export function parseMachO(bytes: Uint8Array, origin: string): MachOFile | undefined {
  if (!looksLikeMachO(bytes)) return undefined;
  const reader = new Reader(bytes, origin);
  const magic = reader.u32(0, false, "magic");
  if (magic !== FAT_MAGIC && magic !== FAT_MAGIC_64) {
    return { fat: false, slices: [parseSlice(reader, 0, bytes.length)], fatSubtypeAt: [] };
  }
  const count = reader.u32(4, false, "fat slice count");
  // Java class files share 0xcafebabe; their "count" (a version number) is far above any real slice count.
  if (count === 0 || count > 32) reader.fail(`fat header claims ${count} slices`);
  const entrySize = magic === FAT_MAGIC_64 ? 32 : 20;
  const slices: MachOSlice[] = [];
  const fatSubtypeAt: number[] = [];
  for (let index = 0; index < count; index++) {
    const entry = 8 + index * entrySize;
    const offset =
      magic === FAT_MAGIC_64
        ? reader.u64(entry + 8, "fat slice offset")
        : reader.u32(entry + 8, false, "fat slice offset");
    const size =
      magic === FAT_MAGIC_64
        ? reader.u64(entry + 16, "fat slice size")
        : reader.u32(entry + 12, false, "fat slice size");
    if (offset + size > bytes.length)
      reader.fail(`fat slice ${index} (${offset}+${size}) lies past the end (${bytes.length} bytes)`);
    slices.push(parseSlice(reader, offset, size));
    fatSubtypeAt.push(entry + 4);
  }
  return { fat: true, slices, fatSubtypeAt };
}

function archOf(cpuType: number, cpuSubtype: number): MachOArch {
  if (cpuType === (CPU_TYPE_X86 | CPU_ARCH_ABI64)) return "x86_64";
  if (cpuType === CPU_TYPE_X86) return "i386";
  if (cpuType === (CPU_TYPE_ARM | CPU_ARCH_ABI64)) {
    return (cpuSubtype & CPU_SUBTYPE_VALUE) === CPU_SUBTYPE_ARM64E ? "arm64e" : "arm64";
  }
  return "other";
}

function parseSlice(reader: Reader, start: number, size: number): MachOSlice {
  const magic = reader.u32(start, true, "slice magic");
  if (magic !== MH_MAGIC && magic !== MH_MAGIC_64) {
    reader.fail(`slice at byte ${start} is not a little-endian Mach-O (magic 0x${magic.toString(16)})`);
  }
  const is64 = magic === MH_MAGIC_64;
  const cpuType = reader.u32(start + 4, true, "cputype");
  const cpuSubtype = reader.u32(start + 8, true, "cpusubtype");
  const commandCount = reader.u32(start + 16, true, "ncmds");
  let command = start + (is64 ? 32 : 28);
  let restrictSegment = false;
  let signature: CodeSignature | undefined;
  for (let index = 0; index < commandCount; index++) {
    const kind = reader.u32(command, true, `load command ${index}`);
    const length = reader.u32(command + 4, true, `load command ${index} size`);
    if (length < 8) reader.fail(`load command ${index} at byte ${command} has size ${length}`);
    if (kind === LC_SEGMENT_64 || kind === LC_SEGMENT) {
      const name = reader.text(command + 8, 16, "segment name").replace(/\0.*$/s, "");
      if (name === "__RESTRICT") restrictSegment = true;
    } else if (kind === LC_CODE_SIGNATURE) {
      const dataOffset = reader.u32(command + 8, true, "code signature offset");
      const dataSize = reader.u32(command + 12, true, "code signature size");
      if (dataOffset + dataSize > size)
        reader.fail(`code signature (${dataOffset}+${dataSize}) lies past its slice (${size} bytes)`);
      signature = parseSignature(reader, start + dataOffset);
    }
    command += length;
  }
  return {
    arch: archOf(cpuType, cpuSubtype),
    cpuType,
    cpuSubtype,
    offset: start,
    headerSubtypeAt: start + 8,
    restrictSegment,
    signature,
  };
}

function parseSignature(reader: Reader, start: number): CodeSignature | undefined {
  if (reader.u32(start, false, "signature magic") !== CSMAGIC_EMBEDDED_SIGNATURE) return undefined;
  const count = reader.u32(start + 8, false, "signature blob count");
  let flags: number | undefined;
  let entitlements = "";
  for (let index = 0; index < count; index++) {
    const slot = reader.u32(start + 12 + index * 8, false, "signature slot");
    const blob = start + reader.u32(start + 16 + index * 8, false, "signature blob offset");
    const blobMagic = reader.u32(blob, false, "signature blob magic");
    if (slot === CSSLOT_CODEDIRECTORY && blobMagic === CSMAGIC_CODEDIRECTORY) {
      flags = reader.u32(blob + 12, false, "CodeDirectory flags");
    } else if (slot === CSSLOT_ENTITLEMENTS && blobMagic === CSMAGIC_EMBEDDED_ENTITLEMENTS) {
      const length = reader.u32(blob + 4, false, "entitlements length");
      entitlements = reader.text(blob + 8, length - 8, "entitlements");
    }
  }
  if (flags === undefined) return undefined;
  const granted = (key: string) =>
    new RegExp(`<key>${key.replaceAll(".", "\\.")}</key>\\s*<true\\s*/>`).test(entitlements);
  const hardenedRuntime = (flags & CS_RUNTIME) !== 0;
  return {
    flags,
    hardenedRuntime,
    restricted: (flags & CS_RESTRICT) !== 0,
    libraryValidation: hardenedRuntime || (flags & CS_REQUIRE_LV) !== 0,
    allowsDyldEnvironment: granted("com.apple.security.cs.allow-dyld-environment-variables"),
    disablesLibraryValidation: granted("com.apple.security.cs.disable-library-validation"),
  };
}

/**
 * A copy of the file with every arm64e slice relabelled arm64 (in the fat table and the slice header):
 * outside Apple's platform binaries, arm64e code only runs when the ABI is marked as plain arm64.
 * The signature is invalid afterwards; the caller re-signs.
 */
export function relabelArm64eAsArm64(bytes: Uint8Array, file: MachOFile): Uint8Array {
  const copy = bytes.slice();
  const view = new DataView(copy.buffer);
  file.slices.forEach((slice, index) => {
    if (slice.arch !== "arm64e") return;
    view.setUint32(slice.headerSubtypeAt, CPU_SUBTYPE_ARM64_ALL, true);
    const fatAt = file.fatSubtypeAt[index];
    if (fatAt !== undefined) view.setUint32(fatAt, CPU_SUBTYPE_ARM64_ALL, false);
  });
  return copy;
}
