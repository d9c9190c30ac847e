/* The macOS hook table. dyld reads the __DATA,__interpose section of an inserted image and routes
 * every other image's calls to `replacee` to `replacement`; calls from this image itself are not
 * rerouted, so the real function stays reachable (real.c's dlsym(RTLD_NEXT, …) finds it too).
 * Built only by macos.mk, without the renaming flags, so `name` here is libSystem's function. */
#include <dirent.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <utime.h>

struct interpose_entry {
  const void *replacement;
  const void *replacee;
};

/* Exported rather than static: Zig's Mach-O linker (0.11) dead-strips an unreferenced static section
 * even when marked used, and an image without its __interpose entries silently hooks nothing. */
#define MIRRORD_HOOK(name)                                                                           \
  extern __typeof__(name) mirrord_hook_##name;                                                       \
  __attribute__((used, visibility("default"), section("__DATA,__interpose"))) const struct interpose_entry \
      mirrord_interpose_##name = {(const void *)&mirrord_hook_##name, (const void *)&name};
/* libSystem's non-cancelable twin `name$NOCANCEL` goes to the same hook (which then calls the
 * cancelable `name`: only the thread-cancellation point differs). */
#define MIRRORD_HOOK_NOCANCEL(name)                                                                  \
  extern __typeof__(name) mirrord_nocancel_##name __asm__("_" #name "$NOCANCEL");                   \
  __attribute__((used, visibility("default"), section("__DATA,__interpose"))) const struct interpose_entry \
      mirrord_interpose_nocancel_##name = {(const void *)&mirrord_hook_##name, (const void *)&mirrord_nocancel_##name};
/* The SDK gives these libSystem declarations an assembler name with a suffix (stat$INODE64 on x86_64,
 * realpath$DARWIN_EXTSN): `&name` here is that symbol, and the renamed hook got the same suffix. */
#define MIRRORD_HOOK_SUFFIXED(name, suffix)                                                          \
  extern __typeof__(name) mirrord_hook_##name __asm__("_mirrord_hook_" #name suffix);               \
  __attribute__((used, visibility("default"), section("__DATA,__interpose"))) const struct interpose_entry \
      mirrord_interpose_##name = {(const void *)&mirrord_hook_##name, (const void *)&name};
#define MIRRORD_HOOK_INODE64(name) MIRRORD_HOOK_SUFFIXED(name, __DARWIN_SUF_64_BIT_INO_T)
#define MIRRORD_HOOK_EXTSN(name) MIRRORD_HOOK_SUFFIXED(name, __DARWIN_SUF_EXTSN)
#include "hooks.def"
#undef MIRRORD_HOOK
#undef MIRRORD_HOOK_NOCANCEL
#undef MIRRORD_HOOK_SUFFIXED
#undef MIRRORD_HOOK_INODE64
#undef MIRRORD_HOOK_EXTSN
