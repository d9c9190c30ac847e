/*
 * The entries of a remote directory, loaded whole from the agent (FileOpenDir + FileReadDirBatch) as
 * readdir records (struct dirent, filled by fs_platform.h): what readdir streams and, on Linux,
 * getdents64 on a remote directory fd serve from.
 */
#ifndef MIRRORD_LAYER_REMOTE_LISTING_H
#define MIRRORD_LAYER_REMOTE_LISTING_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>

struct remote_listing {
  struct dirent *entries;
  size_t count, cap;
};

/* (Re)loads the listing of the remote directory open as `handle`; 0 or -errno. */
int remote_listing_load(struct remote_listing *listing, uint64_t handle);
void remote_listing_free(struct remote_listing *listing);

#endif
