#include "remote_listing.h"

#include <string.h>
#include <sys/mman.h>

#include "fs_platform.h"
#include "remote_fs.h"

#define BATCH 512

static void add_entry(const mp_dir_entry *entry, void *ctx) {
  struct remote_listing *listing = ctx;
  if (listing->count == listing->cap) {
    size_t cap = listing->cap ? listing->cap * 2 : 64;
    void *grown = mmap(NULL, cap * sizeof(struct dirent), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (grown == MAP_FAILED) return;
    if (listing->entries) {
      memcpy(grown, listing->entries, listing->count * sizeof(struct dirent));
      munmap(listing->entries, listing->cap * sizeof(struct dirent));
    }
    listing->entries = grown;
    listing->cap = cap;
  }
  fs_platform_dirent(&listing->entries[listing->count++], entry);
}

int remote_listing_load(struct remote_listing *listing, uint64_t handle) {
  uint64_t dir;
  int rc = remote_opendir(handle, &dir);
  if (rc < 0) return rc;
  listing->count = 0;
  while ((rc = remote_readdir_batch(dir, BATCH, add_entry, listing)) > 0) {
  }
  remote_closedir(dir);
  return rc;
}

void remote_listing_free(struct remote_listing *listing) {
  if (listing->entries) munmap(listing->entries, listing->cap * sizeof(struct dirent));
  *listing = (struct remote_listing){0};
}
