/*
 * Which local fds are placeholders for remote files. Lookups are one atomic load (no lock), so the
 * fd hooks cost nothing for the program's own files; changes are serialised.
 */
#ifndef MIRRORD_LAYER_FDTABLE_H
#define MIRRORD_LAYER_FDTABLE_H

#include "remote_file.h"

/* Fds at or above this are never remote (the placeholder is closed and EMFILE returned). */
#define FDTABLE_SIZE 65536

/* The remote file behind `fd`, or NULL for a local fd. */
struct remote_file *fdtable_get(int fd);

/* Makes `fd` stand for `file`, taking over one reference; false when fd is out of range. */
bool fdtable_put(int fd, struct remote_file *file);

/* Forgets `fd` and drops its reference (the last one closes the remote file). */
void fdtable_forget(int fd);

/* Follows the program's close/dup calls through fd_events (called once by the constructor). */
void fdtable_follow_fd_events(void);

#endif
