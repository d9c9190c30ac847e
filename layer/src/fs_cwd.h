/*
 * The program's remote working directory: set when it chdir()s (or fchdir()s) into a directory that
 * routes to the pod, cleared when it goes back to a local one. While set, relative file paths are taken
 * against it (fs_policy) and getcwd() reports it. Readers never block (a sequence count), so a fork
 * or a signal between two threads' calls cannot leave them stuck.
 */
#ifndef MIRRORD_LAYER_FS_CWD_H
#define MIRRORD_LAYER_FS_CWD_H

#include <stdbool.h>
#include <stddef.h>

/* Copies the remote cwd into `out`; false when the cwd is local (the real one applies). */
bool fs_cwd_remote(char *out, size_t cap);

/* `pod_path` (absolute, resolved in the pod) becomes the cwd; NULL makes the real cwd apply again. */
void fs_cwd_set_remote(const char *pod_path);

#endif
