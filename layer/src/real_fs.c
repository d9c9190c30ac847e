#include "real_fs.h"

#include <dlfcn.h>

struct real_fs_functions real_fs;

void real_fs_resolve(void) {
#define REAL_FS_LOOKUP(name) real_fs.name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name);
  REAL_FS_FUNCTIONS(REAL_FS_LOOKUP)
#undef REAL_FS_LOOKUP
}
