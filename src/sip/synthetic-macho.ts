/** Builds small, well-formed Mach-O files for the tests: the header fields and load commands the parser reads. */

export interface SliceSpec {
  arch: "x86_64" | "arm64" | "arm64e" | "i386";
  restrictSegment?: boolean;
  signature?: { flags: number; entitlements?: string[] };
}

const CPU = {
  x86_64: [0x01000007, 3],
  i386: [7, 3],
  arm64: [0x0100000c, 0],
  arm64e: [0x0100000c, 0x80000002],
} as const;

function u32s(values: number[], littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (const [index, value] of values.entries()) view.setUint32(index * 4, value, littleEndian);
  return bytes;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function segment(name: string): Uint8Array {
  const command = new Uint8Array(72);
  command.set(u32s([0x19, 72], true));
  command.set(new TextEncoder().encode(name), 8);
  return command;
}

function entitlementsPlist(keys: string[]): string {
  const entries = keys.map((key) => `<key>${key}</key>\n<true/>`).join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>\n${entries}\n</dict></plist>\n`;
}

function superBlob(flags: number, entitlements: string[] | undefined): Uint8Array {
  const codeDirectory = concat([u32s([0xfade0c02, 44, 0x20400, flags], false), new Uint8Array(28)]);
  const blobs: [number, Uint8Array][] = [[0, codeDirectory]];
  if (entitlements) {
    const xml = new TextEncoder().encode(entitlementsPlist(entitlements));
    blobs.push([5, concat([u32s([0xfade7171, xml.length + 8], false), xml])]);
  }
  let offset = 12 + blobs.length * 8;
  const index: number[] = [];
  for (const [slot, blob] of blobs) {
    index.push(slot, offset);
    offset += blob.length;
  }
  return concat([
    u32s([0xfade0cc0, offset, blobs.length, ...index], false),
    ...blobs.map(([, blob]) => blob),
  ]);
}

export function thinMachO(spec: SliceSpec): Uint8Array {
  const commands: Uint8Array[] = [segment("__TEXT")];
  if (spec.restrictSegment) commands.push(segment("__RESTRICT"));
  const signature = spec.signature ? superBlob(spec.signature.flags, spec.signature.entitlements) : undefined;
  const commandBytes = commands.reduce((sum, command) => sum + command.length, 0) + (signature ? 16 : 0);
  const bodyStart = 32 + commandBytes;
  if (signature) commands.push(u32s([0x1d, 16, bodyStart, signature.length], true));
  const [cpuType, cpuSubtype] = CPU[spec.arch];
  const header = u32s([0xfeedfacf, cpuType, cpuSubtype, 2, commands.length, commandBytes, 0x200085, 0], true);
  return concat([header, ...commands, ...(signature ? [signature] : [])]);
}

/** A universal file; `wide` uses the 64-bit fat table (FAT_MAGIC_64). Slices start on 4 KiB boundaries. */
export function fatMachO(specs: SliceSpec[], wide = false): Uint8Array {
  const slices = specs.map(thinMachO);
  const entrySize = wide ? 32 : 20;
  const align = 4096;
  let offset = align;
  const entries: Uint8Array[] = [];
  const placed: Uint8Array[] = [];
  specs.forEach((spec, index) => {
    const slice = slices[index] as Uint8Array;
    const [cpuType, cpuSubtype] = CPU[spec.arch];
    entries.push(
      wide
        ? u32s([cpuType, cpuSubtype, 0, offset, 0, slice.length, 12, 0], false)
        : u32s([cpuType, cpuSubtype, offset, slice.length, 12], false),
    );
    const padded = new Uint8Array(Math.ceil(slice.length / align) * align);
    padded.set(slice);
    placed.push(padded);
    offset += padded.length;
  });
  const table = concat([u32s([wide ? 0xcafebabf : 0xcafebabe, specs.length], false), ...entries]);
  const head = new Uint8Array(align);
  head.set(table);
  if (table.length > align || entrySize * specs.length + 8 > align)
    throw new Error("too many slices for one page");
  return concat([head, ...placed]);
}
