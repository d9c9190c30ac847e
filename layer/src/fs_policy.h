/*
 * Where a path goes (layer.md §3): mapping first, then the user's lists, the built-in lists and the
 * fs mode. Regexes are pattern.h's (PCRE2 on Linux, POSIX enhanced on macOS), matched
 * case-insensitively anywhere in the path, compiled once at start.
 */
#ifndef MIRRORD_LAYER_FS_POLICY_H
#define MIRRORD_LAYER_FS_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol/mp_protocol.h"

enum fs_route { FS_ROUTE_LOCAL, FS_ROUTE_REMOTE, FS_ROUTE_NOT_FOUND };

/* Compiles the patterns of `config`; a bad pattern is reported on stderr and ignored. */
void fs_policy_init(const mp_msg_layer_config *config);

/* False when the fs mode is local: every file hook bypasses without looking at its path. */
bool fs_policy_active(void);

/*
 * Routes `path` (relative paths are taken against the remote cwd when fs_cwd has one, else the real
 * cwd). `resolved` receives the absolute,
 * remapped path the remote side must use; `*remapped` says whether mapping changed it (a local
 * route then opens `resolved` instead of the caller's path). A path too long for `resolved` is local.
 */
enum fs_route fs_policy_route(const char *path, bool writing, char *resolved, size_t resolved_len,
                              bool *remapped);

/* Read-ahead size for remote files (`feature.fs.readonly_file_buffer`), 0 = off. */
size_t fs_policy_read_buffer(void);

#endif
