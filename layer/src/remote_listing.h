/*
 * The entries of a remote directory, loaded whole from the agent (FileOpenDir + FileReadDirBatch) as
 * dirent64 records: what readdir streams and getdents64 on a remote directory fd both serve from.
 */
#ifndef MIRRORD_LAYER_REMOTE_LISTING_H
#define MIRRORD_LAYER_REMOTE_LISTING_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>

struct remote_listing {
  struct dirent64 *entries;
  size_t count, cap;
};

/* (Re)loads the listing of the remote directory open as `handle`; 0 or -errno. */
int remote_listing_load(struct remote_listing *listing, uint64_t handle);
void remote_listing_free(struct remote_listing *listing);

#endif
