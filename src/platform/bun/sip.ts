/** macOS System Integrity Protection status through libSystem's csr_check (bun:ffi). */
import { dlopen, FFIType } from "bun:ffi";

/** CSR_ALLOW_UNRESTRICTED_FS: set when SIP no longer guards the system directories. */
const CSR_ALLOW_UNRESTRICTED_FS = 1 << 1;
let enforced: boolean | undefined;

/** True when SIP guards system paths (so dyld strips DYLD_* for binaries there); false off macOS. */
export function sipEnforced(): boolean {
  if (process.platform !== "darwin") return false;
  if (enforced === undefined) {
    const library = dlopen("/usr/lib/libSystem.B.dylib", {
      csr_check: { args: [FFIType.u32], returns: FFIType.i32 },
    });
    // csr_check returns 0 when the operation is allowed, i.e. when that protection is off.
    enforced = library.symbols.csr_check(CSR_ALLOW_UNRESTRICTED_FS) !== 0;
    library.close();
  }
  return enforced;
}
