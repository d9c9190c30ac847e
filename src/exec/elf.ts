/** Whether LD_PRELOAD can work for a program: statically linked executables ignore it (layer.md §10.19). */
import { closeSync, openSync, readSync } from "node:fs";

export type LinkKind = "dynamic" | "static" | "script" | "other";

const PT_INTERP = 3;

export function linkKindOf(path: string): LinkKind {
  const header = Buffer.alloc(4096);
  const fd = openSync(path, "r");
  let length: number;
  try {
    length = readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (length >= 2 && header[0] === 0x23 && header[1] === 0x21) return "script";
  if (length < 64 || header.readUInt32BE(0) !== 0x7f454c46) return "other";
  const is64 = header[4] === 2;
  const little = header[5] === 1;
  const u16 = (at: number) => (little ? header.readUInt16LE(at) : header.readUInt16BE(at));
  const u32 = (at: number) => (little ? header.readUInt32LE(at) : header.readUInt32BE(at));
  const phoff = is64 ? Number(little ? header.readBigUInt64LE(32) : header.readBigUInt64BE(32)) : u32(28);
  const phentsize = u16(is64 ? 54 : 42);
  const phnum = u16(is64 ? 56 : 44);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > length) return "other"; // program headers beyond the first page: unusual, don't guess
    if (u32(at) === PT_INTERP) return "dynamic";
  }
  return "static";
}
